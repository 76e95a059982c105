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

export function bytesToHex(bytes: Uint8Array): string {
  let out = "";
  for (const b of bytes) out += b.toString(16).padStart(2, "0");
  return out;
}

export function hexToBytes(hex: string): Uint8Array {
  if (!isHex(hex)) throw new TypeError("expected lower-case hex of even length");
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}
