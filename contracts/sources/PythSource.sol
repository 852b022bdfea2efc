// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IPyth} from "@pythnetwork/pyth-sdk-solidity/IPyth.sol";
import {PythStructs} from "@pythnetwork/pyth-sdk-solidity/PythStructs.sol";

import {IPriceSource} from "../interfaces/IPriceSource.sol";
import {PriceMathLib} from "../libraries/PriceMathLib.sol";
import {RulesLib} from "../libraries/RulesLib.sol";

/// @title PythSource
/// @notice Reads a Pyth price feed: price, confidence and publish time, scaled by the feed's exponent.
/// @dev Faults: non-positive price, an exponent outside [-36, 18], and a confidence wider than `MAX_CONF_BPS` of the
/// price. A narrower confidence is reported and widens the tolerance within which the source agrees with others
/// (Pyth's confidence widens in every crash: it must not make the source disagree). Staleness and future publish
/// times are judged by the guard against the market's per-feed `maxAge`. Uses `getPriceUnsafe`: the freshness rule
/// is the guard's, not Pyth's valid-time period.
contract PythSource is IPriceSource {
    /// @notice The Pyth contract.
    IPyth public immutable PYTH;
    /// @notice The price feed id.
    bytes32 public immutable PRICE_ID;
    /// @notice Widest confidence accepted, in bps of the price (e.g. 200 = 2%).
    uint256 public immutable MAX_CONF_BPS;

    uint256 private constant BPS = 10_000;

    string private _description;

    /// @notice Thrown by the constructor for a confidence limit of zero or at least the whole price.
    error PythSourceInvalidConfLimit(uint256 maxConfBps);

    /// @param pyth The Pyth contract.
    /// @param priceId The price feed id.
    /// @param maxConfBps Widest confidence accepted, in bps of the price (1 to 9,999).
    /// @param name A human-readable name, e.g. "Pyth ETH/USD".
    constructor(IPyth pyth, bytes32 priceId, uint256 maxConfBps, string memory name) {
        if (maxConfBps == 0 || maxConfBps >= BPS) revert PythSourceInvalidConfLimit(maxConfBps);
        PYTH = pyth;
        PRICE_ID = priceId;
        MAX_CONF_BPS = maxConfBps;
        _description = name;
    }

    /// @inheritdoc IPriceSource
    /// @dev Reverts when Pyth reverts (unknown feed); the guard treats that as an invalid reading.
    function read() external view returns (Reading memory reading) {
        PythStructs.Price memory p = PYTH.getPriceUnsafe(PRICE_ID);
        reading.observedAt = p.publishTime;
        if (p.price <= 0) {
            reading.fault = RulesLib.FAULT_NON_POSITIVE;
            return reading;
        }
        bool okPrice;
        bool okConf;
        (reading.price, okPrice) = PriceMathLib.fromExponent(uint64(p.price), p.expo);
        (reading.conf, okConf) = PriceMathLib.fromExponent(p.conf, p.expo);
        if (!okPrice || !okConf) {
            reading.fault = RulesLib.FAULT_SCALE;
        } else if (uint256(p.conf) * BPS > uint256(uint64(p.price)) * MAX_CONF_BPS) {
            // Compared on the raw mantissas (same exponent), so scaling cannot hide a wide confidence.
            reading.fault = RulesLib.FAULT_CONFIDENCE;
        }
    }

    /// @inheritdoc IPriceSource
    function description() external view returns (string memory) {
        return _description;
    }
}
