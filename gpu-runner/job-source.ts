/**
 * Where a runner gets its jobs: one port, two adapters.
 *
 * - `sources/node-tasks.ts`: the node's /tasks lease API (the default, and
 *   the only one Miniflare can run).
 * - `sources/cloudflare-queues.ts`: Cloudflare Queues' HTTP pull consumer
 *   API (pull with a visibility timeout, ack / retry).
 *
 * A runner never holds the node's key: it only returns results; the node
 * signs whatever goes on chain.
 *
 * Contract for every adapter:
 * - `claim(max)` leases up to `max` jobs (possibly none). Network failures are
 *   retried inside the adapter; what is left is thrown and the runner backs off.
 * - `heartbeat(job)` extends the lease: `false` means the lease is gone
 *   (someone else has the job now) and the runner drops the job.
 * - `complete(job, result)` reports a result and says what became of it:
 *   `applied`, `duplicate` (the job was already done: nothing changed) or
 *   `lost` (another runner holds the job now: the result was not taken).
 * - `fail(job, error)` reports an error (the job runs again, elsewhere or
 *   later); `release(job)` gives a job back without counting an attempt.
 *   Both are no-ops when the lease is already gone.
 */
import type { JsonValue } from "../core/types.ts";

// the job contract is the node's (protocol/jobs.ts): kinds and limits declared once
import { JOB_KINDS, type JobKind } from "../protocol/jobs.ts";
export { JOB_KINDS, type JobKind };

export interface LeasedJob {
  readonly id: string;
  readonly kind: JobKind;
  readonly domain: string;
  readonly payload: JsonValue;
  /** the adapter's handle on the lease (TaskDO lease id, Queues lease_id) */
  readonly leaseId: string;
  /** the lease's length; the runner heartbeats every third of it */
  readonly leaseMs: number;
  /** when the lease lapses (ms since the epoch), as last known; heartbeats move it */
  leaseExpiresAt: number;
  /** counted attempts before this one, as the source reports them */
  readonly attempts: number;
}

/** What became of a result: taken, already done before, or refused because someone else holds the job. */
export type CompleteOutcome = "applied" | "duplicate" | "lost";

export interface JobSource {
  /** for logs */
  readonly name: string;
  /** `signal` aborts a claim in flight (the runner stopping); what was claimed before that stays claimed */
  claim(max: number, signal?: AbortSignal): Promise<LeasedJob[]>;
  /** false: the lease is gone (someone else has the job now): drop it */
  heartbeat(job: LeasedJob): Promise<boolean>;
  complete(job: LeasedJob, result: JsonValue): Promise<CompleteOutcome>;
  fail(job: LeasedJob, error: string): Promise<void>;
  release(job: LeasedJob): Promise<void>;
}

/** A source refused a request for a reason that retrying will not fix (bad token, malformed request, too large). */
export class SourceError extends Error {
  override readonly name = "SourceError";
  constructor(
    readonly code: string,
    message: string,
    readonly status?: number,
  ) {
    super(message);
  }
}
