/**
 * The explorer's browser assets: its own script and style sheet and uPlot
 * (from node_modules), all inside the Worker bundle as text modules
 * (wrangler.toml's [[rules]]), so a node serves them itself: no CDN, and the
 * page works offline. Each URL carries a hash of its content, so browsers
 * may cache it for good.
 */
import uplotJs from "uplot/dist/uPlot.iife.min.js";
import uplotCss from "uplot/dist/uPlot.min.css";
import clientJs from "./assets/explorer.client.js";
import explorerCss from "./assets/explorer.css";

export type AssetName = "explorer.js" | "explorer.css" | "uplot.js" | "uplot.css";

interface Asset {
  readonly path: string;
  readonly body: string;
  readonly type: string;
}

/** FNV-1a (32 bits) of the text: a cache key, not a security property. */
function contentHash(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0).toString(16).padStart(8, "0");
}

function asset(name: AssetName, body: string): Asset {
  const dot = name.lastIndexOf(".");
  const ext = name.slice(dot + 1);
  return {
    path: `/explorer/assets/${name.slice(0, dot)}.${contentHash(body)}.${ext}`,
    body,
    type: ext === "js" ? "text/javascript; charset=utf-8" : "text/css; charset=utf-8",
  };
}

export const ASSETS: Readonly<Record<AssetName, Asset>> = {
  "explorer.js": asset("explorer.js", clientJs),
  "explorer.css": asset("explorer.css", explorerCss),
  "uplot.js": asset("uplot.js", uplotJs),
  "uplot.css": asset("uplot.css", uplotCss),
};

const BY_PATH = new Map(Object.values(ASSETS).map((a) => [a.path, a]));

/** The asset served at this path, or undefined. */
export function assetAt(path: string): Asset | undefined {
  return BY_PATH.get(path);
}
