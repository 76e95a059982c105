/**
 * Experiment statistics, read from the D1 projection (schema/d1.ts): the
 * reference's /stats, /stats/experiments, /stats/rounds, /stats/export and
 * /stats/chain-metrics (which always failed there), over the whole
 * network's on-chain experiment history. Only canonical blocks count.
 *
 * Fixed-point values are decimal strings in micro-units (10^6) and coin in
 * base units (10^8), as everywhere in the API; the exports add exact
 * decimal renderings for spreadsheets.
 */
import { createRoute, z } from "@hono/zod-openapi";
import { and, asc, eq, gt, gte, lte, or, type SQL } from "drizzle-orm";
import { drizzle } from "drizzle-orm/d1";
import { chainMetrics, experiments } from "../../schema/d1.ts";
import { scaledDecimal } from "../decimal.ts";
import { Address, ErrorSchema, ExperimentId, type NodeApp } from "../http.ts";
import { WIRE_PATTERNS } from "../../core/tx.ts";

// ---------------------------------------------------------------------------
// request schemas

const DomainId = z.string().regex(WIRE_PATTERNS.id, "expected a domain id");
const AddressQ = Address;
const HeightQ = z.coerce.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
const limit = (max: number, dflt: number) => z.coerce.number().int().min(1).max(max).default(dflt).openapi({ description: `1..${max}, default ${dflt}` });

const StatsQuery = z.object({ domain: DomainId.optional() });
const ExperimentsQuery = z.object({ domain: DomainId.optional(), optimizer: AddressQ.optional(), limit: limit(500, 100) });
const RoundsQuery = z.object({ experiment_id: ExperimentId, optimizer: AddressQ.optional(), limit: limit(1000, 100) });
const MetricsQuery = z.object({ domain_id: DomainId, from: HeightQ.optional(), to: HeightQ.optional(), limit: limit(1000, 100) });
const ExportQuery = z.object({ format: z.enum(["csv", "ndjson"]).default("csv"), domain: DomainId.optional() });

// ---------------------------------------------------------------------------
// response schemas

const Fixed = z.string().openapi({ description: "fixed-point decimal string, micro-units (10^6 = 1.0)", example: "-417123456" });

export const ChainMetricSchema = z
  .object({
    domain: z.string(),
    height: z.number().int(),
    blockHash: z.string(),
    timestamp: z.number().int(),
    champion: Fixed,
    championOptimae: z.string().nullable(),
    threshold: Fixed,
    work: Fixed,
    domainWork: Fixed,
    cumulativeWork: Fixed,
    supply: z.string().openapi({ description: "coin supply after the block, base units (10^8 = 1 DOIN)" }),
    accepted: z.number().int(),
  })
  .openapi("ChainMetric");

export const AcceptedOptimaeSchema = z
  .object({
    optimae: z.string(),
    experimentId: z.string(),
    roundNumber: z.number().int(),
    domain: z.string(),
    optimizer: z.string(),
    reported: Fixed,
    verified: Fixed,
    previousBest: Fixed,
    increment: Fixed,
    timeToResultSeconds: z.number().int(),
    optimizationConfigHash: z.string(),
    dataHash: z.string(),
    acceptTx: z.string(),
    height: z.number().int(),
    txIndex: z.number().int(),
    timestamp: z.number().int(),
    blockHash: z.string(),
  })
  .openapi("AcceptedOptimae");

const FractionOfOptimum = z.string().nullable().openapi({ description: "verified ÷ the domain's optimum, fixed-point (10^6 = the optimum); null when the domain declares no optimum" });

const BestSchema = z
  .object({ verified: Fixed, fractionOfOptimum: FractionOfOptimum, optimae: z.string(), optimizer: z.string(), experimentId: z.string(), height: z.number().int() })
  .openapi("DomainBest");

const DomainStatsSchema = z
  .object({
    domain: z.string(),
    higherIsBetter: z.boolean(),
    optimum: Fixed.nullable().openapi({ description: "the best performance any model can reach on the domain's data, when the domain's rules declare it" }),
    acceptedOptimae: z.number().int(),
    experiments: z.number().int(),
    best: BestSchema.nullable(),
    latestMetrics: ChainMetricSchema.nullable(),
  })
  .openapi("DomainStats");

export const StatsSchema = z
  .object({
    height: z.number().int().nullable(),
    tip: z.string().nullable(),
    tipTimestamp: z.number().int().nullable(),
    blocks: z.number().int(),
    transactions: z.number().int(),
    acceptedOptimae: z.number().int(),
    experiments: z.number().int(),
    cumulativeWork: Fixed,
    threshold: Fixed,
    supply: z.string(),
    domains: z.array(DomainStatsSchema),
  })
  .openapi("Stats");

export const ExperimentSummarySchema = z
  .object({
    experimentId: z.string(),
    domain: z.string(),
    optimizer: z.string(),
    rounds: z.number().int().openapi({ description: "accepted optimae of the experiment" }),
    lastRoundNumber: z.number().int(),
    firstHeight: z.number().int(),
    lastHeight: z.number().int(),
    firstTimestamp: z.number().int(),
    lastTimestamp: z.number().int(),
    bestVerified: Fixed,
    bestOptimae: z.string(),
    totalIncrement: Fixed,
  })
  .openapi("ExperimentSummary");

// (not `as const`: readonly response maps lose their error statuses in zod-openapi's handler types)
const errors = {
  400: { description: "Malformed query", content: { "application/json": { schema: ErrorSchema } } },
};
const notFound = { 404: { description: "Unknown domain", content: { "application/json": { schema: ErrorSchema } } } };

// ---------------------------------------------------------------------------
// rows

type ExperimentRow = typeof experiments.$inferSelect;
type MetricRow = typeof chainMetrics.$inferSelect;

function acceptedOptimae(r: ExperimentRow): z.infer<typeof AcceptedOptimaeSchema> {
  return {
    optimae: r.optimae,
    experimentId: r.experimentId,
    roundNumber: r.roundNumber,
    domain: r.domain,
    optimizer: r.optimizer,
    reported: r.reported,
    verified: r.verified,
    previousBest: r.previousBest,
    increment: r.increment,
    timeToResultSeconds: r.timeToResultSeconds,
    optimizationConfigHash: r.optimizationConfigHash,
    dataHash: r.dataHash,
    acceptTx: r.acceptTx,
    height: r.height,
    txIndex: r.txIdx,
    timestamp: r.timestamp,
    blockHash: r.blockHash,
  };
}

function chainMetric(r: MetricRow): z.infer<typeof ChainMetricSchema> {
  return {
    domain: r.domain,
    height: r.height,
    blockHash: r.blockHash,
    timestamp: r.timestamp,
    champion: r.champion,
    championOptimae: r.championOptimae,
    threshold: r.threshold,
    work: r.work,
    domainWork: r.domainWork,
    cumulativeWork: r.cumulativeWork,
    supply: r.supply,
    accepted: r.accepted,
  };
}

/** Raw chain_metrics row (snake_case, from a hand-written query) → API shape. */
function chainMetricRaw(r: Record<string, unknown>): z.infer<typeof ChainMetricSchema> {
  return {
    domain: r["domain"] as string,
    height: r["height"] as number,
    blockHash: r["block_hash"] as string,
    timestamp: r["timestamp"] as number,
    champion: r["champion"] as string,
    championOptimae: (r["champion_optimae"] as string | null) ?? null,
    threshold: r["threshold"] as string,
    work: r["work"] as string,
    domainWork: r["domain_work"] as string,
    cumulativeWork: r["cumulative_work"] as string,
    supply: r["supply"] as string,
    accepted: r["accepted"] as number,
  };
}

// ---------------------------------------------------------------------------
// export

/** Export columns, in order (CSV header = these names; NDJSON objects use them as keys). */
export const EXPORT_COLUMNS = [
  "experiment_id",
  "round_number",
  "optimae",
  "domain",
  "optimizer",
  "reported",
  "verified",
  "previous_best",
  "increment",
  "reported_fixed",
  "verified_fixed",
  "previous_best_fixed",
  "increment_fixed",
  "time_to_result_seconds",
  "optimization_config_hash",
  "data_hash",
  "accept_tx",
  "height",
  "tx_index",
  "timestamp_ms",
  "timestamp_utc",
  "block_hash",
  "fraction_of_optimum",
] as const;

type ExportRecord = Record<(typeof EXPORT_COLUMNS)[number], string | number>;

/** Rows per D1 page while streaming an export. */
export const EXPORT_PAGE = 500;

/** Exact decimal of a Fixed (micro-units) decimal string: "-417123456" → "-417.123456". */
export function fixedDecimal(text: string): string {
  return scaledDecimal(text, 6);
}

/** `verified` as a fraction of `optimum`, fixed-point (10⁶ = the optimum, truncated); null without an optimum. */
export function fractionOfOptimum(verified: string, optimum: bigint | undefined): string | null {
  if (optimum === undefined || optimum === 0n) return null;
  return ((BigInt(verified) * 1_000_000n) / optimum).toString();
}

function exportRecord(r: ExperimentRow, optimum: bigint | undefined): ExportRecord {
  const fraction = fractionOfOptimum(r.verified, optimum);
  return {
    experiment_id: r.experimentId,
    round_number: r.roundNumber,
    optimae: r.optimae,
    domain: r.domain,
    optimizer: r.optimizer,
    reported: fixedDecimal(r.reported),
    verified: fixedDecimal(r.verified),
    previous_best: fixedDecimal(r.previousBest),
    increment: fixedDecimal(r.increment),
    reported_fixed: r.reported,
    verified_fixed: r.verified,
    previous_best_fixed: r.previousBest,
    increment_fixed: r.increment,
    time_to_result_seconds: r.timeToResultSeconds,
    optimization_config_hash: r.optimizationConfigHash,
    data_hash: r.dataHash,
    accept_tx: r.acceptTx,
    height: r.height,
    tx_index: r.txIdx,
    timestamp_ms: r.timestamp,
    timestamp_utc: new Date(r.timestamp).toISOString(),
    block_hash: r.blockHash,
    fraction_of_optimum: fraction === null ? "" : fixedDecimal(fraction),
  };
}

/** One CSV field, RFC 4180: quoted when it holds a comma, a double quote, CR or LF (quotes doubled). */
export function csvField(value: string | number): string {
  const s = String(value);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

const csvLine = (fields: readonly (string | number)[]): string => `${fields.map(csvField).join(",")}\r\n`;

/**
 * The canonical experiment history in chain order (height, position in the
 * block), paged through D1 by that key, EXPORT_PAGE rows per query, as the
 * consumer reads.
 */
function exportStream(db: D1Database, format: "csv" | "ndjson", domain: string | undefined, optima: ReadonlyMap<string, bigint>): ReadableStream<Uint8Array> {
  const d = drizzle(db);
  const encoder = new TextEncoder();
  let cursor: { height: number; txIdx: number } | null = null;
  let headerSent = false;
  let done = false;
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        let text = "";
        if (!headerSent && format === "csv") text += csvLine(EXPORT_COLUMNS);
        headerSent = true;
        if (!done) {
          const conditions: SQL[] = [eq(experiments.canonical, 1)];
          if (domain !== undefined) conditions.push(eq(experiments.domain, domain));
          if (cursor !== null) {
            conditions.push(
              or(gt(experiments.height, cursor.height), and(eq(experiments.height, cursor.height), gt(experiments.txIdx, cursor.txIdx))) as SQL,
            );
          }
          const rows = await d
            .select()
            .from(experiments)
            .where(and(...conditions))
            .orderBy(asc(experiments.height), asc(experiments.txIdx))
            .limit(EXPORT_PAGE);
          for (const r of rows) {
            const rec = exportRecord(r, optima.get(r.domain));
            text += format === "csv" ? csvLine(EXPORT_COLUMNS.map((k) => rec[k])) : `${JSON.stringify(rec)}\n`;
          }
          const last = rows[rows.length - 1];
          if (last !== undefined) cursor = { height: last.height, txIdx: last.txIdx };
          if (rows.length < EXPORT_PAGE) done = true;
        }
        if (text.length > 0) controller.enqueue(encoder.encode(text));
        if (done) controller.close();
      },
    },
    { highWaterMark: 0 },
  );
}

// ---------------------------------------------------------------------------
// routes

export function registerStatsRoutes(app: NodeApp): void {
  app.openapi(
    createRoute({
      method: "get",
      path: "/stats",
      summary: "Chain and experiment totals, each domain's best verified result and latest metrics",
      request: { query: StatsQuery },
      responses: { 200: { description: "Statistics", content: { "application/json": { schema: StatsSchema } } }, ...errors, ...notFound },
    }),
    async (c) => {
      const { domain } = c.req.valid("query");
      const params = c.get("config").params;
      const domains = params.domains.filter((d) => domain === undefined || d.id === domain);
      if (domains.length === 0) return c.json({ code: "NOT_FOUND", message: `unknown domain ${JSON.stringify(domain)}` }, 404);
      const db = c.env.DB;
      const [totals, tip, exps, perDomain, best, latest] = await db.batch<Record<string, unknown>>([
        db.prepare(`SELECT COUNT(*) AS blocks, COALESCE(SUM(tx_count), 0) AS transactions FROM blocks WHERE canonical = 1`),
        db.prepare(`SELECT hash, height, timestamp, cumulative_work, threshold, supply FROM blocks WHERE canonical = 1 ORDER BY height DESC LIMIT 1`),
        db.prepare(`SELECT COUNT(*) AS accepted, COUNT(DISTINCT experiment_id) AS experiments FROM experiments WHERE canonical = 1`),
        db.prepare(
          `SELECT domain, COUNT(*) AS accepted, COUNT(DISTINCT experiment_id) AS experiments FROM experiments WHERE canonical = 1 GROUP BY domain`,
        ),
        // the champion sequence of a domain only improves, so its best is its last accepted optimae
        db.prepare(
          `SELECT domain, verified, optimae, optimizer, experiment_id, height FROM (
             SELECT domain, verified, optimae, optimizer, experiment_id, height,
                    ROW_NUMBER() OVER (PARTITION BY domain ORDER BY height DESC, tx_idx DESC) AS rn
             FROM experiments WHERE canonical = 1) WHERE rn = 1`,
        ),
        db.prepare(
          `SELECT m.* FROM chain_metrics m JOIN (SELECT domain, MAX(height) AS height FROM chain_metrics GROUP BY domain) x
             ON x.domain = m.domain AND x.height = m.height`,
        ),
      ]);
      const t = totals?.results[0] ?? {};
      const tipRow = tip?.results[0];
      const e = exps?.results[0] ?? {};
      const byDomain = <T>(rows: Record<string, unknown>[] | undefined, id: string, f: (r: Record<string, unknown>) => T): T | null => {
        const r = rows?.find((x) => x["domain"] === id);
        return r === undefined ? null : f(r);
      };
      return c.json(
        {
          height: tipRow === undefined ? null : (tipRow["height"] as number),
          tip: tipRow === undefined ? null : (tipRow["hash"] as string),
          tipTimestamp: tipRow === undefined ? null : (tipRow["timestamp"] as number),
          blocks: Number(t["blocks"] ?? 0),
          transactions: Number(t["transactions"] ?? 0),
          acceptedOptimae: Number(e["accepted"] ?? 0),
          experiments: Number(e["experiments"] ?? 0),
          cumulativeWork: (tipRow?.["cumulative_work"] as string | undefined) ?? "0",
          threshold: (tipRow?.["threshold"] as string | undefined) ?? params.initialThreshold.toString(),
          supply: (tipRow?.["supply"] as string | undefined) ?? "0",
          domains: domains.map((d) => ({
            domain: d.id,
            higherIsBetter: d.higherIsBetter,
            optimum: d.optimum === undefined ? null : d.optimum.toString(),
            acceptedOptimae: byDomain(perDomain?.results, d.id, (r) => Number(r["accepted"])) ?? 0,
            experiments: byDomain(perDomain?.results, d.id, (r) => Number(r["experiments"])) ?? 0,
            best: byDomain(best?.results, d.id, (r) => ({
              verified: r["verified"] as string,
              fractionOfOptimum: fractionOfOptimum(r["verified"] as string, d.optimum),
              optimae: r["optimae"] as string,
              optimizer: r["optimizer"] as string,
              experimentId: r["experiment_id"] as string,
              height: r["height"] as number,
            })),
            latestMetrics: byDomain(latest?.results, d.id, chainMetricRaw),
          })),
        },
        200,
      );
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/stats/experiments",
      summary: "One row per experiment (experiment id, domain, optimizer), most recently active first",
      request: { query: ExperimentsQuery },
      responses: {
        200: {
          description: "Experiments",
          content: { "application/json": { schema: z.object({ experiments: z.array(ExperimentSummarySchema), count: z.number().int() }).openapi("Experiments") } },
        },
        ...errors,
      },
    }),
    async (c) => {
      const q = c.req.valid("query");
      // Increments are summed as 64-bit integers (exact; real sums stay far below 9.2e12 units).
      const rows = await c.env.DB.prepare(
        `WITH e AS (
           SELECT * FROM experiments WHERE canonical = 1 AND (?1 IS NULL OR domain = ?1) AND (?2 IS NULL OR optimizer = ?2)
         ),
         agg AS (
           SELECT experiment_id, domain, optimizer, COUNT(*) AS rounds, MAX(round_number) AS last_round,
                  MIN(height) AS first_height, MAX(height) AS last_height, MIN(timestamp) AS first_ts, MAX(timestamp) AS last_ts,
                  CAST(SUM(CAST(increment AS INTEGER)) AS TEXT) AS total_increment
           FROM e GROUP BY experiment_id, domain, optimizer
         ),
         ranked AS (
           SELECT experiment_id, domain, optimizer, verified, optimae,
                  ROW_NUMBER() OVER (PARTITION BY experiment_id, domain, optimizer ORDER BY height DESC, tx_idx DESC) AS rn
           FROM e
         )
         SELECT agg.*, ranked.verified AS best_verified, ranked.optimae AS best_optimae
         FROM agg JOIN ranked ON ranked.experiment_id = agg.experiment_id AND ranked.domain = agg.domain AND ranked.optimizer = agg.optimizer
         WHERE ranked.rn = 1
         ORDER BY agg.last_height DESC, agg.experiment_id, agg.optimizer
         LIMIT ?3`,
      )
        .bind(q.domain ?? null, q.optimizer ?? null, q.limit)
        .all<Record<string, unknown>>();
      const list = rows.results.map((r) => ({
        experimentId: r["experiment_id"] as string,
        domain: r["domain"] as string,
        optimizer: r["optimizer"] as string,
        rounds: r["rounds"] as number,
        lastRoundNumber: r["last_round"] as number,
        firstHeight: r["first_height"] as number,
        lastHeight: r["last_height"] as number,
        firstTimestamp: r["first_ts"] as number,
        lastTimestamp: r["last_ts"] as number,
        bestVerified: r["best_verified"] as string,
        bestOptimae: r["best_optimae"] as string,
        totalIncrement: r["total_increment"] as string,
      }));
      return c.json({ experiments: list, count: list.length }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/stats/rounds",
      summary: "The accepted optimae of one experiment, in round order",
      request: { query: RoundsQuery },
      responses: {
        200: {
          description: "Rounds",
          content: {
            "application/json": {
              schema: z.object({ experimentId: z.string(), rounds: z.array(AcceptedOptimaeSchema), count: z.number().int() }).openapi("ExperimentRounds"),
            },
          },
        },
        ...errors,
      },
    }),
    async (c) => {
      const q = c.req.valid("query");
      const conditions: SQL[] = [eq(experiments.experimentId, q.experiment_id), eq(experiments.canonical, 1)];
      if (q.optimizer !== undefined) conditions.push(eq(experiments.optimizer, q.optimizer));
      const rows = await drizzle(c.env.DB)
        .select()
        .from(experiments)
        .where(and(...conditions))
        .orderBy(asc(experiments.roundNumber), asc(experiments.height), asc(experiments.txIdx))
        .limit(q.limit);
      return c.json({ experimentId: q.experiment_id, rounds: rows.map(acceptedOptimae), count: rows.length }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/stats/chain-metrics",
      summary: "A domain's champion and the chain's threshold, work and supply, block by block (heights from..to)",
      request: { query: MetricsQuery },
      responses: {
        200: {
          description: "Metrics in height order",
          content: {
            "application/json": {
              schema: z.object({ domainId: z.string(), metrics: z.array(ChainMetricSchema), count: z.number().int() }).openapi("ChainMetrics"),
            },
          },
        },
        ...errors,
        ...notFound,
      },
    }),
    async (c) => {
      const q = c.req.valid("query");
      if (q.from !== undefined && q.to !== undefined && q.to < q.from) return c.json({ code: "MALFORMED", message: "to must not be below from" }, 400);
      if (!c.get("config").params.domains.some((d) => d.id === q.domain_id)) {
        return c.json({ code: "NOT_FOUND", message: `unknown domain ${JSON.stringify(q.domain_id)}` }, 404);
      }
      const conditions: SQL[] = [eq(chainMetrics.domain, q.domain_id)];
      if (q.from !== undefined) conditions.push(gte(chainMetrics.height, q.from));
      if (q.to !== undefined) conditions.push(lte(chainMetrics.height, q.to));
      const rows = await drizzle(c.env.DB)
        .select()
        .from(chainMetrics)
        .where(and(...conditions))
        .orderBy(asc(chainMetrics.height))
        .limit(q.limit);
      return c.json({ domainId: q.domain_id, metrics: rows.map(chainMetric), count: rows.length }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/stats/export",
      summary: "The whole accepted-optimae history, streamed as CSV (RFC 4180, header row) or NDJSON",
      request: { query: ExportQuery },
      responses: {
        200: {
          description: `Columns: ${EXPORT_COLUMNS.join(", ")}`,
          content: { "text/csv": { schema: z.string() }, "application/x-ndjson": { schema: z.string() } },
        },
        ...errors,
      },
    }),
    (c) => {
      const q = c.req.valid("query");
      const name = `doin-experiments${q.domain === undefined ? "" : `-${q.domain}`}.${q.format === "csv" ? "csv" : "ndjson"}`;
      const optima = new Map(c.get("config").params.domains.flatMap((d) => (d.optimum === undefined ? [] : [[d.id, d.optimum] as const])));
      return new Response(exportStream(c.env.DB, q.format, q.domain, optima), {
        status: 200,
        headers: {
          "content-type": q.format === "csv" ? "text/csv; charset=utf-8; header=present" : "application/x-ndjson; charset=utf-8",
          "content-disposition": `attachment; filename="${name}"`,
          "cache-control": "no-store",
        },
      });
    },
  );
}
