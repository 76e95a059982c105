/**
 * `npm run bench`: prints a table and writes the same figures to
 * bench/results.json, keyed by benchmark name. Ratios compare figures taken
 * in the same run, one after another, so that the machine's noise cancels.
 */
import { coreBenchmarks } from "./core.ts";
import { explorerBenchmarks } from "./explorer.ts";
import { networkBenchmarks } from "./network.ts";
import { nodeBenchmarks } from "./node.ts";
import { optimizationBenchmarks } from "./optimization.ts";
import { securityBenchmarks } from "./security.ts";
import { predictorBenchmarks } from "./predictor.ts";
import { formatTable, recordResults } from "./results-file.ts";
import { simBenchmarks } from "./sim.ts";
import { testnetBenchmarks } from "./testnet.ts";

export interface BenchResult {
  readonly name: string;
  readonly value: number;
  readonly unit: string;
  readonly note?: string;
}

const only = process.argv.slice(2);

const suites: Record<string, () => Promise<BenchResult[]>> = {
  core: coreBenchmarks,
  node: nodeBenchmarks,
  network: networkBenchmarks,
  testnet: testnetBenchmarks,
  optimization: optimizationBenchmarks,
  security: securityBenchmarks,
  explorer: explorerBenchmarks,
  predictor: predictorBenchmarks,
  sim: simBenchmarks,
};

const results: BenchResult[] = [];
for (const [name, run] of Object.entries(suites)) {
  if (only.length > 0 && !only.includes(name)) continue;
  results.push(...(await run()));
}

console.log(formatTable(results));

// Suites run alone (`npm run bench -- node`) update their own keys and keep the others.
console.log(`\nwritten to ${recordResults(results)}`);
