import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  aggregateVotes,
  evaluatorSeed,
  medianFixed,
  quorumSeed,
  quorumSize,
  selectQuorum,
  toleranceFor,
  type Verdict,
} from "../../core/quorum.ts";
import type { Vote } from "../../core/types.ts";
import { asArray, asObject, big, bool, expectKeys, int, loadVectors, str, type JsonObject } from "./helpers/vectors.ts";

const DATA_HASH = "d".repeat(64);
const hex = (n: number) => fc.uint8Array({ minLength: n, maxLength: n }).map((b) => Buffer.from(b).toString("hex"));
const addressArb = hex(20);
const hashArb = hex(32);

function strings(v: JsonObject[string] | undefined, where: string): string[] {
  return asArray(v, where).map((x, i) => str(x, `${where}[${i}]`));
}

function verdictOf(v: JsonObject, where: string): Verdict {
  expectKeys(v, ["accepted", "median", "verified", "agreeing", "outliers"], [], where);
  return {
    accepted: bool(v["accepted"], where),
    median: big(v["median"], `${where}.median`),
    verified: big(v["verified"], `${where}.verified`),
    agreeing: strings(v["agreeing"], `${where}.agreeing`),
    outliers: strings(v["outliers"], `${where}.outliers`),
  };
}

const runners: Record<string, (v: JsonObject, where: string) => void> = {
  seed(v, where) {
    expectKeys(v, ["kind", "name", "beacon", "expected"], [], where);
    it(str(v["name"], where), () => {
      expect(quorumSeed(str(v["beacon"], where))).toBe(str(v["expected"], where));
    });
  },
  "evaluator-seed"(v, where) {
    expectKeys(v, ["kind", "name", "commit", "evaluator", "beacon", "seed", "seed32"], [], where);
    it(str(v["name"], where), () => {
      expect(evaluatorSeed(str(v["commit"], where), str(v["evaluator"], where), str(v["beacon"], where))).toEqual({
        seed: str(v["seed"], where),
        seed32: int(v["seed32"], where),
      });
    });
  },
  select(v, where) {
    expectKeys(v, ["kind", "name", "seed", "candidates", "k", "expected"], [], where);
    it(`select: ${str(v["name"], where)}`, () => {
      const got = selectQuorum(str(v["seed"], where), strings(v["candidates"], where), int(v["k"], where));
      expect(got).toEqual(strings(v["expected"], where));
    });
  },
  size(v, where) {
    expectKeys(v, ["kind", "eligible", "activeFractionPpm", "minSize", "maxSize", "expected"], [], where);
    const input = {
      eligible: int(v["eligible"], where),
      activeFractionPpm: int(v["activeFractionPpm"], where),
    };
    const params = { minSize: int(v["minSize"], where), maxSize: int(v["maxSize"], where) };
    sizeCases.push({ input, params, expected: int(v["expected"], where) });
  },
  aggregate(v, where) {
    expectKeys(
      v,
      ["kind", "name", "votes", "reported", "toleranceAbs", "toleranceRelPpm", "quorumFractionPpm", "required", "expected"],
      [],
      where,
    );
    const votes: Vote[] = asArray(v["votes"], where).map((x, i) => {
      const o = asObject(x, `${where}.votes[${i}]`);
      expectKeys(o, ["evaluator", "performance"], [], `${where}.votes[${i}]`);
      return { evaluator: str(o["evaluator"], where), performance: big(o["performance"], where), dataHash: DATA_HASH };
    });
    const domain = {
      toleranceAbs: big(v["toleranceAbs"], where),
      toleranceRelPpm: int(v["toleranceRelPpm"], where),
      quorumFractionPpm: int(v["quorumFractionPpm"], where),
    };
    const expected = verdictOf(asObject(v["expected"], `${where}.expected`), `${where}.expected`);
    it(`aggregate: ${str(v["name"], where)}`, () => {
      const reported = big(v["reported"], where);
      const required = int(v["required"], where);
      expect(aggregateVotes(votes, reported, domain, required)).toEqual(expected);
      expect(aggregateVotes([...votes].reverse(), reported, domain, required)).toEqual(expected);
    });
  },
};

const sizeCases: { input: Parameters<typeof quorumSize>[0]; params: Parameters<typeof quorumSize>[1]; expected: number }[] = [];

describe("quorum vectors", () => {
  const vectors = loadVectors("quorum");
  const seen = new Set<string>();
  vectors.forEach((v, i) => {
    const where = `quorum.vectors[${i}]`;
    const kind = str(v["kind"], where);
    const run = runners[kind];
    if (run === undefined) throw new Error(`${where}: unknown kind ${kind}`);
    seen.add(kind);
    run(v, where);
  });
  it(`quorumSize (${sizeCases.length} cases)`, () => {
    for (const c of sizeCases) expect([c.input, c.params, quorumSize(c.input, c.params)]).toEqual([c.input, c.params, c.expected]);
  });
  it("covers every kind", () => {
    expect([...seen].sort()).toEqual(Object.keys(runners).sort());
  });
});

describe("seeds", () => {
  it("every evaluator of one optimae gets its own seed, and the beacon and the commit change all of them", () => {
    const optimae = "a".repeat(64);
    const block = "b".repeat(64);
    const evaluators = Array.from({ length: 20 }, (_, i) => i.toString(16).padStart(40, "0"));
    const seeds = evaluators.map((e) => evaluatorSeed(optimae, e, block).seed);
    expect(new Set(seeds).size).toBe(20);
    const other = evaluators.map((e) => evaluatorSeed(optimae, e, "c".repeat(64)).seed);
    expect(seeds.some((s, i) => s === other[i])).toBe(false);
    const otherCommit = evaluators.map((e) => evaluatorSeed("d".repeat(64), e, block).seed);
    expect(seeds.some((s, i) => s === otherCommit[i])).toBe(false);
    for (const e of evaluators) {
      const { seed, seed32 } = evaluatorSeed(optimae, e, block);
      expect(seed32).toBe(Number.parseInt(seed.slice(0, 8), 16));
      expect(Number.isSafeInteger(seed32) && seed32 >= 0 && seed32 < 2 ** 32).toBe(true);
    }
  });
  it("the quorum seed is the beacon's alone: nothing a committer chooses enters it", () => {
    const a = quorumSeed("2".repeat(64));
    expect(a).toMatch(/^[0-9a-f]{64}$/);
    expect(quorumSeed("2".repeat(64))).toBe(a);
    expect(quorumSeed("3".repeat(64))).not.toBe(a);
    expect(quorumSeed.length).toBe(1);
  });
});

describe("quorumSize", () => {
  it("is 0 without eligible evaluators and never exceeds them", () => {
    expect(quorumSize({ eligible: 0, activeFractionPpm: 1_000_000 }, { minSize: 3, maxSize: 15 })).toBe(0);
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 1_000_000 }),
        fc.integer({ min: 0, max: 1_000_000 }),
        fc.integer({ min: 1, max: 10 }),
        fc.integer({ min: 0, max: 30 }),
        (n, act, lo, extra) => {
          const k = quorumSize({ eligible: n, activeFractionPpm: act }, { minSize: lo, maxSize: lo + extra });
          expect(Number.isInteger(k)).toBe(true);
          expect(k).toBeLessThanOrEqual(n);
          expect(k).toBeLessThanOrEqual(Math.max(lo, lo + extra));
          if (n >= lo) expect(k).toBeGreaterThanOrEqual(lo);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe("selectQuorum properties", () => {
  it("is a deterministic function of (seed, set of candidates, k)", () => {
    fc.assert(
      fc.property(
        hashArb,
        fc.array(addressArb, { maxLength: 25 }),
        fc.integer({ min: -2, max: 30 }),
        fc.integer(),
        (seed, candidates, k, shuffleSeed) => {
          const selected = selectQuorum(seed, candidates, k);
          const set = new Set(candidates);
          // permutation with repetitions
          const shuffled = [...candidates, ...candidates.slice(0, 3)];
          let s = shuffleSeed >>> 0;
          for (let i = shuffled.length - 1; i > 0; i--) {
            s = (Math.imul(s, 1_103_515_245) + 12_345) >>> 0;
            const j = s % (i + 1);
            [shuffled[i], shuffled[j]] = [shuffled[j] as string, shuffled[i] as string];
          }
          expect(selectQuorum(seed, shuffled, k)).toEqual(selected);
          expect(selectQuorum(seed, candidates, k)).toEqual(selected);
          expect(selected.every((c) => set.has(c))).toBe(true);
          expect(new Set(selected).size).toBe(selected.length);
          expect(selected.length).toBe(Math.max(0, Math.min(k, set.size)));
          // a prefix property: a larger k extends the selection
          expect(selectQuorum(seed, candidates, k + 1).slice(0, selected.length)).toEqual(selected);
        },
      ),
      { numRuns: 150 },
    );
  });
});

describe("aggregateVotes", () => {
  const domain = { toleranceAbs: 1_000n, toleranceRelPpm: 50_000, quorumFractionPpm: 670_000 };
  const votesArb = fc.uniqueArray(
    fc.record({ evaluator: addressArb, performance: fc.bigInt({ min: -(10n ** 12n), max: 10n ** 12n }), dataHash: hashArb }),
    { maxLength: 12, selector: (v) => v.evaluator },
  );

  it("is independent of the order of the votes", () => {
    fc.assert(
      fc.property(votesArb, fc.bigInt({ min: -(10n ** 12n), max: 10n ** 12n }), fc.integer({ min: 0, max: 12 }), fc.integer(), (votes, reported, required, seed) => {
        const base = aggregateVotes(votes, reported, domain, required);
        const shuffled = [...votes];
        let s = seed >>> 0;
        for (let i = shuffled.length - 1; i > 0; i--) {
          s = (Math.imul(s, 1_103_515_245) + 12_345) >>> 0;
          const j = s % (i + 1);
          [shuffled[i], shuffled[j]] = [shuffled[j] as Vote, shuffled[i] as Vote];
        }
        expect(aggregateVotes(shuffled, reported, domain, required)).toEqual(base);
        // every voter is either agreeing or an outlier
        expect([...base.agreeing, ...base.outliers].sort()).toEqual(votes.map((v) => v.evaluator).sort());
        if (base.accepted) {
          expect(votes.length).toBeGreaterThanOrEqual(required);
          expect(base.agreeing.length).toBeGreaterThan(0);
        }
      }),
      { numRuns: 200 },
    );
  });

  it("clips outliers on both sides and verifies the agreeing median", () => {
    const v = (e: string, p: bigint): Vote => ({ evaluator: e.repeat(40), performance: p, dataHash: DATA_HASH });
    const verdict = aggregateVotes([v("1", 100_000_000n), v("2", 5n), v("3", 101_000_000n), v("4", 10n ** 12n), v("5", 99_000_000n)], 100_000_000n, { ...domain, quorumFractionPpm: 600_000 }, 3);
    expect(verdict).toEqual({
      accepted: true,
      median: 100_000_000n,
      verified: 100_000_000n,
      agreeing: ["1".repeat(40), "3".repeat(40), "5".repeat(40)],
      outliers: ["2".repeat(40), "4".repeat(40)],
    });
  });

  it("helpers: median floors toward −∞, tolerance has an absolute floor", () => {
    expect(medianFixed([])).toBe(0n);
    expect(medianFixed([-4n, -3n])).toBe(-4n);
    expect(medianFixed([3n, 4n])).toBe(3n);
    expect(medianFixed([-1n, 0n])).toBe(-1n);
    expect(toleranceFor(0n, domain)).toBe(1_000n);
    expect(toleranceFor(-100_000_000n, domain)).toBe(5_000_000n);
  });
});
