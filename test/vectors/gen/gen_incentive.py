"""Vectors for core/incentive.ts: rewardFraction(reported, verified, higherIsBetter, cfg).

Expected values follow the integer rule, computed with fractions.Fraction:
rel = floor(gap·10^6/|reported|) (the gap when reported is 0); rel < 0 → bonus
min(maxBonus, 10^6 + floor(|rel|·(maxBonus − 10^6)/bonusThreshold)); rel = 0 → 10^6;
0 < rel ≤ margin → floor(10^6 − rel·(10^6 − minFraction)/margin); rel > margin → 0.
Each is also compared with the reference's float curve (incentives.py) and must
be within slope + 2 ppm of it (rel is floored to whole ppm, then the result),
except at the cliff: a claim less than 1 ppm beyond the margin floors onto it
and pays the minimum where the reference pays 0."""
import math
import random
from fractions import Fraction

from consensus_math import reward_fraction as rule
from numeric_io import ONE
from vector_io import write_fixture

DEFAULT = {"toleranceMarginPpm": 100_000, "bonusThresholdPpm": 50_000, "minRewardFractionPpm": 300_000, "maxBonusPpm": 1_200_000}


def reference(reported, verified, higher, c):
    """compute_reward_fraction from doin_core/consensus/incentives.py, floats."""
    rep, ver = reported / ONE, verified / ONE
    margin, bt = c["toleranceMarginPpm"] / ONE, c["bonusThresholdPpm"] / ONE
    mn, mb = c["minRewardFractionPpm"] / ONE, c["maxBonusPpm"] / ONE
    gap = rep - ver if higher else ver - rep
    rel = gap / abs(rep) if abs(rep) > 1e-10 else gap
    if rel < 0:
        b = abs(rel)
        if bt == 0:  # the reference would divide by zero; its limit
            return mb
        return 1 + (b / bt) * (mb - 1) if b <= bt else mb
    if rel <= 1e-10:
        return 1.0
    if rel <= margin + 1e-9:
        return 1 - (rel / margin) * (1 - mn) if margin > 0 else 1.0
    return 0.0


cases = []


def add(reported, verified, higher, cfg=None):
    cases.append((reported, verified, higher, cfg))


for higher in (True, False):
    sign = 1 if higher else -1  # "worse by x" is reported − x for higher-is-better, reported + x otherwise
    for rep in (ONE, 2_500_000, -12 * ONE, 123_456):
        m = abs(rep)
        for rel_ppm in (0, 1, 10_000, 49_999, 50_000, 50_001, 99_999, 100_000, 100_001, 150_000, 1_000_000):
            worse = m * rel_ppm // ONE
            add(rep, rep - sign * worse, higher)   # verified worse than claimed: penalty side
            add(rep, rep + sign * worse, higher)   # verified better: bonus side
    add(0, 0, higher)
    add(0, 1, higher)
    add(0, -1, higher)
    add(0, 100_000, higher)
    add(0, -100_000, higher)
    add(0, 100_001, higher)
    add(10**12, 10**12 - 1, higher)  # gap under 1 ppm of the claim: 1.0
    add(1, 2, higher)
    add(-1, -2, higher)
    add(-12_000_000, -12_600_000, higher)

custom = [
    {"toleranceMarginPpm": 280_000, "bonusThresholdPpm": 50_000, "minRewardFractionPpm": 300_000, "maxBonusPpm": 1_200_000},
    {"toleranceMarginPpm": 0, "bonusThresholdPpm": 0, "minRewardFractionPpm": 300_000, "maxBonusPpm": 1_100_000},
    {"toleranceMarginPpm": 100_000, "bonusThresholdPpm": 100_000, "minRewardFractionPpm": 100_000, "maxBonusPpm": 1_000_000},
    {"toleranceMarginPpm": 500_000, "bonusThresholdPpm": 30_000, "minRewardFractionPpm": 0, "maxBonusPpm": 2_000_000},
]
for cfg in custom:
    for rel_ppm in (0, 1, 15_000, 30_000, 100_000, 280_000, 280_001, 500_000, 600_000):
        for higher in (True, False):
            sign = 1 if higher else -1
            add(ONE, ONE - sign * rel_ppm, higher, cfg)
            add(ONE, ONE + sign * rel_ppm, higher, cfg)

rng = random.Random(99)
for _ in range(60):
    rep = rng.choice([rng.randrange(-10**9, 10**9), rng.randrange(-1000, 1000)])
    ver = rep + rng.randrange(-abs(rep) // 4 - 10, abs(rep) // 4 + 10)
    add(rep, ver, rng.random() < 0.5, rng.choice([None] + custom))

vectors = []
cliff = 0
for reported, verified, higher, cfg in cases:
    c = cfg or DEFAULT
    ours = rule(reported, verified, higher, c)
    ref = reference(reported, verified, higher, c)
    # the reference's floats against our floors: rel is floored to whole ppm, which moves the result by
    # at most one ppm of rel times the curve's slope, plus one unit for the final floor. Where the
    # reference's 1e-9 slack still pays the minimum just above the margin we pay 0 (rel > margin).
    slope = max(Fraction(ONE - c["minRewardFractionPpm"], c["toleranceMarginPpm"]) if c["toleranceMarginPpm"] else 0,
                Fraction(c["maxBonusPpm"] - ONE, c["bonusThresholdPpm"]) if c["bonusThresholdPpm"] else 0)
    tol = slope + 2
    at_step = c["toleranceMarginPpm"] == 0 or c["bonusThresholdPpm"] == 0
    # at the cliff: a claim less than 1 ppm beyond the margin floors onto it and still pays the minimum
    gap = reported - verified if higher else verified - reported
    exact_rel = Fraction(gap * ONE, abs(reported)) if reported else Fraction(gap)
    at_cliff = c["toleranceMarginPpm"] < exact_rel < c["toleranceMarginPpm"] + 1 and ours == c["minRewardFractionPpm"] and ref == 0
    if at_cliff:
        cliff += 1
    assert abs(ours - ref * ONE) <= tol or at_step or at_cliff, (reported, verified, higher, c, ours, ref)
    assert 0 <= ours <= max(c["maxBonusPpm"], ONE)
    v = {"reported": str(reported), "verified": str(verified), "higherIsBetter": higher, "expected": str(ours)}
    if cfg:
        v["config"] = cfg
    vectors.append(v)

assert cliff > 0  # the vectors include the cliff case
write_fixture(
    "incentive",
    "Reward fraction: rewardFraction(reported, verified, higherIsBetter, config) in Fixed 10^6. 'config' defaults to the "
    "reference's (margin 0.10, bonus threshold 0.05, minimum 0.3, maximum bonus 1.2), all in ppm.",
    "doin-reference-notes §2.4 (doin_core/consensus/incentives.py compute_reward_fraction), in integers",
    "test/vectors/gen/gen_incentive.py: fractions.Fraction for the integer rule (rel floored to ppm, result floored); every value "
    "also within (curve slope + 2) ppm of the reference's float curve, the effect of flooring rel to whole ppm; the one "
    "other difference is at the cliff, where a claim less than 1 ppm beyond the margin floors onto it and pays the minimum "
    "(the reference pays 0 there).",
    vectors,
)
