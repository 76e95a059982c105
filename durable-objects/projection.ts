/**
 * What one applied (or reverted) block changes in the D1 projection, as plain
 * JSON data: the ChainDO derives it in the same storage transaction that
 * stores the block, keeps it in its outbox, and d1-writer.ts writes it to D1
 * later, retrying until it succeeds.
 *
 * `deriveProjection` is pure: it reads the state before and after the block,
 * the block itself and its receipts, and maps them to rows. Bigints (Fixed micro-units,
 * coin base units) are decimal strings.
 *
 * What the transition decided comes from its receipts (core's
 * BlockReceipts): the work each accept added, the champion it beat. Nothing
 * here applies a block again: the projection maps the receipts, the block and
 * the two states to rows.
 *
 * An accept whose round is not in `prev`/`next` (inputs that do not belong
 * together) gets no experiment row rather than an exception: the projection
 * never stops the chain.
 */
import { blockToWire } from "../core/block.ts";
import { addressFromPublicKey } from "../core/keys.ts";
import { aggregateVotes, evaluatorSeed, toleranceFor } from "../core/quorum.ts";
import { decayedReputation } from "../core/reputation.ts";
import { domainOf, requiredVotes, type AcceptReceipt, type BlockReceipts } from "../core/state-transition.ts";
import { txSender } from "../core/tx.ts";
import type { Account, Block, ChainParams, ChainState, Round, TxKind, TxOf } from "../core/types.ts";
import type { VoteView } from "./rpc.ts";

/** The `blocks` row of a block (D1 adds the *_real columns and canonical = 1). */
export interface BlockRowData {
  readonly hash: string;
  readonly height: number;
  readonly parent: string;
  readonly timestamp: number;
  /** producer address */
  readonly producer: string;
  readonly txCount: number;
  readonly work: string;
  readonly cumulativeWork: string;
  readonly threshold: string;
  /** supply after the block */
  readonly supply: string;
  readonly stateRoot: string;
}

/** A `transactions` row; its body is the matching entry of the block body's `txs`. */
export interface TxRowData {
  readonly id: string;
  readonly idx: number;
  readonly kind: TxKind;
  /** sender address */
  readonly sender: string;
  /** a transfer's recipient address */
  readonly recipient: string | null;
  readonly nonce: number;
  readonly fee: string;
}

/** An `experiments` row: one accepted optimae. */
export interface ExperimentRowData {
  readonly optimae: string;
  readonly experimentId: string;
  readonly roundNumber: number;
  readonly timeToResultSeconds: number;
  readonly optimizationConfigHash: string;
  readonly dataHash: string;
  readonly domain: string;
  readonly optimizer: string;
  readonly reported: string;
  readonly verified: string;
  readonly previousBest: string;
  readonly increment: string;
  /** the accept transaction's id and position in the block */
  readonly acceptTx: string;
  readonly txIdx: number;
}

/** A `rounds` row: a round as it stands after the block. */
export interface RoundRowData {
  readonly optimae: string;
  readonly domain: string;
  readonly optimizer: string;
  readonly status: Round["status"];
  readonly reported: string;
  readonly verified: string | null;
  readonly quorum: readonly string[];
  readonly votes: number;
  readonly agreeing: number;
  readonly revealHeight: number;
  readonly deadline: number;
  readonly commit: string;
  readonly beacon: string;
  /** each selected evaluator's data seed, in selection order */
  readonly seeds: readonly EvaluatorSeedData[];
  /** the votes counted, in chain order */
  readonly voteList: readonly VoteView[];
  /** votes the round needs to be decided */
  readonly required: number;
  /** core's verdict, once the votes decided the round (null while voting, or expired) */
  readonly verdict: VerdictData | null;
}

export interface EvaluatorSeedData {
  readonly evaluator: string;
  readonly seed: string;
  readonly seed32: number;
}

/** core's aggregateVotes on a decided round, Fixed values as decimal strings. */
export interface VerdictData {
  readonly accepted: boolean;
  /** median of all votes */
  readonly median: string;
  /** agreement tolerance around the median */
  readonly tolerance: string;
  /** median of the agreeing votes */
  readonly verified: string;
  /** evaluators within tolerance, sorted by address */
  readonly agreeing: readonly string[];
  /** evaluators outside tolerance (clipped), sorted by address */
  readonly outliers: readonly string[];
}

/** An `account_history` row: an account after a block that changed it. */
export interface AccountRowData {
  readonly address: string;
  readonly balance: string;
  readonly nonce: number;
  /** decayed to the block's height */
  readonly reputation: string;
}

/** A `chain_metrics` row: one domain after the block. */
export interface MetricsRowData {
  readonly domain: string;
  readonly champion: string;
  readonly championOptimae: string | null;
  readonly threshold: string;
  readonly work: string;
  readonly domainWork: string;
  readonly cumulativeWork: string;
  readonly supply: string;
  readonly accepted: number;
}

/** A block applied to the head chain: everything it writes to D1. */
export interface BlockEvent {
  readonly kind: "block";
  readonly block: BlockRowData;
  /** the block's wire JSON text (the tx bodies are read from it) */
  readonly body: string;
  readonly txs: readonly TxRowData[];
  readonly experiments: readonly ExperimentRowData[];
  /** rounds whose status or vote count changed in this block (new rounds included) */
  readonly rounds: readonly RoundRowData[];
  /** one per domain of the chain parameters */
  readonly metrics: readonly MetricsRowData[];
  /** accounts whose balance, nonce or reputation the block changed (every account at genesis) */
  readonly accounts: readonly AccountRowData[];
}

/** A block that a reorg took off the head chain. */
export interface RevertEvent {
  readonly kind: "revert";
  readonly hash: string;
  readonly height: number;
}

export type ProjectionEvent = BlockEvent | RevertEvent;

interface AcceptInfo {
  readonly tx: TxOf<"accept">;
  readonly round: Round;
  readonly receipt: AcceptReceipt;
}

/**
 * The rows for `block`, applied on `prev` giving `next` with `receipts`. For
 * the genesis block pass its state as both `prev` and `next`, and no receipts.
 */
export function deriveProjection(prev: ChainState, next: ChainState, block: Block, params: ChainParams, receipts: BlockReceipts): BlockEvent {
  const h = block.header;

  const txs: TxRowData[] = block.txs.map((tx, idx) => ({
    id: tx.id,
    idx,
    kind: tx.kind,
    sender: txSender(tx),
    recipient: tx.kind === "transfer" ? tx.body.to : null,
    nonce: tx.nonce,
    fee: tx.fee.toString(),
  }));

  // accepted optimae: the accepts that counted (a superseded one is worth nothing, not an experiment result)
  const accepts: AcceptInfo[] = [];
  for (const receipt of receipts.accepts) {
    if (receipt.superseded) continue;
    const tx = block.txs[receipt.txIndex];
    const round = next.rounds.get(receipt.optimae) ?? prev.rounds.get(receipt.optimae);
    if (tx?.kind !== "accept" || round === undefined) continue; // not from this transition
    accepts.push({ tx, round, receipt });
  }
  const experiments: ExperimentRowData[] = accepts.map(({ tx, round, receipt }) => ({
    optimae: round.optimae,
    experimentId: tx.body.experimentId,
    roundNumber: tx.body.roundNumber,
    timeToResultSeconds: tx.body.timeToResultSeconds,
    optimizationConfigHash: tx.body.optimizationConfigHash,
    dataHash: tx.body.dataHash,
    domain: round.domain,
    optimizer: round.optimizer,
    reported: round.reported.toString(),
    verified: receipt.verified.toString(),
    previousBest: receipt.previousBest.toString(),
    increment: receipt.increment.toString(),
    acceptTx: tx.id,
    txIdx: receipt.txIndex,
  }));

  // rounds that changed
  const rounds: RoundRowData[] = [];
  for (const r of next.rounds.values()) {
    const before = prev.rounds.get(r.optimae);
    if (before !== undefined && before.status === r.status && before.votes.length === r.votes.length) continue;
    rounds.push(roundRow(r, params));
  }

  const metrics: MetricsRowData[] = params.domains.map((d) => {
    const champion = next.champions.get(d.id);
    let domainWork = 0n;
    let accepted = 0;
    for (const a of accepts) {
      if (a.receipt.domain !== d.id) continue;
      domainWork += a.receipt.increment;
      accepted++;
    }
    return {
      domain: d.id,
      champion: (champion?.performance ?? d.initialChampion).toString(),
      championOptimae: champion?.optimae ?? null,
      threshold: h.threshold.toString(),
      work: h.work.toString(),
      domainWork: domainWork.toString(),
      cumulativeWork: h.cumulativeWork.toString(),
      supply: next.supply.toString(),
      accepted,
    };
  });

  return {
    kind: "block",
    block: {
      hash: block.hash,
      height: h.height,
      parent: h.parent,
      timestamp: h.timestamp,
      producer: addressFromPublicKey(h.producer),
      txCount: block.txs.length,
      work: h.work.toString(),
      cumulativeWork: h.cumulativeWork.toString(),
      threshold: h.threshold.toString(),
      supply: next.supply.toString(),
      stateRoot: h.stateRoot,
    },
    body: JSON.stringify(blockToWire(block)),
    txs,
    experiments,
    rounds,
    metrics,
    accounts: changedAccounts(prev, next, h.timestamp, params),
  };
}

/**
 * A round as it stands, with its story: each evaluator's data seed and, once
 * decided by votes, the verdict. Both come from core (evaluatorSeed,
 * aggregateVotes, toleranceFor): this is the one place outside the quorum
 * duties that derives them, so explorers read them and never recompute.
 */
function roundRow(r: Round, params: ChainParams): RoundRowData {
  const domain = domainOf(params, r.domain);
  const required = domain === undefined ? r.quorum.length : requiredVotes(r.quorum.length, domain);
  const decided = r.status !== "voting" && r.status !== "expired" && r.verified !== null;
  let verdict: VerdictData | null = null;
  if (decided && domain !== undefined) {
    const v = aggregateVotes(r.votes, r.reported, domain, required);
    verdict = {
      accepted: v.accepted,
      median: v.median.toString(),
      tolerance: toleranceFor(v.median, domain).toString(),
      verified: v.verified.toString(),
      agreeing: v.agreeing,
      outliers: v.outliers,
    };
  }
  return {
    optimae: r.optimae,
    domain: r.domain,
    optimizer: r.optimizer,
    status: r.status,
    reported: r.reported.toString(),
    verified: r.verified === null ? null : r.verified.toString(),
    quorum: [...r.quorum],
    votes: r.votes.length,
    agreeing: r.agreeing.length,
    revealHeight: r.revealHeight,
    deadline: r.deadline,
    commit: r.commit,
    beacon: r.beacon,
    seeds: r.quorum.map((evaluator) => ({ evaluator, ...evaluatorSeed(r.commit, evaluator, r.beacon) })),
    voteList: r.votes.map((v) => ({ evaluator: v.evaluator, performance: v.performance.toString(), dataHash: v.dataHash })),
    required,
    verdict,
  };
}

/** Accounts the block changed (all of them at genesis, where prev is next), reputation decayed to the block. */
function changedAccounts(prev: ChainState, next: ChainState, timeMs: number, params: ChainParams): AccountRowData[] {
  const out: AccountRowData[] = [];
  const same = (a: Account, b: Account): boolean =>
    a.balance === b.balance && a.nonce === b.nonce && a.reputation === b.reputation && a.reputationTime === b.reputationTime;
  for (const [address, a] of next.accounts) {
    const before = prev === next ? undefined : prev.accounts.get(address);
    if (before !== undefined && (before === a || same(before, a))) continue;
    out.push({ address, balance: a.balance.toString(), nonce: a.nonce, reputation: decayedReputation(a, timeMs, params).toString() });
  }
  return out;
}
