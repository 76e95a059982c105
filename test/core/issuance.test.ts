import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { blockReward, COIN, splitReward, supplyAfter } from "../../core/issuance.ts";
import type { ChainParams, CoinbaseOutput } from "../../core/types.ts";
import { testParams } from "./helpers/params.ts";
import { asArray, asObject, big, expectKeys, int, loadVectors, str, type JsonObject } from "./helpers/vectors.ts";

const SCHEDULE = ["initialReward", "halvingInterval", "maxSupply"];
const SHARES = ["producerSharePpm", "optimizerSharePpm", "evaluatorSharePpm"];

function withOverrides(v: JsonObject, allowed: readonly string[], where: string): ChainParams {
  if (!("params" in v)) return testParams;
  const o = asObject(v["params"], `${where}.params`);
  expectKeys(o, allowed, [], `${where}.params`);
  if (allowed === SCHEDULE) {
    return { ...testParams, initialReward: big(o["initialReward"], where), halvingInterval: int(o["halvingInterval"], where), maxSupply: big(o["maxSupply"], where) };
  }
  return { ...testParams, producerSharePpm: int(o["producerSharePpm"], where), optimizerSharePpm: int(o["optimizerSharePpm"], where), evaluatorSharePpm: int(o["evaluatorSharePpm"], where) };
}

describe("issuance vectors", () => {
  const kinds = new Set<string>();
  loadVectors("issuance").forEach((v, i) => {
    const where = `issuance.vectors[${i}]`;
    const kind = str(v["kind"], where);
    kinds.add(kind);
    switch (kind) {
      case "reward": {
        expectKeys(v, ["kind", "mintIndex", "expected"], ["params"], where);
        const params = withOverrides(v, SCHEDULE, where);
        const index = int(v["mintIndex"], where);
        it(`blockReward(${index})${"params" in v ? " custom schedule" : ""}`, () => {
          expect(blockReward(index, params)).toBe(big(v["expected"], where));
        });
        break;
      }
      case "supply": {
        expectKeys(v, ["kind", "mintedBlocks", "expected"], ["params"], where);
        const params = withOverrides(v, SCHEDULE, where);
        const n = int(v["mintedBlocks"], where);
        it(`supplyAfter(${n})${"params" in v ? " custom schedule" : ""}`, () => {
          expect(supplyAfter(n, params)).toBe(big(v["expected"], where));
        });
        break;
      }
      case "split": {
        expectKeys(v, ["kind", "name", "total", "producer", "optimizers", "evaluators", "expected"], ["params"], where);
        const params = withOverrides(v, SHARES, where);
        const optimizers = new Map(asArray(v["optimizers"], where).map((e, j) => {
          const [a, w] = asArray(e, `${where}.optimizers[${j}]`);
          return [str(a, where), big(w, where)] as const;
        }));
        const evaluators = new Map(asArray(v["evaluators"], where).map((e, j) => {
          const [a, c] = asArray(e, `${where}.evaluators[${j}]`);
          return [str(a, where), int(c, where)] as const;
        }));
        const expected: CoinbaseOutput[] = asArray(v["expected"], where).map((o, j) => {
          const obj = asObject(o, `${where}.expected[${j}]`);
          expectKeys(obj, ["to", "amount", "role"], [], `${where}.expected[${j}]`);
          const role = str(obj["role"], where);
          if (role !== "producer" && role !== "optimizer" && role !== "evaluator") throw new Error(`${where}: bad role ${role}`);
          return { to: str(obj["to"], where), amount: big(obj["amount"], where), role };
        });
        it(`splitReward: ${str(v["name"], where)}`, () => {
          const total = big(v["total"], where);
          const out = splitReward({ total, producer: str(v["producer"], where), optimizers, evaluators }, params);
          expect(out).toEqual(expected);
          expect(out.reduce((s, o) => s + o.amount, 0n)).toBe(total);
        });
        break;
      }
      default:
        throw new Error(`${where}: unknown kind ${kind}`);
    }
  });
  it("covers every kind", () => {
    expect([...kinds].sort()).toEqual(["reward", "split", "supply"]);
  });
});

const hex40 = fc.stringMatching(/^[0-9a-f]{40}$/);

describe("issuance properties", () => {
  it("splitReward sums exactly to the total and pays no negative or zero output", () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 0n, max: 21_000_000n * COIN }),
        hex40,
        fc.array(fc.tuple(hex40, fc.bigInt({ min: -10n, max: 10n ** 20n })), { maxLength: 30 }),
        fc.array(fc.tuple(hex40, fc.integer({ min: -3, max: 1000 })), { maxLength: 30 }),
        fc.integer({ min: 0, max: 1_000_000 }),
        fc.integer({ min: 0, max: 1_000_000 }),
        (total, producer, opts, evs, a, b) => {
          const [lo, hi] = a < b ? [a, b] : [b, a];
          const params = { ...testParams, producerSharePpm: lo, optimizerSharePpm: hi - lo, evaluatorSharePpm: 1_000_000 - hi };
          const out = splitReward({ total, producer, optimizers: new Map(opts), evaluators: new Map(evs) }, params);
          expect(out.reduce((s, o) => s + o.amount, 0n)).toBe(total);
          for (const o of out) expect(o.amount > 0n).toBe(true);
          // order: producer first, then optimizers ascending, then evaluators ascending
          const roles = out.map((o) => o.role);
          expect(roles.filter((r) => r === "producer").length).toBeLessThanOrEqual(1);
          if (roles.includes("producer")) expect(roles[0]).toBe("producer");
          const firstEval = roles.indexOf("evaluator");
          if (firstEval >= 0) expect(roles.slice(firstEval).every((r) => r === "evaluator")).toBe(true);
          for (const role of ["optimizer", "evaluator"] as const) {
            const addrs = out.filter((o) => o.role === role).map((o) => o.to);
            expect(addrs).toEqual([...addrs].sort());
          }
        },
      ),
      { numRuns: 500 },
    );
  });

  it("supply never exceeds maxSupply and each reward is the supply step", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER - 1 }), (n) => {
        const s = supplyAfter(n, testParams);
        expect(s <= testParams.maxSupply).toBe(true);
        expect(supplyAfter(n + 1, testParams) - s).toBe(blockReward(n, testParams));
      }),
      { numRuns: 1000 },
    );
    fc.assert(
      fc.property(
        fc.bigInt({ min: 1n, max: 10n ** 12n }),
        fc.integer({ min: 1, max: 1000 }),
        fc.bigInt({ min: 0n, max: 10n ** 15n }),
        fc.integer({ min: 0, max: 100_000 }),
        (initialReward, halvingInterval, maxSupply, n) => {
          const params = { ...testParams, initialReward, halvingInterval, maxSupply };
          const s = supplyAfter(n, params);
          expect(s <= maxSupply).toBe(true);
          const r = blockReward(n, params);
          expect(r >= 0n).toBe(true);
          expect(supplyAfter(n + 1, params)).toBe(s + r);
        },
      ),
      { numRuns: 500 },
    );
  });

  it("rejects invalid inputs", () => {
    expect(() => blockReward(-1, testParams)).toThrow(RangeError);
    expect(() => supplyAfter(1.5, testParams)).toThrow(RangeError);
    const empty = { total: -1n, producer: "00".repeat(20), optimizers: new Map<string, bigint>(), evaluators: new Map<string, number>() };
    expect(() => splitReward(empty, testParams)).toThrow(RangeError);
    expect(() => splitReward({ ...empty, total: 1n }, { ...testParams, producerSharePpm: 60_000 })).toThrow(RangeError);
    expect(() => splitReward({ ...empty, total: 1n }, { ...testParams, producerSharePpm: -1, optimizerSharePpm: 651_000 })).toThrow(RangeError);
  });

  it("matches the reference schedule's landmarks", () => {
    expect(blockReward(0, testParams)).toBe(50n * COIN);
    // era 32 (indices 6,720,000 … 6,929,999) is the last to pay: 50·10^8 >> 32 = 1 base unit
    expect(blockReward(6_929_999, testParams)).toBe(1n);
    expect(blockReward(6_930_000, testParams)).toBe(0n);
    // the reference's float sum gives 20,999,999.99755 here; whole base units give 20,999,999.97689999
    expect(supplyAfter(6_929_999, testParams)).toBe(2_099_999_997_689_999n);
    // Bitcoin's total: the same schedule in whole base units
    expect(supplyAfter(6_930_000, testParams)).toBe(2_099_999_997_690_000n);
  });
});

describe("issuance with large indices", () => {
  it("handles eras near the safe-integer limit", () => {
    const interval = 2 ** 47 - 1;
    const params = { ...testParams, initialReward: 1n << 63n, halvingInterval: interval, maxSupply: 1n << 120n };
    expect(blockReward(64 * interval - 1, params)).toBe(1n);
    expect(blockReward(Number.MAX_SAFE_INTEGER, params)).toBe(0n);
    expect(supplyAfter(Number.MAX_SAFE_INTEGER, params)).toBe(BigInt(interval) * ((1n << 64n) - 1n));
    expect(() => blockReward(0, { ...testParams, halvingInterval: 0 })).toThrow(RangeError);
  });
});
