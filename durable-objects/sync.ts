/**
 * Headers-first sync from peers.
 *
 * 1. Ask every peer for its status (waiting a bounded time for slow ones,
 *    when the caller says so); the peer whose head wins by fork choice
 *    (work, then schedule weight, then the lower beacon) is the target, if
 *    it beats ours.
 * 2. Find the last block we share with it (the highest of its blocks we
 *    hold, on our chain or on a branch we know), walking down in windows of
 *    50 headers, never below our finalized block (a peer that does not
 *    contain it is on a chain we must refuse).
 * 3. Fetch its headers from there to its tip, check that they link (each
 *    header's parent is the hash of the previous one, heights consecutive)
 *    and that they end at a head that beats ours: the cheap proof that the
 *    download is worth doing.
 * 4. Fetch the blocks in batches of at most 50, round-robin over every peer
 *    that has them (one batch ahead while the previous one is applied), check
 *    each against the header chain, and apply each batch through the chain.
 * Progress is the applied blocks themselves: after a restart the next sync
 * starts from the new tip.
 *
 * Every answer is read within bounds (size streamed, nesting; see
 * durable-objects/bounded-json.ts). A peer that serves what no honest peer serves
 * (an oversized or malformed answer, headers that do not link, a branch
 * without our finalized block, blocks that do not match their headers or
 * that the chain refuses) is reported in `faulty`; the NetworkDO scores it
 * down and drops it. A peer that is merely unreachable is not faulty, nor
 * one whose head moved during the sync (headers or blocks of its new branch
 * no longer match what it served before: `reorganized`).
 */
import { blockHash, parseHeader } from "../core/block.ts";
import { compareHeads, type WeightedNode } from "../core/fork-choice.ts";
import { turnWeight } from "../core/schedule.ts";
import type { BlockHeader } from "../core/types.ts";
import { BoundError, readBoundedJson } from "./bounded-json.ts";

export const SYNC_BATCH = 50;

/** Bytes a peer's answer may have, by what was asked. */
export const PEER_ANSWER_LIMITS = {
  status: 64 * 1024,
  headers: 1024 * 1024,
  /** as much as POST /chain/blocks/batch takes */
  blocks: 16 * 1024 * 1024,
} as const;

/** Something a peer served that no honest peer serves. */
export class PeerFault extends Error {
  override readonly name = "PeerFault";
}

export interface PeerStatusView {
  readonly height: number;
  readonly tip: string;
  readonly cumulativeWork: string;
  readonly weight: number;
  readonly beacon: string;
  readonly genesis: string;
  /** the lowest height the peer holds blocks from (a node started from a snapshot has none below it) */
  readonly historyFrom: number;
}

/** How long a status poll waits for its slowest peers before it syncs from those ahead so far (the others still answer, for liveness). */
export const STATUS_WAIT_MS = 2_000;

/** What a peer's status says about its head. */
export interface HeadStatus {
  readonly genesis: string;
  readonly tip: string;
  readonly height: number;
  readonly cumulativeWork: string;
  readonly weight: number;
  readonly beacon: string;
}

/**
 * Asks every peer for its status at once (`status` answers null for no
 * answer). `ahead` resolves with the peers of our genesis whose head beats
 * `mine` by fork choice, as soon as every peer answered or `wait` resolved:
 * a peer that is down or far away does not hold back a sync from the
 * others. `done` resolves when every poll is over.
 */
export function pollPeers<P>(peers: readonly P[], mine: HeadStatus, status: (peer: P) => Promise<HeadStatus | null>, wait: Promise<void>): { ahead: Promise<P[]>; done: Promise<void> } {
  const ahead: P[] = [];
  const done = Promise.all(
    peers.map(async (p) => {
      const s = await status(p).catch(() => null);
      if (s !== null && s.genesis === mine.genesis && compareHeads(headOf(s), headOf(mine)) > 0) ahead.push(p);
    }),
  ).then(() => undefined);
  return { ahead: Promise.race([done, wait]).then(() => [...ahead]), done };
}

/** A chain status as a fork-choice head (what compareHeads reads). */
export function headOf(s: { tip: string; height: number; cumulativeWork: string; weight: number; beacon: string }): WeightedNode {
  return { hash: s.tip, parent: "", height: s.height, cumulativeWork: BigInt(s.cumulativeWork), rank: 0, beacon: s.beacon, weight: s.weight };
}

/** A peer, seen through its public API. */
export interface PeerClient {
  readonly url: string;
  status(): Promise<PeerStatusView>;
  headers(from: number, to: number): Promise<unknown[]>;
  blocks(from: number, to: number): Promise<unknown[]>;
}

/** What the sync needs of the local chain. */
export interface LocalChain {
  status(): Promise<{ height: number; tip: string; cumulativeWork: string; weight: number; beacon: string; finalizedHeight: number; finalizedHash: string; genesis: string }>;
  /** the schedule weight of the chain ending at a known block, or null */
  weightOf(hash: string): Promise<number | null>;
  /** canonical hashes for heights from..to */
  canonicalHashes(from: number, to: number): Promise<string[]>;
  hasBlock(hash: string): Promise<boolean>;
  submitBlocks(wires: readonly unknown[]): Promise<{ accepted: number; height: number; error: { index: number; code: string; message: string } | null }>;
}

export interface SyncReport {
  readonly peer: string | null;
  readonly from: number;
  readonly to: number;
  readonly applied: number;
  readonly error: string | null;
  /** peers that served something inconsistent (score them down) */
  readonly faulty: readonly string[];
  /** the snapshot this node started from in this sync (durable-objects/snapshot-sync.ts), if it did */
  readonly snapshot?: { readonly height: number; readonly hash: string; readonly fetchedParts: number } | null;
}

/**
 * A peer's JSON answer, read within bounds (an answer over them is a
 * PeerFault); an HTTP error throws, except 404 with `notFound: null`.
 */
export async function peerJson(url: string, path: string, maxBytes: number, opts: { fetchFn?: typeof fetch; timeoutMs?: number; notFound?: "throw" | "null" } = {}): Promise<unknown> {
  const res = await (opts.fetchFn ?? fetch)(`${url}${path}`, { signal: AbortSignal.timeout(opts.timeoutMs ?? 15_000) });
  if (!res.ok) {
    await res.body?.cancel().catch(() => undefined);
    if (res.status === 404 && opts.notFound === "null") return null;
    throw new Error(`${url}${path}: HTTP ${res.status}`);
  }
  try {
    return await readBoundedJson(res, maxBytes, undefined, `${url}${path}`);
  } catch (e) {
    if (e instanceof BoundError) throw new PeerFault(e.message);
    throw e;
  }
}

export function httpPeer(url: string, fetchFn: typeof fetch = fetch, timeoutMs = 15_000): PeerClient {
  const get = (path: string, maxBytes: number): Promise<unknown> => peerJson(url, path, maxBytes, { fetchFn, timeoutMs });
  const list = (value: unknown, key: string, path: string): unknown[] => {
    const items = (value as Record<string, unknown> | null)?.[key];
    if (!Array.isArray(items) || items.length > SYNC_BATCH) throw new PeerFault(`${url}${path}: expected {${key}: at most ${SYNC_BATCH} items}`);
    return items;
  };
  return {
    url,
    status: async () => peerStatus(url, await get("/chain/status", PEER_ANSWER_LIMITS.status)),
    headers: async (from, to) => list(await get(`/chain/headers?from=${from}&to=${to}`, PEER_ANSWER_LIMITS.headers), "headers", "/chain/headers"),
    blocks: async (from, to) => list(await get(`/chain/blocks?from=${from}&to=${to}`, PEER_ANSWER_LIMITS.blocks), "blocks", "/chain/blocks"),
  };
}

/** A peer's /chain/status, checked for what the sync reads of it. */
function peerStatus(url: string, value: unknown): PeerStatusView {
  const s = (value ?? {}) as Record<string, unknown>;
  const fine =
    typeof s["height"] === "number" &&
    Number.isSafeInteger(s["height"]) &&
    s["height"] >= 0 &&
    typeof s["tip"] === "string" &&
    /^[0-9a-f]{64}$/.test(s["tip"]) &&
    typeof s["genesis"] === "string" &&
    typeof s["cumulativeWork"] === "string" &&
    /^(0|[1-9][0-9]{0,60})$/.test(s["cumulativeWork"]) &&
    typeof s["weight"] === "number" &&
    Number.isSafeInteger(s["weight"]) &&
    s["weight"] >= 0 &&
    typeof s["beacon"] === "string" &&
    /^[0-9a-f]{64}$/.test(s["beacon"]);
  if (!fine) throw new PeerFault(`${url}/chain/status: not a chain status`);
  return {
    height: s["height"] as number,
    tip: s["tip"] as string,
    genesis: s["genesis"] as string,
    cumulativeWork: s["cumulativeWork"] as string,
    weight: s["weight"] as number,
    beacon: s["beacon"] as string,
    historyFrom: typeof s["historyFrom"] === "number" && Number.isSafeInteger(s["historyFrom"]) && s["historyFrom"] >= 0 ? s["historyFrom"] : 0,
  };
}

function parseHeaders(raw: readonly unknown[], from: number): BlockHeader[] {
  return raw.map((h, i) => {
    const p = parseHeader(h, `headers[${i}]`);
    if (!p.ok) throw new PeerFault(p.error.message);
    if (p.value.height !== from + i) throw new PeerFault(`header ${i} has height ${p.value.height}, expected ${from + i}`);
    return p.value;
  });
}

/**
 * Whether a peer's head moved since it answered `before`: headers or blocks
 * it serves now may come from its new branch (a reorganization during our
 * sync, common just after a partition heals), which is no fault. A peer
 * that no longer answers is unreachable, not faulty.
 */
async function reorganized(peer: PeerClient, before: PeerStatusView): Promise<boolean> {
  try {
    return (await peer.status()).tip !== before.tip;
  } catch {
    return true;
  }
}

/**
 * `wait`, when given, bounds how long step 1 waits for the peers' statuses:
 * the target is chosen among those that answered by the time it resolves
 * (or all of them, if sooner).
 */
export async function syncFromPeers(chain: LocalChain, peers: readonly PeerClient[], opts: { readonly wait?: () => Promise<void> } = {}): Promise<SyncReport> {
  const ours = await chain.status();
  const faulty: string[] = [];
  const answered: ({ peer: PeerClient; status: PeerStatusView } | null)[] = [];
  const polls = Promise.all(
    peers.map(async (p) => {
      try {
        const s = await p.status();
        if (s.genesis !== ours.genesis) faulty.push(p.url);
        else answered.push({ peer: p, status: s });
      } catch (e) {
        if (e instanceof PeerFault) faulty.push(p.url);
      }
    }),
  );
  await (opts.wait === undefined ? polls : Promise.race([polls, opts.wait()]));
  const statuses = [...answered];
  // Peers whose head wins by the fork-choice rule, and that hold the blocks from our finalized one up.
  const head = headOf;
  const candidates = statuses
    .filter((x): x is { peer: PeerClient; status: PeerStatusView } => x !== null)
    .filter((x) => compareHeads(head(x.status), head(ours)) > 0 && x.status.historyFrom <= ours.finalizedHeight);
  candidates.sort((a, b) => compareHeads(head(b.status), head(a.status)));
  const best = candidates[0];
  const nothing = { peer: null, from: ours.height, to: ours.height, applied: 0, error: null, faulty };
  if (best === undefined) return nothing;
  const target = best.peer;
  const targetHeight = best.status.height;

  try {
    // 2. common ancestor, walking down from the lower of the two heights: the
    //    highest of the peer's blocks that we hold (on our chain or on a branch we know)
    let ancestor = -1;
    let ancestorHash = "";
    let top = Math.min(ours.height, targetHeight);
    while (ancestor < 0 && top >= ours.finalizedHeight) {
      const from = Math.max(ours.finalizedHeight, top - SYNC_BATCH + 1);
      const theirs = parseHeaders(await target.headers(from, top), from).map(blockHash);
      const mine = await chain.canonicalHashes(from, top);
      for (let h = top; h >= from; h--) {
        const t = theirs[h - from];
        if (t !== undefined && (t === mine[h - from] || (await chain.hasBlock(t)))) {
          ancestor = h;
          ancestorHash = t;
          break;
        }
      }
      if (from === ours.finalizedHeight && ancestor < 0) {
        faulty.push(target.url);
        return { ...nothing, peer: target.url, error: `peer ${target.url} does not contain our finalized block ${ours.finalizedHash}` };
      }
      top = from - 1;
    }

    // 3. headers from the ancestor to the peer's tip must link and end at the claimed work
    const hashes = new Map<number, string>();
    let prevHash = ancestorHash;
    let lastWork = 0n;
    let lastWeight = (await chain.weightOf(prevHash)) ?? 0;
    let lastBeacon = "";
    for (let from = ancestor + 1; from <= targetHeight; from += SYNC_BATCH) {
      const to = Math.min(targetHeight, from + SYNC_BATCH - 1);
      const headers = parseHeaders(await target.headers(from, to), from);
      for (const h of headers) {
        if (h.parent !== prevHash) {
          if (await reorganized(target, best.status)) throw new Error(`peer ${target.url} reorganized during the sync`);
          throw new PeerFault(`header ${h.height} does not link to its parent`);
        }
        prevHash = blockHash(h);
        hashes.set(h.height, prevHash);
        lastWork = h.cumulativeWork;
        lastWeight += turnWeight(h.rank);
        lastBeacon = h.beacon;
      }
      if (headers.length < to - from + 1) break;
    }
    const lastHeight = Math.max(...hashes.keys(), ancestor);
    if (hashes.size === 0 || compareHeads({ hash: prevHash, parent: "", height: lastHeight, cumulativeWork: lastWork, rank: 0, beacon: lastBeacon, weight: lastWeight }, head(ours)) <= 0) {
      return { ...nothing, peer: target.url, error: "the peer's headers do not make a better chain than ours" };
    }

    // 4. blocks in batches, round-robin over peers that have them, one batch fetched ahead
    const sources = candidates.filter((c) => c.status.height >= ancestor + 1);
    let turn = 0;
    const fetchBatch = async (from: number, to: number): Promise<unknown[]> => {
      for (let attempt = 0; attempt < sources.length; attempt++) {
        const { peer: source, status } = sources[(turn++) % sources.length] as { peer: PeerClient; status: PeerStatusView };
        try {
          const blocks = await source.blocks(from, to);
          const ok = blocks.length > 0 && blocks.every((b, i) => (b as { hash?: unknown }).hash === hashes.get(from + i));
          if (ok) return blocks;
          if (!faulty.includes(source.url) && blocks.length > 0 && !(await reorganized(source, status))) faulty.push(source.url);
        } catch (e) {
          if (e instanceof PeerFault && !faulty.includes(source.url)) faulty.push(source.url);
          // try the next peer
        }
      }
      throw new Error(`no peer served blocks ${from}..${to} matching the headers`);
    };
    const last = Math.max(...hashes.keys(), ancestor);
    let applied = 0;
    let next: Promise<unknown[]> | null = ancestor + 1 <= last ? fetchBatch(ancestor + 1, Math.min(last, ancestor + SYNC_BATCH)) : null;
    for (let from = ancestor + 1; from <= last && next !== null; from += SYNC_BATCH) {
      // The batch fetched ahead ran while we applied the previous one: a long
      // apply (large blocks, a large state) can outlast its request timeout.
      // A failed prefetch is fetched again now, with our full attention.
      const batchTo = Math.min(last, from + SYNC_BATCH - 1);
      const blocks = await next.catch(() => fetchBatch(from, batchTo));
      const nextFrom = from + SYNC_BATCH;
      next = nextFrom <= last ? fetchBatch(nextFrom, Math.min(last, nextFrom + SYNC_BATCH - 1)) : null;
      next?.catch(() => undefined);
      const r = await chain.submitBlocks(blocks);
      applied += r.accepted;
      if (r.error !== null && r.error.code !== "ALREADY_KNOWN") {
        faulty.push(target.url);
        return { peer: target.url, from: ancestor, to: r.height, applied, error: `block ${from + r.error.index} refused: ${r.error.code} ${r.error.message}`, faulty };
      }
    }
    return { peer: target.url, from: ancestor, to: (await chain.status()).height, applied, error: null, faulty };
  } catch (e) {
    if (e instanceof PeerFault && !faulty.includes(target.url)) faulty.push(target.url);
    return { ...nothing, peer: target.url, error: e instanceof Error ? e.message : String(e) };
  }
}
