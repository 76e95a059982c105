/**
 * The quadratic domain's CMA-ES island: the generic CMA-ES
 * (plugins/optimizers/cmaes.ts) with the reference's settings — 10
 * coordinates, unbounded (the first mean uniform in the reference's
 * [−10, 10]¹⁰), σ₀ = 3 (0.3 × the width of the target box [−5, 5]) — and
 * one round = adopt the start when it is better, then one ask/evaluate/tell.
 */
import type { Rng } from "../rng.ts";
import { roundSync, uniformBox, type Objective, type Point } from "../optimizers/ask-tell.ts";
import { CmaesOptimizer, type StopReason } from "../optimizers/cmaes.ts";
import { INIT_HIGH, INIT_LOW, N_PARAMS } from "./domain.ts";

export { strategyParameters, symmetricEigen, type StrategyParameters } from "../optimizers/cmaes.ts";

export interface CmaesOptions {
  /** initial step size σ₀ (default 3) */
  readonly sigma0?: number;
  /** first population size (default Table 1's 4 + ⌊3 ln n⌋ = 10) */
  readonly lambda0?: number;
  /** IPOP doubles λ at each restart up to this (default 4096) */
  readonly maxLambda?: number;
  /** where a restart puts the mean (default "best") */
  readonly restartFrom?: "best" | "random";
}

/** The generic CMA-ES with the quadratic's settings. */
export function quadraticCmaes(opts: CmaesOptions = {}): CmaesOptimizer {
  return new CmaesOptimizer({
    box: uniformBox(N_PARAMS, INIT_LOW, INIT_HIGH),
    confine: false,
    sigma0: opts.sigma0 ?? 3,
    ...(opts.lambda0 === undefined ? {} : { lambda0: opts.lambda0 }),
    ...(opts.maxLambda === undefined ? {} : { maxLambda: opts.maxLambda }),
    ...(opts.restartFrom === undefined ? {} : { restartFrom: opts.restartFrom }),
  });
}

/** A quadratic CMA-ES island driven by rounds on a synchronous objective. */
export class Cmaes {
  readonly es: CmaesOptimizer;

  constructor(opts: CmaesOptions = {}) {
    this.es = quadraticCmaes(opts);
  }

  /**
   * One round: adopt `start` if it beats this island's best (migration), then
   * evaluate up to `budget` points of the current generation (with budget ≥ λ
   * a round is exactly one generation).
   */
  round(objective: Objective, rng: Rng, start: Point | null, budget = Number.POSITIVE_INFINITY): { best: Point; evaluations: number } {
    return roundSync(this.es, objective, rng, start, budget);
  }

  get best(): Point | null {
    return this.es.best();
  }
  get lambda(): number {
    return this.es.lambda;
  }
  get restarts(): number {
    return this.es.restarts;
  }
  get stopReason(): StopReason | null {
    return this.es.stopReason;
  }
  get currentMean(): readonly number[] {
    return this.es.currentMean;
  }
}
