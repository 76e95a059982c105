/**
 * `npm run testnet -- --nodes 5 [--clean] [--dir .state/testnet] [--port 8787] [--logs] [--no-runners] [--isolate] [--plugin-package DIR]… [--domains a,b] [--external CMD]`
 * Starts N nodes on loopback (one workerd for all, see harness.ts), one GPU
 * runner per node (quadratic domain), prints each node's explorer URL, then
 * each node's key and what the URLs serve, then one status line per node every few seconds; Ctrl-C
 * (SIGINT/SIGTERM) stops everything and exits 0.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { ROOT } from "./build.ts";
import { startTestnet, type Testnet } from "./harness.ts";

const USAGE = `usage: npm run testnet -- [--nodes N] [--clean] [--dir DIR] [--port PORT] [--logs] [--no-runners] [--isolate] [--plugin-package DIR]… [--domains a,b] [--external CMD]
  --nodes N      how many nodes (1..16, default 3)
  --clean        wipe DIR first: a new network (new identities, empty chains)
  --dir DIR      state and identities (default .state/testnet)
  --port PORT    node i listens on 127.0.0.1:(PORT + i) (default 8787)
  --logs         print the nodes' log lines
  --no-runners   no GPU runner processes
  --isolate      one workerd per node (true single-node restarts, more memory)
  --plugin-package DIR
                 a domain plugin package (package.json with "doin"): its domains join the
                 network (their "chain" rules go into the genesis), every node optimizes them
                 and every runner serves them; repeatable. A new set of domains is a new
                 network: add --clean when the folder already holds one
  --domains a,b  the domains the nodes optimize and the runners serve (default: quadratic and the
                 plugin packages' domains); a domain shipped in plugins/<name> (predictor) brings its
                 package along: npm run testnet -- --clean --domains predictor
  --external CMD every runner serves its domains through this external worker, e.g.
                 "python3 gpu-runner/python/doin_worker.py" (PyTorch on CUDA where there is one)`;

const argv = process.argv.slice(2);
if (argv.includes("--help") || argv.includes("-h")) {
  console.log(USAGE);
  process.exit(0);
}
const known = new Set(["--nodes", "--dir", "--port", "--clean", "--logs", "--no-runners", "--isolate", "--plugin-package", "--domains", "--external"]);
const WITH_VALUE = new Set(["--nodes", "--dir", "--port", "--plugin-package", "--domains", "--external"]);
for (let k = 0; k < argv.length; k++) {
  const a = argv[k] as string;
  if (!known.has(a)) {
    console.error(`unknown argument ${a}\n${USAGE}`);
    process.exit(2);
  }
  if (WITH_VALUE.has(a)) {
    if (argv[k + 1] === undefined) {
      console.error(`${a} needs a value\n${USAGE}`);
      process.exit(2);
    }
    k++;
  }
}
const pluginPackages = argv.flatMap((a, k) => (a === "--plugin-package" ? [argv[k + 1] as string] : []));
function arg(name: string, fallback: string): string {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? (argv[i + 1] ?? fallback) : fallback;
}
const domains = argv.includes("--domains") ? arg("domains", "").split(",").map((d) => d.trim()).filter((d) => d !== "") : undefined;
// a domain shipped in this repository as a plugin package (plugins/<name>) comes with its package
for (const d of domains ?? []) {
  const bundled = join(ROOT, "plugins", d);
  if (d !== "quadratic" && existsSync(join(bundled, "package.json")) && !pluginPackages.includes(bundled)) pluginPackages.push(bundled);
}
const external = argv.includes("--external") ? arg("external", "") : undefined;

const nodes = Number(arg("nodes", "3"));
if (!Number.isSafeInteger(nodes) || nodes < 1 || nodes > 16) {
  console.error("--nodes must be an integer from 1 to 16");
  process.exit(2);
}
const dir = arg("dir", ".state/testnet");
const basePort = Number(arg("port", "8787"));
if (!Number.isSafeInteger(basePort) || basePort < 1 || basePort + nodes - 1 > 65535) {
  console.error("--port must be a TCP port");
  process.exit(2);
}

// Ctrl-C (SIGINT) or SIGTERM: stop every node and runner, then exit 0 (also during start-up).
let net: Testnet | undefined;
let stopping = false;
let signals = 0;
let lastSignal = 0;
async function stop(): Promise<void> {
  if (stopping) return;
  stopping = true;
  console.log("\nstopping…");
  try {
    await net?.stop();
  } catch (e) {
    console.error(e instanceof Error ? e.message : String(e));
  }
  process.exit(0);
}
const onSignal = (): void => {
  // under npm a Ctrl-C arrives twice (from the terminal and relayed by npm/tsx): count one per second
  if (Date.now() - lastSignal < 1_000) return;
  lastSignal = Date.now();
  signals++;
  if (signals >= 3) process.exit(1);
  if (signals === 2) console.log("still stopping (once more to force)");
  if (net !== undefined) void stop();
};
process.on("SIGINT", onSignal);
process.on("SIGTERM", onSignal);

console.log(`starting a ${nodes}-node DOIN testnet (state in ${dir})…`);
try {
  net = await startTestnet({
    nodes,
    dir,
    clean: argv.includes("--clean"),
    basePort,
    logs: argv.includes("--logs"),
    runners: !argv.includes("--no-runners"),
    // the runners' own progress (jobs done, their island's best, rate), every 15 s
    ...(argv.includes("--logs") ? {} : { onRunnerLine: (_runner: string, l: string) => console.log(`  ${l}`) }),
    isolate: argv.includes("--isolate"),
    pluginPackages,
    ...(domains === undefined ? {} : { domains }),
    ...(external === undefined ? {} : { runnerArgs: ["--external", external] }),
  });
} catch (e) {
  console.error(e instanceof Error ? e.message : String(e));
  process.exit(1);
}
if (signals > 0) await stop();
const testnet: Testnet = net;

const pad = (s: string, n: number): string => s.padEnd(n);
console.log(`\nready in ${(testnet.startupMs / 1000).toFixed(1)} s, ${testnet.rssMb().toFixed(0)} MiB resident\n`);
// the explorer first: what a person opens
console.log("Explorer (open in a browser):");
for (const n of testnet.nodes) console.log(`  ${pad(n.name, 7)}${n.url}/`);
console.log("");
console.log(`  ${pad("node", 7)}${pad("URL", 24)}public key`);
for (const n of testnet.nodes) console.log(`  ${pad(n.name, 7)}${pad(n.url, 24)}${n.publicKey}`);

// What the URLs serve, from the node's own OpenAPI document (falls back to the main endpoints).
let served: string[] = [];
try {
  const doc = (await (await fetch(`${testnet.nodes[0]?.url}/openapi.json`)).json()) as { paths?: Record<string, Record<string, { summary?: string }>> };
  const listed = new Set(["/health", "/status", "/peers", "/openapi.json"]);
  served = Object.entries(doc.paths ?? {})
    .filter(([path]) => !listed.has(path))
    .map(([path, ops]) => {
    const methods = Object.keys(ops).map((m) => m.toUpperCase());
    const summary = Object.values(ops).find((o) => o.summary !== undefined)?.summary ?? "";
    return `  ${pad(methods.join(","), 10)}${pad(path.replace(/\{(\w+)\}/g, ":$1"), 34)}${summary}`;
  });
} catch {
  // shown below
}
console.log(`
Each URL serves:
  GET       /                                 the explorer (blocks, rounds, domains, experiments, accounts, peers)
  GET       /health                           liveness and the node's key
  GET       /status                           everything at a glance (chain, difficulty, coin, tasks, mempool, peers)
  GET       /peers                            peers with score and last-seen
${served.length > 0 ? served.join("\n") : "  GET       /chain/status, /chain/blocks?from=0&to=49, /stats, /mempool …"}
  GET       /openapi.json                     the whole API
Runner token (Authorization: Bearer …): ${testnet.token}
Ctrl-C stops the testnet.
`);

interface NodeStatus {
  chain?: { height?: number; tip?: string; finalizedHeight?: number; mintedBlocks?: number };
  peers?: unknown[];
  mempool?: { size?: number };
}

/** Each domain's optimum (its physical limit), from the network's rules: the status lines give champions as a fraction of it. */
const optima = new Map<string, number>();
try {
  const rules = (await (await fetch(`${testnet.nodes[0]?.url}/chain/params`)).json()) as { domains?: { id: string; optimum?: string }[] };
  for (const d of rules.domains ?? []) if (d.optimum !== undefined && BigInt(d.optimum) !== 0n) optima.set(d.id, Number(d.optimum) / 1e6);
} catch {
  // no fractions then
}

/** "quadratic -12.34" or, for a domain with an optimum, "predictor skill 0.2712 (86% of the optimum 0.3148)". */
function champion(domain: string, performance: string): string {
  const v = Number(performance) / 1e6;
  const optimum = optima.get(domain);
  if (optimum === undefined) return `${domain} ${v.toFixed(2)}`;
  return `${domain} skill ${v.toFixed(4)} (${((100 * v) / optimum).toFixed(1)}% of the optimum ${optimum.toFixed(4)})`;
}

async function line(n: Testnet["nodes"][number]): Promise<string> {
  if (!testnet.isRunning(n.index)) return `${n.name}: stopped`;
  try {
    const s = (await (await fetch(`${n.url}/status`, { signal: AbortSignal.timeout(3_000) })).json()) as NodeStatus;
    let best = "";
    try {
      const champions = (await (await fetch(`${n.url}/chain/champions`, { signal: AbortSignal.timeout(3_000) })).json()) as { domain: string; performance: string }[];
      best = champions.map((c) => champion(c.domain, c.performance)).join(", ");
    } catch {
      // no champions endpoint answer: leave it out
    }
    const c = s.chain ?? {};
    return (
      `${n.name}: height ${c.height ?? "?"} tip ${(c.tip ?? "?").slice(0, 10)} final ${c.finalizedHeight ?? "?"} minted ${c.mintedBlocks ?? "?"}` +
      ` mempool ${s.mempool?.size ?? "?"} peers ${s.peers?.length ?? "?"}${best === "" ? "" : ` | ${best}`}`
    );
  } catch (e) {
    return `${n.name}: ${e instanceof Error ? e.message : String(e)}`;
  }
}

const timer = setInterval(async () => {
  if (stopping) return;
  const lines = await Promise.all(testnet.nodes.map(line));
  if (stopping) return;
  console.log(`[${new Date().toISOString().slice(11, 19)}] ${lines.join("\n           ")}`);
}, 5_000);
process.on("exit", () => clearInterval(timer));
