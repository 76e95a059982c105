/**
 * A simulated node's part in the optimae rounds, after the QuorumDO and a
 * runner, on the quadratic domain with its real plugin (the random-step
 * optimizer, the evaluator's synthetic data from its seed, the real score):
 * - a round in which the node was selected: after `evaluateMs` (a runner's
 *   turnaround) it scores the params on its own seed's data and votes;
 * - an optimizer node runs one optimizer round every `optimizeEveryMs` (at
 *   most two own optimae in flight); a claim that beats the champion by ε
 *   is committed, revealed once the quorum seed exists, accepted once
 *   verified; one that makes no progress for a vote window is given up.
 */
import { evaluatorSeed } from "../core/quorum.ts";
import { improvement } from "../core/state-transition.ts";
import { computeCommitment } from "../core/tx.ts";
import type { Address, ChainParams, ChainState, Hash, JsonValue, PublicKeyHex, TxBodies, TxKind } from "../core/types.ts";
import quadratic from "../plugins/quadratic/index.ts";
import { deriveSeed } from "../plugins/rng.ts";
import { fromFixed, toFixed, type ChampionView } from "../plugins/sdk.ts";

const DOMAIN = "quadratic";
/** Own optimae between commit and verdict at once (as the QuorumDO). */
const MAX_IN_FLIGHT = 2;
/** Evaluations an optimizer round may spend. */
const ROUND_BUDGET = 10;

export interface DutyHost {
  readonly address: Address;
  readonly publicKey: PublicKeyHex;
  readonly params: ChainParams;
  head(): ChainState;
  /** signs and submits one of this node's transactions (to its mempool and the network) */
  submitOwn<K extends TxKind>(kind: K, body: TxBodies[K]): Promise<Hash | null>;
  /** runs `fn` after `ms` of simulated time */
  later(ms: number, fn: () => void | Promise<void>): void;
}

interface OwnOptimae {
  readonly commitment: Hash;
  readonly params: JsonValue;
  readonly salt: string;
  readonly reported: bigint;
  stage: "revealing" | "voting" | "accepting" | "done" | "failed";
  optimae: Hash | null;
  since: number;
}

export interface DutyCounts {
  commits: number;
  reveals: number;
  votes: number;
  accepts: number;
}

export class Duties {
  private readonly own: OwnOptimae[] = [];
  private readonly evaluating = new Set<Hash>();
  /** params this node committed (a round that finds nothing better returns the island's best again: a second reveal of it would be DUPLICATE_PARAMS) */
  private readonly committed = new Set<string>();
  private local: ChampionView | null = null;
  private rounds = 0;
  readonly counts: DutyCounts = { commits: 0, reveals: 0, votes: 0, accepts: 0 };

  constructor(
    private readonly host: DutyHost,
    private readonly opts: { readonly evaluateMs: number; readonly seed: number },
  ) {}

  /** Open rounds or own optimae in flight: blocks are needed even without transactions (the QuorumDO's liveness rule). */
  waiting(head: ChainState): boolean {
    for (const r of head.rounds.values()) if (r.status === "voting") return true;
    return this.inFlight() > 0;
  }

  private inFlight(): number {
    return this.own.filter((o) => o.stage !== "done" && o.stage !== "failed").length;
  }

  /** The head moved: evaluations this node was selected for, its own optimae's next steps. */
  headMoved(head: ChainState): void {
    const me = this.host.address;
    for (const r of head.rounds.values()) {
      if (r.status !== "voting" || head.height > r.deadline || this.evaluating.has(r.optimae) || !r.quorum.includes(me)) continue;
      if (r.votes.some((v) => v.evaluator === me)) continue;
      this.evaluating.add(r.optimae);
      const seed = evaluatorSeed(r.commit, me, r.beacon).seed32;
      this.host.later(this.opts.evaluateMs, async () => {
        const data = await quadratic.synthetic.generate(seed, {});
        const score = await quadratic.inference.evaluate(r.params, data);
        if ((await this.host.submitOwn("vote", { optimae: r.optimae, performance: toFixed(score), dataHash: "0".repeat(64) })) !== null) this.counts.votes++;
      });
    }
    const patience = this.host.params.voteWindowBlocks + 10;
    for (const o of this.own) {
      if (o.stage === "done" || o.stage === "failed") continue;
      if (head.height > o.since + patience) {
        o.stage = "failed";
        continue;
      }
      if (o.stage === "revealing") {
        const c = [...head.commits.values()].find((x) => x.commitment === o.commitment && x.optimizer === me);
        if (c === undefined || head.height + 1 <= c.height + this.host.params.seedDelayBlocks) continue;
        o.stage = "voting";
        o.since = head.height;
        void this.host.submitOwn("reveal", { commit: c.id, params: o.params, salt: o.salt, reported: o.reported }).then((id) => {
          o.optimae = id;
          if (id === null) o.stage = "failed";
          else this.counts.reveals++;
        });
      } else if (o.optimae !== null) {
        const r = head.rounds.get(o.optimae);
        if (r === undefined) continue;
        if (r.status === "accepted" && o.stage === "voting") {
          o.stage = "accepting";
          o.since = head.height;
          const experiment = { experimentId: "sim", roundNumber: this.rounds, timeToResultSeconds: 1, optimizationConfigHash: "0".repeat(64), dataHash: "0".repeat(64) };
          void this.host.submitOwn("accept", { optimae: r.optimae, ...experiment }).then((id) => {
            if (id !== null) this.counts.accepts++;
          });
        } else if (r.status === "claimed" || r.status === "superseded") o.stage = "done";
        else if (r.status === "rejected" || r.status === "expired") o.stage = "failed";
      }
    }
  }

  /** One optimizer round from the champion (or this island's best); commits a claim that beats the champion by ε. */
  async optimize(): Promise<void> {
    if (this.inFlight() >= MAX_IN_FLIGHT) return;
    const head = this.host.head();
    const champion = head.champions.get(DOMAIN);
    const domain = this.host.params.domains.find((d) => d.id === DOMAIN);
    if (champion === undefined || domain === undefined) return;
    const onChain: ChampionView | null = champion.params === null ? null : { params: champion.params, performance: fromFixed(champion.performance) };
    const start = onChain !== null && (this.local === null || onChain.performance > this.local.performance) ? onChain : this.local;
    this.rounds++;
    const optimizer = quadratic.optimizers["random_step"];
    if (optimizer === undefined) throw new Error("the quadratic domain has no random_step optimizer");
    const out = await optimizer({}).optimize({
      champion: start === onChain ? start : null,
      local: start === onChain ? null : start,
      seed: deriveSeed(this.opts.seed, this.rounds),
      budget: ROUND_BUDGET,
      config: {},
    });
    if (this.local === null || out.performance > this.local.performance) this.local = { params: out.params, performance: out.performance };
    const reported = toFixed(out.performance);
    if (improvement(domain, champion.performance, reported) < domain.epsilon) return;
    const key = JSON.stringify(out.params);
    if (this.committed.has(key)) return;
    this.committed.add(key);
    const salt = deriveSeed(this.opts.seed, this.rounds, 1).toString(16).padStart(32, "0");
    const commitment = computeCommitment({ domain: DOMAIN, params: out.params, salt, reported, optimizer: this.host.publicKey });
    const own: OwnOptimae = { commitment, params: out.params, salt, reported, stage: "revealing", optimae: null, since: head.height };
    this.own.push(own);
    if ((await this.host.submitOwn("commit", { domain: DOMAIN, commitment })) === null) own.stage = "failed";
    else this.counts.commits++;
  }
}
