/**
 * Headers-first sync between two real ChainDOs: the source serves its chain
 * through the Worker's public API (/chain/status, /chain/headers,
 * /chain/blocks), the follower applies it in batches.
 */
import { env } from "cloudflare:test";
import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { blockToWire } from "../../core/block.ts";
import { genesisBlock } from "../../core/genesis.ts";
import { buildBlock } from "../../core/state-transition.ts";
import type { Block, ChainState } from "../../core/types.ts";
import { httpPeer, syncFromPeers, type LocalChain } from "../../durable-objects/sync.ts";
import type { Outcome } from "../../durable-objects/rpc.ts";
import { paramsFor } from "../../core/params.ts";
import { scheduledKey, WORKERS_VALIDATORS } from "../support/workers-network.ts";

const params = paramsFor("doin-devnet", WORKERS_VALIDATORS.map((k) => k.pub));

/** n blocks on `from`, each by the validator at `rank` in its height's schedule, as early as its slot allows. */
function chainOf(from: ChainState, n: number, rank = 0, t0 = from.tipTimestamp): Block[] {
  let state = from;
  let t = t0;
  const out: Block[] = [];
  for (let i = 0; i < n; i++) {
    t += params.carrierIntervalMs + rank * params.producerSlotMs;
    const b = buildBlock(state, [], params, { producerSecret: scheduledKey(state, params, rank).secret, timestamp: t });
    if (!b.ok) throw new Error(b.error.message);
    state = b.value.state;
    out.push(b.value.block);
  }
  return out;
}

function local(name: string): LocalChain {
  const stub = env.CHAIN.get(env.CHAIN.idFromName(name));
  return {
    status: () => stub.status(),
    canonicalHashes: (from, to) => stub.canonicalHashes(from, to),
    weightOf: (hash) => stub.weightOf(hash),
    hasBlock: (hash) => stub.hasBlock(hash),
    submitBlocks: async (wires) => {
      const r = (await stub.submitBlocks(wires as unknown[])) as Outcome<{ accepted: number; height: number; error: { index: number; code: string; message: string } | null }>;
      if (!r.ok) throw new Error(r.message);
      return r.value;
    },
  };
}

const node = httpPeer("http://node", (input, init) => exports.default.fetch(input as string, init));

describe("sync", () => {
  it("a late node fetches headers then blocks in batches and reaches the same tip", async () => {
    const source = env.CHAIN.get(env.CHAIN.idFromName("chain"));
    const blocks = chainOf(genesisBlock(params).state, 130);
    for (let i = 0; i < blocks.length; i += 50) {
      const r = (await source.submitBlocks(blocks.slice(i, i + 50).map(blockToWire))) as Outcome<{ accepted: number }>;
      expect(r.ok && r.value.accepted).toBe(Math.min(50, blocks.length - i));
    }
    const follower = local("follower");
    const report = await syncFromPeers(follower, [node]);
    expect(report.error).toBeNull();
    expect(report.applied).toBe(130);
    const s = await follower.status();
    expect(s.tip).toBe(blocks[129]?.hash);
    // nothing more to do the second time
    const again = await syncFromPeers(follower, [node]);
    expect(again.applied).toBe(0);
    expect(again.peer).toBeNull();
  });

  it("a node on a lighter fork above finality moves to the peer's chain; a conflict below finality is refused", async () => {
    const g = genesisBlock(params).state;
    const shared = chainOf(g, 130); // the node's chain from the first test (same blocks)
    // a follower that shares 127 blocks, then forked with 2 blocks of its own (within finality depth)
    const fork = local("forked");
    const stub = env.CHAIN.get(env.CHAIN.idFromName("forked"));
    const base = shared.slice(0, 127);
    for (let i = 0; i < base.length; i += 50) await stub.submitBlocks(base.slice(i, i + 50).map(blockToWire));
    const s127 = await fork.status();
    expect(s127.height).toBe(127);
    // out of turn: lighter than the node's three in-turn blocks above 127
    const own = chainOf(await stateAt(shared, 127), 2, 1, (shared[126] as Block).header.timestamp + 1);
    await stub.submitBlocks(own.map(blockToWire));
    expect((await fork.status()).tip).toBe(own[1]?.hash);
    const report = await syncFromPeers(fork, [node]);
    expect(report.error).toBeNull();
    expect((await fork.status()).tip).toBe(shared[129]?.hash);

    // a chain that diverged at height 1 conflicts with everything the node has finalized
    const deep = local("deep-fork");
    const deepStub = env.CHAIN.get(env.CHAIN.idFromName("deep-fork"));
    const alt = chainOf(g, 20, 1, g.tipTimestamp + 1);
    await deepStub.submitBlocks(alt.map(blockToWire));
    const refused = await syncFromPeers(deep, [node]);
    expect(refused.error).toMatch(/finalized/);
    expect(refused.faulty).toContain("http://node");
    expect((await deep.status()).tip).toBe(alt[19]?.hash);
  });

  it("a node that already holds the first blocks of the peer's branch beside its own tip syncs from the last one it holds, and blames nobody", async () => {
    const shared = chainOf(genesisBlock(params).state, 130); // the node's chain
    const stub = env.CHAIN.get(env.CHAIN.idFromName("side-branch"));
    const side = local("side-branch");
    const base = shared.slice(0, 127);
    for (let i = 0; i < base.length; i += 50) await stub.submitBlocks(base.slice(i, i + 50).map(blockToWire));
    // its own three out-of-turn blocks above 127 (its head), then the node's block 128: a lighter side branch
    const own = chainOf(await stateAt(shared, 127), 3, 1, (shared[126] as Block).header.timestamp + 1);
    await stub.submitBlocks(own.map(blockToWire));
    await stub.submitBlocks([blockToWire(shared[127] as Block)]);
    expect((await side.status()).tip).toBe(own[2]?.hash);
    expect(await side.hasBlock(shared[127]?.hash as string)).toBe(true);
    // the last block it shares with the node is that side-branch block, not its canonical block at 128
    const report = await syncFromPeers(side, [node]);
    expect(report).toMatchObject({ error: null, faulty: [], from: 128 });
    expect((await side.status()).tip).toBe(shared[129]?.hash);
  });
});

/** The state after the first `n` blocks of a chain built by chainOf from genesis. */
async function stateAt(blocks: readonly Block[], n: number): Promise<ChainState> {
  const { applyBlock } = await import("../../core/state-transition.ts");
  let s = genesisBlock(params).state;
  for (const b of blocks.slice(0, n)) {
    const r = await applyBlock(s, b, params);
    if (!r.ok) throw new Error(r.error.message);
    s = r.value;
  }
  return s;
}
