/**
 * A long-range rewrite with old validator keys (reference vectors 2, 8 and
 * 9; the anchoring the review found unbuilt), on a live 4-node testnet.
 *
 * Whoever holds the genesis validators' keys can build, offline, a branch
 * from genesis in which every block is produced in turn: heavier than the
 * live chain, where nodes that are down leave their turns to others. Nodes
 * that followed the live chain refuse it below their finality. A node that
 * starts from nothing has no finality yet:
 *
 * - without a checkpoint it takes the heavier branch (the residual risk this
 *   measures: weak subjectivity, as for every chain whose producers are known
 *   keys rather than spent work);
 * - with the checkpoint its operator was given (`CHECKPOINTS`, a block of the
 *   live chain) it refuses the branch (CHECKPOINT_CONFLICT) and follows the
 *   live chain.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { blockToWire } from "../../core/block.ts";
import { genesisBlock } from "../../core/genesis.ts";
import { hexToBytes } from "../../core/hex.ts";
import { addressFromPublicKey } from "../../core/keys.ts";
import { producerSchedule } from "../../core/schedule.ts";
import { buildBlock } from "../../core/state-transition.ts";
import type { ChainParams, ChainState } from "../../core/types.ts";
import { freeBasePort, startTestnet, type Testnet } from "../../testnet/harness.ts";
import { paramsFor } from "../../core/params.ts";
import { until } from "../support/until.ts";
import { Wallet } from "../support/wallet.ts";

const dir = mkdtempSync(join(tmpdir(), "doin-security-checkpoints-"));
let net: Testnet;
let params: ChainParams;
/** node3's CHECKPOINTS setting, read when the testnet (re)starts its Workers */
let checkpoint = "";

beforeAll(async () => {
  net = await startTestnet({
    nodes: 4,
    dir,
    basePort: await freeBasePort(4),
    // genesis an hour ago: room for a long branch built offline, all in the past
    genesisTime: Math.floor(Date.now() / 1000) * 1000 - 3_600_000,
    extraVars: (i) => (i === 2 ? { CHECKPOINTS: checkpoint } : {}),
  });
  params = paramsFor("doin-devnet", net.nodes.map((n) => n.publicKey), [], net.genesisTime);
  // node3 and node4 start from nothing later
  await net.stopNode(3);
  await net.stopNode(2);
}, 180_000);

afterAll(async () => {
  await net?.stop();
  rmSync(dir, { recursive: true, force: true });
}, 60_000);

const url = (i: number): string => net.nodes[i]?.url as string;
const status = async (i: number) => (await (await fetch(`${url(i)}/chain/status`)).json()) as { height: number; tip: string; finalizedHeight: number; weight: number };
const blockAt = async (i: number, h: number) => (await (await fetch(`${url(i)}/chain/block/${h}`)).json()) as { hash: string };
const secretOf = (address: string): Uint8Array => hexToBytes(net.nodes.find((n) => addressFromPublicKey(n.publicKey) === address)?.secretHex as string);

/** The branch a holder of every validator key builds from genesis: every block by the producer first in turn. */
function longRangeBranch(n: number): { wires: unknown[]; tip: string; weight: number } {
  let state: ChainState = genesisBlock(params).state;
  const wires: unknown[] = [];
  for (let i = 0; i < n; i++) {
    const built = buildBlock(state, [], params, { producerSecret: secretOf(producerSchedule(state, params)[0] as string), timestamp: state.tipTimestamp + params.carrierIntervalMs });
    if (!built.ok) throw new Error(built.error.message);
    state = built.value.state;
    wires.push(blockToWire(built.value.block));
  }
  return { wires, tip: state.tipHash, weight: 2 * n };
}

async function submitBatch(i: number, wires: readonly unknown[]): Promise<{ accepted: number; error: { code: string } | null }> {
  let accepted = 0;
  for (let k = 0; k < wires.length; k += 50) {
    const r = await fetch(`${url(i)}/chain/blocks/batch`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ blocks: wires.slice(k, k + 50) }) });
    expect(r.status).toBe(202);
    const body = (await r.json()) as { accepted: number; error: { code: string } | null };
    accepted += body.accepted;
    if (body.error !== null) return { accepted, error: body.error };
  }
  return { accepted, error: null };
}

describe("long-range rewrite with the validators' keys", () => {
  it("nodes that followed the chain refuse it below finality; a new node takes it without a checkpoint, and refuses it with one", async () => {
    // the live chain: node1 and node2 (node3's and node4's turns fall to them)
    const payer = new Wallet();
    await payer.fund(url(0));
    await until("a live chain of 12 blocks, final to 6", async () => {
      const s = await status(0);
      if (s.finalizedHeight >= 6) return true;
      await payer.transfer(url(0), "cc".repeat(20));
      return undefined;
    }, { timeoutMs: 120_000, everyMs: 1_500 });
    const live = await status(0);
    const branch = longRangeBranch(live.height + 10);
    expect(branch.weight).toBeGreaterThan(live.weight);

    // 1. the nodes that followed the chain: refused below their finality, head unchanged
    for (const i of [0, 1]) {
      const r = await submitBatch(i, branch.wires);
      expect(r.error?.code).toBe("BELOW_FINALITY");
      expect((await status(i)).tip).not.toBe(branch.tip);
    }

    // 2. node3 starts from nothing with its operator's checkpoint (the live chain's block at height 5),
    //    cut off from the others: what it is handed is all it sees
    checkpoint = `5:${(await blockAt(0, 5)).hash}`;
    await net.partition([[0, 1], [2], [3]]);
    await net.startNode(2);
    const refused = await submitBatch(2, branch.wires);
    expect(refused.error?.code).toBe("CHECKPOINT_CONFLICT");
    expect(refused.accepted).toBe(4); // heights 1-4 conflict with nothing yet
    expect((await status(2)).tip).not.toBe(branch.tip);

    // 3. the control: node4, the same start without a checkpoint, takes the heavier branch (the residual risk)
    await net.startNode(3);
    const taken = await submitBatch(3, branch.wires);
    expect(taken).toEqual({ accepted: branch.wires.length, error: null });
    expect((await status(3)).tip).toBe(branch.tip);

    // 4. joined to the others, node3 follows the live chain (the checkpoint is final on it)
    await net.stopNode(3);
    await net.heal();
    let lastSeen: unknown = null;
    await until("node3 on the live chain", async () => {
      await payer.transfer(url(0), "cd".repeat(20));
      const [a, c] = await Promise.all([status(0), status(2)]);
      lastSeen = { live: a, node3: c, peers: await (await fetch(`${url(2)}/peers`)).json() };
      return c.height >= live.height && (await blockAt(2, live.height)).hash === (await blockAt(0, live.height)).hash && a.height >= c.height - 1 ? true : undefined;
    }, { timeoutMs: 240_000, everyMs: 2_000, context: () => JSON.stringify(lastSeen) });
    expect((await blockAt(2, 5)).hash).toBe(checkpoint.slice(2));
  }, 480_000);
});
