/**
 * Node-to-node ingress: signed envelopes (see core/envelope.ts), checked by
 * the NetworkDO before anything is stored; the handshake that proves a URL
 * is a node of this network (core/handshake.ts); the peer table.
 */
import { networkOf } from "../../durable-objects/stubs.ts";
import { createRoute, z } from "@hono/zod-openapi";
import { MAX_MESSAGE_BYTES, type CandidateView, type PeerView, type ReceiveResult } from "../../durable-objects/network.ts";
import type { Handshake } from "../../core/handshake.ts";
import { answer, BODY_ERRORS, declareBodyLimit, documents, ErrorSchema, Hex32, type NodeApp } from "../http.ts";

/** A peer as the NetworkDO scores it (GET /peers, GET /status). */
export const PeerSchema = documents<PeerView>()(
  z
    .object({
      url: z.string(),
      publicKey: z.string().nullable().openapi({ description: "null until its handshake" }),
      score: z.number(),
      lastSeen: z.number().int().nullable(),
      lastError: z.string().nullable(),
      bannedUntil: z.number().int().nullable(),
      source: z.string(),
    })
    .openapi("Peer"),
);

const CandidateSchema = documents<CandidateView>()(
  z
    .object({
      url: z.string(),
      state: z.enum(["pending", "refused"]),
      nextAt: z.number().int().openapi({ description: "when it is tried (pending) or may be proposed again (refused)" }),
      lastError: z.string().nullable(),
    })
    .openapi("PeerCandidate"),
);

const ReceivedSchema = documents<ReceiveResult>()(z.object({ duplicate: z.boolean(), accepted: z.boolean(), code: z.string().nullable() }));

export function registerP2pRoutes(app: NodeApp): void {
  declareBodyLimit(app, "/p2p", MAX_MESSAGE_BYTES);
  app.openapi(
    createRoute({
      method: "post",
      path: "/p2p",
      summary: "A signed message from a peer: {envelope, payload}",
      request: { body: { content: { "application/json": { schema: z.object({ envelope: z.record(z.string(), z.unknown()), payload: z.unknown() }).openapi("Message") } }, required: true } },
      responses: {
        ...BODY_ERRORS,
        202: { description: "Accepted, or a duplicate", content: { "application/json": { schema: ReceivedSchema } } },
        400: { description: "Malformed", content: { "application/json": { schema: ErrorSchema } } },
        401: { description: "Banned sender", content: { "application/json": { schema: ErrorSchema } } },
        403: { description: "Bad signature", content: { "application/json": { schema: ErrorSchema } } },
        413: { description: "Too large", content: { "application/json": { schema: ErrorSchema } } },
      },
    }),
    async (c) => answer(c, await networkOf(c.env).receive(c.req.valid("json")), 202),
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/p2p/handshake",
      summary: "This node signs a challenge with its URL, network and genesis: how a peer proves it is a node before it is taken as one",
      request: { query: z.object({ challenge: Hex32.openapi({ description: "32 random bytes chosen by the asker" }) }).strict() },
      responses: {
        200: {
          description: "The signed handshake",
          content: {
            "application/json": {
              schema: documents<Handshake>()(
                z.object({ network: z.string(), genesis: z.string(), node: z.string(), url: z.string(), challenge: z.string(), timestamp: z.number().int(), sig: z.string() }).openapi("Handshake"),
              ),
            },
          },
        },
        400: { description: "Malformed challenge", content: { "application/json": { schema: ErrorSchema } } },
      },
    }),
    async (c) => c.json({ ...(await networkOf(c.env).handshake(c.req.valid("query").challenge)) }, 200),
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/peers",
      summary: "Peers (score, last seen, ban), the bootstrap list, and candidates: URLs learned from the network waiting for, or refused after, their handshake",
      responses: {
        200: {
          description: "Peer table",
          content: {
            "application/json": {
              schema: z.object({ peers: z.array(PeerSchema), bootstrap: z.array(z.string()), candidates: z.array(CandidateSchema) }).openapi("Peers"),
            },
          },
        },
      },
    }),
    async (c) => {
      const network = networkOf(c.env);
      const [peers, candidates] = await Promise.all([network.peers(), network.candidates()]);
      return c.json({ peers: [...peers], bootstrap: [...c.get("config").bootstrapPeers], candidates: [...candidates] }, 200);
    },
  );
}
