/**
 * The quadratic reference domain, as the reference defines it
 * (doin-plugins quadratic_optimizer.py, quadratic_inferencer.py,
 * quadratic_synthetic.py; docs: /work/shared/reference notes §4.2):
 *
 * - parameters `{x: number[10]}`; on the wire each xᵢ is a fixed-point
 *   integer × 10⁶ (`encodeParams` / `decodeParams`), so no float reaches a
 *   hash;
 * - performance `neg_mse` = −Σᵢ(xᵢ − targetᵢ)² (the reference's name; it is
 *   the negative sum of squared errors), higher is better, 0 at the target;
 * - target: config `target` (10 numbers) if given, else uniform in [−5, 5]¹⁰
 *   from the seeded generator at config `targetSeed` (default
 *   `DEFAULT_TARGET_SEED`). Unlike the reference (unseeded numpy, so every
 *   node optimized its own random objective), every node of a network shares
 *   one target, so verification compares like with like;
 * - synthetic data from an evaluator's seed: `{target: target + N(0,
 *   noise_std²) per coordinate, synthetic: true, noise_std}`, noise_std
 *   default 0.1 (config `noise_std`);
 * - benchmark stop criteria: easy −100, hard −50 (SSE ≤ 100 resp. ≤ 50),
 *   precision −1 (where a fixed step stalls: it ranks optimizers by the
 *   evaluations a precise optimum costs).
 */
import type { JsonValue } from "../../core/types.ts";
import { createRng } from "../rng.ts";

export const N_PARAMS = 10;
export const NOISE_STD = 0.1;
export const EASY_TARGET = -100;
export const HARD_TARGET = -50;
export const PRECISION_TARGET = -1;
/** Fixed-point scale of parameters on the wire (micro-units). */
export const PARAM_SCALE = 1_000_000;
export const DEFAULT_TARGET_SEED = 20_261_126;
/** The reference's random start for the optimizer: U(−10, 10) per coordinate. */
export const INIT_LOW = -10;
export const INIT_HIGH = 10;

export interface QuadraticConfig {
  /** the target itself (10 finite numbers); wins over targetSeed */
  readonly target?: readonly number[];
  /** seed of the shared target, uniform in [−5, 5]¹⁰ */
  readonly targetSeed?: number;
  /** synthetic data noise, per coordinate (standard deviation) */
  readonly noise_std?: number;
}

/** The network default: the shared target of DEFAULT_TARGET_SEED. */
export const DEFAULT_CONFIG: { readonly targetSeed: number } = { targetSeed: DEFAULT_TARGET_SEED };

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Reads the quadratic keys of a config (other keys are ignored: optimizers keep theirs in the same object). */
export function parseConfig(config: JsonValue | QuadraticConfig | undefined): QuadraticConfig {
  if (config === undefined || config === null) return {};
  if (!isRecord(config)) throw new TypeError("quadratic config must be an object");
  const out: { target?: number[]; targetSeed?: number; noise_std?: number } = {};
  const { target, targetSeed, noise_std } = config;
  if (target !== undefined) {
    if (!Array.isArray(target) || target.length !== N_PARAMS || !target.every((t) => typeof t === "number" && Number.isFinite(t))) {
      throw new TypeError(`quadratic config.target must be ${N_PARAMS} finite numbers`);
    }
    out.target = [...(target as number[])];
  }
  if (targetSeed !== undefined) {
    if (typeof targetSeed !== "number" || !Number.isSafeInteger(targetSeed)) throw new TypeError("quadratic config.targetSeed must be an integer");
    out.targetSeed = targetSeed;
  }
  if (noise_std !== undefined) {
    if (typeof noise_std !== "number" || !Number.isFinite(noise_std) || noise_std < 0) throw new TypeError("quadratic config.noise_std must be a number ≥ 0");
    out.noise_std = noise_std;
  }
  return out;
}

/** The shared target: `config.target`, else uniform in [−5, 5]¹⁰ from `config.targetSeed` (default DEFAULT_TARGET_SEED). */
export function targetOf(config: JsonValue | QuadraticConfig = DEFAULT_CONFIG): number[] {
  const c = parseConfig(config);
  if (c.target !== undefined) return [...c.target];
  const rng = createRng(c.targetSeed ?? DEFAULT_TARGET_SEED);
  return Array.from({ length: N_PARAMS }, () => rng.uniform(-5, 5));
}

/** neg_mse: −Σ(xᵢ − targetᵢ)², higher is better. */
export function performance(x: readonly number[], target: readonly number[]): number {
  if (x.length !== target.length) throw new RangeError(`expected ${target.length} parameters, got ${x.length}`);
  let sse = 0;
  for (let i = 0; i < target.length; i++) {
    const d = (x[i] as number) - (target[i] as number);
    sse += d * d;
  }
  return 0 - sse; // never −0
}

/** A real → its fixed-point integer (× 10⁶, round half away from zero, never −0). */
export function toMicro(v: number): number {
  if (!Number.isFinite(v)) throw new RangeError(`parameter must be finite, got ${v}`);
  const r = Math.round(Math.abs(v) * PARAM_SCALE);
  if (!Number.isSafeInteger(r)) throw new RangeError(`parameter ${v} is too large for fixed-point × 10⁶`);
  return v < 0 && r !== 0 ? -r : r;
}

/** The point the wire can carry: each coordinate rounded to 10⁻⁶. */
export function quantize(x: readonly number[]): number[] {
  return x.map((v) => toMicro(v) / PARAM_SCALE);
}

/** `{x: [integers × 10⁶]}`, what the chain carries. */
export function encodeParams(x: readonly number[]): JsonValue {
  if (x.length !== N_PARAMS) throw new RangeError(`quadratic params have ${N_PARAMS} coordinates, got ${x.length}`);
  return { x: x.map(toMicro) };
}

export function decodeParams(params: JsonValue): number[] {
  if (!isRecord(params)) throw new TypeError(`quadratic params must be {x: ${N_PARAMS} integers (fixed-point × 10⁶)}`);
  const x = params["x"];
  const extra = Object.keys(params).filter((k) => k !== "x");
  if (extra.length > 0 || !Array.isArray(x) || x.length !== N_PARAMS || !x.every((v) => Number.isSafeInteger(v))) {
    throw new TypeError(`quadratic params must be {x: ${N_PARAMS} integers (fixed-point × 10⁶)}`);
  }
  return x.map((v: number) => v / PARAM_SCALE);
}

export interface SyntheticData {
  readonly target: number[];
  readonly synthetic: true;
  readonly noise_std: number;
}

/** The evaluator's synthetic data (the reference's quadratic_synthetic): the shared target plus N(0, noise_std²) per coordinate from its own seed. */
export function syntheticData(seed: number, config: JsonValue | QuadraticConfig = DEFAULT_CONFIG): SyntheticData {
  const c = parseConfig(config);
  const noise = c.noise_std ?? NOISE_STD;
  const base = targetOf(c);
  const rng = createRng(seed);
  return { target: base.map((t) => t + rng.normal() * noise), synthetic: true, noise_std: noise };
}

/** The target an evaluation scores against: `data.target` (10 finite numbers). */
export function dataTarget(data: JsonValue): number[] {
  const t = isRecord(data) ? data["target"] : undefined;
  if (!Array.isArray(t) || t.length !== N_PARAMS || !t.every((v) => typeof v === "number" && Number.isFinite(v))) {
    throw new TypeError(`quadratic data must be {target: ${N_PARAMS} finite numbers, …}`);
  }
  return t as number[];
}
