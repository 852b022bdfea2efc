// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title ITripwireListener
/// @notice A contract the guard tells, in the same transaction, whenever a market's pause horizon changes, so that it
/// can answer "paused?" from its own storage (no call to the guard on the hot path). Registered by governance.
/// @dev A pause is a pure function of time between two changes: liquidations of `asset` are paused exactly while
/// `block.timestamp < liquidationPausedUntil`, and borrows while `block.timestamp < borrowPausedUntil`, until the
/// next notification. The guard calls with a fixed gas allowance and carries on if the call fails (emitting
/// `ListenerFailed`), so a listener must be able to resynchronise from the guard's views.
interface ITripwireListener {
    /// @notice A market's pause horizon changed.
    /// @param asset The asset.
    /// @param liquidationPausedUntil Liquidations are paused while `block.timestamp` is below it (0: not paused).
    /// @param borrowPausedUntil Borrows are paused while `block.timestamp` is below it (0: not paused).
    function onPauseChanged(address asset, uint40 liquidationPausedUntil, uint40 borrowPausedUntil) external;
}
