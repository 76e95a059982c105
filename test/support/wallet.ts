/**
 * An outside account on a live testnet: a fresh key that takes its first coin
 * from the faucet and signs its own transactions, as any client would.
 */
import { randomBytes } from "node:crypto";
import { addressFromPublicKey, publicKeyFromSecret } from "../../core/keys.ts";
import { createTx, txToWire } from "../../core/tx.ts";
import type { Address, JsonValue, TxKind, UnsignedTx } from "../../core/types.ts";
import { fromFaucet } from "./faucet.ts";

export type BodyOf<K extends TxKind> = UnsignedTx extends infer U ? (U extends { kind: K; body: infer B } ? B : never) : never;

export class Wallet {
  readonly secret = randomBytes(32);
  readonly pub = publicKeyFromSecret(this.secret);
  readonly address = addressFromPublicKey(this.pub);
  private nonce = 0;

  constructor(readonly network = "doin-devnet") {}

  /** Coin from the node's faucet, once it is on that node's chain. */
  async fund(nodeUrl: string): Promise<bigint> {
    return fromFaucet(nodeUrl, this.address);
  }

  /** A signed transaction with the next nonce (not sent). */
  sign<K extends TxKind>(kind: K, body: BodyOf<K>): { id: string; wire: JsonValue } {
    const tx = createTx(kind, body, { secret: this.secret, nonce: ++this.nonce, network: this.network });
    return { id: tx.id, wire: txToWire(tx) };
  }

  /** Signs and POSTs to a node; the nonce stays spent only when the node takes it (202). */
  async send<K extends TxKind>(nodeUrl: string, kind: K, body: BodyOf<K>): Promise<{ status: number; code: string | null; id: string }> {
    const { id, wire } = this.sign(kind, body);
    const r = await fetch(`${nodeUrl}/tx`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(wire) });
    const answer = (await r.json()) as { code?: string };
    if (r.status !== 202) this.nonce--;
    return { status: r.status, code: answer.code ?? null, id };
  }

  /** A payment of `amount` base units to `to` (a small one: a transaction that needs a block). */
  transfer(nodeUrl: string, to: Address, amount = 1n): Promise<{ status: number; code: string | null; id: string }> {
    return this.send(nodeUrl, "transfer", { to, amount });
  }
}
