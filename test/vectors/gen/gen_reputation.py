"""Vectors for core/reputation.ts: decay, adjustment sequences, the reputation
factor and the evaluator minimum.

Decay is floor(rep · floor(2^(−Δ/H)·10^6) / 10^6): the factor from decimal at
120 digits (exact integers for whole half-lives), the product with integers.
The factor is floor(ln(1 + r)/ln 11 · 10^6) capped at 10^6 (reference
weights.py), from decimal at 120 digits; each value is checked to lie more than
1e-60 from an integer."""
import random

from consensus_math import decayed, factor2, rep_factor
from numeric_io import ONE
from vector_io import write_fixture

H = 604_800_000  # one week in milliseconds of block time: the reference's 604800 s half-life
DAY = 86_400_000
R = {"accept": 1_000_000, "reject": -3_000_000, "agree": 400_000, "diverge": -2_000_000}


def adjust(rep, rep_time, time, delta, half_life):
    return max(0, decayed(rep, rep_time, time, half_life) + delta), max(time, rep_time)


vectors = []

# decay after 0 ms, 1 ms, a day, half a week, a week and more
T0 = 1_761_955_200_000  # 2025-11-01, a block timestamp
reps = [0, 1, 999_999, ONE, 2 * ONE, 3_500_000, 10 * ONE, 123_456_789, 1000 * ONE, 10**15]
elapsed_list = [0, 1, 2, DAY, H // 2, H - 1, H, H + 1, 2 * H, 5 * DAY + 17, 20 * H - 1, 20 * H, 100 * H]
for rep in reps:
    for e in elapsed_list:
        vectors.append({"kind": "decay", "reputation": str(rep), "reputationTime": T0, "time": T0 + e,
                        "halfLifeMs": H, "expected": str(decayed(rep, T0, T0 + e, H))})
# a time before the stored one decays nothing; another half-life
vectors.append({"kind": "decay", "reputation": str(5 * ONE), "reputationTime": T0, "time": T0 - 1000,
                "halfLifeMs": H, "expected": str(5 * ONE)})
for e in (1, 7, 10, 33):
    vectors.append({"kind": "decay", "reputation": str(7 * ONE), "reputationTime": 0, "time": e,
                    "halfLifeMs": 10, "expected": str(decayed(7 * ONE, 0, e, 10))})

# adjustment sequences: (time, delta) steps, expected state after each
rng = random.Random(11)
seqs = [
    ("accept x3 at one time, then reject", 0, T0, [(T0 + 10, R["accept"]), (T0 + 10, R["accept"]), (T0 + 10, R["accept"]), (T0 + 10, R["reject"])]),
    ("reject from zero stays at zero", 0, T0, [(T0 + 5, R["reject"]), (T0 + 6, R["accept"])]),
    ("k accepts then k rejects ends lower", 4 * ONE, T0, [(T0 + 1000, R["accept"])] * 3 + [(T0 + 2000, R["reject"])] * 3),
    ("decay between events", 0, T0, [(T0, R["accept"]), (T0 + H, R["accept"]), (T0 + 2 * H, R["agree"]), (T0 + 5 * H, R["diverge"]), (T0 + 6 * H, R["accept"])]),
    ("evaluator: agree x6 then diverge", 0, T0, [(T0 + 2000 * h, R["agree"]) for h in range(1, 7)] + [(T0 + 14_000, R["diverge"])]),
    ("time going backwards keeps the stored time", 2 * ONE, T0 + 50_000, [(T0 + 40_000, R["accept"]), (T0 + 60_000, R["accept"])]),
]
for k in range(4):
    steps, t = [], T0
    for _ in range(25):
        t += rng.choice([0, 1, 2000, 60_000, DAY, H, 3 * H])
        steps.append((t, rng.choice(list(R.values()))))
    seqs.append((f"random {k}", rng.choice([0, ONE, 5 * ONE]), T0, steps))
for name, rep0, t0, steps in seqs:
    rep, rt = rep0, t0
    out = []
    for time, delta in steps:
        rep, rt = adjust(rep, rt, time, delta, H)
        assert rep >= 0
        out.append({"time": time, "delta": str(delta), "reputation": str(rep), "reputationTime": rt})
    vectors.append({"kind": "sequence", "name": name, "halfLifeMs": H,
                    "start": {"reputation": str(rep0), "reputationTime": t0}, "steps": out})

# reputation factor (reference weights.py: r=1 → 0.289, r=2 → 0.458, r=10 → 1.0)
rs = [-ONE, -1, 0, 1, 10, 500_000, ONE, 2 * ONE, 3 * ONE, 5 * ONE, 9_999_999, 10 * ONE, 10 * ONE + 1, 100 * ONE, 10**15]
rs += [rng.randrange(1, 10 * ONE) for _ in range(15)]
for r in rs:
    vectors.append({"kind": "factor", "r": str(r), "expected": str(rep_factor(r))})
assert rep_factor(ONE) == 289_064 and rep_factor(2 * ONE) == 458_156 and rep_factor(10 * ONE) == ONE

# evaluator minimum: decayed reputation ≥ 2.0
for rep, rt, time in [(2 * ONE, T0, T0), (2 * ONE, T0, T0 + 1_000), (4 * ONE, T0, T0 + H), (4 * ONE, T0, T0 + H + 1),
                      (2_000_002, T0, T0 + 1_000), (2_000_002, T0, T0 + 600_000), (2_000_003, T0, T0 + 600_000),
                      (1_999_999, T0, T0), (0, T0, T0), (100 * ONE, T0, T0 + 5 * H)]:
    d = decayed(rep, rt, time, H)
    vectors.append({"kind": "evaluatorMinimum", "reputation": str(rep), "reputationTime": rt, "time": time,
                    "halfLifeMs": H, "minForEvaluator": str(2 * ONE), "expected": d >= 2 * ONE})

write_fixture(
    "reputation",
    "Reputation: decay to a block time (ms), adjustment sequences (decay, add, floor at 0), the reputation factor and the evaluator minimum.",
    "doin-reference-notes §2.7 (doin_core/models/reputation.py: +1.0 accepted, −3.0 rejected, +0.4 agreed, −2.0 divergent, "
    "half-life 604800 s, here 604,800,000 ms of block time, minimum 2.0) and §2.2 (rep_factor = min(1, ln(1+r)/ln 11)), in Fixed 10^6",
    "test/vectors/gen/gen_reputation.py: decay = floor(rep·floor(2^(−Δ/H)·10^6)/10^6), the 2^x factor from decimal at 120 digits "
    "(integers for whole half-lives); factor = floor(ln(1+r)/ln 11·10^6) from decimal at 120 digits; each decimal value checked "
    "to lie more than 1e-60 from an integer.",
    vectors,
)
