/** Domains declared in JSON (the DOMAINS setting, a plugin package's "doin".chain). */
import { describe, expect, it } from "vitest";
import { parseDomainConfig, parseDomainList } from "../../core/domain-config.ts";
import { genesisBlock } from "../../core/genesis.ts";
import { FIXED_ONE, QUADRATIC_DOMAIN } from "../../core/params.ts";
import { computeCommitment } from "../../core/tx.ts";
import { ChainDriver, testParams, VALIDATORS, type TestKey } from "./helpers/chain.ts";

const SPHERE = { id: "sphere", higherIsBetter: true, epsilon: "1000", toleranceAbs: "500000", toleranceRelPpm: 50_000, initialChampion: "-100000000", maxParamsBytes: 1024 };

describe("parseDomainConfig", () => {
  it("reads a domain, micro-unit strings as Fixed, the quadratic domain's values where left out", () => {
    const d = parseDomainConfig(SPHERE);
    expect(d).toEqual({
      ok: true,
      value: {
        id: "sphere",
        higherIsBetter: true,
        epsilon: 1_000n,
        bond: QUADRATIC_DOMAIN.bond,
        weight: QUADRATIC_DOMAIN.weight,
        toleranceAbs: 500_000n,
        toleranceRelPpm: 50_000,
        quorumFractionPpm: QUADRATIC_DOMAIN.quorumFractionPpm,
        initialChampion: -100n * FIXED_ONE,
        maxParamsBytes: 1024,
        incentive: QUADRATIC_DOMAIN.incentive,
      },
    });
  });

  const bad: [string, Record<string, unknown>, RegExp][] = [
    ["not an object", [] as unknown as Record<string, unknown>, /expected an object/],
    ["an unknown field", { ...SPHERE, epsilonn: "1" }, /epsilonn: unknown field/],
    ["a bad id", { ...SPHERE, id: "Sphere!" }, /id: expected/],
    ["no direction", { ...SPHERE, higherIsBetter: "yes" }, /higherIsBetter/],
    ["a float ε", { ...SPHERE, epsilon: 0.001 }, /epsilon: expected a decimal string/],
    ["ε of zero", { ...SPHERE, epsilon: "0" }, /epsilon: must be at least 1/],
    ["a negative bond", { ...SPHERE, bond: "-1" }, /bond: expected a decimal string of base units/],
    ["a bond as a number", { ...SPHERE, bond: 100 }, /bond: expected a decimal string of base units/],
    ["a negative tolerance", { ...SPHERE, toleranceAbs: "-1" }, /toleranceAbs: must be at least 0/],
    ["a quorum of half", { ...SPHERE, quorumFractionPpm: 500_000 }, /quorumFractionPpm/],
    ["a non-canonical number", { ...SPHERE, initialChampion: "-0100" }, /initialChampion/],
    ["an unknown incentive field", { ...SPHERE, incentive: { bonus: 1 } }, /incentive.bonus: unknown field/],
    ["no initial champion", { id: "x", higherIsBetter: true, epsilon: "1", toleranceAbs: "0" }, /initialChampion/],
  ];
  for (const [what, value, message] of bad) {
    it(`refuses ${what} (MALFORMED, naming the field)`, () => {
      const r = parseDomainConfig(value);
      expect(r.ok).toBe(false);
      if (!r.ok) {
        expect(r.error.code).toBe("MALFORMED");
        expect(r.error.message).toMatch(message);
      }
    });
  }

  it("a list: distinct ids, never the built-in quadratic", () => {
    expect(parseDomainList([SPHERE])).toMatchObject({ ok: true, value: [{ id: "sphere" }] });
    expect(parseDomainList([SPHERE, SPHERE])).toMatchObject({ ok: false, error: { code: "MALFORMED", message: expect.stringMatching(/declared twice/) } });
    expect(parseDomainList([{ ...SPHERE, id: "quadratic" }])).toMatchObject({ ok: false });
    expect(parseDomainList({})).toMatchObject({ ok: false });
  });
});

describe("a network with a declared domain", () => {
  const parsed = parseDomainConfig(SPHERE);
  if (!parsed.ok) throw new Error(parsed.error.message);
  const sphere = parsed.value;
  const params = testParams({ domains: [QUADRATIC_DOMAIN, sphere] });

  it("has its own genesis: the domain's champion starts at its initial value, and the rules are in the digest", () => {
    const g = genesisBlock(params);
    expect(g.state.champions.get("sphere")).toMatchObject({ performance: -100n * FIXED_ONE, optimae: null });
    expect(g.block.hash).not.toBe(genesisBlock(testParams()).block.hash);
    const stricter = testParams({ domains: [QUADRATIC_DOMAIN, { ...sphere, epsilon: 2_000n }] });
    expect(genesisBlock(stricter).block.hash).not.toBe(g.block.hash);
  });

  it("takes optimae for it through the same rules: verified, accepted, champion", async () => {
    const d = new ChainDriver(params);
    const [V0] = VALIDATORS as [TestKey];
    const x = { x: [1_500_000, -2_000_000, 400_000] };
    const id = await d.optimae({ optimizer: V0, params: x, reported: -10_000n, domain: "sphere", vote: () => -12_000n });
    expect(d.state.rounds.get(id)?.status).toBe("accepted");
    await d.produce([d.accept(V0, id)]);
    expect(d.state.champions.get("sphere")).toMatchObject({ optimizer: V0.address, performance: -12_000n });
    // the quadratic domain is untouched
    expect(d.state.champions.get("quadratic")?.optimae).toBeNull();
    // and a commit for a domain the network does not have is refused
    const stray = d.tx(V0, "commit", { domain: "mnist", commitment: computeCommitment({ domain: "mnist", params: x, salt: "ab".repeat(16), reported: 1n, optimizer: V0.pub }) });
    await expect(d.produce([stray])).rejects.toThrow(/UNKNOWN_DOMAIN/);
  });
});
