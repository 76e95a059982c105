/**
 * Domain-independent optimizers over a box-bounded real vector, ask/tell
 * (./ask-tell.ts): CMA-ES (./cmaes.ts), the model-based trust region of
 * BOBYQA's formulation (./bobyqa.ts), the reference's random step
 * (./random-step.ts), and `askTellPlugin` (./plugin.ts) to serve any of
 * them as a domain's OptimizationPlugin.
 */
export * from "./ask-tell.ts";
export { CmaesOptimizer, defaultLambda, strategyParameters, symmetricEigen, type CmaesOptions, type StopReason, type StrategyParameters } from "./cmaes.ts";
export { BobyqaOptimizer, type BobyqaOptions } from "./bobyqa.ts";
export { RandomStepOptimizer, type RandomStepOptions } from "./random-step.ts";
export { askTellPlugin, type AskTellPluginOptions } from "./plugin.ts";
export { createRng, deriveSeed, type Rng } from "../rng.ts";
