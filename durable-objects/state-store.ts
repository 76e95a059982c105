/**
 * The ChainDO's states: what it keeps of them in its SQLite, and in memory.
 *
 * Storage holds one full state, the *base* (the finalized block's), as its
 * leaves (`state_leaves`: key, leaf hash, wire form), and for every block
 * above it only the leaves that block changed (`state_diffs`). Accepting a
 * block writes O(changes) rows; when finality moves, the diffs of the newly
 * final blocks are folded into the base and every diff at or below it is
 * dropped. Nothing is ever written per account per block.
 *
 * Memory holds the state of the base and of every stored block above it:
 * the state tree is persistent, so they share every node they did not
 * change. A restart reads the base's leaves with their stored hashes (no
 * value is encoded or hashed again), rebuilds the tree's inner nodes (≈ 1.4
 * hashes per leaf: cheaper than storing them, which would cost log N rows
 * per changed key on every block), checks the root against the base block's
 * header, and replays the stored diffs above it.
 *
 * Memory also keeps, for account proofs only, the states of the last
 * `FINAL_STATES_HELD` finalized blocks below the base: a light client that
 * read the finalized header a moment ago must still get its proof once
 * finality has moved on. They share the tree's nodes too (a block's worth of
 * paths each), are never built upon, and are not restored after a restart
 * (storage holds no diffs below the base).
 *
 * Snapshots for nodes that join: the base state at the latest height the
 * base reached in steps of `snapshotInterval` (and the one before it, so that
 * a download in progress can finish), served part by part from memory: a
 * snapshot costs no storage and no copy. After a restart the snapshot is the
 * base the node loaded.
 */
import { blockToWire } from "../core/block.ts";
import { bytesToHex, hexToBytes } from "../core/hex.ts";
import { entryToWire, readEntry } from "../core/state-codec.ts";
import { applyLeafChanges, stateDiff, stateFromLeaves, stateRoot, type StateLeaf } from "../core/state-root.ts";
import { leavesOf, partLeaves, TreeLeaf, treeParts, treeSize } from "../core/state-tree.ts";
import type { Block, ChainState, StateEntry } from "../core/types.ts";

/** Leaves per snapshot part, on average: the part depth is the smallest that keeps parts this small. */
export const SNAPSHOT_PART_LEAVES = 1024;
/** Deepest cut of a snapshot (4,096 parts: a manifest under 400 KiB). */
export const MAX_SNAPSHOT_DEPTH = 12;

/** What a node offers of a snapshot: the block, its header, and the tree cut into parts. */
export interface SnapshotManifest {
  readonly network: string;
  readonly height: number;
  readonly hash: string;
  /** the block whose state this is, in wire form (its header's stateRoot is what the parts must add up to) */
  readonly block: unknown;
  readonly depth: number;
  readonly parts: readonly { readonly hash: string; readonly count: number }[];
}

interface Snapshot {
  readonly manifest: SnapshotManifest;
  readonly state: ChainState;
}

interface Held {
  readonly height: number;
  readonly state: ChainState;
}

/** The part depth for a tree of `leaves` leaves. */
export function snapshotDepth(leaves: number): number {
  let d = 0;
  while (d < MAX_SNAPSHOT_DEPTH && leaves > SNAPSHOT_PART_LEAVES * 2 ** d) d++;
  return d;
}

/** Finalized states below the base kept in memory for account proofs (≈ 1 minute of devnet blocks, ≈ 30 of mainnet ones). */
export const FINAL_STATES_HELD = 32;

export class StateStore {
  readonly #sql: SqlStorage;
  readonly #snapshotInterval: number;
  readonly #held = new Map<string, Held>();
  /** finalized states below the base, oldest first (for proofs; never built upon) */
  readonly #final = new Map<string, Held>();
  #base: { hash: string; height: number } = { hash: "", height: 0 };
  #snapshots: Snapshot[] = [];

  constructor(sql: SqlStorage, snapshotInterval: number) {
    this.#sql = sql;
    this.#snapshotInterval = snapshotInterval;
    sql.exec(`CREATE TABLE IF NOT EXISTS state_leaves (key TEXT PRIMARY KEY, hash TEXT NOT NULL, leaf TEXT NOT NULL)`);
    sql.exec(`CREATE TABLE IF NOT EXISTS state_diffs (block TEXT NOT NULL, height INTEGER NOT NULL, key TEXT NOT NULL, hash TEXT, leaf TEXT, PRIMARY KEY (block, key))`);
    sql.exec(`CREATE INDEX IF NOT EXISTS state_diffs_height ON state_diffs(height)`);
    sql.exec(`CREATE TABLE IF NOT EXISTS state_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)`);
  }

  /** Whether a base state is stored (false on a node's first start). */
  initialized(): boolean {
    return this.#sql.exec(`SELECT 1 FROM state_meta WHERE key = 'base'`).toArray().length > 0;
  }

  /** Stores `state` as the base: every leaf (a new chain's genesis, or a snapshot a node starts from). Inside the caller's transaction. */
  setBase(block: Block, state: ChainState): void {
    this.#sql.exec(`DELETE FROM state_leaves`);
    this.#sql.exec(`DELETE FROM state_diffs`);
    const rows: string[] = [];
    for (const leaf of leavesOf(state.tree)) rows.push(leaf.key, bytesToHex(leaf.hash), JSON.stringify(entryToWire(leaf.entry)));
    // rows per statement: DO SQL binds at most 100 parameters
    for (let i = 0; i < rows.length; i += 99) {
      const chunk = rows.slice(i, i + 99);
      this.#sql.exec(`INSERT INTO state_leaves (key, hash, leaf) VALUES ${Array.from({ length: chunk.length / 3 }, () => "(?, ?, ?)").join(", ")}`, ...chunk);
    }
    this.#writeBase(block.hash, block.header.height);
    this.#held.clear();
    this.#final.clear();
    this.#held.set(block.hash, { height: block.header.height, state });
    this.#snapshots = [this.#snapshotOf(block, state)];
  }

  #writeBase(hash: string, height: number): void {
    this.#base = { hash, height };
    this.#sql.exec(`INSERT OR REPLACE INTO state_meta (key, value) VALUES ('base', ?)`, JSON.stringify({ hash, height }));
  }

  /**
   * Reads the base state and the states above it. `blocks`: the stored blocks
   * above the base, parents before children (their diffs are applied in that
   * order); `blockAt(hash)` gives a stored block (the base's header holds the
   * root its leaves must give). Throws if storage does not give that root: a
   * node must not run on a state it cannot vouch for.
   */
  load(blocks: readonly { readonly hash: string; readonly parent: string; readonly height: number }[], blockAt: (hash: string) => Block): void {
    const base = JSON.parse(this.#sql.exec<{ value: string }>(`SELECT value FROM state_meta WHERE key = 'base'`).one().value) as { hash: string; height: number };
    this.#base = base;
    const leaves: StateLeaf[] = [];
    for (const row of this.#sql.exec<{ key: string; hash: string; leaf: string }>(`SELECT key, hash, leaf FROM state_leaves`)) {
      const entry = restoreEntry(row.leaf);
      leaves.push(new TreeLeaf(row.key, hexToBytes(row.hash), entry));
    }
    const baseBlock = blockAt(base.hash);
    const state = stateFromLeaves(leaves, base.hash);
    if (state === null || stateRoot(state) !== baseBlock.header.stateRoot) {
      throw new Error(`the stored base state (block ${base.hash} at ${base.height}) does not give its header's state root`);
    }
    this.#held.clear();
    this.#final.clear();
    this.#held.set(base.hash, { height: base.height, state });
    for (const b of blocks) {
      if (b.height <= base.height || this.#held.has(b.hash)) continue;
      const parent = this.#held.get(b.parent);
      if (parent === undefined) continue;
      const changes = this.#sql
        .exec<{ key: string; hash: string | null; leaf: string | null }>(`SELECT key, hash, leaf FROM state_diffs WHERE block = ?`, b.hash)
        .toArray()
        .map((r) => ({ key: r.key, leaf: r.leaf === null ? undefined : new TreeLeaf(r.key, hexToBytes(r.hash as string), restoreEntry(r.leaf)) }));
      if (changes.length === 0) continue;
      const next = applyLeafChanges(parent.state, changes, b.hash);
      if (next === null || stateRoot(next) !== blockAt(b.hash).header.stateRoot) throw new Error(`the stored changes of block ${b.hash} do not give its header's state root`);
      this.#held.set(b.hash, { height: b.height, state: next });
    }
    this.#snapshots = [this.#snapshotOf(baseBlock, state)];
  }

  base(): { readonly hash: string; readonly height: number } {
    return this.#base;
  }

  /** The state after a stored block at or above the base; undefined below it (final history is not kept). */
  get(hash: string): ChainState | undefined {
    return this.#held.get(hash)?.state;
  }

  /**
   * The state after a canonical block a proof may be served against: a held
   * one, or one of the last FINAL_STATES_HELD finalized ones below the base.
   */
  provable(hash: string): ChainState | undefined {
    return this.#held.get(hash)?.state ?? this.#final.get(hash)?.state;
  }

  /** The lowest height `provable` answers for. */
  provableFrom(): number {
    for (const h of this.#final.values()) return h.height;
    return this.#base.height;
  }

  /** Records a block's state (its leaves that differ from its parent's). Inside the caller's transaction. */
  put(block: Block, state: ChainState): void {
    if (this.#held.has(block.hash)) return;
    const parent = this.#held.get(block.header.parent);
    if (parent === undefined) throw new Error(`the state of block ${block.header.parent} is not held`);
    for (const c of stateDiff(parent.state, state)) {
      if (c.leaf === undefined) this.#sql.exec(`INSERT OR REPLACE INTO state_diffs (block, height, key, hash, leaf) VALUES (?, ?, ?, NULL, NULL)`, block.hash, block.header.height, c.key);
      else
        this.#sql.exec(
          `INSERT OR REPLACE INTO state_diffs (block, height, key, hash, leaf) VALUES (?, ?, ?, ?, ?)`,
          block.hash,
          block.header.height,
          c.key,
          bytesToHex(c.leaf.hash),
          JSON.stringify(entryToWire(c.leaf.entry)),
        );
    }
    this.#held.set(block.hash, { height: block.header.height, state });
  }

  /**
   * Moves the base up to `target` (the new finalized block): folds the diffs
   * of `path` (the blocks after the base up to the target, in order) into the
   * base leaves, drops every diff below the target, moves the held states of
   * the old base and of `path` below the target to the final ones kept for
   * proofs, drops every other held state at or below its height, and takes a
   * snapshot when the interval has passed. Inside the caller's transaction.
   */
  advance(target: { readonly hash: string; readonly height: number }, path: readonly string[], blockOf: () => Block): void {
    if (target.hash === this.#base.hash || target.height <= this.#base.height) return;
    for (const hash of path) {
      this.#sql.exec(`DELETE FROM state_leaves WHERE key IN (SELECT key FROM state_diffs WHERE block = ? AND leaf IS NULL)`, hash);
      this.#sql.exec(`INSERT OR REPLACE INTO state_leaves (key, hash, leaf) SELECT key, hash, leaf FROM state_diffs WHERE block = ? AND leaf IS NOT NULL`, hash);
    }
    this.#sql.exec(`DELETE FROM state_diffs WHERE height <= ?`, target.height);
    for (const hash of [this.#base.hash, ...path]) {
      const h = this.#held.get(hash);
      if (h !== undefined && h.height < target.height) this.#final.set(hash, h);
    }
    for (const [hash, h] of this.#final) {
      if (h.height >= target.height - FINAL_STATES_HELD) break;
      this.#final.delete(hash);
    }
    this.#writeBase(target.hash, target.height);
    for (const [hash, h] of this.#held) {
      if (h.height < target.height || (h.height === target.height && hash !== target.hash)) this.#held.delete(hash);
    }
    const state = this.#held.get(target.hash)?.state;
    if (state === undefined) throw new Error(`the state of the new base ${target.hash} is not held`);
    const last = this.#snapshots[this.#snapshots.length - 1];
    if (last === undefined || target.height >= last.manifest.height + this.#snapshotInterval) {
      this.#snapshots = [...this.#snapshots.slice(-1), this.#snapshotOf(blockOf(), state)];
    }
  }

  #snapshotOf(block: Block, state: ChainState): Snapshot {
    const depth = snapshotDepth(treeSize(state.tree));
    return {
      state,
      manifest: { network: state.network, height: block.header.height, hash: block.hash, block: blockToWire(block), depth, parts: treeParts(state.tree, depth) },
    };
  }

  /** The latest snapshot's manifest. */
  snapshot(): SnapshotManifest | null {
    return this.#snapshots[this.#snapshots.length - 1]?.manifest ?? null;
  }

  /** The leaves (wire form) of part `index` of the snapshot at `height`, or null if this node holds no such snapshot or part. */
  snapshotPart(height: number, index: number): unknown[] | null {
    const s = this.#snapshots.find((x) => x.manifest.height === height);
    if (s === undefined || !Number.isSafeInteger(index) || index < 0 || index >= s.manifest.parts.length) return null;
    return partLeaves(s.state.tree, s.manifest.depth, index).map((l) => entryToWire(l.entry));
  }
}

/** A leaf this node wrote itself: its stored hash is taken as is; the root check at load vouches for all of them. */
function restoreEntry(text: string): StateEntry {
  const r = readEntry(JSON.parse(text) as unknown);
  if (!r.ok) throw new Error(`a stored state leaf does not read back: ${r.error.message}`);
  return r.value;
}
