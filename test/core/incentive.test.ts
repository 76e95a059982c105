import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ONE } from "../../core/fixed.ts";
import { rewardFraction } from "../../core/incentive.ts";
import type { IncentiveConfig } from "../../core/types.ts";
import { testIncentive } from "./helpers/params.ts";
import { asObject, big, bool, expectKeys, int, loadVectors } from "./helpers/vectors.ts";

const CONFIG_FIELDS = ["toleranceMarginPpm", "bonusThresholdPpm", "minRewardFractionPpm", "maxBonusPpm"];

describe("incentive vectors", () => {
  loadVectors("incentive").forEach((v, i) => {
    const where = `incentive.vectors[${i}]`;
    expectKeys(v, ["reported", "verified", "higherIsBetter", "expected"], ["config"], where);
    let cfg: IncentiveConfig = testIncentive;
    if ("config" in v) {
      const o = asObject(v["config"], `${where}.config`);
      expectKeys(o, CONFIG_FIELDS, [], `${where}.config`);
      cfg = {
        toleranceMarginPpm: int(o["toleranceMarginPpm"], where),
        bonusThresholdPpm: int(o["bonusThresholdPpm"], where),
        minRewardFractionPpm: int(o["minRewardFractionPpm"], where),
        maxBonusPpm: int(o["maxBonusPpm"], where),
      };
    }
    const reported = big(v["reported"], where);
    const verified = big(v["verified"], where);
    const higher = bool(v["higherIsBetter"], where);
    it(`rewardFraction(${reported}, ${verified}, ${higher ? "higher" : "lower"} is better${"config" in v ? ", custom" : ""})`, () => {
      expect(rewardFraction(reported, verified, higher, cfg)).toBe(big(v["expected"], where));
    });
  });
});

describe("incentive properties", () => {
  const arbConfig = fc.record({
    toleranceMarginPpm: fc.integer({ min: 0, max: 1_000_000 }),
    bonusThresholdPpm: fc.integer({ min: 0, max: 1_000_000 }),
    minRewardFractionPpm: fc.integer({ min: 0, max: 1_000_000 }),
    maxBonusPpm: fc.integer({ min: 1_000_000, max: 3_000_000 }),
  });
  const perf = fc.bigInt({ min: -(10n ** 15n), max: 10n ** 15n });

  it("stays within [0, maxBonus]", () => {
    fc.assert(
      fc.property(perf, perf, fc.boolean(), arbConfig, (reported, verified, higher, cfg) => {
        const rf = rewardFraction(reported, verified, higher, cfg);
        expect(rf >= 0n && rf <= BigInt(cfg.maxBonusPpm)).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });

  it("pays exactly 1.0 for an exact claim, and never rewards over-claiming more", () => {
    fc.assert(
      fc.property(perf, fc.bigInt({ min: 0n, max: 10n ** 12n }), fc.bigInt({ min: 0n, max: 10n ** 12n }), fc.boolean(), (reported, g1, g2, higher) => {
        expect(rewardFraction(reported, reported, higher, testIncentive)).toBe(ONE);
        // a larger shortfall of the verified value never pays more
        const [small, large] = g1 <= g2 ? [g1, g2] : [g2, g1];
        const worse = (g: bigint): bigint => (higher ? reported - g : reported + g);
        expect(rewardFraction(reported, worse(large), higher, testIncentive)).toBeLessThanOrEqual(rewardFraction(reported, worse(small), higher, testIncentive));
        expect(rewardFraction(reported, worse(small), higher, testIncentive)).toBeLessThanOrEqual(ONE);
      }),
      { numRuns: 1000 },
    );
  });

  it("is symmetric in the direction of the metric", () => {
    fc.assert(
      fc.property(perf, perf, (reported, verified) => {
        expect(rewardFraction(reported, verified, true, testIncentive)).toBe(rewardFraction(-reported, -verified, false, testIncentive));
      }),
      { numRuns: 500 },
    );
  });
});
