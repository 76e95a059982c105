/**
 * The state root: one hash over the whole chain state, so that every node can
 * check it reached exactly the same state as the producer. Maps are encoded
 * as arrays sorted by key (canonical JSON sorts object keys, but map keys
 * here are numbers as well as strings, so sorting is explicit).
 */
import { canonicalJson, utf8, type Encodable } from "./encoding.ts";
import { taggedHashBytes } from "./hash.ts";
import { bytesToHex } from "./hex.ts";
import type { Account, Address, ChainState, Hash } from "./types.ts";

function sortedEntries<K extends string | number, V>(m: ReadonlyMap<K, V>): [K, V][] {
  return [...m.entries()].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
}

/**
 * The canonical JSON of the sorted accounts, written directly: an account is
 * five integers (two of them bigints, which the encoding writes as decimal
 * strings), keys in sorted order. Encoding tens of thousands of small objects
 * through the generic encoder every block is what made the root slow; this is
 * byte for byte the same text (test/core/state-root.test.ts checks it against
 * the generic encoding), and anything unexpected goes through the generic
 * encoder, which refuses what cannot be encoded.
 */
function accountsJson(accounts: ReadonlyMap<Address, Account>): string {
  const parts: string[] = [];
  for (const [address, a] of sortedEntries(accounts)) {
    if (/^[0-9a-f]{40}$/.test(address) && Number.isSafeInteger(a.nonce) && Number.isSafeInteger(a.reputationTime) && Number.isSafeInteger(a.lastActiveTime) && typeof a.balance === "bigint" && typeof a.reputation === "bigint") {
      parts.push(`["${address}",{"balance":"${a.balance}","lastActiveTime":${a.lastActiveTime},"nonce":${a.nonce},"reputation":"${a.reputation}","reputationTime":${a.reputationTime}}]`);
    } else {
      parts.push(canonicalJson([address, a] as unknown as Encodable));
    }
  }
  return `[${parts.join(",")}]`;
}

/** Hash of the state. The tip hash is left out: it is the hash of the block that commits to this root. */
export function computeStateRoot(state: ChainState): Hash {
  const rest = {
    network: state.network,
    height: state.height,
    tipTimestamp: state.tipTimestamp,
    cumulativeWork: state.cumulativeWork,
    supply: state.supply,
    burned: state.burned,
    beacon: state.beacon,
    mintedBlocks: state.mintedBlocks,
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
    recentBeacons: sortedEntries(state.recentBeacons),
  };
  // The canonical encoding of {accounts, ...rest}: "accounts" sorts before every other key.
  const text = `{"accounts":${accountsJson(state.accounts)},${canonicalJson(rest as unknown as Encodable).slice(1)}`;
  return bytesToHex(taggedHashBytes("state", utf8(text)));
}
