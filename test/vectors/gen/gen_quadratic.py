#!/usr/bin/env python3
"""Writes test/vectors/quadratic.json: the quadratic domain computed independently.

    python3 test/vectors/gen/gen_quadratic.py

Standard library only. Computes, from their published definitions:
- SplitMix64 (https://prng.di.unimi.it/splitmix64.c) and xoshiro128** 1.1
  (https://prng.di.unimi.it/xoshiro128starstar.c), seeded as plugins/rng.ts
  says: two SplitMix64 outputs from the 32-bit seed, each split low word first;
  doubles ((a >> 5) * 2^26 + (b >> 6)) / 2^53; Box-Muller normals (cos, then sin),
  u1 = 1 - uniform: the Python worker's implementation
  (gpu-runner/python/doin_rng.py), which these vectors pin to TypeScript's;
- deriveSeed: each part folded into a SplitMix64 state (xor, then one step) from
  0x243f6a8885a308d3; the low word of the last output;
- the quadratic reference domain (reference notes section 4.2): target uniform in
  [-5, 5]^10 from targetSeed, neg_mse = -sum((x - t)^2), synthetic data =
  target + N(0, 0.1^2) per coordinate, params fixed-point x 10^6 (round half away
  from zero);
- the default CMA-ES strategy parameters of Hansen's tutorial (arXiv:1604.00772,
  Table 1) for a few (n, lambda).
Floats go through libm here and V8's fdlibm port there: the test compares them to
~1e-12, integers exactly.
"""
import math
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "gpu-runner", "python"))

from doin_rng import M32, Rng, splitmix64  # noqa: E402
from vector_io import write_vectors  # noqa: E402

DEFAULT_TARGET_SEED = 20261126


def derive_seed(*parts):
    state, value = 0x243F6A8885A308D3, 0
    for p in parts:
        state, value = splitmix64(state ^ (p & M32))
    return value & M32


def target_of(seed):
    rng = Rng(seed)
    return [rng.uniform(-5.0, 5.0) for _ in range(10)]


def neg_mse(x, t):
    return -sum((a - b) ** 2 for a, b in zip(x, t))


def synthetic(seed, base, noise=0.1):
    rng = Rng(seed)
    return [b + rng.normal() * noise for b in base]


def to_micro(v):
    a = abs(v) * 1000000.0
    r = math.floor(a)
    if a - r >= 0.5:
        r += 1
    return -r if v < 0 and r != 0 else r


def strategy(n, lam):
    mu = lam // 2
    wp = [math.log((lam + 1) / 2.0) - math.log(i + 1) for i in range(lam)]
    pos, neg = wp[:mu], wp[mu:]
    mueff = sum(pos) ** 2 / sum(w * w for w in pos)
    mueff_minus = sum(neg) ** 2 / sum(w * w for w in neg) if any(neg) else 0.0
    alpha_cov = 2.0
    c1 = alpha_cov / ((n + 1.3) ** 2 + mueff)
    cmu = min(1 - c1, alpha_cov * (0.25 + mueff + 1 / mueff - 2) / ((n + 2) ** 2 + alpha_cov * mueff / 2))
    a_mu = 1 + c1 / cmu
    a_mueff = 1 + 2 * mueff_minus / (mueff + 2)
    a_posdef = (1 - c1 - cmu) / (n * cmu)
    sum_pos = sum(w for w in wp if w > 0)
    sum_neg = sum(-w for w in wp if w < 0)
    scale = min(a_mu, a_mueff, a_posdef)
    weights = [w / sum_pos if w >= 0 else scale * w / sum_neg for w in wp]
    cs = (mueff + 2) / (n + mueff + 5)
    ds = 1 + 2 * max(0.0, math.sqrt((mueff - 1) / (n + 1)) - 1) + cs
    cc = (4 + mueff / n) / (n + 4 + 2 * mueff / n)
    chi_n = math.sqrt(n) * (1 - 1 / (4.0 * n) + 1 / (21.0 * n * n))
    return {"n": n, "lambda": lam, "mu": mu, "weights": weights, "mueff": mueff, "mueffMinus": mueff_minus,
            "c1": c1, "cmu": cmu, "cs": cs, "ds": ds, "cc": cc, "chiN": chi_n}


def main():
    rng_vectors = []
    for seed in (0, 1, 42, DEFAULT_TARGET_SEED, 4294967295):
        r = Rng(seed)
        u32 = [r.next_u32() for _ in range(6)]
        r = Rng(seed)
        doubles = [r.next() for _ in range(4)]
        r = Rng(seed)
        normals = [r.normal() for _ in range(5)]
        rng_vectors.append({"seed": seed, "uint32": u32, "doubles": doubles, "normals": normals})

    derive = [{"parts": list(p), "seed": derive_seed(*p)} for p in ((), (1,), (1, 0, 1), (1, 1, 1), (7, 3, 100), (4294967295, 2, 3))]

    targets = [{"targetSeed": s, "target": target_of(s)} for s in (DEFAULT_TARGET_SEED, 1, 2)]

    default_target = target_of(DEFAULT_TARGET_SEED)
    configured = [float(i) - 4.5 for i in range(10)]
    synth = [{"seed": s, "config": {}, "target": synthetic(s, default_target)} for s in (0, 1, 12345, 4294967295)]
    synth.append({"seed": 5, "config": {"target": configured}, "target": synthetic(5, configured)})
    synth.append({"seed": 5, "config": {"target": configured, "noise_std": 0.5}, "target": synthetic(5, configured, 0.5)})

    # Hand-computable cases first (integers: exact), then floats.
    perf = [
        {"x": [0.0] * 10, "target": [float(i + 1) for i in range(10)], "neg_mse": -385.0},
        {"x": [float(i + 1) for i in range(10)], "target": [float(i + 1) for i in range(10)], "neg_mse": 0.0},
        {"x": [1.0, -1.0] * 5, "target": [0.0] * 10, "neg_mse": -10.0},
        {"x": [3.0] + [0.0] * 9, "target": [0.0, 4.0] + [0.0] * 8, "neg_mse": -25.0},
        {"x": [0.5] * 10, "target": [-0.5] * 10, "neg_mse": -10.0},
    ]
    for p in perf:
        assert neg_mse(p["x"], p["target"]) == p["neg_mse"]
    xr = Rng(99)
    for _ in range(3):
        x = [xr.uniform(-10, 10) for _ in range(10)]
        perf.append({"x": x, "target": default_target, "neg_mse": neg_mse(x, default_target)})

    enc_x = [1.5, -2.25, 0.0, 3.000001, -4.999999, 1e-6, -1e-6, 4e-7, -4e-7, 123.4567891]
    encode = {"x": enc_x, "params": {"x": [to_micro(v) for v in enc_x]}}

    # evaluate(params, data): params on the wire against synthetic data.
    evaluate = []
    for s in (0, 1):
        data = synthetic(s, default_target)
        px = [to_micro(v) for v in perf[5 + s]["x"]]
        evaluate.append({"params": {"x": px}, "dataSeed": s, "value": neg_mse([v / 1e6 for v in px], data)})
    px = [to_micro(v) for v in default_target]
    evaluate.append({"params": {"x": px}, "dataSeed": 12345, "value": neg_mse([v / 1e6 for v in px], synthetic(12345, default_target))})

    strategies = [strategy(n, lam) for n, lam in ((10, 10), (10, 20), (10, 11), (3, 7), (2, 6))]
    assert strategies[0]["lambda"] == 4 + int(math.floor(3 * math.log(10)))

    vectors = [
        {"kind": "rng", "cases": rng_vectors},
        {"kind": "deriveSeed", "cases": derive},
        {"kind": "target", "cases": targets},
        {"kind": "synthetic", "cases": synth},
        {"kind": "performance", "cases": perf},
        {"kind": "encode", "cases": [encode]},
        {"kind": "evaluate", "cases": evaluate},
        {"kind": "cmaesStrategy", "cases": strategies},
    ]
    write_vectors(
        "quadratic.json",
        "The quadratic reference domain (plugins/quadratic): its seeded generator, shared target, synthetic data, "
        "neg_mse, fixed-point parameters, and CMA-ES's default strategy parameters.",
        "constructed by test/vectors/gen/gen_quadratic.py",
        "python3 test/vectors/gen/gen_quadratic.py (math only). xoshiro128** 1.1 seeded by two SplitMix64 outputs "
        "of the 32-bit seed (low word first); doubles from 53 bits of two outputs; Box-Muller normals (cos then sin); "
        "target = 10 x uniform(-5, 5) from targetSeed (default 20261126); neg_mse = -sum((x - t)^2); synthetic "
        "target = target + 0.1 x normal() from the data seed; params x 10^6 rounded half away from zero; "
        "CMA-ES defaults from Hansen's tutorial (arXiv:1604.00772) Table 1.",
        vectors,
    )


if __name__ == "__main__":
    main()
