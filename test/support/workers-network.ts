/**
 * The network the Workers tests run: its genesis validators (the node's own
 * key and three test keys), given to the Worker as GENESIS_VALIDATORS by
 * vitest.config.ts, so that the tests can produce blocks in the schedule as
 * any validator would.
 */
import { hexToBytes } from "../../core/hex.ts";
import { addressFromPublicKey, publicKeyFromSecret, secretFromSeedPhrase } from "../../core/keys.ts";
import { producerSchedule } from "../../core/schedule.ts";
import type { Address, ChainParams, ChainState, PublicKeyHex } from "../../core/types.ts";

export interface ValidatorKey {
  readonly secret: Uint8Array;
  readonly pub: PublicKeyHex;
  readonly address: Address;
}

function keyOf(secret: Uint8Array): ValidatorKey {
  const pub = publicKeyFromSecret(secret);
  return { secret, pub, address: addressFromPublicKey(pub) };
}

/** The Workers tests' node identity (never used outside tests). */
export const TEST_NODE_SECRET_HEX = "11".repeat(32);
export const TEST_NODE = keyOf(hexToBytes(TEST_NODE_SECRET_HEX));
/** The genesis validators: the node first, then three keys the tests sign blocks with. */
export const WORKERS_VALIDATORS: readonly ValidatorKey[] = [TEST_NODE, ...[0, 1, 2].map((i) => keyOf(secretFromSeedPhrase(`workers-validator-${i}`)))];
export const GENESIS_VALIDATORS_SETTING = WORKERS_VALIDATORS.map((k) => k.pub).join(",");

/** The validator first in turn for the block after `state` (rank 0), and one further down (`rank`). */
export function scheduledKey(state: ChainState, params: ChainParams, rank = 0): ValidatorKey {
  const address = producerSchedule(state, params)[rank];
  const key = WORKERS_VALIDATORS.find((k) => k.address === address);
  if (key === undefined) throw new Error(`no validator key at rank ${rank}`);
  return key;
}
