/**
 * The explorer's routes: `/` is the overview, every other view lives under
 * `/explorer/…` (API paths stay JSON), each with its own URL, rendered by
 * the node itself (Hono JSX) with a small script that keeps it live. Bad
 * input gets an HTML 400 page, an unknown name a 404 page, never a 5xx.
 */
import type { Context } from "hono";
import type { NodeApp, NodeEnv } from "../http.ts";
import { search } from "../routes/history.ts";
import { assetAt } from "./assets.ts";
import { ApiError, explorerContext, type ExplorerContext, type View } from "./context.ts";
import { href } from "./format.tsx";
import { Layout } from "./layout.tsx";
import { accountView } from "./pages/account.tsx";
import { blockView, blocksView, txView } from "./pages/blocks.tsx";
import { domainsView, domainView } from "./pages/domains.tsx";
import { messageView } from "./pages/message.tsx";
import { experimentsView, experimentView } from "./pages/experiments.tsx";
import { overviewView } from "./pages/overview.tsx";
import { peersView } from "./pages/peers.tsx";
import { roundsView, roundView } from "./pages/rounds.tsx";

/** Pages may load only this node's own scripts and styles; nothing inline runs. */
const CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

function render(x: ExplorerContext, view: View): Response {
  if (view.redirect !== undefined) return new Response(null, { status: 303, headers: { location: view.redirect } });
  const page = (
    <Layout title={view.title} section={view.section} liveMs={view.liveMs} charts={view.charts} kind={view.kind ?? view.section} node={{ network: x.config.params.network, address: x.config.nodeAddress }}>
      {view.body}
    </Layout>
  );
  return new Response(`<!doctype html>${String(page)}`, {
    status: view.status ?? 200,
    headers: {
      "content-type": "text/html; charset=utf-8",
      "cache-control": "no-store",
      "content-security-policy": CSP,
      "x-content-type-options": "nosniff",
      "referrer-policy": "no-referrer",
    },
  });
}

type Handler = (x: ExplorerContext, c: Context<NodeEnv>) => Promise<View> | View;

export function registerExplorerRoutes(app: NodeApp): void {
  const page =
    (handler: Handler) =>
    async (c: Context<NodeEnv>): Promise<Response> => {
      const x = explorerContext(app, c);
      try {
        return render(x, await handler(x, c));
      } catch (e) {
        // an API refusal is the reader's doing (4xx): say what it was; anything else is a bug, logged
        if (e instanceof ApiError && e.status < 500) return render(x, messageView(e.status === 404 ? 404 : 400, "Not available", e.message));
        console.error("explorer page failed", e instanceof Error ? e.stack : e);
        return render(x, messageView(500, "Something went wrong", "This view could not be rendered; the node logged why. Try again in a moment."));
      }
    };

  app.get("/explorer/assets/:file", (c) => {
    const asset = assetAt(new URL(c.req.url).pathname);
    if (asset === undefined) return c.text("no such asset", 404);
    return new Response(asset.body, {
      headers: { "content-type": asset.type, "cache-control": "public, max-age=31536000, immutable", "x-content-type-options": "nosniff" },
    });
  });

  app.get("/", page(overviewView));
  app.get("/explorer", (c) => c.redirect("/", 301));
  app.get("/explorer/blocks", page(blocksView));
  app.get("/explorer/block/:id", page(blockView));
  app.get("/explorer/tx/:id", page(txView));
  app.get("/explorer/rounds", page(roundsView));
  app.get("/explorer/round/:optimae", page(roundView));
  app.get("/explorer/domains", page(domainsView));
  app.get("/explorer/domain/:id", page(domainView));
  app.get("/explorer/experiments", page(experimentsView));
  app.get("/explorer/experiment/:id", page(experimentView));
  app.get("/explorer/account/:address", page(accountView));
  app.get("/explorer/peers", page(peersView));
  app.get(
    "/explorer/search",
    page(async (x, c) => {
      const q = (c.req.query("q") ?? "").trim().toLowerCase();
      if (!/^(?:[0-9]{1,16}|[0-9a-f]{40}|[0-9a-f]{64})$/.test(q)) {
        return messageView(400, "Search", "Search by a block height, a block hash, a transaction id (64 hex characters) or an address (40 hex characters).");
      }
      const found = await search(x.env, q);
      if (found === null) return messageView(404, "Not found", `Nothing on this chain is known as ${q}.`);
      const to = found.kind === "block" ? href.block(found.id) : found.kind === "round" ? href.round(found.id) : found.kind === "account" ? href.account(found.id) : href.tx(found.id);
      return { ...messageView(200, "Found", to), redirect: to };
    }),
  );
  app.get("/explorer/*", page(() => messageView(404, "Not found", "There is no such view.")));
}
