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
import { mkdirSync, rmSync } from "node:fs";
import { join, resolve } from "node:path";
import { genesisBlock } from "../core/genesis.ts";
import { paramsFor } from "../core/params.ts";
import { domainsSetting } from "../durable-objects/config.ts";
import { buildWorker, loadMiniflare } from "./build.ts";
import { D1Migrations } from "./d1-migrations.ts";
import { LogTail } from "./health.ts";
import { LAYOUT, openIdentity, recordGenesis, testnetNodes } from "./identity.ts";
import { domainVars, nodeWorkerOptions } from "./node-config.ts";
import { freeBasePort } from "./ports.ts";
import { comm, processTree, rssKb } from "./processes.ts";
import { Runners } from "./runners.ts";
import { stopOnSignals } from "./signals.ts";
import type { Testnet, TestnetOptions } from "./types.ts";
import { Workerds } from "./workerd.ts";

// The pieces: identity.ts (testnet.json, keys, the genesis check), node-config.ts
// (each node's Worker and each workerd's options), workerd.ts (the workerd(s):
// restarts, the partition table, the cron tick), d1-migrations.ts, health.ts
// (/health waits, the log tail), runners.ts, signals.ts; types.ts the shapes.
export { freeBasePort };
export { testnetNodeSecret, testnetSeed } from "./identity.ts";
export type { Testnet, TestnetNode, TestnetOptions } from "./types.ts";

export async function startTestnet(opts: TestnetOptions): Promise<Testnet> {
  const started = Date.now();
  if (!Number.isSafeInteger(opts.nodes) || opts.nodes < 1) throw new Error("nodes must be a positive integer");
  if (Number(process.versions.node.split(".")[0]) < 22) {
    throw new Error(`the testnet needs Node >= 22 (wrangler, Miniflare); this is ${process.version}: run it through npm (node_modules/.bin/node)`);
  }
  if (opts.clean === true) rmSync(opts.dir, { recursive: true, force: true });
  mkdirSync(opts.dir, { recursive: true });
  const isolate = opts.isolate === true;
  const { meta, previous } = openIdentity({ dir: opts.dir, nodes: opts.nodes, layout: isolate ? LAYOUT.isolated : LAYOUT.shared, runnerToken: opts.runnerToken, genesisTime: opts.genesisTime });

  const basePort = opts.basePort ?? 8787;
  const persistOf = (i: number): string => resolve(isolate ? join(opts.dir, `node${i + 1}`) : join(opts.dir, "state"));
  const nodes = testnetNodes(meta.seed, opts.nodes, basePort, persistOf);
  const { domainsVar, optimizeVar } = domainVars(opts.pluginPackages ?? [], opts.domains);
  const networkId = opts.networkId ?? "doin-devnet";
  // The genesis commits to every protocol parameter: chains stored by a version with other rules cannot be read.
  const genesisTime = meta.genesisTime as number;
  const genesis = genesisBlock(
    paramsFor(
      networkId,
      nodes.map((n) => n.publicKey),
      domainsSetting(domainsVar),
      genesisTime,
    ),
  ).block.hash;
  recordGenesis(opts.dir, meta, previous, genesis);

  // DOIN_TESTNET_DEBUG=1 prints where the start-up time goes
  const dbg = (what: string): void => {
    if (process.env.DOIN_TESTNET_DEBUG !== undefined) console.log(`[testnet] ${what} +${Date.now() - started} ms`);
  };
  const [build, miniflare] = await Promise.all([buildWorker().then((b) => (dbg("built"), b)), loadMiniflare().then((m) => (dbg("miniflare loaded"), m))]);

  const log = new LogTail(opts.logs === true);
  const net = { networkId, validators: nodes.map((n) => n.publicKey).join(","), domainsVar, optimizeVar, genesisTime, token: meta.token, extraVars: opts.extraVars };
  const workerds = new Workerds({
    nodes,
    isolate,
    persistOf,
    miniflare,
    workerOf: (i, peers) => nodeWorkerOptions(build, nodes, i, peers, net),
    migrations: new D1Migrations(build.migrations),
    log,
    logs: opts.logs === true,
    dbg,
  });
  // GPU runners: one process per node (they poll their node's task endpoints).
  const runners = new Runners(nodes, opts, meta.token, optimizeVar);

  const checkIndex = (i: number): void => {
    if (!Number.isSafeInteger(i) || i < 0 || i >= nodes.length) throw new Error(`no node ${i} (0..${nodes.length - 1})`);
  };

  const stopAll = async (): Promise<void> => {
    workerds.close();
    clearInterval(ticker);
    dropSignalHandlers();
    await runners.stopAll();
    await workerds.dispose();
  };

  const tick = (): Promise<void> => workerds.tick();
  const cronMs = opts.cronMs ?? 5_000;
  const ticker = cronMs > 0 ? setInterval(() => void tick(), cronMs) : undefined;
  ticker?.unref();

  // On a signal nobody else handles: stop the testnet, then exit 128+n (the CLI handles them itself).
  const dropSignalHandlers = stopOnSignals(stopAll);

  try {
    await workerds.startAll();
  } catch (e) {
    await stopAll();
    throw e;
  }
  if (opts.runners === true) for (const n of nodes) runners.start(n.index);

  return {
    nodes,
    genesisTime,
    token: meta.token,
    startupMs: Date.now() - started,
    isRunning: (i) => workerds.isRunning(i),
    async stopNode(i) {
      checkIndex(i);
      await workerds.stopNode(i);
    },
    async startNode(i, o = {}) {
      checkIndex(i);
      await workerds.startNode(i, o.peers);
    },
    async partition(g) {
      for (const group of g) for (const i of group) checkIndex(i);
      await workerds.setGroups(g.map((group) => [...group]));
    },
    async heal() {
      await workerds.setGroups(null);
    },
    async killRunner(i) {
      checkIndex(i);
      await runners.kill(i);
    },
    startRunner(i) {
      checkIndex(i);
      if (workerds.closed) throw new Error("the testnet is stopped");
      if (runners.alive(i)) return;
      runners.start(i);
    },
    tick,
    logTail: (lines = 50) => log.last(lines),
    stop: stopAll,
    rssMb() {
      let kb = rssKb(process.pid);
      for (const p of processTree(process.pid)) if (p !== process.pid && comm(p) === "workerd") kb += rssKb(p);
      return kb / 1024;
    },
  };
}
