/**
 * Quorums drawn by the real selection (core/quorum.ts quorumSeed and
 * selectQuorum over real addresses), counted against the exact hypergeometric
 * law of capture.ts: how many colluders each quorum holds, for several
 * colluder counts and quorum sizes at once.
 *
 * One selectQuorum(seed, eligible, kMax) per trial serves every k ≤ kMax: the
 * selection is the candidates ranked by H(seed, candidate), cut at k, so the
 * quorum of size k is the first k of the quorum of size kMax (a test checks
 * this against separate calls). The colluders are the first m addresses of
 * the list: the ranking is a hash, so which addresses collude does not matter.
 */
import { hashOf } from "../../core/hash.ts";
import { quorumSeed, selectQuorum } from "../../core/quorum.ts";
import type { DomainConfig } from "../../core/types.ts";
import { binomial, decisiveColluders, DECISIONS, ratioToNumber, type Decision } from "./capture.ts";
import { simulatedAddress } from "./simulation.ts";

export interface SelectionTrialsConfig {
  readonly seed: number;
  readonly eligible: number;
  /** colluder counts to count for */
  readonly colluders: readonly number[];
  /** quorum sizes to count for */
  readonly ks: readonly number[];
  readonly trials: number;
  readonly domain: DomainConfig;
}

export interface SelectionCell {
  readonly colluders: number;
  readonly k: number;
  /** trials by the number of colluders drawn (index 0…k) */
  readonly histogram: readonly number[];
  /** trials whose quorum held enough colluders for each decision */
  readonly captured: Readonly<Record<Decision, number>>;
}

export interface SelectionTrialsResult {
  readonly trials: number;
  readonly cells: readonly SelectionCell[];
}

export function selectionTrials(cfg: SelectionTrialsConfig): SelectionTrialsResult {
  const addresses = Array.from({ length: cfg.eligible }, (_, i) => simulatedAddress(`selection-${cfg.seed}-${i}`));
  const index = new Map(addresses.map((a, i) => [a, i]));
  const kMax = Math.max(...cfg.ks);
  const histograms = new Map<string, number[]>();
  for (const m of cfg.colluders) for (const k of cfg.ks) histograms.set(`${m}:${k}`, new Array<number>(k + 1).fill(0));
  for (let t = 0; t < cfg.trials; t++) {
    const seed = quorumSeed(hashOf("beacon", { selection: cfg.seed, trial: t }));
    const drawn = selectQuorum(seed, addresses, kMax).map((a) => index.get(a) as number);
    for (const m of cfg.colluders) {
      for (const k of cfg.ks) {
        let c = 0;
        for (let i = 0; i < k; i++) if ((drawn[i] as number) < m) c++;
        const h = histograms.get(`${m}:${k}`) as number[];
        h[c] = (h[c] as number) + 1;
      }
    }
  }
  const cells: SelectionCell[] = [];
  for (const m of cfg.colluders) {
    for (const k of cfg.ks) {
      const histogram = histograms.get(`${m}:${k}`) as number[];
      const need = decisiveColluders(k, cfg.domain);
      const captured = Object.fromEntries(
        DECISIONS.map((d) => [d, histogram.slice(need[d]).reduce((s, x) => s + x, 0)]),
      ) as Record<Decision, number>;
      cells.push({ colluders: m, k, histogram, captured });
    }
  }
  return { trials: cfg.trials, cells };
}

/** The hypergeometric probabilities of drawing 0…k marked items (the exact law a cell's histogram should follow). */
export function hypergeometricPmf(population: number, marked: number, draws: number): number[] {
  const den = binomial(population, draws);
  return Array.from({ length: draws + 1 }, (_, i) => ratioToNumber({ num: binomial(marked, i) * binomial(population - marked, draws - i), den }));
}
