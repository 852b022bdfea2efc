// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IAggregatorV3} from "../interfaces/external/IAggregatorV3.sol";

/// @title ReplicaAggregator
/// @notice A Chainlink-style aggregator as the replica chain and the attack simulations run it: one transmitter
/// reports answers, which are clamped to the aggregator's min and max answer as Chainlink's aggregators clamp them
/// (the bound that kept LUNA/USD at its floor in May 2022 while the market fell through it). It sits behind a
/// `ReplicaFeedProxy` as mainnet aggregators sit behind their EACAggregatorProxy.
contract ReplicaAggregator is IAggregatorV3 {
    /// @inheritdoc IAggregatorV3
    // solhint-disable-next-line immutable-vars-naming
    uint8 public immutable override decimals;
    /// @notice The lowest answer the aggregator reports; lower reports are clamped to it.
    // solhint-disable-next-line immutable-vars-naming
    int192 public immutable minAnswer;
    /// @notice The highest answer the aggregator reports.
    // solhint-disable-next-line immutable-vars-naming
    int192 public immutable maxAnswer;
    /// @notice The only account allowed to report.
    // solhint-disable-next-line immutable-vars-naming
    address public immutable transmitter;

    string private _description;
    uint80 private _roundId;
    int192 private _answer;
    uint64 private _startedAt;
    uint64 private _updatedAt;

    /// @notice A new answer (after clamping), as Chainlink's aggregators announce it.
    event AnswerUpdated(int256 indexed current, uint256 indexed roundId, uint256 updatedAt);

    /// @notice Thrown when someone other than the transmitter reports.
    error ReplicaAggregatorNotTransmitter(address caller);
    /// @notice Thrown by the constructor for bounds that cannot be right.
    error ReplicaAggregatorInvalidBounds(int192 minAnswer, int192 maxAnswer);

    /// @param decimals_ Decimals of the answer.
    /// @param minAnswer_ The floor (Chainlink's OCR aggregators keep one per feed).
    /// @param maxAnswer_ The ceiling.
    /// @param transmitter_ Who reports.
    /// @param description_ The feed's description, e.g. "ETH / USD".
    constructor(uint8 decimals_, int192 minAnswer_, int192 maxAnswer_, address transmitter_, string memory description_) {
        if (minAnswer_ >= maxAnswer_) revert ReplicaAggregatorInvalidBounds(minAnswer_, maxAnswer_);
        decimals = decimals_;
        minAnswer = minAnswer_;
        maxAnswer = maxAnswer_;
        transmitter = transmitter_;
        _description = description_;
    }

    /// @notice Reports `answer` (clamped to the bounds) as a new round, observed at `observedAt`.
    /// @dev Price feeds report what they observe now (0). An L2 sequencer uptime feed records a status change with
    /// the time it happened, as Chainlink's uptime feeds do; Aave's sentinel counts its grace period from it.
    /// @param answer The observed answer.
    /// @param observedAt The round's time (0: now); at most now.
    function transmit(int192 answer, uint64 observedAt) external {
        if (msg.sender != transmitter) revert ReplicaAggregatorNotTransmitter(msg.sender);
        int192 clamped = answer < minAnswer ? minAnswer : (answer > maxAnswer ? maxAnswer : answer);
        uint80 roundId = _roundId + 1;
        _roundId = roundId;
        _answer = clamped;
        uint64 at = observedAt == 0 || observedAt > block.timestamp ? uint64(block.timestamp) : observedAt;
        _startedAt = at;
        _updatedAt = at;
        emit AnswerUpdated(clamped, roundId, at);
    }

    /// @inheritdoc IAggregatorV3
    function description() external view returns (string memory) {
        return _description;
    }

    /// @inheritdoc IAggregatorV3
    function latestRoundData() external view returns (uint80, int256, uint256, uint256, uint80) {
        return (_roundId, _answer, _startedAt, _updatedAt, _roundId);
    }

    /// @notice The legacy AggregatorInterface answer (AaveOracle reads it).
    function latestAnswer() external view returns (int256) {
        return _answer;
    }

    /// @notice The legacy AggregatorInterface update time.
    function latestTimestamp() external view returns (uint256) {
        return _updatedAt;
    }

    /// @notice The latest round id.
    function latestRound() external view returns (uint256) {
        return _roundId;
    }
}
