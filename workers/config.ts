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
  /** checkpoints its operator gave this node (height → block hash): fork choice refuses branches that conflict */
  readonly checkpoints: ReadonlyMap<number, string>;
}

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
  const key = [env.NETWORK_ID, env.GENESIS_VALIDATORS, env.NODE_SECRET, env.RUNNER_TOKEN, env.BOOTSTRAP_PEERS, env.NODE_URL, env.OPTIMIZE_DOMAINS, env.DOMAINS, env.CHECKPOINTS].join("|");
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
  });
  cache.set(key, config);
  return config;
}
