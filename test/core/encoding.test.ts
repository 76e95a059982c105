import { describe, expect, it } from "vitest";
import fc from "fast-check";
import {
  canonicalBytes,
  canonicalJson,
  EncodingError,
  findNonInteger,
  toWire,
  utf8,
  type Encodable,
} from "../../core/encoding.ts";
import { hashOf, type HashTag } from "../../core/hash.ts";
import { bytesToHex } from "../../core/hex.ts";
import encodingJson from "../vectors/encoding.json";

const TAGS: readonly HashTag[] = ["tx", "block", "commitment", "params", "coinbase", "state", "merkle", "address", "quorum", "evaluator-seed", "envelope", "genesis"];

/** Fixture value → Encodable: {"$bigint": "..."} → bigint, {"$number": "..."} → a number JSON cannot spell. */
function fromFixture(v: unknown): Encodable {
  if (Array.isArray(v)) return v.map(fromFixture);
  if (v !== null && typeof v === "object") {
    const entries = Object.entries(v);
    const marker = entries.length === 1 && entries[0]![0].startsWith("$") ? entries[0]! : undefined;
    if (marker !== undefined) {
      const [k, s] = marker;
      if (typeof s !== "string") throw new Error(`bad marker value for ${k}`);
      if (k === "$bigint") return BigInt(s);
      if (k === "$number") {
        const n = { NaN: Number.NaN, Infinity: Number.POSITIVE_INFINITY, "-Infinity": Number.NEGATIVE_INFINITY, "-0": -0 }[s];
        if (n === undefined) throw new Error(`unknown $number ${s}`);
        return n;
      }
      throw new Error(`unknown fixture marker ${k}`);
    }
    const out: Record<string, Encodable> = {};
    for (const [k, x] of entries) out[k] = fromFixture(x);
    return out;
  }
  if (v === null || typeof v === "string" || typeof v === "number" || typeof v === "boolean") return v;
  throw new Error(`unexpected fixture value ${String(v)}`);
}

type EncVector =
  | { readonly name: string; readonly input: unknown; readonly expect: "ok"; readonly canonical: string; readonly hashes: Readonly<Record<string, string>> }
  | { readonly name: string; readonly input: unknown; readonly expect: "throws" };

function encVectors(doc: unknown): readonly EncVector[] {
  expect(Object.keys(doc as object).sort()).toEqual(["description", "how_computed", "source", "vectors"]);
  return (doc as { vectors: Record<string, unknown>[] }).vectors.map((v) => {
    const name = String(v["name"]);
    if (v["expect"] === "ok") {
      expect(Object.keys(v).sort(), name).toEqual(["canonical", "expect", "hashes", "input", "name"]);
      expect(typeof v["canonical"]).toBe("string");
      for (const [tag, h] of Object.entries(v["hashes"] as object)) {
        expect(TAGS).toContain(tag);
        expect(h).toMatch(/^[0-9a-f]{64}$/);
      }
    } else {
      expect(v["expect"], name).toBe("throws");
      expect(Object.keys(v).sort(), name).toEqual(["expect", "input", "name"]);
    }
    return v as unknown as EncVector;
  });
}

const VECTORS = encVectors(encodingJson);

describe("encoding.json vectors", () => {
  it("covers ok and throws cases", () => {
    expect(VECTORS.filter((v) => v.expect === "ok").length).toBeGreaterThan(20);
    expect(VECTORS.filter((v) => v.expect === "throws").length).toBeGreaterThan(5);
  });

  for (const v of VECTORS) {
    it(`${v.expect}: ${v.name}`, () => {
      const input = fromFixture(v.input);
      if (v.expect === "throws") {
        expect(() => canonicalJson(input)).toThrow(EncodingError);
        expect(() => toWire(input)).toThrow(EncodingError);
        expect(() => hashOf("tx", input)).toThrow(EncodingError);
        return;
      }
      expect(canonicalJson(input)).toBe(v.canonical);
      expect(bytesToHex(canonicalBytes(input))).toBe(bytesToHex(utf8(v.canonical)));
      expect(Object.keys(v.hashes).length).toBeGreaterThanOrEqual(5);
      for (const [tag, h] of Object.entries(v.hashes)) expect(hashOf(tag as HashTag, input), tag).toBe(h);
    });
  }
});

describe("toWire", () => {
  it("drops undefined object members, keeps null", () => {
    expect(canonicalJson({ b: undefined, a: null })).toBe('{"a":null}');
  });
  it("accepts null-prototype objects, rejects class instances, maps, dates", () => {
    const bare = Object.create(null) as Record<string, Encodable>;
    bare["x"] = 1n;
    expect(canonicalJson(bare)).toBe('{"x":"1"}');
    for (const bad of [new Date(0), new Map(), new Uint8Array(2), new (class Foo {})()]) {
      expect(() => toWire(bad as unknown as Encodable)).toThrow(/plain objects/);
    }
  });
  it("rejects functions, symbols and undefined, naming the path", () => {
    expect(() => toWire({ a: [1, (() => 1) as unknown as Encodable] })).toThrow("$.a[1]: cannot encode a function");
    expect(() => toWire(Symbol("s") as unknown as Encodable)).toThrow(/symbol/);
    expect(() => toWire(undefined as unknown as Encodable)).toThrow(/undefined/);
    expect(() => toWire({ x: { y: 0.5 } })).toThrow("$.x.y: only safe integers");
  });
});

describe("findNonInteger", () => {
  it("finds the path of the first non-integer", () => {
    expect(findNonInteger({ a: [1, 2, { b: 3 }], c: "x", d: null, e: true })).toBeNull();
    expect(findNonInteger(JSON.parse('{"a":[1,2,{"b":3.5}]}'))).toBe("$.a[2].b");
    expect(findNonInteger([0, 1e300])).toBe("$[1]");
    expect(findNonInteger(2 ** 53)).toBe("$");
  });
});

// ---------------------------------------------------------------------------
// Properties

const keyArb = fc.string({ unit: "grapheme", maxLength: 6 });
const leafArb: fc.Arbitrary<Encodable> = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  fc.maxSafeInteger(),
  fc.bigInt(),
  fc.string({ unit: "grapheme", maxLength: 12 }),
);
const valueArb: fc.Arbitrary<Encodable> = fc.letrec<{ v: Encodable }>((tie) => ({
  v: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    leafArb,
    fc.array(tie("v"), { maxLength: 4 }),
    fc.dictionary(keyArb, tie("v"), { maxKeys: 4, noNullPrototype: true }),
  ),
})).v;

function shuffleKeys(v: Encodable, seed: number): Encodable {
  if (Array.isArray(v)) return (v as readonly Encodable[]).map((x, i) => shuffleKeys(x, seed + i));
  if (v !== null && typeof v === "object") {
    const entries = Object.entries(v as Record<string, Encodable>);
    entries.sort((a, b) => ((a[0].length * 31 + seed) % 7) - ((b[0].length * 31 + seed) % 7) || (a[0] < b[0] ? 1 : -1));
    const out: Record<string, Encodable> = {};
    for (const [k, x] of entries) out[k] = shuffleKeys(x, seed + 1);
    return out;
  }
  return v;
}

describe("properties", () => {
  it("canonical text parses back to the wire form, and is a fixed point", () => {
    fc.assert(
      fc.property(valueArb, (v) => {
        const text = canonicalJson(v);
        const parsed = JSON.parse(text) as Encodable;
        expect(parsed).toEqual(toWire(v));
        expect(canonicalJson(parsed)).toBe(text);
      }),
      { numRuns: 100 },
    );
  });

  it("member order does not change the text or the hash", () => {
    fc.assert(
      fc.property(valueArb, fc.nat(100), (v, seed) => {
        const w = shuffleKeys(v, seed);
        expect(canonicalJson(w)).toBe(canonicalJson(v));
        expect(hashOf("params", w)).toBe(hashOf("params", v));
      }),
      { numRuns: 100 },
    );
  });
});
