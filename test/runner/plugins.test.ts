/** The runner's plugins: built-ins, plugin packages (a `doin` field), node_modules discovery and bare modules. */
import { cpSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { loadPluginModule, runnerPlugins } from "../../gpu-runner/plugins.ts";
import { ROOT } from "./helpers.ts";

const tmp = mkdtempSync(join(tmpdir(), "doin-runner-plugins-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe("runnerPlugins", () => {
  it("gives the built-in plugins, a package named by its folder, and bare modules, a later one replacing a domain", async () => {
    const builtin = await runnerPlugins({ root: tmp }); // an empty project: nothing in node_modules
    expect([...builtin.keys()]).toEqual(["quadratic"]);
    const got = await runnerPlugins({
      packages: [join(ROOT, "plugins", "examples", "sphere")],
      modules: [join(ROOT, "test", "runner", "fixtures", "tiny-plugin.ts")],
      root: tmp, // an empty project: nothing more in node_modules
    });
    expect([...got.keys()].sort()).toEqual(["quadratic", "sphere"]);
    expect(got.get("sphere")?.meta.metric).toBe("neg_sq_dist");
    // the tiny test module serves "quadratic" too: named last, it replaces the built-in
    expect(got.get("quadratic")?.meta.description).toBe("tiny test domain");
    expect(got.get("quadratic")).not.toBe(builtin.get("quadratic"));
  });

  it("finds a plugin package in node_modules by its doin field", async () => {
    const project = join(tmp, "project");
    mkdirSync(join(project, "node_modules"), { recursive: true });
    cpSync(join(ROOT, "plugins", "examples", "sphere"), join(project, "node_modules", "doin-plugin-sphere"), { recursive: true });
    const got = await runnerPlugins({ root: project });
    expect([...got.keys()].sort()).toEqual(["quadratic", "sphere"]);
    expect(typeof got.get("sphere")?.optimizers["compass"]).toBe("function");
  });

  it("says which module had no plugin", async () => {
    await expect(loadPluginModule(join(ROOT, "plugins", "sdk.ts"))).rejects.toThrow(/no DomainPlugin in its default export/);
  });
});
