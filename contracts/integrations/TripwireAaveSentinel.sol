// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ITripwireGuard} from "../interfaces/ITripwireGuard.sol";
import {ITripwireListener} from "../interfaces/ITripwireListener.sol";
import {
    IAaveACLManager,
    IAaveOracle,
    IAavePoolAddressesProvider,
    IAavePriceOracleSentinel
} from "../interfaces/external/IAaveV3.sol";
import {RoundDataLib} from "../libraries/RoundDataLib.sol";
import {RulesLib} from "../libraries/RulesLib.sol";

/// @title TripwireAaveSentinel
/// @notice A drop-in superset of Aave V3's PriceOracleSentinel (Aave 3.0 to 3.6; Aave removed the hook in 3.7). It
/// keeps Aave's sequencer semantics exactly (answer 0 and more than the grace period since the feed's `updatedAt`)
/// and adds the Tripwire guard's verdict over a fixed set of the Aave market's assets, each of which the guard
/// watches with the feed AaveOracle uses for it as its primary source.
/// @dev Aave's hook is global: it has no asset argument. So, while any watched asset's liquidations are paused by
/// the guard, every liquidation in the Aave market with a health factor of at least 0.95 reverts (Aave's own
/// exception lets positions below 0.95 through, whatever the sentinel says); while any watched asset's borrows are
/// paused, every borrow in the market reverts. Unwatched assets are not checked, but are blocked alongside.
///
/// Gas: the hot path is one storage slot (sequencer oracle, grace period and the watched assets' pause horizons)
/// plus the sequencer feed read inline; nothing calls the guard. The guard tells this contract of every change of a
/// watched asset's pause horizon in the transaction that makes it (`onPauseChanged`), and a pause is a pure
/// function of time in between, so the cached horizon is exact. The sequencer is read live, never cached: a cached
/// "up" would let liquidations through right after a restart.
///
/// Deployment: the sentinel starts closed (liquidations and borrows not allowed) until `sync` runs, which needs the
/// guard's governance to have registered it as a listener first. Then set it as the market's sentinel in the
/// PoolAddressesProvider. To retire it, unset it in Aave before removing it from the guard's listeners: a sentinel
/// the guard no longer tells of changes goes stale.
contract TripwireAaveSentinel is IAavePriceOracleSentinel, ITripwireListener {
    /*//////////////////////////////////////////////////////////////
                               CONSTANTS
    //////////////////////////////////////////////////////////////*/

    /// @notice The most assets one sentinel watches (bounds the gas of a notification).
    uint256 public constant MAX_ASSETS = 8;
    /// @notice The longest grace period after a sequencer restart (Aave's governance caps it at four hours).
    uint256 public constant MAX_GRACE_PERIOD = 4 hours;
    /// @dev Gas a sequencer feed read is given; a real uptime feed proxy needs about 15,000.
    uint256 private constant SEQUENCER_READ_GAS = 50_000;
    /// @dev Horizon of a closed sentinel (before the first sync).
    uint40 private constant CLOSED = type(uint40).max;

    /*//////////////////////////////////////////////////////////////
                                STORAGE
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc IAavePriceOracleSentinel
    IAavePoolAddressesProvider public immutable ADDRESSES_PROVIDER;
    /// @notice The Tripwire guard whose verdict this sentinel adds.
    ITripwireGuard public immutable GUARD;

    /// @dev Everything the hot path reads, in one slot.
    struct Hot {
        address sequencerOracle;
        uint16 gracePeriod;
        uint40 liquidationPausedUntil;
        uint40 borrowPausedUntil;
    }

    /// @dev One watched asset's horizon as the guard last told it.
    struct Horizon {
        bool watched;
        uint40 liquidation;
        uint40 borrow;
    }

    Hot private _hot;
    address[] private _assets;
    mapping(address asset => Horizon) private _horizons;

    /*//////////////////////////////////////////////////////////////
                                 ERRORS
    //////////////////////////////////////////////////////////////*/

    /// @notice The caller is not a pool admin of the Aave market.
    error SentinelNotPoolAdmin(address caller);
    /// @notice The caller is neither a risk admin nor a pool admin.
    error SentinelNotRiskOrPoolAdmin(address caller);
    /// @notice Only the guard notifies.
    error SentinelNotGuard(address caller);
    /// @notice The grace period is longer than `MAX_GRACE_PERIOD`.
    error SentinelGracePeriodTooLong(uint256 gracePeriod, uint256 max);
    /// @notice No assets, or more than `MAX_ASSETS`.
    error SentinelAssetCount(uint256 count, uint256 max);
    /// @notice An asset is listed twice.
    error SentinelDuplicateAsset(address asset);
    /// @notice The guard's market for `asset` does not take AaveOracle's feed as its primary source.
    /// @param asset The asset.
    /// @param aaveFeed The feed AaveOracle reads.
    /// @param primarySource The guard market's primary source (zero: the market has none).
    error SentinelPrimaryMismatch(address asset, address aaveFeed, address primarySource);
    /// @notice `sync` before the guard's governance registered this sentinel as a listener.
    error SentinelNotListening(address guard);

    /*//////////////////////////////////////////////////////////////
                                 EVENTS
    //////////////////////////////////////////////////////////////*/

    /// @notice The pause horizon of a watched asset, and so of the market, changed.
    /// @param asset The asset the guard spoke of (zero for a `sync`).
    /// @param liquidationPausedUntil The market's liquidations are paused while the time is below it.
    /// @param borrowPausedUntil The market's borrows are paused while the time is below it.
    event HorizonUpdated(address indexed asset, uint40 liquidationPausedUntil, uint40 borrowPausedUntil);

    /*//////////////////////////////////////////////////////////////
                              CONSTRUCTOR
    //////////////////////////////////////////////////////////////*/

    /// @param provider The Aave market's PoolAddressesProvider.
    /// @param guard The Tripwire guard.
    /// @param watched The Aave assets whose guard verdict this sentinel adds (1 to `MAX_ASSETS`), each a guard market
    /// whose primary source reads the feed AaveOracle uses for it.
    /// @param sequencerOracle The L2 sequencer uptime feed (zero: none, as on L1).
    /// @param gracePeriod Seconds after a sequencer restart during which liquidations and borrows stay blocked.
    constructor(
        IAavePoolAddressesProvider provider,
        ITripwireGuard guard,
        address[] memory watched,
        address sequencerOracle,
        uint256 gracePeriod
    ) {
        uint256 n = watched.length;
        if (n == 0 || n > MAX_ASSETS) revert SentinelAssetCount(n, MAX_ASSETS);
        if (gracePeriod > MAX_GRACE_PERIOD) revert SentinelGracePeriodTooLong(gracePeriod, MAX_GRACE_PERIOD);
        ADDRESSES_PROVIDER = provider;
        GUARD = guard;
        for (uint256 i; i < n; ++i) {
            address asset = watched[i];
            if (_horizons[asset].watched) revert SentinelDuplicateAsset(asset);
            _checkPrimary(asset);
            _horizons[asset] = Horizon({watched: true, liquidation: CLOSED, borrow: CLOSED});
            _assets.push(asset);
        }
        _hot = Hot({
            sequencerOracle: sequencerOracle,
            gracePeriod: uint16(gracePeriod),
            liquidationPausedUntil: CLOSED,
            borrowPausedUntil: CLOSED
        });
        emit SequencerOracleUpdated(sequencerOracle);
        emit GracePeriodUpdated(gracePeriod);
    }

    /*//////////////////////////////////////////////////////////////
                               AAVE HOOK
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc IAavePriceOracleSentinel
    /// @dev False while any watched asset's borrows are paused, or the sequencer is down or within its grace.
    function isBorrowAllowed() external view returns (bool) {
        Hot memory hot = _hot;
        return block.timestamp >= hot.borrowPausedUntil && _isSequencerUpAndGracePassed(hot);
    }

    /// @inheritdoc IAavePriceOracleSentinel
    /// @dev False while any watched asset's liquidations are paused, or the sequencer is down or within its grace.
    /// Measured (bench/results/gas.json): 13,438 gas as a cold external call with a sequencer feed; it adds 13,506
    /// gas to Aave 3.0.2's liquidationCall, where Aave's own sentinel on the same feed adds 15,527.
    function isLiquidationAllowed() external view returns (bool) {
        Hot memory hot = _hot;
        return block.timestamp >= hot.liquidationPausedUntil && _isSequencerUpAndGracePassed(hot);
    }

    /// @inheritdoc IAavePriceOracleSentinel
    function setSequencerOracle(address newSequencerOracle) external {
        IAaveACLManager acl = IAaveACLManager(ADDRESSES_PROVIDER.getACLManager());
        if (!acl.isPoolAdmin(msg.sender)) revert SentinelNotPoolAdmin(msg.sender);
        _hot.sequencerOracle = newSequencerOracle;
        emit SequencerOracleUpdated(newSequencerOracle);
    }

    /// @inheritdoc IAavePriceOracleSentinel
    function setGracePeriod(uint256 newGracePeriod) external {
        IAaveACLManager acl = IAaveACLManager(ADDRESSES_PROVIDER.getACLManager());
        if (!acl.isRiskAdmin(msg.sender) && !acl.isPoolAdmin(msg.sender)) {
            revert SentinelNotRiskOrPoolAdmin(msg.sender);
        }
        if (newGracePeriod > MAX_GRACE_PERIOD) revert SentinelGracePeriodTooLong(newGracePeriod, MAX_GRACE_PERIOD);
        _hot.gracePeriod = uint16(newGracePeriod);
        emit GracePeriodUpdated(newGracePeriod);
    }

    /// @inheritdoc IAavePriceOracleSentinel
    function getSequencerOracle() external view returns (address) {
        return _hot.sequencerOracle;
    }

    /// @inheritdoc IAavePriceOracleSentinel
    function getGracePeriod() external view returns (uint256) {
        return _hot.gracePeriod;
    }

    /*//////////////////////////////////////////////////////////////
                             GUARD LISTENER
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc ITripwireListener
    /// @dev Guard only. Ignores assets this sentinel does not watch. Runs within the guard's `LISTENER_GAS`
    /// allowance; its loop is bounded by `MAX_ASSETS`.
    function onPauseChanged(address asset, uint40 liquidationPausedUntil, uint40 borrowPausedUntil) external {
        if (msg.sender != address(GUARD)) revert SentinelNotGuard(msg.sender);
        Horizon storage h = _horizons[asset];
        if (!h.watched) return;
        h.liquidation = liquidationPausedUntil;
        h.borrow = borrowPausedUntil;
        _aggregate(asset);
    }

    /// @notice Reads every watched asset's pause horizon from the guard. Permissionless and idempotent: it only
    /// copies the guard's own state. Opens the sentinel after deployment; repairs it after a failed notification
    /// (the guard's `ListenerFailed` event).
    /// @dev Reverts unless the guard lists this sentinel as a listener, so that it cannot open before it is told of
    /// changes.
    function sync() external {
        if (!_isListening()) revert SentinelNotListening(address(GUARD));
        uint256 n = _assets.length;
        for (uint256 i; i < n; ++i) {
            address asset = _assets[i];
            (uint40 liquidation, uint40 borrow) = GUARD.pausedUntil(asset);
            Horizon storage h = _horizons[asset];
            h.liquidation = liquidation;
            h.borrow = borrow;
        }
        _aggregate(address(0));
    }

    /*//////////////////////////////////////////////////////////////
                                 VIEWS
    //////////////////////////////////////////////////////////////*/

    /// @notice The watched assets.
    function assets() external view returns (address[] memory) {
        return _assets;
    }

    /// @notice The market-wide pause horizon: the latest over the watched assets.
    /// @return liquidation Liquidations (health factor at least 0.95) are blocked while the time is below it.
    /// @return borrow Borrows are blocked while the time is below it.
    function pausedUntil() external view returns (uint40 liquidation, uint40 borrow) {
        Hot memory hot = _hot;
        return (hot.liquidationPausedUntil, hot.borrowPausedUntil);
    }

    /// @notice Whether every watched asset's guard market still takes AaveOracle's current feed as its primary
    /// (AaveOracle's sources can change under a pool admin). Operators should alert on `false`.
    /// @return ok True when all match.
    /// @return mismatched The first asset that does not (zero when all match).
    function checkPrimaries() external view returns (bool ok, address mismatched) {
        uint256 n = _assets.length;
        for (uint256 i; i < n; ++i) {
            address asset = _assets[i];
            (address aaveFeed, address primary) = _feeds(asset);
            if (aaveFeed == address(0) || aaveFeed != _feedOf(primary)) return (false, asset);
        }
        return (true, address(0));
    }

    /*//////////////////////////////////////////////////////////////
                                INTERNAL
    //////////////////////////////////////////////////////////////*/

    /// @dev Aave's rule: the answer is 0 (up) and more than the grace period has passed since `updatedAt`. A feed
    /// that cannot be read, or reports a future update, counts as not up (Aave's own sentinel would revert).
    function _isSequencerUpAndGracePassed(Hot memory hot) internal view returns (bool) {
        address oracle = hot.sequencerOracle;
        if (oracle == address(0)) return true;
        (bool ok, int256 answer,, uint256 updatedAt) = RoundDataLib.latest(oracle, SEQUENCER_READ_GAS);
        if (!ok || answer != 0 || updatedAt > block.timestamp) return false;
        return block.timestamp - updatedAt > hot.gracePeriod;
    }

    /// @dev Recomputes the market-wide horizon from every watched asset's.
    function _aggregate(address asset) internal {
        uint40 liquidation;
        uint40 borrow;
        uint256 n = _assets.length;
        for (uint256 i; i < n; ++i) {
            Horizon storage h = _horizons[_assets[i]];
            if (h.liquidation > liquidation) liquidation = h.liquidation;
            if (h.borrow > borrow) borrow = h.borrow;
        }
        _hot.liquidationPausedUntil = liquidation;
        _hot.borrowPausedUntil = borrow;
        emit HorizonUpdated(asset, liquidation, borrow);
    }

    function _isListening() internal view returns (bool) {
        address[] memory registered = GUARD.getListeners();
        for (uint256 i; i < registered.length; ++i) {
            if (registered[i] == address(this)) return true;
        }
        return false;
    }

    function _checkPrimary(address asset) internal view {
        (address aaveFeed, address primary) = _feeds(asset);
        if (aaveFeed == address(0) || aaveFeed != _feedOf(primary)) {
            revert SentinelPrimaryMismatch(asset, aaveFeed, primary);
        }
    }

    /// @dev AaveOracle's feed for `asset` and the guard market's primary source (zero when it has none).
    function _feeds(address asset) internal view returns (address aaveFeed, address primary) {
        aaveFeed = IAaveOracle(ADDRESSES_PROVIDER.getPriceOracle()).getSourceOfAsset(asset);
        RulesLib.MarketConfig memory cfg = GUARD.marketConfig(asset);
        if (cfg.primary != RulesLib.NO_PRIMARY) primary = cfg.sources[cfg.primary].source;
    }

    /// @dev The feed a source adapter reads (`FEED()`, as ChainlinkSource exposes it), or zero.
    function _feedOf(address source) internal view returns (address feed) {
        if (source == address(0)) return address(0);
        (bool ok, bytes memory data) = source.staticcall(abi.encodeWithSignature("FEED()"));
        if (ok && data.length == 32) feed = abi.decode(data, (address));
    }
}
