/**
 * The authenticated map under the state root: a sparse Merkle tree over
 * 256-bit keys, persistent (an update returns a new tree and shares every
 * untouched node with the old one, so a node keeps several states at once for
 * the price of their differences).
 *
 * The tree is the logical binary tree of the Diem/Aptos Jellyfish Merkle Tree
 * (Gao et al., "Jellyfish Merkle Tree", 2021, §2–3, and Diem's
 * `SparseMerkleTree` it builds on): a key's bits, most significant first,
 * are its path; an empty subtree hashes to 32 zero bytes (the empty-subtree
 * shortcut of Dahlberg, Pulls and Peeters, "Efficient Sparse Merkle Trees",
 * 2016, with one constant for every level); and a subtree holding a single
 * leaf is that leaf, so a leaf sits just below the first bit that sets its
 * key apart from every other key. With N random keys the tree is ≈ log₂ N
 * deep: an update hashes O(log N) nodes per changed key and a proof carries
 * ≈ log₂ N siblings, never 256.
 *
 *   leaf  = SHA-256("DOIN/state-leaf/" ‖ key ‖ valueHash)
 *   node  = SHA-256("DOIN/state-node/" ‖ left ‖ right)     (empty child: 32 zero bytes)
 *   root of no leaves = 32 zero bytes
 *
 * Leaves and inner nodes are hashed under different tags, so a leaf can
 * never pass for a subtree (which is what makes a proof that stops early
 * sound). Nothing here knows what the values are: core/state-root.ts maps
 * the chain state onto keys and value hashes.
 */
import { tagHasher } from "./hash.ts";
import { bytesToHex, hexToBytes, isHex } from "./hex.ts";
import type { Hash } from "./types.ts";

/**
 * A node's hash is kept in the node itself, as eleven small integers (h0 …
 * h9: bytes 3i to 3i+2, big-endian; h10: bytes 30 and 31), not in a
 * Uint8Array of its own.
 * Why: a typed array is two more heap objects per node, and at a million
 * accounts the tree's cost is memory, not hashing: every level of a changed
 * path reads the node and its sibling's hash from scattered memory, and every
 * new node is copied by the collector. 24 bits a field, because small
 * integers are stored in the object unboxed on every V8 (31-bit with pointer
 * compression, as in workerd). Measured with bench/state-root.ts, one run
 * each: a block of 100 changed accounts in a state of a million ≈ 8 → ≈ 6 ms,
 * 942 → 629 bytes of heap per account. `hash` gives the bytes for the cold
 * paths (proofs, storage, snapshot parts).
 */
interface HashFields {
  h0: number;
  h1: number;
  h2: number;
  h3: number;
  h4: number;
  h5: number;
  h6: number;
  h7: number;
  h8: number;
  h9: number;
  h10: number;
}

/** Sets a node's hash fields from 32 bytes (in its constructor, after the fields a walk reads). */
function setHash(node: HashFields, d: Uint8Array): void {
  node.h0 = get24(d, 0);
  node.h1 = get24(d, 3);
  node.h2 = get24(d, 6);
  node.h3 = get24(d, 9);
  node.h4 = get24(d, 12);
  node.h5 = get24(d, 15);
  node.h6 = get24(d, 18);
  node.h7 = get24(d, 21);
  node.h8 = get24(d, 24);
  node.h9 = get24(d, 27);
  node.h10 = ((d[30] as number) << 8) | (d[31] as number);
}

function get24(d: Uint8Array, at: number): number {
  return ((d[at] as number) << 16) | ((d[at + 1] as number) << 8) | (d[at + 2] as number);
}

function put24(out: Uint8Array, at: number, v: number): void {
  out[at] = v >> 16;
  out[at + 1] = v >> 8;
  out[at + 2] = v;
}

/** A node's hash as bytes (a new array each time: for proofs, storage and parts, not for updates). */
function hashBytes(node: HashFields): Uint8Array {
  const out = new Uint8Array(32);
  writeHash(node, out, 0);
  return out;
}

/*
 * The two node classes declare what a walk down the tree reads (key; left,
 * right) before the hash, so that the object's header and those fields share
 * a cache line (a class hierarchy would put inherited hash fields first).
 */

/** A key of the tree and what it holds. `entry` is the caller's, opaque to the tree. */
export class TreeLeaf<E = unknown> implements HashFields {
  /** 64 lower-case hex characters: the path, most significant bit first */
  readonly key: Hash;
  readonly entry: E;
  h0 = 0;
  h1 = 0;
  h2 = 0;
  h3 = 0;
  h4 = 0;
  h5 = 0;
  h6 = 0;
  h7 = 0;
  h8 = 0;
  h9 = 0;
  h10 = 0;

  /** `hash`: H("state-leaf", key ‖ valueHash), computed by makeLeaf or stored by the caller */
  constructor(key: Hash, hash: Uint8Array, entry: E) {
    this.key = key;
    this.entry = entry;
    setHash(this, hash);
  }

  get hash(): Uint8Array {
    return hashBytes(this);
  }
}

export class TreeBranch<E = unknown> implements HashFields {
  readonly left: TreeNode<E> | null;
  readonly right: TreeNode<E> | null;
  /** leaves below */
  readonly count: number;
  h0 = 0;
  h1 = 0;
  h2 = 0;
  h3 = 0;
  h4 = 0;
  h5 = 0;
  h6 = 0;
  h7 = 0;
  h8 = 0;
  h9 = 0;
  h10 = 0;

  /** `hash`: H("state-node", left ‖ right) */
  constructor(left: TreeNode<E> | null, right: TreeNode<E> | null, count: number, hash: Uint8Array) {
    this.left = left;
    this.right = right;
    this.count = count;
    setHash(this, hash);
  }

  get hash(): Uint8Array {
    return hashBytes(this);
  }
}

export type TreeNode<E = unknown> = TreeLeaf<E> | TreeBranch<E>;
/** A tree is its root node; null is the empty tree. */
export type Tree<E = unknown> = TreeNode<E> | null;

/** Writes a node's hash (32 zero bytes for none) into `out` at `at`. */
function writeHash(node: HashFields | null, out: Uint8Array, at: number): void {
  if (node === null) {
    out.fill(0, at, at + 32);
    return;
  }
  put24(out, at, node.h0);
  put24(out, at + 3, node.h1);
  put24(out, at + 6, node.h2);
  put24(out, at + 9, node.h3);
  put24(out, at + 12, node.h4);
  put24(out, at + 15, node.h5);
  put24(out, at + 18, node.h6);
  put24(out, at + 21, node.h7);
  put24(out, at + 24, node.h8);
  put24(out, at + 27, node.h9);
  out[at + 30] = node.h10 >> 8;
  out[at + 31] = node.h10;
}

/** Whether two nodes (or empty subtrees) have the same hash. */
function sameHash(a: HashFields | null, b: HashFields | null): boolean {
  if (a === b) return true;
  if (a === null || b === null) return false;
  return a.h0 === b.h0 && a.h1 === b.h1 && a.h2 === b.h2 && a.h3 === b.h3 && a.h4 === b.h4 && a.h5 === b.h5 && a.h6 === b.h6 && a.h7 === b.h7 && a.h8 === b.h8 && a.h9 === b.h9 && a.h10 === b.h10;
}

/** A key set to a value (by the value's hash), or removed (`valueHash` null). */
export interface TreeChange<E = unknown> {
  readonly key: Hash;
  readonly valueHash: Uint8Array | null;
  /** what the leaf holds; ignored for a removal */
  readonly entry?: E;
}

/**
 * What proves that a key holds a value, or holds none, under a root: the
 * siblings on the key's path from the root down, and the leaf found where the
 * path ends (the key's own leaf; another key's, which shares the path so far
 * and so excludes this key; or none: an empty subtree).
 */
export interface TreeProof {
  /** sibling hashes from the root's children downwards (64 hex each; zeros for an empty subtree) */
  readonly siblings: readonly Hash[];
  /** the leaf at the end of the path, or null */
  readonly leaf: { readonly key: Hash; readonly valueHash: Hash } | null;
}

export const EMPTY_ROOT: Hash = "0".repeat(64);
const ZERO = new Uint8Array(32);

/**
 * What a leaf (key ‖ value hash) or a branch (left ‖ right) hashes, laid side
 * by side in one reused buffer: hash.ts's tagHasher reads it before it
 * returns, so the tree's thousands of hashes per block allocate only their
 * results. Tags "DOIN/state-leaf/" and "DOIN/state-node/".
 */
const pair = new Uint8Array(64);
const leafTagged = tagHasher("state-leaf");
const nodeTagged = tagHasher("state-node");

export function leafHash(key: Hash, valueHash: Uint8Array): Uint8Array {
  pair.set(hexToBytes(key), 0);
  pair.set(valueHash, 32);
  return leafTagged(pair);
}

function nodeHash(left: Uint8Array, right: Uint8Array): Uint8Array {
  pair.set(left, 0);
  pair.set(right, 32);
  return nodeTagged(pair);
}

/** H("state-node", hash(left) ‖ hash(right)), read from the nodes' own fields */
function branchHash(left: HashFields | null, right: HashFields | null): Uint8Array {
  writeHash(left, pair, 0);
  writeHash(right, pair, 32);
  return nodeTagged(pair);
}

const NIBBLE = new Uint8Array(128);
for (let i = 0; i < 10; i++) NIBBLE[48 + i] = i;
for (let i = 0; i < 6; i++) NIBBLE[97 + i] = 10 + i;

/** Bit `depth` of a key (0 = the most significant bit of its first byte). */
export function keyBit(key: Hash, depth: number): number {
  return ((NIBBLE[key.charCodeAt(depth >> 2)] as number) >> (3 - (depth & 3))) & 1;
}

export function isLeaf<E>(node: TreeNode<E>): node is TreeLeaf<E> {
  return node instanceof TreeLeaf;
}

function hashOfNode(node: Tree<unknown>): Uint8Array {
  return node === null ? ZERO : node.hash;
}

function countOf(node: Tree<unknown>): number {
  return node === null ? 0 : isLeaf(node) ? 1 : node.count;
}

/** The subtree over two children, with the single-leaf rule: an empty side lifts a lone leaf up. */
function join<E>(left: Tree<E>, right: Tree<E>): Tree<E> {
  if (left === null && (right === null || isLeaf(right))) return right;
  if (right === null && isLeaf(left as TreeNode<E>)) return left;
  return new TreeBranch(left, right, countOf(left) + countOf(right), branchHash(left, right));
}

export function treeRoot(tree: Tree<unknown>): Hash {
  return tree === null ? EMPTY_ROOT : bytesToHex(tree.hash);
}

export function treeSize(tree: Tree<unknown>): number {
  return countOf(tree);
}

export function makeLeaf<E>(key: Hash, valueHash: Uint8Array, entry: E): TreeLeaf<E> {
  return new TreeLeaf(key, leafHash(key, valueHash), entry);
}

/** First index in leaves[lo..hi) whose key has bit `depth` set (the keys are sorted and share the bits before). */
function splitAt(leaves: readonly { readonly key: Hash }[], lo: number, hi: number, depth: number): number {
  let a = lo;
  let b = hi;
  while (a < b) {
    const m = (a + b) >> 1;
    if (keyBit((leaves[m] as { key: Hash }).key, depth) === 0) a = m + 1;
    else b = m;
  }
  return a;
}

/** The subtree at `depth` over leaves[lo..hi), sorted by key, sharing their first `depth` bits. */
function build<E>(leaves: readonly TreeLeaf<E>[], lo: number, hi: number, depth: number): Tree<E> {
  if (hi - lo === 0) return null;
  if (hi - lo === 1) return leaves[lo] as TreeLeaf<E>;
  const mid = splitAt(leaves, lo, hi, depth);
  return join(build(leaves, lo, mid, depth + 1), build(leaves, mid, hi, depth + 1));
}

function byKey(a: { readonly key: Hash }, b: { readonly key: Hash }): number {
  return a.key < b.key ? -1 : a.key > b.key ? 1 : 0;
}

function checkKey(key: string): void {
  if (!isHex(key, 32)) throw new TypeError(`a tree key is 64 lower-case hex characters, got ${JSON.stringify(key).slice(0, 80)}`);
}

/** A tree of these leaves (distinct keys, any order). */
export function buildTree<E>(leaves: readonly TreeLeaf<E>[]): Tree<E> {
  const sorted = [...leaves].sort(byKey);
  for (let i = 0; i < sorted.length; i++) {
    checkKey((sorted[i] as TreeLeaf<E>).key);
    if (i > 0 && (sorted[i] as TreeLeaf<E>).key === (sorted[i - 1] as TreeLeaf<E>).key) throw new RangeError(`key ${(sorted[i] as TreeLeaf<E>).key} appears twice`);
  }
  return build(sorted, 0, sorted.length, 0);
}

/** The subtree at `depth` for leaves that all share their first `depth` bits (sorted, distinct). */
export function buildSubtree<E>(sortedLeaves: readonly TreeLeaf<E>[], depth: number): Tree<E> {
  return build(sortedLeaves, 0, sortedLeaves.length, depth);
}

/**
 * Applies changes (distinct keys, any order): sets and removals. Hashes only
 * the nodes on the changed keys' paths; everything else is shared with
 * `tree`, which stays as it was. The result does not depend on the order of
 * the changes, nor on how they are split into batches.
 */
export function updateTree<E>(tree: Tree<E>, changes: readonly TreeChange<E>[]): Tree<E> {
  if (changes.length === 0) return tree;
  const sorted = [...changes].sort(byKey);
  for (let i = 0; i < sorted.length; i++) {
    checkKey((sorted[i] as TreeChange<E>).key);
    if (i > 0 && (sorted[i] as TreeChange<E>).key === (sorted[i - 1] as TreeChange<E>).key) throw new RangeError(`key ${(sorted[i] as TreeChange<E>).key} changed twice in one update`);
  }
  return update(tree, 0, sorted, 0, sorted.length);
}

function toLeaf<E>(c: TreeChange<E>): TreeLeaf<E> {
  return makeLeaf(c.key, c.valueHash as Uint8Array, c.entry as E);
}

function update<E>(node: Tree<E>, depth: number, changes: readonly TreeChange<E>[], lo: number, hi: number): Tree<E> {
  if (lo >= hi) return node;
  if (node === null || isLeaf(node)) {
    // a small subtree: at most one leaf now, plus the changes under it
    const leaves: TreeLeaf<E>[] = [];
    let kept = node !== null;
    for (let i = lo; i < hi; i++) {
      const c = changes[i] as TreeChange<E>;
      if (node !== null && kept && c.key > node.key) {
        leaves.push(node);
        kept = false;
      }
      if (node !== null && c.key === node.key) kept = false;
      if (c.valueHash !== null) leaves.push(toLeaf(c));
    }
    if (node !== null && kept) leaves.push(node);
    return build(leaves, 0, leaves.length, depth);
  }
  const mid = splitAt(changes, lo, hi, depth);
  const left = update(node.left, depth + 1, changes, lo, mid);
  const right = update(node.right, depth + 1, changes, mid, hi);
  if (left === node.left && right === node.right) return node;
  return join(left, right);
}

/** The leaf of `key`, if the tree holds it. */
export function getLeaf<E>(tree: Tree<E>, key: Hash): TreeLeaf<E> | undefined {
  let node = tree;
  let depth = 0;
  while (node !== null) {
    if (isLeaf(node)) return node.key === key ? node : undefined;
    node = keyBit(key, depth) === 0 ? node.left : node.right;
    depth++;
  }
  return undefined;
}

/** Every leaf, in key order. */
export function* leavesOf<E>(tree: Tree<E>): Generator<TreeLeaf<E>> {
  if (tree === null) return;
  const stack: TreeNode<E>[] = [tree];
  while (stack.length > 0) {
    const node = stack.pop() as TreeNode<E>;
    if (isLeaf(node)) {
      yield node;
      continue;
    }
    if (node.right !== null) stack.push(node.right);
    if (node.left !== null) stack.push(node.left);
  }
}

/**
 * The proof for `key`: siblings down its path, and the leaf where the path
 * ends. `valueHashOf` gives a leaf's value hash (the tree keeps only the
 * leaf hash).
 */
export function proveKey<E>(tree: Tree<E>, key: Hash, valueHashOf: (leaf: TreeLeaf<E>) => Uint8Array): TreeProof {
  checkKey(key);
  const siblings: Hash[] = [];
  let node = tree;
  let depth = 0;
  while (node !== null && !isLeaf(node)) {
    const bit = keyBit(key, depth);
    siblings.push(bytesToHex(hashOfNode(bit === 0 ? node.right : node.left)));
    node = bit === 0 ? node.left : node.right;
    depth++;
  }
  return { siblings, leaf: node === null ? null : { key: node.key, valueHash: bytesToHex(valueHashOf(node)) } };
}

function commonPrefixBits(a: Hash, b: Hash, upTo: number): boolean {
  for (let d = 0; d < upTo; d++) if (keyBit(a, d) !== keyBit(b, d)) return false;
  return true;
}

/**
 * Checks a proof: that under `root`, `key` holds the value whose hash is
 * `valueHash`, or (`valueHash` null) that it holds nothing. Pure; false for
 * anything malformed.
 */
export function verifyProof(root: Hash, key: Hash, valueHash: Hash | null, proof: TreeProof): boolean {
  if (!isHex(root, 32) || !isHex(key, 32) || (valueHash !== null && !isHex(valueHash, 32))) return false;
  if (!Array.isArray(proof.siblings) || proof.siblings.length > 256 || !proof.siblings.every((s) => isHex(s, 32))) return false;
  const depth = proof.siblings.length;
  const leaf = proof.leaf;
  if (leaf !== null && (typeof leaf !== "object" || !isHex(leaf.key, 32) || !isHex(leaf.valueHash, 32))) return false;
  let current: Uint8Array;
  if (valueHash !== null) {
    // inclusion: the path ends at this key's own leaf
    if (leaf === null || leaf.key !== key || leaf.valueHash !== valueHash) return false;
    current = leafHash(key, hexToBytes(valueHash));
  } else if (leaf === null) {
    // absence: the path ends in an empty subtree
    current = ZERO;
  } else {
    // absence: the path ends at another key's leaf, which would have to make room for this one
    if (leaf.key === key || !commonPrefixBits(leaf.key, key, depth)) return false;
    current = leafHash(leaf.key, hexToBytes(leaf.valueHash));
  }
  for (let d = depth - 1; d >= 0; d--) {
    const sibling = hexToBytes(proof.siblings[d] as Hash);
    current = keyBit(key, d) === 0 ? nodeHash(current, sibling) : nodeHash(sibling, current);
  }
  return bytesToHex(current) === root;
}

/** A leaf that differs between two trees: only before, only after, or in both with another value. */
export interface TreeDifference<E> {
  readonly key: Hash;
  readonly before: TreeLeaf<E> | undefined;
  readonly after: TreeLeaf<E> | undefined;
}

/**
 * The leaves that differ between two trees, in key order. Subtrees with the
 * same hash are skipped, so two trees that share most of their nodes (a state
 * and the next) differ in O(changes · log N) steps.
 */
export function diffTrees<E>(a: Tree<E>, b: Tree<E>): TreeDifference<E>[] {
  const out: TreeDifference<E>[] = [];
  diff(a, b, 0, out);
  return out;
}

/** A node seen as two children at `depth` (a lone leaf sits on its key's side). */
function sides<E>(node: Tree<E>, depth: number): [Tree<E>, Tree<E>] {
  if (node === null) return [null, null];
  if (isLeaf(node)) return keyBit(node.key, depth) === 0 ? [node, null] : [null, node];
  return [node.left, node.right];
}

function diff<E>(a: Tree<E>, b: Tree<E>, depth: number, out: TreeDifference<E>[]): void {
  if (sameHash(a, b)) return;
  const aLeafOrNull = a === null || isLeaf(a);
  const bLeafOrNull = b === null || isLeaf(b);
  if (aLeafOrNull && bLeafOrNull) {
    const x = a as TreeLeaf<E> | null;
    const y = b as TreeLeaf<E> | null;
    if (x !== null && y !== null && x.key === y.key) out.push({ key: x.key, before: x, after: y });
    else {
      const items: TreeDifference<E>[] = [];
      if (x !== null) items.push({ key: x.key, before: x, after: undefined });
      if (y !== null) items.push({ key: y.key, before: undefined, after: y });
      out.push(...items.sort(byKey));
    }
    return;
  }
  const [al, ar] = sides(a, depth);
  const [bl, br] = sides(b, depth);
  diff(al, bl, depth + 1, out);
  diff(ar, br, depth + 1, out);
}

/**
 * The tree cut at `depth` into 2^depth parts, part i holding the keys whose
 * first `depth` bits are i: each part's hash and number of leaves (a part of
 * one leaf is that leaf, of none 32 zero bytes). Snapshots are fetched part
 * by part; `rootOfParts` puts the root back together from this list alone.
 */
export function treeParts(tree: Tree<unknown>, depth: number): { readonly hash: Hash; readonly count: number }[] {
  if (!Number.isSafeInteger(depth) || depth < 0 || depth > 20) throw new RangeError(`part depth ${depth} is not in 0..20`);
  const parts = Array.from({ length: 2 ** depth }, () => ({ hash: EMPTY_ROOT, count: 0 }));
  const visit = (node: Tree<unknown>, d: number, index: number): void => {
    if (node === null) return;
    if (isLeaf(node)) {
      const i = partIndex(node.key, depth);
      parts[i] = { hash: bytesToHex(node.hash), count: 1 };
      return;
    }
    if (d === depth) {
      parts[index] = { hash: bytesToHex(node.hash), count: node.count };
      return;
    }
    visit(node.left, d + 1, index * 2);
    visit(node.right, d + 1, index * 2 + 1);
  };
  visit(tree, 0, 0);
  return parts;
}

/** The part (first `depth` bits) a key falls in. */
export function partIndex(key: Hash, depth: number): number {
  let i = 0;
  for (let d = 0; d < depth; d++) i = i * 2 + keyBit(key, d);
  return i;
}

/** The leaves of part `index` at `depth`, in key order. */
export function partLeaves<E>(tree: Tree<E>, depth: number, index: number): TreeLeaf<E>[] {
  let node = tree;
  for (let d = 0; d < depth && node !== null && !isLeaf(node); d++) {
    const bit = (index >> (depth - 1 - d)) & 1;
    node = bit === 0 ? node.left : node.right;
  }
  if (node === null) return [];
  if (isLeaf(node)) return partIndex(node.key, depth) === index ? [node] : [];
  return [...leavesOf(node)];
}

/**
 * The root over the parts of `treeParts` (2^depth of them, in order): pairs
 * are joined level by level with the same single-leaf rule as the tree, so a
 * part of one leaf next to empty parts rises as the leaf. Null if the list is
 * not a power of two long or a part is malformed.
 */
export function rootOfParts(parts: readonly { readonly hash: Hash; readonly count: number }[]): Hash | null {
  if (parts.length === 0 || (parts.length & (parts.length - 1)) !== 0) return null;
  // each part as a stand-in node: its hash and count (one leaf: the leaf itself, as in `join`)
  type Stub = { readonly hash: Uint8Array; readonly count: number } | null;
  let level: Stub[] = [];
  for (const p of parts) {
    if (!Number.isSafeInteger(p.count) || p.count < 0 || !isHex(p.hash, 32)) return null;
    if (p.count === 0 && p.hash !== EMPTY_ROOT) return null;
    level.push(p.count === 0 ? null : { hash: hexToBytes(p.hash), count: p.count });
  }
  while (level.length > 1) {
    const next: Stub[] = [];
    for (let i = 0; i < level.length; i += 2) {
      const l = level[i] as Stub;
      const r = level[i + 1] as Stub;
      if (l === null && (r === null || r.count === 1)) next.push(r);
      else if (r === null && (l as { count: number }).count === 1) next.push(l);
      else next.push({ hash: nodeHash(l === null ? ZERO : l.hash, r === null ? ZERO : r.hash), count: (l?.count ?? 0) + (r?.count ?? 0) });
    }
    level = next;
  }
  const top = level[0] as Stub;
  return top === null ? EMPTY_ROOT : bytesToHex(top.hash);
}
