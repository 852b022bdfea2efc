// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";

/// @title GasProbe
/// @notice Measures the gas of one external call as a protocol's contract would make it: from a contract, with the
/// target's account and storage cold. Used by the bench.
contract GasProbe {
    /// @notice Emitted by `measure`.
    event Measured(address indexed target, bool ok, uint256 gasUsed);

    /// @notice Calls `target` with `data` and reports the gas the call consumed (including the cold account
    /// access).
    /// @param target The contract to call.
    /// @param data The calldata.
    /// @return ok Whether the call succeeded.
    /// @return gasUsed Gas consumed by the call.
    function measure(address target, bytes calldata data) external returns (bool ok, uint256 gasUsed) {
        uint256 before = gasleft();
        (ok,) = target.call(data);
        gasUsed = before - gasleft();
        emit Measured(target, ok, gasUsed);
    }

    /// @notice Calls every target in turn, in one frame, and reports the gas of them all: an account or slot that one
    /// call warms is warm for the next, as it would be inside a single contract reading them.
    /// @param targets The contracts to call, in order.
    /// @param data The calldata for each target.
    /// @return ok Whether every call succeeded.
    /// @return gasUsed Gas consumed by the calls together.
    function measureBatch(address[] calldata targets, bytes[] calldata data)
        external
        returns (bool ok, uint256 gasUsed)
    {
        ok = true;
        uint256 before = gasleft();
        for (uint256 i; i < targets.length; ++i) {
            (bool success,) = targets[i].call(data[i]);
            ok = ok && success;
        }
        gasUsed = before - gasleft();
        emit Measured(address(0), ok, gasUsed);
    }

    /// @notice Lets `spender` take the probe's `token` (so that the probe can act as a liquidator).
    function approve(IERC20 token, address spender) external {
        token.approve(spender, type(uint256).max);
    }
}
