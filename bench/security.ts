/**
 * The Byzantine benchmark (`npm run bench -- security`): how often colluding
 * evaluators decide a quorum under the chain's rules, computed exactly and
 * drawn with the real selection, and what they achieve over many rounds of
 * the real verdict and reputation rules (bench/byzantine/). Figures go to
 * bench/results.json under `security.*`.
 *
 * 1. Capture probability, exact (hypergeometric), at the quorum sizes the
 *    chain's rule chooses for 100 and 1,000 eligible evaluators, 10–30 %
 *    colluding, beside the reference's old rule and the paper's f^K; the
 *    smallest quorum that keeps each kind of capture at or under 1e-3; the
 *    worst case over every network size.
 * 2. The same drawn with core's quorumSeed/selectQuorum over real addresses:
 *    counts against the exact law (chi-square of the whole distribution).
 * 3. The simulation: 10,000 rounds per setting, colluders 10–40 %, naive,
 *    carrying-only and strategic colluders under the chain's rules, and the
 *    same without the missed-vote penalty and under the reference's old
 *    rules; false claims accepted and honest claims failed per 10,000,
 *    beside the exact expectation and the paper's bound; what a captured
 *    acceptance costs in bonds; reputation by kind of actor, and when
 *    colluders fall below the evaluator minimum.
 */
import { COIN_UNIT, FIXED_ONE, mainnetParams, QUADRATIC_DOMAIN } from "../core/params.ts";
import type { ChainParams, DomainConfig } from "../core/types.ts";
import { captureProbability, DECISIONS, minimumQuorum, paperBound, type Decision } from "./byzantine/capture.ts";
import { currentRule, flooredRule, referenceRule, sizeRange, worstOverEligible, type QuorumRule } from "./byzantine/quorum-rules.ts";
import { hypergeometricPmf, selectionTrials } from "./byzantine/selection-trials.ts";
import { per10k, simulate, simulationConfig, type ColluderPlan, type SimulationResult } from "./byzantine/simulation.ts";
import { chiSquareFit } from "./byzantine/statistics.ts";
import type { BenchResult } from "./run.ts";

export interface SecurityBenchOptions {
  /** rounds per simulated setting (default 10,000) */
  readonly rounds?: number;
  /** evaluators in the simulation (default 100) */
  readonly evaluators?: number;
  /** selection trials at 100 and at 1,000 eligible (defaults 10,000 and 2,000) */
  readonly trials100?: number;
  readonly trials1000?: number;
}

const TARGET = 1e-3;
const ELIGIBLE = [100, 1_000];
const FRACTIONS = [0.1, 0.15, 0.2, 0.25, 0.3];
/** The paper's Table I is for K = 5. */
const PAPER_K = 5;
const PAPER_FRACTIONS = [0.1, 0.2, 0.3, 0.4];

const NAIVE: ColluderPlan = { promoteAlly: true, block: "outlier", when: "always", allyRevealsOnlyWhenCaptured: false };
const STRATEGIC: ColluderPlan = { promoteAlly: true, block: "withhold", when: "decisive", allyRevealsOnlyWhenCaptured: true };

/** The chain's rules without the missed-vote penalty (as they were before it). */
function withoutMissedVotePenalty(p: ChainParams): ChainParams {
  return { ...p, reputation: { ...p.reputation, missedVotePenalty: 0n } };
}

interface Scenario {
  readonly name: string;
  readonly description: string;
  readonly plan: ColluderPlan;
  readonly rule?: (params: ChainParams) => QuorumRule;
  readonly params?: (params: ChainParams) => ChainParams;
  readonly allyReputation?: bigint;
  readonly fractions: readonly number[];
}

const SCENARIOS: readonly Scenario[] = [
  {
    name: "naive",
    description: "colluders always vote the ally's claim and vote far off on every other claim; the ally reveals every commit",
    plan: NAIVE,
    fractions: [0, 0.1, 0.2, 0.3, 0.4],
  },
  {
    name: "strategic",
    description:
      "colluders act only where they decide (withholding to block, voting the ally's claim to accept); the ally reveals only commits whose quorum they carry",
    plan: STRATEGIC,
    fractions: [0.1, 0.2, 0.3, 0.4],
  },
  {
    name: "carry_only",
    description: "colluders only carry the ally's claims where they can (voting honestly elsewhere: nothing costs them reputation); the ally reveals only commits whose quorum they carry",
    plan: { ...STRATEGIC, block: "none" },
    fractions: [0.1, 0.2, 0.3, 0.4],
  },
  {
    name: "strategic_outlier",
    description: "strategic, blocking by voting far off instead of withholding (the honest claim is rejected rather than expired)",
    plan: { ...STRATEGIC, block: "outlier" },
    fractions: [0.2, 0.3],
  },
  {
    name: "strategic_no_missed_vote_penalty",
    description: "strategic, under the chain's rules without the missed-vote penalty (withholding free)",
    plan: STRATEGIC,
    params: withoutMissedVotePenalty,
    fractions: [0.2, 0.3],
  },
  {
    name: "strategic_reference_rule",
    description:
      "strategic, under the reference's old rules: its quorum size (minimum 3, 2 off for an optimizer at ≥ 90 % of the best reputation) with the ally at reputation 1,000, no missed-vote penalty",
    plan: STRATEGIC,
    rule: () => referenceRule(),
    params: withoutMissedVotePenalty,
    allyReputation: 1_000n * FIXED_ONE,
    fractions: [0.2, 0.3],
  },
];

const fmt = (p: number) => (p === 0 ? "0" : p >= 0.01 ? p.toFixed(3) : p.toExponential(1));
const pct = (f: number) => f.toFixed(2);
/** an amount of coin */
const coin = (x: number) => (x >= 10 ? x.toFixed(0) : x.toFixed(1));
/** a count per 10,000 */
const rate = (x: number) => (x === 0 ? "0" : x >= 100 ? x.toFixed(0) : x >= 1 ? x.toFixed(1) : x.toExponential(1));

function captureSection(domain: DomainConfig, params: ChainParams, out: BenchResult[], rows: string[]): void {
  const chain = currentRule(params.quorum);
  const reference = referenceRule();
  rows.push("Capture probability, exact (hypergeometric). Colluders needed in a quorum of K: block ≥ min(K−required+1, ⌈K/2⌉); median ≥ ⌈K/2⌉; accept ≥ max(required, ⌊K/2⌋+1).");
  rows.push("  N     f     | chain typical K: accept  median   block   | chain lowest K: accept  median   block   | reference lowest K: accept | paper f^5  | K for ≤1e-3: accept median block");
  for (const n of ELIGIBLE) {
    const typicalK = sizeRange(chain, n).typical;
    const lowestK = sizeRange(chain, n).lowest;
    const referenceK = sizeRange(reference, n).lowest;
    for (const f of FRACTIONS) {
      const m = Math.round(f * n);
      const typ = captureProbability(n, m, typicalK, domain);
      const low = captureProbability(n, m, lowestK, domain);
      const ref = captureProbability(n, m, referenceK, domain);
      const minK = Object.fromEntries(DECISIONS.map((d) => [d, minimumQuorum(n, m, TARGET, domain, Math.min(n, 200), d)])) as Record<Decision, number | null>;
      const key = `security.capture.n${n}.f${pct(f)}`;
      for (const d of DECISIONS) {
        out.push({ name: `${key}.chain_typical.${d}`, value: typ[d], unit: "probability", note: `K=${typicalK}` });
        out.push({ name: `${key}.chain_lowest.${d}`, value: low[d], unit: "probability", note: `K=${lowestK}` });
        out.push({ name: `${key}.reference_lowest.${d}`, value: ref[d], unit: "probability", note: `K=${referenceK}` });
        const k = minK[d];
        out.push(
          k === null
            ? { name: `${key}.min_k_${d}_1e-3`, value: Math.min(n, 200) + 1, unit: "members", note: `none up to ${Math.min(n, 200)}` }
            : { name: `${key}.min_k_${d}_1e-3`, value: k, unit: "members" },
        );
      }
      out.push({ name: `${key}.paper_f_pow_5`, value: paperBound(f, PAPER_K), unit: "probability" });
      rows.push(
        `  ${String(n).padEnd(5)} ${pct(f)}  | K=${String(typicalK).padEnd(3)} ${fmt(typ.accept).padStart(8)} ${fmt(typ.median).padStart(8)} ${fmt(typ.block).padStart(8)} ` +
          `| K=${String(lowestK).padEnd(3)} ${fmt(low.accept).padStart(8)} ${fmt(low.median).padStart(8)} ${fmt(low.block).padStart(8)} ` +
          `| K=${String(referenceK).padEnd(3)} ${fmt(ref.accept).padStart(8)}       | ${fmt(paperBound(f, PAPER_K)).padStart(8)}  | ${String(minK.accept ?? "–").padStart(4)} ${String(minK.median ?? "–").padStart(6)} ${String(minK.block ?? `>${Math.min(n, 200)}`).padStart(5)}`,
      );
    }
  }
}

/** The paper's Table I quorum (K = 5) under the verdict rule, 1,000 eligible: what colluders need is far less than all five. */
function paperQuorumSection(domain: DomainConfig, out: BenchResult[], rows: string[]): void {
  const n = 1_000;
  rows.push("", `The paper's K = ${PAPER_K} under the verdict rule (${n} eligible): colluders carry a false claim with 4 of 5 and block with 2 of 5.`);
  rows.push("  f     | accept   block    | paper f^5");
  for (const f of PAPER_FRACTIONS) {
    const p = captureProbability(n, Math.round(f * n), PAPER_K, domain);
    const key = `security.capture.k${PAPER_K}.n${n}.f${pct(f)}`;
    out.push({ name: `${key}.accept`, value: p.accept, unit: "probability" }, { name: `${key}.block`, value: p.block, unit: "probability" });
    rows.push(`  ${pct(f)}  | ${fmt(p.accept).padStart(7)}  ${fmt(p.block).padStart(7)}  | ${fmt(paperBound(f, PAPER_K)).padStart(7)}`);
  }
}

/** The worst case over every network size up to WORST_MAX_ELIGIBLE, for the chain's rule, the reference's and a higher floor. */
const WORST_MAX_ELIGIBLE = 2_000;

function worstSection(domain: DomainConfig, params: ChainParams, out: BenchResult[], rows: string[]): void {
  rows.push("", `Worst accept-capture over every eligible count 2…${WORST_MAX_ELIGIBLE} (⌊f·N⌋ colluding) and every K the rule can choose there:`);
  const cases: readonly [string, QuorumRule, number][] = [
    ["chain", currentRule(params.quorum), 0.2],
    ["reference", referenceRule(), 0.2],
    ["chain", currentRule(params.quorum), 0.25],
    ["reference", referenceRule(), 0.25],
    ["floor13", flooredRule(params.quorum, 13), 0.25],
  ];
  for (const [name, rule, f] of cases) {
    const w = worstOverEligible(rule, f, WORST_MAX_ELIGIBLE, domain);
    out.push({ name: `security.capture.worst_up_to_${WORST_MAX_ELIGIBLE}.${name}.f${pct(f)}.accept`, value: w.probability, unit: "probability", note: `N=${w.eligible}, K=${w.k}` });
    rows.push(`  ${name.padEnd(9)} f=${pct(f)}: ${fmt(w.probability)} (N=${w.eligible}, K=${w.k})`);
  }
}

function selectionSection(domain: DomainConfig, params: ChainParams, trialsBy: Record<number, number>, out: BenchResult[], rows: string[]): void {
  const chain = currentRule(params.quorum);
  rows.push("", "Real selection (quorumSeed + selectQuorum over real addresses) against the exact law, the chain's typical and lowest K:");
  rows.push("  N     f     K    trials  | accept: drawn/10k  exact/10k | block: drawn/10k  exact/10k | chi² (df) ≤ critical at 1e-4");
  for (const n of ELIGIBLE) {
    const range = sizeRange(chain, n);
    const ks = [...new Set([range.lowest, range.typical])];
    const trials = trialsBy[n] as number;
    const result = selectionTrials({ seed: 7, eligible: n, colluders: FRACTIONS.map((f) => Math.round(f * n)), ks, trials, domain });
    for (const cell of result.cells) {
      const f = cell.colluders / n;
      const exact = captureProbability(n, cell.colluders, cell.k, domain);
      const fit = chiSquareFit(cell.histogram, hypergeometricPmf(n, cell.colluders, cell.k));
      const key = `security.selection.n${n}.f${pct(f)}.k${cell.k}`;
      out.push({ name: `${key}.accept_per_10k`, value: per10k(cell.captured.accept, trials), unit: "quorums", note: `exact ${fmt(exact.accept * 1e4)}, ${trials} trials` });
      out.push({ name: `${key}.block_per_10k`, value: per10k(cell.captured.block, trials), unit: "quorums", note: `exact ${fmt(exact.block * 1e4)}, ${trials} trials` });
      out.push({ name: `${key}.chi2_over_critical`, value: fit.statistic / fit.critical, unit: "ratio", note: `df ${fit.degreesOfFreedom}; ≤ 1 fits at 1e-4` });
      rows.push(
        `  ${String(n).padEnd(5)} ${pct(f)}  ${String(cell.k).padEnd(4)} ${String(trials).padEnd(7)} | ${fmt(per10k(cell.captured.accept, trials)).padStart(10)} ${fmt(exact.accept * 1e4).padStart(10)} ` +
          `| ${fmt(per10k(cell.captured.block, trials)).padStart(9)} ${fmt(exact.block * 1e4).padStart(10)} | ${fit.statistic.toFixed(1)} (${fit.degreesOfFreedom}) ≤ ${fit.critical.toFixed(1)} ${fit.pass ? "ok" : "FAIL"}`,
      );
    }
  }
}

function falseAccepted(r: SimulationResult): { ally: number; allyCommits: number; independent: number; independentClaims: number } {
  const k = r.byKind;
  return {
    ally: k.ally.accepted,
    allyCommits: k.ally.rounds,
    independent: k.inflateOutside.accepted + k.deflateOutside.accepted,
    independentClaims: k.inflateOutside.rounds + k.deflateOutside.rounds,
  };
}

/**
 * Bonds the honest optimizers lost, in bonds: all of a rejected claim's, and
 * a seat's share (bond / K) per vote of an expired one (state-transition
 * decideRound; the rest comes back).
 */
function honestBondsLost(r: SimulationResult): number {
  let lost = 0;
  for (const x of r.records) {
    if (x.kind !== "honest") continue;
    if (x.outcome === "rejected") lost += 1;
    else if (x.outcome === "expired" && x.k > 0) lost += x.votes / x.k;
  }
  return lost;
}

function simulationSection(params: ChainParams, domain: DomainConfig, rounds: number, evaluators: number, out: BenchResult[], rows: string[]): void {
  const bond = Number(domain.bond) / Number(COIN_UNIT);
  rows.push(
    "",
    `Simulation: ${evaluators} evaluators (reputation 10 at the start), ${rounds} rounds, 10 per block (sharing its quorum ranking), mainnet reputation rules; claims: 50 % honest, 5 % inflated and 5 % deflated by ½ tolerance, 10 % and 10 % by 3 tolerances, 20 % the colluders' ally inflating by 3 tolerances; bond ${bond} DOIN.`,
    "  scenario                          f     | false accepted /10k: ally (exact, paper f^5, f^K)   independent | honest /10k: rejected expired  bonds lost | ally: bonds burned per acceptance | colluders below minimum: half all (round) | eligible at end: honest colluders (colluders' mean reputation)",
  );
  const trajectories: string[] = [];
  for (const sc of SCENARIOS) {
    const p = sc.params === undefined ? params : sc.params(params);
    for (const f of sc.fractions) {
      const t0 = performance.now();
      const cfg = simulationConfig(p, domain, {
        seed: 11,
        rounds,
        evaluators,
        colludingFraction: f,
        colluders: sc.plan,
        sampleEvery: Math.max(1, Math.floor(rounds / 10)),
        ...(sc.rule === undefined ? {} : { quorumRule: sc.rule(p) }),
        ...(sc.allyReputation === undefined ? {} : { initialAllyReputation: sc.allyReputation }),
      });
      const r = simulate(cfg);
      const seconds = (performance.now() - t0) / 1000;
      const fa = falseAccepted(r);
      const honest = r.byKind.honest;
      // the ally's most frequent quorum size
      const allyKs = new Map<number, number>();
      for (const x of r.records) if (x.kind === "ally") allyKs.set(x.k, (allyKs.get(x.k) ?? 0) + 1);
      const typicalK = [...allyKs].sort((a, b) => b[1] - a[1])[0]?.[0] ?? 0;
      const last = r.samples[r.samples.length - 1];
      const colluderMean = last?.groups["colluderEvaluators"]?.meanReputation ?? 0;
      const key = `security.byzantine.${sc.name}.f${pct(f)}`;
      const never = `not within ${rounds} rounds`;
      // an unrevealed commit burns its bond: what the ally paid per false claim carried
      const burnedPerAcceptance = fa.ally === 0 ? null : (r.byKind.ally.withdrawn * bond) / fa.ally;
      const pCommit = fa.allyCommits === 0 ? 0 : r.allyExpectedCaptured / fa.allyCommits;
      out.push(
        { name: `${key}.ally_accepted_per_10k`, value: per10k(fa.ally, fa.allyCommits), unit: "claims", note: `${fa.ally} of ${fa.allyCommits} ally commits` },
        { name: `${key}.ally_expected_per_10k`, value: per10k(r.allyExpectedCaptured, fa.allyCommits), unit: "claims", note: "exact capture probability summed over the ally's commits" },
        { name: `${key}.paper_f_pow_5_per_10k`, value: paperBound(f, PAPER_K) * 1e4, unit: "claims" },
        { name: `${key}.independent_false_accepted_per_10k`, value: per10k(fa.independent, fa.independentClaims), unit: "claims", note: `${fa.independent} of ${fa.independentClaims}` },
        { name: `${key}.honest_rejected_per_10k`, value: per10k(honest.rejected, honest.rounds), unit: "claims", note: `${honest.rejected} of ${honest.rounds}` },
        { name: `${key}.honest_expired_per_10k`, value: per10k(honest.expired, honest.rounds), unit: "claims", note: `${honest.expired} of ${honest.rounds}` },
        { name: `${key}.honest_bonds_lost_per_10k`, value: per10k(honestBondsLost(r), honest.rounds), unit: "bonds", note: "a rejected claim's whole bond, an expired one's bond / K per vote" },
        { name: `${key}.colluders_half_below_minimum_round`, value: r.dropout.colluder.half ?? rounds, unit: "round", ...(r.dropout.colluder.half === null ? { note: never } : {}) },
        { name: `${key}.colluders_all_below_minimum_round`, value: r.dropout.colluder.all ?? rounds, unit: "round", ...(r.dropout.colluder.all === null ? { note: never } : {}) },
        {
          name: `${key}.honest_outlier_votes_per_10k`,
          value: per10k(r.outlierVotes.honest, r.votes.honest),
          unit: "votes",
          note: `${r.outlierVotes.honest} of ${r.votes.honest} honest votes outside tolerance of the median`,
        },
        { name: `${key}.honest_eligible_at_end`, value: last?.groups["honestEvaluators"]?.eligible ?? 0, unit: "evaluators" },
        { name: `${key}.colluders_eligible_at_end`, value: last?.groups["colluderEvaluators"]?.eligible ?? 0, unit: "evaluators" },
        { name: `${key}.colluders_mean_reputation_at_end`, value: colluderMean, unit: "reputation" },
        { name: `${key}.seconds`, value: seconds, unit: "s" },
      );
      if (burnedPerAcceptance !== null) {
        out.push({
          name: `${key}.ally_bond_burned_per_acceptance`,
          value: burnedPerAcceptance,
          unit: "DOIN",
          note: `${r.byKind.ally.withdrawn} commits left unrevealed; bond / p with p the mean exact capture probability per commit: ${coin(bond / pCommit)}`,
        });
      }
      const show = (x: number | null) => (x === null ? "never" : String(x));
      rows.push(
        `  ${sc.name.padEnd(33)} ${pct(f)}  | ${rate(per10k(fa.ally, fa.allyCommits)).padStart(8)} (${rate(per10k(r.allyExpectedCaptured, fa.allyCommits))}, ${rate(paperBound(f, PAPER_K) * 1e4)}, ${rate(paperBound(f, typicalK) * 1e4)} at K=${typicalK})`.padEnd(98) +
          `${rate(per10k(fa.independent, fa.independentClaims)).padStart(6)}      | ${rate(per10k(honest.rejected, honest.rounds)).padStart(8)} ${rate(per10k(honest.expired, honest.rounds)).padStart(8)} ${rate(per10k(honestBondsLost(r), honest.rounds)).padStart(9)} ` +
          `| ${burnedPerAcceptance === null ? "–" : `${coin(burnedPerAcceptance)} (bond/p ${coin(bond / pCommit)})`} ` +
          `| ${show(r.dropout.colluder.half).padStart(6)} ${show(r.dropout.colluder.all).padStart(6)} | ${last?.groups["honestEvaluators"]?.eligible} ${last?.groups["colluderEvaluators"]?.eligible} (${colluderMean.toFixed(1)})  [${seconds.toFixed(0)} s]`,
      );
      if (f === 0.3 || f === 0) {
        trajectories.push(`  ${sc.name} f=${pct(f)}:`);
        for (const s of r.samples) {
          const g = (name: string) => {
            const x = s.groups[name];
            return x === undefined ? "–" : `${x.meanReputation.toFixed(1)}`;
          };
          trajectories.push(
            `    round ${String(s.round).padStart(6)}  honest evaluators ${g("honestEvaluators").padStart(6)} (${s.groups["honestEvaluators"]?.eligible} eligible)  colluders ${g("colluderEvaluators").padStart(6)} (${s.groups["colluderEvaluators"]?.eligible})  ` +
              `optimizers: honest ${g("honestOptimizers")} inflating ${g("inflateOutsideOptimizers")} deflating ${g("deflateOutsideOptimizers")} ½-tolerance ${g("inflateInsideOptimizers")}/${g("deflateInsideOptimizers")} ally ${g("allyOptimizers")}`,
          );
        }
      }
    }
  }
  for (const sc of SCENARIOS) rows.push(`  ${sc.name}: ${sc.description}`);
  rows.push("", "Mean reputation by kind of actor (units; the evaluator minimum is 2.0):", ...trajectories);
}

export async function securityBenchmarks(opts: SecurityBenchOptions = {}): Promise<BenchResult[]> {
  const params = mainnetParams();
  const domain = QUADRATIC_DOMAIN;
  const out: BenchResult[] = [];
  const rows: string[] = [];
  const t0 = performance.now();
  captureSection(domain, params, out, rows);
  paperQuorumSection(domain, out, rows);
  worstSection(domain, params, out, rows);
  selectionSection(domain, params, { 100: opts.trials100 ?? 10_000, 1000: opts.trials1000 ?? 2_000 }, out, rows);
  simulationSection(params, domain, opts.rounds ?? 10_000, opts.evaluators ?? 100, out, rows);
  console.log(`\n${rows.join("\n")}\n`);
  out.push({ name: "security.bench_seconds", value: (performance.now() - t0) / 1000, unit: "s" });
  return out;
}
