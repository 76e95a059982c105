import { defineConfig } from "vitest/config";
import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-plugin";
import { GENESIS_VALIDATORS_SETTING, TEST_NODE_SECRET_HEX } from "./test/support/workers-network.ts";

// One project per runtime and purpose: plain Node for the pure core, the
// runner, the testnets and the attack suite; workerd for what runs on the edge.

export default defineConfig(async () => ({
  test: {
    projects: [
      {
        test: {
          name: "core",
          environment: "node" as const,
          include: ["test/core/**/*.test.ts"],
          testTimeout: 60_000,
        },
      },
      {
        // node policy as pure functions (the mempool's rules, the node's wallet, the duty planner), in Node
        test: {
          name: "policy",
          environment: "node" as const,
          include: ["test/policy/**/*.test.ts"],
        },
      },
      {
        test: {
          name: "testnet",
          environment: "node" as const,
          include: ["test/testnet/**/*.test.ts"],
          testTimeout: 300_000,
          hookTimeout: 180_000,
          fileParallelism: false,
        },
      },
      {
        // The explorer in headless Chromium against a live testnet (test/browser).
        test: {
          name: "browser",
          environment: "node" as const,
          include: ["test/browser/**/*.test.ts"],
          testTimeout: 150_000,
          hookTimeout: 180_000,
          fileParallelism: false,
        },
      },
      {
        test: {
          // attacks on the protocol and the node: in-process against core/, and on live testnets over
          // loopback (test/security/support/ has the shared helpers)
          name: "security",
          environment: "node" as const,
          include: ["test/security/**/*.test.ts"],
          testTimeout: 300_000,
          hookTimeout: 180_000,
          fileParallelism: false,
        },
      },
      {
        // the `doin` command: keystore, deploy and a live testnet (one per file), run as a user runs it
        test: {
          name: "cli",
          environment: "node" as const,
          include: ["test/cli/**/*.test.ts"],
          testTimeout: 240_000,
          hookTimeout: 180_000,
          fileParallelism: false,
        },
      },
      {
        test: {
          // the node's gossip and sync policies, and small runs of the network simulator (sim/)
          name: "sim",
          environment: "node" as const,
          include: ["test/sim/**/*.test.ts"],
          testTimeout: 120_000,
        },
      },
      {
        test: {
          name: "runner",
          environment: "node" as const,
          include: ["test/runner/**/*.test.ts"],
          testTimeout: 90_000,
          hookTimeout: 90_000,
          fileParallelism: false,
        },
      },
      {
        plugins: [
          cloudflareTest({
            wrangler: { configPath: "./wrangler.toml" },
            miniflare: {
              bindings: {
                NODE_SECRET: TEST_NODE_SECRET_HEX,
                // the node and three test keys are the genesis validators: they may produce blocks
                GENESIS_VALIDATORS: GENESIS_VALIDATORS_SETTING,
                RUNNER_TOKEN: "test-runner-token",
                TEST_MIGRATIONS: await readD1Migrations("schema/migrations"),
              },
            },
          }),
        ],
        test: {
          name: "workers",
          include: ["test/workers/**/*.test.ts"],
          setupFiles: ["test/workers/setup.ts"],
          testTimeout: 60_000,
        },
      },
    ],
    coverage: {
      provider: "v8" as const,
      include: ["core/**/*.ts"],
      exclude: ["core/**/*.d.ts"],
      reporter: ["text-summary", "json-summary"],
      reportsDirectory: "coverage",
      thresholds: { lines: 90 },
    },
  },
}));
