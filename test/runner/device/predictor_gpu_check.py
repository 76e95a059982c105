#!/usr/bin/env python3
"""Device check of the predictor domain in gpu-runner/python/doin_worker.py (run on a GPU machine).

    python3 test/runner/device/predictor_gpu_check.py     # from the repository root; exit 0 when every check holds

What it checks, with PyTorch on CUDA against PyTorch on the CPU (and the
worker's pure-Python evaluation in this process as the reference):
1. the same evaluation: models trained on the CPU, scored on one series by
   the CUDA worker, the CPU worker and pure Python; the largest difference
   must stay within a thousandth of the domain's tolerance (0.025; float64
   everywhere, so ~1e-14 is expected: 6.7e-15 measured on the CPU paths);
2. the same training: one population trained by train_batch on CUDA and on
   the CPU from the same seeds: the validation skills of the two must agree
   within 0.005 (float sums in another order can flip a rare sign gradient);
3. speed: models trained per second, a population of 8, 64 and 256 in one
   train_batch on CUDA, 8 one at a time on CUDA, and 8 (batched and one at
   a time) on the CPU, all printed; batched CUDA training of 256 must beat
   the CPU's batched 8 in models per second.
Prints one JSON object; a machine without CUDA prints what it could do and
exits 2. The worker's batched training needs numpy beside PyTorch (its
seeded generators and masks): `pip install numpy` where a PyTorch install
lacks it (hello's predictor domain then says trainBatch: true).
"""
import json
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "gpu-runner", "python"))

import doin_predictor as P  # noqa: E402
from doin_rng import Rng  # noqa: E402

WORKER = [sys.executable, os.path.join(ROOT, "gpu-runner", "python", "doin_worker.py")]
TOLERANCE = 0.025
TRAINING_AGREEMENT = 0.005
P.configure(None, None, "cpu")  # this process: the pure-Python reference


class Client(object):
    def __init__(self, backend):
        env = dict(os.environ)
        if backend is not None:
            env["DOIN_WORKER_BACKEND"] = backend
        self.p = subprocess.Popen(WORKER, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env, cwd=ROOT)
        self.n = 0
        self.hello = self.call("hello", {})

    def call(self, method, params):
        self.n += 1
        self.p.stdin.write((json.dumps({"id": self.n, "method": method, "params": params}) + "\n").encode())
        self.p.stdin.flush()
        reply = json.loads(self.p.stdout.readline())
        if "error" in reply:
            raise RuntimeError("%s: %s" % (method, reply["error"]))
        return reply["result"]

    def close(self):
        self.p.stdin.close()
        self.p.wait(timeout=30)


def population(size, seed=2026):
    """Candidates of mixed shapes with a workable learning rate (the bench's recipe)."""
    rng = Rng(seed)
    out = []
    for k in range(size):
        window = 1 + int(round(rng.next() * 0.6 * 47))
        hidden = 1 + int(round((0.2 + rng.next() * 0.6) * 63))
        lr = -5.0 + (0.5 + rng.next() * 0.2) * 5.0
        wd = -7.0 + rng.next() * 0.6 * 7.0
        out.append({"window": window, "hidden": hidden, "learningRateLog10": int(round(lr * 1e6)), "weightDecayLog10": int(round(wd * 1e6)), "seed": 1000 + k})
    return out


def train(client, cands, **extra):
    params = {"domain": "predictor", "trainSeed": 5, "validationSeed": 6, "validationLength": 5000, "candidates": cands}
    params.update(extra)
    t0 = time.perf_counter()
    r = client.call("train_batch", params)
    return r, time.perf_counter() - t0


def rate(client, cands, one_at_a_time=False):
    if one_at_a_time:
        total = 0.0
        for c in cands:
            total += train(client, [c])[1]
        return len(cands) / total
    return len(cands) / train(client, cands)[1]


def main():
    out = {"python": sys.version.split()[0], "checks": []}
    cpu = Client("torch-cpu")
    gpu = Client(None)
    out["cpu"] = {k: cpu.hello.get(k) for k in ("backend", "device", "torch")}
    out["gpu"] = {k: gpu.hello.get(k) for k in ("backend", "device", "torch", "gpu")}
    out["gpu"]["trainBatch"] = next((d.get("trainBatch") for d in gpu.hello.get("domains", []) if d.get("id") == "predictor"), None)
    have_cuda = gpu.hello.get("device") == "cuda"

    # 1. the same evaluation on every path
    cfg = P.series_config({})
    data = cpu.call("generate", {"domain": "predictor", "seed": 77})["data"]
    values = P.unpack_f64(data["series"], "series")
    trained, _ = train(cpu, population(4))
    spread = 0.0
    for m in trained["models"]:
        w, h, _, _, weights = P.decode_params(m["params"])
        ref = P._skill_python(w, h, weights, values)
        for c in (cpu, gpu):
            v = c.call("evaluate", {"domain": "predictor", "params": m["params"], "data": data})["value"]
            spread = max(spread, abs(v - ref))
    out["evaluation_max_abs_diff"] = spread
    out["checks"].append({"check": "CUDA, CPU and pure-Python evaluations agree within the tolerance", "ok": spread <= TOLERANCE / 1000, "value": spread, "bound": TOLERANCE / 1000})

    # 2. the same training from the same seeds
    pop = population(8)
    on_cpu, _ = train(cpu, pop)
    on_gpu, _ = train(gpu, pop)
    gap = max(abs(a["validation"] - b["validation"]) for a, b in zip(on_cpu["models"], on_gpu["models"]))
    out["training_max_validation_diff"] = gap
    out["checks"].append({"check": "a population trained on CUDA and on the CPU from the same seeds scores alike", "ok": gap <= TRAINING_AGREEMENT, "value": gap, "bound": TRAINING_AGREEMENT})

    # 3. speed
    train(gpu, population(1))  # warm-up
    speed = {
        "cpu_batched_8": rate(cpu, pop),
        "cpu_one_at_a_time_8": rate(cpu, pop, True),
        "gpu_batched_8": rate(gpu, pop),
        "gpu_batched_64": rate(gpu, population(64)),
        "gpu_batched_256": rate(gpu, population(256)),
        "gpu_one_at_a_time_8": rate(gpu, pop, True),
    }
    out["models_per_second"] = speed
    out["checks"].append({"check": "batched CUDA training (256) trains more models per second than the CPU (8, batched)", "ok": have_cuda and speed["gpu_batched_256"] > speed["cpu_batched_8"], "value": speed["gpu_batched_256"], "bound": speed["cpu_batched_8"]})
    cpu.close()
    gpu.close()
    out["cuda"] = have_cuda
    print(json.dumps(out, indent=1))
    if not have_cuda:
        return 2
    return 0 if all(c["ok"] for c in out["checks"]) else 1


if __name__ == "__main__":
    sys.exit(main())
