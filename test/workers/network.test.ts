import { env } from "cloudflare:test";
import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { blockToWire, sealBlock } from "../../core/block.ts";
import { createMessage } from "../../core/envelope.ts";
import { genesisBlock } from "../../core/genesis.ts";
import { publicKeyFromSecret, secretFromSeedPhrase } from "../../core/keys.ts";
import { buildBlock } from "../../core/state-transition.ts";
import { createTx, txToWire } from "../../core/tx.ts";
import type { JsonValue } from "../../core/types.ts";
import { paramsFor } from "../../core/params.ts";
import { WORKERS_VALIDATORS, type ValidatorKey } from "../support/workers-network.ts";

const params = paramsFor("doin-devnet", WORKERS_VALIDATORS.map((k) => k.pub));
const peer = secretFromSeedPhrase("network-test-peer");
const attacker = secretFromSeedPhrase("network-test-attacker");

async function p2p(body: unknown): Promise<Response> {
  return exports.default.fetch("http://node/p2p", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
}
const msg = (kind: "tx" | "block" | "ping", payload: unknown, secret = peer, over: Partial<{ network: string; nowMs: number; hops: number }> = {}) =>
  createMessage(kind, payload as JsonValue, { secret, network: over.network ?? params.network, nowMs: over.nowMs ?? Date.now(), hops: over.hops ?? 0 });

describe("p2p ingress", () => {
  it("checks size, network, hops, time and signature before anything is stored", async () => {
    const tx = txToWire(createTx("commit", { domain: "quadratic", commitment: "77".repeat(32) }, { secret: (WORKERS_VALIDATORS[2] as ValidatorKey).secret, nonce: 1, network: params.network }));
    const mempool = env.MEMPOOL.get(env.MEMPOOL.idFromName("mempool"));
    const before = await mempool.size();
    const good = msg("tx", tx);
    const cases: [unknown, number, string][] = [
      [{ ...good, envelope: { ...good.envelope, sig: "00".repeat(64) } }, 403, "BAD_SIGNATURE"],
      [msg("tx", tx, peer, { network: "elsewhere" }), 400, "WRONG_NETWORK"],
      [msg("tx", tx, peer, { hops: 9 }), 413, "TOO_LARGE"],
      [msg("tx", tx, peer, { nowMs: Date.now() - 3_600_000 }), 422, "BAD_TIMESTAMP"],
      [{ envelope: good.envelope, payload: { other: 1 } }, 400, "BAD_ID"],
      [{ envelope: good.envelope }, 400, "MALFORMED"],
    ];
    for (const [body, status, code] of cases) {
      const r = await p2p(body);
      expect(r.status, code).toBe(status);
      expect(await r.json()).toMatchObject({ code });
    }
    expect(await mempool.size()).toBe(before);
    const big = await exports.default.fetch("http://node/p2p", { method: "POST", headers: { "content-type": "application/json" }, body: `{"pad":"${"x".repeat(5 * 1024 * 1024)}"}` });
    expect(big.status).toBe(413);

    const ok = await p2p(good);
    expect(ok.status).toBe(202);
    expect(await ok.json()).toMatchObject({ duplicate: false, accepted: true });
    expect(await mempool.size()).toBe(before + 1);
    const again = await p2p(msg("tx", tx));
    expect(await again.json()).toMatchObject({ duplicate: true });
  });

  it("a sender of invalid blocks is scored down, then banned, and its messages are dropped", async () => {
    const g = genesisBlock(params).state;
    // a block by a key that may not produce (buildBlock refuses it: the attacker seals the header itself)
    const built = buildBlock(g, [], params, { producerSecret: (WORKERS_VALIDATORS[0] as ValidatorKey).secret, timestamp: g.tipTimestamp + 10 * params.carrierIntervalMs });
    if (!built.ok) throw new Error(built.error.message);
    const chain = env.CHAIN.get(env.CHAIN.idFromName("chain"));
    const tip = (await chain.status()).tip;
    for (let i = 0; i < 3; i++) {
      // a valid envelope around a block with a forged state root (a different one each time)
      const forged = sealBlock({ ...built.value.block.header, producer: publicKeyFromSecret(attacker), stateRoot: String(i).padStart(64, "a") }, [], [], attacker);
      const r = await p2p(msg("block", blockToWire(forged), attacker));
      expect(r.status).toBe(202);
      expect(await r.json()).toMatchObject({ accepted: false, code: "NOT_A_PRODUCER" });
    }
    const banned = await p2p(msg("ping", { n: 1 }, attacker));
    expect(banned.status).toBe(401);
    expect(await banned.json()).toMatchObject({ code: "UNAUTHORIZED" });
    expect((await chain.status()).tip).toBe(tip);
    const network = env.NETWORK.get(env.NETWORK.idFromName("network"));
    const senders = await network.senders();
    expect(senders.find((s) => s.bannedUntil !== null)).toBeDefined();
    // an honest peer is unaffected
    expect((await p2p(msg("ping", { n: 2 }))).status).toBe(202);
  });
});
