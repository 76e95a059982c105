/**
 * The external-process plugin and the Python reference worker
 * (gpu-runner/python/doin_worker.py, standard library here; PyTorch and CUDA
 * where they exist): answers agree with the TypeScript quadratic domain, bad
 * input gets error replies, and crashes, kills, timeouts and oversized lines
 * are recovered by a restart.
 */
import { spawn } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { JsonValue } from "../../core/types.ts";
import { runEvaluate } from "../../gpu-runner/executors.ts";
import { externalDomainPlugin } from "../../gpu-runner/external-plugin.ts";
import { splitCommand, WorkerProcess } from "../../gpu-runner/worker-process.ts";
import { packF64, unpackF64, WorkerError, type WorkerHello } from "../../gpu-runner/worker-protocol.ts";
import { Runner } from "../../gpu-runner/runner.ts";
import { FakeSource, noChampions, realQuadratic, ROOT, sleep, until } from "./helpers.ts";

const WORKER = "python3 gpu-runner/python/doin_worker.py";
const quiet = () => undefined;
const newWorker = (extra: Partial<ConstructorParameters<typeof WorkerProcess>[0]> = {}) =>
  new WorkerProcess({ command: WORKER, cwd: ROOT, requestTimeoutMs: 10_000, restartDelayMs: 50, log: quiet, ...extra });

function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (Math.imul(a, 1664525) + 1013904223) >>> 0;
    return a / 2 ** 32;
  };
}

/** −Σ(x − t)², computed here */
const negSse = (x: readonly number[], t: readonly number[]) => -x.reduce((s, xi, j) => s + (xi - (t[j] as number)) ** 2, 0);
/** quadratic params on the wire: {x: integers × 10⁶} */
const encode = (x: readonly number[]): JsonValue => ({ x: x.map((v) => Math.round(v * 1_000_000)) });

function expectClose(a: number, b: number): void {
  expect(Math.abs(a - b)).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(b)));
}

let worker: WorkerProcess;
let hello: WorkerHello;

beforeAll(async () => {
  worker = newWorker();
  hello = await worker.start();
}, 60_000);

afterAll(async () => {
  await worker?.close();
});

describe("the Python reference worker", () => {
  it("says hello: protocol 1, its device and torch, its methods and domains", () => {
    expect(hello.protocol).toBe(1);
    expect(["cpu", "cuda"]).toContain(hello.device);
    expect(hello.torch === null || typeof hello.torch === "string").toBe(true);
    for (const m of ["hello", "evaluate", "evaluate_batch", "generate", "infer"]) expect(hello.methods).toContain(m);
    expect(hello.domains.find((d) => d.id === "quadratic")).toMatchObject({ dim: 10, paramsKey: "x", paramsScale: 1_000_000, higherIsBetter: true });
  });

  it("evaluate_batch scores a batch as −Σ(x − t)², as computed here", async () => {
    const r = rng(7);
    const target = Array.from({ length: 10 }, () => r() * 10 - 5);
    const candidates = Array.from({ length: 256 }, () => Array.from({ length: 10 }, () => r() * 20 - 10));
    const reply = (await worker.request("evaluate_batch", { domain: "quadratic", candidates, data: { target } })) as { values: number[] };
    expect(reply.values).toHaveLength(256);
    reply.values.forEach((v, i) => expectClose(v, negSse(candidates[i] as number[], target)));
    const empty = (await worker.request("evaluate_batch", { domain: "quadratic", candidates: [], data: { target } })) as { values: number[] };
    expect(empty.values).toEqual([]);
    // packed float64 rows (base64, little-endian) give the same numbers, both ways
    const packed = (await worker.request("evaluate_batch", { domain: "quadratic", candidates_f64: packF64(candidates, 10), data: { target }, encoding: "f64" })) as {
      values_f64: string;
      count: number;
    };
    expect(packed.count).toBe(256);
    expect(Array.from(unpackF64(packed.values_f64))).toEqual(reply.values);
    const nan = await worker.request("evaluate_batch", { candidates_f64: packF64([[Number.NaN, 0, 0, 0, 0, 0, 0, 0, 0, 0]], 10), data: { target } }).catch((e: unknown) => e);
    expect((nan as WorkerError).code).toBe("BAD_INPUT");
    const ragged = await worker.request("evaluate_batch", { candidates_f64: "AAAA", data: { target } }).catch((e: unknown) => e);
    expect((ragged as WorkerError).code).toBe("BAD_INPUT");
    // protocol params too, and evaluate (one candidate) agrees
    const x = [1.5, -2, 0.25, 3, 4, -4.5, 0, 1, 2, -1];
    const one = (await worker.request("evaluate", { domain: "quadratic", params: encode(x), data: { target } })) as { value: number };
    expectClose(one.value, negSse(x, target));
  });

  it("generate, evaluate and infer agree with the real quadratic plugin", async () => {
    const quadratic = realQuadratic();
    for (const seed of [0, 1, 42, 123_456_789, 0xffffffff]) {
      const reply = (await worker.request("generate", { domain: "quadratic", seed, config: {} })) as { data: { target: number[] } };
      const ts = (await quadratic.synthetic.generate(seed, {})) as { target: number[] };
      // the same generator and the same formulas; log/sin/cos are CPython's libm there and V8's fdlibm here: a few ulps apart at most
      expect({ ...reply.data, target: null }).toEqual({ ...ts, target: null });
      reply.data.target.forEach((t, i) => expect(Math.abs(t - (ts.target[i] as number))).toBeLessThan(1e-12));
    }
    const data = await quadratic.synthetic.generate(5, {});
    const params = encode([1.5, -2, 0.25, 3, 4, -4.5, 0, 1, 2, -1]);
    const reply = (await worker.request("evaluate", { domain: "quadratic", params, data })) as { value: number };
    expectClose(reply.value, await quadratic.inference.evaluate(params, data));
    for (const input of [{ target: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10] }, { other: 1 }]) {
      const out = (await worker.request("infer", { domain: "quadratic", params, input })) as { output: JsonValue };
      expect(out.output).toEqual(await quadratic.inference.infer(params, input));
    }
  });

  it("answers bad input with error replies and keeps serving", async () => {
    const pid = worker.pid;
    const bad: [string, JsonValue, string][] = [
      ["evaluate", { params: { x: [1, 2] }, data: { target: [] } }, "BAD_INPUT"],
      ["evaluate_batch", { candidates: "no", data: {} }, "BAD_INPUT"],
      ["evaluate_batch", { candidates: [[1, 2, 3]], data: { target: [0, 0, 0, 0, 0, 0, 0, 0, 0, 0] } }, "BAD_INPUT"],
      ["generate", { seed: -1 }, "BAD_INPUT"],
      ["generate", { domain: "mnist", seed: 1 }, "UNKNOWN_DOMAIN"],
      ["no_such_method", {}, "UNKNOWN_METHOD"],
      ["evaluate", [1, 2] as JsonValue, "BAD_REQUEST"],
    ];
    for (const [method, params, code] of bad) {
      const e = await worker.request(method, params).catch((err: unknown) => err);
      expect(e).toBeInstanceOf(WorkerError);
      expect((e as WorkerError).code).toBe(code);
      expect((e as WorkerError).transport).toBe(false);
    }
    expect(worker.pid).toBe(pid);
    expect(worker.restarts).toBe(0);
  });

  it("skips a request line longer than its limit, says so, and keeps serving", async () => {
    const child = spawn("python3", ["gpu-runner/python/doin_worker.py"], { cwd: ROOT, env: { ...process.env, DOIN_WORKER_MAX_LINE_BYTES: "1000", DOIN_WORKER_BACKEND: "python" } });
    let out = "";
    child.stdout.on("data", (c: Buffer) => (out += c.toString()));
    child.stdin.write(`{"id":1,"method":"sleep","params":{"pad":"${"x".repeat(5000)}"}}\n`);
    child.stdin.write(`{"id":2,"method":"hello"}\n`);
    await until("two replies", () => (out.split("\n").filter((l) => l !== "").length >= 2 ? true : undefined), 10_000);
    child.stdin.end();
    const [first, second] = out.split("\n").map((l) => (l === "" ? null : (JSON.parse(l) as { id: unknown; error?: { code: string }; result?: unknown })));
    expect(first).toMatchObject({ id: null, error: { code: "LINE_TOO_LONG" } });
    expect(second).toMatchObject({ id: 2, result: { protocol: 1 } });
  });
});

describe("restarts", () => {
  it("a crash fails the pending requests cleanly, and the next request runs on a restarted worker", async () => {
    const w = newWorker();
    await w.start();
    const pid = w.pid;
    // one request at a time in the worker: the hello waits behind the crash and is never answered
    const crash = w.request("crash", {}).catch((e: unknown) => e);
    const queued = w.request("hello", {}).catch((e: unknown) => e);
    expect(((await crash) as WorkerError).code).toBe("WORKER_CRASHED");
    expect(((await queued) as WorkerError).code).toBe("WORKER_CRASHED");
    const again = (await w.request("evaluate_batch", { candidates: [[0, 0, 0, 0, 0, 0, 0, 0, 0, 1]], data: { target: [0, 0, 0, 0, 0, 0, 0, 0, 0, 0] } })) as { values: number[] };
    expect(again.values).toEqual([-1]);
    expect(w.pid).not.toBe(pid);
    expect(w.restarts).toBe(1);
    await w.close();
  });

  it("a worker killed from outside (SIGKILL) is restarted", async () => {
    const w = newWorker();
    await w.start();
    const pid = w.pid as number;
    const pending = w.request("sleep", { ms: 10_000 }).catch((e: unknown) => e);
    await sleep(100);
    process.kill(pid, "SIGKILL");
    expect(((await pending) as WorkerError).code).toBe("WORKER_CRASHED");
    const h = (await w.request("hello", {})) as { protocol: number };
    expect(h.protocol).toBe(1);
    expect(w.pid).not.toBe(pid);
    await w.close();
  });

  it("a request that times out fails with WORKER_TIMEOUT and the stuck worker is replaced", async () => {
    const w = newWorker();
    await w.start();
    const pid = w.pid;
    const e = await w.request("sleep", { ms: 20_000 }, { timeoutMs: 300 }).catch((err: unknown) => err);
    expect((e as WorkerError).code).toBe("WORKER_TIMEOUT");
    expect(((await w.request("hello", {})) as { protocol: number }).protocol).toBe(1);
    expect(w.pid).not.toBe(pid);
    await w.close();
  });

  it("lines are bounded: a request too large is refused before it is sent; a reply too large restarts the worker", async () => {
    const w = newWorker({ maxLineBytes: 2_000 });
    await w.start();
    const pid = w.pid;
    const big = await w.request("evaluate_batch", { candidates: Array.from({ length: 100 }, () => Array.from({ length: 10 }, () => 1.2345678)), data: { target: [] } }).catch((e: unknown) => e);
    expect((big as WorkerError).code).toBe("REQUEST_TOO_LARGE");
    expect(w.pid).toBe(pid);
    const huge = await w.request("filler", { bytes: 5_000 }).catch((e: unknown) => e);
    expect((huge as WorkerError).code).toBe("PROTOCOL");
    expect(((await w.request("filler", { bytes: 100 })) as { filler: string }).filler).toHaveLength(100);
    expect(w.pid).not.toBe(pid);
    expect(w.restarts).toBe(1);
    await w.close();
  });

  it("splits a command line like a shell would for words and quotes", () => {
    expect(splitCommand(`python3 "my dir/w.py" --flag 'a b' x`)).toEqual(["python3", "my dir/w.py", "--flag", "a b", "x"]);
  });
});

describe("the worker as a DomainPlugin in a runner", () => {
  it("evaluate jobs score as the TypeScript plugin does; batch_es optimizes through evaluate_batch; a dead worker falls back to the CPU", async () => {
    const base = realQuadratic();
    const w = newWorker();
    const h = await w.start();
    const domain = h.domains.find((d) => d.id === "quadratic");
    if (domain === undefined) throw new Error("worker serves no quadratic");
    const logs: string[] = [];
    const plugin = externalDomainPlugin(w, domain, { base, log: (l) => logs.push(l) });
    expect(Object.keys(plugin.optimizers)).toContain("batch_es");

    const source = new FakeSource();
    const params = encode([0, 1, 2, 3, 4, -1, -2, -3, -4, 0]);
    source.add("evaluate", "quadratic", { optimae: "o", params, reported: "0", seed: "ab".repeat(32), seed32: 99, deadline: 10 }, "eval");
    for (let i = 1; i <= 5; i++) source.add("optimize", "quadratic", { domain: "quadratic", round: i }, `opt-${i}`);
    const runner = new Runner({
      id: "gpu",
      source,
      plugins: [plugin],
      champions: noChampions,
      concurrency: 2,
      island: { optimizer: "batch_es", optimizerConfig: { population: 64 }, budget: 1024 },
      pollMs: 20,
      progressMs: 0,
      log: quiet,
    });
    void runner.start();
    await until("all six", () => (source.results.size === 6 ? true : undefined), 30_000);
    await runner.stop();
    const evaluated = source.results.get("eval") as { performance: string; dataHash: string };
    const data = await plugin.synthetic.generate(99, {});
    const target = (data as { target: number[] }).target;
    expect(BigInt(evaluated.performance)).toBe(BigInt(Math.round(negSse([0, 1, 2, 3, 4, -1, -2, -3, -4, 0], target) * 1e6)));
    if (base !== null) expect(evaluated).toEqual(await runEvaluate(base, { params, seed32: 99 }));
    const rounds = [1, 2, 3, 4, 5].map((i) => source.results.get(`opt-${i}`) as { reported: string; roundNumber: number; params: { x: number[] } });
    const byRound = [...rounds].sort((a, b) => a.roundNumber - b.roundNumber);
    expect(byRound.map((r) => r.roundNumber)).toEqual([1, 2, 3, 4, 5]);
    // from a random start in [−10, 10]¹⁰ (SSE in the hundreds), five rounds of 16 batches of 64 get within 1 of the target
    expect(BigInt(byRound[4]?.reported ?? "0")).toBeGreaterThan(-1_000_000n);
    expect(byRound[4]?.params.x).toHaveLength(10);

    // the worker gone for good: evaluations run on the TypeScript plugin
    await w.close();
    if (base !== null) {
      expect(await plugin.inference.evaluate(params, data)).toBe(await base.inference.evaluate(params, data));
      expect(logs.some((l) => l.includes("using the TypeScript plugin"))).toBe(true);
    } else {
      await expect(plugin.inference.evaluate(params, data)).rejects.toThrow(/WORKER_CLOSED/);
    }
  });
});
