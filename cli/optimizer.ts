/**
 * Bring your own optimizer: rounds of a domain plugin run here, on the
 * runner's island (gpu-runner/executors.ts `Island`: the same optimizer
 * state, champion migration and claim a runner produces), and each claim
 * that beats the champion by the domain's ε goes through the optimae's life
 * on chain with this key's own signatures (docs/PROTOCOL.md §4):
 *
 *   commit (the journal holds params, salt and claim first) → its block →
 *   reveal (retried while the network says REVEAL_TOO_EARLY or the commit is
 *   not yet in an earlier block) → the quorum's verdict → accept → claimed
 *   (or superseded) → the reward, in the first work block from the accept on
 *   (watched between rounds: that block may need later work).
 *
 * One optimae at a time; open ones found in the journal are followed first.
 */
import { computeCommitment } from "../core/tx.ts";
import { improvement } from "../core/state-transition.ts";
import { bytesToHex } from "../core/hex.ts";
import type { JsonValue } from "../core/types.ts";
import { parseChampions, type Island, type OptimizeResult } from "../gpu-runner/executors.ts";
import { formatCoin, formatFixed } from "./amount.ts";
import { CliError, EXIT } from "./errors.ts";
import { FINISHED, type Journal, type OptimaeEntry } from "./journal.ts";
import type { NetworkDomain, NetworkRules } from "./network.ts";
import type { NodeClient, RoundView } from "./node-client.ts";
import type { Output } from "./output.ts";
import { waitForTx, type FeeChoice, type Landed, type Sender } from "./sender.ts";

/** Refusals that a later block cures: wait for the chain to move, then send again. */
const RETRY_LATER = new Set(["REVEAL_TOO_EARLY", "COMMIT_NOT_FINAL", "TOO_MANY_OPEN_ROUNDS", "MEMPOOL_FULL"]);

export interface OptimizeOptions {
  readonly client: NodeClient;
  readonly rules: NetworkRules;
  readonly domainId: string;
  readonly domain: NetworkDomain;
  readonly island: Island;
  /** null: a dry run (rounds and claims only, nothing signed) */
  readonly sender: Sender | null;
  readonly journal: Journal | null;
  readonly fee: FeeChoice;
  /** stop after this many local rounds (null: no limit) */
  readonly rounds: number | null;
  /** stop once this many optimae were claimed (null: no limit) */
  readonly improvements: number | null;
  readonly timeoutMs: number;
  readonly pollMs?: number;
  readonly out: Output;
  readonly signal: AbortSignal;
}

export interface OptimizeSummary {
  rounds: number;
  committed: number;
  accepted: number;
  rejected: number;
  expired: number;
  claimed: number;
  superseded: number;
  /** claims whose work block was seen (paying this key, or paying nothing for a zero increment) */
  rewarded: number;
  /** base units */
  reward: bigint;
  /** claims whose work block has not come yet: the network pays them once its pending work reaches the threshold */
  rewardPending: number;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const short = (id: string | null) => (id === null ? "?" : `${id.slice(0, 12)}…`);

export async function runOptimizer(o: OptimizeOptions): Promise<OptimizeSummary> {
  const summary: OptimizeSummary = { rounds: 0, committed: 0, accepted: 0, rejected: 0, expired: 0, claimed: 0, superseded: 0, rewarded: 0, reward: 0n, rewardPending: 0 };
  const { client, rules, out } = o;
  const pollMs = o.pollMs ?? 1_000;
  const epsilon = o.domain.rules.epsilon;

  const interrupted = () => {
    if (o.signal.aborted) throw new CliError("INTERRUPTED", "stopped; open optimae are in the journal and resume with the next `doin optimize`", EXIT.INTERRUPTED);
  };

  /** Waits (polling) until `f` gives a value, or fails with TIMEOUT saying what was awaited. */
  async function until<T>(what: string, f: () => Promise<T | undefined>): Promise<T> {
    const deadline = Date.now() + o.timeoutMs;
    for (;;) {
      interrupted();
      const v = await f();
      if (v !== undefined) return v;
      if (Date.now() > deadline) throw new CliError("TIMEOUT", `gave up waiting for ${what} after ${Math.round(o.timeoutMs / 1000)} s`, EXIT.TIMEOUT, "blocks come with the network's activity; --timeout waits longer");
      await sleep(pollMs);
    }
  }

  const save = (e: Omit<OptimaeEntry, "updatedAt">): OptimaeEntry => o.journal?.save(e) ?? { ...e, updatedAt: new Date().toISOString() };

  /** Sends a tx; while the chain says "later", sends it again once a new block is there; a permanent refusal throws. */
  async function sendWhenAllowed(what: string, send: () => Promise<string>): Promise<string> {
    let lastCode = "";
    let refusedAt: number | null = null;
    return until(`the network to take the ${what}`, async () => {
      if (refusedAt !== null && (await client.chainStatus()).height <= refusedAt) return undefined;
      try {
        return await send();
      } catch (e) {
        if (e instanceof CliError && RETRY_LATER.has(e.code)) {
          refusedAt = (await client.chainStatus()).height;
          if (e.code !== lastCode) out.note(`  ${what}: ${e.code} (${e.message}); sending it again after the next block`);
          lastCode = e.code;
          return undefined;
        }
        throw e;
      }
    });
  }

  /** A tx's block, or why it will never have one (dropped, unknown): the optimae is then given up, not the run. */
  async function landed(id: string): Promise<Landed | { readonly lost: string }> {
    try {
      return await waitForTx(client, id, { until: "included", finalityDepth: rules.finalityDepth, timeoutMs: o.timeoutMs, signal: o.signal });
    } catch (e) {
      if (e instanceof CliError && e.exit === EXIT.FAILED_ON_CHAIN) return { lost: `${e.code}: ${e.message}` };
      throw e;
    }
  }

  async function fee(): Promise<bigint> {
    return (o.sender as Sender).fee(o.fee);
  }

  async function roundOf(entry: OptimaeEntry): Promise<RoundView | undefined> {
    return (await client.rounds()).find((r) => (entry.revealTx !== null ? r.optimae === entry.revealTx : r.commit === entry.commitTx));
  }

  /**
   * Claimed optimae whose reward has not been seen yet. A claim's verified
   * work is paid in the first work block (one that pays optimizers) at or
   * after the accept's block; that block comes once the network's pending
   * verified work reaches the threshold, which may take later work: the
   * optimizer goes on meanwhile and the watch looks again between rounds.
   */
  const unpaid: { optimae: string; from: number }[] = [];
  let scanned = 0;
  async function collectRewards(): Promise<void> {
    if (unpaid.length === 0) return;
    const me = (o.sender as Sender).address;
    const head = (await client.chainStatus()).height;
    let next = Math.max(scanned + 1, Math.min(...unpaid.map((u) => u.from)));
    while (next <= head && unpaid.length > 0) {
      for (const b of await client.blocks(next, Math.min(head, next + 49))) {
        next = b.header.height + 1;
        scanned = b.header.height;
        const optimizers = b.coinbase.filter((c) => c.role === "optimizer");
        const settled = unpaid.filter((u) => u.from <= b.header.height);
        if (optimizers.length === 0 || settled.length === 0) continue;
        // pending work is paid out whole: every claim at or before this work block is settled by it
        for (const u of settled) unpaid.splice(unpaid.indexOf(u), 1);
        const amount = optimizers.filter((c) => c.to === me).reduce((sum, c) => sum + BigInt(c.amount), 0n);
        if (amount > 0n) {
          summary.rewarded += settled.length;
          summary.reward += amount;
        }
        out.event({ event: "reward", optimae: settled.map((u) => u.optimae), height: b.header.height, block: b.hash, amount: amount.toString(), amountDOIN: formatCoin(amount) }, () =>
          amount > 0n
            ? `  reward ${formatCoin(amount)} DOIN in work block ${b.header.height} (for ${settled.map((u) => short(u.optimae)).join(", ")})`
            : `  work block ${b.header.height} paid other optimizers only (no increment for ${settled.map((u) => short(u.optimae)).join(", ")})`,
        );
      }
    }
  }

  /** Takes one optimae from wherever it is to a final stage. */
  async function follow(start: OptimaeEntry): Promise<OptimaeEntry> {
    let e = start;
    const sender = o.sender as Sender;
    while (!FINISHED.includes(e.stage)) {
      interrupted();
      switch (e.stage) {
        case "committing": {
          // resumed: the commit was signed; did the node take it?
          const t = e.commitTx === null ? null : await client.tx(e.commitTx);
          e = save(t === null || t.status === "dropped" ? { ...e, stage: "abandoned", note: "the commit never reached the chain" } : { ...e, stage: "committed" });
          break;
        }
        case "committed": {
          const commit = await landed(e.commitTx as string);
          if ("lost" in commit) {
            e = save({ ...e, stage: "abandoned", note: commit.lost });
            break;
          }
          const revealed = await roundOf(e);
          if (revealed !== undefined) {
            e = save({ ...e, stage: "revealed", revealTx: revealed.optimae });
            break;
          }
          if ((await client.chainStatus()).height > commit.height + rules.revealWindowBlocks) {
            summary.expired++;
            e = save({ ...e, stage: "expired", note: "the commit's reveal window closed" });
            break;
          }
          const id = await sendWhenAllowed("reveal", async () => {
            const tx = await sender.send("reveal", { commit: e.commitTx as string, params: e.params, salt: e.salt, reported: BigInt(e.reported) }, await fee());
            return tx.id;
          });
          e = save({ ...e, stage: "revealed", revealTx: id });
          out.event({ event: "reveal", id, commitHeight: commit.height }, () => `  commit in block ${commit.height} · reveal ${short(id)}`);
          break;
        }
        case "revealed": {
          let shown = "";
          const progress = out.progress(`optimae ${short(e.revealTx)}: waiting for the quorum`);
          const r = await until(`the verdict on optimae ${short(e.revealTx)}`, async () => {
            const round = await roundOf(e);
            if (round === undefined) {
              const t = await client.tx(e.revealTx as string);
              if (t === null || t.status === "dropped") return { gone: t === null ? "the node no longer knows the reveal" : `the reveal was dropped: ${t.code}` } as const;
              return undefined;
            }
            const text = `optimae ${short(round.optimae)}: ${round.status}, votes ${round.votes.length}/${round.quorum.length}, deadline height ${round.deadline}`;
            if (text !== shown) progress.update((shown = text));
            return round.status === "voting" ? undefined : round;
          }).finally(() => progress.stop());
          if ("gone" in r) {
            e = save({ ...e, stage: "abandoned", note: r.gone });
            break;
          }
          out.event({ event: "verdict", optimae: r.optimae, status: r.status, verified: r.verified, votes: r.votes.length, quorum: r.quorum.length }, () =>
            `  verdict: ${r.status}${r.verified === null ? "" : ` (verified ${formatFixed(r.verified)})`}, ${r.votes.length}/${r.quorum.length} votes`,
          );
          if (r.status === "rejected" || r.status === "expired") {
            if (r.status === "rejected") summary.rejected++;
            else summary.expired++;
            e = save({ ...e, stage: r.status });
          } else if (r.status === "claimed" || r.status === "superseded") {
            e = save({ ...e, stage: "accepting" });
          } else {
            summary.accepted++;
            const id = await sendWhenAllowed("accept", async () => (await sender.send("accept", { optimae: r.optimae, ...e.experiment }, await fee())).id);
            e = save({ ...e, stage: "accepting", acceptTx: id });
          }
          break;
        }
        case "accepting": {
          if (e.acceptTx !== null && e.acceptHeight === null) {
            const accept = await landed(e.acceptTx);
            if ("lost" in accept) {
              // the round may still be claimable: send the accept again
              e = save({ ...e, stage: "revealed", acceptTx: null, note: accept.lost });
              break;
            }
            e = save({ ...e, acceptHeight: accept.height });
          }
          const r = await until(`the claim of optimae ${short(e.revealTx)}`, async () => {
            const round = await roundOf(e);
            return round !== undefined && (round.status === "claimed" || round.status === "superseded") ? round : undefined;
          });
          if (r.status === "superseded") summary.superseded++;
          else summary.claimed++;
          e = save({ ...e, stage: r.status === "claimed" ? "claimed" : "superseded" });
          out.event({ event: r.status, optimae: r.optimae, height: e.acceptHeight }, () =>
            r.status === "claimed" ? `  claimed at height ${e.acceptHeight}: the domain's champion` : `  superseded: a better champion was claimed first (no reward)`,
          );
          if (r.status === "claimed" && e.acceptHeight !== null) {
            unpaid.push({ optimae: r.optimae, from: e.acceptHeight });
            await collectRewards();
          }
          break;
        }
        default:
          throw new Error(`unknown stage ${e.stage as string}`);
      }
    }
    return e;
  }

  /** Commit, reveal and accept each pay the fee; the commit locks the domain's bond until its round ends. */
  async function ensureFunds(f: bigint): Promise<void> {
    const sender = o.sender as Sender;
    const needed = o.domain.bond + 3n * f;
    const balance = BigInt((await client.account(sender.address)).balance);
    if (balance < needed) {
      throw new CliError(
        "INSUFFICIENT_BALANCE",
        `${sender.address} holds ${formatCoin(balance)} DOIN; an optimae needs ${formatCoin(needed)} (bond ${formatCoin(o.domain.bond)} + 3 fees of ${formatCoin(f)})`,
        EXIT.REFUSED,
        `fund it: doin transfer --from FUNDED_KEY --to ${sender.address} --amount ${formatCoin(needed)}; or --fee 0 where the network takes it`,
      );
    }
  }

  /** Commits a claim (the journal first), and follows it. */
  async function commit(result: OptimizeResult): Promise<void> {
    const sender = o.sender as Sender;
    const reported = BigInt(result.reported);
    const salt = bytesToHex(crypto.getRandomValues(new Uint8Array(16)));
    const commitment = computeCommitment({ domain: o.domainId, params: result.params as JsonValue, salt, reported, optimizer: sender.publicKey });
    const f = await fee();
    await ensureFunds(f);
    let entry: Omit<OptimaeEntry, "updatedAt"> = {
      commitment,
      domain: o.domainId,
      params: result.params as JsonValue,
      salt,
      reported: reported.toString(),
      experiment: {
        experimentId: result.experimentId,
        roundNumber: result.roundNumber,
        timeToResultSeconds: result.timeToResultSeconds,
        optimizationConfigHash: result.optimizationConfigHash,
        dataHash: result.dataHash,
      },
      stage: "committing",
      commitTx: null,
      revealTx: null,
      acceptTx: null,
      acceptHeight: null,
    };
    const id = await sendWhenAllowed("commit", async () => {
      const tx = await sender.prepare("commit", { domain: o.domainId, commitment }, f);
      // written before it is sent: a crash in between loses nothing (the next run asks the node)
      entry = save({ ...entry, commitTx: tx.id });
      await sender.submit(tx);
      return tx.id;
    }).catch((err: unknown) => {
      save({ ...entry, stage: "abandoned", note: err instanceof CliError ? `${err.code}: ${err.message}` : String(err) });
      throw err;
    });
    summary.committed++;
    out.event({ event: "commit", id, commitment }, () => `  commit ${short(id)}`);
    await follow(save({ ...entry, stage: "committed" }));
  }

  // a key that cannot pay for an optimae hears it before any round runs
  if (o.sender !== null) await ensureFunds(await fee());

  // optimae a previous run left open
  for (const open of o.journal?.open(o.domainId) ?? []) {
    out.event({ event: "resume", commitment: open.commitment, stage: open.stage }, () => `resuming optimae ${short(open.commitment)} (${open.stage})`);
    await follow(open);
  }

  const enough = () => (o.rounds !== null && summary.rounds >= o.rounds) || (o.improvements !== null && summary.claimed >= o.improvements);
  while (!enough()) {
    interrupted();
    await collectRewards();
    // the champion migrates into the island as it does on a runner (read the runner's way)
    const result = await o.island.round(async () => parseChampions(await client.champions()).find((c) => c.domain === o.domainId) ?? null).catch((e: unknown) => {
      // the plugin's own failure (bad parameters, a worker that died): the plugin's to fix, not doin's
      if (e instanceof CliError) throw e;
      throw new CliError("PLUGIN", `the ${o.domainId} plugin failed in round ${summary.rounds + 1}: ${e instanceof Error ? e.message : String(e)}`, EXIT.USAGE);
    });
    summary.rounds++;
    const champion = (await client.champions()).find((x) => x.domain === o.domainId);
    const championPerf = champion === undefined ? o.domain.rules.initialChampion : BigInt(champion.performance);
    const delta = improvement(o.domain.rules, championPerf, BigInt(result.reported));
    const worth = delta >= epsilon;
    out.event(
      { event: "round", round: summary.rounds, reported: result.reported, champion: championPerf.toString(), improvement: delta.toString(), commit: worth && o.sender !== null },
      () =>
        `round ${summary.rounds}: ${o.domainId} ${formatFixed(result.reported)} (champion ${formatFixed(championPerf)}, ${delta >= 0n ? "+" : ""}${formatFixed(delta)}): ` +
        (!worth ? `not better by ε ${formatFixed(epsilon)}, not committed` : o.sender === null ? "would commit (dry run)" : "committing"),
    );
    if (worth && o.sender !== null) await commit(result);
  }
  // the last claims' rewards: a short grace for their work block, else they stay pending (the chain pays them later)
  const grace = Date.now() + Math.min(o.timeoutMs, 30_000);
  for (;;) {
    await collectRewards();
    if (unpaid.length === 0 || Date.now() > grace || o.signal.aborted) break;
    await sleep(pollMs);
  }
  summary.rewardPending = unpaid.length;
  return summary;
}
