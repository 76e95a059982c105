/** Runs the `doin` command as a user does: its bin script in a process of its own, with the output, the exit code and the JSON it printed. */
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

export const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const BIN = fileURLToPath(new URL("../../bin/doin.mjs", import.meta.url));

export interface DoinRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  /** stdout's JSON lines, parsed (with --json) */
  readonly json: unknown[];
}

export function doin(args: readonly string[], env: Record<string, string | undefined> = {}, timeoutMs = 240_000): Promise<DoinRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c) => (stdout += String(c)));
    child.stderr.on("data", (c) => (stderr += String(c)));
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.once("error", reject);
    child.once("exit", (code) => {
      clearTimeout(timer);
      const json: unknown[] = [];
      for (const line of stdout.split("\n")) {
        if (!line.startsWith("{") && !line.startsWith("[")) continue;
        try {
          json.push(JSON.parse(line));
        } catch {
          // a human line
        }
      }
      resolve({ code, stdout, stderr, json });
    });
  });
}

/** The failure line of a run that failed: exactly one `doin: CODE: …` line and no stack trace. */
export function failureLine(run: DoinRun): string {
  const lines = run.stderr.split("\n").filter((l) => l.startsWith("doin: "));
  if (lines.length !== 1) throw new Error(`expected one "doin:" line, got ${lines.length}:\n${run.stderr}`);
  if (/^\s+at /m.test(run.stderr) || /Error:/.test(run.stderr.replace(/^doin: .*$/m, ""))) throw new Error(`a stack trace or raw error reached the user:\n${run.stderr}`);
  return lines[0] as string;
}

/** Starts `doin` and kills it (SIGKILL: a crash) as soon as a line of its stdout matches `when`; resolves with that line. */
export function doinUntil(args: readonly string[], env: Record<string, string | undefined>, when: RegExp, timeoutMs = 120_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
    let buffered = "";
    let stderr = "";
    let found: string | null = null;
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.stderr.on("data", (c) => (stderr += String(c)));
    child.stdout.on("data", (c) => {
      buffered += String(c);
      for (const line of buffered.split("\n").slice(0, -1)) {
        if (found === null && when.test(line)) {
          found = line;
          child.kill("SIGKILL");
        }
      }
      buffered = buffered.slice(buffered.lastIndexOf("\n") + 1);
    });
    child.once("error", reject);
    child.once("exit", (code) => {
      clearTimeout(timer);
      if (found !== null) resolve(found);
      else reject(new Error(`doin exited ${code} before printing ${when}:\n${stderr}`));
    });
  });
}
