/**
 * The only place that reads the Worker's environment: parses it into a
 * frozen NodeConfig. Secrets are turned into key material here and never
 * logged or returned by any endpoint.
 */
import { isHex, hexToBytes } from "../core/hex.ts";
import { addressFromPublicKey, publicKeyFromSecret } from "../core/keys.ts";
import { COIN_UNIT, devnetParams, FIXED_ONE, mainnetParams } from "../core/params.ts";
import type { Address, ChainParams, PublicKeyHex } from "../core/types.ts";

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
}

export class ConfigError extends Error {
  override readonly name = "ConfigError";
}

const cache = new Map<string, NodeConfig>();

/** Chain parameters for a network id; genesis validators get reputation and coin to start the network. */
export function paramsFor(networkId: string, genesisValidators: readonly PublicKeyHex[]): ChainParams {
  const genesisAccounts = genesisValidators.map((pub) => ({
    address: addressFromPublicKey(pub),
    balance: 1_000n * COIN_UNIT,
    reputation: 5n * FIXED_ONE,
  }));
  if (networkId === "doin-mainnet") return { ...mainnetParams(networkId), genesisAccounts };
  return devnetParams({ network: networkId, genesisAccounts });
}

function list(value: string | undefined): string[] {
  return (value ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

export function nodeConfig(env: Env): NodeConfig {
  const key = `${env.NETWORK_ID}|${env.GENESIS_VALIDATORS}|${env.NODE_SECRET}|${env.BOOTSTRAP_PEERS}|${env.NODE_URL}|${env.OPTIMIZE_DOMAINS}`;
  const hit = cache.get(key);
  if (hit !== undefined) return hit;
  if (!isHex(env.NODE_SECRET, 32)) throw new ConfigError("NODE_SECRET must be 64 lower-case hex characters (an Ed25519 seed)");
  if (typeof env.RUNNER_TOKEN !== "string" || env.RUNNER_TOKEN.length < 8) throw new ConfigError("RUNNER_TOKEN must be at least 8 characters");
  const validators = list(env.GENESIS_VALIDATORS);
  for (const v of validators) if (!isHex(v, 32)) throw new ConfigError(`GENESIS_VALIDATORS: ${JSON.stringify(v)} is not a public key`);
  const nodeSecret = hexToBytes(env.NODE_SECRET);
  const nodeKey = publicKeyFromSecret(nodeSecret);
  const config: NodeConfig = Object.freeze({
    params: paramsFor(env.NETWORK_ID, validators),
    nodeSecret,
    nodeKey,
    nodeAddress: addressFromPublicKey(nodeKey),
    runnerToken: env.RUNNER_TOKEN,
    nodeUrl: env.NODE_URL,
    bootstrapPeers: list(env.BOOTSTRAP_PEERS),
    optimizeDomains: list(env.OPTIMIZE_DOMAINS),
  });
  cache.set(key, config);
  return config;
}
