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
import type { ChainParams, ChainState } from "../core/types.ts";
import { paramsFor } from "../workers/config.ts";

export interface TransferChain {
  /** public keys to list as GENESIS_VALIDATORS (they are funded at genesis) */
  readonly keys: readonly string[];
  readonly params: ChainParams;
  /** blocks in wire form, heights 1..n */
  readonly wires: readonly unknown[];
}

export function transferChain(label: string, blocks: number, txsPerBlock: number): TransferChain {
  const secrets = Array.from({ length: txsPerBlock }, (_, i) => secretFromSeedPhrase(`${label}-${i}`));
  const keys = secrets.map(publicKeyFromSecret);
  const params = paramsFor("doin-devnet", keys);
  let state: ChainState = genesisBlock(params).state;
  let t = params.genesisTimestamp;
  const wires: unknown[] = [];
  for (let b = 0; b < blocks; b++) {
    t += params.carrierIntervalMs;
    const txs = secrets.map((secret, i) =>
      createTx("transfer", { to: addressFromPublicKey(keys[(i + 1) % keys.length] as string), amount: 1n }, { secret, nonce: b + 1, network: params.network, fee: 1n }),
    );
    // by the validator first in this height's schedule (every key is a genesis validator)
    const first = producerSchedule(state, params)[0];
    const producerSecret = secrets[keys.findIndex((k) => addressFromPublicKey(k) === first)] as Uint8Array;
    const built = buildBlock(state, txs, params, { producerSecret, timestamp: t });
    if (!built.ok) throw new Error(built.error.message);
    state = built.value.state;
    wires.push(blockToWire(built.value.block));
  }
  return { keys, params, wires };
}
