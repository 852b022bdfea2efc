// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IERC20Metadata} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Metadata.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {TickMath} from "@uniswap/v3-core-0.8/contracts/libraries/TickMath.sol";

import {IPriceSource} from "../interfaces/IPriceSource.sol";
import {IUniswapV3PoolOracle} from "../interfaces/external/IUniswapV3PoolOracle.sol";
import {RulesLib} from "../libraries/RulesLib.sol";

/// @title UniswapV3TwapSource
/// @notice The time-weighted average price of a Uniswap V3 pool over a fixed window, with the pool's spot price
/// alongside so that the guard can tell a TWAP that lags (or is being pushed) from one that describes the market.
/// @dev Faults: too little history for the window (the pool's `observe` reverts "OLD"; raise the pool's
/// observation cardinality). The average tick is rounded toward negative infinity, as Uniswap's own library does.
contract UniswapV3TwapSource is IPriceSource {
    /// @notice The pool.
    IUniswapV3PoolOracle public immutable POOL;
    /// @notice The asset priced (the other token is the quote).
    address public immutable BASE;
    /// @notice The token prices are quoted in.
    address public immutable QUOTE;
    /// @notice TWAP window, in seconds.
    uint32 public immutable WINDOW;

    /// @dev Whether BASE is the pool's token0 (the pool's raw price is token1 per token0).
    bool private immutable BASE_IS_TOKEN0;
    /// @dev 10^(18 + baseDecimals - quoteDecimals): raw pool price to 18-decimal quote per whole base unit.
    uint256 private immutable SCALE;

    uint256 private constant MAX_SCALE_EXPONENT = 54;

    string private _description;

    /// @notice Thrown by the constructor when `base` is not one of the pool's tokens.
    error TwapSourceBaseNotInPool(address base, address token0, address token1);
    /// @notice Thrown by the constructor for a zero window.
    error TwapSourceInvalidWindow(uint32 window);
    /// @notice Thrown by the constructor when the tokens' decimals cannot be normalised.
    error TwapSourceUnsupportedDecimals(uint8 baseDecimals, uint8 quoteDecimals);

    /// @param pool The pool.
    /// @param base The token to price.
    /// @param window TWAP window in seconds.
    /// @param name A human-readable name, e.g. "Uniswap V3 WETH/USDC 0.05% 30m".
    constructor(IUniswapV3PoolOracle pool, address base, uint32 window, string memory name) {
        if (window == 0) revert TwapSourceInvalidWindow(window);
        address token0 = pool.token0();
        address token1 = pool.token1();
        if (base != token0 && base != token1) revert TwapSourceBaseNotInPool(base, token0, token1);
        address quote = base == token0 ? token1 : token0;
        uint8 baseDecimals = IERC20Metadata(base).decimals();
        uint8 quoteDecimals = IERC20Metadata(quote).decimals();
        uint256 exponent = 18 + uint256(baseDecimals);
        if (quoteDecimals > exponent || exponent - quoteDecimals > MAX_SCALE_EXPONENT) {
            revert TwapSourceUnsupportedDecimals(baseDecimals, quoteDecimals);
        }
        POOL = pool;
        BASE = base;
        QUOTE = quote;
        WINDOW = window;
        BASE_IS_TOKEN0 = base == token0;
        SCALE = 10 ** (exponent - quoteDecimals);
        _description = name;
    }

    /// @inheritdoc IPriceSource
    function read() external view returns (Reading memory reading) {
        reading.observedAt = block.timestamp;
        uint32[] memory secondsAgos = new uint32[](2);
        secondsAgos[0] = WINDOW;
        int56[] memory tickCumulatives;
        try POOL.observe(secondsAgos) returns (int56[] memory cumulatives, uint160[] memory) {
            tickCumulatives = cumulatives;
        } catch {
            reading.fault = RulesLib.FAULT_HISTORY;
            return reading;
        }
        int56 delta = tickCumulatives[1] - tickCumulatives[0];
        int56 window = int56(uint56(WINDOW));
        int24 averageTick = int24(delta / window);
        if (delta < 0 && delta % window != 0) --averageTick;
        (uint160 sqrtPriceX96,,,,,,) = POOL.slot0();
        reading.price = _quote(TickMath.getSqrtRatioAtTick(averageTick));
        reading.spot = _quote(sqrtPriceX96);
    }

    /// @inheritdoc IPriceSource
    function description() external view returns (string memory) {
        return _description;
    }

    /// @dev Quote per whole base unit, 18 decimals, from a sqrt price (Q64.96 of token1 per token0).
    function _quote(uint160 sqrtPriceX96) private view returns (uint256) {
        if (sqrtPriceX96 <= type(uint128).max) {
            uint256 ratioX192 = uint256(sqrtPriceX96) * sqrtPriceX96;
            return BASE_IS_TOKEN0 ? Math.mulDiv(ratioX192, SCALE, 1 << 192) : Math.mulDiv(1 << 192, SCALE, ratioX192);
        }
        uint256 ratioX128 = Math.mulDiv(sqrtPriceX96, sqrtPriceX96, 1 << 64);
        return BASE_IS_TOKEN0 ? Math.mulDiv(ratioX128, SCALE, 1 << 128) : Math.mulDiv(1 << 128, SCALE, ratioX128);
    }
}
