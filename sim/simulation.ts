/**
 * One simulation run: N nodes on a devnet (or mainnet) chain, a workload of
 * transfers from wallets and optimae rounds on the quadratic domain, over
 * the simulated network, with an optional partition; then the report.
 * Deterministic for a seed: the same options give the same report (only
 * `wallSeconds` differs).
 */
import { genesisBlock } from "../core/genesis.ts";
import { createMessage } from "../core/envelope.ts";
import { compareHeads } from "../core/fork-choice.ts";
import { addressFromPublicKey, publicKeyFromSecret, secretFromSeedPhrase } from "../core/keys.ts";
import { COIN_UNIT, devnetParams, FIXED_ONE, mainnetParams } from "../core/params.ts";
import { valueText } from "../core/state-codec.ts";
import { stateEntries } from "../core/state-root.ts";
import type { ChainState } from "../core/types.ts";
import { createTx } from "../core/tx.ts";
import type { ChainParams, Hash } from "../core/types.ts";
import { headOf } from "../durable-objects/sync.ts";
import { createRng, deriveSeed, type Rng } from "../plugins/rng.ts";
import { CANONICAL_ROW_BYTES, TX_ROW_BYTES } from "./chain.ts";
import { Metrics, type BlockRecord } from "./metrics.ts";
import { SimNetwork, TRAFFIC, type Traffic } from "./network.ts";
import { SimNode, type Identity, type NodeContext } from "./node.ts";
import { Scheduler } from "./scheduler.ts";
import { SeenTable } from "./seen.ts";
import { SharedWork } from "./shared-work.ts";

export interface PartitionPlan {
  /** when the network splits, ms of simulated time */
  readonly atMs: number;
  /** when it heals */
  readonly healMs: number;
  /** share of the nodes on the first side */
  readonly fraction: number;
}

export interface SimOptions {
  readonly nodes: number;
  /** nodes that are genesis validators (the first ones); they produce and evaluate */
  readonly validators: number;
  /** gossip degree D */
  readonly degree: number;
  /** peers per node (a random graph of about this degree) */
  readonly peers: number;
  readonly seed: number;
  /** how long the workload runs, ms of simulated time */
  readonly durationMs: number;
  /** simulated time after the workload, for the network to settle */
  readonly settleMs: number;
  /** transfers per second, network-wide */
  readonly txRate: number;
  readonly wallets: number;
  /** validators that optimize (one optimizer round each every optimizeEveryMs) */
  readonly optimizers: number;
  readonly optimizeEveryMs: number;
  readonly loss: number;
  readonly jitter: number;
  readonly uplinkMbps: number;
  readonly blockProcessingMs: number;
  readonly txProcessingMs: number;
  readonly evaluateMs: number;
  readonly partition: PartitionPlan | null;
  readonly preset: "devnet" | "mainnet";
  /** producers also wake at their own slot (the node's policy); false, a what-if: only on the 1 s assembly alarm, as nodes did before */
  readonly slotAlarm: boolean;
}

export const DEFAULT_OPTIONS: SimOptions = {
  nodes: 100,
  validators: 100,
  degree: 8,
  peers: 32,
  seed: 1,
  durationMs: 90_000,
  settleMs: 30_000,
  txRate: 2,
  wallets: 100,
  optimizers: 4,
  optimizeEveryMs: 15_000,
  // a request between two nodes that fails outright (no answer before its timeout)
  loss: 0.001,
  jitter: 0.3,
  uplinkMbps: 100,
  // ≈ what node.blocks_applied_per_second and node.mempool_tx_per_second measure for one Durable Object
  blockProcessingMs: 35,
  txProcessingMs: 5,
  evaluateMs: 1_000,
  partition: { atMs: 40_000, healMs: 45_000, fraction: 0.5 },
  preset: "devnet",
  slotAlarm: true,
};

export interface SimReport {
  readonly options: SimOptions;
  readonly wallSeconds: number;
  readonly events: number;
  readonly blocks: {
    readonly produced: number;
    readonly height: number;
    /** blocks produced while the network was whole that did not end on the agreed chain, over those produced */
    readonly forkRate: number;
    readonly txsPerBlock: number;
  };
  readonly transactions: Readonly<Record<string, number>>;
  /** time until 50 / 95 / 100 % of nodes held a block (median over the blocks measured), and the worst time to 100 % */
  readonly propagation: { readonly blocks: number; readonly p50Ms: number; readonly p95Ms: number; readonly p100Ms: number; readonly p100MaxMs: number; readonly reachedAll: number };
  readonly messages: {
    readonly perNodePerTx: number;
    readonly perNodePerBlock: number;
    readonly duplicatesPerNodePerBlock: number;
    /** sync requests (status polls included) per node per second */
    readonly syncPerNodePerSecond: number;
    readonly bytesPerNodePerSecond: number;
    /** share of the other nodes that accepted each transaction / block from gossip (the rest: sync, or never) */
    readonly txReach: number;
    readonly blockReach: number;
    /** share of the accepted gossip deliveries that arrived after 0, 1, … hops (the last one relays no further) */
    readonly hopShare: readonly number[];
    /** gossip deliveries refused, by kind and code (a transaction already in a block the node holds: BAD_NONCE) */
    readonly refused: Readonly<Record<string, number>>;
    readonly byTraffic: Readonly<Record<Traffic, { messages: number; bytes: number; lost: number }>>;
  };
  /** syncs started (and by an unknown parent), blocks they applied, peers found faulty, senders penalized for invalid payloads */
  readonly sync: { readonly syncs: number; readonly triggers: number; readonly blocksViaSync: number; readonly viaSyncShare: number; readonly faultyPeers: number; readonly penalties: number };
  readonly partition: { readonly atMs: number; readonly healMs: number; readonly convergenceMs: number | null } | null;
  readonly storage: { readonly bytesPerNodePer1000Blocks: number; readonly stateBytes: number };
  /** every node's head on one chain at the end */
  readonly converged: boolean;
  readonly heightSpread: number;
  readonly validations: { readonly runs: number; readonly cached: number };
}

export interface Progress {
  readonly simMs: number;
  readonly height: number;
  readonly events: number;
  readonly wallSeconds: number;
}

function identity(name: string): Identity {
  const secret = secretFromSeedPhrase(name);
  const publicKey = publicKeyFromSecret(secret);
  return { secret, publicKey, address: addressFromPublicKey(publicKey) };
}

/** A random graph in which each node has about `degree` peers, links both ways. */
export function peerGraph(n: number, degree: number, rng: Rng): number[][] {
  const links: Set<number>[] = Array.from({ length: n }, () => new Set<number>());
  const want = Math.min(degree, n - 1);
  for (let i = 0; i < n; i++) {
    const mine = links[i] as Set<number>;
    for (let tries = 0; mine.size < want && tries < 8 * want; tries++) {
      const j = Math.floor(rng.next() * n);
      const theirs = links[j] as Set<number>;
      if (j === i || mine.has(j) || theirs.size >= want) continue;
      mine.add(j);
      theirs.add(i);
    }
  }
  return links.map((s) => [...s]);
}

function chainParams(options: SimOptions, validators: readonly Identity[], wallets: readonly Identity[]): ChainParams {
  const genesisAccounts = [
    ...validators.map((v) => ({ address: v.address, balance: 1_000n * COIN_UNIT, reputation: 5n * FIXED_ONE })),
    ...wallets.map((w) => ({ address: w.address, balance: 1_000n * COIN_UNIT, reputation: 0n })),
  ];
  const base = options.preset === "mainnet" ? mainnetParams("doin-sim") : devnetParams({ network: "doin-sim" });
  return { ...base, genesisAccounts };
}

export async function runSimulation(options: SimOptions, onProgress?: (p: Progress) => void): Promise<SimReport> {
  const started = performance.now();
  const n = options.nodes;
  if (!(n >= 2 && options.validators >= 1 && options.validators <= n)) throw new RangeError("need at least 2 nodes and 1..nodes validators");
  const rng = createRng(options.seed);
  const sched = new Scheduler();
  const ids = Array.from({ length: n }, (_, i) => identity(`doin-sim-node-${i}`));
  const wallets = Array.from({ length: options.wallets }, (_, i) => identity(`doin-sim-wallet-${i}`));
  const params = chainParams(options, ids.slice(0, options.validators), wallets);
  const genesis = genesisBlock(params);
  const net = new SimNetwork(sched, createRng(deriveSeed(options.seed, 1)), n, { jitter: options.jitter, loss: options.loss, uplinkBytesPerMs: (options.uplinkMbps * 1e6) / 8 / 1000 });
  const metrics = new Metrics();
  const shared = new SharedWork(sched, params);
  const probe = createMessage("tx", {}, { secret: (ids[0] as Identity).secret, network: params.network, nowMs: params.genesisTimestamp });
  const nodes: SimNode[] = [];
  const ctx: NodeContext = {
    sched,
    net,
    shared,
    seen: new SeenTable(n),
    metrics,
    params,
    settings: {
      degree: options.degree,
      tickMs: 5_000,
      assembleMs: 1_000,
      slotAlarm: options.slotAlarm,
      blockProcessingMs: options.blockProcessingMs,
      txProcessingMs: options.txProcessingMs,
      evaluateMs: options.evaluateMs,
    },
    nodes,
    envelopeBytes: JSON.stringify(probe).length - 2,
    genesis,
  };
  for (let i = 0; i < n; i++) nodes.push(new SimNode(ctx, i, ids[i] as Identity, createRng(deriveSeed(options.seed, 2, i))));
  const graph = peerGraph(n, options.peers, createRng(deriveSeed(options.seed, 3)));
  for (let i = 0; i < n; i++) {
    const node = nodes[i] as SimNode;
    for (const j of graph[i] as number[]) node.peers.push({ index: j, url: (nodes[j] as SimNode).url, publicKey: (ids[j] as Identity).publicKey, score: 0, bannedUntil: null });
  }

  // the nodes' timers, each at its own phase
  for (let i = 0; i < n; i++) {
    const node = nodes[i] as SimNode;
    sched.every(ctx.settings.tickMs, rng.next() * ctx.settings.tickMs, () => node.syncNow());
    if (i < options.validators) sched.every(ctx.settings.assembleMs, rng.next() * ctx.settings.assembleMs, () => node.assemble());
  }
  const optimizers = Array.from({ length: Math.min(options.optimizers, options.validators) }, (_, k) => nodes[Math.floor((k * options.validators) / Math.max(1, options.optimizers))] as SimNode);
  for (const node of optimizers) {
    sched.every(options.optimizeEveryMs, rng.next() * options.optimizeEveryMs, () => (sched.now < options.durationMs ? node.duties.optimize() : undefined));
  }
  sched.every(60_000, 60_000, () => ctx.seen.expire(sched.now));

  // transfers: Poisson arrivals at txRate, each from a random wallet through a random node
  const next = new Map<number, number>();
  const load = createRng(deriveSeed(options.seed, 4));
  const transfer = async (): Promise<void> => {
    const w = Math.floor(load.next() * wallets.length);
    const node = nodes[Math.floor(load.next() * n)] as SimNode;
    const wallet = wallets[w] as Identity;
    const applied = node.chain.head.accounts.get(wallet.address)?.nonce ?? 0;
    const nonce = Math.max(next.get(w) ?? 1, applied + 1);
    if (nonce > applied + 16) return; // this wallet waits for its earlier transfers
    const to = wallets[(w + 1 + Math.floor(load.next() * (wallets.length - 1))) % wallets.length] as Identity;
    const tx = createTx("transfer", { to: to.address, amount: 1_000n }, { secret: wallet.secret, nonce, network: params.network, fee: 0n });
    await shared.tx(tx);
    if (node.submit(tx).ok) {
      next.set(w, nonce + 1);
      metrics.txCreated("transfer");
    }
  };
  if (options.txRate > 0 && wallets.length > 1) {
    const arrive = (): void | Promise<void> => {
      const gap = (-Math.log(1 - load.next()) / options.txRate) * 1000;
      if (sched.now + gap < options.durationMs) sched.after(gap, arrive);
      return transfer();
    };
    sched.at(0, arrive);
  }

  // the partition, and the time until every head is on one chain again
  let convergenceMs: number | null = null;
  const plan = options.partition;
  if (plan !== null) {
    sched.at(plan.atMs, () => {
      const group = new Int32Array(n);
      const order = Array.from({ length: n }, (_, i) => i);
      for (let i = n - 1; i > 0; i--) {
        const j = Math.floor(rng.next() * (i + 1));
        [order[i], order[j]] = [order[j] as number, order[i] as number];
      }
      order.forEach((node, k) => (group[node] = k < Math.round(plan.fraction * n) ? 0 : 1));
      net.setPartition(group);
    });
    sched.at(plan.healMs, () => {
      net.setPartition(null);
      const check = (): void => {
        if (agreed(nodes, metrics.blocks)) convergenceMs = sched.now - plan.healMs;
        else sched.after(100, check);
      };
      check();
    });
  }

  const end = options.durationMs + options.settleMs;
  for (let t = 10_000; ; t += 10_000) {
    await sched.run(Math.min(t, end));
    onProgress?.({ simMs: sched.now, height: (nodes[0] as SimNode).chain.head.height, events: sched.executed, wallSeconds: (performance.now() - started) / 1000 });
    if (t >= end) break;
  }
  return report(options, { nodes, metrics, net, shared, sched, started, convergenceMs, params });
}

/** Whether every node's head lies on one chain (each is the highest head or one of its ancestors). */
export function agreed(nodes: readonly SimNode[], blocks: ReadonlyMap<Hash, BlockRecord>): boolean {
  let top = (nodes[0] as SimNode).chain.head;
  let low = top.height;
  for (const node of nodes) {
    const h = node.chain.head;
    if (h.height > top.height) top = h;
    low = Math.min(low, h.height);
  }
  const onChain = new Set<Hash>();
  for (let hash: Hash | undefined = top.tipHash; hash !== undefined;) {
    onChain.add(hash);
    const b = blocks.get(hash);
    if (b === undefined || b.height <= low) break;
    hash = b.parent;
  }
  return nodes.every((node) => onChain.has(node.chain.head.tipHash) || node.chain.head.height === 0);
}

function median(xs: readonly number[]): number {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
}

function report(
  options: SimOptions,
  run: { nodes: SimNode[]; metrics: Metrics; net: SimNetwork; shared: SharedWork; sched: Scheduler; started: number; convergenceMs: number | null; params: ChainParams },
): SimReport {
  const { nodes, metrics, net } = run;
  const n = nodes.length;
  // the agreed chain: the best head by fork choice, and its ancestors
  let best = nodes[0] as SimNode;
  for (const node of nodes) if (compareHeads(headOf(node.chain.status()), headOf(best.chain.status())) > 0) best = node;
  const canonical = new Set<Hash>();
  for (let h = best.chain.head.height; h > 0; h--) canonical.add(best.chain.canonicalHash(h) as Hash);

  // blocks produced while the network was whole (not in the 10 s before a partition, nor until agreement after it), with time to spread
  const plan = options.partition;
  const disturbed = (t: number): boolean => plan !== null && t >= plan.atMs - 10_000 && t < plan.healMs + (run.convergenceMs ?? Infinity);
  const whole = [...metrics.blocks.values()].filter((b) => !disturbed(b.producedAt) && b.producedAt <= options.durationMs + options.settleMs - 10_000);
  const measured = whole.filter((b) => canonical.has(b.hash));
  const at = (b: BlockRecord, q: number): number | null => {
    const k = Math.max(1, Math.ceil(q * n));
    return b.held.length >= k ? (b.held[k - 1] as number) - b.producedAt : null;
  };
  const times = (q: number) => measured.map((b) => at(b, q)).filter((x): x is number => x !== null);
  const full = times(1);

  const counts = Object.fromEntries(TRAFFIC.map((t) => [t, { ...(net.counts.get(t) as { messages: number; bytes: number; lost: number }) }])) as Record<
    Traffic,
    { messages: number; bytes: number; lost: number }
  >;
  const seconds = run.sched.now / 1000;
  const produced = metrics.blocks.size;
  const syncMessages = counts["sync.status"].messages + counts["sync.headers"].messages + counts["sync.blocks"].messages;
  let bytes = 0;
  for (const t of TRAFFIC) bytes += counts[t].bytes;
  const holds = [...metrics.blocks.values()].reduce((s, b) => s + b.held.length, 0);

  // bytes a node stores per 1,000 blocks of the chain it follows: blocks (forks included) with their rows, the canonical and transaction indexes
  const perNode = nodes.map((node) => {
    const height = node.chain.head.height;
    let txs = 0;
    for (let h = 1; h <= height; h++) txs += run.shared.stored(node.chain.canonicalHash(h) as Hash)?.block.txs.length ?? 0;
    return height === 0 ? 0 : ((node.chain.blockBytes + height * CANONICAL_ROW_BYTES + txs * TX_ROW_BYTES) / height) * 1000;
  });
  const canonicalBlocks = [...canonical].map((h) => run.shared.stored(h)?.block.txs.length ?? 0);
  const heights = nodes.map((node) => node.chain.head.height);

  return {
    options,
    wallSeconds: (performance.now() - run.started) / 1000,
    events: run.sched.executed,
    blocks: {
      produced,
      height: best.chain.head.height,
      forkRate: whole.length === 0 ? 0 : whole.filter((b) => !canonical.has(b.hash)).length / whole.length,
      txsPerBlock: canonicalBlocks.length === 0 ? 0 : canonicalBlocks.reduce((a, b) => a + b, 0) / canonicalBlocks.length,
    },
    transactions: Object.fromEntries(metrics.txs),
    propagation: {
      blocks: measured.length,
      p50Ms: median(times(0.5)),
      p95Ms: median(times(0.95)),
      p100Ms: median(full),
      p100MaxMs: full.length === 0 ? Number.NaN : Math.max(...full),
      reachedAll: measured.length === 0 ? 0 : full.length / measured.length,
    },
    messages: {
      perNodePerTx: metrics.txTotal === 0 ? 0 : counts["gossip.tx"].messages / n / metrics.txTotal,
      perNodePerBlock: produced === 0 ? 0 : counts["gossip.block"].messages / n / produced,
      duplicatesPerNodePerBlock: produced === 0 ? 0 : metrics.duplicates.block / n / produced,
      syncPerNodePerSecond: syncMessages / n / seconds,
      bytesPerNodePerSecond: bytes / n / seconds,
      txReach: metrics.txTotal === 0 ? 0 : metrics.accepted.tx / (n - 1) / metrics.txTotal,
      blockReach: produced === 0 ? 0 : metrics.accepted.block / (n - 1) / produced,
      refused: Object.fromEntries(metrics.refused),
      hopShare: Array.from(metrics.acceptedAtHop, (x) => (x ?? 0) / Math.max(1, metrics.accepted.tx + metrics.accepted.block)),
      byTraffic: counts,
    },
    sync: {
      syncs: metrics.syncs,
      triggers: metrics.syncTriggers,
      blocksViaSync: metrics.syncedBlocks,
      viaSyncShare: holds === 0 ? 0 : metrics.syncedBlocks / holds,
      faultyPeers: metrics.faultyPeers,
      penalties: metrics.penalties,
    },
    partition: plan === null ? null : { atMs: plan.atMs, healMs: plan.healMs, convergenceMs: run.convergenceMs },
    storage: { bytesPerNodePer1000Blocks: median(perNode), stateBytes: stateBytes(best.chain.head) },
    converged: agreed(nodes, metrics.blocks),
    heightSpread: Math.max(...heights) - Math.min(...heights),
    validations: { runs: run.shared.validations, cached: run.shared.validationHits },
  };
}

/** The state's leaves as stored: each value's canonical text and its 32-byte key. */
function stateBytes(state: ChainState): number {
  let n = 0;
  for (const e of stateEntries(state)) n += valueText(e).length + 32;
  return n;
}
