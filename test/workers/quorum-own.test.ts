/**
 * The QuorumDO commits its runners' optimize results: never the same params
 * twice. A runner that finds nothing better in a round hands back its best
 * again; a second commit of those params could never be revealed (the chain
 * takes a set of params from its first revealer only: DUPLICATE_PARAMS) and
 * would burn its bond.
 */
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { Job } from "../../protocol/jobs.ts";

interface OwnView {
  readonly params: unknown;
  readonly commitId: string | null;
  readonly stage: string;
  readonly since?: number;
}
// the RPC stub's inferred types of JSON params recurse too deep for the checker: the methods used, typed
const quorum = env.QUORUM.get(env.QUORUM.idFromName("quadratic")) as unknown as {
  setDomain(domain: string): Promise<void>;
  onJobResult(job: Job): Promise<void>;
  ownOptimae(): Promise<OwnView[]>;
  sync(): Promise<{ evaluations: number; reveals: number; accepts: number }>;
};
const chain = env.CHAIN.get(env.CHAIN.idFromName("chain")) as unknown as {
  dutiesFor(address: string, domain: string): Promise<{ height: number; evaluate: unknown[]; commits: unknown[]; rounds: unknown[]; openRounds: number }>;
};

function optimizeJob(id: string, x: number[], reported: string): Job {
  return {
    id,
    kind: "optimize",
    domain: "quadratic",
    payload: { domain: "quadratic", round: 1 },
    priority: 10,
    maxAttempts: 3,
    notify: "quorum",
    status: "done",
    attempts: 1,
    leaseId: null,
    leaseExpiresAt: null,
    runner: "r",
    createdAt: Date.now(),
    completedAt: Date.now(),
    result: { params: { x }, reported },
    error: null,
  };
}

describe("QuorumDO: its own optimae", () => {
  it("commits a runner's result once per set of params: the same best handed back again is not committed again", async () => {
    await quorum.setDomain("quadratic");
    // −500 beats the quadratic domain's initial champion (−1000) by far more than ε
    await quorum.onJobResult(optimizeJob("opt-1", [10, 10], "-500000000"));
    expect((await quorum.ownOptimae()).map((o) => o.params)).toEqual([{ x: [10, 10] }]);
    // the next round found nothing better: the same params (a delivery retried, or the runner's best again)
    await quorum.onJobResult(optimizeJob("opt-2", [10, 10], "-500000000"));
    expect(await quorum.ownOptimae()).toHaveLength(1);
    // the positive control: other params are committed
    await quorum.onJobResult(optimizeJob("opt-3", [9, 10], "-480000000"));
    const own = await quorum.ownOptimae();
    expect(own.map((o) => o.params)).toEqual(expect.arrayContaining([{ x: [10, 10] }, { x: [9, 10] }]));
    expect(own).toHaveLength(2);
    expect(own.every((o) => o.commitId !== null)).toBe(true);
  });

  it("syncs from one ChainDO.dutiesFor call: its own optimae in flight get the height their stage started at", async () => {
    await quorum.setDomain("quadratic");
    await quorum.onJobResult(optimizeJob("opt-4", [8, 10], "-470000000"));
    const stranger = await chain.dutiesFor("f".repeat(40), "quadratic");
    expect(stranger).toMatchObject({ evaluate: [], commits: [], rounds: [] });
    await quorum.sync();
    const inFlight = (await quorum.ownOptimae()).filter((o) => o.stage !== "done" && o.stage !== "failed");
    expect(inFlight.length).toBeGreaterThan(0);
    for (const o of inFlight) expect(o.since).toBeGreaterThanOrEqual(stranger.height);
  });
});
