import { networkOf } from "../durable-objects/stubs.ts";

/**
 * The `doin-flood` queue consumer: each message names an outbox row of the
 * NetworkDO; delivery failures are retried with backoff (the row stays in
 * the NetworkDO's storage, whose alarm also re-sends what a queue lost).
 */
import { queueRetryDelayS } from "../durable-objects/gossip.ts";

export async function handleFloodBatch(batch: MessageBatch<unknown>, env: Env): Promise<void> {
  const network = networkOf(env);
  const byId = new Map<number, Message<unknown>>();
  for (const m of batch.messages) {
    const id = (m.body as { id?: unknown } | null)?.id;
    if (typeof id === "number" && Number.isSafeInteger(id)) byId.set(id, m);
    else m.ack(); // not ours: never retry poison
  }
  if (byId.size === 0) return;
  const failed = new Set(await network.deliver([...byId.keys()]));
  for (const [id, m] of byId) {
    if (failed.has(id)) m.retry({ delaySeconds: queueRetryDelayS(m.attempts) });
    else m.ack();
  }
}
