/**
 * fast-check arbitraries of HTTP requests derived from a node's
 * /openapi.json: for every operation, requests whose path parameters, query
 * and JSON body follow the operation's schemas (JSON Schema as zod-openapi
 * writes it: $ref, type, properties/required/additionalProperties, pattern,
 * lengths, bounds, enum/const, anyOf/oneOf, items), and the same requests
 * with hostile mutations: wrong types, huge strings, deep nesting, bad hex,
 * unicode (lone surrogates, NUL, bidi controls), numbers JSON cannot hold,
 * raw bodies that are not JSON, wrong content types and tokens.
 *
 * Written here rather than taken from a library: the packages that derive
 * arbitraries from JSON Schema are built on fast-check 1 and do not read
 * OpenAPI 3.1's $refs and patterns as zod-openapi writes them.
 */
import fc from "fast-check";

type Schema = Record<string, unknown>;
export interface OpenapiDoc {
  readonly paths: Record<string, Record<string, Operation>>;
  readonly components?: { readonly schemas?: Record<string, Schema> };
}
interface Parameter {
  readonly name: string;
  readonly in: "path" | "query" | "header" | "cookie";
  readonly required?: boolean;
  readonly schema?: Schema;
}
interface Operation {
  readonly parameters?: readonly Parameter[];
  readonly requestBody?: { readonly content?: Record<string, { readonly schema?: Schema }> };
  readonly security?: readonly unknown[];
}

export interface FuzzRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: Record<string, string>;
  readonly body?: string | Uint8Array;
  /** which generator made it: "valid" (schema-shaped) or the mutation's name */
  readonly kind: string;
}

const MAX_DEPTH = 4;

function resolve(schema: Schema, doc: OpenapiDoc): Schema {
  const ref = schema["$ref"];
  if (typeof ref !== "string") return schema;
  const name = ref.replace("#/components/schemas/", "");
  return doc.components?.schemas?.[name] ?? {};
}

const anyJson = fc.jsonValue({ maxDepth: 2 });

/** Values shaped by a JSON Schema (bounded: short arrays, short free strings, shallow free JSON). */
export function schemaArbitrary(input: Schema, doc: OpenapiDoc, depth = 0): fc.Arbitrary<unknown> {
  const schema = resolve(input, doc);
  if ("const" in schema) return fc.constant(schema["const"]);
  if (Array.isArray(schema["enum"])) return fc.constantFrom(...(schema["enum"] as unknown[]));
  for (const key of ["anyOf", "oneOf"] as const) {
    const options = schema[key];
    if (Array.isArray(options) && options.length > 0) return fc.oneof(...(options as Schema[]).map((o) => schemaArbitrary(o, doc, depth)));
  }
  if (Array.isArray(schema["allOf"]) && schema["allOf"].length > 0) return schemaArbitrary(schema["allOf"][0] as Schema, doc, depth);
  const type = schema["type"];
  if (Array.isArray(type)) return fc.oneof(...type.map((t) => schemaArbitrary({ ...schema, type: t }, doc, depth)));
  const num = (k: string): number | undefined => (typeof schema[k] === "number" ? (schema[k] as number) : undefined);
  switch (type) {
    case "string": {
      const pattern = schema["pattern"];
      const minLength = num("minLength") ?? 0;
      const maxLength = Math.min(num("maxLength") ?? 64, 256);
      if (typeof pattern === "string") return fc.stringMatching(new RegExp(pattern)).filter((s) => s.length >= minLength && s.length <= (num("maxLength") ?? Infinity));
      if (schema["format"] === "uri") return fc.webUrl();
      return fc.string({ minLength, maxLength: Math.max(minLength, maxLength) });
    }
    case "integer": {
      const min = num("minimum") ?? (num("exclusiveMinimum") ?? -1_000_001) + 1;
      const max = num("maximum") ?? (num("exclusiveMaximum") ?? 1_000_001) - 1;
      return fc.oneof(fc.integer({ min: Math.max(min, -(2 ** 31)), max: Math.min(max, 2 ** 31 - 1) }), fc.constantFrom(min, max));
    }
    case "number":
      return fc.double({ min: num("minimum") ?? -1e9, max: num("maximum") ?? 1e9, noNaN: true, noDefaultInfinity: true });
    case "boolean":
      return fc.boolean();
    case "null":
      return fc.constant(null);
    case "array": {
      const items = (schema["items"] as Schema | undefined) ?? {};
      const minLength = num("minItems") ?? 0;
      return depth >= MAX_DEPTH ? fc.constant([]) : fc.array(schemaArbitrary(items, doc, depth + 1), { minLength, maxLength: Math.max(minLength, Math.min(num("maxItems") ?? 4, 4)) });
    }
    case "object": {
      const props = (schema["properties"] as Record<string, Schema> | undefined) ?? {};
      const required = (schema["required"] as string[] | undefined) ?? [];
      if (Object.keys(props).length === 0) {
        const extra = schema["additionalProperties"];
        if (extra === false) return fc.constant({});
        const values = typeof extra === "object" && extra !== null ? schemaArbitrary(extra as Schema, doc, depth + 1) : anyJson;
        return depth >= MAX_DEPTH ? fc.constant({}) : fc.dictionary(fc.string({ maxLength: 12 }), values, { maxKeys: 4 });
      }
      const record: Record<string, fc.Arbitrary<unknown>> = {};
      for (const [k, v] of Object.entries(props)) record[k] = depth >= MAX_DEPTH ? anyJson : schemaArbitrary(v, doc, depth + 1);
      return fc.record(record, { requiredKeys: required.filter((k) => k in record) });
    }
    default:
      return anyJson; // free JSON (z.unknown / z.any)
  }
}

// ------------------------------------------------------------------ hostile

const nested = (depth: number): unknown => {
  let v: unknown = 1;
  for (let i = 0; i < depth; i++) v = i % 2 === 0 ? [v] : { a: v };
  return v;
};

/** Values nobody should send: each is answered 4xx wherever it lands. */
export const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(null, true, 0, -1, -0, 1.5, 2 ** 53 + 1, Number.MAX_VALUE, -Number.MAX_VALUE, 5e-324, "", " ", "NaN", "Infinity", "-0", "1e308", "0x10", "00", "+1"),
  fc.constantFrom("ABCDEF".repeat(11).slice(0, 64), "g".repeat(64), "0".repeat(63), "0".repeat(65), "0".repeat(129), "０".repeat(64)), // bad hex: case, alphabet, length, full-width
  fc.constantFrom("\u0000", "\ud800", "\udfff\ud800", "\u202e\u2066evil", "é".normalize("NFD"), "🦄".repeat(100), "\uffff", "a\u0000b"),
  fc.string({ unit: "binary", maxLength: 40 }),
  fc.string({ unit: "grapheme", maxLength: 40 }),
  fc.integer({ min: 1_000, max: 200_000 }).map((n) => "x".repeat(n)), // huge strings
  fc.integer({ min: 65, max: 4_000 }).map(nested), // deeper than any reader allows
  fc.array(fc.integer(), { minLength: 1_000, maxLength: 5_000 }),
  fc.dictionary(fc.string({ maxLength: 8 }), fc.integer(), { minKeys: 200, maxKeys: 400 }),
  fc.jsonValue({ maxDepth: 3 }),
);

/** Raw bodies that are not (or not quite) JSON. */
const hostileRawBody: fc.Arbitrary<string | Uint8Array> = fc.oneof(
  fc.constantFrom("", "{", "}", "[", "null", "NaN", "Infinity", "1e999", '{"a":1e999}', '{"a":-1e999}', "\ufeff{}", '{"a":1,"a":2}', '{"__proto__":{"x":1}}', '{"constructor":{"prototype":{}}}', "[]".repeat(3), '"\\ud800"'),
  fc.integer({ min: 100, max: 30_000 }).map((n) => `${"[".repeat(n)}1${"]".repeat(n)}`),
  fc.integer({ min: 100, max: 30_000 }).map((n) => "[".repeat(n)), // unterminated
  fc.string({ maxLength: 200 }),
  fc.uint8Array({ minLength: 1, maxLength: 300 }), // anything, invalid UTF-8 included
  fc.constant(new Uint8Array([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xc3, 0x28, 0x22, 0x7d])), // {"a":"<bad utf-8>"}
);

const hostileSegment = fc.oneof(
  fc.constantFrom("%00", "%zz", "..%2f..%2fetc", "%2e%2e", "%ff%fe", "%ed%a0%80", "a%20b", "-1", "1e3", "0x10", "NaN", "9".repeat(40), "%F0%9F%A6%84"),
  fc.integer({ min: 300, max: 8_000 }).map((n) => "a".repeat(n)),
  fc.string({ unit: "grapheme", minLength: 1, maxLength: 30 }).map(encodeURIComponent),
);

/** A JSON body mutated one way. */
function mutateBody(valid: fc.Arbitrary<unknown>): fc.Arbitrary<{ kind: string; body: unknown }> {
  return fc.oneof(
    fc.tuple(valid, fc.nat(), hostileValue).map(([v, i, h]) => {
      if (v === null || typeof v !== "object" || Array.isArray(v)) return { kind: "replace-body", body: h };
      const keys = Object.keys(v as object);
      if (keys.length === 0) return { kind: "replace-body", body: h };
      const key = keys[i % keys.length] as string;
      const inner = (v as Record<string, unknown>)[key];
      // one level down where there is one: the value reaches the field's own checks
      if (inner !== null && typeof inner === "object" && !Array.isArray(inner) && Object.keys(inner).length > 0) {
        const k2 = Object.keys(inner)[i % Object.keys(inner).length] as string;
        return { kind: "wrong-nested-field", body: { ...(v as object), [key]: { ...(inner as object), [k2]: h } } };
      }
      return { kind: "wrong-field", body: { ...(v as object), [key]: h } };
    }),
    fc.tuple(valid, fc.nat()).map(([v, i]) => {
      if (v === null || typeof v !== "object" || Array.isArray(v)) return { kind: "drop-field", body: v };
      const keys = Object.keys(v as object);
      const copy = { ...(v as Record<string, unknown>) };
      if (keys.length > 0) delete copy[keys[i % keys.length] as string];
      return { kind: "drop-field", body: copy };
    }),
    fc.tuple(valid, fc.string({ maxLength: 10 }), hostileValue).map(([v, k, h]) => ({ kind: "extra-field", body: v !== null && typeof v === "object" && !Array.isArray(v) ? { ...(v as object), [`x${k}`]: h } : [v, h] })),
    hostileValue.map((h) => ({ kind: "replace-body", body: h })),
  );
}

const CONTENT_TYPES = ["application/json", "application/json; charset=utf-8", "text/plain", "application/x-www-form-urlencoded", "application/json; charset=utf-16", "multipart/form-data; boundary=x"];

/** Requests for one operation: schema-shaped ones and hostile ones. */
export function operationArbitrary(doc: OpenapiDoc, path: string, method: string, token: string): fc.Arbitrary<FuzzRequest> {
  const op = doc.paths[path]?.[method] as Operation;
  const params = op.parameters ?? [];
  const pathParams = params.filter((p) => p.in === "path");
  const queryParams = params.filter((p) => p.in === "query");
  const bodySchema = op.requestBody?.content?.["application/json"]?.schema;
  const valid = bodySchema === undefined ? fc.constant(undefined) : schemaArbitrary(bodySchema, doc);

  const segment = (p: Parameter) => fc.oneof({ weight: 3, arbitrary: schemaArbitrary(p.schema ?? {}, doc).map((v) => encodeURIComponent(String(v))) }, { weight: 1, arbitrary: hostileSegment });
  const pathArb = pathParams.length === 0 ? fc.constant(path) : fc.tuple(...pathParams.map(segment)).map((values) => pathParams.reduce((acc, p, i) => acc.replace(`{${p.name}}`, values[i] as string), path));
  const queryValue = (p: Parameter) => fc.oneof({ weight: 3, arbitrary: schemaArbitrary(p.schema ?? {}, doc).map((v) => String(v)) }, { weight: 1, arbitrary: hostileValue.map((v) => (typeof v === "string" ? v : JSON.stringify(v) ?? "")) });
  const queryArb = fc
    .tuple(
      fc.tuple(...queryParams.map((p) => fc.option(queryValue(p), { nil: undefined, freq: p.required === true ? 10 : 2 }))),
      fc.option(fc.tuple(fc.string({ maxLength: 8 }), fc.string({ maxLength: 20 })), { freq: 5 }),
    )
    .map(([values, extra]) => {
      const q = new URLSearchParams();
      queryParams.forEach((p, i) => {
        const v = values[i];
        if (v !== undefined) q.append(p.name, v.slice(0, 10_000));
      });
      if (extra !== null) q.append(`x${extra[0]}`, extra[1]);
      const s = q.toString();
      return s === "" ? "" : `?${s}`;
    });
  const headersArb = fc.record({
    auth: fc.constantFrom(`Bearer ${token}`, `Bearer ${token}`, `Bearer ${token}`, "Bearer wrong", "", `bearer ${token}`),
    type: fc.oneof({ weight: 6, arbitrary: fc.constant("application/json") }, { weight: 1, arbitrary: fc.constantFrom(...CONTENT_TYPES) }),
    client: fc.ipV4(),
  });
  const bodyArb: fc.Arbitrary<{ kind: string; body?: string | Uint8Array }> =
    bodySchema === undefined && method === "get"
      ? fc.constant({ kind: "valid" })
      : fc.oneof(
          { weight: 3, arbitrary: valid.map((v) => ({ kind: "valid", body: JSON.stringify(v) ?? "null" })) },
          { weight: 4, arbitrary: mutateBody(valid).map(({ kind, body }) => ({ kind, body: JSON.stringify(body) ?? "null" })) },
          { weight: 1, arbitrary: hostileRawBody.map((b) => ({ kind: "raw-body", body: b })) },
        );
  return fc.tuple(pathArb, queryArb, headersArb, bodyArb).map(([p, q, h, b]) => {
    const headers: Record<string, string> = { "cf-connecting-ip": h.client };
    if (h.auth !== "") headers["authorization"] = h.auth;
    if (b.body !== undefined) headers["content-type"] = h.type;
    return { method: method.toUpperCase(), path: `${p}${q}`, headers, ...(b.body === undefined ? {} : { body: b.body }), kind: b.kind };
  });
}
