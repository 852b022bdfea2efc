// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {RulesLib} from "../../contracts/libraries/RulesLib.sol";

/// @notice The market configuration the tests start from: the defaults the docs recommend.
library MarketDefaults {
    function config(address[] memory sources, uint8 primaryIndex)
        internal
        pure
        returns (RulesLib.MarketConfig memory cfg)
    {
        cfg.sources = new RulesLib.SourceConfig[](sources.length);
        for (uint256 i; i < sources.length; ++i) {
            cfg.sources[i] = RulesLib.SourceConfig({source: sources[i], maxAge: 1 hours});
        }
        cfg.primary = primaryIndex;
        cfg.quorum = 2;
        cfg.outlierBps = 500; // 5%
        cfg.maxDeviationBps = 300; // 3%
        cfg.confMultiplierBps = 10_000; // one confidence width
        cfg.twapSpotBoundBps = 200; // 2%
        cfg.maxUncorroborated = 30 minutes;
        cfg.jumpBps = 1_000; // 10%
        cfg.varianceThreshold = 1e15; // (3.2%)^2 per interval
        cfg.shortAlphaBps = 2_000;
        cfg.longAlphaBps = 100;
        cfg.regimeRatioBps = 0;
        cfg.regimeWarmup = 20;
        cfg.statsInterval = 5 minutes;
        cfg.returnClipBps = 2_000; // 20%
        cfg.liquidationMask = RulesLib.defaultLiquidationMask(primaryIndex != RulesLib.NO_PRIMARY);
        cfg.minPause = 10 minutes;
        cfg.recoveryStreak = 3;
        cfg.recoverySpacing = 1 minutes;
        cfg.grace = 15 minutes;
        cfg.maxPause = 6 hours;
        cfg.maxExtension = 12 hours;
    }
}
