import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ONE } from "../../core/fixed.ts";
import { adjustReputation, decayedReputation, meetsEvaluatorMinimum, reputationDelta, reputationFactor } from "../../core/reputation.ts";
import type { Account, ChainParams } from "../../core/types.ts";
import { testParams } from "./helpers/params.ts";
import { asArray, asObject, big, bool, expectKeys, int, loadVectors, str } from "./helpers/vectors.ts";

function account(reputation: bigint, reputationTime: number): Account {
  return { balance: 0n, nonce: 0, reputation, reputationTime, lastActiveTime: 0 };
}

function withHalfLife(halfLifeMs: number, minForEvaluator = testParams.reputation.minForEvaluator): ChainParams {
  return { ...testParams, reputation: { ...testParams.reputation, halfLifeMs, minForEvaluator } };
}

describe("reputation vectors", () => {
  const kinds = new Set<string>();
  loadVectors("reputation").forEach((v, i) => {
    const where = `reputation.vectors[${i}]`;
    const kind = str(v["kind"], where);
    kinds.add(kind);
    switch (kind) {
      case "decay": {
        expectKeys(v, ["kind", "reputation", "reputationTime", "time", "halfLifeMs", "expected"], [], where);
        const acc = account(big(v["reputation"], where), int(v["reputationTime"], where));
        const time = int(v["time"], where);
        const params = withHalfLife(int(v["halfLifeMs"], where));
        it(`decay ${acc.reputation} over ${time - acc.reputationTime} ms (H=${params.reputation.halfLifeMs})`, () => {
          expect(decayedReputation(acc, time, params)).toBe(big(v["expected"], where));
        });
        break;
      }
      case "sequence": {
        expectKeys(v, ["kind", "name", "halfLifeMs", "start", "steps"], [], where);
        const params = withHalfLife(int(v["halfLifeMs"], where));
        const start = asObject(v["start"], `${where}.start`);
        expectKeys(start, ["reputation", "reputationTime"], [], `${where}.start`);
        const steps = asArray(v["steps"], where).map((s, j) => {
          const o = asObject(s, `${where}.steps[${j}]`);
          expectKeys(o, ["time", "delta", "reputation", "reputationTime"], [], `${where}.steps[${j}]`);
          return { time: int(o["time"], where), delta: big(o["delta"], where), reputation: big(o["reputation"], where), reputationTime: int(o["reputationTime"], where) };
        });
        it(`sequence: ${str(v["name"], where)}`, () => {
          let acc = account(big(start["reputation"], where), int(start["reputationTime"], where));
          steps.forEach((s, j) => {
            acc = adjustReputation(acc, s.time, s.delta, params);
            expect({ reputation: acc.reputation, reputationTime: acc.reputationTime }, `step ${j}`).toEqual({ reputation: s.reputation, reputationTime: s.reputationTime });
          });
        });
        break;
      }
      case "factor": {
        expectKeys(v, ["kind", "r", "expected"], [], where);
        const r = big(v["r"], where);
        it(`reputationFactor(${r})`, () => {
          expect(reputationFactor(r)).toBe(big(v["expected"], where));
        });
        break;
      }
      case "evaluatorMinimum": {
        expectKeys(v, ["kind", "reputation", "reputationTime", "time", "halfLifeMs", "minForEvaluator", "expected"], [], where);
        const acc = account(big(v["reputation"], where), int(v["reputationTime"], where));
        const time = int(v["time"], where);
        const params = withHalfLife(int(v["halfLifeMs"], where), big(v["minForEvaluator"], where));
        it(`meetsEvaluatorMinimum(${acc.reputation} at +${time - acc.reputationTime} ms)`, () => {
          expect(meetsEvaluatorMinimum(acc, time, params)).toBe(bool(v["expected"], where));
        });
        break;
      }
      default:
        throw new Error(`${where}: unknown kind ${kind}`);
    }
  });
  it("covers every kind", () => {
    expect([...kinds].sort()).toEqual(["decay", "evaluatorMinimum", "factor", "sequence"]);
  });
});

describe("reputation properties", () => {
  const params = testParams;
  const accept = reputationDelta("optimaeAccepted", params);
  const reject = reputationDelta("optimaeRejected", params);
  const arbEvent = fc.constantFrom("optimaeAccepted", "optimaeRejected", "evaluationAgreed", "evaluationDiverged");

  it("uses the reference's deltas, whatever sign the preset writes penalties with", () => {
    expect([accept, reject, reputationDelta("evaluationAgreed", params), reputationDelta("evaluationDiverged", params)]).toEqual([ONE, -3n * ONE, 400_000n, -2n * ONE]);
    const negative = { ...params, reputation: { ...params.reputation, rejectPenalty: -3n * ONE, evaluationDivergePenalty: -2n * ONE } };
    expect(reputationDelta("optimaeRejected", negative)).toBe(-3n * ONE);
    expect(reputationDelta("evaluationDiverged", negative)).toBe(-2n * ONE);
  });

  it("stays ≥ 0 under any sequence of events", () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 10n ** 9n }), fc.array(fc.tuple(arbEvent, fc.integer({ min: 0, max: 3000 })), { maxLength: 40 }), (r0, events) => {
        let acc = account(r0, 0);
        let h = 0;
        for (const [e, dh] of events) {
          h += dh;
          acc = adjustReputation(acc, h, reputationDelta(e, params), params);
          expect(acc.reputation >= 0n).toBe(true);
          expect(acc.reputationTime).toBe(h);
        }
      }),
      { numRuns: 300 },
    );
  });

  it("k rejections outweigh k acceptances (3:1): after k accepts then k rejects, reputation is lower", () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 1n, max: 10n ** 9n }), fc.integer({ min: 1, max: 20 }), fc.array(fc.integer({ min: 0, max: 2000 }), { minLength: 40, maxLength: 40 }), (r0, k, gaps) => {
        let acc = account(r0, 0);
        let h = 0;
        for (let j = 0; j < 2 * k; j++) {
          h += gaps[j] ?? 0;
          acc = adjustReputation(acc, h, j < k ? accept : reject, params);
        }
        expect(acc.reputation).toBeLessThan(r0);
      }),
      { numRuns: 300 },
    );
    // in any order, as long as the floor at 0 is never reached: net −2 per pair
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 10 }), fc.bigInt({ min: 0n, max: 10n ** 8n }), fc.infiniteStream(fc.boolean()), (k, extra, coin) => {
        const r0 = 3n * ONE * BigInt(k) + extra;
        let acc = account(r0, 7);
        let [a, b] = [k, k];
        const flips = coin[Symbol.iterator]();
        while (a + b > 0) {
          const pickAccept = b === 0 || (a > 0 && flips.next().value === true);
          if (pickAccept) a--; else b--;
          acc = adjustReputation(acc, 7, pickAccept ? accept : reject, params);
        }
        expect(acc.reputation).toBe(r0 - 2n * ONE * BigInt(k));
      }),
      { numRuns: 200 },
    );
  });

  it("decay is non-increasing in elapsed blocks and never below 0", () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 10n ** 15n }), fc.integer({ min: 0, max: 50_000 }), fc.integer({ min: 0, max: 50_000 }), fc.integer({ min: 1, max: 5000 }), (r, e1, e2, half) => {
        const p = withHalfLife(half);
        const acc = account(r, 100);
        const [near, far] = e1 <= e2 ? [e1, e2] : [e2, e1];
        const a = decayedReputation(acc, 100 + near, p);
        const b = decayedReputation(acc, 100 + far, p);
        expect(b <= a && a <= r && b >= 0n).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it("the factor is monotone, in [0, 1], and 1.0 from r = 10", () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -ONE, max: 20n * ONE }), fc.bigInt({ min: 0n, max: ONE }), (r, dr) => {
        const f = reputationFactor(r);
        expect(f >= 0n && f <= ONE).toBe(true);
        expect(reputationFactor(r + dr)).toBeGreaterThanOrEqual(f);
        if (r >= 10n * ONE) expect(f).toBe(ONE);
      }),
      { numRuns: 300 },
    );
  });

  it("rejects a non-positive half-life", () => {
    expect(() => decayedReputation(account(ONE, 0), 5, withHalfLife(0))).toThrow(RangeError);
  });
});
