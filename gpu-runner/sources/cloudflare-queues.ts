/**
 * JobSource over Cloudflare Queues' HTTP pull consumer API, for a deployment
 * where jobs are produced to a queue that has an HTTP pull consumer (a queue
 * cannot have both a Worker consumer and a pull consumer).
 *
 * The API as Cloudflare documents it (developers.cloudflare.com/queues/
 * configuration/pull-consumers, and the REST reference: "Pull Queue
 * Messages", "Acknowledge + Retry Queue Messages", "Push Message"):
 *
 *   POST {api}/accounts/{account_id}/queues/{queue_id}/messages/pull
 *        {"batch_size": n, "visibility_timeout_ms": ms}
 *     → {"success": true, "errors": [], "messages": [],
 *        "result": {"message_backlog_count": n, "messages": [
 *          {"id", "body": string, "attempts", "timestamp_ms", "lease_id", "metadata"}]}}
 *   POST {api}/accounts/{account_id}/queues/{queue_id}/messages/ack
 *        {"acks": [{"lease_id"}], "retries": [{"lease_id", "delay_seconds"}]}
 *     → {"success": true, "result": {"ackCount", "retryCount", "warnings"}}
 *   POST {api}/accounts/{account_id}/queues/{queue_id}/messages
 *        {"body": <json>, "content_type": "json"}
 *     → {"success": true, "result": {...}}
 *   Authorization: Bearer <API token with Queues Edit>.
 *
 * This adapter could not be run against Cloudflare from where it was
 * written: it is tested against a local HTTP server that implements those
 * request and response shapes (test/runner/queues.test.ts).
 *
 * How jobs map:
 * - A message body is a job spec `{id, kind, domain, payload}` (the node's
 *   JobSpec), produced with content type "json" (a Worker's default "v8"
 *   content type cannot be decoded outside Workers). A string body is parsed
 *   as JSON; a base64 body (content type "bytes") is decoded first.
 * - claim → pull with the visibility timeout as the lease. A message for a
 *   kind or domain this runner does not serve is handed back at once (retry,
 *   delay 0): give each runner pool its own queue. A malformed body is
 *   retried with a delay, so the queue's max_retries / dead-letter queue
 *   keeps it as evidence.
 * - heartbeat → the pull API cannot extend a visibility timeout: it answers
 *   true while the timeout has not lapsed, false after (another consumer
 *   may have the message by then). Choose a visibility timeout longer than
 *   the longest job (up to 12 h).
 * - complete → the result is pushed to the results queue as
 *   `{jobId, kind, domain, runner, result}` (content type json), then the
 *   message is acked. Delivery is at least once: the consumer of the
 *   results queue must apply a job's result once (TaskDO does, by job id).
 * - fail → retry with exponential delay (by attempts); release → retry now.
 */
import type { JsonValue } from "../../core/types.ts";
import { DEFAULT_RETRY, requestJson, type HttpAnswer, type RetryPolicy } from "../http.ts";
import { JOB_KINDS, SourceError, type CompleteOutcome, type JobKind, type JobSource, type LeasedJob } from "../job-source.ts";

export interface CloudflareQueuesOptions {
  readonly accountId: string;
  readonly apiToken: string;
  /** the jobs queue (its id, as the API wants it) */
  readonly queueId: string;
  /** where results go */
  readonly resultQueueId: string;
  /** default https://api.cloudflare.com/client/v4 (tests point it at a local server) */
  readonly apiBase?: string;
  /** the lease; default 10 min */
  readonly visibilityTimeoutMs?: number;
  readonly kinds?: readonly JobKind[];
  readonly domains?: readonly string[];
  /** written into each result */
  readonly runner?: string;
  readonly retry?: Partial<RetryPolicy>;
  readonly fetchFn?: typeof fetch;
  readonly log?: (line: string) => void;
}

/** The pull API's largest batch. */
const MAX_BATCH = 100;
/** Retry delays after an error: 10 s, 20 s, 40 s … at most 15 min. */
const FAIL_DELAY_S = { base: 10, max: 900 } as const;
const MALFORMED_DELAY_S = 60;

interface PulledMessage {
  id?: string;
  body?: unknown;
  attempts?: number;
  lease_id?: string;
  timestamp_ms?: number;
  metadata?: unknown;
}

interface Envelope {
  success?: boolean;
  errors?: { code?: number; message?: string }[];
  result?: unknown;
}

/** A message body → a job spec, or why not. */
export function decodeJobMessage(body: unknown): { ok: true; spec: { id: string; kind: JobKind; domain: string; payload: JsonValue } } | { ok: false; why: string } {
  let value: unknown = body;
  if (typeof body === "string") {
    try {
      value = JSON.parse(body) as unknown;
    } catch {
      try {
        value = JSON.parse(Buffer.from(body, "base64").toString("utf8")) as unknown;
      } catch {
        return { ok: false, why: "body is neither JSON nor base64 JSON" };
      }
    }
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) return { ok: false, why: "body is not a JSON object" };
  const v = value as Record<string, unknown>;
  if (typeof v["id"] !== "string" || v["id"] === "") return { ok: false, why: "id: expected a string" };
  if (typeof v["kind"] !== "string" || !(JOB_KINDS as readonly string[]).includes(v["kind"])) return { ok: false, why: "kind: expected optimize, evaluate or inference" };
  if (typeof v["domain"] !== "string" || v["domain"] === "") return { ok: false, why: "domain: expected a string" };
  if (!("payload" in v)) return { ok: false, why: "payload: missing" };
  return { ok: true, spec: { id: v["id"], kind: v["kind"] as JobKind, domain: v["domain"], payload: v["payload"] as JsonValue } };
}

export function cloudflareQueuesSource(opts: CloudflareQueuesOptions): JobSource {
  const api = (opts.apiBase ?? "https://api.cloudflare.com/client/v4").replace(/\/+$/, "");
  const visibility = opts.visibilityTimeoutMs ?? 10 * 60_000;
  const policy: RetryPolicy = { ...DEFAULT_RETRY, ...opts.retry };
  const headers = { authorization: `Bearer ${opts.apiToken}` };
  const queueUrl = (queue: string) => `${api}/accounts/${encodeURIComponent(opts.accountId)}/queues/${encodeURIComponent(queue)}/messages`;
  const log = opts.log ?? (() => undefined);

  const call = async (url: string, body: unknown, what: string, signal?: AbortSignal): Promise<unknown> => {
    const r: HttpAnswer = await requestJson({ method: "POST", url, headers, body }, policy, opts.fetchFn, signal);
    const env = (r.body ?? {}) as Envelope;
    if (r.status !== 200 || env.success !== true) {
      const first = env.errors?.[0];
      throw new SourceError(first?.code === undefined ? "QUEUES_ERROR" : `QUEUES_${first.code}`, `${what}: HTTP ${r.status}: ${first?.message ?? JSON.stringify(r.body).slice(0, 300)}`, r.status);
    }
    return env.result;
  };

  const ack = async (acks: string[], retries: { lease_id: string; delay_seconds: number }[]): Promise<{ ackCount: number; retryCount: number; warnings: unknown }> => {
    const result = (await call(`${queueUrl(opts.queueId)}/ack`, { acks: acks.map((lease_id) => ({ lease_id })), retries }, "ack")) as {
      ackCount?: number;
      retryCount?: number;
      warnings?: unknown;
    } | null;
    return { ackCount: result?.ackCount ?? 0, retryCount: result?.retryCount ?? 0, warnings: result?.warnings ?? null };
  };

  return {
    name: `cloudflare-queues ${opts.queueId}`,

    async claim(max, signal) {
      const batch = Math.max(1, Math.min(MAX_BATCH, Math.floor(max)));
      const result = (await call(`${queueUrl(opts.queueId)}/pull`, { batch_size: batch, visibility_timeout_ms: visibility }, "pull", signal)) as { messages?: PulledMessage[] } | null;
      const now = Date.now();
      const jobs: LeasedJob[] = [];
      const handBack: { lease_id: string; delay_seconds: number }[] = [];
      for (const m of result?.messages ?? []) {
        if (typeof m.lease_id !== "string") continue;
        const decoded = decodeJobMessage(m.body);
        if (!decoded.ok) {
          log(`queues: message ${m.id ?? "?"} is not a job (${decoded.why}); retrying it in ${MALFORMED_DELAY_S} s`);
          handBack.push({ lease_id: m.lease_id, delay_seconds: MALFORMED_DELAY_S });
          continue;
        }
        const { spec } = decoded;
        if ((opts.kinds !== undefined && !opts.kinds.includes(spec.kind)) || (opts.domains !== undefined && !opts.domains.includes(spec.domain))) {
          handBack.push({ lease_id: m.lease_id, delay_seconds: 0 });
          continue;
        }
        jobs.push({ ...spec, leaseId: m.lease_id, leaseMs: visibility, leaseExpiresAt: now + visibility, attempts: Math.max(0, (m.attempts ?? 1) - 1) });
      }
      if (handBack.length > 0) await ack([], handBack);
      return jobs;
    },

    async heartbeat(job) {
      // No API extends a pulled message's visibility: the lease holds until its timeout.
      return Date.now() < job.leaseExpiresAt;
    },

    async complete(job, result): Promise<CompleteOutcome> {
      await call(queueUrl(opts.resultQueueId), { body: { jobId: job.id, kind: job.kind, domain: job.domain, runner: opts.runner ?? null, result }, content_type: "json" }, "push result");
      const a = await ack([job.leaseId], []);
      // The result is out either way; an ack the queue did not count means the lease had lapsed (the message may run again: the results consumer dedupes by job id).
      return a.ackCount >= 1 ? "applied" : "lost";
    },

    async fail(job, error) {
      const delay = Math.min(FAIL_DELAY_S.max, FAIL_DELAY_S.base * 2 ** Math.min(job.attempts, 10));
      log(`queues: job ${job.id} failed (${error.slice(0, 300)}); retrying it in ${delay} s`);
      await ack([], [{ lease_id: job.leaseId, delay_seconds: delay }]);
    },

    async release(job) {
      await ack([], [{ lease_id: job.leaseId, delay_seconds: 0 }]);
    },
  };
}
