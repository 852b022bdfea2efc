// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title IAutomationCompatible
/// @notice The neutral keeper interface of Chainlink Automation, which any executor can drive.
interface IAutomationCompatible {
    /// @notice Off-chain simulated check: whether `performUpkeep` should be called, and with what data.
    /// @param checkData Data registered with the upkeep (here: the shard of markets to watch).
    /// @return upkeepNeeded Whether any work is due.
    /// @return performData The data to pass to `performUpkeep`.
    function checkUpkeep(bytes calldata checkData) external returns (bool upkeepNeeded, bytes memory performData);

    /// @notice Performs the work found by `checkUpkeep`. Must re-verify on-chain and trust nothing in `performData`.
    /// @param performData Data returned by `checkUpkeep`.
    function performUpkeep(bytes calldata performData) external;
}
