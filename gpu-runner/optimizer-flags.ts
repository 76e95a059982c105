/**
 * Which optimizer each domain gets: the runner's `--optimizer` and
 * `--optimizer-config` flags, each repeatable and comma-separated —
 *
 *   --optimizer cmaes                      every domain (as before)
 *   --optimizer quadratic=bobyqa,predictor=cmaes
 *   --optimizer-config '{"popsize": 16}'   every domain
 *   --optimizer-config 'quadratic={"npt": 21}'
 *
 * A domain's own entry wins over the one for every domain; a domain named
 * nowhere gets its plugin's default optimizer (plugins/sdk.ts
 * `defaultOptimizerOf`) and config {}.
 */
import type { JsonValue } from "../core/types.ts";
import { defaultOptimizerOf, type DomainPlugin } from "../plugins/sdk.ts";

export interface OptimizerChoice {
  readonly optimizer?: string;
  readonly optimizerConfig?: JsonValue;
}

export interface OptimizerFlags {
  /** for every domain */
  readonly all: OptimizerChoice;
  /** per domain (wins over `all`) */
  readonly byDomain: Readonly<Record<string, OptimizerChoice>>;
}

const DOMAIN_PREFIX = /^([A-Za-z0-9_.:-]+)=(.*)$/s;

/** Parses the flags' values; throws Error with a message for the user. */
export function parseOptimizerFlags(optimizer: readonly string[] = [], config: readonly string[] = []): OptimizerFlags {
  const all: { optimizer?: string; optimizerConfig?: JsonValue } = {};
  const byDomain: Record<string, { optimizer?: string; optimizerConfig?: JsonValue }> = {};
  const entry = (d: string) => (byDomain[d] ??= {});
  for (const value of optimizer) {
    for (const item of value.split(",").map((s) => s.trim())) {
      if (item === "") continue;
      const m = DOMAIN_PREFIX.exec(item);
      const name = m === null ? item : (m[2] as string);
      if (!/^[A-Za-z0-9_.:-]+$/.test(name)) throw new Error(`--optimizer: "${item}" is neither NAME nor DOMAIN=NAME`);
      if (m === null) all.optimizer = name;
      else entry(m[1] as string).optimizer = name;
    }
  }
  for (const value of config) {
    const trimmed = value.trim();
    const m = /^[[{"]/.test(trimmed) ? null : DOMAIN_PREFIX.exec(trimmed);
    const json = m === null ? trimmed : (m[2] as string);
    let parsed: JsonValue;
    try {
      parsed = JSON.parse(json) as JsonValue;
    } catch {
      throw new Error(`--optimizer-config must be JSON or DOMAIN=JSON, got ${value}`);
    }
    if (m === null) all.optimizerConfig = parsed;
    else entry(m[1] as string).optimizerConfig = parsed;
  }
  return { all, byDomain };
}

/** What the island of `plugin`'s domain runs: its optimizer's name and config. */
export function optimizerFor(flags: OptimizerFlags, plugin: DomainPlugin): OptimizerChoice & { readonly optimizerConfig: JsonValue } {
  const own = flags.byDomain[plugin.meta.id];
  const optimizer = own?.optimizer ?? flags.all.optimizer ?? defaultOptimizerOf(plugin);
  const optimizerConfig = own?.optimizerConfig ?? flags.all.optimizerConfig ?? {};
  return optimizer === undefined ? { optimizerConfig } : { optimizer, optimizerConfig };
}

/** Null when every choice names a served domain and an optimizer it has, else the problem. */
export function checkOptimizerFlags(flags: OptimizerFlags, plugins: readonly DomainPlugin[]): string | null {
  const served = new Set(plugins.map((p) => p.meta.id));
  for (const d of Object.keys(flags.byDomain)) if (!served.has(d)) return `--optimizer: domain ${d} is not served (--domains ${[...served].join(",")})`;
  for (const p of plugins) {
    const names = Object.keys(p.optimizers);
    const { optimizer } = optimizerFor(flags, p);
    if (names.length === 0 || optimizer === undefined) return `domain ${p.meta.id} has no optimizer: run with --kinds evaluate,inference`;
    if (!names.includes(optimizer)) return `domain ${p.meta.id} has no optimizer ${optimizer} (it has: ${names.join(", ")})`;
  }
  return null;
}
