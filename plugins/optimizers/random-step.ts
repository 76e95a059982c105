/**
 * The reference's random-step hill climber (doin-plugins
 * quadratic_optimizer.py; reference notes §4.2), ask/tell:
 *
 * - start from the current best (an adopted point, or this island's own
 *   best), else from a point drawn uniformly in the box (never evaluated
 *   itself: the reference's first candidate is already a step from it);
 * - each ask is ONE candidate = best + N(0, step_size²) per coordinate
 *   (step_size 0.5), mirrored into the box when `confine`;
 * - tell keeps the candidate if it improves on the best (or if there was
 *   none).
 *
 * The baseline of the optimization benchmark.
 */
import type { Rng } from "../rng.ts";
import { beats, checkBox, checkTold, mirror, type AskTellOptimizer, type Box, type Point } from "./ask-tell.ts";

export interface RandomStepOptions {
  readonly box: Box;
  /** standard deviation of a step, per coordinate (default 0.5) */
  readonly stepSize?: number;
  /** mirror candidates into the box (default true); false: the box only bounds the first start */
  readonly confine?: boolean;
}

export class RandomStepOptimizer implements AskTellOptimizer {
  readonly name = "random_step";
  readonly dim: number;
  readonly box: Box;
  readonly stepSize: number;
  readonly confine: boolean;
  private bestSoFar: Point | null = null;
  private asked: number[][] = [];

  constructor(opts: RandomStepOptions) {
    this.box = checkBox(opts.box);
    this.dim = this.box.lower.length;
    this.stepSize = opts.stepSize ?? 0.5;
    this.confine = opts.confine ?? true;
    if (!(this.stepSize > 0) || !Number.isFinite(this.stepSize)) throw new RangeError("stepSize must be a positive number");
  }

  best(): Point | null {
    return this.bestSoFar;
  }

  adopt(point: Point): boolean {
    if (!beats(point.f, this.bestSoFar)) return false;
    this.bestSoFar = { x: [...point.x], f: point.f };
    this.asked = [];
    return true;
  }

  /** One candidate, whatever `max`. */
  ask(rng: Rng): number[][] {
    const { lower, upper } = this.box;
    const x = this.bestSoFar?.x ?? lower.map((lo, i) => rng.uniform(lo, upper[i] as number));
    const candidate = x.map((v, i) => {
      const c = v + rng.normal() * this.stepSize;
      return this.confine ? mirror(c, lower[i] as number, upper[i] as number) : c;
    });
    this.asked = [candidate];
    return [[...candidate]];
  }

  tell(points: readonly (readonly number[])[], values: readonly number[]): void {
    checkTold(this.asked, points, values);
    const candidate = this.asked[0] as number[];
    const f = values[0] as number;
    if (beats(f, this.bestSoFar)) this.bestSoFar = { x: candidate, f };
    this.asked = [];
  }
}
