/**
 * The reference's random-step hill climber (doin-plugins
 * quadratic_optimizer.py; reference notes §4.2), exactly:
 *
 * - start from the current best (the adopted champion, or this island's own
 *   best), else from x ~ U(−10, 10)ⁿ;
 * - candidate = x + N(0, step_size²) per coordinate, step_size 0.5;
 * - ONE evaluation per round (one optimize() call = one step): return the
 *   candidate if it improves on the current best (or if there was none),
 *   else the current best.
 *
 * The baseline of the optimization benchmark.
 */
import { INIT_HIGH, INIT_LOW, N_PARAMS } from "./domain.ts";
import type { Rng } from "./rng.ts";

/** A point and its performance (higher is better). */
export interface Point {
  readonly x: readonly number[];
  readonly f: number;
}

export interface Objective {
  /** higher is better */
  (x: readonly number[]): number;
}

/** One step of the hill climber; pure apart from `rng`. */
export function randomStepRound(objective: Objective, rng: Rng, current: Point | null, stepSize = 0.5, n = N_PARAMS): { best: Point; evaluations: number } {
  const x = current?.x ?? Array.from({ length: n }, () => rng.uniform(INIT_LOW, INIT_HIGH));
  const candidate = x.map((v) => v + rng.normal() * stepSize);
  const f = objective(candidate);
  if (current === null || f > current.f) return { best: { x: candidate, f }, evaluations: 1 };
  return { best: current, evaluations: 1 };
}

/** The hill climber's state between rounds: its best (its island). */
export class RandomStep {
  private bestSoFar: Point | null = null;
  private readonly objective: Objective;
  private readonly stepSize: number;
  private readonly n: number;

  constructor(objective: Objective, stepSize = 0.5, n = N_PARAMS) {
    this.objective = objective;
    this.stepSize = stepSize;
    this.n = n;
  }

  get best(): Point | null {
    return this.bestSoFar;
  }

  /** One round from `start` (adopted when better than this island's best), with this round's randomness. */
  round(rng: Rng, start: Point | null): { best: Point; evaluations: number } {
    if (start !== null && (this.bestSoFar === null || start.f > this.bestSoFar.f)) this.bestSoFar = { x: [...start.x], f: start.f };
    const r = randomStepRound(this.objective, rng, this.bestSoFar, this.stepSize, this.n);
    this.bestSoFar = r.best;
    return r;
  }
}
