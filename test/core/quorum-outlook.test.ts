import { describe, expect, it } from "vitest";
import { COIN_UNIT, FIXED_ONE } from "../../core/params.ts";
import { quorumOutlook } from "../../core/quorum-outlook.ts";
import { producerSchedule } from "../../core/schedule.ts";
import type { Account } from "../../core/types.ts";
import { ChainDriver, OUTSIDER, testParams, VALIDATORS, type TestKey } from "./helpers/chain.ts";

const V0 = VALIDATORS[0] as TestKey;
const V1 = VALIDATORS[1] as TestKey;

/** A network whose genesis validators are `validators`; the outsider has coin for its bonds but no reputation. */
function network(validators: readonly TestKey[]): ChainDriver {
  return new ChainDriver(
    testParams({
      genesisAccounts: [
        ...validators.map((k) => ({ address: k.address, balance: 1_000n * COIN_UNIT, reputation: 5n * FIXED_ONE })),
        { address: OUTSIDER.address, balance: 1_000n * COIN_UNIT, reputation: 0n },
      ],
    }),
  );
}

/** The quorum the chain itself draws for an optimae of `optimizer` (state-transition's rule, not the outlook's). */
let drawn = 0;
async function drawnQuorum(d: ChainDriver, optimizer: TestKey): Promise<readonly string[]> {
  const id = await d.optimae({ optimizer, params: { x: [++drawn] }, reported: -5n * FIXED_ONE, vote: () => null });
  return d.state.rounds.get(id)?.quorum ?? [];
}

describe("quorumOutlook", () => {
  it("a network without validators: NO_EVALUATORS, and indeed nobody may produce its first block", () => {
    const d = network([]);
    const o = quorumOutlook(d.state.accounts, d.state.tipTimestamp, d.params, V0.address);
    expect(o).toMatchObject({ evaluators: 0, evaluatorsBesidesSelf: 0, problem: "NO_EVALUATORS" });
    expect(o.message).toContain("genesis validators");
    expect(producerSchedule(d.state, d.params)).toEqual([]);
    // positive control: one validator is enough to produce
    expect(producerSchedule(network([V0]).state, d.params)).toEqual([V0.address]);
  });

  it("one validator: its own optimae get no evaluator (SELF_ONLY_EVALUATOR), an outsider's get it", async () => {
    const d = network([V0]);
    const t = d.state.tipTimestamp;
    expect(quorumOutlook(d.state.accounts, t, d.params, V0.address)).toMatchObject({ evaluators: 1, evaluatorsBesidesSelf: 0, problem: "SELF_ONLY_EVALUATOR" });
    // seen from the outsider (or from no account at all), the network can decide rounds
    expect(quorumOutlook(d.state.accounts, t, d.params, OUTSIDER.address).problem).toBeNull();
    expect(quorumOutlook(d.state.accounts, t, d.params).problem).toBeNull();
    expect(await drawnQuorum(d, V0)).toEqual([]);
    expect(await drawnQuorum(d, OUTSIDER)).toEqual([V0.address]);
  });

  it("positive control: two validators decide each other's rounds", async () => {
    const d = network([V0, V1]);
    expect(quorumOutlook(d.state.accounts, d.state.tipTimestamp, d.params, V0.address)).toEqual({ evaluators: 2, evaluatorsBesidesSelf: 1, problem: null, message: null });
    expect(await drawnQuorum(d, V0)).toEqual([V1.address]);
  });

  it("counts reputation decayed to the given time against the evaluator minimum (an account outside the genesis)", () => {
    const params = testParams({ genesisAccounts: [] });
    const halfLife = params.reputation.halfLifeMs;
    // 4.0 at time 0: 2.0 after one half-life (still eligible), below 2.0 after that
    const accounts = new Map<string, Account>([[OUTSIDER.address, { balance: 0n, nonce: 0, reputation: 4n * FIXED_ONE, reputationTime: 0, lastActiveTime: 0 }]]);
    expect(quorumOutlook(accounts, halfLife, params).evaluators).toBe(1);
    expect(quorumOutlook(accounts, halfLife + 60_000, params)).toMatchObject({ evaluators: 0, problem: "NO_EVALUATORS" });
  });
});
