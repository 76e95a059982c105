/**
 * The Byzantine simulation (bench/byzantine/simulation.ts): first that its
 * rounds are the chain's (who is eligible, the quorum size and the quorum
 * drawn, what a verdict and a missed vote do to reputation, decayed by block
 * time), round by round on a real chain; then small seeded runs: honest
 * quorums reject false claims,
 * colluders who hold the quorum do carry their ally's claim, captures occur
 * as often as the exact law says, naive colluders drop below the evaluator
 * minimum, and the rule parameters change what they should.
 */
import { describe, expect, it } from "vitest";
import { COIN_UNIT, devnetParams, FIXED_ONE, mainnetParams, QUADRATIC_DOMAIN } from "../../../core/params.ts";
import { quorumSeed, selectQuorum, toleranceFor } from "../../../core/quorum.ts";
import { adjustReputation } from "../../../core/reputation.ts";
import { computeCommitment } from "../../../core/tx.ts";
import type { Account, Address, ChainParams, ChainState, Fixed, Hash, Round, Tx, Vote } from "../../../core/types.ts";
import { encodeParams, performance, quantize, targetOf } from "../../../plugins/quadratic/domain.ts";
import { toFixed } from "../../../plugins/sdk.ts";
import { decisiveColluders, withholdingColluders } from "../../../bench/byzantine/capture.ts";
import { currentRule, referenceRule } from "../../../bench/byzantine/quorum-rules.ts";
import { eligibility, honestVote, settleRound, simulate, simulationConfig, type ColluderPlan } from "../../../bench/byzantine/simulation.ts";
import { countConsistent } from "../../../bench/byzantine/statistics.ts";
import { ChainDriver, testKey, type TestKey } from "../helpers/chain.ts";

const D = QUADRATIC_DOMAIN;
const NAIVE: ColluderPlan = { promoteAlly: true, block: "outlier", when: "always", allyRevealsOnlyWhenCaptured: false };
const STRATEGIC: ColluderPlan = { promoteAlly: true, block: "withhold", when: "decisive", allyRevealsOnlyWhenCaptured: true };
/** only carrying the ally's claims, where they can: nothing costs them reputation */
const CARRY_ONLY: ColluderPlan = { ...STRATEGIC, block: "none" };

describe("the simulation's rounds are the chain's rounds", () => {
  // 80 evaluators, 64 of them eligible at genesis (two in ten below 2.0, one of them at exactly 2.0, which any block time decays below)
  const evaluators = Array.from({ length: 80 }, (_, i) => testKey(`byzantine-evaluator-${i}`));
  const optimizer = testKey("byzantine-optimizer");
  const keyOf = new Map<Address, TestKey>(evaluators.map((k) => [k.address, k]));
  const reputations = [5, 3, 8, 2, 10, 4.5, 1, 6, 9, 7];
  const params: ChainParams = devnetParams({
    network: "doin-test",
    genesisAccounts: [
      ...evaluators.map((k, i) => ({ address: k.address, balance: 1_000n * COIN_UNIT, reputation: BigInt(Math.round((reputations[i % reputations.length] as number) * 1e6)) })),
      { address: optimizer.address, balance: 1_000n * COIN_UNIT, reputation: 7n * FIXED_ONE },
    ],
  });
  const target = targetOf();
  const salt = "ab".repeat(16);
  /** the block time of the block at `height` */
  const timeAt = (d: ChainDriver, height: number) => (d.blocks[height] as (typeof d.blocks)[number]).header.timestamp;

  /**
   * Commits x with `reported`, waits for its quorum seed, reveals; checks the
   * round's quorum against the simulation's draw (eligibility and the rule at
   * the reveal's block time, the seed from the beacon seedDelayBlocks after
   * the commit's block).
   */
  async function open(d: ChainDriver, x: number[], reported: Fixed) {
    const body = encodeParams(x);
    const commit = d.tx(optimizer, "commit", { domain: D.id, commitment: computeCommitment({ domain: D.id, params: body, salt, reported, optimizer: optimizer.pub }) });
    const commitBlock = await d.produce([commit]);
    for (let i = 0; i < params.seedDelayBlocks; i++) await d.produce([]);
    const before = d.state;
    const reveal = d.tx(optimizer, "reveal", { commit: commit.id, params: body, salt, reported });
    const revealBlock = await d.produce([reveal]);
    const round = d.state.rounds.get(reveal.id);
    if (round === undefined) throw new Error("no round");
    expect(round.beacon).toBe(d.states[commitBlock.header.height + params.seedDelayBlocks]?.beacon);
    const { eligible, input } = eligibility(before.accounts, optimizer.address, revealBlock.header.timestamp, params);
    const simulated = selectQuorum(quorumSeed(round.beacon), eligible, currentRule(params.quorum)(input));
    expect(round.quorum).toEqual(simulated);
    return { optimae: reveal.id, round, eligible: eligible.length };
  }

  /**
   * Sends `votes` (then `blocksAfter` empty blocks), then checks the outcome
   * and every account's reputation against settleRound applied with core's
   * adjustReputation at the block time of the deciding block.
   */
  async function vote(d: ChainDriver, optimae: Hash, quorum: readonly Address[], votes: Vote[], reported: Fixed, blocksAfter = 0) {
    const before: ChainState = d.state;
    const txs: Tx[] = votes.map((v) => d.tx(keyOf.get(v.evaluator) as TestKey, "vote", { optimae, performance: v.performance, dataHash: v.dataHash }));
    if (txs.length > 0) await d.produce(txs);
    for (let i = 0; i < blocksAfter; i++) await d.produce([]);
    const decidedAt = timeAt(d, txs.length === quorum.length ? before.height + 1 : (d.state.rounds.get(optimae)?.deadline ?? 0) + 1);
    const settled = settleRound(quorum, votes, reported, D, params);
    expect(d.state.rounds.get(optimae)?.status).toBe(settled.outcome);
    for (const k of evaluators) {
      const old = before.accounts.get(k.address) as Account;
      const delta = settled.evaluators.get(k.address);
      const want = delta === undefined ? old.reputation : adjustReputation(old, decidedAt, delta, params).reputation;
      expect(d.state.accounts.get(k.address)?.reputation, k.address).toBe(want);
    }
    const optimizerBefore = before.accounts.get(optimizer.address) as Account;
    const optimizerWant = settled.outcome === "rejected" ? adjustReputation(optimizerBefore, decidedAt, settled.optimizer, params).reputation : optimizerBefore.reputation;
    expect(d.state.accounts.get(optimizer.address)?.reputation).toBe(optimizerWant);
    return settled;
  }

  it("selection, verdicts and reputation: an outvoted inflation, a captured quorum, withheld votes, an honest claim", async () => {
    const d = new ChainDriver(params, [...evaluators, optimizer]);
    // A point at squared distance ≈ 90 from the target (a different one each round: a reveal may not repeat parameters).
    const claim = (j: number) => {
      const x = quantize(target.map((t, i) => t + (i % 2 === 0 ? 3 : -3) + j * 0.001));
      const truth = toFixed(performance(x, target));
      return { x, truth, inflated: truth + 3n * toleranceFor(truth, D) };
    };
    const honestVotes = (x: number[], round: Round): Vote[] =>
      round.quorum.map((e) => ({ evaluator: e, performance: honestVote(x, round.commit, e, round.beacon), dataHash: "cd".repeat(32) }));

    // 1. Inflated claim, colluders one short of carrying it: rejected, the colluders are the outliers.
    const c1 = claim(1);
    const r1 = await open(d, c1.x, c1.inflated);
    // 64 eligible, all active since genesis: 3 + 6 + 3
    expect(r1.eligible).toBe(64);
    expect(r1.round.quorum).toHaveLength(12);
    const n1 = decisiveColluders(12, D).accept;
    const v1 = honestVotes(c1.x, r1.round).map((v, i) => (i < n1 - 1 ? { ...v, performance: c1.inflated } : v));
    expect((await vote(d, r1.optimae, r1.round.quorum, v1, c1.inflated)).outcome).toBe("rejected");

    // 2. The same claim with enough colluders in the quorum: accepted, and the optimizer's accept counts it.
    const c2 = claim(2);
    const r2 = await open(d, c2.x, c2.inflated);
    const n2 = decisiveColluders(r2.round.quorum.length, D).accept;
    const v2 = honestVotes(c2.x, r2.round).map((v, i) => (i < n2 ? { ...v, performance: c2.inflated } : v));
    const s2 = await vote(d, r2.optimae, r2.round.quorum, v2, c2.inflated);
    expect(s2.outcome).toBe("accepted");
    const beforeAccept = d.state.accounts.get(optimizer.address) as Account;
    const acceptBlock = await d.produce([d.accept(optimizer, r2.optimae)]);
    expect(d.state.accounts.get(optimizer.address)?.reputation).toBe(adjustReputation(beforeAccept, acceptBlock.header.timestamp, s2.optimizer, params).reputation);

    // A week and a minute later: every reputation has halved (the block count does not matter), nobody has been active for a half-life.
    await d.produce([], d.scheduled(), params.reputation.halfLifeMs + 60_000);

    // 3. An honest claim whose quorum holds enough members withholding their votes: expired at the deadline, and they lose the missed-vote penalty.
    const c3 = claim(3);
    const r3 = await open(d, c3.x, c3.truth);
    // fewer eligible (those under 4.0 fell below 2.0), none active: 3 + 5 + 0, raised to the minimum of 10
    expect(r3.eligible).toBeLessThan(64);
    expect(r3.eligible).toBeGreaterThanOrEqual(32);
    expect(r3.round.quorum).toHaveLength(params.quorum.minSize);
    const w = withholdingColluders(r3.round.quorum.length, D);
    const s3 = await vote(d, r3.optimae, r3.round.quorum, honestVotes(c3.x, r3.round).slice(w), c3.truth, params.voteWindowBlocks);
    expect(s3.outcome).toBe("expired");
    for (const a of r3.round.quorum.slice(0, w)) expect(s3.evaluators.get(a)).toBe(-params.reputation.missedVotePenalty);

    // 4. Control: the same honest claim with every member voting is accepted.
    const c4 = claim(4);
    const r4 = await open(d, c4.x, c4.truth);
    expect((await vote(d, r4.optimae, r4.round.quorum, honestVotes(c4.x, r4.round), c4.truth)).outcome).toBe("accepted");

    // 5. One member silent, enough votes: accepted at the deadline, and the silent member still loses the penalty.
    const c5 = claim(5);
    const r5 = await open(d, c5.x, c5.truth);
    const s5 = await vote(d, r5.optimae, r5.round.quorum, honestVotes(c5.x, r5.round).slice(1), c5.truth, params.voteWindowBlocks);
    expect(s5.outcome).toBe("accepted");
    expect(s5.evaluators.get(r5.round.quorum[0] as Address)).toBe(-params.reputation.missedVotePenalty);
  });
});

describe("seeded runs", () => {
  const params = mainnetParams();
  // the rules before the missed-vote penalty
  const noPenalty: ChainParams = { ...params, reputation: { ...params.reputation, missedVotePenalty: 0n } };
  const run = (over: Parameters<typeof simulationConfig>[2], p: ChainParams = params) =>
    simulate(simulationConfig(p, D, { evaluators: 30, rounds: 300, sampleEvery: 50, ...over }));

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

  it("colluders who hold the quorum carry their ally's claim (positive control) and, while withholding is free, block honest claims", () => {
    const carry = run({ colludingFraction: 0.8, colluders: CARRY_ONLY });
    const ally = carry.byKind.ally;
    expect(ally.accepted).toBeGreaterThan(ally.rounds / 2);
    expect(ally.accepted + ally.withdrawn).toBe(ally.rounds);
    const free = run({ colludingFraction: 0.8, colluders: STRATEGIC }, noPenalty);
    expect(free.byKind.honest.expired).toBeGreaterThan(free.byKind.honest.rounds / 2);
    expect(free.dropout.colluder.half).toBeNull();
    // under today's rules each withheld vote costs 2.0: most colluders fall below the minimum within a few blocks, and honest claims pass again
    const costly = run({ colludingFraction: 0.8, colluders: STRATEGIC });
    expect(costly.dropout.colluder.half as number).toBeLessThan(50);
    expect(costly.byKind.honest.accepted).toBeGreaterThan(costly.byKind.honest.rounds / 2);
  });

  it("a false claim is accepted exactly when its quorum is captured, and captures are as frequent as the exact law says", () => {
    // one round per block: the rounds of one block share a ranking, so only then are the draws independent
    const r = run({ colludingFraction: 0.4, colluders: CARRY_ONLY, rounds: 400, roundsPerBlock: 1 });
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

  it("naive colluders fall below the evaluator minimum and stop being drawn; most honest evaluators stay", () => {
    const r = run({ colludingFraction: 0.3, colluders: NAIVE });
    expect(r.dropout.colluder.all).not.toBeNull();
    expect(r.dropout.colluder.all as number).toBeLessThan(150);
    expect(r.dropout.honest.half).toBeNull();
    const last = r.samples.at(-1);
    expect(last?.groups["colluderEvaluators"]?.eligible).toBe(0);
    // The commits of one block share their quorum: where colluders hold its median, the same honest members are
    // outliers once per commit of that block (−2.0 each time), and some fall below the minimum with them.
    expect(last?.groups["honestEvaluators"]?.eligible).toBeLessThan(21);
    expect(last?.groups["honestEvaluators"]?.eligible).toBeGreaterThanOrEqual(14);
    // with one round per block, no honest evaluator is lost
    const spread = run({ colludingFraction: 0.3, colluders: NAIVE, roundsPerBlock: 1 });
    expect(spread.samples.at(-1)?.groups["honestEvaluators"]?.eligible).toBe(21);
    // once they are gone, no quorum holds a colluder
    const after = r.records.slice((r.dropout.colluder.all as number) + 1);
    expect(after.every((x) => x.colluders === 0)).toBe(true);
  });

  it("the quorum rule is a parameter: the reference's old rule gives a reputable ally quorums under today's minimum of 10", () => {
    // the ally far above every evaluator: the reference's rule takes 2 off its quorums
    const over = { colludingFraction: 0.2, rounds: 100, initialAllyReputation: 1_000n * FIXED_ONE };
    const today = run(over);
    const reference = run({ ...over, quorumRule: referenceRule() });
    const allyKs = (r: ReturnType<typeof run>) => r.records.filter((x) => x.kind === "ally").map((x) => x.k);
    // 30 eligible: 3 + 4 + 3 = 10 under both rules, 8 for the ally under the reference's
    expect(Math.min(...allyKs(reference))).toBe(8);
    expect(Math.min(...reference.quorumSizes.keys())).toBe(8);
    expect(Math.min(...allyKs(today))).toBe(10);
    expect(Math.min(...today.quorumSizes.keys())).toBeGreaterThanOrEqual(params.quorum.minSize);
  });

  it("the missed-vote penalty makes withholding cost the colluders reputation and blocks fewer honest claims", () => {
    const free = run({ colludingFraction: 0.3, colluders: STRATEGIC }, noPenalty);
    const costly = run({ colludingFraction: 0.3, colluders: STRATEGIC });
    const mean = (r: typeof free) => r.samples.at(-1)?.groups["colluderEvaluators"]?.meanReputation ?? 0;
    expect(mean(costly)).toBeLessThan(mean(free) - 1);
    expect(costly.byKind.honest.expired).toBeLessThan(free.byKind.honest.expired);
  });
});
