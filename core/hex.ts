/** Hex helpers (lower-case, no prefix). */
const HEX_RE = /^[0-9a-f]*$/;

export function isHex(value: unknown, bytes?: number): value is string {
  return (
    typeof value === "string" &&
    value.length % 2 === 0 &&
    HEX_RE.test(value) &&
    (bytes === undefined || value.length === bytes * 2)
  );
}

/** Two hex digits per byte value: one lookup per byte instead of toString and padStart (ids are hexed on every hash). */
const BYTE_HEX = Array.from({ length: 256 }, (_, b) => b.toString(16).padStart(2, "0"));

export function bytesToHex(bytes: Uint8Array): string {
  let out = "";
  for (let i = 0; i < bytes.length; i++) out += BYTE_HEX[bytes[i] as number] as string;
  return out;
}

/** Value of a lower-case hex digit by char code, or 255. */
const NIBBLE = new Uint8Array(128).fill(255);
for (let i = 0; i < 10; i++) NIBBLE[48 + i] = i;
for (let i = 0; i < 6; i++) NIBBLE[97 + i] = 10 + i;

export function hexToBytes(hex: string): Uint8Array {
  if (hex.length % 2 !== 0) throw new TypeError("expected lower-case hex of even length");
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) {
    const hi = NIBBLE[hex.charCodeAt(2 * i)] ?? 255;
    const lo = NIBBLE[hex.charCodeAt(2 * i + 1)] ?? 255;
    if ((hi | lo) === 255 || hi > 15 || lo > 15) throw new TypeError("expected lower-case hex of even length");
    out[i] = (hi << 4) | lo;
  }
  return out;
}
