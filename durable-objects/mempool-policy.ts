/**
 * The mempool's policy as pure functions: block-candidate planning, the
 * replacement bump, eviction by fee per byte, the fee market and which
 * refusals are temporary. MempoolDO (mempool.ts) holds the storage and calls
 * these; they run unchanged in Node (test/policy/mempool-policy.test.ts).
 *
 * Block candidates: per sender, pending txs with nonces ascending and
 * contiguous from the chain's nonce + 1; senders interleaved by the fee of
 * their next tx (highest first, then oldest). Blocks are bounded by a tx
 * count (maxTxsPerBlock), so the absolute fee is what a producer maximizes;
 * the pool is bounded by bytes too, so eviction goes by fee per byte.
 *
 * Suggested fees, after the reference's fee market (§2.12): the reference
 * moves its base fee by up to 1/8 per block according to how full blocks are
 * relative to a target of half the maximum block. Here the pending backlog
 * stands for those blocks: with `k = ⌊pending / (maxTxsPerBlock / 2)⌋`
 * target-size blocks waiting, the base fee is `MIN_BASE_FEE × (9/8)^k` (what
 * k consecutive full blocks would have made it), capped at `MAX_BASE_FEE`
 * (the reference's 0.001 and 100 DOIN). The suggestions add the reference's
 * tips: low 0.1×, normal 0.5×, high 1.0×, urgent 2.0× the base fee. They are
 * advice: the protocol's minimum fee is 0 and the pool's only hard floor is
 * the eviction rule when it is full, reported as `evictionFloor`.
 */
import { COIN_UNIT } from "../core/params.ts";
import type { ChainParams } from "../core/types.ts";
import type { FeeSuggestion } from "./rpc.ts";

/** Default bound on the number of pending txs. */
export const MAX_TXS = 5_000;
/** Default bound on the canonical bytes of pending txs (1,024 txs of the maximum size). */
export const MAX_BYTES = 8 * 1024 * 1024;
/** A tx may be at most this many nonces ahead of its sender's last applied nonce. */
export const MAX_NONCE_AHEAD = 64;
/** A replacement (same sender and nonce) must pay at least this much more, parts per million (+10 %). */
export const REPLACE_BUMP_PPM = 100_000n;
/** The reference's fee-market bounds, in base units (0.001 and 100 DOIN). */
export const MIN_BASE_FEE = COIN_UNIT / 1_000n;
export const MAX_BASE_FEE = 100n * COIN_UNIT;
/** The reference's suggested tips over the base fee, parts per million. */
export const FEE_TIPS_PPM = { low: 100_000n, normal: 500_000n, high: 1_000_000n, urgent: 2_000_000n } as const;
/** Per-tx refusals by the chain that may pass in a later block: the tx stays pending. */
export const TEMPORARY_CODES: readonly string[] = ["BELOW_THRESHOLD", "REVEAL_TOO_EARLY", "TOO_MANY_OPEN_ROUNDS", "NOT_VERIFIED", "TOO_MANY_TXS"];
/** Refusals of a whole block that only mean "not this node, not now": nothing is dropped. */
export const NOT_NOW_CODES = ["BELOW_THRESHOLD", "OUT_OF_TURN", "NOT_A_PRODUCER"] as const;
export type NotNowCode = (typeof NOT_NOW_CODES)[number];

export function isNotNow(code: string): code is NotNowCode {
  return (NOT_NOW_CODES as readonly string[]).includes(code);
}

/** A pending tx as the planner and the eviction rule see it (the `pending` table's columns). */
export type PendingRow = {
  readonly id: string;
  readonly sender: string;
  readonly nonce: number;
  /** base units, decimal */
  readonly fee: string;
  readonly kind: string;
  /** canonical bytes */
  readonly size: number;
  readonly received_at: number;
};

/** The fee zero-padded to 20 digits: compares as text exactly as the integers compare (fees are < 2^63). */
export function feeSort(fee: bigint): string {
  return fee.toString().padStart(20, "0");
}

/** a/as > b/bs for fee per byte, exactly. */
export function paysMorePerByte(fee: bigint, size: number, otherFee: bigint, otherSize: number): boolean {
  return fee * BigInt(otherSize) > otherFee * BigInt(size);
}

/** The least fee that replaces a pending tx paying `old`: REPLACE_BUMP_PPM more, rounded up, and strictly more. */
export function replacementMinFee(old: bigint): bigint {
  const needed = old + (old * REPLACE_BUMP_PPM + 999_999n) / 1_000_000n;
  return needed > old ? needed : old + 1n;
}

/** core's txSpend of a pending tx's stored wire form (fee, transfer amount, commit bond). */
export function spendOfWire(wire: string, params: ChainParams): bigint {
  const w = JSON.parse(wire) as { kind: string; fee: string; body: { amount?: string; domain?: string } };
  if (w.kind === "transfer" && typeof w.body.amount === "string") return BigInt(w.fee) + BigInt(w.body.amount);
  if (w.kind === "commit") return BigInt(w.fee) + (params.domains.find((d) => d.id === w.body.domain)?.bond ?? 0n);
  return BigInt(w.fee);
}

interface HeapItem {
  readonly fee: bigint;
  readonly at: number;
  readonly id: string;
  readonly sender: string;
}

/** Max-heap of senders by the fee of their next candidate (then oldest, then id). */
export class SenderHeap {
  private readonly items: HeapItem[] = [];
  get size(): number {
    return this.items.length;
  }
  private before(i: number, j: number): boolean {
    const a = this.items[i] as HeapItem;
    const b = this.items[j] as HeapItem;
    if (a.fee !== b.fee) return a.fee > b.fee;
    if (a.at !== b.at) return a.at < b.at;
    return a.id < b.id;
  }
  private swap(i: number, j: number): void {
    const t = this.items[i] as HeapItem;
    this.items[i] = this.items[j] as HeapItem;
    this.items[j] = t;
  }
  push(item: HeapItem): void {
    this.items.push(item);
    let i = this.items.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.before(i, p)) break;
      this.swap(i, p);
      i = p;
    }
  }
  pop(): HeapItem | undefined {
    const top = this.items[0];
    const last = this.items.pop();
    if (top === undefined || last === undefined || this.items.length === 0) return top;
    this.items[0] = last;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < this.items.length && this.before(l, m)) m = l;
      if (r < this.items.length && this.before(r, m)) m = r;
      if (m === i) break;
      this.swap(i, m);
      i = m;
    }
    return top;
  }
}

export interface Plan<R extends PendingRow> {
  /** at most `max` txs in block order */
  readonly chosen: readonly R[];
  /** pending txs whose nonce the chain has already applied */
  readonly stale: readonly R[];
}

/**
 * Chooses block candidates from pending rows (sorted by sender, then nonce):
 * per sender the contiguous run from the chain's nonce + 1 (`nonces`: the
 * last applied nonce per sender, 0 when absent), senders interleaved by the
 * fee of their next tx.
 */
export function planCandidates<R extends PendingRow>(rows: readonly R[], nonces: ReadonlyMap<string, number>, max: number): Plan<R> {
  const bySender = new Map<string, R[]>();
  for (const r of rows) {
    const list = bySender.get(r.sender);
    if (list === undefined) bySender.set(r.sender, [r]);
    else list.push(r);
  }
  const stale: R[] = [];
  const queues = new Map<string, R[]>();
  const heap = new SenderHeap();
  for (const [sender, list] of bySender) {
    const applied = nonces.get(sender) ?? 0;
    const queue: R[] = [];
    let next = applied + 1;
    for (const r of list) {
      if (r.nonce <= applied) stale.push(r);
      else if (r.nonce === next) {
        queue.push(r);
        next++;
      }
    }
    if (queue.length === 0) continue;
    queue.reverse(); // pop() from the end = lowest nonce first
    queues.set(sender, queue);
    const head = queue[queue.length - 1] as R;
    heap.push({ fee: BigInt(head.fee), at: head.received_at, id: head.id, sender });
  }
  const chosen: R[] = [];
  while (chosen.length < max && heap.size > 0) {
    const top = heap.pop() as HeapItem;
    const queue = queues.get(top.sender) as R[];
    chosen.push(queue.pop() as R);
    const head = queue[queue.length - 1];
    if (head !== undefined) heap.push({ fee: BigInt(head.fee), at: head.received_at, id: head.id, sender: top.sender });
  }
  return { chosen, stale };
}

/** The distinct senders of pending rows, in first-seen order. */
export function sendersOf(rows: readonly PendingRow[]): string[] {
  return [...new Set(rows.map((r) => r.sender))];
}

export type EvictionPlan = { readonly ok: true; readonly evicted: readonly string[]; readonly freedBytes: number } | { readonly ok: false; readonly message: string };

/**
 * Room for a newcomer of `size` bytes paying `fee` in a pool holding `count`
 * txs and `bytes` (the replaced tx, if any, already taken out): the cheapest
 * pending txs, `cheapestFirst()` (fee per byte ascending, then newest first; read only when needed),
 * are evicted while the pool is over its bounds, but only if the newcomer
 * pays strictly more per byte than every one of them.
 */
export function evictionPlan(
  newcomer: { readonly fee: bigint; readonly size: number; readonly replaces: string | null },
  pool: { readonly count: number; readonly bytes: number; readonly maxTxs: number; readonly maxBytes: number },
  cheapestFirst: () => Iterable<PendingRow>,
): EvictionPlan {
  let { count, bytes } = pool;
  const { maxTxs, maxBytes } = pool;
  const fits = (): boolean => count + 1 <= maxTxs && bytes + newcomer.size <= maxBytes;
  if (fits()) return { ok: true, evicted: [], freedBytes: 0 };
  if (newcomer.size > maxBytes) return { ok: false, message: `tx is ${newcomer.size} bytes, the mempool holds at most ${maxBytes}` };
  const evicted: string[] = [];
  let freedBytes = 0;
  for (const v of cheapestFirst()) {
    if (fits()) break;
    if (v.id === newcomer.replaces) continue;
    if (!paysMorePerByte(newcomer.fee, newcomer.size, BigInt(v.fee), v.size)) {
      return { ok: false, message: `the mempool is full; a tx needs more than ${v.fee} per ${v.size} bytes to evict the cheapest` };
    }
    evicted.push(v.id);
    freedBytes += v.size;
    count -= 1;
    bytes -= v.size;
  }
  if (!fits()) return { ok: false, message: "the mempool is full" };
  return { ok: true, evicted, freedBytes };
}

/** Suggested fees for a pool of `count` txs and `bytes` (see the module comment). */
export function suggestFees(
  pool: { readonly count: number; readonly bytes: number; readonly maxTxs: number; readonly maxBytes: number },
  params: Pick<ChainParams, "maxTxsPerBlock" | "maxTxBytes">,
  cheapest: { readonly fee: string; readonly size: number } | undefined,
): FeeSuggestion {
  const { count, bytes, maxTxs, maxBytes } = pool;
  const fullnessPpm = Math.min(1_000_000, Math.max(Math.floor((count * 1_000_000) / maxTxs), Math.floor((bytes * 1_000_000) / maxBytes)));
  const target = Math.max(1, Math.floor(params.maxTxsPerBlock / 2));
  const backlogBlocks = Math.floor(count / target);
  let base = MIN_BASE_FEE;
  for (let i = 0; i < backlogBlocks && base < MAX_BASE_FEE; i++) base = (base * 9n) / 8n;
  if (base > MAX_BASE_FEE) base = MAX_BASE_FEE;
  const tip = (ppm: bigint): string => (base + (base * ppm) / 1_000_000n).toString();
  const full = count >= maxTxs || bytes + params.maxTxBytes > maxBytes;
  return {
    baseFee: base.toString(),
    low: tip(FEE_TIPS_PPM.low),
    normal: tip(FEE_TIPS_PPM.normal),
    high: tip(FEE_TIPS_PPM.high),
    urgent: tip(FEE_TIPS_PPM.urgent),
    pending: count,
    pendingBytes: bytes,
    fullnessPpm,
    backlogBlocks,
    evictionFloor: full && cheapest !== undefined ? { fee: cheapest.fee, size: cheapest.size } : null,
  };
}

/**
 * Whether a tx the chain refused in a block may pass in a later one (then it
 * stays pending): a TEMPORARY_CODES refusal; a BAD_NONCE whose nonce is still
 * ahead of the sender's (`appliedNonce`, read after the block); an
 * UNKNOWN_COMMIT / UNKNOWN_OPTIMAE whose referenced tx (`ref`) was included
 * in this very block or is still pending here (`isPending`).
 */
export function isTemporary(
  code: string,
  tx: { readonly nonce: number; readonly appliedNonce: number; readonly ref: string | null },
  included: ReadonlySet<string>,
  isPending: (id: string) => boolean,
): boolean {
  if (TEMPORARY_CODES.includes(code)) return true;
  if (code === "BAD_NONCE") return tx.nonce > tx.appliedNonce;
  if (code === "UNKNOWN_COMMIT" || code === "UNKNOWN_OPTIMAE") return tx.ref !== null && (included.has(tx.ref) || isPending(tx.ref));
  return false;
}

/** The tx a commit-referencing refusal names: a reveal's commit or a vote's/accept's optimae, from the wire body. */
export function referenceOf(code: string, wire: unknown): string | null {
  const body = (wire as { body?: Record<string, unknown> } | undefined)?.body;
  const ref = body?.[code === "UNKNOWN_COMMIT" ? "commit" : "optimae"];
  return typeof ref === "string" ? ref : null;
}
