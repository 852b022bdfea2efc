// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {TimelockController} from "@openzeppelin/contracts/governance/TimelockController.sol";
import {IAccessControl} from "@openzeppelin/contracts/access/IAccessControl.sol";

import {GuardTestBase} from "../helpers/GuardTestBase.sol";
import {TripwireGuard} from "../../contracts/TripwireGuard.sol";
import {ITripwireGuard} from "../../contracts/interfaces/ITripwireGuard.sol";
import {IPriceSource} from "../../contracts/interfaces/IPriceSource.sol";
import {ITripwireListener} from "../../contracts/interfaces/ITripwireListener.sol";
import {IAggregatorV3} from "../../contracts/interfaces/external/IAggregatorV3.sol";
import {RulesLib} from "../../contracts/libraries/RulesLib.sol";
import {MockAggregator} from "../../contracts/mocks/MockAggregator.sol";
import {MockSource} from "../../contracts/mocks/MockSource.sol";

contract TripwireGuardTest is GuardTestBase {
    /*//////////////////////////////////////////////////////////////
                          GOVERNANCE AND CONFIG
    //////////////////////////////////////////////////////////////*/

    function test_constructor_revertsIfDelayTooShort() public {
        address[] memory roles = new address[](1);
        roles[0] = address(this);
        TimelockController quick = new TimelockController(10 minutes, roles, roles, address(0));
        vm.expectRevert(
            abi.encodeWithSelector(ITripwireGuard.GuardGovernanceDelayTooShort.selector, 10 minutes, 1 hours)
        );
        new TripwireGuard(address(quick), guardian, IAggregatorV3(address(0)), 0);
    }

    function test_setMarket_revertsIfNotGovernance() public {
        RulesLib.MarketConfig memory cfg = _config(_threeSources(), 0);
        vm.expectRevert(
            abi.encodeWithSelector(ITripwireGuard.GuardNotGovernance.selector, address(this), address(timelock))
        );
        guard.setMarket(asset, cfg);
        vm.prank(guardian);
        vm.expectRevert(
            abi.encodeWithSelector(ITripwireGuard.GuardNotGovernance.selector, guardian, address(timelock))
        );
        guard.setMarket(asset, cfg);
    }

    function test_setMarket_listsAndEmits() public {
        RulesLib.MarketConfig memory cfg = _listDefault();
        address[] memory listed = guard.markets();
        assertEq(listed.length, 1);
        assertEq(listed[0], asset);
        RulesLib.MarketConfig memory stored = guard.marketConfig(asset);
        assertEq(abi.encode(stored), abi.encode(cfg));
        assertTrue(guard.isLiquidationAllowed(asset));
        assertTrue(guard.isBorrowAllowed(asset));
        (uint256 low, uint256 high) = guard.credibleBand(asset);
        assertEq(low, 0);
        assertEq(high, type(uint128).max);
        // Reconfiguring keeps the listing single.
        cfg.maxDeviationBps = 400;
        _setMarket(asset, cfg);
        assertEq(guard.markets().length, 1);
        assertEq(guard.marketConfig(asset).maxDeviationBps, 400);
    }

    function test_setMarket_revertsIfOutOfBounds() public {
        RulesLib.MarketConfig memory cfg = _config(_threeSources(), 0);
        cfg.quorum = 4;
        _expectConfigRevert(cfg, ITripwireGuard.Field.Quorum, 4, 1, 3);
        cfg = _config(_threeSources(), 0);
        cfg.outlierBps = 6_000;
        _expectConfigRevert(cfg, ITripwireGuard.Field.OutlierBps, 6_000, 1, 5_000);
        cfg = _config(_threeSources(), 0);
        cfg.grace = 5 hours;
        _expectConfigRevert(cfg, ITripwireGuard.Field.Grace, 5 hours, 0, 4 hours);
        cfg = _config(_threeSources(), 0);
        cfg.maxPause = 1 minutes;
        _expectConfigRevert(cfg, ITripwireGuard.Field.MaxPause, 1 minutes, 10 minutes, 3 days);
        cfg = _config(_threeSources(), 0);
        cfg.longAlphaBps = 3_000;
        _expectConfigRevert(cfg, ITripwireGuard.Field.LongAlphaBps, 3_000, 1, 2_000);
        cfg = _config(_threeSources(), 0);
        cfg.primary = 3;
        _expectConfigRevert(cfg, ITripwireGuard.Field.Primary, 3, 0, 2);
        cfg = _config(_threeSources(), 0);
        cfg.sources[1].maxAge = 0;
        _expectConfigRevert(cfg, ITripwireGuard.Field.MaxAge, 0, 1, 7 days);
        cfg = _config(_threeSources(), 0);
        cfg.varianceThreshold = 1;
        _expectConfigRevert(cfg, ITripwireGuard.Field.VarianceThreshold, 1, 1e8, 1e18);
        cfg = _config(_threeSources(), 0);
        cfg.liquidationMask = RulesLib.REASON_GUARDIAN;
        _expectConfigRevert(cfg, ITripwireGuard.Field.LiquidationMask, RulesLib.REASON_GUARDIAN, 0, 1023);
        cfg = _config(new address[](0), RulesLib.NO_PRIMARY);
        _expectConfigRevert(cfg, ITripwireGuard.Field.SourceCount, 0, 1, 8);
    }

    function test_setMarket_revertsIfBadSource() public {
        address[] memory sources = _threeSources();
        sources[2] = address(second);
        RulesLib.MarketConfig memory cfg = _config(sources, 0);
        bytes memory call = abi.encodeCall(guard.setMarket, (asset, cfg));
        bytes32 salt = keccak256("dup");
        timelock.schedule(address(guard), 0, call, bytes32(0), salt, DELAY);
        _skip(DELAY);
        vm.expectRevert(abi.encodeWithSelector(ITripwireGuard.GuardDuplicateSource.selector, 2, address(second)));
        timelock.execute(address(guard), 0, call, bytes32(0), salt);

        sources[2] = makeAddr("eoa");
        cfg = _config(sources, 0);
        call = abi.encodeCall(guard.setMarket, (asset, cfg));
        timelock.schedule(address(guard), 0, call, bytes32(0), salt, DELAY);
        _skip(DELAY);
        vm.expectRevert(abi.encodeWithSelector(ITripwireGuard.GuardInvalidSource.selector, 2, sources[2]));
        timelock.execute(address(guard), 0, call, bytes32(0), salt);
    }

    function test_setSequencer_revertsIfGraceTooLong() public {
        bytes memory call = abi.encodeCall(guard.setSequencer, (IAggregatorV3(address(1)), uint32(5 hours)));
        bytes32 salt = keccak256("seq");
        timelock.schedule(address(guard), 0, call, bytes32(0), salt, DELAY);
        _skip(DELAY);
        vm.expectRevert(
            abi.encodeWithSelector(
                ITripwireGuard.GuardParameterOutOfBounds.selector,
                ITripwireGuard.Field.SequencerGrace,
                5 hours,
                0,
                4 hours
            )
        );
        timelock.execute(address(guard), 0, call, bytes32(0), salt);
    }

    function test_views_revertIfUnknownMarket() public {
        address unknown = makeAddr("unknown");
        vm.expectRevert(abi.encodeWithSelector(ITripwireGuard.GuardUnknownMarket.selector, unknown));
        guard.isLiquidationAllowed(unknown);
        vm.expectRevert(abi.encodeWithSelector(ITripwireGuard.GuardUnknownMarket.selector, unknown));
        guard.isBorrowAllowed(unknown);
        vm.expectRevert(abi.encodeWithSelector(ITripwireGuard.GuardUnknownMarket.selector, unknown));
        guard.poke(unknown);
        vm.expectRevert(abi.encodeWithSelector(ITripwireGuard.GuardUnknownMarket.selector, unknown));
        guard.credibleBand(unknown);
        vm.expectRevert(abi.encodeWithSelector(ITripwireGuard.GuardUnknownMarket.selector, unknown));
        guard.marketConfig(unknown);
    }

    /*//////////////////////////////////////////////////////////////
                        EVIDENCE AGAINST THE PRIMARY
    //////////////////////////////////////////////////////////////*/

    function test_poke_normal_noReasons() public {
        _listDefault();
        assertEq(guard.poke(asset), 0);
        assertTrue(guard.isLiquidationAllowed(asset));
        assertTrue(guard.isBorrowAllowed(asset));
        (uint256 low, uint256 high) = guard.credibleBand(asset);
        assertEq(low, PRICE);
        assertEq(high, PRICE);
    }

    function test_poke_corruptSecondary_isOutvotedAndDropped() public {
        _listDefault();
        guard.poke(asset);
        third.setPrice(PRICE * 3);
        vm.expectEmit(true, false, false, true, address(guard));
        emit ITripwireGuard.SourcesExcluded(asset, 0, 0, 1 << 2, 0, PRICE);
        uint16 reasons = guard.poke(asset);
        assertEq(reasons, 0);
        assertTrue(guard.isLiquidationAllowed(asset));
        assertTrue(guard.isBorrowAllowed(asset));
        (RulesLib.Evaluation memory ev,) = guard.evaluate(asset);
        assertEq(ev.consensus, PRICE);
        assertEq(ev.outlierMask, 1 << 2);
        (uint256 low, uint256 high) = guard.credibleBand(asset);
        assertEq(low, PRICE);
        assertEq(high, PRICE);
    }

    function test_poke_corruptPrimary_tripsWithReasons() public {
        _listDefault();
        guard.poke(asset);
        primary.setPrice(PRICE * 80 / 100);
        vm.expectEmit(true, true, false, true, address(guard));
        emit ITripwireGuard.PauseStatusChanged(
            asset,
            ITripwireGuard.PauseKind.Liquidation,
            RulesLib.STATUS_NORMAL,
            RulesLib.STATUS_TRIPPED,
            RulesLib.REASON_PRIMARY_CONTRADICTED | RulesLib.REASON_UNCORROBORATED,
            PRICE,
            PRICE * 80 / 100,
            0,
            uint40(block.timestamp + 6 hours)
        );
        uint16 reasons = guard.poke(asset);
        assertTrue(reasons & RulesLib.REASON_PRIMARY_CONTRADICTED != 0);
        assertFalse(guard.isLiquidationAllowed(asset));
        assertFalse(guard.isBorrowAllowed(asset));
        assertEq(_liqStatus(), RulesLib.STATUS_TRIPPED);
        // The band excludes the outlying primary: an integration can still liquidate what is underwater at 2,000.
        (uint256 low, uint256 high) = guard.credibleBand(asset);
        assertEq(low, PRICE);
        assertEq(high, PRICE);
    }

    function test_poke_primaryJustBeyondDeviation_trips() public {
        _listDefault();
        primary.setPrice(PRICE * 10_350 / 10_000); // 3.5%: not an outlier (5%), but beyond max deviation (3%)
        uint16 reasons = guard.poke(asset);
        assertTrue(reasons & RulesLib.REASON_PRIMARY_CONTRADICTED != 0);
        assertFalse(guard.isLiquidationAllowed(asset));
    }

    function test_poke_confidenceWidensTolerance() public {
        _listDefault();
        // The primary is 4% off, but the secondaries are uncertain by 1.5% each: within 3% + 1.5%.
        primary.setPrice(PRICE * 104 / 100);
        second.setReading(_reading(PRICE, PRICE * 15 / 1000, 0, block.timestamp));
        third.setReading(_reading(PRICE, PRICE * 15 / 1000, 0, block.timestamp));
        uint16 reasons = guard.poke(asset);
        assertEq(reasons & RulesLib.REASON_PRIMARY_CONTRADICTED, 0);
        assertTrue(guard.isLiquidationAllowed(asset));
    }

    function test_poke_stalePrimary_trips() public {
        _listDefault();
        _skip(2 hours);
        second.setPrice(PRICE);
        third.setPrice(PRICE);
        uint16 reasons = guard.poke(asset);
        assertTrue(reasons & RulesLib.REASON_PRIMARY_INVALID != 0);
        assertFalse(guard.isLiquidationAllowed(asset));
        RulesLib.MarketState memory state = guard.marketState(asset);
        assertEq(state.invalidMask, 1);
        assertEq(state.faults & 0xf, RulesLib.FAULT_STALE);
    }

    function test_poke_laggingTwap_secondaryUninformative_primaryInvalid() public {
        _listDefault();
        // A TWAP secondary lagging its spot by 10% is left out of the vote, not counted against anyone.
        third.setReading(_reading(PRICE, 0, PRICE * 90 / 100, block.timestamp));
        uint16 reasons = guard.poke(asset);
        assertEq(reasons, 0);
        assertEq(guard.marketState(asset).uninformativeMask, 1 << 2);
        // As the primary, the same lag makes it invalid.
        primary.setReading(_reading(PRICE, 0, PRICE * 90 / 100, block.timestamp));
        reasons = guard.poke(asset);
        assertTrue(reasons & RulesLib.REASON_PRIMARY_INVALID != 0);
        assertEq(guard.marketState(asset).faults & 0xf, RulesLib.FAULT_LAGGING);
    }

    function test_poke_quorumLost_afterBound() public {
        _listDefault();
        second.setMode(MockSource.Mode.Revert);
        third.setMode(MockSource.Mode.Revert);
        uint16 reasons = guard.poke(asset);
        // A short loss of corroboration is stress: borrows stop, liquidations continue.
        assertEq(reasons, RulesLib.REASON_UNCORROBORATED);
        assertTrue(guard.isLiquidationAllowed(asset));
        assertFalse(guard.isBorrowAllowed(asset));
        _skip(30 minutes);
        primary.setPrice(PRICE);
        reasons = guard.poke(asset);
        assertEq(reasons, RulesLib.REASON_QUORUM_LOST);
        assertFalse(guard.isLiquidationAllowed(asset));
        // Corroboration back: the clock resets.
        second.setMode(MockSource.Mode.Honest);
        second.setPrice(PRICE);
        reasons = guard.poke(asset);
        assertEq(reasons, 0);
        assertEq(guard.marketState(asset).uncorroboratedSince, 0);
    }

    function test_poke_twoSources_secondaryAloneCannotContradict() public {
        address[] memory sources = new address[](2);
        sources[0] = address(primary);
        sources[1] = address(second);
        _setMarket(asset, _config(sources, 0));
        primary.setPrice(PRICE);
        second.setPrice(PRICE * 2);
        uint16 reasons = guard.poke(asset);
        assertEq(reasons & RulesLib.REASON_PRIMARY_CONTRADICTED, 0);
        assertTrue(guard.isLiquidationAllowed(asset));
    }

    function test_poke_consensusMarket_dispersionIsEvidence() public {
        _setMarket(asset, _config(_threeSources(), RulesLib.NO_PRIMARY));
        _setAll(PRICE);
        assertEq(guard.poke(asset), 0);
        // One source 4% off: a quorum (two) still agrees with the median. Nothing trips.
        third.setPrice(PRICE * 104 / 100);
        assertEq(guard.poke(asset), 0);
        assertTrue(guard.isLiquidationAllowed(asset));
        // A split: 96, 100, 104. Nobody is an outlier (5%), and only the median agrees with itself.
        second.setPrice(PRICE * 96 / 100);
        uint16 reasons = guard.poke(asset);
        assertTrue(reasons & RulesLib.REASON_DISPERSION != 0);
        assertFalse(guard.isLiquidationAllowed(asset));
        (RulesLib.Evaluation memory ev,) = guard.evaluate(asset);
        assertEq(ev.dispersionBps, 400);
    }

    function test_poke_primaryMarket_dispersionIsBorrowOnly() public {
        _listDefault();
        second.setPrice(PRICE * 96 / 100);
        third.setPrice(PRICE * 104 / 100);
        primary.setPrice(PRICE * 1005 / 1000);
        uint16 reasons = guard.poke(asset);
        assertTrue(reasons & RulesLib.REASON_DISPERSION != 0);
        assertTrue(guard.isLiquidationAllowed(asset));
        assertFalse(guard.isBorrowAllowed(asset));
    }

    /*//////////////////////////////////////////////////////////////
                               STRESS
    //////////////////////////////////////////////////////////////*/

    function test_poke_honestCrash_keepsLiquidating() public {
        // 40% over two hours in five-minute steps, then 40% in thirty minutes. The TWAP lags (left out of the vote),
        // the Pyth-like source's confidence widens.
        _crash(24, 979);
        _crash(6, 918);
    }

    function test_poke_fastHonestCrash_pausesBorrowsOnly() public {
        assertTrue(_crash(6, 918), "variance should have paused borrows");
    }

    function _crash(uint256 steps, uint256 stepPerMille) internal returns (bool borrowPaused) {
        _listDefault();
        guard.poke(asset);
        uint256 price = PRICE;
        for (uint256 i; i < steps; ++i) {
            _skip(5 minutes);
            price = price * stepPerMille / 1000;
            primary.setPrice(price);
            second.setReading(_reading(price * 1005 / 1000, price / 50, 0, block.timestamp));
            third.setReading(_reading(price * 103 / 100, 0, price, block.timestamp));
            guard.poke(asset);
            assertTrue(guard.isLiquidationAllowed(asset), "liquidations paused in an honest crash");
            if (!guard.isBorrowAllowed(asset)) borrowPaused = true;
        }
    }

    function test_poke_jump_isBorrowOnly() public {
        _listDefault();
        guard.poke(asset);
        _skip(1 minutes);
        _setAll(PRICE * 85 / 100);
        uint16 reasons = guard.poke(asset);
        assertTrue(reasons & RulesLib.REASON_JUMP != 0);
        assertTrue(guard.isLiquidationAllowed(asset));
        assertFalse(guard.isBorrowAllowed(asset));
        assertEq(_borrowStatus(), RulesLib.STATUS_TRIPPED);
    }

    function test_poke_manyPokesInOneBlock_cannotPoisonStatistics() public {
        _listDefault();
        guard.poke(asset);
        RulesLib.MarketState memory before = guard.marketState(asset);
        // A hundred pokes with swinging prices within one interval leave the statistics untouched.
        for (uint256 i; i < 100; ++i) {
            _setAll(i % 2 == 0 ? PRICE * 110 / 100 : PRICE * 90 / 100);
            guard.poke(asset);
        }
        RulesLib.MarketState memory after_ = guard.marketState(asset);
        assertEq(after_.shortVar, before.shortVar);
        assertEq(after_.refPrice, before.refPrice);
        assertEq(after_.statsAt, before.statsAt);
    }

    function test_poke_returnIsClipped() public {
        _listDefault();
        guard.poke(asset);
        _skip(5 minutes);
        _setAll(PRICE * 10); // +900%
        guard.poke(asset);
        RulesLib.MarketState memory state = guard.marketState(asset);
        // Clip 20% -> sample 0.04 WAD, which seeds both horizons.
        assertEq(state.shortVar, 0.04e18);
        assertEq(state.longVar, 0.04e18);
        _skip(5 minutes);
        _setAll(PRICE * 100); // +900% again: clipped again; short alpha 20%, long 1% of the same sample.
        guard.poke(asset);
        state = guard.marketState(asset);
        assertEq(state.shortVar, 0.04e18);
        assertEq(state.longVar, 0.04e18);
    }

    function test_poke_regimeShift() public {
        RulesLib.MarketConfig memory cfg = _config(_threeSources(), 0);
        cfg.regimeRatioBps = 40_000; // 4x
        cfg.regimeWarmup = 5;
        cfg.varianceThreshold = 0;
        cfg.jumpBps = 0;
        _setMarket(asset, cfg);
        uint256 price = PRICE;
        for (uint256 i; i < 10; ++i) {
            _skip(5 minutes);
            price = i % 2 == 0 ? price * 1002 / 1000 : price * 998 / 1000;
            _setAll(price);
            assertEq(guard.poke(asset) & RulesLib.REASON_REGIME, 0);
        }
        _skip(5 minutes);
        _setAll(price * 105 / 100);
        assertTrue(guard.poke(asset) & RulesLib.REASON_REGIME != 0);
        assertTrue(guard.isLiquidationAllowed(asset));
        assertFalse(guard.isBorrowAllowed(asset));
    }

    function test_poke_optInVarianceStopsLiquidations() public {
        RulesLib.MarketConfig memory cfg = _config(_threeSources(), 0);
        cfg.liquidationMask |= RulesLib.REASON_VARIANCE;
        _setMarket(asset, cfg);
        _setAll(PRICE);
        guard.poke(asset);
        _skip(5 minutes);
        _setAll(PRICE * 120 / 100);
        guard.poke(asset);
        assertFalse(guard.isLiquidationAllowed(asset));
    }

    /*//////////////////////////////////////////////////////////////
                             STATE MACHINE
    //////////////////////////////////////////////////////////////*/

    function test_recovery_minPauseStreakSpacingGrace() public {
        _listDefault();
        primary.setPrice(PRICE / 2);
        guard.poke(asset);
        assertEq(_liqStatus(), RulesLib.STATUS_TRIPPED);
        primary.setPrice(PRICE);
        // Healthy, but before the minimum pause: still tripped.
        guard.poke(asset);
        assertEq(_liqStatus(), RulesLib.STATUS_TRIPPED);
        _skip(10 minutes);
        _setAll(PRICE);
        guard.poke(asset);
        assertEq(_liqStatus(), RulesLib.STATUS_RECOVERING);
        assertFalse(guard.isLiquidationAllowed(asset));
        // Pokes closer than the spacing do not count.
        guard.poke(asset);
        guard.poke(asset);
        assertEq(guard.marketState(asset).liquidation.streak, 1);
        _skip(1 minutes);
        guard.poke(asset);
        assertEq(guard.marketState(asset).liquidation.streak, 2);
        // A violation during recovery starts over.
        primary.setPrice(PRICE / 2);
        guard.poke(asset);
        assertEq(_liqStatus(), RulesLib.STATUS_TRIPPED);
        primary.setPrice(PRICE);
        for (uint256 i; i < 3; ++i) {
            _skip(1 minutes);
            _setAll(PRICE);
            guard.poke(asset);
        }
        assertEq(_liqStatus(), RulesLib.STATUS_NORMAL);
        // Grace: borrowers may top up before liquidations resume; borrows are open again.
        assertFalse(guard.isLiquidationAllowed(asset));
        assertTrue(guard.isBorrowAllowed(asset));
        _skip(15 minutes);
        assertTrue(guard.isLiquidationAllowed(asset));
    }

    function test_expiry_pauseIsBounded() public {
        _listDefault();
        primary.setPrice(PRICE / 2);
        guard.poke(asset);
        assertFalse(guard.isLiquidationAllowed(asset));
        // Evidence persists past the max pause: liquidations resume even before anyone pokes.
        _skip(6 hours);
        assertTrue(guard.isLiquidationAllowed(asset));
        _setAll(PRICE);
        primary.setPrice(PRICE / 2);
        vm.expectEmit(true, true, false, false, address(guard));
        emit ITripwireGuard.PauseStatusChanged(
            asset, ITripwireGuard.PauseKind.Liquidation, RulesLib.STATUS_TRIPPED, RulesLib.STATUS_EXPIRED, 0, 0, 0, 0, 0
        );
        guard.poke(asset);
        assertEq(_liqStatus(), RulesLib.STATUS_EXPIRED);
        assertTrue(guard.isLiquidationAllowed(asset));
        // Still expired while the evidence persists: pokes cannot re-trip it.
        _skip(1 hours);
        _setAll(PRICE);
        primary.setPrice(PRICE / 2);
        guard.poke(asset);
        assertEq(_liqStatus(), RulesLib.STATUS_EXPIRED);
        // A guardian can.
        vm.prank(guardian);
        guard.guardianPause(asset, "INC-42");
        assertFalse(guard.isLiquidationAllowed(asset));
        // Evidence clears: the guardian's hold stays until cleared.
        _setAll(PRICE);
        guard.poke(asset);
        assertEq(_liqStatus(), RulesLib.STATUS_TRIPPED);
    }

    function test_expired_returnsToNormalWhenHealthy() public {
        _listDefault();
        primary.setPrice(PRICE / 2);
        guard.poke(asset);
        _skip(6 hours);
        _setAll(PRICE);
        primary.setPrice(PRICE / 2);
        guard.poke(asset);
        assertEq(_liqStatus(), RulesLib.STATUS_EXPIRED);
        _setAll(PRICE);
        guard.poke(asset);
        assertEq(_liqStatus(), RulesLib.STATUS_NORMAL);
        assertTrue(guard.isLiquidationAllowed(asset));
    }

    /*//////////////////////////////////////////////////////////////
                                GUARDIAN
    //////////////////////////////////////////////////////////////*/

    function test_guardian_pauseExtendClear() public {
        _listDefault();
        vm.prank(guardian);
        vm.expectEmit(true, true, false, true, address(guard));
        emit ITripwireGuard.GuardianPaused(asset, guardian, "INC-1", uint40(block.timestamp + 6 hours));
        guard.guardianPause(asset, "INC-1");
        assertFalse(guard.isLiquidationAllowed(asset));
        assertFalse(guard.isBorrowAllowed(asset));
        assertTrue(guard.marketState(asset).reasons & RulesLib.REASON_GUARDIAN != 0);
        // Healthy evaluations do not recover a held pause.
        _skip(1 hours);
        _setAll(PRICE);
        guard.poke(asset);
        assertEq(_liqStatus(), RulesLib.STATUS_TRIPPED);
        assertTrue(guard.marketState(asset).reasons & RulesLib.REASON_GUARDIAN != 0);

        uint40 expiresAt = guard.marketState(asset).liquidation.expiresAt;
        vm.prank(guardian);
        guard.extendPause(asset, 8 hours);
        assertEq(guard.marketState(asset).liquidation.expiresAt, expiresAt + 8 hours);
        assertEq(guard.marketState(asset).borrow.expiresAt, expiresAt + 8 hours);
        vm.prank(guardian);
        vm.expectRevert(abi.encodeWithSelector(ITripwireGuard.GuardExtensionExceedsCap.selector, 5 hours, 4 hours));
        guard.extendPause(asset, 5 hours);

        vm.prank(guardian);
        guard.clearPause(asset);
        assertEq(_liqStatus(), RulesLib.STATUS_NORMAL);
        assertFalse(guard.isLiquidationAllowed(asset)); // grace
        assertTrue(guard.isBorrowAllowed(asset));
        _skip(15 minutes);
        assertTrue(guard.isLiquidationAllowed(asset));
    }

    function test_guardianPause_onALivePause_startsANewHeldOne() public {
        _listDefault();
        guard.poke(asset);
        primary.setPrice(PRICE * 80 / 100); // Evidence: the primary contradicted.
        guard.poke(asset);
        assertEq(_liqStatus(), RulesLib.STATUS_TRIPPED);
        _skip(2 hours);
        vm.prank(guardian);
        guard.extendPause(asset, 1 hours);

        vm.prank(guardian);
        guard.guardianPause(asset, "INC-2");
        RulesLib.PauseState memory liq = guard.marketState(asset).liquidation;
        assertEq(liq.since, block.timestamp, "a new pause");
        assertEq(liq.expiresAt, block.timestamp + 6 hours, "a new maximum from now");
        assertEq(liq.extended, 0, "a fresh extension budget");
        assertTrue(liq.held);
        // The evidence goes away: the held pause does not recover by itself.
        for (uint256 i; i < 5; ++i) {
            _skip(15 minutes);
            _setAll(PRICE);
            guard.poke(asset);
        }
        assertEq(_liqStatus(), RulesLib.STATUS_TRIPPED);
        assertFalse(guard.isLiquidationAllowed(asset));
    }

    function test_guardian_revertsIfNotGuardian() public {
        _listDefault();
        bytes32 role = guard.GUARDIAN_ROLE();
        vm.expectRevert(
            abi.encodeWithSelector(IAccessControl.AccessControlUnauthorizedAccount.selector, address(this), role)
        );
        guard.guardianPause(asset, "x");
        vm.expectRevert(
            abi.encodeWithSelector(IAccessControl.AccessControlUnauthorizedAccount.selector, address(this), role)
        );
        guard.extendPause(asset, 1);
        vm.expectRevert(
            abi.encodeWithSelector(IAccessControl.AccessControlUnauthorizedAccount.selector, address(this), role)
        );
        guard.clearPause(asset);
    }

    function test_extendPause_revertsIfNotPaused() public {
        _listDefault();
        vm.prank(guardian);
        vm.expectRevert(
            abi.encodeWithSelector(ITripwireGuard.GuardNotPaused.selector, asset, RulesLib.STATUS_NORMAL)
        );
        guard.extendPause(asset, 1 hours);
    }

    function test_clearPause_revertsIfNothingIsPaused() public {
        _listDefault();
        guard.poke(asset);
        vm.prank(guardian);
        vm.expectRevert(
            abi.encodeWithSelector(ITripwireGuard.GuardNotPaused.selector, asset, RulesLib.STATUS_NORMAL)
        );
        guard.clearPause(asset);
    }

    function test_clearPause_borrowOnlyPauseLeavesLiquidationsRunning() public {
        _listDefault();
        guard.poke(asset);
        _skip(1 minutes);
        _setAll(PRICE * 85 / 100); // An honest jump: borrows pause, liquidations go on.
        guard.poke(asset);
        assertFalse(guard.isBorrowAllowed(asset));
        uint256 graceBefore = guard.marketState(asset).liquidation.graceUntil;

        vm.expectEmit(address(guard));
        emit ITripwireGuard.PauseCleared(asset, guardian, 0);
        vm.prank(guardian);
        guard.clearPause(asset);
        assertTrue(guard.isBorrowAllowed(asset), "the borrow pause is cleared");
        assertTrue(guard.isLiquidationAllowed(asset), "no grace starts for liquidations that never stopped");
        assertEq(guard.marketState(asset).liquidation.graceUntil, graceBefore);
        assertEq(_liqStatus(), RulesLib.STATUS_NORMAL);
        assertEq(_borrowStatus(), RulesLib.STATUS_NORMAL);
    }

    function test_roles_grantedOnlyThroughTimelock() public {
        address newGuardian = makeAddr("new guardian");
        bytes32 role = guard.GUARDIAN_ROLE();
        vm.expectRevert();
        guard.grantRole(role, newGuardian);
        _govern(abi.encodeCall(guard.grantRole, (role, newGuardian)));
        assertTrue(guard.hasRole(role, newGuardian));
    }

    /*//////////////////////////////////////////////////////////////
                               SEQUENCER
    //////////////////////////////////////////////////////////////*/

    function test_sequencer_downAndGrace() public {
        MockAggregator uptime = new MockAggregator(0, 0);
        _govern(abi.encodeCall(guard.setSequencer, (IAggregatorV3(address(uptime)), uint32(1 hours))));
        _listDefault();
        (IAggregatorV3 feed, uint32 grace) = guard.sequencer();
        assertEq(address(feed), address(uptime));
        assertEq(grace, 1 hours);
        // Up for longer than the grace period.
        uptime.setRound(1, 0, block.timestamp - 2 hours, block.timestamp, 1);
        assertEq(guard.poke(asset), 0);
        // Down.
        uptime.setRound(2, 1, block.timestamp, block.timestamp, 2);
        assertEq(guard.poke(asset), RulesLib.REASON_SEQUENCER_DOWN);
        assertFalse(guard.isLiquidationAllowed(asset));
        // Back up, within grace.
        _skip(5 minutes);
        _setAll(PRICE);
        uptime.setRound(3, 0, block.timestamp, block.timestamp, 3);
        assertEq(guard.poke(asset), RulesLib.REASON_SEQUENCER_GRACE);
        // Unreadable feed counts as down.
        uptime.setReverts(true);
        assertEq(guard.poke(asset), RulesLib.REASON_SEQUENCER_DOWN);
    }

    /*//////////////////////////////////////////////////////////////
                                 UPKEEP
    //////////////////////////////////////////////////////////////*/

    function test_upkeep_findsAndPokesDueMarkets() public {
        _listDefault();
        guard.poke(asset);
        (bool needed,) = guard.checkUpkeep("");
        assertFalse(needed);
        primary.setPrice(PRICE / 2);
        bytes memory performData;
        (needed, performData) = guard.checkUpkeep(abi.encode(guard.markets()));
        assertTrue(needed);
        address[] memory due = abi.decode(performData, (address[]));
        assertEq(due.length, 1);
        assertEq(due[0], asset);
        guard.performUpkeep(performData);
        assertFalse(guard.isLiquidationAllowed(asset));
        (needed,) = guard.checkUpkeep("");
        assertFalse(needed);
    }

    function test_scan_matchesCheckUpkeepAndCountsPauses() public {
        _listDefault();
        address other = makeAddr("WBTC");
        _setMarket(other, _config(_threeSources(), 0));
        _setAll(PRICE);
        address[] memory both = new address[](2);
        both[0] = asset;
        both[1] = other;
        guard.pokeMany(both);
        primary.setPrice(PRICE / 2);

        (address[] memory due, uint256 liqPaused, uint256 borrowPaused) = guard.scan("");
        (bool needed, bytes memory performData) = guard.checkUpkeep("");
        assertTrue(needed);
        assertEq(abi.encode(due), performData);
        // Counted from stored state: nothing is paused until somebody pokes.
        assertEq(liqPaused, 0);
        assertEq(borrowPaused, 0);

        guard.performUpkeep(performData);
        (due, liqPaused, borrowPaused) = guard.scan("");
        assertEq(due.length, 0);
        // Both markets read the same primary: both tripped.
        assertEq(liqPaused, 2);
        assertEq(borrowPaused, 2);

        // A shard counts only its own markets. A guardian's clear shows at once: borrows resume, liquidations wait
        // for the grace, as isBorrowAllowed and isLiquidationAllowed say.
        vm.prank(guardian);
        guard.clearPause(other);
        address[] memory shard = new address[](1);
        shard[0] = other;
        (, liqPaused, borrowPaused) = guard.scan(abi.encode(shard));
        assertEq(liqPaused, guard.isLiquidationAllowed(other) ? 0 : 1);
        assertEq(liqPaused, 1);
        assertEq(borrowPaused, guard.isBorrowAllowed(other) ? 0 : 1);
        assertEq(borrowPaused, 0);
        (, liqPaused, borrowPaused) = guard.scan("");
        assertEq(liqPaused, 2);
        assertEq(borrowPaused, 1);
    }

    function test_upkeep_trustsNothingInPerformData() public {
        _listDefault();
        guard.poke(asset);
        // Claiming a healthy market is due changes nothing.
        address[] memory claim = new address[](1);
        claim[0] = asset;
        guard.performUpkeep(abi.encode(claim));
        assertTrue(guard.isLiquidationAllowed(asset));
        vm.expectRevert(abi.encodeWithSelector(ITripwireGuard.GuardMalformedUpkeepData.selector, 4));
        guard.performUpkeep(hex"deadbeef");
        claim[0] = makeAddr("unknown");
        vm.expectRevert(abi.encodeWithSelector(ITripwireGuard.GuardUnknownMarket.selector, claim[0]));
        guard.performUpkeep(abi.encode(claim));
    }

    function test_pokeMany_pokesEach() public {
        _listDefault();
        address other = makeAddr("WBTC");
        _setMarket(other, _config(_threeSources(), 0));
        _setAll(PRICE);
        primary.setPrice(PRICE / 2);
        address[] memory both = new address[](2);
        both[0] = asset;
        both[1] = other;
        guard.pokeMany(both);
        assertFalse(guard.isLiquidationAllowed(asset));
        assertFalse(guard.isLiquidationAllowed(other));
    }

    /*//////////////////////////////////////////////////////////////
                          ADVERSARIAL SOURCE ZOO
    //////////////////////////////////////////////////////////////*/

    function test_zoo_noSourceCanRevertOrStarvePoke() public {
        _listDefault();
        MockSource.Mode[5] memory modes = [
            MockSource.Mode.Revert,
            MockSource.Mode.BurnGas,
            MockSource.Mode.HugeReturn,
            MockSource.Mode.ShortReturn,
            MockSource.Mode.Empty
        ];
        uint8[5] memory faults = [
            RulesLib.FAULT_REVERTED,
            RulesLib.FAULT_REVERTED,
            RulesLib.FAULT_MALFORMED,
            RulesLib.FAULT_MALFORMED,
            RulesLib.FAULT_MALFORMED
        ];
        for (uint256 i; i < modes.length; ++i) {
            third.setMode(modes[i]);
            uint256 before = gasleft();
            uint16 reasons = guard.poke{gas: 1_000_000}(asset);
            uint256 used = before - gasleft();
            assertEq(reasons, 0, "a broken secondary tripped the guard");
            assertLt(used, 400_000, "a source consumed unbounded gas");
            assertEq((guard.marketState(asset).faults >> 8) & 0xf, faults[i]);
        }
        third.setMode(MockSource.Mode.Honest);
    }

    function test_zoo_badValuesAreFaults() public {
        _listDefault();
        IPriceSource.Reading[7] memory bad = [
            _reading(0, 0, 0, block.timestamp), // zero
            _reading(1e37, 0, 0, block.timestamp), // absurd
            _reading(PRICE, 0, 0, block.timestamp + 1), // future
            _reading(PRICE, 0, 0, block.timestamp - 2 hours), // stale
            _reading(PRICE, 0, 0, 0), // never updated
            _reading(PRICE, PRICE, 0, block.timestamp), // confidence as wide as the price
            _reading(PRICE, 0, 1e37, block.timestamp) // absurd spot
        ];
        uint8[7] memory faults = [
            RulesLib.FAULT_NON_POSITIVE,
            RulesLib.FAULT_ABSURD,
            RulesLib.FAULT_FUTURE,
            RulesLib.FAULT_STALE,
            RulesLib.FAULT_STALE,
            RulesLib.FAULT_CONFIDENCE,
            RulesLib.FAULT_ABSURD
        ];
        for (uint256 i; i < bad.length; ++i) {
            third.setReading(bad[i]);
            assertEq(guard.poke(asset), 0);
            assertEq((guard.marketState(asset).faults >> 8) & 0xf, faults[i]);
            assertEq(guard.marketState(asset).invalidMask, 1 << 2);
        }
        // An unknown fault code is malformed.
        IPriceSource.Reading memory r = _reading(PRICE, 0, 0, block.timestamp);
        r.fault = 200;
        third.setReading(r);
        guard.poke(asset);
        assertEq((guard.marketState(asset).faults >> 8) & 0xf, RulesLib.FAULT_MALFORMED);
    }

    function test_poke_revertsIfCallerStarvesReads() public {
        _listDefault();
        vm.expectPartialRevert(ITripwireGuard.GuardInsufficientGas.selector);
        guard.poke{gas: 100_000}(asset);
    }

    /*//////////////////////////////////////////////////////////////
                                HELPERS
    //////////////////////////////////////////////////////////////*/

    function _expectConfigRevert(
        RulesLib.MarketConfig memory cfg,
        ITripwireGuard.Field field,
        uint256 value,
        uint256 min,
        uint256 max
    ) internal {
        bytes memory call = abi.encodeCall(guard.setMarket, (asset, cfg));
        bytes32 salt = keccak256(abi.encode(field, value));
        timelock.schedule(address(guard), 0, call, bytes32(0), salt, DELAY);
        _skip(DELAY);
        vm.expectRevert(
            abi.encodeWithSelector(ITripwireGuard.GuardParameterOutOfBounds.selector, field, value, min, max)
        );
        timelock.execute(address(guard), 0, call, bytes32(0), salt);
    }

    /*//////////////////////////////////////////////////////////////
                          LISTENERS AND VIEWS
    //////////////////////////////////////////////////////////////*/

    function test_setListeners_boundsAndGovernance() public {
        RecordingListener a = new RecordingListener();
        RecordingListener b = new RecordingListener();
        address[] memory list = new address[](2);
        list[0] = address(a);
        list[1] = address(b);
        vm.expectRevert(
            abi.encodeWithSelector(ITripwireGuard.GuardNotGovernance.selector, address(this), address(timelock))
        );
        guard.setListeners(list);

        _expectGovernRevert(
            abi.encodeCall(guard.setListeners, (new address[](5))),
            abi.encodeWithSelector(ITripwireGuard.GuardTooManyListeners.selector, 5, 4)
        );
        address[] memory dup = new address[](2);
        dup[0] = address(a);
        dup[1] = address(a);
        _expectGovernRevert(
            abi.encodeCall(guard.setListeners, (dup)),
            abi.encodeWithSelector(ITripwireGuard.GuardInvalidListener.selector, 1, address(a))
        );
        address[] memory eoa = new address[](1);
        eoa[0] = makeAddr("eoa");
        _expectGovernRevert(
            abi.encodeCall(guard.setListeners, (eoa)),
            abi.encodeWithSelector(ITripwireGuard.GuardInvalidListener.selector, 0, eoa[0])
        );

        bytes memory call = abi.encodeCall(guard.setListeners, (list));
        timelock.schedule(address(guard), 0, call, bytes32(0), bytes32(0), DELAY);
        _skip(DELAY);
        vm.expectEmit(address(guard));
        emit ITripwireGuard.ListenersSet(list);
        timelock.execute(address(guard), 0, call, bytes32(0), bytes32(0));
        assertEq(guard.getListeners(), list);
        address[] memory one = new address[](1);
        one[0] = address(b);
        _govern(abi.encodeCall(guard.setListeners, (one)));
        assertEq(guard.getListeners(), one);
    }

    function test_listeners_toldOfEveryHorizonChangeAndNothingElse() public {
        RulesLib.MarketConfig memory cfg = _listDefault();
        RecordingListener rec = new RecordingListener();
        address[] memory list = new address[](1);
        list[0] = address(rec);
        _govern(abi.encodeCall(guard.setListeners, (list)));
        _setAll(PRICE);
        guard.poke(asset);
        assertEq(rec.calls(), 0, "a healthy poke changes no horizon");

        primary.setPrice(PRICE * 90 / 100);
        guard.poke(asset);
        assertEq(rec.calls(), 1, "trip");
        (uint40 liq, uint40 borrow) = guard.pausedUntil(asset);
        assertEq(liq, uint40(block.timestamp + cfg.maxPause));
        assertEq(rec.lastAsset(), asset);
        assertEq(rec.lastLiquidation(), liq);
        assertEq(rec.lastBorrow(), borrow);
        guard.poke(asset);
        assertEq(rec.calls(), 1, "a poke that keeps the pause changes no horizon");

        vm.prank(guardian);
        guard.extendPause(asset, 1 hours);
        assertEq(rec.calls(), 2, "extension");
        assertEq(rec.lastLiquidation(), liq + 1 hours);

        vm.prank(guardian);
        guard.clearPause(asset);
        assertEq(rec.calls(), 3, "clear");
        (liq, borrow) = guard.pausedUntil(asset);
        assertEq(rec.lastLiquidation(), liq);
        assertEq(liq, uint40(block.timestamp + cfg.grace), "liquidations wait out the grace");
        assertEq(borrow, 0, "borrows do not");
    }

    function test_listeners_failureIsReportedNotPropagated() public {
        _listDefault();
        GasBurningListener burner = new GasBurningListener();
        RecordingListener rec = new RecordingListener();
        address[] memory list = new address[](2);
        list[0] = address(burner);
        list[1] = address(rec);
        _govern(abi.encodeCall(guard.setListeners, (list)));
        _setAll(PRICE);
        primary.setPrice(PRICE * 90 / 100);
        uint40 expected = uint40(block.timestamp + 6 hours);
        vm.expectEmit(address(guard));
        emit ITripwireGuard.ListenerFailed(address(burner), asset, expected, expected);
        uint256 before = gasleft();
        guard.poke(asset);
        assertLt(before - gasleft(), 600_000, "a burning listener costs at most its allowance");
        assertEq(rec.calls(), 1, "the next listener is still told");
        assertFalse(guard.isLiquidationAllowed(asset));
    }

    function test_listeners_callerCannotStarveANotification() public {
        _listDefault();
        RecordingListener rec = new RecordingListener();
        address[] memory list = new address[](1);
        list[0] = address(rec);
        _govern(abi.encodeCall(guard.setListeners, (list)));
        primary.setPrice(PRICE * 90 / 100);
        second.setPrice(PRICE);
        third.setPrice(PRICE);
        // Whatever gas the caller gives, a trip is either stored and told, or not stored at all.
        bool sawStarvedNotification;
        for (uint256 gas = 100_000; gas < 700_000; gas += 1_000) {
            uint256 snapshot = vm.snapshotState();
            (bool ok, bytes memory ret) = address(guard).call{gas: gas}(abi.encodeCall(guard.poke, (asset)));
            if (ok) {
                assertEq(rec.calls(), 1, "stored and told");
                assertFalse(guard.isLiquidationAllowed(asset));
            } else {
                assertEq(rec.calls(), 0, "not told");
                assertTrue(guard.isLiquidationAllowed(asset), "not stored");
                if (ret.length == 68 && bytes4(ret) == ITripwireGuard.GuardInsufficientGas.selector) {
                    (, uint256 required) = abi.decode(_tail(ret), (uint256, uint256));
                    if (required == guard.LISTENER_GAS() * 64 / 63 + 5_000) sawStarvedNotification = true;
                }
            }
            vm.revertToState(snapshot);
        }
        assertTrue(sawStarvedNotification, "some gas passes every read but not the notification's allowance");
    }

    function _tail(bytes memory ret) internal pure returns (bytes memory out) {
        out = new bytes(ret.length - 4);
        for (uint256 i; i < out.length; ++i) {
            out[i] = ret[i + 4];
        }
    }

    function test_liquidationStatus_reportsVerdictStatusAndFreshness() public {
        _listDefault();
        guard.poke(asset);
        (bool allowed, uint8 status, uint40 evaluatedAt) = guard.liquidationStatus(asset);
        assertTrue(allowed);
        assertEq(status, RulesLib.STATUS_NORMAL);
        assertEq(evaluatedAt, block.timestamp);
        _skip(90);
        primary.setPrice(PRICE * 90 / 100);
        second.setPrice(PRICE);
        third.setPrice(PRICE);
        guard.poke(asset);
        (allowed, status, evaluatedAt) = guard.liquidationStatus(asset);
        assertFalse(allowed);
        assertEq(status, RulesLib.STATUS_TRIPPED);
        assertEq(evaluatedAt, block.timestamp);
        assertEq(guard.marketState(asset).evaluatedAt, block.timestamp);
        vm.expectRevert(abi.encodeWithSelector(ITripwireGuard.GuardUnknownMarket.selector, address(1)));
        guard.liquidationStatus(address(1));
        vm.expectRevert(abi.encodeWithSelector(ITripwireGuard.GuardUnknownMarket.selector, address(1)));
        guard.pausedUntil(address(1));
    }

    function _expectGovernRevert(bytes memory call, bytes memory err) internal {
        bytes32 salt = keccak256(abi.encode(call, block.timestamp, "revert"));
        timelock.schedule(address(guard), 0, call, bytes32(0), salt, DELAY);
        vm.warp(block.timestamp + DELAY);
        vm.expectRevert(err);
        timelock.execute(address(guard), 0, call, bytes32(0), salt);
    }
}

/// @dev Records what the guard tells it.
contract RecordingListener is ITripwireListener {
    uint256 public calls;
    address public lastAsset;
    uint40 public lastLiquidation;
    uint40 public lastBorrow;

    function onPauseChanged(address asset, uint40 liquidationPausedUntil, uint40 borrowPausedUntil) external {
        ++calls;
        lastAsset = asset;
        lastLiquidation = liquidationPausedUntil;
        lastBorrow = borrowPausedUntil;
    }
}

/// @dev Burns every gas unit it is given.
contract GasBurningListener {
    fallback() external {
        while (true) {}
    }
}
