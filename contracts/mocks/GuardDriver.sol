// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IPriceSource} from "../interfaces/IPriceSource.sol";
import {ITripwireGuard} from "../interfaces/ITripwireGuard.sol";
import {MockSource} from "./MockSource.sol";

/// @title GuardDriver
/// @notice Sets every mock source's reading and pokes the guard in one transaction, so that a test can replay a
/// recorded series through the real guard, one block per poke, and compare it with the backtester.
contract GuardDriver {
    /// @notice Sets `readings[i]` on `sources[i]`, then pokes `asset`.
    function step(
        ITripwireGuard guard,
        address asset,
        MockSource[] calldata sources,
        IPriceSource.Reading[] calldata readings
    ) external {
        for (uint256 i; i < sources.length; ++i) {
            sources[i].setReading(readings[i]);
        }
        guard.poke(asset);
    }
}
