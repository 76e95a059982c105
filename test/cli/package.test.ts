/**
 * `doin` where the package is installed: `npm pack`, then an install of the
 * tarball into an empty project, offline (the dependencies' tarballs come
 * from npm's cache, at the versions of this repository's lockfile), then
 * the installed bin run by the machine's own Node (20 on CI, not the 22 the
 * checkout brings): help, version, a key, a deployment and a node that is
 * down, each through the installed files alone.
 */
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { freeBasePort } from "../../testnet/ports.ts";
import { ROOT } from "./run-doin.ts";

const dir = mkdtempSync(join(tmpdir(), "doin-package-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** PATH without this checkout's node_modules/.bin: the machine's own node and npm. */
const systemPath = (process.env["PATH"] ?? "")
  .split(delimiter)
  .filter((p) => !p.includes("node_modules"))
  .join(delimiter);

function sh(cmd: string, args: readonly string[], cwd: string, env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done, fail) => {
    const child = spawn(cmd, args, { cwd, env: { ...process.env, PATH: systemPath, ...env }, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c) => (stdout += String(c)));
    child.stderr.on("data", (c) => (stderr += String(c)));
    child.once("error", fail);
    child.once("exit", (code) => done({ code, stdout, stderr }));
  });
}

interface LockEntry {
  version: string;
  resolved?: string;
  dev?: boolean;
  [key: string]: unknown;
}

/**
 * The installing project's lockfile: the tarball, and this repository's
 * locked runtime dependencies (registry tarball URLs written out, as a lock
 * made without `omit-lockfile-registry-resolved` has them), so that
 * `npm ci --offline` finds everything in the cache.
 */
function lockFor(tarball: string): { pkg: object; lock: object } {
  const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { version: string; license: string; dependencies: object; bin: object; engines: object };
  const repoLock = JSON.parse(readFileSync(join(ROOT, "package-lock.json"), "utf8")) as { packages: Record<string, LockEntry> };
  const spec = `file:${tarball}`;
  const integrity = `sha512-${createHash("sha512").update(readFileSync(tarball)).digest("base64")}`;
  const packages: Record<string, object> = {
    "": { name: "app", version: "1.0.0", dependencies: { "doin-edge": spec } },
    "node_modules/doin-edge": { version: pkg.version, resolved: spec, integrity, license: pkg.license, dependencies: pkg.dependencies, bin: pkg.bin, engines: pkg.engines },
  };
  for (const [path, entry] of Object.entries(repoLock.packages)) {
    if (!path.startsWith("node_modules/") || entry.dev === true) continue;
    const name = path.slice(path.lastIndexOf("node_modules/") + "node_modules/".length);
    packages[path] = { ...entry, resolved: entry.resolved ?? `https://registry.npmjs.org/${name}/-/${name.split("/").pop() as string}-${entry.version}.tgz` };
  }
  return {
    pkg: { name: "app", version: "1.0.0", private: true, dependencies: { "doin-edge": spec } },
    lock: { name: "app", version: "1.0.0", lockfileVersion: 3, requires: true, packages },
  };
}

describe("the installed package", () => {
  it("npm pack, an offline install of the tarball, and the installed `doin` runs on the machine's own Node", async () => {
    const version = (JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { version: string }).version;
    const packed = await sh("npm", ["pack", "--pack-destination", dir, "--json"], ROOT);
    expect(packed.code, packed.stderr).toBe(0);
    const tarball = resolve(dir, (JSON.parse(packed.stdout) as { filename: string }[])[0]?.filename as string);
    const files = (JSON.parse(packed.stdout) as { files: { path: string }[] }[])[0]?.files.map((f) => f.path) ?? [];
    expect(files).toEqual(expect.arrayContaining(["bin/doin.mjs", "cli/main.ts", "core/tx.ts", "workers/index.ts", "wrangler.toml", "LICENSE", "CHANGELOG.md"]));
    expect(files.some((f) => f.startsWith("test/"))).toBe(false);

    const app = join(dir, "app");
    mkdirSync(app);
    const { pkg, lock } = lockFor(tarball);
    writeFileSync(join(app, "package.json"), JSON.stringify(pkg, null, 2));
    writeFileSync(join(app, "package-lock.json"), JSON.stringify(lock, null, 2));
    const installed = await sh("npm", ["ci", "--offline", "--no-audit", "--no-fund"], app);
    expect(installed.code, installed.stderr).toBe(0);

    const node = await sh("node", ["--version"], app);
    expect(Number(/^v(\d+)/.exec(node.stdout)?.[1])).toBeGreaterThanOrEqual(20);
    const bin = join(app, "node_modules", ".bin", "doin");
    const env = { DOIN_KEYSTORE: join(dir, "keys"), DOIN_PASSPHRASE: "installed package" };

    const help = await sh(bin, ["--help"], app, env);
    expect(help.code, help.stderr).toBe(0);
    expect(help.stdout).toMatch(/^Usage: doin /);
    expect((await sh(bin, ["--version"], app, env)).stdout.trim()).toBe(version);

    const key = await sh(bin, ["key", "new", "installed", "--kdf-cost", "10", "--json"], app, env);
    expect(key.code, key.stderr).toBe(0);
    expect(JSON.parse(key.stdout)).toMatchObject({ name: "installed", address: expect.stringMatching(/^[0-9a-f]{40}$/) });

    // a deployment from the installed package points wrangler at the installed Worker sources
    const out = join(dir, "deploy");
    const init = await sh(bin, ["deploy", "init", "--nodes", "2", "--network", "installed", "--subdomain", "example", "--out", out, "--json"], app, env);
    expect(init.code, init.stderr).toBe(0);
    const config = JSON.parse(readFileSync(join(out, "wrangler.json"), "utf8")) as { main: string };
    expect(resolve(out, config.main)).toBe(join(app, "node_modules", "doin-edge", "workers", "index.ts"));
    expect(existsSync(resolve(out, config.main))).toBe(true);

    const down = await sh(bin, ["status", "--node", `http://127.0.0.1:${await freeBasePort(1)}`], app, env);
    expect(down.code).toBe(4);
    expect(down.stderr).toMatch(/^doin: NODE_UNREACHABLE: /);
  }, 180_000);
});
