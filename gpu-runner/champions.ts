/**
 * The node's champions (GET /chain/champions, public), cached briefly so a
 * burst of jobs asks once.
 */
import { DEFAULT_RETRY, requestJson, type RetryPolicy } from "./http.ts";
import { parseChampions, type ChampionInfo, type ChampionSource } from "./executors.ts";

export interface NodeChampionsOptions {
  readonly node: string;
  /** how long an answer is reused; default 2 s */
  readonly cacheMs?: number;
  readonly retry?: Partial<RetryPolicy>;
  readonly fetchFn?: typeof fetch;
}

export function nodeChampions(opts: NodeChampionsOptions): ChampionSource {
  const url = `${opts.node.replace(/\/+$/, "")}/chain/champions`;
  const cacheMs = opts.cacheMs ?? 2_000;
  const policy: RetryPolicy = { ...DEFAULT_RETRY, attempts: 4, ...opts.retry };
  let cached: { at: number; list: Promise<ChampionInfo[]> } | null = null;
  const list = (): Promise<ChampionInfo[]> => {
    const now = Date.now();
    if (cached !== null && now - cached.at < cacheMs) return cached.list;
    const p = requestJson({ method: "GET", url }, policy, opts.fetchFn).then((r) => {
      if (r.status !== 200) throw new Error(`GET /chain/champions: HTTP ${r.status}`);
      return parseChampions(r.body);
    });
    cached = { at: now, list: p };
    p.catch(() => {
      if (cached?.list === p) cached = null;
    });
    return p;
  };
  return {
    async champion(domain) {
      return (await list()).find((c) => c.domain === domain) ?? null;
    },
  };
}
