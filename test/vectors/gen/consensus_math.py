"""The integer rules that several generators apply: reputation decay and
factor (core/reputation.ts) and the reward fraction (core/incentive.ts).
Stated once here so that gen_reputation, gen_incentive and gen_blocks test
the same formula; importing it runs nothing."""
import math
from decimal import Decimal
from fractions import Fraction

from numeric_io import ONE, dec_floor

LN2 = Decimal(2).ln()


def factor2(elapsed, half_life):
    """floor(2^(−elapsed/half_life)·10^6): exact for whole half-lives, else decimal at the context's precision."""
    q, r = divmod(elapsed, half_life)
    if r == 0:
        return ONE >> q if q < 64 else 0
    if q >= 20:
        return 0
    return dec_floor((-(Decimal(elapsed) / Decimal(half_life)) * LN2).exp() * ONE)


def decayed(rep, rep_time, time, half_life):
    """floor(rep · factor2(Δ) / 10^6); unchanged for Δ ≤ 0 or rep ≤ 0."""
    elapsed = time - rep_time
    if elapsed <= 0 or rep <= 0:
        return rep
    return rep * factor2(elapsed, half_life) // ONE


def rep_factor(r):
    """min(1, ln(1 + r)/ln 11), floored to ppm; 0 for r ≤ 0."""
    if r <= 0:
        return 0
    if r >= 10 * ONE:
        return ONE  # ln(1+r)/ln 11 ≥ 1
    return min(ONE, dec_floor((Decimal(ONE + r) / ONE).ln() / Decimal(11).ln() * ONE))


def reward_fraction(reported, verified, higher, c):
    """The share of an optimizer's reward its verified performance earns (ppm)."""
    gap = reported - verified if higher else verified - reported
    mag = abs(reported)
    rel = gap if mag == 0 else math.floor(Fraction(gap * ONE, mag))
    if rel < 0:
        b = -rel
        if b >= c["bonusThresholdPpm"]:
            return c["maxBonusPpm"]
        return ONE + math.floor(Fraction(b * (c["maxBonusPpm"] - ONE), c["bonusThresholdPpm"]))
    if rel == 0:
        return ONE
    if rel > c["toleranceMarginPpm"]:
        return 0
    return math.floor(ONE - Fraction(rel * (ONE - c["minRewardFractionPpm"]), c["toleranceMarginPpm"]))
