/**
 * The job loop and the executors, on an in-memory JobSource and a tiny
 * plugin (no node): concurrency, heartbeats, a lost lease, stop with a grace
 * period, failures, the island model, and the /tasks adapter's retries and
 * answers on a fake fetch.
 */
import { createHash } from "node:crypto";
import canonicalize from "canonicalize";
import { describe, expect, it } from "vitest";
import type { JsonValue } from "../../core/types.ts";
import { Island, runEvaluate, type ChampionInfo } from "../../gpu-runner/executors.ts";
import { Runner, type RunnerEvent } from "../../gpu-runner/runner.ts";
import { nodeTasksSource } from "../../gpu-runner/sources/node-tasks.ts";
import { toFixed } from "../../plugins/sdk.ts";
import { FakeSource, fixedChampions, noChampions, sleep, tinyPlugin, until } from "./helpers.ts";

const quiet = () => undefined;

function runnerOn(source: FakeSource, extra: Partial<ConstructorParameters<typeof Runner>[0]> = {}): { runner: Runner; events: RunnerEvent[] } {
  const events: RunnerEvent[] = [];
  const runner = new Runner({
    id: "test-runner",
    source,
    plugins: [tinyPlugin()],
    champions: noChampions,
    pollMs: 20,
    progressMs: 0,
    log: quiet,
    onEvent: (e) => events.push(e),
    ...extra,
  });
  return { runner, events };
}

describe("the job loop", () => {
  it("runs up to `concurrency` jobs at once and completes every one", async () => {
    const source = new FakeSource();
    for (let i = 0; i < 7; i++) source.add("inference", "quadratic", { input: i });
    let running = 0;
    let peak = 0;
    const slow = tinyPlugin({ slowMs: 50 });
    const plugin = { ...slow, inference: { ...slow.inference, infer: async (p: JsonValue, input: JsonValue) => {
      running++;
      peak = Math.max(peak, running);
      try {
        return await slow.inference.infer(p, input);
      } finally {
        running--;
      }
    } } };
    const { runner } = runnerOn(source, { plugins: [plugin], concurrency: 3 });
    void runner.start();
    await until("all done", () => (source.results.size === 7 ? true : undefined), 10_000);
    await runner.stop();
    expect(peak).toBe(3);
    expect(runner.stats.done.inference).toBe(7);
    expect(source.results.get("inference-1")).toEqual({ output: { sum: 0, tag: "tiny", input: 0 }, model: { source: "none" } });
  });

  it("heartbeats every third of the lease while a job runs", async () => {
    const source = new FakeSource(3_000);
    source.add("inference", "quadratic", { input: null });
    const { runner } = runnerOn(source, { plugins: [tinyPlugin({ slowMs: 3_600 })] });
    void runner.start();
    await until("done", () => (source.results.size === 1 ? true : undefined), 10_000);
    await runner.stop();
    // lease 3 s → a beat at 1 s, 2 s, 3 s
    expect(source.count("heartbeat")).toBeGreaterThanOrEqual(3);
    expect(source.count("heartbeat")).toBeLessThanOrEqual(4);
  });

  it("drops a job whose lease went to someone else: its result is never sent", async () => {
    const source = new FakeSource(3_000);
    source.heartbeatAnswer = () => false;
    source.add("inference", "quadratic", { input: null });
    const { runner, events } = runnerOn(source, { plugins: [tinyPlugin({ slowMs: 1_500 })] });
    void runner.start();
    await until("lost", () => (events.some((e) => e.type === "lost") ? true : undefined), 5_000);
    await sleep(700); // the job finishes after the loss
    await runner.stop();
    expect(source.count("complete")).toBe(0);
    expect(source.count("fail")).toBe(0);
    expect(runner.stats.lost).toBe(1);
  });

  it("stop(): claims nothing more, lets a short job finish, releases a long one after the grace period", async () => {
    const source = new FakeSource();
    source.add("inference", "quadratic", { input: "short" }, "short");
    source.add("inference", "quadratic", { input: "long" }, "long");
    const base = tinyPlugin();
    const plugin = { ...base, inference: { ...base.inference, infer: async (p: JsonValue, input: JsonValue) => {
      await sleep(input === "short" ? 200 : 5_000);
      return base.inference.infer(p, input);
    } } };
    const { runner, events } = runnerOn(source, { plugins: [plugin], concurrency: 2, graceMs: 800 });
    void runner.start();
    await until("both running", () => (runner.stats.running === 2 ? true : undefined), 2_000);
    source.add("inference", "quadratic", { input: "late" }, "late");
    const t0 = Date.now();
    await runner.stop();
    expect(Date.now() - t0).toBeLessThan(2_000);
    expect(source.results.has("short")).toBe(true);
    expect(source.results.has("long")).toBe(false);
    expect(events.filter((e) => e.type === "released").map((e) => e.job.id)).toEqual(["long"]);
    expect(events.some((e) => e.type === "claimed" && e.job.id === "late")).toBe(false);
    expect(source.pending).toBe(2); // long (released) and late
    await sleep(50);
    expect(source.count("complete")).toBe(1);
  });

  it("abandon() (a crash) neither completes nor releases what it holds", async () => {
    const source = new FakeSource();
    source.add("inference", "quadratic", { input: null });
    const { runner } = runnerOn(source, { plugins: [tinyPlugin({ slowMs: 300 })] });
    void runner.start();
    await until("running", () => (runner.stats.running === 1 ? true : undefined), 2_000);
    runner.abandon();
    await sleep(500);
    expect(source.count("complete") + source.count("release") + source.count("fail")).toBe(0);
  });

  it("reports a plugin's error as the job's error, and backs off when claims fail", async () => {
    const source = new FakeSource();
    source.claimFailures = 1;
    source.add("evaluate", "quadratic", { params: { x: "nope" }, seed32: 5 });
    const { runner } = runnerOn(source);
    void runner.start();
    await until("failed", () => (source.errors.size === 1 ? true : undefined), 5_000);
    await runner.stop();
    expect(source.errors.get("evaluate-1")).toContain("tiny params must be");
    expect(runner.stats.failed).toBe(1);
  });

  it("releases jobs of a domain it has no plugin for", async () => {
    const source = new FakeSource();
    source.add("inference", "other-domain", { input: null });
    const { runner, events } = runnerOn(source);
    void runner.start();
    await until("released", () => (events.some((e) => e.type === "released") ? true : undefined), 2_000);
    await runner.stop();
    expect(source.count("complete") + source.count("fail")).toBe(0);
  });

  it("prints a progress line: jobs by kind, best per domain, jobs/min", async () => {
    const source = new FakeSource();
    source.add("optimize", "quadratic", { domain: "quadratic", round: 1 });
    source.add("evaluate", "quadratic", { params: { x: [1, 2] }, seed32: 9 });
    const { runner } = runnerOn(source);
    void runner.start();
    await until("done", () => (source.results.size === 2 ? true : undefined), 5_000);
    await runner.stop();
    const line = runner.progressLine();
    expect(line).toMatch(/^test-runner: 2 done \(optimize 1, evaluate 1, inference 0\) · 0 failed · best quadratic -13\.0000 @1 · [0-9.]+ jobs\/min · 0 running$/);
  });
});

describe("the executors", () => {
  it("evaluate: the plugin's score on the data from seed32, in Fixed, with the data's canonical hash", async () => {
    const plugin = tinyPlugin();
    const out = await runEvaluate(plugin, { optimae: "ab", params: { x: [1, 2] }, reported: "0", seed: "00".repeat(32), seed32: 23, deadline: 9 });
    const data = { target: [23 % 7, 23 % 11] };
    expect(out.performance).toBe(toFixed(-((1 - 2) ** 2 + (2 - 1) ** 2)).toString());
    expect(out.dataHash).toBe(createHash("sha256").update(canonicalize(data) as string).digest("hex"));
    await expect(runEvaluate(plugin, { params: { x: [1, 2] }, seed32: -1 })).rejects.toThrow(/seed32/);
  });

  it("optimize: one island per domain, stable experiment, rounds counted, the champion adopted only when better and only every k rounds", async () => {
    let now = 1_000_000;
    const island = new Island(tinyPlugin(), { runnerId: "r 1", migrateEvery: 2, now: () => now });
    const strong: ChampionInfo = { domain: "quadratic", performance: -1, performanceFixed: "-1000000", params: { x: [2, 4] }, optimae: "c1" };
    const champions = fixedChampions([strong]);
    const asked: number[] = [];
    const ask = async () => {
      asked.push(island.roundsDone + 1);
      return champions.champion("quadratic");
    };
    const r1 = await island.round(ask); // migrates: adopts (2,4) → (3,4)
    now += 2_500;
    const r2 = await island.round(ask); // no migration
    const r3 = await island.round(ask); // migrates, but (3,4) at 0 beats −1: kept
    expect(asked).toEqual([1, 3]);
    expect(island.adoptions).toBe(1);
    expect(r1.params).toEqual({ x: [3, 4] });
    expect(r1.reported).toBe("0");
    expect([r1.roundNumber, r2.roundNumber, r3.roundNumber]).toEqual([1, 2, 3]);
    expect(r2.timeToResultSeconds).toBe(2);
    expect(r1.experimentId).toBe(r3.experimentId);
    expect(r1.experimentId).toMatch(/^r-1\.quadratic\.step\.[0-9a-z]+$/);
    expect(r1.experimentId.length).toBeLessThanOrEqual(64);
    expect(r1.optimizationConfigHash).toMatch(/^[0-9a-f]{64}$/);
    expect(r1.dataHash).toMatch(/^[0-9a-f]{64}$/);
    expect(island.best).toEqual({ params: { x: [3, 4] }, performance: -0 });
  });

  it("optimize: refuses parameters that are not integers", async () => {
    const base = tinyPlugin();
    const floaty = { ...base, optimizers: { bad: () => ({ domain: "quadratic", name: "bad", optimize: async () => ({ params: { x: [0.5, 1] }, performance: 1, evaluations: 1 }) }) } };
    const island = new Island(floaty, { runnerId: "r" });
    await expect(island.round(async () => null)).rejects.toThrow(/BAD_PARAMS/);
  });

  it("inference: the champion's params when there is one, else the runner's own best", async () => {
    const source = new FakeSource();
    source.add("inference", "quadratic", { input: "q" });
    const champ: ChampionInfo = { domain: "quadratic", performance: -5, performanceFixed: "-5000000", params: { x: [10, 20] }, optimae: "c1" };
    const { runner } = runnerOn(source, { champions: fixedChampions([champ]) });
    void runner.start();
    await until("done", () => (source.results.size === 1 ? true : undefined), 5_000);
    await runner.stop();
    expect(source.results.get("inference-1")).toEqual({ output: { sum: 30, tag: "tiny", input: "q" }, model: { source: "champion", optimae: "c1", performance: "-5000000" } });
  });
});

describe("the /tasks adapter", () => {
  const job = { id: "j1", kind: "inference" as const, domain: "quadratic", payload: null, leaseId: "a".repeat(32), leaseMs: 5_000, leaseExpiresAt: 0, attempts: 0 };

  function fakeFetch(answers: (() => Response)[]): { fetchFn: typeof fetch; bodies: unknown[] } {
    const bodies: unknown[] = [];
    const fetchFn = (async (_url: string | URL | Request, init?: RequestInit) => {
      bodies.push(init?.body === undefined ? null : JSON.parse(String(init.body)));
      const next = answers.shift();
      if (next === undefined) throw new Error("no more answers");
      return next();
    }) as typeof fetch;
    return { fetchFn, bodies };
  }
  const json = (status: number, body: unknown) => () => new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });
  const down = () => () => {
    throw new TypeError("fetch failed");
  };
  const retry = { baseMs: 1, maxMs: 2 };

  it("retries network failures and 5xx with backoff, then succeeds", async () => {
    const { fetchFn, bodies } = fakeFetch([down(), json(503, { code: "X", message: "busy" }), json(200, { jobs: [{ ...job, leaseId: job.leaseId, leaseExpiresAt: 123, attempts: 0 }] })]);
    const source = nodeTasksSource({ node: "http://n/", token: "t", runner: "r", kinds: ["inference"], domains: ["quadratic"], leaseMs: 5_000, retry, fetchFn });
    const jobs = await source.claim(3);
    expect(jobs).toHaveLength(1);
    expect(jobs[0]?.leaseExpiresAt).toBe(123);
    expect(bodies[2]).toEqual({ runner: "r", max: 3, leaseMs: 5_000, kinds: ["inference"], domains: ["quadratic"] });
  });

  it("409 LEASE_EXPIRED means someone else has the job: heartbeat false, complete lost, fail and release quiet", async () => {
    const expired = json(409, { code: "LEASE_EXPIRED", message: "lapsed" });
    const { fetchFn } = fakeFetch([expired, expired, expired, expired]);
    const source = nodeTasksSource({ node: "http://n", token: "t", runner: "r", retry, fetchFn });
    expect(await source.heartbeat({ ...job })).toBe(false);
    expect(await source.complete({ ...job }, { ok: 1 })).toBe("lost");
    await expect(source.fail({ ...job }, "x")).resolves.toBeUndefined();
    await expect(source.release({ ...job })).resolves.toBeUndefined();
  });

  it("a duplicate completion is reported as such; a bad token is an error, not a retry", async () => {
    const { fetchFn } = fakeFetch([json(200, { applied: false, duplicate: true, job: {} }), json(401, { code: "UNAUTHORIZED", message: "bad token" })]);
    const source = nodeTasksSource({ node: "http://n", token: "t", runner: "r", retry, fetchFn });
    expect(await source.complete({ ...job }, 1)).toBe("duplicate");
    await expect(source.claim(1)).rejects.toThrow(/401 UNAUTHORIZED/);
  });

  it("gives up after its tries when the network stays down", async () => {
    const { fetchFn } = fakeFetch([down(), down(), down()]);
    const source = nodeTasksSource({ node: "http://n", token: "t", runner: "r", retry: { ...retry, attempts: 3 }, fetchFn });
    await expect(source.claim(1)).rejects.toThrow(/failed after 3 tries/);
  });
});
