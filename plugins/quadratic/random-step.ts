/**
 * The quadratic domain's random-step island: the generic hill climber
 * (plugins/optimizers/random-step.ts) unbounded, with the reference's start
 * U(−10, 10)¹⁰; one round = adopt the start when it is better, then one step
 * (one evaluation).
 */
import type { Rng } from "../rng.ts";
import { roundSync, uniformBox, type Objective, type Point } from "../optimizers/ask-tell.ts";
import { RandomStepOptimizer } from "../optimizers/random-step.ts";
import { INIT_HIGH, INIT_LOW, N_PARAMS } from "./domain.ts";

/** The generic hill climber with the quadratic's settings. */
export function quadraticRandomStep(stepSize = 0.5): RandomStepOptimizer {
  return new RandomStepOptimizer({ box: uniformBox(N_PARAMS, INIT_LOW, INIT_HIGH), stepSize, confine: false });
}

/** A quadratic random-step island driven by rounds on a synchronous objective. */
export class RandomStep {
  private readonly climber: RandomStepOptimizer;

  constructor(
    private readonly objective: Objective,
    stepSize = 0.5,
  ) {
    this.climber = quadraticRandomStep(stepSize);
  }

  get best(): Point | null {
    return this.climber.best();
  }

  /** One round from `start` (adopted when better than this island's best), with this round's randomness. */
  round(rng: Rng, start: Point | null): { best: Point; evaluations: number } {
    return roundSync(this.climber, this.objective, rng, start, 1);
  }
}
