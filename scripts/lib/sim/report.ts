// The simulation report: reports/simulation.json (every figure, per scenario and mode) and reports/simulation.html
// (a summary table, then one page per scenario with its charts rendered to static SVG by Vega-Lite).
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";

import { escapeHtml, type Interval, page, renderTimeChart, table } from "../report/charts.js";
import type { ModeResult, SeriesPoint } from "./engine.js";
import type { ScenarioResult, SimulationReport } from "./simulate.js";

const usd = (v: number): string => `${v < 0 ? "-" : ""}$${Math.abs(Math.round(v)).toLocaleString("en-US")}`;
const minutes = (s: number): string => (s === 0 ? "0" : s < 120 ? `${String(s)} s` : `${(s / 60).toFixed(1)} min`);

/** Consecutive steps where `pred` holds, as intervals (each step lasts until the next). */
function intervals(series: SeriesPoint[], pred: (p: SeriesPoint) => boolean, kind: string): Interval[] {
  const out: Interval[] = [];
  let from: number | undefined;
  for (const [i, p] of series.entries()) {
    const next = series[i + 1]?.t ?? p.t;
    if (pred(p)) {
      from ??= p.t;
      if (i === series.length - 1) out.push({ from, to: next, kind });
    } else if (from !== undefined) {
      out.push({ from, to: p.t, kind });
      from = undefined;
    }
  }
  return out;
}

async function modeChart(s: ScenarioResult, mode: ModeResult, label: string, maxDeviationBps: number): Promise<string> {
  const names = Object.keys(mode.series[0]?.sources ?? {});
  const lines = [
    { name: "true price", points: mode.series.map((p) => ({ t: p.t, value: p.truth })), dashed: true },
    { name: "Aave's price", points: mode.series.map((p) => ({ t: p.t, value: p.aavePrice })) },
    ...names.map((n) => ({
      name: `source: ${n}`,
      points: mode.series.flatMap((p) => {
        const v = p.sources[n];
        return v === null || v === undefined ? [] : [{ t: p.t, value: v }];
      }),
    })),
    {
      name: "guard consensus",
      points: mode.series.flatMap((p) => (p.consensus === null ? [] : [{ t: p.t, value: p.consensus }])),
    },
    {
      name: `consensus + max deviation (${String(maxDeviationBps / 100)}%)`,
      points: mode.series.flatMap((p) => (p.consensus === null ? [] : [{ t: p.t, value: p.consensus * (1 + maxDeviationBps / 10_000) }])),
      dashed: true,
    },
    {
      name: "consensus - max deviation",
      points: mode.series.flatMap((p) => (p.consensus === null ? [] : [{ t: p.t, value: p.consensus * (1 - maxDeviationBps / 10_000) }])),
      dashed: true,
    },
  ];
  const band = mode.series.flatMap((p) => (p.bandLow === null || p.bandHigh === null ? [] : [{ t: p.t, low: p.bandLow, high: p.bandHigh }]));
  const shaded = [
    ...intervals(mode.series, (p) => !p.liquidationAllowed, "liquidations paused"),
    ...intervals(mode.series, (p) => !p.borrowAllowed, "borrows paused"),
    ...intervals(mode.series, (p) => p.status !== "NORMAL", "guard state not NORMAL"),
  ];
  const marks = mode.liquidations.map((l) => ({ t: l.t, value: l.price, kind: `liquidation ${l.outcome}` }));
  const thresholds = s.params.minAnswerPct !== undefined ? [{ name: "aggregator min answer", value: (2000 * s.params.minAnswerPct) / 100 }] : [];
  return renderTimeChart({ title: `${s.id}: ${label}`, lines, band, intervals: shaded, marks, thresholds, width: 700, height: 300 });
}

const FIGURES: [string, (m: ModeResult) => string][] = [
  ["attacker profit", (m) => usd(m.attackerProfitUsd)],
  ["attack cost", (m) => usd(m.attackCostUsd)],
  ["protocol bad debt", (m) => usd(m.badDebtUsd)],
  ["liquidations executed", (m) => String(m.liquidationsExecuted)],
  ["liquidations blocked", (m) => String(m.liquidationsBlocked)],
  ["  of which on a manipulated price", (m) => String(m.liquidationsBlockedOnManipulatedPrice)],
  ["attacker borrows refused", (m) => String(m.borrowsBlocked)],
  ["liquidations paused", (m) => minutes(m.liquidationPausedSeconds)],
  ["borrows paused", (m) => minutes(m.borrowPausedSeconds)],
  ["debt liquidated", (m) => usd(m.liquidatedDebtUsd)],
];

/** The most an honest market may pause liquidations: a few minutes. */
export const HONEST_PAUSE_LIMIT = 5 * 60;

/** The verdict on one scenario, by the fork suite's own criteria. */
export function verdict(s: ScenarioResult): { ok: boolean; why: string } {
  const a = s.withoutGuard;
  const b = s.withGuard;
  if (a === undefined || b === undefined) return { ok: true, why: `skipped: ${s.skipped ?? ""}` };
  if (s.kind === "attack") {
    if (a.attackerProfitUsd <= 0) return { ok: false, why: "not profitable without the guard: not a real attack" };
    if (b.attackerProfitUsd > 0) return { ok: false, why: "still profitable with the guard" };
    if (b.badDebtUsd > a.badDebtUsd) return { ok: false, why: "more bad debt with the guard" };
    return { ok: true, why: `attack defeated: profit ${usd(a.attackerProfitUsd)} → ${usd(b.attackerProfitUsd)}` };
  }
  const share = a.liquidationsExecuted === 0 ? 1 : b.liquidationsExecuted / a.liquidationsExecuted;
  if (share < 0.95) return { ok: false, why: `only ${(share * 100).toFixed(0)}% of the liquidations executed` };
  if (s.kind === "honest" && b.liquidationPausedSeconds > HONEST_PAUSE_LIMIT) {
    return { ok: false, why: `liquidations paused ${minutes(b.liquidationPausedSeconds)} in an honest market` };
  }
  return { ok: true, why: `${String(b.liquidationsExecuted)}/${String(a.liquidationsExecuted)} liquidations executed` };
}

export async function renderHtml(report: SimulationReport, maxDeviationBps = 300): Promise<string> {
  const summary = table(
    ["scenario", "kind", "profit without", "profit with", "bad debt without", "bad debt with", "liquidations without / with", "liq. paused", "borrows paused", "verdict"],
    report.scenarios.map((s) => {
      const a = s.withoutGuard;
      const b = s.withGuard;
      if (a === undefined || b === undefined) return [s.id, s.kind, "-", "-", "-", "-", "-", "-", "-", `skipped: ${s.skipped ?? ""}`];
      const v = verdict(s);
      return [
        s.id,
        s.kind,
        usd(a.attackerProfitUsd),
        usd(b.attackerProfitUsd),
        usd(a.badDebtUsd),
        usd(b.badDebtUsd),
        `${String(a.liquidationsExecuted)} / ${String(b.liquidationsExecuted)}`,
        minutes(b.liquidationPausedSeconds),
        minutes(b.borrowPausedSeconds),
        `${v.ok ? "✔" : "✘"} ${v.why}`,
      ];
    }),
  );
  const sections: string[] = [];
  for (const s of report.scenarios) {
    const head = `<section class="scenario" id="${escapeHtml(s.id)}" style="page-break-before:always">
<h2>${escapeHtml(s.title)}</h2><p><code>${escapeHtml(s.id)}</code> · ${escapeHtml(s.kind)}</p><p>${escapeHtml(s.story)}</p>
<p>Parameters: ${Object.entries(s.params).map(([k, v]) => `<code>${escapeHtml(k)}=${String(v)}</code>`).join(" ")}</p>`;
    if (s.withoutGuard === undefined || s.withGuard === undefined) {
      sections.push(`${head}<p>Skipped on this chain: ${escapeHtml(s.skipped ?? "")}.</p></section>`);
      continue;
    }
    const a = s.withoutGuard;
    const b = s.withGuard;
    const figures = table(["", "without the guard", "with the guard"], FIGURES.map(([name, f]) => [name, f(a), f(b)]));
    const reasons = table(
      ["time (UTC)", "guard state (WETH)", "reasons"],
      b.reasons.map((r) => [new Date(r.t * 1000).toISOString().slice(11, 19), r.status, r.reasons.join(", ") || "none"]),
    );
    sections.push(`${head}
<p class="${verdict(s).ok ? "ok" : "bad"}">${escapeHtml(verdict(s).why)}</p>
${figures}
<figure class="chart">${await modeChart(s, a, "without the guard (Aave has no sentinel; the guard runs in shadow)", maxDeviationBps)}</figure>
<figure class="chart">${await modeChart(s, b, "with the guard (Tripwire's sentinel in Aave)", maxDeviationBps)}</figure>
<h3>The guard's WETH market over time</h3>${reasons}
</section>`);
  }
  return page(
    "Tripwire attack simulations",
    `<h1>Attack simulations on ${escapeHtml(report.chain)} (chain ${String(report.chainId)}, block ${String(report.forkBlock)})</h1>
<p>Each scenario runs twice on a fork from the same snapshot: without the guard and with Tripwire's sentinel installed in Aave V3. Profit and bad debt are in USD at the scenario's true prices. Generated ${escapeHtml(report.generatedAt)}.</p>
<h2>Summary</h2>${summary}
${sections.join("\n")}`,
  );
}

/** Writes `simulation.json` and `simulation.html` in `dir`; returns their paths. */
export async function writeReport(report: SimulationReport, dir: string): Promise<{ json: string; html: string }> {
  mkdirSync(dir, { recursive: true });
  const json = path.join(dir, "simulation.json");
  const html = path.join(dir, "simulation.html");
  writeFileSync(json, `${JSON.stringify(report, null, 2)}\n`);
  writeFileSync(html, await renderHtml(report));
  return { json, html };
}
