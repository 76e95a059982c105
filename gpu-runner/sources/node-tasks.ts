/**
 * JobSource over the node's /tasks lease API (workers/routes/tasks.ts):
 * POST /tasks/claim, /tasks/heartbeat, /tasks/complete, /tasks/release with
 * the runner's bearer token. The default source, and the only one Miniflare
 * can run.
 *
 * - Network failures, timeouts, 429 and 5xx are retried with backoff
 *   (http.ts); what still fails is thrown and the runner tries again later.
 * - 409 LEASE_EXPIRED (and 404 UNKNOWN_JOB) mean "someone else has it now":
 *   heartbeat answers false, complete answers "lost", fail and release do
 *   nothing. The runner drops the job.
 * - A result completed twice is applied once: the node answers the second
 *   with `duplicate: true`, reported here as "duplicate".
 * - Any other refusal (401 bad token, 400, 413) is a SourceError.
 */
import type { JsonValue } from "../../core/types.ts";
import { DEFAULT_RETRY, errorCode, requestJson, type HttpAnswer, type RetryPolicy } from "../http.ts";
import { JOB_KINDS, SourceError, type CompleteOutcome, type JobKind, type JobSource } from "../job-source.ts";
import { JOB_LIMITS } from "../../protocol/jobs.ts";

export interface NodeTasksOptions {
  /** the node's URL, e.g. http://127.0.0.1:8787 */
  readonly node: string;
  readonly token: string;
  /** this runner's name (printable ASCII, no spaces, ≤ 128) */
  readonly runner: string;
  readonly kinds?: readonly JobKind[];
  readonly domains?: readonly string[];
  /** 5000..600000; default 60000 */
  readonly leaseMs?: number;
  readonly retry?: Partial<RetryPolicy>;
  readonly fetchFn?: typeof fetch;
}

/** The node's limit on a reported error text. */
const MAX_ERROR_LENGTH = JOB_LIMITS.maxErrorLength;
/** The node's limit on one claim. */
const MAX_CLAIM = JOB_LIMITS.maxClaim;

interface WireJob {
  id: string;
  kind: string;
  domain: string;
  payload: JsonValue;
  leaseId: string | null;
  leaseExpiresAt: number | null;
  attempts: number;
}

export function nodeTasksSource(opts: NodeTasksOptions): JobSource {
  const base = opts.node.replace(/\/+$/, "");
  const leaseMs = opts.leaseMs ?? 60_000;
  const policy: RetryPolicy = { ...DEFAULT_RETRY, ...opts.retry };
  // A heartbeat that is still retrying when the next one is due is worth nothing: keep it within a third of the lease.
  const heartbeatPolicy: RetryPolicy = { ...policy, attempts: 3, maxMs: Math.max(500, Math.floor(leaseMs / 9)), timeoutMs: Math.max(1_000, Math.floor(leaseMs / 3)) };
  const headers = { authorization: `Bearer ${opts.token}` };
  const post = (path: string, body: unknown, p: RetryPolicy = policy, signal?: AbortSignal): Promise<HttpAnswer> =>
    requestJson({ method: "POST", url: `${base}${path}`, headers, body }, p, opts.fetchFn, signal);

  const refuse = (what: string, r: HttpAnswer): SourceError => {
    const { code, message } = errorCode(r.body);
    return new SourceError(code, `${what}: HTTP ${r.status} ${code}: ${message}`, r.status);
  };
  const gone = (r: HttpAnswer): boolean => r.status === 409 || r.status === 404;

  return {
    name: `node-tasks ${base}`,

    async claim(max, signal) {
      const body: Record<string, unknown> = { runner: opts.runner, max: Math.max(1, Math.min(MAX_CLAIM, Math.floor(max))), leaseMs };
      if (opts.kinds !== undefined) body["kinds"] = opts.kinds;
      if (opts.domains !== undefined) body["domains"] = opts.domains;
      const r = await post("/tasks/claim", body, policy, signal);
      if (r.status !== 200) throw refuse("claim", r);
      const now = Date.now();
      const jobs = ((r.body as { jobs?: WireJob[] }).jobs ?? []).filter((j) => j.leaseId !== null && (JOB_KINDS as readonly string[]).includes(j.kind));
      return jobs.map((j) => ({
        id: j.id,
        kind: j.kind as JobKind,
        domain: j.domain,
        payload: j.payload,
        leaseId: j.leaseId as string,
        leaseMs,
        leaseExpiresAt: j.leaseExpiresAt ?? now + leaseMs,
        attempts: j.attempts,
      }));
    },

    async heartbeat(job) {
      const r = await post("/tasks/heartbeat", { jobId: job.id, leaseId: job.leaseId, extendMs: job.leaseMs }, heartbeatPolicy);
      if (r.status === 200) {
        const at = (r.body as { leaseExpiresAt?: unknown }).leaseExpiresAt;
        if (typeof at === "number") job.leaseExpiresAt = at;
        return true;
      }
      if (gone(r)) return false;
      throw refuse("heartbeat", r);
    },

    async complete(job, result): Promise<CompleteOutcome> {
      const r = await post("/tasks/complete", { jobId: job.id, leaseId: job.leaseId, result });
      if (r.status === 200) return (r.body as { duplicate?: boolean }).duplicate === true ? "duplicate" : "applied";
      if (gone(r)) return "lost";
      throw refuse("complete", r);
    },

    async fail(job, error) {
      const text = (error.trim() === "" ? "failed" : error).slice(0, MAX_ERROR_LENGTH);
      const r = await post("/tasks/complete", { jobId: job.id, leaseId: job.leaseId, error: text });
      if (r.status === 200 || gone(r)) return;
      throw refuse("fail", r);
    },

    async release(job) {
      const r = await post("/tasks/release", { jobId: job.id, leaseId: job.leaseId });
      if (r.status === 200 || gone(r)) return;
      throw refuse("release", r);
    },
  };
}
