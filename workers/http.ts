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
import type { Context, MiddlewareHandler } from "hono";
import type { NodeErrorCode, Outcome } from "../durable-objects/rpc.ts";
import { BoundError, checkDepth, readBoundedText } from "../durable-objects/bounded-json.ts";
import { nodeConfig, type NodeConfig } from "../durable-objects/config.ts";

export type NodeEnv = { Bindings: Env; Variables: { config: NodeConfig } };
export type NodeApp = OpenAPIHono<NodeEnv>;
type Status = 400 | 401 | 403 | 404 | 409 | 413 | 415 | 422 | 429 | 500 | 503;

/** The JSON error every endpoint returns. */
export const ErrorSchema = z
  .object({
    code: z.string().openapi({ example: "MALFORMED" }),
    message: z.string().openapi({ example: "tx.body.amount: expected an integer as a canonical decimal string" }),
  })
  .openapi("Error");

export function jsonError(c: Context, status: Status, code: NodeErrorCode | string, message: string): Response {
  return c.json({ code, message }, status);
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

/** Answers an Outcome: the value as JSON, or its error with the matching status. */
export function answer<T>(c: Context, outcome: Outcome<T>, okStatus: 200 | 201 | 202 = 200): Response {
  if (outcome.ok) return c.json(outcome.value as never, okStatus);
  return jsonError(c, statusFor(outcome.code), outcome.code, outcome.message);
}

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
/** Decimal integer in a string (bigint on the wire). */
export const BigIntString = z.string().regex(/^-?(0|[1-9][0-9]{0,39})$/, "expected an integer as a canonical decimal string");
