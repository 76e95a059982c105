// `npm run lint`: the folder boundaries (.oxlintrc.json) on the whole tree,
// the same rules shown to refuse a crossing import (test/lint-fixtures: each
// bad-*.ts must be refused, each ok-*.ts must pass), miniflare pinned to
// wrangler's own version, and the formatter check
// (prettier, on the files that .prettierignore does not list). Prints what
// failed and exits 1 if anything did.
import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

const FIXTURES = "test/lint-fixtures";
let failed = 0;

function run(cmd, args) {
  const r = spawnSync(join("node_modules", ".bin", cmd), args, { encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
  if (r.error !== undefined) throw r.error;
  return r;
}

// 1. the tree
const tree = run("oxlint", ["--format", "unix", "--ignore-pattern", `${FIXTURES}/**`, "."]);
process.stdout.write(tree.stdout);
if (tree.status !== 0) {
  console.error("lint: oxlint found errors");
  failed++;
}

// 2. the fixtures: the boundary rules must refuse every bad-*.ts, and only those
const fixtures = readdirSync(FIXTURES, { recursive: true })
  .map(String)
  .filter((f) => f.endsWith(".ts"))
  .map((f) => join(FIXTURES, f));
const report = JSON.parse(run("oxlint", ["--format", "json", FIXTURES]).stdout);
const refused = new Set(
  report.diagnostics.filter((d) => d.code === "eslint(no-restricted-imports)" && d.severity === "error").map((d) => d.filename),
);
for (const f of fixtures) {
  const bad = f.split("/").pop().startsWith("bad-");
  if (bad && !refused.has(f)) {
    console.error(`lint: ${f} crosses a boundary but was not refused`);
    failed++;
  } else if (!bad && refused.has(f)) {
    console.error(`lint: ${f} makes an allowed import but was refused`);
    failed++;
  }
}
if (fixtures.filter((f) => refused.has(f)).length === 0) {
  console.error("lint: no fixture was refused");
  failed++;
}
console.log(`lint: ${refused.size} crossing imports in ${FIXTURES} refused, ${fixtures.length - refused.size} allowed ones passed`);

// 3. miniflare, which the testnet drives, is the very version wrangler runs
const pkg = (name) => JSON.parse(readFileSync(join("node_modules", name, "package.json"), "utf8"));
const wanted = pkg("wrangler").dependencies.miniflare;
const declared = JSON.parse(readFileSync("package.json", "utf8")).devDependencies.miniflare;
if (declared !== wanted || pkg("miniflare").version !== wanted) {
  console.error(`lint: miniflare must be pinned to wrangler's ${wanted} (package.json has ${declared}, node_modules ${pkg("miniflare").version})`);
  failed++;
}

// 4. formatting
const format = run("prettier", ["--check", "--log-level", "warn", "."]);
process.stdout.write(format.stdout);
process.stderr.write(format.stderr);
if (format.status !== 0) {
  console.error("lint: files not formatted (npx prettier --write FILE)");
  failed++;
}

process.exit(failed === 0 ? 0 : 1);
