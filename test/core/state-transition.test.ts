import { describe, expect, it } from "vitest";
import { blockHash, sealBlock } from "../../core/block.ts";
import { genesisBlock, paramsDigest } from "../../core/genesis.ts";
import { COIN_UNIT, FIXED_ONE } from "../../core/params.ts";
import { applyBlock, buildBlock, transitionBlock } from "../../core/state-transition.ts";
import { computeStateRoot } from "../../core/state-root.ts";
import { computeCommitment } from "../../core/tx.ts";
import { decayedReputation } from "../../core/reputation.ts";
import type { Account, Block, BlockHeader, Tx } from "../../core/types.ts";
import { accountedCoin, ChainDriver, OUTSIDER, testParams, totalBalances, VALIDATORS, type TestKey } from "./helpers/chain.ts";

const [V0, V1, V2] = VALIDATORS as [TestKey, TestKey, TestKey, TestKey, TestKey];
const X = { x: [1_000_000, -2_000_000, 3_500_000] };

async function rejectOf(d: ChainDriver, txs: readonly Tx[], advanceMs = d.params.carrierIntervalMs) {
  const built = buildBlock(d.state, txs, d.params, { producerSecret: d.scheduled().secret, timestamp: d.now + advanceMs });
  // the candidates never reach the chain: their nonces are free again
  d.nonces.clear();
  if (!built.ok) return built.error.code;
  return built.value.rejected[0]?.error.code ?? "none";
}

describe("genesis", () => {
  it("is a pure function of the parameters", () => {
    const a = genesisBlock(testParams());
    const b = genesisBlock(testParams());
    expect(a.block.hash).toBe(b.block.hash);
    expect(a.block.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(genesisBlock(testParams({ network: "other-net" })).block.hash).not.toBe(a.block.hash);
  });

  it("commits to every parameter: a rule that differs is another network from genesis on", () => {
    const base = testParams();
    const a = genesisBlock(base);
    expect(a.block.header.parent).toBe(paramsDigest(base));
    const domain = base.domains[0] as (typeof base.domains)[number];
    const variants = [
      testParams({ voteWindowBlocks: base.voteWindowBlocks + 1 }),
      testParams({ carrierIntervalMs: base.carrierIntervalMs + 1 }),
      testParams({ domains: [{ ...domain, epsilon: domain.epsilon + 1n }] }),
      testParams({ reputation: { ...base.reputation, rejectPenalty: base.reputation.rejectPenalty + 1n } }),
    ];
    const hashes = new Set([a.block.hash, ...variants.map((p) => genesisBlock(p).block.hash)]);
    expect(hashes.size).toBe(variants.length + 1);
    // the genesis state itself does not change with those rules: only the digest tells them apart
    expect(genesisBlock(variants[2] as typeof base).state.accounts).toEqual(a.state.accounts);
    expect(a.state.supply).toBe(5_000n * COIN_UNIT);
    expect(totalBalances(a.state)).toBe(a.state.supply);
  });
});

describe("optimae lifecycle", () => {
  it("an honest optimae is verified, accepted, rewarded and becomes champion", async () => {
    const d = new ChainDriver();
    const reported = -120n * FIXED_ONE;
    const id = await d.optimae({ optimizer: V0, params: X, reported, vote: () => reported - 100_000n });
    const round = d.state.rounds.get(id);
    // five validators: every one but the optimizer (a quorum takes all while fewer than 10 can evaluate)
    expect(round?.quorum.length).toBe(4);
    expect(round?.quorum).not.toContain(V0.address);
    expect(round?.status).toBe("accepted");
    expect(round?.verified).toBe(reported - 100_000n);

    const before = d.state;
    const block = await d.produce([d.accept(V0, id)], V1, 1);
    const repBefore = decayedReputation(before.accounts.get(V0.address) as Account, block.header.timestamp, d.params);
    expect(block.header.work).toBeGreaterThan(0n);
    const s = d.state;
    expect(s.mintedBlocks).toBe(1);
    expect(s.supply - before.supply).toBe(50n * COIN_UNIT);
    expect(accountedCoin(s)).toBe(s.supply);
    const champion = s.champions.get("quadratic");
    expect(champion?.optimae).toBe(id);
    expect(champion?.performance).toBe(reported - 100_000n);
    // 65 % to the optimizer (the only one), 30 % to the four agreeing evaluators, 5 % + dust to the producer.
    const paid = new Map(block.coinbase.map((o) => [`${o.role}:${o.to}`, o.amount]));
    expect(paid.get(`optimizer:${V0.address}`)).toBe((50n * COIN_UNIT * 65n) / 100n);
    expect(block.coinbase.filter((o) => o.role === "evaluator")).toHaveLength(4);
    expect(block.coinbase.reduce((a, o) => a + o.amount, 0n)).toBe(50n * COIN_UNIT);
    expect(s.accounts.get(V0.address)?.reputation).toBe(repBefore + FIXED_ONE);
    expect(s.rounds.get(id)?.status).toBe("claimed");
  });

  it("a false claim is rejected and costs the optimizer three times what honest work earns", async () => {
    const d = new ChainDriver();
    const id = await d.optimae({ optimizer: V0, params: X, reported: -10n * FIXED_ONE, vote: () => -300n * FIXED_ONE });
    expect(d.state.rounds.get(id)?.status).toBe("rejected");
    const decidedAt = d.state.height;
    const prev = d.states[decidedAt - 1]?.accounts.get(V0.address) as Account;
    const lost = decayedReputation(prev, d.state.tipTimestamp, d.params) - (d.state.accounts.get(V0.address)?.reputation ?? 0n);
    expect(lost).toBe(3n * FIXED_ONE);

    const d2 = new ChainDriver();
    const honest = await d2.optimae({ optimizer: V1, params: X, reported: -200n * FIXED_ONE, vote: () => -200n * FIXED_ONE });
    const prev2 = d2.state.accounts.get(V1.address) as Account;
    await d2.produce([d2.accept(V1, honest)]);
    const gained = (d2.state.accounts.get(V1.address)?.reputation ?? 0n) - decayedReputation(prev2, d2.state.tipTimestamp, d2.params);
    expect(gained).toBe(FIXED_ONE);
    expect(lost).toBe(3n * gained);
    expect(await rejectOf(d, [d.accept(V0, id)])).toBe("NOT_VERIFIED");
  });

  it("a reveal that does not match its commit is rejected", async () => {
    const d = new ChainDriver();
    const commitment = computeCommitment({ domain: "quadratic", params: X, salt: "ab".repeat(16), reported: -5n, optimizer: V0.pub });
    const commit = d.tx(V0, "commit", { domain: "quadratic", commitment });
    await d.produce([commit]);
    const reveal = d.tx(V0, "reveal", { commit: commit.id, params: X, salt: "ab".repeat(16), reported: -4n });
    expect(await rejectOf(d, [reveal])).toBe("REVEAL_MISMATCH");
  });

  it("a reveal before its quorum seed exists is refused, and only the author may reveal", async () => {
    const d = new ChainDriver();
    const salt = "ef".repeat(16);
    const commitment = computeCommitment({ domain: "quadratic", params: X, salt, reported: -5n, optimizer: V0.pub });
    const commit = d.tx(V0, "commit", { domain: "quadratic", commitment });
    const reveal = d.tx(V0, "reveal", { commit: commit.id, params: X, salt, reported: -5n });
    expect(await rejectOf(d, [commit, reveal])).toBe("REVEAL_TOO_EARLY");
    d.nonces.clear();
    await d.produce([d.tx(V0, "commit", { domain: "quadratic", commitment })]);
    expect(await rejectOf(d, [d.tx(V1, "reveal", { commit: commit.id, params: X, salt, reported: -5n })])).toBe("NOT_COMMIT_AUTHOR");
    expect(await rejectOf(d, [d.tx(V1, "commit", { domain: "quadratic", commitment })])).toBe("DUPLICATE_COMMIT");
    expect(await rejectOf(d, [d.tx(V1, "commit", { domain: "nope", commitment: "00".repeat(32) })])).toBe("UNKNOWN_DOMAIN");
  });

  it("a copy of someone else's revealed parameters gains nothing", async () => {
    const d = new ChainDriver();
    const id = await d.optimae({ optimizer: V0, params: X, reported: -50n * FIXED_ONE, vote: () => -50n * FIXED_ONE });
    const salt = "99".repeat(16);
    const commitment = computeCommitment({ domain: "quadratic", params: X, salt, reported: -50n * FIXED_ONE, optimizer: V1.pub });
    const commit = d.tx(V1, "commit", { domain: "quadratic", commitment });
    await d.produce([commit]);
    const copy = d.tx(V1, "reveal", { commit: commit.id, params: X, salt, reported: -50n * FIXED_ONE });
    expect(await rejectOf(d, [copy])).toBe("DUPLICATE_PARAMS");
    // and nobody but the optimizer can claim the original
    expect(await rejectOf(d, [d.accept(V1, id)])).toBe("NOT_OPTIMAE_AUTHOR");
  });

  it("only selected evaluators vote, once, within the window", async () => {
    const d = new ChainDriver();
    const id = await d.optimae({ optimizer: V0, params: X, reported: -50n * FIXED_ONE, vote: () => null });
    const round = d.state.rounds.get(id);
    // the optimizer never evaluates its own optimae; an account without reputation is never selected
    expect(await rejectOf(d, [d.tx(V0, "vote", { optimae: id, performance: 0n, dataHash: "00".repeat(32) })])).toBe("NOT_SELECTED");
    expect(await rejectOf(d, [d.tx(OUTSIDER, "vote", { optimae: id, performance: 0n, dataHash: "00".repeat(32) })])).toBe("NOT_SELECTED");
    expect(await rejectOf(d, [d.tx(OUTSIDER, "vote", { optimae: "12".repeat(32), performance: 0n, dataHash: "00".repeat(32) })])).toBe("UNKNOWN_OPTIMAE");
    const voter = VALIDATORS.find((k) => k.address === round?.quorum[0]) as TestKey;
    d.nonces.clear();
    await d.produce([d.tx(voter, "vote", { optimae: id, performance: -50n * FIXED_ONE, dataHash: "00".repeat(32) })]);
    expect(await rejectOf(d, [d.tx(voter, "vote", { optimae: id, performance: -50n * FIXED_ONE, dataHash: "00".repeat(32) })])).toBe("DUPLICATE_VOTE");
    d.nonces.clear();
    for (let i = 0; i <= d.params.voteWindowBlocks; i++) await d.produce([]);
    expect(d.state.rounds.get(id)?.status).toBe("expired");
    const late = VALIDATORS.find((k) => k.address === round?.quorum[1]) as TestKey;
    // a selected evaluator's late vote is recorded as nothing: the round stays expired
    d.nonces.clear();
    await d.produce([d.tx(late, "vote", { optimae: id, performance: 0n, dataHash: "00".repeat(32) })]);
    expect(d.state.rounds.get(id)?.status).toBe("expired");
    expect(d.state.rounds.get(id)?.votes).toHaveLength(1);
  });

  it("an optimae that no longer beats the champion by ε is recorded as superseded and earns nothing", async () => {
    const d = new ChainDriver();
    const a = await d.optimae({ optimizer: V0, params: X, reported: -50n * FIXED_ONE, vote: () => -50n * FIXED_ONE });
    const b = await d.optimae({ optimizer: V1, params: { x: [1] }, reported: -60n * FIXED_ONE, vote: () => -60n * FIXED_ONE });
    await d.produce([d.accept(V0, a)]);
    const before = d.state;
    const block = await d.produce([d.accept(V1, b)]);
    expect(block.header.work).toBe(0n);
    expect(d.state.rounds.get(b)?.status).toBe("superseded");
    expect(d.state.champions.get("quadratic")?.optimae).toBe(a);
    // no reputation for it: the stored reputation is untouched
    expect(d.state.accounts.get(V1.address)?.reputation).toBe(before.accounts.get(V1.address)?.reputation);
    expect(await rejectOf(d, [d.accept(V1, b)])).toBe("NOT_VERIFIED");
  });

  it("outlying votes are clipped and their voters penalized", async () => {
    const d = new ChainDriver();
    let liar = "";
    const id = await d.optimae({
      optimizer: V0,
      params: X,
      reported: -50n * FIXED_ONE,
      vote: (e) => {
        if (liar === "") {
          liar = e;
          return -900n * FIXED_ONE;
        }
        return -50n * FIXED_ONE;
      },
    });
    const round = d.state.rounds.get(id);
    expect(round?.status).toBe("accepted");
    expect(round?.agreeing).not.toContain(liar);
    const prevLiar = d.states[d.state.height - 1]?.accounts.get(liar) as Account;
    expect(decayedReputation(prevLiar, d.state.tipTimestamp, d.params) - (d.state.accounts.get(liar)?.reputation ?? 0n)).toBe(2n * FIXED_ONE);
  });
});

describe("accounts and fees", () => {
  it("transfers move coin, fees go to the producer, nonces must follow", async () => {
    const d = new ChainDriver();
    const supply = d.state.supply;
    const t = d.tx(V1, "transfer", { to: OUTSIDER.address, amount: 7n * COIN_UNIT }, 3n);
    await d.produce([t], V2);
    expect(d.state.accounts.get(OUTSIDER.address)?.balance).toBe(7n * COIN_UNIT);
    expect(d.state.accounts.get(V1.address)?.balance).toBe(1_000n * COIN_UNIT - 7n * COIN_UNIT - 3n);
    expect(d.state.accounts.get(V2.address)?.balance).toBe(1_000n * COIN_UNIT + 3n);
    expect(d.state.supply).toBe(supply);
    expect(totalBalances(d.state)).toBe(d.state.supply);
    expect(await rejectOf(d, [t])).toBe("BAD_NONCE");
    expect(await rejectOf(d, [d.tx(OUTSIDER, "transfer", { to: V1.address, amount: 8n * COIN_UNIT })])).toBe("INSUFFICIENT_BALANCE");
  });

  it("anchors must name the chain's own checkpoint block", async () => {
    const d = new ChainDriver(testParams({ anchorInterval: 2 }));
    await d.produce([]);
    await d.produce([]);
    await d.produce([]);
    const cp = d.blocks[2] as Block;
    await d.produce([d.tx(V1, "anchor", { height: 2, blockHash: cp.hash, ledger: "btc", ref: "tx:abc" })]);
    expect(d.state.anchors.get(2)).toBe(cp.hash);
    expect(await rejectOf(d, [d.tx(V1, "anchor", { height: 2, blockHash: "00".repeat(32), ledger: "btc", ref: "x" })])).toBe("BAD_ANCHOR");
    expect(await rejectOf(d, [d.tx(V1, "anchor", { height: 3, blockHash: cp.hash, ledger: "btc", ref: "x" })])).toBe("BAD_ANCHOR");
    expect(await rejectOf(d, [d.tx(V1, "anchor", { height: 40, blockHash: cp.hash, ledger: "btc", ref: "x" })])).toBe("BAD_ANCHOR");
  });
});

describe("block validity", () => {
  async function withBlock() {
    const d = new ChainDriver();
    const id = await d.optimae({ optimizer: V0, params: X, reported: -50n * FIXED_ONE, vote: () => -50n * FIXED_ONE });
    const parent = d.state;
    const producer = d.scheduled();
    const built = buildBlock(parent, [d.accept(V0, id)], d.params, { producerSecret: producer.secret, timestamp: d.now + 1 });
    if (!built.ok) throw new Error(built.error.message);
    return { d, parent, block: built.value.block, producer };
  }
  function sealAs(block: Block, header: Partial<BlockHeader>, key: TestKey): Block {
    return sealBlock({ ...block.header, ...header }, block.txs, block.coinbase, key.secret);
  }

  it("a valid block applies and gives the same state root twice", async () => {
    const { d, parent, block } = await withBlock();
    const a = await applyBlock(parent, block, d.params);
    const b = await applyBlock(parent, block, d.params);
    expect(a.ok && b.ok).toBe(true);
    if (a.ok && b.ok) {
      expect(computeStateRoot(a.value)).toBe(computeStateRoot(b.value));
      expect(computeStateRoot(a.value)).toBe(block.header.stateRoot);
      expect(a.value.tipHash).toBe(block.hash);
    }
  });

  it("rejects each kind of tampering with a named code", async () => {
    const { d, parent, block, producer: P } = await withBlock();
    const reseal = (b: Block, header: Partial<BlockHeader>) => sealAs(b, header, P);
    const code = async (b: Block, nowMs?: number) => {
      const r = await applyBlock(parent, b, d.params, nowMs === undefined ? {} : { nowMs });
      return r.ok ? "ok" : r.error.code;
    };
    expect(await code(reseal(block, { height: block.header.height + 1 }))).toBe("BAD_HEIGHT");
    expect(await code(reseal(block, { parent: "00".repeat(32) }))).toBe("BAD_PARENT");
    expect(await code(reseal(block, { timestamp: parent.tipTimestamp }))).toBe("BAD_TIMESTAMP");
    expect(await code(block, block.header.timestamp - 60_000)).toBe("BAD_TIMESTAMP");
    expect(await code(reseal(block, { threshold: block.header.threshold + 1n }))).toBe("BAD_THRESHOLD");
    expect(await code(reseal(block, { work: block.header.work + 1n }))).toBe("BAD_WORK");
    expect(await code(reseal(block, { cumulativeWork: block.header.cumulativeWork + 1n }))).toBe("BAD_WORK");
    expect(await code(reseal(block, { stateRoot: "00".repeat(32) }))).toBe("BAD_STATE_ROOT");
    expect(await code(reseal(block, { network: "elsewhere" }))).toBe("WRONG_NETWORK");
    expect(await code({ ...block, sig: "00".repeat(64) })).toBe("BAD_SIGNATURE");
    expect(await code({ ...block, hash: "00".repeat(32) })).toBe("BAD_ID");
    expect(await code({ ...block, txs: [] })).toBe("BAD_TX_ROOT");
    const inflated = block.coinbase.map((o, i) => (i === 0 ? { ...o, amount: o.amount + 1n } : o));
    expect(await code({ ...block, coinbase: inflated })).toBe("BAD_COINBASE");
    const { coinbaseRoot } = await import("../../core/block.ts");
    expect(await code(sealBlock({ ...block.header, coinbaseRoot: coinbaseRoot(inflated) }, block.txs, inflated, P.secret))).toBe("BAD_COINBASE");
    const forged = { ...block.txs[0], sig: "11".repeat(64) } as Tx;
    expect(await code(sealBlock(block.header, [forged], block.coinbase, P.secret))).toBe("BAD_SIGNATURE");
    const dup = sealBlock(block.header, [block.txs[0] as Tx, block.txs[0] as Tx], block.coinbase, P.secret);
    expect(await code(dup)).toBe("DUPLICATE_TX");
    expect(blockHash(block.header)).toBe(block.hash);
  });

  it("a block below the threshold must wait for the carrier interval", async () => {
    const d = new ChainDriver();
    const P = d.scheduled();
    const built = buildBlock(d.state, [], d.params, { producerSecret: P.secret, timestamp: d.now + 1 });
    expect(built.ok ? "ok" : built.error.code).toBe("BELOW_THRESHOLD");
    const later = buildBlock(d.state, [], d.params, { producerSecret: P.secret, timestamp: d.now + d.params.carrierIntervalMs });
    expect(later.ok).toBe(true);
    if (later.ok) {
      const r = transitionBlock(d.state, later.value.block, d.params);
      expect(r.ok).toBe(true);
      expect(later.value.block.coinbase).toEqual([]);
    }
  });
});
