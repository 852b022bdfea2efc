// The market file: a hand-written, schema-validated description of one guard market (its sources and every
// threshold), read by the backtester, the calibrator and the deploy tooling. docs/market-config.md documents every
// field. The bounds here are the guard's own hard bounds (TripwireGuard._validate), so that a file that passes
// here is accepted on chain; the contract checks them again.
import { readFileSync } from "node:fs";

import { parse as parseYaml } from "yaml";
import { z } from "zod";

import { InputError } from "./errors.js";

export const NO_PRIMARY = 255;
export const REASON_NAMES = [
  "PRIMARY_INVALID",
  "PRIMARY_CONTRADICTED",
  "QUORUM_LOST",
  "SEQUENCER_DOWN",
  "SEQUENCER_GRACE",
  "DISPERSION",
  "UNCORROBORATED",
  "VARIANCE",
  "REGIME",
  "JUMP",
  "GUARDIAN",
] as const;
export type ReasonName = (typeof REASON_NAMES)[number];
/** Reasons an evaluation can raise (not GUARDIAN): what `liquidationEffects` may name. */
const EVALUATED = REASON_NAMES.filter((r) => r !== "GUARDIAN");
export const EVIDENCE: ReasonName[] = [
  "PRIMARY_INVALID",
  "PRIMARY_CONTRADICTED",
  "QUORUM_LOST",
  "SEQUENCER_DOWN",
  "SEQUENCER_GRACE",
];

export function reasonMask(names: readonly ReasonName[]): number {
  return names.reduce((m, n) => m | (1 << REASON_NAMES.indexOf(n)), 0);
}

export function reasonNamesOf(mask: number): ReasonName[] {
  return REASON_NAMES.filter((_, i) => (mask & (1 << i)) !== 0);
}

const HOUR = 3600;
const DAY = 24 * HOUR;
const BPS = 10_000;

const int = (min: number, max: number) => z.number().int().min(min).max(max);
const address = z.string().regex(/^0x[0-9a-fA-F]{40}$/, "an address: 0x followed by 40 hex digits");

export const SOURCE_KINDS = ["chainlink", "pyth", "twap", "other"] as const;

const sourceSchema = z.strictObject({
  name: z.string().min(1).max(64),
  kind: z.enum(SOURCE_KINDS),
  maxAge: int(1, 7 * DAY),
  /** The adapter: an address, or `deployment:<Ignition future id>` resolved from the deployment journal. */
  address: z.union([address, z.string().regex(/^deployment:\S+$/, "deployment:<Ignition future id>")]).optional(),
});

/** Every field, its bound and its recommended default (the defaults are what `make demo` and the tests use). */
export const marketFileSchema = z
  .strictObject({
    name: z.string().min(1).max(64).optional(),
    asset: address.optional(),
    sources: z.array(sourceSchema).min(1).max(8),
    primary: z.string().nullable(),
    quorum: int(1, 8).default(2),
    outlierBps: int(1, 5_000).default(500),
    maxDeviationBps: int(1, 5_000).default(300),
    confMultiplierBps: int(0, 50_000).default(10_000),
    twapSpotBoundBps: int(1, 5_000).default(200),
    maxUncorroborated: int(0, DAY).default(1_800),
    jumpBps: z.union([z.literal(0), int(1, 9_000)]).default(1_000),
    varianceThreshold: z
      .union([z.string().regex(/^\d+$/), z.number().int().nonnegative()])
      .transform((v) => BigInt(v))
      .refine((v) => v === 0n || (v >= 10n ** 8n && v <= 10n ** 18n), "0 (off) or between 1e8 and 1e18")
      .default(10n ** 15n),
    shortAlphaBps: int(1, BPS).default(2_000),
    longAlphaBps: int(1, BPS).default(100),
    regimeRatioBps: z.union([z.literal(0), int(10_000, 1_000_000)]).default(0),
    regimeWarmup: int(1, 255).default(20),
    statsInterval: int(1, DAY).default(300),
    returnClipBps: int(1, BPS).default(2_000),
    liquidationEffects: z.union([z.literal("default"), z.array(z.enum(EVALUATED))]).default("default"),
    minPause: int(0, DAY).default(600),
    recoveryStreak: int(1, 100).default(3),
    recoverySpacing: int(0, HOUR).default(60),
    grace: int(0, 4 * HOUR).default(900),
    maxPause: int(5 * 60, 3 * DAY).default(6 * HOUR),
    maxExtension: int(0, 7 * DAY).default(12 * HOUR),
  })
  .superRefine((m, ctx) => {
    const names = m.sources.map((s) => s.name);
    names.forEach((n, i) => {
      if (names.indexOf(n) !== i) ctx.addIssue({ code: "custom", path: ["sources", i, "name"], message: `duplicate source name "${n}"` });
    });
    if (m.primary !== null && !names.includes(m.primary)) {
      ctx.addIssue({ code: "custom", path: ["primary"], message: `"${m.primary}" is not one of the sources (${names.join(", ")})` });
    }
    if (m.quorum > m.sources.length) {
      ctx.addIssue({ code: "custom", path: ["quorum"], message: `at most the number of sources (${m.sources.length})` });
    }
    if (m.longAlphaBps > m.shortAlphaBps) {
      ctx.addIssue({ code: "custom", path: ["longAlphaBps"], message: `at most shortAlphaBps (${m.shortAlphaBps})` });
    }
    if (m.maxPause < m.minPause) {
      ctx.addIssue({ code: "custom", path: ["maxPause"], message: `at least minPause (${m.minPause})` });
    }
  });

export type MarketFile = z.output<typeof marketFileSchema>;
export type MarketFileInput = z.input<typeof marketFileSchema>;

/** The on-chain `RulesLib.MarketConfig` a market file stands for (sources by `address`, or `sourceAddresses`). */
export interface MarketConfigValue {
  sources: { source: string; maxAge: number }[];
  primary: number;
  quorum: number;
  outlierBps: number;
  maxDeviationBps: number;
  confMultiplierBps: number;
  twapSpotBoundBps: number;
  maxUncorroborated: number;
  jumpBps: number;
  varianceThreshold: bigint;
  shortAlphaBps: number;
  longAlphaBps: number;
  regimeRatioBps: number;
  regimeWarmup: number;
  statsInterval: number;
  returnClipBps: number;
  liquidationMask: number;
  minPause: number;
  recoveryStreak: number;
  recoverySpacing: number;
  grace: number;
  maxPause: number;
  maxExtension: number;
}


/** Parses and validates a market file (JSON or YAML). Errors name the file, the field and the bound. */
export function parseMarketFile(text: string, file: string): MarketFile {
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (cause) {
    throw new InputError(`${file}: not valid JSON or YAML: ${cause instanceof Error ? cause.message : String(cause)}`);
  }
  const result = marketFileSchema.safeParse(raw);
  if (!result.success) {
    const lines = result.error.issues.map((i) => `  ${i.path.length > 0 ? i.path.join(".") : "(file)"}: ${i.message}`);
    throw new InputError(`${file}: invalid market file (docs/market-config.md lists every field):\n${lines.join("\n")}`);
  }
  return result.data;
}

export function readMarketFile(file: string): MarketFile {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (cause) {
    throw new InputError(`${file}: cannot read the market file (${cause instanceof Error ? cause.message : String(cause)})`);
  }
  return parseMarketFile(text, file);
}

/** The liquidation mask a market file asks for ("default": the evidence, plus dispersion without a primary). */
export function liquidationMaskOf(m: MarketFile): number {
  if (m.liquidationEffects !== "default") return reasonMask(m.liquidationEffects);
  return reasonMask(m.primary === null ? [...EVIDENCE, "DISPERSION"] : EVIDENCE);
}

/** The on-chain configuration; `sourceAddresses` overrides the file's addresses (the backtester uses placeholders). */
export function toMarketConfig(m: MarketFile, sourceAddresses?: readonly string[]): MarketConfigValue {
  const sources = m.sources.map((s, i) => {
    const source = sourceAddresses?.[i] ?? s.address;
    if (source === undefined) throw new InputError(`source "${s.name}" has no address: add "address" to the market file`);
    return { source, maxAge: s.maxAge };
  });
  return {
    sources,
    primary: m.primary === null ? NO_PRIMARY : m.sources.findIndex((s) => s.name === m.primary),
    quorum: m.quorum,
    outlierBps: m.outlierBps,
    maxDeviationBps: m.maxDeviationBps,
    confMultiplierBps: m.confMultiplierBps,
    twapSpotBoundBps: m.twapSpotBoundBps,
    maxUncorroborated: m.maxUncorroborated,
    jumpBps: m.jumpBps,
    varianceThreshold: m.varianceThreshold,
    shortAlphaBps: m.shortAlphaBps,
    longAlphaBps: m.longAlphaBps,
    regimeRatioBps: m.regimeRatioBps,
    regimeWarmup: m.regimeWarmup,
    statsInterval: m.statsInterval,
    returnClipBps: m.returnClipBps,
    liquidationMask: liquidationMaskOf(m),
    minPause: m.minPause,
    recoveryStreak: m.recoveryStreak,
    recoverySpacing: m.recoverySpacing,
    grace: m.grace,
    maxPause: m.maxPause,
    maxExtension: m.maxExtension,
  };
}

/** A market file's JSON form (bigints as strings), ready to write. */
export function marketFileToJson(m: MarketFile): string {
  return `${JSON.stringify(m, (_, v: unknown) => (typeof v === "bigint" ? v.toString() : v), 2)}\n`;
}
