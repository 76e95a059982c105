/**
 * The explorer in a real browser (Debian's headless Chromium, driven by
 * playwright-core) against a live 3-node testnet with runner processes:
 * the overview updates while it stays open, a clicked block's coinbase
 * outputs add up to reward + fees, a round page shows the quorum's votes
 * and the verdict the chain holds (and the seeds core gives), the champion
 * plot has one point per accepted optimae (read from the chart's data), an
 * account page's proof verifies against the block it names,
 * every view loads without a console error and passes axe-core with no
 * serious or critical violation, on a wide screen and on a phone.
 * Screenshots of the main views land in .test-results/screenshots.
 */
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { addressFromPublicKey } from "../../core/keys.ts";
import { checkAccountProofAnswer } from "../../core/state-proof.ts";
import { devnetParams } from "../../core/params.ts";
import { evaluatorSeed } from "../../core/quorum.ts";
import { freeBasePort, startTestnet, type Testnet } from "../../testnet/harness.ts";
import { axeSource, launchChromium } from "../support/chromium.ts";
import { until } from "../support/until.ts";

const SCREENSHOTS = ".test-results/screenshots";
const dir = mkdtempSync(join(tmpdir(), "doin-explorer-"));
let net: Testnet;
let browser: Browser;
let url: string;
/** console errors, page errors and failed loads, on every page of every test */
const problems: string[] = [];
const AXE = axeSource();
const NOT_FOUND_VIEW = "/explorer/no-such-view";

beforeAll(async () => {
  mkdirSync(SCREENSHOTS, { recursive: true });
  [net, browser] = await Promise.all([startTestnet({ nodes: 3, dir, basePort: await freeBasePort(3), runners: true }), launchChromium()]);
  url = net.nodes[0]?.url as string;
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await net?.stop();
  rmSync(dir, { recursive: true, force: true });
}, 60_000);

const context = () => net.logTail(15).join("\n");

async function getJson<T>(path: string): Promise<T> {
  const res = await fetch(`${url}${path}`);
  if (!res.ok) throw new Error(`${path}: HTTP ${res.status}`);
  return (await res.json()) as T;
}

async function openPage(viewport = { width: 1280, height: 900 }): Promise<Page> {
  const page = await (await browser.newContext({ viewport })).newPage();
  page.on("console", (m) => {
    // (the one view that answers 404 on purpose logs its own status)
    if (m.type() === "error" && !page.url().endsWith(NOT_FOUND_VIEW)) problems.push(`${page.url()}: console: ${m.text()}`);
  });
  page.on("pageerror", (e) => problems.push(`${page.url()}: ${e.message}`));
  page.on("response", (r) => {
    if (r.status() >= 500) problems.push(`${r.url()}: HTTP ${r.status()}`);
  });
  return page;
}

/** axe-core's serious and critical violations on the page as it stands. */
async function axeViolations(page: Page): Promise<string[]> {
  await page.evaluate(AXE);
  return page.evaluate(async () => {
    const page = globalThis as unknown as PageGlobals;
    const r = await page.axe.run(page.document, { resultTypes: ["violations"] });
    return r.violations
      .filter((v) => v.impact === "serious" || v.impact === "critical")
      .map((v) => `${v.impact} ${v.id}: ${v.help} at ${v.nodes.map((n) => String(n.target)).join(", ")}`);
  });
}

/**
 * What the tests read in the page (evaluated there; the Node-side types of
 * this project have no DOM). window.doinExplorer is what the explorer's
 * script exposes (workers/explorer/assets/explorer.client.js).
 */
interface PageGlobals {
  doinExplorer?: { refreshes: number; charts: Map<string, { data: ArrayLike<number | null>[] }> };
  document: { documentElement: { scrollWidth: number } };
  stayed?: boolean;
  axe: { run(ctx: unknown, opts: unknown): Promise<{ violations: { id: string; impact: string | null; help: string; nodes: { target: unknown[] }[] }[] }> };
}

const sum = (xs: readonly (string | bigint | null)[]): bigint => xs.reduce<bigint>((a, x) => a + BigInt(x ?? "0"), 0n);

interface RoundView {
  optimae: string;
  domain: string;
  commit: string;
  beacon: string;
  quorum: string[];
  votes: { evaluator: string; performance: string; dataHash: string }[];
  status: string;
  verified: string | null;
}

/** What the tests found on the chain, for the tour of every view. */
const seen: { block?: number; tx?: string | undefined; round?: string } = {};

describe("the explorer in Chromium on a live testnet", () => {
  it("the overview's height rises while the page stays open", async () => {
    const page = await openPage();
    await page.goto(`${url}/`);
    const height = async () => Number(await page.textContent("#stat-height"));
    const first = await height();
    await page.evaluate(() => ((globalThis as unknown as PageGlobals).stayed = true));
    const later = await until("the height on the open overview to rise", async () => ((await height()) > first ? height() : undefined), {
      timeoutMs: 60_000,
      everyMs: 500,
      context,
    });
    expect(later).toBeGreaterThan(first);
    // the same document all along: updated in place, not reloaded
    expect(await page.evaluate(() => (globalThis as unknown as PageGlobals).stayed)).toBe(true);
    expect(await page.evaluate(() => (globalThis as unknown as PageGlobals).doinExplorer?.refreshes)).toBeGreaterThan(0);
    await page.screenshot({ path: `${SCREENSHOTS}/overview.png`, fullPage: true });
    await page.context().close();
  });

  it("clicking a block opens it, and its coinbase outputs sum to reward + fees", async () => {
    const height = await until(
      "a work block in the history",
      async () => (await getJson<{ blocks: { height: number; kind: string }[] }>("/history/blocks?limit=50")).blocks.find((b) => b.kind === "work")?.height,
      { timeoutMs: 120_000, everyMs: 1_000, context },
    );
    seen.block = height;
    const page = await openPage();
    await page.goto(`${url}/explorer/blocks?before=${height + 1}`);
    await Promise.all([page.waitForURL(`**/explorer/block/${height}`), page.click(`#blocks-list a[href="/explorer/block/${height}"]`)]);
    expect(await page.textContent("h1")).toContain(`Block ${height}`);
    const outputs = await page.$$eval("#coinbase tbody td[data-amount]", (tds) => tds.map((td) => td.getAttribute("data-amount")));
    const minted = BigInt((await page.getAttribute("#block-minted", "data-amount")) ?? "-1");
    const fees = BigInt((await page.getAttribute("#block-fees", "data-amount")) ?? "-1");
    expect(outputs.length).toBeGreaterThan(1);
    expect(sum(outputs)).toBe(minted + fees);
    expect(BigInt((await page.getAttribute("#coinbase-total", "data-amount")) ?? "0")).toBe(minted + fees);
    // the reward is the issuance schedule's (this early: the initial reward), the fees those of the block's transactions
    expect(minted).toBe(devnetParams().initialReward);
    // the same block from the chain itself, by the hash the page shows (a tip fork may since have replaced its height)
    const hash = (await page.textContent("#block-facts code.hash")) ?? "";
    const wire = await getJson<{ txs: { id: string; fee: string }[]; coinbase: { amount: string }[] }>(`/chain/block-by-hash/${hash}`);
    expect(fees).toBe(sum(wire.txs.map((t) => t.fee)));
    expect(outputs).toEqual(wire.coinbase.map((o) => o.amount));
    seen.tx = wire.txs[0]?.id;
    await page.screenshot({ path: `${SCREENSHOTS}/block.png`, fullPage: true });
    await page.context().close();
  });

  it("a round page shows the quorum's votes with their seeds and the verdict, as /chain/rounds holds them", async () => {
    const decided = (r: RoundView) => ["accepted", "claimed", "rejected"].includes(r.status) && r.votes.length > 0;
    const first = await until("a decided round on the chain", async () => (await getJson<RoundView[]>("/chain/rounds")).find(decided), { timeoutMs: 120_000, everyMs: 1_000, context });
    seen.round = first.optimae;
    const page = await openPage();
    // the page reads the D1 history, a moment behind the head: reload until both say the same
    const round = await until(
      "the round page to match /chain/rounds",
      async () => {
        await page.goto(`${url}/explorer/round/${first.optimae}`);
        const chain = (await getJson<RoundView[]>("/chain/rounds")).find((r) => r.optimae === first.optimae);
        const status = await page.textContent("h1 .badge");
        return chain !== undefined && status === chain.status ? chain : undefined;
      },
      { timeoutMs: 30_000, everyMs: 500, context },
    );
    const rows = await page.$$eval("tr.quorum-member", (trs) =>
      trs.map((tr) => ({
        evaluator: tr.getAttribute("data-evaluator"),
        performance: tr.querySelector("td[data-performance]")?.getAttribute("data-performance") ?? null,
        seed: tr.querySelector("td:nth-child(3) .hash")?.getAttribute("title") ?? null,
        verdict: tr.querySelector("td:last-child")?.textContent ?? null,
      })),
    );
    expect(rows.map((r) => r.evaluator)).toEqual(round.quorum);
    for (const row of rows) {
      const vote = round.votes.find((v) => v.evaluator === row.evaluator);
      expect(row.performance).toBe(vote?.performance ?? "");
      expect(row.seed).toBe(evaluatorSeed(round.commit, row.evaluator as string, round.beacon).seed);
      expect(["agree", "outlier"]).toContain(row.verdict);
    }
    expect(await page.getAttribute("#verdict-verified", "data-fixed")).toBe(round.verified);
    expect(await page.textContent("#verdict-outcome")).toBe(round.status === "rejected" ? "rejected" : "accepted");
    await page.screenshot({ path: `${SCREENSHOTS}/round.png`, fullPage: true });
    await page.context().close();
  });

  it("an account page shows its proof at the finalized block, and the proof it links to verifies against that block's header", async () => {
    const address = addressFromPublicKey(net.nodes[1]?.publicKey as string);
    const page = await openPage();
    await page.goto(`${url}/explorer/account/${address}`);
    // read at once: the panel is live, and a refresh may bring a newer finalized block
    const shown = await page.$eval("#account-proof", (panel) => ({
      height: Number(panel.querySelector("#proof-height")?.textContent),
      block: panel.querySelector("dd code.hash")?.textContent ?? "",
      link: panel.querySelector('a[href^="/chain/account/"]')?.getAttribute("href") ?? "",
      amount: panel.querySelector("#proof-kind")?.getAttribute("data-amount"),
      text: panel.textContent ?? "",
    }));
    expect(shown.height).toBeGreaterThan(0);
    expect(shown.link).toBe(`/chain/account/${address}?proof=1&height=${shown.height}`);
    // what the link serves is checked here as a light client would (core/state-proof.ts), trusting only the block hash the page shows
    const checked = checkAccountProofAnswer(address, await getJson<unknown>(shown.link));
    if (!checked.ok) throw new Error(checked.error.message);
    expect(checked.value.blockHash).toBe(shown.block);
    expect(checked.value.account).not.toBeNull();
    expect(shown.amount).toBe(String(checked.value.account?.balance));
    expect(shown.text).toContain(`doin balance ${address} --prove --block ${shown.block}`);
    // an address never paid: the page says what is proven is its absence
    await page.goto(`${url}/explorer/account/${"7".repeat(40)}`);
    expect(await page.textContent("#proof-kind")).toContain("no such account");
    await page.context().close();
  });

  it("the champion plot has one point per accepted optimae", async () => {
    const page = await openPage();
    await page.goto(`${url}/explorer/domain/quadratic`);
    await page.waitForFunction(() => (globalThis as unknown as PageGlobals).doinExplorer?.charts.has("champion-quadratic"), undefined, { timeout: 30_000 });
    // the page refreshes itself: compare the chart's data with the API until both were read at the same height
    const match = await until(
      "the champion chart to hold every accepted optimae",
      async () => {
        const before = await getJson<{ champions: { height: number; verified: string }[] }>("/history/champions?domain=quadratic");
        const data = await page.evaluate(() => ((globalThis as unknown as PageGlobals).doinExplorer?.charts.get("champion-quadratic")?.data ?? []).map((s) => Array.from(s)));
        const stats = await getJson<{ domains: { domain: string; acceptedOptimae: number }[] }>("/stats?domain=quadratic");
        const accepted = stats.domains[0]?.acceptedOptimae ?? -1;
        return before.champions.length === accepted && data[0]?.length === accepted ? { data, champions: before.champions } : undefined;
      },
      { timeoutMs: 30_000, everyMs: 1_000, context },
    );
    expect(match.champions.length).toBeGreaterThan(0);
    expect(match.data[0]).toEqual(match.champions.map((c) => c.height));
    expect(match.data[1]).toEqual(match.champions.map((c) => Number(c.verified) / 1e6));
    expect(Number(await page.textContent("#domain-accepted"))).toBeGreaterThanOrEqual(match.champions.length);
    await page.screenshot({ path: `${SCREENSHOTS}/domain.png`, fullPage: true });
    await page.context().close();
  });

  it("every view loads without console errors and passes axe-core, on a wide screen and on a phone; search finds a block", async () => {
    const { experiments } = await getJson<{ experiments: { experimentId: string; optimizer: string }[] }>("/stats/experiments?limit=1");
    const experiment = experiments[0];
    const address = addressFromPublicKey(net.nodes[1]?.publicKey as string);
    const views: [string, string | null][] = [
      ["/", null],
      ["/explorer/blocks", "blocks"],
      [`/explorer/block/${seen.block ?? 1}`, null],
      ...(seen.tx === undefined ? [] : ([[`/explorer/tx/${seen.tx}`, "transaction"]] as [string, string][])),
      ["/explorer/rounds", "rounds"],
      [`/explorer/round/${seen.round ?? "0".repeat(64)}`, null],
      ["/explorer/domains", null],
      ["/explorer/domain/quadratic", null],
      ["/explorer/experiments", "experiments"],
      ...(experiment === undefined ? [] : ([[`/explorer/experiment/${experiment.experimentId}?optimizer=${experiment.optimizer}`, "experiment"]] as [string, string][])),
      [`/explorer/account/${address}`, "account"],
      ["/explorer/peers", "peers"],
      [NOT_FOUND_VIEW, null],
    ];
    const PHONE_AXE = new Set(["/", `/explorer/block/${seen.block ?? 1}`, `/explorer/round/${seen.round ?? "0".repeat(64)}`, "/explorer/domain/quadratic"]);
    const wide = await openPage();
    const phone = await openPage({ width: 390, height: 844 });
    for (const [path, shot] of views) {
      for (const page of [wide, phone]) {
        const res = await page.goto(`${url}${path}`);
        expect(res?.status(), path).toBe(path === NOT_FOUND_VIEW ? 404 : 200);
        await page.waitForLoadState("load");
        if (page === phone) {
          // readable on a phone: nothing wider than the screen but the tables' own scroll boxes
          expect(await page.evaluate(() => (globalThis as unknown as PageGlobals).document.documentElement.scrollWidth), `${path} on a phone`).toBeLessThanOrEqual(390);
        }
        // axe's rules hardly depend on the width: every view wide, the main ones on the phone too
        if (page === wide || PHONE_AXE.has(path)) expect(await axeViolations(page), `${path} (${page === phone ? "phone" : "wide"})`).toEqual([]);
        if (shot !== null && page === wide) await page.screenshot({ path: `${SCREENSHOTS}/${shot}.png`, fullPage: true });
      }
    }
    await phone.goto(`${url}/`);
    await phone.screenshot({ path: `${SCREENSHOTS}/overview-phone.png`, fullPage: true });
    // search from the header's form
    await wide.goto(`${url}/explorer/peers`);
    await wide.fill("#search-q", String(seen.block ?? 1));
    await Promise.all([wide.waitForURL(`**/explorer/block/${seen.block ?? 1}`), wide.press("#search-q", "Enter")]);
    await wide.context().close();
    await phone.context().close();
  });

  it("no page logged an error", () => {
    expect(problems).toEqual([]);
  });
});
