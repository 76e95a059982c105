/**
 * A Byzantine simulation of verification rounds with the real core:
 * who may evaluate (core/schedule.ts validatorSet), the quorum size and
 * selection (core/quorum.ts quorumSize, quorumSeed, selectQuorum,
 * evaluatorSeed), votes and verdicts (aggregateVotes, requiredVotes with the
 * quadratic domain's tolerance), reputation (adjustReputation, decayed by
 * block time, reputationDelta for every event, the missed vote included), and
 * honest votes measured the way a runner measures them: the quadratic
 * plugin's synthetic data from the evaluator's seed, its evaluation, and the
 * SDK's conversion to Fixed.
 *
 * One round = commit, reveal, votes and verdict at one height (rounds do not
 * overlap); height h is block time h · carrierIntervalMs. The rounds of one
 * height share their beacon, so their quorums are drawn from one ranking, as
 * the chain draws the quorums of the commits of one block. What the chain does
 * inside its state transition and this model restates: the share of the
 * eligible recently active (state-transition selectEvaluators), and what a
 * verdict does to reputation (decideRound, plus the optimizer's `accept`
 * transaction, taken to be an improvement). A test runs the same rounds
 * through the real chain and compares quorums and every account's reputation.
 *
 * The quorum size rule is a parameter (default: core's quorumSize), so the
 * reference's old rule can be measured with the same rounds; so are the
 * chain parameters (a missed-vote penalty of 0 measures the rules without it).
 */
import { FIXED_ONE } from "../../core/params.ts";
import { addressFromPublicKey, publicKeyFromSecret, secretFromSeedPhrase } from "../../core/keys.ts";
import { hashOf } from "../../core/hash.ts";
import { aggregateVotes, evaluatorSeed, quorumSeed, selectQuorum, toleranceFor } from "../../core/quorum.ts";
import { adjustReputation, decayedReputation, reputationDelta } from "../../core/reputation.ts";
import { validatorSet } from "../../core/schedule.ts";
import { requiredVotes } from "../../core/state-transition.ts";
import type { Account, Address, ChainParams, DomainConfig, Fixed, Hash, Vote } from "../../core/types.ts";
import { N_PARAMS, performance, quantize, syntheticData, targetOf } from "../../plugins/quadratic/domain.ts";
import { createRng, type Rng } from "../../plugins/rng.ts";
import { toFixed } from "../../plugins/sdk.ts";
import { captureProbability, decisiveColluders, DECISIONS, withholdingColluders, type Decision } from "./capture.ts";
import { currentRule, type QuorumRule, type RuleInput } from "./quorum-rules.ts";

/**
 * What an optimizer claims: its true performance (honest), or that plus or
 * minus some tolerances, alone (inflate…/deflate…) or as the colluders' ally.
 */
export type ClaimKind = "honest" | "inflateInside" | "inflateOutside" | "deflateInside" | "deflateOutside" | "ally";
export const CLAIM_KINDS: readonly ClaimKind[] = ["honest", "inflateInside", "inflateOutside", "deflateInside", "deflateOutside", "ally"];

export type EvaluatorGroup = "honest" | "colluder";

/** How the colluding evaluators play. They know the quorum: it is on chain once the reveal is. */
export interface ColluderPlan {
  /** vote the ally's reported value */
  readonly promoteAlly: boolean;
  /** how they make other optimizers' claims fail: vote far below the truth, or do not vote */
  readonly block: "none" | "outlier" | "withhold";
  /** act in every quorum they sit in, or only where they are enough to decide (voting honestly elsewhere) */
  readonly when: "always" | "decisive";
  /** the ally reveals only when its commit drew a quorum the colluders can carry (the quorum is known before the reveal) */
  readonly allyRevealsOnlyWhenCaptured: boolean;
}

export interface SimulationConfig {
  readonly seed: number;
  readonly rounds: number;
  /** evaluators at the start, all eligible */
  readonly evaluators: number;
  /** share of the evaluators that collude (round(f · evaluators) of them) */
  readonly colludingFraction: number;
  /** relative weight of each kind of claim among the rounds */
  readonly claimMix: Readonly<Record<ClaimKind, number>>;
  /** optimizer accounts per kind of claim, taking turns */
  readonly optimizersPerKind: number;
  readonly colluders: ColluderPlan;
  readonly params: ChainParams;
  readonly domain: DomainConfig;
  /** quorum size from (eligible, activity, optimizer reputation); default core's quorumSize with params.quorum */
  readonly quorumRule?: QuorumRule;
  readonly roundsPerBlock: number;
  readonly initialEvaluatorReputation: Fixed;
  readonly initialOptimizerReputation: Fixed;
  /** the ally's starting reputation (default: as the other optimizers); a high one earns it the reference rule's discount */
  readonly initialAllyReputation?: Fixed;
  /** the claimed points' squared distance from the target, log-uniform in [lo, hi] */
  readonly sse: readonly [number, number];
  /** inflation/deflation of "inside" and "outside" claims, in tolerances at the true value */
  readonly insideFactor: number;
  readonly outsideFactor: number;
  /** where an "outlier" colluder votes: this many tolerances below the truth */
  readonly outlierFactor: number;
  /** rounds between reputation samples */
  readonly sampleEvery: number;
}

export function simulationConfig(
  params: ChainParams,
  domain: DomainConfig,
  overrides: Partial<Omit<SimulationConfig, "params" | "domain">> = {},
): SimulationConfig {
  return {
    seed: 1,
    rounds: 1_000,
    evaluators: 100,
    colludingFraction: 0.2,
    claimMix: { honest: 0.5, inflateInside: 0.05, inflateOutside: 0.1, deflateInside: 0.05, deflateOutside: 0.1, ally: 0.2 },
    optimizersPerKind: 5,
    colluders: { promoteAlly: true, block: "outlier", when: "always", allyRevealsOnlyWhenCaptured: false },
    params,
    domain,
    roundsPerBlock: 10,
    initialEvaluatorReputation: 10n * FIXED_ONE,
    initialOptimizerReputation: 0n,
    sse: [1, 400],
    insideFactor: 0.5,
    outsideFactor: 3,
    outlierFactor: 10,
    sampleEvery: 100,
    ...overrides,
  };
}

export interface KindTally {
  /** rounds whose optimizer committed this kind of claim */
  rounds: number;
  accepted: number;
  rejected: number;
  /** decided with fewer votes than required */
  expired: number;
  /** committed but never revealed (the ally saw an uncaptured quorum) */
  withdrawn: number;
}

export interface GroupSample {
  /** mean reputation, decayed to the sample's height, in units (Fixed / 10^6) */
  readonly meanReputation: number;
  /** members at or above the evaluator minimum */
  readonly eligible: number;
  readonly members: number;
}

export interface ReputationSample {
  readonly round: number;
  readonly height: number;
  readonly groups: Readonly<Record<string, GroupSample>>;
}

export interface Dropout {
  /** first round that started with at most half the group eligible (null: never) */
  readonly half: number | null;
  /** first round that started with none of the group eligible (null: never) */
  readonly all: number | null;
}

export interface RoundRecord {
  readonly kind: ClaimKind;
  readonly k: number;
  readonly eligible: number;
  readonly eligibleColluders: number;
  /** colluders in the quorum */
  readonly colluders: number;
  /** votes cast (an expired round pays each voter bond / k and returns the rest to the optimizer) */
  readonly votes: number;
  readonly outcome: "accepted" | "rejected" | "expired" | "withdrawn";
}

export interface SimulationResult {
  readonly config: SimulationConfig;
  readonly evaluatorAddresses: Readonly<Record<EvaluatorGroup, readonly Address[]>>;
  readonly byKind: Readonly<Record<ClaimKind, KindTally>>;
  /** quorums drawn (every committed round) that held enough colluders for each decision */
  readonly captured: Readonly<Record<Decision, number>>;
  /** the same, expected: the exact probability given each round's eligible set and K, summed */
  readonly expectedCaptured: Readonly<Record<Decision, number>>;
  /** over the ally's commits only: quorums the colluders could carry, drawn and expected */
  readonly allyCaptured: number;
  readonly allyExpectedCaptured: number;
  /** quorum size → rounds */
  readonly quorumSizes: ReadonlyMap<number, number>;
  /** votes outside tolerance of the median, by group */
  readonly outlierVotes: Readonly<Record<EvaluatorGroup, number>>;
  readonly votes: Readonly<Record<EvaluatorGroup, number>>;
  readonly samples: readonly ReputationSample[];
  readonly dropout: Readonly<Record<EvaluatorGroup, Dropout>>;
  readonly records: readonly RoundRecord[];
}

interface Evaluator {
  readonly address: Address;
  readonly group: EvaluatorGroup;
  account: Account;
}

interface Optimizer {
  readonly address: Address;
  readonly kind: ClaimKind;
  account: Account;
}

/** A real account address for a simulated actor (from a key derived from `label`). */
export function simulatedAddress(label: string): Address {
  return addressFromPublicKey(publicKeyFromSecret(secretFromSeedPhrase(label)));
}

function freshAccount(reputation: Fixed): Account {
  return { balance: 0n, nonce: 0, reputation, reputationTime: 0, lastActiveTime: 0 };
}

function emptyTally(): KindTally {
  return { rounds: 0, accepted: 0, rejected: 0, expired: 0, withdrawn: 0 };
}

/** A point at squared distance `sse` from the target in a uniformly random direction, as the wire carries it. */
function claimedPoint(rng: Rng, target: readonly number[], sse: number): number[] {
  const dir = Array.from({ length: N_PARAMS }, () => rng.normal());
  const norm = Math.hypot(...dir);
  return quantize(target.map((t, i) => t + ((dir[i] as number) / norm) * Math.sqrt(sse)));
}

/** An evaluator's honest vote: the plugin's evaluation of x on the synthetic data of the evaluator's seed. */
export function honestVote(x: readonly number[], commit: Hash, evaluator: Address, beacon: Hash): Fixed {
  const { seed32 } = evaluatorSeed(commit, evaluator, beacon);
  return toFixed(performance(x, syntheticData(seed32).target));
}

function pick(rng: Rng, mix: Readonly<Record<ClaimKind, number>>): ClaimKind {
  const total = CLAIM_KINDS.reduce((s, k) => s + mix[k], 0);
  let u = rng.next() * total;
  for (const k of CLAIM_KINDS) {
    u -= mix[k];
    if (u < 0) return k;
  }
  return "honest";
}

/** f tolerances (f to three decimals). */
function times(f: number, tol: Fixed): Fixed {
  return (BigInt(Math.round(f * 1_000)) * tol) / 1_000n;
}

function offsetOf(kind: ClaimKind, tol: Fixed, cfg: SimulationConfig): Fixed {
  switch (kind) {
    case "honest":
      return 0n;
    case "inflateInside":
      return times(cfg.insideFactor, tol);
    case "deflateInside":
      return -times(cfg.insideFactor, tol);
    case "inflateOutside":
    case "ally":
      return times(cfg.outsideFactor, tol);
    case "deflateOutside":
      return -times(cfg.outsideFactor, tol);
  }
}

/** The simulation counts blocks; reputation decays by block time: one carrier interval per block. */
export function timeOf(height: number, params: ChainParams): number {
  return height * params.carrierIntervalMs;
}

/** An account with its reputation decayed to `height`'s block time (and recorded at that time). */
export type DecayedAt = (account: Account, height: number) => Account;

/**
 * core's decayedReputation applied ahead, remembered per account object and
 * height (accounts are immutable values, so an unchanged account at the same
 * height decays to the same value): the exact decay costs ≈ 15 µs, and every
 * round reads every evaluator's reputation. The account returned, with
 * reputationTime at that block time, decays by nothing more there, so core's
 * functions read the same reputation from it as from the original.
 */
export function decayedAccounts(params: ChainParams): DecayedAt {
  const memo = new WeakMap<Account, { height: number; value: Account }>();
  return (account, height) => {
    const hit = memo.get(account);
    if (hit !== undefined && hit.height === height) return hit.value;
    const timeMs = timeOf(height, params);
    const value = account.reputationTime >= timeMs ? account : { ...account, reputation: decayedReputation(account, timeMs, params), reputationTime: timeMs };
    memo.set(account, { height, value });
    return value;
  };
}

/**
 * Who may evaluate an optimizer's claim at block time `timeMs`, and the
 * quorum-size inputs, as the chain draws them (state-transition
 * selectEvaluators): core's validatorSet without the optimizer, the share of
 * them active within one half-life, and, for the reference's rule only, the
 * optimizer's reputation relative to the highest.
 */
export function eligibility(accounts: ReadonlyMap<Address, Account>, optimizer: Address, timeMs: number, params: ChainParams): { eligible: Address[]; input: RuleInput } {
  const eligible = validatorSet(accounts, params, timeMs).filter((a) => a !== optimizer);
  const reputation = (a: Address) => {
    const account = accounts.get(a);
    return account === undefined ? 0n : decayedReputation(account, timeMs, params);
  };
  let active = 0;
  const optimizerRep = reputation(optimizer);
  let maxRep = optimizerRep;
  for (const address of eligible) {
    if ((accounts.get(address)?.lastActiveTime ?? -1) >= timeMs - params.reputation.halfLifeMs) active++;
    const r = reputation(address);
    if (r > maxRep) maxRep = r;
  }
  return {
    eligible,
    input: {
      eligible: eligible.length,
      activeFractionPpm: eligible.length === 0 ? 0 : Math.floor((active * 1_000_000) / eligible.length),
      optimizerReputationPpm: maxRep === 0n ? 0 : Number((optimizerRep * 1_000_000n) / maxRep),
    },
  };
}

export function simulate(cfg: SimulationConfig): SimulationResult {
  const { params, domain } = cfg;
  // validatorSet falls back on the genesis validators when few qualify: the simulated evaluators are the only ones
  if (params.genesisAccounts.length > 0) throw new RangeError("the simulation's evaluators are its only validators: give it params without genesis accounts");
  const rule: QuorumRule = cfg.quorumRule ?? currentRule(params.quorum);
  const rng = createRng(cfg.seed);
  const target = targetOf();
  const nColluders = Math.round(cfg.colludingFraction * cfg.evaluators);
  const evaluators: Evaluator[] = Array.from({ length: cfg.evaluators }, (_, i) => ({
    address: simulatedAddress(`byzantine-${cfg.seed}-evaluator-${i}`),
    group: i < nColluders ? "colluder" : "honest",
    account: freshAccount(cfg.initialEvaluatorReputation),
  }));
  const byAddress = new Map(evaluators.map((e) => [e.address, e]));
  const optimizers = new Map<ClaimKind, Optimizer[]>(
    CLAIM_KINDS.map((kind) => [
      kind,
      Array.from({ length: cfg.optimizersPerKind }, (_, i) => ({
        address: simulatedAddress(`byzantine-${cfg.seed}-optimizer-${kind}-${i}`),
        kind,
        account: freshAccount(kind === "ally" ? (cfg.initialAllyReputation ?? cfg.initialOptimizerReputation) : cfg.initialOptimizerReputation),
      })),
    ]),
  );
  const turns = new Map<ClaimKind, number>();
  const byKind = Object.fromEntries(CLAIM_KINDS.map((k) => [k, emptyTally()])) as Record<ClaimKind, KindTally>;
  const captured: Record<Decision, number> = { block: 0, median: 0, accept: 0 };
  const expectedCaptured: Record<Decision, number> = { block: 0, median: 0, accept: 0 };
  let allyCaptured = 0;
  let allyExpectedCaptured = 0;
  const quorumSizes = new Map<number, number>();
  const outlierVotes: Record<EvaluatorGroup, number> = { honest: 0, colluder: 0 };
  const votesCast: Record<EvaluatorGroup, number> = { honest: 0, colluder: 0 };
  const samples: ReputationSample[] = [];
  const dropout: Record<EvaluatorGroup, { half: number | null; all: number | null }> = {
    honest: { half: null, all: null },
    colluder: { half: null, all: null },
  };
  const records: RoundRecord[] = [];
  const rep = params.reputation;
  const decayed = decayedAccounts(params);
  const allAddresses = evaluators.map((e) => e.address);
  let rankedAt = -1;
  let beacon: Hash = "";
  let ranking: Address[] = [];

  const sample = (round: number, height: number) => {
    const groups: Record<string, GroupSample> = {};
    const add = (name: string, accounts: readonly Account[]) => {
      let sum = 0n;
      let eligible = 0;
      for (const a of accounts) {
        const r = decayed(a, height).reputation;
        sum += r;
        if (r >= rep.minForEvaluator) eligible++;
      }
      groups[name] = {
        meanReputation: accounts.length === 0 ? 0 : Number(sum / BigInt(accounts.length)) / Number(FIXED_ONE),
        eligible,
        members: accounts.length,
      };
    };
    for (const g of ["honest", "colluder"] as const) add(`${g}Evaluators`, evaluators.filter((e) => e.group === g).map((e) => e.account));
    for (const [kind, list] of optimizers) add(`${kind}Optimizers`, list.map((o) => o.account));
    samples.push({ round, height, groups });
  };

  const adjust = (who: { account: Account }, height: number, delta: Fixed) => {
    who.account = adjustReputation(who.account, timeOf(height, params), delta, params);
  };

  for (let round = 0; round < cfg.rounds; round++) {
    const height = 1 + Math.floor(round / cfg.roundsPerBlock);
    if (round % cfg.sampleEvery === 0) sample(round, height);
    const kind = pick(rng, cfg.claimMix);
    const pool = optimizers.get(kind) as Optimizer[];
    const turn = turns.get(kind) ?? 0;
    turns.set(kind, turn + 1);
    const optimizer = pool[turn % pool.length] as Optimizer;

    // The claim: a point, its true performance, and what the optimizer reports.
    const [lo, hi] = cfg.sse;
    const sse = lo * (hi / lo) ** rng.next();
    const x = claimedPoint(rng, target, sse);
    const truth = toFixed(performance(x, target));
    const tol = toleranceFor(truth, domain);
    const reported = truth + offsetOf(kind, tol, cfg);
    const tally = byKind[kind];
    tally.rounds++;

    const commitId = hashOf("tx", { simulation: cfg.seed, round, step: "commit" });
    // Every commit of one block draws from the same beacon, hence the same ranking (as on the chain).
    if (height !== rankedAt) {
      beacon = hashOf("beacon", { simulation: cfg.seed, height });
      ranking = selectQuorum(quorumSeed(beacon), allAddresses, allAddresses.length);
      rankedAt = height;
    }

    // Who may evaluate, how many, and who is drawn.
    const accounts = new Map<Address, Account>(evaluators.map((e) => [e.address, decayed(e.account, height)]));
    accounts.set(optimizer.address, decayed(optimizer.account, height));
    const { eligible, input } = eligibility(accounts, optimizer.address, timeOf(height, params), params);
    const eligibleColluders = eligible.filter((a) => byAddress.get(a)?.group === "colluder").length;
    for (const [group, count] of [["honest", eligible.length - eligibleColluders], ["colluder", eligibleColluders]] as const) {
      const members = group === "colluder" ? nColluders : cfg.evaluators - nColluders;
      const d = dropout[group];
      if (members > 0 && d.half === null && count * 2 <= members) d.half = round;
      if (members > 0 && d.all === null && count === 0) d.all = round;
    }
    const k = rule(input);
    quorumSizes.set(k, (quorumSizes.get(k) ?? 0) + 1);
    if (k === 0) {
      tally.expired++;
      records.push({ kind, k, eligible: eligible.length, eligibleColluders, colluders: 0, votes: 0, outcome: "expired" });
      continue;
    }
    // = selectQuorum(quorumSeed(beacon), eligible, k): the ranking is by hash, so a subset's is the full one restricted to it
    const eligibleSet = new Set(eligible);
    const quorum = ranking.filter((a) => eligibleSet.has(a)).slice(0, k);
    const c = quorum.filter((a) => byAddress.get(a)?.group === "colluder").length;
    const need = decisiveColluders(k, domain);
    const exact = captureProbability(eligible.length, eligibleColluders, k, domain);
    for (const d of DECISIONS) {
      if (c >= need[d]) captured[d]++;
      expectedCaptured[d] += exact[d];
    }
    if (kind === "ally") {
      if (c >= need.accept) allyCaptured++;
      allyExpectedCaptured += exact.accept;
    }
    const record = (outcome: RoundRecord["outcome"], votes = 0) =>
      records.push({ kind, k, eligible: eligible.length, eligibleColluders, colluders: c, votes, outcome });

    if (kind === "ally" && cfg.colluders.allyRevealsOnlyWhenCaptured && c < need.accept) {
      tally.withdrawn++;
      record("withdrawn");
      continue;
    }

    // Votes.
    const plan = cfg.colluders;
    const promote = kind === "ally" && plan.promoteAlly && (plan.when === "always" || c >= need.accept);
    const blockNeeds = plan.block === "withhold" ? withholdingColluders(k, domain) : need.block;
    const block = kind !== "ally" && plan.block !== "none" && (plan.when === "always" || c >= blockNeeds);
    const votes: Vote[] = [];
    for (const address of quorum) {
      const e = byAddress.get(address) as Evaluator;
      let performanceVote: Fixed | null = honestVote(x, commitId, address, beacon);
      if (e.group === "colluder") {
        if (promote) performanceVote = reported;
        else if (block) performanceVote = plan.block === "withhold" ? null : truth - times(cfg.outlierFactor, tol);
      }
      if (performanceVote === null) continue;
      votes.push({ evaluator: address, performance: performanceVote, dataHash: "00".repeat(32) });
      votesCast[e.group]++;
      e.account = { ...e.account, lastActiveTime: timeOf(height, params) };
    }

    // Verdict and reputation.
    const settled = settleRound(quorum, votes, reported, domain, params);
    for (const [a, delta] of settled.evaluators) {
      const e = byAddress.get(a) as Evaluator;
      adjust(e, height, delta);
      if (delta < 0n && votes.some((v) => v.evaluator === a)) outlierVotes[e.group]++;
    }
    if (settled.optimizer !== 0n) adjust(optimizer, height, settled.optimizer);
    if (settled.outcome === "accepted") optimizer.account = { ...optimizer.account, lastActiveTime: timeOf(height, params) };
    tally[settled.outcome]++;
    record(settled.outcome, votes.length);
  }
  sample(cfg.rounds, 1 + Math.floor(cfg.rounds / cfg.roundsPerBlock));

  return {
    config: cfg,
    evaluatorAddresses: {
      honest: evaluators.filter((e) => e.group === "honest").map((e) => e.address),
      colluder: evaluators.filter((e) => e.group === "colluder").map((e) => e.address),
    },
    byKind,
    captured,
    expectedCaptured,
    allyCaptured,
    allyExpectedCaptured,
    quorumSizes,
    outlierVotes,
    votes: votesCast,
    samples,
    dropout,
    records,
  };
}

export interface Settlement {
  readonly outcome: "accepted" | "rejected" | "expired";
  /** reputation change of each quorum member whose reputation the verdict updates (0: decayed and recorded, nothing added) */
  readonly evaluators: ReadonlyMap<Address, Fixed>;
  /** reputation change of the optimizer */
  readonly optimizer: Fixed;
}

/**
 * What a round's votes do to reputation (state-transition decideRound, and
 * the optimizer's `accept` transaction when accepted), with core's
 * reputationDelta for every event: each selected member who did not vote
 * loses missedVotePenalty, whatever the outcome; fewer votes than required →
 * expired, nothing else moves; otherwise agreeing members gain, outliers lose
 * the divergence penalty, and the optimizer gains the accept reward or loses
 * the reject penalty.
 */
export function settleRound(quorum: readonly Address[], votes: readonly Vote[], reported: Fixed, domain: DomainConfig, params: ChainParams): Settlement {
  const evaluators = new Map<Address, Fixed>();
  const voted = new Set(votes.map((v) => v.evaluator));
  for (const a of quorum) if (!voted.has(a)) evaluators.set(a, reputationDelta("evaluationMissed", params));
  const required = requiredVotes(quorum.length, domain);
  if (votes.length === 0 || votes.length < required) return { outcome: "expired", evaluators, optimizer: 0n };
  const verdict = aggregateVotes(votes, reported, domain, required);
  for (const a of verdict.agreeing) evaluators.set(a, reputationDelta("evaluationAgreed", params));
  for (const a of verdict.outliers) evaluators.set(a, reputationDelta("evaluationDiverged", params));
  return verdict.accepted
    ? { outcome: "accepted", evaluators, optimizer: reputationDelta("optimaeAccepted", params) }
    : { outcome: "rejected", evaluators, optimizer: reputationDelta("optimaeRejected", params) };
}

/** Events per 10,000 of `of` (0 when `of` is 0). */
export function per10k(events: number, of: number): number {
  return of === 0 ? 0 : (events * 10_000) / of;
}
