// Price-series and label files for the backtester. Every error names the file, the line and what to fix.
//
// Series (CSV): header `timestamp,source,price` plus optional `conf` and `spot`, in any order; one row per
// observation of one source; timestamps in Unix seconds, never decreasing; prices, confidences and spots as
// positive decimals in the market's quote (e.g. USD per ETH). `conf` is the source's confidence width (Pyth), `spot`
// the pool's current spot for a TWAP source.
//
// Labels (CSV): header `start,end` plus optional `label` and `deadline`: Unix-second intervals marked as
// manipulation. `deadline` (default: `end`) is when the attack must have been caught by, e.g. the time of its
// first manipulated liquidation.
import { readFileSync } from "node:fs";

import { InputError } from "../errors.js";

const WAD_DECIMALS = 18;

export interface Observation {
  t: number;
  source: number;
  price: bigint;
  conf: bigint;
  spot: bigint;
}

export interface Series {
  file: string;
  sourceNames: string[];
  observations: Observation[];
}

export interface Label {
  start: number;
  end: number;
  deadline: number;
  label: string;
}

function read(file: string, what: string): string {
  try {
    return readFileSync(file, "utf8");
  } catch (cause) {
    throw new InputError(`${file}: cannot read the ${what} (${cause instanceof Error ? cause.message : String(cause)})`);
  }
}

/** A positive decimal ("2000", "0.0001", "1e3" is refused: write it out) as an 18-decimal bigint. */
export function decimalToWad(text: string): bigint | undefined {
  const m = /^(\d+)(?:\.(\d+))?$/.exec(text.trim());
  if (m === null) return undefined;
  const whole = m[1] ?? "0";
  const frac = (m[2] ?? "").slice(0, WAD_DECIMALS).padEnd(WAD_DECIMALS, "0");
  return BigInt(whole) * 10n ** BigInt(WAD_DECIMALS) + BigInt(frac);
}

function lines(text: string): { n: number; cells: string[] }[] {
  return text
    .split(/\r?\n/)
    .map((line, i) => ({ n: i + 1, line }))
    .filter(({ line }) => line.trim() !== "" && !line.trimStart().startsWith("#"))
    .map(({ n, line }) => ({ n, cells: line.split(",").map((c) => c.trim()) }));
}

function header(file: string, first: { n: number; cells: string[] } | undefined, required: string[], optional: string[]) {
  if (first === undefined) throw new InputError(`${file}: empty file: expected a header line \`${required.join(",")}\``);
  const cols = first.cells.map((c) => c.toLowerCase());
  for (const r of required) {
    if (!cols.includes(r)) {
      throw new InputError(`${file}:${first.n}: missing column "${r}" in the header (expected ${required.join(",")} and optionally ${optional.join(",")})`);
    }
  }
  for (const c of cols) {
    if (![...required, ...optional].includes(c)) {
      throw new InputError(`${file}:${first.n}: unknown column "${c}" (columns: ${[...required, ...optional].join(", ")})`);
    }
  }
  return (name: string): number => cols.indexOf(name);
}

function timestamp(file: string, n: number, text: string | undefined, column: string): number {
  if (text === undefined || !/^\d+$/.test(text)) {
    throw new InputError(`${file}:${n}: ${column} "${text ?? ""}" is not a Unix time in whole seconds`);
  }
  return Number(text);
}

/** Reads a series; `sourceNames` (from the market file) fixes the order and rejects unknown sources. */
export function parseSeries(text: string, file: string, sourceNames: readonly string[]): Series {
  const rows = lines(text);
  const col = header(file, rows[0], ["timestamp", "source", "price"], ["conf", "spot"]);
  const [iT, iS, iP, iC, iSp] = [col("timestamp"), col("source"), col("price"), col("conf"), col("spot")];
  const observations: Observation[] = [];
  let last = 0;
  for (const { n, cells } of rows.slice(1)) {
    if (cells.length !== rows[0]?.cells.length) {
      throw new InputError(`${file}:${n}: ${cells.length} fields where the header has ${rows[0]?.cells.length ?? 0}`);
    }
    const t = timestamp(file, n, cells[iT], "timestamp");
    if (t < last) throw new InputError(`${file}:${n}: timestamps must not decrease (${t} after ${last}): sort the file by time`);
    last = t;
    const name = cells[iS] ?? "";
    const source = sourceNames.indexOf(name);
    if (source < 0) {
      throw new InputError(`${file}:${n}: unknown source "${name}" (the market file names: ${sourceNames.join(", ")})`);
    }
    const value = (i: number, what: string, required: boolean): bigint => {
      const cell = i < 0 ? "" : (cells[i] ?? "");
      if (cell === "" && !required) return 0n;
      const wad = decimalToWad(cell);
      if (wad === undefined || (required && wad === 0n)) {
        throw new InputError(`${file}:${n}: ${what} "${cell}" is not a ${required ? "positive " : ""}decimal number`);
      }
      return wad;
    };
    observations.push({ t, source, price: value(iP, "price", true), conf: value(iC, "conf", false), spot: value(iSp, "spot", false) });
  }
  if (observations.length === 0) throw new InputError(`${file}: no observations after the header`);
  return { file, sourceNames: [...sourceNames], observations };
}

export function readSeries(file: string, sourceNames: readonly string[]): Series {
  return parseSeries(read(file, "price series"), file, sourceNames);
}

export function parseLabels(text: string, file: string): Label[] {
  const rows = lines(text);
  const col = header(file, rows[0], ["start", "end"], ["label", "deadline"]);
  return rows.slice(1).map(({ n, cells }) => {
    const start = timestamp(file, n, cells[col("start")], "start");
    const end = timestamp(file, n, cells[col("end")], "end");
    if (end < start) throw new InputError(`${file}:${n}: end ${end} is before start ${start}`);
    const deadline = col("deadline") >= 0 ? timestamp(file, n, cells[col("deadline")], "deadline") : end;
    if (deadline < start) throw new InputError(`${file}:${n}: deadline ${deadline} is before start ${start}`);
    return { start, end, deadline, label: col("label") >= 0 ? (cells[col("label")] ?? "") : `window ${n}` };
  });
}

export function readLabels(file: string): Label[] {
  return parseLabels(read(file, "labels file"), file);
}

/** Formats a 18-decimal bigint as a decimal string (for CSV writers). */
export function wadToDecimal(value: bigint): string {
  const whole = value / 10n ** 18n;
  const frac = (value % 10n ** 18n).toString().padStart(18, "0").replace(/0+$/, "");
  return frac === "" ? whole.toString() : `${whole}.${frac}`;
}
