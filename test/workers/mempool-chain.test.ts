// End to end against the real ChainDO: transactions go in through POST /tx,
// the MempoolDO hands them to ChainDO.produce, blocks come out, included and
// refused txs leave the mempool, and the chain's state then drives admission
// (replays, nonces, balances).
import { env } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { publicKeyFromSecret } from "../../core/keys.ts";
import { computeCommitment, createTx } from "../../core/tx.ts";
import type { AssembleResult } from "../../durable-objects/rpc.ts";
import { chainOf, mempoolOf } from "../../durable-objects/stubs.ts";
import type { Outcome } from "../../durable-objects/rpc.ts";
import { createNodeApp } from "../../workers/http.ts";
import { registerTxRoutes } from "../../workers/routes/tx.ts";
import { QUADRATIC_DOMAIN } from "../../core/params.ts";
import { WORKERS_VALIDATORS, type ValidatorKey } from "../support/workers-network.ts";
import type { JsonValue } from "../../core/types.ts";
import { commit, fresh, key, NETWORK, transfer, wire } from "./mempool-helpers.ts";

const app = createNodeApp();
registerTxRoutes(app);
const mempool = mempoolOf(env);
const chain = chainOf(env);
/** devnet carrierIntervalMs: a block without verified work needs this long after its parent */
const CARRIER_MS = 2_000;
/** devnet producerSlotMs × the number of validators: late enough for this node's slot whatever its rank */
const ANY_SLOT_MS = 500 * WORKERS_VALIDATORS.length;
/** What each test key is given by a validator: a few commits' bonds. */
const FUNDS = 5n * QUADRATIC_DOMAIN.bond;
const FUNDED = ["e2e-alarm", "e2e-alice", "e2e-bob", "e2e-carol", "e2e-dan", "e2e-erin", "e2e-mallory", "e2e-frank"];

async function post(path: string, body: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await app.request(path, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) }, env);
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

/** A time at which the chain accepts a carrier block on its tip (the tip may be ahead of the wall clock). */
async function nextBlockTime(): Promise<number> {
  const s = await chain.status();
  return Math.max(Date.now(), s.tipTimestamp + CARRIER_MS + ANY_SLOT_MS);
}

async function assemble(): Promise<AssembleResult> {
  const r = (await mempool.assemble(await nextBlockTime())) as Outcome<AssembleResult>;
  if (!r.ok) throw new Error(`assemble: ${r.code} ${r.message}`);
  return r.value;
}

async function pending(id: string): Promise<boolean> {
  const got = await mempool.get(id);
  return got.ok;
}

/** Assembles until `id` is in a block (a reveal waits seedDelayBlocks after its commit); returns every result. */
async function assembleUntilIncluded(id: string, max = 8): Promise<AssembleResult[]> {
  const out: AssembleResult[] = [];
  for (let i = 0; i < max; i++) {
    const r = await assemble();
    out.push(r);
    if (r.included.includes(id)) return out;
  }
  throw new Error(`${id} was not included in ${max} blocks`);
}

beforeAll(async () => {
  // newcomers get coin from someone who has it: a genesis validator pays each test key
  await mempool.configureForTest({ autoAssemble: false });
  const payer = WORKERS_VALIDATORS[3] as ValidatorKey;
  const txs = FUNDED.map((name, i) => createTx("transfer", { to: key(name).address, amount: FUNDS }, { secret: payer.secret, nonce: i + 1, network: NETWORK }));
  for (const t of txs) expect((await post("/tx", wire(t))).status).toBe(202);
  expect((await assemble()).included).toHaveLength(txs.length);
});

describe("mempool → ChainDO", () => {
  it("the alarm assembles pending txs into a block by itself", async () => {
    await mempool.configureForTest({ autoAssemble: true });
    const tx = commit("e2e-alarm", 1);
    expect((await post("/tx", wire(tx))).status).toBe(202);
    const deadline = Date.now() + 15_000;
    while ((await pending(tx.id)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    expect(await pending(tx.id)).toBe(false);
    expect(await chain.knownTxs([tx.id])).toEqual([tx.id]);
    await mempool.configureForTest({ autoAssemble: false });
  });
});

describe("mempool → ChainDO, assembled by hand", () => {
  beforeAll(async () => {
    await mempool.configureForTest({ autoAssemble: false });
  });

  it("assemble produces a block with the pending commit and removes it from the mempool", async () => {
    const tx = commit("e2e-alice", 1);
    expect(await post("/tx", wire(tx))).toEqual({ status: 202, body: { id: tx.id, status: "pending" } });
    const before = await chain.status();
    const r = await assemble();
    expect(r).toMatchObject({ produced: true, reason: null, height: before.height + 1, included: [tx.id], dropped: [], deferred: [], pending: 0 });
    expect(r.blockHash).toMatch(/^[0-9a-f]{64}$/);
    const after = await chain.status();
    expect(after).toMatchObject({ height: before.height + 1, tip: r.blockHash });
    expect(await pending(tx.id)).toBe(false);
    expect(await chain.knownTxs([tx.id])).toEqual([tx.id]);
    expect(await chain.account(key("e2e-alice").address)).toMatchObject({ nonce: 1 });

    // the chain now drives admission: the same tx again, another tx with the applied nonce
    expect(await post("/tx", wire(tx))).toMatchObject({ status: 409, body: { code: "ALREADY_KNOWN" } });
    expect(await post("/tx", wire(commit("e2e-alice", 1)))).toMatchObject({ status: 422, body: { code: "BAD_NONCE" } });
    expect((await post("/tx", wire(commit("e2e-alice", 2)))).status).toBe(202);
    expect((await assemble()).included).toHaveLength(1);
  });

  it("a key without coin can neither pay nor open a round: 422 INSUFFICIENT_BALANCE", async () => {
    expect(await post("/tx", wire(transfer("e2e-poor", 1, 1n)))).toMatchObject({ status: 422, body: { code: "INSUFFICIENT_BALANCE" } });
    expect(await post("/tx", wire(commit("e2e-poor", 1)))).toMatchObject({ status: 422, body: { code: "INSUFFICIENT_BALANCE" } });
  });

  it("a nonce gap waits: nonce 2 is no candidate until nonce 1 arrives, then both go in, in order", async () => {
    const two = commit("e2e-bob", 2);
    expect((await post("/tx", wire(two))).status).toBe(202);
    const idle = await assemble();
    expect(idle).toMatchObject({ produced: false, reason: "EMPTY", candidates: 0 });
    expect(await pending(two.id)).toBe(true);
    const one = commit("e2e-bob", 1);
    expect((await post("/tx", wire(one))).status).toBe(202);
    const r = await assemble();
    expect(r).toMatchObject({ produced: true, included: [one.id, two.id], pending: 0 });
    expect(await chain.account(key("e2e-bob").address)).toMatchObject({ nonce: 2 });
  });

  it("a reveal before its quorum seed exists is deferred (REVEAL_TOO_EARLY) and goes in once it does; an unknown commit is dropped", async () => {
    const carol = key("e2e-carol");
    const params = { x: [1, 2, 3], tag: fresh() };
    const salt = fresh();
    const reported = 1_500_000n;
    const commitment = computeCommitment({ domain: "quadratic", params, salt, reported, optimizer: publicKeyFromSecret(carol.secret) });
    const c = createTx("commit", { domain: "quadratic", commitment }, { secret: carol.secret, nonce: 1, network: NETWORK });
    const rv = createTx("reveal", { commit: c.id, params, salt, reported }, { secret: carol.secret, nonce: 2, network: NETWORK });
    const stray = createTx("reveal", { commit: fresh(), params: { y: 1 }, salt: fresh(), reported: 1n }, { secret: key("e2e-dan").secret, nonce: 1, network: NETWORK });
    for (const t of [c, rv, stray]) expect((await post("/tx", wire(t))).status).toBe(202);

    const first = await assemble();
    expect(first.produced).toBe(true);
    expect(first.included).toEqual([c.id]);
    expect(first.deferred).toEqual([{ id: rv.id, code: "REVEAL_TOO_EARLY" }]);
    expect(first.dropped).toEqual([{ id: stray.id, code: "UNKNOWN_COMMIT", message: expect.any(String) }]);
    expect(await pending(rv.id)).toBe(true);
    expect(await pending(stray.id)).toBe(false);
    // the sender can still learn why
    const why = await app.request(`/tx/${stray.id}`, {}, env);
    expect(why.status).toBe(200);
    expect(await why.json()).toMatchObject({ id: stray.id, status: "dropped", code: "UNKNOWN_COMMIT", droppedAt: expect.any(Number) });

    const waited = await assembleUntilIncluded(rv.id);
    // seedDelayBlocks (4) blocks after the commit's, then the reveal's own
    expect(waited).toHaveLength(5);
    for (const r of waited.slice(0, -1)) expect(r.deferred).toEqual([{ id: rv.id, code: "REVEAL_TOO_EARLY" }]);
    expect(waited.at(-1)).toMatchObject({ produced: true, included: [rv.id], pending: 0 });
    expect(await chain.knownTxs([c.id, rv.id, stray.id])).toEqual([c.id, rv.id]);
  });

  it("POST /tx refuses at once (422, nothing stored) a reveal that does not open its commit and a copy of revealed params", async () => {
    const erin = key("e2e-erin");
    const mallory = key("e2e-mallory");
    const params = { x: [4, 5, 6], tag: fresh() };
    const salt = fresh();
    const reported = 2_000_000n;
    const commitFor = (k: ReturnType<typeof key>, nonce: number) =>
      createTx("commit", { domain: "quadratic", commitment: computeCommitment({ domain: "quadratic", params, salt, reported, optimizer: publicKeyFromSecret(k.secret) }) }, { secret: k.secret, nonce, network: NETWORK });
    const c = commitFor(erin, 1);
    expect((await post("/tx", wire(c))).status).toBe(202);
    expect((await assemble()).included).toEqual([c.id]);

    // erin's commit is on chain: a reveal with another claimed performance does not hash to it
    const lie = createTx("reveal", { commit: c.id, params, salt, reported: reported + 1n }, { secret: erin.secret, nonce: 2, network: NETWORK });
    expect(await post("/tx", wire(lie))).toMatchObject({ status: 422, body: { code: "REVEAL_MISMATCH" } });
    expect(await pending(lie.id)).toBe(false);
    const rv = createTx("reveal", { commit: c.id, params, salt, reported }, { secret: erin.secret, nonce: 2, network: NETWORK });
    expect((await post("/tx", wire(rv))).status).toBe(202);
    await assembleUntilIncluded(rv.id);

    // mallory copies the revealed params into a commit of her own: the commit is fine, its reveal is refused
    const copy = commitFor(mallory, 1);
    expect((await post("/tx", wire(copy))).status).toBe(202);
    expect((await assemble()).included).toEqual([copy.id]);
    const copied = createTx("reveal", { commit: copy.id, params, salt, reported }, { secret: mallory.secret, nonce: 2, network: NETWORK });
    expect(await post("/tx", wire(copied))).toMatchObject({ status: 422, body: { code: "DUPLICATE_PARAMS" } });
    expect(await pending(copied.id)).toBe(false);
    expect(await chain.account(mallory.address)).toMatchObject({ nonce: 1, balance: String(FUNDS - QUADRATIC_DOMAIN.bond), reputation: "0" });
  });

  it("weights travel in the reveal up to the domain's maxParamsBytes: one byte more is refused at once (413 PARAMS_TOO_LARGE, nothing stored), as is a reveal over the transaction limit", async () => {
    const frank = key("e2e-frank");
    const salt = fresh();
    const reported = 1_000_000n;
    // quadratic allows 4,096 bytes of params: {"w":"AAAA…"} of exactly 4,096 and of 4,097 canonical bytes
    const sized = (bytes: number) => ({ w: "A".repeat(bytes - 8) });
    const fits = sized(4_096);
    const over = sized(4_097);
    expect(JSON.stringify(fits).length).toBe(4_096);
    const commitFor = (params: JsonValue, nonce: number) =>
      createTx("commit", { domain: "quadratic", commitment: computeCommitment({ domain: "quadratic", params, salt, reported, optimizer: publicKeyFromSecret(frank.secret) }) }, { secret: frank.secret, nonce, network: NETWORK });
    const cFits = commitFor(fits, 1);
    const cOver = commitFor(over, 2);
    for (const c of [cFits, cOver]) expect((await post("/tx", wire(c))).status).toBe(202);
    expect((await assemble()).included).toEqual([cFits.id, cOver.id]);
    const before = await mempool.size();
    const tooBig = createTx("reveal", { commit: cOver.id, params: over, salt, reported }, { secret: frank.secret, nonce: 3, network: NETWORK });
    expect(await post("/tx", wire(tooBig))).toMatchObject({ status: 413, body: { code: "PARAMS_TOO_LARGE" } });
    expect(await pending(tooBig.id)).toBe(false);
    expect(await mempool.size()).toBe(before);
    // the positive control: the same construction at the limit is taken and goes on chain
    const ok = createTx("reveal", { commit: cFits.id, params: fits, salt, reported }, { secret: frank.secret, nonce: 3, network: NETWORK });
    expect((await post("/tx", wire(ok))).status).toBe(202);
    expect((await assembleUntilIncluded(ok.id)).at(-1)?.included).toEqual([ok.id]);
    // a reveal beyond maxTxBytes + the largest domain's maxParamsBytes is refused before any state is read
    const huge = createTx("reveal", { commit: fresh(), params: sized(8_192 + 4_096), salt, reported }, { secret: frank.secret, nonce: 4, network: NETWORK });
    expect(await post("/tx", wire(huge))).toMatchObject({ status: 413, body: { code: "TOO_LARGE" } });
    expect(await pending(huge.id)).toBe(false);
  });
});
