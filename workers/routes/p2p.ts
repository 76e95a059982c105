/**
 * Node-to-node ingress: signed envelopes (see core/envelope.ts), checked by
 * the NetworkDO before anything is stored.
 */
import { createRoute, z } from "@hono/zod-openapi";
import { MAX_MESSAGE_BYTES } from "../../durable-objects/network.ts";
import { answer, declareBodyLimit, ErrorSchema, type NodeApp } from "../http.ts";

const networkStub = (env: Env) => env.NETWORK.get(env.NETWORK.idFromName("network"));

export function registerP2pRoutes(app: NodeApp): void {
  declareBodyLimit(app, "/p2p", MAX_MESSAGE_BYTES);
  app.openapi(
    createRoute({
      method: "post",
      path: "/p2p",
      summary: "A signed message from a peer: {envelope, payload}",
      request: { body: { content: { "application/json": { schema: z.object({ envelope: z.record(z.string(), z.unknown()), payload: z.unknown() }).openapi("Message") } }, required: true } },
      responses: {
        202: { description: "Accepted, or a duplicate", content: { "application/json": { schema: z.object({ duplicate: z.boolean(), accepted: z.boolean(), code: z.string().nullable() }) } } },
        400: { description: "Malformed", content: { "application/json": { schema: ErrorSchema } } },
        401: { description: "Banned sender", content: { "application/json": { schema: ErrorSchema } } },
        403: { description: "Bad signature", content: { "application/json": { schema: ErrorSchema } } },
        413: { description: "Too large", content: { "application/json": { schema: ErrorSchema } } },
      },
    }),
    async (c) => answer(c, await networkStub(c.env).receive(c.req.valid("json")), 202) as never,
  );

  app.get("/peers", async (c) => c.json({ peers: await networkStub(c.env).peers(), bootstrap: c.get("config").bootstrapPeers }));
}
