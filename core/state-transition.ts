/**
 * The state transition: applyBlock(state, block) → state | error.
 *
 * Pure and deterministic. Every rule of the chain is checked here from the
 * chain alone: nonces and balances, commit before reveal, reveal matches
 * commit, voter was selected, verdicts from votes, improvement over the
 * champion, proof of optimization against the threshold, the exact coinbase,
 * difficulty, reputation, bonds, the producer schedule, the beacon and the
 * state root.
 */
import { checkCommitmentUnused, checkFirstReveal, checkOpening, checkOpenRounds, checkParamsSize, checkVoter } from "./admission.ts";
import { beaconInput, nextBeacon } from "./beacon.ts";
import { blockHash, checkBlock, coinbaseRoot, sealBlock, txRoot } from "./block.ts";
import { nextDifficulty } from "./difficulty.ts";
import { err, ok, type ProtocolError, type Result } from "./errors.ts";
import { mulFixed } from "./fixed.ts";
import { hexToBytes } from "./hex.ts";
import { rewardFraction } from "./incentive.ts";
import { blockReward, splitReward } from "./issuance.ts";
import { addressFromPublicKey, publicKeyFromSecret, verifyAll } from "./keys.ts";
import { aggregateVotes, quorumSeed, quorumSize, selectQuorum } from "./quorum.ts";
import { AccountOverlay } from "./account-map.ts";
import { adjustReputation, reputationDelta, reputationFactor, type ReputationEvent } from "./reputation.ts";
import { producerRank, slotDelayMs, turnWeight, validatorSet } from "./schedule.ts";
import { commitState, type StateDraft } from "./state-root.ts";
import { treeRoot } from "./state-tree.ts";
import { paramsHash, txSize } from "./tx.ts";
import { vrfOutput, vrfProve, vrfVerify } from "./vrf.ts";
import type {
  Account,
  Address,
  Amount,
  Block,
  BlockHeader,
  ChainParams,
  ChainState,
  Champion,
  CoinbaseOutput,
  CommitRecord,
  DomainConfig,
  Fixed,
  Hash,
  Round,
  Tx,
  TxOf,
} from "./types.ts";

const EMPTY_ACCOUNT: Account = { balance: 0n, nonce: 0, reputation: 0n, reputationTime: 0, lastActiveTime: -1 };

/**
 * What applying a block did beyond its post-state, as the transition decided
 * it: the work each accept added, the rounds decided, every reputation
 * change. Readers (the node's D1 projection, explorers) map these instead of
 * re-deriving them from two states.
 */
export interface BlockReceipts {
  /** the block's accepts that found their round verified, in block order */
  readonly accepts: readonly AcceptReceipt[];
  /** rounds decided in the block (a closed voting window at its start, or a last vote), in order */
  readonly verdicts: readonly VerdictReceipt[];
  /** every reputation change, in order (the delta before decay) */
  readonly reputation: readonly ReputationReceipt[];
}

export interface AcceptReceipt {
  readonly txIndex: number;
  readonly optimae: Hash;
  readonly domain: string;
  readonly optimizer: Address;
  /** the domain's champion just before this accept */
  readonly previousBest: Fixed;
  readonly verified: Fixed;
  /** the work it added to the block (0 when superseded) */
  readonly increment: Fixed;
  /** a better champion came first: recorded, worth nothing */
  readonly superseded: boolean;
}

export interface VerdictReceipt {
  readonly optimae: Hash;
  readonly status: "accepted" | "rejected" | "expired";
  readonly verified: Fixed | null;
  /** the vote that decided it, or null when its window closed at the block's start */
  readonly txIndex: number | null;
}

export interface ReputationReceipt {
  readonly address: Address;
  readonly event: ReputationEvent;
  readonly delta: Fixed;
  /** the transaction whose effect it is, or null for a round decided at the block's start */
  readonly txIndex: number | null;
}

export const NO_RECEIPTS: BlockReceipts = { accepts: [], verdicts: [], reputation: [] };

interface ReceiptLog {
  readonly accepts: AcceptReceipt[];
  readonly verdicts: VerdictReceipt[];
  readonly reputation: ReputationReceipt[];
  /** the transaction being applied, null outside one */
  txIndex: number | null;
}

/** Mutable copy of the state used while one block is applied. */
interface Working {
  readonly params: ChainParams;
  readonly height: number;
  readonly timestamp: number;
  /** the parent's accounts and this block's writes (the state tree rehashes only those) */
  readonly accounts: AccountOverlay;
  readonly champions: Map<string, Champion>;
  readonly commits: Map<Hash, CommitRecord>;
  readonly rounds: Map<Hash, Round>;
  readonly revealedParams: Map<Hash, Hash>;
  readonly pendingOptimizers: Map<Address, Fixed>;
  readonly pendingEvaluators: Map<Address, number>;
  readonly anchors: Map<number, Hash>;
  readonly checkpoints: Map<number, Hash>;
  readonly recentBeacons: Map<number, Hash>;
  pendingWork: Fixed;
  /** coin destroyed so far (unclaimed bonds) */
  burned: Amount;
  /** work carried by this block's accepted optimae */
  blockWork: Fixed;
  fees: Amount;
  readonly receipts: ReceiptLog;
}

export function domainOf(params: ChainParams, id: string): DomainConfig | undefined {
  return params.domains.find((d) => d.id === id);
}

function account(w: Working, address: Address): Account {
  return w.accounts.get(address) ?? EMPTY_ACCOUNT;
}

/** adjustReputation by the event's delta (reputationDelta), recorded in the block's receipts. */
function moveReputation(w: Working, address: Address, event: ReputationEvent): Account {
  const delta = reputationDelta(event, w.params);
  w.receipts.reputation.push({ address, event, delta, txIndex: w.receipts.txIndex });
  return adjustReputation(account(w, address), w.timestamp, delta, w.params);
}

/** Opens a working copy for the block at `height`, running the start-of-block rules. */
function beginBlock(state: ChainState, height: number, timestamp: number, params: ChainParams): Working {
  const w: Working = {
    params,
    height,
    timestamp,
    accounts: new AccountOverlay(state.accounts),
    champions: new Map(state.champions),
    commits: new Map(state.commits),
    rounds: new Map(state.rounds),
    revealedParams: new Map(state.revealedParams),
    pendingOptimizers: new Map(state.pending.optimizers),
    pendingEvaluators: new Map(state.pending.evaluators),
    anchors: new Map(state.anchors),
    checkpoints: new Map(state.checkpoints),
    recentBeacons: new Map(state.recentBeacons),
    pendingWork: state.pending.work,
    burned: state.burned,
    blockWork: 0n,
    fees: 0n,
    receipts: { accepts: [], verdicts: [], reputation: [], txIndex: null },
  };
  // The parent's beacon becomes readable by quorum seeds (for as long as a commit may wait to reveal).
  w.recentBeacons.set(state.height, state.beacon);
  w.recentBeacons.delete(state.height - params.revealWindowBlocks - 1);
  if (state.height % params.anchorInterval === 0 && state.height > 0) w.checkpoints.set(state.height, state.tipHash);
  // Commits not revealed in time expire; their bonds are burned (nobody did any work for them).
  for (const [id, c] of w.commits) {
    if (height > c.height + params.revealWindowBlocks) {
      w.commits.delete(id);
      w.burned += c.bond;
    }
  }
  // Rounds whose voting window closed are decided with the votes they have,
  // in the order of their ids (deciding touches reputations, which floor at 0:
  // the order matters, and must not be a node's map order); decided rounds
  // are forgotten one window later.
  for (const id of [...w.rounds.keys()].sort()) {
    const r = w.rounds.get(id) as Round;
    if (r.status === "voting" && height > r.deadline) decideRound(w, r);
    const current = w.rounds.get(id) as Round;
    if (current.status !== "voting" && height > current.deadline + params.voteWindowBlocks) {
      w.rounds.delete(id);
      if (w.revealedParams.get(current.paramsHash) === id && w.champions.get(current.domain)?.optimae !== id) {
        w.revealedParams.delete(current.paramsHash);
      }
    }
  }
  return w;
}

/** Number of votes a round of quorum size k needs: ⌈fraction · k⌉. */
export function requiredVotes(k: number, domain: DomainConfig): number {
  return Number((BigInt(k) * BigInt(domain.quorumFractionPpm) + 999_999n) / 1_000_000n);
}

/**
 * Pays a bond out in equal shares (the remainder to the first recipient by
 * address); with nobody to pay, the bond is burned.
 */
function payBond(w: Working, bond: Amount, recipients: readonly Address[]): void {
  if (bond === 0n) return;
  const to = [...new Set(recipients)].sort();
  if (to.length === 0) {
    w.burned += bond;
    return;
  }
  const share = bond / BigInt(to.length);
  to.forEach((address, i) => {
    const amount = share + (i === 0 ? bond - share * BigInt(to.length) : 0n);
    const a = account(w, address);
    w.accounts.set(address, { ...a, balance: a.balance + amount });
  });
}

/**
 * Decides a round from its votes: verdict, reputation of optimizer and
 * evaluators, evaluator rewards, and the bond: back to the optimizer when
 * accepted, to the agreeing evaluators when rejected. A selected evaluator
 * that did not vote loses missedVotePenalty: not voting is how a third of a
 * quorum would block every claim, and it must cost what voting against the
 * others costs. A round that expires for want of votes is not its
 * optimizer's fault: each voter is paid a quorum seat's share of the bond
 * (bond / K) and the rest goes back to the optimizer.
 */
function decideRound(w: Working, r: Round): void {
  const domain = domainOf(w.params, r.domain) as DomainConfig;
  const required = requiredVotes(r.quorum.length, domain);
  const voted = new Set(r.votes.map((v) => v.evaluator));
  for (const e of r.quorum) {
    if (!voted.has(e)) w.accounts.set(e, moveReputation(w, e, "evaluationMissed"));
  }
  if (r.votes.length === 0 || r.votes.length < required) {
    w.rounds.set(r.optimae, { ...r, status: "expired" });
    w.receipts.verdicts.push({ optimae: r.optimae, status: "expired", verified: null, txIndex: w.receipts.txIndex });
    const seat = r.quorum.length === 0 ? 0n : r.bond / BigInt(r.quorum.length);
    for (const v of r.votes) payBond(w, seat, [v.evaluator]);
    payBond(w, r.bond - seat * BigInt(r.votes.length), [r.optimizer]);
    return;
  }
  const verdict = aggregateVotes(r.votes, r.reported, domain, required);
  for (const e of verdict.agreeing) {
    w.accounts.set(e, moveReputation(w, e, "evaluationAgreed"));
    w.pendingEvaluators.set(e, (w.pendingEvaluators.get(e) ?? 0) + 1);
  }
  for (const e of verdict.outliers) {
    w.accounts.set(e, moveReputation(w, e, "evaluationDiverged"));
  }
  if (verdict.accepted) {
    payBond(w, r.bond, [r.optimizer]);
  } else {
    w.accounts.set(r.optimizer, moveReputation(w, r.optimizer, "optimaeRejected"));
    payBond(w, r.bond, verdict.agreeing.length > 0 ? verdict.agreeing : r.votes.map((v) => v.evaluator));
  }
  w.rounds.set(r.optimae, {
    ...r,
    status: verdict.accepted ? "accepted" : "rejected",
    verified: verdict.verified,
    agreeing: verdict.agreeing,
  });
  w.receipts.verdicts.push({ optimae: r.optimae, status: verdict.accepted ? "accepted" : "rejected", verified: verdict.verified, txIndex: w.receipts.txIndex });
}

/** Effective increment of an improvement Δ: Δ × domain weight × reputation factor × reward fraction. */
export function effectiveIncrement(delta: Fixed, domain: DomainConfig, reputation: Fixed, fraction: Fixed): Fixed {
  return mulFixed(mulFixed(mulFixed(delta, domain.weight), reputationFactor(reputation)), fraction);
}

/** Improvement of `verified` over the champion in the domain's direction (positive = better). */
export function improvement(domain: DomainConfig, champion: Fixed, verified: Fixed): Fixed {
  return domain.higherIsBetter ? verified - champion : champion - verified;
}

/**
 * Coin locked in bonds: open commits and rounds still voting. With the
 * balances and what was burned it makes up the supply exactly (a property
 * test checks Σ balances + bondsHeld + burned = supply after every block).
 */
export function bondsHeld(state: Pick<ChainState, "commits" | "rounds">): Amount {
  let held = 0n;
  for (const c of state.commits.values()) held += c.bond;
  for (const r of state.rounds.values()) if (r.status === "voting") held += r.bond;
  return held;
}

/** What a transaction takes from its sender's balance: the fee, plus the amount of a transfer or the bond of a commit. */
export function txSpend(tx: Tx, params: ChainParams): Amount {
  if (tx.kind === "transfer") return tx.fee + tx.body.amount;
  if (tx.kind === "commit") return tx.fee + (domainOf(params, tx.body.domain)?.bond ?? 0n);
  return tx.fee;
}

/**
 * Applies one transaction to the working state. All checks run before any
 * write, so a rejected transaction leaves the working state untouched.
 */
function applyTx(w: Working, tx: Tx, index: number): Result<void> {
  const sender = addressFromPublicKey(tx.from);
  const acct = account(w, sender);
  if (tx.nonce !== acct.nonce + 1) return err("BAD_NONCE", `nonce ${tx.nonce}, expected ${acct.nonce + 1}`, index);
  const spend = txSpend(tx, w.params);
  if (acct.balance < spend) return err("INSUFFICIENT_BALANCE", `balance ${acct.balance} < ${spend}`, index);

  let effect: Result<() => void>;
  switch (tx.kind) {
    case "commit":
      effect = commitEffect(w, tx, sender);
      break;
    case "reveal":
      effect = revealEffect(w, tx, sender);
      break;
    case "vote":
      effect = voteEffect(w, tx, sender);
      break;
    case "accept":
      effect = acceptEffect(w, tx, sender);
      break;
    case "transfer":
      effect = ok(() => {
        const to = account(w, tx.body.to);
        w.accounts.set(tx.body.to, { ...to, balance: to.balance + tx.body.amount });
      });
      break;
    case "anchor":
      effect = anchorEffect(w, tx);
      break;
  }
  if (!effect.ok) return err(effect.error.code, effect.error.message, index);
  // Fee and nonce first (the effect may touch the sender's account too).
  w.accounts.set(sender, { ...acct, balance: acct.balance - spend, nonce: tx.nonce });
  w.fees += tx.fee;
  w.receipts.txIndex = index;
  effect.value();
  w.receipts.txIndex = null;
  return ok(undefined);
}

function commitEffect(w: Working, tx: TxOf<"commit">, sender: Address): Result<() => void> {
  const domain = domainOf(w.params, tx.body.domain);
  if (domain === undefined) return err("UNKNOWN_DOMAIN", `unknown domain ${JSON.stringify(tx.body.domain)}`);
  const unused = checkCommitmentUnused(w.commits, tx.body.commitment);
  if (!unused.ok) return unused;
  const open = checkOpenRounds(w.commits, w.rounds, sender, w.params);
  if (!open.ok) return open;
  return ok(() => {
    w.commits.set(tx.id, { id: tx.id, domain: tx.body.domain, optimizer: sender, commitment: tx.body.commitment, height: w.height, bond: domain.bond });
  });
}

function revealEffect(w: Working, tx: TxOf<"reveal">, sender: Address): Result<() => void> {
  const c = w.commits.get(tx.body.commit);
  if (c === undefined) {
    if ([...w.rounds.values()].some((r) => r.commit === tx.body.commit)) return err("ALREADY_REVEALED", "this commit was already revealed");
    return err("UNKNOWN_COMMIT", "no open commit with this id");
  }
  const opening = checkOpening(c, tx, sender);
  if (!opening.ok) return opening;
  const domain = domainOf(w.params, c.domain) as DomainConfig;
  const pHash = paramsHash(tx.body.params);
  const first = checkFirstReveal(w.revealedParams, pHash);
  if (!first.ok) return first;
  const size = checkParamsSize(domain, tx.body.params);
  if (!size.ok) return size;
  // last: the only refusal here that time cures
  const seedHeight = c.height + w.params.seedDelayBlocks;
  if (w.height <= seedHeight) return err("REVEAL_TOO_EARLY", `a reveal of a commit at height ${c.height} is valid from height ${seedHeight + 1}, when its quorum seed exists`);

  const beacon = w.recentBeacons.get(seedHeight) as Hash;
  const quorum = selectEvaluators(w, sender, beacon);
  return ok(() => {
    w.commits.delete(c.id);
    w.revealedParams.set(pHash, tx.id);
    w.rounds.set(tx.id, {
      optimae: tx.id,
      domain: c.domain,
      optimizer: sender,
      commit: c.id,
      beacon,
      bond: c.bond,
      paramsHash: pHash,
      params: tx.body.params,
      reported: tx.body.reported,
      revealHeight: w.height,
      deadline: w.height + w.params.voteWindowBlocks,
      quorum,
      votes: [],
      status: "voting",
      verified: null,
      agreeing: [],
    });
  });
}

/** Evaluators for an optimae: reputable accounts other than the optimizer, ranked by a seed from the beacon after its commit. */
function selectEvaluators(w: Working, optimizer: Address, beacon: Hash): Address[] {
  const { params, timestamp } = w;
  const eligible = validatorSet(w.accounts, params, timestamp).filter((a) => a !== optimizer);
  let active = 0;
  for (const address of eligible) if (account(w, address).lastActiveTime >= timestamp - params.reputation.halfLifeMs) active++;
  const k = quorumSize({ eligible: eligible.length, activeFractionPpm: eligible.length === 0 ? 0 : Math.floor((active * 1_000_000) / eligible.length) }, params.quorum);
  return selectQuorum(quorumSeed(beacon), eligible, k);
}

function voteEffect(w: Working, tx: TxOf<"vote">, sender: Address): Result<() => void> {
  const r = w.rounds.get(tx.body.optimae);
  if (r === undefined) return err("UNKNOWN_OPTIMAE", "no round for this optimae");
  const voter = checkVoter(r, sender);
  if (!voter.ok) return voter;
  // A selected evaluator's vote that arrives after the round closed is recorded
  // as nothing (its nonce is spent, the verdict is not touched), so that a late
  // vote never leaves a gap in the evaluator's nonces.
  if (r.status !== "voting" || w.height > r.deadline) return ok(() => undefined);
  return ok(() => {
    const next: Round = { ...r, votes: [...r.votes, { evaluator: sender, performance: tx.body.performance, dataHash: tx.body.dataHash }] };
    w.rounds.set(r.optimae, next);
    const a = account(w, sender);
    w.accounts.set(sender, { ...a, lastActiveTime: w.timestamp });
    if (next.votes.length === next.quorum.length) decideRound(w, next);
  });
}

function acceptEffect(w: Working, tx: TxOf<"accept">, sender: Address): Result<() => void> {
  const r = w.rounds.get(tx.body.optimae);
  if (r === undefined) return err("UNKNOWN_OPTIMAE", "no round for this optimae");
  if (r.optimizer !== sender) return err("NOT_OPTIMAE_AUTHOR", "only the optimizer may claim its optimae");
  if (r.status !== "accepted" || r.verified === null) return err("NOT_VERIFIED", `the optimae's round is ${r.status}, not accepted`);
  const domain = domainOf(w.params, r.domain) as DomainConfig;
  const champion = w.champions.get(r.domain) as Champion;
  const delta = improvement(domain, champion.performance, r.verified);
  if (delta < domain.epsilon) {
    // Verified, but a better champion came first: recorded as superseded, worth nothing
    // (it keeps the optimizer's nonces contiguous; no work, no reward, no reputation).
    const verified = r.verified;
    return ok(() => {
      w.rounds.set(r.optimae, { ...r, status: "superseded" });
      w.receipts.accepts.push({ txIndex: w.receipts.txIndex ?? -1, optimae: r.optimae, domain: r.domain, optimizer: sender, previousBest: champion.performance, verified, increment: 0n, superseded: true });
    });
  }
  const verified = r.verified;
  return ok(() => {
    const rep = moveReputation(w, sender, "optimaeAccepted");
    w.accounts.set(sender, { ...rep, lastActiveTime: w.timestamp });
    const fraction = rewardFraction(r.reported, verified, domain.higherIsBetter, domain.incentive);
    const inc = effectiveIncrement(delta, domain, rep.reputation, fraction);
    w.champions.set(r.domain, { performance: verified, optimae: r.optimae, optimizer: sender, params: r.params, height: w.height });
    w.rounds.set(r.optimae, { ...r, status: "claimed" });
    w.receipts.accepts.push({ txIndex: w.receipts.txIndex ?? -1, optimae: r.optimae, domain: r.domain, optimizer: sender, previousBest: champion.performance, verified, increment: inc, superseded: false });
    w.blockWork += inc;
    w.pendingWork += inc;
    if (inc > 0n) w.pendingOptimizers.set(sender, (w.pendingOptimizers.get(sender) ?? 0n) + inc);
  });
}

function anchorEffect(w: Working, tx: TxOf<"anchor">): Result<() => void> {
  const { height, blockHash: hash } = tx.body;
  if (height % w.params.anchorInterval !== 0) return err("BAD_ANCHOR", `anchors are taken every ${w.params.anchorInterval} blocks`);
  const known = w.checkpoints.get(height);
  if (known === undefined) return err("BAD_ANCHOR", `no checkpoint at height ${height} yet`);
  if (known !== hash) return err("BAD_ANCHOR", `block ${height} is ${known}, not ${hash}`);
  return ok(() => {
    w.anchors.set(height, hash);
  });
}

interface Finished {
  readonly state: ChainState;
  readonly header: Omit<BlockHeader, "producer" | "txRoot" | "coinbaseRoot" | "vrf">;
  readonly coinbase: readonly CoinbaseOutput[];
}

/** Who produces the block and what its VRF made of the beacon. */
interface Production {
  readonly producer: Address;
  /** the producer's place in this height's schedule (core/schedule.ts) */
  readonly rank: number;
  /** the beacon after this block */
  readonly beacon: Hash;
}

/**
 * End of block: proof of optimization, coinbase, difficulty. A block whose
 * pending verified work reaches the threshold is a work block (it mints and
 * retargets); any other block is a carrier block, allowed only
 * `carrierIntervalMs` after its parent, minting nothing. Either waits
 * `rank · producerSlotMs` more when its producer is not first in turn.
 */
function finishBlock(state: ChainState, w: Working, by: Production): Result<Finished> {
  const { params } = w;
  const { producer, rank } = by;
  const threshold = state.difficulty.threshold;
  const isWork = w.pendingWork > 0n && w.pendingWork >= threshold;
  if (!isWork && w.timestamp < state.tipTimestamp + params.carrierIntervalMs) {
    return err(
      "BELOW_THRESHOLD",
      `verified work ${w.pendingWork} is below the threshold ${threshold}, and a carrier block needs ${params.carrierIntervalMs} ms after its parent`,
    );
  }
  const earliest = state.tipTimestamp + slotDelayMs(rank, !isWork, params);
  if (w.timestamp < earliest) {
    return err("OUT_OF_TURN", `the producer is number ${rank} in this height's schedule: its ${isWork ? "work" : "carrier"} block may come from ${earliest}, not ${w.timestamp}`);
  }
  let reward = 0n;
  let coinbase: CoinbaseOutput[];
  let difficulty = state.difficulty;
  let mintedBlocks = state.mintedBlocks;
  if (isWork) {
    reward = blockReward(state.mintedBlocks, params);
    const room = params.maxSupply - state.supply;
    if (reward > room) reward = room > 0n ? room : 0n;
    coinbase = splitReward({ total: reward + w.fees, producer, optimizers: w.pendingOptimizers, evaluators: w.pendingEvaluators }, params);
    difficulty = nextDifficulty(state.difficulty, w.timestamp, params);
    mintedBlocks += 1;
  } else {
    coinbase = splitReward({ total: w.fees, producer, optimizers: new Map(), evaluators: new Map() }, params);
  }
  for (const out of coinbase) {
    const a = account(w, out.to);
    w.accounts.set(out.to, { ...a, balance: a.balance + out.amount });
  }
  const draft: StateDraft = {
    network: state.network,
    height: w.height,
    tipHash: state.tipHash,
    tipTimestamp: w.timestamp,
    cumulativeWork: state.cumulativeWork + w.blockWork,
    weight: state.weight + turnWeight(rank),
    supply: state.supply + reward,
    burned: w.burned,
    beacon: by.beacon,
    mintedBlocks,
    champions: w.champions,
    commits: w.commits,
    rounds: w.rounds,
    revealedParams: w.revealedParams,
    difficulty,
    pending: isWork
      ? { work: 0n, optimizers: new Map(), evaluators: new Map() }
      : { work: w.pendingWork, optimizers: w.pendingOptimizers, evaluators: w.pendingEvaluators },
    anchors: w.anchors,
    checkpoints: w.checkpoints,
    recentBeacons: w.recentBeacons,
  };
  const next: ChainState = { ...draft, ...commitState(state, draft, w.accounts) };
  return ok({
    state: next,
    coinbase,
    header: {
      network: state.network,
      height: w.height,
      parent: state.tipHash,
      timestamp: w.timestamp,
      stateRoot: treeRoot(next.tree),
      work: w.blockWork,
      cumulativeWork: next.cumulativeWork,
      threshold,
      rank,
      beacon: by.beacon,
    },
  });
}

function sameOutputs(a: readonly CoinbaseOutput[], b: readonly CoinbaseOutput[]): boolean {
  return a.length === b.length && a.every((o, i) => o.to === b[i]?.to && o.amount === b[i]?.amount && o.role === b[i]?.role);
}

/** Checks that the signatures of a block (producer and every transaction) are valid. */
export async function verifyBlockSignatures(block: Block): Promise<Result<Block>> {
  const items = [
    { pub: block.header.producer, message: hexToBytes(block.hash), sig: block.sig },
    ...block.txs.map((t) => ({ pub: t.from, message: hexToBytes(t.id), sig: t.sig })),
  ];
  const bad = await verifyAll(items);
  if (bad === 0) return err("BAD_SIGNATURE", "the producer's signature is invalid");
  if (bad > 0) return err("BAD_SIGNATURE", `transaction ${bad - 1} has an invalid signature`, bad - 1);
  return ok(block);
}

export interface ApplyOptions {
  /** the node's clock, to refuse blocks from the future; omitted when replaying stored blocks */
  readonly nowMs?: number;
}

/**
 * Applies a block whose signatures were already verified (see
 * verifyBlockSignatures). Synchronous, pure, deterministic.
 */
export function transitionBlock(state: ChainState, block: Block, params: ChainParams, opts: ApplyOptions = {}): Result<ChainState> {
  const r = transitionWithReceipts(state, block, params, opts);
  return r.ok ? ok(r.value.state) : r;
}

/** A block's post-state and its receipts. */
export interface Transition {
  readonly state: ChainState;
  readonly receipts: BlockReceipts;
}

/** transitionBlock, with the block's receipts beside the state. */
export function transitionWithReceipts(state: ChainState, block: Block, params: ChainParams, opts: ApplyOptions = {}): Result<Transition> {
  const stateless = checkBlock(block, params);
  if (!stateless.ok) return stateless;
  return transitionChecked(state, block, params, opts);
}

function transitionChecked(state: ChainState, block: Block, params: ChainParams, opts: ApplyOptions): Result<Transition> {
  const h = block.header;
  if (h.height !== state.height + 1) return err("BAD_HEIGHT", `block height ${h.height}, expected ${state.height + 1}`);
  if (h.parent !== state.tipHash) return err("BAD_PARENT", `block parent ${h.parent} is not the tip ${state.tipHash}`);
  if (h.timestamp <= state.tipTimestamp) return err("BAD_TIMESTAMP", "block timestamp is not after its parent's");
  if (opts.nowMs !== undefined && h.timestamp > opts.nowMs + params.maxFutureDriftMs) {
    return err("BAD_TIMESTAMP", `block timestamp is more than ${params.maxFutureDriftMs} ms in the future`);
  }
  if (h.threshold !== state.difficulty.threshold) return err("BAD_THRESHOLD", `threshold ${h.threshold}, expected ${state.difficulty.threshold}`);
  const producer = addressFromPublicKey(h.producer);
  const rank = producerRank(state, params, producer);
  if (rank < 0) return err("NOT_A_PRODUCER", `${producer} may not produce blocks: its reputation is below ${params.reputation.minForEvaluator}`);
  if (h.rank !== rank) return err("BAD_RANK", `the producer is number ${rank} in this height's schedule, the header says ${h.rank}`);
  const output = vrfVerify(h.producer, beaconInput(params.network, h.height, state.beacon), h.vrf);
  if (output === null) return err("BAD_VRF", "the VRF proof is not the producer's proof on this height's beacon input");
  const beacon = nextBeacon(state.beacon, output);
  if (h.beacon !== beacon) return err("BAD_BEACON", `beacon ${h.beacon}, expected ${beacon}`);

  const w = beginBlock(state, h.height, h.timestamp, params);
  for (let i = 0; i < block.txs.length; i++) {
    const r = applyTx(w, block.txs[i] as Tx, i);
    if (!r.ok) return r;
  }
  const done = finishBlock(state, w, { producer, rank, beacon });
  if (!done.ok) return done;
  const f = done.value;
  if (f.header.work !== h.work) return err("BAD_WORK", `block claims work ${h.work}, its accepted optimae carry ${f.header.work}`);
  if (f.header.cumulativeWork !== h.cumulativeWork) return err("BAD_WORK", `cumulative work ${h.cumulativeWork}, expected ${f.header.cumulativeWork}`);
  if (!sameOutputs(f.coinbase, block.coinbase)) return err("BAD_COINBASE", "the coinbase does not pay exactly what the rules give");
  if (f.header.stateRoot !== h.stateRoot) return err("BAD_STATE_ROOT", "the state root does not match the state after the block");
  return ok({ state: { ...f.state, tipHash: block.hash }, receipts: receiptsOf(w) });
}

function receiptsOf(w: Working): BlockReceipts {
  const { accepts, verdicts, reputation } = w.receipts;
  return { accepts, verdicts, reputation };
}

/**
 * Verifies signatures and applies the block. The signature checks run on
 * WebCrypto's worker threads while the transition runs here, and the result
 * is only returned once both succeeded (a bad signature wins over any other
 * error, as if it had been checked first).
 */
export async function applyBlock(state: ChainState, block: Block, params: ChainParams, opts: ApplyOptions = {}): Promise<Result<ChainState>> {
  const r = await applyWithReceipts(state, block, params, opts);
  return r.ok ? ok(r.value.state) : r;
}

/** applyBlock, with the block's receipts beside the state. */
export async function applyWithReceipts(state: ChainState, block: Block, params: ChainParams, opts: ApplyOptions = {}): Promise<Result<Transition>> {
  if (block.txs.length > params.maxTxsPerBlock) return err("TOO_MANY_TXS", `block has ${block.txs.length} transactions, limit ${params.maxTxsPerBlock}`);
  // the producer signs the hash: a wrong hash is reported as such, not as a bad signature
  if (blockHash(block.header) !== block.hash) return err("BAD_ID", "block hash is not the hash of its header");
  const signatures = verifyBlockSignatures(block);
  const next = transitionWithReceipts(state, block, params, opts);
  const signed = await signatures;
  if (!signed.ok) return signed;
  return next;
}

export interface BuiltBlock {
  readonly block: Block;
  readonly state: ChainState;
  readonly receipts: BlockReceipts;
  /** candidates left out, with the reason */
  readonly rejected: readonly { readonly tx: Tx; readonly error: ProtocolError }[];
}

/**
 * Assembles a block from candidate transactions (already signature-checked,
 * in the order the caller prefers: by fee), skipping those the state refuses.
 * Fails with BELOW_THRESHOLD while the block would carry too little verified
 * work and it is too early for a carrier block.
 */
export function buildBlock(
  state: ChainState,
  candidates: readonly Tx[],
  params: ChainParams,
  opts: { readonly producerSecret: Uint8Array; readonly timestamp: number },
): Result<BuiltBlock> {
  const producerKey = publicKeyFromSecret(opts.producerSecret);
  const producer = addressFromPublicKey(producerKey);
  const rank = producerRank(state, params, producer);
  if (rank < 0) return err("NOT_A_PRODUCER", `${producer} may not produce blocks: its reputation is below ${params.reputation.minForEvaluator}`);
  const height = state.height + 1;
  const vrf = vrfProve(opts.producerSecret, beaconInput(params.network, height, state.beacon));
  const beacon = nextBeacon(state.beacon, vrfOutput(vrf));
  const timestamp = Math.max(opts.timestamp, state.tipTimestamp + 1);
  const w = beginBlock(state, height, timestamp, params);
  const included: Tx[] = [];
  const rejected: { tx: Tx; error: ProtocolError }[] = [];
  let bytes = 0;
  for (const tx of candidates) {
    if (included.length >= params.maxTxsPerBlock) break;
    // one that does not fit stays out (and pending): a smaller one after it may still fit
    const size = txSize(tx);
    if (bytes + size > params.maxBlockTxBytes) continue;
    if (tx.network !== params.network) {
      rejected.push({ tx, error: { code: "WRONG_NETWORK", message: "wrong network" } });
      continue;
    }
    const r = applyTx(w, tx, included.length);
    if (r.ok) {
      included.push(tx);
      bytes += size;
    } else rejected.push({ tx, error: r.error });
  }
  const done = finishBlock(state, w, { producer, rank, beacon });
  if (!done.ok) return done;
  const f = done.value;
  const header: BlockHeader = {
    ...f.header,
    vrf,
    producer: producerKey,
    txRoot: txRoot(included),
    coinbaseRoot: coinbaseRoot(f.coinbase),
  };
  const block = sealBlock(header, included, f.coinbase, opts.producerSecret);
  return ok({ block, state: { ...f.state, tipHash: blockHash(header) }, receipts: receiptsOf(w), rejected });
}
