/**
 * Each domain its own optimizer: the runner's --optimizer / --optimizer-config
 * flags (gpu-runner/optimizer-flags.ts), a plugin's declared default, and the
 * real runner process refusing a choice a domain cannot honour.
 */
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { checkOptimizerFlags, optimizerFor, parseOptimizerFlags } from "../../gpu-runner/optimizer-flags.ts";
import { Runner } from "../../gpu-runner/runner.ts";
import type { DomainPlugin } from "../../plugins/sdk.ts";
import { FakeSource, noChampions, realQuadratic, ROOT, tinyPlugin, until } from "./helpers.ts";

/** A second domain with two optimizers whose declared default is the second. */
function tinyWithDefault(): DomainPlugin {
  const base = tinyPlugin({ domain: "tiny" });
  const step = base.optimizers["step"] as DomainPlugin["optimizers"][string];
  return { ...base, optimizers: { step, careful: (config) => ({ ...step(config), name: "careful" }) }, defaultOptimizer: "careful" };
}

describe("optimizer flags", () => {
  it("reads NAME for every domain and DOMAIN=NAME for one, comma-separated or repeated; a domain's own wins", () => {
    const f = parseOptimizerFlags(["cmaes", "quadratic=bobyqa,tiny=step"], ['{"popsize": 16}', 'quadratic={"npt": 21}']);
    expect(f.all).toEqual({ optimizer: "cmaes", optimizerConfig: { popsize: 16 } });
    expect(f.byDomain).toEqual({ quadratic: { optimizer: "bobyqa", optimizerConfig: { npt: 21 } }, tiny: { optimizer: "step" } });
    expect(optimizerFor(f, realQuadratic())).toEqual({ optimizer: "bobyqa", optimizerConfig: { npt: 21 } });
    expect(optimizerFor(f, tinyWithDefault())).toEqual({ optimizer: "step", optimizerConfig: { popsize: 16 } });
    // Nothing said: the plugin's declared default (else its first), config {}.
    const none = parseOptimizerFlags();
    expect(optimizerFor(none, tinyWithDefault())).toEqual({ optimizer: "careful", optimizerConfig: {} });
    expect(optimizerFor(none, realQuadratic())).toEqual({ optimizer: "cmaes", optimizerConfig: {} });
    expect(() => parseOptimizerFlags(["quadratic=bo byqa"])).toThrow(/DOMAIN=NAME/);
    expect(() => parseOptimizerFlags([], ["quadratic={oops"])).toThrow(/JSON/);
  });

  it("refuses an optimizer a domain lacks and a domain not served, naming them", () => {
    const plugins = [realQuadratic(), tinyWithDefault()];
    expect(checkOptimizerFlags(parseOptimizerFlags(["quadratic=bobyqa"]), plugins)).toBeNull();
    expect(checkOptimizerFlags(parseOptimizerFlags(["bobyqa"]), plugins)).toBe("domain tiny has no optimizer bobyqa (it has: step, careful)");
    expect(checkOptimizerFlags(parseOptimizerFlags(["sphere=compass"]), plugins)).toMatch(/domain sphere is not served/);
  });
});

describe("a runner serving two domains", () => {
  it("runs each domain's optimize jobs on that domain's own optimizer", async () => {
    const plugins = [realQuadratic(), tinyWithDefault()];
    const flags = parseOptimizerFlags(["quadratic=bobyqa"]);
    const source = new FakeSource();
    for (let i = 0; i < 3; i++) {
      source.add("optimize", "quadratic", {}, `q${i}`);
      source.add("optimize", "tiny", {}, `t${i}`);
    }
    const runner = new Runner({
      id: "two",
      source,
      plugins,
      champions: noChampions,
      islandByDomain: Object.fromEntries(plugins.map((p) => [p.meta.id, optimizerFor(flags, p)])),
      island: { budget: 64 },
      pollMs: 20,
      progressMs: 0,
      log: () => undefined,
    });
    void runner.start();
    await until("all optimized", () => (source.results.size === 6 ? true : undefined), 20_000);
    await runner.stop();
    expect(runner.island("quadratic").optimizerName).toBe("bobyqa");
    expect(runner.island("tiny").optimizerName).toBe("careful");
    const experiment = (id: string) => (source.results.get(id) as { experimentId: string }).experimentId;
    expect(experiment("q0")).toMatch(/^two\.quadratic\.bobyqa\./);
    expect(experiment("t0")).toMatch(/^two\.tiny\.careful\./);
    // bobyqa's first round is its initial design (12 points), then its model's steps improve on it.
    const reported = ["q0", "q1", "q2"].map((id) => BigInt((source.results.get(id) as { reported: string }).reported));
    expect(reported[2]).toBeGreaterThan(reported[0] as bigint);
  });

  it("the runner process refuses, before it starts, an optimizer the domain does not have", () => {
    const tsx = join(ROOT, "node_modules", ".bin", "tsx");
    const run = (...flags: string[]) => spawnSync(tsx, ["gpu-runner/main.ts", "--node", "http://127.0.0.1:9", "--token", "t", ...flags], { cwd: ROOT, encoding: "utf8", timeout: 60_000 });
    const bad = run("--optimizer", "quadratic=nope");
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain("domain quadratic has no optimizer nope (it has: cmaes, random_step, bobyqa)");
    const badConfig = run("--optimizer-config", "quadratic={");
    expect(badConfig.status).toBe(2);
    expect(badConfig.stderr).toContain("--optimizer-config must be JSON or DOMAIN=JSON");
  });
});
