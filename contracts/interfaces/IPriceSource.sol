// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title IPriceSource
/// @notice One oracle, normalised to one reading. A source adapter never reverts on a bad oracle answer: it reports
/// the problem as a fault code, and the guard treats a reverting or misbehaving source as invalid anyway.
/// @dev Prices are 18-decimal fixed point, quote per base. The guard copies at most `5 * 32` bytes of returndata and
/// gives each read a bounded amount of gas, so `read` must be cheap and return exactly one `Reading`.
interface IPriceSource {
    /// @notice One normalised observation.
    /// @param price Quote per base, 18 decimals (0 when the source has no price).
    /// @param conf Confidence half-width in the same unit as `price`, 0 when the oracle publishes none.
    /// @param spot Where `price` is an average (a TWAP), the current spot price, 18 decimals; otherwise 0.
    /// @param observedAt Unix time the oracle observed `price`.
    /// @param fault 0 when the source vouches for the reading, otherwise a `FAULT_*` code of `RulesLib`.
    struct Reading {
        uint256 price;
        uint256 conf;
        uint256 spot;
        uint256 observedAt;
        uint256 fault;
    }

    /// @notice Reads the oracle now.
    /// @return reading The normalised reading; a fault code instead of a revert when the oracle answer is unusable.
    function read() external view returns (Reading memory reading);

    /// @notice A human-readable name of the oracle and pair, for operators and events.
    function description() external view returns (string memory);
}
