// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Ownable, Ownable2Step} from "@openzeppelin/contracts/access/Ownable2Step.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IERC20Metadata} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Metadata.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";

import {IPriceSource} from "../interfaces/IPriceSource.sol";
import {ITripwireGuard} from "../interfaces/ITripwireGuard.sol";
import {TripwireGuarded} from "../integrations/TripwireGuarded.sol";

/// @title ExampleLendingMarket
/// @notice A minimal over-collateralised lending market guarded by Tripwire: lenders supply one debt asset for
/// shares, borrowers post collateral in listed assets and borrow the debt asset, and anyone liquidates a position
/// whose health factor is below one, repaying up to a close factor of its debt for collateral plus a bonus.
/// @dev An example, kept honest: no interest (the debt asset is lent at zero rate), each collateral priced by a
/// configurable `IPriceSource` in units of the debt asset (18 decimals), bad debt written off against the lenders
/// when a position runs out of collateral. Borrows, and collateral withdrawals by indebted positions, need every
/// guarded collateral of the position to allow borrowing; liquidations need the seized collateral to allow
/// liquidating, or the position to be liquidatable at the credible band's high end (and the seized amount is then
/// priced there too, so a pause never lets a liquidator take more than at the highest credible price).
contract ExampleLendingMarket is TripwireGuarded, Ownable2Step, ReentrancyGuard {
    using SafeERC20 for IERC20;

    /*//////////////////////////////////////////////////////////////
                               CONSTANTS
    //////////////////////////////////////////////////////////////*/

    uint256 private constant BPS = 10_000;
    uint256 private constant WAD = 1e18;
    /// @notice The most collateral assets the market lists (bounds every loop over a position).
    uint256 public constant MAX_COLLATERALS = 8;
    /// @notice The oldest price the market acts on.
    uint256 public constant MAX_PRICE_AGE = 1 days;
    /// @dev Highest decimals a token may have (10**36 fits comfortably in the math below).
    uint8 private constant MAX_DECIMALS = 36;

    /*//////////////////////////////////////////////////////////////
                                STORAGE
    //////////////////////////////////////////////////////////////*/

    /// @notice The asset lent and borrowed; collateral prices are quoted in it.
    IERC20 public immutable DEBT_ASSET;
    uint256 private immutable DEBT_UNIT;

    /// @notice A listed collateral asset.
    /// @param oracle Its price in the debt asset, 18 decimals.
    /// @param maxPriceAge Oldest observation acted on, in seconds.
    /// @param ltvBps Borrowing limit, as a share of the collateral's value.
    /// @param liquidationThresholdBps Value share below which the position is liquidatable (above `ltvBps`).
    /// @param bonusBps Bonus a liquidator receives on the collateral it takes.
    /// @param guarded Whether the Tripwire guard has a market for it.
    /// @param unit 10 ** decimals.
    struct Collateral {
        IPriceSource oracle;
        uint32 maxPriceAge;
        uint16 ltvBps;
        uint16 liquidationThresholdBps;
        uint16 bonusBps;
        bool guarded;
        uint256 unit;
    }

    /// @notice Share of a position's debt one liquidation may repay.
    uint16 public closeFactorBps;

    address[] private _collateralList;
    mapping(address asset => Collateral) private _collaterals;
    mapping(address user => mapping(address asset => uint256 amount)) public collateralOf;
    mapping(address user => uint256 amount) public debtOf;

    /// @notice Debt outstanding, in debt asset units.
    uint256 public totalDebt;
    /// @notice Debt written off so far.
    uint256 public totalBadDebt;
    /// @notice Lender shares.
    mapping(address lender => uint256 shares) public sharesOf;
    /// @notice Total lender shares.
    uint256 public totalShares;

    /*//////////////////////////////////////////////////////////////
                                 ERRORS
    //////////////////////////////////////////////////////////////*/

    /// @notice The asset is not a listed collateral.
    error MarketUnknownCollateral(address asset);
    /// @notice A risk parameter is out of its bounds.
    error MarketInvalidParameter(bytes32 name, uint256 value);
    /// @notice The collateral's oracle reported a fault or an old price.
    error MarketPriceInvalid(address asset, uint256 fault, uint256 observedAt);
    /// @notice The position would be above its borrowing limit.
    error MarketInsufficientCollateral(address user, uint256 debtValue, uint256 borrowLimit);
    /// @notice The position is healthy.
    error MarketHealthy(address user, uint256 healthFactor);
    /// @notice The amount is zero or more than allowed.
    error MarketInvalidAmount(uint256 amount, uint256 max);
    /// @notice Not enough cash in the market.
    error MarketInsufficientLiquidity(uint256 requested, uint256 available);

    /*//////////////////////////////////////////////////////////////
                                 EVENTS
    //////////////////////////////////////////////////////////////*/

    /// @notice A collateral asset was listed or reconfigured.
    event CollateralConfigured(address indexed asset, Collateral config);
    /// @notice The close factor changed.
    event CloseFactorSet(uint16 closeFactorBps);
    /// @notice A lender supplied the debt asset.
    event Supplied(address indexed lender, uint256 amount, uint256 shares);
    /// @notice A lender withdrew the debt asset.
    event Withdrawn(address indexed lender, uint256 amount, uint256 shares);
    /// @notice Collateral posted.
    event CollateralDeposited(address indexed user, address indexed asset, uint256 amount);
    /// @notice Collateral withdrawn.
    event CollateralWithdrawn(address indexed user, address indexed asset, uint256 amount);
    /// @notice A borrow.
    event Borrowed(address indexed user, uint256 amount, uint256 debt);
    /// @notice A repayment.
    event Repaid(address indexed payer, address indexed user, uint256 amount, uint256 debt);
    /// @notice A liquidation, with the collateral price it was settled at.
    event Liquidated(
        address indexed liquidator,
        address indexed user,
        address indexed collateral,
        uint256 repaid,
        uint256 seized,
        uint256 collateralPrice
    );
    /// @notice A position without collateral left had its remaining debt written off against the lenders.
    event BadDebtWrittenOff(address indexed user, uint256 amount);

    /*//////////////////////////////////////////////////////////////
                              CONSTRUCTOR
    //////////////////////////////////////////////////////////////*/

    /// @param debtAsset The asset lent.
    /// @param guard The Tripwire guard.
    /// @param maxEvaluationAge Oldest guard evaluation acted on without poking first (0: never poke inline).
    /// @param closeFactor Share of a position's debt one liquidation may repay, in bps.
    /// @param owner_ Who lists collateral.
    constructor(IERC20 debtAsset, ITripwireGuard guard, uint256 maxEvaluationAge, uint16 closeFactor, address owner_)
        TripwireGuarded(guard, maxEvaluationAge)
        Ownable(owner_)
    {
        uint8 decimals = IERC20Metadata(address(debtAsset)).decimals();
        if (decimals > MAX_DECIMALS) revert MarketInvalidParameter("debtDecimals", decimals);
        DEBT_ASSET = debtAsset;
        DEBT_UNIT = 10 ** decimals;
        _setCloseFactor(closeFactor);
    }

    /*//////////////////////////////////////////////////////////////
                                 ADMIN
    //////////////////////////////////////////////////////////////*/

    /// @notice Lists or reconfigures a collateral asset.
    /// @param asset The asset.
    /// @param oracle Its price in the debt asset (18 decimals).
    /// @param maxPriceAge Oldest observation acted on (1 s to `MAX_PRICE_AGE`).
    /// @param ltvBps Borrowing limit (below `liquidationThresholdBps`).
    /// @param liquidationThresholdBps Liquidation threshold (below 100%).
    /// @param bonusBps Liquidation bonus (the threshold times one plus the bonus stays below 100%).
    /// @param guarded Whether the guard has a market for the asset.
    function setCollateral(
        address asset,
        IPriceSource oracle,
        uint32 maxPriceAge,
        uint16 ltvBps,
        uint16 liquidationThresholdBps,
        uint16 bonusBps,
        bool guarded
    ) external onlyOwner {
        if (address(oracle).code.length == 0) revert MarketInvalidParameter("oracle", uint160(address(oracle)));
        if (maxPriceAge == 0 || maxPriceAge > MAX_PRICE_AGE) revert MarketInvalidParameter("maxPriceAge", maxPriceAge);
        if (liquidationThresholdBps >= BPS) {
            revert MarketInvalidParameter("liquidationThreshold", liquidationThresholdBps);
        }
        if (ltvBps == 0 || ltvBps >= liquidationThresholdBps) revert MarketInvalidParameter("ltv", ltvBps);
        // A liquidation must leave the position healthier: threshold x (1 + bonus) < 1.
        if (uint256(liquidationThresholdBps) * (BPS + bonusBps) >= BPS * BPS) {
            revert MarketInvalidParameter("bonus", bonusBps);
        }
        if (guarded) TRIPWIRE.isLiquidationAllowed(asset); // Reverts if the guard has no market for it.
        Collateral storage c = _collaterals[asset];
        if (c.unit == 0) {
            if (_collateralList.length == MAX_COLLATERALS) {
                revert MarketInvalidParameter("collateralCount", MAX_COLLATERALS + 1);
            }
            uint8 decimals = IERC20Metadata(asset).decimals();
            if (decimals > MAX_DECIMALS) revert MarketInvalidParameter("decimals", decimals);
            c.unit = 10 ** decimals;
            _collateralList.push(asset);
        }
        c.oracle = oracle;
        c.maxPriceAge = maxPriceAge;
        c.ltvBps = ltvBps;
        c.liquidationThresholdBps = liquidationThresholdBps;
        c.bonusBps = bonusBps;
        c.guarded = guarded;
        emit CollateralConfigured(asset, c);
    }

    /// @notice Sets the close factor (1 bps to 100%).
    function setCloseFactor(uint16 closeFactor) external onlyOwner {
        _setCloseFactor(closeFactor);
    }

    /*//////////////////////////////////////////////////////////////
                                LENDERS
    //////////////////////////////////////////////////////////////*/

    /// @notice Supplies the debt asset for shares.
    /// @param amount Debt asset units.
    /// @return shares Shares minted.
    function supply(uint256 amount) external nonReentrant returns (uint256 shares) {
        if (amount == 0) revert MarketInvalidAmount(0, type(uint256).max);
        uint256 assets = totalAssets();
        shares = totalShares == 0 || assets == 0 ? amount : Math.mulDiv(amount, totalShares, assets);
        if (shares == 0) revert MarketInvalidAmount(amount, type(uint256).max);
        sharesOf[msg.sender] += shares;
        totalShares += shares;
        emit Supplied(msg.sender, amount, shares);
        DEBT_ASSET.safeTransferFrom(msg.sender, address(this), amount);
    }

    /// @notice Redeems shares for the debt asset, within the cash on hand.
    /// @param shares Shares to burn.
    /// @return amount Debt asset units paid out.
    function withdraw(uint256 shares) external nonReentrant returns (uint256 amount) {
        if (shares == 0 || shares > sharesOf[msg.sender]) revert MarketInvalidAmount(shares, sharesOf[msg.sender]);
        amount = Math.mulDiv(shares, totalAssets(), totalShares);
        uint256 cash = DEBT_ASSET.balanceOf(address(this));
        if (amount > cash) revert MarketInsufficientLiquidity(amount, cash);
        sharesOf[msg.sender] -= shares;
        totalShares -= shares;
        emit Withdrawn(msg.sender, amount, shares);
        DEBT_ASSET.safeTransfer(msg.sender, amount);
    }

    /*//////////////////////////////////////////////////////////////
                               BORROWERS
    //////////////////////////////////////////////////////////////*/

    /// @notice Posts collateral.
    function depositCollateral(address asset, uint256 amount) external nonReentrant {
        _collateral(asset);
        if (amount == 0) revert MarketInvalidAmount(0, type(uint256).max);
        collateralOf[msg.sender][asset] += amount;
        emit CollateralDeposited(msg.sender, asset, amount);
        IERC20(asset).safeTransferFrom(msg.sender, address(this), amount);
    }

    /// @notice Withdraws collateral; an indebted position must stay within its borrowing limit, with every guarded
    /// collateral allowing borrows (a withdrawal against a pumped price is a borrow).
    function withdrawCollateral(address asset, uint256 amount) external nonReentrant {
        uint256 balance = collateralOf[msg.sender][asset];
        if (amount == 0 || amount > balance) revert MarketInvalidAmount(amount, balance);
        collateralOf[msg.sender][asset] = balance - amount;
        if (debtOf[msg.sender] != 0) _checkBorrowLimit(msg.sender);
        emit CollateralWithdrawn(msg.sender, asset, amount);
        IERC20(asset).safeTransfer(msg.sender, amount);
    }

    /// @notice Borrows the debt asset against the caller's collateral.
    function borrow(uint256 amount) external nonReentrant {
        uint256 cash = DEBT_ASSET.balanceOf(address(this));
        if (amount == 0) revert MarketInvalidAmount(0, type(uint256).max);
        if (amount > cash) revert MarketInsufficientLiquidity(amount, cash);
        uint256 debt = debtOf[msg.sender] + amount;
        debtOf[msg.sender] = debt;
        totalDebt += amount;
        _checkBorrowLimit(msg.sender);
        emit Borrowed(msg.sender, amount, debt);
        DEBT_ASSET.safeTransfer(msg.sender, amount);
    }

    /// @notice Repays debt of `user` (up to all of it).
    /// @return repaid What was repaid.
    function repay(address user, uint256 amount) external nonReentrant returns (uint256 repaid) {
        uint256 debt = debtOf[user];
        repaid = amount < debt ? amount : debt;
        if (repaid == 0) revert MarketInvalidAmount(amount, debt);
        debtOf[user] = debt - repaid;
        totalDebt -= repaid;
        emit Repaid(msg.sender, user, repaid, debt - repaid);
        DEBT_ASSET.safeTransferFrom(msg.sender, address(this), repaid);
    }

    /*//////////////////////////////////////////////////////////////
                              LIQUIDATION
    //////////////////////////////////////////////////////////////*/

    /// @notice Repays up to the close factor of `user`'s debt and takes `collateral` worth the repayment plus the
    /// bonus. If the position has no collateral left afterwards, its remaining debt is written off.
    /// @dev Guarded: while the guard pauses the collateral's liquidations, it goes through only if the position is
    /// liquidatable with that collateral at the credible band's high end, and is then settled at that price.
    /// @param user The position.
    /// @param collateral The collateral to take.
    /// @param repayAmount Debt to repay (capped at the close factor and at what the collateral covers).
    /// @return repaid Debt repaid.
    /// @return seized Collateral taken.
    function liquidate(address user, address collateral, uint256 repayAmount)
        external
        nonReentrant
        returns (uint256 repaid, uint256 seized)
    {
        Collateral memory c = _collateral(collateral);
        BandQuote memory quote = _guardLiquidation(user, c.guarded ? collateral : address(0), address(0));
        uint256 price = quote.collateralPaused ? quote.collateralPrice : _price(collateral, c);
        uint256 hf = _healthFactor(user, collateral, price);
        if (hf >= WAD) revert MarketHealthy(user, hf);

        uint256 debt = debtOf[user];
        uint256 maxRepay = Math.mulDiv(debt, closeFactorBps, BPS, Math.Rounding.Ceil);
        repaid = repayAmount < maxRepay ? repayAmount : maxRepay;
        if (repaid == 0) revert MarketInvalidAmount(repayAmount, maxRepay);
        seized = _seizeFor(repaid, price, c);
        uint256 balance = collateralOf[user][collateral];
        if (seized > balance) {
            // Not enough of this collateral: take all of it, for the debt it covers (rounded up, so that rounding
            // never hands the liquidator more than the bonus).
            seized = balance;
            repaid = Math.mulDiv(
                _value(balance, price, c.unit), BPS * DEBT_UNIT, (BPS + c.bonusBps) * WAD, Math.Rounding.Ceil
            );
            if (repaid == 0) revert MarketInvalidAmount(repayAmount, 0);
        }
        collateralOf[user][collateral] = balance - seized;
        debt -= repaid;
        debtOf[user] = debt;
        totalDebt -= repaid;
        emit Liquidated(msg.sender, user, collateral, repaid, seized, price);
        if (debt != 0 && !_hasCollateral(user)) {
            debtOf[user] = 0;
            totalDebt -= debt;
            totalBadDebt += debt;
            emit BadDebtWrittenOff(user, debt);
        }
        DEBT_ASSET.safeTransferFrom(msg.sender, address(this), repaid);
        IERC20(collateral).safeTransfer(msg.sender, seized);
    }

    /*//////////////////////////////////////////////////////////////
                                 VIEWS
    //////////////////////////////////////////////////////////////*/

    /// @notice What lenders own: cash plus debt outstanding, in debt asset units.
    function totalAssets() public view returns (uint256) {
        return DEBT_ASSET.balanceOf(address(this)) + totalDebt;
    }

    /// @notice The position's health factor (18 decimals; type(uint256).max without debt) at the market's prices.
    function healthFactor(address user) external view returns (uint256) {
        return _healthFactor(user, address(0), 0);
    }

    /// @notice The value of the position's collateral and its debt, in the debt asset (18 decimals).
    /// @return collateralValue Collateral at the market's prices.
    /// @return liquidationValue Collateral weighted by liquidation thresholds.
    /// @return debtValue Debt.
    function position(address user)
        external
        view
        returns (uint256 collateralValue, uint256 liquidationValue, uint256 debtValue)
    {
        (collateralValue, liquidationValue,) = _collateralValues(user, address(0), 0);
        debtValue = Math.mulDiv(debtOf[user], WAD, DEBT_UNIT);
    }

    /// @notice A listed collateral's configuration.
    function collateralConfig(address asset) external view returns (Collateral memory) {
        return _collateral(asset);
    }

    /// @notice The listed collateral assets.
    function collaterals() external view returns (address[] memory) {
        return _collateralList;
    }

    /// @notice The price the market acts on for `asset` (debt asset per unit, 18 decimals); reverts if invalid.
    function priceOf(address asset) external view returns (uint256) {
        return _price(asset, _collateral(asset));
    }

    /*//////////////////////////////////////////////////////////////
                                INTERNAL
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc TripwireGuarded
    /// @dev The debt asset is the numeraire and never paused, so only the collateral side can be.
    function _isLiquidatableAtBand(address borrower, address collateral, address, BandQuote memory quote)
        internal
        view
        override
        returns (bool)
    {
        return _healthFactor(borrower, collateral, quote.collateralPrice) < WAD;
    }

    /// @dev Health factor with `overrideAsset` priced at `overridePrice` (no override for the zero address).
    function _healthFactor(address user, address overrideAsset, uint256 overridePrice)
        internal
        view
        returns (uint256)
    {
        uint256 debt = debtOf[user];
        if (debt == 0) return type(uint256).max;
        (, uint256 liquidationValue,) = _collateralValues(user, overrideAsset, overridePrice);
        return Math.mulDiv(liquidationValue, DEBT_UNIT, debt);
    }

    /// @dev Borrow limit check with every guarded collateral of the position allowing borrows.
    function _checkBorrowLimit(address user) internal {
        uint256 n = _collateralList.length;
        for (uint256 i; i < n; ++i) {
            address asset = _collateralList[i];
            if (collateralOf[user][asset] != 0 && _collaterals[asset].guarded) _guardBorrow(asset);
        }
        (,, uint256 borrowLimit) = _collateralValues(user, address(0), 0);
        uint256 debtValue = Math.mulDiv(debtOf[user], WAD, DEBT_UNIT, Math.Rounding.Ceil);
        if (debtValue > borrowLimit) revert MarketInsufficientCollateral(user, debtValue, borrowLimit);
    }

    function _collateralValues(address user, address overrideAsset, uint256 overridePrice)
        internal
        view
        returns (uint256 total, uint256 liquidationValue, uint256 borrowLimit)
    {
        uint256 n = _collateralList.length;
        for (uint256 i; i < n; ++i) {
            address asset = _collateralList[i];
            uint256 amount = collateralOf[user][asset];
            if (amount == 0) continue;
            Collateral memory c = _collaterals[asset];
            uint256 price = asset == overrideAsset ? overridePrice : _price(asset, c);
            uint256 value = _value(amount, price, c.unit);
            total += value;
            liquidationValue += value * c.liquidationThresholdBps / BPS;
            borrowLimit += value * c.ltvBps / BPS;
        }
    }

    function _hasCollateral(address user) internal view returns (bool) {
        uint256 n = _collateralList.length;
        for (uint256 i; i < n; ++i) {
            if (collateralOf[user][_collateralList[i]] != 0) return true;
        }
        return false;
    }

    /// @dev Collateral units worth `repaid` debt plus the bonus at `price`, rounded down.
    function _seizeFor(uint256 repaid, uint256 price, Collateral memory c) internal view returns (uint256) {
        uint256 repaidValue = Math.mulDiv(repaid, WAD, DEBT_UNIT);
        return Math.mulDiv(repaidValue * (BPS + c.bonusBps), c.unit, price * BPS);
    }

    /// @dev Value in the debt asset, 18 decimals.
    function _value(uint256 amount, uint256 price, uint256 unit) internal pure returns (uint256) {
        return Math.mulDiv(amount, price, unit);
    }

    function _price(address asset, Collateral memory c) internal view returns (uint256) {
        IPriceSource.Reading memory r = c.oracle.read();
        if (r.fault != 0 || r.price == 0 || r.observedAt > block.timestamp || block.timestamp - r.observedAt > c.maxPriceAge) {
            revert MarketPriceInvalid(asset, r.fault, r.observedAt);
        }
        return r.price;
    }

    function _collateral(address asset) internal view returns (Collateral memory c) {
        c = _collaterals[asset];
        if (c.unit == 0) revert MarketUnknownCollateral(asset);
    }

    function _setCloseFactor(uint16 closeFactor) internal {
        if (closeFactor == 0 || closeFactor > BPS) revert MarketInvalidParameter("closeFactor", closeFactor);
        closeFactorBps = closeFactor;
        emit CloseFactorSet(closeFactor);
    }
}
