// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title MedianLib
/// @notice Median of a short list of prices (at most a market's eight sources).
library MedianLib {
    /// @notice The median of the first `len` values of `values`; the mean of the two middle ones for an even count.
    /// @dev Sorts `values[0:len]` in place (insertion sort: the fastest for eight or fewer). `len` must be at least 1
    /// and at most `values.length`. The mean is computed without overflow.
    /// @param values The values; the first `len` are sorted on return.
    /// @param len How many values to consider.
    /// @return m The median.
    function median(uint256[] memory values, uint256 len) internal pure returns (uint256 m) {
        for (uint256 i = 1; i < len; ++i) {
            uint256 v = values[i];
            uint256 j = i;
            while (j > 0 && values[j - 1] > v) {
                values[j] = values[j - 1];
                --j;
            }
            values[j] = v;
        }
        uint256 mid = len / 2;
        if (len % 2 == 1) return values[mid];
        uint256 a = values[mid - 1];
        uint256 b = values[mid];
        // a <= b after sorting.
        return a + (b - a) / 2;
    }
}
