/**
 * The state root: the root of a sparse Merkle tree (core/state-tree.ts) whose
 * leaves are the whole chain state, each item under its own key:
 *
 *   ["meta", "chain"]              network, height, tip timestamp, cumulative work,
 *                                  schedule weight, supply, burned, beacon, minted
 *                                  blocks, difficulty, pending work
 *   ["account", address]           balance, nonce, reputation and its times
 *   ["champion", domain]           ["commit", id]        ["round", optimae]
 *   ["revealed", paramsHash]       ["pending-optimizer", address]
 *   ["pending-evaluator", address] ["anchor", height]    ["checkpoint", height]
 *   ["recent-beacon", height]
 *
 * (keys and value hashes: core/state-codec.ts). One tree for everything: one
 * proof format for any item (an account, a champion, a round), and a
 * snapshot is nothing but leaves. The scalars are one leaf, rewritten by
 * every block for log N hashes. The tip hash is left out: it is the hash of
 * the block that commits to this root.
 *
 * A block hashes only what it changed: the transition hands `commitState`
 * the accounts it wrote, and the other (small) maps are compared with the
 * parent's by identity (the transition replaces an item whenever it changes
 * it), so a block costs O(changes · log N) hashes, not O(state).
 */
import { AccountMap, ReputableAccounts, reputableOf, type AccountOverlay } from "./account-map.ts";
import { stateKey, valueHash } from "./state-codec.ts";
import { buildTree, diffTrees, getLeaf, leavesOf, makeLeaf, treeRoot, updateTree, type Tree, type TreeChange, type TreeLeaf } from "./state-tree.ts";
import type { Account, Address, ChainState, Hash, StateEntry, StateMeta } from "./types.ts";

export type StateTree = Tree<StateEntry>;
export type StateLeaf = TreeLeaf<StateEntry>;
/** A state without its tree and accounts map: what the transition assembles before committing. */
export type StateDraft = Omit<ChainState, "tree" | "accounts">;

/** The keyed maps of the state other than the accounts, with their spaces. */
const MAPS = [
  ["champion", (s: StateDraft) => s.champions],
  ["commit", (s: StateDraft) => s.commits],
  ["round", (s: StateDraft) => s.rounds],
  ["revealed", (s: StateDraft) => s.revealedParams],
  ["pending-optimizer", (s: StateDraft) => s.pending.optimizers],
  ["pending-evaluator", (s: StateDraft) => s.pending.evaluators],
  ["anchor", (s: StateDraft) => s.anchors],
  ["checkpoint", (s: StateDraft) => s.checkpoints],
  ["recent-beacon", (s: StateDraft) => s.recentBeacons],
] as const satisfies readonly (readonly [StateEntry["space"], (s: StateDraft) => ReadonlyMap<string | number, unknown>])[];
type MapSpace = (typeof MAPS)[number][0];

function mapIn(s: StateDraft, space: MapSpace): ReadonlyMap<string | number, unknown> {
  return (MAPS.find(([x]) => x === space) as (typeof MAPS)[number])[1](s) as ReadonlyMap<string | number, unknown>;
}

export function metaOf(s: StateDraft): StateMeta {
  return {
    network: s.network,
    height: s.height,
    tipTimestamp: s.tipTimestamp,
    cumulativeWork: s.cumulativeWork,
    weight: s.weight,
    supply: s.supply,
    burned: s.burned,
    beacon: s.beacon,
    mintedBlocks: s.mintedBlocks,
    difficulty: s.difficulty,
    pendingWork: s.pending.work,
  };
}

export function leafOf(entry: StateEntry): StateLeaf {
  return makeLeaf(stateKey(entry.space, entry.id), valueHash(entry), entry);
}

function entry(space: StateEntry["space"], id: string | number, value: unknown): StateEntry {
  return { space, id, value } as StateEntry;
}

/** Every item of a state as a tree entry (accounts from `accounts`, not from the state's tree). */
export function* stateEntries(s: StateDraft & { readonly accounts: ReadonlyMap<Address, Account> }): Generator<StateEntry> {
  yield { space: "meta", id: "chain", value: metaOf(s) };
  for (const [id, value] of s.accounts) yield { space: "account", id, value };
  for (const [space, read] of MAPS) for (const [id, value] of read(s)) yield entry(space, id, value);
}

/**
 * The state root computed from scratch: every item hashed and the tree built
 * anew. The definition the incremental root must always equal (tests check
 * it after every block); never on a block's path.
 */
export function computeStateRoot(s: StateDraft & { readonly accounts: ReadonlyMap<Address, Account> }): Hash {
  return treeRoot(buildTree([...stateEntries(s)].map(leafOf)));
}

/** The root the state's tree commits to (the header's stateRoot). */
export function stateRoot(s: ChainState): Hash {
  return treeRoot(s.tree);
}

function accountsIn(tree: StateTree, leaves: Iterable<StateLeaf>): AccountMap {
  let n = 0;
  const reputable = new Map<Address, Account>();
  for (const l of leaves) {
    if (l.entry.space !== "account") continue;
    n++;
    if (l.entry.value.reputation > 0n) reputable.set(l.entry.id, l.entry.value);
  }
  return new AccountMap(tree, n, ReputableAccounts.from(reputable));
}

/** A full state (tree and accounts map) from a state whose accounts are a plain map: genesis, tests. */
export function withTree(s: StateDraft & { readonly accounts: ReadonlyMap<Address, Account> }): ChainState {
  const leaves = [...stateEntries(s)].map(leafOf);
  const tree = buildTree(leaves);
  return { ...s, accounts: accountsIn(tree, leaves), tree };
}

/**
 * The tree and accounts of a block's state: the parent's tree with the
 * block's changes (the accounts it wrote, the items of the small maps that
 * differ from the parent's, the meta leaf). `accounts`: the block's working
 * accounts (core/account-map.ts AccountOverlay): its writes, and how many
 * accounts there are now.
 */
export function commitState(parent: ChainState, next: StateDraft, accounts: AccountOverlay): { tree: StateTree; accounts: AccountMap } {
  const changes: TreeChange<StateEntry>[] = [];
  const put = (e: StateEntry, key = stateKey(e.space, e.id)): void => {
    changes.push({ key, valueHash: valueHash(e), entry: e });
  };
  put({ space: "meta", id: "chain", value: metaOf(next) });
  for (const [id, value] of accounts.writes) put({ space: "account", id, value }, accounts.keyOf(id));
  for (const [space, read] of MAPS) {
    const before = read(parent) as ReadonlyMap<string | number, unknown>;
    const after = read(next) as ReadonlyMap<string | number, unknown>;
    if (before === after) continue;
    for (const [id, value] of after) if (before.get(id) !== value) put(entry(space, id, value));
    for (const id of before.keys()) if (!after.has(id)) changes.push({ key: stateKey(space, id), valueHash: null });
  }
  const tree = updateTree(parent.tree, changes);
  return { tree, accounts: new AccountMap(tree, accounts.size, reputableOf(parent.accounts).after(accounts.writes)) };
}

/**
 * A state from its leaves (a snapshot, or what a node stored): every map
 * rebuilt, the tree built from the leaves as given. `tipHash`: the block
 * whose state this is. Null unless there is exactly one meta leaf.
 */
export function stateFromLeaves(leaves: readonly StateLeaf[], tipHash: Hash): ChainState | null {
  const tree = buildTree(leaves);
  let meta: StateMeta | null = null;
  let metas = 0;
  const maps = new Map<string, Map<string | number, unknown>>(MAPS.map(([space]) => [space, new Map()]));
  // key order, as a restarted node and a snapshot both rebuild them
  for (const l of leavesOf(tree)) {
    const e = l.entry;
    if (e.space === "meta") {
      meta = e.value;
      metas++;
    } else if (e.space !== "account") (maps.get(e.space) as Map<string | number, unknown>).set(e.id, e.value);
  }
  if (meta === null || metas !== 1) return null;
  return assemble(meta, tipHash, tree, accountsIn(tree, leavesOf(tree)), (space) => maps.get(space) as Map<string | number, unknown>);
}

/** A state from its meta leaf, its maps (by space), its tree and its accounts. */
function assemble(meta: StateMeta, tipHash: Hash, tree: StateTree, accounts: AccountMap, map: (space: MapSpace) => ReadonlyMap<string | number, unknown>): ChainState {
  const m = <K, V>(space: MapSpace) => map(space) as unknown as ReadonlyMap<K, V>;
  return {
    network: meta.network,
    height: meta.height,
    tipHash,
    tipTimestamp: meta.tipTimestamp,
    cumulativeWork: meta.cumulativeWork,
    weight: meta.weight,
    supply: meta.supply,
    burned: meta.burned,
    beacon: meta.beacon,
    mintedBlocks: meta.mintedBlocks,
    difficulty: meta.difficulty,
    pending: { work: meta.pendingWork, optimizers: m("pending-optimizer"), evaluators: m("pending-evaluator") },
    champions: m("champion"),
    commits: m("commit"),
    rounds: m("round"),
    revealedParams: m("revealed"),
    anchors: m("anchor"),
    checkpoints: m("checkpoint"),
    recentBeacons: m("recent-beacon"),
    accounts,
    tree,
  };
}

/** A leaf that changed between two states: its key and its new leaf (undefined: removed). */
export interface LeafChange {
  readonly key: Hash;
  readonly leaf: StateLeaf | undefined;
}

/** What changed from one state to another, leaf by leaf (O(changes · log N) for a state and its child). */
export function stateDiff(from: ChainState, to: ChainState): LeafChange[] {
  return diffTrees(from.tree, to.tree).map((d) => ({ key: d.key, leaf: d.after }));
}

/**
 * A state with leaf changes applied (a node restoring the states above its
 * last finalized one from the changes it stored): the tree updated with
 * those keys only, the small maps copied with the changes. Null if the meta
 * leaf would be gone.
 */
export function applyLeafChanges(s: ChainState, changes: readonly LeafChange[], tipHash: Hash): ChainState | null {
  const treeChanges: TreeChange<StateEntry>[] = [];
  const maps = new Map<string, Map<string | number, unknown>>();
  const mapOf = (space: MapSpace): Map<string | number, unknown> => {
    let m = maps.get(space);
    if (m === undefined) {
      m = new Map(mapIn(s, space));
      maps.set(space, m);
    }
    return m;
  };
  let meta: StateMeta = metaOf(s);
  let accounts = s.accounts.size;
  const accountChanges: [Address, Account | null][] = [];
  for (const c of changes) {
    const before = getLeaf(s.tree, c.key)?.entry;
    if (c.leaf === undefined) {
      treeChanges.push({ key: c.key, valueHash: null });
      if (before === undefined) continue;
      if (before.space === "meta") return null;
      if (before.space === "account") {
        accounts--;
        accountChanges.push([before.id, null]);
      } else mapOf(before.space).delete(before.id);
      continue;
    }
    const e = c.leaf.entry;
    treeChanges.push({ key: c.key, valueHash: valueHash(e), entry: e });
    if (e.space === "meta") meta = e.value;
    else if (e.space === "account") {
      if (before === undefined) accounts++;
      accountChanges.push([e.id, e.value]);
    } else mapOf(e.space).set(e.id, e.value);
  }
  const tree = updateTree(s.tree, treeChanges);
  return assemble(meta, tipHash, tree, new AccountMap(tree, accounts, reputableOf(s.accounts).after(accountChanges)), (space) => maps.get(space) ?? mapIn(s, space));
}
