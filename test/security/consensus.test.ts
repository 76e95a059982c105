/**
 * Attacks on consensus, on a live 3-node testnet over loopback (findings 1-3
 * of the security review). Each attack is sent to every node, refused there
 * with its code, leaves nothing stored and the state unchanged; the same
 * construction without the flaw is accepted, so the refusal comes from the
 * rule under test; afterwards the nodes agree on one chain and keep going.
 *
 * 1. Free reorganizations: an outside key (no coin, no reputation, no work)
 *    builds blocks that replace a payment already in a block.
 * 2. Forged randomness: blocks whose VRF proof or beacon is not the
 *    producer's own.
 * 3. Free rounds: fresh keys without coin commit and reveal bogus claims;
 *    one account opens more rounds than the rules allow.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { beaconInput, nextBeacon } from "../../core/beacon.ts";
import { blockToWire, sealBlock } from "../../core/block.ts";
import { hexToBytes } from "../../core/hex.ts";
import { addressFromPublicKey, publicKeyFromSecret, secretFromSeedPhrase } from "../../core/keys.ts";
import { QUADRATIC_DOMAIN } from "../../core/params.ts";
import { quorumSeed, quorumSize, selectQuorum } from "../../core/quorum.ts";
import { producerSchedule, slotDelayMs, validatorSet } from "../../core/schedule.ts";
import { buildBlock } from "../../core/state-transition.ts";
import { computeCommitment, createTx, txToWire } from "../../core/tx.ts";
import type { Block, BlockHeader, ChainParams, ChainState } from "../../core/types.ts";
import { vrfOutput, vrfProve } from "../../core/vrf.ts";
import { freeBasePort, startTestnet, type Testnet } from "../../testnet/harness.ts";
import { paramsFor } from "../../core/params.ts";
import { until } from "../support/until.ts";
import { Wallet } from "../support/wallet.ts";
import { replayChain } from "../testnet/replay.ts";

const dir = mkdtempSync(join(tmpdir(), "doin-security-consensus-"));
let net: Testnet;
let params: ChainParams;

beforeAll(async () => {
  net = await startTestnet({ nodes: 3, dir, basePort: await freeBasePort(3) });
  params = paramsFor("doin-devnet", net.nodes.map((n) => n.publicKey), [], net.genesisTime);
}, 180_000);

afterAll(async () => {
  await net?.stop();
  rmSync(dir, { recursive: true, force: true });
}, 60_000);

// ---------------------------------------------------------------- helpers
const url = (i: number): string => net.nodes[i]?.url as string;
const context = () => net.logTail(20).join("\n");

interface Status {
  height: number;
  tip: string;
  finalizedHeight: number;
  supply: string;
}
const status = async (i: number): Promise<Status> => (await (await fetch(`${url(i)}/chain/status`)).json()) as Status;
const balance = async (i: number, address: string): Promise<bigint> => BigInt(((await (await fetch(`${url(i)}/chain/account/${address}`)).json()) as { balance: string }).balance);
const post = async (i: number, path: string, body: unknown): Promise<{ status: number; code: string | null }> => {
  const r = await fetch(`${url(i)}${path}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  return { status: r.status, code: ((await r.json()) as { code?: string }).code ?? null };
};
const stored = async (i: number, hash: string): Promise<boolean> => (await fetch(`${url(i)}/chain/block-by-hash/${hash}`)).status === 200;
const txAt = async (i: number, id: string): Promise<{ status: string; height?: number }> => (await (await fetch(`${url(i)}/tx/${id}`)).json()) as { status: string; height?: number };
const secretOf = (address: string): Uint8Array => hexToBytes(net.nodes.find((n) => addressFromPublicKey(n.publicKey) === address)?.secretHex as string);

async function includedEverywhere(id: string): Promise<number> {
  return until(`tx ${id} in a block on every node`, async () => {
    const at = await Promise.all([0, 1, 2].map((i) => txAt(i, id)));
    return at.every((x) => x.status === "included") ? (at[0]?.height as number) : undefined;
  }, { timeoutMs: 60_000, everyMs: 300, context });
}

/** The state after block `height` of node1's chain, replayed with core/. */
async function stateAt(height: number): Promise<ChainState> {
  return (await replayChain(url(0), params, height)).state;
}

/** A header like `block`'s, re-signed by `secret` with that key's own VRF proof and beacon (the attacker's own block). */
function resign(parent: ChainState, block: Block, secret: Uint8Array, header: Partial<BlockHeader> = {}): Block {
  const pub = publicKeyFromSecret(secret);
  const vrf = vrfProve(secret, beaconInput(params.network, block.header.height, parent.beacon));
  return sealBlock({ ...block.header, producer: pub, vrf, beacon: nextBeacon(parent.beacon, vrfOutput(vrf)), ...header }, block.txs, block.coinbase, secret);
}

/** Blocks come with transactions: small payments from a funded account until node1 reaches `height`. */
async function nudge(height: number): Promise<void> {
  const payer = new Wallet();
  await payer.fund(url(0));
  await until(`node1 at height ${height}`, async () => {
    if ((await status(0)).height >= height) return true;
    await payer.transfer(url(0), "dd".repeat(20));
    return undefined;
  }, { timeoutMs: 90_000, everyMs: 1_500, context });
}

/** Every node still agrees on one chain and keeps producing: a common block above `height`, then a later one. */
async function stillOneChain(height: number): Promise<void> {
  const payer = new Wallet();
  await payer.fund(url(0));
  await until("the nodes on one chain, past the attack", async () => {
    await payer.transfer(url(0), "ee".repeat(20));
    const s = await Promise.all([0, 1, 2].map(status));
    const h = Math.min(...s.map((x) => x.height));
    if (h <= height + 1) return undefined;
    const hashes = await Promise.all([0, 1, 2].map(async (i) => ((await (await fetch(`${url(i)}/chain/block/${h - 1}`)).json()) as { hash: string }).hash));
    return new Set(hashes).size === 1 ? true : undefined;
  }, { timeoutMs: 90_000, everyMs: 1_000, context });
}

// ---------------------------------------------------------------- the attacks
describe("consensus attacks on a live testnet", () => {
  it("finding 2: an outside key cannot replace blocks: its blocks are refused everywhere (NOT_A_PRODUCER) and the payment stays; a validator's same block is valid but, out of turn, displaces nothing", async () => {
    const payer = new Wallet();
    await payer.fund(url(0));
    const alice = addressFromPublicKey(publicKeyFromSecret(secretFromSeedPhrase("security-alice")));
    const mallory = addressFromPublicKey(publicKeyFromSecret(secretFromSeedPhrase("security-mallory")));
    const paid = await payer.transfer(url(0), alice, 5n * 100_000_000n);
    expect(paid.status).toBe(202);
    const h = await includedEverywhere(paid.id);
    // the honest chain goes on two blocks past the payment
    await nudge(h + 2);
    const before = await Promise.all([0, 1, 2].map(status));
    const parent = await stateAt(h - 1);

    // the attack: blocks from the payment's parent, the first spending the same nonce elsewhere
    const spendTx = createTx("transfer", { to: mallory, amount: 5n * 100_000_000n }, { secret: payer.secret, nonce: (parent.accounts.get(payer.address)?.nonce ?? 0) + 1, network: params.network });
    const outsider = secretFromSeedPhrase("security-outsider");
    const outOfTurn = producerSchedule(parent, params)[1] as string;
    const t = parent.tipTimestamp + slotDelayMs(1, true, params);
    const template = buildBlock(parent, [spendTx], params, { producerSecret: secretOf(outOfTurn), timestamp: t });
    if (!template.ok) throw new Error(template.error.message);
    expect(template.value.block.txs).toEqual([spendTx]);
    const attack = resign(parent, template.value.block, outsider, { rank: 0 });
    for (const i of [0, 1, 2]) expect(await post(i, "/chain/blocks", blockToWire(attack))).toEqual({ status: 422, code: "NOT_A_PRODUCER" });
    for (const i of [0, 1, 2]) expect(await stored(i, attack.hash)).toBe(false);

    // the control: the very same block by a validator in its (out-of-turn) slot is valid, and stored,
    // but a lighter branch: the head keeps the payment
    const control = template.value.block;
    for (const i of [0, 1, 2]) expect((await post(i, "/chain/blocks", blockToWire(control))).status).toBe(202);
    for (const i of [0, 1, 2]) expect(await stored(i, control.hash)).toBe(true);
    for (const i of [0, 1, 2]) {
      expect(await balance(i, alice)).toBe(5n * 100_000_000n);
      expect(await balance(i, mallory)).toBe(0n);
      const s = await status(i);
      expect(s.height).toBeGreaterThanOrEqual((before[i] as Status).height);
      expect(s.supply).toBe((before[i] as Status).supply);
    }
    await stillOneChain(h + 2);
    for (const i of [0, 1, 2]) expect(await balance(i, alice)).toBe(5n * 100_000_000n);
  }, 240_000);

  it("finding 1: a block whose VRF proof or beacon is not its producer's own is refused everywhere; the honest block is accepted; the quorum seed is the beacon", async () => {
    const tip = (await status(0)).height;
    const parent = await stateAt(tip);
    const first = producerSchedule(parent, params)[0] as string;
    const honest = buildBlock(parent, [], params, { producerSecret: secretOf(first), timestamp: Math.max(Date.now(), parent.tipTimestamp + params.carrierIntervalMs) });
    if (!honest.ok) throw new Error(honest.error.message);
    const b = honest.value.block;
    const other = producerSchedule(parent, params)[1] as string;
    const stolenProof = vrfProve(secretOf(other), beaconInput(params.network, b.header.height, parent.beacon));
    const ownProofElsewhere = vrfProve(secretOf(first), beaconInput(params.network, b.header.height + 1, parent.beacon));
    const cases: [Partial<BlockHeader>, string][] = [
      [{ vrf: stolenProof }, "BAD_VRF"],
      [{ vrf: ownProofElsewhere }, "BAD_VRF"],
      [{ beacon: "0".repeat(64) }, "BAD_BEACON"],
      [{ rank: 1 }, "BAD_RANK"],
    ];
    for (const [header, code] of cases) {
      const forged = sealBlock({ ...b.header, ...header }, b.txs, b.coinbase, secretOf(first));
      for (const i of [0, 1, 2]) {
        expect(await post(i, "/chain/blocks", blockToWire(forged))).toEqual({ status: 422, code });
        expect(await stored(i, forged.hash)).toBe(false);
      }
    }
    // the control: as built (the node may have made it first: then it is known, 409)
    for (const i of [0, 1, 2]) expect([202, 409]).toContain((await post(i, "/chain/blocks", blockToWire(b))).status);
    await stillOneChain(tip + 1);
  }, 240_000);

  it("finding 3: keys without coin open no rounds (their commits 422 INSUFFICIENT_BALANCE on every node, their reveals never reach a block); a funded key's round is opened with the seed the beacon gives; a fifth open round waits", async () => {
    const roundsBefore = ((await (await fetch(`${url(0)}/chain/rounds`)).json()) as unknown[]).length;
    const refused: string[] = [];
    const reveals: string[] = [];
    for (let k = 0; k < 10; k++) {
      const secret = secretFromSeedPhrase(`security-free-round-${k}`);
      const salt = k.toString(16).padStart(32, "0");
      const commitment = computeCommitment({ domain: "quadratic", params: { x: [k] }, salt, reported: -1n, optimizer: publicKeyFromSecret(secret) });
      const commit = createTx("commit", { domain: "quadratic", commitment }, { secret, nonce: 1, network: params.network });
      const reveal = createTx("reveal", { commit: commit.id, params: { x: [k] }, salt, reported: -1n }, { secret, nonce: 2, network: params.network });
      for (const i of [0, 1, 2]) expect(await post(i, "/tx", txToWire(commit))).toEqual({ status: 422, code: "INSUFFICIENT_BALANCE" });
      refused.push(commit.id);
      // the reveal costs no bond: the pool may hold it, waiting for a nonce 1 that can never come
      expect((await post(k % 3, "/tx", txToWire(reveal))).status).toBe(202);
      reveals.push(reveal.id);
    }
    for (const id of refused) for (const i of [0, 1, 2]) expect((await fetch(`${url(i)}/tx/${id}`)).status).toBe(404);
    const heightNow = (await status(0)).height;
    await nudge(heightNow + 3);
    // no round was opened, no reveal reached a block
    expect(((await (await fetch(`${url(0)}/chain/rounds`)).json()) as unknown[]).length).toBe(roundsBefore);
    for (const id of reveals) expect((await txAt(0, id)).status).not.toBe("included");

    // the control: the same commit and reveal by an account that holds the bond
    const opt = new Wallet();
    const funded = await opt.fund(url(1));
    const salt = "5a".repeat(16);
    const claim = { x: [123] };
    const commitment = computeCommitment({ domain: "quadratic", params: claim, salt, reported: -1n, optimizer: opt.pub });
    const c = await opt.send(url(1), "commit", { domain: "quadratic", commitment });
    expect(c.status).toBe(202);
    const committedAt = await includedEverywhere(c.id);
    expect(await balance(1, opt.address)).toBe(funded - QUADRATIC_DOMAIN.bond);
    const r = await opt.send(url(1), "reveal", { commit: c.id, params: claim, salt, reported: -1n });
    expect(r.status).toBe(202); // pending: valid from committedAt + seedDelayBlocks + 1
    const revealedAt = await includedEverywhere(r.id);
    expect(revealedAt).toBeGreaterThan(committedAt + params.seedDelayBlocks);
    // the seed is the beacon seedDelayBlocks after the commit's block, on every node, and it picks the quorum
    const seedBlock = (await (await fetch(`${url(0)}/chain/block/${committedAt + params.seedDelayBlocks}`)).json()) as { header: { beacon: string } };
    const before = await stateAt(revealedAt - 1);
    const revealBlock = (await (await fetch(`${url(0)}/chain/block/${revealedAt}`)).json()) as { header: { timestamp: number } };
    const eligible = validatorSet(before.accounts, params, revealBlock.header.timestamp).filter((a) => a !== opt.address);
    const k = quorumSize({ eligible: eligible.length, activeFractionPpm: 1_000_000 }, params.quorum);
    for (const i of [0, 1, 2]) {
      const rounds = (await (await fetch(`${url(i)}/chain/rounds`)).json()) as { optimae: string; beacon: string; quorum: string[] }[];
      const round = rounds.find((x) => x.optimae === r.id);
      expect(round?.beacon).toBe(seedBlock.header.beacon);
      expect(round?.quorum).toEqual(selectQuorum(quorumSeed(seedBlock.header.beacon), eligible, k));
    }

    // the limit: with that round still voting, three more commits make four; the fifth waits in the pool
    const more: string[] = [];
    for (let n = 0; n < 4; n++) {
      const sent = await opt.send(url(1), "commit", { domain: "quadratic", commitment: (n + 1).toString(16).padStart(64, "9") });
      expect(sent.status).toBe(202);
      more.push(sent.id);
    }
    for (const id of more.slice(0, 3)) await includedEverywhere(id);
    const fifth = more[3] as string;
    const heightThen = (await status(1)).height;
    await nudge(heightThen + 3);
    expect((await txAt(1, fifth)).status).toBe("pending");
    await stillOneChain(heightThen);
  }, 300_000);
});
