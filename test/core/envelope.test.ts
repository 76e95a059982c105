import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { checkMessage, createMessage, payloadHash, verifyMessageSignature, type Message } from "../../core/envelope.ts";
import { secretFromSeedPhrase } from "../../core/keys.ts";

const secret = secretFromSeedPhrase("envelope-test");
const limits = { network: "doin-test", nowMs: 1_800_000_000_000, maxSkewMs: 60_000, maxBytes: 10_000, maxHops: 6 };
const make = (payload = { tx: "abc", n: 1 } as Record<string, unknown>, hops = 0): Message =>
  createMessage("tx", payload as never, { secret, network: "doin-test", nowMs: limits.nowMs, hops });
const code = (v: unknown, l = limits) => {
  const r = checkMessage(v, l);
  return r.ok ? "ok" : r.error.code;
};

describe("signed envelopes", () => {
  it("a fresh message passes every check and its signature verifies", async () => {
    const m = make();
    expect(code(JSON.parse(JSON.stringify(m)))).toBe("ok");
    expect(await verifyMessageSignature(m.envelope)).toBe(true);
    expect(m.envelope.payloadHash).toBe(payloadHash(m.payload));
  });

  it("refuses each kind of bad message with a named code", async () => {
    const m = make();
    expect(code({ ...m, extra: 1 })).toBe("MALFORMED");
    expect(code({ envelope: { ...m.envelope, kind: "gossip" }, payload: m.payload })).toBe("MALFORMED");
    expect(code(m, { ...limits, network: "other" })).toBe("WRONG_NETWORK");
    expect(code(m, { ...limits, maxBytes: 100 })).toBe("TOO_LARGE");
    expect(code(make(undefined, 7))).toBe("TOO_LARGE");
    expect(code(m, { ...limits, nowMs: limits.nowMs + 120_000 })).toBe("BAD_TIMESTAMP");
    expect(code({ envelope: m.envelope, payload: { tx: "abd", n: 1 } })).toBe("BAD_ID");
    expect(code({ envelope: m.envelope, payload: { x: 0.5 } })).toBe("NON_CANONICAL");
    // a relay cannot change the hop count, the timestamp or the sender without the key
    expect(await verifyMessageSignature({ ...m.envelope, hops: 1 })).toBe(false);
    expect(await verifyMessageSignature({ ...m.envelope, timestamp: m.envelope.timestamp + 1 })).toBe(false);
    const other = createMessage("tx", m.payload, { secret: secretFromSeedPhrase("other"), network: "doin-test", nowMs: limits.nowMs });
    expect(await verifyMessageSignature({ ...m.envelope, sender: other.envelope.sender })).toBe(false);
  });

  it("any single-character change of the signed fields breaks the signature", async () => {
    const m = make();
    await fc.assert(
      fc.asyncProperty(fc.nat(127), async (i) => {
        const c = m.envelope.sig[i] === "0" ? "1" : "0";
        const sig = m.envelope.sig.slice(0, i) + c + m.envelope.sig.slice(i + 1);
        expect(await verifyMessageSignature({ ...m.envelope, sig })).toBe(false);
      }),
      { numRuns: 40, seed: 5 },
    );
  });
});
