// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IPriceSource} from "../interfaces/IPriceSource.sol";
import {IAggregatorV3} from "../interfaces/external/IAggregatorV3.sol";
import {PriceMathLib} from "../libraries/PriceMathLib.sol";
import {RulesLib} from "../libraries/RulesLib.sol";

/// @title ChainlinkSource
/// @notice Reads a Chainlink AggregatorV3 feed (or a RedStone, API3 or Chronicle feed through its AggregatorV3 face).
/// @dev Faults: non-positive answer, zero `updatedAt`, `answeredInRound` behind `roundId`, an answer pinned at the
/// aggregator's min or max answer (the Venus/LUNA failure: the feed keeps reporting its floor while the market
/// falls through it), and decimals that cannot be normalised. Staleness and future times are judged by the guard
/// against the per-feed `maxAge` of the market's configuration, so that the backtester applies the same rule.
/// The feed's decimals and answer bounds are read once, at deployment: a feed whose aggregator is replaced (a
/// Chainlink phase change) needs a new adapter, which the deploy tooling checks.
contract ChainlinkSource is IPriceSource {
    /// @notice The feed.
    IAggregatorV3 public immutable FEED;
    /// @notice The feed's decimals.
    uint8 public immutable FEED_DECIMALS;
    /// @notice The aggregator's min answer; an answer at or below it is pinned (0 with `MAX_ANSWER` 0: unknown).
    int256 public immutable MIN_ANSWER;
    /// @notice The aggregator's max answer; an answer at or above it is pinned.
    int256 public immutable MAX_ANSWER;

    string private _description;

    /// @notice Thrown by the constructor for bounds that cannot be right.
    error ChainlinkSourceInvalidBounds(int256 minAnswer, int256 maxAnswer);

    /// @param feed The feed (for Chainlink, its proxy).
    /// @param minAnswer The aggregator's min answer, or 0 (with `maxAnswer` 0) when the feed has no bounds.
    /// @param maxAnswer The aggregator's max answer, or 0.
    /// @param name A human-readable name, e.g. "Chainlink ETH/USD".
    constructor(IAggregatorV3 feed, int256 minAnswer, int256 maxAnswer, string memory name) {
        if (!(minAnswer == 0 && maxAnswer == 0) && minAnswer >= maxAnswer) {
            revert ChainlinkSourceInvalidBounds(minAnswer, maxAnswer);
        }
        FEED = feed;
        FEED_DECIMALS = feed.decimals();
        MIN_ANSWER = minAnswer;
        MAX_ANSWER = maxAnswer;
        _description = name;
    }

    /// @inheritdoc IPriceSource
    /// @dev Reverts when the feed reverts; the guard treats that as an invalid reading.
    function read() external view returns (Reading memory reading) {
        (uint80 roundId, int256 answer,, uint256 updatedAt, uint80 answeredInRound) = FEED.latestRoundData();
        reading.observedAt = updatedAt;
        if (answer <= 0) {
            reading.fault = RulesLib.FAULT_NON_POSITIVE;
        } else if (updatedAt == 0) {
            reading.fault = RulesLib.FAULT_STALE;
        } else if (answeredInRound < roundId) {
            reading.fault = RulesLib.FAULT_INCOMPLETE_ROUND;
        } else if (MAX_ANSWER != 0 && (answer <= MIN_ANSWER || answer >= MAX_ANSWER)) {
            reading.fault = RulesLib.FAULT_PINNED;
        } else {
            bool ok;
            (reading.price, ok) = PriceMathLib.toWad(uint256(answer), FEED_DECIMALS);
            if (!ok) reading.fault = RulesLib.FAULT_SCALE;
        }
    }

    /// @inheritdoc IPriceSource
    function description() external view returns (string memory) {
        return _description;
    }
}
