/**
 * JSON from strangers, read within bounds: at most so many bytes (streamed,
 * so a body or a peer's answer that never ends costs no more than the cap)
 * and at most so many levels of nesting, counted on the text before
 * anything parses it. Deep nesting is what overflows the stack of a
 * recursive reader (zod, Durable Object RPC's serializer, canonical JSON),
 * so it is refused before any of them sees the value.
 */

/** Nesting allowed in any JSON the node reads: far above what the protocol needs (≈ 15), far below what overflows a stack (≈ 2,000). */
export const MAX_JSON_DEPTH = 64;

export type BoundCode = "TOO_LARGE" | "TOO_DEEP" | "MALFORMED";

export class BoundError extends Error {
  override readonly name = "BoundError";
  constructor(
    readonly code: BoundCode,
    message: string,
  ) {
    super(message);
  }
}

/**
 * The deepest nesting of arrays and objects in a JSON text, stopping as soon
 * as it passes `limit` (then it returns limit + 1). Brackets inside strings
 * do not count. One pass, no recursion, no parse.
 */
export function jsonDepth(text: string, limit: number = MAX_JSON_DEPTH): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    if (inString) {
      if (ch === 0x5c /* \ */) i++;
      else if (ch === 0x22 /* " */) inString = false;
      continue;
    }
    if (ch === 0x22) inString = true;
    else if (ch === 0x5b /* [ */ || ch === 0x7b /* { */) {
      depth++;
      if (depth > deepest) {
        deepest = depth;
        if (deepest > limit) return limit + 1;
      }
    } else if (ch === 0x5d /* ] */ || ch === 0x7d /* } */) depth = Math.max(0, depth - 1);
  }
  return deepest;
}

/** Throws TOO_DEEP when the text nests deeper than `maxDepth`. */
export function checkDepth(text: string, maxDepth: number = MAX_JSON_DEPTH, what = "body"): void {
  if (jsonDepth(text, maxDepth) > maxDepth) throw new BoundError("TOO_DEEP", `${what} nests arrays and objects deeper than ${maxDepth} levels`);
}

/**
 * Reads a byte stream as UTF-8 text, at most `maxBytes` of it: past the cap
 * the stream is cancelled and TOO_LARGE thrown (a declared Content-Length
 * above the cap is refused before reading anything).
 */
export async function readBoundedText(body: ReadableStream<Uint8Array> | null, maxBytes: number, declaredLength: string | null = null, what = "body"): Promise<string> {
  if (declaredLength !== null && /^\d+$/.test(declaredLength) && Number(declaredLength) > maxBytes) {
    await body?.cancel().catch(() => undefined);
    throw new BoundError("TOO_LARGE", `${what} is larger than ${maxBytes} bytes`);
  }
  if (body === null) return "";
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel().catch(() => undefined);
      throw new BoundError("TOO_LARGE", `${what} is larger than ${maxBytes} bytes`);
    }
    chunks.push(value);
  }
  const all = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) {
    all.set(c, at);
    at += c.byteLength;
  }
  return new TextDecoder().decode(all);
}

/** A peer's JSON answer within bounds: size (streamed), nesting, then the parse. */
export async function readBoundedJson(res: Response, maxBytes: number, maxDepth: number = MAX_JSON_DEPTH, what = "answer"): Promise<unknown> {
  const text = await readBoundedText(res.body, maxBytes, res.headers.get("content-length"), what);
  checkDepth(text, maxDepth, what);
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new BoundError("MALFORMED", `${what} is not JSON`);
  }
}

/** Drains an answer we do not need, reading at most `maxBytes` of it. */
export async function discardBounded(res: Response, maxBytes = 64 * 1024): Promise<void> {
  try {
    await readBoundedText(res.body, maxBytes, null);
  } catch {
    // cancelled past the cap: nothing more is read
  }
}
