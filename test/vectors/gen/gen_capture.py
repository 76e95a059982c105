#!/usr/bin/env python3
"""Writes test/vectors/capture.json: how many colluders decide a quorum of K, and
the exact probability that a random quorum holds that many
(bench/byzantine/capture.ts).

    python3 test/vectors/gen/gen_capture.py

Standard library only. The thresholds are found by brute force on the verdict
rule (gen_quorum.aggregate, a transcription of core/quorum.ts aggregateVotes
written from the rules, never from the TypeScript): for each c from 0 to K,
votes are built and the smallest c that decides is kept. The tails are
math.comb sums over math.comb(N, K), exact.
"""
from math import comb

from gen_quorum import aggregate
from vector_io import write_fixture

PPM = 10**6
M = 10**6
# The quadratic domain's tolerance (core/params.ts QUADRATIC_DOMAIN): max(2.0, 5 % of |median|).
TOL_ABS = 2 * M
TOL_REL = 50_000
TRUTH = -100 * M          # a claim's true performance; tolerance there: 5.0
TOL = 5 * M


def required_votes(k, fraction_ppm):
    """core/state-transition.ts requiredVotes: ceil(fraction * k)."""
    return (k * fraction_ppm + PPM - 1) // PPM


def votes(honest, honest_value, colluders, colluder_value):
    # honest members spread inside a third of the tolerance, as noisy measurements are
    out = [{"evaluator": "h%03d" % i, "performance": honest_value + (i % 7 - 3) * (TOL // 10)} for i in range(honest)]
    out += [{"evaluator": "c%03d" % i, "performance": colluder_value} for i in range(colluders)]
    return out


def accepted(vs, reported, k, fraction_ppm):
    return aggregate(vs, reported, TOL_ABS, TOL_REL, fraction_ppm, required_votes(k, fraction_ppm))["accepted"]


def thresholds(k, fraction_ppm):
    """The fewest colluders that decide, each found by trying every c."""
    inflated = TRUTH + 3 * TOL     # a false claim, 3 tolerances above the truth
    far_below = TRUTH - 10 * TOL   # where colluders vote against an honest claim

    def first(pred):
        return next((c for c in range(k + 1) if pred(c)), k + 1)

    # accept: colluders vote the inflated claim, the rest measure the truth
    accept = first(lambda c: accepted(votes(k - c, TRUTH, c, inflated), inflated, k, fraction_ppm))
    # block by voting far off: an honest claim is no longer accepted
    block_outlier = first(lambda c: not accepted(votes(k - c, TRUTH, c, far_below), TRUTH, k, fraction_ppm))
    # block by withholding: fewer votes than required, or (with the votes left) not accepted
    block_withhold = first(lambda c: k - c < required_votes(k, fraction_ppm) or not accepted(votes(k - c, TRUTH, 0, 0), TRUTH, k, fraction_ppm))
    # median: the honest members become the outliers
    def honest_outvoted(c):
        vs = votes(k - c, TRUTH, c, far_below)
        out = aggregate(vs, TRUTH, TOL_ABS, TOL_REL, fraction_ppm, required_votes(k, fraction_ppm))["outliers"]
        return all(v["evaluator"] in out for v in vs if v["evaluator"].startswith("h"))
    median = first(honest_outvoted)
    return {"block": min(block_outlier, block_withhold), "median": median, "accept": accept}


def tail(n, m, k, at_least):
    num = sum(comb(m, i) * comb(n - m, k - i) for i in range(max(at_least, 0), min(k, m) + 1))
    return {"num": str(num), "den": str(comb(n, k))}


def main():
    vectors = []
    for fraction in (666_666, 500_000, 750_000):
        for k in range(1, 31):
            vectors.append({"kind": "thresholds", "k": k, "quorumFractionPpm": fraction, "expected": thresholds(k, fraction)})
    cases = [
        (20, 4, 10), (20, 0, 5), (20, 20, 5), (30, 9, 10), (30, 6, 7), (50, 10, 11),
        (100, 10, 12), (100, 20, 7), (100, 20, 12), (100, 30, 12), (100, 25, 10),
        (1000, 100, 15), (1000, 200, 10), (1000, 200, 15), (1000, 300, 15), (1000, 250, 12),
        (10, 3, 10), (5, 2, 1),
    ]
    for n, m, k in cases:
        th = thresholds(k, 666_666)
        vectors.append({"kind": "tail", "eligible": n, "colluders": m, "k": k, "quorumFractionPpm": 666_666,
                        "expected": {d: tail(n, m, k, th[d]) for d in ("block", "median", "accept")}})
    write_fixture(
        "capture",
        "Colluders that decide a quorum of K (block, median, accept) and the exact probability that a random quorum "
        "holds that many (bench/byzantine/capture.ts).",
        "the verdict rule of core/quorum.ts aggregateVotes and core/state-transition.ts requiredVotes, transcribed in "
        "test/vectors/gen/gen_quorum.py; constructed by test/vectors/gen/gen_capture.py",
        "python3 test/vectors/gen/gen_capture.py (standard library only). thresholds: for c = 0..K the smallest c "
        "such that, with K-c honest votes spread within a third of the tolerance around -100.0 and c colluder votes, "
        "accept: the colluders' claim at +3 tolerances is accepted; block: an honest claim is not accepted, the "
        "colluders voting 10 tolerances below or withholding (the smaller c of the two); median: every honest vote "
        "is an outlier (colluders voting 10 tolerances below). Tolerance max(2.0, 5 %). tail: P(X >= threshold) for X hypergeometric (eligible, colluders, k), "
        "num = sum of comb(colluders, i)*comb(eligible-colluders, k-i), den = comb(eligible, k), unreduced decimal strings.",
        vectors,
    )


if __name__ == "__main__":
    main()
