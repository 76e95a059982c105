/**
 * Fixtures for the D1 projection tests: real chains built with core/ (via
 * the core tests' ChainDriver), their projection events, and D1 helpers.
 */
import { env } from "cloudflare:test";
import { buildBlock, NO_RECEIPTS, transitionWithReceipts, type BlockReceipts } from "../../core/state-transition.ts";
import { FIXED_ONE } from "../../core/params.ts";
import type { Block, ChainState, Hash, TxOf } from "../../core/types.ts";
import { deriveProjection, type BlockEvent } from "../../durable-objects/projection.ts";
import { ChainDriver, scheduledFor, VALIDATORS, type TestKey } from "../core/helpers/chain.ts";

export const [V0, V1, V2] = VALIDATORS as [TestKey, TestKey, TestKey, TestKey, TestKey];
export const ONE = FIXED_ONE;

/** An accept transaction with its experiment metadata. */
export function acceptTx(d: ChainDriver, key: TestKey, optimae: Hash, experimentId: string, roundNumber: number, timeToResultSeconds = 10): TxOf<"accept"> {
  return d.tx(key, "accept", {
    optimae,
    experimentId,
    roundNumber,
    timeToResultSeconds,
    optimizationConfigHash: "11".repeat(32),
    dataHash: "22".repeat(32),
  });
}

/** One honest optimae (every evaluator measures `verified`), returning its id. */
export async function honest(d: ChainDriver, key: TestKey, reported: bigint, verified: bigint, params: Record<string, number[]>): Promise<Hash> {
  return d.optimae({ optimizer: key, params, reported, vote: () => verified });
}

/** The projection event of every block of the driver's chain, genesis first. */
export function eventsOf(d: ChainDriver, from = 0): BlockEvent[] {
  const out: BlockEvent[] = [];
  for (let i = from; i < d.blocks.length; i++) {
    const block = d.blocks[i] as Block;
    const next = d.states[i] as ChainState;
    const prev = i === 0 ? next : (d.states[i - 1] as ChainState);
    out.push(deriveProjection(prev, next, block, d.params, i === 0 ? NO_RECEIPTS : receiptsOf(prev, block, d)));
  }
  return out;
}

/** The receipts of a block of the driver's chain: what its transition on `prev` decided (as the ChainDO keeps them). */
export function receiptsOf(prev: ChainState, block: Block, d: ChainDriver): BlockReceipts {
  const r = transitionWithReceipts(prev, block, d.params);
  if (!r.ok) throw new Error(`${r.error.code}: ${r.error.message}`);
  return r.value.receipts;
}

/** A block on `state` by the producer first in turn (no signature checks: buildBlock output is valid by construction). */
export function blockOn(state: ChainState, d: ChainDriver, txs: Parameters<typeof buildBlock>[1], timestamp: number): { block: Block; state: ChainState; receipts: BlockReceipts } {
  const built = buildBlock(state, txs, d.params, { producerSecret: scheduledFor(state, d.params).secret, timestamp });
  if (!built.ok) throw new Error(`${built.error.code}: ${built.error.message}`);
  if (built.value.rejected.length > 0) throw new Error(`rejected: ${built.value.rejected[0]?.error.message}`);
  return { block: built.value.block, state: built.value.state, receipts: built.value.receipts };
}

export const PROJECTION_TABLES = ["blocks", "transactions", "experiments", "rounds", "chain_metrics", "account_history"] as const;

/** Empties every projection table (D1 storage is shared by the tests of one file). */
export async function resetD1(): Promise<void> {
  await env.DB.batch(PROJECTION_TABLES.map((t) => env.DB.prepare(`DELETE FROM ${t}`)));
}

/** Every row of every projection table, in key order: two equal dumps mean two equal databases. */
export async function dumpD1(): Promise<Record<string, unknown[]>> {
  const order: Record<string, string> = {
    blocks: "hash",
    transactions: "id",
    experiments: "optimae",
    rounds: "optimae",
    chain_metrics: "domain, height",
    account_history: "address, height",
  };
  const out: Record<string, unknown[]> = {};
  for (const t of PROJECTION_TABLES) out[t] = (await env.DB.prepare(`SELECT * FROM ${t} ORDER BY ${order[t]}`).all()).results;
  return out;
}

export async function count(table: string, where = "1 = 1", ...args: unknown[]): Promise<number> {
  const row = await env.DB.prepare(`SELECT COUNT(*) AS n FROM ${table} WHERE ${where}`)
    .bind(...args)
    .first<{ n: number }>();
  return row?.n ?? 0;
}
