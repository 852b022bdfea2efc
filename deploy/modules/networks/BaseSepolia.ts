// Everything Tripwire deploys on Base Sepolia: ./tripwire deploy --network <network>, or
// npx hardhat ignition deploy deploy/modules/networks/BaseSepolia.ts --network <network> --parameters deploy/parameters/base-sepolia.json5
import { networkModule } from "../sources.js";

export default networkModule("BaseSepolia", { twap: false });
