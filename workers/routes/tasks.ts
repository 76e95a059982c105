/**
 * Runner endpoints (/tasks/*, bearer token) and public inference requests.
 *
 * A runner loops: POST /tasks/claim → work, POST /tasks/heartbeat before the
 * lease lapses → POST /tasks/complete with the result (or the error), or
 * POST /tasks/release when it shuts down. A lapsed lease puts the job back in
 * the queue (TaskDO's alarm), so a runner that dies loses nothing.
 *
 * POST /inference is public: it stores an `inference` job for the domain and
 * answers 202 with its id; GET /inference/{jobId} reads its status and
 * result. The job waits (status "pending") until a runner that serves that
 * domain claims it (kinds ["inference"], domains [domain]); at most 1000
 * inference jobs wait at once (then 503). Each client (CF-Connecting-IP)
 * may ask so often (the INFERENCE_LIMITER binding, then 429); a request
 * nobody claimed within INFERENCE_TTL_MS expires; runners take inference
 * jobs after verification and optimization (jobs.ts DEFAULT_PRIORITY).
 */
import { createRoute, z } from "@hono/zod-openapi";
import canonicalize from "canonicalize";
import type { MiddlewareHandler } from "hono";
import type { JsonValue } from "../../core/types.ts";
import { DomainSchema, JOB_LIMITS, JobIdSchema, JobKindSchema, LeaseMsSchema, RunnerSchema, type CompleteResult, type Job, type JobResult } from "../../protocol/jobs.ts";
import { tasksOf } from "../../durable-objects/stubs.ts";
import { answer, BODY_ERRORS, documents, refuse, declareBodyLimit, ErrorSchema, jsonError, requireRunner, type NodeApp, type NodeEnv } from "../http.ts";

const KiB = 1024;
/** Body limits. */
export const TASK_BODY_LIMITS = { complete: 1024 * KiB, inference: 64 * KiB } as const;
/** Inference jobs allowed to wait at once (POST /inference answers 503 beyond). */
export const MAX_PENDING_INFERENCE = 1000;

/** Any JSON value (a request body is parsed JSON, so only presence is checked). */
const AnyJson = z
  .any()
  .refine((v) => v !== undefined, "required")
  .openapi({ description: "any JSON value" });

const LeaseId = z
  .string()
  .regex(/^[0-9a-f]{32}$/, "expected 32 lower-case hex characters")
  .openapi({ example: "3f1c0d8e9a7b6c5d4e3f2a1b0c9d8e7f" });

const JobSchema = documents<Job>()(
  z
    .object({
      id: z.string(),
      kind: JobKindSchema,
      domain: z.string(),
      payload: z.any().openapi({ description: "what the producer gave the runner (JSON)" }),
      priority: z.number().int(),
      maxAttempts: z.number().int(),
      notify: z.enum(["quorum", "none"]),
      status: z.enum(["pending", "leased", "done", "dead"]),
      attempts: z.number().int(),
      leaseId: z.string().nullable(),
      leaseExpiresAt: z.number().int().nullable(),
      runner: z.string().nullable(),
      createdAt: z.number().int(),
      completedAt: z.number().int().nullable(),
      result: z.any().openapi({ description: "the runner's result (JSON), null until done" }),
      error: z.string().nullable(),
    })
    .openapi("Job"),
);

const err = (description: string) => ({ description, content: { "application/json": { schema: ErrorSchema } } });
const runnerErrors = {
  400: err("Malformed request"),
  401: err("Missing or wrong runner token"),
  413: err("Body too large"),
};
const json = <T extends z.ZodType>(schema: T, description: string) => ({ description, content: { "application/json": { schema } } });
const body = <T extends z.ZodType>(schema: T) => ({ body: { content: { "application/json": { schema } }, required: true } });

const ClaimBody = z
  .object({
    runner: RunnerSchema.openapi({ example: "runner-1" }),
    kinds: z.array(JobKindSchema).min(1).max(3).optional(),
    domains: z.array(DomainSchema).min(1).max(64).optional(),
    max: z.number().int().min(1).max(JOB_LIMITS.maxClaim).optional().openapi({ description: "1..16, default 1" }),
    leaseMs: LeaseMsSchema.optional().openapi({ description: "5000..600000, default 60000" }),
  })
  .strict()
  .openapi("ClaimRequest");

const HeartbeatBody = z
  .object({ jobId: JobIdSchema, leaseId: LeaseId, extendMs: LeaseMsSchema.optional().openapi({ description: "default: the lease's own length" }) })
  .strict()
  .openapi("HeartbeatRequest");

const CompleteBody = z
  .union([
    z.object({ jobId: JobIdSchema, leaseId: LeaseId, result: AnyJson }).strict(),
    z.object({ jobId: JobIdSchema, leaseId: LeaseId, error: z.string().min(1).max(JOB_LIMITS.maxErrorLength) }).strict(),
  ])
  .openapi("CompleteRequest");

const ReleaseBody = z.object({ jobId: JobIdSchema, leaseId: LeaseId }).strict().openapi("ReleaseRequest");

const InferenceBody = z
  .object({
    domain: DomainSchema.openapi({ example: "quadratic" }),
    input: AnyJson,
    nonce: z.string().min(1).max(128).optional().openapi({ description: "makes the request idempotent: the same domain, input and nonce give the same job" }),
  })
  .strict()
  .openapi("InferenceRequest");

const InferenceView = z
  .object({
    jobId: z.string(),
    domain: z.string(),
    status: z.enum(["pending", "leased", "done", "dead"]),
    result: z.any(),
    error: z.string().nullable(),
    createdAt: z.number().int(),
    completedAt: z.number().int().nullable(),
  })
  .openapi("InferenceStatus");

function inferenceView(job: Job) {
  return { jobId: job.id, domain: job.domain, status: job.status, result: job.result, error: job.error, createdAt: job.createdAt, completedAt: job.completedAt };
}

/**
 * Per-client rate limit of POST /inference (before the body is validated:
 * refused requests count too). The client is CF-Connecting-IP, which
 * Cloudflare sets on every request; without it (a node not behind
 * Cloudflare) all clients share one bucket.
 */
const limitInference: MiddlewareHandler<NodeEnv> = async (c, next) => {
  const client = c.req.header("cf-connecting-ip") ?? "unknown";
  const { success } = await c.env.INFERENCE_LIMITER.limit({ key: `inference:${client}` });
  if (!success) {
    c.header("retry-after", "60");
    return jsonError(c, 429, "RATE_LIMITED", "too many inference requests from this client; try again in a minute");
  }
  await next();
  return undefined;
};

async function sha256Hex(text: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)));
  return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
}

export function registerTaskRoutes(app: NodeApp): void {
  const small = [requireRunner] as const;
  declareBodyLimit(app, "/tasks/complete", TASK_BODY_LIMITS.complete);
  declareBodyLimit(app, "/inference", TASK_BODY_LIMITS.inference);

  app.openapi(
    createRoute({
      method: "get",
      path: "/tasks/pending",
      summary: "Pending jobs in claim order (runners)",
      middleware: [...small],
      security: [{ runnerToken: [] }],
      request: {
        query: z
          .object({
            limit: z.coerce.number().int().min(1).max(100).optional().openapi({ description: "1..100, default 10" }),
            kind: JobKindSchema.optional(),
            domain: DomainSchema.optional(),
          })
          .strict(),
      },
      responses: { 200: json(z.object({ jobs: z.array(JobSchema), total: z.number().int() }), "Pending jobs and how many match"), ...runnerErrors },
    }),
    async (c) => {
      const { limit, kind, domain } = c.req.valid("query");
      const filter: { kind?: Job["kind"]; domain?: string } = {};
      if (kind !== undefined) filter.kind = kind;
      if (domain !== undefined) filter.domain = domain;
      return answer(c, await tasksOf(c.env).pending(limit ?? 10, filter));
    },
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/tasks/claim",
      summary: "Lease up to `max` pending jobs (runners)",
      middleware: [...small],
      security: [{ runnerToken: [] }],
      request: body(ClaimBody),
      responses: { ...BODY_ERRORS, 200: json(z.object({ jobs: z.array(JobSchema) }), "Leased jobs (possibly none), each with its leaseId"), ...runnerErrors },
    }),
    async (c) => {
      const outcome = await tasksOf(c.env).claim(c.req.valid("json"));
      if (!outcome.ok) return refuse(c, outcome);
      return c.json({ jobs: outcome.value }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/tasks/heartbeat",
      summary: "Extend a live lease (runners)",
      middleware: [...small],
      security: [{ runnerToken: [] }],
      request: body(HeartbeatBody),
      responses: {
        ...BODY_ERRORS,
        200: json(z.object({ leaseExpiresAt: z.number().int() }), "Lease extended"),
        ...runnerErrors,
        404: err("Unknown job"),
        409: err("LEASE_EXPIRED: the lease lapsed and the job was re-queued, re-leased or finished"),
      },
    }),
    async (c) => {
      const { jobId, leaseId, extendMs } = c.req.valid("json");
      return answer(c, await tasksOf(c.env).heartbeat(jobId, leaseId, extendMs));
    },
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/tasks/complete",
      summary: "Report a job's result or error (runners); a result is applied exactly once",
      middleware: [requireRunner],
      security: [{ runnerToken: [] }],
      request: body(CompleteBody),
      responses: {
        ...BODY_ERRORS,
        200: json(
          documents<CompleteResult>()(z.object({ applied: z.boolean(), duplicate: z.boolean(), job: JobSchema })),
          "applied: this call changed the job; duplicate: the job was already done (nothing changed)",
        ),
        ...runnerErrors,
        404: err("Unknown job"),
        409: err("LEASE_EXPIRED: another runner holds the job now, or the job is finished"),
      },
    }),
    async (c) => {
      const req = c.req.valid("json");
      const report: JobResult = "error" in req ? { error: req.error } : { result: req.result as JsonValue };
      return answer(c, await tasksOf(c.env).complete(req.jobId, req.leaseId, report));
    },
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/tasks/release",
      summary: "Give a leased job back without counting an attempt (runner shutting down)",
      middleware: [...small],
      security: [{ runnerToken: [] }],
      request: body(ReleaseBody),
      responses: {
        ...BODY_ERRORS,
        200: json(z.object({ released: z.literal(true), job: JobSchema }), "Back to pending"),
        ...runnerErrors,
        404: err("Unknown job"),
        409: err("LEASE_EXPIRED: the lease is no longer held"),
      },
    }),
    async (c) => {
      const { jobId, leaseId } = c.req.valid("json");
      return answer(c, await tasksOf(c.env).release(jobId, leaseId));
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/tasks/{id}",
      summary: "One job (runners)",
      middleware: [...small],
      security: [{ runnerToken: [] }],
      request: { params: z.object({ id: JobIdSchema }) },
      responses: { 200: json(JobSchema, "The job"), ...runnerErrors, 404: err("Unknown job") },
    }),
    async (c) => answer(c, await tasksOf(c.env).get(c.req.valid("param").id)),
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/inference",
      summary: "Request an inference (public): queued as a job until a runner serving the domain claims it; rate-limited per client",
      middleware: [limitInference] as const,
      request: body(InferenceBody),
      responses: {
        ...BODY_ERRORS,
        202: json(z.object({ jobId: z.string(), status: z.enum(["pending", "leased", "done", "dead"]) }), "Queued (or already known, with a nonce)"),
        400: err("Malformed request"),
        413: err("Body too large"),
        422: err("UNKNOWN_DOMAIN"),
        429: err("RATE_LIMITED: too many requests from this client"),
        503: err("Too many inference requests waiting"),
      },
    }),
    async (c) => {
      const { domain, input, nonce } = c.req.valid("json");
      if (!c.get("config").params.domains.some((d) => d.id === domain)) {
        return jsonError(c, 422, "UNKNOWN_DOMAIN", `no domain ${domain} on this network`);
      }
      const id = nonce === undefined ? `inference:${crypto.randomUUID()}` : `inference:${await sha256Hex(canonicalize({ domain, input: input as JsonValue, nonce }) ?? "")}`;
      const outcome = await tasksOf(c.env).enqueue(
        { id, kind: "inference", domain, payload: { input: input as JsonValue }, ttlMs: c.get("config").inferenceTtlMs },
        { maxPending: MAX_PENDING_INFERENCE },
      );
      if (!outcome.ok) return refuse(c, outcome);
      return c.json({ jobId: outcome.value.job.id, status: outcome.value.job.status }, 202);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/inference/{jobId}",
      summary: "Status and result of an inference request (public)",
      request: { params: z.object({ jobId: JobIdSchema }) },
      responses: { 200: json(InferenceView, "Status; result once done"), 400: err("Malformed request"), 404: err("Unknown inference job") },
    }),
    async (c) => {
      const { jobId } = c.req.valid("param");
      const outcome = await tasksOf(c.env).get(jobId);
      if (!outcome.ok || outcome.value.kind !== "inference") {
        if (!outcome.ok && outcome.code !== "UNKNOWN_JOB") return refuse(c, outcome);
        return jsonError(c, 404, "UNKNOWN_JOB", `no inference job ${jobId}`);
      }
      return c.json(inferenceView(outcome.value), 200);
    },
  );
}
