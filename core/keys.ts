/**
 * Identities and signatures: Ed25519 keys, account addresses, and the one
 * signature-verification rule every node applies.
 *
 * ## One verification semantics on every runtime
 *
 * Ed25519 verifiers disagree at the edges (non-canonical encodings,
 * small-order and mixed-order points, S ≥ L); for a blockchain a signature
 * that one node accepts and another rejects is a fork. DOIN's rule is strict
 * RFC 8032 §5.1.7 with the *cofactorless* equation [S]B = R + [k]A, plus
 * rejection of small-order A and R:
 *
 * 1. `checkSignatureEncoding` (our code, byte compares only):
 *    public key 64 and signature 128 lower-case hex characters; S < L;
 *    A and R canonical (y < p once bit 255 is cleared); neither A nor R of
 *    small order (y ∈ {0, 1, p−1, c8, p−c8}, the y-coordinates of the eight
 *    points of order dividing 8).
 * 2. Native WebCrypto Ed25519 (`crypto.subtle.verify`): OpenSSL in Node,
 *    BoringSSL in workerd. Both compute R' = [S]B − [k]A with
 *    k = SHA-512(R ‖ A ‖ M) mod L over the bytes as given, and compare the
 *    canonical encoding of R' with the R bytes (cofactorless).
 *
 * Why the two runtimes then agree. Both libraries compute the same
 * cofactorless check (decode A; k over the bytes as given; R' = [S]B − [k]A;
 * compare the canonical encoding of R' with the R bytes), which already
 * refuses S ≥ L and any non-canonical R. On A they are looser than RFC 8032:
 * run raw (without our checks) over test/vectors/ed25519.json, Node 22's
 * OpenSSL and workerd's BoringSSL both accept signatures under every
 * small-order public key (including the x = 0 encodings with the sign bit
 * set), under non-canonical encodings of small-order keys (y = p, y = p + 1),
 * and with R = identity. An identity public key with R = [r]B, S = r verifies
 * for *every* message that way. The two libraries happened to agree on all of
 * these, but that reflects what each one's decoder does today and is no
 * guarantee. Step 1 takes these inputs away from the libraries: once A and R
 * are canonical, S < L and neither point has small order, each library only
 * evaluates the equation on well-defined points and the same hash input, so
 * both return the same result. The vectors pin every such case in Node
 * (test/core/keys.test.ts) and in workerd (test/workers/ed25519-vectors.test.ts).
 *
 * What the rule still admits: mixed-order points (a prime-order point plus a
 * torsion component). Detecting them needs a scalar multiplication, so they
 * are left to the equation: cofactorless verification accepts a signature
 * with a mixed-order A only when the torsion part happens to cancel ([k]T = 0),
 * and never one with a mixed-order R. A cofactored verifier (@noble/ed25519,
 * `verifySignatureNoble`) accepts both; that is the only place the two
 * functions below can disagree, and consensus uses `verifySignature`.
 */
import * as ed from "@noble/ed25519";
import { sha256, sha512 } from "@noble/hashes/sha2.js";
import { utf8 } from "./encoding.ts";
import { taggedHashBytes } from "./hash.ts";
import { bytesToHex, hexToBytes, isHex } from "./hex.ts";
import type { Address, PublicKeyHex, SignatureHex } from "./types.ts";

// noble v3's synchronous API (getPublicKey, sign, verify) needs a sync SHA-512.
ed.hashes.sha512 = sha512;

/** Why `checkSignatureEncoding` refused a (public key, signature) pair; "ok" when it did not. */
export type SignatureEncodingCheck =
  | "ok"
  /** not exactly 64 (public key) / 128 (signature) lower-case hex characters */
  | "bad_length"
  /** S ≥ L: a malleated signature */
  | "non_canonical_s"
  /** A or R encodes y ≥ p */
  | "non_canonical_point"
  /** A or R is one of the eight points of order dividing 8 (any sign bit) */
  | "small_order_point";

/** The Ed25519 public key (hex) of a 32-byte RFC 8032 secret seed. */
export function publicKeyFromSecret(secret: Uint8Array): PublicKeyHex {
  return bytesToHex(ed.getPublicKey(secret));
}

/**
 * A deterministic 32-byte secret: sha256(UTF-8("DOIN/secret/" + text)).
 * For tests, testnets and benchmarks only, where keys must be reproducible:
 * anyone who knows the text knows the key. Production keys come from a real
 * random source (e.g. `crypto.getRandomValues`) outside core.
 */
export function secretFromSeedPhrase(text: string): Uint8Array {
  return sha256(utf8(`DOIN/secret/${text}`));
}

/** Account address: the first 20 bytes of H("address", public key bytes), as 40 hex characters. */
const addressCache = new Map<PublicKeyHex, Address>();
const ADDRESS_CACHE_LIMIT = 4096;

/** Address of a public key; memoized because block validation derives one per transaction. */
export function addressFromPublicKey(pub: PublicKeyHex): Address {
  let address = addressCache.get(pub);
  if (address === undefined) {
    address = bytesToHex(taggedHashBytes("address", hexToBytes(pub)).subarray(0, 20));
    if (addressCache.size >= ADDRESS_CACHE_LIMIT) addressCache.clear();
    addressCache.set(pub, address);
  }
  return address;
}

/** Ed25519 signature (RFC 8032, deterministic) of `message` by the 32-byte secret seed. */
export function sign(secret: Uint8Array, message: Uint8Array): SignatureHex {
  return bytesToHex(ed.sign(message, secret));
}

// ---------------------------------------------------------------------------
// Encoding checks: cheap byte compares, no point decompression.

/** L = 2^252 + 27742317777372353535851937790883648493, little-endian. */
const L_LE = hexToBytes("edd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010");

/**
 * The y-coordinates (little-endian, bit 255 clear) of the points of order
 * dividing 8: 0 (order 4), 1 (identity), p − 1 (order 2), c8 and p − c8
 * (order 8), with c8 = 0x05fc536d…8f95e826. test/core/keys.test.ts checks
 * this list against noble's point arithmetic.
 */
const SMALL_ORDER_Y: readonly Uint8Array[] = [
  "0000000000000000000000000000000000000000000000000000000000000000",
  "0100000000000000000000000000000000000000000000000000000000000000",
  "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
  "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05",
  "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a",
].map(hexToBytes);

/** bytes[off .. off+32) read as a little-endian integer is < L. */
function scalarBelowL(bytes: Uint8Array, off: number): boolean {
  for (let i = 31; i >= 0; i--) {
    const b = bytes[off + i] as number;
    const l = L_LE[i] as number;
    if (b !== l) return b < l;
  }
  return false; // equal to L
}

/** The y encoded at bytes[off .. off+32) (bit 255 cleared) is < p = 2^255 − 19. */
function canonicalY(bytes: Uint8Array, off: number): boolean {
  // y ≥ p exactly when the top byte is 0x7f, bytes 30..1 are 0xff and byte 0 is ≥ 0xed.
  if (((bytes[off + 31] as number) & 0x7f) !== 0x7f) return true;
  for (let i = 30; i >= 1; i--) if (bytes[off + i] !== 0xff) return true;
  return (bytes[off] as number) < 0xed;
}

function smallOrderY(bytes: Uint8Array, off: number): boolean {
  outer: for (const c of SMALL_ORDER_Y) {
    if (((bytes[off + 31] as number) & 0x7f) !== c[31]) continue;
    for (let i = 0; i < 31; i++) if (bytes[off + i] !== c[i]) continue outer;
    return true;
  }
  return false;
}

/** The byte-level checks, on decoded bytes (32-byte key, 64-byte signature). */
function checkBytes(pub: Uint8Array, sig: Uint8Array): SignatureEncodingCheck {
  if (!scalarBelowL(sig, 32)) return "non_canonical_s";
  if (!canonicalY(pub, 0) || !canonicalY(sig, 0)) return "non_canonical_point";
  if (smallOrderY(pub, 0) || smallOrderY(sig, 0)) return "small_order_point";
  return "ok";
}

/**
 * DOIN's strict encoding rules for a (public key, signature) pair, checked in
 * this order (the first failure is reported): hex shape, S < L, canonical A
 * and R, A and R not of small order.
 */
export function checkSignatureEncoding(pub: PublicKeyHex, sig: SignatureHex): SignatureEncodingCheck {
  if (!isHex(pub, 32) || !isHex(sig, 64)) return "bad_length";
  return checkBytes(hexToBytes(pub), hexToBytes(sig));
}

interface Decoded {
  readonly pub: Uint8Array;
  readonly sig: Uint8Array;
}

/** Decoded bytes when the pair passes every encoding check, else null. Never throws. */
function decodeChecked(pub: unknown, message: unknown, sig: unknown): Decoded | null {
  if (!(message instanceof Uint8Array) || !isHex(pub, 32) || !isHex(sig, 64)) return null;
  const pubBytes = hexToBytes(pub);
  const sigBytes = hexToBytes(sig);
  return checkBytes(pubBytes, sigBytes) === "ok" ? { pub: pubBytes, sig: sigBytes } : null;
}

// ---------------------------------------------------------------------------
// WebCrypto verification with a bounded cache of imported keys (importKey
// costs about as much as a verify).

const KEY_CACHE_MAX = 4096;
const keyCache = new Map<PublicKeyHex, CryptoKey>();

async function importVerifyKey(pub: PublicKeyHex, bytes: Uint8Array): Promise<CryptoKey> {
  const hit = keyCache.get(pub);
  if (hit !== undefined) {
    // refresh: Map iteration order is insertion order, so the first key is the least recently used
    keyCache.delete(pub);
    keyCache.set(pub, hit);
    return hit;
  }
  const key = await crypto.subtle.importKey("raw", bytes, { name: "Ed25519" }, false, ["verify"]);
  if (!keyCache.has(pub) && keyCache.size >= KEY_CACHE_MAX) {
    const oldest = keyCache.keys().next();
    if (oldest.done !== true) keyCache.delete(oldest.value);
  }
  keyCache.set(pub, key);
  return key;
}

/** Number of imported keys held in the cache (for tests and metrics). */
export function verifyKeyCacheSize(): number {
  return keyCache.size;
}

async function webCryptoVerify(pub: PublicKeyHex, d: Decoded, message: Uint8Array, key?: Promise<CryptoKey>): Promise<boolean> {
  try {
    const k = await (key ?? importVerifyKey(pub, d.pub));
    return await crypto.subtle.verify({ name: "Ed25519" }, k, d.sig, message);
  } catch {
    // a key WebCrypto refuses to import (e.g. not on the curve) verifies nothing
    return false;
  }
}

/**
 * The consensus signature check: `checkSignatureEncoding` must pass, then
 * native WebCrypto Ed25519 must accept. Returns false, never throws, for any
 * bad input.
 */
export async function verifySignature(pub: PublicKeyHex, message: Uint8Array, sig: SignatureHex): Promise<boolean> {
  const d = decodeChecked(pub, message, sig);
  if (d === null) return false;
  return webCryptoVerify(pub, d, message);
}

/**
 * The same encoding checks, then @noble/ed25519 `verify` with `zip215: false`
 * (strict decoding, cofactored equation). Pure JavaScript and ~20× slower:
 * for tests and benchmarks that compare it with `verifySignature`, never for
 * consensus. It can disagree with `verifySignature` only on mixed-order A or
 * R, which it accepts whenever the prime-order part of the equation holds.
 */
export function verifySignatureNoble(pub: PublicKeyHex, message: Uint8Array, sig: SignatureHex): boolean {
  const d = decodeChecked(pub, message, sig);
  if (d === null) return false;
  // noble returns false (it does not throw) for points that do not decode
  return ed.verify(d.sig, message, d.pub, { zip215: false });
}

export interface SignedItem {
  readonly pub: PublicKeyHex;
  readonly message: Uint8Array;
  readonly sig: SignatureHex;
}

/**
 * Verifies every item concurrently (the block-validation hot path) and
 * returns the index of the first invalid one, or −1 when all are valid.
 * Items after the first encoding failure are not verified; each distinct key
 * is imported once per call.
 */
export async function verifyAll(items: readonly SignedItem[]): Promise<number> {
  const decoded: Decoded[] = [];
  for (const item of items) {
    const d = decodeChecked(item.pub, item.message, item.sig);
    if (d === null) break;
    decoded.push(d);
  }
  const keys = new Map<PublicKeyHex, Promise<CryptoKey>>();
  const results = await Promise.all(
    decoded.map((d, i) => {
      const { pub, message } = items[i] as SignedItem;
      // hot path: a cached key goes straight to the native verifier
      const cached = keyCache.get(pub);
      if (cached !== undefined) return crypto.subtle.verify({ name: "Ed25519" }, cached, d.sig, message).catch(() => false);
      let key = keys.get(pub);
      if (key === undefined) {
        key = importVerifyKey(pub, d.pub);
        key.catch(() => undefined); // rejection is handled (as false) by each verify below
        keys.set(pub, key);
      }
      return webCryptoVerify(pub, d, message, key);
    }),
  );
  const bad = results.indexOf(false);
  if (bad !== -1) return bad;
  return decoded.length < items.length ? decoded.length : -1;
}
