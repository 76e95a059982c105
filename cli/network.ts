/**
 * The network's rules as a client needs them, read from the node
 * (GET /chain/params, the parameters the genesis commits to): the network
 * id transactions are signed for, finality depth, windows, and each
 * domain's rules through core's own reader (core/domain-config.ts), its
 * commit bond among them. Nothing here restates a
 * rule: values come from the node, their meaning from core.
 */
import { parseDomainConfig } from "../core/domain-config.ts";
import type { Amount, DomainConfig } from "../core/types.ts";
import { CliError, EXIT } from "./errors.ts";
import type { NodeClient } from "./node-client.ts";

export interface NetworkDomain {
  readonly rules: DomainConfig;
  /** what a commit locks until its round ends (base units) */
  readonly bond: Amount;
}

export interface NetworkRules {
  readonly network: string;
  readonly finalityDepth: number;
  readonly revealWindowBlocks: number;
  readonly voteWindowBlocks: number;
  readonly carrierIntervalMs: number;
  readonly domains: ReadonlyMap<string, NetworkDomain>;
}

const notANode = (url: string, what: string): CliError =>
  new CliError("NOT_A_NODE", `${url}/chain/params: ${what}`, EXIT.NODE_UNREACHABLE, "--node must point at a DOIN node of this version");

function int(o: Record<string, unknown>, key: string, url: string): number {
  const v = o[key];
  if (typeof v !== "number" || !Number.isSafeInteger(v) || v < 0) throw notANode(url, `${key} is not a count`);
  return v;
}

/** Reads the rules from a /chain/params answer. */
export function parseNetworkRules(params: Record<string, unknown>, url: string): NetworkRules {
  if (typeof params["network"] !== "string") throw notANode(url, "no network id");
  const list = params["domains"];
  if (!Array.isArray(list)) throw notANode(url, "no domains");
  const domains = new Map<string, NetworkDomain>();
  for (const d of list as unknown[]) {
    if (typeof d !== "object" || d === null) throw notANode(url, "a domain is not an object");
    const parsed = parseDomainConfig(d);
    if (!parsed.ok) throw notANode(url, parsed.error.message);
    domains.set(parsed.value.id, { rules: parsed.value, bond: parsed.value.bond });
  }
  return {
    network: params["network"],
    finalityDepth: int(params, "finalityDepth", url),
    revealWindowBlocks: int(params, "revealWindowBlocks", url),
    voteWindowBlocks: int(params, "voteWindowBlocks", url),
    carrierIntervalMs: int(params, "carrierIntervalMs", url),
    domains,
  };
}

export async function networkRules(client: NodeClient): Promise<NetworkRules> {
  return parseNetworkRules(await client.params(), client.url);
}

/** A domain of the network, or NOT_FOUND naming the ones there are. */
export function domainOf(rules: NetworkRules, id: string): NetworkDomain {
  const d = rules.domains.get(id);
  if (d === undefined) throw new CliError("UNKNOWN_DOMAIN", `network ${rules.network} has no domain ${JSON.stringify(id)}`, EXIT.NOT_FOUND, `its domains: ${[...rules.domains.keys()].join(", ")}`);
  return d;
}
