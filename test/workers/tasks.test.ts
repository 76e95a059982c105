// TaskDO through its real binding (env.TASKS), inside workerd: leases, expiry
// by the alarm, exactly-once results, attempts and dead jobs, release,
// eviction, and at-least-once delivery of results to the domain's sink.
import { env, evictDurableObject, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { Job, JobResultSink, JobSpec } from "../../protocol/jobs.ts";
import type { TaskDO, TaskRpc } from "../../durable-objects/task.ts";
import type { Outcome } from "../../durable-objects/rpc.ts";
import { untilTrue } from "../support/until.ts";

let counter = 0;
/** A TaskDO instance of its own (tests in a file share storage; names keep them apart). */
function fresh(): { stub: DurableObjectStub<TaskDO>; rpc: TaskRpc } {
  const stub = env.TASKS.get(env.TASKS.idFromName(`test-${++counter}-${crypto.randomUUID()}`));
  return { stub, rpc: stub as unknown as TaskRpc };
}

function value<T>(o: Outcome<T>): T {
  if (!o.ok) throw new Error(`expected success, got ${o.code}: ${o.message}`);
  return o.value;
}

/** Lease mechanics do not depend on the kind: inference jobs, whose result may be any JSON (results by kind: below). */
function spec(id: string, over: Partial<JobSpec> = {}): JobSpec {
  return { id, kind: "inference", domain: "quadratic", payload: { x: [1, 2, 3] }, ...over };
}

/** Raw row status, read without sweeping (what the alarm has or has not done yet). */
async function rawStatus(stub: DurableObjectStub<TaskDO>, id: string): Promise<{ status: string; attempts: number } | undefined> {
  return runInDurableObject(stub, (_i, state) => state.storage.sql.exec<{ status: string; attempts: number }>(`SELECT status, attempts FROM jobs WHERE id = ?`, id).toArray()[0]);
}

/** Makes a job's lease lapse now (instead of waiting for it). */
async function lapse(stub: DurableObjectStub<TaskDO>, id: string): Promise<void> {
  await runInDurableObject(stub, (_i, state) => {
    state.storage.sql.exec(`UPDATE jobs SET lease_expires_at = ? WHERE id = ?`, Date.now() - 1, id);
  });
}

const until = (what: () => Promise<boolean>, ms = 10_000) => untilTrue("the task condition", what, { timeoutMs: ms, everyMs: 50 });

describe("TaskDO: enqueue", () => {
  it("is idempotent by id, with defaults by kind", async () => {
    const { rpc } = fresh();
    const a = value(await rpc.enqueue(spec("e1", { kind: "evaluate" })));
    expect(a.created).toBe(true);
    expect(a.job).toMatchObject({ id: "e1", status: "pending", attempts: 0, priority: 0, maxAttempts: 5, notify: "none", leaseId: null, result: null });
    const b = value(await rpc.enqueue(spec("e1", { payload: "something else" })));
    expect(b.created).toBe(false);
    expect(b.job.payload).toEqual({ x: [1, 2, 3] });
    value(await rpc.enqueue(spec("o1", { kind: "optimize" })));
    value(await rpc.enqueue(spec("i1", { kind: "inference" })));
    expect(value(await rpc.get("o1")).priority).toBe(10);
    expect(value(await rpc.get("i1")).priority).toBe(20);
    const stats = value(await rpc.stats());
    expect(stats.total).toBe(3);
    expect(stats.byStatus).toEqual({ pending: 3, leased: 0, done: 0, dead: 0 });
    expect(stats.byKind.evaluate.pending).toBe(1);
  });

  it("refuses malformed specs and oversize payloads as values", async () => {
    const { rpc } = fresh();
    const bad: unknown[] = [
      { ...spec("m1"), kind: "mine" },
      { ...spec("m2"), extra: 1 },
      { ...spec("bad id with spaces") },
      { ...spec("m3"), priority: 1.5 },
      { ...spec("m4"), maxAttempts: 0 },
      { id: "m5", kind: "evaluate", domain: "quadratic" },
      { ...spec("m6"), payload: Number.NaN },
    ];
    for (const b of bad) {
      const o = await rpc.enqueue(b as JobSpec);
      expect(o.ok, JSON.stringify(b)).toBe(false);
      if (!o.ok) expect(o.code).toBe("MALFORMED");
    }
    const big = await rpc.enqueue(spec("big", { payload: "x".repeat(1024 * 1024 + 1) }));
    expect(big.ok ? null : big.code).toBe("TOO_LARGE");
    expect(value(await rpc.stats()).total).toBe(0);
  });

  it("maxPending caps the waiting jobs of a kind", async () => {
    const { rpc } = fresh();
    value(await rpc.enqueue(spec("p1", { kind: "inference" }), { maxPending: 2 }));
    value(await rpc.enqueue(spec("p2", { kind: "inference" }), { maxPending: 2 }));
    const third = await rpc.enqueue(spec("p3", { kind: "inference" }), { maxPending: 2 });
    expect(third.ok ? null : third.code).toBe("MEMPOOL_FULL");
    // an existing id is still answered (idempotence first)
    expect(value(await rpc.enqueue(spec("p1", { kind: "inference" }), { maxPending: 2 })).created).toBe(false);
  });
});

describe("TaskDO: claim", () => {
  it("leases by priority then age, with filters, max and fresh lease ids", async () => {
    const { rpc } = fresh();
    value(await rpc.enqueue(spec("opt-a", { kind: "optimize" })));
    value(await rpc.enqueue(spec("eval-a", { kind: "evaluate" })));
    value(await rpc.enqueue(spec("eval-b", { kind: "evaluate" })));
    value(await rpc.enqueue(spec("eval-other", { kind: "evaluate", domain: "other" })));
    value(await rpc.enqueue(spec("urgent", { kind: "optimize", priority: -1 })));

    const pend = value(await rpc.pending(10));
    expect(pend.jobs.map((j) => j.id)).toEqual(["urgent", "eval-a", "eval-b", "eval-other", "opt-a"]);
    expect(pend.total).toBe(5);
    expect(value(await rpc.pending(10, { kind: "evaluate", domain: "quadratic" })).jobs.map((j) => j.id)).toEqual(["eval-a", "eval-b"]);

    const first = value(await rpc.claim({ runner: "r1", kinds: ["evaluate"], domains: ["quadratic"], max: 16 }));
    expect(first.map((j) => j.id)).toEqual(["eval-a", "eval-b"]);
    for (const j of first) {
      expect(j.status).toBe("leased");
      expect(j.runner).toBe("r1");
      expect(j.leaseId).toMatch(/^[0-9a-f]{32}$/);
      expect(j.leaseExpiresAt! - Date.now()).toBeGreaterThan(55_000); // default 60 s
    }
    expect(first[0]!.leaseId).not.toBe(first[1]!.leaseId);

    const second = value(await rpc.claim({ runner: "r2", max: 2, leaseMs: 5_000 }));
    expect(second.map((j) => j.id)).toEqual(["urgent", "eval-other"]);
    expect(value(await rpc.claim({ runner: "r2", kinds: ["evaluate"] }))).toEqual([]);
    expect(value(await rpc.stats()).byStatus).toEqual({ pending: 1, leased: 4, done: 0, dead: 0 });
  });

  it("refuses out-of-range requests", async () => {
    const { rpc } = fresh();
    for (const req of [
      { runner: "r", max: 17 },
      { runner: "r", max: 0 },
      { runner: "r", leaseMs: 4_999 },
      { runner: "r", leaseMs: 600_001 },
      { runner: "" },
      { runner: "r", kinds: [] },
      { runner: "r", kinds: ["mine"] },
      { runner: "r", extra: true },
    ]) {
      const o = await rpc.claim(req as never);
      expect(o.ok ? null : o.code, JSON.stringify(req)).toBe("MALFORMED");
    }
  });
});

describe("TaskDO: leases", () => {
  it("claim → heartbeat → complete", async () => {
    const { rpc } = fresh();
    value(await rpc.enqueue(spec("h1")));
    const [job] = value(await rpc.claim({ runner: "r1", leaseMs: 10_000 }));
    const hb = value(await rpc.heartbeat("h1", job!.leaseId!, 120_000));
    expect(hb.leaseExpiresAt - Date.now()).toBeGreaterThan(100_000);
    expect(value(await rpc.heartbeat("h1", job!.leaseId!)).leaseExpiresAt - Date.now()).toBeLessThanOrEqual(10_000); // its own length
    const out = await rpc.heartbeat("h1", job!.leaseId!, 1_000);
    expect(out.ok ? null : out.code).toBe("MALFORMED");
    const done = value(await rpc.complete("h1", job!.leaseId!, { result: { performance: "123", dataHash: "ab" } }));
    expect(done).toMatchObject({ applied: true, duplicate: false });
    expect(done.job).toMatchObject({ status: "done", attempts: 0, result: { performance: "123", dataHash: "ab" } });
    expect(value(await rpc.get("h1")).completedAt).toBeGreaterThan(0);
    const hbAfter = await rpc.heartbeat("h1", job!.leaseId!);
    expect(hbAfter.ok ? null : hbAfter.code).toBe("LEASE_EXPIRED");
  });

  it("a lapsed lease goes back to the queue by the alarm; the stale holder gets LEASE_EXPIRED, the new one completes", async () => {
    const { stub, rpc } = fresh();
    value(await rpc.enqueue(spec("x1")));
    const [a] = value(await rpc.claim({ runner: "runner-a" }));
    await lapse(stub, "x1");
    expect(await rawStatus(stub, "x1")).toEqual({ status: "leased", attempts: 0 });
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect(await rawStatus(stub, "x1")).toEqual({ status: "pending", attempts: 1 });
    const view = value(await rpc.get("x1"));
    expect(view.error).toContain("lease of runner-a expired");

    const hb = await rpc.heartbeat("x1", a!.leaseId!);
    expect(hb.ok ? null : hb.code).toBe("LEASE_EXPIRED");
    const [b] = value(await rpc.claim({ runner: "runner-b" }));
    expect(b!.id).toBe("x1");
    expect(b!.leaseId).not.toBe(a!.leaseId);

    const stale = await rpc.complete("x1", a!.leaseId!, { result: "from a" });
    expect(stale.ok ? null : stale.code).toBe("LEASE_EXPIRED");
    const staleRelease = await rpc.release("x1", a!.leaseId!);
    expect(staleRelease.ok ? null : staleRelease.code).toBe("LEASE_EXPIRED");
    const ok = value(await rpc.complete("x1", b!.leaseId!, { result: "from b" }));
    expect(ok.applied).toBe(true);
    expect(ok.job).toMatchObject({ status: "done", result: "from b", runner: "runner-b", attempts: 1 });
    // a's retry, after b finished: a harmless duplicate, b's result stays
    const late = value(await rpc.complete("x1", a!.leaseId!, { result: "from a" }));
    expect(late).toMatchObject({ applied: false, duplicate: true });
    expect(late.job.result).toBe("from b");
  });

  it("the alarm fires by itself when a lease lapses (a killed runner loses nothing)", async () => {
    const { stub, rpc } = fresh();
    value(await rpc.enqueue(spec("k1")));
    value(await rpc.claim({ runner: "killed", leaseMs: 5_000 }));
    await until(async () => (await rawStatus(stub, "k1"))?.status === "pending", 15_000);
    expect(await rawStatus(stub, "k1")).toEqual({ status: "pending", attempts: 1 });
    expect(value(await rpc.claim({ runner: "next" })).map((j) => j.id)).toEqual(["k1"]);
  });

  it("a late result on a lapsed lease is still taken while nobody re-claimed the job", async () => {
    const { stub, rpc } = fresh();
    value(await rpc.enqueue(spec("late1")));
    const [a] = value(await rpc.claim({ runner: "slow" }));
    await lapse(stub, "late1");
    await runDurableObjectAlarm(stub);
    const o = value(await rpc.complete("late1", a!.leaseId!, { result: 7 }));
    expect(o.applied).toBe(true);
    expect(o.job).toMatchObject({ status: "done", result: 7, attempts: 1 });
    // but an error report on a lapsed lease is moot: the job was already re-queued
    value(await rpc.enqueue(spec("late2")));
    const [c] = value(await rpc.claim({ runner: "slow" }));
    await lapse(stub, "late2");
    const e = await rpc.complete("late2", c!.leaseId!, { error: "oom" });
    expect(e.ok ? null : e.code).toBe("LEASE_EXPIRED");
    expect(value(await rpc.get("late2"))).toMatchObject({ status: "pending", attempts: 1 });
  });

  it("a result completed twice is applied once", async () => {
    const { rpc } = fresh();
    value(await rpc.enqueue(spec("d1")));
    const [job] = value(await rpc.claim({ runner: "r" }));
    const first = value(await rpc.complete("d1", job!.leaseId!, { result: { v: 1 } }));
    expect(first).toMatchObject({ applied: true, duplicate: false });
    const again = value(await rpc.complete("d1", job!.leaseId!, { result: { v: 2 } }));
    expect(again).toMatchObject({ applied: false, duplicate: true });
    const other = value(await rpc.complete("d1", "0".repeat(32), { error: "late failure" }));
    expect(other).toMatchObject({ applied: false, duplicate: true });
    expect(value(await rpc.get("d1"))).toMatchObject({ status: "done", result: { v: 1 }, attempts: 0, error: null });
  });

  it("error completions count attempts, re-queue, and end dead", async () => {
    const { rpc } = fresh();
    value(await rpc.enqueue(spec("f1", { maxAttempts: 3 })));
    for (let i = 1; i <= 3; i++) {
      const [job] = value(await rpc.claim({ runner: `r${i}` }));
      expect(job?.id).toBe("f1");
      const o = value(await rpc.complete("f1", job!.leaseId!, { error: `boom ${i}` }));
      expect(o.applied).toBe(true);
      expect(o.job).toMatchObject({ attempts: i, status: i < 3 ? "pending" : "dead", error: `boom ${i}`, leaseId: null });
      const hb = await rpc.heartbeat("f1", job!.leaseId!);
      expect(hb.ok ? null : hb.code).toBe("LEASE_EXPIRED");
    }
    expect(value(await rpc.claim({ runner: "r4" }))).toEqual([]);
    expect(value(await rpc.get("f1")).completedAt).toBeGreaterThan(0);
    const stats = value(await rpc.stats());
    expect(stats.byStatus.dead).toBe(1);
    expect(stats.byKind.inference.dead).toBe(1);
  });

  it("lapsed leases count attempts too: dead after maxAttempts", async () => {
    const { stub, rpc } = fresh();
    value(await rpc.enqueue(spec("z1", { maxAttempts: 2 })));
    for (let i = 1; i <= 2; i++) {
      value(await rpc.claim({ runner: "flaky" }));
      await lapse(stub, "z1");
      await runDurableObjectAlarm(stub);
      expect(await rawStatus(stub, "z1")).toEqual({ status: i < 2 ? "pending" : "dead", attempts: i });
    }
    expect(value(await rpc.get("z1")).error).toContain("attempt 2 of 2");
  });

  it("release gives the job back without counting an attempt", async () => {
    const { rpc } = fresh();
    value(await rpc.enqueue(spec("r1")));
    const [job] = value(await rpc.claim({ runner: "leaving" }));
    const rel = value(await rpc.release("r1", job!.leaseId!));
    expect(rel.job).toMatchObject({ status: "pending", attempts: 0, leaseId: null, leaseExpiresAt: null });
    const twice = await rpc.release("r1", job!.leaseId!);
    expect(twice.ok ? null : twice.code).toBe("LEASE_EXPIRED");
    const done = await rpc.complete("r1", job!.leaseId!, { result: 1 });
    expect(done.ok ? null : done.code).toBe("LEASE_EXPIRED");
    const [again] = value(await rpc.claim({ runner: "other" }));
    expect(again).toMatchObject({ id: "r1", attempts: 0, runner: "other" });
  });

  it("unknown jobs and malformed ids are errors as values", async () => {
    const { rpc } = fresh();
    const lease = "a".repeat(32);
    for (const o of [await rpc.heartbeat("nope", lease), await rpc.complete("nope", lease, { result: 1 }), await rpc.release("nope", lease), await rpc.get("nope")]) {
      expect(o.ok ? null : o.code).toBe("UNKNOWN_JOB");
    }
    value(await rpc.enqueue(spec("u1")));
    const [job] = value(await rpc.claim({ runner: "r" }));
    for (const o of [
      await rpc.heartbeat("u1", "not-a-lease"),
      await rpc.complete("u1", job!.leaseId!, {} as never),
      await rpc.complete("u1", job!.leaseId!, { result: 1, error: "x" } as never),
      await rpc.complete("u1", job!.leaseId!, { error: "" }),
      await rpc.get("has space"),
      await rpc.pending(0),
    ]) {
      expect(o.ok ? null : o.code).toBe("MALFORMED");
    }
  });

  it("keeps its jobs and leases across eviction", async () => {
    const name = `evict-${crypto.randomUUID()}`;
    const stub = env.TASKS.get(env.TASKS.idFromName(name));
    const rpc = stub as unknown as TaskRpc;
    value(await rpc.enqueue(spec("v1")));
    value(await rpc.enqueue(spec("v2")));
    const [job] = value(await rpc.claim({ runner: "r" }));
    await evictDurableObject(stub);
    const again = env.TASKS.get(env.TASKS.idFromName(name)) as unknown as TaskRpc;
    expect(value(await again.get("v1"))).toMatchObject({ status: "leased", leaseId: job!.leaseId });
    expect(value(await again.complete("v1", job!.leaseId!, { result: "survived" })).applied).toBe(true);
    expect(value(await again.pending(10)).jobs.map((j) => j.id)).toEqual(["v2"]);
    expect(value(await again.stats()).byStatus).toEqual({ pending: 1, leased: 0, done: 1, dead: 0 });
  });

  it("forgets finished jobs after the retention period", async () => {
    const { stub, rpc } = fresh();
    value(await rpc.enqueue(spec("g1")));
    const [job] = value(await rpc.claim({ runner: "r" }));
    value(await rpc.complete("g1", job!.leaseId!, { result: 1 }));
    await runInDurableObject(stub, (_i, state) => {
      state.storage.sql.exec(`UPDATE jobs SET completed_at = ? WHERE id = 'g1'`, Date.now() - 8 * 24 * 3600_000);
    });
    await runDurableObjectAlarm(stub);
    const gone = await rpc.get("g1");
    expect(gone.ok ? null : gone.code).toBe("UNKNOWN_JOB");
  });
});

describe("TaskDO: results for the quorum", () => {
  it("delivers a result at least once, retrying a failed delivery from the alarm", async () => {
    const { stub, rpc } = fresh();
    const calls: Job[] = [];
    let failing = true;
    let failures = 0;
    await runInDurableObject(stub, (instance) => {
      const sink: JobResultSink = {
        async onJobResult(job) {
          if (failing) {
            failures++;
            throw new Error("quorum not ready");
          }
          calls.push(job);
        },
      };
      (instance as unknown as { resultSink: (domain: string) => JobResultSink }).resultSink = () => sink;
    });
    value(await rpc.enqueue(spec("q1", { notify: "quorum" })));
    value(await rpc.enqueue(spec("q2")));
    const jobs = value(await rpc.claim({ runner: "r", max: 2 }));
    for (const j of jobs) value(await rpc.complete(j.id, j.leaseId!, { result: { performance: "5" } }));
    await until(async () => failures >= 1);
    expect(value(await rpc.stats()).undelivered).toBe(1);
    const outbox = await runInDurableObject(stub, (_i, state) => state.storage.sql.exec<{ tries: number; last_error: string }>(`SELECT tries, last_error FROM outbox`).toArray());
    expect(outbox).toEqual([{ tries: 1, last_error: "quorum not ready" }]);

    failing = false;
    await runInDurableObject(stub, (_i, state) => {
      state.storage.sql.exec(`UPDATE outbox SET next_at = ?`, Date.now() - 1);
    });
    await runDurableObjectAlarm(stub);
    await until(async () => calls.length === 1);
    expect(calls[0]).toMatchObject({ id: "q1", status: "done", domain: "quadratic", result: { performance: "5" } });
    expect(value(await rpc.stats()).undelivered).toBe(0);
    // a duplicate completion delivers nothing more
    value(await rpc.complete("q1", jobs[0]!.leaseId!, { result: { performance: "5" } }));
    await runDurableObjectAlarm(stub);
    expect(calls.length).toBe(1);
  });

  it("does not repeat a delivery that is still in flight", async () => {
    const { stub, rpc } = fresh();
    let invoked = 0;
    let open!: () => void;
    const gate = new Promise<void>((r) => (open = r));
    await runInDurableObject(stub, (instance) => {
      const sink: JobResultSink = {
        async onJobResult() {
          invoked++;
          await gate;
        },
      };
      (instance as unknown as { resultSink: (domain: string) => JobResultSink }).resultSink = () => sink;
    });
    value(await rpc.enqueue(spec("slow-q", { notify: "quorum" })));
    const [job] = value(await rpc.claim({ runner: "r" }));
    value(await rpc.complete("slow-q", job!.leaseId!, { result: 1 }));
    await until(async () => invoked === 1);
    await runDurableObjectAlarm(stub);
    await runDurableObjectAlarm(stub);
    expect(invoked).toBe(1);
    expect(value(await rpc.stats()).undelivered).toBe(1);
    open();
    await until(async () => value(await rpc.stats()).undelivered === 0);
    expect(invoked).toBe(1);
  });

  it("delivers to the domain's real QuorumDO", async () => {
    const { rpc } = fresh();
    value(await rpc.enqueue(spec("real-q", { domain: "quadratic", notify: "quorum" })));
    const [job] = value(await rpc.claim({ runner: "r" }));
    // a result the QuorumDO ignores (not an object): delivery succeeds without side effects
    value(await rpc.complete("real-q", job!.leaseId!, { result: "not-an-evaluation" }));
    await until(async () => value(await rpc.stats()).undelivered === 0);
  });
});

describe("TaskDO: what runners may report, expiry, dead letters", () => {
  const HASH = "ab".repeat(32);

  it("takes a result only if it fits its kind's schema: the job stays leased and nothing is stored otherwise", async () => {
    const { rpc } = fresh();
    value(await rpc.enqueue(spec("ev", { kind: "evaluate" })));
    value(await rpc.enqueue(spec("op", { kind: "optimize" })));
    const jobs = value(await rpc.claim({ runner: "r", max: 2 }));
    const lease = (id: string) => jobs.find((j) => j.id === id)!.leaseId!;
    const refused: [string, unknown][] = [
      ["ev", { performance: "NaN", dataHash: HASH }],
      ["ev", { performance: "1" + "0".repeat(308), dataHash: HASH }],
      ["ev", { performance: 5, dataHash: HASH }],
      ["ev", { performance: "5", dataHash: "xy" }],
      ["ev", { performance: "5", dataHash: HASH, extra: 1 }],
      ["op", { params: { x: [1] }, reported: "NaN" }],
      ["op", { params: { x: [1.5] }, reported: "1" }],
      ["op", { params: { x: Array.from({ length: 2000 }, (_, i) => i) }, reported: "1" }], // over the domain's 4096 bytes
      ["op", { reported: "1" }],
    ];
    for (const [id, result] of refused) {
      const o = await rpc.complete(id, lease(id), { result: result as never });
      expect(o.ok ? "taken" : o.code, JSON.stringify(result).slice(0, 80)).toBe("MALFORMED");
    }
    for (const id of ["ev", "op"]) expect(value(await rpc.get(id))).toMatchObject({ status: "leased", result: null });
    // the same jobs with results that fit
    expect(value(await rpc.complete("ev", lease("ev"), { result: { performance: "-1250000", dataHash: HASH } })).applied).toBe(true);
    expect(value(await rpc.complete("op", lease("op"), { result: { params: { x: [1, -2] }, reported: "-5", experimentId: "e.1", roundNumber: 1 } })).applied).toBe(true);
  });

  it("claims verification first, then optimization, inference last", async () => {
    const { rpc } = fresh();
    value(await rpc.enqueue(spec("inf", { kind: "inference" })));
    value(await rpc.enqueue(spec("opt", { kind: "optimize" })));
    value(await rpc.enqueue(spec("ev", { kind: "evaluate" })));
    expect(value(await rpc.claim({ runner: "r", max: 3 })).map((j) => j.id)).toEqual(["ev", "opt", "inf"]);
  });

  it("a pending job past its ttl expires (dead, 'expired'); a claimed one is not expired", async () => {
    const { stub, rpc } = fresh();
    value(await rpc.enqueue(spec("t1", { ttlMs: 60_000 })));
    value(await rpc.enqueue(spec("t2", { ttlMs: 60_000 })));
    const [claimed] = value(await rpc.claim({ runner: "r" }));
    await runInDurableObject(stub, (_i, state) => {
      state.storage.sql.exec(`UPDATE jobs SET expires_at = ?`, Date.now() - 1);
    });
    await runDurableObjectAlarm(stub);
    const other = claimed!.id === "t1" ? "t2" : "t1";
    expect(value(await rpc.get(other))).toMatchObject({ status: "dead", error: expect.stringContaining("expired") });
    expect(value(await rpc.get(claimed!.id)).status).toBe("leased");
    expect(value(await rpc.claim({ runner: "r" }))).toEqual([]);
  });

  it("a result its sink keeps refusing is moved to the dead letters after 5 tries, counted and listed in stats", async () => {
    const { stub, rpc } = fresh();
    let tries = 0;
    await runInDurableObject(stub, (instance) => {
      const sink: JobResultSink = {
        async onJobResult() {
          tries++;
          throw new Error("cannot act on this result");
        },
      };
      (instance as unknown as { resultSink: (domain: string) => JobResultSink }).resultSink = () => sink;
    });
    value(await rpc.enqueue(spec("dl", { notify: "quorum" })));
    const [job] = value(await rpc.claim({ runner: "r" }));
    value(await rpc.complete("dl", job!.leaseId!, { result: { any: "thing" } }));
    for (let i = 0; i < 10 && value(await rpc.stats()).undelivered > 0; i++) {
      await until(async () => tries > i);
      await runInDurableObject(stub, (_i, state) => {
        state.storage.sql.exec(`UPDATE outbox SET next_at = ?`, Date.now() - 1);
      });
      await runDurableObjectAlarm(stub);
    }
    const stats = value(await rpc.stats());
    expect(tries).toBe(5);
    expect(stats.undelivered).toBe(0);
    expect(stats.deadLetters.count).toBe(1);
    expect(stats.deadLetters.latest[0]).toMatchObject({ jobId: "dl", kind: "inference", tries: 5, error: "cannot act on this result" });
    // nothing is retried any more
    await runDurableObjectAlarm(stub);
    expect(tries).toBe(5);
  });
});
