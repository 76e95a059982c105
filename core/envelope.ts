/**
 * Signed envelopes: every message between nodes travels as
 * `{ envelope, payload }`. The envelope names the network, the kind, the
 * sending node, the payload's hash, a timestamp and the hop count, and the
 * sender signs all of it. A relay re-wraps what it forwards in an envelope
 * of its own (hops + 1); the payloads themselves (transactions, blocks) carry
 * their authors' signatures.
 *
 * Receivers check the size, the network and the signature before anything
 * else, so an attacker cannot make a node do work for an unsigned message.
 */
import type { Encodable } from "./encoding.ts";
import { canonicalJson } from "./encoding.ts";
import { err, ok, type Result } from "./errors.ts";
import { hashOf } from "./hash.ts";
import { hexToBytes } from "./hex.ts";
import { publicKeyFromSecret, sign, verifySignature } from "./keys.ts";
import type { Hash, JsonValue, PublicKeyHex, SignatureHex } from "./types.ts";
import { asHex, asInt, asObject, asString, WireError } from "./wire.ts";

export type EnvelopeKind = "tx" | "block" | "peers" | "ping";
export const ENVELOPE_KINDS: readonly EnvelopeKind[] = ["tx", "block", "peers", "ping"];

export interface Envelope {
  readonly network: string;
  readonly kind: EnvelopeKind;
  readonly sender: PublicKeyHex;
  /** H("envelope", payload): also the key of the receivers' seen-sets */
  readonly payloadHash: Hash;
  readonly timestamp: number;
  readonly hops: number;
  readonly sig: SignatureHex;
}

export interface Message {
  readonly envelope: Envelope;
  readonly payload: JsonValue;
}

export interface EnvelopeLimits {
  readonly network: string;
  readonly nowMs: number;
  /** how far a timestamp may be from the receiver's clock */
  readonly maxSkewMs: number;
  /** canonical size of the whole message */
  readonly maxBytes: number;
  readonly maxHops: number;
}

export function payloadHash(payload: JsonValue): Hash {
  return hashOf("envelope", { payload });
}

/** What the sender signs: H("envelope", every envelope field but the signature). */
export function signingHash(e: Omit<Envelope, "sig">): Hash {
  return hashOf("envelope", { network: e.network, kind: e.kind, sender: e.sender, payloadHash: e.payloadHash, timestamp: e.timestamp, hops: e.hops });
}

export function createMessage(
  kind: EnvelopeKind,
  payload: JsonValue,
  opts: { readonly secret: Uint8Array; readonly network: string; readonly nowMs: number; readonly hops?: number },
): Message {
  const unsigned = { network: opts.network, kind, sender: publicKeyFromSecret(opts.secret), payloadHash: payloadHash(payload), timestamp: opts.nowMs, hops: opts.hops ?? 0 };
  return { envelope: { ...unsigned, sig: sign(opts.secret, hexToBytes(signingHash(unsigned))) }, payload };
}

/**
 * The cheap checks, in order: shape, size, network, hop limit, timestamp
 * window, payload hash. The signature is checked by verifyMessageSignature.
 */
export function checkMessage(value: unknown, limits: EnvelopeLimits): Result<Message> {
  let message: Message;
  try {
    const m = asObject(value, "message", ["envelope", "payload"]);
    const e = asObject(m["envelope"], "message.envelope", ["network", "kind", "sender", "payloadHash", "timestamp", "hops", "sig"]);
    const kind = asString(e["kind"], "message.envelope.kind", 8) as EnvelopeKind;
    if (!ENVELOPE_KINDS.includes(kind)) throw new WireError(`message.envelope.kind: unknown kind ${JSON.stringify(kind)}`);
    message = {
      envelope: {
        network: asString(e["network"], "message.envelope.network", 64),
        kind,
        sender: asHex(e["sender"], "message.envelope.sender", 32),
        payloadHash: asHex(e["payloadHash"], "message.envelope.payloadHash", 32),
        timestamp: asInt(e["timestamp"], "message.envelope.timestamp", 0),
        hops: asInt(e["hops"], "message.envelope.hops", 0, 255),
        sig: asHex(e["sig"], "message.envelope.sig", 64),
      },
      payload: m["payload"] as JsonValue,
    };
  } catch (e) {
    if (e instanceof WireError) return err("MALFORMED", e.message);
    throw e;
  }
  const { envelope } = message;
  let size: number;
  try {
    size = canonicalJson(message as unknown as Encodable).length;
  } catch {
    return err("NON_CANONICAL", "the payload holds a value with no canonical form (floats are not allowed)");
  }
  if (size > limits.maxBytes) return err("TOO_LARGE", `message is ${size} bytes, limit ${limits.maxBytes}`);
  if (envelope.network !== limits.network) return err("WRONG_NETWORK", `message is for network ${JSON.stringify(envelope.network)}, this is ${limits.network}`);
  if (envelope.hops > limits.maxHops) return err("TOO_LARGE", `message has travelled ${envelope.hops} hops, limit ${limits.maxHops}`);
  if (Math.abs(envelope.timestamp - limits.nowMs) > limits.maxSkewMs) return err("BAD_TIMESTAMP", `message timestamp is more than ${limits.maxSkewMs} ms from this node's clock`);
  if (payloadHash(message.payload) !== envelope.payloadHash) return err("BAD_ID", "payloadHash is not the hash of the payload");
  return ok(message);
}

export async function verifyMessageSignature(envelope: Envelope): Promise<boolean> {
  const { sig, ...unsigned } = envelope;
  return verifySignature(envelope.sender, hexToBytes(signingHash(unsigned)), sig);
}
