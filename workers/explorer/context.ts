/**
 * What a view reads: this node's Durable Objects (the live chain head,
 * mempool, jobs, peers) through their RPC methods, the D1 history through
 * workers/routes/history.ts, and the node's other endpoints (the /stats
 * family) through its own API in-process, so every page shows exactly what
 * the API answers.
 */
import type { Context } from "hono";
import type { NodeConfig } from "../../durable-objects/config.ts";
import type { NodeApp, NodeEnv } from "../http.ts";
import { chainOf, mempoolOf, networkOf, tasksOf } from "../../durable-objects/stubs.ts";
import type { Section } from "./layout.tsx";
import type { Child } from "hono/jsx";

export class ApiError extends Error {
  override readonly name = "ApiError";
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export interface ExplorerContext {
  readonly env: Env;
  readonly config: NodeConfig;
  readonly url: URL;
  readonly chain: DurableObjectStub<import("../../durable-objects/chain.ts").ChainDO>;
  readonly mempool: DurableObjectStub<import("../../durable-objects/mempool.ts").MempoolDO>;
  readonly tasks: DurableObjectStub<import("../../durable-objects/task.ts").TaskDO>;
  readonly network: DurableObjectStub<import("../../durable-objects/network.ts").NetworkDO>;
  /** GET one of this node's API endpoints in-process; throws ApiError on an error answer */
  api<T>(path: string): Promise<T>;
}

/** A rendered view: the layout wraps its body. */
export interface View {
  readonly title: string;
  readonly section: Section;
  readonly body: Child;
  readonly status?: 200 | 400 | 404 | 500;
  readonly liveMs?: number;
  readonly charts?: boolean;
  /** what kind of page this is: a live refresh that brings another kind reloads the page */
  readonly kind?: string;
  /** answer with a redirect (303) to this URL instead */
  readonly redirect?: string;
}

export function explorerContext(app: NodeApp, c: Context<NodeEnv>): ExplorerContext {
  const env = c.env;
  return {
    env,
    config: c.get("config"),
    url: new URL(c.req.url),
    chain: chainOf(env),
    mempool: mempoolOf(env),
    tasks: tasksOf(env),
    network: networkOf(env),
    async api<T>(path: string): Promise<T> {
      const res = await app.request(path, {}, env);
      const body = (await res.json()) as T & { code?: string; message?: string };
      if (!res.ok) throw new ApiError(res.status, body.code ?? "ERROR", body.message ?? `${path}: HTTP ${res.status}`);
      return body;
    },
  };
}
