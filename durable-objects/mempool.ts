/**
 * MempoolDO: the node's pending transactions (one instance, named
 * `MEMPOOL_NAME` in stubs.ts). It admits signed transactions after the stateless checks,
 * the signature and cheap stateful pre-checks against the chain; bounds
 * itself by count and bytes, evicting by fee per byte; orders candidates for
 * a block; and, from its alarm, asks the ChainDO to produce blocks.
 *
 * Admission (`submit`), in this order, nothing stored before the last step:
 * 1. `parseTx`: exact shape, bounds, size ≤ maxTxBytes, network, id.
 * 2. `verifySignature` over the id bytes (BAD_SIGNATURE).
 * 3. Duplicate: already pending, or already in the canonical chain
 *    (`ChainDO.knownTxs`) → ALREADY_KNOWN.
 * 4. Against `ChainDO.account(sender)`: nonce ≤ the last applied nonce is a
 *    replay (BAD_NONCE); a nonce more than `MAX_NONCE_AHEAD` ahead is refused
 *    (BAD_NONCE); the balance must cover the fee (+ amount for transfers, bond for commits)
 *    of this tx *and* of the sender's pending txs with lower nonces
 *    (INSUFFICIENT_BALANCE).
 * 5. Same sender and nonce already pending: the newcomer replaces it only
 *    with a fee at least `REPLACE_BUMP_PPM` higher (and strictly higher),
 *    else FEE_TOO_LOW.
 * 6. Bounds (`maxTxs` count, `maxBytes` canonical bytes): when full, the
 *    cheapest pending txs (fee per byte ascending, then newest first) are
 *    evicted to make room, but only if the newcomer pays strictly more per
 *    byte than every one of them; else MEMPOOL_FULL.
 *
 * Block candidates: per sender, pending txs with nonces ascending and
 * contiguous from the chain's nonce + 1; senders interleaved by the fee of
 * their next tx (highest first, then oldest). Blocks are bounded by a tx
 * count (maxTxsPerBlock), so the absolute fee is what a producer maximizes;
 * the pool is bounded by bytes too, so eviction goes by fee per byte.
 *
 * Suggested fees (`fees()`), after the reference's fee market (§2.12):
 * the reference moves its base fee by up to 1/8 per block according to how
 * full blocks are relative to a target of half the maximum block. Here the
 * pending backlog stands for those blocks: with `k = ⌊pending /
 * (maxTxsPerBlock / 2)⌋` target-size blocks waiting, the base fee is
 * `MIN_BASE_FEE × (9/8)^k` (what k consecutive full blocks would have made
 * it), capped at `MAX_BASE_FEE` (the reference's 0.001 and 100 DOIN). The
 * suggestions add the reference's tips: low 0.1×, normal 0.5×, high 1.0×,
 * urgent 2.0× the base fee. They are advice: the protocol's minimum fee is
 * 0 and the pool's only hard floor is the eviction rule when it is full,
 * reported as `evictionFloor`.
 *
 * Assembly (`assemble`, and the alarm every `ASSEMBLE_INTERVAL_MS` while
 * txs are pending): drops expired (older than `TX_TTL_MS`) and stale (nonce
 * already applied) txs, passes the candidates to `ChainDO.produce`, removes
 * the included txs and the ones the state refused for good. Temporary
 * refusals stay: BELOW_THRESHOLD, OUT_OF_TURN and NOT_A_PRODUCER for the whole block (the
 * schedule's slot of this node has not come, or it does not produce at all: peers will), and per tx
 * `TEMPORARY_CODES`, a BAD_NONCE whose nonce is still in the future, and an
 * UNKNOWN_COMMIT / UNKNOWN_OPTIMAE whose referenced tx is pending here or was
 * included in this very block.
 */
import { DurableObject } from "cloudflare:workers";
import { hexToBytes } from "../core/hex.ts";
import { verifySignature } from "../core/keys.ts";
import { COIN_UNIT } from "../core/params.ts";
import type { ErrorCode } from "../core/errors.ts";
import { txSpend } from "../core/state-transition.ts";
import { createTx, parseTx, TX_KINDS, txSender, txSize, txToWire } from "../core/tx.ts";
import type { ChainParams, JsonValue, Tx, TxKind } from "../core/types.ts";
import { nodeConfig } from "./config.ts";
import { chainOf, networkOf } from "./stubs.ts";
import { failure, success, type AccountView, type ChainStatus, type NodeErrorCode, type Outcome, type ProduceResult } from "./rpc.ts";

/** Default bound on the number of pending txs. */
export const MAX_TXS = 5_000;
/** Default bound on the canonical bytes of pending txs (1,024 txs of the maximum size). */
export const MAX_BYTES = 8 * 1024 * 1024;
/** A tx may be at most this many nonces ahead of its sender's last applied nonce. */
export const MAX_NONCE_AHEAD = 64;
/** A replacement (same sender and nonce) must pay at least this much more, parts per million (+10 %). */
export const REPLACE_BUMP_PPM = 100_000n;
/** The alarm assembles a block this often while txs are pending. */
export const ASSEMBLE_INTERVAL_MS = 1_000;
/** Pending txs older than this are dropped (e.g. stuck behind a nonce gap). */
export const TX_TTL_MS = 60 * 60 * 1000;
/** How long this node's own next transaction may wait before it is given up (see repairOwnNonces). */
export const OWN_STUCK_MS = 30_000;
/** The reference's fee-market bounds, in base units (0.001 and 100 DOIN). */
export const MIN_BASE_FEE = COIN_UNIT / 1_000n;
export const MAX_BASE_FEE = 100n * COIN_UNIT;
/** The reference's suggested tips over the base fee, parts per million. */
export const FEE_TIPS_PPM = { low: 100_000n, normal: 500_000n, high: 1_000_000n, urgent: 2_000_000n } as const;
/** Per-tx refusals by the chain that may pass in a later block: the tx stays pending. */
export const TEMPORARY_CODES: readonly string[] = ["BELOW_THRESHOLD", "REVEAL_TOO_EARLY", "TOO_MANY_OPEN_ROUNDS", "NOT_VERIFIED", "TOO_MANY_TXS"];
/** Refusals of a whole block that only mean "not this node, not now": nothing is dropped. */
const NOT_NOW_CODES: readonly string[] = ["BELOW_THRESHOLD", "OUT_OF_TURN", "NOT_A_PRODUCER"];

/** What the mempool needs from the ChainDO (its RPC methods); a fake stands in for it in unit tests. */
export interface ChainLink {
  status(): Promise<ChainStatus>;
  account(address: string): Promise<AccountView>;
  knownTxs(ids: string[]): Promise<string[]>;
  /** the protocol error the (parsed, verified) tx would meet in any block from the head on (core/admission.ts), or null */
  admission(tx: Tx): Promise<{ code: ErrorCode; message: string } | null>;
  produce(candidates: JsonValue[], nowMs: number): Promise<Outcome<ProduceResult>>;
}

export interface SubmitResult {
  readonly id: string;
  readonly status: "pending";
  /** the pending tx with the same sender and nonce that this one replaced */
  readonly replaced: string | null;
  /** cheaper txs evicted to make room */
  readonly evicted: readonly string[];
}

export interface PendingTxView {
  readonly id: string;
  readonly status: "pending";
  readonly kind: string;
  readonly sender: string;
  readonly nonce: number;
  readonly fee: string;
  /** canonical bytes */
  readonly size: number;
  readonly receivedAt: number;
  /**
   * The wire form as JSON text. Text rather than JsonValue: the RPC
   * stub types expand recursive types until TypeScript gives up (TS2589).
   */
  readonly wire: string;
}

export interface MempoolList {
  readonly total: number;
  readonly bytes: number;
  /** highest fee per byte first, then oldest */
  readonly txs: readonly PendingTxView[];
}

export interface MempoolSize {
  readonly count: number;
  readonly bytes: number;
  readonly maxTxs: number;
  readonly maxBytes: number;
}

export interface FeeSuggestion {
  /** all amounts in base units, decimal strings */
  readonly baseFee: string;
  readonly low: string;
  readonly normal: string;
  readonly high: string;
  readonly urgent: string;
  readonly pending: number;
  readonly pendingBytes: number;
  /** max(count / maxTxs, bytes / maxBytes), parts per million */
  readonly fullnessPpm: number;
  /** target-size blocks (maxTxsPerBlock / 2) of pending txs: the exponent of the base fee */
  readonly backlogBlocks: number;
  /** when the pool is full: a newcomer must pay more per byte than fee / size */
  readonly evictionFloor: { readonly fee: string; readonly size: number } | null;
}

export interface CandidateList {
  readonly ids: readonly string[];
  /** the txs' wire forms as JSON text, in block order (text: see PendingTxView.wire) */
  readonly txs: readonly string[];
}

export interface AssembleResult {
  /** a block was produced */
  readonly produced: boolean;
  /** why not: "EMPTY" (no candidates), "BELOW_THRESHOLD" or "OUT_OF_TURN" (the chain said not yet), "NOT_A_PRODUCER" (never this node) */
  readonly reason: "EMPTY" | "BELOW_THRESHOLD" | "OUT_OF_TURN" | "NOT_A_PRODUCER" | null;
  readonly height: number | null;
  readonly blockHash: string | null;
  readonly candidates: number;
  readonly included: readonly string[];
  /** removed for good: refused by the chain, stale (nonce already applied) or expired */
  readonly dropped: readonly { readonly id: string; readonly code: string; readonly message: string }[];
  /** refused by the chain for now, still pending */
  readonly deferred: readonly { readonly id: string; readonly code: string }[];
  /** pending after this round */
  readonly pending: number;
}

export interface TestConfig {
  readonly maxTxs?: number;
  readonly maxBytes?: number;
  /** false: no alarm is armed and the alarm does nothing (tests call assemble themselves) */
  readonly autoAssemble?: boolean;
}

type Row = {
  id: string;
  sender: string;
  nonce: number;
  fee: string;
  kind: string;
  size: number;
  received_at: number;
};

const SCHEMA = `
CREATE TABLE IF NOT EXISTS pending (
  id TEXT PRIMARY KEY,
  sender TEXT NOT NULL,
  nonce INTEGER NOT NULL,
  fee TEXT NOT NULL,
  fee_sort TEXT NOT NULL,
  fee_rate REAL NOT NULL,
  kind TEXT NOT NULL,
  size INTEGER NOT NULL,
  received_at INTEGER NOT NULL,
  wire TEXT NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS pending_sender_nonce ON pending (sender, nonce);
CREATE INDEX IF NOT EXISTS pending_rate ON pending (fee_rate, received_at);
CREATE INDEX IF NOT EXISTS pending_received ON pending (received_at);
CREATE TABLE IF NOT EXISTS dropped (
  id TEXT PRIMARY KEY,
  code TEXT NOT NULL,
  message TEXT NOT NULL,
  at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS dropped_at ON dropped (at);
CREATE TABLE IF NOT EXISTS faucet_grants (
  address TEXT PRIMARY KEY,
  at INTEGER NOT NULL
);
`;

/** A test network's faucet gives one address coin at most this often. */
export const FAUCET_PERIOD_MS = 10 * 60_000;
/** What the faucet never gives away: the node's own bonds and fees (100 DOIN). */
export const FAUCET_RESERVE = 100n * COIN_UNIT;

/** How long, and how many, txs that left the pool without a block are remembered (GET /tx/{id} says why). */
export const DROPPED_KEEP_MS = 60 * 60_000;
export const DROPPED_KEEP_ROWS = 10_000;

/** Why a tx left the pool without reaching a block. */
export interface DroppedTxView {
  readonly id: string;
  readonly status: "dropped";
  /** the protocol code that refused it in a block, or EXPIRED, EVICTED, REPLACED */
  readonly code: string;
  readonly message: string;
  readonly droppedAt: number;
}

const ROW_COLUMNS = "id, sender, nonce, fee, kind, size, received_at";

/** The fee zero-padded to 20 digits: compares as text exactly as the integers compare (fees are < 2^63). */
function feeSort(fee: bigint): string {
  return fee.toString().padStart(20, "0");
}

/** a/as > b/bs for fee per byte, exactly. */
function paysMorePerByte(fee: bigint, size: number, otherFee: bigint, otherSize: number): boolean {
  return fee * BigInt(otherSize) > otherFee * BigInt(size);
}

/** core's txSpend of a pending tx's stored wire form (fee, transfer amount, commit bond). */
function spendOfWire(wire: string, params: ChainParams): bigint {
  const w = JSON.parse(wire) as { kind: string; fee: string; body: { amount?: string; domain?: string } };
  if (w.kind === "transfer" && typeof w.body.amount === "string") return BigInt(w.fee) + BigInt(w.body.amount);
  if (w.kind === "commit") return BigInt(w.fee) + (params.domains.find((d) => d.id === w.body.domain)?.bond ?? 0n);
  return BigInt(w.fee);
}

function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** Max-heap of senders by the fee of their next candidate (then oldest, then id). */
class SenderHeap {
  private readonly items: { fee: bigint; at: number; id: string; sender: string }[] = [];
  get size(): number {
    return this.items.length;
  }
  private before(i: number, j: number): boolean {
    const a = this.items[i]!;
    const b = this.items[j]!;
    if (a.fee !== b.fee) return a.fee > b.fee;
    if (a.at !== b.at) return a.at < b.at;
    return a.id < b.id;
  }
  private swap(i: number, j: number): void {
    const t = this.items[i]!;
    this.items[i] = this.items[j]!;
    this.items[j] = t;
  }
  push(item: { fee: bigint; at: number; id: string; sender: string }): void {
    this.items.push(item);
    let i = this.items.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.before(i, p)) break;
      this.swap(i, p);
      i = p;
    }
  }
  pop(): { fee: bigint; at: number; id: string; sender: string } | undefined {
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

interface Plan {
  readonly chosen: readonly Row[];
  /** pending txs whose nonce the chain has already applied */
  readonly stale: readonly Row[];
}

export class MempoolDO extends DurableObject<Env> {
  private readonly sql: SqlStorage;
  private maxTxs = MAX_TXS;
  private maxBytes = MAX_BYTES;
  private autoAssemble = true;
  private chainOverride: ChainLink | null = null;
  private assembling: Promise<Outcome<AssembleResult>> | null = null;
  private ownQueue: Promise<void> = Promise.resolve();

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    this.sql.exec(SCHEMA);
    void ctx.blockConcurrencyWhile(async () => {
      // A restarted object with pending txs keeps assembling.
      if (this.count() > 0 && (await ctx.storage.getAlarm()) === null) await ctx.storage.setAlarm(Date.now() + ASSEMBLE_INTERVAL_MS);
    });
  }

  // -------------------------------------------------------------------------
  // RPC

  /** Admits one wire transaction (see the module comment for the checks, in order). */
  async submit(wire: unknown): Promise<Outcome<SubmitResult>> {
    const params = this.params();
    const parsed = parseTx(wire, params);
    if (!parsed.ok) return failure(parsed.error.code, parsed.error.message);
    const tx = parsed.value;
    if (!(await verifySignature(tx.from, hexToBytes(tx.id), tx.sig))) return failure("BAD_SIGNATURE", "the signature does not verify under tx.from");
    if (this.has(tx.id)) return failure("ALREADY_KNOWN", `tx ${tx.id} is already pending`);

    const sender = txSender(tx);
    const chain = this.chain();
    // Transfers have no rule that admission could check: spare them the round trip.
    const [known, account, refused] = await Promise.all([
      chain.knownTxs([tx.id]),
      chain.account(sender),
      tx.kind === "transfer" ? null : chain.admission(tx),
    ]);
    if (known.includes(tx.id)) return failure("ALREADY_KNOWN", `tx ${tx.id} is already in the chain`);
    if (refused !== null) return failure(refused.code, refused.message);
    if (tx.nonce <= account.nonce) return failure("BAD_NONCE", `nonce ${tx.nonce} is already applied (the sender's last nonce is ${account.nonce})`);
    if (tx.nonce > account.nonce + MAX_NONCE_AHEAD) {
      return failure("BAD_NONCE", `nonce ${tx.nonce} is more than ${MAX_NONCE_AHEAD} ahead of the sender's last nonce ${account.nonce}`);
    }

    // From here on no await: the checks and the writes see one consistent pool.
    if (this.has(tx.id)) return failure("ALREADY_KNOWN", `tx ${tx.id} is already pending`);
    const spend = txSpend(tx, params);
    let committed = 0n;
    for (const r of this.sql.exec<{ wire: string }>("SELECT wire FROM pending WHERE sender = ? AND nonce < ?", sender, tx.nonce)) committed += spendOfWire(r.wire, params);
    const balance = BigInt(account.balance);
    if (committed + spend > balance) {
      const also = committed > 0n ? ` plus ${committed} for its pending txs with lower nonces` : "";
      return failure("INSUFFICIENT_BALANCE", `the sender's balance ${balance} does not cover ${spend}${also}`);
    }

    const size = txSize(tx);
    const same = this.sql.exec<Row>(`SELECT ${ROW_COLUMNS} FROM pending WHERE sender = ? AND nonce = ?`, sender, tx.nonce).toArray()[0];
    if (same !== undefined) {
      const old = BigInt(same.fee);
      const needed = old + (old * REPLACE_BUMP_PPM + 999_999n) / 1_000_000n;
      const min = needed > old ? needed : old + 1n;
      if (tx.fee < min) return failure("FEE_TOO_LOW", `tx ${same.id} with nonce ${tx.nonce} is pending with fee ${old}; a replacement needs a fee of at least ${min}`);
    }

    const evicted: string[] = [];
    let { count, bytes } = this.totals();
    if (same !== undefined) {
      count -= 1;
      bytes -= same.size;
    }
    if (count + 1 > this.maxTxs || bytes + size > this.maxBytes) {
      if (size > this.maxBytes) return failure("MEMPOOL_FULL", `tx is ${size} bytes, the mempool holds at most ${this.maxBytes}`);
      const cursor = this.sql.exec<Row>(`SELECT ${ROW_COLUMNS} FROM pending ORDER BY fee_rate ASC, received_at DESC, rowid DESC`);
      for (const v of cursor) {
        if (count + 1 <= this.maxTxs && bytes + size <= this.maxBytes) break;
        if (same !== undefined && v.id === same.id) continue;
        if (!paysMorePerByte(tx.fee, size, BigInt(v.fee), v.size)) {
          return failure("MEMPOOL_FULL", `the mempool is full; a tx needs more than ${v.fee} per ${v.size} bytes to evict the cheapest`);
        }
        evicted.push(v.id);
        count -= 1;
        bytes -= v.size;
      }
      if (count + 1 > this.maxTxs || bytes + size > this.maxBytes) return failure("MEMPOOL_FULL", "the mempool is full");
    }

    this.ctx.storage.transactionSync(() => {
      if (same !== undefined) this.sql.exec("DELETE FROM pending WHERE id = ?", same.id);
      for (const id of evicted) this.sql.exec("DELETE FROM pending WHERE id = ?", id);
      this.remember([
        ...(same === undefined ? [] : [{ id: same.id, code: "REPLACED", message: `replaced by ${tx.id}, same sender and nonce, higher fee` }]),
        ...evicted.map((id) => ({ id, code: "EVICTED", message: `evicted from a full mempool by ${tx.id}, which pays more per byte` })),
      ]);
      this.sql.exec(
        "INSERT INTO pending (id, sender, nonce, fee, fee_sort, fee_rate, kind, size, received_at, wire) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        tx.id,
        sender,
        tx.nonce,
        tx.fee.toString(),
        feeSort(tx.fee),
        Number(tx.fee) / size,
        tx.kind,
        size,
        Date.now(),
        JSON.stringify(txToWire(tx)),
      );
    });
    await this.arm();
    // Flood it to the peers (the network's seen-set stops echoes of what came from them).
    try {
      await networkOf(this.env).announce("tx", txToWire(tx));
    } catch (e) {
      console.warn("flooding failed", e instanceof Error ? e.message : e);
    }
    return success({ id: tx.id, status: "pending", replaced: same?.id ?? null, evicted });
  }

  /**
   * Builds, signs (with the node key) and submits one of this node's own
   * transactions: the QuorumDO's commits, reveals, votes and accepts. The
   * nonce is the next after the chain's and this node's pending ones; the
   * body is in wire form (bigints as decimal strings; bigint values work too).
   * Calls are serialized so that two never take the same nonce.
   */
  async submitOwn(kind: TxKind, body: unknown, fee: string = "0"): Promise<Outcome<SubmitResult>> {
    const run = this.ownQueue.then(() => this.submitOwnNow(kind, body, fee));
    this.ownQueue = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  /**
   * The faucet of a test network: the node pays `amount` (base units) from
   * its own account to `address`, at most once per FAUCET_PERIOD_MS per
   * address. A newcomer's way to its first commit bond and fees.
   */
  async faucet(address: string, amount: string, nowMs: number = Date.now()): Promise<Outcome<SubmitResult>> {
    if (!/^[0-9a-f]{40}$/.test(address)) return failure("MALFORMED", "address: expected 40 lower-case hex characters");
    const last = this.sql.exec<{ at: number }>("SELECT at FROM faucet_grants WHERE address = ?", address).toArray()[0];
    if (last !== undefined && nowMs - last.at < FAUCET_PERIOD_MS) {
      return failure("RATE_LIMITED", `this address was given coin ${Math.round((nowMs - last.at) / 1000)} s ago: once per ${FAUCET_PERIOD_MS / 60_000} minutes`);
    }
    const me = nodeConfig(this.env).nodeAddress;
    const account = await this.chain().account(me);
    let pending = 0n;
    for (const r of this.sql.exec<{ wire: string }>("SELECT wire FROM pending WHERE sender = ?", me)) pending += spendOfWire(r.wire, this.params());
    if (BigInt(account.balance) - pending - BigInt(amount) < FAUCET_RESERVE) {
      return failure("FAUCET_EMPTY", `the faucet is empty: this node keeps ${FAUCET_RESERVE / COIN_UNIT} DOIN for its own bonds and fees`);
    }
    const sent = await this.submitOwn("transfer", { to: address, amount });
    if (sent.ok) this.sql.exec("INSERT OR REPLACE INTO faucet_grants (address, at) VALUES (?, ?)", address, nowMs);
    return sent;
  }

  /** A pending tx, or NOT_FOUND. */
  async get(id: string): Promise<Outcome<PendingTxView>> {
    const row = this.sql.exec<Row & { wire: string }>(`SELECT ${ROW_COLUMNS}, wire FROM pending WHERE id = ?`, String(id)).toArray()[0];
    if (row === undefined) return failure("NOT_FOUND", `tx ${String(id)} is not pending`);
    return success(view(row));
  }

  /** Pending txs, highest fee per byte first (then oldest); limit 1..1000. */
  async list(limit = 100): Promise<Outcome<MempoolList>> {
    const n = Math.max(1, Math.min(1_000, Math.floor(Number(limit) || 100)));
    const rows = this.sql
      .exec<Row & { wire: string }>(`SELECT ${ROW_COLUMNS}, wire FROM pending ORDER BY fee_rate DESC, fee_sort DESC, received_at ASC, id ASC LIMIT ?`, n)
      .toArray();
    const { count, bytes } = this.totals();
    return success({ total: count, bytes, txs: rows.map(view) });
  }

  /** Number of pending txs. */
  async size(): Promise<number> {
    return this.count();
  }

  /** Pending count and bytes, and the bounds. */
  async usage(): Promise<Outcome<MempoolSize>> {
    const { count, bytes } = this.totals();
    return success({ count, bytes, maxTxs: this.maxTxs, maxBytes: this.maxBytes });
  }

  /** Suggested fees (see the module comment). */
  async fees(): Promise<Outcome<FeeSuggestion>> {
    const params = this.params();
    const { count, bytes } = this.totals();
    const fullnessPpm = Math.min(1_000_000, Math.max(Math.floor((count * 1_000_000) / this.maxTxs), Math.floor((bytes * 1_000_000) / this.maxBytes)));
    const target = Math.max(1, Math.floor(params.maxTxsPerBlock / 2));
    const backlogBlocks = Math.floor(count / target);
    let base = MIN_BASE_FEE;
    for (let i = 0; i < backlogBlocks && base < MAX_BASE_FEE; i++) base = (base * 9n) / 8n;
    if (base > MAX_BASE_FEE) base = MAX_BASE_FEE;
    const tip = (ppm: bigint): string => (base + (base * ppm) / 1_000_000n).toString();
    let evictionFloor: FeeSuggestion["evictionFloor"] = null;
    if (count >= this.maxTxs || bytes + params.maxTxBytes > this.maxBytes) {
      const cheapest = this.sql.exec<Row>(`SELECT ${ROW_COLUMNS} FROM pending ORDER BY fee_rate ASC, received_at DESC, rowid DESC LIMIT 1`).toArray()[0];
      if (cheapest !== undefined) evictionFloor = { fee: cheapest.fee, size: cheapest.size };
    }
    return success({
      baseFee: base.toString(),
      low: tip(FEE_TIPS_PPM.low),
      normal: tip(FEE_TIPS_PPM.normal),
      high: tip(FEE_TIPS_PPM.high),
      urgent: tip(FEE_TIPS_PPM.urgent),
      pending: count,
      pendingBytes: bytes,
      fullnessPpm,
      backlogBlocks,
      evictionFloor,
    });
  }

  /** Up to `max` (default maxTxsPerBlock) txs in block order (see the module comment). */
  async candidates(max?: number): Promise<Outcome<CandidateList>> {
    const plan = await this.plan(this.blockLimit(max));
    const texts = this.wireTexts(plan.chosen.map((r) => r.id));
    const chosen = plan.chosen.filter((r) => texts.has(r.id));
    return success({ ids: chosen.map((r) => r.id), txs: chosen.map((r) => texts.get(r.id) as string) });
  }

  /** One round: candidates → ChainDO.produce → remove what was included or refused for good. */
  async assemble(nowMs: number = Date.now()): Promise<Outcome<AssembleResult>> {
    // One round at a time (the alarm and a caller may overlap across awaits).
    while (this.assembling !== null) await this.assembling.catch(() => undefined);
    const round = this.assembleOnce(Number.isFinite(nowMs) ? nowMs : Date.now());
    this.assembling = round;
    try {
      const result = await round;
      if (result.ok) this.remember(result.value.dropped);
      return result;
    } finally {
      this.assembling = null;
    }
  }

  /** Why tx `id` left the pool without a block, while that is remembered (DROPPED_KEEP_MS, DROPPED_KEEP_ROWS). */
  async dropped(id: string): Promise<DroppedTxView | null> {
    const row = this.sql.exec<{ code: string; message: string; at: number }>("SELECT code, message, at FROM dropped WHERE id = ?", String(id)).toArray()[0];
    if (row === undefined || row.at < Date.now() - DROPPED_KEEP_MS) return null;
    return { id: String(id), status: "dropped", code: row.code, message: row.message, droppedAt: row.at };
  }

  private remember(items: readonly { readonly id: string; readonly code: string; readonly message: string }[]): void {
    if (items.length === 0) return;
    const now = Date.now();
    for (const d of items) this.sql.exec("INSERT OR REPLACE INTO dropped (id, code, message, at) VALUES (?, ?, ?, ?)", d.id, d.code, d.message.slice(0, 500), now);
    this.sql.exec("DELETE FROM dropped WHERE at < ?", now - DROPPED_KEEP_MS);
    this.sql.exec("DELETE FROM dropped WHERE id IN (SELECT id FROM dropped ORDER BY at DESC, id LIMIT -1 OFFSET ?)", DROPPED_KEEP_ROWS);
  }

  /** Test only: smaller bounds, or no automatic assembly. Held in memory (an evicted object forgets it). */
  async configureForTest(config: TestConfig): Promise<Outcome<MempoolSize>> {
    if (config.maxTxs !== undefined) this.maxTxs = Math.max(1, Math.floor(config.maxTxs));
    if (config.maxBytes !== undefined) this.maxBytes = Math.max(1, Math.floor(config.maxBytes));
    if (config.autoAssemble !== undefined) {
      this.autoAssemble = config.autoAssemble;
      if (!config.autoAssemble) await this.ctx.storage.deleteAlarm();
      else await this.arm();
    }
    return this.usage();
  }

  /** Test only, from inside the object (runInDurableObject): talk to this chain instead of the ChainDO. */
  useChainForTest(link: ChainLink | null): void {
    this.chainOverride = link;
  }

  override async alarm(): Promise<void> {
    if (!this.autoAssemble) return;
    try {
      const r = await this.assemble(Date.now());
      if (!r.ok) console.warn(`mempool: assemble refused: ${r.code}: ${r.message}`);
    } catch (e) {
      console.error(`mempool: assemble failed: ${messageOf(e)}`);
    }
    // the alarm that is running counts as unset: set the next one outright
    if (this.count() > 0) await this.ctx.storage.setAlarm(Date.now() + ASSEMBLE_INTERVAL_MS);
    else await this.ctx.storage.deleteAlarm();
  }

  // -------------------------------------------------------------------------
  // internals

  /**
   * This node's own transactions must never wait behind a nonce that will
   * not come: when its lowest pending nonce is past the chain's next one (a
   * refused or evicted own tx left a gap), or its next one has waited longer
   * than OWN_STUCK_MS while blocks went by, that one is dropped and the rest
   * are signed again with contiguous nonces (their ids change; the QuorumDO
   * gives up on a reveal it no longer sees).
   */
  private async repairOwnNonces(nowMs: number): Promise<void> {
    const me = nodeConfig(this.env).nodeAddress;
    const own = this.sql.exec<{ id: string; nonce: number; wire: string; received_at: number; fee: string }>(
      "SELECT id, nonce, wire, received_at, fee FROM pending WHERE sender = ? ORDER BY nonce",
      me,
    ).toArray();
    const first = own[0];
    if (first === undefined) return;
    const account = await this.chain().account(me);
    const gap = first.nonce > account.nonce + 1;
    const stuck = first.nonce === account.nonce + 1 && nowMs - first.received_at > OWN_STUCK_MS;
    if (!gap && !stuck) return;
    const resend = stuck ? own.slice(1) : own;
    this.remove(own.map((r) => r.id));
    for (const r of resend) {
      const tx = JSON.parse(r.wire) as { kind: TxKind; body: unknown };
      await this.submitOwnNow(tx.kind, tx.body, r.fee);
    }
  }

  private async submitOwnNow(kind: TxKind, body: unknown, fee: string): Promise<Outcome<SubmitResult>> {
    const config = nodeConfig(this.env);
    if (!TX_KINDS.includes(kind)) return failure("MALFORMED", `unknown kind ${JSON.stringify(kind)}`);
    const account = await this.chain().account(config.nodeAddress);
    // the first free nonce after the chain's: fills a gap left by an evicted or refused own tx
    let nonce = account.nonce + 1;
    for (const r of this.sql.exec<{ nonce: number }>("SELECT nonce FROM pending WHERE sender = ? AND nonce > ? ORDER BY nonce", config.nodeAddress, account.nonce)) {
      if (r.nonce !== nonce) break;
      nonce++;
    }
    let tx: Tx;
    try {
      tx = createTx(kind, bodyFromWire(kind, body) as never, { secret: config.nodeSecret, nonce, network: config.params.network, fee: BigInt(fee) });
    } catch (e) {
      // a body that cannot be encoded (floats, bad amounts): never signed
      return failure("MALFORMED", `${kind} body: ${messageOf(e)}`);
    }
    return this.submit(txToWire(tx));
  }

  private params(): ChainParams {
    return nodeConfig(this.env).params;
  }

  private chain(): ChainLink {
    if (this.chainOverride !== null) return this.chainOverride;
    return chainOf(this.env);
  }

  private blockLimit(max: number | undefined): number {
    const limit = this.params().maxTxsPerBlock;
    if (max === undefined || !Number.isFinite(max)) return limit;
    return Math.max(0, Math.min(limit, Math.floor(max)));
  }

  private has(id: string): boolean {
    return this.sql.exec("SELECT 1 FROM pending WHERE id = ?", id).toArray().length > 0;
  }

  private count(): number {
    return this.totals().count;
  }

  private totals(): { count: number; bytes: number } {
    const r = this.sql.exec<{ n: number; b: number | null }>("SELECT COUNT(*) AS n, SUM(size) AS b FROM pending").one();
    return { count: r.n, bytes: r.b ?? 0 };
  }

  /** Arms the alarm when txs are pending and none is set; clears it when the pool is empty. */
  private async arm(): Promise<void> {
    if (!this.autoAssemble) return;
    if (this.count() === 0) {
      await this.ctx.storage.deleteAlarm();
      return;
    }
    if ((await this.ctx.storage.getAlarm()) === null) await this.ctx.storage.setAlarm(Date.now() + ASSEMBLE_INTERVAL_MS);
  }

  private wireTexts(ids: readonly string[]): Map<string, string> {
    const out = new Map<string, string>();
    if (ids.length === 0) return out;
    const rows = this.sql.exec<{ id: string; wire: string }>("SELECT id, wire FROM pending WHERE id IN (SELECT value FROM json_each(?))", JSON.stringify(ids));
    for (const r of rows) out.set(r.id, r.wire);
    return out;
  }

  private wires(ids: readonly string[]): Map<string, JsonValue> {
    const out = new Map<string, JsonValue>();
    for (const [id, text] of this.wireTexts(ids)) out.set(id, JSON.parse(text) as JsonValue);
    return out;
  }

  /** Chooses candidates: per sender contiguous nonces from the chain's nonce + 1, senders by fee. */
  private async plan(max: number): Promise<Plan> {
    const rows = this.sql.exec<Row>(`SELECT ${ROW_COLUMNS} FROM pending ORDER BY sender, nonce`).toArray();
    const bySender = new Map<string, Row[]>();
    for (const r of rows) {
      const list = bySender.get(r.sender);
      if (list === undefined) bySender.set(r.sender, [r]);
      else list.push(r);
    }
    const nonces = await this.nonces([...bySender.keys()]);
    const stale: Row[] = [];
    const queues = new Map<string, Row[]>();
    const heap = new SenderHeap();
    for (const [sender, list] of bySender) {
      const applied = nonces.get(sender) ?? 0;
      const queue: Row[] = [];
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
      const head = queue[queue.length - 1]!;
      heap.push({ fee: BigInt(head.fee), at: head.received_at, id: head.id, sender });
    }
    const chosen: Row[] = [];
    while (chosen.length < max && heap.size > 0) {
      const top = heap.pop()!;
      const queue = queues.get(top.sender)!;
      chosen.push(queue.pop()!);
      const head = queue[queue.length - 1];
      if (head !== undefined) heap.push({ fee: BigInt(head.fee), at: head.received_at, id: head.id, sender: top.sender });
    }
    return { chosen, stale };
  }

  /** The chain's last applied nonce of each sender (concurrent account lookups, in chunks). */
  private async nonces(senders: readonly string[]): Promise<Map<string, number>> {
    const out = new Map<string, number>();
    const chain = this.chain();
    for (let i = 0; i < senders.length; i += 64) {
      const chunk = senders.slice(i, i + 64);
      const accounts = await Promise.all(chunk.map((s) => chain.account(s)));
      chunk.forEach((s, j) => out.set(s, accounts[j]!.nonce));
    }
    return out;
  }

  private async assembleOnce(nowMs: number): Promise<Outcome<AssembleResult>> {
    const dropped: { id: string; code: string; message: string }[] = [];
    const expired = this.sql.exec<{ id: string }>("SELECT id FROM pending WHERE received_at < ?", Date.now() - TX_TTL_MS).toArray();
    for (const { id } of expired) dropped.push({ id, code: "EXPIRED", message: `pending for more than ${TX_TTL_MS} ms` });
    this.remove(expired.map((r) => r.id));

    // serialized with submitOwn, so that nonces are handed out one at a time
    const repair = this.ownQueue.then(() => this.repairOwnNonces(nowMs));
    this.ownQueue = repair.then(
      () => undefined,
      () => undefined,
    );
    await repair.catch((e: unknown) => console.warn("own nonce repair failed", messageOf(e)));
    const plan = await this.plan(this.blockLimit(undefined));
    for (const r of plan.stale) dropped.push({ id: r.id, code: "BAD_NONCE", message: `nonce ${r.nonce} is already applied` });
    this.remove(plan.stale.map((r) => r.id));

    const base = { height: null, blockHash: null, candidates: plan.chosen.length, included: [] as string[], deferred: [] as { id: string; code: string }[] };
    if (plan.chosen.length === 0) {
      return success({ ...base, produced: false, reason: "EMPTY", dropped, pending: this.count() });
    }
    const wires = this.wires(plan.chosen.map((r) => r.id));
    const chosen = plan.chosen.filter((r) => wires.has(r.id));
    const produced = await this.chain().produce(
      chosen.map((r) => wires.get(r.id) as JsonValue),
      nowMs,
    );
    if (!produced.ok) {
      if (NOT_NOW_CODES.includes(produced.code)) {
        return success({ ...base, produced: false, reason: produced.code as "BELOW_THRESHOLD" | "OUT_OF_TURN" | "NOT_A_PRODUCER", dropped, pending: this.count() });
      }
      return failure(produced.code as NodeErrorCode, produced.message);
    }

    const result = produced.value;
    const included = new Set(result.included);
    this.remove([...included]);
    const byId = new Map(chosen.map((r) => [r.id, r]));
    const deferred: { id: string; code: string }[] = [];
    const badNonce = result.rejected.filter((r) => r.code === "BAD_NONCE" && byId.has(r.id));
    const nowNonces = await this.nonces([...new Set(badNonce.map((r) => byId.get(r.id)!.sender))]);
    const gone: string[] = [];
    for (const rej of result.rejected) {
      const row = byId.get(rej.id);
      if (row === undefined) continue;
      if (this.temporary(rej.code, row, wires.get(rej.id), included, nowNonces)) deferred.push({ id: rej.id, code: rej.code });
      else {
        gone.push(rej.id);
        dropped.push({ id: rej.id, code: rej.code, message: rej.message });
      }
    }
    this.remove(gone);
    return success({
      produced: true,
      reason: null,
      height: result.height,
      blockHash: blockHashOf(result.block),
      candidates: chosen.length,
      included: result.included,
      dropped,
      deferred,
      pending: this.count(),
    });
  }

  /** Whether a tx the chain refused may pass in a later block (then it stays pending). */
  private temporary(code: string, row: Row, wire: JsonValue | undefined, included: ReadonlySet<string>, nonces: ReadonlyMap<string, number>): boolean {
    if (TEMPORARY_CODES.includes(code)) return true;
    if (code === "BAD_NONCE") return row.nonce > (nonces.get(row.sender) ?? 0);
    if (code === "UNKNOWN_COMMIT" || code === "UNKNOWN_OPTIMAE") {
      const body = (wire as { body?: Record<string, unknown> } | undefined)?.body;
      const ref = body?.[code === "UNKNOWN_COMMIT" ? "commit" : "optimae"];
      return typeof ref === "string" && (included.has(ref) || this.has(ref));
    }
    return false;
  }

  private remove(ids: readonly string[]): void {
    if (ids.length === 0) return;
    this.sql.exec("DELETE FROM pending WHERE id IN (SELECT value FROM json_each(?))", JSON.stringify(ids));
  }
}

/** A body in wire form → the typed body createTx signs (the amounts and performances become bigints). */
function bodyFromWire(kind: TxKind, body: unknown): unknown {
  if (body === null || typeof body !== "object" || Array.isArray(body)) throw new TypeError("expected an object");
  const b = body as Record<string, unknown>;
  const big = (v: unknown): bigint => (typeof v === "bigint" ? v : BigInt(String(v)));
  switch (kind) {
    case "reveal":
      return { ...b, reported: big(b["reported"]) };
    case "vote":
      return { ...b, performance: big(b["performance"]) };
    case "transfer":
      return { ...b, amount: big(b["amount"]) };
    default:
      return { ...b };
  }
}

function view(row: Row & { wire: string }): PendingTxView {
  return {
    id: row.id,
    status: "pending",
    kind: row.kind,
    sender: row.sender,
    nonce: row.nonce,
    fee: row.fee,
    size: row.size,
    receivedAt: row.received_at,
    wire: row.wire,
  };
}

function blockHashOf(block: unknown): string | null {
  if (block === null || typeof block !== "object" || Array.isArray(block)) return null;
  const hash = (block as { readonly [k: string]: unknown })["hash"];
  return typeof hash === "string" ? hash : null;
}
