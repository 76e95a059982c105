/**
 * The predictor's model and its parameters on the wire.
 *
 * The model: a multilayer perceptron over a window of the last w values
 * (lag 0 = the most recent), one hidden layer of h tanh units, forecasting
 * the next value as a correction to the naive forecast:
 *
 *     ŷ_t = x_{t−1} + b₂ + Σ_j v_j · tanh(b1_j + Σ_i W1_{j,i} · x_{t−1−i})
 *
 * Why this one: the data are a regime-switching autoregression, so the
 * forecast is a nonlinear function of a short recent window (which regime is
 * on, then its own linear rule): what a one-hidden-layer MLP represents, with
 * a few thousand weights at most (a convolutional or TCN net would add depth
 * the series does not need). The skip to x_{t−1} makes an untrained or
 * zeroed network the naive forecast (skill 0) rather than noise.
 *
 * Parameters (JSON, integers only, as the chain requires):
 *
 *     {"model": "mlp1", "window": w, "hidden": h,
 *      "learningRateLog10": log₁₀(lr) × 10⁶, "weightDecayLog10": log₁₀(wd) × 10⁶,
 *      "weights": base64 of float32 little-endian}
 *
 * The weights are W1 (h rows of w, row-major), b1 (h), v (h), b₂ (1): exactly
 * 4·(h·(w + 2) + 1) bytes, canonical base64 (padded, no whitespace), every
 * value finite. The training hyperparameters travel with the weights (the
 * record of how they were trained); inference reads w, h and the weights.
 * `decodeParams` refuses anything else with a PredictorParamsError.
 *
 * Evaluation is inference only, in float64 on the float32 weights, on the
 * evaluator's own series: skill = 1 − MAE_model / MAE_naive over every t from
 * WARMUP on (the naive forecast is x_{t−1}), whatever the window.
 */
import type { JsonValue } from "../../core/types.ts";
import { WARMUP } from "./series.ts";

export const MODEL = "mlp1";
export const FIXED = 1_000_000;

/** The hyperparameter space: the box a search explores (inclusive). */
export const LIMITS = {
  window: { min: 1, max: WARMUP },
  hidden: { min: 1, max: 64 },
  learningRateLog10: { min: -5, max: 0 },
  weightDecayLog10: { min: -7, max: 0 },
} as const;

export interface Hyper {
  readonly window: number;
  readonly hidden: number;
  /** log₁₀ of the learning rate, on the 10⁻⁶ grid */
  readonly learningRateLog10: number;
  /** log₁₀ of the (decoupled) weight decay, on the 10⁻⁶ grid */
  readonly weightDecayLog10: number;
}

export interface Mlp {
  readonly window: number;
  readonly hidden: number;
  /** h × w, row-major: w1[j·w + i] weighs lag i into unit j */
  readonly w1: Float32Array;
  readonly b1: Float32Array;
  readonly w2: Float32Array;
  readonly b2: number;
}

/** A parameters object that is not a predictor model (the evaluator refuses it). */
export class PredictorParamsError extends TypeError {
  override readonly name = "PredictorParamsError";
  readonly code = "MALFORMED_PARAMS";
}

export function weightCount(window: number, hidden: number): number {
  return hidden * (window + 2) + 1;
}

/** The largest parameters object any model in LIMITS encodes to (bytes of JSON): what the chain rules must allow. */
export function maxParamsJsonBytes(): number {
  const hyper: Hyper = { window: LIMITS.window.max, hidden: LIMITS.hidden.max, learningRateLog10: -4_999_999 / FIXED, weightDecayLog10: -6_999_999 / FIXED };
  const n = weightCount(hyper.window, hyper.hidden);
  return JSON.stringify(
    encodeParams(hyper, { window: hyper.window, hidden: hyper.hidden, w1: new Float32Array(n - 2 * hyper.hidden - 1), b1: new Float32Array(hyper.hidden), w2: new Float32Array(hyper.hidden), b2: 0 }),
  ).length;
}

/** Rounds a hyperparameter vector onto the grid the wire carries (integers; logs to 10⁻⁶), clamped to LIMITS. */
export function quantizeHyper(h: Hyper): Hyper {
  const clamp = (v: number, l: { min: number; max: number }) => Math.min(l.max, Math.max(l.min, v));
  const micro = (v: number) => Math.round(v * FIXED) / FIXED;
  return {
    window: Math.round(clamp(h.window, LIMITS.window)),
    hidden: Math.round(clamp(h.hidden, LIMITS.hidden)),
    learningRateLog10: micro(clamp(h.learningRateLog10, LIMITS.learningRateLog10)),
    weightDecayLog10: micro(clamp(h.weightDecayLog10, LIMITS.weightDecayLog10)),
  };
}

function packF32(parts: readonly ArrayLike<number>[]): string {
  const n = parts.reduce((a, p) => a + p.length, 0);
  const bytes = new Uint8Array(4 * n);
  const view = new DataView(bytes.buffer);
  let k = 0;
  for (const p of parts) for (let i = 0; i < p.length; i++) view.setFloat32(4 * k++, p[i] as number, true);
  return Buffer.from(bytes).toString("base64");
}

/** The wire form of a trained model. */
export function encodeParams(hyper: Hyper, mlp: Mlp): JsonValue {
  const q = quantizeHyper(hyper);
  if (q.window !== mlp.window || q.hidden !== mlp.hidden) throw new RangeError("encodeParams: the weights' shape is not the hyperparameters'");
  return {
    model: MODEL,
    window: q.window,
    hidden: q.hidden,
    learningRateLog10: Math.round(q.learningRateLog10 * FIXED),
    weightDecayLog10: Math.round(q.weightDecayLog10 * FIXED),
    weights: packF32([mlp.w1, mlp.b1, mlp.w2, [mlp.b2]]),
  };
}

const KEYS = ["model", "window", "hidden", "learningRateLog10", "weightDecayLog10", "weights"];
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

function integerIn(o: Record<string, JsonValue>, key: string, min: number, max: number): number {
  const v = o[key];
  if (typeof v !== "number" || !Number.isSafeInteger(v) || v < min || v > max) throw new PredictorParamsError(`predictor params.${key} must be an integer from ${min} to ${max}`);
  return v;
}

/** Params → the model and how it was trained; throws PredictorParamsError on anything malformed. */
export function decodeParams(params: JsonValue): { hyper: Hyper; mlp: Mlp } {
  if (typeof params !== "object" || params === null || Array.isArray(params)) throw new PredictorParamsError("predictor params must be an object");
  const o = params as Record<string, JsonValue>;
  for (const k of Object.keys(o)) if (!KEYS.includes(k)) throw new PredictorParamsError(`predictor params.${k}: unknown field`);
  if (o["model"] !== MODEL) throw new PredictorParamsError(`predictor params.model must be "${MODEL}"`);
  const window = integerIn(o, "window", LIMITS.window.min, LIMITS.window.max);
  const hidden = integerIn(o, "hidden", LIMITS.hidden.min, LIMITS.hidden.max);
  const lr = integerIn(o, "learningRateLog10", LIMITS.learningRateLog10.min * FIXED, LIMITS.learningRateLog10.max * FIXED);
  const wd = integerIn(o, "weightDecayLog10", LIMITS.weightDecayLog10.min * FIXED, LIMITS.weightDecayLog10.max * FIXED);
  const text = o["weights"];
  if (typeof text !== "string" || !BASE64.test(text)) throw new PredictorParamsError("predictor params.weights must be canonical base64 (float32 little-endian)");
  const bytes = Buffer.from(text, "base64");
  const n = weightCount(window, hidden);
  if (bytes.length !== 4 * n) throw new PredictorParamsError(`predictor params.weights: ${bytes.length} bytes, a ${window}-window ${hidden}-unit model has ${4 * n}`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const all = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const v = view.getFloat32(4 * i, true);
    if (!Number.isFinite(v)) throw new PredictorParamsError(`predictor params.weights[${i}] is not finite`);
    all[i] = v;
  }
  const hw = hidden * window;
  return {
    hyper: { window, hidden, learningRateLog10: lr / FIXED, weightDecayLog10: wd / FIXED },
    mlp: { window, hidden, w1: all.subarray(0, hw), b1: all.subarray(hw, hw + hidden), w2: all.subarray(hw + hidden, hw + 2 * hidden), b2: all[n - 1] as number },
  };
}

/** The model's forecast of values[t] from values[t − window … t − 1] (float64 arithmetic). */
export function forecastAt(mlp: Mlp, values: ArrayLike<number>, t: number): number {
  const { window: w, hidden: h, w1, b1, w2 } = mlp;
  let out = mlp.b2;
  for (let j = 0; j < h; j++) {
    let z = b1[j] as number;
    const row = j * w;
    for (let i = 0; i < w; i++) z += (w1[row + i] as number) * (values[t - 1 - i] as number);
    out += (w2[j] as number) * Math.tanh(z);
  }
  return (values[t - 1] as number) + out;
}

/** 1 − MAE(forecasts) / MAE(naive) over t ∈ [from, n): the domain's metric. */
export function skillOf(values: ArrayLike<number>, forecast: (t: number) => number, from = WARMUP): number {
  let model = 0;
  let naive = 0;
  for (let t = from; t < values.length; t++) {
    const x = values[t] as number;
    model += Math.abs(x - forecast(t));
    naive += Math.abs(x - (values[t - 1] as number));
  }
  return 1 - model / naive;
}

/** A model's skill on a series. */
export function modelSkill(mlp: Mlp, values: ArrayLike<number>): number {
  return skillOf(values, (t) => forecastAt(mlp, values, t));
}
