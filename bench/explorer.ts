/**
 * Explorer benchmarks, in headless Chromium against one local node (wrangler
 * dev, Miniflare) holding a short chain of transfer blocks:
 * - explorer.overview_first_render_ms: first contentful paint of the
 *   overview, cold cache (a new browser context per load), median of 9;
 * - explorer.overview_ttfb_ms: the node's answer to the overview (time to
 *   its first byte), same loads;
 * - explorer.overview_js_css_gzip_bytes and explorer.chart_page_js_css_gzip_bytes:
 *   the scripts and style sheets a page loads, gzipped (zlib, level 6, as a
 *   server compresses them): the overview, and a domain page with its charts
 *   (uPlot included).
 */
import { gzipSync } from "node:zlib";
import type { Browser, Page } from "playwright-core";
import { startLocalNode } from "../testnet/local-node.ts";
import { launchChromium } from "../test/support/chromium.ts";
import { transferChain } from "./transfer-chain.ts";
import type { BenchResult } from "./run.ts";

const LOADS = 9;
const BLOCKS = 30;

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] as number;
};

/** Loads a page in a fresh context; the gzipped bytes of its scripts and style sheets, and its paint timings. */
async function load(browser: Browser, url: string): Promise<{ gzipBytes: number; fcp: number; ttfb: number }> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  try {
    const page: Page = await context.newPage();
    const bodies: Promise<Buffer>[] = [];
    page.on("response", (r) => {
      const type = r.request().resourceType();
      if (type === "script" || type === "stylesheet") bodies.push(r.body());
    });
    const res = await page.goto(url, { waitUntil: "load" });
    if (res?.status() !== 200) throw new Error(`${url}: HTTP ${res?.status()}`);
    // first contentful paint is reported just after it happens (these run in the page: its `performance`)
    await page.waitForFunction(() => performance.getEntriesByName("first-contentful-paint").length > 0, undefined, { timeout: 10_000 });
    const fcp = await page.evaluate(() => performance.getEntriesByName("first-contentful-paint")[0]?.startTime ?? -1);
    const ttfb = await page.evaluate(() => (performance.getEntriesByType("navigation")[0] as unknown as { responseStart: number } | undefined)?.responseStart ?? -1);
    const gzipBytes = (await Promise.all(bodies)).reduce((a, b) => a + gzipSync(b).length, 0);
    return { gzipBytes, fcp, ttfb };
  } finally {
    await context.close();
  }
}

export async function explorerBenchmarks(): Promise<BenchResult[]> {
  const chain = transferChain("explorer-bench", BLOCKS, 10);
  const node = await startLocalNode({ secret: "43".repeat(32), vars: { GENESIS_VALIDATORS: chain.keys.join(",") } });
  const browser = await launchChromium();
  try {
    for (const w of chain.wires) {
      const r = await fetch(`${node.url}/chain/blocks`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(w) });
      if (r.status !== 202) throw new Error(`block refused: ${r.status} ${await r.text()}`);
      await r.arrayBuffer();
    }
    // the pages read the D1 history: let it catch up
    for (let i = 0; ; i++) {
      const s = (await (await fetch(`${node.url}/chain/status`)).json()) as { outboxPending: number };
      if (s.outboxPending === 0) break;
      if (i > 300) throw new Error("the D1 history did not catch up");
      await new Promise((r) => setTimeout(r, 100));
    }
    await load(browser, `${node.url}/`); // warm-up: the Worker's first request compiles it
    const runs = [];
    for (let i = 0; i < LOADS; i++) runs.push(await load(browser, `${node.url}/`));
    const chart = await load(browser, `${node.url}/explorer/domain/quadratic`);
    return [
      { name: "explorer.overview_first_render_ms", value: median(runs.map((r) => r.fcp)), unit: "ms", note: `first contentful paint, cold cache, median of ${LOADS}; budget 1000` },
      { name: "explorer.overview_ttfb_ms", value: median(runs.map((r) => r.ttfb)), unit: "ms", note: "the node's answer to / (its first byte)" },
      { name: "explorer.overview_js_css_gzip_bytes", value: runs[0]?.gzipBytes ?? 0, unit: "B", note: "scripts + style sheets of the overview, gzipped; budget 16384" },
      { name: "explorer.chart_page_js_css_gzip_bytes", value: chart.gzipBytes, unit: "B", note: "the same for a domain page with its charts (uPlot); budget 40960" },
    ];
  } finally {
    await browser.close();
    await node.stop();
  }
}
