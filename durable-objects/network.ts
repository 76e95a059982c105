/**
 * NetworkDO: this node's view of its peers and the flooding of messages.
 *
 * - Peers: the bootstrap list from config (the operator's), and those
 *   learned from the network, each with a score and its last-seen time;
 *   liveness checks on the alarm. A URL learned from the network (peer
 *   exchange) is only a candidate: it must be a public http(s) origin
 *   (durable-objects/peer-url.ts; private ranges only with ALLOW_PRIVATE_PEERS), and
 *   it becomes a peer only after the node there answers a signed handshake
 *   (core/handshake.ts) naming that URL, this network and this genesis; a
 *   candidate that does not is refused for a while and never polled. One
 *   URL per node key. A learned peer that keeps failing is dropped.
 * - Sync peers that serve what no honest peer serves (durable-objects/sync.ts
 *   `faulty`) are scored down and dropped (a bootstrap peer is banned for a
 *   while), and their key is banned as a sender.
 * - Every answer a peer gives is read within a size bound.
 * - Receiving (`POST /p2p`): size, network, hops and timestamp, then the
 *   sender's signature, before anything else; a banned sender is dropped
 *   before its signature is even checked; a seen-set with expiry drops
 *   duplicates; then the payload goes to the mempool or the chain. A sender
 *   whose signed payload is invalid is scored down, then banned for a while.
 * - Gossip: a new transaction or block goes to GOSSIP_DEGREE peers drawn at
 *   random (durable-objects/gossip.ts: the policy this object shares with
 *   the simulator), written to an outbox in this object's storage (one row
 *   per target) and delivered from here at once; a delayed copy goes to the
 *   `flood` Queue, whose consumer asks this object to deliver what is still
 *   there (retries with backoff); the alarm re-sends what the queue lost
 *   (local queues live in memory).
 * - Sync: a block whose parent is unknown starts a headers-first sync in
 *   the ChainDO from the peer that sent it; every tick polls every peer's
 *   status and syncs from those that show a better head (without waiting
 *   more than STATUS_WAIT_MS for the slow ones).
 */
import { DurableObject } from "cloudflare:workers";
import { ADMISSION_CODES } from "../core/admission.ts";
import { checkMessage, createMessage, payloadHash, verifyMessageSignature, type EnvelopeKind } from "../core/envelope.ts";
import { checkHandshake, signHandshake, type Handshake } from "../core/handshake.ts";
import { bytesToHex } from "../core/hex.ts";
import type { JsonValue } from "../core/types.ts";
import { discardBounded, readBoundedJson } from "./bounded-json.ts";
import { nodeConfig, type NodeConfig } from "./config.ts";
import {
  afterDelivery,
  BAN_MS,
  DELIVERY_TIMEOUT_MS,
  isBanned,
  MAX_DELIVERY_ATTEMPTS,
  MAX_HOPS,
  peerAfterFault,
  peerAfterInvalid,
  QUEUE_RETRY_DELAY_S,
  relayTargets,
  SEEN_TTL_MS,
  senderAfterInvalid,
  syncTriggerDue,
} from "./gossip.ts";
import { peerUrlProblem } from "./peer-url.ts";
import { failure, success, type Outcome } from "./rpc.ts";
import { chainOf, mempoolOf } from "./stubs.ts";
import { PEER_ANSWER_LIMITS, pollPeers, STATUS_WAIT_MS, type HeadStatus, type SyncReport } from "./sync.ts";

export const MAX_MESSAGE_BYTES = 4 * 1024 * 1024;
const MAX_SKEW_MS = 120_000;
const MAX_PEERS = 64;
const TICK_MS = 5_000;
const PEER_EXCHANGE_MS = 60_000;
/** An outbox row older than this is re-signed before it is sent (receivers allow MAX_SKEW_MS). */
const RESIGN_AFTER_MS = 60_000;
/** Outbox rows kept per peer: a peer that is down loses the oldest first (sync covers blocks). */
const MAX_OUTBOX_PER_PEER = 1_000;
/** Candidates (URLs learned from the network, not yet handshaken) kept at once; more are ignored until these are tried. */
const MAX_CANDIDATES = 256;
/** Handshakes tried per tick (5 s): a flood of candidates costs a bounded trickle of requests. */
const HANDSHAKES_PER_TICK = 8;
const HANDSHAKE_TIMEOUT_MS = 5_000;
const HANDSHAKE_MAX_SKEW_MS = 120_000;
/** A candidate that failed its handshake (or a peer dropped as faulty) is not tried again for this long. */
const REFUSED_MS = 10 * 60_000;
/** A learned peer whose score falls this low (failing for a while) is dropped. */
const DROP_SCORE = -20;
/** A relayed tx refused for these (core/admission.ts) may be the relayer's lag, not its fault; in a block they are invalid. */
const STATEFUL_TX_CODES: ReadonlySet<string> = new Set(ADMISSION_CODES);

export interface PeerView {
  readonly url: string;
  readonly publicKey: string | null;
  readonly score: number;
  readonly lastSeen: number | null;
  readonly lastError: string | null;
  readonly bannedUntil: number | null;
  readonly source: string;
}

/** A URL learned from the network, waiting for (or refused after) its handshake. */
export interface CandidateView {
  readonly url: string;
  readonly state: "pending" | "refused";
  /** when it is tried (pending) or may be proposed again (refused) */
  readonly nextAt: number;
  readonly lastError: string | null;
}

export interface ReceiveResult {
  readonly duplicate: boolean;
  readonly accepted: boolean;
  readonly code: string | null;
}

interface PeerRow {
  url: string;
  public_key: string | null;
  score: number;
  last_seen: number | null;
  last_error: string | null;
  banned_until: number | null;
  source: string;
  [key: string]: SqlStorageValue;
}

export class NetworkDO extends DurableObject<Env> {
  private readonly config: NodeConfig;
  private readonly sql: SqlStorage;
  private syncing = false;
  private lastSyncTrigger = 0;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.config = nodeConfig(env);
    this.sql = ctx.storage.sql;
    this.sql.exec(`CREATE TABLE IF NOT EXISTS peers (url TEXT PRIMARY KEY, public_key TEXT, score INTEGER NOT NULL DEFAULT 0, last_seen INTEGER, last_error TEXT, banned_until INTEGER, source TEXT NOT NULL)`);
    this.sql.exec(`CREATE TABLE IF NOT EXISTS senders (public_key TEXT PRIMARY KEY, score INTEGER NOT NULL DEFAULT 0, banned_until INTEGER)`);
    this.sql.exec(`CREATE TABLE IF NOT EXISTS seen (hash TEXT PRIMARY KEY, expires_at INTEGER NOT NULL)`);
    this.sql.exec(`CREATE TABLE IF NOT EXISTS outgoing (id INTEGER PRIMARY KEY AUTOINCREMENT, url TEXT NOT NULL, body TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0, next_at INTEGER NOT NULL)`);
    this.sql.exec(`CREATE INDEX IF NOT EXISTS outgoing_url ON outgoing (url, id)`);
    this.sql.exec(`CREATE TABLE IF NOT EXISTS candidates (url TEXT PRIMARY KEY, via TEXT, state TEXT NOT NULL, next_at INTEGER NOT NULL, last_error TEXT)`);
    // The configured bootstrap list is authoritative for bootstrap peers: a
    // restart with another list (an operator's change, a test's partition) drops the old ones.
    const bootstrap = this.config.bootstrapPeers.filter((u) => u !== this.config.nodeUrl);
    for (const row of this.sql.exec<{ url: string }>(`SELECT url FROM peers WHERE source = 'bootstrap'`).toArray()) {
      if (!bootstrap.includes(row.url)) this.sql.exec(`DELETE FROM peers WHERE url = ?`, row.url);
    }
    for (const url of bootstrap) this.sql.exec(`INSERT OR IGNORE INTO peers (url, source) VALUES (?, 'bootstrap')`, url);
    void ctx.blockConcurrencyWhile(async () => {
      if ((await ctx.storage.getAlarm()) === null) await ctx.storage.setAlarm(Date.now() + TICK_MS);
    });
  }

  private chain() {
    return chainOf(this.env);
  }

  private mempool() {
    return mempoolOf(this.env);
  }

  // -------------------------------------------------------------------------
  // receiving

  async receive(value: unknown, nowMs: number = Date.now()): Promise<Outcome<ReceiveResult>> {
    const checked = checkMessage(value, { network: this.config.params.network, nowMs, maxSkewMs: MAX_SKEW_MS, maxBytes: MAX_MESSAGE_BYTES, maxHops: MAX_HOPS });
    if (!checked.ok) return failure(checked.error.code, checked.error.message);
    const { envelope, payload } = checked.value;
    const sender = this.sql.exec<{ banned_until: number | null }>(`SELECT banned_until FROM senders WHERE public_key = ?`, envelope.sender).toArray()[0];
    if (isBanned(sender?.banned_until, nowMs)) return failure("UNAUTHORIZED", "this sender is banned for sending invalid data");
    if (!(await verifyMessageSignature(envelope))) return failure("BAD_SIGNATURE", "the envelope's signature does not verify under its sender");
    this.sql.exec(`UPDATE peers SET last_seen = ? WHERE public_key = ?`, nowMs, envelope.sender);
    if (this.sql.exec(`SELECT 1 FROM seen WHERE hash = ? AND expires_at > ?`, envelope.payloadHash, nowMs).toArray().length > 0) {
      return success({ duplicate: true, accepted: false, code: null });
    }
    this.sql.exec(`INSERT OR REPLACE INTO seen (hash, expires_at) VALUES (?, ?)`, envelope.payloadHash, nowMs + SEEN_TTL_MS);

    let outcome: { ok: boolean; code: string | null };
    switch (envelope.kind) {
      case "tx": {
        const r = await this.mempool().submit(payload);
        outcome = r.ok ? { ok: true, code: null } : { ok: false, code: r.code };
        break;
      }
      case "block": {
        const r = await this.chain().submitBlock(payload);
        outcome = r.ok ? { ok: true, code: null } : { ok: false, code: r.code };
        break;
      }
      case "peers": {
        const r = this.proposePeers(Array.isArray(payload) ? payload : [], envelope.sender, nowMs);
        outcome = r.queued > 0 || r.refused.length === 0 ? { ok: true, code: null } : { ok: false, code: "PEER_URL_REFUSED" };
        break;
      }
      case "ping":
        outcome = { ok: true, code: null };
        break;
    }
    const decision = afterDelivery(envelope.kind, envelope.hops, outcome, STATEFUL_TX_CODES);
    // the sender holds a block whose parent we lack: sync from it (rate-limited, so
    // unknown-parent blocks cannot make us hammer peers); from every peer if it is not one of ours
    if (decision.sync && syncTriggerDue(this.lastSyncTrigger, nowMs)) {
      this.lastSyncTrigger = nowMs;
      const from = this.sql.exec<{ url: string }>(`SELECT url FROM peers WHERE public_key = ? AND (banned_until IS NULL OR banned_until < ?)`, envelope.sender, nowMs).toArray()[0];
      this.ctx.waitUntil(from !== undefined ? this.syncFrom([from.url]).then(() => undefined) : this.syncNow().then(() => undefined));
    }
    if (decision.relay) await this.broadcast(envelope.kind, payload, envelope.hops + 1, envelope.sender);
    if (decision.penalize) this.penalize(envelope.sender, nowMs);
    return success({ duplicate: false, accepted: outcome.ok, code: outcome.code });
  }

  private penalize(sender: string, nowMs: number): void {
    const row = this.sql.exec<{ score: number; banned_until: number | null }>(`SELECT score, banned_until FROM senders WHERE public_key = ?`, sender).toArray()[0];
    const next = senderAfterInvalid(row?.score ?? 0, nowMs);
    const bannedUntil = next.bannedUntil ?? row?.banned_until ?? null;
    this.sql.exec(`INSERT OR REPLACE INTO senders (public_key, score, banned_until) VALUES (?, ?, ?)`, sender, next.score, bannedUntil);
    // a banned sender that is also one of our peers gets nothing from us until the ban ends
    for (const p of this.sql.exec<{ url: string; score: number }>(`SELECT url, score FROM peers WHERE public_key = ?`, sender).toArray()) {
      this.sql.exec(`UPDATE peers SET score = ?, banned_until = ? WHERE url = ?`, peerAfterInvalid(p.score), bannedUntil, p.url);
    }
  }

  // -------------------------------------------------------------------------
  // flooding

  /** This node's own new block or transaction (the chain and the mempool call these). */
  async announce(kind: "tx" | "block", payload: unknown): Promise<number> {
    // the seen-set is keyed by the payload's hash: no need to sign an envelope to learn it
    const hash = payloadHash(payload as JsonValue);
    const nowMs = Date.now();
    if (this.sql.exec(`SELECT 1 FROM seen WHERE hash = ? AND expires_at > ?`, hash, nowMs).toArray().length > 0) return 0;
    this.sql.exec(`INSERT OR REPLACE INTO seen (hash, expires_at) VALUES (?, ?)`, hash, nowMs + SEEN_TTL_MS);
    return this.broadcast(kind, payload as JsonValue, 0, null);
  }

  /**
   * Many new transactions of this node at once (a batch the mempool took):
   * one call; with no peer to send to, nothing is hashed or signed.
   */
  async announceMany(kind: "tx" | "block", payloads: readonly JsonValue[]): Promise<number> {
    if (!this.hasTargets(null)) return 0;
    let sent = 0;
    for (const p of payloads) sent += await this.announce(kind, p);
    return sent;
  }

  private hasTargets(except: string | null): boolean {
    return (
      this.sql
        .exec(`SELECT 1 FROM peers WHERE (banned_until IS NULL OR banned_until < ?) AND (public_key IS NULL OR ? IS NULL OR public_key != ?) LIMIT 1`, Date.now(), except, except)
        .toArray().length > 0
    );
  }

  /** Sends a payload to `degree` peers drawn at random (gossip.ts), not to `except` (the key it came from). */
  private async broadcast(kind: EnvelopeKind, payload: JsonValue, hops: number, except: string | null, degree: number = this.config.gossipDegree): Promise<number> {
    if (hops > MAX_HOPS) return 0;
    const nowMs = Date.now();
    const peers = this.sql
      .exec<{ url: string; public_key: string | null; banned_until: number | null }>(`SELECT url, public_key, banned_until FROM peers`)
      .toArray()
      .map((r) => ({ url: r.url, publicKey: r.public_key, bannedUntil: r.banned_until }));
    const targets = relayTargets(peers, { degree, except, nowMs, random: Math.random });
    if (targets.length === 0) return 0;
    const body = JSON.stringify(createMessage(kind, payload, { secret: this.config.nodeSecret, network: this.config.params.network, nowMs, hops }));
    const ids: number[] = [];
    this.ctx.storage.transactionSync(() => {
      for (const t of targets) {
        this.sql.exec(`DELETE FROM outgoing WHERE id IN (SELECT id FROM outgoing WHERE url = ? ORDER BY id DESC LIMIT -1 OFFSET ?)`, t.url, MAX_OUTBOX_PER_PEER - 1);
        this.sql.exec(`INSERT INTO outgoing (url, body, next_at) VALUES (?, ?, ?)`, t.url, body, nowMs + 30_000);
        ids.push(Number(this.sql.exec<{ id: number }>(`SELECT last_insert_rowid() AS id`).one().id));
      }
    });
    // Delivery is tried at once from here (the queue's batching would add up
    // to a second per hop); the flood Queue carries the retry, delayed past a
    // direct attempt's timeout so the two do not race, and the alarm re-sends
    // whatever both lost. A receiver drops duplicates by payload hash.
    this.ctx.waitUntil(
      this.deliver(ids).then(
        () => undefined,
        (e: unknown) => console.warn("direct flood delivery failed", e instanceof Error ? e.message : e),
      ),
    );
    try {
      await this.env.FLOOD.sendBatch(
        ids.map((id) => ({ body: { id } })),
        { delaySeconds: QUEUE_RETRY_DELAY_S },
      );
    } catch (e) {
      // the rows are stored: the alarm delivers them
      console.warn("flood queue unavailable", e instanceof Error ? e.message : e);
    }
    return ids.length;
  }

  /** Delivers outbox rows (the flood queue consumer calls this); returns the ids that still failed. */
  async deliver(ids: readonly number[]): Promise<number[]> {
    const failed: number[] = [];
    const resigned = new Map<string, string>();
    await Promise.all(
      ids.map(async (id) => {
        const row = this.sql.exec<{ url: string; body: string; attempts: number }>(`SELECT url, body, attempts FROM outgoing WHERE id = ?`, id).toArray()[0];
        if (row === undefined) return;
        const body = this.fresh(row.body, resigned);
        if (body !== row.body) this.sql.exec(`UPDATE outgoing SET body = ? WHERE id = ?`, body, id);
        const delivered = await this.post(row.url, body);
        if (delivered) this.sql.exec(`DELETE FROM outgoing WHERE id = ?`, id);
        else {
          this.sql.exec(`UPDATE outgoing SET attempts = attempts + 1, next_at = ? WHERE id = ?`, Date.now() + 2 ** Math.min(row.attempts, 8) * 1000, id);
          if (row.attempts >= MAX_DELIVERY_ATTEMPTS) this.sql.exec(`DELETE FROM outgoing WHERE id = ?`, id);
          else failed.push(id);
        }
      }),
    );
    return failed;
  }

  /**
   * The body to send now: a row that waited long enough for its envelope's
   * timestamp to near the receivers' window is signed again (same kind,
   * payload and hops, a new timestamp); `cache` signs each body once per call.
   */
  private fresh(body: string, cache: Map<string, string>): string {
    const hit = cache.get(body);
    if (hit !== undefined) return hit;
    let out = body;
    try {
      const m = JSON.parse(body) as { envelope: { kind: EnvelopeKind; timestamp: number; hops: number }; payload: JsonValue };
      const nowMs = Date.now();
      if (nowMs - m.envelope.timestamp > RESIGN_AFTER_MS) {
        out = JSON.stringify(createMessage(m.envelope.kind, m.payload, { secret: this.config.nodeSecret, network: this.config.params.network, nowMs, hops: m.envelope.hops }));
      }
    } catch {
      // not ours to repair: sent as it is, the receiver refuses it
    }
    cache.set(body, out);
    return out;
  }

  private async post(url: string, body: string): Promise<boolean> {
    try {
      const res = await fetch(`${url}/p2p`, { method: "POST", headers: { "content-type": "application/json" }, body, signal: AbortSignal.timeout(DELIVERY_TIMEOUT_MS) });
      await discardBounded(res);
      // a 4xx answer is the peer's verdict on the message, not a delivery failure
      // a banned peer keeps the reason it was banned for (a delivery queued before the ban may still land)
      this.sql.exec(`UPDATE peers SET last_seen = ?1, last_error = CASE WHEN banned_until > ?1 THEN last_error ELSE NULL END WHERE url = ?2`, Date.now(), url);
      return res.status < 500;
    } catch (e) {
      this.peerFailed(url, e);
      return false;
    }
  }

  /** A delivery or poll that failed: the score drops; a banned peer keeps the reason it was banned for. */
  private peerFailed(url: string, e: unknown): void {
    this.peerError(url, e instanceof Error ? e.message : String(e), 1);
  }

  /** Records what went wrong with a peer (and lowers its score by `penalty`), unless it is banned: then its ban's reason stays. */
  private peerError(url: string, message: string, penalty: number): void {
    this.sql.exec(`UPDATE peers SET last_error = CASE WHEN banned_until > ?3 THEN last_error ELSE ?1 END, score = MAX(score - ?4, -100) WHERE url = ?2`, message.slice(0, 300), url, Date.now(), penalty);
  }

  // -------------------------------------------------------------------------
  // peers, liveness, sync

  /**
   * URLs from a peer list (peer exchange, or an operator): each must be a
   * public http(s) origin (private ranges only when the settings allow
   * them); a new one becomes a candidate, tried by `verifyCandidates`. At
   * most MAX_PEERS entries are read and MAX_CANDIDATES wait at once; one
   * refused a short while ago is not queued again.
   */
  proposePeers(urls: readonly unknown[], via = "operator", nowMs: number = Date.now()): { queued: number; refused: { url: string; reason: string }[] } {
    let queued = 0;
    const refused: { url: string; reason: string }[] = [];
    for (const url of urls.slice(0, MAX_PEERS)) {
      const problem = peerUrlProblem(url, { allowPrivate: this.config.allowPrivatePeers });
      if (problem !== null) {
        refused.push({ url: String(url).slice(0, 100), reason: problem });
        continue;
      }
      const u = url as string;
      if (u === this.config.nodeUrl || this.sql.exec(`SELECT 1 FROM peers WHERE url = ?`, u).toArray().length > 0) continue;
      const known = this.sql.exec<{ state: string; next_at: number }>(`SELECT state, next_at FROM candidates WHERE url = ?`, u).toArray()[0];
      if (known !== undefined && (known.state === "pending" || known.next_at > nowMs)) continue;
      if (known === undefined && this.sql.exec<{ n: number }>(`SELECT COUNT(*) AS n FROM candidates`).one().n >= MAX_CANDIDATES) {
        // make room only from refusals that have run out
        this.sql.exec(`DELETE FROM candidates WHERE state = 'refused' AND next_at <= ?`, nowMs);
        if (this.sql.exec<{ n: number }>(`SELECT COUNT(*) AS n FROM candidates`).one().n >= MAX_CANDIDATES) break;
      }
      this.sql.exec(`INSERT OR REPLACE INTO candidates (url, via, state, next_at, last_error) VALUES (?, ?, 'pending', ?, NULL)`, u, via, nowMs);
      queued++;
    }
    return { queued, refused };
  }

  candidates(): CandidateView[] {
    return this.sql
      .exec<{ url: string; state: string; next_at: number; last_error: string | null }>(`SELECT url, state, next_at, last_error FROM candidates ORDER BY next_at, url`)
      .toArray()
      .map((r) => ({ url: r.url, state: r.state === "refused" ? "refused" : "pending", nextAt: r.next_at, lastError: r.last_error }));
  }

  /** This node's answer to a handshake (GET /p2p/handshake): the challenge signed with its URL, network and genesis. */
  async handshake(challenge: string, nowMs: number = Date.now()): Promise<Handshake> {
    return signHandshake(this.config.nodeSecret, { network: this.config.params.network, genesis: await this.genesis(), url: this.config.nodeUrl, challenge, nowMs });
  }

  private genesisHash: string | null = null;
  private async genesis(): Promise<string> {
    this.genesisHash ??= (await this.chain().status()).genesis;
    return this.genesisHash;
  }

  /** Asks the node at `url` to sign a fresh challenge; its key, or why not. */
  private async handshakeWith(url: string): Promise<{ ok: true; key: string } | { ok: false; error: string }> {
    const challenge = bytesToHex(crypto.getRandomValues(new Uint8Array(32)));
    try {
      const res = await fetch(`${url}/p2p/handshake?challenge=${challenge}`, { signal: AbortSignal.timeout(HANDSHAKE_TIMEOUT_MS) });
      if (!res.ok) {
        await discardBounded(res);
        return { ok: false, error: `handshake answered HTTP ${res.status}` };
      }
      const body = await readBoundedJson(res, 16 * 1024, undefined, "handshake");
      const checked = await checkHandshake(body, { network: this.config.params.network, genesis: await this.genesis(), url, challenge, nowMs: Date.now(), maxSkewMs: HANDSHAKE_MAX_SKEW_MS });
      if (!checked.ok) return { ok: false, error: `${checked.error.code}: ${checked.error.message}` };
      if (checked.value.node === this.config.nodeKey) return { ok: false, error: "that is this node" };
      return { ok: true, key: checked.value.node };
    } catch (e) {
      return { ok: false, error: e instanceof Error ? e.message : String(e) };
    }
  }

  /** Tries the due candidates' handshakes (a few per call): a node that answers becomes a peer, any other is refused for a while. */
  async verifyCandidates(nowMs: number = Date.now()): Promise<number> {
    const due = this.sql.exec<{ url: string }>(`SELECT url FROM candidates WHERE state = 'pending' AND next_at <= ? ORDER BY next_at LIMIT ?`, nowMs, HANDSHAKES_PER_TICK).toArray();
    let added = 0;
    await Promise.all(
      due.map(async ({ url }) => {
        const r = await this.handshakeWith(url);
        const problem = r.ok ? this.admitPeer(url, r.key) : r.error;
        if (problem === null) {
          this.sql.exec(`DELETE FROM candidates WHERE url = ?`, url);
          added++;
        } else this.sql.exec(`UPDATE candidates SET state = 'refused', next_at = ?, last_error = ? WHERE url = ?`, Date.now() + REFUSED_MS, problem.slice(0, 300), url);
      }),
    );
    return added;
  }

  /**
   * A handshaken node's URL joins the peers: one URL per key; when the table
   * is full it replaces the worst learned peer that is failing (score < 0);
   * bootstrap peers and healthy ones are never evicted. Null, or why not.
   */
  private admitPeer(url: string, key: string): string | null {
    const sameKey = this.sql.exec<{ url: string }>(`SELECT url FROM peers WHERE public_key = ?`, key).toArray()[0];
    if (sameKey !== undefined) return `that node is already a peer at ${sameKey.url}`;
    const banned = this.sql.exec<{ banned_until: number | null }>(`SELECT banned_until FROM senders WHERE public_key = ?`, key).toArray()[0];
    if (banned?.banned_until != null && banned.banned_until > Date.now()) return "that node is banned";
    const count = this.sql.exec<{ n: number }>(`SELECT COUNT(*) AS n FROM peers`).one().n;
    if (count >= MAX_PEERS) {
      const worst = this.sql.exec<{ url: string }>(`SELECT url FROM peers WHERE source = 'exchange' AND score < 0 ORDER BY score, COALESCE(last_seen, 0), url LIMIT 1`).toArray()[0];
      if (worst === undefined) return "the peer table is full of healthy peers";
      this.forgetPeer(worst.url);
    }
    this.sql.exec(`INSERT INTO peers (url, public_key, last_seen, source) VALUES (?, ?, ?, 'exchange')`, url, key, Date.now());
    return null;
  }

  private forgetPeer(url: string): void {
    this.sql.exec(`DELETE FROM peers WHERE url = ?`, url);
    this.sql.exec(`DELETE FROM outgoing WHERE url = ?`, url);
  }

  /**
   * A sync peer that served what no honest peer serves: scored down, its key
   * banned as a sender; a learned peer is dropped (and not re-learned for a
   * while), a bootstrap peer (the operator's) is banned for a while.
   */
  dropFaulty(url: string, reason: string, nowMs: number = Date.now()): void {
    const row = this.sql.exec<{ public_key: string | null; source: string }>(`SELECT public_key, source FROM peers WHERE url = ?`, url).toArray()[0];
    if (row === undefined) return;
    if (row.public_key !== null) {
      this.sql.exec(`INSERT INTO senders (public_key, score, banned_until) VALUES (?, 0, ?) ON CONFLICT(public_key) DO UPDATE SET banned_until = excluded.banned_until`, row.public_key, nowMs + BAN_MS);
    }
    if (row.source === "bootstrap") {
      const score = this.sql.exec<{ score: number }>(`SELECT score FROM peers WHERE url = ?`, url).one().score;
      this.sql.exec(`UPDATE peers SET score = ?, banned_until = ?, last_error = ? WHERE url = ?`, peerAfterFault(score), nowMs + BAN_MS, `faulty: ${reason}`.slice(0, 300), url);
    } else {
      this.forgetPeer(url);
      this.sql.exec(`INSERT OR REPLACE INTO candidates (url, via, state, next_at, last_error) VALUES (?, 'sync', 'refused', ?, ?)`, url, nowMs + BAN_MS, `faulty: ${reason}`.slice(0, 300));
    }
    console.warn(`peer ${url} dropped as faulty: ${reason}`);
  }

  /** Syncs from these peers (ChainDO's headers-first sync) and drops those it found faulty. */
  async syncFrom(urls: readonly string[]): Promise<SyncReport> {
    const report = await this.chain().syncFrom(urls);
    for (const url of new Set(report.faulty)) this.dropFaulty(url, report.error ?? "served an inconsistent chain");
    return report;
  }

  peers(): PeerView[] {
    return this.sql
      .exec<PeerRow>(`SELECT url, public_key, score, last_seen, last_error, banned_until, source FROM peers ORDER BY score DESC, url`)
      .toArray()
      .map((r) => ({ url: r.url, publicKey: r.public_key, score: r.score, lastSeen: r.last_seen, lastError: r.last_error, bannedUntil: r.banned_until, source: r.source }));
  }

  senders(): { publicKey: string; score: number; bannedUntil: number | null }[] {
    return this.sql
      .exec<{ public_key: string; score: number; banned_until: number | null }>(`SELECT public_key, score, banned_until FROM senders`)
      .toArray()
      .map((r) => ({ publicKey: r.public_key, score: r.score, bannedUntil: r.banned_until }));
  }

  /** Asks every peer for its status; syncs from those with more work. Also the liveness check. */
  async syncNow(): Promise<{ ahead: string[] }> {
    if (this.syncing) return { ahead: [] };
    this.syncing = true;
    try {
      await this.verifyCandidates();
      const mine = await this.chain().status();
      const urls = this.sql.exec<{ url: string }>(`SELECT url FROM peers WHERE banned_until IS NULL OR banned_until < ?`, Date.now()).toArray().map((r) => r.url);
      const poll = pollPeers(
        urls,
        mine,
        async (url): Promise<HeadStatus | null> => {
          try {
            const known = this.sql.exec<{ public_key: string | null }>(`SELECT public_key FROM peers WHERE url = ?`, url).toArray()[0];
            if (known?.public_key == null) {
              // a bootstrap peer's key, learned the same way as any peer's: by a signed handshake
              const hs = await this.handshakeWith(url);
              if (hs.ok && this.sql.exec(`SELECT 1 FROM peers WHERE public_key = ?`, hs.key).toArray().length === 0) this.sql.exec(`UPDATE peers SET public_key = ? WHERE url = ?`, hs.key, url);
              else if (!hs.ok) this.peerError(url, hs.error, 0);
            }
            const res = await fetch(`${url}/chain/status`, { signal: AbortSignal.timeout(DELIVERY_TIMEOUT_MS) });
            if (!res.ok) {
              await discardBounded(res);
              throw new Error(`/chain/status answered HTTP ${res.status}`);
            }
            const s = (await readBoundedJson(res, PEER_ANSWER_LIMITS.status, undefined, "status")) as { cumulativeWork?: string; height?: number; genesis?: string; tip?: string; weight?: number; beacon?: string };
            // an answer that arrives after the peer was banned (polls run on past a sync) neither clears the reason nor raises the score
            this.sql.exec(
              `UPDATE peers SET last_seen = ?1, last_error = CASE WHEN banned_until > ?1 THEN last_error ELSE NULL END, score = CASE WHEN banned_until > ?1 THEN score ELSE MIN(score + 1, 100) END WHERE url = ?2`,
              Date.now(),
              url,
            );
            return { genesis: String(s.genesis ?? ""), tip: String(s.tip ?? ""), height: s.height ?? 0, cumulativeWork: String(s.cumulativeWork ?? "0"), weight: Number(s.weight ?? 0), beacon: String(s.beacon ?? "") };
          } catch (e) {
            this.peerFailed(url, e);
            return null;
          }
        },
        new Promise((resolve) => setTimeout(resolve, STATUS_WAIT_MS)),
      );
      const ahead = await poll.ahead;
      // the slow answers still count for liveness; learned peers that keep failing are dropped: nobody polls a dead URL forever
      const forgetFailing = (): void => {
        for (const r of this.sql.exec<{ url: string }>(`SELECT url FROM peers WHERE source = 'exchange' AND score <= ?`, DROP_SCORE).toArray()) this.forgetPeer(r.url);
      };
      forgetFailing();
      this.ctx.waitUntil(poll.done.then(forgetFailing));
      if (ahead.length > 0) await this.syncFrom(ahead);
      return { ahead };
    } finally {
      this.syncing = false;
    }
  }

  override async alarm(): Promise<void> {
    const nowMs = Date.now();
    this.sql.exec(`DELETE FROM seen WHERE expires_at < ?`, nowMs);
    // messages the queue lost
    const due = this.sql.exec<{ id: number }>(`SELECT id FROM outgoing WHERE next_at <= ? LIMIT 200`, nowMs).toArray().map((r) => r.id);
    if (due.length > 0) await this.deliver(due);
    try {
      await this.syncNow();
    } catch (e) {
      console.warn("sync check failed", e instanceof Error ? e.message : e);
    }
    // peer exchange: now and then, tell the peers whom we know (they do not relay it)
    const last = Number(this.sql.exec<{ n: number }>(`SELECT COALESCE(MAX(expires_at), 0) AS n FROM seen WHERE hash = 'peer-exchange'`).one().n);
    if (last < nowMs) {
      this.sql.exec(`INSERT OR REPLACE INTO seen (hash, expires_at) VALUES ('peer-exchange', ?)`, nowMs + PEER_EXCHANGE_MS);
      // only peers whose handshake this node checked (a bootstrap peer that never answered one is not vouched for)
      const urls = [this.config.nodeUrl, ...this.peers().filter((p) => p.publicKey !== null && (p.bannedUntil === null || p.bannedUntil < nowMs)).map((p) => p.url)];
      // to every peer (at most MAX_PEERS, once a minute): how a new peer learns about the others
      await this.broadcast("peers", urls.slice(0, MAX_PEERS), MAX_HOPS, null, MAX_PEERS);
    }
    await this.ctx.storage.setAlarm(Date.now() + TICK_MS);
  }
}
