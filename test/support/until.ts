/** Polling for the tests that watch real processes: wait until a condition holds, or fail saying what was awaited. */

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export interface UntilOptions {
  readonly timeoutMs?: number;
  readonly everyMs?: number;
  /** more context for the timeout's message (e.g. the last log lines) */
  readonly context?: () => string;
}

/**
 * Calls `f` until it returns something other than undefined and returns that;
 * a throw counts as "not yet" (and is quoted if time runs out).
 */
export async function until<T>(what: string, f: () => Promise<T | undefined> | T | undefined, opts: UntilOptions | number = {}): Promise<T> {
  const { timeoutMs = 30_000, everyMs = 100, context } = typeof opts === "number" ? { timeoutMs: opts } : opts;
  const end = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await f();
      if (v !== undefined) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > end) {
      const extra = context === undefined ? "" : `\n${context()}`;
      throw new Error(`timed out waiting for ${what}${last === undefined ? "" : `: ${String(last)}`}${extra}`);
    }
    await sleep(everyMs);
  }
}

/** `until` for a yes/no condition: resolves true once `f` holds. */
export function untilTrue(what: string, f: () => Promise<boolean> | boolean, opts: UntilOptions | number = {}): Promise<true> {
  return until(what, async () => ((await f()) ? (true as const) : undefined), opts);
}
