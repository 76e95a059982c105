/**
 * The accounts of a state read through its tree (AccountMap) and a block's
 * working copy (AccountOverlay) behave as maps: the same entries, sizes and
 * lookups as a plain Map holding the same accounts; the overlay leaves its
 * base untouched; and both keep apart exactly the accounts with reputation.
 * The reputable accounts carried from block to block in layers read like a
 * map rebuilt from scratch at every block, and an older block's set never
 * changes when a later block is added.
 * Proofs read from the wire: what is not a proof or an account is refused.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { AccountOverlay, mayHoldReputation, ReputableAccounts } from "../../core/account-map.ts";
import { genesisBlock } from "../../core/genesis.ts";
import { parseTreeProof, parseWireAccount } from "../../core/state-proof.ts";
import { withTree } from "../../core/state-root.ts";
import type { Account } from "../../core/types.ts";
import { testParams } from "./helpers/chain.ts";

const account: fc.Arbitrary<Account> = fc.record({
  balance: fc.bigInt({ min: 0n, max: 10n ** 20n }),
  nonce: fc.nat({ max: 1000 }),
  reputation: fc.oneof(fc.constant(0n), fc.bigInt({ min: 1n, max: 10n ** 8n })),
  reputationTime: fc.nat(),
  lastActiveTime: fc.integer({ min: -1, max: 10 ** 9 }),
});
const accounts = fc.uniqueArray(fc.tuple(fc.stringMatching(/^[0-9a-f]{40}$/), account), { selector: ([a]) => a, maxLength: 40 });
const sorted = <V>(it: Iterable<[string, V]>) => [...it].sort((a, b) => (a[0] < b[0] ? -1 : 1));

describe("accounts through the state tree", () => {
  const genesis = genesisBlock(testParams()).state;

  it("an AccountMap and an overlay over it read like plain maps of the same accounts", () => {
    fc.assert(
      fc.property(accounts, accounts, (base, writes) => {
        const plain = new Map([...genesis.accounts, ...base]);
        const s = withTree({ ...genesis, accounts: plain });
        expect(s.accounts.size).toBe(plain.size);
        expect(sorted(s.accounts)).toEqual(sorted(plain));
        expect(sorted(s.accounts.entries())).toEqual(sorted(plain.entries()));
        expect([...s.accounts.keys()].sort()).toEqual([...plain.keys()].sort());
        expect([...s.accounts.values()].length).toBe(plain.size);
        const seen: string[] = [];
        s.accounts.forEach((_, k) => seen.push(k));
        expect(seen.sort()).toEqual([...plain.keys()].sort());
        for (const [a, v] of plain) expect(s.accounts.get(a)).toEqual(v);
        expect(s.accounts.has("e".repeat(40)) || plain.has("e".repeat(40))).toBe(plain.has("e".repeat(40)));
        expect(String(s.accounts)).toBe("[object AccountMap]");

        const overlay = new AccountOverlay(s.accounts);
        const after = new Map(plain);
        for (const [a, v] of writes) {
          overlay.set(a, v);
          after.set(a, v);
        }
        expect(overlay.size).toBe(after.size);
        expect(sorted(overlay)).toEqual(sorted(after));
        expect([...overlay.keys()].sort()).toEqual([...after.keys()].sort());
        for (const [a, v] of after) {
          expect(overlay.get(a)).toEqual(v);
          expect(overlay.has(a)).toBe(true);
        }
        // the base is as it was
        expect(sorted(s.accounts)).toEqual(sorted(plain));
        // the reputable accounts: exactly those with reputation above zero, in the map and through the overlay
        const reputable = (m: Iterable<[string, Account]>) =>
          [...m]
            .filter(([, v]) => v.reputation > 0n)
            .map(([a]) => a)
            .sort();
        expect([...mayHoldReputation(s.accounts)].map(([a]) => a).sort()).toEqual(reputable(plain));
        expect([...mayHoldReputation(overlay)].map(([a]) => a).sort()).toEqual(reputable(after));
        // a plain map has no such index: all of it
        expect([...mayHoldReputation(plain)].length).toBe(plain.size);
      }),
      { numRuns: 100 },
    );
  });
});

describe("reputable accounts across blocks", () => {
  const address = fc.constantFrom(...Array.from({ length: 12 }, (_, i) => i.toString(16).padStart(40, "0")));
  // a block's changes: an account written (with or without reputation) or removed (null)
  const blockChanges = fc.array(fc.tuple(address, fc.option(account, { nil: null })), { maxLength: 6 });

  it("read like a map rebuilt at every block, over enough blocks to fold the layers; older sets stay as they were", () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(address, account), { maxLength: 12 }), fc.array(blockChanges, { minLength: 1, maxLength: 40 }), (start, blocks) => {
        const model = new Map<string, Account>(start.filter(([, v]) => v.reputation > 0n));
        let set = ReputableAccounts.from(start);
        const history: [ReputableAccounts, [string, Account][]][] = [];
        for (const changes of blocks) {
          set = set.after(changes);
          for (const [a, v] of changes) {
            if (v !== null && v.reputation > 0n) model.set(a, v);
            else model.delete(a);
          }
          expect(sorted(set)).toEqual(sorted(model));
          expect([...set].length).toBe(model.size);
          for (const a of Array.from({ length: 12 }, (_, i) => i.toString(16).padStart(40, "0"))) expect(set.get(a)).toEqual(model.get(a));
          history.push([set, sorted(model)]);
        }
        for (const [old, entries] of history) expect(sorted(old)).toEqual(entries);
      }),
      { numRuns: 200 },
    );
  });
});

describe("proofs and accounts from the wire", () => {
  it("reads a proof and an account, refuses what is not one", () => {
    const leaf = { key: "ab".repeat(32), valueHash: "cd".repeat(32) };
    expect(parseTreeProof({ siblings: ["00".repeat(32)], leaf })).toEqual({ ok: true, value: { siblings: ["00".repeat(32)], leaf } });
    expect(parseTreeProof({ siblings: [], leaf: null }).ok).toBe(true);
    for (const bad of [null, [], { siblings: [] }, { siblings: ["x"], leaf: null }, { siblings: [], leaf: { key: "ab" } }, { siblings: Array(257).fill("00".repeat(32)), leaf: null }]) {
      const r = parseTreeProof(bad);
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.error.code).toBe("MALFORMED");
    }
    const a = "12".repeat(20);
    expect(parseWireAccount(a, { balance: "5", nonce: 1, reputation: "0", reputationTime: 0, lastActiveTime: -1 })).toEqual({
      ok: true,
      value: { balance: 5n, nonce: 1, reputation: 0n, reputationTime: 0, lastActiveTime: -1 },
    });
    expect(parseWireAccount(a, { balance: 5, nonce: 1, reputation: "0", reputationTime: 0, lastActiveTime: -1 }).ok).toBe(false);
    expect(parseWireAccount("zz", { balance: "5", nonce: 1, reputation: "0", reputationTime: 0, lastActiveTime: -1 }).ok).toBe(false);
  });
});
