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
 * Deadlines are driven by the alarm, which also polls the chain so that a
 * missed notification only delays a duty, never loses it.
 */
import { DurableObject } from "cloudflare:workers";
import { bytesToHex } from "../core/hex.ts";
import { evaluatorSeed } from "../core/quorum.ts";
import { improvement } from "../core/state-transition.ts";
import { computeCommitment, paramsHash } from "../core/tx.ts";
import type { JsonValue } from "../core/types.ts";
import { nodeConfig, type NodeConfig } from "./config.ts";
import { parseJobResult, type EvaluateResult, type Job, type JobSpec, type OptimizeResult } from "../protocol/jobs.ts";
import { chainOf, mempoolOf, tasksOf } from "./stubs.ts";


/** How often the alarm polls the chain for new duties. */
const POLL_MS = 2_000;
/** Own optimae between commit and verdict at once. */
const MAX_IN_FLIGHT = 2;
/** How long one liveness request keeps the mempool producing carrier blocks (renewed by every sync while rounds wait). */
const LIVENESS_MS = 3 * POLL_MS;

/** An optimae of this node, from its optimize result to its accept. */
interface OwnOptimae {
  commitment: string;
  params: JsonValue;
  salt: string;
  reported: string;
  experiment: { experimentId: string; roundNumber: number; timeToResultSeconds: number; optimizationConfigHash: string; dataHash: string };
  stage: "committing" | "revealing" | "voting" | "accepting" | "done" | "failed";
  commitId: string | null;
  optimae: string | null;
  /** chain height when the optimae entered its current stage (stuck ones are given up) */
  since?: number;
}

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

  /** Called when the chain moved (and by the alarm): turns chain facts into duties. */
  async sync(): Promise<{ evaluations: number; reveals: number; accepts: number }> {
    const me = this.config.nodeAddress;
    const [rounds, commits, status] = await Promise.all([this.chain.rounds(), this.chain.commits(), this.chain.status()]);
    const domain = this.domain();
    let evaluations = 0;
    let reveals = 0;
    let accepts = 0;

    // 1. rounds where this node must evaluate
    for (const r of rounds) {
      if (r.domain !== domain || r.status !== "voting" || !r.quorum.includes(me)) continue;
      if (r.votes.some((v) => v.evaluator === me) || status.height > r.deadline) continue;
      const known = this.sql.exec(`SELECT 1 FROM duties WHERE optimae = ?`, r.optimae).toArray().length > 0;
      if (known) continue;
      const seed = evaluatorSeed(r.commit, me, r.beacon);
      const spec: JobSpec = {
        id: `evaluate:${r.optimae}:${me}`,
        kind: "evaluate",
        domain,
        payload: { optimae: r.optimae, params: r.params, reported: r.reported, seed: seed.seed, seed32: seed.seed32, deadline: r.deadline },
        priority: 0,
        notify: "quorum",
      };
      const queued = await this.tasks.enqueue(spec);
      if (!queued.ok) continue;
      this.sql.exec(`INSERT OR IGNORE INTO duties (optimae, deadline, state) VALUES (?, ?, 'evaluating')`, r.optimae, r.deadline);
      evaluations++;
    }

    // 2. this node's own optimae: reveal once the commit's quorum seed exists (seedDelayBlocks
    //    after the commit's block), accept once verified;
    //    one that makes no progress for a reveal window and two vote windows is given up
    const patience = this.config.params.voteWindowBlocks + 10;
    for (const own of this.ownOptimae()) {
      if (own.stage !== "done" && own.stage !== "failed") {
        if (own.since === undefined) this.saveOwn({ ...own, since: status.height });
        else if (status.height > own.since + patience) {
          this.saveOwn({ ...own, stage: "failed" });
          continue;
        }
      }
      if (own.stage === "committing" || own.stage === "revealing") {
        const c = commits.find((x) => x.commitment === own.commitment && x.optimizer === me);
        if (c !== undefined && status.height + 1 > c.height + this.config.params.seedDelayBlocks) {
          const sent = await this.mempool.submitOwn("reveal", { commit: c.id, params: own.params, salt: own.salt, reported: own.reported });
          if (sent.ok) {
            this.saveOwn({ ...own, stage: "voting", commitId: c.id, optimae: sent.value.id, since: status.height });
            reveals++;
          }
        }
      } else if (own.stage === "voting" || own.stage === "accepting") {
        const r = rounds.find((x) => x.optimae === own.optimae);
        if (r === undefined) continue;
        if (r.status === "accepted" && own.stage === "voting") {
          const sent = await this.mempool.submitOwn("accept", { optimae: r.optimae, ...own.experiment });
          if (sent.ok) {
            this.saveOwn({ ...own, stage: "accepting", since: status.height });
            accepts++;
          }
        } else if (r.status === "claimed") this.saveOwn({ ...own, stage: "done" });
        else if (r.status === "rejected" || r.status === "expired") this.saveOwn({ ...own, stage: "failed" });
      }
    }

    // 3. keep an optimize job waiting for this node's runners (one round at a time)
    if (this.config.optimizeDomains.includes(domain)) await this.ensureOptimizeJob(domain);

    // 4. liveness: open rounds need blocks for their deadlines to pass even when
    //    nobody sends a transaction: the mempool's alarm (the node's one block
    //    scheduler) produces empty carrier blocks in this node's turn while asked to
    const waiting = rounds.some((r) => r.status === "voting") || this.ownOptimae().some((o) => o.stage !== "done" && o.stage !== "failed");
    if (waiting) await this.mempool.keepBlocksComing(LIVENESS_MS);

    // 5. forget duties past their deadline
    this.sql.exec(`DELETE FROM duties WHERE deadline < ?`, status.height - this.config.params.voteWindowBlocks);
    await this.arm();
    return { evaluations, reveals, accepts };
  }

  /** At most MAX_IN_FLIGHT own optimae between commit and verdict, and one optimize job queued. */
  private async ensureOptimizeJob(domain: string): Promise<void> {
    const inFlight = this.ownOptimae().filter((o) => o.stage !== "done" && o.stage !== "failed").length;
    if (inFlight >= MAX_IN_FLIGHT) return;
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
    return this.sql.exec<{ data: string }>(`SELECT data FROM own`).toArray().map((r) => JSON.parse(r.data) as OwnOptimae);
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
      optimizing ||
      this.sql.exec(`SELECT 1 FROM duties WHERE state = 'evaluating' LIMIT 1`).toArray().length > 0 ||
      this.ownOptimae().some((o) => o.stage !== "done" && o.stage !== "failed");
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
