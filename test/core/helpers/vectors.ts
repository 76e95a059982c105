/**
 * Loads a JSON vector file from test/vectors/ and checks its shape strictly:
 * a runner that met a field it does not know would silently skip a check, so
 * unknown fields (and missing ones) fail the test instead.
 */
import { readFileSync } from "node:fs";

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

export function loadVectors(name: string): JsonObject[] {
  const text = readFileSync(new URL(`../../vectors/${name}.json`, import.meta.url), "utf8");
  const doc = asObject(JSON.parse(text) as Json, name);
  expectKeys(doc, ["description", "source", "how_computed", "vectors"], [], name);
  const vectors = doc["vectors"];
  if (!Array.isArray(vectors) || vectors.length === 0) throw new Error(`${name}: "vectors" must be a non-empty array`);
  return vectors.map((v, i) => asObject(v, `${name}.vectors[${i}]`));
}

/** Throws unless `obj` has every required key, and no key outside required ∪ optional. */
export function expectKeys(obj: JsonObject, required: readonly string[], optional: readonly string[], where: string): void {
  for (const k of required) if (!(k in obj)) throw new Error(`${where}: missing field "${k}"`);
  for (const k of Object.keys(obj)) {
    if (!required.includes(k) && !optional.includes(k)) throw new Error(`${where}: unknown field "${k}"`);
  }
}

export function asObject(v: Json | undefined, where: string): JsonObject {
  if (typeof v !== "object" || v === null || Array.isArray(v)) throw new Error(`${where}: expected an object`);
  return v;
}

export function asArray(v: Json | undefined, where: string): Json[] {
  if (!Array.isArray(v)) throw new Error(`${where}: expected an array`);
  return v;
}

/** A bigint written as a decimal string. */
export function big(v: Json | undefined, where: string): bigint {
  if (typeof v !== "string" || !/^-?\d+$/.test(v)) throw new Error(`${where}: expected a decimal string, got ${JSON.stringify(v)}`);
  return BigInt(v);
}

export function int(v: Json | undefined, where: string): number {
  if (typeof v !== "number" || !Number.isSafeInteger(v)) throw new Error(`${where}: expected a safe integer, got ${JSON.stringify(v)}`);
  return v;
}

export function str(v: Json | undefined, where: string): string {
  if (typeof v !== "string") throw new Error(`${where}: expected a string`);
  return v;
}

export function bool(v: Json | undefined, where: string): boolean {
  if (typeof v !== "boolean") throw new Error(`${where}: expected a boolean`);
  return v;
}
