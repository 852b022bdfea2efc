// Everything Tripwire deploys on Arbitrum Sepolia: ./tripwire deploy --network <network>, or
// npx hardhat ignition deploy deploy/modules/networks/ArbitrumSepolia.ts --network <network> --parameters deploy/parameters/arbitrum-sepolia.json5
import { networkModule } from "../sources.js";

export default networkModule("ArbitrumSepolia", { twap: false });
