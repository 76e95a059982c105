/**
 * Executes jobs of the quadratic domain: optimize (one round of this
 * runner's own optimizer, its island, after adopting the on-chain champion
 * when it is better), evaluate (the evaluator's synthetic data from its seed,
 * then the score), inference (the champion's parameters on an input).
 * Performances leave as Fixed decimal strings (micro-units).
 */
import { createHash } from "node:crypto";
import { canonicalJson } from "../core/encoding.ts";
import type { JsonValue } from "../core/types.ts";
import { cmaes } from "../plugins/quadratic/cmaes.ts";
import { decodeParams, DEFAULT_CONFIG, encodeParams, performance, syntheticData, targetOf } from "../plugins/quadratic/domain.ts";
import { randomStep, type Optimizer } from "../plugins/quadratic/random-step.ts";
import { toFixed } from "../plugins/sdk.ts";

export type OptimizerName = "cmaes" | "random_step";

export interface Executor {
  run(kind: string, payload: JsonValue, champion: () => Promise<{ params: JsonValue; performance: number } | null>): Promise<JsonValue>;
  best(): number | null;
}

const sha256 = (v: JsonValue): string => createHash("sha256").update(canonicalJson(v)).digest("hex");

export function quadraticExecutor(opts: { optimizer: OptimizerName; seed: number; runner: string }): Executor {
  const target = targetOf(DEFAULT_CONFIG);
  const objective = (x: readonly number[]) => performance(x, target);
  const optimizer: Optimizer = opts.optimizer === "cmaes" ? cmaes(opts.seed) : randomStep(opts.seed);
  const config = { domain: "quadratic", optimizer: opts.optimizer, targetSeed: DEFAULT_CONFIG.targetSeed };
  const experimentId = `${opts.runner}-${opts.optimizer}`.replace(/[^A-Za-z0-9_.:-]/g, "-").slice(0, 64);
  const started = Date.now();
  let round = 0;
  let best: number | null = null;
  return {
    best: () => best,
    async run(kind, payload, champion) {
      if (kind === "optimize") {
        const c = await champion();
        const start = c !== null && c.params !== null ? { x: decodeParams(c.params), f: c.performance } : null;
        const r = optimizer.round(objective, start);
        round++;
        if (best === null || r.f > best) best = r.f;
        return {
          params: encodeParams(r.x),
          reported: toFixed(r.f).toString(),
          experimentId,
          roundNumber: round,
          timeToResultSeconds: Math.floor((Date.now() - started) / 1000),
          optimizationConfigHash: sha256(config),
          dataHash: sha256({ targetSeed: DEFAULT_CONFIG.targetSeed }),
        };
      }
      if (kind === "evaluate") {
        const p = payload as { params: JsonValue; seed32: number };
        const data = syntheticData(p.seed32, DEFAULT_CONFIG);
        const score = performance(decodeParams(p.params), data.target);
        return { performance: toFixed(score).toString(), dataHash: sha256({ target: data.target.map((t) => Math.round(t * 1e6)) }) };
      }
      if (kind === "inference") {
        const c = await champion();
        if (c === null || c.params === null) return { error: "no champion yet" };
        const x = decodeParams(c.params);
        const input = (payload as { input?: { target?: unknown } }).input;
        const t = Array.isArray(input?.target) && input.target.every((v) => typeof v === "number") ? (input.target as number[]) : null;
        return { prediction: x.map((v) => Math.round(v * 1e6)), loss: t === null ? null : toFixed(-performance(x, t)).toString() };
      }
      throw new Error(`unknown job kind ${kind}`);
    },
  };
}
