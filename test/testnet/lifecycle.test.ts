/**
 * Proof of optimization end to end: a 3-node testnet with one real runner
 * process per node, on two domains: the built-in quadratic one and the
 * example sphere plugin brought as a package (its chain rules declared to the
 * network, its plugin loaded by every runner). Optimize jobs → commits →
 * reveals → quorums → evaluate jobs with per-evaluator seeds → votes →
 * verdicts → accepts → work blocks that mint coin, and both champions climb.
 * Coins are conserved over the whole chain.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freeBasePort, startTestnet, type Testnet } from "../../testnet/harness.ts";
import { genesisBlock } from "../../core/genesis.ts";
import { readPluginPackage } from "../../plugins/registry.ts";
import { domainsSetting } from "../../durable-objects/config.ts";
import { paramsFor } from "../../core/params.ts";
import { until } from "../support/until.ts";
import { replayChain } from "./replay.ts";

const dir = mkdtempSync(join(tmpdir(), "doin-lifecycle-"));
const SPHERE = fileURLToPath(new URL("../../plugins/examples/sphere", import.meta.url));
let net: Testnet;

beforeAll(async () => {
  net = await startTestnet({ nodes: 3, dir, basePort: await freeBasePort(3), runners: true, pluginPackages: [SPHERE] });
}, 180_000);

afterAll(async () => {
  await net?.stop();
  rmSync(dir, { recursive: true, force: true });
}, 60_000);

interface Status {
  height: number;
  tip: string;
  mintedBlocks: number;
  supply: string;
}

describe("proof of optimization on a testnet with runners", () => {
  it("verified improvements make work blocks, the champion climbs, and every node replays the same state with coins conserved", async () => {
    const url = net.nodes[0]?.url as string;
    const deadline = Date.now() + 240_000;
    let status: Status;
    type Champion = { domain: string; performance: string; optimizer: string | null };
    let champions: Champion[] = [];
    const improved = (d: string) => champions.find((c) => c.domain === d)?.optimizer != null;
    for (;;) {
      status = (await (await fetch(`${url}/chain/status`)).json()) as Status;
      champions = (await (await fetch(`${url}/chain/champions`)).json()) as Champion[];
      if ((status.mintedBlocks >= 3 && improved("quadratic") && improved("sphere")) || Date.now() > deadline) break;
      await new Promise((r) => setTimeout(r, 2_000));
    }
    expect(status.mintedBlocks).toBeGreaterThanOrEqual(3);
    // both domains improved on their initial champions (quadratic −1000, sphere −100)
    expect(BigInt(champions.find((c) => c.domain === "quadratic")?.performance ?? "0")).toBeGreaterThan(-1_000_000_000n);
    expect(BigInt(champions.find((c) => c.domain === "sphere")?.performance ?? "-100000000")).toBeGreaterThan(-100_000_000n);
    expect(improved("quadratic") && improved("sphere")).toBe(true);

    // Replay the whole chain from genesis with core/: same state, coins conserved (checked block by block), evaluators got distinct seeds.
    // The network's parameters include the sphere domain's rules from its package: the genesis commits to them.
    const sphereRules = readPluginPackage(SPHERE)?.entries.map((e) => e.chain) ?? [];
    const params = paramsFor("doin-devnet", net.nodes.map((n) => n.publicKey), domainsSetting(JSON.stringify(sphereRules)), net.genesisTime);
    const block0 = (await (await fetch(`${url}/chain/block/0`)).json()) as { hash: string };
    expect(block0.hash).toBe(genesisBlock(params).block.hash);
    expect(genesisBlock(paramsFor("doin-devnet", net.nodes.map((n) => n.publicKey), [], net.genesisTime)).block.hash).not.toBe(block0.hash);
    let votes = 0;
    let accepts = 0;
    const seedsPerOptimae = new Map<string, Set<string>>();
    // replay up to the height seen above once it is final (a tip fork cannot change it any more)
    const final = await until(`height ${status.height} final on node1`, async () => {
      const s = (await (await fetch(`${url}/chain/status`)).json()) as { finalizedHeight: number };
      if (s.finalizedHeight < status.height) return undefined;
      return ((await (await fetch(`${url}/chain/block/${status.height}`)).json()) as { hash: string }).hash;
    }, { timeoutMs: 90_000, everyMs: 500, context: () => net.logTail(20).join("\n") });
    const { state } = await replayChain(url, params, status.height, (block) => {
      for (const t of block.txs) {
        if (t.kind === "vote") {
          votes++;
          const set = seedsPerOptimae.get(t.body.optimae) ?? new Set<string>();
          set.add(t.body.dataHash);
          seedsPerOptimae.set(t.body.optimae, set);
        }
        if (t.kind === "accept") accepts++;
      }
    });
    expect(state.tipHash).toBe(final);
    expect(accepts).toBeGreaterThanOrEqual(1);
    expect(votes).toBeGreaterThanOrEqual(2);
    // each evaluator of one optimae generated different synthetic data (its own seed)
    const multi = [...seedsPerOptimae.values()].filter((s) => s.size > 1);
    expect(multi.length).toBeGreaterThan(0);
    // every node agrees on that block (a fork at the tip may take a moment to resolve)
    await until(
      `every node on one block at height ${status.height}`,
      async () => {
        const hashes = await Promise.all(net.nodes.map(async (n) => ((await (await fetch(`${n.url}/chain/block/${status.height}`)).json()) as { hash?: string } | null)?.hash));
        return hashes[0] !== undefined && new Set(hashes).size === 1 ? true : undefined;
      },
      { timeoutMs: 60_000, everyMs: 500, context: () => net.logTail(20).join("\n") },
    );
  }, 300_000);
});
