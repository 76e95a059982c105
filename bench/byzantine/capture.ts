/**
 * When colluding evaluators decide a quorum, and how likely a random quorum
 * is to hold that many of them.
 *
 * "Decide" follows the verdict rule (core/quorum.ts aggregateVotes, with
 * core/state-transition.ts requiredVotes): a quorum of K needs
 * `required` = ⌈fraction · K⌉ votes, agreeing/votes ≥ fraction, and the
 * reported value within tolerance of the median of the agreeing votes. With
 * c colluders among K, voting far from the honest measurements (all honest
 * members voting):
 * - block:  c ≥ min(K − required + 1, ⌈K/2⌉). Withholding K − required + 1
 *   votes leaves fewer than `required` (the round expires; each withheld
 *   vote costs the missed-vote penalty), and as many votes far off leave
 *   fewer than the fraction agreeing (rejected); ⌈K/2⌉ votes far off own the
 *   median, or for an even K pull it halfway, where nothing agrees. Any
 *   claim, honest or not, fails.
 * - median: c ≥ ⌈K/2⌉. Every honest vote is an outlier and loses reputation,
 *   whatever the verdict.
 * - accept: c ≥ max(required, ⌊K/2⌋ + 1). The median is theirs and enough
 *   agree: a false claim (outside tolerance of every honest vote) is accepted.
 * test/vectors/capture.json checks these against a brute-force search on a
 * transcription of the verdict rule.
 *
 * The selection is a uniformly random K-subset of the eligible (a hash
 * ranking), so the number of colluders in it is hypergeometric. Tails are
 * exact: bigint binomial coefficients, one division at the end.
 */
import { requiredVotes } from "../../core/state-transition.ts";
import type { DomainConfig } from "../../core/types.ts";

export type Decision = "block" | "median" | "accept";
export const DECISIONS: readonly Decision[] = ["block", "median", "accept"];

export type DecisiveCounts = Readonly<Record<Decision, number>>;

/** The fewest colluders in a quorum of k (k ≥ 1) that decide it, for each decision. */
export function decisiveColluders(k: number, domain: DomainConfig): DecisiveCounts {
  if (!Number.isSafeInteger(k) || k < 1) throw new RangeError(`quorum size must be a positive integer, got ${k}`);
  const required = requiredVotes(k, domain);
  const half = Math.ceil(k / 2);
  return { block: Math.min(k - required + 1, half), median: half, accept: Math.max(required, Math.floor(k / 2) + 1) };
}

/** The fewest colluders whose withheld votes leave fewer than `required` (≥ the block count; equal under a fraction of 2/3). */
export function withholdingColluders(k: number, domain: DomainConfig): number {
  return k - requiredVotes(k, domain) + 1;
}

/** An exact probability num/den. */
export interface Ratio {
  readonly num: bigint;
  readonly den: bigint;
}

const binomials = new Map<string, bigint>();

/** C(n, k) exactly (0 outside 0 ≤ k ≤ n). */
export function binomial(n: number, k: number): bigint {
  if (k < 0 || k > n) return 0n;
  const kk = Math.min(k, n - k);
  const key = `${n}:${kk}`;
  const hit = binomials.get(key);
  if (hit !== undefined) return hit;
  let c = 1n;
  for (let i = 1; i <= kk; i++) c = (c * BigInt(n - kk + i)) / BigInt(i);
  binomials.set(key, c);
  return c;
}

/**
 * P(X ≥ atLeast) for X the number of marked items in `draws` taken without
 * replacement from `population` items of which `marked` are marked.
 */
export function hypergeometricTail(population: number, marked: number, draws: number, atLeast: number): Ratio {
  if (!(population >= 0 && marked >= 0 && marked <= population && draws >= 0 && draws <= population)) {
    throw new RangeError(`bad hypergeometric (population ${population}, marked ${marked}, draws ${draws})`);
  }
  let num = 0n;
  for (let i = Math.max(atLeast, 0); i <= Math.min(draws, marked); i++) num += binomial(marked, i) * binomial(population - marked, draws - i);
  return { num, den: binomial(population, draws) };
}

function bitLength(x: bigint): number {
  return x === 0n ? 0 : x.toString(2).length;
}

/** num/den as the nearest double (the quotient is taken to 64 significant bits first, so tiny ratios keep their precision). */
export function ratioToNumber(r: Ratio): number {
  if (r.num === 0n) return 0;
  const shift = bitLength(r.den) - bitLength(r.num) + 64;
  const q = shift >= 0 ? (r.num << BigInt(shift)) / r.den : r.num / (r.den << BigInt(-shift));
  return Number(q) * 2 ** -shift;
}

export type CaptureProbabilities = Readonly<Record<Decision, number>>;

const captureCache = new Map<string, CaptureProbabilities>();

/** The probability that a random quorum of k among `eligible` evaluators, `colluders` of them colluding, holds enough colluders for each decision. */
export function captureProbability(eligible: number, colluders: number, k: number, domain: DomainConfig): CaptureProbabilities {
  const key = `${eligible}:${colluders}:${k}:${domain.quorumFractionPpm}`;
  const hit = captureCache.get(key);
  if (hit !== undefined) return hit;
  const need = decisiveColluders(k, domain);
  const p = {
    block: ratioToNumber(hypergeometricTail(eligible, colluders, k, need.block)),
    median: ratioToNumber(hypergeometricTail(eligible, colluders, k, need.median)),
    accept: ratioToNumber(hypergeometricTail(eligible, colluders, k, need.accept)),
  };
  captureCache.set(key, p);
  return p;
}

/**
 * The smallest quorum size K0 such that every K in [K0, kMax] keeps the
 * probability of `decision` at or below `target` (the tail is not monotonic
 * in K: ⌈fraction · K⌉ steps), or null when even kMax does not.
 */
export function minimumQuorum(
  eligible: number,
  colluders: number,
  target: number,
  domain: DomainConfig,
  kMax: number,
  decision: Decision = "accept",
): number | null {
  let k0: number | null = null;
  for (let k = Math.min(kMax, eligible); k >= 1; k--) {
    if (captureProbability(eligible, colluders, k, domain)[decision] > target) break;
    k0 = k;
  }
  return k0;
}

/** The paper's bound (Theorem 1, Table I): every one of K members colluding, drawn with replacement, f^K. */
export function paperBound(f: number, k: number): number {
  return f ** k;
}
