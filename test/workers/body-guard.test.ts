/** The body guard every route sits behind: declared limits, the default one, nesting, and the stack-overflow backstop. */
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { createNodeApp, declareBodyLimit, DEFAULT_BODY_LIMIT } from "../../workers/http.ts";

const app = createNodeApp();
declareBodyLimit(app, "/small", 100);
declareBodyLimit(app, "/by-config", (config) => config.params.maxTxBytes);
for (const path of ["/small", "/by-config", "/undeclared"]) app.post(path, async (c) => c.json({ got: (await c.req.text()).length }));
// a handler whose recursion overflows the stack (a reader without a bound deeper in the stack, say)
const depth = (v: unknown): number => (Array.isArray(v) ? 1 + depth(v[0]) + depth(v) : 0);
app.post("/recursive", async (c) => c.json({ depth: depth(await c.req.json()) }));

const post = (path: string, body: string) => app.request(`http://node${path}`, { method: "POST", headers: { "content-type": "application/json" }, body }, env);
const answer = async (r: Response) => ({ status: r.status, ...((await r.json()) as object) });

describe("body guard", () => {
  it("holds each route to its declared limit, a setting-derived one, or the default", async () => {
    expect(await answer(await post("/small", "x".repeat(100)))).toEqual({ status: 200, got: 100 });
    expect(await answer(await post("/small", "x".repeat(101)))).toMatchObject({ status: 413, code: "TOO_LARGE" });
    expect(await answer(await post("/by-config", "x".repeat(8_192)))).toEqual({ status: 200, got: 8_192 });
    expect(await answer(await post("/by-config", "x".repeat(8_193)))).toMatchObject({ status: 413, code: "TOO_LARGE" });
    expect(await answer(await post("/undeclared", "x".repeat(DEFAULT_BODY_LIMIT)))).toEqual({ status: 200, got: DEFAULT_BODY_LIMIT });
    expect(await answer(await post("/undeclared", "x".repeat(DEFAULT_BODY_LIMIT + 1)))).toMatchObject({ status: 413, code: "TOO_LARGE" });
    // a route that does not exist reads no more than the default either
    expect(await answer(await post("/nowhere", "x".repeat(DEFAULT_BODY_LIMIT + 1)))).toMatchObject({ status: 413, code: "TOO_LARGE" });
  });

  it("refuses nesting past 64 levels before the route runs, and hands the body on intact below it", async () => {
    expect(await answer(await post("/undeclared", `${"[".repeat(65)}${"]".repeat(65)}`))).toMatchObject({ status: 400, code: "TOO_DEEP" });
    expect(await answer(await post("/undeclared", `${"[".repeat(64)}${"]".repeat(64)}`))).toEqual({ status: 200, got: 128 });
  });

  it("answers a stack overflow inside a route 400 TOO_DEEP, not 500", async () => {
    const r = await post("/recursive", `${"[".repeat(60)}${"]".repeat(60)}`);
    expect(await answer(r)).toMatchObject({ status: 400, code: "TOO_DEEP" });
  });
});
