// The /tasks runner endpoints and /inference over HTTP, on an app built here
// (createNodeApp + registerTaskRoutes), against the node's real TaskDO.
import { env, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { Job, JobSpec } from "../../protocol/jobs.ts";
import type { TaskDO } from "../../durable-objects/task.ts";
import { tasksOf } from "../../durable-objects/stubs.ts";
import { createNodeApp } from "../../workers/http.ts";
import { registerTaskRoutes } from "../../workers/routes/tasks.ts";

const app = createNodeApp();
registerTaskRoutes(app);
app.doc31("/openapi.json", { openapi: "3.1.0", info: { title: "test", version: "1" } });

const TOKEN = "test-runner-token";
const tasks = tasksOf(env);
const tasksRaw = () => env.TASKS.get(env.TASKS.idFromName("tasks")) as DurableObjectStub<TaskDO>;

async function call(method: string, path: string, body?: unknown, opts: { token?: string | null; raw?: string } = {}): Promise<{ status: number; json: any }> {
  const headers: Record<string, string> = {};
  const token = opts.token === undefined ? TOKEN : opts.token;
  if (token !== null) headers["authorization"] = `Bearer ${token}`;
  let payload: string | undefined;
  if (opts.raw !== undefined) payload = opts.raw;
  else if (body !== undefined) payload = JSON.stringify(body);
  if (payload !== undefined) headers["content-type"] = "application/json";
  const init: RequestInit = { method, headers };
  if (payload !== undefined) init.body = payload;
  const res = await app.request(`http://node${path}`, init, env);
  const text = await res.text();
  expect(res.headers.get("content-type") ?? "").toContain("application/json");
  return { status: res.status, json: JSON.parse(text) };
}

let n = 0;
/** A job in a domain of its own (the node's TaskDO is shared by the tests of this file). */
async function seed(over: Partial<JobSpec> = {}): Promise<{ id: string; domain: string }> {
  const domain = `dom-${++n}`;
  const id = `job-${n}`;
  const o = await tasks.enqueue({ id, kind: "inference", domain, payload: { n }, ...over });
  expect(o.ok).toBe(true);
  return { id, domain: over.domain ?? domain };
}

async function claimOne(domain: string, runner = "r1"): Promise<Job> {
  const r = await call("POST", "/tasks/claim", { runner, domains: [domain] });
  expect(r.status).toBe(200);
  expect(r.json.jobs).toHaveLength(1);
  return r.json.jobs[0] as Job;
}

describe("/tasks auth", () => {
  const endpoints: [string, string, unknown][] = [
    ["GET", "/tasks/pending", undefined],
    ["POST", "/tasks/claim", { runner: "r" }],
    ["POST", "/tasks/heartbeat", { jobId: "a", leaseId: "0".repeat(32) }],
    ["POST", "/tasks/complete", { jobId: "a", leaseId: "0".repeat(32), result: 1 }],
    ["POST", "/tasks/release", { jobId: "a", leaseId: "0".repeat(32) }],
    ["GET", "/tasks/some-job", undefined],
  ];
  for (const [method, path, body] of endpoints) {
    it(`${method} ${path}: no token or a wrong token → 401 JSON`, async () => {
      for (const token of [null, "wrong-token", `${TOKEN}x`, ""]) {
        const r = await call(method, path, body, { token });
        expect(r.status).toBe(401);
        expect(r.json).toEqual({ code: "UNAUTHORIZED", message: expect.any(String) });
      }
    });
  }
});

describe("/tasks flow", () => {
  it("pending → claim → heartbeat → complete → get", async () => {
    const { id, domain } = await seed();
    const pend = await call("GET", `/tasks/pending?limit=5&kind=inference&domain=${domain}`);
    expect(pend.status).toBe(200);
    expect(pend.json.total).toBe(1);
    expect(pend.json.jobs[0]).toMatchObject({ id, status: "pending", payload: { n } });

    const job = await claimOne(domain);
    expect(job).toMatchObject({ id, status: "leased", runner: "r1" });
    const hb = await call("POST", "/tasks/heartbeat", { jobId: id, leaseId: job.leaseId, extendMs: 300_000 });
    expect(hb.status).toBe(200);
    expect(hb.json.leaseExpiresAt).toBeGreaterThan(Date.now() + 290_000);

    const done = await call("POST", "/tasks/complete", { jobId: id, leaseId: job.leaseId, result: { performance: "42", nested: [1.5, null, true] } });
    expect(done.status).toBe(200);
    expect(done.json).toMatchObject({ applied: true, duplicate: false, job: { status: "done", result: { performance: "42", nested: [1.5, null, true] } } });
    const again = await call("POST", "/tasks/complete", { jobId: id, leaseId: job.leaseId, result: "other" });
    expect(again.status).toBe(200);
    expect(again.json).toMatchObject({ applied: false, duplicate: true, job: { result: { performance: "42" } } });

    const got = await call("GET", `/tasks/${id}`);
    expect(got.status).toBe(200);
    expect(got.json).toMatchObject({ id, status: "done", attempts: 0 });
  });

  it("a lapsed lease: 409 LEASE_EXPIRED for the old holder, the new holder completes", async () => {
    const { id, domain } = await seed();
    const a = await claimOne(domain, "runner-a");
    await runInDurableObject(tasksRaw(), (_i, state) => {
      state.storage.sql.exec(`UPDATE jobs SET lease_expires_at = ? WHERE id = ?`, Date.now() - 1, id);
    });
    await runDurableObjectAlarm(tasksRaw());
    const b = await claimOne(domain, "runner-b");
    expect(b.attempts).toBe(1);
    for (const [path, body] of [
      ["/tasks/heartbeat", { jobId: id, leaseId: a.leaseId }],
      ["/tasks/complete", { jobId: id, leaseId: a.leaseId, result: 1 }],
      ["/tasks/release", { jobId: id, leaseId: a.leaseId }],
    ] as const) {
      const r = await call("POST", path, body);
      expect(r.status, path).toBe(409);
      expect(r.json.code).toBe("LEASE_EXPIRED");
    }
    const ok = await call("POST", "/tasks/complete", { jobId: id, leaseId: b.leaseId, result: 2 });
    expect(ok.status).toBe(200);
    expect(ok.json.job).toMatchObject({ status: "done", result: 2, runner: "runner-b" });
  });

  it("error completions and release", async () => {
    const { id, domain } = await seed({ maxAttempts: 2 });
    const first = await claimOne(domain);
    const rel = await call("POST", "/tasks/release", { jobId: id, leaseId: first.leaseId });
    expect(rel.status).toBe(200);
    expect(rel.json).toMatchObject({ released: true, job: { status: "pending", attempts: 0 } });
    for (let i = 1; i <= 2; i++) {
      const j = await claimOne(domain);
      const r = await call("POST", "/tasks/complete", { jobId: id, leaseId: j.leaseId, error: `cuda oom ${i}` });
      expect(r.status).toBe(200);
      expect(r.json.job).toMatchObject({ attempts: i, status: i === 1 ? "pending" : "dead", error: `cuda oom ${i}` });
    }
    expect((await call("POST", "/tasks/claim", { runner: "r", domains: [domain] })).json.jobs).toEqual([]);
  });

  it("unknown job → 404 UNKNOWN_JOB", async () => {
    for (const [method, path, body] of [
      ["GET", "/tasks/no-such-job", undefined],
      ["POST", "/tasks/heartbeat", { jobId: "no-such-job", leaseId: "0".repeat(32) }],
      ["POST", "/tasks/complete", { jobId: "no-such-job", leaseId: "0".repeat(32), error: "x" }],
    ] as const) {
      const r = await call(method, path, body);
      expect(r.status, path).toBe(404);
      expect(r.json.code).toBe("UNKNOWN_JOB");
    }
  });
});

describe("/tasks validation", () => {
  const lease = "0".repeat(32);
  const bad: [string, string, unknown, string?][] = [
    ["POST", "/tasks/claim", { runner: "r", unknown: 1 }],
    ["POST", "/tasks/claim", {}],
    ["POST", "/tasks/claim", { runner: "r", max: 17 }],
    ["POST", "/tasks/claim", { runner: "r", max: 0 }],
    ["POST", "/tasks/claim", { runner: "r", max: 1.5 }],
    ["POST", "/tasks/claim", { runner: "r", leaseMs: 4_999 }],
    ["POST", "/tasks/claim", { runner: "r", leaseMs: 600_001 }],
    ["POST", "/tasks/claim", { runner: "r", kinds: ["mine"] }],
    ["POST", "/tasks/claim", { runner: "r", domains: "quadratic" }],
    ["POST", "/tasks/claim", ["runner"]],
    ["POST", "/tasks/claim", undefined, "{not json"],
    ["POST", "/tasks/heartbeat", { jobId: "a", leaseId: "xyz" }],
    ["POST", "/tasks/heartbeat", { jobId: "a", leaseId: lease, extendMs: 1 }],
    ["POST", "/tasks/heartbeat", { jobId: "a", leaseId: lease, extra: true }],
    ["POST", "/tasks/complete", { jobId: "a", leaseId: lease }],
    ["POST", "/tasks/complete", { jobId: "a", leaseId: lease, result: 1, error: "x" }],
    ["POST", "/tasks/complete", { jobId: "a", leaseId: lease, error: "" }],
    ["POST", "/tasks/complete", { jobId: "a/b", leaseId: lease, result: 1 }],
    ["POST", "/tasks/complete", { jobId: "a", leaseId: lease, result: 1, runner: "r" }],
    ["POST", "/tasks/release", { jobId: "a" }],
    ["GET", "/tasks/pending?limit=0", undefined],
    ["GET", "/tasks/pending?limit=101", undefined],
    ["GET", "/tasks/pending?limit=ten", undefined],
    ["GET", "/tasks/pending?kind=mine", undefined],
    ["GET", "/tasks/pending?whatever=1", undefined],
    ["GET", "/tasks/has%20space", undefined],
  ];
  for (const [method, path, body, raw] of bad) {
    it(`${method} ${path} ${raw ?? JSON.stringify(body) ?? ""} → 400 MALFORMED`, async () => {
      const r = await call(method, path, body, raw === undefined ? {} : { raw });
      expect(r.status).toBe(400);
      expect(r.json).toEqual({ code: "MALFORMED", message: expect.any(String) });
    });
  }

  it("oversize bodies → 413 TOO_LARGE", async () => {
    const claim = await call("POST", "/tasks/claim", { runner: "r", pad: "x".repeat(17 * 1024) });
    expect(claim.status).toBe(413);
    expect(claim.json.code).toBe("TOO_LARGE");
    const complete = await call("POST", "/tasks/complete", { jobId: "a", leaseId: lease, result: "x".repeat(1024 * 1024 + 1) });
    expect(complete.status).toBe(413);
    expect(complete.json.code).toBe("TOO_LARGE");
    const inference = await call("POST", "/inference", { domain: "quadratic", input: "x".repeat(65 * 1024) }, { token: null });
    expect(inference.status).toBe(413);
    expect(inference.json.code).toBe("TOO_LARGE");
  });

  it("a complete body under 1 MiB is accepted (the runner's limit is not the 16 KiB one)", async () => {
    const { id, domain } = await seed();
    const job = await claimOne(domain);
    const r = await call("POST", "/tasks/complete", { jobId: id, leaseId: job.leaseId, result: { blob: "y".repeat(512 * 1024) } });
    expect(r.status).toBe(200);
    expect(r.json.applied).toBe(true);
  });
});

describe("/inference", () => {
  it("queues a job (public), idempotent with a nonce, and serves its result once a runner completes it", async () => {
    const req = { domain: "quadratic", input: { x: [0.5, -1] }, nonce: "client-7" };
    const a = await call("POST", "/inference", req, { token: null });
    expect(a.status).toBe(202);
    expect(a.json).toEqual({ jobId: expect.stringMatching(/^inference:[0-9a-f]{64}$/), status: "pending" });
    const b = await call("POST", "/inference", req, { token: null });
    expect(b.json.jobId).toBe(a.json.jobId);
    const c = await call("POST", "/inference", { ...req, nonce: "client-8" }, { token: null });
    expect(c.json.jobId).not.toBe(a.json.jobId);
    const d = await call("POST", "/inference", { domain: "quadratic", input: 1 }, { token: null });
    const e = await call("POST", "/inference", { domain: "quadratic", input: 1 }, { token: null });
    expect(d.json.jobId).toMatch(/^inference:[0-9a-f-]{36}$/);
    expect(d.json.jobId).not.toBe(e.json.jobId);

    const waiting = await call("GET", `/inference/${a.json.jobId}`, undefined, { token: null });
    expect(waiting.status).toBe(200);
    expect(waiting.json).toMatchObject({ jobId: a.json.jobId, domain: "quadratic", status: "pending", result: null });
    expect(waiting.json.leaseId).toBeUndefined();

    // a runner serving the domain claims the inference jobs
    const claimed = await call("POST", "/tasks/claim", { runner: "infer-1", kinds: ["inference"], domains: ["quadratic"], max: 16 });
    const job = (claimed.json.jobs as Job[]).find((j) => j.id === a.json.jobId)!;
    expect(job.payload).toEqual({ input: { x: [0.5, -1] } });
    expect(job.priority).toBe(20);
    await call("POST", "/tasks/complete", { jobId: job.id, leaseId: job.leaseId, result: { y: 0.25 } });
    const done = await call("GET", `/inference/${a.json.jobId}`, undefined, { token: null });
    expect(done.json).toMatchObject({ status: "done", result: { y: 0.25 }, error: null });
  });

  it("refuses unknown domains, bad bodies, and hides non-inference jobs", async () => {
    const unknown = await call("POST", "/inference", { domain: "no-such-domain", input: 1 }, { token: null });
    expect(unknown.status).toBe(422);
    expect(unknown.json.code).toBe("UNKNOWN_DOMAIN");
    for (const body of [{ domain: "quadratic" }, { domain: "quadratic", input: 1, extra: 1 }, { domain: "", input: 1 }, { domain: "quadratic", input: 1, nonce: "" }]) {
      const r = await call("POST", "/inference", body, { token: null });
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.json.code).toBe("MALFORMED");
    }
    const { id } = await seed({ kind: "evaluate" });
    const hidden = await call("GET", `/inference/${id}`, undefined, { token: null });
    expect(hidden.status).toBe(404);
    expect(hidden.json.code).toBe("UNKNOWN_JOB");
    expect((await call("GET", "/inference/inference:nothing", undefined, { token: null })).status).toBe(404);
  });
});

describe("OpenAPI", () => {
  it("documents the task routes", async () => {
    const r = await call("GET", "/openapi.json", undefined, { token: null });
    expect(r.status).toBe(200);
    for (const p of ["/tasks/pending", "/tasks/claim", "/tasks/heartbeat", "/tasks/complete", "/tasks/release", "/tasks/{id}", "/inference", "/inference/{jobId}"]) {
      expect(r.json.paths[p], p).toBeDefined();
    }
    expect(r.json.components.schemas.Job).toBeDefined();
  });
});
