/**
 * A local testnet of N DOIN nodes, each a `wrangler dev` process (Miniflare)
 * on its own loopback port with its own persisted state and identity, all
 * bootstrapped to each other and sharing one genesis (every node is a genesis
 * validator). Used by `npm run testnet`, `npm start` and the end-to-end tests.
 */
import { createHash, randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { hexToBytes } from "../core/hex.ts";
import { publicKeyFromSecret } from "../core/keys.ts";
import { spawn, type ChildProcess } from "node:child_process";
import { startLocalNode, type LocalNode } from "./local-node.ts";

export interface TestnetOptions {
  readonly nodes: number;
  readonly dir: string;
  readonly clean?: boolean;
  readonly basePort?: number;
  readonly runnerToken?: string;
  readonly networkId?: string;
  readonly extraVars?: Record<string, string>;
  /** print each node's log lines prefixed with its name */
  readonly logs?: boolean;
  /** start one GPU runner process per node (quadratic domain) */
  readonly runners?: boolean;
  readonly optimizer?: "cmaes" | "random_step";
}

export interface TestnetNode {
  readonly index: number;
  readonly name: string;
  readonly url: string;
  readonly port: number;
  readonly publicKey: string;
  readonly secretHex: string;
  readonly dir: string;
}

export interface Testnet {
  readonly nodes: readonly TestnetNode[];
  readonly token: string;
  isRunning(i: number): boolean;
  stopNode(i: number): Promise<void>;
  /** (re)starts a node with its persisted state; `peers` restricts its bootstrap list (partitions) */
  startNode(i: number, opts?: { peers?: readonly number[] }): Promise<void>;
  stop(): Promise<void>;
  /** resident memory of every node's processes (wrangler and workerd) */
  rssMb(): number;
}

/** Every process whose ancestor is `pid`, and pid itself. */
function processTree(pid: number): number[] {
  const parents = new Map<number, number[]>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      const list = parents.get(ppid) ?? [];
      list.push(Number(entry));
      parents.set(ppid, list);
    } catch {
      // the process ended meanwhile
    }
  }
  const out: number[] = [];
  const walk = (p: number): void => {
    out.push(p);
    for (const c of parents.get(p) ?? []) walk(c);
  };
  walk(pid);
  return out;
}

function rssKb(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m === null ? 0 : Number(m[1]);
  } catch {
    return 0;
  }
}

export async function startTestnet(opts: TestnetOptions): Promise<Testnet> {
  if (opts.clean === true) rmSync(opts.dir, { recursive: true, force: true });
  mkdirSync(opts.dir, { recursive: true });
  const metaPath = join(opts.dir, "testnet.json");
  const meta = existsSync(metaPath)
    ? (JSON.parse(readFileSync(metaPath, "utf8")) as { seed: string; token: string })
    : { seed: randomBytes(16).toString("hex"), token: opts.runnerToken ?? randomBytes(16).toString("hex") };
  writeFileSync(metaPath, `${JSON.stringify(meta, null, 2)}\n`);
  const basePort = opts.basePort ?? 8787;
  const nodes: TestnetNode[] = Array.from({ length: opts.nodes }, (_, i) => {
    const secretHex = createHash("sha256").update(`DOIN/testnet/${meta.seed}/${i}`).digest("hex");
    return {
      index: i,
      name: `node${i + 1}`,
      url: `http://127.0.0.1:${basePort + i}`,
      port: basePort + i,
      publicKey: publicKeyFromSecret(hexToBytes(secretHex)),
      secretHex,
      dir: join(opts.dir, `node${i + 1}`),
    };
  });
  const running = new Map<number, LocalNode>();
  const runnerProcs = new Map<number, ChildProcess>();
  const startRunner = (i: number): void => {
    const n = nodes[i] as TestnetNode;
    const child = spawn("tsx", ["gpu-runner/cli.ts", "--node", n.url, "--token", meta.token, "--name", `runner${i + 1}`, "--optimizer", opts.optimizer ?? "cmaes"], {
      stdio: ["ignore", opts.logs === true ? "inherit" : "ignore", "inherit"],
    });
    runnerProcs.set(i, child);
  };
  const validators = nodes.map((n) => n.publicKey).join(",");

  const startNode = async (i: number, o: { peers?: readonly number[] } = {}): Promise<void> => {
    const n = nodes[i] as TestnetNode;
    if (running.has(i)) return;
    const peers = (o.peers ?? nodes.map((x) => x.index)).filter((p) => p !== i).map((p) => (nodes[p] as TestnetNode).url);
    mkdirSync(n.dir, { recursive: true });
    const node = await startLocalNode({
      secret: n.secretHex,
      persistDir: n.dir,
      port: n.port,
      token: meta.token,
      vars: { NETWORK_ID: opts.networkId ?? "doin-devnet", GENESIS_VALIDATORS: validators, BOOTSTRAP_PEERS: peers.join(","), ...opts.extraVars },
      ...(opts.logs === true ? { logPrefix: `[${n.name}]` } : {}),
    });
    running.set(i, node);
  };

  await Promise.all(nodes.map((n) => startNode(n.index)));
  if (opts.runners === true) for (const n of nodes) startRunner(n.index);

  // Crons never fire by themselves locally: tick every node's scheduled handler.
  const ticker = setInterval(() => {
    for (const [i] of running) {
      const n = nodes[i] as TestnetNode;
      fetch(`${n.url}/__scheduled?cron=*+*+*+*+*`).then((r) => r.arrayBuffer(), () => undefined);
    }
  }, 5_000);

  return {
    nodes,
    token: meta.token,
    isRunning: (i) => running.has(i),
    async stopNode(i) {
      const node = running.get(i);
      running.delete(i);
      await node?.stop();
    },
    startNode,
    async stop() {
      clearInterval(ticker);
      await Promise.all(
        [...runnerProcs.values()].map(
          (c) =>
            new Promise<void>((resolve) => {
              if (c.exitCode !== null) return resolve();
              c.once("exit", () => resolve());
              c.kill("SIGTERM");
              setTimeout(() => {
                c.kill("SIGKILL");
                resolve();
              }, 12_000);
            }),
        ),
      );
      runnerProcs.clear();
      await Promise.all([...running.values()].map((n) => n.stop()));
      running.clear();
    },
    rssMb() {
      let kb = 0;
      for (const n of running.values()) for (const p of processTree(n.pid)) kb += rssKb(p);
      return kb / 1024;
    },
  };
}
