// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {MASK_8, MASK_16, MASK_32, MASK_64, MASK_160} from "./BitMasks.sol";
import {RulesLib} from "./RulesLib.sol";

/// @title ConfigCodecLib
/// @notice Packs a market's configuration into `2 + n` words (n sources) and back. The guard stores the packed form
/// as a `ConfigStoreLib` blob and decodes it on every poke: a few shifts per field instead of the ABI decoder's
/// offset, length and range checks.
/// @dev Layout (bit offsets), every field at its `RulesLib.MarketConfig` width, so nothing is lost:
/// word 0: primary 0, quorum 8, outlierBps 16, maxDeviationBps 32, confMultiplierBps 48, twapSpotBoundBps 80,
///   maxUncorroborated 96, jumpBps 128, varianceThreshold 144, shortAlphaBps 208, longAlphaBps 224,
///   returnClipBps 240.
/// word 1: regimeRatioBps 0, regimeWarmup 32, statsInterval 40, liquidationMask 72, minPause 88, recoveryStreak 120,
///   recoverySpacing 128, grace 160, maxPause 192, maxExtension 224.
/// word 2 + i: source i's address 0, its maxAge 160.
library ConfigCodecLib {
    uint256 private constant HEADER_WORDS = 2;

    /// @notice Thrown when a blob is not `2 + n` whole words with 1 to `RulesLib.MAX_SOURCES` sources.
    error ConfigCodecMalformed(uint256 length);

    /// @notice Packs a configuration.
    /// @param c The configuration (any values of its field types).
    /// @return data `2 + c.sources.length` words.
    function encode(RulesLib.MarketConfig calldata c) internal pure returns (bytes memory data) {
        uint256 n = c.sources.length;
        data = new bytes((HEADER_WORDS + n) * 32);
        uint256 w0 = uint256(c.primary) | uint256(c.quorum) << 8 | uint256(c.outlierBps) << 16
            | uint256(c.maxDeviationBps) << 32 | uint256(c.confMultiplierBps) << 48 | uint256(c.twapSpotBoundBps) << 80
            | uint256(c.maxUncorroborated) << 96 | uint256(c.jumpBps) << 128 | uint256(c.varianceThreshold) << 144
            | uint256(c.shortAlphaBps) << 208 | uint256(c.longAlphaBps) << 224 | uint256(c.returnClipBps) << 240;
        uint256 w1 = uint256(c.regimeRatioBps) | uint256(c.regimeWarmup) << 32 | uint256(c.statsInterval) << 40
            | uint256(c.liquidationMask) << 72 | uint256(c.minPause) << 88 | uint256(c.recoveryStreak) << 120
            | uint256(c.recoverySpacing) << 128 | uint256(c.grace) << 160 | uint256(c.maxPause) << 192
            | uint256(c.maxExtension) << 224;
        assembly ("memory-safe") {
            mstore(add(data, 0x20), w0)
            mstore(add(data, 0x40), w1)
        }
        for (uint256 i; i < n; ++i) {
            RulesLib.SourceConfig calldata s = c.sources[i];
            uint256 w = uint256(uint160(s.source)) | uint256(s.maxAge) << 160;
            assembly ("memory-safe") {
                mstore(add(data, shl(5, add(i, 3))), w)
            }
        }
    }

    /// @notice Unpacks a configuration written by `encode`.
    /// @param data The packed words.
    /// @return c The configuration.
    function decode(bytes memory data) internal pure returns (RulesLib.MarketConfig memory c) {
        uint256 len = data.length;
        if (len % 32 != 0 || len < (HEADER_WORDS + 1) * 32 || len > (HEADER_WORDS + RulesLib.MAX_SOURCES) * 32) {
            revert ConfigCodecMalformed(len);
        }
        uint256 w0;
        uint256 w1;
        assembly ("memory-safe") {
            w0 := mload(add(data, 0x20))
            w1 := mload(add(data, 0x40))
        }
        c.primary = uint8(w0 & MASK_8);
        c.quorum = uint8(w0 >> 8 & MASK_8);
        c.outlierBps = uint16(w0 >> 16 & MASK_16);
        c.maxDeviationBps = uint16(w0 >> 32 & MASK_16);
        c.confMultiplierBps = uint32(w0 >> 48 & MASK_32);
        c.twapSpotBoundBps = uint16(w0 >> 80 & MASK_16);
        c.maxUncorroborated = uint32(w0 >> 96 & MASK_32);
        c.jumpBps = uint16(w0 >> 128 & MASK_16);
        c.varianceThreshold = uint64(w0 >> 144 & MASK_64);
        c.shortAlphaBps = uint16(w0 >> 208 & MASK_16);
        c.longAlphaBps = uint16(w0 >> 224 & MASK_16);
        c.returnClipBps = uint16(w0 >> 240);
        c.regimeRatioBps = uint32(w1 & MASK_32);
        c.regimeWarmup = uint8(w1 >> 32 & MASK_8);
        c.statsInterval = uint32(w1 >> 40 & MASK_32);
        c.liquidationMask = uint16(w1 >> 72 & MASK_16);
        c.minPause = uint32(w1 >> 88 & MASK_32);
        c.recoveryStreak = uint8(w1 >> 120 & MASK_8);
        c.recoverySpacing = uint32(w1 >> 128 & MASK_32);
        c.grace = uint32(w1 >> 160 & MASK_32);
        c.maxPause = uint32(w1 >> 192 & MASK_32);
        c.maxExtension = uint32(w1 >> 224);
        uint256 n = len / 32 - HEADER_WORDS;
        c.sources = new RulesLib.SourceConfig[](n);
        for (uint256 i; i < n; ++i) {
            uint256 w;
            assembly ("memory-safe") {
                w := mload(add(data, shl(5, add(i, 3))))
            }
            c.sources[i] = RulesLib.SourceConfig({source: address(uint160(w & MASK_160)), maxAge: uint32(w >> 160)});
        }
    }
}
