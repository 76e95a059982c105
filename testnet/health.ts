/** Waiting on the nodes, and the Workers' recent log lines that explain a wait that failed. */
import type { TestnetNode } from "./types.ts";

/** Polls node n's /health until it answers as n (its public key); throws after `timeoutMs` with the last error and the log's tail. */
export async function waitHealthy(n: TestnetNode, logTail: () => readonly string[], timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const r = await fetch(`${n.url}/health`, { signal: AbortSignal.timeout(5_000) });
      const body = (await r.json()) as { node?: string };
      if (r.ok && body.node === n.publicKey) return;
      last = new Error(`/health answered ${r.status} ${JSON.stringify(body)}`);
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`${n.name} did not answer ${n.url}/health: ${String(last)}\n${logTail().join("\n")}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The Workers' log lines: the last 500 to 1000 kept (also when they are not printed). */
export class LogTail {
  private readonly lines: string[] = [];

  constructor(private readonly print: boolean) {}

  readonly add = (line: string): void => {
    this.lines.push(line);
    if (this.lines.length > 1000) this.lines.splice(0, this.lines.length - 500);
    if (this.print) process.stdout.write(`[workerd] ${line}\n`);
  };

  last(count: number): string[] {
    return this.lines.slice(-count);
  }
}
