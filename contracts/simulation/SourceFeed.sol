// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IPriceSource} from "../interfaces/IPriceSource.sol";
import {IAggregatorV3} from "../interfaces/external/IAggregatorV3.sol";

/// @title SourceFeed
/// @notice The AggregatorV3 face of a Tripwire price source (8 decimals), so that a lending market that reads
/// Chainlink-style feeds (AaveOracle) can price an asset from, say, a Uniswap V3 TWAP. The TWAP-manipulation
/// simulation uses it to build the market Inverse Finance ran in 2022: collateral priced from a short TWAP.
/// A faulty reading is reported as a zero answer.
contract SourceFeed is IAggregatorV3 {
    uint8 private constant DECIMALS = 8;
    uint256 private constant WAD_TO_FEED = 1e10;

    /// @notice The source read.
    IPriceSource public immutable SOURCE;

    /// @param source The source read.
    constructor(IPriceSource source) {
        SOURCE = source;
    }

    /// @inheritdoc IAggregatorV3
    function decimals() external pure returns (uint8) {
        return DECIMALS;
    }

    /// @inheritdoc IAggregatorV3
    function description() external view returns (string memory) {
        return SOURCE.description();
    }

    /// @inheritdoc IAggregatorV3
    function latestRoundData() external view returns (uint80, int256, uint256, uint256, uint80) {
        (int256 answer, uint256 observedAt) = _read();
        return (1, answer, observedAt, observedAt, 1);
    }

    /// @notice The legacy answer (AaveOracle reads it).
    function latestAnswer() external view returns (int256 answer) {
        (answer,) = _read();
    }

    function _read() private view returns (int256 answer, uint256 observedAt) {
        IPriceSource.Reading memory r = SOURCE.read();
        if (r.fault != 0) return (0, r.observedAt);
        return (int256(r.price / WAD_TO_FEED), r.observedAt);
    }
}
