// A lending world for tests, the bench and the demo: WETH and USDC, three independent feeds for each (the
// Chainlink-style feed AaveOracle prices from, a second Chainlink-style feed, Pyth), the guard watching both with
// the Aave feed as primary, a real Aave V3 market, Tripwire's Aave sentinel, and the example lending market.
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/types";

import type {
  ExampleLendingMarket,
  MockAggregator,
  MockERC20,
  TripwireAaveSentinel,
} from "../../types/ethers-contracts/index.js";
import { type AaveMarket, deployAaveMarket } from "./aave.js";
import {
  type ChainlinkFeed,
  type Connection,
  defaultMarketConfig,
  deployChainlink,
  deployGuard,
  deployPyth,
  type GuardDeployment,
  governGuard,
  publishPyth,
  type PythFeed,
  setMarket,
  toUnits,
} from "./fixtures.js";

export interface AssetFeeds {
  /** The feed AaveOracle uses, and the guard's primary source. */
  primary: ChainlinkFeed;
  /** An independent Chainlink-style feed (another provider). */
  alt: ChainlinkFeed;
  pyth: PythFeed;
}

export interface LendingWorld {
  conn: Connection;
  d: GuardDeployment;
  weth: MockERC20;
  usdc: MockERC20;
  wethAddress: string;
  usdcAddress: string;
  feeds: { weth: AssetFeeds; usdc: AssetFeeds };
  uptime: MockAggregator;
  aave: AaveMarket;
  sentinel: TripwireAaveSentinel;
  signers: HardhatEthersSigner[];
}

/** Aave's collateral parameters for WETH, in bps (as on mainnet Aave V3 before e-mode). */
export const WETH_AAVE = { ltv: 8000, liquidationThreshold: 8250, liquidationBonus: 10500 };
export const SEQUENCER_GRACE = 3600;

async function deployFeeds(conn: Connection, symbol: string, price: number): Promise<AssetFeeds> {
  return {
    primary: await deployChainlink(conn, price, `Chainlink ${symbol}/USD`),
    alt: await deployChainlink(conn, price, `RedStone ${symbol}/USD`),
    pyth: await deployPyth(conn, `Pyth ${symbol}/USD`),
  };
}

/** Sets every feed of an asset; `primary` overrides the primary alone (a corrupted or glitching feed). */
export async function setPrices(
  w: LendingWorld,
  asset: "weth" | "usdc",
  price: number,
  opts: { primary?: number } = {},
): Promise<void> {
  const f = w.feeds[asset];
  await (await f.primary.feed.setAnswer(toUnits(opts.primary ?? price, 8))).wait();
  await (await f.alt.feed.setAnswer(toUnits(price, 8))).wait();
  await publishPyth(w.conn, f.pyth, price);
}

/** Refreshes every feed at its current answer and pokes both markets. */
export async function pokeAll(w: LendingWorld): Promise<void> {
  await (await w.d.guard.pokeMany([w.wethAddress, w.usdcAddress])).wait();
}

/** The whole world, with the Aave market using the Tripwire sentinel when `withSentinel`. */
export async function deployLendingWorld(
  conn: Connection,
  opts: { withSentinel?: boolean; wethPrice?: number } = {},
): Promise<LendingWorld> {
  const { ethers, networkHelpers } = conn;
  const signers = await ethers.getSigners();
  const d = await deployGuard(conn);
  const weth = await ethers.deployContract("MockERC20", ["Wrapped Ether", "WETH", 18]);
  const usdc = await ethers.deployContract("MockERC20", ["USD Coin", "USDC", 6]);
  const wethAddress = await weth.getAddress();
  const usdcAddress = await usdc.getAddress();
  const wethPrice = opts.wethPrice ?? 2000;
  const feeds = { weth: await deployFeeds(conn, "ETH", wethPrice), usdc: await deployFeeds(conn, "USDC", 1) };
  for (const [asset, f] of [
    [wethAddress, feeds.weth],
    [usdcAddress, feeds.usdc],
  ] as const) {
    const sources = [await f.primary.source.getAddress(), await f.alt.source.getAddress(), await f.pyth.source.getAddress()];
    await setMarket(conn, d, asset, defaultMarketConfig(sources, 0));
  }

  const aave = await deployAaveMarket(conn, [
    {
      asset: wethAddress,
      decimals: 18,
      feed: await feeds.weth.primary.feed.getAddress(),
      symbol: "WETH",
      collateral: WETH_AAVE,
      borrowable: true,
    },
    { asset: usdcAddress, decimals: 6, feed: await feeds.usdc.primary.feed.getAddress(), symbol: "USDC", borrowable: true },
  ]);

  // An L2 sequencer uptime feed, up for two hours.
  const uptime = await ethers.deployContract("MockAggregator", [0, 0]);
  const now = BigInt((await ethers.provider.getBlock("latest"))?.timestamp ?? 0);
  await (await uptime.setRound(1n, 0n, now - 7200n, now - 7200n, 1n)).wait();

  const sentinel = await ethers.deployContract("TripwireAaveSentinel", [
    await aave.provider.getAddress(),
    await d.guard.getAddress(),
    [wethAddress, usdcAddress],
    await uptime.getAddress(),
    SEQUENCER_GRACE,
  ]);
  await governGuard(conn, d, d.guard.interface.encodeFunctionData("setListeners", [[await sentinel.getAddress()]]));
  await (await sentinel.sync()).wait();
  if (opts.withSentinel ?? true) await (await aave.provider.setPriceOracleSentinel(await sentinel.getAddress())).wait();

  const w: LendingWorld = { conn, d, weth, usdc, wethAddress, usdcAddress, feeds, uptime, aave, sentinel, signers };
  await networkHelpers.time.increase(60);
  await setPrices(w, "weth", wethPrice);
  await setPrices(w, "usdc", 1);
  await pokeAll(w);

  // A lender: 10M USDC in Aave.
  const lender = signers[9];
  if (lender === undefined) throw new Error("the network has fewer than ten accounts");
  await (await usdc.mint(lender.address, toUnits(10_000_000, 6))).wait();
  await (await usdc.connect(lender).approve(aave.poolAddress, ethers.MaxUint256)).wait();
  await (await aave.pool.connect(lender).supply(usdcAddress, toUnits(10_000_000, 6), lender.address, 0)).wait();
  return w;
}

/** Gives `who` WETH collateral in Aave and a USDC debt. */
export async function openAavePosition(
  w: LendingWorld,
  who: HardhatEthersSigner,
  wethAmount: number,
  usdcDebt: number,
): Promise<void> {
  await mintApproved(w, w.weth, who, w.aave.poolAddress, toUnits(wethAmount, 18));
  await (await w.aave.pool.connect(who).supply(w.wethAddress, toUnits(wethAmount, 18), who.address, 0)).wait();
  await (await w.aave.pool.connect(who).borrow(w.usdcAddress, toUnits(usdcDebt, 6), 2n, 0, who.address)).wait();
}

/** Mints `amount` of `token` to `who` and approves `spender` for all of it. */
async function mintApproved(w: LendingWorld, token: MockERC20, who: HardhatEthersSigner, spender: string, amount: bigint): Promise<void> {
  await (await token.mint(who.address, amount)).wait();
  await (await token.connect(who).approve(spender, w.conn.ethers.MaxUint256)).wait();
}

/** Funds a liquidator with USDC approved to `spender`. */
export async function fundLiquidator(w: LendingWorld, who: HardhatEthersSigner, spender: string, usdc: number): Promise<void> {
  await mintApproved(w, w.usdc, who, spender, toUnits(usdc, 6));
}

/**
 * The example lending market on the same guard: WETH collateral priced by the guard's primary adapter (the same
 * feed Aave uses), USDC lent, close factor 50%, and `maxEvaluationAge` for inline pokes (0: none).
 */
export async function deployExampleMarket(
  w: LendingWorld,
  opts: { maxEvaluationAge?: number; guard?: string } = {},
): Promise<ExampleLendingMarket> {
  const { ethers } = w.conn;
  const [owner] = w.signers;
  if (owner === undefined) throw new Error("no accounts");
  const market = await ethers.deployContract("ExampleLendingMarket", [
    w.usdcAddress,
    opts.guard ?? (await w.d.guard.getAddress()),
    opts.maxEvaluationAge ?? 0,
    5000,
    owner.address,
  ]);
  await (
    await market.setCollateral(
      w.wethAddress,
      await w.feeds.weth.primary.source.getAddress(),
      3600,
      WETH_AAVE.ltv,
      WETH_AAVE.liquidationThreshold,
      WETH_AAVE.liquidationBonus - 10_000,
      opts.guard !== ethers.ZeroAddress,
    )
  ).wait();
  const lender = w.signers[9];
  if (lender === undefined) throw new Error("the network has fewer than ten accounts");
  await (await w.usdc.mint(lender.address, toUnits(10_000_000, 6))).wait();
  await (await w.usdc.connect(lender).approve(await market.getAddress(), ethers.MaxUint256)).wait();
  await (await market.connect(lender).supply(toUnits(10_000_000, 6))).wait();
  return market;
}

/** Opens a position in the example market. */
export async function openExamplePosition(
  w: LendingWorld,
  market: ExampleLendingMarket,
  who: HardhatEthersSigner,
  wethAmount: number,
  usdcDebt: number,
): Promise<void> {
  await mintApproved(w, w.weth, who, await market.getAddress(), toUnits(wethAmount, 18));
  await (await market.connect(who).depositCollateral(w.wethAddress, toUnits(wethAmount, 18))).wait();
  await (await market.connect(who).borrow(toUnits(usdcDebt, 6))).wait();
}
