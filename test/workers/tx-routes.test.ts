// The transaction routes over HTTP (an app with registerTxRoutes, the real
// MempoolDO "mempool" with a fake chain installed): status codes, the JSON
// error shape, and what reaches the mempool. mempool-chain.test.ts runs the
// same path against the real ChainDO.
import { env } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { createTx } from "../../core/tx.ts";
import { mempoolOf } from "../../durable-objects/stubs.ts";
import { createNodeApp } from "../../workers/http.ts";
import { registerTxRoutes, TX_BODY_SLACK_BYTES } from "../../workers/routes/tx.ts";
import { BOND, commit, FakeChain, fresh, key, NETWORK, transfer, useChain, wire } from "./mempool-helpers.ts";

const app = createNodeApp();
registerTxRoutes(app);
app.doc31("/openapi.json", { openapi: "3.1.0", info: { title: "test", version: "1" } });

const mempool = mempoolOf(env);
const chain = new FakeChain();

async function post(path: string, body: unknown, headers: Record<string, string> = { "content-type": "application/json" }): Promise<Response> {
  return app.request(path, { method: "POST", headers, body: typeof body === "string" ? body : JSON.stringify(body) }, env);
}

async function get(path: string): Promise<Response> {
  return app.request(path, {}, env);
}

/** Status and body, with the error shape checked on every 4xx/5xx. */
async function result(res: Response): Promise<{ status: number; body: Record<string, unknown> }> {
  const body = (await res.json()) as Record<string, unknown>;
  if (res.status >= 400) {
    expect(Object.keys(body).sort()).toEqual(["code", "message"]);
    expect(typeof body["message"]).toBe("string");
  }
  return { status: res.status, body };
}

async function pendingCount(): Promise<number> {
  return mempool.size();
}

beforeAll(async () => {
  await useChain(mempool, chain);
  await mempool.configureForTest({ autoAssemble: false });
});

describe("POST /tx", () => {
  it("accepts a signed commit with 202 {id, status}", async () => {
    const tx = commit("route-alice", 1);
    const r = await result(await post("/tx", wire(tx)));
    expect(r).toEqual({ status: 202, body: { id: tx.id, status: "pending" } });
    expect(await result(await get(`/tx/${tx.id}`))).toMatchObject({ status: 200, body: { id: tx.id, status: "pending", kind: "commit", nonce: 1, tx: wire(tx) } });
  });

  it("replaying the same tx is 409 ALREADY_KNOWN", async () => {
    const tx = commit("route-replay", 1);
    expect((await post("/tx", wire(tx))).status).toBe(202);
    expect(await result(await post("/tx", wire(tx)))).toMatchObject({ status: 409, body: { code: "ALREADY_KNOWN" } });
  });

  it("a bad signature is 403 BAD_SIGNATURE and nothing is stored", async () => {
    const before = await pendingCount();
    const tx = commit("route-bob", 1);
    const other = commit("route-bob", 2);
    expect(await result(await post("/tx", { ...wire(tx), sig: other.sig }))).toMatchObject({ status: 403, body: { code: "BAD_SIGNATURE" } });
    expect(await result(await get(`/tx/${tx.id}`))).toMatchObject({ status: 404, body: { code: "NOT_FOUND" } });
    expect(await pendingCount()).toBe(before);
  });

  it("malformed bodies are 400 with {code, message}", async () => {
    const before = await pendingCount();
    const w = wire(commit("route-carol", 1));
    const body = w["body"] as Record<string, unknown>;
    const cases: [string, unknown][] = [
      ["not JSON", "{not json"],
      ["empty body", ""],
      ["an array", [w]],
      ["nonce as a string", { ...w, nonce: "1" }],
      ["fee as a number", { ...w, fee: 0 }],
      ["unknown top-level field", { ...w, memo: "hello" }],
      ["unknown body field", { ...w, body: { ...body, extra: 1 } }],
      ["missing field", { ...w, sig: undefined }],
      ["unknown kind", { ...w, kind: "mint" }],
      ["nonce 0", { ...w, nonce: 0 }],
      ["nonce above 2^53", { ...w, nonce: 2 ** 60 }],
      ["fractional nonce", { ...w, nonce: 1.5 }],
      ["negative fee", { ...w, fee: "-1" }],
      ["fee above 2^63 − 1", { ...w, fee: "9223372036854775808" }],
      ["fee with a leading zero", { ...w, fee: "01" }],
      ["upper-case hex", { ...w, from: (w["from"] as string).toUpperCase() }],
      ["short signature", { ...w, sig: "ab" }],
      ["content changed after signing (bad id)", { ...w, body: { ...body, commitment: fresh() } }],
    ];
    for (const [name, value] of cases) {
      const r = await result(await post("/tx", value));
      expect(r.status, name).toBe(400);
      expect(["MALFORMED", "BAD_ID"], name).toContain(r.body["code"]);
    }
    expect(await pendingCount()).toBe(before);
  });

  it("wrong network is 400 WRONG_NETWORK", async () => {
    const tx = commit("route-dan", 1, 0n, { network: "doin-mainnet" });
    expect(await result(await post("/tx", wire(tx)))).toMatchObject({ status: 400, body: { code: "WRONG_NETWORK" } });
  });

  it("a transfer amount above 2^63 − 1 is 400", async () => {
    const w = wire(transfer("route-erin", 1, 5n));
    const r = await result(await post("/tx", { ...w, body: { ...(w["body"] as object), amount: "9999999999999999999" } }));
    expect(r).toMatchObject({ status: 400, body: { code: "MALFORMED" } });
    expect(String(r.body["message"])).toContain("amount");
  });

  it("not application/json is 415, an oversized body 413 TOO_LARGE", async () => {
    const w = wire(commit("route-fay", 1));
    expect(await result(await post("/tx", JSON.stringify(w), { "content-type": "text/plain" }))).toMatchObject({ status: 415 });
    // the largest transaction is a reveal: maxTxBytes + the largest domain's maxParamsBytes (quadratic's 4,096 here)
    const huge = JSON.stringify({ ...w, pad: "x".repeat(8_192 + 4_096 + TX_BODY_SLACK_BYTES) });
    expect(await result(await post("/tx", huge))).toMatchObject({ status: 413, body: { code: "TOO_LARGE" } });
    // within the body limit but over the reveal limit once canonical
    const reveal = createTx(
      "reveal",
      { commit: fresh(), params: { p: "y".repeat(8_192 + 4_096) }, salt: "ab".repeat(16), reported: 1n },
      { secret: key("route-fay").secret, nonce: 1, network: NETWORK },
    );
    expect(await result(await post("/tx", wire(reveal)))).toMatchObject({ status: 413, body: { code: "TOO_LARGE" } });
  });

  it("stateful refusals are 422 (balance, nonce, replacement fee)", async () => {
    chain.fund(key("route-gus").address, BOND - 1n);
    expect(await result(await post("/tx", wire(transfer("route-gus", 1, BOND))))).toMatchObject({ status: 422, body: { code: "INSUFFICIENT_BALANCE" } });
    // a commit locks its bond: the same balance does not cover one
    expect(await result(await post("/tx", wire(commit("route-gus", 1))))).toMatchObject({ status: 422, body: { code: "INSUFFICIENT_BALANCE" } });
    chain.fund(key("route-hal").address, 1_000n + 2n * BOND, 2);
    expect(await result(await post("/tx", wire(commit("route-hal", 2))))).toMatchObject({ status: 422, body: { code: "BAD_NONCE" } });
    expect((await post("/tx", wire(commit("route-hal", 3, 50n)))).status).toBe(202);
    expect(await result(await post("/tx", wire(commit("route-hal", 3, 51n))))).toMatchObject({ status: 422, body: { code: "FEE_TOO_LOW" } });
    expect((await post("/tx", wire(commit("route-hal", 3, 60n)))).status).toBe(202);
  });

  it("a full mempool is 503 MEMPOOL_FULL unless the fee evicts a cheaper tx", async () => {
    const stubbed = await mempool.configureForTest({ maxTxs: await pendingCount() });
    expect(stubbed.ok).toBe(true);
    expect(await result(await post("/tx", wire(commit("route-ivy", 1))))).toMatchObject({ status: 503, body: { code: "MEMPOOL_FULL" } });
    chain.fund(key("route-ivy").address, 1_000n + BOND);
    expect((await post("/tx", wire(commit("route-ivy", 1, 100n)))).status).toBe(202);
    await mempool.configureForTest({ maxTxs: 5_000 });
  });
});

describe("POST /tx/{kind} aliases", () => {
  it("accept their own kind", async () => {
    const c = commit("alias-a", 1);
    expect(await result(await post("/tx/commit", wire(c)))).toEqual({ status: 202, body: { id: c.id, status: "pending" } });
    const v = createTx("vote", { optimae: fresh(), performance: -5n, dataHash: fresh() }, { secret: key("alias-a").secret, nonce: 2, network: NETWORK });
    expect((await post("/tx/vote", wire(v))).status).toBe(202);
    const rv = createTx("reveal", { commit: c.id, params: { x: [1, 2] }, salt: "ab".repeat(16), reported: 3n }, { secret: key("alias-a").secret, nonce: 3, network: NETWORK });
    expect((await post("/tx/reveal", wire(rv))).status).toBe(202);
    // a transfer reaches the balance check through its alias (alias-a holds the default balance, its bond pending)
    expect(await result(await post("/tx/transfer", wire(transfer("alias-a", 4, 10n * BOND))))).toMatchObject({ status: 422, body: { code: "INSUFFICIENT_BALANCE" } });
  });

  it("refuse another kind with 400", async () => {
    const c = commit("alias-b", 1);
    for (const path of ["/tx/reveal", "/tx/vote", "/tx/transfer"]) {
      const r = await result(await post(path, wire(c)));
      expect(r, path).toMatchObject({ status: 400, body: { code: "MALFORMED" } });
      expect(String(r.body["message"])).toContain("kind");
    }
    expect((await get(`/tx/${c.id}`)).status).toBe(404);
  });
});

describe("reads", () => {
  it("GET /tx/{id}: 404 when not pending, 400 for a malformed id", async () => {
    expect(await result(await get(`/tx/${"0".repeat(64)}`))).toMatchObject({ status: 404, body: { code: "NOT_FOUND" } });
    expect(await result(await get("/tx/xyz"))).toMatchObject({ status: 400, body: { code: "MALFORMED" } });
  });

  it("GET /mempool lists pending txs, highest fee per byte first, with a limit", async () => {
    const all = await result(await get("/mempool"));
    expect(all.status).toBe(200);
    const txs = all.body["txs"] as { fee: string; size: number }[];
    expect(all.body["total"]).toBe(txs.length);
    expect(txs.length).toBeGreaterThan(3);
    for (let i = 1; i < txs.length; i++) expect(Number(txs[i - 1]!.fee) / txs[i - 1]!.size).toBeGreaterThanOrEqual(Number(txs[i]!.fee) / txs[i]!.size);
    const one = await result(await get("/mempool?limit=1"));
    expect((one.body["txs"] as unknown[]).length).toBe(1);
    expect(one.body["total"]).toBe(all.body["total"]);
    for (const bad of ["0", "1001", "abc", "1.5"]) expect((await get(`/mempool?limit=${bad}`)).status, bad).toBe(400);
  });

  it("GET /fees suggests fees", async () => {
    const r = await result(await get("/fees"));
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ baseFee: "100000", low: "110000", normal: "150000", high: "200000", urgent: "300000", evictionFloor: null });
  });

  it("the routes are in /openapi.json", async () => {
    const doc = (await (await get("/openapi.json")).json()) as { paths: Record<string, unknown> };
    for (const p of ["/tx", "/tx/commit", "/tx/reveal", "/tx/vote", "/tx/transfer", "/tx/{id}", "/mempool", "/fees"]) expect(Object.keys(doc.paths)).toContain(p);
  });
});
