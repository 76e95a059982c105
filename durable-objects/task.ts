/**
 * TaskDO: the node's jobs for its runners, with leases (one instance,
 * `TASKS_NAME` in stubs.ts).
 *
 * - Producers enqueue JobSpecs (directly over RPC or through the `jobs`
 *   Queue); the id is theirs, so enqueuing the same job twice makes one job.
 * - A runner claims pending jobs under a lease (random id, 5 s..10 min),
 *   heartbeats to keep it, and completes with a result or an error, or
 *   releases the job when it shuts down.
 * - The alarm is set to the earliest lease expiry: a lapsed lease puts the
 *   job back to pending and counts an attempt (dead after maxAttempts), so a
 *   runner killed mid-job loses nothing. Every method also sweeps lapsed
 *   leases first, so what callers see never depends on when the alarm ran.
 * - A result is applied exactly once. The holder of the current lease, or of
 *   the last lease if it lapsed and nobody has re-claimed the job since, may
 *   complete it; a completion of a job already done is a harmless duplicate;
 *   anything else is LEASE_EXPIRED.
 * - Results of jobs with notify "quorum" are written to an outbox in the same
 *   step that marks the job done, then delivered to the domain's QuorumDO
 *   (`onJobResult`, see JobResultSink) at least once: a failed delivery is
 *   retried by the alarm with backoff, and removed only after it succeeded;
 *   after MAX_DELIVERY_TRIES failures it is moved aside as a dead letter
 *   (counted and listed in stats, so in /status) instead of being retried
 *   forever.
 * - A result is checked against its kind's schema (jobs.ts) before it is
 *   taken: a result the node could not act on is refused (MALFORMED), the
 *   job stays leased, and the runner's error report counts an attempt.
 * - A job queued with a ttl expires (dead, "expired") if nobody claimed it in time.
 *
 * Every expected failure is an Outcome, never an exception.
 */
import { DurableObject } from "cloudflare:workers";
import { z } from "zod";
import type { JsonValue } from "../core/types.ts";
import {
  DEFAULT_MAX_ATTEMPTS,
  DEFAULT_PRIORITY,
  DomainSchema,
  JOB_KINDS,
  JOB_LIMITS,
  JOB_STATUSES,
  JobIdSchema,
  JobKindSchema,
  JsonValueSchema,
  LeaseMsSchema,
  MAX_DELIVERY_TRIES,
  parseJobResult,
  parseJobSpec,
  RunnerSchema,
  type ClaimRequest,
  type CompleteResult,
  type DeadLetter,
  type EnqueueResult,
  type Job,
  type JobKind,
  type JobResult,
  type JobResultSink,
  type JobSpec,
  type JobStats,
  type JobStatus,
} from "../protocol/jobs.ts";
import { nodeConfig } from "./config.ts";
import { failure, success, type Outcome } from "./rpc.ts";
import { quorumStubOf } from "./stubs.ts";

/** Finished jobs are kept this long (idempotent enqueue, result reads), then deleted. */
const RETAIN_MS = 7 * 24 * 3600_000;
/** Delivery retries: 1 s, 2 s, 4 s … at most 5 min apart. */
const MAX_DELIVERY_BACKOFF_MS = 5 * 60_000;
/** A delivery in flight is retried after this long if it never finished (the object was evicted mid-call). */
const DELIVERY_IN_FLIGHT_MS = 60_000;
/** Deliveries per alarm run (the alarm re-arms at once when more are due). */
const DELIVERY_BATCH = 50;

type JobRow = {
  id: string;
  kind: string;
  domain: string;
  payload: string;
  priority: number;
  max_attempts: number;
  notify: string;
  status: string;
  attempts: number;
  lease_id: string | null;
  lease_expires_at: number | null;
  lease_ms: number | null;
  runner: string | null;
  created_at: number;
  completed_at: number | null;
  result: string | null;
  error: string | null;
  expires_at: number | null;
};

const ClaimSchema = z
  .object({
    runner: RunnerSchema,
    kinds: z.array(JobKindSchema).min(1).max(JOB_KINDS.length).optional(),
    domains: z.array(DomainSchema).min(1).max(64).optional(),
    max: z.number().int().min(1).max(JOB_LIMITS.maxClaim).optional(),
    leaseMs: LeaseMsSchema.optional(),
  })
  .strict();

const LeaseIdSchema = z.string().regex(/^[0-9a-f]{32}$/, "expected 32 lower-case hex characters");

const JobResultSchema = z.union([
  z.object({ result: JsonValueSchema }).strict(),
  z.object({ error: z.string().min(1).max(JOB_LIMITS.maxErrorLength) }).strict(),
]);

function firstIssue(error: z.ZodError, prefix: string): string {
  const issue = error.issues[0];
  const path = issue?.path.join(".") ?? "";
  return `${prefix}${path === "" ? "" : `.${path}`}: ${issue?.message ?? "invalid"}`;
}

function jsonBytes(value: JsonValue): number {
  return new TextEncoder().encode(JSON.stringify(value)).length;
}

function randomLeaseId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

function rowToJob(r: JobRow): Job {
  return {
    id: r.id,
    kind: r.kind as JobKind,
    domain: r.domain,
    payload: JSON.parse(r.payload) as JsonValue,
    priority: r.priority,
    maxAttempts: r.max_attempts,
    notify: r.notify === "quorum" ? "quorum" : "none",
    status: r.status as JobStatus,
    attempts: r.attempts,
    leaseId: r.lease_id,
    leaseExpiresAt: r.lease_expires_at,
    runner: r.runner,
    createdAt: r.created_at,
    completedAt: r.completed_at,
    result: r.result === null ? null : (JSON.parse(r.result) as JsonValue),
    error: r.error,
  };
}

export class TaskDO extends DurableObject<Env> {
  private readonly sql: SqlStorage;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    void ctx.blockConcurrencyWhile(async () => {
      this.sql.exec(`CREATE TABLE IF NOT EXISTS jobs (
        id TEXT PRIMARY KEY,
        kind TEXT NOT NULL,
        domain TEXT NOT NULL,
        payload TEXT NOT NULL,
        priority INTEGER NOT NULL,
        max_attempts INTEGER NOT NULL,
        notify TEXT NOT NULL,
        status TEXT NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        lease_id TEXT,
        lease_expires_at INTEGER,
        lease_ms INTEGER,
        runner TEXT,
        created_at INTEGER NOT NULL,
        completed_at INTEGER,
        result TEXT,
        error TEXT
      )`);
      this.sql.exec(`CREATE INDEX IF NOT EXISTS jobs_queue ON jobs (status, priority, created_at)`);
      this.sql.exec(`CREATE INDEX IF NOT EXISTS jobs_lease ON jobs (status, lease_expires_at)`);
      this.sql.exec(`CREATE INDEX IF NOT EXISTS jobs_completed ON jobs (completed_at)`);
      // added after the first release: older stores gain the column
      if (!this.sql.exec<{ name: string }>(`PRAGMA table_info(jobs)`).toArray().some((c) => c.name === "expires_at")) {
        this.sql.exec(`ALTER TABLE jobs ADD COLUMN expires_at INTEGER`);
      }
      this.sql.exec(`CREATE TABLE IF NOT EXISTS dead_letters (
        job_id TEXT PRIMARY KEY,
        tries INTEGER NOT NULL,
        last_error TEXT,
        moved_at INTEGER NOT NULL
      )`);
      // successful results of notify-"quorum" jobs not yet delivered to their QuorumDO
      this.sql.exec(`CREATE TABLE IF NOT EXISTS outbox (
        job_id TEXT PRIMARY KEY,
        tries INTEGER NOT NULL DEFAULT 0,
        next_at INTEGER NOT NULL,
        last_error TEXT
      )`);
    });
  }

  // -------------------------------------------------------------------------
  // RPC

  /**
   * Adds a job; idempotent by id (an existing job is returned unchanged, created false).
   * `maxPending`: refuse (MEMPOOL_FULL) when that many jobs of the same kind already wait.
   */
  async enqueue(spec: JobSpec, options?: { readonly maxPending?: number }): Promise<Outcome<EnqueueResult>> {
    const parsed = parseJobSpec(spec);
    if (!parsed.ok) return failure("MALFORMED", `job spec ${parsed.message}`);
    const s = parsed.spec;
    const size = jsonBytes(s.payload);
    if (size > JOB_LIMITS.maxJsonBytes) return failure("TOO_LARGE", `job payload is ${size} bytes, more than ${JOB_LIMITS.maxJsonBytes}`);
    const existing = this.row(s.id);
    if (existing !== null) return success({ created: false, job: rowToJob(existing) });
    const maxPending = options?.maxPending;
    if (maxPending !== undefined) {
      const waiting = this.sql.exec<{ n: number }>(`SELECT COUNT(*) AS n FROM jobs WHERE status = 'pending' AND kind = ?`, s.kind).one().n;
      if (waiting >= maxPending) return failure("MEMPOOL_FULL", `${waiting} ${s.kind} jobs are already waiting; try again later`);
    }
    this.sql.exec(
      `INSERT INTO jobs (id, kind, domain, payload, priority, max_attempts, notify, status, attempts, created_at, expires_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, 'pending', 0, ?, ?)`,
      s.id,
      s.kind,
      s.domain,
      JSON.stringify(s.payload),
      s.priority ?? DEFAULT_PRIORITY[s.kind],
      s.maxAttempts ?? DEFAULT_MAX_ATTEMPTS,
      s.notify ?? "none",
      Date.now(),
      s.ttlMs === undefined ? null : Date.now() + s.ttlMs,
    );
    if (s.ttlMs !== undefined) await this.arm();
    return success({ created: true, job: this.job(s.id) });
  }

  /** Leases up to `max` pending jobs (by priority, then age), each under a fresh random lease id. */
  async claim(request: ClaimRequest): Promise<Outcome<Job[]>> {
    const parsed = ClaimSchema.safeParse(request);
    if (!parsed.success) return failure("MALFORMED", firstIssue(parsed.error, "claim"));
    const { runner, kinds, domains, max = 1, leaseMs = JOB_LIMITS.defaultLeaseMs } = parsed.data;
    const now = Date.now();
    this.sweep(now);
    const where = ["status = 'pending'"];
    const args: (string | number)[] = [];
    if (kinds !== undefined) {
      where.push(`kind IN (${kinds.map(() => "?").join(", ")})`);
      args.push(...kinds);
    }
    if (domains !== undefined) {
      where.push(`domain IN (${domains.map(() => "?").join(", ")})`);
      args.push(...domains);
    }
    const ids = this.sql
      .exec<{ id: string }>(`SELECT id FROM jobs WHERE ${where.join(" AND ")} ORDER BY priority, created_at, rowid LIMIT ?`, ...args, max)
      .toArray()
      .map((r) => r.id);
    const jobs: Job[] = [];
    for (const id of ids) {
      this.sql.exec(
        `UPDATE jobs SET status = 'leased', lease_id = ?, lease_expires_at = ?, lease_ms = ?, runner = ? WHERE id = ?`,
        randomLeaseId(),
        now + leaseMs,
        leaseMs,
        runner,
        id,
      );
      jobs.push(this.job(id));
    }
    if (jobs.length > 0) await this.arm();
    return success(jobs);
  }

  /** Extends a live lease by `extendMs` from now (default: the lease's own length). */
  async heartbeat(jobId: string, leaseId: string, extendMs?: number): Promise<Outcome<{ readonly leaseExpiresAt: number }>> {
    const bad = this.checkLease(jobId, leaseId);
    if (bad !== null) return bad;
    if (extendMs !== undefined && !LeaseMsSchema.safeParse(extendMs).success) {
      return failure("MALFORMED", `extendMs: expected an integer from ${JOB_LIMITS.minLeaseMs} to ${JOB_LIMITS.maxLeaseMs}`);
    }
    const now = Date.now();
    this.sweep(now);
    const row = this.row(jobId);
    if (row === null) return failure("UNKNOWN_JOB", `no job ${jobId}`);
    if (row.status !== "leased" || row.lease_id !== leaseId) return this.leaseLost(row, leaseId);
    const leaseExpiresAt = now + (extendMs ?? row.lease_ms ?? JOB_LIMITS.defaultLeaseMs);
    this.sql.exec(`UPDATE jobs SET lease_expires_at = ? WHERE id = ?`, leaseExpiresAt, jobId);
    await this.arm();
    return success({ leaseExpiresAt });
  }

  /**
   * Reports a leased job's outcome.
   * - `{result}`: applied once (status done). Taken from the current lease, or
   *   from the last lease if it lapsed and nobody has re-claimed the job since.
   *   A job already done answers `{applied: false, duplicate: true}`.
   * - `{error}`: needs the live lease; counts an attempt and re-queues the job,
   *   or marks it dead after maxAttempts.
   */
  async complete(jobId: string, leaseId: string, outcome: JobResult): Promise<Outcome<CompleteResult>> {
    const bad = this.checkLease(jobId, leaseId);
    if (bad !== null) return bad;
    const parsed = JobResultSchema.safeParse(outcome);
    if (!parsed.success) return failure("MALFORMED", firstIssue(parsed.error, "completion"));
    const report = parsed.data;
    if ("result" in report) {
      const size = jsonBytes(report.result);
      if (size > JOB_LIMITS.maxJsonBytes) return failure("TOO_LARGE", `result is ${size} bytes, more than ${JOB_LIMITS.maxJsonBytes}`);
    }
    const now = Date.now();
    this.sweep(now);
    const row = this.row(jobId);
    if (row === null) return failure("UNKNOWN_JOB", `no job ${jobId}`);
    if (row.status === "done") return success({ applied: false, duplicate: true, job: rowToJob(row) });

    if ("error" in report) {
      if (row.status !== "leased" || row.lease_id !== leaseId) return this.leaseLost(row, leaseId);
      const attempts = row.attempts + 1;
      const dead = attempts >= row.max_attempts;
      this.sql.exec(
        `UPDATE jobs SET status = ?, attempts = ?, error = ?, lease_id = NULL, lease_expires_at = NULL, completed_at = ? WHERE id = ?`,
        dead ? "dead" : "pending",
        attempts,
        report.error,
        dead ? now : null,
        jobId,
      );
      await this.arm();
      return success({ applied: true, duplicate: false, job: this.job(jobId) });
    }

    // A result: the lease must be the last one issued (live, or lapsed and not re-claimed).
    if (row.lease_id !== leaseId) return this.leaseLost(row, leaseId);
    const checked = parseJobResult(row.kind as JobKind, report.result, { maxParamsBytes: this.maxParamsBytes(row.domain) });
    if (!checked.ok) return failure("MALFORMED", `result of a ${row.kind} job: ${checked.message}`);
    this.sql.exec(`UPDATE jobs SET status = 'done', result = ?, completed_at = ?, lease_expires_at = NULL WHERE id = ?`, JSON.stringify(report.result), now, jobId);
    if (row.notify === "quorum") {
      this.sql.exec(`INSERT OR IGNORE INTO outbox (job_id, tries, next_at) VALUES (?, 0, ?)`, jobId, now);
      this.ctx.waitUntil(this.deliver());
    }
    await this.arm();
    return success({ applied: true, duplicate: false, job: this.job(jobId) });
  }

  /** A runner shutting down gives a leased job back: pending again, no attempt counted. */
  async release(jobId: string, leaseId: string): Promise<Outcome<{ readonly released: true; readonly job: Job }>> {
    const bad = this.checkLease(jobId, leaseId);
    if (bad !== null) return bad;
    this.sweep(Date.now());
    const row = this.row(jobId);
    if (row === null) return failure("UNKNOWN_JOB", `no job ${jobId}`);
    if (row.status !== "leased" || row.lease_id !== leaseId) return this.leaseLost(row, leaseId);
    this.sql.exec(`UPDATE jobs SET status = 'pending', lease_id = NULL, lease_expires_at = NULL WHERE id = ?`, jobId);
    await this.arm();
    return success({ released: true, job: this.job(jobId) });
  }

  /** Pending jobs in claim order (at most `limit`, 1..100), and how many match in all. */
  async pending(limit = 10, filter?: { readonly kind?: JobKind; readonly domain?: string }): Promise<Outcome<{ readonly jobs: Job[]; readonly total: number }>> {
    if (!Number.isInteger(limit) || limit < 1 || limit > 100) return failure("MALFORMED", "limit: expected an integer from 1 to 100");
    if (filter?.kind !== undefined && !JOB_KINDS.includes(filter.kind)) return failure("MALFORMED", "kind: unknown job kind");
    if (filter?.domain !== undefined && !DomainSchema.safeParse(filter.domain).success) return failure("MALFORMED", "domain: invalid domain");
    this.sweep(Date.now());
    const where = ["status = 'pending'"];
    const args: string[] = [];
    if (filter?.kind !== undefined) {
      where.push("kind = ?");
      args.push(filter.kind);
    }
    if (filter?.domain !== undefined) {
      where.push("domain = ?");
      args.push(filter.domain);
    }
    const clause = where.join(" AND ");
    const jobs = this.sql.exec<JobRow>(`SELECT * FROM jobs WHERE ${clause} ORDER BY priority, created_at, rowid LIMIT ?`, ...args, limit).toArray().map(rowToJob);
    const total = this.sql.exec<{ n: number }>(`SELECT COUNT(*) AS n FROM jobs WHERE ${clause}`, ...args).one().n;
    return success({ jobs, total });
  }

  async get(jobId: string): Promise<Outcome<Job>> {
    if (!JobIdSchema.safeParse(jobId).success) return failure("MALFORMED", "jobId: invalid job id");
    this.sweep(Date.now());
    const row = this.row(jobId);
    return row === null ? failure("UNKNOWN_JOB", `no job ${jobId}`) : success(rowToJob(row));
  }

  /** Counts by status and by kind, and results waiting for delivery. */
  async stats(): Promise<Outcome<JobStats>> {
    this.sweep(Date.now());
    const zero = (): Record<JobStatus, number> => ({ pending: 0, leased: 0, done: 0, dead: 0 });
    const byStatus = zero();
    const byKind: Record<JobKind, Record<JobStatus, number>> = { optimize: zero(), evaluate: zero(), inference: zero() };
    let total = 0;
    for (const r of this.sql.exec<{ kind: string; status: string; n: number }>(`SELECT kind, status, COUNT(*) AS n FROM jobs GROUP BY kind, status`)) {
      const kind = r.kind as JobKind;
      const status = r.status as JobStatus;
      if (!JOB_STATUSES.includes(status) || !JOB_KINDS.includes(kind)) continue;
      byStatus[status] += r.n;
      byKind[kind][status] += r.n;
      total += r.n;
    }
    const undelivered = this.sql.exec<{ n: number }>(`SELECT COUNT(*) AS n FROM outbox`).one().n;
    const deadCount = this.sql.exec<{ n: number }>(`SELECT COUNT(*) AS n FROM dead_letters`).one().n;
    const latest: DeadLetter[] = this.sql
      .exec<{ job_id: string; kind: string | null; domain: string | null; tries: number; last_error: string | null; moved_at: number }>(
        `SELECT d.job_id, j.kind, j.domain, d.tries, d.last_error, d.moved_at FROM dead_letters d LEFT JOIN jobs j ON j.id = d.job_id ORDER BY d.moved_at DESC LIMIT 20`,
      )
      .toArray()
      .map((r) => ({ jobId: r.job_id, kind: (r.kind ?? "evaluate") as JobKind, domain: r.domain ?? "", tries: r.tries, error: r.last_error, movedAt: r.moved_at }));
    return success({ total, byStatus, byKind, undelivered, deadLetters: { count: deadCount, latest } });
  }

  /** Expires lapsed leases, delivers due results, forgets old finished jobs, and re-arms. */
  override async alarm(): Promise<void> {
    try {
      const now = Date.now();
      this.sweep(now);
      await this.deliver();
      this.sql.exec(
        `DELETE FROM jobs WHERE status IN ('done', 'dead') AND completed_at < ? AND id NOT IN (SELECT job_id FROM outbox)`,
        now - RETAIN_MS,
      );
      this.sql.exec(`DELETE FROM dead_letters WHERE moved_at < ?`, now - RETAIN_MS);
    } finally {
      await this.arm();
    }
  }

  // -------------------------------------------------------------------------
  // internals

  /** Where a result of a notify-"quorum" job goes: the domain's QuorumDO. */
  protected resultSink(domain: string): JobResultSink {
    return quorumStubOf(this.env, domain);
  }

  /** The domain's bound on params (an optimize result must fit a reveal); none for a domain this network does not have. */
  private maxParamsBytes(domain: string): number | undefined {
    return nodeConfig(this.env).params.domains.find((d) => d.id === domain)?.maxParamsBytes;
  }

  private row(id: string): JobRow | null {
    return this.sql.exec<JobRow>(`SELECT * FROM jobs WHERE id = ?`, id).toArray()[0] ?? null;
  }

  private job(id: string): Job {
    const row = this.row(id);
    if (row === null) throw new Error(`job ${id} vanished`);
    return rowToJob(row);
  }

  private checkLease(jobId: unknown, leaseId: unknown): { ok: false; code: "MALFORMED"; message: string } | null {
    if (!JobIdSchema.safeParse(jobId).success) return { ok: false, code: "MALFORMED", message: "jobId: invalid job id" };
    if (!LeaseIdSchema.safeParse(leaseId).success) return { ok: false, code: "MALFORMED", message: "leaseId: expected 32 lower-case hex characters" };
    return null;
  }

  private leaseLost(row: JobRow, leaseId: string): Outcome<never> {
    if (row.status === "done") return failure("LEASE_EXPIRED", `job ${row.id} is already done`);
    if (row.status === "dead") return failure("LEASE_EXPIRED", `job ${row.id} is dead after ${row.attempts} attempts`);
    if (row.status === "leased" && row.lease_id !== leaseId) return failure("LEASE_EXPIRED", `lease ${leaseId} on job ${row.id} lapsed; the job is leased again`);
    return failure("LEASE_EXPIRED", `lease ${leaseId} on job ${row.id} is no longer held; the job is ${row.status}`);
  }

  /** Lapsed leases: back to pending with one more attempt, or dead after maxAttempts; pending jobs past their ttl: dead. */
  private sweep(now: number): void {
    this.sql.exec(
      `UPDATE jobs SET status = 'dead', completed_at = ?, lease_id = NULL, error = 'expired: not claimed within its time to live'
       WHERE status = 'pending' AND expires_at IS NOT NULL AND expires_at <= ?`,
      now,
      now,
    );
    this.sql.exec(
      `UPDATE jobs SET
         attempts = attempts + 1,
         status = CASE WHEN attempts + 1 >= max_attempts THEN 'dead' ELSE 'pending' END,
         completed_at = CASE WHEN attempts + 1 >= max_attempts THEN ? ELSE NULL END,
         error = 'lease of ' || COALESCE(runner, '?') || ' expired (attempt ' || (attempts + 1) || ' of ' || max_attempts || ')'
       WHERE status = 'leased' AND lease_expires_at <= ?`,
      now,
      now,
    );
  }

  /** Delivers due results to their sinks; a failure is retried later with backoff. */
  private async deliver(): Promise<void> {
    const now = Date.now();
    const due = this.sql
      .exec<{ job_id: string; tries: number }>(`SELECT job_id, tries FROM outbox WHERE next_at <= ? ORDER BY next_at LIMIT ?`, now, DELIVERY_BATCH)
      .toArray();
    // Taken, like a lease: no other run picks these up while they are in flight (a crash retries them later).
    for (const { job_id: id } of due) this.sql.exec(`UPDATE outbox SET next_at = ? WHERE job_id = ?`, now + DELIVERY_IN_FLIGHT_MS, id);
    for (const { job_id: id, tries } of due) {
      const row = this.row(id);
      if (row === null || row.status !== "done") {
        this.sql.exec(`DELETE FROM outbox WHERE job_id = ?`, id);
        continue;
      }
      try {
        await this.resultSink(row.domain).onJobResult(rowToJob(row));
        this.sql.exec(`DELETE FROM outbox WHERE job_id = ?`, id);
      } catch (e) {
        const message = e instanceof Error ? e.message : String(e);
        if (tries + 1 >= MAX_DELIVERY_TRIES) {
          // A result its sink keeps refusing is moved aside: counted and listed in /status, never retried forever.
          this.ctx.storage.transactionSync(() => {
            this.sql.exec(`INSERT OR REPLACE INTO dead_letters (job_id, tries, last_error, moved_at) VALUES (?, ?, ?, ?)`, id, tries + 1, message.slice(0, 1000), Date.now());
            this.sql.exec(`DELETE FROM outbox WHERE job_id = ?`, id);
          });
          console.warn(`job ${id}: result delivery failed ${tries + 1} times, moved to the dead letters: ${message}`);
          continue;
        }
        const backoff = Math.min(MAX_DELIVERY_BACKOFF_MS, 1000 * 2 ** Math.min(tries, 20));
        this.sql.exec(`UPDATE outbox SET tries = tries + 1, next_at = ?, last_error = ? WHERE job_id = ?`, Date.now() + backoff, message.slice(0, 1000), id);
        console.warn(`job ${id}: result delivery failed (try ${tries + 1}), retrying in ${backoff} ms: ${message}`);
      }
    }
    await this.arm();
  }

  /** The alarm goes off at the earliest of: a lease expiry, a due delivery, a finished job to forget. */
  private async arm(): Promise<void> {
    const next = this.sql
      .exec<{ t: number | null }>(
        `SELECT MIN(t) AS t FROM (
           SELECT MIN(lease_expires_at) AS t FROM jobs WHERE status = 'leased'
           UNION ALL SELECT MIN(expires_at) FROM jobs WHERE status = 'pending'
           UNION ALL SELECT MIN(next_at) FROM outbox
           UNION ALL SELECT MIN(completed_at) + ${RETAIN_MS} FROM jobs WHERE status IN ('done', 'dead') AND id NOT IN (SELECT job_id FROM outbox))`,
      )
      .one().t;
    if (next === null) return;
    const current = await this.ctx.storage.getAlarm();
    // an alarm at or before now is the one running (or about to): set the next one regardless
    if (current === null || current > next || current <= Date.now()) await this.ctx.storage.setAlarm(next);
  }
}

/** TaskDO's RPC surface. */
export type TaskRpc = Pick<TaskDO, "enqueue" | "claim" | "heartbeat" | "complete" | "release" | "pending" | "get" | "stats">;
