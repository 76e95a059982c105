/**
 * Starts one DOIN node with `wrangler dev` (Miniflare, the local runtime) on
 * a free loopback port with its own throw-away state, for benchmarks and
 * end-to-end checks. The only file that spawns wrangler for them.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { QUIET_ENV } from "./build.ts";
import { freeBasePort } from "./ports.ts";
import { stopProcess } from "./processes.ts";

export interface LocalNode {
  readonly url: string;
  readonly token: string;
  /** the wrangler process (its workerd children belong to its process group) */
  readonly pid: number;
  /** the V8 inspector of the node's Worker (Chrome DevTools protocol): profilers attach here */
  readonly inspectorPort: number;
  stop(): Promise<void>;
}

export interface LocalNodeOptions {
  readonly secret: string;
  readonly vars?: Record<string, string>;
  readonly timeoutMs?: number;
  /** persisted state folder; a temporary one (removed on stop) when omitted */
  readonly persistDir?: string;
  readonly port?: number;
  readonly token?: string;
  /** print the node's log lines with this prefix */
  readonly logPrefix?: string;
}

export async function startLocalNode(opts: LocalNodeOptions): Promise<LocalNode> {
  const temporary = opts.persistDir === undefined;
  const dir = opts.persistDir ?? mkdtempSync(join(tmpdir(), "doin-node-"));
  const env = { ...process.env, ...QUIET_ENV };
  const migrate = spawnSync("wrangler", ["d1", "migrations", "apply", "DB", "--local", "--persist-to", dir], { env, encoding: "utf8" });
  if (migrate.status !== 0) throw new Error(`d1 migrations failed: ${migrate.stderr}`);
  const port = opts.port ?? (await freeBasePort(1));
  const inspector = await freeBasePort(1);
  const token = opts.token ?? "bench-runner-token";
  // loopback peers: the node may take private addresses from the network
  const vars = { NODE_SECRET: opts.secret, RUNNER_TOKEN: token, NODE_URL: `http://127.0.0.1:${port}`, ALLOW_PRIVATE_PEERS: "true", ...opts.vars };
  const args = ["dev", "--persist-to", dir, "--port", String(port), "--ip", "127.0.0.1", "--inspector-port", String(inspector), "--show-interactive-dev-session=false", "--test-scheduled"];
  for (const [k, v] of Object.entries(vars)) args.push("--var", `${k}:${v}`);
  const child: ChildProcess = spawn("wrangler", args, { env, stdio: ["ignore", "pipe", "pipe"] });
  let log = "";
  child.stdout?.on("data", (c) => {
    log += String(c);
    if (log.length > 100_000) log = log.slice(-50_000);
    if (process.env.DOIN_NODE_LOG !== undefined) process.stderr.write(String(c));
    if (opts.logPrefix !== undefined) {
      for (const line of String(c).split("\n")) if (line.trim() !== "" && !line.includes("[wrangler:info] GET") && !line.includes("[wrangler:info] POST")) process.stdout.write(`${opts.logPrefix} ${line}\n`);
    }
  });
  child.stderr?.on("data", (c) => (log += String(c)));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + (opts.timeoutMs ?? 60_000);
  for (;;) {
    if (child.exitCode !== null) throw new Error(`wrangler dev exited: ${log.slice(-2000)}`);
    try {
      const r = await fetch(`${url}/health`);
      if (r.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`node did not start in time: ${log.slice(-2000)}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    url,
    token,
    pid: child.pid ?? 0,
    inspectorPort: inspector,
    async stop() {
      await stopProcess(child, "SIGINT", 5_000);
      if (temporary) rmSync(dir, { recursive: true, force: true });
    },
  };
}
