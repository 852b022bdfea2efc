// Replays a price series through the guard's own rules (RulesReplay → RulesLib.evaluate) with a keeper-like poke
// cadence, and scores the result. The contract decides every verdict; this file only builds its inputs and reads
// its outputs.
import type { RulesReplay } from "../../../types/ethers-contracts/index.js";
import type { RulesLib } from "../../../types/ethers-contracts/contracts/tools/RulesReplay.js";
import { type MarketFile, reasonNamesOf, toMarketConfig } from "../market-file.js";
import type { Label, Observation, Series } from "./series.js";

import { STATUS as STATUS_NAMES } from "../fixtures.js";
const MASK_128 = (1n << 128n) - 1n;
const MASK_40 = (1n << 40n) - 1n;
const OUT_WORDS = 3;
/** Pokes per eth_call. Measured on the in-process chain: about 10 ms of fixed cost per call, and a per-poke cost that
 * grows with the call's memory; 100 to 200 pokes per call is the fastest. */
export const DEFAULT_CHUNK = 200;
/** Gas for one replay call (the `replay` network's block gas limit allows it; a poke costs about 40,000). */
const CALL_GAS = 1_500_000_000n;

export interface ReplayOptions {
  /** Seconds between pokes (a keeper poking every block: the block time). */
  interval: number;
  chunk?: number;
}

/** What the rules decided at one poke. */
export interface Point {
  t: number;
  liqStatus: number;
  borrowStatus: number;
  reasons: number;
  liquidationAllowed: boolean;
  borrowAllowed: boolean;
  dispersionBps: number;
  invalidMask: number;
  uninformativeMask: number;
  outlierMask: number;
  consensus: bigint;
  primaryPrice: bigint;
  bandLow: bigint;
  bandHigh: bigint;
}

export interface TimelineEntry {
  t: number;
  state: string;
  borrowState: string;
  reasons: string[];
  liquidationAllowed: boolean;
  borrowAllowed: boolean;
  median: number;
  dispersionBps: number;
  bandLow: number | null;
  bandHigh: number | null;
}

export interface LabelScore {
  label: string;
  start: number;
  deadline: number;
  caught: boolean;
  detectedAt: number | null;
  delaySeconds: number | null;
}

export interface Summary {
  observations: number;
  pokes: number;
  from: number;
  to: number;
  pausedSeconds: number;
  borrowPausedSeconds: number;
  trips: number;
  firstTripAt: number | null;
  caught: number | null;
  missed: number | null;
  falsePauseSeconds: number | null;
  labels: LabelScore[];
}

function freshState(): RulesLib.MarketStateStruct {
  const pause = { status: 1, since: 0, expiresAt: 0, graceUntil: 0, lastHealthyAt: 0, streak: 0, extended: 0, held: false };
  return {
    liquidation: pause,
    borrow: { ...pause },
    reasons: 0,
    evaluatedAt: 0,
    uncorroboratedSince: 0,
    statsAt: 0,
    statsCount: 0,
    invalidMask: 0,
    uninformativeMask: 0,
    outlierMask: 0,
    faults: 0,
    refPrice: 0,
    shortVar: 0,
    longVar: 0,
    bandLow: 0,
    bandHigh: MASK_128,
  };
}

/** A returned state as a plain, mutable value (ethers' results are frozen and cannot be re-encoded). */
function plainState(s: RulesLib.MarketStateStructOutput): RulesLib.MarketStateStruct {
  const pause = (p: RulesLib.PauseStateStructOutput): RulesLib.PauseStateStruct => ({
    status: p.status,
    since: p.since,
    expiresAt: p.expiresAt,
    graceUntil: p.graceUntil,
    lastHealthyAt: p.lastHealthyAt,
    streak: p.streak,
    extended: p.extended,
    held: p.held,
  });
  return {
    liquidation: pause(s.liquidation),
    borrow: pause(s.borrow),
    reasons: s.reasons,
    evaluatedAt: s.evaluatedAt,
    uncorroboratedSince: s.uncorroboratedSince,
    statsAt: s.statsAt,
    statsCount: s.statsCount,
    invalidMask: s.invalidMask,
    uninformativeMask: s.uninformativeMask,
    outlierMask: s.outlierMask,
    faults: s.faults,
    refPrice: s.refPrice,
    shortVar: s.shortVar,
    longVar: s.longVar,
    bandLow: s.bandLow,
    bandHigh: s.bandHigh,
  };
}

function clip128(x: bigint): bigint {
  return x > MASK_128 ? MASK_128 : x;
}

/** The poke times and, per poke, each source's latest observation at or before it (undefined: none yet). */
export function* pokeSchedule(series: Series, interval: number): Generator<{ t: number; latest: (Observation | undefined)[] }> {
  const n = series.sourceNames.length;
  const obs = series.observations;
  const first = obs[0]?.t ?? 0;
  const last = obs[obs.length - 1]?.t ?? 0;
  const latest: (Observation | undefined)[] = new Array<Observation | undefined>(n).fill(undefined);
  let i = 0;
  for (let t = first; t <= last; t += interval) {
    for (; i < obs.length && (obs[i]?.t ?? Infinity) <= t; i++) {
      const o = obs[i];
      if (o !== undefined) latest[o.source] = o;
    }
    yield { t, latest };
  }
}

/** One poke's input words (see RulesReplay): a source with no observation yet reads as zero, which the rules call a
 * non-positive price. */
function pokeWords(t: number, latest: readonly (Observation | undefined)[]): bigint[] {
  const words: bigint[] = [BigInt(t)];
  for (const o of latest) {
    if (o === undefined) words.push(0n, 0n);
    else words.push(clip128(o.price) | (clip128(o.conf) << 128n), clip128(o.spot) | (BigInt(o.t) << 128n));
  }
  return words;
}

function decode(out: readonly bigint[], at: number): Point {
  const a = out[at] ?? 0n;
  const b = out[at + 1] ?? 0n;
  const c = out[at + 2] ?? 0n;
  return {
    t: Number(a & MASK_40),
    liqStatus: Number((a >> 40n) & 0xffn),
    borrowStatus: Number((a >> 48n) & 0xffn),
    reasons: Number((a >> 56n) & 0xffffn),
    liquidationAllowed: ((a >> 72n) & 1n) === 1n,
    borrowAllowed: ((a >> 73n) & 1n) === 1n,
    dispersionBps: Number((a >> 80n) & ((1n << 64n) - 1n)),
    invalidMask: Number((a >> 144n) & 0xffn),
    uninformativeMask: Number((a >> 152n) & 0xffn),
    outlierMask: Number((a >> 160n) & 0xffn),
    consensus: b & MASK_128,
    primaryPrice: b >> 128n,
    bandLow: c & MASK_128,
    bandHigh: c >> 128n,
  };
}

/** Gas per poke of one full call (`DEFAULT_CHUNK` pokes from the series' start; the call's base cost and calldata
 * included): what sets the replay's speed on a chain that executes a fixed amount of gas a second. */
export async function gasPerPoke(replay: RulesReplay, market: MarketFile, series: Series, interval: number): Promise<number> {
  const cfg = toMarketConfig(market, placeholderSources(market));
  const batch: bigint[] = [];
  let pokes = 0;
  for (const poke of pokeSchedule(series, interval)) {
    batch.push(...pokeWords(poke.t, poke.latest));
    if (++pokes === DEFAULT_CHUNK) break;
  }
  if (pokes === 0) throw new Error("the series has no poke to measure");
  return Math.round(Number(await replay.replay.estimateGas(cfg, freshState(), batch, { gasLimit: CALL_GAS })) / pokes);
}

/** Source addresses for the rules (they only index the sources; nothing is called). */
function placeholderSources(market: MarketFile): string[] {
  return market.sources.map((_, i) => `0x${(i + 1).toString(16).padStart(40, "0")}`);
}

/** Runs the series through the rules, `chunk` pokes per call, carrying the state from call to call. */
export async function replaySeries(
  replay: RulesReplay,
  market: MarketFile,
  series: Series,
  opts: ReplayOptions,
): Promise<Point[]> {
  if (!Number.isInteger(opts.interval) || opts.interval < 1) throw new Error("the poke interval must be a whole number of seconds, at least 1");
  const cfg = toMarketConfig(market, placeholderSources(market));
  const chunk = opts.chunk ?? DEFAULT_CHUNK;
  let state: RulesLib.MarketStateStruct = freshState();
  const points: Point[] = [];
  let batch: bigint[] = [];
  let inBatch = 0;
  const flush = async (): Promise<void> => {
    if (inBatch === 0) return;
    const [out, next] = await replay.replay(cfg, state, batch, { gasLimit: CALL_GAS });
    for (let p = 0; p < inBatch; p++) points.push(decode(out, p * OUT_WORDS));
    state = plainState(next);
    batch = [];
    inBatch = 0;
  };
  for (const poke of pokeSchedule(series, opts.interval)) {
    batch.push(...pokeWords(poke.t, poke.latest));
    if (++inBatch === chunk) await flush();
  }
  await flush();
  return points;
}

const wadToNumber = (x: bigint): number => Number(x / 10n ** 9n) / 1e9;

function entry(p: Point): TimelineEntry {
  const unknownBand = p.bandHigh === MASK_128;
  return {
    t: p.t,
    state: STATUS_NAMES[p.liqStatus] ?? `status ${p.liqStatus}`,
    borrowState: STATUS_NAMES[p.borrowStatus] ?? `status ${p.borrowStatus}`,
    reasons: reasonNamesOf(p.reasons),
    liquidationAllowed: p.liquidationAllowed,
    borrowAllowed: p.borrowAllowed,
    median: wadToNumber(p.consensus),
    dispersionBps: p.dispersionBps,
    bandLow: unknownBand ? null : wadToNumber(p.bandLow),
    bandHigh: unknownBand ? null : wadToNumber(p.bandHigh),
  };
}

/** The timeline at each change of verdict, state or reasons. */
export function timeline(points: readonly Point[]): TimelineEntry[] {
  const out: TimelineEntry[] = [];
  let prev: Point | undefined;
  for (const p of points) {
    if (
      prev === undefined ||
      p.liqStatus !== prev.liqStatus ||
      p.borrowStatus !== prev.borrowStatus ||
      p.reasons !== prev.reasons ||
      p.liquidationAllowed !== prev.liquidationAllowed ||
      p.borrowAllowed !== prev.borrowAllowed
    ) {
      out.push(entry(p));
    }
    prev = p;
  }
  return out;
}

/**
 * Paused time, trips, and (with labels) catches, misses and false pause time. A liquidation pause counts as false
 * when no part of it overlaps a labelled window: a pause that starts during an attack and lasts through the
 * recovery after it is the attack's.
 */
export function summarize(points: readonly Point[], interval: number, observations: number, labels?: readonly Label[]): Summary {
  let paused = 0;
  let borrowPaused = 0;
  let falsePause = 0;
  let trips = 0;
  let firstTripAt: number | null = null;
  let prevStatus = 1;
  let run: { from: number; seconds: number } | undefined;
  const overlapsLabel = (from: number, to: number): boolean => (labels ?? []).some((l) => from <= l.end && to >= l.start);
  const closeRun = (to: number): void => {
    if (run !== undefined && labels !== undefined && !overlapsLabel(run.from, to)) falsePause += run.seconds;
    run = undefined;
  };
  for (const p of points) {
    if (!p.liquidationAllowed) {
      paused += interval;
      run ??= { from: p.t, seconds: 0 };
      run.seconds += interval;
    } else {
      closeRun(p.t);
    }
    if (!p.borrowAllowed) borrowPaused += interval;
    if (p.liqStatus === 2 && prevStatus !== 2) {
      trips++;
      firstTripAt ??= p.t;
    }
    prevStatus = p.liqStatus;
  }
  closeRun((points[points.length - 1]?.t ?? 0) + interval);
  const scores: LabelScore[] = (labels ?? []).map((l) => {
    const hit = points.find((p) => p.t >= l.start && p.t <= l.deadline && !p.liquidationAllowed);
    return {
      label: l.label,
      start: l.start,
      deadline: l.deadline,
      caught: hit !== undefined,
      detectedAt: hit?.t ?? null,
      delaySeconds: hit === undefined ? null : hit.t - l.start,
    };
  });
  return {
    observations,
    pokes: points.length,
    from: points[0]?.t ?? 0,
    to: points[points.length - 1]?.t ?? 0,
    pausedSeconds: paused,
    borrowPausedSeconds: borrowPaused,
    trips,
    firstTripAt,
    caught: labels === undefined ? null : scores.filter((s) => s.caught).length,
    missed: labels === undefined ? null : scores.filter((s) => !s.caught).length,
    falsePauseSeconds: labels === undefined ? null : falsePause,
    labels: scores,
  };
}
