/**
 * The testnet harness's pure pieces, without a workerd: the identity kept in
 * testnet.json, the node list, the domain settings and each node's Worker
 * options (renamed queues, D1 and rate-limit namespaces, vars, port).
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { Build } from "../../testnet/build.ts";
import { LAYOUT, openIdentity, recordGenesis, testnetNodes, testnetNodeSecret, testnetSeed } from "../../testnet/identity.ts";
import { domainVars, nodeWorkerOptions } from "../../testnet/node-config.ts";
import { runnerArgv } from "../../testnet/runners.ts";

const dirs: string[] = [];
const tempDir = (): string => {
  const d = mkdtempSync(join(tmpdir(), "doin-pieces-"));
  dirs.push(d);
  return d;
};
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe("identity", () => {
  it("keeps the seed and token, refuses another node count, records the genesis and refuses another one over stored chains", () => {
    const dir = tempDir();
    const { meta, previous } = openIdentity({ dir, nodes: 2, layout: LAYOUT.shared, runnerToken: "tok", genesisTime: 5_000 });
    expect(previous).toBeUndefined();
    expect(meta).toMatchObject({ token: "tok", genesisTime: 5_000, layout: LAYOUT.shared, nodes: 2 });
    expect(testnetSeed(dir)).toBe(meta.seed);
    recordGenesis(dir, meta, previous, "ab".repeat(32));
    const again = openIdentity({ dir, nodes: 2, layout: LAYOUT.shared, genesisTime: 9_000 });
    expect(again.meta).toEqual(meta);
    expect(again.previous?.genesis).toBe("ab".repeat(32));
    expect(() => openIdentity({ dir, nodes: 3, layout: LAYOUT.shared })).toThrow(/2-node network/);
    rmSync(join(dir, "testnet.json"));
    const fresh = openIdentity({ dir, nodes: 2, layout: LAYOUT.shared });
    recordGenesis(dir, fresh.meta, again.previous, "ab".repeat(32)); // no chains stored: nothing to refuse
    expect(JSON.parse(readFileSync(join(dir, "testnet.json"), "utf8")).genesis).toBe("ab".repeat(32));
  });
  it("derives each node's port, URL and key from the seed", () => {
    const nodes = testnetNodes("seed", 2, 9000, (i) => `/state/${i}`);
    expect(nodes.map((n) => [n.name, n.port, n.url, n.dir, n.secretHex])).toEqual([
      ["node1", 9000, "http://127.0.0.1:9000", "/state/0", testnetNodeSecret("seed", 0)],
      ["node2", 9001, "http://127.0.0.1:9001", "/state/1", testnetNodeSecret("seed", 1)],
    ]);
    expect(nodes[0]?.publicKey).toMatch(/^[0-9a-f]{64}$/);
  });
});

describe("node config", () => {
  it("optimizes quadratic by default and refuses a domain no package declares", () => {
    expect(domainVars([], undefined)).toEqual({ domainsVar: "", optimizeVar: "quadratic" });
    expect(() => domainVars([], ["nope"])).toThrow(/neither quadratic nor in a plugin package/);
  });
  it("gives each node its own queues, D1, rate-limit namespace, peers, vars and port", () => {
    const nodes = testnetNodes("seed", 3, 9000, () => "/state");
    const build: Build & { contents: string[] } = {
      dir: "/build",
      main: "index.js",
      modules: [{ name: "index.js", type: "ESModule" }],
      contents: ["export default {}"],
      workerOptions: {
        cronTriggers: ["* * * * *"],
        queueProducers: { JOBS: { queueName: "doin-jobs" } },
        queueConsumers: { "doin-jobs": { deadLetterQueue: "doin-dlq" } },
        d1Databases: { DB: "x" },
        ratelimits: { RL: { namespace_id: "1", simple: { limit: 5 } } },
      },
      vars: { FOO: "bar" },
      migrations: [],
      inputs: [],
    };
    const net = { networkId: "n", validators: "v", domainsVar: "", optimizeVar: "quadratic", genesisTime: 7, token: "tok", extraVars: (i: number) => ({ EXTRA: String(i) }) };
    const w = nodeWorkerOptions(build, nodes, 1, [0, 1, 2], net) as unknown as Record<string, unknown>;
    expect(w["cronTriggers"]).toBeUndefined();
    expect(w["name"]).toBe("node2");
    expect(w["queueProducers"]).toEqual({ JOBS: { queueName: "doin-jobs--node2" } });
    expect(w["queueConsumers"]).toEqual({ "doin-jobs--node2": { deadLetterQueue: "doin-dlq--node2" } });
    expect(w["d1Databases"]).toEqual({ DB: { id: "node2-DB" } });
    expect(w["ratelimits"]).toEqual({ RL: { namespace_id: "1-node2", simple: { limit: 5 } } });
    expect(w["unsafeDirectSockets"]).toEqual([{ host: "127.0.0.1", port: 9001 }]);
    expect(w["bindings"]).toMatchObject({
      FOO: "bar",
      NETWORK_ID: "n",
      BOOTSTRAP_PEERS: "http://127.0.0.1:9000,http://127.0.0.1:9002",
      NODE_URL: "http://127.0.0.1:9001",
      GENESIS_TIME: "7",
      EXTRA: "1",
      NODE_SECRET: nodes[1]?.secretHex,
      RUNNER_TOKEN: "tok",
    });
  });
  it("runs each runner against its node with the domains and the options' flags", () => {
    const [n] = testnetNodes("seed", 1, 9000, () => "/state");
    const argv = runnerArgv({ optimizer: "cmaes", runnerArgs: (i) => ["--index", String(i)] }, n as NonNullable<typeof n>, "runner1", "tok", "quadratic");
    expect(argv.join(" ")).toBe("--import tsx gpu-runner/main.ts --node http://127.0.0.1:9000 --token tok --name runner1 --progress-ms 15000 --domains quadratic --optimizer cmaes --index 0");
  });
});
