/**
 * Reward fraction: how much of an optimae's increment counts, given how far
 * the quorum's verified performance fell from the optimizer's claim
 * (doin-reference-notes §2.4, reference incentives.py; defaults margin 10 %,
 * bonus threshold 5 %, minimum 0.3, maximum bonus 1.2).
 *
 * Over-claiming is paid less, linearly down to `minRewardFraction` at the
 * tolerance margin and nothing beyond it, so exaggerating a result never pays;
 * a result that verifies better than claimed earns a bonus, linearly up to
 * `maxBonus` at the bonus threshold.
 *
 * In integers: rel = floor(gap·10^6/|reported|) in ppm (the gap itself when
 * reported is 0), and the curve value at rel floored to `Fixed`. Flooring rel
 * replaces the reference's float tolerances (rel ≤ 1e−10 counts as 0,
 * margin + 1e−9): a gap under 1 ppm of the claim pays 1.0 exactly.
 */
import { floorDiv, ONE } from "./fixed.ts";
import type { Fixed, IncentiveConfig } from "./types.ts";

/** Fraction in [0, maxBonus] (`Fixed`, 1.0 = full reward) for a claim `reported` that verified as `verified`. */
export function rewardFraction(reported: Fixed, verified: Fixed, higherIsBetter: boolean, cfg: IncentiveConfig): Fixed {
  const gap = higherIsBetter ? reported - verified : verified - reported;
  const magnitude = reported < 0n ? -reported : reported;
  // ppm and Fixed share the scale 10^6, so a gap in Fixed is already "ppm of 1.0"
  const rel = magnitude === 0n ? gap : floorDiv(gap * ONE, magnitude);
  const margin = BigInt(cfg.toleranceMarginPpm);
  const bonusThreshold = BigInt(cfg.bonusThresholdPpm);
  const minFraction = BigInt(cfg.minRewardFractionPpm);
  const maxBonus = BigInt(cfg.maxBonusPpm);

  if (rel < 0n) {
    const better = -rel;
    if (better >= bonusThreshold) return maxBonus;
    return ONE + floorDiv(better * (maxBonus - ONE), bonusThreshold);
  }
  if (rel === 0n) return ONE;
  if (rel > margin) return 0n;
  return ONE - ceilDiv(rel * (ONE - minFraction), margin);
}

/** ceil(a/b) for b > 0: the floor of ONE − x is ONE − ceil(x). */
function ceilDiv(a: bigint, b: bigint): bigint {
  return -floorDiv(-a, b);
}
