/**
 * The quadratic reference domain, as the reference defines it
 * (doin-plugins quadratic_*): parameters x ∈ R¹⁰, performance
 * neg_mse = −Σ(xᵢ − tᵢ)² (the reference's name; it is the negative sum of
 * squares), higher is better; synthetic data = the target plus N(0, 0.1)
 * noise per coordinate, from the evaluator's seed. Unlike the reference, the
 * target is shared by every node (from `targetSeed`), so verification
 * compares like with like.
 */
import type { JsonValue } from "../../core/types.ts";
import { createRng } from "./rng.ts";

export const N_PARAMS = 10;
export const NOISE_STD = 0.1;
export const EASY_TARGET = -100;
export const HARD_TARGET = -50;
/** Parameters travel as fixed-point integers (× 10⁶): no float reaches a hash. */
const SCALE = 1_000_000;

export interface QuadraticConfig {
  readonly targetSeed: number;
}

export const DEFAULT_CONFIG: QuadraticConfig = { targetSeed: 20_261_126 };

export function targetOf(config: QuadraticConfig): number[] {
  const rng = createRng(config.targetSeed);
  return Array.from({ length: N_PARAMS }, () => rng.uniform(-5, 5));
}

export function performance(x: readonly number[], target: readonly number[]): number {
  let sse = 0;
  for (let i = 0; i < target.length; i++) {
    const d = (x[i] ?? 0) - (target[i] as number);
    sse += d * d;
  }
  return -sse;
}

export function encodeParams(x: readonly number[]): JsonValue {
  return { x: x.map((v) => Math.round(v * SCALE)) };
}

export function decodeParams(params: JsonValue): number[] {
  const x = (params as { x?: unknown } | null)?.x;
  if (!Array.isArray(x) || x.length !== N_PARAMS || !x.every((v) => Number.isSafeInteger(v))) {
    throw new TypeError(`quadratic params must be {x: ${N_PARAMS} integers (fixed-point × 10⁶)}`);
  }
  return x.map((v: number) => v / SCALE);
}

/** The evaluator's synthetic data: the shared target plus noise from its own seed. */
export function syntheticData(seed: number, config: QuadraticConfig): { target: number[]; noiseStd: number } {
  const rng = createRng(seed);
  return { target: targetOf(config).map((t) => t + rng.normal() * NOISE_STD), noiseStd: NOISE_STD };
}
