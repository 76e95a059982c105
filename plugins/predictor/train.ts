/**
 * Training one predictor model on the CPU (TypeScript): minibatch Adam with
 * decoupled weight decay (AdamW: I. Loshchilov and F. Hutter, "Decoupled
 * Weight Decay Regularization", ICLR 2019; Adam: D. P. Kingma and J. Ba,
 * ICLR 2015, β₁ = 0.9, β₂ = 0.999, ε = 10⁻⁸) on the mean absolute error of
 * the correction to the naive forecast (the metric's own loss: its
 * minimizer is the conditional median, the Bayes forecast's target).
 *
 * Every draw comes from the model's seed, in this order (the Python worker's
 * batched trainer follows the same recipe): W1_{j,i} = N(0, 1)/√w row by row,
 * then v_j = 0.1 · N(0, 1)/√h, biases 0 (normals from ./normals.ts); each
 * epoch a Fisher–Yates shuffle of the samples t ∈ [WARMUP, n) (i from N−1
 * down to 1, j = ⌊U·(i + 1)⌋), then minibatches of `batchSize` in that order
 * (the last one shorter). Weight decay applies to W1 and v, not to biases.
 *
 * Why not a tensor library: @tensorflow/tfjs 4.22 (the union package; the
 * core and CPU backend alone do not register gradients under ESM) installs
 * 294 MB, and its per-operation dispatch dominates a model this small: 20
 * epochs of a 16-window, 32-unit MLP on 3,000 samples took 1.21 s against
 * 0.16 s for the plain loops here (Node 22, this repository's 2-core
 * machine). The backward pass of one hidden layer is a few lines.
 */
import { createRng, type Rng } from "../rng.ts";
import type { Hyper, Mlp } from "./model.ts";
import { polarNormals } from "./normals.ts";
import { WARMUP } from "./series.ts";

export interface TrainOptions {
  readonly epochs: number;
  readonly batchSize: number;
}

export const DEFAULT_TRAIN: TrainOptions = { epochs: 4, batchSize: 32 };

const BETA1 = 0.9;
const BETA2 = 0.999;
const EPS = 1e-8;

/** Adam moments of one parameter array. */
class Moments {
  readonly m: Float64Array;
  readonly v: Float64Array;
  constructor(n: number) {
    this.m = new Float64Array(n);
    this.v = new Float64Array(n);
  }
  /** One AdamW step of p from gradient g; `decay` = lr·wd (0 for biases). */
  step(p: Float64Array, g: Float64Array, lr: number, c1: number, c2: number, decay: number): void {
    const { m, v } = this;
    for (let i = 0; i < p.length; i++) {
      const gi = g[i] as number;
      const mi = BETA1 * (m[i] as number) + (1 - BETA1) * gi;
      const vi = BETA2 * (v[i] as number) + (1 - BETA2) * gi * gi;
      m[i] = mi;
      v[i] = vi;
      const pi = p[i] as number;
      p[i] = pi - (lr * (mi / c1)) / (Math.sqrt(vi / c2) + EPS) - decay * pi;
    }
  }
}

/** A model's initial weights from its seed, and the generator its shuffles continue from. */
export function initialWeights(window: number, hidden: number, seed: number): { w1: Float64Array; w2: Float64Array; rng: Rng } {
  const rng = createRng(seed);
  const normal = polarNormals(rng);
  const w1 = new Float64Array(hidden * window);
  for (let k = 0; k < w1.length; k++) w1[k] = normal() / Math.sqrt(window);
  const w2 = new Float64Array(hidden);
  for (let j = 0; j < hidden; j++) w2[j] = (0.1 * normal()) / Math.sqrt(hidden);
  return { w1, w2, rng };
}

/** Fisher–Yates in place: i from n−1 down to 1, j = ⌊U·(i + 1)⌋. */
export function shuffle(order: Int32Array, rng: Rng): void {
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(rng.next() * (i + 1));
    const tmp = order[i] as number;
    order[i] = order[j] as number;
    order[j] = tmp;
  }
}

/** Trains one model on `values` (a training series) from `seed`; the weights come back as float32. */
export function trainMlp(values: Float64Array, hyper: Hyper, seed: number, options: TrainOptions = DEFAULT_TRAIN): Mlp {
  const w = hyper.window;
  const h = hyper.hidden;
  const lr = 10 ** hyper.learningRateLog10;
  const decay = lr * 10 ** hyper.weightDecayLog10;
  const { w1, w2, rng } = initialWeights(w, h, seed);
  const b1 = new Float64Array(h);
  const b2 = new Float64Array(1);
  const g1 = new Float64Array(h * w);
  const gb1 = new Float64Array(h);
  const g2 = new Float64Array(h);
  const gb2 = new Float64Array(1);
  const moments = [new Moments(h * w), new Moments(h), new Moments(h), new Moments(1)];
  const act = new Float64Array(h);
  const n = values.length - WARMUP;
  const order = Int32Array.from({ length: n }, (_, k) => k);
  let step = 0;
  for (let epoch = 0; epoch < options.epochs; epoch++) {
    shuffle(order, rng);
    for (let start = 0; start < n; start += options.batchSize) {
      const end = Math.min(n, start + options.batchSize);
      const scale = 1 / (end - start);
      g1.fill(0);
      gb1.fill(0);
      g2.fill(0);
      gb2[0] = 0;
      for (let s = start; s < end; s++) {
        const t = WARMUP + (order[s] as number);
        let out = b2[0] as number;
        for (let j = 0; j < h; j++) {
          let z = b1[j] as number;
          const row = j * w;
          for (let i = 0; i < w; i++) z += (w1[row + i] as number) * (values[t - 1 - i] as number);
          const a = Math.tanh(z);
          act[j] = a;
          out += (w2[j] as number) * a;
        }
        const d = Math.sign(out - ((values[t] as number) - (values[t - 1] as number))) * scale;
        if (d === 0) continue;
        gb2[0] = (gb2[0] as number) + d;
        for (let j = 0; j < h; j++) {
          const a = act[j] as number;
          g2[j] = (g2[j] as number) + d * a;
          const dz = d * (w2[j] as number) * (1 - a * a);
          gb1[j] = (gb1[j] as number) + dz;
          const row = j * w;
          for (let i = 0; i < w; i++) g1[row + i] = (g1[row + i] as number) + dz * (values[t - 1 - i] as number);
        }
      }
      step++;
      const c1 = 1 - BETA1 ** step;
      const c2 = 1 - BETA2 ** step;
      (moments[0] as Moments).step(w1, g1, lr, c1, c2, decay);
      (moments[1] as Moments).step(b1, gb1, lr, c1, c2, 0);
      (moments[2] as Moments).step(w2, g2, lr, c1, c2, decay);
      (moments[3] as Moments).step(b2, gb2, lr, c1, c2, 0);
    }
  }
  return { window: w, hidden: h, w1: Float32Array.from(w1), b1: Float32Array.from(b1), w2: Float32Array.from(w2), b2: Math.fround(b2[0] as number) };
}
