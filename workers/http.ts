/**
 * HTTP conventions of the node, shared by every route module:
 * - every error is JSON `{code, message}` with a 4xx status (5xx only for bugs);
 * - request bodies and queries are validated by zod schemas (the same schemas
 *   generate /openapi.json); unknown fields are refused;
 * - every body is read within bounds before any route sees it: a size
 *   limit (the route's, declared with `declareBodyLimit`, else 16 KiB) and
 *   at most MAX_JSON_DEPTH levels of nesting (durable-objects/bounded-json.ts);
 * - runner endpoints need the bearer token; state changes need signatures.
 */
import { WIRE_PATTERNS } from "../core/tx.ts";
import { OpenAPIHono, z } from "@hono/zod-openapi";
import type { Context, MiddlewareHandler, TypedResponse } from "hono";
import type { JSONParsed } from "hono/utils/types";
import type { NodeErrorCode, Outcome } from "../durable-objects/rpc.ts";
import { BoundError, checkDepth, readBoundedText } from "../durable-objects/bounded-json.ts";
import { nodeConfig, type NodeConfig } from "../durable-objects/config.ts";

export type NodeEnv = { Bindings: Env; Variables: { config: NodeConfig } };
export type NodeApp = OpenAPIHono<NodeEnv>;
/** The statuses a refusal may have (statusFor's range, plus 415 from the content-type checks). */
export type ErrorStatus = 400 | 401 | 403 | 404 | 409 | 413 | 415 | 422 | 429 | 503;
type Status = ErrorStatus | 500;
/** 2xx statuses the routes answer with. */
export type OkStatus = 200 | 201 | 202;
/** A JSON response typed as @hono/zod-openapi checks it against a route's declared responses (what `c.json` returns). */
export type JsonResponse<T, S extends Status | OkStatus> = Response & TypedResponse<JSONParsed<T>, S, "json">;

/** The JSON error every endpoint returns. */
export const ErrorSchema = z
  .object({
    code: z.string().openapi({ example: "MALFORMED" }),
    message: z.string().openapi({ example: "tx.body.amount: expected an integer as a canonical decimal string" }),
  })
  .openapi("Error");

/** The JSON body of every error (ErrorSchema). */
export type ErrorBody = { code: string; message: string };
/** An error response, one member per status (never for none: a refusal that cannot happen). */
export type ErrorResponse<S extends Status = Status> = S extends Status ? JsonResponse<ErrorBody, S> : never;

const errorJson = (description: string) => ({ description, content: { "application/json": { schema: ErrorSchema } } });
/**
 * What any route that takes a JSON body may answer before its handler runs:
 * the body guard (413, 400 too deep), the content type (415), the schema
 * (400). Spread first into a route's responses, so its own descriptions win.
 * (Not `as const`: readonly response maps lose their statuses in
 * zod-openapi's handler types.)
 */
export const BODY_ERRORS = {
  400: errorJson("Malformed body: not JSON, nested too deeply, or not what the schema says"),
  413: errorJson("Body too large"),
  415: errorJson("Not sent as application/json"),
};

export function jsonError<S extends Status>(c: Context, status: S, code: NodeErrorCode | (string & {}), message: string): ErrorResponse<S> {
  const body: ErrorBody = { code, message };
  // one member per status: TypeScript does not resolve the distributive ErrorResponse<S> for a generic S
  return c.json(body, status) as ErrorResponse<S>;
}

/** HTTP status for a rejection code: protocol rejections are 422, not-found 404, conflicts 409. */
export function statusFor(code: NodeErrorCode): Status {
  switch (code) {
    case "MALFORMED":
    case "NON_CANONICAL":
    case "WRONG_NETWORK":
    case "BAD_ID":
      return 400;
    case "UNAUTHORIZED":
      return 401;
    case "BAD_SIGNATURE":
      return 403;
    case "NOT_FOUND":
    case "UNKNOWN_JOB":
    case "STATE_PRUNED":
    case "NO_SNAPSHOT":
      return 404;
    case "ALREADY_KNOWN":
    case "LEASE_EXPIRED":
      return 409;
    case "TOO_LARGE":
    case "PARAMS_TOO_LARGE":
      return 413;
    case "RATE_LIMITED":
      return 429;
    case "MEMPOOL_FULL":
    case "FAUCET_EMPTY":
      return 503;
    default:
      return 422;
  }
}

/**
 * Answers an Outcome: the value as JSON with `okStatus`, or its error with
 * statusFor's status.
 *
 * `E` is the route's declared error statuses, inferred from the handler's
 * declared responses. An Outcome's code is any NodeErrorCode, so the type
 * system cannot tell which statuses a Durable Object's refusals map to: the
 * claim that they are among the route's declared ones is made here, once
 * (test/workers/openapi.test.ts checks real refusals against the document).
 */
export function answer<O extends Outcome<unknown>, Ok extends OkStatus = 200, E extends ErrorStatus = never>(
  c: Context,
  outcome: O,
  okStatus?: Ok,
): JsonResponse<NoInfer<OutcomeValue<O>>, NoInfer<Ok>> | ErrorResponse<E> {
  // narrowing `O` by `ok` does not reach OutcomeValue<O> (a generic conditional type): restated here
  if (outcome.ok) return c.json(outcome.value as OutcomeValue<O>, okStatus ?? (200 as Ok));
  return refuse<E>(c, outcome);
}

/** Answers a failed Outcome: its error with statusFor's status (`E` as in `answer`: the route's declared error statuses). */
export function refuse<E extends ErrorStatus = never>(c: Context, failed: { readonly code: NodeErrorCode; readonly message: string }): ErrorResponse<E> {
  return jsonError(c, statusFor(failed.code) as E, failed.code, failed.message);
}

/** The value of a successful Outcome (as the RPC stub types it). */
type OutcomeValue<O> = O extends { readonly ok: true; readonly value: infer T } ? T : never;

/**
 * Declares a response schema as the documentation of a DTO (rpc.ts,
 * protocol/jobs.ts), checked when it compiles: the schema has exactly the
 * DTO's top-level fields, and every DTO value fits the schema's type
 * (readonly aside). A field added to the DTO and not to the schema, or the
 * other way round, is a type error here rather than a silent gap in
 * /openapi.json. Use: `const S = documents<Dto>()(z.object({...}))`.
 */
export function documents<T>() {
  return <S extends z.ZodType>(schema: S & SchemaMatches<z.output<S>, T>): S => schema;
}
type Writable<T> = T extends readonly (infer U)[] ? Writable<U>[] : T extends object ? { -readonly [K in keyof T]: Writable<T[K]> } : T;
type SchemaMatches<O, T> = [Exclude<keyof T, keyof O>, Exclude<keyof O, keyof T>] extends [never, never]
  ? Writable<T> extends O
    ? unknown
    : { "the DTO does not fit the schema": T }
  : { "fields the schema lacks": Exclude<keyof T, keyof O>; "fields the DTO lacks": Exclude<keyof O, keyof T> };

/** Bytes a route's body may have: a number, or one that follows the node's settings. */
export type BodyLimit = number | ((config: NodeConfig) => number);
/** The limit of every body whose route declares none. */
export const DEFAULT_BODY_LIMIT = 16 * 1024;

const bodyLimits = new WeakMap<NodeApp, Map<string, BodyLimit>>();

/** Declares the body limit of the route at `path` (exact path). */
export function declareBodyLimit(app: NodeApp, path: string, limit: BodyLimit): void {
  bodyLimits.get(app)?.set(path, limit);
}

/**
 * Reads every request body before routing goes on: refused with 413
 * TOO_LARGE past the route's limit (streamed: a body without a length costs
 * no more than the limit), with 400 TOO_DEEP past MAX_JSON_DEPTH levels of
 * nesting; what passes is handed on as the request's body.
 */
function guardBodies(limits: ReadonlyMap<string, BodyLimit>): MiddlewareHandler<NodeEnv> {
  return async (c, next) => {
    const raw = c.req.raw;
    if (raw.body === null) return next();
    const declared = limits.get(c.req.path) ?? DEFAULT_BODY_LIMIT;
    const max = typeof declared === "number" ? declared : declared(c.get("config"));
    let text: string;
    try {
      text = await readBoundedText(raw.body, max, raw.headers.has("transfer-encoding") ? null : raw.headers.get("content-length"), "request body");
      checkDepth(text, undefined, "request body");
    } catch (e) {
      if (e instanceof BoundError) return jsonError(c, e.code === "TOO_LARGE" ? 413 : 400, e.code, e.message);
      throw e;
    }
    c.req.raw = new Request(raw, { body: text });
    await next();
    return undefined;
  };
}

/** Runner endpoints: `Authorization: Bearer <RUNNER_TOKEN>`. */
export const requireRunner: MiddlewareHandler<NodeEnv> = async (c, next) => {
  const header = c.req.header("authorization") ?? "";
  const token = header.startsWith("Bearer ") ? header.slice(7) : "";
  if (!timingSafeEqual(token, c.get("config").runnerToken)) {
    return jsonError(c, 401, "UNAUTHORIZED", "runner endpoints need 'Authorization: Bearer <runner token>'");
  }
  await next();
  return undefined;
};

function timingSafeEqual(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}

/** A new app with the node's validation hook, config and error handling. */
export function createNodeApp(): NodeApp {
  const app = new OpenAPIHono<NodeEnv>({
    defaultHook: (result, c) => {
      if (!result.success) {
        const issue = result.error.issues[0];
        const where = issue === undefined ? "" : `${issue.path.join(".") || "(root)"}: `;
        return jsonError(c, 400, "MALFORMED", `${where}${issue?.message ?? "invalid request"}`);
      }
      return undefined;
    },
  });
  const limits = new Map<string, BodyLimit>();
  bodyLimits.set(app, limits);
  app.use("*", async (c, next) => {
    c.set("config", nodeConfig(c.env));
    await next();
  });
  app.use("*", guardBodies(limits));
  app.notFound((c) => jsonError(c, 404, "NOT_FOUND", `no route ${c.req.method} ${new URL(c.req.url).pathname}`));
  app.onError((e, c) => {
    // Malformed JSON in a body reaches here from the validator.
    if (e instanceof SyntaxError) return jsonError(c, 400, "MALFORMED", `body is not valid JSON: ${e.message}`);
    // The backstop behind the nesting bound: a value too deep for a recursive reader is the request's fault.
    if (e instanceof Error && /maximum call stack size exceeded/i.test(e.message)) return jsonError(c, 400, "TOO_DEEP", "the request nests too deeply to be read");
    // Framework errors (hono's HTTPException: 400 bad body, 415 wrong content type…) keep their 4xx status.
    const status = (e as { status?: number }).status;
    if (status === 400) return jsonError(c, 400, "MALFORMED", e.message);
    if (status === 415) return jsonError(c, 415, "UNSUPPORTED_MEDIA_TYPE", e.message || "expected Content-Type: application/json");
    if (typeof status === "number" && status >= 401 && status < 500) return jsonError(c, status as Status, "MALFORMED", e.message);
    console.error("unhandled error", e instanceof Error ? e.stack : e);
    return jsonError(c, 500, "INTERNAL", "internal error");
  });
  return app;
}

/** Common zod pieces. */
export const Hex32 = z.string().regex(WIRE_PATTERNS.hex32, "expected 64 lower-case hex characters");
export const Hex64 = z.string().regex(WIRE_PATTERNS.hex64, "expected 128 lower-case hex characters");
export const Address = z.string().regex(WIRE_PATTERNS.address, "expected 40 lower-case hex characters");
export const ExperimentId = z.string().regex(WIRE_PATTERNS.experimentId, "expected an experiment id (1..64 of A-Z a-z 0-9 _ . : -)");
/**
 * A free-form JSON field of a response (params, payloads, results). Typed
 * `any`, not `unknown`: core's JsonValue has readonly arrays, which hono's
 * response typing (JSONValue, mutable arrays) refuses; the document says the
 * same either way.
 */
export const Json = z.any().openapi({ description: "any JSON value" });
/** Decimal integer in a string (bigint on the wire). */
export const BigIntString = z.string().regex(/^-?(0|[1-9][0-9]{0,39})$/, "expected an integer as a canonical decimal string");
