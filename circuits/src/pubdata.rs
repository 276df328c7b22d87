//! Op decoding in constraints: a slot's fields as bits, and the slot's pubdata bytes written
//! from them, the twin of `AppliedOp::pubdata` (layout table in `docs/protocol.md`).
//!
//! Every field is allocated as exactly as many bits as the circuit lets it have, which is also
//! its range check: amounts 128 bits, packed amounts 40 and packed fees 16 (`float`'s formats:
//! the exponent in the low 5 bits), nonces 32, chains 8, addresses 160, account ids 24
//! (`ACCOUNT_ID_BITS`, 3 bytes in the pubdata) and tokens 8 (`TOKEN_ID_BITS`, 1 byte). The op
//! type is a one-hot vector of seven
//! selectors. A pubdata bit is the sum, over the op types, of the type's selector times the
//! field bit that type's layout puts there, so one slot writes any op kind with one constraint
//! per (position, field bit) pair that some layout uses.

use crate::{witness::SlotFields, Fr};
use ark_ff::Field as _;
use ark_r1cs_std::{fields::fp::FpVar, prelude::*};
use ark_relations::gr1cs::{ConstraintSystemRef, SynthesisError};
use concord_primitives::{
	account::{ACCOUNT_ID_BITS, TOKEN_ID_BITS},
	float,
	ops::{OpType, SLOT_BYTES},
};
use std::collections::BTreeMap;

/// A slot field, as the layouts name it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Field {
	Chain,
	AccountA,
	AccountB,
	Address,
	/// Written in its own byte order (the packed key is little-endian).
	Pubkey,
	Token,
	/// The amount an L1 pays or takes (Deposit, Withdraw, FullExit) and, for transfers, the
	/// value of [`Field::PackedAmount`].
	Amount,
	/// A transfer's amount as a `float::AMOUNT`.
	PackedAmount,
	/// The fee as a `float::FEE` (every fee is one).
	PackedFee,
	Nonce,
}

impl Field {
	const ALL: [Field; 10] = [
		Field::Chain,
		Field::AccountA,
		Field::AccountB,
		Field::Address,
		Field::Pubkey,
		Field::Token,
		Field::Amount,
		Field::PackedAmount,
		Field::PackedFee,
		Field::Nonce,
	];

	/// The bits the circuit allocates for the field.
	pub const fn bits(self) -> usize {
		match self {
			Field::Chain => 8,
			Field::AccountA | Field::AccountB => ACCOUNT_ID_BITS,
			Field::Address => 160,
			Field::Pubkey => 256,
			Field::Token => TOKEN_ID_BITS,
			Field::Amount => 128,
			Field::PackedAmount => float::AMOUNT.bytes() * 8,
			Field::PackedFee => float::FEE.bytes() * 8,
			Field::Nonce => 32,
		}
	}

	/// The field's little-endian bits in `fields`.
	fn native_bits(self, fields: &SlotFields) -> Vec<bool> {
		let le_bytes: Vec<u8> = match self {
			Field::Chain => vec![fields.chain],
			Field::AccountA => fields.account_a.to_le_bytes().to_vec(),
			Field::AccountB => fields.account_b.to_le_bytes().to_vec(),
			Field::Address => fields.address.iter().rev().copied().collect(),
			Field::Pubkey => fields.pubkey.to_vec(),
			Field::Token => fields.token.to_le_bytes().to_vec(),
			Field::Amount => fields.amount.to_le_bytes().to_vec(),
			Field::PackedAmount => fields.packed_amount.to_le_bytes().to_vec(),
			Field::PackedFee => fields.packed_fee.to_le_bytes().to_vec(),
			Field::Nonce => fields.nonce.to_le_bytes().to_vec(),
		};
		(0..self.bits())
			.map(|bit| {
				le_bytes
					.get(bit / 8)
					.is_some_and(|byte| byte >> (bit % 8) & 1 == 1)
			})
			.collect()
	}
}

/// The fields of each op type's pubdata after the type byte, with their widths in bytes, as in
/// `AppliedOp::pubdata`. Every field is big-endian except the packed key.
fn layout(op_type: OpType) -> &'static [(Field, usize)] {
	use Field::*;
	const ID: usize = ACCOUNT_ID_BITS / 8;
	const TOKEN: usize = TOKEN_ID_BITS / 8;
	const AMOUNT: usize = float::AMOUNT.bytes();
	const FEE: usize = float::FEE.bytes();
	match op_type {
		OpType::Noop => &[],
		OpType::Deposit => &[
			(Chain, 1),
			(AccountB, ID),
			(Address, 20),
			(Token, TOKEN),
			(Amount, 16),
		],
		OpType::Transfer => &[
			(AccountA, ID),
			(AccountB, ID),
			(Token, TOKEN),
			(PackedAmount, AMOUNT),
			(PackedFee, FEE),
		],
		OpType::TransferToNew => &[
			(AccountA, ID),
			(AccountB, ID),
			(Address, 20),
			(Token, TOKEN),
			(PackedAmount, AMOUNT),
			(PackedFee, FEE),
		],
		OpType::Withdraw => &[
			(Chain, 1),
			(AccountA, ID),
			(Address, 20),
			(Token, TOKEN),
			(Amount, 16),
			(PackedFee, FEE),
		],
		OpType::ChangePubKey => &[
			(Chain, 1),
			(AccountA, ID),
			(Pubkey, 32),
			(Address, 20),
			(Nonce, 4),
			(Token, TOKEN),
			(PackedFee, FEE),
		],
		OpType::FullExit => &[
			(Chain, 1),
			(AccountA, ID),
			(Address, 20),
			(Token, TOKEN),
			(Amount, 16),
		],
	}
}

/// What one bit of a slot's pubdata is for one op type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Source {
	Zero,
	One,
	/// Bit `.1` (little-endian) of a field.
	Bit(Field, usize),
}

/// The source of every bit of an op type's slot: `SLOT_BYTES` bytes, bits little-endian within
/// each byte (so that `UInt8::from_bits_le` takes them in order).
fn sources(op_type: OpType) -> Vec<Source> {
	let mut out = Vec::with_capacity(SLOT_BYTES * 8);
	let type_byte = op_type as u8;
	out.extend((0..8).map(|bit| {
		if type_byte >> bit & 1 == 1 {
			Source::One
		} else {
			Source::Zero
		}
	}));
	for &(field, bytes) in layout(op_type) {
		for byte in 0..bytes {
			// Big-endian: the first byte holds the most significant bits.
			let first_bit = if field == Field::Pubkey {
				byte * 8
			} else {
				(bytes - 1 - byte) * 8
			};
			out.extend((first_bit..first_bit + 8).map(|bit| {
				if bit < field.bits() {
					Source::Bit(field, bit)
				} else {
					Source::Zero
				}
			}));
		}
	}
	out.resize(SLOT_BYTES * 8, Source::Zero);
	out
}

/// A slot's fields in constraints, the twin of [`SlotFields`].
#[derive(Clone, Debug)]
pub struct SlotFieldsVar {
	/// `selectors[t]` is true for the slot's op type `t`; exactly one is.
	pub selectors: [Boolean<Fr>; 7],
	bits: BTreeMap<Field, Vec<Boolean<Fr>>>,
}

impl SlotFieldsVar {
	/// Allocates `fields` as witnesses: one-hot selectors and each field's bits.
	pub fn new_witness(
		cs: ConstraintSystemRef<Fr>,
		fields: &SlotFields,
	) -> Result<Self, SynthesisError> {
		let selectors = OpType::ALL.map(|op_type| op_type as u8 == fields.op_type);
		let selectors = selectors
			.iter()
			.map(|&on| Boolean::new_witness(cs.clone(), || Ok(on)))
			.collect::<Result<Vec<_>, _>>()?;
		let count: FpVar<Fr> = selectors.iter().cloned().map(FpVar::from).sum();
		count.enforce_equal(&FpVar::one())?;
		let bits = Field::ALL
			.iter()
			.map(|&field| {
				let bits = field
					.native_bits(fields)
					.into_iter()
					.map(|bit| Boolean::new_witness(cs.clone(), || Ok(bit)))
					.collect::<Result<Vec<_>, _>>()?;
				Ok((field, bits))
			})
			.collect::<Result<_, SynthesisError>>()?;
		Ok(SlotFieldsVar {
			selectors: selectors.try_into().expect("seven selectors"),
			bits,
		})
	}

	/// The selector of `op_type`.
	pub fn is(&self, op_type: OpType) -> &Boolean<Fr> {
		&self.selectors[op_type as usize]
	}

	/// The sum of the selectors of `op_types`: 1 if the slot's op is one of them, else 0.
	pub fn is_any(&self, op_types: &[OpType]) -> FpVar<Fr> {
		op_types
			.iter()
			.map(|&op_type| FpVar::from(self.is(op_type).clone()))
			.sum()
	}

	/// The op type byte as a field element.
	pub fn op_type(&self) -> FpVar<Fr> {
		OpType::ALL
			.iter()
			.map(|&op_type| FpVar::from(self.is(op_type).clone()) * Fr::from(op_type as u8))
			.sum()
	}

	/// The field's little-endian bits.
	pub fn bits(&self, field: Field) -> &[Boolean<Fr>] {
		&self.bits[&field]
	}

	/// The field's value (for the packed key, its bits as a 256-bit little-endian integer,
	/// which wraps the field: use [`bits`](Self::bits) for it).
	pub fn value(&self, field: Field) -> Result<FpVar<Fr>, SynthesisError> {
		Boolean::le_bits_to_fp(self.bits(field))
	}

	/// The value `mantissa · 10^exponent` of a packed float field, as `float::Float::unpack`
	/// (below `2^11 · 10^31 < 2^128` for a fee; a packed amount is compared with the 128-bit
	/// amount, which bounds it). Five constraints: `10^exponent` is the product over the
	/// exponent's bits `b_i` of `1 + b_i · (10^(2^i) − 1)`.
	pub fn float_value(&self, field: Field) -> Result<FpVar<Fr>, SynthesisError> {
		let bits = self.bits(field);
		let (exponent, mantissa) = bits.split_at(float::EXPONENT_BITS as usize);
		let mut power = FpVar::one();
		for (i, bit) in exponent.iter().enumerate() {
			let factor = Fr::from(10u8).pow([1u64 << i]) - Fr::ONE;
			power *= FpVar::one() + FpVar::from(bit.clone()) * factor;
		}
		Ok(Boolean::le_bits_to_fp(mantissa)? * power)
	}

	/// The slot's `SLOT_BYTES` pubdata bytes, as `AppliedOp::pubdata` zero-padded to the slot.
	pub fn pubdata(&self) -> Result<Vec<UInt8<Fr>>, SynthesisError> {
		let per_type: Vec<Vec<Source>> = OpType::ALL.iter().map(|&t| sources(t)).collect();
		let mut bits = Vec::with_capacity(SLOT_BYTES * 8);
		for position in 0..SLOT_BYTES * 8 {
			bits.push(self.pubdata_bit(per_type.iter().map(|sources| sources[position]))?);
		}
		Ok(bits.chunks(8).map(UInt8::from_bits_le).collect())
	}

	/// `Σ_t selector_t · source_t`, grouping the op types that read the same source.
	fn pubdata_bit(
		&self,
		sources: impl Iterator<Item = Source>,
	) -> Result<Boolean<Fr>, SynthesisError> {
		let mut ones = Vec::new();
		let mut by_bit: BTreeMap<(Field, usize), Vec<Boolean<Fr>>> = BTreeMap::new();
		for (selector, source) in self.selectors.iter().zip(sources) {
			match source {
				Source::Zero => {}
				Source::One => ones.push(selector.clone()),
				Source::Bit(field, bit) => by_bit
					.entry((field, bit))
					.or_default()
					.push(selector.clone()),
			}
		}
		if ones.is_empty() && by_bit.len() == 1 {
			let ((field, bit), selectors) = by_bit.pop_first().expect("one entry");
			if let [selector] = &selectors[..] {
				return Ok(selector & &self.bits[&field][bit]);
			}
			by_bit.insert((field, bit), selectors);
		}
		if by_bit.is_empty() && ones.is_empty() {
			return Ok(Boolean::FALSE);
		}
		let mut sum: FpVar<Fr> = ones.into_iter().map(FpVar::from).sum();
		for ((field, bit), selectors) in by_bit {
			let selected: FpVar<Fr> = selectors.into_iter().map(FpVar::from).sum();
			sum += selected * FpVar::from(self.bits[&field][bit].clone());
		}
		// One-hot selectors make the sum a single bit; allocate it as a Boolean.
		let value = sum.value().map(|value| value == Fr::ONE);
		let out = Boolean::new_witness(sum.cs(), || value)?;
		FpVar::from(out.clone()).enforce_equal(&sum)?;
		Ok(out)
	}
}

#[cfg(test)]
mod tests {
	use super::*;
	use ark_relations::gr1cs::ConstraintSystem;
	use concord_primitives::ops::{AppliedOp, OpType, CHUNK_BYTES};

	/// Every op kind, applied, from the pubdata decoder (the only public way to make an
	/// `AppliedOp` outside the STF), with every field at an extreme value.
	fn samples() -> Vec<AppliedOp> {
		let mut bytes = Vec::new();
		for op_type in OpType::ALL {
			let mut op = vec![0xa5u8; op_type.data_bytes()];
			op[0] = op_type as u8;
			// Keep ids within ACCOUNT_ID_BITS bits and tokens within TOKEN_ID_BITS bits.
			let mut offset = 1;
			for &(field, width) in layout(op_type) {
				match field {
					Field::AccountA | Field::AccountB => op[offset] = 0,
					Field::Token => op[offset] = 0,
					_ => {}
				}
				offset += width;
			}
			op.resize(op_type.pubdata_bytes(), 0);
			bytes.extend(op);
		}
		let mut ops = Vec::new();
		let mut rest = &bytes[..];
		while !rest.is_empty() {
			let (op, size) = AppliedOp::decode_pubdata(rest).expect("valid sample");
			ops.push(op);
			rest = &rest[size..];
		}
		ops
	}

	fn gadget_pubdata(fields: &SlotFields) -> (Vec<u8>, bool, usize) {
		let cs = ConstraintSystem::<Fr>::new_ref();
		let var = SlotFieldsVar::new_witness(cs.clone(), fields).unwrap();
		let before = cs.num_constraints();
		let bytes = var
			.pubdata()
			.unwrap()
			.iter()
			.map(|b| b.value().unwrap())
			.collect();
		(
			bytes,
			cs.is_satisfied().unwrap(),
			cs.num_constraints() - before,
		)
	}

	#[test]
	fn writes_the_native_pubdata_of_every_op_kind() {
		for op in samples() {
			let mut expected = op.pubdata();
			expected.resize(SLOT_BYTES, 0);
			let (bytes, satisfied, _) = gadget_pubdata(&SlotFields::of(&op));
			assert_eq!(bytes, expected, "{:?}", op.op().op_type());
			assert!(satisfied);
		}
	}

	#[test]
	fn a_wrong_selector_writes_another_layout() {
		let op = samples()[OpType::Transfer as usize];
		let fields = SlotFields {
			op_type: OpType::Withdraw as u8,
			..SlotFields::of(&op)
		};
		let (bytes, _, _) = gadget_pubdata(&fields);
		let mut native = op.pubdata();
		native.resize(SLOT_BYTES, 0);
		assert_ne!(bytes, native);
		assert_eq!(bytes[0], OpType::Withdraw as u8);
	}

	#[test]
	fn an_unknown_op_type_is_unsatisfiable() {
		let fields = SlotFields {
			op_type: 7,
			..SlotFields::of(&samples()[OpType::Deposit as usize])
		};
		let (_, satisfied, _) = gadget_pubdata(&fields);
		assert!(!satisfied);
	}

	#[test]
	fn constraint_count() {
		let (_, _, constraints) = gadget_pubdata(&SlotFields::default());
		assert!(constraints < 4_000, "{constraints}");
		assert_eq!(SLOT_BYTES, 4 * CHUNK_BYTES);
	}
}
