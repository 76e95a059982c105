/** Domains: every domain's rules and champion; a domain's champion and work over height, and its accepted optimae. */
import type { Context } from "hono";
import type { z } from "@hono/zod-openapi";
import { recordToWire } from "../../../core/encoding.ts";
import type { NodeEnv } from "../../http.ts";
import { championHistory } from "../../routes/history.ts";
import type { ChainMetricSchema, StatsSchema } from "../../routes/stats.ts";
import { Chart } from "../chart.tsx";
import type { ExplorerContext, View } from "../context.ts";
import { Account, Fields, fixed, fixedNumber, Hash, href, num, Table } from "../format.tsx";
import { messageView } from "./message.tsx";

type Stats = z.infer<typeof StatsSchema>;
type Metric = z.infer<typeof ChainMetricSchema>;

export async function domainsView(x: ExplorerContext): Promise<View> {
  const stats = await x.api<Stats>("/stats");
  return {
    title: "Domains",
    section: "domains",
    liveMs: 5_000,
    body: (
      <>
        <h1>Domains</h1>
        <section class="panel" id="domains-list" data-live="">
          <Table
            label="Domains"
            caption="Each domain is an optimization problem the network works on"
            columns={["Domain", "Direction", num("Champion"), num("Accepted optimae"), num("Experiments"), num("ε")]}
          >
            {x.config.params.domains.map((d) => {
              const s = stats.domains.find((e) => e.domain === d.id);
              return (
                <tr>
                  <td>
                    <a href={href.domain(d.id)}>{d.id}</a>
                  </td>
                  <td>{d.higherIsBetter ? "higher is better" : "lower is better"}</td>
                  <td class="num">{fixed(s?.best?.verified ?? d.initialChampion.toString())}</td>
                  <td class="num">{s?.acceptedOptimae ?? 0}</td>
                  <td class="num">{s?.experiments ?? 0}</td>
                  <td class="num">{fixed(d.epsilon.toString())}</td>
                </tr>
              );
            })}
          </Table>
        </section>
      </>
    ),
  };
}

/** Blocks of work and threshold history the domain page plots. */
const METRIC_WINDOW = 1_000;

export async function domainView(x: ExplorerContext, c: Context<NodeEnv>): Promise<View> {
  const id = c.req.param("id") ?? "";
  const domain = x.config.params.domains.find((d) => d.id === id);
  if (domain === undefined) return messageView(404, "Domain not found", `There is no domain ${id} on this network.`);
  const status = await x.chain.status();
  const from = Math.max(0, status.height - METRIC_WINDOW + 1);
  const [champions, metrics] = await Promise.all([
    championHistory(x.env.DB, domain.id, 5_000),
    x.api<{ metrics: Metric[] }>(`/stats/chain-metrics?domain_id=${encodeURIComponent(domain.id)}&from=${from}&limit=${METRIC_WINDOW}`),
  ]);
  const current = champions[champions.length - 1];
  const self = x.config.nodeAddress;
  const ms = metrics.metrics;
  return {
    title: `Domain ${domain.id}`,
    section: "domains",
    kind: "domain",
    liveMs: 5_000,
    charts: true,
    body: (
      <>
        <h1>Domain {domain.id}</h1>
        <section class="panel" id="domain-facts" data-live="">
          <dl class="facts">
            <dt>Champion</dt>
            <dd id="domain-champion">
              {current === undefined ? (
                <>{fixed(domain.initialChampion.toString())} (initial)</>
              ) : (
                <>
                  <a href={href.round(current.optimae)}>{fixed(current.verified)}</a> by <Account address={current.optimizer} self={self} /> at height{" "}
                  <a href={href.block(current.height)}>{current.height}</a>
                </>
              )}
            </dd>
            <dt>Accepted optimae</dt>
            <dd id="domain-accepted">{champions.length}</dd>
            <dt>Direction</dt>
            <dd>{domain.higherIsBetter ? "higher is better" : "lower is better"}</dd>
          </dl>
        </section>
        <Chart
          spec={{
            id: `champion-${domain.id}`,
            title: `Champion of ${domain.id} over height`,
            xLabel: "height",
            yLabel: "performance",
            x: champions.map((ch) => ch.height),
            series: [{ label: "champion", values: champions.map((ch) => fixedNumber(ch.verified)), step: true, points: true }],
          }}
          note="One point per accepted optimae: the champion it made, at the height of its accept."
        />
        <Chart
          spec={{
            id: `work-${domain.id}`,
            title: `Work and threshold, the last ${METRIC_WINDOW} blocks`,
            xLabel: "height",
            yLabel: "work per block",
            y2Label: "threshold",
            x: ms.map((m) => m.height),
            series: [
              // blocks without work are left out rather than drawn as zeros
              { label: "block work (all domains)", values: ms.map((m) => (m.work === "0" ? null : fixedNumber(m.work))), dotsOnly: true },
              { label: `${domain.id} work`, values: ms.map((m) => (m.domainWork === "0" ? null : fixedNumber(m.domainWork))), dotsOnly: true },
              { label: "threshold (right axis)", values: ms.map((m) => fixedNumber(m.threshold)), step: true, right: true },
            ],
          }}
        />
        <section class="panel" id="domain-optimae" data-live="">
          <h2 id="accepted-h">Accepted optimae</h2>
          {champions.length === 0 ? (
            <p class="muted">None yet: the champion is the domain's initial one.</p>
          ) : (
            <Table
              label="Accepted optimae"
              caption="Newest first; each one beat the champion before it by at least ε"
              columns={["Height", "Optimae", "Optimizer", num("Verified"), num("Previous"), num("Work added"), "Experiment"]}
            >
              {[...champions]
                .reverse()
                .slice(0, 100)
                .map((ch) => (
                  <tr>
                    <td>
                      <a href={href.block(ch.height)}>{ch.height}</a>
                    </td>
                    <td>
                      <Hash value={ch.optimae} to={href.round(ch.optimae)} />
                    </td>
                    <td>
                      <Account address={ch.optimizer} self={self} />
                    </td>
                    <td class="num">{fixed(ch.verified)}</td>
                    <td class="num">{fixed(ch.previousBest)}</td>
                    <td class="num">{fixed(ch.increment)}</td>
                    <td>
                      <a href={href.experiment(ch.experimentId, ch.optimizer)}>{ch.experimentId}</a> #{ch.roundNumber}
                    </td>
                  </tr>
                ))}
            </Table>
          )}
        </section>
        <section class="panel">
          <h2 id="rules-h">Rules</h2>
          <Fields
            label={`Rules of ${domain.id}`}
            caption="As the chain parameters carry them (Fixed values in micro-units, coin in base units, ppm in parts per million)"
            value={recordToWire(domain)}
          />
        </section>
      </>
    ),
  };
}
