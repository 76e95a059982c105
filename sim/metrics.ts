/**
 * What the simulation counts as it runs: when each block was produced and
 * when each node first held it, the transactions made, duplicates dropped by
 * seen-sets, syncs and penalties. Messages and bytes are counted by the
 * network (sim/network.ts).
 */
import type { Block, Hash, TxKind } from "../core/types.ts";

export interface BlockRecord {
  readonly hash: Hash;
  readonly parent: Hash;
  readonly height: number;
  readonly producer: number;
  readonly producedAt: number;
  /** produced while the network was partitioned */
  readonly duringPartition: boolean;
  readonly txs: number;
  /** simulated times at which nodes first held it, in order */
  readonly held: number[];
}

export class Metrics {
  readonly blocks = new Map<Hash, BlockRecord>();
  readonly txs = new Map<TxKind, number>();
  readonly duplicates = { tx: 0, block: 0 };
  /** deliveries by gossip that a node accepted (each node accepts an item at most once) */
  readonly accepted = { tx: 0, block: 0 };
  /** accepted deliveries by the hop count they arrived with (0: from the origin) */
  readonly acceptedAtHop: number[] = [];
  syncs = 0;
  syncTriggers = 0;
  syncedBlocks = 0;
  penalties = 0;
  faultyPeers = 0;

  produced(block: Block, now: number, duringPartition: boolean, producer: number): void {
    this.blocks.set(block.hash, { hash: block.hash, parent: block.header.parent, height: block.header.height, producer, producedAt: now, duringPartition, txs: block.txs.length, held: [] });
  }

  held(hash: Hash, now: number): void {
    this.blocks.get(hash)?.held.push(now);
  }

  txCreated(kind: TxKind): void {
    this.txs.set(kind, (this.txs.get(kind) ?? 0) + 1);
  }

  duplicate(kind: "tx" | "block"): void {
    this.duplicates[kind]++;
  }

  /** gossip deliveries a node refused (not duplicates), by kind and code */
  readonly refused = new Map<string, number>();

  refusal(kind: "tx" | "block", code: string | null): void {
    const key = `${kind}:${code}`;
    this.refused.set(key, (this.refused.get(key) ?? 0) + 1);
  }

  gossiped(kind: "tx" | "block", hops: number): void {
    this.accepted[kind]++;
    this.acceptedAtHop[hops] = (this.acceptedAtHop[hops] ?? 0) + 1;
  }

  get txTotal(): number {
    let n = 0;
    for (const v of this.txs.values()) n += v;
    return n;
  }
}
