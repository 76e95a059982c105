/**
 * Node benchmarks on the local runtime (wrangler dev / Miniflare):
 * - node.mempool_tx_per_second: signed transactions accepted per second
 *   through POST /tx into the one MempoolDO (8 requests in flight);
 * - node.blocks_applied_per_second: blocks of 20 signed transfers validated,
 *   applied and stored per second by ChainDO through POST /chain/blocks.
 * Both sit beside a Durable Object's soft limit of about 1,000 requests/s.
 */
import { addressFromPublicKey, publicKeyFromSecret, secretFromSeedPhrase } from "../core/keys.ts";
import { COIN_UNIT } from "../core/params.ts";
import { createTx, txToWire } from "../core/tx.ts";
import { startLocalNode } from "../testnet/local-node.ts";
import { transferChain } from "./transfer-chain.ts";
import type { BenchResult } from "./run.ts";

const NODE_SECRET = "42".repeat(32);
const TX_COUNT = 600;
const IN_FLIGHT = 8;
const BLOCKS = 120;
const TXS_PER_BLOCK = 20;

async function postAll(url: string, bodies: readonly unknown[], inFlight: number): Promise<{ seconds: number; ok: number; statuses: Map<number, number> }> {
  let next = 0;
  let ok = 0;
  const statuses = new Map<number, number>();
  const start = performance.now();
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (next < bodies.length) {
        const body = bodies[next++];
        const r = await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
        await r.arrayBuffer();
        statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
        if (r.status < 300) ok++;
      }
    }),
  );
  return { seconds: (performance.now() - start) / 1000, ok, statuses };
}

export async function nodeBenchmarks(): Promise<BenchResult[]> {
  // The mempool's senders are fresh keys, funded by blocks after the timed ones so that each can pay a commit bond.
  const senders = Array.from({ length: TX_COUNT }, (_, i) => secretFromSeedPhrase(`node-bench-tx-${i}`));
  const chain = transferChain("node-bench-funder", BLOCKS, TXS_PER_BLOCK, { to: senders.map((s) => addressFromPublicKey(publicKeyFromSecret(s))), amount: 2n * COIN_UNIT });
  const node = await startLocalNode({ secret: NODE_SECRET, vars: { GENESIS_VALIDATORS: chain.keys.join(",") } });
  try {
    const params = chain.params;

    // ChainDO first (the mempool would make the node produce blocks of its own):
    // a chain built here with core/, posted block by block.
    const wires = chain.wires;
    const start = performance.now();
    for (const w of wires) {
      const r = await fetch(`${node.url}/chain/blocks`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(w) });
      if (r.status !== 202) throw new Error(`block refused: ${r.status} ${await r.text()}`);
      await r.arrayBuffer();
    }
    const blockSeconds = (performance.now() - start) / 1000;
    for (const w of chain.funding) {
      const r = await fetch(`${node.url}/chain/blocks`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(w) });
      if (r.status !== 202) throw new Error(`funding block refused: ${r.status} ${await r.text()}`);
      await r.arrayBuffer();
    }
    // Mempool: commits from funded fresh keys (fee 0, nonce 1): valid, independent transactions.
    const txs = senders.map((secret, i) =>
      txToWire(createTx("commit", { domain: "quadratic", commitment: (i + 1).toString(16).padStart(64, "0") }, { secret, nonce: 1, network: params.network })),
    );
    await postAll(`${node.url}/tx`, txs.slice(0, 20), 4); // warm-up (those are then duplicates)
    const mem = await postAll(`${node.url}/tx`, txs.slice(20), IN_FLIGHT);
    if (mem.ok < (TX_COUNT - 20) * 0.95) throw new Error(`mempool refused transactions: ${JSON.stringify([...mem.statuses])}`);

    return [
      { name: "node.mempool_tx_per_second", value: mem.ok / mem.seconds, unit: "tx/s", note: `POST /tx, ${IN_FLIGHT} in flight; floor 50, DO soft limit ~1000 req/s` },
      { name: "node.blocks_applied_per_second", value: BLOCKS / blockSeconds, unit: "blocks/s", note: `POST /chain/blocks, ${TXS_PER_BLOCK} transfers each, sequential` },
    ];
  } finally {
    await node.stop();
  }
}
