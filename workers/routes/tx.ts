/**
 * Transaction routes: submission (any kind, one alias per kind, and a batch),
 * a pending tx by id, the mempool and suggested fees.
 *
 * The zod schemas below check the envelope's shape (exact fields, types,
 * hex lengths, integer ranges) and generate /openapi.json; core's `parseTx`
 * in the MempoolDO then runs the exact protocol checks (size, network, id),
 * followed by the signature and the stateful pre-checks.
 */
import { createRoute, z } from "@hono/zod-openapi";
import type { Context, MiddlewareHandler } from "hono";
import { TX_KINDS, txSizeLimit, WIRE_PATTERNS } from "../../core/tx.ts";
import type { TxKind } from "../../core/types.ts";
import { MAX_BATCH_TXS } from "../../durable-objects/mempool.ts";
import type { DroppedTxView, FeeSuggestion, PendingTxView } from "../../durable-objects/rpc.ts";
import { chainOf, mempoolOf } from "../../durable-objects/stubs.ts";
import type { NodeConfig } from "../../durable-objects/config.ts";
import { Address, documents, refuse, type ErrorStatus, BigIntString, declareBodyLimit, ErrorSchema, Hex32, Hex64, jsonError, type NodeApp, type NodeEnv } from "../http.ts";

/** Extra room above params.maxTxBytes for a body that is not canonical (whitespace, key order). */
export const TX_BODY_SLACK_BYTES = 4_096;

// ---------------------------------------------------------------------------
// schemas

const Nonce = z.number().int().min(1).max(Number.MAX_SAFE_INTEGER);
const Count = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
/** A non-negative amount of base units (decimal string); core bounds it by 2^63 − 1. */
const AmountString = z.string().regex(/^(0|[1-9][0-9]{0,18})$/, "expected a non-negative integer as a canonical decimal string");
const PositiveAmountString = z.string().regex(/^[1-9][0-9]{0,18}$/, "expected a positive integer as a canonical decimal string");

const BODIES = {
  commit: z.object({ domain: z.string().regex(WIRE_PATTERNS.id), commitment: Hex32 }).strict(),
  reveal: z
    .object({
      commit: Hex32,
      params: z.unknown().openapi({ description: "free-form JSON; numbers must be safe integers (fixed-point)" }),
      salt: z.string().regex(/^(?:[0-9a-f]{2}){16,64}$/, "expected 16 to 64 bytes of lower-case hex"),
      reported: BigIntString,
    })
    .strict(),
  vote: z.object({ optimae: Hex32, performance: BigIntString, dataHash: Hex32 }).strict(),
  accept: z
    .object({
      optimae: Hex32,
      experimentId: z.string().regex(WIRE_PATTERNS.experimentId),
      roundNumber: Count,
      timeToResultSeconds: Count,
      optimizationConfigHash: Hex32,
      dataHash: Hex32,
    })
    .strict(),
  transfer: z.object({ to: Address, amount: PositiveAmountString }).strict(),
  anchor: z
    .object({
      height: Nonce,
      blockHash: Hex32,
      ledger: z.string().regex(WIRE_PATTERNS.ledger),
      ref: z.string().max(128).regex(WIRE_PATTERNS.text),
    })
    .strict(),
};

function envelope<K extends TxKind>(kind: K) {
  return z
    .object({
      network: z.string().regex(WIRE_PATTERNS.id, "expected a network id"),
      kind: z.literal(kind),
      from: Hex32.openapi({ description: "the sender's Ed25519 public key" }),
      nonce: Nonce.openapi({ description: "the sender's sequence number, from 1" }),
      fee: AmountString.openapi({ description: "base units (1 DOIN = 10^8), paid in the block's coinbase (the producer's in a carrier block, split 5/65/30 with the reward in a work block)" }),
      body: BODIES[kind],
      id: Hex32.openapi({ description: 'H("tx", {network, kind, from, nonce, fee, body})' }),
      sig: Hex64.openapi({ description: "Ed25519 signature by `from` over the 32 id bytes" }),
    })
    .strict();
}

const TX_SCHEMAS = {
  commit: envelope("commit").openapi("CommitTx"),
  reveal: envelope("reveal").openapi("RevealTx"),
  vote: envelope("vote").openapi("VoteTx"),
  accept: envelope("accept").openapi("AcceptTx"),
  transfer: envelope("transfer").openapi("TransferTx"),
  anchor: envelope("anchor").openapi("AnchorTx"),
};

const TxSchema = z
  .discriminatedUnion("kind", [TX_SCHEMAS.commit, TX_SCHEMAS.reveal, TX_SCHEMAS.vote, TX_SCHEMAS.accept, TX_SCHEMAS.transfer, TX_SCHEMAS.anchor])
  .openapi("Tx", { description: "A signed transaction in its wire form (docs/PROTOCOL.md §3)" });

const SubmittedSchema = z.object({ id: Hex32, status: z.literal("pending") }).openapi("Submitted");

const BatchSchema = z
  .object({ txs: z.array(TxSchema).min(1).max(MAX_BATCH_TXS) })
  .strict()
  .openapi("TxBatch");

const BatchResultSchema = z
  .object({
    accepted: z.number().int().openapi({ description: "how many of the batch's transactions are now pending" }),
    results: z.array(z.union([SubmittedSchema, ErrorSchema])).openapi({ description: "one per transaction, in order: pending, or why not ({code, message}, as POST /tx would answer it)" }),
  })
  .openapi("TxBatchResult");

const PendingTxSchema = documents<PendingTxJson>()(
  z
    .object({
      id: Hex32,
      status: z.literal("pending"),
      kind: z.string(),
      sender: Address,
      nonce: z.number().int(),
      fee: z.string(),
      size: z.number().int().openapi({ description: "canonical bytes" }),
      receivedAt: z.number().int().openapi({ description: "ms since the epoch" }),
      tx: z.unknown().openapi({ description: "the transaction in wire form" }),
    })
    .openapi("PendingTx"),
);

const IncludedTxSchema = z.object({ id: Hex32, status: z.literal("included"), height: z.number().int(), block: Hex32 }).openapi("IncludedTx");

const DroppedTxSchema = documents<DroppedTxView>()(
  z
    .object({
      id: Hex32,
      status: z.literal("dropped"),
      code: z.string().openapi({ description: "the code a block refused it with, or EXPIRED, EVICTED, REPLACED" }),
      message: z.string(),
      droppedAt: z.number().int().openapi({ description: "ms since the epoch; remembered for an hour" }),
    })
    .openapi("DroppedTx"),
);

const MempoolSchema = z.object({ total: z.number().int(), bytes: z.number().int(), txs: z.array(PendingTxSchema) }).openapi("Mempool");

const FeesSchema = documents<FeeSuggestion>()(
  z
    .object({
      baseFee: z.string(),
      low: z.string(),
      normal: z.string(),
      high: z.string(),
      urgent: z.string(),
      pending: z.number().int(),
      pendingBytes: z.number().int(),
      fullnessPpm: z.number().int(),
      backlogBlocks: z.number().int(),
      evictionFloor: z.object({ fee: z.string(), size: z.number().int() }).nullable(),
    })
    .openapi("Fees", {
      description:
        "Suggested fees in base units: base = 0.001 DOIN × (9/8)^backlogBlocks (≤ 100 DOIN), plus the reference's tips (low 0.1×, normal 0.5×, high 1×, urgent 2× base). Advice only: the minimum fee is 0 until the mempool is full; then a tx must pay more per byte than evictionFloor.",
    }),
);

const json = <T extends z.ZodType>(schema: T, description: string) => ({ description, content: { "application/json": { schema } } });
const submitResponses = {
  202: json(SubmittedSchema, "Accepted into the mempool"),
  400: json(ErrorSchema, "Malformed, wrong network, bad id"),
  403: json(ErrorSchema, "Bad signature"),
  409: json(ErrorSchema, "Already pending or already in the chain"),
  413: json(ErrorSchema, "Too large"),
  415: json(ErrorSchema, "Not application/json"),
  422: json(ErrorSchema, "Refused by the chain state (nonce, balance) or a replacement with too low a fee"),
  503: json(ErrorSchema, "Mempool full and the fee too low to evict"),
};
type SubmitErrorStatus = Extract<keyof typeof submitResponses, ErrorStatus>;

// ---------------------------------------------------------------------------
// middleware

/** JSON bodies only, answered with the JSON error shape (hono's own 415 would surface as a 500). */
const requireJson: MiddlewareHandler<NodeEnv> = async (c, next) => {
  const type = c.req.header("content-type") ?? "";
  if (!/^application\/(?:[a-z0-9.+-]*\+)?json\s*(?:;|$)/i.test(type)) {
    return jsonError(c, 415, "UNSUPPORTED_MEDIA_TYPE", "send the transaction as application/json");
  }
  await next();
  return undefined;
};

/** The body limit follows the chain parameters: a bit above the largest transaction (a reveal carrying the largest params a domain allows). */
const txBodyLimit = (config: NodeConfig) => txSizeLimit(config.params, "reveal") + TX_BODY_SLACK_BYTES;
/** A batch: that much per transaction it may carry. */
const batchBodyLimit = (config: NodeConfig) => MAX_BATCH_TXS * txBodyLimit(config);

// ---------------------------------------------------------------------------
// routes

export function registerTxRoutes(app: NodeApp): void {
  for (const path of ["/tx", ...TX_KINDS.map((k) => `/tx/${k}`)]) declareBodyLimit(app, path, txBodyLimit);
  declareBodyLimit(app, "/tx/batch", batchBodyLimit);
  app.openapi(
    createRoute({
      method: "post",
      path: "/tx/batch",
      summary: `Submit up to ${MAX_BATCH_TXS} signed transactions at once: each is checked as POST /tx checks it and has its own result`,
      middleware: [requireJson] as const,
      request: { body: { content: { "application/json": { schema: BatchSchema } }, required: true } },
      responses: {
        202: json(BatchResultSchema, "Each transaction's outcome, in order (the batch was read; some may have been refused)"),
        400: json(ErrorSchema, "Malformed (the first malformed transaction is named by its index)"),
        413: json(ErrorSchema, "Too large"),
        415: json(ErrorSchema, "Not application/json"),
      },
    }),
    async (c) => {
      const outcomes = await mempoolOf(c.env).submitMany(c.req.valid("json").txs);
      const results = outcomes.map((o) => (o.ok ? { id: o.value.id, status: o.value.status } : { code: o.code, message: o.message }));
      return c.json({ accepted: outcomes.filter((o) => o.ok).length, results }, 202);
    },
  );
  app.openapi(
    createRoute({
      method: "post",
      path: "/tx",
      summary: "Submit a signed transaction of any kind to the mempool",
      middleware: [requireJson] as const,
      request: { body: { content: { "application/json": { schema: TxSchema } }, required: true } },
      responses: submitResponses,
    }),
    async (c) => submit(c.env, c.req.valid("json"), c),
  );

  for (const kind of ["commit", "reveal", "vote", "transfer", "accept", "anchor"] as const) {
    app.openapi(
      createRoute({
        method: "post",
        path: `/tx/${kind}`,
        summary: `Submit a signed ${kind} transaction (400 if the body's kind is not "${kind}")`,
        middleware: [requireJson] as const,
        request: { body: { content: { "application/json": { schema: TX_SCHEMAS[kind] } }, required: true } },
        responses: submitResponses,
      }),
      async (c) => submit(c.env, c.req.valid("json"), c),
      (result, c) => {
        if (result.success) return undefined;
        const issue = result.error.issues[0];
        if (issue !== undefined && issue.path.length === 1 && issue.path[0] === "kind") {
          return jsonError(c, 400, "MALFORMED", `kind: POST /tx/${kind} takes "${kind}" transactions only (use POST /tx for any kind)`);
        }
        const where = issue === undefined ? "" : `${issue.path.join(".") || "(root)"}: `;
        return jsonError(c, 400, "MALFORMED", `${where}${issue?.message ?? "invalid request"}`);
      },
    );
  }

  app.openapi(
    createRoute({
      method: "get",
      path: "/tx/{id}",
      summary: "A transaction by id: pending in the mempool, its place in the canonical chain, or why it was dropped",
      request: { params: z.object({ id: Hex32 }) },
      responses: {
        200: json(z.union([PendingTxSchema, IncludedTxSchema, DroppedTxSchema]), "Pending, included, or dropped (with the reason)"),
        400: json(ErrorSchema, "Malformed id"),
        404: json(ErrorSchema, "Unknown"),
      },
    }),
    async (c) => {
      const { id } = c.req.valid("param");
      const mempool = mempoolOf(c.env);
      const got = await mempool.get(id);
      if (!got.ok) {
        const at = await chainOf(c.env).txLocation(id);
        if (at !== null) return c.json({ id, status: "included" as const, height: at.height, block: at.block }, 200);
        const dropped = await mempool.dropped(id);
        if (dropped !== null) return c.json(dropped, 200);
        return refuse(c, got);
      }
      return c.json(pendingJson(got.value), 200);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/mempool",
      summary: "Pending transactions, highest fee per byte first",
      request: { query: z.object({ limit: z.coerce.number().int().min(1).max(1000).optional() }) },
      responses: { 200: json(MempoolSchema, "Pending transactions"), 400: json(ErrorSchema, "Malformed query") },
    }),
    async (c) => {
      const { limit } = c.req.valid("query");
      const list = await mempoolOf(c.env).list(limit ?? 100);
      if (!list.ok) return refuse(c, list);
      return c.json({ total: list.value.total, bytes: list.value.bytes, txs: list.value.txs.map(pendingJson) }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/fees",
      summary: "Suggested fees from the mempool's fullness",
      responses: { 200: json(FeesSchema, "Suggested fees") },
    }),
    async (c) => {
      const fees = await mempoolOf(c.env).fees();
      // fees() never refuses: it answers an Outcome as every MempoolDO read does
      return fees.ok ? c.json(fees.value, 200) : refuse<never>(c, fees);
    },
  );
}

/** A pending tx over HTTP: the wire JSON text becomes the `tx` object. */
type PendingTxJson = Omit<PendingTxView, "wire"> & { readonly tx: unknown };
function pendingJson(v: PendingTxView): PendingTxJson {
  const { wire, ...rest } = v;
  return { ...rest, tx: JSON.parse(wire) as unknown };
}

/** POST /tx and its aliases: 202 with the id, or the mempool's refusal (with one of submitResponses' statuses). */
async function submit(env: Env, wire: unknown, c: Context) {
  const outcome = await mempoolOf(env).submit(wire);
  if (!outcome.ok) return refuse<SubmitErrorStatus>(c, outcome);
  return c.json({ id: outcome.value.id, status: outcome.value.status }, 202);
}
