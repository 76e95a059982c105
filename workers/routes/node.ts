/**
 * Node-level routes: /status (everything at a glance, as the seed's
 * dashboard shows it).
 */
import { PROTOCOL_VERSION } from "../../core/params.ts";
import { createRoute, z } from "@hono/zod-openapi";
import { chainOf, mempoolOf, networkOf, tasksOf } from "../../durable-objects/stubs.ts";
import type { NodeApp } from "../http.ts";

export function registerNodeRoutes(app: NodeApp): void {
  app.openapi(
    createRoute({
      method: "get",
      path: "/status",
      summary: "Everything at a glance: node, chain, difficulty, coin, security, tasks (dead letters included), mempool, peers",
      responses: { 200: { description: "Node status", content: { "application/json": { schema: z.record(z.string(), z.unknown()).openapi("NodeStatus") } } } },
    }),
    async (c) => {
    const env = c.env;
    const config = c.get("config");
    const chain = chainOf(env);
    const tasks = tasksOf(env);
    const mempool = mempoolOf(env);
    const [status, difficulty, taskStats, mempoolSize, self, quorum] = await Promise.all([
      chain.status(),
      chain.difficulty(),
      tasks.stats(),
      mempool.size(),
      chain.account(config.nodeAddress),
      chain.quorumOutlook(),
    ]);
    return c.json({
      node: { publicKey: config.nodeKey, address: config.nodeAddress, url: config.nodeUrl, protocol: PROTOCOL_VERSION },
      chain: status,
      difficulty,
      coin: { supply: status.supply, maxSupply: config.params.maxSupply.toString(), mintedBlocks: status.mintedBlocks, balance: self.balance },
      security: {
        signatures: "ed25519 on every transaction and block",
        reputation: self.reputation,
        minEvaluatorReputation: config.params.reputation.minForEvaluator.toString(),
        finalityDepth: config.params.finalityDepth,
      },
      // whether rounds can be decided: a problem (NO_EVALUATORS, SELF_ONLY_EVALUATOR) with what to do
      quorum,
      tasks: taskStats.ok ? taskStats.value : null,
      mempool: { size: mempoolSize },
      peers: await networkOf(env).peers(),
    }, 200);
    },
  );
}
