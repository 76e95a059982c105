/**
 * Blocks: hashing, signing, the wire form and stateless parsing. Whether a
 * block is valid on a given state is decided by applyBlock.
 */
import { toWire, type Encodable } from "./encoding.ts";
import { err, ok, type Result } from "./errors.ts";
import { hashOf, merkleRoot } from "./hash.ts";
import { hexToBytes } from "./hex.ts";
import { sign } from "./keys.ts";
import type { Block, BlockHeader, ChainParams, CoinbaseOutput, CoinbaseRole, JsonValue, Tx } from "./types.ts";
import { MAX_AMOUNT, MAX_FIXED, parseTx, txSize } from "./tx.ts";
import { VRF_PROOF_BYTES } from "./vrf.ts";
import { asArray, asBig, asHex, asInt, asObject, asString, WireError } from "./wire.ts";

const HEADER_KEYS = ["network", "height", "parent", "timestamp", "producer", "txRoot", "coinbaseRoot", "stateRoot", "work", "cumulativeWork", "threshold", "rank", "vrf", "beacon"] as const;
const ROLES: readonly CoinbaseRole[] = ["producer", "optimizer", "evaluator"];
/** A producer's place in the schedule is below the number of accounts; this bounds the wire value. */
const MAX_RANK = 1_000_000_000;
/** Coinbase outputs: one producer, at most one per optimizer and evaluator of the block's transactions. */
const MAX_COINBASE_OUTPUTS = 4_096;

export function blockHash(header: BlockHeader): string {
  return hashOf("block", header as unknown as Encodable);
}

export function coinbaseRoot(outputs: readonly CoinbaseOutput[]): string {
  return hashOf("coinbase", outputs as unknown as Encodable);
}

/** Canonical bytes of a block's transactions together (what maxBlockTxBytes bounds). */
export function blockTxBytes(txs: readonly Tx[]): number {
  let total = 0;
  for (const t of txs) total += txSize(t);
  return total;
}

export function txRoot(txs: readonly Tx[]): string {
  return merkleRoot(txs.map((t) => t.id));
}

/** Signs a header with the producer's secret, returning the complete block. */
export function sealBlock(header: BlockHeader, txs: readonly Tx[], coinbase: readonly CoinbaseOutput[], secret: Uint8Array): Block {
  const hash = blockHash(header);
  return { header, txs, coinbase, hash, sig: sign(secret, hexToBytes(hash)) };
}

export function blockToWire(block: Block): JsonValue {
  return toWire(block as unknown as Encodable);
}

export function headerToWire(header: BlockHeader): JsonValue {
  return toWire(header as unknown as Encodable);
}

export function parseHeader(value: unknown, path = "header"): Result<BlockHeader> {
  try {
    return ok(readHeader(value, path));
  } catch (e) {
    if (e instanceof WireError) return err("MALFORMED", e.message);
    throw e;
  }
}

function readHeader(value: unknown, path: string): BlockHeader {
  const h = asObject(value, path, HEADER_KEYS);
  return {
    network: asString(h["network"], `${path}.network`, 64),
    height: asInt(h["height"], `${path}.height`, 0),
    parent: asHex(h["parent"], `${path}.parent`, 32),
    timestamp: asInt(h["timestamp"], `${path}.timestamp`, 0),
    producer: asHex(h["producer"], `${path}.producer`, 32),
    txRoot: asHex(h["txRoot"], `${path}.txRoot`, 32),
    coinbaseRoot: asHex(h["coinbaseRoot"], `${path}.coinbaseRoot`, 32),
    stateRoot: asHex(h["stateRoot"], `${path}.stateRoot`, 32),
    work: asBig(h["work"], `${path}.work`, 0n, MAX_FIXED),
    cumulativeWork: asBig(h["cumulativeWork"], `${path}.cumulativeWork`, 0n, MAX_FIXED * 1_000_000_000n),
    threshold: asBig(h["threshold"], `${path}.threshold`, 0n, MAX_FIXED),
    rank: asInt(h["rank"], `${path}.rank`, 0, MAX_RANK),
    vrf: asHex(h["vrf"], `${path}.vrf`, VRF_PROOF_BYTES),
    beacon: asHex(h["beacon"], `${path}.beacon`, 32),
  };
}

/**
 * Parses a block from its wire form with every stateless check: shape,
 * bounds, each transaction's stateless checks, the hash, the transaction
 * root and duplicate transactions. Signatures are checked by applyBlock.
 */
export function parseBlock(value: unknown, params: ChainParams): Result<Block> {
  let header: BlockHeader;
  let rawTxs: readonly unknown[];
  let coinbase: CoinbaseOutput[];
  let hash: string;
  let sig: string;
  try {
    const b = asObject(value, "block", ["header", "txs", "coinbase", "hash", "sig"]);
    header = readHeader(b["header"], "block.header");
    rawTxs = asArray(b["txs"], "block.txs", params.maxTxsPerBlock);
    coinbase = asArray(b["coinbase"], "block.coinbase", MAX_COINBASE_OUTPUTS).map((o, i) => {
      const c = asObject(o, `block.coinbase[${i}]`, ["to", "amount", "role"]);
      const role = asString(c["role"], `block.coinbase[${i}].role`, 16) as CoinbaseRole;
      if (!ROLES.includes(role)) throw new WireError(`block.coinbase[${i}].role: unknown role`);
      return { to: asHex(c["to"], `block.coinbase[${i}].to`, 20), amount: asBig(c["amount"], `block.coinbase[${i}].amount`, 1n, MAX_AMOUNT), role };
    });
    hash = asHex(b["hash"], "block.hash", 32);
    sig = asHex(b["sig"], "block.sig", 64);
  } catch (e) {
    if (e instanceof WireError) return err("MALFORMED", e.message);
    throw e;
  }
  const txs: Tx[] = [];
  for (let i = 0; i < rawTxs.length; i++) {
    const t = parseTx(rawTxs[i], params, `block.txs[${i}]`);
    if (!t.ok) return err(t.error.code, t.error.message, i);
    txs.push(t.value);
  }
  const block: Block = { header, txs, coinbase, hash, sig };
  const checked = checkBlock(block, params);
  return checked.ok ? ok(block) : checked;
}

/** Stateless block checks shared by parseBlock and applyBlock. */
export function checkBlock(block: Block, params: ChainParams): Result<Block> {
  const { header } = block;
  if (header.network !== params.network) return err("WRONG_NETWORK", `block is for network ${JSON.stringify(header.network)}, this is ${params.network}`);
  if (block.txs.length > params.maxTxsPerBlock) return err("TOO_MANY_TXS", `block has ${block.txs.length} transactions, limit ${params.maxTxsPerBlock}`);
  const bytes = blockTxBytes(block.txs);
  if (bytes > params.maxBlockTxBytes) return err("BLOCK_TOO_LARGE", `the block's transactions are ${bytes} bytes, limit ${params.maxBlockTxBytes}`);
  if (blockHash(header) !== block.hash) return err("BAD_ID", "block hash is not the hash of its header");
  const seen = new Set<string>();
  for (let i = 0; i < block.txs.length; i++) {
    const id = (block.txs[i] as Tx).id;
    if (seen.has(id)) return err("DUPLICATE_TX", `transaction ${id} appears twice`, i);
    seen.add(id);
  }
  if (txRoot(block.txs) !== header.txRoot) return err("BAD_TX_ROOT", "txRoot does not match the transactions");
  if (coinbaseRoot(block.coinbase) !== header.coinbaseRoot) return err("BAD_COINBASE", "coinbaseRoot does not match the coinbase outputs");
  return ok(block);
}
