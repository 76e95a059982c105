#!/usr/bin/env python3
"""Writes test/vectors/quorum.json: quorum seeds, evaluator seeds, evaluator
selection, dynamic quorum size and vote aggregation (core/quorum.ts).

    python3 test/vectors/gen/gen_quorum.py

Standard library only. Every expected value is recomputed here from the written
rules (doin-reference-notes §2.8-2.9 plus the DOIN changes: seeds fixed by the
beacon after the commit, absolute tolerance floor, fraction quorum, no reputation
discount in the quorum size), never from the TypeScript. The quorum size is also
checked against a float transcription of the reference's dynamic_quorum.py for
the reference's bounds (3, 15) and an optimizer of no reputation.
"""
import hashlib
import math
import random

from vector_io import hash_of, write_fixture

PPM = 10**6


def h(label):
    return hashlib.sha256(label.encode("utf-8")).hexdigest()


def addr(label):
    return h("address/" + label)[:40]


# --- the rules ---------------------------------------------------------------

def quorum_seed(beacon):
    return hash_of("quorum", {"beacon": beacon})


def evaluator_seed(commit, evaluator, beacon):
    seed = hash_of("evaluator-seed", {"commit": commit, "evaluator": evaluator, "beacon": beacon})
    return seed, int.from_bytes(bytes.fromhex(seed)[:4], "big")


def select(seed, candidates, k):
    uniq = sorted(set(candidates), key=lambda c: (hash_of("quorum", {"seed": seed, "candidate": c}), c))
    return uniq[: max(0, min(k, len(uniq)))]


def quorum_size(eligible, active_ppm, min_size, max_size):
    n = eligible
    if n < 1:
        return 0
    log2 = n.bit_length() - 1
    if active_ppm * 4 >= 3 * PPM:
        bonus = 3
    elif active_ppm * 2 >= PPM:
        bonus = 2
    elif active_ppm * 4 >= PPM:
        bonus = 1
    else:
        bonus = 0
    raw = 3 + log2 + bonus
    hi = max(min_size, min(max_size, n // 2))
    k = min(max(raw, min_size), hi)
    return max(0, min(k, n))


def reference_dynamic_quorum(n_active, activity, rep):
    """doin_core/consensus/dynamic_quorum.py (notes §2.8), floats as in the reference."""
    base = 3 + int(math.log2(n_active))
    bonus = 3 if activity >= 0.75 else 2 if activity >= 0.5 else 1 if activity >= 0.25 else 0
    discount = 2 if rep >= 0.9 else 1 if rep >= 0.7 else 0
    k = base + bonus - discount
    return max(3, min(k, max(3, min(15, n_active // 2))))


def median(sorted_values):
    n = len(sorted_values)
    if n == 0:
        return 0
    if n % 2 == 1:
        return sorted_values[n // 2]
    return (sorted_values[n // 2 - 1] + sorted_values[n // 2]) // 2  # Python // floors


def aggregate(votes, reported, tol_abs, tol_rel_ppm, fraction_ppm, required):
    values = sorted(v["performance"] for v in votes)
    med = median(values)
    tol = max(tol_abs, tol_rel_ppm * abs(med) // PPM)
    agree = [v for v in votes if abs(v["performance"] - med) <= tol]
    out = [v for v in votes if abs(v["performance"] - med) > tol]
    agreeing = sorted(v["evaluator"] for v in agree)
    outliers = sorted(v["evaluator"] for v in out)
    if not agree:
        return {"accepted": False, "median": str(med), "verified": str(med), "agreeing": agreeing, "outliers": outliers}
    verified = median(sorted(v["performance"] for v in agree))
    accepted = (
        len(votes) >= required
        and len(agree) * PPM >= fraction_ppm * len(votes)
        and abs(reported - verified) <= tol
    )
    return {"accepted": accepted, "median": str(med), "verified": str(verified), "agreeing": agreeing, "outliers": outliers}


# --- vectors -----------------------------------------------------------------

def seed_vectors():
    out = []
    for i, b in enumerate(["beacon/0", "beacon/1", "beacon/x", "beacon/y"]):
        beacon = h(b)
        out.append({"kind": "seed", "name": "quorumSeed %d" % i, "beacon": beacon, "expected": quorum_seed(beacon)})
    seeds32 = set()
    for i, (c, e, b) in enumerate([("commit/0", "ev/0", "beacon/0"), ("commit/0", "ev/1", "beacon/0"), ("commit/0", "ev/2", "beacon/0"),
                                   ("commit/0", "ev/0", "beacon/1"), ("commit/1", "ev/0", "beacon/0"), ("commit/2", "ev/7", "beacon/9")]):
        commit, evaluator, beacon = h(c), addr(e), h(b)
        seed, seed32 = evaluator_seed(commit, evaluator, beacon)
        seeds32.add(seed32)
        out.append({"kind": "evaluator-seed", "name": "evaluatorSeed %d" % i, "commit": commit, "evaluator": evaluator,
                    "beacon": beacon, "seed": seed, "seed32": seed32})
    assert len(seeds32) == 6
    return out


def select_vectors():
    rng = random.Random(20260301)
    out = []
    pool = [addr("cand/%d" % i) for i in range(40)]

    def add(name, seed, candidates, k):
        out.append({"kind": "select", "name": name, "seed": seed, "candidates": candidates, "k": k,
                    "expected": select(seed, candidates, k)})

    s0 = quorum_seed(h("beacon/0"))
    add("empty candidates", s0, [], 3)
    add("k = 0", s0, pool[:5], 0)
    add("one candidate", s0, pool[:1], 3)
    add("k larger than the set", s0, pool[:4], 10)
    add("k equals the set", s0, pool[:5], 5)
    add("duplicates count once", s0, [pool[0], pool[1], pool[0], pool[2], pool[1], pool[2]], 3)
    add("reversed input, same selection", s0, list(reversed(pool[:12])), 5)
    add("input order 1", s0, pool[:12], 5)
    add("another seed, same candidates", quorum_seed(h("beacon/1")), pool[:12], 5)
    for i in range(6):
        seed = quorum_seed(h("beacon/r%d" % i))
        n = rng.randrange(3, 40)
        cands = rng.sample(pool, n)
        if i % 2 == 0:
            cands = cands + rng.sample(cands, min(3, n))  # repeats
        add("random %d" % i, seed, cands, rng.randrange(0, 16))
    # the same set in two orders selects the same
    assert out[6]["expected"] == out[7]["expected"]
    return out


def size_vectors():
    out = []
    cases = []
    ref_bounds = (3, 15)
    doin_bounds = (10, 15)
    for n in [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 15, 16, 19, 20, 21, 31, 32, 33, 63, 64, 100, 1000, 65536, 10**6]:
        for act in [0, 249_999, 250_000, 500_000, 749_999, 750_000, 1_000_000]:
            cases.append((n, act) + ref_bounds)
            cases.append((n, act) + doin_bounds)
    cases += [(40, 1_000_000, 5, 9), (40, 0, 5, 9), (10, 500_000, 7, 20), (2, 0, 1, 1),
              (1, 1_000_000, 1, 15), (100, 0, 4, 4), (3, 0, 5, 15), (1000, 1_000_000, 3, 100)]
    full = []
    for n, act, lo, hi in cases:
        k = quorum_size(n, act, lo, hi)
        if (lo, hi) == ref_bounds and n >= 1:
            # the reference's rule with an optimizer of no reputation (DOIN dropped the discount)
            assert k == min(reference_dynamic_quorum(n, act / PPM, 0.0), n), (n, act)
        full.append({"kind": "size", "eligible": n, "activeFractionPpm": act, "minSize": lo, "maxSize": hi, "expected": k})
    # keep the file small: a subset of n for the two standard bounds, all custom ones
    keep_n = {0, 1, 2, 3, 5, 8, 10, 16, 20, 21, 31, 64, 100, 1000, 10**6}
    for v in full:
        if (v["minSize"], v["maxSize"]) not in (ref_bounds, doin_bounds) or v["eligible"] in keep_n:
            out.append(v)
    return out


def vote(e, p):
    return {"evaluator": addr("ev/%s" % e), "performance": p}


def aggregate_vectors():
    out = []

    def add(name, votes, reported, tol_abs, tol_rel, frac, required, expect_accepted=None):
        exp = aggregate(votes, reported, tol_abs, tol_rel, frac, required)
        if expect_accepted is not None:
            assert exp["accepted"] == expect_accepted, (name, exp)
        out.append({"kind": "aggregate", "name": name,
                    "votes": [{"evaluator": v["evaluator"], "performance": str(v["performance"])} for v in votes],
                    "reported": str(reported), "toleranceAbs": str(tol_abs), "toleranceRelPpm": tol_rel,
                    "quorumFractionPpm": frac, "required": required, "expected": exp})

    M = 10**6
    add("odd count, all agree", [vote(0, -120 * M), vote(1, -121 * M), vote(2, -119 * M)], -120 * M, 0, 50_000, 670_000, 3, True)
    add("even count: floor of the mean of the middle two (negative)",
        [vote(0, -3), vote(1, -4), vote(2, -10), vote(3, 5)], -4, 5, 0, 670_000, 4)
    add("even count: floor of the mean of the middle two (positive, odd sum)",
        [vote(0, 1 * M), vote(1, 2 * M + 1), vote(2, 3 * M), vote(3, 0)], 1_500_000, 0, 500_000, 500_000, 2)
    add("outliers on both sides are clipped",
        [vote(0, 100 * M), vote(1, 101 * M), vote(2, 99 * M), vote(3, 200 * M), vote(4, 10 * M)], 100 * M, 0, 50_000, 600_000, 3, True)
    add("outliers on both sides, too many: fraction fails",
        [vote(0, 100 * M), vote(1, 101 * M), vote(2, 200 * M), vote(3, 10 * M)], 100 * M, 0, 50_000, 670_000, 3, False)
    # W-C10: honest claim -0.01 while evaluators' noisy data add ≈ -0.1
    near_zero = [vote(0, -110_000), vote(1, -90_000), vote(2, -130_000), vote(3, -100_000), vote(4, -105_000)]
    add("near-zero median, relative tolerance only: honest claim rejected (reference W-C10)",
        near_zero, -10_000, 0, 50_000, 670_000, 3, False)
    add("near-zero median, absolute floor 0.2: honest claim accepted", near_zero, -10_000, 200_000, 50_000, 670_000, 3, True)
    add("median exactly zero, absolute floor", [vote(0, 0), vote(1, 3), vote(2, -3)], 2, 3, 50_000, 670_000, 3, True)
    add("median exactly zero, no floor: only exact votes agree", [vote(0, 0), vote(1, 3), vote(2, -3)], 0, 0, 50_000, 670_000, 3, False)
    add("fraction 2/3 vs 0.67: rejected", [vote(0, 10 * M), vote(1, 10 * M), vote(2, 50 * M)], 10 * M, 0, 10_000, 670_000, 3, False)
    add("fraction 2/3 vs 0.666667: rejected (2000000 < 2000001)",
        [vote(0, 10 * M), vote(1, 10 * M), vote(2, 50 * M)], 10 * M, 0, 10_000, 666_667, 3, False)
    add("fraction 2/3 vs 0.666666: accepted", [vote(0, 10 * M), vote(1, 10 * M), vote(2, 50 * M)], 10 * M, 0, 10_000, 666_666, 3, True)
    add("fraction 3/4 vs 0.75 exactly: accepted",
        [vote(0, 10 * M), vote(1, 10 * M), vote(2, 10 * M), vote(3, -50 * M)], 10 * M, 0, 10_000, 750_000, 4, True)
    add("fraction 3/4 vs 0.750001: rejected",
        [vote(0, 10 * M), vote(1, 10 * M), vote(2, 10 * M), vote(3, -50 * M)], 10 * M, 0, 10_000, 750_001, 4, False)
    add("fewer votes than required", [vote(0, 5 * M), vote(1, 5 * M)], 5 * M, 0, 50_000, 670_000, 3, False)
    add("exactly the required votes", [vote(0, 5 * M), vote(1, 5 * M)], 5 * M, 0, 50_000, 670_000, 2, True)
    # tolerance = floor(50000 * 100000001 / 10^6) = 5000000 (5000000.05 floored)
    add("report exactly at the tolerance boundary: accepted", [vote(0, 100_000_001)], 105_000_001, 0, 50_000, 670_000, 1, True)
    add("report one unit past the tolerance: rejected", [vote(0, 100_000_001)], 105_000_002, 0, 50_000, 670_000, 1, False)
    add("vote exactly at the tolerance boundary agrees",
        [vote(0, 100 * M), vote(1, 105 * M), vote(2, 95 * M)], 100 * M, 0, 50_000, 1_000_000, 3, True)
    add("vote one unit past the tolerance is an outlier",
        [vote(0, 100 * M), vote(1, 105 * M + 1), vote(2, 95 * M - 1)], 100 * M, 0, 50_000, 300_000, 3, True)
    add("verified is the median of the agreeing votes, not of all",
        [vote(0, 100 * M), vote(1, 104 * M), vote(2, 103 * M), vote(3, 500 * M), vote(4, 102 * M)], 103 * M, 0, 50_000, 670_000, 3, True)
    add("no vote agrees (zero tolerance, even split)", [vote(0, 1), vote(1, 4)], 2, 0, 0, 0, 1, False)
    add("no votes", [], 0, 0, 50_000, 670_000, 0, False)
    add("identical performances", [vote(0, -7 * M), vote(1, -7 * M), vote(2, -7 * M), vote(3, -7 * M)], -7 * M, 0, 0, 670_000, 3, True)
    add("large values", [vote(0, 10**30), vote(1, 10**30 + 10**20), vote(2, -(10**30))], 10**30, 0, 50_000, 600_000, 3, True)

    rng = random.Random(7_2026)
    for i in range(12):
        n = rng.randrange(1, 10)
        centre = rng.randrange(-10**9, 10**9)
        spread = rng.choice([10, 10**4, 10**6, 10**8])
        votes = [vote("r%d/%d" % (i, j), centre + rng.randrange(-spread, spread + 1)) for j in range(n)]
        if rng.random() < 0.5:
            votes.append(vote("r%d/far" % i, centre + rng.choice([-1, 1]) * 10**10))
        reported = centre + rng.randrange(-spread, spread + 1)
        add("random %d" % i, votes, reported, rng.choice([0, 1000, 10**6]), rng.choice([0, 10_000, 50_000]),
            rng.choice([500_000, 670_000, 1_000_000]), rng.randrange(0, n + 2))
    return out


def main():
    vectors = seed_vectors() + select_vectors() + size_vectors() + aggregate_vectors()
    write_fixture(
        "quorum",
        "Quorum: quorumSeed, evaluatorSeed, selectQuorum, quorumSize and aggregateVotes (core/quorum.ts).",
        "doin-reference-notes §2.8 (quorum.py, dynamic_quorum.py), §2.9 (deterministic_seed.py) and §7.1 W-C2, "
        "W-C7, W-C10, with DOIN's changes: seeds fixed by the beacon seedDelayBlocks after the commit, absolute tolerance "
        "floor, a fraction of the quorum suffices; constructed by test/vectors/gen/gen_quorum.py",
        "python3 test/vectors/gen/gen_quorum.py (standard library only). hashOf(tag, v) = sha256(\"DOIN/<tag>/\" + "
        "json.dumps(v, sort_keys=True, separators=(',', ':'))), RFC 8785 for these objects. seed: "
        "hashOf('quorum', {beacon}). evaluator-seed: hashOf('evaluator-seed', {commit, evaluator, beacon}), "
        "seed32 = first 4 bytes big-endian. select: distinct candidates sorted by (hashOf('quorum', {seed, candidate}), "
        "candidate), first k. size: clamp(3 + floor(log2 n) + activity bonus, minSize, "
        "max(minSize, min(maxSize, n // 2))), then min(., n), 0 for n = 0 (DOIN dropped the reference's reputation "
        "discount); for bounds (3, 15) also asserted equal to a float transcription of the reference's "
        "dynamic_quorum.py with an optimizer of no reputation; DOIN's bounds are (10, 15). aggregate: median (even count: floor of the mean of "
        "the middle two), tol = max(toleranceAbs, toleranceRelPpm*|median| // 10^6), agree iff |v - median| <= tol, "
        "verified = median of agreeing (median when none), accepted iff #votes >= required and "
        "#agree*10^6 >= quorumFractionPpm*#votes and |reported - verified| <= tol; agreeing/outliers sorted by address. "
        "Fixed values are decimal strings.",
        vectors,
    )


if __name__ == "__main__":
    main()
