/**
 * What each node runs with: its Worker's options (the bundle, its vars, its
 * own D1 database, queues and rate-limit namespaces, its port) and the
 * Miniflare options of a workerd hosting some nodes behind the partition
 * router. Pure: the same inputs give the same options.
 */
import { join } from "node:path";
import type { MiniflareOptions, V4MiniflareOptions, V4WorkerOptions } from "miniflare";
import { declaredDomains } from "../plugins/registry.ts";
import { ENTRY, entryModule, ROOT, ROUTER, ROUTER_MODULE, type Build } from "./build.ts";
import type { TestnetNode, TestnetOptions } from "./types.ts";

/** The settings every node shares. */
export interface NetworkVars {
  readonly networkId: string;
  /** every node's public key, comma-separated (GENESIS_VALIDATORS) */
  readonly validators: string;
  /** DOMAINS: the plugin packages' chain rules (JSON), or "" */
  readonly domainsVar: string;
  /** OPTIMIZE_DOMAINS and the runners' --domains */
  readonly optimizeVar: string;
  readonly genesisTime: number;
  readonly token: string;
  readonly extraVars?: TestnetOptions["extraVars"];
}

/** DOMAINS and OPTIMIZE_DOMAINS from the plugin packages and the chosen domains; refuses a domain no package declares. */
export function domainVars(pluginPackages: readonly string[], domains: readonly string[] | undefined): { domainsVar: string; optimizeVar: string } {
  const plugged = declaredDomains(pluginPackages);
  const domainsVar = plugged.rules.length === 0 ? "" : JSON.stringify(plugged.rules);
  for (const d of domains ?? []) {
    if (d !== "quadratic" && !plugged.ids.includes(d)) throw new Error(`domain ${d} is neither quadratic nor in a plugin package (${plugged.ids.join(", ") || "none given"})`);
  }
  return { domainsVar, optimizeVar: (domains ?? ["quadratic", ...plugged.ids]).join(",") };
}

/** Node i's Worker: wrangler's options for the bundle, renamed and bound for this node; `peers` (indexes) its bootstrap list. */
export function nodeWorkerOptions(build: Build & { contents: (string | Uint8Array)[] }, nodes: readonly TestnetNode[], i: number, peers: readonly number[], net: NetworkVars): V4WorkerOptions {
  const n = nodes[i] as TestnetNode;
  const base = structuredClone(build.workerOptions) as Record<string, unknown>;
  // crons are driven by the harness; module rules are for unbundled sources
  delete base.cronTriggers;
  delete base.modulesRules;
  const peerUrls = peers.filter((p) => p !== i).map((p) => (nodes[p] as TestnetNode).url);
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
      NETWORK_ID: net.networkId,
      GENESIS_VALIDATORS: net.validators,
      BOOTSTRAP_PEERS: peerUrls.join(","),
      NODE_URL: n.url,
      DOMAINS: net.domainsVar,
      OPTIMIZE_DOMAINS: net.optimizeVar,
      GENESIS_TIME: String(net.genesisTime),
      // a local network's newcomers get their first coin (commit bonds, fees) from POST /faucet
      FAUCET_DOIN: "10",
      // the nodes reach each other over loopback: peers learned from the network may be private here
      ALLOW_PRIVATE_PEERS: "true",
      ...(typeof net.extraVars === "function" ? net.extraVars(i) : net.extraVars),
      NODE_SECRET: n.secretHex,
      RUNNER_TOKEN: net.token,
    },
    d1Databases: Object.fromEntries(Object.keys(d1).map((b) => [b, { id: `${n.name}-${b}` }])),
    ratelimits: Object.fromEntries(Object.entries(ratelimits).map(([b, r]) => [b, { ...r, namespace_id: `${r.namespace_id}-${n.name}` }])),
    queueProducers: Object.fromEntries(Object.entries(producers).map(([b, p]) => [b, { ...p, queueName: rename(p.queueName) }])),
    queueConsumers: Object.fromEntries(Object.entries(consumers).map(([q, c]) => [rename(q), c.deadLetterQueue === undefined ? c : { ...c, deadLetterQueue: rename(c.deadLetterQueue) }])),
    unsafeDirectSockets: [{ host: "127.0.0.1", port: n.port }],
    unsafeRegisterWorker: false,
  } as V4WorkerOptions;
}

/**
 * One workerd's options: the members' Workers, each fetching out through
 * the partition router (told which node it is), the router itself, and the
 * persistence root.
 */
export function workerdOptions(
  mf: Pick<typeof import("miniflare"), "Log" | "LogLevel" | "convertV4MiniflareOptions">,
  workerOptions: readonly V4WorkerOptions[],
  members: readonly number[],
  persist: string,
  logs: boolean,
  onLog: (line: string) => void,
): MiniflareOptions {
  const v4 = { workers: [...workerOptions] } as V4MiniflareOptions;
  const converted = mf.convertV4MiniflareOptions(v4) as MiniflareOptions & { workers: Record<string, unknown>[] };
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
    resourcePersistencePath: persist,
    log: new mf.Log(logs ? mf.LogLevel.INFO : mf.LogLevel.ERROR),
    handleStructuredLogs: (l: { level: string; message: string }) => onLog(`${l.level} ${l.message}`),
  } as unknown as MiniflareOptions;
}
