// The `jobs` Queue consumer (doin-jobs → TaskDO) and its producer helper.
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { JobSpec } from "../../protocol/jobs.ts";
import type { Outcome } from "../../durable-objects/rpc.ts";
import { tasksOf } from "../../durable-objects/stubs.ts";
import worker from "../../workers/index.ts";
import { enqueueJob, handleJobsBatch, retryDelaySeconds } from "../../workers/queue.ts";
import { queueRole } from "../../workers/queue-role.ts";
import { untilTrue } from "../support/until.ts";
import { message, runConsumer } from "./queue-consumer.ts";

const tasks = tasksOf(env);


function spec(id: string, over: Partial<JobSpec> = {}): JobSpec {
  return { id, kind: "optimize", domain: "quadratic", payload: { round: 1 }, ...over };
}

/** Runs the consumer on a batch; `delays` are the retry options it gave. */
const run = (messages: ReturnType<typeof message>[], e: Env = env) => runConsumer("doin-jobs", messages, (batch) => handleJobsBatch(batch, e));

describe("jobs queue consumer", () => {
  it("moves valid job specs into TaskDO and acks them; a duplicate makes one job", async () => {
    const result = await run([message("m1", spec("q-1")), message("m2", spec("q-2", { kind: "evaluate", notify: "quorum", priority: 3 })), message("m3", spec("q-1"))]);
    expect(result.explicitAcks.sort()).toEqual(["m1", "m2", "m3"]);
    expect(result.retryMessages).toEqual([]);
    expect(result.retryBatch.retry).toBe(false);
    const a = await tasks.get("q-1");
    const b = await tasks.get("q-2");
    expect(a.ok && a.value).toMatchObject({ kind: "optimize", status: "pending", priority: 10, payload: { round: 1 } });
    expect(b.ok && b.value).toMatchObject({ kind: "evaluate", notify: "quorum", priority: 3 });
  });

  it("acks poison messages without retrying them", async () => {
    const poison = [
      "hello",
      null,
      42,
      { id: "p-1" },
      { ...spec("p-2"), kind: "mine" },
      { ...spec("p-3"), extra: true },
      { ...spec("p 4") },
      { ...spec("p-5"), maxAttempts: 1000 },
    ];
    const result = await run([...poison.map((b, i) => message(`bad-${i}`, b)), message("good", spec("q-good"))]);
    expect(result.explicitAcks.sort()).toEqual([...poison.map((_, i) => `bad-${i}`), "good"].sort());
    expect(result.retryMessages).toEqual([]);
    expect((await tasks.get("q-good")).ok).toBe(true);
    for (const id of ["p-1", "p-2", "p-3", "p-5"]) expect((await tasks.get(id)).ok).toBe(false);
  });

  it("retries with backoff when TaskDO cannot take the job", async () => {
    const throwing = {
      ...env,
      TASKS: { idFromName: () => ({}), get: () => ({ enqueue: async () => Promise.reject(new Error("TaskDO overloaded")) }) },
    } as unknown as Env;
    const result = await run([message("t1", spec("r-1"), 1), message("t2", spec("r-2"), 4)], throwing);
    expect(result.explicitAcks).toEqual([]);
    expect(result.retryMessages.map((m) => m.msgId)).toEqual(["t1", "t2"]);
    expect(result.delays).toEqual({ t1: retryDelaySeconds(1), t2: retryDelaySeconds(4) });
    expect(retryDelaySeconds(1)).toBe(2);
    expect(retryDelaySeconds(4)).toBe(16);
    expect(retryDelaySeconds(50)).toBeLessThanOrEqual(300);

    // a temporary refusal (queue full) retries; a permanent one (malformed) is dropped
    const refusing = (code: string) =>
      ({ ...env, TASKS: { idFromName: () => ({}), get: () => ({ enqueue: async (): Promise<Outcome<never>> => ({ ok: false, code: code as never, message: "no" }) }) } }) as unknown as Env;
    const full = await run([message("f1", spec("r-3"))], refusing("MEMPOOL_FULL"));
    expect(full.retryMessages.map((m) => m.msgId)).toEqual(["f1"]);
    const malformed = await run([message("f2", spec("r-4"))], refusing("MALFORMED"));
    expect(malformed.explicitAcks).toEqual(["f2"]);
    expect(malformed.retryMessages).toEqual([]);
  });

  it("enqueueJob validates before sending", async () => {
    await expect(enqueueJob(env, { ...spec("bad"), kind: "mine" } as unknown as JobSpec)).rejects.toThrow(/not a job spec/);
    await expect(enqueueJob(env, spec("sent-1"))).resolves.toBeUndefined();
  });

  it("the Worker routes by the queue's role: a deployed node's own queue names (<network>-node<i>-jobs) reach TaskDO", async () => {
    expect([queueRole("doin-jobs"), queueRole("doin-flood"), queueRole("mainnet-node2-jobs"), queueRole("mainnet-node2-flood"), queueRole("jobs-x"), queueRole("nodejobs")]).toEqual([
      "jobs",
      "flood",
      "jobs",
      "flood",
      null,
      null,
    ]);
    const routed = await runConsumer("mainnet-node2-jobs", [message("n1", spec("routed-1"))], (batch) => worker.queue(batch, env));
    expect(routed.explicitAcks).toEqual(["n1"]);
    expect((await tasks.get("routed-1")).ok).toBe(true);
    // positive control of the refusal: a queue of no known role is acked and nothing is stored
    const stray = await runConsumer("mainnet-node2-other", [message("n2", spec("routed-2"))], (batch) => worker.queue(batch, env));
    expect(stray.retryMessages).toEqual([]);
    expect((await tasks.get("routed-2")).ok).toBe(false);
  });

  it("a real env.JOBS.send reaches TaskDO through the Worker's queue handler", async () => {
    await enqueueJob(env, spec("via-queue", { kind: "evaluate", payload: { real: true } }));
    expect(await untilTrue("the job that came through the queue", async () => (await tasks.get("via-queue")).ok, { timeoutMs: 10_000, everyMs: 50 })).toBe(true);
    const job = await tasks.get("via-queue");
    expect(job.ok && job.value).toMatchObject({ status: "pending", payload: { real: true } });
  });
});
