/**
 * The quadratic reference domain as a DOIN domain plugin (plugins/sdk.ts):
 * the default export is a `DomainPlugin` with the default configuration
 * (the shared target from `DEFAULT_TARGET_SEED`); `createQuadraticDomain`
 * builds one for another `target`/`targetSeed`/`noise_std`.
 *
 * - optimizers: `cmaes` (default, first), `random_step` and `bobyqa`
 *   (./optimizers.ts);
 *   each factory's config is merged over the domain's;
 * - inference.evaluate(params, data) = −Σ(x − data.target)² (the
 *   reference's quadratic_inferencer with synthetic data); `data` null
 *   scores against the domain's own target;
 * - inference.infer(params, input): the model is the point x, so
 *   - `input.target` given (10 numbers): `{loss, neg_mse}` with loss =
 *     Σ(x − input.target)² and neg_mse = −loss (what x "predicts" for
 *     that target: its error);
 *   - otherwise: `{x: [floats]}`, the parameters themselves;
 *   - params null (no champion yet): an error (no default model);
 * - synthetic.generate(seed, config) = `{target: target + N(0, 0.1²) per
 *   coordinate, synthetic: true, noise_std: 0.1}` (./domain.ts).
 */
import type { JsonValue } from "../../core/types.ts";
import type { DomainPlugin } from "../sdk.ts";
import { dataTarget, decodeParams, N_PARAMS, parseConfig, performance, syntheticData, targetOf } from "./domain.ts";
import { bobyqaOptimizer, cmaesOptimizer, DOMAIN_ID, randomStepOptimizer } from "./optimizers.ts";

export { DOMAIN_ID } from "./optimizers.ts";
export * from "./domain.ts";
export { bobyqaOptimizer, cmaesOptimizer, randomStepOptimizer, quadraticObjective } from "./optimizers.ts";
export { Cmaes, strategyParameters, symmetricEigen, type CmaesOptions, type StrategyParameters } from "./cmaes.ts";
export { RandomStep } from "./random-step.ts";
export type { Objective, Point } from "../optimizers/ask-tell.ts";
export { createRng, deriveSeed, type Rng } from "../rng.ts";

function merge(base: JsonValue, over: JsonValue | undefined): JsonValue {
  const isObj = (v: unknown): v is Record<string, JsonValue> => typeof v === "object" && v !== null && !Array.isArray(v);
  if (over === undefined || over === null) return base;
  if (!isObj(over)) throw new TypeError("config must be an object");
  return isObj(base) ? { ...base, ...over } : over;
}

export function createQuadraticDomain(domainConfig: JsonValue = {}): DomainPlugin {
  parseConfig(domainConfig); // fail early on a bad target
  const target = targetOf(domainConfig);
  return {
    meta: {
      id: DOMAIN_ID,
      metric: "neg_mse",
      higherIsBetter: true,
      description: `Quadratic reference domain: x ∈ R^${N_PARAMS}, performance −Σ(xᵢ − targetᵢ)² (higher is better), target shared from targetSeed; synthetic data = target + N(0, 0.1²).`,
    },
    optimizers: {
      cmaes: (config) => cmaesOptimizer(merge(domainConfig, config)),
      random_step: (config) => randomStepOptimizer(merge(domainConfig, config)),
      bobyqa: (config) => bobyqaOptimizer(merge(domainConfig, config)),
    },
    inference: {
      domain: DOMAIN_ID,
      async evaluate(params, data) {
        const against = data === null ? target : dataTarget(data);
        return performance(decodeParams(params), against);
      },
      async infer(params, input) {
        if (params === null) throw new Error("quadratic: no model to run (no champion yet)");
        const x = decodeParams(params);
        const t = input !== null && typeof input === "object" && !Array.isArray(input) ? (input as { readonly [k: string]: JsonValue })["target"] : undefined;
        if (t !== undefined) {
          const loss = -performance(x, dataTarget({ target: t }));
          return { loss, neg_mse: loss === 0 ? 0 : -loss };
        }
        return { x };
      },
    },
    synthetic: {
      domain: DOMAIN_ID,
      async generate(seed, config) {
        const d = syntheticData(seed, merge(domainConfig, config));
        return { target: d.target, synthetic: true, noise_std: d.noise_std };
      },
    },
  };
}

const quadratic: DomainPlugin = createQuadraticDomain();
export default quadratic;
