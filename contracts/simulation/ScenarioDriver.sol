// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ITripwireGuard} from "../interfaces/ITripwireGuard.sol";
import {ReplicaAggregator} from "./ReplicaAggregator.sol";

/// @dev The Pyth update entry point (MockPyth charges its configured fee, zero in simulations).
interface IPythUpdate {
    function updatePriceFeeds(bytes[] calldata updateData) external payable;
}

/// @dev The Uniswap V3 pool's price.
interface IPoolPrice {
    function slot0() external view returns (uint160 sqrtPriceX96, int24, uint16, uint16, uint16, uint8, bool);
}

/// @dev The swap entry point of the Uniswap V3 actor that arbitrages pools back to the market price.
interface IPoolActor {
    function swap(address pool, bool zeroForOne, uint256 amountIn, uint160 sqrtPriceLimitX96)
        external
        returns (int256 amount0, int256 amount1);
}

/// @title ScenarioDriver
/// @notice Moves the simulated market one step in one transaction: arbitrageurs bring pools to the market price,
/// oracles report, and the keeper pokes the guard, in that order and in one block. Attack simulations call it once
/// per step, so that a run of hours costs a few hundred transactions. It is the transmitter of every aggregator a
/// simulation installs.
contract ScenarioDriver {
    /// @notice One aggregator report.
    struct FeedReport {
        ReplicaAggregator aggregator;
        int192 answer;
        uint64 startedAt;
    }

    /// @notice One arbitrage: swap in `pool` until its price reaches `sqrtPriceX96`.
    struct PoolMove {
        address pool;
        uint160 sqrtPriceX96;
    }

    uint256 private constant UNBOUNDED_INPUT = 1e38;

    /// @notice The only account that may drive.
    address public immutable OPERATOR;

    /// @notice A poke that reverted (the step goes on: the report shows the guard's state as it is).
    event PokeFailed(bytes reason);

    /// @notice Thrown when someone other than the operator drives.
    error ScenarioDriverNotOperator(address caller);

    constructor() {
        OPERATOR = msg.sender;
    }

    /// @notice One step of the market.
    /// @param actor The Uniswap V3 actor that pays for arbitrage swaps (zero: no pool moves).
    /// @param moves Pools to bring to a price.
    /// @param reports Aggregator reports.
    /// @param pyth The Pyth contract (zero: no updates).
    /// @param pythUpdates Pyth price feed updates (MockPyth's encoding).
    /// @param guard The guard to poke (zero: none).
    /// @param assets The markets to poke.
    function step(
        IPoolActor actor,
        PoolMove[] calldata moves,
        FeedReport[] calldata reports,
        IPythUpdate pyth,
        bytes[] calldata pythUpdates,
        ITripwireGuard guard,
        address[] calldata assets
    ) external {
        if (msg.sender != OPERATOR) revert ScenarioDriverNotOperator(msg.sender);
        for (uint256 i; i < moves.length; ++i) {
            (uint160 current,,,,,,) = IPoolPrice(moves[i].pool).slot0();
            uint160 target = moves[i].sqrtPriceX96;
            if (target != current) actor.swap(moves[i].pool, target < current, UNBOUNDED_INPUT, target);
        }
        for (uint256 i; i < reports.length; ++i) {
            reports[i].aggregator.transmit(reports[i].answer, reports[i].startedAt);
        }
        if (pythUpdates.length != 0) pyth.updatePriceFeeds(pythUpdates);
        if (assets.length != 0) {
            try guard.pokeMany(assets) {}
            catch (bytes memory reason) {
                emit PokeFailed(reason);
            }
        }
    }
}
