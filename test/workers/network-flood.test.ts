// NetworkDO beyond ingress: relaying, the flood outbox and its queue consumer,
// liveness, bans seen from the peers' side, peer exchange.
//
// No second node runs inside workerd, so outbound fetch is replaced by a fake
// that serves a few peer origins (http://<name>.test). One of them forwards
// its POST /p2p into this same Worker (exports.default), so the path
// outbox → flood queue → consumer → POST /p2p → NetworkDO.receive runs for
// real end to end; the others record what they were sent.
import { env, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { exports } from "cloudflare:workers";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { blockToWire, sealBlock } from "../../core/block.ts";
import { checkMessage, createMessage, payloadHash, verifyMessageSignature, type EnvelopeKind, type Message } from "../../core/envelope.ts";
import { genesisBlock } from "../../core/genesis.ts";
import { signHandshake } from "../../core/handshake.ts";
import { hexToBytes } from "../../core/hex.ts";
import { publicKeyFromSecret, secretFromSeedPhrase } from "../../core/keys.ts";
import { buildBlock } from "../../core/state-transition.ts";
import { createTx, txToWire } from "../../core/tx.ts";
import type { JsonValue } from "../../core/types.ts";
import type { NetworkDO } from "../../durable-objects/network.ts";
import { paramsFor } from "../../core/params.ts";
import { scheduledKey, WORKERS_VALIDATORS } from "../support/workers-network.ts";
import { handleFloodBatch } from "../../workers/flood.ts";
import { untilTrue } from "../support/until.ts";
import { message, runConsumer } from "./queue-consumer.ts";

const params = paramsFor("doin-devnet", WORKERS_VALIDATORS.map((k) => k.pub));
/** The node's identity in the Workers tests (vitest.config.ts). */
const NODE_SECRET = hexToBytes("11".repeat(32));
const NODE_KEY = publicKeyFromSecret(NODE_SECRET);
const network = env.NETWORK.get(env.NETWORK.idFromName("network"));
const chain = env.CHAIN.get(env.CHAIN.idFromName("chain"));
const mempool = env.MEMPOOL.get(env.MEMPOOL.idFromName("mempool"));

// ---------------------------------------------------------------------------
// fake peers behind a fake fetch

interface FakePeer {
  readonly url: string;
  readonly secret: Uint8Array;
  readonly key: string;
  down: boolean;
  /** forward POST /p2p into this Worker instead of answering 202 itself */
  readonly viaSelf: boolean;
  readonly got: Message[];
  readonly answers: number[];
}
const fakes = new Map<string, FakePeer>();
function fakePeer(name: string, opts: { viaSelf?: boolean; down?: boolean } = {}): FakePeer {
  const secret = secretFromSeedPhrase(`flood-test-${name}`);
  const p: FakePeer = { url: `http://${name}.test`, secret, key: publicKeyFromSecret(secret), down: opts.down ?? false, viaSelf: opts.viaSelf ?? false, got: [], answers: [] };
  fakes.set(p.url, p);
  return p;
}

async function fakeFetch(input: RequestInfo | URL, init?: RequestInit): Promise<Response> {
  const req = new Request(input, init);
  const url = new URL(req.url);
  const peer = fakes.get(url.origin);
  if (peer === undefined || peer.down) throw new TypeError(`connection refused: ${url.origin}`);
  if (url.pathname === "/health") return Response.json({ ok: true, network: params.network, node: peer.key });
  if (url.pathname === "/p2p/handshake") {
    const challenge = url.searchParams.get("challenge") ?? "";
    return Response.json(signHandshake(peer.secret, { network: params.network, genesis: genesisBlock(params).block.hash, url: peer.url, challenge, nowMs: Date.now() }));
  }
  if (url.pathname === "/chain/status") return exports.default.fetch("http://node/chain/status"); // the same chain: never ahead
  if (url.pathname === "/p2p" && req.method === "POST") {
    const text = await req.text();
    peer.got.push(JSON.parse(text) as Message);
    if (peer.viaSelf) {
      const r = await exports.default.fetch("http://node/p2p", { method: "POST", headers: { "content-type": "application/json" }, body: text });
      peer.answers.push(r.status);
      return r;
    }
    peer.answers.push(202);
    return Response.json({ duplicate: false, accepted: true, code: null }, { status: 202 });
  }
  return new Response("not found", { status: 404 });
}

const A = fakePeer("peer-a");
const B = fakePeer("peer-b", { viaSelf: true });
const C = fakePeer("peer-c");
const D = fakePeer("peer-d");

// ---------------------------------------------------------------------------
// helpers

type OutRow = { id: number; url: string; body: string; attempts: number; next_at: number };
const outbox = () => runInDurableObject(network, (_: NetworkDO, state: DurableObjectState) => state.storage.sql.exec<OutRow>(`SELECT id, url, body, attempts, next_at FROM outgoing ORDER BY id`).toArray());
const rowsFor = async (hash: string) => (await outbox()).filter((r) => (JSON.parse(r.body) as Message).envelope.payloadHash === hash);
const sql = (query: string, ...args: SqlStorageValue[]) => runInDurableObject(network, (_: NetworkDO, state: DurableObjectState) => void state.storage.sql.exec(query, ...args).toArray());
/** The NetworkDO's own alarm is stopped while a test looks at its outbox; tests that need it run it by hand. */
const stopAlarm = () => runInDurableObject(network, async (_: NetworkDO, state: DurableObjectState) => state.storage.deleteAlarm());
const sentTo = (p: FakePeer, hash: string) => p.got.filter((m) => m.envelope.payloadHash === hash);

const until = (what: () => Promise<boolean> | boolean) => untilTrue("the flood to land", what, { timeoutMs: 15_000, everyMs: 50 });

async function p2p(body: unknown): Promise<Response> {
  return exports.default.fetch("http://node/p2p", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
}
const msg = (kind: EnvelopeKind, payload: unknown, secret: Uint8Array, hops = 0) => createMessage(kind, payload as JsonValue, { secret, network: params.network, nowMs: Date.now(), hops });

/** What a node must find in a message this node sent: its own valid signature over a fresh envelope. */
async function expectOurs(m: Message, kind: EnvelopeKind, hops: number): Promise<void> {
  const checked = checkMessage(m, { network: params.network, nowMs: Date.now(), maxSkewMs: 120_000, maxBytes: 4 * 1024 * 1024, maxHops: 6 });
  expect(checked.ok).toBe(true);
  expect(m.envelope).toMatchObject({ kind, hops, sender: NODE_KEY });
  expect(await verifyMessageSignature(m.envelope)).toBe(true);
}

let txCounter = 0;
/** A transaction any fresh key can send (a vote costs only its fee, here 0): the mempool admits it. */
const tx = (who: string) =>
  txToWire(createTx("vote", { optimae: (++txCounter).toString(16).padStart(64, "c"), performance: 0n, dataHash: "00".repeat(32) }, { secret: secretFromSeedPhrase(`flood-tx-${who}`), nonce: 1, network: params.network }));

/** A block built on this network's genesis with core/ by the validator first in turn, as a peer would relay it. */
function blockOnGenesis(stateRoot?: string) {
  const g = genesisBlock(params).state;
  const producer = scheduledKey(g, params).secret;
  const built = buildBlock(g, [], params, { producerSecret: producer, timestamp: g.tipTimestamp + params.carrierIntervalMs });
  if (!built.ok) throw new Error(built.error.message);
  const b = built.value.block;
  return stateRoot === undefined ? b : sealBlock({ ...b.header, stateRoot }, [], [], producer);
}

// ---------------------------------------------------------------------------

/** Proposes URLs and runs their handshakes (a few per call) until none waits. */
async function learn(urls: readonly string[]): Promise<number> {
  const { queued } = await network.proposePeers(urls);
  while ((await network.candidates()).some((c) => c.state === "pending")) await network.verifyCandidates();
  return queued;
}

beforeAll(async () => {
  vi.spyOn(globalThis, "fetch").mockImplementation(fakeFetch);
  await stopAlarm();
  expect(await learn([A.url, B.url, C.url, D.url])).toBe(4);
  // liveness: each peer answers /chain/status; then D goes down
  expect((await network.syncNow()).ahead).toEqual([]);
  D.down = true;
  await network.syncNow();
});
afterAll(async () => {
  // nothing left for the queue or the alarm to send once the fake peers are gone
  await stopAlarm();
  await sql(`DELETE FROM outgoing`);
  await sql(`DELETE FROM peers`);
  vi.restoreAllMocks();
});

describe("liveness", () => {
  it("takes each peer's key from its signed handshake, marks it seen and scores it up; one that went down is scored down with its error", async () => {
    const peers = await network.peers();
    for (const p of [A, B, C]) expect(peers.find((x) => x.url === p.url)).toMatchObject({ publicKey: p.key, score: 2, lastError: null, bannedUntil: null, source: "exchange" });
    expect(peers.find((x) => x.url === A.url)?.lastSeen).toBeGreaterThan(0);
    expect(peers.find((x) => x.url === D.url)).toMatchObject({ publicKey: D.key, score: 0, lastError: expect.stringContaining("connection refused") });
    const res = await exports.default.fetch("http://node/peers");
    expect(((await res.json()) as { peers: unknown[] }).peers).toHaveLength(4);
  });
});

describe("relaying", () => {
  it("a block from a peer reaches the ChainDO, is relayed to the other peers with hops + 1 (not back to the sender), and a second copy is a duplicate", async () => {
    const block = blockOnGenesis();
    const wire = blockToWire(block);
    const r = await p2p(msg("block", wire, A.secret, 2));
    expect(r.status).toBe(202);
    expect(await r.json()).toEqual({ duplicate: false, accepted: true, code: null });
    expect((await chain.status()).tip).toBe(block.hash);
    expect(await chain.getBlockByHash(block.hash)).toEqual(wire);

    const hash = payloadHash(wire as JsonValue);
    // one outbox row per other peer (never the sender), deleted once delivered
    for (const row of await rowsFor(hash)) expect([B.url, C.url, D.url]).toContain(row.url);
    await until(() => sentTo(B, hash).length > 0 && sentTo(C, hash).length > 0);
    for (const p of [B, C]) await expectOurs(sentTo(p, hash)[0] as Message, "block", 3);
    expect(sentTo(B, hash)[0]?.payload).toEqual(wire);
    expect(sentTo(A, hash)).toEqual([]);
    // B forwarded it into this Worker: already seen here, so 202 and nothing new
    expect(B.answers).toContain(202);
    await until(async () => (await rowsFor(hash)).every((row) => row.url === D.url));

    const again = await p2p(msg("block", wire, C.secret));
    expect(await again.json()).toMatchObject({ duplicate: true });
    expect((await chain.status()).height).toBe(1);
  });

  it("a block whose parent is unknown is harmless: no penalty for its sender", async () => {
    const g = genesisBlock(params).state;
    const first = buildBlock(g, [], params, { producerSecret: scheduledKey(g, params).secret, timestamp: g.tipTimestamp + 10 * params.carrierIntervalMs });
    if (!first.ok) throw new Error(first.error.message);
    const second = buildBlock(first.value.state, [], params, { producerSecret: scheduledKey(first.value.state, params).secret, timestamp: g.tipTimestamp + 11 * params.carrierIntervalMs });
    if (!second.ok) throw new Error(second.error.message);
    const r = await p2p(msg("block", blockToWire(second.value.block), C.secret));
    expect(await r.json()).toEqual({ duplicate: false, accepted: false, code: "UNKNOWN_PARENT" });
    expect((await network.peers()).find((p) => p.url === C.url)?.score).toBeGreaterThanOrEqual(0);
    expect((await network.senders()).find((s) => s.publicKey === C.key)).toBeUndefined();
  });

  it("a relayed transaction that the chain state refuses (core/admission.ts) is not relayed, and not held against the relayer", async () => {
    const before = (await network.peers()).find((p) => p.url === C.url)?.score ?? 0;
    const stray = txToWire(createTx("commit", { domain: "mnist", commitment: "d".repeat(64) }, { secret: secretFromSeedPhrase("flood-tx-stray"), nonce: 1, network: params.network }));
    const r = await p2p(msg("tx", stray, C.secret, 1));
    expect(await r.json()).toEqual({ duplicate: false, accepted: false, code: "UNKNOWN_DOMAIN" });
    expect(await rowsFor(payloadHash(stray as JsonValue))).toEqual([]);
    expect((await network.peers()).find((p) => p.url === C.url)?.score).toBeGreaterThanOrEqual(before);
    expect((await network.senders()).find((x) => x.publicKey === C.key)?.score ?? 0).toBe(0);
  });

  it("a transaction from a peer reaches the mempool and is relayed; at the hop limit it is accepted but not relayed", async () => {
    const before = await mempool.size();
    const t1 = tx("relay");
    const r = await p2p(msg("tx", t1, B.secret, 0));
    expect(await r.json()).toEqual({ duplicate: false, accepted: true, code: null });
    const h1 = payloadHash(t1 as JsonValue);
    for (const row of await rowsFor(h1)) expect([A.url, C.url, D.url]).toContain(row.url);
    await until(() => sentTo(A, h1).length > 0 && sentTo(C, h1).length > 0);
    await until(async () => (await rowsFor(h1)).every((row) => row.url === D.url));
    expect(sentTo(B, h1)).toEqual([]); // never back to the sender
    await expectOurs(sentTo(A, h1)[0] as Message, "tx", 1);

    const t2 = tx("last-hop");
    const last = await p2p(msg("tx", t2, A.secret, 6));
    expect(await last.json()).toEqual({ duplicate: false, accepted: true, code: null });
    expect(await rowsFor(payloadHash(t2 as JsonValue))).toEqual([]);
    expect(await mempool.size()).toBeGreaterThanOrEqual(before + 1); // a block may already have taken some
  });
});

describe("the flood outbox and its queue consumer", () => {
  it("announce writes one row per peer and delivers it at once to every reachable peer (through a real Worker for B); the unreachable one's row waits for the queue", async () => {
    const payload = { announced: "by this node", n: 1 };
    const hash = payloadHash(payload);
    const sentAt = Date.now();
    expect(await network.announce("tx", payload)).toBe(4);
    for (const row of await rowsFor(hash)) expect([A.url, B.url, C.url, D.url]).toContain(row.url);
    await until(() => [A, B, C].every((p) => sentTo(p, hash).length > 0));
    // straight from the NetworkDO: well within the flood queue's delayed copy (12 s)
    expect(Date.now() - sentAt).toBeLessThan(5_000);
    for (const p of [A, B, C]) await expectOurs(sentTo(p, hash)[0] as Message, "tx", 0);
    // delivered rows are deleted; the unreachable peer's row stays for a retry
    await until(async () => (await rowsFor(hash)).length === 1);
    const [left] = await rowsFor(hash);
    expect(left?.url).toBe(D.url);
    // a second announce of the same payload is a no-op (the seen-set)
    expect(await network.announce("tx", payload)).toBe(0);
  });

  it("the consumer acks delivered rows, retries failed ones with backoff (the row stays), and acks poison and unknown ids", async () => {
    const old = createMessage("tx", { consumer: "test" }, { secret: NODE_SECRET, network: params.network, nowMs: Date.now(), hops: 1 });
    const body = JSON.stringify(old);
    await sql(`INSERT INTO outgoing (id, url, body, next_at) VALUES (9001, ?, ?, ?), (9002, ?, ?, ?)`, A.url, body, Date.now() + 60_000, D.url, body, Date.now() + 60_000);
    const result = await runConsumer(
      "doin-flood",
      [message("ok", { id: 9001 }), message("down", { id: 9002 }, 3), message("gone", { id: 123_456 }), message("poison", { hello: "world" })],
      (batch) => handleFloodBatch(batch, env),
    );
    const { delays } = result;
    expect(result.explicitAcks.sort()).toEqual(["gone", "ok", "poison"]);
    expect(result.retryMessages.map((m) => m.msgId)).toEqual(["down"]);
    expect(delays["down"]).toBe(8);
    const rows = (await outbox()).filter((r) => r.id === 9001 || r.id === 9002);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ id: 9002, attempts: 1 });
    expect(rows[0]?.next_at).toBeGreaterThan(Date.now());
    expect(A.got.some((m) => m.envelope.payloadHash === old.envelope.payloadHash)).toBe(true);
  });

  it("the alarm re-sends the rows a queue lost, and an envelope too old for the receivers is signed again", async () => {
    const stale = createMessage("block", { lost: "by the queue" }, { secret: NODE_SECRET, network: params.network, nowMs: Date.now() - 5 * 60_000, hops: 2 });
    await sql(`INSERT INTO outgoing (id, url, body, next_at) VALUES (9100, ?, ?, 0)`, C.url, JSON.stringify(stale));
    await runInDurableObject(network, async (_: NetworkDO, state: DurableObjectState) => state.storage.setAlarm(Date.now() + 60_000));
    expect(await runDurableObjectAlarm(network)).toBe(true);
    await stopAlarm();
    const [delivered] = sentTo(C, stale.envelope.payloadHash);
    expect(delivered).toBeDefined();
    await expectOurs(delivered as Message, "block", 2);
    expect(delivered?.envelope.timestamp).toBeGreaterThan(stale.envelope.timestamp);
    expect(delivered?.payload).toEqual(stale.payload);
    expect((await outbox()).find((r) => r.id === 9100)).toBeUndefined();
  });

  it("keeps at most 1000 rows per peer: a peer that stays down loses the oldest first", async () => {
    await sql(`DELETE FROM outgoing`);
    const body = JSON.stringify(createMessage("tx", { filler: true }, { secret: NODE_SECRET, network: params.network, nowMs: Date.now() }));
    await runInDurableObject(network, (_: NetworkDO, state: DurableObjectState) => {
      for (let i = 1; i <= 1000; i++) state.storage.sql.exec(`INSERT INTO outgoing (id, url, body, next_at) VALUES (?, ?, ?, ?)`, 20_000 + i, D.url, body, Date.now() + 600_000);
    });
    const payload = { capped: true };
    expect(await network.announce("tx", payload)).toBeGreaterThan(0);
    const rows = (await outbox()).filter((r) => r.url === D.url);
    expect(rows).toHaveLength(1000);
    expect(rows.some((r) => r.id === 20_001)).toBe(false);
    expect(rows.some((r) => (JSON.parse(r.body) as Message).envelope.payloadHash === payloadHash(payload))).toBe(true);
    await sql(`DELETE FROM outgoing WHERE url = ?`, D.url);
  });
});

describe("bans", () => {
  it("a peer that sends invalid blocks is banned in the peer table too: it gets no floods, and its messages are dropped before the signature check", async () => {
    const E = fakePeer("peer-e");
    expect(await learn([E.url])).toBe(1);
    expect((await network.peers()).find((p) => p.url === E.url)?.publicKey).toBe(E.key);
    for (let i = 0; i < 3; i++) {
      const r = await p2p(msg("block", blockToWire(blockOnGenesis(String(i).padStart(64, "e"))), E.secret));
      expect(await r.json()).toMatchObject({ accepted: false, code: "BAD_STATE_ROOT" });
    }
    const banned = (await network.peers()).find((p) => p.url === E.url);
    expect(banned?.bannedUntil).toBeGreaterThan(Date.now());
    expect(banned?.score).toBeLessThan(0);

    const payload = { after: "the ban" };
    await network.announce("tx", payload);
    expect((await rowsFor(payloadHash(payload))).map((r) => r.url)).not.toContain(E.url);

    const forged = msg("ping", { n: 1 }, E.secret);
    const r = await p2p({ ...forged, envelope: { ...forged.envelope, sig: "00".repeat(64) } });
    expect(r.status).toBe(401); // 401 (banned), not 403 (bad signature): no verification was done
  });
});

describe("peer exchange", () => {
  it("a peer list is only a list of candidates: public http(s) origins are handshaken, and only a node that answers becomes a peer", async () => {
    const before = (await network.peers()).map((p) => p.url);
    const F = fakePeer("peer-f");
    const junk = ["ftp://x.test", "http://a.test/path", "javascript:alert(1)", 5, null, `http://${"x".repeat(300)}.test`, "http://127.0.0.1:8787", "http://169.254.169.254", "http://[::1]:8787", "http://localhost:9", "http:// space.test", "https://fine.test:8443", F.url];
    const stranger = secretFromSeedPhrase("flood-test-stranger");
    const r = await p2p(msg("peers", junk, stranger, 6));
    expect(await r.json()).toMatchObject({ accepted: true });
    // queued, not peers: nothing is polled before its handshake
    expect((await network.candidates()).filter((c) => c.state === "pending").map((c) => c.url).sort()).toEqual([F.url, "https://fine.test:8443"]);
    expect((await network.peers()).map((p) => p.url)).toEqual(before);
    await learn([]);
    const after = await network.peers();
    expect(after.find((p) => p.url === F.url)).toMatchObject({ publicKey: F.key, source: "exchange" });
    expect(after.map((p) => p.url).sort()).toEqual([...before, F.url].sort());
    expect((await network.candidates()).find((c) => c.url === "https://fine.test:8443")).toMatchObject({ state: "refused", lastError: expect.stringContaining("connection refused") });
    // a list of nothing but refused URLs is answered as such, and not held against its sender
    const bad = await p2p(msg("peers", ["http://10.0.0.1", "http://192.168.1.1:8787", "http://[fe80::1]"], stranger, 6));
    expect(await bad.json()).toEqual({ duplicate: false, accepted: false, code: "PEER_URL_REFUSED" });
    expect((await network.senders()).find((x) => x.publicKey === publicKeyFromSecret(stranger))).toBeUndefined();
    // a refused candidate is not queued again while its refusal lasts
    expect((await network.proposePeers(["https://fine.test:8443"])).queued).toBe(0);
  });

  it("refuses a handshake that names another URL, network or genesis, or a key already at another URL", async () => {
    const liar = fakePeer("peer-liar");
    const copy = { ...fakePeer("peer-copy"), secret: A.secret, key: A.key };
    fakes.set(copy.url, copy);
    const realFetch = fakeFetch;
    vi.mocked(globalThis.fetch).mockImplementation(async (input, init) => {
      const u = new URL(new Request(input, init).url);
      if (u.origin === liar.url && u.pathname === "/p2p/handshake") {
        return Response.json(signHandshake(liar.secret, { network: params.network, genesis: "00".repeat(32), url: liar.url, challenge: u.searchParams.get("challenge") ?? "", nowMs: Date.now() }));
      }
      return realFetch(input, init);
    });
    try {
      await learn([liar.url, copy.url]);
    } finally {
      vi.mocked(globalThis.fetch).mockImplementation(fakeFetch);
    }
    const urls = (await network.peers()).map((p) => p.url);
    expect(urls).not.toContain(liar.url);
    expect(urls).not.toContain(copy.url);
    const c = await network.candidates();
    expect(c.find((x) => x.url === liar.url)?.lastError).toContain("WRONG_NETWORK");
    expect(c.find((x) => x.url === copy.url)?.lastError).toContain(`already a peer at ${A.url}`);
  });

  it("keeps at most 64 peers: a full table makes room only by evicting failing learned peers", async () => {
    const many = Array.from({ length: 80 }, (_, i) => fakePeer(`filler-${i}`).url);
    await learn(many);
    expect((await network.peers()).length).toBe(64);
    // nobody failing: nothing is evicted
    const n1 = fakePeer("newcomer");
    await learn([n1.url]);
    expect((await network.peers()).map((p) => p.url)).not.toContain(n1.url);
    // two learned peers fail: two newcomers take their places; healthy peers stay
    await sql(`UPDATE peers SET score = -3 WHERE url IN ('http://filler-0.test', 'http://filler-1.test')`);
    const n2 = fakePeer("newcomer-2");
    const n3 = fakePeer("newcomer-3");
    const n4 = fakePeer("newcomer-4");
    await learn([n2.url, n3.url, n4.url]);
    const after = (await network.peers()).map((p) => p.url);
    expect(after).toHaveLength(64);
    expect(after).not.toContain("http://filler-0.test");
    expect(after.filter((u) => [n2.url, n3.url, n4.url].includes(u))).toHaveLength(2);
    for (const p of [A, B, C]) expect(after).toContain(p.url);
  });

  it("drops a learned peer that keeps failing, and a faulty sync peer at once (its key banned)", async () => {
    const gone = (await network.peers()).find((p) => p.url.startsWith("http://filler-"))!;
    fakes.get(gone.url)!.down = true;
    await sql(`UPDATE peers SET score = -19 WHERE url = ?`, gone.url);
    await network.syncNow();
    expect((await network.peers()).map((p) => p.url)).not.toContain(gone.url);

    const faulty = (await network.peers()).find((p) => p.url.startsWith("http://filler-"))!;
    await network.dropFaulty(faulty.url, "served a branch below finality");
    expect((await network.peers()).map((p) => p.url)).not.toContain(faulty.url);
    expect((await network.senders()).find((s) => s.publicKey === faulty.publicKey)?.bannedUntil).toBeGreaterThan(Date.now());
    expect((await network.candidates()).find((c) => c.url === faulty.url)).toMatchObject({ state: "refused", lastError: expect.stringContaining("below finality") });
    expect((await network.proposePeers([faulty.url])).queued).toBe(0);
  });

  it("a banned bootstrap peer keeps the reason it was banned for: a delivery that lands after the ban clears nothing (and clears it once the ban is over)", async () => {
    const now = Date.now();
    const p = (await network.peers()).find((x) => x.url.startsWith("http://filler-") && (x.bannedUntil ?? 0) < now)!;
    const source = (await network.peers()).find((x) => x.url === p.url)?.source ?? "exchange";
    const got = fakes.get(p.url)!.got.length;
    await sql(`UPDATE peers SET source = 'bootstrap' WHERE url = ?`, p.url);
    await network.dropFaulty(p.url, "served an altered snapshot part");
    const row = async () => (await network.peers()).find((x) => x.url === p.url);
    expect((await row())?.lastError).toMatch(/^faulty: served an altered snapshot part/);
    // a delivery queued before the ban lands now (the peer answers)
    const deliver = () => runInDurableObject(network, async (instance: NetworkDO) => void (await instance["post"](p.url, "{}")));
    await deliver();
    expect(await row()).toMatchObject({ lastError: expect.stringMatching(/^faulty/), bannedUntil: expect.any(Number) });
    expect((await row())?.bannedUntil).toBeGreaterThan(Date.now());
    // positive control: the same delivery after the ban clears the old error
    await sql(`UPDATE peers SET banned_until = ? WHERE url = ?`, Date.now() - 1, p.url);
    await deliver();
    expect((await row())?.lastError).toBe(null);
    // leave the peer as the next tests expect it: its source, and no record of the test's bare deliveries
    await sql(`UPDATE peers SET source = ? WHERE url = ?`, source, p.url);
    fakes.get(p.url)!.got.splice(got);
  });
});

describe("gossip degree", () => {
  /** The fake peers that were sent the payload with this hash. */
  const reached = (hash: string) => [...fakes.values()].filter((p) => sentTo(p, hash).length > 0).map((p) => p.url);

  it("with more peers than GOSSIP_DEGREE (8 by default), a new payload goes to 8 of them, drawn afresh for each payload, and a relay never back to its sender", async () => {
    const now = Date.now();
    const open = (await network.peers()).filter((p) => p.bannedUntil === null || p.bannedUntil < now);
    expect(open.length).toBeGreaterThan(20);
    const one = { gossip: "first" };
    const two = { gossip: "second" };
    expect(await network.announce("tx", one)).toBe(8);
    expect(await network.announce("tx", two)).toBe(8);
    const h1 = payloadHash(one);
    const h2 = payloadHash(two);
    await until(() => reached(h1).length === 8 && reached(h2).length === 8);
    // two draws of 8 among > 20 peers: the same 8 twice has odds below 1 in 10⁵
    expect(new Set(reached(h1))).not.toEqual(new Set(reached(h2)));

    const relayed = tx("degree");
    const r = await p2p(msg("tx", relayed, A.secret, 1));
    expect(await r.json()).toEqual({ duplicate: false, accepted: true, code: null });
    const h3 = payloadHash(relayed as JsonValue);
    await until(() => reached(h3).length === 8);
    expect(reached(h3)).not.toContain(A.url);
  });
});
