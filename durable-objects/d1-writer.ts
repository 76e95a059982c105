/**
 * Writes projection events to D1 (drizzle-orm/d1), in order, each event's
 * statements in one `db.batch` (a D1 batch is one transaction: all of an
 * event or none of it).
 *
 * Idempotent, so that the outbox can replay a whole group of events after a
 * failure part-way through it: every row is keyed by content hashes (block
 * hash, tx id, optimae id, domain + height) and written as an upsert that
 * sets the row to what the event says, and a revert only flags or deletes.
 * Replaying events e1..en after e1..ek were written re-asserts the same
 * values in the same order, so D1 ends exactly as after one clean pass.
 *
 * A transaction or accepted optimae that a reorg moves to another block
 * keeps its id: the upsert moves its row to the block of the latest event
 * (the head chain's), and a revert flags the rows of the reverted block
 * non-canonical. Round rows last written by a reverted block are deleted
 * (they described a state the head chain no longer has); chain_metrics and
 * account_history rows of a reverted block too.
 *
 * D1 limits respected: at most 100 bound parameters per statement (rows per
 * multi-row INSERT are sized from the column count), rows under 2 MB (a
 * block body too large for a row is stored without its transactions, which
 * are in `transactions` anyway).
 */
import { eq, getTableColumns, sql, type SQL } from "drizzle-orm";
import { drizzle } from "drizzle-orm/d1";
import type { BatchItem } from "drizzle-orm/batch";
import type { SQLiteColumn, SQLiteTable } from "drizzle-orm/sqlite-core";
import { accountHistory, blocks, chainMetrics, experiments, rounds, transactions } from "../schema/d1.ts";
import type { BlockEvent, ProjectionEvent, RevertEvent } from "./projection.ts";

/** D1: bound parameters per statement. */
const MAX_PARAMS = 100;
/** A D1 row holds at most 2,000,000 bytes; keep the block body well below. */
export const MAX_BODY_BYTES = 1_500_000;

const toReal = (fixed: string): number => Number(fixed) / 1e6;

/** Statements per D1 batch: enough to amortize the round trip, well within D1's limits. */
const STATEMENTS_PER_BATCH = 200;

export async function writeProjection(db: D1Database, events: readonly ProjectionEvent[]): Promise<void> {
  const d = drizzle(db);
  // Several events share one batch (one round trip, atomic as a whole); the
  // statements are idempotent upserts, so a retry after a failure is harmless.
  type Statement = ReturnType<typeof blockStatements>[number];
  let pending: Statement[] = [];
  const flush = async (): Promise<void> => {
    const [first, ...rest] = pending;
    pending = [];
    if (first !== undefined) await d.batch([first, ...rest]);
  };
  for (const event of events) {
    const statements = event.kind === "block" ? blockStatements(d, event) : revertStatements(d, event);
    pending.push(...(statements as Statement[]));
    if (pending.length >= STATEMENTS_PER_BATCH) await flush();
  }
  await flush();
}

type Db = ReturnType<typeof drizzle>;

/** `SET col = excluded.col` for every column but the key. */
function excludedAll<T extends SQLiteTable>(table: T, keys: readonly string[]): Record<string, SQL> {
  const set: Record<string, SQL> = {};
  for (const [name, column] of Object.entries(getTableColumns(table)) as [string, SQLiteColumn][]) {
    if (keys.includes(name)) continue;
    set[name] = sql.raw(`excluded.\`${column.name}\``);
  }
  return set;
}

function chunk<T>(rows: readonly T[], columns: number): T[][] {
  const size = Math.max(1, Math.floor(MAX_PARAMS / columns));
  const out: T[][] = [];
  for (let i = 0; i < rows.length; i += size) out.push(rows.slice(i, i + size));
  return out;
}

const columnCount = (table: SQLiteTable): number => Object.keys(getTableColumns(table)).length;

/** The body stored in D1: the wire JSON, or without its transactions when it is too large for a row. */
function storedBody(body: string, wire: { txs?: unknown[] } & Record<string, unknown>): string {
  if (body.length * 3 <= MAX_BODY_BYTES || new TextEncoder().encode(body).length <= MAX_BODY_BYTES) return body;
  const { txs, ...rest } = wire;
  return JSON.stringify({ ...rest, txIds: (txs ?? []).map((t) => (t as { id?: unknown }).id), truncated: true });
}

function blockStatements(d: Db, e: BlockEvent): BatchItem<"sqlite">[] {
  const b = e.block;
  const wire = JSON.parse(e.body) as { txs?: unknown[] } & Record<string, unknown>;
  const wireTxs = wire.txs ?? [];
  const out: BatchItem<"sqlite">[] = [];

  out.push(
    d
      .insert(blocks)
      .values({
        hash: b.hash,
        height: b.height,
        parent: b.parent,
        timestamp: b.timestamp,
        producer: b.producer,
        txCount: b.txCount,
        work: b.work,
        workReal: toReal(b.work),
        cumulativeWork: b.cumulativeWork,
        cumulativeWorkReal: toReal(b.cumulativeWork),
        threshold: b.threshold,
        thresholdReal: toReal(b.threshold),
        supply: b.supply,
        stateRoot: b.stateRoot,
        canonical: 1,
        body: storedBody(e.body, wire),
      })
      .onConflictDoUpdate({ target: blocks.hash, set: { canonical: 1 } }),
  );

  const txRows = e.txs.map((t) => ({
    id: t.id,
    blockHash: b.hash,
    height: b.height,
    idx: t.idx,
    kind: t.kind,
    sender: t.sender,
    recipient: t.recipient,
    nonce: t.nonce,
    fee: t.fee,
    canonical: 1,
    body: JSON.stringify(wireTxs[t.idx] ?? null),
  }));
  for (const rows of chunk(txRows, columnCount(transactions))) {
    out.push(d.insert(transactions).values(rows).onConflictDoUpdate({ target: transactions.id, set: excludedAll(transactions, ["id"]) }));
  }

  const expRows = e.experiments.map((x) => ({
    ...x,
    reportedReal: toReal(x.reported),
    verifiedReal: toReal(x.verified),
    previousBestReal: toReal(x.previousBest),
    incrementReal: toReal(x.increment),
    height: b.height,
    timestamp: b.timestamp,
    blockHash: b.hash,
    canonical: 1,
  }));
  for (const rows of chunk(expRows, columnCount(experiments))) {
    out.push(d.insert(experiments).values(rows).onConflictDoUpdate({ target: experiments.optimae, set: excludedAll(experiments, ["optimae"]) }));
  }

  const roundRows = e.rounds.map((r) => ({
    optimae: r.optimae,
    domain: r.domain,
    optimizer: r.optimizer,
    status: r.status,
    reported: r.reported,
    reportedReal: toReal(r.reported),
    verified: r.verified,
    verifiedReal: r.verified === null ? null : toReal(r.verified),
    quorum: JSON.stringify(r.quorum),
    votes: r.votes,
    agreeing: r.agreeing,
    revealHeight: r.revealHeight,
    deadline: r.deadline,
    updatedHeight: b.height,
    updatedBlock: b.hash,
    commit: r.commit,
    beacon: r.beacon,
    seeds: JSON.stringify(r.seeds),
    voteList: JSON.stringify(r.voteList),
    required: r.required,
    verdict: r.verdict === null ? null : JSON.stringify(r.verdict),
  }));
  for (const rows of chunk(roundRows, columnCount(rounds))) {
    out.push(d.insert(rounds).values(rows).onConflictDoUpdate({ target: rounds.optimae, set: excludedAll(rounds, ["optimae"]) }));
  }

  const metricRows = e.metrics.map((m) => ({
    ...m,
    height: b.height,
    blockHash: b.hash,
    timestamp: b.timestamp,
    championReal: toReal(m.champion),
    cumulativeWorkReal: toReal(m.cumulativeWork),
  }));
  for (const rows of chunk(metricRows, columnCount(chainMetrics))) {
    out.push(
      d
        .insert(chainMetrics)
        .values(rows)
        .onConflictDoUpdate({ target: [chainMetrics.domain, chainMetrics.height], set: excludedAll(chainMetrics, ["domain", "height"]) }),
    );
  }

  const accountRows = e.accounts.map((a) => ({ ...a, height: b.height, blockHash: b.hash, timestamp: b.timestamp, reputationReal: toReal(a.reputation) }));
  for (const rows of chunk(accountRows, columnCount(accountHistory))) {
    out.push(
      d
        .insert(accountHistory)
        .values(rows)
        .onConflictDoUpdate({ target: [accountHistory.address, accountHistory.height], set: excludedAll(accountHistory, ["address", "height"]) }),
    );
  }
  return out;
}

function revertStatements(d: Db, e: RevertEvent): BatchItem<"sqlite">[] {
  return [
    d.update(blocks).set({ canonical: 0 }).where(eq(blocks.hash, e.hash)),
    d.update(transactions).set({ canonical: 0 }).where(eq(transactions.blockHash, e.hash)),
    d.update(experiments).set({ canonical: 0 }).where(eq(experiments.blockHash, e.hash)),
    d.delete(rounds).where(eq(rounds.updatedBlock, e.hash)),
    d.delete(chainMetrics).where(eq(chainMetrics.blockHash, e.hash)),
    d.delete(accountHistory).where(eq(accountHistory.blockHash, e.hash)),
  ];
}
