/**
 * The node's HTTP API: every route module registers itself on one app, and
 * /openapi.json is generated from the same zod schemas that validate requests.
 */
import { createRoute, z } from "@hono/zod-openapi";
import { PROTOCOL_VERSION } from "../core/params.ts";
import { registerExplorerRoutes } from "./explorer/routes.tsx";
import { createNodeApp, type NodeApp } from "./http.ts";
import { registerChainRoutes } from "./routes/chain.ts";
import { registerFaucetRoutes } from "./routes/faucet.ts";
import { registerHistoryRoutes } from "./routes/history.ts";
import { registerNodeRoutes } from "./routes/node.ts";
import { registerP2pRoutes } from "./routes/p2p.ts";
import { registerStatsRoutes } from "./routes/stats.ts";
import { registerTaskRoutes } from "./routes/tasks.ts";
import { registerTxRoutes } from "./routes/tx.ts";

export function buildApp(): NodeApp {
  const app = createNodeApp();
  app.openapi(
    createRoute({
      method: "get",
      path: "/health",
      summary: "Liveness: the node's network, protocol version and public key",
      responses: {
        200: {
          description: "Alive",
          content: { "application/json": { schema: z.object({ ok: z.literal(true), network: z.string(), protocol: z.number().int(), node: z.string() }).openapi("Health") } },
        },
      },
    }),
    (c) => c.json({ ok: true as const, network: c.env.NETWORK_ID, protocol: PROTOCOL_VERSION, node: c.get("config").nodeKey }, 200),
  );
  registerNodeRoutes(app);
  registerChainRoutes(app);
  registerTxRoutes(app);
  registerFaucetRoutes(app);
  registerTaskRoutes(app);
  registerStatsRoutes(app);
  registerHistoryRoutes(app);
  registerP2pRoutes(app);
  registerExplorerRoutes(app);
  // the document describes itself too (doc31 serves it; the registry only documents the route)
  app.openAPIRegistry.registerPath({
    method: "get",
    path: "/openapi.json",
    summary: "This document: every route of the node's API, its request and its responses (OpenAPI 3.1)",
    responses: { 200: { description: "The OpenAPI document", content: { "application/json": { schema: z.record(z.string(), z.unknown()).openapi("OpenAPIDocument") } } } },
  });
  app.doc31("/openapi.json", {
    openapi: "3.1.0",
    info: { title: "DOIN node API", version: String(PROTOCOL_VERSION), description: "One DOIN node: chain, mempool, quorum, tasks for runners, experiment statistics." },
  });
  return app;
}
