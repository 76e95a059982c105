/**
 * The snapshot client (durable-objects/snapshot-sync.ts) against peers made
 * here from a real chain: honest peers give the state the snapshot block
 * commits to; a part altered by one peer is refused, that peer reported, and
 * the part taken from another; a manifest whose parts do not add up, or that
 * conflicts with a checkpoint, or that most peers do not vouch for, is not
 * taken; verified parts are kept for the next attempt.
 */
import { describe, expect, it } from "vitest";
import { blockToWire } from "../../core/block.ts";
import { genesisBlock } from "../../core/genesis.ts";
import { COIN_UNIT, devnetParams, FIXED_ONE } from "../../core/params.ts";
import { entryToWire } from "../../core/state-codec.ts";
import { stateRoot } from "../../core/state-root.ts";
import { buildBlock } from "../../core/state-transition.ts";
import { partLeaves, treeParts, treeSize } from "../../core/state-tree.ts";
import type { Block, ChainParams, ChainState } from "../../core/types.ts";
import { fetchSnapshot, type PartStash, type SnapshotPeer } from "../../durable-objects/snapshot-sync.ts";
import { snapshotDepth, type SnapshotManifest } from "../../durable-objects/state-store.ts";
import { scheduledKey, WORKERS_VALIDATORS } from "../support/workers-network.ts";

const ACCOUNTS = 2_500;
const params: ChainParams = devnetParams({
  network: "doin-snapshot-test",
  genesisAccounts: [
    ...WORKERS_VALIDATORS.map((k) => ({ address: k.address, balance: 1_000n * COIN_UNIT, reputation: 5n * FIXED_ONE })),
    ...Array.from({ length: ACCOUNTS }, (_, i) => ({ address: (i + 1).toString(16).padStart(40, "0"), balance: BigInt(i + 1), reputation: 0n })),
  ],
});
const genesis = genesisBlock(params);

/** Three carrier blocks on top of genesis; the snapshot is at the last one. */
function chainOf(n: number, laterMs = 0): { blocks: Block[]; states: ChainState[] } {
  const blocks = [genesis.block];
  const states = [genesis.state];
  for (let i = 0; i < n; i++) {
    const s = states[states.length - 1] as ChainState;
    const b = buildBlock(s, [], params, { producerSecret: scheduledKey(s, params).secret, timestamp: s.tipTimestamp + params.carrierIntervalMs + laterMs });
    if (!b.ok) throw new Error(b.error.message);
    blocks.push(b.value.block);
    states.push(b.value.state);
  }
  return { blocks, states };
}
const { blocks, states } = chainOf(3);

function manifestOf(block: Block, state: ChainState): SnapshotManifest {
  const depth = snapshotDepth(treeSize(state.tree));
  return { network: params.network, height: block.header.height, hash: block.hash, block: blockToWire(block), depth, parts: treeParts(state.tree, depth) };
}

interface PeerOpts {
  readonly url: string;
  readonly at?: number;
  readonly alter?: (index: number, leaves: unknown[]) => unknown[];
  readonly manifest?: (m: SnapshotManifest) => unknown;
  readonly genesis?: string;
}

/** A peer that holds the chain above and offers the snapshot at height `at`, changed as the test says. */
function peer(o: PeerOpts): SnapshotPeer & { parts: number[] } {
  const at = o.at ?? 3;
  const m = manifestOf(blocks[at] as Block, states[at] as ChainState);
  const served: number[] = [];
  return {
    url: o.url,
    parts: served,
    genesis: async () => o.genesis ?? genesis.block.hash,
    manifest: async () => (o.manifest === undefined ? m : o.manifest(m)),
    part: async (height, index) => {
      if (height !== at) return null;
      served.push(index);
      const leaves = partLeaves((states[at] as ChainState).tree, m.depth, index).map((l) => entryToWire(l.entry) as unknown);
      return o.alter === undefined ? leaves : o.alter(index, leaves);
    },
    hashAt: async (height) => blocks[height]?.hash ?? null,
  };
}

function memoryStash(): PartStash & { size: () => number } {
  const m = new Map<string, readonly unknown[]>();
  return { get: (h) => m.get(h), put: (h, l) => void m.set(h, l), size: () => m.size };
}

const local = { params, genesis: genesis.block.hash, checkpoints: new Map<number, string>(), height: 0 };
/** A leaf list with one account's balance changed. */
const oneBalanceChanged = (_: number, leaves: unknown[]) => leaves.map((l, i) => (i === 0 ? { ...(l as object), value: { ...(l as { value: object }).value, balance: "999999" } } : l));

describe("snapshot sync", () => {
  it("takes the state the snapshot block commits to, part by part, from honest peers", async () => {
    const depth = snapshotDepth(treeSize((states[3] as ChainState).tree));
    expect(depth).toBeGreaterThanOrEqual(2);
    const peers = [peer({ url: "http://a" }), peer({ url: "http://b" })];
    const r = await fetchSnapshot(local, peers, memoryStash());
    expect(r.error).toBeNull();
    expect(r.faulty).toEqual([]);
    expect(r.snapshot?.block.hash).toBe(blocks[3]?.hash);
    expect(stateRoot(r.snapshot?.state as ChainState)).toBe(blocks[3]?.header.stateRoot);
    expect(r.snapshot?.state.accounts.size).toBe(ACCOUNTS + WORKERS_VALIDATORS.length);
    expect(r.snapshot?.state.weight).toBe((states[3] as ChainState).weight);
    // the parts were spread over both peers
    expect(peers[0]?.parts.length).toBeGreaterThan(0);
    expect(peers[1]?.parts.length).toBeGreaterThan(0);
    expect(r.fetchedParts).toBe(2 ** depth);
  });

  it("refuses a part altered by one peer, reports it, and takes that part from another", async () => {
    const liar = peer({ url: "http://liar", alter: oneBalanceChanged });
    const honest = peer({ url: "http://honest" });
    const r = await fetchSnapshot(local, [liar, honest], memoryStash());
    expect(r.error).toBeNull();
    expect(r.faulty).toEqual(["http://liar"]);
    // parts fetched at once may reach the liar before its first one is refused; each came from the honest peer too
    expect(liar.parts.length).toBeGreaterThanOrEqual(1);
    for (const i of liar.parts) expect(honest.parts).toContain(i);
    expect(stateRoot(r.snapshot?.state as ChainState)).toBe(blocks[3]?.header.stateRoot);
    // positive control: the same peer without the alteration is taken
    const fine = await fetchSnapshot(local, [peer({ url: "http://liar" }), honest], memoryStash());
    expect(fine.faulty).toEqual([]);
  });

  it("with only altered parts on offer there is no snapshot, and every liar is reported", async () => {
    const dropOne = (_: number, leaves: unknown[]) => leaves.slice(1);
    const reorder = (_: number, leaves: unknown[]) => [...leaves].reverse();
    const r = await fetchSnapshot(local, [peer({ url: "http://x", alter: oneBalanceChanged }), peer({ url: "http://y", alter: dropOne }), peer({ url: "http://z", alter: reorder })], memoryStash());
    expect(r.snapshot).toBeNull();
    expect(r.error).toMatch(/could not be fetched/);
    expect([...r.faulty].sort()).toEqual(["http://x", "http://y", "http://z"]);
  });

  it("refuses a manifest whose parts do not add up to the block's root, or that conflicts with a checkpoint", async () => {
    const forged = peer({
      url: "http://forged",
      manifest: (m) => ({ ...m, parts: m.parts.map((p, i) => (i === 0 ? { ...p, hash: "ab".repeat(32) } : p)) }),
    });
    const r = await fetchSnapshot(local, [forged, peer({ url: "http://ok" })], memoryStash());
    expect(r.faulty).toEqual(["http://forged"]);
    expect(r.snapshot?.block.hash).toBe(blocks[3]?.hash);
    const pinned = await fetchSnapshot({ ...local, checkpoints: new Map([[3, "cd".repeat(32)]]) }, [peer({ url: "http://ok" })], memoryStash());
    expect(pinned.snapshot).toBeNull();
    expect(pinned.faulty).toEqual(["http://ok"]);
    // positive control: the checkpoint that names the block
    const right = await fetchSnapshot({ ...local, checkpoints: new Map([[3, blocks[3]?.hash as string]]) }, [peer({ url: "http://ok" })], memoryStash());
    expect(right.snapshot?.block.hash).toBe(blocks[3]?.hash);
  });

  it("takes the highest snapshot most peers vouch for; a snapshot of another chain is not one", async () => {
    // one peer offers height 3, two offer height 2 and know block 3 too: height 3 is vouched for by all three
    const r = await fetchSnapshot(local, [peer({ url: "http://p1" }), peer({ url: "http://p2", at: 2 }), peer({ url: "http://p3", at: 2 })], memoryStash());
    expect(r.snapshot?.block.hash).toBe(blocks[3]?.hash);
    // a block the others do not have at that height: a minority's, not taken
    const other = chainOf(3, 1_000);
    expect(other.blocks[3]?.hash).not.toBe(blocks[3]?.hash);
    const stranger: SnapshotPeer = { ...peer({ url: "http://stranger" }), hashAt: async () => null };
    const lonely = await fetchSnapshot(
      local,
      [stranger, { ...peer({ url: "http://q1", at: 2 }), hashAt: async (h) => (h === 3 ? (other.blocks[3]?.hash ?? null) : null) }, { ...peer({ url: "http://q2", at: 2 }), hashAt: async () => null }],
      memoryStash(),
    );
    expect(lonely.snapshot?.block.hash).toBe(blocks[2]?.hash);
    // peers of another genesis are not asked
    const foreign = await fetchSnapshot(local, [peer({ url: "http://f", genesis: "ee".repeat(32) })], memoryStash());
    expect(foreign.offered).toBe(false);
    expect(foreign.snapshot).toBeNull();
  });

  it("keeps verified parts: an attempt cut short resumes without fetching them again", async () => {
    const stash = memoryStash();
    // the first attempt: one peer that dies after two parts
    let left = 2;
    const dying = peer({ url: "http://dying" });
    const flaky: SnapshotPeer = {
      ...dying,
      part: async (h, i) => {
        if (left-- <= 0) throw new Error("connection reset");
        return dying.part(h, i);
      },
    };
    const first = await fetchSnapshot(local, [flaky], stash);
    expect(first.snapshot).toBeNull();
    expect(first.faulty).toEqual([]);
    expect(stash.size()).toBe(2);
    const again = peer({ url: "http://again" });
    const second = await fetchSnapshot(local, [again], stash);
    expect(second.error).toBeNull();
    const all = manifestOf(blocks[3] as Block, states[3] as ChainState).parts.filter((p) => p.count > 0).length;
    expect(second.fetchedParts).toBe(all - 2);
    expect(again.parts).toHaveLength(all - 2);
  });

  it("no snapshot above our height: nothing offered (a new node replays from genesis)", async () => {
    const r = await fetchSnapshot({ ...local, height: 3 }, [peer({ url: "http://a" })], memoryStash());
    expect(r.offered).toBe(false);
    expect(r.error).toBeNull();
    const none: SnapshotPeer = { ...peer({ url: "http://old" }), manifest: async () => null };
    expect((await fetchSnapshot(local, [none], memoryStash())).offered).toBe(false);
  });
});
