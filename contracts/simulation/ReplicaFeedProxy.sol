// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";

import {IAggregatorV3} from "../interfaces/external/IAggregatorV3.sol";

/// @dev The legacy answer functions of an aggregator (AaveOracle reads `latestAnswer`).
interface IAggregatorLegacy {
    function latestAnswer() external view returns (int256);
    function latestTimestamp() external view returns (uint256);
}

/// @title ReplicaFeedProxy
/// @notice A feed proxy with an owner, with the interface of Chainlink's EACAggregatorProxy where consumers and
/// owners touch it: consumers read through it, the owner replaces the aggregator in two steps
/// (`proposeAggregator`, `confirmAggregator`), and round ids carry the phase in their top bits. The attack
/// simulations take control of a feed the same way on the replica and on a mainnet fork: impersonate the proxy's
/// owner and confirm an aggregator of their own.
contract ReplicaFeedProxy is IAggregatorV3, Ownable {
    uint80 private constant PHASE_OFFSET = 64;

    /// @notice The current aggregator.
    IAggregatorV3 public aggregator;
    /// @notice The aggregator proposed by the owner, not yet confirmed.
    IAggregatorV3 public proposedAggregator;
    /// @notice The current phase: how many aggregators have been confirmed.
    uint16 public phaseId;

    /// @notice An aggregator proposed.
    event AggregatorProposed(address indexed current, address indexed proposed);
    /// @notice An aggregator confirmed: the feed now reads from it.
    event AggregatorConfirmed(address indexed previous, address indexed latest, uint16 phaseId);

    /// @notice Thrown when confirming an aggregator that is not the proposed one.
    error ReplicaFeedProxyInvalidProposal(address proposed, address given);

    /// @param initialAggregator The first aggregator.
    /// @param owner_ Who may replace it.
    constructor(IAggregatorV3 initialAggregator, address owner_) Ownable(owner_) {
        aggregator = initialAggregator;
        phaseId = 1;
    }

    /// @notice Proposes a new aggregator (owner only).
    /// @param next The aggregator.
    function proposeAggregator(IAggregatorV3 next) external onlyOwner {
        proposedAggregator = next;
        emit AggregatorProposed(address(aggregator), address(next));
    }

    /// @notice Confirms the proposed aggregator (owner only): the feed reads from it from now on.
    /// @param next The proposed aggregator, repeated.
    function confirmAggregator(IAggregatorV3 next) external onlyOwner {
        if (address(next) != address(proposedAggregator) || address(next) == address(0)) {
            revert ReplicaFeedProxyInvalidProposal(address(proposedAggregator), address(next));
        }
        address previous = address(aggregator);
        aggregator = next;
        delete proposedAggregator;
        uint16 phase = phaseId + 1;
        phaseId = phase;
        emit AggregatorConfirmed(previous, address(next), phase);
    }

    /// @inheritdoc IAggregatorV3
    function decimals() external view returns (uint8) {
        return aggregator.decimals();
    }

    /// @inheritdoc IAggregatorV3
    function description() external view returns (string memory) {
        return aggregator.description();
    }

    /// @inheritdoc IAggregatorV3
    function latestRoundData() external view returns (uint80, int256, uint256, uint256, uint80) {
        (uint80 roundId, int256 answer, uint256 startedAt, uint256 updatedAt, uint80 answeredInRound) =
            aggregator.latestRoundData();
        uint80 phase = uint80(phaseId) << PHASE_OFFSET;
        return (phase | roundId, answer, startedAt, updatedAt, phase | answeredInRound);
    }

    /// @notice The legacy answer, forwarded.
    function latestAnswer() external view returns (int256) {
        return IAggregatorLegacy(address(aggregator)).latestAnswer();
    }

    /// @notice The legacy update time, forwarded.
    function latestTimestamp() external view returns (uint256) {
        return IAggregatorLegacy(address(aggregator)).latestTimestamp();
    }
}
