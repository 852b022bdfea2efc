// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title ConfigStoreLib
/// @notice Immutable configuration blobs stored as contract code: written once with CREATE, read back with one
/// EXTCODECOPY. A market's whole configuration (up to eight sources and every threshold) costs one cold account
/// access to read instead of one cold storage read per slot. Replacing a configuration writes a new blob.
/// @dev The blob contract's code is a STOP byte followed by the data, so it can never be called into doing anything.
library ConfigStoreLib {
    /// @dev Data offset in the blob's code (after the STOP byte).
    uint256 private constant DATA_OFFSET = 1;

    /// @notice Thrown when the blob could not be created.
    error ConfigStoreWriteFailed(uint256 length);

    /// @notice Writes `data` into a new blob.
    /// @param data The bytes to store (at most the code size limit minus one).
    /// @return pointer The blob's address.
    function write(bytes memory data) internal returns (address pointer) {
        // Init code (14 bytes): PUSH4 size, DUP1, PUSH1 14, PUSH1 0, CODECOPY, PUSH1 0, RETURN; then the runtime
        // code: 0x00 (STOP) and the data. It returns everything after itself as the blob's code.
        bytes memory initCode = abi.encodePacked(
            hex"63", uint32(data.length + DATA_OFFSET), hex"80600e6000396000f3", hex"00", data
        );
        assembly ("memory-safe") {
            pointer := create(0, add(initCode, 0x20), mload(initCode))
        }
        if (pointer == address(0)) revert ConfigStoreWriteFailed(data.length);
    }

    /// @notice Reads the data of a blob.
    /// @param pointer The blob's address.
    /// @return data The stored bytes.
    function read(address pointer) internal view returns (bytes memory data) {
        uint256 size = pointer.code.length;
        if (size < DATA_OFFSET) return data;
        size -= DATA_OFFSET;
        data = new bytes(size);
        assembly ("memory-safe") {
            extcodecopy(pointer, add(data, 0x20), DATA_OFFSET, size)
        }
    }
}
