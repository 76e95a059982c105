/**
 * admissionCheck refuses exactly what a block would refuse for good, with the
 * same code, and lets through what a pending transaction may still make valid.
 */
import { describe, expect, it } from "vitest";
import { ADMISSION_CODES, admissionCheck } from "../../core/admission.ts";
import { COIN_UNIT, FIXED_ONE } from "../../core/params.ts";
import { buildBlock } from "../../core/state-transition.ts";
import { computeCommitment } from "../../core/tx.ts";
import type { Hash, Tx } from "../../core/types.ts";
import { ChainDriver, keyOf, OUTSIDER, VALIDATORS, type TestKey } from "./helpers/chain.ts";

const [V0, V1] = VALIDATORS as [TestKey, TestKey, TestKey, TestKey, TestKey];
const X = { x: [1_000_000, -2_000_000, 3_500_000] };
const SALT = "ab".repeat(16);

/** The code a block gives `tx` on the driver's tip ("none": included). */
function blockVerdict(d: ChainDriver, tx: Tx): string {
  const built = buildBlock(d.state, [tx], d.params, { producerSecret: d.scheduled().secret, timestamp: d.now + d.params.carrierIntervalMs });
  if (!built.ok) return built.error.code;
  return built.value.rejected[0]?.error.code ?? "none";
}

function admission(d: ChainDriver, tx: Tx): string {
  const r = admissionCheck(d.state, d.params, tx);
  return r.ok ? "none" : r.error.code;
}

/** Refused at admission with `code`, and by a block with the same code. */
function expectRefused(d: ChainDriver, tx: Tx, code: string): void {
  expect(ADMISSION_CODES).toContain(code); // the list peers use not to blame relayers
  expect(admission(d, tx)).toBe(code);
  expect(blockVerdict(d, tx)).toBe(code);
  d.nonces.clear(); // never on chain: the nonce is free again
}

/** A commit on chain, and the blocks after it until its reveal may come (its quorum seed exists). */
async function committed(d: ChainDriver, key: TestKey, params = X, reported = -5n): Promise<Hash> {
  const commitment = computeCommitment({ domain: "quadratic", params, salt: SALT, reported, optimizer: key.pub });
  const commit = d.tx(key, "commit", { domain: "quadratic", commitment });
  await d.produce([commit]);
  for (let i = 0; i < d.params.seedDelayBlocks; i++) await d.produce([]);
  return commit.id;
}

describe("admissionCheck", () => {
  it("refuses a reveal that does not open its commit, or by someone else, as a block would", async () => {
    const d = new ChainDriver();
    const commit = await committed(d, V0);
    expectRefused(d, d.tx(V0, "reveal", { commit, params: X, salt: SALT, reported: -4n }), "REVEAL_MISMATCH");
    expectRefused(d, d.tx(V0, "reveal", { commit, params: { x: [1, 2, 3] }, salt: SALT, reported: -5n }), "REVEAL_MISMATCH");
    expectRefused(d, d.tx(OUTSIDER, "reveal", { commit, params: X, salt: SALT, reported: -5n }), "NOT_COMMIT_AUTHOR");
    const honest = d.tx(V0, "reveal", { commit, params: X, salt: SALT, reported: -5n });
    expect(admission(d, honest)).toBe("none");
    await d.produce([honest]);
    expectRefused(d, d.tx(V0, "reveal", { commit, params: X, salt: SALT, reported: -5n }), "ALREADY_REVEALED");
  });

  it("refuses a copy of revealed parameters: the copier's own, matching commit gains nothing", async () => {
    const d = new ChainDriver();
    await d.optimae({ optimizer: V0, params: X, reported: -5n, vote: () => null });
    await d.produce([d.tx(V1, "transfer", { to: OUTSIDER.address, amount: 10n * COIN_UNIT })]); // the copier's bond
    const copy = await committed(d, OUTSIDER, X, -5n);
    expectRefused(d, d.tx(OUTSIDER, "reveal", { commit: copy, params: X, salt: SALT, reported: -5n }), "DUPLICATE_PARAMS");
  });

  it("lets through a reveal whose commit is not on chain yet (it may be pending)", () => {
    const d = new ChainDriver();
    const commitment = computeCommitment({ domain: "quadratic", params: X, salt: SALT, reported: -5n, optimizer: V0.pub });
    const commit = d.tx(V0, "commit", { domain: "quadratic", commitment });
    expect(admission(d, commit)).toBe("none");
    expect(admission(d, d.tx(V0, "reveal", { commit: commit.id, params: X, salt: SALT, reported: -4n }))).toBe("none");
  });

  it("refuses commits to unknown domains and commitments already on chain", async () => {
    const d = new ChainDriver();
    expectRefused(d, d.tx(V0, "commit", { domain: "mnist", commitment: "00".repeat(32) }), "UNKNOWN_DOMAIN");
    const commitment = computeCommitment({ domain: "quadratic", params: X, salt: SALT, reported: -5n, optimizer: V0.pub });
    await d.produce([d.tx(V0, "commit", { domain: "quadratic", commitment })]);
    expectRefused(d, d.tx(V1, "commit", { domain: "quadratic", commitment }), "DUPLICATE_COMMIT");
  });

  it("refuses votes by evaluators not selected, and second votes", async () => {
    const d = new ChainDriver();
    const commit = await committed(d, V0);
    const reveal = d.tx(V0, "reveal", { commit, params: X, salt: SALT, reported: -5n });
    await d.produce([reveal]);
    const round = d.state.rounds.get(reveal.id);
    const [first, second] = round?.quorum ?? [];
    expect(second).toBeDefined();
    const vote = (k: TestKey) => d.tx(k, "vote", { optimae: reveal.id, performance: -5n, dataHash: "cd".repeat(32) });
    expectRefused(d, vote(OUTSIDER), "NOT_SELECTED");
    expectRefused(d, vote(V0), "NOT_SELECTED"); // the optimizer never evaluates its own optimae
    const ok = vote(keyOf(first as string));
    expect(admission(d, ok)).toBe("none");
    await d.produce([ok]);
    expectRefused(d, vote(keyOf(first as string)), "DUPLICATE_VOTE");
    // an accept while the round still votes may pass later: admitted
    expect(admission(d, d.accept(V0, reveal.id))).toBe("none");
    d.nonces.clear();
  });

  it("refuses accepts by someone else and accepts of a rejected round", async () => {
    const d = new ChainDriver();
    const id = await d.optimae({ optimizer: V0, params: X, reported: -5n * FIXED_ONE, vote: () => -300n * FIXED_ONE });
    expect(d.state.rounds.get(id)?.status).toBe("rejected");
    expectRefused(d, d.accept(OUTSIDER, id), "NOT_OPTIMAE_AUTHOR");
    expectRefused(d, d.accept(V0, id), "NOT_VERIFIED");
  });

  it("has nothing to say about transfers", () => {
    const d = new ChainDriver();
    expect(admission(d, d.tx(V0, "transfer", { to: OUTSIDER.address, amount: 1n }))).toBe("none");
  });
});
