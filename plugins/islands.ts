/**
 * The island model of a DOIN network, simulated in-process for any domain
 * plugin (no network, no chain: the point is the optimizer and the number of
 * islands). Used by bench/optimization.ts and the plugin tests.
 *
 * N nodes, each with its own optimizer instance (its island). Every round:
 *
 * 1. each node is offered the champion it would adopt (migration): with
 *    topology "full" the chain's champion as it stood at the start of the
 *    round (every node reads the same chain); "ring" the best of its two ring
 *    neighbours' islands at the start of the round; "none" nothing
 *    (independent runs: the chain's champion is then the best of N runs).
 *    It migrates in only every `migrationEvery` rounds (1: every round), and
 *    only when it beats the node's own best — as gpu-runner's Island does;
 * 2. each node runs one optimize() (one round = one optimize job per node,
 *    as the reference counts rounds), seeded by (seed, node, round);
 * 3. a node's result becomes the chain's champion only if it beats the
 *    current champion by `epsilon` (the chain's quality bar; the first
 *    result always does, as against the initial champion).
 *
 * It records, for each threshold, the first round at whose end the champion
 * reached it, the evaluations all nodes had spent by then, and the wall time.
 */
import type { JsonValue } from "../core/types.ts";
import { deriveSeed } from "./rng.ts";
import { defaultOptimizerOf, type ChampionView, type DomainPlugin, type OptimizationPlugin } from "./sdk.ts";

export type Topology = "full" | "ring" | "none";

export interface IslandOptions {
  readonly plugin: DomainPlugin;
  /** optimizer name (default: the plugin's default, plugins/sdk.ts) */
  readonly optimizer?: string;
  readonly optimizerConfig?: JsonValue;
  readonly nodes: number;
  /** the run's seed: each node's rounds are seeded from (seed, node, round) */
  readonly seed: number;
  /** evaluations a round may spend (default: unlimited) */
  readonly budget?: number;
  /** the chain's quality bar, in performance units (e.g. 0.01) */
  readonly epsilon: number;
  /** performances to reach, in any order; the run stops when all are reached */
  readonly thresholds: readonly number[];
  readonly maxRounds: number;
  /** migrate every k rounds (default 1; 0: never) */
  readonly migrationEvery?: number;
  /** who a node adopts from (default "full") */
  readonly topology?: Topology;
}

export interface Reached {
  readonly round: number;
  readonly evaluations: number;
  readonly ms: number;
}

export interface IslandRun {
  /** per threshold (same order as given): when it was reached, or null within maxRounds */
  readonly reached: readonly (Reached | null)[];
  readonly rounds: number;
  readonly evaluations: number;
  readonly champion: ChampionView | null;
  /** how many results the chain accepted */
  readonly accepted: number;
}

export async function simulateIslands(opts: IslandOptions): Promise<IslandRun> {
  const higher = opts.plugin.meta.higherIsBetter;
  const better = (a: number, b: number) => (higher ? a > b : a < b);
  const beatsBy = (a: number, b: number, eps: number) => (higher ? a >= b + eps : a <= b - eps);
  const name = opts.optimizer ?? defaultOptimizerOf(opts.plugin);
  const make = name === undefined ? undefined : opts.plugin.optimizers[name];
  if (make === undefined) throw new Error(`domain ${opts.plugin.meta.id} has no optimizer ${String(opts.optimizer)}`);
  const config = opts.optimizerConfig ?? {};
  const topology = opts.topology ?? "full";
  const every = opts.migrationEvery ?? 1;
  const budget = opts.budget ?? Number.MAX_SAFE_INTEGER;

  const islands: OptimizationPlugin[] = Array.from({ length: opts.nodes }, () => make(config));
  const own: (ChampionView | null)[] = Array.from({ length: opts.nodes }, () => null);
  let champion: ChampionView | null = null;
  let evaluations = 0;
  let accepted = 0;
  const reached: (Reached | null)[] = opts.thresholds.map(() => null);
  const t0 = performance.now();
  let round = 0;
  while (round < opts.maxRounds && reached.some((r) => r === null)) {
    round++;
    const startChampion = champion;
    const startOwn = [...own];
    const migrate = every > 0 && (round - 1) % every === 0;
    for (let i = 0; i < opts.nodes; i++) {
      let offer: ChampionView | null = null;
      if (migrate && topology === "full") offer = startChampion;
      if (migrate && topology === "ring" && opts.nodes > 1) {
        for (const j of [(i + opts.nodes - 1) % opts.nodes, (i + 1) % opts.nodes]) {
          const c = startOwn[j];
          if (j !== i && c !== null && c !== undefined && (offer === null || better(c.performance, offer.performance))) offer = c;
        }
      }
      const mine = own[i] ?? null;
      const adopted = offer !== null && (mine === null || better(offer.performance, mine.performance)) ? offer : null;
      if (adopted !== null) own[i] = adopted;
      const out = await (islands[i] as OptimizationPlugin).optimize({
        champion: adopted,
        local: adopted === null ? mine : null,
        seed: deriveSeed(opts.seed, i, round),
        budget,
        config,
      });
      evaluations += out.evaluations;
      const current = own[i] ?? null;
      if (current === null || better(out.performance, current.performance)) own[i] = { params: out.params, performance: out.performance };
      if (champion === null || beatsBy(out.performance, champion.performance, opts.epsilon)) {
        champion = { params: out.params, performance: out.performance };
        accepted++;
      }
    }
    const c = champion as ChampionView | null;
    opts.thresholds.forEach((t, k) => {
      if (reached[k] === null && c !== null && (higher ? c.performance >= t : c.performance <= t)) {
        reached[k] = { round, evaluations, ms: performance.now() - t0 };
      }
    });
  }
  return { reached, rounds: round, evaluations, champion, accepted };
}
