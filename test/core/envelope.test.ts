import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { canonicalJson } from "../../core/encoding.ts";
import { checkMessage, createMessage, payloadHash, signingHash, verifyMessageSignature, type Envelope, type EnvelopeKind, type Message } from "../../core/envelope.ts";
import { bytesToHex } from "../../core/hex.ts";
import { secretFromSeedPhrase } from "../../core/keys.ts";
import type { JsonValue } from "../../core/types.ts";
import { asArray, asObject, expectKeys, int, loadVectors, str } from "./helpers/vectors.ts";

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

describe("envelope.json vectors (computed in Python: hashlib + RFC 8032 reference code)", () => {
  const vectors = loadVectors("envelope");

  it("createMessage reproduces every vector byte for byte, and checkMessage and the signature accept it", async () => {
    expect(vectors.length).toBeGreaterThanOrEqual(6);
    for (const v of vectors) {
      const name = str(v["name"], "name");
      expectKeys(v, ["name", "seed_phrase", "secret", "payload", "payload_canonical", "signing_hash", "message", "tampered"], [], name);
      const secret = secretFromSeedPhrase(str(v["seed_phrase"], name));
      expect(bytesToHex(secret), name).toBe(str(v["secret"], name));
      const message = asObject(v["message"], name);
      const e = asObject(message["envelope"], name);
      expectKeys(e, ["network", "kind", "sender", "payloadHash", "timestamp", "hops", "sig"], [], name);
      const payload = v["payload"] as JsonValue;
      expect(canonicalJson({ payload }), name).toBe(str(v["payload_canonical"], name));
      expect(payloadHash(payload), name).toBe(str(e["payloadHash"], name));
      const made = createMessage(str(e["kind"], name) as EnvelopeKind, payload, {
        secret,
        network: str(e["network"], name),
        nowMs: int(e["timestamp"], name),
        hops: int(e["hops"], name),
      });
      expect(made, name).toEqual(message);
      const { sig: _sig, ...unsigned } = made.envelope;
      expect(signingHash(unsigned), name).toBe(str(v["signing_hash"], name));
      const limits = { network: made.envelope.network, nowMs: made.envelope.timestamp, maxSkewMs: 0, maxBytes: 1 << 20, maxHops: 6 };
      expect(checkMessage(message, limits), name).toEqual({ ok: true, value: message });
      expect(await verifyMessageSignature(made.envelope), name).toBe(true);
    }
  });

  it("every tampered field breaks the signature", async () => {
    let n = 0;
    for (const v of vectors) {
      const envelope = asObject(asObject(v["message"], "message")["envelope"], "envelope") as unknown as Envelope;
      for (const t of asArray(v["tampered"], "tampered")) {
        expect(await verifyMessageSignature({ ...envelope, ...(asObject(t, "tampered") as object) }), JSON.stringify(t)).toBe(false);
        n++;
      }
    }
    expect(n).toBe(vectors.length * 5);
  });
});
