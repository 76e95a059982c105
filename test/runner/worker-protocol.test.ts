/**
 * The external worker's wire (gpu-runner/worker-protocol.ts) without a
 * process: line framing with its bound, reply decoding, the hello check.
 */
import { describe, expect, it } from "vitest";
import { decodeReply, encodeRequest, LineFramer, parseHello, WorkerError } from "../../gpu-runner/worker-protocol.ts";

function feed(framer: LineFramer, ...chunks: string[]): { lines: string[]; violations: string[] } {
  const lines: string[] = [];
  const violations: string[] = [];
  for (const c of chunks) {
    const v = framer.push(Buffer.from(c, "utf8"), (l) => lines.push(l));
    if (v !== null) violations.push(v);
  }
  return { lines, violations };
}

describe("LineFramer", () => {
  it("joins lines split across chunks and cuts several lines in one chunk", () => {
    expect(feed(new LineFramer(100), '{"id":1,', '"result":2}\n{"id":2}\n{"id"', ":3}\n")).toEqual({ lines: ['{"id":1,"result":2}', '{"id":2}', '{"id":3}'], violations: [] });
  });
  it("refuses a complete line over the bound and drops the rest of that chunk", () => {
    expect(feed(new LineFramer(4), "ab\nabcdef\ncd\n")).toEqual({ lines: ["ab"], violations: ["a reply line of 6 bytes, more than 4"] });
  });
  it("refuses a partial line already over the bound", () => {
    expect(feed(new LineFramer(4), "ab\nabcde")).toEqual({ lines: ["ab"], violations: ["a reply line longer than 4 bytes"] });
  });
});

describe("replies", () => {
  it("encodes a request as one line", () => {
    expect(encodeRequest(7, "evaluate", { a: 1 })).toBe('{"id":7,"method":"evaluate","params":{"a":1}}\n');
  });
  it("decodes results, errors and what is no reply", () => {
    expect(decodeReply("  ")).toBe("blank");
    expect(decodeReply("nope")).toBe("not-json");
    expect(decodeReply("5")).toBe("not-object");
    expect(decodeReply('{"id":3,"result":{"value":1}}')).toEqual({ id: 3, outcome: { ok: true, result: { value: 1 } } });
    const err = decodeReply('{"id":"x","error":{"code":"BAD_PARAMS","message":"no"}}');
    expect(err).toMatchObject({ id: null, error: { code: "BAD_PARAMS", message: "no" }, outcome: { ok: false } });
    const e = (err as { outcome: { error: WorkerError } }).outcome.error;
    expect([e.code, e.message, e.transport]).toEqual(["BAD_PARAMS", "BAD_PARAMS: no", false]);
    expect(decodeReply('{"id":4,"error":"plain"}')).toMatchObject({ outcome: { ok: false, error: { code: "WORKER_ERROR", message: "WORKER_ERROR: plain" } } });
    expect(decodeReply('{"id":4}')).toMatchObject({ id: 4, outcome: { ok: false, error: { code: "PROTOCOL" } } });
  });
  it("checks the hello", () => {
    expect(() => parseHello({ protocol: 2 })).toThrow(/protocol 2/);
    expect(parseHello({ protocol: 1, methods: ["evaluate", 3], domains: [{ id: "q" }, { nope: 1 }] })).toMatchObject({ device: "cpu", torch: null, methods: ["evaluate"], domains: [{ id: "q" }] });
  });
});
