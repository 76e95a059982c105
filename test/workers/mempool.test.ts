// MempoolDO in workerd, against a fake chain installed in the object (the
// ChainDO's four RPC methods): admission checks in order, bounds and
// eviction, replacement by fee, candidate order, assembly, the alarm, and
// persistence across an eviction. mempool-chain.test.ts runs it against the
// real ChainDO.
import { env, evictDurableObject, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { createTx, txSize } from "../../core/tx.ts";
import type { Tx } from "../../core/types.ts";
import { ASSEMBLE_INTERVAL_MS, type MempoolDO } from "../../durable-objects/mempool.ts";
import { MAX_NONCE_AHEAD, MIN_BASE_FEE } from "../../durable-objects/mempool-policy.ts";
import { failure, success } from "../../durable-objects/rpc.ts";
import { BOND, commit, FakeChain, fresh, key, NETWORK, NODE_ADDRESS, transfer, useChain, wire } from "./mempool-helpers.ts";

let n = 0;
/** A fresh MempoolDO with a fake chain and no automatic assembly. */
async function pool(chain = new FakeChain(), config: { maxTxs?: number; maxBytes?: number; autoAssemble?: boolean } = {}) {
  const stub = env.MEMPOOL.get(env.MEMPOOL.idFromName(`unit-${++n}`));
  await useChain(stub, chain);
  await stub.configureForTest({ autoAssemble: false, ...config });
  return { stub, chain };
}

async function count(stub: DurableObjectStub<MempoolDO>): Promise<number> {
  const n = await stub.size();
  const usage = await stub.usage();
  expect(usage.ok && usage.value.count).toBe(n);
  return n;
}

function ids(list: readonly string[]): string[] {
  return list.map((t) => (JSON.parse(t) as { id: string }).id);
}

describe("MempoolDO: admission", () => {
  it("accepts a signed fee-0 commit from a key that holds its bond, and serves it back", async () => {
    const { stub } = await pool();
    const tx = commit("alice", 1);
    expect(await stub.submit(wire(tx))).toEqual(success({ id: tx.id, status: "pending", replaced: null, evicted: [] }));
    const got = await stub.get(tx.id);
    expect(got.ok).toBe(true);
    if (!got.ok) return;
    expect(got.value).toMatchObject({ id: tx.id, status: "pending", kind: "commit", sender: key("alice").address, nonce: 1, fee: "0", size: txSize(tx) });
    expect(JSON.parse(got.value.wire)).toEqual(wire(tx));
    const list = await stub.list(10);
    expect(list.ok && list.value.total).toBe(1);
    expect(await stub.get("00".repeat(32))).toMatchObject({ ok: false, code: "NOT_FOUND" });
  });

  it("refuses a bad signature before storing anything", async () => {
    const { stub } = await pool();
    const a = commit("alice", 1);
    const b = commit("alice", 2);
    // a valid signature, but over another tx
    expect(await stub.submit({ ...wire(a), sig: b.sig })).toMatchObject({ ok: false, code: "BAD_SIGNATURE" });
    // a signature by another key over the right id
    const mallory = createTx("commit", { domain: "quadratic", commitment: (a.body as { commitment: string }).commitment }, { secret: key("mallory").secret, nonce: 1, network: NETWORK });
    expect(await stub.submit({ ...wire(a), sig: mallory.sig })).toMatchObject({ ok: false, code: "BAD_SIGNATURE" });
    // not a point / not canonical
    expect(await stub.submit({ ...wire(a), sig: "ff".repeat(64) })).toMatchObject({ ok: false, code: "BAD_SIGNATURE" });
    expect(await count(stub)).toBe(0);
    expect((await stub.get(a.id)).ok).toBe(false);
  });

  it("runs core's stateless checks: shape, network, id, size", async () => {
    const { stub } = await pool();
    const tx = commit("alice", 1);
    const w = wire(tx);
    expect(await stub.submit("not a tx")).toMatchObject({ ok: false, code: "MALFORMED" });
    expect(await stub.submit({ ...w, memo: "hi" })).toMatchObject({ ok: false, code: "MALFORMED" });
    expect(await stub.submit({ ...w, nonce: "1" })).toMatchObject({ ok: false, code: "MALFORMED" });
    expect(await stub.submit({ ...w, nonce: 0 })).toMatchObject({ ok: false, code: "MALFORMED" });
    expect(await stub.submit({ ...w, fee: "-1" })).toMatchObject({ ok: false, code: "MALFORMED" });
    expect(await stub.submit({ ...w, fee: (2n ** 63n).toString() })).toMatchObject({ ok: false, code: "MALFORMED" });
    expect(await stub.submit({ ...w, fee: "1" })).toMatchObject({ ok: false, code: "BAD_ID" });
    expect(await stub.submit(wire(commit("alice", 1, 0n, { network: "doin-other" })))).toMatchObject({ ok: false, code: "WRONG_NETWORK" });
    // a reveal may carry maxTxBytes + the largest domain's maxParamsBytes (quadratic's 4,096 here), no more
    const big = createTx("reveal", { commit: fresh(), params: { x: "y".repeat(8_192 + 4_096) }, salt: "ab".repeat(16), reported: 1n }, { secret: key("alice").secret, nonce: 1, network: NETWORK });
    expect(await stub.submit(wire(big))).toMatchObject({ ok: false, code: "TOO_LARGE" });
    expect(await count(stub)).toBe(0);
  });

  it("refuses a tx already pending or already on chain (ALREADY_KNOWN)", async () => {
    const { stub, chain } = await pool();
    const tx = commit("alice", 1);
    expect((await stub.submit(wire(tx))).ok).toBe(true);
    expect(await stub.submit(wire(tx))).toMatchObject({ ok: false, code: "ALREADY_KNOWN" });
    const onChain = commit("bob", 1);
    chain.known.add(onChain.id);
    expect(await stub.submit(wire(onChain))).toMatchObject({ ok: false, code: "ALREADY_KNOWN" });
    expect(await count(stub)).toBe(1);
  });

  it("checks nonces against the chain: replays of applied nonces and nonces too far ahead are BAD_NONCE", async () => {
    const chain = new FakeChain().fund(key("alice").address, 10n * BOND, 3);
    const { stub } = await pool(chain);
    expect(await stub.submit(wire(commit("alice", 3)))).toMatchObject({ ok: false, code: "BAD_NONCE" });
    expect(await stub.submit(wire(commit("alice", 1)))).toMatchObject({ ok: false, code: "BAD_NONCE" });
    expect(await stub.submit(wire(commit("alice", 3 + MAX_NONCE_AHEAD + 1)))).toMatchObject({ ok: false, code: "BAD_NONCE" });
    expect((await stub.submit(wire(commit("alice", 3 + MAX_NONCE_AHEAD)))).ok).toBe(true);
    expect((await stub.submit(wire(commit("alice", 4)))).ok).toBe(true);
    expect(await count(stub)).toBe(2);
  });

  it("checks the balance (fee, amount, a commit's bond), counting the sender's pending txs with lower nonces", async () => {
    const chain = new FakeChain().fund(key("carol").address, 100n).fund(key("dave").address, 0n).fund(key("frank").address, BOND + 10n);
    const { stub } = await pool(chain);
    expect(await stub.submit(wire(transfer("dave", 1, 1n)))).toMatchObject({ ok: false, code: "INSUFFICIENT_BALANCE" });
    expect(await stub.submit(wire(commit("dave", 1, 1n)))).toMatchObject({ ok: false, code: "INSUFFICIENT_BALANCE" });
    expect(await stub.submit(wire(transfer("carol", 1, 91n, 10n)))).toMatchObject({ ok: false, code: "INSUFFICIENT_BALANCE" });
    expect((await stub.submit(wire(transfer("carol", 1, 80n, 10n)))).ok).toBe(true);
    expect(await stub.submit(wire(transfer("carol", 2, 1n, 10n)))).toMatchObject({ ok: false, code: "INSUFFICIENT_BALANCE" });
    expect((await stub.submit(wire(transfer("carol", 2, 1n, 9n)))).ok).toBe(true);
    // a commit needs its bond: carol's 100 base units cannot open a round, frank's bond + 10 can, once
    expect(await stub.submit(wire(commit("carol", 3)))).toMatchObject({ ok: false, code: "INSUFFICIENT_BALANCE" });
    expect(await stub.submit(wire(commit("frank", 1, 11n)))).toMatchObject({ ok: false, code: "INSUFFICIENT_BALANCE" });
    expect((await stub.submit(wire(commit("frank", 1, 10n)))).ok).toBe(true);
    expect(await stub.submit(wire(commit("frank", 2)))).toMatchObject({ ok: false, code: "INSUFFICIENT_BALANCE" });
    expect(await count(stub)).toBe(3);
  });

  it("replaces a pending tx of the same sender and nonce only for a higher fee (+10 %)", async () => {
    const chain = new FakeChain().fund(key("erin").address, 10_000n + 2n * BOND);
    const { stub } = await pool(chain);
    const first = commit("erin", 1, 100n);
    expect((await stub.submit(wire(first))).ok).toBe(true);
    expect(await stub.submit(wire(commit("erin", 1, 100n)))).toMatchObject({ ok: false, code: "FEE_TOO_LOW" });
    expect(await stub.submit(wire(commit("erin", 1, 109n)))).toMatchObject({ ok: false, code: "FEE_TOO_LOW" });
    const better = commit("erin", 1, 110n);
    expect(await stub.submit(wire(better))).toEqual(success({ id: better.id, status: "pending", replaced: first.id, evicted: [] }));
    expect((await stub.get(first.id)).ok).toBe(false);
    expect(await stub.dropped(first.id)).toMatchObject({ status: "dropped", code: "REPLACED", message: expect.stringContaining(better.id) });
    expect((await stub.get(better.id)).ok).toBe(true);
    expect(await stub.dropped(better.id)).toBeNull();
    expect(await count(stub)).toBe(1);
    // a fee-0 tx is replaced by any positive fee
    const zero = commit("erin", 2);
    expect((await stub.submit(wire(zero)))).toMatchObject({ ok: true });
    expect(await stub.submit(wire(commit("erin", 2, 0n)))).toMatchObject({ ok: false, code: "FEE_TOO_LOW" });
    expect(await stub.submit(wire(commit("erin", 2, 1n)))).toMatchObject({ ok: true, value: { replaced: zero.id } });
  });
});

describe("MempoolDO: bounds", () => {
  it("when full by count, evicts the cheapest per byte (newest first among equals) only for a better payer", async () => {
    const chain = new FakeChain();
    for (const who of ["p1", "p2", "p3", "p4", "p5", "p6"]) chain.fund(key(who).address, 1_000n + 2n * BOND);
    const { stub } = await pool(chain, { maxTxs: 3 });
    const a = commit("p1", 1, 10n);
    const b = commit("p2", 1, 10n);
    const c = commit("p3", 1, 30n);
    for (const t of [a, b, c]) expect((await stub.submit(wire(t))).ok).toBe(true);
    // pays no more per byte than the cheapest: refused
    expect(await stub.submit(wire(commit("p4", 1, 10n)))).toMatchObject({ ok: false, code: "MEMPOOL_FULL" });
    expect(await stub.submit(wire(commit("p4", 1, 5n)))).toMatchObject({ ok: false, code: "MEMPOOL_FULL" });
    // pays more: evicts b (as cheap as a, but newer)
    const d = commit("p4", 1, 20n);
    expect(await stub.submit(wire(d))).toEqual(success({ id: d.id, status: "pending", replaced: null, evicted: [b.id] }));
    expect(await stub.dropped(b.id)).toMatchObject({ code: "EVICTED" });
    expect(await count(stub)).toBe(3);
    expect((await stub.get(b.id)).ok).toBe(false);
    for (const t of [a, c, d]) expect((await stub.get(t.id)).ok).toBe(true);
    const e = commit("p5", 1, 25n);
    expect(await stub.submit(wire(e))).toMatchObject({ ok: true, value: { evicted: [a.id] } });
    // the eviction floor is reported by fees()
    const fees = await stub.fees();
    expect(fees.ok && fees.value.evictionFloor).toEqual({ fee: "20", size: txSize(d) });
    expect(fees.ok && fees.value.fullnessPpm).toBe(1_000_000);
  });

  it("when full by bytes, evicts as many cheaper txs as the newcomer needs", async () => {
    const chain = new FakeChain();
    for (const who of ["q1", "q2", "q3", "q4"]) chain.fund(key(who).address, 1_000_000n + 2n * BOND);
    const small = commit("q1", 1, 10n);
    const size = txSize(small);
    const { stub } = await pool(chain, { maxBytes: 2 * size + 10 });
    const other = commit("q2", 1, 11n);
    expect((await stub.submit(wire(small))).ok).toBe(true);
    expect((await stub.submit(wire(other))).ok).toBe(true);
    // a reveal about twice the size of a commit, paying far more per byte
    const reveal = createTx("reveal", { commit: fresh(), params: { p: "x".repeat(size - 60) }, salt: "cd".repeat(16), reported: 5n }, { secret: key("q3").secret, nonce: 1, fee: 100_000n, network: NETWORK });
    expect(txSize(reveal)).toBeGreaterThan(size + 10);
    expect(await stub.submit(wire(reveal))).toMatchObject({ ok: true, value: { evicted: [small.id, other.id] } });
    const s = await stub.usage();
    expect(s.ok && s.value).toMatchObject({ count: 1, bytes: txSize(reveal), maxBytes: 2 * size + 10, maxTxs: 5_000 });
    // larger than the whole pool: refused outright
    const huge = createTx("reveal", { commit: fresh(), params: { p: "x".repeat(3 * size) }, salt: "cd".repeat(16), reported: 5n }, { secret: key("q4").secret, nonce: 1, fee: 900_000n, network: NETWORK });
    expect(await stub.submit(wire(huge))).toMatchObject({ ok: false, code: "MEMPOOL_FULL" });
  });

  it("suggests fees from the backlog: 0.001 DOIN × (9/8)^k plus the reference's tips", async () => {
    const { stub } = await pool();
    const empty = await stub.fees();
    expect(empty).toEqual(
      success({
        baseFee: MIN_BASE_FEE.toString(),
        low: "110000",
        normal: "150000",
        high: "200000",
        urgent: "300000",
        pending: 0,
        pendingBytes: 0,
        fullnessPpm: 0,
        backlogBlocks: 0,
        evictionFloor: null,
      }),
    );
    // 100 pending = one target-size block (maxTxsPerBlock / 2) of backlog
    const txs: Tx[] = [];
    for (let i = 0; i < 100; i++) txs.push(commit(`backlog-${i}`, 1));
    for (const t of txs) expect((await stub.submit(wire(t))).ok).toBe(true);
    const busy = await stub.fees();
    expect(busy.ok && busy.value).toMatchObject({ baseFee: "112500", normal: "168750", pending: 100, backlogBlocks: 1, fullnessPpm: 20_000, evictionFloor: null });
  });
});

describe("MempoolDO: candidates and assembly", () => {
  it("orders candidates by sender with contiguous nonces from the chain's, senders interleaved by fee", async () => {
    const chain = new FakeChain();
    for (const who of ["ann", "ben", "cat", "dan"]) chain.fund(key(who).address, 1_000n + 2n * BOND);
    chain.fund(key("dan").address, 1_000n + 2n * BOND, 1);
    const { stub } = await pool(chain);
    const a1 = commit("ann", 1, 5n);
    const a2 = commit("ann", 2, 1n);
    const b1 = commit("ben", 1, 3n);
    const b2 = commit("ben", 2, 4n);
    const c2 = commit("cat", 2, 900n); // gap: cat's nonce 1 is missing
    const d2 = commit("dan", 2, 2n); // dan's chain nonce is 1
    for (const t of [a2, b2, c2, a1, d2, b1]) expect((await stub.submit(wire(t))).ok).toBe(true);
    const all = await stub.candidates();
    expect(all.ok && all.value.ids).toEqual([a1.id, b1.id, b2.id, d2.id, a2.id]);
    expect(all.ok && ids(all.value.txs)).toEqual([a1.id, b1.id, b2.id, d2.id, a2.id]);
    const two = await stub.candidates(2);
    expect(two.ok && two.value.ids).toEqual([a1.id, b1.id]);
  });

  it("assemble: hands the candidates to the chain, removes included and permanently refused txs, keeps temporary ones", async () => {
    const chain = new FakeChain();
    for (const who of ["e1", "e2", "e3", "e4", "e5"]) chain.fund(key(who).address, 1_000n + 2n * BOND);
    const { stub } = await pool(chain);
    const inc = commit("e1", 1, 9n);
    const dup = commit("e2", 1, 8n); // refused for good
    const notFinal = createTx("reveal", { commit: inc.id, params: [1, 2], salt: "ef".repeat(16), reported: 1n }, { secret: key("e1").secret, nonce: 2, fee: 7n, network: NETWORK });
    const gapped = commit("e3", 1, 6n); // refused as BAD_NONCE with a future nonce below: temporary
    const unknownCommit = createTx("reveal", { commit: fresh(), params: [3], salt: "ef".repeat(16), reported: 1n }, { secret: key("e4").secret, nonce: 1, fee: 5n, network: NETWORK });
    for (const t of [inc, dup, notFinal, gapped, unknownCommit]) expect((await stub.submit(wire(t))).ok).toBe(true);

    // not yet: nothing changes
    let r = await stub.assemble(1_000);
    expect(r).toEqual(success({ produced: false, reason: "BELOW_THRESHOLD", height: null, blockHash: null, candidates: 5, included: [], dropped: [], deferred: [], pending: 5 }));
    expect(chain.produced[0]).toEqual({ candidates: [inc, dup, notFinal, gapped, unknownCommit].map(wire), nowMs: 1_000 });

    chain.produceWith = () => {
      chain.accounts.set(key("e1").address, { balance: 1_000n + BOND, nonce: 1 });
      return success({
        block: { hash: "cd".repeat(32) },
        height: 7,
        included: [inc.id],
        rejected: [
          { id: dup.id, code: "DUPLICATE_COMMIT", message: "dup" },
          { id: notFinal.id, code: "REVEAL_TOO_EARLY", message: "later" },
          { id: gapped.id, code: "BAD_NONCE", message: "nonce 1, expected 0?" },
          { id: unknownCommit.id, code: "UNKNOWN_COMMIT", message: "no such commit" },
        ],
      });
    };
    r = await stub.assemble(2_000);
    expect(r).toEqual(
      success({
        produced: true,
        reason: null,
        height: 7,
        blockHash: "cd".repeat(32),
        candidates: 5,
        included: [inc.id],
        dropped: [
          { id: dup.id, code: "DUPLICATE_COMMIT", message: "dup" },
          { id: unknownCommit.id, code: "UNKNOWN_COMMIT", message: "no such commit" },
        ],
        deferred: [
          { id: notFinal.id, code: "REVEAL_TOO_EARLY" },
          { id: gapped.id, code: "BAD_NONCE" },
        ],
        pending: 2,
      }),
    );
    for (const t of [inc, dup, unknownCommit]) expect((await stub.get(t.id)).ok).toBe(false);
    for (const t of [notFinal, gapped]) expect((await stub.get(t.id)).ok).toBe(true);

    // the chain moved on without us (e3's nonce 1 was applied elsewhere): the pending tx is stale and dropped before produce
    chain.accounts.set(key("e3").address, { balance: 1_000n + BOND, nonce: 1 });
    chain.includeAll();
    r = await stub.assemble(3_000);
    expect(r.ok && r.value).toMatchObject({ produced: true, included: [notFinal.id], dropped: [{ id: gapped.id, code: "BAD_NONCE" }], pending: 0 });
    expect(await stub.assemble(4_000)).toMatchObject({ ok: true, value: { produced: false, reason: "EMPTY", candidates: 0 } });
    expect(chain.produced).toHaveLength(3);
  });

  it("assemble: a chain failure other than BELOW_THRESHOLD is returned and nothing is removed", async () => {
    const { stub, chain } = await pool();
    expect((await stub.submit(wire(commit("f1", 1)))).ok).toBe(true);
    chain.produceWith = () => failure("BAD_STATE_ROOT", "boom");
    expect(await stub.assemble(1)).toEqual(failure("BAD_STATE_ROOT", "boom"));
    expect(await count(stub)).toBe(1);
  });

  it("submitOwn signs with the node key and takes the next free nonce", async () => {
    const chain = new FakeChain().fund(NODE_ADDRESS, 10n * BOND, 4);
    const { stub } = await pool(chain);
    const c = await stub.submitOwn("commit", { domain: "quadratic", commitment: fresh() });
    const v = await stub.submitOwn("vote", { optimae: fresh(), performance: "-1234", dataHash: fresh() });
    expect(c.ok && v.ok).toBe(true);
    if (!c.ok || !v.ok) return;
    expect(await stub.get(c.value.id)).toMatchObject({ ok: true, value: { sender: NODE_ADDRESS, nonce: 5, kind: "commit", fee: "0" } });
    expect(await stub.get(v.value.id)).toMatchObject({ ok: true, value: { sender: NODE_ADDRESS, nonce: 6, kind: "vote" } });
    expect(await stub.submitOwn("vote", { optimae: fresh(), performance: 1.5, dataHash: fresh() })).toMatchObject({ ok: false, code: "MALFORMED" });
    expect(await stub.submitOwn("commit", { domain: "quadratic", commitment: "zz" })).toMatchObject({ ok: false, code: "MALFORMED" });
    // concurrent calls never share a nonce
    const many = await Promise.all([0, 1, 2].map(() => stub.submitOwn("commit", { domain: "quadratic", commitment: fresh() })));
    const nonces = await Promise.all(many.map(async (m) => (m.ok ? ((await stub.get(m.value.id)) as { value: { nonce: number } }).value.nonce : -1)));
    expect(nonces.sort()).toEqual([7, 8, 9]);
  });
});

describe("MempoolDO: alarm and persistence", () => {
  it("arms an alarm while txs are pending, assembles from it, and clears it when empty", async () => {
    const chain = new FakeChain();
    const { stub } = await pool(chain, { autoAssemble: true });
    expect(await runInDurableObject(stub, (_i: MempoolDO, state) => state.storage.getAlarm())).toBeNull();
    expect((await stub.submit(wire(commit("g1", 1)))).ok).toBe(true);
    expect(await runInDurableObject(stub, (_i: MempoolDO, state) => state.storage.getAlarm())).not.toBeNull();
    // not yet: the alarm re-arms
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect(chain.produced.length).toBeGreaterThanOrEqual(1);
    expect(await runInDurableObject(stub, (_i: MempoolDO, state) => state.storage.getAlarm())).not.toBeNull();
    // included: empty pool, no alarm
    chain.includeAll();
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect(await count(stub)).toBe(0);
    expect(await runInDurableObject(stub, (_i: MempoolDO, state) => state.storage.getAlarm())).toBeNull();
  });

  it("a try that came before this node's slot wakes again at the slot, not a whole interval later", async () => {
    const chain = new FakeChain();
    const { stub } = await pool(chain, { autoAssemble: true });
    expect((await stub.submit(wire(commit("s1", 1)))).ok).toBe(true);
    const alarm = () => runInDurableObject(stub, (_i: MempoolDO, state) => state.storage.getAlarm());
    // too early (BELOW_THRESHOLD), the slot 300 ms away: the alarm is set for it
    chain.slotAt = Date.now() + 300;
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect(await alarm()).toBe(chain.slotAt);
    // the same try with no slot to wait for (or one beyond the interval): the periodic try, ASSEMBLE_INTERVAL_MS on
    for (const slotAt of [null, Date.now() + 60_000]) {
      chain.slotAt = slotAt;
      const before = Date.now();
      expect(await runDurableObjectAlarm(stub)).toBe(true);
      const next = (await alarm()) as number;
      expect(next).toBeGreaterThanOrEqual(before + ASSEMBLE_INTERVAL_MS);
      expect(next).toBeLessThanOrEqual(Date.now() + ASSEMBLE_INTERVAL_MS);
    }
    // a refusal that is not about timing: the periodic try, whatever the slot
    chain.slotAt = Date.now() + 300;
    chain.produceWith = () => failure("BAD_STATE_ROOT", "boom");
    const before = Date.now();
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect(await alarm()).toBeGreaterThanOrEqual(before + ASSEMBLE_INTERVAL_MS);
  });

  it("keeps its pending txs when the object is evicted and restarted", async () => {
    const chain = new FakeChain();
    const { stub } = await pool(chain);
    const a = commit("h1", 1);
    const b = commit("h2", 1);
    for (const t of [a, b]) expect((await stub.submit(wire(t))).ok).toBe(true);
    await evictDurableObject(stub);
    // a new instance: the fake chain is gone (it lived in memory), the txs are not
    await stub.configureForTest({ autoAssemble: false });
    await useChain(stub, chain);
    expect(await count(stub)).toBe(2);
    expect(await stub.get(a.id)).toMatchObject({ ok: true, value: { wire: JSON.stringify(wire(a)) } });
    expect(await stub.submit(wire(b))).toMatchObject({ ok: false, code: "ALREADY_KNOWN" });
    const cand = await stub.candidates();
    expect(cand.ok && [...cand.value.ids].sort()).toEqual([a.id, b.id].sort());
  });
});
