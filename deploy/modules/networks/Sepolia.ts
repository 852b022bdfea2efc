// Everything Tripwire deploys on Sepolia: ./tripwire deploy --network <network>, or
// npx hardhat ignition deploy deploy/modules/networks/Sepolia.ts --network <network> --parameters deploy/parameters/sepolia.json5
import { networkModule } from "../sources.js";

export default networkModule("Sepolia", { twap: false });
