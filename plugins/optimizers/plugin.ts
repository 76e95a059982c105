/**
 * An ask/tell optimizer as a domain's `OptimizationPlugin` (plugins/sdk.ts):
 * one optimize() call is one round of its island —
 *
 * 1. the round's start is the better of `input.champion` and `input.local`
 *    (their performance taken as given: no evaluation is spent on it); it is
 *    adopted when it beats the optimizer's own best (migration);
 * 2. ask at most `input.budget` points with the round's seeded generator
 *    (`createRng(input.seed)`);
 * 3. evaluate them in one call (`evaluate(points, seed)`: a domain trains a
 *    whole batch at once where it can) and tell the values;
 * 4. return the optimizer's best, encoded, with the evaluations spent.
 *
 * The optimizers maximize; a domain whose metric is lower-is-better passes
 * `higherIsBetter: false` and its values are negated in between.
 */
import type { JsonValue } from "../../core/types.ts";
import { createRng } from "../rng.ts";
import type { ChampionView, OptimizationPlugin, OptimizeInput } from "../sdk.ts";
import type { AskTellOptimizer, Point } from "./ask-tell.ts";

export interface AskTellPluginOptions {
  readonly domain: string;
  /** the optimizer's name in the domain (e.g. "bobyqa") */
  readonly name: string;
  /** this island's optimizer (one instance per plugin instance) */
  readonly optimizer: AskTellOptimizer;
  /** wire params → point (throws on params of another shape) */
  readonly decode: (params: JsonValue) => number[];
  /** point → wire params: the parameters whose performance the round claims */
  readonly encode: (x: readonly number[]) => JsonValue;
  /** the domain's performance of each point, in order (NaN: failed); `seed` is the round's */
  readonly evaluate: (points: number[][], seed: number) => Promise<number[]> | number[];
  /** the domain's metric direction (default true) */
  readonly higherIsBetter?: boolean;
}

export function askTellPlugin(opts: AskTellPluginOptions): OptimizationPlugin {
  const sign = opts.higherIsBetter === false ? -1 : 1;
  const startOf = (input: OptimizeInput): Point | null => {
    let start: Point | null = null;
    for (const c of [input.champion, input.local] as (ChampionView | null)[]) {
      if (c === null || c.params === null || !Number.isFinite(c.performance)) continue;
      const f = sign * c.performance;
      if (start === null || f > start.f) start = { x: opts.decode(c.params), f };
    }
    return start;
  };
  return {
    domain: opts.domain,
    name: opts.name,
    async optimize(input) {
      const start = startOf(input);
      if (start !== null) opts.optimizer.adopt(start);
      const points = opts.optimizer.ask(createRng(input.seed), input.budget >= 1 ? Math.floor(input.budget) : 1);
      const values = await opts.evaluate(points, input.seed);
      if (values.length !== points.length) throw new RangeError(`${opts.domain}/${opts.name}: evaluate returned ${values.length} values for ${points.length} points`);
      opts.optimizer.tell(
        points,
        values.map((v) => sign * v),
      );
      const best = opts.optimizer.best();
      if (best === null) throw new Error(`${opts.domain}/${opts.name}: no evaluation has given a value yet`);
      return { params: opts.encode(best.x), performance: sign * best.f, evaluations: points.length };
    },
  };
}
