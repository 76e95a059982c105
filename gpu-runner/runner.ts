/**
 * The job loop of a GPU runner.
 *
 * - Claims `optimize`, `evaluate` and `inference` jobs for its domains from a
 *   JobSource (the source was built with the kinds, domains and lease
 *   length), and runs up to `concurrency` of them at once.
 * - Heartbeats every lease/3 while a job runs; a heartbeat answered "gone"
 *   (someone else has the job now) drops the job: its result is never sent.
 * - Completes with the result, or reports the error (the job runs again
 *   later, here or elsewhere). Network failures are retried by the source;
 *   claims that still fail back off (1 s, 2 s … 30 s).
 * - stop(): stops claiming, lets running jobs finish within a grace period,
 *   and releases the rest (no attempt counted). A runner killed without
 *   stop() loses nothing either: its leases lapse and the node re-queues
 *   the jobs.
 * - Prints one progress line every few seconds: jobs done by kind, current
 *   best per domain, jobs per minute.
 */
import type { JsonValue } from "../core/types.ts";
import type { DomainPlugin } from "../plugins/sdk.ts";
import { executeJob, Island, JobError, type ChampionSource, type ExecutionContext, type IslandOptions } from "./executors.ts";
import { sleep } from "./http.ts";
import { SourceError, type CompleteOutcome, type JobKind, type JobSource, type LeasedJob } from "./job-source.ts";

export interface RunnerOptions {
  /** this runner's name (also the experiment id's prefix) */
  readonly id: string;
  readonly source: JobSource;
  readonly plugins: readonly DomainPlugin[];
  readonly champions: ChampionSource;
  /** jobs at once; default 2 */
  readonly concurrency?: number;
  /** optimizer, its config, migration interval, budget per round */
  readonly island?: Omit<IslandOptions, "runnerId">;
  /** per-domain settings over `island` (e.g. each domain's own optimizer and config) */
  readonly islandByDomain?: Readonly<Record<string, Omit<IslandOptions, "runnerId">>>;
  /** config for synthetic.generate, by domain (default {}) */
  readonly syntheticConfig?: Readonly<Record<string, JsonValue>>;
  /** wait between claims when nothing was pending; default 1 s */
  readonly pollMs?: number;
  /** how long stop() lets running jobs finish; default 10 s */
  readonly graceMs?: number;
  /** progress line interval; 0 turns it off; default 5 s */
  readonly progressMs?: number;
  readonly log?: (line: string) => void;
  /** every job's fate, for tests and tools */
  readonly onEvent?: (event: RunnerEvent) => void;
}

export type RunnerEvent =
  | { readonly type: "claimed"; readonly job: LeasedJob }
  | { readonly type: "completed"; readonly job: LeasedJob; readonly outcome: CompleteOutcome; readonly result: JsonValue }
  | { readonly type: "failed"; readonly job: LeasedJob; readonly error: string }
  | { readonly type: "lost"; readonly job: LeasedJob }
  | { readonly type: "released"; readonly job: LeasedJob }
  | { readonly type: "heartbeat"; readonly job: LeasedJob; readonly ok: boolean };

export interface RunnerStats {
  readonly startedAt: number;
  readonly claimed: number;
  /** results the node took, by kind */
  readonly done: Readonly<Record<JobKind, number>>;
  readonly failed: number;
  /** dropped: the lease went to someone else */
  readonly lost: number;
  /** results the node already had */
  readonly duplicates: number;
  readonly released: number;
  readonly running: number;
}

type State = "running" | "lost" | "released" | "abandoned";

interface Active {
  readonly job: LeasedJob;
  state: State;
  readonly beats: AbortController;
  done: Promise<void>;
}

const MAX_CLAIM_BACKOFF_MS = 30_000;

export class Runner {
  readonly id: string;
  private readonly source: JobSource;
  private readonly plugins: ReadonlyMap<string, DomainPlugin>;
  private readonly islands = new Map<string, Island>();
  private readonly active = new Map<string, Active>();
  private readonly opts: RunnerOptions;
  private readonly concurrency: number;
  private readonly log: (line: string) => void;
  private readonly ctx: ExecutionContext;
  private stopping = false;
  private abandoned = false;
  private wakeup = new AbortController();
  /** aborts a claim in flight when stopping */
  private readonly claims = new AbortController();
  private loopDone: Promise<void> | null = null;
  private stopDone: Promise<void> | null = null;
  private progressTimer: ReturnType<typeof setInterval> | null = null;
  private readonly finishedAt: number[] = [];
  private counts = { claimed: 0, failed: 0, lost: 0, duplicates: 0, released: 0 };
  private readonly doneByKind: Record<JobKind, number> = { optimize: 0, evaluate: 0, inference: 0 };
  readonly startedAt = Date.now();

  constructor(opts: RunnerOptions) {
    this.opts = opts;
    this.id = opts.id;
    this.source = opts.source;
    this.plugins = new Map(opts.plugins.map((p) => [p.meta.id, p]));
    this.concurrency = Math.max(1, Math.floor(opts.concurrency ?? 2));
    this.log = opts.log ?? ((line) => console.log(line));
    this.ctx = {
      plugin: (d) => this.plugins.get(d),
      island: (d) => this.island(d),
      localBest: (d) => this.islands.get(d)?.best ?? null,
      champions: opts.champions,
      syntheticConfig: (d) => opts.syntheticConfig?.[d] ?? {},
      log: (line) => this.log(`${this.id}: ${line}`),
    };
  }

  /** Runs until stop() (or abandon()); resolves when the claim loop has ended. */
  start(): Promise<void> {
    if (this.loopDone !== null) return this.loopDone;
    const every = this.opts.progressMs ?? 5_000;
    if (every > 0) {
      this.progressTimer = setInterval(() => this.log(this.progressLine()), every);
      this.progressTimer.unref();
    }
    this.loopDone = this.loop();
    return this.loopDone;
  }

  /** Stops claiming, lets running jobs finish for up to `graceMs`, releases the rest. */
  stop(graceMs = this.opts.graceMs ?? 10_000): Promise<void> {
    if (this.stopDone !== null) return this.stopDone;
    this.stopping = true;
    this.claims.abort();
    this.wake();
    this.stopDone = (async () => {
      await this.loopDone;
      const running = [...this.active.values()];
      if (running.length > 0) {
        const all = Promise.allSettled(running.map((a) => a.done));
        const timer = new AbortController();
        await Promise.race([all, sleep(graceMs, timer.signal)]);
        timer.abort();
      }
      await Promise.allSettled([...this.active.values()].map((a) => this.giveBack(a)));
      if (this.progressTimer !== null) clearInterval(this.progressTimer);
      this.log(this.progressLine());
    })();
    return this.stopDone;
  }

  /** A crash, for tests: stops everything at once, never completes or releases what it holds (the leases lapse). */
  abandon(): void {
    this.stopping = true;
    this.abandoned = true;
    this.claims.abort();
    for (const a of this.active.values()) {
      a.state = "abandoned";
      a.beats.abort();
    }
    this.active.clear();
    if (this.progressTimer !== null) clearInterval(this.progressTimer);
    this.wake();
  }

  get stats(): RunnerStats {
    return { startedAt: this.startedAt, ...this.counts, done: { ...this.doneByKind }, running: this.active.size };
  }

  /** The island of a domain this runner optimizes (created on first use). */
  island(domain: string): Island {
    let island = this.islands.get(domain);
    if (island === undefined) {
      const plugin = this.plugins.get(domain);
      if (plugin === undefined) throw new JobError("UNKNOWN_DOMAIN", `this runner has no plugin for domain ${domain}`);
      island = new Island(plugin, { ...this.opts.island, ...this.opts.islandByDomain?.[domain], runnerId: this.id });
      this.islands.set(domain, island);
    }
    return island;
  }

  /** e.g. `runner-1: 42 done (optimize 10, evaluate 30, inference 2) · 0 failed · best quadratic -0.0123 @12 · 8.4 jobs/min · 2 running` */
  progressLine(): string {
    const now = Date.now();
    while (this.finishedAt.length > 0 && (this.finishedAt[0] as number) < now - 60_000) this.finishedAt.shift();
    const minutes = Math.min(1, Math.max((now - this.startedAt) / 60_000, 1 / 60));
    const total = this.doneByKind.optimize + this.doneByKind.evaluate + this.doneByKind.inference;
    const best = [...this.plugins.keys()].map((d) => {
      const island = this.islands.get(d);
      const b = island?.best;
      return b === null || b === undefined ? `${d} –` : `${d} ${formatNumber(b.performance)} @${island?.roundsDone ?? 0}`;
    });
    const extra = [this.counts.lost > 0 ? `${this.counts.lost} lost` : "", this.counts.duplicates > 0 ? `${this.counts.duplicates} duplicate` : "", this.counts.released > 0 ? `${this.counts.released} released` : ""].filter((s) => s !== "");
    return (
      `${this.id}: ${total} done (optimize ${this.doneByKind.optimize}, evaluate ${this.doneByKind.evaluate}, inference ${this.doneByKind.inference})` +
      ` · ${this.counts.failed} failed${extra.length > 0 ? ` · ${extra.join(" · ")}` : ""}` +
      ` · best ${best.join(", ") || "–"} · ${(this.finishedAt.length / minutes).toFixed(1)} jobs/min · ${this.active.size} running`
    );
  }

  // -------------------------------------------------------------------------

  private wake(): void {
    this.wakeup.abort();
    this.wakeup = new AbortController();
  }

  private emit(event: RunnerEvent): void {
    try {
      this.opts.onEvent?.(event);
    } catch {
      // a listener's problem is not the runner's
    }
  }

  private async loop(): Promise<void> {
    let failures = 0;
    while (!this.stopping) {
      const free = this.concurrency - this.active.size;
      if (free <= 0) {
        await sleep(60_000, this.wakeup.signal);
        continue;
      }
      let jobs: LeasedJob[];
      try {
        jobs = await this.source.claim(free, this.claims.signal);
        failures = 0;
      } catch (e) {
        if (this.stopping) break;
        failures++;
        const wait = Math.min(MAX_CLAIM_BACKOFF_MS, 1_000 * 2 ** Math.min(failures - 1, 5));
        this.log(`${this.id}: claim failed (${describe(e)}); retrying in ${(wait / 1000).toFixed(0)} s`);
        await sleep(wait, this.wakeup.signal);
        continue;
      }
      let launched = 0;
      for (const job of jobs) {
        this.counts.claimed++;
        this.emit({ type: "claimed", job });
        if (this.stopping) {
          // claimed while stopping: hand it straight back (a crash keeps it, as a crash would)
          if (!this.abandoned) await this.releaseJob(job);
          continue;
        }
        if (!this.plugins.has(job.domain)) {
          this.log(`${this.id}: no plugin for domain ${job.domain}: releasing ${job.id}`);
          await this.releaseJob(job);
          continue;
        }
        this.launch(job);
        launched++;
      }
      // Nothing new to run: wait before asking again (also when every job had to be handed back).
      if (launched === 0 && !this.stopping) await sleep(this.opts.pollMs ?? 1_000, this.wakeup.signal);
      else await new Promise<void>((r) => setImmediate(r));
    }
  }

  private launch(job: LeasedJob): void {
    const a: Active = { job, state: "running", beats: new AbortController(), done: Promise.resolve() };
    this.active.set(job.id, a);
    void this.heartbeats(a);
    a.done = this.run(a).finally(() => {
      a.beats.abort();
      if (this.active.get(job.id) === a) this.active.delete(job.id);
      this.wake();
    });
  }

  private async heartbeats(a: Active): Promise<void> {
    const period = Math.max(1_000, Math.floor(a.job.leaseMs / 3));
    while (a.state === "running") {
      await sleep(period, a.beats.signal);
      if (a.beats.signal.aborted || a.state !== "running") return;
      try {
        const ok = await this.source.heartbeat(a.job);
        this.emit({ type: "heartbeat", job: a.job, ok });
        if (!ok && a.state === "running") {
          a.state = "lost";
          this.counts.lost++;
          this.log(`${this.id}: lease on ${a.job.id} is gone (someone else has it now): dropping it`);
          this.emit({ type: "lost", job: a.job });
          return;
        }
      } catch (e) {
        // The source already retried; the next beat tries again (a lapsed lease's result is still taken until someone re-claims).
        this.log(`${this.id}: heartbeat for ${a.job.id} failed (${describe(e)})`);
      }
    }
  }

  private async run(a: Active): Promise<void> {
    const { job } = a;
    let result: JsonValue | undefined;
    let error: string | undefined;
    try {
      result = await executeJob(job, this.ctx);
    } catch (e) {
      error = describe(e);
    }
    if (a.state !== "running") return; // lost, released after the grace period, or abandoned: the result goes nowhere
    a.beats.abort();
    if (error === undefined) {
      try {
        const outcome = await this.source.complete(job, result as JsonValue);
        if (a.state !== "running") return;
        this.record(job, outcome, result as JsonValue);
      } catch (e) {
        if (e instanceof SourceError && (e.status === 413 || e.status === 400)) {
          await this.failJob(job, `result refused by the source: ${e.message}`);
        } else {
          // Network down past every retry: the lease lapses and the job runs again.
          this.log(`${this.id}: could not report ${job.id} (${describe(e)}); the job will run again once its lease lapses`);
        }
      }
    } else {
      await this.failJob(job, error);
    }
  }

  private record(job: LeasedJob, outcome: CompleteOutcome, result: JsonValue): void {
    if (outcome === "applied") {
      this.doneByKind[job.kind]++;
      this.finishedAt.push(Date.now());
    } else if (outcome === "duplicate") {
      this.counts.duplicates++;
    } else {
      this.counts.lost++;
      this.log(`${this.id}: result for ${job.id} not taken: someone else holds the job now`);
    }
    this.emit({ type: "completed", job, outcome, result });
  }

  private async failJob(job: LeasedJob, error: string): Promise<void> {
    this.counts.failed++;
    this.log(`${this.id}: ${job.kind} ${job.id} failed: ${error}`);
    this.emit({ type: "failed", job, error });
    try {
      await this.source.fail(job, error);
    } catch (e) {
      this.log(`${this.id}: could not report the failure of ${job.id} (${describe(e)}); its lease will lapse`);
    }
  }

  private async giveBack(a: Active): Promise<void> {
    if (a.state !== "running") return;
    a.state = "released";
    a.beats.abort();
    this.active.delete(a.job.id);
    await this.releaseJob(a.job);
  }

  private async releaseJob(job: LeasedJob): Promise<void> {
    try {
      await this.source.release(job);
      this.counts.released++;
      this.emit({ type: "released", job });
    } catch (e) {
      this.log(`${this.id}: could not release ${job.id} (${describe(e)}); its lease will lapse`);
    }
  }
}

function describe(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

function formatNumber(x: number): string {
  const a = Math.abs(x);
  return a !== 0 && (a < 1e-3 || a >= 1e6) ? x.toExponential(3) : x.toFixed(4);
}
