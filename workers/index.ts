import { buildApp } from "./app.ts";

export { ChainDO } from "../durable-objects/chain.ts";
export { MempoolDO } from "../durable-objects/mempool.ts";
export { QuorumDO } from "../durable-objects/quorum.ts";
export { TaskDO } from "../durable-objects/task.ts";

const app = buildApp();

export default {
  fetch: app.fetch,
  async queue(batch: MessageBatch<unknown>): Promise<void> {
    batch.ackAll();
  },
  async scheduled(): Promise<void> {},
} satisfies ExportedHandler<Env>;
