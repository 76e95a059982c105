/**
 * End to end on a real local testnet: wrangler dev processes on loopback,
 * talking HTTP to each other (flooding, sync), each with its own state.
 */
import { chainStatus, sameTip as sameTipOf } from "../support/chain-status.ts";
import { until as waitUntil } from "../support/until.ts";
import { Wallet } from "../support/wallet.ts";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { blockToWire, coinbaseRoot, parseBlock, sealBlock, txRoot } from "../../core/block.ts";
import { createMessage } from "../../core/envelope.ts";
import { genesisBlock } from "../../core/genesis.ts";
import { hexToBytes } from "../../core/hex.ts";
import { addressFromPublicKey, publicKeyFromSecret, secretFromSeedPhrase } from "../../core/keys.ts";
import { producerSchedule } from "../../core/schedule.ts";
import { buildBlock } from "../../core/state-transition.ts";
import type { Block, ChainState, JsonValue } from "../../core/types.ts";
import { freeBasePort, startTestnet, type Testnet } from "../../testnet/harness.ts";
import { paramsFor } from "../../core/params.ts";

const dir = mkdtempSync(join(tmpdir(), "doin-testnet-"));
let net: Testnet;

const status = (i: number) => chainStatus(net.nodes[i]?.url as string);
const until = <T>(what: string, f: () => Promise<T | undefined>, timeoutMs = 90_000): Promise<T> => waitUntil(what, f, { timeoutMs, everyMs: 500 });
const sameTip = (nodes: readonly number[], minHeight: number) => sameTipOf(nodes.map((i) => net.nodes[i]?.url as string), minHeight);

beforeAll(async () => {
  // genesis two hours ago: room for the 500 blocks the first test builds offline, 2 s apart, all in the past
  net = await startTestnet({ nodes: 3, dir, basePort: await freeBasePort(3), genesisTime: Math.floor(Date.now() / 1000) * 1000 - 2 * 3_600_000 });
  await net.stopNode(2); // node3 joins late
}, 180_000);

afterAll(async () => {
  await net?.stop();
  rmSync(dir, { recursive: true, force: true });
}, 60_000);

describe("a 3-node testnet", () => {
  const params = () => paramsFor("doin-devnet", net.nodes.map((n) => n.publicKey), [], net.genesisTime);

  it("shares one genesis; a late node syncs 500 blocks, is killed mid-sync, resumes and agrees", async () => {
    const [a, b] = await Promise.all([status(0), status(1)]);
    expect(a.genesis).toBe(b.genesis);
    expect(a.genesis).toBe(genesisBlock(params()).block.hash);
    // 500 blocks built here, handed to node1 in batches
    let state: ChainState = genesisBlock(params()).state;
    // by the validator first in turn at each height (the nodes' own keys: they produce nothing meanwhile)
    const secretOf = (address: string) => hexToBytes(net.nodes.find((n) => addressFromPublicKey(n.publicKey) === address)?.secretHex as string);
    const wires: unknown[] = [];
    for (let i = 0; i < 500; i++) {
      const built = buildBlock(state, [], params(), { producerSecret: secretOf(producerSchedule(state, params())[0] as string), timestamp: state.tipTimestamp + params().carrierIntervalMs });
      if (!built.ok) throw new Error(built.error.message);
      state = built.value.state;
      wires.push(blockToWire(built.value.block));
    }
    for (let i = 0; i < wires.length; i += 50) {
      const r = await fetch(`${net.nodes[0]?.url}/chain/blocks/batch`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ blocks: wires.slice(i, i + 50) }) });
      expect(r.status).toBe(202);
    }
    // node2 learns it by itself (its network alarm compares peers' work and syncs)
    await sameTip([0, 1], 500);
    await net.startNode(2);
    await until("node3 syncing", async () => ((await status(2)).height > 0 ? true : undefined));
    await net.stopNode(2); // killed mid-sync (or just after)
    const partial = await (async () => {
      await net.startNode(2);
      return status(2);
    })();
    expect(partial.height).toBeGreaterThan(0);
    const s = await sameTip([0, 1, 2], 500);
    expect(s.tip).toBe(state.tipHash);
  }, 300_000);

  it("transactions flood to every node and the nodes agree on the blocks that carry them", async () => {
    const start = (await status(0)).height;
    const payer = new Wallet();
    await payer.fund(net.nodes[0]?.url as string);
    const txs = Array.from({ length: 6 }, (_, i) => payer.sign("transfer", { to: (i + 1).toString(16).padStart(40, "7"), amount: 1n }).wire);
    for (const [i, t] of txs.entries()) {
      const r = await fetch(`${net.nodes[i % 3]?.url}/tx`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(t) });
      expect(r.status).toBe(202);
    }
    const s = await sameTip([0, 1, 2], start + 1);
    // every transaction is in the agreed chain, whichever node it was sent to
    for (const t of txs) {
      const id = (t as { id: string }).id;
      await until(`tx ${id} included everywhere`, async () => {
        const found = await Promise.all(net.nodes.map(async (n) => ((await (await fetch(`${n.url}/tx/${id}`)).json()) as { status?: string }).status));
        return found.every((x) => x === "included") ? true : undefined;
      });
    }
    expect(s.height).toBeGreaterThan(start);
  }, 180_000);

  it("a peer that floods invalid blocks and bad signatures is refused, then ignored; nothing invalid is stored", async () => {
    const attacker = secretFromSeedPhrase("testnet-attacker");
    const before = await status(0);
    // forged blocks on node1's tip: well-formed and signed, with a state root that is a lie
    const tipWire = (await (await fetch(`${net.nodes[0]?.url}/chain/block/${before.height}`)).json()) as unknown;
    const tip = parseBlock(tipWire, params());
    if (!tip.ok) throw new Error(tip.error.message);
    const forgedHashes: string[] = [];
    const responses: number[] = [];
    for (let i = 0; i < 6; i++) {
      const header = {
        ...tip.value.header,
        height: tip.value.header.height + 1,
        parent: tip.value.hash,
        timestamp: tip.value.header.timestamp + params().carrierIntervalMs,
        producer: publicKeyFromSecret(attacker),
        txRoot: txRoot([]),
        coinbaseRoot: coinbaseRoot([]),
        work: 0n,
        stateRoot: String(i).padStart(64, "f"),
      };
      const forged: Block = sealBlock(header, [], [], attacker);
      forgedHashes.push(forged.hash);
      const msg = createMessage("block", blockToWire(forged) as JsonValue, { secret: attacker, network: params().network, nowMs: Date.now() });
      const r = await fetch(`${net.nodes[0]?.url}/p2p`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(msg) });
      responses.push(r.status);
      // and a bad signature
      const bad = await fetch(`${net.nodes[1]?.url}/p2p`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ ...msg, envelope: { ...msg.envelope, sig: "00".repeat(64) } }) });
      expect(bad.status).toBe(403);
    }
    // refused three times, then banned: later messages are dropped before any work
    expect(responses.slice(0, 3)).toEqual([202, 202, 202]);
    expect(responses.slice(3)).toEqual([401, 401, 401]);
    for (const n of net.nodes) {
      for (const h of forgedHashes) expect((await fetch(`${n.url}/chain/block-by-hash/${h}`)).status).toBe(404);
    }
    const after = await status(0);
    expect(after.height).toBeGreaterThanOrEqual(before.height);
  }, 120_000);

  it("a 2|1 partition produces divergent tips that converge on one chain when it heals", async () => {
    // restart with bootstrap lists cut along the partition: {node1, node2} | {node3}
    await Promise.all([0, 1, 2].map((i) => net.stopNode(i)));
    await Promise.all([net.startNode(0, { peers: [0, 1] }), net.startNode(1, { peers: [0, 1] }), net.startNode(2, { peers: [2] })]);
    const base = await status(0);
    // one funded account on each side (the faucet of the side's node pays it)
    const sides = [new Wallet(), new Wallet()];
    await (sides[0] as Wallet).fund(net.nodes[0]?.url as string);
    await (sides[1] as Wallet).fund(net.nodes[2]?.url as string);
    const send = async (node: number, label: string) => {
      const r = await (sides[node === 0 ? 0 : 1] as Wallet).transfer(net.nodes[node]?.url as string, label.padStart(40, "5"));
      expect(r.status).toBe(202);
    };
    await send(0, "a1");
    await send(2, "c1");
    const majority = await sameTip([0, 1], base.height + 1);
    const minority = await until("the isolated node's own block", async () => {
      const s = await status(2);
      return s.height > base.height ? s : undefined;
    });
    expect(minority.tip).not.toBe(majority.tip);
    const fork = base.height + 1;
    const hashAt = async (node: number) => ((await (await fetch(`${net.nodes[node]?.url}/chain/block/${fork}`)).json()) as { hash: string }).hash;
    const [majorityBlock, minorityBlock] = await Promise.all([hashAt(0), hashAt(2)]);
    expect(majorityBlock).not.toBe(minorityBlock);
    // heal
    await Promise.all([0, 1, 2].map((i) => net.stopNode(i)));
    await Promise.all([0, 1, 2].map((i) => net.startNode(i)));
    await sameTip([0, 1, 2], base.height + 1);
    // one side's branch won everywhere (fork choice: work, then the schedule's weight, then the lower beacon)
    const after = await Promise.all([0, 1, 2].map(hashAt));
    expect(new Set(after).size).toBe(1);
    expect([majorityBlock, minorityBlock]).toContain(after[0]);
  }, 240_000);

  it("reports its memory", () => {
    const mb = net.rssMb();
    console.log(`testnet resident memory, 3 nodes: ${mb.toFixed(0)} MB`);
    expect(mb).toBeGreaterThan(0);
    expect(mb).toBeLessThan(4096);
  });
});
