// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Test} from "forge-std/Test.sol";

import {IPriceSource} from "../../../contracts/interfaces/IPriceSource.sol";
import {RulesLib} from "../../../contracts/libraries/RulesLib.sol";
import {MarketDefaults} from "../../helpers/MarketDefaults.sol";

/// @notice Fuzz tests of `RulesLib.evaluate` as a whole: whatever the sources report, the rules neither revert nor
/// leave the consensus, the band or the statistics out of their ranges (the rules compute unchecked where their
/// operands are bounded: these hold the bounds to account).
contract RulesFuzzTest is Test {
    uint256 internal constant PRICE = 2_000e18;
    uint256 internal constant START = 1_700_000_000;

    /// @dev The documented defaults over three sources (placeholders: the rules only index them), the first primary.
    function _config() internal pure returns (RulesLib.MarketConfig memory) {
        address[] memory sources = new address[](3);
        for (uint256 i; i < 3; ++i) {
            sources[i] = address(uint160(i + 1));
        }
        return MarketDefaults.config(sources, 0);
    }

    /// @dev Half the runs near the market price (deep in the rules), half anywhere in uint256 (faults and extremes).
    function _reading(uint256[5] memory raw, bool near, uint256 nowTs) internal pure returns (IPriceSource.Reading memory r) {
        if (near) {
            r.price = bound(raw[0], PRICE / 2, PRICE * 2);
            r.conf = bound(raw[1], 0, PRICE / 50);
            r.spot = raw[2] % 2 == 0 ? 0 : bound(raw[2], PRICE / 2, PRICE * 2);
            r.observedAt = bound(raw[3], nowTs - 2 hours, nowTs + 1);
            r.fault = raw[4] % 8 == 0 ? raw[4] % 16 : 0;
        } else {
            r = IPriceSource.Reading({price: raw[0], conf: raw[1], spot: raw[2], observedAt: raw[3], fault: raw[4]});
        }
    }

    function _fresh() internal pure returns (RulesLib.MarketState memory s) {
        s.liquidation.status = RulesLib.STATUS_NORMAL;
        s.borrow.status = RulesLib.STATUS_NORMAL;
        s.bandHigh = type(uint128).max;
    }

    function testFuzz_evaluate_boundedForAnyReadings(
        uint256[5][3] memory first,
        uint256[5][3] memory second,
        uint8 nearMask,
        uint32 gap
    ) public pure {
        RulesLib.MarketConfig memory cfg = _config();
        RulesLib.MarketState memory state = _fresh();
        uint256 t = START;
        for (uint256 round; round < 2; ++round) {
            IPriceSource.Reading[] memory readings = new IPriceSource.Reading[](3);
            for (uint256 i; i < 3; ++i) {
                readings[i] = _reading(round == 0 ? first[i] : second[i], (nearMask >> (i + 3 * round)) & 1 == 1, t);
            }
            RulesLib.Sequencer memory seq;
            RulesLib.Evaluation memory ev = RulesLib.evaluate(cfg, state, readings, seq, t);
            _checkBounds(ev, state, readings);
            t += bound(gap, 1, 1 days);
        }
    }

    function _checkBounds(
        RulesLib.Evaluation memory ev,
        RulesLib.MarketState memory state,
        IPriceSource.Reading[] memory readings
    ) internal pure {
        uint256 lowest = type(uint256).max;
        uint256 highest;
        for (uint256 i; i < readings.length; ++i) {
            if (((ev.invalidMask | ev.uninformativeMask | ev.outlierMask) >> i) & 1 == 1) continue;
            uint256 p = readings[i].price;
            assertLe(p, RulesLib.MAX_PRICE, "a kept price is within MAX_PRICE");
            if (p < lowest) lowest = p;
            if (p > highest) highest = p;
        }
        if (ev.consensus != 0) {
            assertGe(ev.consensus, lowest, "consensus within the kept prices");
            assertLe(ev.consensus, highest, "consensus within the kept prices");
            assertLe(ev.bandLow, ev.consensus, "band below the consensus");
            assertGe(ev.bandHigh, ev.consensus, "band above the consensus");
        } else {
            assertEq(ev.bandLow, 0, "no consensus: the band lets nothing through");
            assertEq(ev.bandHigh, type(uint128).max, "no consensus: the band lets nothing through");
        }
        assertLe(state.shortVar, RulesLib.WAD, "a clipped return's variance is at most 100%^2");
        assertLe(state.longVar, RulesLib.WAD, "a clipped return's variance is at most 100%^2");
        assertTrue(ev.reasons & ~RulesLib.EVALUATED_REASONS == 0, "only evaluated reasons");
    }
}
