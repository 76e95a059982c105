/**
 * Domain plugins served by an external process (the GPU path: a PyTorch
 * worker, see python/doin_worker.py): the adapter the runner calls. The wire
 * (JSON lines on stdio, PROTOCOL.md) is worker-protocol.ts; the child process
 * (spawn, timeouts, restarts) is worker-process.ts.
 *
 * externalDomainPlugin() turns a worker into a DomainPlugin for one of the
 * domains its `hello` lists. With a TypeScript plugin of the same domain as
 * `base`, the base is the CPU fallback: an evaluation or inference the
 * worker cannot answer (crashed, timed out, gone) runs on the base instead,
 * and synthetic data comes from the base (so it is bit for bit the data
 * every TypeScript evaluator computes). It adds the `batch_es` optimizer:
 * whole populations of candidates scored in one `evaluate_batch` call, which
 * is where a GPU pays.
 */
import { endianness } from "node:os";
import type { JsonValue } from "../core/types.ts";
import type { DomainMeta, DomainPlugin, OptimizationPlugin, OptimizeInput, OptimizeOutput } from "../plugins/sdk.ts";
import { createRng } from "../plugins/rng.ts";
import { isBetter } from "./executors.ts";
import { WorkerProcess, type WorkerOptions } from "./worker-process.ts";
import { packF64, unpackF64, WorkerError, type WorkerDomain } from "./worker-protocol.ts";

export interface ExternalPluginOptions {
  /** the TypeScript plugin of the same domain: CPU fallback and synthetic data */
  readonly base?: DomainPlugin;
  /** per-evaluation timeout (ms); default the worker's */
  readonly timeoutMs?: number;
  readonly log?: (line: string) => void;
}

function asNumber(v: JsonValue | number | undefined, what: string): number {
  if (typeof v !== "number" || !Number.isFinite(v)) throw new WorkerError("PROTOCOL", `${what}: expected a finite number`);
  return v;
}

export function externalDomainPlugin(worker: WorkerProcess, domain: WorkerDomain, options: ExternalPluginOptions = {}): DomainPlugin {
  const { base } = options;
  const log = options.log ?? ((line: string) => console.error(line));
  const timeout = options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs };
  const has = (method: string) => worker.hello?.methods.includes(method) ?? true;
  let fallbacks = 0;
  /** The worker, or the base on a transport failure. */
  const viaWorker = async <T>(what: string, call: () => Promise<T>, fallback: (() => Promise<T>) | undefined): Promise<T> => {
    try {
      return await call();
    } catch (e) {
      if (fallback !== undefined && e instanceof WorkerError && e.transport) {
        if (fallbacks++ % 100 === 0) log(`external worker could not ${what} (${e.message}); using the TypeScript plugin (CPU)`);
        return fallback();
      }
      throw e;
    }
  };
  const meta: DomainMeta = base?.meta ?? {
    id: domain.id,
    metric: domain.metric ?? "performance",
    higherIsBetter: domain.higherIsBetter ?? true,
    description: domain.description ?? `served by an external worker`,
  };
  const generate = async (seed: number, config: JsonValue): Promise<JsonValue> => {
    if (base !== undefined) return base.synthetic.generate(seed, config);
    const r = (await worker.request("generate", { domain: domain.id, seed, config }, timeout)) as { data?: JsonValue };
    if (r?.data === undefined) throw new WorkerError("PROTOCOL", "generate: no data in the reply");
    return r.data;
  };
  const packed = endianness() === "LE" && domain.dim !== undefined && (worker.hello?.encodings as unknown[] | undefined)?.includes("f64") === true;
  const evaluateBatch = async (candidates: number[][], data: JsonValue): Promise<number[]> => {
    if (packed) {
      // float64 rows as base64 both ways: no JSON number parsing on either side (what makes large batches pay)
      const r = (await worker.request("evaluate_batch", { domain: domain.id, candidates_f64: packF64(candidates, domain.dim as number), data, encoding: "f64" }, timeout)) as {
        values_f64?: JsonValue;
      };
      const values = typeof r?.values_f64 === "string" ? unpackF64(r.values_f64) : null;
      if (values === null || values.length !== candidates.length) throw new WorkerError("PROTOCOL", "evaluate_batch: values do not match the candidates");
      return Array.from(values, (v, i) => asNumber(v, `values[${i}]`));
    }
    const r = (await worker.request("evaluate_batch", { domain: domain.id, candidates, data }, timeout)) as { values?: JsonValue };
    const values = r?.values;
    if (!Array.isArray(values) || values.length !== candidates.length) throw new WorkerError("PROTOCOL", "evaluate_batch: values do not match the candidates");
    return values.map((v, i) => asNumber(v, `values[${i}]`));
  };
  const optimizers: Record<string, (config: JsonValue) => OptimizationPlugin> = { ...base?.optimizers };
  // The domain's own optimizers with their heavy work on this worker (the predictor's batched training).
  if (base?.external !== undefined) {
    Object.assign(
      optimizers,
      base.external({
        request: (method, params) => worker.request(method, params, timeout),
        unavailable: (e) => e instanceof WorkerError && e.transport,
        info: domain as unknown as JsonValue,
        device: worker.hello?.device ?? "cpu",
        log,
      }),
    );
  }
  if (has("evaluate_batch") && domain.dim !== undefined && domain.paramsKey !== undefined && domain.paramsScale !== undefined) {
    optimizers["batch_es"] = (config) => batchEs(domain as Required<Pick<WorkerDomain, "dim" | "paramsKey" | "paramsScale">> & WorkerDomain, meta.higherIsBetter, config, generate, evaluateBatch);
  }
  return {
    meta,
    optimizers,
    inference: {
      domain: domain.id,
      evaluate: (params, data) =>
        viaWorker(
          "evaluate",
          async () => asNumber(((await worker.request("evaluate", { domain: domain.id, params, data }, timeout)) as { value?: JsonValue })?.value, "evaluate.value"),
          base === undefined ? undefined : () => base.inference.evaluate(params, data),
        ),
      infer: (params, input) =>
        has("infer") || base === undefined
          ? viaWorker(
              "infer",
              async () => ((await worker.request("infer", { domain: domain.id, params, input }, timeout)) as { output?: JsonValue })?.output ?? null,
              base === undefined ? undefined : () => base.inference.infer(params, input),
            )
          : base.inference.infer(params, input),
    },
    synthetic: { domain: domain.id, generate },
  };
}

/**
 * batch_es: a (μ/μ_w, λ) evolution strategy built for batched evaluation.
 * Each round scores on the round's data (from its seed); each generation is
 * one evaluate_batch call of λ points: the mean itself, then λ − 1 samples
 * mean + σ·N(0, I), rounded to the wire's grid (so a claimed performance is
 * exactly that of the parameters returned). The new mean is the
 * log-weighted mean of the best half; σ follows the 1/5 success rule
 * (samples better than the mean). Mean and σ persist across rounds (the
 * island); a better champion or start moves the mean there.
 * Config: {population (λ, default min(budget, 256)), sigma0 (default 1)}.
 * A round spends ⌊budget / λ⌋ generations (at least one).
 */
function batchEs(
  domain: WorkerDomain & { dim: number; paramsKey: string; paramsScale: number },
  higherIsBetter: boolean,
  config: JsonValue,
  generate: (seed: number, config: JsonValue) => Promise<JsonValue>,
  evaluateBatch: (candidates: number[][], data: JsonValue) => Promise<number[]>,
): OptimizationPlugin {
  const c = (typeof config === "object" && config !== null && !Array.isArray(config) ? config : {}) as Record<string, JsonValue>;
  const population = typeof c["population"] === "number" ? Math.max(3, Math.floor(c["population"])) : null;
  let sigma = typeof c["sigma0"] === "number" && c["sigma0"] > 0 ? c["sigma0"] : 1;
  const [lo, hi] = domain.init ?? [-1, 1];
  const better = (a: number, b: number) => isBetter(a, b, higherIsBetter);
  const grid = (v: number) => Math.round(v * domain.paramsScale) / domain.paramsScale;
  const decode = (params: JsonValue): number[] | null => {
    const x = (params as Record<string, JsonValue> | null)?.[domain.paramsKey];
    if (!Array.isArray(x) || x.length !== domain.dim || !x.every((v) => typeof v === "number")) return null;
    return (x as number[]).map((v) => v / domain.paramsScale);
  };
  const encode = (x: readonly number[]): JsonValue => ({ [domain.paramsKey]: x.map((v) => Math.round(v * domain.paramsScale)) });
  let mean: number[] | null = null;
  let ownBest: number | null = null;
  return {
    domain: domain.id,
    name: "batch_es",
    async optimize(input: OptimizeInput): Promise<OptimizeOutput> {
      const rng = createRng(input.seed); // the seeded generator the quadratic plugin uses (never consensus)
      for (const start of [input.champion, input.local]) {
        if (start === null) continue;
        const x = decode(start.params);
        if (x !== null && (ownBest === null || better(start.performance, ownBest))) {
          mean = x;
          ownBest = start.performance;
        }
      }
      if (mean === null) mean = Array.from({ length: domain.dim }, () => grid(rng.uniform(lo, hi)));
      const data = await generate(input.seed, {});
      const lambda = population ?? Math.max(3, Math.min(256, input.budget));
      const mu = Math.max(1, Math.floor((lambda - 1) / 2));
      const raw = Array.from({ length: mu }, (_, i) => Math.log(mu + 0.5) - Math.log(i + 1));
      const total = raw.reduce((a, b) => a + b, 0);
      const weights = raw.map((w) => w / total);
      const generations = Math.max(1, Math.floor(input.budget / lambda));
      let best: { x: number[]; f: number } | null = null;
      let evaluations = 0;
      for (let g = 0; g < generations; g++) {
        const m: number[] = mean;
        const batch = [m, ...Array.from({ length: lambda - 1 }, () => m.map((v) => grid(v + sigma * rng.normal())))];
        const values = await evaluateBatch(batch, data);
        evaluations += batch.length;
        const fMean = values[0] as number;
        const ranked = batch
          .slice(1)
          .map((x, i) => ({ x, f: values[i + 1] as number }))
          .sort((a, b) => (better(a.f, b.f) ? -1 : better(b.f, a.f) ? 1 : 0));
        for (const cand of [{ x: m, f: fMean }, ...ranked.slice(0, 1)]) if (best === null || better(cand.f, best.f)) best = cand;
        const successes = ranked.filter((r) => better(r.f, fMean)).length / ranked.length;
        sigma = Math.min(1e3, Math.max(1e-9, sigma * (successes > 0.2 ? 1.25 : 0.8)));
        mean = Array.from({ length: domain.dim }, (_, j) => grid(ranked.slice(0, mu).reduce((acc, r, i) => acc + (weights[i] as number) * (r.x[j] as number), 0)));
      }
      const b = best as { x: number[]; f: number };
      if (ownBest === null || better(b.f, ownBest)) ownBest = b.f;
      return { params: encode(b.x), performance: b.f, evaluations };
    },
  };
}

/** Starts a worker and wraps each of `domains` it serves; on failure, says why (the caller falls back to the TypeScript plugins). */
export async function startExternalPlugins(
  command: string,
  domains: readonly string[],
  bases: ReadonlyMap<string, DomainPlugin>,
  options: Omit<WorkerOptions, "command"> = {},
): Promise<{ worker: WorkerProcess; plugins: DomainPlugin[] }> {
  const worker = new WorkerProcess({ ...options, command });
  const log = options.log ?? ((line: string) => console.error(line));
  try {
    const hello = await worker.start();
    const plugins: DomainPlugin[] = [];
    for (const d of domains) {
      const served = hello.domains.find((x) => x.id === d);
      if (served === undefined) continue;
      const base = bases.get(d);
      plugins.push(externalDomainPlugin(worker, served, { ...(base === undefined ? {} : { base }), log }));
    }
    return { worker, plugins };
  } catch (e) {
    await worker.close();
    throw e;
  }
}
