/**
 * The Cloudflare Queues adapter (HTTP pull consumer API) against a local
 * HTTP server that implements the documented request and response shapes:
 * Cloudflare's API cannot be reached from here. The fake keeps messages
 * invisible for their visibility timeout after a pull, redelivers them after
 * it with attempts + 1, deletes acked ones, delays retried ones, and answers
 * an ack of a lapsed lease with a warning and ackCount 0.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { Runner } from "../../gpu-runner/runner.ts";
import { cloudflareQueuesSource, decodeJobMessage } from "../../gpu-runner/sources/cloudflare-queues.ts";
import { noChampions, sleep, tinyPlugin, until } from "./helpers.ts";

const ACCOUNT = "023e105f4ecef8ad9ca31a8372d0c353";
const API_TOKEN = "cf-test-token";

interface Msg {
  id: string;
  body: string;
  attempts: number;
  timestamp_ms: number;
  visibleAt: number;
  lease: string | null;
  leaseUntil: number;
}

class FakeQueues {
  readonly queues = new Map<string, Msg[]>();
  readonly requests: { path: string; body: unknown }[] = [];
  private n = 0;
  server: Server | null = null;
  url = "";

  push(queue: string, body: unknown, contentType: "json" | "text" = "json"): string {
    const id = `m${++this.n}`;
    const list = this.queues.get(queue) ?? [];
    // pull consumers receive a message's body as a string
    list.push({ id, body: contentType === "json" ? JSON.stringify(body) : String(body), attempts: 0, timestamp_ms: Date.now(), visibleAt: 0, lease: null, leaseUntil: 0 });
    this.queues.set(queue, list);
    return id;
  }

  bodies(queue: string): unknown[] {
    return (this.queues.get(queue) ?? []).map((m) => JSON.parse(m.body) as unknown);
  }

  async start(): Promise<void> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((r) => this.server?.listen(0, "127.0.0.1", r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/client/v4`;
  }

  async stop(): Promise<void> {
    await new Promise<void>((r) => this.server?.close(() => r()));
  }

  private send(res: ServerResponse, status: number, body: unknown): void {
    res.writeHead(status, { "content-type": "application/json" });
    res.end(JSON.stringify(body));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let raw = "";
    for await (const c of req) raw += String(c);
    const body = raw === "" ? {} : (JSON.parse(raw) as Record<string, unknown>);
    const path = new URL(req.url ?? "/", "http://x").pathname;
    this.requests.push({ path, body });
    if (req.headers.authorization !== `Bearer ${API_TOKEN}`) {
      return this.send(res, 403, { success: false, errors: [{ code: 10000, message: "Authentication error" }], messages: [], result: null });
    }
    const m = /^\/client\/v4\/accounts\/([^/]+)\/queues\/([^/]+)\/messages(\/pull|\/ack)?$/.exec(path);
    if (req.method !== "POST" || m === null || m[1] !== ACCOUNT) return this.send(res, 404, { success: false, errors: [{ code: 7003, message: "No route" }], messages: [], result: null });
    const queue = decodeURIComponent(m[2] as string);
    const list = this.queues.get(queue) ?? [];
    this.queues.set(queue, list);
    const now = Date.now();
    if (m[3] === undefined) {
      // push: {body, content_type}
      this.push(queue, body["body"], body["content_type"] === "text" ? "text" : "json");
      return this.send(res, 200, { success: true, errors: [], messages: [], result: {} });
    }
    if (m[3] === "/pull") {
      const batch = typeof body["batch_size"] === "number" ? body["batch_size"] : 5;
      const visibility = typeof body["visibility_timeout_ms"] === "number" ? body["visibility_timeout_ms"] : 30_000;
      const out = [];
      for (const msg of list) {
        if (out.length >= batch) break;
        if (msg.visibleAt > now || (msg.lease !== null && msg.leaseUntil > now)) continue;
        msg.attempts++;
        msg.lease = `lease-${msg.id}-${msg.attempts}`;
        msg.leaseUntil = now + visibility;
        out.push({ body: msg.body, id: msg.id, timestamp_ms: msg.timestamp_ms, attempts: msg.attempts, metadata: { "CF-Content-Type": "json" }, lease_id: msg.lease });
      }
      return this.send(res, 200, { success: true, errors: [], messages: [], result: { message_backlog_count: list.length, messages: out } });
    }
    // ack: {acks: [{lease_id}], retries: [{lease_id, delay_seconds}]}
    const warnings: Record<string, string> = {};
    let ackCount = 0;
    let retryCount = 0;
    const live = (lease: string) => list.find((x) => x.lease === lease && x.leaseUntil > now);
    for (const a of (body["acks"] as { lease_id: string }[] | undefined) ?? []) {
      const msg = live(a.lease_id);
      if (msg === undefined) warnings[a.lease_id] = "lease expired or unknown";
      else {
        list.splice(list.indexOf(msg), 1);
        ackCount++;
      }
    }
    for (const r of (body["retries"] as { lease_id: string; delay_seconds?: number }[] | undefined) ?? []) {
      const msg = live(r.lease_id);
      if (msg === undefined) warnings[r.lease_id] = "lease expired or unknown";
      else {
        msg.lease = null;
        msg.visibleAt = now + (r.delay_seconds ?? 0) * 1000;
        retryCount++;
      }
    }
    return this.send(res, 200, { success: true, errors: [], messages: [], result: { ackCount, retryCount, warnings } });
  }
}

const fake = new FakeQueues();

beforeAll(() => fake.start());
beforeEach(() => {
  fake.queues.clear();
  fake.requests.length = 0;
});
afterAll(() => fake.stop());

const options = (extra: Partial<Parameters<typeof cloudflareQueuesSource>[0]> = {}) => ({
  accountId: ACCOUNT,
  apiToken: API_TOKEN,
  queueId: "jobs",
  resultQueueId: "results",
  apiBase: fake.url,
  visibilityTimeoutMs: 1_000,
  domains: ["quadratic"],
  runner: "q-runner",
  retry: { baseMs: 1, maxMs: 5 },
  ...extra,
});

describe("the Cloudflare Queues adapter (against a local fake of the HTTP pull API)", () => {
  it("a runner pulls jobs, pushes results to the results queue and acks; foreign and malformed messages go back", async () => {
    fake.push("jobs", { id: "q-1", kind: "inference", domain: "quadratic", payload: { input: 1 } });
    fake.push("jobs", { id: "q-2", kind: "evaluate", domain: "quadratic", payload: { params: { x: [3, 4] }, seed32: 10 } });
    fake.push("jobs", { id: "q-3", kind: "optimize", domain: "quadratic", payload: { domain: "quadratic", round: 1 } });
    fake.push("jobs", { id: "q-x", kind: "inference", domain: "mnist", payload: {} });
    fake.push("jobs", "not a job", "text");
    const runner = new Runner({ id: "q-runner", source: cloudflareQueuesSource(options()), plugins: [tinyPlugin()], champions: noChampions, pollMs: 30, progressMs: 0, log: () => undefined });
    void runner.start();
    const handedBack = (prefix: string) =>
      fake.requests
        .filter((r) => r.path.endsWith("/ack"))
        .flatMap((r) => (r.body as { retries?: { lease_id: string; delay_seconds: number }[] }).retries ?? [])
        .filter((r) => r.lease_id.startsWith(prefix));
    await until("three results, and the malformed message seen", () => (fake.bodies("results").length === 3 && handedBack("lease-m5-").length > 0 ? true : undefined), 10_000);
    await runner.stop();
    const results = fake.bodies("results") as { jobId: string; kind: string; runner: string; result: Record<string, unknown> }[];
    expect(results.map((r) => r.jobId).sort()).toEqual(["q-1", "q-2", "q-3"]);
    expect(results.find((r) => r.jobId === "q-1")?.result).toEqual({ output: { sum: 0, tag: "tiny", input: 1 }, model: { source: "none" } });
    expect(results.find((r) => r.jobId === "q-2")?.result["performance"]).toBe("-36000000"); // data from seed 10: target (3, 10); x (3, 4)
    expect(results.every((r) => r.runner === "q-runner")).toBe(true);
    // the three jobs are acked (gone); the foreign one is back, visible at once; the malformed one waits a minute
    const left = fake.queues.get("jobs") ?? [];
    expect(left.map((m) => m.id).sort()).toEqual(["m4", "m5"]);
    expect(handedBack("lease-m4-").every((r) => r.delay_seconds === 0)).toBe(true);
    expect(handedBack("lease-m5-")).toEqual([{ lease_id: "lease-m5-1", delay_seconds: 60 }]);
    const pulls = fake.requests.filter((r) => r.path.endsWith("/pull"));
    expect(pulls[0]?.body).toEqual({ batch_size: 2, visibility_timeout_ms: 1_000 });
  });

  it("a message whose visibility lapsed is redelivered to another consumer; the first one's late ack is not counted", async () => {
    // A queue of its own: a pull that an earlier test's runner had in flight when it stopped may still reach the server.
    fake.push("slow-jobs", { id: "slow", kind: "inference", domain: "quadratic", payload: { input: "slow" } });
    const a = cloudflareQueuesSource(options({ queueId: "slow-jobs" }));
    const b = cloudflareQueuesSource(options({ queueId: "slow-jobs" }));
    const [held] = await a.claim(1);
    expect(held?.id).toBe("slow");
    expect(await b.claim(1)).toEqual([]); // invisible while leased
    expect(await a.heartbeat(held!)).toBe(true);
    await sleep(1_100);
    expect(await a.heartbeat(held!)).toBe(false); // the pull API cannot extend a lease: lapsed is lapsed
    const [again] = await b.claim(1);
    expect(again?.id).toBe("slow");
    expect(again?.attempts).toBe(1); // the second delivery
    expect(await a.complete(held!, { from: "a" })).toBe("lost");
    expect(await b.complete(again!, { from: "b" })).toBe("applied");
    // at least once: both results went out; whoever consumes the results queue applies a job's result once
    expect(fake.bodies("results")).toHaveLength(2);
    expect(fake.queues.get("slow-jobs")).toEqual([]);
  });

  it("fail retries with a delay that grows with the attempts; release hands back at once; a bad token is an error", async () => {
    fake.push("fail-jobs", { id: "f", kind: "inference", domain: "quadratic", payload: {} });
    const source = cloudflareQueuesSource(options({ queueId: "fail-jobs" }));
    const [job] = await source.claim(5);
    await source.fail(job!, "boom");
    const last = fake.requests.at(-1)?.body as { retries: { delay_seconds: number }[] };
    expect(last.retries[0]?.delay_seconds).toBe(10);
    const msg = fake.queues.get("fail-jobs")?.[0];
    msg!.visibleAt = 0; // skip the delay
    const [second] = await source.claim(5);
    expect(second?.attempts).toBe(1);
    await source.release(second!);
    expect((fake.requests.at(-1)?.body as { retries: { delay_seconds: number }[] }).retries[0]?.delay_seconds).toBe(0);
    const [third] = await source.claim(5);
    await source.fail(third!, "boom again");
    expect((fake.requests.at(-1)?.body as { retries: { delay_seconds: number }[] }).retries[0]?.delay_seconds).toBe(40);
    await expect(cloudflareQueuesSource(options({ apiToken: "wrong" })).claim(1)).rejects.toThrow(/HTTP 403: Authentication error/);
  });

  it("decodes message bodies: JSON text, base64 JSON, objects; refuses what is not a job", () => {
    const spec = { id: "j", kind: "evaluate", domain: "d", payload: { a: 1 } };
    expect(decodeJobMessage(JSON.stringify(spec))).toEqual({ ok: true, spec });
    expect(decodeJobMessage(Buffer.from(JSON.stringify(spec)).toString("base64"))).toEqual({ ok: true, spec });
    expect(decodeJobMessage(spec)).toEqual({ ok: true, spec });
    expect(decodeJobMessage({ ...spec, kind: "mine" }).ok).toBe(false);
    expect(decodeJobMessage("{}").ok).toBe(false);
  });
});
