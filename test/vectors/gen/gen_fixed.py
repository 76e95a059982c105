"""Vectors for core/fixed.ts: floorDiv, mulFixed, divFixed, clamp, lnFixed,
logRatioFixed and exp2NegFixed. The transcendental ones come from decimal at
120 digits, floored, with a check that no value lies within 1e-60 of an integer
(the exact cases are listed by hand and computed with integers)."""
import random
from decimal import Decimal
from fractions import Fraction

from numeric_io import ONE, dec_floor, ln_dec, s
from vector_io import write_fixture

vectors = []


def add(op, args, expected):
    vectors.append({"op": op, "args": [s(a) for a in args], "expected": s(expected)})


# floorDiv: every sign combination, exact and inexact
for a in (7, -7, 6, -6, 0, 1, -1, 10**30 + 1, -(10**30) - 1):
    for b in (2, -2, 3, -3, 1, -1, 10**6):
        add("floorDiv", [a, b], a // b)

# mulFixed = floor(a*b/ONE), divFixed = floor(a*ONE/b), b > 0
pairs = [(1, 1), (ONE, ONE), (1_500_000, 2_500_000), (-1_500_000, 1), (-1, 1), (1, -1), (-1, -1),
         (333_333, 3), (123_456_789, 987_654), (-(10**20), 7), (10**24, 10**24)]
for a, b in pairs:
    add("mulFixed", [a, b], Fraction(a * b, ONE).__floor__())
for a, b in [(1, 3), (-1, 3), (ONE, 3), (2 * ONE, 3 * ONE), (-2 * ONE, 3 * ONE), (0, 5), (10**30, 7), (7, 10**30), (-7, 10**30)]:
    add("divFixed", [a, b], Fraction(a * ONE, b).__floor__())

# clamp
for x, lo, hi in [(5, 0, 10), (-5, 0, 10), (15, 0, 10), (0, 0, 0), (10, 0, 10), (-(10**20), -3, -1)]:
    add("clamp", [x, lo, hi], max(lo, min(hi, x)))

# lnFixed: floor(ln(x/10^6)*10^6), x > 0
ln_inputs = [1, 2, 3, 7, 10, 999, 1000, 123_456, 367_879, 367_880, 500_000, 693_147, 999_999, 1_000_000,
             1_000_001, 1_000_002, 1_414_213, 1_414_214, 1_999_999, 2_000_000, 2_000_001, 2_718_281, 2_718_282,
             3_000_000, 7_389_056, 10_000_000, 11_000_000, 121_000_000, 10**9, 10**12, 10**15, 10**18,
             2**64, 2**64 - 1, 10**30, 12_345_678_901_234_567_890, 10**60]
rng = random.Random(20261126)
ln_inputs += [rng.randrange(1, 10**7) for _ in range(40)]
ln_inputs += [rng.randrange(1, 10**24) for _ in range(20)]
for x in ln_inputs:
    expected = 0 if x == ONE else dec_floor(ln_dec(x) * ONE)
    add("lnFixed", [x], expected)

# logRatioFixed: floor(ln(x)/ln(y)*10^6), y > 1.0. Exact rational cases by hand.
exact = {
    (ONE, 11 * ONE): 0,
    (11 * ONE, 11 * ONE): ONE,
    (121 * ONE, 11 * ONE): 2 * ONE,
    (4 * ONE, 2 * ONE): 2 * ONE,
    (8 * ONE, 4 * ONE): 1_500_000,
    (2 * ONE, 4 * ONE): 500_000,
    (500_000, 2 * ONE): -ONE,
    (250_000, 4 * ONE): -ONE,
}
for (x, y), e in exact.items():
    add("logRatioFixed", [x, y], e)
ratio_inputs = [(2 * ONE, 11 * ONE), (3 * ONE, 11 * ONE), (1_000_001, 11 * ONE), (10_999_999, 11 * ONE),
                (6 * ONE, 11 * ONE), (101 * ONE, 11 * ONE), (500_000, 11 * ONE), (1, 11 * ONE),
                (10 * ONE, 1_000_001), (3 * ONE, 2 * ONE), (10**15, 10 * ONE + 1)]
ratio_inputs += [(ONE + rng.randrange(1, 10 * ONE), 11 * ONE) for _ in range(20)]
for x, y in ratio_inputs:
    add("logRatioFixed", [x, y], dec_floor(ln_dec(x) / ln_dec(y) * ONE))

# exp2NegFixed: floor(2^(-num/den)*10^6), num >= 0, den > 0
exp_inputs = [(0, 1), (1, 1), (6, 1), (7, 1), (19, 1), (20, 1), (21, 1), (10**18, 1), (1, 2), (3, 2), (1, 3),
              (0, 1008), (1, 1008), (504, 1008), (1007, 1008), (1008, 1008), (1009, 1008), (2016, 1008),
              (5000, 1008), (20159, 1008), (20160, 1008), (19 * 1008 + 1007, 1008), (1, 10**12), (10**12 - 1, 10**12)]
exp_inputs += [(rng.randrange(0, 30_000), 1008) for _ in range(30)]
exp_inputs += [(rng.randrange(0, 10**6), rng.randrange(1, 10**5)) for _ in range(20)]
ln2 = Decimal(2).ln()
for num, den in exp_inputs:
    q, r = divmod(num, den)
    if r == 0:
        expected = ONE >> q if q < 64 else 0
    elif q >= 20:
        expected = 0
    else:
        expected = dec_floor((-(Decimal(num) / Decimal(den)) * ln2).exp() * ONE)
    add("exp2NegFixed", [num, den], expected)

write_fixture(
    "fixed",
    "Fixed-point arithmetic (1.0 = 10^6): floorDiv, mulFixed, divFixed, clamp, lnFixed, logRatioFixed, exp2NegFixed.",
    "core/fixed.ts specification (floors of the exact real values); ln/exp as used by doin-reference-notes §2.2 (ln(1+r)/ln 11) and §2.7 (half-life decay)",
    "test/vectors/gen/gen_fixed.py: Python integers and fractions.Fraction for the rational ops; decimal.Decimal at 120 "
    "significant digits for ln and exp, floored, each checked to lie more than 1e-60 from an integer; exact cases "
    "(ln 1, log_y of powers of y, whole halvings) computed by hand with integers.",
    vectors,
)
