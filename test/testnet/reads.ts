/**
 * What the testnet tests read from a node while they wait on real processes:
 * JSON from its API, transactions included, rounds decided.
 */
import { until } from "../support/until.ts";

export interface RoundView {
  optimae: string;
  domain: string;
  optimizer: string;
  status: string;
  reported: string;
  verified: string | null;
  quorum: string[];
  votes: { evaluator: string; performance: string; dataHash: string }[];
}

export async function getJson<T>(url: string, path: string, headers: Record<string, string> = {}): Promise<T> {
  const r = await fetch(`${url}${path}`, { headers });
  if (r.status !== 200) throw new Error(`GET ${path}: ${r.status} ${await r.text()}`);
  return (await r.json()) as T;
}

/** Waits until every transaction of `ids` is in a block of the node's chain. */
export async function included(url: string, ids: readonly string[], what: string, context: () => string): Promise<void> {
  await until(
    what,
    async () => {
      for (const id of ids) if ((await getJson<{ status: string }>(url, `/tx/${id}`)).status !== "included") return undefined;
      return true;
    },
    { timeoutMs: 60_000, everyMs: 500, context },
  );
}

/** Waits until each optimae of `ids` has a round in one of `statuses`; returns those rounds. */
export async function roundsIn(url: string, ids: readonly string[], statuses: readonly string[], what: string, context: () => string, timeoutMs = 120_000): Promise<RoundView[]> {
  return until(
    what,
    async () => {
      const all = await getJson<RoundView[]>(url, "/chain/rounds");
      const mine = ids.map((id) => all.find((r) => r.optimae === id));
      return mine.every((r) => r !== undefined && statuses.includes(r.status)) ? (mine as RoundView[]) : undefined;
    },
    { timeoutMs, everyMs: 500, context },
  );
}
