/**
 * Attacks on the node's request bodies, on a live 3-node testnet: a body
 * nested thousands of levels inside a field the route accepts (it used to
 * overflow the Durable Object RPC serializer's stack: 500), and bodies over
 * the route's size limit, with and without a declared length. Every route
 * that takes a body is attacked on every node (the routes come from
 * /openapi.json, plus one the API does not have).
 */
import { connect } from "node:net";
import { beforeAll, describe, expect, it } from "vitest";
import { SYNC_BODY_LIMIT_BYTES } from "../../workers/routes/chain.ts";
import { expectLive, expectRefused, getJson, send, snapshot, useLiveNet, type NodeState } from "./support/testnet.ts";

const live = useLiveNet({ nodes: 3, cronMs: 2_000 });

/** `[[[…1…]]]`, `depth` levels of arrays. */
const nest = (depth: number): string => `${"[".repeat(depth)}1${"]".repeat(depth)}`;

const HEX32 = "0".repeat(64);
const LEASE = "0".repeat(32);
/** For each route, a body whose `DEEP` sits where the route accepts free JSON (or any field, where it has none). */
const TEMPLATES: Record<string, string> = {
  "/p2p": `{"envelope":{"network":"doin-devnet","kind":"block","sender":"${HEX32}","payloadHash":"${HEX32}","timestamp":1,"hops":0,"sig":"${"0".repeat(128)}"},"payload":DEEP}`,
  "/inference": `{"domain":"quadratic","input":DEEP}`,
  "/chain/blocks": `{"header":DEEP,"txs":[],"coinbase":[],"hash":"${HEX32}","sig":"${"0".repeat(128)}"}`,
  "/chain/blocks/batch": `{"blocks":[{"header":DEEP}]}`,
  "/tasks/complete": `{"jobId":"optimize:x","leaseId":"${LEASE}","result":DEEP}`,
  "/tx/reveal": `{"network":"doin-devnet","kind":"reveal","from":"${HEX32}","nonce":1,"fee":"0","body":{"commit":"${HEX32}","params":DEEP,"salt":"${"0".repeat(32)}","reported":"1"},"id":"${HEX32}","sig":"${"0".repeat(128)}"}`,
};
const bodyWith = (path: string, deep: string): string => (TEMPLATES[path] ?? `{"x":DEEP}`).replace("DEEP", deep);

interface Openapi {
  paths: Record<string, Record<string, { requestBody?: unknown; security?: unknown[] }>>;
}

let bodyRoutes: { path: string; runner: boolean }[] = [];

/**
 * Starts a POST with chunked encoding (no length) on a raw socket, sends
 * `total` bytes and then nothing more, never ending the body, and reads what
 * the node answers: a body that never ends must cost the node no more than
 * its limit. (Sending on after the node answered would only race its close.)
 */
function chunkedPost(url: string, total: number): Promise<{ status: number; body: string; sentBytes: number }> {
  const { hostname, port, pathname } = new URL(url);
  return new Promise((resolve, reject) => {
    let sentBytes = 0;
    let reply = "";
    const socket = connect(Number(port), hostname, () => {
      socket.write(`POST ${pathname} HTTP/1.1\r\nhost: ${hostname}:${port}\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\nconnection: close\r\n\r\n`);
      const chunk = `${(64 * 1024).toString(16)}\r\n${"x".repeat(64 * 1024)}\r\n`;
      const pump = (): void => {
        while (reply === "" && sentBytes < total && !socket.destroyed) {
          sentBytes += 64 * 1024;
          if (!socket.write(chunk)) {
            socket.once("drain", pump);
            return;
          }
        }
      };
      pump();
    });
    socket.on("data", (d) => (reply += String(d)));
    socket.on("error", () => undefined); // a write after the node closed: what it answered is in `reply`
    socket.on("close", () => {
      const m = /^HTTP\/1\.1 (\d{3})[\s\S]*?\r\n\r\n([\s\S]*)$/.exec(reply);
      if (m === null) reject(new Error(`no HTTP answer (sent ${sentBytes} bytes): ${reply.slice(0, 200)}`));
      else resolve({ status: Number(m[1]), body: dechunk(m[2] as string), sentBytes });
    });
    socket.setTimeout(30_000, () => socket.destroy());
  });
}

/** The payload of a chunked HTTP body (or the body itself when it is not chunked). */
function dechunk(raw: string): string {
  if (!/^[0-9a-f]+\r\n/i.test(raw)) return raw;
  let out = "";
  let rest = raw;
  for (;;) {
    const m = /^([0-9a-f]+)\r\n/i.exec(rest);
    if (m === null) return out;
    const size = Number.parseInt(m[1] as string, 16);
    if (size === 0) return out;
    out += rest.slice(m[0].length, m[0].length + size);
    rest = rest.slice(m[0].length + size + 2);
  }
}

async function pendingInference(url: string): Promise<number> {
  const s = await getJson<{ tasks: { byKind: { inference: { pending: number } } } }>(url, "/status");
  return s.tasks.byKind.inference.pending;
}

describe("request bodies on a live testnet", () => {
  beforeAll(async () => {
    const doc = await getJson<Openapi>(live.urls[0]!, "/openapi.json");
    bodyRoutes = Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.entries(ops)
        .filter(([method, op]) => method === "post" && op.requestBody !== undefined)
        .map(([, op]) => ({ path, runner: (op.security ?? []).length > 0 || path === "/chain/sync" })),
    );
    bodyRoutes.push({ path: "/no-such-route", runner: false });
  });

  it("every route that takes a body, on every node: nested 2,000 and 5,000 levels → 400 TOO_DEEP (413 TOO_LARGE past a smaller body limit); nothing stored, state unchanged", async () => {
    // the routes the finding named are among those attacked
    for (const p of ["/p2p", "/inference", "/chain/blocks", "/chain/blocks/batch", "/tasks/complete", "/tx", "/tx/reveal", "/chain/sync", "/tasks/claim"]) expect(bodyRoutes.map((r) => r.path)).toContain(p);
    const before: NodeState[] = await snapshot(live);
    const inferenceBefore = await Promise.all(live.urls.map(pendingInference));
    for (const url of live.urls) {
      for (const route of bodyRoutes) {
        for (const depth of [2_000, 5_000]) {
          const body = bodyWith(route.path, nest(depth));
          const a = await send(url, "POST", route.path, body, route.runner ? { authorization: `Bearer ${live.net.token}` } : {});
          // a route with a small body limit refuses the larger nestings by their size, before reading them
          const tooLarge = route.path === "/chain/sync" && body.length > SYNC_BODY_LIMIT_BYTES;
          if (tooLarge) expectRefused(a, 413, "TOO_LARGE", `${url} POST ${route.path} nested ${depth}`);
          else expectRefused(a, 400, "TOO_DEEP", `${url} POST ${route.path} nested ${depth}`);
        }
      }
    }
    expect(await snapshot(live)).toEqual(before);
    expect(await Promise.all(live.urls.map(pendingInference))).toEqual(inferenceBefore);
  });

  it("positive control: the same construction 60 levels deep is read (an inference request with it is queued)", async () => {
    const before = await pendingInference(live.urls[0]!);
    const ok = await send(live.urls[0]!, "POST", "/inference", bodyWith("/inference", nest(60)));
    expect(ok.status, JSON.stringify(ok.body)).toBe(202);
    expect(await pendingInference(live.urls[0]!)).toBe(before + 1);
    // and a 60-deep reveal reaches the protocol's own rule (params at most 8 levels), not the reader's bound
    const reveal = await send(live.urls[0]!, "POST", "/tx/reveal", bodyWith("/tx/reveal", nest(60)));
    expect(reveal.status).toBe(400);
    expect(reveal.body.code).not.toBe("TOO_DEEP");
  });

  it("bodies over the route's limit → 413 TOO_LARGE on every node, declared or streamed without a length; nothing stored", async () => {
    const before = await snapshot(live);
    for (const url of live.urls) {
      // declared length over /tx's limit (maxTxBytes + 4 KiB)
      expectRefused(await send(url, "POST", "/tx", `{"pad":"${"x".repeat(16 * 1024)}"}`), 413, "TOO_LARGE", `${url} /tx 16 KiB`);
      // a route that declares no limit gets the default 16 KiB
      expectRefused(await send(url, "POST", "/tasks/claim", `{"runner":"${"r".repeat(20 * 1024)}"}`, { authorization: `Bearer ${live.net.token}` }), 413, "TOO_LARGE", `${url} /tasks/claim 20 KiB`);
      // streamed, no Content-Length, never finished: the node answers once the limit (64 KiB) is passed
      const streamed = await chunkedPost(`${url}/inference`, 128 * 1024);
      expect({ status: streamed.status, code: (JSON.parse(streamed.body) as { code: string }).code }).toEqual({ status: 413, code: "TOO_LARGE" });
    }
    expect(await snapshot(live)).toEqual(before);
  });

  it("afterwards the nodes agree on one tip and keep making blocks", async () => {
    await expectLive(live);
    for (const url of live.urls) expect((await send(url, "GET", "/health")).status).toBe(200);
  });
});
