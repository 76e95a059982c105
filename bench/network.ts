/**
 * Network benchmarks on the local runtime:
 * - network.sync_blocks_per_second: a late node fetching 1,000 blocks of 20
 *   signed transfers from a peer (headers first, then batches of 50), from
 *   the sync request until its head is the peer's.
 */
import { blockToWire } from "../core/block.ts";
import { genesisBlock } from "../core/genesis.ts";
import { addressFromPublicKey, publicKeyFromSecret, secretFromSeedPhrase } from "../core/keys.ts";
import { buildBlock } from "../core/state-transition.ts";
import { createTx } from "../core/tx.ts";
import type { ChainState } from "../core/types.ts";
import { paramsFor } from "../workers/config.ts";
import { startLocalNode } from "./local-node.ts";
import type { BenchResult } from "./run.ts";

const BLOCKS = 1_000;
const TXS_PER_BLOCK = 20;

export async function networkBenchmarks(): Promise<BenchResult[]> {
  const funders = Array.from({ length: TXS_PER_BLOCK }, (_, i) => secretFromSeedPhrase(`net-bench-funder-${i}`));
  const keys = funders.map(publicKeyFromSecret);
  const vars = { GENESIS_VALIDATORS: keys.join(",") };
  const params = paramsFor("doin-devnet", keys);

  // The chain, built here with core/ (the peer validates every block again).
  let state: ChainState = genesisBlock(params).state;
  let t = params.genesisTimestamp;
  const wires: unknown[] = [];
  for (let b = 0; b < BLOCKS; b++) {
    t += params.carrierIntervalMs;
    const txs = funders.map((secret, i) =>
      createTx("transfer", { to: addressFromPublicKey(keys[(i + 1) % keys.length] as string), amount: 1n }, { secret, nonce: b + 1, network: params.network, fee: 1n }),
    );
    const built = buildBlock(state, txs, params, { producerSecret: funders[0] as Uint8Array, timestamp: t });
    if (!built.ok) throw new Error(built.error.message);
    state = built.value.state;
    wires.push(blockToWire(built.value.block));
  }

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
