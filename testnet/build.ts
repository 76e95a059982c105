/**
 * The testnet's Worker: the bundle `wrangler deploy` would ship, built with
 * `wrangler deploy --dry-run` and cached in node_modules/.cache/doin-testnet
 * (rebuilt when a bundled source, wrangler.toml, a migration or
 * package-lock.json changes), with the bindings and D1 migrations wrangler
 * derives from wrangler.toml; the entry module that renames per-node queue
 * names back; and the router Worker that cuts the network for partitions.
 * testnet/harness.ts runs them in Miniflare.
 */
import { spawn } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

export const ROOT = fileURLToPath(new URL("..", import.meta.url));
const CACHE = join(ROOT, "node_modules", ".cache", "doin-testnet");
/** wrangler without telemetry, banner or network lookups */
export const QUIET_ENV = { WRANGLER_SEND_METRICS: "false", WRANGLER_HIDE_BANNER: "true", CLOUDFLARE_CF_FETCH_ENABLED: "false" };
/** the router Worker's name */
export const ROUTER = "testnet-router";
/** the entry module's file name in a build */
export const ENTRY = "testnet-entry.mjs";


export interface MigrationSet {
  readonly binding: string;
  readonly files: { readonly name: string; readonly queries: string[] }[];
}

export interface Build {
  readonly dir: string;
  /** the bundle's entry module, relative to dir */
  readonly main: string;
  readonly modules: { readonly name: string; readonly type: "ESModule" | "CompiledWasm" | "Text" | "Data" }[];
  /** wrangler's Miniflare options for wrangler.toml (sourceless, v4 shape), without secrets */
  readonly workerOptions: Record<string, unknown>;
  readonly vars: Record<string, unknown>;
  readonly migrations: MigrationSet[];
  /** the files whose content decides whether the cached build is current (relative to the repo root) */
  readonly inputs: string[];
}

const requireFromRoot = createRequire(join(ROOT, "package.json"));

function wranglerPaths(): { bin: string; cli: string; dir: string } {
  const pkgPath = requireFromRoot.resolve("wrangler/package.json");
  const pkg = JSON.parse(readFileSync(pkgPath, "utf8")) as { bin: string | Record<string, string>; main: string };
  const dir = dirname(pkgPath);
  const bin = typeof pkg.bin === "string" ? pkg.bin : (pkg.bin.wrangler ?? Object.values(pkg.bin)[0] ?? "bin/wrangler.js");
  return { dir, bin: join(dir, bin), cli: join(dir, pkg.main) };
}

/** Miniflare: a devDependency pinned to the version wrangler itself runs (npm run lint checks the pin). */
export async function loadMiniflare(): Promise<typeof import("miniflare")> {
  return import("miniflare");
}

function hashFiles(files: readonly string[]): string {
  const h = createHash("sha256");
  for (const f of [...new Set(files)].sort()) {
    h.update(f).update("\0");
    try {
      h.update(readFileSync(join(ROOT, f)));
    } catch {
      h.update("\u0000missing");
    }
    h.update("\0");
  }
  return h.digest("hex").slice(0, 24);
}

function run(args: string[], what: string): Promise<void> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, args, { cwd: ROOT, env: { ...process.env, ...QUIET_ENV }, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (c) => (out = (out + String(c)).slice(-20_000)));
    child.stderr.on("data", (c) => (out = (out + String(c)).slice(-20_000)));
    child.once("error", reject);
    child.once("exit", (code) => (code === 0 ? resolvePromise() : reject(new Error(`${what} failed (exit ${code}):\n${out.slice(-4000)}`))));
  });
}

// Runs in a child Node process: importing wrangler costs ≈ 250 MB and 2.5 s.
const DESCRIBE_SCRIPT = `
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
const [cli, configPath, out] = process.argv.slice(1);
const w = await import(cli);
const config = w.unstable_readConfig({ config: configPath }, { hideWarnings: true });
const { workerOptions } = w.unstable_getMiniflareWorkerOptions(config);
const migrations = [];
for (const d of config.d1_databases ?? []) {
  const dir = resolve(dirname(configPath), d.migrations_dir ?? "migrations");
  const files = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith(".sql")).sort() : [];
  migrations.push({ binding: d.binding, dir, files: files.map((name) => ({ name, queries: w.unstable_splitSqlQuery(readFileSync(join(dir, name), "utf8")) })) });
}
writeFileSync(out, JSON.stringify({ workerOptions, vars: config.vars ?? {}, migrations, rules: config.rules ?? [] }));
`;

/** Bundles the Worker with `wrangler deploy --dry-run` (offline), or reuses the cached bundle. */
export async function buildWorker(): Promise<Build & { contents: (string | Uint8Array)[] }> {
  mkdirSync(CACHE, { recursive: true });
  const latestPath = join(CACHE, "latest.json");
  if (existsSync(latestPath)) {
    try {
      const latest = JSON.parse(readFileSync(latestPath, "utf8")) as { inputs: string[] };
      const key = hashFiles(latest.inputs);
      const cached = join(CACHE, key, "build.json");
      if (existsSync(cached)) return withContents({ ...(JSON.parse(readFileSync(cached, "utf8")) as Omit<Build, "dir">), dir: join(CACHE, key) });
    } catch {
      // pruned meanwhile, or unreadable: rebuild
    }
  }
  const tmp = join(CACHE, `tmp-${process.pid}-${randomBytes(4).toString("hex")}`);
  mkdirSync(tmp, { recursive: true });
  try {
    const w = wranglerPaths();
    const describePath = join(tmp, "describe.json");
    await Promise.all([
      run([w.bin, "deploy", "--dry-run", "--outdir", tmp, "--metafile", join(tmp, "meta.json"), "--config", join(ROOT, "wrangler.toml")], "wrangler deploy --dry-run"),
      run(["--input-type=module", "-e", DESCRIBE_SCRIPT, pathToFileURL(w.cli).href, join(ROOT, "wrangler.toml"), describePath], "reading wrangler.toml"),
    ]);
    const described = JSON.parse(readFileSync(describePath, "utf8")) as {
      workerOptions: Record<string, unknown>;
      vars: Record<string, unknown>;
      migrations: (MigrationSet & { dir: string })[];
      rules: ModuleRule[];
    };
    rmSync(describePath);
    const meta = JSON.parse(readFileSync(join(tmp, "meta.json"), "utf8")) as {
      inputs: Record<string, { imports?: { path: string; external?: boolean }[] }>;
      outputs: Record<string, { entryPoint?: string }>;
    };
    const inputs = [
      ...collectedSources(meta.inputs),
      "wrangler.toml",
      "package-lock.json",
      ...Object.keys(meta.inputs).filter((p) => !p.includes("node_modules") && !p.startsWith("..") && existsSync(join(ROOT, p))),
      ...described.migrations.flatMap((m) => m.files.map((f) => relative(ROOT, join(m.dir, f.name)))),
    ];
    const entry = Object.entries(meta.outputs).find(([, o]) => o.entryPoint !== undefined)?.[0];
    const main = entry === undefined ? "index.js" : relative(tmp, resolve(ROOT, entry));
    const modules: Build["modules"] = [];
    for (const name of readdirSync(tmp)) {
      const type = moduleType(name, described.rules);
      if (type !== null) modules.push({ name, type });
    }
    modules.sort((a, b) => (a.name === main ? -1 : b.name === main ? 1 : a.name.localeCompare(b.name)));
    // Secrets from .dev.vars must not reach the testnet (every node gets its own): keep wrangler.toml's vars only.
    const workerOptions = { ...described.workerOptions, bindings: described.vars };
    const build: Omit<Build, "dir"> = { main, modules, workerOptions, vars: described.vars, migrations: described.migrations.map(({ binding, files }) => ({ binding, files })), inputs };
    writeFileSync(join(tmp, "build.json"), JSON.stringify(build));
    const key = hashFiles(inputs);
    const dir = join(CACHE, key);
    if (existsSync(join(dir, "build.json"))) rmSync(tmp, { recursive: true, force: true });
    else {
      rmSync(dir, { recursive: true, force: true });
      try {
        renameSync(tmp, dir);
      } catch (e) {
        // another launcher built the same sources meanwhile
        if (!existsSync(join(dir, "build.json"))) throw e;
        rmSync(tmp, { recursive: true, force: true });
      }
    }
    writeFileSync(latestPath, JSON.stringify({ inputs }));
    const result = withContents({ ...build, dir });
    pruneCache(key);
    return result;
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
}

interface ModuleRule {
  readonly type: string;
  readonly globs: readonly string[];
}

/** wrangler's default module rules (after the user's `[[rules]]`). */
const DEFAULT_RULES: readonly ModuleRule[] = [
  { type: "Text", globs: ["**/*.txt", "**/*.html", "**/*.sql"] },
  { type: "Data", globs: ["**/*.bin"] },
  { type: "CompiledWasm", globs: ["**/*.wasm", "**/*.wasm?module"] },
];

const globRegExp = (glob: string): RegExp =>
  new RegExp(`^${glob.replace(/\*\*\/|\*|[.+^${}()|[\]\\?]/g, (m) => (m === "**/" ? "(?:.*/)?" : m === "*" ? "[^/]*" : `\\${m}`))}$`);

type ModuleTypeName = Build["modules"][number]["type"];
const ruleType = (name: string, rules: readonly ModuleRule[]): ModuleTypeName | null => {
  const rule = rules.find((r) => r.globs.some((g) => globRegExp(g).test(`./${name}`)));
  return rule !== undefined && ["ESModule", "Text", "Data", "CompiledWasm"].includes(rule.type) ? (rule.type as ModuleTypeName) : null;
};

/**
 * The type of a file in wrangler's output. Modules it collected by a rule
 * (wrangler.toml's `[[rules]]`, then its defaults) are named
 * `<sha1>-<file name>` and take that rule's type (so a collected `.js` file
 * can be Text); the other `.js` files are the bundle's own chunks. Null: not
 * a module (source maps, README).
 */
export function moduleType(name: string, rules: readonly ModuleRule[]): ModuleTypeName | null {
  const collected = /^[0-9a-f]{40}-(.+)$/.exec(name)?.[1];
  if (collected !== undefined) {
    const type = ruleType(collected, [...rules, ...DEFAULT_RULES]);
    if (type !== null) return type;
  }
  if (/\.m?js$/.test(name)) return "ESModule";
  return ruleType(name, DEFAULT_RULES);
}

/**
 * The repository files behind the modules wrangler collected by a rule (the
 * metafile names only their output, `./<sha1>-<file name>`): files of that
 * name under the importer's folder. They decide whether a cached build is
 * current like the bundled sources do (those from node_modules change with
 * package-lock.json).
 */
function collectedSources(metaInputs: Record<string, { imports?: { path: string; external?: boolean }[] }>): string[] {
  const out: string[] = [];
  for (const [importer, input] of Object.entries(metaInputs)) {
    if (importer.includes("node_modules") || importer.startsWith("..")) continue;
    const names = (input.imports ?? []).flatMap((i) => {
      const name = i.external === true ? /^\.\/[0-9a-f]{40}-(.+)$/.exec(i.path)?.[1] : undefined;
      return name === undefined ? [] : [name];
    });
    if (names.length === 0) continue;
    const walk = (dir: string): void => {
      for (const entry of readdirSync(join(ROOT, dir), { withFileTypes: true })) {
        if (entry.name === "node_modules") continue;
        const path = join(dir, entry.name);
        if (entry.isDirectory()) walk(path);
        else if (names.includes(entry.name)) out.push(path);
      }
    };
    walk(dirname(importer));
  }
  return out;
}

/** Reads the modules once: every restart reuses them, even after a later build prunes this folder. */
function withContents(build: Build): Build & { contents: (string | Uint8Array)[] } {
  const contents = build.modules.map((m) => {
    const bytes = readFileSync(join(build.dir, m.name));
    return m.type === "ESModule" || m.type === "Text" ? bytes.toString("utf8") : new Uint8Array(bytes);
  });
  return { ...build, contents };
}

/** Keeps the newest builds (a running testnet holds its modules in memory, so removing its folder is harmless). */
function pruneCache(keep: string): void {
  const entries = readdirSync(CACHE)
    .filter((d) => d !== keep && d !== "latest.json")
    .map((d) => ({ d, t: statSync(join(CACHE, d)).mtimeMs }))
    .sort((a, b) => b.t - a.t);
  const stale = [...entries.filter((e) => !e.d.startsWith("tmp-")).slice(2), ...entries.filter((e) => e.d.startsWith("tmp-") && Date.now() - e.t > 600_000)];
  for (const { d } of stale) rmSync(join(CACHE, d), { recursive: true, force: true });
}

// Entry module in front of the bundle: the per-node queue names back to the Worker's own.
export const entryModule = (main: string): string => `import worker from "./${main}";
export * from "./${main}";
const SUFFIX = /--node\\d+$/;
export default {
  ...worker,
  queue(batch, env, ctx) {
    const queue = batch.queue.replace(SUFFIX, "");
    if (queue === batch.queue) return worker.queue(batch, env, ctx);
    return worker.queue({
      queue,
      get messages() { return batch.messages; },
      ackAll: () => batch.ackAll(),
      retryAll: (options) => batch.retryAll(options),
    }, env, ctx);
  },
};
`;

// Every node's global outbound goes through this Worker; it refuses traffic across a partition.
export const ROUTER_MODULE = `let table = { groups: null, nodeOfPort: {} };
export default {
  async fetch(request, env, ctx) {
    const url = new URL(request.url);
    if (url.hostname === "${ROUTER}.invalid") {
      table = await request.json();
      return new Response("ok");
    }
    const from = ctx.props?.from;
    const to = table.nodeOfPort[url.port];
    if (table.groups !== null && typeof from === "number" && to !== undefined && from !== to) {
      const group = table.groups.find((g) => g.includes(from));
      if (group === undefined || !group.includes(to)) throw new Error("testnet partition: node" + (from + 1) + " cannot reach node" + (to + 1));
    }
    return fetch(request);
  },
};
`;
