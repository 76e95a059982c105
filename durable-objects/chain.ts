/**
 * ChainDO: the node's chain, single writer of every consensus fact.
 *
 * It keeps in its own SQLite: every known block (wire JSON) with its header
 * facts, the canonical height → hash index, the states (durable-objects/
 * state-store.ts: the finalized state's leaves, and what each block above it
 * changed, so a competing branch can be applied on its parent's state and the
 * head can move to it), a canonical transaction index, and the outbox of
 * projection events for D1. Every block is validated and applied with core/
 * before anything is stored; the block, its state changes, the index and the
 * outbox events are written in one storage transaction, so a restart finds
 * either all of it or none of it.
 *
 * A node started from a snapshot (SYNC_MODE=snapshot) holds no block below
 * it: its fork choice is rooted at the snapshot block (`historyFrom` in its
 * status), with the snapshot's schedule weight.
 */
import { DurableObject } from "cloudflare:workers";
import { admissionCheck } from "../core/admission.ts";
import { blockToWire, headerToWire, parseBlock } from "../core/block.ts";
import { recordToWire } from "../core/encoding.ts";
import type { ErrorCode, ProtocolError } from "../core/errors.ts";
import { ForkChoice, type HeaderNode } from "../core/fork-choice.ts";
import { genesisBlock } from "../core/genesis.ts";
import { quorumOutlook, type QuorumOutlook } from "../core/quorum-outlook.ts";
import { nextSlotAt, producerRank } from "../core/schedule.ts";
import { decayedReputation } from "../core/reputation.ts";
import { applyWithReceipts, buildBlock, NO_RECEIPTS, transitionWithReceipts, type BlockReceipts } from "../core/state-transition.ts";
import { proveAccount } from "../core/state-proof.ts";
import { parseTx, txSender, txToWire } from "../core/tx.ts";
import type { Block, ChainParams, ChainState, JsonValue, Tx } from "../core/types.ts";
import { nodeConfig, type NodeConfig } from "./config.ts";
import { writeProjection } from "./d1-writer.ts";
import { Outbox } from "./outbox.ts";
import { fetchSnapshot, httpSnapshotPeer, type PartStash } from "./snapshot-sync.ts";
import { StateStore, type SnapshotManifest } from "./state-store.ts";
import { httpPeer, STATUS_WAIT_MS, syncFromPeers, type LocalChain, type SyncReport } from "./sync.ts";
import { deriveProjection, type ProjectionEvent } from "./projection.ts";
import { dutiesView } from "./duty-planner.ts";
import { receiptsFromText, receiptsToText } from "./receipts-codec.ts";
import { mempoolOf, networkOf, quorumOf } from "./stubs.ts";
import {
  failure,
  success,
  type AccountProofView,
  type AccountView,
  type ChainStatus,
  type ChampionView,
  type DifficultyView,
  type DutiesView,
  type Outcome,
  type ProduceResult,
  type RoundView,
  type SubmitBlockResult,
  type TxScreen,
} from "./rpc.ts";

/** Outbox drain retry: doubling from 1 s up to 5 min. */
const DRAIN_BACKOFF_MS = [1_000, 2_000, 5_000, 15_000, 60_000, 300_000] as const;
/** Receipts kept this many blocks below the finalized one (a reorganization cannot reach further). */
const RECEIPTS_KEEP_BELOW_FINAL = 2;
/** Blocks per getBlocks call (the API's limit). */
export const MAX_BLOCKS_PER_REQUEST = 50;

/** A block validated on its parent's state, on its way into storage. */
interface Accepted {
  readonly block: Block;
  /** the parent's state when at hand (the head's), else read from storage when needed */
  readonly prev: ChainState | undefined;
  readonly next: ChainState;
  readonly receipts: BlockReceipts;
}

type Known = Accepted & { readonly prev: ChainState };

interface BlockRow {
  hash: string;
  height: number;
  parent: string;
  cumulative_work: string;
  rank: number;
  beacon: string;
  wire: string;
  [key: string]: SqlStorageValue;
}

export class ChainDO extends DurableObject<Env> {
  private readonly config: NodeConfig;
  private readonly params: ChainParams;
  private readonly sql: SqlStorage;
  private readonly outbox: Outbox;
  private readonly store: StateStore;
  private fork!: ForkChoice;
  private head!: ChainState;
  private genesisHash = "";
  /** the lowest height this node holds blocks from: the root of its fork choice (genesis, or a snapshot) */
  private historyFrom = 0;
  private drainFailures = 0;
  private syncing: Promise<SyncReport> | null = null;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.config = nodeConfig(env);
    this.params = this.config.params;
    this.sql = ctx.storage.sql;
    this.outbox = new Outbox(this.sql);
    this.store = new StateStore(this.sql, this.config.snapshotInterval);
    void ctx.blockConcurrencyWhile(async () => this.load());
  }

  // -------------------------------------------------------------------------
  // loading

  private load(): void {
    this.sql.exec(
      `CREATE TABLE IF NOT EXISTS blocks (hash TEXT PRIMARY KEY, height INTEGER NOT NULL, parent TEXT NOT NULL, cumulative_work TEXT NOT NULL, rank INTEGER NOT NULL, beacon TEXT NOT NULL, wire TEXT NOT NULL)`,
    );
    this.sql.exec(`CREATE INDEX IF NOT EXISTS blocks_height ON blocks(height)`);
    this.sql.exec(`CREATE TABLE IF NOT EXISTS canonical (height INTEGER PRIMARY KEY, hash TEXT NOT NULL)`);
    // what each block's transition decided (core's receipts), kept while its block is above the finalized one: the projection maps them
    this.sql.exec(`CREATE TABLE IF NOT EXISTS receipts (hash TEXT PRIMARY KEY, height INTEGER NOT NULL, receipts TEXT NOT NULL)`);
    this.sql.exec(`CREATE TABLE IF NOT EXISTS txs (id TEXT PRIMARY KEY, height INTEGER NOT NULL, block TEXT NOT NULL)`);
    this.sql.exec(`CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)`);
    // transactions of blocks a reorganization reverted, on their way back to the mempool
    this.sql.exec(`CREATE TABLE IF NOT EXISTS requeue (id TEXT PRIMARY KEY, wire TEXT NOT NULL)`);
    // snapshot parts verified while joining from a snapshot, by part hash (a cut-short download resumes)
    this.sql.exec(`CREATE TABLE IF NOT EXISTS snapshot_parts (hash TEXT PRIMARY KEY, leaves TEXT NOT NULL)`);

    const genesis = genesisBlock(this.params);
    this.genesisHash = genesis.block.hash;
    const stored = this.sql.exec<{ hash: string }>(`SELECT hash FROM canonical WHERE height = 0`).toArray()[0];
    if (stored === undefined) {
      this.ctx.storage.transactionSync(() => {
        this.storeBlock(genesis.block);
        this.store.setBase(genesis.block, genesis.state);
        this.sql.exec(`INSERT INTO canonical (height, hash) VALUES (0, ?)`, genesis.block.hash);
        this.outbox.add(deriveProjection(genesis.state, genesis.state, genesis.block, this.params, NO_RECEIPTS));
      });
    } else if (stored.hash !== genesis.block.hash) {
      // The parameters changed under a stored chain: refuse to run on the wrong chain.
      throw new Error(`stored genesis ${stored.hash} is not this network's genesis ${genesis.block.hash}`);
    }

    // fork choice is rooted at genesis, or at the snapshot this node started from
    const root = this.rootOf();
    const columns = `hash, height, parent, cumulative_work, rank, beacon, wire`;
    const rootRow = this.sql.exec<BlockRow>(`SELECT ${columns} FROM blocks WHERE hash = ?`, root.hash).one();
    const rows = this.sql.exec<BlockRow>(`SELECT ${columns} FROM blocks WHERE height > ? ORDER BY height, hash`, rootRow.height).toArray();
    this.fork = new ForkChoice(nodeOf(rootRow), { finalityDepth: this.params.finalityDepth, checkpoints: this.config.checkpoints, rootWeight: root.weight });
    this.historyFrom = rootRow.height;
    for (const r of rows) this.fork.add(nodeOf(r));
    this.store.load(rows, (hash) => this.blockByHash(hash) as Block);
    const head = this.store.get(this.fork.head().hash);
    if (head === undefined) throw new Error(`the state of the head ${this.fork.head().hash} is not stored`);
    this.head = head;
    if (this.outbox.pending() > 0) void this.ctx.storage.setAlarm(Date.now());
    // A network where rounds cannot be decided says so when the node starts (and in /status).
    const outlook = this.quorumOutlook();
    if (outlook.problem !== null) console.warn(`quorum: ${outlook.problem}: ${outlook.message}`);
  }

  /** The block fork choice starts from: genesis, or the snapshot this node started from (with its chain's weight). */
  private rootOf(): { hash: string; weight: number } {
    const row = this.sql.exec<{ value: string }>(`SELECT value FROM meta WHERE key = 'root'`).toArray()[0];
    return row === undefined ? { hash: this.genesisHash, weight: 0 } : (JSON.parse(row.value) as { hash: string; weight: number });
  }

  private storeBlock(block: Block): void {
    this.sql.exec(
      `INSERT OR IGNORE INTO blocks (hash, height, parent, cumulative_work, rank, beacon, wire) VALUES (?, ?, ?, ?, ?, ?, ?)`,
      block.hash,
      block.header.height,
      block.header.parent,
      block.header.cumulativeWork.toString(),
      block.header.rank,
      block.header.beacon,
      JSON.stringify(blockToWire(block)),
    );
  }

  private stateOf(hash: string): ChainState | undefined {
    return this.store.get(hash);
  }

  private blockByHash(hash: string): Block | undefined {
    const row = this.sql.exec<{ wire: string }>(`SELECT wire FROM blocks WHERE hash = ?`, hash).toArray()[0];
    if (row === undefined) return undefined;
    const parsed = parseBlock(JSON.parse(row.wire), this.params);
    if (!parsed.ok) throw new Error(`stored block ${hash} no longer parses: ${parsed.error.message}`);
    return parsed.value;
  }

  // -------------------------------------------------------------------------
  // accepting blocks

  /**
   * Stores a block already validated on its parent's state, moves the head by
   * fork choice, and records what changed, all in one transaction.
   */
  private accept(block: Block, state: ChainState, receipts: BlockReceipts): Outcome<SubmitBlockResult> {
    const prev = block.header.parent === this.head.tipHash ? this.head : undefined;
    const [result] = this.acceptMany([{ block, prev, next: state, receipts }]);
    return result as Outcome<SubmitBlockResult>;
  }

  /**
   * Stores blocks already validated on their parents' states (in parent
   * order), moves the head by fork choice, and records what changed, all in
   * one transaction. Post-states are kept only where a branch could still
   * start (near the top); deeper ones would be pruned at once.
   */
  private acceptMany(items: readonly Accepted[]): Outcome<SubmitBlockResult>[] {
    const oldHead = this.fork.head();
    const results: Outcome<SubmitBlockResult>[] = [];
    const added: Accepted[] = [];
    for (const item of items) {
      const { block } = item;
      const h = block.header;
      const outcome = this.fork.add({ hash: block.hash, parent: h.parent, height: h.height, cumulativeWork: h.cumulativeWork, rank: h.rank, beacon: h.beacon });
      if (!outcome.ok) {
        results.push(failure(outcome.error.code, outcome.error.message));
        break;
      }
      added.push(item);
      const reorg = outcome.value.reorg;
      results.push(success({ hash: block.hash, height: block.header.height, head: false, reorg: reorg === null ? null : { from: reorg.from, to: reorg.to, depth: reorg.depth } }));
    }
    if (added.length === 0) return results;
    const newHead = this.fork.head();
    const headMoved = newHead.hash !== oldHead.hash;
    const known = new Map<string, Known>();
    for (const a of added) if (a.prev !== undefined) known.set(a.block.hash, { block: a.block, prev: a.prev, next: a.next, receipts: a.receipts });
    this.ctx.storage.transactionSync(() => {
      for (const a of added) {
        this.storeBlock(a.block);
        this.sql.exec(`INSERT OR REPLACE INTO receipts (hash, height, receipts) VALUES (?, ?, ?)`, a.block.hash, a.block.header.height, receiptsToText(a.receipts));
        // only the leaves this block changed (O(changes) rows, whatever the size of the state)
        this.store.put(a.block, a.next);
      }
      if (headMoved) this.moveHead(oldHead, newHead, known);
      this.advanceBase(known);
    });
    if (headMoved) {
      this.head = known.get(newHead.hash)?.next ?? added.find((a) => a.block.hash === newHead.hash)?.next ?? (this.stateOf(newHead.hash) as ChainState);
      void this.ctx.storage.setAlarm(Date.now());
    }
    return results.map((r) => {
      if (!r.ok) return r;
      const onHead = this.fork.ancestorAt(newHead.hash, r.value.height)?.hash === r.value.hash;
      return success({ ...r.value, head: onHead });
    });
  }

  /** Rewrites the canonical index from the common ancestor to the new head, with projection events. */
  private moveHead(oldHead: HeaderNode, newHead: HeaderNode, known: ReadonlyMap<string, Known>): void {
    const ancestor = this.fork.commonAncestor(oldHead.hash, newHead.hash);
    if (ancestor === undefined) throw new Error("heads without a common ancestor");
    // revert the old branch
    const reverted = this.fork.path(ancestor.hash, oldHead.hash) ?? [];
    for (const n of [...reverted].reverse()) {
      this.sql.exec(`DELETE FROM canonical WHERE height = ?`, n.height);
      this.sql.exec(`DELETE FROM txs WHERE block = ?`, n.hash);
      this.outbox.add({ kind: "revert", hash: n.hash, height: n.height });
      const block = this.blockByHash(n.hash) as Block;
      for (const t of block.txs) this.sql.exec(`INSERT OR REPLACE INTO requeue (id, wire) VALUES (?, ?)`, t.id, JSON.stringify(txToWire(t)));
    }
    // apply the new branch (one statement per block for its txs: a sync applies thousands of blocks)
    const path = this.fork.path(ancestor.hash, newHead.hash) ?? [];
    let requeued = this.sql.exec<{ n: number }>(`SELECT COUNT(*) AS n FROM requeue`).one().n > 0;
    for (const n of path) {
      const k = known.get(n.hash);
      const block = k?.block ?? (this.blockByHash(n.hash) as Block);
      const prev = k?.prev ?? (this.stateOf(n.parent) as ChainState);
      const next = k?.next ?? (this.stateOf(n.hash) as ChainState);
      this.sql.exec(`INSERT OR REPLACE INTO canonical (height, hash) VALUES (?, ?)`, n.height, n.hash);
      if (block.txs.length > 0) {
        const ids = JSON.stringify(block.txs.map((t) => t.id));
        this.sql.exec(`INSERT OR REPLACE INTO txs (id, height, block) SELECT value, ?, ? FROM json_each(?)`, n.height, n.hash, ids);
        if (requeued) {
          this.sql.exec(`DELETE FROM requeue WHERE id IN (SELECT value FROM json_each(?))`, ids);
          requeued = this.sql.exec<{ n: number }>(`SELECT COUNT(*) AS n FROM requeue`).one().n > 0;
        }
      }
      this.outbox.add(deriveProjection(prev, next, block, this.params, k?.receipts ?? this.receiptsOf(block, prev)));
    }
    this.sql.exec(`INSERT OR REPLACE INTO meta (key, value) VALUES ('head', ?)`, newHead.hash);
  }

  /** States are kept from the finalized block up: nothing can build below it. Folds the newly final blocks' changes into the stored base. */
  private advanceBase(known: ReadonlyMap<string, { block: Block }>): void {
    const finalized = this.fork.finalized();
    const base = this.store.base();
    if (finalized.height <= base.height) return;
    this.sql.exec(`DELETE FROM receipts WHERE height < ?`, finalized.height - RECEIPTS_KEEP_BELOW_FINAL);
    const path = this.fork.path(base.hash, finalized.hash);
    if (path === undefined) throw new Error(`the finalized block ${finalized.hash} does not descend from the stored base ${base.hash}`);
    this.store.advance(
      finalized,
      path.map((n) => n.hash),
      () => known.get(finalized.hash)?.block ?? (this.blockByHash(finalized.hash) as Block),
    );
  }

  /**
   * A stored block's receipts. A block stored before receipts were kept has
   * none: its transition runs again on its parent's state (rare: a reorg onto
   * a branch older than the upgrade).
   */
  private receiptsOf(block: Block, prev: ChainState): BlockReceipts {
    const row = this.sql.exec<{ receipts: string }>(`SELECT receipts FROM receipts WHERE hash = ?`, block.hash).toArray()[0];
    if (row !== undefined) return receiptsFromText(row.receipts);
    const again = transitionWithReceipts(prev, block, this.params);
    if (!again.ok) throw new Error(`stored block ${block.hash} no longer applies: ${again.error.message}`);
    return again.value.receipts;
  }

  /** A block from a peer (or a test): validated on its parent's state with every rule, then accepted. */
  async submitBlock(wire: unknown, nowMs: number = Date.now()): Promise<Outcome<SubmitBlockResult>> {
    const parsed = parseBlock(wire, this.params);
    if (!parsed.ok) return failure(parsed.error.code, describe(parsed.error));
    const block = parsed.value;
    if (this.fork.has(block.hash)) return failure("ALREADY_KNOWN", `block ${block.hash} is already known`);
    if (!this.fork.has(block.header.parent)) return failure("UNKNOWN_PARENT", `parent ${block.header.parent} of block ${block.header.height} is unknown`);
    const parentState = this.stateOf(block.header.parent);
    if (parentState === undefined) return failure("BELOW_FINALITY", "the block's parent is below the finalized height");
    const applied = await applyWithReceipts(parentState, block, this.params, { nowMs });
    if (!applied.ok) return failure(applied.error.code, describe(applied.error));
    return this.accept(block, applied.value.state, applied.value.receipts);
  }

  /**
   * A batch of consecutive blocks (sync delivers up to 50 at a time), each
   * validated on its parent's state, then stored together. Stops at the
   * first invalid block: the valid ones before it are kept.
   */
  async submitBlocks(
    wires: readonly unknown[],
    nowMs: number = Date.now(),
  ): Promise<Outcome<{ accepted: number; head: string; height: number; error: { index: number; code: string; message: string } | null }>> {
    const items: Accepted[] = [];
    let error: { index: number; code: string; message: string } | null = null;
    const pending = new Map<string, ChainState>();
    for (let i = 0; i < wires.length && i < MAX_BLOCKS_PER_REQUEST; i++) {
      const parsed = parseBlock(wires[i], this.params);
      if (!parsed.ok) {
        error = { index: i, code: parsed.error.code, message: describe(parsed.error) };
        break;
      }
      const block = parsed.value;
      if (this.fork.has(block.hash)) continue;
      const parentState = pending.get(block.header.parent) ?? (this.fork.has(block.header.parent) ? this.stateOf(block.header.parent) : undefined);
      if (parentState === undefined) {
        const code = this.fork.has(block.header.parent) ? "BELOW_FINALITY" : "UNKNOWN_PARENT";
        error = { index: i, code, message: `parent ${block.header.parent} of block ${block.header.height} is ${code === "UNKNOWN_PARENT" ? "unknown" : "below the finalized height"}` };
        break;
      }
      const applied = await applyWithReceipts(parentState, block, this.params, { nowMs });
      if (!applied.ok) {
        error = { index: i, code: applied.error.code, message: describe(applied.error) };
        break;
      }
      pending.set(block.hash, applied.value.state);
      items.push({ block, prev: parentState, next: applied.value.state, receipts: applied.value.receipts });
    }
    const results = this.acceptMany(items);
    const accepted = results.filter((r) => r.ok).length;
    const refused = results.find((r) => !r.ok);
    if (refused !== undefined && !refused.ok && error === null) error = { index: accepted, code: refused.code, message: refused.message };
    return success({ accepted, head: this.head.tipHash, height: this.head.height, error });
  }

  /**
   * Builds a block on the head from the mempool's candidates, signs it with
   * the node key, and accepts it. BELOW_THRESHOLD: not yet.
   */
  async produce(candidates: readonly unknown[], nowMs: number = Date.now()): Promise<Outcome<ProduceResult>> {
    // a node that may not produce at all is told so before its candidates are parsed (buildBlock says the same)
    if (producerRank(this.head, this.params, this.config.nodeAddress) < 0) {
      return failure("NOT_A_PRODUCER", `${this.config.nodeAddress} may not produce blocks: its reputation is below ${this.params.reputation.minForEvaluator}`);
    }
    const txs: Tx[] = [];
    const rejected: { id: string; code: string; message: string }[] = [];
    for (const c of candidates) {
      const t = parseTx(c, this.params);
      if (t.ok) txs.push(t.value);
      else rejected.push({ id: idOf(c), code: t.error.code, message: t.error.message });
    }
    // The schedule is a consensus rule (core/schedule.ts): buildBlock refuses with
    // OUT_OF_TURN until this node's slot at this height has come, NOT_A_PRODUCER
    // while its reputation is too low to produce at all.
    const built = buildBlock(this.head, txs, this.params, { producerSecret: this.config.nodeSecret, timestamp: Math.max(nowMs, this.head.tipTimestamp + 1) });
    if (!built.ok) return failure(built.error.code, built.error.message);
    const { block, state, receipts } = built.value;
    const accepted = this.accept(block, state, receipts);
    if (!accepted.ok) return accepted;
    for (const r of built.value.rejected) rejected.push({ id: r.tx.id, code: r.error.code, message: r.error.message });
    const wire = blockToWire(block);
    await this.flood("block", wire);
    return success({ block: wire, height: block.header.height, included: block.txs.map((t) => t.id), rejected });
  }

  /** When this node's next production slot on the head comes (core/schedule.ts nextSlotAt); null when it has come or this node may not produce. */
  nextSlot(nowMs: number = Date.now()): number | null {
    const rank = producerRank(this.head, this.params, this.config.nodeAddress);
    return rank < 0 ? null : nextSlotAt(this.head.tipTimestamp, rank, nowMs, this.params);
  }

  /** Hands a new block of ours to the network layer (best effort: peers also sync). */
  private async flood(kind: "block", wire: unknown): Promise<void> {
    try {
      await networkOf(this.env).announce(kind, wire);
    } catch (e) {
      console.warn("flooding failed", e instanceof Error ? e.message : e);
    }
  }

  // -------------------------------------------------------------------------
  // sync

  /**
   * Syncs from these peers (headers first, then blocks in batches); one sync
   * at a time. A node in snapshot mode whose chain is empty first starts
   * from a peer's finalized snapshot (durable-objects/snapshot-sync.ts), when
   * one is offered; then it syncs the blocks after it.
   */
  async syncFrom(peerUrls: readonly string[]): Promise<SyncReport> {
    if (this.syncing !== null) return this.syncing;
    this.syncing = this.syncSteps(peerUrls).finally(() => {
      this.syncing = null;
      // the D1 projection waited for the sync: catch up now
      void this.ctx.storage.setAlarm(Date.now());
    });
    return this.syncing;
  }

  private async syncSteps(peerUrls: readonly string[]): Promise<SyncReport> {
    let joined: SyncReport["snapshot"] = null;
    const faulty: string[] = [];
    if (this.config.syncMode === "snapshot" && this.isEmpty()) {
      const r = await fetchSnapshot(
        { params: this.params, genesis: this.genesisHash, checkpoints: this.config.checkpoints, height: this.head.height },
        peerUrls.map((u) => httpSnapshotPeer(u)),
        this.partStash(),
      );
      faulty.push(...r.faulty);
      if (r.error !== null) return { peer: null, from: 0, to: this.head.height, applied: 0, error: `snapshot: ${r.error}`, faulty, snapshot: null };
      if (r.snapshot !== null && this.isEmpty()) {
        this.installSnapshot(r.snapshot.block, r.snapshot.state);
        joined = { height: r.snapshot.block.header.height, hash: r.snapshot.block.hash, fetchedParts: r.fetchedParts };
      }
    }
    const report = await this.replayFrom(peerUrls);
    return { ...report, faulty: [...new Set([...faulty, ...report.faulty])], snapshot: joined };
  }

  /** Headers-first sync of blocks from these peers (every block validated on its parent's state). */
  private replayFrom(peerUrls: readonly string[]): Promise<SyncReport> {
    const local: LocalChain = {
      status: async () => this.status(),
      weightOf: async (hash) => this.weightOf(hash),
      canonicalHashes: async (from, to) => this.canonicalHashes(from, to),
      hasBlock: async (hash) => this.fork.has(hash),
      submitBlocks: async (wires) => {
        const r = await this.submitBlocks(wires);
        if (r.ok) return r.value;
        return { accepted: 0, height: this.head.height, error: { index: 0, code: r.code, message: r.message } };
      },
    };
    // the target is chosen among the peers that answer within STATUS_WAIT_MS: one that is down does not hold the sync back
    const wait = () => new Promise<void>((resolve) => setTimeout(resolve, STATUS_WAIT_MS));
    return syncFromPeers(
      local,
      peerUrls.map((u) => httpPeer(u)),
      { wait },
    );
  }

  /** Only genesis: nothing to lose by starting from a snapshot. */
  private isEmpty(): boolean {
    return this.head.height === 0 && this.fork.size === 1;
  }

  /** Snapshot parts verified so far, by hash (kept across restarts until the snapshot is installed). */
  private partStash(): PartStash {
    return {
      get: (hash) => {
        const row = this.sql.exec<{ leaves: string }>(`SELECT leaves FROM snapshot_parts WHERE hash = ?`, hash).toArray()[0];
        return row === undefined ? undefined : (JSON.parse(row.leaves) as unknown[]);
      },
      put: (hash, leaves) => void this.sql.exec(`INSERT OR REPLACE INTO snapshot_parts (hash, leaves) VALUES (?, ?)`, hash, JSON.stringify(leaves)),
    };
  }

  /**
   * Starts this (empty) chain from a verified snapshot: the snapshot block
   * becomes the root of fork choice and the final head, its state the base,
   * in one transaction.
   */
  private installSnapshot(block: Block, state: ChainState): void {
    const root = { hash: block.hash, weight: state.weight };
    this.ctx.storage.transactionSync(() => {
      this.storeBlock(block);
      this.sql.exec(`INSERT OR REPLACE INTO canonical (height, hash) VALUES (?, ?)`, block.header.height, block.hash);
      this.store.setBase(block, state);
      this.sql.exec(`INSERT OR REPLACE INTO meta (key, value) VALUES ('root', ?)`, JSON.stringify(root));
      this.sql.exec(`INSERT OR REPLACE INTO meta (key, value) VALUES ('head', ?)`, block.hash);
      this.sql.exec(`DELETE FROM snapshot_parts`);
    });
    const h = block.header;
    this.fork = new ForkChoice(
      { hash: block.hash, parent: h.parent, height: h.height, cumulativeWork: h.cumulativeWork, rank: h.rank, beacon: h.beacon },
      { finalityDepth: this.params.finalityDepth, checkpoints: this.config.checkpoints, rootWeight: root.weight },
    );
    this.head = state;
    this.historyFrom = h.height;
  }

  canonicalHashes(from: number, to: number): string[] {
    return this.sql
      .exec<{ hash: string }>(`SELECT hash FROM canonical WHERE height BETWEEN ? AND ? ORDER BY height`, from, to)
      .toArray()
      .map((r) => r.hash);
  }

  hasBlock(hash: string): boolean {
    return this.fork.has(hash);
  }

  /** The schedule weight of the chain ending at a known block (fork choice), or null. */
  weightOf(hash: string): number | null {
    return this.fork.get(hash)?.weight ?? null;
  }

  // -------------------------------------------------------------------------
  // the outbox to D1

  override async alarm(): Promise<void> {
    // Reverted transactions go back to the mempool (it refuses those that no longer apply).
    const requeue = this.sql.exec<{ id: string; wire: string }>(`SELECT id, wire FROM requeue LIMIT 200`).toArray();
    if (requeue.length > 0) {
      const mempool = mempoolOf(this.env);
      for (const r of requeue) {
        try {
          await mempool.submit(JSON.parse(r.wire) as unknown);
          this.sql.exec(`DELETE FROM requeue WHERE id = ?`, r.id);
        } catch (e) {
          console.warn("requeue failed", e instanceof Error ? e.message : e);
          break;
        }
      }
    }
    // While a sync runs, the D1 projection waits (it would take most of the
    // sync's time); /chain/status shows the backlog as outboxPending.
    if (this.syncing !== null) return;
    // The head moved: every domain's QuorumDO looks for new duties (it also polls by itself).
    // Not awaited: its reads of this chain then come as any other request, not inside this alarm.
    this.ctx.waitUntil(Promise.allSettled(this.params.domains.map(async (d) => (await quorumOf(this.env, d.id)).sync())));
    const result = await this.outbox.drain((events: readonly ProjectionEvent[]) => writeProjection(this.env.DB, events));
    if (result.error !== null) {
      const delay = DRAIN_BACKOFF_MS[Math.min(this.drainFailures, DRAIN_BACKOFF_MS.length - 1)] as number;
      this.drainFailures++;
      console.warn(`outbox drain failed (${result.remaining} events waiting), retrying in ${delay} ms: ${result.error}`);
      await this.ctx.storage.setAlarm(Date.now() + delay);
      return;
    }
    this.drainFailures = 0;
    if (result.remaining > 0) await this.ctx.storage.setAlarm(Date.now());
  }

  /** Drains the outbox now through a custom writer (tests inject D1 failures this way). */
  async drainOutbox(write?: (events: readonly ProjectionEvent[]) => Promise<void>): Promise<{ written: number; remaining: number; error: string | null }> {
    return this.outbox.drain(write ?? ((events) => writeProjection(this.env.DB, events)));
  }

  // -------------------------------------------------------------------------
  // reads

  status(): ChainStatus {
    const s = this.head;
    const fin = this.fork.finalized();
    const head = this.fork.head();
    return {
      network: this.params.network,
      genesis: this.genesisHash,
      height: s.height,
      tip: s.tipHash,
      tipTimestamp: s.tipTimestamp,
      finalizedHeight: fin.height,
      finalizedHash: fin.hash,
      cumulativeWork: s.cumulativeWork.toString(),
      weight: head.weight,
      beacon: head.beacon,
      threshold: s.difficulty.threshold.toString(),
      pendingWork: s.pending.work.toString(),
      supply: s.supply.toString(),
      burned: s.burned.toString(),
      mintedBlocks: s.mintedBlocks,
      accounts: s.accounts.size,
      openRounds: [...s.rounds.values()].filter((r) => r.status === "voting").length,
      outboxPending: this.outbox.pending(),
      historyFrom: this.historyFrom,
    };
  }

  /** Whether rounds revealed in the next block can be decided, and this node's own (core/quorum-outlook.ts). */
  quorumOutlook(): QuorumOutlook {
    // the next reveal's block comes no earlier than now
    return quorumOutlook(this.head.accounts, Math.max(Date.now(), this.head.tipTimestamp), this.params, this.config.nodeAddress);
  }

  account(address: string): AccountView {
    const a = this.head.accounts.get(address);
    return {
      address,
      balance: (a?.balance ?? 0n).toString(),
      nonce: a?.nonce ?? 0,
      reputation: a === undefined ? "0" : decayedReputation(a, this.head.tipTimestamp, this.params).toString(),
    };
  }

  /**
   * An account at the canonical block at `height` (default: the finalized
   * one), with its proof against that block's state root (inclusion, or
   * absence when there is no such account). States are held from the
   * finalized block up, and for the last FINAL_STATES_HELD finalized blocks
   * below it since the node started (state-store.ts): a lower height is
   * STATE_PRUNED.
   */
  accountProof(address: string, height?: number): Outcome<AccountProofView> {
    const finalized = this.fork.finalized();
    const at = height ?? finalized.height;
    if (at > this.head.height) return failure("NOT_FOUND", `no block at height ${at} yet (the head is at ${this.head.height})`);
    const node = this.fork.ancestorAt(this.head.tipHash, at);
    const state = node === undefined ? undefined : this.store.provable(node.hash);
    if (node === undefined || state === undefined) {
      return failure("STATE_PRUNED", `the state at height ${at} is no longer held: proofs are served from height ${this.store.provableFrom()} to the head (${this.head.height})`);
    }
    const block = this.blockByHash(node.hash) as Block;
    const a = state.accounts.get(address);
    const proof = proveAccount(state.tree, address);
    return success({
      address,
      balance: (a?.balance ?? 0n).toString(),
      nonce: a?.nonce ?? 0,
      reputation: a === undefined ? "0" : decayedReputation(a, state.tipTimestamp, this.params).toString(),
      proof: {
        height: at,
        block: node.hash,
        finalized: at <= finalized.height,
        header: headerToWire(block.header),
        account: a === undefined ? null : recordToWire(a),
        siblings: proof.siblings,
        leaf: proof.leaf,
      },
    });
  }

  /** The snapshot this node offers to nodes that join (durable-objects/state-store.ts), or NO_SNAPSHOT. */
  snapshot(): Outcome<SnapshotManifest> {
    const m = this.store.snapshot();
    return m === null ? failure("NO_SNAPSHOT", "this node offers no snapshot yet") : success(m);
  }

  /** The leaves of one part of a snapshot this node holds, or NO_SNAPSHOT. */
  snapshotPart(height: number, index: number): Outcome<{ height: number; index: number; leaves: unknown[] }> {
    const leaves = this.store.snapshotPart(height, index);
    if (leaves === null) return failure("NO_SNAPSHOT", `this node holds no part ${index} of a snapshot at height ${height} (GET /chain/snapshot names the one it offers)`);
    return success({ height, index, leaves });
  }

  /**
   * core's admissionCheck of a transaction the MempoolDO has already parsed
   * and verified, against the head: the protocol error a block would give it
   * that no pending tx can cure, or null.
   */
  admission(tx: Tx): { code: ErrorCode; message: string } | null {
    const r = admissionCheck(this.head, this.params, tx);
    return r.ok ? null : { code: r.error.code, message: r.error.message };
  }

  /**
   * The mempool's one question per batch of parsed, verified transactions:
   * for each, whether the canonical chain holds it, its sender's nonce and
   * balance, and admissionCheck's refusal on the head (none for transfers,
   * which it has no rule for).
   */
  screen(txs: readonly Tx[]): TxScreen[] {
    const known = new Set(this.knownTxs(txs.map((tx) => tx.id)));
    return txs.map((tx) => {
      const a = this.head.accounts.get(txSender(tx));
      const refused = tx.kind === "transfer" ? null : this.admission(tx);
      return { known: known.has(tx.id), nonce: a?.nonce ?? 0, balance: (a?.balance ?? 0n).toString(), refusal: refused };
    });
  }

  /** Each sender's last applied nonce on the head (0 for an unknown account): the mempool plans a block with one call. */
  nonces(senders: readonly string[]): Record<string, number> {
    const out: Record<string, number> = {};
    for (const s of senders) out[s] = this.head.accounts.get(s)?.nonce ?? 0;
    return out;
  }

  knownTxs(ids: readonly string[]): string[] {
    if (ids.length === 0) return [];
    const found = new Set(
      this.sql
        .exec<{ id: string }>(`SELECT id FROM txs WHERE id IN (SELECT value FROM json_each(?))`, JSON.stringify(ids))
        .toArray()
        .map((r) => r.id),
    );
    return ids.filter((id) => found.has(id));
  }

  /** Where a transaction is in the canonical chain, if it is. */
  txLocation(id: string): { height: number; block: string } | null {
    const row = this.sql.exec<{ height: number; block: string }>(`SELECT height, block FROM txs WHERE id = ?`, id).toArray()[0];
    return row === undefined ? null : { height: row.height, block: row.block };
  }

  /** Canonical blocks from..to inclusive (at most 50), as wire JSON. */
  getBlocks(from: number, to: number): JsonValue[] {
    const last = Math.min(to, from + MAX_BLOCKS_PER_REQUEST - 1, this.head.height);
    if (last < from) return [];
    return this.sql
      .exec<{ wire: string }>(`SELECT b.wire FROM canonical c JOIN blocks b ON b.hash = c.hash WHERE c.height BETWEEN ? AND ? ORDER BY c.height`, from, last)
      .toArray()
      .map((r) => JSON.parse(r.wire) as JsonValue);
  }

  getBlock(height: number): JsonValue {
    return this.getBlocks(height, height)[0] ?? null;
  }

  getBlockByHash(hash: string): JsonValue {
    const row = this.sql.exec<{ wire: string }>(`SELECT wire FROM blocks WHERE hash = ?`, hash).toArray()[0];
    return row === undefined ? null : (JSON.parse(row.wire) as JsonValue);
  }

  /** Headers of canonical blocks from..to (headers-first sync reads these). */
  getHeaders(from: number, to: number): JsonValue[] {
    return this.getBlocks(from, to).map((b) => (b as { readonly header: JsonValue }).header);
  }

  /** Each domain's champion on the head chain. */
  champions(): ChampionView[] {
    return [...this.head.champions.entries()].map(([domain, c]) => ({
      domain,
      performance: c.performance.toString(),
      optimae: c.optimae,
      optimizer: c.optimizer,
      params: c.params,
      height: c.height,
    }));
  }

  /** Rounds on the head state (open and recently decided), for the node's quorum duties and the API. */
  rounds(): RoundView[] {
    return [...this.head.rounds.values()].map((r) => ({
      optimae: r.optimae,
      domain: r.domain,
      optimizer: r.optimizer,
      commit: r.commit,
      beacon: r.beacon,
      bond: r.bond.toString(),
      params: r.params,
      reported: r.reported.toString(),
      revealHeight: r.revealHeight,
      deadline: r.deadline,
      quorum: [...r.quorum],
      votes: r.votes.map((v) => ({ evaluator: v.evaluator, performance: v.performance.toString(), dataHash: v.dataHash })),
      status: r.status,
      verified: r.verified === null ? null : r.verified.toString(),
    }));
  }

  /**
   * One node's duties in a domain, read off the head state (QuorumDO's one call per sync): the rounds
   * that wait for its vote, its open commits, its rounds, and whether any round still votes.
   */
  dutiesFor(address: string, domain: string): DutiesView {
    return dutiesView(this.head, address, domain);
  }

  difficulty(): DifficultyView {
    const d = this.head.difficulty;
    return {
      threshold: d.threshold.toString(),
      emaBlockTimeMs: d.emaBlockTimeMs.toString(),
      lastWorkTimestamp: d.lastWorkTimestamp,
      epochStartTimestamp: d.epochStartTimestamp,
      blocksInEpoch: d.blocksInEpoch,
      targetBlockTimeMs: this.params.targetBlockTimeMs,
      carrierIntervalMs: this.params.carrierIntervalMs,
      pendingWork: this.head.pending.work.toString(),
    };
  }
}

function describe(e: ProtocolError): string {
  return e.txIndex === undefined ? e.message : `transaction ${e.txIndex}: ${e.message}`;
}

function idOf(wire: unknown): string {
  const id = wire !== null && typeof wire === "object" ? (wire as { id?: unknown }).id : undefined;
  return typeof id === "string" ? id : "";
}

function nodeOf(r: BlockRow): HeaderNode {
  return { hash: r.hash, parent: r.parent, height: r.height, cumulativeWork: BigInt(r.cumulative_work), rank: r.rank, beacon: r.beacon };
}
