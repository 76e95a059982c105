/**
 * The node Worker: HTTP API, queue consumers and cron, plus the Durable
 * Object classes it hosts.
 */
// First: it gives zod its .openapi() before any module builds a schema that a route describes.
import "@hono/zod-openapi";
import { networkOf, quorumOf } from "../durable-objects/stubs.ts";
import { nodeConfig } from "../durable-objects/config.ts";
import { buildApp } from "./app.ts";
import { handleFloodBatch } from "./flood.ts";
import { handleJobsBatch } from "./queue.ts";
import { queueRole } from "./queue-role.ts";

export { ChainDO } from "../durable-objects/chain.ts";
export { MempoolDO } from "../durable-objects/mempool.ts";
export { QuorumDO } from "../durable-objects/quorum.ts";
export { TaskDO } from "../durable-objects/task.ts";
export { NetworkDO } from "../durable-objects/network.ts";

const app = buildApp();

export default {
  fetch: app.fetch,
  async queue(batch: MessageBatch<unknown>, env: Env): Promise<void> {
    const role = queueRole(batch.queue);
    if (role === "jobs") return handleJobsBatch(batch, env);
    if (role === "flood") return handleFloodBatch(batch, env);
    batch.ackAll();
  },
  // Crons never fire by themselves locally: Durable Object alarms drive the periodic work,
  // and the cron is a second trigger that wakes every domain's quorum duties.
  async scheduled(_controller: ScheduledController, env: Env): Promise<void> {
    await Promise.allSettled([
      ...nodeConfig(env).params.domains.map(async (d) => (await quorumOf(env, d.id)).sync()),
      networkOf(env).syncNow(),
    ]);
  },
} satisfies ExportedHandler<Env>;
