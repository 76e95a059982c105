/**
 * `doin deploy init`: the configuration of an N-node network on Cloudflare
 * (see layout.ts for the files). Every node is a genesis validator with a
 * fresh key, so the network can decide rounds from its first block; each
 * node bootstraps to all the others.
 */
import { chmodSync, existsSync, mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { bytesToHex } from "../../core/hex.ts";
import { addressFromPublicKey, publicKeyFromSecret } from "../../core/keys.ts";
import { quorumOutlook } from "../../core/quorum-outlook.ts";
import { genesisState } from "../../core/genesis.ts";
import { declaredDomains } from "../../plugins/registry.ts";
import { domainsSetting, genesisTimeSetting } from "../../durable-objects/config.ts";
import { paramsFor } from "../../core/params.ts";
import { CliError, EXIT, usage } from "../errors.ts";
import {
  baseConfig,
  CONFIG_FILE,
  GENESIS_FILE,
  genesisOf,
  PACKAGE_ROOT,
  PLACEHOLDER_DATABASE_ID,
  PLACEHOLDER_SUBDOMAIN,
  secretsFile,
  type D1Binding,
  type RateLimitBinding,
  type DeployConfig,
  type GenesisFile,
  type NodeEnvironment,
  type QueueConsumer,
  type QueueProducer,
} from "./layout.ts";

const NETWORK_RE = /^[a-z0-9][a-z0-9_-]{0,40}$/;

export interface InitOptions {
  readonly nodes: number;
  readonly network: string;
  readonly out: string;
  /** the account's workers.dev subdomain: node URLs are https://<network>-node<i>.<subdomain>.workers.dev */
  readonly subdomain?: string;
  /** or every node's URL (custom domains), in node order */
  readonly urls?: readonly string[];
  readonly pluginPackages?: readonly string[];
  /** what every node's runners optimize (default quadratic and the plugin packages' domains) */
  readonly optimize?: readonly string[];
  readonly force?: boolean;
  /** the network's genesis time (ms since the epoch; default now): reputation decays from it */
  readonly genesisTime?: number;
}

export interface InitResult {
  readonly dir: string;
  readonly network: string;
  readonly genesis: string;
  readonly nodes: readonly { readonly env: string; readonly name: string; readonly url: string; readonly publicKey: string; readonly address: string }[];
  readonly commands: readonly string[];
  readonly warnings: readonly string[];
}

/** `queue` renamed for one node: doin-jobs → <worker>-jobs (the Worker routes by the -jobs / -flood suffix). */
const nodeQueue = (worker: string, queue: string): string => `${worker}-${queue.replace(/^doin-/, "")}`;

export function deployInit(opts: InitOptions): InitResult {
  if (!Number.isSafeInteger(opts.nodes) || opts.nodes < 1 || opts.nodes > 64) throw usage(`--nodes: ${opts.nodes} is not a node count from 1 to 64`);
  if (!NETWORK_RE.test(opts.network)) throw usage(`--network: ${JSON.stringify(opts.network)} is not a network id`, "1 to 41 characters of a-z, 0-9, _ and -, starting with a letter or digit");
  if (opts.urls !== undefined && opts.urls.length !== opts.nodes) throw usage(`--urls names ${opts.urls.length} URLs for ${opts.nodes} nodes`);
  for (const u of opts.urls ?? []) {
    if (!/^https?:\/\/[^/\s]+\/?$/.test(u)) throw usage(`--urls: ${JSON.stringify(u)} is not a node URL (scheme and host, no path)`);
  }
  if (opts.subdomain !== undefined && !/^[a-z0-9][a-z0-9-]{0,62}$/.test(opts.subdomain)) throw usage(`--subdomain: ${JSON.stringify(opts.subdomain)} is not a workers.dev subdomain`);
  const dir = resolve(opts.out);
  if (existsSync(dir) && readdirSync(dir).length > 0 && opts.force !== true) {
    throw new CliError("DEPLOYMENT_EXISTS", `${dir} already holds a deployment`, EXIT.DEPLOY, "its keys are the network's validators: keep it; --force writes a new network over it");
  }

  let declared: { ids: string[]; rules: unknown[] };
  try {
    declared = declaredDomains(opts.pluginPackages ?? []);
  } catch (e) {
    throw usage(`--plugin-package: ${e instanceof Error ? e.message : String(e)}`);
  }
  const domains = declared.rules.length === 0 ? "" : JSON.stringify(declared.rules);
  domainsSetting(domains); // refuses rules a node would refuse
  const optimize = opts.optimize ?? ["quadratic", ...declared.ids];

  const base = baseConfig();
  const main = relative(dir, join(PACKAGE_ROOT, String(base["main"])));
  const baseQueues = (base["queues"] ?? {}) as { producers?: QueueProducer[]; consumers?: QueueConsumer[] };
  const baseD1 = (base["d1_databases"] ?? []) as D1Binding[];
  const baseLimits = (base["ratelimits"] ?? []) as RateLimitBinding[];

  const nodes = Array.from({ length: opts.nodes }, (_, i) => {
    const env = `node${i + 1}`;
    const index = i;
    const name = `${opts.network}-${env}`;
    const secret = crypto.getRandomValues(new Uint8Array(32));
    const publicKey = publicKeyFromSecret(secret);
    const url = (opts.urls?.[i] ?? `https://${name}.${opts.subdomain ?? PLACEHOLDER_SUBDOMAIN}.workers.dev`).replace(/\/+$/, "");
    return { index, env, name, url, publicKey, address: addressFromPublicKey(publicKey), secret: bytesToHex(secret), token: bytesToHex(crypto.getRandomValues(new Uint8Array(24))) };
  });
  const validators = nodes.map((n) => n.publicKey).join(",");
  const genesisTime = opts.genesisTime ?? Date.now();
  genesisTimeSetting(String(genesisTime)); // refuses a time a node would refuse

  const environments: Record<string, NodeEnvironment> = {};
  for (const n of nodes) {
    environments[n.env] = {
      name: n.name,
      vars: {
        NETWORK_ID: opts.network,
        GENESIS_VALIDATORS: validators,
        GENESIS_TIME: String(genesisTime),
        DOMAINS: domains,
        NODE_URL: n.url,
        BOOTSTRAP_PEERS: nodes.filter((p) => p !== n).map((p) => p.url).join(","),
        OPTIMIZE_DOMAINS: optimize.join(","),
      },
      durable_objects: base["durable_objects"],
      d1_databases: baseD1.map((d) => ({
        binding: d.binding,
        database_name: n.name,
        database_id: PLACEHOLDER_DATABASE_ID,
        ...(d.migrations_dir === undefined ? {} : { migrations_dir: relative(dir, join(PACKAGE_ROOT, d.migrations_dir)) }),
      })),
      queues: {
        producers: (baseQueues.producers ?? []).map((p) => ({ ...p, queue: nodeQueue(n.name, p.queue) })),
        consumers: (baseQueues.consumers ?? []).map((c) => ({ ...c, queue: nodeQueue(n.name, c.queue) })),
      },
      // non-inheritable in wrangler: each environment names its own, one namespace per node
      ratelimits: baseLimits.map((l) => ({ ...l, namespace_id: String(Number(l.namespace_id) + n.index) })),
      ...(base["triggers"] === undefined ? {} : { triggers: base["triggers"] }),
    };
  }
  const config: DeployConfig = {
    name: opts.network,
    main,
    compatibility_date: String(base["compatibility_date"]),
    ...(base["compatibility_flags"] === undefined ? {} : { compatibility_flags: base["compatibility_flags"] as string[] }),
    send_metrics: false,
    ...(base["migrations"] === undefined ? {} : { migrations: base["migrations"] }),
    ...(base["rules"] === undefined ? {} : { rules: base["rules"] }),
    env: environments,
  };
  const genesis = genesisOf(environments["node1"]?.vars ?? {});
  const genesisFile: GenesisFile = { network: opts.network, genesis, validators: nodes.map((n) => ({ node: n.env, publicKey: n.publicKey, address: n.address })), domains };

  mkdirSync(join(dir, "secrets"), { recursive: true, mode: 0o700 });
  chmodSync(join(dir, "secrets"), 0o700);
  writeFileSync(join(dir, CONFIG_FILE), `${JSON.stringify(config, null, 2)}\n`);
  writeFileSync(join(dir, GENESIS_FILE), `${JSON.stringify(genesisFile, null, 2)}\n`);
  writeFileSync(join(dir, "secrets", ".gitignore"), "*\n");
  for (const n of nodes) {
    const path = secretsFile(dir, n.env);
    writeFileSync(path, `${JSON.stringify({ NODE_SECRET: n.secret, RUNNER_TOKEN: n.token }, null, 2)}\n`, { mode: 0o600 });
    chmodSync(path, 0o600);
  }

  const cfg = relative(process.cwd(), join(dir, CONFIG_FILE)) || CONFIG_FILE;
  const commands: string[] = [];
  for (const n of nodes) {
    const env = environments[n.env] as NodeEnvironment;
    commands.push(
      `# ${n.env}: ${n.url}`,
      ...env.d1_databases.map((d) => `npx wrangler d1 create ${d.database_name}   # then put its database_id into env.${n.env}.d1_databases in ${cfg}`),
      ...env.queues.producers.map((p) => `npx wrangler queues create ${p.queue}`),
      `npx wrangler secret bulk ${relative(process.cwd(), secretsFile(dir, n.env))} --env ${n.env} --config ${cfg}`,
      ...env.d1_databases.map((d) => `npx wrangler d1 migrations apply ${d.binding} --remote --env ${n.env} --config ${cfg}`),
      `npx wrangler deploy --env ${n.env} --config ${cfg}`,
    );
  }
  writeFileSync(
    join(dir, "commands.sh"),
    `# The wrangler commands that bring network ${opts.network} up (written by doin deploy init).\n# Check the configuration first: doin deploy check --dir ${relative(process.cwd(), dir) || "."}\nset -e\n${commands.join("\n")}\n`,
  );

  const warnings: string[] = [];
  if (opts.subdomain === undefined && opts.urls === undefined) warnings.push(`node URLs use the placeholder subdomain ${PLACEHOLDER_SUBDOMAIN}: run init again with --subdomain (your account's workers.dev subdomain) or --urls`);
  const params = paramsFor(opts.network, nodes.map((n) => n.publicKey), domainsSetting(domains), genesisTime);
  const outlook = quorumOutlook(genesisState(params).accounts, genesisTime, params, nodes[0]?.address);
  if (outlook.problem !== null && optimize.length > 0) warnings.push(`${outlook.problem}: ${outlook.message}`);
  return { dir, network: opts.network, genesis, nodes: nodes.map(({ env, name, url, publicKey, address }) => ({ env, name, url, publicKey, address })), commands, warnings };
}
