import { describe, expect, it } from "vitest";
import { FIXED_ONE } from "../../core/params.ts";
import { decodeState, encodeState } from "../../core/state-codec.ts";
import { computeStateRoot } from "../../core/state-root.ts";
import { ChainDriver, VALIDATORS, type TestKey } from "./helpers/chain.ts";

describe("state codec", () => {
  it("round-trips every part of a state exactly", async () => {
    const d = new ChainDriver();
    const V0 = VALIDATORS[0] as TestKey;
    const id = await d.optimae({ optimizer: V0, params: { x: [1, 2] }, reported: -70n * FIXED_ONE, vote: () => -70n * FIXED_ONE });
    const open = await d.optimae({ optimizer: VALIDATORS[1] as TestKey, params: { x: [3] }, reported: -90n * FIXED_ONE, vote: () => null });
    await d.produce([d.accept(V0, id)]);
    const s = d.state;
    expect(s.rounds.get(open)?.status).toBe("voting");
    const back = decodeState(encodeState(s));
    expect(back).toEqual(s);
    expect(computeStateRoot(back)).toBe(computeStateRoot(s));
    expect(encodeState(back)).toBe(encodeState(s));
  });
});
