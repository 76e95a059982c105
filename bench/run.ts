/**
 * `npm run bench`: prints a table and writes the same figures to
 * bench/results.json, keyed by benchmark name. Ratios compare figures taken
 * in the same run, one after another, so that the machine's noise cancels.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { coreBenchmarks } from "./core.ts";
import { explorerBenchmarks } from "./explorer.ts";
import { networkBenchmarks } from "./network.ts";
import { nodeBenchmarks } from "./node.ts";
import { optimizationBenchmarks } from "./optimization.ts";
import { securityBenchmarks } from "./security.ts";
import { predictorBenchmarks } from "./predictor.ts";
import { testnetBenchmarks } from "./testnet.ts";

export interface BenchResult {
  readonly name: string;
  readonly value: number;
  readonly unit: string;
  readonly note?: string;
}

const here = dirname(fileURLToPath(import.meta.url));
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
};

const results: BenchResult[] = [];
for (const [name, run] of Object.entries(suites)) {
  if (only.length > 0 && !only.includes(name)) continue;
  results.push(...(await run()));
}

const width = Math.max(...results.map((r) => r.name.length));
console.log(`${"benchmark".padEnd(width)}  ${"value".padStart(12)}  unit`);
for (const r of results) {
  const v = r.value >= 100 ? r.value.toFixed(0) : r.value.toFixed(3);
  console.log(`${r.name.padEnd(width)}  ${v.padStart(12)}  ${r.unit}${r.note ? `  (${r.note})` : ""}`);
}

const out = join(here, "results.json");
mkdirSync(dirname(out), { recursive: true });
// Suites run alone (`npm run bench -- node`) update their own keys and keep the others.
type Entry = { value: number; unit: string; note?: string };
const previous = existsSync(out) ? ((JSON.parse(readFileSync(out, "utf8")) as { results?: Record<string, Entry> }).results ?? {}) : {};
const json: Record<string, Entry> = { ...previous };
for (const r of results) json[r.name] = r.note === undefined ? { value: r.value, unit: r.unit } : { value: r.value, unit: r.unit, note: r.note };
writeFileSync(out, `${JSON.stringify({ machine: `${process.platform} ${process.arch}, node ${process.version}`, date: new Date().toISOString(), results: json }, null, 2)}\n`);
console.log(`\nwritten to ${out}`);
