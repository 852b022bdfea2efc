// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";

import {GuardTestBase} from "../../helpers/GuardTestBase.sol";
import {ExampleLendingMarket} from "../../../contracts/examples/ExampleLendingMarket.sol";
import {TripwireGuarded} from "../../../contracts/integrations/TripwireGuarded.sol";
import {IPriceSource} from "../../../contracts/interfaces/IPriceSource.sol";
import {ITripwireGuard} from "../../../contracts/interfaces/ITripwireGuard.sol";
import {RulesLib} from "../../../contracts/libraries/RulesLib.sol";
import {MockERC20} from "../../../contracts/mocks/MockERC20.sol";
import {MockSource} from "../../../contracts/mocks/MockSource.sol";

/// @notice The example market and the TripwireGuarded modifier: parameters, edge cases, and fuzzed liquidation
/// accounting.
contract ExampleLendingMarketTest is GuardTestBase {
    uint16 internal constant LTV = 8000;
    uint16 internal constant THRESHOLD = 8250;
    uint16 internal constant BONUS = 500;
    uint16 internal constant CLOSE_FACTOR = 5000;
    uint256 internal constant LIQUIDITY = 100_000_000e6;

    MockERC20 internal usdc;
    MockERC20 internal weth;
    ExampleLendingMarket internal market;
    address internal lender = makeAddr("lender");
    address internal borrower = makeAddr("borrower");
    address internal liquidator = makeAddr("liquidator");

    function setUp() public override {
        super.setUp();
        usdc = new MockERC20("USD Coin", "USDC", 6);
        weth = new MockERC20("Wrapped Ether", "WETH", 18);
        asset = address(weth);
        _listDefault();
        guard.poke(asset);
        market = new ExampleLendingMarket(IERC20(address(usdc)), guard, 0, CLOSE_FACTOR, address(this));
        market.setCollateral(asset, primary, 1 hours, LTV, THRESHOLD, BONUS, true);
        usdc.mint(lender, LIQUIDITY);
        vm.startPrank(lender);
        usdc.approve(address(market), type(uint256).max);
        market.supply(LIQUIDITY);
        vm.stopPrank();
        usdc.mint(liquidator, LIQUIDITY);
        vm.prank(liquidator);
        usdc.approve(address(market), type(uint256).max);
    }

    function _open(uint256 collateral, uint256 debt) internal {
        weth.mint(borrower, collateral);
        vm.startPrank(borrower);
        weth.approve(address(market), type(uint256).max);
        market.depositCollateral(asset, collateral);
        market.borrow(debt);
        vm.stopPrank();
    }

    function _allAt(uint256 price) internal {
        _setAll(price);
        guard.poke(asset);
    }

    /*//////////////////////////////////////////////////////////////
                               PARAMETERS
    //////////////////////////////////////////////////////////////*/

    function test_setCollateral_bounds() public {
        vm.expectRevert(
            abi.encodeWithSelector(ExampleLendingMarket.MarketInvalidParameter.selector, bytes32("oracle"), 0)
        );
        market.setCollateral(asset, IPriceSource(address(0)), 1 hours, LTV, THRESHOLD, BONUS, true);
        vm.expectRevert(
            abi.encodeWithSelector(ExampleLendingMarket.MarketInvalidParameter.selector, bytes32("maxPriceAge"), 0)
        );
        market.setCollateral(asset, primary, 0, LTV, THRESHOLD, BONUS, true);
        vm.expectRevert(
            abi.encodeWithSelector(
                ExampleLendingMarket.MarketInvalidParameter.selector, bytes32("liquidationThreshold"), 10_000
            )
        );
        market.setCollateral(asset, primary, 1 hours, LTV, 10_000, BONUS, true);
        vm.expectRevert(abi.encodeWithSelector(ExampleLendingMarket.MarketInvalidParameter.selector, bytes32("ltv"), 0));
        market.setCollateral(asset, primary, 1 hours, 0, THRESHOLD, BONUS, true);
        vm.expectRevert(
            abi.encodeWithSelector(ExampleLendingMarket.MarketInvalidParameter.selector, bytes32("closeFactor"), 0)
        );
        market.setCloseFactor(0);
        vm.prank(borrower);
        vm.expectRevert(abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, borrower));
        market.setCloseFactor(1);

        MockERC20 wide = new MockERC20("Wide", "WIDE", 37);
        vm.expectRevert(
            abi.encodeWithSelector(ExampleLendingMarket.MarketInvalidParameter.selector, bytes32("decimals"), 37)
        );
        market.setCollateral(address(wide), primary, 1 hours, LTV, THRESHOLD, BONUS, false);
        vm.expectRevert(
            abi.encodeWithSelector(ExampleLendingMarket.MarketInvalidParameter.selector, bytes32("debtDecimals"), 37)
        );
        new ExampleLendingMarket(IERC20(address(wide)), guard, 0, CLOSE_FACTOR, address(this));

        for (uint256 i = 1; i < market.MAX_COLLATERALS(); ++i) {
            MockERC20 token = new MockERC20("T", "T", 18);
            market.setCollateral(address(token), primary, 1 hours, LTV, THRESHOLD, BONUS, false);
        }
        MockERC20 ninth = new MockERC20("T", "T", 18);
        vm.expectRevert(
            abi.encodeWithSelector(ExampleLendingMarket.MarketInvalidParameter.selector, bytes32("collateralCount"), 9)
        );
        market.setCollateral(address(ninth), primary, 1 hours, LTV, THRESHOLD, BONUS, false);
        assertEq(market.collaterals().length, 8);
        assertEq(market.collateralConfig(asset).ltvBps, LTV);
        assertEq(market.priceOf(asset), PRICE);
    }

    function test_amounts_mustBePositiveAndAvailable() public {
        vm.expectRevert(abi.encodeWithSelector(ExampleLendingMarket.MarketInvalidAmount.selector, 0, type(uint256).max));
        market.supply(0);
        vm.expectRevert(abi.encodeWithSelector(ExampleLendingMarket.MarketInvalidAmount.selector, 1, 0));
        market.withdraw(1);
        vm.expectRevert(abi.encodeWithSelector(ExampleLendingMarket.MarketInvalidAmount.selector, 0, type(uint256).max));
        market.depositCollateral(asset, 0);
        vm.expectRevert(abi.encodeWithSelector(ExampleLendingMarket.MarketInvalidAmount.selector, 1, 0));
        market.withdrawCollateral(asset, 1);
        vm.expectRevert(abi.encodeWithSelector(ExampleLendingMarket.MarketInvalidAmount.selector, 0, type(uint256).max));
        market.borrow(0);
        vm.expectRevert(
            abi.encodeWithSelector(ExampleLendingMarket.MarketInsufficientLiquidity.selector, LIQUIDITY + 1, LIQUIDITY)
        );
        market.borrow(LIQUIDITY + 1);
        vm.expectRevert(abi.encodeWithSelector(ExampleLendingMarket.MarketInvalidAmount.selector, 1, 0));
        market.repay(borrower, 1);
        _open(10e18, 15_000e6);
        _allAt(1_780e18);
        vm.prank(liquidator);
        vm.expectRevert(abi.encodeWithSelector(ExampleLendingMarket.MarketInvalidAmount.selector, 0, 7_500e6));
        market.liquidate(borrower, asset, 0);
    }

    function test_views() public {
        assertEq(market.healthFactor(borrower), type(uint256).max);
        _open(10e18, 15_000e6);
        (uint256 collateralValue, uint256 liquidationValue, uint256 debtValue) = market.position(borrower);
        assertEq(collateralValue, 20_000e18);
        assertEq(liquidationValue, 16_500e18);
        assertEq(debtValue, 15_000e18);
        assertEq(market.healthFactor(borrower), uint256(16_500e18) * 1e18 / 15_000e18);
    }

    function test_price_invalidIsRefused() public {
        _open(10e18, 1_000e6);
        primary.setMode(MockSource.Mode.Revert);
        vm.prank(borrower);
        vm.expectRevert(bytes("mock source reverted"));
        market.borrow(1);
        primary.setMode(MockSource.Mode.Honest);
        IPriceSource.Reading memory r = primary.read();
        r.fault = RulesLib.FAULT_STALE;
        primary.setReading(r);
        vm.prank(borrower);
        vm.expectRevert(
            abi.encodeWithSelector(
                ExampleLendingMarket.MarketPriceInvalid.selector, asset, RulesLib.FAULT_STALE, r.observedAt
            )
        );
        market.borrow(1);
    }

    /*//////////////////////////////////////////////////////////////
                             GUARDED PATHS
    //////////////////////////////////////////////////////////////*/

    function test_liquidation_unknownBandLetsNothingThrough() public {
        _open(10e18, 15_000e6);
        // A guardian pause before any informative evaluation: the band is unknown.
        vm.prank(guardian);
        guard.guardianPause(asset, "INC-2");
        _setAll(1_000e18);
        primary.setMode(MockSource.Mode.Revert);
        second.setMode(MockSource.Mode.Revert);
        third.setMode(MockSource.Mode.Revert);
        guard.poke(asset);
        (uint256 low, uint256 high) = guard.credibleBand(asset);
        assertEq(low, 0);
        assertEq(high, type(uint128).max);
        vm.prank(liquidator);
        vm.expectRevert(
            abi.encodeWithSelector(TripwireGuarded.TripwireLiquidationPaused.selector, borrower, asset, high, 0)
        );
        market.liquidate(borrower, asset, 1_000e6);
    }

    function test_modifier_debtSidePausedUsesBandLow() public {
        GuardedHarness harness = new GuardedHarness(guard, 0);
        MockERC20 dai = new MockERC20("Dai", "DAI", 18);
        _setMarket(address(dai), _config(_threeSources(), 0));
        _setAll(PRICE);
        guard.poke(address(dai));
        primary.setPrice(PRICE * 90 / 100);
        guard.poke(address(dai));
        assertFalse(guard.isLiquidationAllowed(address(dai)));
        (uint256 low,) = guard.credibleBand(address(dai));

        harness.setAnswer(false);
        vm.expectRevert(
            abi.encodeWithSelector(TripwireGuarded.TripwireLiquidationPaused.selector, borrower, address(dai), 0, low)
        );
        harness.liquidate(borrower, address(0), address(dai));
        harness.setAnswer(true);
        vm.expectEmit(address(harness));
        emit TripwireGuarded.TripwireBandLiquidation(borrower, address(0), address(dai), 0, low);
        harness.liquidate(borrower, address(0), address(dai));
        harness.liquidateAndKeepQuote(borrower, address(0), address(dai));
        assertTrue(harness.lastQuote().debtPaused);
        assertEq(harness.lastQuote().debtPrice, low);
        assertFalse(harness.lastQuote().collateralPaused);

        vm.expectRevert(abi.encodeWithSelector(TripwireGuarded.TripwireBorrowPaused.selector, address(dai)));
        harness.borrow(address(dai));
        harness.borrow(address(0)); // An unguarded asset.
    }

    function test_modifier_inlinePokeRefreshesAStaleVerdict() public {
        GuardedHarness harness = new GuardedHarness(guard, 60);
        assertEq(harness.MAX_EVALUATION_AGE(), 60);
        _skip(61);
        primary.setPrice(PRICE * 90 / 100);
        second.setPrice(PRICE);
        third.setPrice(PRICE);
        assertTrue(guard.isBorrowAllowed(asset));
        // The borrow path pokes, stores the trip (the call succeeds up to the check) and refuses.
        vm.expectRevert(abi.encodeWithSelector(TripwireGuarded.TripwireBorrowPaused.selector, asset));
        harness.borrow(asset);
        // A fresh verdict is not re-poked.
        guard.poke(asset);
        uint40 evaluatedAt = guard.marketState(asset).evaluatedAt;
        _skip(30);
        vm.expectRevert(abi.encodeWithSelector(TripwireGuarded.TripwireBorrowPaused.selector, asset));
        harness.borrow(asset);
        assertEq(guard.marketState(asset).evaluatedAt, evaluatedAt);
    }

    /*//////////////////////////////////////////////////////////////
                                  FUZZ
    //////////////////////////////////////////////////////////////*/

    /// Liquidation accounting at any price and size: the liquidator never takes more than the repayment plus the
    /// bonus is worth at the settlement price, the debt falls by exactly the repayment (or to zero with the rest
    /// written off), lenders' assets are conserved except for written-off debt, and a healthy position cannot be
    /// liquidated.
    function testFuzz_liquidate_accounting(uint256 collateral, uint256 debtShare, uint256 fall, uint256 repay)
        public
    {
        collateral = bound(collateral, 1e15, 1e22);
        uint256 maxDebt = collateral * 2_000 * LTV / 10_000 / 1e12; // USDC units at 2,000
        uint256 debt = bound(debtShare, 1, maxDebt);
        _open(collateral, debt);
        uint256 price = bound(fall, 100e18, PRICE);
        // Every source moves together (an honest move): liquidations stay allowed.
        _skip(10 minutes);
        _allAt(price);
        assertTrue(guard.isLiquidationAllowed(asset));
        uint256 hf = market.healthFactor(borrower);
        repay = bound(repay, 1, debt);
        uint256 assetsBefore = market.totalAssets();
        uint256 badDebtBefore = market.totalBadDebt();
        vm.prank(liquidator);
        if (hf >= 1e18) {
            vm.expectRevert(abi.encodeWithSelector(ExampleLendingMarket.MarketHealthy.selector, borrower, hf));
            market.liquidate(borrower, asset, repay);
            return;
        }
        try market.liquidate(borrower, asset, repay) returns (uint256 repaid, uint256 seized) {
            // Worth of what was taken, at the settlement price, is at most the repayment plus the bonus.
            uint256 seizedValue = seized * price / 1e18;
            assertLe(seizedValue, repaid * 1e12 * (10_000 + BONUS) / 10_000 + 1, "seized beyond repayment + bonus");
            assertLe(repaid, (debt * CLOSE_FACTOR + 9_999) / 10_000, "close factor");
            uint256 written = market.totalBadDebt() - badDebtBefore;
            assertEq(market.debtOf(borrower), written == 0 ? debt - repaid : 0, "debt accounting");
            assertEq(market.totalAssets() + written, assetsBefore, "lender assets conserved but for bad debt");
            assertEq(weth.balanceOf(liquidator), seized);
        } catch (bytes memory reason) {
            // Only dust too small to cover one unit of debt may fail, and it must say so.
            assertEq(bytes4(reason), ExampleLendingMarket.MarketInvalidAmount.selector);
        }
    }

    /// A borrow is refused exactly beyond the LTV, at any price.
    function testFuzz_borrow_limit(uint256 collateral, uint256 price, uint256 amount) public {
        collateral = bound(collateral, 1e12, 1e24);
        price = bound(price, 1e16, 1e24);
        // The LTV rule alone: the collateral unguarded, so that any price stands.
        market.setCollateral(asset, primary, 1 hours, LTV, THRESHOLD, BONUS, false);
        primary.setPrice(price);
        weth.mint(borrower, collateral);
        vm.startPrank(borrower);
        weth.approve(address(market), type(uint256).max);
        market.depositCollateral(asset, collateral);
        uint256 limit = collateral * price / 1e18 * LTV / 10_000; // 18-decimal USD
        amount = bound(amount, 1, LIQUIDITY);
        uint256 amountValue = amount * 1e12;
        if (amountValue > limit) {
            vm.expectRevert(
                abi.encodeWithSelector(
                    ExampleLendingMarket.MarketInsufficientCollateral.selector, borrower, amountValue, limit
                )
            );
        }
        market.borrow(amount);
        vm.stopPrank();
    }
}

/// @dev Exposes TripwireGuarded's checks with a protocol answer the test sets.
contract GuardedHarness is TripwireGuarded {
    bool private _answer;
    BandQuote private _last;

    constructor(ITripwireGuard guard, uint256 maxAge) TripwireGuarded(guard, maxAge) {}

    function setAnswer(bool answer) external {
        _answer = answer;
    }

    /// Through the modifier.
    function liquidate(address borrower, address collateral, address debt)
        external
        guardLiquidation(borrower, collateral, debt)
    {}

    /// Through the internal check, keeping the quote it returns.
    function liquidateAndKeepQuote(address borrower, address collateral, address debt) external {
        _last = _guardLiquidation(borrower, collateral, debt);
    }

    function borrow(address asset) external guardBorrow(asset) {}

    function lastQuote() external view returns (BandQuote memory) {
        return _last;
    }

    function _isLiquidatableAtBand(address, address, address, BandQuote memory)
        internal
        view
        override
        returns (bool)
    {
        return _answer;
    }
}
