/**
 * Network benchmarks on the local runtime:
 * - network.sync_blocks_per_second: a late node fetching 1,000 blocks of 20
 *   signed transfers from a peer (headers first, then batches of 50), from
 *   the sync request until its head is the peer's.
 * - network.snapshot_sync_seconds_*: a new node joining from a snapshot
 *   (bench/snapshot-sync.ts).
 */
import { startLocalNode } from "../testnet/local-node.ts";
import { snapshotSyncBenchmarks } from "./snapshot-sync.ts";
import { transferChain } from "./transfer-chain.ts";
import type { BenchResult } from "./run.ts";

const BLOCKS = 1_000;
const TXS_PER_BLOCK = 20;

export async function networkBenchmarks(): Promise<BenchResult[]> {
  return [...(await blockSyncBenchmarks()), ...(await snapshotSyncBenchmarks())];
}

async function blockSyncBenchmarks(): Promise<BenchResult[]> {
  const { keys, wires } = transferChain("net-bench-funder", BLOCKS, TXS_PER_BLOCK);
  const vars = { GENESIS_VALIDATORS: keys.join(",") };
  const source = await startLocalNode({ secret: "51".repeat(32), vars });
  const late = await startLocalNode({ secret: "52".repeat(32), vars });
  try {
    for (let i = 0; i < wires.length; i += 50) {
      const r = await fetch(`${source.url}/chain/blocks/batch`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ blocks: wires.slice(i, i + 50) }) });
      const body = (await r.json()) as { accepted?: number };
      if (r.status !== 202 || body.accepted !== Math.min(50, wires.length - i)) throw new Error(`source refused blocks: ${r.status} ${JSON.stringify(body)}`);
    }
    // The source is an idle peer when the late node arrives: let it finish its own D1 projection first.
    for (let i = 0; i < 600; i++) {
      const s = (await (await fetch(`${source.url}/chain/status`)).json()) as { outboxPending: number };
      if (s.outboxPending === 0) break;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    const start = performance.now();
    const r = await fetch(`${late.url}/chain/sync`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${late.token}` },
      body: JSON.stringify({ peers: [source.url] }),
    });
    const report = (await r.json()) as { applied: number; error: string | null };
    const seconds = (performance.now() - start) / 1000;
    if (report.error !== null || report.applied !== BLOCKS) throw new Error(`sync failed: ${JSON.stringify(report)}`);
    const [a, b] = await Promise.all([source, late].map(async (n) => (await (await fetch(`${n.url}/chain/status`)).json()) as { tip: string }));
    if (a?.tip !== b?.tip) throw new Error("the late node did not reach the source's tip");
    return [{ name: "network.sync_blocks_per_second", value: BLOCKS / seconds, unit: "blocks/s", note: `late node, ${BLOCKS} blocks of ${TXS_PER_BLOCK} transfers; floor 100` }];
  } finally {
    await Promise.all([source.stop(), late.stop()]);
  }
}
