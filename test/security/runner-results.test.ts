/**
 * Attacks through the runner endpoint /tasks/complete (a buggy or hostile
 * runner holding the node's token), on a live 3-node testnet: an optimize
 * result whose claim is "NaN" (it used to make QuorumDO.onJobResult throw,
 * its delivery retried forever) or whose params are not integers, and an
 * evaluate result of 1e308 (it used to be dropped silently: the node never
 * voted). Each is refused with 400 MALFORMED on every node it reaches, the
 * job stays leased, nothing is stored or signed; the same jobs with results
 * that fit are taken and acted on (a commit, a round, votes).
 */
import { describe, expect, it } from "vitest";
import { until } from "../support/until.ts";
import { expectLive, expectRefused, getJson, send, snapshot, useLiveNet } from "./support/testnet.ts";

const live = useLiveNet({ nodes: 3, cronMs: 2_000 });

interface JobView {
  id: string;
  kind: string;
  status: string;
  leaseId: string | null;
  result: unknown;
}
interface TaskStats {
  byStatus: Record<string, number>;
  undelivered: number;
  deadLetters: { count: number; latest: unknown[] };
}

const auth = () => ({ authorization: `Bearer ${live.net.token}` });
const HASH = "ab".repeat(32);
const claim = async (url: string, kind: string): Promise<JobView> =>
  until(`a ${kind} job to claim at ${url}`, async () => {
    const r = await send(url, "POST", "/tasks/claim", { runner: "attacker", kinds: [kind], leaseMs: 600_000 }, auth());
    return (r.body as { jobs: JobView[] }).jobs[0];
  }, { timeoutMs: 90_000, everyMs: 500, context: () => live.net.logTail(15).join("\n") });
const job = async (url: string, id: string) => (await send(url, "GET", `/tasks/${encodeURIComponent(id)}`, undefined, auth())).body as JobView;
const taskStats = async (url: string) => (await getJson<{ tasks: TaskStats }>(url, "/status")).tasks;
const complete = (url: string, j: JobView, result: unknown) => send(url, "POST", "/tasks/complete", { jobId: j.id, leaseId: j.leaseId, result }, auth());

const optimizeResult = (over: Record<string, unknown>) => ({
  params: { x: [1, -2, 3, 0, 0, 0, 0, 0, 0, 0] },
  reported: "-5000000",
  experimentId: "attack.1",
  roundNumber: 1,
  timeToResultSeconds: 1,
  optimizationConfigHash: HASH,
  dataHash: HASH,
  ...over,
});

describe("runner results on a live testnet", () => {
  const optimizeJobs: JobView[] = [];

  it("an optimize result claiming NaN, or with non-integer params → 400 MALFORMED on every node; the job stays leased, nothing committed", async () => {
    const before = await snapshot(live);
    for (const url of live.urls) {
      const j = await claim(url, "optimize");
      optimizeJobs.push(j);
      for (const bad of [optimizeResult({ reported: "NaN" }), optimizeResult({ reported: "1e308" }), optimizeResult({ params: { x: [0.5, Number.MAX_VALUE] } }), { reported: "-5000000" }]) {
        expectRefused(await complete(url, j, bad), 400, "MALFORMED", `${url} optimize ${JSON.stringify(bad).slice(0, 60)}`);
      }
      expect(await job(url, j.id)).toMatchObject({ status: "leased", result: null });
      const stats = await taskStats(url);
      expect(stats.undelivered).toBe(0);
      expect(stats.deadLetters.count).toBe(0);
    }
    // nothing was committed or signed: tips, nonces, balances, mempools as they were
    expect(await snapshot(live)).toEqual(before);
  });

  let optimae = "";
  it("positive control: the same job with a result that fits is taken, committed, revealed, and a round opens", async () => {
    const url = live.urls[0]!;
    const j = optimizeJobs[0]!;
    const ok = await complete(url, j, optimizeResult({}));
    expect(ok.status, JSON.stringify(ok.body)).toBe(200);
    expect(ok.body).toMatchObject({ applied: true });
    const round = await until(
      "the optimae revealed and its round open",
      async () => (await getJson<{ optimae: string; optimizer: string; status: string; quorum: string[] }[]>(url, "/chain/rounds")).find((r) => r.optimizer === live.addresses[0]),
      { timeoutMs: 120_000, everyMs: 500, context: () => live.net.logTail(15).join("\n") },
    );
    optimae = round.optimae;
    expect(round.quorum.length).toBeGreaterThan(0);
    expect((await taskStats(url)).undelivered).toBe(0);
  });

  it("an evaluate result of 1e308 (or NaN) → 400 MALFORMED on every selected node: the job stays leased, no vote is signed; a result that fits is voted", async () => {
    const rounds = await getJson<{ optimae: string; quorum: string[] }[]>(live.urls[0]!, "/chain/rounds");
    const quorum = rounds.find((r) => r.optimae === optimae)!.quorum;
    const selected = live.urls.filter((_, i) => quorum.includes(live.addresses[i]!));
    expect(selected.length).toBeGreaterThan(0);
    for (const url of selected) {
      const i = live.urls.indexOf(url);
      const j = await claim(url, "evaluate");
      const nonceBefore = (await getJson<{ nonce: number }>(url, `/chain/account/${live.addresses[i]}`)).nonce;
      for (const bad of [{ performance: "1" + "0".repeat(308), dataHash: HASH }, { performance: "1e+308", dataHash: HASH }, { performance: "NaN", dataHash: HASH }, { performance: 1e308, dataHash: HASH }]) {
        expectRefused(await complete(url, j, bad), 400, "MALFORMED", `${url} evaluate ${JSON.stringify(bad).slice(0, 60)}`);
      }
      expect(await job(url, j.id)).toMatchObject({ status: "leased", result: null });
      // no vote was signed (the node's own reveal may be waiting in the pool for its quorum seed)
      const pool = await getJson<{ txs: { kind: string; sender: string }[] }>(url, "/mempool?limit=1000");
      expect(pool.txs.filter((t) => t.kind === "vote" && t.sender === live.addresses[i])).toEqual([]);
      expect((await getJson<{ nonce: number }>(url, `/chain/account/${live.addresses[i]}`)).nonce).toBe(nonceBefore);
      // positive control: the same job, a score that fits → the node votes
      const ok = await complete(url, j, { performance: "-5000000", dataHash: HASH });
      expect(ok.status, JSON.stringify(ok.body)).toBe(200);
      await until(
        `${url}'s vote on chain`,
        async () => {
          const r = (await getJson<{ optimae: string; votes: { evaluator: string }[] }[]>(url, "/chain/rounds")).find((x) => x.optimae === optimae);
          return r?.votes.some((v) => v.evaluator === live.addresses[i]) === true ? true : undefined;
        },
        { timeoutMs: 90_000, everyMs: 500, context: () => live.net.logTail(15).join("\n") },
      );
      const stats = await taskStats(url);
      expect(stats.undelivered).toBe(0);
      expect(stats.deadLetters.count).toBe(0);
    }
  });

  it("afterwards the nodes agree on one tip and keep making blocks", async () => {
    await expectLive(live);
  });
});
