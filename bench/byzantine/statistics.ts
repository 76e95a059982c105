/**
 * The two checks that say whether drawn counts follow an exact law: a
 * chi-square goodness of fit (bins pooled until each expects at least 5,
 * critical value by the Wilson–Hilferty cube-root approximation, within 1 %
 * of the tables for 2 or more degrees of freedom at the levels used here),
 * and a two-sided bound on a count of rare events (normal approximation with
 * a Poisson floor, so a count whose expectation is near 0 is judged by the
 * Poisson tail instead).
 */

export interface ChiSquare {
  readonly statistic: number;
  readonly degreesOfFreedom: number;
  /** the statistic's critical value at the given upper-tail probability */
  readonly critical: number;
  readonly pass: boolean;
}

/** The standard normal quantile for an upper tail of p (Acklam's rational approximation, relative error < 1.2e-9). */
export function normalQuantile(upperTail: number): number {
  const p = 1 - upperTail;
  if (!(p > 0 && p < 1)) throw new RangeError(`tail probability must be in (0, 1), got ${upperTail}`);
  const a = [-3.969683028665376e1, 2.209460984245205e2, -2.759285104469687e2, 1.38357751867269e2, -3.066479806614716e1, 2.506628277459239];
  const b = [-5.447609879822406e1, 1.615858368580409e2, -1.556989798598866e2, 6.680131188771972e1, -1.328068155288572e1];
  const c = [-7.784894002430293e-3, -3.223964580411365e-1, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.754408661907416];
  const poly = (coef: readonly number[], x: number) => coef.reduce((acc, k) => acc * x + k, 0);
  const low = 0.02425;
  if (p < low) {
    const q = Math.sqrt(-2 * Math.log(p));
    return poly(c, q) / (poly(d, q) * q + 1);
  }
  if (p > 1 - low) {
    const q = Math.sqrt(-2 * Math.log(1 - p));
    return -poly(c, q) / (poly(d, q) * q + 1);
  }
  const q = p - 0.5;
  const r = q * q;
  return (poly(a, r) * q) / (poly(b, r) * r + 1);
}

/** The chi-square critical value for `df` degrees of freedom and an upper tail of p (Wilson–Hilferty). */
export function chiSquareCritical(df: number, upperTail: number): number {
  const z = normalQuantile(upperTail);
  const h = 2 / (9 * df);
  return df * (1 - h + z * Math.sqrt(h)) ** 3;
}

/**
 * Goodness of fit of `observed` counts to probabilities `pmf` (same length):
 * adjacent bins pooled from each end until every pooled bin expects ≥ 5.
 */
export function chiSquareFit(observed: readonly number[], pmf: readonly number[], upperTail = 1e-4): ChiSquare {
  const n = observed.reduce((s, x) => s + x, 0);
  const bins: { o: number; e: number }[] = [];
  let o = 0;
  let e = 0;
  for (let i = 0; i < observed.length; i++) {
    o += observed[i] as number;
    e += (pmf[i] as number) * n;
    if (e >= 5) {
      bins.push({ o, e });
      o = 0;
      e = 0;
    }
  }
  // What is left at the top joins the last bin.
  if (bins.length === 0) bins.push({ o, e });
  else {
    const last = bins[bins.length - 1] as { o: number; e: number };
    last.o += o;
    last.e += e;
  }
  const statistic = bins.reduce((s, b) => s + (b.e === 0 ? 0 : (b.o - b.e) ** 2 / b.e), 0);
  const degreesOfFreedom = Math.max(1, bins.length - 1);
  const critical = chiSquareCritical(degreesOfFreedom, upperTail);
  return { statistic, degreesOfFreedom, critical, pass: statistic <= critical };
}

/**
 * Whether `count` successes in `trials` trials is consistent with probability
 * p: |count − np| ≤ z·√(np(1−p)) + 3. The slack of 3 counts keeps the normal
 * approximation from failing a rare event on its discreteness (with np near 0
 * one or two events are not evidence of anything; four are: their Poisson
 * tail at np = 0.05 is 3e-7).
 */
export function countConsistent(count: number, trials: number, p: number, upperTail = 1e-4): boolean {
  const mean = trials * p;
  const sd = Math.sqrt(trials * p * (1 - p));
  return Math.abs(count - mean) <= normalQuantile(upperTail / 2) * sd + 3;
}
