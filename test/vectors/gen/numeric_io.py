"""Numbers for the numeric vector generators (gen_fixed, gen_difficulty, gen_issuance,
gen_reputation, gen_incentive). Standard library only.

Every generator recomputes its expected values from the written-down rules with
Python integers, fractions.Fraction and decimal.Decimal at high precision, never
from the TypeScript.
"""
from decimal import Decimal, getcontext, ROUND_FLOOR

PREC = 120
getcontext().prec = PREC

ONE = 10**6


def dec_floor(d: Decimal, margin_digits: int = 60) -> int:
    """floor(d), refusing values so close to an integer that PREC digits could not decide it."""
    f = int(d.to_integral_value(rounding=ROUND_FLOOR))
    frac = d - f
    eps = Decimal(10) ** (-margin_digits)
    if frac < eps or (1 - frac) < eps:
        raise ValueError(f"value {d} too close to an integer to floor safely")
    return f


def ln_dec(x_fixed: int) -> Decimal:
    """ln(x / 10^6) as a Decimal (x/10^6 is exact in decimal)."""
    return (Decimal(x_fixed) / Decimal(ONE)).ln()


def floor_div(a: int, b: int) -> int:
    return a // b  # Python's // already floors for every sign


def s(x: int) -> str:
    return str(int(x))
