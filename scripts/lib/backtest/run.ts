// Backtest runs: the replay contract on the in-process chain, a series through it, the JSON result and its HTML
// view.
import type { RulesReplay } from "../../../types/ethers-contracts/index.js";
import type { MarketFile } from "../market-file.js";
import { escapeHtml, page, renderTimeChart, table, type Interval } from "../report/charts.js";
import { type Point, replaySeries, summarize, type Summary, timeline, type TimelineEntry } from "./replay.js";
import type { Label, Series } from "./series.js";

export const DEFAULT_INTERVAL = 12;

export interface BacktestResult {
  market: string;
  series: string;
  interval: number;
  summary: Summary;
  timeline: TimelineEntry[];
}

/** The replay contract on a fresh in-process chain (the `replay` network: no per-call gas cap), built first if the
 * contracts changed (a no-op otherwise). */
export async function openReplay(): Promise<RulesReplay> {
  const hre = (await import("hardhat")).default;
  await hre.tasks.getTask("build").run({ quiet: true, noTests: true });
  const { ethers } = await hre.network.create("replay");
  return ethers.deployContract("RulesReplay");
}

export async function backtest(
  replay: RulesReplay,
  market: MarketFile,
  marketName: string,
  series: Series,
  opts: { interval?: number; labels?: Label[] } = {},
): Promise<{ result: BacktestResult; points: Point[] }> {
  const interval = opts.interval ?? DEFAULT_INTERVAL;
  const points = await replaySeries(replay, market, series, { interval });
  return {
    points,
    result: {
      market: marketName,
      series: series.file,
      interval,
      summary: summarize(points, interval, series.observations.length, opts.labels),
      timeline: timeline(points),
    },
  };
}

const wad = (x: bigint): number => Number(x / 10n ** 9n) / 1e9;

/** Intervals during which a condition holds, from per-poke points. */
function runs(points: readonly Point[], interval: number, pred: (p: Point) => boolean, kind: string): Interval[] {
  const out: Interval[] = [];
  let start: number | undefined;
  for (const p of points) {
    if (pred(p)) start ??= p.t;
    else if (start !== undefined) {
      out.push({ from: start, to: p.t, kind });
      start = undefined;
    }
  }
  const last = points[points.length - 1];
  if (start !== undefined && last !== undefined) out.push({ from: start, to: last.t + interval, kind });
  return out;
}

const fmtTime = (t: number | null): string => (t === null ? "—" : new Date(t * 1000).toISOString().replace(".000Z", "Z"));

/** The HTML view: summary, a chart of every source, the consensus and the band with pauses shaded, the timeline. */
export async function backtestHtml(
  result: BacktestResult,
  points: readonly Point[],
  series: Series,
  market: MarketFile,
  labels: readonly Label[] = [],
): Promise<string> {
  const lines = series.sourceNames.map((name, i) => ({
    name: `${name} (${market.sources[i]?.kind ?? "?"})${market.primary === name ? ", primary" : ""}`,
    points: series.observations.filter((o) => o.source === i).map((o) => ({ t: o.t, value: wad(o.price) })),
  }));
  lines.push({
    name: "consensus (median)",
    points: points.filter((p) => p.consensus !== 0n).map((p) => ({ t: p.t, value: wad(p.consensus) })),
  });
  const unknown = (1n << 128n) - 1n;
  const intervals: Interval[] = [
    ...runs(points, result.interval, (p) => !p.liquidationAllowed, "liquidations paused"),
    ...runs(points, result.interval, (p) => p.liquidationAllowed && !p.borrowAllowed, "borrows paused"),
    ...labels.map((l) => ({ from: l.start, to: l.end, kind: `labelled: ${l.label}` })),
  ];
  const svg = await renderTimeChart({
    title: `${result.market}: sources, consensus, credible band`,
    lines: lines.map((l, i) => ({ ...l, dashed: i === lines.length - 1 })),
    band: points.filter((p) => p.bandHigh !== unknown && p.bandLow !== 0n).map((p) => ({ t: p.t, low: wad(p.bandLow), high: wad(p.bandHigh) })),
    intervals,
  });
  const s = result.summary;
  const summaryRows: (string | number)[][] = [
    ["observations", s.observations],
    ["pokes (every " + String(result.interval) + " s)", s.pokes],
    ["from", fmtTime(s.from)],
    ["to", fmtTime(s.to)],
    ["liquidations paused (s)", s.pausedSeconds],
    ["borrows paused (s)", s.borrowPausedSeconds],
    ["trips", s.trips],
    ["first trip", fmtTime(s.firstTripAt)],
  ];
  if (s.caught !== null) {
    summaryRows.push(["labelled windows caught", s.caught], ["missed", s.missed ?? 0], ["false pause (s)", s.falsePauseSeconds ?? 0]);
  }
  const labelTable =
    s.labels.length === 0
      ? ""
      : `<h2>Labelled windows</h2>${table(
          ["label", "start", "deadline", "caught", "detected", "delay (s)"],
          s.labels.map((l) => [l.label, fmtTime(l.start), fmtTime(l.deadline), l.caught ? "yes" : "NO", fmtTime(l.detectedAt), l.delaySeconds ?? "—"]),
        )}`;
  const shown = result.timeline.slice(0, 300);
  const timelineTable = table(
    ["time", "liquidation machine", "borrow machine", "liquidations", "borrows", "reasons", "median", "dispersion (bps)"],
    shown.map((e) => [
      fmtTime(e.t),
      e.state,
      e.borrowState,
      e.liquidationAllowed ? "allowed" : "PAUSED",
      e.borrowAllowed ? "allowed" : "PAUSED",
      e.reasons.join(" ") || "—",
      e.median.toFixed(4),
      e.dispersionBps,
    ]),
  );
  return page(
    `Backtest: ${result.market}`,
    `<h1>Backtest: ${escapeHtml(result.market)}</h1>
<p>Series <code>${escapeHtml(result.series)}</code>, replayed through the guard's own rules (RulesLib, as compiled) with a poke every ${String(result.interval)} s.</p>
${table(["figure", "value"], summaryRows)}
<figure>${svg}</figure>
${labelTable}
<h2>Timeline (changes of verdict${result.timeline.length > shown.length ? `, first ${String(shown.length)} of ${String(result.timeline.length)}` : ""})</h2>
${timelineTable}`,
  );
}
