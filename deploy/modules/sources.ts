// Source adapters as Ignition futures, one parameter set each (addresses and limits in deploy/parameters/).
import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";
import type { ContractFuture, IgnitionModuleBuilder } from "@nomicfoundation/ignition-core";

import Core from "./Core.js";

/** A Chainlink AggregatorV3 feed (or a RedStone, API3 or Chronicle feed through that face). */
export function chainlinkSource(m: IgnitionModuleBuilder, id: string, name: string) {
  return m.contract(
    "ChainlinkSource",
    [m.getParameter<string>(`${id}Feed`), m.getParameter(`${id}MinAnswer`, 0n), m.getParameter(`${id}MaxAnswer`, 0n), name],
    { id },
  );
}

/** A Pyth price feed: the network's Pyth contract, the feed id, the widest confidence accepted (bps). */
export function pythSource(m: IgnitionModuleBuilder, id: string, name: string) {
  return m.contract(
    "PythSource",
    [m.getParameter<string>("pyth"), m.getParameter<string>(`${id}PriceId`), m.getParameter(`${id}MaxConfBps`, 200), name],
    { id },
  );
}

/** A Uniswap V3 pool read as a TWAP of its base token over a window (seconds). */
export function twapSource(m: IgnitionModuleBuilder, id: string, name: string) {
  return m.contract(
    "UniswapV3TwapSource",
    [m.getParameter<string>(`${id}Pool`), m.getParameter<string>(`${id}Base`), m.getParameter(`${id}Window`, 1800), name],
    { id },
  );
}

/**
 * Everything Tripwire deploys on one network: the timelock and guard (Core) and the WETH market's sources: Chainlink
 * ETH/USD, Pyth ETH/USD, and, where the network has the pool, a Uniswap V3 WETH/USDC 0.05% TWAP.
 */
export function networkModule(name: string, opts: { twap: boolean }) {
  return buildModule(`Tripwire${name}`, (m) => {
    const { timelock, guard } = m.useModule(Core);
    const results: Record<string, ContractFuture<string>> = {
      ethUsdChainlink: chainlinkSource(m, "EthUsdChainlink", "Chainlink ETH/USD"),
      ethUsdPyth: pythSource(m, "EthUsdPyth", "Pyth ETH/USD"),
    };
    if (opts.twap) results.ethUsdcTwap = twapSource(m, "EthUsdcTwap", "Uniswap V3 WETH/USDC 0.05% TWAP 30m");
    return { timelock, guard, ...results };
  });
}
