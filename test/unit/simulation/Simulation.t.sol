// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {MockPyth} from "@pythnetwork/pyth-sdk-solidity/MockPyth.sol";

import {IPriceSource} from "../../../contracts/interfaces/IPriceSource.sol";
import {IAggregatorV3} from "../../../contracts/interfaces/external/IAggregatorV3.sol";
import {IAavePriceOracleSentinel} from "../../../contracts/interfaces/external/IAaveV3.sol";
import {ITripwireGuard} from "../../../contracts/interfaces/ITripwireGuard.sol";
import {RulesLib} from "../../../contracts/libraries/RulesLib.sol";
import {MockSource} from "../../../contracts/mocks/MockSource.sol";
import {MockUniswapV3Pool} from "../../../contracts/mocks/MockUniswapV3Pool.sol";
import {ReplicaAggregator} from "../../../contracts/simulation/ReplicaAggregator.sol";
import {ReplicaFeedProxy} from "../../../contracts/simulation/ReplicaFeedProxy.sol";
import {IPoolActor, IPythUpdate, ScenarioDriver} from "../../../contracts/simulation/ScenarioDriver.sol";
import {IAaveOracleView, IAavePoolView, SimulationLens} from "../../../contracts/simulation/SimulationLens.sol";
import {SourceFeed} from "../../../contracts/simulation/SourceFeed.sol";
import {GuardTestBase} from "../../helpers/GuardTestBase.sol";

/// @dev Records the swaps the driver asks for.
contract RecordingActor is IPoolActor {
    address public lastPool;
    bool public lastZeroForOne;
    uint160 public lastLimit;
    uint256 public swaps;

    function swap(address pool, bool zeroForOne, uint256, uint160 sqrtPriceLimitX96) external returns (int256, int256) {
        lastPool = pool;
        lastZeroForOne = zeroForOne;
        lastLimit = sqrtPriceLimitX96;
        ++swaps;
        return (0, 0);
    }
}

/// @dev Aave's pool and oracle views, as the lens reads them.
contract AaveViews is IAavePoolView, IAaveOracleView {
    mapping(address user => uint256[3] data) public accounts;
    mapping(address asset => uint256 price) public prices;

    function setAccount(address user, uint256 collateral, uint256 debt, uint256 hf) external {
        accounts[user] = [collateral, debt, hf];
    }

    function setPrice(address asset, uint256 price) external {
        prices[asset] = price;
    }

    function getUserAccountData(address user)
        external
        view
        returns (uint256, uint256, uint256, uint256, uint256, uint256)
    {
        uint256[3] memory a = accounts[user];
        return (a[0], a[1], 0, 0, 0, a[2]);
    }

    function getAssetPrice(address asset) external view returns (uint256) {
        return prices[asset];
    }
}

/// @dev A sentinel with fixed answers.
contract FixedSentinel {
    bool public liquidation;
    bool public borrow;

    constructor(bool liquidation_, bool borrow_) {
        liquidation = liquidation_;
        borrow = borrow_;
    }

    function isLiquidationAllowed() external view returns (bool) {
        return liquidation;
    }

    function isBorrowAllowed() external view returns (bool) {
        return borrow;
    }
}

/// @notice The simulations' own contracts: the driven aggregator and its owned proxy, the source-as-feed adapter, the
/// step driver and the lens.
contract SimulationTest is GuardTestBase {
    int192 internal constant MIN = 1e8;
    int192 internal constant MAX = 1e14;
    address internal transmitter = makeAddr("transmitter");
    address internal feedOwner = makeAddr("feedOwner");
    ReplicaAggregator internal aggregator;

    function setUp() public override {
        super.setUp();
        aggregator = new ReplicaAggregator(8, MIN, MAX, transmitter, "ETH / USD");
    }

    /*//////////////////////////////////////////////////////////////
                              AGGREGATOR
    //////////////////////////////////////////////////////////////*/

    function test_aggregator_revertsIfBoundsAreInverted() public {
        vm.expectRevert(abi.encodeWithSelector(ReplicaAggregator.ReplicaAggregatorInvalidBounds.selector, MAX, MIN));
        new ReplicaAggregator(8, MAX, MIN, transmitter, "bad");
    }

    function test_transmit_revertsIfNotTransmitter() public {
        vm.expectRevert(abi.encodeWithSelector(ReplicaAggregator.ReplicaAggregatorNotTransmitter.selector, address(this)));
        aggregator.transmit(2_000e8, 0);
    }

    function test_transmit_clampsToBoundsAndStampsTime() public {
        vm.startPrank(transmitter);
        aggregator.transmit(2_000e8, uint64(block.timestamp - 30));
        (uint80 round, int256 answer, uint256 startedAt, uint256 updatedAt, uint80 answeredIn) = aggregator.latestRoundData();
        assertEq(round, 1);
        assertEq(answer, 2_000e8);
        assertEq(startedAt, block.timestamp - 30);
        assertEq(updatedAt, block.timestamp - 30);
        assertEq(answeredIn, 1);
        // Below the floor: pinned at the min answer (Chainlink's aggregators do exactly this).
        aggregator.transmit(1, 0);
        assertEq(aggregator.latestAnswer(), MIN);
        assertEq(aggregator.latestTimestamp(), block.timestamp);
        aggregator.transmit(type(int192).max, uint64(block.timestamp + 1 days)); // a future time is now
        assertEq(aggregator.latestAnswer(), MAX);
        assertEq(aggregator.latestTimestamp(), block.timestamp);
        assertEq(aggregator.latestRound(), 3);
        vm.stopPrank();
        assertEq(aggregator.description(), "ETH / USD");
        assertEq(aggregator.decimals(), 8);
    }

    /*//////////////////////////////////////////////////////////////
                                 PROXY
    //////////////////////////////////////////////////////////////*/

    function test_proxy_passesThroughWithThePhaseInTheRoundId() public {
        ReplicaFeedProxy proxy = new ReplicaFeedProxy(aggregator, feedOwner);
        vm.prank(transmitter);
        aggregator.transmit(2_000e8, 0);
        (uint80 round, int256 answer,, uint256 updatedAt, uint80 answeredIn) = proxy.latestRoundData();
        assertEq(round, (uint80(1) << 64) | 1);
        assertEq(answeredIn, round);
        assertEq(answer, 2_000e8);
        assertEq(updatedAt, block.timestamp);
        assertEq(proxy.decimals(), 8);
        assertEq(proxy.description(), "ETH / USD");
        assertEq(proxy.latestAnswer(), 2_000e8);
        assertEq(proxy.latestTimestamp(), block.timestamp);
    }

    function test_proxy_onlyItsOwnerReplacesTheAggregator() public {
        ReplicaFeedProxy proxy = new ReplicaFeedProxy(aggregator, feedOwner);
        ReplicaAggregator next = new ReplicaAggregator(8, MIN, MAX, transmitter, "ETH / USD v2");
        vm.expectRevert(abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, address(this)));
        proxy.proposeAggregator(next);

        vm.startPrank(feedOwner);
        vm.expectRevert(
            abi.encodeWithSelector(ReplicaFeedProxy.ReplicaFeedProxyInvalidProposal.selector, address(0), address(next))
        );
        proxy.confirmAggregator(next);
        proxy.proposeAggregator(next);
        vm.expectRevert(
            abi.encodeWithSelector(ReplicaFeedProxy.ReplicaFeedProxyInvalidProposal.selector, address(next), address(0))
        );
        proxy.confirmAggregator(IAggregatorV3(address(0)));
        proxy.confirmAggregator(next);
        vm.stopPrank();

        assertEq(address(proxy.aggregator()), address(next));
        assertEq(address(proxy.proposedAggregator()), address(0));
        assertEq(proxy.phaseId(), 2);
        vm.prank(transmitter);
        next.transmit(1_990e8, 0);
        (uint80 round, int256 answer,,,) = proxy.latestRoundData();
        assertEq(round, (uint80(2) << 64) | 1);
        assertEq(answer, 1_990e8);
    }

    /*//////////////////////////////////////////////////////////////
                              SOURCE FEED
    //////////////////////////////////////////////////////////////*/

    function test_sourceFeed_scalesToEightDecimalsAndZeroesAFault() public {
        MockSource source = new MockSource(2_000e18);
        SourceFeed feed = new SourceFeed(source);
        assertEq(feed.decimals(), 8);
        assertEq(feed.description(), source.description());
        (uint80 round, int256 answer, uint256 startedAt, uint256 updatedAt,) = feed.latestRoundData();
        assertEq(round, 1);
        assertEq(answer, 2_000e8);
        assertEq(startedAt, block.timestamp);
        assertEq(updatedAt, block.timestamp);
        IPriceSource.Reading memory bad = _reading(2_000e18, 0, 0, block.timestamp);
        bad.fault = RulesLib.FAULT_HISTORY;
        source.setReading(bad);
        assertEq(feed.latestAnswer(), 0);
    }

    /*//////////////////////////////////////////////////////////////
                                DRIVER
    //////////////////////////////////////////////////////////////*/

    function test_step_revertsIfNotOperator() public {
        ScenarioDriver driver = new ScenarioDriver();
        vm.prank(makeAddr("stranger"));
        vm.expectRevert(abi.encodeWithSelector(ScenarioDriver.ScenarioDriverNotOperator.selector, makeAddr("stranger")));
        _pokeOnly(driver, ITripwireGuard(address(0)), new address[](0));
    }

    function test_step_movesPoolsReportsPublishesAndPokes() public {
        _listDefault();
        ScenarioDriver driver = new ScenarioDriver();
        ReplicaAggregator driven = new ReplicaAggregator(8, MIN, MAX, address(driver), "driven");
        RecordingActor actor = new RecordingActor();
        MockUniswapV3Pool pool = new MockUniswapV3Pool(makeAddr("WETH token"), makeAddr("USDC token"));
        pool.set(0, 2 ** 96);
        MockPyth pyth = new MockPyth(60, 0);

        ScenarioDriver.PoolMove[] memory moves = new ScenarioDriver.PoolMove[](2);
        moves[0] = ScenarioDriver.PoolMove(address(pool), 2 ** 95); // down: zeroForOne
        moves[1] = ScenarioDriver.PoolMove(address(pool), 2 ** 96); // already there: no swap
        ScenarioDriver.FeedReport[] memory reports = new ScenarioDriver.FeedReport[](1);
        reports[0] = ScenarioDriver.FeedReport(driven, 1_950e8, 0);
        bytes[] memory updates = new bytes[](1);
        bytes32 id = keccak256("ETH/USD");
        updates[0] = pyth.createPriceFeedUpdateData(
            id, 1_950e8, 1e8, -8, 1_950e8, 1e8, uint64(block.timestamp), uint64(block.timestamp - 1)
        );
        address[] memory assets = new address[](1);
        assets[0] = asset;

        _skip(5 minutes);
        _setAll(PRICE);
        driver.step(actor, moves, reports, IPythUpdate(address(pyth)), updates, guard, assets);
        assertEq(actor.swaps(), 1);
        assertEq(actor.lastPool(), address(pool));
        assertTrue(actor.lastZeroForOne());
        assertEq(actor.lastLimit(), 2 ** 95);
        assertEq(driven.latestAnswer(), 1_950e8);
        assertEq(pyth.getPriceUnsafe(id).price, 1_950e8);
        assertEq(guard.marketState(asset).evaluatedAt, block.timestamp);
    }

    function test_step_reportsAPokeThatRevertsInsteadOfFailing() public {
        ScenarioDriver driver = new ScenarioDriver();
        address[] memory assets = new address[](1);
        assets[0] = makeAddr("unlisted");
        vm.expectEmit(address(driver));
        emit ScenarioDriver.PokeFailed(abi.encodeWithSelector(ITripwireGuard.GuardUnknownMarket.selector, assets[0]));
        _pokeOnly(driver, guard, assets);
    }

    /// @dev A step that moves nothing and only pokes `assets` on `target`.
    function _pokeOnly(ScenarioDriver driver, ITripwireGuard target, address[] memory assets) internal {
        driver.step(
            IPoolActor(address(0)),
            new ScenarioDriver.PoolMove[](0),
            new ScenarioDriver.FeedReport[](0),
            IPythUpdate(address(0)),
            new bytes[](0),
            target,
            assets
        );
    }

    /*//////////////////////////////////////////////////////////////
                                 LENS
    //////////////////////////////////////////////////////////////*/

    function test_observe_readsPositionsPricesTheGuardAndTheSentinel() public {
        _listDefault();
        guard.poke(asset);
        second.setMode(MockSource.Mode.Revert);
        AaveViews aave = new AaveViews();
        address user = makeAddr("borrower");
        aave.setAccount(user, 20_000e8, 15_000e8, 1.1e18);
        aave.setPrice(asset, 2_000e8);
        SimulationLens lens = new SimulationLens();
        address[] memory users = new address[](1);
        users[0] = user;
        address[] memory assets = new address[](1);
        assets[0] = asset;

        SimulationLens.Observation memory o = lens.observe(
            aave, aave, users, assets, guard, IAavePriceOracleSentinel(address(new FixedSentinel(false, true)))
        );
        assertEq(o.positions[0].collateralBase, 20_000e8);
        assertEq(o.positions[0].debtBase, 15_000e8);
        assertEq(o.positions[0].healthFactor, 1.1e18);
        assertEq(o.oraclePrices[0], 2_000e8);
        assertEq(o.markets.length, 1);
        assertEq(o.markets[0].prices[0], PRICE);
        assertEq(o.markets[0].prices[1], 0, "a reverting source reads as no price");
        assertEq(o.markets[0].prices[2], PRICE);
        assertEq(o.markets[0].status, RulesLib.STATUS_NORMAL);
        assertTrue(o.markets[0].liquidationAllowed);
        assertTrue(o.markets[0].borrowAllowed);
        assertFalse(o.sentinelLiquidationAllowed);
        assertTrue(o.sentinelBorrowAllowed);

        // Without a guard or a sentinel (the run without Tripwire): positions and prices only; everything allowed.
        o = lens.observe(aave, aave, users, assets, ITripwireGuard(address(0)), IAavePriceOracleSentinel(address(0)));
        assertEq(o.markets.length, 0);
        assertEq(o.oraclePrices[0], 2_000e8);
        assertTrue(o.sentinelLiquidationAllowed);
        assertTrue(o.sentinelBorrowAllowed);
    }
}
