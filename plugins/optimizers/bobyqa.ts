/**
 * A model-based trust-region optimizer for expensive objectives, in the
 * formulation of M. J. D. Powell's BOBYQA ("The BOBYQA algorithm for bound
 * constrained optimization without derivatives", Cambridge report DAMTP
 * 2009/NA06), ask/tell over a box. Why this family: each evaluation (a model
 * trained) buys a quadratic model of the objective that the next point
 * exploits, so few evaluations reach a precise optimum on smooth objectives,
 * where a population method spends λ per step and a random step stalls.
 *
 * What follows BOBYQA:
 * - `npt` interpolation points (n + 2 ≤ npt ≤ 2n + 1); the first are x₀ and
 *   x₀ ± ρ_beg eᵢ (BOBYQA's initial design; near a bound both go inwards,
 *   +ρ and +2ρ, or −ρ and −2ρ), asked as one batch;
 * - the quadratic model Q interpolates the values at the points, and each
 *   change of it is the one of least Frobenius norm of its Hessian change
 *   (Powell, "Least Frobenius norm updating of quadratic models that satisfy
 *   interpolation conditions", Math. Programming 100, 2004): Q ← Q + D with
 *   ∇²D = Σⱼ λⱼ sⱼsⱼᵀ from the KKT system [A e S; eᵀ 0 0; Sᵀ 0 0], Aᵢⱼ =
 *   ½(sᵢ·sⱼ)², sᵢ = yᵢ − x_opt;
 * - a trial step maximizes Q in the trust region ‖s‖ ≤ Δ intersected with
 *   the box (truncated conjugate gradients that fix a variable when it
 *   reaches its bound, as TRSBOX does, without TRSBOX's further search along
 *   the region's boundary);
 * - ratio r = actual / predicted improvement; Δ ← min(½Δ, ‖s‖) if r ≤ 0.1,
 *   max(½Δ, ‖s‖) if r ≤ 0.7, else max(½Δ, 2‖s‖); Δ ← ρ when Δ ≤ 1.5ρ;
 * - the new point replaces the point t of largest weighted Lagrange value
 *   |ℓₜ(x_new)| · max(1, ‖yₜ − x_opt‖²/Δ²)² (BOBYQA weighs its denominator
 *   by distance the same way), never x_opt unless the new point is better;
 * - after a poor step, a point farther than 2Δ from x_opt is replaced by a
 *   geometry step that maximizes |ℓₜ| within max(0.1Δ, ρ) of x_opt (as
 *   ALTMOV does: along the lines through x_opt and the other points, and
 *   along ∇ℓₜ), else ρ is reduced when Δ is down to ρ (ρ ← ρ/10 while
 *   ρ > 250 ρ_end, ← √(ρ ρ_end) while ρ > 16 ρ_end, else ρ_end), Δ ←
 *   max(½ρ_old, ρ_new).
 *
 * Where it departs (all deliberate):
 * - the KKT system is solved afresh each iteration (LU, ml-matrix) instead
 *   of Powell's updating of its inverse: the same model up to rounding, and
 *   cheap for the dimensions searched here (npt + n + 1 ≤ a few dozen);
 * - the first Δ is `deltaInit` (default 2ρ_beg) rather than ρ_beg: on a
 *   smooth objective the first model's step is then allowed to go further;
 * - it never stops: at ρ_end it restarts around x_opt with a fresh design
 *   at ρ_beg (the "soft restart" of Py-BOBYQA, C. Cartis, J. Fiala,
 *   B. Marteau and L. Roberts, ACM TOMS 45(3), 2019), since an island runs
 *   for as long as its runner does;
 * - noise (config `noise`: the standard deviation of an evaluation): as in
 *   Py-BOBYQA's noisy mode, ρ is reduced more slowly (÷2 instead of ÷10),
 *   and when every interpolated value is within 5·noise of the best the
 *   model is fitting noise: it restarts around x_opt (a fresh design, the
 *   best so far kept);
 * - migration: an adopted point (value known, from the network) enters the
 *   interpolation set like an evaluated one when the optimizer runs (it
 *   becomes x_opt); before the first design it is x₀.
 *
 * Randomness: only x₀ when nothing was adopted (uniform in the box); the
 * rest is deterministic. Written here: npm has no BOBYQA/NEWUOA, and the
 * NLopt port (nlopt-js) calls the objective synchronously from inside its
 * loop, which an ask/tell optimizer whose evaluations run as batched GPU
 * jobs and whose island adopts other nodes' points cannot use.
 */
import { LuDecomposition, Matrix } from "ml-matrix";
import type { Rng } from "../rng.ts";
import { beats, checkBox, checkTold, clipToBox, type AskTellOptimizer, type Box, type Point } from "./ask-tell.ts";

export interface BobyqaOptions {
  readonly box: Box;
  /** interpolation points, n + 2 … 2n + 1 (default 2n + 1) */
  readonly npt?: number;
  /** initial and restart resolution ρ_beg (default 0.2 × the smallest box width, at most ¼ of it) */
  readonly rhoBeg?: number;
  /** final resolution ρ_end before a restart (default 10⁻⁶ ρ_beg) */
  readonly rhoEnd?: number;
  /** the first trust-region radius (default 2 ρ_beg) */
  readonly deltaInit?: number;
  /** standard deviation of an evaluation's noise (default 0: exact values) */
  readonly noise?: number;
}

/** With noise σ, a model whose values all lie within this many σ of the best one fits noise (5: measured best of 2, 3, 5, 10, 20 on two noisy quadratics). */
const NOISE_SPREAD = 5;

/** What the outstanding ask is. */
type Pending = { readonly kind: "design" } | { readonly kind: "trial"; readonly predicted: number; readonly stepNorm: number } | { readonly kind: "geometry"; readonly replace: number };

/** A quadratic around `center`: c + gᵀs + ½ sᵀHs, s = x − center. */
interface Quadratic {
  readonly center: number[];
  readonly c: number;
  readonly g: number[];
  readonly H: number[][];
}

const dot = (a: readonly number[], b: readonly number[]) => a.reduce((acc, v, i) => acc + v * (b[i] as number), 0);
const sub = (a: readonly number[], b: readonly number[]) => a.map((v, i) => v - (b[i] as number));
const norm = (a: readonly number[]) => Math.sqrt(dot(a, a));
const matVec = (m: readonly (readonly number[])[], v: readonly number[]) => m.map((row) => dot(row, v));

function valueAt(q: Quadratic, x: readonly number[]): number {
  const s = sub(x, q.center);
  return q.c + dot(q.g, s) + 0.5 * dot(s, matVec(q.H, s));
}

/** The same quadratic around another center. */
function recenter(q: Quadratic, center: readonly number[]): Quadratic {
  const s = sub(center, q.center);
  const hs = matVec(q.H, s);
  return { center: [...center], c: q.c + dot(q.g, s) + 0.5 * dot(s, hs), g: q.g.map((v, i) => v + (hs[i] as number)), H: q.H.map((r) => [...r]) };
}

export class BobyqaOptimizer implements AskTellOptimizer {
  readonly name = "bobyqa";
  readonly dim: number;
  readonly box: Box;
  readonly npt: number;
  readonly rhoBeg: number;
  readonly rhoEnd: number;
  readonly deltaInit: number;
  readonly noise: number;

  private Y: number[][] = [];
  private F: number[] = [];
  private kopt = 0;
  private model: Quadratic | null = null;
  private delta = 0;
  private rho = 0;
  /** the design still to be evaluated (first design or a restart's) */
  private design: number[][] = [];
  private asked: number[][] = [];
  private pending: Pending | null = null;
  /** what the next ask does after a poor step */
  private needGeometry = false;
  private bestSoFar: Point | null = null;
  private restartCount = 0;
  private kktCache: { kopt: number; points: number[][]; sys: { lu: LuDecomposition; S: number[][]; scale: number } | null } | null = null;

  constructor(opts: BobyqaOptions) {
    this.box = checkBox(opts.box);
    const n = (this.dim = this.box.lower.length);
    this.npt = opts.npt ?? 2 * n + 1;
    if (!Number.isInteger(this.npt) || this.npt < n + 2 || this.npt > 2 * n + 1) throw new RangeError(`npt must be an integer in [${n + 2}, ${2 * n + 1}]`);
    const minWidth = Math.min(...this.box.upper.map((u, i) => u - (this.box.lower[i] as number)));
    this.rhoBeg = opts.rhoBeg ?? 0.2 * minWidth;
    if (!(this.rhoBeg > 0) || this.rhoBeg > minWidth / 4 + 1e-12 * minWidth) throw new RangeError(`rhoBeg must be in (0, ${minWidth / 4}] (a quarter of the smallest box width)`);
    this.rhoEnd = opts.rhoEnd ?? 1e-6 * this.rhoBeg;
    if (!(this.rhoEnd > 0) || this.rhoEnd > this.rhoBeg) throw new RangeError("rhoEnd must be in (0, rhoBeg]");
    this.deltaInit = opts.deltaInit ?? 2 * this.rhoBeg;
    if (!(this.deltaInit >= this.rhoBeg) || !Number.isFinite(this.deltaInit)) throw new RangeError("deltaInit must be a number ≥ rhoBeg");
    this.noise = opts.noise ?? 0;
    if (!(this.noise >= 0) || !Number.isFinite(this.noise)) throw new RangeError("noise must be a number ≥ 0");
  }

  best(): Point | null {
    return this.bestSoFar;
  }
  /** restarts so far (ρ_end reached, or noise-level model) */
  get restarts(): number {
    return this.restartCount;
  }
  get radius(): { readonly delta: number; readonly rho: number } {
    return { delta: this.delta, rho: this.rho };
  }

  adopt(point: Point): boolean {
    if (!beats(point.f, this.bestSoFar) || point.x.length !== this.dim) return false;
    this.bestSoFar = { x: [...point.x], f: point.f };
    this.asked = [];
    this.pending = null;
    const x = clipToBox(point.x, this.box);
    if (this.model === null || x.some((v, i) => v !== point.x[i])) {
      // Not running yet (or the point lies outside the box): a design around it.
      this.startDesign(x, x.every((v, i) => v === point.x[i]) ? point.f : null);
    } else {
      this.insert(x, point.f, null);
    }
    return true;
  }

  ask(rng: Rng, max = Number.POSITIVE_INFINITY): number[][] {
    const limit = max >= 1 ? Math.floor(max) : 1;
    if (this.model === null && this.design.length === 0) {
      this.startDesign(this.bestSoFar === null ? this.box.lower.map((lo, i) => rng.uniform(lo, this.box.upper[i] as number)) : clipToBox(this.bestSoFar.x, this.box), null);
    }
    if (this.design.length > 0) {
      this.asked = this.design.slice(0, limit).map((x) => [...x]);
      this.pending = { kind: "design" };
      return this.asked.map((x) => [...x]);
    }
    for (;;) {
      if (this.needGeometry) {
        this.needGeometry = false;
        const far = this.farthest();
        if (far !== null) {
          const x = this.geometryPoint(far);
          if (x !== null) return this.askOne(x, { kind: "geometry", replace: far });
        }
        if (this.delta > this.rho) continue;
        if (!this.reduceRho()) return this.ask(rng, limit);
        continue;
      }
      const q = this.model as Quadratic;
      const xopt = this.Y[this.kopt] as number[];
      const s = this.trustRegionStep(q, xopt);
      const stepNorm = norm(s);
      const x = clipToBox(
        xopt.map((v, i) => v + (s[i] as number)),
        this.box,
      );
      const predicted = valueAt(q, x) - valueAt(q, xopt);
      if (stepNorm >= 0.5 * this.rho && predicted > 0 && !this.Y.some((y) => y.every((v, i) => v === x[i]))) return this.askOne(x, { kind: "trial", predicted, stepNorm });
      // A step too short to learn from: fix the geometry, or refine ρ.
      this.delta = Math.max(this.rho, 0.5 * this.delta);
      if (this.farthest() !== null) {
        this.needGeometry = true;
        continue;
      }
      if (!this.reduceRho()) return this.ask(rng, limit);
    }
  }

  tell(points: readonly (readonly number[])[], values: readonly number[]): void {
    checkTold(this.asked, points, values);
    const pending = this.pending;
    this.asked = [];
    this.pending = null;
    for (let k = 0; k < points.length; k++) {
      const f = values[k] as number;
      if (beats(f, this.bestSoFar)) this.bestSoFar = { x: [...(points[k] as number[])], f };
    }
    if (pending === null) return;
    if (pending.kind === "design") {
      for (let k = 0; k < points.length; k++) {
        this.Y.push([...(points[k] as number[])]);
        this.F.push(Number.isFinite(values[k]) ? (values[k] as number) : Number.NEGATIVE_INFINITY);
      }
      this.design = this.design.slice(points.length);
      if (this.design.length === 0) this.finishDesign();
      return;
    }
    const x = points[0] as number[];
    const f = values[0] as number;
    if (!Number.isFinite(f)) {
      // A failed evaluation teaches the model nothing: a smaller region next time.
      this.delta = Math.max(this.rho, 0.5 * this.delta);
      return;
    }
    if (pending.kind === "geometry") {
      this.insert(x, f, pending.replace);
      return;
    }
    const fopt = this.F[this.kopt] as number;
    const ratio = (f - fopt) / pending.predicted;
    const d = pending.stepNorm;
    if (ratio <= 0.1) this.delta = Math.min(0.5 * this.delta, d);
    else if (ratio <= 0.7) this.delta = Math.max(0.5 * this.delta, d);
    else this.delta = Math.max(0.5 * this.delta, 2 * d);
    if (this.delta <= 1.5 * this.rho) this.delta = this.rho;
    this.insert(x, f, null);
    if (ratio <= 0.1) this.needGeometry = true;
  }

  // ------------------------------------------------------------ design

  /** A fresh design around x0 (its value, when known, saves one evaluation). */
  private startDesign(x0: readonly number[], f0: number | null): void {
    const n = this.dim;
    const rho = this.rhoBeg;
    this.Y = [];
    this.F = [];
    this.model = null;
    this.needGeometry = false;
    this.rho = rho;
    this.delta = this.deltaInit;
    const points: number[][] = [];
    if (f0 === null) points.push([...x0]);
    else {
      this.Y.push([...x0]);
      this.F.push(f0);
    }
    const steps: [number, number][] = [];
    for (let j = 0; j < n; j++) {
      const lo = this.box.lower[j] as number;
      const hi = this.box.upper[j] as number;
      const v = x0[j] as number;
      if (v - rho < lo) steps.push([rho, 2 * rho]);
      else if (v + rho > hi) steps.push([-rho, -2 * rho]);
      else steps.push([rho, -rho]);
    }
    const at = (j: number, step: number) => x0.map((v, i) => (i === j ? v + step : v));
    for (let j = 0; j < n; j++) points.push(at(j, (steps[j] as [number, number])[0]));
    for (let j = 0; j < this.npt - n - 1; j++) points.push(at(j, (steps[j] as [number, number])[1]));
    this.design = points;
  }

  private finishDesign(): void {
    // A failed design point counts as worse than every other (the model needs a value at each point).
    const finite = this.F.filter(Number.isFinite);
    if (finite.length === 0) {
      this.restart();
      return;
    }
    const floor = Math.min(...finite) - Math.max(1, Math.max(...finite) - Math.min(...finite));
    this.F = this.F.map((f) => (Number.isFinite(f) ? f : floor));
    this.kopt = this.argmax();
    const zero: Quadratic = { center: [...(this.Y[this.kopt] as number[])], c: 0, g: new Array<number>(this.dim).fill(0), H: Array.from({ length: this.dim }, () => new Array<number>(this.dim).fill(0)) };
    this.model = zero;
    if (!this.refit()) this.restart();
  }

  private argmax(): number {
    let k = 0;
    for (let i = 1; i < this.F.length; i++) if ((this.F[i] as number) > (this.F[k] as number)) k = i;
    return k;
  }

  private restart(): void {
    this.restartCount++;
    const xopt = this.Y[this.kopt];
    const fopt = this.F[this.kopt];
    if (xopt === undefined || fopt === undefined || !Number.isFinite(fopt)) {
      // Nothing to restart from: the next ask starts afresh (from the best so far, else a random point).
      this.Y = [];
      this.F = [];
      this.model = null;
      this.design = [];
      return;
    }
    this.startDesign(clipToBox(xopt, this.box), fopt);
  }

  /** ρ ← the next resolution; false when ρ_end was reached (a restart was started instead). */
  private reduceRho(): boolean {
    const noisy = this.noise > 0;
    const spread = Math.max(...this.F.map((f) => Math.abs(f - (this.F[this.kopt] as number))).filter(Number.isFinite));
    if (this.rho <= this.rhoEnd || (noisy && spread <= NOISE_SPREAD * this.noise)) {
      this.restart();
      return false;
    }
    const old = this.rho;
    if (noisy) this.rho = Math.max(this.rhoEnd, 0.5 * old);
    else if (old > 250 * this.rhoEnd) this.rho = 0.1 * old;
    else if (old > 16 * this.rhoEnd) this.rho = Math.sqrt(old * this.rhoEnd);
    else this.rho = this.rhoEnd;
    this.delta = Math.max(0.5 * old, this.rho);
    return true;
  }

  // ------------------------------------------------------------ model

  /**
   * The KKT matrix of the points relative to x_opt, scaled by the largest
   * distance, LU-factored (null when singular); kept until the points or
   * x_opt change (they are replaced, never mutated: identity tells).
   */
  private system(): { lu: LuDecomposition; S: number[][]; scale: number } | null {
    const c = this.kktCache;
    if (c !== null && c.kopt === this.kopt && c.points.length === this.Y.length && c.points.every((y, i) => y === this.Y[i])) return c.sys;
    const n = this.dim;
    const m = this.Y.length;
    const xopt = this.Y[this.kopt] as number[];
    const scale = Math.max(...this.Y.map((y) => norm(sub(y, xopt)))) || 1;
    const S = this.Y.map((y) => sub(y, xopt).map((v) => v / scale));
    const size = m + n + 1;
    const W = Matrix.zeros(size, size);
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < m; j++) W.set(i, j, 0.5 * dot(S[i] as number[], S[j] as number[]) ** 2);
      W.set(i, m, 1);
      W.set(m, i, 1);
      for (let k = 0; k < n; k++) {
        W.set(i, m + 1 + k, (S[i] as number[])[k] as number);
        W.set(m + 1 + k, i, (S[i] as number[])[k] as number);
      }
    }
    const lu = new LuDecomposition(W);
    const sys = lu.isSingular() ? null : { lu, S, scale };
    this.kktCache = { kopt: this.kopt, points: [...this.Y], sys };
    return sys;
  }

  /** Q ← Q + D, D the least-Frobenius-change correction that makes Q interpolate every point. False when the points are degenerate. */
  private refit(): boolean {
    const n = this.dim;
    const m = this.Y.length;
    const xopt = this.Y[this.kopt] as number[];
    const old = recenter(this.model as Quadratic, xopt);
    const sys = this.system();
    if (sys === null) return false;
    const scale = sys.scale;
    const rhs = Matrix.zeros(m + n + 1, 1);
    for (let i = 0; i < m; i++) rhs.set(i, 0, (this.F[i] as number) - valueAt(old, this.Y[i] as number[]));
    if (!this.F.every(Number.isFinite)) return false;
    const sol = sys.lu.solve(rhs).to1DArray();
    if (!sol.every(Number.isFinite)) return false;
    // Back to unscaled coordinates: s = ŝ·scale, so ∇²D = Σ λⱼ ŝⱼŝⱼᵀ / scale², ∇D = ĝ / scale.
    const H = old.H.map((r) => [...r]);
    for (let j = 0; j < m; j++) {
      const l = (sol[j] as number) / (scale * scale);
      const sj = sys.S[j] as number[];
      for (let a = 0; a < n; a++) for (let b = 0; b < n; b++) (H[a] as number[])[b] = ((H[a] as number[])[b] as number) + l * (sj[a] as number) * (sj[b] as number);
    }
    this.model = { center: [...xopt], c: old.c + (sol[m] as number), g: old.g.map((v, k) => v + (sol[m + 1 + k] as number) / scale), H };
    return true;
  }

  /** The Lagrange function ℓₜ of point t (1 at yₜ, 0 at the other points, least Frobenius norm Hessian), as a quadratic around x_opt. */
  private lagrange(t: number): Quadratic | null {
    const n = this.dim;
    const m = this.Y.length;
    const sys = this.system();
    if (sys === null) return null;
    const scale = sys.scale;
    const rhs = Matrix.zeros(m + n + 1, 1);
    rhs.set(t, 0, 1);
    const sol = sys.lu.solve(rhs).to1DArray();
    const H = Array.from({ length: n }, () => new Array<number>(n).fill(0));
    for (let j = 0; j < m; j++) {
      const l = (sol[j] as number) / (scale * scale);
      const sj = sys.S[j] as number[];
      for (let a = 0; a < n; a++) for (let b = 0; b < n; b++) (H[a] as number[])[b] = ((H[a] as number[])[b] as number) + l * (sj[a] as number) * (sj[b] as number);
    }
    return { center: [...(this.Y[this.kopt] as number[])], c: sol[m] as number, g: Array.from({ length: n }, (_, k) => (sol[m + 1 + k] as number) / scale), H };
  }

  /** Every Lagrange function's value at x: W⁻¹φ(x), φ(x) = [½(sⱼ·s)²; 1; s]. */
  private lagrangeValues(x: readonly number[]): number[] | null {
    const n = this.dim;
    const m = this.Y.length;
    const sys = this.system();
    if (sys === null) return null;
    const scale = sys.scale;
    const s = sub(x, this.Y[this.kopt] as number[]).map((v) => v / scale);
    const phi = Matrix.zeros(m + n + 1, 1);
    for (let j = 0; j < m; j++) phi.set(j, 0, 0.5 * dot(sys.S[j] as number[], s) ** 2);
    phi.set(m, 0, 1);
    for (let k = 0; k < n; k++) phi.set(m + 1 + k, 0, s[k] as number);
    return sys.lu.solve(phi).to1DArray().slice(0, m);
  }

  /**
   * Puts (x, f) into the interpolation set: in place of `replace`, else of
   * the point of largest distance-weighted |ℓₜ(x)| (never x_opt unless x is
   * better); then refits. A degenerate set restarts the design.
   */
  private insert(x: readonly number[], f: number, replace: number | null): void {
    const xopt = this.Y[this.kopt] as number[];
    const better = f > (this.F[this.kopt] as number);
    let t = replace;
    if (t === null) {
      const ell = this.lagrangeValues(x);
      if (ell === null) {
        this.restart();
        return;
      }
      let bestScore = -1;
      for (let k = 0; k < this.Y.length; k++) {
        if (k === this.kopt && !better) continue;
        const d2 = dot(sub(this.Y[k] as number[], xopt), sub(this.Y[k] as number[], xopt)) / (this.delta * this.delta);
        const score = Math.abs(ell[k] as number) * Math.max(1, d2) ** 2;
        if (score > bestScore) {
          bestScore = score;
          t = k;
        }
      }
    }
    const k = t as number;
    this.Y[k] = [...x];
    this.F[k] = f;
    if (better) this.kopt = k;
    else if (k === this.kopt) this.kopt = this.argmax();
    if (!this.refit()) this.restart();
  }

  /** The point farthest from x_opt when it lies beyond max(2Δ, 10ρ), else null. */
  private farthest(): number | null {
    const xopt = this.Y[this.kopt] as number[];
    let far: number | null = null;
    let farD = Math.max(2 * this.delta, 10 * this.rho);
    for (let k = 0; k < this.Y.length; k++) {
      const d = norm(sub(this.Y[k] as number[], xopt));
      if (d > farD) {
        farD = d;
        far = k;
      }
    }
    return far;
  }

  /** A point within max(0.1Δ, ρ) of x_opt (and in the box) where |ℓₜ| is large (ALTMOV's search, simplified). */
  private geometryPoint(t: number): number[] | null {
    const ell = this.lagrange(t);
    if (ell === null) return null;
    const xopt = this.Y[this.kopt] as number[];
    const radius = Math.max(0.1 * this.delta, this.rho);
    const candidates: number[][] = [];
    const along = (dir: readonly number[]) => {
      const len = norm(dir);
      if (len === 0) return;
      for (const sign of [1, -1]) candidates.push(clipToBox(xopt.map((v, i) => v + (sign * radius * (dir[i] as number)) / len), this.box));
    };
    for (let k = 0; k < this.Y.length; k++) if (k !== this.kopt) along(sub(this.Y[k] as number[], xopt));
    along(ell.g);
    let best: number[] | null = null;
    let bestAbs = 0;
    for (const c of candidates) {
      if (this.Y.some((y) => y.every((v, i) => v === c[i]))) continue;
      const v = Math.abs(valueAt(ell, c));
      if (v > bestAbs) {
        bestAbs = v;
        best = c;
      }
    }
    return best;
  }

  /**
   * Maximizes the model within ‖s‖ ≤ Δ and the box: conjugate gradients on
   * −Q; a variable that reaches its bound is fixed there and CG restarts on
   * the others; it stops on the sphere, on negative curvature at the sphere,
   * or when the gradient is small.
   */
  private trustRegionStep(q: Quadratic, xopt: readonly number[]): number[] {
    const n = this.dim;
    const { lower, upper } = this.box;
    // minimize m(s) = gmᵀs + ½ sᵀHm s with gm = −∇Q(x_opt), Hm = −∇²Q
    const g0 = recenter(q, xopt).g;
    const gm = g0.map((v) => -v);
    const Hm = q.H.map((r) => r.map((v) => -v));
    const s = new Array<number>(n).fill(0);
    const free = Array.from({ length: n }, (_, i) => !(((xopt[i] as number) <= (lower[i] as number) && (gm[i] as number) > 0) || ((xopt[i] as number) >= (upper[i] as number) && (gm[i] as number) < 0)));
    const delta2 = this.delta * this.delta;
    const grad = () => {
      const hs = matVec(Hm, s);
      return gm.map((v, i) => (free[i] ? v + (hs[i] as number) : 0));
    };
    let r = grad().map((v) => -v);
    let p = [...r];
    let rr = dot(r, r);
    const tol = 1e-20 * Math.max(1, dot(gm, gm));
    for (let iter = 0; iter < 3 * n && rr > tol; iter++) {
      const hp = matVec(Hm, p);
      const kappa = dot(p, hp);
      // to the sphere: ‖s + αp‖ = Δ
      const sp = dot(s, p);
      const pp = dot(p, p);
      const ss = dot(s, s);
      const alphaTr = (-sp + Math.sqrt(Math.max(0, sp * sp + pp * (delta2 - ss)))) / pp;
      // to the box
      let alphaBox = Number.POSITIVE_INFINITY;
      let hit = -1;
      for (let i = 0; i < n; i++) {
        const pi = p[i] as number;
        if (!free[i] || pi === 0) continue;
        const room = pi > 0 ? (upper[i] as number) - (xopt[i] as number) - (s[i] as number) : (lower[i] as number) - (xopt[i] as number) - (s[i] as number);
        const a = Math.max(0, room / pi);
        if (a < alphaBox) {
          alphaBox = a;
          hit = i;
        }
      }
      const alphaCg = kappa > 0 ? rr / kappa : Number.POSITIVE_INFINITY;
      const alpha = Math.min(alphaCg, alphaTr, alphaBox);
      for (let i = 0; i < n; i++) s[i] = (s[i] as number) + alpha * (p[i] as number);
      if (alpha === alphaTr && alphaTr <= alphaBox) break; // on the sphere
      if (alpha === alphaBox) {
        free[hit] = false;
        s[hit] = (p[hit] as number) > 0 ? (upper[hit] as number) - (xopt[hit] as number) : (lower[hit] as number) - (xopt[hit] as number);
        r = grad().map((v) => -v);
        p = [...r];
        rr = dot(r, r);
        continue;
      }
      const rNew = r.map((v, i) => (free[i] ? v - alpha * (hp[i] as number) : 0));
      const rrNew = dot(rNew, rNew);
      p = rNew.map((v, i) => v + (rrNew / rr) * (p[i] as number));
      r = rNew;
      rr = rrNew;
    }
    return s;
  }

  private askOne(x: number[], pending: Pending): number[][] {
    this.asked = [[...x]];
    this.pending = pending;
    return [[...x]];
  }
}
