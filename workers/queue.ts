/**
 * The `jobs` Queue (doin-jobs): producers send JobSpecs, this consumer moves
 * them into TaskDO, where runners claim them.
 *
 * - A body that is not a valid JobSpec (or that TaskDO refuses as malformed
 *   or too large) is poison: logged and acked, never retried.
 * - TaskDO.enqueue is idempotent by job id, so a message delivered twice makes
 *   one job; a failure to reach TaskDO retries the message with backoff.
 *
 * Local Queues live in memory: a producer that must not lose a job writes it
 * to TaskDO directly (`env.TASKS…enqueue`) or keeps it in its own storage
 * until sent; the queue is for fire-and-forget producers.
 */
import { parseJobSpec, type JobSpec } from "../protocol/jobs.ts";
import { tasksOf } from "../durable-objects/stubs.ts";

/** Retry delay for a message on its n-th delivery: 2 s, 4 s, 8 s … at most 5 min. */
export function retryDelaySeconds(attempts: number): number {
  return Math.min(300, 2 ** Math.max(1, Math.min(attempts, 9)));
}

/** Codes from TaskDO.enqueue that mean "this message can never succeed". */
const PERMANENT = new Set(["MALFORMED", "TOO_LARGE"]);

export async function handleJobsBatch(batch: MessageBatch<unknown>, env: Env): Promise<void> {
  const tasks = tasksOf(env);
  for (const msg of batch.messages) {
    const parsed = parseJobSpec(msg.body);
    if (!parsed.ok) {
      console.warn(`jobs queue: dropping message ${msg.id}: not a job spec (${parsed.message})`);
      msg.ack();
      continue;
    }
    try {
      const outcome = await tasks.enqueue(parsed.spec);
      if (outcome.ok || PERMANENT.has(outcome.code)) {
        if (!outcome.ok) console.warn(`jobs queue: dropping job ${parsed.spec.id}: ${outcome.code} ${outcome.message}`);
        msg.ack();
      } else {
        msg.retry({ delaySeconds: retryDelaySeconds(msg.attempts) });
      }
    } catch (e) {
      console.warn(`jobs queue: job ${parsed.spec.id} not stored (attempt ${msg.attempts}), retrying: ${e instanceof Error ? e.message : String(e)}`);
      msg.retry({ delaySeconds: retryDelaySeconds(msg.attempts) });
    }
  }
}

/** For producers: sends a job to the `jobs` queue (validated here, so poison never leaves). */
export async function enqueueJob(env: Env, spec: JobSpec): Promise<void> {
  const parsed = parseJobSpec(spec);
  if (!parsed.ok) throw new TypeError(`not a job spec: ${parsed.message}`);
  await env.JOBS.send(parsed.spec, { contentType: "json" });
}
