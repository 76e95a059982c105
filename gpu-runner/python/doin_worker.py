#!/usr/bin/env python3
"""DOIN reference worker: the quadratic and predictor domains, spoken to over JSON lines on stdio.

One request per line on stdin, one reply per line on stdout (see
gpu-runner/PROTOCOL.md):

    {"id": 1, "method": "evaluate_batch", "params": {...}}
    {"id": 1, "result": {...}}            or   {"id": 1, "error": {"code": "...", "message": "..."}}

Domains: quadratic (here) and predictor (doin_predictor.py).

Backends, best first: PyTorch on CUDA, PyTorch on the CPU, numpy, pure Python
(the standard library alone). PyTorch is used only when it imports; CUDA only
when torch.cuda.is_available(); numpy when it imports (the predictor's
batched training needs numpy or PyTorch). DOIN_WORKER_BACKEND=python|numpy|
torch-cpu forces one.

The worker never dies of bad input: every problem is an error reply. Only the
`crash` method and `shutdown` end it. `crash`, `sleep` and `filler` exist for
tests of the runner's transport (restart, timeout, line limits).
Logs go to stderr; stdout carries replies only.
"""
import array
import base64
import binascii
import json
import math
import os
import sys
import time

from doin_errors import BadInput
from doin_rng import M32, Rng
import doin_predictor

PROTOCOL = 1
VERSION = "1.0.0"
MAX_LINE_BYTES = int(os.environ.get("DOIN_WORKER_MAX_LINE_BYTES", str(16 * 1024 * 1024)))

# --------------------------------------------------------------------------
# backend


def _log(msg):
    sys.stderr.write("doin_worker: %s\n" % msg)
    sys.stderr.flush()


torch = None
np = None
DEVICE = "cpu"
BACKEND = "python"
_forced = os.environ.get("DOIN_WORKER_BACKEND", "")
if _forced not in ("python", "numpy"):
    try:
        import torch as _torch  # noqa: E402

        torch = _torch
        BACKEND = "torch"
        if _forced != "torch-cpu" and torch.cuda.is_available():
            DEVICE = "cuda"
    except Exception as e:  # ImportError, or a broken install
        _log("PyTorch unavailable (%s)" % type(e).__name__)
        torch = None
if _forced != "python":
    try:
        import numpy as _np  # noqa: E402

        np = _np
        if torch is None:
            BACKEND = "numpy"
    except Exception as e:
        _log("numpy unavailable (%s)" % type(e).__name__)
        np = None
if BACKEND == "python":
    _log("neither PyTorch nor numpy: pure Python")
doin_predictor.configure(np, torch, DEVICE)


def capabilities():
    info = {
        "protocol": PROTOCOL,
        "worker": "doin_worker.py",
        "version": VERSION,
        "python": sys.version.split()[0],
        "backend": BACKEND,
        "device": DEVICE,
        "torch": None if torch is None else str(torch.__version__),
        "cuda": DEVICE == "cuda",
        "gpu": None,
        "maxLineBytes": MAX_LINE_BYTES,
        "encodings": ["json", "f64"],
        "methods": sorted(METHODS.keys()),
        "domains": [QUADRATIC_META, doin_predictor.META],
    }
    if DEVICE == "cuda":
        try:
            info["gpu"] = torch.cuda.get_device_name(0)
        except Exception:
            pass
    return info


# --------------------------------------------------------------------------
# the quadratic domain, as plugins/quadratic defines it (domain.ts, rng.ts):
# x in R^10, performance neg_mse = -sum((x - t)^2), higher is better; params
# {x: 10 integers, fixed-point x 10^6}; the shared target = config.target, else
# uniform in [-5, 5]^10 from config.targetSeed; synthetic data = {target: target
# + N(0, noise_std^2) per coordinate from the seed, synthetic: true, noise_std}.
# The generator is xoshiro128** 1.1 seeded by SplitMix64, as rng.ts (and
# test/vectors/gen/gen_quadratic.py) define it: the same doubles bit for bit.

N_PARAMS = 10
SCALE = 1000000
NOISE_STD = 0.1
DEFAULT_TARGET_SEED = 20261126
QUADRATIC_META = {
    "id": "quadratic",
    "metric": "neg_mse",
    "higherIsBetter": True,
    "description": "-sum((x_i - t_i)^2) over 10 coordinates (reference worker)",
    "dim": N_PARAMS,
    "paramsKey": "x",
    "paramsScale": SCALE,
    "init": [-10.0, 10.0],
}


def _is_number(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def _is_int(v):
    return isinstance(v, int) and not isinstance(v, bool)


def _vector(v, what):
    if not isinstance(v, list) or len(v) != N_PARAMS or not all(_is_number(c) for c in v):
        raise BadInput("%s must be a list of %d finite numbers" % (what, N_PARAMS))
    return [float(c) for c in v]


def _decode_params(params):
    """Protocol params {x: [integers x 10^6]} -> floats; a plain list of floats is taken as is."""
    if isinstance(params, dict):
        x = params.get("x")
        if set(params.keys()) != {"x"} or not isinstance(x, list) or len(x) != N_PARAMS or not all(_is_int(c) and abs(c) <= 2 ** 53 - 1 for c in x):
            raise BadInput("params must be {x: %d integers (fixed-point x 10^6)}" % N_PARAMS)
        return [c / float(SCALE) for c in x]
    return _vector(params, "params")


def _config(config):
    if config is None:
        return {}
    if not isinstance(config, dict):
        raise BadInput("config must be an object")
    out = {}
    if config.get("target") is not None:
        out["target"] = _vector(config["target"], "config.target")
    if config.get("targetSeed") is not None:
        if not _is_int(config["targetSeed"]):
            raise BadInput("config.targetSeed must be an integer")
        out["targetSeed"] = config["targetSeed"]
    if config.get("noise_std") is not None:
        if not _is_number(config["noise_std"]) or config["noise_std"] < 0:
            raise BadInput("config.noise_std must be a number >= 0")
        out["noise_std"] = float(config["noise_std"])
    return out


def target_of(config):
    c = _config(config)
    if "target" in c:
        return list(c["target"])
    rng = Rng(c.get("targetSeed", DEFAULT_TARGET_SEED))
    return [rng.uniform(-5.0, 5.0) for _ in range(N_PARAMS)]


def _target(data):
    """What an evaluation scores against: data.target, or the domain's own target when data is null."""
    if data is None:
        return target_of({})
    if not isinstance(data, dict):
        raise BadInput("data must be an object {target: [...]} or null")
    return _vector(data.get("target"), "data.target")


def _domain(params):
    d = params.get("domain", "quadratic")
    if d != "quadratic":
        raise BadInput("unknown domain %r (this method serves quadratic)" % (d,), "UNKNOWN_DOMAIN")


def _by_domain(method, quadratic):
    """A method for every domain: the predictor's own when the request names it, else the quadratic one."""

    def run(params):
        if params.get("domain") == doin_predictor.META["id"]:
            result = doin_predictor.dispatch(method, params)
            if result is None:
                raise BadInput("the predictor domain has no method %s" % method, "UNKNOWN_METHOD")
            return result
        if method == "train_batch":
            raise BadInput("train_batch serves the predictor domain", "UNKNOWN_DOMAIN")
        return quadratic(params)

    return run


def neg_sse_python(candidates, target):
    out = []
    for x in candidates:
        s = 0.0
        for xi, ti in zip(x, target):
            d = xi - ti
            s += d * d
        out.append(-s)
    return out


def neg_sse(candidates, target):
    if torch is None or len(candidates) == 0:
        return neg_sse_python(candidates, target)
    # float64 on every device: results become micro-units, float32 would not hold them
    x = torch.tensor(candidates, dtype=torch.float64, device=DEVICE)
    t = torch.tensor(target, dtype=torch.float64, device=DEVICE)
    return (-((x - t) ** 2).sum(dim=1)).cpu().tolist()


# --------------------------------------------------------------------------
# methods


def m_hello(params):
    return capabilities()


def m_evaluate(params):
    _domain(params)
    x = _decode_params(params.get("params"))
    t = _target(params.get("data"))
    return {"value": neg_sse([x], t)[0]}


def _f64_decode(text, what):
    """base64 of little-endian float64s -> bytes (a multiple of 8)."""
    if not isinstance(text, str):
        raise BadInput("%s must be a base64 string" % what)
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise BadInput("%s is not valid base64" % what)
    if len(raw) % (8 * N_PARAMS) != 0:
        raise BadInput("%s: %d bytes is not a whole number of %d float64 rows" % (what, len(raw), N_PARAMS))
    return raw


def _f64_encode(values):
    a = array.array("d", values)
    if sys.byteorder != "little":
        a.byteswap()
    return base64.b64encode(a.tobytes()).decode("ascii")


def _rows_from_f64(raw):
    """Packed rows -> a device tensor (torch) or a list of lists (pure Python); all finite."""
    if torch is not None:
        x = torch.frombuffer(bytearray(raw), dtype=torch.float64)
        if sys.byteorder != "little":
            x = x.byteswap() if hasattr(x, "byteswap") else x
        x = x.reshape(-1, N_PARAMS).to(DEVICE)
        if not bool(torch.isfinite(x).all()):
            raise BadInput("candidates_f64: every value must be finite")
        return x
    a = array.array("d")
    a.frombytes(raw)
    if sys.byteorder != "little":
        a.byteswap()
    if not all(math.isfinite(v) for v in a):
        raise BadInput("candidates_f64: every value must be finite")
    return [a[i:i + N_PARAMS].tolist() for i in range(0, len(a), N_PARAMS)]


def m_evaluate_batch(params):
    """Many candidates on one dataset: JSON rows (`candidates`), or packed float64 rows (`candidates_f64`)."""
    _domain(params)
    t = _target(params.get("data"))
    packed = "candidates_f64" in params
    if packed:
        rows = _rows_from_f64(_f64_decode(params.get("candidates_f64"), "candidates_f64"))
    else:
        cands = params.get("candidates")
        if not isinstance(cands, list):
            raise BadInput("candidates must be a list")
        rows = None
        if torch is not None and cands and all(isinstance(c, list) for c in cands):
            # fast path: let torch parse the rows; anything odd falls back to the checks below (precise messages)
            try:
                x = torch.tensor(cands, dtype=torch.float64)
                if x.dim() == 2 and x.shape[1] == N_PARAMS and bool(torch.isfinite(x).all()):
                    rows = x.to(DEVICE)
            except (TypeError, ValueError, RuntimeError):
                rows = None
        if rows is None:
            rows = [_decode_params(c) if isinstance(c, dict) else _vector(c, "candidates[%d]" % i) for i, c in enumerate(cands)]
    started = time.perf_counter()
    if torch is not None and not isinstance(rows, list):
        tt = torch.tensor(t, dtype=torch.float64, device=DEVICE)
        v = -((rows - tt) ** 2).sum(dim=1)
        values = v.cpu()
        seconds = time.perf_counter() - started
        values = values.numpy().tobytes() if params.get("encoding") == "f64" and hasattr(values, "numpy") else values.tolist()
    else:
        values = neg_sse(rows, t)
        seconds = time.perf_counter() - started
    if params.get("encoding") == "f64":
        if isinstance(values, bytes):
            return {"values_f64": base64.b64encode(values).decode("ascii"), "count": len(values) // 8, "device": DEVICE, "seconds": seconds}
        return {"values_f64": _f64_encode(values), "count": len(values), "device": DEVICE, "seconds": seconds}
    return {"values": values, "device": DEVICE, "seconds": seconds}


def m_generate(params):
    _domain(params)
    seed = params.get("seed")
    if not _is_int(seed) or seed < 0 or seed > M32:
        raise BadInput("seed must be a 32-bit unsigned integer")
    config = _config(params.get("config"))
    noise = config.get("noise_std", NOISE_STD)
    rng = Rng(seed)
    target = [t + rng.normal() * noise for t in target_of(config)]
    return {"data": {"target": target, "synthetic": True, "noise_std": noise}}


def m_infer(params):
    """As the TypeScript plugin: {loss, neg_mse} against input.target, else {x}; no params, no model."""
    _domain(params)
    if params.get("params") is None:
        raise BadInput("quadratic: no model to run (no champion yet)", "NO_MODEL")
    x = _decode_params(params.get("params"))
    inp = params.get("input")
    if isinstance(inp, dict) and "target" in inp:
        loss = -neg_sse([x], _vector(inp.get("target"), "input.target"))[0]
        return {"output": {"loss": loss, "neg_mse": 0 if loss == 0 else -loss}}
    return {"output": {"x": x}}


def m_sleep(params):
    ms = params.get("ms", 0)
    if not _is_number(ms) or ms < 0 or ms > 600000:
        raise BadInput("ms must be a number from 0 to 600000")
    time.sleep(ms / 1000.0)
    return {"slept": ms}


def m_filler(params):
    n = params.get("bytes", 0)
    if not isinstance(n, int) or isinstance(n, bool) or n < 0 or n > 64 * 1024 * 1024:
        raise BadInput("bytes must be an integer from 0 to 64 MiB")
    return {"filler": "x" * n}


def m_crash(params):
    _log("crash requested")
    sys.stderr.flush()
    os._exit(int(params.get("code", 3)) if isinstance(params.get("code", 3), int) else 3)


METHODS = {
    "hello": m_hello,
    "evaluate": _by_domain("evaluate", m_evaluate),
    "evaluate_batch": m_evaluate_batch,
    "generate": _by_domain("generate", m_generate),
    "infer": _by_domain("infer", m_infer),
    "train_batch": _by_domain("train_batch", None),
    "sleep": m_sleep,
    "filler": m_filler,
    "crash": m_crash,
    "shutdown": None,
}


# --------------------------------------------------------------------------
# the loop


def _reply(obj):
    line = json.dumps(obj, separators=(",", ":"), allow_nan=False)
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def _error(rid, code, message):
    _reply({"id": rid, "error": {"code": code, "message": str(message)[:2000]}})


def handle(line):
    try:
        req = json.loads(line)
    except Exception as e:
        return _error(None, "PARSE_ERROR", "not JSON: %s" % e)
    if not isinstance(req, dict):
        return _error(None, "BAD_REQUEST", "a request is an object {id, method, params}")
    rid = req.get("id")
    if not (rid is None or isinstance(rid, (int, str))) or isinstance(rid, bool):
        return _error(None, "BAD_REQUEST", "id must be an integer or a string")
    method = req.get("method")
    params = req.get("params", {})
    if params is None:
        params = {}
    if not isinstance(method, str) or method not in METHODS:
        return _error(rid, "UNKNOWN_METHOD", "unknown method %r" % (method,))
    if not isinstance(params, dict):
        return _error(rid, "BAD_REQUEST", "params must be an object")
    if method == "shutdown":
        _reply({"id": rid, "result": {"bye": True}})
        return "shutdown"
    try:
        result = METHODS[method](params)
    except BadInput as e:
        return _error(rid, e.code, e)
    except MemoryError:
        return _error(rid, "OUT_OF_MEMORY", "out of memory")
    except Exception as e:  # a bug or a device error: reply, keep serving
        return _error(rid, "INTERNAL", "%s: %s" % (type(e).__name__, e))
    try:
        _reply({"id": rid, "result": result})
    except ValueError as e:  # NaN or infinity in a result
        _error(rid, "INTERNAL", "result is not valid JSON: %s" % e)
    return None


def main():
    stdin = sys.stdin.buffer
    _log("ready (backend %s, device %s)" % (BACKEND, DEVICE))
    while True:
        try:
            raw = stdin.readline(MAX_LINE_BYTES + 1)
        except KeyboardInterrupt:
            return 0
        if not raw:
            return 0  # stdin closed: the runner is gone
        if len(raw) > MAX_LINE_BYTES and not raw.endswith(b"\n"):
            # skip the rest of the oversized line, then say so
            while True:
                more = stdin.readline(MAX_LINE_BYTES)
                if not more or more.endswith(b"\n"):
                    break
            _error(None, "LINE_TOO_LONG", "request line longer than %d bytes" % MAX_LINE_BYTES)
            continue
        try:
            text = raw.decode("utf-8").strip()
        except UnicodeDecodeError:
            _error(None, "PARSE_ERROR", "request is not UTF-8")
            continue
        if text == "":
            continue
        try:
            if handle(text) == "shutdown":
                return 0
        except Exception as e:  # last resort: never die of one request
            _error(None, "INTERNAL", "%s: %s" % (type(e).__name__, e))


if __name__ == "__main__":
    sys.exit(main())
