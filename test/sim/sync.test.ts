/**
 * Headers-first sync (durable-objects/sync.ts) between two simulated
 * chains: a node that holds one of the peer's blocks on a branch it does
 * not follow must take that block as the common ancestor, not its own
 * canonical block at that height.
 */
import { describe, expect, it } from "vitest";
import type { Block } from "../../core/types.ts";
import type { PeerClient } from "../../durable-objects/sync.ts";
import { syncFromPeers } from "../../durable-objects/sync.ts";
import { SimChain } from "../../sim/chain.ts";
import { Scheduler } from "../../sim/scheduler.ts";
import { SharedWork } from "../../sim/shared-work.ts";
import { ChainDriver, keyOf, testParams } from "../core/helpers/chain.ts";
import { producerSchedule } from "../../core/schedule.ts";
import { genesisBlock } from "../../core/genesis.ts";

const params = testParams();

function chain(shared: SharedWork): SimChain {
  return new SimChain(shared, params, genesisBlock(params), { held: () => undefined, headMoved: () => undefined });
}

async function hold(c: SimChain, blocks: readonly Block[]): Promise<void> {
  for (const b of blocks) expect(await c.submit(b, params.genesisTimestamp + 3_600_000)).toEqual({ ok: true, code: null });
}

const peerOf = (c: SimChain): PeerClient => ({
  url: "sim://peer",
  status: async () => c.status(),
  headers: async (from, to) => c.headers(from, to).value,
  blocks: async (from, to) => c.blocks(from, to).value,
});

/** Branch a: g → 1a → 2a, both in turn (weight 4). Branch b: g → 1b (out of turn) → 2b → 3b (weight 5): the heavier. */
async function branches(): Promise<{ a: Block[]; b: Block[] }> {
  const a = new ChainDriver(params);
  await a.produce([]);
  await a.produce([]);
  const b = new ChainDriver(params);
  const second = keyOf(producerSchedule(b.state, params)[1] as string);
  await b.produce([], second);
  await b.produce([]);
  await b.produce([]);
  return { a: a.blocks.slice(1), b: b.blocks.slice(1) };
}

describe("headers-first sync between simulated chains", () => {
  it("a node holding the peer's block on a branch it does not follow syncs onto the peer's heavier branch from that block, without calling the peer faulty", async () => {
    const { a, b } = await branches();
    const shared = new SharedWork(new Scheduler(), params);
    const local = chain(shared);
    const peer = chain(shared);
    await hold(local, [...a, b[0] as Block]);
    expect(local.status().tip).toBe(a[1]?.hash); // 1b is held, off the canonical chain
    await hold(peer, b);
    const report = await syncFromPeers(
      local.local(() => params.genesisTimestamp + 3_600_000),
      [peerOf(peer)],
    );
    expect(report).toMatchObject({ error: null, faulty: [], from: 1, applied: 2 });
    expect(local.status().tip).toBe(peer.status().tip);
  });

  it("positive control: a node without the peer's branch syncs from genesis", async () => {
    const { a, b } = await branches();
    const shared = new SharedWork(new Scheduler(), params);
    const local = chain(shared);
    const peer = chain(shared);
    await hold(local, a);
    await hold(peer, b);
    const report = await syncFromPeers(
      local.local(() => params.genesisTimestamp + 3_600_000),
      [peerOf(peer)],
    );
    expect(report).toMatchObject({ error: null, faulty: [], from: 0, applied: 3 });
    expect(local.status().tip).toBe(peer.status().tip);
  });
});

describe("a peer whose blocks no longer match the headers it served", () => {
  /** g → 1b → 2b → 3c: branch b until height 2, then another producer's block at 3. */
  async function branchC(): Promise<Block[]> {
    const c = new ChainDriver(params);
    const second = keyOf(producerSchedule(c.state, params)[1] as string);
    await c.produce([], second);
    await c.produce([]);
    await c.produce([], keyOf(producerSchedule(c.state, params)[1] as string));
    return c.blocks.slice(1);
  }

  /** Serves b's status and headers, then c's blocks; its status says c once it has served a block when `moves`. */
  function switching(b: SimChain, c: SimChain, moves: boolean): PeerClient {
    let switched = false;
    return {
      url: "sim://switching",
      status: async () => (switched && moves ? c : b).status(),
      headers: async (from, to) => b.headers(from, to).value,
      blocks: async (from, to) => {
        switched = true;
        return c.blocks(from, to).value;
      },
    };
  }

  it("is not faulty when its head moved meanwhile (a reorganization), and faulty when it did not (positive control)", async () => {
    const { a, b } = await branches();
    const c = await branchC();
    expect(c[2]?.hash).not.toBe(b[2]?.hash);
    for (const moves of [true, false]) {
      const shared = new SharedWork(new Scheduler(), params);
      const local = chain(shared);
      const peerB = chain(shared);
      const peerC = chain(shared);
      await hold(local, a);
      await hold(peerB, b);
      await hold(peerC, c);
      const report = await syncFromPeers(
        local.local(() => params.genesisTimestamp + 3_600_000),
        [switching(peerB, peerC, moves)],
      );
      expect(report.error).toMatch(/no peer served blocks/);
      expect(report.faulty).toEqual(moves ? [] : ["sim://switching"]);
      expect(local.status().tip).toBe(a[1]?.hash);
    }
  });

  it("a batch fetched ahead that failed while the previous batch was applied is fetched again, not the end of the sync", async () => {
    const driver = new ChainDriver(params);
    for (let i = 0; i < 120; i++) await driver.produce([]);
    const shared = new SharedWork(new Scheduler(), params);
    const local = chain(shared);
    const peer = chain(shared);
    await hold(peer, driver.blocks.slice(1));
    // the second batch's first request fails (as a request that timed out behind a long apply); the retry is served
    const asked: string[] = [];
    const flaky: PeerClient = {
      ...peerOf(peer),
      blocks: async (from, to) => {
        asked.push(`${from}..${to}`);
        if (from === 51 && asked.filter((a) => a === `${from}..${to}`).length === 1) throw new Error("timed out");
        return peer.blocks(from, to).value;
      },
    };
    const report = await syncFromPeers(
      local.local(() => params.genesisTimestamp + 3_600_000),
      [flaky],
    );
    expect(report.error).toBe(null);
    expect(report.applied).toBe(120);
    expect(local.status().tip).toBe(peer.status().tip);
    expect(asked.filter((a) => a === "51..100")).toHaveLength(2);
    expect(report.faulty).toEqual([]);
  });
});
