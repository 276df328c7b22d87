// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {IConcordVerifier} from "./IConcordVerifier.sol";
import {Pubdata} from "./Pubdata.sol";
import {SafeToken} from "./SafeToken.sol";
import {Signatures} from "./Signatures.sol";

/// @title Concord's rollup contract on one EVM chain
/// @notice Holds the chain's deposits, queues its priority requests (deposits, full exits),
/// and takes each batch through commit (anyone, with a quorum of oracle signatures over the
/// batch's pubdata hash: this chain's priority ops and every key change checked), prove
/// (anyone: the Groth16 proof of the batch commitment) and execute (anyone, with a quorum of
/// oracle signatures over the batch's sync hash: withdrawals credited, priority requests
/// popped). Payouts are pulled with `withdrawPending`. If the head of the priority queue waits
/// unserved for longer than the expiry, anyone can stop the rollup (exodus mode): proven batches
/// can still be executed during a grace period, then unserved deposits are refunded and every
/// account exits with a proof of its balance at the last executed root (`performExodus`). docs/protocol.md ("L1 contract") is the specification;
/// contracts/README.md lists every function, event and error.
contract ConcordRollup {
    // ------------------------------------------------------------------ types

    /// @notice Deployment parameters.
    /// @param verifier The generated Groth16 verifier of the batch circuit.
    /// @param exitVerifier The generated Groth16 verifier of the exit circuit (`performExodus`).
    /// @param networkId The Concord network's id (its appchain's `Ledger::Network`): the batch
    /// commitment and every ChangePubKey authorisation include it.
    /// @param chainId This chain's Concord chain id (not its EVM chain id): the pubdata's ops
    /// with this id are this contract's.
    /// @param chainIds Every Concord chain id of the system, this one included, distinct and
    /// below `CHAIN_ID_LIMIT`: an op naming any other chain is refused at commit. Changed later
    /// by `updateChains`.
    /// @param priorityExpiry Seconds the head of the priority queue may wait to be executed
    /// before anyone may activate exodus mode.
    /// @param exodusGrace Seconds after exodus is activated during which proven batches can
    /// still be executed with the quorum's signatures (which the appchain published), so that
    /// every chain reaches the same last executed root; after it, unserved deposits are
    /// refunded (`cancelOutstandingDeposits`) and accounts exit (`performExodus`). It also lets
    /// the oracle quorum `retire` a chain the appchain removed while its L1 was down. Longer
    /// than an L1 may be down (days on a live system).
    /// @param requestFee Wei each priority request pays on top of what it deposits (0: none);
    /// kept apart from the deposits in `collectedFees`.
    /// @param slotsPerBatch The circuit's slots N, of one 16-byte chunk each (an op takes as
    /// many consecutive slots as it has chunks): a batch's pubdata is 16 + 16·N bytes.
    /// @param genesisRoot The L2 state root before batch 1.
    /// @param oracles The oracle members (at most 256, distinct, non-zero).
    /// @param threshold Signatures needed, from ceil(2·members/3) to members.
    /// @param tokenIds Token ids registered at deployment (below 256), with
    /// @param tokenAddresses their ERC-20s (address(0): the native coin).
    struct Config {
        IConcordVerifier verifier;
        IConcordVerifier exitVerifier;
        uint32 networkId;
        uint8 chainId;
        uint8[] chainIds;
        uint64 priorityExpiry;
        uint64 exodusGrace;
        uint256 requestFee;
        uint32 slotsPerBatch;
        bytes32 genesisRoot;
        address[] oracles;
        uint256 threshold;
        uint16[] tokenIds;
        address[] tokenAddresses;
    }

    /// @notice A batch to commit: its number, its pubdata as the appchain sealed it, the
    /// owners' Ethereum signatures of every ChangePubKey in the batch (whatever chain it names),
    /// in pubdata order, and a quorum of oracle signatures of
    /// `commitDigest(batchNumber, sha256(pubdata))`.
    struct CommitBatchInfo {
        uint64 batchNumber;
        bytes pubdata;
        bytes[] changePubKeySignatures;
        bytes[] signatures;
    }

    /// @notice A batch to prove: the state root it leads to, the Groth16 proof (EIP-197 words)
    /// of its commitment, and the proof's second public input, the appchain prover it is bound
    /// to (`sha256(SCALE account) mod 2^253`). This contract pays no prover, so any prover value
    /// the proof verifies for will do; the appchain, which rewards provers, checks it.
    struct ProveBatchInfo {
        uint64 batchNumber;
        bytes32 newRoot;
        uint256[8] proof;
        uint256 prover;
    }

    /// @notice A payout of a batch: this chain's Withdraw ops, served FullExits and refunded
    /// Deposits, in pubdata order (see `payoutsHash`).
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
    /// L2 token ids are below 2^TOKEN_ID_BITS (8); user account ids below 2^24 - 256, the last
    /// 256 account ids being the chains' reserves, which nobody owns or exits.
    uint256 internal constant TOKEN_LIMIT = 1 << 8;
    uint256 internal constant ACCOUNT_LIMIT = (1 << 24) - 256;
    /// @notice Concord chain ids are below 16: an exit proof sums the reserves of chains 0 to 15
    /// and shows every other reserve empty (docs/protocol.md, "Exodus").
    uint256 public constant CHAIN_ID_LIMIT = 16;
    /// The oracle bitmap in `_requireQuorum` has 256 bits.
    uint256 internal constant MAX_ORACLES = 256;

    /// @notice The most priority requests open (queued, neither executed nor cancelled) at a
    /// time; a request beyond it reverts `TooManyOpenRequests`. It matches the appchain's
    /// `MAX_OPEN_PRIORITY_REQUESTS` (runtime/src/configs.rs, the oracle's `MaxOpenRequests`):
    /// the oracle attests no priority id at or beyond its next one plus 1024, so every request
    /// the contract holds can be attested and served.
    uint64 public constant MAX_OPEN_REQUESTS = 1024;

    /// @notice How many of the `MAX_OPEN_REQUESTS` slots only full exits may take: deposits
    /// stop at `MAX_OPEN_REQUESTS - FULL_EXIT_SLOTS` open requests, so a flood of deposits
    /// never keeps a user from asking for their funds.
    uint64 public constant FULL_EXIT_SLOTS = 64;

    /// @notice A request may wait at most `REQUEST_WAIT_LIMIT * priorityExpiry` from when it
    /// was queued, however its wait at the head restarts: a queue served one request per
    /// expiry still expires.
    uint64 public constant REQUEST_WAIT_LIMIT = 2;

    /// The action tags of the digests oracle members sign (see `_digest`).
    bytes32 public constant COMMIT_ACTION = keccak256("Concord.commitBatches");
    bytes32 public constant EXECUTE_ACTION = keccak256("Concord.executeBatches");
    bytes32 public constant UPDATE_ORACLES_ACTION = keccak256("Concord.updateOracles");
    bytes32 public constant REVERT_ACTION = keccak256("Concord.revertBatches");
    bytes32 public constant REGISTER_TOKEN_ACTION = keccak256("Concord.registerToken");
    bytes32 public constant UPDATE_CHAINS_ACTION = keccak256("Concord.updateChains");
    bytes32 public constant WITHDRAW_FEES_ACTION = keccak256("Concord.withdrawFees");
    bytes32 public constant RETIRE_ACTION = keccak256("Concord.retire");

    // ------------------------------------------------------------------ state

    IConcordVerifier public immutable verifier;
    IConcordVerifier public immutable exitVerifier;
    uint32 public immutable networkId;
    uint8 public immutable chainId;
    uint64 public immutable priorityExpiry;
    /// @notice Seconds from exodus to the first refund (see `Config.exodusGrace`).
    uint64 public immutable exodusGrace;
    /// @notice Wei each priority request pays (see `Config.requestFee`).
    uint256 public immutable requestFee;
    uint256 public immutable pubdataLength;

    uint64 public totalCommitted;
    uint64 public totalProven;
    uint64 public totalExecuted;
    bool public exodusMode;
    /// @notice When `activateExodus` stopped the rollup (0 if it did not).
    uint64 public exodusSince;
    /// @notice Whether the quorum retired this chain (`retire`).
    bool public retired;

    /// The head of the queue: the oldest priority request neither executed nor cancelled.
    uint64 public firstPriorityId;
    /// The number of priority requests ever queued: the next request's id.
    uint64 public totalPriorityRequests;
    /// How many requests from `firstPriorityId` on the committed, unexecuted batches serve.
    uint64 public committedPriorityRequests;
    /// @notice When the current head (`firstPriorityId`) became the head: queued into an empty
    /// queue, or left first by an execution that served the requests before it. Exodus may be
    /// activated once the head has waited `priorityExpiry` since then; meaningless while the
    /// queue is empty.
    uint64 public headSince;
    /// The nonce of the next oracle-quorum governance action (oracle rotation, chain set,
    /// revert, token, fee withdrawal).
    uint64 public governanceNonce;

    /// @notice The request fees paid and not yet withdrawn (`withdrawFees`), in wei of the
    /// native coin. They are never deposits: no L2 balance, pending balance or refund counts them.
    uint256 public collectedFees;

    uint256 public threshold;
    address[] internal _oracles;
    /// An oracle's position in `_oracles` plus one; 0 for non-members.
    mapping(address => uint256) internal _oracleIndex;
    /// The Concord chain ids of the system, bit `id` set for chain `id`.
    uint256 internal _chainSet;

    mapping(uint64 => StoredBatch) internal _batches;
    /// Each queued priority request's record: the first 24 bytes of its `requestHash`, then
    /// the time it was queued (8 bytes), in one word.
    mapping(uint64 => bytes32) internal _priorityRequests;
    mapping(uint16 => TokenEntry) internal _tokens;
    mapping(address => TokenIdEntry) internal _tokenIds;

    /// @notice What `withdrawPending` pays an address, per L2 token id.
    mapping(address => mapping(uint16 => uint256)) public pendingBalance;

    /// @notice Whether an account has exited its balance of a token here (`performExodus`).
    mapping(uint32 => mapping(uint16 => bool)) public exited;

    bool transient _locked;

    // ------------------------------------------------------------------ events

    event DepositRequested(
        uint64 indexed priorityId, address indexed from, address indexed to, uint16 token, uint128 amount
    );
    event FullExitRequested(uint64 indexed priorityId, address indexed owner, uint32 accountId, uint16 token);
    event BatchCommitted(uint64 indexed batchNumber, bytes32 pubdataHash, uint64 priorityRequests);
    event BatchProven(uint64 indexed batchNumber, bytes32 newRoot, bytes32 syncHash);
    event BatchExecuted(uint64 indexed batchNumber, bytes32 newRoot, uint64 priorityRequests);
    event WithdrawalCredited(uint64 indexed batchNumber, address indexed to, uint16 indexed token, uint128 amount);
    event Withdrawn(address indexed owner, uint16 indexed token, uint256 amount);
    event BatchesReverted(uint64 totalCommittedBefore, uint64 totalCommitted);
    event OraclesUpdated(uint64 nextNonce, address[] oracles, uint256 threshold);
    event ChainsUpdated(uint64 nextNonce, uint8[] chainIds);
    event FeesWithdrawn(uint64 nextNonce, address indexed to, uint256 amount);
    event TokenRegistered(uint16 indexed tokenId, address indexed token);
    event ExodusActivated(uint64 expiredPriorityId, uint64 lastExecutedBatch, bytes32 lastExecutedRoot);
    event ExodusExit(uint32 indexed accountId, uint16 indexed token, address indexed owner, uint256 amount);
    event Retired(uint64 nextNonce, uint64 servedUpTo);
    event PriorityRequestCancelled(
        uint64 indexed priorityId, uint8 opType, address indexed l1Address, uint16 token, uint128 refunded
    );

    // ------------------------------------------------------------------ errors

    error ExodusActive();
    error ExodusNotActive();
    error NoBatches();
    error UnexpectedBatchNumber(uint64 expected, uint64 given);
    error BadPubdataLength(uint256 length, uint256 expected);
    // The errors about one op name it by its first chunk: `chunk` counts the pubdata's 16-byte
    // chunks after the header, from 0, as the circuit's slots do.
    error UnknownOpType(uint256 chunk, uint8 opType);
    error TruncatedOp(uint256 chunk, uint8 opType);
    error UnknownChain(uint256 chunk, uint8 chain);
    error PriorityRequestNotQueued(uint64 priorityId);
    error PriorityRequestMismatch(uint64 priorityId);
    error MissingChangePubKeySignature(uint256 chunk);
    error BadChangePubKeySignature(uint256 chunk);
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
    error DuplicateChain(uint8 chain);
    error OwnChainNotListed(uint8 chainId);
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
    error RequestFeeNotPaid(uint256 paid, uint256 fee);
    error TooManyOpenRequests();
    error FeesExceeded(uint256 amount, uint256 collected);
    error RetireOutOfRange(uint64 firstPriorityId, uint64 totalPriorityRequests, uint64 servedUpTo);
    error AlreadyRetired();
    /// Refunds start at `refundsFrom` (a timestamp), when the exodus grace ends.
    error ExodusGraceRunning(uint256 refundsFrom);
    error NoExpiredPriorityRequest();
    error ChainIdOutOfRange(uint8 chain);
    /// Exits are proven against the last executed root once the grace has passed; a retired
    /// chain stopped at an older root than the others and pays none.
    error ExitsClosed();
    error AlreadyExited(uint32 accountId, uint16 token);
    error InvalidExitProof();
    /// The account's share of this chain's reserve of the token is zero.
    error NothingToExit(uint32 accountId, uint16 token);
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
        if (address(config.exitVerifier).code.length == 0) {
            revert VerifierNotContract(address(config.exitVerifier));
        }
        if (config.slotsPerBatch == 0) revert BadSlotCount();
        if (config.priorityExpiry == 0) revert ZeroPriorityExpiry();
        if (uint256(config.genesisRoot) >= R) revert RootNotInField(config.genesisRoot);
        if (config.tokenIds.length != config.tokenAddresses.length) {
            revert TokenListMismatch(config.tokenIds.length, config.tokenAddresses.length);
        }
        verifier = config.verifier;
        exitVerifier = config.exitVerifier;
        networkId = config.networkId;
        chainId = config.chainId;
        priorityExpiry = config.priorityExpiry;
        exodusGrace = config.exodusGrace;
        requestFee = config.requestFee;
        pubdataLength = Pubdata.HEADER_BYTES + Pubdata.CHUNK_BYTES * uint256(config.slotsPerBatch);
        _batches[0].newRoot = config.genesisRoot;
        _setOracles(config.oracles, config.threshold);
        emit OraclesUpdated(0, config.oracles, config.threshold);
        _setChains(config.chainIds, config.chainId);
        emit ChainsUpdated(0, config.chainIds);
        for (uint256 i; i < config.tokenIds.length; ++i) {
            _registerToken(config.tokenIds[i], config.tokenAddresses[i]);
        }
    }

    // ------------------------------------------------------------------ priority requests

    /// @notice Deposits `msg.value - requestFee` of the native coin to the L2 account of `to`
    /// (created if `to` has none); the fee goes to `collectedFees`.
    function depositETH(address to) external payable active {
        TokenIdEntry memory entry = _tokenIds[address(0)];
        if (!entry.registered) revert UnknownToken(address(0));
        uint256 fee = requestFee;
        if (msg.value < fee) revert RequestFeeNotPaid(msg.value, fee);
        uint256 amount = msg.value - fee;
        if (amount == 0) revert ZeroAmount();
        if (amount > type(uint128).max) revert AmountTooLarge(amount);
        collectedFees += fee;
        _queueDeposit(to, entry.id, uint128(amount));
    }

    /// @notice Deposits `amount` of the ERC-20 `token` (approved to this contract) to the L2
    /// account of `to`, paying exactly `requestFee` in `msg.value`. The amount queued is what
    /// the contract's balance grew by.
    function depositERC20(address token, uint128 amount, address to) external payable active nonReentrant {
        _collectRequestFee();
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
    /// to the caller on this chain, paying exactly `requestFee` in `msg.value`. It is served
    /// (with amount 0 if the caller does not own the account) once the requests before it are,
    /// or exodus mode may be activated when it has waited `priorityExpiry` as the queue's head.
    function requestFullExit(uint32 accountId, uint16 token) external payable active {
        _collectRequestFee();
        if (accountId >= ACCOUNT_LIMIT) revert AccountIdOutOfRange(accountId);
        if (!_tokens[token].registered) revert UnknownTokenId(token);
        uint64 id = _queue(
            PriorityRequestInfo({
                opType: Pubdata.FULL_EXIT, accountId: accountId, l1Address: msg.sender, token: token, amount: 0
            })
        );
        emit FullExitRequested(id, msg.sender, accountId, token);
    }

    /// Takes the request fee of a request that deposits no native coin: `msg.value` must be it.
    function _collectRequestFee() internal {
        if (msg.value != requestFee) revert RequestFeeNotPaid(msg.value, requestFee);
        collectedFees += msg.value;
    }

    function _queueDeposit(address to, uint16 token, uint128 amount) internal {
        if (to == address(0)) revert ZeroAddress();
        if (totalPriorityRequests - firstPriorityId >= MAX_OPEN_REQUESTS - FULL_EXIT_SLOTS) {
            revert TooManyOpenRequests();
        }
        uint64 id = _queue(
            PriorityRequestInfo({opType: Pubdata.DEPOSIT, accountId: 0, l1Address: to, token: token, amount: amount})
        );
        emit DepositRequested(id, msg.sender, to, token, amount);
    }

    /// Queues `request` as the next priority id, at most `MAX_OPEN_REQUESTS` open at a time; a
    /// request queued into an empty queue is the head from now on.
    function _queue(PriorityRequestInfo memory request) internal returns (uint64 id) {
        id = totalPriorityRequests;
        uint64 head = firstPriorityId;
        if (id - head >= MAX_OPEN_REQUESTS) revert TooManyOpenRequests();
        if (id == head) headSince = uint64(block.timestamp);
        _priorityRequests[id] = (requestHash(request, id) & _HASH_PART) | bytes32(uint256(block.timestamp));
        totalPriorityRequests = id + 1;
    }

    /// The part of a request record that holds its hash.
    bytes32 internal constant _HASH_PART = ~bytes32(uint256(type(uint64).max));

    /// Whether queued request `priorityId` is `request`.
    function _isQueued(PriorityRequestInfo memory request, uint64 priorityId) internal view returns (bool) {
        return (requestHash(request, priorityId) & _HASH_PART) == (_priorityRequests[priorityId] & _HASH_PART);
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

    /// @notice Commits batches in order (anyone), each authorized by a quorum of oracle
    /// signatures of `commitDigest(batchNumber, sha256(pubdata))`, so that no single member
    /// can commit other pubdata than the appchain sealed. Every op naming a chain must name one
    /// of the system's (`chains()`), and every ChangePubKey, of any chain, must carry its
    /// owner's signature; of the other ops, it checks this chain's Deposits and FullExits
    /// against the priority queue in order and records this chain's Withdraw, FullExit and
    /// refunded Deposit payouts. Every other op is only hashed.
    function commitBatches(CommitBatchInfo[] calldata batches) external active {
        if (batches.length == 0) revert NoBatches();
        uint64 number = totalCommitted;
        uint64 nextPriorityId = firstPriorityId + committedPriorityRequests;
        for (uint256 i; i < batches.length; ++i) {
            CommitBatchInfo calldata batch = batches[i];
            if (batch.batchNumber != number + 1) revert UnexpectedBatchNumber(number + 1, batch.batchNumber);
            number = batch.batchNumber;
            bytes32 pubdataHash = sha256(batch.pubdata);
            _requireQuorum(commitDigest(number, pubdataHash), batch.signatures);
            (bytes32 payoutsHash, uint64 served) = _processPubdata(batch, nextPriorityId);
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

    /// @notice What oracle members sign to authorize committing batch `batchNumber` whose
    /// pubdata's SHA-256 is `pubdataHash`, on this chain and contract (see `_digest`).
    function commitDigest(uint64 batchNumber, bytes32 pubdataHash) public view returns (bytes32) {
        return _digest(abi.encode(COMMIT_ACTION, block.chainid, batchNumber, pubdataHash));
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
        // Op by op: each takes `opBytes(type)` bytes, so the next one starts where it ends.
        for (uint256 offset = Pubdata.HEADER_BYTES; offset < pubdata.length;) {
            uint8 opType = uint8(pubdata[offset]);
            if (opType > Pubdata.FULL_EXIT) revert UnknownOpType(_chunkAt(offset), opType);
            // The op's fields are read up to its last byte, and a read past the pubdata's end
            // would read the calldata after it: an op must end within the pubdata.
            uint256 end = offset + Pubdata.opBytes(opType);
            if (end > pubdata.length) revert TruncatedOp(_chunkAt(offset), opType);
            (payoutsHash, priorityId, signaturesUsed) = _processOp(
                pubdata[offset:end], opType, _chunkAt(offset), payoutsHash, priorityId, signatures, signaturesUsed
            );
            offset = end;
        }
        if (signaturesUsed != signatures.length) revert UnusedChangePubKeySignatures(signaturesUsed, signatures.length);
        served = priorityId - nextPriorityId;
    }

    /// The index of the chunk at byte `offset` of the pubdata, counted from 0 after the header:
    /// how the errors name an op, by its first chunk.
    function _chunkAt(uint256 offset) internal pure returns (uint256) {
        return (offset - Pubdata.HEADER_BYTES) / Pubdata.CHUNK_BYTES;
    }

    /// Processes one op (`op` is exactly its bytes, `opType` its type byte, already checked to
    /// be a known type; `chunk` its first chunk, for errors) and returns the payout hash chain,
    /// the next priority id and the signatures used so far.
    function _processOp(
        bytes calldata op,
        uint8 opType,
        uint256 chunk,
        bytes32 payoutsHash,
        uint64 priorityId,
        bytes[] calldata signatures,
        uint256 signaturesUsed
    ) internal view returns (bytes32, uint64, uint256) {
        // Noop, Transfer and TransferToNew concern L2 only; the others name a chain in byte 1.
        if (opType == Pubdata.NOOP || opType == Pubdata.TRANSFER || opType == Pubdata.TRANSFER_TO_NEW) {
            return (payoutsHash, priorityId, signaturesUsed);
        }
        uint8 chain = uint8(op[1]);
        if ((_chainSet >> chain) & 1 == 0) revert UnknownChain(chunk, chain);
        // A key change's owner signature does not depend on the chain: every contract checks
        // every one, rather than trusting the named chain's.
        if (opType == Pubdata.CHANGE_PUBKEY) {
            if (signaturesUsed == signatures.length) revert MissingChangePubKeySignature(chunk);
            _checkChangePubKey(op, chunk, signatures[signaturesUsed]);
            return (payoutsHash, priorityId, signaturesUsed + 1);
        }
        if (chain != chainId) return (payoutsHash, priorityId, signaturesUsed);
        if (opType == Pubdata.DEPOSIT || opType == Pubdata.FULL_EXIT) {
            _checkPriorityOp(op, opType, priorityId);
            // A served FullExit pays the amount exited; one exiting 0 pays nothing. A Deposit
            // the L2 could not credit (its flag, which the proof binds) is paid back to its
            // address.
            bool pays = opType == Pubdata.FULL_EXIT
                ? Pubdata.uintAt(op, Pubdata.PRIORITY_AMOUNT, 128) != 0
                : Pubdata.uintAt(op, Pubdata.DEPOSIT_FLAGS, 8) == 1;
            if (pays) {
                payoutsHash = _chainPayoutAt(
                    payoutsHash, op, Pubdata.PRIORITY_ADDRESS, Pubdata.PRIORITY_TOKEN, Pubdata.PRIORITY_AMOUNT
                );
            }
            return (payoutsHash, priorityId + 1, signaturesUsed);
        }
        // Withdraw.
        payoutsHash =
            _chainPayoutAt(payoutsHash, op, Pubdata.WITHDRAW_TO, Pubdata.WITHDRAW_TOKEN, Pubdata.WITHDRAW_AMOUNT);
        return (payoutsHash, priorityId, signaturesUsed);
    }

    /// A Deposit or FullExit of this chain must be the next request of the queue (`priorityId`,
    /// the running counter), unchanged. The pubdata carries no priority id: the ops of this
    /// chain serve its queue in order, so the counter names the request, and the request hash
    /// (which includes the id) binds the op's fields to that request.
    function _checkPriorityOp(bytes calldata op, uint8 opType, uint64 priorityId) internal view {
        if (priorityId >= totalPriorityRequests) revert PriorityRequestNotQueued(priorityId);
        // The queue hashes what the requester gave: a deposit's account and a full exit's
        // amount are resolved by the L2 state and are not part of the request.
        PriorityRequestInfo memory request = PriorityRequestInfo({
            opType: opType,
            accountId: opType == Pubdata.FULL_EXIT ? uint32(Pubdata.uintAt(op, Pubdata.PRIORITY_ACCOUNT, 24)) : 0,
            l1Address: Pubdata.addressAt(op, Pubdata.PRIORITY_ADDRESS),
            token: uint16(Pubdata.uintAt(op, Pubdata.PRIORITY_TOKEN, 8)),
            amount: opType == Pubdata.DEPOSIT ? uint128(Pubdata.uintAt(op, Pubdata.PRIORITY_AMOUNT, 128)) : 0
        });
        if (!_isQueued(request, priorityId)) revert PriorityRequestMismatch(priorityId);
    }

    /// ChangePubKey's owner (the account's L1 address, in the pubdata) must have signed the
    /// key change; the circuit cannot check an ECDSA signature, so this contract does.
    function _checkChangePubKey(bytes calldata op, uint256 chunk, bytes calldata signature) internal view {
        bytes32 digest = Pubdata.changePubKeyMessageHash(
            bytes32(Pubdata.uintAt(op, Pubdata.CPK_PUBKEY, 256)),
            uint32(Pubdata.uintAt(op, Pubdata.CPK_NONCE, 32)),
            uint32(Pubdata.uintAt(op, Pubdata.CPK_ACCOUNT, 24)),
            networkId
        );
        address signer = Signatures.recover(digest, signature);
        if (signer == address(0) || signer != Pubdata.addressAt(op, Pubdata.CPK_OWNER)) {
            revert BadChangePubKeySignature(chunk);
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

    /// `_chainPayout` of the payout whose recipient, token (1 byte in the pubdata, widened to
    /// the payout's uint16) and amount are at these offsets of `op`.
    function _chainPayoutAt(bytes32 previous, bytes calldata op, uint256 to, uint256 token, uint256 amount)
        internal
        pure
        returns (bytes32)
    {
        return _chainPayout(
            previous,
            Pubdata.addressAt(op, to),
            uint16(Pubdata.uintAt(op, token, 8)),
            uint128(Pubdata.uintAt(op, amount, 128))
        );
    }

    // ------------------------------------------------------------------ prove

    /// @notice Proves committed batches in order (anyone). Each proof is checked against the
    /// commitment recomputed here, sha256(n ‖ networkId ‖ oldRoot ‖ newRoot ‖ sha256(pubdata))
    /// mod 2^253,
    /// where oldRoot is the previous batch's proven root; the batch's sync hash chains the
    /// previous one's.
    function proveBatches(ProveBatchInfo[] calldata batches) external active {
        if (batches.length == 0) revert NoBatches();
        uint64 number = totalProven;
        uint64 committed = totalCommitted;
        bytes32 root = _batches[number].newRoot;
        bytes32 syncHash = _batches[number].syncHash;
        uint256[] memory input = new uint256[](2);
        for (uint256 i; i < batches.length; ++i) {
            ProveBatchInfo calldata batch = batches[i];
            if (batch.batchNumber != number + 1) revert UnexpectedBatchNumber(number + 1, batch.batchNumber);
            number = batch.batchNumber;
            if (number > committed) revert BatchNotCommitted(number);
            if (uint256(batch.newRoot) >= R) revert RootNotInField(batch.newRoot);
            StoredBatch storage stored = _batches[number];
            uint256 commitment = uint256(
                sha256(abi.encodePacked(number, networkId, root, batch.newRoot, stored.pubdataHash))
            ) & COMMITMENT_MASK;
            input[0] = commitment;
            input[1] = batch.prover;
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
    /// balances and pops the priority requests the batches served; if requests remain, the new
    /// head starts its wait (`headSince`) now. In exodus mode, only during the grace
    /// (`exodusGrace` after `activateExodus`, not on a retired chain), so that this chain
    /// catches up with the batches the others executed.
    function executeBatches(ExecuteBatchInfo[] calldata batches, bytes[] calldata signatures) external {
        if (exodusMode && (retired || block.timestamp > uint256(exodusSince) + exodusGrace)) revert ExodusActive();
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
        uint64 head = firstPriorityId + popped;
        firstPriorityId = head;
        committedPriorityRequests -= popped;
        if (popped != 0 && head != totalPriorityRequests) headSince = uint64(block.timestamp);
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

    /// @notice Replaces the set of the system's Concord chain ids (this chain's included,
    /// distinct), authorized by a quorum over `updateChainsDigest(governanceNonce, chainIds)`:
    /// a chain joins, or a dead one leaves. Committing a batch with an op naming a chain outside
    /// the set reverts `UnknownChain`.
    function updateChains(uint8[] calldata chainIds_, bytes[] calldata signatures) external active {
        uint64 nonce = governanceNonce;
        _requireQuorum(updateChainsDigest(nonce, chainIds_), signatures);
        governanceNonce = nonce + 1;
        _setChains(chainIds_, chainId);
        emit ChainsUpdated(nonce + 1, chainIds_);
    }

    /// @notice What oracle members sign to authorize `updateChains(chainIds)` at governance
    /// nonce `nonce` (see `_digest`).
    function updateChainsDigest(uint64 nonce, uint8[] calldata chainIds_) public view returns (bytes32) {
        return _digest(abi.encode(UPDATE_CHAINS_ACTION, block.chainid, nonce, chainIds_));
    }

    /// @notice Pays `amount` of the collected request fees to `to`, authorized by a quorum over
    /// `withdrawFeesDigest(governanceNonce, to, amount)`. Only `collectedFees` can be paid this
    /// way, never deposits; it works in exodus mode too.
    function withdrawFees(address to, uint256 amount, bytes[] calldata signatures) external nonReentrant {
        if (to == address(0)) revert ZeroAddress();
        if (amount == 0) revert ZeroAmount();
        uint256 collected = collectedFees;
        if (amount > collected) revert FeesExceeded(amount, collected);
        uint64 nonce = governanceNonce;
        _requireQuorum(withdrawFeesDigest(nonce, to, amount), signatures);
        governanceNonce = nonce + 1;
        collectedFees = collected - amount;
        emit FeesWithdrawn(nonce + 1, to, amount);
        (bool ok,) = to.call{value: amount}("");
        if (!ok) revert EthTransferFailed(to);
    }

    /// @notice What oracle members sign to authorize `withdrawFees(to, amount)` at governance
    /// nonce `nonce` (see `_digest`).
    function withdrawFeesDigest(uint64 nonce, address to, uint256 amount) public view returns (bytes32) {
        return _digest(abi.encode(WITHDRAW_FEES_ACTION, block.chainid, nonce, to, amount));
    }

    /// @notice Retires this chain once the appchain removed it, authorized by a quorum over
    /// `retireDigest(governanceNonce, servedUpTo)`: the requests before `servedUpTo` were
    /// applied on L2 (their funds are L2 balances now) and count as served, so no exodus refunds
    /// them. The contract then stops as in exodus mode: pending balances and collected fees stay
    /// withdrawable, and `cancelOutstandingDeposits` refunds the requests from `servedUpTo` on,
    /// which L2 never applied. Besides `withdrawFees`, the one governance action exodus mode
    /// accepts, within the exodus grace: a chain whose L1 was down when the appchain removed it
    /// may have expired into exodus meanwhile. After the grace, refunds and exits have begun
    /// and no quorum may stop them (`ExodusActive`).
    function retire(uint64 servedUpTo, bytes[] calldata signatures) external {
        if (retired) revert AlreadyRetired();
        if (exodusMode && block.timestamp > uint256(exodusSince) + exodusGrace) revert ExodusActive();
        uint64 head = firstPriorityId;
        uint64 total = totalPriorityRequests;
        if (servedUpTo < head || servedUpTo > total) revert RetireOutOfRange(head, total, servedUpTo);
        uint64 nonce = governanceNonce;
        _requireQuorum(retireDigest(nonce, servedUpTo), signatures);
        governanceNonce = nonce + 1;
        firstPriorityId = servedUpTo;
        exodusMode = true;
        retired = true;
        emit Retired(nonce + 1, servedUpTo);
    }

    /// @notice What oracle members sign to authorize `retire(servedUpTo)` at governance nonce
    /// `nonce` (see `_digest`).
    function retireDigest(uint64 nonce, uint64 servedUpTo) public view returns (bytes32) {
        return _digest(abi.encode(RETIRE_ACTION, block.chainid, nonce, servedUpTo));
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

    /// Sets the chain set to `chainIds`, which must list `own` (this chain) and no id twice.
    function _setChains(uint8[] memory chainIds_, uint8 own) internal {
        uint256 set;
        for (uint256 i; i < chainIds_.length; ++i) {
            if (chainIds_[i] >= CHAIN_ID_LIMIT) revert ChainIdOutOfRange(chainIds_[i]);
            uint256 bit = 1 << chainIds_[i];
            if (set & bit != 0) revert DuplicateChain(chainIds_[i]);
            set |= bit;
        }
        if ((set >> own) & 1 == 0) revert OwnChainNotListed(own);
        _chainSet = set;
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

    /// @notice Stops the rollup (anyone) once the head of the priority queue, the oldest
    /// unexecuted request, has waited more than `priorityExpiry` seconds as the head
    /// (`headSince`), or more than `REQUEST_WAIT_LIMIT * priorityExpiry` since it was queued: a
    /// queue whose head keeps being served at a working system's pace does not expire, one
    /// served a request at a time just in time does. Commits, proofs, executions, new requests and governance stop for good; pending
    /// balances and collected fees stay withdrawable and unserved deposits can be refunded with
    /// `cancelOutstandingDeposits`. Proven batches can still be executed for `exodusGrace`
    /// seconds; the last executed root after that, `lastExecutedRoot()`, is the state exits are
    /// proven against (`performExodus`; docs/protocol.md, "Exodus").
    function activateExodus() external active {
        uint64 head = firstPriorityId;
        if (head == totalPriorityRequests) revert NoExpiredPriorityRequest();
        uint256 queuedAt = uint64(uint256(_priorityRequests[head]));
        if (
            block.timestamp <= uint256(headSince) + priorityExpiry
                && block.timestamp <= queuedAt + uint256(REQUEST_WAIT_LIMIT) * priorityExpiry
        ) {
            revert NoExpiredPriorityRequest();
        }
        exodusMode = true;
        exodusSince = uint64(block.timestamp);
        emit ExodusActivated(head, totalExecuted, _batches[totalExecuted].newRoot);
    }

    /// @notice In exodus mode, drops the oldest unserved priority requests (anyone), given as
    /// their events told them, in queue order; each deposit's amount is credited to the pending
    /// balance of its recipient (the request fee is not refunded). After `activateExodus`, only
    /// once `exodusGrace` has passed (a `retire` may come first); after `retire`, at once.
    function cancelOutstandingDeposits(PriorityRequestInfo[] calldata requests) external {
        if (!exodusMode) revert ExodusNotActive();
        if (!retired && block.timestamp <= uint256(exodusSince) + exodusGrace) {
            revert ExodusGraceRunning(uint256(exodusSince) + exodusGrace + 1);
        }
        uint64 id = firstPriorityId;
        uint256 outstanding = totalPriorityRequests - id;
        if (requests.length == 0 || requests.length > outstanding) revert BadRequestCount(requests.length, outstanding);
        for (uint256 i; i < requests.length; ++i) {
            PriorityRequestInfo calldata request = requests[i];
            if (!_isQueued(request, id)) revert PriorityRequestMismatch(id);
            uint128 refund = request.opType == Pubdata.DEPOSIT ? request.amount : 0;
            if (refund != 0) pendingBalance[request.l1Address][request.token] += refund;
            emit PriorityRequestCancelled(id, request.opType, request.l1Address, request.token, refund);
            ++id;
        }
        firstPriorityId = id;
    }

    /// @notice In exodus mode, once the grace has passed, pays account `accountId` its share of
    /// this chain's reserve of `token` (anyone may submit; the funds go to the account's owner's
    /// pending balance): `balance · reserve / total`, rounded down, where the exit proof shows,
    /// against `lastExecutedRoot()`, that the account is owned by `owner` and holds `balance`,
    /// that this chain's reserve holds `reserve` and all chains' reserves `total`. Once per
    /// (account, token) on each chain; the other chains pay their shares.
    function performExodus(
        uint32 accountId,
        uint16 token,
        address owner,
        uint128 balance,
        uint128 reserve,
        uint256 total,
        uint256[8] calldata proof
    ) external {
        if (!exodusMode) revert ExodusNotActive();
        if (retired) revert ExitsClosed();
        if (block.timestamp <= uint256(exodusSince) + exodusGrace) {
            revert ExodusGraceRunning(uint256(exodusSince) + exodusGrace + 1);
        }
        if (accountId >= ACCOUNT_LIMIT) revert AccountIdOutOfRange(accountId);
        if (token >= TOKEN_LIMIT) revert TokenIdOutOfRange(token);
        if (owner == address(0)) revert ZeroAddress();
        if (exited[accountId][token]) revert AlreadyExited(accountId, token);
        uint256 amount = total == 0 ? 0 : uint256(balance) * reserve / total;
        if (amount == 0) revert NothingToExit(accountId, token);
        uint256[] memory input = new uint256[](8);
        input[0] = uint256(_batches[totalExecuted].newRoot);
        input[1] = accountId;
        input[2] = uint160(owner);
        input[3] = token;
        input[4] = balance;
        input[5] = chainId;
        input[6] = reserve;
        input[7] = total;
        if (!exitVerifier.verifyProof(proof, input)) revert InvalidExitProof();
        exited[accountId][token] = true;
        pendingBalance[owner][token] += amount;
        emit ExodusExit(accountId, token, owner, amount);
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

    /// @notice Queued priority request `priorityId`: the first 24 bytes of its `requestHash` and
    /// when it was queued (zeros if none).
    function priorityRequest(uint64 priorityId) external view returns (bytes24 hashPrefix, uint64 queuedAt) {
        bytes32 record = _priorityRequests[priorityId];
        return (bytes24(record), uint64(uint256(record)));
    }

    /// @notice The system's Concord chain ids, ascending.
    function chains() external view returns (uint8[] memory ids) {
        uint256 set = _chainSet;
        uint256 count;
        for (uint256 rest = set; rest != 0; rest &= rest - 1) {
            ++count;
        }
        ids = new uint8[](count);
        uint256 next;
        for (uint256 chain; set != 0; ++chain) {
            if (set & 1 != 0) ids[next++] = uint8(chain);
            set >>= 1;
        }
    }

    /// @notice Whether `chain` is one of the system's Concord chain ids.
    function isChain(uint8 chain) external view returns (bool) {
        return (_chainSet >> chain) & 1 != 0;
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

    /// @notice The digest an account's owner signs to authorize a ChangePubKey on this
    /// contract's network (see `Pubdata.changePubKeyMessageHash`).
    function changePubKeyMessageHash(bytes32 newPubkey, uint32 nonce, uint32 accountId)
        external
        view
        returns (bytes32)
    {
        return Pubdata.changePubKeyMessageHash(newPubkey, nonce, accountId, networkId);
    }
}
