/**
 * A network's deployment folder, as `doin deploy init` writes it and
 * `doin deploy check` reads it:
 *
 *   <dir>/wrangler.json       one wrangler environment per node (env.node1 …): the
 *                             Worker of this package, its own D1 database and queues,
 *                             the network's vars (NETWORK_ID, GENESIS_VALIDATORS,
 *                             DOMAINS) and the node's own (NODE_URL, BOOTSTRAP_PEERS,
 *                             OPTIMIZE_DOMAINS)
 *   <dir>/genesis.json        the validators (one per node) and the genesis hash
 *   <dir>/secrets/nodeK.json  NODE_SECRET and RUNNER_TOKEN (0600; .gitignore'd),
 *                             for `wrangler secret bulk`
 *   <dir>/commands.sh         the wrangler commands that create, configure and deploy it
 *
 * Bindings, migrations and compatibility settings are copied from the
 * package's wrangler.toml, so a deployed node is the Worker `npm start` runs.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parse as parseToml } from "smol-toml";
import { genesisBlock } from "../../core/genesis.ts";
import { domainsSetting, genesisTimeSetting } from "../../durable-objects/config.ts";
import { paramsFor } from "../../core/params.ts";
import { CliError, EXIT } from "../errors.ts";

/** The package root (where wrangler.toml and the Worker's sources are). */
export const PACKAGE_ROOT = fileURLToPath(new URL("../..", import.meta.url));
/** wrangler.toml's placeholder database id, kept until `wrangler d1 create` gives the real one. */
export const PLACEHOLDER_DATABASE_ID = "00000000-0000-0000-0000-000000000000";
/** Written where a URL is not known yet (no --subdomain / --urls). */
export const PLACEHOLDER_SUBDOMAIN = "CHANGE-ME";
export const CONFIG_FILE = "wrangler.json";
export const GENESIS_FILE = "genesis.json";

export interface QueueProducer {
  readonly binding: string;
  readonly queue: string;
}
export interface QueueConsumer {
  readonly queue: string;
  readonly [key: string]: unknown;
}
export interface D1Binding {
  readonly binding: string;
  readonly database_name: string;
  readonly database_id: string;
  readonly migrations_dir?: string;
}

/** One node's wrangler environment. */
export interface NodeEnvironment {
  readonly name: string;
  readonly vars: Readonly<Record<string, string>>;
  readonly durable_objects: unknown;
  readonly d1_databases: readonly D1Binding[];
  readonly queues: { readonly producers: readonly QueueProducer[]; readonly consumers: readonly QueueConsumer[] };
  /** rate-limit bindings, each node in its own namespace (counters are per account and namespace) */
  readonly ratelimits?: readonly RateLimitBinding[];
  readonly triggers?: unknown;
}

export interface RateLimitBinding {
  readonly name: string;
  readonly namespace_id: string;
  readonly simple: { readonly limit: number; readonly period: number };
}

export interface DeployConfig {
  readonly name: string;
  readonly main: string;
  readonly compatibility_date: string;
  readonly compatibility_flags?: readonly string[];
  readonly send_metrics?: boolean;
  readonly migrations?: unknown;
  /** module rules (the explorer's assets travel as text modules) */
  readonly rules?: unknown;
  readonly env: Readonly<Record<string, NodeEnvironment>>;
}

export interface GenesisFile {
  readonly network: string;
  readonly genesis: string;
  readonly validators: readonly { readonly node: string; readonly publicKey: string; readonly address: string }[];
  /** the DOMAINS setting every node has (JSON text, "" for none) */
  readonly domains: string;
}

/** The package's wrangler.toml, parsed. */
export function baseConfig(): Record<string, unknown> {
  return parseToml(readFileSync(join(PACKAGE_ROOT, "wrangler.toml"), "utf8")) as Record<string, unknown>;
}

export function secretsFile(dir: string, env: string): string {
  return join(dir, "secrets", `${env}.json`);
}

const deployError = (code: string, message: string, hint?: string): CliError => new CliError(code, message, EXIT.DEPLOY, hint);

export function readDeployConfig(dir: string): DeployConfig {
  const path = join(dir, CONFIG_FILE);
  if (!existsSync(path)) throw deployError("NO_DEPLOYMENT", `no ${CONFIG_FILE} in ${dir}`, "create one with `doin deploy init --nodes N --network NAME`");
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, "utf8"));
  } catch (e) {
    throw deployError("DEPLOYMENT_DAMAGED", `${path}: ${e instanceof Error ? e.message : String(e)}`);
  }
  const c = json as Partial<DeployConfig>;
  if (typeof c.main !== "string" || typeof c.env !== "object" || c.env === null || Object.keys(c.env).length === 0) {
    throw deployError("DEPLOYMENT_DAMAGED", `${path}: expected a wrangler configuration with one environment per node (env.node1 …)`);
  }
  return c as DeployConfig;
}

export function readGenesisFile(dir: string): GenesisFile | null {
  const path = join(dir, GENESIS_FILE);
  if (!existsSync(path)) return null;
  try {
    return JSON.parse(readFileSync(path, "utf8")) as GenesisFile;
  } catch (e) {
    throw deployError("DEPLOYMENT_DAMAGED", `${path}: ${e instanceof Error ? e.message : String(e)}`);
  }
}


/**
 * The genesis hash a node with these vars starts from: the node's own
 * derivation (core/params.ts paramsFor, core's genesisBlock), so two
 * nodes agree here exactly when they would agree on the chain.
 */
export function genesisOf(vars: Readonly<Record<string, string>>): string {
  const validators = (vars["GENESIS_VALIDATORS"] ?? "").split(",").map((s) => s.trim()).filter((s) => s !== "");
  return genesisBlock(paramsFor(vars["NETWORK_ID"] ?? "", validators, domainsSetting(vars["DOMAINS"]), genesisTimeSetting(vars["GENESIS_TIME"]))).block.hash;
}
