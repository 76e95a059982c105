/**
 * The one canonical encoding of everything hashed or signed: RFC 8785 JSON
 * Canonicalization (JCS), through the `canonicalize` package (the RFC
 * author's reference implementation for JavaScript).
 *
 * JCS alone would still let a float reach a hash, and floats are where two
 * runtimes may disagree; so before canonicalizing, `toWire` admits only
 * strings, booleans, null, safe integers, arrays and plain objects, and turns
 * bigints (coin amounts, fixed-point values) into decimal strings. Anything
 * else is a bug in the caller and throws.
 */
import canonicalize from "canonicalize";
import type { JsonValue } from "./types.ts";

const encoder = new TextEncoder();

/** Anything `toWire` accepts: JSON values plus bigints, possibly readonly. */
export type Encodable =
  | null
  | boolean
  | number
  | bigint
  | string
  | readonly Encodable[]
  | { readonly [key: string]: Encodable | undefined };

export class EncodingError extends Error {
  override readonly name = "EncodingError";
}

/** Converts a value to its wire form: bigints become decimal strings; floats, NaN and non-plain objects throw. */
export function toWire(value: Encodable, path = "$"): JsonValue {
  switch (typeof value) {
    case "string":
    case "boolean":
      return value;
    case "bigint":
      return value.toString(10);
    case "number":
      if (!Number.isSafeInteger(value)) {
        throw new EncodingError(`${path}: only safe integers may be encoded, got ${value}`);
      }
      return value;
    case "object": {
      if (value === null) return null;
      if (Array.isArray(value)) {
        return (value as readonly Encodable[]).map((v, i) => toWire(v, `${path}[${i}]`));
      }
      const proto = Object.getPrototypeOf(value) as unknown;
      if (proto !== Object.prototype && proto !== null) {
        throw new EncodingError(`${path}: only plain objects may be encoded`);
      }
      const out: Record<string, JsonValue> = {};
      for (const [k, v] of Object.entries(value)) {
        if (v === undefined) continue;
        out[k] = toWire(v, `${path}.${k}`);
      }
      return out;
    }
    default:
      throw new EncodingError(`${path}: cannot encode a ${typeof value}`);
  }
}

/**
 * The wire form of a record declared as an interface (chain parameters, a
 * domain's rules): toWire of each field. Interfaces carry no index signature,
 * so they are not `Encodable` to the type checker; the encoder's own checks
 * still refuse any field that does not encode.
 */
export function recordToWire(value: object, path = "$"): { readonly [key: string]: JsonValue } {
  const out: Record<string, JsonValue> = {};
  for (const [k, v] of Object.entries(value)) {
    if (v === undefined) continue;
    out[k] = toWire(v, `${path}.${k}`);
  }
  return out;
}

/** RFC 8785 canonical JSON text of a value. */
export function canonicalJson(value: Encodable): string {
  const text = canonicalize(toWire(value));
  if (text === undefined) throw new EncodingError("value has no JSON form");
  return text;
}

/** UTF-8 bytes of the canonical JSON text. */
export function canonicalBytes(value: Encodable): Uint8Array {
  return encoder.encode(canonicalJson(value));
}

/** Strings up to this long are encoded by hand when they are ASCII: TextEncoder's call costs more than the copy for keys and ids. */
const SHORT_ASCII = 128;

export function utf8(text: string): Uint8Array {
  if (text.length <= SHORT_ASCII) {
    const out = new Uint8Array(text.length);
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c > 0x7f) return encoder.encode(text);
      out[i] = c;
    }
    return out;
  }
  return encoder.encode(text);
}

/**
 * Checks that a JSON value parsed from the wire contains no floats
 * (parameters of an optimae are hashed; a float there could hash differently
 * on another node). Returns the path of the first float, or null.
 */
export function findNonInteger(value: unknown, path = "$"): string | null {
  if (typeof value === "number") return Number.isSafeInteger(value) ? null : path;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const p = findNonInteger(value[i], `${path}[${i}]`);
      if (p !== null) return p;
    }
    return null;
  }
  if (value !== null && typeof value === "object") {
    for (const [k, v] of Object.entries(value)) {
      const p = findNonInteger(v, `${path}.${k}`);
      if (p !== null) return p;
    }
  }
  return null;
}
