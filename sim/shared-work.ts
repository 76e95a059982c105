/**
 * What every simulated node would compute identically, computed once for
 * all of them:
 * - a block's validation: the real applyBlock (every rule, the producer's
 *   and every transaction's signature, the VRF proof, the beacon, the state
 *   root) on its parent's post-state, cached by block hash. The parent state
 *   is itself the cached result for the parent's hash, so every node would
 *   run the same function on the same input. A BAD_TIMESTAMP refusal (a
 *   block from a node's future) is not cached: it depends on the clock;
 * - a transaction's signature check, cached by transaction id;
 * - the producer schedule of the block after a state, cached by its tip;
 * - a block's wire form and sizes (what a node stores and sends).
 * Nodes hold references to these objects; the cache drops what is far below
 * the highest block (a node that still needs it computes it again).
 */
import { blockToWire, headerToWire, parseBlock } from "../core/block.ts";
import type { Result } from "../core/errors.ts";
import { hexToBytes } from "../core/hex.ts";
import { verifySignature } from "../core/keys.ts";
import { producerSchedule } from "../core/schedule.ts";
import { applyBlock } from "../core/state-transition.ts";
import { txToWire } from "../core/tx.ts";
import type { Address, Block, ChainParams, ChainState, Hash, Tx } from "../core/types.ts";
import type { Scheduler } from "./scheduler.ts";

export interface StoredBlock {
  readonly block: Block;
  readonly wire: unknown;
  readonly headerWire: unknown;
  /** bytes of the block's wire JSON */
  readonly bytes: number;
  readonly headerBytes: number;
}

export interface StoredTx {
  readonly tx: Tx;
  readonly bytes: number;
  /** its signature verified (set once the check ran) */
  signatureOk: boolean | null;
}

/** Cached entries this far below the highest block are dropped. */
const KEEP_HEIGHTS = 64;

export class SharedWork {
  private readonly blocks = new Map<Hash, StoredBlock>();
  private readonly byWire = new WeakMap<object, Block>();
  private readonly validated = new Map<Hash, { height: number; result: Result<ChainState> }>();
  private readonly schedules = new Map<Hash, { height: number; ranks: Map<Address, number> }>();
  private readonly txs = new Map<Hash, StoredTx>();
  private top = 0;
  /** applyBlock runs (cache misses) and cache hits */
  validations = 0;
  validationHits = 0;

  constructor(
    private readonly sched: Scheduler,
    private readonly params: ChainParams,
  ) {}

  block(block: Block): StoredBlock {
    const known = this.blocks.get(block.hash);
    if (known !== undefined) return known;
    const wire = blockToWire(block);
    const headerWire = headerToWire(block.header);
    const stored: StoredBlock = { block, wire, headerWire, bytes: JSON.stringify(wire).length, headerBytes: JSON.stringify(headerWire).length };
    this.blocks.set(block.hash, stored);
    this.byWire.set(wire as object, block);
    return stored;
  }

  stored(hash: Hash): StoredBlock | undefined {
    return this.blocks.get(hash);
  }

  /** The block a wire form stands for: the simulation's own wires map back to their blocks; anything else is parsed. */
  fromWire(wire: unknown): Result<Block> {
    const known = typeof wire === "object" && wire !== null ? this.byWire.get(wire) : undefined;
    return known !== undefined ? { ok: true, value: known } : parseBlock(wire, this.params);
  }

  /** applyBlock(parent, block) at the node clock `nowMs`, once per block hash for every node. */
  validate(parent: ChainState, block: Block, nowMs: number): Result<ChainState> | Promise<Result<ChainState>> {
    const hit = this.validated.get(block.hash);
    if (hit !== undefined && block.header.parent === parent.tipHash) {
      this.validationHits++;
      return hit.result;
    }
    this.validations++;
    return this.sched.cpu(
      applyBlock(parent, block, this.params, { nowMs }).then((result) => {
        if (result.ok || result.error.code !== "BAD_TIMESTAMP") this.remember(block.header.height, block.hash, result);
        return result;
      }),
    );
  }

  private remember(height: number, hash: Hash, result: Result<ChainState>): void {
    this.validated.set(hash, { height, result });
    if (height > this.top) {
      this.top = height;
      if (height % 16 === 0) this.evict(height - KEEP_HEIGHTS);
    }
  }

  private evict(below: number): void {
    for (const [h, v] of this.validated) if (v.height < below) this.validated.delete(h);
    for (const [h, v] of this.schedules) if (v.height < below) this.schedules.delete(h);
  }

  /** `producer`'s rank in the schedule for the block after `state` (−1: it may not produce): core's producerSchedule, once per tip. */
  rankOf(state: ChainState, producer: Address): number {
    let s = this.schedules.get(state.tipHash);
    if (s === undefined) {
      const ranks = new Map<Address, number>();
      producerSchedule(state, this.params).forEach((a, i) => ranks.set(a, i));
      s = { height: state.height, ranks };
      this.schedules.set(state.tipHash, s);
    }
    return s.ranks.get(producer) ?? -1;
  }

  /** A new transaction, its signature checked once (CPU work of the event that makes it). */
  async tx(tx: Tx): Promise<StoredTx> {
    let stored = this.txs.get(tx.id);
    if (stored === undefined) {
      stored = { tx, bytes: JSON.stringify(txToWire(tx)).length, signatureOk: null };
      this.txs.set(tx.id, stored);
    }
    if (stored.signatureOk === null) stored.signatureOk = await this.sched.cpu(verifySignature(tx.from, hexToBytes(tx.id), tx.sig));
    return stored;
  }

  /** The signature check of a known transaction (null: never checked). */
  signatureOk(id: Hash): boolean | null {
    return this.txs.get(id)?.signatureOk ?? null;
  }

  /** Bytes of a transaction's wire JSON. */
  txBytes(tx: Tx): number {
    return this.txs.get(tx.id)?.bytes ?? JSON.stringify(txToWire(tx)).length;
  }
}
