/**
 * computeStateRoot writes the accounts' canonical text directly;
 * the root must stay exactly the hash of the whole state's canonical encoding
 * (the definition in docs/PROTOCOL.md), whatever changed in between.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Encodable } from "../../core/encoding.ts";
import { genesisBlock } from "../../core/genesis.ts";
import { hashOf } from "../../core/hash.ts";
import { computeStateRoot } from "../../core/state-root.ts";
import type { Account, ChainState } from "../../core/types.ts";
import { testParams } from "./helpers/chain.ts";

function sorted<K extends string | number, V>(m: ReadonlyMap<K, V>): [K, V][] {
  return [...m.entries()].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
}

/** The definition: one canonical encoding of the whole view, hashed. */
function definitionRoot(s: ChainState): string {
  const view = {
    network: s.network,
    height: s.height,
    tipTimestamp: s.tipTimestamp,
    cumulativeWork: s.cumulativeWork,
    supply: s.supply,
    burned: s.burned,
    beacon: s.beacon,
    mintedBlocks: s.mintedBlocks,
    accounts: sorted(s.accounts),
    champions: sorted(s.champions),
    commits: sorted(s.commits),
    rounds: sorted(s.rounds),
    revealedParams: sorted(s.revealedParams),
    difficulty: s.difficulty,
    pending: { work: s.pending.work, optimizers: sorted(s.pending.optimizers), evaluators: sorted(s.pending.evaluators) },
    anchors: sorted(s.anchors),
    checkpoints: sorted(s.checkpoints),
    recentBeacons: sorted(s.recentBeacons),
  };
  return hashOf("state", view as unknown as Encodable);
}

const address = fc.stringMatching(/^[0-9a-f]{40}$/);
const account: fc.Arbitrary<Account> = fc.record({
  balance: fc.bigInt({ min: 0n, max: 2n ** 62n }),
  nonce: fc.nat(),
  reputation: fc.bigInt({ min: 0n, max: 10n ** 9n }),
  reputationTime: fc.nat(),
  lastActiveTime: fc.integer({ min: -1, max: 1_000_000 }),
});

describe("computeStateRoot", () => {
  const genesis = genesisBlock(testParams()).state;

  it("equals the hash of the whole canonical state, across a sequence of states sharing and replacing accounts", () => {
    fc.assert(
      fc.property(fc.array(fc.array(fc.tuple(address, account), { maxLength: 8 }), { minLength: 1, maxLength: 6 }), fc.nat({ max: 7 }), (steps, moved) => {
        let accounts = new Map(genesis.accounts);
        for (const [k, changes] of steps.entries()) {
          accounts = new Map(accounts); // as a block does: a new map, unchanged accounts kept by identity
          for (const [addr, a] of changes) accounts.set(addr, a);
          // the same account object under a second address (its cached text must not leak across keys)
          const some = [...accounts.values()][moved % accounts.size] as Account;
          if (k % 2 === 1) accounts.set("f".repeat(40), some);
          const state: ChainState = { ...genesis, height: k + 1, accounts };
          expect(computeStateRoot(state)).toBe(definitionRoot(state));
        }
      }),
      { numRuns: 200 },
    );
  });

  it("changes when any one account changes", () => {
    const base = computeStateRoot(genesis);
    const [addr, a] = [...genesis.accounts.entries()][0] as [string, Account];
    const next = new Map(genesis.accounts);
    next.set(addr, { ...a, nonce: a.nonce + 1 });
    expect(computeStateRoot({ ...genesis, accounts: next })).not.toBe(base);
    expect(computeStateRoot(genesis)).toBe(base);
  });
});
