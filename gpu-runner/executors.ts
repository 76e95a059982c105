/**
 * What a runner does with each kind of job, on a domain's plugin:
 *
 * - optimize → one round of this runner's own optimizer for the domain (its
 *   island). Every `migrateEvery` rounds the node's champion migrates in: it
 *   is adopted when it beats the island's best. The result is the claim the
 *   node commits to: {params, reported (Fixed), experimentId, roundNumber,
 *   timeToResultSeconds, optimizationConfigHash, dataHash}.
 * - evaluate → synthetic.generate(seed32) → inference.evaluate(params, data)
 *   → {performance (Fixed), dataHash (sha256 of the data's canonical JSON)}.
 * - inference → inference.infer(champion params, input) → {output, model}.
 *   Without a champion on chain yet, the island's own best serves; with
 *   neither, infer gets null params and the plugin decides (a default
 *   model, or an error that fails the job). `model.source` says which:
 *   "champion", "runner" or "none".
 *
 * Nothing here signs anything: the node does.
 */
import { createHash } from "node:crypto";
import canonicalize from "canonicalize";
import { findNonInteger } from "../core/encoding.ts";
import type { JsonValue } from "../core/types.ts";
import { defaultOptimizerOf, fromFixed, toFixed, type ChampionView, type DomainPlugin, type OptimizationPlugin } from "../plugins/sdk.ts";
import type { LeasedJob } from "./job-source.ts";

/** The node's champion of a domain, as GET /chain/champions gives it. */
export interface ChampionInfo {
  readonly domain: string;
  /** Fixed micro-units, as on chain */
  readonly performanceFixed: string;
  readonly performance: number;
  readonly params: JsonValue;
  readonly optimae: string | null;
}

export interface ChampionSource {
  champion(domain: string): Promise<ChampionInfo | null>;
}

/** A job that cannot succeed as asked (bad payload, no model): reported as the job's error. */
export class JobError extends Error {
  override readonly name = "JobError";
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(`${code}: ${message}`);
  }
}

/** SHA-256 (hex) of a value's canonical JSON (RFC 8785: sorted keys, ECMAScript number form). */
export function canonicalSha256(value: unknown): string {
  const text = canonicalize(value);
  if (text === undefined) throw new JobError("NOT_JSON", "value has no JSON form");
  return createHash("sha256").update(text).digest("hex");
}

/** Parses GET /chain/champions. */
export function parseChampions(body: unknown): ChampionInfo[] {
  if (!Array.isArray(body)) return [];
  const out: ChampionInfo[] = [];
  for (const c of body as unknown[]) {
    if (typeof c !== "object" || c === null) continue;
    const r = c as Record<string, unknown>;
    if (typeof r["domain"] !== "string" || (typeof r["performance"] !== "string" && typeof r["performance"] !== "number")) continue;
    let fixed: string;
    try {
      fixed = BigInt(r["performance"]).toString();
    } catch {
      continue;
    }
    out.push({
      domain: r["domain"],
      performanceFixed: fixed,
      performance: fromFixed(fixed),
      params: (r["params"] ?? null) as JsonValue,
      optimae: typeof r["optimae"] === "string" ? r["optimae"] : null,
    });
  }
  return out;
}

export function isBetter(a: number, b: number, higherIsBetter: boolean): boolean {
  return higherIsBetter ? a > b : a < b;
}

export interface IslandOptions {
  readonly runnerId: string;
  /** optimizer name in the plugin; default: the plugin's default (plugins/sdk.ts defaultOptimizerOf) */
  readonly optimizer?: string;
  readonly optimizerConfig?: JsonValue;
  /** the champion migrates in every k rounds (1: every round; 0: never) */
  readonly migrateEvery?: number;
  /** evaluations a round may spend */
  readonly budget?: number;
  /** config passed to synthetic.generate */
  readonly syntheticConfig?: JsonValue;
  /** seeds this run's rounds (default: from the experiment id) */
  readonly seed?: number;
  readonly now?: () => number;
}

export interface OptimizeResult {
  readonly params: JsonValue;
  readonly reported: string;
  readonly experimentId: string;
  readonly roundNumber: number;
  readonly timeToResultSeconds: number;
  readonly optimizationConfigHash: string;
  readonly dataHash: string;
  readonly [key: string]: JsonValue;
}

/**
 * One runner's optimization of one domain: its optimizer (kept across
 * rounds), its best so far, its experiment. Rounds run one at a time.
 */
export class Island {
  readonly domain: string;
  readonly optimizerName: string;
  readonly experimentId: string;
  readonly optimizationConfigHash: string;
  readonly startedAt: number;
  readonly migrateEvery: number;
  readonly budget: number;
  private readonly optimizer: OptimizationPlugin;
  private readonly config: JsonValue;
  private readonly syntheticConfig: JsonValue;
  private readonly seed: number;
  private readonly now: () => number;
  private rounds = 0;
  private bestSoFar: ChampionView | null = null;
  private queue: Promise<unknown> = Promise.resolve();
  /** rounds that adopted the champion */
  adoptions = 0;

  constructor(
    private readonly plugin: DomainPlugin,
    opts: IslandOptions,
  ) {
    this.domain = plugin.meta.id;
    const names = Object.keys(plugin.optimizers);
    const name = opts.optimizer ?? defaultOptimizerOf(plugin);
    const make = name === undefined ? undefined : plugin.optimizers[name];
    if (name === undefined || make === undefined) {
      throw new JobError("UNKNOWN_OPTIMIZER", `domain ${this.domain} has no optimizer ${opts.optimizer ?? "(none at all)"}; it has: ${names.join(", ") || "none"}`);
    }
    this.optimizerName = name;
    this.config = opts.optimizerConfig ?? {};
    this.optimizer = make(this.config);
    this.migrateEvery = Math.max(0, Math.floor(opts.migrateEvery ?? 1));
    this.budget = Math.max(1, Math.floor(opts.budget ?? 64));
    this.syntheticConfig = opts.syntheticConfig ?? {};
    this.now = opts.now ?? Date.now;
    this.startedAt = this.now();
    const safe = (s: string) => s.replace(/[^A-Za-z0-9_.:-]/g, "-");
    // ≤ 64 characters of [A-Za-z0-9_.:-] (the accept transaction's rule); stable for this runner, domain and run.
    const stamp = this.startedAt.toString(36);
    const head = safe(`${opts.runnerId}.${this.domain}.${name}`).slice(0, 63 - stamp.length);
    this.experimentId = `${head}.${stamp}`;
    this.optimizationConfigHash = canonicalSha256({ domain: this.domain, optimizer: name, config: this.config, budget: this.budget, migrateEvery: this.migrateEvery });
    this.seed = opts.seed ?? Number.parseInt(canonicalSha256(this.experimentId).slice(0, 8), 16);
  }

  get best(): ChampionView | null {
    return this.bestSoFar;
  }

  get roundsDone(): number {
    return this.rounds;
  }

  /** Whether round `n` (1-based) takes the champion in. */
  migratesAt(n: number): boolean {
    return this.migrateEvery > 0 && (n - 1) % this.migrateEvery === 0;
  }

  /** One round; rounds of the same island never overlap (the optimizer keeps state). */
  round(champion: () => Promise<ChampionInfo | null>): Promise<OptimizeResult> {
    const run = this.queue.then(() => this.roundNow(champion));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async roundNow(champion: () => Promise<ChampionInfo | null>): Promise<OptimizeResult> {
    const n = this.rounds + 1;
    const higher = this.plugin.meta.higherIsBetter;
    let adopted: ChampionView | null = null;
    if (this.migratesAt(n)) {
      const c = await champion();
      if (c !== null && c.params !== null && (this.bestSoFar === null || isBetter(c.performance, this.bestSoFar.performance, higher))) {
        adopted = { params: c.params, performance: c.performance };
        this.bestSoFar = adopted;
        this.adoptions++;
      }
    }
    const seed = Number.parseInt(canonicalSha256({ seed: this.seed, round: n }).slice(0, 8), 16);
    const out = await this.optimizer.optimize({ champion: adopted, local: adopted === null ? this.bestSoFar : null, seed, budget: this.budget, config: this.config });
    const bad = findNonInteger(out.params);
    if (bad !== null) throw new JobError("BAD_PARAMS", `optimizer ${this.optimizerName} returned a non-integer at ${bad} (parameters must be safe integers, e.g. fixed-point)`);
    const reported = toFixed(out.performance);
    this.rounds = n;
    if (this.bestSoFar === null || isBetter(out.performance, this.bestSoFar.performance, higher)) this.bestSoFar = { params: out.params, performance: out.performance };
    // The data this round's seed selects (what OptimizeInput.seed gives the plugin).
    const data = await this.plugin.synthetic.generate(seed, this.syntheticConfig);
    return {
      params: out.params,
      reported: reported.toString(),
      experimentId: this.experimentId,
      roundNumber: n,
      timeToResultSeconds: Math.max(0, Math.floor((this.now() - this.startedAt) / 1000)),
      optimizationConfigHash: this.optimizationConfigHash,
      dataHash: canonicalSha256(data),
    };
  }
}

function asObject(payload: JsonValue, what: string): Record<string, JsonValue> {
  if (typeof payload !== "object" || payload === null || Array.isArray(payload)) throw new JobError("BAD_PAYLOAD", `${what} payload must be an object`);
  return payload as Record<string, JsonValue>;
}

/** An evaluate job: the evaluator's own synthetic data from its seed, then the score. */
export async function runEvaluate(plugin: DomainPlugin, payload: JsonValue, syntheticConfig: JsonValue = {}): Promise<{ performance: string; dataHash: string }> {
  const p = asObject(payload, "evaluate");
  let seed32 = p["seed32"];
  if (seed32 === undefined && typeof p["seed"] === "string" && /^[0-9a-f]{8}/.test(p["seed"])) seed32 = Number.parseInt(p["seed"].slice(0, 8), 16);
  if (typeof seed32 !== "number" || !Number.isInteger(seed32) || seed32 < 0 || seed32 > 0xffffffff) throw new JobError("BAD_PAYLOAD", "evaluate payload: seed32 must be a 32-bit unsigned integer");
  if (!("params" in p)) throw new JobError("BAD_PAYLOAD", "evaluate payload: params missing");
  const data = await plugin.synthetic.generate(seed32, syntheticConfig);
  const value = await plugin.inference.evaluate(p["params"] as JsonValue, data);
  return { performance: toFixed(value).toString(), dataHash: canonicalSha256(data) };
}

/** An inference job: the champion's parameters (else this runner's best, else null: the plugin decides) on the input. */
export async function runInference(plugin: DomainPlugin, payload: JsonValue, champion: ChampionInfo | null, local: ChampionView | null): Promise<JsonValue> {
  const p = asObject(payload, "inference");
  const input = (p["input"] ?? null) as JsonValue;
  let model: JsonValue;
  let params: JsonValue;
  if (champion !== null && champion.params !== null) {
    params = champion.params;
    model = { source: "champion", optimae: champion.optimae, performance: champion.performanceFixed };
  } else if (local !== null) {
    params = local.params;
    model = { source: "runner", performance: toFixed(local.performance).toString() };
  } else {
    // Nothing trained yet: the plugin decides (a default model, or an error that fails the job).
    params = null;
    model = { source: "none" };
  }
  const output = await plugin.inference.infer(params, input);
  return { output, model };
}

export interface ExecutionContext {
  plugin(domain: string): DomainPlugin | undefined;
  island(domain: string): Island;
  /** the island's best, when this runner optimizes the domain */
  localBest(domain: string): ChampionView | null;
  readonly champions: ChampionSource;
  syntheticConfig(domain: string): JsonValue;
  readonly log: (line: string) => void;
}

export async function executeJob(job: LeasedJob, ctx: ExecutionContext): Promise<JsonValue> {
  const plugin = ctx.plugin(job.domain);
  if (plugin === undefined) throw new JobError("UNKNOWN_DOMAIN", `this runner has no plugin for domain ${job.domain}`);
  switch (job.kind) {
    case "evaluate":
      return runEvaluate(plugin, job.payload, ctx.syntheticConfig(job.domain));
    case "inference": {
      const champion = await ctx.champions.champion(job.domain);
      return runInference(plugin, job.payload, champion, ctx.localBest(job.domain));
    }
    case "optimize":
      return ctx.island(job.domain).round(async () => {
        try {
          return await ctx.champions.champion(job.domain);
        } catch (e) {
          // No champion this round is better than no round: migrate at the next one.
          ctx.log(`champion of ${job.domain} unavailable (${e instanceof Error ? e.message : String(e)}); this round stays on its island`);
          return null;
        }
      });
  }
}
