import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { canonicalJson, utf8 } from "../../core/encoding.ts";
import { hashOf, merkleRoot, sha256Hex, taggedHashBytes, type HashTag } from "../../core/hash.ts";
import { bytesToHex, hexToBytes, isHex } from "../../core/hex.ts";
import merkleJson from "../vectors/merkle.json";

const TAGS: readonly HashTag[] = ["tx", "block", "commitment", "params", "coinbase", "state", "merkle", "address", "quorum", "evaluator-seed", "envelope", "genesis"];

/** Node's own SHA-256, independent of @noble/hashes. */
function nodeSha256(...parts: Uint8Array[]): string {
  const h = createHash("sha256");
  for (const p of parts) h.update(p);
  return h.digest("hex");
}

const MERKLE = (() => {
  expect(Object.keys(merkleJson).sort()).toEqual(["description", "how_computed", "source", "vectors"]);
  return (merkleJson.vectors as Record<string, unknown>[]).map((v) => {
    expect(Object.keys(v).sort()).toEqual(["ids", "name", "root"]);
    return v as unknown as { name: string; ids: string[]; root: string };
  });
})();

describe("merkle.json vectors", () => {
  it("covers 0, 1, 2, 3 and 5 leaves", () => {
    const sizes = MERKLE.map((v) => v.ids.length);
    for (const n of [0, 1, 2, 3, 5]) expect(sizes).toContain(n);
  });
  for (const v of MERKLE) {
    it(v.name, () => {
      expect(merkleRoot(v.ids)).toBe(v.root);
    });
  }
  it("rejects ids that are not lower-case hex", () => {
    expect(() => merkleRoot(["ABCD"])).toThrow(TypeError);
  });
});

describe("tagged hashing", () => {
  it("taggedHashBytes is sha256(\"DOIN/<tag>/\" || bytes) for every tag", () => {
    const data = utf8("payload");
    for (const tag of TAGS) {
      expect(bytesToHex(taggedHashBytes(tag, data))).toBe(nodeSha256(utf8(`DOIN/${tag}/`), data));
      expect(bytesToHex(taggedHashBytes(tag, data))).toBe(nodeSha256(utf8(`DOIN/${tag}/`), data)); // cached prefix
    }
  });

  it("hashOf hashes the canonical JSON under the tag; tags separate domains", () => {
    const value = { b: [1, 2n], a: "x" };
    const seen = new Set<string>();
    for (const tag of TAGS) {
      const h = hashOf(tag, value);
      expect(h).toBe(nodeSha256(utf8(`DOIN/${tag}/${canonicalJson(value)}`)));
      seen.add(h);
    }
    expect(seen.size).toBe(TAGS.length);
  });

  it("sha256Hex", () => {
    expect(sha256Hex(utf8("abc"))).toBe("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  });
});

describe("hex", () => {
  it("round-trips and validates", () => {
    expect(bytesToHex(new Uint8Array([0, 15, 16, 255]))).toBe("000f10ff");
    expect(Array.from(hexToBytes("000f10ff"))).toEqual([0, 15, 16, 255]);
    expect(isHex("00ff", 2)).toBe(true);
    expect(isHex("00ff", 3)).toBe(false);
    expect(isHex("0F")).toBe(false);
    expect(isHex("abc")).toBe(false);
    expect(isHex(12)).toBe(false);
    expect(() => hexToBytes("abc")).toThrow(TypeError);
  });
});

const idArb = fc.uint8Array({ minLength: 32, maxLength: 32 }).map(bytesToHex);

describe("properties", () => {
  it("merkleRoot changes when any leaf changes, and a single leaf's root is not the leaf", () => {
    fc.assert(
      fc.property(fc.array(idArb, { minLength: 1, maxLength: 9 }), fc.nat(), fc.nat(255), (ids, at, bit) => {
        const root = merkleRoot(ids);
        const i = at % ids.length;
        const bytes = hexToBytes(ids[i]!);
        bytes[bit % 32] = (bytes[bit % 32] as number) ^ (1 << bit % 8);
        const changed = [...ids];
        changed[i] = bytesToHex(bytes);
        expect(merkleRoot(changed)).not.toBe(root);
        if (ids.length === 1) expect(root).not.toBe(ids[0]);
      }),
      { numRuns: 100 },
    );
  });

  it("merkleRoot depends on order", () => {
    fc.assert(
      fc.property(fc.uniqueArray(idArb, { minLength: 2, maxLength: 6 }), (ids) => {
        expect(merkleRoot([...ids].reverse())).not.toBe(merkleRoot(ids));
      }),
      { numRuns: 100 },
    );
  });
});
