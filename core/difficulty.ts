/**
 * The proof-of-optimization threshold: how much verified work a block must
 * carry to be a work block. It follows the reference DifficultyController
 * (doin-reference-notes §2.5: target 600 s, EMA α = 0.1, ±2 % per block,
 * epoch of 100 blocks re-targeted by at most ×4 / ÷4, threshold in
 * [1e−6, 1e9]), with two differences that make it consensus:
 *
 * - every quantity is an integer (times in ms, ratios in ppm, the threshold
 *   in `Fixed`), each product floored, so every node computes the same bits;
 * - it is driven by block timestamps, once per work block on every node
 *   (the reference used each node's wall clock, for its own blocks only, so
 *   every node had a different threshold).
 *
 * Fast work blocks raise the threshold, slow ones lower it.
 */
import { clamp, floorDiv, ONE } from "./fixed.ts";
import type { ChainParams, DifficultyState } from "./types.ts";

/** The state at genesis: the initial threshold, an EMA at the target block time, the epoch starting now. */
export function initialDifficulty(params: ChainParams, genesisTimestamp: number): DifficultyState {
  return {
    threshold: params.initialThreshold,
    emaBlockTimeMs: BigInt(params.targetBlockTimeMs),
    lastWorkTimestamp: genesisTimestamp,
    epochStartTimestamp: genesisTimestamp,
    blocksInEpoch: 0,
  };
}

/**
 * The state after a work block with timestamp `timestampMs` (ms, the block's
 * own timestamp). The returned threshold applies to the next work block.
 */
export function nextDifficulty(d: DifficultyState, timestampMs: number, params: ChainParams): DifficultyState {
  const target = BigInt(params.targetBlockTimeMs);
  const alpha = BigInt(params.emaAlphaPpm);
  const limit = BigInt(params.perBlockLimitPpm);
  const lo = params.minThreshold;
  const hi = params.maxThreshold;
  const ts = BigInt(timestampMs);

  // reference: elapsed = max(0.001 s, ts − last); a block at or before its predecessor counts 1 ms
  const elapsed = max(1n, ts - BigInt(d.lastWorkTimestamp));
  // ema ← α·elapsed + (1 − α)·ema; with elapsed ≥ 1 and ema ≥ 1 the floor stays ≥ 1
  const ema = max(1n, floorDiv(alpha * elapsed + (ONE - alpha) * d.emaBlockTimeMs, ONE));
  // corr = clamp(target/ema − 1, ±limit), ppm
  const corr = clamp(floorDiv(target * ONE, ema) - ONE, -limit, limit);
  let threshold = clamp(floorDiv(d.threshold * (ONE + corr), ONE), lo, hi);
  let blocksInEpoch = d.blocksInEpoch + 1;
  let epochStartTimestamp = d.epochStartTimestamp;

  if (blocksInEpoch >= params.epochLength) {
    // ratio = clamp(epochLength·target / epoch duration, 1/maxAdj, maxAdj), ppm; a zero or negative duration counts 1 ms
    const duration = max(1n, ts - BigInt(d.epochStartTimestamp));
    const maxAdj = BigInt(params.maxEpochAdjustment);
    const ratio = clamp(floorDiv(BigInt(params.epochLength) * target * ONE, duration), ONE / maxAdj, ONE * maxAdj);
    threshold = clamp(floorDiv(threshold * ratio, ONE), lo, hi);
    epochStartTimestamp = timestampMs;
    blocksInEpoch = 0;
  }

  return { threshold, emaBlockTimeMs: ema, lastWorkTimestamp: timestampMs, epochStartTimestamp, blocksInEpoch };
}

function max(a: bigint, b: bigint): bigint {
  return a > b ? a : b;
}
