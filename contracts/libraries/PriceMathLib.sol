// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title PriceMathLib
/// @notice Normalisation of oracle answers to 18-decimal fixed point.
library PriceMathLib {
    /// @dev Target precision.
    uint8 internal constant DECIMALS = 18;
    /// @dev Largest number of decimals (or negative exponent) a source may use: 10^36 still fits comfortably.
    uint8 internal constant MAX_DECIMALS = 36;
    /// @dev Largest positive exponent accepted.
    int32 internal constant MAX_POSITIVE_EXPONENT = 18;

    /// @notice Scales `value` with `decimals` decimals to 18 decimals.
    /// @dev Returns `ok = false` (never reverts) when `decimals` exceeds `MAX_DECIMALS` or the result overflows.
    /// Scaling down truncates toward zero.
    /// @param value The raw value.
    /// @param decimals Its number of decimals.
    /// @return scaled The value with 18 decimals.
    /// @return ok Whether the value could be scaled.
    function toWad(uint256 value, uint256 decimals) internal pure returns (uint256 scaled, bool ok) {
        if (decimals > MAX_DECIMALS) return (0, false);
        if (decimals <= DECIMALS) {
            uint256 factor = 10 ** (DECIMALS - decimals);
            if (value > type(uint256).max / factor) return (0, false);
            return (value * factor, true);
        }
        return (value / 10 ** (decimals - DECIMALS), true);
    }

    /// @notice Scales `value * 10^expo` (Pyth's representation) to 18 decimals.
    /// @param value The mantissa.
    /// @param expo The exponent, in [-36, 18].
    /// @return scaled The value with 18 decimals.
    /// @return ok Whether the exponent was in range and nothing overflowed.
    function fromExponent(uint256 value, int32 expo) internal pure returns (uint256 scaled, bool ok) {
        if (expo > MAX_POSITIVE_EXPONENT || expo < -int32(uint32(MAX_DECIMALS))) return (0, false);
        if (expo >= 0) {
            uint256 factor = 10 ** (DECIMALS + uint32(expo));
            if (value > type(uint256).max / factor) return (0, false);
            return (value * factor, true);
        }
        return toWad(value, uint32(-expo));
    }
}
