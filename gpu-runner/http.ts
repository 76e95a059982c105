/**
 * HTTP with retries, for the runner's adapters: network failures, timeouts,
 * 429 and 5xx are retried with exponential backoff and jitter; any other
 * answer (2xx, 4xx) is returned to the caller, which decides what it means.
 */

export interface RetryPolicy {
  /** tries in all (first included) */
  readonly attempts: number;
  /** first delay; doubled after each failure, with ±25 % jitter */
  readonly baseMs: number;
  readonly maxMs: number;
  /** per-request timeout */
  readonly timeoutMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 6, baseMs: 250, maxMs: 8_000, timeoutMs: 30_000 };

export interface HttpAnswer {
  readonly status: number;
  /** the parsed JSON body, or null when the body was empty or not JSON */
  readonly body: unknown;
}

/** Every try failed on the network, timed out, or answered 429/5xx. */
export class NetworkError extends Error {
  override readonly name = "NetworkError";
  constructor(
    message: string,
    readonly lastStatus?: number,
  ) {
    super(message);
  }
}

export const sleep = (ms: number, signal?: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    if (signal?.aborted === true) return resolve();
    const t = setTimeout(done, ms);
    function done(): void {
      clearTimeout(t);
      signal?.removeEventListener("abort", done);
      resolve();
    }
    signal?.addEventListener("abort", done, { once: true });
  });

export function backoffMs(attempt: number, policy: Pick<RetryPolicy, "baseMs" | "maxMs">): number {
  const base = Math.min(policy.maxMs, policy.baseMs * 2 ** attempt);
  return Math.round(base * (0.75 + Math.random() * 0.5));
}

export interface JsonRequest {
  readonly method: "GET" | "POST";
  readonly url: string;
  readonly headers?: Record<string, string>;
  readonly body?: unknown;
}

/**
 * Sends a JSON request, retrying what is worth retrying. Answers the first
 * 2xx/4xx (other than 429); throws NetworkError when every try failed.
 */
export async function requestJson(req: JsonRequest, policy: RetryPolicy = DEFAULT_RETRY, fetchFn: typeof fetch = fetch, signal?: AbortSignal): Promise<HttpAnswer> {
  let last = "";
  let lastStatus: number | undefined;
  for (let attempt = 0; attempt < policy.attempts; attempt++) {
    if (attempt > 0) await sleep(backoffMs(attempt - 1, policy), signal);
    if (signal?.aborted === true) throw new NetworkError(`${req.method} ${req.url}: aborted`);
    try {
      const timeout = AbortSignal.timeout(policy.timeoutMs);
      const init: RequestInit = {
        method: req.method,
        headers: { accept: "application/json", ...(req.body === undefined ? {} : { "content-type": "application/json" }), ...req.headers },
        signal: signal === undefined ? timeout : AbortSignal.any([timeout, signal]),
      };
      if (req.body !== undefined) init.body = JSON.stringify(req.body);
      const res = await fetchFn(req.url, init);
      const text = await res.text();
      let body: unknown = null;
      if (text !== "") {
        try {
          body = JSON.parse(text) as unknown;
        } catch {
          body = null;
        }
      }
      if (res.status === 429 || res.status >= 500) {
        lastStatus = res.status;
        last = `HTTP ${res.status}${text === "" ? "" : `: ${text.slice(0, 200)}`}`;
        continue;
      }
      return { status: res.status, body };
    } catch (e) {
      // undici's "fetch failed" keeps the reason (ECONNREFUSED, ENOTFOUND…) in its cause
      const cause = (e as { cause?: { code?: unknown } } | null)?.cause?.code;
      last = e instanceof Error ? `${e.name}: ${e.message}${typeof cause === "string" ? ` (${cause})` : ""}` : String(e);
    }
  }
  throw new NetworkError(`${req.method} ${req.url} failed after ${policy.attempts} tries: ${last}`, lastStatus);
}

/** `{code, message}` of a node error answer, when it has that shape. */
export function errorCode(body: unknown): { code: string; message: string } {
  if (typeof body === "object" && body !== null) {
    const b = body as { code?: unknown; message?: unknown };
    return { code: typeof b.code === "string" ? b.code : "UNKNOWN", message: typeof b.message === "string" ? b.message : JSON.stringify(body).slice(0, 300) };
  }
  return { code: "UNKNOWN", message: String(body) };
}
