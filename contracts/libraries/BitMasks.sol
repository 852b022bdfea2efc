// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

// Low-bit masks for packing fields into words (StateCodecLib, ConfigCodecLib, RulesReplay).

uint256 constant MASK_8 = type(uint8).max;
uint256 constant MASK_16 = type(uint16).max;
uint256 constant MASK_32 = type(uint32).max;
uint256 constant MASK_40 = type(uint40).max;
uint256 constant MASK_64 = type(uint64).max;
uint256 constant MASK_128 = type(uint128).max;
uint256 constant MASK_160 = type(uint160).max;
