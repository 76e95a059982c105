import { describe, expect, it } from "vitest";
import { askTellPlugin, BobyqaOptimizer, CmaesOptimizer, createRng, deriveSeed, inBox, RandomStepOptimizer, uniformBox, type AskTellOptimizer, type Box } from "../../../plugins/optimizers/index.ts";

const box4: Box = { lower: [0, -1, 2, -5], upper: [1, 1, 4, 5] };
/** Its maximum (3, 2, 1, 0.5) is outside the box in the first three coordinates: the constrained one is (1, 1, 2, 0.5), value −6. */
const corner = (x: readonly number[]) => -(((x[0] as number) - 3) ** 2) - ((x[1] as number) - 2) ** 2 - ((x[2] as number) - 1) ** 2 - ((x[3] as number) - 0.5) ** 2;
const makers: Record<string, () => AskTellOptimizer> = {
  cmaes: () => new CmaesOptimizer({ box: box4 }),
  random_step: () => new RandomStepOptimizer({ box: box4 }),
  bobyqa: () => new BobyqaOptimizer({ box: box4 }),
};

/** `rounds` ask/tell rounds on a synchronous objective; every point asked, in order. */
function drive(opt: AskTellOptimizer, f: (x: readonly number[]) => number, seed: number, rounds: number, max?: number): number[][] {
  const all: number[][] = [];
  for (let r = 1; r <= rounds; r++) {
    const points = opt.ask(createRng(deriveSeed(seed, r)), max);
    all.push(...points);
    opt.tell(
      points,
      points.map((x) => f(x)),
    );
  }
  return all;
}

describe.each(Object.keys(makers))("ask/tell contract: %s", (name) => {
  const make = makers[name] as () => AskTellOptimizer;

  it("asks 1 … max points inside the box, keeps the best told point, and is deterministic for its seeds", () => {
    const opt = make();
    expect(opt.name).toBe(name);
    expect(opt.dim).toBe(4);
    expect(opt.best()).toBeNull();
    const seen: { x: number[]; f: number }[] = [];
    for (let r = 1; r <= 60; r++) {
      const points = opt.ask(createRng(deriveSeed(1, r)), 3);
      expect(points.length).toBeGreaterThanOrEqual(1);
      expect(points.length).toBeLessThanOrEqual(3);
      for (const x of points) {
        expect(x).toHaveLength(4);
        expect(inBox(x, box4), `${name} asked ${x}`).toBe(true);
      }
      const values = points.map(corner);
      opt.tell(points, values);
      points.forEach((x, k) => seen.push({ x, f: values[k] as number }));
      const top = Math.max(...seen.map((s) => s.f));
      expect(opt.best()?.f).toBe(top);
      expect(seen.some((s) => s.f === top && s.x.every((v, i) => v === opt.best()?.x[i]))).toBe(true);
    }
    const a = drive(make(), corner, 7, 40);
    expect(drive(make(), corner, 7, 40)).toEqual(a);
    expect(drive(make(), corner, 8, 40)).not.toEqual(a);
  });

  it("refuses a tell of other points or of the wrong count, and ranks a failed (NaN) evaluation last", () => {
    const opt = make();
    const points = opt.ask(createRng(1));
    expect(() => opt.tell([points[0]?.map((v) => v + 1) as number[], ...points.slice(1)], points.map(() => 0))).toThrow(RangeError);
    expect(() => opt.tell(points, [])).toThrow(RangeError);
    opt.tell(
      points,
      points.map(() => Number.NaN),
    );
    expect(opt.best()).toBeNull();
    const next = opt.ask(createRng(2));
    opt.tell(
      next,
      next.map(() => -3),
    );
    expect(opt.best()?.f).toBe(-3);
  });

  it("adopts a better point (migration), not a worse one, and then searches from it", () => {
    const opt = make();
    drive(opt, corner, 3, 2);
    const good = { x: [0.99, 0.99, 2.01, 0.5], f: corner([0.99, 0.99, 2.01, 0.5]) };
    expect(opt.adopt(good)).toBe(true);
    expect(opt.best()).toEqual(good);
    expect(opt.adopt({ x: [0, 0, 3, 0], f: corner([0, 0, 3, 0]) })).toBe(false);
    expect(opt.best()).toEqual(good);
    const next = opt.ask(createRng(9));
    // Searching from the adopted point: what it asks next is near it (CMA-ES: within a few σ of its new mean).
    const dist = Math.min(...next.map((x) => Math.hypot(...x.map((v, i) => v - (good.x[i] as number)))));
    expect(dist).toBeLessThan(5);
  });
});

describe("bobyqa (model-based trust region)", () => {
  it("asks its initial design as one batch, then one point at a time", () => {
    const opt = new BobyqaOptimizer({ box: uniformBox(6, -2, 2) });
    expect(opt.npt).toBe(13);
    const design = opt.ask(createRng(1));
    expect(design).toHaveLength(13);
    const f = (x: readonly number[]) => -x.reduce((a, v, i) => a + (v - 0.1 * i) ** 2, 0);
    opt.tell(design, design.map(f));
    for (let r = 0; r < 10; r++) {
      const p = opt.ask(createRng(r));
      expect(p).toHaveLength(1);
      opt.tell(p, p.map(f));
    }
    // A design split by a budget: at most `max` points per ask.
    const small = new BobyqaOptimizer({ box: uniformBox(6, -2, 2) });
    const first = small.ask(createRng(1), 5);
    expect(first).toHaveLength(5);
    small.tell(first, first.map(f));
    expect(small.ask(createRng(2), 100)).toHaveLength(8);
  });

  it("finds the optimum on the box's boundary and stays inside the box", () => {
    for (const seed of [1, 2, 3]) {
      const opt = new BobyqaOptimizer({ box: box4 });
      const asked = drive(opt, corner, seed, 60);
      expect(asked.every((x) => inBox(x, box4))).toBe(true);
      const best = opt.best();
      expect(best?.f).toBeCloseTo(-6, 6);
      best?.x.forEach((v, i) => expect(v).toBeCloseTo([1, 1, 2, 0.5][i] as number, 4));
    }
  });

  it("reaches 10⁻⁸ on a rotated, ill-conditioned quadratic in 10-d, then restarts instead of stopping", () => {
    const n = 10;
    const rng = createRng(5);
    const q = Array.from({ length: n }, () => Array.from({ length: n }, () => rng.normal()));
    const f = (x: readonly number[]) => -q.reduce((acc, row, k) => acc + (1 + k) * row.reduce((a, v, j) => a + v * ((x[j] as number) - 0.3), 0) ** 2, 0);
    const opt = new BobyqaOptimizer({ box: uniformBox(n, -3, 3) });
    drive(opt, f, 11, 600);
    expect(opt.best()?.f).toBeGreaterThan(-1e-8);
    expect(opt.restarts).toBeGreaterThan(0);
  });

  it("under evaluation noise (with its noise setting) ends nearer the true optimum than CMA-ES on the same budget", () => {
    // −‖x − 0.3‖² in 5-d, each evaluation + N(0, 0.05²) (seeded); 150 evaluations from a random start (≈ −40)
    const truth = (x: readonly number[]) => -x.reduce((a, v) => a + (v - 0.3) ** 2, 0);
    const finalTruth = (make: () => AskTellOptimizer, seed: number) => {
      const noise = createRng(seed + 1000);
      const opt = make();
      let evaluations = 0;
      for (let r = 1; evaluations < 150; r++) {
        const points = opt.ask(createRng(deriveSeed(seed, r)));
        evaluations += points.length;
        opt.tell(
          points,
          points.map((x) => truth(x) + 0.05 * noise.normal()),
        );
      }
      return truth(opt.best()?.x as number[]);
    };
    const median = (xs: number[]) => xs.sort((a, b) => a - b)[2] as number;
    const seeds = [1, 2, 3, 4, 5];
    const bobyqa = median(seeds.map((s) => finalTruth(() => new BobyqaOptimizer({ box: uniformBox(5, -5, 5), noise: 0.05 }), s)));
    const cmaes = median(seeds.map((s) => finalTruth(() => new CmaesOptimizer({ box: uniformBox(5, -5, 5) }), s)));
    expect(bobyqa).toBeGreaterThan(-0.05); // within a few noise levels
    expect(bobyqa).toBeGreaterThan(cmaes);
  });

  it("goes on past failed evaluations (NaN): a failed design point ranks last, a failed step shrinks the region", () => {
    const f = (x: readonly number[]) => -x.reduce((a, v) => a + (v - 0.5) ** 2, 0);
    // Fails wherever the first coordinate exceeds 1.2.
    const flaky = (x: readonly number[]) => ((x[0] as number) > 1.2 ? Number.NaN : f(x));
    const opt = new BobyqaOptimizer({ box: uniformBox(3, -2, 2) });
    const asked = drive(opt, flaky, 4, 80);
    expect(asked.some((x) => (x[0] as number) > 1.2)).toBe(true); // it did meet failures
    expect(opt.best()?.f).toBeGreaterThan(-1e-6);
  });

  it("rejects bad options", () => {
    expect(() => new BobyqaOptimizer({ box: uniformBox(3, 0, 1), npt: 4 })).toThrow(RangeError);
    expect(() => new BobyqaOptimizer({ box: uniformBox(3, 0, 1), npt: 8 })).toThrow(RangeError);
    expect(() => new BobyqaOptimizer({ box: uniformBox(3, 0, 1), rhoBeg: 0.5 })).toThrow(RangeError);
    expect(() => new BobyqaOptimizer({ box: { lower: [0, 1], upper: [1, 1] } })).toThrow(RangeError);
    expect(() => new BobyqaOptimizer({ box: uniformBox(3, 0, 1), noise: -1 })).toThrow(RangeError);
  });
});

describe("askTellPlugin", () => {
  it("evaluates a round's batch in one call with the round's seed, minds the metric's direction and the budget", async () => {
    const calls: { n: number; seed: number }[] = [];
    // lower is better: the loss ‖x − 0.25‖²
    const plugin = askTellPlugin({
      domain: "toy",
      name: "cmaes",
      optimizer: new CmaesOptimizer({ box: uniformBox(3, 0, 1) }),
      decode: (p) => (p as { x: number[] }).x.map((v) => v / 1000),
      encode: (x) => ({ x: x.map((v) => Math.round(v * 1000)) }),
      evaluate: async (points, seed) => {
        calls.push({ n: points.length, seed });
        return points.map((x) => x.reduce((a, v) => a + (v - 0.25) ** 2, 0));
      },
      higherIsBetter: false,
    });
    const first = await plugin.optimize({ champion: null, local: null, seed: 42, budget: 1000, config: {} });
    expect(calls).toEqual([{ n: 7, seed: 42 }]); // λ = 4 + ⌊3 ln 3⌋ = 7: one generation, one call
    expect(first.evaluations).toBe(7);
    let best = first.performance;
    for (let r = 1; r <= 40; r++) {
      const out = await plugin.optimize({ champion: null, local: null, seed: r, budget: 3, config: {} });
      expect(out.evaluations).toBeLessThanOrEqual(3);
      expect(out.performance).toBeLessThanOrEqual(best); // a loss: never worse
      best = out.performance;
    }
    expect(best).toBeLessThan(first.performance);
    // A champion with a lower loss is adopted: it comes back when nothing beats it.
    const champion = { params: { x: [250, 250, 250] }, performance: 0 };
    const adopted = await plugin.optimize({ champion, local: null, seed: 99, budget: 1, config: {} });
    expect(adopted.performance).toBe(0);
    expect(adopted.params).toEqual(champion.params);
  });
});
