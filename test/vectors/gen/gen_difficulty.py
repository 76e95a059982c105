"""Vectors for core/difficulty.ts: sequences of work-block timestamps and the
difficulty state after each.

The expected states come from the integer rule below, written out here from
the specification (not from the TypeScript). Each sequence marked for parity is
also run through the reference DifficultyController's float algorithm
(doin-reference-notes §2.5) and the two thresholds must agree within 0.1 % plus
2e-6 per block (the floors lose under one unit per step)."""
import random

from numeric_io import ONE
from vector_io import write_fixture

REF = {
    "targetBlockTimeMs": 600_000,
    "epochLength": 100,
    "maxEpochAdjustment": 4,
    "emaAlphaPpm": 100_000,
    "perBlockLimitPpm": 20_000,
    "initialThreshold": 1_000_000,
    "minThreshold": 1,
    "maxThreshold": 10**15,
}
GENESIS = 1_767_225_600_000


def clamp(x, lo, hi):
    return max(lo, min(hi, x))


def integer_rule(p, genesis, timestamps):
    """The consensus rule: all integers, every division floored."""
    T = p["initialThreshold"]
    ema = p["targetBlockTimeMs"]
    last = genesis
    epoch_start = genesis
    n = 0
    target = p["targetBlockTimeMs"]
    alpha = p["emaAlphaPpm"]
    lim = p["perBlockLimitPpm"]
    states = []
    for ts in timestamps:
        elapsed = max(1, ts - last)
        ema = max(1, (alpha * elapsed + (ONE - alpha) * ema) // ONE)
        corr = clamp(target * ONE // ema - ONE, -lim, lim)
        T = clamp(T * (ONE + corr) // ONE, p["minThreshold"], p["maxThreshold"])
        n += 1
        last = ts
        if n >= p["epochLength"]:
            duration = max(1, ts - epoch_start)
            adj = p["maxEpochAdjustment"]
            ratio = clamp(p["epochLength"] * target * ONE // duration, ONE // adj, ONE * adj)
            T = clamp(T * ratio // ONE, p["minThreshold"], p["maxThreshold"])
            epoch_start = ts
            n = 0
        states.append({
            "threshold": str(T),
            "emaBlockTimeMs": str(ema),
            "lastWorkTimestamp": last,
            "epochStartTimestamp": epoch_start,
            "blocksInEpoch": n,
        })
    return states


def float_reference(p, genesis, timestamps):
    """doin_core/consensus/difficulty.py on_new_block, in seconds and real thresholds."""
    T = p["initialThreshold"] / ONE
    target = p["targetBlockTimeMs"] / 1000
    ema = target
    last = genesis / 1000
    epoch_start = genesis / 1000
    n = 0
    alpha = p["emaAlphaPpm"] / ONE
    lim = p["perBlockLimitPpm"] / ONE
    lo, hi = p["minThreshold"] / ONE, p["maxThreshold"] / ONE
    out = []
    for ts_ms in timestamps:
        ts = ts_ms / 1000
        elapsed = max(0.001, ts - last)
        ema = alpha * elapsed + (1 - alpha) * ema
        corr = clamp(target / ema - 1, -lim, lim)
        T = clamp(T * (1 + corr), lo, hi)
        n += 1
        last = ts
        if n >= p["epochLength"]:
            ratio = clamp(p["epochLength"] * target / max(0.001, ts - epoch_start), 1 / p["maxEpochAdjustment"], p["maxEpochAdjustment"])
            T = clamp(T * ratio, lo, hi)
            epoch_start = ts
            n = 0
        out.append(T)
    return out


def from_intervals(genesis, intervals):
    ts, out = genesis, []
    for d in intervals:
        ts += d
        out.append(ts)
    return out


rng = random.Random(7)
cases = []


def case(name, intervals, parity=True, params=None, genesis=GENESIS):
    p = dict(REF)
    p.update(params or {})
    cases.append((name, p, genesis, from_intervals(genesis, intervals), parity, params or {}))


case("steady-at-target-250", [600_000] * 250)
case("fast-60s-250", [60_000] * 250)
case("slow-3000s-250", [3_000_000] * 250)
case("random-exponential-250", [max(0, int(rng.expovariate(1 / 600_000))) for _ in range(250)])
case("random-exponential-fast-250", [max(0, int(rng.expovariate(1 / 200_000))) for _ in range(250)])
case("burst-then-stall-250", [1_000] * 120 + [7_200_000] * 130)
case("slightly-fast-599s-250", [599_000] * 250)
case("alternating-250", [10_000, 1_190_000] * 125)
# equal and backwards timestamps: elapsed counts 1 ms (the float reference's 0.001 s is the same)
case("equal-and-backwards", [600_000, 0, 0, -5_000, 600_000, 1, 0, 600_000] * 15 + [600_000] * 10)
# zero-length epoch: every block at the genesis timestamp, epoch of 3; duration counts 1 ms, ratio clamps to ×2
case("zero-length-epoch", [0] * 12, params={"epochLength": 3, "maxEpochAdjustment": 2})
# clamps at the bounds
case("clamped-at-max", [30_000] * 150, params={"maxThreshold": 1_500_000, "initialThreshold": 1_400_000})
case("clamped-at-min", [6_000_000] * 150, params={"minThreshold": 900_000})
# a testnet-like tuning: 30 s target, epoch 10, ×2, fast EMA, ±5 %
case("testnet-30s-epoch10",
     [max(0, int(rng.expovariate(1 / 20_000))) for _ in range(120)],
     params={"targetBlockTimeMs": 30_000, "epochLength": 10, "maxEpochAdjustment": 2,
             "emaAlphaPpm": 500_000, "perBlockLimitPpm": 50_000, "initialThreshold": 5_000_000})
# a threshold a few units above the minimum cannot rise per block (floor of T·1.02 = T), only at the
# epoch boundary: the integer rule departs from the float reference here on purpose (no parity)
case("tiny-threshold-floor-artifact", [60_000] * 120, parity=False, params={"initialThreshold": 3})
case("huge-threshold", [100_000] * 110, params={"initialThreshold": 10**14})

vectors = []
for name, p, genesis, timestamps, parity, overrides in cases:
    states = integer_rule(p, genesis, timestamps)
    if parity:
        worst = 0.0
        ref = float_reference(p, genesis, timestamps)
        for i, (st, r) in enumerate(zip(states, ref)):
            ours = int(st["threshold"]) / ONE
            # flooring loses < 1 unit (10^-6) per step; over a sequence that is < 0.1 % plus a few units per block
            assert abs(ours - r) <= 1e-3 * r + (i + 1) * 2e-6, (name, i, ours, r)
            worst = max(worst, abs(ours - r) / r)
        print(f"{name}: max relative deviation from the float reference {worst:.2e}")
    vectors.append({
        "name": name,
        "params": {k: (str(v) if k.endswith("Threshold") else v) for k, v in p.items()},
        "genesisTimestamp": genesis,
        "timestamps": timestamps,
        # the state after each block, one array per DifficultyState field (states[i] follows timestamps[i])
        "states": {k: [st[k] for st in states] for k in states[0]},
    })

write_fixture(
    "difficulty",
    "Difficulty: the state after each work block of a timestamp sequence (initialDifficulty then nextDifficulty per block).",
    "doin-reference-notes §2.5 (doin_core/consensus/difficulty.py: target 600 s, epoch 100, ×4 max, EMA α 0.1, ±2 %/block, "
    "threshold in [1e-6, 1e9]) restated in integers: ms, ppm, Fixed 10^6, every division floored",
    "test/vectors/gen/gen_difficulty.py: Python integers following the rule (elapsed = max(1, ts − last); ema = floor((α·elapsed + "
    "(10^6−α)·ema)/10^6); corr = clamp(floor(target·10^6/ema) − 10^6, ±limit); T = clamp(floor(T·(10^6+corr)/10^6)); at the "
    "epoch end ratio = clamp(floor(epochLength·target·10^6/max(1, ts − epochStart)), floor(10^6/maxAdj), 10^6·maxAdj), "
    "T = clamp(floor(T·ratio/10^6))). Every sequence except 'tiny-threshold-floor-artifact' is also run through the reference's "
    "float algorithm and agrees within 0.1 % plus 2·10^-6 per block (the accumulated floors).",
    vectors,
)
