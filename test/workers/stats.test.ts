/**
 * The statistics API over a real projection: a chain built with core/,
 * projected into the real D1 (Miniflare) with a reorg, then every /stats
 * endpoint's answers and errors.
 */
import { env, runDurableObjectAlarm } from "cloudflare:test";
import { exports } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { blockToWire } from "../../core/block.ts";
import { genesisBlock } from "../../core/genesis.ts";
import { buildBlock } from "../../core/state-transition.ts";
import type { Block, ChainState } from "../../core/types.ts";
import { paramsFor } from "../../core/params.ts";
import { writeProjection } from "../../durable-objects/d1-writer.ts";
import { deriveProjection, type BlockEvent, type ProjectionEvent } from "../../durable-objects/projection.ts";
import { createNodeApp } from "../../workers/http.ts";
import { csvField, EXPORT_COLUMNS, EXPORT_PAGE, fixedDecimal, registerStatsRoutes } from "../../workers/routes/stats.ts";
import { ChainDriver } from "../core/helpers/chain.ts";
import { scheduledKey, WORKERS_VALIDATORS } from "../support/workers-network.ts";
import { acceptTx, blockOn, eventsOf, honest, ONE, resetD1, V0, V1, V2 } from "./projection-fixtures.ts";

const app = createNodeApp();
registerStatsRoutes(app);

async function get(path: string): Promise<Response> {
  return app.request(`http://node${path}`, {}, env);
}

async function json<T = Record<string, unknown>>(path: string, status = 200): Promise<T> {
  const res = await get(path);
  const body = (await res.json()) as T;
  expect(res.status, `${path}: ${JSON.stringify(body)}`).toBe(status);
  return body;
}

async function expectError(path: string, status: number, code: string): Promise<string> {
  const res = await get(path);
  expect(res.status, path).toBe(status);
  expect(res.headers.get("content-type")).toContain("application/json");
  const body = (await res.json()) as { code: string; message: string };
  expect(body.code).toBe(code);
  expect(typeof body.message).toBe("string");
  return body.message;
}

/** RFC 4180 parser (quoted fields, doubled quotes, CRLF records). */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = "";
  let i = 0;
  let quoted = false;
  while (i < text.length) {
    const ch = text[i] as string;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        field += '"';
        i += 2;
        continue;
      }
      if (ch === '"') quoted = false;
      else field += ch;
      i++;
      continue;
    }
    if (ch === '"' && field === "") quoted = true;
    else if (ch === ",") {
      row.push(field);
      field = "";
    } else if (ch === "\r" && text[i + 1] === "\n") {
      row.push(field);
      rows.push(row);
      row = [];
      field = "";
      i++;
    } else if (ch === "\n" || ch === "\r") throw new Error(`bare line break at ${i}`);
    else field += ch;
    i++;
  }
  if (field !== "" || row.length > 0) throw new Error("last record does not end with CRLF");
  return rows;
}

interface Scenario {
  d: ChainDriver;
  alpha: [string, string];
  beta: string;
  gamma: string;
  events: BlockEvent[];
  canonical: Block[];
  tip: Block;
  increments: Map<string, string>;
}

/** alpha (V0, 2 rounds), beta (V1, 1 round), gamma (V2, 1 round, reverted by a reorg). */
async function scenario(): Promise<Scenario> {
  const d = new ChainDriver();
  const a1 = await honest(d, V0, -100n * ONE, -100n * ONE, { x: [1] });
  await d.produce([acceptTx(d, V0, a1, "alpha", 1, 30)], V1, 1);
  const a2 = await honest(d, V0, -80n * ONE, -80n * ONE, { x: [2] });
  await d.produce([acceptTx(d, V0, a2, "alpha", 2, 60)], V1, 1);
  const b1 = await honest(d, V1, -60n * ONE, -61n * ONE, { x: [3] });
  await d.produce([acceptTx(d, V1, b1, "beta", 1, 5)], V2, 1);
  const g1 = await honest(d, V2, -50n * ONE, -50n * ONE, { x: [4] });
  const gBlock = await d.produce([acceptTx(d, V2, g1, "gamma", 1, 7)], V0, 1);
  const events = eventsOf(d);
  // reorg: the gamma block is replaced by a carrier block
  const at = d.blocks.indexOf(gBlock);
  const parent = d.states[at - 1] as ChainState;
  const carrier = blockOn(parent, d, [], gBlock.header.timestamp + d.params.carrierIntervalMs);
  const increments = new Map<string, string>();
  for (const e of events) for (const x of e.experiments) increments.set(x.optimae, x.increment);
  const all: ProjectionEvent[] = [
    ...events,
    { kind: "revert", hash: gBlock.hash, height: gBlock.header.height },
    deriveProjection(parent, carrier.state, carrier.block, d.params, carrier.receipts),
  ];
  await writeProjection(env.DB, all);
  const canonical = [...d.blocks.slice(0, at), carrier.block];
  return { d, alpha: [a1, a2], beta: b1, gamma: g1, events, canonical, tip: carrier.block, increments };
}

describe("on an empty projection", () => {
  it("/stats answers zeros and nulls", async () => {
    await resetD1();
    const s = await json("/stats");
    expect(s).toMatchObject({ height: null, tip: null, blocks: 0, transactions: 0, acceptedOptimae: 0, experiments: 0, cumulativeWork: "0" });
    expect(s["domains"]).toEqual([{ domain: "quadratic", higherIsBetter: true, optimum: null, acceptedOptimae: 0, experiments: 0, best: null, latestMetrics: null }]);
    expect(await json("/stats/experiments")).toEqual({ experiments: [], count: 0 });
    const res = await get("/stats/export");
    expect(res.status).toBe(200);
    expect(parseCsv(await res.text())).toEqual([[...EXPORT_COLUMNS]]);
  });
});

describe("statistics of a chain", () => {
  let s: Scenario;
  beforeAll(async () => {
    await resetD1();
    s = await scenario();
  });

  it("GET /stats: totals of the canonical chain, each domain's best and latest metrics", async () => {
    const body = await json("/stats");
    const txs = s.canonical.reduce((n, b) => n + b.txs.length, 0);
    expect(body).toMatchObject({
      height: s.tip.header.height,
      tip: s.tip.hash,
      tipTimestamp: s.tip.header.timestamp,
      blocks: s.canonical.length,
      transactions: txs,
      acceptedOptimae: 3,
      experiments: 2,
      cumulativeWork: s.tip.header.cumulativeWork.toString(),
      threshold: s.tip.header.threshold.toString(),
    });
    const [q] = body["domains"] as Record<string, unknown>[];
    expect(q).toMatchObject({
      domain: "quadratic",
      higherIsBetter: true,
      acceptedOptimae: 3,
      experiments: 2,
      best: { verified: (-61n * ONE).toString(), optimae: s.beta, optimizer: V1.address, experimentId: "beta" },
      latestMetrics: { height: s.tip.header.height, blockHash: s.tip.hash, champion: (-61n * ONE).toString(), championOptimae: s.beta, accepted: 0 },
    });
    expect(await json("/stats?domain=quadratic")).toEqual(body);
    await expectError("/stats?domain=nope", 404, "NOT_FOUND");
    await expectError("/stats?domain=Not%20A%20Domain", 400, "MALFORMED");
  });

  it("GET /stats/experiments: one row per experiment, most recent first", async () => {
    const body = await json<{ experiments: Record<string, unknown>[]; count: number }>("/stats/experiments");
    expect(body.count).toBe(2);
    const [beta, alpha] = body.experiments;
    const alphaTotal = BigInt(s.increments.get(s.alpha[0]) ?? "x") + BigInt(s.increments.get(s.alpha[1]) ?? "x");
    expect(alpha).toMatchObject({
      experimentId: "alpha",
      domain: "quadratic",
      optimizer: V0.address,
      rounds: 2,
      lastRoundNumber: 2,
      bestVerified: (-80n * ONE).toString(),
      bestOptimae: s.alpha[1],
      totalIncrement: alphaTotal.toString(),
    });
    expect((alpha?.["firstHeight"] as number) < (alpha?.["lastHeight"] as number)).toBe(true);
    expect(beta).toMatchObject({ experimentId: "beta", optimizer: V1.address, rounds: 1, bestVerified: (-61n * ONE).toString(), totalIncrement: s.increments.get(s.beta) });
    // the reverted experiment is not counted
    expect(body.experiments.map((e) => e["experimentId"])).not.toContain("gamma");

    expect((await json<{ count: number }>("/stats/experiments?limit=1")).count).toBe(1);
    expect((await json<{ experiments: { experimentId: string }[] }>(`/stats/experiments?optimizer=${V1.address}`)).experiments.map((e) => e.experimentId)).toEqual(["beta"]);
    expect((await json<{ count: number }>("/stats/experiments?domain=quadratic&limit=500")).count).toBe(2);
    expect((await json<{ count: number }>("/stats/experiments?domain=other")).count).toBe(0);
    expect((await json<{ count: number }>("/stats/experiments?unknown=1")).count).toBe(2);
    for (const bad of ["limit=0", "limit=501", "limit=abc", "limit=1.5", "limit=", "domain=UPPER", "optimizer=xyz"]) {
      await expectError(`/stats/experiments?${bad}`, 400, "MALFORMED");
    }
  });

  it("GET /stats/rounds: an experiment's accepted optimae in round order", async () => {
    const body = await json<{ experimentId: string; rounds: Record<string, unknown>[]; count: number }>("/stats/rounds?experiment_id=alpha");
    expect(body.experimentId).toBe("alpha");
    expect(body.count).toBe(2);
    expect(body.rounds.map((r) => r["roundNumber"])).toEqual([1, 2]);
    expect(body.rounds[0]).toMatchObject({
      optimae: s.alpha[0],
      experimentId: "alpha",
      domain: "quadratic",
      optimizer: V0.address,
      reported: (-100n * ONE).toString(),
      verified: (-100n * ONE).toString(),
      previousBest: (-1000n * ONE).toString(),
      increment: s.increments.get(s.alpha[0]),
      timeToResultSeconds: 30,
      optimizationConfigHash: "11".repeat(32),
      dataHash: "22".repeat(32),
      txIndex: 0,
    });
    expect(body.rounds[1]).toMatchObject({ optimae: s.alpha[1], previousBest: (-100n * ONE).toString(), timeToResultSeconds: 60 });
    const block = s.canonical.find((b) => b.hash === body.rounds[1]?.["blockHash"]);
    expect(block?.header.height).toBe(body.rounds[1]?.["height"]);
    expect(block?.header.timestamp).toBe(body.rounds[1]?.["timestamp"]);
    expect(block?.txs[0]?.id).toBe(body.rounds[1]?.["acceptTx"]);

    expect((await json<{ count: number }>("/stats/rounds?experiment_id=alpha&limit=1")).count).toBe(1);
    expect((await json<{ count: number }>(`/stats/rounds?experiment_id=alpha&optimizer=${V1.address}`)).count).toBe(0);
    expect(await json("/stats/rounds?experiment_id=gamma")).toEqual({ experimentId: "gamma", rounds: [], count: 0 });
    expect(await expectError("/stats/rounds", 400, "MALFORMED")).toContain("experiment_id");
    await expectError("/stats/rounds?experiment_id=alpha&limit=1001", 400, "MALFORMED");
    await expectError("/stats/rounds?experiment_id=alpha&limit=-1", 400, "MALFORMED");
    await expectError("/stats/rounds?experiment_id=a%20b", 400, "MALFORMED");
    await expectError(`/stats/rounds?experiment_id=${"x".repeat(65)}`, 400, "MALFORMED");
  });

  it("GET /stats/chain-metrics: a domain block by block (the reference's always failed)", async () => {
    const body = await json<{ domainId: string; metrics: Record<string, unknown>[]; count: number }>("/stats/chain-metrics?domain_id=quadratic&limit=1000");
    expect(body.domainId).toBe("quadratic");
    expect(body.count).toBe(s.canonical.length);
    expect(body.metrics.map((m) => m["height"])).toEqual(s.canonical.map((b) => b.header.height));
    expect(body.metrics.map((m) => m["blockHash"])).toEqual(s.canonical.map((b) => b.hash));
    expect(body.metrics[0]).toMatchObject({ height: 0, champion: (-1000n * ONE).toString(), championOptimae: null, work: "0", accepted: 0 });
    const champions = [...new Set(body.metrics.map((m) => m["champion"]))];
    expect(champions).toEqual([-1000n, -100n, -80n, -61n].map((x) => (x * ONE).toString()));
    const work = body.metrics.reduce((sum, m) => sum + BigInt(m["domainWork"] as string), 0n);
    expect(work.toString()).toBe(s.tip.header.cumulativeWork.toString());
    expect(body.metrics.at(-1)).toMatchObject({ cumulativeWork: s.tip.header.cumulativeWork.toString(), supply: expect.any(String) });

    const range = await json<{ metrics: { height: number }[]; count: number }>("/stats/chain-metrics?domain_id=quadratic&from=3&to=5");
    expect(range.metrics.map((m) => m.height)).toEqual([3, 4, 5]);
    const page = await json<{ metrics: { height: number }[] }>("/stats/chain-metrics?domain_id=quadratic&from=2&limit=2");
    expect(page.metrics.map((m) => m.height)).toEqual([2, 3]);
    expect((await json<{ count: number }>("/stats/chain-metrics?domain_id=quadratic")).count).toBe(Math.min(100, s.canonical.length));

    expect(await expectError("/stats/chain-metrics", 400, "MALFORMED")).toContain("domain_id");
    await expectError("/stats/chain-metrics?domain_id=quadratic&from=5&to=3", 400, "MALFORMED");
    await expectError("/stats/chain-metrics?domain_id=quadratic&from=-1", 400, "MALFORMED");
    await expectError("/stats/chain-metrics?domain_id=quadratic&to=x", 400, "MALFORMED");
    await expectError("/stats/chain-metrics?domain_id=quadratic&limit=1001", 400, "MALFORMED");
    await expectError("/stats/chain-metrics?domain_id=nope", 404, "NOT_FOUND");
  });

  it("GET /stats/export: the canonical history as RFC 4180 CSV and as NDJSON", async () => {
    const res = await get("/stats/export?format=csv");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/csv; charset=utf-8; header=present");
    expect(res.headers.get("content-disposition")).toBe('attachment; filename="doin-experiments.csv"');
    const rows = parseCsv(await res.text());
    expect(rows[0]).toEqual([...EXPORT_COLUMNS]);
    expect(rows).toHaveLength(4);
    const col = (name: (typeof EXPORT_COLUMNS)[number]) => EXPORT_COLUMNS.indexOf(name);
    expect(rows.slice(1).map((r) => r[col("experiment_id")])).toEqual(["alpha", "alpha", "beta"]);
    expect(rows.slice(1).map((r) => r[col("optimae")])).toEqual([s.alpha[0], s.alpha[1], s.beta]);
    const beta = rows[3] as string[];
    expect(beta[col("verified")]).toBe("-61.000000");
    expect(beta[col("verified_fixed")]).toBe("-61000000");
    expect(beta[col("reported")]).toBe("-60.000000");
    expect(beta[col("increment_fixed")]).toBe(s.increments.get(s.beta));
    expect(beta[col("optimizer")]).toBe(V1.address);
    expect(new Date(beta[col("timestamp_utc")] as string).getTime()).toBe(Number(beta[col("timestamp_ms")]));

    const nd = await get("/stats/export?format=ndjson&domain=quadratic");
    expect(nd.status).toBe(200);
    expect(nd.headers.get("content-type")).toBe("application/x-ndjson; charset=utf-8");
    expect(nd.headers.get("content-disposition")).toBe('attachment; filename="doin-experiments-quadratic.ndjson"');
    const text = new TextDecoder().decode(await nd.arrayBuffer());
    expect(text.endsWith("\n")).toBe(true);
    const records = text
      .trimEnd()
      .split("\n")
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(records).toHaveLength(3);
    expect(Object.keys(records[0] ?? {})).toEqual([...EXPORT_COLUMNS]);
    expect(records[2]).toMatchObject({ experiment_id: "beta", round_number: 1, verified: "-61.000000", verified_fixed: "-61000000", time_to_result_seconds: 5 });
    // CSV and NDJSON carry the same values
    expect(records.map((r) => EXPORT_COLUMNS.map((c) => String(r[c])))).toEqual(rows.slice(1));

    const other = await get("/stats/export?format=ndjson&domain=other");
    expect((await other.arrayBuffer()).byteLength).toBe(0);
    expect(parseCsv(await (await get("/stats/export")).text())).toHaveLength(4);
    await expectError("/stats/export?format=xml", 400, "MALFORMED");
    await expectError("/stats/export?domain=A", 400, "MALFORMED");
  });

  it("GET /stats/export pages through D1 in chain order", async () => {
    const n = EXPORT_PAGE * 2 + 3;
    const insert = env.DB.prepare(
      `INSERT INTO experiments (optimae, experiment_id, round_number, time_to_result_seconds, optimization_config_hash, data_hash, domain, optimizer,
         reported, reported_real, verified, verified_real, previous_best, previous_best_real, increment, increment_real, accept_tx, height, tx_idx, timestamp, block_hash, canonical)
       VALUES (?, 'paged', ?, 1, '', '', 'paging', ?, '1', 0, ?, 0, '0', 0, '1', 0, '', ?, ?, 0, '', ?)`,
    );
    const rows = Array.from({ length: n + 1 }, (_, i) =>
      // 3 per height, inserted out of order; the last one non-canonical
      insert.bind(`p${String(i).padStart(5, "0")}`, i, V0.address, String(i), Math.floor((n - i) / 3), (n - i) % 3, i === n ? 0 : 1),
    );
    try {
      await env.DB.batch(rows);
      const text = new TextDecoder().decode(await (await get("/stats/export?format=ndjson&domain=paging")).arrayBuffer());
      const records = text
        .trimEnd()
        .split("\n")
        .map((l) => JSON.parse(l) as { height: number; tx_index: number; round_number: number });
      expect(records).toHaveLength(n);
      const keys = records.map((r) => r.height * 10 + r.tx_index);
      expect(keys).toEqual([...keys].sort((a, b) => a - b));
      expect(new Set(records.map((r) => r.round_number)).size).toBe(n);
      const csv = parseCsv(await (await get("/stats/export?format=csv&domain=paging")).text());
      expect(csv).toHaveLength(n + 1);
    } finally {
      await env.DB.prepare(`DELETE FROM experiments WHERE domain = 'paging'`).run();
    }
  });

  it("documents every route in the OpenAPI document", () => {
    const doc = app.getOpenAPI31Document({ openapi: "3.1.0", info: { title: "t", version: "1" } });
    expect(Object.keys(doc.paths ?? {})).toEqual(expect.arrayContaining(["/stats", "/stats/experiments", "/stats/rounds", "/stats/chain-metrics", "/stats/export"]));
    expect(Object.keys(doc.components?.schemas ?? {})).toEqual(
      expect.arrayContaining(["Stats", "DomainStats", "ExperimentSummary", "Experiments", "AcceptedOptimae", "ExperimentRounds", "ChainMetric", "ChainMetrics", "Error"]),
    );
    const params = (doc.paths?.["/stats/rounds"]?.get?.parameters ?? []) as { name: string; required?: boolean }[];
    expect(params.find((p) => p.name === "experiment_id")?.required).toBe(true);
  });
});

describe("CSV and decimal helpers", () => {
  it("quotes fields as RFC 4180 requires", () => {
    expect(csvField("plain")).toBe("plain");
    expect(csvField(42)).toBe("42");
    expect(csvField("a,b")).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField("two\r\nlines")).toBe('"two\r\nlines"');
    expect(parseCsv(`${["a,b", 'q"', "x\ny", ""].map(csvField).join(",")}\r\n`)).toEqual([["a,b", 'q"', "x\ny", ""]]);
  });

  it("renders Fixed micro-units as exact decimals", () => {
    expect(fixedDecimal("0")).toBe("0.000000");
    expect(fixedDecimal("1")).toBe("0.000001");
    expect(fixedDecimal("-417123456")).toBe("-417.123456");
    expect(fixedDecimal("-5")).toBe("-0.000005");
    expect(fixedDecimal("123456789012345678901234567890")).toBe("123456789012345678901234.567890");
  });
});

describe("through the node", () => {
  it("the ChainDO's outbox feeds /stats of the mounted API", async () => {
    await resetD1();
    const params = paramsFor("doin-devnet", WORKERS_VALIDATORS.map((k) => k.pub));
    const chain = env.CHAIN.get(env.CHAIN.idFromName("chain"));
    let state = genesisBlock(params).state;
    for (let i = 1; i <= 2; i++) {
      const built = buildBlock(state, [], params, { producerSecret: scheduledKey(state, params).secret, timestamp: state.tipTimestamp + params.carrierIntervalMs });
      if (!built.ok) throw new Error(built.error.message);
      state = built.value.state;
      expect((await chain.submitBlock(blockToWire(built.value.block))).ok).toBe(true);
    }
    for (let i = 0; i < 5 && (await chain.status()).outboxPending > 0; i++) await runDurableObjectAlarm(chain);
    expect((await chain.status()).outboxPending).toBe(0);

    const res = await exports.default.fetch("http://node/stats");
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ height: 2, tip: state.tipHash, blocks: 3, transactions: 0, acceptedOptimae: 0 });
    const metrics = (await (await exports.default.fetch("http://node/stats/chain-metrics?domain_id=quadratic")).json()) as { count: number };
    expect(metrics.count).toBe(3);
    const bad = await exports.default.fetch("http://node/stats/rounds");
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ code: "MALFORMED" });
    const doc = (await (await exports.default.fetch("http://node/openapi.json")).json()) as { paths: Record<string, unknown> };
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(["/stats", "/stats/export"]));
  });
});
