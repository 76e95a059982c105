#!/usr/bin/env python3
"""Device check of gpu-runner/python/doin_worker.py (run on a GPU machine, stdlib driver).

For each backend the worker can use there (cuda, torch-cpu, python): hello,
evaluate_batch against this driver's own -sum((x - t)^2), an error reply on
bad input, and the round-trip and compute time of batches of 1k, 16k and 64k
candidates. Prints one JSON object.
"""
import array
import base64
import json
import os
import random
import subprocess
import sys
import time

WORKER = [sys.executable, "gpu-runner/python/doin_worker.py"]


class Client(object):
    def __init__(self, backend):
        env = dict(os.environ)
        if backend is not None:
            env["DOIN_WORKER_BACKEND"] = backend
        self.p = subprocess.Popen(WORKER, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env)
        self.n = 0

    def call(self, method, params):
        self.n += 1
        self.p.stdin.write((json.dumps({"id": self.n, "method": method, "params": params}) + "\n").encode())
        self.p.stdin.flush()
        reply = json.loads(self.p.stdout.readline())
        assert reply["id"] == self.n, reply
        return reply

    def close(self):
        self.p.stdin.close()
        self.p.wait(timeout=20)


def neg_sse(x, t):
    return -sum((a - b) ** 2 for a, b in zip(x, t))


def check(backend):
    started = time.perf_counter()
    c = Client(backend)
    hello = c.call("hello", {})["result"]
    out = {"backend_env": backend, "ready_s": round(time.perf_counter() - started, 3), "device": hello["device"], "backend": hello["backend"], "torch": hello["torch"], "gpu": hello["gpu"]}
    rng = random.Random(7)
    t = [rng.uniform(-5, 5) for _ in range(10)]
    xs = [[rng.uniform(-10, 10) for _ in range(10)] for _ in range(4096)]
    vals = c.call("evaluate_batch", {"candidates": xs, "data": {"target": t}})["result"]["values"]
    out["max_abs_diff_4096"] = max(abs(v - neg_sse(x, t)) for v, x in zip(vals, xs))
    out["bad_input_reply"] = c.call("evaluate_batch", {"candidates": [[1, 2]], "data": {"target": t}}).get("error", {}).get("code")
    timings = {}
    for n in (1024, 16384, 65536):
        batch = [[rng.uniform(-10, 10) for _ in range(10)] for _ in range(n)]
        best_rt, best_compute = None, None
        for _ in range(3):
            t0 = time.perf_counter()
            r = c.call("evaluate_batch", {"candidates": batch, "data": {"target": t}})["result"]
            rt = time.perf_counter() - t0
            best_rt = rt if best_rt is None else min(best_rt, rt)
            best_compute = r["seconds"] if best_compute is None else min(best_compute, r["seconds"])
        packed = base64.b64encode(array.array("d", [v for row in batch for v in row]).tobytes()).decode("ascii")
        best_f64 = None
        for _ in range(3):
            t0 = time.perf_counter()
            r = c.call("evaluate_batch", {"candidates_f64": packed, "data": {"target": t}, "encoding": "f64"})["result"]
            rt = time.perf_counter() - t0
            best_f64 = rt if best_f64 is None else min(best_f64, rt)
        timings[str(n)] = {"roundtrip_ms": round(best_rt * 1000, 2), "roundtrip_f64_ms": round(best_f64 * 1000, 2), "compute_ms": round(best_compute * 1000, 3)}
    out["evaluate_batch"] = timings
    c.close()
    return out


def main():
    results = []
    for backend in (None, "torch-cpu", "python"):
        try:
            results.append(check(backend))
        except Exception as e:  # report, go on
            results.append({"backend_env": backend, "error": "%s: %s" % (type(e).__name__, e)})
    print(json.dumps({"python": sys.version.split()[0], "results": results}, indent=1))


if __name__ == "__main__":
    main()
