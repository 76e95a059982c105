/**
 * The predictor domain's data: a regime-switching autoregressive series (a
 * hidden Markov model), generated from a seed identically by TypeScript and
 * Python (test/vectors/gen/gen_predictor.py, test/vectors/predictor.json).
 *
 * K regimes, each with its own drift c, autocorrelation φ and volatility σ;
 * the hidden regime follows a Markov chain with transition matrix P:
 *
 *     s_t ~ P[s_{t−1}, ·],   x_t = c_{s_t} + φ_{s_t} · x_{t−1} + σ_{s_t} · ε_t,   ε_t ~ N(0, 1)
 *
 * Default (three regimes): "choppy" c = 0.3, φ = −0.7, σ = 0.45 (a move is
 * usually reversed); "trending" c = −0.3, φ = 0.7, σ = 0.5 (moves persist);
 * "noisy" c = 0, φ = 0, σ = 0.6 (white noise). A regime lasts 10 steps on
 * average (stay 0.9, switch 0.05 to each other), so the recent past tells
 * which one is on: what a forecaster must learn. Faster switching than that
 * leaves little to learn; slower makes one series' mix of regimes, and so an
 * evaluator's score, depend more on its seed (the spread the domain's
 * tolerance must cover: README, "The predictor domain"). There are no calendar features: the
 * generator has no calendar effect, so they could carry no information.
 *
 * Generation from a 32-bit seed, in this order: xoshiro128** from the seed
 * (../rng.ts); s = 0, x = 0; then for each of `burnIn + length`
 * steps: the regime from one uniform u (the first k whose cumulative row sum
 * P[s, 0] + … + P[s, k] exceeds u, summed left to right; the last regime if
 * none), then one normal (./normals.ts), then x = c + φ·x + σ·ε evaluated
 * as (c + φ·x) + σ·ε; the first `burnIn` values are dropped (the start is
 * then close to the stationary regime distribution).
 */
import type { JsonValue } from "../../core/types.ts";
import { createRng } from "../rng.ts";
import { polarNormals } from "./normals.ts";

export interface Regime {
  readonly drift: number;
  readonly phi: number;
  readonly sigma: number;
}

export interface SeriesConfig {
  readonly regimes: readonly Regime[];
  /** K × K, rows sum to 1 */
  readonly transition: readonly (readonly number[])[];
  readonly burnIn: number;
  /** an evaluator's series (synthetic.generate): its length */
  readonly evalLength: number;
  /** an optimizer's training series: its length */
  readonly trainLength: number;
}

/** The largest window a model may read: every series is scored from this index on, whatever the model's window. */
export const WARMUP = 48;

export const DEFAULT_SERIES: SeriesConfig = {
  regimes: [
    { drift: 0.3, phi: -0.7, sigma: 0.45 },
    { drift: -0.3, phi: 0.7, sigma: 0.5 },
    { drift: 0, phi: 0, sigma: 0.6 },
  ],
  transition: [
    [0.9, 0.05, 0.05],
    [0.05, 0.9, 0.05],
    [0.05, 0.05, 0.9],
  ],
  burnIn: 200,
  evalLength: 20_000,
  trainLength: 4_000,
};

const MAX_REGIMES = 8;
const MAX_LENGTH = 1_000_000;

function field(value: JsonValue | undefined, key: string): JsonValue | undefined {
  return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as { readonly [k: string]: JsonValue })[key] : undefined;
}

function finite(v: JsonValue | undefined, what: string): number {
  if (typeof v !== "number" || !Number.isFinite(v)) throw new TypeError(`predictor config.${what} must be a finite number`);
  return v;
}

function length(v: JsonValue | undefined, what: string, fallback: number, min: number): number {
  if (v === undefined) return fallback;
  if (typeof v !== "number" || !Number.isInteger(v) || v < min || v > MAX_LENGTH) throw new TypeError(`predictor config.${what} must be an integer from ${min} to ${MAX_LENGTH}`);
  return v;
}

/** The series settings of a domain or optimizer config (absent keys: DEFAULT_SERIES); throws TypeError on a bad one. */
export function seriesConfig(config: JsonValue = {}): SeriesConfig {
  if (config !== null && (typeof config !== "object" || Array.isArray(config))) throw new TypeError("predictor config must be an object");
  const r = field(config, "regimes");
  const t = field(config, "transition");
  let regimes = DEFAULT_SERIES.regimes;
  if (r !== undefined) {
    if (!Array.isArray(r) || r.length < 1 || r.length > MAX_REGIMES) throw new TypeError(`predictor config.regimes must be 1 to ${MAX_REGIMES} regimes`);
    regimes = r.map((x, k) => {
      const sigma = finite(field(x, "sigma"), `regimes[${k}].sigma`);
      if (!(sigma > 0)) throw new TypeError(`predictor config.regimes[${k}].sigma must be > 0`);
      return { drift: finite(field(x, "drift"), `regimes[${k}].drift`), phi: finite(field(x, "phi"), `regimes[${k}].phi`), sigma };
    });
  }
  let transition = DEFAULT_SERIES.transition;
  if (t !== undefined || r !== undefined) {
    if (!Array.isArray(t) || t.length !== regimes.length) throw new TypeError(`predictor config.transition must be a ${regimes.length} × ${regimes.length} matrix`);
    transition = t.map((row, i) => {
      if (!Array.isArray(row) || row.length !== regimes.length) throw new TypeError(`predictor config.transition[${i}] must have ${regimes.length} entries`);
      const p = row.map((v, j) => finite(v, `transition[${i}][${j}]`));
      if (p.some((v) => v < 0) || Math.abs(p.reduce((a, b) => a + b, 0) - 1) > 1e-9) throw new TypeError(`predictor config.transition[${i}] must be probabilities summing to 1`);
      return p;
    });
  }
  return {
    regimes,
    transition,
    burnIn: length(field(config, "burnIn"), "burnIn", DEFAULT_SERIES.burnIn, 0),
    evalLength: length(field(config, "evalLength"), "evalLength", DEFAULT_SERIES.evalLength, WARMUP + 2),
    trainLength: length(field(config, "trainLength"), "trainLength", DEFAULT_SERIES.trainLength, WARMUP + 2),
  };
}

export interface Series {
  readonly values: Float64Array;
  /** the hidden regime of each value (what the Bayes filter infers; tests read it) */
  readonly regimes: Uint8Array;
}

/** The series of `seed`: `length` values after the burn-in (see the module comment). */
export function generateSeries(seed: number, length: number, config: SeriesConfig = DEFAULT_SERIES): Series {
  const rng = createRng(seed);
  const normal = polarNormals(rng);
  const K = config.regimes.length;
  const values = new Float64Array(length);
  const regimes = new Uint8Array(length);
  let s = 0;
  let x = 0;
  for (let t = 0; t < config.burnIn + length; t++) {
    const u = rng.next();
    const row = config.transition[s] as readonly number[];
    let k = 0;
    let acc = row[0] as number;
    while (u >= acc && k < K - 1) {
      k++;
      acc += row[k] as number;
    }
    s = k;
    const e = normal();
    const g = config.regimes[s] as Regime;
    x = g.drift + g.phi * x + g.sigma * e;
    if (t >= config.burnIn) {
      values[t - config.burnIn] = x;
      regimes[t - config.burnIn] = s;
    }
  }
  return { values, regimes };
}

/** Float64 values → base64 of their little-endian bytes (exact, compact: how series travel in JSON). */
export function packF64(values: Float64Array): string {
  const bytes = new Uint8Array(values.length * 8);
  const view = new DataView(bytes.buffer);
  values.forEach((v, i) => view.setFloat64(i * 8, v, true));
  return Buffer.from(bytes).toString("base64");
}

/** base64 of little-endian float64s → the values; throws TypeError on anything else. */
export function unpackF64(text: string, what = "values"): Float64Array {
  const bytes = Buffer.from(text, "base64");
  if (bytes.length % 8 !== 0 || bytes.toString("base64") !== text) throw new TypeError(`${what} must be canonical base64 of little-endian float64s`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Float64Array(bytes.length / 8);
  for (let i = 0; i < out.length; i++) out[i] = view.getFloat64(i * 8, true);
  return out;
}
