/**
 * Node-level routes: /status (everything at a glance, as the seed's
 * dashboard shows it).
 */
import { PROTOCOL_VERSION } from "../../core/params.ts";
import { createRoute, z } from "@hono/zod-openapi";
import { chainOf, mempoolOf, networkOf, tasksOf } from "../../durable-objects/stubs.ts";
import type { QuorumOutlook } from "../../core/quorum-outlook.ts";
import type { DifficultyView } from "../../durable-objects/rpc.ts";
import { JOB_KINDS, JOB_STATUSES, type JobStats } from "../../protocol/jobs.ts";
import { documents, type NodeApp } from "../http.ts";
import { ChainStatusSchema } from "./chain.ts";
import { PeerSchema } from "./p2p.ts";

const DifficultySchema = documents<DifficultyView>()(
  z
    .object({
      threshold: z.string(),
      emaBlockTimeMs: z.string(),
      lastWorkTimestamp: z.number().int(),
      epochStartTimestamp: z.number().int(),
      blocksInEpoch: z.number().int(),
      targetBlockTimeMs: z.number().int(),
      carrierIntervalMs: z.number().int(),
      pendingWork: z.string(),
    })
    .openapi("Difficulty"),
);

const byStatus = z.object(Object.fromEntries(JOB_STATUSES.map((s) => [s, z.number().int()])) as Record<JobStats["byStatus"] extends Record<infer K, number> ? K : never, z.ZodNumber>);
const JobStatsSchema = documents<JobStats>()(
  z
    .object({
      total: z.number().int(),
      byStatus,
      byKind: z.object(Object.fromEntries(JOB_KINDS.map((k) => [k, byStatus])) as Record<keyof JobStats["byKind"], typeof byStatus>),
      undelivered: z.number().int().openapi({ description: "successful results not yet delivered to their QuorumDO" }),
      deadLetters: z.object({
        count: z.number().int(),
        latest: z
          .array(
            z.object({ jobId: z.string(), kind: z.enum(["optimize", "evaluate", "inference"]), domain: z.string(), tries: z.number().int(), error: z.string().nullable(), movedAt: z.number().int() }),
          )
          .readonly(),
      }),
    })
    .openapi("JobStats"),
);

const QuorumOutlookSchema = documents<QuorumOutlook>()(
  z
    .object({
      evaluators: z.number().int(),
      evaluatorsBesidesSelf: z.number().int(),
      problem: z.enum(["NO_EVALUATORS", "SELF_ONLY_EVALUATOR"]).nullable(),
      message: z.string().nullable(),
    })
    .openapi("QuorumOutlook", { description: "whether rounds can be decided: a problem (NO_EVALUATORS, SELF_ONLY_EVALUATOR) with what to do" }),
);

const NodeStatusSchema = z
  .object({
    node: z.object({ publicKey: z.string(), address: z.string(), url: z.string(), protocol: z.number().int() }),
    chain: ChainStatusSchema,
    difficulty: DifficultySchema,
    coin: z.object({ supply: z.string(), maxSupply: z.string(), mintedBlocks: z.number().int(), balance: z.string() }),
    security: z.object({ signatures: z.string(), reputation: z.string(), minEvaluatorReputation: z.string(), finalityDepth: z.number().int() }),
    quorum: QuorumOutlookSchema,
    tasks: JobStatsSchema.nullable(),
    mempool: z.object({ size: z.number().int().openapi({ description: "pending transactions" }) }),
    peers: z.array(PeerSchema),
  })
  .openapi("NodeStatus");

export function registerNodeRoutes(app: NodeApp): void {
  app.openapi(
    createRoute({
      method: "get",
      path: "/status",
      summary: "Everything at a glance: node, chain, difficulty, coin, security, tasks (dead letters included), mempool, peers",
      responses: { 200: { description: "Node status", content: { "application/json": { schema: NodeStatusSchema } } } },
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
      return c.json(
        {
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
        },
        200,
      );
    },
  );
}
