// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

// The few Aave V3 (3.0 to 3.6) functions the Tripwire sentinel uses, declared here with Aave's exact signatures so
// that the package does not pull in Aave's sources.

/// @notice Aave V3's registry of a market's contracts.
interface IAavePoolAddressesProvider {
    /// @notice The ACL manager of the market.
    function getACLManager() external view returns (address);
    /// @notice The market's price oracle (AaveOracle).
    function getPriceOracle() external view returns (address);
}

/// @notice Aave V3's role registry.
interface IAaveACLManager {
    /// @notice Whether `admin` is a pool admin.
    function isPoolAdmin(address admin) external view returns (bool);
    /// @notice Whether `admin` is a risk admin.
    function isRiskAdmin(address admin) external view returns (bool);
}

/// @notice AaveOracle: the feed behind each asset's price.
interface IAaveOracle {
    /// @notice The price feed AaveOracle reads for `asset`.
    function getSourceOfAsset(address asset) external view returns (address);
}

/// @notice Aave V3's price oracle sentinel hook (removed in Aave 3.7), consulted by the Pool on liquidations with a
/// health factor of at least 0.95 and on every borrow.
interface IAavePriceOracleSentinel {
    /// @notice The sequencer oracle changed.
    event SequencerOracleUpdated(address newSequencerOracle);
    /// @notice The grace period changed.
    event GracePeriodUpdated(uint256 newGracePeriod);

    /// @notice The market's addresses provider.
    function ADDRESSES_PROVIDER() external view returns (IAavePoolAddressesProvider);
    /// @notice Whether borrows are allowed now.
    function isBorrowAllowed() external view returns (bool);
    /// @notice Whether liquidations (health factor of at least 0.95) are allowed now.
    function isLiquidationAllowed() external view returns (bool);
    /// @notice Sets the sequencer uptime oracle (pool admin).
    function setSequencerOracle(address newSequencerOracle) external;
    /// @notice Sets the grace period after a sequencer restart (risk or pool admin).
    function setGracePeriod(uint256 newGracePeriod) external;
    /// @notice The sequencer uptime oracle.
    function getSequencerOracle() external view returns (address);
    /// @notice The grace period after a sequencer restart.
    function getGracePeriod() external view returns (uint256);
}
