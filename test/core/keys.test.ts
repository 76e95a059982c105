import { afterEach, describe, expect, it, vi } from "vitest";
import fc from "fast-check";
import * as ed from "@noble/ed25519";
import {
  addressFromPublicKey,
  checkSignatureEncoding,
  publicKeyFromSecret,
  secretFromSeedPhrase,
  sign,
  verifyAll,
  verifyKeyCacheSize,
  verifySignature,
  verifySignatureNoble,
} from "../../core/keys.ts";
import { sha256Hex } from "../../core/hash.ts";
import { bytesToHex, hexToBytes } from "../../core/hex.ts";
import { utf8 } from "../../core/encoding.ts";
import { ed25519Vectors, fixtureVectors } from "../vectors/ed25519-fixture.ts";
import addressJson from "../vectors/address.json";

const ED = ed25519Vectors();

// ---------------------------------------------------------------------------

const L = ed.Point.CURVE().n;
const P = ed.Point.CURVE().p;

function le32(n: bigint): string {
  let h = "";
  for (let i = 0; i < 32; i++) h += Number((n >> BigInt(8 * i)) & 0xffn).toString(16).padStart(2, "0");
  return h;
}
/** Encoding of y (may be ≥ p) with the sign bit. */
function encodeY(y: bigint, sign = 0): string {
  return le32(y | (BigInt(sign) << 255n));
}

const ALICE = secretFromSeedPhrase("alice");
const ALICE_PUB = publicKeyFromSecret(ALICE);
const MSG = utf8("DOIN keys test");
const GOOD = sign(ALICE, MSG);

describe("ed25519.json vectors (Node: OpenSSL WebCrypto)", () => {
  it("has the RFC 8032 vectors and the edge cases", () => {
    expect(ED.filter((v) => v.name.startsWith("RFC 8032")).length).toBe(5);
    expect(ED.filter((v) => v.name.startsWith("small-order A")).length).toBe(10);
    expect(ED.filter((v) => v.expect !== v.noble).map((v) => v.name)).toEqual([
      "mixed-order A: k != 0 mod 8",
      "mixed-order R",
    ]);
  });

  for (const v of ED) {
    it(v.name, async () => {
      const msg = hexToBytes(v.msg);
      expect(checkSignatureEncoding(v.pub, v.sig)).toBe(v.precheck);
      expect(await verifySignature(v.pub, msg, v.sig)).toBe(v.expect);
      expect(verifySignatureNoble(v.pub, msg, v.sig)).toBe(v.noble);
      if (v.secret !== null) {
        const secret = hexToBytes(v.secret);
        expect(publicKeyFromSecret(secret)).toBe(v.pub);
        expect(sign(secret, msg)).toBe(v.sig);
      }
    });
  }

  it("verifyAll agrees with the vectors", async () => {
    const items = ED.map((v) => ({ pub: v.pub, message: hexToBytes(v.msg), sig: v.sig }));
    const valid = items.filter((_, i) => ED[i]?.expect === true);
    expect(valid.length).toBeGreaterThanOrEqual(7);
    expect(await verifyAll(valid)).toBe(-1);
    for (let i = 0; i < items.length; i++) {
      if (ED[i]?.expect === true) continue;
      expect(await verifyAll([...valid, items[i]!, ...valid]), ED[i]?.name).toBe(valid.length);
    }
  });
});

describe("small-order y-coordinates (checked with noble's point arithmetic)", () => {
  // A point of order 8: the torsion component [L]Q of a curve point Q outside the prime-order subgroup.
  const Q = ed.Point.fromHex(encodeY(3n));
  const T8 = Q.multiplyUnsafe(L - 1n).add(Q);
  const torsion = Array.from({ length: 8 }, (_, i) => (i === 0 ? ed.Point.ZERO : T8.multiplyUnsafe(BigInt(i))));

  it("T8 has order exactly 8 and c8 is the documented constant", () => {
    expect(T8.double().double().is0()).toBe(false);
    expect(T8.double().double().double().is0()).toBe(true);
    const ys = new Set(torsion.map((t) => t.toAffine().y));
    const c8 = 0x05fc536d880238b13933c6d305acdfd5f098eff289f4c345b027b2c28f95e826n;
    expect([...ys].sort((a, b) => (a < b ? -1 : 1))).toEqual([0n, 1n, c8, P - c8, P - 1n].sort((a, b) => (a < b ? -1 : 1)));
  });

  it("every torsion point, with either sign bit, is refused as A and as R", () => {
    for (const t of torsion) {
      const y = t.toAffine().y;
      for (const s of [0, 1]) {
        const enc = encodeY(y, s);
        expect(checkSignatureEncoding(enc, GOOD), enc).toBe("small_order_point");
        expect(checkSignatureEncoding(ALICE_PUB, enc + GOOD.slice(64)), enc).toBe("small_order_point");
      }
      // neighbours of a small-order y are not small order (the compare is exact)
      const smallYs = new Set(torsion.map((u) => u.toAffine().y));
      for (const n of [y + 1n, y - 1n, y + 2n]) {
        if (n < 0n || n >= P || smallYs.has(n)) continue;
        expect(checkSignatureEncoding(encodeY(n), GOOD)).toBe("ok");
      }
    }
  });

  it("the y-coordinates the hot path compares against decode to small-order points", () => {
    for (const t of torsion) expect(ed.Point.fromHex(t.toHex()).isSmallOrder()).toBe(true);
    expect(ed.Point.fromHex(ALICE_PUB).isSmallOrder()).toBe(false);
  });
});

describe("checkSignatureEncoding boundaries", () => {
  const R = GOOD.slice(0, 64);
  it("S: L - 1 passes, L, L + 1, 2^253 and 2^256 - 1 fail", () => {
    expect(checkSignatureEncoding(ALICE_PUB, R + le32(L - 1n))).toBe("ok");
    expect(checkSignatureEncoding(ALICE_PUB, R + le32(0n))).toBe("ok");
    expect(checkSignatureEncoding(ALICE_PUB, R + le32(L))).toBe("non_canonical_s");
    expect(checkSignatureEncoding(ALICE_PUB, R + le32(L + 1n))).toBe("non_canonical_s");
    expect(checkSignatureEncoding(ALICE_PUB, R + le32(1n << 253n))).toBe("non_canonical_s");
    expect(checkSignatureEncoding(ALICE_PUB, R + "ff".repeat(32))).toBe("non_canonical_s");
    // top byte equal to L's (0x10), a lower byte decides
    expect(checkSignatureEncoding(ALICE_PUB, R + le32((1n << 252n) + 5n))).toBe("ok");
  });

  it("y: p - 2 passes, p .. 2^255 - 1 fail, for A and for R", () => {
    const S = GOOD.slice(64);
    for (const [y, want] of [
      [P - 2n, "ok"],
      [P, "non_canonical_point"],
      [P + 2n, "non_canonical_point"],
      [P + 18n, "non_canonical_point"],
      [(1n << 255n) - 1n, "non_canonical_point"],
      [P - 1n - (0xffn << 8n), "ok"], // one byte below 0xff in the middle
    ] as const) {
      for (const s of [0, 1]) {
        expect(checkSignatureEncoding(encodeY(y, s), GOOD), `A y=${y}`).toBe(want);
        expect(checkSignatureEncoding(ALICE_PUB, encodeY(y, s) + S), `R y=${y}`).toBe(want);
      }
    }
  });

  it("hex shape", () => {
    expect(checkSignatureEncoding(ALICE_PUB, GOOD)).toBe("ok");
    expect(checkSignatureEncoding(ALICE_PUB.toUpperCase(), GOOD)).toBe("bad_length");
    expect(checkSignatureEncoding(ALICE_PUB, GOOD.slice(2))).toBe("bad_length");
    expect(checkSignatureEncoding(42 as unknown as string, GOOD)).toBe("bad_length");
  });

  it("order of reasons: S before points, canonical before small order", () => {
    expect(checkSignatureEncoding(encodeY(P), encodeY(1n) + le32(L))).toBe("non_canonical_s");
    expect(checkSignatureEncoding(encodeY(1n), encodeY(P) + le32(0n))).toBe("non_canonical_point");
  });
});

describe("keys and addresses", () => {
  const vectors = fixtureVectors(addressJson).map((v) => {
    expect(Object.keys(v).sort()).toEqual(["address", "name", "pub", "secret", "seed_phrase"]);
    return v as { name: string; seed_phrase: string | null; secret: string; pub: string; address: string };
  });
  for (const v of vectors) {
    it(`address.json: ${v.name}`, () => {
      if (v.seed_phrase !== null) expect(bytesToHex(secretFromSeedPhrase(v.seed_phrase))).toBe(v.secret);
      expect(publicKeyFromSecret(hexToBytes(v.secret))).toBe(v.pub);
      const address = addressFromPublicKey(v.pub);
      expect(address).toBe(v.address);
      expect(address).toMatch(/^[0-9a-f]{40}$/);
    });
  }

  it("secretFromSeedPhrase is sha256 of the tagged text", () => {
    expect(bytesToHex(secretFromSeedPhrase("x"))).toBe(sha256Hex(utf8("DOIN/secret/x")));
    expect(secretFromSeedPhrase("x").length).toBe(32);
  });

  it("bad inputs to the signer and to addressFromPublicKey throw (they are bugs, not data)", () => {
    expect(() => publicKeyFromSecret(new Uint8Array(31))).toThrow();
    expect(() => sign(new Uint8Array(33), MSG)).toThrow();
    expect(() => addressFromPublicKey("XYZ")).toThrow();
  });
});

describe("verifySignature never throws", () => {
  it("returns false for inputs of the wrong type", async () => {
    const junk: unknown[] = [undefined, null, 7, {}, [], "zz", GOOD.toUpperCase()];
    for (const j of junk) {
      expect(await verifySignature(j as string, MSG, GOOD)).toBe(false);
      expect(await verifySignature(ALICE_PUB, MSG, j as string)).toBe(false);
      expect(await verifySignature(ALICE_PUB, j as Uint8Array, GOOD)).toBe(false);
      expect(verifySignatureNoble(ALICE_PUB, j as Uint8Array, GOOD)).toBe(false);
    }
    expect(await verifySignature(ALICE_PUB, MSG, GOOD)).toBe(true);
  });

  afterEach(() => {
    vi.restoreAllMocks();
  });

  it("returns false when WebCrypto refuses the key", async () => {
    const other = publicKeyFromSecret(secretFromSeedPhrase("import fails"));
    const spy = vi.spyOn(crypto.subtle, "importKey").mockRejectedValue(new Error("DataError"));
    expect(await verifySignature(other, MSG, GOOD)).toBe(false);
    expect(await verifyAll([{ pub: other, message: MSG, sig: GOOD }, { pub: other, message: MSG, sig: GOOD }])).toBe(0);
    expect(spy).toHaveBeenCalledTimes(2); // once per call: the failure is not cached, the key is shared within verifyAll
  });

  it("noble returns false (does not throw) for points off the curve", () => {
    const off = encodeY(2n); // no x for y = 2
    expect(checkSignatureEncoding(off, GOOD)).toBe("ok");
    expect(verifySignatureNoble(off, MSG, GOOD)).toBe(false);
    expect(verifySignatureNoble(ALICE_PUB, MSG, off + GOOD.slice(64))).toBe(false);
  });
});

describe("verifyAll", () => {
  const signers = ["a", "b", "c"].map((s) => secretFromSeedPhrase(`verifyAll ${s}`));
  const items = Array.from({ length: 12 }, (_, i) => {
    const secret = signers[i % 3]!;
    const message = utf8(`message ${i}`);
    return { pub: publicKeyFromSecret(secret), message, sig: sign(secret, message) };
  });

  it("returns -1 for an empty list and for all-valid lists (keys repeat)", async () => {
    expect(await verifyAll([])).toBe(-1);
    expect(await verifyAll(items)).toBe(-1);
  });

  it("returns the first bad index, whether the failure is the equation or the encoding", async () => {
    const wrongMsg = { ...items[4]!, message: utf8("other") };
    const badEncoding = { ...items[7]!, sig: items[7]!.sig.slice(0, 64) + le32(L) };
    const withBoth = [...items];
    withBoth[4] = wrongMsg;
    withBoth[7] = badEncoding;
    expect(await verifyAll(withBoth)).toBe(4);
    const encodingFirst = [...items];
    encodingFirst[2] = badEncoding;
    encodingFirst[9] = wrongMsg;
    expect(await verifyAll(encodingFirst)).toBe(2);
    expect(await verifyAll([...items, badEncoding])).toBe(items.length);
  });
});

describe("key cache", () => {
  it("is bounded at 4096 imported keys", async () => {
    const sig = GOOD;
    // 4200 distinct canonical, non-small-order 32-byte keys (not real keys: verification fails)
    const pubs = Array.from({ length: 4200 }, (_, i) => sha256Hex(utf8(`cache key ${i}`)).slice(0, 62) + "00");
    const results = await Promise.all(pubs.map((p) => verifySignature(p, MSG, sig)));
    expect(results.every((r) => r === false)).toBe(true);
    expect(verifyKeyCacheSize()).toBe(4096);
    // a hit still verifies
    expect(await verifySignature(ALICE_PUB, MSG, GOOD)).toBe(true);
    expect(await verifySignature(ALICE_PUB, MSG, GOOD)).toBe(true);
    expect(verifyKeyCacheSize()).toBe(4096);
  });
});

// ---------------------------------------------------------------------------
// Properties

const secretArb = fc.uint8Array({ minLength: 32, maxLength: 32 });
const msgArb = fc.uint8Array({ minLength: 0, maxLength: 200 });

function flipBit(bytes: Uint8Array, bit: number): Uint8Array {
  const out = bytes.slice();
  const i = Math.floor(bit / 8) % out.length;
  out[i] = (out[i] as number) ^ (1 << bit % 8);
  return out;
}

describe("properties", () => {
  it("sign → verify holds (WebCrypto and noble)", async () => {
    await fc.assert(
      fc.asyncProperty(secretArb, msgArb, async (secret, msg) => {
        const pub = publicKeyFromSecret(secret);
        const sig = sign(secret, msg);
        expect(checkSignatureEncoding(pub, sig)).toBe("ok");
        expect(await verifySignature(pub, msg, sig)).toBe(true);
        expect(verifySignatureNoble(pub, msg, sig)).toBe(true);
      }),
      { numRuns: 100 },
    );
  });

  it("any single bit flip of the message or the signature fails", async () => {
    await fc.assert(
      fc.asyncProperty(secretArb, fc.uint8Array({ minLength: 1, maxLength: 100 }), fc.nat(), fc.nat(511), async (secret, msg, mbit, sbit) => {
        const pub = publicKeyFromSecret(secret);
        const sig = sign(secret, msg);
        expect(await verifySignature(pub, flipBit(msg, mbit), sig)).toBe(false);
        expect(await verifySignature(pub, msg, bytesToHex(flipBit(hexToBytes(sig), sbit)))).toBe(false);
      }),
      { numRuns: 100 },
    );
  });

  it("verifySignature and verifySignatureNoble agree on valid and mutated inputs", async () => {
    const mutation = fc.oneof(
      fc.constant({ kind: "none" as const, bit: 0 }),
      fc.record({ kind: fc.constantFrom("pub" as const, "msg" as const, "sig" as const), bit: fc.nat(511) }),
      fc.record({ kind: fc.constant("S+L" as const), bit: fc.constant(0) }),
      fc.record({ kind: fc.constant("random sig" as const), bit: fc.nat() }),
    );
    await fc.assert(
      fc.asyncProperty(secretArb, msgArb, mutation, async (secret, msg0, m) => {
        let pub = publicKeyFromSecret(secret);
        let msg: Uint8Array = msg0;
        let sig = sign(secret, msg);
        if (m.kind === "pub") pub = bytesToHex(flipBit(hexToBytes(pub), m.bit));
        if (m.kind === "msg" && msg.length > 0) msg = flipBit(msg, m.bit);
        if (m.kind === "sig") sig = bytesToHex(flipBit(hexToBytes(sig), m.bit));
        if (m.kind === "S+L") {
          let s = 0n;
          for (let i = 63; i >= 32; i--) s = (s << 8n) | BigInt(hexToBytes(sig)[i]!);
          sig = sig.slice(0, 64) + le32(s + L);
        }
        if (m.kind === "random sig") sig = sha256Hex(utf8(`r${m.bit}`)) + sha256Hex(utf8(`s${m.bit}`)).slice(0, 62) + "00";
        expect(await verifySignature(pub, msg, sig)).toBe(verifySignatureNoble(pub, msg, sig));
      }),
      { numRuns: 100 },
    );
  });
});
