/**
 * Sending a key's transactions and following them to finality. Building,
 * signing and the wire form are core's (createTx, txToWire); here: the
 * nonce (the chain's, plus this key's pending transactions), the fee
 * ("auto": the node's `normal` suggestion), submission, and the wait:
 * included, then final once the node's `finalizedHeight` reaches the
 * transaction's block (depth finality: `finalityDepth` blocks on top).
 */
import { addressFromPublicKey, publicKeyFromSecret } from "../core/keys.ts";
import { createTx, txToWire } from "../core/tx.ts";
import type { Address, Amount, PublicKeyHex, TxKind, TxOf, UnsignedTx } from "../core/types.ts";
import { parseFee } from "./amount.ts";
import { CliError, EXIT } from "./errors.ts";
import type { NodeClient } from "./node-client.ts";

export type BodyOf<K extends TxKind> = UnsignedTx extends infer U ? (U extends { kind: K; body: infer B } ? B : never) : never;

/** --fee: "auto" or an amount of DOIN (0 allowed). */
export type FeeChoice = "auto" | Amount;

export function parseFeeOption(text: string): FeeChoice {
  return text.trim() === "auto" ? "auto" : parseFee(text);
}

export class Sender {
  readonly publicKey: PublicKeyHex;
  readonly address: Address;
  private nonce: number | null = null;

  constructor(
    private readonly client: NodeClient,
    private readonly secret: Uint8Array,
    private readonly network: string,
  ) {
    this.publicKey = publicKeyFromSecret(secret);
    this.address = addressFromPublicKey(this.publicKey);
  }

  /** The next nonce: after the chain's last and this key's pending ones. */
  private async nextNonce(): Promise<number> {
    if (this.nonce === null) {
      const [account, pending] = await Promise.all([this.client.account(this.address), this.client.pendingOf(this.address)]);
      this.nonce = Math.max(account.nonce, ...pending.map((t) => t.nonce));
    }
    return this.nonce + 1;
  }

  async fee(choice: FeeChoice): Promise<Amount> {
    return choice === "auto" ? BigInt((await this.client.fees()).normal) : choice;
  }

  /** Signs a transaction with the next nonce (taken only once the node accepts it: see submit). */
  async prepare<K extends TxKind>(kind: K, body: BodyOf<K>, fee: Amount): Promise<TxOf<K>> {
    return createTx(kind, body, { secret: this.secret, nonce: await this.nextNonce(), network: this.network, fee });
  }

  /** Submits a prepared transaction; its nonce is spent once the node accepts it. */
  async submit(tx: TxOf<TxKind>): Promise<void> {
    try {
      await this.client.submit(txToWire(tx));
    } catch (e) {
      // another sender took the nonce meanwhile: read it again next time
      if (e instanceof CliError && e.code === "BAD_NONCE") this.nonce = null;
      throw e;
    }
    this.nonce = tx.nonce;
  }

  /** Signs and submits a transaction; a nonce taken meanwhile (BAD_NONCE) is read again once. */
  async send<K extends TxKind>(kind: K, body: BodyOf<K>, fee: Amount): Promise<TxOf<K>> {
    for (let attempt = 0; ; attempt++) {
      const tx = await this.prepare(kind, body, fee);
      try {
        await this.submit(tx);
        return tx;
      } catch (e) {
        if (e instanceof CliError && e.code === "BAD_NONCE" && attempt === 0) continue;
        throw e;
      }
    }
  }
}

export type WaitFor = "none" | "included" | "final";

export interface Landed {
  readonly id: string;
  readonly height: number;
  readonly block: string;
  /** blocks on top of it when the wait ended */
  readonly confirmations: number;
  readonly final: boolean;
}

export interface WaitOptions {
  readonly until: Exclude<WaitFor, "none">;
  readonly finalityDepth: number;
  readonly timeoutMs: number;
  readonly pollMs?: number;
  readonly onProgress?: (text: string) => void;
  readonly signal?: AbortSignal;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * Follows a submitted transaction until it is in a block (and, for
 * "final", until that block is final). A transaction dropped from the
 * mempool fails with the node's reason; one that a reorganization takes
 * back out is waited for again.
 */
export async function waitForTx(client: NodeClient, id: string, opts: WaitOptions): Promise<Landed> {
  const deadline = Date.now() + opts.timeoutMs;
  const progress = opts.onProgress ?? (() => undefined);
  let lastIncluded: { height: number; confirmations: number } | null = null;
  for (;;) {
    if (opts.signal?.aborted === true) throw new CliError("INTERRUPTED", `stopped waiting for ${id}`, EXIT.INTERRUPTED);
    const t = await client.tx(id);
    if (t === null) throw new CliError("TX_UNKNOWN", `the node no longer knows transaction ${id}`, EXIT.FAILED_ON_CHAIN, "it may have expired from a restarted node's mempool: send it again");
    if (t.status === "dropped") {
      throw new CliError(t.code, `transaction ${id} was dropped: ${t.message}`, EXIT.FAILED_ON_CHAIN, "nothing was spent; fix the cause and send it again");
    }
    if (t.status === "pending") progress(`waiting for a block to include ${id.slice(0, 12)}… (pending in the mempool)`);
    else {
      const status = await client.chainStatus();
      const confirmations = Math.max(0, status.height - t.height);
      const final = status.finalizedHeight >= t.height;
      lastIncluded = { height: t.height, confirmations };
      if (opts.until === "included" || final) return { id, height: t.height, block: t.block, confirmations, final };
      progress(`included at height ${t.height} · ${Math.min(confirmations, opts.finalityDepth)}/${opts.finalityDepth} confirmations`);
    }
    if (Date.now() > deadline) {
      const where = lastIncluded === null ? "not yet in a block" : `in block ${lastIncluded.height} with ${lastIncluded.confirmations}/${opts.finalityDepth} confirmations`;
      throw new CliError(
        "TIMEOUT",
        `transaction ${id} is ${where} after ${Math.round(opts.timeoutMs / 1000)} s`,
        EXIT.TIMEOUT,
        lastIncluded === null ? "it stays pending: `doin tx ID` follows it" : "blocks come with the network's activity; `doin tx ID` shows when it is final",
      );
    }
    await sleep(opts.pollMs ?? 1_000);
  }
}
