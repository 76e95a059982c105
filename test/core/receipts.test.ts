/** The receipts a block's transition returns beside its state (core/state-transition.ts). */
import { describe, expect, it } from "vitest";
import { FIXED_ONE } from "../../core/params.ts";
import { buildBlock, transitionWithReceipts } from "../../core/state-transition.ts";
import type { Block, ChainState } from "../../core/types.ts";
import { ChainDriver, VALIDATORS, type TestKey } from "./helpers/chain.ts";

const ONE = FIXED_ONE;
const [V0, V1] = VALIDATORS as [TestKey, TestKey];

function receiptsOfChain(d: ChainDriver) {
  return d.blocks.slice(1).map((block, i) => {
    const r = transitionWithReceipts(d.states[i] as ChainState, block as Block, d.params);
    if (!r.ok) throw new Error(r.error.message);
    expect(r.value.state).toEqual(d.states[i + 1]);
    return { block: block as Block, next: d.states[i + 1] as ChainState, receipts: r.value.receipts };
  });
}

describe("block receipts", () => {
  it("record every accept's increment (summing to the header's work), the champion it beat, and each verdict as the rounds show it", async () => {
    const d = new ChainDriver();
    const a = await d.optimae({ optimizer: V0, params: { x: [1] }, reported: -50n * ONE, vote: () => -50n * ONE });
    const b = await d.optimae({ optimizer: V1, params: { x: [2] }, reported: -40n * ONE, vote: () => -40n * ONE });
    await d.produce([d.accept(V0, a), d.accept(V1, b)]);
    const all = receiptsOfChain(d);
    for (const { block, next, receipts } of all) {
      expect(receipts.accepts.reduce((s, x) => s + x.increment, 0n)).toBe(block.header.work);
      for (const v of receipts.verdicts) {
        const round = next.rounds.get(v.optimae);
        // a round decided by votes and claimed in the same block shows "claimed" afterwards
        if (round !== undefined && round.status !== "claimed") expect(round.status).toBe(v.status);
      }
    }
    const last = all[all.length - 1]!;
    expect(last.receipts.accepts.map((x) => [x.optimae, x.previousBest, x.verified, x.superseded])).toEqual([
      [a, -1000n * ONE, -50n * ONE, false],
      [b, -50n * ONE, -40n * ONE, false],
    ]);
    expect(last.receipts.accepts.every((x) => x.increment > 0n)).toBe(true);
    expect(last.receipts.reputation.map((x) => [x.address, x.event, x.txIndex])).toEqual([
      [V0.address, "optimaeAccepted", 0],
      [V1.address, "optimaeAccepted", 1],
    ]);
    // each vote block's verdict: accepted, decided by its last vote, agreeing evaluators rewarded
    const decided = all.filter((x) => x.receipts.verdicts.length > 0);
    expect(decided.map((x) => x.receipts.verdicts.map((v) => [v.optimae, v.status]))).toEqual([[[a, "accepted"]], [[b, "accepted"]]]);
    for (const x of decided) {
      expect(x.receipts.verdicts[0]?.txIndex).toBe(x.block.txs.length - 1);
      expect(x.receipts.reputation.filter((r) => r.event === "evaluationAgreed")).toHaveLength(x.block.txs.length);
    }
  });

  it("mark a superseded accept as worth nothing, and a round whose window closed as expired at the block's start", async () => {
    const d = new ChainDriver();
    const weak = await d.optimae({ optimizer: V0, params: { x: [3] }, reported: -60n * ONE, vote: () => -60n * ONE });
    const strong = await d.optimae({ optimizer: V1, params: { x: [4] }, reported: -30n * ONE, vote: () => -30n * ONE });
    const silent = await d.optimae({ optimizer: V0, params: { x: [5] }, reported: -20n * ONE, vote: () => null });
    await d.produce([d.accept(V1, strong)]);
    await d.produce([d.accept(V0, weak)]);
    const superseded = receiptsOfChain(d).at(-1)!.receipts.accepts;
    expect(superseded).toEqual([expect.objectContaining({ optimae: weak, superseded: true, increment: 0n, previousBest: -30n * ONE })]);
    // past the silent round's deadline: decided at the start of the next block, with nobody's vote
    const deadline = d.state.rounds.get(silent)?.deadline ?? 0;
    while (d.state.height + 1 <= deadline) await d.produce([]);
    const built = buildBlock(d.state, [], d.params, { producerSecret: d.scheduled().secret, timestamp: d.state.tipTimestamp + d.params.carrierIntervalMs * 2 });
    if (!built.ok) throw new Error(built.error.message);
    expect(built.value.receipts.verdicts).toEqual([{ optimae: silent, status: "expired", verified: null, txIndex: null }]);
    expect(built.value.receipts.reputation.every((r) => r.event === "evaluationMissed" && r.txIndex === null)).toBe(true);
    expect(built.value.receipts.reputation.length).toBe(d.state.rounds.get(silent)?.quorum.length);
  });
});
