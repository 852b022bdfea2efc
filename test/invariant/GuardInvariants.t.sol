// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Test} from "forge-std/Test.sol";
import {TimelockController} from "@openzeppelin/contracts/governance/TimelockController.sol";

import {TripwireGuard} from "../../contracts/TripwireGuard.sol";
import {IPriceSource} from "../../contracts/interfaces/IPriceSource.sol";
import {IAggregatorV3} from "../../contracts/interfaces/external/IAggregatorV3.sol";
import {RulesLib} from "../../contracts/libraries/RulesLib.sol";
import {MockSource} from "../../contracts/mocks/MockSource.sol";
import {MarketDefaults} from "../helpers/MarketDefaults.sol";

/// @dev Shared deployment for the handlers: a timelock, the guard, four mock sources (0 is the primary).
abstract contract HandlerBase is Test {
    uint256 internal constant DELAY = 1 hours;
    uint256 internal constant MAX_STEP = 10 minutes;
    uint256 internal constant MIN_PRICE = 1e12;
    uint256 internal constant MAX_PRICE = 1e30;
    uint256 internal constant POKE_GAS = 3_000_000;
    /// @dev Bound on a poke of four sources, whatever they do: four reads of at most 120k gas plus the rules.
    uint256 internal constant POKE_GAS_BOUND = 4 * 120_000 + 250_000;

    TimelockController public timelock;
    TripwireGuard public guard;
    address public guardian;
    address public constant ASSET = address(0xA55E7);
    MockSource[4] internal sources;

    // Ghosts.
    bool public pokeReverted;
    uint256 public maxPokeGas;
    uint256 public pokes;

    constructor() {
        vm.warp(1_700_000_000);
        address[] memory roles = new address[](1);
        roles[0] = address(this);
        timelock = new TimelockController(DELAY, roles, roles, address(0));
        guardian = address(this);
        guard = new TripwireGuard(address(timelock), guardian, IAggregatorV3(address(0)), 0);
        address[] memory list = new address[](4);
        for (uint256 i; i < 4; ++i) {
            sources[i] = new MockSource(2_000e18);
            list[i] = address(sources[i]);
        }
        _govern(abi.encodeCall(guard.setMarket, (ASSET, defaultConfig(list))));
        for (uint256 i; i < 4; ++i) {
            sources[i].setPrice(2_000e18);
        }
    }

    function defaultConfig(address[] memory list) public pure returns (RulesLib.MarketConfig memory) {
        return MarketDefaults.config(list, 0);
    }

    function _govern(bytes memory data) internal {
        bytes32 salt = keccak256(abi.encode(data, block.timestamp, pokes));
        timelock.schedule(address(guard), 0, data, bytes32(0), salt, DELAY);
        vm.warp(block.timestamp + DELAY);
        timelock.execute(address(guard), 0, data, bytes32(0), salt);
    }

    function _poke() internal {
        uint256 before = gasleft();
        try guard.poke{gas: POKE_GAS}(ASSET) {
            uint256 used = before - gasleft();
            if (used > maxPokeGas) maxPokeGas = used;
        } catch {
            pokeReverted = true;
        }
        ++pokes;
    }

    function _reading(uint256 price, uint256 conf, uint256 spot) internal view returns (IPriceSource.Reading memory) {
        return IPriceSource.Reading({price: price, conf: conf, spot: spot, observedAt: block.timestamp, fault: 0});
    }
}

/// @notice An honest market (the primary and two secondaries move together with noise, a lagging TWAP, widening
/// confidence), with one thin secondary (source 3) that an attacker sets at will.
contract HonestMarketHandler is HandlerBase {
    uint256 public honest = 2_000e18;
    uint256 public honestLow = 2_000e18;
    uint256 public honestHigh = 2_000e18;
    uint256 internal twap = 2_000e18;
    uint256 internal thin = 2_000e18;
    bool public liquidationStopped;
    bool public consensusEscaped;

    /// @dev The market moves by up to +-4% per step; each honest source is within 0.3% of it.
    function move(uint256 returnSeed, uint256 noiseSeed, uint256 confSeed, uint256 dt) external {
        vm.warp(block.timestamp + bound(dt, 12, MAX_STEP));
        int256 r = int256(bound(returnSeed, 0, 800)) - 400; // bps
        uint256 next = uint256(int256(honest) * (10_000 + r) / 10_000);
        if (next < MIN_PRICE || next > MAX_PRICE) return;
        // The TWAP lags: it moves a third of the way to the new price.
        twap = twap + (next > twap ? (next - twap) / 3 : 0) - (next < twap ? (twap - next) / 3 : 0);
        honest = next;
        uint256 noise = bound(noiseSeed, 0, 30); // bps
        uint256 p0 = next * (10_000 + noise) / 10_000;
        uint256 p1 = next * (10_000 - noise) / 10_000;
        uint256 conf = next * bound(confSeed, 0, 200) / 10_000; // up to 2%, widening in stress
        sources[0].setReading(_reading(p0, 0, 0));
        sources[1].setReading(_reading(p1, conf, 0));
        sources[2].setReading(_reading(twap, 0, next));
        sources[3].setReading(_reading(thin, 0, 0));
        // The informative honest sources' range (the lagging TWAP is left out once beyond 2% of its spot).
        honestLow = p1;
        honestHigh = p0;
        if (_distanceBps(twap, next) <= 200) {
            if (twap < honestLow) honestLow = twap;
            if (twap > honestHigh) honestHigh = twap;
        }
        _pokeAndCheck();
    }

    /// @dev The attacker sets the thin secondary anywhere (or breaks it).
    function corruptThin(uint256 price, uint8 modeSeed) external {
        thin = bound(price, 1, MAX_PRICE);
        sources[3].setMode(MockSource.Mode(bound(modeSeed, 0, 5)));
        sources[3].setReading(_reading(thin, 0, 0));
        _pokeAndCheck();
    }

    function pokeOnly() external {
        _pokeAndCheck();
    }

    function _pokeAndCheck() internal {
        _poke();
        if (!guard.isLiquidationAllowed(ASSET)) liquidationStopped = true;
        uint8 status = guard.marketState(ASSET).liquidation.status;
        if (status == RulesLib.STATUS_TRIPPED || status == RulesLib.STATUS_RECOVERING) liquidationStopped = true;
        (RulesLib.Evaluation memory ev,) = guard.evaluate(ASSET);
        if (ev.consensus != 0 && (ev.consensus < honestLow || ev.consensus > honestHigh)) consensusEscaped = true;
    }

    function _distanceBps(uint256 a, uint256 b) internal pure returns (uint256) {
        return (a > b ? a - b : b - a) * 10_000 / b;
    }
}

/// @notice Everything at once: any source set to anything (or broken), the primary corrupted against honest
/// secondaries, guardian pauses, extensions and clears, governance reconfiguring with arbitrary values, and time.
contract ChaosHandler is HandlerBase {
    bool public contradictionMissed;
    bool public reportedAllowedWhilePaused;
    uint256 public contradictions;

    function setSource(uint8 index, uint256 price, uint256 conf, uint256 spot, uint8 modeSeed) external {
        MockSource s = sources[bound(index, 0, 3)];
        price = bound(price, 0, MAX_PRICE * 10);
        s.setReading(_reading(price, bound(conf, 0, price), spot % (MAX_PRICE * 10)));
        s.setMode(MockSource.Mode(bound(modeSeed, 0, 5)));
        _pokeAndCheck();
    }

    /// @dev Honest secondaries at `h`, a valid primary beyond max deviation plus confidence (none here) from them.
    function contradictPrimary(uint256 h, uint256 offBps, bool up) external {
        h = bound(h, MIN_PRICE, MAX_PRICE);
        offBps = bound(offBps, 301, 5_000);
        uint256 p = up ? h * (10_000 + offBps) / 10_000 : h * (10_000 - offBps) / 10_000;
        for (uint256 i = 1; i < 4; ++i) {
            sources[i].setMode(MockSource.Mode.Honest);
            sources[i].setReading(_reading(h, 0, 0));
        }
        sources[0].setMode(MockSource.Mode.Honest);
        sources[0].setReading(_reading(p, 0, 0));
        // Only meaningful while the current configuration is the default one (reconfiguration may change bounds).
        RulesLib.MarketConfig memory cfg = guard.marketConfig(ASSET);
        _poke();
        RulesLib.MarketState memory s = guard.marketState(ASSET);
        bool expired = s.liquidation.status == RulesLib.STATUS_EXPIRED
            || (s.liquidation.status != RulesLib.STATUS_NORMAL && block.timestamp >= s.liquidation.expiresAt);
        // GUARD_INV_C: a valid primary contradicted beyond max deviation stops liquidations on the next poke.
        uint256 tolerance = p * cfg.maxDeviationBps / 10_000;
        bool beyond = (p > h ? p - h : h - p) > tolerance;
        if (beyond && !expired && guard.isLiquidationAllowed(ASSET)) contradictionMissed = true;
        if (beyond) ++contradictions;
        _checkPausedNotAllowed();
    }

    function guardianAct(uint8 action, uint32 by) external {
        action = uint8(bound(action, 0, 2));
        if (action == 0) guard.guardianPause(ASSET, "chaos");
        else if (action == 1) try guard.extendPause(ASSET, uint32(bound(by, 0, 13 hours))) {} catch {}
        else guard.clearPause(ASSET);
        _checkPausedNotAllowed();
    }

    function reconfigure(uint256 seed) external {
        address[] memory list = new address[](4);
        for (uint256 i; i < 4; ++i) {
            list[i] = address(sources[i]);
        }
        RulesLib.MarketConfig memory cfg = defaultConfig(list);
        cfg.maxPause = uint32(seed % (4 days));
        cfg.maxExtension = uint32((seed >> 32) % (8 days));
        cfg.grace = uint32((seed >> 64) % (5 hours));
        cfg.quorum = uint8((seed >> 96) % 6);
        cfg.outlierBps = uint16((seed >> 104) % 6_000);
        bytes memory data = abi.encodeCall(guard.setMarket, (ASSET, cfg));
        bytes32 salt = keccak256(abi.encode(seed, block.timestamp));
        timelock.schedule(address(guard), 0, data, bytes32(0), salt, DELAY);
        vm.warp(block.timestamp + DELAY);
        try timelock.execute(address(guard), 0, data, bytes32(0), salt) {} catch {}
    }

    function warp(uint256 dt) external {
        vm.warp(block.timestamp + bound(dt, 1, 2 hours));
        _checkPausedNotAllowed();
    }

    function pokeOnly() external {
        _pokeAndCheck();
    }

    function _pokeAndCheck() internal {
        _poke();
        _checkPausedNotAllowed();
    }

    /// @dev GUARD_INV_E: while a liquidation pause is live, liquidation is never reported allowed.
    function _checkPausedNotAllowed() internal {
        RulesLib.PauseState memory p = guard.marketState(ASSET).liquidation;
        bool live = (p.status == RulesLib.STATUS_TRIPPED || p.status == RulesLib.STATUS_RECOVERING)
            && block.timestamp < p.expiresAt;
        if (live && guard.isLiquidationAllowed(ASSET)) reportedAllowedWhilePaused = true;
    }
}

/// @notice GUARD_INV_B and GUARD_INV_D, on an honest market with one corruptible thin source.
contract HonestMarketInvariants is Test {
    HonestMarketHandler internal handler;

    function setUp() public {
        handler = new HonestMarketHandler();
        targetContract(address(handler));
    }

    /// GUARD_INV_B: one corrupted non-primary source out of four neither stops liquidations nor moves the consensus
    /// outside the honest, informative sources' range.
    /// GUARD_INV_D: sources that move together (with lagging TWAPs and widening confidence) never stop liquidations
    /// under the default effects.
    function invariant_honestMarketNeverStopsLiquidations() public view {
        assertFalse(handler.liquidationStopped(), "GUARD_INV_B/D: liquidations stopped");
    }

    function invariant_consensusStaysInHonestRange() public view {
        assertFalse(handler.consensusEscaped(), "GUARD_INV_B: consensus moved beyond the honest sources");
    }

    /// GUARD_INV_G: no behaviour of a source makes poke revert or exceed its gas bound.
    function invariant_pokeNeverRevertsAndIsBounded() public view {
        assertFalse(handler.pokeReverted(), "GUARD_INV_G: poke reverted");
        assertLe(handler.maxPokeGas(), 4 * 120_000 + 250_000, "GUARD_INV_G: poke gas unbounded");
    }
}

/// @notice GUARD_INV_A, C, E, F, G under every action at once.
contract ChaosInvariants is Test {
    ChaosHandler internal handler;
    TripwireGuard internal guard;

    function setUp() public {
        handler = new ChaosHandler();
        guard = handler.guard();
        targetContract(address(handler));
    }

    /// GUARD_INV_A: a pause never outlives its cap (max pause plus the guardian's capped extension), and once past
    /// its expiry liquidations read as allowed without anyone poking.
    function invariant_pauseNeverOutlivesCap() public view {
        RulesLib.MarketState memory s = guard.marketState(handler.ASSET());
        RulesLib.PauseState memory p = s.liquidation;
        if (p.status == RulesLib.STATUS_TRIPPED || p.status == RulesLib.STATUS_RECOVERING) {
            // The cap in force when the pause started: both bounds are hard-capped by the guard.
            assertLe(uint256(p.expiresAt), uint256(p.since) + 3 days + 7 days, "GUARD_INV_A: beyond hard cap");
            assertLe(p.extended, 7 days, "GUARD_INV_A: extension beyond hard cap");
            // Not `extended <= cfg.maxExtension`: governance may lower the cap after an extension was granted.
            if (block.timestamp >= p.expiresAt) assertTrue(guard.isLiquidationAllowed(handler.ASSET()));
        }
    }

    /// GUARD_INV_C: a valid primary that the secondaries contradict beyond max deviation stops liquidations on the
    /// next poke.
    function invariant_contradictedPrimaryStopsLiquidations() public view {
        assertFalse(handler.contradictionMissed(), "GUARD_INV_C: contradiction did not stop liquidations");
    }

    /// GUARD_INV_E: while tripped, liquidation is never reported allowed.
    function invariant_trippedNeverAllowsLiquidation() public view {
        assertFalse(handler.reportedAllowedWhilePaused(), "GUARD_INV_E");
    }

    /// GUARD_INV_F: the configuration always stays within its hard bounds.
    function invariant_configWithinHardBounds() public view {
        RulesLib.MarketConfig memory cfg = guard.marketConfig(handler.ASSET());
        assertLe(cfg.maxPause, 3 days, "GUARD_INV_F: maxPause");
        assertGe(cfg.maxPause, 5 minutes, "GUARD_INV_F: maxPause");
        assertLe(cfg.maxExtension, 7 days, "GUARD_INV_F: maxExtension");
        assertLe(cfg.grace, 4 hours, "GUARD_INV_F: grace");
        assertGe(cfg.quorum, 1, "GUARD_INV_F: quorum");
        assertLe(cfg.quorum, cfg.sources.length, "GUARD_INV_F: quorum");
        assertGe(cfg.outlierBps, 1, "GUARD_INV_F: outlier");
        assertLe(cfg.outlierBps, 5_000, "GUARD_INV_F: outlier");
    }

    /// GUARD_INV_G: no behaviour of a source makes poke revert or exceed its gas bound.
    function invariant_pokeNeverRevertsAndIsBounded() public view {
        assertFalse(handler.pokeReverted(), "GUARD_INV_G: poke reverted");
        assertLe(handler.maxPokeGas(), 4 * 120_000 + 250_000, "GUARD_INV_G: poke gas unbounded");
    }
}
