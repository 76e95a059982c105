/**
 * `doin deploy init --nodes 3` then `doin deploy check`: the configuration
 * of a real 3-node network, every environment bundled by `wrangler deploy
 * --dry-run` (offline), and the check's refusals, each against a copy of
 * the same good folder (the positive control) with one thing broken.
 */
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, unlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { hexToBytes } from "../../core/hex.ts";
import { publicKeyFromSecret } from "../../core/keys.ts";
import { deployCheck } from "../../cli/deploy/check.ts";
import type { DeployConfig, GenesisFile } from "../../cli/deploy/layout.ts";
import { doin, failureLine } from "./run-doin.ts";

const dir = mkdtempSync(join(tmpdir(), "doin-deploy-"));
const good = join(dir, "deploy", "clitest");

afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface InitOut {
  genesis: string;
  nodes: { env: string; url: string; publicKey: string }[];
  commands: string[];
  warnings: string[];
}
interface CheckOut {
  ok: boolean;
  genesis: string | null;
  nodes: { env: string; genesis: string; secrets: Record<string, string>; bundle: { ok: boolean; bytes: number } | null }[];
  problems: string[];
  warnings: string[];
  pending: string[];
}

/** A copy of the good deployment with `edit` applied to its wrangler.json. */
function broken(name: string, edit: (c: DeployConfig & { env: Record<string, { vars: Record<string, string> }> }) => void): string {
  const copy = join(dir, name);
  cpSync(good, copy, { recursive: true });
  const path = join(copy, "wrangler.json");
  const config = JSON.parse(readFileSync(path, "utf8")) as DeployConfig & { env: Record<string, { vars: Record<string, string> }> };
  edit(config);
  writeFileSync(path, JSON.stringify(config, null, 2));
  return copy;
}

describe("doin deploy", () => {
  it("init --nodes 3 writes a network whose every node is a validator; check passes and every environment bundles", async () => {
    const init = await doin(["deploy", "init", "--nodes", "3", "--network", "clitest", "--subdomain", "example", "--out", good, "--json"]);
    expect(init.code, init.stderr).toBe(0);
    const r = init.json[0] as InitOut;
    expect(r.nodes.map((n) => n.url)).toEqual([1, 2, 3].map((i) => `https://clitest-node${i}.example.workers.dev`));
    expect(r.warnings).toEqual([]);
    // the exact wrangler commands: D1, queues, secrets, migrations, deploy, per node
    for (const env of ["node1", "node2", "node3"]) {
      for (const c of [`d1 create clitest-${env}`, `queues create clitest-${env}-jobs`, `queues create clitest-${env}-flood`, `secret bulk`, `--env ${env}`, `deploy --env ${env} --config`]) {
        expect(r.commands.some((x) => x.includes(c)), c).toBe(true);
      }
    }

    // the files: genesis validators are the nodes' keys; secrets are the owner's alone
    const genesis = JSON.parse(readFileSync(join(good, "genesis.json"), "utf8")) as GenesisFile;
    expect(genesis.genesis).toBe(r.genesis);
    for (const [i, v] of genesis.validators.entries()) {
      const secrets = join(good, "secrets", `node${i + 1}.json`);
      expect(statSync(secrets).mode & 0o777).toBe(0o600);
      const { NODE_SECRET, RUNNER_TOKEN } = JSON.parse(readFileSync(secrets, "utf8")) as { NODE_SECRET: string; RUNNER_TOKEN: string };
      expect(publicKeyFromSecret(hexToBytes(NODE_SECRET))).toBe(v.publicKey);
      expect(RUNNER_TOKEN.length).toBeGreaterThanOrEqual(32);
      expect(init.stdout).not.toContain(NODE_SECRET);
    }
    const config = JSON.parse(readFileSync(join(good, "wrangler.json"), "utf8")) as DeployConfig;
    expect(config.env["node2"]?.vars["BOOTSTRAP_PEERS"]).toBe("https://clitest-node1.example.workers.dev,https://clitest-node3.example.workers.dev");
    expect(config.env["node2"]?.vars["GENESIS_VALIDATORS"]).toBe(genesis.validators.map((v) => v.publicKey).join(","));
    // one genesis time for all (reputation decays from it), one rate-limit namespace per node, the explorer's text-module rules
    expect(new Set(Object.values(config.env).map((e) => e.vars["GENESIS_TIME"])).size).toBe(1);
    expect(Number(config.env["node1"]?.vars["GENESIS_TIME"])).toBeGreaterThan(Date.UTC(2026, 0, 1));
    expect(new Set(Object.values(config.env).map((e) => e.ratelimits?.[0]?.namespace_id)).size).toBe(3);
    expect(JSON.stringify(config.rules)).toContain("*.client.js");

    const check = await doin(["deploy", "check", "--dir", good, "--json"]);
    expect(check.code, check.stderr + check.stdout).toBe(0);
    const c = check.json[0] as CheckOut;
    expect(c).toMatchObject({ ok: true, genesis: r.genesis, problems: [] });
    expect(c.nodes.map((n) => n.genesis)).toEqual([r.genesis, r.genesis, r.genesis]);
    for (const n of c.nodes) {
      expect(n.bundle?.ok, n.env).toBe(true);
      expect(n.bundle?.bytes).toBeGreaterThan(100_000);
      expect(n.secrets).toEqual({ NODE_SECRET: "present", RUNNER_TOKEN: "present" });
    }
    // what is left to do before deploying: the D1 databases to create
    expect(c.pending).toHaveLength(3);
    expect(c.pending[0]).toMatch(/create D1 database clitest-node1/);

    // a second init over it is refused: its keys are the network's validators
    const again = await doin(["deploy", "init", "--nodes", "3", "--network", "clitest", "--subdomain", "example", "--out", good]);
    expect(again.code).toBe(9);
    expect(failureLine(again)).toMatch(/^doin: DEPLOYMENT_EXISTS: /);
  }, 180_000);

  it("check refuses nodes that disagree on the genesis, a node without evaluators, a wrong key, a bad setting, a main that does not build", async () => {
    const other = broken("other-genesis", (c) => {
      const v = c.env["node2"]?.vars as Record<string, string>;
      v["GENESIS_VALIDATORS"] = (v["GENESIS_VALIDATORS"] as string).split(",").slice(0, 2).join(",");
    });
    expect((await deployCheck({ dir: other, bundle: false })).problems.join("\n")).toMatch(/the nodes do not agree on the genesis: node1 \w+, node2 \w+/);
    const otherTime = broken("other-genesis-time", (c) => {
      const v = c.env["node3"]?.vars as Record<string, string>;
      v["GENESIS_TIME"] = String(Number(v["GENESIS_TIME"]) + 1);
    });
    expect((await deployCheck({ dir: otherTime, bundle: false })).problems.join("\n")).toMatch(/the nodes do not agree on the genesis: node1 \w+, node2 \w+, node3 \w+ .*GENESIS_TIME/);

    const none = broken("no-validators", (c) => {
      for (const e of Object.values(c.env)) e.vars["GENESIS_VALIDATORS"] = "";
    });
    const noneReport = await deployCheck({ dir: none, bundle: false });
    expect(noneReport.problems.join("\n")).toMatch(/NO_EVALUATORS: no account has the reputation to evaluate/);
    expect(noneReport.problems.join("\n")).toMatch(/genesis\.json records genesis/);

    const badVar = broken("bad-setting", (c) => {
      (c.env["node3"]?.vars as Record<string, string>)["OPTIMIZE_DOMAINS"] = "quadratic,nosuch";
    });
    expect((await deployCheck({ dir: badVar, bundle: false })).problems).toEqual([expect.stringMatching(/^node3: OPTIMIZE_DOMAINS: nosuch is not a domain of this network/)]);

    const wrongKey = broken("wrong-key", () => undefined);
    writeFileSync(join(wrongKey, "secrets", "node1.json"), JSON.stringify({ NODE_SECRET: "ab".repeat(32), RUNNER_TOKEN: "a-token-of-enough-length" }));
    expect((await deployCheck({ dir: wrongKey, bundle: false })).problems.join("\n")).toMatch(/node1: its NODE_SECRET is not the key genesis\.json records for it/);

    // secrets that are not here (put on Cloudflare already, or not yet) are listed, not a failure
    const noSecrets = broken("no-secrets", () => undefined);
    unlinkSync(join(noSecrets, "secrets", "node3.json"));
    const missing = await deployCheck({ dir: noSecrets, bundle: false });
    expect(missing.ok).toBe(true);
    expect(missing.nodes[2]?.secrets).toEqual({ NODE_SECRET: "missing", RUNNER_TOKEN: "missing" });
    expect(missing.pending.join("\n")).toMatch(/node3: secrets NODE_SECRET, RUNNER_TOKEN not in .*: put them with `wrangler secret put NAME --env node3/);

    // the bundle is real: a Worker entry that does not exist fails the dry run (only node1 bundled here: one is enough)
    const noMain = broken("no-main", (c) => {
      (c as { main: string }).main = "missing-worker.ts";
      for (const k of Object.keys(c.env)) if (k !== "node1") delete c.env[k];
    });
    const failed = await deployCheck({ dir: noMain });
    expect(failed.ok).toBe(false);
    expect(failed.nodes[0]?.bundle?.ok).toBe(false);
    expect(failed.problems.join("\n")).toMatch(/node1: wrangler deploy --dry-run failed/);
    expect(existsSync(join(good, "wrangler.json"))).toBe(true);
  }, 120_000);

  it("a 1-node network is warned that its node's own optimae can never be evaluated", async () => {
    const r = await doin(["deploy", "init", "--nodes", "1", "--network", "solo", "--subdomain", "example", "--out", join(dir, "solo"), "--json"]);
    expect(r.code, r.stderr).toBe(0);
    expect((r.json[0] as InitOut).warnings).toEqual([expect.stringMatching(/^SELF_ONLY_EVALUATOR: this node is the only account that may evaluate/)]);
    const c = await deployCheck({ dir: join(dir, "solo"), bundle: false });
    expect(c.ok).toBe(true);
    expect(c.warnings).toEqual([expect.stringMatching(/^node1: SELF_ONLY_EVALUATOR/)]);
  }, 60_000);
});
