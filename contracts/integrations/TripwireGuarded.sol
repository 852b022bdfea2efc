// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ITripwireGuard} from "../interfaces/ITripwireGuard.sol";

/// @title TripwireGuarded
/// @notice Inherit to guard a lending or perps protocol's liquidation and borrow paths with a Tripwire guard.
/// @dev Reads the guard's stored verdict (one storage read per asset; two with inline pokes enabled, to learn the
/// verdict's age). When `MAX_EVALUATION_AGE` is non-zero and the stored evaluation is older, it pokes the guard
/// inline first, so that safety does not depend on a keeper
/// being up (the inline poke reads every source, and it needs about 127,000 gas left before each read). An inline poke
/// inside a liquidation that then reverts stores nothing: the liquidation is still refused, but the trip is only
/// recorded by a poke that succeeds on its own (a keeper's, or a liquidation that goes through).
///
/// While an asset's liquidations are paused, a liquidation still goes through when the position is liquidatable
/// even at the borrower-favourable end of the guard's credible band (the collateral at the band's high end, the
/// debt at its low end): the protocol answers that through `_isLiquidatableAtBand`. A pause must never protect a
/// position that is insolvent at every believable price, and an attacker cannot satisfy this test without
/// corrupting the sources that define the band.
///
/// Band prices are the guard's: 18-decimal fixed point, quote per base, in the quote the guard's market uses. An
/// asset given as the zero address is not guarded (e.g. the protocol's numeraire).
///
/// Gas, measured as part of the example market's liquidation (bench/results/gas.json, `example.liquidate.*`): the
/// guarded check adds 6,116 gas for one guarded asset with inline pokes off; 8,594 with inline pokes on and a fresh
/// verdict; 100,557 with an inline poke of a three-source market (two Chainlink-style feeds and Pyth).
abstract contract TripwireGuarded {
    /// @notice The guard.
    ITripwireGuard public immutable TRIPWIRE;
    /// @notice Oldest stored evaluation acted on without poking first, in seconds (0: never poke inline).
    uint256 public immutable MAX_EVALUATION_AGE;

    /// @notice What `_isLiquidatableAtBand` is asked: for each side, whether it is paused and, if so, the price to
    /// value it at.
    /// @param collateralPaused Whether the collateral asset's liquidations are paused.
    /// @param collateralPrice The band's high end for a paused collateral (0 otherwise: use your own price).
    /// @param debtPaused Whether the debt asset's liquidations are paused.
    /// @param debtPrice The band's low end for a paused debt asset (0 otherwise: use your own price).
    struct BandQuote {
        bool collateralPaused;
        uint256 collateralPrice;
        bool debtPaused;
        uint256 debtPrice;
    }

    /// @notice Liquidations of `asset` are paused and the position is not liquidatable at the borrower-favourable end
    /// of the credible band.
    /// @param borrower The position.
    /// @param asset The first paused asset involved.
    /// @param collateralPrice The collateral price the position was valued at (0: the protocol's own).
    /// @param debtPrice The debt price the position was valued at (0: the protocol's own).
    error TripwireLiquidationPaused(address borrower, address asset, uint256 collateralPrice, uint256 debtPrice);
    /// @notice Borrows against or of `asset` are paused.
    error TripwireBorrowPaused(address asset);

    /// @notice A liquidation went through during a pause because the position is liquidatable at every credible
    /// price.
    /// @param borrower The position.
    /// @param collateral The collateral asset.
    /// @param debt The debt asset.
    /// @param collateralPrice The collateral price it was valued at (0: the protocol's own).
    /// @param debtPrice The debt price it was valued at (0: the protocol's own).
    event TripwireBandLiquidation(
        address indexed borrower, address indexed collateral, address indexed debt, uint256 collateralPrice,
        uint256 debtPrice
    );

    /// @param guard The Tripwire guard.
    /// @param maxEvaluationAge Oldest stored evaluation acted on without poking first, in seconds (0: never poke).
    constructor(ITripwireGuard guard, uint256 maxEvaluationAge) {
        TRIPWIRE = guard;
        MAX_EVALUATION_AGE = maxEvaluationAge;
    }

    /// @notice Guards a liquidation of `borrower` that seizes `collateral` and repays `debt`.
    /// @dev Not `view`: it may poke the guard inline and emits when the credible band lets a liquidation through.
    modifier guardLiquidation(address borrower, address collateral, address debt) {
        _guardLiquidation(borrower, collateral, debt);
        _;
    }

    /// @notice Guards a borrow against or of `asset`.
    modifier guardBorrow(address asset) {
        _guardBorrow(asset);
        _;
    }

    /// @notice Whether `borrower` is liquidatable with a paused asset valued at its borrower-favourable band end.
    /// @dev Value every asset of the position at your own prices except those the quote marks paused, which take
    /// the quoted price (18 decimals, the guard's quote). An unknown band quotes the collateral at 2^128 - 1 and the
    /// debt at 0, so that nothing passes.
    /// @param borrower The position.
    /// @param collateral The collateral asset of the liquidation.
    /// @param debt The debt asset of the liquidation.
    /// @param quote Which side is paused and the price to take for it.
    /// @return liquidatable Whether the position may be liquidated at those prices.
    function _isLiquidatableAtBand(address borrower, address collateral, address debt, BandQuote memory quote)
        internal
        view
        virtual
        returns (bool liquidatable);

    /// @notice The liquidation check, for protocols that prefer calling it to the modifier.
    /// @return quote Which side is paused and its band price: a protocol should settle a liquidation that goes
    /// through during a pause at that price (0 and not paused: its own price).
    function _guardLiquidation(address borrower, address collateral, address debt)
        internal
        returns (BandQuote memory quote)
    {
        bool collateralAllowed = _liquidationAllowed(collateral);
        bool debtAllowed = _liquidationAllowed(debt);
        if (collateralAllowed && debtAllowed) return quote;
        if (!collateralAllowed) {
            quote.collateralPaused = true;
            (, quote.collateralPrice) = TRIPWIRE.credibleBand(collateral);
        }
        if (!debtAllowed) {
            quote.debtPaused = true;
            (quote.debtPrice,) = TRIPWIRE.credibleBand(debt);
        }
        if (!_isLiquidatableAtBand(borrower, collateral, debt, quote)) {
            revert TripwireLiquidationPaused(
                borrower, collateralAllowed ? debt : collateral, quote.collateralPrice, quote.debtPrice
            );
        }
        emit TripwireBandLiquidation(borrower, collateral, debt, quote.collateralPrice, quote.debtPrice);
    }

    /// @notice The borrow check, for protocols that prefer calling it to the modifier.
    function _guardBorrow(address asset) internal {
        if (asset == address(0)) return;
        if (MAX_EVALUATION_AGE != 0) _pokeIfStale(asset);
        if (!TRIPWIRE.isBorrowAllowed(asset)) revert TripwireBorrowPaused(asset);
    }

    /// @dev The stored verdict, refreshed first when older than `MAX_EVALUATION_AGE`.
    function _liquidationAllowed(address asset) internal returns (bool allowed) {
        if (asset == address(0)) return true;
        if (MAX_EVALUATION_AGE == 0) return TRIPWIRE.isLiquidationAllowed(asset);
        uint40 evaluatedAt;
        (allowed,, evaluatedAt) = TRIPWIRE.liquidationStatus(asset);
        if (block.timestamp - evaluatedAt > MAX_EVALUATION_AGE) {
            TRIPWIRE.poke(asset);
            (allowed,,) = TRIPWIRE.liquidationStatus(asset);
        }
    }

    function _pokeIfStale(address asset) internal {
        (,, uint40 evaluatedAt) = TRIPWIRE.liquidationStatus(asset);
        if (block.timestamp - evaluatedAt > MAX_EVALUATION_AGE) TRIPWIRE.poke(asset);
    }
}
