import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { clamp, divFixed, exp2NegFixed, floorDiv, lnFixed, logRatioFixed, mulFixed, ONE } from "../../core/fixed.ts";
import { asArray, big, expectKeys, loadVectors, str } from "./helpers/vectors.ts";

const ops: Record<string, { arity: number; run: (a: readonly bigint[]) => bigint }> = {
  floorDiv: { arity: 2, run: ([a, b]) => floorDiv(a!, b!) },
  mulFixed: { arity: 2, run: ([a, b]) => mulFixed(a!, b!) },
  divFixed: { arity: 2, run: ([a, b]) => divFixed(a!, b!) },
  clamp: { arity: 3, run: ([x, lo, hi]) => clamp(x!, lo!, hi!) },
  lnFixed: { arity: 1, run: ([x]) => lnFixed(x!) },
  logRatioFixed: { arity: 2, run: ([x, y]) => logRatioFixed(x!, y!) },
  exp2NegFixed: { arity: 2, run: ([n, d]) => exp2NegFixed(n!, d!) },
};

describe("fixed vectors", () => {
  const vectors = loadVectors("fixed");
  const seen = new Set<string>();
  vectors.forEach((v, i) => {
    const where = `fixed.vectors[${i}]`;
    expectKeys(v, ["op", "args", "expected"], [], where);
    const op = str(v["op"], where);
    const spec = ops[op];
    if (spec === undefined) throw new Error(`${where}: unknown op ${op}`);
    seen.add(op);
    const args = asArray(v["args"], where).map((a, j) => big(a, `${where}.args[${j}]`));
    if (args.length !== spec.arity) throw new Error(`${where}: ${op} takes ${spec.arity} arguments`);
    it(`${op}(${args.join(", ")})`, () => {
      expect(spec.run(args)).toBe(big(v["expected"], where));
    });
  });
  it("covers every operation", () => {
    expect([...seen].sort()).toEqual(Object.keys(ops).sort());
  });
});

describe("fixed properties", () => {
  it("floorDiv is the floor: b·q ≤ a < b·(q+1) for b > 0", () => {
    fc.assert(
      fc.property(fc.bigInt(), fc.bigInt({ min: 1n, max: 10n ** 30n }), (a, b) => {
        const q = floorDiv(a, b);
        expect(b * q <= a && a < b * (q + 1n)).toBe(true);
        expect(floorDiv(a, -b)).toBe(floorDiv(-a, b));
      }),
    );
  });

  it("lnFixed is monotone and inverts powers of two", () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 1n, max: 10n ** 20n }), fc.bigInt({ min: 1n, max: 10n ** 6n }), (x, dx) => {
        expect(lnFixed(x + dx)).toBeGreaterThanOrEqual(lnFixed(x));
      }),
      { numRuns: 200 },
    );
    const ln2 = lnFixed(2n * ONE);
    expect(ln2).toBe(693147n);
    // k·ln 2 = 693147.18… · k, floored
    expect(lnFixed(ONE << 10n)).toBe(6931471n);
    expect(lnFixed(ONE << 100n)).toBe(69314718n);
  });

  it("exp2NegFixed is non-increasing in num and halves every den", () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 30_000n }), fc.bigInt({ min: 1n, max: 5_000n }), fc.bigInt({ min: 0n, max: 2_000n }), (n, d, k) => {
        expect(exp2NegFixed(n + k, d)).toBeLessThanOrEqual(exp2NegFixed(n, d));
        const now = exp2NegFixed(n, d);
        const later = exp2NegFixed(n + d, d);
        // v = 2^(−n/d)·10^6 lies in [now, now + 1), so floor(v/2) = floor(now/2) exactly
        expect(later).toBe(now / 2n);
      }),
      { numRuns: 200 },
    );
  });

  it("rejects arguments outside the domain", () => {
    expect(() => floorDiv(1n, 0n)).toThrow(RangeError);
    expect(() => divFixed(1n, 0n)).toThrow(RangeError);
    expect(() => divFixed(1n, -1n)).toThrow(RangeError);
    expect(() => clamp(0n, 2n, 1n)).toThrow(RangeError);
    expect(() => lnFixed(0n)).toThrow(RangeError);
    expect(() => lnFixed(-1n)).toThrow(RangeError);
    expect(() => logRatioFixed(0n, 2n * ONE)).toThrow(RangeError);
    expect(() => logRatioFixed(2n * ONE, ONE)).toThrow(RangeError);
    expect(() => exp2NegFixed(-1n, 1n)).toThrow(RangeError);
    expect(() => exp2NegFixed(1n, 0n)).toThrow(RangeError);
  });
});
