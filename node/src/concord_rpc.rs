//! The `concord_*` JSON-RPC namespace: L2 accounts, batch progress, execute signatures and
//! pending priority ops, answered by the runtime's [`ConcordApi`] at the best block or at the
//! block hash given as the last, optional parameter.
//!
//! Byte strings are `0x`-prefixed hex; amounts are decimal strings (they exceed JSON's safe
//! integers). Malformed parameters get JSON-RPC error -32602 with the reason.

use std::sync::Arc;

use concord_primitives::ops::Op;
use concord_runtime::{
	concord_api::{AccountView, BatchStatus, ConcordApi},
	opaque::Block,
	Hash,
};
use jsonrpsee::{
	core::{DeserializeOwned, RegisterMethodError},
	types::{error::INVALID_PARAMS_CODE, params::ParamsSequence, ErrorObjectOwned, Params},
	RpcModule,
};
use serde_json::{json, Value};
use sp_api::{ApiError, ProvideRuntimeApi};
use sp_blockchain::HeaderBackend;
use sp_core::bytes::to_hex;

/// JSON-RPC error code of a failed runtime API call.
pub const RUNTIME_ERROR_CODE: i32 = 1;

fn invalid_params(message: impl Into<String>) -> ErrorObjectOwned {
	ErrorObjectOwned::owned(INVALID_PARAMS_CODE, message.into(), None::<()>)
}

fn runtime_error(error: ApiError) -> ErrorObjectOwned {
	ErrorObjectOwned::owned(
		RUNTIME_ERROR_CODE,
		format!("runtime API call failed: {error}"),
		None::<()>,
	)
}

fn hex(bytes: &[u8]) -> String {
	to_hex(bytes, false)
}

/// A 20-byte L1 address from `0x` + 40 hex digits.
fn parse_address(text: &str) -> Result<[u8; 20], ErrorObjectOwned> {
	let digits = text
		.strip_prefix("0x")
		.ok_or_else(|| invalid_params(format!("address {text:?} must start with 0x")))?;
	let bytes = sp_core::bytes::from_hex(digits)
		.ok()
		.filter(|bytes| bytes.len() == 20)
		.ok_or_else(|| invalid_params(format!("address {text:?} is not 20 bytes of hex")))?;
	Ok(bytes.try_into().expect("20 bytes"))
}

/// -32602 with `what` was expected and why the parameter is not that (serde's reason, which
/// jsonrpsee puts in the error's data).
fn not_a(what: &str, error: ErrorObjectOwned) -> ErrorObjectOwned {
	let reason = error.data().map_or_else(
		|| error.message().to_string(),
		|data| data.get().trim_matches('"').to_string(),
	);
	invalid_params(format!("expected {what}: {reason}"))
}

/// The next parameter, of type `T` (described as `what` in the error).
fn required<T: DeserializeOwned>(
	sequence: &mut ParamsSequence,
	what: &str,
) -> Result<T, ErrorObjectOwned> {
	sequence.next::<T>().map_err(|error| not_a(what, error))
}

/// The optional block hash that ends every method's parameters.
fn optional_block(sequence: &mut ParamsSequence) -> Result<Option<Hash>, ErrorObjectOwned> {
	sequence
		.optional_next::<Hash>()
		.map_err(|error| not_a("a block hash", error))
}

/// The method's one required parameter and the optional block hash after it.
fn parse<T: DeserializeOwned>(
	params: &Params,
	what: &str,
) -> Result<(T, Option<Hash>), ErrorObjectOwned> {
	let mut sequence = params.sequence();
	let value = required(&mut sequence, what)?;
	Ok((value, optional_block(&mut sequence)?))
}

fn parse_at(params: &Params) -> Result<Option<Hash>, ErrorObjectOwned> {
	optional_block(&mut params.sequence())
}

fn account_json(account: AccountView) -> Value {
	let balances: serde_json::Map<String, Value> = account
		.balances
		.iter()
		.map(|(token, amount)| (token.to_string(), Value::String(amount.to_string())))
		.collect();
	json!({
		"id": account.id,
		"l1Address": hex(&account.l1_address),
		"pubkey": (account.pubkey != [0; 64]).then(|| hex(&account.pubkey)),
		"nonce": account.nonce,
		"balances": balances,
	})
}

fn stage_name(stage: Option<pallet_concord_batches::L1Stage>) -> &'static str {
	use pallet_concord_batches::L1Stage;
	match stage {
		None => "sealed",
		Some(L1Stage::Committed) => "committed",
		Some(L1Stage::Proven) => "proven",
		Some(L1Stage::Executed) => "executed",
	}
}

fn batch_json(status: BatchStatus) -> Value {
	let chains: serde_json::Map<String, Value> = status
		.chains
		.iter()
		.map(|(chain, stage)| (chain.0.to_string(), Value::from(stage_name(*stage))))
		.collect();
	json!({
		"number": status.number,
		"opCount": status.op_count,
		"feeAccount": status.fee_account,
		"pubdataHash": hex(&status.pubdata_hash),
		"sealedAt": status.sealed_at,
		"proven": status.proven.map(|(new_root, commitment, sync_hash)| json!({
			"newRoot": hex(&new_root),
			"commitment": hex(&commitment),
			"syncHash": hex(&sync_hash),
		})),
		"synced": status.synced,
		"executeSignatures": status.execute_signatures,
		"chains": chains,
	})
}

fn op_json(op: &Op) -> Value {
	match op {
		Op::Deposit(deposit) => json!({
			"type": "Deposit",
			"toAddress": hex(&deposit.to_address),
			"token": deposit.token,
			"amount": deposit.amount.to_string(),
		}),
		Op::FullExit(exit) => json!({
			"type": "FullExit",
			"account": exit.account,
			"owner": hex(&exit.owner),
			"token": exit.token,
		}),
		other => json!({ "type": format!("{:?}", other.op_type()) }),
	}
}

/// The block `at`, or the best block.
fn best<C: HeaderBackend<Block>>(client: &C, at: Option<Hash>) -> Hash {
	at.unwrap_or_else(|| client.info().best_hash)
}

/// The `concord_*` methods over `client`.
pub fn concord_module<C>(client: Arc<C>) -> Result<RpcModule<Arc<C>>, RegisterMethodError>
where
	C: ProvideRuntimeApi<Block> + HeaderBackend<Block> + Send + Sync + 'static,
	C::Api: ConcordApi<Block>,
{
	let mut module = RpcModule::new(client);
	module.register_method("concord_account", move |params, client, _| {
		let (id, at) = parse::<u32>(&params, "an account id (u32)")?;
		let api = client.runtime_api();
		let account = api
			.account(best(&**client, at), id)
			.map_err(runtime_error)?;
		Ok::<_, ErrorObjectOwned>(account.map(account_json))
	})?;
	module.register_method("concord_accountByAddress", move |params, client, _| {
		let (address, at) = parse::<String>(&params, "an L1 address (0x + 40 hex digits)")?;
		let address = parse_address(&address)?;
		let api = client.runtime_api();
		let account = api
			.account_by_address(best(&**client, at), address)
			.map_err(runtime_error)?;
		Ok::<_, ErrorObjectOwned>(account.map(account_json))
	})?;
	module.register_method("concord_lastBatch", move |params, client, _| {
		let at = parse_at(&params)?;
		client
			.runtime_api()
			.last_batch(best(&**client, at))
			.map_err(runtime_error)
	})?;
	module.register_method("concord_batchStatus", move |params, client, _| {
		let (batch, at) = parse::<u64>(&params, "a batch number (u64)")?;
		let api = client.runtime_api();
		let status = api
			.batch_status(best(&**client, at), batch)
			.map_err(runtime_error)?;
		Ok::<_, ErrorObjectOwned>(status.map(batch_json))
	})?;
	module.register_method("concord_batchPubdata", move |params, client, _| {
		let (batch, at) = parse::<u64>(&params, "a batch number (u64)")?;
		let api = client.runtime_api();
		let pubdata = api
			.batch_pubdata(best(&**client, at), batch)
			.map_err(runtime_error)?;
		Ok::<_, ErrorObjectOwned>(pubdata.map(|bytes| hex(&bytes)))
	})?;
	module.register_method("concord_executeSignatures", move |params, client, _| {
		let (batch, at) = parse::<u64>(&params, "a batch number (u64)")?;
		let api = client.runtime_api();
		let members = api
			.execute_signatures(best(&**client, at), batch)
			.map_err(runtime_error)?;
		Ok::<_, ErrorObjectOwned>(
			members
				.into_iter()
				.map(|member| {
					let signatures: serde_json::Map<String, Value> = member
						.signatures
						.iter()
						.map(|(chain, signature)| {
							(chain.0.to_string(), Value::from(hex(signature)))
						})
						.collect();
					json!({ "l1Address": hex(&member.l1_address), "signatures": signatures })
				})
				.collect::<Vec<_>>(),
		)
	})?;
	module.register_method("concord_pendingPriorityOps", move |params, client, _| {
		let at = parse_at(&params)?;
		let api = client.runtime_api();
		let pending = api
			.pending_priority_ops(best(&**client, at))
			.map_err(runtime_error)?;
		Ok::<_, ErrorObjectOwned>(
			pending
				.into_iter()
				.map(|pending| {
					json!({
						"chain": pending.chain.0,
						"priorityId": pending.priority_id,
						"op": op_json(&pending.op),
						"attestations": pending.attestations,
					})
				})
				.collect::<Vec<_>>(),
		)
	})?;
	module.register_method(
		"concord_changePubKeyAuthorization",
		move |params, client, _| {
			let mut sequence = params.sequence();
			let account = required::<u32>(&mut sequence, "an account id (u32)")?;
			let nonce = required::<u32>(&mut sequence, "a nonce (u32)")?;
			let at = optional_block(&mut sequence)?;
			let api = client.runtime_api();
			let signature = api
				.change_pubkey_authorization(best(&**client, at), account, nonce)
				.map_err(runtime_error)?;
			Ok::<_, ErrorObjectOwned>(signature.map(|bytes| hex(&bytes)))
		},
	)?;
	Ok(module)
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn a_malformed_parameter_is_named_with_serdes_reason() {
		let params = Params::new(Some(r#"["x"]"#));
		let error = required::<u32>(&mut params.sequence(), "an account id (u32)").unwrap_err();
		assert_eq!(error.code(), INVALID_PARAMS_CODE);
		assert!(
			error
				.message()
				.starts_with("expected an account id (u32): invalid type"),
			"{}",
			error.message()
		);
		let params = Params::new(Some(r#"[1, "0x12"]"#));
		let mut sequence = params.sequence();
		required::<u32>(&mut sequence, "an account id (u32)").unwrap();
		let error = optional_block(&mut sequence).unwrap_err();
		assert!(
			error.message().starts_with("expected a block hash: "),
			"{}",
			error.message()
		);
	}

	#[test]
	fn addresses_need_0x_and_20_bytes() {
		assert_eq!(
			parse_address(&format!("0x{}", "ab".repeat(20))).unwrap(),
			[0xab; 20]
		);
		for bad in [
			"ab".repeat(20),
			"0x1234".into(),
			format!("0x{}", "zz".repeat(20)),
		] {
			let error = parse_address(&bad).unwrap_err();
			assert_eq!(error.code(), INVALID_PARAMS_CODE, "{bad}");
		}
	}
}
