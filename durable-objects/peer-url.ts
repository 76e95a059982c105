/**
 * Which URLs a node may take from the network as places to find peers: an
 * http(s) origin (no user, path, query or fragment) of bounded length whose
 * host is a public address or a DNS name. Private, loopback, link-local,
 * shared (CGNAT), multicast and reserved addresses, and names that only
 * mean this machine (localhost, *.localhost, *.local, *.internal), are
 * refused unless the node's settings allow private peers (the local
 * testnet). URLs are read by the WHATWG parser, so the other spellings of an
 * address (2130706433, 0x7f.1, [::ffff:127.0.0.1]) are judged as the
 * address they are.
 *
 * What this cannot see: a public DNS name that resolves to a private
 * address (Workers have no resolver API); see docs/SECURITY.md.
 */

export const MAX_PEER_URL_LENGTH = 200;

/** IPv4 ranges no public peer has: [first octets as a 32-bit number, prefix length]. */
const PRIVATE_V4: readonly (readonly [number, number])[] = [
  [0x00000000, 8], // "this network"
  [0x0a000000, 8], // 10/8 private
  [0x64400000, 10], // 100.64/10 shared (CGNAT)
  [0x7f000000, 8], // loopback
  [0xa9fe0000, 16], // 169.254/16 link-local (cloud metadata lives here)
  [0xac100000, 12], // 172.16/12 private
  [0xc0000000, 24], // 192.0.0/24 protocol assignments
  [0xc0000200, 24], // 192.0.2/24 documentation
  [0xc0a80000, 16], // 192.168/16 private
  [0xc6120000, 15], // 198.18/15 benchmarking
  [0xc6336400, 24], // 198.51.100/24 documentation
  [0xcb007100, 24], // 203.0.113/24 documentation
  [0xe0000000, 4], // multicast
  [0xf0000000, 4], // reserved, broadcast
];

function v4Number(host: string): number | null {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(host);
  if (m === null) return null;
  const parts = m.slice(1).map(Number);
  if (parts.some((p) => p > 255)) return null;
  return (((parts[0] as number) << 24) | ((parts[1] as number) << 16) | ((parts[2] as number) << 8) | (parts[3] as number)) >>> 0;
}

function privateV4(n: number): boolean {
  return PRIVATE_V4.some(([base, bits]) => (bits === 0 ? true : n >>> (32 - bits) === base >>> (32 - bits)));
}

/** The 8 groups of an IPv6 address as the URL parser writes it (compressed, lower-case), or null. */
function v6Groups(host: string): number[] | null {
  let h = host;
  let tail: number[] = [];
  const dotted = /^(.*:)(\d+\.\d+\.\d+\.\d+)$/.exec(h);
  if (dotted !== null) {
    const n = v4Number(dotted[2] as string);
    if (n === null) return null;
    tail = [n >>> 16, n & 0xffff];
    h = `${dotted[1]}0`; // placeholder group, replaced below
  }
  const halves = h.split("::");
  if (halves.length > 2) return null;
  const read = (s: string) => (s === "" ? [] : s.split(":").map((g) => (/^[0-9a-f]{1,4}$/.test(g) ? Number.parseInt(g, 16) : Number.NaN)));
  const head = read(halves[0] as string);
  const rest = halves.length === 2 ? read(halves[1] as string) : [];
  let groups = halves.length === 2 ? [...head, ...Array<number>(8 - head.length - rest.length).fill(0), ...rest] : head;
  if (tail.length > 0) groups = [...groups.slice(0, groups.length - 1), ...tail].slice(-8);
  if (groups.length !== 8 || groups.some((g) => Number.isNaN(g))) return null;
  return groups;
}

function privateV6(g: readonly number[]): boolean {
  const [a = 0, b = 0, c = 0, d = 0, e = 0, f = 0, h6 = 0, h7 = 0] = g;
  if (a === 0 && b === 0 && c === 0 && d === 0 && e === 0 && f === 0 && h6 === 0 && h7 <= 1) return true; // :: and ::1
  if (a === 0 && b === 0 && c === 0 && d === 0 && e === 0 && f === 0xffff) return privateV4(((h6 << 16) | h7) >>> 0); // IPv4-mapped
  if (a === 0x64 && b === 0xff9b) return privateV4(((h6 << 16) | h7) >>> 0); // NAT64 of a private v4
  if ((a & 0xfe00) === 0xfc00) return true; // fc00::/7 unique local
  if ((a & 0xffc0) === 0xfe80) return true; // fe80::/10 link-local
  if ((a & 0xff00) === 0xff00) return true; // multicast
  if (a === 0x2001 && b === 0x0db8) return true; // documentation
  return false;
}

/** Host names that can only mean this machine or its local network. */
const LOCAL_NAME = /(^|\.)(localhost|local|internal|lan|home\.arpa)$/;

/**
 * Null when `value` may be taken as a peer's URL, else why not. The URL must
 * be written as its own origin (what the node at it names in its handshake).
 */
export function peerUrlProblem(value: unknown, opts: { readonly allowPrivate: boolean }): string | null {
  if (typeof value !== "string") return "not a string";
  if (value.length > MAX_PEER_URL_LENGTH) return `longer than ${MAX_PEER_URL_LENGTH} characters`;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return "not a URL";
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") return "not http(s)";
  if (url.username !== "" || url.password !== "") return "carries credentials";
  if (url.origin !== value) return "not an origin (scheme://host[:port] only, as the node writes it)";
  if (opts.allowPrivate) return null;
  const host = url.hostname;
  if (host.startsWith("[")) {
    const groups = v6Groups(host.slice(1, -1));
    if (groups === null || privateV6(groups)) return "a private, loopback or link-local address";
    return null;
  }
  const v4 = v4Number(host);
  if (v4 !== null) return privateV4(v4) ? "a private, loopback or link-local address" : null;
  if (!host.includes(".") || LOCAL_NAME.test(host)) return "a name that only means this machine or its network";
  return null;
}
