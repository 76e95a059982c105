/**
 * QuorumDO, one per domain: this node's part in each round of the domain.
 *
 * The chain decides everything (who is selected, the verdict); this object
 * turns the chain's rounds into this node's duties and keeps them across
 * restarts:
 * - a round in which this node was selected → an `evaluate` job for its
 *   runners, with the node's own evaluator seed;
 * - an evaluation result → the node's signed vote;
 * - an `optimize` result → a signed commit (params, salt and claim kept here);
 * - its commit on chain → the reveal; its round accepted → the accept.
 * Each sync asks the chain one question (ChainDO.dutiesFor: only what
 * concerns this node in this domain) and lets duty-planner.ts, pure and
 * unit-tested, decide; this object runs the actions. Deadlines are driven by
 * the alarm, which also asks the chain so that a missed notification only
 * delays a duty, never loses it.
 */
import { DurableObject } from "cloudflare:workers";
import { bytesToHex } from "../core/hex.ts";
import { improvement } from "../core/state-transition.ts";
import { computeCommitment, paramsHash } from "../core/tx.ts";
import type { JsonValue } from "../core/types.ts";
import { nodeConfig, type NodeConfig } from "./config.ts";
import { parseJobResult, type EvaluateResult, type Job, type OptimizeResult } from "../protocol/jobs.ts";
import { planDuties, type OwnOptimae } from "./duty-planner.ts";
import { chainOf, mempoolOf, tasksOf } from "./stubs.ts";

/** How often the alarm polls the chain for new duties. */
const POLL_MS = 2_000;
/** How long one liveness request keeps the mempool producing carrier blocks (renewed by every sync while rounds wait). */
const LIVENESS_MS = 3 * POLL_MS;

export class QuorumDO extends DurableObject<Env> {
  private readonly config: NodeConfig;
  private readonly sql: SqlStorage;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.config = nodeConfig(env);
    this.sql = ctx.storage.sql;
    this.sql.exec(`CREATE TABLE IF NOT EXISTS duties (optimae TEXT PRIMARY KEY, deadline INTEGER NOT NULL, state TEXT NOT NULL)`);
    this.sql.exec(`CREATE TABLE IF NOT EXISTS own (commitment TEXT PRIMARY KEY, data TEXT NOT NULL)`);
    // params this node committed to: the chain takes a set of params from its first revealer only
    this.sql.exec(`CREATE TABLE IF NOT EXISTS own_params (hash TEXT PRIMARY KEY)`);
    this.sql.exec(`CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)`);
  }

  private get chain() {
    return chainOf(this.env);
  }

  private get mempool() {
    return mempoolOf(this.env);
  }

  private get tasks() {
    return tasksOf(this.env);
  }

  /**
   * Called when the chain moved (and by the alarm): one question to the chain (this node's duties in the
   * domain), the plan (duty-planner.ts), and its actions in order; a stage change is recorded only when
   * the transaction behind it was taken.
   */
  async sync(): Promise<{ evaluations: number; reveals: number; accepts: number }> {
    const me = this.config.nodeAddress;
    const domain = this.domain();
    const view = await this.chain.dutiesFor(me, domain);
    const queued = new Set(
      this.sql
        .exec<{ optimae: string }>(`SELECT optimae FROM duties`)
        .toArray()
        .map((r) => r.optimae),
    );
    const actions = planDuties({
      me,
      domain,
      view,
      own: this.ownOptimae(),
      queued,
      params: this.config.params,
      optimizing: this.config.optimizeDomains.includes(domain),
    });
    let evaluations = 0;
    let reveals = 0;
    let accepts = 0;
    for (const a of actions) {
      switch (a.kind) {
        case "evaluate": {
          const enqueued = await this.tasks.enqueue(a.spec);
          if (!enqueued.ok) break;
          this.sql.exec(`INSERT OR IGNORE INTO duties (optimae, deadline, state) VALUES (?, ?, 'evaluating')`, a.optimae, a.deadline);
          evaluations++;
          break;
        }
        case "save":
          this.saveOwn(a.own);
          break;
        case "reveal": {
          const sent = await this.mempool.submitOwn("reveal", a.tx);
          if (!sent.ok) break;
          this.saveOwn({ ...a.next, optimae: sent.value.id });
          reveals++;
          break;
        }
        case "accept": {
          const sent = await this.mempool.submitOwn("accept", a.tx);
          if (!sent.ok) break;
          this.saveOwn(a.next);
          accepts++;
          break;
        }
        case "optimize":
          await this.ensureOptimizeJob(domain);
          break;
        case "keepBlocksComing":
          await this.mempool.keepBlocksComing(LIVENESS_MS);
          break;
        case "forgetBelow":
          this.sql.exec(`DELETE FROM duties WHERE deadline < ?`, a.height);
          break;
      }
    }
    await this.arm();
    return { evaluations, reveals, accepts };
  }

  /** One optimize job queued (the planner asks only while fewer than MAX_IN_FLIGHT own optimae are in flight). */
  private async ensureOptimizeJob(domain: string): Promise<void> {
    const current = this.sql.exec<{ value: string }>(`SELECT value FROM meta WHERE key = 'optimize_job'`).toArray()[0]?.value;
    if (current !== undefined) {
      const job = await this.tasks.get(current);
      if (job.ok && (job.value.status === "pending" || job.value.status === "leased")) return;
    }
    const round = Number(this.sql.exec<{ value: string }>(`SELECT value FROM meta WHERE key = 'optimize_round'`).toArray()[0]?.value ?? "0") + 1;
    const id = `optimize:${domain}:${this.config.nodeAddress}:${round}`;
    const queued = await this.tasks.enqueue({ id, kind: "optimize", domain, payload: { domain, round }, priority: 10, notify: "quorum" });
    if (!queued.ok) return;
    this.sql.exec(`INSERT OR REPLACE INTO meta (key, value) VALUES ('optimize_job', ?)`, id);
    this.sql.exec(`INSERT OR REPLACE INTO meta (key, value) VALUES ('optimize_round', ?)`, String(round));
  }

  /**
   * Results of this node's runners (delivered by TaskDO, at least once: idempotent).
   * TaskDO took them only if they fit their kind's schema; a result that does
   * not (stored before the check existed) is dropped here with a warning.
   */
  async onJobResult(job: Job): Promise<void> {
    this.setDomain(job.domain);
    if (job.kind === "inference") return;
    const maxParamsBytes = this.config.params.domains.find((d) => d.id === job.domain)?.maxParamsBytes;
    const checked = parseJobResult(job.kind, job.result, { maxParamsBytes });
    if (!checked.ok) {
      console.warn(`job ${job.id}: ${job.kind} result ignored: ${checked.message}`);
      return;
    }
    if (job.kind === "evaluate") {
      const result = checked.result as EvaluateResult;
      const payload = job.payload as { optimae: string };
      const duty = this.sql.exec<{ state: string }>(`SELECT state FROM duties WHERE optimae = ?`, payload.optimae).toArray()[0];
      if (duty?.state === "voted") return;
      const sent = await this.mempool.submitOwn("vote", { optimae: payload.optimae, performance: result.performance, dataHash: result.dataHash });
      if (sent.ok || sent.code === "ALREADY_KNOWN") {
        this.sql.exec(`INSERT OR REPLACE INTO duties (optimae, deadline, state) VALUES (?, COALESCE((SELECT deadline FROM duties WHERE optimae = ?), 0), 'voted')`, payload.optimae, payload.optimae);
      }
    } else {
      const result = checked.result as OptimizeResult;
      // Only a claim that beats the champion by the domain's ε can ever be accepted: commit nothing else.
      const domain = this.config.params.domains.find((d) => d.id === job.domain);
      const champions = await this.chain.champions();
      const champion = champions.find((c) => c.domain === job.domain);
      const reported = BigInt(result.reported);
      if (domain !== undefined && champion !== undefined) {
        if (improvement(domain, BigInt(champion.performance), reported) < domain.epsilon) {
          await this.arm();
          return;
        }
      }
      await this.commitOptimae(result as Record<string, JsonValue>);
    }
  }

  /** Commits an optimize result: the params, salt and claim stay here until the reveal. */
  async commitOptimae(result: Record<string, JsonValue>): Promise<{ commitment: string } | null> {
    const domain = this.domain();
    const params = result["params"] as JsonValue;
    const reported = BigInt(String(result["reported"]));
    const salt = bytesToHex(crypto.getRandomValues(new Uint8Array(16)));
    // A runner that finds nothing better hands back its best again: committing those params a second time
    // would end in DUPLICATE_PARAMS at the reveal and burn the bond.
    const hash = paramsHash(params);
    if (this.sql.exec(`SELECT 1 FROM own_params WHERE hash = ?`, hash).toArray().length > 0) {
      await this.arm();
      return null;
    }
    const commitment = computeCommitment({ domain, params, salt, reported, optimizer: this.config.nodeKey });
    const own: OwnOptimae = {
      commitment,
      params,
      salt,
      reported: reported.toString(),
      experiment: {
        experimentId: String(result["experimentId"] ?? "default"),
        roundNumber: Number(result["roundNumber"] ?? 0),
        timeToResultSeconds: Number(result["timeToResultSeconds"] ?? 0),
        optimizationConfigHash: String(result["optimizationConfigHash"] ?? "0".repeat(64)),
        dataHash: String(result["dataHash"] ?? "0".repeat(64)),
      },
      stage: "committing",
      commitId: null,
      optimae: null,
    };
    // Stored before it is sent: a crash between the two re-sends, never loses the salt.
    this.saveOwn(own);
    this.sql.exec(`INSERT OR IGNORE INTO own_params (hash) VALUES (?)`, hash);
    const sent = await this.mempool.submitOwn("commit", { domain, commitment });
    if (sent.ok) this.saveOwn({ ...own, stage: "revealing", commitId: sent.value.id });
    await this.arm();
    return { commitment };
  }

  ownOptimae(): OwnOptimae[] {
    return this.sql
      .exec<{ data: string }>(`SELECT data FROM own`)
      .toArray()
      .map((r) => JSON.parse(r.data) as OwnOptimae);
  }

  duties(): { optimae: string; deadline: number; state: string }[] {
    return this.sql.exec<{ optimae: string; deadline: number; state: string }>(`SELECT optimae, deadline, state FROM duties`).toArray();
  }

  private saveOwn(own: OwnOptimae): void {
    this.sql.exec(`INSERT OR REPLACE INTO own (commitment, data) VALUES (?, ?)`, own.commitment, JSON.stringify(own));
  }

  /** The domain this instance serves (its name), remembered on first use. */
  private domain(): string {
    const row = this.sql.exec<{ value: string }>(`SELECT value FROM meta WHERE key = 'domain'`).toArray()[0];
    if (row === undefined) throw new Error("QuorumDO used before setDomain");
    return row.value;
  }

  /** Binds this instance to its domain (idFromName(domain) → setDomain(domain)). */
  setDomain(domain: string): void {
    this.sql.exec(`INSERT OR IGNORE INTO meta (key, value) VALUES ('domain', ?)`, domain);
  }

  private async arm(): Promise<void> {
    const optimizing = this.config.optimizeDomains.includes(this.domain());
    const pending =
      optimizing || this.sql.exec(`SELECT 1 FROM duties WHERE state = 'evaluating' LIMIT 1`).toArray().length > 0 || this.ownOptimae().some((o) => o.stage !== "done" && o.stage !== "failed");
    if (pending && (await this.ctx.storage.getAlarm()) === null) await this.ctx.storage.setAlarm(Date.now() + POLL_MS);
  }

  override async alarm(): Promise<void> {
    try {
      await this.sync();
    } catch (e) {
      console.warn("quorum sync failed, retrying", e instanceof Error ? e.message : e);
      await this.ctx.storage.setAlarm(Date.now() + POLL_MS);
    }
  }
}
