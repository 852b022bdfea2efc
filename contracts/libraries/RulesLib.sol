// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IPriceSource} from "../interfaces/IPriceSource.sol";
import {MedianLib} from "./MedianLib.sol";

/// @title RulesLib
/// @notice The rules of a Tripwire market as one pure function: (configuration, previous state, readings, time) to
/// (next state, evaluation). The guard is a thin shell that reads the sources, calls `evaluate` and stores the
/// result; fuzz tests and the backtester drive the same function, so the rules exist exactly once.
/// @dev All prices are 18-decimal fixed point. Basis points (bps) are parts of 10_000.
library RulesLib {
    /*//////////////////////////////////////////////////////////////
                                CONSTANTS
    //////////////////////////////////////////////////////////////*/

    uint256 internal constant BPS = 10_000;
    uint256 internal constant WAD = 1e18;
    /// @dev Largest number of sources a market may have.
    uint256 internal constant MAX_SOURCES = 8;
    /// @dev `MarketConfig.primary` of a market that prices from the guard's consensus.
    uint8 internal constant NO_PRIMARY = type(uint8).max;
    /// @dev Contradicting the primary takes at least this many informative, non-outlier secondaries: one secondary
    /// alone can never establish that the primary is wrong.
    uint256 internal constant MIN_CONTRADICTORS = 2;
    /// @dev Readings above this price are garbage (1e36 in 18 decimals: a quadrillion quote units per base unit... and
    /// more). Keeps every product below in range.
    uint256 internal constant MAX_PRICE = 1e36;

    // Reasons: one bit per violation, carried by events and views.
    /// @dev The primary source is invalid (or, as a TWAP, lagging its pool's spot).
    uint16 internal constant REASON_PRIMARY_INVALID = 1 << 0;
    /// @dev The informative secondaries' median is further from the primary than the max deviation plus confidence.
    uint16 internal constant REASON_PRIMARY_CONTRADICTED = 1 << 1;
    /// @dev Not corroborated by a quorum of informative sources for longer than `maxUncorroborated`.
    uint16 internal constant REASON_QUORUM_LOST = 1 << 2;
    /// @dev The L2 sequencer is down (or its uptime feed unreadable).
    uint16 internal constant REASON_SEQUENCER_DOWN = 1 << 3;
    /// @dev The L2 sequencer came back less than the grace period ago.
    uint16 internal constant REASON_SEQUENCER_GRACE = 1 << 4;
    /// @dev Fewer than `quorum` of the remaining (non-outlier) sources agree with the consensus within the max
    /// deviation plus their confidence: the sources disperse, and the median is not a consensus. One source that
    /// strays cannot raise it while a quorum of others agree.
    uint16 internal constant REASON_DISPERSION = 1 << 5;
    /// @dev Not corroborated by a quorum right now, for less than `maxUncorroborated` (a gap ridden through).
    uint16 internal constant REASON_UNCORROBORATED = 1 << 6;
    /// @dev The short-horizon EWMA variance of consensus returns is above its threshold.
    uint16 internal constant REASON_VARIANCE = 1 << 7;
    /// @dev The short-horizon variance is more than `regimeRatioBps` times the long-horizon one.
    uint16 internal constant REASON_REGIME = 1 << 8;
    /// @dev The consensus moved more than `jumpBps` from the last statistics price.
    uint16 internal constant REASON_JUMP = 1 << 9;
    /// @dev A guardian paused the market by hand.
    uint16 internal constant REASON_GUARDIAN = 1 << 10;
    /// @dev Every reason an evaluation can raise (the guardian's is set by hand only).
    uint16 internal constant EVALUATED_REASONS = (1 << 10) - 1;
    /// @dev Evidence that the price a liquidation would use is wrong: stops liquidations by default.
    uint16 internal constant EVIDENCE_REASONS = REASON_PRIMARY_INVALID | REASON_PRIMARY_CONTRADICTED
        | REASON_QUORUM_LOST | REASON_SEQUENCER_DOWN | REASON_SEQUENCER_GRACE;

    // Source faults (per-source codes in `Evaluation.faults`). Codes 1-15 fit in four bits.
    uint8 internal constant FAULT_NONE = 0;
    /// @dev The read reverted, ran out of its gas allowance, or the source has no code.
    uint8 internal constant FAULT_REVERTED = 1;
    /// @dev The source returned something other than one `Reading`, or an unknown fault code.
    uint8 internal constant FAULT_MALFORMED = 2;
    /// @dev Zero or negative price.
    uint8 internal constant FAULT_NON_POSITIVE = 3;
    /// @dev Older than the source's max age, or never updated.
    uint8 internal constant FAULT_STALE = 4;
    /// @dev Observed in the future.
    uint8 internal constant FAULT_FUTURE = 5;
    /// @dev Answer pinned at the aggregator's min or max answer.
    uint8 internal constant FAULT_PINNED = 6;
    /// @dev Round not complete (answeredInRound behind roundId).
    uint8 internal constant FAULT_INCOMPLETE_ROUND = 7;
    /// @dev Confidence as wide as the price, or wider than the feed's limit.
    uint8 internal constant FAULT_CONFIDENCE = 8;
    /// @dev Decimals or exponent outside what can be normalised.
    uint8 internal constant FAULT_SCALE = 9;
    /// @dev Not enough history for the TWAP window.
    uint8 internal constant FAULT_HISTORY = 10;
    /// @dev A TWAP primary whose pool spot is further than the bound from it.
    uint8 internal constant FAULT_LAGGING = 11;
    /// @dev Price above `MAX_PRICE`.
    uint8 internal constant FAULT_ABSURD = 12;
    uint8 internal constant MAX_FAULT = 12;

    // States of one pause state machine.
    uint8 internal constant STATUS_UNLISTED = 0;
    uint8 internal constant STATUS_NORMAL = 1;
    uint8 internal constant STATUS_TRIPPED = 2;
    uint8 internal constant STATUS_RECOVERING = 3;
    uint8 internal constant STATUS_EXPIRED = 4;

    /*//////////////////////////////////////////////////////////////
                                 TYPES
    //////////////////////////////////////////////////////////////*/

    /// @notice One source of a market.
    /// @param source The adapter.
    /// @param maxAge Seconds after which its reading is stale (the feed's heartbeat plus a margin).
    struct SourceConfig {
        address source;
        uint32 maxAge;
    }

    /// @notice Everything that defines a market's rules. Changed only through governance, within hard bounds.
    /// @param sources Up to 8 sources, in a fixed order (indices are used in masks and events).
    /// @param primary Index of the source the protocol prices from, or `NO_PRIMARY` for a consensus-priced market.
    /// @param quorum Informative, agreeing sources needed for corroboration (counting the primary).
    /// @param outlierBps Distance from the median beyond which a source is dropped as an outlier.
    /// @param maxDeviationBps Disagreement beyond which the primary is contradicted, or sources are dispersed.
    /// @param confMultiplierBps Confidence widths (bps of one width) that widen every agreement tolerance.
    /// @param twapSpotBoundBps Distance of a TWAP from its pool spot beyond which it is uninformative.
    /// @param maxUncorroborated Seconds the primary (or consensus) may go uncorroborated before it is evidence.
    /// @param jumpBps Largest move of the consensus from the last statistics price (0: off).
    /// @param varianceThreshold Short-horizon variance of returns per `statsInterval`, WAD = 100%^2 (0: off).
    /// @param shortAlphaBps Weight of a new return in the short-horizon EWMA.
    /// @param longAlphaBps Weight of a new return in the long-horizon EWMA (at most `shortAlphaBps`).
    /// @param regimeRatioBps Bound on short/long variance (0: off).
    /// @param regimeWarmup Statistics updates needed before the regime test applies.
    /// @param statsInterval Minimum seconds between statistics updates.
    /// @param returnClipBps Largest return (in bps) one statistics update may contribute.
    /// @param liquidationMask Reasons that stop liquidations; every reason stops borrows.
    /// @param minPause Minimum seconds a pause lasts before recovery may start.
    /// @param recoveryStreak Consecutive healthy evaluations needed to recover.
    /// @param recoverySpacing Minimum seconds between the healthy evaluations that count toward the streak.
    /// @param grace Seconds after recovery before liquidations resume (borrowers may top up).
    /// @param maxPause Seconds after which a pause expires even if the evidence persists.
    /// @param maxExtension Total seconds a guardian may extend one pause by.
    struct MarketConfig {
        SourceConfig[] sources;
        uint8 primary;
        uint8 quorum;
        uint16 outlierBps;
        uint16 maxDeviationBps;
        uint32 confMultiplierBps;
        uint16 twapSpotBoundBps;
        uint32 maxUncorroborated;
        uint16 jumpBps;
        uint64 varianceThreshold;
        uint16 shortAlphaBps;
        uint16 longAlphaBps;
        uint32 regimeRatioBps;
        uint8 regimeWarmup;
        uint32 statsInterval;
        uint16 returnClipBps;
        uint16 liquidationMask;
        uint32 minPause;
        uint8 recoveryStreak;
        uint32 recoverySpacing;
        uint32 grace;
        uint32 maxPause;
        uint32 maxExtension;
    }

    /// @notice One pause state machine (liquidations, or borrows). Fits one storage slot.
    /// @param status One of the `STATUS_*` codes.
    /// @param since When the current pause started.
    /// @param expiresAt When the current pause ends even if its cause persists.
    /// @param graceUntil After a recovery of liquidations, when they resume.
    /// @param lastHealthyAt Time of the last healthy evaluation that counted toward the recovery streak.
    /// @param streak Healthy evaluations counted toward recovery.
    /// @param extended Seconds of guardian extension spent on the current pause.
    /// @param held A guardian pause: no automatic recovery (it still expires).
    struct PauseState {
        uint8 status;
        uint40 since;
        uint40 expiresAt;
        uint40 graceUntil;
        uint40 lastHealthyAt;
        uint8 streak;
        uint32 extended;
        bool held;
    }

    /// @notice Everything the guard stores per market besides its configuration.
    /// @param liquidation The liquidation pause machine.
    /// @param borrow The borrow pause machine.
    /// @param reasons Reasons raised by the last evaluation (plus `REASON_GUARDIAN` while a guardian pause holds).
    /// @param evaluatedAt Time of the last evaluation.
    /// @param uncorroboratedSince Start of the current loss of corroboration, 0 while corroborated.
    /// @param statsAt Time of the last statistics update.
    /// @param statsCount Statistics updates so far (saturating).
    /// @param invalidMask Sources invalid at the last evaluation.
    /// @param uninformativeMask Sources left out of the last vote (lagging TWAPs).
    /// @param outlierMask Sources dropped as outliers at the last evaluation.
    /// @param faults Fault codes of the last evaluation, four bits per source.
    /// @param refPrice Consensus at the last statistics update.
    /// @param shortVar Short-horizon EWMA variance of returns per `statsInterval` (WAD = 100%^2).
    /// @param longVar Long-horizon EWMA variance.
    /// @param bandLow Lowest credible price (0 when unknown).
    /// @param bandHigh Highest credible price (type(uint128).max when unknown).
    struct MarketState {
        PauseState liquidation;
        PauseState borrow;
        uint16 reasons;
        uint40 evaluatedAt;
        uint40 uncorroboratedSince;
        uint40 statsAt;
        uint8 statsCount;
        uint8 invalidMask;
        uint8 uninformativeMask;
        uint8 outlierMask;
        uint32 faults;
        uint128 refPrice;
        uint64 shortVar;
        uint64 longVar;
        uint128 bandLow;
        uint128 bandHigh;
    }

    /// @notice The L2 sequencer as read by the guard.
    /// @param enabled Whether the guard watches a sequencer at all.
    /// @param readable Whether the uptime feed answered.
    /// @param answer 0 when up, 1 when down.
    /// @param startedAt When the current status began.
    /// @param grace Seconds after a restart during which the sequencer still counts against liquidations.
    struct Sequencer {
        bool enabled;
        bool readable;
        int256 answer;
        uint256 startedAt;
        uint256 grace;
    }

    /// @notice What one evaluation found.
    /// @param reasons Bit mask of `REASON_*`.
    /// @param consensus Median of the informative, non-outlier prices (0 when none).
    /// @param primaryPrice The primary's price when valid (0 otherwise, or for consensus markets).
    /// @param dispersionBps Largest distance of a remaining price from the consensus, beyond its confidence.
    /// @param bandLow Lowest credible price (0 when unknown).
    /// @param bandHigh Highest credible price (type(uint128).max when unknown).
    /// @param informative Number of informative sources (valid, not lagging).
    /// @param invalidMask Sources that were invalid (bit i for source i).
    /// @param uninformativeMask Valid sources left out of the vote (lagging TWAPs).
    /// @param outlierMask Informative sources dropped as outliers.
    /// @param faults Per-source fault codes, four bits per source (source i at bits 4i..4i+3).
    struct Evaluation {
        uint16 reasons;
        uint256 consensus;
        uint256 primaryPrice;
        uint256 dispersionBps;
        uint256 bandLow;
        uint256 bandHigh;
        uint8 informative;
        uint8 invalidMask;
        uint8 uninformativeMask;
        uint8 outlierMask;
        uint32 faults;
    }

    /*//////////////////////////////////////////////////////////////
                               EVALUATION
    //////////////////////////////////////////////////////////////*/

    /// @notice Evaluates a market and advances its state.
    /// @dev Mutates `state` in memory into the next state. Never reverts for any reading: a reading that makes no
    /// sense is a fault, not an error.
    /// @param cfg The market's configuration (assumed within its hard bounds).
    /// @param state The stored state; on return, the next state.
    /// @param readings One reading per configured source, in order.
    /// @param seq The sequencer as read by the guard.
    /// @param nowTs The evaluation time.
    /// @return ev What the evaluation found.
    function evaluate(
        MarketConfig memory cfg,
        MarketState memory state,
        IPriceSource.Reading[] memory readings,
        Sequencer memory seq,
        uint256 nowTs
    ) internal pure returns (Evaluation memory ev) {
        _vote(cfg, readings, nowTs, ev);
        ev.reasons |= _corroboration(cfg, state, readings, ev, nowTs);
        ev.reasons |= sequencerReasons(seq, nowTs);
        ev.reasons |= _statistics(cfg, state, ev.consensus, nowTs);

        step(state.liquidation, (ev.reasons & cfg.liquidationMask) != 0, cfg, nowTs, true);
        step(state.borrow, ev.reasons != 0, cfg, nowTs, false);

        state.reasons = ev.reasons | (state.liquidation.held ? REASON_GUARDIAN : 0);
        state.evaluatedAt = uint40(nowTs);
        state.bandLow = uint128(ev.bandLow);
        state.bandHigh = uint128(ev.bandHigh);
        state.invalidMask = ev.invalidMask;
        state.uninformativeMask = ev.uninformativeMask;
        state.outlierMask = ev.outlierMask;
        state.faults = ev.faults;
    }

    /// @notice The sequencer's contribution to the reasons.
    /// @param seq The sequencer as read.
    /// @param nowTs The evaluation time.
    /// @return reasons `REASON_SEQUENCER_DOWN`, `REASON_SEQUENCER_GRACE` or 0.
    function sequencerReasons(Sequencer memory seq, uint256 nowTs) internal pure returns (uint16 reasons) {
        if (!seq.enabled) return 0;
        if (!seq.readable || seq.answer != 0) return REASON_SEQUENCER_DOWN;
        // A zero or future start is an uninitialised or broken round: not yet known to be up for the grace period.
        if (seq.startedAt == 0 || seq.startedAt > nowTs || nowTs - seq.startedAt < seq.grace) {
            return REASON_SEQUENCER_GRACE;
        }
        return 0;
    }

    /// @notice Validity of one reading, as the guard judges it on top of what the source reported.
    /// @param reading The reading.
    /// @param maxAge The source's max age in seconds.
    /// @param nowTs The evaluation time.
    /// @return fault `FAULT_NONE` or the first fault found.
    function validate(IPriceSource.Reading memory reading, uint256 maxAge, uint256 nowTs)
        internal
        pure
        returns (uint8 fault)
    {
        if (reading.fault != FAULT_NONE) return reading.fault > MAX_FAULT ? FAULT_MALFORMED : uint8(reading.fault);
        if (reading.price == 0) return FAULT_NON_POSITIVE;
        if (reading.price > MAX_PRICE || reading.spot > MAX_PRICE) return FAULT_ABSURD;
        if (reading.conf >= reading.price) return FAULT_CONFIDENCE;
        if (reading.observedAt > nowTs) return FAULT_FUTURE;
        if (reading.observedAt == 0 || nowTs - reading.observedAt > maxAge) return FAULT_STALE;
        return FAULT_NONE;
    }

    /// @dev Classifies every reading, takes the median with one round of outlier removal, and fills the consensus,
    /// dispersion, band and masks of `ev`.
    function _vote(
        MarketConfig memory cfg,
        IPriceSource.Reading[] memory readings,
        uint256 nowTs,
        Evaluation memory ev
    ) private pure {
        uint256[] memory prices = new uint256[](cfg.sources.length);
        uint256 informative = _classify(cfg, readings, nowTs, ev, prices);
        ev.informative = uint8(informative);
        if (cfg.primary != NO_PRIMARY && ev.primaryPrice == 0) ev.reasons |= REASON_PRIMARY_INVALID;
        ev.bandLow = 0;
        ev.bandHigh = type(uint128).max;
        if (informative == 0) return;
        uint256 kept = _dropOutliers(cfg, readings, ev, prices, MedianLib.median(prices, informative));
        if (kept == 0) return; // An even split with no middle: no consensus.
        ev.consensus = MedianLib.median(prices, kept);
        _summarise(cfg, readings, ev);
    }

    /// @dev Validity and informativeness of each reading. Writes the informative prices to `prices`.
    function _classify(
        MarketConfig memory cfg,
        IPriceSource.Reading[] memory readings,
        uint256 nowTs,
        Evaluation memory ev,
        uint256[] memory prices
    ) private pure returns (uint256 informative) {
        uint256 n = cfg.sources.length;
        for (uint256 i; i < n; ++i) {
            IPriceSource.Reading memory r = readings[i];
            uint8 fault = validate(r, cfg.sources[i].maxAge, nowTs);
            if (fault == FAULT_NONE && r.spot != 0 && distanceBps(r.price, r.spot) > cfg.twapSpotBoundBps) {
                // A TWAP far from its pool's spot lags a fast market or is being pushed: it says nothing now.
                if (i == cfg.primary) {
                    fault = FAULT_LAGGING;
                } else {
                    ev.uninformativeMask |= uint8(1 << i);
                    continue;
                }
            }
            if (fault != FAULT_NONE) {
                ev.invalidMask |= uint8(1 << i);
                ev.faults |= uint32(uint256(fault) << (4 * i));
                continue;
            }
            if (i == cfg.primary) ev.primaryPrice = r.price;
            prices[informative] = r.price;
            unchecked {
                ++informative; // At most MAX_SOURCES.
            }
        }
    }

    /// @dev Drops informative sources further than the outlier bound (widened by confidence) from `median`. Outliers
    /// can only be told apart with three or more voices: with two, nobody is outvoted. Writes the kept prices to
    /// `prices`.
    function _dropOutliers(
        MarketConfig memory cfg,
        IPriceSource.Reading[] memory readings,
        Evaluation memory ev,
        uint256[] memory prices,
        uint256 median
    ) private pure returns (uint256 kept) {
        uint256 n = cfg.sources.length;
        bool canDrop = ev.informative >= 3;
        for (uint256 i; i < n; ++i) {
            if (!_isInformative(ev, i)) continue;
            IPriceSource.Reading memory r = readings[i];
            if (canDrop && _absDiff(r.price, median) > tolerance(median, cfg.outlierBps, r.conf, cfg.confMultiplierBps))
            {
                ev.outlierMask |= uint8(1 << i);
                continue;
            }
            prices[kept] = r.price;
            unchecked {
                ++kept;
            }
        }
    }

    /// @dev Dispersion (beyond each source's confidence), agreement with the consensus, and the credible band of the
    /// kept sources.
    function _summarise(MarketConfig memory cfg, IPriceSource.Reading[] memory readings, Evaluation memory ev)
        private
        pure
    {
        uint256 n = cfg.sources.length;
        uint256 consensus = ev.consensus;
        uint256 allowed = consensus * cfg.maxDeviationBps / BPS;
        uint256 low = type(uint256).max;
        uint256 high;
        uint256 worst;
        uint256 agreeing;
        for (uint256 i; i < n; ++i) {
            if (!_isKept(ev, i)) continue;
            uint256 price = readings[i].price;
            uint256 width = _confWidth(readings[i].conf, cfg.confMultiplierBps);
            uint256 gap = _absDiff(price, consensus);
            gap = gap > width ? gap - width : 0;
            if (gap > worst) worst = gap;
            uint256 lowI = price > width ? price - width : 0;
            if (lowI < low) low = lowI;
            unchecked {
                if (gap <= allowed) ++agreeing;
                // price <= MAX_PRICE and width < price * 2^32 / BPS (see the helpers below): far from overflowing.
                if (price + width > high) high = price + width;
            }
        }
        ev.dispersionBps = worst * BPS / consensus;
        ev.bandLow = low;
        ev.bandHigh = high > type(uint128).max ? type(uint128).max : high;
        // Too few sources at all is a matter of quorum; dispersion is enough sources that disagree.
        if (agreeing < cfg.quorum && _popcount(_keptMask(ev, n)) >= cfg.quorum) ev.reasons |= REASON_DISPERSION;
    }

    /// @dev Evidence against the primary (contradiction), and corroboration with its timing.
    function _corroboration(
        MarketConfig memory cfg,
        MarketState memory state,
        IPriceSource.Reading[] memory readings,
        Evaluation memory ev,
        uint256 nowTs
    ) private pure returns (uint16 reasons) {
        bool corroborated;
        if (cfg.primary == NO_PRIMARY) {
            corroborated = ev.consensus != 0 && _popcount(_keptMask(ev, cfg.sources.length)) >= cfg.quorum;
        } else if (ev.primaryPrice != 0) {
            bool contradicted;
            (corroborated, contradicted) = _judgePrimary(cfg, readings, ev);
            if (contradicted) reasons |= REASON_PRIMARY_CONTRADICTED;
        }
        if (corroborated) {
            state.uncorroboratedSince = 0;
        } else {
            if (state.uncorroboratedSince == 0) state.uncorroboratedSince = uint40(nowTs);
            // A short gap (TWAPs lagging a fast crash) is ridden through; a long one is evidence.
            reasons |= nowTs - state.uncorroboratedSince >= cfg.maxUncorroborated
                ? REASON_QUORUM_LOST
                : REASON_UNCORROBORATED;
        }
    }

    /// @dev A valid primary against the kept secondaries. Corroborated: at least `quorum - 1` of them agree with it
    /// within the max deviation plus both confidences. Contradicted: at least `MIN_CONTRADICTORS` (and `quorum - 1`)
    /// of them, whose median is further from it than the max deviation plus the widest of their confidences and its
    /// own. A contradicted primary is never corroborated.
    function _judgePrimary(MarketConfig memory cfg, IPriceSource.Reading[] memory readings, Evaluation memory ev)
        private
        pure
        returns (bool corroborated, bool contradicted)
    {
        IPriceSource.Reading memory p = readings[cfg.primary];
        uint256 n = cfg.sources.length;
        uint256[] memory secondaries = new uint256[](n);
        uint256 count;
        uint256 agreeing;
        uint256 maxConf;
        for (uint256 i; i < n; ++i) {
            if (i == cfg.primary || !_isKept(ev, i)) continue;
            IPriceSource.Reading memory r = readings[i];
            secondaries[count] = r.price;
            if (r.conf > maxConf) maxConf = r.conf;
            unchecked {
                ++count;
                if (_agrees(cfg, p, r.price, r.conf)) ++agreeing;
            }
        }
        corroborated = agreeing + 1 >= cfg.quorum;
        if (count >= MIN_CONTRADICTORS && count + 1 >= cfg.quorum) {
            contradicted = !_agrees(cfg, p, MedianLib.median(secondaries, count), maxConf);
            if (contradicted) corroborated = false;
        }
    }

    /// @dev Whether `price` (with confidence `conf`) agrees with the primary reading `p`.
    function _agrees(MarketConfig memory cfg, IPriceSource.Reading memory p, uint256 price, uint256 conf)
        private
        pure
        returns (bool)
    {
        return _absDiff(price, p.price) <= tolerance(p.price, cfg.maxDeviationBps, conf + p.conf, cfg.confMultiplierBps);
    }

    /// @dev Jump, EWMA variance (rate-limited and clipped) and regime tests on the consensus.
    function _statistics(MarketConfig memory cfg, MarketState memory state, uint256 consensus, uint256 nowTs)
        private
        pure
        returns (uint16 reasons)
    {
        if (consensus != 0) {
            uint256 ref = state.refPrice;
            if (ref == 0) {
                state.refPrice = uint128(consensus);
                state.statsAt = uint40(nowTs);
            } else {
                if (cfg.jumpBps != 0 && distanceBps(consensus, ref) > cfg.jumpBps) reasons |= REASON_JUMP;
                uint256 elapsed = nowTs - state.statsAt;
                if (elapsed >= cfg.statsInterval && elapsed != 0) {
                    // Return since the last update, clipped so that one observation's weight is bounded.
                    uint256 move = _absDiff(consensus, ref) * WAD / ref;
                    uint256 clip = uint256(cfg.returnClipBps) * (WAD / BPS);
                    if (move > clip) move = clip;
                    // Variance per statsInterval: a return over a longer gap is scaled down by the gap. move <= WAD,
                    // so the square fits comfortably and the sample is at most WAD.
                    uint256 sample = move * move / WAD * cfg.statsInterval / elapsed;
                    if (state.statsCount == 0) {
                        // Seed both horizons with the first sample: averages that start at zero would make the
                        // faster one look like a regime shift while the slower one catches up.
                        state.shortVar = uint64(sample);
                        state.longVar = uint64(sample);
                    } else {
                        state.shortVar = uint64(ewma(state.shortVar, sample, cfg.shortAlphaBps));
                        state.longVar = uint64(ewma(state.longVar, sample, cfg.longAlphaBps));
                    }
                    state.refPrice = uint128(consensus);
                    state.statsAt = uint40(nowTs);
                    if (state.statsCount < type(uint8).max) ++state.statsCount;
                }
            }
        }
        if (cfg.varianceThreshold != 0 && state.shortVar > cfg.varianceThreshold) reasons |= REASON_VARIANCE;
        if (
            cfg.regimeRatioBps != 0 && state.statsCount >= cfg.regimeWarmup
                && uint256(state.shortVar) * BPS > uint256(state.longVar) * cfg.regimeRatioBps
        ) reasons |= REASON_REGIME;
    }

    /*//////////////////////////////////////////////////////////////
                             STATE MACHINE
    //////////////////////////////////////////////////////////////*/

    /// @notice Advances one pause machine by one evaluation.
    /// @dev Normal -> Tripped on a violation; Tripped -> Recovering once healthy after `minPause`; Recovering ->
    /// Normal after `recoveryStreak` healthy evaluations at least `recoverySpacing` apart (then, for liquidations, a
    /// grace period); any paused state -> Expired at `expiresAt`; Expired -> Normal on the first healthy evaluation.
    /// @param p The machine (mutated).
    /// @param violated Whether this evaluation violates what the machine guards.
    /// @param cfg The market's configuration.
    /// @param nowTs The evaluation time.
    /// @param withGrace Whether a recovery is followed by `cfg.grace` (liquidations) or not (borrows).
    function step(PauseState memory p, bool violated, MarketConfig memory cfg, uint256 nowTs, bool withGrace)
        internal
        pure
    {
        uint8 status = p.status;
        if (status == STATUS_NORMAL) {
            if (violated) _trip(p, cfg, nowTs, false);
        } else if (status == STATUS_EXPIRED) {
            if (!violated) p.status = STATUS_NORMAL;
        } else if (nowTs >= p.expiresAt) {
            // Bounded: the pause ends even if its cause persists; only a guardian can pause it again.
            p.status = STATUS_EXPIRED;
            p.streak = 0;
            p.held = false;
        } else if (violated || p.held) {
            // Any violation sends a recovery back to square one; the pause keeps its original expiry.
            p.status = STATUS_TRIPPED;
            p.streak = 0;
        } else if (status == STATUS_TRIPPED) {
            if (nowTs >= uint256(p.since) + cfg.minPause) {
                p.status = STATUS_RECOVERING;
                p.streak = 1;
                p.lastHealthyAt = uint40(nowTs);
                _maybeRecover(p, cfg, nowTs, withGrace);
            }
        } else if (nowTs >= uint256(p.lastHealthyAt) + cfg.recoverySpacing) {
            ++p.streak;
            p.lastHealthyAt = uint40(nowTs);
            _maybeRecover(p, cfg, nowTs, withGrace);
        }
    }

    /// @notice Pauses a machine by hand (guardian). Held pauses recover only when cleared, and still expire.
    /// @param p The machine (mutated).
    /// @param cfg The market's configuration.
    /// @param nowTs The time.
    function holdPause(PauseState memory p, MarketConfig memory cfg, uint256 nowTs) internal pure {
        _trip(p, cfg, nowTs, true);
    }

    /// @notice Ends a pause by hand (guardian): liquidations resume after the grace period.
    /// @param p The machine (mutated).
    /// @param cfg The market's configuration.
    /// @param nowTs The time.
    /// @param withGrace Whether liquidations wait for the grace period.
    function clearPause(PauseState memory p, MarketConfig memory cfg, uint256 nowTs, bool withGrace) internal pure {
        p.status = STATUS_NORMAL;
        p.held = false;
        p.streak = 0;
        p.graceUntil = withGrace ? uint40(nowTs + cfg.grace) : 0;
    }

    /// @notice Whether a machine pauses what it guards at `nowTs`, including a pause that expired unpoked.
    /// @param p The machine.
    /// @param nowTs The time.
    /// @return paused True while tripped or recovering and not yet expired, or within a post-recovery grace.
    function isPaused(PauseState memory p, uint256 nowTs) internal pure returns (bool paused) {
        uint8 status = p.status;
        if (status == STATUS_TRIPPED || status == STATUS_RECOVERING) return nowTs < p.expiresAt;
        return status == STATUS_NORMAL && nowTs < p.graceUntil;
    }

    /// @notice The default liquidation mask: evidence against the price stops liquidations; for a market that prices
    /// from the consensus, dispersion among its sources is evidence too.
    /// @param hasPrimary Whether the market names a primary source.
    /// @return mask The reasons that stop liquidations by default.
    function defaultLiquidationMask(bool hasPrimary) internal pure returns (uint16 mask) {
        return hasPrimary ? EVIDENCE_REASONS : EVIDENCE_REASONS | REASON_DISPERSION;
    }

    /*//////////////////////////////////////////////////////////////
                               ARITHMETIC
    //////////////////////////////////////////////////////////////*/

    // Unchecked: the operands are bounded wherever the rules call these. Prices and spots are valid readings or
    // medians of them (at most MAX_PRICE = 1e36), confidences are below their price (sums of two below 2e36), and
    // bps factors are uint32 at most (about 4.3e9, whatever the configuration): every product stays below 1e46, far
    // from 2^256 (about 1.2e77). Division by zero still reverts (Solidity checks it even in unchecked code); every
    // caller passes a positive divisor. Fuzz tests hold each against a checked reference over that domain.

    /// @notice `bps` of `price` plus `confMultiplierBps` of `conf`: how far a price may stray and still agree.
    /// @param price A price, at most MAX_PRICE.
    /// @param bps Basis points of `price`.
    /// @param conf A confidence width (or the sum of two), below 2 * MAX_PRICE.
    /// @param confMultiplierBps Basis points of `conf`.
    /// @return The tolerance, rounded down term by term.
    function tolerance(uint256 price, uint256 bps, uint256 conf, uint256 confMultiplierBps)
        internal
        pure
        returns (uint256)
    {
        unchecked {
            return price * bps / BPS + conf * confMultiplierBps / BPS;
        }
    }

    /// @notice Distance of `a` from `ref` in bps of `ref`, rounded down.
    /// @param a A price, at most MAX_PRICE.
    /// @param ref The reference, positive and at most MAX_PRICE (zero reverts).
    /// @return The distance in bps.
    function distanceBps(uint256 a, uint256 ref) internal pure returns (uint256) {
        unchecked {
            return _absDiff(a, ref) * BPS / ref;
        }
    }

    /// @notice One EWMA step: `avg + alpha * (sample - avg)`, rounded toward `avg`. Stays between `avg` and `sample`,
    /// so a uint64 average stays a uint64.
    /// @param avg The average, below 2^64.
    /// @param sample The new sample, below 2^64.
    /// @param alphaBps The weight of the sample, at most BPS.
    /// @return The new average.
    function ewma(uint256 avg, uint256 sample, uint256 alphaBps) internal pure returns (uint256) {
        unchecked {
            return sample >= avg ? avg + (sample - avg) * alphaBps / BPS : avg - (avg - sample) * alphaBps / BPS;
        }
    }

    /*//////////////////////////////////////////////////////////////
                                PRIVATE
    //////////////////////////////////////////////////////////////*/

    function _trip(PauseState memory p, MarketConfig memory cfg, uint256 nowTs, bool held) private pure {
        p.status = STATUS_TRIPPED;
        p.since = uint40(nowTs);
        p.expiresAt = uint40(nowTs + cfg.maxPause);
        p.graceUntil = 0;
        p.streak = 0;
        p.extended = 0;
        p.held = held;
    }

    function _maybeRecover(PauseState memory p, MarketConfig memory cfg, uint256 nowTs, bool withGrace)
        private
        pure
    {
        if (p.streak < cfg.recoveryStreak) return;
        p.status = STATUS_NORMAL;
        p.streak = 0;
        p.graceUntil = withGrace ? uint40(nowTs + cfg.grace) : 0;
    }

    function _isInformative(Evaluation memory ev, uint256 i) private pure returns (bool) {
        return ((ev.invalidMask | ev.uninformativeMask) >> i) & 1 == 0;
    }

    function _isKept(Evaluation memory ev, uint256 i) private pure returns (bool) {
        return ((ev.invalidMask | ev.uninformativeMask | ev.outlierMask) >> i) & 1 == 0;
    }

    /// @dev Sources that are valid, informative and not outliers, among the first `n`.
    function _keptMask(Evaluation memory ev, uint256 n) private pure returns (uint256) {
        return ~uint256(ev.invalidMask | ev.uninformativeMask | ev.outlierMask) & ((1 << n) - 1);
    }

    function _popcount(uint256 x) private pure returns (uint256 count) {
        unchecked {
            while (x != 0) {
                x &= x - 1;
                ++count;
            }
        }
    }

    function _confWidth(uint256 conf, uint256 confMultiplierBps) private pure returns (uint256) {
        unchecked {
            return conf * confMultiplierBps / BPS;
        }
    }

    function _absDiff(uint256 a, uint256 b) private pure returns (uint256) {
        unchecked {
            return a > b ? a - b : b - a;
        }
    }
}
