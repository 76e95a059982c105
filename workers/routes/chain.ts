/**
 * Chain routes: status, blocks, and block submission (peers deliver blocks
 * here; the network layer wraps them in signed envelopes).
 */
import { chainOf, networkOf } from "../../durable-objects/stubs.ts";
import { createRoute, z } from "@hono/zod-openapi";
import { recordToWire } from "../../core/encoding.ts";
import { peerUrlProblem } from "../../durable-objects/peer-url.ts";
import type { AccountView, ChainStatus, ChampionView, RoundView, SubmitBlockResult } from "../../durable-objects/rpc.ts";
import { Address, answer, BODY_ERRORS, documents, Json, declareBodyLimit, ErrorSchema, Hex32, jsonError, requireRunner, type NodeApp } from "../http.ts";

/** POST /chain/sync carries at most a few peer URLs. */
export const SYNC_BODY_LIMIT_BYTES = 8 * 1024;

export const ChainStatusSchema = documents<ChainStatus>()(
  z
    .object({
      network: z.string(),
      genesis: z.string(),
      height: z.number().int(),
      tip: z.string(),
      tipTimestamp: z.number().int(),
      finalizedHeight: z.number().int(),
      finalizedHash: z.string(),
      cumulativeWork: z.string(),
      weight: z.number().int().openapi({ description: "the head chain's schedule weight (fork choice: after work, before the beacon)" }),
      beacon: z.string().openapi({ description: "the head's beacon" }),
      threshold: z.string(),
      pendingWork: z.string(),
      supply: z.string(),
      burned: z.string().openapi({ description: "coin burned (bonds nobody earned), base units" }),
      mintedBlocks: z.number().int(),
      accounts: z.number().int(),
      openRounds: z.number().int(),
      outboxPending: z.number().int(),
      historyFrom: z.number().int().openapi({ description: "the lowest height this node holds blocks from: 0, or the snapshot it started from" }),
    })
    .openapi("ChainStatus"),
);

const TreeProofFields = {
  siblings: z.array(z.string()).openapi({ description: "sibling hashes down the key's path, from the root's children (zeros: an empty subtree)" }),
  leaf: z.object({ key: z.string(), valueHash: z.string() }).nullable().openapi({ description: "the leaf where the path ends: the account's own, another key's (absence), or none (absence)" }),
};
const AccountProofSchema = z
  .object({
    height: z.number().int(),
    block: z.string(),
    finalized: z.boolean(),
    header: z.record(z.string(), z.unknown()).openapi({ description: "the block's header: its stateRoot is what the proof is against" }),
    account: z.record(z.string(), z.unknown()).nullable().openapi({ description: "the account's leaf as stored (reputation undecayed), or null: no such account" }),
    ...TreeProofFields,
  })
  .openapi("AccountProof", { description: "Check with core/state-proof.ts verifyAccountProof(header.stateRoot, address, account, {siblings, leaf})" });
const SnapshotSchema = z
  .object({
    network: z.string(),
    height: z.number().int(),
    hash: z.string(),
    block: z.record(z.string(), z.unknown()),
    depth: z.number().int(),
    parts: z.array(z.object({ hash: z.string(), count: z.number().int() })),
  })
  .openapi("SnapshotManifest", { description: "A finalized state cut into 2^depth parts by the first depth bits of the keys; the parts' hashes add up to block.header.stateRoot" });

const AccountSchema = documents<AccountView>()(
  z.object({ address: z.string(), balance: z.string(), nonce: z.number().int(), reputation: z.string().openapi({ description: "decayed to the tip's timestamp" }) }),
);

const RoundSchema = documents<RoundView>()(
  z
    .object({
      optimae: z.string(),
      domain: z.string(),
      optimizer: z.string(),
      commit: z.string(),
      beacon: z.string().openapi({ description: "the beacon that seeds the quorum and every evaluator's data" }),
      bond: z.string().openapi({ description: "base units, held while the round votes" }),
      params: Json.openapi({ description: "the revealed parameters (JSON)" }),
      reported: z.string(),
      revealHeight: z.number().int(),
      deadline: z.number().int(),
      quorum: z.array(z.string()).readonly(),
      votes: z.array(z.object({ evaluator: z.string(), performance: z.string(), dataHash: z.string() })).readonly(),
      status: z.string(),
      verified: z.string().nullable(),
    })
    .openapi("Round"),
);

const ChampionSchema = documents<ChampionView>()(
  z
    .object({
      domain: z.string(),
      performance: z.string(),
      optimae: z.string().nullable(),
      optimizer: z.string().nullable(),
      params: Json.nullable().openapi({ description: "the champion's parameters (JSON), null for the domain's initial champion" }),
      height: z.number().int(),
    })
    .openapi("Champion"),
);

const SubmitBlockSchema = documents<SubmitBlockResult>()(
  z
    .object({
      hash: z.string(),
      height: z.number().int(),
      head: z.boolean().openapi({ description: "the block became (part of) the head chain" }),
      reorg: z.object({ from: z.string(), to: z.string(), depth: z.number().int() }).nullable(),
    })
    .openapi("SubmittedBlock"),
);

const BlockSchema = z.record(z.string(), z.unknown()).openapi("Block", { description: "A block in its wire form (see docs/PROTOCOL.md §5)" });
const errors = {
  400: { description: "Malformed request", content: { "application/json": { schema: ErrorSchema } } },
  404: { description: "Not found", content: { "application/json": { schema: ErrorSchema } } },
};

const Height = z.coerce.number().int().min(0).max(Number.MAX_SAFE_INTEGER);

export function registerChainRoutes(app: NodeApp): void {
  app.openapi(
    createRoute({
      method: "get",
      path: "/chain/status",
      summary: "Chain head, finality, difficulty and supply",
      responses: { 200: { description: "Chain status", content: { "application/json": { schema: ChainStatusSchema } } } },
    }),
    async (c) => c.json(await chainOf(c.env).status(), 200),
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/chain/blocks",
      summary: "Canonical blocks from..to (inclusive, at most 50)",
      request: { query: z.object({ from: Height, to: Height }) },
      responses: { 200: { description: "Blocks", content: { "application/json": { schema: z.object({ blocks: z.array(BlockSchema) }) } } }, ...errors },
    }),
    async (c) => {
      const { from, to } = c.req.valid("query");
      if (to < from) return jsonError(c, 400, "MALFORMED", "to must not be below from");
      if (to - from + 1 > 50) return jsonError(c, 400, "MALFORMED", "at most 50 blocks per request");
      const blocks = await chainOf(c.env).getBlocks(from, to);
      return c.json({ blocks: blocks as Record<string, unknown>[] }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/chain/block/{index}",
      summary: "The canonical block at a height",
      request: { params: z.object({ index: Height }) },
      responses: { 200: { description: "Block", content: { "application/json": { schema: BlockSchema } } }, ...errors },
    }),
    async (c) => {
      const { index } = c.req.valid("param");
      const block = await chainOf(c.env).getBlock(index);
      if (block === null) return jsonError(c, 404, "NOT_FOUND", `no canonical block at height ${index}`);
      return c.json(block as Record<string, unknown>, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/chain/block-by-hash/{hash}",
      summary: "Any known block by hash (canonical or not)",
      request: { params: z.object({ hash: Hex32 }) },
      responses: { 200: { description: "Block", content: { "application/json": { schema: BlockSchema } } }, ...errors },
    }),
    async (c) => {
      const { hash } = c.req.valid("param");
      const block = await chainOf(c.env).getBlockByHash(hash);
      if (block === null) return jsonError(c, 404, "NOT_FOUND", `no block ${hash}`);
      return c.json(block as Record<string, unknown>, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/chain/headers",
      summary: "Canonical headers from..to (at most 50), for headers-first sync",
      request: { query: z.object({ from: Height, to: Height }) },
      responses: { 200: { description: "Headers", content: { "application/json": { schema: z.object({ headers: z.array(z.record(z.string(), z.unknown())) }) } } }, ...errors },
    }),
    async (c) => {
      const { from, to } = c.req.valid("query");
      if (to < from || to - from + 1 > 50) return jsonError(c, 400, "MALFORMED", "from..to must span 1 to 50 heights");
      return c.json({ headers: (await chainOf(c.env).getHeaders(from, to)) as Record<string, unknown>[] }, 200);
    },
  );

  declareBodyLimit(app, "/chain/blocks", 4 * 1024 * 1024);
  app.openapi(
    createRoute({
      method: "post",
      path: "/chain/blocks",
      summary: "Submit a block (validated with every rule before anything is stored)",
      request: { body: { content: { "application/json": { schema: BlockSchema } }, required: true } },
      responses: {
        ...BODY_ERRORS,
        202: { description: "Block accepted", content: { "application/json": { schema: SubmitBlockSchema } } },
        ...errors,
        403: { description: "Bad signature", content: { "application/json": { schema: ErrorSchema } } },
        409: { description: "Already known", content: { "application/json": { schema: ErrorSchema } } },
        422: { description: "Invalid block", content: { "application/json": { schema: ErrorSchema } } },
      },
    }),
    async (c) => answer(c, await chainOf(c.env).submitBlock(c.req.valid("json")), 202),
  );

  declareBodyLimit(app, "/chain/blocks/batch", 16 * 1024 * 1024);
  app.openapi(
    createRoute({
      method: "post",
      path: "/chain/blocks/batch",
      summary: "Submit up to 50 consecutive blocks; the valid prefix is kept, the first invalid one is named",
      request: { body: { content: { "application/json": { schema: z.object({ blocks: z.array(BlockSchema).min(1).max(50) }).strict() } }, required: true } },
      responses: {
        ...BODY_ERRORS,
        202: {
          description: "Applied",
          content: {
            "application/json": {
              schema: z.object({
                accepted: z.number().int(),
                head: z.string(),
                height: z.number().int(),
                error: z.object({ index: z.number().int(), code: z.string(), message: z.string() }).nullable(),
              }),
            },
          },
        },
        ...errors,
        413: { description: "Too large", content: { "application/json": { schema: ErrorSchema } } },
      },
    }),
    async (c) => answer(c, await chainOf(c.env).submitBlocks(c.req.valid("json").blocks), 202),
  );

  // 32 peer URLs of at most 200 characters: 8 KiB is room enough (the default is 16)
  declareBodyLimit(app, "/chain/sync", SYNC_BODY_LIMIT_BYTES);
  app.use("/chain/sync", requireRunner);
  app.openapi(
    createRoute({
      method: "post",
      path: "/chain/sync",
      summary: "Operator: sync now from the given peers (or the bootstrap peers); bearer token required",
      request: { body: { content: { "application/json": { schema: z.object({ peers: z.array(z.string().url().max(200)).max(32).optional() }).strict() } }, required: true } },
      responses: {
        ...BODY_ERRORS,
        200: {
          description: "Sync report",
          content: {
            "application/json": {
              schema: z.object({
                peer: z.string().nullable(),
                from: z.number(),
                to: z.number(),
                applied: z.number(),
                error: z.string().nullable(),
                faulty: z.array(z.string()).readonly(),
                snapshot: z.object({ height: z.number().int(), hash: z.string(), fetchedParts: z.number().int() }).nullable().optional(),
              }),
            },
          },
        },
        ...errors,
        401: { description: "No or wrong token", content: { "application/json": { schema: ErrorSchema } } },
      },
    }),
    async (c) => {
      const config = c.get("config");
      const peers = c.req.valid("json").peers ?? config.bootstrapPeers;
      // the operator's list, held to the rule of any peer URL (the bootstrap list is the operator's own)
      for (const url of c.req.valid("json").peers ?? []) {
        const problem = peerUrlProblem(url, { allowPrivate: config.allowPrivatePeers });
        if (problem !== null) return jsonError(c, 400, "MALFORMED", `peers: ${url.slice(0, 100)}: ${problem}`);
      }
      return c.json(await networkOf(c.env).syncFrom(peers), 200);
    },
  );

  // The network's rules (what the genesis commits to): clients read bonds, windows and domains here.
  app.openapi(
    createRoute({
      method: "get",
      path: "/chain/params",
      summary: "The network's rules in wire form (what the genesis commits to): windows, bonds, domains",
      responses: { 200: { description: "Chain parameters", content: { "application/json": { schema: z.record(z.string(), z.unknown()).openapi("ChainParams") } } } },
    }),
    (c) => c.json(recordToWire(c.get("config").params), 200),
  );
  app.openapi(
    createRoute({
      method: "get",
      path: "/chain/champions",
      summary: "The best verified result of every domain",
      responses: { 200: { description: "Champions", content: { "application/json": { schema: z.array(ChampionSchema).readonly().openapi("Champions") } } } },
    }),
    async (c) => c.json(await chainOf(c.env).champions(), 200),
  );
  app.openapi(
    createRoute({
      method: "get",
      path: "/chain/rounds",
      summary: "Rounds (revealed optimae) with their quorum, votes and status",
      responses: { 200: { description: "Rounds", content: { "application/json": { schema: z.array(RoundSchema).readonly().openapi("Rounds") } } } },
    }),
    async (c) => c.json(await chainOf(c.env).rounds(), 200),
  );
  app.openapi(
    createRoute({
      method: "get",
      path: "/chain/account/{address}",
      summary: "An account at the head: balance, nonce, reputation (decayed to the tip); with proof=1, at a block (default the finalized one) with its proof against that block's state root",
      request: {
        params: z.object({ address: Address }),
        query: z.object({
          proof: z.enum(["0", "1", "true", "false"]).optional().openapi({ description: "1: add the inclusion or absence proof" }),
          height: Height.optional().openapi({ description: "with proof=1: the canonical block whose state to prove against (default: the finalized one)" }),
        }),
      },
      responses: {
        200: {
          description: "Account",
          content: { "application/json": { schema: AccountSchema.extend({ proof: AccountProofSchema.optional() }).openapi("Account") } },
        },
        ...errors,
      },
    }),
    async (c) => {
      const { address } = c.req.valid("param");
      const { proof, height } = c.req.valid("query");
      const withProof = proof === "1" || proof === "true";
      if (!withProof) {
        if (height !== undefined) return jsonError(c, 400, "MALFORMED", "height is for proofs: add proof=1");
        return c.json(await chainOf(c.env).account(address), 200);
      }
      return answer(c, await chainOf(c.env).accountProof(address, height));
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/chain/snapshot",
      summary: "The finalized snapshot this node offers to nodes that join: its block and the state tree's parts",
      responses: { 200: { description: "Snapshot manifest", content: { "application/json": { schema: SnapshotSchema } } }, ...errors },
    }),
    async (c) => answer(c, await chainOf(c.env).snapshot()),
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/chain/snapshot/{height}/{index}",
      summary: "The leaves of one part of the snapshot at a height (each {space, id, value}, in key order)",
      request: { params: z.object({ height: Height, index: z.coerce.number().int().min(0).max(4095) }) },
      responses: {
        200: {
          description: "Snapshot part",
          content: { "application/json": { schema: z.object({ height: z.number().int(), index: z.number().int(), leaves: z.array(z.record(z.string(), z.unknown())) }) } },
        },
        ...errors,
      },
    }),
    async (c) => {
      const { height, index } = c.req.valid("param");
      return answer(c, await chainOf(c.env).snapshotPart(height, index));
    },
  );
}
