/**
 * An outside account on a testnet: signs its own transactions and POSTs them
 * to a node, as any client of the network would (the testnet tests play
 * optimizers with it).
 */
import { randomBytes } from "node:crypto";
import { addressFromPublicKey, publicKeyFromSecret } from "../../core/keys.ts";
import { createTx, txToWire } from "../../core/tx.ts";
import type { TxKind, UnsignedTx } from "../../core/types.ts";

type BodyOf<K extends TxKind> = UnsignedTx extends infer U ? (U extends { kind: K; body: infer B } ? B : never) : never;

export class Client {
  readonly secret = randomBytes(32);
  readonly pub = publicKeyFromSecret(this.secret);
  readonly address = addressFromPublicKey(this.pub);
  private nonce = 0;

  constructor(
    private readonly url: () => string,
    private readonly network: string,
  ) {}

  /** Signs and POSTs a tx; the nonce is spent only when the node takes it. */
  async send<K extends TxKind>(kind: K, body: BodyOf<K>): Promise<{ status: number; code: string | null; id: string }> {
    const tx = createTx(kind, body, { secret: this.secret, nonce: this.nonce + 1, network: this.network });
    const r = await fetch(`${this.url()}/tx`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(txToWire(tx)) });
    const answer = (await r.json()) as { code?: string };
    if (r.status === 202) this.nonce++;
    return { status: r.status, code: answer.code ?? null, id: tx.id };
  }
}
