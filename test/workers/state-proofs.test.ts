/**
 * The ChainDO's states as the state tree: account proofs a light client
 * checks against a block header alone, snapshots a joining node checks part
 * by part against the snapshot block's root, per-block storage that grows
 * with what a block changed (not with the state), and all of it back the
 * same after a restart.
 */
import { env, evictDurableObject, runInDurableObject } from "cloudflare:test";
import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { blockHash, blockToWire, parseHeader } from "../../core/block.ts";
import { genesisBlock } from "../../core/genesis.ts";
import { parseTreeProof, parseWireAccount, verifyAccountProof } from "../../core/state-proof.ts";
import { stateFromLeaves, stateRoot } from "../../core/state-root.ts";
import { buildBlock } from "../../core/state-transition.ts";
import { treeSize } from "../../core/state-tree.ts";
import { createTx } from "../../core/tx.ts";
import type { Block, ChainParams, ChainState } from "../../core/types.ts";
import type { ChainDO } from "../../durable-objects/chain.ts";
import { checkManifest, checkPart } from "../../durable-objects/snapshot-sync.ts";
import { FINAL_STATES_HELD } from "../../durable-objects/state-store.ts";
import { paramsFor } from "../../core/params.ts";
import { scheduledKey, WORKERS_VALIDATORS, type ValidatorKey } from "../support/workers-network.ts";

const params: ChainParams = paramsFor(
  "doin-devnet",
  WORKERS_VALIDATORS.map((k) => k.pub),
);
const SENDER = WORKERS_VALIDATORS[1] as ValidatorKey;
const chain = () => env.CHAIN.get(env.CHAIN.idFromName("chain"));
const recipientOf = (i: number): string => (i + 1).toString(16).padStart(40, "a");
const recipients = Array.from({ length: 12 }, (_, i) => recipientOf(i));

/** `count` blocks, each paying one new account (and the sender's nonce moving every block). */
function buildChain(count: number): { blocks: Block[]; states: ChainState[] } {
  let state = genesisBlock(params).state;
  const blocks: Block[] = [];
  const states: ChainState[] = [state];
  let t = state.tipTimestamp;
  for (let i = 0; i < count; i++) {
    t += params.carrierIntervalMs;
    const tx = createTx("transfer", { to: recipientOf(i), amount: BigInt(1_000 + i) }, { secret: SENDER.secret, nonce: i + 1, network: params.network, fee: 1n });
    const b = buildBlock(state, [tx], params, { producerSecret: scheduledKey(state, params).secret, timestamp: t });
    if (!b.ok) throw new Error(b.error.message);
    state = b.value.state;
    blocks.push(b.value.block);
    states.push(state);
  }
  return { blocks, states };
}

const { blocks, states } = buildChain(recipients.length);

async function get(path: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await exports.default.fetch(`http://node${path}`);
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

interface ProofAnswer {
  address: string;
  balance: string;
  nonce: number;
  proof: { height: number; block: string; finalized: boolean; header: unknown; account: unknown; siblings: string[]; leaf: unknown };
}

/** What a light client does with an answer: the header must be the block it trusts, then the proof must hold against its root. */
function lightClientCheck(a: ProofAnswer, trustedHash: string): boolean {
  const header = parseHeader(a.proof.header);
  if (!header.ok || blockHash(header.value) !== trustedHash) return false;
  const proof = parseTreeProof({ siblings: a.proof.siblings, leaf: a.proof.leaf });
  if (!proof.ok) return false;
  const account = a.proof.account === null ? null : parseWireAccount(a.address, a.proof.account);
  if (account !== null && !account.ok) return false;
  return verifyAccountProof(header.value.stateRoot, a.address, account === null ? null : account.value, proof.value);
}

describe("account proofs, snapshots and state storage", () => {
  it("serves an account with its proof against the finalized block's state root; a light client checks it from the header alone", async () => {
    const r = await exports.default.fetch("http://node/chain/blocks/batch", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ blocks: blocks.map(blockToWire) }),
    });
    expect(r.status).toBe(202);
    const status = await chain().status();
    expect(status.height).toBe(12);
    expect(status.finalizedHeight).toBe(12 - params.finalityDepth);
    expect(status.historyFrom).toBe(0);
    const fin = status.finalizedHeight;
    const finalHash = blocks[fin - 1]?.hash as string;

    // present: a recipient paid before the finalized block
    const paid = await get(`/chain/account/${recipients[2]}?proof=1`);
    expect(paid.status).toBe(200);
    const a = paid.body as unknown as ProofAnswer;
    expect(a.proof).toMatchObject({ height: fin, block: finalHash, finalized: true });
    expect(a.balance).toBe("1002");
    expect(lightClientCheck(a, finalHash)).toBe(true);
    // the same proof with another balance, or against another block, does not hold
    expect(lightClientCheck({ ...a, proof: { ...a.proof, account: { ...(a.proof.account as object), balance: "1003" } } }, finalHash)).toBe(false);
    expect(lightClientCheck(a, blocks[fin]?.hash as string)).toBe(false);

    // absent: paid only after the finalized block, and one never paid
    for (const who of [recipients[10] as string, "9".repeat(40)]) {
      const none = await get(`/chain/account/${who}?proof=1`);
      expect(none.status).toBe(200);
      const n = none.body as unknown as ProofAnswer;
      expect(n.proof.account).toBeNull();
      expect(n.balance).toBe("0");
      expect(lightClientCheck(n, finalHash)).toBe(true);
    }
  });

  it("proves against any held block up to the head and recent finalized ones; bad queries are 4xx", async () => {
    const head = await get(`/chain/account/${SENDER.address}?proof=1&height=12`);
    expect(head.status).toBe(200);
    const h = head.body as unknown as ProofAnswer;
    expect(h.proof.finalized).toBe(false);
    expect(h.nonce).toBe(12);
    expect(lightClientCheck(h, blocks[11]?.hash as string)).toBe(true);
    // the sender changed every block: its head proof does not hold at the finalized block
    const atFinal = stateRoot(states[6] as ChainState);
    const proof = parseTreeProof({ siblings: h.proof.siblings, leaf: h.proof.leaf });
    const acct = parseWireAccount(SENDER.address, h.proof.account);
    expect(proof.ok && acct.ok && verifyAccountProof(atFinal, SENDER.address, acct.value, proof.value)).toBe(false);

    // below the finalized block: still served, for a light client that read a header before finality moved on
    const earlier = await get(`/chain/account/${SENDER.address}?proof=1&height=3`);
    expect(earlier.status).toBe(200);
    const e = earlier.body as unknown as ProofAnswer;
    expect(e.proof).toMatchObject({ height: 3, block: blocks[2]?.hash, finalized: true });
    expect(e.nonce).toBe(3);
    expect(lightClientCheck(e, blocks[2]?.hash as string)).toBe(true);
    const ahead = await get(`/chain/account/${SENDER.address}?proof=1&height=99`);
    expect(ahead.status).toBe(404);
    expect(ahead.body.code).toBe("NOT_FOUND");
    for (const q of ["height=5", "proof=2", "proof=1&height=-1", "proof=1&height=x"]) {
      const bad = await get(`/chain/account/${SENDER.address}?${q}`);
      expect(bad.status, q).toBe(400);
      expect(typeof bad.body.code).toBe("string");
    }
    // without proof: as before, at the head
    const plain = await get(`/chain/account/${SENDER.address}`);
    expect(plain.body).toMatchObject({ nonce: 12 });
    expect(plain.body.proof).toBeUndefined();
  });

  it("stores per block only the leaves it changed, and the finalized state once", async () => {
    const counts = await runInDurableObject(chain(), (_: ChainDO, state: DurableObjectState) => {
      const sql = state.storage.sql;
      const perBlock = sql.exec<{ block: string; n: number }>(`SELECT block, COUNT(*) AS n FROM state_diffs GROUP BY block`).toArray();
      const leaves = sql.exec<{ n: number }>(`SELECT COUNT(*) AS n FROM state_leaves`).one().n;
      return { perBlock, leaves };
    });
    // the blocks above the finalized one; each: meta, sender, recipient, producer, recent beacon (+ the one it drops)
    expect(counts.perBlock).toHaveLength(params.finalityDepth);
    for (const b of counts.perBlock) expect(b.n).toBeLessThanOrEqual(7);
    expect(counts.leaves).toBe(treeSize((states[6] as ChainState).tree));
  });

  it("offers a snapshot whose parts a joining node verifies against the block's root; the same after a restart", async () => {
    const before = await get("/chain/snapshot");
    expect(before.status).toBe(200);
    // a node that started at genesis offers genesis until SNAPSHOT_INTERVAL blocks are final; a restart offers the finalized state
    expect(before.body.height).toBe(0);
    await evictDurableObject(chain());
    const s = await chain().status();
    expect(s.height).toBe(12);
    const after = await get("/chain/snapshot");
    expect(after.body.height).toBe(6);
    const m = checkManifest(after.body, params, new Map());
    if (typeof m === "string") throw new Error(m);
    expect(m.block.hash).toBe(blocks[5]?.hash);
    const leaves = [];
    for (let i = 0; i < m.manifest.parts.length; i++) {
      const part = await get(`/chain/snapshot/6/${i}`);
      expect(part.status).toBe(200);
      const checked = checkPart(part.body.leaves, m.manifest, i);
      if (typeof checked === "string") throw new Error(checked);
      leaves.push(...checked);
    }
    const rebuilt = stateFromLeaves(leaves, m.block.hash) as ChainState;
    expect(stateRoot(rebuilt)).toBe(m.block.header.stateRoot);
    expect(rebuilt.accounts.get(recipients[3] as string)?.balance).toBe(1003n);
    // a part altered in transit is refused
    const one = await get(`/chain/snapshot/6/0`);
    const altered = (one.body.leaves as { space: string; value: Record<string, unknown> }[]).map((l) => (l.space === "account" ? { ...l, value: { ...l.value, balance: "1" } } : l));
    expect(typeof checkPart(altered, m.manifest, 0)).toBe("string");
    // what it does not hold
    expect((await get(`/chain/snapshot/5/0`)).status).toBe(404);
    expect((await get(`/chain/snapshot/6/${m.manifest.parts.length}`)).body.code).toBe("NO_SNAPSHOT");
    expect((await get(`/chain/snapshot/6/99999`)).status).toBe(400);
    // and its proofs are the same as before the restart; the finalized states below the base were in memory only
    const again = await get(`/chain/account/${recipients[2]}?proof=1`);
    expect(lightClientCheck(again.body as unknown as ProofAnswer, blocks[5]?.hash as string)).toBe(true);
    const pruned = await get(`/chain/account/${SENDER.address}?proof=1&height=3`);
    expect(pruned.status).toBe(404);
    expect(pruned.body).toMatchObject({ code: "STATE_PRUNED", message: expect.stringContaining("from height 6 to the head (12)") });
  });

  it("keeps the last FINAL_STATES_HELD finalized states below the finalized block for proofs, and no more", async () => {
    // another node's chain object, fed in batches so that finality moves many times
    const long = buildChain(params.finalityDepth + FINAL_STATES_HELD + 4);
    const other = env.CHAIN.get(env.CHAIN.idFromName("window"));
    for (let i = 0; i < long.blocks.length; i += 7) {
      const r = await other.submitBlocks(long.blocks.slice(i, i + 7).map(blockToWire));
      expect(r.ok && r.value.error).toBeNull();
    }
    const status = await other.status();
    const oldest = status.finalizedHeight - FINAL_STATES_HELD;
    expect(oldest).toBe(4);
    const kept = await other.accountProof(SENDER.address, oldest);
    if (!kept.ok) throw new Error(kept.message);
    expect(kept.value).toMatchObject({ nonce: oldest, proof: { height: oldest, block: long.blocks[oldest - 1]?.hash, finalized: true } });
    const answer = { ...kept.value, proof: { ...kept.value.proof } } as unknown as ProofAnswer;
    expect(lightClientCheck(answer, long.blocks[oldest - 1]?.hash as string)).toBe(true);
    const gone = await other.accountProof(SENDER.address, oldest - 1);
    expect(gone).toMatchObject({ ok: false, code: "STATE_PRUNED" });
  });
});
