/**
 * The predictor domain on the Python worker (gpu-runner/python/doin_worker.py
 * with doin_predictor.py) on every path CI has: pure Python (no numpy),
 * numpy, and PyTorch on the CPU (Debian's python3-torch under /usr/bin/python3,
 * installed by .ci/run). Each path generates TypeScript's series bit for bit,
 * evaluates a model as TypeScript does (to 1e-9: the domain's tolerance is
 * 25,000 micro-units), forecasts alike, refuses malformed weights, and (numpy,
 * PyTorch) trains a population in one call into the models TypeScript trains
 * from the same seeds. Through the runner's external plugin, the predictor's
 * optimizers train on the worker, and on the CPU when the worker is gone.
 */
import { execFileSync } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { JsonValue } from "../../core/types.ts";
import { externalDomainPlugin } from "../../gpu-runner/external-plugin.ts";
import { WorkerProcess } from "../../gpu-runner/worker-process.ts";
import { WorkerError, type WorkerDomain } from "../../gpu-runner/worker-protocol.ts";
import predictor from "../../plugins/predictor/index.ts";
import { decodeParams, encodeParams, forecastAt, modelSkill } from "../../plugins/predictor/model.ts";
import { generateSeries, packF64 } from "../../plugins/predictor/series.ts";
import { trainMlp } from "../../plugins/predictor/train.ts";
import { ROOT } from "./helpers.ts";

const SYSTEM_PYTHON = "/usr/bin/python3";

interface Backend {
  readonly name: string;
  readonly command: string;
  readonly env: string;
  /** what hello must say */
  readonly backend: string;
  readonly trains: boolean;
}

const BACKENDS: readonly Backend[] = [
  { name: "pure Python", command: "python3", env: "python", backend: "python", trains: false },
  { name: "numpy", command: "python3", env: "numpy", backend: "numpy", trains: true },
  { name: "PyTorch (CPU)", command: SYSTEM_PYTHON, env: "torch-cpu", backend: "torch", trains: true },
];

function torchMissing(): string | null {
  try {
    execFileSync(SYSTEM_PYTHON, ["-c", "import torch, numpy"], { stdio: "ignore" });
    return null;
  } catch {
    return `${SYSTEM_PYTHON} has no PyTorch: install Debian's python3-torch (.ci/run's APT_PACKAGES does)`;
  }
}

const quiet = () => undefined;
const newWorker = (b: Backend) =>
  new WorkerProcess({ command: [b.command, "gpu-runner/python/doin_worker.py"], cwd: ROOT, env: { ...process.env, DOIN_WORKER_BACKEND: b.env }, requestTimeoutMs: 120_000, log: quiet });

/** Three models of different shapes, trained briefly in TypeScript. */
const MODELS = [
  { window: 1, hidden: 1, learningRateLog10: -2, weightDecayLog10: -4 },
  { window: 5, hidden: 7, learningRateLog10: -2.5, weightDecayLog10: -5 },
  { window: 16, hidden: 12, learningRateLog10: -1.75, weightDecayLog10: -3 },
].map((h, k) => encodeParams(h, trainMlp(generateSeries(40 + k, 800).values, h, k, { epochs: 1, batchSize: 32 })));

const CANDIDATES = [
  { window: 4, hidden: 24, learningRateLog10: -2_000_000, weightDecayLog10: -4_000_000, seed: 11 },
  { window: 17, hidden: 9, learningRateLog10: -2_500_000, weightDecayLog10: -3_000_000, seed: 12 },
  { window: 1, hidden: 3, learningRateLog10: -1_000_000, weightDecayLog10: -6_000_000, seed: 13 },
];
const SMALL = { trainLength: 800, epochs: 2, batchSize: 32 };

describe.each(BACKENDS)("the predictor on the Python worker: $name", (b) => {
  let worker: WorkerProcess;

  beforeAll(async () => {
    if (b.command === SYSTEM_PYTHON) {
      const missing = torchMissing();
      if (missing !== null) throw new Error(missing);
    }
    worker = newWorker(b);
    await worker.start();
  }, 120_000);

  afterAll(async () => {
    await worker?.close();
  });

  it("says which backend it runs and whether it can train a population", () => {
    expect(worker.hello?.backend).toBe(b.backend);
    expect(worker.hello?.domains.find((d) => d.id === "predictor")).toMatchObject({ higherIsBetter: true, metric: "skill", trainBatch: b.trains });
  });

  it("generates TypeScript's series bit for bit", async () => {
    for (const seed of [3, 4_000_000_000]) {
      const r = (await worker.request("generate", { domain: "predictor", seed, config: { evalLength: 5_000 } })) as { data: { series: string; length: number } };
      expect(r.data.length).toBe(5_000);
      expect(r.data.series).toBe(packF64(generateSeries(seed, 5_000).values));
    }
  });

  it("evaluates and forecasts as TypeScript does; refuses malformed weights", async () => {
    const values = generateSeries(9, 3_000).values;
    const data = { series: packF64(values) };
    for (const params of MODELS) {
      const { mlp } = decodeParams(params);
      const r = (await worker.request("evaluate", { domain: "predictor", params, data })) as { value: number };
      expect(Math.abs(r.value - modelSkill(mlp, values))).toBeLessThanOrEqual(1e-9);
      const recent = Array.from(values.subarray(100, 100 + mlp.window + 2));
      const f = (await worker.request("infer", { domain: "predictor", params, input: { values: recent } })) as { output: { forecast: number } };
      expect(Math.abs(f.output.forecast - forecastAt(mlp, recent, recent.length))).toBeLessThanOrEqual(1e-12);
    }
    const short = {
      ...(MODELS[1] as Record<string, JsonValue>),
      weights: Buffer.from((MODELS[1] as { weights: string }).weights, "base64")
        .subarray(4)
        .toString("base64"),
    };
    const refused = await worker.request("evaluate", { domain: "predictor", params: short, data }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(WorkerError);
    expect((refused as WorkerError).code).toBe("BAD_INPUT");
  });

  it("trains a population in one call into the models TypeScript trains from the same seeds (numpy, PyTorch; pure Python says it cannot)", async () => {
    const request = { domain: "predictor", config: SMALL, trainSeed: 5, validationSeed: 6, validationLength: 2_000, candidates: CANDIDATES };
    if (!b.trains) {
      const refused = await worker.request("train_batch", request).catch((e: unknown) => e);
      expect((refused as WorkerError).code).toBe("UNKNOWN_METHOD");
      return;
    }
    const r = (await worker.request("train_batch", request)) as {
      models: { params: JsonValue; validation: number }[];
    };
    expect(r.models).toHaveLength(CANDIDATES.length);
    const train = generateSeries(5, SMALL.trainLength).values;
    const valid = generateSeries(6, 2_000).values;
    r.models.forEach((m, k) => {
      const c = CANDIDATES[k] as (typeof CANDIDATES)[number];
      const { hyper, mlp } = decodeParams(m.params);
      expect(hyper).toEqual({ window: c.window, hidden: c.hidden, learningRateLog10: c.learningRateLog10 / 1e6, weightDecayLog10: c.weightDecayLog10 / 1e6 });
      // the worker's validation skill is that of the weights it returns
      expect(Math.abs(m.validation - modelSkill(mlp, valid))).toBeLessThanOrEqual(1e-9);
      // and those weights are TypeScript's for the same seeds, up to the order of float sums
      const ts = trainMlp(train, hyper, c.seed, SMALL);
      expect(Math.abs(m.validation - modelSkill(ts, valid))).toBeLessThan(0.005);
    });
  }, 60_000);
});

describe("the predictor's optimizers through the runner's external plugin", () => {
  it("train each generation in one train_batch call, as TypeScript would train it; without the worker, on the CPU", async () => {
    const worker = newWorker(BACKENDS[1] as Backend);
    const hello = await worker.start();
    const calls: string[] = [];
    const request = worker.request.bind(worker);
    worker.request = (method, params, options) => {
      calls.push(method);
      return request(method, params, options);
    };
    const lines: string[] = [];
    const plugin = externalDomainPlugin(worker, hello.domains.find((d) => d.id === "predictor") as WorkerDomain, { base: predictor, log: (l) => lines.push(l) });
    const config = { ...SMALL, validationLength: 2_000, evalLength: 2_000 };
    const viaWorker = plugin.optimizers["cmaes"]?.(config);
    const inNode = predictor.optimizers["cmaes"]?.(config);
    if (viaWorker === undefined || inNode === undefined) throw new Error("no cmaes");
    const input = { champion: null, local: null, seed: 21, budget: 4, config };
    const a = await viaWorker.optimize(input);
    const b = await inNode.optimize(input);
    expect(calls.filter((m) => m === "train_batch")).toHaveLength(1);
    expect(a.evaluations).toBe(4);
    expect(Math.abs(a.performance - b.performance)).toBeLessThan(0.005);
    // the worker gone (a transport failure): the next round trains in TypeScript
    await worker.close();
    const c = await viaWorker.optimize({ ...input, seed: 22 });
    expect(c.evaluations).toBe(4);
    expect(lines.some((l) => l.includes("training on the CPU"))).toBe(true);
  }, 90_000);
});
