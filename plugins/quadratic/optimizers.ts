/**
 * The quadratic domain's optimizers as SDK `OptimizationPlugin`s
 * (plugins/sdk.ts), selectable by name: the generic ask/tell optimizers of
 * plugins/optimizers/ served by its `askTellPlugin` (one optimize() call =
 * adopt the start, one ask, evaluate, tell):
 *
 * - `cmaes` (the default): CMA-ES with IPOP restarts (./cmaes.ts),
 *   unbounded as the reference's domain is; one
 *   optimize() call = one generation (λ evaluations; when `budget` < λ the
 *   generation is spread over several calls and the distribution is updated
 *   when its λ points are in). Config: `sigma0` (3), `popsize` (λ₀, Table 1's
 *   4 + ⌊3 ln n⌋ = 10), `maxPopsize` (4096), `restartFrom` ("best" |
 *   "random").
 * - `random_step`: the reference's hill climber (./random-step.ts); one
 *   optimize() call = one step = one evaluation, whatever the budget.
 *   Config: `step_size` (0.5, the reference's name).
 * - `bobyqa`: the model-based trust region (plugins/optimizers/bobyqa.ts)
 *   over the box [lower, upper]¹⁰ (−10, 10: the reference's start range,
 *   which holds every seeded target); the first round is its initial design
 *   (npt points), then one point per round. Config: `npt` (12), `rhoBeg`,
 *   `rhoEnd`, `deltaInit`, `noise`, `lower`, `upper`.
 *
 * All also read the domain keys (`target`, `targetSeed`) to know the
 * objective they optimize, and keep their island (best point, CMA-ES state, bobyqa's model)
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
import { uniformBox, type AskTellOptimizer, type Objective } from "../optimizers/ask-tell.ts";
import { BobyqaOptimizer } from "../optimizers/bobyqa.ts";
import { askTellPlugin } from "../optimizers/plugin.ts";
import type { OptimizationPlugin } from "../sdk.ts";
import { quadraticCmaes } from "./cmaes.ts";
import { decodeParams, encodeParams, INIT_HIGH, INIT_LOW, N_PARAMS, performance, quantize, targetOf } from "./domain.ts";
import { quadraticRandomStep } from "./random-step.ts";

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

/** An island of `optimizer` on the quadratic objective of `config`. */
function quadraticPlugin(name: string, optimizer: AskTellOptimizer, config: JsonValue): OptimizationPlugin {
  const objective = quadraticObjective(config);
  return askTellPlugin({ domain: DOMAIN_ID, name, optimizer, decode: decodeParams, encode: encodeParams, evaluate: (points) => points.map(objective) });
}

export function randomStepOptimizer(config: JsonValue = {}): OptimizationPlugin {
  const c = record(config);
  const step = numberOr(c, "step_size", 0.5, (v) => Number.isFinite(v) && v > 0);
  return quadraticPlugin("random_step", quadraticRandomStep(step), config);
}

export function cmaesOptimizer(config: JsonValue = {}): OptimizationPlugin {
  const c = record(config);
  const restartFrom = c["restartFrom"] ?? "best";
  if (restartFrom !== "best" && restartFrom !== "random") throw new TypeError('optimizer config.restartFrom must be "best" or "random"');
  const es = quadraticCmaes({
    sigma0: numberOr(c, "sigma0", 3, (v) => Number.isFinite(v) && v > 0),
    lambda0: numberOr(c, "popsize", 4 + Math.floor(3 * Math.log(N_PARAMS)), (v) => Number.isInteger(v) && v >= 2),
    maxLambda: numberOr(c, "maxPopsize", 4096, (v) => Number.isInteger(v) && v >= 2),
    restartFrom,
  });
  return quadraticPlugin("cmaes", es, config);
}

export function bobyqaOptimizer(config: JsonValue = {}): OptimizationPlugin {
  const c = record(config);
  const positive = (v: number) => Number.isFinite(v) && v > 0;
  const opts = {
    box: uniformBox(N_PARAMS, numberOr(c, "lower", INIT_LOW, Number.isFinite), numberOr(c, "upper", INIT_HIGH, Number.isFinite)),
    // n + 2 points (not BOBYQA's usual 2n + 1): the first model comes after 12 evaluations instead of 21 (−50 in a median 15 evaluations instead of 23; −1 in 37 instead of 23)
    npt: numberOr(c, "npt", N_PARAMS + 2, Number.isInteger),
    ...(c["rhoBeg"] === undefined ? {} : { rhoBeg: numberOr(c, "rhoBeg", 0, positive) }),
    ...(c["rhoEnd"] === undefined ? {} : { rhoEnd: numberOr(c, "rhoEnd", 0, positive) }),
    ...(c["deltaInit"] === undefined ? {} : { deltaInit: numberOr(c, "deltaInit", 0, positive) }),
    ...(c["noise"] === undefined ? {} : { noise: numberOr(c, "noise", 0, (v) => Number.isFinite(v) && v >= 0) }),
  };
  let optimizer: BobyqaOptimizer;
  try {
    optimizer = new BobyqaOptimizer(opts);
  } catch (e) {
    throw new TypeError(`optimizer config is invalid: ${e instanceof Error ? e.message : String(e)}`);
  }
  return quadraticPlugin("bobyqa", optimizer, config);
}
