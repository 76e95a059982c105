/**
 * Quorum size rules the simulation can run: today's (core's quorumSize with
 * the chain's bounds) and the proposed floor, plus the sizes a rule can choose
 * at a given number of eligible evaluators.
 */
import { quorumSize, type QuorumSizeInput } from "../../core/quorum.ts";
import type { DomainConfig, QuorumParams } from "../../core/types.ts";
import { captureProbability, type Decision } from "./capture.ts";

export type QuorumRule = (input: QuorumSizeInput) => number;

/** Today's rule. */
export function currentRule(params: QuorumParams): QuorumRule {
  return (input) => quorumSize(input, params);
}

/**
 * The proposal: the same formula with the minimum size raised to `floor` and
 * no discount for the optimizer's reputation (an optimizer can build
 * reputation honestly and then spend it on a smaller quorum).
 */
export function flooredRule(params: QuorumParams, floor: number): QuorumRule {
  const bounds: QuorumParams = { minSize: Math.max(params.minSize, floor), maxSize: Math.max(params.maxSize, floor) };
  return (input) => quorumSize({ ...input, optimizerReputationPpm: 0 }, bounds);
}

/** The activity and reputation inputs at each threshold of the rule (and at the extremes). */
const ACTIVITY_PPM = [0, 250_000, 500_000, 750_000, 1_000_000];
const REPUTATION_PPM = [0, 700_000, 900_000, 1_000_000];

export interface SizeRange {
  /** full activity, optimizer with no reputation: the usual case */
  readonly typical: number;
  /** the smallest the rule can choose (little activity, optimizer at the top of reputation) */
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
