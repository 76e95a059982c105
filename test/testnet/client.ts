/**
 * An outside account on a testnet, bound to one node (the testnet tests play
 * optimizers with it): the shared Wallet, with the node's URL read at each
 * send (a restarted node may move).
 */
import type { TxKind } from "../../core/types.ts";
import { Wallet, type BodyOf } from "../support/wallet.ts";

export class Client {
  private readonly wallet: Wallet;
  readonly secret: Uint8Array;
  readonly pub: string;
  readonly address: string;

  constructor(
    private readonly url: () => string,
    network: string,
  ) {
    this.wallet = new Wallet(network);
    ({ secret: this.secret, pub: this.pub, address: this.address } = this.wallet);
  }

  /** Signs and POSTs a tx; the nonce is spent only when the node takes it. */
  send<K extends TxKind>(kind: K, body: BodyOf<K>): Promise<{ status: number; code: string | null; id: string }> {
    return this.wallet.send(this.url(), kind, body);
  }
}
