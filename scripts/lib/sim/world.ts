// Installs a simulation on a forked chain, through the techniques an attacker or an auditor uses on a mainnet
// fork: impersonate each feed proxy's owner and confirm an aggregator the simulation drives, make Pyth driveable,
// govern the guard by impersonating its timelock, and install (or remove) the Tripwire sentinel in Aave by
// impersonating the addresses provider's owner. The same code runs on the replica and on a real chain's fork.
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/types";
import { AbiCoder, type BaseContract, type BaseContractMethod, type ContractRunner, type ContractTransactionResponse, dataSlice, getAddress, id, type TransactionResponse } from "ethers";

import type {
  MockERC20,
  ReplicaAggregator,
  ScenarioDriver,
  SimulationLens,
  TripwireAaveSentinel,
  TripwireGuard,
  UniswapV3Actor,
} from "../../../types/ethers-contracts/index.js";
import type { RulesLib } from "../../../types/ethers-contracts/contracts/TripwireGuard.js";
import { aaveArtifact, type AavePool } from "../aave.js";
import { type Connection, GOVERNANCE_DELAY, toUnits, uniswapArtifact, type UniswapV3PoolContract } from "../fixtures.js";
import { type MarketFileInput, marketFileSchema, type SOURCE_KINDS, toMarketConfig } from "../market-file.js";
import type { AddressBook } from "./book.js";
import { REPLICA_MARKET } from "./replica.js";

type SourceKind = (typeof SOURCE_KINDS)[number];

type Tx = Promise<ContractTransactionResponse>;
export type Asset = "WETH" | "USDC";
export const ASSETS: readonly Asset[] = ["WETH", "USDC"];

/** The Aave V3 functions the simulations use beyond the pool's in aave.ts. */
export interface SimAavePool extends AavePool {
  connect(runner: ContractRunner | null): SimAavePool;
  withdraw(asset: string, amount: bigint, to: string): Tx;
  repay(asset: string, amount: bigint, rateMode: bigint, onBehalfOf: string): Tx;
  /** Callable as a static call too, to learn whether Aave would refuse it. */
  borrow: BaseContractMethod<[string, bigint, bigint, number, string], void, ContractTransactionResponse>;
  liquidationCall: BaseContractMethod<[string, string, string, bigint, boolean], void, ContractTransactionResponse>;
}
interface AaveProvider extends BaseContract {
  connect(runner: ContractRunner | null): AaveProvider;
  owner(): Promise<string>;
  getPool(): Promise<string>;
  getPriceOracle(): Promise<string>;
  getACLManager(): Promise<string>;
  getACLAdmin(): Promise<string>;
  setPriceOracleSentinel(sentinel: string): Tx;
}
interface AaveOracle extends BaseContract {
  connect(runner: ContractRunner | null): AaveOracle;
  getSourceOfAsset(asset: string): Promise<string>;
  setAssetSources(assets: string[], sources: string[]): Tx;
}
interface AclManager extends BaseContract {
  connect(runner: ContractRunner | null): AclManager;
  addPoolAdmin(admin: string): Tx;
}
interface FeedProxy extends BaseContract {
  connect(runner: ContractRunner | null): FeedProxy;
  owner(): Promise<string>;
  decimals(): Promise<bigint>;
  latestRoundData(): Promise<[bigint, bigint, bigint, bigint, bigint]>;
  proposeAggregator(aggregator: string): Tx;
  confirmAggregator(aggregator: string): Tx;
}

const FEED_PROXY_ABI = [
  "function owner() view returns (address)",
  "function decimals() view returns (uint8)",
  "function latestRoundData() view returns (uint80, int256, uint256, uint256, uint80)",
  "function proposeAggregator(address)",
  "function confirmAggregator(address)",
];
const ORACLE_ABI = ["function getSourceOfAsset(address) view returns (address)", "function setAssetSources(address[], address[])"];
const PROVIDER_ABI = [
  "function owner() view returns (address)",
  "function getPool() view returns (address)",
  "function getPriceOracle() view returns (address)",
  "function getACLManager() view returns (address)",
  "function getACLAdmin() view returns (address)",
  "function setPriceOracleSentinel(address)",
];
const ERC20_ABI = [
  "function balanceOf(address) view returns (uint256)",
  "function transfer(address, uint256) returns (bool)",
  "function approve(address, uint256) returns (bool)",
  "function decimals() view returns (uint8)",
  "function mint(address, uint256)",
  "function deposit() payable",
];

/** A Chainlink-style feed taken over by the simulation. */
export interface DrivenFeed {
  proxy: string;
  aggregator: ReplicaAggregator;
  decimals: number;
}

/** How a scenario wants the markets set up. */
export interface InstallOptions {
  /** Market file fields applied to both markets (thresholds a user wants to try). */
  market?: Partial<MarketFileInput>;
  /** The WETH primary feed's min answer in USD (a Chainlink aggregator's floor); default: the feed's own bounds. */
  wethPrimaryMinAnswer?: number;
  /** Price WETH in Aave from a TWAP of the WETH/USDC pool over this many seconds (the Inverse set-up). */
  aaveWethFromTwap?: number;
  /** The sentinel's and the guard's sequencer grace, in seconds. */
  sequencerGrace?: number;
}

export interface SimWorld {
  conn: Connection;
  book: AddressBook;
  operator: HardhatEthersSigner;
  liquidator: HardhatEthersSigner;
  attacker: HardhatEthersSigner;
  tokens: Record<Asset, MockERC20>;
  addresses: Record<Asset, string>;
  decimals: Record<Asset, number>;
  aave: { pool: SimAavePool; poolAddress: string; oracle: string; provider: AaveProvider };
  uni: { pool: UniswapV3PoolContract; address: string; wethIsToken0: boolean } | null;
  driver: ScenarioDriver;
  arbActor: UniswapV3Actor;
  feeds: { WETH: { primary: DrivenFeed; alt: DrivenFeed | null }; USDC: { primary: DrivenFeed; alt: DrivenFeed | null } };
  uptime: DrivenFeed | null;
  pyth: string;
  guard: TripwireGuard;
  sentinel: TripwireAaveSentinel;
  lens: SimulationLens;
  /** Each market's source names, in configuration order. */
  sourceNames: Record<Asset, string[]>;
  borrowers: string[];
  sequencerGrace: number;
}

/** Impersonates `address` with ether for gas. */
export async function impersonate(conn: Connection, address: string): Promise<HardhatEthersSigner> {
  await conn.networkHelpers.impersonateAccount(address);
  await conn.networkHelpers.setBalance(address, 10n ** 21n);
  return conn.ethers.getImpersonatedSigner(address);
}

async function sent(tx: Promise<TransactionResponse>, what: string): Promise<void> {
  const receipt = await (await tx).wait();
  if (receipt?.status !== 1) throw new Error(`${what} failed`);
}

/** Gives `to` `amount` of a book token, the way the book says the token is obtained. */
export async function fund(w: Pick<SimWorld, "conn" | "book">, asset: Asset, to: string, amount: bigint): Promise<void> {
  const spec = w.book.tokens[asset];
  const { ethers } = w.conn;
  const token = new ethers.Contract(spec.address, ERC20_ABI, (await ethers.getSigners())[0]) as unknown as MockERC20;
  if (spec.funding.kind === "mint") {
    await sent(token.mint(to, amount), `minting ${asset}`);
  } else if (spec.funding.kind === "weth") {
    const who = await impersonate(w.conn, to);
    await w.conn.networkHelpers.setBalance(to, amount + 10n ** 21n);
    const weth = new ethers.Contract(spec.address, ["function deposit() payable"], who);
    const deposit = weth.getFunction("deposit") as BaseContractMethod<[], void, ContractTransactionResponse>;
    await sent(deposit({ value: amount }), "depositing ether in WETH");
  } else {
    const whale = await impersonate(w.conn, spec.funding.holder);
    const balance = await token.balanceOf(whale.address);
    if (balance < amount) {
      throw new Error(
        `the ${asset} holder ${spec.funding.holder} in the ${w.book.chain} book has ${String(balance)} units, the scenario needs ${String(amount)}: ` +
          "name a bigger holder in the book or reduce the scenario's sizes",
      );
    }
    await sent(token.connect(whale).transfer(to, amount), `transferring ${asset} from the holder`);
  }
}

/** Pyth as the simulations drive it: MockPyth's code at the book's address (planted there when the chain's Pyth is
 * the real one, which only accepts Wormhole-signed updates). */
async function driveablePyth(conn: Connection, address: string): Promise<void> {
  const { ethers } = conn;
  const mock = await ethers.deployContract("MockPyth", [60, 0]);
  const mockCode = await ethers.provider.getCode(await mock.getAddress());
  if ((await ethers.provider.getCode(address)) === mockCode) return;
  await conn.networkHelpers.setCode(address, mockCode);
  // MockPyth's storage: the feeds mapping (slot 0), the update fee (1) and the valid time period (2).
  for (const slot of [1n, 2n]) {
    await conn.networkHelpers.setStorageAt(address, slot, await ethers.provider.getStorage(await mock.getAddress(), slot));
  }
}

/** Takes over a feed proxy: a ReplicaAggregator driven by `driver`, confirmed by the impersonated owner. */
async function takeOverFeed(
  conn: Connection,
  proxyAddress: string,
  driver: string,
  bounds: { min: bigint; max: bigint },
  description: string,
): Promise<DrivenFeed> {
  const { ethers } = conn;
  const proxy = new ethers.Contract(proxyAddress, FEED_PROXY_ABI, ethers.provider) as unknown as FeedProxy;
  const decimals = Number(await proxy.decimals());
  const aggregator = await ethers.deployContract("ReplicaAggregator", [decimals, bounds.min, bounds.max, driver, description]);
  const owner = await impersonate(conn, await proxy.owner());
  await sent(proxy.connect(owner).proposeAggregator(await aggregator.getAddress()), `proposing an aggregator on ${proxyAddress}`);
  await sent(proxy.connect(owner).confirmAggregator(await aggregator.getAddress()), `confirming an aggregator on ${proxyAddress}`);
  return { proxy: proxyAddress, aggregator, decimals };
}

/** Calls the guard as its governance (the timelock, impersonated: the delay is the timelock's business). */
async function govern(conn: Connection, guard: TripwireGuard, data: string): Promise<void> {
  const timelock = await impersonate(conn, await guard.governance());
  await sent(timelock.sendTransaction({ to: await guard.getAddress(), data }), "a governance call on the guard");
}

const MAX_ANSWER_USD = 1_000_000_000;
/** Chainlink's heartbeat on the ETH/USD and USDC/USD feeds, plus five minutes of slack: a feed older is stale. */
const CHAINLINK_MAX_AGE = 3600 + 300;
/** Pyth prices are pushed with each use; two minutes without one is stale. */
const PYTH_MAX_AGE = 120;
const TWAP_WINDOW = 1800;

/** Everything a scenario needs, installed on the fork; Aave keeps no sentinel until `setGuarded`. */
export async function installWorld(conn: Connection, book: AddressBook, opts: InstallOptions = {}): Promise<SimWorld> {
  const { ethers } = conn;
  const signers = await ethers.getSigners();
  const [operator, liquidator, attacker] = [signers[5], signers[6], signers[7]];
  if (operator === undefined || liquidator === undefined || attacker === undefined) throw new Error("the fork has fewer than eight accounts");
  const addresses = { WETH: getAddress(book.tokens.WETH.address), USDC: getAddress(book.tokens.USDC.address) };
  const tokens = {
    WETH: new ethers.Contract(addresses.WETH, ERC20_ABI, operator) as unknown as MockERC20,
    USDC: new ethers.Contract(addresses.USDC, ERC20_ABI, operator) as unknown as MockERC20,
  };
  const decimals = { WETH: book.tokens.WETH.decimals, USDC: book.tokens.USDC.decimals };
  const provider = new ethers.Contract(book.aave.addressesProvider, PROVIDER_ABI, ethers.provider) as unknown as AaveProvider;
  const poolAddress = await provider.getPool();
  const pool = new ethers.Contract(poolAddress, aaveArtifact("Pool").abi, operator) as unknown as SimAavePool;
  const oracleAddress = await provider.getPriceOracle();

  const driver = await ethers.deployContract("ScenarioDriver", [], operator);
  const driverAddress = await driver.getAddress();
  const arbActor = await ethers.deployContract("UniswapV3Actor", [], operator);
  const w0 = { conn, book };

  let uni: SimWorld["uni"] = null;
  if (book.uniswap !== null) {
    const p = new ethers.Contract(book.uniswap.wethUsdcPool, uniswapArtifact("UniswapV3Pool").abi, operator) as unknown as UniswapV3PoolContract;
    uni = { pool: p, address: book.uniswap.wethUsdcPool, wethIsToken0: getAddress(await p.token0()) === addresses.WETH };
    // The arbitrageur's inventory: enough to move the pool anywhere a scenario goes.
    await fund(w0, "WETH", await arbActor.getAddress(), toUnits(200_000, decimals.WETH));
    await fund(w0, "USDC", await arbActor.getAddress(), toUnits(500_000_000, decimals.USDC));
  }

  const usd = (v: number, d: number): bigint => toUnits(v, d);
  const feeds = {
    WETH: {
      primary: await takeOverFeed(conn, book.chainlink.WETH.primary, driverAddress,
        { min: usd(opts.wethPrimaryMinAnswer ?? 0.01, 8), max: usd(MAX_ANSWER_USD, 8) }, "ETH / USD"),
      alt: book.chainlink.WETH.alt === null ? null
        : await takeOverFeed(conn, book.chainlink.WETH.alt, driverAddress, { min: usd(0.01, 8), max: usd(MAX_ANSWER_USD, 8) }, "ETH / USD (alt)"),
    },
    USDC: {
      primary: await takeOverFeed(conn, book.chainlink.USDC.primary, driverAddress, { min: usd(0.01, 8), max: usd(1000, 8) }, "USDC / USD"),
      alt: book.chainlink.USDC.alt === null ? null
        : await takeOverFeed(conn, book.chainlink.USDC.alt, driverAddress, { min: usd(0.01, 8), max: usd(1000, 8) }, "USDC / USD (alt)"),
    },
  };
  const uptime = book.sequencerUptimeFeed === null ? null
    : await takeOverFeed(conn, book.sequencerUptimeFeed, driverAddress, { min: 0n, max: 1n }, "L2 Sequencer Uptime Status Feed");
  await driveablePyth(conn, book.pyth.address);

  // The guard: the book's, or a fresh one (its timelock impersonated alike).
  let guard: TripwireGuard;
  if (book.tripwire !== null) {
    guard = (await ethers.getContractAt("TripwireGuard", book.tripwire.guard)).connect(operator);
  } else {
    const timelock = await ethers.deployContract("TimelockController", [GOVERNANCE_DELAY, [operator.address], [operator.address], ethers.ZeroAddress], operator);
    guard = await ethers.deployContract("TripwireGuard", [await timelock.getAddress(), operator.address, ethers.ZeroAddress, 0], operator);
  }

  // Aave prices WETH from a short TWAP (Inverse's market), through a Chainlink face, when the scenario says so.
  if (opts.aaveWethFromTwap !== undefined) {
    if (uni === null) throw new Error(`the ${book.chain} book lists no WETH/USDC pool: the TWAP-priced market cannot be built`);
    const twap = await ethers.deployContract("UniswapV3TwapSource", [uni.address, addresses.WETH, opts.aaveWethFromTwap, `Uniswap WETH/USDC ${String(opts.aaveWethFromTwap)}s TWAP`], operator);
    const feed = await ethers.deployContract("SourceFeed", [await twap.getAddress()], operator);
    const acl = new ethers.Contract(await provider.getACLManager(), ["function addPoolAdmin(address)"], ethers.provider) as unknown as AclManager;
    await sent(acl.connect(await impersonate(conn, await provider.getACLAdmin())).addPoolAdmin(operator.address), "granting pool admin");
    const oracle = new ethers.Contract(oracleAddress, ORACLE_ABI, operator) as unknown as AaveOracle;
    await sent(oracle.setAssetSources([addresses.WETH], [await feed.getAddress()]), "pointing AaveOracle at the TWAP");
  }
  const oracle = new ethers.Contract(oracleAddress, ORACLE_ABI, ethers.provider) as unknown as AaveOracle;

  // Sources per market, in order: the primary (what Aave prices from), the alternative provider, Pyth, the TWAP.
  const sourceNames: Record<Asset, string[]> = { WETH: [], USDC: [] };
  const configs: Partial<Record<Asset, RulesLib.MarketConfigStruct>> = {};
  for (const asset of ASSETS) {
    const aaveFeed = await oracle.getSourceOfAsset(addresses[asset]);
    const entries: { name: string; kind: SourceKind; maxAge: number; address: string }[] = [];
    const primaryBounds = asset === "WETH" && aaveFeed === feeds.WETH.primary.proxy ? await feeds.WETH.primary.aggregator.minAnswer() : 0n;
    const primaryMax = primaryBounds === 0n ? 0n : await feeds.WETH.primary.aggregator.maxAnswer();
    const primary = await ethers.deployContract("ChainlinkSource", [aaveFeed, primaryBounds, primaryMax, `${asset} primary`], operator);
    entries.push({ name: "primary", kind: aaveFeed === feeds[asset].primary.proxy ? "chainlink" : "other", maxAge: CHAINLINK_MAX_AGE, address: await primary.getAddress() });
    const alt = feeds[asset].alt;
    if (alt !== null) {
      const s = await ethers.deployContract("ChainlinkSource", [alt.proxy, 0, 0, `${asset} alt`], operator);
      entries.push({ name: "alt", kind: "chainlink", maxAge: CHAINLINK_MAX_AGE, address: await s.getAddress() });
    }
    if (aaveFeed !== feeds[asset].primary.proxy) {
      const s = await ethers.deployContract("ChainlinkSource", [feeds[asset].primary.proxy, 0, 0, `${asset} Chainlink`], operator);
      entries.push({ name: "chainlink", kind: "chainlink", maxAge: CHAINLINK_MAX_AGE, address: await s.getAddress() });
    }
    const py = await ethers.deployContract("PythSource", [book.pyth.address, book.pyth.ids[asset], 200, `Pyth ${asset}`], operator);
    entries.push({ name: "pyth", kind: "pyth", maxAge: PYTH_MAX_AGE, address: await py.getAddress() });
    if (asset === "WETH" && uni !== null) {
      const tw = await ethers.deployContract("UniswapV3TwapSource", [uni.address, addresses.WETH, TWAP_WINDOW, "Uniswap WETH/USDC 30m TWAP"], operator);
      entries.push({ name: "twap", kind: "twap", maxAge: TWAP_WINDOW, address: await tw.getAddress() });
    }
    sourceNames[asset] = entries.map((e) => e.name);
    const file = marketFileSchema.parse({
      ...opts.market,
      name: `${asset}/USD`,
      sources: entries.map(({ name, kind, maxAge }) => ({ name, kind, maxAge })),
      primary: "primary",
    });
    configs[asset] = toMarketConfig(file, entries.map((e) => e.address));
  }
  for (const asset of ASSETS) {
    const config = configs[asset];
    if (config === undefined) continue;
    await govern(conn, guard, guard.interface.encodeFunctionData("setMarket", [addresses[asset], config]));
  }
  const grace = opts.sequencerGrace ?? 3600;
  if (uptime !== null) await govern(conn, guard, guard.interface.encodeFunctionData("setSequencer", [uptime.proxy, grace]));

  const sentinel = await ethers.deployContract(
    "TripwireAaveSentinel",
    [book.aave.addressesProvider, await guard.getAddress(), [addresses.WETH, addresses.USDC], uptime?.proxy ?? ethers.ZeroAddress, uptime === null ? 0 : grace],
    operator,
  );
  await govern(conn, guard, guard.interface.encodeFunctionData("setListeners", [[await sentinel.getAddress()]]));
  const lens = await ethers.deployContract("SimulationLens", [], operator);

  return {
    conn,
    book,
    operator,
    liquidator,
    attacker,
    tokens,
    addresses,
    decimals,
    aave: { pool, poolAddress, oracle: oracleAddress, provider },
    uni,
    driver,
    arbActor,
    feeds,
    uptime,
    pyth: book.pyth.address,
    guard,
    sentinel,
    lens,
    sourceNames,
    borrowers: book.borrowers.map((b) => getAddress(b)),
    sequencerGrace: uptime === null ? 0 : grace,
  };
}

/** Opens positions (WETH collateral, USDC debt) at the replica's spread of health factors and collateral, at Aave's
 * current prices, when the book lists no borrowers (a real chain's fork), so that every scenario finds the same kind
 * of book; returns the borrowers either way. */
export async function ensureBorrowers(w: SimWorld): Promise<string[]> {
  if (w.borrowers.length > 0) return w.borrowers;
  const collateral = toUnits(REPLICA_MARKET.borrowerWeth, w.decimals.WETH);
  const opened: string[] = [];
  for (const [i, hf] of REPLICA_MARKET.healthFactors.entries()) {
    // Fresh addresses of our own (impersonated), so that no account with a position of its own is reused.
    const who = await impersonate(w.conn, getAddress(dataSlice(id(`tripwire.simulation.borrower.${String(i)}`), 12)));
    await fund(w, "WETH", who.address, collateral);
    await sent(w.tokens.WETH.connect(who).approve(w.aave.poolAddress, collateral), "approving WETH");
    const pool = w.aave.pool.connect(who);
    await sent(pool.supply(w.addresses.WETH, collateral, who.address, 0), "supplying WETH");
    // Debt for the wanted health factor: HF = collateral x liquidation threshold / debt, all in Aave's base currency.
    const [collateralBase, , , liquidationThreshold] = await w.aave.pool.getUserAccountData(who.address);
    const usdcPrice = await priceOf(w, w.addresses.USDC);
    const debtBase = (collateralBase * liquidationThreshold * 100n) / (10_000n * BigInt(Math.round(hf * 100)));
    const debt = (debtBase * 10n ** BigInt(w.decimals.USDC)) / usdcPrice;
    await sent(pool.borrow(w.addresses.USDC, debt, 2n, 0, who.address), `borrowing at health factor ${String(hf)}`);
    opened.push(who.address);
  }
  w.borrowers = opened;
  return opened;
}

/** AaveOracle's price of `asset`, in Aave's base currency (USD, 8 decimals). */
export async function priceOf(w: Pick<SimWorld, "conn" | "aave">, asset: string): Promise<bigint> {
  const oracle = new w.conn.ethers.Contract(w.aave.oracle, ["function getAssetPrice(address) view returns (uint256)"], w.conn.ethers.provider);
  return (await oracle.getFunction("getAssetPrice").staticCall(asset)) as bigint;
}

/** Installs the Tripwire sentinel in Aave (guarded) or removes any sentinel (the baseline). */
export async function setGuarded(w: SimWorld, guarded: boolean): Promise<void> {
  const owner = await impersonate(w.conn, await w.aave.provider.owner());
  if (guarded) await sent(w.sentinel.connect(w.operator).sync(), "syncing the sentinel");
  const target = guarded ? await w.sentinel.getAddress() : w.conn.ethers.ZeroAddress;
  await sent(w.aave.provider.connect(owner).setPriceOracleSentinel(target), "setting Aave's price oracle sentinel");
}

/** MockPyth's update encoding: abi.encode(PriceFeed, prevPublishTime). */
export function pythUpdate(id: string, price: number, confPct: number, publishTime: number): string {
  const p = toUnits(price, 8);
  const conf = (p * BigInt(Math.round(confPct * 1e4))) / 1_000_000n;
  const t = BigInt(publishTime);
  return AbiCoder.defaultAbiCoder().encode(
    ["tuple(bytes32, tuple(int64, uint64, int32, uint256), tuple(int64, uint64, int32, uint256))", "uint64"],
    [[id, [p, conf, -8, t], [p, conf, -8, t]], t - 1n],
  );
}
