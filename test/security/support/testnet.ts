/**
 * Shared by the attack tests: a live testnet over loopback (one per file),
 * plain HTTP to it, snapshots of the state an attack must not change on any
 * node, and the liveness check every attack ends with (the nodes agree on one
 * tip and keep making blocks).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect } from "vitest";
import { hexToBytes } from "../../../core/hex.ts";
import { addressFromPublicKey, secretFromSeedPhrase, publicKeyFromSecret } from "../../../core/keys.ts";
import { createTx, txToWire } from "../../../core/tx.ts";
import type { ChainParams } from "../../../core/types.ts";
import { freeBasePort, startTestnet, type Testnet, type TestnetOptions } from "../../../testnet/harness.ts";
import { domainsSetting } from "../../../durable-objects/config.ts";
import { paramsFor } from "../../../core/params.ts";
import { until } from "../../support/until.ts";

export interface LiveNet {
  readonly net: Testnet;
  readonly params: ChainParams;
  readonly urls: readonly string[];
  /** the nodes' own addresses (genesis validators: coin and reputation) */
  readonly addresses: readonly string[];
  stop(): Promise<void>;
}

/** A testnet in a temporary folder on free loopback ports; `stop` removes it. */
export async function startLiveNet(opts: Omit<TestnetOptions, "dir" | "basePort">): Promise<LiveNet> {
  const dir = mkdtempSync(join(tmpdir(), "doin-security-"));
  const net = await startTestnet({ ...opts, dir, basePort: await freeBasePort(opts.nodes) });
  const params = paramsFor(opts.networkId ?? "doin-devnet", net.nodes.map((n) => n.publicKey), domainsSetting(""), net.genesisTime);
  return {
    net,
    params,
    urls: net.nodes.map((n) => n.url),
    addresses: net.nodes.map((n) => addressFromPublicKey(n.publicKey)),
    async stop() {
      await net.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * The file's testnet: started before its tests, stopped after them. The
 * returned object reads through to it (use it inside tests and hooks only).
 */
export function useLiveNet(opts: Omit<TestnetOptions, "dir" | "basePort">): LiveNet {
  let started: LiveNet | undefined;
  beforeAll(async () => {
    started = await startLiveNet(opts);
  }, 180_000);
  afterAll(async () => {
    await started?.stop();
  }, 60_000);
  const get = (): LiveNet => {
    if (started === undefined) throw new Error("the testnet is not started yet");
    return started;
  };
  return {
    get net() {
      return get().net;
    },
    get params() {
      return get().params;
    },
    get urls() {
      return get().urls;
    },
    get addresses() {
      return get().addresses;
    },
    stop: () => get().stop(),
  };
}

export interface Answer {
  readonly status: number;
  readonly body: any;
  readonly ms: number;
}

/** One HTTP request; a string body goes as it is, anything else as JSON. */
export async function send(url: string, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Answer> {
  const init: RequestInit = { method, headers: { ...(body === undefined ? {} : { "content-type": "application/json" }), ...headers } };
  if (body !== undefined) init.body = typeof body === "string" ? body : JSON.stringify(body);
  const started = Date.now();
  const res = await fetch(`${url}${path}`, { ...init, signal: AbortSignal.timeout(30_000) });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // not JSON: kept as text
  }
  return { status: res.status, body: parsed, ms: Date.now() - started };
}

export const getJson = async <T>(url: string, path: string): Promise<T> => (await send(url, "GET", path)).body as T;

/** The refusal an attack must get: this status and this code, as the node's JSON error. */
export function expectRefused(a: Answer, status: number, code: string, what: string): void {
  expect({ status: a.status, code: (a.body as { code?: unknown })?.code }, `${what}: ${JSON.stringify(a.body).slice(0, 200)}`).toEqual({ status, code });
  expect(typeof (a.body as { message?: unknown }).message, what).toBe("string");
}

export interface NodeState {
  readonly tip: string;
  readonly height: number;
  readonly supply: string;
  readonly accounts: readonly { address: string; balance: string; nonce: number; reputation: string }[];
  readonly champions: unknown;
  readonly mempool: number;
}

/** What an attack must leave as it was on a node: tip, supply, these accounts (balance, nonce, reputation), champions, mempool. */
export async function nodeState(url: string, addresses: readonly string[]): Promise<NodeState> {
  const [status, champions, mempool, accounts] = await Promise.all([
    getJson<{ tip: string; height: number; supply: string }>(url, "/chain/status"),
    getJson<unknown>(url, "/chain/champions"),
    getJson<{ total: number }>(url, "/mempool?limit=1"),
    Promise.all(addresses.map((a) => getJson<{ address: string; balance: string; nonce: number; reputation: string }>(url, `/chain/account/${a}`))),
  ]);
  return { tip: status.tip, height: status.height, supply: status.supply, accounts, champions, mempool: mempool.total };
}

export const snapshot = (live: LiveNet, addresses: readonly string[] = []): Promise<NodeState[]> => Promise.all(live.urls.map((u) => nodeState(u, [...live.addresses, ...addresses])));

/** The nodes agree on one tip (polled: blocks in flight settle). */
export async function agreedTip(live: LiveNet, minHeight = 0, timeoutMs = 60_000): Promise<{ tip: string; height: number }> {
  return until(
    `the nodes on one tip at height ≥ ${minHeight}`,
    async () => {
      const all = await Promise.all(live.urls.map((u) => getJson<{ tip: string; height: number }>(u, "/chain/status")));
      const first = all[0] as { tip: string; height: number };
      return all.every((s) => s.tip === first.tip) && first.height >= minHeight ? first : undefined;
    },
    { timeoutMs, everyMs: 250, context: () => live.net.logTail(15).join("\n") },
  );
}

let transfers = 0;
/**
 * The network is alive: a transfer from the last node's key is taken by the
 * first node, lands in a block on every node, and the nodes agree on one tip
 * above where they were.
 */
export async function expectLive(live: LiveNet): Promise<void> {
  const { height } = await agreedTip(live);
  const last = live.net.nodes[live.net.nodes.length - 1]!;
  const secret = hexToBytes(last.secretHex);
  const from = addressFromPublicKey(last.publicKey);
  const account = await getJson<{ nonce: number }>(live.urls[0]!, `/chain/account/${from}`);
  const to = addressFromPublicKey(publicKeyFromSecret(secretFromSeedPhrase(`liveness-${++transfers}`)));
  const tx = txToWire(createTx("transfer", { to, amount: 1n }, { secret, nonce: account.nonce + 1, network: live.params.network, fee: 0n }));
  const sent = await send(live.urls[0]!, "POST", "/tx", tx);
  expect(sent.status, JSON.stringify(sent.body)).toBe(202);
  const id = (tx as { id: string }).id;
  await until(
    `transfer ${id.slice(0, 12)} in a block on every node`,
    async () => ((await Promise.all(live.urls.map(async (u) => (await getJson<{ status?: string }>(u, `/tx/${id}`)).status === "included"))).every(Boolean) ? true : undefined),
    { timeoutMs: 90_000, everyMs: 250, context: () => live.net.logTail(15).join("\n") },
  );
  await agreedTip(live, height + 1);
}
