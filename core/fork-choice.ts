/**
 * Fork choice over block headers: the heaviest chain by cumulative verified
 * work (not the longest, reference W-C6), then by the producer schedule
 * (in-turn blocks weigh 2, out-of-turn 1: core/schedule.ts), then by the
 * lower beacon; with depth and checkpoint finality.
 *
 * Pure and in memory, like Lodestar's fork-choice: the caller validates each
 * header (signature, work, threshold, …) and feeds it here; headers-first sync
 * asks which tip to follow and which blocks to apply after a reorganization.
 *
 * The head is the greatest block under `compareHeads`. Every key is one a
 * block's producer cannot choose: the work is verified improvements, the
 * schedule weight comes from the rank the beacon gave it, and the beacon is
 * unique for its producer and height (VRF). Height and hash are not keys: an
 * equal-height block with a lower hash does not displace the head. Two blocks
 * with equal keys can only be one producer's two blocks at one height (an
 * equivocation); then the head stays where it is. Otherwise the head does not
 * depend on the order in which blocks arrive. Finality makes the tree refuse
 * blocks that do not descend from the finalized block, so reorganizations
 * never cross it (the rules are finality.ts's: isReorgAllowed where the
 * block's chain meets the finalized chain, isAtOrBelowFinality for a block
 * whose parent is unknown).
 */
import { err, ok, type Result } from "./errors.ts";
import { finalityTarget, isAtOrBelowFinality, isReorgAllowed } from "./finality.ts";
import { turnWeight } from "./schedule.ts";
import type { Fixed, Hash } from "./types.ts";

export interface HeaderNode {
  readonly hash: Hash;
  readonly parent: Hash;
  readonly height: number;
  readonly cumulativeWork: Fixed;
  /** the producer's rank in its height's schedule */
  readonly rank: number;
  /** the beacon after the block */
  readonly beacon: Hash;
}

/** A header in the tree, with the schedule weight of its chain from genesis. */
export interface WeightedNode extends HeaderNode {
  /** Σ turnWeight(rank) over the chain's blocks after genesis */
  readonly weight: number;
}

export interface Reorg {
  /** the previous head */
  readonly from: Hash;
  /** the new head */
  readonly to: Hash;
  /** the last block both chains share */
  readonly commonAncestor: Hash;
  /** number of blocks of the previous head's chain reverted (from.height − commonAncestor.height) */
  readonly depth: number;
}

export interface AddOutcome {
  readonly head: HeaderNode;
  /** set when the head moved to a chain that does not contain the previous head */
  readonly reorg: Reorg | null;
}

export interface ForkChoiceOptions {
  /** a block this many below the head on the head's chain is final (reference 6) */
  readonly finalityDepth: number;
  /** external checkpoints, height → hash: conflicting blocks are refused, reached ones are final */
  readonly checkpoints?: ReadonlyMap<number, Hash>;
  /** the root's schedule weight: 0 for genesis; a node started from a snapshot roots at that block, with its chain's weight */
  readonly rootWeight?: number;
}

/**
 * Orders candidate heads: positive when `a` is the better head, negative when
 * `b` is, 0 when neither is (then the current head stays). Greater cumulative
 * work wins, then greater schedule weight, then the lower beacon.
 */
export function compareHeads(a: WeightedNode, b: WeightedNode): number {
  if (a.cumulativeWork !== b.cumulativeWork) return a.cumulativeWork > b.cumulativeWork ? 1 : -1;
  if (a.weight !== b.weight) return a.weight > b.weight ? 1 : -1;
  if (a.beacon !== b.beacon) return a.beacon < b.beacon ? 1 : -1;
  return 0;
}

/** How many rejected hashes are remembered so that their descendants are rejected with the same code. */
const REJECTED_MEMORY = 4096;

type InheritedCode = "BELOW_FINALITY" | "CHECKPOINT_CONFLICT";

export class ForkChoice {
  private readonly nodes = new Map<Hash, WeightedNode>();
  private readonly depth: number;
  private readonly checkpoints: ReadonlyMap<number, Hash>;
  private readonly checkpointHeights: readonly number[];
  /** recently rejected blocks whose descendants inherit the rejection (insertion-ordered, bounded) */
  private readonly rejected = new Map<Hash, InheritedCode>();
  private headNode: WeightedNode;
  private finalizedNode: WeightedNode;

  constructor(genesis: HeaderNode, opts: ForkChoiceOptions) {
    if (!Number.isSafeInteger(opts.finalityDepth) || opts.finalityDepth < 0) {
      throw new RangeError(`finalityDepth must be a non-negative integer, got ${opts.finalityDepth}`);
    }
    this.depth = opts.finalityDepth;
    this.checkpoints = new Map(opts.checkpoints ?? []);
    const atGenesis = this.checkpoints.get(genesis.height);
    if (atGenesis !== undefined && atGenesis !== genesis.hash) {
      throw new RangeError(`checkpoint at height ${genesis.height} conflicts with the genesis block`);
    }
    this.checkpointHeights = [...this.checkpoints.keys()].sort((a, b) => a - b);
    const root = copy(genesis, opts.rootWeight ?? 0);
    this.nodes.set(root.hash, root);
    this.headNode = root;
    this.finalizedNode = root;
  }

  /** Adds a header. Duplicates are a no-op. The head moves iff the new block beats it under `compareHeads`. */
  add(input: HeaderNode): Result<AddOutcome> {
    if (this.nodes.has(input.hash)) return ok({ head: this.headNode, reorg: null });
    const parent = this.nodes.get(input.parent);
    const node = copy(input, (parent?.weight ?? 0) + turnWeight(input.rank));
    if (parent === undefined) {
      const inherited = this.rejected.get(node.parent);
      if (inherited !== undefined) return this.reject(node.hash, inherited, `descends from ${node.parent}, rejected with ${inherited}`);
      if (isAtOrBelowFinality(node.height, this.finalizedNode.height)) {
        return this.reject(node.hash, "BELOW_FINALITY", `height ${node.height} is at or below the finalized height ${this.finalizedNode.height}`);
      }
      return err("BAD_PARENT", `unknown parent ${node.parent}`);
    }
    if (!Number.isSafeInteger(node.rank) || node.rank < 0) return err("BAD_RANK", `rank ${node.rank} is not a non-negative integer`);
    if (!Number.isSafeInteger(node.height) || node.height !== parent.height + 1) {
      return err("BAD_HEIGHT", `height ${node.height} does not follow the parent's ${parent.height}`);
    }
    if (node.cumulativeWork < parent.cumulativeWork) {
      return err("BAD_WORK", `cumulative work ${node.cumulativeWork} is below the parent's ${parent.cumulativeWork}`);
    }
    const f = this.finalizedNode;
    if (!this.descendsFromFinalized(parent.hash)) {
      return this.reject(node.hash, "BELOW_FINALITY", `does not descend from the finalized block ${f.hash} at height ${f.height}`);
    }
    const checkpoint = this.checkpoints.get(node.height);
    if (checkpoint !== undefined && checkpoint !== node.hash) {
      return this.reject(node.hash, "CHECKPOINT_CONFLICT", `the checkpoint at height ${node.height} is ${checkpoint}`);
    }

    this.nodes.set(node.hash, node);
    const previous = this.headNode;
    if (compareHeads(node, previous) <= 0) return ok({ head: previous, reorg: null });

    this.headNode = node;
    let reorg: Reorg | null = null;
    if (node.parent !== previous.hash) {
      const ca = this.commonAncestor(previous.hash, node.hash) as HeaderNode;
      if (ca.hash !== previous.hash) {
        reorg = { from: previous.hash, to: node.hash, commonAncestor: ca.hash, depth: previous.height - ca.height };
      }
    }
    const target = finalityTarget(node.height, this.depth, this.checkpointHeights);
    if (target > f.height) this.finalizedNode = this.ancestorAt(node.hash, target) as WeightedNode;
    return ok({ head: node, reorg });
  }

  head(): WeightedNode {
    return this.headNode;
  }

  finalized(): WeightedNode {
    return this.finalizedNode;
  }

  has(hash: Hash): boolean {
    return this.nodes.has(hash);
  }

  get(hash: Hash): WeightedNode | undefined {
    return this.nodes.get(hash);
  }

  /** Number of blocks held. */
  get size(): number {
    return this.nodes.size;
  }

  /** The block at `height` on the chain ending at `hash` (the block itself at its own height); undefined if unknown. */
  ancestorAt(hash: Hash, height: number): WeightedNode | undefined {
    let n = this.nodes.get(hash);
    while (n !== undefined && n.height > height) n = this.nodes.get(n.parent);
    return n !== undefined && n.height === height ? n : undefined;
  }

  /**
   * The blocks after `fromExclusive` up to and including `to`, in the order to
   * apply them; undefined unless `fromExclusive` is an ancestor of (or is) `to`.
   */
  path(fromExclusive: Hash, to: Hash): WeightedNode[] | undefined {
    const from = this.nodes.get(fromExclusive);
    if (from === undefined) return undefined;
    const out: WeightedNode[] = [];
    let n = this.nodes.get(to);
    while (n !== undefined && n.height > from.height) {
      out.push(n);
      n = this.nodes.get(n.parent);
    }
    if (n?.hash !== from.hash) return undefined;
    return out.reverse();
  }

  /** The highest block on both chains; undefined if either is unknown or they do not meet. */
  commonAncestor(a: Hash, b: Hash): WeightedNode | undefined {
    let x = this.nodes.get(a);
    let y = this.nodes.get(b);
    if (x === undefined || y === undefined) return undefined;
    if (x.height > y.height) x = this.ancestorAt(x.hash, y.height);
    else if (y.height > x.height) y = this.ancestorAt(y.hash, x.height);
    while (x !== undefined && y !== undefined && x.hash !== y.hash) {
      x = this.nodes.get(x.parent);
      y = this.nodes.get(y.parent);
    }
    return x !== undefined && y !== undefined ? x : undefined;
  }

  /**
   * Forgets every block that neither descends from the finalized block nor is
   * one of its ancestors (branches finality has ruled out); their descendants
   * are then refused with BELOW_FINALITY. Returns how many blocks were dropped.
   */
  prune(): number {
    const f = this.finalizedNode;
    const keep = new Set<Hash>();
    for (let n: WeightedNode | undefined = f; n !== undefined; n = this.nodes.get(n.parent)) keep.add(n.hash);
    const dropped: Hash[] = [];
    for (const n of this.nodes.values()) {
      if (keep.has(n.hash)) continue;
      if (n.height > f.height && this.descendsFromFinalized(n.hash)) continue;
      dropped.push(n.hash);
    }
    for (const h of dropped) {
      this.nodes.delete(h);
      this.remember(h, "BELOW_FINALITY");
    }
    return dropped.length;
  }

  /**
   * Whether the chain ending at `hash` contains the finalized block: where it
   * meets the finalized chain is the finalized block itself if it does, a
   * block below it if not, and only the former is a reorganization
   * isReorgAllowed lets through.
   */
  private descendsFromFinalized(hash: Hash): boolean {
    const f = this.finalizedNode;
    const meet = this.commonAncestor(hash, f.hash);
    return meet !== undefined && isReorgAllowed(meet.height, f.height);
  }

  private reject(hash: Hash, code: InheritedCode, message: string): Result<AddOutcome> {
    this.remember(hash, code);
    return err(code, message);
  }

  private remember(hash: Hash, code: InheritedCode): void {
    this.rejected.delete(hash);
    this.rejected.set(hash, code);
    if (this.rejected.size > REJECTED_MEMORY) {
      const oldest = this.rejected.keys().next().value as Hash;
      this.rejected.delete(oldest);
    }
  }
}

function copy(n: HeaderNode, weight: number): WeightedNode {
  return Object.freeze({ hash: n.hash, parent: n.parent, height: n.height, cumulativeWork: n.cumulativeWork, rank: n.rank, beacon: n.beacon, weight });
}
