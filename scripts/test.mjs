// Runs every vitest project (each in its own runtime) and prints one total line.
// Core runs with coverage (printed and written to coverage/coverage-summary.json).
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, existsSync, rmSync } from "node:fs";

const runs = [
  { name: "core", args: ["--project", "core", "--coverage"] },
  // node policy in Node: the mempool's rules, the node's wallet, the duty planner
  { name: "policy", args: ["--project", "policy"] },
  { name: "workers", args: ["--project", "workers"] },
  { name: "sim", args: ["--project", "sim"] },
  { name: "runner", args: ["--project", "runner"] },
  { name: "testnet", args: ["--project", "testnet"] },
  { name: "security", args: ["--project", "security"] },
  { name: "cli", args: ["--project", "cli"] },
  // the explorer in headless Chromium (Debian's chromium, see .ci/run) on a live testnet
  { name: "browser", args: ["--project", "browser"] },
];
const only = process.argv.slice(2);
mkdirSync(".test-results", { recursive: true });

let passed = 0;
let failed = 0;
let exitCode = 0;
for (const run of runs) {
  if (only.length > 0 && !only.includes(run.name)) continue;
  const out = `.test-results/${run.name}.json`;
  // a run that fails to start writes no report: never count an earlier run's
  rmSync(out, { force: true });
  const res = spawnSync(
    "vitest",
    ["run", ...run.args, "--reporter=default", "--reporter=json", `--outputFile.json=${out}`],
    {
      stdio: "inherit",
      env: {
        ...process.env,
        WRANGLER_SEND_METRICS: "false",
        WRANGLER_HIDE_BANNER: "true",
        CLOUDFLARE_CF_FETCH_ENABLED: "false",
      },
    },
  );
  if (res.status !== 0) exitCode = 1;
  if (existsSync(out)) {
    const report = JSON.parse(readFileSync(out, "utf8"));
    passed += report.numPassedTests ?? 0;
    failed += report.numFailedTests ?? 0;
    // A suite that failed to load counts as a failure even with no test inside.
    failed += (report.testResults ?? []).filter((f) => f.status === "failed" && (f.assertionResults ?? []).length === 0).length;
  } else {
    failed += 1;
  }
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(exitCode);
