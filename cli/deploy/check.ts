/**
 * `doin deploy check`: a deployment folder validated offline, before any
 * wrangler command reaches Cloudflare.
 *
 * - every node's settings parse as the node parses them (durable-objects/config.ts),
 *   secrets included where they are present;
 * - every node derives the same genesis (the one genesis.json records);
 * - the network can decide rounds from its first block (core/quorum-outlook.ts);
 * - NODE_URLs are distinct and set, bootstrap peers are the other nodes;
 * - each node's D1 database and queues are its own; queue names end in the
 *   roles the Worker routes by (-jobs, -flood);
 * - secrets: present (and the key is that node's validator key) or listed
 *   as missing; database ids still placeholders are listed as to do;
 * - every environment bundles: `wrangler deploy --dry-run --env nodeK`.
 */
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { genesisState } from "../../core/genesis.ts";
import { hexToBytes, isHex } from "../../core/hex.ts";
import { addressFromPublicKey, publicKeyFromSecret } from "../../core/keys.ts";
import { quorumOutlook } from "../../core/quorum-outlook.ts";
import { queueRole } from "../../workers/queue-role.ts";
import { domainsSetting, genesisTimeSetting, nodeConfig } from "../../durable-objects/config.ts";
import { paramsFor } from "../../core/params.ts";
import { CONFIG_FILE, genesisOf, PACKAGE_ROOT, PLACEHOLDER_DATABASE_ID, PLACEHOLDER_SUBDOMAIN, readDeployConfig, readGenesisFile, secretsFile, type NodeEnvironment } from "./layout.ts";

export interface NodeReport {
  readonly env: string;
  readonly name: string;
  readonly url: string;
  readonly genesis: string | null;
  readonly secrets: Readonly<Record<string, "present" | "missing">>;
  readonly bundle: { readonly ok: boolean; readonly bytes?: number; readonly error?: string } | null;
}

export interface CheckReport {
  readonly ok: boolean;
  readonly dir: string;
  readonly network: string | null;
  readonly genesis: string | null;
  readonly nodes: NodeReport[];
  /** what makes the deployment wrong (exit 9) */
  readonly problems: string[];
  /** what may be intended but deserves a look */
  readonly warnings: string[];
  /** what is still to do before deploying (secrets to put, databases to create) */
  readonly pending: string[];
}

export interface CheckOptions {
  readonly dir: string;
  /** run `wrangler deploy --dry-run` for each environment (default true) */
  readonly bundle?: boolean;
  readonly onProgress?: (text: string) => void;
}

const SECRETS = ["NODE_SECRET", "RUNNER_TOKEN"] as const;

/** wrangler's CLI script: this package's, else the working directory's. */
function wranglerBin(): string | null {
  for (const root of [PACKAGE_ROOT, process.cwd()]) {
    try {
      const pkgPath = createRequire(join(root, "package.json")).resolve("wrangler/package.json");
      const pkg = JSON.parse(readFileSync(pkgPath, "utf8")) as { bin: string | Record<string, string> };
      const bin = typeof pkg.bin === "string" ? pkg.bin : (pkg.bin["wrangler"] ?? Object.values(pkg.bin)[0]);
      if (bin !== undefined) return join(dirname(pkgPath), bin);
    } catch {
      // not there
    }
  }
  return null;
}

/** Bundles one environment offline; the bundle's size, or wrangler's last lines. */
function dryRun(bin: string, config: string, env: string): Promise<{ ok: boolean; bytes?: number; error?: string }> {
  const out = mkdtempSync(join(tmpdir(), `doin-bundle-${env}-`));
  return new Promise((done) => {
    const child = spawn(process.execPath, [bin, "deploy", "--dry-run", "--env", env, "--config", config, "--outdir", out], {
      env: { ...process.env, WRANGLER_SEND_METRICS: "false", WRANGLER_HIDE_BANNER: "true", CLOUDFLARE_CF_FETCH_ENABLED: "false" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let log = "";
    child.stdout.on("data", (c) => (log = (log + String(c)).slice(-8_000)));
    child.stderr.on("data", (c) => (log = (log + String(c)).slice(-8_000)));
    const finish = (r: { ok: boolean; bytes?: number; error?: string }) => {
      rmSync(out, { recursive: true, force: true });
      done(r);
    };
    child.once("error", (e) => finish({ ok: false, error: e.message }));
    child.once("exit", (code) => {
      if (code !== 0) {
        const lines = log.split("\n").map((l) => l.replace(/\x1b\[[0-9;]*m/g, "").trim()).filter((l) => l !== "" && !/^[─-╿▲]+$/.test(l));
        finish({ ok: false, error: lines.slice(-3).join(" / ") || `wrangler exited ${code}` });
        return;
      }
      // the modules wrangler would upload (source maps and its README are not)
      const bytes = readdirSync(out)
        .filter((f) => /\.(m?js|wasm)$/.test(f))
        .reduce((s, f) => s + statSync(join(out, f)).size, 0);
      finish({ ok: true, bytes });
    });
  });
}

function readSecrets(dir: string, env: string, problems: string[]): Record<string, string> {
  const path = secretsFile(dir, env);
  if (!existsSync(path)) return {};
  try {
    const o = JSON.parse(readFileSync(path, "utf8")) as Record<string, unknown>;
    return Object.fromEntries(Object.entries(o).filter((e): e is [string, string] => typeof e[1] === "string"));
  } catch (e) {
    problems.push(`${env}: ${path} is not JSON (${e instanceof Error ? e.message : String(e)})`);
    return {};
  }
}

export async function deployCheck(opts: CheckOptions): Promise<CheckReport> {
  const dir = resolve(opts.dir);
  const config = readDeployConfig(dir);
  const recorded = readGenesisFile(dir);
  const problems: string[] = [];
  const warnings: string[] = [];
  const pending: string[] = [];
  const envs = Object.entries(config.env) as [string, NodeEnvironment][];
  const urls = new Map<string, string>();
  const queues = new Map<string, string>();
  const databases = new Map<string, string>();
  const keys = new Map<string, string>();
  /** each node's account: from its secret, else from genesis.json */
  const addresses = new Map<string, string>();
  const nodes: NodeReport[] = [];

  if (!existsSync(resolve(dir, config.main))) problems.push(`main ${config.main} does not exist (relative to ${dir}): the package moved since init; run init again or fix "main"`);

  for (const [env, e] of envs) {
    const vars = e.vars ?? {};
    let genesis: string | null = null;
    try {
      genesis = genesisOf(vars);
    } catch (err) {
      problems.push(`${env}: ${err instanceof Error ? err.message : String(err)}`);
    }
    // the node's own reading of its settings (secrets where present)
    const secrets = readSecrets(dir, env, problems);
    const secretState = Object.fromEntries(SECRETS.map((s) => [s, secrets[s] === undefined ? "missing" : "present"])) as Record<string, "present" | "missing">;
    const missing = SECRETS.filter((s) => secrets[s] === undefined);
    if (missing.length > 0) pending.push(`${env}: secrets ${missing.join(", ")} not in ${secretsFile(dir, env)}: put them with \`wrangler secret put NAME --env ${env} --config ${join(dir, CONFIG_FILE)}\` (or check that they are already set on Cloudflare)`);
    try {
      nodeConfig({ NODE_SECRET: "11".repeat(32), RUNNER_TOKEN: "placeholder-token", ...vars, ...secrets } as unknown as Env);
    } catch (err) {
      problems.push(`${env}: ${err instanceof Error ? err.message : String(err)}`);
    }
    const validators = (vars["GENESIS_VALIDATORS"] ?? "").split(",").filter((v) => v !== "");
    if (secrets["NODE_SECRET"] !== undefined && isHex(secrets["NODE_SECRET"], 32)) {
      const pub = publicKeyFromSecret(hexToBytes(secrets["NODE_SECRET"]));
      if (!validators.includes(pub)) warnings.push(`${env}: its NODE_SECRET is not a genesis validator's key (the node starts without reputation)`);
      const expected = recorded?.validators.find((v) => v.node === env)?.publicKey;
      if (expected !== undefined && expected !== pub) problems.push(`${env}: its NODE_SECRET is not the key genesis.json records for it`);
      const other = keys.get(pub);
      if (other !== undefined) problems.push(`${env} and ${other} have the same NODE_SECRET`);
      keys.set(pub, env);
      addresses.set(env, addressFromPublicKey(pub));
    } else {
      const recordedAddress = recorded?.validators.find((v) => v.node === env)?.address;
      if (recordedAddress !== undefined) addresses.set(env, recordedAddress);
    }

    const url = vars["NODE_URL"] ?? "";
    if (!/^https?:\/\/[^/\s]+$/.test(url)) problems.push(`${env}: NODE_URL ${JSON.stringify(url)} is not a URL`);
    else if (url.includes(PLACEHOLDER_SUBDOMAIN)) problems.push(`${env}: NODE_URL ${url} still has the placeholder subdomain: run init with --subdomain or --urls`);
    else if (url.startsWith("http://")) warnings.push(`${env}: NODE_URL ${url} is not https`);
    if (urls.has(url)) problems.push(`${env} and ${urls.get(url)} have the same NODE_URL ${url}`);
    urls.set(url, env);

    for (const d of e.d1_databases ?? []) {
      if (databases.has(d.database_name)) problems.push(`${env} and ${databases.get(d.database_name)} share the D1 database ${d.database_name}`);
      databases.set(d.database_name, env);
      if (d.database_id === PLACEHOLDER_DATABASE_ID) pending.push(`${env}: create D1 database ${d.database_name} (\`wrangler d1 create ${d.database_name}\`) and put its id into env.${env}.d1_databases`);
    }
    for (const q of [...(e.queues?.producers ?? []).map((p) => p.queue), ...(e.queues?.consumers ?? []).map((c) => c.queue)]) {
      if (queueRole(q) === null) problems.push(`${env}: queue ${q} has no role the Worker routes (its name must end in -jobs or -flood)`);
    }
    for (const p of e.queues?.producers ?? []) {
      if (queues.has(p.queue) && queues.get(p.queue) !== env) problems.push(`${env} and ${queues.get(p.queue)} share the queue ${p.queue}`);
      queues.set(p.queue, env);
    }
    nodes.push({ env, name: e.name, url, genesis, secrets: secretState, bundle: null });
  }

  // one network: the same genesis everywhere, and the one genesis.json records
  const hashes = new Set(nodes.map((n) => n.genesis).filter((g): g is string => g !== null));
  if (hashes.size > 1) problems.push(`the nodes do not agree on the genesis: ${nodes.map((n) => `${n.env} ${n.genesis?.slice(0, 12) ?? "?"}`).join(", ")} (NETWORK_ID, GENESIS_VALIDATORS, GENESIS_TIME and DOMAINS must be identical)`);
  const genesis = hashes.size === 1 ? ([...hashes][0] as string) : null;
  if (recorded !== null && genesis !== null && recorded.genesis !== genesis) problems.push(`genesis.json records genesis ${recorded.genesis.slice(0, 12)}, the nodes derive ${genesis.slice(0, 12)}`);
  if (recorded === null) warnings.push(`no genesis.json in ${dir}`);

  // peers: each node bootstraps to the others
  for (const [env, e] of envs) {
    const peers = (e.vars?.["BOOTSTRAP_PEERS"] ?? "").split(",").map((p) => p.trim()).filter((p) => p !== "");
    if (envs.length > 1 && peers.length === 0) problems.push(`${env}: BOOTSTRAP_PEERS is empty: it would never find the network`);
    for (const p of peers) {
      if (p === e.vars?.["NODE_URL"]) problems.push(`${env}: lists itself in BOOTSTRAP_PEERS`);
      else if (!urls.has(p)) warnings.push(`${env}: bootstrap peer ${p} is not a node of this deployment`);
    }
  }

  // rounds can be decided from the first block
  const first = envs[0]?.[1].vars;
  const network = first?.["NETWORK_ID"] ?? null;
  if (first !== undefined && genesis !== null) {
    try {
      const params = paramsFor(first["NETWORK_ID"] ?? "", (first["GENESIS_VALIDATORS"] ?? "").split(",").filter((v) => v !== ""), domainsSetting(first["DOMAINS"]), genesisTimeSetting(first["GENESIS_TIME"]));
      const accounts = genesisState(params).accounts;
      for (const [env, e] of envs) {
        const o = quorumOutlook(accounts, params.genesisTimestamp, params, addresses.get(env));
        if (o.problem === "NO_EVALUATORS") {
          problems.push(`${o.problem}: ${o.message}`);
          break;
        }
        if (o.problem === "SELF_ONLY_EVALUATOR" && (e.vars?.["OPTIMIZE_DOMAINS"] ?? "") !== "") warnings.push(`${env}: ${o.problem}: ${o.message}`);
      }
    } catch {
      // reported above
    }
  }

  if (opts.bundle !== false) {
    const bin = wranglerBin();
    if (bin === null) problems.push("wrangler is not installed here (npm install -D wrangler@4): the environments could not be bundled");
    else if (Number(process.versions.node.split(".")[0]) < 22) problems.push(`wrangler needs Node ≥ 22.12 and this is ${process.version}: run \`npm run doin -- deploy check\` in a checkout (Node 22 comes with npm install)`);
    else {
      const file = join(dir, CONFIG_FILE);
      // two at a time: each wrangler is a Node process of its own
      const queue = [...nodes];
      const workers = Array.from({ length: 2 }, async () => {
        for (let n = queue.shift(); n !== undefined; n = queue.shift()) {
          opts.onProgress?.(`bundling ${n.env} (wrangler deploy --dry-run)`);
          const r = await dryRun(bin, file, n.env);
          const i = nodes.indexOf(n);
          nodes[i] = { ...n, bundle: r };
          if (!r.ok) problems.push(`${n.env}: wrangler deploy --dry-run failed: ${r.error}`);
        }
      });
      await Promise.all(workers);
    }
  }

  return { ok: problems.length === 0, dir, network, genesis, nodes, problems, warnings, pending };
}
