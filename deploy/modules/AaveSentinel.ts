// Tripwire's Aave V3 price oracle sentinel for one Aave market. Deploy it after the guard's markets for the watched
// assets exist (its constructor checks that each market's primary is the feed AaveOracle uses), then: register it
// as a listener through the timelock (`listeners` in the markets file), call `sync()`, and have the Aave pool
// admin set it in the PoolAddressesProvider. docs/integrating.md.
import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";

import Core from "./Core.js";

const ZERO = "0x0000000000000000000000000000000000000000";

export default buildModule("TripwireAaveSentinel", (m) => {
  const { guard } = m.useModule(Core);
  const sentinel = m.contract("TripwireAaveSentinel", [
    m.getParameter<string>("addressesProvider"),
    guard,
    m.getParameter<string[]>("assets"),
    m.getParameter("sequencerOracle", ZERO),
    m.getParameter("gracePeriod", 3600),
  ]);
  return { sentinel };
});
