/**
 * The external worker's child process: spawn, hello, requests matched to
 * replies, timeouts, crashes and restarts (the wire itself is
 * worker-protocol.ts).
 * - Every request has a timeout; a timed-out worker is restarted (it may be
 *   stuck), and the requests it held fail with WORKER_TIMEOUT / WORKER_CRASHED.
 * - A crash (exit, signal, spawn failure) fails the pending requests cleanly
 *   and restarts the worker with backoff (0.5 s doubling to 30 s, reset after
 *   a minute of health); requests made meanwhile wait for the new `hello`.
 * - Lines are bounded both ways: a request longer than `maxLineBytes` is
 *   refused before it is sent; a worker that writes a longer line is killed
 *   and restarted.
 */
import { spawn, type ChildProcess } from "node:child_process";
import type { JsonValue } from "../core/types.ts";
import { DEFAULT_MAX_LINE_BYTES, decodeReply, encodeRequest, helloParams, LineFramer, parseHello, shutdownLine, WorkerError, type WorkerErrorCode, type WorkerHello } from "./worker-protocol.ts";

export interface WorkerOptions {
  /** argv, or a command line split on spaces (quotes group words) */
  readonly command: string | readonly string[];
  readonly cwd?: string;
  readonly env?: NodeJS.ProcessEnv;
  /** default 30 s */
  readonly requestTimeoutMs?: number;
  /** the first hello (PyTorch and CUDA take seconds to load); default 120 s */
  readonly helloTimeoutMs?: number;
  /** default 16 MiB, both ways */
  readonly maxLineBytes?: number;
  /** first restart delay; default 500 ms */
  readonly restartDelayMs?: number;
  /** restart a worker whose request timed out; default true */
  readonly restartOnTimeout?: boolean;
  readonly log?: (line: string) => void;
}

interface Pending {
  readonly method: string;
  readonly gen: number;
  readonly resolve: (v: JsonValue) => void;
  readonly reject: (e: WorkerError) => void;
  readonly timer: ReturnType<typeof setTimeout>;
}

/** Splits a command line into words (double or single quotes group; no other shell syntax). */
export function splitCommand(line: string): string[] {
  const words: string[] = [];
  let word = "";
  let quote: string | null = null;
  let started = false;
  for (const ch of line) {
    if (quote !== null) {
      if (ch === quote) quote = null;
      else word += ch;
    } else if (ch === '"' || ch === "'") {
      quote = ch;
      started = true;
    } else if (/\s/.test(ch)) {
      if (started || word !== "") words.push(word);
      word = "";
      started = false;
    } else {
      word += ch;
    }
  }
  if (started || word !== "") words.push(word);
  return words;
}

export class WorkerProcess {
  private readonly argv: readonly string[];
  private readonly opts: WorkerOptions;
  private readonly log: (line: string) => void;
  private readonly maxLine: number;
  private child: ChildProcess | null = null;
  private gen = 0;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private ready: Promise<WorkerHello> | null = null;
  private closing = false;
  private restartDelay: number;
  private lastStart = 0;
  private restartTimer: ReturnType<typeof setTimeout> | null = null;
  /** set from the moment a worker is known dead (killed or exited) until its successor is spawned */
  private restarting: { resolve: (h: WorkerHello) => void; reject: (e: unknown) => void } | null = null;
  /** the latest hello */
  hello: WorkerHello | null = null;
  /** restarts so far */
  restarts = 0;

  constructor(opts: WorkerOptions) {
    this.opts = opts;
    this.argv = typeof opts.command === "string" ? splitCommand(opts.command) : [...opts.command];
    if (this.argv.length === 0) throw new Error("external worker: empty command");
    this.log = opts.log ?? ((line) => console.error(line));
    this.maxLine = opts.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
    this.restartDelay = opts.restartDelayMs ?? 500;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Starts the worker and waits for its hello. */
  start(): Promise<WorkerHello> {
    if (this.ready === null) this.ready = this.spawnAndGreet();
    return this.ready;
  }

  /** One request; rejects with a WorkerError (the worker's error reply, or WORKER_*). */
  async request(method: string, params: JsonValue = {}, options: { timeoutMs?: number } = {}): Promise<JsonValue> {
    if (this.closing) throw new WorkerError("WORKER_CLOSED", "the worker is closed");
    const timeoutMs = options.timeoutMs ?? this.opts.requestTimeoutMs ?? 30_000;
    const deadline = Date.now() + timeoutMs;
    await this.waitReady(timeoutMs);
    return this.send(method, params, Math.max(1, deadline - Date.now()));
  }

  /** Asks the worker to exit, then kills it if it lingers; pending requests fail with WORKER_CLOSED. */
  async close(graceMs = 2_000): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    if (this.restartTimer !== null) clearTimeout(this.restartTimer);
    this.restarting?.reject(new WorkerError("WORKER_CLOSED", "the worker was closed"));
    this.restarting = null;
    const child = this.child;
    this.failPending(null, "WORKER_CLOSED", "the worker was closed");
    if (child === null || child.exitCode !== null || child.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      const t = setTimeout(() => {
        child.kill("SIGKILL");
        resolve();
      }, graceMs);
      child.once("exit", () => {
        clearTimeout(t);
        resolve();
      });
      try {
        child.stdin?.end(shutdownLine());
      } catch {
        child.kill("SIGKILL");
      }
    });
  }

  // -------------------------------------------------------------------------

  private async waitReady(timeoutMs: number): Promise<void> {
    const ready = this.start();
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      await Promise.race([
        ready,
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new WorkerError("WORKER_TIMEOUT", `worker not ready within ${timeoutMs} ms`)), timeoutMs);
        }),
      ]);
    } catch (e) {
      throw e instanceof WorkerError ? e : new WorkerError("WORKER_CRASHED", e instanceof Error ? e.message : String(e));
    } finally {
      clearTimeout(timer);
    }
  }

  private send(method: string, params: JsonValue, timeoutMs: number, gen = this.gen): Promise<JsonValue> {
    const child = this.child;
    if (child === null || gen !== this.gen) return Promise.reject(new WorkerError("WORKER_CRASHED", "the worker is restarting"));
    const id = this.nextId++;
    const line = encodeRequest(id, method, params);
    if (Buffer.byteLength(line) > this.maxLine) {
      return Promise.reject(new WorkerError("REQUEST_TOO_LARGE", `${method} request is ${Buffer.byteLength(line)} bytes, more than ${this.maxLine}`));
    }
    return new Promise<JsonValue>((resolve, reject) => {
      const timer = setTimeout(() => {
        if (!this.pending.delete(id)) return;
        reject(new WorkerError("WORKER_TIMEOUT", `${method} got no answer within ${timeoutMs} ms`));
        if (this.opts.restartOnTimeout !== false && gen === this.gen) {
          this.log(`external worker: ${method} timed out; restarting the worker`);
          this.kill(gen);
        }
      }, timeoutMs);
      this.pending.set(id, { method, gen, resolve, reject, timer });
      child.stdin?.write(line);
    });
  }

  private spawnAndGreet(): Promise<WorkerHello> {
    const gen = ++this.gen;
    this.lastStart = Date.now();
    const [cmd, ...args] = this.argv as [string, ...string[]];
    const child = spawn(cmd, args, { cwd: this.opts.cwd, env: this.opts.env ?? process.env, stdio: ["pipe", "pipe", "pipe"] });
    this.child = child;
    let exited = false;
    const onExit = (why: string): void => {
      if (exited) return;
      exited = true;
      this.onExit(gen, why);
    };
    child.on("error", (e) => onExit(`could not run ${cmd}: ${e.message}`));
    child.on("exit", (code, signal) => onExit(signal !== null ? `killed by ${signal}` : `exited with code ${code}`));
    child.stdin?.on("error", () => undefined); // EPIPE after a crash: the exit handler reports it
    const framer = new LineFramer(this.maxLine);
    child.stdout?.on("data", (chunk: Buffer) => {
      const violation = framer.push(chunk, (line) => this.onLine(gen, line));
      if (violation !== null) this.protocolViolation(gen, violation);
    });
    let errTail = "";
    child.stderr?.on("data", (chunk: Buffer) => {
      errTail = (errTail + chunk.toString("utf8")).slice(-4_000);
      let nl: number;
      while ((nl = errTail.indexOf("\n")) >= 0) {
        const line = errTail.slice(0, nl);
        errTail = errTail.slice(nl + 1);
        if (line.trim() !== "") this.log(`external worker: ${line.slice(0, 500)}`);
      }
    });
    const helloTimeout = this.opts.helloTimeoutMs ?? 120_000;
    return this.send("hello", helloParams(), helloTimeout, gen).then(
      (h) => {
        const hello = parseHello(h);
        this.hello = hello;
        this.log(
          `external worker ${hello.worker ?? this.argv.join(" ")}: protocol ${hello.protocol}, backend ${hello.backend ?? "?"}, device ${hello.device}${hello.gpu ? ` (${hello.gpu})` : ""}, torch ${hello.torch ?? "none"}, domains ${hello.domains.map((d) => d.id).join(",")}`,
        );
        return hello;
      },
      (e: unknown) => {
        throw e instanceof WorkerError ? e : new WorkerError("PROTOCOL", String(e));
      },
    );
  }

  private onLine(gen: number, text: string): void {
    const reply = decodeReply(text);
    if (reply === "blank" || reply === "not-object") return;
    if (reply === "not-json") {
      this.log(`external worker: ignoring a line that is not JSON: ${text.slice(0, 200)}`);
      return;
    }
    const p = reply.id === null ? undefined : this.pending.get(reply.id);
    if (reply.id === null || p === undefined || p.gen !== gen) {
      if ("error" in reply) this.log(`external worker: error reply to no request: ${JSON.stringify(reply.error).slice(0, 300)}`);
      return;
    }
    this.pending.delete(reply.id);
    clearTimeout(p.timer);
    if (reply.outcome.ok) p.resolve(reply.outcome.result);
    else p.reject(reply.outcome.error);
  }

  private protocolViolation(gen: number, why: string): void {
    if (gen !== this.gen) return;
    this.log(`external worker: protocol violation (${why}); restarting it`);
    this.failPending(gen, "PROTOCOL", why);
    this.kill(gen);
  }

  /** Kills a worker generation; requests made from now on wait for its successor. */
  private kill(gen: number): void {
    if (gen !== this.gen) return;
    this.beginRestart();
    this.child?.kill("SIGKILL");
  }

  private beginRestart(): void {
    if (this.restarting !== null || this.closing) return;
    const next = new Promise<WorkerHello>((resolve, reject) => {
      this.restarting = { resolve, reject };
    });
    next.catch(() => undefined); // a failed restart is seen by the requests that wait for it
    this.ready = next;
  }

  private failPending(gen: number | null, code: WorkerErrorCode, why: string): void {
    for (const [id, p] of this.pending) {
      if (gen !== null && p.gen !== gen) continue;
      this.pending.delete(id);
      clearTimeout(p.timer);
      p.reject(new WorkerError(code, `${p.method}: ${why}`));
    }
  }

  private onExit(gen: number, why: string): void {
    this.failPending(gen, "WORKER_CRASHED", `the worker ${why}`);
    if (gen !== this.gen || this.closing) return;
    this.child = null;
    this.beginRestart();
    // healthy for a minute: restart quickly again; crashing at once: back off
    if (Date.now() - this.lastStart > 60_000) this.restartDelay = this.opts.restartDelayMs ?? 500;
    const delay = this.restartDelay;
    this.restartDelay = Math.min(30_000, this.restartDelay * 2);
    this.restarts++;
    this.log(`external worker ${why}; restarting in ${delay} ms (restart ${this.restarts})`);
    this.restartTimer = setTimeout(() => {
      this.restartTimer = null;
      const waiting = this.restarting;
      this.restarting = null;
      if (waiting === null) return;
      if (this.closing) return waiting.reject(new WorkerError("WORKER_CLOSED", "the worker was closed"));
      // A failed start (its exit schedules the next restart) fails the requests that waited for this one.
      this.spawnAndGreet().then(waiting.resolve, waiting.reject);
    }, delay);
  }
}
