// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IPriceSource} from "../interfaces/IPriceSource.sol";

/// @title MockSource
/// @notice A source whose reading tests set directly, and which can misbehave in every way a source can: the
/// adversarial zoo the guard must survive.
contract MockSource is IPriceSource {
    /// @notice How `read` behaves.
    enum Mode {
        Honest, // returns the stored reading
        Revert, // reverts
        BurnGas, // loops until out of gas
        HugeReturn, // returns a 64 KiB blob (a larger one runs the source out of gas: also a fault)
        ShortReturn, // returns two words
        Empty // returns nothing
    }

    Mode public mode;
    Reading private _reading;

    /// @param price Initial price (18 decimals), stamped now.
    constructor(uint256 price) {
        setPrice(price);
    }

    /// @notice Sets the price, stamped now, with no confidence, spot or fault.
    function setPrice(uint256 price) public {
        _reading = Reading({price: price, conf: 0, spot: 0, observedAt: block.timestamp, fault: 0});
    }

    /// @notice Sets every field of the reading.
    function setReading(Reading calldata reading) external {
        _reading = reading;
    }

    /// @notice Sets the behaviour.
    function setMode(Mode newMode) external {
        mode = newMode;
    }

    /// @inheritdoc IPriceSource
    function read() external view returns (Reading memory) {
        Mode m = mode;
        // A source that reverts with a string, as many oracles do.
        // solhint-disable-next-line gas-custom-errors
        if (m == Mode.Revert) revert("mock source reverted");
        if (m == Mode.BurnGas) {
            uint256 x;
            while (true) {
                x = uint256(keccak256(abi.encode(x)));
            }
        }
        if (m == Mode.HugeReturn) {
            assembly ("memory-safe") {
                return(0, 65536)
            }
        }
        if (m == Mode.ShortReturn) {
            assembly ("memory-safe") {
                mstore(0, 1)
                mstore(0x20, 2)
                return(0, 0x40)
            }
        }
        if (m == Mode.Empty) {
            assembly ("memory-safe") {
                return(0, 0)
            }
        }
        return _reading;
    }

    /// @inheritdoc IPriceSource
    function description() external pure returns (string memory) {
        return "mock source";
    }
}
