/**
 * The state's leaves on the wire: every item of a state written and read back
 * exactly; accounts' direct text equals the generic canonical encoding; a
 * leaf that is not exactly one (unknown space, missing or extra field, a
 * float, a non-canonical number, a wrong id) is refused with MALFORMED, never
 * an exception.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { canonicalJson, type Encodable } from "../../core/encoding.ts";
import { bytesToHex } from "../../core/hex.ts";
import { FIXED_ONE } from "../../core/params.ts";
import { accountKey, entryFromWire, entryToWire, stateKey, valueHash, valueText } from "../../core/state-codec.ts";
import { hashOf } from "../../core/hash.ts";
import { leavesOf } from "../../core/state-tree.ts";
import type { Account, StateEntry } from "../../core/types.ts";
import { ChainDriver, VALIDATORS, type TestKey } from "./helpers/chain.ts";

const account: fc.Arbitrary<Account> = fc.record({
  balance: fc.bigInt({ min: 0n, max: 2n ** 80n }),
  nonce: fc.nat(),
  reputation: fc.bigInt({ min: 0n, max: 10n ** 12n }),
  reputationTime: fc.nat(),
  lastActiveTime: fc.integer({ min: -1, max: 2 ** 45 }),
});

describe("state codec", () => {
  it("writes an account directly, byte for byte the generic canonical encoding; its key likewise", () => {
    fc.assert(
      fc.property(account, fc.stringMatching(/^[0-9a-f]{40}$/), (a, address) => {
        const e: StateEntry = { space: "account", id: address, value: a };
        expect(valueText(e)).toBe(canonicalJson(a as unknown as Encodable));
        expect(accountKey(address)).toBe(hashOf("state-key", ["account", address]));
        expect(stateKey("account", address)).toBe(accountKey(address));
      }),
      { numRuns: 300 },
    );
  });

  it("round-trips every item of a state exactly (wire → typed → wire, same key and value hash)", async () => {
    const d = new ChainDriver();
    const V0 = VALIDATORS[0] as TestKey;
    const id = await d.optimae({ optimizer: V0, params: { x: [1, 2] }, reported: -70n * FIXED_ONE, vote: () => -70n * FIXED_ONE });
    await d.optimae({ optimizer: VALIDATORS[1] as TestKey, params: { x: [3] }, reported: -90n * FIXED_ONE, vote: () => null });
    await d.produce([d.accept(V0, id)]);
    await d.produce([d.tx(VALIDATORS[2] as TestKey, "commit", { domain: "quadratic", commitment: "cd".repeat(32) })]);
    const spaces = new Set<string>();
    for (const leaf of leavesOf(d.state.tree)) {
      spaces.add(leaf.entry.space);
      const wire = JSON.parse(JSON.stringify(entryToWire(leaf.entry))) as unknown;
      const back = entryFromWire(wire);
      expect(back.ok).toBe(true);
      if (!back.ok) continue;
      expect(back.value.key).toBe(leaf.key);
      expect(bytesToHex(back.value.valueHash)).toBe(bytesToHex(valueHash(leaf.entry)));
      expect(back.value.entry).toEqual(leaf.entry);
    }
    expect([...spaces].sort()).toEqual(["account", "champion", "commit", "meta", "recent-beacon", "revealed", "round"]);
  });

  it("refuses what is not exactly a leaf, with MALFORMED", () => {
    const a = "ab".repeat(20);
    const good = { space: "account", id: a, value: { balance: "10", nonce: 1, reputation: "0", reputationTime: 0, lastActiveTime: -1 } };
    expect(entryFromWire(good).ok).toBe(true);
    const bad: unknown[] = [
      null,
      [],
      "leaf",
      { ...good, space: "accounts" },
      { ...good, extra: 1 },
      { space: good.space, id: good.id },
      { ...good, id: 7 },
      { ...good, id: "AB".repeat(20) },
      { ...good, value: { ...good.value, balance: "010" } },
      { ...good, value: { ...good.value, balance: 10 } },
      { ...good, value: { ...good.value, balance: "-1" } },
      { ...good, value: { ...good.value, nonce: 1.5 } },
      { ...good, value: { ...good.value, nonce: 2 ** 60 } },
      { ...good, value: { ...good.value, more: 1 } },
      { space: "meta", id: "other", value: {} },
      { space: "anchor", id: "100", value: "00".repeat(32) },
      { space: "anchor", id: -1, value: "00".repeat(32) },
      { space: "round", id: "00".repeat(32), value: { status: "voting" } },
      { space: "champion", id: "q", value: { performance: "1", optimae: null, optimizer: null, params: { x: 0.5 }, height: 0 } },
    ];
    for (const b of bad) {
      const r = entryFromWire(b);
      expect(r.ok, JSON.stringify(b)).toBe(false);
      if (!r.ok) expect(r.error.code).toBe("MALFORMED");
    }
  });
});
