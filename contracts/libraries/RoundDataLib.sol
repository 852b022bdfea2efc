// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IAggregatorV3} from "../interfaces/external/IAggregatorV3.sol";

/// @title RoundDataLib
/// @notice Reads a Chainlink-style feed's latest round with a gas cap, copying at most its five words of returndata,
/// and never reverting on the feed's behalf: a feed that reverts, runs out of gas or answers in another shape is
/// reported as unreadable.
library RoundDataLib {
    /// @dev `latestRoundData` returns five words.
    uint256 private constant ROUND_DATA_SIZE = 160;

    /// @notice The latest round of `feed`, read with at most `gasCap` gas.
    /// @return ok Whether the feed answered with exactly five words (the other values are meaningless otherwise).
    /// @return answer The answer.
    /// @return startedAt When the round (for an uptime feed: the current status) started.
    /// @return updatedAt When the round was last updated.
    function latest(address feed, uint256 gasCap)
        internal
        view
        returns (bool ok, int256 answer, uint256 startedAt, uint256 updatedAt)
    {
        bytes4 selector = IAggregatorV3.latestRoundData.selector;
        uint256 size;
        assembly ("memory-safe") {
            let ptr := mload(0x40)
            mstore(ptr, selector)
            ok := staticcall(gasCap, feed, ptr, 4, ptr, ROUND_DATA_SIZE)
            size := returndatasize()
            answer := mload(add(ptr, 0x20))
            startedAt := mload(add(ptr, 0x40))
            updatedAt := mload(add(ptr, 0x60))
        }
        ok = ok && size == ROUND_DATA_SIZE;
    }
}
