import { createHash } from "node:crypto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { checkpointHeightFor, finalityTarget, finalizedHeightFor, isAtOrBelowFinality, isReorgAllowed } from "../../core/finality.ts";
import { compareHeads, ForkChoice, type HeaderNode, type WeightedNode } from "../../core/fork-choice.ts";
import { turnWeight } from "../../core/schedule.ts";
import type { Hash } from "../../core/types.ts";
import { asArray, asObject, big, bool, expectKeys, int, loadVectors, str, type Json } from "./helpers/vectors.ts";

const sha = (s: string): Hash => createHash("sha256").update(s).digest("hex");

function nodeOf(v: Json | undefined, where: string): HeaderNode {
  const o = asObject(v, where);
  expectKeys(o, ["hash", "parent", "height", "cumulativeWork", "rank", "beacon"], [], where);
  return {
    hash: str(o["hash"], where),
    parent: str(o["parent"], where),
    height: int(o["height"], where),
    cumulativeWork: big(o["cumulativeWork"], where),
    rank: int(o["rank"], where),
    beacon: str(o["beacon"], where),
  };
}

/** Every block of the tree is reachable from the head by `path` and invariants hold. */
function checkInvariants(fcx: ForkChoice): void {
  const head = fcx.head();
  const fin = fcx.finalized();
  expect(fcx.ancestorAt(head.hash, fin.height)?.hash).toBe(fin.hash);
  expect(fcx.has(head.hash) && fcx.has(fin.hash)).toBe(true);
}

describe("fork-choice vectors", () => {
  const vectors = loadVectors("fork-choice");
  vectors.forEach((v, i) => {
    const where = `fork-choice.vectors[${i}]`;
    expectKeys(v, ["name", "finalityDepth", "checkpoints", "genesis", "steps"], [], where);
    const checkpoints = new Map<number, Hash>(
      asArray(v["checkpoints"], where).map((c, j) => {
        const o = asObject(c, `${where}.checkpoints[${j}]`);
        expectKeys(o, ["height", "hash"], [], `${where}.checkpoints[${j}]`);
        return [int(o["height"], where), str(o["hash"], where)];
      }),
    );
    const genesis = nodeOf(v["genesis"], `${where}.genesis`);
    const depth = int(v["finalityDepth"], where);
    const steps = asArray(v["steps"], where).map((s, j) => {
      const w = `${where}.steps[${j}]`;
      const o = asObject(s, w);
      expectKeys(o, ["label", "node", "expect"], [], w);
      const e = asObject(o["expect"], `${w}.expect`);
      const okay = bool(e["ok"], `${w}.expect.ok`);
      expectKeys(e, okay ? ["ok", "head", "finalized", "reorg"] : ["ok", "code", "head", "finalized"], [], `${w}.expect`);
      let reorg: { from: string; to: string; commonAncestor: string; depth: number } | null = null;
      if (okay && e["reorg"] !== null) {
        const r = asObject(e["reorg"], `${w}.expect.reorg`);
        expectKeys(r, ["from", "to", "commonAncestor", "depth"], [], `${w}.expect.reorg`);
        reorg = { from: str(r["from"], w), to: str(r["to"], w), commonAncestor: str(r["commonAncestor"], w), depth: int(r["depth"], w) };
      }
      return {
        label: str(o["label"], w),
        node: nodeOf(o["node"], `${w}.node`),
        ok: okay,
        code: okay ? null : str(e["code"], w),
        head: str(e["head"], w),
        finalized: str(e["finalized"], w),
        reorg,
      };
    });
    it(str(v["name"], where), () => {
      const fcx = new ForkChoice(genesis, { finalityDepth: depth, checkpoints });
      for (const [j, s] of steps.entries()) {
        const ctx = `step ${j} (${s.label})`;
        const before = fcx.head();
        const r = fcx.add(s.node);
        if (s.ok) {
          expect(r.ok, ctx).toBe(true);
          if (!r.ok) continue;
          expect(r.value.head.hash, ctx).toBe(s.head);
          expect(r.value.reorg, ctx).toEqual(s.reorg);
          if (r.value.reorg !== null) {
            const p = fcx.path(r.value.reorg.commonAncestor, r.value.reorg.to);
            expect(p?.at(-1)?.hash, ctx).toBe(s.head);
            expect(p?.length, ctx).toBe(r.value.head.height - (fcx.get(r.value.reorg.commonAncestor)?.height ?? NaN));
            expect(fcx.commonAncestor(before.hash, s.head)?.hash, ctx).toBe(r.value.reorg.commonAncestor);
          }
        } else {
          expect(r.ok ? "ok" : r.error.code, ctx).toBe(s.code);
        }
        expect(fcx.head().hash, ctx).toBe(s.head);
        expect(fcx.finalized().hash, ctx).toBe(s.finalized);
        checkInvariants(fcx);
      }
    });
  });
});

describe("compareHeads and finality helpers", () => {
  const n = (beacon: string, weight: number, cw: bigint, hash = beacon, height = 1): WeightedNode => ({ hash, parent: "0".repeat(64), height, cumulativeWork: cw, rank: 0, beacon, weight });
  it("orders by work, then schedule weight, then lower beacon; never by height or hash", () => {
    expect(compareHeads(n("b", 1, 5n), n("a", 9, 4n))).toBe(1);
    expect(compareHeads(n("a", 9, 4n), n("b", 1, 5n))).toBe(-1);
    expect(compareHeads(n("b", 2, 5n), n("a", 1, 5n))).toBe(1);
    expect(compareHeads(n("a", 1, 5n), n("b", 2, 5n))).toBe(-1);
    expect(compareHeads(n("a", 1, 5n), n("b", 1, 5n))).toBe(1);
    expect(compareHeads(n("b", 1, 5n), n("a", 1, 5n))).toBe(-1);
    expect(compareHeads(n("a", 1, 5n), n("a", 1, 5n))).toBe(0);
    // a greater height or a lower hash with equal keys changes nothing (an equivocation: the head stays)
    expect(compareHeads(n("a", 1, 5n, "00", 9), n("a", 1, 5n, "ff", 1))).toBe(0);
  });
  it("finality heights", () => {
    expect(finalizedHeightFor(10, 6)).toBe(4);
    expect(finalizedHeightFor(3, 6)).toBe(0);
    expect(isReorgAllowed(4, 4)).toBe(true);
    expect(isReorgAllowed(3, 4)).toBe(false);
    expect(isAtOrBelowFinality(4, 4)).toBe(true);
    expect(isAtOrBelowFinality(3, 4)).toBe(true);
    expect(isAtOrBelowFinality(5, 4)).toBe(false);
    expect(checkpointHeightFor(5, [])).toBe(-1);
    expect(checkpointHeightFor(5, [2, 5, 9])).toBe(5);
    expect(checkpointHeightFor(4, [2, 5, 9])).toBe(2);
    expect(checkpointHeightFor(1, [2, 5, 9])).toBe(-1);
    expect(checkpointHeightFor(100, [2, 5, 9])).toBe(9);
    expect(finalityTarget(12, 6, [2, 9])).toBe(9);
    expect(finalityTarget(20, 6, [2, 9])).toBe(14);
  });
});

/** A chain-building helper for the unit tests. */
function builder() {
  const genesis: HeaderNode = { hash: sha("G"), parent: "0".repeat(64), height: 0, cumulativeWork: 0n, rank: 0, beacon: sha("beacon/G") };
  const nodes = new Map<string, HeaderNode>([["G", genesis]]);
  const mk = (label: string, parent: string, work = 1n): HeaderNode => {
    const p = nodes.get(parent) as HeaderNode;
    const node = { hash: sha(label), parent: p.hash, height: p.height + 1, cumulativeWork: p.cumulativeWork + work, rank: 0, beacon: sha(`beacon/${label}`) };
    nodes.set(label, node);
    return node;
  };
  return { genesis, nodes, mk, hash: (label: string) => (nodes.get(label) as HeaderNode).hash };
}

describe("ForkChoice", () => {
  it("rejects bad options and a checkpoint that conflicts with genesis", () => {
    const { genesis } = builder();
    expect(() => new ForkChoice(genesis, { finalityDepth: -1 })).toThrow(RangeError);
    expect(() => new ForkChoice(genesis, { finalityDepth: 1.5 })).toThrow(RangeError);
    expect(() => new ForkChoice(genesis, { finalityDepth: 6, checkpoints: new Map([[0, sha("x")]]) })).toThrow(RangeError);
    expect(new ForkChoice(genesis, { finalityDepth: 6, checkpoints: new Map([[0, genesis.hash]]) }).head()).toEqual({ ...genesis, weight: 0 });
  });

  it("answers ancestry queries: ancestorAt, path, commonAncestor", () => {
    const b = builder();
    const fcx = new ForkChoice(b.genesis, { finalityDepth: 100 });
    for (const [l, p] of [
      ["a1", "G"],
      ["a2", "a1"],
      ["a3", "a2"],
      ["b2", "a1"],
      ["b3", "b2"],
      ["b4", "b3"],
    ] as const) {
      expect(fcx.add(b.mk(l, p)).ok).toBe(true);
    }
    expect(fcx.size).toBe(7);
    expect(fcx.head().hash).toBe(b.hash("b4"));
    expect(fcx.ancestorAt(b.hash("b4"), 1)?.hash).toBe(b.hash("a1"));
    expect(fcx.ancestorAt(b.hash("b4"), 4)?.hash).toBe(b.hash("b4"));
    expect(fcx.ancestorAt(b.hash("b4"), 5)).toBeUndefined();
    expect(fcx.ancestorAt(b.hash("b4"), -1)).toBeUndefined();
    expect(fcx.ancestorAt(sha("nope"), 0)).toBeUndefined();
    expect(fcx.path(b.hash("a1"), b.hash("b4"))?.map((n) => n.hash)).toEqual([b.hash("b2"), b.hash("b3"), b.hash("b4")]);
    expect(fcx.path(b.hash("b4"), b.hash("b4"))).toEqual([]);
    expect(fcx.path(b.hash("a2"), b.hash("b4"))).toBeUndefined();
    expect(fcx.path(sha("nope"), b.hash("b4"))).toBeUndefined();
    expect(fcx.path(b.hash("b4"), b.hash("a1"))).toBeUndefined();
    expect(fcx.commonAncestor(b.hash("a3"), b.hash("b4"))?.hash).toBe(b.hash("a1"));
    expect(fcx.commonAncestor(b.hash("b4"), b.hash("a3"))?.hash).toBe(b.hash("a1"));
    expect(fcx.commonAncestor(b.hash("a2"), b.hash("b2"))?.hash).toBe(b.hash("a1"));
    expect(fcx.commonAncestor(b.hash("a2"), b.hash("a2"))?.hash).toBe(b.hash("a2"));
    expect(fcx.commonAncestor(b.hash("a2"), sha("nope"))).toBeUndefined();
    expect(fcx.get(b.hash("a2"))).toEqual({ ...b.nodes.get("a2"), weight: 4 });
    expect(fcx.get(sha("nope"))).toBeUndefined();
  });

  it("stores copies: extra fields and later mutation of the input do not leak in", () => {
    const b = builder();
    const fcx = new ForkChoice(b.genesis, { finalityDepth: 6 });
    const input = { ...b.mk("a1", "G"), extra: 1 } as HeaderNode & { extra: number; cumulativeWork: bigint };
    fcx.add(input);
    input.cumulativeWork = 99n;
    expect(fcx.head()).toEqual({ ...b.nodes.get("a1"), weight: 2 });
    expect(Object.isFrozen(fcx.head())).toBe(true);
  });

  it("prune drops branches finality ruled out; their descendants are refused", () => {
    const b = builder();
    const fcx = new ForkChoice(b.genesis, { finalityDepth: 2 });
    fcx.add(b.mk("a1", "G"));
    fcx.add(b.mk("x1", "G", 0n));
    fcx.add(b.mk("x2", "x1", 0n));
    fcx.add(b.mk("a2", "a1"));
    fcx.add(b.mk("y2", "a1", 0n));
    fcx.add(b.mk("a3", "a2"));
    fcx.add(b.mk("z3", "a2", 0n));
    expect(fcx.add(b.mk("a4", "a3")).ok).toBe(true);
    expect(fcx.finalized().hash).toBe(b.hash("a2"));
    expect(fcx.size).toBe(9);
    expect(fcx.prune()).toBe(3); // x1, x2, y2
    expect(fcx.size).toBe(6);
    for (const l of ["G", "a1", "a2", "a3", "z3", "a4"]) expect(fcx.has(b.hash(l))).toBe(true);
    const r = fcx.add(b.mk("x3", "x2", 100n));
    expect(r.ok ? "ok" : r.error.code).toBe("BELOW_FINALITY");
    expect(fcx.prune()).toBe(0);
    checkInvariants(fcx);
  });

  it("remembers a bounded number of rejected blocks", () => {
    const b = builder();
    const fcx = new ForkChoice(b.genesis, { finalityDepth: 0 });
    fcx.add(b.mk("a1", "G"));
    const first = { hash: sha("r0"), parent: sha("unknown"), height: 1, cumulativeWork: 5n, rank: 0, beacon: sha("b/r0") };
    expect(fcx.add(first).ok).toBe(false);
    const child = { hash: sha("r0/child"), parent: first.hash, height: 2, cumulativeWork: 6n, rank: 0, beacon: sha("b/r0/child") };
    const r1 = fcx.add(child);
    expect(r1.ok ? "ok" : r1.error.code).toBe("BELOW_FINALITY");
    for (let i = 1; i <= 4100; i++) fcx.add({ hash: sha(`r${i}`), parent: sha("unknown"), height: 1, cumulativeWork: 5n, rank: 0, beacon: sha(`b/r${i}`) });
    // r0 and its child were forgotten: a grandchild now has merely an unknown parent
    const r2 = fcx.add({ hash: sha("r0/grandchild"), parent: child.hash, height: 3, cumulativeWork: 7n, rank: 0, beacon: sha("b/r0/grandchild") });
    expect(r2.ok ? "ok" : r2.error.code).toBe("BAD_PARENT");
  });
});

// ---------------------------------------------------------------------------
// Properties over random block trees

interface Tree {
  genesis: HeaderNode;
  nodes: HeaderNode[];
  /** [genesis, ...nodes] with their chains' schedule weights */
  weighted: WeightedNode[];
  /** parent index into [genesis, ...nodes] for each node */
  parents: number[];
}

const treeArb = fc
  .record({
    salt: fc.string({ maxLength: 4 }),
    shape: fc.array(fc.record({ parent: fc.nat(), work: fc.integer({ min: 0, max: 3 }), rank: fc.integer({ min: 0, max: 3 }) }), { minLength: 1, maxLength: 30 }),
  })
  .map(({ salt, shape }): Tree => {
    const genesis: HeaderNode = { hash: sha(`${salt}/G`), parent: "0".repeat(64), height: 0, cumulativeWork: 0n, rank: 0, beacon: sha(`${salt}/beacon/G`) };
    const all = [genesis];
    const weighted: WeightedNode[] = [{ ...genesis, weight: 0 }];
    const parents: number[] = [];
    shape.forEach((s, i) => {
      const pi = s.parent % all.length;
      const p = all[pi] as HeaderNode;
      parents.push(pi);
      const node = { hash: sha(`${salt}/${i}`), parent: p.hash, height: p.height + 1, cumulativeWork: p.cumulativeWork + BigInt(s.work), rank: s.rank, beacon: sha(`${salt}/beacon/${i}`) };
      all.push(node);
      weighted.push({ ...node, weight: (weighted[pi] as WeightedNode).weight + turnWeight(s.rank) });
    });
    return { genesis, nodes: all.slice(1), weighted, parents };
  });

/** A topological order of the tree's nodes driven by `picks`. */
function topoOrder(tree: Tree, picks: readonly number[]): HeaderNode[] {
  const added = new Set<number>([0]);
  const pending = tree.nodes.map((_, i) => i + 1);
  const out: HeaderNode[] = [];
  let k = 0;
  while (pending.length > 0) {
    const ready = pending.filter((i) => added.has(tree.parents[i - 1] as number));
    const pick = ready[(picks[k++ % Math.max(1, picks.length)] ?? 0) % ready.length] as number;
    pending.splice(pending.indexOf(pick), 1);
    added.add(pick);
    out.push(tree.nodes[pick - 1] as HeaderNode);
  }
  return out;
}

describe("fork choice properties", () => {
  it("without finality in the way, any topological order yields the same head: the maximum under compareHeads", () => {
    fc.assert(
      fc.property(treeArb, fc.array(fc.nat(), { minLength: 1, maxLength: 40 }), fc.array(fc.nat(), { minLength: 1, maxLength: 40 }), (tree, p1, p2) => {
        const best = tree.weighted.reduce((a, b) => (compareHeads(b, a) > 0 ? b : a));
        for (const picks of [p1, p2]) {
          const fcx = new ForkChoice(tree.genesis, { finalityDepth: 1_000 });
          for (const n of topoOrder(tree, picks)) {
            const r = fcx.add(n);
            expect(r.ok).toBe(true);
          }
          expect(fcx.head()).toEqual(best);
          expect(fcx.finalized()).toEqual({ ...tree.genesis, weight: 0 });
          expect(fcx.size).toBe(tree.nodes.length + 1);
        }
      }),
      { numRuns: 200 },
    );
  });

  it("with finality: the head descends from the finalized block, which never moves back, and reorgs never cross it", () => {
    fc.assert(
      fc.property(treeArb, fc.array(fc.nat(), { minLength: 1, maxLength: 40 }), fc.integer({ min: 0, max: 4 }), fc.option(fc.nat(), { nil: undefined }), (tree, picks, depth, cpPick) => {
        const checkpoints = new Map<number, Hash>();
        if (cpPick !== undefined) {
          const cp = tree.nodes[cpPick % tree.nodes.length] as HeaderNode;
          checkpoints.set(cp.height, cp.hash);
        }
        const fcx = new ForkChoice(tree.genesis, { finalityDepth: depth, checkpoints });
        let finHeight = 0;
        for (const n of topoOrder(tree, picks)) {
          const prevFin = fcx.finalized();
          const prevHead = fcx.head();
          const r = fcx.add(n);
          if (r.ok) {
            if (r.value.reorg !== null) {
              const ca = fcx.get(r.value.reorg.commonAncestor) as HeaderNode;
              expect(isReorgAllowed(ca.height, prevFin.height)).toBe(true);
              expect(r.value.reorg.from).toBe(prevHead.hash);
              expect(r.value.reorg.depth).toBe(prevHead.height - ca.height);
            }
            expect(compareHeads(fcx.head(), prevHead)).toBeGreaterThanOrEqual(0);
          } else {
            expect(["BELOW_FINALITY", "CHECKPOINT_CONFLICT"]).toContain(r.error.code);
            expect(fcx.head()).toBe(prevHead);
          }
          const fin = fcx.finalized();
          expect(fin.height).toBeGreaterThanOrEqual(finHeight);
          expect(fcx.ancestorAt(fin.hash, prevFin.height)?.hash).toBe(prevFin.hash);
          finHeight = fin.height;
          checkInvariants(fcx);
          for (const [h, hash] of checkpoints) {
            const at = fcx.ancestorAt(fcx.head().hash, h);
            if (at !== undefined) expect(at.hash).toBe(hash);
          }
        }
        fcx.prune();
        checkInvariants(fcx);
      }),
      { numRuns: 200 },
    );
  });
});
