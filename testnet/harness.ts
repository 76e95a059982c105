/**
 * A local testnet of N DOIN nodes in ONE workerd process (Miniflare).
 *
 * Every node is its own Worker inside that workerd, listening on its own
 * loopback port (basePort + i), with its own Durable Objects (the namespaces
 * are keyed by the node's name), its own D1 database (`node<i>-DB`, the
 * migrations of wrangler.toml's `migrations_dir` applied before use), its own
 * Queues (`doin-jobs--node<i>`, `doin-flood--node<i>`: Miniflare's queue
 * names are global to one workerd and a queue has one consumer), its own
 * rate-limit counters (each binding's namespace suffixed with the node) and
 * its own identity: NODE_SECRET is derived from the node's index and a seed kept in
 * `<dir>/testnet.json`. All nodes share NETWORK_ID and GENESIS_VALIDATORS
 * (every node's key), and bootstrap to all the others. Crons never fire by
 * themselves locally: the harness calls every node's `scheduled` handler
 * every `cronMs` (5 s). Used by `npm run testnet`, `npm start`, the testnet
 * tests and the testnet benchmark. The only file that drives Miniflare
 * (the Worker it runs is built by ./build.ts).
 *
 * The Worker is the one `wrangler deploy` ships: bundled by
 * `wrangler deploy --dry-run` (cached in node_modules/.cache/doin-testnet,
 * rebuilt when a bundled source, wrangler.toml, a migration or
 * package-lock.json changes), with the bindings wrangler derives from
 * wrangler.toml. A 20-line entry module in front of it renames the per-node
 * queue names back (`doin-jobs--node2` → `doin-jobs`) before the Worker's
 * `queue` handler sees the batch.
 *
 * Node lifecycle: `stopNode`/`startNode` restart the workerd with the new set
 * of nodes (2–4 s on a busy 2-core machine; workerd cannot add or drop a
 * Worker while running; calls made together share one restart), so the
 * nodes that keep running are restarted too: they resume from their
 * persisted state (alarms included), but the messages waiting in their
 * in-memory Queues are lost. `isolate: true` gives every node its own
 * workerd instead (a true single-node kill; ≈ 100 MiB more per node).
 *
 * Partitions: every node's outbound fetch goes through a small router Worker
 * in the same workerd that refuses connections between groups; `partition()`
 * and `heal()` change its table at once, without a restart.
 *
 * State: `<dir>/state` (shared workerd: Durable Objects under
 * `state/do/node<i>-<Class>`, D1 under `state/d1`, one SQLite file per
 * database; Miniflare persists per instance, not per Worker), or
 * `<dir>/node<i>` with `isolate: true`; `d1-migrations.json` there records
 * what each node's D1 has; `clean` wipes `<dir>`. A node count or layout
 * other than the stored one is refused / warned about (the genesis depends
 * on the validators).
 *
 * Signals: Miniflare exits on SIGINT/SIGTERM/SIGHUP before a program can stop
 * cleanly; the harness takes its listeners off and, unless the program
 * handles the signal itself, stops the testnet and exits 128+n.
 *
 * DOIN_TESTNET_DEBUG=1 prints where the start-up time goes.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createInterface } from "node:readline";
import { join, resolve } from "node:path";
import type { Miniflare, MiniflareOptions, V4MiniflareOptions, V4WorkerOptions } from "miniflare";
import { hexToBytes } from "../core/hex.ts";
import { genesisBlock } from "../core/genesis.ts";
import { publicKeyFromSecret } from "../core/keys.ts";
import { declaredDomains } from "../plugins/registry.ts";
import { domainsSetting } from "../durable-objects/config.ts";
import { paramsFor } from "../core/params.ts";
import { buildWorker, ENTRY, entryModule, loadMiniflare, ROOT, ROUTER, ROUTER_MODULE } from "./build.ts";
import { freeBasePort } from "./ports.ts";
import { comm, processTree, rssKb, stopProcess } from "./processes.ts";

export { freeBasePort };

export interface TestnetOptions {
  readonly nodes: number;
  readonly dir: string;
  /** wipe `dir` first (a new network: new seed, new identities, empty chains) */
  readonly clean?: boolean;
  /** node i listens on 127.0.0.1:(basePort + i); default 8787 */
  readonly basePort?: number;
  /** RUNNER_TOKEN of every node (default: a random one kept in testnet.json) */
  readonly runnerToken?: string;
  readonly networkId?: string;
  /** a new network's genesis timestamp (default: now); a test that builds a long chain offline starts it in the past */
  readonly genesisTime?: number;
  /** more Worker vars for every node (they override the testnet's own); a function gives node i its own */
  readonly extraVars?: Record<string, string> | ((index: number) => Record<string, string>);
  /** print the Workers' log lines (console.*, warnings) */
  readonly logs?: boolean;
  /** start one GPU runner process per node (quadratic domain) */
  readonly runners?: boolean;
  readonly optimizer?: "cmaes" | "random_step";
  /**
   * Domain plugin packages beside the built-in quadratic domain: each
   * package's domains with chain rules ("doin".chain) are declared to the
   * network (the DOMAINS setting, so the genesis commits to them) and
   * optimized by every node; every runner loads the packages and serves them.
   */
  readonly pluginPackages?: readonly string[];
  /**
   * The domains the nodes optimize and their runners serve (OPTIMIZE_DOMAINS,
   * runner --domains); default quadratic and every plugin package's domains.
   * Each must be quadratic or a domain of `pluginPackages`.
   */
  readonly domains?: readonly string[];
  /** more flags for the runners (see `npm run runner -- --help`), e.g. ["--kinds", "evaluate,inference"]; a function gives node i's runner its own */
  readonly runnerArgs?: readonly string[] | ((index: number) => readonly string[]);
  /** each line a runner prints (progress every 15 s); unset: runners print nothing unless `logs` */
  readonly onRunnerLine?: (runner: string, line: string) => void;
  /** one workerd per node instead of one for all (true single-node kills; more memory) */
  readonly isolate?: boolean;
  /** how often every node's `scheduled` handler runs, in ms (default 5000; 0: never) */
  readonly cronMs?: number;
}

export interface TestnetNode {
  readonly index: number;
  readonly name: string;
  readonly url: string;
  readonly port: number;
  readonly publicKey: string;
  readonly secretHex: string;
  /** the persistence root holding this node's state (shared by every node unless `isolate`) */
  readonly dir: string;
}

export interface Testnet {
  readonly nodes: readonly TestnetNode[];
  /** the network's genesis timestamp (GENESIS_TIME): paramsFor(…, genesisTime) gives its parameters */
  readonly genesisTime: number;
  readonly token: string;
  /** milliseconds from startTestnet() until every node answered /health (bundle included) */
  readonly startupMs: number;
  isRunning(i: number): boolean;
  /** stops node i (its port closes; its state stays on disk) */
  stopNode(i: number): Promise<void>;
  /** (re)starts node i with its persisted state; `peers` restricts its bootstrap list (default: every other node) */
  startNode(i: number, opts?: { peers?: readonly number[] }): Promise<void>;
  /**
   * Cuts the network into groups of node indexes: a node's outbound requests
   * reach only the nodes of its own group (others fail like a refused
   * connection). Nodes not listed are alone. Immediate, no restart.
   */
  partition(groups: readonly (readonly number[])[]): Promise<void>;
  /** removes the partition */
  heal(): Promise<void>;
  /** kills node i's runner process outright (SIGKILL: a crash, its leases lapse) */
  killRunner(i: number): Promise<void>;
  /** starts node i's runner process (again) */
  startRunner(i: number): void;
  /** runs every running node's `scheduled` handler now */
  tick(): Promise<void>;
  /** the last Worker log lines (kept even when `logs` is off) */
  logTail(lines?: number): string[];
  stop(): Promise<void>;
  /** resident memory in MiB: the workerd process(es) + this process (runners not included) */
  rssMb(): number;
}

const CRON = "* * * * *";
const LAYOUT = { shared: "miniflare-shared", isolated: "miniflare-isolated" } as const;

// ---------------------------------------------------------------- testnet ----

/**
 * Node i's NODE_SECRET (64 hex) in a testnet folder whose testnet.json holds
 * `seed`: reproducible, so that `doin key import --testnet-node` can hold a
 * local validator's key. Test networks only: anyone with the folder has the keys.
 */
export function testnetNodeSecret(seed: string, index: number): string {
  return createHash("sha256").update(`DOIN/testnet/${seed}/${index}`).digest("hex");
}

/** The seed kept in a testnet folder's testnet.json, or null when there is no testnet there. */
export function testnetSeed(dir: string): string | null {
  try {
    const meta = JSON.parse(readFileSync(join(dir, "testnet.json"), "utf8")) as { seed?: unknown };
    return typeof meta.seed === "string" ? meta.seed : null;
  } catch {
    return null;
  }
}

interface Meta {
  seed: string;
  /** the network's genesis timestamp (ms): its creation time; reputation decays from there */
  genesisTime?: number;
  token: string;
  layout?: string;
  nodes?: number;
  /** the genesis hash the chains under `dir` were built on */
  genesis?: string;
}

const SIGNALS = { SIGINT: 2, SIGTERM: 15, SIGHUP: 1 } as const;
type Signal = keyof typeof SIGNALS;
const OURS = Symbol("doin-testnet signal handler");
const MINIFLARE_SIGNAL_HANDLERS = new Set(["onSignalInt", "onSignalTerm", "onSignalHup"]);

/**
 * Miniflare (src/exit-hook.ts) answers SIGINT/SIGTERM/SIGHUP by killing workerd
 * and exiting 128+n at once, before a program's own handler can stop the
 * testnet and exit as it likes. Its 'exit' hook (workerd killed when the
 * process exits) stays; its signal listeners are taken off after every
 * Miniflare construction, and the testnet's own take their place.
 */
function dropMiniflareSignalHandlers(): void {
  for (const sig of Object.keys(SIGNALS) as Signal[]) {
    for (const l of process.listeners(sig)) if (MINIFLARE_SIGNAL_HANDLERS.has(l.name)) process.removeListener(sig, l as () => void);
  }
}

/** One workerd (Miniflare instance) hosting some of the nodes. */
interface Host {
  readonly persist: string;
  readonly nodes: readonly number[];
  mf: Miniflare | undefined;
  /** the nodes this workerd runs now */
  live: ReadonlySet<number>;
  busy: boolean;
  queue: Promise<void>;
  pending: Promise<void> | undefined;
}

export async function startTestnet(opts: TestnetOptions): Promise<Testnet> {
  const started = Date.now();
  if (!Number.isSafeInteger(opts.nodes) || opts.nodes < 1) throw new Error("nodes must be a positive integer");
  if (Number(process.versions.node.split(".")[0]) < 22) {
    throw new Error(`the testnet needs Node >= 22 (wrangler, Miniflare); this is ${process.version}: run it through npm (node_modules/.bin/node)`);
  }
  if (opts.clean === true) rmSync(opts.dir, { recursive: true, force: true });
  mkdirSync(opts.dir, { recursive: true });
  const layout = opts.isolate === true ? LAYOUT.isolated : LAYOUT.shared;
  const metaPath = join(opts.dir, "testnet.json");
  const previous = existsSync(metaPath) ? (JSON.parse(readFileSync(metaPath, "utf8")) as Meta) : undefined;
  if (previous !== undefined && previous.layout === undefined && existsSync(join(opts.dir, "node1"))) {
    console.warn(`${opts.dir}: state from the older wrangler-dev launcher is not read (same identities, empty chains); pass --clean to start afresh`);
  } else if (previous?.layout !== undefined && previous.layout !== layout) {
    console.warn(`${opts.dir} holds a ${previous.layout} testnet; this ${layout} one starts with empty chains (same identities)`);
  }
  if (previous?.nodes !== undefined && previous.nodes !== opts.nodes) {
    throw new Error(
      `${opts.dir} holds a ${previous.nodes}-node network (every node is a genesis validator: the count is part of the genesis); ` +
        `start it with ${previous.nodes} nodes, or clean it for a new ${opts.nodes}-node network`,
    );
  }
  const meta: Meta = {
    seed: previous?.seed ?? randomBytes(16).toString("hex"),
    // a stored chain keeps its genesis time; a new network starts now (whole seconds)
    genesisTime: previous?.genesisTime ?? opts.genesisTime ?? Math.floor(Date.now() / 1000) * 1000,
    token: opts.runnerToken ?? previous?.token ?? randomBytes(16).toString("hex"),
    layout,
    nodes: opts.nodes,
  };
  writeFileSync(metaPath, `${JSON.stringify(meta, null, 2)}\n`);

  const basePort = opts.basePort ?? 8787;
  const isolate = opts.isolate === true;
  const persistOf = (i: number): string => resolve(isolate ? join(opts.dir, `node${i + 1}`) : join(opts.dir, "state"));
  const nodes: TestnetNode[] = Array.from({ length: opts.nodes }, (_, i) => {
    const secretHex = testnetNodeSecret(meta.seed, i);
    return {
      index: i,
      name: `node${i + 1}`,
      url: `http://127.0.0.1:${basePort + i}`,
      port: basePort + i,
      publicKey: publicKeyFromSecret(hexToBytes(secretHex)),
      secretHex,
      dir: persistOf(i),
    };
  });
  const validators = nodes.map((n) => n.publicKey).join(",");
  const plugged = declaredDomains(opts.pluginPackages ?? []);
  const domainsVar = plugged.rules.length === 0 ? "" : JSON.stringify(plugged.rules);
  for (const d of opts.domains ?? []) {
    if (d !== "quadratic" && !plugged.ids.includes(d)) throw new Error(`domain ${d} is neither quadratic nor in a plugin package (${plugged.ids.join(", ") || "none given"})`);
  }
  const optimizeVar = (opts.domains ?? ["quadratic", ...plugged.ids]).join(",");
  // The genesis commits to every protocol parameter: chains stored by a version with other rules cannot be read.
  const genesisTime = meta.genesisTime as number;
  const genesis = genesisBlock(paramsFor(opts.networkId ?? "doin-devnet", nodes.map((n) => n.publicKey), domainsSetting(domainsVar), genesisTime)).block.hash;
  const stateThere = existsSync(join(opts.dir, "state")) || existsSync(join(opts.dir, "node1"));
  if (stateThere && previous !== undefined && previous.genesis !== genesis) {
    throw new Error(
      `${opts.dir} holds chains made by another version of the protocol (genesis ${previous.genesis?.slice(0, 12) ?? "unrecorded"}, ` +
        `this version's is ${genesis.slice(0, 12)}): start it with --clean for a new network`,
    );
  }
  writeFileSync(metaPath, `${JSON.stringify({ ...meta, genesis }, null, 2)}\n`);
  const nodeOfPort = Object.fromEntries(nodes.map((n) => [String(n.port), n.index]));

  // DOIN_TESTNET_DEBUG=1 prints where the start-up time goes
  const dbg = (what: string): void => {
    if (process.env.DOIN_TESTNET_DEBUG !== undefined) console.log(`[testnet] ${what} +${Date.now() - started} ms`);
  };
  const [build, mfModule] = await Promise.all([buildWorker().then((b) => (dbg("built"), b)), loadMiniflare().then((m) => (dbg("miniflare loaded"), m))]);
  const { Miniflare: MiniflareClass, Log, LogLevel, convertV4MiniflareOptions } = mfModule;

  const logLines: string[] = [];
  const onLog = (line: string): void => {
    logLines.push(line);
    if (logLines.length > 1000) logLines.splice(0, logLines.length - 500);
    if (opts.logs === true) process.stdout.write(`[workerd] ${line}\n`);
  };

  const running = new Set<number>();
  const peersOf = new Map<number, readonly number[]>();
  let groups: number[][] | null = null;
  const migrated = new Set<number>();

  const nodeWorker = (i: number): V4WorkerOptions => {
    const n = nodes[i] as TestnetNode;
    const base = structuredClone(build.workerOptions) as Record<string, unknown>;
    // crons are driven by the harness; module rules are for unbundled sources
    delete base.cronTriggers;
    delete base.modulesRules;
    const peers = (peersOf.get(i) ?? nodes.map((x) => x.index)).filter((p) => p !== i).map((p) => (nodes[p] as TestnetNode).url);
    const rename = (q: string): string => `${q}--${n.name}`;
    const producers = (base.queueProducers ?? {}) as Record<string, { queueName: string }>;
    const consumers = (base.queueConsumers ?? {}) as Record<string, { deadLetterQueue?: string }>;
    const d1 = (base.d1Databases ?? {}) as Record<string, unknown>;
    const ratelimits = (base.ratelimits ?? {}) as Record<string, { namespace_id: string; simple: { limit: number; period?: 10 | 60 } }>;
    return {
      ...base,
      name: n.name,
      rootPath: ROOT,
      modulesRoot: build.dir,
      modules: [
        { type: "ESModule", path: join(build.dir, ENTRY), contents: entryModule(build.main) },
        ...build.modules.map((m, k) => ({ type: m.type, path: join(build.dir, m.name), contents: build.contents[k] })),
      ],
      bindings: {
        ...build.vars,
        NETWORK_ID: opts.networkId ?? "doin-devnet",
        GENESIS_VALIDATORS: validators,
        BOOTSTRAP_PEERS: peers.join(","),
        NODE_URL: n.url,
        DOMAINS: domainsVar,
        OPTIMIZE_DOMAINS: optimizeVar,
        GENESIS_TIME: String(genesisTime),
        // a local network's newcomers get their first coin (commit bonds, fees) from POST /faucet
        FAUCET_DOIN: "10",
        // the nodes reach each other over loopback: peers learned from the network may be private here
        ALLOW_PRIVATE_PEERS: "true",
        ...(typeof opts.extraVars === "function" ? opts.extraVars(i) : opts.extraVars),
        NODE_SECRET: n.secretHex,
        RUNNER_TOKEN: meta.token,
      },
      d1Databases: Object.fromEntries(Object.keys(d1).map((b) => [b, { id: `${n.name}-${b}` }])),
      ratelimits: Object.fromEntries(Object.entries(ratelimits).map(([b, r]) => [b, { ...r, namespace_id: `${r.namespace_id}-${n.name}` }])),
      queueProducers: Object.fromEntries(Object.entries(producers).map(([b, p]) => [b, { ...p, queueName: rename(p.queueName) }])),
      queueConsumers: Object.fromEntries(
        Object.entries(consumers).map(([q, c]) => [rename(q), c.deadLetterQueue === undefined ? c : { ...c, deadLetterQueue: rename(c.deadLetterQueue) }]),
      ),
      unsafeDirectSockets: [{ host: "127.0.0.1", port: n.port }],
      unsafeRegisterWorker: false,
    } as V4WorkerOptions;
  };

  const optionsFor = (host: Host, members: readonly number[]): MiniflareOptions => {
    const v4 = { workers: members.map(nodeWorker) } as V4MiniflareOptions;
    const converted = convertV4MiniflareOptions(v4) as MiniflareOptions & { workers: Record<string, unknown>[] };
    const workers: Record<string, unknown>[] = converted.workers.map((w, k) => ({
      ...w,
      dev: { ...(w.dev as Record<string, unknown>), outboundService: { type: "worker", worker: ROUTER, props: { from: members[k] } } },
    }));
    workers.push({
      config: { name: ROUTER, compatibilityDate: "2026-01-01", manifest: { mainModule: "router.mjs", modules: { "router.mjs": { type: "esm", contents: ROUTER_MODULE } } } },
      dev: { unsafeRegisterWorker: false },
    });
    return {
      ...converted,
      workers,
      host: "127.0.0.1",
      port: 0,
      cf: false,
      logRequests: false,
      enableDevRegistry: false,
      telemetry: { enabled: false },
      resourcePersistencePath: host.persist,
      log: new Log(opts.logs === true ? LogLevel.INFO : LogLevel.ERROR),
      handleStructuredLogs: (l: { level: string; message: string }) => onLog(`${l.level} ${l.message}`),
    } as unknown as MiniflareOptions;
  };

  const pushTable = async (host: Host): Promise<void> => {
    if (host.mf === undefined) return;
    const router = await host.mf.getWorker(ROUTER);
    const r = await router.fetch(`http://${ROUTER}.invalid/table`, { method: "POST", body: JSON.stringify({ groups, nodeOfPort }) });
    await r.text();
  };

  // Which migrations each node's D1 has, kept next to the data: a restart need not ask D1
  // (the first D1 call from Node costs ≈ 1 s: Miniflare starts its proxy).
  const markerOf = (host: Host): string => join(host.persist, "d1-migrations.json");
  const readMarker = (host: Host): Record<string, string[]> => {
    try {
      return JSON.parse(readFileSync(markerOf(host), "utf8")) as Record<string, string[]>;
    } catch {
      return {};
    }
  };
  const wanted = build.migrations.flatMap((m) => m.files.map((f) => `${m.binding}/${f.name}`));
  const migrate = async (host: Host, i: number): Promise<void> => {
    if (migrated.has(i) || host.mf === undefined) return;
    const name = (nodes[i] as TestnetNode).name;
    const recorded = new Set(readMarker(host)[name] ?? []);
    if (wanted.every((w) => recorded.has(w))) {
      migrated.add(i);
      return;
    }
    for (const set of build.migrations) {
      const db = await host.mf.getD1Database(set.binding, name);
      await db.prepare("CREATE TABLE IF NOT EXISTS d1_migrations (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT UNIQUE, applied_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP NOT NULL)").run();
      const done = new Set(((await db.prepare("SELECT name FROM d1_migrations").all<{ name: string }>()).results ?? []).map((r) => r.name));
      for (const f of set.files) {
        if (done.has(f.name)) continue;
        await db.batch([...f.queries.map((q) => db.prepare(q)), db.prepare("INSERT INTO d1_migrations (name) VALUES (?1)").bind(f.name)]);
      }
    }
    migrated.add(i);
    writeFileSync(markerOf(host), `${JSON.stringify({ ...readMarker(host), [name]: wanted }, null, 1)}\n`);
  };

  const waitHealthy = async (i: number, timeoutMs = 30_000): Promise<void> => {
    const n = nodes[i] as TestnetNode;
    const deadline = Date.now() + timeoutMs;
    let last: unknown;
    for (;;) {
      try {
        const r = await fetch(`${n.url}/health`, { signal: AbortSignal.timeout(5_000) });
        const body = (await r.json()) as { node?: string };
        if (r.ok && body.node === n.publicKey) return;
        last = new Error(`/health answered ${r.status} ${JSON.stringify(body)}`);
      } catch (e) {
        last = e;
      }
      if (Date.now() > deadline) throw new Error(`${n.name} did not answer ${n.url}/health: ${String(last)}\n${logLines.slice(-20).join("\n")}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };

  /** Brings the host's workerd to the nodes in `running` (one restart for every change made meanwhile). */
  const reconcile = async (host: Host): Promise<void> => {
    const members = host.nodes.filter((i) => running.has(i));
    host.busy = true;
    try {
      if (members.length === 0) {
        const mf = host.mf;
        host.mf = undefined;
        host.live = new Set();
        await mf?.dispose();
        return;
      }
      const options = optionsFor(host, members);
      try {
        if (host.mf === undefined) {
          host.mf = new MiniflareClass(options);
          dropMiniflareSignalHandlers();
          await host.mf.ready;
        } else await host.mf.setOptions(options);
      } catch (e) {
        const ports = members.map((i) => (nodes[i] as TestnetNode).port).join(", ");
        throw new Error(`workerd did not start on 127.0.0.1 ports ${ports} (one in use?): ${e instanceof Error ? e.message : String(e)}`);
      }
      dbg(`workerd ready (${members.map((i) => (nodes[i] as TestnetNode).name).join(" ")})`);
      host.live = new Set(members);
      await Promise.all([...(groups === null ? [] : [pushTable(host)]), ...members.map((i) => migrate(host, i))]);
      dbg("migrations applied");
      await Promise.all(members.map((i) => waitHealthy(i)));
      dbg("healthy");
    } finally {
      host.busy = false;
    }
  };

  /** Schedules a reconcile; calls made before it begins share it. */
  const apply = (host: Host): Promise<void> => {
    if (host.pending !== undefined) return host.pending;
    const p = host.queue.then(async () => {
      host.pending = undefined;
      await reconcile(host);
    });
    host.pending = p;
    host.queue = p.catch(() => undefined);
    return p;
  };

  const hosts: Host[] = (isolate ? nodes.map((n) => [n.index]) : [nodes.map((n) => n.index)]).map((members) => ({
    persist: persistOf(members[0] as number),
    nodes: members,
    mf: undefined,
    live: new Set<number>(),
    busy: false,
    queue: Promise.resolve(),
    pending: undefined,
  }));
  const hostOf = (i: number): Host => (isolate ? (hosts[i] as Host) : (hosts[0] as Host));
  for (const h of hosts) mkdirSync(h.persist, { recursive: true });

  const checkIndex = (i: number): void => {
    if (!Number.isSafeInteger(i) || i < 0 || i >= nodes.length) throw new Error(`no node ${i} (0..${nodes.length - 1})`);
  };

  let stopped = false;
  const tick = async (): Promise<void> => {
    await Promise.all(
      hosts.map(async (h) => {
        const mf = h.mf;
        if (mf === undefined || h.busy) return;
        await Promise.all(
          [...h.live].map(async (i) => {
            try {
              const r = await (await mf.getWorker((nodes[i] as TestnetNode).name)).scheduled({ cron: CRON });
              if (r.outcome !== "ok") onLog(`scheduled ${(nodes[i] as TestnetNode).name}: ${r.outcome}`);
            } catch (e) {
              // restarting or stopping: the next tick runs it
              if (!h.busy && !stopped) onLog(`scheduled ${(nodes[i] as TestnetNode).name}: ${e instanceof Error ? e.message : String(e)}`);
            }
          }),
        );
      }),
    );
  };

  // GPU runners: one process per node (they poll their node's task endpoints).
  const runnerProcs = new Map<number, ChildProcess>();
  const startRunner = (i: number): void => {
    const n = nodes[i] as TestnetNode;
    const name = `runner${i + 1}`;
    // node --import tsx: one process per runner (the tsx CLI would put a second one under it, which a SIGKILL would orphan)
    const args = [
      "--import",
      "tsx",
      "gpu-runner/main.ts",
      "--node",
      n.url,
      "--token",
      meta.token,
      "--name",
      name,
      "--progress-ms",
      "15000",
      "--domains",
      optimizeVar,
      ...(opts.optimizer === undefined ? [] : ["--optimizer", opts.optimizer]),
      ...(opts.pluginPackages ?? []).flatMap((dir) => ["--plugin-package", resolve(dir)]),
      ...(typeof opts.runnerArgs === "function" ? opts.runnerArgs(i) : (opts.runnerArgs ?? [])),
    ];
    const onLine = opts.onRunnerLine;
    const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ["ignore", onLine !== undefined ? "pipe" : opts.logs === true ? "inherit" : "ignore", "inherit"] });
    if (onLine !== undefined && child.stdout !== null) {
      createInterface({ input: child.stdout }).on("line", (line) => onLine(name, line));
    }
    runnerProcs.set(i, child);
  };
  const stopRunners = async (): Promise<void> => {
    await Promise.all([...runnerProcs.values()].map((c) => stopProcess(c, "SIGTERM", 12_000)));
    runnerProcs.clear();
  };

  const stopAll = async (): Promise<void> => {
    stopped = true;
    clearInterval(ticker);
    for (const [sig, l] of signalHandlers) process.removeListener(sig, l);
    await stopRunners();
    running.clear();
    await Promise.all(hosts.map((h) => apply(h).catch(() => undefined)));
    await Promise.all(hosts.map((h) => h.mf?.dispose().catch(() => undefined)));
  };

  const cronMs = opts.cronMs ?? 5_000;
  const ticker = cronMs > 0 ? setInterval(() => void tick(), cronMs) : undefined;
  ticker?.unref();

  // On a signal nobody else handles: stop the testnet, then exit 128+n (the CLI handles them itself).
  const signalHandlers = (Object.keys(SIGNALS) as Signal[]).map((sig) => {
    const handler = Object.assign(
      (): void => {
        if (process.listeners(sig).some((l) => !(OURS in l))) return;
        void stopAll().finally(() => process.exit(128 + SIGNALS[sig]));
      },
      { [OURS]: true },
    );
    process.on(sig, handler);
    return [sig, handler] as const;
  });

  try {
    for (const n of nodes) running.add(n.index);
    await Promise.all(hosts.map(apply));
  } catch (e) {
    await stopAll();
    throw e;
  }
  if (opts.runners === true) for (const n of nodes) startRunner(n.index);

  return {
    nodes,
    genesisTime,
    token: meta.token,
    startupMs: Date.now() - started,
    isRunning: (i) => running.has(i),
    async stopNode(i) {
      checkIndex(i);
      if (stopped || !running.has(i)) return;
      running.delete(i);
      await apply(hostOf(i));
    },
    async startNode(i, o = {}) {
      checkIndex(i);
      if (stopped) throw new Error("the testnet is stopped");
      if (running.has(i)) return;
      if (o.peers === undefined) peersOf.delete(i);
      else peersOf.set(i, [...o.peers]);
      running.add(i);
      await apply(hostOf(i));
    },
    async partition(g) {
      for (const group of g) for (const i of group) checkIndex(i);
      groups = g.map((group) => [...group]);
      await Promise.all(hosts.map((h) => h.queue.then(() => pushTable(h))));
    },
    async heal() {
      groups = null;
      await Promise.all(hosts.map((h) => h.queue.then(() => pushTable(h))));
    },
    async killRunner(i) {
      checkIndex(i);
      const child = runnerProcs.get(i);
      runnerProcs.delete(i);
      if (child !== undefined) await stopProcess(child, "SIGKILL", 0);
    },
    startRunner(i) {
      checkIndex(i);
      if (stopped) throw new Error("the testnet is stopped");
      const child = runnerProcs.get(i);
      if (child !== undefined && child.exitCode === null && child.signalCode === null) return;
      startRunner(i);
    },
    tick,
    logTail: (lines = 50) => logLines.slice(-lines),
    stop: stopAll,
    rssMb() {
      let kb = rssKb(process.pid);
      for (const p of processTree(process.pid)) if (p !== process.pid && comm(p) === "workerd") kb += rssKb(p);
      return kb / 1024;
    },
  };
}
