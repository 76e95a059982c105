"""Vectors for core/issuance.ts: blockReward, supplyAfter and splitReward.

Rewards and supply come from Python integers; supply is cross-checked two ways:
block by block (applying the cap rule to each reward) for small schedules, and
against Bitcoin's known total of 2,099,999,997,690,000 base units for the
reference schedule (50 coins, 210,000, the same as Bitcoin's). The split is
the rule written out with integers, checked to sum to the total exactly."""
import random

from vector_io import write_fixture

COIN = 10**8
REF = {"initialReward": 50 * COIN, "halvingInterval": 210_000, "maxSupply": 21_000_000 * COIN}
SHARES = {"producerSharePpm": 50_000, "optimizerSharePpm": 650_000, "evaluatorSharePpm": 300_000}


def era_reward(i, p):
    h = i // p["halvingInterval"]
    return 0 if h >= 64 else p["initialReward"] >> h


def supply_closed(n, p):
    total, era = 0, 0
    while era < 64 and era * p["halvingInterval"] < n:
        blocks = min(n - era * p["halvingInterval"], p["halvingInterval"])
        total += blocks * (p["initialReward"] >> era)
        era += 1
    return min(total, p["maxSupply"])


def reward(i, p):
    return min(era_reward(i, p), p["maxSupply"] - supply_closed(i, p))


def simulate(n, p):
    """Block by block: each reward capped by what is left."""
    supply, out = 0, []
    for i in range(n):
        r = min(era_reward(i, p), p["maxSupply"] - supply)
        out.append(r)
        supply += r
    return out


vectors = []

# reference schedule: halving boundaries, the last paying era (32), the first empty one (33), 64 halvings
assert supply_closed(33 * 210_000, REF) == 2_099_999_997_690_000  # Bitcoin's total, same schedule
idx = [0, 1, 209_999, 210_000, 210_001, 419_999, 420_000, 629_999, 630_000, 1_049_999, 1_050_000,
       6_719_999, 6_720_000, 6_929_998, 6_929_999, 6_930_000, 13_439_999, 13_440_000, 13_440_001, 2**53 - 1]
for i in idx:
    vectors.append({"kind": "reward", "mintIndex": i, "expected": str(reward(i, REF))})
sup = [0, 1, 2, 209_999, 210_000, 210_001, 420_000, 6_720_000, 6_929_998, 6_929_999, 6_930_000, 6_930_001,
       13_440_000, 13_440_001, 10**12, 2**53 - 1]
for n in sup:
    vectors.append({"kind": "supply", "mintedBlocks": n, "expected": str(supply_closed(n, REF))})

# small schedules where the cap binds, cross-checked against the block-by-block simulation
for small in ({"initialReward": 100, "halvingInterval": 3, "maxSupply": 500},
              {"initialReward": 7, "halvingInterval": 2, "maxSupply": 13},
              {"initialReward": 1000, "halvingInterval": 1, "maxSupply": 1999},
              {"initialReward": 5, "halvingInterval": 10, "maxSupply": 10**6}):
    sim = simulate(40, small)
    for i in range(0, 40, 1 if small["halvingInterval"] < 5 else 7):
        assert sim[i] == reward(i, small)
        assert sum(sim[:i]) == supply_closed(i, small)
        wire = {"initialReward": str(small["initialReward"]), "halvingInterval": small["halvingInterval"], "maxSupply": str(small["maxSupply"])}
        vectors.append({"kind": "reward", "params": wire, "mintIndex": i, "expected": str(sim[i])})
        vectors.append({"kind": "supply", "params": wire, "mintedBlocks": i, "expected": str(sum(sim[:i]))})
    vectors.append({"kind": "supply", "params": wire, "mintedBlocks": 40, "expected": str(sum(sim))})


def split(total, producer, optimizers, evaluators, shares):
    """The rule: pools floor(total·share/10^6); each payment floor(pool·w/W); the producer gets the rest."""
    outs = []
    paid = 0
    for entries, ppm, role in ((optimizers, shares["optimizerSharePpm"], "optimizer"),
                               (evaluators, shares["evaluatorSharePpm"], "evaluator")):
        pos = sorted((a, w) for a, w in entries if w > 0)
        W = sum(w for _, w in pos)
        if W == 0:
            continue
        pool = total * ppm // 10**6
        for a, w in pos:
            amt = pool * w // W
            paid += amt
            outs.append({"to": a, "amount": amt, "role": role})
    result = [{"to": producer, "amount": total - paid, "role": "producer"}] + outs
    result = [o for o in result if o["amount"] > 0]
    assert sum(o["amount"] for o in result) == total
    assert all(o["amount"] > 0 for o in result)
    for o in result:
        o["amount"] = str(o["amount"])
    return result


rng = random.Random(2026)


def addr(k):
    return f"{k:040x}"


def rand_addr():
    return "".join(rng.choice("0123456789abcdef") for _ in range(40))


P = addr(0xAA)
split_cases = [
    ("empty block: everything to the producer", 50 * COIN, [], [], None),
    ("zero total: no outputs", 0, [(addr(1), 1)], [(addr(2), 1)], None),
    ("reward 50 + fees 10, one optimizer, one evaluator (reference pays 67.15 here)", 60 * COIN,
     [(addr(1), 3_470_000)], [(addr(2), 1)], None),
    ("reward only, both pools", 50 * COIN, [(addr(1), 1_000_000)], [(addr(2), 3)], None),
    ("one optimizer, no evaluators: evaluator pool to the producer", 50 * COIN, [(addr(1), 5)], [], None),
    ("evaluators only: optimizer pool to the producer", 50 * COIN, [], [(addr(3), 2), (addr(2), 1)], None),
    ("zero and negative weights receive nothing", 50 * COIN, [(addr(1), 0), (addr(2), -5)], [(addr(3), 0)], None),
    ("producer is also optimizer and evaluator", 50 * COIN + 12345, [(P, 2), (addr(1), 1)], [(P, 1), (addr(2), 1)], None),
    ("dust total 1", 1, [(addr(1), 1)], [(addr(2), 1)], None),
    ("dust total 7", 7, [(addr(1), 1), (addr(4), 1)], [(addr(2), 1), (addr(3), 1)], None),
    ("dust total 19, three optimizers", 19, [(addr(1), 1), (addr(2), 1), (addr(3), 1)], [(addr(5), 1)], None),
    ("remainders from thirds", 100, [(addr(1), 1), (addr(2), 1), (addr(3), 1)], [(addr(4), 1), (addr(5), 1), (addr(6), 1)], None),
    ("unsorted input, output sorted by address", 50 * COIN,
     [(addr(9), 1), (addr(3), 2), (addr(7), 3)], [(addr(8), 1), (addr(2), 1), (addr(5), 4)], None),
    ("huge weights", 50 * COIN, [(addr(1), 10**30), (addr(2), 1)], [(addr(3), 2**40), (addr(4), 1)], None),
    ("whole supply as total", 21_000_000 * COIN, [(addr(1), 3), (addr(2), 7)], [(addr(3), 1)], None),
    ("other shares: producer 10 %, optimizers 60 %, evaluators 30 %", 50 * COIN + 1,
     [(addr(1), 1), (addr(2), 2)], [(addr(3), 1)], {"producerSharePpm": 100_000, "optimizerSharePpm": 600_000, "evaluatorSharePpm": 300_000}),
    ("all to optimizers", 1_000_003, [(addr(1), 1), (addr(2), 1)], [(addr(3), 1)],
     {"producerSharePpm": 0, "optimizerSharePpm": 1_000_000, "evaluatorSharePpm": 0}),
]
for k in range(6):
    n_opt = rng.choice([1, 2, 5, 20, 50])
    n_eval = rng.choice([0, 1, 3, 15, 40])
    opts = [(rand_addr(), rng.randrange(1, 50_000_000)) for _ in range(n_opt)]
    evs = [(rand_addr(), rng.randrange(1, 12)) for _ in range(n_eval)]
    total = rng.choice([50 * COIN, 25 * COIN + rng.randrange(0, 10**9), rng.randrange(0, 10**4), 3_125_000_000 + 777])
    split_cases.append((f"random {k}: {n_opt} optimizers, {n_eval} evaluators", total, opts, evs, None))

for name, total, opts, evs, shares in split_cases:
    sh = shares or SHARES
    v = {
        "kind": "split",
        "name": name,
        "total": str(total),
        "producer": P,
        "optimizers": [[a, str(w)] for a, w in opts],
        "evaluators": [[a, c] for a, c in evs],
        "expected": split(total, P, opts, evs, sh),
    }
    if shares:
        v["params"] = shares
    vectors.append(v)

write_fixture(
    "issuance",
    "Issuance: blockReward(mintIndex), supplyAfter(mintedBlocks) and splitReward (coinbase outputs). "
    "'params', when present, overrides the reference schedule (50 DOIN, halving 210000, cap 21e6 DOIN) or shares (5/65/30 %).",
    "doin-reference-notes §2.6 (doin_core/models/coin.py), in base units (1 DOIN = 10^8): reward = initialReward >> halvings, "
    "0 from 64 halvings, capped by maxSupply − supply; split 5 % producer / 65 % optimizers / 30 % evaluators of reward + fees, "
    "remainders and empty pools to the producer, sum exactly the total (the reference overpays fees)",
    "test/vectors/gen/gen_issuance.py: Python integers. Supply closed form over eras, checked block by block with the cap for "
    "small schedules and against Bitcoin's total 2099999997690000 for the reference schedule; every split checked to sum to its total.",
    vectors,
)
