//! Op decoding in constraints: a slot's fields as bits, and the slot's pubdata chunk written
//! from them, the twin of `AppliedOp::pubdata` (layout table in `docs/protocol.md`).
//!
//! A slot writes one 16-byte chunk. An op of `n` chunks takes `n` consecutive slots, each with
//! the op's kind and fields and its *part* (`0..n`, one-hot over [`MAX_OP_CHUNKS`]): part `p`
//! writes the op's chunk `p`. The batch circuit carries the kind and fields from a slot to the
//! next while the op continues, and applies the op's rules in its first slot only
//! ([`SlotFieldsVar::is`]).
//!
//! Every field is allocated as exactly as many bits as the circuit lets it have, which is also
//! its range check: amounts 128 bits, packed amounts 40 and packed fees 16 (`float`'s formats:
//! the exponent in the low 5 bits), nonces 32, chains 8, addresses 160, account ids 24
//! (`ACCOUNT_ID_BITS`, 3 bytes in the pubdata) and tokens 8 (`TOKEN_ID_BITS`, 1 byte). The op
//! type is a one-hot vector of seven
//! selectors, and each valid (type, part) pair has a selector, their product. The chunk, as a
//! 128-bit integer, is the sum over the pairs of the pair's selector times that chunk of the
//! type's layout (a linear combination of field bits), so one slot writes any chunk of any op
//! kind with one constraint per pair, then allocates the chunk's bits once.

use crate::{witness::SlotFields, Fr};
use ark_ff::{BigInteger, Field as _, PrimeField};
use ark_r1cs_std::{fields::fp::FpVar, prelude::*};
use ark_relations::gr1cs::{ConstraintSystemRef, SynthesisError};
use concord_primitives::{
	account::{ACCOUNT_ID_BITS, TOKEN_ID_BITS},
	float,
	ops::{OpType, CHUNK_BYTES},
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
	/// A Deposit's flags byte: bit 0 set if it is refunded, the other bits zero.
	Refunded,
}

impl Field {
	const ALL: [Field; 11] = [
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
		Field::Refunded,
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
			Field::Refunded => 1,
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
			Field::Refunded => vec![u8::from(fields.refunded)],
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
			(Refunded, 1),
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

/// The most chunks an op takes (ChangePubKey's).
pub const MAX_OP_CHUNKS: usize = 4;

/// Every (op type, part) a slot can be: each part of each op type.
fn chunk_kinds() -> impl Iterator<Item = (OpType, usize)> {
	OpType::ALL
		.into_iter()
		.flat_map(|op_type| (0..op_type.chunks()).map(move |part| (op_type, part)))
}

/// The source of every bit of chunk `part` of an op type's pubdata: `CHUNK_BYTES` bytes, bits
/// little-endian within each byte (so that `UInt8::from_bits_le` takes them in order).
fn sources(op_type: OpType, part: usize) -> Vec<Source> {
	let mut out = Vec::with_capacity(op_type.pubdata_bytes() * 8);
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
	out.resize(op_type.pubdata_bytes() * 8, Source::Zero);
	out[part * CHUNK_BYTES * 8..(part + 1) * CHUNK_BYTES * 8].to_vec()
}

/// A slot's fields in constraints, the twin of [`SlotFields`].
#[derive(Clone, Debug)]
pub struct SlotFieldsVar {
	/// `kinds[t]` is true for the slot's op type `t`; exactly one is.
	pub kinds: [Boolean<Fr>; 7],
	/// `parts[p]` is true if the slot writes the op's chunk `p`; exactly one is.
	pub parts: [Boolean<Fr>; MAX_OP_CHUNKS],
	/// The selector of each (type, part) of [`chunk_kinds`]: exactly one is true, so the part
	/// is one the op type has.
	chunk_selectors: Vec<((OpType, usize), Boolean<Fr>)>,
	bits: BTreeMap<Field, Vec<Boolean<Fr>>>,
}

impl SlotFieldsVar {
	/// Allocates `fields` as witnesses: one-hot kind and part selectors, their products, and
	/// each field's bits.
	pub fn new_witness(
		cs: ConstraintSystemRef<Fr>,
		fields: &SlotFields,
	) -> Result<Self, SynthesisError> {
		let one_hot = |count: usize, on: usize| {
			let selectors = (0..count)
				.map(|i| Boolean::new_witness(cs.clone(), || Ok(i == on)))
				.collect::<Result<Vec<_>, _>>()?;
			let sum: FpVar<Fr> = selectors.iter().cloned().map(FpVar::from).sum();
			sum.enforce_equal(&FpVar::one())?;
			Ok::<_, SynthesisError>(selectors)
		};
		let kinds = one_hot(OpType::ALL.len(), fields.op_type.into())?;
		let parts = one_hot(MAX_OP_CHUNKS, fields.part.into())?;
		let chunk_selectors = chunk_kinds()
			.map(|(op_type, part)| Ok(((op_type, part), &kinds[op_type as usize] & &parts[part])))
			.collect::<Result<Vec<_>, SynthesisError>>()?;
		let valid: FpVar<Fr> = chunk_selectors
			.iter()
			.map(|(_, selector)| FpVar::from(selector.clone()))
			.sum();
		valid.enforce_equal(&FpVar::one())?;
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
			kinds: kinds.try_into().expect("seven kinds"),
			parts: parts.try_into().expect("MAX_OP_CHUNKS parts"),
			chunk_selectors,
			bits,
		})
	}

	/// Whether the slot is the first of an op of type `op_type`: the selector of the op's rules,
	/// which apply once per op.
	pub fn is(&self, op_type: OpType) -> &Boolean<Fr> {
		self.chunk_selector(op_type, 0)
	}

	/// Whether the slot writes chunk `part` of an op of type `op_type` (a part the type has).
	pub fn chunk_selector(&self, op_type: OpType, part: usize) -> &Boolean<Fr> {
		&self
			.chunk_selectors
			.iter()
			.find(|((t, p), _)| (*t, *p) == (op_type, part))
			.expect("a part of the type")
			.1
	}

	/// The sum of [`is`](Self::is) over `op_types`: 1 if the slot starts one of them, else 0.
	pub fn is_any(&self, op_types: &[OpType]) -> FpVar<Fr> {
		op_types
			.iter()
			.map(|&op_type| FpVar::from(self.is(op_type).clone()))
			.sum()
	}

	/// The op type byte, as a field element, of the op the slot starts (0 in its other slots).
	pub fn op_type(&self) -> FpVar<Fr> {
		OpType::ALL
			.iter()
			.map(|&op_type| FpVar::from(self.is(op_type).clone()) * Fr::from(op_type as u8))
			.sum()
	}

	/// The op's type byte, as a field element, in every slot of the op.
	pub fn kind_value(&self) -> FpVar<Fr> {
		OpType::ALL
			.iter()
			.map(|&op_type| {
				FpVar::from(self.kinds[op_type as usize].clone()) * Fr::from(op_type as u8)
			})
			.sum()
	}

	/// Whether the op goes on after this slot: the slot writes chunk `p` of an op of more than
	/// `p + 1` chunks. The next slot's `parts[p + 1]` must equal it (a sum of selectors, so a
	/// linear combination).
	pub fn continues_into(&self, next_part: usize) -> FpVar<Fr> {
		self.chunk_selectors
			.iter()
			.filter(|((op_type, part), _)| part + 1 == next_part && op_type.chunks() > next_part)
			.map(|(_, selector)| FpVar::from(selector.clone()))
			.sum()
	}

	/// The values the op's slots share: its type and every field (the packed key in two
	/// halves, as it exceeds the scalar field).
	pub fn carried_values(&self) -> Result<Vec<FpVar<Fr>>, SynthesisError> {
		let mut values = vec![self.kind_value()];
		for field in Field::ALL {
			let bits = self.bits(field);
			for half in bits.chunks(128) {
				values.push(Boolean::le_bits_to_fp(half)?);
			}
		}
		Ok(values)
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
	/// amount, which bounds it), and only if the packing is canonical, as `float::Float::pack`
	/// writes it (the smallest exponent): the exponent is 0 or the mantissa times ten does not
	/// fit in the mantissa's bits. So a proof implies pubdata that `decode_pubdata` reads.
	/// `10^exponent` is the product over the exponent's bits `b_i` of
	/// `1 + b_i · (10^(2^i) − 1)` (five constraints); canonicity costs a range check of the
	/// mantissa's width plus four bits.
	pub fn float_value(&self, field: Field) -> Result<FpVar<Fr>, SynthesisError> {
		let bits = self.bits(field);
		let (exponent, mantissa_bits) = bits.split_at(float::EXPONENT_BITS as usize);
		let mut power = FpVar::one();
		for (i, bit) in exponent.iter().enumerate() {
			let factor = Fr::from(10u8).pow([1u64 << i]) - Fr::ONE;
			power *= FpVar::one() + FpVar::from(bit.clone()) * factor;
		}
		let mantissa = Boolean::le_bits_to_fp(mantissa_bits)?;
		// With a non-zero exponent, 10 · mantissa − 2^width is not negative (below 2^(width+4)
		// since the mantissa is below 2^width; a negative one wraps far above).
		let scaled = FpVar::from(Boolean::kary_or(exponent)?)
			* (&mantissa * Fr::from(10u8) - Fr::from(2u8).pow([mantissa_bits.len() as u64]));
		crate::batch::range_check(&scaled, mantissa_bits.len() + 4)?;
		Ok(mantissa * power)
	}

	/// The slot's `CHUNK_BYTES` pubdata bytes: chunk `part` of `AppliedOp::pubdata`.
	pub fn pubdata(&self) -> Result<Vec<UInt8<Fr>>, SynthesisError> {
		// The chunk as one integer below 2^128 (bit `i` little-endian of byte `j` weighs
		// 2^(8j + i)): for each (type, part), a linear combination of field bits, so the
		// selected one costs one product per selector. Its bits, allocated once, are the
		// bytes: 18 products and 129 constraints instead of a selection per bit.
		let weight = |position: usize| Fr::from(2u8).pow([position as u64]);
		let mut packed = FpVar::zero();
		for ((op_type, part), selector) in &self.chunk_selectors {
			let mut chunk = FpVar::zero();
			for (position, source) in sources(*op_type, *part).into_iter().enumerate() {
				match source {
					Source::Zero => {}
					Source::One => chunk += FpVar::constant(weight(position)),
					Source::Bit(field, bit) => {
						chunk += FpVar::from(self.bits[&field][bit].clone()) * weight(position)
					}
				}
			}
			packed += FpVar::from(selector.clone()) * chunk;
		}
		let cs = packed.cs();
		let value = packed.value().ok().map(|value| value.into_bigint());
		let bits = (0..CHUNK_BYTES * 8)
			.map(|position| {
				Boolean::new_witness(cs.clone(), || {
					value
						.map(|value| value.get_bit(position))
						.ok_or(SynthesisError::AssignmentMissing)
				})
			})
			.collect::<Result<Vec<_>, _>>()?;
		Boolean::le_bits_to_fp(&bits)?.enforce_equal(&packed)?;
		Ok(bits.chunks(8).map(UInt8::from_bits_le).collect())
	}
}

#[cfg(test)]
mod tests {
	use super::*;
	use ark_relations::gr1cs::ConstraintSystem;
	use concord_primitives::ops::{AppliedOp, OpType, CHUNK_BYTES};

	/// Every op kind, applied, from the pubdata decoder (the only public way to make an
	/// `AppliedOp` outside the STF), with every field at an extreme value.
	/// The last sample is a refunded Deposit.
	fn samples() -> Vec<AppliedOp> {
		let mut bytes = Vec::new();
		let refunded_deposit = (OpType::Deposit, true);
		for (op_type, refunded) in OpType::ALL
			.map(|t| (t, false))
			.into_iter()
			.chain([refunded_deposit])
		{
			let mut op = vec![0xa5u8; op_type.data_bytes()];
			op[0] = op_type as u8;
			// Keep ids within ACCOUNT_ID_BITS bits and tokens within TOKEN_ID_BITS bits; a
			// Deposit's flags byte is 0, or 1 with account 0.
			let mut offset = 1;
			for &(field, width) in layout(op_type) {
				match field {
					Field::AccountB if refunded => op[offset..offset + width].fill(0),
					Field::AccountA | Field::AccountB => op[offset] = 0,
					Field::Token => op[offset] = 0,
					Field::Refunded => op[offset] = u8::from(refunded),
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
	fn writes_the_native_pubdata_of_every_chunk_of_every_op_kind() {
		for op in samples() {
			let native = op.pubdata();
			for (part, expected) in native.chunks(CHUNK_BYTES).enumerate() {
				let fields = SlotFields {
					part: part as u8,
					..SlotFields::of(&op)
				};
				let (bytes, satisfied, _) = gadget_pubdata(&fields);
				assert_eq!(bytes, expected, "{:?} part {part}", op.op().op_type());
				assert!(satisfied);
			}
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
		assert_ne!(bytes, op.pubdata());
		assert_eq!(bytes[0], OpType::Withdraw as u8);
	}

	#[test]
	fn an_unknown_op_type_or_a_part_beyond_the_ops_chunks_is_unsatisfiable() {
		let deposit = SlotFields::of(&samples()[OpType::Deposit as usize]);
		let unknown = SlotFields {
			op_type: 7,
			..deposit
		};
		assert!(!gadget_pubdata(&unknown).1);
		// A Deposit has three chunks, a Transfer one.
		for (fields, part, satisfiable) in [(deposit, 2, true), (deposit, 3, false)] {
			let fields = SlotFields { part, ..fields };
			assert_eq!(gadget_pubdata(&fields).1, satisfiable, "part {part}");
		}
		let transfer = SlotFields {
			part: 1,
			..SlotFields::of(&samples()[OpType::Transfer as usize])
		};
		assert!(!gadget_pubdata(&transfer).1);
	}

	#[test]
	fn a_float_has_a_value_only_in_its_canonical_packing() {
		// Per format: the smallest exponents, a mantissa at both ends of the canonical range
		// (10 · m ≥ 2^width) with an exponent, and m · 10^e written as (10 · m) · 10^(e − 1)
		// or (m / 10) · 10^(e + 1).
		for (format, field) in [
			(float::FEE, Field::PackedFee),
			(float::AMOUNT, Field::PackedAmount),
		] {
			let width = format.mantissa_bits;
			let lowest_canonical = (1u64 << width).div_ceil(10);
			let max = (1u64 << width) - 1;
			let pack = |mantissa: u64, exponent: u64| mantissa << float::EXPONENT_BITS | exponent;
			for packed in [
				pack(0, 0),
				pack(7, 0),
				pack(max, 0),
				pack(lowest_canonical, 1),
				pack(lowest_canonical - 1, 1),
				pack(max, 3),
				pack(0, 2),
				pack(70, 0),
				pack(7, 1),
				pack(max / 10 * 10, 0),
				pack(max / 10, 1),
			] {
				let canonical = (packed & 31) == 0 || (packed >> float::EXPONENT_BITS) * 10 > max;
				if let Some(value) = format.unpack(packed) {
					assert_eq!(canonical, format.pack(value) == Some(packed), "{packed:#x}");
				}
				let fields = match field {
					Field::PackedFee => SlotFields {
						packed_fee: packed,
						..SlotFields::default()
					},
					_ => SlotFields {
						packed_amount: packed,
						..SlotFields::default()
					},
				};
				let cs = ConstraintSystem::<Fr>::new_ref();
				let var = SlotFieldsVar::new_witness(cs.clone(), &fields).unwrap();
				let value = var.float_value(field).unwrap().value().unwrap();
				assert_eq!(cs.is_satisfied().unwrap(), canonical, "{packed:#x}");
				if let Some(expected) = format.unpack(packed) {
					assert_eq!(value, Fr::from(expected), "{packed:#x}");
				}
			}
		}
	}

	#[test]
	fn constraint_count() {
		let (_, _, constraints) = gadget_pubdata(&SlotFields::default());
		assert!(constraints < 2_000, "{constraints}");
	}
}
