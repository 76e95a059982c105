/**
 * The Bayes-optimal forecast of the predictor's series: what no model can
 * beat on average, because it knows the generator's true parameters.
 *
 * The forward filter of the hidden Markov model (L. R. Rabiner, "A Tutorial
 * on Hidden Markov Models and Selected Applications in Speech Recognition",
 * Proc. IEEE 77(2), 1989, §III.A, with emissions conditioned on the previous
 * value): α_t(k) = P(s_t = k | x_0 … x_t). Before x_t arrives the regime is
 * distributed as π_t = α_{t−1} P, and x_t as the mixture
 * Σ_k π_t(k) · N(c_k + φ_k x_{t−1}, σ_k²). The filter starts from the
 * stationary distribution of P (x_0 has no predecessor: α_0 = that prior).
 *
 * The metric is the mean absolute error, whose optimal point forecast is the
 * median of the predictive distribution (not its mean): found by bisection on
 * the mixture's CDF. Φ uses erfc with fractional error < 1.2 × 10⁻⁷ (W. H.
 * Press et al., "Numerical Recipes in C", 2nd ed., §6.2, erfcc), far below
 * the noise of any skill estimate. Not consensus: only reports and tests
 * read it.
 */
import type { SeriesConfig } from "./series.ts";

/** erfc(x), |relative error| < 1.2e-7 (Numerical Recipes' Chebyshev fit). */
export function erfc(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r =
    t *
    Math.exp(
      -z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
  return x >= 0 ? r : 2 - r;
}

/** Standard normal CDF. */
export function normalCdf(z: number): number {
  return 0.5 * erfc(-z / Math.SQRT2);
}

/** The stationary distribution of a transition matrix (power iteration from uniform). */
export function stationary(transition: readonly (readonly number[])[]): number[] {
  const K = transition.length;
  let pi = Array.from({ length: K }, () => 1 / K);
  for (let it = 0; it < 10_000; it++) {
    const next = Array.from({ length: K }, (_, k) => pi.reduce((acc, p, j) => acc + p * ((transition[j] as readonly number[])[k] as number), 0));
    const delta = next.reduce((acc, v, k) => acc + Math.abs(v - (pi[k] as number)), 0);
    pi = next;
    if (delta < 1e-15) break;
  }
  return pi;
}

const BISECTIONS = 52;

/**
 * Bayes-optimal (median) forecasts: out[t] is the forecast of values[t] from
 * values[0 … t−1], for t ≥ 1 (out[0] is NaN: nothing to condition on).
 */
export function bayesForecasts(values: Float64Array, config: SeriesConfig): Float64Array {
  const { regimes, transition } = config;
  const K = regimes.length;
  const out = new Float64Array(values.length).fill(Number.NaN);
  let alpha = stationary(transition);
  const prior = new Array<number>(K).fill(0);
  const mean = new Array<number>(K).fill(0);
  const logLik = new Array<number>(K).fill(0);
  for (let t = 1; t < values.length; t++) {
    const prev = values[t - 1] as number;
    for (let k = 0; k < K; k++) {
      let p = 0;
      for (let j = 0; j < K; j++) p += (alpha[j] as number) * ((transition[j] as readonly number[])[k] as number);
      prior[k] = p;
      const g = regimes[k] as SeriesConfig["regimes"][number];
      mean[k] = g.drift + g.phi * prev;
    }
    // the median of Σ prior_k N(mean_k, σ_k²)
    let lo = Number.POSITIVE_INFINITY;
    let hi = Number.NEGATIVE_INFINITY;
    for (let k = 0; k < K; k++) {
      const s = (regimes[k] as SeriesConfig["regimes"][number]).sigma;
      lo = Math.min(lo, (mean[k] as number) - 10 * s);
      hi = Math.max(hi, (mean[k] as number) + 10 * s);
    }
    for (let i = 0; i < BISECTIONS; i++) {
      const mid = 0.5 * (lo + hi);
      let cdf = 0;
      for (let k = 0; k < K; k++) cdf += (prior[k] as number) * normalCdf((mid - (mean[k] as number)) / (regimes[k] as SeriesConfig["regimes"][number]).sigma);
      if (cdf < 0.5) lo = mid;
      else hi = mid;
    }
    out[t] = 0.5 * (lo + hi);
    // update with x_t (log space: a far outlier must not underflow every regime)
    const x = values[t] as number;
    let top = Number.NEGATIVE_INFINITY;
    for (let k = 0; k < K; k++) {
      const s = (regimes[k] as SeriesConfig["regimes"][number]).sigma;
      const z = (x - (mean[k] as number)) / s;
      logLik[k] = Math.log(prior[k] as number) - 0.5 * z * z - Math.log(s);
      top = Math.max(top, logLik[k] as number);
    }
    let total = 0;
    const next = logLik.map((l) => {
      const w = Math.exp(l - top);
      total += w;
      return w;
    });
    alpha = next.map((w) => w / total);
  }
  return out;
}
