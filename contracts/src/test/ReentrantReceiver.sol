// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

interface IWithdrawPending {
    function withdrawPending(address owner, uint16 token) external;
}

/// @title A payee that calls `withdrawPending` again while being paid, for the reentrancy test
/// @notice Its `receive` tries a second withdrawal and records the revert data it got (empty if
/// the second call succeeded), then accepts the payment.
contract ReentrantReceiver {
    IWithdrawPending public immutable rollup;
    uint16 public immutable token;
    bool public reentered;
    bytes public reentryError;

    constructor(IWithdrawPending rollup_, uint16 token_) {
        rollup = rollup_;
        token = token_;
    }

    receive() external payable {
        if (reentered) return;
        reentered = true;
        try rollup.withdrawPending(address(this), token) {}
        catch (bytes memory error) {
            reentryError = error;
        }
    }
}
