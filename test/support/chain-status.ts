/** Reading nodes' chains from a test: their status, and waiting until they agree on one tip. */
import { until } from "./until.ts";

export interface ChainStatusView {
  height: number;
  tip: string;
  genesis: string;
  finalizedHeight: number;
  historyFrom: number;
}

export async function chainStatus(url: string): Promise<ChainStatusView> {
  return (await (await fetch(`${url}/chain/status`)).json()) as ChainStatusView;
}

/** Waits until every node's head is one block at height ≥ minHeight; returns the first node's status. */
export async function sameTip(urls: readonly string[], minHeight: number, opts: { timeoutMs?: number; context?: () => string } = {}): Promise<ChainStatusView> {
  return until(
    `${urls.length} nodes on one tip at height ≥ ${minHeight}`,
    async () => {
      const all = await Promise.all(urls.map(chainStatus));
      const first = all[0] as ChainStatusView;
      return all.every((s) => s.tip === first.tip) && first.height >= minHeight ? first : undefined;
    },
    { timeoutMs: opts.timeoutMs ?? 90_000, everyMs: 500, ...(opts.context === undefined ? {} : { context: opts.context }) },
  );
}
