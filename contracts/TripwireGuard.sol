// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {TimelockController} from "@openzeppelin/contracts/governance/TimelockController.sol";

import {IPriceSource} from "./interfaces/IPriceSource.sol";
import {ITripwireGuard} from "./interfaces/ITripwireGuard.sol";
import {ITripwireListener} from "./interfaces/ITripwireListener.sol";
import {IAutomationCompatible} from "./interfaces/external/IAutomationCompatible.sol";
import {IAggregatorV3} from "./interfaces/external/IAggregatorV3.sol";
import {ConfigCodecLib} from "./libraries/ConfigCodecLib.sol";
import {ConfigStoreLib} from "./libraries/ConfigStoreLib.sol";
import {RoundDataLib} from "./libraries/RoundDataLib.sol";
import {RulesLib} from "./libraries/RulesLib.sol";
import {StateCodecLib} from "./libraries/StateCodecLib.sol";

/// @title TripwireGuard
/// @notice Circuit breaker for liquidations and borrows, per asset, over several independent price sources.
/// @dev A thin shell around `RulesLib.evaluate`: it reads the sources with bounded gas, calls the rules and stores the
/// result. Configuration lives in immutable blobs (contract code, packed by `ConfigCodecLib`, read with one
/// EXTCODECOPY) replaced through the timelock; the state of a market lives in five storage slots, the first of which
/// alone answers `isLiquidationAllowed`.
contract TripwireGuard is ITripwireGuard, AccessControl {
    using RulesLib for RulesLib.PauseState;

    /*//////////////////////////////////////////////////////////////
                               CONSTANTS
    //////////////////////////////////////////////////////////////*/

    /// @notice May pause by hand, extend a pause within its cap, and clear a pause.
    bytes32 public constant GUARDIAN_ROLE = keccak256("tripwire.guardian");

    /// @notice The smallest timelock delay the guard accepts for configuration changes.
    uint256 public constant MIN_GOVERNANCE_DELAY = 1 hours;
    /// @notice Gas each source read is given. A read that needs more is invalid.
    uint256 public constant SOURCE_READ_GAS = 120_000;
    /// @dev Gas that must be left before a read so that the read gets all of `SOURCE_READ_GAS` (EIP-150 keeps 1/64)
    /// and the caller can still finish.
    uint256 private constant READ_GAS_REQUIRED = SOURCE_READ_GAS * 64 / 63 + 5_000;
    /// @notice The most listeners the guard notifies of pause changes.
    uint256 public constant MAX_LISTENERS = 4;
    /// @notice Gas each listener notification is given.
    uint256 public constant LISTENER_GAS = 100_000;
    /// @dev As for reads: a caller cannot starve a notification into a silent failure.
    uint256 private constant LISTENER_GAS_REQUIRED = LISTENER_GAS * 64 / 63 + 5_000;
    /// @dev A `Reading` is five words.
    uint256 private constant FIVE_WORDS = 160;

    // Hard bounds. Durations in seconds, ratios in bps.
    uint256 private constant MAX_AGE_MIN = 1;
    uint256 private constant MAX_AGE_MAX = 7 days;
    uint256 private constant BPS_MIN = 1; // 0.01%
    uint256 private constant DEVIATION_MAX = 5_000; // 50%
    uint256 private constant CONF_MULTIPLIER_MAX = 50_000; // five confidence widths
    uint256 private constant UNCORROBORATED_MAX = 1 days;
    uint256 private constant JUMP_MAX = 9_000; // 90%
    uint256 private constant VARIANCE_MIN = 1e8; // (0.01%)^2 per interval, WAD = 100%^2
    uint256 private constant VARIANCE_MAX = 1e18; // (100%)^2
    uint256 private constant REGIME_RATIO_MIN = 10_000; // 1x
    uint256 private constant REGIME_RATIO_MAX = 1_000_000; // 100x
    uint256 private constant STATS_INTERVAL_MAX = 1 days;
    uint256 private constant MIN_PAUSE_MAX = 1 days;
    uint256 private constant RECOVERY_STREAK_MAX = 100;
    uint256 private constant RECOVERY_SPACING_MAX = 1 hours;
    uint256 private constant GRACE_MAX = 4 hours; // Aave capped its sentinel grace at four hours.
    uint256 private constant MAX_PAUSE_MIN = 5 minutes;
    uint256 private constant MAX_PAUSE_MAX = 3 days;
    uint256 private constant MAX_EXTENSION_MAX = 7 days;

    /*//////////////////////////////////////////////////////////////
                                STORAGE
    //////////////////////////////////////////////////////////////*/

    address private immutable GOVERNANCE;

    /// @dev Each market's state, packed by `StateCodecLib` (word 0: the liquidation machine).
    mapping(address asset => uint256[5] words) private _states;
    mapping(address asset => address pointer) private _configs;
    address[] private _assets;
    // One slot: read on every poke, so the listener count is warm when a pause changes.
    IAggregatorV3 private _sequencerFeed;
    uint32 private _sequencerGrace;
    uint8 private _listenerCount;
    address[MAX_LISTENERS] private _listeners;

    /// @dev What events and upkeep checks compare before and after an evaluation (values, not references).
    struct Snapshot {
        uint8 liqStatus;
        uint40 liqSince;
        uint8 liqStreak;
        uint8 borrowStatus;
        uint40 borrowSince;
        uint8 borrowStreak;
        uint16 reasons;
        uint40 statsAt;
        uint8 invalidMask;
        uint8 uninformativeMask;
        uint8 outlierMask;
        uint32 faults;
    }

    /// @dev The figures a status change is reported with.
    struct Figures {
        uint16 reasons;
        uint256 consensus;
        uint256 primaryPrice;
        uint256 dispersionBps;
    }

    /*//////////////////////////////////////////////////////////////
                              CONSTRUCTOR
    //////////////////////////////////////////////////////////////*/

    /// @param timelock The TimelockController that governs configuration and roles.
    /// @param guardian The first guardian (zero: none yet).
    /// @param sequencerFeed The L2 sequencer uptime feed (zero: none, as on L1).
    /// @param sequencerGrace Seconds after a sequencer restart during which liquidations stay paused.
    constructor(address timelock, address guardian, IAggregatorV3 sequencerFeed, uint32 sequencerGrace) {
        uint256 delay = TimelockController(payable(timelock)).getMinDelay();
        if (delay < MIN_GOVERNANCE_DELAY) revert GuardGovernanceDelayTooShort(delay, MIN_GOVERNANCE_DELAY);
        GOVERNANCE = timelock;
        _grantRole(DEFAULT_ADMIN_ROLE, timelock);
        if (guardian != address(0)) _grantRole(GUARDIAN_ROLE, guardian);
        _setSequencer(sequencerFeed, sequencerGrace);
    }

    /*//////////////////////////////////////////////////////////////
                               GOVERNANCE
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc ITripwireGuard
    function setMarket(address asset, RulesLib.MarketConfig calldata config) external {
        _checkGovernance();
        _validate(config);
        address pointer = ConfigStoreLib.write(ConfigCodecLib.encode(config));
        if (_configs[asset] == address(0)) {
            _assets.push(asset);
            RulesLib.MarketState memory state;
            state.liquidation.status = RulesLib.STATUS_NORMAL;
            state.borrow.status = RulesLib.STATUS_NORMAL;
            state.bandHigh = type(uint128).max;
            _store(asset, state);
        }
        _configs[asset] = pointer;
        emit MarketConfigured(asset, pointer, abi.encode(config));
    }

    /// @inheritdoc ITripwireGuard
    function setSequencer(IAggregatorV3 feed, uint32 grace) external {
        _checkGovernance();
        _setSequencer(feed, grace);
    }

    /// @inheritdoc ITripwireGuard
    function setListeners(address[] calldata newListeners) external {
        _checkGovernance();
        uint256 n = newListeners.length;
        if (n > MAX_LISTENERS) revert GuardTooManyListeners(n, MAX_LISTENERS);
        for (uint256 i; i < n; ++i) {
            address listener = newListeners[i];
            if (listener.code.length == 0) revert GuardInvalidListener(i, listener);
            for (uint256 j; j < i; ++j) {
                if (newListeners[j] == listener) revert GuardInvalidListener(i, listener);
            }
            _listeners[i] = listener;
        }
        for (uint256 i = n; i < MAX_LISTENERS; ++i) {
            delete _listeners[i];
        }
        _listenerCount = uint8(n);
        emit ListenersSet(newListeners);
    }

    /*//////////////////////////////////////////////////////////////
                                GUARDIAN
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc ITripwireGuard
    function guardianPause(address asset, bytes32 reason) external onlyRole(GUARDIAN_ROLE) {
        RulesLib.MarketConfig memory cfg = _loadConfig(asset);
        RulesLib.MarketState memory state = _load(asset);
        Snapshot memory before = _snapshot(state);
        state.liquidation.holdPause(cfg, block.timestamp);
        state.borrow.holdPause(cfg, block.timestamp);
        state.reasons |= RulesLib.REASON_GUARDIAN;
        _store(asset, state);
        emit GuardianPaused(asset, msg.sender, reason, state.liquidation.expiresAt);
        _emitTransitions(asset, before, state, 0, 0, 0);
    }

    /// @inheritdoc ITripwireGuard
    function extendPause(address asset, uint32 by) external onlyRole(GUARDIAN_ROLE) {
        RulesLib.MarketConfig memory cfg = _loadConfig(asset);
        RulesLib.MarketState memory state = _load(asset);
        RulesLib.PauseState memory liq = state.liquidation;
        if (!_isPauseLive(liq)) revert GuardNotPaused(asset, liq.status);
        uint256 remaining = cfg.maxExtension - liq.extended;
        if (by > remaining) revert GuardExtensionExceedsCap(by, remaining);
        liq.extended += by;
        liq.expiresAt += by;
        RulesLib.PauseState memory borrow = state.borrow;
        if (_isPauseLive(borrow) && borrow.expiresAt < liq.expiresAt) borrow.expiresAt = liq.expiresAt;
        _store(asset, state);
        emit PauseExtended(asset, msg.sender, by, liq.expiresAt);
    }

    /// @inheritdoc ITripwireGuard
    /// @dev Clears only the machines whose pause is live: clearing a borrow-only pause must not start a grace that
    /// stops liquidations, and a machine that is not paused has nothing to clear.
    function clearPause(address asset) external onlyRole(GUARDIAN_ROLE) {
        RulesLib.MarketConfig memory cfg = _loadConfig(asset);
        RulesLib.MarketState memory state = _load(asset);
        bool liqLive = _isPauseLive(state.liquidation);
        bool borrowLive = _isPauseLive(state.borrow);
        if (!liqLive && !borrowLive) revert GuardNotPaused(asset, state.liquidation.status);
        Snapshot memory before = _snapshot(state);
        if (liqLive) state.liquidation.clearPause(cfg, block.timestamp, true);
        if (borrowLive) state.borrow.clearPause(cfg, block.timestamp, false);
        state.reasons &= ~RulesLib.REASON_GUARDIAN;
        _store(asset, state);
        emit PauseCleared(asset, msg.sender, liqLive ? state.liquidation.graceUntil : 0);
        _emitTransitions(asset, before, state, 0, 0, 0);
    }

    /*//////////////////////////////////////////////////////////////
                                  POKE
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc ITripwireGuard
    function poke(address asset) public returns (uint16 reasons) {
        RulesLib.MarketState memory state = _load(asset);
        Snapshot memory before = _snapshot(state);
        RulesLib.Evaluation memory ev = _evaluate(asset, state);
        _store(asset, state);
        if (_excludedChanged(before, state)) {
            emit SourcesExcluded(
                asset, state.invalidMask, state.uninformativeMask, state.outlierMask, state.faults, ev.consensus
            );
        }
        _emitTransitions(asset, before, state, ev.consensus, ev.primaryPrice, ev.dispersionBps);
        return ev.reasons;
    }

    /// @inheritdoc ITripwireGuard
    function pokeMany(address[] calldata assets) external {
        for (uint256 i; i < assets.length; ++i) {
            poke(assets[i]);
        }
    }

    /// @inheritdoc IAutomationCompatible
    /// @dev `checkData`: an ABI-encoded `address[]` shard of markets, or empty for every market. A market needs a
    /// poke when a pause machine would change status, its reasons or excluded sources would change, or its
    /// statistics are due.
    function checkUpkeep(bytes calldata checkData)
        external
        view
        returns (bool upkeepNeeded, bytes memory performData)
    {
        (address[] memory due,,) = _scan(checkData);
        return (due.length != 0, abi.encode(due));
    }

    /// @inheritdoc ITripwireGuard
    function scan(bytes calldata checkData)
        external
        view
        returns (address[] memory due, uint256 liquidationsPaused, uint256 borrowsPaused)
    {
        return _scan(checkData);
    }

    /// @inheritdoc IAutomationCompatible
    /// @dev Trusts nothing in `performData`: every market it names is re-evaluated from its sources.
    function performUpkeep(bytes calldata performData) external {
        address[] memory assets = _decodeAssets(performData);
        for (uint256 i; i < assets.length; ++i) {
            poke(assets[i]);
        }
    }

    /// @dev `checkUpkeep` and `scan`: every market of the shard evaluated live; the paused counts from stored state.
    function _scan(bytes calldata checkData)
        private
        view
        returns (address[] memory due, uint256 liquidationsPaused, uint256 borrowsPaused)
    {
        address[] memory shard = checkData.length == 0 ? _assets : _decodeAssets(checkData);
        due = new address[](shard.length);
        uint256 count;
        for (uint256 i; i < shard.length; ++i) {
            address asset = shard[i];
            RulesLib.MarketState memory state = _load(asset);
            if (state.liquidation.isPaused(block.timestamp)) ++liquidationsPaused;
            // As isBorrowAllowed: a live liquidation pause stops borrows, the liquidations' post-recovery grace does not.
            if (_isPauseLive(state.liquidation) || state.borrow.isPaused(block.timestamp)) ++borrowsPaused;
            Snapshot memory before = _snapshot(state);
            _evaluate(asset, state);
            if (_needsPoke(before, state)) due[count++] = asset;
        }
        assembly ("memory-safe") {
            mstore(due, count) // Shrink to the markets found due.
        }
    }

    /*//////////////////////////////////////////////////////////////
                                 VIEWS
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc ITripwireGuard
    function isLiquidationAllowed(address asset) external view returns (bool) {
        uint256 word = _states[asset][0];
        if (StateCodecLib.status(word) == RulesLib.STATUS_UNLISTED) revert GuardUnknownMarket(asset);
        return !StateCodecLib.unpackPause(word).isPaused(block.timestamp);
    }

    /// @inheritdoc ITripwireGuard
    function liquidationStatus(address asset) external view returns (bool allowed, uint8 status, uint40 evaluatedAt) {
        uint256[5] storage words = _states[asset];
        uint256 word = words[0];
        status = StateCodecLib.status(word);
        if (status == RulesLib.STATUS_UNLISTED) revert GuardUnknownMarket(asset);
        allowed = !StateCodecLib.unpackPause(word).isPaused(block.timestamp);
        evaluatedAt = StateCodecLib.evaluatedAt(words[2]);
    }

    /// @inheritdoc ITripwireGuard
    function pausedUntil(address asset) external view returns (uint40 liquidation, uint40 borrow) {
        uint256[5] storage words = _states[asset];
        uint256 w0 = words[0];
        if (StateCodecLib.status(w0) == RulesLib.STATUS_UNLISTED) revert GuardUnknownMarket(asset);
        return StateCodecLib.horizon(w0, words[1]);
    }

    /// @inheritdoc ITripwireGuard
    function getListeners() external view returns (address[] memory list) {
        uint256 n = _listenerCount;
        list = new address[](n);
        for (uint256 i; i < n; ++i) {
            list[i] = _listeners[i];
        }
    }

    /// @inheritdoc ITripwireGuard
    function isBorrowAllowed(address asset) external view returns (bool) {
        uint256[5] storage words = _states[asset];
        uint256 liqWord = words[0];
        if (StateCodecLib.status(liqWord) == RulesLib.STATUS_UNLISTED) revert GuardUnknownMarket(asset);
        // Borrows stay allowed during the post-recovery grace of liquidations.
        return !_isPauseLive(StateCodecLib.unpackPause(liqWord))
            && !StateCodecLib.unpackPause(words[1]).isPaused(block.timestamp);
    }

    /// @inheritdoc ITripwireGuard
    function credibleBand(address asset) external view returns (uint256 low, uint256 high) {
        RulesLib.MarketState memory state = _load(asset);
        return (state.bandLow, state.bandHigh);
    }

    /// @inheritdoc ITripwireGuard
    function marketState(address asset) external view returns (RulesLib.MarketState memory) {
        return _load(asset);
    }

    /// @inheritdoc ITripwireGuard
    function marketConfig(address asset) external view returns (RulesLib.MarketConfig memory) {
        return _loadConfig(asset);
    }

    /// @inheritdoc ITripwireGuard
    function evaluate(address asset)
        external
        view
        returns (RulesLib.Evaluation memory evaluation, RulesLib.MarketState memory next)
    {
        next = _load(asset);
        evaluation = _evaluate(asset, next);
    }

    /// @inheritdoc ITripwireGuard
    function markets() external view returns (address[] memory) {
        return _assets;
    }

    /// @inheritdoc ITripwireGuard
    function sequencer() external view returns (IAggregatorV3 feed, uint32 grace) {
        return (_sequencerFeed, _sequencerGrace);
    }

    /// @inheritdoc ITripwireGuard
    function governance() external view returns (address) {
        return GOVERNANCE;
    }

    /*//////////////////////////////////////////////////////////////
                                INTERNAL
    //////////////////////////////////////////////////////////////*/

    /// @dev Reads every source and the sequencer, and runs the rules, advancing `state` in memory.
    function _evaluate(address asset, RulesLib.MarketState memory state)
        internal
        view
        returns (RulesLib.Evaluation memory)
    {
        RulesLib.MarketConfig memory cfg = _loadConfig(asset);
        uint256 n = cfg.sources.length;
        IPriceSource.Reading[] memory readings = new IPriceSource.Reading[](n);
        for (uint256 i; i < n; ++i) {
            readings[i] = _readSource(cfg.sources[i].source);
        }
        return RulesLib.evaluate(cfg, state, readings, _readSequencer(), block.timestamp);
    }

    /// @dev One source read: bounded gas, at most five words of returndata copied, never reverts on the source's
    /// behalf. Reverts only if the caller left too little gas for the read to get its full allowance.
    function _readSource(address source) internal view returns (IPriceSource.Reading memory reading) {
        _checkGasForRead();
        bytes4 selector = IPriceSource.read.selector;
        bool ok;
        uint256 size;
        assembly ("memory-safe") {
            let ptr := mload(0x40)
            mstore(ptr, selector)
            ok := staticcall(SOURCE_READ_GAS, source, ptr, 4, ptr, FIVE_WORDS)
            size := returndatasize()
            if and(ok, eq(size, FIVE_WORDS)) { mcopy(reading, ptr, FIVE_WORDS) }
        }
        if (!ok) reading.fault = RulesLib.FAULT_REVERTED;
        else if (size != FIVE_WORDS) reading.fault = RulesLib.FAULT_MALFORMED;
    }

    /// @dev The sequencer uptime feed, read like a source: a feed that cannot be read counts as down.
    function _readSequencer() internal view returns (RulesLib.Sequencer memory seq) {
        IAggregatorV3 feed = _sequencerFeed;
        seq.grace = _sequencerGrace;
        if (address(feed) == address(0)) return seq;
        seq.enabled = true;
        _checkGasForRead();
        (seq.readable, seq.answer, seq.startedAt,) = RoundDataLib.latest(address(feed), SOURCE_READ_GAS);
    }

    /// @dev The state of a listed market; reverts for an unknown one.
    function _load(address asset) internal view returns (RulesLib.MarketState memory state) {
        uint256[5] memory words = _states[asset];
        if (StateCodecLib.status(words[0]) == RulesLib.STATUS_UNLISTED) revert GuardUnknownMarket(asset);
        return StateCodecLib.unpack(words);
    }

    /// @dev Stores a state and, when its pause horizon moved, tells the listeners (after the write).
    function _store(address asset, RulesLib.MarketState memory state) internal {
        uint256[5] storage slots = _states[asset];
        uint256 old0 = slots[0];
        uint256 old1 = slots[1];
        uint256[5] memory words = StateCodecLib.pack(state);
        _states[asset] = words;
        // A steady poke leaves both machines alone: nothing to compare.
        if (words[0] == old0 && words[1] == old1) return;
        (uint40 oldLiq, uint40 oldBorrow) = StateCodecLib.horizon(old0, old1);
        (uint40 liqUntil, uint40 borrowUntil) = StateCodecLib.horizon(words[0], words[1]);
        if (liqUntil != oldLiq || borrowUntil != oldBorrow) _notify(asset, liqUntil, borrowUntil);
    }

    /// @dev Bounded-gas calls; no returndata copied; a failure is reported, never propagated (a listener cannot stop
    /// the guard from tripping). Reverts only if the caller left too little gas for a full allowance.
    function _notify(address asset, uint40 liqUntil, uint40 borrowUntil) internal {
        uint256 n = _listenerCount;
        bytes memory data = abi.encodeCall(ITripwireListener.onPauseChanged, (asset, liqUntil, borrowUntil));
        for (uint256 i; i < n; ++i) {
            address listener = _listeners[i];
            if (gasleft() < LISTENER_GAS_REQUIRED) revert GuardInsufficientGas(gasleft(), LISTENER_GAS_REQUIRED);
            bool ok;
            assembly ("memory-safe") {
                ok := call(LISTENER_GAS, listener, 0, add(data, 0x20), mload(data), 0, 0)
            }
            if (!ok) emit ListenerFailed(listener, asset, liqUntil, borrowUntil);
        }
    }

    function _checkGasForRead() internal view {
        if (gasleft() < READ_GAS_REQUIRED) revert GuardInsufficientGas(gasleft(), READ_GAS_REQUIRED);
    }

    function _loadConfig(address asset) internal view returns (RulesLib.MarketConfig memory) {
        address pointer = _configs[asset];
        if (pointer == address(0)) revert GuardUnknownMarket(asset);
        return ConfigCodecLib.decode(ConfigStoreLib.read(pointer));
    }

    function _needsPoke(Snapshot memory a, RulesLib.MarketState memory b) internal pure returns (bool) {
        return a.liqStatus != b.liquidation.status || a.borrowStatus != b.borrow.status
            || a.liqStreak != b.liquidation.streak || a.borrowStreak != b.borrow.streak || a.reasons != b.reasons
            || a.statsAt != b.statsAt || _excludedChanged(a, b);
    }

    function _emitTransitions(
        address asset,
        Snapshot memory a,
        RulesLib.MarketState memory b,
        uint256 consensus,
        uint256 primaryPrice,
        uint256 dispersionBps
    ) internal {
        Figures memory f = Figures(b.reasons, consensus, primaryPrice, dispersionBps);
        _emitTransition(asset, PauseKind.Liquidation, a.liqStatus, a.liqSince, b.liquidation, f);
        _emitTransition(asset, PauseKind.Borrow, a.borrowStatus, a.borrowSince, b.borrow, f);
    }

    /// @dev Emits `PauseStatusChanged` when the machine changed status or started a new pause.
    function _emitTransition(
        address asset,
        PauseKind kind,
        uint8 fromStatus,
        uint40 fromSince,
        RulesLib.PauseState memory p,
        Figures memory f
    ) internal {
        if (fromStatus == p.status && fromSince == p.since) return;
        emit PauseStatusChanged(
            asset,
            kind,
            fromStatus,
            p.status,
            f.reasons,
            f.consensus,
            f.primaryPrice,
            f.dispersionBps,
            p.status == RulesLib.STATUS_NORMAL ? p.graceUntil : p.expiresAt
        );
    }

    function _excludedChanged(Snapshot memory a, RulesLib.MarketState memory b) internal pure returns (bool) {
        return a.invalidMask != b.invalidMask || a.uninformativeMask != b.uninformativeMask
            || a.outlierMask != b.outlierMask || a.faults != b.faults;
    }

    function _snapshot(RulesLib.MarketState memory s) internal pure returns (Snapshot memory) {
        return Snapshot({
            liqStatus: s.liquidation.status,
            liqSince: s.liquidation.since,
            liqStreak: s.liquidation.streak,
            borrowStatus: s.borrow.status,
            borrowSince: s.borrow.since,
            borrowStreak: s.borrow.streak,
            reasons: s.reasons,
            statsAt: s.statsAt,
            invalidMask: s.invalidMask,
            uninformativeMask: s.uninformativeMask,
            outlierMask: s.outlierMask,
            faults: s.faults
        });
    }

    function _isPauseLive(RulesLib.PauseState memory p) internal view returns (bool) {
        return (p.status == RulesLib.STATUS_TRIPPED || p.status == RulesLib.STATUS_RECOVERING)
            && block.timestamp < p.expiresAt;
    }

    function _checkGovernance() internal view {
        if (msg.sender != GOVERNANCE) revert GuardNotGovernance(msg.sender, GOVERNANCE);
        // Belt and braces: refuse configuration from a timelock whose delay was lowered below the minimum.
        uint256 delay = TimelockController(payable(GOVERNANCE)).getMinDelay();
        if (delay < MIN_GOVERNANCE_DELAY) revert GuardGovernanceDelayTooShort(delay, MIN_GOVERNANCE_DELAY);
    }

    function _setSequencer(IAggregatorV3 feed, uint32 grace) internal {
        _bound(Field.SequencerGrace, grace, 0, GRACE_MAX);
        _sequencerFeed = feed;
        _sequencerGrace = grace;
        emit SequencerConfigured(address(feed), grace);
    }

    function _decodeAssets(bytes memory data) internal pure returns (address[] memory assets) {
        // An ABI-encoded address[] is at least an offset and a length.
        if (data.length < 64) revert GuardMalformedUpkeepData(data.length);
        return abi.decode(data, (address[]));
    }

    /// @dev Every configuration field against its hard bound.
    function _validate(RulesLib.MarketConfig calldata c) internal view {
        uint256 n = c.sources.length;
        _bound(Field.SourceCount, n, 1, RulesLib.MAX_SOURCES);
        for (uint256 i; i < n; ++i) {
            address source = c.sources[i].source;
            if (source == address(0) || source.code.length == 0) revert GuardInvalidSource(i, source);
            for (uint256 j; j < i; ++j) {
                if (c.sources[j].source == source) revert GuardDuplicateSource(i, source);
            }
            _bound(Field.MaxAge, c.sources[i].maxAge, MAX_AGE_MIN, MAX_AGE_MAX);
        }
        if (c.primary != RulesLib.NO_PRIMARY) _bound(Field.Primary, c.primary, 0, n - 1);
        _bound(Field.Quorum, c.quorum, 1, n);
        _bound(Field.OutlierBps, c.outlierBps, BPS_MIN, DEVIATION_MAX);
        _bound(Field.MaxDeviationBps, c.maxDeviationBps, BPS_MIN, DEVIATION_MAX);
        _bound(Field.ConfMultiplierBps, c.confMultiplierBps, 0, CONF_MULTIPLIER_MAX);
        _bound(Field.TwapSpotBoundBps, c.twapSpotBoundBps, BPS_MIN, DEVIATION_MAX);
        _bound(Field.MaxUncorroborated, c.maxUncorroborated, 0, UNCORROBORATED_MAX);
        if (c.jumpBps != 0) _bound(Field.JumpBps, c.jumpBps, BPS_MIN, JUMP_MAX);
        if (c.varianceThreshold != 0) _bound(Field.VarianceThreshold, c.varianceThreshold, VARIANCE_MIN, VARIANCE_MAX);
        _bound(Field.ShortAlphaBps, c.shortAlphaBps, BPS_MIN, RulesLib.BPS);
        _bound(Field.LongAlphaBps, c.longAlphaBps, BPS_MIN, c.shortAlphaBps);
        if (c.regimeRatioBps != 0) _bound(Field.RegimeRatioBps, c.regimeRatioBps, REGIME_RATIO_MIN, REGIME_RATIO_MAX);
        _bound(Field.RegimeWarmup, c.regimeWarmup, 1, type(uint8).max);
        _bound(Field.StatsInterval, c.statsInterval, 1, STATS_INTERVAL_MAX);
        _bound(Field.ReturnClipBps, c.returnClipBps, BPS_MIN, RulesLib.BPS);
        _bound(Field.LiquidationMask, c.liquidationMask, 0, RulesLib.EVALUATED_REASONS);
        _bound(Field.MinPause, c.minPause, 0, MIN_PAUSE_MAX);
        _bound(Field.RecoveryStreak, c.recoveryStreak, 1, RECOVERY_STREAK_MAX);
        _bound(Field.RecoverySpacing, c.recoverySpacing, 0, RECOVERY_SPACING_MAX);
        _bound(Field.Grace, c.grace, 0, GRACE_MAX);
        uint256 maxPauseMin = c.minPause > MAX_PAUSE_MIN ? c.minPause : MAX_PAUSE_MIN;
        _bound(Field.MaxPause, c.maxPause, maxPauseMin, MAX_PAUSE_MAX);
        _bound(Field.MaxExtension, c.maxExtension, 0, MAX_EXTENSION_MAX);
    }

    function _bound(Field field, uint256 value, uint256 min, uint256 max) internal pure {
        if (value < min || value > max) revert GuardParameterOutOfBounds(field, value, min, max);
    }
}
