/**
 * Who may produce the next block, and from when: a consensus rule.
 *
 * The producers are the network's validators (`validatorSet`): the accounts
 * whose reputation, decayed to the tip's timestamp, reaches
 * `minForEvaluator`, the same accounts that may be chosen as evaluators
 * (reputation is earned only by verified work, and is not transferable).
 * While fewer than a minimal quorum qualify, the genesis validators count too,
 * so that a network whose reputations decayed (a quiet week halves them) can
 * still produce, evaluate, and so earn reputation again.
 *
 * At every height they are ranked by H("producer-rank", {beacon, height,
 * producer}) under the tip's beacon (core/beacon.ts), which no producer can
 * choose. The producer of rank r may produce once
 *
 *   timestamp ≥ parent.timestamp + r · producerSlotMs          (work block)
 *   timestamp ≥ parent.timestamp + carrierIntervalMs + r · producerSlotMs   (carrier block)
 *
 * so the first in turn produces, and the next ones step in, one slot later
 * each, only when it does not. A block's `rank` is in its header and fork
 * choice weighs it (`turnWeight`, after Clique, EIP-225: in turn 2, out of
 * turn 1), so a branch of out-of-turn blocks loses to the scheduled one.
 */
import { mayHoldReputation } from "./account-map.ts";
import { hashOf } from "./hash.ts";
import { meetsEvaluatorMinimum } from "./reputation.ts";
import type { Account, Address, ChainParams, ChainState, Hash } from "./types.ts";

/**
 * The validators at block time `timeMs`: accounts whose decayed reputation
 * reaches minForEvaluator, joined by the genesis validators while they are
 * fewer than quorum.minSize (unordered, no repeats). They produce blocks and
 * are the candidates of every quorum.
 */
export function validatorSet(accounts: ReadonlyMap<Address, Account>, params: ChainParams, timeMs: number): Address[] {
  const min = params.reputation.minForEvaluator;
  const out: Address[] = [];
  // the accounts with any reputation (the state keeps them apart: not a scan of every account);
  // a minimum of zero would admit every account
  for (const [address, a] of min > 0n ? mayHoldReputation(accounts) : accounts) {
    // decay only lowers reputation: most accounts are out at the first compare
    if (a.reputation < min) continue;
    if (meetsEvaluatorMinimum(a, timeMs, params)) out.push(address);
  }
  if (out.length >= params.quorum.minSize) return out;
  const set = new Set(out);
  for (const g of params.genesisAccounts) if (g.reputation > 0n) set.add(g.address);
  return [...set];
}

/** The accounts that may produce the block after `state` (unordered). */
export function eligibleProducers(state: ChainState, params: ChainParams): Address[] {
  return validatorSet(state.accounts, params, state.tipTimestamp);
}

/** A producer's place in the draw for `height`: H("producer-rank", {beacon, height, producer}). */
export function producerRankKey(beacon: Hash, height: number, producer: Address): Hash {
  return hashOf("producer-rank", { beacon, height, producer });
}

/** The schedule for the block after `state`: the eligible producers, first in turn first. */
export function producerSchedule(state: ChainState, params: ChainParams): Address[] {
  const height = state.height + 1;
  const keyed = eligibleProducers(state, params).map((a) => ({ a, k: producerRankKey(state.beacon, height, a) }));
  keyed.sort((x, y) => (x.k < y.k ? -1 : x.k > y.k ? 1 : x.a < y.a ? -1 : 1));
  return keyed.map((x) => x.a);
}

/** `producer`'s rank in the schedule for the block after `state`, or −1 when it may not produce. */
export function producerRank(state: ChainState, params: ChainParams, producer: Address): number {
  return producerSchedule(state, params).indexOf(producer);
}

/** How long after its parent a block of this rank may come. */
export function slotDelayMs(rank: number, carrier: boolean, params: ChainParams): number {
  return (carrier ? params.carrierIntervalMs : 0) + rank * params.producerSlotMs;
}

/**
 * When a producer of `rank` may next produce on a tip made at
 * `tipTimestamp`, after `nowMs`: its work slot (for a block that carries
 * enough verified work), or once that has passed its carrier slot; null when
 * both have passed. A node wakes then instead of at its next periodic try,
 * so that the one before it in the schedule has had its whole slot and the
 * one after it does not get there first.
 */
export function nextSlotAt(tipTimestamp: number, rank: number, nowMs: number, params: ChainParams): number | null {
  const work = tipTimestamp + slotDelayMs(rank, false, params);
  if (nowMs < work) return work;
  const carrier = tipTimestamp + slotDelayMs(rank, true, params);
  return nowMs < carrier ? carrier : null;
}

/** A block's weight in fork choice: in turn 2, out of turn 1 (Clique's difficulties). */
export function turnWeight(rank: number): number {
  return rank === 0 ? 2 : 1;
}
