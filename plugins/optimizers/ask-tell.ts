/**
 * The ask/tell contract of the domain-independent optimizers: a search over a
 * box-bounded real vector, with the evaluation left to the caller (a domain
 * trains a whole batch in one GPU call, or scores one point on the CPU).
 *
 *     const opt = new BobyqaOptimizer({ box });    // or CmaesOptimizer
 *     opt.adopt(champion);                          // optional: migration in
 *     const points = opt.ask(rng, budget);          // ≥ 1 point, ≤ budget
 *     opt.tell(points, await evaluate(points));     // same points, same order
 *     opt.best();                                   // {x, f} or null
 *
 * - Higher is better. A failed evaluation is told as NaN (ranked worst).
 * - `ask(rng, max)` returns the points it wants next: a whole generation for
 *   CMA-ES, one point (or the initial design) for a model-based method; at
 *   most `max` of them (default: all). All randomness comes from `rng`.
 * - `tell(points, values)` takes the points of the last ask, in the same
 *   order, each with its value. Telling other points is a bug (RangeError).
 * - `best()` is the best point told or adopted, with its value.
 * - `adopt({x, f})` is island migration: a point from elsewhere (the
 *   network's champion) with its known value, taken when it beats best()
 *   (returns whether it did). Points still asked are dropped then.
 *
 * Seeded: the same sequence of calls with the same seeds gives the same
 * points. The optimizers never read a clock or Math.random.
 */
import type { Rng } from "../rng.ts";

/** Box bounds: lower[i] < upper[i], all finite, one entry per coordinate. */
export interface Box {
  readonly lower: readonly number[];
  readonly upper: readonly number[];
}

/** A point and its value (higher is better). */
export interface Point {
  readonly x: readonly number[];
  readonly f: number;
}

/** A synchronous objective, higher is better (for cheap domains and tests). */
export interface Objective {
  (x: readonly number[]): number;
}

export interface AskTellOptimizer {
  /** the optimizer's name, e.g. "cmaes" */
  readonly name: string;
  readonly dim: number;
  readonly box: Box;
  ask(rng: Rng, max?: number): number[][];
  tell(points: readonly (readonly number[])[], values: readonly number[]): void;
  best(): Point | null;
  adopt(point: Point): boolean;
}

/** Checks a box and returns a copy; throws RangeError on a bad one. */
export function checkBox(box: Box, dim?: number): Box {
  const { lower, upper } = box;
  const n = dim ?? lower.length;
  if (!Number.isInteger(n) || n < 1) throw new RangeError("box dimension must be a positive integer");
  if (lower.length !== n || upper.length !== n) throw new RangeError(`box bounds must have ${n} entries`);
  for (let i = 0; i < n; i++) {
    const lo = lower[i] as number;
    const hi = upper[i] as number;
    if (!Number.isFinite(lo) || !Number.isFinite(hi) || !(lo < hi)) throw new RangeError(`box coordinate ${i}: need finite lower < upper, got [${lo}, ${hi}]`);
  }
  return { lower: [...lower], upper: [...upper] };
}

/** The same box in every coordinate. */
export function uniformBox(dim: number, lower: number, upper: number): Box {
  return checkBox({ lower: Array.from({ length: dim }, () => lower), upper: Array.from({ length: dim }, () => upper) });
}

export function inBox(x: readonly number[], box: Box): boolean {
  return x.every((v, i) => v >= (box.lower[i] as number) && v <= (box.upper[i] as number));
}

/** The nearest point of the box (coordinate-wise projection). */
export function clipToBox(x: readonly number[], box: Box): number[] {
  return x.map((v, i) => Math.min(box.upper[i] as number, Math.max(box.lower[i] as number, v)));
}

/** `v` reflected into [lo, hi] (mirror at the bounds, period 2(hi − lo)). */
export function mirror(v: number, lo: number, hi: number): number {
  if (v >= lo && v <= hi) return v;
  const w = hi - lo;
  const t = (((v - lo) % (2 * w)) + 2 * w) % (2 * w);
  return t <= w ? lo + t : hi - (t - w);
}

/** The outstanding points of an ask, matched against a tell; throws RangeError when they differ. */
export function checkTold(asked: readonly (readonly number[])[], points: readonly (readonly number[])[], values: readonly number[]): void {
  if (points.length !== values.length) throw new RangeError(`tell: ${points.length} points but ${values.length} values`);
  if (points.length !== asked.length) throw new RangeError(`tell: the last ask gave ${asked.length} points, told ${points.length}`);
  for (let k = 0; k < points.length; k++) {
    const p = points[k] as readonly number[];
    const a = asked[k] as readonly number[];
    if (p.length !== a.length || p.some((v, i) => v !== a[i])) throw new RangeError(`tell: point ${k} is not the one asked`);
  }
}

/** Whether `a` beats `b` (NaN never does). */
export function beats(a: number, b: Point | null): boolean {
  return !Number.isNaN(a) && (b === null || a > b.f);
}

/**
 * One round on a synchronous objective: adopt `start` when it is better,
 * ask at most `budget` points (NaN, 0 or less: one), evaluate, tell.
 */
export function roundSync(opt: AskTellOptimizer, objective: Objective, rng: Rng, start: Point | null, budget = Number.POSITIVE_INFINITY): { best: Point; evaluations: number } {
  if (start !== null) opt.adopt(start);
  const points = opt.ask(rng, budget >= 1 ? Math.floor(budget) : 1);
  opt.tell(points, points.map((x) => objective(x)));
  return { best: opt.best() as Point, evaluations: points.length };
}
