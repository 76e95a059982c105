/**
 * Seeded randomness for the plugins: optimizers (plugins/optimizers/), the
 * islands simulation and the domains' synthetic data (never used inside
 * consensus: the protocol only sees the resulting integers and hashes).
 *
 * - Generator: xoshiro128** 1.1 (D. Blackman and S. Vigna, "Scrambled linear
 *   pseudorandom number generators", ACM TOMS 47(4), 2021; reference C code
 *   https://prng.di.unimi.it/xoshiro128starstar.c, public domain): 128 bits
 *   of state, period 2¹²⁸ − 1.
 * - Seeding: the 128-bit state is two outputs of SplitMix64
 *   (https://prng.di.unimi.it/splitmix64.c, the seeding the authors
 *   recommend) started at the 32-bit seed, each split low word first.
 * - Uniform doubles in [0, 1): 53 bits from two outputs,
 *   ((a >>> 5) · 2²⁶ + (b >>> 6)) / 2⁵³ (the same construction as
 *   MT19937's genrand_res53 and CPython's random.random).
 * - Normals: Box–Muller, both values used (cos first, then sin), with
 *   u₁ = 1 − uniform ∈ (0, 1].
 *
 * test/vectors/gen/gen_quadratic.py implements the same in Python (stdlib) and
 * test/vectors/quadratic.json pins the outputs.
 */
export interface Rng {
  /** the next raw 32-bit output (unsigned) */
  nextUint32(): number;
  /** uniform in [0, 1), 53 bits */
  next(): number;
  /** standard normal */
  normal(): number;
  /** uniform in [lo, hi) */
  uniform(lo: number, hi: number): number;
}

const MASK64 = (1n << 64n) - 1n;

/** SplitMix64 (Steele, Lea and Flood 2014; Vigna's reference code), 64-bit state as a bigint. */
function splitmix64(state: bigint): { state: bigint; value: bigint } {
  const s = (state + 0x9e3779b97f4a7c15n) & MASK64;
  let z = s;
  z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & MASK64;
  z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & MASK64;
  return { state: s, value: z ^ (z >> 31n) };
}

const rotl = (x: number, k: number): number => ((x << k) | (x >>> (32 - k))) >>> 0;

/** A seeded xoshiro128** generator; `seed` is taken modulo 2³² (negative and fractional seeds are truncated first). */
export function createRng(seed: number): Rng {
  if (!Number.isFinite(seed)) throw new RangeError(`seed must be finite, got ${seed}`);
  let sm = BigInt(Math.trunc(seed) >>> 0);
  const words: number[] = [];
  for (let i = 0; i < 2; i++) {
    const r = splitmix64(sm);
    sm = r.state;
    words.push(Number(r.value & 0xffffffffn), Number(r.value >> 32n));
  }
  let [s0, s1, s2, s3] = words as [number, number, number, number];
  // SplitMix64 never gives two zero outputs in a row, but keep the all-zero guard of the reference.
  if ((s0 | s1 | s2 | s3) === 0) s0 = 1;

  const nextUint32 = (): number => {
    const result = Math.imul(rotl(Math.imul(s1, 5) >>> 0, 7), 9) >>> 0;
    const t = (s1 << 9) >>> 0;
    s2 = (s2 ^ s0) >>> 0;
    s3 = (s3 ^ s1) >>> 0;
    s1 = (s1 ^ s2) >>> 0;
    s0 = (s0 ^ s3) >>> 0;
    s2 = (s2 ^ t) >>> 0;
    s3 = rotl(s3, 11);
    return result;
  };
  const next = (): number => {
    const a = nextUint32() >>> 5;
    const b = nextUint32() >>> 6;
    return (a * 67_108_864 + b) / 9_007_199_254_740_992;
  };
  let spare: number | null = null;
  return {
    nextUint32,
    next,
    normal() {
      if (spare !== null) {
        const s = spare;
        spare = null;
        return s;
      }
      const u1 = 1 - next();
      const u2 = next();
      const r = Math.sqrt(-2 * Math.log(u1));
      spare = r * Math.sin(2 * Math.PI * u2);
      return r * Math.cos(2 * Math.PI * u2);
    },
    uniform(lo, hi) {
      return lo + (hi - lo) * next();
    },
  };
}

/**
 * A 32-bit seed from a list of integers (e.g. run, node, round): each part
 * (taken modulo 2³²) is folded into a SplitMix64 state, and the low word of
 * the last output is the seed. Deterministic, and different parts give
 * unrelated streams.
 */
export function deriveSeed(...parts: readonly number[]): number {
  let state = 0x243f6a8885a308d3n; // π's fraction bits: any fixed start
  let value = 0n;
  for (const p of parts) {
    const r = splitmix64(state ^ BigInt(Math.trunc(p) >>> 0));
    state = r.state;
    value = r.value;
  }
  return Number(value & 0xffffffffn);
}
