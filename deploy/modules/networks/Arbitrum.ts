// Everything Tripwire deploys on Arbitrum One: ./tripwire deploy --network <network>, or
// npx hardhat ignition deploy deploy/modules/networks/Arbitrum.ts --network <network> --parameters deploy/parameters/arbitrum.json5
import { networkModule } from "../sources.js";

export default networkModule("Arbitrum", { twap: true });
