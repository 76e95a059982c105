/**
 * The job loop: claim jobs with leases, run up to `concurrency` at once,
 * heartbeat every lease/3, complete with results; a failed job is reported as
 * an error (the node retries it elsewhere). stop() stops claiming, lets
 * running jobs finish within a grace period, and releases the rest. A runner
 * killed without stop() loses nothing: its leases expire and the jobs run
 * again elsewhere.
 */
import type { JsonValue } from "../core/types.ts";
import type { LeasedTask, TasksClient } from "./tasks-client.ts";
import type { Executor } from "./quadratic-executor.ts";

export interface RunnerStats {
  done: Record<string, number>;
  failed: number;
  startedAt: number;
}

export class JobLoop {
  private running = new Map<string, Promise<void>>();
  private stopping = false;
  readonly stats: RunnerStats = { done: {}, failed: 0, startedAt: Date.now() };

  constructor(
    private readonly source: TasksClient,
    private readonly executor: Executor,
    private readonly champion: () => Promise<{ params: JsonValue; performance: number } | null>,
    private readonly concurrency = 1,
    private readonly pollMs = 500,
  ) {}

  async loop(): Promise<void> {
    while (!this.stopping) {
      const room = this.concurrency - this.running.size;
      let jobs: LeasedTask[] = [];
      if (room > 0) {
        try {
          jobs = await this.source.claim(room);
        } catch (e) {
          console.warn(`claim failed: ${e instanceof Error ? e.message : e}`);
        }
      }
      for (const job of jobs) {
        const p = this.execute(job).finally(() => this.running.delete(job.id));
        this.running.set(job.id, p);
      }
      await new Promise((r) => setTimeout(r, jobs.length > 0 ? 0 : this.pollMs));
    }
  }

  private async execute(job: LeasedTask): Promise<void> {
    const beat = setInterval(() => {
      this.source.heartbeat(job).catch(() => undefined);
    }, Math.max(1_000, Math.floor(job.leaseMs / 3)));
    try {
      const result = await this.executor.run(job.kind, job.payload, this.champion);
      await this.source.complete(job, result);
      this.stats.done[job.kind] = (this.stats.done[job.kind] ?? 0) + 1;
    } catch (e) {
      this.stats.failed++;
      await this.source.fail(job, e instanceof Error ? e.message : String(e)).catch(() => undefined);
    } finally {
      clearInterval(beat);
    }
  }

  async stop(graceMs = 10_000): Promise<void> {
    this.stopping = true;
    await Promise.race([Promise.allSettled([...this.running.values()]), new Promise((r) => setTimeout(r, graceMs))]);
  }
}
