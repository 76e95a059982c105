/**
 * Reputation: an additive score with exponential decay, applied lazily
 * (doin-reference-notes §2.7: accepted optimae +1.0, rejected −3.0, agreeing
 * evaluation +0.4, divergent evaluation −2.0, half-life one week, 2.0 needed to
 * evaluate; §2.2 for the factor ln(1+r)/ln 11).
 *
 * The reference decays by wall-clock seconds on every read; here decay is
 * counted in blocks (the half-life one week at 600 s blocks = 1008 blocks) and
 * the account stores the height its score was last brought up to date, so
 * every node derives the same value from the chain alone. All values are
 * `Fixed`, floored at each step; the score never goes below 0.
 */
import { exp2NegFixed, logRatioFixed, mulFixed, ONE } from "./fixed.ts";
import type { Account, ChainParams, Fixed } from "./types.ts";

/** The events that move reputation (the reference's double-sign penalty was never applied and is left out). */
export type ReputationEvent = "optimaeAccepted" | "optimaeRejected" | "evaluationAgreed" | "evaluationDiverged";

/** r = 10 is where the factor reaches 1.0: ln(11)/ln(11). */
const FACTOR_SATURATION: Fixed = 10n * ONE;
const ELEVEN: Fixed = 11n * ONE;

/**
 * The account's reputation decayed to `height`:
 * floor(reputation · floor(2^(−(height − reputationHeight)/halfLife) · 10^6) / 10^6).
 * A height at or below the stored one decays nothing (reputation never grows back).
 */
export function decayedReputation(account: Account, height: number, params: ChainParams): Fixed {
  const halfLife = params.reputation.halfLifeBlocks;
  if (!Number.isSafeInteger(halfLife) || halfLife <= 0) {
    throw new RangeError(`halfLifeBlocks must be a positive integer, got ${halfLife}`);
  }
  const elapsed = height - account.reputationHeight;
  if (elapsed <= 0 || account.reputation <= 0n) return account.reputation;
  return mulFixed(account.reputation, exp2NegFixed(BigInt(elapsed), BigInt(halfLife)));
}

/**
 * Applies `delta` at `height`: decays first, adds, floors at 0, and records
 * the height (never moving it backwards, which would decay the same blocks twice).
 */
export function adjustReputation(account: Account, height: number, delta: Fixed, params: ChainParams): Account {
  const next = decayedReputation(account, height, params) + delta;
  return {
    ...account,
    reputation: next > 0n ? next : 0n,
    reputationHeight: Math.max(height, account.reputationHeight),
  };
}

/**
 * The signed change an event makes. The params hold magnitudes; a reward adds
 * and a penalty subtracts whatever sign the preset wrote them with, so the
 * asymmetry (penalty 3× the reward) cannot be flipped by a sign slip.
 */
export function reputationDelta(event: ReputationEvent, params: ChainParams): Fixed {
  const r = params.reputation;
  switch (event) {
    case "optimaeAccepted":
      return abs(r.acceptReward);
    case "optimaeRejected":
      return -abs(r.rejectPenalty);
    case "evaluationAgreed":
      return abs(r.evaluationAgreeReward);
    case "evaluationDiverged":
      return -abs(r.evaluationDivergePenalty);
  }
}

/**
 * How much an optimizer's work counts for its reputation:
 * 0 for r ≤ 0, else min(1, ln(1 + r)/ln 11), floored (reference weights.py:
 * r = 1 → 0.289064, r = 2 → 0.458156, r ≥ 10 → 1.0). Logarithmic, so a newcomer
 * counts at once but a large score cannot buy a large advantage.
 */
export function reputationFactor(r: Fixed): Fixed {
  if (r <= 0n) return 0n;
  if (r >= FACTOR_SATURATION) return ONE;
  return logRatioFixed(ONE + r, ELEVEN);
}

/** Whether the account's reputation, decayed to `height`, reaches the minimum to be selected as an evaluator. */
export function meetsEvaluatorMinimum(account: Account, height: number, params: ChainParams): boolean {
  return decayedReputation(account, height, params) >= params.reputation.minForEvaluator;
}

function abs(x: Fixed): Fixed {
  return x < 0n ? -x : x;
}
