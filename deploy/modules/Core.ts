// The timelock that governs the guard, and the guard. Roles: the timelock alone holds the guard's admin role (it
// changes configuration and grants or revokes roles, after its delay); the guardian may pause, extend and clear;
// the timelock administers itself (no admin account is left behind).
import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";

const ZERO = "0x0000000000000000000000000000000000000000";

export default buildModule("TripwireCore", (m) => {
  const delay = m.getParameter("timelockDelay", 2 * 24 * 3600);
  const proposers = m.getParameter<string[]>("proposers");
  const executors = m.getParameter<string[]>("executors");
  const guardian = m.getParameter<string>("guardian");
  const sequencerFeed = m.getParameter("sequencerUptimeFeed", ZERO);
  const sequencerGrace = m.getParameter("sequencerGrace", 3600);

  const timelock = m.contract("TimelockController", [delay, proposers, executors, ZERO]);
  const guard = m.contract("TripwireGuard", [timelock, guardian, sequencerFeed, sequencerGrace]);
  return { timelock, guard };
});
