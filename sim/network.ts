/**
 * The simulated network between nodes 0..N−1:
 * - latency: each node lives in one of five regions; a message's one-way
 *   delay is its regions' base delay (rough halves of typical round trips
 *   between cloud regions) times a log-normal factor exp(σ·Z), Z ~ N(0, 1);
 * - bandwidth: each node has one uplink (bytes per ms); what it sends is
 *   serialized on it one message after another, so sending a block to more
 *   peers delays the last copy;
 * - losses: each message is lost with probability `loss`; the sender learns
 *   it after its timeout (an HTTP request that gets no answer);
 * - partitions: while set, messages between groups are lost the same way.
 * Every message is counted by traffic class (messages, bytes, lost).
 */
import type { Rng } from "../plugins/rng.ts";
import type { Scheduler } from "./scheduler.ts";

export const REGIONS = ["us-east", "us-west", "europe", "asia", "south-america"] as const;

/** One-way base delay between regions, ms. */
const REGION_DELAY_MS: readonly (readonly number[])[] = [
  [5, 35, 40, 90, 60],
  [35, 5, 70, 60, 85],
  [40, 70, 5, 110, 100],
  [90, 60, 110, 5, 150],
  [60, 85, 100, 150, 5],
];

export type Traffic = "gossip.tx" | "gossip.block" | "sync.status" | "sync.headers" | "sync.blocks";
export const TRAFFIC: readonly Traffic[] = ["gossip.tx", "gossip.block", "sync.status", "sync.headers", "sync.blocks"];

export interface NetworkModel {
  /** σ of the log-normal factor on each message's delay */
  readonly jitter: number;
  /** probability that a message is lost */
  readonly loss: number;
  /** each node's uplink, bytes per ms (12,500 = 100 Mbit/s) */
  readonly uplinkBytesPerMs: number;
}

export interface TrafficCount {
  messages: number;
  bytes: number;
  lost: number;
}

/** Bytes of a request line and headers (a GET or the start of a POST). */
const REQUEST_OVERHEAD_BYTES = 200;

export class SimNetwork {
  readonly region: Uint8Array;
  private readonly uplinkFree: Float64Array;
  private group: Int32Array | null = null;
  readonly counts = new Map<Traffic, TrafficCount>(TRAFFIC.map((t) => [t, { messages: 0, bytes: 0, lost: 0 }]));

  constructor(
    private readonly sched: Scheduler,
    private readonly rng: Rng,
    readonly size: number,
    private readonly model: NetworkModel,
  ) {
    this.region = new Uint8Array(size);
    for (let i = 0; i < size; i++) this.region[i] = Math.floor(rng.next() * REGIONS.length);
    this.uplinkFree = new Float64Array(size);
  }

  /** Splits the nodes into groups (group[i] for node i) that cannot reach each other; null heals. */
  setPartition(group: Int32Array | null): void {
    this.group = group;
  }

  get partitioned(): boolean {
    return this.group !== null;
  }

  reachable(a: number, b: number): boolean {
    return this.group === null || this.group[a] === this.group[b];
  }

  /** The one-way delay of a message of `bytes` from `a`, sent now, to `b`: its wait and serialization on a's uplink, then the link. */
  private transit(a: number, b: number, bytes: number): number {
    const start = Math.max(this.sched.now, this.uplinkFree[a] as number);
    const sent = start + bytes / this.model.uplinkBytesPerMs;
    this.uplinkFree[a] = sent;
    const base = (REGION_DELAY_MS[this.region[a] as number] as readonly number[])[this.region[b] as number] as number;
    return sent - this.sched.now + base * Math.exp(this.model.jitter * this.rng.normal());
  }

  private count(traffic: Traffic, bytes: number): TrafficCount {
    const c = this.counts.get(traffic) as TrafficCount;
    c.messages++;
    c.bytes += bytes;
    return c;
  }

  private lost(a: number, b: number): boolean {
    return !this.reachable(a, b) || this.rng.next() < this.model.loss;
  }

  /**
   * A one-way message (a gossip POST): `deliver` runs at its arrival, or,
   * when it is lost, `failed` runs once the sender's `timeoutMs` passed.
   */
  post(from: number, to: number, traffic: Traffic, bytes: number, deliver: () => void | Promise<void>, failed: () => void, timeoutMs: number): void {
    const c = this.count(traffic, bytes + REQUEST_OVERHEAD_BYTES);
    const delay = this.transit(from, to, bytes + REQUEST_OVERHEAD_BYTES);
    if (this.lost(from, to)) {
      c.lost++;
      this.sched.after(timeoutMs, failed);
      return;
    }
    this.sched.after(delay, deliver);
  }

  /**
   * A request and its answer (a sync GET): `serve` runs at the server when
   * the request arrives; the promise resolves when the answer is back, or
   * rejects after `timeoutMs` when either is lost.
   */
  request<T>(from: number, to: number, traffic: Traffic, serve: () => { value: T; bytes: number }, timeoutMs: number): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const c = this.count(traffic, REQUEST_OVERHEAD_BYTES);
      const timeout = (): void => {
        this.sched.wake();
        reject(new Error(`simulated request to node ${to} timed out after ${timeoutMs} ms`));
      };
      const there = this.transit(from, to, REQUEST_OVERHEAD_BYTES);
      if (this.lost(from, to)) {
        c.lost++;
        this.sched.after(timeoutMs, timeout);
        return;
      }
      const sentAt = this.sched.now;
      this.sched.after(there, () => {
        const answer = serve();
        c.bytes += answer.bytes;
        const back = this.transit(to, from, answer.bytes);
        if (this.lost(to, from)) {
          c.lost++;
          this.sched.at(Math.max(this.sched.now, sentAt + timeoutMs), timeout);
          return;
        }
        this.sched.after(back, () => {
          this.sched.wake();
          resolve(answer.value);
        });
      });
    });
  }
}
