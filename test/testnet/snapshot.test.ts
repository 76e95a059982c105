/**
 * Snapshot sync on a live testnet: node1 holds 300 blocks that opened 3,000
 * accounts; node2 joins replaying every block from genesis (an archive node),
 * node3 joins from node1's finalized snapshot (SYNC_MODE=snapshot) with a
 * peer in front of node1 that alters every snapshot part it serves. node3
 * refuses the altered parts, drops that peer, takes the parts from node1,
 * replays only the blocks after the snapshot, and reaches the same tip and
 * the same state (the same account proofs against the same state root) as
 * the archive node; both then follow new blocks, node3 across a restart too.
 */
import { createHash } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { blockToWire } from "../../core/block.ts";
import { genesisBlock } from "../../core/genesis.ts";
import { hexToBytes } from "../../core/hex.ts";
import { addressFromPublicKey, secretFromSeedPhrase } from "../../core/keys.ts";
import { producerSchedule } from "../../core/schedule.ts";
import { buildBlock } from "../../core/state-transition.ts";
import { createTx } from "../../core/tx.ts";
import type { ChainState } from "../../core/types.ts";
import { freeBasePort, startTestnet, type Testnet } from "../../testnet/harness.ts";
import { paramsFor } from "../../core/params.ts";
import { json, startFakePeer, type FakePeer } from "../security/support/fake-peer.ts";
import { chainStatus, sameTip as sameTipOf } from "../support/chain-status.ts";
import { Wallet } from "../support/wallet.ts";

const dir = mkdtempSync(join(tmpdir(), "doin-snapshot-"));
const BLOCKS = 300;
const PER_BLOCK = 10;
let net: Testnet;
/** in front of node1: forwards everything, alters the snapshot parts it serves */
let liar: FakePeer | undefined;
const liarParts: string[] = [];
/** the n-th account the offline blocks pay */
const accountOf = (n: number) => createHash("sha256").update(`snapshot-account-${n}`).digest("hex").slice(0, 40);

const url = (i: number) => net.nodes[i]?.url as string;
const status = (i: number) => chainStatus(url(i));
const sameTip = (nodes: readonly number[], minHeight: number) => sameTipOf(nodes.map(url), minHeight, { timeoutMs: 180_000, context: () => net.logTail(20).join("\n") });

beforeAll(async () => {
  const basePort = await freeBasePort(3);
  const at = (i: number) => `http://127.0.0.1:${basePort + i}`;
  net = await startTestnet({
    nodes: 3,
    dir,
    basePort,
    // room for the blocks built offline, 2 s apart, all in the past
    genesisTime: Math.floor(Date.now() / 1000) * 1000 - 2 * 3_600_000,
    extraVars: (i): Record<string, string> => (i === 2 ? { SYNC_MODE: "snapshot", BOOTSTRAP_PEERS: [...(liar === undefined ? [] : [liar.url]), at(0), at(1)].join(",") } : {}),
  });
  // both join late
  await Promise.all([net.stopNode(1), net.stopNode(2)]);
}, 180_000);

afterAll(async () => {
  await net?.stop();
  await liar?.close();
  rmSync(dir, { recursive: true, force: true });
}, 60_000);

describe("a node joins from a snapshot", () => {
  const params = () =>
    paramsFor(
      "doin-devnet",
      net.nodes.map((n) => n.publicKey),
      [],
      net.genesisTime,
    );

  it("reaches the archive node's tip and state, refusing altered snapshot parts from one peer", async () => {
    // 300 blocks by the validator first in turn, 10 payments each from node1's account to new addresses
    const p = params();
    const funder = net.nodes[0];
    if (funder === undefined) throw new Error("no node1");
    const funderSecret = hexToBytes(funder.secretHex);
    const secretOf = (address: string) => hexToBytes(net.nodes.find((n) => addressFromPublicKey(n.publicKey) === address)?.secretHex as string);
    let state: ChainState = genesisBlock(p).state;
    const wires: unknown[] = [];
    let nonce = 0;
    for (let b = 0; b < BLOCKS; b++) {
      const txs = Array.from({ length: PER_BLOCK }, () => {
        nonce++;
        return createTx("transfer", { to: accountOf(nonce), amount: BigInt(nonce) }, { secret: funderSecret, nonce, network: p.network, fee: 1n });
      });
      const built = buildBlock(state, txs, p, { producerSecret: secretOf(producerSchedule(state, p)[0] as string), timestamp: state.tipTimestamp + p.carrierIntervalMs });
      if (!built.ok) throw new Error(built.error.message);
      expect(built.value.rejected).toEqual([]);
      state = built.value.state;
      wires.push(blockToWire(built.value.block));
    }
    for (let i = 0; i < wires.length; i += 50) {
      const r = await fetch(`${url(0)}/chain/blocks/batch`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ blocks: wires.slice(i, i + 50) }) });
      expect(r.status).toBe(202);
    }
    await sameTip([0], BLOCKS);
    const offered = (await (await fetch(`${url(0)}/chain/snapshot`)).json()) as { height: number; depth: number; parts: { count: number }[] };
    expect(offered.height).toBeGreaterThan(0);
    expect(offered.parts.filter((x) => x.count > 0).length).toBeGreaterThanOrEqual(4);

    // the liar: a real peer (its own key answers the handshake) that relays node1, except for snapshot parts
    liar = await startFakePeer({
      secret: secretFromSeedPhrase("snapshot-liar"),
      network: p.network,
      genesis: genesisBlock(p).block.hash,
      handle: async (path, query, req, res) => {
        if (req.method !== "GET") return false;
        const upstream = await fetch(`${url(0)}${path}${query.size > 0 ? `?${query}` : ""}`);
        const body = (await upstream.json()) as Record<string, unknown>;
        if (/^\/chain\/snapshot\/\d+\/\d+$/.test(path) && upstream.status === 200) {
          liarParts.push(path);
          const leaves = body["leaves"] as { space: string; value: Record<string, unknown> }[];
          const i = leaves.findIndex((l) => l.space === "account");
          if (i >= 0) leaves[i] = { ...(leaves[i] as { space: string; value: Record<string, unknown> }), value: { ...leaves[i]?.value, balance: "123456789" } };
        }
        return json(res, body, upstream.status);
      },
    });

    await Promise.all([net.startNode(1), net.startNode(2)]);
    const tip = await sameTip([0, 1, 2], BLOCKS);
    expect(tip.tip).toBe(state.tipHash);
    const [archive, joined] = await Promise.all([status(1), status(2)]);
    expect(archive.historyFrom).toBe(0);
    expect(joined.historyFrom).toBeGreaterThan(0);
    expect(joined.historyFrom).toBeLessThan(BLOCKS);
    // the joined node holds no block below its snapshot; the archive node holds them all
    expect((await fetch(`${url(2)}/chain/block/1`)).status).toBe(404);
    expect((await fetch(`${url(1)}/chain/block/1`)).status).toBe(200);

    // the liar was asked for parts, refused, and dropped as a faulty peer
    expect(liarParts.length).toBeGreaterThan(0);
    const peers = (await (await fetch(`${url(2)}/peers`)).json()) as { peers: { url: string; lastError: string | null; bannedUntil: number | null }[] };
    const seen = peers.peers.find((x) => x.url === liar?.url);
    expect(seen?.lastError ?? "").toMatch(/faulty/);
    expect(seen?.bannedUntil ?? 0).toBeGreaterThan(Date.now());

    // the same state: every node proves the same accounts against the same root at the same block
    const h = Math.min(...(await Promise.all([0, 1, 2].map(status))).map((s) => s.finalizedHeight));
    for (const n of [1, 500, 2_999, 3_000, 4_321]) {
      const who = accountOf(n);
      const answers = await Promise.all(
        [0, 1, 2].map(async (i) => (await (await fetch(`${url(i)}/chain/account/${who}?proof=1&height=${h}`)).json()) as { proof: { header: { stateRoot: string } }; balance: string }),
      );
      expect(answers[1]).toEqual(answers[0]);
      expect(answers[2]).toEqual(answers[0]);
      // account n was paid in block ⌈n / 10⌉
      expect(answers[0]?.balance).toBe(Math.ceil(n / PER_BLOCK) <= h ? String(n) : "0");
    }
  }, 420_000);

  it("the joined node follows new blocks like the others, across a restart too", async () => {
    const start = (await status(0)).height;
    const payer = new Wallet();
    await payer.fund(url(0));
    expect((await payer.transfer(url(0), "5".repeat(40))).status).toBe(202);
    const after = await sameTip([0, 1, 2], start + 1);
    await net.stopNode(2);
    await net.startNode(2);
    const again = await status(2);
    expect(again.historyFrom).toBeGreaterThan(0);
    expect(again.height).toBeGreaterThanOrEqual(after.height);
    expect((await payer.transfer(url(1), "6".repeat(40))).status).toBe(202);
    await sameTip([0, 1, 2], after.height + 1);
  }, 240_000);
});
