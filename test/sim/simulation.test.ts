/**
 * Small runs of the network simulator (sim/): 50 nodes running the real
 * core rules and the node's gossip and sync policies converge, gossip costs
 * O(D) messages per node per item (flooding, the positive control, costs
 * one per peer), a partition heals, and a seed fixes the whole run.
 */
import { describe, expect, it } from "vitest";
import { DEFAULT_OPTIONS, runSimulation, type SimOptions, type SimReport } from "../../sim/simulation.ts";

const small: SimOptions = {
  ...DEFAULT_OPTIONS,
  nodes: 50,
  validators: 50,
  degree: 8,
  peers: 32,
  durationMs: 40_000,
  settleMs: 20_000,
  optimizers: 2,
  optimizeEveryMs: 10_000,
  partition: { atMs: 20_000, healMs: 25_000, fraction: 0.5 },
};

/** The report without its wall-clock time. */
const simulated = ({ wallSeconds: _, ...rest }: SimReport) => rest;

describe("a 50-node simulation", () => {
  it("converges, reaches every node within a second, heals a 5 s partition, and gossip costs at most D messages per node per item", async () => {
    const r = await runSimulation(small);
    expect(r.converged).toBe(true);
    expect(r.heightSpread).toBe(0);
    expect(r.blocks.height).toBeGreaterThanOrEqual(15);
    // optimae rounds went through: commits, reveals, the quorum's votes, accepts
    expect(r.transactions["vote"] ?? 0).toBeGreaterThan(0);
    expect(r.transactions["accept"] ?? 0).toBeGreaterThanOrEqual(1);
    expect(r.propagation.blocks).toBeGreaterThanOrEqual(5);
    expect(r.propagation.reachedAll).toBe(1);
    expect(r.propagation.p100Ms).toBeLessThan(1_000);
    // each node relays each new item once, to D peers (lost ones are retried, rarely at 0.1 % loss)
    expect(r.messages.perNodePerBlock).toBeLessThanOrEqual(small.degree * 1.02);
    expect(r.messages.perNodePerBlock).toBeGreaterThan(small.degree / 2);
    expect(r.messages.perNodePerTx).toBeLessThanOrEqual(small.degree * 1.02);
    expect(r.partition?.convergenceMs).not.toBeNull();
    expect(r.partition?.convergenceMs).toBeLessThan(20_000);
  });

  it("positive control: flooding (a payload to every peer) costs one message per peer per node per item, not D", async () => {
    const r = await runSimulation({ ...small, degree: 64, durationMs: 20_000, settleMs: 5_000, optimizers: 0, partition: null });
    expect(r.converged).toBe(true);
    expect(r.messages.perNodePerBlock).toBeGreaterThan(3 * small.degree);
    expect(r.messages.perNodePerTx).toBeGreaterThan(3 * small.degree);
  });

  it("is deterministic: the same seed gives the same run, another seed another", async () => {
    const tiny: SimOptions = { ...small, nodes: 20, validators: 20, durationMs: 12_000, settleMs: 3_000, optimizers: 0, partition: null };
    const a = await runSimulation(tiny);
    const b = await runSimulation(tiny);
    const c = await runSimulation({ ...tiny, seed: 2 });
    expect(simulated(a)).toEqual(simulated(b));
    expect(simulated(c)).not.toEqual(simulated(a));
  });
});
