/**
 * The state's leaves as bytes: where an item lives in the state tree (its
 * key), what is hashed of it (its value's canonical text), and its wire form
 * `{space, id, value}` (how a node stores its state and how a snapshot
 * travels between nodes).
 *
 *   key       = H("state-key", [space, id])
 *   valueHash = H("state-value", value)        (canonical JSON, bigints as decimal strings)
 *
 * Reading a leaf from the wire checks its shape strictly and that the typed
 * value writes back to exactly the text that was hashed, so a leaf read from
 * a peer hashes the same as the state it came from, or is refused.
 */
import { canonicalJson, EncodingError, toWire, utf8, type Encodable } from "./encoding.ts";
import { err, ok, type Result } from "./errors.ts";
import { hashOf, taggedHashBytes } from "./hash.ts";
import { bytesToHex } from "./hex.ts";
import type { Account, Champion, CommitRecord, DifficultyState, Hash, JsonValue, Round, RoundStatus, StateEntry, StateMeta, StateSpace, Vote } from "./types.ts";
import { asArray, asBig, asHex, asInt, asObject, asString, WireError, type Obj } from "./wire.ts";

export const STATE_SPACES: readonly StateSpace[] = ["meta", "account", "champion", "commit", "round", "revealed", "pending-optimizer", "pending-evaluator", "anchor", "checkpoint", "recent-beacon"];
/** Spaces whose ids are heights (numbers); the others have string ids. */
const NUMBERED: ReadonlySet<StateSpace> = new Set(["anchor", "checkpoint", "recent-beacon"]);
const ADDRESS_RE = /^[0-9a-f]{40}$/;

/** Where an item lives in the state tree: H("state-key", [space, id]). */
export function stateKey(space: StateSpace, id: string | number): Hash {
  if (space === "account" && typeof id === "string" && ADDRESS_RE.test(id)) return accountKey(id);
  return hashOf("state-key", [space, id]);
}

/** stateKey("account", address), without the generic encoder (every block derives many). */
export function accountKey(address: string): Hash {
  if (!ADDRESS_RE.test(address)) return hashOf("state-key", ["account", address]);
  return bytesToHex(taggedHashBytes("state-key", utf8(`["account","${address}"]`)));
}

function accountText(a: Account): string | null {
  if (Number.isSafeInteger(a.nonce) && Number.isSafeInteger(a.reputationTime) && Number.isSafeInteger(a.lastActiveTime) && typeof a.balance === "bigint" && typeof a.reputation === "bigint") {
    return `{"balance":"${a.balance}","lastActiveTime":${a.lastActiveTime},"nonce":${a.nonce},"reputation":"${a.reputation}","reputationTime":${a.reputationTime}}`;
  }
  return null;
}

/**
 * The canonical text of an entry's value (RFC 8785 JSON). Accounts are
 * written directly (byte for byte the generic encoding, which
 * test/core/state-codec.test.ts checks): they are most of every snapshot.
 */
export function valueText(entry: StateEntry): string {
  if (entry.space === "account") {
    const fast = accountText(entry.value);
    if (fast !== null) return fast;
  }
  return canonicalJson(entry.value as unknown as Encodable);
}

/** H("state-value", the value's canonical text). */
export function valueHash(entry: StateEntry): Uint8Array {
  return taggedHashBytes("state-value", utf8(valueText(entry)));
}

export function entryToWire(entry: StateEntry): JsonValue {
  return { space: entry.space, id: entry.id, value: toWire(entry.value as unknown as Encodable) };
}

/** A leaf read from the wire: the typed entry, its key and its value hash. */
export interface WireLeaf {
  readonly entry: StateEntry;
  readonly key: Hash;
  readonly valueHash: Uint8Array;
}

/**
 * Reads the typed entry of a leaf this node wrote itself (its stored hashes
 * vouch for it): the shape only, nothing hashed. Peers' leaves go through
 * `entryFromWire`.
 */
export function readEntry(raw: unknown, path = "leaf"): Result<StateEntry> {
  try {
    const o = asObject(raw, path, ["space", "id", "value"]);
    const { space, id } = readSpaceAndId(o, path);
    return ok({ space, id, value: readValue(space, id, o["value"], `${path}.value`) } as StateEntry);
  } catch (e) {
    if (e instanceof WireError) return err("MALFORMED", e.message);
    throw e;
  }
}

function readSpaceAndId(o: Obj, path: string): { space: StateSpace; id: string | number } {
  const space = asString(o["space"], `${path}.space`, 32) as StateSpace;
  if (!STATE_SPACES.includes(space)) throw new WireError(`${path}.space: unknown space`);
  const id = NUMBERED.has(space) ? asInt(o["id"], `${path}.id`, 0) : asString(o["id"], `${path}.id`, 128);
  return { space, id };
}

/** Reads a leaf `{space, id, value}` from the wire; MALFORMED for anything that is not exactly one. */
export function entryFromWire(raw: unknown, path = "leaf"): Result<WireLeaf> {
  try {
    const o = asObject(raw, path, ["space", "id", "value"]);
    const { space, id } = readSpaceAndId(o, path);
    let text: string;
    try {
      text = canonicalJson(o["value"] as Encodable);
    } catch (e) {
      if (e instanceof EncodingError) throw new WireError(`${path}.value: ${e.message}`);
      throw e;
    }
    const entry = { space, id, value: readValue(space, id, o["value"], `${path}.value`) } as StateEntry;
    // the typed value must write back to the text the hash is taken over
    if (valueText(entry) !== text) throw new WireError(`${path}.value: not in canonical form`);
    return ok({ entry, key: stateKey(space, id), valueHash: taggedHashBytes("state-value", utf8(text)) });
  } catch (e) {
    if (e instanceof WireError) return err("MALFORMED", e.message);
    throw e;
  }
}

const BIG = 10n ** 39n;
const big = (v: unknown, path: string, min = -BIG): bigint => asBig(v, path, min, BIG);
const hash = (v: unknown, path: string): Hash => asHex(v, path, 32);
const address = (v: unknown, path: string): string => asHex(v, path, 20);
const nullable = <T>(v: unknown, read: (v: unknown) => T): T | null => (v === null ? null : read(v));
const ROUND_STATUS: readonly RoundStatus[] = ["voting", "accepted", "rejected", "expired", "claimed", "superseded"];

function readValue(space: StateSpace, id: string | number, v: unknown, path: string): StateEntry["value"] {
  switch (space) {
    case "meta":
      if (id !== "chain") throw new WireError(`${path}: the meta leaf's id is "chain"`);
      return readMeta(v, path);
    case "account":
      address(id, `${path} id`);
      return readAccount(v, path);
    case "champion":
      return readChampion(v, path);
    case "commit":
      hash(id, `${path} id`);
      return readCommit(v, path);
    case "round":
      hash(id, `${path} id`);
      return readRound(v, path);
    case "revealed":
      hash(id, `${path} id`);
      return hash(v, path);
    case "pending-optimizer":
      address(id, `${path} id`);
      return big(v, path, 0n);
    case "pending-evaluator":
      address(id, `${path} id`);
      return asInt(v, path, 0);
    case "anchor":
    case "checkpoint":
    case "recent-beacon":
      return hash(v, path);
  }
}

function readDifficulty(v: unknown, path: string): DifficultyState {
  const d = asObject(v, path, ["threshold", "emaBlockTimeMs", "lastWorkTimestamp", "epochStartTimestamp", "blocksInEpoch"]);
  return {
    threshold: big(d["threshold"], `${path}.threshold`, 0n),
    emaBlockTimeMs: big(d["emaBlockTimeMs"], `${path}.emaBlockTimeMs`, 0n),
    lastWorkTimestamp: asInt(d["lastWorkTimestamp"], `${path}.lastWorkTimestamp`, 0),
    epochStartTimestamp: asInt(d["epochStartTimestamp"], `${path}.epochStartTimestamp`, 0),
    blocksInEpoch: asInt(d["blocksInEpoch"], `${path}.blocksInEpoch`, 0),
  };
}

function readMeta(v: unknown, path: string): StateMeta {
  const m = asObject(v, path, ["network", "height", "tipTimestamp", "cumulativeWork", "weight", "supply", "burned", "beacon", "mintedBlocks", "difficulty", "pendingWork"]);
  return {
    network: asString(m["network"], `${path}.network`, 64),
    height: asInt(m["height"], `${path}.height`, 0),
    tipTimestamp: asInt(m["tipTimestamp"], `${path}.tipTimestamp`, 0),
    cumulativeWork: big(m["cumulativeWork"], `${path}.cumulativeWork`, 0n),
    weight: asInt(m["weight"], `${path}.weight`, 0),
    supply: big(m["supply"], `${path}.supply`, 0n),
    burned: big(m["burned"], `${path}.burned`, 0n),
    beacon: hash(m["beacon"], `${path}.beacon`),
    mintedBlocks: asInt(m["mintedBlocks"], `${path}.mintedBlocks`, 0),
    difficulty: readDifficulty(m["difficulty"], `${path}.difficulty`),
    pendingWork: big(m["pendingWork"], `${path}.pendingWork`, 0n),
  };
}

function readAccount(v: unknown, path: string): Account {
  const a = asObject(v, path, ["balance", "nonce", "reputation", "reputationTime", "lastActiveTime"]);
  return {
    balance: big(a["balance"], `${path}.balance`, 0n),
    nonce: asInt(a["nonce"], `${path}.nonce`, 0),
    reputation: big(a["reputation"], `${path}.reputation`, 0n),
    reputationTime: asInt(a["reputationTime"], `${path}.reputationTime`, 0),
    lastActiveTime: asInt(a["lastActiveTime"], `${path}.lastActiveTime`, -1),
  };
}

function readChampion(v: unknown, path: string): Champion {
  const c = asObject(v, path, ["performance", "optimae", "optimizer", "params", "height"]);
  return {
    performance: big(c["performance"], `${path}.performance`),
    optimae: nullable(c["optimae"], (x) => hash(x, `${path}.optimae`)),
    optimizer: nullable(c["optimizer"], (x) => address(x, `${path}.optimizer`)),
    params: c["params"] as JsonValue,
    height: asInt(c["height"], `${path}.height`, 0),
  };
}

function readCommit(v: unknown, path: string): CommitRecord {
  const c = asObject(v, path, ["id", "domain", "optimizer", "commitment", "height", "bond"]);
  return {
    id: hash(c["id"], `${path}.id`),
    domain: asString(c["domain"], `${path}.domain`, 128),
    optimizer: address(c["optimizer"], `${path}.optimizer`),
    commitment: hash(c["commitment"], `${path}.commitment`),
    height: asInt(c["height"], `${path}.height`, 0),
    bond: big(c["bond"], `${path}.bond`, 0n),
  };
}

function readVote(v: unknown, path: string): Vote {
  const x = asObject(v, path, ["evaluator", "performance", "dataHash"]);
  return { evaluator: address(x["evaluator"], `${path}.evaluator`), performance: big(x["performance"], `${path}.performance`), dataHash: hash(x["dataHash"], `${path}.dataHash`) };
}

function readRound(v: unknown, path: string): Round {
  const keys = ["optimae", "domain", "optimizer", "commit", "beacon", "bond", "paramsHash", "params", "reported", "revealHeight", "deadline", "quorum", "votes", "status", "verified", "agreeing"];
  const r: Obj = asObject(v, path, keys);
  const status = asString(r["status"], `${path}.status`, 16) as RoundStatus;
  if (!ROUND_STATUS.includes(status)) throw new WireError(`${path}.status: unknown status`);
  return {
    optimae: hash(r["optimae"], `${path}.optimae`),
    domain: asString(r["domain"], `${path}.domain`, 128),
    optimizer: address(r["optimizer"], `${path}.optimizer`),
    commit: hash(r["commit"], `${path}.commit`),
    beacon: hash(r["beacon"], `${path}.beacon`),
    bond: big(r["bond"], `${path}.bond`, 0n),
    paramsHash: hash(r["paramsHash"], `${path}.paramsHash`),
    params: r["params"] as JsonValue,
    reported: big(r["reported"], `${path}.reported`),
    revealHeight: asInt(r["revealHeight"], `${path}.revealHeight`, 0),
    deadline: asInt(r["deadline"], `${path}.deadline`, 0),
    quorum: asArray(r["quorum"], `${path}.quorum`, 4096).map((x, i) => address(x, `${path}.quorum[${i}]`)),
    votes: asArray(r["votes"], `${path}.votes`, 4096).map((x, i) => readVote(x, `${path}.votes[${i}]`)),
    status,
    verified: nullable(r["verified"], (x) => big(x, `${path}.verified`)),
    agreeing: asArray(r["agreeing"], `${path}.agreeing`, 4096).map((x, i) => address(x, `${path}.agreeing[${i}]`)),
  };
}
