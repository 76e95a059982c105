import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import quadratic from "../../../plugins/quadratic/index.ts";
import { builtinPlugins, discoverNodeModules, isDomainPlugin, loadPlugins, PluginError, readPluginPackage } from "../../../plugins/registry.ts";

const PLUGINS = fileURLToPath(new URL("../../../plugins/", import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), "doin-registry-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** A plain-JS plugin package (loads in any Node: no TypeScript under node_modules). */
function jsPackage(dir: string, name: string, domain: string, opts: { id?: string; doin?: unknown } = {}): string {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "package.json"), JSON.stringify({ name, type: "module", doin: opts.doin ?? { domain, entry: "./plugin.mjs" } }));
  writeFileSync(
    join(dir, "plugin.mjs"),
    `const id = ${JSON.stringify(opts.id ?? domain)};
export default {
  meta: { id, metric: "m", higherIsBetter: true, description: "test" },
  optimizers: { one: () => ({ domain: id, name: "one", optimize: async () => ({ params: { v: 1 }, performance: 1, evaluations: 1 }) }) },
  inference: { domain: id, evaluate: async () => 1, infer: async () => null },
  synthetic: { domain: id, generate: async (seed) => ({ seed }) },
};\n`,
  );
  return dir;
}

describe("plugin registry", () => {
  it("builtinPlugins() is the quadratic domain", () => {
    const b = builtinPlugins();
    expect([...b.keys()]).toEqual(["quadratic"]);
    expect(b.get("quadratic")).toBe(quadratic);
    expect(isDomainPlugin(quadratic)).toBe(true);
  });

  it("a plugin's declared default optimizer must be one of its optimizers", () => {
    expect(isDomainPlugin({ ...quadratic, defaultOptimizer: "bobyqa" })).toBe(true);
    expect(isDomainPlugin({ ...quadratic, defaultOptimizer: "nope" })).toBe(false);
    expect(isDomainPlugin({ ...quadratic, defaultOptimizer: 3 })).toBe(false);
  });

  it("finds the quadratic package by the doin field of its package.json", async () => {
    const pkg = readPluginPackage(join(PLUGINS, "quadratic"));
    expect(pkg?.entries).toEqual([{ domain: "quadratic", entry: "./index.ts" }]);
    const plugins = await loadPlugins({ packages: [join(PLUGINS, "quadratic")], builtins: false });
    expect([...plugins.keys()]).toEqual(["quadratic"]);
    expect(plugins.get("quadratic")).toBe(quadratic); // the same module as the builtin
  });

  it("loadPlugins() with no options gives the builtins", async () => {
    expect([...(await loadPlugins()).keys()]).toEqual(["quadratic"]);
  });

  it("discovers packages with a doin field in node_modules (scoped ones too) and skips the others", async () => {
    const root = join(tmp, "project");
    jsPackage(join(root, "node_modules", "doin-plugin-alpha"), "doin-plugin-alpha", "alpha");
    jsPackage(join(root, "node_modules", "@acme", "beta"), "@acme/beta", "beta");
    mkdirSync(join(root, "node_modules", "left-pad"), { recursive: true });
    writeFileSync(join(root, "node_modules", "left-pad", "package.json"), JSON.stringify({ name: "left-pad" }));
    mkdirSync(join(root, "node_modules", "broken"), { recursive: true });
    writeFileSync(join(root, "node_modules", "broken", "package.json"), "{ not json");
    expect(discoverNodeModules(root).map((p) => p.name)).toEqual(["@acme/beta", "doin-plugin-alpha"]);
    const plugins = await loadPlugins({ fromNodeModules: true, root });
    expect([...plugins.keys()].sort()).toEqual(["alpha", "beta", "quadratic"]);
    const alpha = plugins.get("alpha");
    expect(await alpha?.synthetic.generate(5, {})).toEqual({ seed: 5 });
    expect(discoverNodeModules(join(tmp, "nowhere"))).toEqual([]);
  });

  it("a package may replace a builtin; two packages may not provide the same domain", async () => {
    const mine = jsPackage(join(tmp, "my-quadratic"), "my-quadratic", "quadratic");
    const plugins = await loadPlugins({ packages: [mine] });
    expect(plugins.get("quadratic")?.meta.description).toBe("test");
    const other = jsPackage(join(tmp, "other-quadratic"), "other-quadratic", "quadratic");
    await expect(loadPlugins({ packages: [mine, other] })).rejects.toThrow(/provided by both/);
  });

  it("several domains in one package: doin may be an array", async () => {
    const dir = jsPackage(join(tmp, "multi"), "multi", "gamma", { doin: [{ domain: "gamma", entry: "./plugin.mjs" }] });
    expect(readPluginPackage(dir)?.entries).toEqual([{ domain: "gamma", entry: "./plugin.mjs" }]);
    expect([...(await loadPlugins({ packages: [dir], builtins: false })).keys()]).toEqual(["gamma"]);
  });

  it("rejects packages without a doin field, bad doin fields, missing entries, wrong ids and non-plugins", async () => {
    const noDoin = join(tmp, "no-doin");
    mkdirSync(noDoin, { recursive: true });
    writeFileSync(join(noDoin, "package.json"), JSON.stringify({ name: "no-doin" }));
    expect(readPluginPackage(noDoin)).toBeNull();
    await expect(loadPlugins({ packages: [noDoin] })).rejects.toThrow(/no "doin" field/);
    expect(() => readPluginPackage(join(tmp, "missing"))).toThrow(PluginError);

    const bad = jsPackage(join(tmp, "bad-doin"), "bad-doin", "x", { doin: { domain: "x" } });
    expect(() => readPluginPackage(bad)).toThrow(/"doin" must be/);

    const gone = jsPackage(join(tmp, "gone"), "gone", "g", { doin: { domain: "g", entry: "./nope.mjs" } });
    await expect(loadPlugins({ packages: [gone] })).rejects.toThrow(/not found/);

    const liar = jsPackage(join(tmp, "liar"), "liar", "delta", { id: "epsilon" });
    await expect(loadPlugins({ packages: [liar] })).rejects.toThrow(/says domain delta, its plugin says epsilon/);

    const notPlugin = join(tmp, "not-plugin");
    cpSync(liar, notPlugin, { recursive: true });
    writeFileSync(join(notPlugin, "plugin.mjs"), "export default { meta: { id: 'delta' } };\n");
    writeFileSync(join(notPlugin, "package.json"), JSON.stringify({ name: "not-plugin", type: "module", doin: { domain: "delta", entry: "./plugin.mjs" } }));
    await expect(loadPlugins({ packages: [notPlugin] })).rejects.toThrow(/no DomainPlugin/);
  });
});
