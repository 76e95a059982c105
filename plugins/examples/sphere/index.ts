/**
 * An example DOIN domain plugin, complete and self-contained: a shifted
 * sphere in three dimensions. Copy this folder to start a domain of your
 * own (see plugins/README.md, "Write a domain plugin").
 *
 * - parameters: `{x: [3 integers]}`, each coordinate × 10⁶ (what crosses
 *   into the protocol must be integers);
 * - performance `neg_sq_dist` = −‖x − center‖², higher is better, 0 at the
 *   center (config `center`, default [1.5, −2, 0.5]);
 * - synthetic data (each evaluator's, from its seed): `{center: center +
 *   N(0, 0.05²) per coordinate}`;
 * - optimizer `compass`: compass (pattern) search. Each round polls ±step
 *   along each axis in an order shuffled by the round's seed, spending at most
 *   `budget` evaluations, and moves to the first better point; 2·3 failed
 *   polls in a row halve the step. Its state (point, step, failures) persists
 *   between rounds: one instance is one island. A better champion offered by
 *   the network is adopted (migration);
 * - inference: `infer(params, {point})` → `{distance}` from x to the point,
 *   otherwise `{x}`.
 */
import type { JsonValue } from "../../../core/types.ts";
import type { DomainPlugin, OptimizationPlugin } from "../../sdk.ts";

const DOMAIN = "sphere";
const DIM = 3;
const SCALE = 1_000_000;
const DEFAULT_CENTER: readonly number[] = [1.5, -2, 0.5];
const NOISE = 0.05;

/** mulberry32 (Tommy Ettinger, public domain): a tiny seeded generator, enough for an example. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function normal(next: () => number): number {
  const u = 1 - next();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * next());
}

/** `value[key]` when value is a JSON object. */
function field(value: JsonValue, key: string): JsonValue | undefined {
  return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as { readonly [k: string]: JsonValue })[key] : undefined;
}

function centerOf(config: JsonValue): number[] {
  const c = field(config, "center");
  if (c === undefined) return [...DEFAULT_CENTER];
  if (!Array.isArray(c) || c.length !== DIM || !c.every((v) => typeof v === "number" && Number.isFinite(v))) throw new TypeError(`sphere config.center must be ${DIM} numbers`);
  return c as number[];
}

function encode(x: readonly number[]): JsonValue {
  return { x: x.map((v) => Math.round(v * SCALE) || 0) }; // `|| 0`: never −0
}

function decode(params: JsonValue): number[] {
  const x = field(params, "x");
  if (!Array.isArray(x) || x.length !== DIM || !x.every((v) => Number.isSafeInteger(v))) throw new TypeError(`sphere params must be {x: ${DIM} integers (× 10⁶)}`);
  return x.map((v) => (v as number) / SCALE);
}

function score(x: readonly number[], center: readonly number[]): number {
  return -x.reduce((acc, v, i) => acc + (v - (center[i] as number)) ** 2, 0);
}

function compass(config: JsonValue): OptimizationPlugin {
  const center = centerOf(config);
  // Score what the wire will carry: the point rounded to 10⁻⁶.
  const f = (x: readonly number[]) => score(decode(encode(x)), center);
  // The island: best point, step, and how many polls failed in a row since the last move.
  let best: { x: number[]; f: number } | null = null;
  let step = 1;
  let failures = 0;
  return {
    domain: DOMAIN,
    name: "compass",
    async optimize(input) {
      let evaluations = 0;
      // Migration: start from the network's champion (or our own best) when it is better.
      for (const c of [input.champion, input.local]) {
        if (c !== null && c.params !== null && (best === null || c.performance > best.f)) {
          best = { x: decode(c.params), f: c.performance };
          failures = 0;
        }
      }
      if (best === null) {
        const x = new Array<number>(DIM).fill(0);
        best = { x, f: f(x) };
        evaluations++;
      }
      // This round's poll order: the 2·DIM moves ±step along each axis, shuffled by the round's seed.
      const next = mulberry32(input.seed);
      const moves = Array.from({ length: 2 * DIM }, (_, k) => ({ axis: k >> 1, sign: k % 2 === 0 ? 1 : -1 }));
      for (let i = moves.length - 1; i > 0; i--) {
        const j = Math.floor(next() * (i + 1));
        [moves[i], moves[j]] = [moves[j] as (typeof moves)[number], moves[i] as (typeof moves)[number]];
      }
      for (const m of moves) {
        if (evaluations >= Math.max(1, input.budget)) break;
        const x = [...best.x];
        x[m.axis] = (x[m.axis] as number) + m.sign * step;
        const fx = f(x);
        evaluations++;
        if (fx > best.f) {
          best = { x, f: fx };
          failures = 0;
          break;
        }
        // As many failures in a row as there are moves: no neighbour at this step is better, so halve it.
        if (++failures >= moves.length) {
          step /= 2;
          failures = 0;
        }
      }
      return { params: encode(best.x), performance: best.f, evaluations };
    },
  };
}

const sphere: DomainPlugin = {
  meta: { id: DOMAIN, metric: "neg_sq_dist", higherIsBetter: true, description: "Example: shifted sphere, −‖x − center‖² in 3 dimensions" },
  optimizers: { compass },
  inference: {
    domain: DOMAIN,
    async evaluate(params, data) {
      return score(decode(params), centerOf(data === null ? {} : data));
    },
    async infer(params, input) {
      if (params === null) throw new Error("sphere: no model yet");
      const x = decode(params);
      const point = field(input, "point");
      if (point === undefined) return { x };
      return { distance: Math.sqrt(-score(x, centerOf({ center: point }))) };
    },
  },
  synthetic: {
    domain: DOMAIN,
    async generate(seed, config) {
      const next = mulberry32(seed);
      return { center: centerOf(config).map((c) => c + NOISE * normal(next)) };
    },
  },
};

export default sphere;
