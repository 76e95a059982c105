/**
 * The predictor domain (plugins/predictor), loaded as a runner loads it:
 * - the generator's vectors: TypeScript gives Python's bits for the portable
 *   log, the polar normals, the series and the initial weights and shuffles,
 *   and its skills and forecasts to 1e-12 (test/vectors/predictor.json);
 * - the Bayes-optimal forecast beats the naive one, matches the Python
 *   filter, and no trained model beats it beyond noise; the chain rules'
 *   optimum is the vectors' mean Bayes skill;
 * - params: what the plugin encodes decodes to the same model, anything
 *   malformed is refused, and the largest model fits the chain rules;
 * - a round's claim is reproduced by evaluators on their own series within
 *   the domain's tolerance, and a false claim is rejected by the verdict rule.
 */
import { createHash } from "node:crypto";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { parseDomainConfig } from "../../../core/domain-config.ts";
import { findNonInteger } from "../../../core/encoding.ts";
import { aggregateVotes } from "../../../core/quorum.ts";
import type { DomainConfig, JsonValue } from "../../../core/types.ts";
import { bayesForecasts } from "../../../plugins/predictor/bayes.ts";
import { decodeParams, encodeParams, maxParamsJsonBytes, modelSkill, PredictorParamsError, skillOf, weightCount } from "../../../plugins/predictor/model.ts";
import { portableLog, polarNormals } from "../../../plugins/predictor/normals.ts";
import { hyperOf, pointOf, typescriptTrainer, type PopulationTrainer } from "../../../plugins/predictor/search.ts";
import { workerTrainer } from "../../../plugins/predictor/worker-trainer.ts";
import { DEFAULT_SERIES, generateSeries, packF64, unpackF64 } from "../../../plugins/predictor/series.ts";
import { initialWeights, shuffle, trainMlp } from "../../../plugins/predictor/train.ts";
import { loadPlugins, readPluginPackage } from "../../../plugins/registry.ts";
import { createRng, deriveSeed } from "../../../plugins/rng.ts";
import { toFixed, type DomainPlugin } from "../../../plugins/sdk.ts";
import { loadVectors, type JsonObject } from "../helpers/vectors.ts";

const PACKAGE = join(fileURLToPath(new URL("../../../plugins/", import.meta.url)), "predictor");
const vectors = loadVectors("predictor");
const of = (kind: string): JsonObject[] => vectors.filter((v) => v["kind"] === kind);
const fromHex = (hex: string): number => Buffer.from(hex, "hex").readDoubleBE(0);
const hexOf = (x: number): string => {
  const b = Buffer.alloc(8);
  b.writeDoubleBE(x);
  return b.toString("hex");
};

async function predictor(): Promise<DomainPlugin> {
  const plugins = await loadPlugins({ packages: [PACKAGE] });
  return plugins.get("predictor") as DomainPlugin;
}

function chainRules(): DomainConfig {
  const entry = readPluginPackage(PACKAGE)?.entries[0];
  const parsed = parseDomainConfig(entry?.chain);
  if (!parsed.ok) throw new Error(parsed.error.message);
  return parsed.value;
}

const bayesSkill = (values: Float64Array): number => {
  const f = bayesForecasts(values, DEFAULT_SERIES);
  return skillOf(values, (t) => f[t] as number);
};

describe("the predictor's generator: TypeScript = Python (test/vectors/predictor.json)", () => {
  it("portableLog gives Python's bits, within an ulp or two of libm", () => {
    for (const v of of("portableLog")) {
      const x = fromHex(v["x"] as string);
      expect(hexOf(portableLog(x))).toBe(v["ln"]);
      expect(Math.abs(portableLog(x) - Math.log(x))).toBeLessThanOrEqual(4 * Number.EPSILON * Math.max(1, Math.abs(Math.log(x))));
    }
  });

  it("polar normals, the series and an evaluator's whole series are Python's, bit for bit", () => {
    for (const v of of("polarNormals")) {
      const z = polarNormals(createRng(v["seed"] as number));
      expect((v["first"] as string[]).map(() => hexOf(z()))).toEqual(v["first"]);
    }
    for (const v of of("series")) {
      const s = generateSeries(v["seed"] as number, v["length"] as number).values;
      expect(Array.from(s.subarray(0, 40), hexOf)).toEqual(v["first"]);
      expect(hexOf(s[s.length - 1] as number)).toBe(v["last"]);
    }
    for (const v of of("evaluatorSeries")) {
      const packed = packF64(generateSeries(v["seed"] as number, v["length"] as number).values);
      expect(createHash("sha256").update(packed).digest("hex")).toBe(v["sha256OfBase64"]);
    }
  });

  it("a model's skill and forecast are Python's to 1e-12; initial weights and shuffles are Python's bits", () => {
    for (const v of of("model")) {
      const { mlp } = decodeParams(v["params"] as JsonValue);
      const series = generateSeries(v["seriesSeed"] as number, v["seriesLength"] as number).values;
      expect(Math.abs(modelSkill(mlp, series) - (v["skill"] as number))).toBeLessThan(1e-12);
    }
    for (const v of of("initialWeights")) {
      const init = initialWeights(v["window"] as number, v["hidden"] as number, v["seed"] as number);
      expect(Array.from(init.w1, hexOf)).toEqual(v["w1"]);
      expect(Array.from(init.w2, hexOf)).toEqual(v["w2"]);
      const order = Int32Array.from({ length: 60 }, (_, k) => k);
      shuffle(order, init.rng);
      expect(Array.from(order)).toEqual(v["shuffle60"]);
    }
  });
});

describe("the Bayes-optimal forecast", () => {
  it("matches the Python filter, beats the naive forecast, and the chain rules' optimum is the mean over seeds 1..64", () => {
    for (const v of of("bayes")) {
      const s = bayesSkill(generateSeries(v["seed"] as number, v["length"] as number).values);
      expect(Math.abs(s - (v["skill"] as number))).toBeLessThan(1e-5);
      expect(s).toBeGreaterThan(0.25); // the naive forecast's skill is 0
    }
    const [optimum] = of("optimum");
    expect(chainRules().optimum).toBe(toFixed(optimum?.["mean"] as number));
  });

  it("no trained model beats it: a good model trails it on each series (paired on the same data, so no noise between them)", () => {
    const hyper = { window: 4, hidden: 24, learningRateLog10: -2, weightDecayLog10: -4 };
    const mlp = trainMlp(generateSeries(11, DEFAULT_SERIES.trainLength).values, hyper, 1);
    const gaps: number[] = [];
    for (const seed of [101, 102, 103, 104]) {
      const values = generateSeries(seed, DEFAULT_SERIES.evalLength).values;
      const model = modelSkill(mlp, values);
      expect(model).toBeGreaterThan(0.7 * bayesSkill(values)); // it did learn
      gaps.push(bayesSkill(values) - model);
    }
    // on the same series the gap is the model's shortfall, not noise: positive on each
    for (const g of gaps) expect(g).toBeGreaterThan(0);
  });
});

describe("the predictor's params", () => {
  const hyper = { window: 6, hidden: 5, learningRateLog10: -2.25, weightDecayLog10: -4.5 };
  const trained = trainMlp(generateSeries(3, 600).values, hyper, 9, { epochs: 1, batchSize: 32 });
  const params = encodeParams(hyper, trained) as Record<string, JsonValue>;

  it("are integers and one base64 string, and decode to the model they encode", () => {
    expect(findNonInteger(params)).toBeNull();
    expect(params).toMatchObject({ model: "mlp1", window: 6, hidden: 5, learningRateLog10: -2_250_000, weightDecayLog10: -4_500_000 });
    const back = decodeParams(params);
    expect(back.hyper).toEqual(hyper);
    expect(Array.from(back.mlp.w1)).toEqual(Array.from(trained.w1));
    expect(back.mlp.b2).toBe(trained.b2);
    expect(Buffer.from(params["weights"] as string, "base64").length).toBe(4 * weightCount(6, 5));
  });

  it("anything malformed is refused (PredictorParamsError)", () => {
    const weights = params["weights"] as string;
    const raw = Buffer.from(weights, "base64");
    const nan = Buffer.from(raw);
    nan.writeFloatLE(Number.NaN, 8);
    const bad: JsonValue[] = [
      null,
      [],
      { ...params, weights: raw.subarray(4).toString("base64") }, // one float short
      { ...params, weights: Buffer.concat([raw, Buffer.alloc(4)]).toString("base64") }, // one too many
      { ...params, weights: `${weights.slice(0, 8)}\n${weights.slice(8)}` }, // not canonical
      { ...params, weights: weights.replace(/=+$/, "") }, // padding dropped
      { ...params, weights: nan.toString("base64") },
      { ...params, window: 49 },
      { ...params, hidden: 0 },
      { ...params, learningRateLog10: 1_000_001 },
      { ...params, model: "cnn" },
      { ...params, extra: 1 },
      { ...params, window: 6.5 },
    ];
    for (const p of bad) expect(() => decodeParams(p), JSON.stringify(p).slice(0, 80)).toThrow(PredictorParamsError);
  });

  it("the largest model fits the domain's maxParamsBytes, which is more than a plain transaction may carry", () => {
    const rules = chainRules();
    expect(maxParamsJsonBytes()).toBeLessThanOrEqual(rules.maxParamsBytes);
    expect(maxParamsJsonBytes()).toBeGreaterThan(8_192);
  });

  it("hyperparameters map to and from the unit box", () => {
    for (const x of [
      [0, 0, 0, 0],
      [1, 1, 1, 1],
      [0.3, 0.7, 0.55, 0.1],
    ]) {
      const h = hyperOf(x);
      expect(hyperOf(pointOf(h))).toEqual(h);
    }
    expect(hyperOf([0, 0, 0, 0])).toEqual({ window: 1, hidden: 1, learningRateLog10: -5, weightDecayLog10: -7 });
    expect(hyperOf([1, 1, 1, 1])).toEqual({ window: 48, hidden: 64, learningRateLog10: 0, weightDecayLog10: 0 });
  });
});

describe("the predictor plugin: claims and verification", () => {
  it("a round's claim is what evaluators find on their own series (within the domain's tolerance); a false claim is rejected", async () => {
    const p = await predictor();
    expect(p.meta).toMatchObject({ id: "predictor", metric: "skill", higherIsBetter: true });
    expect(Object.keys(p.optimizers)[0]).toBe("cmaes");
    const opt = p.optimizers["cmaes"]?.({});
    if (opt === undefined) throw new Error("no cmaes");
    const out = await opt.optimize({ champion: null, local: null, seed: 7, budget: 8, config: {} });
    expect(out.evaluations).toBe(8);
    expect(findNonInteger(out.params)).toBeNull();
    expect(out.performance).toBeGreaterThan(0); // better than the naive forecast
    const rules = chainRules();
    // five evaluators, each on the series of its own seed
    const votes = [];
    for (let i = 0; i < 5; i++) {
      const data = await p.synthetic.generate(deriveSeed(99, i), {});
      expect(unpackF64((data as { series: string }).series).length).toBe(DEFAULT_SERIES.evalLength);
      votes.push({ evaluator: `e${i}`, performance: toFixed(await p.inference.evaluate(out.params, data)), dataHash: "00".repeat(32) });
    }
    const honest = aggregateVotes(votes, toFixed(out.performance), rules, 4);
    expect(honest.accepted).toBe(true);
    expect(honest.outliers).toEqual([]);
    const inflated = aggregateVotes(votes, toFixed(out.performance) + 2n * rules.toleranceAbs, rules, 4);
    expect(inflated.accepted).toBe(false);
  }, 60_000);

  it("infer forecasts the next value of a window; evaluate refuses malformed params", async () => {
    const p = await predictor();
    const hyper = { window: 3, hidden: 2, learningRateLog10: -2, weightDecayLog10: -4 };
    const mlp = trainMlp(generateSeries(5, 400).values, hyper, 2, { epochs: 1, batchSize: 32 });
    const params = encodeParams(hyper, mlp);
    const values = [0.1, -0.4, 0.3, 0.2];
    const out = (await p.inference.infer(params, { values })) as { forecast: number; naive: number; window: number };
    expect(out.naive).toBe(0.2);
    expect(out.window).toBe(3);
    let z = 0;
    const expected = [...Array(2).keys()].reduce((acc, j) => {
      z = (mlp.b1[j] as number) + [0, 1, 2].reduce((s, i) => s + (mlp.w1[j * 3 + i] as number) * (values[3 - i] as number), 0);
      return acc + (mlp.w2[j] as number) * Math.tanh(z);
    }, mlp.b2);
    expect(out.forecast).toBeCloseTo(0.2 + expected, 12);
    await expect(p.inference.infer(params, { values: [1, 2] })).rejects.toThrow(/at least 3/);
    await expect(p.inference.infer(null, { values })).rejects.toThrow(/no model/);
    await expect(p.inference.evaluate({ ...(params as object), window: 4 }, null)).rejects.toThrow(PredictorParamsError);
  });
});

describe("the worker trainer", () => {
  const round = { trainSeed: 1, validationSeed: 2, validationLength: 500 };
  const series = { ...DEFAULT_SERIES, trainLength: 300 };
  const training = { epochs: 1, batchSize: 32 };
  const candidates = [{ hyper: { window: 2, hidden: 3, learningRateLog10: -2, weightDecayLog10: -4 }, seed: 5 }];
  const failing = (error: Error, unavailable: boolean) => ({
    request: async () => {
      throw error;
    },
    unavailable: () => unavailable,
    info: { id: "predictor", trainBatch: true },
    device: "cuda",
    log: () => undefined,
  });

  it("falls back to TypeScript when the worker cannot answer, and fails the round when it answers with an error", async () => {
    const cpu: PopulationTrainer = typescriptTrainer;
    const gone = await workerTrainer(failing(new Error("WORKER_CRASHED"), true), cpu).train(candidates, round, series, training);
    const direct = await cpu.train(candidates, round, series, training);
    expect(gone.map((m) => m.validation)).toEqual(direct.map((m) => m.validation));
    await expect(workerTrainer(failing(new Error("BAD_INPUT: candidates[0].window"), false), cpu).train(candidates, round, series, training)).rejects.toThrow(/BAD_INPUT/);
  });
});
