/**
 * Quorum size rules the simulation can run: the chain's (core's quorumSize
 * with its bounds), the same with another floor, and the reference's rule as
 * it was before DOIN changed it (minimum 3, a discount for reputable
 * optimizers), plus the sizes a rule can choose at a given number of eligible
 * evaluators.
 */
import { quorumSize, type QuorumSizeInput } from "../../core/quorum.ts";
import type { DomainConfig, QuorumParams } from "../../core/types.ts";
import { captureProbability, type Decision } from "./capture.ts";

/** core's inputs, and what only the reference's rule reads. */
export interface RuleInput extends QuorumSizeInput {
  /** the optimizer's decayed reputation relative to the highest among it and the eligible, parts per million */
  readonly optimizerReputationPpm: number;
}

export type QuorumRule = (input: RuleInput) => number;

/** The chain's rule: core's quorumSize with the chain's bounds (minimum 10, maximum 15). */
export function currentRule(params: QuorumParams): QuorumRule {
  return (input) => quorumSize(input, params);
}

/** The chain's formula with the minimum size raised to `floor` (to compare floors). */
export function flooredRule(params: QuorumParams, floor: number): QuorumRule {
  const bounds: QuorumParams = { minSize: Math.max(params.minSize, floor), maxSize: Math.max(params.maxSize, floor) };
  return (input) => quorumSize(input, bounds);
}

/**
 * The reference's rule (doin-core dynamic_quorum.py), which DOIN replaced:
 * clamp(3 + ⌊log₂ n⌋ + activity bonus − discount, 3, max(3, min(15, ⌊n/2⌋))),
 * at most n, the discount 2 / 1 when the optimizer's reputation is ≥ 90 / 70 %
 * of the highest.
 */
export function referenceRule(): QuorumRule {
  return (input) => {
    const n = input.eligible;
    if (n < 1) return 0;
    const a = input.activeFractionPpm;
    const bonus = a >= 750_000 ? 3 : a >= 500_000 ? 2 : a >= 250_000 ? 1 : 0;
    const r = input.optimizerReputationPpm;
    const discount = r >= 900_000 ? 2 : r >= 700_000 ? 1 : 0;
    const raw = 3 + Math.floor(Math.log2(n)) + bonus - discount;
    const hi = Math.max(3, Math.min(15, Math.floor(n / 2)));
    return Math.min(Math.max(3, Math.min(raw, hi)), n);
  };
}

/** The activity inputs at each threshold of the rules (and at the extremes). */
const ACTIVITY_PPM = [0, 250_000, 500_000, 750_000, 1_000_000];
/** The optimizer's relative reputation at each threshold of the reference's discount. */
const REPUTATION_PPM = [0, 700_000, 900_000];

export interface SizeRange {
  /** full activity, an optimizer below the top of reputation: the usual case */
  readonly typical: number;
  /** the smallest the rule can choose (little activity; under the reference's rule a reputable optimizer) */
  readonly lowest: number;
  readonly highest: number;
}

export function sizeRange(rule: QuorumRule, eligible: number): SizeRange {
  const ks: number[] = [];
  for (const activeFractionPpm of ACTIVITY_PPM) {
    for (const optimizerReputationPpm of REPUTATION_PPM) ks.push(rule({ eligible, activeFractionPpm, optimizerReputationPpm }));
  }
  return {
    typical: rule({ eligible, activeFractionPpm: 1_000_000, optimizerReputationPpm: 0 }),
    lowest: Math.min(...ks),
    highest: Math.max(...ks),
  };
}

export interface WorstCase {
  readonly probability: number;
  readonly eligible: number;
  readonly k: number;
}

/**
 * The highest probability of `decision` over every eligible count from 2 to
 * `maxEligible` (⌊f·n⌋ colluding) and every size the rule can choose there.
 */
export function worstOverEligible(rule: QuorumRule, f: number, maxEligible: number, domain: DomainConfig, decision: Decision = "accept"): WorstCase {
  let worst: WorstCase = { probability: 0, eligible: 0, k: 0 };
  for (let n = 2; n <= maxEligible; n++) {
    const { lowest, highest } = sizeRange(rule, n);
    for (let k = lowest; k <= highest; k++) {
      const p = captureProbability(n, Math.floor(f * n), k, domain)[decision];
      if (p > worst.probability) worst = { probability: p, eligible: n, k };
    }
  }
  return worst;
}
