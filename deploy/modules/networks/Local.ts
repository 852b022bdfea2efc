// Everything Tripwire deploys on the local rehearsal chain (shaped like an L2 mainnet's set): ./tripwire deploy --network <network>, or
// npx hardhat ignition deploy deploy/modules/networks/Local.ts --network <network> --parameters deploy/parameters/local.json5
import { networkModule } from "../sources.js";

export default networkModule("Local", { twap: true });
