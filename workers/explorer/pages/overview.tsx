/** The overview (`/`): the chain head, work against the threshold, coin, mempool, peers, runners, champions, latest blocks, open rounds. Live. */
import type { Child } from "hono/jsx";
import { championHistory, listBlocks, listRounds } from "../../routes/history.ts";
import type { ExplorerContext, View } from "../context.ts";
import { Account, Age, coin, fixed, Hash, href, num, Table, utc } from "../format.tsx";
import { BlocksTable, RoundsTable } from "../tables.tsx";

export const OVERVIEW_LIVE_MS = 2_000;

const Card = ({ id, label, children, note }: { id: string; label: string; children: Child; note?: Child }) => (
  <div class="card">
    <dt>{label}</dt>
    <dd id={id}>{children}</dd>
    {note === undefined ? null : <dd class="note">{note}</dd>}
  </div>
);

export async function overviewView(x: ExplorerContext): Promise<View> {
  const [status, mempool, tasks, peers, champions, blocks, open] = await Promise.all([
    x.chain.status(),
    x.mempool.size(),
    x.tasks.stats(),
    x.network.peers(),
    Promise.all(x.config.params.domains.map(async (d) => (await championHistory(x.env.DB, d.id, 1))[0])),
    listBlocks(x.env.DB, undefined, 10),
    listRounds(x.env.DB, { status: "voting" }, 20),
  ]);
  const params = x.config.params;
  const self = x.config.nodeAddress;
  const threshold = BigInt(status.threshold);
  const pending = BigInt(status.pendingWork);
  // share of the threshold reached, for the meter only (whole percent)
  const percent = threshold > 0n ? Number((pending * 100n) / threshold) : 0;
  const now = Date.now();
  const banned = peers.filter((p) => p.bannedUntil !== null && p.bannedUntil > now).length;
  const jobs = tasks.ok ? tasks.value : null;

  return {
    title: "Overview",
    section: "overview",
    liveMs: OVERVIEW_LIVE_MS,
    body: (
      <>
        <h1>Network overview</h1>
        <div id="overview-stats" data-live="">
          <dl class="cards">
            <Card id="stat-height" label="Height" note={<Hash value={status.tip} to={href.block(status.tip)} />}>
              <a href={href.block(status.height)}>{status.height}</a>
            </Card>
            <Card id="stat-finalized" label="Finalized height" note={`${status.height - status.finalizedHeight} blocks below the tip`}>
              <a href={href.block(status.finalizedHeight)}>{status.finalizedHeight}</a>
            </Card>
            <Card id="stat-tip-age" label="Tip age" note={utc(status.tipTimestamp)}>
              <Age ms={status.tipTimestamp} />
            </Card>
            <Card id="stat-threshold" label="Threshold" note="verified work a work block needs">
              {fixed(status.threshold)}
            </Card>
            <Card
              id="stat-pending-work"
              label="Pending work"
              note={
                <>
                  {percent}% of the threshold
                  <meter class="meter" min={0} max={100} value={Math.min(100, percent)} aria-label="pending work as a share of the threshold" />
                </>
              }
            >
              {fixed(status.pendingWork)}
            </Card>
            <Card id="stat-supply" label="Supply" note={`of ${coin(params.maxSupply.toString())}`}>
              {coin(status.supply)}
            </Card>
            <Card id="stat-minted" label="Minted blocks" note="work blocks">
              {status.mintedBlocks}
            </Card>
            <Card id="stat-mempool" label="Mempool" note="pending transactions">
              {mempool}
            </Card>
            <Card id="stat-peers" label="Peers" note={`${banned} banned`}>
              <a href={href.peers()}>{peers.length}</a>
            </Card>
            <Card
              id="stat-jobs"
              label="Runners at work"
              note={jobs === null ? "jobs unavailable" : `${jobs.byStatus.pending} jobs pending, ${jobs.byStatus.done} done`}
            >
              {jobs === null ? "–" : `${jobs.byStatus.leased} leased`}
            </Card>
            <Card id="stat-open-rounds" label="Open rounds" note={`${status.accounts} accounts`}>
              <a href={href.rounds()}>{status.openRounds}</a>
            </Card>
            <Card id="stat-outbox" label="History behind" note="blocks not yet in the D1 history">
              {status.outboxPending}
            </Card>
          </dl>
        </div>

        <div class="columns">
          <section class="panel" id="overview-champions" data-live="">
            <h2 id="champions-h">Champions</h2>
            <Table label="Champions" columns={["Domain", num("Champion"), "Optimizer", "Since"]}>
              {params.domains.map((d, i) => {
                const c = champions[i];
                return (
                  <tr>
                    <td>
                      <a href={href.domain(d.id)}>{d.id}</a>
                    </td>
                    <td class="num">{c === undefined ? fixed(d.initialChampion.toString()) : <a href={href.round(c.optimae)}>{fixed(c.verified)}</a>}</td>
                    <td>{c === undefined ? <span class="muted">initial</span> : <Account address={c.optimizer} self={self} />}</td>
                    <td>{c === undefined ? "genesis" : <a href={href.block(c.height)}>{c.height}</a>}</td>
                  </tr>
                );
              })}
            </Table>
          </section>

          <section class="panel" id="overview-rounds" data-live="">
            <h2 id="open-h">Open rounds</h2>
            {open.length === 0 ? <p class="muted">No round is voting now.</p> : <RoundsTable rounds={open} caption="Rounds voting now" height={status.height} self={self} />}
          </section>
        </div>

        <section class="panel" id="overview-blocks" data-live="">
          <h2 id="latest-h">Latest blocks</h2>
          <BlocksTable blocks={blocks} caption="The 10 latest blocks" self={self} />
          <p>
            <a href={href.blocks()}>All blocks</a>
          </p>
        </section>
      </>
    ),
  };
}
