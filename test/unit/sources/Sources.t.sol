// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Test} from "forge-std/Test.sol";
import {MockPyth} from "@pythnetwork/pyth-sdk-solidity/MockPyth.sol";
import {TickMath} from "@uniswap/v3-core-0.8/contracts/libraries/TickMath.sol";

import {IPriceSource} from "../../../contracts/interfaces/IPriceSource.sol";
import {IAggregatorV3} from "../../../contracts/interfaces/external/IAggregatorV3.sol";
import {IUniswapV3PoolOracle} from "../../../contracts/interfaces/external/IUniswapV3PoolOracle.sol";
import {RulesLib} from "../../../contracts/libraries/RulesLib.sol";
import {ChainlinkSource} from "../../../contracts/sources/ChainlinkSource.sol";
import {PythSource} from "../../../contracts/sources/PythSource.sol";
import {UniswapV3TwapSource} from "../../../contracts/sources/UniswapV3TwapSource.sol";
import {MockAggregator} from "../../../contracts/mocks/MockAggregator.sol";
import {MockERC20} from "../../../contracts/mocks/MockERC20.sol";
import {MockUniswapV3Pool} from "../../../contracts/mocks/MockUniswapV3Pool.sol";

contract ChainlinkSourceTest is Test {
    MockAggregator internal feed;
    ChainlinkSource internal source;

    function setUp() public {
        vm.warp(1_700_000_000);
        feed = new MockAggregator(8, 2_000e8);
        source = new ChainlinkSource(IAggregatorV3(address(feed)), 1e8, 100_000e8, "Chainlink ETH/USD");
    }

    function test_read_normalises() public view {
        IPriceSource.Reading memory r = source.read();
        assertEq(r.price, 2_000e18);
        assertEq(r.observedAt, block.timestamp);
        assertEq(r.fault, 0);
        assertEq(r.conf, 0);
        assertEq(r.spot, 0);
        assertEq(source.description(), "Chainlink ETH/USD");
    }

    function testFuzz_read_normalisesAnyDecimals(uint8 decimals, uint256 answer) public {
        decimals = uint8(bound(decimals, 0, 36));
        answer = bound(answer, 1, 1e40);
        MockAggregator f = new MockAggregator(decimals, int256(answer));
        ChainlinkSource s = new ChainlinkSource(IAggregatorV3(address(f)), 0, 0, "fuzz");
        IPriceSource.Reading memory r = s.read();
        uint256 expected = decimals <= 18 ? answer * 10 ** (18 - decimals) : answer / 10 ** (decimals - 18);
        assertEq(r.price, expected);
        assertEq(r.fault, RulesLib.FAULT_NONE);
    }

    function test_read_faults() public {
        feed.setAnswer(0);
        assertEq(source.read().fault, RulesLib.FAULT_NON_POSITIVE);
        feed.setAnswer(-1);
        assertEq(source.read().fault, RulesLib.FAULT_NON_POSITIVE);
        feed.setRound(5, 2_000e8, 0, 0, 5);
        assertEq(source.read().fault, RulesLib.FAULT_STALE);
        feed.setRound(5, 2_000e8, block.timestamp, block.timestamp, 4);
        assertEq(source.read().fault, RulesLib.FAULT_INCOMPLETE_ROUND);
        feed.setAnswer(1e8); // pinned at the min answer (the Venus/LUNA failure)
        assertEq(source.read().fault, RulesLib.FAULT_PINNED);
        feed.setAnswer(100_000e8);
        assertEq(source.read().fault, RulesLib.FAULT_PINNED);
        feed.setAnswer(1e8 + 1);
        assertEq(source.read().fault, RulesLib.FAULT_NONE);
    }

    function test_read_tooManyDecimalsIsAFault() public {
        MockAggregator f = new MockAggregator(37, 1e37);
        ChainlinkSource s = new ChainlinkSource(IAggregatorV3(address(f)), 0, 0, "wide");
        assertEq(s.read().fault, RulesLib.FAULT_SCALE);
    }

    function test_read_revertsWhenFeedReverts() public {
        feed.setReverts(true);
        vm.expectRevert(MockAggregator.MockAggregatorReverted.selector);
        source.read();
    }

    function test_constructor_revertsIfBoundsInverted() public {
        vm.expectRevert(abi.encodeWithSelector(ChainlinkSource.ChainlinkSourceInvalidBounds.selector, 10, 5));
        new ChainlinkSource(IAggregatorV3(address(feed)), 10, 5, "bad");
    }
}

contract PythSourceTest is Test {
    bytes32 internal constant ID = keccak256("ETH/USD");
    MockPyth internal pyth;
    PythSource internal source;

    function setUp() public {
        vm.warp(1_700_000_000);
        pyth = new MockPyth(60, 0);
        source = new PythSource(pyth, ID, 200, "Pyth ETH/USD"); // 2% confidence limit
    }

    function _publish(int64 price, uint64 conf, int32 expo) internal {
        bytes[] memory updates = new bytes[](1);
        updates[0] = pyth.createPriceFeedUpdateData(
            ID, price, conf, expo, price, conf, uint64(block.timestamp), uint64(block.timestamp - 1)
        );
        pyth.updatePriceFeeds(updates);
    }

    function test_read_normalisesPriceAndConfidence() public {
        _publish(2_000e8, 1e8, -8);
        IPriceSource.Reading memory r = source.read();
        assertEq(r.price, 2_000e18);
        assertEq(r.conf, 1e18);
        assertEq(r.observedAt, block.timestamp);
        assertEq(r.fault, 0);
        assertEq(source.description(), "Pyth ETH/USD");
    }

    function testFuzz_read_normalisesAnyExponent(int32 expo, uint64 mantissa) public {
        expo = int32(bound(expo, -36, 18));
        mantissa = uint64(bound(mantissa, 1, uint64(type(int64).max)));
        vm.warp(block.timestamp + 1);
        _publish(int64(mantissa), 0, expo);
        IPriceSource.Reading memory r = source.read();
        uint256 expected = expo >= 0
            ? uint256(mantissa) * 10 ** (18 + uint32(expo))
            : (uint32(-expo) <= 18 ? uint256(mantissa) * 10 ** (18 - uint32(-expo)) : mantissa / 10 ** (uint32(-expo) - 18));
        assertEq(r.price, expected);
    }

    function test_read_faults() public {
        _publish(0, 0, -8);
        assertEq(source.read().fault, RulesLib.FAULT_NON_POSITIVE);
        vm.warp(block.timestamp + 1);
        _publish(-5, 0, -8);
        assertEq(source.read().fault, RulesLib.FAULT_NON_POSITIVE);
        vm.warp(block.timestamp + 1);
        _publish(2_000e8, 41e8, -8); // 2.05% > 2%
        assertEq(source.read().fault, RulesLib.FAULT_CONFIDENCE);
        vm.warp(block.timestamp + 1);
        _publish(2_000e8, 40e8, -8); // exactly 2%: accepted
        assertEq(source.read().fault, RulesLib.FAULT_NONE);
        vm.warp(block.timestamp + 1);
        _publish(2_000e8, 0, -37);
        assertEq(source.read().fault, RulesLib.FAULT_SCALE);
        vm.warp(block.timestamp + 1);
        _publish(2_000e8, 0, 19);
        assertEq(source.read().fault, RulesLib.FAULT_SCALE);
    }

    function test_read_revertsForUnknownFeed() public {
        PythSource unknown = new PythSource(pyth, keccak256("nope"), 200, "unknown");
        vm.expectRevert();
        unknown.read();
    }

    function test_constructor_revertsIfConfLimitInvalid() public {
        vm.expectRevert(abi.encodeWithSelector(PythSource.PythSourceInvalidConfLimit.selector, 0));
        new PythSource(pyth, ID, 0, "bad");
        vm.expectRevert(abi.encodeWithSelector(PythSource.PythSourceInvalidConfLimit.selector, 10_000));
        new PythSource(pyth, ID, 10_000, "bad");
    }
}

contract UniswapV3TwapSourceTest is Test {
    MockERC20 internal weth;
    MockERC20 internal usdc;
    MockUniswapV3Pool internal pool;

    function setUp() public {
        vm.warp(1_700_000_000);
        weth = new MockERC20("Wrapped Ether", "WETH", 18);
        usdc = new MockERC20("USD Coin", "USDC", 6);
        pool = new MockUniswapV3Pool(address(weth), address(usdc));
    }

    function test_read_sameDecimals_tickZeroIsOne() public {
        MockERC20 a = new MockERC20("A", "A", 18);
        MockERC20 b = new MockERC20("B", "B", 18);
        MockUniswapV3Pool p = new MockUniswapV3Pool(address(a), address(b));
        p.set(0, TickMath.getSqrtRatioAtTick(0));
        UniswapV3TwapSource s = new UniswapV3TwapSource(IUniswapV3PoolOracle(address(p)), address(a), 1800, "A/B");
        IPriceSource.Reading memory r = s.read();
        assertEq(r.price, 1e18);
        assertEq(r.spot, 1e18);
        assertEq(r.observedAt, block.timestamp);
        // Tick 6932 is about 2 (1.0001^6932 = 1.99983...).
        p.set(6932, TickMath.getSqrtRatioAtTick(6932));
        assertApproxEqRel(s.read().price, 2e18, 1e14);
        // Pricing the other token inverts it.
        UniswapV3TwapSource inverse =
            new UniswapV3TwapSource(IUniswapV3PoolOracle(address(p)), address(b), 1800, "B/A");
        assertApproxEqRel(inverse.read().price, 0.5e18, 1e14);
        assertEq(s.description(), "A/B");
    }

    function test_read_wethUsdc_acrossDecimals() public {
        // 2,000 USDC per WETH, in raw units: 2000e6 / 1e18 = 2e-9 token1 (or token0) per unit.
        bool wethIsToken0 = pool.token0() == address(weth);
        // raw price token1/token0: 2e-9 if WETH is token0, else 5e8.
        int24 tick = wethIsToken0 ? int24(-200_311) : int24(200_311);
        pool.set(tick, TickMath.getSqrtRatioAtTick(tick));
        UniswapV3TwapSource s =
            new UniswapV3TwapSource(IUniswapV3PoolOracle(address(pool)), address(weth), 1800, "WETH/USDC");
        assertApproxEqRel(s.read().price, 2_000e18, 1e15);
        UniswapV3TwapSource inverse =
            new UniswapV3TwapSource(IUniswapV3PoolOracle(address(pool)), address(usdc), 1800, "USDC/WETH");
        assertApproxEqRel(inverse.read().price, 0.0005e18, 1e15);
    }

    function test_read_spotDiffersFromTwap() public {
        int24 tick = 1000;
        pool.set(tick, TickMath.getSqrtRatioAtTick(tick + 2000));
        UniswapV3TwapSource s = new UniswapV3TwapSource(IUniswapV3PoolOracle(address(pool)), address(weth), 600, "x");
        IPriceSource.Reading memory r = s.read();
        // Spot sits 2,000 ticks above the average: a factor 1.0001^2000 = 1.2214 on the pool's raw price, upward
        // when WETH is token0 and downward when it is token1 (the price is then inverted).
        (uint256 high, uint256 low) = pool.token0() == address(weth) ? (r.spot, r.price) : (r.price, r.spot);
        assertGt(high, low);
        assertApproxEqRel(high * 1e18 / low, 1.2214e18, 1e15);
    }

    function testFuzz_read_negativeTicksRoundDown(int24 tick) public {
        tick = int24(bound(tick, -100_000, 100_000));
        MockERC20 a = new MockERC20("A", "A", 18);
        MockERC20 b = new MockERC20("B", "B", 18);
        MockUniswapV3Pool p = new MockUniswapV3Pool(address(a), address(b));
        p.set(tick, TickMath.getSqrtRatioAtTick(tick));
        address base = p.token0();
        UniswapV3TwapSource s = new UniswapV3TwapSource(IUniswapV3PoolOracle(address(p)), base, 1800, "fuzz");
        IPriceSource.Reading memory r = s.read();
        // The average of a constant tick is that tick: the TWAP equals the spot.
        assertEq(r.price, r.spot);
    }

    function test_read_tooLittleHistoryIsAFault() public {
        pool.set(0, TickMath.getSqrtRatioAtTick(0));
        pool.setTooYoung(true);
        UniswapV3TwapSource s = new UniswapV3TwapSource(IUniswapV3PoolOracle(address(pool)), address(weth), 1800, "x");
        IPriceSource.Reading memory r = s.read();
        assertEq(r.fault, RulesLib.FAULT_HISTORY);
        assertEq(r.price, 0);
    }

    function test_constructor_reverts() public {
        address stranger = address(new MockERC20("X", "X", 18));
        vm.expectRevert(
            abi.encodeWithSelector(
                UniswapV3TwapSource.TwapSourceBaseNotInPool.selector, stranger, pool.token0(), pool.token1()
            )
        );
        new UniswapV3TwapSource(IUniswapV3PoolOracle(address(pool)), stranger, 1800, "x");
        vm.expectRevert(abi.encodeWithSelector(UniswapV3TwapSource.TwapSourceInvalidWindow.selector, 0));
        new UniswapV3TwapSource(IUniswapV3PoolOracle(address(pool)), address(weth), 0, "x");
        MockERC20 wide = new MockERC20("W", "W", 60);
        MockUniswapV3Pool p = new MockUniswapV3Pool(address(wide), address(weth));
        vm.expectRevert(abi.encodeWithSelector(UniswapV3TwapSource.TwapSourceUnsupportedDecimals.selector, 18, 60));
        new UniswapV3TwapSource(IUniswapV3PoolOracle(address(p)), address(weth), 1800, "x");
    }
}
