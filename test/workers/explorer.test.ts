/**
 * The explorer's pages in workerd, on a node that has only its genesis:
 * every view answers HTML (never a 5xx), bad names get 400 pages and unknown
 * ones 404 pages, search redirects, and the assets are served from the
 * bundle with their content types, immutable caching and a CSP on pages.
 * (The browser tests drive the same pages on a live testnet.)
 */
import { env, runDurableObjectAlarm } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { buildApp } from "../../workers/app.ts";
import { ASSETS } from "../../workers/explorer/assets.ts";

const app = buildApp();

async function get(path: string): Promise<Response> {
  return app.request(`http://node${path}`, { redirect: "manual" }, env);
}

async function page(path: string, status: number): Promise<string> {
  const res = await get(path);
  const text = await res.text();
  expect(res.status, `${path}: ${text.slice(0, 300)}`).toBe(status);
  expect(res.headers.get("content-type")).toBe("text/html; charset=utf-8");
  expect(res.headers.get("content-security-policy")).toContain("script-src 'self'");
  expect(text.startsWith("<!doctype html><html lang=\"en\">")).toBe(true);
  return text;
}

describe("explorer pages", () => {
  it("the overview at / shows the chain head and loads only the node's own assets", async () => {
    // the genesis reaches D1 through the ChainDO's outbox
    const chain = env.CHAIN.get(env.CHAIN.idFromName("chain"));
    await chain.status();
    await runDurableObjectAlarm(chain);
    const html = await page("/", 200);
    expect(html).toContain("Network overview");
    expect(html).toMatch(/<dd id="stat-height"><a href="\/explorer\/block\/0">0<\/a><\/dd>/);
    expect(html).toContain('data-refresh="2000"');
    const srcs = [...html.matchAll(/(?:src|href)="([^"]+\.(?:js|css))"/g)].map((m) => m[1]);
    expect(srcs.sort()).toEqual([ASSETS["explorer.css"].path, ASSETS["explorer.js"].path].sort());
    expect(html).not.toMatch(/https?:\/\/(?!node)/);
  });

  it("every view answers a page on a chain with only its genesis", async () => {
    const address = "ab".repeat(20);
    for (const path of [
      "/explorer/blocks",
      "/explorer/blocks?before=1",
      "/explorer/block/0",
      "/explorer/rounds",
      "/explorer/rounds?status=voting&domain=quadratic",
      "/explorer/domains",
      "/explorer/domain/quadratic",
      "/explorer/experiments",
      `/explorer/account/${address}`,
      "/explorer/peers",
    ]) {
      await page(path, 200);
    }
    const block = await page("/explorer/block/0", 200);
    expect(block).toContain("Block 0");
    expect(block).toContain('id="coinbase"');
  });

  it("bad names get 400 pages, unknown ones 404 pages", async () => {
    await page("/explorer/block/abc", 400);
    await page("/explorer/block/99999", 404);
    await page(`/explorer/block/${"00".repeat(32)}`, 404);
    await page("/explorer/blocks?before=x", 400);
    await page("/explorer/tx/123", 400);
    await page(`/explorer/tx/${"00".repeat(32)}`, 404);
    await page("/explorer/round/nope", 400);
    await page(`/explorer/round/${"00".repeat(32)}`, 404);
    await page("/explorer/rounds?status=maybe", 400);
    await page("/explorer/domain/nope", 404);
    await page("/explorer/experiment/%20bad", 400);
    await page("/explorer/experiment/none-yet", 404);
    await page("/explorer/account/XYZ", 400);
    await page("/explorer/no-such-view", 404);
    await page("/explorer/search?q=what", 400);
    await page(`/explorer/search?q=${"cd".repeat(32)}`, 404);
  });

  it("search redirects to the view of what it finds", async () => {
    const height = await get("/explorer/search?q=0");
    expect(height.status).toBe(303);
    expect(height.headers.get("location")).toBe("/explorer/block/0");
    const account = await get(`/explorer/search?q=${"AB".repeat(20)}`);
    expect(account.headers.get("location")).toBe(`/explorer/account/${"ab".repeat(20)}`);
  });

  it("serves its assets from the bundle, cached for good, and nothing else under their path", async () => {
    for (const [name, asset] of Object.entries(ASSETS)) {
      const res = await get(asset.path);
      expect(res.status, name).toBe(200);
      expect(res.headers.get("content-type")).toBe(name.endsWith(".js") ? "text/javascript; charset=utf-8" : "text/css; charset=utf-8");
      expect(res.headers.get("cache-control")).toContain("immutable");
      expect((await res.text()).length).toBe(asset.body.length);
      expect(asset.body.length).toBeGreaterThan(500);
    }
    expect(ASSETS["uplot.js"].body).toContain("uPlot");
    expect((await get("/explorer/assets/explorer.00000000.js")).status).toBe(404);
  });

  it("the API keeps answering JSON beside the pages", async () => {
    const res = await get("/nothing-here");
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ code: "NOT_FOUND" });
  });
});
