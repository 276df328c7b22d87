// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

/// @title secp256k1 signature recovery with OpenZeppelin's `ECDSA.recover` rules
/// @notice A signature is 65 bytes `r ‖ s ‖ v`, `v` 27/28 or 0/1. Signatures with `s` in the
/// upper half of the group order are refused, so a signature has no malleated twin; the Rust
/// twin is `concord_primitives::ops::recover_eth_signer`.
library Signatures {
    /// secp256k1's group order n, halved (rounded down).
    uint256 internal constant HALF_ORDER = 0x7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0;

    /// @notice The address whose key signed `digest`, or address(0) if `signature` is malformed,
    /// has a high `s` or recovers no key.
    function recover(bytes32 digest, bytes calldata signature) internal pure returns (address) {
        if (signature.length != 65) return address(0);
        bytes32 r;
        bytes32 s;
        uint8 v;
        assembly ("memory-safe") {
            r := calldataload(signature.offset)
            s := calldataload(add(signature.offset, 32))
            v := byte(0, calldataload(add(signature.offset, 64)))
        }
        if (uint256(s) > HALF_ORDER) return address(0);
        if (v < 27) v += 27;
        if (v != 27 && v != 28) return address(0);
        return ecrecover(digest, v, r, s);
    }
}
