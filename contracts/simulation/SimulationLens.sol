// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IPriceSource} from "../interfaces/IPriceSource.sol";
import {ITripwireGuard} from "../interfaces/ITripwireGuard.sol";
import {IAavePriceOracleSentinel} from "../interfaces/external/IAaveV3.sol";
import {RulesLib} from "../libraries/RulesLib.sol";

/// @dev The Aave V3 functions the lens reads.
interface IAavePoolView {
    function getUserAccountData(address user)
        external
        view
        returns (uint256, uint256, uint256, uint256, uint256, uint256);
}

/// @dev AaveOracle's price getter.
interface IAaveOracleView {
    function getAssetPrice(address asset) external view returns (uint256);
}

/// @title SimulationLens
/// @notice Everything an attack simulation observes after a step, in one `eth_call`: each borrower's Aave
/// position, the prices Aave acts on, and the guard's view of each market.
contract SimulationLens {
    /// @notice One borrower's Aave position (base currency: USD, 8 decimals).
    struct Position {
        uint256 collateralBase;
        uint256 debtBase;
        uint256 healthFactor;
    }

    /// @notice The guard's view of one market.
    struct MarketView {
        RulesLib.Evaluation evaluation;
        /// Each source's price as the guard reads it (0: faulty or reverting).
        uint256[] prices;
        uint8 status;
        bool liquidationAllowed;
        bool borrowAllowed;
    }

    /// @notice What a step left behind.
    struct Observation {
        Position[] positions;
        uint256[] oraclePrices;
        MarketView[] markets;
        bool sentinelLiquidationAllowed;
        bool sentinelBorrowAllowed;
    }

    /// @notice Reads the positions of `users`, AaveOracle's price of each asset, and the guard's view of each.
    /// @param pool The Aave pool.
    /// @param oracle AaveOracle.
    /// @param users The borrowers.
    /// @param assets The assets (Aave reserves and guard markets).
    /// @param guard The guard (zero: no market views).
    /// @param sentinel The sentinel installed in Aave (zero: none, everything allowed).
    function observe(
        IAavePoolView pool,
        IAaveOracleView oracle,
        address[] calldata users,
        address[] calldata assets,
        ITripwireGuard guard,
        IAavePriceOracleSentinel sentinel
    ) external view returns (Observation memory o) {
        o.positions = new Position[](users.length);
        for (uint256 i; i < users.length; ++i) {
            (uint256 collateral, uint256 debt,,,, uint256 hf) = pool.getUserAccountData(users[i]);
            o.positions[i] = Position(collateral, debt, hf);
        }
        o.oraclePrices = new uint256[](assets.length);
        o.markets = new MarketView[](address(guard) == address(0) ? 0 : assets.length);
        for (uint256 i; i < assets.length; ++i) {
            o.oraclePrices[i] = oracle.getAssetPrice(assets[i]);
            if (address(guard) == address(0)) continue;
            MarketView memory m = o.markets[i];
            (m.evaluation,) = guard.evaluate(assets[i]);
            RulesLib.SourceConfig[] memory sources = guard.marketConfig(assets[i]).sources;
            m.prices = new uint256[](sources.length);
            for (uint256 j; j < sources.length; ++j) {
                try IPriceSource(sources[j].source).read() returns (IPriceSource.Reading memory r) {
                    if (r.fault == 0) m.prices[j] = r.price;
                } catch {}
            }
            (m.liquidationAllowed, m.status,) = guard.liquidationStatus(assets[i]);
            m.borrowAllowed = guard.isBorrowAllowed(assets[i]);
        }
        bool hasSentinel = address(sentinel) != address(0);
        o.sentinelLiquidationAllowed = !hasSentinel || sentinel.isLiquidationAllowed();
        o.sentinelBorrowAllowed = !hasSentinel || sentinel.isBorrowAllowed();
    }
}
