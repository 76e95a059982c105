/**
 * Domain plugins served by an external process (the GPU path: a PyTorch
 * worker, see python/doin_worker.py), spoken to over JSON lines on stdio.
 * The protocol is in PROTOCOL.md.
 *
 * WorkerProcess owns the child: one request per line `{id, method, params}`,
 * one reply per line `{id, result}` | `{id, error: {code, message}}`.
 * - Every request has a timeout; a timed-out worker is restarted (it may be
 *   stuck), and the requests it held fail with WORKER_TIMEOUT / WORKER_CRASHED.
 * - A crash (exit, signal, spawn failure) fails the pending requests cleanly
 *   and restarts the worker with backoff (0.5 s doubling to 30 s, reset after
 *   a minute of health); requests made meanwhile wait for the new `hello`.
 * - Lines are bounded both ways: a request longer than `maxLineBytes` is
 *   refused before it is sent; a worker that writes a longer line is killed
 *   and restarted.
 *
 * externalDomainPlugin() turns a worker into a DomainPlugin for one of the
 * domains its `hello` lists. With a TypeScript plugin of the same domain as
 * `base`, the base is the CPU fallback: an evaluation or inference the
 * worker cannot answer (crashed, timed out, gone) runs on the base instead,
 * and synthetic data comes from the base (so it is bit for bit the data
 * every TypeScript evaluator computes). It adds the `batch_es` optimizer:
 * whole populations of candidates scored in one `evaluate_batch` call, which
 * is where a GPU pays.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { endianness } from "node:os";
import type { JsonValue } from "../core/types.ts";
import type { DomainMeta, DomainPlugin, OptimizationPlugin, OptimizeInput, OptimizeOutput } from "../plugins/sdk.ts";
import { createRng } from "../plugins/rng.ts";
import { isBetter } from "./executors.ts";

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

export interface WorkerDomain {
  readonly id: string;
  readonly metric?: string;
  readonly higherIsBetter?: boolean;
  readonly description?: string;
  /** vector domains: params are {[paramsKey]: dim integers, value × paramsScale} */
  readonly dim?: number;
  readonly paramsKey?: string;
  readonly paramsScale?: number;
  /** where a search starts without a better point: uniform in [lo, hi] per coordinate */
  readonly init?: readonly [number, number];
}

export interface WorkerHello {
  readonly protocol: number;
  readonly worker?: string;
  readonly backend?: string;
  readonly device: string;
  readonly torch: string | null;
  readonly cuda?: boolean;
  readonly gpu?: string | null;
  readonly methods: readonly string[];
  readonly domains: readonly WorkerDomain[];
  readonly [key: string]: unknown;
}

export type WorkerErrorCode = "WORKER_CRASHED" | "WORKER_TIMEOUT" | "WORKER_CLOSED" | "REQUEST_TOO_LARGE" | "PROTOCOL" | (string & {});

/** A request that failed: the worker's own error reply (its code), or the transport (WORKER_*). */
export class WorkerError extends Error {
  override readonly name = "WorkerError";
  constructor(
    readonly code: WorkerErrorCode,
    message: string,
  ) {
    super(`${code}: ${message}`);
  }
  /** the worker could not answer at all (as opposed to answering with an error) */
  get transport(): boolean {
    return this.code === "WORKER_CRASHED" || this.code === "WORKER_TIMEOUT" || this.code === "WORKER_CLOSED";
  }
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
    this.maxLine = opts.maxLineBytes ?? 16 * 1024 * 1024;
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
        child.stdin?.end(`${JSON.stringify({ id: 0, method: "shutdown", params: {} })}\n`);
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
    const line = `${JSON.stringify({ id, method, params })}\n`;
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
    let buffered: Buffer[] = [];
    let size = 0;
    child.stdout?.on("data", (chunk: Buffer) => {
      let start = 0;
      for (;;) {
        const nl = chunk.indexOf(10, start);
        if (nl < 0) break;
        const part = chunk.subarray(start, nl);
        const line = size === 0 ? part : Buffer.concat([...buffered, part]);
        buffered = [];
        size = 0;
        start = nl + 1;
        if (line.length > this.maxLine) {
          this.protocolViolation(gen, `a reply line of ${line.length} bytes, more than ${this.maxLine}`);
          return;
        }
        this.onLine(gen, line.toString("utf8"));
      }
      if (start < chunk.length) {
        buffered.push(chunk.subarray(start));
        size += chunk.length - start;
        if (size > this.maxLine) this.protocolViolation(gen, `a reply line longer than ${this.maxLine} bytes`);
      }
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
    return this.send("hello", { protocol: 1 }, helloTimeout, gen).then(
      (h) => {
        const hello = parseHello(h);
        this.hello = hello;
        this.log(`external worker ${hello.worker ?? this.argv.join(" ")}: protocol ${hello.protocol}, backend ${hello.backend ?? "?"}, device ${hello.device}${hello.gpu ? ` (${hello.gpu})` : ""}, torch ${hello.torch ?? "none"}, domains ${hello.domains.map((d) => d.id).join(",")}`);
        return hello;
      },
      (e: unknown) => {
        throw e instanceof WorkerError ? e : new WorkerError("PROTOCOL", String(e));
      },
    );
  }

  private onLine(gen: number, text: string): void {
    if (text.trim() === "") return;
    let msg: { id?: unknown; result?: unknown; error?: { code?: unknown; message?: unknown } | unknown };
    try {
      msg = JSON.parse(text) as typeof msg;
    } catch {
      this.log(`external worker: ignoring a line that is not JSON: ${text.slice(0, 200)}`);
      return;
    }
    if (typeof msg !== "object" || msg === null) return;
    const id = typeof msg.id === "number" ? msg.id : null;
    const p = id === null ? undefined : this.pending.get(id);
    if (p === undefined || p.gen !== gen) {
      if ("error" in msg) this.log(`external worker: error reply to no request: ${JSON.stringify(msg.error).slice(0, 300)}`);
      return;
    }
    this.pending.delete(id as number);
    clearTimeout(p.timer);
    if ("error" in msg && msg.error !== undefined) {
      const err = (typeof msg.error === "object" && msg.error !== null ? msg.error : { message: msg.error }) as { code?: unknown; message?: unknown };
      p.reject(new WorkerError(typeof err.code === "string" ? err.code : "WORKER_ERROR", typeof err.message === "string" ? err.message : JSON.stringify(err)));
    } else if ("result" in msg) {
      p.resolve(msg.result as JsonValue);
    } else {
      p.reject(new WorkerError("PROTOCOL", "a reply with neither result nor error"));
    }
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

function parseHello(h: JsonValue): WorkerHello {
  if (typeof h !== "object" || h === null || Array.isArray(h)) throw new WorkerError("PROTOCOL", "hello: expected an object");
  const o = h as Record<string, unknown>;
  if (o["protocol"] !== 1) throw new WorkerError("PROTOCOL", `hello: protocol ${String(o["protocol"])} (this runner speaks 1)`);
  const domains = Array.isArray(o["domains"]) ? (o["domains"] as unknown[]).filter((d): d is WorkerDomain => typeof d === "object" && d !== null && typeof (d as { id?: unknown }).id === "string") : [];
  return {
    ...o,
    protocol: 1,
    device: typeof o["device"] === "string" ? o["device"] : "cpu",
    torch: typeof o["torch"] === "string" ? o["torch"] : null,
    methods: Array.isArray(o["methods"]) ? (o["methods"] as unknown[]).filter((m): m is string => typeof m === "string") : [],
    domains,
  };
}

// ---------------------------------------------------------------------------
// The worker as a DomainPlugin

export interface ExternalPluginOptions {
  /** the TypeScript plugin of the same domain: CPU fallback and synthetic data */
  readonly base?: DomainPlugin;
  /** per-evaluation timeout (ms); default the worker's */
  readonly timeoutMs?: number;
  readonly log?: (line: string) => void;
}

/** Rows of `dim` numbers → base64 of little-endian float64s (the `f64` encoding). */
export function packF64(rows: readonly (readonly number[])[], dim: number): string {
  const flat = new Float64Array(rows.length * dim);
  rows.forEach((row, i) => {
    if (row.length !== dim) throw new RangeError(`row ${i} has ${row.length} values, expected ${dim}`);
    flat.set(row, i * dim);
  });
  return Buffer.from(flat.buffer, flat.byteOffset, flat.byteLength).toString("base64");
}

/** base64 of little-endian float64s → the numbers. */
export function unpackF64(text: string): Float64Array {
  const bytes = Buffer.from(text, "base64");
  if (bytes.length % 8 !== 0) throw new WorkerError("PROTOCOL", `f64 payload of ${bytes.length} bytes`);
  const copy = new Uint8Array(bytes); // aligned
  return new Float64Array(copy.buffer, 0, copy.length / 8);
}

function asNumber(v: JsonValue | number | undefined, what: string): number {
  if (typeof v !== "number" || !Number.isFinite(v)) throw new WorkerError("PROTOCOL", `${what}: expected a finite number`);
  return v;
}

export function externalDomainPlugin(worker: WorkerProcess, domain: WorkerDomain, options: ExternalPluginOptions = {}): DomainPlugin {
  const { base } = options;
  const log = options.log ?? ((line: string) => console.error(line));
  const timeout = options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs };
  const has = (method: string) => worker.hello?.methods.includes(method) ?? true;
  let fallbacks = 0;
  /** The worker, or the base on a transport failure. */
  const viaWorker = async <T>(what: string, call: () => Promise<T>, fallback: (() => Promise<T>) | undefined): Promise<T> => {
    try {
      return await call();
    } catch (e) {
      if (fallback !== undefined && e instanceof WorkerError && e.transport) {
        if (fallbacks++ % 100 === 0) log(`external worker could not ${what} (${e.message}); using the TypeScript plugin (CPU)`);
        return fallback();
      }
      throw e;
    }
  };
  const meta: DomainMeta = base?.meta ?? {
    id: domain.id,
    metric: domain.metric ?? "performance",
    higherIsBetter: domain.higherIsBetter ?? true,
    description: domain.description ?? `served by an external worker`,
  };
  const generate = async (seed: number, config: JsonValue): Promise<JsonValue> => {
    if (base !== undefined) return base.synthetic.generate(seed, config);
    const r = (await worker.request("generate", { domain: domain.id, seed, config }, timeout)) as { data?: JsonValue };
    if (r?.data === undefined) throw new WorkerError("PROTOCOL", "generate: no data in the reply");
    return r.data;
  };
  const packed = endianness() === "LE" && domain.dim !== undefined && (worker.hello?.encodings as unknown[] | undefined)?.includes("f64") === true;
  const evaluateBatch = async (candidates: number[][], data: JsonValue): Promise<number[]> => {
    if (packed) {
      // float64 rows as base64 both ways: no JSON number parsing on either side (what makes large batches pay)
      const r = (await worker.request("evaluate_batch", { domain: domain.id, candidates_f64: packF64(candidates, domain.dim as number), data, encoding: "f64" }, timeout)) as { values_f64?: JsonValue };
      const values = typeof r?.values_f64 === "string" ? unpackF64(r.values_f64) : null;
      if (values === null || values.length !== candidates.length) throw new WorkerError("PROTOCOL", "evaluate_batch: values do not match the candidates");
      return Array.from(values, (v, i) => asNumber(v, `values[${i}]`));
    }
    const r = (await worker.request("evaluate_batch", { domain: domain.id, candidates, data }, timeout)) as { values?: JsonValue };
    const values = r?.values;
    if (!Array.isArray(values) || values.length !== candidates.length) throw new WorkerError("PROTOCOL", "evaluate_batch: values do not match the candidates");
    return values.map((v, i) => asNumber(v, `values[${i}]`));
  };
  const optimizers: Record<string, (config: JsonValue) => OptimizationPlugin> = { ...base?.optimizers };
  // The domain's own optimizers with their heavy work on this worker (the predictor's batched training).
  if (base?.external !== undefined) {
    Object.assign(
      optimizers,
      base.external({
        request: (method, params) => worker.request(method, params, timeout),
        unavailable: (e) => e instanceof WorkerError && e.transport,
        info: domain as unknown as JsonValue,
        device: worker.hello?.device ?? "cpu",
        log,
      }),
    );
  }
  if (has("evaluate_batch") && domain.dim !== undefined && domain.paramsKey !== undefined && domain.paramsScale !== undefined) {
    optimizers["batch_es"] = (config) => batchEs(domain as Required<Pick<WorkerDomain, "dim" | "paramsKey" | "paramsScale">> & WorkerDomain, meta.higherIsBetter, config, generate, evaluateBatch);
  }
  return {
    meta,
    optimizers,
    inference: {
      domain: domain.id,
      evaluate: (params, data) =>
        viaWorker(
          "evaluate",
          async () => asNumber(((await worker.request("evaluate", { domain: domain.id, params, data }, timeout)) as { value?: JsonValue })?.value, "evaluate.value"),
          base === undefined ? undefined : () => base.inference.evaluate(params, data),
        ),
      infer: (params, input) =>
        has("infer") || base === undefined
          ? viaWorker(
              "infer",
              async () => ((await worker.request("infer", { domain: domain.id, params, input }, timeout)) as { output?: JsonValue })?.output ?? null,
              base === undefined ? undefined : () => base.inference.infer(params, input),
            )
          : base.inference.infer(params, input),
    },
    synthetic: { domain: domain.id, generate },
  };
}

/**
 * batch_es: a (μ/μ_w, λ) evolution strategy built for batched evaluation.
 * Each round scores on the round's data (from its seed); each generation is
 * one evaluate_batch call of λ points: the mean itself, then λ − 1 samples
 * mean + σ·N(0, I), rounded to the wire's grid (so a claimed performance is
 * exactly that of the parameters returned). The new mean is the
 * log-weighted mean of the best half; σ follows the 1/5 success rule
 * (samples better than the mean). Mean and σ persist across rounds (the
 * island); a better champion or start moves the mean there.
 * Config: {population (λ, default min(budget, 256)), sigma0 (default 1)}.
 * A round spends ⌊budget / λ⌋ generations (at least one).
 */
function batchEs(
  domain: WorkerDomain & { dim: number; paramsKey: string; paramsScale: number },
  higherIsBetter: boolean,
  config: JsonValue,
  generate: (seed: number, config: JsonValue) => Promise<JsonValue>,
  evaluateBatch: (candidates: number[][], data: JsonValue) => Promise<number[]>,
): OptimizationPlugin {
  const c = (typeof config === "object" && config !== null && !Array.isArray(config) ? config : {}) as Record<string, JsonValue>;
  const population = typeof c["population"] === "number" ? Math.max(3, Math.floor(c["population"])) : null;
  let sigma = typeof c["sigma0"] === "number" && c["sigma0"] > 0 ? c["sigma0"] : 1;
  const [lo, hi] = domain.init ?? [-1, 1];
  const better = (a: number, b: number) => isBetter(a, b, higherIsBetter);
  const grid = (v: number) => Math.round(v * domain.paramsScale) / domain.paramsScale;
  const decode = (params: JsonValue): number[] | null => {
    const x = (params as Record<string, JsonValue> | null)?.[domain.paramsKey];
    if (!Array.isArray(x) || x.length !== domain.dim || !x.every((v) => typeof v === "number")) return null;
    return (x as number[]).map((v) => v / domain.paramsScale);
  };
  const encode = (x: readonly number[]): JsonValue => ({ [domain.paramsKey]: x.map((v) => Math.round(v * domain.paramsScale)) });
  let mean: number[] | null = null;
  let ownBest: number | null = null;
  return {
    domain: domain.id,
    name: "batch_es",
    async optimize(input: OptimizeInput): Promise<OptimizeOutput> {
      const rng = createRng(input.seed); // the seeded generator the quadratic plugin uses (never consensus)
      for (const start of [input.champion, input.local]) {
        if (start === null) continue;
        const x = decode(start.params);
        if (x !== null && (ownBest === null || better(start.performance, ownBest))) {
          mean = x;
          ownBest = start.performance;
        }
      }
      if (mean === null) mean = Array.from({ length: domain.dim }, () => grid(rng.uniform(lo, hi)));
      const data = await generate(input.seed, {});
      const lambda = population ?? Math.max(3, Math.min(256, input.budget));
      const mu = Math.max(1, Math.floor((lambda - 1) / 2));
      const raw = Array.from({ length: mu }, (_, i) => Math.log(mu + 0.5) - Math.log(i + 1));
      const total = raw.reduce((a, b) => a + b, 0);
      const weights = raw.map((w) => w / total);
      const generations = Math.max(1, Math.floor(input.budget / lambda));
      let best: { x: number[]; f: number } | null = null;
      let evaluations = 0;
      for (let g = 0; g < generations; g++) {
        const m: number[] = mean;
        const batch = [m, ...Array.from({ length: lambda - 1 }, () => m.map((v) => grid(v + sigma * rng.normal())))];
        const values = await evaluateBatch(batch, data);
        evaluations += batch.length;
        const fMean = values[0] as number;
        const ranked = batch.slice(1).map((x, i) => ({ x, f: values[i + 1] as number })).sort((a, b) => (better(a.f, b.f) ? -1 : better(b.f, a.f) ? 1 : 0));
        for (const cand of [{ x: m, f: fMean }, ...ranked.slice(0, 1)]) if (best === null || better(cand.f, best.f)) best = cand;
        const successes = ranked.filter((r) => better(r.f, fMean)).length / ranked.length;
        sigma = Math.min(1e3, Math.max(1e-9, sigma * (successes > 0.2 ? 1.25 : 0.8)));
        mean = Array.from({ length: domain.dim }, (_, j) => grid(ranked.slice(0, mu).reduce((acc, r, i) => acc + (weights[i] as number) * (r.x[j] as number), 0)));
      }
      const b = best as { x: number[]; f: number };
      if (ownBest === null || better(b.f, ownBest)) ownBest = b.f;
      return { params: encode(b.x), performance: b.f, evaluations };
    },
  };
}

/** Starts a worker and wraps each of `domains` it serves; on failure, says why (the caller falls back to the TypeScript plugins). */
export async function startExternalPlugins(
  command: string,
  domains: readonly string[],
  bases: ReadonlyMap<string, DomainPlugin>,
  options: Omit<WorkerOptions, "command"> = {},
): Promise<{ worker: WorkerProcess; plugins: DomainPlugin[] }> {
  const worker = new WorkerProcess({ ...options, command });
  const log = options.log ?? ((line: string) => console.error(line));
  try {
    const hello = await worker.start();
    const plugins: DomainPlugin[] = [];
    for (const d of domains) {
      const served = hello.domains.find((x) => x.id === d);
      if (served === undefined) continue;
      const base = bases.get(d);
      plugins.push(externalDomainPlugin(worker, served, { ...(base === undefined ? {} : { base }), log }));
    }
    return { worker, plugins };
  } catch (e) {
    await worker.close();
    throw e;
  }
}
