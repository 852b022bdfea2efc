// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title IUniswapV3PoolOracle
/// @notice The part of a Uniswap V3 pool that a TWAP reader needs.
interface IUniswapV3PoolOracle {
    /// @notice The pool's first token (the lower address).
    function token0() external view returns (address);

    /// @notice The pool's second token.
    function token1() external view returns (address);

    /// @notice The pool's current price and oracle bookkeeping.
    function slot0()
        external
        view
        returns (
            uint160 sqrtPriceX96,
            int24 tick,
            uint16 observationIndex,
            uint16 observationCardinality,
            uint16 observationCardinalityNext,
            uint8 feeProtocol,
            bool unlocked
        );

    /// @notice Cumulative ticks and seconds per liquidity at each of `secondsAgos` before now. Reverts "OLD" when
    /// the oldest observation is younger than the largest of them.
    function observe(uint32[] calldata secondsAgos)
        external
        view
        returns (int56[] memory tickCumulatives, uint160[] memory secondsPerLiquidityCumulativeX128s);
}
