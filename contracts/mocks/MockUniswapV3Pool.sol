// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IUniswapV3PoolOracle} from "../interfaces/external/IUniswapV3PoolOracle.sol";

/// @title MockUniswapV3Pool
/// @notice The oracle face of a Uniswap V3 pool with a constant average tick over any window, for unit tests
/// (the integration tests and the bench use real v3-core pools).
contract MockUniswapV3Pool is IUniswapV3PoolOracle {
    // Named as the pool interface's getter.
    // solhint-disable-next-line immutable-vars-naming
    address public immutable override token0;
    // Named as the pool interface's getter.
    // solhint-disable-next-line immutable-vars-naming
    address public immutable override token1;
    int24 public averageTick;
    uint160 public sqrtPriceX96;
    bool public tooYoung;

    constructor(address tokenA, address tokenB) {
        (token0, token1) = tokenA < tokenB ? (tokenA, tokenB) : (tokenB, tokenA);
    }

    /// @notice Sets the average tick over every window and the spot price.
    function set(int24 tick, uint160 spotSqrtPriceX96) external {
        averageTick = tick;
        sqrtPriceX96 = spotSqrtPriceX96;
    }

    /// @notice Makes `observe` revert "OLD", as a pool without enough history does.
    function setTooYoung(bool value) external {
        tooYoung = value;
    }

    /// @inheritdoc IUniswapV3PoolOracle
    function slot0() external view returns (uint160, int24, uint16, uint16, uint16, uint8, bool) {
        return (sqrtPriceX96, averageTick, 0, 1, 1, 0, true);
    }

    /// @inheritdoc IUniswapV3PoolOracle
    function observe(uint32[] calldata secondsAgos) external view returns (int56[] memory ticks, uint160[] memory) {
        // The string revert a real pool gives.
        // solhint-disable-next-line gas-custom-errors
        require(!tooYoung, "OLD");
        ticks = new int56[](secondsAgos.length);
        for (uint256 i; i < secondsAgos.length; ++i) {
            // Cumulative tick at (now - secondsAgo), measured from an arbitrary origin.
            ticks[i] = int56(averageTick) * (1_000_000 - int56(uint56(secondsAgos[i])));
        }
        return (ticks, new uint160[](secondsAgos.length));
    }
}
