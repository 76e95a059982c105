/**
 * Reputation: an additive score with exponential decay, applied lazily
 * (doin-reference-notes §2.7: accepted optimae +1.0, rejected −3.0, agreeing
 * evaluation +0.4, divergent evaluation −2.0, half-life one week, 2.0 needed to
 * evaluate; §2.2 for the factor ln(1+r)/ln 11).
 *
 * The reference decays by wall-clock seconds on every read; here decay is
 * counted in block time: the milliseconds between block timestamps (the
 * half-life one week), and the account stores the timestamp its score was
 * last brought up to date, so every node derives the same value from the
 * chain alone. Counting time rather than blocks keeps the half-life the same
 * however many carrier blocks come between work blocks. Block timestamps only
 * move forward and cannot run ahead of honest clocks by more than
 * maxFutureDriftMs, so a producer cannot speed decay up. All values are
 * `Fixed`, floored at each step; the score never goes below 0.
 */
import { exp2NegFixed, logRatioFixed, mulFixed, ONE } from "./fixed.ts";
import type { Account, ChainParams, Fixed } from "./types.ts";

/**
 * The events that move reputation (the reference's double-sign penalty was
 * never applied and is left out; a missed vote is DOIN's: docs/SECURITY.md).
 */
export type ReputationEvent = "optimaeAccepted" | "optimaeRejected" | "evaluationAgreed" | "evaluationDiverged" | "evaluationMissed";

/** r = 10 is where the factor reaches 1.0: ln(11)/ln(11). */
const FACTOR_SATURATION: Fixed = 10n * ONE;
const ELEVEN: Fixed = 11n * ONE;

/**
 * The account's reputation decayed to block time `timeMs`:
 * floor(reputation · floor(2^(−(timeMs − reputationTime)/halfLifeMs) · 10^6) / 10^6).
 * A time at or before the stored one decays nothing (reputation never grows back).
 */
export function decayedReputation(account: Account, timeMs: number, params: ChainParams): Fixed {
  const halfLife = params.reputation.halfLifeMs;
  if (!Number.isSafeInteger(halfLife) || halfLife <= 0) {
    throw new RangeError(`halfLifeMs must be a positive integer, got ${halfLife}`);
  }
  const elapsed = timeMs - account.reputationTime;
  if (elapsed <= 0 || account.reputation <= 0n) return account.reputation;
  return mulFixed(account.reputation, exp2NegFixed(BigInt(elapsed), BigInt(halfLife)));
}

/**
 * Applies `delta` at block time `timeMs`: decays first, adds, floors at 0, and
 * records the time (never moving it backwards, which would decay the same time twice).
 */
export function adjustReputation(account: Account, timeMs: number, delta: Fixed, params: ChainParams): Account {
  const next = decayedReputation(account, timeMs, params) + delta;
  return {
    ...account,
    reputation: next > 0n ? next : 0n,
    reputationTime: Math.max(timeMs, account.reputationTime),
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
    case "evaluationMissed":
      return -abs(r.missedVotePenalty);
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

/** Whether the account's reputation, decayed to block time `timeMs`, reaches the minimum to evaluate and produce. */
export function meetsEvaluatorMinimum(account: Account, timeMs: number, params: ChainParams): boolean {
  return decayedReputation(account, timeMs, params) >= params.reputation.minForEvaluator;
}

function abs(x: Fixed): Fixed {
  return x < 0n ? -x : x;
}
