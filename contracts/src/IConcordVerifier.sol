// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

/// @title The Groth16 verifier the rollup calls
/// @notice Implemented by the `ConcordVerifier` contract that `concord-prover export-verifier`
/// generates from the batch circuit's verifying key (see docs/protocol.md, "Proofs and keys").
interface IConcordVerifier {
    /// @notice Whether `proof` proves the batch circuit's statement for `input`. Answers false,
    /// without reverting, for any proof or input that does not verify.
    /// @param proof [A.x, A.y, B.x.c1, B.x.c0, B.y.c1, B.y.c0, C.x, C.y], EIP-197 words.
    /// @param input The public inputs: for the batch circuit, the batch commitment and the
    /// prover's input.
    function verifyProof(uint256[8] calldata proof, uint256[] calldata input) external view returns (bool);
}
