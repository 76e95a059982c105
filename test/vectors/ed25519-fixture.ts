/**
 * test/vectors/ed25519.json, read and checked field by field: the same
 * vectors run in Node (test/core/keys.test.ts) and in workerd
 * (test/workers/ed25519-vectors.test.ts), so that the two runtimes are shown
 * to give every vector the same verdict.
 */
import { expect } from "vitest";
import type { SignatureEncodingCheck } from "../../core/keys.ts";
import ed25519Json from "./ed25519.json";

export interface EdVector {
  readonly name: string;
  readonly secret: string | null;
  readonly pub: string;
  readonly msg: string;
  readonly sig: string;
  /** our verdict (strict encodings, then WebCrypto) */
  readonly expect: boolean;
  /** @noble/ed25519's verdict (cofactored, ZIP 215) */
  readonly noble: boolean;
  readonly precheck: SignatureEncodingCheck;
  readonly bare_equation: boolean | null;
  readonly reason: string;
}

const FIELDS = ["bare_equation", "expect", "msg", "name", "noble", "precheck", "pub", "reason", "secret", "sig"];
const CHECKS: readonly string[] = ["ok", "bad_length", "non_canonical_s", "non_canonical_point", "small_order_point"];

/** A fixture document's vectors, after checking its top-level keys. */
export function fixtureVectors(doc: unknown): readonly Record<string, unknown>[] {
  expect(Object.keys(doc as object).sort()).toEqual(["description", "how_computed", "source", "vectors"]);
  const vectors = (doc as { vectors: unknown }).vectors;
  expect(Array.isArray(vectors)).toBe(true);
  return vectors as Record<string, unknown>[];
}

/** Every Ed25519 vector, each field's presence and type checked. */
export function ed25519Vectors(): readonly EdVector[] {
  return fixtureVectors(ed25519Json).map((v) => {
    expect(Object.keys(v).sort(), String(v["name"])).toEqual(FIELDS);
    for (const k of ["name", "pub", "msg", "sig", "reason"]) expect(typeof v[k]).toBe("string");
    for (const k of ["expect", "noble"]) expect(typeof v[k]).toBe("boolean");
    expect(v["secret"] === null || typeof v["secret"] === "string").toBe(true);
    expect(v["bare_equation"] === null || typeof v["bare_equation"] === "boolean").toBe(true);
    expect(CHECKS).toContain(v["precheck"]);
    return v as unknown as EdVector;
  });
}
