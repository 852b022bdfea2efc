// Everything Tripwire deploys on Arbitrum One: the timelock, the guard, and the WETH market's sources.
// Deploy: npx hardhat ignition deploy deploy/modules/networks/Arbitrum.ts --network <network> --parameters deploy/parameters/<network>.json5
import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";

import Core from "../Core.js";
import { chainlinkSource, pythSource, twapSource } from "../sources.js";

export default buildModule("TripwireArbitrum", (m) => {
  const { timelock, guard } = m.useModule(Core);
  const ethUsdChainlink = chainlinkSource(m, "EthUsdChainlink", "Chainlink ETH/USD");
  const ethUsdPyth = pythSource(m, "EthUsdPyth", "Pyth ETH/USD");
  const ethUsdcTwap = twapSource(m, "EthUsdcTwap", "Uniswap V3 WETH/USDC 0.05% TWAP 30m");
  return { timelock, guard, ethUsdChainlink, ethUsdPyth, ethUsdcTwap };
});
