"""Helpers for the numeric vector generators (gen_fixed, gen_difficulty, gen_issuance,
gen_reputation, gen_incentive). Standard library only.

Every generator recomputes its expected values from the written-down rules with
Python integers, fractions.Fraction and decimal.Decimal at high precision, never
from the TypeScript. Run any generator with `python3 test/vectors/gen/gen_<name>.py`
from the repository root; it rewrites test/vectors/<name>.json deterministically.
"""
import json
import os
from decimal import Decimal, getcontext, ROUND_FLOOR

PREC = 120
getcontext().prec = PREC

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.dirname(HERE)

ONE = 10**6


def write_fixture(name, description, source, how_computed, vectors):
    path = os.path.join(OUT, name + ".json")
    doc = {
        "description": description,
        "source": source,
        "how_computed": how_computed,
        "vectors": vectors,
    }
    with open(path, "w", encoding="utf-8") as f:
        f.write(dumps(doc))
        f.write("\n")
    print(f"wrote {path}: {len(vectors)} vectors")


def _is_leaf(v):
    if isinstance(v, list):
        return all(not isinstance(x, (list, dict)) for x in v)
    if isinstance(v, dict):
        return all(not isinstance(x, (list, dict)) for x in v.values())
    return True


def dumps(v, level=0):
    """JSON with one line per leaf (scalars, flat lists, flat objects): diff-friendly and compact."""
    if _is_leaf(v):
        return json.dumps(v, ensure_ascii=False, separators=(", ", ": "))
    pad = " " * (level + 1)
    end = " " * level
    if isinstance(v, list):
        items = [pad + dumps(x, level + 1) for x in v]
        return "[\n" + ",\n".join(items) + "\n" + end + "]"
    items = [pad + json.dumps(k, ensure_ascii=False) + ": " + dumps(x, level + 1) for k, x in v.items()]
    return "{\n" + ",\n".join(items) + "\n" + end + "}"


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
