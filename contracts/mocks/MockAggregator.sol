// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IAggregatorV3} from "../interfaces/external/IAggregatorV3.sol";

/// @title MockAggregator
/// @notice A Chainlink-style feed (price or L2 sequencer uptime) whose round data tests set directly.
contract MockAggregator is IAggregatorV3 {
    // Named as the AggregatorV3 getter.
    // solhint-disable-next-line immutable-vars-naming
    uint8 public immutable override decimals;
    // Packed in two slots, as Chainlink's aggregators keep a round (so that gas figures are realistic).
    int192 private _answer;
    uint64 private _updatedAt;
    uint80 private _roundId;
    uint64 private _startedAt;
    uint80 private _answeredInRound;
    bool private _reverts;

    /// @notice Thrown by `latestRoundData` while the feed is set to revert.
    error MockAggregatorReverted();

    /// @param decimals_ Decimals of the answer.
    /// @param answer Initial answer, stamped now.
    constructor(uint8 decimals_, int256 answer) {
        decimals = decimals_;
        setAnswer(answer);
    }

    /// @notice Starts a new round with `answer`, stamped now.
    function setAnswer(int256 answer) public {
        setRound(_roundId + 1, answer, block.timestamp, block.timestamp, _roundId + 1);
    }

    /// @notice Sets every field of the latest round.
    function setRound(uint80 roundId, int256 answer, uint256 startedAt, uint256 updatedAt, uint80 answeredInRound)
        public
    {
        _roundId = roundId;
        _answer = int192(answer);
        _startedAt = uint64(startedAt);
        _updatedAt = uint64(updatedAt);
        _answeredInRound = answeredInRound;
    }

    /// @notice Makes `latestRoundData` revert (or not).
    function setReverts(bool reverts) external {
        _reverts = reverts;
    }

    /// @inheritdoc IAggregatorV3
    function description() external pure returns (string memory) {
        return "mock feed";
    }

    /// @inheritdoc IAggregatorV3
    function latestRoundData() external view returns (uint80, int256, uint256, uint256, uint80) {
        if (_reverts) revert MockAggregatorReverted();
        return (_roundId, _answer, _startedAt, _updatedAt, _answeredInRound);
    }

    /// @notice The legacy AggregatorInterface answer, which AaveOracle reads.
    function latestAnswer() external view returns (int256) {
        if (_reverts) revert MockAggregatorReverted();
        return _answer;
    }

    /// @notice The legacy AggregatorInterface timestamp.
    function latestTimestamp() external view returns (uint256) {
        if (_reverts) revert MockAggregatorReverted();
        return _updatedAt;
    }
}
