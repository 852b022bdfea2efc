// The backtester: the replay decides exactly what the deployed guard decides, bad input is refused with the line
// and the fix, the generator is deterministic, and scoring and calibration behave (the command line: cli.test.ts).
import { expect } from "chai";
import { network } from "hardhat";

import { calibrate } from "../../scripts/lib/backtest/calibrate.js";
import { generate, PRESET_SOURCES, presetMarket, rowsToCsv } from "../../scripts/lib/backtest/generate.js";
import { pokeSchedule, replaySeries, summarize, type Point } from "../../scripts/lib/backtest/replay.js";
import { parseLabels, parseSeries } from "../../scripts/lib/backtest/series.js";
import { type Connection, deployGuard, setMarket } from "../../scripts/lib/fixtures.js";
import { type MarketFile, parseMarketFile, toMarketConfig } from "../../scripts/lib/market-file.js";
import { InputError } from "../../scripts/lib/errors.js";
import type { RulesReplay } from "../../types/ethers-contracts/index.js";

const NAMES = ["chainlink", "pyth", "twap"];
const MARKET_JSON = JSON.stringify(presetMarket());

function series(preset: Parameters<typeof generate>[0]) {
  return parseSeries(rowsToCsv(generate(preset).rows), "generated", NAMES);
}

const SOURCES = PRESET_SOURCES;

describe("backtest", function () {
  this.timeout(300_000);
  let conn: Connection;
  let replay: RulesReplay;
  let market: MarketFile;

  before(async function () {
    conn = await network.create("replay");
    replay = await conn.ethers.deployContract("RulesReplay");
    market = parseMarketFile(MARKET_JSON, "market.json");
  });

  it("decides exactly what the deployed guard decides, poke by poke", async function () {
    // Two hours with the primary glitching 20% down for 20 minutes: trips, recovery, grace, all exercised.
    const chain = await network.create();
    const now = (await chain.ethers.provider.getBlock("latest"))?.timestamp ?? 0;
    const s = series({
      start: now + 100_000,
      seed: 11,
      duration: 2 * 3600,
      sources: SOURCES,
      manipulations: [{ kind: "feed-glitch", source: "chainlink", at: 2400, duration: 1200, magnitudeBps: -2000 }],
    });
    const interval = 30;
    const points = await replaySeries(replay, market, s, { interval, chunk: 37 });

    // The same schedule through the real guard: mock sources set to the same readings, one block per poke.
    const d = await deployGuard(chain);
    const mocks = await Promise.all(NAMES.map(() => chain.ethers.deployContract("MockSource", [1])));
    const driver = await chain.ethers.deployContract("GuardDriver");
    const asset = chain.ethers.getAddress(`0x${"ab".repeat(20)}`);
    const addresses = await Promise.all(mocks.map((m) => m.getAddress()));
    await setMarket(chain, d, asset, toMarketConfig(market, addresses));
    let compared = 0;
    let trips = 0;
    for (const { t, latest } of pokeSchedule(s, interval)) {
      await chain.networkHelpers.time.setNextBlockTimestamp(t);
      const readings = latest.map((o) => ({
        price: o?.price ?? 0n,
        conf: o?.conf ?? 0n,
        spot: o?.spot ?? 0n,
        observedAt: BigInt(o?.t ?? 0),
        fault: 0n,
      }));
      await (await driver.step(await d.guard.getAddress(), asset, addresses, readings, { gasLimit: 3_000_000n })).wait();
      const state = await d.guard.marketState(asset);
      const p = points[compared] as Point;
      expect(p.t, "poke time").to.equal(t);
      const where = `poke ${String(compared)} at ${String(t)}`;
      expect(Number(state.liquidation.status), `${where}: liquidation status`).to.equal(p.liqStatus);
      expect(Number(state.borrow.status), `${where}: borrow status`).to.equal(p.borrowStatus);
      expect(Number(state.reasons), `${where}: reasons`).to.equal(p.reasons);
      expect(await d.guard.isLiquidationAllowed(asset), `${where}: liquidation allowed`).to.equal(p.liquidationAllowed);
      expect(await d.guard.isBorrowAllowed(asset), `${where}: borrow allowed`).to.equal(p.borrowAllowed);
      const [low, high] = await d.guard.credibleBand(asset);
      expect([low, high], `${where}: band`).to.deep.equal([p.bandLow, p.bandHigh]);
      if (p.liqStatus === 2) trips++;
      compared++;
    }
    expect(compared).to.equal(points.length);
    expect(trips, "the glitch trips the market").to.be.greaterThan(0);
  });

  it("gives the same result whatever the chunking", async function () {
    const s = series({ seed: 5, duration: 3600, sources: SOURCES, manipulations: [{ kind: "feed-glitch", source: "chainlink", at: 1200, duration: 600, magnitudeBps: 1500 }] });
    const a = await replaySeries(replay, market, s, { interval: 12, chunk: 1 });
    const b = await replaySeries(replay, market, s, { interval: 12, chunk: 200 });
    expect(b).to.deep.equal(a);
  });

  it("keeps liquidating in an honest crash and catches a glitching primary", async function () {
    const crash = series({ seed: 2, duration: 4 * 3600, sources: SOURCES, crashAt: 3600, crashDuration: 1800, crashBps: 4000 });
    const crashSummary = summarize(await replaySeries(replay, market, crash, { interval: 12 }), 12, crash.observations.length);
    expect(crashSummary.pausedSeconds, "liquidation pause in an honest 40% crash in half an hour").to.equal(0);
    expect(crashSummary.borrowPausedSeconds, "borrows pause on the stress").to.be.greaterThan(0);

    const glitch = generate({ seed: 3, duration: 4 * 3600, sources: SOURCES, manipulations: [{ kind: "feed-glitch", source: "chainlink", at: 7200, duration: 1800, magnitudeBps: -2000 }] });
    const s = parseSeries(rowsToCsv(glitch.rows), "glitch", NAMES);
    const labels = glitch.labels.map((l) => ({ ...l, deadline: l.start + 60 }));
    const summary = summarize(await replaySeries(replay, market, s, { interval: 12 }), 12, s.observations.length, labels);
    expect(summary.caught).to.equal(1);
    expect(summary.missed).to.equal(0);
    expect(summary.labels[0]?.delaySeconds).to.be.at.most(60);
    expect(summary.falsePauseSeconds).to.equal(0);
  });

  it("scores false pauses as pauses that overlap no labelled window", function () {
    const p = (t: number, allowed: boolean): Point => ({
      t,
      liqStatus: allowed ? 1 : 2,
      borrowStatus: 1,
      reasons: 0,
      liquidationAllowed: allowed,
      borrowAllowed: true,
      dispersionBps: 0,
      invalidMask: 0,
      uninformativeMask: 0,
      outlierMask: 0,
      consensus: 0n,
      primaryPrice: 0n,
      bandLow: 0n,
      bandHigh: 0n,
    });
    // Paused 10..30 (overlaps the label 20..25, and lasts past it) and 50..60 (no label): 10 s false.
    const points = [0, 10, 20, 30, 40, 50, 60].map((t) => p(t, !(t === 10 || t === 20 || t === 50)));
    const s = summarize(points, 10, 7, [{ start: 20, end: 25, deadline: 25, label: "attack" }]);
    expect(s.pausedSeconds).to.equal(30);
    expect(s.falsePauseSeconds).to.equal(10);
    expect(s.caught).to.equal(1);
    expect(s.labels[0]?.detectedAt).to.equal(20);
    expect(s.trips).to.equal(2);
  });

  it("refuses bad series and labels with the line and the fix", function () {
    const bad = (text: string, pattern: RegExp) => expect(() => parseSeries(text, "s.csv", NAMES)).to.throw(InputError, pattern);
    bad("timestamp,source\n1,chainlink\n", /s\.csv:1: missing column "price"/);
    bad("timestamp,source,price\n10,chainlink,1\n5,pyth,1\n", /s\.csv:3: timestamps must not decrease \(5 after 10\)/);
    bad("timestamp,source,price\n10,binance,1\n", /s\.csv:2: unknown source "binance" \(the market file names: chainlink, pyth, twap\)/);
    bad("timestamp,source,price\n10,chainlink,abc\n", /s\.csv:2: price "abc" is not a positive decimal/);
    bad("timestamp,source,price\n10,chainlink,0\n", /s\.csv:2: price "0" is not a positive decimal/);
    bad("timestamp,source,price\n10,chainlink,-5\n", /s\.csv:2: price "-5"/);
    bad("timestamp,source,price\n1.5,chainlink,1\n", /s\.csv:2: timestamp "1\.5" is not a Unix time/);
    bad("timestamp,source,price,volume\n", /unknown column "volume"/);
    bad("timestamp,source,price\n10,chainlink\n", /s\.csv:2: 2 fields where the header has 3/);
    expect(() => parseLabels("start,end\n20,10\n", "l.csv")).to.throw(InputError, /l\.csv:2: end 10 is before start 20/);
    expect(() => parseMarketFile('{"sources":[],"primary":null}', "m.json")).to.throw(InputError, /m\.json: invalid market file[\s\S]*sources/);
    expect(() =>
      parseMarketFile(JSON.stringify({ ...JSON.parse(MARKET_JSON), maxDeviationBps: 6000 }), "m.json"),
    ).to.throw(InputError, /maxDeviationBps/);
    expect(() => parseMarketFile(JSON.stringify({ ...JSON.parse(MARKET_JSON), primary: "kraken" }), "m.json")).to.throw(
      InputError,
      /primary: "kraken" is not one of the sources/,
    );
  });

  it("generates the same series for the same seed, and a different one for another", function () {
    const params = { seed: 9, duration: 1800, sources: SOURCES };
    const a = rowsToCsv(generate(params).rows);
    expect(rowsToCsv(generate(params).rows)).to.equal(a);
    expect(rowsToCsv(generate({ ...params, seed: 10 }).rows)).to.not.equal(a);
    expect(() => generate({ ...params, manipulations: [{ kind: "feed-glitch", source: "kraken", at: 0, duration: 60, magnitudeBps: 100 }] })).to.throw(
      InputError,
      /needs "source", one of: chainlink, pyth, twap/,
    );
  });

  it("calibrates: the tightest configuration that catches every attack within the budget, and the frontier", async function () {
    const honest = series({ seed: 21, duration: 2 * 3600, sources: SOURCES, annualVol: 1.2 });
    const attack = generate({ seed: 22, duration: 2 * 3600, sources: SOURCES, manipulations: [{ kind: "feed-glitch", source: "chainlink", at: 3600, duration: 1200, magnitudeBps: -400 }] });
    const result = await calibrate(
      replay,
      market,
      [
        { series: honest, labels: [] },
        { series: parseSeries(rowsToCsv(attack.rows), "attack", NAMES), labels: attack.labels.map((l) => ({ ...l, deadline: l.end })) },
      ],
      { budgetSeconds: 0, interval: 30, grid: { maxDeviationBps: [100, 300, 800], maxUncorroborated: [1800], outlierBps: [] } },
    );
    expect(result.candidates).to.have.length(3);
    // A 4% glitch is caught at a 3% bound, not at 8%.
    const byDev = new Map(result.candidates.map((c) => [c.maxDeviationBps, c]));
    expect(byDev.get(300)?.caught).to.equal(1);
    expect(byDev.get(800)?.caught).to.equal(0);
    // The choice: the tightest bound among those that catch everything within the (zero) budget.
    const eligible = result.candidates.filter((c) => c.catchRate === 1 && c.falsePauseSeconds === 0);
    const tightest = Math.min(...eligible.map((c) => c.maxDeviationBps));
    expect(result.chosen?.maxDeviationBps).to.equal(tightest);
    expect(result.market?.maxDeviationBps).to.equal(tightest);
    for (const c of result.candidates) {
      if (c.maxDeviationBps < tightest) expect(c.catchRate < 1 || c.falsePauseSeconds > 0, "tighter ones fail").to.equal(true);
    }
    // The frontier holds no candidate another beats on both counts.
    for (const f of result.frontier) {
      expect(result.candidates.some((c) => c.catchRate > f.catchRate && c.falsePauseSeconds < f.falsePauseSeconds)).to.equal(false);
    }
  });
});
