/**
 * The optimization benchmark: rounds (optimize jobs per node, as the
 * reference counts them), evaluations and wall time for the quadratic
 * domain's champion to reach the easy (−100) and hard (−50) targets, with 1,
 * 2 and 4 nodes, for the reference's random-step optimizer and for CMA-ES.
 *
 * The island model runs in-process: each round every node runs one round of
 * its own optimizer from the best champion known at the start of the round
 * (migration every round, full topology), and a result becomes the champion
 * only if it beats it by ε = 0.01 (the chain's quality bar). One shared
 * seeded target; 50 seeded runs per configuration; median and p10–p90.
 */
import { DEFAULT_CONFIG, EASY_TARGET, HARD_TARGET, performance as negSse, targetOf } from "../plugins/quadratic/domain.ts";
import { cmaes } from "../plugins/quadratic/cmaes.ts";
import { randomStep, type Optimizer } from "../plugins/quadratic/random-step.ts";
import type { BenchResult } from "./run.ts";

const RUNS = 50;
const MAX_ROUNDS = 3_000;
const EPSILON = 0.01;
const OPTIMIZERS: Record<string, (seed: number) => Optimizer> = { random_step: (s) => randomStep(s), cmaes: (s) => cmaes(s) };
const REFERENCE: Record<string, string> = {
  "hard.1": "95–100",
  "hard.2": "78 (combined)",
  "easy.1": "39",
  "easy.2": "5–6",
};

interface Run {
  easy: number | null;
  hard: number | null;
  evalsHard: number | null;
  ms: number;
}

function simulate(make: (seed: number) => Optimizer, nodes: number, seed: number): Run {
  const target = targetOf(DEFAULT_CONFIG);
  const objective = (x: readonly number[]) => negSse(x, target);
  const islands = Array.from({ length: nodes }, (_, i) => make(seed * 1_000 + i));
  let champion: { x: number[]; f: number } | null = null;
  let evaluations = 0;
  const run: Run = { easy: null, hard: null, evalsHard: null, ms: 0 };
  const t0 = performance_now();
  for (let round = 1; round <= MAX_ROUNDS; round++) {
    const start = champion;
    for (const island of islands) {
      const r = island.round(objective, start);
      evaluations += r.evaluations;
      if (champion === null || r.f >= champion.f + EPSILON) champion = { x: r.x, f: r.f };
    }
    const f = (champion as { f: number }).f;
    if (run.easy === null && f >= EASY_TARGET) run.easy = round;
    if (run.hard === null && f >= HARD_TARGET) {
      run.hard = round;
      run.evalsHard = evaluations;
      break;
    }
  }
  run.ms = performance_now() - t0;
  return run;
}

function performance_now(): number {
  return performance.now();
}

function stats(xs: readonly (number | null)[]): { median: number; p10: number; p90: number; failed: number } {
  const ok = xs.filter((x): x is number => x !== null).sort((a, b) => a - b);
  const q = (p: number) => ok[Math.min(ok.length - 1, Math.floor(p * ok.length))] ?? Number.NaN;
  return { median: q(0.5), p10: q(0.1), p90: q(0.9), failed: xs.length - ok.length };
}

export async function optimizationBenchmarks(): Promise<BenchResult[]> {
  const results: BenchResult[] = [];
  const table: string[] = [];
  for (const [name, make] of Object.entries(OPTIMIZERS)) {
    for (const nodes of [1, 2, 4]) {
      const runs = Array.from({ length: RUNS }, (_, s) => simulate(make, nodes, s + 1));
      const easy = stats(runs.map((r) => r.easy));
      const hard = stats(runs.map((r) => r.hard));
      const evals = stats(runs.map((r) => r.evalsHard));
      const ms = stats(runs.map((r) => r.ms));
      results.push(
        { name: `optimization.hard_target_rounds.${name}.${nodes}`, value: hard.median, unit: "rounds", note: `p10–p90 ${hard.p10}–${hard.p90}, ${hard.failed} of ${RUNS} runs did not converge in ${MAX_ROUNDS}` },
        { name: `optimization.easy_target_rounds.${name}.${nodes}`, value: easy.median, unit: "rounds", note: `p10–p90 ${easy.p10}–${easy.p90}` },
        { name: `optimization.hard_target_evaluations.${name}.${nodes}`, value: evals.median, unit: "evaluations", note: `all nodes together; p10–p90 ${evals.p10}–${evals.p90}` },
      );
      table.push(
        `${name.padEnd(12)} ${String(nodes).padStart(5)}  easy ${String(easy.median).padStart(5)} (${easy.p10}–${easy.p90})  hard ${String(hard.median).padStart(5)} (${hard.p10}–${hard.p90})  evals ${evals.median}  ${ms.median.toFixed(1)} ms/run` +
          (name === "random_step" ? `   reference: easy ${REFERENCE[`easy.${nodes}`] ?? "–"}, hard ${REFERENCE[`hard.${nodes}`] ?? "–"}` : ""),
      );
    }
  }
  console.log(`\nOptimization benchmark: quadratic domain, one shared seeded target, ${RUNS} seeded runs each; rounds = optimize jobs per node (median, p10–p90).`);
  console.log("The reference's numbers are single unseeded runs with each node on its own random target: not reproducible as published.");
  for (const line of table) console.log(`  ${line}`);
  console.log("");
  return results;
}
