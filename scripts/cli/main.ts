// `./tripwire <command>`: the single entry point for Tripwire's tooling. Run through the `tripwire` wrapper at the
// repository root, which checks the set-up (Node 22, dependencies) first and runs from the project directory;
// relative paths are taken from where you ran it.
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";

import { Command, InvalidArgumentError, Option } from "commander";
import { parse as parseYaml } from "yaml";

import { calibrate, DEFAULT_GRID, type Grid } from "../lib/backtest/calibrate.js";
import {
  generate,
  type GeneratorParams,
  labelsToCsv,
  MANIPULATION_KINDS,
  PRESET_SOURCES,
  presetMarket,
  rowsToCsv,
} from "../lib/backtest/generate.js";
import { backtest, backtestHtml, DEFAULT_INTERVAL, openReplay } from "../lib/backtest/run.js";
import { readLabels, readSeries } from "../lib/backtest/series.js";
import { marketFileToJson, readMarketFile } from "../lib/market-file.js";
import { InputError } from "../lib/errors.js";
import { registerKeeper, runProgram } from "./keeper-command.js";
import { registerOps } from "./ops.js";
import { registerSim } from "./sim.js";

const userCwd = process.env.TRIPWIRE_CWD ?? process.cwd();
const resolve = (p: string): string => path.resolve(userCwd, p);

function write(file: string, text: string): void {
  const full = resolve(file);
  try {
    mkdirSync(path.dirname(full), { recursive: true });
    writeFileSync(full, text);
  } catch (cause) {
    throw new InputError(`${file}: cannot write (${cause instanceof Error ? cause.message : String(cause)})`);
  }
}

function positiveInt(name: string) {
  return (value: string): number => {
    if (!/^\d+$/.test(value) || Number(value) < 1) throw new InvalidArgumentError(`${name} must be a whole number of at least 1`);
    return Number(value);
  };
}

function nonNegativeInt(name: string) {
  return (value: string): number => {
    if (!/^\d+$/.test(value)) throw new InvalidArgumentError(`${name} must be a whole number (0 or more)`);
    return Number(value);
  };
}

function intList(name: string) {
  return (value: string): number[] => {
    const parts = value.split(",").map((v) => v.trim());
    if (parts.some((p) => !/^\d+$/.test(p))) throw new InvalidArgumentError(`${name} must be comma-separated whole numbers`);
    return parts.map(Number);
  };
}

/** Presets of the generator: one market with a Chainlink-style primary, Pyth and a Uniswap TWAP. */
const PRESETS = ["honest", "crash", "flash-crash", ...MANIPULATION_KINDS] as const;
type Preset = (typeof PRESETS)[number];

function presetParams(preset: Preset, seed: number, duration: number): GeneratorParams {
  const base: GeneratorParams = { seed, duration, sources: PRESET_SOURCES };
  const at = Math.floor(duration / 2);
  const window = Math.min(3600, Math.floor(duration / 4));
  switch (preset) {
    case "honest":
      return base;
    case "crash":
      return { ...base, crashAt: Math.floor(duration / 3), crashDuration: Math.min(7200, Math.floor(duration / 3)), crashBps: 4000 };
    case "flash-crash":
      return { ...base, crashAt: at, crashDuration: 300, crashBps: 1500 };
    case "feed-glitch":
      return { ...base, manipulations: [{ kind: "feed-glitch", source: "chainlink", at, duration: window, magnitudeBps: -2000 }] };
    case "twap-pump":
      return { ...base, manipulations: [{ kind: "twap-pump", source: "twap", at, duration: window, magnitudeBps: 3000 }] };
    case "pinned":
      return {
        ...base,
        crashAt: at,
        crashDuration: window,
        crashBps: 6000,
        manipulations: [{ kind: "pinned", source: "chainlink", at, duration: window, magnitudeBps: 6000 }],
      };
    case "stale":
      return {
        ...base,
        crashAt: at,
        crashDuration: window,
        crashBps: 2500,
        manipulations: [{ kind: "stale", source: "chainlink", at, duration: window, magnitudeBps: 2500 }],
      };
    case "all-venues-pump":
      return { ...base, manipulations: [{ kind: "all-venues-pump", at, duration: window, magnitudeBps: 4000 }] };
    case "slow-drift":
      return { ...base, manipulations: [{ kind: "slow-drift", source: "chainlink", at, duration: window, magnitudeBps: -1500 }] };
  }
}

const program = new Command()
  .name("tripwire")
  .description("Tripwire: on-chain circuit breakers for liquidations. Tooling entry point.")
  .showHelpAfterError("(run with --help for usage)");

program
  .command("backtest")
  .description("replay a price series through the guard's own compiled rules and report pauses, catches and misses")
  .requiredOption("--series <file>", "price series CSV: timestamp,source,price[,conf][,spot]")
  .requiredOption("--market <file>", "market file (JSON or YAML; docs/market-config.md)")
  .option("--labels <file>", "labelled manipulation windows CSV: start,end[,label][,deadline]")
  .requiredOption("--out <file>", "where to write the JSON result")
  .option("--html <file>", "where to write the HTML view (charts)")
  .option("--interval <seconds>", "seconds between pokes (a keeper poking every block)", positiveInt("--interval"), DEFAULT_INTERVAL)
  .action(async (o: { series: string; market: string; labels?: string; out: string; html?: string; interval: number }) => {
    const market = readMarketFile(resolve(o.market));
    const series = readSeries(resolve(o.series), market.sources.map((s) => s.name));
    const labels = o.labels === undefined ? undefined : readLabels(resolve(o.labels));
    const replay = await openReplay();
    const { result, points } = await backtest(replay, market, market.name ?? path.basename(o.market), series, {
      interval: o.interval,
      labels,
    });
    write(o.out, `${JSON.stringify(result, null, 2)}\n`);
    if (o.html !== undefined) write(o.html, await backtestHtml(result, points, series, market, labels));
    const s = result.summary;
    console.log(
      `backtest: ${String(s.observations)} observations, ${String(s.pokes)} pokes; liquidations paused ${String(s.pausedSeconds)} s ` +
        `(${String(s.trips)} trips), borrows paused ${String(s.borrowPausedSeconds)} s` +
        (s.caught === null ? "" : `; caught ${String(s.caught)}, missed ${String(s.missed)}, false pause ${String(s.falsePauseSeconds)} s`),
    );
    console.log(`wrote ${o.out}${o.html === undefined ? "" : ` and ${o.html}`}`);
  });

program
  .command("calibrate")
  .description("search thresholds that catch every labelled attack within a false-pause budget; report the frontier")
  .requiredOption("--series <file...>", "price series CSVs (honest ones and labelled attacks)")
  .option("--labels <file...>", "labels CSVs, one per series in the same order (use - for a series without labels)")
  .requiredOption("--market <file>", "base market file: its sources and every threshold not searched")
  .requiredOption("--budget <seconds>", "false liquidation-pause time allowed, summed over all series", nonNegativeInt("--budget"))
  .requiredOption("--out <file>", "where to write the proposed market file")
  .option("--frontier <file>", "where to write every candidate and the frontier (JSON)")
  .option("--interval <seconds>", "seconds between pokes", positiveInt("--interval"), DEFAULT_INTERVAL)
  .addOption(new Option("--max-deviation <bps,...>", "maxDeviationBps values to try").argParser(intList("--max-deviation")))
  .addOption(new Option("--max-uncorroborated <s,...>", "maxUncorroborated values to try").argParser(intList("--max-uncorroborated")))
  .addOption(new Option("--outlier <bps,...>", "outlierBps values to try (default: the market file's)").argParser(intList("--outlier")))
  .action(
    async (o: {
      series: string[];
      labels?: string[];
      market: string;
      budget: number;
      out: string;
      frontier?: string;
      interval: number;
      maxDeviation?: number[];
      maxUncorroborated?: number[];
      outlier?: number[];
    }) => {
      const market = readMarketFile(resolve(o.market));
      const names = market.sources.map((s) => s.name);
      if (o.labels !== undefined && o.labels.length !== o.series.length) {
        throw new InputError(`--labels: ${String(o.labels.length)} files for ${String(o.series.length)} series (give one per series, - for none)`);
      }
      const inputs = o.series.map((file, i) => {
        const labelFile = o.labels?.[i];
        return {
          series: readSeries(resolve(file), names),
          labels: labelFile === undefined || labelFile === "-" ? [] : readLabels(resolve(labelFile)),
        };
      });
      const grid: Grid = {
        maxDeviationBps: o.maxDeviation ?? DEFAULT_GRID.maxDeviationBps,
        maxUncorroborated: o.maxUncorroborated ?? DEFAULT_GRID.maxUncorroborated,
        outlierBps: o.outlier ?? DEFAULT_GRID.outlierBps,
      };
      const replay = await openReplay();
      const result = await calibrate(replay, market, inputs, {
        budgetSeconds: o.budget,
        interval: o.interval,
        grid,
        onCandidate: (c) => {
          console.log(
            `  maxDeviation ${String(c.maxDeviationBps)} bps, maxUncorroborated ${String(c.maxUncorroborated)} s, outlier ${String(c.outlierBps)} bps: ` +
              `caught ${String(c.caught)}/${String(c.labelled)}, false pause ${String(c.falsePauseSeconds)} s`,
          );
        },
      });
      if (o.frontier !== undefined) write(o.frontier, `${JSON.stringify(result, (_, v: unknown) => (typeof v === "bigint" ? v.toString() : v), 2)}\n`);
      const points = [...new Set(result.frontier.map((c) => `${(c.catchRate * 100).toFixed(0)}% caught with ${String(c.falsePauseSeconds)} s false pause`))];
      console.log(`frontier (${String(result.frontier.length)} of ${String(result.candidates.length)} candidates): ${points.join("; ")}`);
      if (result.market === null || result.chosen === null) {
        console.error(
          `calibrate: no candidate catches every labelled attack within a false-pause budget of ${String(o.budget)} s; ` +
            "raise --budget, widen the grid, or look at the frontier (--frontier FILE)",
        );
        process.exitCode = 3;
        return;
      }
      write(o.out, marketFileToJson(result.market));
      console.log(
        `proposed: maxDeviationBps ${String(result.chosen.maxDeviationBps)}, maxUncorroborated ${String(result.chosen.maxUncorroborated)}, ` +
          `outlierBps ${String(result.chosen.outlierBps)} (false pause ${String(result.chosen.falsePauseSeconds)} s); wrote ${o.out}`,
      );
    },
  );

program
  .command("generate")
  .description("generate a synthetic price series (and labels, and a matching market file), deterministic under a seed")
  .addOption(new Option("--preset <name>", "a ready scenario").choices([...PRESETS]).default("honest"))
  .option("--params <file>", "generator parameters (JSON or YAML; docs/backtest.md), instead of a preset")
  .option("--seed <n>", "random seed", positiveInt("--seed"), 1)
  .option("--duration <seconds>", "length of the series", positiveInt("--duration"), 6 * 3600)
  .requiredOption("--out <file>", "where to write the series CSV")
  .option("--labels <file>", "where to write the labels CSV (the injected manipulations)")
  .option("--market <file>", "where to write a market file matching the preset's sources")
  .action((o: { preset: Preset; params?: string; seed: number; duration: number; out: string; labels?: string; market?: string }) => {
    let params: GeneratorParams;
    let source = `preset ${o.preset}`;
    if (o.params !== undefined) {
      source = o.params;
      let text: string;
      try {
        text = readFileSync(resolve(o.params), "utf8");
      } catch (cause) {
        throw new InputError(`${o.params}: cannot read (${cause instanceof Error ? cause.message : String(cause)})`);
      }
      params = parseYaml(text) as GeneratorParams;
    } else {
      params = presetParams(o.preset, o.seed, o.duration);
    }
    const out = generate(params, source);
    write(o.out, rowsToCsv(out.rows));
    if (o.labels !== undefined) write(o.labels, labelsToCsv(out.labels));
    if (o.market !== undefined) write(o.market, `${JSON.stringify(presetMarket(), null, 2)}\n`);
    console.log(`generate: ${String(out.rows.length)} observations, ${String(out.labels.length)} labelled windows from ${source}; wrote ${o.out}`);
  });

registerOps(program);
registerSim(program);

registerKeeper(program, userCwd);

await runProgram(program);
