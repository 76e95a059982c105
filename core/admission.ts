/**
 * Admission: the rules of a transaction that can be checked against the chain
 * tip alone and whose failure nothing still pending can cure. A mempool runs
 * `admissionCheck` before it stores a transaction, so that a reveal that does
 * not open its commit, a copy of revealed parameters or a vote by someone not
 * selected is refused at once with the code `applyBlock` would give it later,
 * instead of waiting in the pool until a block drops it.
 *
 * What pending transactions may still change (nonces, balances, a commit or a
 * round that is not on chain yet, a round still voting) is left to the block:
 * those cases pass here. The rule helpers below are the ones the state
 * transition itself uses, so the two can never disagree.
 */
import { err, ok, type ErrorCode, type Result } from "./errors.ts";
import { addressFromPublicKey } from "./keys.ts";
import { computeCommitment, paramsHash, paramsSize } from "./tx.ts";
import type { Address, ChainParams, ChainState, CommitRecord, DomainConfig, Hash, JsonValue, Round, Tx, TxOf } from "./types.ts";

/**
 * Every code admissionCheck can give. They depend on the chain state the
 * receiver has, which an honest relayer may not have had yet: a node does not
 * hold them against the peer that relayed such a transaction.
 */
export const ADMISSION_CODES = [
  "UNKNOWN_DOMAIN",
  "DUPLICATE_COMMIT",
  "NOT_COMMIT_AUTHOR",
  "REVEAL_MISMATCH",
  "ALREADY_REVEALED",
  "DUPLICATE_PARAMS",
  "NOT_SELECTED",
  "DUPLICATE_VOTE",
  "NOT_OPTIMAE_AUTHOR",
  "NOT_VERIFIED",
  "PARAMS_TOO_LARGE",
] as const satisfies readonly ErrorCode[];

/** A commitment may be on chain once. */
export function checkCommitmentUnused(commits: ReadonlyMap<Hash, CommitRecord>, commitment: Hash): Result<void> {
  for (const c of commits.values()) if (c.commitment === commitment) return err("DUPLICATE_COMMIT", "this commitment is already on chain");
  return ok(undefined);
}

/** A reveal opens its commit: same author, and the revealed values hash to the commitment. */
export function checkOpening(commit: CommitRecord, tx: TxOf<"reveal">, sender: Address): Result<void> {
  if (commit.optimizer !== sender) return err("NOT_COMMIT_AUTHOR", "only the author of a commit may reveal it");
  const expected = computeCommitment({ domain: commit.domain, params: tx.body.params, salt: tx.body.salt, reported: tx.body.reported, optimizer: tx.from });
  if (expected !== commit.commitment) return err("REVEAL_MISMATCH", "the revealed values do not hash to the commitment");
  return ok(undefined);
}

/** Parameters count once: whoever revealed them first owns them; a copy gains nothing. */
export function checkFirstReveal(revealedParams: ReadonlyMap<Hash, Hash>, pHash: Hash): Result<void> {
  const first = revealedParams.get(pHash);
  if (first !== undefined) return err("DUPLICATE_PARAMS", `these parameters were already revealed by ${first}`);
  return ok(undefined);
}

/**
 * An account may have at most maxOpenRoundsPerAccount commits and voting
 * rounds open at once: each makes a quorum work, and the bond alone would let
 * a rich account keep every evaluator busy.
 */
export function checkOpenRounds(commits: ReadonlyMap<Hash, CommitRecord>, rounds: ReadonlyMap<Hash, Round>, optimizer: Address, params: ChainParams): Result<void> {
  let open = 0;
  for (const c of commits.values()) if (c.optimizer === optimizer) open++;
  for (const r of rounds.values()) if (r.optimizer === optimizer && r.status === "voting") open++;
  if (open >= params.maxOpenRoundsPerAccount) {
    return err("TOO_MANY_OPEN_ROUNDS", `${open} commits and rounds of this account are open; at most ${params.maxOpenRoundsPerAccount} at once`);
  }
  return ok(undefined);
}

/** A reveal's params fit its domain's maxParamsBytes (canonical JSON bytes). */
export function checkParamsSize(domain: DomainConfig, params: JsonValue): Result<void> {
  const size = paramsSize(params);
  if (size > domain.maxParamsBytes) return err("PARAMS_TOO_LARGE", `params are ${size} bytes, domain ${domain.id} allows ${domain.maxParamsBytes}`);
  return ok(undefined);
}

/** Only a selected evaluator votes, once. */
export function checkVoter(round: Round, sender: Address): Result<void> {
  if (!round.quorum.includes(sender)) return err("NOT_SELECTED", "the sender was not selected to evaluate this optimae");
  if (round.votes.some((v) => v.evaluator === sender)) return err("DUPLICATE_VOTE", "the sender already voted on this optimae");
  return ok(undefined);
}

/** The round statuses from which no accept can succeed any more. */
const FINISHED: readonly Round["status"][] = ["rejected", "expired", "claimed", "superseded"];

/**
 * The checks of `tx` against `state` (the chain tip) that no pending
 * transaction can change. Signatures, nonces and balances are the caller's.
 */
export function admissionCheck(state: ChainState, params: ChainParams, tx: Tx): Result<void> {
  const sender = addressFromPublicKey(tx.from);
  switch (tx.kind) {
    case "commit":
      if (!params.domains.some((d) => d.id === tx.body.domain)) return err("UNKNOWN_DOMAIN", `unknown domain ${JSON.stringify(tx.body.domain)}`);
      return checkCommitmentUnused(state.commits, tx.body.commitment);
    case "reveal": {
      const commit = state.commits.get(tx.body.commit);
      if (commit === undefined) {
        if ([...state.rounds.values()].some((r) => r.commit === tx.body.commit)) return err("ALREADY_REVEALED", "this commit was already revealed");
      } else {
        const opening = checkOpening(commit, tx, sender);
        if (!opening.ok) return opening;
        const domain = params.domains.find((d) => d.id === commit.domain);
        if (domain !== undefined) {
          const size = checkParamsSize(domain, tx.body.params);
          if (!size.ok) return size;
        }
      }
      return checkFirstReveal(state.revealedParams, paramsHash(tx.body.params));
    }
    case "vote": {
      const round = state.rounds.get(tx.body.optimae);
      return round === undefined ? ok(undefined) : checkVoter(round, sender);
    }
    case "accept": {
      const round = state.rounds.get(tx.body.optimae);
      if (round === undefined) return ok(undefined);
      if (round.optimizer !== sender) return err("NOT_OPTIMAE_AUTHOR", "only the optimizer may claim its optimae");
      if (FINISHED.includes(round.status)) return err("NOT_VERIFIED", `the optimae's round is ${round.status}, not accepted`);
      return ok(undefined);
    }
    case "transfer":
    case "anchor":
      return ok(undefined);
  }
}
