// Deployment building blocks shared by the demo, the bench and the integration tests: the guard behind a real
// timelock, Chainlink-style and Pyth feeds with their adapters, and real Uniswap V3 pools from the v3-core artifacts.
import { createRequire } from "node:module";

import type { HardhatEthers, HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/types";
import type { NetworkHelpers } from "@nomicfoundation/hardhat-network-helpers/types";
import { ContractFactory, type BaseContract, type ContractTransactionResponse, type InterfaceAbi } from "ethers";

import type { RulesLib } from "../../types/ethers-contracts/contracts/TripwireGuard.js";
import { marketFileSchema, REASON_NAMES, reasonNamesOf, toMarketConfig } from "./market-file.js";
import type {
  ChainlinkSource,
  MockAggregator,
  MockERC20,
  PythSource,
  TimelockController,
  TripwireGuard,
  UniswapV3Actor,
  UniswapV3TwapSource,
} from "../../types/ethers-contracts/index.js";

const require = createRequire(import.meta.url);

export const WAD = 10n ** 18n;
export const GOVERNANCE_DELAY = 3600n;
export const NO_PRIMARY = 255;

/** Reason bits of RulesLib, by name, in bit order. */
export const REASONS = REASON_NAMES;
export { STATUS } from "./status.js";

export function reasonNames(mask: bigint | number): string[] {
  return reasonNamesOf(Number(mask));
}

export interface Connection {
  ethers: HardhatEthers;
  networkHelpers: NetworkHelpers;
}

export interface GuardDeployment {
  deployer: HardhatEthersSigner;
  guardian: HardhatEthersSigner;
  timelock: TimelockController;
  guard: TripwireGuard;
}

/** The timelock (one-hour delay, the deployer proposes and executes) and the guard it governs. */
export async function deployGuard(
  { ethers }: Connection,
  opts: { sequencerFeed?: string; sequencerGrace?: number } = {},
): Promise<GuardDeployment> {
  const [deployer, guardian] = await ethers.getSigners();
  if (deployer === undefined || guardian === undefined) throw new Error("the network has fewer than two accounts");
  const timelock = await ethers.deployContract("TimelockController", [
    GOVERNANCE_DELAY,
    [deployer.address],
    [deployer.address],
    ethers.ZeroAddress,
  ]);
  const guard = await ethers.deployContract("TripwireGuard", [
    await timelock.getAddress(),
    guardian.address,
    opts.sequencerFeed ?? ethers.ZeroAddress,
    opts.sequencerGrace ?? 0,
  ]);
  return { deployer, guardian, timelock, guard };
}

/** Schedules a call on the guard through the timelock, lets the delay pass, and executes it. */
export async function governGuard(conn: Connection, d: GuardDeployment, data: string): Promise<void> {
  const target = await d.guard.getAddress();
  const salt = conn.ethers.id(`${data}:${Date.now()}:${Math.random()}`);
  await (await d.timelock.schedule(target, 0n, data, conn.ethers.ZeroHash, salt, GOVERNANCE_DELAY)).wait();
  await conn.networkHelpers.time.increase(GOVERNANCE_DELAY);
  await (await d.timelock.execute(target, 0n, data, conn.ethers.ZeroHash, salt)).wait();
}

export async function setMarket(
  conn: Connection,
  d: GuardDeployment,
  asset: string,
  config: RulesLib.MarketConfigStruct,
): Promise<void> {
  await governGuard(conn, d, d.guard.interface.encodeFunctionData("setMarket", [asset, config]));
}

/** The recommended defaults of the market file (docs/market-config.md explains each), every source with a one-hour
 * max age, as an on-chain configuration; `overrides` are applied unchecked (tests use them to probe the bounds). */
export function defaultMarketConfig(
  sources: readonly string[],
  primary: number,
  overrides: Partial<RulesLib.MarketConfigStruct> = {},
): RulesLib.MarketConfigStruct {
  const file = marketFileSchema.parse({
    sources: sources.map((_, i) => ({ name: `source${String(i)}`, kind: "other", maxAge: 3600 })),
    primary: primary === NO_PRIMARY ? null : `source${String(primary)}`,
    quorum: Math.min(2, sources.length), // The default quorum, where the sources allow it; `overrides` may change it.
  });
  return { ...toMarketConfig(file, sources), ...overrides };
}

export interface ChainlinkFeed {
  feed: MockAggregator;
  source: ChainlinkSource;
}

/** A Chainlink-style feed (8 decimals) and its adapter. */
export async function deployChainlink({ ethers }: Connection, price: number, name: string): Promise<ChainlinkFeed> {
  const feed = await ethers.deployContract("MockAggregator", [8, toUnits(price, 8)]);
  const source = await ethers.deployContract("ChainlinkSource", [await feed.getAddress(), 0, 0, name]);
  return { feed, source };
}

export interface PythFeed {
  pyth: BaseContract & {
    updatePriceFeeds(updates: string[], overrides?: { value?: bigint }): Promise<{ wait(): Promise<unknown> }>;
    createPriceFeedUpdateData(
      id: string,
      price: bigint,
      conf: bigint,
      expo: number,
      emaPrice: bigint,
      emaConf: bigint,
      publishTime: bigint,
      prevPublishTime: bigint,
    ): Promise<string>;
  };
  id: string;
  source: PythSource;
}

/** Pyth's own mock from the SDK, one feed, and its adapter (confidence limit 2%). */
export async function deployPyth({ ethers }: Connection, name: string): Promise<PythFeed> {
  const mock = await ethers.deployContract("MockPyth", [60, 0]);
  const pyth = mock as unknown as PythFeed["pyth"];
  const id = ethers.id(name);
  const source = await ethers.deployContract("PythSource", [await mock.getAddress(), id, 200, name]);
  return { pyth, id, source };
}

/** Publishes a Pyth price (8-decimal mantissa) stamped with the latest block's time. */
export async function publishPyth(conn: Connection, feed: PythFeed, price: number, confPct = 0.1): Promise<void> {
  const block = await conn.ethers.provider.getBlock("latest");
  const now = BigInt(block?.timestamp ?? 0) + 1n;
  const p = toUnits(price, 8);
  const conf = toUnits((price * confPct) / 100, 8);
  const data = await feed.pyth.createPriceFeedUpdateData(feed.id, p, conf, -8, p, conf, now, now - 1n);
  await (await feed.pyth.updatePriceFeeds([data], { value: 0n })).wait();
}

interface Artifact {
  abi: InterfaceAbi;
  bytecode: string;
}

export function uniswapArtifact(name: "UniswapV3Factory" | "UniswapV3Pool"): Artifact {
  return require(`@uniswap/v3-core/artifacts/contracts/${name}.sol/${name}.json`) as Artifact;
}

/** The v3-core factory functions used here (the artifact ships no TypeChain types). */
interface UniswapFactory extends BaseContract {
  createPool(tokenA: string, tokenB: string, fee: number): Promise<ContractTransactionResponse>;
  getPool(tokenA: string, tokenB: string, fee: number): Promise<string>;
}

/** The v3-core pool functions used here. */
export interface UniswapV3PoolContract extends BaseContract {
  slot0(): Promise<[bigint, bigint, bigint, bigint, bigint, bigint, boolean]>;
  token0(): Promise<string>;
  initialize(sqrtPriceX96: bigint): Promise<ContractTransactionResponse>;
  increaseObservationCardinalityNext(next: number): Promise<ContractTransactionResponse>;
}

export interface UniswapPool {
  factory: string;
  pool: UniswapV3PoolContract;
  poolAddress: string;
  actor: UniswapV3Actor;
  base: MockERC20;
  quote: MockERC20;
  baseIsToken0: boolean;
  source: UniswapV3TwapSource;
}

const FULL_RANGE_TICK = 887_270; // Largest multiple of the 0.05% pool's tick spacing (10) within Uniswap's range.

/**
 * A real Uniswap V3 0.05% pool (v3-core 1.0.1 bytecode) of `base`/`quote` at `price`, with full-range liquidity of
 * `baseLiquidity` base tokens (and the matching quote), observation cardinality raised, and a TWAP adapter.
 * The caller must let `window` seconds pass before the TWAP can be read.
 */
export async function deployUniswapPool(
  { ethers }: Connection,
  opts: {
    price: number;
    baseLiquidity: number;
    window: number;
    baseDecimals?: number;
    quoteDecimals?: number;
    /** Existing tokens (mintable); new WETH and USDC mocks otherwise. */
    tokens?: { base: MockERC20; quote: MockERC20 };
  },
): Promise<UniswapPool> {
  const [deployer] = await ethers.getSigners();
  if (deployer === undefined) throw new Error("the network has no accounts");
  const base = opts.tokens?.base ?? (await ethers.deployContract("MockERC20", ["Wrapped Ether", "WETH", opts.baseDecimals ?? 18]));
  const quote = opts.tokens?.quote ?? (await ethers.deployContract("MockERC20", ["USD Coin", "USDC", opts.quoteDecimals ?? 6]));
  const baseDecimals = Number(await base.decimals());
  const quoteDecimals = Number(await quote.decimals());
  const factoryArtifact = uniswapArtifact("UniswapV3Factory");
  const deployed = await new ContractFactory(factoryArtifact.abi, factoryArtifact.bytecode, deployer).deploy();
  await deployed.waitForDeployment();
  const factory = deployed as unknown as UniswapFactory;
  await (await factory.createPool(await base.getAddress(), await quote.getAddress(), 500)).wait();
  const poolAddress = await factory.getPool(await base.getAddress(), await quote.getAddress(), 500);
  const pool = new ethers.Contract(
    poolAddress,
    uniswapArtifact("UniswapV3Pool").abi,
    deployer,
  ) as unknown as UniswapV3PoolContract;
  const baseIsToken0 = (await pool.token0()).toLowerCase() === (await base.getAddress()).toLowerCase();
  await (await pool.initialize(sqrtPriceX96(opts.price, baseDecimals, quoteDecimals, baseIsToken0))).wait();
  await (await pool.increaseObservationCardinalityNext(64)).wait();

  const actor = await ethers.deployContract("UniswapV3Actor");
  const huge = 10n ** 40n;
  await (await base.mint(await actor.getAddress(), huge)).wait();
  await (await quote.mint(await actor.getAddress(), huge)).wait();
  // Full-range liquidity L = sqrt(x * y) in raw units.
  const x = toUnits(opts.baseLiquidity, baseDecimals);
  const y = toUnits(opts.baseLiquidity * opts.price, quoteDecimals);
  await (await actor.mint(poolAddress, -FULL_RANGE_TICK, FULL_RANGE_TICK, sqrt(x * y))).wait();

  const source = await ethers.deployContract("UniswapV3TwapSource", [
    poolAddress,
    await base.getAddress(),
    opts.window,
    `Uniswap V3 WETH/USDC 0.05% ${opts.window / 60}m`,
  ]);
  return { factory: await factory.getAddress(), pool, poolAddress, actor, base, quote, baseIsToken0, source };
}

/** Swaps in the pool until its spot price is `targetPrice` (quote per base). */
export async function movePoolTo(p: UniswapPool, targetPrice: number): Promise<void> {
  const [current] = await p.pool.slot0();
  const baseDecimals = Number(await p.base.decimals());
  const quoteDecimals = Number(await p.quote.decimals());
  const target = sqrtPriceX96(targetPrice, baseDecimals, quoteDecimals, p.baseIsToken0);
  const zeroForOne = target < current;
  await (await p.actor.swap(p.poolAddress, zeroForOne, 10n ** 38n, target)).wait();
}

/** Spot price (quote per base) of the pool. */
export async function poolSpot(p: UniswapPool): Promise<number> {
  const [sqrtP] = await p.pool.slot0();
  const baseDecimals = Number(await p.base.decimals());
  const quoteDecimals = Number(await p.quote.decimals());
  const raw = (Number(sqrtP) / 2 ** 96) ** 2;
  const perBase = p.baseIsToken0 ? raw : 1 / raw;
  return perBase * 10 ** (baseDecimals - quoteDecimals);
}

/** Q64.96 square root of the pool's raw price for `price` quote per base. */
export function sqrtPriceX96(price: number, baseDecimals: number, quoteDecimals: number, baseIsToken0: boolean): bigint {
  // raw token1/token0 = price * 10^quoteDecimals / 10^baseDecimals when base is token0.
  const scale = 10n ** 18n;
  const priceScaled = BigInt(Math.round(price * 1e6)) * 10n ** 12n; // price * 1e18, six decimals kept
  let num = priceScaled * 10n ** BigInt(quoteDecimals);
  let den = scale * 10n ** BigInt(baseDecimals);
  if (!baseIsToken0) [num, den] = [den, num];
  return sqrt((num << 192n) / den);
}

export function sqrt(value: bigint): bigint {
  if (value < 0n) throw new Error("square root of a negative number");
  if (value < 2n) return value;
  let x = value;
  let y = (x + 1n) / 2n;
  while (y < x) {
    x = y;
    y = (x + value / x) / 2n;
  }
  return x;
}

/** `value` with `decimals` decimals, exact for values given with up to six decimals. */
export function toUnits(value: number, decimals: number): bigint {
  const micro = BigInt(Math.round(value * 1e6));
  return decimals >= 6 ? micro * 10n ** BigInt(decimals - 6) : micro / 10n ** BigInt(6 - decimals);
}

export function fromWad(value: bigint): number {
  return Number(value) / 1e18;
}
