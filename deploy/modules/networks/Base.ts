// Everything Tripwire deploys on Base: ./tripwire deploy --network <network>, or
// npx hardhat ignition deploy deploy/modules/networks/Base.ts --network <network> --parameters deploy/parameters/base.json5
import { networkModule } from "../sources.js";

export default networkModule("Base", { twap: true });
