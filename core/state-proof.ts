/**
 * Proofs for light clients: that an account holds exactly this (or that no
 * such account exists) in the state a block header commits to. A client that
 * trusts a header (final, or pinned by a checkpoint) checks an account against
 * its stateRoot without the state: ≈ log₂ N hashes.
 */
import { blockHash, parseHeader } from "./block.ts";
import { err, ok, type Result } from "./errors.ts";
import { bytesToHex, isHex } from "./hex.ts";
import { accountKey, entryFromWire, valueHash } from "./state-codec.ts";
import { proveKey, verifyProof, type Tree, type TreeProof } from "./state-tree.ts";
import type { Account, Address, BlockHeader, Hash, StateEntry } from "./types.ts";
import { asArray, asHex, asObject, WireError } from "./wire.ts";

export type { TreeProof };

/** The proof for `address` in a state's tree: the account's leaf, another key's, or an empty subtree. */
export function proveAccount(tree: Tree<StateEntry>, address: Address): TreeProof {
  return proveKey(tree, accountKey(address), (leaf) => valueHash(leaf.entry));
}

/**
 * Whether `proof` shows that under `stateRoot` the account `address` is
 * exactly `account`, or (`account` null) that there is no such account.
 * Pure; false for anything malformed.
 */
export function verifyAccountProof(stateRoot: Hash, address: Address, account: Account | null, proof: TreeProof): boolean {
  if (!isHex(address, 20)) return false;
  const vh = account === null ? null : bytesToHex(valueHash({ space: "account", id: address, value: account }));
  return verifyProof(stateRoot, accountKey(address), vh, proof);
}

/** Reads a proof from the wire (`{siblings, leaf}`); MALFORMED unless it is one. */
export function parseTreeProof(raw: unknown, path = "proof"): Result<TreeProof> {
  try {
    const o = asObject(raw, path, ["siblings", "leaf"]);
    const siblings = asArray(o["siblings"], `${path}.siblings`, 256).map((s, i) => asHex(s, `${path}.siblings[${i}]`, 32));
    const l = o["leaf"];
    if (l === null) return ok({ siblings, leaf: null });
    const leaf = asObject(l, `${path}.leaf`, ["key", "valueHash"]);
    return ok({ siblings, leaf: { key: asHex(leaf["key"], `${path}.leaf.key`, 32), valueHash: asHex(leaf["valueHash"], `${path}.leaf.valueHash`, 32) } });
  } catch (e) {
    if (e instanceof WireError) return err("MALFORMED", e.message);
    throw e;
  }
}

/** Reads an account in its wire form (decimal strings for the bigints); MALFORMED unless it is one. */
export function parseWireAccount(address: Address, raw: unknown): Result<Account> {
  const r = entryFromWire({ space: "account", id: address, value: raw }, "account");
  if (!r.ok) return r;
  return ok((r.value.entry as Extract<StateEntry, { space: "account" }>).value);
}

/** What a node's account proof answer shows, once checked. */
export interface ProvenAccount {
  readonly address: Address;
  /** null: the state holds no such account */
  readonly account: Account | null;
  /** the header the proof is against, and its hash (what a client compares with a block it trusts) */
  readonly header: BlockHeader;
  readonly blockHash: Hash;
}

/**
 * Checks a node's answer to `GET /chain/account/{address}?proof=1`: the
 * header hashes to the block the answer names, and the account (or its
 * absence) is proven against that header's stateRoot. A light client then
 * only has to trust the block hash (final at a peer it trusts, or pinned by
 * a checkpoint). BAD_PROOF when the answer does not prove what it says.
 */
export function checkAccountProofAnswer(address: Address, raw: unknown): Result<ProvenAccount> {
  if (typeof raw !== "object" || raw === null) return err("MALFORMED", "the answer is not an object");
  const p = (raw as { proof?: unknown }).proof;
  if (typeof p !== "object" || p === null) return err("MALFORMED", "the answer holds no proof");
  const o = p as Record<string, unknown>;
  const header = parseHeader(o["header"], "proof.header");
  if (!header.ok) return header;
  const hash = blockHash(header.value);
  if (hash !== o["block"]) return err("BAD_PROOF", `the header hashes to ${hash}, not to the block ${String(o["block"])} the answer names`);
  const proof = parseTreeProof({ siblings: o["siblings"], leaf: o["leaf"] }, "proof");
  if (!proof.ok) return proof;
  let account: Account | null = null;
  if (o["account"] !== null) {
    const a = parseWireAccount(address, o["account"]);
    if (!a.ok) return a;
    account = a.value;
  }
  if (!verifyAccountProof(header.value.stateRoot, address, account, proof.value)) {
    return err("BAD_PROOF", `the proof does not show ${account === null ? "the absence of" : "this state of"} ${address} under the state root ${header.value.stateRoot}`);
  }
  return ok({ address, account, header: header.value, blockHash: hash });
}
