/**
 * A simulation report as benchmark rows (`sim.<N>_nodes.<metric>`, for the
 * table and bench/results.json) and as a short human summary.
 */
import type { ResultEntry } from "../bench/results-file.ts";
import { MAX_HOPS } from "../durable-objects/gossip.ts";
import type { SimReport } from "./simulation.ts";

export function reportRows(r: SimReport): ResultEntry[] {
  const o = r.options;
  const prefix = `sim.${o.nodes}_nodes`;
  const setting = `${o.nodes} nodes, D = ${o.degree}, ${o.peers} peers each, ${o.preset}, loss ${o.loss}, seed ${o.seed}`;
  const rows: ResultEntry[] = [
    { name: `${prefix}.messages_per_node_per_tx`, value: r.messages.perNodePerTx, unit: "messages", note: `${setting}; D bounds it` },
    { name: `${prefix}.messages_per_node_per_block`, value: r.messages.perNodePerBlock, unit: "messages", note: "gossip only, retries included" },
    { name: `${prefix}.block_propagation_p50_ms`, value: r.propagation.p50Ms, unit: "ms", note: `median over ${r.propagation.blocks} blocks of the time until 50 % of nodes held it` },
    { name: `${prefix}.block_propagation_p95_ms`, value: r.propagation.p95Ms, unit: "ms" },
    {
      name: `${prefix}.block_propagation_p100_ms`,
      value: r.propagation.p100Ms,
      unit: "ms",
      note: `worst ${Math.round(r.propagation.p100MaxMs)} ms; ${(r.propagation.reachedAll * 100).toFixed(0)} % of blocks reached every node`,
    },
    { name: `${prefix}.fork_rate`, value: r.blocks.forkRate, unit: "orphaned / produced", note: `${r.blocks.produced} blocks produced, height ${r.blocks.height}` },
    { name: `${prefix}.block_reach_by_gossip`, value: r.messages.blockReach, unit: "share of nodes", note: "the rest by sync" },
    { name: `${prefix}.tx_reach_by_gossip`, value: r.messages.txReach, unit: "share of nodes" },
    { name: `${prefix}.deliveries_at_hop_limit`, value: r.messages.hopShare[MAX_HOPS] ?? 0, unit: "share", note: `gossip deliveries that arrived after ${MAX_HOPS} hops and went no further` },
    { name: `${prefix}.sync_requests_per_node_per_second`, value: r.messages.syncPerNodePerSecond, unit: "requests/s", note: "status polls of every peer each 5 s, headers, blocks" },
    { name: `${prefix}.bytes_per_node_per_second`, value: r.messages.bytesPerNodePerSecond, unit: "B/s", note: `${o.txRate} transfers/s and the optimae rounds` },
    {
      name: `${prefix}.bytes_stored_per_node_per_1000_blocks`,
      value: r.storage.bytesPerNodePer1000Blocks,
      unit: "B",
      note: `${r.blocks.txsPerBlock.toFixed(1)} transactions per block; plus ≈ ${Math.round(r.storage.stateBytes / 1000)} kB per post-state kept (finality window)`,
    },
  ];
  if (r.partition !== null) {
    rows.push({
      name: `${prefix}.convergence_after_heal_ms`,
      value: r.partition.convergenceMs ?? Number.NaN,
      unit: "ms",
      note: `partition ${(r.partition.healMs - r.partition.atMs) / 1000} s into ${Math.round((o.partition?.fraction ?? 0.5) * 100)} / ${Math.round((1 - (o.partition?.fraction ?? 0.5)) * 100)} %${r.partition.convergenceMs === null ? ": never agreed again" : ""}`,
    });
  }
  return rows;
}
