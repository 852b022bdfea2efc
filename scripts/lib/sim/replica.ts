// The replica chain: what the attack simulations fork when no real RPC is given. Built reproducibly on any chain
// (an anvil started by `./tripwire replica build`, or the in-process chain of `make demo`): a real Aave V3 market
// (3.0.2 bytecode), a real Uniswap V3 WETH/USDC 0.05% pool with full-range liquidity, Chainlink-style feeds behind
// proxies with an owner (two providers per asset), Pyth's mock with the real price ids, an L2 sequencer uptime
// feed, the guard behind its timelock with its sources, and borrowers at a spread of health factors.
import { existsSync, mkdirSync, renameSync, writeFileSync } from "node:fs";
import path from "node:path";

import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/types";

import type { MockERC20, ReplicaAggregator, ReplicaFeedProxy } from "../../../types/ethers-contracts/index.js";
import { deployAaveMarket } from "../aave.js";
import { type Anvil, rpc, startAnvil } from "../anvil.js";
import {
  type Connection,
  defaultMarketConfig,
  deployGuard,
  deployUniswapPool,
  setMarket,
  toUnits,
} from "../fixtures.js";
import { type AddressBook, readBook } from "./book.js";

/** The replica's chain id (a chain of its own, declared in hardhat.config.ts's chainDescriptors). */
export const REPLICA_CHAIN_ID = 31_339;
/** Accounts the replica funds: deployer, guardian, feed owner, transmitter, lender, borrowers and spares. */
export const REPLICA_ACCOUNTS = 30;

const ROOT = path.resolve(import.meta.dirname, "..", "..", "..");
export const REPLICA_DIR = path.join(ROOT, "fork", "replica");
export const REPLICA_STATE = path.join(REPLICA_DIR, "state.json");
export const REPLICA_BOOK = path.join(REPLICA_DIR, "book.json");

/** The replica's market, as mainnet had it on an ordinary day. */
export const REPLICA_MARKET = {
  wethPrice: 2000,
  /** Full-range liquidity of the WETH/USDC pool, in WETH (and the matching USDC). */
  poolWeth: 2000,
  /** USDC lent in Aave. */
  lenderUsdc: 20_000_000,
  /** Each borrower's WETH collateral. */
  borrowerWeth: 10,
  /** Health factors of the borrowers at the opening price. */
  healthFactors: [1.05, 1.1, 1.15, 1.2, 1.3, 1.4, 1.5, 1.65, 1.8, 2.0],
  /** Aave's WETH parameters (bps), as on mainnet before e-mode. */
  weth: { ltv: 8000, liquidationThreshold: 8250, liquidationBonus: 10500 },
  /** Chainlink's ETH/USD aggregator bounds on the replica (8 decimals). */
  ethBounds: { min: toUnits(1, 8), max: toUnits(1_000_000, 8) },
} as const;

export const PYTH_IDS = {
  WETH: "0xff61491a931112ddf1bd8147cd1b641375f79f5825126d665480874634fd0ace",
  USDC: "0xeaa020c61cc479712813461ce153894a96a6c00b21ed0cfc2798d1f9a9e9c94a",
} as const;

const TWAP_WINDOW = 1800;
const SECONDS_PER_DAY = 86_400;

interface Feed {
  aggregator: ReplicaAggregator;
  proxy: ReplicaFeedProxy;
}

function signer(signers: HardhatEthersSigner[], i: number, role: string): HardhatEthersSigner {
  const s = signers[i];
  if (s === undefined) throw new Error(`the chain has no account #${String(i)} (${role}); the replica needs ${String(REPLICA_ACCOUNTS)}`);
  return s;
}

/** Builds the replica on `conn` and returns its address book. */
export async function buildReplica(conn: Connection): Promise<AddressBook> {
  const { ethers } = conn;
  const signers = await ethers.getSigners();
  const feedOwner = signer(signers, 2, "feed owner");
  const transmitter = signer(signers, 3, "transmitter");
  const lender = signer(signers, 4, "lender");
  const borrowers = REPLICA_MARKET.healthFactors.map((_, i) => signer(signers, 10 + i, "borrower"));
  const m = REPLICA_MARKET;

  const weth = await ethers.deployContract("MockERC20", ["Wrapped Ether", "WETH", 18]);
  const usdc = await ethers.deployContract("MockERC20", ["USD Coin", "USDC", 6]);
  const wethAddress = await weth.getAddress();
  const usdcAddress = await usdc.getAddress();

  const now = async (): Promise<bigint> => BigInt((await ethers.provider.getBlock("latest"))?.timestamp ?? 0);
  const feed = async (decimals: number, min: bigint, max: bigint, description: string, answer: bigint, startedAt = 0n): Promise<Feed> => {
    const aggregator = await ethers.deployContract("ReplicaAggregator", [decimals, min, max, transmitter.address, description]);
    await (await aggregator.connect(transmitter).transmit(answer, startedAt)).wait();
    const proxy = await ethers.deployContract("ReplicaFeedProxy", [await aggregator.getAddress(), feedOwner.address]);
    return { aggregator, proxy };
  };
  const ethUsd = await feed(8, m.ethBounds.min, m.ethBounds.max, "ETH / USD", toUnits(m.wethPrice, 8));
  const ethUsdAlt = await feed(8, m.ethBounds.min, m.ethBounds.max, "ETH / USD (RedStone)", toUnits(m.wethPrice, 8));
  const usdcUsd = await feed(8, toUnits(0.01, 8), toUnits(1000, 8), "USDC / USD", toUnits(1, 8));
  const usdcUsdAlt = await feed(8, toUnits(0.01, 8), toUnits(1000, 8), "USDC / USD (RedStone)", toUnits(1, 8));
  // Up for a day: 0 is up, 1 is down; startedAt is when the status began.
  const uptime = await feed(0, 0n, 1n, "L2 Sequencer Uptime Status Feed", 0n, (await now()) - BigInt(SECONDS_PER_DAY));

  const pyth = await ethers.deployContract("MockPyth", [60, 0]);
  const pythAddress = await pyth.getAddress();

  const uni = await deployUniswapPool(conn, {
    price: m.wethPrice,
    baseLiquidity: m.poolWeth,
    window: TWAP_WINDOW,
    tokens: { base: weth, quote: usdc },
  });

  const aave = await deployAaveMarket(conn, [
    { asset: wethAddress, decimals: 18, feed: await ethUsd.proxy.getAddress(), symbol: "WETH", collateral: m.weth, borrowable: true },
    { asset: usdcAddress, decimals: 6, feed: await usdcUsd.proxy.getAddress(), symbol: "USDC", borrowable: true },
  ]);

  // The guard, its sources and markets, watching the sequencer.
  const d = await deployGuard(conn, { sequencerFeed: await uptime.proxy.getAddress(), sequencerGrace: 3600 });
  const publish = async (): Promise<void> => {
    const t = (await now()) + 1n;
    const updates = await Promise.all(
      ([["WETH", m.wethPrice], ["USDC", 1]] as const).map(([sym, price]) => {
        const p = toUnits(price, 8);
        const conf = p / 1000n;
        return pyth.createPriceFeedUpdateData(PYTH_IDS[sym], p, conf, -8, p, conf, t, t - 1n);
      }),
    );
    await (await pyth.updatePriceFeeds(updates)).wait();
  };
  const sourcesOf = async (sym: "WETH" | "USDC", primary: Feed, alt: Feed): Promise<string[]> => {
    const cl = await ethers.deployContract("ChainlinkSource", [await primary.proxy.getAddress(), 0, 0, `Chainlink ${sym}/USD`]);
    const rs = await ethers.deployContract("ChainlinkSource", [await alt.proxy.getAddress(), 0, 0, `RedStone ${sym}/USD`]);
    const py = await ethers.deployContract("PythSource", [pythAddress, PYTH_IDS[sym], 200, `Pyth ${sym}/USD`]);
    return [await cl.getAddress(), await rs.getAddress(), await py.getAddress()];
  };
  const wethSources = [...(await sourcesOf("WETH", ethUsd, ethUsdAlt)), await uni.source.getAddress()];
  await setMarket(conn, d, wethAddress, defaultMarketConfig(wethSources, 0));
  await setMarket(conn, d, usdcAddress, defaultMarketConfig(await sourcesOf("USDC", usdcUsd, usdcUsdAlt), 0));

  // Fresh reports after the governance delays, then the positions.
  for (const f of [ethUsd, ethUsdAlt]) await (await f.aggregator.connect(transmitter).transmit(toUnits(m.wethPrice, 8), 0n)).wait();
  for (const f of [usdcUsd, usdcUsdAlt]) await (await f.aggregator.connect(transmitter).transmit(toUnits(1, 8), 0n)).wait();
  await publish();
  await (await d.guard.pokeMany([wethAddress, usdcAddress])).wait();

  await (await usdc.mint(lender.address, toUnits(m.lenderUsdc, 6))).wait();
  await (await usdc.connect(lender).approve(aave.poolAddress, ethers.MaxUint256)).wait();
  await (await aave.pool.connect(lender).supply(usdcAddress, toUnits(m.lenderUsdc, 6), lender.address, 0)).wait();
  for (const [i, who] of borrowers.entries()) {
    const hf = m.healthFactors[i] ?? 2;
    const collateral = toUnits(m.borrowerWeth, 18);
    const debt = (m.borrowerWeth * m.wethPrice * (m.weth.liquidationThreshold / 10_000)) / hf;
    await (await weth.mint(who.address, collateral)).wait();
    await (await weth.connect(who).approve(aave.poolAddress, ethers.MaxUint256)).wait();
    await (await aave.pool.connect(who).supply(wethAddress, collateral, who.address, 0)).wait();
    await (await aave.pool.connect(who).borrow(usdcAddress, toUnits(Math.floor(debt * 100) / 100, 6), 2n, 0, who.address)).wait();
  }

  return {
    chain: "replica",
    chainId: Number((await ethers.provider.getNetwork()).chainId),
    notes: "Tripwire's replica chain, built by `./tripwire replica build` (fork/README.md).",
    tokens: {
      WETH: { address: wethAddress, decimals: 18, funding: { kind: "mint" } },
      USDC: { address: usdcAddress, decimals: 6, funding: { kind: "mint" } },
    },
    aave: { addressesProvider: await aave.provider.getAddress() },
    chainlink: {
      WETH: { primary: await ethUsd.proxy.getAddress(), alt: await ethUsdAlt.proxy.getAddress() },
      USDC: { primary: await usdcUsd.proxy.getAddress(), alt: await usdcUsdAlt.proxy.getAddress() },
    },
    pyth: { address: pythAddress, ids: { ...PYTH_IDS } },
    uniswap: { wethUsdcPool: uni.poolAddress },
    sequencerUptimeFeed: await uptime.proxy.getAddress(),
    tripwire: { guard: await d.guard.getAddress(), timelock: await d.timelock.getAddress() },
    borrowers: borrowers.map((b) => b.address),
  };
}

/** Mints `amount` of a replica token (a MockERC20) to `to`. */
export async function mintReplica(token: MockERC20, to: string, amount: bigint): Promise<void> {
  await (await token.mint(to, amount)).wait();
}

/** Starts an anvil chain for the replica: empty (to build it) or loaded from the state file. */
export async function startReplicaChain(opts: { load: boolean; dumpTo?: string }): Promise<Anvil> {
  const args = ["--accounts", String(REPLICA_ACCOUNTS), "--gas-limit", "60000000"];
  if (opts.load) args.push("--load-state", REPLICA_STATE);
  if (opts.dumpTo !== undefined) args.push("--dump-state", opts.dumpTo);
  return startAnvil(REPLICA_CHAIN_ID, args);
}

/** Whether the replica's state file and book exist. */
export function replicaBuilt(): boolean {
  return existsSync(REPLICA_STATE) && existsSync(REPLICA_BOOK);
}

/**
 * Builds the replica on a fresh anvil through the Hardhat network `replica` and writes fork/replica/state.json
 * (anvil's state dump) and fork/replica/book.json. Returns the book.
 */
export async function buildReplicaFiles(log: (line: string) => void = () => undefined): Promise<AddressBook> {
  mkdirSync(REPLICA_DIR, { recursive: true });
  const tmpState = `${REPLICA_STATE}.tmp`;
  const anvil = await startReplicaChain({ load: false, dumpTo: tmpState });
  try {
    const hre = (await import("hardhat")).default;
    const conn = await hre.network.create({ network: "replica", override: { url: anvil.url } });
    log(`building the replica on anvil at ${anvil.url} (chain id ${String(REPLICA_CHAIN_ID)})`);
    const book = await buildReplica(conn);
    await rpc(anvil.url, "evm_mine");
    await conn.close();
    await anvil.stop();
    if (!existsSync(tmpState)) throw new Error(`anvil did not write its state to ${tmpState}`);
    renameSync(tmpState, REPLICA_STATE);
    writeFileSync(REPLICA_BOOK, `${JSON.stringify(book, null, 2)}\n`);
    log(`wrote ${path.relative(ROOT, REPLICA_STATE)} and ${path.relative(ROOT, REPLICA_BOOK)}`);
    return book;
  } finally {
    await anvil.stop();
  }
}

/** The replica's book as last built. */
export function readReplicaBook(): AddressBook {
  return readBook(REPLICA_BOOK);
}
