/**
 * The chain's history, read from the D1 projection (schema/d1.ts): block
 * summaries with what each minted and collected, a round's whole story
 * (commit, reveal, the quorum with every evaluator's data seed, the votes,
 * core's verdict, the accept), an account's balance and reputation over
 * height with its transactions and votes, a domain's champions, and search.
 * The explorer reads these; so can anyone.
 *
 * Protocol values (seeds, verdicts, reputation) are the ones the projection
 * derived with core/ when the block was applied: nothing here recomputes
 * them. Coin is in base units and Fixed values in micro-units, both decimal
 * strings, as everywhere in the API.
 */
import { createRoute, z } from "@hono/zod-openapi";
import { addressFromPublicKey } from "../../core/keys.ts";
import { chainOf, mempoolOf } from "../../durable-objects/stubs.ts";
import { Address, ErrorSchema, Hex32, type NodeApp } from "../http.ts";
import { WIRE_PATTERNS } from "../../core/tx.ts";

// ---------------------------------------------------------------------------
// request schemas

const Hash = Hex32;
const AddressP = Address;
const DomainId = z.string().regex(WIRE_PATTERNS.id, "expected a domain id");
const HeightQ = z.coerce.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
const limit = (max: number, dflt: number) => z.coerce.number().int().min(1).max(max).default(dflt).openapi({ description: `1..${max}, default ${dflt}` });
const BlockId = z
  .string()
  .regex(/^(?:0|[1-9][0-9]{0,15}|[0-9a-f]{64})$/, "expected a height or a 64-hex block hash")
  .openapi({ description: "a canonical height, or a block hash (canonical or not)" });
const ROUND_STATUSES = ["voting", "accepted", "rejected", "expired", "claimed", "superseded"] as const;

// ---------------------------------------------------------------------------
// response schemas

const Amount = z.string().openapi({ description: "coin, base units (10^8 = 1 DOIN), decimal string" });
const Fixed = z.string().openapi({ description: "fixed-point decimal string, micro-units (10^6 = 1.0)" });

export const BlockSummarySchema = z
  .object({
    hash: z.string(),
    height: z.number().int(),
    parent: z.string(),
    timestamp: z.number().int(),
    producer: z.string().openapi({ description: "the producer's address" }),
    txCount: z.number().int(),
    work: Fixed,
    threshold: Fixed,
    cumulativeWork: Fixed,
    supply: Amount,
    minted: Amount.openapi({ description: "coin the block created: its supply minus its parent's (the genesis: its whole supply)" }),
    fees: Amount.openapi({ description: "the fees of its transactions" }),
    kind: z.enum(["genesis", "work", "carrier"]).openapi({ description: "work: it reached the threshold and minted (its coinbase pays optimizers); carrier: it did not" }),
    canonical: z.boolean(),
  })
  .openapi("BlockSummary");

const TxRowSchema = z
  .object({
    id: z.string(),
    idx: z.number().int(),
    kind: z.string(),
    sender: z.string(),
    recipient: z.string().nullable(),
    fee: Amount,
    nonce: z.number().int(),
  })
  .openapi("BlockTx");

const CoinbaseOutputSchema = z.object({ to: z.string(), amount: Amount, role: z.string() }).openapi("CoinbaseOutput");

export const BlockDetailSchema = BlockSummarySchema.extend({
  header: z.record(z.string(), z.unknown()).openapi({ description: "the header in wire form, every field (docs/PROTOCOL.md §5)" }),
  sig: z.string(),
  coinbase: z.array(CoinbaseOutputSchema),
  txs: z.array(TxRowSchema),
  confirmations: z.number().int().nullable().openapi({ description: "canonical blocks from this one to the projected tip (null: not canonical)" }),
}).openapi("BlockDetail");

const TxRef = z.object({ id: z.string(), height: z.number().int(), block: z.string() }).openapi("TxRef");

export const RoundSummarySchema = z
  .object({
    optimae: z.string().openapi({ description: "the reveal transaction's id" }),
    domain: z.string(),
    optimizer: z.string(),
    status: z.enum(ROUND_STATUSES),
    reported: Fixed,
    verified: Fixed.nullable(),
    quorumSize: z.number().int(),
    votes: z.number().int(),
    agreeing: z.number().int(),
    required: z.number().int().nullable(),
    revealHeight: z.number().int(),
    deadline: z.number().int().openapi({ description: "the last height at which votes count" }),
    updatedHeight: z.number().int(),
  })
  .openapi("RoundSummary");

const VerdictSchema = z
  .object({
    accepted: z.boolean(),
    median: Fixed.openapi({ description: "median of all votes" }),
    tolerance: Fixed.openapi({ description: "a vote agrees within this distance of the median" }),
    verified: Fixed.openapi({ description: "median of the agreeing votes" }),
    agreeing: z.array(z.string()),
    outliers: z.array(z.string()).openapi({ description: "votes outside the tolerance, clipped from the verified value" }),
  })
  .openapi("Verdict");

const QuorumMemberSchema = z
  .object({
    evaluator: z.string(),
    rank: z.number().int().openapi({ description: "position in the selection (0 first)" }),
    seed: z.string().nullable().openapi({ description: "the evaluator's synthetic-data seed (core's evaluatorSeed)" }),
    seed32: z.number().int().nullable(),
    vote: z
      .object({ performance: Fixed, dataHash: z.string(), tx: TxRef.nullable() })
      .nullable()
      .openapi({ description: "the vote counted for this evaluator (null: none)" }),
    verdict: z.enum(["agree", "outlier"]).nullable(),
  })
  .openapi("QuorumMember");

export const RoundDetailSchema = RoundSummarySchema.extend({
  commit: TxRef.nullable(),
  beacon: z.string().nullable(),
  reveal: TxRef.nullable(),
  params: z.unknown().openapi({ description: "the revealed parameters" }),
  quorum: z.array(QuorumMemberSchema),
  verdict: VerdictSchema.nullable().openapi({ description: "core's verdict once the votes decided the round" }),
  accept: z
    .object({ tx: TxRef, experimentId: z.string(), roundNumber: z.number().int(), previousBest: Fixed, increment: Fixed })
    .nullable()
    .openapi({ description: "the optimizer's accept that made it the domain's champion" }),
}).openapi("RoundDetail");

export const AccountStateSchema = z
  .object({ height: z.number().int(), blockHash: z.string(), timestamp: z.number().int(), balance: Amount, nonce: z.number().int(), reputation: Fixed })
  .openapi("AccountState");

export const AccountTxSchema = z
  .object({
    id: z.string(),
    kind: z.string(),
    height: z.number().int(),
    block: z.string(),
    idx: z.number().int(),
    sender: z.string(),
    recipient: z.string().nullable(),
    fee: Amount,
    nonce: z.number().int(),
    amount: Amount.nullable().openapi({ description: "a transfer's amount" }),
    optimae: z.string().nullable().openapi({ description: "the round a commit, reveal, vote or accept belongs to, where known" }),
  })
  .openapi("AccountTx");

export const AccountVoteSchema = z
  .object({
    optimae: z.string(),
    domain: z.string().nullable(),
    tx: TxRef,
    performance: Fixed,
    dataHash: z.string(),
    roundStatus: z.enum(ROUND_STATUSES).nullable(),
    verdict: z.enum(["agree", "outlier"]).nullable(),
  })
  .openapi("AccountVote");

export const ChampionSchema = z
  .object({
    height: z.number().int(),
    timestamp: z.number().int(),
    optimae: z.string(),
    optimizer: z.string(),
    verified: Fixed,
    previousBest: Fixed,
    increment: Fixed,
    experimentId: z.string(),
    roundNumber: z.number().int(),
    acceptTx: z.string(),
  })
  .openapi("ChampionChange");

export const TxDetailSchema = TxRowSchema.extend({
  height: z.number().int(),
  block: z.string(),
  canonical: z.boolean(),
  tx: z.unknown().openapi({ description: "the transaction in wire form" }),
}).openapi("TxDetail");

export const SearchResultSchema = z
  .object({
    kind: z.enum(["block", "transaction", "round", "account"]),
    id: z.string().openapi({ description: "block hash, transaction id, optimae id or address" }),
    height: z.number().int().nullable(),
  })
  .openapi("SearchResult");

export type BlockSummary = z.infer<typeof BlockSummarySchema>;
export type BlockDetail = z.infer<typeof BlockDetailSchema>;
export type RoundSummary = z.infer<typeof RoundSummarySchema>;
export type RoundDetail = z.infer<typeof RoundDetailSchema>;
export type AccountState = z.infer<typeof AccountStateSchema>;
export type AccountTx = z.infer<typeof AccountTxSchema>;
export type AccountVote = z.infer<typeof AccountVoteSchema>;
export type ChampionChange = z.infer<typeof ChampionSchema>;
export type TxDetail = z.infer<typeof TxDetailSchema>;
export type SearchResult = z.infer<typeof SearchResultSchema>;

// (not `as const`: readonly response maps lose their error statuses in zod-openapi's handler types)
const json = (schema: z.ZodType, description: string) => ({ description, content: { "application/json": { schema } } });
const errors = { 400: json(ErrorSchema, "Malformed request") };
const notFound = { 404: json(ErrorSchema, "Not found") };

// ---------------------------------------------------------------------------
// reads

type Row = Record<string, unknown>;
const str = (v: unknown): string => (v === null || v === undefined ? "" : String(v));
const parseJson = <T>(text: unknown, fallback: T): T => {
  if (typeof text !== "string") return fallback;
  try {
    return JSON.parse(text) as T;
  } catch {
    return fallback;
  }
};

/** Block columns with minted (supply minus the parent's) and fees (from the body, else the transactions table), exact as TEXT. */
const BLOCK_COLUMNS = `b.hash, b.height, b.parent, b.timestamp, b.producer, b.tx_count, b.work, b.threshold, b.cumulative_work, b.supply, b.canonical,
  CAST(CAST(b.supply AS INTEGER) - COALESCE((SELECT CAST(p.supply AS INTEGER) FROM blocks p WHERE p.hash = b.parent), 0) AS TEXT) AS minted,
  CAST(COALESCE(
    (SELECT SUM(CAST(json_extract(j.value, '$.fee') AS INTEGER)) FROM json_each(b.body, '$.txs') j),
    (SELECT SUM(CAST(t.fee AS INTEGER)) FROM transactions t WHERE t.block_hash = b.hash),
    0) AS TEXT) AS fees,
  EXISTS (SELECT 1 FROM json_each(b.body, '$.coinbase') c WHERE json_extract(c.value, '$.role') = 'optimizer') AS pays_optimizers`;

function blockSummary(r: Row): BlockSummary {
  const height = r["height"] as number;
  const minted = str(r["minted"]);
  return {
    hash: str(r["hash"]),
    height,
    parent: str(r["parent"]),
    timestamp: r["timestamp"] as number,
    producer: str(r["producer"]),
    txCount: r["tx_count"] as number,
    work: str(r["work"]),
    threshold: str(r["threshold"]),
    cumulativeWork: str(r["cumulative_work"]),
    supply: str(r["supply"]),
    minted,
    fees: str(r["fees"]),
    kind: height === 0 ? "genesis" : BigInt(minted) > 0n || r["pays_optimizers"] === 1 ? "work" : "carrier",
    canonical: r["canonical"] === 1,
  };
}

export async function listBlocks(db: D1Database, before: number | undefined, count: number): Promise<BlockSummary[]> {
  const rows = await db
    .prepare(`SELECT ${BLOCK_COLUMNS} FROM blocks b WHERE b.canonical = 1 AND (?1 IS NULL OR b.height < ?1) ORDER BY b.height DESC LIMIT ?2`)
    .bind(before ?? null, count)
    .all<Row>();
  return rows.results.map(blockSummary);
}

interface WireTx {
  id?: string;
  kind?: string;
  from?: string;
  fee?: string;
  nonce?: number;
  body?: Record<string, unknown>;
}

export async function blockDetail(db: D1Database, id: string): Promise<BlockDetail | null> {
  const byHeight = /^[0-9]{1,16}$/.test(id);
  const [found, tip] = await db.batch<Row>([
    db.prepare(`SELECT ${BLOCK_COLUMNS}, b.body FROM blocks b WHERE ${byHeight ? "b.canonical = 1 AND b.height = ?1" : "b.hash = ?1"} LIMIT 1`).bind(byHeight ? Number(id) : id),
    db.prepare(`SELECT MAX(height) AS height FROM blocks WHERE canonical = 1`),
  ]);
  const r = found?.results[0];
  if (r === undefined) return null;
  const summary = blockSummary(r);
  const body = parseJson<{ header?: Record<string, unknown>; sig?: string; coinbase?: { to: string; amount: string; role: string }[]; txs?: WireTx[] }>(r["body"], {});
  let txs: BlockDetail["txs"];
  if (Array.isArray(body.txs)) {
    txs = body.txs.map((t, idx) => ({
      id: str(t.id),
      idx,
      kind: str(t.kind),
      sender: /^[0-9a-f]{64}$/.test(str(t.from)) ? addressFromPublicKey(str(t.from)) : "",
      recipient: t.kind === "transfer" ? str(t.body?.["to"]) : null,
      fee: str(t.fee),
      nonce: Number(t.nonce ?? 0),
    }));
  } else {
    // a body too large for a row keeps its transactions in their own table only
    const rows = await db.prepare(`SELECT id, idx, kind, sender, recipient, fee, nonce FROM transactions WHERE block_hash = ? ORDER BY idx`).bind(summary.hash).all<Row>();
    txs = rows.results.map((t) => ({ id: str(t["id"]), idx: t["idx"] as number, kind: str(t["kind"]), sender: str(t["sender"]), recipient: (t["recipient"] as string | null) ?? null, fee: str(t["fee"]), nonce: t["nonce"] as number }));
  }
  const tipHeight = tip?.results[0]?.["height"];
  return {
    ...summary,
    header: body.header ?? {},
    sig: str(body.sig),
    coinbase: (body.coinbase ?? []).map((o) => ({ to: str(o.to), amount: str(o.amount), role: str(o.role) })),
    txs,
    confirmations: summary.canonical && typeof tipHeight === "number" ? tipHeight - summary.height + 1 : null,
  };
}

const ROUND_COLUMNS = `optimae, domain, optimizer, status, reported, verified, quorum, votes, agreeing, required, reveal_height, deadline, updated_height`;

function roundSummary(r: Row): RoundSummary {
  return {
    optimae: str(r["optimae"]),
    domain: str(r["domain"]),
    optimizer: str(r["optimizer"]),
    status: str(r["status"]) as RoundSummary["status"],
    reported: str(r["reported"]),
    verified: (r["verified"] as string | null) ?? null,
    quorumSize: parseJson<string[]>(r["quorum"], []).length,
    votes: r["votes"] as number,
    agreeing: r["agreeing"] as number,
    required: (r["required"] as number | null) ?? null,
    revealHeight: r["reveal_height"] as number,
    deadline: r["deadline"] as number,
    updatedHeight: r["updated_height"] as number,
  };
}

export interface RoundFilter {
  readonly status?: RoundSummary["status"] | undefined;
  readonly domain?: string | undefined;
  readonly optimizer?: string | undefined;
  readonly evaluator?: string | undefined;
  readonly before?: number | undefined;
}

export async function listRounds(db: D1Database, f: RoundFilter, count: number): Promise<RoundSummary[]> {
  const rows = await db
    .prepare(
      `SELECT ${ROUND_COLUMNS} FROM rounds r
       WHERE (?1 IS NULL OR status = ?1) AND (?2 IS NULL OR domain = ?2) AND (?3 IS NULL OR optimizer = ?3)
         AND (?4 IS NULL OR EXISTS (SELECT 1 FROM json_each(r.quorum) q WHERE q.value = ?4)) AND (?5 IS NULL OR reveal_height < ?5)
       ORDER BY reveal_height DESC, optimae LIMIT ?6`,
    )
    .bind(f.status ?? null, f.domain ?? null, f.optimizer ?? null, f.evaluator ?? null, f.before ?? null, count)
    .all<Row>();
  return rows.results.map(roundSummary);
}

const txRef = (r: Row | undefined): z.infer<typeof TxRef> | null =>
  r === undefined ? null : { id: str(r["id"]), height: r["height"] as number, block: str(r["block_hash"]) };

export async function roundDetail(db: D1Database, optimae: string): Promise<RoundDetail | null> {
  const row = await db.prepare(`SELECT ${ROUND_COLUMNS}, "commit", beacon, seeds, vote_list, verdict FROM rounds WHERE optimae = ?`).bind(optimae).first<Row>();
  if (row === null) return null;
  const summary = roundSummary(row);
  const quorum = parseJson<string[]>(row["quorum"], []);
  const seeds = parseJson<{ evaluator: string; seed: string; seed32: number }[]>(row["seeds"], []);
  const counted = parseJson<{ evaluator: string; performance: string; dataHash: string }[]>(row["vote_list"], []);
  const verdict = parseJson<RoundDetail["verdict"]>(row["verdict"], null);
  const [commitTx, revealTx, voteTxs, accept] = await db.batch<Row>([
    db.prepare(`SELECT id, height, block_hash FROM transactions WHERE id = ? AND canonical = 1`).bind(str(row["commit"])),
    db.prepare(`SELECT id, height, block_hash, body FROM transactions WHERE id = ? AND canonical = 1`).bind(optimae),
    // the vote transactions of the quorum for this optimae, earliest first (a late vote counts for nothing)
    db
      .prepare(
        `SELECT id, height, block_hash, sender, json_extract(body, '$.body.performance') AS performance, json_extract(body, '$.body.dataHash') AS data_hash
         FROM transactions WHERE kind = 'vote' AND canonical = 1 AND sender IN (SELECT value FROM json_each(?1))
           AND height >= ?2 AND json_extract(body, '$.body.optimae') = ?3 ORDER BY height, idx`,
      )
      .bind(JSON.stringify(quorum), summary.revealHeight, optimae),
    db.prepare(`SELECT accept_tx, height, block_hash, experiment_id, round_number, previous_best, increment FROM experiments WHERE optimae = ? AND canonical = 1`).bind(optimae),
  ]);
  const reveal = revealTx?.results[0];
  const a = accept?.results[0];
  return {
    ...summary,
    commit: txRef(commitTx?.results[0]),
    beacon: (row["beacon"] as string | null) ?? null,
    reveal: txRef(reveal),
    params: reveal === undefined ? null : (parseJson<{ body?: { params?: unknown } }>(reveal["body"], {}).body?.params ?? null),
    quorum: quorum.map((evaluator, rank) => {
      const seed = seeds.find((s) => s.evaluator === evaluator);
      const vote = counted.find((v) => v.evaluator === evaluator);
      const tx = vote === undefined ? undefined : voteTxs?.results.find((t) => t["sender"] === evaluator && str(t["performance"]) === vote.performance && t["data_hash"] === vote.dataHash);
      return {
        evaluator,
        rank,
        seed: seed?.seed ?? null,
        seed32: seed?.seed32 ?? null,
        vote: vote === undefined ? null : { performance: vote.performance, dataHash: vote.dataHash, tx: txRef(tx) },
        verdict: verdict === null || vote === undefined ? null : verdict.outliers.includes(evaluator) ? "outlier" : "agree",
      };
    }),
    verdict,
    accept:
      a === undefined
        ? null
        : {
            tx: { id: str(a["accept_tx"]), height: a["height"] as number, block: str(a["block_hash"]) },
            experimentId: str(a["experiment_id"]),
            roundNumber: a["round_number"] as number,
            previousBest: str(a["previous_best"]),
            increment: str(a["increment"]),
          },
  };
}

export async function accountStates(db: D1Database, address: string, count: number): Promise<AccountState[]> {
  const rows = await db
    .prepare(`SELECT * FROM (SELECT height, block_hash, timestamp, balance, nonce, reputation FROM account_history WHERE address = ? ORDER BY height DESC LIMIT ?) ORDER BY height`)
    .bind(address, count)
    .all<Row>();
  return rows.results.map((r) => ({
    height: r["height"] as number,
    blockHash: str(r["block_hash"]),
    timestamp: r["timestamp"] as number,
    balance: str(r["balance"]),
    nonce: r["nonce"] as number,
    reputation: str(r["reputation"]),
  }));
}

export async function accountTransactions(db: D1Database, address: string, before: number | undefined, count: number): Promise<AccountTx[]> {
  const rows = await db
    .prepare(
      `SELECT id, kind, height, block_hash, idx, sender, recipient, fee, nonce,
              json_extract(body, '$.body.amount') AS amount,
              CASE kind WHEN 'reveal' THEN id WHEN 'vote' THEN json_extract(body, '$.body.optimae') WHEN 'accept' THEN json_extract(body, '$.body.optimae')
                        WHEN 'commit' THEN (SELECT r.optimae FROM rounds r WHERE r."commit" = transactions.id) END AS optimae
       FROM transactions WHERE canonical = 1 AND (sender = ?1 OR recipient = ?1) AND (?2 IS NULL OR height < ?2)
       ORDER BY height DESC, idx DESC LIMIT ?3`,
    )
    .bind(address, before ?? null, count)
    .all<Row>();
  return rows.results.map((r) => ({
    id: str(r["id"]),
    kind: str(r["kind"]),
    height: r["height"] as number,
    block: str(r["block_hash"]),
    idx: r["idx"] as number,
    sender: str(r["sender"]),
    recipient: (r["recipient"] as string | null) ?? null,
    fee: str(r["fee"]),
    nonce: r["nonce"] as number,
    amount: r["kind"] === "transfer" ? str(r["amount"]) : null,
    optimae: (r["optimae"] as string | null) ?? null,
  }));
}

export async function accountVotes(db: D1Database, address: string, count: number): Promise<AccountVote[]> {
  const rows = await db
    .prepare(
      `SELECT t.id, t.height, t.block_hash, json_extract(t.body, '$.body.optimae') AS optimae, json_extract(t.body, '$.body.performance') AS performance,
              json_extract(t.body, '$.body.dataHash') AS data_hash, r.domain, r.status, r.verdict, r.vote_list
       FROM transactions t LEFT JOIN rounds r ON r.optimae = json_extract(t.body, '$.body.optimae')
       WHERE t.canonical = 1 AND t.sender = ?1 AND t.kind = 'vote' ORDER BY t.height DESC, t.idx DESC LIMIT ?2`,
    )
    .bind(address, count)
    .all<Row>();
  return rows.results.map((r) => {
    const verdict = parseJson<RoundDetail["verdict"]>(r["verdict"], null);
    const counted = parseJson<{ evaluator: string }[]>(r["vote_list"], []).some((v) => v.evaluator === address);
    return {
      optimae: str(r["optimae"]),
      domain: (r["domain"] as string | null) ?? null,
      tx: { id: str(r["id"]), height: r["height"] as number, block: str(r["block_hash"]) },
      performance: str(r["performance"]),
      dataHash: str(r["data_hash"]),
      roundStatus: (r["status"] as AccountVote["roundStatus"]) ?? null,
      verdict: verdict === null || !counted ? null : verdict.outliers.includes(address) ? "outlier" : "agree",
    };
  });
}

export async function championHistory(db: D1Database, domain: string, count: number): Promise<ChampionChange[]> {
  const rows = await db
    .prepare(
      `SELECT * FROM (SELECT height, tx_idx, timestamp, optimae, optimizer, verified, previous_best, increment, experiment_id, round_number, accept_tx
         FROM experiments WHERE canonical = 1 AND domain = ? ORDER BY height DESC, tx_idx DESC LIMIT ?) ORDER BY height, tx_idx`,
    )
    .bind(domain, count)
    .all<Row>();
  return rows.results.map((r) => ({
    height: r["height"] as number,
    timestamp: r["timestamp"] as number,
    optimae: str(r["optimae"]),
    optimizer: str(r["optimizer"]),
    verified: str(r["verified"]),
    previousBest: str(r["previous_best"]),
    increment: str(r["increment"]),
    experimentId: str(r["experiment_id"]),
    roundNumber: r["round_number"] as number,
    acceptTx: str(r["accept_tx"]),
  }));
}

export async function txDetail(db: D1Database, id: string): Promise<TxDetail | null> {
  const r = await db.prepare(`SELECT id, idx, kind, sender, recipient, fee, nonce, height, block_hash, canonical, body FROM transactions WHERE id = ?`).bind(id).first<Row>();
  if (r === null) return null;
  return {
    id: str(r["id"]),
    idx: r["idx"] as number,
    kind: str(r["kind"]),
    sender: str(r["sender"]),
    recipient: (r["recipient"] as string | null) ?? null,
    fee: str(r["fee"]),
    nonce: r["nonce"] as number,
    height: r["height"] as number,
    block: str(r["block_hash"]),
    canonical: r["canonical"] === 1,
    tx: parseJson<unknown>(r["body"], null),
  };
}

/** The round (optimae id) a commit was revealed into, if it was. */
export async function roundOfCommit(db: D1Database, commit: string): Promise<string | null> {
  const r = await db.prepare(`SELECT optimae FROM rounds WHERE "commit" = ?`).bind(commit).first<{ optimae: string }>();
  return r?.optimae ?? null;
}

/**
 * What a search term names: a height, a block hash, a transaction id (a
 * reveal's id names its round), or an address. The D1 projection first,
 * then the chain itself and the mempool (for what the projection has not
 * reached yet). Null: nothing known by that name.
 */
export async function search(env: Env, q: string): Promise<SearchResult | null> {
  const chain = chainOf(env);
  if (/^[0-9]{1,16}$/.test(q)) {
    const height = Number(q);
    if (!Number.isSafeInteger(height)) return null;
    const projected = await env.DB.prepare(`SELECT 1 FROM blocks WHERE canonical = 1 AND height = ?`).bind(height).first();
    return projected !== null || height <= (await chain.status()).height ? { kind: "block", id: String(height), height } : null;
  }
  if (/^[0-9a-f]{40}$/.test(q)) return { kind: "account", id: q, height: null };
  const [block, tx] = await env.DB.batch<Row>([
    env.DB.prepare(`SELECT hash, height FROM blocks WHERE hash = ?`).bind(q),
    env.DB.prepare(`SELECT id, kind, height FROM transactions WHERE id = ?`).bind(q),
  ]);
  const b = block?.results[0];
  if (b !== undefined) return { kind: "block", id: q, height: b["height"] as number };
  const t = tx?.results[0];
  if (t !== undefined) return { kind: t["kind"] === "reveal" ? "round" : "transaction", id: q, height: t["height"] as number };
  const raw = (await chain.getBlockByHash(q)) as { header?: { height?: number } } | null;
  if (raw !== null) return { kind: "block", id: q, height: raw.header?.height ?? null };
  const at = await chain.txLocation(q);
  if (at !== null) return { kind: "transaction", id: q, height: at.height };
  const pending = await mempoolOf(env).get(q);
  if (pending.ok) return { kind: "transaction", id: q, height: null };
  return null;
}

// ---------------------------------------------------------------------------
// routes

const notFoundError = (what: string) => ({ code: "NOT_FOUND", message: what });

export function registerHistoryRoutes(app: NodeApp): void {
  app.openapi(
    createRoute({
      method: "get",
      path: "/history/blocks",
      summary: "Canonical blocks, newest first, with what each minted and collected in fees",
      request: { query: z.object({ before: HeightQ.optional().openapi({ description: "only heights below this" }), limit: limit(200, 25) }) },
      responses: { 200: json(z.object({ blocks: z.array(BlockSummarySchema) }).openapi("BlockSummaries"), "Blocks"), ...errors },
    }),
    async (c) => {
      const q = c.req.valid("query");
      return c.json({ blocks: await listBlocks(c.env.DB, q.before, q.limit) }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/history/blocks/{id}",
      summary: "A block by height or hash: header, transactions with senders, coinbase outputs, minted coin and fees",
      request: { params: z.object({ id: BlockId }) },
      responses: { 200: json(BlockDetailSchema, "Block"), ...errors, ...notFound },
    }),
    async (c) => {
      const { id } = c.req.valid("param");
      const block = await blockDetail(c.env.DB, id);
      if (block === null) return c.json(notFoundError(`no projected block ${id}`), 404);
      return c.json(block, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/history/rounds",
      summary: "Rounds (optimae) newest first, by status, domain, optimizer or evaluator",
      request: {
        query: z.object({
          status: z.enum(ROUND_STATUSES).optional(),
          domain: DomainId.optional(),
          optimizer: AddressP.optional(),
          evaluator: AddressP.optional().openapi({ description: "rounds whose quorum holds this address" }),
          before: HeightQ.optional().openapi({ description: "only rounds revealed below this height" }),
          limit: limit(500, 50),
        }),
      },
      responses: { 200: json(z.object({ rounds: z.array(RoundSummarySchema) }).openapi("RoundSummaries"), "Rounds"), ...errors },
    }),
    async (c) => {
      const q = c.req.valid("query");
      return c.json({ rounds: await listRounds(c.env.DB, q, q.limit) }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/history/rounds/{optimae}",
      summary: "A round's story: commit, reveal, the quorum with each evaluator's data seed and vote, the verdict, the accept",
      request: { params: z.object({ optimae: Hash }) },
      responses: { 200: json(RoundDetailSchema, "Round"), ...errors, ...notFound },
    }),
    async (c) => {
      const { optimae } = c.req.valid("param");
      const round = await roundDetail(c.env.DB, optimae);
      if (round === null) return c.json(notFoundError(`no round for optimae ${optimae}`), 404);
      return c.json(round, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/history/accounts/{address}/states",
      summary: "An account after each block that changed it: balance, nonce and reputation over height (the latest `limit`)",
      request: { params: z.object({ address: AddressP }), query: z.object({ limit: limit(5000, 1000) }) },
      responses: { 200: json(z.object({ address: z.string(), states: z.array(AccountStateSchema) }).openapi("AccountStates"), "States in height order"), ...errors },
    }),
    async (c) => {
      const { address } = c.req.valid("param");
      return c.json({ address, states: await accountStates(c.env.DB, address, c.req.valid("query").limit) }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/history/accounts/{address}/transactions",
      summary: "Transactions an account sent or received, newest first",
      request: { params: z.object({ address: AddressP }), query: z.object({ before: HeightQ.optional(), limit: limit(500, 50) }) },
      responses: { 200: json(z.object({ address: z.string(), txs: z.array(AccountTxSchema) }).openapi("AccountTxs"), "Transactions"), ...errors },
    }),
    async (c) => {
      const { address } = c.req.valid("param");
      const q = c.req.valid("query");
      return c.json({ address, txs: await accountTransactions(c.env.DB, address, q.before, q.limit) }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/history/accounts/{address}/votes",
      summary: "An evaluator's votes, newest first, with each round's status and whether the vote agreed",
      request: { params: z.object({ address: AddressP }), query: z.object({ limit: limit(500, 50) }) },
      responses: { 200: json(z.object({ address: z.string(), votes: z.array(AccountVoteSchema) }).openapi("AccountVotes"), "Votes"), ...errors },
    }),
    async (c) => {
      const { address } = c.req.valid("param");
      return c.json({ address, votes: await accountVotes(c.env.DB, address, c.req.valid("query").limit) }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/history/champions",
      summary: "A domain's champion over height: every accepted optimae in chain order (the latest `limit`)",
      request: { query: z.object({ domain: DomainId, limit: limit(5000, 1000) }) },
      responses: {
        200: json(
          z.object({ domain: z.string(), higherIsBetter: z.boolean(), initial: Fixed, champions: z.array(ChampionSchema) }).openapi("ChampionHistory"),
          "Champions in chain order",
        ),
        ...errors,
        ...notFound,
      },
    }),
    async (c) => {
      const q = c.req.valid("query");
      const domain = c.get("config").params.domains.find((d) => d.id === q.domain);
      if (domain === undefined) return c.json(notFoundError(`unknown domain ${JSON.stringify(q.domain)}`), 404);
      const champions = await championHistory(c.env.DB, domain.id, q.limit);
      return c.json({ domain: domain.id, higherIsBetter: domain.higherIsBetter, initial: domain.initialChampion.toString(), champions }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/history/tx/{id}",
      summary: "A projected transaction with its block and wire form",
      request: { params: z.object({ id: Hash }) },
      responses: { 200: json(TxDetailSchema, "Transaction"), ...errors, ...notFound },
    }),
    async (c) => {
      const { id } = c.req.valid("param");
      const tx = await txDetail(c.env.DB, id);
      if (tx === null) return c.json(notFoundError(`no projected transaction ${id}`), 404);
      return c.json(tx, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/history/search",
      summary: "What a height, block hash, transaction id or address names",
      request: { query: z.object({ q: z.string().trim().toLowerCase().pipe(z.string().regex(/^(?:[0-9]{1,16}|[0-9a-f]{40}|[0-9a-f]{64})$/, "expected a height, a 64-hex hash or id, or a 40-hex address")) }) },
      responses: { 200: json(SearchResultSchema, "Found"), ...errors, ...notFound },
    }),
    async (c) => {
      const { q } = c.req.valid("query");
      const found = await search(c.env, q);
      if (found === null) return c.json(notFoundError(`nothing known as ${q}`), 404);
      return c.json(found, 200);
    },
  );
}
