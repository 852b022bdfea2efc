// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IAutomationCompatible} from "./external/IAutomationCompatible.sol";
import {IAggregatorV3} from "./external/IAggregatorV3.sol";
import {RulesLib} from "../libraries/RulesLib.sol";

/// @title ITripwireGuard
/// @notice A registry of markets (asset -> sources, thresholds, state) that decides, per asset, whether the prices a
/// protocol would liquidate or lend on are believable. Anyone may poke a market: the guard reads every source itself
/// and re-verifies everything, so a permissionless trip or recovery is safe. Protocols read the stored verdict
/// cheaply on their liquidation and borrow paths.
/// @dev Configuration changes only through the timelock (a delay) and within hard bounds; a guardian may pause by
/// hand, extend a pause within a cap, and clear a pause. Every pause is bounded: at `expiresAt` liquidations resume
/// even if the evidence persists, and only a guardian can pause the market again.
interface ITripwireGuard is IAutomationCompatible {
    /*//////////////////////////////////////////////////////////////
                                 TYPES
    //////////////////////////////////////////////////////////////*/

    /// @notice Which pause machine an event speaks of.
    enum PauseKind {
        Liquidation,
        Borrow
    }

    /// @notice Configuration fields, named in `GuardParameterOutOfBounds`.
    enum Field {
        SourceCount,
        MaxAge,
        Primary,
        Quorum,
        OutlierBps,
        MaxDeviationBps,
        ConfMultiplierBps,
        TwapSpotBoundBps,
        MaxUncorroborated,
        JumpBps,
        VarianceThreshold,
        ShortAlphaBps,
        LongAlphaBps,
        RegimeRatioBps,
        RegimeWarmup,
        StatsInterval,
        ReturnClipBps,
        LiquidationMask,
        MinPause,
        RecoveryStreak,
        RecoverySpacing,
        Grace,
        MaxPause,
        MaxExtension,
        SequencerGrace
    }

    /*//////////////////////////////////////////////////////////////
                                 ERRORS
    //////////////////////////////////////////////////////////////*/

    /// @notice The asset has no market on this guard.
    error GuardUnknownMarket(address asset);
    /// @notice Only the timelock may change configuration.
    error GuardNotGovernance(address caller, address governance);
    /// @notice The timelock's delay is below the minimum the guard accepts.
    error GuardGovernanceDelayTooShort(uint256 delay, uint256 minimum);
    /// @notice A configuration value is outside its hard bounds.
    error GuardParameterOutOfBounds(Field field, uint256 value, uint256 min, uint256 max);
    /// @notice A source is the zero address (or has no code).
    error GuardInvalidSource(uint256 index, address source);
    /// @notice The same source is listed twice.
    error GuardDuplicateSource(uint256 index, address source);
    /// @notice Not enough gas left to give the next read its full allowance (a caller cannot starve a read into a
    /// false failure).
    error GuardInsufficientGas(uint256 available, uint256 required);
    /// @notice The market has no live pause to extend (liquidations) or to clear (liquidations or borrows).
    error GuardNotPaused(address asset, uint8 status);
    /// @notice An extension beyond the cap on guardian extensions.
    error GuardExtensionExceedsCap(uint256 requested, uint256 remaining);
    /// @notice Writing a configuration blob failed.
    error GuardConfigWriteFailed();
    /// @notice `checkData` or `performData` is not an ABI-encoded `address[]`.
    error GuardMalformedUpkeepData(uint256 length);
    /// @notice More listeners than the guard notifies.
    error GuardTooManyListeners(uint256 count, uint256 max);
    /// @notice A listener is the zero address, has no code, or is listed twice.
    error GuardInvalidListener(uint256 index, address listener);

    /*//////////////////////////////////////////////////////////////
                                 EVENTS
    //////////////////////////////////////////////////////////////*/

    /// @notice A market was listed or reconfigured.
    /// @param asset The asset.
    /// @param configPointer Where the configuration blob now lives.
    /// @param config The new configuration, ABI-encoded as a `RulesLib.MarketConfig` (the blob holds it packed by
    /// `ConfigCodecLib`).
    event MarketConfigured(address indexed asset, address configPointer, bytes config);

    /// @notice The L2 sequencer uptime feed or its grace period changed.
    /// @param feed The uptime feed (zero: no sequencer check).
    /// @param grace Seconds after a restart during which liquidations stay paused.
    event SequencerConfigured(address feed, uint32 grace);

    /// @notice A pause machine changed status.
    /// @param asset The asset.
    /// @param kind Liquidation or borrow machine.
    /// @param from The previous `RulesLib.STATUS_*`.
    /// @param to The new `RulesLib.STATUS_*`.
    /// @param reasons The reasons of the evaluation that caused it.
    /// @param consensus The consensus price then (0 when none).
    /// @param primaryPrice The primary's price then (0 when invalid or none).
    /// @param dispersionBps The dispersion then.
    /// @param expiresAt When the pause expires (for a trip), or when liquidations resume (for a recovery).
    event PauseStatusChanged(
        address indexed asset,
        PauseKind indexed kind,
        uint8 from,
        uint8 to,
        uint16 reasons,
        uint256 consensus,
        uint256 primaryPrice,
        uint256 dispersionBps,
        uint40 expiresAt
    );

    /// @notice The set of sources left out of the vote changed.
    /// @param asset The asset.
    /// @param invalidMask Invalid sources (bit i for source i).
    /// @param uninformativeMask Valid sources left out (lagging TWAPs).
    /// @param outlierMask Sources dropped as outliers.
    /// @param faults Fault code per source, four bits each (`RulesLib.FAULT_*`).
    /// @param consensus The consensus price then.
    event SourcesExcluded(
        address indexed asset,
        uint8 invalidMask,
        uint8 uninformativeMask,
        uint8 outlierMask,
        uint32 faults,
        uint256 consensus
    );

    /// @notice The set of listeners told of pause changes was replaced.
    /// @param listeners The new set.
    event ListenersSet(address[] listeners);

    /// @notice A listener's notification failed; it is stale for `asset` until it resynchronises.
    /// @param listener The listener.
    /// @param asset The market whose change it missed.
    /// @param liquidationPausedUntil The horizon it was told.
    /// @param borrowPausedUntil The horizon it was told.
    event ListenerFailed(
        address indexed listener, address indexed asset, uint40 liquidationPausedUntil, uint40 borrowPausedUntil
    );

    /// @notice A guardian paused a market by hand.
    event GuardianPaused(address indexed asset, address indexed guardian, bytes32 reason, uint40 expiresAt);

    /// @notice A guardian extended a pause.
    event PauseExtended(address indexed asset, address indexed guardian, uint32 by, uint40 expiresAt);

    /// @notice A guardian cleared a pause.
    /// @param graceUntil When liquidations resume after a cleared liquidation pause (0: liquidations were not paused).
    event PauseCleared(address indexed asset, address indexed guardian, uint40 graceUntil);

    /*//////////////////////////////////////////////////////////////
                               GOVERNANCE
    //////////////////////////////////////////////////////////////*/

    /// @notice Lists a market or replaces its configuration. Pause state and statistics are kept.
    /// @dev Timelock only. Every field is checked against its hard bound.
    /// @param asset The asset.
    /// @param config The configuration.
    function setMarket(address asset, RulesLib.MarketConfig calldata config) external;

    /// @notice Sets the L2 sequencer uptime feed (zero address: none) and its grace period.
    /// @dev Timelock only.
    /// @param feed The Chainlink-style uptime feed (answer 0 = up).
    /// @param grace Seconds after a restart during which liquidations stay paused (at most 4 hours).
    function setSequencer(IAggregatorV3 feed, uint32 grace) external;

    /// @notice Replaces the listeners told, in the same transaction, of every change of a market's pause horizon.
    /// @dev Timelock only. At most `MAX_LISTENERS`, each a contract, no duplicates. A listener added here should
    /// resynchronise from the guard's views once the change has executed (the Aave sentinel's `sync`).
    /// @param newListeners The listeners (empty: none).
    function setListeners(address[] calldata newListeners) external;

    /*//////////////////////////////////////////////////////////////
                                GUARDIAN
    //////////////////////////////////////////////////////////////*/

    /// @notice Pauses liquidations and borrows of a market by hand, until cleared or `maxPause` passes.
    /// @dev Guardian only. Also re-pauses an expired market. On a market already paused it starts a new pause (a new
    /// `maxPause` from now, a fresh extension budget) held against automatic recovery: keeping a market paused past
    /// its maximum is a guardian's decision, never an evaluation's (DESIGN.md).
    /// @param asset The asset.
    /// @param reason A short reason for operators (e.g. a ticket id).
    function guardianPause(address asset, bytes32 reason) external;

    /// @notice Extends the current liquidation pause, within the market's `maxExtension` cap per pause.
    /// @dev Guardian only. Extends the borrow pause alongside when it would end earlier.
    /// @param asset The asset.
    /// @param by Seconds to add.
    function extendPause(address asset, uint32 by) external;

    /// @notice Ends the market's live pauses by hand: a liquidation pause ends into the market's grace period, a
    /// borrow pause at once. A machine that is not paused is left alone, so clearing a borrow-only pause never stops
    /// liquidations.
    /// @dev Guardian only. Reverts with `GuardNotPaused` when neither machine is paused. If the evidence persists,
    /// the next poke trips the market again.
    /// @param asset The asset.
    function clearPause(address asset) external;

    /*//////////////////////////////////////////////////////////////
                                  POKE
    //////////////////////////////////////////////////////////////*/

    /// @notice Evaluates a market now and stores the result. Permissionless.
    /// @dev Reverts only for an unknown market or when the caller gave too little gas for every read to get its
    /// full allowance; nothing a source does can make it revert.
    /// @param asset The asset.
    /// @return reasons The reasons raised.
    function poke(address asset) external returns (uint16 reasons);

    /// @notice Pokes several markets.
    /// @param assets The assets.
    function pokeMany(address[] calldata assets) external;

    /// @notice The keepers' lens, one call per block: the markets of a shard that need a poke (exactly as
    /// `checkUpkeep` finds them) and how many of the shard's markets have liquidations and borrows paused now.
    /// @dev The paused counts are read from stored state, as protocols see it, before any poke.
    /// @param checkData As for `checkUpkeep`: an ABI-encoded `address[]` shard, or empty for every market.
    /// @return due The markets a poke would change; `abi.encode(due)` is the `performData` for `performUpkeep`.
    /// @return liquidationsPaused How many of the shard's markets have liquidations paused now.
    /// @return borrowsPaused How many of the shard's markets have borrows paused now.
    function scan(bytes calldata checkData)
        external
        view
        returns (address[] memory due, uint256 liquidationsPaused, uint256 borrowsPaused);

    /*//////////////////////////////////////////////////////////////
                                 VIEWS
    //////////////////////////////////////////////////////////////*/

    /// @notice Whether liquidations of `asset` are allowed, from the stored state (one storage read).
    /// @dev A pause that reached its expiry reads as allowed before anyone pokes it. Reverts for unknown markets.
    function isLiquidationAllowed(address asset) external view returns (bool);

    /// @notice Whether liquidations of `asset` are allowed, and how fresh that verdict is (two storage reads).
    /// @dev For integrations that poke inline when the stored evaluation is older than they accept; the others
    /// read `isLiquidationAllowed` (one storage read).
    /// @return allowed Whether liquidations are allowed now.
    /// @return status The liquidation machine's `RulesLib.STATUS_*`.
    /// @return evaluatedAt When the market was last evaluated.
    function liquidationStatus(address asset) external view returns (bool allowed, uint8 status, uint40 evaluatedAt);

    /// @notice The pause horizon of a market: paused while `block.timestamp` is below each value, until its next
    /// change (which the guard tells its listeners).
    /// @return liquidation Liquidations are paused while `block.timestamp < liquidation`.
    /// @return borrow Borrows are paused while `block.timestamp < borrow`.
    function pausedUntil(address asset) external view returns (uint40 liquidation, uint40 borrow);

    /// @notice The listeners told of pause changes.
    function getListeners() external view returns (address[] memory);

    /// @notice Whether new borrows against or of `asset` are allowed, from the stored state.
    function isBorrowAllowed(address asset) external view returns (bool);

    /// @notice The credible band: lowest and highest informative, non-outlier price at the last evaluation, widened
    /// by confidence. `(0, type(uint128).max)` when unknown, so that the band lets nothing through.
    function credibleBand(address asset) external view returns (uint256 low, uint256 high);

    /// @notice The stored state of a market.
    function marketState(address asset) external view returns (RulesLib.MarketState memory);

    /// @notice The configuration of a market.
    function marketConfig(address asset) external view returns (RulesLib.MarketConfig memory);

    /// @notice A live evaluation that changes nothing: what a poke now would find and store.
    /// @return evaluation What the evaluation finds.
    /// @return next The state a poke now would store.
    function evaluate(address asset)
        external
        view
        returns (RulesLib.Evaluation memory evaluation, RulesLib.MarketState memory next);

    /// @notice Every listed asset.
    function markets() external view returns (address[] memory);

    /// @notice The sequencer uptime feed and grace period.
    function sequencer() external view returns (IAggregatorV3 feed, uint32 grace);

    /// @notice The timelock that governs configuration.
    function governance() external view returns (address);
}
