/**
 * Whether a network can decide rounds at all: the check a node runs on its
 * head (and `doin deploy check` on a genesis) so that a network with nobody
 * allowed to evaluate says so, instead of letting every round expire.
 *
 * The rule it reads (state-transition.ts, selectEvaluators): a reveal's
 * quorum is drawn from the accounts whose reputation, decayed to the
 * reveal's height, reaches `reputation.minForEvaluator`, the optimizer
 * excluded; `quorumSize` clamps the quorum's size (at least
 * `quorum.minSize` when there are that many) to the eligible count, so a
 * round can be decided as long as one account besides its optimizer may
 * evaluate, and never when none may (zero evaluators, zero votes: expired).
 *
 * - NO_EVALUATORS: nobody may evaluate. No round is ever decided, so nobody
 *   can earn reputation either: the network can never accept an optimae.
 * - SELF_ONLY_EVALUATOR: `self` is the only account that may evaluate, so
 *   `self`'s own optimae have an empty quorum and expire (other optimizers'
 *   rounds are still decided by `self`), until another account earns
 *   reputation.
 */
import { meetsEvaluatorMinimum } from "./reputation.ts";
import type { Account, Address, ChainParams } from "./types.ts";

export type QuorumProblem = "NO_EVALUATORS" | "SELF_ONLY_EVALUATOR";

export interface QuorumOutlook {
  /** accounts that may be selected to evaluate a reveal at `height` */
  readonly evaluators: number;
  /** of them, the accounts other than `self` (the evaluators of `self`'s own optimae) */
  readonly evaluatorsBesidesSelf: number;
  readonly problem: QuorumProblem | null;
  /** what the problem means and what to do, for logs and `/status` */
  readonly message: string | null;
}

/**
 * The outlook of rounds revealed at `height` (the next block's height, for a
 * head) over `accounts`; `self` is the account whose own optimae are
 * considered (a node's address), if any.
 */
export function quorumOutlook(accounts: ReadonlyMap<Address, Account>, height: number, params: ChainParams, self?: Address): QuorumOutlook {
  let evaluators = 0;
  let selfEligible = false;
  for (const [address, account] of accounts) {
    if (!meetsEvaluatorMinimum(account, height, params)) continue;
    evaluators++;
    if (address === self) selfEligible = true;
  }
  const evaluatorsBesidesSelf = evaluators - (selfEligible ? 1 : 0);
  const m = params.reputation.minForEvaluator;
  const min = `${m / 1_000_000n}.${(m % 1_000_000n).toString().padStart(6, "0").replace(/0+$/, "") || "0"}`;
  if (evaluators === 0) {
    return {
      evaluators,
      evaluatorsBesidesSelf,
      problem: "NO_EVALUATORS",
      message:
        `no account has the reputation to evaluate (≥ ${min}): every round expires undecided and nobody can earn reputation, ` +
        "so no optimae can ever be accepted; start the network with genesis validators (GENESIS_VALIDATORS, written by `doin deploy init`)",
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
