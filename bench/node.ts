/**
 * Node benchmarks on the local runtime (wrangler dev / Miniflare):
 * - node.mempool_tx_per_second: signed transactions accepted per second
 *   into the one MempoolDO through POST /tx/batch (batches of 100, 4 in
 *   flight);
 * - node.mempool_single_tx_per_second: the same through POST /tx, one
 *   transaction per request (8 in flight);
 * - node.mempool_tx_per_cpu_second (and _single_): the same transactions
 *   per second of CPU that the node's workerd spent on them (bench/cpu.ts):
 *   what one object carries on a core of its own, whatever else the
 *   machine runs;
 * - node.blocks_applied_per_second: blocks of 20 signed transfers validated,
 *   applied and stored per second by ChainDO through POST /chain/blocks.
 * All sit beside a Durable Object's soft limit of about 1,000 requests/s.
 */
import { addressFromPublicKey, publicKeyFromSecret, secretFromSeedPhrase } from "../core/keys.ts";
import { COIN_UNIT } from "../core/params.ts";
import { createTx, txToWire } from "../core/tx.ts";
import { startLocalNode } from "../testnet/local-node.ts";
import { treeCpuSeconds } from "./cpu.ts";
import { transferChain } from "./transfer-chain.ts";
import type { BenchResult } from "./run.ts";

const NODE_SECRET = "42".repeat(32);
const SINGLE_TXS = 600;
const IN_FLIGHT = 8;
const BATCH_TXS = 2_000;
const BATCH_SIZE = 100;
const BATCHES_IN_FLIGHT = 4;
const BLOCKS = 120;
const TXS_PER_BLOCK = 20;

async function postAll(
  url: string,
  bodies: readonly unknown[],
  inFlight: number,
  accepted: (status: number, body: unknown) => number,
): Promise<{ seconds: number; ok: number; statuses: Map<number, number> }> {
  let next = 0;
  let ok = 0;
  const statuses = new Map<number, number>();
  const start = performance.now();
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (next < bodies.length) {
        const body = bodies[next++];
        const r = await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
        const answer = (await r.json()) as unknown;
        statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
        ok += accepted(r.status, answer);
      }
    }),
  );
  return { seconds: (performance.now() - start) / 1000, ok, statuses };
}

export async function nodeBenchmarks(): Promise<BenchResult[]> {
  // The mempool's senders are fresh keys, funded by blocks after the timed ones so that each can pay a commit bond.
  const senders = Array.from({ length: SINGLE_TXS + BATCH_TXS }, (_, i) => secretFromSeedPhrase(`node-bench-tx-${i}`));
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
    const txs = senders.map((secret, i) => txToWire(createTx("commit", { domain: "quadratic", commitment: (i + 1).toString(16).padStart(64, "0") }, { secret, nonce: 1, network: params.network })));
    const single = txs.slice(0, SINGLE_TXS);
    const batched = txs.slice(SINGLE_TXS);
    await postAll(`${node.url}/tx`, single.slice(0, 20), 4, () => 0); // warm-up (those are then duplicates)
    const cpu0 = treeCpuSeconds(node.pid).workerd;
    const one = await postAll(`${node.url}/tx`, single.slice(20), IN_FLIGHT, (status) => (status < 300 ? 1 : 0));
    const cpu1 = treeCpuSeconds(node.pid).workerd;
    if (one.ok < (SINGLE_TXS - 20) * 0.95) throw new Error(`mempool refused transactions: ${JSON.stringify([...one.statuses])}`);
    const batches = Array.from({ length: Math.ceil(batched.length / BATCH_SIZE) }, (_, i) => ({ txs: batched.slice(i * BATCH_SIZE, (i + 1) * BATCH_SIZE) }));
    const many = await postAll(`${node.url}/tx/batch`, batches, BATCHES_IN_FLIGHT, (status, body) => (status === 202 ? (body as { accepted: number }).accepted : 0));
    const cpu2 = treeCpuSeconds(node.pid).workerd;
    if (many.ok < BATCH_TXS * 0.95) throw new Error(`mempool refused batched transactions: ${JSON.stringify([...many.statuses])}, ${many.ok} accepted`);

    return [
      {
        name: "node.mempool_tx_per_second",
        value: many.ok / many.seconds,
        unit: "tx/s",
        note: `POST /tx/batch, ${BATCH_SIZE} per batch, ${BATCHES_IN_FLIGHT} in flight; floor 500, DO soft limit ~1000 req/s`,
      },
      { name: "node.mempool_single_tx_per_second", value: one.ok / one.seconds, unit: "tx/s", note: `POST /tx, ${IN_FLIGHT} in flight; floor 50` },
      { name: "node.mempool_tx_per_cpu_second", value: many.ok / Math.max(0.01, cpu2 - cpu1), unit: "tx/CPU-s", note: "POST /tx/batch, per second of the node's workerd CPU" },
      { name: "node.mempool_single_tx_per_cpu_second", value: one.ok / Math.max(0.01, cpu1 - cpu0), unit: "tx/CPU-s", note: "POST /tx, per second of the node's workerd CPU" },
      { name: "node.blocks_applied_per_second", value: BLOCKS / blockSeconds, unit: "blocks/s", note: `POST /chain/blocks, ${TXS_PER_BLOCK} transfers each, sequential` },
    ];
  } finally {
    await node.stop();
  }
}
