"""The predictor domain in the worker, as plugins/predictor defines it.

- Series: a regime-switching autoregression from a seed (series.ts), with
  normals from doin_rng.PolarNormals: the same doubles as TypeScript, bit for
  bit (test/vectors/predictor.json pins them).
- Params: {model: "mlp1", window, hidden, learningRateLog10,
  weightDecayLog10 (x 10^6), weights: base64 float32 LE of W1 (h x w,
  row-major), b1 (h), v (h), b2} (model.ts); anything else is BAD_INPUT.
- Evaluation (inference only): skill = 1 - MAE(model) / MAE(naive) from
  t = 48 on, in float64 on the float32 weights: pure Python in TypeScript's
  order of operations, numpy, or PyTorch (CPU or CUDA).
- train_batch: a whole population trained in one call (models padded to the
  largest window and width, masked), with train.ts's recipe: the same
  initial weights and shuffles from each candidate's seed (doin_rng), Adam
  with decoupled weight decay on the absolute error of the correction to the
  naive forecast. Float sums run in another order than TypeScript's, so a
  model trained here is close to, not equal to, the one TypeScript trains.
"""
import base64
import binascii
import math
import struct
import sys
import time

from doin_errors import BadInput
from doin_rng import BatchRng, PolarNormals, Rng

WARMUP = 48
MODEL = "mlp1"
FIXED = 1000000
LIMITS = {"window": (1, WARMUP), "hidden": (1, 64), "learningRateLog10": (-5, 0), "weightDecayLog10": (-7, 0)}
DEFAULT = {
    "regimes": [
        {"drift": 0.3, "phi": -0.7, "sigma": 0.45},
        {"drift": -0.3, "phi": 0.7, "sigma": 0.5},
        {"drift": 0.0, "phi": 0.0, "sigma": 0.6},
    ],
    "transition": [[0.9, 0.05, 0.05], [0.05, 0.9, 0.05], [0.05, 0.05, 0.9]],
    "burnIn": 200,
    "evalLength": 20000,
    "trainLength": 4000,
    "epochs": 4,
    "batchSize": 32,
}
MAX_LENGTH = 1000000
META = {
    "id": "predictor",
    "metric": "skill",
    "higherIsBetter": True,
    "description": "1 - MAE/MAE_naive of an MLP forecaster on a regime-switching series (reference worker)",
    "trainBatch": True,
}

# set by the worker (configure): the array backends it has
np = None
torch = None
DEVICE = "cpu"


def configure(numpy_module, torch_module, device):
    global np, torch, DEVICE
    np, torch, DEVICE = numpy_module, torch_module, device
    # the batched trainer steps its seeded generators and builds its masks with numpy (PyTorch, when there, does the math)
    META["trainBatch"] = np is not None


def _is_number(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def _is_int(v):
    return isinstance(v, int) and not isinstance(v, bool)


# --------------------------------------------------------------------------
# configuration and series


def _length(config, key, minimum):
    v = config.get(key, DEFAULT[key])
    if not _is_int(v) or v < minimum or v > MAX_LENGTH:
        raise BadInput("predictor config.%s must be an integer from %d to %d" % (key, minimum, MAX_LENGTH))
    return v


def series_config(config):
    """The series and training settings of a config (absent keys: DEFAULT), checked as series.ts checks them."""
    if config is None:
        config = {}
    if not isinstance(config, dict):
        raise BadInput("predictor config must be an object")
    regimes = DEFAULT["regimes"]
    if "regimes" in config:
        r = config["regimes"]
        if not isinstance(r, list) or not 1 <= len(r) <= 8:
            raise BadInput("predictor config.regimes must be 1 to 8 regimes")
        regimes = []
        for k, g in enumerate(r):
            if not isinstance(g, dict) or not all(_is_number(g.get(f)) for f in ("drift", "phi", "sigma")) or not g["sigma"] > 0:
                raise BadInput("predictor config.regimes[%d] must be {drift, phi, sigma > 0}" % k)
            regimes.append({"drift": float(g["drift"]), "phi": float(g["phi"]), "sigma": float(g["sigma"])})
    transition = DEFAULT["transition"]
    if "transition" in config or "regimes" in config:
        t = config.get("transition")
        if not isinstance(t, list) or len(t) != len(regimes) or not all(isinstance(row, list) and len(row) == len(regimes) and all(_is_number(p) and p >= 0 for p in row) for row in t):
            raise BadInput("predictor config.transition must be a %d x %d matrix of probabilities" % (len(regimes), len(regimes)))
        if any(abs(sum(row) - 1.0) > 1e-9 for row in t):
            raise BadInput("predictor config.transition rows must sum to 1")
        transition = [[float(p) for p in row] for row in t]
    out = {"regimes": regimes, "transition": transition}
    out["burnIn"] = _length(config, "burnIn", 0)
    out["evalLength"] = _length(config, "evalLength", WARMUP + 2)
    out["trainLength"] = _length(config, "trainLength", WARMUP + 2)
    out["epochs"] = _length(config, "epochs", 1)
    out["batchSize"] = _length(config, "batchSize", 1)
    return out


def generate_series(seed, length, cfg):
    """series.ts generateSeries: the regime from one uniform, then one polar normal, x = (c + phi*x) + sigma*e."""
    rng = Rng(seed)
    normal = PolarNormals(rng)
    regimes = cfg["regimes"]
    last = len(regimes) - 1
    out = []
    s = 0
    x = 0.0
    burn = cfg["burnIn"]
    for t in range(burn + length):
        u = rng.next()
        row = cfg["transition"][s]
        k = 0
        acc = row[0]
        while u >= acc and k < last:
            k += 1
            acc += row[k]
        s = k
        e = normal()
        g = regimes[s]
        x = g["drift"] + g["phi"] * x + g["sigma"] * e
        if t >= burn:
            out.append(x)
    return out


def pack_f64(values):
    return base64.b64encode(struct.pack("<%dd" % len(values), *values)).decode("ascii")


def unpack_f64(text, what):
    if not isinstance(text, str):
        raise BadInput("%s must be base64 of little-endian float64s" % what)
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise BadInput("%s is not valid base64" % what)
    if len(raw) % 8 != 0:
        raise BadInput("%s: %d bytes is not a whole number of float64s" % (what, len(raw)))
    values = list(struct.unpack("<%dd" % (len(raw) // 8), raw))
    if not all(math.isfinite(v) for v in values):
        raise BadInput("%s: every value must be finite" % what)
    return values


def series_of(data, cfg):
    """What an evaluation scores on: data.series, or the series of seed 0 when data is null."""
    if data is None:
        return generate_series(0, cfg["evalLength"], cfg)
    if not isinstance(data, dict):
        raise BadInput("predictor data must be an object {series: base64 f64} or null")
    values = unpack_f64(data.get("series"), "data.series")
    if len(values) < WARMUP + 2:
        raise BadInput("data.series must hold at least %d values" % (WARMUP + 2))
    return values


# --------------------------------------------------------------------------
# params


def _hyper(obj, what):
    """The four hyperparameters of `obj` as the wire carries them (integers, logs x 10^6), each within LIMITS."""
    out = {}
    for key, scale in (("window", 1), ("hidden", 1), ("learningRateLog10", FIXED), ("weightDecayLog10", FIXED)):
        lo, hi = LIMITS[key]
        v = obj.get(key)
        if not _is_int(v) or v < lo * scale or v > hi * scale:
            raise BadInput("%s.%s must be an integer from %d to %d" % (what, key, lo * scale, hi * scale))
        out[key] = v
    return out


def decode_params(params):
    """Params -> (window, hidden, learningRateLog10, weightDecayLog10, weights as floats); BAD_INPUT on anything malformed."""
    if not isinstance(params, dict):
        raise BadInput("predictor params must be an object")
    for k in params:
        if k not in ("model", "window", "hidden", "learningRateLog10", "weightDecayLog10", "weights"):
            raise BadInput("predictor params.%s: unknown field" % k)
    if params.get("model") != MODEL:
        raise BadInput('predictor params.model must be "%s"' % MODEL)
    ints = _hyper(params, "predictor params")
    w, h = ints["window"], ints["hidden"]
    text = params.get("weights")
    if not isinstance(text, str):
        raise BadInput("predictor params.weights must be canonical base64 (float32 little-endian)")
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise BadInput("predictor params.weights must be canonical base64 (float32 little-endian)")
    if base64.b64encode(raw).decode("ascii") != text:
        raise BadInput("predictor params.weights must be canonical base64 (float32 little-endian)")
    n = h * (w + 2) + 1
    if len(raw) != 4 * n:
        raise BadInput("predictor params.weights: %d bytes, a %d-window %d-unit model has %d" % (len(raw), w, h, 4 * n))
    weights = list(struct.unpack("<%df" % n, raw))
    if not all(math.isfinite(v) for v in weights):
        raise BadInput("predictor params.weights: every value must be finite")
    return w, h, ints["learningRateLog10"], ints["weightDecayLog10"], weights


def encode_params(window, hidden, lr_micro, wd_micro, weights_f32_bytes):
    return {
        "model": MODEL,
        "window": window,
        "hidden": hidden,
        "learningRateLog10": lr_micro,
        "weightDecayLog10": wd_micro,
        "weights": base64.b64encode(weights_f32_bytes).decode("ascii"),
    }


# --------------------------------------------------------------------------
# evaluation (inference only)


def _skill_python(w, h, weights, values):
    """model.ts forecastAt and skillOf, in the same order of operations."""
    hw = h * w
    w1, b1, v, b2 = weights[:hw], weights[hw:hw + h], weights[hw + h:hw + 2 * h], weights[-1]
    model = 0.0
    naive = 0.0
    tanh = math.tanh
    for t in range(WARMUP, len(values)):
        out = b2
        for j in range(h):
            z = b1[j]
            row = j * w
            for i in range(w):
                z += w1[row + i] * values[t - 1 - i]
            out += v[j] * tanh(z)
        x = values[t]
        model += abs(x - (values[t - 1] + out))
        naive += abs(x - values[t - 1])
    return 1.0 - model / naive


def _windows_np(values, width):
    """rows t = WARMUP..n-1: [x_{t-1}, ..., x_{t-width}] (numpy)."""
    x = np.asarray(values, dtype=np.float64)
    n = len(x)
    return np.stack([x[WARMUP - 1 - i:n - 1 - i] for i in range(width)], axis=1), x[WARMUP:], x[WARMUP - 1:n - 1]


def _skill_array(w, h, weights, values):
    X, y, prev = _windows_np(values, w)
    W = np.asarray(weights, dtype=np.float64)
    hw = h * w
    if torch is not None:
        T = lambda a: torch.as_tensor(a, dtype=torch.float64, device=DEVICE)  # noqa: E731
        Xt, yt, pt = T(X), T(y), T(prev)
        out = torch.tanh(Xt @ T(W[:hw].reshape(h, w)).T + T(W[hw:hw + h])) @ T(W[hw + h:hw + 2 * h]) + float(W[-1])
        model = torch.abs(yt - (pt + out)).sum().item()
        naive = torch.abs(yt - pt).sum().item()
    else:
        out = np.tanh(X @ W[:hw].reshape(h, w).T + W[hw:hw + h]) @ W[hw + h:hw + 2 * h] + W[-1]
        model = float(np.abs(y - (prev + out)).sum())
        naive = float(np.abs(y - prev).sum())
    return 1.0 - model / naive


def skill(w, h, weights, values):
    """The model's skill on a series: numpy or PyTorch when the worker has them, else pure Python."""
    if np is None:
        return _skill_python(w, h, weights, values)
    return _skill_array(w, h, weights, values)


def m_generate(params):
    seed = params.get("seed")
    if not _is_int(seed) or seed < 0 or seed > 0xFFFFFFFF:
        raise BadInput("seed must be a 32-bit unsigned integer")
    cfg = series_config(params.get("config"))
    values = generate_series(seed, cfg["evalLength"], cfg)
    return {"data": {"series": pack_f64(values), "seed": seed, "length": len(values), "warmup": WARMUP, "synthetic": True}}


def m_evaluate(params):
    cfg = series_config(params.get("config"))
    w, h, _, _, weights = decode_params(params.get("params"))
    return {"value": skill(w, h, weights, series_of(params.get("data"), cfg))}


def m_infer(params):
    """The next value after input.values (oldest first, at least `window` of them)."""
    if params.get("params") is None:
        raise BadInput("predictor: no model to run (no champion yet)", "NO_MODEL")
    w, h, _, _, weights = decode_params(params.get("params"))
    inp = params.get("input")
    values = inp.get("values") if isinstance(inp, dict) else None
    if not isinstance(values, list) or len(values) < w or len(values) > 100000 or not all(_is_number(v) for v in values):
        raise BadInput("predictor input must be {values: [at least %d finite numbers, oldest first]}" % w)
    hw = h * w
    out = weights[-1]
    for j in range(h):
        z = weights[hw + j]
        for i in range(w):
            z += weights[j * w + i] * values[len(values) - 1 - i]
        out += weights[hw + h + j] * math.tanh(z)
    last = float(values[-1])
    return {"output": {"forecast": last + out, "naive": last, "window": w}}


# --------------------------------------------------------------------------
# batched training


class _Arrays(object):
    """The few array operations the trainer needs, on numpy or PyTorch (CPU or CUDA), float64."""

    def __init__(self):
        self.torch = torch is not None

    def array(self, a):
        return torch.as_tensor(a, dtype=torch.float64, device=DEVICE) if self.torch else np.asarray(a, dtype=np.float64)

    def index(self, a):
        return torch.as_tensor(a, dtype=torch.int64, device=DEVICE) if self.torch else a

    def zeros(self, *shape):
        return torch.zeros(shape, dtype=torch.float64, device=DEVICE) if self.torch else np.zeros(shape, dtype=np.float64)

    def einsum(self, spec, *xs):
        return torch.einsum(spec, *xs) if self.torch else np.einsum(spec, *xs, optimize=True)

    def tanh(self, a):
        return torch.tanh(a) if self.torch else np.tanh(a)

    def sign(self, a):
        return torch.sign(a) if self.torch else np.sign(a)

    def sqrt(self, a):
        return torch.sqrt(a) if self.torch else np.sqrt(a)

    def f32(self, a):
        """float32-rounded, as numpy float64"""
        if self.torch:
            return a.float().double().cpu().numpy()
        return a.astype(np.float32).astype(np.float64)

    def sync(self):
        if self.torch and DEVICE == "cuda":
            torch.cuda.synchronize()


def _candidate(c, k):
    if not isinstance(c, dict):
        raise BadInput("candidates[%d] must be an object" % k)
    out = _hyper(c, "candidates[%d]" % k)
    seed = c.get("seed")
    if not _is_int(seed) or seed < 0 or seed > 0xFFFFFFFF:
        raise BadInput("candidates[%d].seed must be a 32-bit unsigned integer" % k)
    out["seed"] = seed
    return out


def _initial_weights(cands):
    """Each candidate's W1 (h x w) and v from its seed, as train.ts draws them; and each candidate's Rng for its shuffles."""
    counts = [c["hidden"] * c["window"] + c["hidden"] for c in cands]
    batch = BatchRng(np, [c["seed"] for c in cands])
    normals = batch.normals(counts)
    return normals, batch


def train_batch(params):
    """Trains every candidate on the series of trainSeed; scores each on the series of validationSeed."""
    if np is None:
        raise BadInput("train_batch needs numpy in the worker (PyTorch, when there, does the math)", "UNKNOWN_METHOD")
    cfg = series_config(params.get("config"))
    cands = params.get("candidates")
    if not isinstance(cands, list) or not 1 <= len(cands) <= 4096:
        raise BadInput("candidates must be a list of 1 to 4096 hyperparameter objects")
    cands = [_candidate(c, k) for k, c in enumerate(cands)]
    seeds = {}
    for key in ("trainSeed", "validationSeed"):
        v = params.get(key)
        if not _is_int(v) or v < 0 or v > 0xFFFFFFFF:
            raise BadInput("%s must be a 32-bit unsigned integer" % key)
        seeds[key] = v
    vlen = params.get("validationLength", cfg["evalLength"])
    if not _is_int(vlen) or vlen < WARMUP + 2 or vlen > MAX_LENGTH:
        raise BadInput("validationLength must be an integer from %d to %d" % (WARMUP + 2, MAX_LENGTH))
    started = time.perf_counter()
    train = generate_series(seeds["trainSeed"], cfg["trainLength"], cfg)
    valid = generate_series(seeds["validationSeed"], vlen, cfg)
    A = _Arrays()
    P = len(cands)
    Wm = max(c["window"] for c in cands)
    Hm = max(c["hidden"] for c in cands)
    X, y, prev = _windows_np(train, Wm)
    target = y - prev
    n = len(target)
    # initial weights (padded) and masks
    normals, rng = _initial_weights(cands)
    w1 = np.zeros((P, Hm, Wm))
    w2 = np.zeros((P, Hm))
    mask1 = np.zeros((P, Hm, Wm))
    maskh = np.zeros((P, Hm))
    for p, c in enumerate(cands):
        w, h = c["window"], c["hidden"]
        z = normals[p]
        w1[p, :h, :w] = z[:h * w].reshape(h, w) / math.sqrt(w)
        w2[p, :h] = (0.1 * z[h * w:h * w + h]) / math.sqrt(h)
        mask1[p, :h, :w] = 1.0
        maskh[p, :h] = 1.0
    lr = np.array([10.0 ** (c["learningRateLog10"] / FIXED) for c in cands])
    decay = lr * np.array([10.0 ** (c["weightDecayLog10"] / FIXED) for c in cands])
    W1, B1, V, B2 = A.array(w1), A.zeros(P, Hm), A.array(w2), A.zeros(P)
    M1, MH = A.array(mask1), A.array(maskh)
    LR, DECAY = A.array(lr), A.array(decay)
    Xd, Td = A.array(X), A.array(target)
    params_ = [W1, B1, V, B2]
    moments = [(A.zeros(*p.shape), A.zeros(*p.shape)) for p in params_]
    shape_of = lambda p: (P,) + (1,) * (len(p.shape) - 1)  # noqa: E731
    order = np.tile(np.arange(n), (P, 1))
    batch = cfg["batchSize"]
    step = 0
    for _ in range(cfg["epochs"]):
        rng.shuffle(order)
        for start in range(0, n, batch):
            idx = A.index(order[:, start:start + batch])
            xb = Xd[idx]
            yb = Td[idx]
            nb = xb.shape[1]
            a = A.tanh(A.einsum("pbi,pji->pbj", xb, W1) + B1[:, None, :])
            out = A.einsum("pbj,pj->pb", a, V) + B2[:, None]
            d = A.sign(out - yb) / nb
            dz = d[:, :, None] * V[:, None, :] * (1.0 - a * a)
            grads = [A.einsum("pbj,pbi->pji", dz, xb) * M1, dz.sum(1) * MH, A.einsum("pbj,pb->pj", a, d) * MH, d.sum(1)]
            step += 1
            c1 = 1.0 - 0.9 ** step
            c2 = 1.0 - 0.999 ** step
            for k, (p, g) in enumerate(zip(params_, grads)):
                m, v = moments[k]
                m *= 0.9
                m += 0.1 * g
                v *= 0.999
                v += 0.001 * g * g
                upd = LR.reshape(shape_of(p)) * (m / c1) / (A.sqrt(v / c2) + 1e-8)
                if k in (0, 2):
                    upd = upd + DECAY.reshape(shape_of(p)) * p
                p -= upd
    A.sync()
    trained = time.perf_counter() - started
    w1f, b1f, w2f, b2f = A.f32(W1), A.f32(B1), A.f32(V), A.f32(B2)
    models = []
    for p, c in enumerate(cands):
        w, h = c["window"], c["hidden"]
        flat = np.concatenate([w1f[p, :h, :w].reshape(-1), b1f[p, :h], w2f[p, :h], b2f[p:p + 1]])
        models.append((c, flat))
    out = []
    for c, flat in models:
        out.append({
            "params": encode_params(c["window"], c["hidden"], c["learningRateLog10"], c["weightDecayLog10"], flat.astype("<f4").tobytes()),
            "validation": skill(c["window"], c["hidden"], flat.tolist(), valid),
        })
    return {"models": out, "device": DEVICE, "backend": "torch" if torch is not None else "numpy", "trainSeconds": trained, "seconds": time.perf_counter() - started}


def dispatch(method, params):
    """The predictor's answer to a worker method, or None when it has none."""
    if method == "generate":
        return m_generate(params)
    if method == "evaluate":
        return m_evaluate(params)
    if method == "infer":
        return m_infer(params)
    if method == "train_batch":
        return train_batch(params)
    return None
