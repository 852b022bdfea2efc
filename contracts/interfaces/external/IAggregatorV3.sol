// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title IAggregatorV3
/// @notice The AggregatorV3 face of Chainlink price feeds (and of RedStone, API3 and Chronicle feeds that mimic it),
/// and of Chainlink's L2 sequencer uptime feeds. Declared here to avoid the dependency tree of Chainlink's npm
/// contracts package.
interface IAggregatorV3 {
    /// @notice Number of decimals of `answer`.
    function decimals() external view returns (uint8);

    /// @notice Human-readable description of the feed.
    function description() external view returns (string memory);

    /// @notice The latest round: id, answer, start time, update time and the round the answer was computed in.
    function latestRoundData()
        external
        view
        returns (uint80 roundId, int256 answer, uint256 startedAt, uint256 updatedAt, uint80 answeredInRound);
}
