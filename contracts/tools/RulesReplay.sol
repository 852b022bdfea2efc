// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IPriceSource} from "../interfaces/IPriceSource.sol";
import {MASK_40, MASK_128} from "../libraries/BitMasks.sol";
import {RulesLib} from "../libraries/RulesLib.sol";
import {StateCodecLib} from "../libraries/StateCodecLib.sol";

/// @title RulesReplay
/// @notice Replays recorded readings through the guard's own rules (`RulesLib.evaluate`, the very code the guard
/// runs on every poke), many pokes per call, for the backtester. Stateless and pure: deploy it on any chain, or on
/// an in-process one, and call it with `eth_call`.
/// @dev Encodings keep calldata and returndata small enough for thousands of pokes per call:
/// - input, per poke: one word `t` (the poke time), then two words per source:
///   `price | conf << 128` and `spot | observedAt << 128 | fault << 168` (every price below 2^128, as the guard's
///   own `MAX_PRICE` bound implies);
/// - output, per poke: three words: `t | liqStatus << 40 | borrowStatus << 48 | reasons << 56 |
///   liquidationAllowed << 72 | borrowAllowed << 73 | dispersionBps << 80 | invalidMask << 144 |
///   uninformativeMask << 152 | outlierMask << 160`, then `consensus | primaryPrice << 128` (each clipped to 128
///   bits), then `bandLow | bandHigh << 128`.
/// What the guard's shell adds around the rules and this replay does not: reading the sources (the backtester
/// supplies readings), the sequencer (not replayed: L1), guardian actions, and storage.
contract RulesReplay {
    uint256 private constant WORDS_PER_SOURCE = 2;
    uint256 private constant OUT_WORDS = 3;

    /// @notice The input is not a whole number of pokes for this many sources.
    error ReplayMalformedInput(uint256 words, uint256 wordsPerPoke);

    /// @notice Replays a run of pokes.
    /// @param cfg The market configuration (as the guard would hold it; not re-validated here).
    /// @param state The state before the first poke (a fresh market: both machines NORMAL, bandHigh 2^128 - 1).
    /// @param input The pokes, encoded as in the contract's notes.
    /// @return out Three words per poke, as in the contract's notes.
    /// @return next The state after the last poke, to continue with in the next call.
    function replay(RulesLib.MarketConfig memory cfg, RulesLib.MarketState memory state, uint256[] calldata input)
        external
        pure
        returns (uint256[] memory out, RulesLib.MarketState memory next)
    {
        uint256 perPoke = 1 + cfg.sources.length * WORDS_PER_SOURCE;
        if (input.length % perPoke != 0) revert ReplayMalformedInput(input.length, perPoke);
        out = _run(cfg, state, input, perPoke);
        next = state;
    }

    /// @dev Every poke in turn, advancing `state` in memory.
    function _run(
        RulesLib.MarketConfig memory cfg,
        RulesLib.MarketState memory state,
        uint256[] calldata input,
        uint256 perPoke
    ) private pure returns (uint256[] memory out) {
        uint256 pokes = input.length / perPoke;
        out = new uint256[](pokes * OUT_WORDS);
        IPriceSource.Reading[] memory readings = new IPriceSource.Reading[](cfg.sources.length);
        for (uint256 i; i < readings.length; ++i) {
            readings[i] = IPriceSource.Reading(0, 0, 0, 0, 0);
        }
        RulesLib.Sequencer memory seq; // Disabled: the replay is of an L1 market.
        for (uint256 p; p < pokes; ++p) {
            uint256 base = p * perPoke;
            _load(readings, input, base);
            uint256 freeBefore;
            assembly ("memory-safe") {
                freeBefore := mload(0x40)
            }
            RulesLib.Evaluation memory ev = RulesLib.evaluate(cfg, state, readings, seq, input[base]);
            _record(out, p * OUT_WORDS, input[base], state, ev);
            // Everything the evaluation allocated is dead once recorded (it mutates `state` in place): reuse the
            // memory, so that a call's gas grows linearly with its pokes rather than quadratically.
            assembly ("memory-safe") {
                mstore(0x40, freeBefore)
            }
        }
    }

    /// @dev Decodes one poke's readings into `readings` (reused across pokes).
    function _load(IPriceSource.Reading[] memory readings, uint256[] calldata input, uint256 base) private pure {
        uint256 n = readings.length;
        for (uint256 i; i < n; ++i) {
            uint256 a = input[base + 1 + i * WORDS_PER_SOURCE];
            uint256 b = input[base + 2 + i * WORDS_PER_SOURCE];
            IPriceSource.Reading memory r = readings[i];
            r.price = a & MASK_128;
            r.conf = a >> 128;
            r.spot = b & MASK_128;
            r.observedAt = (b >> 128) & MASK_40;
            r.fault = b >> 168;
        }
    }

    function _record(
        uint256[] memory out,
        uint256 at,
        uint256 t,
        RulesLib.MarketState memory state,
        RulesLib.Evaluation memory ev
    ) private pure {
        (uint40 liqUntil, uint40 borrowUntil) =
            StateCodecLib.horizon(StateCodecLib.packPause(state.liquidation), StateCodecLib.packPause(state.borrow));
        uint256 dispersion = ev.dispersionBps > type(uint64).max ? type(uint64).max : ev.dispersionBps;
        out[at] = t | uint256(state.liquidation.status) << 40 | uint256(state.borrow.status) << 48
            | uint256(ev.reasons) << 56 | (t >= liqUntil ? uint256(1) << 72 : 0)
            | (t >= borrowUntil ? uint256(1) << 73 : 0) | dispersion << 80 | uint256(ev.invalidMask) << 144
            | uint256(ev.uninformativeMask) << 152 | uint256(ev.outlierMask) << 160;
        out[at + 1] = _clip(ev.consensus) | _clip(ev.primaryPrice) << 128;
        out[at + 2] = _clip(ev.bandLow) | _clip(ev.bandHigh) << 128;
    }

    function _clip(uint256 x) private pure returns (uint256) {
        return x > MASK_128 ? MASK_128 : x;
    }
}
