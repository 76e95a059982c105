/**
 * The only place that reads the Worker's environment: parses it into a
 * frozen NodeConfig. Secrets are turned into key material here and never
 * logged or returned by any endpoint.
 */
import { isHex, hexToBytes } from "../core/hex.ts";
import { addressFromPublicKey, publicKeyFromSecret } from "../core/keys.ts";
import { COIN_UNIT, devnetParams, FIXED_ONE, mainnetParams } from "../core/params.ts";
import { parseDomainList } from "../core/domain-config.ts";
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
  /** peers learned from the network may have private, loopback or link-local addresses (a local testnet); off by default */
  readonly allowPrivatePeers: boolean;
  /** an inference request nobody claimed within this long expires */
  readonly inferenceTtlMs: number;
}

/** Default time to live of an inference request (INFERENCE_TTL_MS). */
export const DEFAULT_INFERENCE_TTL_MS = 5 * 60_000;

export class ConfigError extends Error {
  override readonly name = "ConfigError";
}

const cache = new Map<string, NodeConfig>();

/**
 * Chain parameters for a network id: genesis validators get reputation and
 * coin to start the network; `domains` are declared beside the built-in
 * quadratic one (the DOMAINS setting, see core/domain-config.ts).
 */
export function paramsFor(networkId: string, genesisValidators: readonly PublicKeyHex[], domains: readonly DomainConfig[] = []): ChainParams {
  const genesisAccounts = genesisValidators.map((pub) => ({
    address: addressFromPublicKey(pub),
    balance: 1_000n * COIN_UNIT,
    reputation: 5n * FIXED_ONE,
  }));
  const base = networkId === "doin-mainnet" ? mainnetParams(networkId) : devnetParams({ network: networkId });
  return { ...base, genesisAccounts, domains: [...base.domains, ...domains] };
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
  const key = [env.NETWORK_ID, env.GENESIS_VALIDATORS, env.NODE_SECRET, env.RUNNER_TOKEN, env.BOOTSTRAP_PEERS, env.NODE_URL, env.OPTIMIZE_DOMAINS, env.DOMAINS, env.ALLOW_PRIVATE_PEERS, env.INFERENCE_TTL_MS].join("|");
  const hit = cache.get(key);
  if (hit !== undefined) return hit;
  if (!isHex(env.NODE_SECRET, 32)) throw new ConfigError("NODE_SECRET must be 64 lower-case hex characters (an Ed25519 seed)");
  if (typeof env.RUNNER_TOKEN !== "string" || env.RUNNER_TOKEN.length < 8) throw new ConfigError("RUNNER_TOKEN must be at least 8 characters");
  const validators = list(env.GENESIS_VALIDATORS);
  for (const v of validators) if (!isHex(v, 32)) throw new ConfigError(`GENESIS_VALIDATORS: ${JSON.stringify(v)} is not a public key`);
  const nodeSecret = hexToBytes(env.NODE_SECRET);
  const nodeKey = publicKeyFromSecret(nodeSecret);
  const params = paramsFor(env.NETWORK_ID, validators, domainsSetting(env.DOMAINS));
  const optimizeDomains = list(env.OPTIMIZE_DOMAINS);
  for (const d of optimizeDomains) {
    if (!params.domains.some((x) => x.id === d)) throw new ConfigError(`OPTIMIZE_DOMAINS: ${d} is not a domain of this network (${params.domains.map((x) => x.id).join(", ")}; add it to DOMAINS)`);
  }
  const allowPrivate = (env.ALLOW_PRIVATE_PEERS ?? "").trim().toLowerCase();
  if (!["", "true", "false", "1", "0"].includes(allowPrivate)) throw new ConfigError("ALLOW_PRIVATE_PEERS must be true or false");
  const ttl = (env.INFERENCE_TTL_MS ?? "").trim();
  if (ttl !== "" && !(/^\d+$/.test(ttl) && Number(ttl) >= 1_000 && Number(ttl) <= 24 * 3600_000)) throw new ConfigError("INFERENCE_TTL_MS must be milliseconds from 1000 to 86400000");
  const config: NodeConfig = Object.freeze({
    params,
    nodeSecret,
    nodeKey,
    nodeAddress: addressFromPublicKey(nodeKey),
    runnerToken: env.RUNNER_TOKEN,
    nodeUrl: env.NODE_URL,
    bootstrapPeers: list(env.BOOTSTRAP_PEERS),
    optimizeDomains,
    allowPrivatePeers: allowPrivate === "true" || allowPrivate === "1",
    inferenceTtlMs: ttl === "" ? DEFAULT_INFERENCE_TTL_MS : Number(ttl),
  });
  cache.set(key, config);
  return config;
}
