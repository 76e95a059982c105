import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { blockToWire, parseBlock } from "../../core/block.ts";
import { genesisBlock } from "../../core/genesis.ts";
import { COIN_UNIT, FIXED_ONE } from "../../core/params.ts";
import { applyBlock, buildBlock } from "../../core/state-transition.ts";
import { computeStateRoot } from "../../core/state-root.ts";
import { computeCommitment, createTx } from "../../core/tx.ts";
import type { Block, ChainState, JsonValue, Tx } from "../../core/types.ts";
import { producerSchedule } from "../../core/schedule.ts";
import { accountedCoin, ChainDriver, OUTSIDER, testParams, VALIDATORS, type TestKey } from "./helpers/chain.ts";

const KEYS = [...VALIDATORS, OUTSIDER];
const params = testParams();

type Action =
  | { kind: "transfer"; from: number; to: number; amount: number; fee: number }
  | { kind: "optimae"; optimizer: number; x: number; reported: number; noise: number; lie: boolean; claim: boolean }
  | { kind: "empty" };

const action: fc.Arbitrary<Action> = fc.oneof(
  fc.record({ kind: fc.constant("transfer" as const), from: fc.nat(5), to: fc.nat(5), amount: fc.integer({ min: 1, max: 2_000 }), fee: fc.nat(50) }),
  fc.record({
    kind: fc.constant("optimae" as const),
    optimizer: fc.nat(4),
    x: fc.integer({ min: -1_000_000, max: 1_000_000 }),
    reported: fc.integer({ min: -900, max: -1 }),
    noise: fc.integer({ min: -500_000, max: 500_000 }),
    lie: fc.boolean(),
    claim: fc.boolean(),
  }),
  fc.constant({ kind: "empty" as const }),
);

/** Runs actions through buildBlock → applyBlock; every built block must apply. Returns the blocks. */
async function runActions(actions: readonly Action[]): Promise<{ blocks: Block[]; states: ChainState[] }> {
  const g = genesisBlock(params);
  let state = g.state;
  let now = params.genesisTimestamp;
  const blocks: Block[] = [g.block];
  const states: ChainState[] = [state];
  const nonces = new Map<string, number>();
  const mk = <K extends Tx["kind"]>(key: TestKey, kind: K, body: never, fee = 0n): Tx => {
    const nonce = Math.max(nonces.get(key.pub) ?? 0, state.accounts.get(key.address)?.nonce ?? 0) + 1;
    nonces.set(key.pub, nonce);
    return createTx(kind, body, { secret: key.secret, nonce, network: params.network, fee });
  };
  // every block by the producer first in turn (carrier blocks wait the carrier interval)
  const produce = async (txs: Tx[]): Promise<void> => {
    now += params.carrierIntervalMs;
    const first = producerSchedule(state, params)[0];
    const producer = KEYS.find((k) => k.address === first) as TestKey;
    const built = buildBlock(state, txs, params, { producerSecret: producer.secret, timestamp: now });
    if (!built.ok) throw new Error(built.error.message);
    // rejected candidates consumed a local nonce that never reached the chain
    for (const r of built.value.rejected) nonces.delete(r.tx.from);
    const applied = await applyBlock(state, built.value.block, params);
    if (!applied.ok) throw new Error(`a built block must apply: ${applied.error.code} ${applied.error.message}`);
    state = applied.value;
    blocks.push(built.value.block);
    states.push(state);
  };
  let i = 0;
  for (const a of actions) {
    i++;
    if (a.kind === "transfer") {
      const from = KEYS[a.from] as TestKey;
      const to = KEYS[a.to] as TestKey;
      await produce([mk(from, "transfer", { to: to.address, amount: BigInt(a.amount) * COIN_UNIT } as never, BigInt(a.fee))]);
    } else if (a.kind === "optimae") {
      const opt = KEYS[a.optimizer] as TestKey;
      const p: JsonValue = { x: [a.x, i] };
      const reported = BigInt(a.reported) * FIXED_ONE;
      const salt = "5a".repeat(16);
      const commitment = computeCommitment({ domain: "quadratic", params: p, salt, reported, optimizer: opt.pub });
      const commit = mk(opt, "commit", { domain: "quadratic", commitment } as never);
      await produce([commit]);
      for (let k = 0; k < params.seedDelayBlocks; k++) await produce([]);
      const reveal = mk(opt, "reveal", { commit: commit.id, params: p, salt, reported } as never);
      await produce([reveal]);
      const round = state.rounds.get(reveal.id);
      if (round !== undefined) {
        const truth = a.lie ? reported - 300n * FIXED_ONE : reported + BigInt(a.noise);
        const votes = round.quorum.map((e) => {
          const k = KEYS.find((x) => x.address === e) as TestKey;
          return mk(k, "vote", { optimae: reveal.id, performance: truth, dataHash: "00".repeat(32) } as never);
        });
        await produce(votes);
        if (a.claim) {
          const accept = mk(opt, "accept", {
            optimae: reveal.id, experimentId: "e", roundNumber: i, timeToResultSeconds: 1,
            optimizationConfigHash: "00".repeat(32), dataHash: "00".repeat(32),
          } as never);
          await produce([accept]);
        }
      }
    } else {
      await produce([]);
    }
  }
  return { blocks, states };
}

describe("state transition properties", () => {
  it("conserves coins, never exceeds the cap, and replays to identical state roots", async () => {
    let minted = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(action, { minLength: 1, maxLength: 6 }), async (actions) => {
        const { blocks, states } = await runActions(actions);
        minted += (states[states.length - 1] as ChainState).mintedBlocks;
        for (const s of states) {
          expect(accountedCoin(s)).toBe(s.supply);
          expect(s.supply).toBeLessThanOrEqual(params.maxSupply);
          for (const acct of s.accounts.values()) {
            expect(acct.balance).toBeGreaterThanOrEqual(0n);
            expect(acct.reputation).toBeGreaterThanOrEqual(0n);
          }
        }
        // Coinbase pays exactly reward + fees in every block.
        for (let i = 1; i < blocks.length; i++) {
          const b = blocks[i] as Block;
          const paid = b.coinbase.reduce((x, o) => x + o.amount, 0n);
          const fees = b.txs.reduce((x, t) => x + t.fee, 0n);
          const minted = (states[i] as ChainState).supply - (states[i - 1] as ChainState).supply;
          expect(paid).toBe(minted + fees);
        }
        // Determinism: a second node replaying the same blocks reaches the same roots.
        let replay = genesisBlock(params).state;
        for (let i = 1; i < blocks.length; i++) {
          const r = await applyBlock(replay, blocks[i] as Block, params);
          expect(r.ok).toBe(true);
          if (!r.ok) return;
          replay = r.value;
          // the header commits to the incrementally updated tree: the same root as hashing the whole state anew
          expect(computeStateRoot(replay)).toBe((blocks[i] as Block).header.stateRoot);
          expect(computeStateRoot(replay)).toBe(computeStateRoot(states[i] as ChainState));
        }
      }),
      { numRuns: 25, seed: 20261126 },
    );
    // the runs must have exercised work blocks, not only carrier blocks
    expect(minted).toBeGreaterThan(0);
  });

  it("never accepts a randomly mutated valid block", async () => {
    const d = new ChainDriver();
    const X = { x: [3, 1, 4] };
    const id = await d.optimae({ optimizer: VALIDATORS[0] as TestKey, params: X, reported: -40n * FIXED_ONE, vote: () => -40n * FIXED_ONE });
    const parent = d.state;
    const txs = [d.accept(VALIDATORS[0] as TestKey, id), d.tx(VALIDATORS[2] as TestKey, "transfer", { to: OUTSIDER.address, amount: 5n }, 2n)];
    const built = buildBlock(parent, txs, d.params, { producerSecret: d.scheduled().secret, timestamp: d.now + 1 });
    if (!built.ok) throw new Error(built.error.message);
    const wire = blockToWire(built.value.block);
    const good = parseBlock(wire, d.params);
    expect(good.ok).toBe(true);

    const paths = leafPaths(wire);
    await fc.assert(
      fc.asyncProperty(fc.nat(paths.length - 1), fc.nat(1_000_000), async (pick, salt) => {
        const path = paths[pick] as (string | number)[];
        const mutated = mutateAt(structuredClone(wire) as JsonValue, path, salt);
        const parsed = parseBlock(mutated, d.params);
        if (!parsed.ok) return;
        const applied = await applyBlock(parent, parsed.value, d.params);
        expect(applied.ok, `mutation at ${path.join(".")} was accepted`).toBe(false);
      }),
      { numRuns: 300, seed: 7 },
    );
  });
});

function leafPaths(v: JsonValue, prefix: (string | number)[] = []): (string | number)[][] {
  if (v === null || typeof v !== "object") return [prefix];
  const out: (string | number)[][] = [];
  const entries: [string | number, JsonValue][] = Array.isArray(v) ? v.map((x, i) => [i, x]) : Object.entries(v);
  for (const [k, x] of entries) out.push(...leafPaths(x, [...prefix, k]));
  return out;
}

function mutateAt(root: JsonValue, path: (string | number)[], salt: number): JsonValue {
  let parent = root as Record<string | number, JsonValue>;
  for (let i = 0; i < path.length - 1; i++) parent = parent[path[i] as string] as Record<string | number, JsonValue>;
  const key = path[path.length - 1] as string;
  const old = parent[key];
  let next: JsonValue;
  if (typeof old === "number") next = old + 1 + (salt % 5);
  else if (typeof old === "string") {
    if (/^-?[0-9]+$/.test(old)) next = (BigInt(old) + 1n + BigInt(salt % 5)).toString();
    else if (/^[0-9a-f]+$/.test(old) && old.length > 0) {
      const i = salt % old.length;
      const c = old[i] === "0" ? "1" : "0";
      next = old.slice(0, i) + c + old.slice(i + 1);
    } else next = `${old}x`;
  } else if (typeof old === "boolean") next = !old;
  else next = "mutated";
  parent[key] = next;
  return root;
}
