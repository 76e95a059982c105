/**
 * The predictor domain: the network trains small neural forecasters of a
 * regime-switching time series, evaluators verify them by inference on their
 * own synthetic series, and every champion is measured against the
 * Bayes-optimal forecast (see README, "The predictor domain").
 *
 * - synthetic.generate(seed, config) → {series: base64 of float64 LE, seed,
 *   length, warmup, synthetic: true}: the evaluator's own series (./series.ts);
 * - inference.evaluate(params, data) → the model's skill on data.series
 *   (1 − MAE/MAE_naive from t = 48 on; data null: the series of seed 0);
 *   malformed params are refused (PredictorParamsError, ./model.ts);
 * - inference.infer(params, {values}) → {forecast, naive, window}: the next
 *   value after `values` (oldest first, at least the model's window);
 * - optimizers: `cmaes` (the default: CMA-ES over the hyperparameters, one
 *   generation of λ = 8 models per round) and `random_step`, each a search
 *   whose inner loop trains the candidates (./search.ts); with the Python
 *   worker (`external`) the same optimizers train each generation in one
 *   batched call, on a GPU where there is one.
 *
 * Config (domain, optimizer and synthetic configs share it; absent keys take
 * the defaults): the series (`regimes`, `transition`, `burnIn`, `evalLength`,
 * `trainLength`: ./series.ts), training (`epochs` 4, `batchSize` 32),
 * `validationLength` (5,000), and the optimizer's own (`sigma0`, `popsize`
 * for cmaes; `step_size` for random_step).
 */
import type { JsonValue } from "../../core/types.ts";
import { BobyqaOptimizer } from "../optimizers/bobyqa.ts";
import { CmaesOptimizer } from "../optimizers/cmaes.ts";
import { RandomStepOptimizer } from "../optimizers/random-step.ts";
import type { AskTellOptimizer } from "../optimizers/ask-tell.ts";
import type { DomainPlugin, ExternalWorker, OptimizationPlugin } from "../sdk.ts";
import { decodeParams, forecastAt, modelSkill } from "./model.ts";
import { DEFAULT_VALIDATION_LENGTH, DOMAIN_ID, SEARCH_BOX, searchPlugin, typescriptTrainer, type PopulationTrainer } from "./search.ts";
import { generateSeries, packF64, seriesConfig, unpackF64, WARMUP } from "./series.ts";
import { DEFAULT_TRAIN, type TrainOptions } from "./train.ts";
import { workerTrainer } from "./worker-trainer.ts";

export { DOMAIN_ID } from "./search.ts";

function record(config: JsonValue | undefined): Record<string, JsonValue> {
  if (config === undefined || config === null) return {};
  if (typeof config !== "object" || Array.isArray(config)) throw new TypeError("predictor config must be an object");
  return config as Record<string, JsonValue>;
}

function merge(base: JsonValue, over: JsonValue | undefined): JsonValue {
  return { ...record(base), ...record(over) };
}

function integer(c: Record<string, JsonValue>, key: string, fallback: number, min: number, max: number): number {
  const v = c[key];
  if (v === undefined) return fallback;
  if (typeof v !== "number" || !Number.isInteger(v) || v < min || v > max) throw new TypeError(`predictor config.${key} must be an integer from ${min} to ${max}`);
  return v;
}

function positive(c: Record<string, JsonValue>, key: string, fallback: number): number {
  const v = c[key];
  if (v === undefined) return fallback;
  if (typeof v !== "number" || !(v > 0) || !Number.isFinite(v)) throw new TypeError(`predictor config.${key} must be a positive number`);
  return v;
}

export function trainOptions(config: JsonValue): TrainOptions {
  const c = record(config);
  return { epochs: integer(c, "epochs", DEFAULT_TRAIN.epochs, 1, 1_000), batchSize: integer(c, "batchSize", DEFAULT_TRAIN.batchSize, 1, 4_096) };
}

/** The domain's ask/tell optimizers over SEARCH_BOX, by name (the first is the default). */
const OPTIMIZERS: Readonly<Record<string, (c: Record<string, JsonValue>) => AskTellOptimizer>> = {
  cmaes: (c) => new CmaesOptimizer({ box: SEARCH_BOX, sigma0: positive(c, "sigma0", 0.3), lambda0: integer(c, "popsize", 8, 2, 4_096) }),
  random_step: (c) => new RandomStepOptimizer({ box: SEARCH_BOX, stepSize: positive(c, "step_size", 0.2) }),
  // npt = n + 2 (a design of 6 models, not 9) and noise 0.03 (a validation skill scatters by ≈ 0.013, training
  // adds ≈ 0.004; told 0.03, bobyqa restarts once its model only fits noise): of the settings tried (npt 6 or 9,
  // noise 0.003 to 0.03, ρ_beg 0.2 or 0.25), the fewest models to 80 % of the optimum (README, "The predictor domain")
  bobyqa: (c) =>
    new BobyqaOptimizer({ box: SEARCH_BOX, npt: integer(c, "npt", 6, 6, 9), noise: positive(c, "noise", 0.03), ...(c["rhoBeg"] === undefined ? {} : { rhoBeg: positive(c, "rhoBeg", 0.2) }) }),
};

function optimizersWith(domainConfig: JsonValue, trainer: PopulationTrainer): Record<string, (config: JsonValue) => OptimizationPlugin> {
  return Object.fromEntries(
    Object.entries(OPTIMIZERS).map(([name, make]) => [
      name,
      (config: JsonValue) => {
        const c = merge(domainConfig, config);
        return searchPlugin({
          name,
          optimizer: make(record(c)),
          trainer,
          series: seriesConfig(c),
          training: trainOptions(c),
          validationLength: integer(record(c), "validationLength", DEFAULT_VALIDATION_LENGTH, WARMUP + 2, 1_000_000),
        });
      },
    ]),
  );
}

function seriesOf(data: JsonValue, config: JsonValue): Float64Array {
  if (data === null) return generateSeries(0, seriesConfig(config).evalLength, seriesConfig(config)).values;
  const text = record(data)["series"];
  if (typeof text !== "string") throw new TypeError("predictor data must be {series: base64 of float64 LE} or null");
  const values = unpackF64(text, "data.series");
  if (values.length < WARMUP + 2 || !values.every(Number.isFinite)) throw new TypeError(`predictor data.series must hold at least ${WARMUP + 2} finite values`);
  return values;
}

export function createPredictorDomain(domainConfig: JsonValue = {}): DomainPlugin {
  seriesConfig(domainConfig); // fail early on a bad config
  trainOptions(domainConfig);
  return {
    meta: {
      id: DOMAIN_ID,
      metric: "skill",
      higherIsBetter: true,
      description: "Predictor: an MLP forecaster of a regime-switching series; performance 1 − MAE/MAE_naive (higher is better), the Bayes-optimal forecast's is the limit",
    },
    optimizers: optimizersWith(domainConfig, typescriptTrainer),
    // a worker without numpy or PyTorch cannot train (it still evaluates): the TypeScript optimizers stay
    external: (worker: ExternalWorker) => (record(worker.info)["trainBatch"] === true ? optimizersWith(domainConfig, workerTrainer(worker, typescriptTrainer)) : {}),
    inference: {
      domain: DOMAIN_ID,
      async evaluate(params, data) {
        const { mlp } = decodeParams(params);
        return modelSkill(mlp, seriesOf(data, domainConfig));
      },
      async infer(params, input) {
        if (params === null) throw new Error("predictor: no model to run (no champion yet)");
        const { mlp } = decodeParams(params);
        const values = record(input)["values"];
        if (!Array.isArray(values) || values.length < mlp.window || values.length > 100_000 || !values.every((v) => typeof v === "number" && Number.isFinite(v))) {
          throw new TypeError(`predictor input must be {values: [at least ${mlp.window} finite numbers, oldest first]}`);
        }
        const xs = values as number[];
        return { forecast: forecastAt(mlp, xs, xs.length), naive: xs[xs.length - 1] as number, window: mlp.window };
      },
    },
    synthetic: {
      domain: DOMAIN_ID,
      async generate(seed, config) {
        const cfg = seriesConfig(merge(domainConfig, config));
        return { series: packF64(generateSeries(seed, cfg.evalLength, cfg).values), seed, length: cfg.evalLength, warmup: WARMUP, synthetic: true };
      },
    },
  };
}

const predictor: DomainPlugin = createPredictorDomain();
export default predictor;
