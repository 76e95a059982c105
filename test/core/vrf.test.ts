import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { bytesToHex, hexToBytes } from "../../core/hex.ts";
import { publicKeyFromSecret } from "../../core/keys.ts";
import { vrfOutput, vrfProve, vrfVerify } from "../../core/vrf.ts";
import { expectKeys, loadVectors, str } from "./helpers/vectors.ts";

const VECTORS = loadVectors("vrf");

describe("vrf.json (RFC 9381 ECVRF-EDWARDS25519-SHA512-TAI)", () => {
  it("has the RFC's vectors, generated ones and refusals", () => {
    expect(VECTORS.filter((v) => str(v["name"], "name").startsWith("RFC 9381"))).toHaveLength(3);
    expect(VECTORS.filter((v) => v["output"] === null).length).toBeGreaterThanOrEqual(10);
  });

  for (const v of VECTORS) {
    const name = str(v["name"], "name");
    it(name, () => {
      expectKeys(v, ["name", "public", "alpha", "proof", "output"], ["secret"], name);
      const alpha = hexToBytes(str(v["alpha"], "alpha"));
      const proof = str(v["proof"], "proof");
      const output = v["output"] === null ? null : str(v["output"], "output");
      expect(vrfVerify(str(v["public"], "public"), alpha, proof)).toBe(output);
      if (v["secret"] !== undefined) {
        const secret = hexToBytes(str(v["secret"], "secret"));
        expect(publicKeyFromSecret(secret)).toBe(v["public"]);
        expect(vrfProve(secret, alpha)).toBe(proof);
        expect(vrfOutput(proof)).toBe(output);
      }
    });
  }
});

describe("vrf properties", () => {
  it("a proof verifies to its output, and only under its own key and input", () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.uint8Array({ minLength: 0, maxLength: 40 }), (sk, other, alpha) => {
        const proof = vrfProve(sk, alpha);
        const out = vrfVerify(publicKeyFromSecret(sk), alpha, proof);
        expect(out).toBe(vrfOutput(proof));
        expect(out).toMatch(/^[0-9a-f]{128}$/);
        if (bytesToHex(other) !== bytesToHex(sk)) expect(vrfVerify(publicKeyFromSecret(other), alpha, proof)).toBeNull();
        const changed = Uint8Array.from([...alpha, 1]);
        expect(vrfVerify(publicKeyFromSecret(sk), changed, proof)).toBeNull();
      }),
      { numRuns: 25 },
    );
  });

  it("a key seen often (its table of multiples built) verifies as one seen once, and still refuses a proof changed in c, s or Γ", () => {
    const sk = new Uint8Array(32).fill(9);
    const pub = publicKeyFromSecret(sk);
    for (let i = 0; i < 6; i++) {
      const alpha = Uint8Array.of(i, 1, 2);
      const proof = vrfProve(sk, alpha);
      expect(vrfVerify(pub, alpha, proof)).toBe(vrfOutput(proof));
      const bytes = hexToBytes(proof);
      for (const at of [0, 32, 47, 48, 79]) {
        const changed = Uint8Array.from(bytes);
        changed[at] = (changed[at] as number) ^ 1;
        expect(vrfVerify(pub, alpha, bytesToHex(changed))).toBeNull();
      }
    }
    // more keys than are kept: the first key's table is dropped and rebuilt, its proofs unchanged
    for (let k = 0; k < 40; k++) {
      const other = Uint8Array.of(k, ...new Uint8Array(31));
      const alpha = Uint8Array.of(k);
      const p = vrfProve(other, alpha);
      expect(vrfVerify(publicKeyFromSecret(other), alpha, p)).toBe(vrfOutput(p));
    }
    const again = vrfProve(sk, Uint8Array.of(7));
    for (let i = 0; i < 3; i++) expect(vrfVerify(pub, Uint8Array.of(7), again)).toBe(vrfOutput(again));
  });

  it("never throws on garbage", () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), fc.uint8Array({ maxLength: 8 }), (pub, proof, alpha) => {
        expect(vrfVerify(pub, alpha, proof)).toBeNull();
      }),
      { numRuns: 200 },
    );
    for (const proof of ["00".repeat(80), "ff".repeat(80)]) expect(vrfVerify(publicKeyFromSecret(new Uint8Array(32).fill(3)), new Uint8Array(1), proof)).toBeNull();
  });
});
