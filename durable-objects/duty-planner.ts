/**
 * The duty planner: what a domain's QuorumDO does on one sync, decided from
 * what the chain says about this node (ChainDO.dutiesFor, read off the head
 * by dutiesView below), the node's own
 * optimae and the duties it has already queued. Pure: no platform, no I/O,
 * no clock; QuorumDO reads the inputs, runs the actions in their order and
 * records a stage change only when its transaction was taken.
 *
 * The rules, in the order of the actions:
 * 1. a voting round that selected this node, which it has not voted in, not
 *    past its deadline and not queued yet → an `evaluate` job (with the
 *    node's own evaluator seed);
 * 2. each own optimae not yet done or failed: given up (failed) once it made
 *    no progress for `voteWindowBlocks + 10` blocks; its commit on chain and
 *    seedDelayBlocks old (its quorum seed exists in the next block) → the
 *    reveal; its round accepted → the accept; claimed → done; rejected or
 *    expired → failed;
 * 3. fewer than MAX_IN_FLIGHT own optimae in flight in an optimizing domain →
 *    keep an optimize job queued;
 * 4. any round voting, or an own optimae in flight → ask the mempool to keep
 *    blocks coming (rounds wait for heights);
 * 5. forget duties whose deadline is more than a vote window behind.
 */
import { evaluatorSeed } from "../core/quorum.ts";
import type { ChainState, JsonValue } from "../core/types.ts";
import type { JobSpec } from "../protocol/jobs.ts";
import type { DutiesView } from "./rpc.ts";

/** Own optimae between commit and verdict at once. */
export const MAX_IN_FLIGHT = 2;
/** Blocks beyond the vote window an own optimae may spend in one stage before it is given up. */
export const PATIENCE_MARGIN_BLOCKS = 10;

export type OwnStage = "committing" | "revealing" | "voting" | "accepting" | "done" | "failed";

/** An optimae of this node, from its optimize result to its accept (QuorumDO keeps it). */
export interface OwnOptimae {
  readonly commitment: string;
  readonly params: JsonValue;
  readonly salt: string;
  readonly reported: string;
  readonly experiment: { experimentId: string; roundNumber: number; timeToResultSeconds: number; optimizationConfigHash: string; dataHash: string };
  readonly stage: OwnStage;
  readonly commitId: string | null;
  readonly optimae: string | null;
  /** chain height when the optimae entered its current stage (stuck ones are given up) */
  readonly since?: number;
}

export interface PlanInput {
  /** the node's address */
  readonly me: string;
  /** the domain of this QuorumDO */
  readonly domain: string;
  /** ChainDO.dutiesFor(me, domain) */
  readonly view: DutiesView;
  /** the node's own optimae in this domain, as stored */
  readonly own: readonly OwnOptimae[];
  /** optimae whose evaluation is already queued or voted */
  readonly queued: ReadonlySet<string>;
  readonly params: { readonly seedDelayBlocks: number; readonly voteWindowBlocks: number };
  /** this node optimizes in this domain (OPTIMIZE_DOMAINS) */
  readonly optimizing: boolean;
}

export type DutyAction =
  /** enqueue the job; on success record the duty (optimae, deadline) as evaluating */
  | { readonly kind: "evaluate"; readonly optimae: string; readonly deadline: number; readonly spec: JobSpec }
  /** store the record as it is (no transaction involved) */
  | { readonly kind: "save"; readonly own: OwnOptimae }
  /** submit the reveal; on success store `next` with `optimae` set to the reveal's id */
  | { readonly kind: "reveal"; readonly tx: { readonly commit: string; readonly params: JsonValue; readonly salt: string; readonly reported: string }; readonly next: OwnOptimae }
  /** submit the accept; on success store `next` */
  | { readonly kind: "accept"; readonly tx: { readonly optimae: string } & OwnOptimae["experiment"]; readonly next: OwnOptimae }
  /** keep one optimize job queued for the node's runners */
  | { readonly kind: "optimize" }
  /** liveness: ask the mempool for carrier blocks for a while */
  | { readonly kind: "keepBlocksComing" }
  /** delete duties whose deadline is below this height */
  | { readonly kind: "forgetBelow"; readonly height: number };

function settled(stage: OwnStage): boolean {
  return stage === "done" || stage === "failed";
}

/** The evaluate job of a round that selected `me`: its id is stable, so a job queued twice is queued once. */
export function evaluateSpec(me: string, domain: string, round: DutiesView["evaluate"][number]): JobSpec {
  const seed = evaluatorSeed(round.commit, me, round.beacon);
  return {
    id: `evaluate:${round.optimae}:${me}`,
    kind: "evaluate",
    domain,
    payload: { optimae: round.optimae, params: round.params, reported: round.reported, seed: seed.seed, seed32: seed.seed32, deadline: round.deadline },
    priority: 0,
    notify: "quorum",
  };
}

/**
 * ChainDO.dutiesFor's answer, read off a state (the head): the voting rounds of `domain` that selected
 * `address` and lack its vote, its open commits and its rounds there, and how many rounds vote in all.
 */
export function dutiesView(state: Pick<ChainState, "height" | "rounds" | "commits">, address: string, domain: string): DutiesView {
  const evaluate: DutiesView["evaluate"][number][] = [];
  const rounds: DutiesView["rounds"][number][] = [];
  let openRounds = 0;
  for (const r of state.rounds.values()) {
    if (r.status === "voting") openRounds++;
    if (r.domain !== domain) continue;
    if (r.optimizer === address) rounds.push({ optimae: r.optimae, commit: r.commit, status: r.status });
    if (r.status === "voting" && r.quorum.includes(address) && !r.votes.some((v) => v.evaluator === address)) {
      evaluate.push({ optimae: r.optimae, commit: r.commit, beacon: r.beacon, params: r.params, reported: r.reported.toString(), deadline: r.deadline });
    }
  }
  const commits = [...state.commits.values()].filter((c) => c.domain === domain && c.optimizer === address).map((c) => ({ id: c.id, commitment: c.commitment, height: c.height }));
  return { height: state.height, evaluate, commits, rounds, openRounds };
}

/** One sync's actions, in the order QuorumDO runs them. */
export function planDuties(input: PlanInput): DutyAction[] {
  const { me, domain, view, params } = input;
  const height = view.height;
  const actions: DutyAction[] = [];

  // 1. rounds where this node must evaluate
  for (const r of view.evaluate) {
    if (height > r.deadline || input.queued.has(r.optimae)) continue;
    actions.push({ kind: "evaluate", optimae: r.optimae, deadline: r.deadline, spec: evaluateSpec(me, domain, r) });
  }

  // 2. the node's own optimae; `after` is each record as it stands once the unconditional saves are done
  //    (a reveal or accept that fails leaves its stage as it was, and neither settles an optimae)
  const patience = params.voteWindowBlocks + PATIENCE_MARGIN_BLOCKS;
  const after: OwnOptimae[] = [];
  for (const stored of input.own) {
    let own = stored;
    if (!settled(own.stage)) {
      if (own.since === undefined) {
        own = { ...own, since: height };
        actions.push({ kind: "save", own });
      } else if (height > own.since + patience) {
        own = { ...own, stage: "failed" };
        actions.push({ kind: "save", own });
        after.push(own);
        continue;
      }
    }
    if (own.stage === "committing" || own.stage === "revealing") {
      const c = view.commits.find((x) => x.commitment === own.commitment);
      if (c !== undefined && height + 1 > c.height + params.seedDelayBlocks) {
        actions.push({
          kind: "reveal",
          tx: { commit: c.id, params: own.params, salt: own.salt, reported: own.reported },
          next: { ...own, stage: "voting", commitId: c.id, since: height },
        });
      }
    } else if (own.stage === "voting" || own.stage === "accepting") {
      const r = view.rounds.find((x) => x.optimae === own.optimae);
      if (r !== undefined) {
        if (r.status === "accepted" && own.stage === "voting") {
          actions.push({ kind: "accept", tx: { optimae: r.optimae, ...own.experiment }, next: { ...own, stage: "accepting", since: height } });
        } else if (r.status === "claimed") {
          own = { ...own, stage: "done" };
          actions.push({ kind: "save", own });
        } else if (r.status === "rejected" || r.status === "expired") {
          own = { ...own, stage: "failed" };
          actions.push({ kind: "save", own });
        }
      }
    }
    after.push(own);
  }
  const inFlight = after.filter((o) => !settled(o.stage)).length;

  // 3. an optimize job waiting for this node's runners (at most MAX_IN_FLIGHT own optimae in flight)
  if (input.optimizing && inFlight < MAX_IN_FLIGHT) actions.push({ kind: "optimize" });

  // 4. liveness: open rounds need blocks for their deadlines to pass even when nobody sends a transaction
  if (view.openRounds > 0 || inFlight > 0) actions.push({ kind: "keepBlocksComing" });

  // 5. duties past their deadline
  actions.push({ kind: "forgetBelow", height: height - params.voteWindowBlocks });
  return actions;
}
