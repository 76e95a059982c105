/**
 * Throws random and mutated bodies at every endpoint: never a 5xx, every
 * error is JSON {code, message}, and no rejected request changes any state.
 */
import { env } from "cloudflare:test";
import { exports } from "cloudflare:workers";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { secretFromSeedPhrase } from "../../core/keys.ts";
import { createTx, txToWire } from "../../core/tx.ts";
import { paramsFor } from "../../core/params.ts";

const params = paramsFor("doin-devnet", []);
const TOKEN = "test-runner-token";
const auth = { authorization: `Bearer ${TOKEN}` };

const validTx = txToWire(
  createTx("commit", { domain: "quadratic", commitment: "cd".repeat(32) }, { secret: secretFromSeedPhrase("fuzz"), nonce: 1, network: params.network }),
) as Record<string, unknown>;

interface Endpoint {
  readonly method: "GET" | "POST";
  readonly path: string;
  readonly runner?: boolean;
  /** a valid body, mutated by the fuzzer */
  readonly sample?: unknown;
}

const ENDPOINTS: readonly Endpoint[] = [
  { method: "POST", path: "/tx", sample: validTx },
  { method: "POST", path: "/tx/commit", sample: validTx },
  { method: "POST", path: "/tx/reveal", sample: { ...validTx, kind: "reveal" } },
  { method: "POST", path: "/tx/vote", sample: { ...validTx, kind: "vote" } },
  { method: "POST", path: "/tx/transfer", sample: { ...validTx, kind: "transfer" } },
  { method: "POST", path: "/chain/blocks", sample: { header: {}, txs: [], coinbase: [], hash: "00".repeat(32), sig: "00".repeat(64) } },
  { method: "POST", path: "/p2p", sample: { envelope: { network: "doin-devnet", kind: "ping", sender: "00".repeat(32), payloadHash: "00".repeat(32), timestamp: 1, hops: 0, sig: "00".repeat(64) }, payload: {} } },
  { method: "POST", path: "/chain/blocks/batch", sample: { blocks: [{ header: {}, txs: [], coinbase: [], hash: "00".repeat(32), sig: "00".repeat(64) }] } },
  { method: "POST", path: "/chain/sync", runner: true, sample: { peers: ["ftp://x"] } },
  { method: "POST", path: "/tasks/claim", runner: true, sample: { runner: "r1", max: 1 } },
  { method: "POST", path: "/tasks/complete", runner: true, sample: { jobId: "x", leaseId: "y", result: {} } },
  { method: "POST", path: "/tasks/heartbeat", runner: true, sample: { jobId: "x", leaseId: "y" } },
  { method: "POST", path: "/tasks/release", runner: true, sample: { jobId: "x", leaseId: "y" } },
  { method: "POST", path: "/inference", sample: { domain: "quadratic", input: { x: [1, 2] } } },
  { method: "GET", path: "/chain/blocks?from=0&to=1" },
  { method: "GET", path: "/chain/block/0" },
  { method: "GET", path: "/chain/headers?from=0&to=1" },
  { method: "GET", path: "/stats/rounds?experiment_id=e&limit=5" },
  { method: "GET", path: "/stats/chain-metrics?domain_id=quadratic" },
  { method: "GET", path: "/stats/experiments?limit=5" },
  { method: "GET", path: "/stats/export?format=csv" },
  { method: "GET", path: "/tasks/pending?limit=5", runner: true },
  { method: "GET", path: "/mempool?limit=5" },
];

async function snapshot(): Promise<string> {
  const chain = env.CHAIN.get(env.CHAIN.idFromName("chain"));
  const mempool = env.MEMPOOL.get(env.MEMPOOL.idFromName("mempool"));
  const tasks = env.TASKS.get(env.TASKS.idFromName("tasks"));
  const [status, size, stats] = await Promise.all([chain.status(), mempool.size(), tasks.stats()]);
  return JSON.stringify({ tip: status.tip, height: status.height, size, stats });
}

/** A random mutation of a JSON value: drop, change or add a field, or replace it. */
function mutationOf(sample: unknown): fc.Arbitrary<unknown> {
  const anyJson = fc.jsonValue({ maxDepth: 3 });
  if (sample === null || typeof sample !== "object" || Array.isArray(sample)) return anyJson;
  const keys = Object.keys(sample);
  return fc.oneof(
    anyJson,
    fc.record({ key: fc.constantFrom(...keys), value: anyJson }).map(({ key, value }) => ({ ...sample, [key]: value })),
    fc.constantFrom(...keys).map((key) => {
      const copy: Record<string, unknown> = { ...sample };
      delete copy[key];
      return copy;
    }),
    fc.record({ key: fc.string({ maxLength: 8 }), value: anyJson }).map(({ key, value }) => ({ ...sample, [`x${key}`]: value })),
  );
}

const rawBody = fc.oneof(
  fc.string({ maxLength: 200 }),
  fc.constant("{"),
  fc.constant("[]"),
  fc.constant("null"),
  fc.constant('{"a":1e999}'),
  fc.constant(`{"pad":"${"x".repeat(5 * 1024 * 1024)}"}`),
);

async function check(res: Response, what: string): Promise<void> {
  expect(res.status, `${what} → ${res.status}`).toBeLessThan(500);
  if (res.status >= 400) {
    const body = (await res.json()) as { code?: unknown; message?: unknown };
    expect(typeof body.code, `${what}: error code`).toBe("string");
    expect(typeof body.message, `${what}: error message`).toBe("string");
  } else {
    await res.arrayBuffer();
  }
}

describe("fuzzing every endpoint", () => {
  it("answers random and mutated bodies with 4xx JSON errors and no state change", async () => {
    const before = await snapshot();
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...ENDPOINTS.filter((e) => e.method === "POST")), fc.boolean(), fc.integer({ min: 0, max: 9 }), async (ep, raw, pick) => {
        const headers: Record<string, string> = { "content-type": "application/json", ...(ep.runner === true ? auth : {}) };
        const body = raw
          ? fc.sample(rawBody, { numRuns: 1, seed: pick })[0]
          : JSON.stringify(fc.sample(mutationOf(ep.sample), { numRuns: 1, seed: pick * 7919 + ep.path.length })[0]);
        const res = await exports.default.fetch(`http://node${ep.path}`, { method: "POST", headers, body: body as string });
        await check(res, `POST ${ep.path}`);
        // /inference accepts any JSON input as a question; /chain/sync with no reachable peer changes nothing
        if (res.status < 300 && ep.path !== "/inference" && ep.path !== "/chain/sync") throw new Error(`POST ${ep.path} accepted a fuzzed body: ${String(body).slice(0, 200)}`);
      }),
      { numRuns: 150, seed: 2026 },
    );
    // inference jobs are the only accepted fuzz (any JSON input is a valid question); nothing else moved
    const after = JSON.parse(await snapshot()) as { tip: string; size: number; stats: unknown };
    const prior = JSON.parse(before) as { tip: string; size: number };
    expect(after.tip).toBe(prior.tip);
    expect(after.size).toBe(prior.size);
  });

  it("answers malformed query strings and paths with 4xx JSON errors", async () => {
    const junk = ["", "-1", "abc", "1e3", "99999999999999999999", "%00", "0x10", "1.5", "NaN"];
    for (const ep of ENDPOINTS.filter((e) => e.method === "GET")) {
      const [path, query] = ep.path.split("?") as [string, string | undefined];
      for (const j of junk) {
        const q = (query ?? "").replace(/=([^&]*)/g, `=${encodeURIComponent(j)}`);
        const res = await exports.default.fetch(`http://node${path}?${q}`, { headers: ep.runner === true ? auth : {} });
        await check(res, `GET ${path}?${q}`);
      }
    }
    for (const p of ["/chain/block/abc", "/chain/block/1.5", "/chain/block-by-hash/xyz", "/tasks/%zz", "/nope", "/inference/..%2f"]) {
      await check(await exports.default.fetch(`http://node${p}`, { headers: auth }), `GET ${p}`);
    }
  });

  it("refuses runner endpoints without the token", async () => {
    for (const ep of ENDPOINTS.filter((e) => e.runner === true)) {
      const res = await exports.default.fetch(`http://node${ep.path}`, {
        method: ep.method,
        headers: { "content-type": "application/json" },
        ...(ep.method === "POST" ? { body: JSON.stringify(ep.sample) } : {}),
      });
      expect(res.status, ep.path).toBe(401);
      expect(await res.json()).toMatchObject({ code: "UNAUTHORIZED" });
    }
  });
});
