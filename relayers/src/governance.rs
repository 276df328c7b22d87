//! L1 governance actions, carried by the operators: governance proposes an action for one
//! chain's contract on the appchain (`Oracle::propose_l1_action`, at the contract's governance
//! nonce); each member's operator reviews it and signs it with the member's L1 key
//! (`concord-relayer l1-action sign`), which the appchain checks and stores; once a quorum of
//! members signed, anyone submits it to the contract (`concord-relayer l1-action submit`). A
//! relayer never signs a governance action on its own.

use crate::{l1::L1, roles::chain_signatures, Relayer, RelayerError};
use alloy::primitives::{Address, Bytes, B256, U256};
use concord_primitives::ops::{eth_sign, ChainId};
use concord_runtime::RuntimeCall;
use pallet_concord_oracle::L1Action;
use sp_core::H256;

/// The proposed action for `chain` at `nonce`, as the appchain holds it at `at`.
async fn proposed(
	relayer: &Relayer,
	chain: ChainId,
	nonce: u64,
	at: H256,
) -> Result<L1Action, RelayerError> {
	relayer
		.appchain
		.l1_action(chain, nonce, at)
		.await?
		.ok_or(RelayerError::NoL1Action {
			chain: chain.0,
			nonce,
		})
}

/// What the action does, the digest members sign, how many members signed it, and the
/// contract's governance nonce when this relayer is configured for the chain.
pub async fn describe(
	relayer: &Relayer,
	chain: ChainId,
	nonce: u64,
) -> Result<String, RelayerError> {
	let at = relayer.appchain.finalized().await?.hash;
	let action = proposed(relayer, chain, nonce, at).await?;
	let signed = relayer
		.appchain
		.l1_action_signatures(chain, nonce, at)
		.await?
		.len();
	let members = relayer.appchain.members(at).await?.len() as u32;
	let info = relayer.appchain.contract_of(chain, at).await?;
	let mut text = format!(
		"chain {} nonce {nonce}: {action:?}\ndigest 0x{}\nsigned by {signed} of {members} members (quorum {})",
		chain.0,
		hex::encode(action.digest(&info, nonce)),
		pallet_concord_oracle::quorum(members)
	);
	if let Ok(l1) = contract_l1(relayer, chain) {
		let current = governance_nonce(&l1).await?;
		text.push_str(&format!("\nthe contract's governance nonce is {current}"));
	}
	Ok(text)
}

/// Signs the proposed action with the member's L1 key and stores the signature on the
/// appchain, if its digest is `reviewed` (the one `describe` printed: governance may have
/// replaced the proposal since); returns the extrinsic's hash.
pub async fn sign(
	relayer: &Relayer,
	chain: ChainId,
	nonce: u64,
	reviewed: [u8; 32],
) -> Result<H256, RelayerError> {
	let key = relayer.eth_key.as_ref().ok_or(RelayerError::Governance(
		"signing needs the member's Ethereum key (keys.ethereum)".into(),
	))?;
	let at = relayer.appchain.finalized().await?.hash;
	let action = proposed(relayer, chain, nonce, at).await?;
	let info = relayer.appchain.contract_of(chain, at).await?;
	let digest = action.digest(&info, nonce);
	if digest != reviewed {
		return Err(RelayerError::Governance(format!(
			"chain {} nonce {nonce}: the proposal's digest is 0x{}, not the one reviewed; \
			 review it again with `l1-action show`",
			chain.0,
			hex::encode(digest)
		)));
	}
	let signature = eth_sign(key, &digest);
	let call = RuntimeCall::Oracle(pallet_concord_oracle::Call::sign_l1_action {
		chain,
		nonce,
		signature,
	});
	let hash = relayer.appchain.submit(call).await?;
	tracing::info!(chain = chain.0, nonce, ?action, extrinsic = ?hash, "signed L1 action");
	Ok(hash)
}

/// Submits the proposed action to `chain`'s contract with a quorum of the members' signatures
/// that its oracle set accepts; returns the L1 transaction's hash.
pub async fn submit(relayer: &Relayer, chain: ChainId, nonce: u64) -> Result<B256, RelayerError> {
	let l1 = contract_l1(relayer, chain)?;
	let at = relayer.appchain.finalized().await?.hash;
	let action = proposed(relayer, chain, nonce, at).await?;
	let current = governance_nonce(&l1).await?;
	if current != nonce {
		return Err(RelayerError::Governance(format!(
			"chain {}: the action is for governance nonce {nonce}, the contract is at {current}",
			chain.0
		)));
	}
	let info = relayer.appchain.contract_of(chain, at).await?;
	let digest = action.digest(&info, nonce);
	let stored: Vec<_> = relayer
		.appchain
		.l1_action_signatures(chain, nonce, at)
		.await?
		.into_iter()
		.map(|(member, signature)| (member, vec![(chain, signature)]))
		.collect();
	let oracles = l1.oracles().await?;
	let threshold = l1.threshold().await?;
	let usable = chain_signatures(&stored, chain, &digest, &oracles);
	if usable.len() < threshold {
		return Err(RelayerError::Governance(format!(
			"chain {} nonce {nonce}: {} signatures the contract's oracles accept, it needs {threshold}",
			chain.0,
			usable.len()
		)));
	}
	let signatures: Vec<Bytes> = usable
		.into_iter()
		.take(threshold)
		.map(|signature| Bytes::from(signature.to_vec()))
		.collect();
	let rollup = l1.rollup();
	let hash = match action {
		L1Action::UpdateOracles { oracles, threshold } => {
			let oracles = oracles.iter().map(|a| Address::from(*a)).collect();
			let call = rollup.updateOracles(oracles, U256::from(threshold), signatures);
			l1.send("updateOracles", call).await?
		}
		L1Action::RevertBatches {
			new_total_committed,
		} => {
			let call = rollup.revertBatches(new_total_committed, signatures);
			l1.send("revertBatches", call).await?
		}
		L1Action::RegisterToken { token_id, token } => {
			let call = rollup.registerToken(token_id, Address::from(token), signatures);
			l1.send("registerToken", call).await?
		}
		L1Action::UpdateChains { chain_ids } => {
			let call = rollup.updateChains(chain_ids.into_inner(), signatures);
			l1.send("updateChains", call).await?
		}
		L1Action::WithdrawFees { to, amount } => {
			let call = rollup.withdrawFees(Address::from(to), U256::from(amount), signatures);
			l1.send("withdrawFees", call).await?
		}
		L1Action::Retire { served_up_to } => {
			l1.send("retire", rollup.retire(served_up_to, signatures))
				.await?
		}
	};
	tracing::info!(chain = chain.0, nonce, transaction = %hash, "submitted L1 action");
	Ok(hash)
}

/// The configured L1 of `chain`, registered or removed (the roles leave a removed chain alone,
/// but its contract still takes `retire`).
fn contract_l1(relayer: &Relayer, chain: ChainId) -> Result<L1, RelayerError> {
	let config = relayer
		.config
		.chains
		.iter()
		.find(|config| config.chain_id() == chain)
		.ok_or(RelayerError::Governance(format!(
			"chain {} is not in this relayer's configuration",
			chain.0
		)))?;
	let signer = relayer
		.config
		.keys
		.ethereum
		.as_deref()
		.map(crate::l1::signer_from_hex)
		.transpose()
		.expect("validated in the config");
	Ok(L1::new(config, signer))
}

async fn governance_nonce(l1: &L1) -> Result<u64, RelayerError> {
	l1.rollup().governanceNonce().call().await.map_err(|error| {
		RelayerError::L1(crate::l1::L1Error::Rpc {
			chain: l1.chain.0,
			what: "governanceNonce",
			error: error.to_string(),
		})
	})
}
