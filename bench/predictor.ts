/**
 * The predictor benchmark (`npm run bench -- predictor`):
 *
 * 1. Models trained per second: TypeScript (one after another, the CPU
 *    path of a runner without Python), the Python worker on the CPU (numpy,
 *    and PyTorch where /usr/bin/python3 has it) batched (one train_batch of
 *    the whole population) and one at a time (a call per model), and CUDA
 *    when the worker finds one (populations of 8 and 256). One population:
 *    8 models of mixed shapes, the domain's training settings (4,000
 *    values, 4 epochs, batch 32).
 * 2. The search: models trained (evaluations), rounds and wall time for the
 *    champion to reach 80 % and 90 % of the Bayes-optimal skill (the
 *    domain's optimum 0.314810), with 1, 2 and 4 islands (in-process, as
 *    bench/optimization.ts does: plugins/islands.ts, every island migrating
 *    from the champion each round, ε = 0.01), for cmaes and bobyqa, and
 *    random_step on one node; RUNS seeded runs each, median and p10–p90,
 *    capped at CAP models per island; and the champion's fraction of the
 *    optimum after 64 models on one node. Rounds are wall-clock time on a
 *    network (its islands train at once); the milliseconds are this
 *    process's compute, islands one after another. A champion's skill is its claim:
 *    measured on a series no choice has seen, so unbiased, with the noise of
 *    one evaluator's score (σ ≈ 0.0065). Smaller training than the domain's
 *    (2,000 values, 3 epochs, validation 3,000) keeps the suite near 26
 *    minutes on two shared cores.
 *
 * Floors: 4 islands reach 80 % in fewer rounds than 1 (cmaes); bobyqa needs
 * fewer models than cmaes to reach 80 % on one node.
 */
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { JsonValue } from "../core/types.ts";
import { WorkerProcess } from "../gpu-runner/worker-process.ts";
import { simulateIslands } from "../plugins/islands.ts";
import predictor from "../plugins/predictor/index.ts";
import { FIXED } from "../plugins/predictor/model.ts";
import { hyperOf } from "../plugins/predictor/search.ts";
import { DEFAULT_SERIES, generateSeries } from "../plugins/predictor/series.ts";
import { DEFAULT_TRAIN, trainMlp } from "../plugins/predictor/train.ts";
import { createRng } from "../plugins/rng.ts";
import { finite, quantiles, show, spread, type Quantiles } from "./optimization.ts";
import type { BenchResult } from "./run.ts";

const OPTIMUM = 0.31481;
const ROOT = fileURLToPath(new URL("..", import.meta.url));
const SEARCH_CONFIG = { trainLength: 2_000, epochs: 3, validationLength: 3_000 };

export interface PredictorBenchOptions {
  /** seeded runs per (optimizer, islands) (default 20) */
  readonly runs?: number;
  /** models trained per island at most (default 96) */
  readonly cap?: number;
}

/** A population of 8 of mixed shapes (the same every run), as the worker's candidates. */
function population(size: number): { window: number; hidden: number; learningRateLog10: number; weightDecayLog10: number; seed: number }[] {
  const rng = createRng(2026);
  return Array.from({ length: size }, (_, k) => {
    const h = hyperOf([rng.next() * 0.6, 0.2 + rng.next() * 0.6, 0.5 + rng.next() * 0.2, rng.next() * 0.6]);
    return { window: h.window, hidden: h.hidden, learningRateLog10: Math.round(h.learningRateLog10 * FIXED), weightDecayLog10: Math.round(h.weightDecayLog10 * FIXED), seed: 1000 + k };
  });
}

function hasTorch(python: string): boolean {
  try {
    execFileSync(python, ["-c", "import torch, numpy"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

async function throughput(results: BenchResult[], lines: string[]): Promise<void> {
  const pop = population(8);
  // TypeScript, one after another
  const train = generateSeries(5, DEFAULT_SERIES.trainLength).values;
  let t0 = performance.now();
  for (const c of pop) trainMlp(train, { window: c.window, hidden: c.hidden, learningRateLog10: c.learningRateLog10 / FIXED, weightDecayLog10: c.weightDecayLog10 / FIXED }, c.seed, DEFAULT_TRAIN);
  const ts = pop.length / ((performance.now() - t0) / 1000);
  results.push({
    name: "predictor.models_per_second.typescript",
    value: ts,
    unit: "models/s",
    note: `8 models of mixed shapes, one after another (${DEFAULT_SERIES.trainLength} values, ${DEFAULT_TRAIN.epochs} epochs)`,
  });
  lines.push(`TypeScript (CPU, one at a time)   ${ts.toFixed(2)} models/s`);

  const workers: { name: string; command: string; backend: string }[] = [{ name: "numpy", command: "python3", backend: "numpy" }];
  if (hasTorch("/usr/bin/python3")) workers.push({ name: "torch_cpu", command: "/usr/bin/python3", backend: "torch-cpu" });
  workers.push({ name: "default", command: "python3", backend: "" });
  for (const w of workers) {
    const worker = new WorkerProcess({
      command: [w.command, "gpu-runner/python/doin_worker.py"],
      cwd: ROOT,
      env: { ...process.env, DOIN_WORKER_BACKEND: w.backend },
      requestTimeoutMs: 600_000,
      log: () => undefined,
    });
    try {
      const hello = await worker.start();
      const name = w.name === "default" ? (hello.device === "cuda" ? "cuda" : null) : w.name;
      if (name === null) continue; // the default backend is measured above unless it is CUDA
      const call = async (cands: JsonValue[]) => {
        const started = performance.now();
        await worker.request("train_batch", { domain: "predictor", trainSeed: 5, validationSeed: 6, validationLength: 2_000, candidates: cands });
        return (performance.now() - started) / 1000;
      };
      await call(pop.slice(0, 1) as unknown as JsonValue[]); // warm-up (imports, CUDA context)
      const batched = pop.length / (await call(pop as unknown as JsonValue[]));
      let single = 0;
      for (const c of pop) single += await call([c] as unknown as JsonValue[]);
      const oneByOne = pop.length / single;
      results.push(
        {
          name: `predictor.models_per_second.${name}.batched`,
          value: batched,
          unit: "models/s",
          note: `the 8 in one train_batch (${hello.backend} on ${hello.device}${hello.gpu ? `, ${hello.gpu}` : ""})`,
        },
        { name: `predictor.models_per_second.${name}.one_at_a_time`, value: oneByOne, unit: "models/s", note: "the same 8, one train_batch each" },
      );
      lines.push(`${name.padEnd(33)} ${batched.toFixed(2)} models/s batched, ${oneByOne.toFixed(2)} one at a time`);
      if (name === "cuda") {
        const big = population(256);
        const wide = big.length / (await call(big as unknown as JsonValue[]));
        results.push({ name: "predictor.models_per_second.cuda.batched_256", value: wide, unit: "models/s", note: "a population of 256 in one train_batch" });
        lines.push(`cuda, a population of 256          ${wide.toFixed(2)} models/s`);
      }
    } catch (e) {
      lines.push(`${w.name}: not measured (${e instanceof Error ? e.message : String(e)})`);
    } finally {
      await worker.close();
    }
  }
  if (!results.some((r) => r.name.includes(".cuda."))) lines.push("cuda: no GPU on this machine (test/runner/device/predictor_gpu_check.py measures it where there is one)");
}

interface SearchRow {
  readonly optimizer: string;
  readonly nodes: number;
  readonly reach80: Quantiles;
  readonly reach90: Quantiles;
  readonly rounds80: Quantiles;
  readonly rounds90: Quantiles;
  readonly ms80: Quantiles;
  readonly ms90: Quantiles;
}

async function search(opts: Required<PredictorBenchOptions>, results: BenchResult[], lines: string[]): Promise<SearchRow[]> {
  const rows: SearchRow[] = [];
  const plan: [string, number][] = [
    ["cmaes", 1],
    ["cmaes", 2],
    ["cmaes", 4],
    ["bobyqa", 1],
    ["bobyqa", 2],
    ["bobyqa", 4],
    ["random_step", 1],
  ];
  for (const [optimizer, nodes] of plan) {
    const perRound = optimizer === "cmaes" ? 8 : 1;
    const e80: (number | null)[] = [];
    const e90: (number | null)[] = [];
    const r80: (number | null)[] = [];
    const r90: (number | null)[] = [];
    const m80: (number | null)[] = [];
    const m90: (number | null)[] = [];
    for (let seed = 1; seed <= opts.runs; seed++) {
      const r = await simulateIslands({
        plugin: predictor,
        optimizer,
        optimizerConfig: SEARCH_CONFIG,
        nodes,
        seed,
        epsilon: 0.01,
        thresholds: [0.8 * OPTIMUM, 0.9 * OPTIMUM],
        maxRounds: Math.ceil(opts.cap / perRound),
      });
      const [a, b] = r.reached;
      e80.push(a?.evaluations ?? null);
      e90.push(b?.evaluations ?? null);
      r80.push(a?.round ?? null);
      r90.push(b?.round ?? null);
      m80.push(a?.ms ?? null);
      m90.push(b?.ms ?? null);
    }
    const row = { optimizer, nodes, reach80: quantiles(e80), reach90: quantiles(e90), rounds80: quantiles(r80), rounds90: quantiles(r90), ms80: quantiles(m80), ms90: quantiles(m90) };
    rows.push(row);
    const cap = opts.cap * nodes;
    const censored = (q: Quantiles) => (q.failed > 0 ? `; ${q.failed} of ${opts.runs} runs did not reach it in ${opts.cap} models per island` : "");
    const key = `${optimizer}.${nodes}`;
    results.push(
      {
        name: `predictor.evaluations_to_80pct.${key}`,
        value: finite(row.reach80.median, cap),
        unit: "models",
        note: `models trained, all islands; p10–p90 ${spread(row.reach80)}; ${opts.runs} seeded runs${censored(row.reach80)}`,
      },
      { name: `predictor.evaluations_to_90pct.${key}`, value: finite(row.reach90.median, cap), unit: "models", note: `p10–p90 ${spread(row.reach90)}${censored(row.reach90)}` },
      {
        name: `predictor.rounds_to_80pct.${key}`,
        value: finite(row.rounds80.median, Math.ceil(opts.cap / perRound)),
        unit: "rounds",
        note: `wall-clock rounds (islands train at once); p10–p90 ${spread(row.rounds80)}${censored(row.rounds80)}`,
      },
      {
        name: `predictor.rounds_to_90pct.${key}`,
        value: finite(row.rounds90.median, Math.ceil(opts.cap / perRound)),
        unit: "rounds",
        note: `p10–p90 ${spread(row.rounds90)}${censored(row.rounds90)}`,
      },
      {
        name: `predictor.ms_to_80pct.${key}`,
        value: finite(row.ms80.median, Number.MAX_SAFE_INTEGER - 1),
        unit: "ms",
        note: "in-process compute time, the islands one after another (TypeScript training)",
      },
      { name: `predictor.ms_to_90pct.${key}`, value: finite(row.ms90.median, Number.MAX_SAFE_INTEGER - 1), unit: "ms", note: `in-process compute time${censored(row.ms90)}` },
    );
    lines.push(
      `${optimizer.padEnd(12)} ${String(nodes).padStart(5)}  ${`${show(row.reach80.median, 1)} (${spread(row.reach80)})`.padEnd(20)} ${`${show(row.rounds80.median, 1)} (${spread(row.rounds80)})`.padEnd(16)} ${`${show(row.reach90.median, 1)} (${spread(row.reach90)})`.padEnd(20)} ${`${show(row.rounds90.median, 1)} (${spread(row.rounds90)})`.padEnd(16)} ${show(row.ms80.median / 1000, 1).padStart(7)} s`,
    );
  }
  return rows;
}

async function fractionAfter(models: number, opts: Required<PredictorBenchOptions>, results: BenchResult[], lines: string[]): Promise<void> {
  for (const optimizer of ["cmaes", "bobyqa", "random_step"]) {
    const fractions: number[] = [];
    for (let seed = 1; seed <= opts.runs; seed++) {
      // a threshold never reached: the run goes on until its budget is spent
      const r = await simulateIslands({
        plugin: predictor,
        optimizer,
        optimizerConfig: SEARCH_CONFIG,
        nodes: 1,
        seed,
        epsilon: 0.01,
        thresholds: [10],
        maxRounds: optimizer === "cmaes" ? models / 8 : models,
      });
      fractions.push((r.champion?.performance ?? 0) / OPTIMUM);
    }
    const q = quantiles(fractions);
    results.push({
      name: `predictor.fraction_of_optimum_after_${models}_models.${optimizer}`,
      value: q.median,
      unit: "×optimum",
      note: `one island, ${opts.runs} runs; p10–p90 ${q.p10.toFixed(3)}–${q.p90.toFixed(3)}`,
    });
    lines.push(`${optimizer.padEnd(12)} after ${models} models: ${q.median.toFixed(3)} of the optimum (p10–p90 ${q.p10.toFixed(3)}–${q.p90.toFixed(3)})`);
  }
}

export async function predictorBenchmarks(options: PredictorBenchOptions = {}): Promise<BenchResult[]> {
  const opts = { runs: options.runs ?? 20, cap: options.cap ?? 96 };
  const t0 = performance.now();
  const results: BenchResult[] = [];
  const lines: string[] = [];
  await throughput(results, lines);
  lines.push("");
  lines.push(
    `${"optimizer".padEnd(12)} ${"isl.".padStart(5)}  ${"models to 80 %".padEnd(20)} ${"rounds to 80 %".padEnd(16)} ${"models to 90 %".padEnd(20)} ${"rounds to 90 %".padEnd(16)} ${"80 % in".padStart(9)}`,
  );
  const rows = await search(opts, results, lines);
  lines.push("");
  await fractionAfter(64, opts, results, lines);

  const checks: string[] = [];
  const row = (o: string, n: number) => rows.find((r) => r.optimizer === o && r.nodes === n);
  const c1 = row("cmaes", 1);
  const c4 = row("cmaes", 4);
  if (c1 !== undefined && c4 !== undefined)
    checks.push(
      `${c4.rounds80.median < c1.rounds80.median ? "ok  " : "FAIL"} cmaes: 4 islands reach 80 % in ${show(c4.rounds80.median, 1)} rounds, 1 island in ${show(c1.rounds80.median, 1)} (floor: fewer)`,
    );
  const b1 = row("bobyqa", 1);
  if (c1 !== undefined && b1 !== undefined) {
    const ratio = b1.reach80.median / c1.reach80.median;
    results.push({ name: "predictor.evaluations_to_80pct_ratio.bobyqa_to_cmaes.1", value: ratio, unit: "×", note: "median models trained to 80 % of the optimum, one island; floor < 1" });
    checks.push(
      `${ratio < 1 ? "ok  " : "FAIL"} bobyqa needs ${show(b1.reach80.median, 1)} models to reach 80 % on one island, cmaes ${show(c1.reach80.median, 1)}: ratio ${ratio.toFixed(3)} (floor < 1)`,
    );
  }
  console.log(`\nPredictor benchmark: MLP forecasters of the regime-switching series, optimum (Bayes-optimal skill) ${OPTIMUM}.`);
  console.log(
    `Search: ${opts.runs} seeded runs per row, in-process islands, ε = 0.01, training ${SEARCH_CONFIG.trainLength} values × ${SEARCH_CONFIG.epochs} epochs, at most ${opts.cap} models per island.\n`,
  );
  for (const l of lines) console.log(`  ${l}`);
  for (const c of checks) console.log(`  ${c}`);
  console.log(`  (suite: ${((performance.now() - t0) / 1000).toFixed(1)} s)\n`);
  return results;
}
