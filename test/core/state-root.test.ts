/**
 * The state root over the chain state: the leaves of a small state and its
 * root and account proofs against the Python vectors; the root a block
 * commits to (its tree, updated with what the block changed) always equals
 * the root of the whole state hashed anew; a state rebuilt from its leaves,
 * or from its parent and the leaves that changed, is the same state.
 */
import { describe, expect, it } from "vitest";
import { mayHoldReputation } from "../../core/account-map.ts";
import { genesisBlock } from "../../core/genesis.ts";
import { validatorSet } from "../../core/schedule.ts";
import { bytesToHex } from "../../core/hex.ts";
import { FIXED_ONE } from "../../core/params.ts";
import { entryFromWire, entryToWire } from "../../core/state-codec.ts";
import { proveAccount, verifyAccountProof, type TreeProof } from "../../core/state-proof.ts";
import { applyLeafChanges, computeStateRoot, leafOf, stateDiff, stateFromLeaves, stateRoot, type StateLeaf } from "../../core/state-root.ts";
import { leavesOf, makeLeaf, treeRoot } from "../../core/state-tree.ts";
import type { Account, ChainState, StateEntry } from "../../core/types.ts";
import vectors from "../vectors/state-tree.json";
import { ChainDriver, OUTSIDER, testParams, VALIDATORS, type TestKey } from "./helpers/chain.ts";

type WireLeafV = { space: string; id: string | number; value: unknown; key: string; valueHash: string };
const doc = (vectors.vectors as unknown as { state: { leaves: WireLeafV[]; root: string; accountProofs: { address: string; key: string; proof: TreeProof }[] } }).state;

function vectorLeaves(): StateLeaf[] {
  return doc.leaves.map((l) => {
    const r = entryFromWire({ space: l.space, id: l.id, value: l.value });
    if (!r.ok) throw new Error(r.error.message);
    return makeLeaf(r.value.key, r.value.valueHash, r.value.entry);
  });
}

describe("state leaves and root (state-tree.json)", () => {
  it("every space's leaf: key, value hash, and the wire form written back", () => {
    expect(new Set(doc.leaves.map((l) => l.space)).size).toBe(11);
    for (const l of doc.leaves) {
      const r = entryFromWire({ space: l.space, id: l.id, value: l.value });
      expect(r.ok, l.space).toBe(true);
      if (!r.ok) continue;
      expect(r.value.key).toBe(l.key);
      expect(bytesToHex(r.value.valueHash)).toBe(l.valueHash);
      expect(entryToWire(r.value.entry)).toEqual({ space: l.space, id: l.id, value: l.value });
      // the typed value hashes the same as its wire text
      expect(bytesToHex(leafOf(r.value.entry).hash)).toBe(bytesToHex(makeLeaf(l.key, r.value.valueHash, null).hash));
    }
  });

  it("the state built from the leaves has the vector's root, incrementally and from scratch", () => {
    const s = stateFromLeaves(vectorLeaves(), "ee".repeat(32)) as ChainState;
    expect(s).not.toBeNull();
    expect(stateRoot(s)).toBe(doc.root);
    expect(computeStateRoot(s)).toBe(doc.root);
    expect(s.height).toBe(7);
    expect(s.weight).toBe(13);
    expect(s.accounts.size).toBe(3);
    expect(s.rounds.size).toBe(1);
    expect(s.recentBeacons.get(6)).toBe(doc.leaves.find((l) => l.space === "recent-beacon")?.value);
  });

  it("account proofs: the vector's inclusion and absence proofs, produced and verified; a changed account is refused", () => {
    const s = stateFromLeaves(vectorLeaves(), "ee".repeat(32)) as ChainState;
    const [present, absent] = doc.accountProofs as [(typeof doc.accountProofs)[0], (typeof doc.accountProofs)[0]];
    const account = s.accounts.get(present.address) as Account;
    expect(proveAccount(s.tree, present.address)).toEqual(present.proof);
    expect(verifyAccountProof(doc.root, present.address, account, present.proof)).toBe(true);
    expect(verifyAccountProof(doc.root, present.address, { ...account, balance: account.balance + 1n }, present.proof)).toBe(false);
    expect(verifyAccountProof(doc.root, present.address, null, present.proof)).toBe(false);
    expect(proveAccount(s.tree, absent.address)).toEqual(absent.proof);
    expect(verifyAccountProof(doc.root, absent.address, null, absent.proof)).toBe(true);
    expect(verifyAccountProof(doc.root, absent.address, account, absent.proof)).toBe(false);
    // the proof of one account proves nothing about another
    expect(verifyAccountProof(doc.root, absent.address, account, present.proof)).toBe(false);
    expect(verifyAccountProof(doc.root, "XYZ", null, absent.proof)).toBe(false);
  });
});

/** A chain through every kind of state item: accounts, commits, rounds (voting, decided, claimed), champions, pending work. */
async function richChain(): Promise<ChainDriver> {
  const d = new ChainDriver();
  const V0 = VALIDATORS[0] as TestKey;
  await d.produce([d.tx(VALIDATORS[2] as TestKey, "transfer", { to: OUTSIDER.address, amount: 5n }, 1n)]);
  const id = await d.optimae({ optimizer: V0, params: { x: [1, 2] }, reported: -70n * FIXED_ONE, vote: () => -70n * FIXED_ONE });
  await d.optimae({ optimizer: VALIDATORS[1] as TestKey, params: { x: [3] }, reported: -90n * FIXED_ONE, vote: () => null });
  await d.produce([d.accept(V0, id)]);
  await d.produce([d.tx(VALIDATORS[2] as TestKey, "commit", { domain: "quadratic", commitment: "cd".repeat(32) })]);
  return d;
}

describe("the state root of a chain", () => {
  it("genesis: the header's root is the root of the whole state", () => {
    const g = genesisBlock(testParams());
    expect(g.block.header.stateRoot).toBe(computeStateRoot(g.state));
    expect(stateRoot(g.state)).toBe(g.block.header.stateRoot);
  });

  it("after every block the root committed (parent tree + the block's changes) equals the whole state hashed anew", async () => {
    const d = await richChain();
    expect(d.state.rounds.size).toBeGreaterThan(1);
    expect(d.state.champions.get("quadratic")?.optimae).not.toBeNull();
    for (const [i, s] of d.states.entries()) {
      expect(stateRoot(s)).toBe(computeStateRoot(s));
      expect(stateRoot(s)).toBe(d.blocks[i]?.header.stateRoot);
    }
  });

  it("the accounts kept apart as reputable are exactly those with reputation above zero, and give the same validators as a scan of all", async () => {
    const d = await richChain();
    const params = testParams();
    for (const s of d.states) {
      const reputable = [...mayHoldReputation(s.accounts)].map(([a]) => a).sort();
      expect(reputable).toEqual(
        [...s.accounts]
          .filter(([, a]) => a.reputation > 0n)
          .map(([a]) => a)
          .sort(),
      );
      for (const rebuilt of [stateFromLeaves([...leavesOf(s.tree)], s.tipHash) as ChainState]) {
        expect([...mayHoldReputation(rebuilt.accounts)].map(([a]) => a).sort()).toEqual(reputable);
      }
      expect(validatorSet(s.accounts, params, s.tipTimestamp).sort()).toEqual(validatorSet(new Map(s.accounts), params, s.tipTimestamp).sort());
    }
    // the genesis validators are in it, the outsider paid a transfer is not
    const last = new Map(mayHoldReputation(d.state.accounts));
    for (const v of VALIDATORS) expect(last.has(v.address)).toBe(true);
    expect(d.state.accounts.has(OUTSIDER.address)).toBe(true);
    expect(last.has(OUTSIDER.address)).toBe(false);
  });

  it("a state rebuilt from its leaves, or from its parent and the leaves that changed, is the same state", async () => {
    const d = await richChain();
    for (let i = 1; i < d.states.length; i++) {
      const prev = d.states[i - 1] as ChainState;
      const next = d.states[i] as ChainState;
      const fromLeaves = stateFromLeaves([...leavesOf(next.tree)], next.tipHash) as ChainState;
      expect(stateRoot(fromLeaves)).toBe(stateRoot(next));
      expect(comparable(fromLeaves)).toEqual(comparable(next));
      const changes = stateDiff(prev, next);
      // a block changes a few leaves, never the whole state
      expect(changes.length).toBeLessThan(20);
      const applied = applyLeafChanges(prev, changes, next.tipHash) as ChainState;
      expect(stateRoot(applied)).toBe(stateRoot(next));
      expect(comparable(applied)).toEqual(comparable(next));
      expect(new Map(mayHoldReputation(applied.accounts))).toEqual(new Map(mayHoldReputation(next.accounts)));
    }
  });

  it("the root changes with any one item of any space", async () => {
    const s = (await richChain()).state;
    const base = stateRoot(s);
    const seen = new Set<string>();
    for (const leaf of leavesOf(s.tree)) {
      if (seen.has(leaf.entry.space)) continue;
      seen.add(leaf.entry.space);
      const others = [...leavesOf(s.tree)].filter((l) => l.key !== leaf.key);
      const changed = { ...leaf.entry, value: bump(leaf.entry) } as StateEntry;
      expect(treeRoot(stateFromLeaves([...others, leafOf(changed)], s.tipHash)?.tree ?? null)).not.toBe(base);
      if (leaf.entry.space !== "meta") expect(stateRoot(stateFromLeaves(others, s.tipHash) as ChainState)).not.toBe(base);
    }
    expect(seen.size).toBeGreaterThanOrEqual(7);
  });

  it("without exactly one meta leaf there is no state", async () => {
    const s = (await richChain()).state;
    const leaves = [...leavesOf(s.tree)];
    expect(
      stateFromLeaves(
        leaves.filter((l) => l.entry.space !== "meta"),
        s.tipHash,
      ),
    ).toBeNull();
  });
});

/** A state as plain data (maps as sorted entries), for equality across map implementations and orders. */
function comparable(s: ChainState): unknown {
  const sorted = (m: ReadonlyMap<string | number, unknown>) => [...m].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  return {
    ...s,
    tree: null,
    accounts: sorted(s.accounts),
    champions: sorted(s.champions),
    commits: sorted(s.commits),
    rounds: sorted(s.rounds),
    revealedParams: sorted(s.revealedParams),
    pending: { work: s.pending.work, optimizers: sorted(s.pending.optimizers), evaluators: sorted(s.pending.evaluators) },
    anchors: sorted(s.anchors),
    checkpoints: sorted(s.checkpoints),
    recentBeacons: sorted(s.recentBeacons),
  };
}

function bump(e: StateEntry): unknown {
  switch (e.space) {
    case "meta":
      return { ...e.value, height: e.value.height + 1 };
    case "account":
      return { ...e.value, nonce: e.value.nonce + 1 };
    case "pending-optimizer":
      return e.value + 1n;
    case "pending-evaluator":
      return e.value + 1;
    case "champion":
    case "commit":
    case "round":
      return { ...e.value, height: 999, deadline: 999 };
    default:
      return "ff".repeat(32);
  }
}
