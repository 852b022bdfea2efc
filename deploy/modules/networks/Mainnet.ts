// Everything Tripwire deploys on Ethereum mainnet: ./tripwire deploy --network <network>, or
// npx hardhat ignition deploy deploy/modules/networks/Mainnet.ts --network <network> --parameters deploy/parameters/mainnet.json5
import { networkModule } from "../sources.js";

export default networkModule("Mainnet", { twap: true });
