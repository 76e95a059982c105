/**
 * The runner job contract, declared once: what producers enqueue (JobSpec),
 * what TaskDO keeps (Job), what runners report (JobResult), the kinds, the
 * limits and the result schemas. The Worker, the Durable Objects and the
 * runner (gpu-runner/) all import it. Plain serializable data: it crosses
 * Queues, Durable Object RPC and HTTP unchanged.
 *
 * Life of a job: pending → leased (a runner claimed it, under a lease that
 * expires unless heartbeated) → done (result applied once) | back to pending
 * (lease lapsed, runner reported an error, or released it) → dead after
 * maxAttempts counted attempts.
 */
import { z } from "zod";
import { MAX_FIXED, paramsSize, revealParamsProblem, WIRE_PATTERNS } from "../core/tx.ts";
import type { JsonValue } from "../core/types.ts";

export type JobKind = "optimize" | "evaluate" | "inference";
export type JobStatus = "pending" | "leased" | "done" | "dead";
/** Who is told of a successful result: the domain's QuorumDO, or nobody (the result is read back). */
export type JobNotify = "quorum" | "none";

export const JOB_KINDS: readonly JobKind[] = ["optimize", "evaluate", "inference"];
export const JOB_STATUSES: readonly JobStatus[] = ["pending", "leased", "done", "dead"];

/**
 * Lower first: verification (deadlines the whole network waits on), then the
 * node's own optimization, then public inference (unpaid, anonymous, and
 * the kind a stranger can queue at will: it never delays the other two).
 */
export const DEFAULT_PRIORITY: Readonly<Record<JobKind, number>> = { evaluate: 0, optimize: 10, inference: 20 };
export const DEFAULT_MAX_ATTEMPTS = 5;
/** Deliveries of a result to its QuorumDO before it is moved aside as a dead letter (shown in /status). */
export const MAX_DELIVERY_TRIES = 5;

/** Limits, shared by the DO, the queue consumer and the routes. */
export const JOB_LIMITS = {
  idMaxLength: 256,
  domainMaxLength: 64,
  runnerMaxLength: 128,
  /** JSON text of a payload or a result */
  maxJsonBytes: 1024 * 1024,
  maxErrorLength: 4096,
  maxClaim: 16,
  minLeaseMs: 5_000,
  maxLeaseMs: 10 * 60_000,
  defaultLeaseMs: 60_000,
  maxPriority: 1_000_000,
  maxAttempts: 100,
  maxTtlMs: 7 * 24 * 3600_000,
} as const;

/** What a producer asks for. The id is the producer's: enqueuing the same id twice makes one job. */
export interface JobSpec {
  readonly id: string;
  readonly kind: JobKind;
  readonly domain: string;
  readonly payload: JsonValue;
  /** lower runs first; default by kind: evaluate 0, inference 5, optimize 10 */
  readonly priority?: number;
  /** counted attempts (lapsed leases, error reports) before the job is dead; default 5 */
  readonly maxAttempts?: number;
  /** default "none" */
  readonly notify?: JobNotify;
  /** a job still pending this long after it was queued expires (dead, error "expired"); default: never */
  readonly ttlMs?: number;
}

/** A job as TaskDO keeps it. Times are milliseconds since the Unix epoch. */
export interface Job {
  readonly id: string;
  readonly kind: JobKind;
  readonly domain: string;
  readonly payload: JsonValue;
  readonly priority: number;
  readonly maxAttempts: number;
  readonly notify: JobNotify;
  readonly status: JobStatus;
  /** counted attempts: lapsed leases and error reports (a release does not count) */
  readonly attempts: number;
  /** the current lease while leased; after a lapse, the lapsed lease (its late result is still taken until someone re-claims) */
  readonly leaseId: string | null;
  readonly leaseExpiresAt: number | null;
  /** the runner that holds (or last held) the job */
  readonly runner: string | null;
  readonly createdAt: number;
  readonly completedAt: number | null;
  readonly result: JsonValue | null;
  /** the last error a runner reported, or why the job died */
  readonly error: string | null;
}

/** What a runner reports for a leased job: its result, or why it failed. */
export type JobResult = { readonly result: JsonValue } | { readonly error: string };

/** TaskDO.enqueue() */
export interface EnqueueResult {
  /** false: a job with that id already existed (unchanged) */
  readonly created: boolean;
  readonly job: Job;
}

/** TaskDO.complete() */
export interface CompleteResult {
  /** this call changed the job */
  readonly applied: boolean;
  /** the job was already done: this completion was ignored */
  readonly duplicate: boolean;
  readonly job: Job;
}

/** TaskDO.claim() */
export interface ClaimRequest {
  readonly runner: string;
  readonly kinds?: readonly JobKind[] | undefined;
  readonly domains?: readonly string[] | undefined;
  /** 1..16, default 1 */
  readonly max?: number | undefined;
  /** 5 s .. 10 min, default 60 s */
  readonly leaseMs?: number | undefined;
}

/** TaskDO.stats() */
export interface JobStats {
  readonly total: number;
  readonly byStatus: Readonly<Record<JobStatus, number>>;
  readonly byKind: Readonly<Record<JobKind, Readonly<Record<JobStatus, number>>>>;
  /** successful results not yet delivered to their QuorumDO */
  readonly undelivered: number;
  /** results whose delivery kept failing, moved aside (the most recent first, at most 20 listed) */
  readonly deadLetters: { readonly count: number; readonly latest: readonly DeadLetter[] };
}

/** A result moved aside after MAX_DELIVERY_TRIES failed deliveries. */
export interface DeadLetter {
  readonly jobId: string;
  readonly kind: JobKind;
  readonly domain: string;
  readonly tries: number;
  readonly error: string | null;
  readonly movedAt: number;
}

/** Receives successful results of jobs with notify "quorum" (QuorumDO implements it). Delivery is at least once. */
export interface JobResultSink {
  onJobResult(job: Job): Promise<void>;
}

// ---------------------------------------------------------------------------
// Validation (zod): the queue consumer, TaskDO and the routes share it.

/** Any JSON value: finite numbers only, no undefined. */
export const JsonValueSchema: z.ZodType<JsonValue> = z.lazy(() =>
  z.union([z.null(), z.boolean(), z.number().refine(Number.isFinite, "expected a finite number"), z.string(), z.array(JsonValueSchema), z.record(z.string(), JsonValueSchema)]),
);

/** Job ids travel in URL paths: letters, digits and `._:@+=~-`, starting with a letter or digit. */
export const JobIdSchema = z
  .string()
  .min(1)
  .max(JOB_LIMITS.idMaxLength)
  .regex(/^[A-Za-z0-9][A-Za-z0-9._:@+=~-]*$/, "expected letters, digits and ._:@+=~- (starting with a letter or digit)");
export const DomainSchema = z
  .string()
  .min(1)
  .max(JOB_LIMITS.domainMaxLength)
  .regex(/^[A-Za-z0-9][A-Za-z0-9._:-]*$/, "expected letters, digits, '.', '_', ':' or '-'");
export const RunnerSchema = z
  .string()
  .min(1)
  .max(JOB_LIMITS.runnerMaxLength)
  .regex(/^[\x21-\x7e]+$/, "expected printable ASCII without spaces");
export const JobKindSchema = z.enum(["optimize", "evaluate", "inference"]);
export const LeaseMsSchema = z.number().int().min(JOB_LIMITS.minLeaseMs).max(JOB_LIMITS.maxLeaseMs);

export const JobSpecSchema = z
  .object({
    id: JobIdSchema,
    kind: JobKindSchema,
    domain: DomainSchema,
    payload: JsonValueSchema,
    priority: z.number().int().min(-JOB_LIMITS.maxPriority).max(JOB_LIMITS.maxPriority).optional(),
    maxAttempts: z.number().int().min(1).max(JOB_LIMITS.maxAttempts).optional(),
    notify: z.enum(["quorum", "none"]).optional(),
    ttlMs: z.number().int().min(1_000).max(JOB_LIMITS.maxTtlMs).optional(),
  })
  .strict();

/** Parses a JobSpec from untrusted input: the spec, or the first problem as text. */
export function parseJobSpec(input: unknown): { ok: true; spec: JobSpec } | { ok: false; message: string } {
  const r = JobSpecSchema.safeParse(input);
  if (r.success) return { ok: true, spec: r.data as JobSpec };
  const issue = r.error.issues[0];
  return { ok: false, message: `${issue?.path.join(".") || "(root)"}: ${issue?.message ?? "invalid job spec"}` };
}

// ---------------------------------------------------------------------------
// Results: what a runner may report for each kind (checked at /tasks/complete,
// before anything is stored, and again by the QuorumDO that acts on it).

/** A Fixed (micro-units) as the protocol carries it: a canonical decimal string within ±MAX_FIXED (core/tx.ts). */
const FIXED_RE = /^-?(0|[1-9][0-9]{0,30})$/;
const FixedString = z
  .string()
  .refine((v) => FIXED_RE.test(v) && v !== "-0", "expected an integer as a canonical decimal string (Fixed micro-units)")
  .refine((v) => !FIXED_RE.test(v) || (v.startsWith("-") ? -BigInt(v) : BigInt(v)) <= MAX_FIXED, `expected a Fixed within ±${MAX_FIXED}`);
const Hex32 = z.string().regex(WIRE_PATTERNS.hex32, "expected 64 lower-case hex characters");
const Count = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);

/** Reveal params: the rule the chain applies (safe integers, bounded depth), so a commit is never made of what cannot be revealed. */
const ParamsSchema = z.custom<JsonValue>().superRefine((v, ctx) => {
  const problem = revealParamsProblem(v);
  if (problem !== null) ctx.addIssue({ code: "custom", message: problem });
});

export const JOB_RESULT_SCHEMAS = {
  /** the evaluator's score on its own data and that data's hash: a vote's body */
  evaluate: z.object({ performance: FixedString, dataHash: Hex32 }).strict(),
  /** a claim to commit: the params and the claimed performance, with the experiment's record for the accept */
  optimize: z
    .object({
      params: ParamsSchema,
      reported: FixedString,
      experimentId: z.string().regex(/^[A-Za-z0-9_.:-]{1,64}$/, "expected 1 to 64 of A-Za-z0-9_.:-").optional(),
      roundNumber: Count.optional(),
      timeToResultSeconds: Count.optional(),
      optimizationConfigHash: Hex32.optional(),
      dataHash: Hex32.optional(),
    })
    .strict(),
  /** read back by the client that asked: any JSON (finite numbers, bounded size) */
  inference: JsonValueSchema,
} as const;

export type EvaluateResult = z.infer<typeof JOB_RESULT_SCHEMAS.evaluate>;
export type OptimizeResult = z.infer<typeof JOB_RESULT_SCHEMAS.optimize>;

/**
 * Checks a runner's result for a job of `kind`: its schema, and for an
 * optimize result, params no larger than the domain allows
 * (`maxParamsBytes`, measured as the chain measures them).
 */
export function parseJobResult(kind: JobKind, value: unknown, limits: { readonly maxParamsBytes?: number | undefined } = {}): { ok: true; result: JsonValue } | { ok: false; message: string } {
  const schema: z.ZodType<unknown> = JOB_RESULT_SCHEMAS[kind];
  const r = schema.safeParse(value);
  if (!r.success) {
    const issue = r.error.issues[0];
    return { ok: false, message: `${issue?.path.join(".") || "(root)"}: ${issue?.message ?? "invalid result"}` };
  }
  if (kind === "optimize" && limits.maxParamsBytes !== undefined) {
    const size = paramsSize((r.data as OptimizeResult).params as JsonValue);
    if (size > limits.maxParamsBytes) return { ok: false, message: `params: ${size} bytes, the domain allows ${limits.maxParamsBytes}` };
  }
  return { ok: true, result: r.data as JsonValue };
}
