/**
 * Strict readers for values arriving from the wire (JSON already parsed).
 * Each returns the typed value or a message naming the field; parsers build
 * on them so that every rejection says exactly what was wrong.
 */
import { isHex } from "./hex.ts";

export class WireError extends Error {
  override readonly name = "WireError";
}

export type Obj = Record<string, unknown>;

export function asObject(v: unknown, path: string, keys: readonly string[]): Obj {
  if (v === null || typeof v !== "object" || Array.isArray(v)) throw new WireError(`${path}: expected an object`);
  const o = v as Obj;
  for (const k of Object.keys(o)) {
    if (!keys.includes(k)) throw new WireError(`${path}.${k}: unknown field`);
  }
  for (const k of keys) {
    if (!(k in o)) throw new WireError(`${path}.${k}: missing`);
  }
  return o;
}

export function asString(v: unknown, path: string, maxLen: number, re?: RegExp): string {
  if (typeof v !== "string") throw new WireError(`${path}: expected a string`);
  if (v.length > maxLen) throw new WireError(`${path}: longer than ${maxLen} characters`);
  if (re !== undefined && !re.test(v)) throw new WireError(`${path}: does not match ${re.source}`);
  return v;
}

export function asHex(v: unknown, path: string, bytes: number): string {
  if (!isHex(v, bytes)) throw new WireError(`${path}: expected ${bytes * 2} lower-case hex characters`);
  return v;
}

export function asInt(v: unknown, path: string, min: number, max: number = Number.MAX_SAFE_INTEGER): number {
  if (typeof v !== "number" || !Number.isSafeInteger(v)) throw new WireError(`${path}: expected an integer`);
  if (v < min || v > max) throw new WireError(`${path}: out of range [${min}, ${max}]`);
  return v;
}

const BIG_RE = /^-?(0|[1-9][0-9]{0,39})$/;

/** A bigint written as a canonical decimal string (no leading zeros, no "+", no "-0"). */
export function asBig(v: unknown, path: string, min: bigint, max: bigint): bigint {
  if (typeof v !== "string" || !BIG_RE.test(v) || v === "-0") {
    throw new WireError(`${path}: expected an integer as a canonical decimal string`);
  }
  const b = BigInt(v);
  if (b < min || b > max) throw new WireError(`${path}: out of range [${min}, ${max}]`);
  return b;
}

export function asArray(v: unknown, path: string, maxLen: number): readonly unknown[] {
  if (!Array.isArray(v)) throw new WireError(`${path}: expected an array`);
  if (v.length > maxLen) throw new WireError(`${path}: more than ${maxLen} items`);
  return v;
}
