/**
 * The state root: one hash over the whole chain state, so that every node can
 * check it reached exactly the same state as the producer. Maps are encoded
 * as arrays sorted by key (canonical JSON sorts object keys, but map keys
 * here are numbers as well as strings, so sorting is explicit).
 */
import type { Encodable } from "./encoding.ts";
import { hashOf } from "./hash.ts";
import type { ChainState, Hash } from "./types.ts";

function sortedEntries<K extends string | number, V>(m: ReadonlyMap<K, V>): [K, V][] {
  return [...m.entries()].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
}

/** Hash of the state. The tip hash is left out: it is the hash of the block that commits to this root. */
export function computeStateRoot(state: ChainState): Hash {
  const view = {
    network: state.network,
    height: state.height,
    tipTimestamp: state.tipTimestamp,
    cumulativeWork: state.cumulativeWork,
    supply: state.supply,
    mintedBlocks: state.mintedBlocks,
    accounts: sortedEntries(state.accounts),
    champions: sortedEntries(state.champions),
    commits: sortedEntries(state.commits),
    rounds: sortedEntries(state.rounds),
    revealedParams: sortedEntries(state.revealedParams),
    difficulty: state.difficulty,
    pending: {
      work: state.pending.work,
      optimizers: sortedEntries(state.pending.optimizers),
      evaluators: sortedEntries(state.pending.evaluators),
    },
    anchors: sortedEntries(state.anchors),
    checkpoints: sortedEntries(state.checkpoints),
    recentHashes: sortedEntries(state.recentHashes),
  };
  return hashOf("state", view as unknown as Encodable);
}
