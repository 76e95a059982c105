import { describe, expect, it } from "vitest";
import { cmaes, symmetricEigen } from "../../../plugins/quadratic/cmaes.ts";
import { decodeParams, DEFAULT_CONFIG, encodeParams, HARD_TARGET, performance, syntheticData, targetOf } from "../../../plugins/quadratic/domain.ts";
import { randomStep } from "../../../plugins/quadratic/random-step.ts";

const target = targetOf(DEFAULT_CONFIG);
const f = (x: readonly number[]) => performance(x, target);

describe("quadratic domain", () => {
  it("scores −Σ(x − t)², higher is better, zero at the target", () => {
    expect(f(target) === 0).toBe(true);
    const x = target.map((t, i) => t + (i === 0 ? 2 : 0));
    expect(f(x)).toBeCloseTo(-4, 12);
    expect(performance([1, 2], [0, 0])).toBe(-5);
    expect(target.every((t) => t >= -5 && t < 5)).toBe(true);
  });

  it("encodes parameters as fixed-point integers and back", () => {
    const x = [1.5, -2.25, 0, 3.000001, -4.999999, 1e-6, 2, 3, 4, 5];
    const p = encodeParams(x);
    expect((p as { x: number[] }).x[0]).toBe(1_500_000);
    expect(decodeParams(p)).toEqual(x);
    expect(() => decodeParams({ x: [0.5] })).toThrow(TypeError);
  });

  it("synthetic data is the target plus small noise, deterministic per seed, different across seeds", () => {
    const a = syntheticData(7, DEFAULT_CONFIG);
    expect(syntheticData(7, DEFAULT_CONFIG)).toEqual(a);
    expect(syntheticData(8, DEFAULT_CONFIG).target).not.toEqual(a.target);
    for (let i = 0; i < target.length; i++) expect(Math.abs((a.target[i] as number) - (target[i] as number))).toBeLessThan(0.5);
  });
});

describe("optimizers", () => {
  it("random_step is deterministic for a seed and never gets worse", () => {
    const run = (seed: number) => {
      const o = randomStep(seed);
      const fs: number[] = [];
      for (let i = 0; i < 50; i++) fs.push(o.round(f, null).f);
      return fs;
    };
    const a = run(3);
    expect(run(3)).toEqual(a);
    for (let i = 1; i < a.length; i++) expect(a[i]).toBeGreaterThanOrEqual(a[i - 1] as number);
    expect(a[49]).toBeGreaterThan(a[0] as number);
  });

  it("CMA-ES reaches −1 on the 10-d quadratic within 60 generations, deterministically", () => {
    const run = (seed: number) => {
      const o = cmaes(seed);
      let best = -Infinity;
      let gens = 0;
      while (best < -1 && gens < 60) {
        best = o.round(f, null).f;
        gens++;
      }
      return { best, gens };
    };
    const a = run(11);
    expect(a.best).toBeGreaterThanOrEqual(-1);
    expect(run(11)).toEqual(a);
    expect(a.best).toBeGreaterThan(HARD_TARGET);
  });

  it("CMA-ES adopts a better champion (island migration)", () => {
    const o = cmaes(5);
    o.round(f, null);
    const r = o.round(f, { x: target, f: 0 });
    expect(r.f === 0).toBe(true);
  });

  it("the Jacobi eigensolver reconstructs a symmetric matrix", () => {
    const a = [
      [4, 1, 0.5],
      [1, 3, 0.2],
      [0.5, 0.2, 2],
    ];
    const { values, vectors } = symmetricEigen(a);
    for (let i = 0; i < 3; i++) {
      for (let j = 0; j < 3; j++) {
        let s = 0;
        for (let k = 0; k < 3; k++) s += (vectors[i]?.[k] as number) * (values[k] as number) * (vectors[j]?.[k] as number);
        expect(s).toBeCloseTo(a[i]?.[j] as number, 9);
      }
    }
  });
});
