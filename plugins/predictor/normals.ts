/**
 * Standard normals that TypeScript and Python compute bit for bit alike, for
 * the predictor's synthetic series (every evaluator must see exactly the
 * series its seed selects, whatever language its runner speaks).
 *
 * The uniforms are xoshiro128** (../rng.ts): integer arithmetic,
 * identical everywhere. A Box–Muller normal also needs log, cos and sin,
 * which V8 and C libraries round differently (a few ulps). Here:
 *
 * - Marsaglia's polar method (G. Marsaglia and T. A. Bray, "A Convenient
 *   Method for Generating Normal Variables", SIAM Review 6(3), 1964):
 *   u, v = 2·U − 1 until 0 < s = u² + v² < 1; then u·f and v·f with
 *   f = √(−2 ln s / s), u's first (v's is kept for the next call). Square
 *   roots are correctly rounded in IEEE 754, so only the logarithm is left;
 * - `portableLog`: ln x from +, −, ×, ÷ alone: x = m·2ᵉ with m ∈ [√½, √2)
 *   by exact halvings and doublings, then ln m = 2·atanh(z), z = (m−1)/(m+1),
 *   by its series to z²⁷ (|z| ≤ 0.1716: the next term is below 10⁻²²), and
 *   ln x = e·ln 2 + ln m. Accurate to a few ulps; the same operations in the
 *   same order give the same bits in any IEEE-754 double arithmetic without
 *   fused multiply-add (JavaScript and CPython's float both qualify).
 *
 * test/vectors/gen/gen_predictor.py implements the same in Python and
 * test/vectors/predictor.json pins its outputs.
 */
import type { Rng } from "../rng.ts";

const LN2 = 0.6931471805599453;
const SQRT_HALF = 0.7071067811865476;
const SQRT_TWO = 1.4142135623730951;
/** 1/(2k+1) for k = 13 … 0: the atanh series' coefficients, highest first (Horner). */
const ATANH_COEFFICIENTS: readonly number[] = Array.from({ length: 14 }, (_, k) => 1 / (2 * (13 - k) + 1));

/** ln x for finite x > 0, from +, −, ×, ÷ only (see the module comment). */
export function portableLog(x: number): number {
  if (!(x > 0) || !Number.isFinite(x)) throw new RangeError(`portableLog needs a finite x > 0, got ${x}`);
  let m = x;
  let e = 0;
  while (m < SQRT_HALF) {
    m *= 2;
    e -= 1;
  }
  while (m >= SQRT_TWO) {
    m /= 2;
    e += 1;
  }
  const z = (m - 1) / (m + 1);
  const z2 = z * z;
  let s = 0;
  for (const c of ATANH_COEFFICIENTS) s = s * z2 + c;
  return e * LN2 + 2 * z * s;
}

/** A stream of standard normals on `rng` (Marsaglia's polar method with portableLog). */
export function polarNormals(rng: Rng): () => number {
  let spare: number | null = null;
  return () => {
    if (spare !== null) {
      const s = spare;
      spare = null;
      return s;
    }
    for (;;) {
      const u = 2 * rng.next() - 1;
      const v = 2 * rng.next() - 1;
      const s = u * u + v * v;
      if (s > 0 && s < 1) {
        const f = Math.sqrt((-2 * portableLog(s)) / s);
        spare = v * f;
        return u * f;
      }
    }
  };
}
