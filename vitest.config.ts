import { defineConfig } from "vitest/config";
import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-plugin";

// Two runtimes, two projects: plain Node for the pure core (and later the
// runner and the testnet), workerd for everything that runs on the edge.
// A fixed node identity and runner token for the Workers tests (never used outside tests).
const TEST_NODE_SECRET = "11".repeat(32);

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
                NODE_SECRET: TEST_NODE_SECRET,
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
