import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { initialDifficulty, nextDifficulty } from "../../core/difficulty.ts";
import type { ChainParams, DifficultyState } from "../../core/types.ts";
import { testParams } from "./helpers/params.ts";
import { asArray, asObject, big, expectKeys, int, loadVectors, str, type Json } from "./helpers/vectors.ts";

const STATE_FIELDS = ["threshold", "emaBlockTimeMs", "lastWorkTimestamp", "epochStartTimestamp", "blocksInEpoch"] as const;
const PARAM_FIELDS = ["targetBlockTimeMs", "epochLength", "maxEpochAdjustment", "emaAlphaPpm", "perBlockLimitPpm", "initialThreshold", "minThreshold", "maxThreshold"];

function paramsFrom(o: { [k: string]: Json }, where: string): ChainParams {
  expectKeys(o, PARAM_FIELDS, [], where);
  return {
    ...testParams,
    targetBlockTimeMs: int(o["targetBlockTimeMs"], where),
    epochLength: int(o["epochLength"], where),
    maxEpochAdjustment: int(o["maxEpochAdjustment"], where),
    emaAlphaPpm: int(o["emaAlphaPpm"], where),
    perBlockLimitPpm: int(o["perBlockLimitPpm"], where),
    initialThreshold: big(o["initialThreshold"], where),
    minThreshold: big(o["minThreshold"], where),
    maxThreshold: big(o["maxThreshold"], where),
  };
}

describe("difficulty vectors", () => {
  loadVectors("difficulty").forEach((v, i) => {
    const where = `difficulty.vectors[${i}]`;
    expectKeys(v, ["name", "params", "genesisTimestamp", "timestamps", "states"], [], where);
    const name = str(v["name"], where);
    const params = paramsFrom(asObject(v["params"], where), `${where}.params`);
    const genesis = int(v["genesisTimestamp"], where);
    const timestamps = asArray(v["timestamps"], where).map((t, j) => int(t, `${where}.timestamps[${j}]`));
    const states = asObject(v["states"], `${where}.states`);
    expectKeys(states, [...STATE_FIELDS], [], `${where}.states`);
    const column = (f: (typeof STATE_FIELDS)[number]): Json[] => {
      const c = asArray(states[f], `${where}.states.${f}`);
      if (c.length !== timestamps.length) throw new Error(`${where}.states.${f}: length ${c.length}, expected ${timestamps.length}`);
      return c;
    };
    const expected: DifficultyState[] = timestamps.map((_, j) => ({
      threshold: big(column("threshold")[j], where),
      emaBlockTimeMs: big(column("emaBlockTimeMs")[j], where),
      lastWorkTimestamp: int(column("lastWorkTimestamp")[j], where),
      epochStartTimestamp: int(column("epochStartTimestamp")[j], where),
      blocksInEpoch: int(column("blocksInEpoch")[j], where),
    }));
    it(`${name} (${timestamps.length} blocks)`, () => {
      let d = initialDifficulty(params, genesis);
      expect(d).toEqual({
        threshold: params.initialThreshold,
        emaBlockTimeMs: BigInt(params.targetBlockTimeMs),
        lastWorkTimestamp: genesis,
        epochStartTimestamp: genesis,
        blocksInEpoch: 0,
      });
      timestamps.forEach((ts, j) => {
        d = nextDifficulty(d, ts, params);
        expect(d, `${name} block ${j}`).toEqual(expected[j]);
      });
    });
  });
});

describe("difficulty properties", () => {
  const params = testParams;
  const limit = BigInt(params.perBlockLimitPpm);
  const arbState = fc.record({
    threshold: fc.bigInt({ min: params.minThreshold, max: params.maxThreshold }),
    emaBlockTimeMs: fc.bigInt({ min: 1n, max: 10n ** 10n }),
    lastWorkTimestamp: fc.integer({ min: 0, max: 2 ** 45 }),
    epochStartTimestamp: fc.integer({ min: 0, max: 2 ** 45 }),
    blocksInEpoch: fc.integer({ min: 0, max: params.epochLength - 1 }),
  });

  it("stays within [min, max] and moves at most the per-block limit between epoch boundaries", () => {
    fc.assert(
      fc.property(arbState, fc.integer({ min: -1_000_000_000, max: 10_000_000_000 }), (d, dt) => {
        const next = nextDifficulty(d, d.lastWorkTimestamp + dt, params);
        expect(next.threshold >= params.minThreshold && next.threshold <= params.maxThreshold).toBe(true);
        expect(next.emaBlockTimeMs >= 1n).toBe(true);
        if (d.blocksInEpoch + 1 < params.epochLength) {
          expect(next.blocksInEpoch).toBe(d.blocksInEpoch + 1);
          expect(next.epochStartTimestamp).toBe(d.epochStartTimestamp);
          const delta = next.threshold > d.threshold ? next.threshold - d.threshold : d.threshold - next.threshold;
          // |ΔT| ≤ T·limit (rounded up for the floor)
          expect(delta * 1_000_000n <= d.threshold * limit + 1_000_000n).toBe(true);
        } else {
          expect(next.blocksInEpoch).toBe(0);
          expect(next.epochStartTimestamp).toBe(d.lastWorkTimestamp + dt);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it("fast work blocks raise the threshold, slow ones lower it", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 150 }), fc.integer({ min: 1_000, max: 590_000 }), fc.integer({ min: 610_000, max: 36_000_000 }), (n, fast, slow) => {
        let up = initialDifficulty(params, 0);
        let down = initialDifficulty(params, 0);
        for (let k = 1; k <= n; k++) {
          up = nextDifficulty(up, k * fast, params);
          down = nextDifficulty(down, k * slow, params);
        }
        expect(up.threshold).toBeGreaterThan(params.initialThreshold);
        expect(down.threshold).toBeLessThan(params.initialThreshold);
      }),
      { numRuns: 100 },
    );
  });

  it("is deterministic and does not read the clock", () => {
    const d = initialDifficulty(params, 1_000);
    expect(nextDifficulty(d, 601_000, params)).toEqual(nextDifficulty(d, 601_000, params));
    expect(nextDifficulty(d, 601_000, params).threshold).toBe(params.initialThreshold);
  });
});
