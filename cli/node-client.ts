/**
 * The node's public API as the command sees it (README "The node's API"):
 * typed reads, transaction submission, and one error shape: a node that
 * cannot be reached is NODE_UNREACHABLE, a refusal carries the node's own
 * `{code, message}`. HTTP retries come from the runner's client
 * (gpu-runner/http.ts), with a short policy: a node that is down is
 * reported within seconds.
 */
import type { AccountView, ChainStatus, ChampionView, RoundView } from "../durable-objects/rpc.ts";
import type { DroppedTxView, FeeSuggestion, PendingTxView } from "../durable-objects/rpc.ts";
import { errorCode, NetworkError, requestJson, type RetryPolicy } from "../gpu-runner/http.ts";
import { CliError, EXIT, refused } from "./errors.ts";

export type { AccountView, ChainStatus, ChampionView, RoundView };

/** The local testnet's first node (`npm start`). */
export const DEFAULT_NODE = "http://127.0.0.1:8787";

export type PendingTx = Omit<PendingTxView, "wire"> & { readonly tx: unknown };
export interface IncludedTx {
  readonly id: string;
  readonly status: "included";
  readonly height: number;
  readonly block: string;
}
/** GET /tx/{id} */
export type TxStatus = PendingTx | IncludedTx | DroppedTxView;

/** A block in its wire form, read generically: header fields are shown as they come (new ones included). */
export interface BlockWire {
  readonly hash: string;
  readonly sig: string;
  readonly header: Readonly<Record<string, unknown>> & { readonly height: number; readonly timestamp: number; readonly producer: string; readonly parent: string };
  readonly txs: readonly (Readonly<Record<string, unknown>> & { readonly id: string; readonly kind: string; readonly from: string; readonly body: Readonly<Record<string, unknown>> })[];
  readonly coinbase: readonly { readonly to: string; readonly amount: string; readonly role: string }[];
}

export interface NodeClientOptions {
  /** per-request timeout; default 15 s */
  readonly timeoutMs?: number;
  /** tries per request on network failures and 5xx; default 2 */
  readonly attempts?: number;
}

export class NodeClient {
  readonly url: string;
  private readonly policy: RetryPolicy;

  constructor(url: string, opts: NodeClientOptions = {}) {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new CliError("USAGE", `--node: ${JSON.stringify(url)} is not a URL`, EXIT.USAGE, "e.g. --node http://127.0.0.1:8787");
    }
    if (parsed.protocol !== "http:" && parsed.protocol !== "https:") throw new CliError("USAGE", `--node: ${url} is not an http(s) URL`, EXIT.USAGE);
    this.url = url.replace(/\/+$/, "");
    this.policy = { attempts: opts.attempts ?? 2, baseMs: 300, maxMs: 1_000, timeoutMs: opts.timeoutMs ?? 15_000 };
  }

  private async request(method: "GET" | "POST", path: string, body?: unknown): Promise<{ status: number; body: unknown }> {
    try {
      return await requestJson({ method, url: `${this.url}${path}`, ...(body === undefined ? {} : { body }) }, this.policy);
    } catch (e) {
      if (e instanceof NetworkError) {
        throw new CliError("NODE_UNREACHABLE", `cannot reach the node at ${this.url}: ${e.message.replace(/^.*? failed after/, "failed after")}`, EXIT.NODE_UNREACHABLE, "is it running? `npm start` runs a local testnet; --node URL (or DOIN_NODE) picks another node");
      }
      throw e;
    }
  }

  /** GET a JSON answer: 200 → the body; 4xx → the node's refusal. */
  async get<T>(path: string): Promise<T> {
    const r = await this.request("GET", path);
    if (r.status === 200) return r.body as T;
    throw this.refusal(r);
  }

  /** GET, with 404 → null. */
  async find<T>(path: string): Promise<T | null> {
    const r = await this.request("GET", path);
    if (r.status === 200) return r.body as T;
    if (r.status === 404) return null;
    throw this.refusal(r);
  }

  private refusal(r: { status: number; body: unknown }): CliError {
    if (typeof r.body !== "object" || r.body === null || typeof (r.body as { code?: unknown }).code !== "string") {
      return new CliError("NOT_A_NODE", `${this.url} answered HTTP ${r.status} without a DOIN error`, EXIT.NODE_UNREACHABLE, "--node must point at a DOIN node");
    }
    const { code, message } = errorCode(r.body);
    return refused(code, message, r.status);
  }

  /** GET /chain/status, checked to be a DOIN node's answer. */
  async chainStatus(): Promise<ChainStatus> {
    const s = await this.get<ChainStatus>("/chain/status");
    if (typeof s !== "object" || s === null || typeof s.height !== "number" || typeof s.network !== "string") {
      throw new CliError("NOT_A_NODE", `${this.url}/chain/status is not a DOIN chain status`, EXIT.NODE_UNREACHABLE, "--node must point at a DOIN node");
    }
    return s;
  }

  /** GET /status: the node at a glance (its identity, coin, security, quorum outlook, peers). */
  nodeStatus(): Promise<Record<string, unknown>> {
    return this.get("/status");
  }

  account(address: string): Promise<AccountView> {
    return this.get(`/chain/account/${address}`);
  }

  tx(id: string): Promise<TxStatus | null> {
    return this.find(`/tx/${id}`);
  }

  block(ref: number | string): Promise<BlockWire | null> {
    return this.find(typeof ref === "number" ? `/chain/block/${ref}` : `/chain/block-by-hash/${ref}`);
  }

  async blocks(from: number, to: number): Promise<BlockWire[]> {
    return (await this.get<{ blocks: BlockWire[] }>(`/chain/blocks?from=${from}&to=${to}`)).blocks;
  }

  champions(): Promise<ChampionView[]> {
    return this.get("/chain/champions");
  }

  rounds(): Promise<RoundView[]> {
    return this.get("/chain/rounds");
  }

  fees(): Promise<FeeSuggestion> {
    return this.get("/fees");
  }

  /** The chain parameters in wire form (GET /chain/params); see network.ts for the reading. */
  params(): Promise<Record<string, unknown>> {
    return this.get("/chain/params");
  }

  /** Pending transactions of one sender (the mempool's first 1,000, highest fee first). */
  async pendingOf(address: string): Promise<PendingTx[]> {
    const list = await this.get<{ txs: PendingTx[] }>("/mempool?limit=1000");
    return list.txs.filter((t) => t.sender === address);
  }

  /** POST /tx: 202 → the id; anything else → the node's refusal. */
  async submit(wire: unknown): Promise<{ id: string }> {
    const r = await this.request("POST", "/tx", wire);
    if (r.status === 202) return r.body as { id: string };
    throw this.refusal(r);
  }
}
