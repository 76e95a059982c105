/**
 * Weights travel in the reveal: a domain's maxParamsBytes bounds a reveal's
 * params (admission and blocks refuse one byte more with PARAMS_TOO_LARGE), a
 * reveal transaction may exceed maxTxBytes by the largest domain's limit and
 * no more (TOO_LARGE), and a block's transactions together stay within
 * maxBlockTxBytes (BLOCK_TOO_LARGE; a producer leaves out what does not fit).
 * Every refusal has its positive control: the same construction within the
 * limit is accepted.
 */
import { describe, expect, it } from "vitest";
import { admissionCheck } from "../../core/admission.ts";
import { blockToWire, blockTxBytes, parseBlock } from "../../core/block.ts";
import { parseDomainConfig } from "../../core/domain-config.ts";
import { applyBlock, buildBlock } from "../../core/state-transition.ts";
import { computeCommitment, paramsSize, parseTx, txSize, txSizeLimit, txToWire } from "../../core/tx.ts";
import type { ChainParams, DomainConfig, JsonValue } from "../../core/types.ts";
import { ChainDriver, scheduledFor, testParams, VALIDATORS, type TestKey } from "./helpers/chain.ts";

const [V0, V1] = VALIDATORS as [TestKey, TestKey];
const SALT = "ab".repeat(16);
const WIDE = parseDomainConfig({ id: "wide", higherIsBetter: true, epsilon: "1", toleranceAbs: "1000", initialChampion: "0", maxParamsBytes: 24_576 });
if (!WIDE.ok) throw new Error(WIDE.error.message);
const wideParams = (extra: Partial<ChainParams> = {}) => testParams({ domains: [...testParams().domains, WIDE.value as DomainConfig], ...extra });

/** {"w": "AAAA…"} of exactly `bytes` canonical bytes. */
const sized = (bytes: number): JsonValue => ({ w: "A".repeat(bytes - 8) });

async function committed(d: ChainDriver, key: TestKey, domain: string, params: JsonValue): Promise<string> {
  const commitment = computeCommitment({ domain, params, salt: SALT, reported: 1n, optimizer: key.pub });
  const c = d.tx(key, "commit", { domain, commitment });
  await d.produce([c]);
  // a reveal is valid only once its quorum seed exists
  for (let i = 0; i < d.params.seedDelayBlocks; i++) await d.produce([]);
  return c.id;
}

describe("the size of weights", () => {
  it("a reveal's params may take the domain's maxParamsBytes and not one byte more (admission and block agree)", async () => {
    const d = new ChainDriver(wideParams());
    expect(paramsSize(sized(24_576))).toBe(24_576);
    const over = await committed(d, V0, "wide", sized(24_577));
    const fits = await committed(d, V1, "wide", sized(24_576));
    const big = d.tx(V0, "reveal", { commit: over, params: sized(24_577), salt: SALT, reported: 1n });
    const r = admissionCheck(d.state, d.params, big);
    expect(r.ok ? null : r.error.code).toBe("PARAMS_TOO_LARGE");
    const built = buildBlock(d.state, [big], d.params, { producerSecret: scheduledFor(d.state, d.params).secret, timestamp: d.now + d.params.carrierIntervalMs });
    expect(built.ok && built.value.rejected[0]?.error.code).toBe("PARAMS_TOO_LARGE");
    d.nonces.clear();
    const ok = d.tx(V1, "reveal", { commit: fits, params: sized(24_576), salt: SALT, reported: 1n });
    expect(admissionCheck(d.state, d.params, ok).ok).toBe(true);
    expect(txSize(ok)).toBeGreaterThan(d.params.maxTxBytes); // larger than any other kind of transaction may be
    await d.produce([ok]);
    expect(d.state.rounds.get(ok.id)?.params).toEqual(sized(24_576));
    // the quadratic domain keeps its own 4,096 bytes in the same network
    const q = await committed(d, V0, "quadratic", sized(4_097));
    const r2 = admissionCheck(d.state, d.params, d.tx(V0, "reveal", { commit: q, params: sized(4_097), salt: SALT, reported: 1n }));
    expect(r2.ok ? null : r2.error.code).toBe("PARAMS_TOO_LARGE");
  });

  it("a reveal may exceed maxTxBytes by the largest domain's maxParamsBytes; other kinds may not", () => {
    const p = wideParams();
    expect(txSizeLimit(p, "reveal")).toBe(8_192 + 24_576);
    expect(txSizeLimit(p, "commit")).toBe(8_192);
    expect(txSizeLimit(testParams(), "reveal")).toBe(8_192 + 4_096);
    const d = new ChainDriver(p);
    const fill = (extra: number) => {
      const probe = d.tx(V0, "reveal", { commit: "00".repeat(32), params: sized(1_000), salt: SALT, reported: 1n });
      d.nonces.clear();
      return 1_000 + txSizeLimit(p, "reveal") - txSize(probe) + extra;
    };
    const atLimit = d.tx(V0, "reveal", { commit: "00".repeat(32), params: sized(fill(0)), salt: SALT, reported: 1n });
    d.nonces.clear();
    expect(txSize(atLimit)).toBe(txSizeLimit(p, "reveal"));
    expect(parseTx(txToWire(atLimit), p).ok).toBe(true);
    const over = d.tx(V0, "reveal", { commit: "00".repeat(32), params: sized(fill(1)), salt: SALT, reported: 1n });
    const r = parseTx(txToWire(over), p);
    expect(r.ok ? null : r.error.code).toBe("TOO_LARGE");
  });

  it("a block's transactions stay within maxBlockTxBytes: a producer leaves out what does not fit, a block over it is invalid", async () => {
    // a small block limit: two 24 KiB reveals fit, three do not
    const p = wideParams({ maxBlockTxBytes: 60_000 });
    const d = new ChainDriver(p);
    const keys = VALIDATORS.slice(0, 3) as TestKey[];
    const commits: string[] = [];
    for (const k of keys) commits.push(await committed(d, k, "wide", { ...(sized(24_000) as object), who: k.address }));
    const reveals = keys.map((k, i) => d.tx(k, "reveal", { commit: commits[i] as string, params: { ...(sized(24_000) as object), who: k.address }, salt: SALT, reported: 1n }));
    const built = buildBlock(d.state, reveals, p, { producerSecret: scheduledFor(d.state, d.params).secret, timestamp: d.now + p.carrierIntervalMs });
    if (!built.ok) throw new Error(built.error.message);
    expect(built.value.block.txs.map((t) => t.id)).toEqual([reveals[0]?.id, reveals[1]?.id]);
    expect(built.value.rejected).toEqual([]); // the third stays pending: not refused
    expect(blockTxBytes(built.value.block.txs)).toBeLessThanOrEqual(60_000);
    expect((await applyBlock(d.state, built.value.block, p)).ok).toBe(true);

    // the same three in one block, sealed by hand: invalid for its size alone
    const roomy = { ...p, maxBlockTxBytes: 1_048_576 };
    const big = buildBlock(d.state, reveals, roomy, { producerSecret: scheduledFor(d.state, d.params).secret, timestamp: d.now + p.carrierIntervalMs });
    if (!big.ok) throw new Error(big.error.message);
    expect(big.value.block.txs).toHaveLength(3);
    expect((await applyBlock(d.state, big.value.block, roomy)).ok).toBe(true); // positive control: valid where it fits
    const applied = await applyBlock(d.state, big.value.block, p);
    expect(applied.ok ? null : applied.error.code).toBe("BLOCK_TOO_LARGE");
    const parsed = parseBlock(blockToWire(big.value.block), p);
    expect(parsed.ok ? null : parsed.error.code).toBe("BLOCK_TOO_LARGE");
  });

  it("the mainnet and devnet rules keep a full block under Durable Object storage's 2 MB value and the 4 MiB message", () => {
    const p = testParams();
    expect(p.maxBlockTxBytes).toBe(1_048_576);
    expect(p.maxBlockTxBytes).toBeLessThan(2_000_000 / 1.5);
  });
});

describe("a domain's optimum", () => {
  it("is an optional Fixed in the domain's rules", () => {
    const base = { id: "p", higherIsBetter: true, epsilon: "1", toleranceAbs: "0", initialChampion: "0" };
    const without = parseDomainConfig(base);
    expect(without.ok && "optimum" in without.value).toBe(false);
    const withIt = parseDomainConfig({ ...base, optimum: "314810" });
    expect(withIt.ok && withIt.value.optimum).toBe(314_810n);
    const bad = parseDomainConfig({ ...base, optimum: 0.31 });
    expect(bad.ok ? null : bad.error.code).toBe("MALFORMED");
  });
});
