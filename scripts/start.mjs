// `npm start`: one DOIN node on Miniflare (wrangler dev), state persisted
// under .state/node1. Creates the node's identity (.dev.vars) on first run,
// applies the D1 migrations, and prints the node's URL.
import { spawn, spawnSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { randomBytes } from "node:crypto";

const port = process.env.PORT ?? "8787";
const persist = ".state/node1";
const env = { ...process.env, WRANGLER_SEND_METRICS: "false", WRANGLER_HIDE_BANNER: "true", CLOUDFLARE_CF_FETCH_ENABLED: "false" };

if (!existsSync(".dev.vars")) {
  // The node's Ed25519 seed and the runner token: secrets, never committed.
  writeFileSync(".dev.vars", `NODE_SECRET="${randomBytes(32).toString("hex")}"\nRUNNER_TOKEN="${randomBytes(16).toString("hex")}"\n`, { mode: 0o600 });
  console.log("created .dev.vars (node key and runner token)");
}
const token = /RUNNER_TOKEN="([^"]+)"/.exec(readFileSync(".dev.vars", "utf8"))?.[1] ?? "";

const migrate = spawnSync("wrangler", ["d1", "migrations", "apply", "DB", "--local", "--persist-to", persist], { env, stdio: ["ignore", "inherit", "inherit"] });
if (migrate.status !== 0) process.exit(migrate.status ?? 1);

const url = `http://127.0.0.1:${port}`;
const child = spawn(
  "wrangler",
  ["dev", "--persist-to", persist, "--port", port, "--ip", "127.0.0.1", "--var", `NODE_URL:${url}`, "--show-interactive-dev-session=false"],
  { env, stdio: ["ignore", "pipe", "inherit"] },
);
child.stdout.on("data", (chunk) => {
  const text = String(chunk);
  process.stdout.write(text);
  if (text.includes("Ready on")) {
    console.log(`\nDOIN node ready: ${url}\n  status:  ${url}/status\n  API:     ${url}/openapi.json\n  runner token (Authorization: Bearer …): ${token}\n`);
  }
});
for (const sig of ["SIGINT", "SIGTERM"]) process.on(sig, () => child.kill("SIGINT"));
child.on("exit", (code) => process.exit(code ?? 0));
