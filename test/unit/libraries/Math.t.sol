// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Test} from "forge-std/Test.sol";

import {IPriceSource} from "../../../contracts/interfaces/IPriceSource.sol";
import {MedianLib} from "../../../contracts/libraries/MedianLib.sol";
import {PriceMathLib} from "../../../contracts/libraries/PriceMathLib.sol";
import {RulesLib} from "../../../contracts/libraries/RulesLib.sol";
import {StateCodecLib} from "../../../contracts/libraries/StateCodecLib.sol";
import {ConfigCodecLib} from "../../../contracts/libraries/ConfigCodecLib.sol";
import {ConfigStoreLib} from "../../../contracts/libraries/ConfigStoreLib.sol";

/// @notice Fuzz tests of the pure math against plain reference implementations.
contract MathFuzzTest is Test {
    uint256 internal constant MAX_PRICE = 1e36;

    function testFuzz_median_matchesReference(uint256[8] memory raw, uint8 lenSeed) public pure {
        uint256 len = bound(lenSeed, 1, 8);
        uint256[] memory values = new uint256[](len);
        uint256[] memory ref = new uint256[](len);
        for (uint256 i; i < len; ++i) {
            // Half the runs near the top of the range: the mean of two must not overflow.
            values[i] = lenSeed % 2 == 0 ? bound(raw[i], 0, MAX_PRICE) : raw[i];
            ref[i] = values[i];
        }
        // Reference: selection sort, then the middle (mean of two for even counts).
        for (uint256 i; i < len; ++i) {
            for (uint256 j = i + 1; j < len; ++j) {
                if (ref[j] < ref[i]) (ref[i], ref[j]) = (ref[j], ref[i]);
            }
        }
        uint256 expected = len % 2 == 1 ? ref[len / 2] : ref[len / 2 - 1] / 2 + ref[len / 2] / 2
            + (ref[len / 2 - 1] % 2 + ref[len / 2] % 2) / 2;
        assertEq(MedianLib.median(values, len), expected);
        for (uint256 i; i < len; ++i) {
            assertEq(values[i], ref[i]); // sorted in place
        }
    }

    function medianOf(uint256[] memory values, uint256 len) external pure returns (uint256) {
        return MedianLib.median(values, len);
    }

    function testFuzz_median_revertsOutsideTheArray(uint8 available, uint8 len) public {
        vm.assume(len == 0 || len > available);
        uint256[] memory values = new uint256[](available);
        vm.expectRevert(abi.encodeWithSelector(MedianLib.MedianLength.selector, len, available));
        this.medianOf(values, len);
    }

    function testFuzz_distanceBps_matchesCheckedReference(uint256 a, uint256 ref) public pure {
        a = bound(a, 0, MAX_PRICE);
        ref = bound(ref, 1, MAX_PRICE);
        uint256 gap = a > ref ? a - ref : ref - a;
        assertEq(RulesLib.distanceBps(a, ref), gap * 10_000 / ref);
        // Symmetric around the reference, and zero only within a bp of it.
        if (a <= ref) assertEq(RulesLib.distanceBps(ref + (ref - a), ref), RulesLib.distanceBps(a, ref));
        assertEq(RulesLib.distanceBps(a, ref) == 0, gap * 10_000 < ref);
    }

    function testFuzz_tolerance_matchesCheckedReference(uint256 price, uint32 bps, uint256 conf, uint32 mult)
        public
        pure
    {
        price = bound(price, 0, MAX_PRICE);
        conf = bound(conf, 0, 2 * MAX_PRICE);
        // The widest factors any configuration can hold (uint32), far beyond the hard bounds.
        assertEq(RulesLib.tolerance(price, bps, conf, mult), price * bps / 10_000 + conf * mult / 10_000);
    }

    function testFuzz_ewma_staysBetweenAndMatchesReference(uint64 avg, uint64 sample, uint16 alphaSeed) public pure {
        uint256 alpha = bound(alphaSeed, 0, 10_000);
        uint256 next = RulesLib.ewma(avg, sample, alpha);
        // Reference in signed, checked arithmetic, rounded toward the old average.
        int256 diff = int256(uint256(sample)) - int256(uint256(avg));
        int256 step = diff * int256(alpha) / 10_000; // Solidity rounds toward zero: toward avg.
        assertEq(next, uint256(int256(uint256(avg)) + step));
        (uint256 lo, uint256 hi) = avg <= sample ? (uint256(avg), uint256(sample)) : (uint256(sample), uint256(avg));
        assertGe(next, lo);
        assertLe(next, hi);
        if (alpha == 0) assertEq(next, avg);
        if (alpha == 10_000) assertEq(next, sample);
    }

    function testFuzz_toWad_matchesReference(uint256 value, uint8 decimals) public pure {
        (uint256 scaled, bool ok) = PriceMathLib.toWad(value, decimals);
        if (decimals > 36) {
            assertFalse(ok);
            return;
        }
        if (decimals <= 18) {
            uint256 factor = 10 ** (18 - decimals);
            bool fits = value <= type(uint256).max / factor;
            assertEq(ok, fits);
            if (fits) assertEq(scaled, value * factor);
        } else {
            assertTrue(ok);
            assertEq(scaled, value / 10 ** (decimals - 18));
        }
    }

    function testFuzz_fromExponent_inverseOfScaling(uint64 mantissa, int32 expo) public pure {
        expo = int32(bound(expo, -36, 18));
        (uint256 scaled, bool ok) = PriceMathLib.fromExponent(mantissa, expo);
        assertTrue(ok);
        if (expo >= -18) {
            // Exact: scaled / 10^(18 + expo) recovers the mantissa.
            assertEq(scaled / 10 ** uint32(int32(18) + expo), mantissa);
        } else {
            assertEq(scaled, mantissa / 10 ** uint32(-expo - 18));
        }
    }

    function testFuzz_fromExponent_rejectsOutOfRange(uint64 mantissa, int32 expo) public pure {
        vm.assume(expo > 18 || expo < -36);
        (, bool ok) = PriceMathLib.fromExponent(mantissa, expo);
        assertFalse(ok);
    }

    function testFuzz_stateCodec_roundTrips(RulesLib.MarketState memory s) public pure {
        RulesLib.MarketState memory back = StateCodecLib.unpack(StateCodecLib.pack(s));
        assertEq(abi.encode(back), abi.encode(s));
    }

    /// The horizon the guard tells its listeners is exact: between two changes of a market's machines, "paused at
    /// time t" is "t below the horizon", for liquidations and for borrows (which a live liquidation pause also stops,
    /// but not the liquidation machine's post-recovery grace).
    function testFuzz_horizon_matchesIsPaused(
        RulesLib.PauseState memory liq,
        RulesLib.PauseState memory borrow,
        uint40 nowTs
    ) public pure {
        liq.status = uint8(bound(liq.status, 0, RulesLib.STATUS_EXPIRED));
        borrow.status = uint8(bound(borrow.status, 0, RulesLib.STATUS_EXPIRED));
        (uint40 liqUntil, uint40 borrowUntil) =
            StateCodecLib.horizon(StateCodecLib.packPause(liq), StateCodecLib.packPause(borrow));
        assertEq(RulesLib.isPaused(liq, nowTs), nowTs < liqUntil, "liquidation horizon");
        bool liqLive = (liq.status == RulesLib.STATUS_TRIPPED || liq.status == RulesLib.STATUS_RECOVERING)
            && nowTs < liq.expiresAt;
        bool borrowAllowed = !liqLive && !RulesLib.isPaused(borrow, nowTs);
        assertEq(borrowAllowed, nowTs >= borrowUntil, "borrow horizon");
    }

    function testFuzz_configCodec_roundTrips(
        RulesLib.MarketConfig memory c,
        address[8] memory sources,
        uint32[8] memory maxAges,
        uint8 countSeed
    ) public view {
        uint256 n = bound(countSeed, 1, RulesLib.MAX_SOURCES);
        c.sources = new RulesLib.SourceConfig[](n);
        for (uint256 i; i < n; ++i) {
            c.sources[i] = RulesLib.SourceConfig({source: sources[i], maxAge: maxAges[i]});
        }
        bytes memory packed = this.encodeConfig(c);
        assertEq(packed.length, (2 + n) * 32, "two header words and one per source");
        // Every field, at its full width, comes back: compare with the ABI encoding of the original.
        assertEq(abi.encode(ConfigCodecLib.decode(packed)), abi.encode(c));
    }

    function encodeConfig(RulesLib.MarketConfig calldata c) external pure returns (bytes memory) {
        return ConfigCodecLib.encode(c);
    }

    function decodeConfig(bytes memory data) external pure returns (RulesLib.MarketConfig memory) {
        return ConfigCodecLib.decode(data);
    }

    function testFuzz_configCodec_rejectsMalformedLengths(uint16 length) public {
        uint256 len = bound(length, 0, 12 * 32);
        vm.assume(len % 32 != 0 || len < 3 * 32 || len > 10 * 32);
        vm.expectRevert(abi.encodeWithSelector(ConfigCodecLib.ConfigCodecMalformed.selector, len));
        this.decodeConfig(new bytes(len));
    }

    function testFuzz_configStore_roundTrips(bytes memory data) public {
        vm.assume(data.length < 20_000);
        address pointer = ConfigStoreLib.write(data);
        assertEq(ConfigStoreLib.read(pointer), data);
        // The blob starts with STOP: calling it does nothing and returns nothing.
        (bool ok, bytes memory ret) = pointer.call("");
        assertTrue(ok);
        assertEq(ret.length, 0);
    }

    function testFuzz_validate_neverReverts(IPriceSource.Reading memory r, uint32 maxAge, uint40 nowTs) public pure {
        uint8 fault = RulesLib.validate(r, maxAge, nowTs);
        assertLe(fault, RulesLib.MAX_FAULT);
        if (fault == RulesLib.FAULT_NONE) {
            assertGt(r.price, 0);
            assertLe(r.price, MAX_PRICE);
            assertLt(r.conf, r.price);
            assertLe(r.observedAt, nowTs);
            assertLe(nowTs - r.observedAt, maxAge);
        }
    }
}
