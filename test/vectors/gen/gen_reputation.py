"""Vectors for core/reputation.ts: decay, adjustment sequences, the reputation
factor and the evaluator minimum.

Decay is floor(rep · floor(2^(−Δ/H)·10^6) / 10^6): the factor from decimal at
120 digits (exact integers for whole half-lives), the product with integers.
The factor is floor(ln(1 + r)/ln 11 · 10^6) capped at 10^6 (reference
weights.py), from decimal at 120 digits; each value is checked to lie more than
1e-60 from an integer."""
import random
from decimal import Decimal

from numeric_io import ONE, dec_floor
from vector_io import write_fixture

H = 1008  # one week of 600 s blocks: the reference's 604800 s half-life
LN2 = Decimal(2).ln()
R = {"accept": 1_000_000, "reject": -3_000_000, "agree": 400_000, "diverge": -2_000_000}


def factor2(elapsed, half_life):
    """floor(2^(−elapsed/half_life)·10^6)."""
    q, r = divmod(elapsed, half_life)
    if r == 0:
        return ONE >> q if q < 64 else 0
    if q >= 20:
        return 0
    return dec_floor((-(Decimal(elapsed) / Decimal(half_life)) * LN2).exp() * ONE)


def decayed(rep, rep_height, height, half_life):
    elapsed = height - rep_height
    if elapsed <= 0 or rep <= 0:
        return rep
    return rep * factor2(elapsed, half_life) // ONE


def adjust(rep, rep_height, height, delta, half_life):
    return max(0, decayed(rep, rep_height, height, half_life) + delta), max(height, rep_height)


def rep_factor(r):
    if r <= 0:
        return 0
    if r >= 10 * ONE:
        return ONE  # ln(1+r)/ln 11 ≥ 1
    return min(ONE, dec_floor((Decimal(ONE + r) / ONE).ln() / Decimal(11).ln() * ONE))


vectors = []

# decay after 0, 1, 1008, 5000 blocks and more
reps = [0, 1, 999_999, ONE, 2 * ONE, 3_500_000, 10 * ONE, 123_456_789, 1000 * ONE, 10**15]
elapsed_list = [0, 1, 2, 504, 1007, 1008, 1009, 2016, 5000, 20_159, 20_160, 100_000]
for rep in reps:
    for e in elapsed_list:
        vectors.append({"kind": "decay", "reputation": str(rep), "reputationHeight": 1000, "height": 1000 + e,
                        "halfLifeBlocks": H, "expected": str(decayed(rep, 1000, 1000 + e, H))})
# a height below the stored one decays nothing; another half-life
vectors.append({"kind": "decay", "reputation": str(5 * ONE), "reputationHeight": 500, "height": 400,
                "halfLifeBlocks": H, "expected": str(5 * ONE)})
for e in (1, 7, 10, 33):
    vectors.append({"kind": "decay", "reputation": str(7 * ONE), "reputationHeight": 0, "height": e,
                    "halfLifeBlocks": 10, "expected": str(decayed(7 * ONE, 0, e, 10))})

# adjustment sequences: (height, delta) steps, expected state after each
rng = random.Random(11)
seqs = [
    ("accept x3 at one height, then reject", 0, 0, [(10, R["accept"]), (10, R["accept"]), (10, R["accept"]), (10, R["reject"])]),
    ("reject from zero stays at zero", 0, 0, [(5, R["reject"]), (6, R["accept"])]),
    ("k accepts then k rejects ends lower", 4 * ONE, 100, [(101, R["accept"])] * 3 + [(102, R["reject"])] * 3),
    ("decay between events", 0, 0, [(0, R["accept"]), (1008, R["accept"]), (2016, R["agree"]), (5000, R["diverge"]), (6008, R["accept"])]),
    ("evaluator: agree x6 then diverge", 0, 0, [(h, R["agree"]) for h in range(1, 7)] + [(7, R["diverge"])]),
    ("height going backwards keeps the stored height", 2 * ONE, 50, [(40, R["accept"]), (60, R["accept"])]),
]
for k in range(4):
    steps, h = [], 0
    for _ in range(25):
        h += rng.choice([0, 1, 3, 100, 1008, 3000])
        steps.append((h, rng.choice(list(R.values()))))
    seqs.append((f"random {k}", rng.choice([0, ONE, 5 * ONE]), 0, steps))
for name, rep0, h0, steps in seqs:
    rep, rh = rep0, h0
    out = []
    for height, delta in steps:
        rep, rh = adjust(rep, rh, height, delta, H)
        assert rep >= 0
        out.append({"height": height, "delta": str(delta), "reputation": str(rep), "reputationHeight": rh})
    vectors.append({"kind": "sequence", "name": name, "halfLifeBlocks": H,
                    "start": {"reputation": str(rep0), "reputationHeight": h0}, "steps": out})

# reputation factor (reference weights.py: r=1 → 0.289, r=2 → 0.458, r=10 → 1.0)
rs = [-ONE, -1, 0, 1, 10, 500_000, ONE, 2 * ONE, 3 * ONE, 5 * ONE, 9_999_999, 10 * ONE, 10 * ONE + 1, 100 * ONE, 10**15]
rs += [rng.randrange(1, 10 * ONE) for _ in range(15)]
for r in rs:
    vectors.append({"kind": "factor", "r": str(r), "expected": str(rep_factor(r))})
assert rep_factor(ONE) == 289_064 and rep_factor(2 * ONE) == 458_156 and rep_factor(10 * ONE) == ONE

# evaluator minimum: decayed reputation ≥ 2.0
for rep, rh, height in [(2 * ONE, 0, 0), (2 * ONE, 0, 1), (4 * ONE, 0, 1008), (4 * ONE, 0, 1009), (2_000_002, 0, 1),
                        (2_001_377, 0, 1), (2_001_378, 0, 1), (1_999_999, 0, 0), (0, 0, 0), (100 * ONE, 0, 5000)]:
    d = decayed(rep, rh, height, H)
    vectors.append({"kind": "evaluatorMinimum", "reputation": str(rep), "reputationHeight": rh, "height": height,
                    "halfLifeBlocks": H, "minForEvaluator": str(2 * ONE), "expected": d >= 2 * ONE})

write_fixture(
    "reputation",
    "Reputation: decay to a height, adjustment sequences (decay, add, floor at 0), the reputation factor and the evaluator minimum.",
    "doin-reference-notes §2.7 (doin_core/models/reputation.py: +1.0 accepted, −3.0 rejected, +0.4 agreed, −2.0 divergent, "
    "half-life 604800 s = 1008 blocks of 600 s, minimum 2.0) and §2.2 (rep_factor = min(1, ln(1+r)/ln 11)), in Fixed 10^6",
    "test/vectors/gen/gen_reputation.py: decay = floor(rep·floor(2^(−Δ/H)·10^6)/10^6), the 2^x factor from decimal at 120 digits "
    "(integers for whole half-lives); factor = floor(ln(1+r)/ln 11·10^6) from decimal at 120 digits; each decimal value checked "
    "to lie more than 1e-60 from an integer.",
    vectors,
)
