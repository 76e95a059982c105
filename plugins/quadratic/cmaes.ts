/**
 * CMA-ES with IPOP restarts, one generation per round.
 *
 * Follows N. Hansen, "The CMA Evolution Strategy: A Tutorial"
 * (arXiv:1604.00772), the (μ/μ_w, λ)-CMA-ES with the default strategy
 * parameters of its Table 1 (λ = 4 + ⌊3 ln n⌋, positive recombination
 * weights, cσ, dσ, cc, c1, cμ) and the eigendecomposition of C for sampling
 * and for C^(−1/2). Restarts (Auger & Hansen 2005, IPOP) double λ when σ
 * collapses or the search stagnates. Island model: when the adopted
 * champion is better than its own best, the mean moves there.
 * Written here because no maintained CMA-ES exists on npm.
 */
import { N_PARAMS } from "./domain.ts";
import type { Objective, Optimizer } from "./random-step.ts";
import { createRng } from "./rng.ts";

/** Eigen-decomposition of a symmetric matrix by cyclic Jacobi rotations: A = V diag(d) Vᵀ. */
export function symmetricEigen(a: readonly number[][]): { values: number[]; vectors: number[][] } {
  const n = a.length;
  const m = a.map((r) => [...r]);
  const v = Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => (i === j ? 1 : 0)));
  for (let sweep = 0; sweep < 60; sweep++) {
    let off = 0;
    for (let p = 0; p < n; p++) for (let q = p + 1; q < n; q++) off += (m[p]?.[q] ?? 0) ** 2;
    if (off < 1e-22) break;
    for (let p = 0; p < n; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = m[p]?.[q] as number;
        if (Math.abs(apq) < 1e-300) continue;
        const app = m[p]?.[p] as number;
        const aqq = m[q]?.[q] as number;
        const theta = (aqq - app) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < n; k++) {
          const mkp = m[k]?.[p] as number;
          const mkq = m[k]?.[q] as number;
          (m[k] as number[])[p] = c * mkp - s * mkq;
          (m[k] as number[])[q] = s * mkp + c * mkq;
        }
        for (let k = 0; k < n; k++) {
          const mpk = m[p]?.[k] as number;
          const mqk = m[q]?.[k] as number;
          (m[p] as number[])[k] = c * mpk - s * mqk;
          (m[q] as number[])[k] = s * mpk + c * mqk;
        }
        for (let k = 0; k < n; k++) {
          const vkp = v[k]?.[p] as number;
          const vkq = v[k]?.[q] as number;
          (v[k] as number[])[p] = c * vkp - s * vkq;
          (v[k] as number[])[q] = s * vkp + c * vkq;
        }
      }
    }
  }
  return { values: m.map((r, i) => r[i] as number), vectors: v };
}

export function cmaes(seed: number, opts: { sigma0?: number; lambda0?: number } = {}): Optimizer {
  const n = N_PARAMS;
  const rng = createRng(seed);
  let lambda = opts.lambda0 ?? 4 + Math.floor(3 * Math.log(n));
  let mean: number[] = [];
  let sigma = 0;
  let C: number[][] = [];
  let B: number[][] = [];
  let D: number[] = [];
  let ps: number[] = [];
  let pc: number[] = [];
  let gen = 0;
  let best: { x: number[]; f: number } | null = null;
  let lastImprovementGen = 0;
  let started = false;
  const chiN = Math.sqrt(n) * (1 - 1 / (4 * n) + 1 / (21 * n * n));

  const restart = (from: readonly number[]): void => {
    mean = [...from];
    sigma = opts.sigma0 ?? 3;
    C = Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => (i === j ? 1 : 0)));
    B = C.map((r) => [...r]);
    D = Array.from({ length: n }, () => 1);
    ps = Array.from({ length: n }, () => 0);
    pc = Array.from({ length: n }, () => 0);
    gen = 0;
    lastImprovementGen = 0;
  };

  return {
    round(objective: Objective, start) {
      if (start !== null && (best === null || start.f > best.f)) {
        best = { x: [...start.x], f: start.f };
        if (started) mean = [...start.x]; // migration: move the search to the better island
      }
      if (!started) {
        restart(best?.x ?? Array.from({ length: n }, () => rng.uniform(-10, 10)));
        started = true;
      }
      const mu = Math.floor(lambda / 2);
      const raw = Array.from({ length: mu }, (_, i) => Math.log(mu + 0.5) - Math.log(i + 1));
      const sum = raw.reduce((a, b) => a + b, 0);
      const w = raw.map((x) => x / sum);
      const mueff = 1 / w.reduce((a, b) => a + b * b, 0);
      const cs = (mueff + 2) / (n + mueff + 5);
      const ds = 1 + 2 * Math.max(0, Math.sqrt((mueff - 1) / (n + 1)) - 1) + cs;
      const cc = (4 + mueff / n) / (n + 4 + (2 * mueff) / n);
      const c1 = 2 / ((n + 1.3) ** 2 + mueff);
      const cmu = Math.min(1 - c1, (2 * (mueff - 2 + 1 / mueff)) / ((n + 2) ** 2 + mueff));

      const samples: { x: number[]; y: number[]; f: number }[] = [];
      for (let k = 0; k < lambda; k++) {
        const z = Array.from({ length: n }, () => rng.normal());
        const dz = z.map((v, i) => v * (D[i] as number));
        const y = Array.from({ length: n }, (_, i) => (B[i] as number[]).reduce((acc, bij, j) => acc + bij * (dz[j] as number), 0));
        const x = mean.map((m, i) => m + sigma * (y[i] as number));
        samples.push({ x, y, f: objective(x) });
      }
      samples.sort((a, b) => b.f - a.f); // higher is better
      const top = samples[0] as { x: number[]; f: number };
      if (best === null || top.f > best.f) {
        best = { x: [...top.x], f: top.f };
        lastImprovementGen = gen;
      }
      const yw = Array.from({ length: n }, (_, i) => samples.slice(0, mu).reduce((acc, s, k) => acc + (w[k] as number) * (s.y[i] as number), 0));
      mean = mean.map((m, i) => m + sigma * (yw[i] as number));
      // C^(-1/2) yw = B D^-1 Bᵀ yw
      const bty = Array.from({ length: n }, (_, j) => B.reduce((acc, row, i) => acc + (row[j] as number) * (yw[i] as number), 0));
      const invsq = Array.from({ length: n }, (_, i) => (B[i] as number[]).reduce((acc, bij, j) => acc + (bij * (bty[j] as number)) / (D[j] as number), 0));
      ps = ps.map((p, i) => (1 - cs) * p + Math.sqrt(cs * (2 - cs) * mueff) * (invsq[i] as number));
      const psNorm = Math.sqrt(ps.reduce((a, b) => a + b * b, 0));
      const hs = psNorm / Math.sqrt(1 - (1 - cs) ** (2 * (gen + 1))) < (1.4 + 2 / (n + 1)) * chiN ? 1 : 0;
      pc = pc.map((p, i) => (1 - cc) * p + hs * Math.sqrt(cc * (2 - cc) * mueff) * (yw[i] as number));
      for (let i = 0; i < n; i++) {
        for (let j = 0; j < n; j++) {
          let rankMu = 0;
          for (let k = 0; k < mu; k++) rankMu += (w[k] as number) * ((samples[k] as { y: number[] }).y[i] as number) * ((samples[k] as { y: number[] }).y[j] as number);
          const cij = C[i]?.[j] as number;
          (C[i] as number[])[j] = (1 - c1 - cmu) * cij + c1 * ((pc[i] as number) * (pc[j] as number) + (1 - hs) * cc * (2 - cc) * cij) + cmu * rankMu;
        }
      }
      sigma *= Math.exp((cs / ds) * (psNorm / chiN - 1));
      const eig = symmetricEigen(C);
      B = eig.vectors;
      D = eig.values.map((v) => Math.sqrt(Math.max(v, 1e-20)));
      gen++;
      const evaluations = lambda;
      const maxD = Math.max(...D);
      const minD = Math.min(...D);
      if (sigma * maxD < 1e-10 || maxD / minD > 1e7 || gen - lastImprovementGen > 10 + Math.ceil((30 * n) / lambda)) {
        lambda *= 2; // IPOP restart around the best point found
        restart((best as { x: number[] }).x);
      }
      const b = best as { x: number[]; f: number };
      return { x: [...b.x], f: b.f, evaluations };
    },
  };
}
