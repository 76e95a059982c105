/** A page that only says something: not found, bad input, still indexing. */
import type { View } from "../context.ts";
import { href } from "../format.tsx";

export function messageView(status: 200 | 400 | 404 | 500, title: string, text: string, opts: { liveMs?: number } = {}): View {
  return {
    title,
    section: "none",
    kind: "message",
    status,
    ...(opts.liveMs === undefined ? {} : { liveMs: opts.liveMs }),
    body: (
      <>
        <h1>{title}</h1>
        <div id="message" data-live="">
          <p>{text}</p>
        </div>
        <p>
          <a href={href.overview()}>Back to the overview</a>
        </p>
      </>
    ),
  };
}

/** A block, transaction or round the chain has but the D1 history has not reached yet: the page retries by itself. */
export function indexingView(what: string): View {
  return messageView(200, what, `${what} is on the chain but not in this node's history yet; this page updates as soon as it is.`, { liveMs: 1_500 });
}
