/**
 * The node's own transactions: the QuorumDO's commits, reveals, votes and
 * accepts and the faucet's transfers, signed with the node key. The wallet
 * hands out nonces one at a time (calls are serialized, so two never take the
 * same nonce) and repairs them when its next one will not come; the signed
 * transaction goes to the pool through `WalletHost.addOwn`, which skips the
 * parse and the signature check that a stranger's transaction gets.
 *
 * Repair: when the node's lowest pending nonce is past the chain's next one (a
 * refused or evicted own tx left a gap), or its next one has waited longer
 * than OWN_STUCK_MS while blocks went by, that one is dropped and the rest are
 * signed again with contiguous nonces (their ids change; the QuorumDO gives
 * up on a reveal it no longer sees).
 */
import { createTx, TX_KINDS } from "../core/tx.ts";
import type { Address, Tx, TxKind } from "../core/types.ts";
import { failure, type Outcome, type SubmitResult } from "./rpc.ts";

/** How long this node's own next transaction may wait before it is given up (see the module comment). */
export const OWN_STUCK_MS = 30_000;

/** One of this node's pending transactions. */
export type OwnPending = {
  readonly id: string;
  readonly nonce: number;
  /** the wire form as JSON text */
  readonly wire: string;
  readonly received_at: number;
  readonly fee: string;
};

/** What the wallet needs from the pool that holds its transactions. */
export interface WalletHost {
  /** this node's pending transactions, nonces ascending */
  ownPending(): readonly OwnPending[];
  /** the last nonce the chain applied for this node */
  chainNonce(): Promise<number>;
  /** drops pending transactions */
  remove(ids: readonly string[]): void;
  /** admits a transaction this node just signed (the stateful checks only) */
  addOwn(tx: Tx): Promise<Outcome<SubmitResult>>;
}

export interface WalletKey {
  readonly secret: Uint8Array;
  readonly address: Address;
  readonly network: string;
}

export class NodeWallet {
  private queue: Promise<void> = Promise.resolve();

  constructor(
    private readonly key: WalletKey,
    private readonly host: WalletHost,
  ) {}

  /**
   * Builds, signs and adds one of this node's transactions. The nonce is the
   * first free one after the chain's and this node's pending ones; the body is
   * in wire form (bigints as decimal strings; bigint values work too).
   */
  submit(kind: TxKind, body: unknown, fee = "0"): Promise<Outcome<SubmitResult>> {
    return this.serialized(() => this.submitNow(kind, body, fee));
  }

  /** The repair of the module comment, serialized with submit. */
  repair(nowMs: number): Promise<void> {
    return this.serialized(() => this.repairNow(nowMs));
  }

  private serialized<T>(run: () => Promise<T>): Promise<T> {
    const next = this.queue.then(run);
    this.queue = next.then(
      () => undefined,
      () => undefined,
    );
    return next;
  }

  private async repairNow(nowMs: number): Promise<void> {
    const own = this.host.ownPending();
    const first = own[0];
    if (first === undefined) return;
    const applied = await this.host.chainNonce();
    const gap = first.nonce > applied + 1;
    const stuck = first.nonce === applied + 1 && nowMs - first.received_at > OWN_STUCK_MS;
    if (!gap && !stuck) return;
    const resend = stuck ? own.slice(1) : own;
    this.host.remove(own.map((r) => r.id));
    for (const r of resend) {
      const tx = JSON.parse(r.wire) as { kind: TxKind; body: unknown };
      await this.submitNow(tx.kind, tx.body, r.fee);
    }
  }

  private async submitNow(kind: TxKind, body: unknown, fee: string): Promise<Outcome<SubmitResult>> {
    if (!TX_KINDS.includes(kind)) return failure("MALFORMED", `unknown kind ${JSON.stringify(kind)}`);
    const applied = await this.host.chainNonce();
    // the first free nonce after the chain's: fills a gap left by an evicted or refused own tx
    let nonce = applied + 1;
    for (const r of this.host.ownPending()) {
      if (r.nonce <= applied) continue;
      if (r.nonce !== nonce) break;
      nonce++;
    }
    let tx: Tx;
    try {
      tx = createTx(kind, bodyFromWire(kind, body) as never, { secret: this.key.secret, nonce, network: this.key.network, fee: BigInt(fee) });
    } catch (e) {
      // a body that cannot be encoded (floats, bad amounts): never signed
      return failure("MALFORMED", `${kind} body: ${e instanceof Error ? e.message : String(e)}`);
    }
    return this.host.addOwn(tx);
  }
}

/** A body in wire form → the typed body createTx signs (the amounts and performances become bigints). */
export function bodyFromWire(kind: TxKind, body: unknown): unknown {
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
