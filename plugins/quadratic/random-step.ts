/**
 * The reference's random-step hill climber (doin-plugins
 * quadratic_optimizer.py): from the current best, one candidate
 * x + N(0, step²) per coordinate, one evaluation per round; keep it if it
 * improves. The baseline of the optimization benchmark.
 */
import { N_PARAMS } from "./domain.ts";
import { createRng, type Rng } from "./rng.ts";

export interface Objective {
  /** higher is better */
  (x: readonly number[]): number;
}

export interface Optimizer {
  /** one round from `start` (the adopted champion, if better than its own); returns its best */
  round(objective: Objective, start: { x: readonly number[]; f: number } | null): { x: number[]; f: number; evaluations: number };
}

export function randomStep(seed: number, step = 0.5): Optimizer {
  const rng: Rng = createRng(seed);
  let best: { x: number[]; f: number } | null = null;
  return {
    round(objective, start) {
      if (start !== null && (best === null || start.f > best.f)) best = { x: [...start.x], f: start.f };
      if (best === null) {
        const x = Array.from({ length: N_PARAMS }, () => rng.uniform(-10, 10));
        best = { x, f: objective(x) };
        return { ...best, evaluations: 1 };
      }
      const candidate = best.x.map((v) => v + rng.normal() * step);
      const f = objective(candidate);
      if (f > best.f) best = { x: candidate, f };
      return { x: [...best.x], f: best.f, evaluations: 1 };
    },
  };
}
