/**
 * Finding the runner's domain plugins: the built-in ones from
 * plugins/registry.ts (imported lazily: the runner starts without it, e.g.
 * with only an external worker or a --plugin module), and modules named on
 * the command line (their default export: a DomainPlugin or an array of them).
 */
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import type { DomainPlugin } from "../plugins/sdk.ts";

export function isDomainPlugin(v: unknown): v is DomainPlugin {
  if (typeof v !== "object" || v === null) return false;
  const p = v as Partial<DomainPlugin>;
  return (
    typeof p.meta?.id === "string" &&
    typeof p.meta.higherIsBetter === "boolean" &&
    typeof p.optimizers === "object" &&
    p.optimizers !== null &&
    typeof p.inference?.evaluate === "function" &&
    typeof p.inference.infer === "function" &&
    typeof p.synthetic?.generate === "function"
  );
}

/** Plugins out of whatever a module hands over: one, an array, a Map or a record of them. */
export function collectPlugins(value: unknown): DomainPlugin[] {
  if (isDomainPlugin(value)) return [value];
  if (Array.isArray(value)) return value.flatMap(collectPlugins);
  if (value instanceof Map) return [...value.values()].flatMap(collectPlugins);
  if (typeof value === "object" && value !== null) return Object.values(value).flatMap((v) => (isDomainPlugin(v) ? [v] : []));
  return [];
}

function missingModule(e: unknown): boolean {
  const code = (e as { code?: unknown } | null)?.code;
  return code === "ERR_MODULE_NOT_FOUND" || code === "MODULE_NOT_FOUND" || (e instanceof Error && /Cannot find module|Failed to load url|Failed to resolve import/.test(e.message));
}

/** The built-in plugins (plugins/registry.ts: builtinPlugins()), or none when the registry is not there. */
export async function builtinDomainPlugins(log: (line: string) => void = () => undefined): Promise<DomainPlugin[]> {
  // A computed specifier: the registry is optional at type-check time too.
  const specifier = "../plugins/registry.ts";
  let registry: Record<string, unknown>;
  try {
    registry = (await import(specifier)) as Record<string, unknown>;
  } catch (e) {
    if (missingModule(e)) {
      log("plugins/registry.ts not found: no built-in domain plugins");
      return [];
    }
    throw e;
  }
  const builtin = registry["builtinPlugins"];
  if (typeof builtin === "function") return collectPlugins(await (builtin as () => unknown)());
  const load = registry["loadPlugins"];
  if (typeof load === "function") return collectPlugins(await (load as () => unknown)());
  return collectPlugins(registry["default"]);
}

/** A plugin module named on the command line (a path, relative to the working directory, or a package name). */
export async function loadPluginModule(specifier: string): Promise<DomainPlugin[]> {
  const target = specifier.startsWith(".") || specifier.startsWith("/") ? pathToFileURL(resolve(specifier)).href : specifier;
  const mod = (await import(target)) as Record<string, unknown>;
  const plugins = collectPlugins(mod["default"] ?? mod);
  if (plugins.length === 0) throw new Error(`${specifier}: no DomainPlugin in its default export`);
  return plugins;
}
