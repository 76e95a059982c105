/** The node's gossip policy (durable-objects/gossip.ts) and the status poll (sync.ts pollPeers), as pure functions. */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ADMISSION_CODES } from "../../core/admission.ts";
import {
  afterDelivery,
  BAN_MS,
  DEFAULT_GOSSIP_DEGREE,
  MAX_HOPS,
  parseGossipDegree,
  peerAfterInvalid,
  relayTargets,
  sample,
  senderAfterInvalid,
  type GossipPeer,
} from "../../durable-objects/gossip.ts";
import { pollPeers, type HeadStatus } from "../../durable-objects/sync.ts";
import { createRng } from "../../plugins/rng.ts";

const STATEFUL = new Set<string>(ADMISSION_CODES);
const peer = (i: number, bannedUntil: number | null = null): GossipPeer => ({ url: `http://p${i}.test`, publicKey: `k${i}`, bannedUntil });

describe("relay targets", () => {
  it("are at most D distinct eligible peers: never the sender, never a banned peer; all of them, in order, when there are no more than D", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 80 }), fc.integer({ min: 1, max: 64 }), fc.integer(), fc.integer({ min: -1, max: 79 }), (n, degree, seed, senderIndex) => {
        const now = 1_000;
        const peers = Array.from({ length: n }, (_, i) => peer(i, i % 7 === 3 ? now + 1 : i % 7 === 4 ? now - 1 : null));
        const rng = createRng(seed);
        const except = senderIndex >= 0 ? `k${senderIndex}` : null;
        const targets = relayTargets(peers, { degree, except, nowMs: now, random: () => rng.next() });
        const eligible = peers.filter((p, i) => i % 7 !== 3 && p.publicKey !== except);
        expect(targets.length).toBe(Math.min(degree, eligible.length));
        expect(new Set(targets).size).toBe(targets.length);
        for (const t of targets) expect(eligible).toContain(t);
        if (eligible.length <= degree) expect(targets).toEqual(eligible);
      }),
    );
  });

  it("draw every peer equally often (8 of 64, 20,000 draws: each peer's count within 5 % of 2,500)", () => {
    const peers = Array.from({ length: 64 }, (_, i) => i);
    const rng = createRng(7);
    const counts = new Array<number>(64).fill(0);
    for (let k = 0; k < 20_000; k++) for (const p of sample(peers, 8, () => rng.next())) counts[p] = (counts[p] as number) + 1;
    for (const c of counts) expect(Math.abs(c - 2_500)).toBeLessThan(125);
  });
});

describe("after a delivery", () => {
  it("relays what was accepted, up to the hop limit; never what was refused", () => {
    expect(afterDelivery("block", 0, { ok: true, code: null }, STATEFUL)).toEqual({ relay: true, penalize: false, sync: false });
    expect(afterDelivery("tx", MAX_HOPS - 1, { ok: true, code: null }, STATEFUL).relay).toBe(true);
    expect(afterDelivery("tx", MAX_HOPS, { ok: true, code: null }, STATEFUL).relay).toBe(false);
    expect(afterDelivery("peers", 0, { ok: true, code: null }, STATEFUL).relay).toBe(false);
    expect(afterDelivery("block", 0, { ok: false, code: "BAD_STATE_ROOT" }, STATEFUL).relay).toBe(false);
  });

  it("holds invalid payloads against their sender, but not stale ones, nor a relayed transaction the relayer's chain state may excuse", () => {
    expect(afterDelivery("block", 1, { ok: false, code: "BAD_SIGNATURE" }, STATEFUL).penalize).toBe(true);
    for (const code of ["ALREADY_KNOWN", "UNKNOWN_PARENT", "BELOW_FINALITY", "BAD_NONCE", "BAD_TIMESTAMP"]) expect(afterDelivery("block", 1, { ok: false, code }, STATEFUL).penalize).toBe(false);
    const stateful = ADMISSION_CODES[0] as string;
    expect(afterDelivery("tx", 1, { ok: false, code: stateful }, STATEFUL).penalize).toBe(false);
    expect(afterDelivery("block", 1, { ok: false, code: stateful }, STATEFUL).penalize).toBe(true);
  });

  it("syncs on a block whose parent is unknown, and only then", () => {
    expect(afterDelivery("block", 2, { ok: false, code: "UNKNOWN_PARENT" }, STATEFUL).sync).toBe(true);
    expect(afterDelivery("tx", 2, { ok: false, code: "UNKNOWN_PARENT" }, STATEFUL).sync).toBe(false);
    expect(afterDelivery("block", 2, { ok: false, code: "ALREADY_KNOWN" }, STATEFUL).sync).toBe(false);
  });
});

describe("scoring", () => {
  it("bans a sender at its third invalid payload for BAN_MS, its score reset; peers bottom out at −100", () => {
    const first = senderAfterInvalid(0, 5);
    const second = senderAfterInvalid(first.score, 5);
    const third = senderAfterInvalid(second.score, 5);
    expect([first, second]).toEqual([
      { score: -20, bannedUntil: null },
      { score: -40, bannedUntil: null },
    ]);
    expect(third).toEqual({ score: 0, bannedUntil: 5 + BAN_MS });
    expect(peerAfterInvalid(-90)).toBe(-100);
  });

  it("GOSSIP_DEGREE: 1..64, 8 when empty, null otherwise", () => {
    expect(parseGossipDegree(undefined)).toBe(DEFAULT_GOSSIP_DEGREE);
    expect(parseGossipDegree(" 12 ")).toBe(12);
    for (const bad of ["0", "65", "1.5", "x", "-3"]) expect(parseGossipDegree(bad)).toBeNull();
  });
});

describe("the status poll", () => {
  const mine: HeadStatus = { genesis: "g", tip: "a".repeat(64), height: 5, cumulativeWork: "10", weight: 10, beacon: "5".repeat(64) };
  const at = (h: Partial<HeadStatus>): HeadStatus => ({ ...mine, ...h });

  it("syncs from the peers of our genesis whose head beats ours, without waiting for those that do not answer", async () => {
    let release: () => void = () => undefined;
    const wait = new Promise<void>((resolve) => (release = resolve));
    const answers: Record<string, Promise<HeadStatus | null>> = {
      heavier: Promise.resolve(at({ cumulativeWork: "11", height: 4 })),
      weightier: Promise.resolve(at({ weight: 11 })),
      same: Promise.resolve(mine),
      lower: Promise.resolve(at({ cumulativeWork: "9", height: 9 })),
      foreign: Promise.resolve(at({ genesis: "other", cumulativeWork: "99" })),
      silent: new Promise(() => undefined),
      failing: Promise.reject(new Error("down")),
    };
    const poll = pollPeers(Object.keys(answers), mine, (p) => answers[p] as Promise<HeadStatus | null>, wait);
    let settled = false;
    void poll.ahead.then(() => (settled = true));
    await new Promise((r) => setTimeout(r, 20));
    expect(settled).toBe(false); // the silent peer holds it until the wait is over
    release();
    expect((await poll.ahead).sort()).toEqual(["heavier", "weightier"]);
  });
});
