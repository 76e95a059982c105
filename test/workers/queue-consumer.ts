// Runs a Queue consumer on a batch inside workerd and reports what it did
// with each message, including the retry delays it asked for (the test
// runtime's getQueueResult keeps only the ids).
import { createExecutionContext, createMessageBatch, getQueueResult } from "cloudflare:test";

export function message(id: string, body: unknown, attempts = 1) {
  return { id, timestamp: new Date(), attempts, body };
}

export async function runConsumer(queue: string, messages: ReturnType<typeof message>[], handle: (batch: MessageBatch<unknown>) => Promise<void>) {
  const batch = createMessageBatch(queue, messages);
  const delays: Record<string, number | undefined> = {};
  for (const m of batch.messages) {
    const retry = m.retry.bind(m);
    m.retry = (options?: QueueRetryOptions) => {
      delays[m.id] = options?.delaySeconds;
      retry(options);
    };
  }
  const ctx = createExecutionContext();
  await handle(batch);
  return { ...(await getQueueResult(batch, ctx)), delays };
}
