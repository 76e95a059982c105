/**
 * `npm run bench -- sim`: the network simulator (sim/) at 200 nodes with its
 * default workload and partition (`npm run sim -- --nodes 1000` is the full
 * run): messages per node per transaction and per block, block propagation
 * (p50 / p95 / p100), fork rate, convergence after the partition heals,
 * bytes stored per node per 1,000 blocks.
 */
import { reportRows } from "../sim/report.ts";
import { DEFAULT_OPTIONS, runSimulation } from "../sim/simulation.ts";
import type { BenchResult } from "./run.ts";

const NODES = 200;

export async function simBenchmarks(): Promise<BenchResult[]> {
  const report = await runSimulation({ ...DEFAULT_OPTIONS, nodes: NODES, validators: NODES });
  if (!report.converged) throw new Error(`the simulated network did not converge: heads ${report.heightSpread} blocks apart`);
  return reportRows(report);
}
