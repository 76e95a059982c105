// @ts-check
/**
 * The explorer in the browser. The node renders every page; this script only
 * keeps it alive:
 * - live regions: every `data-refresh` ms the page is fetched again and each
 *   `[data-live]` element whose content changed is replaced, so the page
 *   updates without a reload;
 * - charts: each `<script type="application/json" data-chart>` holds a
 *   chart's data, drawn with uPlot (when the page loads it) and updated in
 *   place when a refresh brings new data;
 * - ages: `<time data-age>` elements count up every second.
 * It computes nothing of the protocol: every value comes from the node.
 * `window.doinExplorer` exposes the charts (their data is what the tests read).
 */
(() => {
  /**
   * @typedef {{ label: string, values: (number | null)[], step?: boolean, points?: boolean, dotsOnly?: boolean, dash?: boolean, right?: boolean }} SeriesSpec
   * @typedef {{ id: string, title: string, xLabel: string, yLabel: string, y2Label?: string, x: number[], series: SeriesSpec[] }} ChartSpec
   */

  /** @type {Map<string, uPlot>} */
  const charts = new Map();
  const state = { charts, refreshes: 0, failures: 0 };
  window.doinExplorer = state;

  const css = (/** @type {string} */ name, /** @type {string} */ fallback) =>
    getComputedStyle(document.documentElement).getPropertyValue(name).trim() || fallback;

  /** A number as a short label: 1234567 → 1.23M, 0.000123 → 1.23e-4. */
  const short = (/** @type {number} */ v) => {
    const a = Math.abs(v);
    if (a === 0) return "0";
    if (a >= 1e6) return `${(v / 1e6).toPrecision(3)}M`;
    if (a >= 1e3) return `${(v / 1e3).toPrecision(3)}k`;
    if (a < 1e-2) return v.toExponential(2);
    return String(Number(v.toPrecision(4)));
  };

  /** Tick steps 1, 2, 5, 10, 20, 50, … */
  const WHOLE_STEPS = Array.from({ length: 30 }, (_, i) => (i % 3 === 0 ? 1 : i % 3 === 1 ? 2 : 5) * 10 ** Math.floor(i / 3));

  /** @param {ChartSpec} spec @returns {uPlot.AlignedData} */
  const dataOf = (spec) => [spec.x, ...spec.series.map((s) => s.values)];

  /** @param {ChartSpec} spec @param {HTMLElement} el */
  function makeChart(spec, el) {
    const text = css("--fg-muted", "#555");
    const grid = css("--grid", "#ddd");
    const right = spec.series.some((s) => s.right === true);
    /** @type {uPlot.Axis[]} */
    const axes = [
      // x is a height or a round number: whole ticks only
      { label: spec.xLabel, stroke: text, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid, width: 1 }, incrs: WHOLE_STEPS, values: (_u, vals) => vals.map(String) },
      { label: spec.yLabel, stroke: text, size: 64, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid, width: 1 }, values: (_u, vals) => vals.map(short) },
    ];
    if (right) axes.push({ scale: "right", side: 1, label: spec.y2Label ?? "", stroke: text, size: 64, grid: { show: false }, values: (_u, vals) => vals.map(short) });
    /** @type {uPlot.Options} */
    const opts = {
      width: Math.max(280, el.clientWidth),
      height: 260,
      scales: right ? { x: { time: false }, right: {} } : { x: { time: false } },
      legend: { show: true, live: false },
      cursor: { drag: { x: false, y: false } },
      axes,
      series: [
        { label: spec.xLabel },
        ...spec.series.map((s, i) => {
          const color = css(`--chart-${i + 1}`, "#1f6feb");
          /** @type {uPlot.Series} */
          const series = { label: s.label, stroke: color, width: 2, spanGaps: true, points: { show: s.points === true || s.dotsOnly === true, size: 7, fill: color } };
          if (s.step === true && uPlot.paths.stepped !== undefined) series.paths = uPlot.paths.stepped({ align: 1 });
          if (s.dotsOnly === true) series.paths = () => null;
          if (s.dash === true) series.dash = [6, 4];
          if (s.right === true) series.scale = "right";
          return series;
        }),
      ],
    };
    el.replaceChildren();
    const u = new uPlot(opts, dataOf(spec), el);
    charts.set(spec.id, u);
    new ResizeObserver(() => {
      const width = Math.max(280, el.clientWidth);
      if (width !== u.width) u.setSize({ width, height: 260 });
    }).observe(el);
  }

  /** Draws (or updates) every chart under `root`. */
  function renderCharts(/** @type {ParentNode} */ root) {
    if (typeof uPlot === "undefined") return;
    for (const script of root.querySelectorAll("script[data-chart]")) {
      /** @type {ChartSpec} */
      const spec = JSON.parse(script.textContent ?? "{}");
      const el = document.getElementById(`${spec.id}-plot`);
      if (el === null) continue;
      const existing = charts.get(spec.id);
      if (existing === undefined && spec.x.length === 0) continue;
      if (existing !== undefined && el.contains(existing.root)) existing.setData(dataOf(spec));
      else makeChart(spec, el);
    }
  }

  const AGE_UNITS = /** @type {const} */ ([
    [86_400, "d"],
    [3_600, "h"],
    [60, "min"],
    [1, "s"],
  ]);

  /** `<time data-age datetime="…">`: "12 s ago". */
  function updateAges() {
    for (const t of document.querySelectorAll("time[data-age]")) {
      const at = Date.parse(t.getAttribute("datetime") ?? "");
      if (Number.isNaN(at)) continue;
      const s = Math.max(0, Math.round((Date.now() - at) / 1000));
      const [size, unit] = AGE_UNITS.find(([n]) => s >= n) ?? [1, "s"];
      t.textContent = `${Math.floor(s / size)} ${unit} ago`;
    }
  }

  /** Fetches the page again and swaps what changed. */
  async function refresh() {
    const res = await fetch(location.href, { cache: "no-store" });
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    const doc = new DOMParser().parseFromString(await res.text(), "text/html");
    // another kind of page (what was still being indexed now is): load it whole
    const view = (/** @type {Element | null} */ m) => m?.getAttribute("data-view") ?? "";
    if (view(doc.querySelector("main")) !== view(document.querySelector("main"))) {
      location.reload();
      return;
    }
    for (const fresh of doc.querySelectorAll("[data-live]")) {
      const old = document.getElementById(fresh.id);
      if (old !== null && old.innerHTML !== fresh.innerHTML) old.innerHTML = fresh.innerHTML;
    }
    for (const fresh of doc.querySelectorAll("script[data-chart]")) {
      const id = fresh.getAttribute("data-chart") ?? "";
      const old = document.querySelector(`script[data-chart="${CSS.escape(id)}"]`);
      if (old !== null && old.textContent !== fresh.textContent) {
        old.textContent = fresh.textContent;
        renderCharts(/** @type {ParentNode} */ (old.parentNode));
      }
    }
    updateAges();
  }

  function startLive() {
    const main = document.querySelector("main[data-refresh]");
    if (!(main instanceof HTMLElement)) return;
    const every = Math.max(1000, Number(main.dataset["refresh"]) || 3000);
    const badge = document.getElementById("live-state");
    let busy = false;
    setInterval(async () => {
      if (busy || document.hidden) return;
      busy = true;
      try {
        await refresh();
        state.refreshes++;
        if (badge !== null) {
          badge.textContent = "live";
          badge.dataset["state"] = "live";
        }
      } catch {
        // the node may be restarting: say so and try again at the next tick
        state.failures++;
        if (badge !== null) {
          badge.textContent = "offline";
          badge.dataset["state"] = "offline";
        }
      } finally {
        busy = false;
      }
    }, every);
  }

  renderCharts(document);
  updateAges();
  setInterval(updateAges, 1000);
  startLive();
})();
