/**
 * Shared pieces of the runner tests: a tiny DomainPlugin (fast, and with
 * knobs for slowness and failure), the real quadratic plugin, an in-memory
 * JobSource, waiting.
 */
import { delimiter, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { JsonValue } from "../../core/types.ts";
import type { ChampionSource, ChampionInfo } from "../../gpu-runner/executors.ts";
import type { CompleteOutcome, JobKind, JobSource, LeasedJob } from "../../gpu-runner/job-source.ts";
import type { DomainPlugin } from "../../plugins/sdk.ts";
import { builtinPlugins } from "../../plugins/registry.ts";
import { sleep } from "../support/until.ts";

export const ROOT = fileURLToPath(new URL("../..", import.meta.url));

/** wrangler and tsx are run by name: make sure node_modules/.bin is on the PATH, as under npm. */
export function withLocalBin(): void {
  const bin = join(ROOT, "node_modules", ".bin");
  const path = process.env["PATH"] ?? "";
  if (!path.split(delimiter).includes(bin)) process.env["PATH"] = `${bin}${delimiter}${path}`;
}

export { sleep, until } from "../support/until.ts";

export interface TinyOptions {
  /** the domain id (the node knows only "quadratic") */
  readonly domain?: string;
  /** infer and evaluate take this long */
  readonly slowMs?: number;
  /** written into every inference output */
  readonly tag?: string;
}

/**
 * A 2-parameter toy: params {x: [a, b]} (integers), performance −Σ(x − t)²
 * with t = the data's target, data {target: [seed % 7, seed % 11]}; its
 * optimizer "step" moves one unit toward (3, 4) per round from the best it
 * is given. Inference: {sum, tag, input}.
 */
export function tinyPlugin(opts: TinyOptions = {}): DomainPlugin {
  const domain = opts.domain ?? "quadratic";
  const slow = () => (opts.slowMs === undefined ? Promise.resolve() : sleep(opts.slowMs));
  const xOf = (params: JsonValue): [number, number] => {
    const x = (params as { x?: unknown } | null)?.x;
    if (!Array.isArray(x) || x.length !== 2 || !x.every((v) => Number.isSafeInteger(v))) throw new TypeError("tiny params must be {x: [int, int]}");
    return [x[0] as number, x[1] as number];
  };
  const score = (x: readonly number[], t: readonly number[]) => -((x[0]! - t[0]!) ** 2 + (x[1]! - t[1]!) ** 2);
  return {
    meta: { id: domain, metric: "neg_sse", higherIsBetter: true, description: "tiny test domain" },
    optimizers: {
      step: () => ({
        domain,
        name: "step",
        async optimize(input) {
          const from = input.champion ?? input.local;
          const [a, b] = from === null ? [0, 0] : xOf(from.params);
          const next = [a + Math.sign(3 - a), b + Math.sign(4 - b)];
          return { params: { x: next }, performance: score(next, [3, 4]), evaluations: 1 };
        },
      }),
    },
    inference: {
      domain,
      async evaluate(params, data) {
        await slow();
        return score(xOf(params), (data as { target: number[] }).target);
      },
      async infer(params, input) {
        await slow();
        const [a, b] = params === null ? [0, 0] : xOf(params);
        return { sum: a + b, tag: opts.tag ?? "tiny", input };
      },
    },
    synthetic: {
      domain,
      async generate(seed) {
        return { target: [seed % 7, seed % 11] };
      },
    },
  };
}

export const noChampions: ChampionSource = { champion: async () => null };

export function fixedChampions(list: readonly ChampionInfo[]): ChampionSource & { calls: number } {
  const s = {
    calls: 0,
    async champion(domain: string) {
      s.calls++;
      return list.find((c) => c.domain === domain) ?? null;
    },
  };
  return s;
}

interface FakeRecord {
  job: LeasedJob;
  state: "pending" | "leased" | "done";
  lease: number;
}

/** An in-memory JobSource with leases, recording every call. */
export class FakeSource implements JobSource {
  readonly name = "fake";
  readonly calls: { op: string; id?: string; value?: JsonValue | string }[] = [];
  readonly results = new Map<string, JsonValue>();
  readonly errors = new Map<string, string>();
  private readonly jobs: FakeRecord[] = [];
  private leaseCounter = 0;
  /** heartbeat answers (true: keep) */
  heartbeatAnswer: (job: LeasedJob) => boolean = () => true;
  /** claims throw this many times first */
  claimFailures = 0;

  constructor(readonly leaseMs = 60_000) {}

  add(kind: JobKind, domain: string, payload: JsonValue, id = `${kind}-${this.jobs.length + 1}`): string {
    this.jobs.push({ job: { id, kind, domain, payload, leaseId: "", leaseMs: this.leaseMs, leaseExpiresAt: 0, attempts: 0 }, state: "pending", lease: 0 });
    return id;
  }

  get pending(): number {
    return this.jobs.filter((j) => j.state === "pending").length;
  }

  count(op: string): number {
    return this.calls.filter((c) => c.op === op).length;
  }

  async claim(max: number): Promise<LeasedJob[]> {
    this.calls.push({ op: "claim" });
    if (this.claimFailures > 0) {
      this.claimFailures--;
      throw new Error("network down (fake)");
    }
    const out: LeasedJob[] = [];
    for (const r of this.jobs) {
      if (out.length >= max) break;
      if (r.state !== "pending") continue;
      r.state = "leased";
      r.lease = ++this.leaseCounter;
      const job: LeasedJob = { ...r.job, leaseId: `lease-${r.lease}`, leaseExpiresAt: Date.now() + this.leaseMs };
      out.push(job);
    }
    return out;
  }

  private find(job: LeasedJob): FakeRecord | undefined {
    return this.jobs.find((r) => r.job.id === job.id);
  }

  async heartbeat(job: LeasedJob): Promise<boolean> {
    this.calls.push({ op: "heartbeat", id: job.id });
    return this.heartbeatAnswer(job);
  }

  async complete(job: LeasedJob, result: JsonValue): Promise<CompleteOutcome> {
    this.calls.push({ op: "complete", id: job.id, value: result });
    const r = this.find(job);
    if (r === undefined) return "lost";
    if (r.state === "done") return "duplicate";
    if (`lease-${r.lease}` !== job.leaseId) return "lost";
    r.state = "done";
    this.results.set(job.id, result);
    return "applied";
  }

  async fail(job: LeasedJob, error: string): Promise<void> {
    this.calls.push({ op: "fail", id: job.id, value: error });
    this.errors.set(job.id, error);
    const r = this.find(job);
    if (r !== undefined && r.state === "leased") r.state = "done"; // not re-offered in these tests
  }

  async release(job: LeasedJob): Promise<void> {
    this.calls.push({ op: "release", id: job.id });
    const r = this.find(job);
    if (r !== undefined && r.state === "leased") r.state = "pending";
  }
}

/** The built-in quadratic plugin (plugins/registry.ts). */
export function realQuadratic(): DomainPlugin {
  const q = builtinPlugins().get("quadratic");
  if (q === undefined) throw new Error("plugins/registry.ts has no quadratic plugin");
  return q;
}
