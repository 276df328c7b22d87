// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

/// @title Reading Concord's batch pubdata
/// @notice The layout is docs/protocol.md's ("Pubdata"), written by
/// `concord_primitives::ops::AppliedOp::pubdata` and `batch_pubdata`: a 16-byte header with the
/// fee account, then the ops back to back, each taking as many 16-byte chunks as its type needs
/// (`opBytes`), its fields big-endian from its first byte, and Noop chunks up to the circuit's
/// size. Account ids take 3 bytes and token ids 1 (the L2 trees have 2^24 accounts and 2^8
/// tokens). Priority ids are not in the pubdata: the contract matches each of its chain's
/// Deposits and FullExits to the next request of its queue. Only the fields the rollup
/// contract acts on are read here; the proof binds every byte.
library Pubdata {
    uint256 internal constant HEADER_BYTES = 16;
    /// @notice Bytes per chunk (`concord_primitives::ops::CHUNK_BYTES`): one slot of the batch
    /// circuit, and the unit every op's size is a multiple of.
    uint256 internal constant CHUNK_BYTES = 16;
    /// @notice The chunks of each op type (`OpType::chunks`), one byte per type, type 0 in the
    /// lowest: Noop 1, Deposit 3, Transfer 1, TransferToNew 3, Withdraw 3, ChangePubKey 4,
    /// FullExit 3.
    uint256 private constant OP_CHUNKS = 0x03040303010301;

    uint8 internal constant NOOP = 0;
    uint8 internal constant DEPOSIT = 1;
    uint8 internal constant TRANSFER = 2;
    uint8 internal constant TRANSFER_TO_NEW = 3;
    uint8 internal constant WITHDRAW = 4;
    uint8 internal constant CHANGE_PUBKEY = 5;
    uint8 internal constant FULL_EXIT = 6;

    // Byte offsets of fields within an op (type byte at 0, chain id at 1 for the ops below).
    // Deposit and FullExit share their layout: type, chain, account, address, token, amount;
    // a Deposit then has a flags byte.
    uint256 internal constant PRIORITY_ACCOUNT = 2; // uint24
    uint256 internal constant PRIORITY_ADDRESS = 5; // address: Deposit to_address, FullExit owner
    uint256 internal constant PRIORITY_TOKEN = 25; // uint8
    uint256 internal constant PRIORITY_AMOUNT = 26; // uint128: Deposit amount, FullExit amount exited
    uint256 internal constant DEPOSIT_FLAGS = 42; // uint8: 1 if the L2 refunded the deposit, else 0
    uint256 internal constant WITHDRAW_TO = 5; // address
    uint256 internal constant WITHDRAW_TOKEN = 25; // uint8
    uint256 internal constant WITHDRAW_AMOUNT = 26; // uint128 (the fee float at 42 is not read)
    uint256 internal constant CPK_ACCOUNT = 2; // uint24
    uint256 internal constant CPK_PUBKEY = 5; // bytes32
    uint256 internal constant CPK_OWNER = 37; // address
    uint256 internal constant CPK_NONCE = 57; // uint32

    /// @notice The bytes of an op of type `opType` in the pubdata: its chunks times
    /// `CHUNK_BYTES` (16, 48, 16, 48, 48, 64, 48 for types 0 to 6). One shift of a constant
    /// rather than a branch per type, since the commit loop calls it for every op. The caller
    /// rejects types above 6 first: for them this returns 0, which would not move a loop on.
    function opBytes(uint8 opType) internal pure returns (uint256) {
        return ((OP_CHUNKS >> (uint256(opType) * 8)) & 0xFF) * CHUNK_BYTES;
    }

    /// @notice The `bits`-bit big-endian integer at `offset` of `data`. The caller keeps
    /// `offset + bits / 8` within `data`: the word read may run past it, and the shift drops
    /// those bytes.
    function uintAt(bytes calldata data, uint256 offset, uint256 bits) internal pure returns (uint256 value) {
        assembly ("memory-safe") {
            value := shr(sub(256, bits), calldataload(add(data.offset, offset)))
        }
    }

    function addressAt(bytes calldata data, uint256 offset) internal pure returns (address) {
        return address(uint160(uintAt(data, offset, 160)));
    }

    /// @notice The EIP-191 digest of ChangePubKey's Ethereum message, as
    /// `concord_primitives::ops::ChangePubKey::eth_message_hash` (docs/protocol.md, "Signed
    /// message"): a fixed 211-byte text with the key, nonce, account and network id in
    /// lowercase hex.
    function changePubKeyMessageHash(bytes32 newPubkey, uint32 nonce, uint32 accountId, uint32 networkId)
        internal
        pure
        returns (bytes32)
    {
        return keccak256(
            abi.encodePacked(
                "\x19Ethereum Signed Message:\n211",
                "Concord: set the L2 key of your account\nkey: 0x",
                _hex16(bytes16(newPubkey)),
                _hex16(bytes16(uint128(uint256(newPubkey)))),
                "\nnonce: 0x",
                bytes8(_hex16(bytes16(bytes4(nonce)))),
                "\naccount: 0x",
                bytes8(_hex16(bytes16(bytes4(accountId)))),
                "\nnetwork: 0x",
                bytes8(_hex16(bytes16(bytes4(networkId)))),
                "\nOnly sign this message on a Concord site."
            )
        );
    }

    /// @notice The 32 lowercase hex digits of 16 bytes, without a loop: the bytes are spread
    /// to one per two output bytes by halving steps, each byte's nibbles split, and each
    /// nibble mapped to '0'..'9' or 'a'..'f' (39 is 'a' - '0' - 10).
    function _hex16(bytes16 data) private pure returns (bytes32) {
        uint256 r = uint256(bytes32(data));
        r = (r & 0xFFFFFFFFFFFFFFFF000000000000000000000000000000000000000000000000)
            | ((r & 0x0000000000000000FFFFFFFFFFFFFFFF00000000000000000000000000000000) >> 64);
        r = (r & 0xFFFFFFFF000000000000000000000000FFFFFFFF000000000000000000000000)
            | ((r & 0x00000000FFFFFFFF000000000000000000000000FFFFFFFF0000000000000000) >> 32);
        r = (r & 0xFFFF000000000000FFFF000000000000FFFF000000000000FFFF000000000000)
            | ((r & 0x0000FFFF000000000000FFFF000000000000FFFF000000000000FFFF00000000) >> 16);
        r = (r & 0xFF000000FF000000FF000000FF000000FF000000FF000000FF000000FF000000)
            | ((r & 0x00FF000000FF000000FF000000FF000000FF000000FF000000FF000000FF0000) >> 8);
        r = ((r & 0xF000F000F000F000F000F000F000F000F000F000F000F000F000F000F000F000) >> 4)
            | ((r & 0x0F000F000F000F000F000F000F000F000F000F000F000F000F000F000F000F00) >> 8);
        uint256 isLetter = ((r + 0x0606060606060606060606060606060606060606060606060606060606060606) >> 4)
            & 0x0F0F0F0F0F0F0F0F0F0F0F0F0F0F0F0F0F0F0F0F0F0F0F0F0F0F0F0F0F0F0F0F;
        return bytes32(r + 0x3030303030303030303030303030303030303030303030303030303030303030 + isLetter * 39);
    }
}
