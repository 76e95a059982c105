/**
 * When colluders decide a quorum (bench/byzantine/capture.ts), checked three
 * ways: against Python vectors (a brute-force search on a transcription of
 * the verdict rule, exact hypergeometric tails), against core's own
 * aggregateVotes (a dishonest majority does decide; one colluder fewer does
 * not), and against quorums drawn by core's selection (chi-square of the whole
 * distribution, with a control that the check rejects a wrong law).
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { mainnetParams, QUADRATIC_DOMAIN } from "../../../core/params.ts";
import { aggregateVotes, selectQuorum, toleranceFor } from "../../../core/quorum.ts";
import { requiredVotes } from "../../../core/state-transition.ts";
import type { DomainConfig, Fixed, Vote } from "../../../core/types.ts";
import {
  binomial,
  captureProbability,
  decisiveColluders,
  DECISIONS,
  hypergeometricTail,
  minimumQuorum,
  ratioToNumber,
  withholdingColluders,
} from "../../../bench/byzantine/capture.ts";
import { currentRule, referenceRule, sizeRange, worstOverEligible } from "../../../bench/byzantine/quorum-rules.ts";
import { hypergeometricPmf, selectionTrials } from "../../../bench/byzantine/selection-trials.ts";
import { chiSquareCritical, chiSquareFit, countConsistent } from "../../../bench/byzantine/statistics.ts";
import { asObject, expectKeys, int, loadVectors, str } from "../helpers/vectors.ts";

const D = QUADRATIC_DOMAIN;
const M = 1_000_000n;

describe("capture vectors (test/vectors/capture.json)", () => {
  const vectors = loadVectors("capture");
  it("thresholds: the fewest colluders that block, own the median, carry a false claim", () => {
    let n = 0;
    for (const [i, v] of vectors.entries()) {
      if (v["kind"] !== "thresholds") continue;
      expectKeys(v, ["kind", "k", "quorumFractionPpm", "expected"], [], `capture[${i}]`);
      const domain: DomainConfig = { ...D, quorumFractionPpm: int(v["quorumFractionPpm"], "q") };
      const e = asObject(v["expected"], `capture[${i}].expected`);
      expect(decisiveColluders(int(v["k"], "k"), domain), `capture[${i}]`).toEqual({ block: int(e["block"], "b"), median: int(e["median"], "m"), accept: int(e["accept"], "a") });
      n++;
    }
    expect(n).toBe(90);
  });
  it("tails: exact hypergeometric numerators and denominators", () => {
    let n = 0;
    for (const [i, v] of vectors.entries()) {
      if (v["kind"] !== "tail") continue;
      expectKeys(v, ["kind", "eligible", "colluders", "k", "quorumFractionPpm", "expected"], [], `capture[${i}]`);
      const [eligible, colluders, k] = [int(v["eligible"], "n"), int(v["colluders"], "m"), int(v["k"], "k")];
      const need = decisiveColluders(k, { ...D, quorumFractionPpm: int(v["quorumFractionPpm"], "q") });
      const e = asObject(v["expected"], `capture[${i}].expected`);
      for (const d of DECISIONS) {
        const want = asObject(e[d], `capture[${i}].expected.${d}`);
        const got = hypergeometricTail(eligible, colluders, k, need[d]);
        expect({ num: got.num.toString(), den: got.den.toString() }, `capture[${i}].${d}`).toEqual({ num: str(want["num"], "num"), den: str(want["den"], "den") });
      }
      n++;
    }
    expect(n).toBe(18);
  });
});

/** K − c honest votes spread inside a third of the tolerance around `truth`, c colluder votes at `colluderVote` (null: withheld). */
function quorumVotes(k: number, c: number, truth: Fixed, colluderVote: Fixed | null): Vote[] {
  const tol = toleranceFor(truth, D);
  const votes: Vote[] = [];
  for (let i = 0; i < k - c; i++) votes.push({ evaluator: `h${i}`.padEnd(40, "0"), performance: truth + (BigInt(i % 7) - 3n) * (tol / 10n), dataHash: "00".repeat(32) });
  if (colluderVote !== null) for (let i = 0; i < c; i++) votes.push({ evaluator: `c${i}`.padEnd(40, "0"), performance: colluderVote, dataHash: "00".repeat(32) });
  return votes;
}

function accepted(votes: Vote[], reported: Fixed, k: number): boolean {
  const required = requiredVotes(k, D);
  return votes.length >= required && aggregateVotes(votes, reported, D, required).accepted;
}

describe("decisive counts against core's verdict (aggregateVotes, requiredVotes)", () => {
  const truth = -100n * M;
  const tol = toleranceFor(truth, D);
  const inflated = truth + 3n * tol;
  const farBelow = truth - 10n * tol;
  for (let k = 3; k <= 20; k++) {
    it(`K = ${k}`, () => {
      const need = decisiveColluders(k, D);
      // Accept: one colluder short, the honest members reject the inflated claim; at the count, the colluders carry it.
      expect(accepted(quorumVotes(k, need.accept - 1, truth, inflated), inflated, k)).toBe(false);
      expect(accepted(quorumVotes(k, need.accept, truth, inflated), inflated, k)).toBe(true);
      // Block: one short, an honest claim still passes (voting far off or withholding); at the count it fails.
      expect(accepted(quorumVotes(k, need.block - 1, truth, farBelow), truth, k)).toBe(true);
      expect(accepted(quorumVotes(k, need.block, truth, farBelow), truth, k)).toBe(false);
      const w = withholdingColluders(k, D);
      expect(accepted(quorumVotes(k, w - 1, truth, null), truth, k)).toBe(true);
      expect(accepted(quorumVotes(k, w, truth, null), truth, k)).toBe(false);
      // Median: from this count on, every honest vote is an outlier.
      const outliersAt = (c: number) => aggregateVotes(quorumVotes(k, c, truth, farBelow), truth, D, requiredVotes(k, D)).outliers.filter((a) => a.startsWith("h")).length;
      expect(outliersAt(need.median - 1)).toBe(0);
      expect(outliersAt(need.median)).toBe(k - need.median);
    });
  }
});

describe("exact probabilities", () => {
  it("ratioToNumber keeps tiny ratios precise", () => {
    expect(ratioToNumber({ num: 1n, den: 3n })).toBe(1 / 3);
    const den = binomial(1000, 15);
    expect(ratioToNumber({ num: 1n, den }) * Number(den)).toBeCloseTo(1, 12);
    expect(ratioToNumber({ num: 0n, den })).toBe(0);
  });
  it("a tail from 0 is 1, and the pmf sums to 1", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 300 }), fc.double({ min: 0, max: 1, noNaN: true }), fc.double({ min: 0, max: 1, noNaN: true }), (n, fm, fk) => {
        const m = Math.floor(fm * n);
        const k = Math.floor(fk * n);
        const t = hypergeometricTail(n, m, k, 0);
        expect(t.num).toBe(t.den);
        expect(hypergeometricPmf(n, m, k).reduce((s, x) => s + x, 0)).toBeCloseTo(1, 12);
      }),
      { numRuns: 100 },
    );
  });
  it("the sizes the rules choose and the figures of docs/SECURITY.md (100 eligible, 20 % colluding)", () => {
    const chain = currentRule(mainnetParams().quorum);
    // the chain: 12 when most are active, never under 10; the reference's old rule: down to 7 (little activity, a reputable optimizer)
    expect(sizeRange(chain, 100)).toEqual({ typical: 12, lowest: 10, highest: 12 });
    expect(sizeRange(chain, 1_000)).toEqual({ typical: 15, lowest: 12, highest: 15 });
    expect(sizeRange(referenceRule(), 100)).toEqual({ typical: 12, lowest: 7, highest: 12 });
    expect(sizeRange(referenceRule(), 1_000)).toEqual({ typical: 15, lowest: 10, highest: 15 });
    expect(captureProbability(100, 20, 12, D).accept).toBeCloseTo(2.03e-4, 6);
    expect(captureProbability(100, 20, 10, D).accept).toBeCloseTo(3.92e-4, 6);
    expect(captureProbability(100, 20, 7, D).accept).toBeCloseTo(3.26e-3, 5);
  });
  it("the worst over every network of 2–300 eligible at 20 %: under 1e-3 with the chain's rule, 1.2e-2 with the reference's", () => {
    const chain = worstOverEligible(currentRule(mainnetParams().quorum), 0.2, 300, D);
    expect(chain).toEqual({ probability: expect.closeTo(6.54e-4, 6), eligible: 255, k: 10 });
    const reference = worstOverEligible(referenceRule(), 0.2, 300, D);
    expect(reference).toEqual({ probability: expect.closeTo(1.19e-2, 4), eligible: 60, k: 6 });
  });
  it("minimumQuorum: every size from it up keeps under the target, the one below does not", () => {
    for (const [n, m] of [[100, 20], [1000, 200], [1000, 250], [50, 10]] as const) {
      const k0 = minimumQuorum(n, m, 1e-3, D, 60) as number;
      expect(k0).toBeGreaterThan(1);
      for (let k = k0; k <= Math.min(60, n); k++) expect(captureProbability(n, m, k, D).accept).toBeLessThanOrEqual(1e-3);
      expect(captureProbability(n, m, k0 - 1, D).accept).toBeGreaterThan(1e-3);
    }
    // blocking cannot be made that rare with quorums of at most 60 out of 1,000 at 25 %
    expect(minimumQuorum(1000, 250, 1e-3, D, 60, "block")).toBeNull();
  });
});

describe("quorums drawn by core's selection follow the exact law", () => {
  const addr = fc.uint8Array({ minLength: 20, maxLength: 20 }).map((b) => Buffer.from(b).toString("hex"));
  const seed = fc.uint8Array({ minLength: 32, maxLength: 32 }).map((b) => Buffer.from(b).toString("hex"));
  it("the quorum of size k is the first k of a larger one (what selectionTrials relies on)", () => {
    fc.assert(
      fc.property(seed, fc.array(addr, { minLength: 1, maxLength: 40 }), fc.integer({ min: 0, max: 40 }), fc.integer({ min: 0, max: 40 }), (s, cands, a, b) => {
        const [k, kMax] = a <= b ? [a, b] : [b, a];
        expect(selectQuorum(s, cands, k)).toEqual(selectQuorum(s, cands, kMax).slice(0, k));
      }),
      { numRuns: 200 },
    );
  });
  it("the quorum drawn from a subset is the whole ranking restricted to it (what the simulation relies on)", () => {
    fc.assert(
      fc.property(seed, fc.array(fc.tuple(addr, fc.boolean()), { minLength: 1, maxLength: 40 }), fc.integer({ min: 0, max: 40 }), (s, marked, k) => {
        const all = marked.map(([a]) => a);
        const subset = new Set(marked.filter(([, m]) => m).map(([a]) => a));
        expect(selectQuorum(s, [...subset], k)).toEqual(selectQuorum(s, all, all.length).filter((a) => subset.has(a)).slice(0, k));
      }),
      { numRuns: 200 },
    );
  });

  it("30 eligible, 6 or 9 colluding, K = 7 and 10: chi-square at 1e-4, capture counts within bounds; a wrong law is rejected", () => {
    const trials = 1_500;
    const result = selectionTrials({ seed: 3, eligible: 30, colluders: [6, 9], ks: [7, 10], trials, domain: D });
    expect(result.cells).toHaveLength(4);
    for (const cell of result.cells) {
      const fit = chiSquareFit(cell.histogram, hypergeometricPmf(30, cell.colluders, cell.k));
      expect(fit.pass, `m=${cell.colluders} k=${cell.k}: ${fit.statistic} > ${fit.critical}`).toBe(true);
      const exact = captureProbability(30, cell.colluders, cell.k, D);
      for (const d of DECISIONS) expect(countConsistent(cell.captured[d], trials, exact[d]), `${d} m=${cell.colluders} k=${cell.k}`).toBe(true);
      // Control: the same draws judged against 3 more colluders fail, so a pass is evidence.
      const wrong = chiSquareFit(cell.histogram, hypergeometricPmf(30, cell.colluders + 3, cell.k));
      expect(wrong.pass).toBe(false);
    }
  });

  it("the chi-square critical values match the tables", () => {
    // upper 1e-3 points: df 1 → 10.83, 5 → 20.52, 10 → 29.59 (Wilson–Hilferty is within 1 % from df 2)
    expect(chiSquareCritical(5, 1e-3)).toBeCloseTo(20.52, 0);
    expect(chiSquareCritical(10, 1e-3)).toBeCloseTo(29.59, 0);
    expect(Math.abs(chiSquareCritical(1, 1e-3) - 10.83) / 10.83).toBeLessThan(0.05);
  });
});
