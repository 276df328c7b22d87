//! The L2 state the prover's and the store's unit tests start from.

use concord_primitives::{
	ops::{ChainId, Deposit, Op},
	stf::TreeState,
};

/// A state whose registry has chain 1 with token 0, and no account yet.
pub fn registered() -> TreeState {
	let mut state = TreeState::new();
	state.registry_mut().add_chain(ChainId(1));
	state.registry_mut().register_token(ChainId(1), 0).unwrap();
	state
}

/// A deposit of `amount` of token 0 on chain 1 to `to`, priority id 0.
pub fn deposit(to: [u8; 20], amount: u128) -> Op {
	Op::Deposit(Deposit {
		chain_id: ChainId(1),
		priority_id: 0,
		to_address: to,
		token: 0,
		amount,
	})
}
