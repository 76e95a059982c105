/**
 * The quadratic domain's optimizers as SDK `OptimizationPlugin`s
 * (plugins/sdk.ts), selectable by name:
 *
 * - `cmaes` (the default): CMA-ES with IPOP restarts (./cmaes.ts); one
 *   optimize() call = one generation (λ evaluations; when `budget` < λ the
 *   generation is spread over several calls and the distribution is updated
 *   when its λ points are in). Config: `sigma0` (3), `popsize` (λ₀, Table 1's
 *   4 + ⌊3 ln n⌋ = 10), `maxPopsize` (4096), `restartFrom` ("best" |
 *   "random").
 * - `random_step`: the reference's hill climber (./random-step.ts); one
 *   optimize() call = one step = one evaluation, whatever the budget.
 *   Config: `step_size` (0.5, the reference's name).
 *
 * Both also read the domain keys (`target`, `targetSeed`) to know the
 * objective they optimize, and keep their island (best point, CMA-ES state)
 * between calls. All randomness comes from `input.seed` (a fresh xoshiro128**
 * stream per call), so a run is reproducible from its seeds.
 *
 * The start of a round is the better of `input.champion` and `input.local`
 * (their `performance` taken as given: the chain's value, no evaluation is
 * spent on it) when it beats the island's own best. Candidates are rounded
 * to the wire's 10⁻⁶ grid before they are scored, so the performance a
 * result claims is exactly that of the parameters it returns.
 */
import type { JsonValue } from "../../core/types.ts";
import type { OptimizationPlugin, OptimizeInput, OptimizeOutput } from "../sdk.ts";
import { Cmaes } from "./cmaes.ts";
import { decodeParams, encodeParams, N_PARAMS, performance, quantize, targetOf } from "./domain.ts";
import { RandomStep, type Objective, type Point } from "./random-step.ts";
import { createRng } from "./rng.ts";

export const DOMAIN_ID = "quadratic";

function record(config: JsonValue): Record<string, JsonValue> {
  if (config === null || config === undefined) return {};
  if (typeof config !== "object" || Array.isArray(config)) throw new TypeError("optimizer config must be an object");
  return config as Record<string, JsonValue>;
}

function numberOr(config: Record<string, JsonValue>, key: string, fallback: number, ok: (v: number) => boolean): number {
  const v = config[key];
  if (v === undefined) return fallback;
  if (typeof v !== "number" || !ok(v)) throw new TypeError(`optimizer config.${key} is invalid: ${JSON.stringify(v)}`);
  return v;
}

/** The objective an optimizer climbs: neg_mse against the configured target, scored on the 10⁻⁶ grid the wire carries. */
export function quadraticObjective(config: JsonValue): Objective {
  const target = targetOf(config);
  return (x) => performance(quantize(x), target);
}

/** The round's start: the better of champion and local, decoded. */
function startOf(input: OptimizeInput): Point | null {
  let start: Point | null = null;
  for (const c of [input.champion, input.local]) {
    if (c === null || c.params === null) continue;
    if (!Number.isFinite(c.performance)) continue;
    if (start === null || c.performance > start.f) start = { x: decodeParams(c.params), f: c.performance };
  }
  return start;
}

function output(best: Point, evaluations: number): OptimizeOutput {
  return { params: encodeParams(best.x), performance: best.f, evaluations };
}

export function randomStepOptimizer(config: JsonValue = {}): OptimizationPlugin {
  const c = record(config);
  const step = numberOr(c, "step_size", 0.5, (v) => Number.isFinite(v) && v > 0);
  const climber = new RandomStep(quadraticObjective(config), step, N_PARAMS);
  return {
    domain: DOMAIN_ID,
    name: "random_step",
    async optimize(input) {
      const r = climber.round(createRng(input.seed), startOf(input));
      return output(r.best, r.evaluations);
    },
  };
}

export function cmaesOptimizer(config: JsonValue = {}): OptimizationPlugin {
  const c = record(config);
  const restartFrom = c["restartFrom"] ?? "best";
  if (restartFrom !== "best" && restartFrom !== "random") throw new TypeError('optimizer config.restartFrom must be "best" or "random"');
  const es = new Cmaes({
    n: N_PARAMS,
    sigma0: numberOr(c, "sigma0", 3, (v) => Number.isFinite(v) && v > 0),
    lambda0: numberOr(c, "popsize", 4 + Math.floor(3 * Math.log(N_PARAMS)), (v) => Number.isInteger(v) && v >= 2),
    maxLambda: numberOr(c, "maxPopsize", 4096, (v) => Number.isInteger(v) && v >= 2),
    restartFrom,
  });
  const objective = quadraticObjective(config);
  return {
    domain: DOMAIN_ID,
    name: "cmaes",
    async optimize(input) {
      const r = es.round(objective, createRng(input.seed), startOf(input), input.budget);
      return output(r.best, r.evaluations);
    },
  };
}
