/**
 * Rounds: the optimae lifecycle. The list (open rounds with their deadlines,
 * then every round) and one round's story: commit → reveal → the selected
 * quorum → each evaluator's vote with its data seed and hash → the verdict
 * (median, tolerance, clipped outliers) → accept → champion. Seeds and
 * verdicts are the node's (core's, through the D1 history), never computed here.
 */
import type { Context } from "hono";
import type { NodeEnv } from "../../http.ts";
import { championHistory, listRounds, roundDetail, type RoundDetail, type RoundSummary } from "../../routes/history.ts";
import type { ExplorerContext, View } from "../context.ts";
import { Account, Badge, fixed, Hash, href, Json, num, Table } from "../format.tsx";
import { RoundsTable, votesText } from "../tables.tsx";
import { indexingView, messageView } from "./message.tsx";

const STATUSES: readonly RoundSummary["status"][] = ["voting", "accepted", "rejected", "expired", "claimed", "superseded"];

export async function roundsView(x: ExplorerContext, c: Context<NodeEnv>): Promise<View> {
  const status = c.req.query("status");
  const domain = c.req.query("domain");
  if (status !== undefined && status !== "" && !STATUSES.includes(status as RoundSummary["status"])) return messageView(400, "Rounds", `status= takes one of ${STATUSES.join(", ")}.`);
  if (domain !== undefined && domain !== "" && !x.config.params.domains.some((d) => d.id === domain)) return messageView(404, "Rounds", `There is no domain ${domain}.`);
  const filter = { status: status === "" ? undefined : (status as RoundSummary["status"] | undefined), domain: domain === "" ? undefined : domain };
  const [open, rounds, chain] = await Promise.all([
    listRounds(x.env.DB, { status: "voting", domain: filter.domain }, 100),
    listRounds(x.env.DB, filter, 100),
    x.chain.status(),
  ]);
  const self = x.config.nodeAddress;
  return {
    title: "Rounds",
    section: "rounds",
    liveMs: 3_000,
    body: (
      <>
        <h1>Rounds</h1>
        <p class="muted">
          Each optimae's life on chain: the optimizer commits to hidden parameters, reveals them in a later block, a quorum selected from the commit
          block's hash evaluates them on its own synthetic data, the median of the votes decides, and the optimizer's accept makes it the champion.
        </p>
        <section class="panel" id="rounds-open" data-live="">
          <h2 id="open-h">Open rounds</h2>
          {open.length === 0 ? <p class="muted">No round is voting now.</p> : <RoundsTable rounds={open} caption={`Voting at height ${chain.height}`} height={chain.height} self={self} />}
        </section>
        <form class="panel" method="get" action={href.rounds()}>
          <label for="f-status">Status </label>
          <select id="f-status" name="status">
            <option value="">any</option>
            {STATUSES.map((s) => (
              <option value={s} selected={s === filter.status}>
                {s}
              </option>
            ))}
          </select>{" "}
          <label for="f-domain">Domain </label>
          <select id="f-domain" name="domain">
            <option value="">any</option>
            {x.config.params.domains.map((d) => (
              <option value={d.id} selected={d.id === filter.domain}>
                {d.id}
              </option>
            ))}
          </select>{" "}
          <button class="button" type="submit">
            Show
          </button>
        </form>
        <section class="panel" id="rounds-all" data-live="">
          <h2 id="all-h">Latest rounds</h2>
          {rounds.length === 0 ? <p class="muted">No round yet.</p> : <RoundsTable rounds={rounds} caption="Newest first" height={chain.height} self={self} />}
        </section>
      </>
    ),
  };
}

type Step = "done" | "failed" | "waiting";

const TxLine = ({ tx }: { tx: RoundDetail["commit"] }) =>
  tx === null ? (
    <span class="muted">not in the history</span>
  ) : (
    <>
      <Hash value={tx.id} to={href.tx(tx.id)} /> in block <a href={href.block(tx.height)}>{tx.height}</a>
    </>
  );

const QuorumTable = ({ r, self }: { r: RoundDetail; self: string }) => (
  <Table
    label="Quorum and votes"
    id="quorum"
    caption={<>{r.quorumSize} evaluators selected, in selection order; {r.required ?? "?"} votes needed; {r.votes} counted</>}
    columns={[num("Rank"), "Evaluator", "Data seed", num("Vote"), "Data hash", "Vote transaction", "Verdict"]}
  >
    {r.quorum.map((q) => (
      <tr class="quorum-member" data-evaluator={q.evaluator}>
        <td class="num">{q.rank + 1}</td>
        <td>
          <Account address={q.evaluator} self={self} />
        </td>
        <td>{q.seed === null ? "–" : <Hash value={q.seed} chars={16} />}</td>
        <td class="num" data-performance={q.vote?.performance ?? ""}>
          {q.vote === null ? <span class="muted">no vote</span> : fixed(q.vote.performance)}
        </td>
        <td>{q.vote === null ? "–" : <Hash value={q.vote.dataHash} />}</td>
        <td>{q.vote === null || q.vote.tx === null ? "–" : <TxLine tx={q.vote.tx} />}</td>
        <td>{q.verdict === null ? "–" : <Badge kind={q.verdict} />}</td>
      </tr>
    ))}
  </Table>
);

const VerdictFacts = ({ r }: { r: RoundDetail }) => {
  if (r.verdict === null) {
    if (r.status === "voting") return <p>Voting until height {r.deadline}: {votesText(r)}.</p>;
    return (
      <p>
        <Badge kind="expired" /> The window closed at height {r.deadline} with {r.votes} of the {r.required ?? "?"} votes needed: no verdict.
      </p>
    );
  }
  const v = r.verdict;
  return (
    <dl class="facts" id="verdict">
      <dt>Outcome</dt>
      <dd id="verdict-outcome">
        <Badge kind={v.accepted ? "accepted" : "rejected"} />
      </dd>
      <dt>Median of the votes</dt>
      <dd id="verdict-median">{fixed(v.median)}</dd>
      <dt>Tolerance</dt>
      <dd id="verdict-tolerance">± {fixed(v.tolerance)}</dd>
      <dt>Verified (median of the agreeing votes)</dt>
      <dd id="verdict-verified" data-fixed={v.verified}>
        {fixed(v.verified)}
      </dd>
      <dt>Claimed</dt>
      <dd>{fixed(r.reported)}</dd>
      <dt>Agreeing</dt>
      <dd>{v.agreeing.length}</dd>
      <dt>Outliers (clipped)</dt>
      <dd id="verdict-outliers">
        {v.outliers.length === 0
          ? "none"
          : v.outliers.map((o, i) => (
              <>
                {i > 0 ? ", " : ""}
                <Hash value={o} to={href.account(o)} />
              </>
            ))}
      </dd>
    </dl>
  );
};

export async function roundView(x: ExplorerContext, c: Context<NodeEnv>): Promise<View> {
  const optimae = c.req.param("optimae") ?? "";
  if (!/^[0-9a-f]{64}$/.test(optimae)) return messageView(400, "Round", "A round is named by its optimae id: the reveal transaction's 64-hex id.");
  const r = await roundDetail(x.env.DB, optimae);
  if (r === null) {
    return (await x.chain.txLocation(optimae)) !== null ? indexingView(`Round ${optimae.slice(0, 10)}…`) : messageView(404, "Round not found", `This node knows no round ${optimae}.`);
  }
  const [champion, chain] = await Promise.all([championHistory(x.env.DB, r.domain, 1), x.chain.status()]);
  const isChampion = champion[0]?.optimae === r.optimae;
  const self = x.config.nodeAddress;
  const decided = r.verdict !== null;
  const steps: Record<"commit" | "reveal" | "quorum" | "verdict" | "accept" | "champion", Step> = {
    commit: "done",
    reveal: "done",
    quorum: r.votes >= (r.required ?? r.quorumSize) || decided ? "done" : r.status === "expired" ? "failed" : "waiting",
    verdict: r.verdict?.accepted === true ? "done" : decided || r.status === "expired" ? "failed" : "waiting",
    accept: r.accept !== null ? "done" : r.status === "accepted" ? "waiting" : "failed",
    champion: r.accept !== null ? "done" : r.status === "accepted" ? "waiting" : "failed",
  };
  return {
    title: `Round ${optimae.slice(0, 10)}…`,
    section: "rounds",
    kind: "round",
    // until the optimizer's accept (or the end), the round can still change
    ...(r.status === "voting" || r.status === "accepted" ? { liveMs: 2_000 } : {}),
    body: (
      <>
        <h1>
          Round <Hash value={r.optimae} chars={12} /> <Badge kind={r.status} />
        </h1>
        <p>
          <a href={href.domain(r.domain)}>{r.domain}</a> · optimizer <Account address={r.optimizer} self={self} /> · claimed {fixed(r.reported)}
        </p>
        <div id="round-story" data-live="">
          <ol class="lifecycle">
            <li class={steps.commit}>
              <h2>Commit</h2>
              <p>
                <TxLine tx={r.commit} />. The commitment hides the parameters, the claim and the author until the reveal.
              </p>
              {r.beacon === null ? null : (
                <p class="muted">
                  The beacon <Hash value={r.beacon} chars={16} /> (the chain's randomness four blocks after the commit) seeds the quorum and the evaluators' data.
                </p>
              )}
            </li>
            <li class={steps.reveal}>
              <h2>Reveal</h2>
              <p>
                <TxLine tx={r.reveal} /> at height {r.revealHeight}, claiming <strong>{fixed(r.reported)}</strong>.
              </p>
              <details>
                <summary>Revealed parameters</summary>
                <Json value={r.params} />
              </details>
            </li>
            <li class={steps.quorum}>
              <h2>Quorum and votes</h2>
              <p class="muted">
                Each evaluator scores the parameters on synthetic data from its own seed and votes its measured performance with the hash of that data;
                votes count until height {r.deadline}.
              </p>
              <QuorumTable r={r} self={self} />
            </li>
            <li class={steps.verdict}>
              <h2>Verdict</h2>
              <VerdictFacts r={r} />
            </li>
            <li class={steps.accept}>
              <h2>Accept</h2>
              {r.accept === null ? (
                <p>{r.status === "accepted" ? "Verified: waiting for the optimizer's accept." : r.status === "superseded" ? "Claimed after a better champion arrived: worth nothing." : "Not accepted."}</p>
              ) : (
                <p id="round-accept">
                  <TxLine tx={r.accept.tx} />: experiment <a href={href.experiment(r.accept.experimentId, r.optimizer)}>{r.accept.experimentId}</a> round{" "}
                  {r.accept.roundNumber}, adding {fixed(r.accept.increment)} of verified work.
                </p>
              )}
            </li>
            <li class={steps.champion}>
              <h2>Champion</h2>
              {r.accept === null ? (
                <p class="muted">–</p>
              ) : (
                <p>
                  {fixed(r.accept.previousBest)} → <strong>{fixed(r.verified ?? r.accept.previousBest)}</strong> in {r.domain}
                  {isChampion ? " — the domain's current champion." : "; since improved on."}
                </p>
              )}
            </li>
          </ol>
          <p class="muted">Chain height {chain.height}.</p>
        </div>
      </>
    ),
  };
}
