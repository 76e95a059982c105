/**
 * Fixed-point arithmetic for consensus values (`Fixed`: 1.0 = 10^6), in
 * bigint only.
 *
 * Why no floats: V8's `Math.log`/`Math.exp`/`Math.pow` are not guaranteed to
 * give the same bits as another engine, another language or another V8
 * version, and a single differing bit in a threshold or a reputation forks the
 * chain. So the transcendental functions here (ln, 2^−x) are computed from
 * series at 10^40 or more and then floored; each computes an interval that is
 * guaranteed to contain the true value and, in the rare case that the interval
 * straddles a multiple of 10^−6, doubles its precision until it does not. The
 * result is the exact floor of the true value, which any other implementation
 * (the Python vector generators use `decimal`) can reproduce.
 */
import type { Fixed } from "./types.ts";

/** 1.0 in `Fixed` (scale 10^6; the same number as "parts per million"). */
export const ONE: Fixed = 1_000_000n;

/** Precision (decimal digits) that the series start at, and the most they ever refine to. */
const START_DIGITS = 40;
const MAX_DIGITS = 640;

/** floor(a / b) for any signs (bigint `/` truncates toward zero instead). b ≠ 0. */
export function floorDiv(a: bigint, b: bigint): bigint {
  if (b === 0n) throw new RangeError("floorDiv: division by zero");
  const q = a / b;
  // truncation rounded up exactly when there is a remainder and the signs differ
  return (a % b !== 0n && (a < 0n) !== (b < 0n)) ? q - 1n : q;
}

/** floor(a·b / ONE): the product of two `Fixed` values, rounded down (also for negatives). */
export function mulFixed(a: Fixed, b: Fixed): Fixed {
  return floorDiv(a * b, ONE);
}

/** floor(a·ONE / b), b > 0: the quotient of two `Fixed` values, rounded down. */
export function divFixed(a: Fixed, b: Fixed): Fixed {
  if (b <= 0n) throw new RangeError(`divFixed: divisor must be positive, got ${b}`);
  return floorDiv(a * ONE, b);
}

/** x limited to [lo, hi] (lo ≤ hi). */
export function clamp(x: bigint, lo: bigint, hi: bigint): bigint {
  if (lo > hi) throw new RangeError(`clamp: empty range [${lo}, ${hi}]`);
  return x < lo ? lo : x > hi ? hi : x;
}

// ---------------------------------------------------------------------------
// Interval arithmetic at scale P = 10^digits. Every helper returns [lo, hi]
// with lo ≤ true·P ≤ hi. All truncations round down, so the computed sums are
// lower bounds; the per-term error bound (3 units per term plus the tail) gives
// the upper bound.

type Interval = readonly [bigint, bigint];

/**
 * P·atanh(a/b) for 0 ≤ a/b ≤ 1/3 from atanh(t) = Σ t^(2n+1)/(2n+1).
 * Each power is floored (error ≤ 9/8 unit, since t² ≤ 1/9 damps the inherited
 * error), each term then floored once more: < 3 units per term; the tail
 * after the power reaches 0 is < 3 units too.
 */
function atanhScaled(a: bigint, b: bigint, scale: bigint): Interval {
  const a2 = a * a;
  const b2 = b * b;
  let power = (scale * a) / b;
  let sum = 0n;
  let terms = 0n;
  for (let n = 1n; power > 0n; n += 2n) {
    sum += power / n;
    power = (power * a2) / b2;
    terms += 1n;
  }
  return [sum, sum + 3n * (terms + 2n)];
}

/** P·ln 2 = 2·P·atanh(1/3). */
function ln2Scaled(scale: bigint): Interval {
  const [lo, hi] = atanhScaled(1n, 3n, scale);
  return [2n * lo, 2n * hi];
}

/** Number of bits of a positive bigint. */
function bitLength(x: bigint): number {
  return x.toString(2).length;
}

/**
 * P·ln(x / ONE), x > 0: write x/ONE = 2^k·m with 1 ≤ m < 2, so that
 * ln = k·ln 2 + 2·atanh((m−1)/(m+1)) with (m−1)/(m+1) in [0, 1/3).
 */
function lnScaled(x: bigint, scale: bigint): Interval {
  let k = bitLength(x) - bitLength(ONE);
  // 2^k ≤ x/ONE < 2^(k+1), adjusted from the bit-length guess by at most one step each way
  const low = (kk: number): bigint => (kk >= 0 ? ONE << BigInt(kk) : ONE);
  const val = (kk: number): bigint => (kk >= 0 ? x : x << BigInt(-kk));
  while (val(k) < low(k)) k -= 1;
  while (val(k) >= 2n * low(k)) k += 1;
  const num = val(k) - low(k);
  const den = val(k) + low(k);
  const [tLo, tHi] = atanhScaled(num, den, scale);
  const [l2Lo, l2Hi] = ln2Scaled(scale);
  const kb = BigInt(k);
  return kb >= 0n ? [kb * l2Lo + 2n * tLo, kb * l2Hi + 2n * tHi] : [kb * l2Hi + 2n * tLo, kb * l2Lo + 2n * tHi];
}

/**
 * Runs `bounds` at increasing precision until the floors of both ends of the
 * interval agree. Only an exact multiple of 10^−6 can keep them apart for
 * ever; at the cap the upper end's floor is returned, which is right for an
 * exact value (the upper end lies just above it).
 */
function refineFloor(bounds: (digits: number) => Interval): bigint {
  for (let digits = START_DIGITS; ; digits *= 2) {
    const [lo, hi] = bounds(digits);
    if (lo === hi || digits >= MAX_DIGITS) return hi;
  }
}

/** ln(x) for x > 0: floor(ln(x/10^6)·10^6), exact. */
export function lnFixed(x: Fixed): Fixed {
  if (x <= 0n) throw new RangeError(`lnFixed: argument must be positive, got ${x}`);
  if (x === ONE) return 0n;
  return refineFloor((digits) => {
    const scale = 10n ** BigInt(digits);
    const down = scale / ONE;
    const [lo, hi] = lnScaled(x, scale);
    return [floorDiv(lo, down), floorDiv(hi, down)];
  });
}

/**
 * floor(ln(x)/ln(y)·10^6) for x > 0 and y > 1: a logarithm in base y, computed
 * from both logarithms at full precision (not from two floored `lnFixed`
 * values, which would round twice).
 */
export function logRatioFixed(x: Fixed, y: Fixed): Fixed {
  if (x <= 0n) throw new RangeError(`logRatioFixed: argument must be positive, got ${x}`);
  if (y <= ONE) throw new RangeError(`logRatioFixed: base must exceed 1.0, got ${y}`);
  if (x === ONE) return 0n;
  return refineFloor((digits) => {
    const scale = 10n ** BigInt(digits);
    const [nLo, nHi] = lnScaled(x, scale);
    const [dLo, dHi] = lnScaled(y, scale);
    // y ≥ 1.000001, so ln y > 9.9·10^−7 and dLo > 0 at any precision used here
    const lo = nLo >= 0n ? floorDiv(nLo * ONE, dHi) : floorDiv(nLo * ONE, dLo);
    const hi = nHi >= 0n ? floorDiv(nHi * ONE, dLo) : floorDiv(nHi * ONE, dHi);
    return [lo, hi];
  });
}

/**
 * P·exp(y/P) for 0 ≤ y < P, from Σ yⁿ/n!. Each term is floored from the
 * previous one; the inherited error is damped by y/(nP) < 1/n, so it stays
 * below 3 units, and the tail after a zero term below 10 units.
 */
function expScaled(y: bigint, scale: bigint): Interval {
  let term = scale;
  let sum = 0n;
  let terms = 0n;
  for (let n = 1n; term > 0n; n += 1n) {
    sum += term;
    term = (term * y) / (n * scale);
    terms += 1n;
  }
  return [sum, sum + 4n * (terms + 3n)];
}

/**
 * floor(2^(−num/den)·10^6) for num ≥ 0, den > 0: the decay factor of a
 * half-life (den) after num steps. Integer halvings are exact shifts; the
 * fractional part is exp(−(r/den)·ln 2) from the series above.
 */
export function exp2NegFixed(num: bigint, den: bigint): Fixed {
  if (num < 0n) throw new RangeError(`exp2NegFixed: exponent must be non-negative, got ${num}`);
  if (den <= 0n) throw new RangeError(`exp2NegFixed: denominator must be positive, got ${den}`);
  const q = num / den;
  const r = num % den;
  // 2^−20 · 10^6 < 1: anything from 20 halvings on floors to 0
  if (q >= 20n) return 0n;
  if (r === 0n) return ONE >> q;
  return refineFloor((digits) => {
    const scale = 10n ** BigInt(digits);
    const [l2Lo, l2Hi] = ln2Scaled(scale);
    const yLo = (r * l2Lo) / den;
    const yHi = (r * l2Hi + den - 1n) / den;
    const [eLo] = expScaled(yLo, scale);
    const [, eHi] = expScaled(yHi, scale);
    // P·2^(−r/den) = P² / (P·exp(y)) lies in [P²/eHi, P²/eLo]
    const vLo = (scale * scale) / eHi;
    const vHi = (scale * scale + eLo - 1n) / eLo;
    const down = (scale / ONE) << q;
    return [vLo / down, vHi / down];
  });
}
