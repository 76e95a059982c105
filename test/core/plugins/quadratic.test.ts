import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { QUADRATIC_DOMAIN } from "../../../core/params.ts";
import quadratic, {
  createQuadraticDomain,
  createRng,
  decodeParams,
  DEFAULT_CONFIG,
  DEFAULT_TARGET_SEED,
  deriveSeed,
  EASY_TARGET,
  encodeParams,
  HARD_TARGET,
  N_PARAMS,
  performance,
  quantize,
  syntheticData,
  targetOf,
} from "../../../plugins/quadratic/index.ts";
import { toFixed } from "../../../plugins/sdk.ts";
import vectorsJson from "../../vectors/quadratic.json";

type Case = Record<string, unknown>;
const vectors = vectorsJson.vectors as { kind: string; cases: Case[] }[];
const casesOf = (kind: string): Case[] => {
  const v = vectors.find((x) => x.kind === kind);
  if (v === undefined) throw new Error(`no ${kind} vectors`);
  return v.cases;
};
/** libm (Python) and V8's fdlibm port may differ in the last bits of log/sin/cos. */
const close = (a: readonly number[], b: readonly number[], rel = 1e-12) => {
  expect(a.length).toBe(b.length);
  a.forEach((v, i) => expect(Math.abs(v - (b[i] as number))).toBeLessThanOrEqual(rel * Math.max(1, Math.abs(b[i] as number))));
};

describe("seeded generator (xoshiro128** seeded by SplitMix64) against the Python vectors", () => {
  it.each(casesOf("rng"))("seed $seed: raw outputs, doubles and normals", (c) => {
    const seed = c["seed"] as number;
    let r = createRng(seed);
    expect(Array.from({ length: 6 }, () => r.nextUint32())).toEqual(c["uint32"]);
    r = createRng(seed);
    expect(Array.from({ length: 4 }, () => r.next())).toEqual(c["doubles"]);
    r = createRng(seed);
    close(Array.from({ length: 5 }, () => r.normal()), c["normals"] as number[]);
  });

  it.each(casesOf("deriveSeed"))("deriveSeed($parts)", (c) => {
    expect(deriveSeed(...(c["parts"] as number[]))).toBe(c["seed"]);
  });

  it("uniform doubles stay in [0, 1) and seeds are taken modulo 2³²", () => {
    const r = createRng(3);
    for (let i = 0; i < 10_000; i++) {
      const u = r.next();
      expect(u >= 0 && u < 1).toBe(true);
    }
    expect(createRng(2 ** 32 + 5).next()).toBe(createRng(5).next());
    expect(() => createRng(Number.NaN)).toThrow(RangeError);
  });
});

describe("quadratic domain: values computed by test/vectors/gen/gen_quadratic.py", () => {
  it.each(casesOf("target"))("target of targetSeed $targetSeed", (c) => {
    const t = targetOf({ targetSeed: c["targetSeed"] as number });
    expect(t).toEqual(c["target"]); // uniforms only: exact
    expect(t.every((v) => v >= -5 && v < 5)).toBe(true);
  });

  it("the default target is the one of DEFAULT_TARGET_SEED; a configured target wins", () => {
    expect(targetOf({})).toEqual(targetOf({ targetSeed: DEFAULT_TARGET_SEED }));
    expect(targetOf(DEFAULT_CONFIG)).toEqual(targetOf({}));
    const t = Array.from({ length: 10 }, (_, i) => i);
    expect(targetOf({ target: t, targetSeed: 1 })).toEqual(t);
    expect(() => targetOf({ target: [1, 2] })).toThrow(TypeError);
  });

  it.each(casesOf("synthetic"))("synthetic data for seed $seed", async (c) => {
    const config = c["config"] as Record<string, number[] | number>;
    const d = syntheticData(c["seed"] as number, config);
    close(d.target, c["target"] as number[]);
    const g = (await quadratic.synthetic.generate(c["seed"] as number, config)) as { target: number[]; synthetic: boolean; noise_std: number };
    expect(g).toEqual({ target: d.target, synthetic: true, noise_std: (config["noise_std"] as number | undefined) ?? 0.1 });
  });

  it.each(casesOf("performance"))("neg_mse = −Σ(x − t)²: $neg_mse", (c) => {
    const got = performance(c["x"] as number[], c["target"] as number[]);
    expect(Math.abs(got - (c["neg_mse"] as number))).toBeLessThanOrEqual(1e-12 * Math.max(1, Math.abs(c["neg_mse"] as number)));
  });

  it("encodes parameters as fixed-point integers (× 10⁶, half away from zero) as the vectors say", () => {
    const c = casesOf("encode")[0] as { x: number[]; params: { x: number[] } };
    expect(encodeParams(c.x)).toEqual(c.params);
    expect(decodeParams(c.params)).toEqual(c.params.x.map((v) => v / 1e6));
    // never −0 on the wire
    expect(Object.is((encodeParams([-4e-7, 0, 0, 0, 0, 0, 0, 0, 0, 0]) as { x: number[] }).x[0], 0)).toBe(true);
  });

  it.each(casesOf("evaluate"))("evaluate(params, synthetic data of seed $dataSeed)", async (c) => {
    const data = await quadratic.synthetic.generate(c["dataSeed"] as number, {});
    const v = await quadratic.inference.evaluate(c["params"] as { x: number[] }, data);
    expect(Math.abs(v - (c["value"] as number))).toBeLessThanOrEqual(1e-9);
  });
});

describe("quadratic domain: behaviour", () => {
  const target = targetOf({});

  it("is the domain core/params.ts configures: id, higher is better", () => {
    expect(quadratic.meta.id).toBe(QUADRATIC_DOMAIN.id);
    expect(quadratic.meta.higherIsBetter).toBe(QUADRATIC_DOMAIN.higherIsBetter);
    expect(quadratic.meta.metric).toBe("neg_mse");
    expect(Object.keys(quadratic.optimizers)).toEqual(["cmaes", "random_step", "bobyqa"]); // the first is the default
    expect(EASY_TARGET).toBe(-100);
    expect(HARD_TARGET).toBe(-50);
  });

  it("params round-trip through the wire for any point (fast-check), and the wire rejects anything else", () => {
    const coord = fc.double({ min: -1e6, max: 1e6, noNaN: true });
    fc.assert(
      fc.property(fc.array(coord, { minLength: N_PARAMS, maxLength: N_PARAMS }), (x) => {
        const p = encodeParams(x);
        const back = decodeParams(p);
        expect(back).toEqual(quantize(x));
        expect(encodeParams(back)).toEqual(p); // a fixed point of the round trip
        back.forEach((v, i) => expect(Math.abs(v - (x[i] as number))).toBeLessThanOrEqual(5e-7 + 1e-9 * Math.abs(x[i] as number)));
      }),
    );
    const ints = fc.array(fc.integer({ min: -1e12, max: 1e12 }), { minLength: N_PARAMS, maxLength: N_PARAMS });
    fc.assert(
      fc.property(ints, (x) => {
        expect(encodeParams(decodeParams({ x }))).toEqual({ x });
      }),
    );
    for (const bad of [null, 3, [1], { x: [0.5, 0, 0, 0, 0, 0, 0, 0, 0, 0] }, { x: [1, 2] }, { x: Array(10).fill(0), y: 1 }, { x: Array(10).fill("1") }]) {
      expect(() => decodeParams(bad as never)).toThrow(TypeError);
    }
    expect(() => encodeParams([1, 2])).toThrow(RangeError);
    expect(() => encodeParams([Number.NaN, 0, 0, 0, 0, 0, 0, 0, 0, 0])).toThrow(RangeError);
  });

  it("synthetic data is deterministic per seed, differs between seeds, and is the target plus N(0, 0.1²)", async () => {
    const a = await quadratic.synthetic.generate(7, {});
    expect(await quadratic.synthetic.generate(7, {})).toEqual(a);
    expect(await quadratic.synthetic.generate(8, {})).not.toEqual(a);
    // Over many seeds the noise has mean ≈ 0 and standard deviation ≈ 0.1.
    const noise: number[] = [];
    for (let s = 0; s < 500; s++) syntheticData(s).target.forEach((v, i) => noise.push(v - (target[i] as number)));
    const mean = noise.reduce((x, y) => x + y, 0) / noise.length;
    const sd = Math.sqrt(noise.reduce((x, y) => x + (y - mean) ** 2, 0) / noise.length);
    expect(Math.abs(mean)).toBeLessThan(0.01);
    expect(Math.abs(sd - 0.1)).toBeLessThan(0.005);
  });

  it("evaluate scores −Σ(x − data.target)², the domain's own target with no data; an honest claim verifies within the domain's tolerance", async () => {
    const x = target.map((t, i) => t + (i === 0 ? 2 : 0));
    const params = encodeParams(x);
    const exact = performance(decodeParams(params), target);
    expect(exact).toBeCloseTo(-4, 5); // the target is not on the wire's 10⁻⁶ grid
    expect(await quadratic.inference.evaluate(params, null)).toBe(exact);
    expect(await quadratic.inference.evaluate(params, { target })).toBe(exact);
    // The evaluator's noisy data costs ≈ n·σ² = 0.1 on average: far inside the absolute tolerance (2.0).
    const tolerance = Number(QUADRATIC_DOMAIN.toleranceAbs) / 1e6;
    for (let s = 0; s < 20; s++) {
      const v = await quadratic.inference.evaluate(params, await quadratic.synthetic.generate(s, {}));
      expect(Math.abs(v - exact)).toBeLessThan(tolerance);
    }
    await expect(quadratic.inference.evaluate({ x: [1] }, null)).rejects.toThrow(TypeError);
    await expect(quadratic.inference.evaluate(params, { target: [1, 2] })).rejects.toThrow(TypeError);
    // What the protocol sees of a performance: Fixed micro-units.
    expect(toFixed(exact)).toBe(BigInt(Math.round(exact * 1e6)));
  });

  it("infer returns the loss against input.target, else the parameters; no model is an error", async () => {
    const x = target.map((t) => t + 1);
    const params = encodeParams(x);
    const out = (await quadratic.inference.infer(params, { target })) as { loss: number; neg_mse: number };
    expect(out.loss).toBeCloseTo(10, 5);
    expect(out.neg_mse).toBe(-out.loss);
    expect(await quadratic.inference.infer(params, null)).toEqual({ x: decodeParams(params) });
    expect(await quadratic.inference.infer(params, { other: 1 })).toEqual({ x: decodeParams(params) });
    await expect(quadratic.inference.infer(null, null)).rejects.toThrow(/no model/);
  });

  it("createQuadraticDomain takes another target; optimizer and synthetic configs merge over it", async () => {
    const t = Array.from({ length: 10 }, (_, i) => i - 4.5);
    const d = createQuadraticDomain({ target: t });
    expect(await d.inference.evaluate(encodeParams(t), null)).toBe(0);
    const data = (await d.synthetic.generate(1, {})) as { target: number[] };
    data.target.forEach((v, i) => expect(Math.abs(v - (t[i] as number))).toBeLessThan(0.5));
    const noisy = (await d.synthetic.generate(1, { noise_std: 0 })) as { target: number[] };
    expect(noisy.target).toEqual(t);
    const out = await d.optimizers["random_step"]?.({}).optimize({ champion: { params: encodeParams(t), performance: 0 }, local: null, seed: 1, budget: 1, config: {} });
    expect(out?.performance).toBe(0); // nothing beats the optimum: the champion comes back
    expect(() => createQuadraticDomain({ target: [1] })).toThrow(TypeError);
  });
});
