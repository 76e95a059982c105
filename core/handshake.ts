/**
 * The peer handshake: how a node proves that a URL is one of this network's
 * nodes before anyone takes the URL as a peer. The asker sends a fresh random
 * challenge to `GET <url>/p2p/handshake`; the node there signs
 * H("handshake", {network, genesis, node, url, challenge, timestamp}) with
 * its key, naming the URL it is reached at. The asker takes the peer only if
 * the signature verifies, the URL is the one it dialled, the network and
 * genesis are its own and the challenge is the one it sent, so a peer list
 * from a stranger is only a list of places to ask, never of peers.
 *
 * The tag "handshake" keeps these signatures apart from every transaction,
 * block and envelope signature: answering any challenge signs nothing else.
 */
import { err, ok, type Result } from "./errors.ts";
import { hashOf } from "./hash.ts";
import { hexToBytes } from "./hex.ts";
import { publicKeyFromSecret, sign, verifySignature } from "./keys.ts";
import type { Hash, PublicKeyHex, SignatureHex } from "./types.ts";
import { asHex, asInt, asObject, asString, WireError } from "./wire.ts";

export interface Handshake {
  readonly network: string;
  readonly genesis: Hash;
  /** the answering node's public key */
  readonly node: PublicKeyHex;
  /** the URL the node says it is reached at */
  readonly url: string;
  readonly challenge: Hash;
  readonly timestamp: number;
  readonly sig: SignatureHex;
}

export interface HandshakeExpectation {
  readonly network: string;
  readonly genesis: Hash;
  /** the URL that was dialled */
  readonly url: string;
  readonly challenge: Hash;
  readonly nowMs: number;
  readonly maxSkewMs: number;
}

const MAX_URL_LENGTH = 200;

function signingHash(h: Omit<Handshake, "sig">): Hash {
  return hashOf("handshake", { network: h.network, genesis: h.genesis, node: h.node, url: h.url, challenge: h.challenge, timestamp: h.timestamp });
}

export function signHandshake(secret: Uint8Array, fields: { network: string; genesis: Hash; url: string; challenge: Hash; nowMs: number }): Handshake {
  const unsigned = { network: fields.network, genesis: fields.genesis, node: publicKeyFromSecret(secret), url: fields.url, challenge: fields.challenge, timestamp: fields.nowMs };
  return { ...unsigned, sig: sign(secret, hexToBytes(signingHash(unsigned))) };
}

/** Parses a handshake answer and checks it against what the asker expects, signature last. */
export async function checkHandshake(value: unknown, expect: HandshakeExpectation): Promise<Result<Handshake>> {
  let h: Handshake;
  try {
    const o = asObject(value, "handshake", ["network", "genesis", "node", "url", "challenge", "timestamp", "sig"]);
    h = {
      network: asString(o["network"], "handshake.network", 64),
      genesis: asHex(o["genesis"], "handshake.genesis", 32),
      node: asHex(o["node"], "handshake.node", 32),
      url: asString(o["url"], "handshake.url", MAX_URL_LENGTH),
      challenge: asHex(o["challenge"], "handshake.challenge", 32),
      timestamp: asInt(o["timestamp"], "handshake.timestamp", 0),
      sig: asHex(o["sig"], "handshake.sig", 64),
    };
  } catch (e) {
    if (e instanceof WireError) return err("MALFORMED", e.message);
    throw e;
  }
  if (h.network !== expect.network) return err("WRONG_NETWORK", `the node at ${expect.url} is on network ${JSON.stringify(h.network)}`);
  if (h.genesis !== expect.genesis) return err("WRONG_NETWORK", `the node at ${expect.url} has another genesis (${h.genesis.slice(0, 12)}…)`);
  if (h.url !== expect.url) return err("MALFORMED", `the node at ${expect.url} says it is ${JSON.stringify(h.url)}`);
  if (h.challenge !== expect.challenge) return err("MALFORMED", "the handshake answers another challenge");
  if (Math.abs(h.timestamp - expect.nowMs) > expect.maxSkewMs) return err("BAD_TIMESTAMP", `handshake timestamp is more than ${expect.maxSkewMs} ms from this node's clock`);
  const { sig, ...unsigned } = h;
  if (!(await verifySignature(h.node, hexToBytes(signingHash(unsigned)), sig))) return err("BAD_SIGNATURE", "the handshake's signature does not verify under its node key");
  return ok(h);
}
