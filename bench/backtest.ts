// Backtest speed: observations replayed per second through the guard's own rules (RulesReplay on the in-process
// chain), on a generated day of one market with a Chainlink-style feed, Pyth and a Uniswap TWAP, poked every 12 s
// (a keeper poking every Ethereum block).
// Writes bench/results/backtest.json.
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { performance } from "node:perf_hooks";

import { network } from "hardhat";

import { generate, PRESET_SOURCES, presetMarket, rowsToCsv } from "../scripts/lib/backtest/generate.js";
import { gasPerPoke, replaySeries } from "../scripts/lib/backtest/replay.js";
import { parseSeries } from "../scripts/lib/backtest/series.js";
import { parseMarketFile } from "../scripts/lib/market-file.js";

const RESULTS = path.join("bench", "results", "backtest.json");

async function main(): Promise<void> {
  const { ethers } = await network.create("replay");
  const replay = await ethers.deployContract("RulesReplay");
  const market = parseMarketFile(JSON.stringify(presetMarket()), "bench market");
  // Pyth at one update a second (its network publishes every 400 ms), the TWAP read every block, Chainlink on its
  // deviation and heartbeat: about 13 observations per 12-second poke.
  const generated = generate({
    seed: 7,
    duration: 86_400,
    sources: PRESET_SOURCES.map((s) => (s.kind === "pyth" ? { ...s, interval: 1 } : s)),
  });
  const series = parseSeries(rowsToCsv(generated.rows), "generated", ["chainlink", "pyth", "twap"]);
  await replaySeries(replay, market, { ...series, observations: series.observations.slice(0, 2000) }, { interval: 12 }); // warm-up
  const runs: number[] = [];
  let pokes = 0;
  for (let i = 0; i < 3; i++) {
    const t0 = performance.now();
    const points = await replaySeries(replay, market, series, { interval: 12 });
    runs.push((performance.now() - t0) / 1000);
    pokes = points.length;
  }
  runs.sort((a, b) => a - b);
  const seconds = runs[1] ?? 0;
  const result = {
    "backtest.observationsPerSecond": Math.round(series.observations.length / seconds),
    "backtest.pokesPerSecond": Math.round(pokes / seconds),
    observations: series.observations.length,
    pokes,
    gasPerPoke: await gasPerPoke(replay, market, series, 12),
    secondsMedianOf3: Number(seconds.toFixed(3)),
    target: { "backtest.observationsPerSecond >= 10000": series.observations.length / seconds >= 10_000 },
  };
  await mkdir(path.dirname(RESULTS), { recursive: true });
  await writeFile(RESULTS, `${JSON.stringify(result, null, 2)}\n`);
  console.log(JSON.stringify(result, null, 2));
}

await main();
