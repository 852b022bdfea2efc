// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {MASK_8, MASK_16, MASK_32, MASK_40, MASK_64, MASK_128} from "./BitMasks.sol";
import {RulesLib} from "./RulesLib.sol";

/// @title StateCodecLib
/// @notice Packs a market's state into five words and back, so that the guard loads and stores it with exactly five
/// SLOADs and five SSTOREs (an unchanged word costs a warm no-op write), and so that word 0 alone answers
/// `isLiquidationAllowed`.
/// @dev Layout (bit offsets):
/// word 0, the liquidation machine: status 0, since 8, expiresAt 48, graceUntil 88, lastHealthyAt 128, streak 168,
///   extended 176, held 208. Unchanged by a steady poke, so a keeper's routine poke does not write it.
/// word 1, the borrow machine: same layout.
/// word 2: reasons 0, evaluatedAt 16, uncorroboratedSince 56, statsAt 96, statsCount 136, invalidMask 144,
///   uninformativeMask 152, outlierMask 160, faults 168. Written by every poke (evaluatedAt and statsAt share it).
/// word 3: refPrice 0, shortVar 128, longVar 192.
/// word 4: bandLow 0, bandHigh 128.
library StateCodecLib {
    uint256 private constant EVALUATED_AT_OFFSET = 16;

    /// @notice Packs one pause machine.
    function packPause(RulesLib.PauseState memory p) internal pure returns (uint256 w) {
        w = uint256(p.status) | uint256(p.since) << 8 | uint256(p.expiresAt) << 48 | uint256(p.graceUntil) << 88
            | uint256(p.lastHealthyAt) << 128 | uint256(p.streak) << 168 | uint256(p.extended) << 176
            | (p.held ? uint256(1) << 208 : 0);
    }

    /// @notice Unpacks one pause machine.
    function unpackPause(uint256 w) internal pure returns (RulesLib.PauseState memory p) {
        p.status = uint8(w & MASK_8);
        p.since = uint40(w >> 8 & MASK_40);
        p.expiresAt = uint40(w >> 48 & MASK_40);
        p.graceUntil = uint40(w >> 88 & MASK_40);
        p.lastHealthyAt = uint40(w >> 128 & MASK_40);
        p.streak = uint8(w >> 168 & MASK_8);
        p.extended = uint32(w >> 176 & MASK_32);
        p.held = (w >> 208) & 1 == 1;
    }

    /// @notice The market's last evaluation time, from word 2.
    function evaluatedAt(uint256 w2) internal pure returns (uint40) {
        return uint40(w2 >> EVALUATED_AT_OFFSET & MASK_40);
    }

    /// @notice The pause horizon of a market from its two machine words: liquidations are paused exactly while the
    /// time is below `liquidation` (`RulesLib.isPaused`), and borrows while it is below `borrow` (the borrow
    /// machine's own pause, or a live liquidation pause; not the liquidation machine's post-recovery grace). Valid
    /// until either word next changes.
    /// @param w0 Word 0 (the liquidation machine).
    /// @param w1 Word 1 (the borrow machine).
    /// @return liquidation Expiry of a live liquidation pause, end of its grace, or 0.
    /// @return borrow The later of a live liquidation pause's expiry and the borrow machine's own horizon.
    function horizon(uint256 w0, uint256 w1) internal pure returns (uint40 liquidation, uint40 borrow) {
        uint40 live;
        (liquidation, live) = _until(w0);
        (borrow,) = _until(w1);
        if (live > borrow) borrow = live;
    }

    /// @dev (horizon, expiry of a live pause or 0) of one machine word.
    function _until(uint256 w) private pure returns (uint40 until, uint40 live) {
        uint256 s = w & MASK_8;
        if (s == RulesLib.STATUS_TRIPPED || s == RulesLib.STATUS_RECOVERING) {
            live = uint40(w >> 48 & MASK_40);
            return (live, live);
        }
        if (s == RulesLib.STATUS_NORMAL) until = uint40(w >> 88 & MASK_40);
    }

    /// @notice Status of a packed pause machine (word 0 or 1).
    function status(uint256 w) internal pure returns (uint8) {
        return uint8(w & MASK_8);
    }

    /// @notice Packs a whole state.
    function pack(RulesLib.MarketState memory s) internal pure returns (uint256[5] memory w) {
        w[0] = packPause(s.liquidation);
        w[1] = packPause(s.borrow);
        w[2] = uint256(s.reasons) | uint256(s.evaluatedAt) << EVALUATED_AT_OFFSET | uint256(s.uncorroboratedSince) << 56
            | uint256(s.statsAt) << 96 | uint256(s.statsCount) << 136 | uint256(s.invalidMask) << 144
            | uint256(s.uninformativeMask) << 152 | uint256(s.outlierMask) << 160 | uint256(s.faults) << 168;
        w[3] = uint256(s.refPrice) | uint256(s.shortVar) << 128 | uint256(s.longVar) << 192;
        w[4] = uint256(s.bandLow) | uint256(s.bandHigh) << 128;
    }

    /// @notice Unpacks a whole state.
    function unpack(uint256[5] memory w) internal pure returns (RulesLib.MarketState memory s) {
        s.liquidation = unpackPause(w[0]);
        s.borrow = unpackPause(w[1]);
        uint256 w2 = w[2];
        s.reasons = uint16(w2 & MASK_16);
        s.evaluatedAt = evaluatedAt(w2);
        s.uncorroboratedSince = uint40(w2 >> 56 & MASK_40);
        s.statsAt = uint40(w2 >> 96 & MASK_40);
        s.statsCount = uint8(w2 >> 136 & MASK_8);
        s.invalidMask = uint8(w2 >> 144 & MASK_8);
        s.uninformativeMask = uint8(w2 >> 152 & MASK_8);
        s.outlierMask = uint8(w2 >> 160 & MASK_8);
        s.faults = uint32(w2 >> 168 & MASK_32);
        s.refPrice = uint128(w[3] & MASK_128);
        s.shortVar = uint64(w[3] >> 128 & MASK_64);
        s.longVar = uint64(w[3] >> 192);
        s.bandLow = uint128(w[4] & MASK_128);
        s.bandHigh = uint128(w[4] >> 128);
    }
}
