// Synthetic price series for tests, demos and calibration: an honest market (geometric Brownian motion with
// jumps and volatility regimes) seen through several sources with their own noise, lag and update behaviour
// (Chainlink deviation/heartbeat updates, Pyth confidence that widens with volatility, a Uniswap TWAP lagging its
// pool's spot), plus injected manipulations of each kind the simulation suite covers. Deterministic under a seed.
import { z } from "zod";

import { type MarketFileInput } from "../market-file.js";
import { InputError } from "../errors.js";

export const MANIPULATION_KINDS = ["feed-glitch", "twap-pump", "pinned", "stale", "all-venues-pump", "slow-drift"] as const;
export type ManipulationKind = (typeof MANIPULATION_KINDS)[number];

const sourceSpec = z.discriminatedUnion("kind", [
  z.strictObject({
    name: z.string().min(1),
    kind: z.literal("chainlink"),
    /** Update when the price moved this far since the last update... */
    deviationBps: z.number().positive().default(50),
    /** ...or when this long has passed. */
    heartbeat: z.number().int().positive().default(3600),
    noiseBps: z.number().nonnegative().default(2),
    lag: z.number().int().nonnegative().default(15),
  }),
  z.strictObject({
    name: z.string().min(1),
    kind: z.literal("pyth"),
    interval: z.number().int().positive().default(2),
    /** Confidence in calm markets, and how much a recent move widens it. */
    confBps: z.number().nonnegative().default(5),
    confPerMoveBps: z.number().nonnegative().default(0.5),
    noiseBps: z.number().nonnegative().default(3),
    lag: z.number().int().nonnegative().default(1),
  }),
  z.strictObject({
    name: z.string().min(1),
    kind: z.literal("twap"),
    window: z.number().int().positive().default(1800),
    interval: z.number().int().positive().default(12),
    noiseBps: z.number().nonnegative().default(5),
  }),
]);

const manipulation = z.strictObject({
  kind: z.enum(MANIPULATION_KINDS),
  /** The source it acts on (every source for all-venues-pump). */
  source: z.string().optional(),
  /** Seconds after the series start. */
  at: z.number().int().nonnegative(),
  duration: z.number().int().positive(),
  /** Size of the move: up for pumps and glitches (negative for down), the crash depth for pinned and stale. */
  magnitudeBps: z.number(),
});

export const generatorSchema = z.strictObject({
  seed: z.number().int().default(1),
  start: z.number().int().nonnegative().default(1_700_000_000),
  duration: z.number().int().positive().default(86_400),
  /** Step of the true price path, seconds. */
  dt: z.number().int().positive().default(2),
  price: z.number().positive().default(2000),
  annualVol: z.number().nonnegative().default(0.6),
  annualDrift: z.number().default(0),
  jumpsPerDay: z.number().nonnegative().default(2),
  jumpBps: z.number().nonnegative().default(150),
  /** Expected switches per day between the calm and the stressed regime, and the stressed volatility multiple. */
  regimeSwitchesPerDay: z.number().nonnegative().default(1),
  stressedVolMultiplier: z.number().positive().default(3),
  /** A deterministic crash on top of the random path: fall `crashBps` over `crashDuration` from `crashAt`. */
  crashAt: z.number().int().nonnegative().optional(),
  crashDuration: z.number().int().positive().default(7200),
  crashBps: z.number().nonnegative().default(0),
  sources: z.array(sourceSpec).min(1).max(8),
  manipulations: z.array(manipulation).default([]),
});

export type GeneratorParams = z.input<typeof generatorSchema>;
type Params = z.output<typeof generatorSchema>;
type SourceSpec = z.output<typeof sourceSpec>;

export interface GeneratedRow {
  t: number;
  source: string;
  price: number;
  conf: number;
  spot: number;
}

export interface Generated {
  rows: GeneratedRow[];
  labels: { start: number; end: number; label: string }[];
}

/** xoshiro128** seeded through a splitmix-style scrambler: small, fast, and the same on every machine. */
class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;
  constructor(seed: number) {
    let x = seed >>> 0;
    const next = (): number => {
      x = (x + 0x9e3779b9) >>> 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.a = next();
    this.b = next();
    this.c = next();
    this.d = next();
  }
  uint(): number {
    const m = Math.imul(this.b, 5) >>> 0;
    const result = Math.imul(((m << 7) | (m >>> 25)) >>> 0, 9) >>> 0;
    const t = (this.b << 9) >>> 0;
    this.c = (this.c ^ this.a) >>> 0;
    this.d = (this.d ^ this.b) >>> 0;
    this.b = (this.b ^ this.c) >>> 0;
    this.a = (this.a ^ this.d) >>> 0;
    this.c = (this.c ^ t) >>> 0;
    this.d = ((this.d << 11) | (this.d >>> 21)) >>> 0;
    return result;
  }
  /** Uniform in (0, 1). */
  uniform(): number {
    return (this.uint() + 0.5) / 4_294_967_296;
  }
  normal(): number {
    return Math.sqrt(-2 * Math.log(this.uniform())) * Math.cos(2 * Math.PI * this.uniform());
  }
}

export function parseGeneratorParams(raw: unknown, file: string): Params {
  const result = generatorSchema.safeParse(raw);
  if (!result.success) {
    const lines = result.error.issues.map((i) => `  ${i.path.length > 0 ? i.path.join(".") : "(file)"}: ${i.message}`);
    throw new InputError(`${file}: invalid generator parameters (docs/backtest.md lists them):\n${lines.join("\n")}`);
  }
  const p = result.data;
  const names = p.sources.map((s) => s.name);
  for (const m of p.manipulations) {
    if (m.kind !== "all-venues-pump" && (m.source === undefined || !names.includes(m.source))) {
      throw new InputError(`${file}: manipulation ${m.kind} at ${m.at} needs "source", one of: ${names.join(", ")}`);
    }
    if (m.at + m.duration > p.duration) throw new InputError(`${file}: manipulation ${m.kind} at ${m.at} ends after the series`);
  }
  return p;
}

/** The true (honest) price path on a `dt` grid. */
function truePath(p: Params, rng: Rng): Float64Array {
  const steps = Math.floor(p.duration / p.dt) + 1;
  const path = new Float64Array(steps);
  const year = 365 * 86_400;
  let logP = Math.log(p.price);
  let stressed = false;
  for (let i = 0; i < steps; i++) {
    const t = i * p.dt;
    if (i > 0) {
      if (rng.uniform() < (p.regimeSwitchesPerDay * p.dt) / 86_400) stressed = !stressed;
      const sigma = p.annualVol * (stressed ? p.stressedVolMultiplier : 1) * Math.sqrt(p.dt / year);
      logP += (p.annualDrift * p.dt) / year - 0.5 * sigma * sigma + sigma * rng.normal();
      if (rng.uniform() < (p.jumpsPerDay * p.dt) / 86_400) logP += (p.jumpBps / 10_000) * rng.normal();
    }
    let crash = 1;
    if (p.crashAt !== undefined && t > p.crashAt) crash = 1 - (p.crashBps / 10_000) * Math.min(1, (t - p.crashAt) / p.crashDuration);
    path[i] = Math.exp(logP) * crash;
  }
  return path;
}

function at(path: Float64Array, p: Params, t: number): number {
  const i = Math.max(0, Math.min(path.length - 1, Math.floor(t / p.dt)));
  return path[i] ?? p.price;
}

/** Generates observations for every source, in time order, and the labels of the injected manipulations. */
export function generate(params: GeneratorParams, file = "generator parameters"): Generated {
  const p = parseGeneratorParams(params, file);
  const rng = new Rng(p.seed);
  const path = truePath(p, rng);
  const rows: GeneratedRow[] = [];
  const active = (name: string, t: number) =>
    p.manipulations.filter((m) => t >= m.at && t < m.at + m.duration && (m.kind === "all-venues-pump" || m.source === name));
  // Multiplier and staleness a manipulation imposes on a source's view of the price at time t.
  const distort = (name: string, t: number, honest: number, kind: SourceSpec["kind"]): { price: number; frozen: boolean } => {
    let price = honest;
    let frozen = false;
    for (const m of active(name, t)) {
      const progress = Math.min(1, (t - m.at) / Math.max(1, m.duration / 10));
      const size = m.magnitudeBps / 10_000;
      if (m.kind === "feed-glitch" || (m.kind === "twap-pump" && kind === "twap") || m.kind === "all-venues-pump") {
        price *= 1 + size * (m.kind === "feed-glitch" ? 1 : progress);
      } else if (m.kind === "slow-drift") {
        price *= 1 + (size * (t - m.at)) / m.duration;
      } else if (m.kind === "pinned") {
        price = Math.max(price, at(path, p, m.at) * (1 - size / 2));
      } else {
        frozen = true; // stale
      }
    }
    return { price, frozen };
  };
  const noisy = (x: number, bps: number) => x * (1 + (bps / 10_000) * rng.normal());

  for (const s of p.sources) {
    if (s.kind === "chainlink") {
      let last = 0;
      let lastT = -Infinity;
      for (let t = 0; t <= p.duration; t += p.dt) {
        const { price, frozen } = distort(s.name, t, at(path, p, Math.max(0, t - s.lag)), s.kind);
        if (frozen) continue;
        if (last === 0 || Math.abs(price / last - 1) * 10_000 >= s.deviationBps || t - lastT >= s.heartbeat) {
          last = noisy(price, s.noiseBps);
          lastT = t;
          rows.push({ t: p.start + t, source: s.name, price: last, conf: 0, spot: 0 });
        }
      }
    } else if (s.kind === "pyth") {
      for (let t = 0; t <= p.duration; t += s.interval) {
        const { price, frozen } = distort(s.name, t, at(path, p, Math.max(0, t - s.lag)), s.kind);
        if (frozen) continue;
        const before = at(path, p, Math.max(0, t - 60));
        const moveBps = Math.abs(at(path, p, t) / before - 1) * 10_000;
        const conf = price * ((s.confBps + s.confPerMoveBps * moveBps) / 10_000);
        rows.push({ t: p.start + t, source: s.name, price: noisy(price, s.noiseBps), conf, spot: 0 });
      }
    } else {
      // Spot sampled every dt; the TWAP is the mean of log spot over the window (Uniswap's geometric mean).
      const spots: number[] = [];
      for (let t = 0; t <= p.duration; t += p.dt) spots.push(distort(s.name, t, noisy(at(path, p, t), s.noiseBps), s.kind).price);
      const per = Math.max(1, Math.round(s.window / p.dt));
      const prefix = new Float64Array(spots.length + 1);
      spots.forEach((x, i) => (prefix[i + 1] = (prefix[i] ?? 0) + Math.log(x)));
      for (let t = s.window; t <= p.duration; t += s.interval) {
        const i = Math.floor(t / p.dt);
        const from = Math.max(0, i - per);
        const twap = Math.exp(((prefix[i + 1] ?? 0) - (prefix[from + 1] ?? 0)) / Math.max(1, i - from));
        rows.push({ t: p.start + t, source: s.name, price: twap, conf: 0, spot: spots[i] ?? twap });
      }
    }
  }
  rows.sort((a, b) => a.t - b.t || a.source.localeCompare(b.source));
  const labels = p.manipulations.map((m) => ({
    start: p.start + m.at,
    end: p.start + m.at + m.duration,
    label: `${m.kind}${m.source === undefined ? "" : ` ${m.source}`}`,
  }));
  return { rows, labels };
}

function decimal(x: number): string {
  if (!Number.isFinite(x) || x < 0) throw new Error(`generated a non-finite or negative value: ${x}`);
  const s = x.toFixed(10).replace(/\.?0+$/, "");
  return s === "" ? "0" : s;
}

export function rowsToCsv(rows: readonly GeneratedRow[]): string {
  const lines = ["timestamp,source,price,conf,spot"];
  for (const r of rows) lines.push(`${r.t},${r.source},${decimal(r.price)},${r.conf === 0 ? "" : decimal(r.conf)},${r.spot === 0 ? "" : decimal(r.spot)}`);
  return `${lines.join("\n")}\n`;
}

export function labelsToCsv(labels: Generated["labels"]): string {
  return `${["start,end,label", ...labels.map((l) => `${l.start},${l.end},${l.label}`)].join("\n")}\n`;
}

/** The one market the presets, tests and bench generate for: a Chainlink-style primary, Pyth and a Uniswap TWAP. */
export const PRESET_SOURCES: GeneratorParams["sources"] = [
  { name: "chainlink", kind: "chainlink" },
  { name: "pyth", kind: "pyth" },
  { name: "twap", kind: "twap" },
];

/** The market file matching `PRESET_SOURCES` (recommended defaults for every threshold). */
export function presetMarket(): MarketFileInput {
  return {
    name: "WETH/USD (generated)",
    sources: [
      { name: "chainlink", kind: "chainlink", maxAge: 3600 },
      { name: "pyth", kind: "pyth", maxAge: 60 },
      { name: "twap", kind: "twap", maxAge: 600 },
    ],
    primary: "chainlink",
  };
}
