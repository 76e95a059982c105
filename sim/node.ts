/**
 * A simulated node: the NetworkDO's gossip and sync, the ChainDO's chain,
 * block production as the MempoolDO's alarm drives it, and the QuorumDO's
 * duties, over the simulated network.
 *
 * What is the node's own code: the gossip policy (durable-objects/gossip.ts:
 * relay targets, what an outcome means, scoring, retries), headers-first
 * sync (durable-objects/sync.ts: syncFromPeers over PeerClients that are
 * simulated requests), the status poll of every peer each tick, and every
 * consensus rule through core/ (applyBlock, ForkChoice, buildBlock, the
 * producer schedule, quorum selection inside the state transition).
 * What is modelled: envelopes are not signed (a relay would sign one
 * envelope per payload; the bytes are counted), peer tables are fixed
 * (no peer exchange or handshakes), the mempool is SimMempool.
 */
import { nextSlotAt, slotDelayMs } from "../core/schedule.ts";
import { buildBlock } from "../core/state-transition.ts";
import { createTx } from "../core/tx.ts";
import { ADMISSION_CODES } from "../core/admission.ts";
import type { Address, Block, ChainParams, ChainState, Hash, PublicKeyHex, Tx, TxBodies, TxKind } from "../core/types.ts";
import {
  afterDelivery,
  BAN_MS,
  DELIVERY_TIMEOUT_MS,
  isBanned,
  MAX_DELIVERY_ATTEMPTS,
  peerAfterFault,
  peerAfterInvalid,
  QUEUE_RETRY_DELAY_S,
  queueRetryDelayS,
  relayTargets,
  senderAfterInvalid,
  syncTriggerDue,
  type DeliveryOutcome,
} from "../durable-objects/gossip.ts";
import { pollPeers, STATUS_WAIT_MS, syncFromPeers, type PeerClient, type PeerStatusView } from "../durable-objects/sync.ts";
import type { Rng } from "../plugins/rng.ts";
import { SimChain } from "./chain.ts";
import { Duties } from "./duties.ts";
import { SimMempool } from "./mempool.ts";
import type { Metrics } from "./metrics.ts";
import type { SimNetwork } from "./network.ts";
import type { Scheduler } from "./scheduler.ts";
import type { SeenTable } from "./seen.ts";
import type { SharedWork } from "./shared-work.ts";

const STATEFUL_TX_CODES: ReadonlySet<string> = new Set(ADMISSION_CODES);
/** As httpPeer: a sync request gives up after this long (a status poll after DELIVERY_TIMEOUT_MS, as the NetworkDO's). */
const SYNC_REQUEST_TIMEOUT_MS = 15_000;
/** Bytes of a /chain/status answer. */
const STATUS_BYTES = 600;

export interface GossipMessage {
  readonly kind: "tx" | "block";
  /** the seen-set key: the payload's id (one to one with its envelope payload hash) */
  readonly hash: Hash;
  readonly item: Tx | Block;
  /** payload and envelope */
  readonly bytes: number;
  readonly hops: number;
  /** the relaying node's key */
  readonly sender: PublicKeyHex;
}

export interface SimPeer {
  readonly index: number;
  readonly url: string;
  readonly publicKey: PublicKeyHex;
  score: number;
  bannedUntil: number | null;
}

export interface NodeSettings {
  /** gossip degree D */
  readonly degree: number;
  /** the NetworkDO's tick: every peer's status polled */
  readonly tickMs: number;
  /** the MempoolDO's assembly alarm */
  readonly assembleMs: number;
  /** wake at the node's own slot too, not only on the assembly alarm (the MempoolDO's nextTry); false: a what-if of the old policy */
  readonly slotAlarm: boolean;
  /** time a node spends on a block (parse, validate, store) before it relays it */
  readonly blockProcessingMs: number;
  /** time a node spends admitting a transaction before it relays it */
  readonly txProcessingMs: number;
  /** a runner's turnaround for an evaluation */
  readonly evaluateMs: number;
}

export interface NodeContext {
  readonly sched: Scheduler;
  readonly net: SimNetwork;
  readonly shared: SharedWork;
  readonly seen: SeenTable;
  readonly metrics: Metrics;
  readonly params: ChainParams;
  readonly settings: NodeSettings;
  readonly nodes: readonly SimNode[];
  /** bytes an envelope adds to its payload */
  readonly envelopeBytes: number;
  readonly genesis: { readonly block: Block; readonly state: ChainState };
}

export interface Identity {
  readonly secret: Uint8Array;
  readonly publicKey: PublicKeyHex;
  readonly address: Address;
}

export class SimNode {
  readonly url: string;
  readonly peers: SimPeer[] = [];
  readonly chain: SimChain;
  readonly mempool: SimMempool;
  readonly duties: Duties;
  private readonly senders = new Map<PublicKeyHex, { score: number; bannedUntil: number | null }>();
  private polling = false;
  /** the sync in progress (the ChainDO runs one at a time) */
  private syncing: Promise<void> | null = null;
  private lastSyncTrigger = -Infinity;
  /** the tip and slot this node set a wake-up for (slotAlarm) */
  private slotWake: string | null = null;

  constructor(
    private readonly ctx: NodeContext,
    readonly index: number,
    readonly id: Identity,
    private readonly rng: Rng,
  ) {
    this.url = `sim://node-${index}`;
    this.mempool = new SimMempool(ctx.params, ctx.shared);
    this.chain = new SimChain(ctx.shared, ctx.params, ctx.genesis, {
      held: (block) => ctx.metrics.held(block.hash, ctx.sched.now),
      headMoved: (head, reverted) => {
        this.mempool.headMoved(
          head,
          reverted.flatMap((b) => b.txs),
        );
        this.duties.headMoved(head);
      },
    });
    this.duties = new Duties(
      {
        address: id.address,
        publicKey: id.publicKey,
        params: ctx.params,
        head: () => this.chain.head,
        submitOwn: (kind, body) => this.submitOwn(kind, body),
        later: (ms, fn) => ctx.sched.after(ms, fn),
      },
      { evaluateMs: ctx.settings.evaluateMs, seed: index },
    );
  }

  /** The node's clock in whole ms (what timestamps carry), counted from genesis. */
  private clock(): number {
    return this.ctx.params.genesisTimestamp + Math.floor(this.ctx.sched.now);
  }

  // -------------------------------------------------------------------------
  // gossip

  /** A message from a peer (the NetworkDO's receive, after its envelope checks). */
  receive(m: GossipMessage): void | Promise<void> {
    const now = this.ctx.sched.now;
    if (isBanned(this.senders.get(m.sender)?.bannedUntil, now)) return;
    if (this.ctx.seen.seen(this.index, m.hash, now)) {
      this.ctx.metrics.duplicate(m.kind);
      return;
    }
    const outcome = m.kind === "tx" ? this.mempool.submit(m.item as Tx, this.chain.head) : this.chain.submit(m.item as Block, this.clock());
    if (outcome instanceof Promise) return outcome.then((o) => this.delivered(m, o));
    this.delivered(m, outcome);
  }

  private delivered(m: GossipMessage, outcome: DeliveryOutcome): void {
    const now = this.ctx.sched.now;
    const decision = afterDelivery(m.kind, m.hops, outcome, STATEFUL_TX_CODES);
    if (outcome.ok) this.ctx.metrics.gossiped(m.kind, m.hops);
    else this.ctx.metrics.refusal(m.kind, outcome.code);
    if (decision.sync && syncTriggerDue(this.lastSyncTrigger, now)) {
      // the sender holds the parent we lack: sync from it (the NetworkDO's rule)
      this.lastSyncTrigger = now;
      this.ctx.metrics.syncTriggers++;
      const from = this.peers.find((p) => p.publicKey === m.sender && !isBanned(p.bannedUntil, now));
      if (from !== undefined) this.ctx.sched.spawn(this.syncFrom([from]));
      else this.syncNow();
    }
    if (decision.relay) this.broadcast(m.kind, m.item, m.hops + 1, m.sender);
    if (decision.penalize) this.penalize(m.sender, now);
  }

  /** This node's own new transaction or block (the NetworkDO's announce). */
  announce(kind: "tx" | "block", item: Tx | Block): void {
    const hash = kind === "tx" ? (item as Tx).id : (item as Block).hash;
    if (this.ctx.seen.seen(this.index, hash, this.ctx.sched.now)) return;
    this.broadcast(kind, item, 0, null);
  }

  private broadcast(kind: "tx" | "block", item: Tx | Block, hops: number, except: PublicKeyHex | null): void {
    const { settings, shared } = this.ctx;
    const targets = relayTargets(this.peers, { degree: settings.degree, except, nowMs: this.ctx.sched.now, random: () => this.rng.next() });
    const payloadBytes = kind === "tx" ? shared.txBytes(item as Tx) : shared.block(item as Block).bytes;
    const m: GossipMessage = { kind, hash: kind === "tx" ? (item as Tx).id : (item as Block).hash, item, bytes: payloadBytes + this.ctx.envelopeBytes, hops, sender: this.id.publicKey };
    for (const t of targets) this.send(t, m, 1);
  }

  /** One delivery attempt; a lost one is retried as the flood Queue and the alarm would, until MAX_DELIVERY_ATTEMPTS. */
  private send(peer: SimPeer, m: GossipMessage, attempt: number): void {
    const { net, sched, settings, nodes } = this.ctx;
    const processing = m.kind === "block" ? settings.blockProcessingMs : settings.txProcessingMs;
    net.post(
      this.index,
      peer.index,
      m.kind === "tx" ? "gossip.tx" : "gossip.block",
      m.bytes,
      () => sched.after(processing, () => (nodes[peer.index] as SimNode).receive(m)),
      () => {
        if (attempt >= MAX_DELIVERY_ATTEMPTS) return;
        const wait = attempt === 1 ? QUEUE_RETRY_DELAY_S * 1000 - DELIVERY_TIMEOUT_MS : queueRetryDelayS(attempt) * 1000;
        sched.after(wait, () => this.send(peer, m, attempt + 1));
      },
      DELIVERY_TIMEOUT_MS,
    );
  }

  private penalize(sender: PublicKeyHex, now: number): void {
    const s = this.senders.get(sender) ?? { score: 0, bannedUntil: null };
    const next = senderAfterInvalid(s.score, now);
    const bannedUntil = next.bannedUntil ?? s.bannedUntil;
    this.senders.set(sender, { score: next.score, bannedUntil });
    for (const p of this.peers) {
      if (p.publicKey !== sender) continue;
      p.score = peerAfterInvalid(p.score);
      p.bannedUntil = bannedUntil;
    }
    this.ctx.metrics.penalties++;
  }

  /** A sync peer that served what no honest peer serves: scored down, banned (as the NetworkDO does a bootstrap peer), its key banned. */
  private dropFaulty(url: string): void {
    const p = this.peers.find((x) => x.url === url);
    if (p === undefined) return;
    const until = this.ctx.sched.now + BAN_MS;
    p.score = peerAfterFault(p.score);
    p.bannedUntil = until;
    this.senders.set(p.publicKey, { score: 0, bannedUntil: until });
    this.ctx.metrics.faultyPeers++;
  }

  // -------------------------------------------------------------------------
  // sync

  private client(p: SimPeer): PeerClient {
    const { net, nodes } = this.ctx;
    const peer = nodes[p.index] as SimNode;
    return {
      url: p.url,
      status: () => net.request<PeerStatusView>(this.index, p.index, "sync.status", () => ({ value: peer.chain.status(), bytes: STATUS_BYTES }), DELIVERY_TIMEOUT_MS),
      headers: (from, to) => net.request(this.index, p.index, "sync.headers", () => peer.chain.headers(from, to), SYNC_REQUEST_TIMEOUT_MS),
      blocks: (from, to) => net.request(this.index, p.index, "sync.blocks", () => peer.chain.blocks(from, to), SYNC_REQUEST_TIMEOUT_MS),
    };
  }

  /** The NetworkDO's tick: every peer's status (liveness); a sync from those ahead (pollPeers: the slow ones do not hold it back). */
  syncNow(): void {
    if (this.polling) return;
    this.polling = true;
    this.ctx.sched.spawn(
      this.pollAndSync().finally(() => {
        this.polling = false;
      }),
    );
  }

  private async pollAndSync(): Promise<void> {
    const { sched } = this.ctx;
    const now = sched.now;
    const open = this.peers.filter((p) => !isBanned(p.bannedUntil, now));
    const ahead = await pollPeers(open, this.chain.status(), (p) => this.client(p).status(), this.wait(STATUS_WAIT_MS)).ahead;
    if (ahead.length > 0) await this.syncFrom(ahead);
  }

  /** Resolves after `ms` of simulated time. */
  private wait(ms: number): Promise<void> {
    const { sched } = this.ctx;
    return new Promise<void>((resolve) =>
      sched.after(ms, () => {
        sched.wake();
        resolve();
      }),
    );
  }

  /** Headers-first sync from these peers (the ChainDO's syncFrom: one at a time); faulty ones are dropped. */
  private syncFrom(peers: readonly SimPeer[]): Promise<void> {
    if (this.syncing !== null) return this.syncing;
    this.ctx.metrics.syncs++;
    this.syncing = syncFromPeers(
      this.chain.local(() => this.clock()),
      peers.map((p) => this.client(p)),
      { wait: () => this.wait(STATUS_WAIT_MS) },
    )
      .then((report) => {
        this.ctx.metrics.syncedBlocks += report.applied;
        for (const url of new Set(report.faulty)) this.dropFaulty(url);
      })
      .finally(() => {
        this.syncing = null;
      });
    return this.syncing;
  }

  // -------------------------------------------------------------------------
  // production

  /** The MempoolDO's alarm: a block from the pending transactions when this node's slot has come (buildBlock decides). */
  assemble(): void | Promise<void> {
    const { params, shared, sched, metrics, net } = this.ctx;
    const head = this.chain.head;
    if (this.mempool.size === 0 && !this.duties.waiting(head)) return;
    const rank = shared.rankOf(head, this.id.address);
    if (rank < 0) return;
    const candidates = this.mempool.candidates(head, params.maxTxsPerBlock);
    // before its carrier slot a block must carry enough verified work: only then is buildBlock worth its VRF proof
    const mayWork = (head.pending.work > 0n && head.pending.work >= head.difficulty.threshold) || candidates.some((t) => t.kind === "accept");
    const now = this.clock();
    const slot = head.tipTimestamp + slotDelayMs(rank, !mayWork, params);
    if (now < slot) {
      // too early: as the MempoolDO, wake at this node's next slot when it comes before the next assembly alarm
      const wake = nextSlotAt(head.tipTimestamp, rank, now, params);
      if (this.ctx.settings.slotAlarm && wake !== null && wake - now < this.ctx.settings.assembleMs && this.slotWake !== `${head.tipHash}:${wake}`) {
        this.slotWake = `${head.tipHash}:${wake}`;
        sched.after(wake - now, () => this.assemble());
      }
      return;
    }
    const built = buildBlock(head, candidates, params, { producerSecret: this.id.secret, timestamp: Math.max(now, head.tipTimestamp + 1) });
    if (!built.ok) return;
    const { block, rejected } = built.value;
    // the first verification of the block: every receiver's (SharedWork caches it)
    return (async () => {
      const verified = await shared.validate(head, block, now);
      if (!verified.ok) throw new Error(`a block this node built does not validate: ${verified.error.code} ${verified.error.message}`);
      this.mempool.refused(rejected, head);
      metrics.produced(block, sched.now, net.partitioned, this.index);
      const accepted = this.chain.accept(block, verified.value);
      if (!accepted.ok) throw new Error(`fork choice refused this node's own block: ${accepted.code}`);
      this.announce("block", block);
    })();
  }

  // -------------------------------------------------------------------------
  // transactions

  /** A transaction from a client (POST /tx): admitted, then announced. */
  submit(tx: Tx): DeliveryOutcome {
    const r = this.mempool.submit(tx, this.chain.head);
    if (r.ok) this.announce("tx", tx);
    return r;
  }

  private async submitOwn<K extends TxKind>(kind: K, body: TxBodies[K]): Promise<Hash | null> {
    const head = this.chain.head;
    const tx = createTx(kind, body as never, { secret: this.id.secret, nonce: this.mempool.nextNonce(this.id.address, head), network: this.ctx.params.network, fee: 0n });
    await this.ctx.shared.tx(tx);
    if (!this.submit(tx).ok) return null;
    this.ctx.metrics.txCreated(tx.kind);
    return tx.id;
  }
}
