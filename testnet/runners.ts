/**
 * The testnet's GPU runners: one `gpu-runner/main.ts` process per node,
 * polling its node's task endpoints.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createInterface } from "node:readline";
import { resolve } from "node:path";
import { ROOT } from "./build.ts";
import { stopProcess } from "./processes.ts";
import type { TestnetNode, TestnetOptions } from "./types.ts";

export type RunnerOptions = Pick<TestnetOptions, "optimizer" | "pluginPackages" | "runnerArgs" | "onRunnerLine" | "logs">;

/** Runner `name`'s arguments to `node` (after node's own): node n's URL and token, the domains, the options' optimizer, plugin packages and flags. */
export function runnerArgv(opts: RunnerOptions, n: TestnetNode, name: string, token: string, domains: string): string[] {
  // node --import tsx: one process per runner (the tsx CLI would put a second one under it, which a SIGKILL would orphan)
  return [
    "--import",
    "tsx",
    "gpu-runner/main.ts",
    "--node",
    n.url,
    "--token",
    token,
    "--name",
    name,
    "--progress-ms",
    "15000",
    "--domains",
    domains,
    ...(opts.optimizer === undefined ? [] : ["--optimizer", opts.optimizer]),
    ...(opts.pluginPackages ?? []).flatMap((dir) => ["--plugin-package", resolve(dir)]),
    ...(typeof opts.runnerArgs === "function" ? opts.runnerArgs(n.index) : (opts.runnerArgs ?? [])),
  ];
}

/** The runner processes, by node index. */
export class Runners {
  private readonly procs = new Map<number, ChildProcess>();

  constructor(
    private readonly nodes: readonly TestnetNode[],
    private readonly opts: RunnerOptions,
    private readonly token: string,
    private readonly domains: string,
  ) {}

  /** Starts node i's runner (`runner<i+1>`); its lines go to onRunnerLine, else to stdout with `logs`, else nowhere. */
  start(i: number): void {
    const n = this.nodes[i] as TestnetNode;
    const name = `runner${i + 1}`;
    const args = runnerArgv(this.opts, n, name, this.token, this.domains);
    const onLine = this.opts.onRunnerLine;
    const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ["ignore", onLine !== undefined ? "pipe" : this.opts.logs === true ? "inherit" : "ignore", "inherit"] });
    if (onLine !== undefined && child.stdout !== null) {
      createInterface({ input: child.stdout }).on("line", (line) => onLine(name, line));
    }
    this.procs.set(i, child);
  }

  /** whether node i's runner was started and has not exited */
  alive(i: number): boolean {
    const child = this.procs.get(i);
    return child !== undefined && child.exitCode === null && child.signalCode === null;
  }

  /** SIGKILL: a crash, its leases lapse */
  async kill(i: number): Promise<void> {
    const child = this.procs.get(i);
    this.procs.delete(i);
    if (child !== undefined) await stopProcess(child, "SIGKILL", 0);
  }

  /** SIGTERM to every runner, SIGKILL after 12 s */
  async stopAll(): Promise<void> {
    await Promise.all([...this.procs.values()].map((c) => stopProcess(c, "SIGTERM", 12_000)));
    this.procs.clear();
  }
}
