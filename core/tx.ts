/**
 * Transactions: ids, signing, the wire form, and stateless checks (shape,
 * sizes, bounds, id). Signatures are checked by `verifyTxSignatures`; checks
 * that need chain state live in state-transition.ts.
 */
import { canonicalBytes, findNonInteger, toWire, type Encodable } from "./encoding.ts";
import { err, ok, type Result } from "./errors.ts";
import { hashOf } from "./hash.ts";
import { hexToBytes } from "./hex.ts";
import { addressFromPublicKey, publicKeyFromSecret, sign } from "./keys.ts";
import type { Address, Amount, ChainParams, Fixed, Hash, JsonValue, PublicKeyHex, Tx, TxKind, TxOf, UnsignedTx } from "./types.ts";
import { asArray, asBig, asHex, asInt, asObject, asString, WireError, type Obj } from "./wire.ts";

export const TX_KINDS: readonly TxKind[] = ["commit", "reveal", "vote", "accept", "transfer", "anchor"];

/** Bound on any coin amount on the wire (well above the 21 M cap). */
export const MAX_AMOUNT: Amount = 2n ** 63n - 1n;
/** Bound on any Fixed performance on the wire: ±10^30 (10^24 in real units). */
export const MAX_FIXED: Fixed = 10n ** 30n;

/**
 * The wire's string shapes, exported so that the API's schemas (zod, in
 * workers/) are built from the same expressions parseTx applies.
 */
export const WIRE_PATTERNS = {
  /** a network id and a domain id */
  id: /^[a-z0-9][a-z0-9_-]{0,63}$/,
  /** an accept's experiment id */
  experimentId: /^[A-Za-z0-9_.:-]{1,64}$/,
  /** an anchor's ledger name */
  ledger: /^[a-z0-9_-]{1,32}$/,
  /** printable ASCII */
  text: /^[\x20-\x7e]*$/,
  /** an address: 20 bytes of lower-case hex */
  address: /^[0-9a-f]{40}$/,
  /** a hash or public key: 32 bytes of lower-case hex */
  hex32: /^[0-9a-f]{64}$/,
  /** a signature: 64 bytes of lower-case hex */
  hex64: /^[0-9a-f]{128}$/,
} as const;
const DOMAIN_RE = WIRE_PATTERNS.id;
const TEXT_RE = WIRE_PATTERNS.text;

export function txId(tx: UnsignedTx): Hash {
  return hashOf("tx", unsignedPart(tx));
}

function unsignedPart(tx: UnsignedTx): Encodable {
  return { network: tx.network, kind: tx.kind, from: tx.from, nonce: tx.nonce, fee: tx.fee, body: tx.body as unknown as Encodable };
}

/** Signs an unsigned transaction with the sender's secret key. */
export function signTx(unsigned: UnsignedTx, secret: Uint8Array): Tx {
  const from = publicKeyFromSecret(secret);
  if (from !== unsigned.from) throw new Error("signTx: secret key does not belong to tx.from");
  const id = txId(unsigned);
  return { ...unsigned, id, sig: sign(secret, hexToBytes(id)) } as Tx;
}

export function txSender(tx: Tx): Address {
  return addressFromPublicKey(tx.from);
}

/**
 * The hidden value an optimizer commits to. It binds the domain, the
 * parameters, the claimed performance and the optimizer, so a reveal cannot
 * be replayed by anyone else and the claim cannot change after the commit
 * (the reference committed to the parameters only).
 */
export function computeCommitment(input: {
  domain: string;
  params: JsonValue;
  salt: string;
  reported: Fixed;
  optimizer: PublicKeyHex;
}): Hash {
  return hashOf("commitment", { domain: input.domain, params: input.params, salt: input.salt, reported: input.reported, optimizer: input.optimizer });
}

export function paramsHash(params: JsonValue): Hash {
  return hashOf("params", params);
}

export function txToWire(tx: Tx): JsonValue {
  return toWire(tx as unknown as Encodable);
}

/**
 * Sizes already measured, by transaction object: a block's byte limit sums
 * the sizes that parsing its transactions measured (encoding each one again
 * cost a third of a block's validation). Transactions are immutable, so an
 * object's size never changes.
 */
const sizes = new WeakMap<Tx, number>();

/** Canonical size of a transaction in bytes (what the size limits count). */
export function txSize(tx: Tx): number {
  let size = sizes.get(tx);
  if (size === undefined) {
    size = canonicalBytes(tx as unknown as Encodable).length;
    sizes.set(tx, size);
  }
  return size;
}

/**
 * The largest a transaction of `kind` may be: maxTxBytes, and for a reveal
 * as much more as the largest domain's params may take (model weights travel
 * in the reveal; its own domain's limit is checked against the commit).
 */
export function txSizeLimit(params: ChainParams, kind: TxKind): number {
  if (kind !== "reveal") return params.maxTxBytes;
  return params.maxTxBytes + Math.max(0, ...params.domains.map((d) => d.maxParamsBytes));
}

/** Size of reveal params as a domain's maxParamsBytes counts it: the bytes of their canonical JSON. */
export function paramsSize(value: JsonValue): number {
  return canonicalBytes(value as Encodable).length;
}

/**
 * Parses a transaction from its wire form and runs every stateless check:
 * exact fields, types, bounds, size, network, and that the id is the hash of
 * the content. The signature is NOT checked here (it is async): see
 * verifyTxSignatures.
 */
export function parseTx(value: unknown, params: ChainParams, path = "tx"): Result<Tx> {
  let tx: Tx;
  try {
    tx = readTx(value, path);
  } catch (e) {
    if (e instanceof WireError) return err("MALFORMED", e.message);
    throw e;
  }
  return checkTx(tx, params);
}

/** Stateless checks of an already typed transaction. */
export function checkTx(tx: Tx, params: ChainParams): Result<Tx> {
  if (tx.network !== params.network) return err("WRONG_NETWORK", `tx is for network ${JSON.stringify(tx.network)}, this is ${params.network}`);
  const size = txSize(tx);
  const limit = txSizeLimit(params, tx.kind);
  if (size > limit) return err("TOO_LARGE", `tx is ${size} bytes, limit ${limit}`);
  if (tx.kind === "reveal") {
    const bad = findNonInteger(tx.body.params);
    if (bad !== null) return err("NON_CANONICAL", `reveal params hold a non-integer number at ${bad}; encode reals as fixed-point integers`);
  }
  if (txId(tx) !== tx.id) return err("BAD_ID", "tx id is not the hash of its content");
  return ok(tx);
}

function readTx(value: unknown, path: string): Tx {
  const o = asObject(value, path, ["network", "kind", "from", "nonce", "fee", "body", "id", "sig"]);
  const kind = asString(o["kind"], `${path}.kind`, 16) as TxKind;
  if (!TX_KINDS.includes(kind)) throw new WireError(`${path}.kind: unknown kind ${JSON.stringify(kind)}`);
  const base = {
    network: asString(o["network"], `${path}.network`, 64, DOMAIN_RE),
    kind,
    from: asHex(o["from"], `${path}.from`, 32),
    nonce: asInt(o["nonce"], `${path}.nonce`, 1),
    fee: asBig(o["fee"], `${path}.fee`, 0n, MAX_AMOUNT),
    body: readBody(kind, o["body"], `${path}.body`),
    id: asHex(o["id"], `${path}.id`, 32),
    sig: asHex(o["sig"], `${path}.sig`, 64),
  };
  return base as unknown as Tx;
}

function readBody(kind: TxKind, v: unknown, path: string): Obj {
  switch (kind) {
    case "commit": {
      const b = asObject(v, path, ["domain", "commitment"]);
      return { domain: asString(b["domain"], `${path}.domain`, 64, DOMAIN_RE), commitment: asHex(b["commitment"], `${path}.commitment`, 32) };
    }
    case "reveal": {
      const b = asObject(v, path, ["commit", "params", "salt", "reported"]);
      const salt = b["salt"];
      if (typeof salt !== "string" || salt.length < 32 || salt.length > 128) throw new WireError(`${path}.salt: expected 16 to 64 bytes of hex`);
      return {
        commit: asHex(b["commit"], `${path}.commit`, 32),
        params: readJson(b["params"], `${path}.params`, 0),
        salt: asHex(salt, `${path}.salt`, salt.length / 2),
        reported: asBig(b["reported"], `${path}.reported`, -MAX_FIXED, MAX_FIXED),
      };
    }
    case "vote": {
      const b = asObject(v, path, ["optimae", "performance", "dataHash"]);
      return {
        optimae: asHex(b["optimae"], `${path}.optimae`, 32),
        performance: asBig(b["performance"], `${path}.performance`, -MAX_FIXED, MAX_FIXED),
        dataHash: asHex(b["dataHash"], `${path}.dataHash`, 32),
      };
    }
    case "accept": {
      const b = asObject(v, path, ["optimae", "experimentId", "roundNumber", "timeToResultSeconds", "optimizationConfigHash", "dataHash"]);
      return {
        optimae: asHex(b["optimae"], `${path}.optimae`, 32),
        experimentId: asString(b["experimentId"], `${path}.experimentId`, 64, WIRE_PATTERNS.experimentId),
        roundNumber: asInt(b["roundNumber"], `${path}.roundNumber`, 0),
        timeToResultSeconds: asInt(b["timeToResultSeconds"], `${path}.timeToResultSeconds`, 0),
        optimizationConfigHash: asHex(b["optimizationConfigHash"], `${path}.optimizationConfigHash`, 32),
        dataHash: asHex(b["dataHash"], `${path}.dataHash`, 32),
      };
    }
    case "transfer": {
      const b = asObject(v, path, ["to", "amount"]);
      return { to: asHex(b["to"], `${path}.to`, 20), amount: asBig(b["amount"], `${path}.amount`, 1n, MAX_AMOUNT) };
    }
    case "anchor": {
      const b = asObject(v, path, ["height", "blockHash", "ledger", "ref"]);
      return {
        height: asInt(b["height"], `${path}.height`, 1),
        blockHash: asHex(b["blockHash"], `${path}.blockHash`, 32),
        ledger: asString(b["ledger"], `${path}.ledger`, 32, WIRE_PATTERNS.ledger),
        ref: asString(b["ref"], `${path}.ref`, 128, TEXT_RE),
      };
    }
  }
}

/** Why `value` cannot be a reveal's params (null: it can): the rule parseTx applies, for producers that check before they commit. */
export function revealParamsProblem(value: unknown, path = "params"): string | null {
  try {
    readJson(value, path, 0);
    return null;
  } catch (e) {
    if (e instanceof WireError) return e.message;
    throw e;
  }
}

/** Parameters are free-form JSON, bounded in depth; numbers must be safe integers. */
function readJson(v: unknown, path: string, depth: number): JsonValue {
  if (depth > 8) throw new WireError(`${path}: nested deeper than 8 levels`);
  if (v === null || typeof v === "boolean" || typeof v === "string") return v;
  if (typeof v === "number") {
    if (!Number.isSafeInteger(v)) throw new WireError(`${path}: numbers must be safe integers (fixed-point), got ${v}`);
    return v;
  }
  if (Array.isArray(v)) return asArray(v, path, 4096).map((x, i) => readJson(x, `${path}[${i}]`, depth + 1));
  if (typeof v === "object") {
    const out: Record<string, JsonValue> = {};
    for (const [k, x] of Object.entries(v as Obj)) out[k] = readJson(x, `${path}.${k}`, depth + 1);
    return out;
  }
  throw new WireError(`${path}: not a JSON value`);
}

/** Builds and signs a transaction of any kind. */
export function createTx<K extends TxKind>(
  kind: K,
  body: UnsignedTx extends infer U ? (U extends { kind: K; body: infer B } ? B : never) : never,
  opts: { readonly secret: Uint8Array; readonly nonce: number; readonly network: string; readonly fee?: Amount },
): TxOf<K> {
  const unsigned = { network: opts.network, kind, from: publicKeyFromSecret(opts.secret), nonce: opts.nonce, fee: opts.fee ?? 0n, body } as unknown as UnsignedTx;
  return signTx(unsigned, opts.secret) as TxOf<K>;
}
