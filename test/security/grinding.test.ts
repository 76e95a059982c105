/**
 * Grinding the quorum (finding 1): an attacker that produces blocks tries to
 * choose who evaluates its commit, or the data its evaluators score on.
 *
 * The setting is the one the finding measured: 20 accounts may evaluate (and
 * produce), 7 of them collude; the attacker is one of the 7 and commits in a
 * block it produces itself. Everything below runs the real core/ functions.
 *
 * 1. Block content cannot move the seed: 100,000 candidate commit blocks
 *    (other timestamps, salts, transactions, orders) and 200 other valid VRF
 *    proofs all give one beacon, hence one quorum.
 * 2. Withholding is all that is left: with every choice open to the
 *    coalition in the blocks that make the seed (publish, or let the next in
 *    the schedule produce), the reachable seeds are few and counted; with one
 *    honest producer first in turn, the coalition cannot reach a seed it does
 *    not already see.
 * 3. Over 20,000 independent beacons the selection is uniform (chi-square)
 *    and quorums the colluders decide appear at the hypergeometric rate.
 */
import { describe, expect, it } from "vitest";
import { beaconInput, nextBeacon } from "../../core/beacon.ts";
import { blockHash } from "../../core/block.ts";
import { hashOf } from "../../core/hash.ts";
import { COIN_UNIT, FIXED_ONE } from "../../core/params.ts";
import { quorumSeed, quorumSize, selectQuorum } from "../../core/quorum.ts";
import { producerSchedule } from "../../core/schedule.ts";
import { buildBlock, requiredVotes } from "../../core/state-transition.ts";
import { computeCommitment, createTx } from "../../core/tx.ts";
import type { Address, ChainParams, ChainState, Hash } from "../../core/types.ts";
import { vrfOutput, vrfProve, vrfVerify } from "../../core/vrf.ts";
import { ChainDriver, testKey, type TestKey } from "../core/helpers/chain.ts";
import { devnetParams, QUADRATIC_DOMAIN } from "../../core/params.ts";

const N = 20;
const COLLUDERS = 7;
const KEYS: TestKey[] = Array.from({ length: N }, (_, i) => testKey(`grind-${i}`));
const COALITION = new Set(KEYS.slice(0, COLLUDERS).map((k) => k.address));
const ATTACKER = KEYS[0] as TestKey;

function params(): ChainParams {
  return devnetParams({
    network: "doin-grind",
    genesisAccounts: KEYS.map((k) => ({ address: k.address, balance: 1_000n * COIN_UNIT, reputation: 5n * FIXED_ONE })),
  });
}

/** The quorum an optimae of `optimizer` committed at a block whose seed beacon is `beacon` gets, as the state transition selects it. */
function quorumFor(beacon: Hash, optimizer: Address, p: ChainParams): Address[] {
  const eligible = KEYS.map((k) => k.address).filter((a) => a !== optimizer);
  // every account is active and as reputable as the optimizer: the size the rules choose here
  const k = quorumSize({ eligible: eligible.length, activeFractionPpm: 1_000_000 }, p.quorum);
  return selectQuorum(quorumSeed(beacon), eligible, k);
}

/** Colluders decide a verdict when they alone make the required share of the votes. */
function decidedByColluders(quorum: readonly Address[]): boolean {
  const colluders = quorum.filter((a) => COALITION.has(a)).length;
  return colluders >= requiredVotes(quorum.length, QUADRATIC_DOMAIN);
}

/** P(X ≥ need) for X hypergeometric: `good` of `total` candidates, `draws` drawn. */
function hypergeometricTail(total: number, good: number, draws: number, need: number): number {
  const logC = (n: number, k: number): number => {
    let s = 0;
    for (let i = 1; i <= k; i++) s += Math.log(n - k + i) - Math.log(i);
    return s;
  };
  let p = 0;
  for (let x = need; x <= Math.min(good, draws); x++) p += Math.exp(logC(good, x) + logC(total - good, draws - x) - logC(total, draws));
  return p;
}

describe("grinding the quorum seed", () => {
  it("100,000 candidate commit blocks and 200 other VRF proofs give one beacon and one quorum", async () => {
    const p = params();
    const d = new ChainDriver(p);
    // let the attacker be first in turn at the commit's height
    while (producerSchedule(d.state, p)[0] !== ATTACKER.address) await d.produce([], keyFor(producerSchedule(d.state, p)[0] as Address));
    const parent = d.state;
    const height = parent.height + 1;

    // real blocks: other timestamps, salts and transaction orders; every one a valid block
    const beacons = new Set<Hash>();
    const hashes = new Set<Hash>();
    for (let i = 0; i < 60; i++) {
      const salt = i.toString(16).padStart(32, "0");
      const commitment = computeCommitment({ domain: "quadratic", params: { x: [i] }, salt, reported: -5n * FIXED_ONE, optimizer: ATTACKER.pub });
      const commit = createTx("commit", { domain: "quadratic", commitment }, { secret: ATTACKER.secret, nonce: 1, network: p.network });
      const transfer = createTx("transfer", { to: (KEYS[1] as TestKey).address, amount: BigInt(i + 1) }, { secret: (KEYS[2] as TestKey).secret, nonce: 1, network: p.network });
      const txs = i % 2 === 0 ? [commit, transfer] : [transfer, commit];
      const built = buildBlock(parent, txs, p, { producerSecret: ATTACKER.secret, timestamp: parent.tipTimestamp + p.carrierIntervalMs + i * 37 });
      if (!built.ok) throw new Error(built.error.message);
      expect(built.value.block.txs).toHaveLength(2);
      hashes.add(built.value.block.hash);
      beacons.add(built.value.block.header.beacon);
    }
    expect(hashes.size).toBe(60);
    expect(beacons.size).toBe(1);

    // 100,000 header variants: every block hash differs, the beacon (hence every seed) cannot
    const proof = vrfProve(ATTACKER.secret, beaconInput(p.network, height, parent.beacon));
    const beacon = nextBeacon(parent.beacon, vrfOutput(proof));
    const template = { ...d.blocks[d.blocks.length - 1]!.header, height, parent: parent.tipHash, producer: ATTACKER.pub, vrf: proof, beacon };
    const candidateHashes = new Set<Hash>();
    for (let i = 0; i < 100_000; i++) {
      const header = { ...template, timestamp: parent.tipTimestamp + p.carrierIntervalMs + i, txRoot: hashOf("merkle", { candidate: i }) };
      candidateHashes.add(blockHash(header));
    }
    expect(candidateHashes.size).toBe(100_000);
    expect(new Set([beacon, ...beacons]).size).toBe(1);

    // a prover may pick any nonce: another valid proof, never another output
    const input = beaconInput(p.network, height, parent.beacon);
    const outputs = new Set<string>();
    const proofs = new Set<string>();
    for (let i = 0; i < 200; i++) {
      const nonce = BigInt(`0x${hashOf("beacon", { nonce: i })}`) % 2n ** 252n;
      const other = vrfProve(ATTACKER.secret, input, nonce);
      proofs.add(other);
      const out = vrfVerify(ATTACKER.pub, input, other);
      expect(out).not.toBeNull();
      outputs.add(out as string);
    }
    expect(proofs.size).toBe(200);
    expect(outputs).toEqual(new Set([vrfOutput(proof)]));
  }, 300_000);

  it("withholding is all the coalition can do: it chooses among ∏ (members ahead of the first honest producer + 1) seeds, one when an honest producer leads every height", async () => {
    const p = params();
    const d = new ChainDriver(p);
    const D = p.seedDelayBlocks;
    // Every chain the coalition can make of the D blocks that fix the seed: at each height any member ranked
    // ahead of the first honest producer may produce, or all withhold and the honest one does.
    const reach = (state: ChainState, left: number): { seeds: Hash[]; strategies: number } => {
      if (left === 0) return { seeds: [state.beacon], strategies: 1 };
      const schedule = producerSchedule(state, p);
      const options = schedule.slice(0, schedule.findIndex((a) => !COALITION.has(a)) + 1);
      const seeds: Hash[] = [];
      let strategies = 0;
      options.forEach((producer, rank) => {
        const built = buildBlock(state, [], p, { producerSecret: keyFor(producer).secret, timestamp: state.tipTimestamp + p.carrierIntervalMs + rank * p.producerSlotMs });
        if (!built.ok) throw new Error(built.error.message);
        const below = reach(built.value.state, left - 1);
        seeds.push(...below.seeds);
        strategies += below.strategies;
      });
      return { seeds, strategies };
    };
    let single = 0;
    let several = 0;
    for (let i = 0; i < 16; i++) {
      await d.produce([], keyFor(producerSchedule(d.state, p)[0] as Address));
      const { seeds, strategies } = reach(d.state, D);
      // no more seeds than strategies (each VRF output is fixed by its producer and height), and distinct ones
      expect(new Set(seeds).size).toBe(strategies);
      if (strategies === 1) single++;
      else several++;
      // a single producer holding k of the D slots (one member ahead at each) chooses among at most 2^k
      expect(strategies).toBeLessThanOrEqual(COLLUDERS ** D + 1);
    }
    // both kinds of heights came up: where honest producers led every block, and where the coalition had choices
    expect(single).toBeGreaterThan(0);
    expect(several).toBeGreaterThan(0);
  }, 300_000);

  it("over 20,000 beacons the selection is uniform and colluder-decided quorums come at the chance rate", () => {
    const p = params();
    const eligible = KEYS.map((k) => k.address).filter((a) => a !== ATTACKER.address);
    const counts = new Map<Address, number>(eligible.map((a) => [a, 0]));
    let decided = 0;
    const TRIALS = 20_000;
    let k = 0;
    for (let i = 0; i < TRIALS; i++) {
      const beacon = hashOf("beacon", { trial: i });
      const q = quorumFor(beacon, ATTACKER.address, p);
      k = q.length;
      for (const a of q) counts.set(a, (counts.get(a) as number) + 1);
      if (decidedByColluders(q)) decided++;
    }
    // chi-square over the 19 candidates: each expected k/19 of the trials; critical value at p = 0.001 with 18 dof: 42.31
    const expected = (TRIALS * k) / eligible.length;
    let chi2 = 0;
    for (const c of counts.values()) chi2 += (c - expected) ** 2 / expected;
    expect(chi2).toBeLessThan(42.31);
    // colluders: 6 of the 19 candidates (the attacker optimizes); they decide with ⌈2/3 k⌉ members of the quorum
    const pDecide = hypergeometricTail(eligible.length, COLLUDERS - 1, k, requiredVotes(k, QUADRATIC_DOMAIN));
    const sd = Math.sqrt(TRIALS * pDecide * (1 - pDecide));
    expect(Math.abs(decided - TRIALS * pDecide)).toBeLessThan(4 * sd + 1);
  }, 300_000);
});

function keyFor(address: Address): TestKey {
  const k = KEYS.find((x) => x.address === address);
  if (k === undefined) throw new Error(`no key for ${address}`);
  return k;
}
