/**
 * The API contract, declared once: every route the Worker serves is in its
 * /openapi.json with the same method (the explorer's HTML pages and assets
 * aside), every documented operation declares its success and its errors,
 * and real answers of the Worker (Miniflare) validate against the zod
 * schemas their route declares for their status. A status a route does not
 * declare (a 5xx on bad input, a refusal the route forgot) fails here.
 */
import { exports } from "cloudflare:workers";
import { createRoute, OpenAPIHono, z, type RouteConfig } from "@hono/zod-openapi";
import { describe, expect, it } from "vitest";
import { blockToWire } from "../../core/block.ts";
import { genesisBlock } from "../../core/genesis.ts";
import { paramsFor } from "../../core/params.ts";
import { buildBlock } from "../../core/state-transition.ts";
import { createTx } from "../../core/tx.ts";
import type { Block } from "../../core/types.ts";
import { buildApp } from "../../workers/app.ts";
import { wire } from "./mempool-helpers.ts";
import { scheduledKey, WORKERS_VALIDATORS, type ValidatorKey } from "../support/workers-network.ts";

interface Operation {
  parameters?: { in: string; name: string }[];
  requestBody?: unknown;
  security?: unknown[];
  responses: Record<string, unknown>;
}
interface Doc {
  paths: Record<string, Record<string, Operation>>;
}

/** The explorer's pages and assets: HTML for people, not part of the JSON API. */
const isExplorerPage = (path: string): boolean => path === "/" || path === "/explorer" || path.startsWith("/explorer/");
/** "/chain/block/{index}" → "/chain/block/:index" (hono's form) */
const honoPath = (path: string): string => path.replace(/\{([^}]+)\}/g, ":$1");

function documentedOps(doc: Doc): Set<string> {
  const ops = new Set<string>();
  for (const [path, methods] of Object.entries(doc.paths)) for (const m of Object.keys(methods)) ops.add(`${m.toUpperCase()} ${honoPath(path)}`);
  return ops;
}

/**
 * Routes an app serves that its document does not list, as "METHOD /path".
 * Middleware (`app.use`, method ALL) is not a route when it is on every path
 * or on a documented route's path; anywhere else it is (an `app.all` route).
 */
function undocumented(app: { routes: readonly { method: string; path: string }[] }, doc: Doc): string[] {
  const ops = documentedOps(doc);
  const paths = new Set(Object.keys(doc.paths).map(honoPath));
  const missing = new Set<string>();
  for (const r of app.routes) {
    if (isExplorerPage(r.path)) continue;
    if (r.method === "ALL" && (r.path === "/*" || paths.has(r.path))) continue;
    if (!ops.has(`${r.method} ${r.path}`)) missing.add(`${r.method} ${r.path}`);
  }
  return [...missing].sort();
}

/** Operations the document lists that the app does not serve. */
function unserved(app: { routes: readonly { method: string; path: string }[] }, doc: Doc): string[] {
  const served = new Set(app.routes.map((r) => `${r.method} ${r.path}`));
  return [...documentedOps(doc)].filter((op) => !served.has(op)).sort();
}

const app = buildApp();
const routes: RouteConfig[] = app.openAPIRegistry.definitions.flatMap((d) => (d.type === "route" ? [d.route] : []));

function routeOf(method: string, path: string): RouteConfig {
  const route = routes.find((r) => r.method === method.toLowerCase() && r.path === path);
  if (route === undefined) throw new Error(`no documented route ${method} ${path}`);
  return route;
}

async function documentOf(): Promise<Doc> {
  const res = await exports.default.fetch("http://node/openapi.json");
  expect(res.status).toBe(200);
  return (await res.json()) as unknown as Doc;
}

/**
 * Calls the Worker and checks the answer against the route's declaration:
 * its status is declared, and a JSON body parses with the declared schema.
 */
async function call(method: string, route: string, url: string, init: { body?: unknown; headers?: Record<string, string> } = {}): Promise<{ status: number; body: unknown }> {
  const headers: Record<string, string> = { ...init.headers };
  if (init.body !== undefined) headers["content-type"] ??= "application/json";
  const res = await exports.default.fetch(`http://node${url}`, {
    method,
    headers,
    ...(init.body === undefined ? {} : { body: typeof init.body === "string" ? init.body : JSON.stringify(init.body) }),
  });
  const declared = routeOf(method, route).responses[res.status] as { content?: Record<string, { schema: z.ZodType }> } | undefined;
  const what = `${method} ${url} answered ${res.status}`;
  // soft: one run lists every undeclared answer
  expect.soft(declared, `${what}, which ${route} does not declare`).toBeDefined();
  const type = res.headers.get("content-type") ?? "";
  if (!type.startsWith("application/json")) {
    await res.body?.cancel();
    return { status: res.status, body: null };
  }
  const body: unknown = await res.json();
  const schema = declared?.content?.["application/json"]?.schema;
  expect.soft(schema, `${what} in JSON, which ${route} does not declare for that status`).toBeDefined();
  if (schema === undefined) return { status: res.status, body };
  const parsed = schema.safeParse(body);
  expect.soft(parsed.success, `${what}: the body does not fit the declared schema: ${parsed.error?.message}\n${JSON.stringify(body).slice(0, 500)}`).toBe(true);
  return { status: res.status, body };
}

// a short chain: a transfer per block from a genesis validator, as the peers would deliver it
const params = paramsFor(
  "doin-devnet",
  WORKERS_VALIDATORS.map((k) => k.pub),
);
const SENDER = WORKERS_VALIDATORS[1] as ValidatorKey;
const RECIPIENT = "ab".repeat(20);
function buildChain(count: number): Block[] {
  let state = genesisBlock(params).state;
  const blocks: Block[] = [];
  let t = state.tipTimestamp;
  for (let i = 0; i < count; i++) {
    t += params.carrierIntervalMs;
    const tx = createTx("transfer", { to: RECIPIENT, amount: BigInt(1_000 + i) }, { secret: SENDER.secret, nonce: i + 1, network: params.network, fee: 1n });
    const b = buildBlock(state, [tx], params, { producerSecret: scheduledKey(state, params).secret, timestamp: t });
    if (!b.ok) throw new Error(b.error.message);
    state = b.value.state;
    blocks.push(b.value.block);
  }
  return blocks;
}

describe("/openapi.json lists every route", () => {
  it("every route the Worker serves is documented with its method, and every documented one is served", async () => {
    const doc = await documentOf();
    // the Worker's own document is the one buildApp generates
    expect(Object.keys(doc.paths).sort()).toEqual(Object.keys(app.getOpenAPI31Document({ openapi: "3.1.0", info: { title: "t", version: "1" } }).paths ?? {}).sort());
    expect(undocumented(app, doc)).toEqual([]);
    expect(unserved(app, doc)).toEqual([]);
    // the check saw the routes (not an empty list against an empty list)
    expect(app.routes.filter((r) => r.method !== "ALL" && !isExplorerPage(r.path)).length).toBeGreaterThan(60);
    expect(Object.keys(doc.paths)).toContain("/openapi.json");
  });

  it("(control) a route served but not documented is found, and so is one documented under another method", () => {
    const probe = new OpenAPIHono();
    probe.openapi(createRoute({ method: "get", path: "/known/{id}", request: { params: z.object({ id: z.string() }) }, responses: { 200: { description: "ok" } } }), (c) => c.text("ok", 200));
    probe.use("/known/:id", async (_c, next) => next());
    probe.use("*", async (_c, next) => next());
    const clean = probe.getOpenAPI31Document({ openapi: "3.1.0", info: { title: "t", version: "1" } }) as unknown as Doc;
    expect(undocumented(probe, clean)).toEqual([]);
    probe.get("/sneaky", (c) => c.text("no contract"));
    probe.post("/known/:id", (c) => c.text("no contract"));
    probe.all("/anything", (c) => c.text("no contract"));
    const doc = probe.getOpenAPI31Document({ openapi: "3.1.0", info: { title: "t", version: "1" } }) as unknown as Doc;
    expect(undocumented(probe, doc)).toEqual(["ALL /anything", "GET /sneaky", "POST /known/:id"]);
    // and a documented route nobody serves
    expect(unserved({ routes: [] }, doc)).toEqual(["GET /known/:id"]);
  });

  it("every operation declares a 2xx; one that takes input declares 400; one behind the runner token declares 401", async () => {
    const doc = await documentOf();
    const problems: string[] = [];
    const withoutErrors: string[] = [];
    for (const [path, methods] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(methods)) {
        const statuses = Object.keys(op.responses);
        const where = `${method.toUpperCase()} ${path}`;
        if (!statuses.some((s) => /^2\d\d$/.test(s))) problems.push(`${where}: no 2xx`);
        const takesInput = (op.parameters?.length ?? 0) > 0 || op.requestBody !== undefined;
        if (takesInput && !statuses.includes("400")) problems.push(`${where}: takes input but declares no 400`);
        if (!statuses.some((s) => /^4\d\d$/.test(s))) withoutErrors.push(where);
        if (op.security !== undefined && op.security.length > 0 && !statuses.includes("401")) problems.push(`${where}: needs a token but declares no 401`);
        for (const s of statuses.filter((x) => /^4\d\d$/.test(x))) {
          const content = (op.responses[s] as { content?: Record<string, { schema: { $ref?: string } }> }).content;
          if (content?.["application/json"]?.schema.$ref !== "#/components/schemas/Error") problems.push(`${where}: ${s} is not the Error schema`);
        }
      }
    }
    expect(problems).toEqual([]);
    // only reads without any input (no parameter, query or body) have no 4xx to declare: a new one is seen here
    expect(withoutErrors.sort()).toEqual([
      "GET /chain/champions",
      "GET /chain/params",
      "GET /chain/rounds",
      "GET /chain/status",
      "GET /fees",
      "GET /health",
      "GET /openapi.json",
      "GET /peers",
      "GET /status",
    ]);
  });
});

describe("real answers fit their declared schemas", () => {
  const blocks = buildChain(3);
  const [b1, b2, b3] = blocks as [Block, Block, Block];

  it("chain: blocks in, status, blocks, headers, accounts with and without proofs, rounds, champions, params, snapshot", async () => {
    expect((await call("POST", "/chain/blocks", "/chain/blocks", { body: blockToWire(b1) })).status).toBe(202);
    expect((await call("POST", "/chain/blocks/batch", "/chain/blocks/batch", { body: { blocks: [blockToWire(b2), blockToWire(b3)] } })).status).toBe(202);
    expect((await call("POST", "/chain/blocks", "/chain/blocks", { body: blockToWire(b1) })).status).toBe(409);
    expect((await call("POST", "/chain/blocks", "/chain/blocks", { body: { header: {} } })).status).toBeLessThan(500);

    const status = await call("GET", "/chain/status", "/chain/status");
    expect(status.body).toMatchObject({ height: 3 });
    await call("GET", "/chain/params", "/chain/params");
    expect(((await call("GET", "/chain/champions", "/chain/champions")).body as unknown[]).length).toBeGreaterThan(0);
    await call("GET", "/chain/rounds", "/chain/rounds");
    expect((await call("GET", "/chain/blocks", "/chain/blocks?from=0&to=3")).status).toBe(200);
    expect((await call("GET", "/chain/blocks", "/chain/blocks?from=3&to=1")).status).toBe(400);
    expect((await call("GET", "/chain/headers", "/chain/headers?from=1&to=2")).status).toBe(200);
    expect((await call("GET", "/chain/block/{index}", "/chain/block/2")).status).toBe(200);
    expect((await call("GET", "/chain/block/{index}", "/chain/block/99")).status).toBe(404);
    expect((await call("GET", "/chain/block-by-hash/{hash}", `/chain/block-by-hash/${b2.hash}`)).status).toBe(200);
    expect((await call("GET", "/chain/block-by-hash/{hash}", `/chain/block-by-hash/${"0".repeat(64)}`)).status).toBe(404);

    const account = await call("GET", "/chain/account/{address}", `/chain/account/${RECIPIENT}`);
    expect(account.body).toMatchObject({ address: RECIPIENT, balance: "3003" });
    const proved = await call("GET", "/chain/account/{address}", `/chain/account/${RECIPIENT}?proof=1`);
    expect(proved.status).toBe(200);
    expect(proved.body).toHaveProperty("proof");
    expect((await call("GET", "/chain/account/{address}", `/chain/account/${RECIPIENT}?height=1`)).status).toBe(400);
    expect((await call("GET", "/chain/account/{address}", `/chain/account/${RECIPIENT}?proof=1&height=99`)).status).toBe(404);
    expect((await call("GET", "/chain/account/{address}", "/chain/account/XYZ")).status).toBe(400);
    expect([200, 404]).toContain((await call("GET", "/chain/snapshot", "/chain/snapshot")).status);
  });

  it("transactions: submit, refusals, a pending tx, the mempool, fees, a batch", async () => {
    const next = createTx("transfer", { to: RECIPIENT, amount: 5n }, { secret: SENDER.secret, nonce: 4, network: params.network, fee: 1n });
    expect((await call("POST", "/tx", "/tx", { body: wire(next) })).status).toBe(202);
    expect((await call("POST", "/tx", "/tx", { body: wire(next) })).status).toBe(409);
    expect((await call("POST", "/tx", "/tx", { body: { kind: "transfer" } })).status).toBe(400);
    expect((await call("POST", "/tx", "/tx", { body: "{not json" })).status).toBe(400);
    expect((await call("POST", "/tx", "/tx", { body: wire(next), headers: { "content-type": "text/plain" } })).status).toBe(415);
    const stale = createTx("transfer", { to: RECIPIENT, amount: 5n }, { secret: SENDER.secret, nonce: 1, network: params.network, fee: 1n });
    expect((await call("POST", "/tx/transfer", "/tx/transfer", { body: wire(stale) })).status).toBeGreaterThanOrEqual(400);
    expect((await call("POST", "/tx/commit", "/tx/commit", { body: wire(next) })).status).toBe(400);

    expect((await call("GET", "/tx/{id}", `/tx/${next.id}`)).body).toMatchObject({ status: "pending" });
    expect((await call("GET", "/tx/{id}", `/tx/${b2.txs[0]?.id}`)).body).toMatchObject({ status: "included", height: 2 });
    expect((await call("GET", "/tx/{id}", `/tx/${"0".repeat(64)}`)).status).toBe(404);
    expect(((await call("GET", "/mempool", "/mempool")).body as { total: number }).total).toBeGreaterThan(0);
    await call("GET", "/fees", "/fees");
    const batch = await call("POST", "/tx/batch", "/tx/batch", { body: { txs: [wire(next), wire(stale)] } });
    expect(batch).toMatchObject({ status: 202, body: { accepted: 0 } });
  });

  it("node, peers, tasks, inference, faucet, stats, history", async () => {
    await call("GET", "/health", "/health");
    await call("GET", "/status", "/status");
    await call("GET", "/peers", "/peers");
    await call("GET", "/openapi.json", "/openapi.json");
    expect((await call("GET", "/p2p/handshake", `/p2p/handshake?challenge=${"ab".repeat(32)}`)).status).toBe(200);
    expect((await call("GET", "/p2p/handshake", "/p2p/handshake?challenge=zz")).status).toBe(400);
    expect((await call("POST", "/p2p", "/p2p", { body: { envelope: {}, payload: null } })).status).toBeLessThan(500);

    const runner = { authorization: "Bearer test-runner-token" };
    expect((await call("GET", "/tasks/pending", "/tasks/pending")).status).toBe(401);
    expect((await call("GET", "/tasks/pending", "/tasks/pending", { headers: runner })).status).toBe(200);
    expect((await call("POST", "/tasks/claim", "/tasks/claim", { body: { runner: "r1", kinds: ["inference"] }, headers: runner })).status).toBe(200);
    expect((await call("GET", "/tasks/{id}", "/tasks/nope", { headers: runner })).status).toBe(404);
    expect((await call("POST", "/tasks/heartbeat", "/tasks/heartbeat", { body: { jobId: "nope", leaseId: "0".repeat(32) }, headers: runner })).status).toBe(404);
    const queued = await call("POST", "/inference", "/inference", { body: { domain: "quadratic", input: [1, 2], nonce: "openapi" } });
    expect(queued.status).toBe(202);
    const jobId = (queued.body as { jobId: string }).jobId;
    expect((await call("GET", "/inference/{jobId}", `/inference/${jobId}`)).status).toBe(200);
    expect((await call("GET", "/tasks/{id}", `/tasks/${jobId}`, { headers: runner })).status).toBe(200);
    expect((await call("GET", "/inference/{jobId}", "/inference/nope")).status).toBe(404);
    expect((await call("POST", "/inference", "/inference", { body: { domain: "no-such-domain", input: 1 } })).status).toBe(422);
    expect((await call("POST", "/faucet", "/faucet", { body: { address: RECIPIENT } })).status).toBe(404);

    await call("GET", "/stats", "/stats");
    expect((await call("GET", "/stats", "/stats?domain=no-such-domain")).status).toBe(404);
    await call("GET", "/stats/experiments", "/stats/experiments");
    await call("GET", "/history/blocks", "/history/blocks");
    expect((await call("GET", "/history/blocks/{id}", "/history/blocks/99")).status).toBe(404);
    expect((await call("GET", "/history/search", "/history/search?q=nothing")).status).toBe(400);
  });

  it("no route answers bad input with a 5xx or an undeclared status: a bad path or query parameter, an unknown field, a body that is not JSON or not sent as JSON", async () => {
    const runner = { authorization: "Bearer test-runner-token" };
    for (const route of routes) {
      const method = route.method.toUpperCase();
      const url = route.path.replace(/\{[^}]+\}/g, "%7Bbad%7D");
      const headers = route.path.startsWith("/tasks") || route.path === "/chain/sync" ? runner : {};
      if (route.path.includes("{")) {
        const r = await call(method, route.path, url, method === "POST" ? { body: {}, headers } : { headers });
        expect(r.status, `${method} ${url}`).toBeGreaterThanOrEqual(400);
      }
      if (method === "POST") {
        for (const body of [{ unknownField: 1 }, "{not json", "[]", "null"]) {
          const r = await call(method, route.path, url, { body, headers });
          expect(r.status, `${method} ${url} ${JSON.stringify(body)}`).toBeGreaterThanOrEqual(400);
        }
        for (const type of ["text/plain", "application/x-www-form-urlencoded"]) {
          const r = await call(method, route.path, url, { body: "{}", headers: { ...headers, "content-type": type } });
          expect(r.status, `${method} ${url} as ${type}`).toBeGreaterThanOrEqual(400);
        }
      }
      const query = (route.request?.query as z.ZodObject | undefined)?.shape;
      if (query !== undefined && !route.path.includes("{")) {
        for (const name of Object.keys(query)) {
          const r = await call(method, route.path, `${url}?${name}=%7Bbad%7D`, { headers });
          expect(r.status, `${method} ${url}?${name}={bad}`).toBeLessThan(500);
        }
      }
    }
  });
});
