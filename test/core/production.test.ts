/**
 * Block production as a consensus rule (core/schedule.ts, core/beacon.ts):
 * who may produce, from when, with which VRF proof and beacon; and each
 * refusal next to the same block made without the flaw (accepted), so that a
 * refusal is known to come from the rule under test.
 */
import { describe, expect, it } from "vitest";
import { beaconInput, nextBeacon } from "../../core/beacon.ts";
import { sealBlock } from "../../core/block.ts";
import { genesisBlock } from "../../core/genesis.ts";
import { COIN_UNIT, FIXED_ONE } from "../../core/params.ts";
import { eligibleProducers, nextSlotAt, producerSchedule, slotDelayMs, validatorSet } from "../../core/schedule.ts";
import { applyBlock, buildBlock } from "../../core/state-transition.ts";
import type { Block, BlockHeader, ChainState } from "../../core/types.ts";
import { vrfOutput, vrfProve } from "../../core/vrf.ts";
import { ChainDriver, OUTSIDER, testParams, VALIDATORS, type TestKey } from "./helpers/chain.ts";

const keyOf = (address: string): TestKey => [...VALIDATORS, OUTSIDER].find((k) => k.address === address) as TestKey;

async function codeOf(state: ChainState, block: Block, params = testParams()): Promise<string> {
  const r = await applyBlock(state, block, params);
  return r.ok ? "ok" : r.error.code;
}

/**
 * A block on `state` by `key` at `timestamp`, sealed as is (buildBlock refuses
 * what these tests send). Its state root is the in-turn producer's: the rules
 * under test come before the state root check.
 */
function forge(state: ChainState, key: TestKey, timestamp: number, header: Partial<BlockHeader> = {}, params = testParams()): Block {
  const honest = buildBlock(state, [], params, { producerSecret: keyOf(producerSchedule(state, params)[0] as string).secret, timestamp });
  if (!honest.ok) throw new Error(honest.error.message);
  const h = honest.value.block.header;
  const vrf = vrfProve(key.secret, beaconInput(params.network, h.height, state.beacon));
  return sealBlock({ ...h, producer: key.pub, rank: producerSchedule(state, params).indexOf(key.address), vrf, beacon: nextBeacon(state.beacon, vrfOutput(vrf)), ...header }, [], [], key.secret);
}

describe("who produces", () => {
  it("the schedule ranks the validators afresh at every height from the beacon", async () => {
    const d = new ChainDriver();
    const orders = new Set<string>();
    for (let i = 0; i < 12; i++) {
      const s = producerSchedule(d.state, d.params);
      expect([...s].sort()).toEqual(VALIDATORS.map((k) => k.address).sort());
      orders.add(s.join(","));
      await d.produce([]);
    }
    expect(orders.size).toBeGreaterThan(6);
  });

  it("an account without reputation is refused (NOT_A_PRODUCER); the same block by the validator in turn is accepted", async () => {
    const d = new ChainDriver();
    const g = d.state;
    const t = g.tipTimestamp + d.params.carrierIntervalMs + 5 * d.params.producerSlotMs;
    expect(await codeOf(g, forge(g, OUTSIDER, t))).toBe("NOT_A_PRODUCER");
    expect(buildBlock(g, [], d.params, { producerSecret: OUTSIDER.secret, timestamp: t })).toMatchObject({ ok: false, error: { code: "NOT_A_PRODUCER" } });
    const inTurn = buildBlock(g, [], d.params, { producerSecret: keyOf(producerSchedule(g, d.params)[0] as string).secret, timestamp: t });
    expect(inTurn.ok && (await codeOf(g, inTurn.value.block))).toBe("ok");
  });

  it("a producer waits for its slot (OUT_OF_TURN before it), and states its rank, VRF and beacon truly", async () => {
    const d = new ChainDriver();
    const g = d.state;
    const schedule = producerSchedule(g, d.params);
    const second = keyOf(schedule[1] as string);
    const carrierFirst = g.tipTimestamp + slotDelayMs(0, true, d.params);
    const carrierSecond = g.tipTimestamp + slotDelayMs(1, true, d.params);
    expect(await codeOf(g, forge(g, second, carrierFirst))).toBe("OUT_OF_TURN");
    const inSlot = buildBlock(g, [], d.params, { producerSecret: second.secret, timestamp: carrierSecond });
    expect(inSlot.ok && (await codeOf(g, inSlot.value.block))).toBe("ok");
    expect(await codeOf(g, forge(g, second, carrierSecond, { rank: 0 }))).toBe("BAD_RANK");
    const otherProof = vrfProve(second.secret, beaconInput(d.params.network, 2, g.beacon));
    expect(await codeOf(g, forge(g, second, carrierSecond, { vrf: otherProof }))).toBe("BAD_VRF");
    expect(await codeOf(g, forge(g, second, carrierSecond, { beacon: "ab".repeat(32) }))).toBe("BAD_BEACON");
    // another validator's proof for this very input does not pass as the producer's
    const first = keyOf(schedule[0] as string);
    const firstsProof = vrfProve(first.secret, beaconInput(d.params.network, 1, g.beacon));
    expect(await codeOf(g, forge(g, second, carrierSecond, { vrf: firstsProof }))).toBe("BAD_VRF");
  });

  it("nextSlotAt is the first moment buildBlock lets each producer make a carrier block: refused a millisecond before, built at it", () => {
    const d = new ChainDriver();
    const g = d.state;
    const schedule = producerSchedule(g, d.params);
    expect(schedule.length).toBeGreaterThan(1);
    schedule.forEach((address, rank) => {
      const secret = keyOf(address).secret;
      // before the work slot it names that; between the two slots the carrier slot; then nothing left to wait for
      const work = g.tipTimestamp + slotDelayMs(rank, false, d.params);
      const carrier = g.tipTimestamp + slotDelayMs(rank, true, d.params);
      expect(nextSlotAt(g.tipTimestamp, rank, work - 1, d.params)).toBe(work);
      expect(nextSlotAt(g.tipTimestamp, rank, work, d.params)).toBe(carrier);
      expect(nextSlotAt(g.tipTimestamp, rank, carrier, d.params)).toBeNull();
      // no verified work pending: the slot it names once the work slot has passed is when a block first builds
      const slot = nextSlotAt(g.tipTimestamp, rank, work, d.params) as number;
      expect(buildBlock(g, [], d.params, { producerSecret: secret, timestamp: slot - 1 }).ok).toBe(false);
      expect(buildBlock(g, [], d.params, { producerSecret: secret, timestamp: slot }).ok).toBe(true);
    });
  });

  it("a work block comes as soon as the work is there, in schedule order; a carrier block after the carrier interval", async () => {
    const d = new ChainDriver();
    const id = await d.optimae({ optimizer: VALIDATORS[0] as TestKey, params: { x: [1] }, reported: -50n * FIXED_ONE, vote: () => -50n * FIXED_ONE });
    const parent = d.state;
    const accept = d.accept(VALIDATORS[0] as TestKey, id);
    const first = keyOf(producerSchedule(parent, d.params)[0] as string);
    const second = keyOf(producerSchedule(parent, d.params)[1] as string);
    expect(buildBlock(parent, [accept], d.params, { producerSecret: first.secret, timestamp: parent.tipTimestamp + 1 }).ok).toBe(true);
    expect(buildBlock(parent, [accept], d.params, { producerSecret: second.secret, timestamp: parent.tipTimestamp + 1 })).toMatchObject({ ok: false, error: { code: "OUT_OF_TURN" } });
    expect(buildBlock(parent, [accept], d.params, { producerSecret: second.secret, timestamp: parent.tipTimestamp + d.params.producerSlotMs }).ok).toBe(true);
    expect(buildBlock(parent, [], d.params, { producerSecret: first.secret, timestamp: parent.tipTimestamp + 1 })).toMatchObject({ ok: false, error: { code: "BELOW_THRESHOLD" } });
  });

  it("validators are the reputable accounts; while fewer than a minimal quorum, the genesis validators join them", () => {
    const params = testParams();
    const g = genesisBlock(params).state;
    expect(eligibleProducers(g, params).sort()).toEqual(VALIDATORS.map((k) => k.address).sort());
    // a month of silence: every genesis reputation (5.0) decays below 2.0, the genesis validators still produce
    const later = g.tipTimestamp + 30 * 24 * 3_600_000;
    const reputable = [...g.accounts.values()].filter((a) => a.reputation >= params.reputation.minForEvaluator);
    expect(reputable).toHaveLength(5);
    expect(validatorSet(g.accounts, params, later).sort()).toEqual(VALIDATORS.map((k) => k.address).sort());
    // as many reputable newcomers as a minimal quorum: the decayed genesis validators leave the set
    const accounts = new Map(g.accounts);
    const fresh = Array.from({ length: params.quorum.minSize }, (_, i) => (i + 10).toString(16).repeat(20).slice(0, 40));
    for (const a of fresh) accounts.set(a, { balance: 0n, nonce: 0, reputation: 3n * FIXED_ONE, reputationTime: later, lastActiveTime: later });
    expect(validatorSet(accounts, params, later).sort()).toEqual([...fresh].sort());
    // one fewer, and the genesis validators make up the numbers
    accounts.delete(fresh[0] as string);
    expect(validatorSet(accounts, params, later)).toHaveLength(params.quorum.minSize - 1 + VALIDATORS.length);
  });
});

describe("reputation decays with block time, not with the number of blocks", () => {
  it("the same span of time decays the same, however many carrier blocks fill it", async () => {
    const few = new ChainDriver();
    const many = new ChainDriver();
    const span = 20 * few.params.carrierIntervalMs;
    await few.produce([], undefined, span);
    for (let i = 0; i < 20; i++) await many.produce([]);
    expect(many.state.tipTimestamp).toBe(few.state.tipTimestamp);
    expect(many.state.height).toBe(few.state.height + 19);
    const { decayedReputation } = await import("../../core/reputation.ts");
    for (const k of VALIDATORS) {
      const a = few.state.accounts.get(k.address);
      const b = many.state.accounts.get(k.address);
      expect(decayedReputation(a!, few.state.tipTimestamp, few.params)).toBe(decayedReputation(b!, many.state.tipTimestamp, many.params));
    }
  });
});

describe("rounds cost their opener", () => {
  const X = (n: number) => ({ x: [n] });

  it("a commit locks the domain's bond; accepted, it comes back", async () => {
    const d = new ChainDriver();
    const opt = VALIDATORS[0] as TestKey;
    const before = d.state.accounts.get(opt.address)?.balance as bigint;
    const id = await d.optimae({ optimizer: opt, params: X(1), reported: -50n * FIXED_ONE, vote: () => -50n * FIXED_ONE });
    expect(d.state.rounds.get(id)?.status).toBe("accepted");
    expect(d.state.accounts.get(opt.address)?.balance).toBe(before);
  });

  it("rejected, the bond goes to the agreeing evaluators; expired for want of votes, each voter gets a seat's share and the optimizer the rest; silent evaluators lose 2.0", async () => {
    const d = new ChainDriver();
    const opt = VALIDATORS[0] as TestKey;
    const bond = d.params.domains[0]!.bond;
    const balances = () => new Map([...d.state.accounts].map(([a, x]) => [a, x.balance]));
    const b0 = balances();
    const lie = await d.optimae({ optimizer: opt, params: X(2), reported: -5n * FIXED_ONE, vote: () => -300n * FIXED_ONE });
    const round = d.state.rounds.get(lie)!;
    expect(round.status).toBe("rejected");
    const gained = round.agreeing.map((e) => (d.state.accounts.get(e)!.balance - (b0.get(e) as bigint)));
    expect(gained.reduce((a, b) => a + b, 0n)).toBe(bond);
    expect(d.state.accounts.get(opt.address)!.balance).toBe((b0.get(opt.address) as bigint) - bond);

    // one vote of four: the round expires; the voter is paid a quarter of the bond, the optimizer gets the rest back
    let voter = "";
    const b1 = balances();
    const few = await d.optimae({ optimizer: opt, params: X(3), reported: -40n * FIXED_ONE, vote: (e) => (voter === "" ? ((voter = e), -40n * FIXED_ONE) : null) });
    const quorum = d.state.rounds.get(few)!.quorum;
    const repBefore = new Map(quorum.map((e) => [e, d.state.accounts.get(e)!]));
    for (let i = 0; i <= d.params.voteWindowBlocks; i++) await d.produce([]);
    expect(d.state.rounds.get(few)?.status).toBe("expired");
    const seat = bond / BigInt(quorum.length);
    expect(d.state.accounts.get(voter)!.balance - (b1.get(voter) as bigint)).toBe(seat);
    expect(d.state.accounts.get(opt.address)!.balance).toBe((b1.get(opt.address) as bigint) - seat);
    const { decayedReputation } = await import("../../core/reputation.ts");
    for (const e of quorum) {
      if (e === voter) continue;
      // 2.0 less than decay alone would leave (decay before and after the penalty floors apart by a few micro-units)
      const lost = decayedReputation(repBefore.get(e)!, d.state.tipTimestamp, d.params) - decayedReputation(d.state.accounts.get(e)!, d.state.tipTimestamp, d.params);
      expect(Number(lost - d.params.reputation.missedVotePenalty)).toBeGreaterThan(-100);
      expect(Number(lost - d.params.reputation.missedVotePenalty)).toBeLessThan(100);
    }
    expect(d.state.burned).toBe(0n);
  });

  it("a commit never revealed burns its bond when it expires", async () => {
    const d = new ChainDriver(testParams({ revealWindowBlocks: 8 }));
    const opt = VALIDATORS[1] as TestKey;
    await d.produce([d.tx(opt, "commit", { domain: "quadratic", commitment: "ab".repeat(32) })]);
    expect(d.state.commits.size).toBe(1);
    for (let i = 0; i < 9; i++) await d.produce([]);
    expect(d.state.commits.size).toBe(0);
    expect(d.state.burned).toBe(d.params.domains[0]!.bond);
  });

  it("a newcomer without the bond cannot commit; with it, can", async () => {
    const d = new ChainDriver();
    const commit = () => d.tx(OUTSIDER, "commit", { domain: "quadratic", commitment: "cd".repeat(32) });
    const poor = buildBlock(d.state, [commit()], d.params, { producerSecret: d.scheduled().secret, timestamp: d.now + d.params.carrierIntervalMs });
    expect(poor.ok && poor.value.rejected[0]?.error.code).toBe("INSUFFICIENT_BALANCE");
    d.nonces.clear();
    await d.produce([d.tx(VALIDATORS[2] as TestKey, "transfer", { to: OUTSIDER.address, amount: 2n * COIN_UNIT })]);
    await d.produce([commit()]);
    expect(d.state.commits.size).toBe(1);
  });

  it("an account holds at most maxOpenRoundsPerAccount commits and voting rounds; the next commit waits (TOO_MANY_OPEN_ROUNDS)", async () => {
    const d = new ChainDriver();
    const opt = VALIDATORS[3] as TestKey;
    const max = d.params.maxOpenRoundsPerAccount;
    const commits = Array.from({ length: max }, (_, i) => d.tx(opt, "commit", { domain: "quadratic", commitment: (i + 1).toString(16).padStart(64, "0") }));
    await d.produce(commits);
    const extra = d.tx(opt, "commit", { domain: "quadratic", commitment: "ff".repeat(32) });
    const built = buildBlock(d.state, [extra], d.params, { producerSecret: d.scheduled().secret, timestamp: d.now + d.params.carrierIntervalMs });
    expect(built.ok && built.value.rejected[0]?.error.code).toBe("TOO_MANY_OPEN_ROUNDS");
    // another account is not held back by it
    const other = d.tx(VALIDATORS[4] as TestKey, "commit", { domain: "quadratic", commitment: "ee".repeat(32) });
    const ok = buildBlock(d.state, [other], d.params, { producerSecret: d.scheduled().secret, timestamp: d.now + d.params.carrierIntervalMs });
    expect(ok.ok && ok.value.block.txs).toHaveLength(1);
  });
});
