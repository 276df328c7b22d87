// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

/// @title ERC-20 calls that accept tokens returning no bool
/// @notice Some tokens (USDT among them) return nothing from `transfer` and `transferFrom`. A call
/// succeeds when it does not revert and either returns nothing from an address with code, or
/// returns an ABI `true`.
library SafeToken {
    /// A token call reverted, returned false or something other than a bool, or the token has no
    /// code.
    error TokenTransferFailed(address token);

    function safeTransfer(address token, address to, uint256 amount) internal {
        _call(token, abi.encodeWithSelector(0xa9059cbb, to, amount));
    }

    function safeTransferFrom(address token, address from, address to, uint256 amount) internal {
        _call(token, abi.encodeWithSelector(0x23b872dd, from, to, amount));
    }

    /// @notice The token balance of `owner`, for the balance difference that measures what a
    /// deposit really received (fee-on-transfer tokens deliver less than `amount`).
    function balanceOf(address token, address owner) internal view returns (uint256) {
        (bool ok, bytes memory out) = token.staticcall(abi.encodeWithSelector(0x70a08231, owner));
        if (!ok || out.length != 32) revert TokenTransferFailed(token);
        return abi.decode(out, (uint256));
    }

    function _call(address token, bytes memory data) private {
        (bool ok, bytes memory out) = token.call(data);
        if (!ok) revert TokenTransferFailed(token);
        if (out.length == 0) {
            if (token.code.length == 0) revert TokenTransferFailed(token);
        } else if (out.length != 32 || abi.decode(out, (uint256)) != 1) {
            revert TokenTransferFailed(token);
        }
    }
}
