/**
 * bench/results.json: every benchmark's last figure, keyed by name. A run
 * that measured only some benchmarks updates their keys and keeps the others.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export interface ResultEntry {
  readonly name: string;
  readonly value: number;
  readonly unit: string;
  readonly note?: string;
}

/** The table `npm run bench` prints: name, value, unit (note). */
export function formatTable(results: readonly ResultEntry[]): string {
  const width = Math.max(...results.map((r) => r.name.length));
  const lines = [`${"benchmark".padEnd(width)}  ${"value".padStart(12)}  unit`];
  for (const r of results) {
    const v = r.value >= 100 ? r.value.toFixed(0) : r.value.toFixed(3);
    lines.push(`${r.name.padEnd(width)}  ${v.padStart(12)}  ${r.unit}${r.note ? `  (${r.note})` : ""}`);
  }
  return lines.join("\n");
}

export const RESULTS_FILE = join(dirname(fileURLToPath(import.meta.url)), "results.json");

export function recordResults(results: readonly ResultEntry[]): string {
  mkdirSync(dirname(RESULTS_FILE), { recursive: true });
  type Entry = { value: number; unit: string; note?: string };
  const previous = existsSync(RESULTS_FILE) ? ((JSON.parse(readFileSync(RESULTS_FILE, "utf8")) as { results?: Record<string, Entry> }).results ?? {}) : {};
  const json: Record<string, Entry> = { ...previous };
  for (const r of results) json[r.name] = r.note === undefined ? { value: r.value, unit: r.unit } : { value: r.value, unit: r.unit, note: r.note };
  writeFileSync(RESULTS_FILE, `${JSON.stringify({ machine: `${process.platform} ${process.arch}, node ${process.version}`, date: new Date().toISOString(), results: json }, null, 2)}\n`);
  return RESULTS_FILE;
}
