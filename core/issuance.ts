/**
 * Coin issuance and the coinbase split (doin-reference-notes §2.6: reward 50
 * DOIN halving every 210,000 work blocks, cap 21,000,000 DOIN; producer 5 %,
 * optimizers 65 %, evaluators 30 %).
 *
 * Differences from the reference, each on purpose:
 * - rewards are whole base units (`initialReward >> halvings`), as in Bitcoin,
 *   not 50/2^h as a float; the last paying era is still h = 32 (1 base unit),
 *   but the total is 20,999,999.9769 DOIN, not the reference's float sum;
 * - the coinbase pays exactly `total` = reward + fees, never more: the
 *   reference added the fees to the producer *and* into the pools, paying
 *   67.15 for 50 + 10;
 * - the shares apply to the total directly (5/65/30), not 5 % then 65/30 of
 *   the remaining 95 % (which left 4.75 % unassigned and gave it back to the
 *   producer); every rounding remainder and every empty pool goes to the
 *   producer.
 */
import type { Address, Amount, ChainParams, CoinbaseOutput, Fixed } from "./types.ts";

/** 1 DOIN in base units. */
export const COIN: Amount = 100_000_000n;

const PPM = 1_000_000n;
/** After 64 halvings a shift of any 64-bit reward is 0; the reference stops there too. */
const MAX_HALVINGS = 64n;

function checkIndex(name: string, n: number): void {
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`${name} must be a non-negative safe integer, got ${n}`);
}

function halvingInterval(params: ChainParams): bigint {
  checkIndex("halvingInterval", params.halvingInterval);
  if (params.halvingInterval === 0) throw new RangeError("halvingInterval must be positive");
  return BigInt(params.halvingInterval);
}

/** Reward of each block in era `era` (= floor(mintIndex / halvingInterval)), before the supply cap. */
function eraReward(era: bigint, params: ChainParams): Amount {
  return era >= MAX_HALVINGS ? 0n : params.initialReward >> era;
}

/**
 * Coin issued by the first `mintedBlocks` work blocks (indices 0 … mintedBlocks−1),
 * closed form over the eras: min(maxSupply, Σ_era blocks_in_era · reward_era).
 * The cap in `blockReward` makes the running supply exactly this.
 */
export function supplyAfter(mintedBlocks: number, params: ChainParams): Amount {
  checkIndex("mintedBlocks", mintedBlocks);
  const interval = halvingInterval(params);
  const n = BigInt(mintedBlocks);
  let total = 0n;
  for (let era = 0n; era < MAX_HALVINGS; era += 1n) {
    const start = era * interval;
    if (start >= n) break;
    const blocks = n - start < interval ? n - start : interval;
    total += blocks * eraReward(era, params);
  }
  return total < params.maxSupply ? total : params.maxSupply;
}

/**
 * Newly issued coin for the work block with index `mintIndex` (0 = the first
 * work block): initialReward >> floor(mintIndex / halvingInterval), 0 from 64
 * halvings on, and never more than what is left below maxSupply.
 */
export function blockReward(mintIndex: number, params: ChainParams): Amount {
  checkIndex("mintIndex", mintIndex);
  const reward = eraReward(BigInt(mintIndex) / halvingInterval(params), params);
  const left = params.maxSupply - supplyAfter(mintIndex, params);
  return reward < left ? reward : left > 0n ? left : 0n;
}

export interface RewardSplitInput {
  /** block reward + fees: exactly what the coinbase pays out */
  readonly total: Amount;
  readonly producer: Address;
  /** optimizer → weight (effective increment); weights ≤ 0 receive nothing */
  readonly optimizers: ReadonlyMap<Address, Fixed>;
  /** evaluator → agreeing evaluations; counts ≤ 0 receive nothing */
  readonly evaluators: ReadonlyMap<Address, number>;
}

/**
 * The coinbase outputs for one work block. Invariant: the amounts are
 * non-negative and sum to `input.total` exactly.
 *
 * Each pool (optimizers, evaluators) is floor(total·share), divided in
 * proportion to the weights, each payment floored; the producer receives
 * everything else (its own share, every remainder, any pool without
 * recipients). Order: producer, then optimizers by ascending address, then
 * evaluators by ascending address; zero amounts are left out.
 */
export function splitReward(input: RewardSplitInput, params: ChainParams): CoinbaseOutput[] {
  const { total } = input;
  if (total < 0n) throw new RangeError(`splitReward: total must be non-negative, got ${total}`);
  const shares = [params.producerSharePpm, params.optimizerSharePpm, params.evaluatorSharePpm];
  if (shares.some((s) => !Number.isSafeInteger(s) || s < 0) || shares.reduce((a, b) => a + b, 0) !== 1_000_000) {
    throw new RangeError(`splitReward: shares must be non-negative and sum to 1,000,000 ppm, got ${shares.join("/")}`);
  }

  const optimizers = positive([...input.optimizers].map(([a, w]) => [a, w] as const));
  const evaluators = positive([...input.evaluators].map(([a, c]) => [a, BigInt(c)] as const));
  const optimizerOutputs = distribute((total * BigInt(params.optimizerSharePpm)) / PPM, optimizers, "optimizer");
  const evaluatorOutputs = distribute((total * BigInt(params.evaluatorSharePpm)) / PPM, evaluators, "evaluator");

  let paid = 0n;
  for (const o of optimizerOutputs) paid += o.amount;
  for (const o of evaluatorOutputs) paid += o.amount;
  const producer: CoinbaseOutput = { to: input.producer, amount: total - paid, role: "producer" };
  return [producer, ...optimizerOutputs, ...evaluatorOutputs].filter((o) => o.amount > 0n);
}

/** The entries with a positive weight, by ascending address (code-unit order, addresses being lower-case hex). */
function positive(entries: readonly (readonly [Address, bigint])[]): (readonly [Address, bigint])[] {
  return entries.filter(([, w]) => w > 0n).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

/** pool·w/W for each recipient, floored; with no recipients nothing is paid (the caller gives the pool to the producer). */
function distribute(pool: Amount, recipients: readonly (readonly [Address, bigint])[], role: "optimizer" | "evaluator"): CoinbaseOutput[] {
  let weight = 0n;
  for (const [, w] of recipients) weight += w;
  if (weight === 0n) return [];
  return recipients.map(([to, w]) => ({ to, amount: (pool * w) / weight, role }));
}
