/**
 * Snapshot sync: a node with an empty chain starts from a peer's finalized
 * state instead of replaying every block since genesis (the blocks after the
 * snapshot are then synced and checked as usual, durable-objects/sync.ts).
 *
 * 1. Every peer is asked for its snapshot manifest: the block (whose header's
 *    stateRoot is what the state must give), and the state tree cut at a
 *    depth into parts, each part's hash and number of leaves. A manifest whose
 *    parts do not add up to the header's root, or that conflicts with an
 *    operator checkpoint, is refused and its peer reported faulty.
 * 2. The highest snapshot is taken if more than half of the peers that
 *    answered vouch for its block (they offer the same snapshot, or have that
 *    block at that height on their chain). Trust: a snapshot is as good as
 *    the chain that most peers follow up to it, the trust of every snap sync
 *    (Ethereum's snap, Cosmos' state sync); an operator pins it exactly with
 *    CHECKPOINTS at the snapshot's height. Everything after it is validated.
 * 3. Each part is fetched from the peers that hold the snapshot, round robin,
 *    a few at a time: its leaves must lie in the part, in key order, and hash
 *    up to the part's hash (core/state-tree.ts). A part that does not is
 *    refused, its peer reported faulty, and the part fetched from another
 *    peer. Verified parts are kept by their hash (`PartStash`): a sync cut
 *    short resumes with what it has, even against a newer snapshot (a part
 *    that did not change has the same hash).
 * 4. The leaves make the state; its root is checked once more against the
 *    header.
 */
import { blockHash, parseBlock, parseHeader } from "../core/block.ts";
import { entryFromWire } from "../core/state-codec.ts";
import { stateFromLeaves, stateRoot, type StateLeaf } from "../core/state-root.ts";
import { buildSubtree, makeLeaf, partIndex, rootOfParts, treeRoot } from "../core/state-tree.ts";
import type { Block, ChainParams, ChainState } from "../core/types.ts";
import { asArray, asHex, asInt, asObject, asString, WireError } from "../core/wire.ts";
import { MAX_SNAPSHOT_DEPTH, type SnapshotManifest } from "./state-store.ts";
import { PeerFault, peerJson } from "./sync.ts";

/** Bytes a peer's snapshot answers may have. */
export const SNAPSHOT_ANSWER_LIMITS = {
  /** 4,096 parts of ≈ 90 bytes, and the block */
  manifest: 2 * 1024 * 1024,
  part: 16 * 1024 * 1024,
  status: 64 * 1024,
  headers: 64 * 1024,
} as const;
/** Parts fetched at once. */
const PARALLEL_PARTS = 4;

/** A peer, seen through its public API. */
export interface SnapshotPeer {
  readonly url: string;
  /** GET /chain/status: the peer's genesis */
  genesis(): Promise<string>;
  /** GET /chain/snapshot, or null when the peer offers none */
  manifest(): Promise<unknown | null>;
  /** GET /chain/snapshot/{height}/{index}: the part's leaves, or null when the peer no longer holds that snapshot */
  part(height: number, index: number): Promise<unknown | null>;
  /** the hash of the peer's canonical block at `height`, or null */
  hashAt(height: number): Promise<string | null>;
}

/** Verified parts by hash, kept across attempts and restarts. */
export interface PartStash {
  get(hash: string): readonly unknown[] | undefined;
  put(hash: string, leaves: readonly unknown[]): void;
}

export interface SnapshotResult {
  /** the snapshot, when one was fetched and verified */
  readonly snapshot: { readonly block: Block; readonly state: ChainState } | null;
  /** whether any peer offered a snapshot above our height (else a new node replays from genesis) */
  readonly offered: boolean;
  readonly error: string | null;
  /** peers that served what no honest peer serves */
  readonly faulty: readonly string[];
  /** parts fetched from peers in this attempt (the rest came from the stash) */
  readonly fetchedParts: number;
}

export interface SnapshotLocal {
  readonly params: ChainParams;
  readonly genesis: string;
  readonly checkpoints: ReadonlyMap<number, string>;
  /** our head's height: only a snapshot above it is worth taking */
  readonly height: number;
}

interface Offer {
  readonly peer: SnapshotPeer;
  readonly manifest: SnapshotManifest;
  readonly block: Block;
}

/** A manifest checked on its own: its block, and parts that add up to the block's state root. */
export function checkManifest(raw: unknown, params: ChainParams, checkpoints: ReadonlyMap<number, string>): { manifest: SnapshotManifest; block: Block } | string {
  try {
    const m = asObject(raw, "snapshot", ["network", "height", "hash", "block", "depth", "parts"]);
    const network = asString(m["network"], "snapshot.network", 64);
    if (network !== params.network) return `a snapshot of network ${network}`;
    const height = asInt(m["height"], "snapshot.height", 0);
    const hash = asHex(m["hash"], "snapshot.hash", 32);
    const depth = asInt(m["depth"], "snapshot.depth", 0, MAX_SNAPSHOT_DEPTH);
    const parts = asArray(m["parts"], "snapshot.parts", 2 ** MAX_SNAPSHOT_DEPTH).map((p, i) => {
      const o = asObject(p, `snapshot.parts[${i}]`, ["hash", "count"]);
      return { hash: asHex(o["hash"], `snapshot.parts[${i}].hash`, 32), count: asInt(o["count"], `snapshot.parts[${i}].count`, 0) };
    });
    if (parts.length !== 2 ** depth) return `${parts.length} parts at depth ${depth}`;
    const block = parseBlock(m["block"], params);
    if (!block.ok) return `the snapshot block: ${block.error.message}`;
    if (block.value.hash !== hash || block.value.header.height !== height) return "the snapshot block is not the one named";
    if (rootOfParts(parts) !== block.value.header.stateRoot) return "the parts do not add up to the block's state root";
    const pinned = checkpoints.get(height);
    if (pinned !== undefined && pinned !== hash) return `the snapshot block ${hash} conflicts with the checkpoint at height ${height}`;
    return { manifest: { network, height, hash, block: m["block"], depth, parts }, block: block.value };
  } catch (e) {
    if (e instanceof WireError) return e.message;
    throw e;
  }
}

/**
 * The leaves of part `index`, checked against the manifest: each a leaf
 * whose key lies in the part, in strictly ascending key order, as many as
 * the manifest says, hashing up to the part's hash. A string says what is wrong.
 */
export function checkPart(raw: unknown, manifest: SnapshotManifest, index: number): StateLeaf[] | string {
  const part = manifest.parts[index];
  if (part === undefined) return `no part ${index}`;
  if (!Array.isArray(raw)) return "the part is not a list of leaves";
  if (raw.length !== part.count) return `${raw.length} leaves, the manifest says ${part.count}`;
  const leaves: StateLeaf[] = [];
  for (let i = 0; i < raw.length; i++) {
    const r = entryFromWire(raw[i], `leaves[${i}]`);
    if (!r.ok) return r.error.message;
    if (partIndex(r.value.key, manifest.depth) !== index) return `leaf ${i} is not in part ${index}`;
    if (i > 0 && !((leaves[i - 1] as StateLeaf).key < r.value.key)) return `leaf ${i} is out of key order`;
    leaves.push(makeLeaf(r.value.key, r.value.valueHash, r.value.entry));
  }
  if (treeRoot(buildSubtree(leaves, manifest.depth)) !== part.hash) return `the leaves of part ${index} do not hash to the manifest's`;
  return leaves;
}

export async function fetchSnapshot(local: SnapshotLocal, peers: readonly SnapshotPeer[], stash: PartStash): Promise<SnapshotResult> {
  const faulty = new Set<string>();
  const fault = (p: SnapshotPeer) => faulty.add(p.url);
  const answered: SnapshotPeer[] = [];
  const offers: Offer[] = [];
  await Promise.all(
    peers.map(async (peer) => {
      try {
        if ((await peer.genesis()) !== local.genesis) return;
        answered.push(peer);
        const raw = await peer.manifest();
        if (raw === null) return;
        const m = checkManifest(raw, local.params, local.checkpoints);
        if (typeof m === "string") {
          fault(peer);
          return;
        }
        offers.push({ peer, ...m });
      } catch (e) {
        if (e instanceof PeerFault) fault(peer);
      }
    }),
  );
  const done = (error: string | null, offered: boolean, fetchedParts = 0, snapshot: SnapshotResult["snapshot"] = null): SnapshotResult => ({
    snapshot,
    offered,
    error,
    faulty: [...faulty],
    fetchedParts,
  });
  const above = offers.filter((o) => o.manifest.height > local.height).sort((a, b) => b.manifest.height - a.manifest.height || (a.manifest.hash < b.manifest.hash ? -1 : 1));
  if (above.length === 0) return done(null, false);

  // the highest snapshot that most peers vouch for
  let chosen: Offer | undefined;
  for (const offer of above) {
    let votes = 0;
    await Promise.all(
      answered.map(async (peer) => {
        if (offers.some((o) => o.peer === peer && o.manifest.hash === offer.manifest.hash)) {
          votes++;
          return;
        }
        try {
          if ((await peer.hashAt(offer.manifest.height)) === offer.manifest.hash) votes++;
        } catch {
          // an unreachable peer vouches for nothing
        }
      }),
    );
    if (votes * 2 > answered.length || local.checkpoints.get(offer.manifest.height) === offer.manifest.hash) {
      chosen = offer;
      break;
    }
  }
  if (chosen === undefined) return done("no snapshot is vouched for by most peers", true);
  const { manifest, block } = chosen;
  const sources = offers.filter((o) => o.manifest.hash === manifest.hash).map((o) => o.peer);

  const parts: (StateLeaf[] | null)[] = manifest.parts.map((p) => (p.count === 0 ? [] : null));
  // parts verified before (by hash) need not travel again
  manifest.parts.forEach((p, i) => {
    if (p.count === 0) return;
    const kept = stash.get(p.hash);
    if (kept === undefined) return;
    const checked = checkPart(kept, manifest, i);
    if (typeof checked !== "string") parts[i] = checked;
  });
  let fetched = 0;
  const fetchPart = async (index: number): Promise<void> => {
    for (let attempt = 0; attempt < sources.length; attempt++) {
      const peer = sources[(index + attempt) % sources.length] as SnapshotPeer;
      if (faulty.has(peer.url)) continue;
      try {
        const raw = await peer.part(manifest.height, index);
        if (raw === null) continue;
        const checked = checkPart(raw, manifest, index);
        if (typeof checked === "string") {
          console.warn(`snapshot part ${index} from ${peer.url} refused: ${checked}`);
          fault(peer);
          continue;
        }
        parts[index] = checked;
        stash.put((manifest.parts[index] as { hash: string }).hash, raw as unknown[]);
        fetched++;
        return;
      } catch (e) {
        if (e instanceof PeerFault) fault(peer);
      }
    }
  };
  const wanted = parts.flatMap((p, i) => (p === null ? [i] : []));
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(PARALLEL_PARTS, wanted.length) }, async () => {
      while (next < wanted.length) await fetchPart(wanted[next++] as number);
    }),
  );
  const missing = parts.filter((p) => p === null).length;
  if (missing > 0) return done(`${missing} of ${parts.length} snapshot parts could not be fetched from a peer that serves them right`, true, fetched);
  const state = stateFromLeaves((parts as StateLeaf[][]).flat(), block.hash);
  if (state === null || stateRoot(state) !== block.header.stateRoot || state.height !== block.header.height || state.network !== local.params.network) {
    return done("the snapshot's leaves do not make the state its block commits to", true, fetched);
  }
  return done(null, true, fetched, { block, state });
}

export function httpSnapshotPeer(url: string, fetchFn: typeof fetch = fetch, timeoutMs = 15_000): SnapshotPeer {
  const get = (path: string, maxBytes: number): Promise<unknown | null> => peerJson(url, path, maxBytes, { fetchFn, timeoutMs, notFound: "null" });
  return {
    url,
    genesis: async () => {
      const s = await get("/chain/status", SNAPSHOT_ANSWER_LIMITS.status);
      return String((s as { genesis?: unknown } | null)?.genesis ?? "");
    },
    manifest: async () => get("/chain/snapshot", SNAPSHOT_ANSWER_LIMITS.manifest),
    part: async (height, index) => {
      const r = await get(`/chain/snapshot/${height}/${index}`, SNAPSHOT_ANSWER_LIMITS.part);
      if (r === null) return null;
      const leaves = (r as { leaves?: unknown } | null)?.leaves;
      if (!Array.isArray(leaves)) throw new PeerFault(`${url}/chain/snapshot/${height}/${index}: expected {leaves: [...]}`);
      return leaves;
    },
    hashAt: async (height) => {
      const r = await get(`/chain/headers?from=${height}&to=${height}`, SNAPSHOT_ANSWER_LIMITS.headers);
      const h = (r as { headers?: unknown[] } | null)?.headers?.[0];
      if (h === undefined) return null;
      const p = parseHeader(h);
      return p.ok ? blockHash(p.value) : null;
    },
  };
}
