// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Test} from "forge-std/Test.sol";
import {TimelockController} from "@openzeppelin/contracts/governance/TimelockController.sol";

import {TripwireGuard} from "../../contracts/TripwireGuard.sol";
import {IPriceSource} from "../../contracts/interfaces/IPriceSource.sol";
import {IAggregatorV3} from "../../contracts/interfaces/external/IAggregatorV3.sol";
import {RulesLib} from "../../contracts/libraries/RulesLib.sol";
import {MockSource} from "../../contracts/mocks/MockSource.sol";
import {MarketDefaults} from "./MarketDefaults.sol";

/// @notice Shared set-up: a real timelock (1 hour), the guard, a guardian, and three mock sources around 2,000.
abstract contract GuardTestBase is Test {
    uint256 internal constant DELAY = 1 hours;
    uint256 internal constant PRICE = 2_000e18;
    uint256 internal constant START = 1_700_000_000;
    // Fuzz bounds, named once.
    uint256 internal constant MIN_FUZZ_PRICE = 1e6; // 1e-12 in 18 decimals
    uint256 internal constant MAX_FUZZ_PRICE = 1e30; // a trillion
    uint256 internal constant MAX_FUZZ_STEP = 10 minutes;

    TimelockController internal timelock;
    TripwireGuard internal guard;
    address internal guardian = makeAddr("guardian");
    address internal asset = makeAddr("WETH");
    MockSource internal primary;
    MockSource internal second;
    MockSource internal third;

    function setUp() public virtual {
        vm.warp(START);
        address[] memory roles = new address[](1);
        roles[0] = address(this);
        timelock = new TimelockController(DELAY, roles, roles, address(0));
        guard = new TripwireGuard(address(timelock), guardian, IAggregatorV3(address(0)), 0);
        primary = new MockSource(PRICE);
        second = new MockSource(PRICE);
        third = new MockSource(PRICE);
    }

    /// @dev A market on `sources` with the recommended defaults.
    function _config(address[] memory sources, uint8 primaryIndex)
        internal
        pure
        returns (RulesLib.MarketConfig memory)
    {
        return MarketDefaults.config(sources, primaryIndex);
    }

    function _threeSources() internal view returns (address[] memory sources) {
        sources = new address[](3);
        sources[0] = address(primary);
        sources[1] = address(second);
        sources[2] = address(third);
    }

    /// @dev Schedules and executes a call through the timelock (with the delay elapsing).
    function _govern(bytes memory data) internal {
        bytes32 salt = keccak256(abi.encode(data, block.timestamp));
        timelock.schedule(address(guard), 0, data, bytes32(0), salt, DELAY);
        vm.warp(block.timestamp + DELAY);
        timelock.execute(address(guard), 0, data, bytes32(0), salt);
    }

    function _setMarket(address market, RulesLib.MarketConfig memory cfg) internal {
        _govern(abi.encodeCall(guard.setMarket, (market, cfg)));
    }

    /// @dev Lists `asset` on the three mocks with source 0 as primary, and refreshes their timestamps.
    function _listDefault() internal returns (RulesLib.MarketConfig memory cfg) {
        cfg = _config(_threeSources(), 0);
        _setMarket(asset, cfg);
        _setAll(PRICE);
    }

    function _setAll(uint256 price) internal {
        primary.setPrice(price);
        second.setPrice(price);
        third.setPrice(price);
    }

    function _reading(uint256 price, uint256 conf, uint256 spot, uint256 observedAt)
        internal
        pure
        returns (IPriceSource.Reading memory)
    {
        return IPriceSource.Reading({price: price, conf: conf, spot: spot, observedAt: observedAt, fault: 0});
    }

    function _liqStatus() internal view returns (uint8) {
        return guard.marketState(asset).liquidation.status;
    }

    function _borrowStatus() internal view returns (uint8) {
        return guard.marketState(asset).borrow.status;
    }

    function _skip(uint256 secondsToSkip) internal {
        vm.warp(block.timestamp + secondsToSkip);
    }
}
