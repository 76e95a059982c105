// The "Write a domain plugin" example (plugins/examples/sphere), loaded the way a runner would: through the registry.
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { findNonInteger } from "../../../core/encoding.ts";
import { simulateIslands } from "../../../plugins/islands.ts";
import { loadPlugins } from "../../../plugins/registry.ts";
import type { ChampionView, DomainPlugin } from "../../../plugins/sdk.ts";

const SPHERE = join(fileURLToPath(new URL("../../../plugins/", import.meta.url)), "examples", "sphere");

async function sphere(): Promise<DomainPlugin> {
  const plugins = await loadPlugins({ packages: [SPHERE] });
  expect([...plugins.keys()].sort()).toEqual(["quadratic", "sphere"]);
  return plugins.get("sphere") as DomainPlugin;
}

describe("example domain plugin: sphere", () => {
  it("loads through the registry by its doin field and has the SDK's shape", async () => {
    const p = await sphere();
    expect(p.meta).toMatchObject({ id: "sphere", higherIsBetter: true, metric: "neg_sq_dist" });
    expect(Object.keys(p.optimizers)).toEqual(["compass"]);
  });

  it("optimize climbs towards the center; results are integer params whose claim evaluators confirm", async () => {
    const p = await sphere();
    const opt = p.optimizers["compass"]?.({});
    if (opt === undefined) throw new Error("no compass");
    let local: ChampionView | null = null;
    let first = Number.NEGATIVE_INFINITY;
    for (let r = 1; r <= 200; r++) {
      const out = await opt.optimize({ champion: null, local, seed: r, budget: 6, config: {} });
      expect(out.evaluations).toBeLessThanOrEqual(6);
      expect(findNonInteger(out.params)).toBeNull(); // what crosses into the protocol: integers
      if (r === 1) first = out.performance;
      if (local === null || out.performance > local.performance) local = { params: out.params, performance: out.performance };
    }
    const best = local as ChampionView;
    expect(first).toBeGreaterThan(-(1.5 ** 2 + 2 ** 2 + 0.5 ** 2)); // better than the origin, where it starts
    expect(best.performance).toBeGreaterThan(-1e-6);
    // Verification: each evaluator scores on its own synthetic data; deterministic per seed.
    const data = await p.synthetic.generate(42, {});
    expect(await p.synthetic.generate(42, {})).toEqual(data);
    expect(await p.synthetic.generate(43, {})).not.toEqual(data);
    const verified = await p.inference.evaluate(best.params, data);
    expect(Math.abs(verified - best.performance)).toBeLessThan(0.1);
    expect(await p.inference.evaluate(best.params, null)).toBeCloseTo(best.performance, 12);
    const inferred = (await p.inference.infer(best.params, { point: [1.5, -2, 0.5] })) as { distance: number };
    expect(inferred.distance).toBeLessThan(1e-3);
  });

  it("runs in the island model like any domain: more nodes, fewer rounds", async () => {
    const p = await sphere();
    const rounds = async (nodes: number) => {
      const r = await simulateIslands({ plugin: p, nodes, seed: 3, epsilon: 0.01, thresholds: [-0.01], maxRounds: 500, budget: 2 });
      return r.reached[0]?.round ?? Number.POSITIVE_INFINITY;
    };
    const one = await rounds(1);
    expect(one).toBeLessThan(500);
    expect(await rounds(4)).toBeLessThanOrEqual(one);
  });
});
