/**
 * The predictor's optimizers: a search over the hyperparameters whose inner
 * loop trains each candidate's weights. One optimize() call is one round of
 * this island:
 *
 * 1. the start (the network's champion, or this island's best) is adopted by
 *    the ask/tell optimizer (plugins/optimizers/) when it is better: its
 *    hyperparameters as a point, its performance as the value (migration);
 * 2. the optimizer asks at most `budget` points of the unit box [0, 1]⁴,
 *    each mapped to hyperparameters (`hyperOf`): window 1…48 and width 1…64
 *    (linear, rounded), learning rate 10⁻⁵…1 and weight decay 10⁻⁷…1 (log);
 * 3. a trainer trains every candidate on the round's training series and
 *    scores it on the round's validation series (all from the round's seed):
 *    in TypeScript one after another (./train.ts), or the whole population
 *    in one batched call of the Python worker (PyTorch on a GPU);
 * 4. the validation skills are told; the island's model is the best of the
 *    round's models and its previous one (scored on the same validation
 *    series), and it is scored once more on a fresh series of the
 *    evaluators' length (the claim series): that skill is what the round
 *    claims. A model picked as the best of many on some series looks
 *    better there than it is (the maximum of noisy scores); scored on a
 *    series no choice has seen, the claim is unbiased, which the domain's
 *    tolerance needs (claims 0.01 to 0.02 above their verdicts otherwise);
 * 5. the island returns that model and its claim.
 *
 * `evaluations` counts the models trained (what a round costs).
 * Seeds, from the round's seed s: training series deriveSeed(s, 1),
 * validation series deriveSeed(s, 2), claim series deriveSeed(s, 3),
 * candidate k's weights and shuffles deriveSeed(s, 4, k).
 */
import type { JsonValue } from "../../core/types.ts";
import type { AskTellOptimizer, Box } from "../optimizers/ask-tell.ts";
import { uniformBox } from "../optimizers/ask-tell.ts";
import { createRng, deriveSeed } from "../rng.ts";
import type { ChampionView, OptimizationPlugin } from "../sdk.ts";
import { decodeParams, encodeParams, LIMITS, modelSkill, quantizeHyper, type Hyper, type Mlp } from "./model.ts";
import { generateSeries, type SeriesConfig } from "./series.ts";
import { DEFAULT_TRAIN, trainMlp, type TrainOptions } from "./train.ts";

export const DOMAIN_ID = "predictor";

/** The search space: [0, 1]⁴ (window, hidden, log₁₀ learning rate, log₁₀ weight decay). */
export const SEARCH_BOX: Box = uniformBox(4, 0, 1);

const span = (l: { readonly min: number; readonly max: number }) => l.max - l.min;

/** A point of the unit box → hyperparameters on the wire's grid. */
export function hyperOf(x: readonly number[]): Hyper {
  const c = (i: number) => Math.min(1, Math.max(0, x[i] as number));
  return quantizeHyper({
    window: LIMITS.window.min + c(0) * span(LIMITS.window),
    hidden: LIMITS.hidden.min + c(1) * span(LIMITS.hidden),
    learningRateLog10: LIMITS.learningRateLog10.min + c(2) * span(LIMITS.learningRateLog10),
    weightDecayLog10: LIMITS.weightDecayLog10.min + c(3) * span(LIMITS.weightDecayLog10),
  });
}

/** Hyperparameters → their point of the unit box. */
export function pointOf(h: Hyper): number[] {
  return [
    (h.window - LIMITS.window.min) / span(LIMITS.window),
    (h.hidden - LIMITS.hidden.min) / span(LIMITS.hidden),
    (h.learningRateLog10 - LIMITS.learningRateLog10.min) / span(LIMITS.learningRateLog10),
    (h.weightDecayLog10 - LIMITS.weightDecayLog10.min) / span(LIMITS.weightDecayLog10),
  ];
}

export interface Candidate {
  readonly hyper: Hyper;
  /** seeds the candidate's initial weights and shuffles */
  readonly seed: number;
}

export interface TrainedModel {
  readonly params: JsonValue;
  readonly mlp: Mlp;
  /** skill on the round's validation series */
  readonly validation: number;
}

export interface RoundData {
  readonly trainSeed: number;
  readonly validationSeed: number;
  readonly validationLength: number;
}

/** Trains a population: each candidate on the training series, scored on the validation series (same order as given). */
export interface PopulationTrainer {
  readonly name: string;
  train(candidates: readonly Candidate[], round: RoundData, series: SeriesConfig, training: TrainOptions): Promise<TrainedModel[]>;
}

/** The CPU trainer: ./train.ts, one model after another. */
export const typescriptTrainer: PopulationTrainer = {
  name: "typescript",
  async train(candidates, round, series, training) {
    const train = generateSeries(round.trainSeed, series.trainLength, series).values;
    const valid = generateSeries(round.validationSeed, round.validationLength, series).values;
    return candidates.map((c) => {
      const mlp = trainMlp(train, c.hyper, c.seed, training);
      return { params: encodeParams(c.hyper, mlp), mlp, validation: modelSkill(mlp, valid) };
    });
  },
};

export interface SearchOptions {
  readonly name: string;
  readonly optimizer: AskTellOptimizer;
  readonly trainer: PopulationTrainer;
  readonly series: SeriesConfig;
  readonly training?: TrainOptions;
  /** length of the validation series (default 5,000: cheaper than the evaluators' 20,000, enough to rank) */
  readonly validationLength?: number;
}

export const DEFAULT_VALIDATION_LENGTH = 5_000;

/**
 * What the search is told of a model: its validation skill, but no lower
 * than the naive forecast's 0. A learning rate too high diverges to skills
 * of −1 to −15: a cliff that a quadratic model (bobyqa) would spend its
 * interpolation on, while "worse than naive" is all the search needs to
 * know. Rank-based CMA-ES is unaffected (bar ties among such models).
 */
export function told(validation: number): number {
  return Number.isFinite(validation) ? Math.max(0, validation) : Number.NaN;
}

/** One island of the predictor's search, as an SDK optimizer. */
export function searchPlugin(opts: SearchOptions): OptimizationPlugin {
  const training = opts.training ?? DEFAULT_TRAIN;
  const validationLength = opts.validationLength ?? DEFAULT_VALIDATION_LENGTH;
  /** this island's model, with the performance it was given (claimed, or the chain's) */
  let island: (ChampionView & { readonly mlp: Mlp }) | null = null;
  return {
    domain: DOMAIN_ID,
    name: opts.name,
    async optimize(input) {
      for (const c of [input.champion, input.local]) {
        if (c === null || c.params === null || !Number.isFinite(c.performance)) continue;
        if (island !== null && c.performance <= island.performance) continue;
        const decoded = decodeParams(c.params);
        island = { params: c.params, performance: c.performance, mlp: decoded.mlp };
        opts.optimizer.adopt({ x: pointOf(decoded.hyper), f: c.performance });
      }
      const s = input.seed;
      const points = opts.optimizer.ask(createRng(s), Math.max(1, Math.floor(input.budget)));
      const candidates = points.map((x, k) => ({ hyper: hyperOf(x), seed: deriveSeed(s, 4, k) }));
      const round = { trainSeed: deriveSeed(s, 1), validationSeed: deriveSeed(s, 2), validationLength };
      const models = await opts.trainer.train(candidates, round, opts.series, training);
      if (models.length !== points.length) throw new RangeError(`predictor/${opts.name}: the ${opts.trainer.name} trainer returned ${models.length} models for ${points.length} candidates`);
      opts.optimizer.tell(
        points,
        models.map((m) => told(m.validation)),
      );
      let best: TrainedModel | null = null;
      for (const m of models) if (Number.isFinite(m.validation) && (best === null || m.validation > best.validation)) best = m;
      const held = island as (ChampionView & { readonly mlp: Mlp }) | null;
      // the island's model stays unless a new one beats it on this round's validation series; it keeps the
      // performance it had (a new draw of its claim each round would be a lottery ticket, not a measurement)
      if (held !== null && (best === null || modelSkill(held.mlp, generateSeries(round.validationSeed, validationLength, opts.series).values) >= best.validation)) {
        return { params: held.params, performance: held.performance, evaluations: points.length };
      }
      if (best === null) throw new Error(`predictor/${opts.name}: no model has trained to a finite skill yet`);
      const claim = modelSkill(best.mlp, generateSeries(deriveSeed(s, 3), opts.series.evalLength, opts.series).values);
      island = { params: best.params, performance: claim, mlp: best.mlp };
      return { params: best.params, performance: claim, evaluations: points.length };
    },
  };
}
