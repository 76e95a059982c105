/** The peer handshake: a node signs a challenge with its URL, network and genesis; anything else is refused. */
import { describe, expect, it } from "vitest";
import { checkHandshake, signHandshake } from "../../core/handshake.ts";
import { publicKeyFromSecret, secretFromSeedPhrase } from "../../core/keys.ts";

const secret = secretFromSeedPhrase("handshake-node");
const fields = { network: "doin-devnet", genesis: "ab".repeat(32), url: "https://node.example.org", challenge: "cd".repeat(32), nowMs: 1_800_000_000_000 };
const expectation = { network: fields.network, genesis: fields.genesis, url: fields.url, challenge: fields.challenge, nowMs: fields.nowMs, maxSkewMs: 120_000 };

describe("handshake", () => {
  it("a node's answer to the asker's challenge checks out, naming its key", async () => {
    const h = signHandshake(secret, fields);
    const r = await checkHandshake(JSON.parse(JSON.stringify(h)), expectation);
    expect(r.ok && r.value.node).toBe(publicKeyFromSecret(secret));
  });

  it("refuses another network, genesis, URL, challenge, a stale answer, a forged signature and junk", async () => {
    const h = signHandshake(secret, fields);
    const cases: [unknown, string][] = [
      [signHandshake(secret, { ...fields, network: "doin-other" }), "WRONG_NETWORK"],
      [signHandshake(secret, { ...fields, genesis: "00".repeat(32) }), "WRONG_NETWORK"],
      [signHandshake(secret, { ...fields, url: "https://elsewhere.example.org" }), "MALFORMED"],
      [signHandshake(secret, { ...fields, challenge: "ee".repeat(32) }), "MALFORMED"],
      [signHandshake(secret, { ...fields, nowMs: fields.nowMs - 600_000 }), "BAD_TIMESTAMP"],
      [{ ...h, node: publicKeyFromSecret(secretFromSeedPhrase("someone else")) }, "BAD_SIGNATURE"],
      [{ ...h, sig: "00".repeat(64) }, "BAD_SIGNATURE"],
      [{ ...h, extra: 1 }, "MALFORMED"],
      [null, "MALFORMED"],
      [{ ...h, url: "x".repeat(500) }, "MALFORMED"],
    ];
    for (const [value, code] of cases) {
      const r = await checkHandshake(value, expectation);
      expect(r.ok ? "ok" : r.error.code, JSON.stringify(value)?.slice(0, 80)).toBe(code);
    }
  });
});
