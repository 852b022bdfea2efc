// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";

/// @dev The parts of a Uniswap V3 pool the actor drives.
interface IUniswapV3PoolActions {
    function token0() external view returns (address);
    function token1() external view returns (address);
    function initialize(uint160 sqrtPriceX96) external;
    function increaseObservationCardinalityNext(uint16 observationCardinalityNext) external;
    function mint(address recipient, int24 tickLower, int24 tickUpper, uint128 amount, bytes calldata data)
        external
        returns (uint256 amount0, uint256 amount1);
    function swap(
        address recipient,
        bool zeroForOne,
        int256 amountSpecified,
        uint160 sqrtPriceLimitX96,
        bytes calldata data
    ) external returns (int256 amount0, int256 amount1);
}

/// @title UniswapV3Actor
/// @notice Adds liquidity to and swaps in real Uniswap V3 pools, paying from its own balance in the callbacks.
/// Tests, the bench and the demo use it to move pool prices as a trader (or an attacker) would.
contract UniswapV3Actor {
    using SafeERC20 for IERC20;

    /// @notice Thrown when a callback does not come from the pool being driven.
    error UniswapV3ActorUnexpectedCaller(address caller, address pool);

    address private _activePool;

    /// @notice Adds `liquidity` between two ticks.
    function mint(IUniswapV3PoolActions pool, int24 tickLower, int24 tickUpper, uint128 liquidity) external {
        _activePool = address(pool);
        pool.mint(address(this), tickLower, tickUpper, liquidity, "");
        _activePool = address(0);
    }

    /// @notice Swaps in `pool` up to `sqrtPriceLimitX96` (exact input of `amountIn`, or as much as reaches the
    /// limit).
    function swap(IUniswapV3PoolActions pool, bool zeroForOne, uint256 amountIn, uint160 sqrtPriceLimitX96)
        external
        returns (int256 amount0, int256 amount1)
    {
        _activePool = address(pool);
        (amount0, amount1) = pool.swap(address(this), zeroForOne, int256(amountIn), sqrtPriceLimitX96, "");
        _activePool = address(0);
    }

    /// @notice Uniswap V3 mint callback: pays what the pool asks.
    function uniswapV3MintCallback(uint256 amount0Owed, uint256 amount1Owed, bytes calldata) external {
        _pay(amount0Owed, amount1Owed);
    }

    /// @notice Uniswap V3 swap callback: pays the positive delta.
    function uniswapV3SwapCallback(int256 amount0Delta, int256 amount1Delta, bytes calldata) external {
        _pay(amount0Delta > 0 ? uint256(amount0Delta) : 0, amount1Delta > 0 ? uint256(amount1Delta) : 0);
    }

    function _pay(uint256 amount0, uint256 amount1) private {
        address pool = _activePool;
        if (msg.sender != pool) revert UniswapV3ActorUnexpectedCaller(msg.sender, pool);
        if (amount0 != 0) IERC20(IUniswapV3PoolActions(pool).token0()).safeTransfer(pool, amount0);
        if (amount1 != 0) IERC20(IUniswapV3PoolActions(pool).token1()).safeTransfer(pool, amount1);
    }
}
