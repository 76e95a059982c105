/**
 * The history API over a real projection: a chain built with core/ (an
 * honest optimae, one with an outlier vote, one that expires, a transfer),
 * projected into the real D1 (Miniflare) with a reorg at the tip, then every
 * /history endpoint's answers checked against the chain's own states, and
 * its errors.
 */
import { env } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { evaluatorSeed } from "../../core/quorum.ts";
import { decayedReputation } from "../../core/reputation.ts";
import { txSender } from "../../core/tx.ts";
import type { Account, Block, ChainState, Round } from "../../core/types.ts";
import { writeProjection } from "../../durable-objects/d1-writer.ts";
import { deriveProjection, type ProjectionEvent } from "../../durable-objects/projection.ts";
import { createNodeApp } from "../../workers/http.ts";
import {
  registerHistoryRoutes,
  type AccountState,
  type AccountTx,
  type AccountVote,
  type BlockDetail,
  type BlockSummary,
  type ChampionChange,
  type RoundDetail,
  type RoundSummary,
  type SearchResult,
  type TxDetail,
} from "../../workers/routes/history.ts";
import { ChainDriver, OUTSIDER } from "../core/helpers/chain.ts";
import { acceptTx, blockOn, eventsOf, honest, ONE, resetD1, V0, V1, V2 } from "./projection-fixtures.ts";

const app = createNodeApp();
registerHistoryRoutes(app);

async function json<T>(path: string, status = 200): Promise<T> {
  const res = await app.request(`http://node${path}`, {}, env);
  const body = (await res.json()) as T;
  expect(res.status, `${path}: ${JSON.stringify(body).slice(0, 300)}`).toBe(status);
  return body;
}

async function expectError(path: string, status: number, code: string): Promise<void> {
  const body = await json<{ code: string; message: string }>(path, status);
  expect(body.code, path).toBe(code);
  expect(body.message.length).toBeGreaterThan(0);
}

interface Scenario {
  d: ChainDriver;
  /** canonical blocks and their states after the reorg */
  blocks: Block[];
  states: ChainState[];
  reverted: Block;
  honestId: string;
  outlierId: string;
  outlier: string;
  expiredId: string;
  transfer: string;
}

let s: Scenario;

beforeAll(async () => {
  await resetD1();
  const d = new ChainDriver();
  const honestId = await honest(d, V0, -100n * ONE, -100n * ONE, { x: [1] });
  await d.produce([acceptTx(d, V0, honestId, "alpha", 1, 30)], V1, 1);
  // one evaluator far from the others: an outlier, clipped; the round is still accepted
  let outlier = "";
  const outlierId = await d.optimae({
    optimizer: V1,
    params: { x: [2] },
    reported: -50n * ONE,
    vote: (e) => {
      if (outlier === "") {
        outlier = e;
        return -900n * ONE;
      }
      return -50n * ONE;
    },
  });
  await d.produce([acceptTx(d, V1, outlierId, "beta", 1, 5)], V2, 1);
  // a round nobody votes on: expires after the vote window
  const expiredId = await d.optimae({ optimizer: V2, params: { x: [3] }, reported: -10n * ONE, vote: () => null });
  for (let i = 0; i <= d.params.voteWindowBlocks; i++) await d.produce([]);
  const t = d.tx(V1, "transfer", { to: OUTSIDER.address, amount: 7n * 100_000_000n }, 11n);
  await d.produce([t]);
  // the tip block is replaced by another one (a reorg at the tip)
  const tip = d.blocks[d.blocks.length - 1] as Block;
  const parent = d.states[d.states.length - 2] as ChainState;
  const replacement = blockOn(parent, d, [t], tip.header.timestamp + 1);
  const events: ProjectionEvent[] = [...eventsOf(d), { kind: "revert", hash: tip.hash, height: tip.header.height }, deriveProjection(parent, replacement.state, replacement.block, d.params, replacement.receipts)];
  await writeProjection(env.DB, events);
  s = {
    d,
    blocks: [...d.blocks.slice(0, -1), replacement.block],
    states: [...d.states.slice(0, -1), replacement.state],
    reverted: tip,
    honestId,
    outlierId,
    outlier,
    expiredId,
    transfer: t.id,
  };
});

const sum = (xs: readonly bigint[]): bigint => xs.reduce((a, b) => a + b, 0n);

describe("blocks", () => {
  it("GET /history/blocks: canonical blocks newest first, each with the coin it minted, its fees and its kind", async () => {
    const { blocks } = await json<{ blocks: BlockSummary[] }>("/history/blocks?limit=200");
    expect(blocks.map((b) => b.hash)).toEqual([...s.blocks].reverse().map((b) => b.hash));
    for (const b of blocks) {
      const i = b.height;
      const state = s.states[i] as ChainState;
      const before = i === 0 ? 0n : (s.states[i - 1] as ChainState).supply;
      expect(b.minted, `height ${i}`).toBe((state.supply - before).toString());
      expect(b.fees).toBe(sum((s.blocks[i] as Block).txs.map((t) => t.fee)).toString());
      const work = i > 0 && state.mintedBlocks > (s.states[i - 1] as ChainState).mintedBlocks;
      expect(b.kind).toBe(i === 0 ? "genesis" : work ? "work" : "carrier");
      expect(b.canonical).toBe(true);
    }
    expect(blocks.filter((b) => b.kind === "work").length).toBe((s.states[s.states.length - 1] as ChainState).mintedBlocks);
    // paging
    const page = await json<{ blocks: BlockSummary[] }>("/history/blocks?before=5&limit=3");
    expect(page.blocks.map((b) => b.height)).toEqual([4, 3, 2]);
  });

  it("GET /history/blocks/{id}: by height or hash, coinbase outputs summing to minted + fees, senders, confirmations", async () => {
    const work = (await json<{ blocks: BlockSummary[] }>("/history/blocks?limit=200")).blocks.filter((b) => b.kind === "work");
    expect(work.length).toBeGreaterThan(0);
    for (const w of work) {
      const b = await json<BlockDetail>(`/history/blocks/${w.height}`);
      const block = s.blocks[w.height] as Block;
      expect(b.hash).toBe(block.hash);
      expect(b.coinbase).toEqual(block.coinbase.map((o) => ({ to: o.to, amount: o.amount.toString(), role: o.role })));
      expect(sum(b.coinbase.map((o) => BigInt(o.amount)))).toBe(BigInt(b.minted) + BigInt(b.fees));
      expect(b.header["stateRoot"]).toBe(block.header.stateRoot);
      expect(b.txs.map((t) => [t.id, t.kind, t.sender])).toEqual(block.txs.map((t) => [t.id, t.kind, txSender(t)]));
      expect(b.confirmations).toBe(s.blocks.length - w.height);
    }
    const tip = s.blocks[s.blocks.length - 1] as Block;
    const byHash = await json<BlockDetail>(`/history/blocks/${tip.hash}`);
    expect(byHash).toMatchObject({ height: tip.header.height, canonical: true, confirmations: 1, fees: "11" });
    expect(byHash.txs).toEqual([{ id: s.transfer, idx: 0, kind: "transfer", sender: V1.address, recipient: OUTSIDER.address, fee: "11", nonce: expect.any(Number) }]);
    // the reverted block is still known by hash, not canonical
    expect(await json<BlockDetail>(`/history/blocks/${s.reverted.hash}`)).toMatchObject({ canonical: false, confirmations: null, height: s.reverted.header.height });
  });
});

describe("rounds", () => {
  it("GET /history/rounds/{optimae}: commit, reveal, the quorum with core's seeds, every vote with its transaction, core's verdict with the outlier clipped, the accept", async () => {
    const r = await json<RoundDetail>(`/history/rounds/${s.outlierId}`);
    const at = s.states.findIndex((st) => st.rounds.get(s.outlierId)?.status === "accepted");
    const round = (s.states[at] as ChainState).rounds.get(s.outlierId) as Round;
    expect(r).toMatchObject({ optimae: s.outlierId, optimizer: V1.address, status: "claimed", reported: (-50n * ONE).toString(), verified: (-50n * ONE).toString() });
    expect(r.beacon).toBe(round.beacon);
    expect(r.commit?.id).toBe(round.commit);
    expect(r.commit?.height).toBe(r.revealHeight - 1 - s.d.params.seedDelayBlocks);
    expect(r.reveal).toMatchObject({ id: s.outlierId, height: round.revealHeight });
    expect(r.params).toEqual({ x: [2] });
    expect(r.quorum.map((q) => q.evaluator)).toEqual(round.quorum);
    for (const q of r.quorum) {
      expect(q.seed).toBe(evaluatorSeed(round.commit, q.evaluator, round.beacon).seed);
      expect(q.seed32).toBe(evaluatorSeed(round.commit, q.evaluator, round.beacon).seed32);
      const vote = round.votes.find((v) => v.evaluator === q.evaluator);
      expect(q.vote).toEqual({ performance: vote?.performance.toString(), dataHash: vote?.dataHash, tx: { id: expect.any(String), height: at, block: (s.blocks[at] as Block).hash } });
      const voteTx = (s.blocks[at] as Block).txs.find((t) => t.kind === "vote" && txSender(t) === q.evaluator);
      expect(q.vote?.tx?.id).toBe(voteTx?.id);
      expect(q.verdict).toBe(q.evaluator === s.outlier ? "outlier" : "agree");
    }
    expect(r.verdict).toMatchObject({ accepted: true, verified: (-50n * ONE).toString(), outliers: [s.outlier], agreeing: [...round.agreeing] });
    expect(r.required).toBeLessThanOrEqual(r.quorumSize);
    expect(r.accept).toMatchObject({ experimentId: "beta", roundNumber: 1, previousBest: (-100n * ONE).toString() });
    expect(BigInt(r.accept?.increment ?? "0")).toBeGreaterThan(0n);
  });

  it("an expired round has its seeds and no verdict", async () => {
    const r = await json<RoundDetail>(`/history/rounds/${s.expiredId}`);
    expect(r).toMatchObject({ status: "expired", votes: 0, verified: null, verdict: null, accept: null });
    expect(r.quorum.every((q) => q.vote === null && q.verdict === null && typeof q.seed === "string")).toBe(true);
  });

  it("GET /history/rounds: newest first, by status, optimizer and evaluator", async () => {
    const all = await json<{ rounds: RoundSummary[] }>("/history/rounds");
    expect(all.rounds.map((r) => r.optimae)).toEqual([s.expiredId, s.outlierId, s.honestId]);
    expect((await json<{ rounds: RoundSummary[] }>("/history/rounds?status=expired")).rounds.map((r) => r.optimae)).toEqual([s.expiredId]);
    expect((await json<{ rounds: RoundSummary[] }>(`/history/rounds?optimizer=${V0.address}`)).rounds.map((r) => r.optimae)).toEqual([s.honestId]);
    const evaluated = (await json<{ rounds: RoundSummary[] }>(`/history/rounds?evaluator=${s.outlier}`)).rounds;
    expect(evaluated.map((r) => r.optimae)).toContain(s.outlierId);
    expect(evaluated.every((r) => r.optimizer !== s.outlier)).toBe(true);
  });
});

describe("accounts", () => {
  it("GET /history/accounts/{address}/states: balance and reputation after every block that changed them", async () => {
    const { states } = await json<{ states: AccountState[] }>(`/history/accounts/${s.outlier}/states`);
    expect(states.length).toBeGreaterThan(1);
    expect(states.map((x) => x.height)).toEqual([...states.map((x) => x.height)].sort((a, b) => a - b));
    for (const x of states) {
      const a = (s.states[x.height] as ChainState).accounts.get(s.outlier) as Account;
      expect(x).toMatchObject({ balance: a.balance.toString(), nonce: a.nonce, reputation: decayedReputation(a, (s.blocks[x.height] as Block).header.timestamp, s.d.params).toString(), blockHash: (s.blocks[x.height] as Block).hash });
    }
    // the outlier lost reputation in the block that decided the round
    const decided = s.states.findIndex((st) => st.rounds.get(s.outlierId)?.status === "accepted");
    const i = states.findIndex((x) => x.height === decided);
    expect(BigInt(states[i]?.reputation ?? "0")).toBeLessThan(BigInt(states[i - 1]?.reputation ?? "0"));
    // the reverted block's rows are gone, the replacement's are there
    const tip = s.blocks.length - 1;
    const sender = await json<{ states: AccountState[] }>(`/history/accounts/${V1.address}/states`);
    expect(sender.states[sender.states.length - 1]).toMatchObject({ height: tip, blockHash: (s.blocks[tip] as Block).hash });
  });

  it("GET /history/accounts/{address}/transactions and /votes", async () => {
    const incoming = await json<{ txs: AccountTx[] }>(`/history/accounts/${OUTSIDER.address}/transactions`);
    expect(incoming.txs).toEqual([expect.objectContaining({ id: s.transfer, kind: "transfer", sender: V1.address, recipient: OUTSIDER.address, amount: "700000000", fee: "11" })]);
    const sent = await json<{ txs: AccountTx[] }>(`/history/accounts/${V1.address}/transactions`);
    expect(sent.txs[0]?.id).toBe(s.transfer);
    const kinds = new Set(sent.txs.map((t) => t.kind));
    expect(kinds).toEqual(new Set(["transfer", "commit", "reveal", "accept", "vote"]));
    expect(sent.txs.filter((t) => t.kind !== "transfer" && t.kind !== "vote").every((t) => t.optimae === s.outlierId)).toBe(true);
    const votes = await json<{ votes: AccountVote[] }>(`/history/accounts/${s.outlier}/votes`);
    expect(votes.votes.find((v) => v.optimae === s.outlierId)).toMatchObject({ performance: (-900n * ONE).toString(), roundStatus: "claimed", verdict: "outlier" });
  });
});

describe("champions, transactions, search", () => {
  it("GET /history/champions: one entry per accepted optimae, in chain order", async () => {
    const h = await json<{ domain: string; initial: string; champions: ChampionChange[] }>("/history/champions?domain=quadratic");
    expect(h.initial).toBe((-1000n * ONE).toString());
    expect(h.champions.map((c) => [c.optimae, c.verified, c.previousBest])).toEqual([
      [s.honestId, (-100n * ONE).toString(), (-1000n * ONE).toString()],
      [s.outlierId, (-50n * ONE).toString(), (-100n * ONE).toString()],
    ]);
    await expectError("/history/champions?domain=nope", 404, "NOT_FOUND");
    await expectError("/history/champions", 400, "MALFORMED");
  });

  it("GET /history/tx/{id}", async () => {
    const t = await json<TxDetail>(`/history/tx/${s.transfer}`);
    expect(t).toMatchObject({ id: s.transfer, kind: "transfer", canonical: true, height: s.blocks.length - 1, recipient: OUTSIDER.address });
    expect(t.tx).toMatchObject({ id: s.transfer, kind: "transfer", body: { to: OUTSIDER.address } });
  });

  it("GET /history/search: heights, hashes, transaction ids, rounds, addresses", async () => {
    const tip = s.blocks[s.blocks.length - 1] as Block;
    expect(await json<SearchResult>("/history/search?q=3")).toEqual({ kind: "block", id: "3", height: 3 });
    expect(await json<SearchResult>(`/history/search?q=${tip.hash.toUpperCase()}`)).toEqual({ kind: "block", id: tip.hash, height: tip.header.height });
    expect(await json<SearchResult>(`/history/search?q=${s.transfer}`)).toEqual({ kind: "transaction", id: s.transfer, height: tip.header.height });
    expect(await json<SearchResult>(`/history/search?q=${s.outlierId}`)).toMatchObject({ kind: "round", id: s.outlierId });
    expect(await json<SearchResult>(`/history/search?q=${V2.address}`)).toEqual({ kind: "account", id: V2.address, height: null });
    await expectError(`/history/search?q=${"ef".repeat(32)}`, 404, "NOT_FOUND");
    await expectError("/history/search?q=99999", 404, "NOT_FOUND");
    await expectError("/history/search?q=hello", 400, "MALFORMED");
  });

  it("refuses malformed input with 400 and unknown names with 404", async () => {
    await expectError("/history/blocks/abc", 400, "MALFORMED");
    await expectError("/history/blocks/99999", 404, "NOT_FOUND");
    await expectError(`/history/blocks/${"00".repeat(32)}`, 404, "NOT_FOUND");
    await expectError("/history/blocks?limit=0", 400, "MALFORMED");
    await expectError("/history/rounds/xyz", 400, "MALFORMED");
    await expectError(`/history/rounds/${"00".repeat(32)}`, 404, "NOT_FOUND");
    await expectError("/history/rounds?status=maybe", 400, "MALFORMED");
    await expectError("/history/accounts/ABC/states", 400, "MALFORMED");
    await expectError(`/history/tx/${"00".repeat(32)}`, 404, "NOT_FOUND");
    // an unknown account simply has no history
    expect(await json<{ states: AccountState[] }>(`/history/accounts/${"ab".repeat(20)}/states`)).toEqual({ address: "ab".repeat(20), states: [] });
  });

  it("documents every route in the OpenAPI document", () => {
    const doc = app.getOpenAPI31Document({ openapi: "3.1.0", info: { title: "t", version: "1" } });
    const paths = Object.keys(doc.paths ?? {});
    for (const p of ["/history/blocks", "/history/blocks/{id}", "/history/rounds", "/history/rounds/{optimae}", "/history/accounts/{address}/states", "/history/accounts/{address}/transactions", "/history/accounts/{address}/votes", "/history/champions", "/history/tx/{id}", "/history/search"]) {
      expect(paths, p).toContain(p);
    }
  });
});
