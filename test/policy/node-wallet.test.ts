/** The node's own transactions (durable-objects/node-wallet.ts) against a pool kept in memory. */
import { describe, expect, it } from "vitest";
import { hexToBytes } from "../../core/hex.ts";
import { addressFromPublicKey, publicKeyFromSecret, verifySignature } from "../../core/keys.ts";
import { txToWire } from "../../core/tx.ts";
import type { Tx } from "../../core/types.ts";
import { NodeWallet, OWN_STUCK_MS, type OwnPending, type WalletHost } from "../../durable-objects/node-wallet.ts";
import { failure, success } from "../../durable-objects/rpc.ts";

const SECRET = hexToBytes("07".repeat(32));
const ADDRESS = addressFromPublicKey(publicKeyFromSecret(SECRET));

class Pool implements WalletHost {
  readonly txs: (OwnPending & { tx: Tx })[] = [];
  applied = 0;
  refuse: string | null = null;
  ownPending(): OwnPending[] {
    return [...this.txs].sort((a, b) => a.nonce - b.nonce);
  }
  async chainNonce(): Promise<number> {
    await Promise.resolve(); // an RPC: other calls may run meanwhile
    return this.applied;
  }
  remove(ids: readonly string[]): void {
    for (const id of ids)
      this.txs.splice(
        this.txs.findIndex((t) => t.id === id),
        1,
      );
  }
  async addOwn(tx: Tx) {
    if (this.refuse !== null) return failure("INSUFFICIENT_BALANCE", this.refuse);
    this.txs.push({ id: tx.id, nonce: tx.nonce, wire: JSON.stringify(txToWire(tx)), received_at: 0, fee: tx.fee.toString(), tx });
    return success({ id: tx.id, status: "pending" as const, replaced: null, evicted: [] });
  }
}

const wallet = (pool: Pool) => new NodeWallet({ secret: SECRET, address: ADDRESS, network: "doin-devnet" }, pool);

describe("NodeWallet", () => {
  it("signs with the node key and hands out contiguous nonces to concurrent calls", async () => {
    const pool = new Pool();
    pool.applied = 4;
    const w = wallet(pool);
    const sent = await Promise.all([1, 2, 3].map((i) => w.submit("transfer", { to: "ab".repeat(20), amount: String(i) })));
    expect(sent.every((s) => s.ok)).toBe(true);
    expect(pool.ownPending().map((t) => t.nonce)).toEqual([5, 6, 7]);
    for (const t of pool.txs) expect(await verifySignature(t.tx.from, hexToBytes(t.tx.id), t.tx.sig)).toBe(true);
    expect(pool.txs[0]?.tx.kind).toBe("transfer");
  });

  it("fills a gap left by a refused or evicted own tx", async () => {
    const pool = new Pool();
    const w = wallet(pool);
    await w.submit("transfer", { to: "ab".repeat(20), amount: "1" });
    await w.submit("transfer", { to: "ab".repeat(20), amount: "2" });
    await w.submit("transfer", { to: "ab".repeat(20), amount: "3" });
    pool.remove([pool.ownPending()[1]!.id]);
    await w.submit("transfer", { to: "ab".repeat(20), amount: "4" });
    expect(pool.ownPending().map((t) => t.nonce)).toEqual([1, 2, 3]);
  });

  it("refuses what cannot be signed, and passes the pool's refusal on", async () => {
    const pool = new Pool();
    const w = wallet(pool);
    expect(await w.submit("nonsense" as never, {})).toMatchObject({ ok: false, code: "MALFORMED" });
    expect(await w.submit("transfer", { to: "ab".repeat(20), amount: "1.5" })).toMatchObject({ ok: false, code: "MALFORMED" });
    pool.refuse = "no coin";
    expect(await w.submit("transfer", { to: "ab".repeat(20), amount: "1" })).toMatchObject({ ok: false, code: "INSUFFICIENT_BALANCE" });
  });

  it("repairs: a gap below re-signs everything from the chain's next nonce; a stuck next one is dropped", async () => {
    const pool = new Pool();
    const w = wallet(pool);
    for (const a of ["1", "2", "3"]) await w.submit("transfer", { to: "ab".repeat(20), amount: a });
    // the chain moved past nothing, but nonce 1 vanished: 2 and 3 come back as 1 and 2
    pool.remove([pool.ownPending()[0]!.id]);
    await w.repair(0);
    expect(pool.txs.map((t) => [t.nonce, (t.tx.body as { amount: bigint }).amount])).toEqual([
      [1, 2n],
      [2, 3n],
    ]);
    // nothing to do while the next one is fresh
    const before = pool.ownPending().map((t) => t.id);
    await w.repair(OWN_STUCK_MS);
    expect(pool.ownPending().map((t) => t.id)).toEqual(before);
    // stuck longer than OWN_STUCK_MS: dropped, the rest re-signed
    await w.repair(OWN_STUCK_MS + 1);
    expect(pool.txs.map((t) => [t.nonce, (t.tx.body as { amount: bigint }).amount])).toEqual([[1, 3n]]);
  });
});
