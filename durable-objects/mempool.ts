/**
 * MempoolDO: the node's pending transactions (one instance, named
 * `MEMPOOL_NAME` in stubs.ts). It admits signed transactions after the
 * stateless checks, the signature and cheap stateful pre-checks against the
 * chain; bounds itself by count and bytes, evicting by fee per byte; orders
 * candidates for a block; and, from its alarm, asks the ChainDO to produce
 * blocks. The rules it applies are in mempool-policy.ts (pure); the node's own
 * transactions are signed by node-wallet.ts.
 *
 * Admission (`submit`, `submitMany`), in this order, nothing stored before
 * the last step:
 * 1. `parseTx`: exact shape, bounds, size ≤ maxTxBytes, network, id.
 * 2. `verifySignature` over the id bytes (BAD_SIGNATURE); a batch's
 *    signatures are verified concurrently.
 * 3. Duplicate: already pending → ALREADY_KNOWN.
 * 4. One `ChainDO.screen` call for the whole batch: already in the canonical
 *    chain → ALREADY_KNOWN; core/admission.ts's refusal (a rule no pending tx
 *    can cure) → its code; a nonce ≤ the last applied nonce is a replay
 *    (BAD_NONCE); a nonce more than `MAX_NONCE_AHEAD` ahead is refused
 *    (BAD_NONCE).
 * 5. The balance must cover the fee (+ amount for transfers, bond for
 *    commits) of this tx *and* of the sender's pending txs with lower nonces
 *    (INSUFFICIENT_BALANCE).
 * 6. Same sender and nonce already pending: the newcomer replaces it only
 *    with a fee at least `REPLACE_BUMP_PPM` higher (and strictly higher),
 *    else FEE_TOO_LOW.
 * 7. Bounds (`maxTxs` count, `maxBytes` canonical bytes): when full, the
 *    cheapest pending txs (fee per byte ascending, then newest first) are
 *    evicted to make room, but only if the newcomer pays strictly more per
 *    byte than every one of them; else MEMPOOL_FULL.
 * Steps 5–7 and the writes run without an await, so they see one consistent
 * pool; the answer does not wait for the flooding to peers.
 *
 * Assembly (`assemble`, and the alarm every `ASSEMBLE_INTERVAL_MS` while
 * txs are pending, or at the node's own slot when that comes sooner; the
 * node's one block-production scheduler): drops expired
 * (older than `TX_TTL_MS`) and stale (nonce already applied) txs, passes the
 * candidates to `ChainDO.produce`, removes the included txs and the ones the
 * state refused for good. Temporary refusals stay: BELOW_THRESHOLD,
 * OUT_OF_TURN and NOT_A_PRODUCER for the whole block (the schedule's slot of
 * this node has not come, or it does not produce at all: peers will), and per
 * tx those `isTemporary` names.
 */
import { DurableObject } from "cloudflare:workers";
import { hexToBytes } from "../core/hex.ts";
import { verifySignature } from "../core/keys.ts";
import { COIN_UNIT } from "../core/params.ts";
import { txSpend } from "../core/state-transition.ts";
import { parseTx, txSender, txSize, txToWire, WIRE_PATTERNS } from "../core/tx.ts";
import type { ChainParams, JsonValue, Tx, TxKind } from "../core/types.ts";
import { nodeConfig, type NodeConfig } from "./config.ts";
import {
  evictionPlan,
  feeSort,
  isNotNow,
  isTemporary,
  MAX_BYTES,
  MAX_NONCE_AHEAD,
  MAX_TXS,
  planCandidates,
  referenceOf,
  replacementMinFee,
  sendersOf,
  spendOfWire,
  suggestFees,
  type PendingRow,
  type Plan,
} from "./mempool-policy.ts";
import { NodeWallet, type OwnPending } from "./node-wallet.ts";
import {
  failure,
  success,
  type AccountView,
  type AssembleResult,
  type CandidateList,
  type DroppedTxView,
  type FeeSuggestion,
  type MempoolList,
  type MempoolSize,
  type NodeErrorCode,
  type Outcome,
  type PendingTxView,
  type ProduceResult,
  type SubmitResult,
  type TxScreen,
} from "./rpc.ts";
import { chainOf, networkOf } from "./stubs.ts";

/** The alarm assembles a block this often while txs are pending. */
export const ASSEMBLE_INTERVAL_MS = 1_000;
/** The soonest a slot wake-up is set for (a slot that has just come is tried at once, not in a loop). */
const MIN_WAKE_MS = 5;
/** Pending txs older than this are dropped (e.g. stuck behind a nonce gap). */
export const TX_TTL_MS = 60 * 60 * 1000;
/** Transactions one submitMany call (POST /tx/batch) takes. */
export const MAX_BATCH_TXS = 100;

/** What the mempool needs from the ChainDO (its RPC methods); a fake stands in for it in unit tests. */
export interface ChainLink {
  account(address: string): Promise<AccountView>;
  /** per tx: known to the canonical chain, the sender's nonce and balance, admission's refusal */
  screen(txs: readonly Tx[]): Promise<TxScreen[]>;
  /** each sender's last applied nonce (absent: 0) */
  nonces(senders: readonly string[]): Promise<Record<string, number>>;
  produce(candidates: JsonValue[], nowMs: number): Promise<Outcome<ProduceResult>>;
  /** when this node's next production slot on the head comes; null: it has come, or this node may not produce */
  nextSlot(nowMs: number): Promise<number | null>;
}

export interface TestConfig {
  readonly maxTxs?: number;
  readonly maxBytes?: number;
  /** false: no alarm is armed and the alarm does nothing (tests call assemble themselves) */
  readonly autoAssemble?: boolean;
}

type Row = PendingRow;

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

const ROW_COLUMNS = "id, sender, nonce, fee, kind, size, received_at";

function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

type Refusal = { readonly ok: false; readonly code: NodeErrorCode; readonly message: string };

export class MempoolDO extends DurableObject<Env> {
  private readonly config: NodeConfig;
  private readonly sql: SqlStorage;
  private readonly wallet: NodeWallet;
  private maxTxs = MAX_TXS;
  private maxBytes = MAX_BYTES;
  private autoAssemble = true;
  private chainOverride: ChainLink | null = null;
  private assembling: Promise<Outcome<AssembleResult>> | null = null;
  /** an alarm this object set and that has not run yet (spares a storage read per submission) */
  private alarmArmed = false;
  /** until when a QuorumDO asked for blocks even without transactions (liveness: round deadlines need heights) */
  private blocksWantedUntil = 0;
  /** the pool's count and bytes, kept beside the table (a COUNT over it per admission would grow with the pool); null: read again */
  private cachedTotals: { count: number; bytes: number } | null = null;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    this.sql.exec(SCHEMA);
    const config = nodeConfig(env);
    this.config = config;
    this.wallet = new NodeWallet(
      { secret: config.nodeSecret, address: config.nodeAddress, network: config.params.network },
      {
        ownPending: () => this.ownPending(),
        chainNonce: async () => (await this.chain().account(config.nodeAddress)).nonce,
        remove: (ids) => this.remove(ids),
        addOwn: async (tx) => this.addOwn(tx),
      },
    );
    void ctx.blockConcurrencyWhile(async () => {
      // A restarted object with pending txs keeps assembling.
      if (this.count() > 0 && (await ctx.storage.getAlarm()) === null) await ctx.storage.setAlarm(Date.now() + ASSEMBLE_INTERVAL_MS);
    });
  }

  // -------------------------------------------------------------------------
  // RPC

  /** Admits one wire transaction (see the module comment for the checks, in order). */
  async submit(wire: unknown): Promise<Outcome<SubmitResult>> {
    const [result] = await this.submitMany([wire]);
    return result as Outcome<SubmitResult>;
  }

  /**
   * Admits up to MAX_BATCH_TXS wire transactions, each with the checks of
   * `submit` and its own outcome (in order); the chain is asked once for all
   * of them and their signatures are verified concurrently. A transaction
   * sees the ones before it in the batch (a sender's nonces may follow each
   * other).
   */
  async submitMany(wires: readonly unknown[]): Promise<Outcome<SubmitResult>[]> {
    if (wires.length > MAX_BATCH_TXS) return wires.map(() => failure("TOO_LARGE", `at most ${MAX_BATCH_TXS} transactions per batch`));
    const params = this.params();
    const parsed = await Promise.all(
      wires.map(async (wire): Promise<Tx | Refusal> => {
        const p = parseTx(wire, params);
        if (!p.ok) return failure(p.error.code, p.error.message);
        const tx = p.value;
        if (!(await verifySignature(tx.from, hexToBytes(tx.id), tx.sig))) return failure("BAD_SIGNATURE", "the signature does not verify under tx.from");
        return tx;
      }),
    );
    return this.admit(parsed);
  }

  /**
   * Builds, signs (with the node key) and submits one of this node's own
   * transactions: the QuorumDO's commits, reveals, votes and accepts. The
   * nonce is the next after the chain's and this node's pending ones; the
   * body is in wire form (bigints as decimal strings; bigint values work too).
   * Calls are serialized so that two never take the same nonce.
   */
  async submitOwn(kind: TxKind, body: unknown, fee: string = "0"): Promise<Outcome<SubmitResult>> {
    return this.wallet.submit(kind, body, fee);
  }

  /**
   * The faucet of a test network: the node pays `amount` (base units) from
   * its own account to `address`, at most once per FAUCET_PERIOD_MS per
   * address. A newcomer's way to its first commit bond and fees.
   */
  async faucet(address: string, amount: string, nowMs: number = Date.now()): Promise<Outcome<SubmitResult>> {
    if (!WIRE_PATTERNS.address.test(address)) return failure("MALFORMED", "address: expected 40 lower-case hex characters");
    const last = this.sql.exec<{ at: number }>("SELECT at FROM faucet_grants WHERE address = ?", address).toArray()[0];
    if (last !== undefined && nowMs - last.at < FAUCET_PERIOD_MS) {
      return failure("RATE_LIMITED", `this address was given coin ${Math.round((nowMs - last.at) / 1000)} s ago: once per ${FAUCET_PERIOD_MS / 60_000} minutes`);
    }
    const account = await this.chain().account(this.config.nodeAddress);
    let pending = 0n;
    for (const r of this.ownPending()) pending += spendOfWire(r.wire, this.params());
    if (BigInt(account.balance) - pending - BigInt(amount) < FAUCET_RESERVE) {
      return failure("FAUCET_EMPTY", `the faucet is empty: this node keeps ${FAUCET_RESERVE / COIN_UNIT} DOIN for its own bonds and fees`);
    }
    const sent = await this.submitOwn("transfer", { to: address, amount });
    if (sent.ok) this.sql.exec("INSERT OR REPLACE INTO faucet_grants (address, at) VALUES (?, ?)", address, nowMs);
    return sent;
  }

  /**
   * Open rounds wait for heights: until `forMs` from now the alarm runs even
   * with nothing pending and asks the chain for an empty carrier block in this
   * node's turn (the QuorumDO asks again while rounds wait). In memory: an
   * evicted object forgets it until the next request.
   */
  async keepBlocksComing(forMs: number): Promise<void> {
    this.blocksWantedUntil = Math.max(this.blocksWantedUntil, Date.now() + Math.max(0, Math.min(forMs, 60_000)));
    await this.arm();
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
    const rows = this.sql.exec<Row & { wire: string }>(`SELECT ${ROW_COLUMNS}, wire FROM pending ORDER BY fee_rate DESC, fee_sort DESC, received_at ASC, id ASC LIMIT ?`, n).toArray();
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

  /** Suggested fees (mempool-policy.ts). */
  async fees(): Promise<Outcome<FeeSuggestion>> {
    const { count, bytes } = this.totals();
    const cheapest = this.sql.exec<Row>(`SELECT ${ROW_COLUMNS} FROM pending ORDER BY fee_rate ASC, received_at DESC, rowid DESC LIMIT 1`).toArray()[0];
    return success(suggestFees({ count, bytes, maxTxs: this.maxTxs, maxBytes: this.maxBytes }, this.params(), cheapest));
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

  /** Test only: smaller bounds, or no automatic assembly. Held in memory (an evicted object forgets it). */
  async configureForTest(config: TestConfig): Promise<Outcome<MempoolSize>> {
    if (config.maxTxs !== undefined) this.maxTxs = Math.max(1, Math.floor(config.maxTxs));
    if (config.maxBytes !== undefined) this.maxBytes = Math.max(1, Math.floor(config.maxBytes));
    if (config.autoAssemble !== undefined) {
      this.autoAssemble = config.autoAssemble;
      if (!config.autoAssemble) {
        await this.ctx.storage.deleteAlarm();
        this.alarmArmed = false;
      } else await this.arm();
    }
    return this.usage();
  }

  /** Test only, from inside the object (runInDurableObject): talk to this chain instead of the ChainDO. */
  useChainForTest(link: ChainLink | null): void {
    this.chainOverride = link;
  }

  override async alarm(): Promise<void> {
    this.alarmArmed = false;
    if (!this.autoAssemble) return;
    let early = false;
    try {
      const r = await this.assemble(Date.now());
      if (!r.ok) console.warn(`mempool: assemble refused: ${r.code}: ${r.message}`);
      else early = r.value.reason === "OUT_OF_TURN" || r.value.reason === "BELOW_THRESHOLD";
    } catch (e) {
      console.error(`mempool: assemble failed: ${messageOf(e)}`);
    }
    // the alarm that is running counts as unset: set the next one outright
    if (this.count() > 0 || this.blocksWanted()) {
      await this.ctx.storage.setAlarm(await this.nextTry(early));
      this.alarmArmed = true;
    } else await this.ctx.storage.deleteAlarm();
  }

  /**
   * When to try again: in ASSEMBLE_INTERVAL_MS, or at this node's own slot
   * when that comes sooner (a try that came too early). Waking only every
   * interval let the next producer in the schedule, whose slot is 500 ms
   * later on devnet, often produce first: the simulator's fork rate halved
   * with slot wake-ups (README, "How far it scales").
   */
  private async nextTry(early: boolean): Promise<number> {
    const now = Date.now();
    const periodic = now + ASSEMBLE_INTERVAL_MS;
    if (!early) return periodic;
    const slot = await this.chain()
      .nextSlot(now)
      .catch(() => null);
    return slot === null ? periodic : Math.min(periodic, Math.max(slot, now + MIN_WAKE_MS));
  }

  // -------------------------------------------------------------------------
  // admission

  /**
   * Steps 3–7 of the module comment for parsed, verified transactions (a
   * refusal from steps 1–2 passes through in its place). One chain call for
   * all of them, then the checks and writes without an await.
   */
  private async admit(items: readonly (Tx | Refusal)[]): Promise<Outcome<SubmitResult>[]> {
    const pending = this.pendingIds(items.filter((it): it is Tx => !isRefusal(it)).map((tx) => tx.id));
    const results: (Outcome<SubmitResult> | null)[] = items.map((it) => (isRefusal(it) ? it : pending.has(it.id) ? failure("ALREADY_KNOWN", `tx ${it.id} is already pending`) : null));
    const ask = items.filter((it, i): it is Tx => results[i] === null && !isRefusal(it));
    const screens = ask.length === 0 ? [] : await this.chain().screen(ask);
    const screenOf = new Map(ask.map((tx, i) => [tx, screens[i] as TxScreen]));

    // From here on no await: the checks and the writes see one consistent pool.
    const params = this.params();
    const accepted: Tx[] = [];
    items.forEach((it, i) => {
      if (results[i] !== null || isRefusal(it)) return;
      const screen = screenOf.get(it) as TxScreen;
      const r = this.admitOne(it, screen, params);
      results[i] = r;
      if (r.ok) accepted.push(it);
    });
    if (accepted.length > 0) {
      if (!this.alarmArmed) await this.arm();
      // Flood them to the peers (the network's seen-set stops echoes of what came from them); the answer does not wait.
      this.ctx.waitUntil(
        networkOf(this.env)
          .announceMany(
            "tx",
            accepted.map((tx) => txToWire(tx)),
          )
          .then(
            () => undefined,
            (e: unknown) => console.warn("flooding failed", messageOf(e)),
          ),
      );
    }
    return results as Outcome<SubmitResult>[];
  }

  /** A transaction this node just signed: the exact protocol checks of parseTx, no signature check. */
  private async addOwn(tx: Tx): Promise<Outcome<SubmitResult>> {
    const parsed = parseTx(txToWire(tx), this.params());
    if (!parsed.ok) return failure(parsed.error.code, parsed.error.message);
    const [result] = await this.admit([parsed.value]);
    return result as Outcome<SubmitResult>;
  }

  /** Steps 4–7 for one transaction, and its write. */
  private admitOne(tx: Tx, screen: TxScreen, params: ChainParams): Outcome<SubmitResult> {
    if (screen.known) return failure("ALREADY_KNOWN", `tx ${tx.id} is already in the chain`);
    if (screen.refusal !== null) return failure(screen.refusal.code, screen.refusal.message);
    if (tx.nonce <= screen.nonce) return failure("BAD_NONCE", `nonce ${tx.nonce} is already applied (the sender's last nonce is ${screen.nonce})`);
    if (tx.nonce > screen.nonce + MAX_NONCE_AHEAD) {
      return failure("BAD_NONCE", `nonce ${tx.nonce} is more than ${MAX_NONCE_AHEAD} ahead of the sender's last nonce ${screen.nonce}`);
    }
    const sender = txSender(tx);
    // the sender's pending txs up to this nonce: the one it would replace, and those whose spend comes first
    const mine = this.sql.exec<Row & { wire: string }>(`SELECT ${ROW_COLUMNS}, wire FROM pending WHERE sender = ? AND nonce <= ?`, sender, tx.nonce).toArray();
    const same = mine.find((r) => r.nonce === tx.nonce);
    // a tx's id names its sender and nonce: the same id pending is this very tx
    if (same?.id === tx.id) return failure("ALREADY_KNOWN", `tx ${tx.id} is already pending`);
    const spend = txSpend(tx, params);
    let committed = 0n;
    for (const r of mine) if (r.nonce < tx.nonce) committed += spendOfWire(r.wire, params);
    const balance = BigInt(screen.balance);
    if (committed + spend > balance) {
      const also = committed > 0n ? ` plus ${committed} for its pending txs with lower nonces` : "";
      return failure("INSUFFICIENT_BALANCE", `the sender's balance ${balance} does not cover ${spend}${also}`);
    }

    const size = txSize(tx);
    if (same !== undefined) {
      const old = BigInt(same.fee);
      const min = replacementMinFee(old);
      if (tx.fee < min) return failure("FEE_TOO_LOW", `tx ${same.id} with nonce ${tx.nonce} is pending with fee ${old}; a replacement needs a fee of at least ${min}`);
    }
    const { count, bytes } = this.totals();
    const room = evictionPlan(
      { fee: tx.fee, size, replaces: same?.id ?? null },
      { count: same === undefined ? count : count - 1, bytes: same === undefined ? bytes : bytes - same.size, maxTxs: this.maxTxs, maxBytes: this.maxBytes },
      () => this.sql.exec<Row>(`SELECT ${ROW_COLUMNS} FROM pending ORDER BY fee_rate ASC, received_at DESC, rowid DESC`),
    );
    if (!room.ok) return failure("MEMPOOL_FULL", room.message);
    const evicted = room.evicted;
    const after = { count: count + 1 - (same === undefined ? 0 : 1) - evicted.length, bytes: bytes + size - (same?.size ?? 0) - room.freedBytes };

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
    this.cachedTotals = after;
    return success({ id: tx.id, status: "pending", replaced: same?.id ?? null, evicted });
  }

  // -------------------------------------------------------------------------
  // assembly

  /** Chooses candidates (mempool-policy.ts planCandidates) with one chain call for every sender's nonce. */
  private async plan(max: number): Promise<Plan<Row>> {
    const rows = this.sql.exec<Row>(`SELECT ${ROW_COLUMNS} FROM pending ORDER BY sender, nonce`).toArray();
    const nonces = await this.nonces(sendersOf(rows));
    return planCandidates(rows, nonces, max);
  }

  private async nonces(senders: readonly string[]): Promise<Map<string, number>> {
    if (senders.length === 0) return new Map();
    return new Map(Object.entries(await this.chain().nonces(senders)));
  }

  private async assembleOnce(nowMs: number): Promise<Outcome<AssembleResult>> {
    const dropped: { id: string; code: string; message: string }[] = [];
    const expired = this.sql.exec<{ id: string }>("SELECT id FROM pending WHERE received_at < ?", Date.now() - TX_TTL_MS).toArray();
    for (const { id } of expired) dropped.push({ id, code: "EXPIRED", message: `pending for more than ${TX_TTL_MS} ms` });
    this.remove(expired.map((r) => r.id));

    await this.wallet.repair(nowMs).catch((e: unknown) => console.warn("own nonce repair failed", messageOf(e)));
    const plan = await this.plan(this.blockLimit(undefined));
    for (const r of plan.stale) dropped.push({ id: r.id, code: "BAD_NONCE", message: `nonce ${r.nonce} is already applied` });
    this.remove(plan.stale.map((r) => r.id));

    const base = { height: null, blockHash: null, candidates: plan.chosen.length, included: [] as string[], deferred: [] as { id: string; code: string }[] };
    if (plan.chosen.length === 0 && !this.blocksWanted()) {
      return success({ ...base, produced: false, reason: "EMPTY", dropped, pending: this.count() });
    }
    const wires = this.wires(plan.chosen.map((r) => r.id));
    const chosen = plan.chosen.filter((r) => wires.has(r.id));
    const produced = await this.chain().produce(
      chosen.map((r) => wires.get(r.id) as JsonValue),
      nowMs,
    );
    if (!produced.ok) {
      if (isNotNow(produced.code)) return success({ ...base, produced: false, reason: produced.code, dropped, pending: this.count() });
      return failure(produced.code, produced.message);
    }

    const result = produced.value;
    const included = new Set(result.included);
    this.remove([...included]);
    const byId = new Map(chosen.map((r) => [r.id, r]));
    const deferred: { id: string; code: string }[] = [];
    const badNonce = result.rejected.filter((r) => r.code === "BAD_NONCE" && byId.has(r.id));
    const nowNonces = await this.nonces([...new Set(badNonce.map((r) => (byId.get(r.id) as Row).sender))]);
    const gone: string[] = [];
    for (const rej of result.rejected) {
      const row = byId.get(rej.id);
      if (row === undefined) continue;
      const temporary = isTemporary(rej.code, { nonce: row.nonce, appliedNonce: nowNonces.get(row.sender) ?? 0, ref: referenceOf(rej.code, wires.get(rej.id)) }, included, (id) => this.has(id));
      if (temporary) deferred.push({ id: rej.id, code: rej.code });
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

  // -------------------------------------------------------------------------
  // storage

  private params(): ChainParams {
    return this.config.params;
  }

  private chain(): ChainLink {
    return this.chainOverride ?? chainOf(this.env);
  }

  private blockLimit(max: number | undefined): number {
    const limit = this.params().maxTxsPerBlock;
    if (max === undefined || !Number.isFinite(max)) return limit;
    return Math.max(0, Math.min(limit, Math.floor(max)));
  }

  /** Which of `ids` are pending (one query). */
  private pendingIds(ids: readonly string[]): Set<string> {
    if (ids.length === 0) return new Set();
    return new Set(
      this.sql
        .exec<{ id: string }>("SELECT id FROM pending WHERE id IN (SELECT value FROM json_each(?))", JSON.stringify(ids))
        .toArray()
        .map((r) => r.id),
    );
  }

  private has(id: string): boolean {
    return this.sql.exec("SELECT 1 FROM pending WHERE id = ?", id).toArray().length > 0;
  }

  private ownPending(): OwnPending[] {
    return this.sql.exec<OwnPending>("SELECT id, nonce, wire, received_at, fee FROM pending WHERE sender = ? ORDER BY nonce", this.config.nodeAddress).toArray();
  }

  private blocksWanted(): boolean {
    return Date.now() < this.blocksWantedUntil;
  }

  private count(): number {
    return this.totals().count;
  }

  private totals(): { count: number; bytes: number } {
    if (this.cachedTotals === null) {
      const r = this.sql.exec<{ n: number; b: number | null }>("SELECT COUNT(*) AS n, SUM(size) AS b FROM pending").one();
      this.cachedTotals = { count: r.n, bytes: r.b ?? 0 };
    }
    return { ...this.cachedTotals };
  }

  /** Arms the alarm when txs are pending and none is set; clears it when the pool is empty. (`alarmArmed` spares the hot path the storage read.) */
  private async arm(): Promise<void> {
    if (!this.autoAssemble) return;
    if (this.count() === 0 && !this.blocksWanted()) {
      await this.ctx.storage.deleteAlarm();
      this.alarmArmed = false;
      return;
    }
    if ((await this.ctx.storage.getAlarm()) === null) await this.ctx.storage.setAlarm(Date.now() + ASSEMBLE_INTERVAL_MS);
    this.alarmArmed = true;
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

  private remember(items: readonly { readonly id: string; readonly code: string; readonly message: string }[]): void {
    if (items.length === 0) return;
    const now = Date.now();
    for (const d of items) this.sql.exec("INSERT OR REPLACE INTO dropped (id, code, message, at) VALUES (?, ?, ?, ?)", d.id, d.code, d.message.slice(0, 500), now);
    this.sql.exec("DELETE FROM dropped WHERE at < ?", now - DROPPED_KEEP_MS);
    this.sql.exec("DELETE FROM dropped WHERE id IN (SELECT id FROM dropped ORDER BY at DESC, id LIMIT -1 OFFSET ?)", DROPPED_KEEP_ROWS);
  }

  private remove(ids: readonly string[]): void {
    if (ids.length === 0) return;
    this.sql.exec("DELETE FROM pending WHERE id IN (SELECT value FROM json_each(?))", JSON.stringify(ids));
    this.cachedTotals = null;
  }
}

function isRefusal(x: Tx | Refusal): x is Refusal {
  return "ok" in x;
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

function blockHashOf(block: JsonValue): string | null {
  if (block === null || typeof block !== "object" || Array.isArray(block)) return null;
  const hash = (block as { readonly [k: string]: JsonValue })["hash"];
  return typeof hash === "string" ? hash : null;
}
