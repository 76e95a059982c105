/**
 * A light client's check of a node's account proof answer
 * (checkAccountProofAnswer, what `doin balance --prove` runs): the answer a
 * node builds (the ChainDO's form) is accepted, for a present and an absent
 * account; every way a lying node could bend it is refused with BAD_PROOF.
 */
import { describe, expect, it } from "vitest";
import { headerToWire } from "../../core/block.ts";
import { recordToWire } from "../../core/encoding.ts";
import { genesisBlock } from "../../core/genesis.ts";
import { checkAccountProofAnswer, proveAccount } from "../../core/state-proof.ts";
import type { Address, Block, ChainState } from "../../core/types.ts";
import { OUTSIDER, testParams, VALIDATORS } from "./helpers/chain.ts";

const { block, state } = genesisBlock(testParams());

/** The answer as the ChainDO builds it for GET /chain/account/{a}?proof=1. */
function answer(b: Block, s: ChainState, address: Address) {
  const a = s.accounts.get(address);
  const p = proveAccount(s.tree, address);
  return {
    address,
    proof: { height: b.header.height, block: b.hash, finalized: true, header: headerToWire(b.header), account: a === undefined ? null : recordToWire(a), siblings: p.siblings, leaf: p.leaf },
  };
}

const present = VALIDATORS[0]!.address;
const absent = OUTSIDER.address;

describe("checkAccountProofAnswer", () => {
  it("accepts a node's honest answer: an account with its balance, and an account proven absent", () => {
    const ok = checkAccountProofAnswer(present, answer(block, state, present));
    expect(ok.ok).toBe(true);
    if (ok.ok) {
      expect(ok.value.account?.balance).toBe(state.accounts.get(present)?.balance);
      expect(ok.value.blockHash).toBe(block.hash);
    }
    const none = checkAccountProofAnswer(absent, answer(block, state, absent));
    expect(none.ok && none.value.account).toBe(null);
  });

  it("refuses a changed balance, a denied account, an invented one, and another account's proof", () => {
    const richer = answer(block, state, present);
    const acct = richer.proof.account as Record<string, unknown>;
    richer.proof.account = { ...acct, balance: (BigInt(acct["balance"] as string) + 1n).toString() };
    expect(checkAccountProofAnswer(present, richer)).toMatchObject({ ok: false, error: { code: "BAD_PROOF" } });

    const denied = answer(block, state, present);
    denied.proof.account = null;
    expect(checkAccountProofAnswer(present, denied)).toMatchObject({ ok: false, error: { code: "BAD_PROOF" } });

    const invented = answer(block, state, absent);
    invented.proof.account = recordToWire(state.accounts.get(present)!);
    expect(checkAccountProofAnswer(absent, invented)).toMatchObject({ ok: false, error: { code: "BAD_PROOF" } });

    // the proof of one address presented for another
    expect(checkAccountProofAnswer(VALIDATORS[1]!.address, answer(block, state, present))).toMatchObject({ ok: false, error: { code: "BAD_PROOF" } });
  });

  it("refuses a header that does not hash to the block the answer names (a state root swapped in)", () => {
    const swapped = answer(block, state, present);
    swapped.proof.header = { ...(swapped.proof.header as Record<string, unknown>), stateRoot: "ab".repeat(32) };
    expect(checkAccountProofAnswer(present, swapped)).toMatchObject({ ok: false, error: { code: "BAD_PROOF" } });
  });

  it("malformed answers are MALFORMED, not exceptions", () => {
    for (const raw of [null, 1, {}, { proof: null }, { proof: { header: {} } }]) {
      const r = checkAccountProofAnswer(present, raw);
      expect(r.ok).toBe(false);
    }
  });
});
