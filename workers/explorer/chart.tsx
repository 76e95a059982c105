/**
 * A chart: its data as JSON in the page, drawn by the page script with uPlot
 * (workers/explorer/assets/explorer.client.js reads the same shape).
 */
import { raw } from "hono/html";

export interface SeriesSpec {
  readonly label: string;
  readonly values: readonly (number | null)[];
  /** a step line (a value holds until the next point) */
  readonly step?: boolean;
  /** a dot at every point */
  readonly points?: boolean;
  /** dots only, no line between them (null values are left out) */
  readonly dotsOnly?: boolean;
  readonly dash?: boolean;
  /** drawn against a second y axis on the right (a quantity of another size) */
  readonly right?: boolean;
}

export interface ChartSpec {
  /** unique on the page; the client registers the chart under it */
  readonly id: string;
  readonly title: string;
  readonly xLabel: string;
  readonly yLabel: string;
  /** the right axis' label, for series with `right` */
  readonly y2Label?: string;
  /** ascending */
  readonly x: readonly number[];
  readonly series: readonly SeriesSpec[];
}

/** JSON that cannot close its <script> element. */
const scriptJson = (value: unknown): string => JSON.stringify(value).replace(/</g, "\\u003c");

export const Chart = ({ spec, note }: { spec: ChartSpec; note?: string }) => {
  const last = spec.series.map((s) => `${s.label} ${s.values[s.values.length - 1] ?? "none"}`).join(", ");
  const summary = spec.x.length === 0 ? "no data yet" : `${spec.x.length} points from ${spec.xLabel} ${spec.x[0]} to ${spec.x[spec.x.length - 1]}; last: ${last}`;
  return (
    <figure class="chart" id={spec.id}>
      <figcaption>{spec.title}</figcaption>
      <div id={`${spec.id}-plot`} class="plot" role="img" aria-label={`${spec.title}: ${summary}`}>
        {spec.x.length === 0 ? <p class="muted">No data yet.</p> : null}
      </div>
      {note === undefined ? null : <p class="muted">{note}</p>}
      <script type="application/json" data-chart={spec.id}>
        {raw(scriptJson(spec))}
      </script>
    </figure>
  );
};
