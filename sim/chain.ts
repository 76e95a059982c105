/**
 * A simulated node's chain, in memory, with the ChainDO's rules of
 * acceptance: a block is validated on its parent's post-state (applyBlock,
 * through SharedWork), added to core's ForkChoice, and the head moves only
 * when fork choice says so; the canonical index follows the head;
 * post-states are kept above the finalized block (a little margin below),
 * so a block whose parent state is gone is BELOW_FINALITY. It serves the
 * sync API a peer reads (status, canonical headers and blocks, 50 at most)
 * and the LocalChain that core-side headers-first sync drives.
 */
import { ForkChoice } from "../core/fork-choice.ts";
import type { Block, ChainParams, ChainState, Hash } from "../core/types.ts";
import type { DeliveryOutcome } from "../durable-objects/gossip.ts";
import { SYNC_BATCH, type LocalChain } from "../durable-objects/sync.ts";
import type { SharedWork, StoredBlock } from "./shared-work.ts";

/** As the ChainDO: post-states kept this far below the finalized block. */
const STATE_KEEP_BELOW_FINAL = 2;
/** Bytes of a blocks-table row beside its wire JSON (hash, parent, beacon, work, height, rank), as the ChainDO stores it. */
export const BLOCK_ROW_BYTES = 64 * 3 + 40;
/** Bytes of a canonical-index row (height, hash) and a transaction-index row (id, height, block). */
export const CANONICAL_ROW_BYTES = 72;
export const TX_ROW_BYTES = 136;

export interface ChainHooks {
  /** this node holds a block it did not hold before */
  held(block: Block): void;
  /** the head moved: `reverted` left the canonical chain, `applied` joined it (both in height order) */
  headMoved(head: ChainState, reverted: readonly Block[], applied: readonly Block[]): void;
}

export interface ChainStatusView {
  readonly network: string;
  readonly genesis: Hash;
  readonly height: number;
  readonly tip: Hash;
  readonly tipTimestamp: number;
  readonly cumulativeWork: string;
  readonly weight: number;
  readonly beacon: Hash;
  readonly finalizedHeight: number;
  readonly finalizedHash: Hash;
  /** the lowest height held: a simulated node replays from genesis */
  readonly historyFrom: number;
}

export class SimChain {
  private readonly fork: ForkChoice;
  private readonly states = new Map<Hash, ChainState>();
  private readonly canonical: Hash[] = [];
  private readonly genesisHash: Hash;
  head: ChainState;
  /** wire bytes of every block held, forks included */
  blockBytes = 0;
  blocksHeld = 0;

  constructor(
    private readonly shared: SharedWork,
    private readonly params: ChainParams,
    genesis: { block: Block; state: ChainState },
    private readonly hooks: ChainHooks,
  ) {
    const h = genesis.block.header;
    this.fork = new ForkChoice({ hash: genesis.block.hash, parent: h.parent, height: 0, cumulativeWork: h.cumulativeWork, rank: h.rank, beacon: h.beacon }, { finalityDepth: params.finalityDepth });
    this.genesisHash = genesis.block.hash;
    shared.block(genesis.block);
    this.head = genesis.state;
    this.states.set(genesis.block.hash, genesis.state);
    this.canonical.push(genesis.block.hash);
  }

  has(hash: Hash): boolean {
    return this.fork.has(hash);
  }

  /** A block from a peer: the ChainDO's submitBlock. Synchronous when the block's validation is cached. */
  submit(block: Block, nowMs: number): DeliveryOutcome | Promise<DeliveryOutcome> {
    if (this.fork.has(block.hash)) return { ok: false, code: "ALREADY_KNOWN" };
    if (!this.fork.has(block.header.parent)) return { ok: false, code: "UNKNOWN_PARENT" };
    const parent = this.states.get(block.header.parent);
    if (parent === undefined) return { ok: false, code: "BELOW_FINALITY" };
    const applied = this.shared.validate(parent, block, nowMs);
    if (applied instanceof Promise) return applied.then((r) => (r.ok ? this.accept(block, r.value) : { ok: false, code: r.error.code }));
    return applied.ok ? this.accept(block, applied.value) : { ok: false, code: applied.error.code };
  }

  /**
   * Stores a validated block and moves the head by fork choice.
   * (This node's own blocks come here from buildBlock.)
   */
  accept(block: Block, state: ChainState): DeliveryOutcome {
    const h = block.header;
    const oldHead = this.fork.head();
    const added = this.fork.add({ hash: block.hash, parent: h.parent, height: h.height, cumulativeWork: h.cumulativeWork, rank: h.rank, beacon: h.beacon });
    if (!added.ok) return { ok: false, code: added.error.code };
    this.states.set(block.hash, state);
    this.blockBytes += this.shared.block(block).bytes + BLOCK_ROW_BYTES;
    this.blocksHeld++;
    this.hooks.held(block);
    const newHead = this.fork.head();
    if (newHead.hash !== oldHead.hash) {
      const ancestor = this.fork.commonAncestor(oldHead.hash, newHead.hash);
      if (ancestor === undefined) throw new Error("heads without a common ancestor");
      const reverted = (this.fork.path(ancestor.hash, oldHead.hash) ?? []).map((n) => this.blockOf(n.hash));
      const applied = (this.fork.path(ancestor.hash, newHead.hash) ?? []).map((n) => this.blockOf(n.hash));
      this.canonical.length = ancestor.height + 1;
      for (const b of applied) this.canonical.push(b.hash);
      this.head = this.states.get(newHead.hash) as ChainState;
      this.prune();
      this.hooks.headMoved(this.head, reverted, applied);
    }
    return { ok: true, code: null };
  }

  private blockOf(hash: Hash): Block {
    const b = this.shared.stored(hash);
    if (b === undefined) throw new Error(`block ${hash} is not stored`);
    return b.block;
  }

  private prune(): void {
    const f = this.fork.finalized();
    for (const [hash, s] of this.states) if (s.height < f.height - STATE_KEEP_BELOW_FINAL && hash !== f.hash) this.states.delete(hash);
  }

  /** Consecutive blocks from a sync (the ChainDO's submitBlocks): each validated on its parent's state; stops at the first refusal. */
  async submitMany(wires: readonly unknown[], nowMs: number): Promise<{ accepted: number; height: number; error: { index: number; code: string; message: string } | null }> {
    let accepted = 0;
    for (let i = 0; i < wires.length && i < SYNC_BATCH; i++) {
      const parsed = this.shared.fromWire(wires[i]);
      if (!parsed.ok) return { accepted, height: this.head.height, error: { index: i, code: parsed.error.code, message: parsed.error.message } };
      const block = parsed.value;
      if (this.fork.has(block.hash)) continue;
      const r = await this.submit(block, nowMs);
      if (!r.ok) return { accepted, height: this.head.height, error: { index: i, code: r.code ?? "REFUSED", message: `block ${block.header.height} refused` } };
      accepted++;
    }
    return { accepted, height: this.head.height, error: null };
  }

  status(): ChainStatusView {
    const head = this.fork.head();
    const fin = this.fork.finalized();
    return {
      network: this.params.network,
      genesis: this.genesisHash,
      height: this.head.height,
      tip: this.head.tipHash,
      tipTimestamp: this.head.tipTimestamp,
      cumulativeWork: this.head.cumulativeWork.toString(),
      weight: head.weight,
      beacon: head.beacon,
      finalizedHeight: fin.height,
      finalizedHash: fin.hash,
      historyFrom: 0,
    };
  }

  get finalizedHeight(): number {
    return this.fork.finalized().height;
  }

  canonicalHash(height: number): Hash | undefined {
    return this.canonical[height];
  }

  /** Canonical headers from..to (at most 50), wire form: what GET /chain/headers serves. */
  headers(from: number, to: number): { value: unknown[]; bytes: number } {
    return this.serve(from, to, (s) => [s.headerWire, s.headerBytes]);
  }

  /** Canonical blocks from..to (at most 50), wire form: what GET /chain/blocks serves. */
  blocks(from: number, to: number): { value: unknown[]; bytes: number } {
    return this.serve(from, to, (s) => [s.wire, s.bytes]);
  }

  /** A JSON list of what `pick` takes from each canonical block from..to, with its size. */
  private serve(from: number, to: number, pick: (s: StoredBlock) => [unknown, number]): { value: unknown[]; bytes: number } {
    const out: unknown[] = [];
    let bytes = 2;
    for (const hash of this.range(from, to)) {
      const s = this.shared.stored(hash);
      if (s === undefined) break;
      const [value, size] = pick(s);
      out.push(value);
      bytes += size + 1;
    }
    return { value: out, bytes };
  }

  private range(from: number, to: number): Hash[] {
    const last = Math.min(to, from + SYNC_BATCH - 1, this.canonical.length - 1);
    return from > last || from < 0 ? [] : this.canonical.slice(from, last + 1);
  }

  /** The LocalChain that headers-first sync (durable-objects/sync.ts) drives, at the node's clock. */
  local(clock: () => number): LocalChain {
    return {
      status: async () => this.status(),
      weightOf: async (hash) => this.fork.get(hash)?.weight ?? null,
      canonicalHashes: async (from, to) => this.canonical.slice(Math.max(0, from), to + 1),
      hasBlock: async (hash) => this.fork.has(hash),
      submitBlocks: async (wires) => this.submitMany(wires, clock()),
    };
  }
}
