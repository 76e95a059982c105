/** Experiments, as an optimization dashboard shows them: the table, and one experiment's history plot with its export links. */
import type { Context } from "hono";
import type { z } from "@hono/zod-openapi";
import type { NodeEnv } from "../../http.ts";
import type { AcceptedOptimaeSchema, ExperimentSummarySchema } from "../../routes/stats.ts";
import { Chart } from "../chart.tsx";
import type { ExplorerContext, View } from "../context.ts";
import { Account, fixed, fixedNumber, Hash, href, num, Table } from "../format.tsx";
import { messageView } from "./message.tsx";

type ExperimentSummary = z.infer<typeof ExperimentSummarySchema>;
type AcceptedOptimae = z.infer<typeof AcceptedOptimaeSchema>;

const EXPERIMENT_ID = /^[A-Za-z0-9_.:-]{1,64}$/;
const ADDRESS = /^[0-9a-f]{40}$/;

const ExportLinks = ({ domain }: { domain?: string }) => {
  const q = domain === undefined ? "" : `&domain=${encodeURIComponent(domain)}`;
  return (
    <p>
      Export {domain === undefined ? "every accepted optimae" : `${domain}'s accepted optimae`}: <a href={`/stats/export?format=csv${q}`}>CSV</a> ·{" "}
      <a href={`/stats/export?format=ndjson${q}`}>NDJSON</a>
    </p>
  );
};

export async function experimentsView(x: ExplorerContext, c: Context<NodeEnv>): Promise<View> {
  const domain = c.req.query("domain") || undefined;
  if (domain !== undefined && !x.config.params.domains.some((d) => d.id === domain)) return messageView(404, "Experiments", `There is no domain ${domain}.`);
  const { experiments } = await x.api<{ experiments: ExperimentSummary[] }>(`/stats/experiments?limit=500${domain === undefined ? "" : `&domain=${encodeURIComponent(domain)}`}`);
  const self = x.config.nodeAddress;
  return {
    title: "Experiments",
    section: "experiments",
    liveMs: 5_000,
    body: (
      <>
        <h1>Experiments{domain === undefined ? "" : ` in ${domain}`}</h1>
        <p class="muted">Every accepted optimae carries its experiment's id and round: the whole network's optimization history, on chain.</p>
        <ExportLinks {...(domain === undefined ? {} : { domain })} />
        <section class="panel" id="experiments-list" data-live="">
          {experiments.length === 0 ? (
            <p class="muted">No accepted optimae yet.</p>
          ) : (
            <Table
              label="Experiments"
              caption="Most recently active first"
              columns={["Experiment", "Domain", "Optimizer", num("Accepted"), num("Last round"), num("Best verified"), num("Work added"), "Heights"]}
            >
              {experiments.map((e) => (
                <tr>
                  <td>
                    <a href={href.experiment(e.experimentId, e.optimizer)}>{e.experimentId}</a>
                  </td>
                  <td>
                    <a href={href.domain(e.domain)}>{e.domain}</a>
                  </td>
                  <td>
                    <Account address={e.optimizer} self={self} />
                  </td>
                  <td class="num">{e.rounds}</td>
                  <td class="num">{e.lastRoundNumber}</td>
                  <td class="num">{fixed(e.bestVerified)}</td>
                  <td class="num">{fixed(e.totalIncrement)}</td>
                  <td>
                    {e.firstHeight}–{e.lastHeight}
                  </td>
                </tr>
              ))}
            </Table>
          )}
        </section>
      </>
    ),
  };
}

/** The best verified value so far, in the domain's direction (a presentation of the table's own column). */
function bestSoFar(rows: readonly AcceptedOptimae[], higherIsBetter: boolean): number[] {
  let best: bigint | null = null;
  return rows.map((r) => {
    const v = BigInt(r.verified);
    if (best === null || (higherIsBetter ? v > best : v < best)) best = v;
    return fixedNumber(best.toString());
  });
}

export async function experimentView(x: ExplorerContext, c: Context<NodeEnv>): Promise<View> {
  const id = c.req.param("id") ?? "";
  const optimizer = c.req.query("optimizer") || undefined;
  if (!EXPERIMENT_ID.test(id)) return messageView(400, "Experiment", "An experiment id is 1 to 64 of A–Z a–z 0–9 _ . : -.");
  if (optimizer !== undefined && !ADDRESS.test(optimizer)) return messageView(400, "Experiment", "optimizer= takes a 40-hex address.");
  const q = `experiment_id=${encodeURIComponent(id)}&limit=1000${optimizer === undefined ? "" : `&optimizer=${optimizer}`}`;
  const { rounds } = await x.api<{ rounds: AcceptedOptimae[] }>(`/stats/rounds?${q}`);
  if (rounds.length === 0) return messageView(404, "Experiment not found", `No accepted optimae of experiment ${id} yet.`);
  const domainId = rounds[0]?.domain ?? "";
  const domain = x.config.params.domains.find((d) => d.id === domainId);
  const self = x.config.nodeAddress;
  return {
    title: `Experiment ${id}`,
    section: "experiments",
    kind: "experiment",
    liveMs: 5_000,
    charts: true,
    body: (
      <>
        <h1>Experiment {id}</h1>
        <p>
          <a href={href.domain(domainId)}>{domainId}</a>
          {optimizer === undefined ? null : (
            <>
              {" "}
              · optimizer <Account address={optimizer} self={self} />
            </>
          )}{" "}
          · {rounds.length} accepted optimae
        </p>
        <p>
          Export: <a href={`/stats/rounds?${q}`}>this experiment (JSON)</a> · <a href={`/stats/export?format=csv&domain=${encodeURIComponent(domainId)}`}>{domainId} (CSV)</a> ·{" "}
          <a href={`/stats/export?format=ndjson&domain=${encodeURIComponent(domainId)}`}>{domainId} (NDJSON)</a>
        </p>
        <Chart
          spec={{
            id: "experiment-history",
            title: "Claimed and verified performance per round",
            xLabel: "round",
            yLabel: "performance",
            x: rounds.map((r) => r.roundNumber),
            series: [
              { label: "claimed", values: rounds.map((r) => fixedNumber(r.reported)), points: true, dash: true },
              { label: "verified", values: rounds.map((r) => fixedNumber(r.verified)), points: true },
              { label: "best so far", values: bestSoFar(rounds, domain?.higherIsBetter ?? true), step: true },
            ],
          }}
        />
        <section class="panel" id="experiment-rounds" data-live="">
          <Table
            label="Rounds of the experiment"
            caption="Accepted optimae in round order"
            columns={[num("Round"), "Optimae", num("Claimed"), num("Verified"), num("Previous best"), num("Work added"), num("Time to result"), "Height"]}
          >
            {rounds.map((r) => (
              <tr>
                <td class="num">{r.roundNumber}</td>
                <td>
                  <Hash value={r.optimae} to={href.round(r.optimae)} />
                </td>
                <td class="num">{fixed(r.reported)}</td>
                <td class="num">{fixed(r.verified)}</td>
                <td class="num">{fixed(r.previousBest)}</td>
                <td class="num">{fixed(r.increment)}</td>
                <td class="num">{r.timeToResultSeconds} s</td>
                <td>
                  <a href={href.block(r.height)}>{r.height}</a>
                </td>
              </tr>
            ))}
          </Table>
        </section>
      </>
    ),
  };
}
