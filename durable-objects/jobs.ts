/**
 * Jobs for runners: what producers enqueue (JobSpec), what TaskDO keeps (Job)
 * and what runners report (JobResult). Plain serializable data: it crosses
 * Queues, Durable Object RPC and HTTP unchanged.
 *
 * Life of a job: pending → leased (a runner claimed it, under a lease that
 * expires unless heartbeated) → done (result applied once) | back to pending
 * (lease lapsed, runner reported an error, or released it) → dead after
 * maxAttempts counted attempts.
 */
import { z } from "zod";
import type { JsonValue } from "../core/types.ts";

export type JobKind = "optimize" | "evaluate" | "inference";
export type JobStatus = "pending" | "leased" | "done" | "dead";
/** Who is told of a successful result: the domain's QuorumDO, or nobody (the result is read back). */
export type JobNotify = "quorum" | "none";

export const JOB_KINDS: readonly JobKind[] = ["optimize", "evaluate", "inference"];
export const JOB_STATUSES: readonly JobStatus[] = ["pending", "leased", "done", "dead"];

/** Lower first. */
export const DEFAULT_PRIORITY: Readonly<Record<JobKind, number>> = { evaluate: 0, inference: 5, optimize: 10 };
export const DEFAULT_MAX_ATTEMPTS = 5;

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
  })
  .strict();

/** Parses a JobSpec from untrusted input: the spec, or the first problem as text. */
export function parseJobSpec(input: unknown): { ok: true; spec: JobSpec } | { ok: false; message: string } {
  const r = JobSpecSchema.safeParse(input);
  if (r.success) return { ok: true, spec: r.data as JobSpec };
  const issue = r.error.issues[0];
  return { ok: false, message: `${issue?.path.join(".") || "(root)"}: ${issue?.message ?? "invalid job spec"}` };
}
