/**
 * Testnet benchmarks (5 nodes on loopback):
 * - network.flood_latency_p50_ms / _p95_ms: from a transaction accepted by
 *   one node until every other node holds it (polled every 20 ms);
 * - network.testnet_rss_mb: resident memory of the whole 5-node testnet.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { addressFromPublicKey, publicKeyFromSecret, secretFromSeedPhrase } from "../core/keys.ts";
import { createTx, txToWire } from "../core/tx.ts";
import { freeBasePort, startTestnet } from "../testnet/harness.ts";
import type { BenchResult } from "./run.ts";

const NODES = 5;
const SAMPLES = 20;

function quantile(xs: readonly number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))] as number;
}

export async function testnetBenchmarks(): Promise<BenchResult[]> {
  const dir = mkdtempSync(join(tmpdir(), "doin-bench-testnet-"));
  const net = await startTestnet({ nodes: NODES, dir, basePort: await freeBasePort(NODES) });
  try {
    // let the nodes learn each other's keys first
    await new Promise((r) => setTimeout(r, 6_000));
    // the senders pay a commit bond: the first node's faucet funds them, on chain before the clock starts
    const secrets = Array.from({ length: SAMPLES }, (_, i) => secretFromSeedPhrase(`flood-bench-${i}`));
    const node0 = net.nodes[0]?.url as string;
    for (const secret of secrets) {
      const r = await fetch(`${node0}/faucet`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ address: addressFromPublicKey(publicKeyFromSecret(secret)) }) });
      if (r.status !== 202) throw new Error(`faucet refused: ${r.status} ${await r.text()}`);
    }
    for (const secret of secrets) {
      const address = addressFromPublicKey(publicKeyFromSecret(secret));
      for (let t = performance.now(); ; await new Promise((res) => setTimeout(res, 300))) {
        const a = (await (await fetch(`${node0}/chain/account/${address}`)).json()) as { balance: string };
        if (BigInt(a.balance) > 0n) break;
        if (performance.now() - t > 120_000) throw new Error(`the faucet's coin for ${address} did not arrive in 120 s`);
      }
    }
    const latencies: number[] = [];
    for (let i = 0; i < SAMPLES; i++) {
      const tx = txToWire(createTx("commit", { domain: "quadratic", commitment: (i + 1).toString(16).padStart(64, "9") }, { secret: secrets[i] as Uint8Array, nonce: 1, network: "doin-devnet" }));
      const id = (tx as { id: string }).id;
      const start = performance.now();
      const r = await fetch(`${net.nodes[0]?.url}/tx`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(tx) });
      if (r.status !== 202) throw new Error(`tx refused: ${await r.text()}`);
      const others = net.nodes.slice(1);
      const seen = new Set<number>();
      while (seen.size < others.length) {
        await Promise.all(
          others.map(async (n) => {
            if (seen.has(n.index)) return;
            const s = await fetch(`${n.url}/tx/${id}`);
            if (s.status === 200) seen.add(n.index);
            else await s.arrayBuffer();
          }),
        );
        if (performance.now() - start > 30_000) throw new Error(`tx ${id} did not reach every node in 30 s`);
        if (seen.size < others.length) await new Promise((res) => setTimeout(res, 20));
      }
      latencies.push(performance.now() - start);
    }
    const rss = net.rssMb();
    return [
      { name: "network.flood_latency_p50_ms", value: quantile(latencies, 0.5), unit: "ms", note: `one node to all ${NODES - 1} others, ${SAMPLES} transactions` },
      { name: "network.flood_latency_p95_ms", value: quantile(latencies, 0.95), unit: "ms" },
      { name: "network.testnet_rss_mb", value: rss, unit: "MB", note: `${NODES} nodes (one workerd + the harness process); floor: under 4096` },
    ];
  } finally {
    await net.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
