/**
 * The genesis block and state: a pure function of the chain parameters, so
 * every node of a network derives the same genesis hash without trusting
 * anyone, and any difference in the parameters gives another genesis hash
 * (its parent is their digest). Genesis is not signed (its producer key is
 * all zeros).
 */
import { genesisBeacon } from "./beacon.ts";
import { blockHash, coinbaseRoot, txRoot } from "./block.ts";
import { initialDifficulty } from "./difficulty.ts";
import type { Encodable } from "./encoding.ts";
import { hashOf } from "./hash.ts";
import { stateRoot, withTree } from "./state-root.ts";
import type { Account, Address, Block, BlockHeader, ChainParams, ChainState, Champion, Hash } from "./types.ts";

export const ZERO_HASH = "0".repeat(64);
export const ZERO_KEY = "0".repeat(64);
export const ZERO_SIG = "0".repeat(128);
/** The genesis header's VRF proof: none (80 zero bytes). */
export const ZERO_VRF = "0".repeat(160);

export function genesisState(params: ChainParams): ChainState {
  const accounts = new Map<Address, Account>();
  let supply = 0n;
  for (const g of params.genesisAccounts) {
    accounts.set(g.address, { balance: g.balance, nonce: 0, reputation: g.reputation, reputationTime: params.genesisTimestamp, lastActiveTime: params.genesisTimestamp });
    supply += g.balance;
  }
  const champions = new Map<string, Champion>();
  for (const d of params.domains) {
    champions.set(d.id, { performance: d.initialChampion, optimae: null, optimizer: null, params: null, height: 0 });
  }
  return withTree({
    network: params.network,
    height: 0,
    tipHash: ZERO_HASH,
    tipTimestamp: params.genesisTimestamp,
    cumulativeWork: 0n,
    supply,
    burned: 0n,
    beacon: genesisBeacon(paramsDigest(params)),
    mintedBlocks: 0,
    accounts,
    champions,
    commits: new Map(),
    rounds: new Map(),
    revealedParams: new Map(),
    difficulty: initialDifficulty(params, params.genesisTimestamp),
    pending: { work: 0n, optimizers: new Map(), evaluators: new Map() },
    anchors: new Map(),
    checkpoints: new Map(),
    recentBeacons: new Map(),
    weight: 0,
  });
}

/**
 * H("genesis", every chain parameter): the genesis block's parent. The genesis
 * hash is a network's identity (peers compare it before anything else), so it
 * must change with any rule: two nodes that differ in one ε, window or reward
 * see two networks at once instead of forking at the first block where the
 * rule matters.
 */
export function paramsDigest(params: ChainParams): Hash {
  return hashOf("genesis", params as unknown as Encodable);
}

export function genesisBlock(params: ChainParams): { block: Block; state: ChainState } {
  const pre = genesisState(params);
  const header: BlockHeader = {
    network: params.network,
    height: 0,
    parent: paramsDigest(params),
    timestamp: params.genesisTimestamp,
    producer: ZERO_KEY,
    txRoot: txRoot([]),
    coinbaseRoot: coinbaseRoot([]),
    stateRoot: stateRoot(pre),
    work: 0n,
    cumulativeWork: 0n,
    threshold: pre.difficulty.threshold,
    rank: 0,
    vrf: ZERO_VRF,
    beacon: pre.beacon,
  };
  const hash = blockHash(header);
  return { block: { header, txs: [], coinbase: [], hash, sig: ZERO_SIG }, state: { ...pre, tipHash: hash } };
}
