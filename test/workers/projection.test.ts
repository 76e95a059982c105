/**
 * The D1 projection: deriveProjection on real blocks, the outbox in a real
 * Durable Object's SQLite, and writeProjection into the real D1 (Miniflare),
 * with injected D1 failures and a reorg.
 */
import { env, runInDurableObject } from "cloudflare:test";
import { beforeEach, describe, expect, it } from "vitest";
import { rewardFraction } from "../../core/incentive.ts";
import { addressFromPublicKey } from "../../core/keys.ts";
import { evaluatorSeed } from "../../core/quorum.ts";
import { decayedReputation } from "../../core/reputation.ts";
import { effectiveIncrement, improvement, requiredVotes } from "../../core/state-transition.ts";
import type { Account, Block, ChainState, DomainConfig, Round } from "../../core/types.ts";
import { writeProjection } from "../../durable-objects/d1-writer.ts";
import { Outbox } from "../../durable-objects/outbox.ts";
import { deriveProjection, type BlockEvent, type ProjectionEvent, type RoundRowData } from "../../durable-objects/projection.ts";
import { ChainDriver, keyOf } from "../core/helpers/chain.ts";
import { acceptTx, blockOn, count, dumpD1, eventsOf, honest, ONE, resetD1, V0, V1 } from "./projection-fixtures.ts";

/** A Durable Object's real storage, for the outbox (QuorumDO: its constructor only creates its own tables). */
let objects = 0;
async function withStorage<T>(f: (sql: SqlStorage) => Promise<T>): Promise<T> {
  const stub = env.QUORUM.get(env.QUORUM.idFromName(`outbox-test-${++objects}`));
  return runInDurableObject(stub, async (_instance, state) => f(state.storage.sql));
}

/** A chain: genesis, a carrier block, an honest optimae (commit, reveal, votes) and its accept, then a transfer. */
async function lifecycle(): Promise<{ d: ChainDriver; optimae: string; acceptBlock: Block }> {
  const d = new ChainDriver();
  await d.produce([]);
  const optimae = await honest(d, V0, -100n * ONE, -100n * ONE - 50_000n, { x: [1, 2, 3] });
  const acceptBlock = await d.produce([acceptTx(d, V0, optimae, "alpha", 1, 42)], V1, 1);
  await d.produce([d.tx(V1, "transfer", { to: V0.address, amount: 5n }, 3n)]);
  return { d, optimae, acceptBlock };
}

beforeEach(resetD1);

describe("deriveProjection", () => {
  it("computes the rows of every block of an optimae's life", async () => {
    const { d, optimae, acceptBlock } = await lifecycle();
    const events = eventsOf(d);
    expect(events).toHaveLength(d.blocks.length);

    const genesis = events[0] as BlockEvent;
    expect(genesis.block).toMatchObject({ height: 0, txCount: 0, work: "0", cumulativeWork: "0" });
    expect(genesis.metrics).toEqual([
      expect.objectContaining({ domain: "quadratic", champion: (-1000n * ONE).toString(), championOptimae: null, accepted: 0, domainWork: "0" }),
    ]);
    expect(JSON.parse(genesis.body)).toMatchObject({ hash: d.blocks[0]?.hash });

    // reveal block: a new round, voting; votes block: decided
    const revealAt = events.findIndex((e) => e.txs.some((t) => t.kind === "reveal"));
    expect(events[revealAt]?.rounds).toEqual([expect.objectContaining({ optimae, status: "voting", votes: 0, verified: null, reported: (-100n * ONE).toString() })]);
    const voted = events[revealAt + 1] as BlockEvent;
    expect(voted.txs.every((t) => t.kind === "vote")).toBe(true);
    expect(voted.rounds).toEqual([
      expect.objectContaining({ optimae, status: "accepted", votes: voted.txs.length, agreeing: voted.txs.length, verified: (-100n * ONE - 50_000n).toString() }),
    ]);
    expect(voted.rounds[0]?.quorum).toHaveLength(voted.txs.length);
    // the round's story: seeds from core for every selected evaluator, the votes counted, core's verdict
    const round = voted.rounds[0] as RoundRowData;
    const stateRound = (d.states[revealAt + 1] as ChainState).rounds.get(optimae) as Round;
    expect(round.commit).toBe(stateRound.commit);
    expect(round.beacon).toBe(stateRound.beacon);
    expect(round.seeds).toEqual(stateRound.quorum.map((e) => ({ evaluator: e, ...evaluatorSeed(stateRound.commit, e, stateRound.beacon) })));
    expect(new Set(round.seeds.map((x) => x.seed)).size).toBe(round.seeds.length);
    expect(round.voteList).toEqual(voted.txs.map((t) => ({ evaluator: t.sender, performance: (-100n * ONE - 50_000n).toString(), dataHash: expect.any(String) })));
    expect(round.required).toBe(requiredVotes(round.quorum.length, d.params.domains[0] as DomainConfig));
    expect(round.verdict).toEqual({
      accepted: true,
      median: (-100n * ONE - 50_000n).toString(),
      tolerance: "5002500", // 5 % of |median| (100.05) is above the domain's 2.0 floor
      verified: (-100n * ONE - 50_000n).toString(),
      agreeing: [...stateRound.agreeing],
      outliers: [],
    });
    expect(events[revealAt]?.rounds[0]?.verdict).toBeNull();
    expect(events[revealAt]?.rounds[0]?.seeds).toEqual(round.seeds);

    // accept block: the experiment row, the claimed round, the champion
    const accepted = events.find((e) => e.block.hash === acceptBlock.hash) as BlockEvent;
    expect(BigInt(accepted.block.work)).toBeGreaterThan(0n);
    expect(accepted.experiments).toEqual([
      {
        optimae,
        experimentId: "alpha",
        roundNumber: 1,
        timeToResultSeconds: 42,
        optimizationConfigHash: "11".repeat(32),
        dataHash: "22".repeat(32),
        domain: "quadratic",
        optimizer: V0.address,
        reported: (-100n * ONE).toString(),
        verified: (-100n * ONE - 50_000n).toString(),
        previousBest: (-1000n * ONE).toString(),
        increment: accepted.block.work,
        acceptTx: acceptBlock.txs[0]?.id,
        txIdx: 0,
      },
    ]);
    expect(accepted.rounds).toEqual([expect.objectContaining({ optimae, status: "claimed" })]);
    expect(accepted.metrics).toEqual([
      expect.objectContaining({ champion: (-100n * ONE - 50_000n).toString(), championOptimae: optimae, accepted: 1, domainWork: accepted.block.work }),
    ]);
    expect(accepted.block.supply).toBe((d.states[d.blocks.indexOf(acceptBlock)] as ChainState).supply.toString());

    // every block: tx rows in order, senders and fees
    const last = events[events.length - 1] as BlockEvent;
    const transfer = d.blocks[d.blocks.length - 1]?.txs[0];
    expect(last.txs).toEqual([{ id: transfer?.id, idx: 0, kind: "transfer", sender: V1.address, recipient: V0.address, nonce: transfer?.nonce, fee: "3" }]);
    expect(last.rounds).toEqual([]);
    // accounts the transfer changed: sender and recipient (and the producer, paid the fee), nobody else
    const lastProducer = addressFromPublicKey(d.blocks[d.blocks.length - 1]?.header.producer as string);
    expect(last.accounts.map((a) => a.address).sort()).toEqual([...new Set([V0.address, V1.address, lastProducer])].sort());
    const after = d.states[d.states.length - 1] as ChainState;
    expect(last.accounts.find((a) => a.address === V0.address)).toEqual({
      address: V0.address,
      balance: after.accounts.get(V0.address)?.balance.toString(),
      nonce: after.accounts.get(V0.address)?.nonce,
      reputation: decayedReputation(after.accounts.get(V0.address) as Account, (d.blocks[d.blocks.length - 1] as Block).header.timestamp, d.params).toString(),
    });
    expect(genesis.accounts.map((a) => a.address).sort()).toEqual([...after.accounts.keys()].filter((a) => d.params.genesisAccounts.some((g) => g.address === a)).sort());
    // JSON-serializable as is (the outbox stores it as text)
    expect(JSON.parse(JSON.stringify(events))).toEqual(events);
  });

  it("attributes exact increments when one optimizer claims twice in a block (its reputation moves in between)", async () => {
    const d = new ChainDriver();
    const a = await honest(d, V0, -50n * ONE, -50n * ONE, { x: [5] });
    const b = await honest(d, V0, -40n * ONE, -40n * ONE, { x: [6] });
    const prev = d.state;
    const t = d.now + 1;
    // what each accept adds on its own, from the same parent state
    const accA = acceptTx(d, V0, a, "two", 1);
    const accB = acceptTx(d, V0, b, "two", 2);
    const alone = blockOn(prev, d, [accA], t);
    const both = blockOn(prev, d, [accA, accB], t);
    const event = deriveProjection(prev, both.state, both.block, d.params, both.receipts);
    const [ea, eb] = event.experiments;
    expect(ea?.increment).toBe(alone.block.header.work.toString());
    // (the reputation after the block would have given another figure: the receipts carry the one the transition used)
    const quadratic = d.params.domains[0] as DomainConfig;
    const naive = effectiveIncrement(
      improvement(quadratic, -1000n * ONE, -50n * ONE),
      quadratic,
      both.state.accounts.get(V0.address)?.reputation ?? 0n,
      rewardFraction(-50n * ONE, -50n * ONE, true, quadratic.incentive),
    );
    expect(naive).not.toBe(alone.block.header.work);
    expect(BigInt(ea?.increment ?? 0) + BigInt(eb?.increment ?? 0)).toBe(both.block.header.work);
    expect(eb?.previousBest).toBe((-50n * ONE).toString());
    expect(ea?.previousBest).toBe((-1000n * ONE).toString());
    expect(event.metrics[0]).toMatchObject({ accepted: 2, domainWork: both.block.header.work.toString(), champion: (-40n * ONE).toString() });
  });

  it("attributes exact increments when a later vote in the block moves the accepting optimizer's reputation", async () => {
    const d = new ChainDriver();
    // a round that will be decided in the accept's block, by a vote from the accepting optimizer
    const c = await d.optimae({ optimizer: V1, params: { y: [1] }, reported: -70n * ONE, vote: () => null });
    const quorum = d.state.rounds.get(c)?.quorum ?? [];
    const x = keyOf(quorum[0] as string);
    const a = await honest(d, x, -90n * ONE, -90n * ONE, { y: [2] });
    const prev = d.state;
    const t = d.now + 1;
    const accept = acceptTx(d, x, a, "voter", 1);
    const others = quorum.slice(1).map((e) => d.tx(keyOf(e), "vote", { optimae: c, performance: -70n * ONE, dataHash: "cd".repeat(32) }));
    const last = d.tx(x, "vote", { optimae: c, performance: -70n * ONE, dataHash: "cd".repeat(32) });
    const alone = blockOn(prev, d, [accept], t);
    const full = blockOn(prev, d, [...others, accept, last], t);
    expect(full.state.rounds.get(c)?.status).toBe("accepted");
    const event = deriveProjection(prev, full.state, full.block, d.params, full.receipts);
    expect(event.experiments).toHaveLength(1);
    expect(event.experiments[0]?.increment).toBe(alone.block.header.work.toString());
    expect(event.experiments[0]?.increment).toBe(full.block.header.work.toString());
    // the optimizer's reputation after the block (raised by its agreeing vote) would have given another figure
    const quadratic = d.params.domains[0] as DomainConfig;
    const naive = effectiveIncrement(
      improvement(quadratic, -1000n * ONE, -90n * ONE),
      quadratic,
      full.state.accounts.get(x.address)?.reputation ?? 0n,
      ONE,
    );
    expect(naive).not.toBe(full.block.header.work);
    expect(event.rounds.find((r) => r.optimae === c)).toMatchObject({ status: "accepted", votes: quorum.length });
    expect(event.rounds.find((r) => r.optimae === a)).toMatchObject({ status: "claimed" });
  });
});

describe("outbox → D1", () => {
  it("lands a chain's events in D1 with the right rows", async () => {
    const { d, optimae, acceptBlock } = await lifecycle();
    const events = eventsOf(d);
    const result = await withStorage(async (sql) => {
      const outbox = new Outbox(sql);
      for (const e of events) outbox.add(e);
      expect(outbox.pending()).toBe(events.length);
      const r = await outbox.drain((batch) => writeProjection(env.DB, batch), 3);
      expect(outbox.pending()).toBe(0);
      return r;
    });
    expect(result).toEqual({ written: events.length, remaining: 0, error: null });

    const txTotal = d.blocks.reduce((n, b) => n + b.txs.length, 0);
    expect(await count("blocks", "canonical = 1")).toBe(d.blocks.length);
    expect(await count("transactions", "canonical = 1")).toBe(txTotal);
    expect(await count("experiments")).toBe(1);
    expect(await count("chain_metrics")).toBe(d.blocks.length);
    expect(await count("rounds")).toBe(1);

    const block = await env.DB.prepare("SELECT * FROM blocks WHERE hash = ?").bind(acceptBlock.hash).first<Record<string, unknown>>();
    expect(block).toMatchObject({
      height: acceptBlock.header.height,
      parent: acceptBlock.header.parent,
      timestamp: acceptBlock.header.timestamp,
      producer: V1.address,
      tx_count: 1,
      work: acceptBlock.header.work.toString(),
      cumulative_work: acceptBlock.header.cumulativeWork.toString(),
      threshold: acceptBlock.header.threshold.toString(),
      state_root: acceptBlock.header.stateRoot,
      canonical: 1,
    });
    expect(block?.["work_real"]).toBeCloseTo(Number(acceptBlock.header.work) / 1e6, 6);
    expect(JSON.parse(block?.["body"] as string)).toMatchObject({ hash: acceptBlock.hash, txs: [{ id: acceptBlock.txs[0]?.id, kind: "accept" }] });

    const tx = await env.DB.prepare("SELECT * FROM transactions WHERE id = ?").bind(acceptBlock.txs[0]?.id).first<Record<string, unknown>>();
    expect(tx).toMatchObject({ block_hash: acceptBlock.hash, height: acceptBlock.header.height, idx: 0, kind: "accept", sender: V0.address, fee: "0", canonical: 1 });
    expect(JSON.parse(tx?.["body"] as string)).toMatchObject({ id: acceptBlock.txs[0]?.id, body: { experimentId: "alpha" } });

    const exp = await env.DB.prepare("SELECT * FROM experiments").first<Record<string, unknown>>();
    expect(exp).toMatchObject({
      optimae,
      experiment_id: "alpha",
      round_number: 1,
      time_to_result_seconds: 42,
      domain: "quadratic",
      optimizer: V0.address,
      reported: "-100000000",
      verified: "-100050000",
      verified_real: -100.05,
      previous_best: "-1000000000",
      increment: acceptBlock.header.work.toString(),
      height: acceptBlock.header.height,
      timestamp: acceptBlock.header.timestamp,
      block_hash: acceptBlock.hash,
      canonical: 1,
    });
    const round = await env.DB.prepare("SELECT * FROM rounds").first<Record<string, unknown>>();
    expect(round).toMatchObject({ optimae, status: "claimed", verified: "-100050000", updated_block: acceptBlock.hash });
    expect((JSON.parse(round?.["quorum"] as string) as string[]).length).toBe(round?.["votes"]);
    const metric = await env.DB.prepare("SELECT * FROM chain_metrics WHERE height = ?").bind(acceptBlock.header.height).first<Record<string, unknown>>();
    expect(metric).toMatchObject({ domain: "quadratic", champion: "-100050000", champion_optimae: optimae, accepted: 1, block_hash: acceptBlock.hash });
  });

  it("a D1 failure during a drain loses nothing and writes nothing twice after the retry", async () => {
    const { d } = await lifecycle();
    const events = eventsOf(d);
    // the reference: one clean pass
    await writeProjection(env.DB, events);
    const expected = await dumpD1();
    await resetD1();

    // D1 whose batch fails on its k-th call (a drain group of 3 events is one batch)
    let batches = 0;
    let failAt = 2;
    const flaky = {
      prepare: (q: string) => env.DB.prepare(q),
      batch: async (statements: D1PreparedStatement[]) => {
        batches++;
        if (batches === failAt) throw new Error("D1_ERROR: injected network failure");
        return env.DB.batch(statements);
      },
      exec: (q: string) => env.DB.exec(q),
    } as unknown as D1Database;

    const log = await withStorage(async (sql) => {
      const outbox = new Outbox(sql);
      for (const e of events) outbox.add(e);
      const first = await outbox.drain((batch) => writeProjection(flaky, batch), 3);
      const head = outbox.head();
      // a second failure, then the retry that gets through
      failAt = batches + 1;
      const second = await outbox.drain((batch) => writeProjection(flaky, batch), 3);
      failAt = -1;
      const third = await outbox.drain((batch) => writeProjection(flaky, batch), 3);
      return { first, head, second, third, pending: outbox.pending() };
    });
    // the second batch failed: the first group of 3 went through, the second group not at all
    expect(log.first).toEqual({ written: 3, remaining: events.length - 3, error: "Error: D1_ERROR: injected network failure" });
    expect(log.head).toEqual({ seq: 4, attempts: 1, lastError: "Error: D1_ERROR: injected network failure" });
    expect(log.second).toMatchObject({ written: 0, remaining: events.length - 3 });
    expect(log.second.error).toContain("injected");
    expect(log.third).toEqual({ written: events.length - 3, remaining: 0, error: null });
    expect(log.pending).toBe(0);
    expect(await dumpD1()).toEqual(expected);
    // and replaying everything once more changes nothing either
    await writeProjection(env.DB, events);
    expect(await dumpD1()).toEqual(expected);
  });

  it("serializes concurrent drains and keeps order", async () => {
    const { d } = await lifecycle();
    const events = eventsOf(d);
    const seen: number[] = [];
    const results = await withStorage(async (sql) => {
      const outbox = new Outbox(sql);
      for (const e of events) outbox.add(e);
      const write = async (batch: readonly ProjectionEvent[]) => {
        for (const e of batch) if (e.kind === "block") seen.push(e.block.height);
        await writeProjection(env.DB, batch);
      };
      return Promise.all([outbox.drain(write, 2), outbox.drain(write, 2)]);
    });
    expect(results[0].written + results[1].written).toBe(events.length);
    expect(seen).toEqual(events.map((e) => e.block.height));
    expect(await count("blocks")).toBe(events.length);
  });

  it("a revert marks the old branch non-canonical; the new branch, re-including its accept, takes over", async () => {
    const { d, optimae, acceptBlock } = await lifecycle();
    const at = d.blocks.indexOf(acceptBlock);
    const events = eventsOf(d);
    // the main chain, through the transfer block after the accept
    await writeProjection(env.DB, events);

    // a heavier branch from the accept's parent: a carrier block, then the same accept tx
    const parent = d.states[at - 1] as ChainState;
    const t = (d.blocks[d.blocks.length - 1] as Block).header.timestamp;
    const c1 = blockOn(parent, d, [], t + 1);
    const c2 = blockOn(c1.state, d, [acceptBlock.txs[0] as NonNullable<Block["txs"][number]>], t + 2);
    const reverted = d.blocks.slice(at).reverse();
    const reorg: ProjectionEvent[] = [
      ...reverted.map((b): ProjectionEvent => ({ kind: "revert", hash: b.hash, height: b.header.height })),
      deriveProjection(parent, c1.state, c1.block, d.params, c1.receipts),
      deriveProjection(c1.state, c2.state, c2.block, d.params, c2.receipts),
    ];
    await writeProjection(env.DB, reorg);

    for (const b of reverted) {
      expect(await count("blocks", "hash = ? AND canonical = 0", b.hash)).toBe(1);
      expect(await count("chain_metrics", "block_hash = ?", b.hash)).toBe(0);
    }
    // the transfer only existed on the old branch: kept, flagged non-canonical
    const transfer = d.blocks[d.blocks.length - 1]?.txs[0]?.id;
    expect(await env.DB.prepare("SELECT canonical, block_hash FROM transactions WHERE id = ?").bind(transfer).first()).toEqual({
      canonical: 0,
      block_hash: d.blocks[d.blocks.length - 1]?.hash,
    });
    // the accept moved to the new branch's block
    const acceptId = acceptBlock.txs[0]?.id;
    expect(await env.DB.prepare("SELECT canonical, block_hash, height FROM transactions WHERE id = ?").bind(acceptId).first()).toEqual({
      canonical: 1,
      block_hash: c2.block.hash,
      height: c2.block.header.height,
    });
    expect(await env.DB.prepare("SELECT canonical, block_hash, height FROM experiments WHERE optimae = ?").bind(optimae).first()).toEqual({
      canonical: 1,
      block_hash: c2.block.hash,
      height: c2.block.header.height,
    });
    expect(await count("blocks", "canonical = 1")).toBe(at + 2);
    const heights = (await env.DB.prepare("SELECT height, block_hash FROM chain_metrics ORDER BY height").all<{ height: number; block_hash: string }>()).results;
    expect(heights.map((r) => r.height)).toEqual([...Array(at + 2).keys()]);
    expect(heights[at]?.block_hash).toBe(c1.block.hash);
    expect(await env.DB.prepare("SELECT status, updated_block FROM rounds WHERE optimae = ?").bind(optimae).first()).toEqual({
      status: "claimed",
      updated_block: c2.block.hash,
    });

    // reorg back: the old branch is canonical again, exactly as before the first reorg
    const before = await (async () => {
      await resetD1();
      await writeProjection(env.DB, events);
      return dumpD1();
    })();
    await writeProjection(env.DB, reorg);
    await writeProjection(env.DB, [
      { kind: "revert", hash: c2.block.hash, height: c2.block.header.height },
      { kind: "revert", hash: c1.block.hash, height: c1.block.header.height },
      ...events.slice(at),
    ]);
    const after = await dumpD1();
    expect(after["blocks"]?.filter((r) => (r as { canonical: number }).canonical === 1)).toEqual(before["blocks"]);
    expect(after["experiments"]).toEqual(before["experiments"]);
    expect(after["chain_metrics"]).toEqual(before["chain_metrics"]);
    expect(after["rounds"]).toEqual(before["rounds"]);
    expect(after["transactions"]?.filter((r) => (r as { canonical: number }).canonical === 1)).toEqual(before["transactions"]);
  });

  it("keeps a block body that would not fit a D1 row without its transactions", async () => {
    const { d } = await lifecycle();
    const event = eventsOf(d)[1] as BlockEvent;
    const padded = JSON.parse(event.body) as Record<string, unknown>;
    const huge: BlockEvent = {
      ...event,
      body: JSON.stringify({ ...padded, txs: [{ id: "ab".repeat(32), pad: "x".repeat(1_600_000) }] }),
      txs: [{ id: "ab".repeat(32), idx: 0, kind: "transfer", sender: V0.address, recipient: V1.address, nonce: 1, fee: "0" }],
    };
    await writeProjection(env.DB, [huge]);
    const row = await env.DB.prepare("SELECT body FROM blocks WHERE hash = ?").bind(event.block.hash).first<{ body: string }>();
    expect(JSON.parse(row?.body ?? "{}")).toMatchObject({ hash: event.block.hash, txIds: ["ab".repeat(32)], truncated: true });
    const tx = await env.DB.prepare("SELECT length(body) AS n FROM transactions WHERE id = ?").bind("ab".repeat(32)).first<{ n: number }>();
    expect(tx?.n).toBeGreaterThan(1_600_000);
  });
});
