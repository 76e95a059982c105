/**
 * A simulated node's mempool: a simpler stand-in for the MempoolDO (not the
 * point of the measurement). Admission: not already pending, a valid
 * signature (checked once per transaction: SharedWork), a nonce after the
 * head's and at most 64 ahead, a balance for its spend, core's admission
 * check, at most 5,000 pending. Candidates: each sender's pending
 * transactions with contiguous nonces from the head's, oldest first (every
 * fee in the simulation is 0). What the head applied, or made stale, leaves;
 * what a reorganization reverted comes back; what a block refused for good
 * is dropped (the MempoolDO's temporary refusals stay).
 */
import { admissionCheck } from "../core/admission.ts";
import type { ProtocolError } from "../core/errors.ts";
import { txSpend } from "../core/state-transition.ts";
import { txSender } from "../core/tx.ts";
import type { Address, ChainParams, ChainState, Hash, Tx } from "../core/types.ts";
import type { DeliveryOutcome } from "../durable-objects/gossip.ts";
import type { SharedWork } from "./shared-work.ts";

const MAX_PENDING = 5_000;
const MAX_NONCE_AHEAD = 64;
/** Refusals that only mean "not yet" (the MempoolDO keeps these transactions). */
const NOT_YET: ReadonlySet<string> = new Set(["BELOW_THRESHOLD", "REVEAL_TOO_EARLY", "TOO_MANY_OPEN_ROUNDS", "NOT_VERIFIED", "TOO_MANY_TXS", "UNKNOWN_COMMIT", "UNKNOWN_OPTIMAE"]);

interface Pending {
  readonly tx: Tx;
  readonly sender: Address;
  readonly seq: number;
}

export class SimMempool {
  private readonly pending = new Map<Hash, Pending>();
  private readonly bySender = new Map<Address, Map<number, Pending>>();
  private seq = 0;

  constructor(
    private readonly params: ChainParams,
    private readonly shared: SharedWork,
  ) {}

  get size(): number {
    return this.pending.size;
  }

  submit(tx: Tx, head: ChainState): DeliveryOutcome {
    if (this.pending.has(tx.id)) return { ok: false, code: "ALREADY_KNOWN" };
    const signature = this.shared.signatureOk(tx.id);
    if (signature === null) throw new Error(`transaction ${tx.id} reached a node before its signature was checked`);
    if (!signature) return { ok: false, code: "BAD_SIGNATURE" };
    const sender = txSender(tx);
    const account = head.accounts.get(sender);
    const nonce = account?.nonce ?? 0;
    if (tx.nonce <= nonce || tx.nonce > nonce + MAX_NONCE_AHEAD) return { ok: false, code: "BAD_NONCE" };
    if ((account?.balance ?? 0n) < txSpend(tx, this.params)) return { ok: false, code: "INSUFFICIENT_BALANCE" };
    const admitted = admissionCheck(head, this.params, tx);
    if (!admitted.ok) return { ok: false, code: admitted.error.code };
    if (this.bySender.get(sender)?.has(tx.nonce) === true) return { ok: false, code: "FEE_TOO_LOW" };
    if (this.pending.size >= MAX_PENDING) return { ok: false, code: "MEMPOOL_FULL" };
    this.add(tx, sender);
    return { ok: true, code: null };
  }

  private add(tx: Tx, sender: Address): void {
    const p: Pending = { tx, sender, seq: this.seq++ };
    this.pending.set(tx.id, p);
    let own = this.bySender.get(sender);
    if (own === undefined) {
      own = new Map();
      this.bySender.set(sender, own);
    }
    own.set(tx.nonce, p);
  }

  private remove(p: Pending): void {
    this.pending.delete(p.tx.id);
    const own = this.bySender.get(p.sender);
    own?.delete(p.tx.nonce);
    if (own?.size === 0) this.bySender.delete(p.sender);
  }

  /** The next free nonce of `sender` after the head's (own transactions fill gaps first). */
  nextNonce(sender: Address, head: ChainState): number {
    let n = (head.accounts.get(sender)?.nonce ?? 0) + 1;
    const own = this.bySender.get(sender);
    while (own?.has(n) === true) n++;
    return n;
  }

  /** Up to `max` transactions for a block on `head`. */
  candidates(head: ChainState, max: number): Tx[] {
    const runs: Pending[] = [];
    for (const [sender, own] of this.bySender) {
      let n = (head.accounts.get(sender)?.nonce ?? 0) + 1;
      let key = 0;
      for (let p = own.get(n); p !== undefined; p = own.get(++n)) {
        // later nonces never sort before earlier ones of the same sender
        key = Math.max(key, p.seq);
        runs.push({ ...p, seq: key });
      }
    }
    runs.sort((a, b) => a.seq - b.seq || a.tx.nonce - b.tx.nonce);
    return runs.slice(0, max).map((p) => p.tx);
  }

  /** The head moved: applied and stale transactions leave, reverted ones come back. */
  headMoved(head: ChainState, reverted: readonly Tx[]): void {
    for (const tx of reverted) {
      const sender = txSender(tx);
      if (!this.pending.has(tx.id) && tx.nonce > (head.accounts.get(sender)?.nonce ?? 0)) this.add(tx, sender);
    }
    for (const [sender, own] of this.bySender) {
      const nonce = head.accounts.get(sender)?.nonce ?? 0;
      for (const [n, p] of own) if (n <= nonce) this.remove(p);
    }
  }

  /** Transactions a block of this node refused: those refused for good are dropped. */
  refused(rejected: readonly { readonly tx: Tx; readonly error: ProtocolError }[], head: ChainState): void {
    for (const r of rejected) {
      const p = this.pending.get(r.tx.id);
      if (p === undefined || NOT_YET.has(r.error.code)) continue;
      if (r.error.code === "BAD_NONCE" && r.tx.nonce > (head.accounts.get(p.sender)?.nonce ?? 0)) continue;
      this.remove(p);
    }
  }
}
