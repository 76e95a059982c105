/** Reading JSON from strangers within bounds: nesting counted on the text, sizes streamed. */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { BoundError, jsonDepth, readBoundedJson, readBoundedText } from "../../durable-objects/bounded-json.ts";

/** The nesting of a parsed value, for comparison. */
function depthOf(v: unknown): number {
  if (v === null || typeof v !== "object") return 0;
  const inner = Array.isArray(v) ? v : Object.values(v);
  return 1 + Math.max(0, ...inner.map(depthOf));
}

const streamOf = (chunks: readonly string[]) =>
  new ReadableStream<Uint8Array>({
    start(c) {
      for (const x of chunks) c.enqueue(new TextEncoder().encode(x));
      c.close();
    },
  });

describe("jsonDepth", () => {
  it("equals the parsed value's nesting, brackets inside strings and escapes not counted", () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 12 }), (v) => {
        const text = JSON.stringify(v);
        expect(jsonDepth(text, 100)).toBe(depthOf(v));
      }),
      { numRuns: 300 },
    );
    expect(jsonDepth('{"a":"[[[{{{","b":"\\\\\\"[["}')).toBe(1);
  });

  it("stops counting past the limit, in one pass without recursion (a million levels)", () => {
    expect(jsonDepth("[".repeat(1_000_000), 64)).toBe(65);
    expect(jsonDepth(`${"[".repeat(64)}${"]".repeat(64)}`, 64)).toBe(64);
  });
});

describe("bounded reads", () => {
  it("refuses a declared length over the cap before reading, and a stream once it passes the cap", async () => {
    await expect(readBoundedText(streamOf(["x"]), 10, "11")).rejects.toMatchObject({ code: "TOO_LARGE" });
    await expect(readBoundedText(streamOf(["12345", "67890", "1"]), 10)).rejects.toBeInstanceOf(BoundError);
    expect(await readBoundedText(streamOf(["12345", "67890"]), 10)).toBe("1234567890");
  });

  it("a peer's answer: too deep → TOO_DEEP, not JSON → MALFORMED, else the value", async () => {
    await expect(readBoundedJson(new Response(`${"[".repeat(100)}${"]".repeat(100)}`), 1_000)).rejects.toMatchObject({ code: "TOO_DEEP" });
    await expect(readBoundedJson(new Response("{nope"), 1_000)).rejects.toMatchObject({ code: "MALFORMED" });
    await expect(readBoundedJson(new Response("x".repeat(2_000)), 1_000)).rejects.toMatchObject({ code: "TOO_LARGE" });
    expect(await readBoundedJson(new Response('{"a":[1,2]}'), 1_000)).toEqual({ a: [1, 2] });
  });
});
