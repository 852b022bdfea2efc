// Calibration: replay every series under each candidate configuration, score catches against the labelled attacks
// and false pause time on everything else, report the frontier, and propose the tightest configuration that
// catches every labelled attack in time within the false-pause budget.
import type { RulesReplay } from "../../../types/ethers-contracts/index.js";
import type { MarketFile } from "../market-file.js";
import { backtest } from "./run.js";
import type { Label, Series } from "./series.js";

/** The thresholds that decide whether liquidations pause: the evidence rules. */
export interface Grid {
  maxDeviationBps: number[];
  maxUncorroborated: number[];
  outlierBps: number[];
}

export const DEFAULT_GRID: Grid = {
  maxDeviationBps: [100, 200, 300, 500, 800],
  maxUncorroborated: [900, 1_800, 3_600],
  outlierBps: [],
};

export interface Candidate {
  maxDeviationBps: number;
  maxUncorroborated: number;
  outlierBps: number;
  caught: number;
  labelled: number;
  catchRate: number;
  falsePauseSeconds: number;
  pausedSeconds: number;
  worstDelaySeconds: number | null;
}

export interface Calibration {
  budgetSeconds: number;
  candidates: Candidate[];
  frontier: Candidate[];
  chosen: Candidate | null;
  market: MarketFile | null;
}

export interface Input {
  series: Series;
  labels: Label[];
}

/** Candidates on the frontier: no other catches at least as much with no more false pause (one strictly better). */
export function frontier(cands: readonly Candidate[]): Candidate[] {
  return cands
    .filter(
      (c) =>
        !cands.some(
          (o) =>
            o !== c &&
            o.catchRate >= c.catchRate &&
            o.falsePauseSeconds <= c.falsePauseSeconds &&
            (o.catchRate > c.catchRate || o.falsePauseSeconds < c.falsePauseSeconds),
        ),
    )
    .sort((a, b) => a.falsePauseSeconds - b.falsePauseSeconds || b.catchRate - a.catchRate);
}

/** Tightest first: the smallest deviation bound, then the shortest uncorroborated bound, then the least false pause. */
function tightness(a: Candidate, b: Candidate): number {
  return (
    a.maxDeviationBps - b.maxDeviationBps ||
    a.maxUncorroborated - b.maxUncorroborated ||
    a.outlierBps - b.outlierBps ||
    a.falsePauseSeconds - b.falsePauseSeconds
  );
}

export async function calibrate(
  replay: RulesReplay,
  base: MarketFile,
  inputs: readonly Input[],
  opts: { budgetSeconds: number; interval: number; grid?: Grid; onCandidate?: (c: Candidate) => void },
): Promise<Calibration> {
  const grid = opts.grid ?? DEFAULT_GRID;
  const outliers = grid.outlierBps.length > 0 ? grid.outlierBps : [base.outlierBps];
  const labelled = inputs.reduce((n, i) => n + i.labels.length, 0);
  const candidates: Candidate[] = [];
  for (const maxDeviationBps of grid.maxDeviationBps) {
    for (const maxUncorroborated of grid.maxUncorroborated) {
      for (const outlierBps of outliers) {
        const market: MarketFile = { ...base, maxDeviationBps, maxUncorroborated, outlierBps };
        let caught = 0;
        let falsePause = 0;
        let paused = 0;
        let worst: number | null = null;
        for (const input of inputs) {
          const { result } = await backtest(replay, market, "candidate", input.series, {
            interval: opts.interval,
            labels: input.labels,
          });
          const s = result.summary;
          caught += s.caught ?? 0;
          falsePause += s.falsePauseSeconds ?? 0;
          paused += s.pausedSeconds;
          for (const l of s.labels) if (l.delaySeconds !== null) worst = Math.max(worst ?? 0, l.delaySeconds);
        }
        const c: Candidate = {
          maxDeviationBps,
          maxUncorroborated,
          outlierBps,
          caught,
          labelled,
          catchRate: labelled === 0 ? 1 : caught / labelled,
          falsePauseSeconds: falsePause,
          pausedSeconds: paused,
          worstDelaySeconds: worst,
        };
        candidates.push(c);
        opts.onCandidate?.(c);
      }
    }
  }
  const eligible = candidates.filter((c) => c.catchRate === 1 && c.falsePauseSeconds <= opts.budgetSeconds).sort(tightness);
  const chosen = eligible[0] ?? null;
  return {
    budgetSeconds: opts.budgetSeconds,
    candidates,
    frontier: frontier(candidates),
    chosen,
    market:
      chosen === null
        ? null
        : { ...base, maxDeviationBps: chosen.maxDeviationBps, maxUncorroborated: chosen.maxUncorroborated, outlierBps: chosen.outlierBps },
  };
}
