// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title MedianLib
/// @notice Median of a short list of prices (at most a market's eight sources).
library MedianLib {
    /// @notice Thrown for a length of zero or beyond the array.
    error MedianLength(uint256 len, uint256 available);

    /// @notice The median of the first `len` values of `values`; the mean of the two middle ones for an even count.
    /// @dev Sorts `values[0:len]` in place (insertion sort: the fastest for eight or fewer). Reverts with
    /// `MedianLength` unless `len` is at least 1 and at most `values.length`. The mean is computed without overflow.
    /// @param values The values; the first `len` are sorted on return.
    /// @param len How many values to consider.
    /// @return m The median.
    function median(uint256[] memory values, uint256 len) internal pure returns (uint256 m) {
        if (len == 0 || len > values.length) revert MedianLength(len, values.length);
        // Checked once above: every index below is within values[0:len], so the loop reads and writes memory directly.
        assembly ("memory-safe") {
            let base := add(values, 0x20)
            for { let i := 1 } lt(i, len) { i := add(i, 1) } {
                let v := mload(add(base, shl(5, i)))
                let j := i
                for {} j { j := sub(j, 1) } {
                    let prev := mload(add(base, shl(5, sub(j, 1))))
                    if iszero(gt(prev, v)) { break }
                    mstore(add(base, shl(5, j)), prev)
                }
                mstore(add(base, shl(5, j)), v)
            }
            let mid := shr(1, len)
            switch and(len, 1)
            case 1 { m := mload(add(base, shl(5, mid))) }
            default {
                // a <= b after sorting: the mean without overflow.
                let a := mload(add(base, shl(5, sub(mid, 1))))
                let b := mload(add(base, shl(5, mid)))
                m := add(a, shr(1, sub(b, a)))
            }
        }
    }
}
