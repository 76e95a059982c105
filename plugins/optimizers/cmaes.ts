/**
 * CMA-ES with IPOP restarts over a box, ask/tell: one generation (λ points)
 * per ask, which a GPU can evaluate in one batch.
 *
 * The formulation is N. Hansen, "The CMA Evolution Strategy: A Tutorial",
 * arXiv:1604.00772 (current version): the (μ/μ_w, λ)-CMA-ES of its Appendix A
 * ("Algorithm Summary", with negative recombination weights for the
 * covariance update, i.e. active CMA) and the default strategy parameters of
 * its Table 1 (`strategyParameters` below):
 *
 *   λ = 4 + ⌊3 ln n⌋, μ = ⌊λ/2⌋, w′ᵢ = ln((λ+1)/2) − ln i,
 *   μ_eff = (Σ_{i≤μ} w′ᵢ)² / Σ_{i≤μ} w′ᵢ², μ_eff⁻ likewise over i > μ,
 *   c₁ = α_cov / ((n+1.3)² + μ_eff), α_cov = 2,
 *   c_μ = min(1 − c₁, α_cov (¼ + μ_eff + 1/μ_eff − 2) / ((n+2)² + α_cov μ_eff/2)),
 *   wᵢ = w′ᵢ / Σ w′⁺ for w′ᵢ ≥ 0, else min(α_μ⁻, α_μeff⁻, α_posdef⁻) w′ᵢ / Σ|w′⁻|
 *     with α_μ⁻ = 1 + c₁/c_μ, α_μeff⁻ = 1 + 2μ_eff⁻/(μ_eff + 2),
 *     α_posdef⁻ = (1 − c₁ − c_μ)/(n c_μ),
 *   c_σ = (μ_eff + 2)/(n + μ_eff + 5),
 *   d_σ = 1 + 2 max(0, √((μ_eff − 1)/(n + 1)) − 1) + c_σ,
 *   c_c = (4 + μ_eff/n)/(n + 4 + 2μ_eff/n), c_m = 1,
 *   E‖N(0, I)‖ ≈ √n (1 − 1/(4n) + 1/(21n²)).
 *
 * C is eigendecomposed every generation (n = 10: cheap) by the cyclic Jacobi
 * method below (`symmetricEigen`); C^(−1/2) y is B z for y = B D z.
 *
 * Restarts: IPOP (A. Auger and N. Hansen, "A Restart CMA Evolution Strategy
 * With Increasing Population Size", CEC 2005): when a run stops, the
 * population size doubles and the strategy starts afresh with σ₀ and C = I.
 * A run stops on: TolFun (the best values of the last 10 + ⌈30n/λ⌉
 * generations and the last generation's values within 1e-12: IPOP's
 * equalfunvals, with a tolerance), TolX (σ·p_c and σ·√C_ii all below
 * 1e-12·σ₀), NoEffectAxis, NoEffectCoord, ConditionCov (cond(C) > 1e14),
 * EqualFunValues (best = k-th best in over a third of the last n
 * generations) and TolXUp (σ·√λ_max > 1e4·σ₀), as the tutorial and the
 * IPOP paper define them.
 * One deviation: the new mean is this island's best point (the champion the
 * network starts every round from), not a uniform random point; config
 * `restartFrom: "random"` gives the original.
 *
 * Ask/tell (./ask-tell.ts): `ask(rng, max)` samples the rest of the current
 * generation (at most `max` points, so a generation may be spread over
 * several asks); the tell that completes the generation updates the
 * distribution. The first mean is `adopt`ed point, else uniform in the box.
 * A restart from a random point draws it from the rng of the ask that gave
 * the generation's last points.
 *
 * The box: with `confine` (default) a sample outside the box is mirrored
 * into it (reflection at the bounds) and that point is evaluated, while the
 * update uses the unmirrored sample (the tutorial's "repair", Appendix B.3:
 * the distribution is not biased by the boundary). Without `confine` the box
 * only bounds the first mean (the quadratic domain, unbounded as the
 * reference defines it).
 *
 * Island model (migration): when an adopted point (the network's champion)
 * is better than this island's best, the mean moves there (σ, C and the
 * paths stay) and a half-evaluated generation is dropped.
 *
 * Written here: no maintained CMA-ES exists on npm.
 */
import type { Rng } from "../rng.ts";
import { beats, checkBox, checkTold, mirror, type AskTellOptimizer, type Box, type Point } from "./ask-tell.ts";

/** Columns p and q of `a` rotated by (c, s) in place: a·J for the Jacobi rotation J. */
function rotateColumns(a: number[][], p: number, q: number, c: number, s: number): void {
  for (const row of a) {
    const ap = row[p] as number;
    const aq = row[q] as number;
    row[p] = c * ap - s * aq;
    row[q] = s * ap + c * aq;
  }
}

/** Eigen-decomposition of a symmetric matrix by cyclic Jacobi rotations: A = V diag(values) Vᵀ (columns of V are the eigenvectors). */
export function symmetricEigen(a: readonly (readonly number[])[]): { values: number[]; vectors: number[][] } {
  const n = a.length;
  const m = a.map((r) => [...r]);
  const v = Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => (i === j ? 1 : 0)));
  let scale = 0;
  for (let p = 0; p < n; p++) for (let q = 0; q < n; q++) scale += (m[p]?.[q] as number) ** 2;
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    for (let p = 0; p < n; p++) for (let q = p + 1; q < n; q++) off += (m[p]?.[q] as number) ** 2;
    if (off <= 1e-30 * scale || off === 0) break;
    for (let p = 0; p < n; p++) {
      for (let q = p + 1; q < n; q++) {
        const mp = m[p] as number[];
        const mq = m[q] as number[];
        const apq = mp[q] as number;
        if (apq === 0) continue;
        const app = mp[p] as number;
        const aqq = mq[q] as number;
        const theta = (aqq - app) / (2 * apq);
        const t = (theta >= 0 ? 1 : -1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        rotateColumns(m, p, q, c, s);
        for (let k = 0; k < n; k++) {
          const mpk = mp[k] as number;
          const mqk = mq[k] as number;
          mp[k] = c * mpk - s * mqk;
          mq[k] = s * mpk + c * mqk;
        }
        rotateColumns(v, p, q, c, s);
      }
    }
  }
  return { values: m.map((r, i) => r[i] as number), vectors: v };
}

/** The default strategy parameters of the tutorial's Table 1 for dimension n and population λ. */
export interface StrategyParameters {
  readonly n: number;
  readonly lambda: number;
  readonly mu: number;
  /** all λ recombination weights, best first (the last λ − μ are ≤ 0) */
  readonly weights: readonly number[];
  readonly mueff: number;
  readonly mueffMinus: number;
  readonly cc: number;
  readonly cs: number;
  readonly c1: number;
  readonly cmu: number;
  readonly ds: number;
  readonly cm: number;
  readonly chiN: number;
}

export function defaultLambda(n: number): number {
  return 4 + Math.floor(3 * Math.log(n));
}

export function strategyParameters(n: number, lambda = defaultLambda(n)): StrategyParameters {
  if (!Number.isInteger(n) || n < 1) throw new RangeError("n must be a positive integer");
  if (!Number.isInteger(lambda) || lambda < 2) throw new RangeError("λ must be an integer ≥ 2");
  const mu = Math.floor(lambda / 2);
  const wPrime = Array.from({ length: lambda }, (_, i) => Math.log((lambda + 1) / 2) - Math.log(i + 1));
  const pos = wPrime.slice(0, mu);
  const neg = wPrime.slice(mu);
  const sum = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0);
  const sumSq = (xs: readonly number[]) => xs.reduce((a, b) => a + b * b, 0);
  const mueff = sum(pos) ** 2 / sumSq(pos);
  const mueffMinus = sumSq(neg) === 0 ? 0 : sum(neg) ** 2 / sumSq(neg);
  const alphaCov = 2;
  const c1 = alphaCov / ((n + 1.3) ** 2 + mueff);
  const cmu = Math.min(1 - c1, (alphaCov * (0.25 + mueff + 1 / mueff - 2)) / ((n + 2) ** 2 + (alphaCov * mueff) / 2));
  const alphaMuMinus = 1 + c1 / cmu;
  const alphaMueffMinus = 1 + (2 * mueffMinus) / (mueff + 2);
  const alphaPosdefMinus = (1 - c1 - cmu) / (n * cmu);
  const negScale = Math.min(alphaMuMinus, alphaMueffMinus, alphaPosdefMinus);
  const sumPos = wPrime.filter((w) => w > 0).reduce((a, b) => a + b, 0);
  const sumNegAbs = wPrime.filter((w) => w < 0).reduce((a, b) => a - b, 0);
  const weights = wPrime.map((w) => (w >= 0 ? w / sumPos : (negScale * w) / sumNegAbs));
  const cs = (mueff + 2) / (n + mueff + 5);
  const ds = 1 + 2 * Math.max(0, Math.sqrt((mueff - 1) / (n + 1)) - 1) + cs;
  const cc = (4 + mueff / n) / (n + 4 + (2 * mueff) / n);
  const chiN = Math.sqrt(n) * (1 - 1 / (4 * n) + 1 / (21 * n * n));
  return { n, lambda, mu, weights, mueff, mueffMinus, cc, cs, c1, cmu, ds, cm: 1, chiN };
}

export interface CmaesOptions {
  /** the search box: the first mean is drawn uniformly in it; with `confine`, every evaluated point lies in it */
  readonly box: Box;
  /** mirror samples into the box (default true); false: the box only bounds the first mean */
  readonly confine?: boolean;
  /** initial step size σ₀ (default 0.3 × the box's mean width) */
  readonly sigma0?: number;
  /** first population size (default Table 1's 4 + ⌊3 ln n⌋) */
  readonly lambda0?: number;
  /** IPOP doubles λ at each restart up to this (default 4096) */
  readonly maxLambda?: number;
  /** where a restart puts the mean (default "best") */
  readonly restartFrom?: "best" | "random";
}

interface Sample {
  readonly z: number[];
  readonly y: number[];
  /** the point evaluated (in the box when confined) */
  readonly x: number[];
  f: number;
}

/** The termination criteria that stopped the last run (for tests and logs). */
export type StopReason = "TolFun" | "TolX" | "NoEffectAxis" | "NoEffectCoord" | "ConditionCov" | "EqualFunValues" | "TolXUp" | "NotFinite";

/** One island's CMA-ES (ask/tell): state kept between rounds. */
export class CmaesOptimizer implements AskTellOptimizer {
  readonly name = "cmaes";
  readonly dim: number;
  readonly box: Box;
  readonly confine: boolean;
  readonly sigma0: number;
  readonly maxLambda: number;
  readonly restartFrom: "best" | "random";

  private params: StrategyParameters;
  private started = false;
  private mean: number[] = [];
  private sigmaNow = 0;
  private C: number[][] = [];
  private B: number[][] = [];
  private D: number[] = [];
  private ps: number[] = [];
  private pc: number[] = [];
  private gen = 0;
  /** the current generation's samples told so far */
  private pending: Sample[] = [];
  /** asked, not yet told */
  private asked: Sample[] = [];
  /** the rng of the last ask (a random restart draws from it) */
  private askRng: Rng | null = null;
  private bestSoFar: Point | null = null;
  /** best f of each generation of the current run, and the f of the last generation */
  private bestHistory: number[] = [];
  private equalHistory: boolean[] = [];
  private lastFs: number[] = [];
  private restartCount = 0;
  private lastStop: StopReason | null = null;

  constructor(opts: CmaesOptions) {
    this.box = checkBox(opts.box);
    this.dim = this.box.lower.length;
    this.confine = opts.confine ?? true;
    const meanWidth = this.box.upper.reduce((a, u, i) => a + u - (this.box.lower[i] as number), 0) / this.dim;
    this.sigma0 = opts.sigma0 ?? 0.3 * meanWidth;
    this.maxLambda = opts.maxLambda ?? 4096;
    this.restartFrom = opts.restartFrom ?? "best";
    if (!(this.sigma0 > 0) || !Number.isFinite(this.sigma0)) throw new RangeError("sigma0 must be a positive number");
    this.params = strategyParameters(this.dim, opts.lambda0 ?? defaultLambda(this.dim));
  }

  best(): Point | null {
    return this.bestSoFar;
  }
  get lambda(): number {
    return this.params.lambda;
  }
  get sigma(): number {
    return this.sigmaNow;
  }
  get generation(): number {
    return this.gen;
  }
  get restarts(): number {
    return this.restartCount;
  }
  get stopReason(): StopReason | null {
    return this.lastStop;
  }
  get currentMean(): readonly number[] {
    return this.mean;
  }
  get strategy(): StrategyParameters {
    return this.params;
  }

  private reset(mean: readonly number[]): void {
    const n = this.dim;
    this.mean = [...mean];
    this.sigmaNow = this.sigma0;
    this.C = Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => (i === j ? 1 : 0)));
    this.B = this.C.map((r) => [...r]);
    this.D = Array.from({ length: n }, () => 1);
    this.ps = Array.from({ length: n }, () => 0);
    this.pc = Array.from({ length: n }, () => 0);
    this.gen = 0;
    this.pending = [];
    this.asked = [];
    this.bestHistory = [];
    this.equalHistory = [];
    this.lastFs = [];
  }

  private randomPoint(rng: Rng): number[] {
    return this.box.lower.map((lo, i) => rng.uniform(lo, this.box.upper[i] as number));
  }

  /** Migration: a better point moves the mean there (σ, C and the paths stay) and drops a half-evaluated generation. */
  adopt(point: Point): boolean {
    if (!beats(point.f, this.bestSoFar)) return false;
    this.bestSoFar = { x: [...point.x], f: point.f };
    if (this.started) {
      this.mean = [...point.x];
      this.pending = [];
      this.asked = [];
    }
    return true;
  }

  /** The rest of the current generation, at most `max` points (at least one). */
  ask(rng: Rng, max = Number.POSITIVE_INFINITY): number[][] {
    if (!this.started) {
      this.reset(this.bestSoFar?.x ?? this.randomPoint(rng));
      this.started = true;
    }
    const limit = max >= 1 ? Math.floor(max) : 1;
    this.asked = [];
    this.askRng = rng;
    while (this.pending.length + this.asked.length < this.params.lambda && this.asked.length < limit) this.asked.push(this.sample(rng));
    return this.asked.map((s) => [...s.x]);
  }

  /** The values of the last ask's points; the tell that completes a generation updates the distribution. */
  tell(points: readonly (readonly number[])[], values: readonly number[]): void {
    checkTold(
      this.asked.map((s) => s.x),
      points,
      values,
    );
    for (let k = 0; k < this.asked.length; k++) {
      const s = this.asked[k] as Sample;
      s.f = values[k] as number;
      if (beats(s.f, this.bestSoFar)) this.bestSoFar = { x: [...s.x], f: s.f };
      this.pending.push(s);
    }
    this.asked = [];
    if (this.pending.length === this.params.lambda) this.update(this.askRng as Rng);
  }

  private sample(rng: Rng): Sample {
    const n = this.dim;
    const z = Array.from({ length: n }, () => rng.normal());
    const y = new Array<number>(n).fill(0);
    for (let i = 0; i < n; i++) {
      const bi = this.B[i] as number[];
      let acc = 0;
      for (let j = 0; j < n; j++) acc += (bi[j] as number) * (this.D[j] as number) * (z[j] as number);
      y[i] = acc;
    }
    const raw = this.mean.map((m, i) => m + this.sigmaNow * (y[i] as number));
    const x = this.confine ? raw.map((v, i) => mirror(v, this.box.lower[i] as number, this.box.upper[i] as number)) : raw;
    return { z, y, x, f: Number.NaN };
  }

  private update(rng: Rng): void {
    const n = this.dim;
    const p = this.params;
    const { mu, weights, mueff, cc, cs, c1, cmu, ds, cm, chiN } = p;
    // Stable sort, best (highest f) first; NaN last.
    const samples = [...this.pending].sort((a, b) => (Number.isNaN(a.f) ? 1 : Number.isNaN(b.f) ? -1 : b.f - a.f));
    this.pending = [];

    const yw = new Array<number>(n).fill(0);
    const zw = new Array<number>(n).fill(0);
    for (let k = 0; k < mu; k++) {
      const s = samples[k] as Sample;
      const w = weights[k] as number;
      for (let i = 0; i < n; i++) {
        yw[i] = (yw[i] as number) + w * (s.y[i] as number);
        zw[i] = (zw[i] as number) + w * (s.z[i] as number);
      }
    }
    this.mean = this.mean.map((m, i) => m + cm * this.sigmaNow * (yw[i] as number));
    // C^(−1/2) ⟨y⟩_w = B ⟨z⟩_w
    const invSqrtYw = this.B.map((row) => row.reduce((acc, bij, j) => acc + bij * (zw[j] as number), 0));
    const psFactor = Math.sqrt(cs * (2 - cs) * mueff);
    this.ps = this.ps.map((v, i) => (1 - cs) * v + psFactor * (invSqrtYw[i] as number));
    const psNorm = Math.hypot(...this.ps);
    const hsig = psNorm / Math.sqrt(1 - (1 - cs) ** (2 * (this.gen + 1))) < (1.4 + 2 / (n + 1)) * chiN ? 1 : 0;
    const pcFactor = hsig * Math.sqrt(cc * (2 - cc) * mueff);
    this.pc = this.pc.map((v, i) => (1 - cc) * v + pcFactor * (yw[i] as number));

    // w°ᵢ = wᵢ for wᵢ ≥ 0, else wᵢ · n / ‖C^(−1/2) yᵢ‖² (= n / ‖zᵢ‖²)
    const wCirc = samples.map((s, k) => {
      const w = weights[k] as number;
      if (w >= 0) return w;
      const zz = s.z.reduce((a, b) => a + b * b, 0);
      return zz > 0 ? (w * n) / zz : 0;
    });
    const sumW = weights.reduce((a, b) => a + b, 0);
    const delta = (1 - hsig) * cc * (2 - cc);
    const decay = 1 + c1 * delta - c1 - cmu * sumW;
    for (let i = 0; i < n; i++) {
      const ci = this.C[i] as number[];
      for (let j = 0; j <= i; j++) {
        let rankMu = 0;
        for (let k = 0; k < samples.length; k++) {
          const y = (samples[k] as Sample).y;
          rankMu += (wCirc[k] as number) * (y[i] as number) * (y[j] as number);
        }
        const v = decay * (ci[j] as number) + c1 * (this.pc[i] as number) * (this.pc[j] as number) + cmu * rankMu;
        ci[j] = v;
        (this.C[j] as number[])[i] = v;
      }
    }
    this.sigmaNow *= Math.exp((cs / ds) * (psNorm / chiN - 1));
    const eig = symmetricEigen(this.C);
    this.B = eig.vectors;
    const floor = 1e-300;
    this.D = eig.values.map((v) => Math.sqrt(Math.max(v, floor)));
    this.gen++;

    const fs = samples.map((s) => s.f);
    this.bestHistory.push(fs[0] as number);
    const k = Math.min(samples.length - 1, Math.ceil(0.1 + p.lambda / 4));
    this.equalHistory.push(fs[0] === fs[k]);
    this.lastFs = fs;
    const stop = this.shouldStop(eig.values);
    if (stop !== null) this.restart(stop, rng);
  }

  /** The restart criteria (see the header), evaluated after each generation. */
  private shouldStop(eigenvalues: readonly number[]): StopReason | null {
    const n = this.dim;
    const sigma = this.sigmaNow;
    if (!Number.isFinite(sigma) || !this.mean.every(Number.isFinite) || !eigenvalues.every(Number.isFinite)) return "NotFinite";
    const histLen = 10 + Math.ceil((30 * n) / this.params.lambda);
    if (this.bestHistory.length >= histLen) {
      const recent = [...this.bestHistory.slice(-histLen), ...this.lastFs];
      if (Math.max(...recent) - Math.min(...recent) < 1e-12) return "TolFun";
    }
    const tolX = 1e-12 * this.sigma0;
    let allSmall = true;
    for (let i = 0; i < n; i++) {
      if (sigma * Math.abs(this.pc[i] as number) >= tolX || sigma * Math.sqrt((this.C[i] as number[])[i] as number) >= tolX) {
        allSmall = false;
        break;
      }
    }
    if (allSmall) return "TolX";
    const axis = this.gen % n;
    const dAxis = this.D[axis] as number;
    if (this.mean.every((m, j) => m + 0.1 * sigma * dAxis * ((this.B[j] as number[])[axis] as number) === m)) return "NoEffectAxis";
    if (this.mean.some((m, i) => m + 0.2 * sigma * Math.sqrt((this.C[i] as number[])[i] as number) === m)) return "NoEffectCoord";
    const maxEig = Math.max(...eigenvalues);
    const minEig = Math.min(...eigenvalues);
    if (minEig <= 0 || maxEig / minEig > 1e14) return "ConditionCov";
    if (this.equalHistory.length >= n && this.equalHistory.slice(-n).filter(Boolean).length > n / 3) return "EqualFunValues";
    if (sigma * Math.sqrt(maxEig) > 1e4 * this.sigma0) return "TolXUp";
    return null;
  }

  private restart(reason: StopReason, rng: Rng): void {
    this.lastStop = reason;
    this.restartCount++;
    this.params = strategyParameters(this.dim, Math.min(this.maxLambda, this.params.lambda * 2));
    const from = this.restartFrom === "random" || this.bestSoFar === null ? this.randomPoint(rng) : this.bestSoFar.x;
    this.reset(from);
  }
}
