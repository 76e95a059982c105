/**
 * The predictor's population trainer on the Python worker
 * (gpu-runner/python/doin_predictor.py, `train_batch`): one request trains a
 * whole generation, stacked and masked, on CUDA where there is one. When the
 * worker cannot answer at all (crashed, timed out), the CPU trainer takes
 * the round; a worker that answers with an error fails the round (a bug to
 * see, not to hide).
 */
import type { JsonValue } from "../../core/types.ts";
import type { ExternalWorker } from "../sdk.ts";
import { decodeParams, FIXED } from "./model.ts";
import type { PopulationTrainer, TrainedModel } from "./search.ts";

function seriesKeys(series: Parameters<PopulationTrainer["train"]>[2]): JsonValue {
  return {
    regimes: series.regimes.map((g) => ({ drift: g.drift, phi: g.phi, sigma: g.sigma })),
    transition: series.transition.map((row) => [...row]),
    burnIn: series.burnIn,
    evalLength: series.evalLength,
    trainLength: series.trainLength,
  };
}

export function workerTrainer(worker: ExternalWorker, fallback: PopulationTrainer): PopulationTrainer {
  let fallbacks = 0;
  return {
    name: `worker (${worker.device})`,
    async train(candidates, round, series, training) {
      const request = {
        domain: "predictor",
        config: { ...(seriesKeys(series) as object), epochs: training.epochs, batchSize: training.batchSize },
        trainSeed: round.trainSeed,
        validationSeed: round.validationSeed,
        validationLength: round.validationLength,
        candidates: candidates.map((c) => ({
          window: c.hyper.window,
          hidden: c.hyper.hidden,
          learningRateLog10: Math.round(c.hyper.learningRateLog10 * FIXED),
          weightDecayLog10: Math.round(c.hyper.weightDecayLog10 * FIXED),
          seed: c.seed,
        })),
      } as JsonValue;
      let reply: JsonValue;
      try {
        reply = await worker.request("train_batch", request);
      } catch (e) {
        if (!worker.unavailable(e)) throw e;
        if (fallbacks++ % 100 === 0) worker.log(`predictor: the worker could not train (${e instanceof Error ? e.message : String(e)}); training on the CPU (TypeScript)`);
        return fallback.train(candidates, round, series, training);
      }
      const models = (reply as { models?: unknown } | null)?.models;
      if (!Array.isArray(models) || models.length !== candidates.length) throw new Error("predictor: train_batch answered with the wrong number of models");
      return models.map((m: unknown, k): TrainedModel => {
        const r = m as { params?: JsonValue; validation?: unknown };
        if (typeof r.validation !== "number" || r.params === undefined) throw new Error(`predictor: train_batch model ${k} has no params or validation`);
        const decoded = decodeParams(r.params);
        const c = candidates[k] as (typeof candidates)[number];
        if (decoded.hyper.window !== c.hyper.window || decoded.hyper.hidden !== c.hyper.hidden) throw new Error(`predictor: train_batch model ${k} is not the candidate's shape`);
        return { params: r.params, mlp: decoded.mlp, validation: r.validation };
      });
    },
  };
}
