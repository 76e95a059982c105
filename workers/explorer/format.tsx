/**
 * How the explorer writes values: exact decimals for coin and Fixed values
 * (the API's integers, never floats), short hashes that link to their view,
 * times in UTC with ages the page script keeps counting, and each view's URL.
 */
import type { Child } from "hono/jsx";
import { trimmedDecimal } from "../decimal.ts";

/** Every view's URL: shareable links. */
export const href = {
  overview: () => "/",
  blocks: (before?: number) => (before === undefined ? "/explorer/blocks" : `/explorer/blocks?before=${before}`),
  block: (id: string | number) => `/explorer/block/${id}`,
  tx: (id: string) => `/explorer/tx/${id}`,
  rounds: () => "/explorer/rounds",
  round: (optimae: string) => `/explorer/round/${optimae}`,
  domains: () => "/explorer/domains",
  domain: (id: string) => `/explorer/domain/${encodeURIComponent(id)}`,
  experiments: () => "/explorer/experiments",
  experiment: (id: string, optimizer?: string) =>
    `/explorer/experiment/${encodeURIComponent(id)}${optimizer === undefined ? "" : `?optimizer=${optimizer}`}`,
  account: (address: string) => `/explorer/account/${address}`,
  peers: () => "/explorer/peers",
};

/** Thousands separated: "21000000.5" → "21,000,000.5". */
const grouped = (decimal: string): string => {
  const [whole = "", frac] = decimal.split(".");
  const g = whole.replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  return frac === undefined ? g : `${g}.${frac}`;
};

/** Coin in base units → "1,250.5 DOIN". */
export const coin = (base: string): string => `${grouped(trimmedDecimal(base, 8))} DOIN`;

/** A Fixed value (micro-units) → "-417.123456". */
export const fixed = (micro: string): string => trimmedDecimal(micro, 6);

/** A Fixed value as a number for a chart (drawing only; the text shows exact decimals). */
export const fixedNumber = (micro: string): number => Number(micro) / 1e6;

/** "1 output", "4 outputs". */
export const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? "" : "s"}`;

export const utc = (ms: number): string => `${new Date(ms).toISOString().replace("T", " ").slice(0, 19)} UTC`;

function ageText(ms: number, now: number): string {
  const s = Math.max(0, Math.round((now - ms) / 1000));
  if (s >= 86_400) return `${Math.floor(s / 86_400)} d ago`;
  if (s >= 3_600) return `${Math.floor(s / 3_600)} h ago`;
  if (s >= 60) return `${Math.floor(s / 60)} min ago`;
  return `${s} s ago`;
}

/** "12 s ago", kept counting by the page script. */
export const Age = ({ ms }: { ms: number }) => (
  <time data-age="" datetime={new Date(ms).toISOString()} title={utc(ms)}>
    {ageText(ms, Date.now())}
  </time>
);

export const Time = ({ ms }: { ms: number }) => <time datetime={new Date(ms).toISOString()}>{utc(ms)}</time>;

/** A hash or address, shortened, linking to its view when it has one; the full value in the title. */
export const Hash = ({ value, to, chars = 10 }: { value: string; to?: string | undefined; chars?: number }) => {
  const text = value.length > chars + 2 ? `${value.slice(0, chars)}…` : value;
  return to === undefined ? (
    <span class="hash" title={value}>
      {text}
    </span>
  ) : (
    <a class="hash" href={to} title={value}>
      {text}
    </a>
  );
};

/** A full hash, for the one value a page is about. */
export const Full = ({ value }: { value: string }) => <code class="hash">{value}</code>;

export const Account = ({ address, self }: { address: string; self?: string | undefined }) => (
  <>
    <Hash value={address} to={href.account(address)} />
    {address === self ? <span class="muted"> (this node)</span> : null}
  </>
);

export const Badge = ({ kind, children }: { kind: string; children?: Child }) => <span class={`badge ${kind}`}>{children ?? kind}</span>;

/** A table in a box that scrolls sideways on a narrow screen (focusable, so keyboards can scroll it). */
export const Scroll = ({ label, children }: { label: string; children: Child }) => (
  <div class="scroll" role="region" aria-label={label} tabindex={0}>
    {children}
  </div>
);

/** A right-aligned (numeric) column of a Head. */
export const num = (label: string): { readonly num: string } => ({ num: label });

/** A table's column headings. */
export const Head = ({ columns }: { columns: readonly (string | { readonly num: string })[] }) => (
  <thead>
    <tr>
      {columns.map((c) =>
        typeof c === "string" ? (
          <th scope="col">{c}</th>
        ) : (
          <th scope="col" class="num">
            {c.num}
          </th>
        ),
      )}
    </tr>
  </thead>
);

/** A table of rows under column headings, in its scroll box. */
export const Table = (p: { label: string; id?: string; caption?: Child; columns: readonly (string | { readonly num: string })[]; foot?: Child; children: Child }) => (
  <Scroll label={p.label}>
    <table id={p.id}>
      {p.caption === undefined ? null : <caption>{p.caption}</caption>}
      <Head columns={p.columns} />
      <tbody>{p.children}</tbody>
      {p.foot === undefined ? null : <tfoot>{p.foot}</tfoot>}
    </table>
  </Scroll>
);

/** Every field of a wire object, one row each: fields the protocol adds later show up too. */
export const Fields = ({ label, caption, value }: { label: string; caption: string; value: Readonly<Record<string, unknown>> }) => (
  <Scroll label={label}>
    <table>
      <caption>{caption}</caption>
      <tbody>
        {Object.entries(value).map(([k, v]) => (
          <tr>
            <th scope="row">{k}</th>
            <td class="wrap mono">{typeof v === "string" || typeof v === "number" ? String(v) : JSON.stringify(v)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  </Scroll>
);

/** A JSON value for display. */
export const Json = ({ value }: { value: unknown }) => <pre tabindex={0}>{JSON.stringify(value, null, 2)}</pre>;
