/**
 * The testnet launcher itself: 3 nodes in one workerd, each with its own
 * port, identity and state; a transaction makes a block; a node restarts
 * with its state; a partition cuts and heals; resident memory is printed.
 */
import { until as waitUntil } from "../support/until.ts";
import { Wallet } from "../support/wallet.ts";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freeBasePort, startTestnet, type Testnet } from "../../testnet/harness.ts";

const dir = mkdtempSync(join(tmpdir(), "doin-harness-"));
let net: Testnet;

interface ChainStatus {
  network: string;
  genesis: string;
  height: number;
  tip: string;
}

async function json<T>(url: string, init?: RequestInit): Promise<{ status: number; body: T }> {
  const r = await fetch(url, init);
  return { status: r.status, body: (await r.json()) as T };
}
const chainStatus = async (i: number): Promise<ChainStatus> => (await json<ChainStatus>(`${net.nodes[i]?.url}/chain/status`)).body;
const until = <T>(what: string, f: () => Promise<T | undefined>, timeoutMs: number): Promise<T> =>
  waitUntil(what, f, { timeoutMs, everyMs: 250, context: () => net.logTail(20).join("\n") });
/** A payment from an account the faucet funded: a transaction that needs a block. */
async function submitTx(node: number, label: string): Promise<string> {
  const r = await payer.transfer(net.nodes[node]?.url as string, label.padStart(40, "c"));
  expect(r.status, String(r.code)).toBe(202);
  return r.id;
}
const txStatus = async (node: number, id: string): Promise<number> => (await fetch(`${net.nodes[node]?.url}/tx/${id}`)).status;

const payer = new Wallet();

beforeAll(async () => {
  net = await startTestnet({ nodes: 3, dir, basePort: await freeBasePort(3) });
  console.log(`3-node testnet ready in ${(net.startupMs / 1000).toFixed(1)} s`);
  await payer.fund(net.nodes[0]?.url as string);
}, 120_000);

afterAll(async () => {
  await net?.stop();
  rmSync(dir, { recursive: true, force: true });
}, 60_000);

describe("the local testnet harness", () => {
  it("runs 3 nodes with distinct keys, one port each, and one genesis", async () => {
    const health = await Promise.all(net.nodes.map((n) => json<{ ok: boolean; node: string; network: string }>(`${n.url}/health`)));
    for (const [i, h] of health.entries()) {
      expect(h.status).toBe(200);
      expect(h.body.node).toBe(net.nodes[i]?.publicKey);
      expect(h.body.network).toBe("doin-devnet");
    }
    expect(new Set(health.map((h) => h.body.node)).size).toBe(3);
    expect(new Set(net.nodes.map((n) => n.url)).size).toBe(3);
    const statuses = await Promise.all([0, 1, 2].map(chainStatus));
    expect(new Set(statuses.map((s) => s.genesis)).size).toBe(1);
    expect(statuses[0]?.genesis).toMatch(/^[0-9a-f]{64}$/);
  });

  it("includes a transaction sent to node1 in a block", async () => {
    const before = await chainStatus(0);
    const id = await submitTx(0, "01");
    const tx = await until("the transaction in a block of node1", async () => {
      const t = await json<{ status?: string; height?: number }>(`${net.nodes[0]?.url}/tx/${id}`);
      return t.body.status === "included" ? t.body : undefined;
    }, 20_000);
    expect(tx.height).toBeGreaterThan(before.height);
    expect((await chainStatus(0)).height).toBeGreaterThanOrEqual(tx.height as number);
  }, 30_000);

  it("restarts node2 with its state", async () => {
    const before = await until("node2 holding node1's block", async () => {
      const st = await chainStatus(1);
      return st.height >= 1 ? st : undefined;
    }, 20_000);
    await net.stopNode(1);
    expect(net.isRunning(1)).toBe(false);
    await expect(fetch(`${net.nodes[1]?.url}/health`)).rejects.toThrow();
    await net.startNode(1);
    expect(net.isRunning(1)).toBe(true);
    const after = await chainStatus(1);
    expect(after.genesis).toBe(before.genesis);
    expect(after.height).toBeGreaterThanOrEqual(before.height);
    const block = await json<{ hash: string }>(`${net.nodes[1]?.url}/chain/block/${before.height}`);
    expect(block.body.hash).toBe(before.tip);
  }, 60_000);

  it("cuts the network with partition() and joins it again with heal()", async () => {
    await net.partition([[0, 1], [2]]);
    const cut = await submitTx(2, "02");
    await new Promise((r) => setTimeout(r, 3_000));
    expect(await txStatus(0, cut)).toBe(404);
    await net.heal();
    const joined = await submitTx(2, "03");
    await until("a transaction from node3 reaching node1 after heal()", async () => ((await txStatus(0, joined)) === 200 ? true : undefined), 20_000);
  }, 60_000);

  it("reports its resident memory", () => {
    const mb = net.rssMb();
    console.log(`testnet resident memory, 3 nodes in one workerd + this process: ${mb.toFixed(0)} MiB`);
    expect(mb).toBeGreaterThan(0);
    expect(mb).toBeLessThan(2048);
  });
});

describe("a testnet folder from another protocol version", () => {
  it("is refused with the advice to start it with --clean (its chains cannot be read under other rules)", async () => {
    const old = mkdtempSync(join(tmpdir(), "doin-harness-old-"));
    try {
      mkdirSync(join(old, "state"));
      writeFileSync(join(old, "testnet.json"), JSON.stringify({ seed: "00".repeat(16), token: "t".repeat(32), layout: "miniflare-shared", nodes: 2, genesis: "ab".repeat(32) }));
      await expect(startTestnet({ nodes: 2, dir: old, basePort: await freeBasePort(2) })).rejects.toThrow(/another version of the protocol.*--clean/);
    } finally {
      rmSync(old, { recursive: true, force: true });
    }
  });
});

