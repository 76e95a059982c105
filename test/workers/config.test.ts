/** The node's settings: what a misconfigured node says, before it serves anything. */
import { describe, expect, it } from "vitest";
import { genesisBlock } from "../../core/genesis.ts";
import { ConfigError, nodeConfig } from "../../durable-objects/config.ts";

const base = {
  NETWORK_ID: "doin-devnet",
  GENESIS_VALIDATORS: "",
  NODE_SECRET: "22".repeat(32),
  RUNNER_TOKEN: "a-runner-token",
  BOOTSTRAP_PEERS: "",
  NODE_URL: "http://127.0.0.1:8787",
  OPTIMIZE_DOMAINS: "quadratic",
  DOMAINS: "",
};
const config = (vars: Partial<typeof base>) => nodeConfig({ ...base, ...vars } as unknown as Env);
const SPHERE = { id: "sphere", higherIsBetter: true, epsilon: "1000", toleranceAbs: "500000", initialChampion: "-100000000" };

describe("nodeConfig", () => {
  it("declares the DOMAINS beside quadratic, and they change the genesis", () => {
    const plain = config({});
    const two = config({ DOMAINS: JSON.stringify([SPHERE]), OPTIMIZE_DOMAINS: "quadratic,sphere" });
    expect(two.params.domains.map((d) => d.id)).toEqual(["quadratic", "sphere"]);
    expect(two.optimizeDomains).toEqual(["quadratic", "sphere"]);
    expect(genesisBlock(two.params).block.hash).not.toBe(genesisBlock(plain.params).block.hash);
  });

  it("refuses DOMAINS that are not JSON, or not valid domains, naming the problem", () => {
    expect(() => config({ DOMAINS: "sphere" })).toThrow(ConfigError);
    expect(() => config({ DOMAINS: "sphere" })).toThrow(/DOMAINS must be a JSON array/);
    expect(() => config({ DOMAINS: JSON.stringify([{ ...SPHERE, epsilon: 0.001 }]) })).toThrow(/DOMAINS: domain sphere: epsilon/);
  });

  it("refuses to optimize a domain the network does not have", () => {
    expect(() => config({ OPTIMIZE_DOMAINS: "quadratic,sphere" })).toThrow(/OPTIMIZE_DOMAINS: sphere is not a domain of this network/);
  });

  it("a new runner token is a new configuration (not a stale cached one)", () => {
    expect(config({ RUNNER_TOKEN: "first-token" }).runnerToken).toBe("first-token");
    expect(config({ RUNNER_TOKEN: "second-token" }).runnerToken).toBe("second-token");
  });

  it("reads ALLOW_PRIVATE_PEERS (off unless true) and INFERENCE_TTL_MS (5 min by default), refusing anything else", () => {
    expect(config({}).allowPrivatePeers).toBe(false);
    expect(config({ ALLOW_PRIVATE_PEERS: "true" } as never).allowPrivatePeers).toBe(true);
    expect(config({ ALLOW_PRIVATE_PEERS: "false" } as never).allowPrivatePeers).toBe(false);
    expect(() => config({ ALLOW_PRIVATE_PEERS: "yes please" } as never)).toThrow(/ALLOW_PRIVATE_PEERS must be true or false/);
    expect(config({}).inferenceTtlMs).toBe(300_000);
    expect(config({ INFERENCE_TTL_MS: "5000" } as never).inferenceTtlMs).toBe(5_000);
    for (const bad of ["0", "999", "1e4", "-5", "86400001"]) expect(() => config({ INFERENCE_TTL_MS: bad } as never)).toThrow(/INFERENCE_TTL_MS/);
  });

  it("reads GOSSIP_DEGREE (8 by default, 1..64), refusing anything else", () => {
    expect(config({}).gossipDegree).toBe(8);
    expect(config({ GOSSIP_DEGREE: "3" } as never).gossipDegree).toBe(3);
    expect(config({ GOSSIP_DEGREE: "64" } as never).gossipDegree).toBe(64);
    for (const bad of ["0", "65", "-1", "2.5", "08", "eight"]) expect(() => config({ GOSSIP_DEGREE: bad } as never)).toThrow(/GOSSIP_DEGREE must be an integer from 1 to 64/);
  });
});
