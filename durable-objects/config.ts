/**
 * The only place that reads the node's environment (the Worker's and every
 * Durable Object's `env`): parses it into a frozen NodeConfig. Secrets are
 * turned into key material here and never logged or returned by any
 * endpoint. It sits below the objects, which all need it.
 */
import { isHex, hexToBytes } from "../core/hex.ts";
import { addressFromPublicKey, publicKeyFromSecret } from "../core/keys.ts";
import { COIN_UNIT, paramsFor } from "../core/params.ts";
import { parseDomainList } from "../core/domain-config.ts";
import { parseGossipDegree } from "../durable-objects/gossip.ts";
import type { Address, ChainParams, DomainConfig, PublicKeyHex } from "../core/types.ts";

export interface NodeConfig {
  readonly params: ChainParams;
  readonly nodeSecret: Uint8Array;
  readonly nodeKey: PublicKeyHex;
  readonly nodeAddress: Address;
  readonly runnerToken: string;
  readonly nodeUrl: string;
  readonly bootstrapPeers: readonly string[];
  /** domains this node optimizes: its QuorumDO keeps an optimize job waiting for its runners */
  readonly optimizeDomains: readonly string[];
  /** checkpoints its operator gave this node (height → block hash): fork choice refuses branches that conflict */
  readonly checkpoints: ReadonlyMap<number, string>;
  /** what POST /faucet pays an address from this node's account (base units); null: no faucet (never on mainnet) */
  readonly faucetAmount: bigint | null;
  /** peers learned from the network may have private, loopback or link-local addresses (a local testnet); off by default */
  readonly allowPrivatePeers: boolean;
  /** an inference request nobody claimed within this long expires */
  readonly inferenceTtlMs: number;
  /** gossip degree D: a new payload goes to this many peers drawn at random (durable-objects/gossip.ts) */
  readonly gossipDegree: number;
  /** how an empty chain catches up: replay every block ("archive") or start from a peer's finalized snapshot ("snapshot") */
  readonly syncMode: SyncMode;
  /** blocks between the snapshots this node offers */
  readonly snapshotInterval: number;
}

export type SyncMode = "archive" | "snapshot";

/** The SYNC_MODE setting: "archive" (default) or "snapshot". */
export function syncModeSetting(value: string | undefined): SyncMode {
  const v = (value ?? "").trim().toLowerCase();
  if (v === "" || v === "archive") return "archive";
  if (v === "snapshot") return "snapshot";
  throw new ConfigError('SYNC_MODE must be "archive" (replay every block from genesis) or "snapshot" (start from a peer\'s finalized snapshot)');
}

/** The SNAPSHOT_INTERVAL setting: blocks between snapshots, 1 to 1,000,000 (default 100). */
export function snapshotIntervalSetting(value: string | undefined): number {
  const v = (value ?? "").trim();
  if (v === "") return 100;
  if (!/^[1-9][0-9]{0,6}$/.test(v) || Number(v) > 1_000_000) throw new ConfigError("SNAPSHOT_INTERVAL must be a number of blocks from 1 to 1000000");
  return Number(v);
}

/** Default time to live of an inference request (INFERENCE_TTL_MS). */
export const DEFAULT_INFERENCE_TTL_MS = 5 * 60_000;

export class ConfigError extends Error {
  override readonly name = "ConfigError";
}

const cache = new Map<string, NodeConfig>();

/** The GENESIS_TIME setting: the network's genesis timestamp in ms since the epoch; empty for the preset's. */
export function genesisTimeSetting(value: string | undefined): number | undefined {
  if (value === undefined || value.trim() === "") return undefined;
  if (!/^[1-9][0-9]{9,13}$/.test(value.trim())) throw new ConfigError("GENESIS_TIME must be a timestamp in milliseconds since 1970 (e.g. 1767225600000), or empty");
  return Number(value.trim());
}

/** The CHECKPOINTS setting: "height:hash,height:hash" (block hashes this node must keep on its chain). */
export function checkpointsSetting(value: string | undefined): Map<number, string> {
  const out = new Map<number, string>();
  for (const item of list(value)) {
    const m = /^(\d{1,15}):([0-9a-f]{64})$/.exec(item);
    if (m === null) throw new ConfigError(`CHECKPOINTS: ${JSON.stringify(item)} is not height:hash (a block hash is 64 lower-case hex characters)`);
    const height = Number(m[1]);
    if (out.has(height)) throw new ConfigError(`CHECKPOINTS: height ${height} appears twice`);
    out.set(height, m[2] as string);
  }
  return out;
}

/** The FAUCET_DOIN setting: whole DOIN a test network's faucet gives; empty for none. Mainnet has none. */
export function faucetSetting(value: string | undefined, networkId: string): bigint | null {
  if (value === undefined || value.trim() === "") return null;
  if (!/^[1-9][0-9]{0,6}$/.test(value.trim())) throw new ConfigError("FAUCET_DOIN must be a whole number of DOIN from 1 to 9999999, or empty");
  if (networkId === "doin-mainnet") throw new ConfigError("FAUCET_DOIN: a mainnet node gives no coin away");
  return BigInt(value.trim()) * COIN_UNIT;
}

/** The DOMAINS setting: empty, or a JSON array of domain objects. */
export function domainsSetting(value: string | undefined): DomainConfig[] {
  if (value === undefined || value.trim() === "") return [];
  let json: unknown;
  try {
    json = JSON.parse(value);
  } catch {
    throw new ConfigError("DOMAINS must be a JSON array of domain objects (see core/domain-config.ts)");
  }
  const parsed = parseDomainList(json);
  if (!parsed.ok) throw new ConfigError(`DOMAINS: ${parsed.error.message}`);
  return parsed.value;
}

function list(value: string | undefined): string[] {
  return (value ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

export function nodeConfig(env: Env): NodeConfig {
  const key = [
    env.NETWORK_ID,
    env.GENESIS_VALIDATORS,
    env.NODE_SECRET,
    env.RUNNER_TOKEN,
    env.BOOTSTRAP_PEERS,
    env.NODE_URL,
    env.OPTIMIZE_DOMAINS,
    env.DOMAINS,
    env.CHECKPOINTS,
    env.FAUCET_DOIN,
    env.GENESIS_TIME,
    env.ALLOW_PRIVATE_PEERS,
    env.INFERENCE_TTL_MS,
    env.GOSSIP_DEGREE,
    env.SYNC_MODE,
    env.SNAPSHOT_INTERVAL,
  ].join("|");
  const hit = cache.get(key);
  if (hit !== undefined) return hit;
  if (!isHex(env.NODE_SECRET, 32)) throw new ConfigError("NODE_SECRET must be 64 lower-case hex characters (an Ed25519 seed)");
  if (typeof env.RUNNER_TOKEN !== "string" || env.RUNNER_TOKEN.length < 8) throw new ConfigError("RUNNER_TOKEN must be at least 8 characters");
  const validators = list(env.GENESIS_VALIDATORS);
  for (const v of validators) if (!isHex(v, 32)) throw new ConfigError(`GENESIS_VALIDATORS: ${JSON.stringify(v)} is not a public key`);
  const nodeSecret = hexToBytes(env.NODE_SECRET);
  const nodeKey = publicKeyFromSecret(nodeSecret);
  const params = paramsFor(env.NETWORK_ID, validators, domainsSetting(env.DOMAINS), genesisTimeSetting(env.GENESIS_TIME));
  const optimizeDomains = list(env.OPTIMIZE_DOMAINS);
  for (const d of optimizeDomains) {
    if (!params.domains.some((x) => x.id === d)) throw new ConfigError(`OPTIMIZE_DOMAINS: ${d} is not a domain of this network (${params.domains.map((x) => x.id).join(", ")}; add it to DOMAINS)`);
  }
  const allowPrivate = (env.ALLOW_PRIVATE_PEERS ?? "").trim().toLowerCase();
  if (!["", "true", "false", "1", "0"].includes(allowPrivate)) throw new ConfigError("ALLOW_PRIVATE_PEERS must be true or false");
  const ttl = (env.INFERENCE_TTL_MS ?? "").trim();
  if (ttl !== "" && !(/^\d+$/.test(ttl) && Number(ttl) >= 1_000 && Number(ttl) <= 24 * 3600_000)) throw new ConfigError("INFERENCE_TTL_MS must be milliseconds from 1000 to 86400000");
  const gossipDegree = parseGossipDegree(env.GOSSIP_DEGREE);
  if (gossipDegree === null) throw new ConfigError("GOSSIP_DEGREE must be an integer from 1 to 64, or empty");
  const config: NodeConfig = Object.freeze({
    params,
    nodeSecret,
    nodeKey,
    nodeAddress: addressFromPublicKey(nodeKey),
    runnerToken: env.RUNNER_TOKEN,
    nodeUrl: env.NODE_URL,
    bootstrapPeers: list(env.BOOTSTRAP_PEERS),
    optimizeDomains,
    checkpoints: checkpointsSetting(env.CHECKPOINTS),
    faucetAmount: faucetSetting(env.FAUCET_DOIN, env.NETWORK_ID),
    allowPrivatePeers: allowPrivate === "true" || allowPrivate === "1",
    inferenceTtlMs: ttl === "" ? DEFAULT_INFERENCE_TTL_MS : Number(ttl),
    gossipDegree,
    syncMode: syncModeSetting(env.SYNC_MODE),
    snapshotInterval: snapshotIntervalSetting(env.SNAPSHOT_INTERVAL),
  });
  cache.set(key, config);
  return config;
}
