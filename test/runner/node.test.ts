/**
 * Runners against a real node (`wrangler dev` on a free loopback port,
 * testnet/local-node.ts): inference requests served end to end, an optimize
 * round reported to the node, a runner killed mid-job (SIGKILL) whose job is
 * finished by another runner once its lease lapses, and a result completed
 * twice applied once.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { JsonValue } from "../../core/types.ts";
import { nodeChampions } from "../../gpu-runner/champions.ts";
import type { JobKind } from "../../gpu-runner/job-source.ts";
import { Runner, type RunnerEvent } from "../../gpu-runner/runner.ts";
import { nodeTasksSource } from "../../gpu-runner/sources/node-tasks.ts";
import { startLocalNode, type LocalNode } from "../../testnet/local-node.ts";
import { realQuadratic, ROOT, tinyPlugin, until, withLocalBin } from "./helpers.ts";

const TOKEN = "runner-test-token";
let node: LocalNode;

interface JobView {
  id: string;
  kind: string;
  status: string;
  attempts: number;
  leaseId: string | null;
  runner: string | null;
  result: JsonValue;
  error: string | null;
}

beforeAll(async () => {
  withLocalBin();
  node = await startLocalNode({ secret: randomBytes(32).toString("hex"), token: TOKEN, timeoutMs: 60_000 });
}, 90_000);

afterAll(async () => {
  await node?.stop();
}, 30_000);

const auth = { authorization: `Bearer ${TOKEN}` };

async function getJob(id: string): Promise<JobView> {
  const r = await fetch(`${node.url}/tasks/${id}`, { headers: auth });
  if (r.status !== 200) throw new Error(`GET /tasks/${id}: ${r.status} ${await r.text()}`);
  return (await r.json()) as JobView;
}

async function requestInference(input: JsonValue, nonce?: string): Promise<string> {
  const r = await fetch(`${node.url}/inference`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ domain: "quadratic", input, ...(nonce === undefined ? {} : { nonce }) }),
  });
  expect(r.status).toBe(202);
  return ((await r.json()) as { jobId: string }).jobId;
}

function inProcessRunner(name: string, kinds: JobKind[], tag: string): { runner: Runner; events: RunnerEvent[] } {
  const events: RunnerEvent[] = [];
  const runner = new Runner({
    id: name,
    source: nodeTasksSource({ node: node.url, token: TOKEN, runner: name, kinds, domains: ["quadratic"], leaseMs: 5_000 }),
    plugins: [tinyPlugin({ tag })],
    champions: nodeChampions({ node: node.url }),
    pollMs: 200,
    progressMs: 0,
    log: () => undefined,
    onEvent: (e) => events.push(e),
  });
  void runner.start();
  return { runner, events };
}

describe("a runner against a real node", () => {
  it("serves a public inference request: POST /inference → claimed, completed → GET /inference/{id} shows the result", async () => {
    const { runner } = inProcessRunner("runner-a", ["inference"], "a");
    try {
      const id = await requestInference({ q: 1 });
      const view = await until(
        "the inference done",
        async () => {
          const v = (await (await fetch(`${node.url}/inference/${id}`)).json()) as { status: string; result: JsonValue };
          return v.status === "done" ? v : undefined;
        },
        { timeoutMs: 30_000, everyMs: 200 },
      );
      // no champion on a fresh chain: the plugin ran without a model (the tiny plugin's default)
      expect(view.result).toEqual({ output: { sum: 0, tag: "a", input: { q: 1 } }, model: { source: "none" } });
    } finally {
      await runner.stop();
    }
  });

  it("runs the node's optimize job and reports the claim the node commits to", async () => {
    const { runner, events } = inProcessRunner("runner-opt", ["optimize"], "opt");
    try {
      // the scheduled handler keeps an optimize job waiting for this node's runners (OPTIMIZE_DOMAINS=quadratic)
      expect((await fetch(`${node.url}/__scheduled`)).status).toBe(200);
      const done = await until("an optimize result", () => events.find((e) => e.type === "completed" && e.job.kind === "optimize"), { timeoutMs: 30_000, everyMs: 200 });
      if (done.type !== "completed") throw new Error("unreachable");
      expect(done.outcome).toBe("applied");
      const job = await getJob(done.job.id);
      expect(job.status).toBe("done");
      expect(job.runner).toBe("runner-opt");
      const r = job.result as Record<string, JsonValue>;
      expect(r["params"]).toEqual({ x: [1, 1] });
      expect(r["reported"]).toBe("-13000000");
      expect(r["roundNumber"]).toBe(1);
      expect(r["experimentId"]).toMatch(/^runner-opt\.quadratic\.step\.[0-9a-z]+$/);
      expect(r["optimizationConfigHash"]).toMatch(/^[0-9a-f]{64}$/);
      expect(r["dataHash"]).toMatch(/^[0-9a-f]{64}$/);
      expect(Number.isInteger(r["timeToResultSeconds"])).toBe(true);
    } finally {
      await runner.stop();
    }
  });

  it("the real quadratic plugin (plugins/registry.ts): a cmaes round for the node, then inference with the runner's own best", async () => {
    const quadratic = realQuadratic();
    const events: RunnerEvent[] = [];
    const runner = new Runner({
      id: "runner-q",
      source: nodeTasksSource({ node: node.url, token: TOKEN, runner: "runner-q", kinds: ["optimize", "inference"], domains: ["quadratic"], leaseMs: 10_000 }),
      plugins: [quadratic],
      champions: nodeChampions({ node: node.url }),
      island: { optimizer: "cmaes", budget: 10 },
      pollMs: 200,
      progressMs: 0,
      log: () => undefined,
      onEvent: (e) => events.push(e),
    });
    void runner.start();
    try {
      expect((await fetch(`${node.url}/__scheduled`)).status).toBe(200);
      const done = await until("a cmaes round", () => events.find((e) => e.type === "completed" && e.job.kind === "optimize"), { timeoutMs: 30_000, everyMs: 200 });
      if (done.type !== "completed") throw new Error("unreachable");
      const r = done.result as { params: { x: number[] }; reported: string; experimentId: string };
      expect(r.params.x).toHaveLength(10);
      expect(r.params.x.every((v) => Number.isSafeInteger(v))).toBe(true);
      expect(r.experimentId).toMatch(/^runner-q\.quadratic\.cmaes\./);
      // the claim is the plugin's own measurement of the params it returns
      const claimed = await quadratic.inference.evaluate(r.params, null);
      expect(BigInt(r.reported)).toBe(BigInt(Math.round(claimed * 1e6)));

      const target = [1, 2, 3, 4, 5, -1, -2, -3, -4, -5];
      const id = await requestInference({ target });
      const view = await until("the inference done", async () => {
        const v = (await (await fetch(`${node.url}/inference/${id}`)).json()) as { status: string; result: { output: { loss: number }; model: { source: string } } };
        return v.status === "done" ? v : undefined;
      }, { timeoutMs: 30_000, everyMs: 200 });
      expect(view.result.model.source).toBe("runner");
      const x = r.params.x.map((v) => v / 1e6);
      expect(view.result.output.loss).toBeCloseTo(x.reduce((a, xi, i) => a + (xi - (target[i] as number)) ** 2, 0), 6);
    } finally {
      await runner.stop();
    }
  });

  it("a runner killed mid-job loses nothing: once its lease lapses another runner finishes the job, once", async () => {
    const id = await requestInference({ q: "crash" }, "crash-test");
    let log = "";
    const child: ChildProcess = spawn(
      "tsx",
      ["gpu-runner/main.ts", "--node", node.url, "--token", TOKEN, "--name", "crashy", "--kinds", "inference", "--lease-ms", "5000", "--poll-ms", "200", "--progress-ms", "0", "--plugin", "./test/runner/fixtures/tiny-plugin.ts"],
      { cwd: ROOT, detached: true, env: { ...process.env, TINY_SLOW_MS: "600000", TINY_TAG: "crashy" }, stdio: ["ignore", "pipe", "pipe"] },
    );
    child.stdout?.on("data", (c) => (log += String(c)));
    child.stderr?.on("data", (c) => (log += String(c)));
    let held: JobView;
    try {
      held = await until("the job leased by the runner process", async () => {
        const j = await getJob(id);
        return j.status === "leased" && j.runner === "crashy" ? j : undefined;
      }, { timeoutMs: 45_000, everyMs: 200 });
    } catch (e) {
      process.kill(-(child.pid as number), "SIGKILL");
      throw new Error(`${String(e)}\nrunner log:\n${log}`);
    }
    // kill -9 the whole process group (tsx and its node): no release, no completion, heartbeats stop
    const exited = new Promise((r) => child.once("exit", r));
    process.kill(-(child.pid as number), "SIGKILL");
    await exited;
    expect((await getJob(id)).status).toBe("leased");

    const { runner, events } = inProcessRunner("rescuer", ["inference"], "rescuer");
    try {
      const done = await until("the job done by the second runner", async () => {
        const j = await getJob(id);
        return j.status === "done" ? j : undefined;
      }, { timeoutMs: 30_000, everyMs: 200 });
      expect(done.runner).toBe("rescuer");
      expect(done.attempts).toBe(1); // the lapsed lease, counted once
      expect(done.result).toEqual({ output: { sum: 0, tag: "rescuer", input: { q: "crash" } }, model: { source: "none" } });
      expect(events.filter((e) => e.type === "completed" && e.job.id === id)).toHaveLength(1);

      // the dead runner's lease is worth nothing now: a late result is a harmless duplicate
      const late = await fetch(`${node.url}/tasks/complete`, {
        method: "POST",
        headers: { ...auth, "content-type": "application/json" },
        body: JSON.stringify({ jobId: id, leaseId: held.leaseId, result: { output: "late" } }),
      });
      expect(late.status).toBe(200);
      expect(await late.json()).toMatchObject({ applied: false, duplicate: true });
      expect((await getJob(id)).result).toEqual(done.result);
    } finally {
      await runner.stop();
    }
  });

  it("a result completed twice is applied once", async () => {
    const id = await requestInference({ q: "twice" }, "dup-test");
    const source = nodeTasksSource({ node: node.url, token: TOKEN, runner: "direct", kinds: ["inference"], domains: ["quadratic"], leaseMs: 5_000 });
    const job = await until("the job claimed", async () => (await source.claim(16)).find((j) => j.id === id), { timeoutMs: 10_000, everyMs: 200 });
    expect(await source.complete(job, { n: 1 })).toBe("applied");
    expect(await source.complete(job, { n: 2 })).toBe("duplicate");
    const view = (await (await fetch(`${node.url}/inference/${id}`)).json()) as { status: string; result: JsonValue };
    expect(view).toMatchObject({ status: "done", result: { n: 1 } });
    // the same request again (same nonce) is the same job, already answered
    expect(await requestInference({ q: "twice" }, "dup-test")).toBe(id);
  });

  it("SIGTERM stops a runner process cleanly: running jobs get the grace period, the rest go back without an attempt", async () => {
    const id = await requestInference({ q: "sigterm" }, "sigterm-test");
    let log = "";
    const child: ChildProcess = spawn(
      "tsx",
      ["gpu-runner/main.ts", "--node", node.url, "--token", TOKEN, "--name", "graceful", "--kinds", "inference", "--lease-ms", "5000", "--poll-ms", "200", "--grace-ms", "500", "--progress-ms", "0", "--plugin", "./test/runner/fixtures/tiny-plugin.ts"],
      { cwd: ROOT, detached: true, env: { ...process.env, TINY_SLOW_MS: "600000", TINY_TAG: "graceful" }, stdio: ["ignore", "pipe", "pipe"] },
    );
    child.stdout?.on("data", (c) => (log += String(c)));
    child.stderr?.on("data", (c) => (log += String(c)));
    const exited = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
    try {
      await until("the job leased by the runner process", async () => {
        const j = await getJob(id);
        return j.status === "leased" && j.runner === "graceful" ? j : undefined;
      }, { timeoutMs: 45_000, everyMs: 200 });
      child.kill("SIGTERM"); // tsx passes it on to the runner
      const code = await Promise.race([exited, new Promise<string>((r) => setTimeout(() => r("still running"), 15_000))]);
      expect(code, log).toBe(0);
      const j = await getJob(id);
      expect(j.status).toBe("pending");
      expect(j.attempts).toBe(0);
      expect(log).toContain("graceful: SIGTERM: stopping");
      expect(log).toMatch(/graceful: 0 done .* 1 released/);
    } finally {
      if (child.exitCode === null && child.signalCode === null) process.kill(-(child.pid as number), "SIGKILL");
    }
  });
});
