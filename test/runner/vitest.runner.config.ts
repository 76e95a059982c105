// Runs the runner tests alone (`vitest run --config test/runner/vitest.runner.config.ts`),
// the same settings as the "runner" project suggested for vitest.config.ts.
import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

export default defineConfig({
  root: fileURLToPath(new URL("../..", import.meta.url)),
  test: {
    name: "runner",
    environment: "node",
    include: ["test/runner/**/*.test.ts"],
    testTimeout: 90_000,
    hookTimeout: 90_000,
    fileParallelism: false,
  },
});
