/**
 * The plugin SDK: what a DOIN domain provides, in three parts (the seed's
 * optimization, inference and synthetic-data plugins).
 *
 * Plugins run in GPU runners (Node), never in the Worker: they may be slow,
 * use floats and native code. What crosses into the protocol is converted at
 * the runner's boundary: parameters must be JSON whose numbers are safe
 * integers (encode reals as fixed-point, e.g. × 10⁶), and performances are
 * turned into Fixed micro-units by `toFixed` below.
 */
import type { JsonValue } from "../core/types.ts";

/** A domain's champion as the chain holds it (performance as a float here). */
export interface ChampionView {
  readonly params: JsonValue;
  readonly performance: number;
}

export interface OptimizeInput {
  /** the on-chain champion to start from (island model: adopted before each round), or null */
  readonly champion: ChampionView | null;
  /** this runner's own best so far (its island), when it is better than the champion */
  readonly local: ChampionView | null;
  /** deterministic seed for this round */
  readonly seed: number;
  /** evaluations this round may spend */
  readonly budget: number;
  readonly config: JsonValue;
}

export interface OptimizeOutput {
  readonly params: JsonValue;
  /** the optimizer's own measurement of `params` (the claim) */
  readonly performance: number;
  /** evaluations spent */
  readonly evaluations: number;
}

/** Optimizes from the current best: one round. */
export interface OptimizationPlugin {
  readonly domain: string;
  readonly name: string;
  optimize(input: OptimizeInput): Promise<OptimizeOutput>;
}

/** Evaluates parameters on data (verification) and runs them on an input (inference). */
export interface InferencePlugin {
  readonly domain: string;
  evaluate(params: JsonValue, data: JsonValue): Promise<number>;
  infer(params: JsonValue, input: JsonValue): Promise<JsonValue>;
}

/** Synthetic data from a seed: each evaluator's own, unknowable before the commit is on chain. */
export interface SyntheticDataPlugin {
  readonly domain: string;
  generate(seed: number, config: JsonValue): Promise<JsonValue>;
}

export interface DomainMeta {
  readonly id: string;
  readonly metric: string;
  readonly higherIsBetter: boolean;
  readonly description: string;
}

/**
 * An external worker process (gpu-runner/PROTOCOL.md) as a domain sees it,
 * to run its heavy inner loop there (a GPU pays when it gets a whole batch).
 */
export interface ExternalWorker {
  /** one request; rejects with the worker's error reply or a transport failure */
  request(method: string, params: JsonValue): Promise<JsonValue>;
  /** whether an error of `request` means the worker could not answer at all (crashed, timed out, closed): the CPU may take over */
  unavailable(error: unknown): boolean;
  /** what the worker's hello says of this domain */
  readonly info: JsonValue;
  /** "cuda" or "cpu" */
  readonly device: string;
  readonly log: (line: string) => void;
}

/** Everything a domain package exports (its `doin` entry's default export). */
export interface DomainPlugin {
  readonly meta: DomainMeta;
  /** optimizers by name; the default is `defaultOptimizer`, else the first */
  readonly optimizers: Readonly<Record<string, (config: JsonValue) => OptimizationPlugin>>;
  /** the optimizer a runner uses for this domain unless told otherwise (a key of `optimizers`) */
  readonly defaultOptimizer?: string;
  readonly inference: InferencePlugin;
  readonly synthetic: SyntheticDataPlugin;
  /**
   * Optional: optimizers whose heavy work runs on an external worker that
   * serves this domain; a runner started with one uses these in place of
   * the optimizers of the same name.
   */
  readonly external?: (worker: ExternalWorker) => Readonly<Record<string, (config: JsonValue) => OptimizationPlugin>>;
}

/** The domain's default optimizer: `defaultOptimizer` when it names one of its optimizers, else the first; undefined when it has none. */
export function defaultOptimizerOf(plugin: DomainPlugin): string | undefined {
  const names = Object.keys(plugin.optimizers);
  return plugin.defaultOptimizer !== undefined && names.includes(plugin.defaultOptimizer) ? plugin.defaultOptimizer : names[0];
}

/** Float performance → Fixed micro-units (round half away from zero), the only conversion the protocol sees. */
export function toFixed(performance: number): bigint {
  if (!Number.isFinite(performance)) throw new RangeError(`performance must be finite, got ${performance}`);
  const scaled = Math.round(Math.abs(performance) * 1_000_000);
  return BigInt(Math.sign(performance) < 0 ? -scaled : scaled);
}

export function fromFixed(value: bigint | string): number {
  return Number(BigInt(value)) / 1_000_000;
}
