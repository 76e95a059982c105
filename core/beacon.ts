/**
 * The chain's randomness beacon: every block adds its producer's VRF output
 * (core/vrf.ts) to a running hash,
 *
 *   beacon(h) = H("beacon", {parent: beacon(h − 1), output: VRF_producer(input(h))}),
 *   input(h)  = H("vrf-input", {network, height: h, beacon: beacon(h − 1)}),
 *
 * starting from H("beacon", {genesis: digest of the chain parameters}).
 *
 * The VRF output is unique for a key and an input, and the input depends only
 * on the height and the previous beacon: nothing a producer puts in its block
 * (transactions, timestamp, order) changes the beacon. A producer can only
 * publish its block or not. What that leaves an attacker is stated in
 * docs/PROTOCOL.md §4 and measured by test/core/security/grinding.test.ts.
 */
import { canonicalBytes } from "./encoding.ts";
import { hashOf, taggedHashBytes } from "./hash.ts";
import type { Hash } from "./types.ts";

/** The beacon before the first block: fixed by the chain parameters' digest. */
export function genesisBeacon(paramsDigest: Hash): Hash {
  return hashOf("beacon", { genesis: paramsDigest });
}

/** The bytes the producer of the block at `height` proves its VRF on. */
export function beaconInput(network: string, height: number, parentBeacon: Hash): Uint8Array {
  return taggedHashBytes("vrf-input", canonicalBytes({ network, height, beacon: parentBeacon }));
}

/** The beacon after a block whose VRF output (64 bytes, hex) is `output`. */
export function nextBeacon(parentBeacon: Hash, output: string): Hash {
  return hashOf("beacon", { parent: parentBeacon, output });
}
