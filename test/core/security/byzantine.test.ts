/**
 * The Byzantine simulation (bench/byzantine/simulation.ts): first that what it
 * restates from the state transition (who is eligible, the quorum size, what
 * a verdict does to reputation) is what the chain does, round by round on a
 * real chain; then small seeded runs: honest quorums reject false claims,
 * colluders who hold the quorum do carry their ally's claim, captures occur
 * as often as the exact law says, naive colluders drop below the evaluator
 * minimum, and the rule parameters change what they should.
 */
import { describe, expect, it } from "vitest";
import { COIN_UNIT, devnetParams, FIXED_ONE, mainnetParams, QUADRATIC_DOMAIN } from "../../../core/params.ts";
import { quorumSeed, selectQuorum, toleranceFor } from "../../../core/quorum.ts";
import { adjustReputation } from "../../../core/reputation.ts";
import { computeCommitment } from "../../../core/tx.ts";
import type { Account, Address, ChainParams, ChainState, Fixed, Hash, Tx, Vote } from "../../../core/types.ts";
import { encodeParams, performance, quantize, targetOf } from "../../../plugins/quadratic/domain.ts";
import { toFixed } from "../../../plugins/sdk.ts";
import { decisiveColluders, withholdingColluders } from "../../../bench/byzantine/capture.ts";
import { currentRule, flooredRule } from "../../../bench/byzantine/quorum-rules.ts";
import { eligibility, honestVote, settleRound, simulate, simulationConfig, type ColluderPlan } from "../../../bench/byzantine/simulation.ts";
import { countConsistent } from "../../../bench/byzantine/statistics.ts";
import { ChainDriver, testKey, type TestKey } from "../helpers/chain.ts";

const D = QUADRATIC_DOMAIN;
const NAIVE: ColluderPlan = { promoteAlly: true, block: "outlier", when: "always", allyRevealsOnlyWhenCaptured: false };
const STRATEGIC: ColluderPlan = { promoteAlly: true, block: "withhold", when: "decisive", allyRevealsOnlyWhenCaptured: true };

describe("the simulation's rounds are the chain's rounds", () => {
  const evaluators = Array.from({ length: 12 }, (_, i) => testKey(`byzantine-evaluator-${i}`));
  const optimizer = testKey("byzantine-optimizer");
  const keyOf = new Map<Address, TestKey>(evaluators.map((k) => [k.address, k]));
  // Two below the minimum (1.0, 0.5); the optimizer at 0.7 of the best, so the rule's reputation discount applies.
  const reputations = [5, 5, 3, 1, 8, 2, 10, 4, 0.5, 6, 7, 9];
  const params: ChainParams = devnetParams({
    network: "doin-test",
    genesisAccounts: [
      ...evaluators.map((k, i) => ({ address: k.address, balance: 1_000n * COIN_UNIT, reputation: BigInt(Math.round((reputations[i] as number) * 1e6)) })),
      { address: optimizer.address, balance: 1_000n * COIN_UNIT, reputation: 7n * FIXED_ONE },
    ],
  });
  const target = targetOf();
  const salt = "ab".repeat(16);

  /** Commits and reveals x with `reported`; returns the reveal, the state it was revealed on, and the round. */
  async function open(d: ChainDriver, x: number[], reported: Fixed) {
    const body = encodeParams(x);
    const commit = d.tx(optimizer, "commit", { domain: D.id, commitment: computeCommitment({ domain: D.id, params: body, salt, reported, optimizer: optimizer.pub }) });
    const commitBlock = await d.produce([commit]);
    const before = d.state;
    const reveal = d.tx(optimizer, "reveal", { commit: commit.id, params: body, salt, reported });
    await d.produce([reveal]);
    const round = d.state.rounds.get(reveal.id);
    if (round === undefined) throw new Error("no round");
    // What the simulation would draw: every account but the optimizer, at the reveal's height.
    const candidates = [...before.accounts].filter(([a]) => a !== optimizer.address).map(([address, account]) => ({ address, account }));
    const { eligible, input } = eligibility(candidates, before.accounts.get(optimizer.address) as Account, d.state.height, params);
    const simulated = selectQuorum(quorumSeed(commit.id, commitBlock.hash), eligible, currentRule(params.quorum)(input));
    expect(round.quorum).toEqual(simulated);
    expect(round.commitBlockHash).toBe(commitBlock.hash);
    return { optimae: reveal.id, round };
  }

  /** Sends `votes`, then checks every account's reputation against settleRound applied with core's adjustReputation. */
  async function vote(d: ChainDriver, optimae: Hash, quorum: readonly Address[], votes: Vote[], reported: Fixed, blocksAfter = 0) {
    const before: ChainState = d.state;
    const txs: Tx[] = votes.map((v) => d.tx(keyOf.get(v.evaluator) as TestKey, "vote", { optimae, performance: v.performance, dataHash: v.dataHash }));
    if (txs.length > 0) await d.produce(txs);
    for (let i = 0; i < blocksAfter; i++) await d.produce([]);
    const decidedAt = txs.length === quorum.length ? before.height + 1 : (d.state.rounds.get(optimae)?.deadline ?? 0) + 1;
    const settled = settleRound(quorum, votes, reported, D, params);
    expect(d.state.rounds.get(optimae)?.status).toBe(settled.outcome);
    for (const k of evaluators) {
      const old = before.accounts.get(k.address) as Account;
      const delta = settled.evaluators.get(k.address);
      const want = delta === undefined ? old.reputation : adjustReputation(old, decidedAt, delta, params).reputation;
      expect(d.state.accounts.get(k.address)?.reputation, k.address).toBe(want);
    }
    return settled;
  }

  it("selection, verdicts and reputation: an outvoted inflation, a captured quorum, withheld votes, an honest claim", async () => {
    const d = new ChainDriver(params);
    // A point at squared distance ≈ 90 from the target (a different one each round: a reveal may not repeat parameters).
    const claim = (j: number) => {
      const x = quantize(target.map((t, i) => t + (i % 2 === 0 ? 3 : -3) + j * 0.001));
      const truth = toFixed(performance(x, target));
      return { x, truth, inflated: truth + 3n * toleranceFor(truth, D) };
    };
    const honestVotes = (x: number[], optimae: Hash, quorum: readonly Address[], commitBlockHash: Hash): Vote[] =>
      quorum.map((e) => ({ evaluator: e, performance: honestVote(x, optimae, e, commitBlockHash), dataHash: "cd".repeat(32) }));

    // 1. Inflated claim, colluders one short of carrying it: rejected, the colluders are the outliers.
    const c1 = claim(1);
    const r1 = await open(d, c1.x, c1.inflated);
    const k = r1.round.quorum.length;
    // 9 eligible (the account at exactly 2.0 has decayed below it by the reveal): the rule's 3 + 3 + 3 (active), capped at ⌊9/2⌋
    expect(k).toBe(4);
    const need = decisiveColluders(k, D);
    const v1 = honestVotes(c1.x, r1.optimae, r1.round.quorum, r1.round.commitBlockHash).map((v, i) => (i < need.accept - 1 ? { ...v, performance: c1.inflated } : v));
    const s1 = await vote(d, r1.optimae, r1.round.quorum, v1, c1.inflated);
    expect(s1.outcome).toBe("rejected");
    expect(d.state.accounts.get(optimizer.address)?.reputation).toBe(adjustReputation(d.states.at(-2)?.accounts.get(optimizer.address) as Account, d.state.height, s1.optimizer, params).reputation);

    // 2. The same claim with enough colluders in the quorum: accepted, and the optimizer's accept counts it.
    const c2 = claim(2);
    const r2 = await open(d, c2.x, c2.inflated);
    const n2 = decisiveColluders(r2.round.quorum.length, D).accept;
    const v2 = honestVotes(c2.x, r2.optimae, r2.round.quorum, r2.round.commitBlockHash).map((v, i) => (i < n2 ? { ...v, performance: c2.inflated } : v));
    const s2 = await vote(d, r2.optimae, r2.round.quorum, v2, c2.inflated);
    expect(s2.outcome).toBe("accepted");
    const beforeAccept = d.state.accounts.get(optimizer.address) as Account;
    await d.produce([d.accept(optimizer, r2.optimae)]);
    expect(d.state.accounts.get(optimizer.address)?.reputation).toBe(adjustReputation(beforeAccept, d.state.height, s2.optimizer, params).reputation);

    // 3. An honest claim whose quorum holds enough members withholding their votes: expired at the deadline, nobody moves.
    const c3 = claim(3);
    const r3 = await open(d, c3.x, c3.truth);
    const w = withholdingColluders(r3.round.quorum.length, D);
    const v3 = honestVotes(c3.x, r3.optimae, r3.round.quorum, r3.round.commitBlockHash).slice(w);
    const s3 = await vote(d, r3.optimae, r3.round.quorum, v3, c3.truth, params.voteWindowBlocks);
    expect(s3.outcome).toBe("expired");

    // 4. Control: the same honest claim with every member voting is accepted.
    const c4 = claim(4);
    const r4 = await open(d, c4.x, c4.truth);
    const s4 = await vote(d, r4.optimae, r4.round.quorum, honestVotes(c4.x, r4.optimae, r4.round.quorum, r4.round.commitBlockHash), c4.truth);
    expect(s4.outcome).toBe("accepted");
  });
});

describe("seeded runs", () => {
  const params = mainnetParams();
  const run = (over: Parameters<typeof simulationConfig>[2]) => simulate(simulationConfig(params, D, { evaluators: 30, rounds: 300, sampleEvery: 50, ...over }));

  it("no colluders: every false claim rejected, claims within tolerance accepted, honest claims accepted", () => {
    const r = run({ colludingFraction: 0, rounds: 200 });
    for (const kind of ["inflateOutside", "deflateOutside", "ally"] as const) {
      expect(r.byKind[kind].rounds).toBeGreaterThan(10);
      expect(r.byKind[kind].rejected, kind).toBe(r.byKind[kind].rounds);
    }
    for (const kind of ["inflateInside", "deflateInside"] as const) expect(r.byKind[kind].accepted, kind).toBe(r.byKind[kind].rounds);
    expect(r.byKind.honest.accepted).toBeGreaterThanOrEqual(r.byKind.honest.rounds - 2);
    expect(r.captured).toEqual({ block: 0, median: 0, accept: 0 });
    expect(r.votes.colluder).toBe(0);
  });

  it("colluders who hold the quorum carry their ally's claim (positive control) and block honest claims", () => {
    const r = run({ colludingFraction: 0.8, colluders: STRATEGIC });
    const ally = r.byKind.ally;
    expect(ally.accepted).toBeGreaterThan(0);
    expect(ally.accepted + ally.withdrawn).toBe(ally.rounds);
    expect(r.byKind.honest.expired).toBeGreaterThan(r.byKind.honest.rounds / 2);
  });

  it("a false claim is accepted exactly when its quorum is captured, and captures are as frequent as the exact law says", () => {
    const r = run({ colludingFraction: 0.4, colluders: STRATEGIC, rounds: 400 });
    const allyRecords = r.records.filter((x) => x.kind === "ally");
    for (const x of allyRecords) {
      const captured = x.colluders >= decisiveColluders(x.k, D).accept;
      expect(x.outcome).toBe(captured ? "accepted" : "withdrawn");
    }
    expect(r.byKind.ally.accepted).toBe(r.allyCaptured);
    expect(r.byKind.inflateOutside.accepted + r.byKind.deflateOutside.accepted).toBe(0);
    // Every round draws a quorum; its colluder count against the exact probability given that round's eligible set and K.
    for (const d of ["block", "median", "accept"] as const) {
      const p = r.expectedCaptured[d] / r.records.length;
      expect(countConsistent(r.captured[d], r.records.length, p), `${d}: ${r.captured[d]} drawn, ${r.expectedCaptured[d]} expected`).toBe(true);
    }
    expect(r.captured.block).toBeGreaterThan(50);
  });

  it("naive colluders fall below the evaluator minimum and stop being drawn; honest evaluators stay", () => {
    const r = run({ colludingFraction: 0.3, colluders: NAIVE });
    expect(r.dropout.colluder.all).not.toBeNull();
    expect(r.dropout.colluder.all as number).toBeLessThan(150);
    expect(r.dropout.honest.half).toBeNull();
    const last = r.samples.at(-1);
    expect(last?.groups["colluderEvaluators"]?.eligible).toBe(0);
    expect(last?.groups["honestEvaluators"]?.eligible).toBe(21);
    // once they are gone, no quorum holds a colluder
    const after = r.records.slice((r.dropout.colluder.all as number) + 1);
    expect(after.every((x) => x.colluders === 0)).toBe(true);
  });

  it("the quorum rule is a parameter: the proposed floor draws at least 10", () => {
    // optimizers far above every evaluator: today's rule takes 2 off for their reputation
    const over = { colludingFraction: 0.2, rounds: 100, initialOptimizerReputation: 100n * FIXED_ONE };
    const today = run(over);
    const floored = run({ ...over, quorumRule: flooredRule(params.quorum, 10) });
    expect(Math.min(...today.quorumSizes.keys())).toBeLessThan(10);
    expect(Math.min(...floored.quorumSizes.keys())).toBeGreaterThanOrEqual(10);
  });

  it("a missed-vote penalty makes withholding cost the colluders reputation", () => {
    const free = run({ colludingFraction: 0.3, colluders: STRATEGIC });
    const costly = run({ colludingFraction: 0.3, colluders: STRATEGIC, missedVotePenalty: 2n * FIXED_ONE });
    const mean = (r: typeof free) => r.samples.at(-1)?.groups["colluderEvaluators"]?.meanReputation ?? 0;
    expect(mean(costly)).toBeLessThan(mean(free) - 1);
    expect(costly.byKind.honest.expired).toBeLessThan(free.byKind.honest.expired);
  });
});
