/**
 * The mempool's policy in Node (durable-objects/mempool-policy.ts): the same
 * functions MempoolDO calls, without workerd.
 */
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { COIN_UNIT, devnetParams } from "../../core/params.ts";
import {
  evictionPlan,
  isTemporary,
  MAX_BASE_FEE,
  MIN_BASE_FEE,
  planCandidates,
  referenceOf,
  replacementMinFee,
  spendOfWire,
  suggestFees,
  type PendingRow,
} from "../../durable-objects/mempool-policy.ts";

const row = (sender: string, nonce: number, fee: bigint, at = 0, size = 100): PendingRow => ({
  id: `${sender}-${nonce}-${fee}`,
  sender,
  nonce,
  fee: fee.toString(),
  kind: "transfer",
  size,
  received_at: at,
});

describe("planCandidates", () => {
  it("takes each sender's contiguous run from the chain's nonce + 1 and interleaves senders by the fee of their next tx", () => {
    const rows = [row("a", 1, 5n), row("a", 2, 50n), row("a", 4, 100n), row("b", 1, 10n), row("b", 2, 1n), row("c", 3, 99n)];
    const plan = planCandidates(rows, new Map([["c", 1]]), 10);
    // a's nonce 4 waits for 3; c's 3 waits for 2; b (10) goes before a (5), then a's 2 (50) before b's 2 (1)
    expect(plan.chosen.map((r) => r.id)).toEqual(["b-1-10", "a-1-5", "a-2-50", "b-2-1"]);
    expect(plan.stale).toEqual([]);
  });

  it("reports as stale what the chain already applied, and stops at max", () => {
    const rows = [row("a", 1, 1n), row("a", 2, 1n), row("a", 3, 1n), row("b", 1, 2n)];
    const plan = planCandidates(rows, new Map([["a", 2]]), 1);
    expect(plan.stale.map((r) => r.id)).toEqual(["a-1-1", "a-2-1"]);
    expect(plan.chosen.map((r) => r.id)).toEqual(["b-1-2"]);
  });

  it("breaks fee ties by age, then id", () => {
    const plan = planCandidates([row("x", 1, 7n, 20), row("y", 1, 7n, 10), row("z", 1, 7n, 10)], new Map(), 3);
    expect(plan.chosen.map((r) => r.sender)).toEqual(["y", "z", "x"]);
  });

  it("property: every chosen tx is contiguous for its sender, nonces ascend, at most max, highest next fee first", () => {
    const arb = fc.array(fc.record({ sender: fc.constantFrom("a", "b", "c", "d"), nonce: fc.integer({ min: 1, max: 8 }), fee: fc.bigInt({ min: 0n, max: 1000n }) }), { maxLength: 40 });
    fc.assert(
      fc.property(arb, fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 50 }), (items, applied, max) => {
        const seen = new Set<string>();
        const rows = items
          .filter((i) => !seen.has(`${i.sender}/${i.nonce}`) && seen.add(`${i.sender}/${i.nonce}`))
          .map((i) => row(i.sender, i.nonce, i.fee))
          .sort((x, y) => (x.sender < y.sender ? -1 : x.sender > y.sender ? 1 : x.nonce - y.nonce));
        const nonces = new Map([["a", applied]]);
        const plan = planCandidates(rows, nonces, max);
        expect(plan.chosen.length).toBeLessThanOrEqual(max);
        const last = new Map<string, number>();
        for (const r of plan.chosen) {
          const expected = (last.get(r.sender) ?? nonces.get(r.sender) ?? 0) + 1;
          expect(r.nonce).toBe(expected);
          last.set(r.sender, r.nonce);
        }
        for (const r of plan.stale) expect(r.nonce).toBeLessThanOrEqual(nonces.get(r.sender) ?? 0);
      }),
    );
  });
});

describe("replacement, eviction, fees", () => {
  it("a replacement pays 10 % more, rounded up, and strictly more", () => {
    expect(replacementMinFee(100n)).toBe(110n);
    expect(replacementMinFee(101n)).toBe(112n);
    expect(replacementMinFee(0n)).toBe(1n);
    expect(replacementMinFee(1n)).toBe(2n);
  });

  it("fits without eviction while under both bounds", () => {
    let read = false;
    const r = evictionPlan({ fee: 1n, size: 10, replaces: null }, { count: 1, bytes: 10, maxTxs: 5, maxBytes: 100 }, () => {
      read = true;
      return [];
    });
    expect(r).toEqual({ ok: true, evicted: [], freedBytes: 0 });
    expect(read).toBe(false);
  });

  it("evicts the cheapest per byte only for a newcomer paying strictly more per byte than each", () => {
    const cheapest = [row("a", 1, 1n, 0, 100), row("b", 1, 2n, 0, 100), row("c", 1, 50n, 0, 100)];
    const pool = { count: 3, bytes: 300, maxTxs: 3, maxBytes: 10_000 };
    expect(evictionPlan({ fee: 2n, size: 100, replaces: null }, pool, () => cheapest)).toEqual({ ok: true, evicted: ["a-1-1"], freedBytes: 100 });
    // the same rate as the cheapest does not evict it
    expect(evictionPlan({ fee: 1n, size: 100, replaces: null }, pool, () => cheapest).ok).toBe(false);
    // by bytes: room for 250 bytes needs two evictions, the second must be cheaper per byte too
    const byBytes = { count: 3, bytes: 300, maxTxs: 100, maxBytes: 400 };
    expect(evictionPlan({ fee: 10n, size: 250, replaces: null }, byBytes, () => cheapest)).toEqual({ ok: true, evicted: ["a-1-1", "b-1-2"], freedBytes: 200 });
    expect(evictionPlan({ fee: 10n, size: 500, replaces: null }, byBytes, () => cheapest)).toMatchObject({ ok: false, message: expect.stringContaining("holds at most 400") });
    // the tx being replaced is never counted as an eviction
    expect(evictionPlan({ fee: 3n, size: 100, replaces: "a-1-1" }, { count: 2, bytes: 200, maxTxs: 2, maxBytes: 10_000 }, () => cheapest)).toEqual({ ok: true, evicted: ["b-1-2"], freedBytes: 100 });
  });

  it("fees: 0.001 DOIN × (9/8)^k with the reference's tips, capped at 100 DOIN; an eviction floor only when full", () => {
    const p = { maxTxsPerBlock: 200, maxTxBytes: 8_192 };
    const empty = suggestFees({ count: 0, bytes: 0, maxTxs: 5_000, maxBytes: 8 << 20 }, p, undefined);
    expect(empty).toMatchObject({ baseFee: MIN_BASE_FEE.toString(), low: "110000", normal: "150000", high: "200000", urgent: "300000", backlogBlocks: 0, evictionFloor: null });
    const two = suggestFees({ count: 200, bytes: 20_000, maxTxs: 5_000, maxBytes: 8 << 20 }, p, { fee: "1", size: 100 });
    expect(BigInt(two.baseFee)).toBe((((MIN_BASE_FEE * 9n) / 8n) * 9n) / 8n);
    expect(two.evictionFloor).toBeNull();
    const full = suggestFees({ count: 20_000, bytes: 500_000, maxTxs: 20_000, maxBytes: 8 << 20 }, p, { fee: "7", size: 90 });
    expect(BigInt(full.baseFee)).toBe(MAX_BASE_FEE);
    expect(full.fullnessPpm).toBe(1_000_000);
    expect(full.evictionFloor).toEqual({ fee: "7", size: 90 });
  });

  it("spend of a stored wire: fee, plus a transfer's amount or a commit's bond", () => {
    const params = devnetParams();
    expect(spendOfWire(JSON.stringify({ kind: "transfer", fee: "3", body: { amount: "5" } }), params)).toBe(8n);
    expect(spendOfWire(JSON.stringify({ kind: "commit", fee: "3", body: { domain: "quadratic" } }), params)).toBe(3n + COIN_UNIT);
    expect(spendOfWire(JSON.stringify({ kind: "vote", fee: "3", body: {} }), params)).toBe(3n);
  });
});

describe("isTemporary", () => {
  const none = (): boolean => false;
  it("keeps the codes a later block may cure, a future nonce, and a reference still pending or just included", () => {
    expect(isTemporary("REVEAL_TOO_EARLY", { nonce: 1, appliedNonce: 0, ref: null }, new Set(), none)).toBe(true);
    expect(isTemporary("BAD_NONCE", { nonce: 5, appliedNonce: 3, ref: null }, new Set(), none)).toBe(true);
    expect(isTemporary("BAD_NONCE", { nonce: 3, appliedNonce: 3, ref: null }, new Set(), none)).toBe(false);
    expect(isTemporary("UNKNOWN_COMMIT", { nonce: 1, appliedNonce: 0, ref: "c1" }, new Set(["c1"]), none)).toBe(true);
    expect(isTemporary("UNKNOWN_OPTIMAE", { nonce: 1, appliedNonce: 0, ref: "o1" }, new Set(), (id) => id === "o1")).toBe(true);
    expect(isTemporary("UNKNOWN_OPTIMAE", { nonce: 1, appliedNonce: 0, ref: "o2" }, new Set(), (id) => id === "o1")).toBe(false);
    expect(isTemporary("INSUFFICIENT_BALANCE", { nonce: 1, appliedNonce: 0, ref: null }, new Set(), none)).toBe(false);
  });
  it("reads the reference a refusal names from the wire body", () => {
    expect(referenceOf("UNKNOWN_COMMIT", { body: { commit: "c" } })).toBe("c");
    expect(referenceOf("UNKNOWN_OPTIMAE", { body: { optimae: "o" } })).toBe("o");
    expect(referenceOf("UNKNOWN_OPTIMAE", { body: {} })).toBeNull();
  });
});
