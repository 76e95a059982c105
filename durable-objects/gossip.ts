/**
 * The node's gossip policy, pure: which peers a payload goes to, what the
 * outcome of a received payload means (relay it, hold it against its sender,
 * start a sync), how senders are scored and banned, and how long payloads
 * are remembered. The NetworkDO runs these functions over its SQLite tables;
 * the simulator (sim/) runs the same functions over memory.
 *
 * Gossip with a bounded degree D: a node forwards a payload only the first
 * time it sees it (the seen-set, keyed by the payload hash for SEEN_TTL_MS),
 * only once it has accepted it, and only to D of its peers drawn at random
 * for that payload (never back to the peer it came from). One item then
 * costs at most N·D messages in a network of N nodes (D per node), however
 * many peers each node keeps, instead of N·peers (N² in a full mesh) for
 * flooding. D = 8 sits in GossipSub's mesh range (D = 6, D_lo = 4, D_hi =
 * 12; Vyzovitis et al., "GossipSub", 2020). Fresh random targets per payload
 * make a push epidemic: a node misses an item with probability ≈ e^−D
 * (Kermarrec, Massoulié, Ganesh, "Probabilistic reliable dissemination in
 * large-scale systems", IEEE TPDS 2003), about 3·10⁻⁴ for D = 8; what gossip
 * misses, sync repairs (a block with an unknown parent starts one, and so does
 * the status poll of every peer each tick).
 */

/** A relayed payload travels at most this many hops from its origin. */
export const MAX_HOPS = 6;
/** A payload hash stays in the seen-set this long: within it, copies are duplicates. */
export const SEEN_TTL_MS = 10 * 60_000;
/** What a sender loses for a payload that is invalid (not merely stale). */
export const INVALID_PENALTY = 20;
/** At this score a sender is banned for BAN_MS (and its score starts again at 0). */
export const BAN_SCORE = -50;
export const BAN_MS = 10 * 60_000;
/** Peer scores stay within ±PEER_SCORE_LIMIT. */
export const PEER_SCORE_LIMIT = 100;
/** A block with an unknown parent starts a sync at most this often. */
export const SYNC_TRIGGER_MS = 2_000;
/** A direct delivery (POST /p2p) gives up after this long. */
export const DELIVERY_TIMEOUT_MS = 10_000;
/** The flood Queue's copy of a message waits this long: past the direct attempt's timeout. */
export const QUEUE_RETRY_DELAY_S = Math.ceil(DELIVERY_TIMEOUT_MS / 1000) + 2;
/** A message still undelivered after this many attempts is dropped (sync covers blocks). */
export const MAX_DELIVERY_ATTEMPTS = 10;

/** How long the flood Queue waits before its retry number `attempts` (1, 2, …). */
export function queueRetryDelayS(attempts: number): number {
  return Math.min(60, 2 ** attempts);
}

/** Peers a new payload goes to (GOSSIP_DEGREE). */
export const DEFAULT_GOSSIP_DEGREE = 8;
/** The setting's bound: a node keeps at most 64 peers. */
export const MAX_GOSSIP_DEGREE = 64;

/**
 * Codes that say "not new" or "not now" rather than "invalid": the sender
 * is not scored down for them.
 */
export const HARMLESS_CODES: ReadonlySet<string> = new Set([
  "ALREADY_KNOWN",
  "UNKNOWN_PARENT",
  "BELOW_FINALITY",
  "BAD_NONCE",
  "MEMPOOL_FULL",
  "FEE_TOO_LOW",
  "INSUFFICIENT_BALANCE",
  "BAD_TIMESTAMP",
  "PEER_URL_REFUSED",
]);

export type GossipKind = "tx" | "block" | "peers" | "ping";

/** A peer as the policy sees it. */
export interface GossipPeer {
  readonly url: string;
  readonly publicKey: string | null;
  readonly bannedUntil: number | null;
}

/** What became of a received payload at its destination (the mempool, the chain, the peer table). */
export interface DeliveryOutcome {
  readonly ok: boolean;
  readonly code: string | null;
}

/** What a node does after delivering a received payload. */
export interface ReceiveDecision {
  /** forward it to a fresh sample of peers, with hops + 1 */
  readonly relay: boolean;
  /** score its sender down: the payload was invalid */
  readonly penalize: boolean;
  /** a peer is ahead of us (a block whose parent we lack): sync, if not done within SYNC_TRIGGER_MS */
  readonly sync: boolean;
}

/**
 * The decision for a new (not yet seen) payload of `kind` that arrived with
 * `hops`. `statefulTxCodes` are the codes a relayed transaction may get only
 * because the relayer saw another chain state (core/admission.ts): its lag,
 * not its fault; in a block they are invalid.
 */
export function afterDelivery(kind: GossipKind, hops: number, outcome: DeliveryOutcome, statefulTxCodes: ReadonlySet<string>): ReceiveDecision {
  const relayed = kind === "tx" || kind === "block";
  return {
    relay: outcome.ok && relayed && hops + 1 <= MAX_HOPS,
    penalize: !outcome.ok && outcome.code !== null && !HARMLESS_CODES.has(outcome.code) && !(kind === "tx" && statefulTxCodes.has(outcome.code)),
    sync: !outcome.ok && kind === "block" && outcome.code === "UNKNOWN_PARENT",
  };
}

/** Whether a sync triggered by an unknown parent may start now, the last one having started at `lastMs`. */
export function syncTriggerDue(lastMs: number, nowMs: number): boolean {
  return nowMs - lastMs >= SYNC_TRIGGER_MS;
}

/** A sender's score after an invalid payload: down by INVALID_PENALTY; at BAN_SCORE banned for BAN_MS and reset to 0. */
export function senderAfterInvalid(score: number, nowMs: number): { score: number; bannedUntil: number | null } {
  const next = score - INVALID_PENALTY;
  return next <= BAN_SCORE ? { score: 0, bannedUntil: nowMs + BAN_MS } : { score: next, bannedUntil: null };
}

/** A peer's score after it sent an invalid payload. */
export function peerAfterInvalid(score: number): number {
  return Math.max(score - INVALID_PENALTY, -PEER_SCORE_LIMIT);
}

/** What a sync peer that served what no honest peer serves loses at once (it is also dropped, or banned when it is a bootstrap peer). */
export const FAULT_PENALTY = 50;

/** A peer's score after it was found faulty in a sync. */
export function peerAfterFault(score: number): number {
  return Math.max(score - FAULT_PENALTY, -PEER_SCORE_LIMIT);
}

/** Whether a ban (a `bannedUntil` time, or none) still holds at `nowMs`. */
export function isBanned(bannedUntil: number | null | undefined, nowMs: number): boolean {
  return bannedUntil != null && bannedUntil > nowMs;
}

/** The peers a payload may go to: not banned, and not the node it came from. */
export function eligiblePeers<P extends GossipPeer>(peers: readonly P[], except: string | null, nowMs: number): P[] {
  return peers.filter((p) => !isBanned(p.bannedUntil, nowMs) && (except === null || p.publicKey === null || p.publicKey !== except));
}

/** `k` distinct items drawn uniformly at random (a partial Fisher–Yates shuffle); all of them, in order, when k ≥ their number. */
export function sample<T>(items: readonly T[], k: number, random: () => number): T[] {
  if (k >= items.length) return [...items];
  const pool = [...items];
  const out: T[] = [];
  for (let i = 0; i < k; i++) {
    const j = i + Math.floor(random() * (pool.length - i));
    const picked = pool[j] as T;
    pool[j] = pool[i] as T;
    pool[i] = picked;
    out.push(picked);
  }
  return out;
}

/**
 * The peers one payload is sent to: `degree` of the eligible peers drawn at
 * random (all of them when there are no more than that). `except` is the
 * public key of the node it came from.
 */
export function relayTargets<P extends GossipPeer>(peers: readonly P[], opts: { readonly degree: number; readonly except: string | null; readonly nowMs: number; readonly random: () => number }): P[] {
  return sample(eligiblePeers(peers, opts.except, opts.nowMs), opts.degree, opts.random);
}

/** The GOSSIP_DEGREE setting: an integer from 1 to MAX_GOSSIP_DEGREE; empty for the default. Null when it does not parse. */
export function parseGossipDegree(value: string | undefined): number | null {
  const v = (value ?? "").trim();
  if (v === "") return DEFAULT_GOSSIP_DEGREE;
  if (!/^[1-9][0-9]?$/.test(v) || Number(v) > MAX_GOSSIP_DEGREE) return null;
  return Number(v);
}
