/**
 * Quorum: who evaluates an optimae, how many, with which synthetic-data seed,
 * and how their votes become a verdict (reference doin-core quorum.py,
 * dynamic_quorum.py, deterministic_seed.py; notes §2.8–2.9).
 *
 * Differences from the reference, on purpose:
 * - The selection seed is the beacon seedDelayBlocks after the commit's
 *   block, and nothing the committer chose. The beacon is the running hash of
 *   the producers' VRF outputs (core/beacon.ts): unique per producer and
 *   height, so even a committer that produces blocks cannot choose it, only
 *   withhold its own blocks; and since no commit id, salt or reveal enters
 *   the seed, a committer that could foresee the beacon (its coalition
 *   producing every one of those blocks) still has nothing to grind: it can
 *   only choose whether to commit at that height (docs/PROTOCOL.md §4 states
 *   what is left). Every node computes the same quorum from chain state, not
 *   from its peer table (W-C7).
 * - Each evaluator's data seed is H(commit, evaluator, that beacon): distinct
 *   per evaluator and per optimae, unknown before the beacon exists (the
 *   reveal id is not in it: the optimizer picks the reveal after the beacon
 *   is known), and recomputable by anyone who checks the vote.
 * - Tolerance has an absolute floor, max(toleranceAbs, rel·|median|), so honest
 *   claims near zero are not rejected (W-C10).
 * - A round needs `required` votes (a fraction of K), not all K (W-C2).
 * - Everything is integer arithmetic and independent of the order of inputs.
 */
import { hashOf } from "./hash.ts";
import type { Address, DomainConfig, Fixed, Hash, QuorumParams, Vote } from "./types.ts";

const PPM = 1_000_000;
const PPM_N = 1_000_000n;

/** Seed of the evaluator selection of every commit of one block: the beacon seedDelayBlocks after it. */
export function quorumSeed(beacon: Hash): Hash {
  return hashOf("quorum", { beacon });
}

/**
 * An evaluator's synthetic-data seed for one optimae. `seed32` is the first
 * four bytes of `seed` read big-endian (the reference's derive_seed width).
 */
export function evaluatorSeed(commit: Hash, evaluator: Address, beacon: Hash): { seed: Hash; seed32: number } {
  const seed = hashOf("evaluator-seed", { commit, evaluator, beacon });
  return { seed, seed32: Number.parseInt(seed.slice(0, 8), 16) };
}

export interface QuorumSizeInput {
  /** number of accounts eligible to evaluate (the optimizer excluded) */
  readonly eligible: number;
  /** share of the eligible that were recently active, parts per million */
  readonly activeFractionPpm: number;
}

/** ⌊log2 n⌋ for an integer n ≥ 1. */
function log2Floor(n: number): number {
  let l = 0;
  for (let x = n; x >= 2; x = Math.floor(x / 2)) l++;
  return l;
}

/**
 * The reference's dynamic quorum size without its reputation discount:
 * clamp(3 + ⌊log2 n⌋ + activity bonus, minSize, max(minSize, min(maxSize, ⌊n/2⌋))),
 * activity ≥ 0.75 → +3, ≥ 0.5 → +2, ≥ 0.25 → +1; and never more than the
 * eligible count (0 when nobody is eligible). The reference shrank the quorum
 * of reputable optimizers by up to 2: a smaller quorum is easier to capture
 * (docs/SECURITY.md), and a reputable optimizer is exactly whom a coalition
 * would back, so the discount is gone; with the minimum of 10 (PROTOCOL §11)
 * colluders carry a false claim in at most 6.5e-4 of quorums at 20 %.
 */
export function quorumSize(input: QuorumSizeInput, params: QuorumParams): number {
  const n = input.eligible;
  if (!(n >= 1)) return 0;
  const a = input.activeFractionPpm;
  const bonus = a >= (PPM * 3) / 4 ? 3 : a >= PPM / 2 ? 2 : a >= PPM / 4 ? 1 : 0;
  const raw = 3 + log2Floor(n) + bonus;
  const hi = Math.max(params.minSize, Math.min(params.maxSize, Math.floor(n / 2)));
  const k = Math.min(Math.max(raw, params.minSize), hi);
  return Math.max(0, Math.min(k, n));
}

/** Rank of a candidate under a seed: H("quorum", {seed, candidate}). */
export function quorumRank(seed: Hash, candidate: Address): Hash {
  return hashOf("quorum", { seed, candidate });
}

/**
 * The first k distinct candidates ordered by rank (ties, which would need a
 * hash collision, by address). A function of (seed, set of candidates, k):
 * the order and repetitions of `candidates` do not matter.
 */
export function selectQuorum(seed: Hash, candidates: readonly Address[], k: number): Address[] {
  const ranked = [...new Set(candidates)].map((c) => ({ c, rank: quorumRank(seed, c) }));
  ranked.sort((x, y) => cmpStr(x.rank, y.rank) || cmpStr(x.c, y.c));
  const take = Math.max(0, Math.min(Math.floor(k), ranked.length));
  return ranked.slice(0, take).map((x) => x.c);
}

export interface Verdict {
  readonly accepted: boolean;
  /** median of all votes */
  readonly median: Fixed;
  /** median of the agreeing votes (the median of all votes when none agrees) */
  readonly verified: Fixed;
  /** evaluators within tolerance of the median, sorted by address */
  readonly agreeing: Address[];
  /** evaluators outside tolerance, on either side, sorted by address */
  readonly outliers: Address[];
}

function cmpStr(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function cmpBig(a: bigint, b: bigint): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function abs(x: bigint): bigint {
  return x < 0n ? -x : x;
}

/** floor(a / 2) for any sign (bigint division truncates toward zero). */
function halfFloor(a: bigint): bigint {
  const q = a / 2n;
  return q * 2n > a ? q - 1n : q;
}

/** Median of sorted values; for an even count the floor of the mean of the two middle values. 0 for none. */
export function medianFixed(sorted: readonly Fixed[]): Fixed {
  const n = sorted.length;
  if (n === 0) return 0n;
  const mid = n >> 1;
  if (n % 2 === 1) return sorted[mid] as Fixed;
  return halfFloor((sorted[mid - 1] as Fixed) + (sorted[mid] as Fixed));
}

/** Agreement tolerance around a median: max(toleranceAbs, ⌊toleranceRelPpm·|median| / 10^6⌋). */
export function toleranceFor(median: Fixed, domain: Pick<DomainConfig, "toleranceAbs" | "toleranceRelPpm">): Fixed {
  const rel = (BigInt(domain.toleranceRelPpm) * abs(median)) / PPM_N;
  return rel > domain.toleranceAbs ? rel : domain.toleranceAbs;
}

/**
 * Turns the votes on an optimae into a verdict. A vote agrees iff it lies within
 * tolerance of the median of all votes; the others (on both sides) are outliers,
 * clipped from the verified value. Accepted iff there are at least `required`
 * votes, agreeing/votes ≥ quorumFraction, and the optimizer's reported value is
 * within tolerance of the verified one. Independent of the order of `votes`.
 */
export function aggregateVotes(
  votes: readonly Vote[],
  reported: Fixed,
  domain: Pick<DomainConfig, "toleranceAbs" | "toleranceRelPpm" | "quorumFractionPpm">,
  required: number,
): Verdict {
  const sorted = [...votes].sort((a, b) => cmpBig(a.performance, b.performance) || cmpStr(a.evaluator, b.evaluator));
  const median = medianFixed(sorted.map((v) => v.performance));
  const tolerance = toleranceFor(median, domain);
  const agreeingVotes = sorted.filter((v) => abs(v.performance - median) <= tolerance);
  const outlierVotes = sorted.filter((v) => abs(v.performance - median) > tolerance);
  const agreeing = agreeingVotes.map((v) => v.evaluator).sort(cmpStr);
  const outliers = outlierVotes.map((v) => v.evaluator).sort(cmpStr);
  if (agreeingVotes.length === 0) return { accepted: false, median, verified: median, agreeing, outliers };
  const verified = medianFixed(agreeingVotes.map((v) => v.performance));
  const accepted =
    votes.length >= required &&
    BigInt(agreeingVotes.length) * PPM_N >= BigInt(domain.quorumFractionPpm) * BigInt(votes.length) &&
    abs(reported - verified) <= tolerance;
  return { accepted, median, verified, agreeing, outliers };
}
