/**
 * Finding domain plugins: the npm counterpart of the seed's Python entry
 * points (`doin.optimization`, `doin.inference`, `doin.synthetic_data`).
 *
 * A plugin package says what it provides in its package.json:
 *
 *     "doin": { "domain": "quadratic", "entry": "./index.ts" }
 *
 * plus, for a domain a network does not have yet, its chain rules under
 * "chain" (ε, tolerance, initial champion: core/domain-config.ts), which a
 * network declares in its DOMAINS setting (the testnet does it from the
 * package: `npm run testnet -- --plugin-package DIR`).
 *
 * (or an array of such objects for a package with several domains). The
 * entry's default export is the domain's `DomainPlugin` (plugins/sdk.ts),
 * whose `meta.id` must equal `domain`.
 *
 * - `builtinPlugins()`: the domains shipped in this repository (quadratic);
 * - `loadPlugins({packages, fromNodeModules, root, builtins})`: the builtins
 *   (unless `builtins: false`), then the packages in the folders named in
 *   `packages`, then — with `fromNodeModules` — every package in
 *   `<root>/node_modules` (and `@scope/*`) whose package.json has a `doin`
 *   field. A package's domain replaces a builtin of the same id; two packages
 *   with the same domain are an error.
 *
 * Entries are loaded with `import()`: a `.ts` entry needs a TypeScript-aware
 * loader (tsx, vitest — what the runner and the tests use; plain Node ≥ 22.18
 * strips types too, except under node_modules), a `.js`/`.mjs` entry loads
 * anywhere.
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import quadratic from "./quadratic/index.ts";
import type { DomainPlugin } from "./sdk.ts";

export interface DoinEntry {
  readonly domain: string;
  readonly entry: string;
  /** the domain's chain rules, for a network that declares it (core/domain-config.ts); absent for a domain the network already has */
  readonly chain?: unknown;
}

export interface PluginPackage {
  /** the package folder (absolute) */
  readonly dir: string;
  readonly name: string;
  readonly entries: readonly DoinEntry[];
}

export interface LoadOptions {
  /** plugin package folders (each with a package.json that has a `doin` field) */
  readonly packages?: readonly string[];
  /** also scan `<root>/node_modules` for packages with a `doin` field */
  readonly fromNodeModules?: boolean;
  /** where node_modules is (default: the working directory) */
  readonly root?: string;
  /** include builtinPlugins() (default true) */
  readonly builtins?: boolean;
}

export class PluginError extends Error {
  override readonly name = "PluginError";
}

/** The domains this repository ships. */
export function builtinPlugins(): Map<string, DomainPlugin> {
  return new Map([[quadratic.meta.id, quadratic]]);
}

/** Whether a value has the shape of a DomainPlugin. */
export function isDomainPlugin(v: unknown): v is DomainPlugin {
  if (typeof v !== "object" || v === null) return false;
  const p = v as Partial<DomainPlugin>;
  return (
    typeof p.meta?.id === "string" &&
    typeof p.meta.higherIsBetter === "boolean" &&
    typeof p.meta.metric === "string" &&
    typeof p.optimizers === "object" &&
    p.optimizers !== null &&
    Object.keys(p.optimizers).length > 0 &&
    Object.values(p.optimizers).every((f) => typeof f === "function") &&
    (p.defaultOptimizer === undefined || (typeof p.defaultOptimizer === "string" && Object.hasOwn(p.optimizers, p.defaultOptimizer))) &&
    typeof p.inference?.evaluate === "function" &&
    typeof p.inference.infer === "function" &&
    typeof p.synthetic?.generate === "function"
  );
}

function parseDoinField(field: unknown, where: string): DoinEntry[] {
  const list = Array.isArray(field) ? field : [field];
  if (list.length === 0) throw new PluginError(`${where}: "doin" lists no domain`);
  return list.map((e: unknown) => {
    const r = e as Partial<DoinEntry> | null;
    if (typeof r !== "object" || r === null || typeof r.domain !== "string" || r.domain === "" || typeof r.entry !== "string" || r.entry === "") {
      throw new PluginError(`${where}: "doin" must be {"domain": string, "entry": string} or an array of them`);
    }
    const chain = (r as { chain?: unknown }).chain;
    if (chain !== undefined && (typeof chain !== "object" || chain === null || Array.isArray(chain))) throw new PluginError(`${where}: "doin".chain must be an object (the domain's chain rules)`);
    return chain === undefined ? { domain: r.domain, entry: r.entry } : { domain: r.domain, entry: r.entry, chain: { ...(chain as object), id: r.domain } };
  });
}

/** Reads a package folder's package.json; null when it has no `doin` field. */
export function readPluginPackage(dir: string): PluginPackage | null {
  const abs = resolve(dir);
  const file = join(abs, "package.json");
  if (!existsSync(file)) throw new PluginError(`${abs}: no package.json`);
  let pkg: Record<string, unknown>;
  try {
    pkg = JSON.parse(readFileSync(file, "utf8")) as Record<string, unknown>;
  } catch (e) {
    throw new PluginError(`${file}: ${e instanceof Error ? e.message : String(e)}`);
  }
  if (pkg["doin"] === undefined) return null;
  return { dir: abs, name: typeof pkg["name"] === "string" ? pkg["name"] : abs, entries: parseDoinField(pkg["doin"], file) };
}

/** Every package directly in `<root>/node_modules` (and `@scope/`) whose package.json has a `doin` field. */
export function discoverNodeModules(root: string = process.cwd()): PluginPackage[] {
  const nm = join(resolve(root), "node_modules");
  if (!existsSync(nm)) return [];
  const dirs: string[] = [];
  for (const name of readdirSync(nm).sort()) {
    if (name.startsWith(".")) continue;
    const path = join(nm, name);
    if (!isDir(path)) continue;
    if (name.startsWith("@")) {
      for (const sub of readdirSync(path).sort()) if (isDir(join(path, sub))) dirs.push(join(path, sub));
    } else {
      dirs.push(path);
    }
  }
  const out: PluginPackage[] = [];
  for (const dir of dirs) {
    if (!existsSync(join(dir, "package.json"))) continue;
    let p: PluginPackage | null;
    try {
      p = readPluginPackage(dir);
    } catch {
      continue; // a broken package.json elsewhere in node_modules is not ours to report
    }
    if (p !== null) out.push(p);
  }
  return out;
}

function isDir(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/** Imports one `doin` entry of a package and checks its default export. */
export async function importEntry(pkg: PluginPackage, entry: DoinEntry): Promise<DomainPlugin> {
  const file = resolve(pkg.dir, entry.entry);
  if (!existsSync(file)) throw new PluginError(`${pkg.name}: entry ${entry.entry} not found (${file})`);
  const mod = (await import(pathToFileURL(file).href)) as { default?: unknown };
  const plugin = mod.default;
  if (!isDomainPlugin(plugin)) throw new PluginError(`${pkg.name}: ${entry.entry} has no DomainPlugin as its default export`);
  if (plugin.meta.id !== entry.domain) throw new PluginError(`${pkg.name}: "doin" says domain ${entry.domain}, its plugin says ${plugin.meta.id}`);
  return plugin;
}

/** The domain plugins by domain id: builtins, then `packages`, then node_modules. */
export async function loadPlugins(opts: LoadOptions = {}): Promise<Map<string, DomainPlugin>> {
  const out = opts.builtins === false ? new Map<string, DomainPlugin>() : builtinPlugins();
  const from = new Map<string, string>();
  const packages: PluginPackage[] = [];
  for (const dir of opts.packages ?? []) {
    const p = readPluginPackage(dir);
    if (p === null) throw new PluginError(`${resolve(dir)}: package.json has no "doin" field`);
    packages.push(p);
  }
  if (opts.fromNodeModules === true) {
    const named = new Set(packages.map((p) => p.dir));
    packages.push(...discoverNodeModules(opts.root).filter((p) => !named.has(p.dir)));
  }
  for (const pkg of packages) {
    for (const entry of pkg.entries) {
      const previous = from.get(entry.domain);
      if (previous !== undefined) throw new PluginError(`domain ${entry.domain} is provided by both ${previous} and ${pkg.name}`);
      out.set(entry.domain, await importEntry(pkg, entry));
      from.set(entry.domain, pkg.name);
    }
  }
  return out;
}
