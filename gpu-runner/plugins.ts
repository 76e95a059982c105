/**
 * The runner's domain plugins: plugins/registry.ts finds the built-in ones
 * and plugin packages (a `doin` field in package.json: the folders named with
 * --plugin-package, and every such package in node_modules); a bare module
 * named with --plugin adds its default export (a DomainPlugin, or an array,
 * Map or record of them). A later source replaces an earlier one's domain.
 */
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { isDomainPlugin, loadPlugins } from "../plugins/registry.ts";
import type { DomainPlugin } from "../plugins/sdk.ts";

/** Plugins out of whatever a module hands over: one, an array, a Map or a record of them. */
export function collectPlugins(value: unknown): DomainPlugin[] {
  if (isDomainPlugin(value)) return [value];
  if (Array.isArray(value)) return value.flatMap(collectPlugins);
  if (value instanceof Map) return [...value.values()].flatMap(collectPlugins);
  if (typeof value === "object" && value !== null) return Object.values(value).flatMap((v) => (isDomainPlugin(v) ? [v] : []));
  return [];
}

/** A plugin module named on the command line (a path, relative to the working directory, or a package name). */
export async function loadPluginModule(specifier: string): Promise<DomainPlugin[]> {
  const target = specifier.startsWith(".") || specifier.startsWith("/") ? pathToFileURL(resolve(specifier)).href : specifier;
  const mod = (await import(target)) as Record<string, unknown>;
  const plugins = collectPlugins(mod["default"] ?? mod);
  if (plugins.length === 0) throw new Error(`${specifier}: no DomainPlugin in its default export`);
  return plugins;
}

/** Built-ins, then plugin packages (named folders, then node_modules), then bare modules: by domain id. */
export async function runnerPlugins(opts: { readonly packages?: readonly string[]; readonly modules?: readonly string[]; readonly root?: string }): Promise<Map<string, DomainPlugin>> {
  const byDomain = await loadPlugins({ packages: opts.packages ?? [], fromNodeModules: true, ...(opts.root === undefined ? {} : { root: opts.root }) });
  for (const m of opts.modules ?? []) {
    for (const p of await loadPluginModule(m)) byDomain.set(p.meta.id, p);
  }
  return byDomain;
}
