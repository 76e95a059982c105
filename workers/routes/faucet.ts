/**
 * POST /faucet: a test network's way in for newcomers. A commit locks a bond
 * and every transaction may pay a fee, so an account needs its first coin
 * from someone; on a network whose node sets FAUCET_DOIN, the node pays it
 * from its own account (once per address per 10 minutes, and each client
 * at most as often as the INFERENCE_LIMITER binding allows: one key per
 * request is free, so the per-address rule alone would not bound a drain).
 * Mainnet nodes have no faucet: coin comes from a transfer, or is earned.
 */
import { mempoolOf } from "../../durable-objects/stubs.ts";
import { createRoute, z } from "@hono/zod-openapi";
import { BODY_ERRORS, refuse, ErrorSchema, jsonError, type NodeApp } from "../http.ts";
import { WIRE_PATTERNS } from "../../core/tx.ts";

const FaucetBody = z.object({ address: z.string().regex(WIRE_PATTERNS.address, "40 lower-case hex characters") }).strict();

export function registerFaucetRoutes(app: NodeApp): void {
  app.openapi(
    createRoute({
      method: "post",
      path: "/faucet",
      summary: "Test networks: the node pays an address FAUCET_DOIN from its own account (once per 10 minutes per address)",
      request: { body: { content: { "application/json": { schema: FaucetBody } }, required: true } },
      responses: {
        ...BODY_ERRORS,
        202: { description: "The transfer is pending", content: { "application/json": { schema: z.object({ id: z.string(), status: z.literal("pending"), amount: z.string() }) } } },
        400: { description: "Malformed request", content: { "application/json": { schema: ErrorSchema } } },
        404: { description: "This node has no faucet", content: { "application/json": { schema: ErrorSchema } } },
        429: { description: "This address was given coin recently", content: { "application/json": { schema: ErrorSchema } } },
        503: { description: "The faucet is empty: the node keeps a reserve for its own work", content: { "application/json": { schema: ErrorSchema } } },
      },
    }),
    async (c) => {
      const amount = c.get("config").faucetAmount;
      if (amount === null) return jsonError(c, 404, "NOT_FOUND", "this node has no faucet (FAUCET_DOIN is not set)");
      const client = c.req.header("cf-connecting-ip") ?? "unknown";
      if (!(await c.env.INFERENCE_LIMITER.limit({ key: `faucet:${client}` })).success) {
        return jsonError(c, 429, "RATE_LIMITED", "too many faucet requests from this client: try again in a minute");
      }
      const mempool = mempoolOf(c.env);
      const sent = await mempool.faucet(c.req.valid("json").address, amount.toString());
      if (!sent.ok) return refuse(c, sent);
      return c.json({ id: sent.value.id, status: "pending" as const, amount: amount.toString() }, 202);
    },
  );
}
