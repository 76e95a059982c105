/**
 * The runner's side of the node's /tasks lease API (HTTP, bearer token),
 * with retries and backoff on network failures; a 409 (lease expired) means
 * someone else has the job now. The runner never holds the node's key: it
 * returns results, the node signs.
 */
import type { JsonValue } from "../core/types.ts";

export type TaskKind = "optimize" | "evaluate" | "inference";

export interface LeasedTask {
  readonly id: string;
  readonly kind: TaskKind;
  readonly domain: string;
  readonly payload: JsonValue;
  readonly leaseId: string;
  readonly leaseMs: number;
}

export interface TasksClient {
  claim(max: number): Promise<LeasedTask[]>;
  /** false: the lease is gone */
  heartbeat(task: LeasedTask): Promise<boolean>;
  complete(task: LeasedTask, result: JsonValue): Promise<void>;
  fail(task: LeasedTask, error: string): Promise<void>;
  release(task: LeasedTask): Promise<void>;
}

const RETRIES = 5;

export function tasksClient(opts: { node: string; token: string; runner: string; kinds: readonly TaskKind[]; domains: readonly string[]; leaseMs?: number }): TasksClient {
  const leaseMs = opts.leaseMs ?? 60_000;
  const post = async (path: string, body: unknown): Promise<{ status: number; json: unknown }> => {
    let last: unknown;
    for (let attempt = 0; attempt < RETRIES; attempt++) {
      try {
        const res = await fetch(`${opts.node}${path}`, {
          method: "POST",
          headers: { "content-type": "application/json", authorization: `Bearer ${opts.token}` },
          body: JSON.stringify(body),
          signal: AbortSignal.timeout(30_000),
        });
        const json = (await res.json()) as unknown;
        if (res.status >= 500) throw new Error(`${path}: HTTP ${res.status}`);
        return { status: res.status, json };
      } catch (e) {
        last = e;
        await new Promise((r) => setTimeout(r, Math.min(8_000, 250 * 2 ** attempt)));
      }
    }
    throw new Error(`${path}: ${last instanceof Error ? last.message : String(last)}`);
  };
  return {
    async claim(max) {
      const r = await post("/tasks/claim", { runner: opts.runner, kinds: opts.kinds, domains: opts.domains, max, leaseMs });
      if (r.status !== 200) throw new Error(`claim refused: ${JSON.stringify(r.json)}`);
      const jobs = (r.json as { jobs: { id: string; kind: TaskKind; domain: string; payload: JsonValue; leaseId: string | null }[] }).jobs;
      return jobs.filter((j) => j.leaseId !== null).map((j) => ({ id: j.id, kind: j.kind, domain: j.domain, payload: j.payload, leaseId: j.leaseId as string, leaseMs }));
    },
    async heartbeat(task) {
      return (await post("/tasks/heartbeat", { jobId: task.id, leaseId: task.leaseId })).status === 200;
    },
    async complete(task, result) {
      const r = await post("/tasks/complete", { jobId: task.id, leaseId: task.leaseId, result });
      if (r.status !== 200 && r.status !== 409) throw new Error(`complete refused: ${JSON.stringify(r.json)}`);
    },
    async fail(task, error) {
      await post("/tasks/complete", { jobId: task.id, leaseId: task.leaseId, error: error.slice(0, 1000) || "failed" });
    },
    async release(task) {
      await post("/tasks/release", { jobId: task.id, leaseId: task.leaseId });
    },
  };
}
