/**
 * The sparse Merkle tree under the state root: its roots, proofs, updates and
 * snapshot parts against the Python vectors (computed by the recursive
 * definition), and as properties: the root depends on the set of leaves
 * only (never on the order or batching of updates), incremental updates equal
 * a rebuild, proofs verify against their own root only, absence is provable
 * and presence cannot be proven absent.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { bytesToHex, hexToBytes } from "../../core/hex.ts";
import {
  buildTree,
  diffTrees,
  EMPTY_ROOT,
  getLeaf,
  leavesOf,
  makeLeaf,
  partIndex,
  partLeaves,
  proveKey,
  rootOfParts,
  treeParts,
  treeRoot,
  treeSize,
  updateTree,
  verifyProof,
  type Tree,
  type TreeChange,
  type TreeProof,
} from "../../core/state-tree.ts";
import vectors from "../vectors/state-tree.json";

type V = { key: string; valueHash: string };
type Doc = {
  trees: { name: string; leaves: V[]; root: string }[];
  proofs: { tree: string; root: string; key: string; valueHash: string | null; proof: TreeProof }[];
  updates: { from: string; batches: { changes: { key: string; valueHash: string | null }[]; root: string; size: number }[] };
  parts: { tree: string; depth: number; parts: { hash: string; count: number }[] };
};
const doc = vectors.vectors as unknown as Doc;

/** A test tree whose leaves hold their value hash (hex) as the entry. */
function treeOf(leaves: readonly V[]): Tree<string> {
  return buildTree(leaves.map((l) => makeLeaf(l.key, hexToBytes(l.valueHash), l.valueHash)));
}
const valueHashOf = (leaf: { entry: string }) => hexToBytes(leaf.entry);
function change(key: string, valueHash: string | null): TreeChange<string> {
  return valueHash === null ? { key, valueHash: null } : { key, valueHash: hexToBytes(valueHash), entry: valueHash };
}
const named = (name: string) => doc.trees.find((t) => t.name === name) as Doc["trees"][number];

describe("state-tree.json vectors", () => {
  for (const t of doc.trees) {
    it(`root: ${t.name}`, () => {
      const tree = treeOf(t.leaves);
      expect(treeRoot(tree)).toBe(t.root);
      expect(treeSize(tree)).toBe(t.leaves.length);
    });
  }

  it("proofs: inclusion, absence at an empty subtree and at another key's leaf, as the definition gives them", () => {
    const kinds = new Set<string>();
    for (const p of doc.proofs) {
      const tree = treeOf(named(p.tree).leaves);
      expect(proveKey(tree, p.key, valueHashOf)).toEqual(p.proof);
      expect(verifyProof(p.root, p.key, p.valueHash, p.proof)).toBe(true);
      kinds.add(p.valueHash !== null ? "in" : p.proof.leaf === null ? "empty" : "other");
    }
    expect([...kinds].sort()).toEqual(["empty", "in", "other"]);
    // the deepest tree: two keys that share 255 bits
    const deep = doc.proofs.find((p) => p.tree === "two leaves sharing 255 bits" && p.valueHash !== null) as Doc["proofs"][number];
    expect(deep.proof.siblings).toHaveLength(256);
  });

  it("updates: batches of sets and removals, in the vector's shuffled order, give the definition's roots", () => {
    let tree = treeOf(named(doc.updates.from).leaves);
    for (const b of doc.updates.batches) {
      tree = updateTree(
        tree,
        b.changes.map((c) => change(c.key, c.valueHash)),
      );
      expect(treeRoot(tree)).toBe(b.root);
      expect(treeSize(tree)).toBe(b.size);
    }
    expect(tree).toBeNull();
  });

  it("parts: a tree cut at a depth, and the root put back together from the parts alone", () => {
    const t = named(doc.parts.tree);
    const tree = treeOf(t.leaves);
    expect(treeParts(tree, doc.parts.depth)).toEqual(doc.parts.parts);
    expect(rootOfParts(doc.parts.parts)).toBe(t.root);
  });
});

// --- properties ---------------------------------------------------------------

const key = fc.uint8Array({ minLength: 32, maxLength: 32 }).map(bytesToHex);
/** keys that often share long prefixes (deep trees, chains of one-sided nodes) */
const nearKey = fc.tuple(fc.nat({ max: 3 }), fc.nat({ max: 255 }), fc.uint8Array({ minLength: 32, maxLength: 32 })).map(([base, bitIndex, tail]) => {
  const bytes = new Uint8Array(32).fill(base * 0x55);
  const from = bitIndex >> 3;
  for (let i = from; i < 32; i++) bytes[i] = tail[i] as number;
  return bytesToHex(bytes);
});
const anyKey = fc.oneof(key, nearKey);
const vhash = fc.uint8Array({ minLength: 32, maxLength: 32 }).map(bytesToHex);
const leafSet = fc.uniqueArray(fc.record({ key: anyKey, valueHash: vhash }), { selector: (l) => l.key, maxLength: 60 });

describe("state tree properties", () => {
  it("the root depends on the set of leaves only: any order of updates, any batching, equals a rebuild", () => {
    fc.assert(
      fc.property(leafSet, leafSet, fc.nat(), fc.array(fc.nat({ max: 6 }), { maxLength: 8 }), (initial, later, seed, cuts) => {
        // the final content: `initial`, then every `later` leaf set, then every other initial leaf removed
        const removed = initial.filter((_, i) => i % 2 === 1).map((l) => l.key);
        const final = new Map(initial.map((l) => [l.key, l.valueHash]));
        const changes: TreeChange<string>[] = [];
        for (const l of later) changes.push(change(l.key, l.valueHash));
        for (const k of removed) if (!later.some((l) => l.key === k)) changes.push(change(k, null));
        for (const c of changes) {
          if (c.valueHash === null) final.delete(c.key);
          else final.set(c.key, c.entry as string);
        }
        const expected = treeRoot(treeOf([...final].map(([k, v]) => ({ key: k, valueHash: v }))));
        // in one batch
        const one = updateTree(treeOf(initial), changes);
        expect(treeRoot(one)).toBe(expected);
        // shuffled, in several batches
        const shuffled = [...changes].sort((a, b) => (hash32(a.key, seed) - hash32(b.key, seed)) | 0 || (a.key < b.key ? -1 : 1));
        let t = treeOf([...initial].reverse());
        let at = 0;
        for (const c of [...cuts, shuffled.length]) {
          const next = Math.min(shuffled.length, at + c);
          t = updateTree(t, shuffled.slice(at, next));
          at = next;
        }
        t = updateTree(t, shuffled.slice(at));
        expect(treeRoot(t)).toBe(expected);
        expect(treeSize(t)).toBe(final.size);
        // and the leaves are exactly the final content, in key order
        expect([...leavesOf(t)].map((l) => [l.key, l.entry])).toEqual([...final].sort((a, b) => (a[0] < b[0] ? -1 : 1)));
      }),
      { numRuns: 200 },
    );
  });

  it("an update shares what it did not touch and leaves the old tree as it was", () => {
    fc.assert(
      fc.property(
        leafSet.filter((s) => s.length > 2),
        vhash,
        (leaves, v) => {
          const before = treeOf(leaves);
          const rootBefore = treeRoot(before);
          const target = leaves[0] as V;
          const after = updateTree(before, [change(target.key, v)]);
          expect(treeRoot(before)).toBe(rootBefore);
          expect(getLeaf(after, target.key)?.entry).toBe(v);
          for (const l of leaves.slice(1)) expect(getLeaf(after, l.key)).toBe(getLeaf(before, l.key));
          // removing what is not there changes nothing, not even identity
          const absent = "f".repeat(63) + (leaves.some((l) => l.key === "f".repeat(64)) ? "e" : "f");
          if (!leaves.some((l) => l.key === absent)) expect(updateTree(before, [change(absent, null)])).toBe(before);
        },
      ),
      { numRuns: 100 },
    );
  });

  it("proofs verify for their own root only; absence is provable; a present key cannot be shown absent, nor hold another value", () => {
    fc.assert(
      fc.property(
        leafSet.filter((s) => s.length > 0),
        anyKey,
        vhash,
        (leaves, probe, other) => {
          const tree = treeOf(leaves);
          const root = treeRoot(tree);
          const present = leaves[0] as V;
          const p = proveKey(tree, present.key, valueHashOf);
          expect(verifyProof(root, present.key, present.valueHash, p)).toBe(true);
          expect(verifyProof(root, present.key, null, p)).toBe(false);
          if (other !== present.valueHash) expect(verifyProof(root, present.key, other, p)).toBe(false);
          // another state (one value changed) has another root: the old proof fails there
          const changed = updateTree(tree, [change(present.key, other === present.valueHash ? "00".repeat(32) : other)]);
          expect(verifyProof(treeRoot(changed), present.key, present.valueHash, p)).toBe(false);
          // a key the tree does not hold: its absence proof verifies, no inclusion does
          if (!leaves.some((l) => l.key === probe)) {
            const a = proveKey(tree, probe, valueHashOf);
            expect(verifyProof(root, probe, null, a)).toBe(true);
            expect(verifyProof(root, probe, other, a)).toBe(false);
            // and it stops verifying once the key is added
            const added = updateTree(tree, [change(probe, other)]);
            expect(verifyProof(treeRoot(added), probe, null, a)).toBe(false);
            const b = proveKey(added, probe, valueHashOf);
            expect(verifyProof(treeRoot(added), probe, other, b)).toBe(true);
          }
          // a proof for one key does not prove another
          const second = leaves[1];
          if (second !== undefined) expect(verifyProof(root, second.key, present.valueHash, p)).toBe(false);
        },
      ),
      { numRuns: 300 },
    );
  });

  it("forged proofs are refused: a truncated path, a leaf passed off as a subtree, a sibling changed", () => {
    fc.assert(
      fc.property(
        leafSet.filter((s) => s.length > 3),
        fc.nat(),
        (leaves, pick) => {
          const tree = treeOf(leaves);
          const root = treeRoot(tree);
          const target = leaves[pick % leaves.length] as V;
          const p = proveKey(tree, target.key, valueHashOf);
          if (p.siblings.length > 0) {
            expect(verifyProof(root, target.key, target.valueHash, { ...p, siblings: p.siblings.slice(1) })).toBe(false);
            const bad = [...p.siblings];
            bad[bad.length - 1] = bad[bad.length - 1] === EMPTY_ROOT ? "11".repeat(32) : EMPTY_ROOT;
            expect(verifyProof(root, target.key, target.valueHash, { ...p, siblings: bad })).toBe(false);
            // claiming the key is absent because "another" leaf (its own, renamed) sits there
            expect(verifyProof(root, target.key, null, { ...p, leaf: { key: target.key, valueHash: target.valueHash } })).toBe(false);
          }
          expect(verifyProof(root, target.key, target.valueHash, { siblings: ["zz"], leaf: p.leaf })).toBe(false);
        },
      ),
      { numRuns: 100 },
    );
  });

  it("diffTrees lists exactly the keys whose values differ", () => {
    fc.assert(
      fc.property(leafSet, leafSet, (a, b) => {
        const ta = treeOf(a);
        const tb = treeOf(b);
        const ma = new Map(a.map((l) => [l.key, l.valueHash]));
        const mb = new Map(b.map((l) => [l.key, l.valueHash]));
        const expected = [...new Set([...ma.keys(), ...mb.keys()])].filter((k) => ma.get(k) !== mb.get(k)).sort();
        const d = diffTrees(ta, tb);
        expect(d.map((x) => x.key)).toEqual(expected);
        for (const x of d) {
          expect(x.before?.entry).toBe(ma.get(x.key));
          expect(x.after?.entry).toBe(mb.get(x.key));
        }
      }),
      { numRuns: 200 },
    );
  });

  it("parts at any depth hold every leaf once and put the root back together; a changed part does not", () => {
    fc.assert(
      fc.property(leafSet, fc.nat({ max: 7 }), (leaves, depth) => {
        const tree = treeOf(leaves);
        const parts = treeParts(tree, depth);
        expect(parts).toHaveLength(2 ** depth);
        expect(rootOfParts(parts)).toBe(treeRoot(tree));
        let total = 0;
        parts.forEach((p, i) => {
          const inside = partLeaves(tree, depth, i);
          expect(inside).toHaveLength(p.count);
          for (const l of inside) expect(partIndex(l.key, depth)).toBe(i);
          total += inside.length;
        });
        expect(total).toBe(leaves.length);
        const i = parts.findIndex((p) => p.count > 0);
        if (i >= 0) {
          const forged = parts.map((p, j) => (j === i ? { ...p, hash: "22".repeat(32) } : p));
          expect(rootOfParts(forged)).not.toBe(treeRoot(tree));
        }
      }),
      { numRuns: 200 },
    );
    expect(rootOfParts([])).toBeNull();
    expect(
      rootOfParts([
        { hash: EMPTY_ROOT, count: 0 },
        { hash: EMPTY_ROOT, count: 0 },
        { hash: EMPTY_ROOT, count: 0 },
      ]),
    ).toBeNull();
    expect(rootOfParts([{ hash: "11".repeat(32), count: 0 }])).toBeNull();
  });

  it("refuses keys that are not 64 lower-case hex characters and a key set twice in one update", () => {
    expect(() => buildTree([makeLeaf("AB", new Uint8Array(32), "")])).toThrow();
    const k = "ab".repeat(32);
    expect(() => updateTree(null, [change(k, "00".repeat(32)), change(k, null)])).toThrow(RangeError);
    expect(() => buildTree([makeLeaf(k, new Uint8Array(32), ""), makeLeaf(k, new Uint8Array(32), "")])).toThrow(RangeError);
    expect(verifyProof(EMPTY_ROOT, k, null, { siblings: [], leaf: null })).toBe(true);
    expect(verifyProof(EMPTY_ROOT, "XY", null, { siblings: [], leaf: null })).toBe(false);
  });
});

function hash32(s: string, seed: number): number {
  let h = seed | 0;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x9e3779b1);
  return h;
}
