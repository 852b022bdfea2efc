// Static SVG charts for the backtest and simulation reports: Vega-Lite specifications rendered headless by Vega
// (no browser, no canvas), embedded in self-contained HTML pages.
import { parse, View } from "vega";
import { compile, type TopLevelSpec } from "vega-lite";

export interface PricePoint {
  t: number;
  value: number;
}

export interface Interval {
  from: number;
  to: number;
  kind: string;
}

export interface TimeChart {
  title: string;
  /** One line per named series (sources, the consensus). */
  lines: { name: string; points: PricePoint[]; dashed?: boolean }[];
  /** The credible band, drawn as an area. */
  band?: { t: number; low: number; high: number }[];
  /** Shaded intervals (pauses, attack windows), coloured by kind. */
  intervals?: Interval[];
  /** Horizontal thresholds. */
  thresholds?: { name: string; value: number }[];
  /** Marked instants (liquidations). */
  marks?: { t: number; value: number; kind: string }[];
  width?: number;
  height?: number;
}

const MAX_POINTS = 1_200;

/** Keeps at most `max` points, always including the first, the last, and each bucket's extremes. */
export function downsample(points: readonly PricePoint[], max = MAX_POINTS): PricePoint[] {
  if (points.length <= max) return [...points];
  const buckets = Math.floor(max / 2);
  const size = points.length / buckets;
  const out: PricePoint[] = [];
  for (let b = 0; b < buckets; b++) {
    const slice = points.slice(Math.floor(b * size), Math.floor((b + 1) * size));
    if (slice.length === 0) continue;
    let lo = slice[0];
    let hi = slice[0];
    for (const p of slice) {
      if (lo === undefined || p.value < lo.value) lo = p;
      if (hi === undefined || p.value > hi.value) hi = p;
    }
    if (lo === undefined || hi === undefined) continue;
    out.push(...(lo.t <= hi.t ? [lo, hi] : [hi, lo]));
  }
  const last = points[points.length - 1];
  if (last !== undefined) out.push(last);
  return out;
}

const toDate = (t: number): string => new Date(t * 1000).toISOString();

/** Renders a time chart to a standalone SVG string. */
export async function renderTimeChart(chart: TimeChart): Promise<string> {
  const width = chart.width ?? 900;
  const height = chart.height ?? 320;
  const x = {
    field: "time",
    type: "temporal" as const,
    title: "time (UTC)",
    scale: { type: "utc" as const },
    axis: { format: "%H:%M" },
  };
  const layers: TopLevelSpec[] = [];
  const lineValues = chart.lines.flatMap((l) =>
    downsample(l.points).map((p) => ({ time: toDate(p.t), value: p.value, series: l.name, dashed: l.dashed === true })),
  );
  const yDomain = (() => {
    const values = lineValues.map((v) => v.value).filter((v) => Number.isFinite(v) && v > 0);
    if (values.length === 0) return undefined;
    const lo = Math.min(...values);
    const hi = Math.max(...values);
    const pad = (hi - lo) * 0.05 || hi * 0.01;
    return [lo - pad, hi + pad];
  })();
  const y = { field: "value", type: "quantitative" as const, title: "price", scale: { domain: yDomain, zero: false } };
  if (chart.intervals !== undefined && chart.intervals.length > 0) {
    layers.push({
      data: { values: chart.intervals.map((i) => ({ from: toDate(i.from), to: toDate(i.to), kind: i.kind })) },
      mark: { type: "rect", opacity: 0.18 },
      encoding: {
        x: { field: "from", type: "temporal", scale: { type: "utc" } },
        x2: { field: "to" },
        color: { field: "kind", type: "nominal", title: "shaded", scale: { scheme: "set1" } },
      },
    } as unknown as TopLevelSpec);
  }
  if (chart.band !== undefined && chart.band.length > 0) {
    const band = chart.band.length > MAX_POINTS ? chart.band.filter((_, i) => i % Math.ceil(chart.band!.length / MAX_POINTS) === 0) : chart.band;
    layers.push({
      data: { values: band.map((b) => ({ time: toDate(b.t), low: b.low, high: b.high })) },
      mark: { type: "area", opacity: 0.25, color: "#7f7f7f" },
      encoding: { x, y: { field: "low", type: "quantitative", scale: { domain: yDomain, zero: false } }, y2: { field: "high" } },
    } as unknown as TopLevelSpec);
  }
  layers.push({
    data: { values: lineValues },
    mark: { type: "line", strokeWidth: 1.2, interpolate: "step-after" },
    encoding: {
      x,
      y,
      color: { field: "series", type: "nominal", title: "series" },
      strokeDash: { field: "dashed", type: "nominal", legend: null },
    },
  } as unknown as TopLevelSpec);
  for (const th of chart.thresholds ?? []) {
    layers.push({
      data: { values: [{ value: th.value, name: th.name }] },
      mark: { type: "rule", strokeDash: [4, 4], color: "#444" },
      encoding: { y: { field: "value", type: "quantitative" } },
    } as unknown as TopLevelSpec);
  }
  if (chart.marks !== undefined && chart.marks.length > 0) {
    layers.push({
      data: { values: chart.marks.map((m) => ({ time: toDate(m.t), value: m.value, kind: m.kind })) },
      mark: { type: "point", filled: true, size: 40 },
      encoding: { x, y: { field: "value", type: "quantitative" }, shape: { field: "kind", type: "nominal", title: "marks" } },
    } as unknown as TopLevelSpec);
  }
  const spec = {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    title: chart.title,
    width,
    height,
    layer: layers,
    resolve: { scale: { color: "independent" } },
    config: { font: "sans-serif", background: "white", legend: { labelLimit: 320 } },
  } as unknown as TopLevelSpec;
  const view = new View(parse(compile(spec).spec), { renderer: "none" });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c] ?? c);
}

/** A self-contained HTML page (no scripts, no external resources). */
export function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>
<style>
body{font-family:system-ui,sans-serif;margin:2rem auto;max-width:1000px;color:#222}
table{border-collapse:collapse;margin:1rem 0}td,th{border:1px solid #ccc;padding:.25rem .6rem;text-align:right}
th{background:#f3f3f3}td:first-child,th:first-child{text-align:left}figure{margin:1rem 0}
.ok{color:#1a7f37}.bad{color:#b42318}
</style></head><body>
${body}
</body></html>
`;
}

export function table(headers: string[], rows: (string | number)[][]): string {
  const head = `<tr>${headers.map((h) => `<th>${escapeHtml(h)}</th>`).join("")}</tr>`;
  const body = rows.map((r) => `<tr>${r.map((c) => `<td>${escapeHtml(String(c))}</td>`).join("")}</tr>`).join("\n");
  return `<table>${head}\n${body}</table>`;
}
