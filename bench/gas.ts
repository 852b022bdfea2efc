// Gas bench: every figure measured in one run on one chain, each as an external call made by a probe contract in
// its own transaction (cold accounts and storage, as a liquidation sees them). Writes bench/results/gas.json.
import { mkdir, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import path from "node:path";

import { ContractFactory, type ContractTransactionReceipt, type InterfaceAbi } from "ethers";
import { network } from "hardhat";

import {
  type ChainlinkFeed,
  type Connection,
  defaultMarketConfig,
  deployChainlink,
  deployGuard,
  deployPyth,
  deployUniswapPool,
  publishPyth,
  setMarket,
  toUnits,
} from "../scripts/lib/fixtures.js";
import { deployAaveSentinel } from "../scripts/lib/aave.js";
import {
  deployExampleMarket,
  deployLendingWorld,
  openAavePosition,
  openExamplePosition,
  pokeAll,
  SEQUENCER_GRACE,
  setPrices,
} from "../scripts/lib/world.js";
import type { GasProbe } from "../types/ethers-contracts/index.js";

const require = createRequire(import.meta.url);
const RESULTS = path.join("bench", "results", "gas.json");
const TWAP_WINDOW = 1800;

/** The figure of the probe's `Measured` event in a receipt; a failed measured call is an error. */
function measuredGas(probe: GasProbe, receipt: ContractTransactionReceipt | null, what: string): number {
  if (receipt === null) throw new Error("no receipt for the probe transaction");
  for (const log of receipt.logs) {
    const parsed = probe.interface.parseLog(log);
    if (parsed?.name === "Measured") {
      if (parsed.args.ok !== true) throw new Error(`the measured call to ${what} reverted`);
      return Number(parsed.args.gasUsed);
    }
  }
  throw new Error("the probe emitted no measurement");
}

// An explicit limit: an estimate only finds the least gas at which the probe itself succeeds.
const PROBE_GAS = { gasLimit: 5_000_000n };

async function measure(probe: GasProbe, target: string, data: string): Promise<number> {
  return measuredGas(probe, await (await probe.measure(target, data, PROBE_GAS)).wait(), target);
}

async function measureBatch(probe: GasProbe, calls: readonly (readonly [string, string])[]): Promise<number> {
  const tx = await probe.measureBatch(calls.map((c) => c[0]), calls.map((c) => c[1]), PROBE_GAS);
  return measuredGas(probe, await tx.wait(), calls.map((c) => c[0]).join(", "));
}

async function main(): Promise<void> {
  const conn: Connection = await network.create();
  const { ethers, networkHelpers } = conn;
  const [deployer] = await ethers.getSigners();
  if (deployer === undefined) throw new Error("no accounts");
  const probe = await ethers.deployContract("GasProbe");
  const measurements: Record<string, number> = {};

  // Aave's own sentinel (v3.0.2 bytecode from @aave/core-v3), wired to a sequencer uptime feed that is up.
  const uptime = await ethers.deployContract("MockAggregator", [0, 0]);
  const now = BigInt((await ethers.provider.getBlock("latest"))?.timestamp ?? 0);
  await (await uptime.setRound(1n, 0n, now - 7200n, now - 7200n, 1n)).wait();
  const sentinelArtifact = require(
    "@aave/core-v3/artifacts/contracts/protocol/configuration/PriceOracleSentinel.sol/PriceOracleSentinel.json",
  ) as { abi: InterfaceAbi; bytecode: string };
  const sentinel = await new ContractFactory(sentinelArtifact.abi, sentinelArtifact.bytecode, deployer).deploy(
    deployer.address, // addresses provider: only its setters use it
    await uptime.getAddress(),
    3600,
  );
  await sentinel.waitForDeployment();

  const d = await deployGuard(conn);
  const guardAddress = await d.guard.getAddress();

  // Markets of 1..8 Chainlink-style sources.
  const feeds: ChainlinkFeed[] = [];
  for (let i = 0; i < 8; i++) feeds.push(await deployChainlink(conn, 2000, `Chainlink feed ${i}`));
  const nAssets: string[] = [];
  for (let n = 1; n <= 8; n++) {
    const asset = ethers.getAddress(`0x${n.toString(16).padStart(40, "a")}`);
    nAssets.push(asset);
    const sources = await Promise.all(feeds.slice(0, n).map((f) => f.source.getAddress()));
    await setMarket(conn, d, asset, defaultMarketConfig(sources, 0, { quorum: Math.min(2, n) }));
  }

  // One of each kind: Chainlink-style primary, Pyth's mock, a real Uniswap V3 pool's TWAP.
  const chainlink = await deployChainlink(conn, 2000, "Chainlink ETH/USD");
  const pyth = await deployPyth(conn, "Pyth ETH/USD");
  const uni = await deployUniswapPool(conn, { price: 2000, baseLiquidity: 1000, window: TWAP_WINDOW });
  const mixed = await uni.base.getAddress();
  await setMarket(
    conn,
    d,
    mixed,
    defaultMarketConfig(
      [await chainlink.source.getAddress(), await pyth.source.getAddress(), await uni.source.getAddress()],
      0,
    ),
  );
  await networkHelpers.time.increase(TWAP_WINDOW);

  async function refreshFeeds(): Promise<void> {
    for (const f of [...feeds, chainlink]) await (await f.feed.setAnswer(2000n * 10n ** 8n)).wait();
    await publishPyth(conn, pyth, 2000);
  }

  // Warm-up poke (the first one seeds the statistics), then the measured steady-state pokes, each after one block
  // interval and after a statistics interval (the heavier case: it updates the variance).
  await refreshFeeds();
  for (const asset of [...nAssets, mixed]) await (await d.guard.poke(asset)).wait();
  await networkHelpers.time.increase(300);
  await refreshFeeds();
  const poke = (asset: string): string => d.guard.interface.encodeFunctionData("poke", [asset]);
  for (let n = 1; n <= 8; n++) {
    measurements[`guard.poke.${n}source${n === 1 ? "" : "s"}`] = await measure(probe, guardAddress, poke(nAssets[n - 1]!));
  }
  measurements["guard.poke.chainlink+pyth+twap"] = await measure(probe, guardAddress, poke(mixed));
  await networkHelpers.time.increase(12);
  await refreshFeeds();
  measurements["guard.poke.chainlink+pyth+twap.withinStatsInterval"] = await measure(probe, guardAddress, poke(mixed));

  // What the sources themselves cost (each adapter's read, with its oracle, cold).
  const read = (c: { interface: { encodeFunctionData(name: "read"): string } }): string => c.interface.encodeFunctionData("read");
  measurements["source.chainlink.read"] = await measure(probe, await chainlink.source.getAddress(), read(chainlink.source));
  measurements["source.pyth.read"] = await measure(probe, await pyth.source.getAddress(), read(pyth.source));
  measurements["source.uniswapV3Twap.read"] = await measure(probe, await uni.source.getAddress(), read(uni.source));
  // The oracles alone, called directly (no adapter): the floor any design that reads these oracles pays. The TWAP
  // needs observe and slot0 on the same pool: measured apart, each with the pool's account cold, so their sum
  // counts the cold account twice.
  const oracle = new ethers.Interface([
    "function latestRoundData() view returns (uint80, int256, uint256, uint256, uint80)",
    "function getPriceUnsafe(bytes32) view returns ((int64, uint64, int32, uint256))",
    "function observe(uint32[]) view returns (int56[], uint160[])",
    "function slot0() view returns (uint160, int24, uint16, uint16, uint16, uint8, bool)",
  ]);
  measurements["oracle.chainlink.latestRoundData"] = await measure(probe, await chainlink.feed.getAddress(), oracle.encodeFunctionData("latestRoundData"));
  measurements["oracle.pyth.getPriceUnsafe"] = await measure(probe, await pyth.pyth.getAddress(), oracle.encodeFunctionData("getPriceUnsafe", [pyth.id]));
  measurements["oracle.uniswapV3.observe"] = await measure(probe, uni.poolAddress, oracle.encodeFunctionData("observe", [[TWAP_WINDOW, 0]]));
  measurements["oracle.uniswapV3.slot0"] = await measure(probe, uni.poolAddress, oracle.encodeFunctionData("slot0"));
  // The floor: the three oracles read once each, in one frame, as any contract reading them must (the pool's account
  // and slot0 warm for the second pool call). Includes the probe's loop over the calls, a few hundred gas.
  measurements["oracle.chainlink+pyth+twap"] = await measureBatch(probe, [
    [await chainlink.feed.getAddress(), oracle.encodeFunctionData("latestRoundData")],
    [await pyth.pyth.getAddress(), oracle.encodeFunctionData("getPriceUnsafe", [pyth.id])],
    [uni.poolAddress, oracle.encodeFunctionData("observe", [[TWAP_WINDOW, 0]])],
    [uni.poolAddress, oracle.encodeFunctionData("slot0")],
  ]);

  // The cached checks on the liquidation path.
  measurements["guard.isLiquidationAllowed"] = await measure(
    probe,
    guardAddress,
    d.guard.interface.encodeFunctionData("isLiquidationAllowed", [mixed]),
  );
  measurements["guard.isBorrowAllowed"] = await measure(
    probe,
    guardAddress,
    d.guard.interface.encodeFunctionData("isBorrowAllowed", [mixed]),
  );
  measurements["aave.PriceOracleSentinel.isLiquidationAllowed"] = await measure(
    probe,
    await sentinel.getAddress(),
    sentinel.interface.encodeFunctionData("isLiquidationAllowed"),
  );

  await benchIntegrations(conn, probe, measurements);

  const extra = (name: string): number => {
    const gas = measurements[name];
    if (gas === undefined) throw new Error(`bench: ${name} was not measured`);
    return gas;
  };
  const targets = {
    "guard.isLiquidationAllowed <= aave.PriceOracleSentinel.isLiquidationAllowed":
      (measurements["guard.isLiquidationAllowed"] ?? Infinity) <=
      (measurements["aave.PriceOracleSentinel.isLiquidationAllowed"] ?? 0),
    "guard.poke.chainlink+pyth+twap <= 60000": (measurements["guard.poke.chainlink+pyth+twap"] ?? Infinity) <= 60_000,
    "aave.liquidationCall: tripwireSentinel overhead <= aaveSentinel overhead":
      extra("aave.liquidationCall.tripwireSentinel") - extra("aave.liquidationCall.noSentinel") <=
      extra("aave.liquidationCall.aaveSentinel") - extra("aave.liquidationCall.noSentinel"),
  };
  await mkdir(path.dirname(RESULTS), { recursive: true });
  await writeFile(
    RESULTS,
    `${JSON.stringify({ measurements, targets, chain: "hardhat in-process (edr-simulated, prague)" }, null, 2)}\n`,
  );
  for (const [name, gas] of Object.entries(measurements)) console.log(`${name.padEnd(60)} ${gas}`);
  for (const [name, met] of Object.entries(targets)) console.log(`${met ? "met   " : "MISSED"} ${name}`);
  console.log(`wrote ${RESULTS}`);
}

/**
 * Liquidations through real Aave V3 bytecode without a sentinel, with Aave's own (on the same sequencer feed) and
 * with Tripwire's; and through the example market unguarded, guarded, and guarded with an inline poke. Every
 * liquidation is of an identical position (10 WETH, 15,000 USDC, WETH falling honestly to 1,780: HF 0.979), made
 * by the probe, after a warm-up liquidation so that no measured one pays a first write the others do not.
 */
async function benchIntegrations(conn: Connection, probe: GasProbe, measurements: Record<string, number>): Promise<void> {
  const { ethers, networkHelpers } = conn;
  const w = await deployLendingWorld(conn, { withSentinel: false });
  const unguarded = await deployExampleMarket(w, { guard: ethers.ZeroAddress });
  const guarded = await deployExampleMarket(w);
  const inline = await deployExampleMarket(w, { maxEvaluationAge: 60 });
  const users = w.signers.slice(1, 9);
  const [warm, noSentinel, aaveOwn, tripwire, u, g, i, fresh] = users;
  if (i === undefined || warm === undefined || noSentinel === undefined || aaveOwn === undefined) {
    throw new Error("bench: the network has too few accounts");
  }
  if (tripwire === undefined || u === undefined || g === undefined || fresh === undefined) {
    throw new Error("bench: too few accounts");
  }
  for (const who of [warm, noSentinel, aaveOwn, tripwire]) await openAavePosition(w, who, 10, 15_000);
  await openExamplePosition(w, unguarded, u, 10, 15_000);
  await openExamplePosition(w, guarded, g, 10, 15_000);
  await openExamplePosition(w, inline, i, 10, 15_000);
  await openExamplePosition(w, inline, fresh, 10, 15_000);
  // The sentinel's views while open (every watched asset normal, the sequencer up past its grace): the full path.
  measurements["tripwireSentinel.isLiquidationAllowed"] = await measure(
    probe,
    await w.sentinel.getAddress(),
    w.sentinel.interface.encodeFunctionData("isLiquidationAllowed"),
  );
  measurements["tripwireSentinel.isBorrowAllowed"] = await measure(
    probe,
    await w.sentinel.getAddress(),
    w.sentinel.interface.encodeFunctionData("isBorrowAllowed"),
  );

  await networkHelpers.time.increase(300);
  await setPrices(w, "weth", 1780);
  await setPrices(w, "usdc", 1);
  await pokeAll(w);

  const probeAddress = await probe.getAddress();
  await (await w.usdc.mint(probeAddress, toUnits(1_000_000, 6))).wait();
  for (const spender of [w.aave.poolAddress, ...(await Promise.all([unguarded, guarded, inline].map((m) => m.getAddress())))]) {
    await (await probe.approve(w.usdcAddress, spender)).wait();
  }
  const aaveLiquidation = (user: string): string =>
    w.aave.pool.interface.encodeFunctionData("liquidationCall", [
      w.wethAddress,
      w.usdcAddress,
      user,
      toUnits(5_000, 6),
      false,
    ]);
  await measure(probe, w.aave.poolAddress, aaveLiquidation(warm.address));
  measurements["aave.liquidationCall.noSentinel"] = await measure(probe, w.aave.poolAddress, aaveLiquidation(noSentinel.address));
  const aaveSentinel = await deployAaveSentinel(conn, w.aave, await w.uptime.getAddress(), SEQUENCER_GRACE);
  await (await w.aave.provider.setPriceOracleSentinel(await aaveSentinel.getAddress())).wait();
  measurements["aave.liquidationCall.aaveSentinel"] = await measure(probe, w.aave.poolAddress, aaveLiquidation(aaveOwn.address));
  await (await w.aave.provider.setPriceOracleSentinel(await w.sentinel.getAddress())).wait();
  measurements["aave.liquidationCall.tripwireSentinel"] = await measure(probe, w.aave.poolAddress, aaveLiquidation(tripwire.address));
  const exampleLiquidation = (user: string): string =>
    guarded.interface.encodeFunctionData("liquidate", [user, w.wethAddress, toUnits(5_000, 6)]);
  measurements["example.liquidate.unguarded"] = await measure(probe, await unguarded.getAddress(), exampleLiquidation(u.address));
  measurements["example.liquidate.guarded"] = await measure(probe, await guarded.getAddress(), exampleLiquidation(g.address));
  // Inline pokes enabled, the stored evaluation a few seconds old: no poke, one more storage read.
  measurements["example.liquidate.guardedInlineFresh"] = await measure(probe, await inline.getAddress(), exampleLiquidation(fresh.address));
  // The stored evaluation is two minutes old (the feeds are fresh): the inline market pokes first.
  await networkHelpers.time.increase(120);
  await setPrices(w, "weth", 1780);
  measurements["example.liquidate.guardedInlinePoke"] = await measure(probe, await inline.getAddress(), exampleLiquidation(i.address));
  const [, , evaluatedAt] = await w.d.guard.liquidationStatus(w.wethAddress);
  const latest = (await ethers.provider.getBlock("latest"))?.timestamp ?? 0;
  if (Number(evaluatedAt) !== latest) throw new Error("bench: the inline-poke liquidation did not poke");

  // What a listener notification costs the poke that trips (two watched assets).
  await setPrices(w, "weth", 1780, { primary: 1500 });
  const before = (await w.d.guard.liquidationStatus(w.wethAddress))[0];
  measurements["guard.poke.trip.withAaveSentinelListener"] = await measure(
    probe,
    await w.d.guard.getAddress(),
    w.d.guard.interface.encodeFunctionData("poke", [w.wethAddress]),
  );
  if (!before || (await w.d.guard.liquidationStatus(w.wethAddress))[0]) throw new Error("bench: the trip poke did not trip");
}

await main();
