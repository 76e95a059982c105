#!/usr/bin/env python3
"""Writes test/vectors/predictor.json: the predictor domain as the Python worker computes it.

    python3 test/vectors/gen/gen_predictor.py

The worker's own modules (gpu-runner/python/doin_rng.py, doin_predictor.py) are
the Python implementation under test: TypeScript (plugins/predictor/) must give
the same bits for the series, the normals and the initial weights, and the same
skills to ~1e-12. Doubles are written as the hex of their IEEE-754 bits where
they must match exactly.

The Bayes-optimal skills and the domain's optimum (the mean Bayes skill of the
series of seeds 1..64, 20,000 values each) are computed here independently of
plugins/predictor/bayes.ts: the forward filter in numpy, the median of each
predictive mixture by bisection on its CDF with math.erfc (libm, exact to an
ulp; TypeScript's erfc approximation is within 1.2e-7), so the test compares
them to 1e-5. numpy is needed for that part (the pyenv python3 has it).
"""
import hashlib
import math
import os
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "..", "gpu-runner", "python"))

import numpy as np  # noqa: E402

import doin_predictor as P  # noqa: E402
from doin_rng import BatchRng, PolarNormals, Rng, portable_log  # noqa: E402
from vector_io import write_vectors  # noqa: E402

P.configure(None, None, "cpu")  # the pure-Python paths: TypeScript's order of operations
CFG = P.series_config({})


def hexf(x):
    return struct.pack(">d", x).hex()


def bayes_skill(values, cfg):
    """Rabiner's forward filter with the true parameters; the median of the predictive mixture (MAE-optimal)."""
    regimes, T = cfg["regimes"], np.array(cfg["transition"])
    c = np.array([g["drift"] for g in regimes])
    phi = np.array([g["phi"] for g in regimes])
    sig = np.array([g["sigma"] for g in regimes])
    w, v = np.linalg.eig(T.T)
    pi = np.real(v[:, np.argmin(np.abs(w - 1))])
    pi = pi / pi.sum()
    x = np.asarray(values)
    n = len(x)
    prior = np.zeros((n, len(c)))
    mean = np.zeros((n, len(c)))
    alpha = pi
    for t in range(1, n):
        prior[t] = alpha @ T
        mean[t] = c + phi * x[t - 1]
        logl = np.log(prior[t]) - 0.5 * ((x[t] - mean[t]) / sig) ** 2 - np.log(sig)
        a = np.exp(logl - logl.max())
        alpha = a / a.sum()
    erfc = np.vectorize(math.erfc)
    lo = (mean - 10 * sig).min(1)
    hi = (mean + 10 * sig).max(1)
    for _ in range(60):
        mid = 0.5 * (lo + hi)
        cdf = (prior * 0.5 * erfc(-((mid[:, None] - mean) / sig) / math.sqrt(2))).sum(1)
        lo = np.where(cdf < 0.5, mid, lo)
        hi = np.where(cdf < 0.5, hi, mid)
    fc = 0.5 * (lo + hi)
    t = np.arange(P.WARMUP, n)
    return float(1 - np.abs(x[t] - fc[t]).sum() / np.abs(x[t] - x[t - 1]).sum())


def fixed_model(seed, window, hidden):
    """A model with float32 weights uniform in [-1, 1) from Rng(seed)."""
    rng = Rng(seed)
    n = hidden * (window + 2) + 1
    raw = struct.pack("<%df" % n, *[rng.uniform(-1.0, 1.0) for _ in range(n)])
    return P.encode_params(window, hidden, -2000000, -4000000, raw)


def main():
    vectors = []
    xs = [5e-324, 1e-300, 1e-5, 0.1, 0.5, 0.7071067811865475, 0.7071067811865476, 0.999999, 1.0, 1.0000001, 1.5, 2.0, 10.0, 123456.789, 1e300]
    for x in xs:
        vectors.append({"kind": "portableLog", "x": hexf(x), "ln": hexf(portable_log(x)), "libm": math.log(x)})

    for seed in (0, 1, 42, 4294967295):
        z = PolarNormals(Rng(seed))
        vectors.append({"kind": "polarNormals", "seed": seed, "first": [hexf(z()) for _ in range(9)]})

    for seed in (0, 1, 7, 12345):
        vals = P.generate_series(seed, 300, CFG)
        vectors.append({"kind": "series", "seed": seed, "length": 300, "first": [hexf(v) for v in vals[:40]], "last": hexf(vals[-1]), "sum": math.fsum(vals)})

    for seed in (1, 2):
        vals = P.generate_series(seed, CFG["evalLength"], CFG)
        packed = P.pack_f64(vals)
        vectors.append({"kind": "evaluatorSeries", "seed": seed, "length": len(vals), "sha256OfBase64": hashlib.sha256(packed.encode("ascii")).hexdigest()})

    for seed, window, hidden, sseed in ((5, 5, 3, 3), (6, 1, 1, 4), (7, 12, 8, 5)):
        params = fixed_model(seed, window, hidden)
        vals = P.generate_series(sseed, 2000, CFG)
        w, h, _, _, weights = P.decode_params(params)
        recent = vals[-window - 3:]
        out = P.m_infer({"params": params, "input": {"values": recent}})["output"]
        vectors.append({"kind": "model", "params": params, "seriesSeed": sseed, "seriesLength": 2000, "skill": P.skill(w, h, weights, vals), "input": recent, "forecast": out["forecast"]})

    for window, hidden, seed in ((3, 2, 99), (7, 5, 12345)):
        batch = BatchRng(np, [seed])
        normals_ = batch.normals([hidden * window + hidden])[0]
        # the same generator continues into the first epoch's shuffle
        n = 60
        order = list(range(n))
        for i in range(n - 1, 0, -1):
            j = int(math.floor(float(batch.next()[0]) * (i + 1)))
            order[i], order[j] = order[j], order[i]
        vectors.append({
            "kind": "initialWeights",
            "window": window,
            "hidden": hidden,
            "seed": seed,
            "w1": [hexf(z / math.sqrt(window)) for z in normals_[:hidden * window]],
            "w2": [hexf((0.1 * z) / math.sqrt(hidden)) for z in normals_[hidden * window:]],
            "shuffle60": order,
        })

    skills = [bayes_skill(P.generate_series(seed, CFG["evalLength"], CFG), CFG) for seed in range(1, 65)]
    for seed in (1, 2):
        vectors.append({"kind": "bayes", "seed": seed, "length": CFG["evalLength"], "skill": skills[seed - 1]})
    vectors.append({"kind": "optimum", "seeds": [1, 64], "length": CFG["evalLength"], "mean": math.fsum(skills) / len(skills), "stdev": float(np.std(skills, ddof=1))})

    write_vectors(
        "predictor.json",
        "The predictor domain: portable log, polar normals, regime-switching series, model skills and forecasts, initial weights and shuffles, Bayes-optimal skills and the domain's optimum",
        "plugins/predictor/*.ts (definitions); gpu-runner/python/doin_rng.py and doin_predictor.py (the Python worker)",
        "python3 test/vectors/gen/gen_predictor.py (numpy for the Bayes filter); doubles as hex of their big-endian IEEE-754 bits where they must match exactly",
        vectors,
    )


if __name__ == "__main__":
    main()
