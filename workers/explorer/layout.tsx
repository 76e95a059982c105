/** The page around every view: header with navigation and search, the view, the footer. */
import type { Child } from "hono/jsx";
import { ASSETS } from "./assets.ts";
import { href } from "./format.tsx";

export type Section = "overview" | "blocks" | "rounds" | "domains" | "experiments" | "peers" | "none";

export interface PageProps {
  readonly title: string;
  readonly section: Section;
  /** the page refreshes its live regions this often (ms); none: static */
  readonly liveMs?: number | undefined;
  /** the page draws charts (uPlot is loaded) */
  readonly charts?: boolean | undefined;
  /** what kind of page this is (see View.kind) */
  readonly kind: string;
  readonly node: { readonly network: string; readonly address: string };
  readonly children: Child;
}

const NAV: readonly [Section, string, string][] = [
  ["overview", "Overview", href.overview()],
  ["blocks", "Blocks", href.blocks()],
  ["rounds", "Rounds", href.rounds()],
  ["domains", "Domains", href.domains()],
  ["experiments", "Experiments", href.experiments()],
  ["peers", "Peers", href.peers()],
];

export const Layout = (p: PageProps) => (
  <html lang="en">
    <head>
      <meta charset="utf-8" />
      <meta name="viewport" content="width=device-width, initial-scale=1" />
      <title>{`${p.title} · DOIN explorer`}</title>
      <link rel="icon" href="data:," />
      {p.charts === true ? <link rel="stylesheet" href={ASSETS["uplot.css"].path} /> : null}
      <link rel="stylesheet" href={ASSETS["explorer.css"].path} />
      {p.charts === true ? <script src={ASSETS["uplot.js"].path} defer /> : null}
      <script src={ASSETS["explorer.js"].path} defer />
    </head>
    <body>
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header class="top">
        <a class="brand" href="/">
          DOIN explorer
        </a>
        <nav aria-label="Views">
          {NAV.map(([section, label, to]) => (
            <a href={to} aria-current={section === p.section ? "page" : undefined}>
              {label}
            </a>
          ))}
        </nav>
        <form class="search" role="search" action="/explorer/search" method="get">
          <label class="visually-hidden" for="search-q">
            Search by height, block hash, transaction id or address
          </label>
          <input id="search-q" name="q" type="search" placeholder="height, hash, tx id or address" autocomplete="off" spellcheck={false} />
          <button type="submit">Search</button>
        </form>
      </header>
      <main id="main" data-view={p.kind} data-refresh={p.liveMs === undefined ? undefined : String(p.liveMs)}>
        <p class="node-line">
          {p.node.network} · node <a href={href.account(p.node.address)}>{p.node.address}</a>
          {p.liveMs === undefined ? null : (
            <>
              {" · "}
              <span id="live-state" class="live-state">
                live every {Math.round(p.liveMs / 1000)} s
              </span>
            </>
          )}
        </p>
        {p.children}
      </main>
      <footer>
        Every value on these pages comes from this node's API (<a href="/openapi.json">/openapi.json</a>): coin in DOIN (10⁸ base units), performances
        and work as exact decimals.
      </footer>
    </body>
  </html>
);
