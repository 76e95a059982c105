/**
 * A DOIN GPU runner: pulls jobs from a node and runs them on domain plugins.
 *
 *   npm run runner -- --node URL --token T [--domains quadratic] [--concurrency N]
 *                     [--optimizer NAME | --optimizer DOMAIN=NAME,…] [--source tasks|queues]
 *                     [--external "python3 gpu-runner/python/doin_worker.py"]
 *
 * `--help` lists every option. SIGINT / SIGTERM stop it cleanly: no new
 * claims, running jobs get the grace period, the rest are released.
 */
import { hostname } from "node:os";
import { parseArgs } from "node:util";
import type { DomainPlugin } from "../plugins/sdk.ts";
import { nodeChampions } from "./champions.ts";
import { startExternalPlugins } from "./external-plugin.ts";
import type { WorkerProcess } from "./worker-process.ts";
import { requestJson } from "./http.ts";
import { JOB_KINDS, type JobKind, type JobSource } from "./job-source.ts";
import { checkOptimizerFlags, optimizerFor, parseOptimizerFlags, type OptimizerFlags } from "./optimizer-flags.ts";
import { runnerPlugins } from "./plugins.ts";
import { Runner } from "./runner.ts";
import { cloudflareQueuesSource } from "./sources/cloudflare-queues.ts";
import { nodeTasksSource } from "./sources/node-tasks.ts";

const USAGE = `usage: npm run runner -- --node URL --token T [options]

  --node URL               the node (its /tasks API, and /chain/champions)
  --token T                the node's runner token (or DOIN_RUNNER_TOKEN)
  --name NAME              this runner's name (default runner-<host>-<pid>)
  --domains a,b            domains to serve (default quadratic)
  --kinds k,…              optimize,evaluate,inference (default all three)
  --concurrency N          jobs at once (default 2)
  --optimizer NAME         every domain's optimizer: cmaes | random_step | bobyqa | batch_es (external) …
  --optimizer DOMAIN=NAME  one domain's (comma-separated or repeated: quadratic=bobyqa,sphere=compass);
                           default: the domain's own default optimizer
  --optimizer-config JSON  the optimizers' config, or DOMAIN=JSON for one domain's (default {})
  --budget N               evaluations per optimize round (default 64)
  --migrate-every K        adopt the node's champion every K rounds when it is better (default 1; 0 never)
  --lease-ms MS            lease length, 5000..600000 (default 60000); heartbeats every third
  --grace-ms MS            on stop, how long running jobs may finish (default 10000)
  --poll-ms MS             wait between claims when idle (default 1000)
  --progress-ms MS         progress line interval (default 5000; 0 off)
  --plugin-package DIR     load a plugin package: a folder whose package.json has a "doin" field (repeatable);
                           packages with one in node_modules are found by themselves
  --plugin MODULE          load a DomainPlugin module (repeatable)
  --external "CMD"         an external worker (JSON lines on stdio, see gpu-runner/PROTOCOL.md),
                           e.g. "python3 gpu-runner/python/doin_worker.py"; the TypeScript plugin is its CPU fallback
  --external-timeout-ms MS per-request timeout for the worker (default 30000)
  --source tasks|queues    where jobs come from (default tasks: the node's lease API)
    --cf-account ID --cf-token T (or CLOUDFLARE_API_TOKEN) --queue ID --result-queue ID
    [--cf-api URL] [--visibility-ms MS]     Cloudflare Queues HTTP pull (--source queues)
`;

function fail(message: string, code = 2): never {
  console.error(`runner: ${message}`);
  process.exit(code);
}

const { values: args } = parseArgs({
  options: {
    node: { type: "string" },
    token: { type: "string" },
    name: { type: "string" },
    domains: { type: "string", default: "quadratic" },
    kinds: { type: "string", default: JOB_KINDS.join(",") },
    concurrency: { type: "string", default: "2" },
    optimizer: { type: "string", multiple: true },
    "optimizer-config": { type: "string", multiple: true },
    budget: { type: "string", default: "64" },
    "migrate-every": { type: "string", default: "1" },
    "lease-ms": { type: "string", default: "60000" },
    "grace-ms": { type: "string", default: "10000" },
    "poll-ms": { type: "string", default: "1000" },
    "progress-ms": { type: "string", default: "5000" },
    plugin: { type: "string", multiple: true },
    "plugin-package": { type: "string", multiple: true },
    external: { type: "string" },
    "external-timeout-ms": { type: "string", default: "30000" },
    source: { type: "string", default: "tasks" },
    "cf-account": { type: "string" },
    "cf-token": { type: "string" },
    queue: { type: "string" },
    "result-queue": { type: "string" },
    "cf-api": { type: "string" },
    "visibility-ms": { type: "string", default: "600000" },
    help: { type: "boolean", short: "h" },
  },
  strict: true,
});

if (args.help === true) {
  process.stdout.write(USAGE);
  process.exit(0);
}

const int = (name: string, value: string, min: number, max: number): number => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) fail(`--${name} must be an integer from ${min} to ${max}`);
  return n;
};

const node = (args.node ?? "").replace(/\/+$/, "");
if (node === "") fail(`--node is required\n\n${USAGE}`);
const name = args.name ?? `runner-${hostname()}-${process.pid}`.replace(/[^\x21-\x7e]/g, "-").slice(0, 128);
const domains = args.domains
  .split(",")
  .map((d) => d.trim())
  .filter((d) => d !== "");
const kinds = args.kinds.split(",").map((k) => k.trim()) as JobKind[];
for (const k of kinds) if (!JOB_KINDS.includes(k)) fail(`--kinds: unknown kind ${k}`);
const concurrency = int("concurrency", args.concurrency, 1, 256);
const leaseMs = int("lease-ms", args["lease-ms"], 5_000, 600_000);
let optimizerFlags: OptimizerFlags;
try {
  optimizerFlags = parseOptimizerFlags(args.optimizer, args["optimizer-config"]);
} catch (e) {
  fail(e instanceof Error ? e.message : String(e));
}
const log = (line: string) => console.log(line);

// ---------------------------------------------------------------- plugins
let byDomain: Map<string, DomainPlugin>;
try {
  byDomain = await runnerPlugins({ packages: args["plugin-package"] ?? [], modules: args.plugin ?? [] });
} catch (e) {
  fail(`plugins: ${e instanceof Error ? e.message : String(e)}`);
}
let worker: WorkerProcess | null = null;
if (args.external !== undefined) {
  try {
    const started = await startExternalPlugins(args.external, domains, byDomain, {
      requestTimeoutMs: int("external-timeout-ms", args["external-timeout-ms"], 100, 3_600_000),
      log,
    });
    worker = started.worker;
    for (const p of started.plugins) byDomain.set(p.meta.id, p);
    if (started.plugins.length === 0) log(`external worker serves none of ${domains.join(",")}: not used`);
  } catch (e) {
    log(`external worker unavailable (${e instanceof Error ? e.message : String(e)}): running on the TypeScript plugins (CPU)`);
  }
}
const plugins: DomainPlugin[] = [];
for (const d of domains) {
  const p = byDomain.get(d);
  if (p === undefined) fail(`no plugin for domain ${d} (have: ${[...byDomain.keys()].join(", ") || "none"}); add --plugin MODULE or --external CMD`);
  plugins.push(p);
}
const optimizerProblem = kinds.includes("optimize") ? checkOptimizerFlags(optimizerFlags, plugins) : null;
if (optimizerProblem !== null) fail(optimizerProblem);

// ---------------------------------------------------------------- source
let source: JobSource;
if (args.source === "tasks") {
  const token = args.token ?? process.env["DOIN_RUNNER_TOKEN"];
  if (token === undefined || token === "") fail("--token is required (or DOIN_RUNNER_TOKEN)");
  // A wrong token is a configuration error: say so now rather than retrying forever.
  try {
    const r = await requestJson({ method: "GET", url: `${node}/tasks/pending?limit=1`, headers: { authorization: `Bearer ${token}` } }, { attempts: 2, baseMs: 500, maxMs: 1_000, timeoutMs: 10_000 });
    if (r.status === 401) fail(`the node at ${node} refused the runner token`);
  } catch (e) {
    log(`node ${node} not reachable yet (${e instanceof Error ? e.message : String(e)}): will keep trying`);
  }
  source = nodeTasksSource({ node, token, runner: name, kinds, domains, leaseMs });
} else if (args.source === "queues") {
  const apiToken = args["cf-token"] ?? process.env["CLOUDFLARE_API_TOKEN"];
  for (const [flag, v] of [
    ["--cf-account", args["cf-account"]],
    ["--cf-token", apiToken],
    ["--queue", args.queue],
    ["--result-queue", args["result-queue"]],
  ] as const) {
    if (v === undefined || v === "") fail(`--source queues needs ${flag}`);
  }
  source = cloudflareQueuesSource({
    accountId: args["cf-account"] as string,
    apiToken: apiToken as string,
    queueId: args.queue as string,
    resultQueueId: args["result-queue"] as string,
    ...(args["cf-api"] === undefined ? {} : { apiBase: args["cf-api"] }),
    visibilityTimeoutMs: int("visibility-ms", args["visibility-ms"], 1_000, 12 * 3600_000),
    kinds,
    domains,
    runner: name,
    log,
  });
} else {
  fail(`--source must be tasks or queues`);
}

// ---------------------------------------------------------------- run
const runner = new Runner({
  id: name,
  source,
  plugins,
  champions: nodeChampions({ node }),
  concurrency,
  islandByDomain: Object.fromEntries(plugins.map((p) => [p.meta.id, optimizerFor(optimizerFlags, p)])),
  island: {
    budget: int("budget", args.budget, 1, 100_000_000),
    migrateEvery: int("migrate-every", args["migrate-every"], 0, 1_000_000),
  },
  graceMs: int("grace-ms", args["grace-ms"], 0, 3_600_000),
  pollMs: int("poll-ms", args["poll-ms"], 50, 600_000),
  progressMs: int("progress-ms", args["progress-ms"], 0, 3_600_000),
  log,
});

const device = worker?.hello === null || worker === null ? "cpu (TypeScript)" : `${worker.hello.device} via external worker (torch ${worker.hello.torch ?? "none"})`;
const served = plugins.map((p) => (kinds.includes("optimize") ? `${p.meta.id} (${optimizerFor(optimizerFlags, p).optimizer})` : p.meta.id));
log(`${name}: serving ${served.join(", ")} (${kinds.join(",")}) from ${source.name}; concurrency ${concurrency}, lease ${leaseMs} ms, ${device}`);

let stoppingSince: number | null = null;
const shutdown = async (signal: string): Promise<void> => {
  if (stoppingSince !== null) {
    // Ctrl-C reaches npm, tsx and this process at once (tsx also relays it): only a later one means "now"
    if (Date.now() - stoppingSince < 1_000) return;
    console.error(`${name}: second ${signal}: exiting now`);
    process.exit(130);
  }
  stoppingSince = Date.now();
  log(`${name}: ${signal}: stopping (finishing running jobs, releasing the rest)`);
  await runner.stop();
  await worker?.close();
  process.exit(0);
};
process.on("SIGINT", () => void shutdown("SIGINT"));
process.on("SIGTERM", () => void shutdown("SIGTERM"));
await runner.start();
