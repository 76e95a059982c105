/**
 * Whether a network can decide rounds at all: the check a node runs on its
 * head (and `doin deploy check` on a genesis) so that a network with nobody
 * allowed to evaluate says so, instead of letting every round expire.
 *
 * The rule it reads is the chain's own (core/schedule.ts, validatorSet):
 * a reveal's quorum is drawn from the validators at the reveal's block time
 * (accounts whose decayed reputation reaches `reputation.minForEvaluator`,
 * joined by the genesis validators while they are fewer than a minimal
 * quorum), the optimizer excluded; `quorumSize` clamps the quorum's size to
 * that count, so a round can be decided as long as one validator besides
 * its optimizer exists, and never when none does (zero evaluators, zero
 * votes: expired).
 *
 * - NO_EVALUATORS: there are no validators. Nobody may produce a block or
 *   evaluate, so nobody can earn reputation either: the network is dead.
 * - SELF_ONLY_EVALUATOR: `self` is the only account that may evaluate, so
 *   `self`'s own optimae have an empty quorum and expire (other optimizers'
 *   rounds are still decided by `self`), until another account earns
 *   reputation.
 */
import { validatorSet } from "./schedule.ts";
import type { Account, Address, ChainParams } from "./types.ts";

export type QuorumProblem = "NO_EVALUATORS" | "SELF_ONLY_EVALUATOR";

export interface QuorumOutlook {
  /** accounts that may be selected to evaluate a reveal at block time `timeMs` */
  readonly evaluators: number;
  /** of them, the accounts other than `self` (the evaluators of `self`'s own optimae) */
  readonly evaluatorsBesidesSelf: number;
  readonly problem: QuorumProblem | null;
  /** what the problem means and what to do, for logs and `/status` */
  readonly message: string | null;
}

/**
 * The outlook of rounds revealed at block time `timeMs` over `accounts`;
 * `self` is the account whose own optimae are considered (a node's
 * address), if any.
 */
export function quorumOutlook(accounts: ReadonlyMap<Address, Account>, timeMs: number, params: ChainParams, self?: Address): QuorumOutlook {
  const validators = validatorSet(accounts, params, timeMs);
  const evaluators = validators.length;
  const evaluatorsBesidesSelf = evaluators - (self !== undefined && validators.includes(self) ? 1 : 0);
  const m = params.reputation.minForEvaluator;
  const min = `${m / 1_000_000n}.${(m % 1_000_000n).toString().padStart(6, "0").replace(/0+$/, "") || "0"}`;
  if (evaluators === 0) {
    return {
      evaluators,
      evaluatorsBesidesSelf,
      problem: "NO_EVALUATORS",
      message:
        `no account has the reputation to evaluate (≥ ${min}) and there are no genesis validators: no block can be produced, ` +
        "every round would expire undecided and nobody can earn reputation; start the network with genesis validators (GENESIS_VALIDATORS, written by `doin deploy init`)",
    };
  }
  if (self !== undefined && evaluatorsBesidesSelf === 0) {
    return {
      evaluators,
      evaluatorsBesidesSelf,
      problem: "SELF_ONLY_EVALUATOR",
      message:
        "this node is the only account that may evaluate, and an optimizer is never in its own quorum: its own optimae expire undecided " +
        "(other optimizers' rounds are still decided) until another account earns reputation; a network needs at least two genesis validators",
    };
  }
  return { evaluators, evaluatorsBesidesSelf, problem: null, message: null };
}
