/**
 * Attacks on the public POST /inference, on a live 2-node testnet: one
 * anonymous client sending requests as fast as it can (1,000 of them used to
 * fill the queue, then 503 for everyone, jobs that never expired and ran
 * before optimize jobs). Refused per client with 429 RATE_LIMITED on every
 * node (the Workers rate limiting binding, run by Miniflare); another client
 * is still served; what was queued expires (INFERENCE_TTL_MS, 5 s here) and
 * is claimed only after the node's own work.
 */
import { describe, expect, it } from "vitest";
import { until } from "../support/until.ts";
import { expectLive, getJson, send, snapshot, useLiveNet } from "./support/testnet.ts";

const TTL_MS = 5_000;
const live = useLiveNet({ nodes: 2, cronMs: 2_000, extraVars: { INFERENCE_TTL_MS: String(TTL_MS) } });

type Counts = Record<"pending" | "leased" | "done" | "dead", number>;
const inferenceJobs = async (url: string): Promise<number> => {
  const c = (await getJson<{ tasks: { byKind: { inference: Counts } } }>(url, "/status")).tasks.byKind.inference;
  return c.pending + c.leased + c.done + c.dead;
};
const ask = (url: string, client: string, n: number) =>
  send(url, "POST", "/inference", { domain: "quadratic", input: { n } }, { "cf-connecting-ip": client });

/** The limit is 60 a minute in windows aligned to the clock: a burst may straddle two. */
const PER_WINDOW = 60;

describe("POST /inference on a live testnet", () => {
  it("one client's burst of 200 → 429 RATE_LIMITED on every node once its budget is spent; refused requests store nothing", async () => {
    const before = await snapshot(live);
    for (const url of live.urls) {
      const stored = await inferenceJobs(url);
      const answers = [];
      for (let i = 0; i < 200; i++) answers.push(await ask(url, "198.51.100.7", i));
      const accepted = answers.filter((a) => a.status === 202);
      const refused = answers.filter((a) => a.status === 429);
      expect(accepted.length + refused.length).toBe(200);
      expect(accepted.length).toBeGreaterThanOrEqual(PER_WINDOW);
      expect(accepted.length).toBeLessThanOrEqual(2 * PER_WINDOW);
      for (const r of refused) expect(r.body).toMatchObject({ code: "RATE_LIMITED", message: expect.any(String) });
      // only the accepted ones became jobs
      expect(await inferenceJobs(url)).toBe(stored + accepted.length);
    }
    expect(await snapshot(live)).toEqual(before);
  });

  it("positive control: another client is served at once by the same node", async () => {
    for (const url of live.urls) {
      const other = await ask(url, "203.0.113.80", 1);
      expect(other.status, JSON.stringify(other.body)).toBe(202);
    }
  });

  it("a request nobody claims expires after its time to live", async () => {
    const url = live.urls[1]!;
    const r = await ask(url, "203.0.113.81", 2);
    expect(r.status).toBe(202);
    const id = (r.body as { jobId: string }).jobId;
    const view = await until(
      "the inference request to expire",
      async () => {
        const v = (await send(url, "GET", `/inference/${encodeURIComponent(id)}`)).body as { status: string; error: string | null };
        return v.status === "dead" ? v : undefined;
      },
      { timeoutMs: TTL_MS + 30_000, everyMs: 500 },
    );
    expect(view.error).toContain("expired");
  });

  it("runners get the node's optimize job before inference, whatever the order they came in", async () => {
    const url = live.urls[0]!;
    const r = await ask(url, "203.0.113.82", 3);
    expect(r.status).toBe(202);
    const claimed = await send(url, "POST", "/tasks/claim", { runner: "scheduler-check", max: 16, leaseMs: 5_000 }, { authorization: `Bearer ${live.net.token}` });
    const kinds = (claimed.body as { jobs: { kind: string; priority: number }[] }).jobs.map((j) => j.kind);
    expect(kinds).toContain("optimize");
    expect(kinds).toContain("inference");
    expect(kinds.indexOf("optimize")).toBeLessThan(kinds.indexOf("inference"));
    expect(kinds.lastIndexOf("evaluate")).toBeLessThan(kinds.indexOf("optimize"));
  });

  it("afterwards the nodes agree on one tip and keep making blocks", async () => {
    await expectLive(live);
  });
});
