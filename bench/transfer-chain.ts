/**
 * A chain of blocks of signed transfers among funded keys, built with core/
 * (the peers that receive it validate every block again). Shared by the node
 * and network benchmarks.
 */
import { blockToWire } from "../core/block.ts";
import { genesisBlock } from "../core/genesis.ts";
import { addressFromPublicKey, publicKeyFromSecret, secretFromSeedPhrase } from "../core/keys.ts";
import { producerSchedule } from "../core/schedule.ts";
import { buildBlock } from "../core/state-transition.ts";
import { createTx } from "../core/tx.ts";
import type { Address, ChainParams, ChainState, Tx } from "../core/types.ts";
import { paramsFor } from "../core/params.ts";

export interface TransferChain {
  /** public keys to list as GENESIS_VALIDATORS (they are funded at genesis) */
  readonly keys: readonly string[];
  readonly params: ChainParams;
  /** blocks in wire form, heights 1..n */
  readonly wires: readonly unknown[];
  /** blocks after `wires` that pay `amount` to each of `fund` (empty without it) */
  readonly funding: readonly unknown[];
}

export interface Funding {
  readonly to: readonly Address[];
  readonly amount: bigint;
}

export function transferChain(label: string, blocks: number, txsPerBlock: number, fund?: Funding): TransferChain {
  const secrets = Array.from({ length: txsPerBlock }, (_, i) => secretFromSeedPhrase(`${label}-${i}`));
  const keys = secrets.map(publicKeyFromSecret);
  const addresses = keys.map(addressFromPublicKey);
  const params = paramsFor("doin-devnet", keys);
  let state: ChainState = genesisBlock(params).state;
  let t = params.genesisTimestamp;
  const next = (txs: () => Tx[]): unknown => {
    t += params.carrierIntervalMs;
    // the producer in turn, so that the block may come at the carrier interval
    const producer = secrets[addresses.indexOf(producerSchedule(state, params)[0] as Address)] as Uint8Array;
    const built = buildBlock(state, txs(), params, { producerSecret: producer, timestamp: t });
    if (!built.ok) throw new Error(built.error.message);
    state = built.value.state;
    return blockToWire(built.value.block);
  };
  const nonces = secrets.map(() => 0);
  const transfer = (from: number, to: Address, amount: bigint): Tx =>
    createTx("transfer", { to, amount }, { secret: secrets[from] as Uint8Array, nonce: ++nonces[from]!, network: params.network, fee: 1n });
  const wires: unknown[] = [];
  for (let b = 0; b < blocks; b++) wires.push(next(() => secrets.map((_, i) => transfer(i, addresses[(i + 1) % keys.length] as Address, 1n))));
  // funding blocks are full: each funder pays several addresses per block
  const funding: unknown[] = [];
  const to = fund?.to ?? [];
  for (let i = 0; i < to.length; i += params.maxTxsPerBlock) {
    const part = to.slice(i, i + params.maxTxsPerBlock);
    funding.push(next(() => part.map((address, j) => transfer(j % secrets.length, address, fund?.amount ?? 0n))));
  }
  return { keys, params, wires, funding };
}
