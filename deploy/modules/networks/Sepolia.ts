// Everything Tripwire deploys on Sepolia: the timelock, the guard, and the WETH market's sources.
// Deploy: npx hardhat ignition deploy deploy/modules/networks/Sepolia.ts --network <network> --parameters deploy/parameters/<network>.json5
import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";

import Core from "../Core.js";
import { chainlinkSource, pythSource } from "../sources.js";

export default buildModule("TripwireSepolia", (m) => {
  const { timelock, guard } = m.useModule(Core);
  const ethUsdChainlink = chainlinkSource(m, "EthUsdChainlink", "Chainlink ETH/USD");
  const ethUsdPyth = pythSource(m, "EthUsdPyth", "Pyth ETH/USD");
  return { timelock, guard, ethUsdChainlink, ethUsdPyth };
});
