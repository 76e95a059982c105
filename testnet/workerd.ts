/**
 * The nodes' processes: the workerd(s) that host them. One workerd for all
 * nodes, or one per node (`isolate`). A workerd cannot add or drop a Worker
 * while running, so starting or stopping a node restarts its workerd with the
 * new set of nodes (calls made together share one restart); the nodes that
 * keep running resume from their persisted state. Also here: the partition
 * router's table, and the cron tick (every running node's `scheduled`).
 */
import { mkdirSync } from "node:fs";
import type { Miniflare, MiniflareOptions, V4WorkerOptions } from "miniflare";
import { ROUTER } from "./build.ts";
import type { D1Migrations } from "./d1-migrations.ts";
import { waitHealthy, type LogTail } from "./health.ts";
import { workerdOptions } from "./node-config.ts";
import { dropMiniflareSignalHandlers } from "./signals.ts";
import type { TestnetNode } from "./types.ts";

const CRON = "* * * * *";

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

export interface WorkerdContext {
  readonly nodes: readonly TestnetNode[];
  /** one workerd per node instead of one for all */
  readonly isolate: boolean;
  /** node i's persistence root (the first member's, for a shared workerd) */
  readonly persistOf: (i: number) => string;
  readonly miniflare: typeof import("miniflare");
  /** node i's Worker, bootstrapping to `peers` */
  readonly workerOf: (i: number, peers: readonly number[]) => V4WorkerOptions;
  readonly migrations: D1Migrations;
  readonly log: LogTail;
  /** print the Workers' logs */
  readonly logs: boolean;
  /** start-up timing (DOIN_TESTNET_DEBUG) */
  readonly dbg: (what: string) => void;
}

export class Workerds {
  /** the nodes that should run */
  private readonly running = new Set<number>();
  /** bootstrap lists other than every other node */
  private readonly peersOf = new Map<number, readonly number[]>();
  private groups: number[][] | null = null;
  private readonly nodeOfPort: Record<string, number>;
  private readonly hosts: Host[];
  private stopped = false;

  constructor(private readonly ctx: WorkerdContext) {
    const { nodes, isolate } = ctx;
    this.nodeOfPort = Object.fromEntries(nodes.map((n) => [String(n.port), n.index]));
    this.hosts = (isolate ? nodes.map((n) => [n.index]) : [nodes.map((n) => n.index)]).map((members) => ({
      persist: ctx.persistOf(members[0] as number),
      nodes: members,
      mf: undefined,
      live: new Set<number>(),
      busy: false,
      queue: Promise.resolve(),
      pending: undefined,
    }));
    for (const h of this.hosts) mkdirSync(h.persist, { recursive: true });
  }

  get closed(): boolean {
    return this.stopped;
  }

  isRunning(i: number): boolean {
    return this.running.has(i);
  }

  /** Starts every node; answers when each answers /health. */
  async startAll(): Promise<void> {
    for (const n of this.ctx.nodes) this.running.add(n.index);
    await Promise.all(this.hosts.map((h) => this.apply(h)));
  }

  /** Stops node i (its state stays on disk). */
  async stopNode(i: number): Promise<void> {
    if (this.stopped || !this.running.has(i)) return;
    this.running.delete(i);
    await this.apply(this.hostOf(i));
  }

  /** (Re)starts node i; `peers` restricts its bootstrap list (default: every other node). */
  async startNode(i: number, peers: readonly number[] | undefined): Promise<void> {
    if (this.stopped) throw new Error("the testnet is stopped");
    if (this.running.has(i)) return;
    if (peers === undefined) this.peersOf.delete(i);
    else this.peersOf.set(i, [...peers]);
    this.running.add(i);
    await this.apply(this.hostOf(i));
  }

  /** Sets the router's groups (null: no partition), in every workerd once its pending restart is done. */
  async setGroups(groups: number[][] | null): Promise<void> {
    this.groups = groups;
    await Promise.all(this.hosts.map((h) => h.queue.then(() => this.pushTable(h))));
  }

  /** Runs every running node's `scheduled` handler (a workerd restarting skips this tick). */
  async tick(): Promise<void> {
    const { nodes, log } = this.ctx;
    await Promise.all(
      this.hosts.map(async (h) => {
        const mf = h.mf;
        if (mf === undefined || h.busy) return;
        await Promise.all(
          [...h.live].map(async (i) => {
            try {
              const r = await (await mf.getWorker((nodes[i] as TestnetNode).name)).scheduled({ cron: CRON });
              if (r.outcome !== "ok") log.add(`scheduled ${(nodes[i] as TestnetNode).name}: ${r.outcome}`);
            } catch (e) {
              // restarting or stopping: the next tick runs it
              if (!h.busy && !this.stopped) log.add(`scheduled ${(nodes[i] as TestnetNode).name}: ${e instanceof Error ? e.message : String(e)}`);
            }
          }),
        );
      }),
    );
  }

  /** From now on nodes are not (re)started and failed ticks are not logged. */
  close(): void {
    this.stopped = true;
  }

  /** Stops every node and disposes of every workerd (errors ignored). */
  async dispose(): Promise<void> {
    this.running.clear();
    await Promise.all(this.hosts.map((h) => this.apply(h).catch(() => undefined)));
    await Promise.all(this.hosts.map((h) => h.mf?.dispose().catch(() => undefined)));
  }

  // -------------------------------------------------------------------------

  private hostOf(i: number): Host {
    return this.ctx.isolate ? (this.hosts[i] as Host) : (this.hosts[0] as Host);
  }

  private optionsFor(host: Host, members: readonly number[]): MiniflareOptions {
    const { nodes, miniflare, log, logs } = this.ctx;
    const workers = members.map((i) => this.ctx.workerOf(i, this.peersOf.get(i) ?? nodes.map((x) => x.index)));
    return workerdOptions(miniflare, workers, members, host.persist, logs, log.add);
  }

  private async pushTable(host: Host): Promise<void> {
    if (host.mf === undefined) return;
    const router = await host.mf.getWorker(ROUTER);
    const r = await router.fetch(`http://${ROUTER}.invalid/table`, { method: "POST", body: JSON.stringify({ groups: this.groups, nodeOfPort: this.nodeOfPort }) });
    await r.text();
  }

  /** Brings the host's workerd to the nodes in `running` (one restart for every change made meanwhile). */
  private async reconcile(host: Host): Promise<void> {
    const { nodes, dbg } = this.ctx;
    const members = host.nodes.filter((i) => this.running.has(i));
    host.busy = true;
    try {
      if (members.length === 0) {
        const mf = host.mf;
        host.mf = undefined;
        host.live = new Set();
        await mf?.dispose();
        return;
      }
      const options = this.optionsFor(host, members);
      try {
        if (host.mf === undefined) {
          host.mf = new this.ctx.miniflare.Miniflare(options);
          dropMiniflareSignalHandlers();
          await host.mf.ready;
        } else await host.mf.setOptions(options);
      } catch (e) {
        const ports = members.map((i) => (nodes[i] as TestnetNode).port).join(", ");
        throw new Error(`workerd did not start on 127.0.0.1 ports ${ports} (one in use?): ${e instanceof Error ? e.message : String(e)}`);
      }
      dbg(`workerd ready (${members.map((i) => (nodes[i] as TestnetNode).name).join(" ")})`);
      host.live = new Set(members);
      const mf = host.mf;
      await Promise.all([...(this.groups === null ? [] : [this.pushTable(host)]), ...members.map((i) => this.ctx.migrations.apply(mf, host.persist, i, (nodes[i] as TestnetNode).name))]);
      dbg("migrations applied");
      await Promise.all(members.map((i) => waitHealthy(nodes[i] as TestnetNode, () => this.ctx.log.last(20))));
      dbg("healthy");
    } finally {
      host.busy = false;
    }
  }

  /** Schedules a reconcile; calls made before it begins share it. */
  private apply(host: Host): Promise<void> {
    if (host.pending !== undefined) return host.pending;
    const p = host.queue.then(async () => {
      host.pending = undefined;
      await this.reconcile(host);
    });
    host.pending = p;
    host.queue = p.catch(() => undefined);
    return p;
  }
}
