// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {IConcordVerifier} from "./IConcordVerifier.sol";
import {Pubdata} from "./Pubdata.sol";
import {SafeToken} from "./SafeToken.sol";
import {Signatures} from "./Signatures.sol";

/// @title Concord's rollup contract on one EVM chain
/// @notice Holds the chain's deposits, queues its priority requests (deposits, full exits),
/// and takes each batch through commit (oracle members: data availability and this chain's
/// priority ops and key changes checked), prove (anyone: the Groth16 proof of the batch
/// commitment) and execute (anyone, with a quorum of oracle signatures over the batch's sync
/// hash: withdrawals credited, priority requests popped). Payouts are pulled with
/// `withdrawPending`. If a priority request expires unserved, anyone can stop the rollup
/// (exodus mode) and unserved deposits are refunded. docs/protocol.md ("L1 contract") is the
/// specification; contracts/README.md lists every function, event and error.
contract ConcordRollup {
    // ------------------------------------------------------------------ types

    /// @notice Deployment parameters.
    /// @param verifier The generated Groth16 verifier of the batch circuit.
    /// @param chainId This chain's Concord chain id (not its EVM chain id): the pubdata's ops
    /// with this id are this contract's.
    /// @param priorityExpiry Seconds a priority request may wait to be executed before anyone
    /// may activate exodus mode.
    /// @param slotsPerBatch The circuit's op slots N: a batch's pubdata is 16 + 80·N bytes.
    /// @param genesisRoot The L2 state root before batch 1.
    /// @param oracles The oracle members (at most 256, distinct, non-zero).
    /// @param threshold Signatures needed, from ceil(2·members/3) to members.
    /// @param tokenIds Token ids registered at deployment (below 256), with
    /// @param tokenAddresses their ERC-20s (address(0): the native coin).
    struct Config {
        IConcordVerifier verifier;
        uint8 chainId;
        uint64 priorityExpiry;
        uint32 slotsPerBatch;
        bytes32 genesisRoot;
        address[] oracles;
        uint256 threshold;
        uint16[] tokenIds;
        address[] tokenAddresses;
    }

    /// @notice A batch to commit: its number, its pubdata as the appchain sealed it, and the
    /// owners' Ethereum signatures of this chain's ChangePubKey ops, in pubdata order.
    struct CommitBatchInfo {
        uint64 batchNumber;
        bytes pubdata;
        bytes[] changePubKeySignatures;
    }

    /// @notice A batch to prove: the state root it leads to and the Groth16 proof (EIP-197
    /// words) of its commitment.
    struct ProveBatchInfo {
        uint64 batchNumber;
        bytes32 newRoot;
        uint256[8] proof;
    }

    /// @notice A payout of a batch: this chain's Withdraw ops and served FullExits, in pubdata
    /// order (see `payoutsHash`).
    struct Payout {
        address to;
        uint16 token;
        uint128 amount;
    }

    /// @notice A batch to execute with its payouts.
    struct ExecuteBatchInfo {
        uint64 batchNumber;
        Payout[] payouts;
    }

    /// @notice A queued priority request, as its events told it; what `requestHash` hashes.
    /// Deposit: accountId 0, l1Address the recipient. FullExit: amount 0, l1Address the owner.
    struct PriorityRequestInfo {
        uint8 opType;
        uint32 accountId;
        address l1Address;
        uint16 token;
        uint128 amount;
    }

    /// @notice What the contract keeps of a batch.
    /// @param pubdataHash sha256(pubdata), set at commit.
    /// @param payoutsHash The hash chain of the batch's payouts, set at commit.
    /// @param newRoot The state root after the batch, set at prove.
    /// @param syncHash The batch's sync hash, set at prove.
    /// @param priorityRequests How many of this chain's priority requests the batch serves.
    struct StoredBatch {
        bytes32 pubdataHash;
        bytes32 payoutsHash;
        bytes32 newRoot;
        bytes32 syncHash;
        uint64 priorityRequests;
    }

    /// @notice A queued priority request: its hash and when it expires (a timestamp).
    struct PriorityRequest {
        bytes32 hash;
        uint64 expiresAt;
    }

    struct TokenEntry {
        address token;
        bool registered;
    }

    struct TokenIdEntry {
        uint16 id;
        bool registered;
    }

    // ------------------------------------------------------------------ constants

    /// BN254's scalar field modulus: roots are field elements below it.
    uint256 internal constant R = 0x30644e72e131a029b85045b68181585d2833e84879b9709143e1f593f0000001;
    /// A commitment is the SHA-256 digest reduced modulo 2^253.
    uint256 internal constant COMMITMENT_MASK = (1 << 253) - 1;
    /// L2 token ids are below 2^BALANCE_DEPTH (8), account ids below 2^ACCOUNT_DEPTH (24).
    uint256 internal constant TOKEN_LIMIT = 1 << 8;
    uint256 internal constant ACCOUNT_LIMIT = 1 << 24;
    /// The oracle bitmap in `_requireQuorum` has 256 bits.
    uint256 internal constant MAX_ORACLES = 256;

    /// The action tags of the digests oracle members sign (see `_digest`).
    bytes32 public constant EXECUTE_ACTION = keccak256("Concord.executeBatches");
    bytes32 public constant UPDATE_ORACLES_ACTION = keccak256("Concord.updateOracles");
    bytes32 public constant REVERT_ACTION = keccak256("Concord.revertBatches");
    bytes32 public constant REGISTER_TOKEN_ACTION = keccak256("Concord.registerToken");

    // ------------------------------------------------------------------ state

    IConcordVerifier public immutable verifier;
    uint8 public immutable chainId;
    uint64 public immutable priorityExpiry;
    uint256 public immutable pubdataLength;

    uint64 public totalCommitted;
    uint64 public totalProven;
    uint64 public totalExecuted;
    bool public exodusMode;

    /// The head of the queue: the oldest priority request neither executed nor cancelled.
    uint64 public firstPriorityId;
    /// The number of priority requests ever queued: the next request's id.
    uint64 public totalPriorityRequests;
    /// How many requests from `firstPriorityId` on the committed, unexecuted batches serve.
    uint64 public committedPriorityRequests;
    /// The nonce of the next oracle-quorum governance action (oracle rotation, revert, token).
    uint64 public governanceNonce;

    uint256 public threshold;
    address[] internal _oracles;
    /// An oracle's position in `_oracles` plus one; 0 for non-members.
    mapping(address => uint256) internal _oracleIndex;

    mapping(uint64 => StoredBatch) internal _batches;
    mapping(uint64 => PriorityRequest) internal _priorityRequests;
    mapping(uint16 => TokenEntry) internal _tokens;
    mapping(address => TokenIdEntry) internal _tokenIds;

    /// @notice What `withdrawPending` pays an address, per L2 token id.
    mapping(address => mapping(uint16 => uint256)) public pendingBalance;

    bool transient _locked;

    // ------------------------------------------------------------------ events

    event DepositRequested(
        uint64 indexed priorityId,
        address indexed from,
        address indexed to,
        uint16 token,
        uint128 amount,
        uint64 expiresAt
    );
    event FullExitRequested(
        uint64 indexed priorityId, address indexed owner, uint32 accountId, uint16 token, uint64 expiresAt
    );
    event BatchCommitted(uint64 indexed batchNumber, bytes32 pubdataHash, uint64 priorityRequests);
    event BatchProven(uint64 indexed batchNumber, bytes32 newRoot, bytes32 syncHash);
    event BatchExecuted(uint64 indexed batchNumber, bytes32 newRoot, uint64 priorityRequests);
    event WithdrawalCredited(uint64 indexed batchNumber, address indexed to, uint16 indexed token, uint128 amount);
    event Withdrawn(address indexed owner, uint16 indexed token, uint256 amount);
    event BatchesReverted(uint64 totalCommittedBefore, uint64 totalCommitted);
    event OraclesUpdated(uint64 nextNonce, address[] oracles, uint256 threshold);
    event TokenRegistered(uint16 indexed tokenId, address indexed token);
    event ExodusActivated(uint64 expiredPriorityId, uint64 lastExecutedBatch, bytes32 lastExecutedRoot);
    event PriorityRequestCancelled(
        uint64 indexed priorityId, uint8 opType, address indexed l1Address, uint16 token, uint128 refunded
    );

    // ------------------------------------------------------------------ errors

    error NotOracle(address caller);
    error ExodusActive();
    error ExodusNotActive();
    error NoBatches();
    error UnexpectedBatchNumber(uint64 expected, uint64 given);
    error BadPubdataLength(uint256 length, uint256 expected);
    error UnknownOpType(uint256 slot, uint8 opType);
    error PriorityIdMismatch(uint256 slot, uint64 expected, uint64 given);
    error PriorityRequestNotQueued(uint64 priorityId);
    error PriorityRequestMismatch(uint64 priorityId);
    error MissingChangePubKeySignature(uint256 slot);
    error BadChangePubKeySignature(uint256 slot);
    error UnusedChangePubKeySignatures(uint256 used, uint256 given);
    error BatchNotCommitted(uint64 batchNumber);
    error RootNotInField(bytes32 root);
    error InvalidProof(uint64 batchNumber);
    error BatchNotProven(uint64 batchNumber);
    error PayoutsMismatch(uint64 batchNumber);
    error NotEnoughSignatures(uint256 given, uint256 threshold);
    error InvalidSignature(uint256 index);
    error SignerNotOracle(address signer);
    error DuplicateSigner(address signer);
    error RevertOutOfRange(uint64 totalCommitted, uint64 totalExecuted, uint64 requested);
    error BadOracleCount(uint256 count);
    error DuplicateOracle(address oracle);
    error BadThreshold(uint256 threshold, uint256 oracles);
    error ZeroAddress();
    error TokenListMismatch(uint256 ids, uint256 addresses);
    error TokenIdOutOfRange(uint16 tokenId);
    error TokenIdTaken(uint16 tokenId);
    error TokenAddressTaken(address token);
    error UnknownToken(address token);
    error UnknownTokenId(uint16 tokenId);
    error NotAnErc20();
    error ZeroAmount();
    error AmountTooLarge(uint256 amount);
    error AccountIdOutOfRange(uint32 accountId);
    error NoExpiredPriorityRequest();
    error BadRequestCount(uint256 given, uint256 outstanding);
    error NothingToWithdraw(address owner, uint16 token);
    error EthTransferFailed(address to);
    error Reentrancy();
    error VerifierNotContract(address verifier);
    error BadSlotCount();
    error ZeroPriorityExpiry();

    // ------------------------------------------------------------------ modifiers

    modifier nonReentrant() {
        if (_locked) revert Reentrancy();
        _locked = true;
        _;
        _locked = false;
    }

    modifier active() {
        if (exodusMode) revert ExodusActive();
        _;
    }

    // ------------------------------------------------------------------ deployment

    constructor(Config memory config) {
        if (address(config.verifier).code.length == 0) revert VerifierNotContract(address(config.verifier));
        if (config.slotsPerBatch == 0) revert BadSlotCount();
        if (config.priorityExpiry == 0) revert ZeroPriorityExpiry();
        if (uint256(config.genesisRoot) >= R) revert RootNotInField(config.genesisRoot);
        if (config.tokenIds.length != config.tokenAddresses.length) {
            revert TokenListMismatch(config.tokenIds.length, config.tokenAddresses.length);
        }
        verifier = config.verifier;
        chainId = config.chainId;
        priorityExpiry = config.priorityExpiry;
        pubdataLength = Pubdata.HEADER_BYTES + Pubdata.SLOT_BYTES * uint256(config.slotsPerBatch);
        _batches[0].newRoot = config.genesisRoot;
        _setOracles(config.oracles, config.threshold);
        emit OraclesUpdated(0, config.oracles, config.threshold);
        for (uint256 i; i < config.tokenIds.length; ++i) {
            _registerToken(config.tokenIds[i], config.tokenAddresses[i]);
        }
    }

    // ------------------------------------------------------------------ priority requests

    /// @notice Deposits `msg.value` of the native coin to the L2 account of `to` (created if
    /// `to` has none).
    function depositETH(address to) external payable active {
        TokenIdEntry memory entry = _tokenIds[address(0)];
        if (!entry.registered) revert UnknownToken(address(0));
        if (msg.value == 0) revert ZeroAmount();
        if (msg.value > type(uint128).max) revert AmountTooLarge(msg.value);
        _queueDeposit(to, entry.id, uint128(msg.value));
    }

    /// @notice Deposits `amount` of the ERC-20 `token` (approved to this contract) to the L2
    /// account of `to`. The amount queued is what the contract's balance grew by.
    function depositERC20(address token, uint128 amount, address to) external active nonReentrant {
        if (token == address(0)) revert NotAnErc20();
        TokenIdEntry memory entry = _tokenIds[token];
        if (!entry.registered) revert UnknownToken(token);
        if (amount == 0) revert ZeroAmount();
        uint256 before = SafeToken.balanceOf(token, address(this));
        SafeToken.safeTransferFrom(token, msg.sender, address(this), amount);
        uint256 received = SafeToken.balanceOf(token, address(this)) - before;
        if (received == 0) revert ZeroAmount();
        if (received > type(uint128).max) revert AmountTooLarge(received);
        _queueDeposit(to, entry.id, uint128(received));
    }

    /// @notice Asks the rollup to withdraw the whole balance of `token` of account `accountId`
    /// to the caller on this chain. It is served (with amount 0 if the caller does not own the
    /// account) within `priorityExpiry`, or exodus mode may be activated.
    function requestFullExit(uint32 accountId, uint16 token) external active {
        if (accountId >= ACCOUNT_LIMIT) revert AccountIdOutOfRange(accountId);
        if (!_tokens[token].registered) revert UnknownTokenId(token);
        (uint64 id, uint64 expiresAt) = _queue(
            PriorityRequestInfo({
                opType: Pubdata.FULL_EXIT, accountId: accountId, l1Address: msg.sender, token: token, amount: 0
            })
        );
        emit FullExitRequested(id, msg.sender, accountId, token, expiresAt);
    }

    function _queueDeposit(address to, uint16 token, uint128 amount) internal {
        if (to == address(0)) revert ZeroAddress();
        (uint64 id, uint64 expiresAt) = _queue(
            PriorityRequestInfo({opType: Pubdata.DEPOSIT, accountId: 0, l1Address: to, token: token, amount: amount})
        );
        emit DepositRequested(id, msg.sender, to, token, amount, expiresAt);
    }

    function _queue(PriorityRequestInfo memory request) internal returns (uint64 id, uint64 expiresAt) {
        id = totalPriorityRequests;
        expiresAt = uint64(block.timestamp) + priorityExpiry;
        _priorityRequests[id] = PriorityRequest({hash: requestHash(request, id), expiresAt: expiresAt});
        totalPriorityRequests = id + 1;
    }

    /// @notice The hash the queue keeps of priority request `priorityId`:
    /// keccak256(opType ‖ priorityId ‖ accountId ‖ l1Address ‖ token ‖ amount), packed
    /// (1 + 8 + 4 + 20 + 2 + 16 bytes).
    function requestHash(PriorityRequestInfo memory request, uint64 priorityId) public pure returns (bytes32) {
        return keccak256(
            abi.encodePacked(
                request.opType, priorityId, request.accountId, request.l1Address, request.token, request.amount
            )
        );
    }

    // ------------------------------------------------------------------ commit

    /// @notice Commits batches in order (oracle members only). For each op of this chain it
    /// checks Deposits and FullExits against the priority queue in order, checks ChangePubKey's
    /// owner signature, and records Withdraw and FullExit payouts; other ops, and every op of
    /// other chains, are only hashed.
    function commitBatches(CommitBatchInfo[] calldata batches) external active {
        if (_oracleIndex[msg.sender] == 0) revert NotOracle(msg.sender);
        if (batches.length == 0) revert NoBatches();
        uint64 number = totalCommitted;
        uint64 nextPriorityId = firstPriorityId + committedPriorityRequests;
        for (uint256 i; i < batches.length; ++i) {
            CommitBatchInfo calldata batch = batches[i];
            if (batch.batchNumber != number + 1) revert UnexpectedBatchNumber(number + 1, batch.batchNumber);
            number = batch.batchNumber;
            (bytes32 payoutsHash, uint64 served) = _processPubdata(batch, nextPriorityId);
            bytes32 pubdataHash = sha256(batch.pubdata);
            _batches[number] = StoredBatch({
                pubdataHash: pubdataHash,
                payoutsHash: payoutsHash,
                newRoot: bytes32(0),
                syncHash: bytes32(0),
                priorityRequests: served
            });
            nextPriorityId += served;
            emit BatchCommitted(number, pubdataHash, served);
        }
        totalCommitted = number;
        committedPriorityRequests = nextPriorityId - firstPriorityId;
    }

    /// @return payoutsHash The hash chain of the batch's payouts (see `chainPayout`).
    /// @return served How many priority requests, from `nextPriorityId` on, the batch serves.
    function _processPubdata(CommitBatchInfo calldata batch, uint64 nextPriorityId)
        internal
        view
        returns (bytes32 payoutsHash, uint64 served)
    {
        bytes calldata pubdata = batch.pubdata;
        if (pubdata.length != pubdataLength) revert BadPubdataLength(pubdata.length, pubdataLength);
        bytes[] calldata signatures = batch.changePubKeySignatures;
        uint256 signaturesUsed;
        uint64 priorityId = nextPriorityId;
        for (uint256 offset = Pubdata.HEADER_BYTES; offset < pubdata.length; offset += Pubdata.SLOT_BYTES) {
            (payoutsHash, priorityId, signaturesUsed) = _processOp(
                pubdata[offset:],
                (offset - Pubdata.HEADER_BYTES) / Pubdata.SLOT_BYTES,
                payoutsHash,
                priorityId,
                signatures,
                signaturesUsed
            );
        }
        if (signaturesUsed != signatures.length) revert UnusedChangePubKeySignatures(signaturesUsed, signatures.length);
        served = priorityId - nextPriorityId;
    }

    /// Processes the op of one slot (`op` runs from the slot's start to the pubdata's end) and
    /// returns the payout hash chain, the next priority id and the signatures used so far.
    function _processOp(
        bytes calldata op,
        uint256 slot,
        bytes32 payoutsHash,
        uint64 priorityId,
        bytes[] calldata signatures,
        uint256 signaturesUsed
    ) internal view returns (bytes32, uint64, uint256) {
        uint8 opType = uint8(op[0]);
        if (opType > Pubdata.FULL_EXIT) revert UnknownOpType(slot, opType);
        // Noop, Transfer and TransferToNew concern L2 only; the others name a chain in byte 1.
        if (opType == Pubdata.NOOP || opType == Pubdata.TRANSFER || opType == Pubdata.TRANSFER_TO_NEW) {
            return (payoutsHash, priorityId, signaturesUsed);
        }
        if (uint8(op[1]) != chainId) return (payoutsHash, priorityId, signaturesUsed);
        if (opType == Pubdata.DEPOSIT || opType == Pubdata.FULL_EXIT) {
            _checkPriorityOp(op, opType, slot, priorityId);
            // A served FullExit pays the amount exited; one exiting 0 pays nothing.
            if (opType == Pubdata.FULL_EXIT && Pubdata.uintAt(op, Pubdata.PRIORITY_AMOUNT, 128) != 0) {
                payoutsHash = _chainPayoutAt(
                    payoutsHash, op, Pubdata.PRIORITY_ADDRESS, Pubdata.PRIORITY_TOKEN, Pubdata.PRIORITY_AMOUNT
                );
            }
            return (payoutsHash, priorityId + 1, signaturesUsed);
        }
        if (opType == Pubdata.WITHDRAW) {
            payoutsHash =
                _chainPayoutAt(payoutsHash, op, Pubdata.WITHDRAW_TO, Pubdata.WITHDRAW_TOKEN, Pubdata.WITHDRAW_AMOUNT);
            return (payoutsHash, priorityId, signaturesUsed);
        }
        // ChangePubKey.
        if (signaturesUsed == signatures.length) revert MissingChangePubKeySignature(slot);
        _checkChangePubKey(op, slot, signatures[signaturesUsed]);
        return (payoutsHash, priorityId, signaturesUsed + 1);
    }

    /// A Deposit or FullExit of this chain must be the next request of the queue, unchanged.
    function _checkPriorityOp(bytes calldata op, uint8 opType, uint256 slot, uint64 expectedId) internal view {
        uint64 priorityId = uint64(Pubdata.uintAt(op, Pubdata.PRIORITY_ID, 64));
        if (priorityId != expectedId) revert PriorityIdMismatch(slot, expectedId, priorityId);
        if (priorityId >= totalPriorityRequests) revert PriorityRequestNotQueued(priorityId);
        // The queue hashes what the requester gave: a deposit's account and a full exit's
        // amount are resolved by the L2 state and are not part of the request.
        PriorityRequestInfo memory request = PriorityRequestInfo({
            opType: opType,
            accountId: opType == Pubdata.FULL_EXIT ? uint32(Pubdata.uintAt(op, Pubdata.PRIORITY_ACCOUNT, 32)) : 0,
            l1Address: Pubdata.addressAt(op, Pubdata.PRIORITY_ADDRESS),
            token: uint16(Pubdata.uintAt(op, Pubdata.PRIORITY_TOKEN, 16)),
            amount: opType == Pubdata.DEPOSIT ? uint128(Pubdata.uintAt(op, Pubdata.PRIORITY_AMOUNT, 128)) : 0
        });
        if (requestHash(request, priorityId) != _priorityRequests[priorityId].hash) {
            revert PriorityRequestMismatch(priorityId);
        }
    }

    /// ChangePubKey's owner (the account's L1 address, in the pubdata) must have signed the
    /// key change; the circuit cannot check an ECDSA signature, so this contract does.
    function _checkChangePubKey(bytes calldata op, uint256 slot, bytes calldata signature) internal pure {
        bytes32 digest = Pubdata.changePubKeyMessageHash(
            bytes32(Pubdata.uintAt(op, Pubdata.CPK_PUBKEY, 256)),
            uint32(Pubdata.uintAt(op, Pubdata.CPK_NONCE, 32)),
            uint32(Pubdata.uintAt(op, Pubdata.CPK_ACCOUNT, 32))
        );
        address signer = Signatures.recover(digest, signature);
        if (signer == address(0) || signer != Pubdata.addressAt(op, Pubdata.CPK_OWNER)) {
            revert BadChangePubKeySignature(slot);
        }
    }

    /// @notice One step of a batch's payout hash chain, which starts at zero:
    /// keccak256(previous ‖ to ‖ token ‖ amount), packed (32 + 20 + 2 + 16 bytes).
    function chainPayout(bytes32 previous, Payout calldata payout) external pure returns (bytes32) {
        return _chainPayout(previous, payout.to, payout.token, payout.amount);
    }

    function _chainPayout(bytes32 previous, address to, uint16 token, uint128 amount) internal pure returns (bytes32) {
        return keccak256(abi.encodePacked(previous, to, token, amount));
    }

    /// `_chainPayout` of the payout whose recipient, token and amount are at these offsets of `op`.
    function _chainPayoutAt(bytes32 previous, bytes calldata op, uint256 to, uint256 token, uint256 amount)
        internal
        pure
        returns (bytes32)
    {
        return _chainPayout(
            previous,
            Pubdata.addressAt(op, to),
            uint16(Pubdata.uintAt(op, token, 16)),
            uint128(Pubdata.uintAt(op, amount, 128))
        );
    }

    // ------------------------------------------------------------------ prove

    /// @notice Proves committed batches in order (anyone). Each proof is checked against the
    /// commitment recomputed here, sha256(n ‖ oldRoot ‖ newRoot ‖ sha256(pubdata)) mod 2^253,
    /// where oldRoot is the previous batch's proven root; the batch's sync hash chains the
    /// previous one's.
    function proveBatches(ProveBatchInfo[] calldata batches) external active {
        if (batches.length == 0) revert NoBatches();
        uint64 number = totalProven;
        uint64 committed = totalCommitted;
        bytes32 root = _batches[number].newRoot;
        bytes32 syncHash = _batches[number].syncHash;
        uint256[] memory input = new uint256[](1);
        for (uint256 i; i < batches.length; ++i) {
            ProveBatchInfo calldata batch = batches[i];
            if (batch.batchNumber != number + 1) revert UnexpectedBatchNumber(number + 1, batch.batchNumber);
            number = batch.batchNumber;
            if (number > committed) revert BatchNotCommitted(number);
            if (uint256(batch.newRoot) >= R) revert RootNotInField(batch.newRoot);
            StoredBatch storage stored = _batches[number];
            uint256 commitment = uint256(
                sha256(abi.encodePacked(number, root, batch.newRoot, stored.pubdataHash))
            ) & COMMITMENT_MASK;
            input[0] = commitment;
            if (!verifier.verifyProof(batch.proof, input)) revert InvalidProof(number);
            syncHash = keccak256(abi.encodePacked(syncHash, uint256(number), commitment));
            root = batch.newRoot;
            stored.newRoot = root;
            stored.syncHash = syncHash;
            emit BatchProven(number, root, syncHash);
        }
        totalProven = number;
    }

    // ------------------------------------------------------------------ execute

    /// @notice Executes proven batches in order (anyone), authorized by a quorum of oracle
    /// signatures of `executeDigest` for the last batch given: its sync hash chains every
    /// batch before it, so the quorum vouches for all of them. Credits the payouts to pending
    /// balances and pops the priority requests the batches served.
    function executeBatches(ExecuteBatchInfo[] calldata batches, bytes[] calldata signatures) external active {
        if (batches.length == 0) revert NoBatches();
        uint64 number = totalExecuted;
        if (batches[0].batchNumber != number + 1) revert UnexpectedBatchNumber(number + 1, batches[0].batchNumber);
        uint64 last = batches[batches.length - 1].batchNumber;
        if (last > totalProven) revert BatchNotProven(last);
        _requireQuorum(executeDigest(last, _batches[last].syncHash), signatures);

        uint64 popped;
        for (uint256 i; i < batches.length; ++i) {
            ExecuteBatchInfo calldata batch = batches[i];
            if (batch.batchNumber != number + 1) revert UnexpectedBatchNumber(number + 1, batch.batchNumber);
            number = batch.batchNumber;
            StoredBatch storage stored = _batches[number];
            bytes32 chain;
            for (uint256 j; j < batch.payouts.length; ++j) {
                Payout calldata payout = batch.payouts[j];
                chain = _chainPayout(chain, payout.to, payout.token, payout.amount);
                pendingBalance[payout.to][payout.token] += payout.amount;
                emit WithdrawalCredited(number, payout.to, payout.token, payout.amount);
            }
            if (chain != stored.payoutsHash) revert PayoutsMismatch(number);
            // Popping advances the queue's head; the served entries are left in place, as
            // clearing them would cost more than the capped refund returns.
            uint64 served = stored.priorityRequests;
            popped += served;
            emit BatchExecuted(number, stored.newRoot, served);
        }
        totalExecuted = number;
        firstPriorityId += popped;
        committedPriorityRequests -= popped;
    }

    /// @notice What oracle members sign to authorize executing batches up to `batchNumber`
    /// whose sync hash is `syncHash`, on this chain and contract (see `_digest`).
    function executeDigest(uint64 batchNumber, bytes32 syncHash) public view returns (bytes32) {
        return _digest(abi.encode(EXECUTE_ACTION, block.chainid, batchNumber, syncHash));
    }

    // ------------------------------------------------------------------ withdrawals

    /// @notice Pays `owner` its pending balance of `token` (anyone may trigger it; the funds go
    /// to `owner` only). Works in exodus mode too.
    function withdrawPending(address owner, uint16 token) external nonReentrant {
        uint256 amount = pendingBalance[owner][token];
        if (amount == 0) revert NothingToWithdraw(owner, token);
        TokenEntry memory entry = _tokens[token];
        if (!entry.registered) revert UnknownTokenId(token);
        pendingBalance[owner][token] = 0;
        emit Withdrawn(owner, token, amount);
        if (entry.token == address(0)) {
            (bool ok,) = owner.call{value: amount}("");
            if (!ok) revert EthTransferFailed(owner);
        } else {
            SafeToken.safeTransfer(entry.token, owner, amount);
        }
    }

    // ------------------------------------------------------------------ oracle governance

    /// @notice Replaces the oracle set and threshold, authorized by a quorum of the current set
    /// over `updateOraclesDigest(governanceNonce, oracles, threshold)`.
    function updateOracles(address[] calldata oracles_, uint256 threshold_, bytes[] calldata signatures)
        external
        active
    {
        uint64 nonce = governanceNonce;
        _requireQuorum(updateOraclesDigest(nonce, oracles_, threshold_), signatures);
        governanceNonce = nonce + 1;
        for (uint256 i; i < _oracles.length; ++i) {
            delete _oracleIndex[_oracles[i]];
        }
        _setOracles(oracles_, threshold_);
        emit OraclesUpdated(nonce + 1, oracles_, threshold_);
    }

    function updateOraclesDigest(uint64 nonce, address[] calldata oracles_, uint256 threshold_)
        public
        view
        returns (bytes32)
    {
        return _digest(abi.encode(UPDATE_ORACLES_ACTION, block.chainid, nonce, oracles_, threshold_));
    }

    /// @notice Reverts the committed, unexecuted batches after `newTotalCommitted`, authorized
    /// by a quorum over `revertDigest(governanceNonce, newTotalCommitted)`. Their priority
    /// requests return to the queue.
    function revertBatches(uint64 newTotalCommitted, bytes[] calldata signatures) external active {
        uint64 committed = totalCommitted;
        if (newTotalCommitted < totalExecuted || newTotalCommitted >= committed) {
            revert RevertOutOfRange(committed, totalExecuted, newTotalCommitted);
        }
        uint64 nonce = governanceNonce;
        _requireQuorum(revertDigest(nonce, newTotalCommitted), signatures);
        governanceNonce = nonce + 1;
        uint64 released;
        for (uint64 n = committed; n > newTotalCommitted; --n) {
            released += _batches[n].priorityRequests;
            delete _batches[n];
        }
        committedPriorityRequests -= released;
        totalCommitted = newTotalCommitted;
        if (totalProven > newTotalCommitted) totalProven = newTotalCommitted;
        emit BatchesReverted(committed, newTotalCommitted);
    }

    function revertDigest(uint64 nonce, uint64 newTotalCommitted) public view returns (bytes32) {
        return _digest(abi.encode(REVERT_ACTION, block.chainid, nonce, newTotalCommitted));
    }

    /// @notice Maps L2 token id `tokenId` to `token` (address(0): the native coin), authorized
    /// by a quorum over `registerTokenDigest(governanceNonce, tokenId, token)`. A mapping is
    /// permanent: pending balances are kept by token id.
    function registerToken(uint16 tokenId, address token, bytes[] calldata signatures) external active {
        uint64 nonce = governanceNonce;
        _requireQuorum(registerTokenDigest(nonce, tokenId, token), signatures);
        governanceNonce = nonce + 1;
        _registerToken(tokenId, token);
    }

    function registerTokenDigest(uint64 nonce, uint16 tokenId, address token) public view returns (bytes32) {
        return _digest(abi.encode(REGISTER_TOKEN_ACTION, block.chainid, nonce, tokenId, token));
    }

    /// @notice The digest oracle members sign for an action: EIP-191 version 0x00 ("data with
    /// intended validator") with this contract as validator,
    /// keccak256(0x19 ‖ 0x00 ‖ address(this) ‖ abi.encode(action tag, block.chainid, ...)),
    /// so a signature holds for one action on one contract of one chain.
    function _digest(bytes memory payload) internal view returns (bytes32) {
        return keccak256(abi.encodePacked(bytes1(0x19), bytes1(0x00), address(this), payload));
    }

    /// Requires at least `threshold` signatures of `digest`, each valid and by a distinct member.
    function _requireQuorum(bytes32 digest, bytes[] calldata signatures) internal view {
        if (signatures.length < threshold) revert NotEnoughSignatures(signatures.length, threshold);
        uint256 seen;
        for (uint256 i; i < signatures.length; ++i) {
            address signer = Signatures.recover(digest, signatures[i]);
            if (signer == address(0)) revert InvalidSignature(i);
            uint256 index = _oracleIndex[signer];
            if (index == 0) revert SignerNotOracle(signer);
            uint256 bit = 1 << (index - 1);
            if (seen & bit != 0) revert DuplicateSigner(signer);
            seen |= bit;
        }
    }

    function _setOracles(address[] memory oracles_, uint256 threshold_) internal {
        uint256 count = oracles_.length;
        if (count == 0 || count > MAX_ORACLES) revert BadOracleCount(count);
        // ceil(2·count/3) <= threshold <= count: a two-thirds quorum, as on the appchain.
        if (threshold_ * 3 < count * 2 || threshold_ > count) revert BadThreshold(threshold_, count);
        delete _oracles;
        for (uint256 i; i < count; ++i) {
            address oracle = oracles_[i];
            if (oracle == address(0)) revert ZeroAddress();
            if (_oracleIndex[oracle] != 0) revert DuplicateOracle(oracle);
            _oracleIndex[oracle] = i + 1;
            _oracles.push(oracle);
        }
        threshold = threshold_;
    }

    function _registerToken(uint16 tokenId, address token) internal {
        if (tokenId >= TOKEN_LIMIT) revert TokenIdOutOfRange(tokenId);
        if (_tokens[tokenId].registered) revert TokenIdTaken(tokenId);
        if (_tokenIds[token].registered) revert TokenAddressTaken(token);
        _tokens[tokenId] = TokenEntry({token: token, registered: true});
        _tokenIds[token] = TokenIdEntry({id: tokenId, registered: true});
        emit TokenRegistered(tokenId, token);
    }

    // ------------------------------------------------------------------ exodus

    /// @notice Stops the rollup (anyone) once the oldest unexecuted priority request has
    /// expired. Commits, proofs, executions, new requests and governance stop for good; pending
    /// balances stay withdrawable and unserved deposits can be refunded with
    /// `cancelOutstandingDeposits`. The last executed root, `lastExecutedRoot()`, is the state
    /// that balance-proof exits will be proven against (docs/protocol.md, "Exodus").
    function activateExodus() external active {
        uint64 head = firstPriorityId;
        if (head == totalPriorityRequests || block.timestamp <= _priorityRequests[head].expiresAt) {
            revert NoExpiredPriorityRequest();
        }
        exodusMode = true;
        emit ExodusActivated(head, totalExecuted, _batches[totalExecuted].newRoot);
    }

    /// @notice In exodus mode, drops the oldest unserved priority requests (anyone), given as
    /// their events told them, in queue order; each deposit's amount is credited to the pending
    /// balance of its recipient.
    function cancelOutstandingDeposits(PriorityRequestInfo[] calldata requests) external {
        if (!exodusMode) revert ExodusNotActive();
        uint64 id = firstPriorityId;
        uint256 outstanding = totalPriorityRequests - id;
        if (requests.length == 0 || requests.length > outstanding) revert BadRequestCount(requests.length, outstanding);
        for (uint256 i; i < requests.length; ++i) {
            PriorityRequestInfo calldata request = requests[i];
            if (requestHash(request, id) != _priorityRequests[id].hash) revert PriorityRequestMismatch(id);
            uint128 refund = request.opType == Pubdata.DEPOSIT ? request.amount : 0;
            if (refund != 0) pendingBalance[request.l1Address][request.token] += refund;
            emit PriorityRequestCancelled(id, request.opType, request.l1Address, request.token, refund);
            ++id;
        }
        firstPriorityId = id;
    }

    // ------------------------------------------------------------------ views

    function oracles() external view returns (address[] memory) {
        return _oracles;
    }

    function isOracle(address account) external view returns (bool) {
        return _oracleIndex[account] != 0;
    }

    function storedBatch(uint64 batchNumber) external view returns (StoredBatch memory) {
        return _batches[batchNumber];
    }

    function priorityRequest(uint64 priorityId) external view returns (PriorityRequest memory) {
        return _priorityRequests[priorityId];
    }

    /// @notice The root of the last executed batch (the genesis root before any).
    function lastExecutedRoot() external view returns (bytes32) {
        return _batches[totalExecuted].newRoot;
    }

    function tokenAddressOf(uint16 tokenId) external view returns (address) {
        TokenEntry memory entry = _tokens[tokenId];
        if (!entry.registered) revert UnknownTokenId(tokenId);
        return entry.token;
    }

    function tokenIdOf(address token) external view returns (uint16) {
        TokenIdEntry memory entry = _tokenIds[token];
        if (!entry.registered) revert UnknownToken(token);
        return entry.id;
    }

    /// @notice The digest an account's owner signs to authorize a ChangePubKey (see
    /// `Pubdata.changePubKeyMessageHash`).
    function changePubKeyMessageHash(bytes32 newPubkey, uint32 nonce, uint32 accountId)
        external
        pure
        returns (bytes32)
    {
        return Pubdata.changePubKeyMessageHash(newPubkey, nonce, accountId);
    }
}
