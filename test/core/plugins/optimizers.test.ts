import { describe, expect, it } from "vitest";
import type { JsonValue } from "../../../core/types.ts";
import { Cmaes, strategyParameters, symmetricEigen } from "../../../plugins/quadratic/cmaes.ts";
import quadratic, { createRng, decodeParams, deriveSeed, encodeParams, performance, RandomStep, targetOf } from "../../../plugins/quadratic/index.ts";
import type { ChampionView, OptimizationPlugin, OptimizeOutput } from "../../../plugins/sdk.ts";
import vectorsJson from "../../vectors/quadratic.json";

const target = targetOf({});
const f = (x: readonly number[]) => performance(x, target);

function make(name: string, config: JsonValue = {}): OptimizationPlugin {
  const factory = quadratic.optimizers[name];
  if (factory === undefined) throw new Error(`no optimizer ${name}`);
  return factory(config);
}

/** Rounds of one island on its own (its best goes back in as `local`, as the runner does). */
async function solo(name: string, seed: number, rounds: number, config: JsonValue = {}, budget = 1_000_000): Promise<OptimizeOutput[]> {
  const o = make(name, config);
  const outs: OptimizeOutput[] = [];
  let local: ChampionView | null = null;
  for (let r = 1; r <= rounds; r++) {
    const out = await o.optimize({ champion: null, local, seed: deriveSeed(seed, r), budget, config });
    outs.push(out);
    if (local === null || out.performance > local.performance) local = { params: out.params, performance: out.performance };
  }
  return outs;
}

describe("random_step (the reference's hill climber)", () => {
  it("is deterministic for its seeds, spends one evaluation per round, never gets worse, and improves", async () => {
    const a = await solo("random_step", 3, 200);
    expect(await solo("random_step", 3, 200)).toEqual(a);
    expect(await solo("random_step", 4, 200)).not.toEqual(a);
    expect(a.every((o) => o.evaluations === 1)).toBe(true);
    for (let i = 1; i < a.length; i++) expect((a[i] as OptimizeOutput).performance).toBeGreaterThanOrEqual((a[i - 1] as OptimizeOutput).performance);
    expect((a[199] as OptimizeOutput).performance).toBeGreaterThan((a[0] as OptimizeOutput).performance + 100);
  });

  it("claims exactly the performance of the parameters it returns", async () => {
    for (const o of await solo("random_step", 9, 30)) expect(o.performance).toBe(performance(decodeParams(o.params), target));
  });

  it("starts at U(−10, 10)¹⁰ + N(0, 0.5²) and then steps N(0, step_size²) from the current best", () => {
    // The first round from nothing: one candidate around a uniform start.
    const x0: number[] = [];
    const steps: number[] = [];
    for (let s = 0; s < 400; s++) {
      const rs = new RandomStep(f);
      const r = rs.round(createRng(s), null);
      x0.push(...r.best.x);
      // From a fixed point, the candidate's offset is N(0, 0.5²) per coordinate (seen through an objective that records it).
      const seen: number[][] = [];
      const probe = new RandomStep((x) => (seen.push([...x]), -1e9), 0.5);
      probe.round(createRng(s + 10_000), { x: target, f: 0 });
      steps.push(...(seen[0] as number[]).map((v, i) => v - (target[i] as number)));
    }
    expect(Math.min(...x0)).toBeGreaterThan(-12);
    expect(Math.max(...x0)).toBeLessThan(12);
    const sd = Math.sqrt(steps.reduce((a, b) => a + b * b, 0) / steps.length);
    expect(Math.abs(sd - 0.5)).toBeLessThan(0.02);
  });

  it("adopts a better champion and keeps its own best otherwise; a worse candidate returns the current best", async () => {
    const o = make("random_step");
    const champion = { params: encodeParams(target), performance: 0 };
    const out = await o.optimize({ champion, local: null, seed: 1, budget: 1, config: {} });
    expect(out).toEqual({ params: champion.params, performance: 0, evaluations: 1 });
    // A worse champion afterwards is ignored: the island's best (the optimum) stays.
    const worse = { params: encodeParams(target.map((t) => t + 3)), performance: -90 };
    expect((await o.optimize({ champion: worse, local: null, seed: 2, budget: 1, config: {} })).performance).toBe(0);
  });

  it("takes step_size from its config", async () => {
    const near = { params: encodeParams(target.map((t) => t + 0.01)), performance: f(target.map((t) => t + 0.01)) };
    const tiny = make("random_step", { step_size: 1e-4 });
    const big = make("random_step", { step_size: 5 });
    let tinyBest = near.performance;
    let bigBest = near.performance;
    for (let s = 0; s < 50; s++) {
      tinyBest = (await tiny.optimize({ champion: near, local: null, seed: s, budget: 1, config: {} })).performance;
      bigBest = (await big.optimize({ champion: near, local: null, seed: s, budget: 1, config: {} })).performance;
    }
    expect(tinyBest).toBeGreaterThan(near.performance); // small steps improve near the optimum
    expect(bigBest).toBe(near.performance); // steps of 5 never do
    expect(() => make("random_step", { step_size: -1 })).toThrow(TypeError);
  });
});

describe("cmaes (CMA-ES with IPOP restarts)", () => {
  it("has the default strategy parameters of the tutorial's Table 1 (vectors from the Python generator)", () => {
    const cases = (vectorsJson.vectors as { kind: string; cases: Record<string, unknown>[] }[]).find((v) => v.kind === "cmaesStrategy")?.cases ?? [];
    expect(cases.length).toBeGreaterThan(0);
    for (const c of cases) {
      const p = strategyParameters(c["n"] as number, c["lambda"] as number);
      expect(p.mu).toBe(c["mu"]);
      for (const k of ["mueff", "mueffMinus", "c1", "cmu", "cs", "ds", "cc", "chiN"] as const) expect(p[k]).toBeCloseTo(c[k] as number, 12);
      p.weights.forEach((w, i) => expect(w).toBeCloseTo((c["weights"] as number[])[i] as number, 12));
    }
    const d = strategyParameters(10);
    expect(d.lambda).toBe(10);
    expect(d.mu).toBe(5);
    expect(d.weights.slice(0, 5).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12); // positive weights sum to 1
    expect(d.weights.slice(5).every((w) => w < 0)).toBe(true); // active CMA: negative weights for the worse half
  });

  it("is deterministic for its seeds and spends λ = 10 evaluations per round (one generation)", async () => {
    const a = await solo("cmaes", 11, 30);
    expect(await solo("cmaes", 11, 30)).toEqual(a);
    expect(await solo("cmaes", 12, 30)).not.toEqual(a);
    expect(a.every((o) => o.evaluations === 10)).toBe(true);
    for (const o of a) expect(o.performance).toBe(performance(decodeParams(o.params), target));
  });

  it("converges to −1 or better on the 10-d quadratic within 60 generations from a random start (20 seeds)", async () => {
    const gens: number[] = [];
    for (let seed = 1; seed <= 20; seed++) {
      const outs = await solo("cmaes", seed, 60);
      const g = outs.findIndex((o) => o.performance >= -1);
      expect(g, `seed ${seed}`).toBeGreaterThanOrEqual(0);
      gens.push(g + 1);
    }
    gens.sort((a, b) => a - b);
    expect(gens[10]).toBeLessThanOrEqual(45); // median (100 seeds: 37)
  });

  it("keeps converging far past the chain's ε: to −1e-6 within 170 generations", async () => {
    const outs = await solo("cmaes", 5, 170);
    expect((outs[169] as OptimizeOutput).performance).toBeGreaterThan(-1e-6);
  });

  it("moves its mean to a better champion from the network (island migration), not to a worse one", () => {
    const es = new Cmaes();
    const rng = createRng(1);
    es.round(f, rng, null);
    const far = [...es.currentMean];
    const champion = { x: target.map((t) => t + 0.1), f: f(target.map((t) => t + 0.1)) };
    es.round(f, rng, champion);
    // After the generation from the champion, the mean is near it (one σ-step away), not near the old mean.
    const dist = (a: readonly number[], b: readonly number[]) => Math.hypot(...a.map((v, i) => v - (b[i] as number)));
    expect(dist(es.currentMean, champion.x)).toBeLessThan(dist(far, champion.x));
    expect((es.best as { f: number }).f).toBeGreaterThanOrEqual(champion.f);
    const before = [...es.currentMean];
    es.round(f, rng, { x: far, f: -1e9 }); // worse: ignored
    expect(dist(es.currentMean, before)).toBeLessThan(dist(es.currentMean, far));
  });

  it("spreads a generation over several rounds when the budget is smaller than λ", async () => {
    const o = make("cmaes");
    const evals: number[] = [];
    for (let r = 0; r < 6; r++) evals.push((await o.optimize({ champion: null, local: null, seed: r, budget: 4, config: {} })).evaluations);
    expect(evals).toEqual([4, 4, 2, 4, 4, 2]);
  });

  it("restarts with a doubled population (IPOP) when a run stops", () => {
    // A flat objective: the function values are all equal, so TolFun / EqualFunValues stop each run.
    const es = new Cmaes({ sigma0: 1 });
    const rng = createRng(2);
    const lambdas = new Set<number>();
    for (let g = 0; g < 200 && es.restarts < 3; g++) {
      es.round(() => 0, rng, null);
      lambdas.add(es.lambda);
    }
    expect(es.restarts).toBe(3);
    expect([...lambdas]).toEqual([10, 20, 40, 80].slice(0, lambdas.size));
    expect(es.lambda).toBe(80);
    expect(["TolFun", "EqualFunValues"]).toContain(es.stopReason);
  });

  it("reads sigma0, popsize and restartFrom from its config and rejects bad values", async () => {
    const o = make("cmaes", { popsize: 16, sigma0: 1 });
    expect((await o.optimize({ champion: null, local: null, seed: 1, budget: 100, config: {} })).evaluations).toBe(16);
    expect(() => make("cmaes", { popsize: 1 })).toThrow(TypeError);
    expect(() => make("cmaes", { sigma0: 0 })).toThrow(TypeError);
    expect(() => make("cmaes", { restartFrom: "nowhere" })).toThrow(TypeError);
    expect(() => make("cmaes", [] as unknown as JsonValue)).toThrow(TypeError);
  });

  it("the Jacobi eigensolver reconstructs symmetric matrices with orthonormal eigenvectors", () => {
    const rng = createRng(4);
    for (const n of [1, 3, 10]) {
      const m = Array.from({ length: n }, () => Array.from({ length: n }, () => rng.normal()));
      const a = m.map((row, i) => row.map((_, j) => m.reduce((acc, r) => acc + (r[i] as number) * (r[j] as number), 0))); // MᵀM: symmetric PSD
      const { values, vectors } = symmetricEigen(a);
      for (let i = 0; i < n; i++) {
        for (let j = 0; j < n; j++) {
          let s = 0;
          let o = 0;
          for (let k = 0; k < n; k++) {
            s += (vectors[i]?.[k] as number) * (values[k] as number) * (vectors[j]?.[k] as number);
            o += (vectors[k]?.[i] as number) * (vectors[k]?.[j] as number);
          }
          expect(s).toBeCloseTo(a[i]?.[j] as number, 9);
          expect(o).toBeCloseTo(i === j ? 1 : 0, 12);
        }
      }
      expect(values.every((v) => v > -1e-9)).toBe(true);
    }
  });
});
