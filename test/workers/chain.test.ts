import { env, evictDurableObject, runDurableObjectAlarm } from "cloudflare:test";
import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { blockToWire, sealBlock } from "../../core/block.ts";
import { genesisBlock } from "../../core/genesis.ts";
import { buildBlock } from "../../core/state-transition.ts";
import { createTx, txToWire } from "../../core/tx.ts";
import type { Block, ChainParams, ChainState } from "../../core/types.ts";
import type { Outcome, ProduceResult } from "../../durable-objects/rpc.ts";
import { paramsFor } from "../../core/params.ts";
import { scheduledKey, WORKERS_VALIDATORS, type ValidatorKey } from "../support/workers-network.ts";

const params: ChainParams = paramsFor("doin-devnet", WORKERS_VALIDATORS.map((k) => k.pub));
/** A funded genesis validator that sends transactions in these tests. */
const SENDER = WORKERS_VALIDATORS[1] as ValidatorKey;
const keyOf = (block: Block): ValidatorKey => WORKERS_VALIDATORS.find((k) => k.pub === block.header.producer) as ValidatorKey;
/** The node's chain (routes use it); other tests use their own instance, since storage is shared within a file. */
const chain = (name = "chain") => env.CHAIN.get(env.CHAIN.idFromName(name));

/** A local copy of the chain, built with core/ exactly as a peer would. */
class Builder {
  state: ChainState;
  t: number;
  constructor(state: ChainState = genesisBlock(params).state) {
    this.state = state;
    this.t = state.tipTimestamp;
  }
  /** The next block by the validator at `rank` in this height's schedule, as early as its slot allows. */
  next(rank = 0, txs: ReturnType<typeof createTx>[] = []): Block {
    this.t += params.carrierIntervalMs + rank * params.producerSlotMs;
    const b = buildBlock(this.state, txs, params, { producerSecret: scheduledKey(this.state, params, rank).secret, timestamp: this.t });
    if (!b.ok) throw new Error(b.error.message);
    this.state = b.value.state;
    return b.value.block;
  }
}

async function post(path: string, body: unknown): Promise<Response> {
  return exports.default.fetch(`http://node${path}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
}

describe("ChainDO", () => {
  it("starts at this network's genesis", async () => {
    const s = await chain().status();
    expect(s.height).toBe(0);
    expect(s.genesis).toBe(genesisBlock(params).block.hash);
    const res = await exports.default.fetch("http://node/chain/status");
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ height: 0, network: "doin-devnet" });
  });

  it("validates and applies submitted blocks, serves them, and refuses bad ones with a JSON error", async () => {
    const b = new Builder();
    const blocks = [b.next(), b.next(1), b.next()];
    for (const blk of blocks) expect((await post("/chain/blocks", blockToWire(blk))).status).toBe(202);
    const status = await chain().status();
    expect(status.height).toBe(3);
    expect(status.tip).toBe(blocks[2]?.hash);

    const one = await exports.default.fetch("http://node/chain/block/2");
    expect(((await one.json()) as { hash: string }).hash).toBe(blocks[1]?.hash);
    const range = await exports.default.fetch("http://node/chain/blocks?from=0&to=3");
    expect(((await range.json()) as { blocks: unknown[] }).blocks).toHaveLength(4);
    expect((await exports.default.fetch("http://node/chain/blocks?from=0&to=60")).status).toBe(400);
    expect((await exports.default.fetch("http://node/chain/block/99")).status).toBe(404);
    expect((await exports.default.fetch("http://node/chain/block/-1")).status).toBe(400);

    // replay, unknown parent, bad signature, tampering: 4xx with {code, message}, state unchanged
    const dup = await post("/chain/blocks", blockToWire(blocks[0] as Block));
    expect(dup.status).toBe(409);
    expect(await dup.json()).toMatchObject({ code: "ALREADY_KNOWN" });
    const orphan = new Builder(b.state);
    orphan.next();
    const far = orphan.next();
    const unknown = await post("/chain/blocks", blockToWire(far));
    expect(unknown.status).toBe(422);
    expect(await unknown.json()).toMatchObject({ code: "UNKNOWN_PARENT" });
    const next = new Builder(b.state).next();
    const forged = await post("/chain/blocks", { ...(blockToWire(next) as object), sig: "00".repeat(64) });
    expect(forged.status).toBe(403);
    expect(await forged.json()).toMatchObject({ code: "BAD_SIGNATURE" });
    const resealed = sealBlock({ ...next.header, stateRoot: "ab".repeat(32) }, next.txs, next.coinbase, keyOf(next).secret);
    const badRoot = await post("/chain/blocks", blockToWire(resealed));
    expect(badRoot.status).toBe(422);
    expect(await badRoot.json()).toMatchObject({ code: "BAD_STATE_ROOT" });
    const junk = await exports.default.fetch("http://node/chain/blocks", { method: "POST", headers: { "content-type": "application/json" }, body: "{not json" });
    expect(junk.status).toBe(400);
    expect(await junk.json()).toMatchObject({ code: "MALFORMED" });
    expect((await chain().status()).tip).toBe(blocks[2]?.hash);
  });

  it("moves to a heavier branch only by fork choice, and a produced block carries its transactions", async () => {
    const c = chain("fork-test");
    expect((await c.status()).height).toBe(0);
    const side = new Builder();
    const b1 = side.next(1);
    const main = new Builder();
    const a1 = main.next(0);
    expect((await c.submitBlock(blockToWire(b1))).ok).toBe(true);
    expect((await c.status()).tip).toBe(b1.hash);
    const r = await c.submitBlock(blockToWire(a1));
    expect(r.ok).toBe(true);
    // equal work: the producer first in turn outweighs the one that stepped in for it, on every node alike
    expect((await c.status()).tip).toBe(a1.hash);
    // and not the other way round: a later out-of-turn block at the same height leaves the head
    expect((await c.submitBlock(blockToWire(new Builder().next(2)))).ok).toBe(true);
    expect((await c.status()).tip).toBe(a1.hash);

    const commit = createTx("commit", { domain: "quadratic", commitment: "ab".repeat(32) }, { secret: SENDER.secret, nonce: 1, network: params.network });
    const produced = (await c.produce([txToWire(commit)], Date.now())) as Outcome<ProduceResult>;
    expect(produced.ok).toBe(true);
    if (produced.ok) {
      expect(produced.value.included).toEqual([commit.id]);
      expect(await c.knownTxs([commit.id, "00".repeat(32)])).toEqual([commit.id]);
    }
    // too early for another carrier block: not yet
    const again = await c.produce([], Date.now());
    expect(again.ok ? "ok" : again.code).toBe("BELOW_THRESHOLD");
  });

  it("keeps its chain when evicted and restarted, and projects it into D1", async () => {
    // the node's chain already holds genesis + 3 blocks from the first test
    const before = await chain().status();
    expect(before.height).toBe(3);
    await evictDurableObject(chain());
    const after = await chain().status();
    expect(after).toEqual(before);
    await runDurableObjectAlarm(chain());
    const hashes = (await chain().getBlocks(0, 3)).map((b) => (b as { readonly hash: string }).hash);
    for (const h of hashes) {
      const row = await env.DB.prepare("SELECT canonical FROM blocks WHERE hash = ?").bind(h).first<{ canonical: number }>();
      expect(row?.canonical, `block ${h} in D1`).toBe(1);
    }
    expect((await chain().status()).outboxPending).toBe(0);
  });

  it("applies batches of consecutive blocks, stops at the first invalid one, and keeps them across a restart", async () => {
    const c = chain("batch-test");
    const b = new Builder();
    const blocks = Array.from({ length: 60 }, () => b.next());
    const first = (await c.submitBlocks(blocks.slice(0, 50).map(blockToWire))) as Outcome<{ accepted: number; height: number; error: unknown }>;
    expect(first.ok && first.value.accepted).toBe(50);
    const tampered = blockToWire(sealBlock({ ...(blocks[55] as Block).header, stateRoot: "cd".repeat(32) }, [], [], keyOf(blocks[55] as Block).secret));
    const wires = blocks.slice(50).map(blockToWire);
    wires[5] = tampered;
    const second = (await c.submitBlocks(wires)) as Outcome<{ accepted: number; height: number; error: { index: number; code: string } | null }>;
    expect(second.ok).toBe(true);
    if (second.ok) {
      expect(second.value.accepted).toBe(5);
      expect(second.value.error).toMatchObject({ index: 5, code: "BAD_STATE_ROOT" });
      expect(second.value.height).toBe(55);
    }
    await evictDurableObject(c);
    const s = await c.status();
    expect(s.height).toBe(55);
    expect(s.tip).toBe(blocks[54]?.hash);
    expect(s.finalizedHeight).toBe(55 - params.finalityDepth);
    // an unknown parent is named as such
    const gap = (await c.submitBlocks([blockToWire(blocks[57] as Block)])) as Outcome<{ error: { code: string } | null }>;
    expect(gap.ok && gap.value.error?.code).toBe("UNKNOWN_PARENT");
  });

  it("a reorganization sends the reverted block's transactions back to the mempool", async () => {
    const c = chain("requeue-test");
    const commit = createTx("commit", { domain: "quadratic", commitment: "ef".repeat(32) }, { secret: SENDER.secret, nonce: 1, network: params.network });
    // late enough for the node's slot whatever its rank
    const late = params.genesisTimestamp + params.carrierIntervalMs + WORKERS_VALIDATORS.length * params.producerSlotMs;
    const produced = (await c.produce([txToWire(commit)], late)) as Outcome<ProduceResult>;
    expect(produced.ok).toBe(true);
    const heavier = new Builder();
    const branch = [heavier.next(), heavier.next()];
    const r = (await c.submitBlocks(branch.map(blockToWire))) as Outcome<{ accepted: number; height: number }>;
    expect(r.ok && r.value.height).toBe(2);
    expect(await c.knownTxs([commit.id])).toEqual([]);
    await runDurableObjectAlarm(c);
    const pending = await exports.default.fetch(`http://node/tx/${commit.id}`);
    expect(pending.status).toBe(200);
    expect(await pending.json()).toMatchObject({ id: commit.id });
  });
});
