/**
 * The external worker protocol, version 1 (PROTOCOL.md): what travels on the
 * child's stdio and nothing about the child itself. Requests are one JSON
 * line `{id, method, params}`; replies one line `{id, result}` |
 * `{id, error: {code, message}}`; lines are bounded both ways
 * (`maxLineBytes`). The first request is `hello`, whose reply says which
 * methods, domains and encodings the worker serves. Vectors may travel
 * packed: base64 of little-endian float64s (the `f64` encoding).
 *
 * The process lifecycle is in worker-process.ts, the DomainPlugin adapter in
 * external-plugin.ts.
 */
import type { JsonValue } from "../core/types.ts";

export const PROTOCOL_VERSION = 1;

/** a line's bound, both ways, unless the runner is told otherwise */
export const DEFAULT_MAX_LINE_BYTES = 16 * 1024 * 1024;

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

/** One request as the line that carries it (with its newline). */
export function encodeRequest(id: number, method: string, params: JsonValue): string {
  return `${JSON.stringify({ id, method, params })}\n`;
}

/** The params of the first request, `hello`. */
export function helloParams(): JsonValue {
  return { protocol: PROTOCOL_VERSION };
}

/** What the runner writes before closing the worker's stdin. */
export function shutdownLine(): string {
  return encodeRequest(0, "shutdown", {});
}

/**
 * Cuts a byte stream into lines of at most `maxLine` bytes. push() hands each
 * complete line to `onLine` and answers why the stream broke the bound (a
 * complete line too long: the rest of the chunk is dropped; a partial line
 * already too long), or null.
 */
export class LineFramer {
  private buffered: Buffer[] = [];
  private size = 0;

  constructor(private readonly maxLine: number) {}

  push(chunk: Buffer, onLine: (line: string) => void): string | null {
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf(10, start);
      if (nl < 0) break;
      const part = chunk.subarray(start, nl);
      const line = this.size === 0 ? part : Buffer.concat([...this.buffered, part]);
      this.buffered = [];
      this.size = 0;
      start = nl + 1;
      if (line.length > this.maxLine) return `a reply line of ${line.length} bytes, more than ${this.maxLine}`;
      onLine(line.toString("utf8"));
    }
    if (start < chunk.length) {
      this.buffered.push(chunk.subarray(start));
      this.size += chunk.length - start;
      if (this.size > this.maxLine) return `a reply line longer than ${this.maxLine} bytes`;
    }
    return null;
  }
}

/** A reply line, decoded: its id (null when it has none a request could have) and what it settles. */
export interface Reply {
  readonly id: number | null;
  /** the reply's `error` member as sent, when it has one */
  readonly error?: unknown;
  readonly outcome: { readonly ok: true; readonly result: JsonValue } | { readonly ok: false; readonly error: WorkerError };
}

/**
 * Decodes one line from the worker: "blank", "not-json", "not-object" (valid
 * JSON that is no reply: ignored), or the reply.
 */
export function decodeReply(text: string): Reply | "blank" | "not-json" | "not-object" {
  if (text.trim() === "") return "blank";
  let msg: unknown;
  try {
    msg = JSON.parse(text);
  } catch {
    return "not-json";
  }
  if (typeof msg !== "object" || msg === null) return "not-object";
  const m = msg as { id?: unknown; result?: unknown; error?: unknown };
  const id = typeof m.id === "number" ? m.id : null;
  if ("error" in m && m.error !== undefined) {
    const err = (typeof m.error === "object" && m.error !== null ? m.error : { message: m.error }) as { code?: unknown; message?: unknown };
    const error = new WorkerError(typeof err.code === "string" ? err.code : "WORKER_ERROR", typeof err.message === "string" ? err.message : JSON.stringify(err));
    return { id, error: m.error, outcome: { ok: false, error } };
  }
  if ("result" in m) return { id, outcome: { ok: true, result: m.result as JsonValue } };
  return { id, outcome: { ok: false, error: new WorkerError("PROTOCOL", "a reply with neither result nor error") } };
}

/** The hello reply, checked: protocol 1; methods and domains kept when well formed. */
export function parseHello(h: JsonValue): WorkerHello {
  if (typeof h !== "object" || h === null || Array.isArray(h)) throw new WorkerError("PROTOCOL", "hello: expected an object");
  const o = h as Record<string, unknown>;
  if (o["protocol"] !== PROTOCOL_VERSION) throw new WorkerError("PROTOCOL", `hello: protocol ${String(o["protocol"])} (this runner speaks 1)`);
  const domains = Array.isArray(o["domains"])
    ? (o["domains"] as unknown[]).filter((d): d is WorkerDomain => typeof d === "object" && d !== null && typeof (d as { id?: unknown }).id === "string")
    : [];
  return {
    ...o,
    protocol: 1,
    device: typeof o["device"] === "string" ? o["device"] : "cpu",
    torch: typeof o["torch"] === "string" ? o["torch"] : null,
    methods: Array.isArray(o["methods"]) ? (o["methods"] as unknown[]).filter((m): m is string => typeof m === "string") : [],
    domains,
  };
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
