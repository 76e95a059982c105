"""Seeded randomness shared by the worker's domains (never consensus: the
protocol only sees the integers and hashes that come out of a domain).

- Rng: xoshiro128** 1.1 seeded by two SplitMix64 outputs of the 32-bit seed
  (low word first), uniform doubles ((a >> 5) * 2^26 + (b >> 6)) / 2^53, as
  plugins/quadratic/rng.ts defines them: the same doubles bit for bit; its
  Box-Muller normals go through libm (a few ulps from V8's);
- portable_log and PolarNormals: ln x from +, -, *, / alone and Marsaglia's
  polar method, as plugins/predictor/normals.ts defines them: normals
  identical bit for bit to TypeScript's (the predictor's series);
- BatchRng: many xoshiro128** streams stepped together with numpy (uint32
  arithmetic wraps as the C code does), each stream the same as Rng(seed).
"""
import math

M32 = 0xFFFFFFFF
M64 = 0xFFFFFFFFFFFFFFFF


def splitmix64(state):
    s = (state + 0x9E3779B97F4A7C15) & M64
    z = s
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M64
    return s, z ^ (z >> 31)


def seed_words(seed):
    """The 128-bit xoshiro state of a 32-bit seed: four 32-bit words."""
    sm = int(seed) & M32
    words = []
    for _ in range(2):
        sm, v = splitmix64(sm)
        words += [v & M32, v >> 32]
    if not any(words):
        words[0] = 1
    return words


def _rotl(x, k):
    return ((x << k) | (x >> (32 - k))) & M32


class Rng(object):
    """xoshiro128** 1.1, seeded by two SplitMix64 outputs of the 32-bit seed (low word first)."""

    def __init__(self, seed):
        self.s = seed_words(seed)
        self.spare = None

    def next_u32(self):
        s = self.s
        result = (_rotl((s[1] * 5) & M32, 7) * 9) & M32
        t = (s[1] << 9) & M32
        s[2] ^= s[0]
        s[3] ^= s[1]
        s[1] ^= s[2]
        s[0] ^= s[3]
        s[2] ^= t
        s[3] = _rotl(s[3], 11)
        return result

    def next(self):
        a = self.next_u32() >> 5
        b = self.next_u32() >> 6
        return (a * 67108864 + b) / 9007199254740992.0

    def normal(self):
        if self.spare is not None:
            s, self.spare = self.spare, None
            return s
        u1 = 1.0 - self.next()
        u2 = self.next()
        r = math.sqrt(-2.0 * math.log(u1))
        self.spare = r * math.sin(2.0 * math.pi * u2)
        return r * math.cos(2.0 * math.pi * u2)

    def uniform(self, lo, hi):
        return lo + (hi - lo) * self.next()


LN2 = 0.6931471805599453
SQRT_HALF = 0.7071067811865476
SQRT_TWO = 1.4142135623730951
# 1/(2k+1) for k = 13 ... 0, highest first (Horner)
ATANH_COEFFICIENTS = [1.0 / (2 * (13 - k) + 1) for k in range(14)]


def portable_log(x):
    """ln x for finite x > 0 from +, -, *, / alone: exact halvings/doublings to m in [sqrt(1/2), sqrt(2)), then 2 atanh((m-1)/(m+1))."""
    m = float(x)
    e = 0
    while m < SQRT_HALF:
        m *= 2.0
        e -= 1
    while m >= SQRT_TWO:
        m /= 2.0
        e += 1
    z = (m - 1.0) / (m + 1.0)
    z2 = z * z
    s = 0.0
    for c in ATANH_COEFFICIENTS:
        s = s * z2 + c
    return e * LN2 + 2.0 * z * s


class PolarNormals(object):
    """Standard normals on an Rng by Marsaglia's polar method with portable_log (u's value first, v's kept)."""

    def __init__(self, rng):
        self.rng = rng
        self.spare = None

    def __call__(self):
        if self.spare is not None:
            s, self.spare = self.spare, None
            return s
        while True:
            u = 2.0 * self.rng.next() - 1.0
            v = 2.0 * self.rng.next() - 1.0
            s = u * u + v * v
            if 0.0 < s < 1.0:
                f = math.sqrt((-2.0 * portable_log(s)) / s)
                self.spare = v * f
                return u * f


class BatchRng(object):
    """Many xoshiro128** streams stepped together (numpy); stream i is Rng(seeds[i])."""

    def __init__(self, np, seeds):
        self.np = np
        # one row per state word, one column per stream
        self.s = np.array([seed_words(s) for s in seeds], dtype=np.uint32).reshape(len(seeds), 4).T.copy()

    def next_u32(self, rows=None):
        np = self.np
        s0, s1, s2, s3 = self.s if rows is None else self.s[:, rows]
        x = s1 * np.uint32(5)
        result = ((x << np.uint32(7)) | (x >> np.uint32(25))) * np.uint32(9)
        t = s1 << np.uint32(9)
        s2 = s2 ^ s0
        s3 = s3 ^ s1
        s1 = s1 ^ s2
        s0 = s0 ^ s3
        s2 = s2 ^ t
        s3 = (s3 << np.uint32(11)) | (s3 >> np.uint32(21))
        if rows is None:
            self.s[0], self.s[1], self.s[2], self.s[3] = s0, s1, s2, s3
        else:
            self.s[:, rows] = np.stack([s0, s1, s2, s3])
        return result

    def next(self, rows=None):
        """Uniform doubles in [0, 1), one per stream (or per stream in `rows`)."""
        np = self.np
        a = (self.next_u32(rows) >> np.uint32(5)).astype(np.float64)
        b = (self.next_u32(rows) >> np.uint32(6)).astype(np.float64)
        return (a * 67108864.0 + b) / 9007199254740992.0

    def shuffle(self, order):
        """Fisher-Yates on each row of `order` in place, row r with stream r (as train.ts shuffles)."""
        np = self.np
        n = order.shape[1]
        if n < 2:
            return
        streams = order.shape[0]
        if streams <= 32:
            # few streams: stepping each in pure Python beats numpy's per-call cost
            for r in range(streams):
                g = Rng(0)
                g.s = [int(w) for w in self.s[:, r]]
                row = order[r].tolist()
                for i in range(n - 1, 0, -1):
                    j = int(math.floor(g.next() * (i + 1)))
                    row[i], row[j] = row[j], row[i]
                order[r] = row
                self.s[:, r] = g.s
            return
        u = np.empty((n - 1, streams))
        for k in range(n - 1):
            u[k] = self.next()
        # step k swaps position i = n-1-k with j = floor(U * (i + 1))
        j = np.floor(u * np.arange(n, 1, -1, dtype=np.float64)[:, None]).astype(np.int64)
        for r in range(streams):
            row = order[r].tolist()
            i = n - 1
            for jj in j[:, r].tolist():
                row[i], row[jj] = row[jj], row[i]
                i -= 1
            order[r] = row

    def normals(self, counts):
        """counts[i] polar normals from stream i, as PolarNormals would draw them (a spare left over is dropped, its draws spent)."""
        np = self.np
        n = len(counts)
        out = [np.empty(int(c), dtype=np.float64) for c in counts]
        have = np.zeros(n, dtype=np.int64)
        need = np.asarray(counts, dtype=np.int64)
        while True:
            rows = np.nonzero(have < need)[0]
            if rows.size == 0:
                return out
            u = 2.0 * self.next(rows) - 1.0
            v = 2.0 * self.next(rows) - 1.0
            s = u * u + v * v
            ok = (s > 0.0) & (s < 1.0)
            if not ok.any():
                continue
            rows, u, v, s = rows[ok], u[ok], v[ok], s[ok]
            f = np.sqrt((-2.0 * log_array(np, s)) / s)
            for r, a, b in zip(rows.tolist(), (u * f).tolist(), (v * f).tolist()):
                k = int(have[r])
                out[r][k] = a
                if k + 1 < need[r]:
                    out[r][k + 1] = b
                have[r] = k + 2


def log_array(np, x):
    """portable_log elementwise (the same operations per element, so the same bits)."""
    m = np.array(x, dtype=np.float64)
    e = np.zeros(m.shape, dtype=np.float64)
    while True:
        low = m < SQRT_HALF
        if not low.any():
            break
        m = np.where(low, m * 2.0, m)
        e = np.where(low, e - 1.0, e)
    while True:
        high = m >= SQRT_TWO
        if not high.any():
            break
        m = np.where(high, m / 2.0, m)
        e = np.where(high, e + 1.0, e)
    z = (m - 1.0) / (m + 1.0)
    z2 = z * z
    s = np.zeros(m.shape, dtype=np.float64)
    for c in ATANH_COEFFICIENTS:
        s = s * z2 + c
    return e * LN2 + 2.0 * z * s
