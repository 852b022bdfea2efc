// `make demo`: one market, three independent sources (a Chainlink-style feed as the primary, Pyth's mock, and a
// real Uniswap V3 pool's TWAP), on the in-process chain. Shows what the guard does when a secondary is corrupted
// (outvoted, nothing trips), when the primary is corrupted (liquidations stop, with reasons), how it recovers, and
// that an honest crash keeps liquidating while borrows pause. Then the same guard logic wired into a real Aave V3
// market as its price oracle sentinel: a liquidation on a glitching feed is refused, and allowed after recovery.
// Last, one attack replayed on a fork of the replica chain without and with the guard, with its report.
import path from "node:path";

import { network } from "hardhat";

import { AAVE_ERRORS, aaveErrorCode } from "./lib/aave.js";
import {
  deployLendingWorld,
  fundLiquidator,
  type LendingWorld,
  openAavePosition,
  pokeAll,
  setPrices,
} from "./lib/world.js";

import {
  type Connection,
  defaultMarketConfig,
  deployChainlink,
  deployGuard,
  deployPyth,
  deployUniswapPool,
  fromWad,
  movePoolTo,
  poolSpot,
  publishPyth,
  reasonNames,
  setMarket,
  STATUS,
  toUnits,
} from "./lib/fixtures.js";
import { writeReport } from "./lib/sim/report.js";
import { simulate } from "./lib/sim/simulate.js";

const TWAP_WINDOW = 1800;

function say(text: string): void {
  console.log(text);
}

function money(value: number): string {
  return value.toLocaleString("en-US", { maximumFractionDigits: 2, minimumFractionDigits: 2 });
}

async function main(): Promise<void> {
  const conn: Connection = await network.create();
  const { networkHelpers } = conn;

  say("Tripwire demo: one guard, one market (WETH), three independent sources.\n");
  const d = await deployGuard(conn);
  const chainlink = await deployChainlink(conn, 2000, "Chainlink ETH/USD");
  const pyth = await deployPyth(conn, "Pyth ETH/USD");
  const uni = await deployUniswapPool(conn, { price: 2000, baseLiquidity: 1000, window: TWAP_WINDOW });
  const weth = await uni.base.getAddress();
  const config = defaultMarketConfig(
    [await chainlink.source.getAddress(), await pyth.source.getAddress(), await uni.source.getAddress()],
    0,
  );
  await setMarket(conn, d, weth, config);
  say(`Guard ${await d.guard.getAddress()} governed by a timelock (1 hour delay); the market was listed through it.`);
  say("Sources: [0] Chainlink-style feed (primary, what the protocol prices from), [1] Pyth, [2] Uniswap V3 TWAP 30m.");
  say("Thresholds: outlier 5%, max deviation 3%, TWAP-vs-spot 2%, quorum 2, min pause 10m, recovery 3 x 1m, grace 15m.\n");
  await networkHelpers.time.increase(TWAP_WINDOW);

  let chainlinkPrice = 2000;
  let pythPrice = 2000;
  const refresh = async (): Promise<void> => {
    await (await chainlink.feed.setAnswer(toUnits(chainlinkPrice, 8))).wait();
    await publishPyth(conn, pyth, pythPrice, pythPrice < 1900 ? 0.6 : 0.1);
  };

  const show = async (title: string): Promise<void> => {
    await refresh();
    const [ev] = await d.guard.evaluate(weth);
    await (await d.guard.poke(weth)).wait();
    const state = await d.guard.marketState(weth);
    const liq = await d.guard.isLiquidationAllowed(weth);
    const borrow = await d.guard.isBorrowAllowed(weth);
    const [low, high] = await d.guard.credibleBand(weth);
    const excluded: string[] = [];
    for (let i = 0; i < 3; i++) {
      if ((Number(state.outlierMask) >> i) & 1) excluded.push(`[${i}] outlier`);
      if ((Number(state.uninformativeMask) >> i) & 1) excluded.push(`[${i}] lagging TWAP, left out`);
      if ((Number(state.invalidMask) >> i) & 1) excluded.push(`[${i}] invalid`);
    }
    say(`— ${title}`);
    say(
      `  prices: chainlink ${money(chainlinkPrice)}, pyth ${money(pythPrice)}, pool spot ${money(await poolSpot(uni))}` +
        ` | consensus ${money(fromWad(ev.consensus))}, band ${money(fromWad(low))}..${money(fromWad(high))}`,
    );
    say(
      `  liquidations ${liq ? "ALLOWED" : "STOPPED"} (${STATUS[Number(state.liquidation.status)]}), borrows ` +
        `${borrow ? "allowed" : "PAUSED"} (${STATUS[Number(state.borrow.status)]}); reasons: ` +
        `${reasonNames(state.reasons).join(", ") || "none"}${excluded.length > 0 ? `; ${excluded.join(", ")}` : ""}`,
    );
  };

  await show("1. Normal: every source agrees");

  await networkHelpers.time.increase(60);
  pythPrice = 2600;
  await show("2. A secondary (Pyth) is corrupted to 2,600: outvoted and dropped, nothing trips");
  pythPrice = 2000;

  await networkHelpers.time.increase(60);
  chainlinkPrice = 1500;
  await show("3. The primary (Chainlink) is corrupted to 1,500: the secondaries contradict it, liquidations stop");
  say("   (the credible band still excludes the bad primary: positions underwater at 2,000 remain liquidatable)");

  chainlinkPrice = 2000;
  await networkHelpers.time.increase(60);
  await show("4. The primary is restored, but the minimum pause (10 minutes) has not passed");
  await networkHelpers.time.increase(600);
  await show("5. Minimum pause over: recovery starts (healthy evaluation 1 of 3)");
  for (let i = 2; i <= 3; i++) {
    await networkHelpers.time.increase(60);
    await show(`6. Healthy evaluation ${i} of 3, spaced a minute apart`);
  }
  say("   Recovered: a 15-minute grace lets borrowers top up before liquidations resume.");
  await networkHelpers.time.increase(900);
  await show("7. Grace over");

  say("\n8. An honest crash: every source falls 30% in half an hour, together (the TWAP lags, Pyth's confidence widens).");
  let paused = 0;
  let borrowPaused = 0;
  const steps = 6;
  for (let step = 1; step <= steps; step++) {
    await networkHelpers.time.increase(300);
    const price = 2000 * (1 - 0.3 * (step / steps));
    chainlinkPrice = price;
    pythPrice = price * 1.002;
    await movePoolTo(uni, price);
    await show(`   step ${step}: market at ${money(price)}`);
    if (!(await d.guard.isLiquidationAllowed(weth))) paused++;
    if (!(await d.guard.isBorrowAllowed(weth))) borrowPaused++;
  }
  say(
    `\nHonest crash: liquidations stopped in ${paused} of ${steps} evaluations, borrows paused in ${borrowPaused}. ` +
      "An honest crash keeps liquidating; mere stress only stops new borrows.",
  );

  await aaveDemo(await network.create());
  await attackDemo();
}

/** One attack on a fork of the replica chain (a real Aave market, Uniswap pool, feeds behind proxies), run without
 * and with the guard by the same engine as `make simulate`, and the report it writes. */
async function attackDemo(): Promise<void> {
  say("\n10. An attack on a fork, both ways: the feed Aave prices WETH from glitches 35% high for an hour (Compound");
  say("    DAI 2020); the attacker deposits 1,000 WETH bought at the market and borrows against the inflated price.");
  const report = await simulate({
    scenarios: ["feed-glitch"],
    log: (line) => {
      say(`    ${line}`);
    },
  });
  const s = report.scenarios[0];
  const [a, b] = [s?.withoutGuard, s?.withGuard];
  if (s === undefined || a === undefined || b === undefined) throw new Error("the feed-glitch scenario did not run");
  say(`    Without the guard: attacker profit $${money(a.attackerProfitUsd)}, protocol bad debt $${money(a.badDebtUsd)}.`);
  say(
    `    With the guard:    attacker profit $${money(b.attackerProfitUsd)} (gas), bad debt $${money(b.badDebtUsd)}; ` +
      `its borrow was refused (${String(b.borrowsBlocked)}), liquidations paused ${String(Math.round(b.liquidationPausedSeconds / 60))} min.`,
  );
  const out = await writeReport(report, path.join(process.cwd(), "reports", "demo"));
  say(`    Report: ${path.relative(process.cwd(), out.html)} (all ten scenarios: make simulate -> reports/simulation.html).`);
}

/** The Tripwire sentinel in a real Aave V3 market (3.0.2 bytecode): refused during a trip, allowed after. */
async function aaveDemo(conn: Connection): Promise<void> {
  const { networkHelpers } = conn;
  say("\n9. Aave V3 (real 3.0.2 bytecode) with Tripwire as its price oracle sentinel, watching WETH and USDC.");
  const w = await deployLendingWorld(conn);
  const [, borrower, liquidator] = w.signers;
  if (borrower === undefined || liquidator === undefined) throw new Error("demo: too few accounts");
  await openAavePosition(w, borrower, 10, 15_000);
  await fundLiquidator(w, liquidator, w.aave.poolAddress, 5_000);
  const hf = async (): Promise<string> => money(fromWad((await w.aave.pool.getUserAccountData(borrower.address))[5]));
  const tryLiquidation = async (): Promise<string> => {
    try {
      const tx = await w.aave.pool
        .connect(liquidator)
        .liquidationCall(w.wethAddress, w.usdcAddress, borrower.address, toUnits(5_000, 6), false);
      await tx.wait();
      return "EXECUTED";
    } catch (error) {
      if (aaveErrorCode(error) === AAVE_ERRORS.PRICE_ORACLE_SENTINEL_CHECK_FAILED) {
        return `REFUSED by the Pool with Aave's error ${AAVE_ERRORS.PRICE_ORACLE_SENTINEL_CHECK_FAILED} (sentinel check failed)`;
      }
      throw error;
    }
  };
  say(`   A borrower: 10 WETH collateral, 15,000 USDC debt; health factor ${await hf()}.`);

  await setPrices(w, "weth", 2000, { primary: 1780 });
  await pokeAll(w);
  const [, status] = await w.d.guard.liquidationStatus(w.wethAddress);
  say(`   The feed AaveOracle reads glitches to 1,780 while the other sources hold 2,000: health factor ${await hf()}.`);
  say(`   Guard: WETH ${STATUS[Number(status)]}; sentinel says liquidations ${(await w.sentinel.isLiquidationAllowed()) ? "allowed" : "not allowed"}.`);
  say(`   liquidationCall: ${await tryLiquidation()}`);

  await setPrices(w, "weth", 2000);
  await recover(w, networkHelpers);
  const [until] = await w.sentinel.pausedUntil();
  await networkHelpers.time.increaseTo(until);
  say("   The feed is fixed; the guard recovers (minimum pause, three spaced healthy evaluations, 15-minute grace).");
  await setPrices(w, "weth", 1780);
  await setPrices(w, "usdc", 1);
  await pokeAll(w);
  say(`   Now WETH really falls to 1,780 on every source: health factor ${await hf()}; nothing contradicts the feed.`);
  say(`   liquidationCall: ${await tryLiquidation()}; health factor after: ${await hf()}.`);
}

async function recover(w: LendingWorld, networkHelpers: Connection["networkHelpers"]): Promise<void> {
  const cfg = await w.d.guard.marketConfig(w.wethAddress);
  await networkHelpers.time.increase(cfg.minPause);
  for (let i = 0; i <= Number(cfg.recoveryStreak); i++) {
    await setPrices(w, "weth", 2000);
    await pokeAll(w);
    await networkHelpers.time.increase(cfg.recoverySpacing);
  }
}

await main();
