//! Decimal floats: how the pubdata packs L2 amounts and fees.
//!
//! A float is `mantissa · 10^exponent` with a 5-bit exponent, written as the big-endian integer
//! `mantissa << 5 | exponent`. Transfer amounts take 40 bits ([`AMOUNT`]: 35-bit mantissa),
//! every fee 16 bits ([`FEE`]: 11-bit mantissa), as zkSync Lite packs them, so a transfer fits
//! in one 16-byte pubdata chunk. Only amounts a float names exactly are valid in those ops: the
//! STF refuses the others, and wallets round down before signing
//! ([`Float::round_down`]; `packAmount` and `packFee` in clients/js). Amounts that an L1
//! contract pays or takes stay 16 bytes.

/// Bits of every float's exponent: powers of ten up to `10^MAX_EXPONENT`.
pub const EXPONENT_BITS: u32 = 5;
/// The largest exponent.
pub const MAX_EXPONENT: u32 = (1 << EXPONENT_BITS) - 1;

/// A float format: its mantissa width (the exponent always takes [`EXPONENT_BITS`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Float {
	pub mantissa_bits: u32,
}

/// Transfer and TransferToNew amounts: 5 bytes, up to `(2^35 − 1) · 10^31`, within `u128` up
/// to `u128::MAX`'s leading 11 digits.
pub const AMOUNT: Float = Float { mantissa_bits: 35 };
/// Fees of every L2-signed op: 2 bytes, 11-bit mantissa.
pub const FEE: Float = Float { mantissa_bits: 11 };

impl Float {
	/// The packed width in bytes.
	pub const fn bytes(self) -> usize {
		((self.mantissa_bits + EXPONENT_BITS) / 8) as usize
	}

	/// The largest mantissa.
	pub const fn max_mantissa(self) -> u128 {
		(1 << self.mantissa_bits) - 1
	}

	/// The exact packing of `value`, or `None` if no mantissa and exponent name it: the
	/// smallest exponent whose mantissa fits, so every packable value has one packing.
	pub fn pack(self, value: u128) -> Option<u64> {
		let (mut mantissa, mut exponent) = (value, 0u32);
		while mantissa > self.max_mantissa() {
			if mantissa % 10 != 0 || exponent == MAX_EXPONENT {
				return None;
			}
			mantissa /= 10;
			exponent += 1;
		}
		Some((mantissa as u64) << EXPONENT_BITS | u64::from(exponent))
	}

	/// The value of a packing, `None` if the packing has bits beyond the format's width or its
	/// value exceeds `u128::MAX`.
	pub fn unpack(self, packed: u64) -> Option<u128> {
		if packed >> (self.mantissa_bits + EXPONENT_BITS) != 0 {
			return None;
		}
		let exponent = (packed & ((1 << EXPONENT_BITS) - 1)) as u32;
		10u128
			.checked_pow(exponent)?
			.checked_mul(u128::from(packed >> EXPONENT_BITS))
	}

	/// The largest packable value not above `value`: what a wallet signs when asked for
	/// `value`.
	pub fn round_down(self, value: u128) -> u128 {
		let (mut mantissa, mut exponent) = (value, 0u32);
		while mantissa > self.max_mantissa() {
			mantissa /= 10;
			exponent += 1;
		}
		if exponent > MAX_EXPONENT {
			// Only a narrow format gets here (a fee above 2047 · 10^31), whose largest value
			// fits in u128.
			return self.max_mantissa() * 10u128.pow(MAX_EXPONENT);
		}
		mantissa * 10u128.pow(exponent)
	}

	/// Whether `value` packs exactly.
	pub fn is_packable(self, value: u128) -> bool {
		self.pack(value).is_some()
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn packings_are_exact_and_unique() {
		assert_eq!(AMOUNT.pack(0), Some(0));
		assert_eq!(AMOUNT.pack(1), Some(1 << 5));
		// 2^35 − 1 needs no exponent; 2^35 is not a multiple of ten.
		assert_eq!(AMOUNT.pack((1 << 35) - 1), Some(((1 << 35) - 1) << 5));
		assert_eq!(AMOUNT.pack(1 << 35), None);
		// The smallest exponent whose mantissa fits: 10^18 / 10^8 = 10^10 < 2^35.
		assert_eq!(AMOUNT.pack(10u128.pow(18)), Some(10u64.pow(10) << 5 | 8));
		assert_eq!(AMOUNT.pack(1_500_000_000_000_000_001), None);
		assert_eq!(FEE.pack(2047), Some(2047 << 5));
		assert_eq!(FEE.pack(2048), None);
		assert_eq!(FEE.pack(20_480), None);
		assert_eq!(FEE.pack(20_470), Some(2047 << 5 | 1));
		for value in [0, 7, 10, 999_990_000, 10u128.pow(18), 123 * 10u128.pow(30)] {
			for format in [AMOUNT, FEE] {
				if let Some(packed) = format.pack(value) {
					assert_eq!(format.unpack(packed), Some(value));
				}
			}
		}
	}

	#[test]
	fn unpacking_refuses_what_no_packing_writes() {
		assert_eq!(FEE.unpack(1 << 16), None);
		assert_eq!(AMOUNT.unpack(1 << 40), None);
		// (2^35 − 1) · 10^31 exceeds u128::MAX.
		assert_eq!(AMOUNT.unpack(u64::MAX >> 24), None);
		assert_eq!(FEE.unpack(u64::from(u16::MAX)), Some(2047 * 10u128.pow(31)));
		// A non-canonical packing still names its value (the pubdata is the appchain's, which
		// only writes canonical ones).
		assert_eq!(AMOUNT.unpack(10 << 5), AMOUNT.unpack(1 << 5 | 1));
	}

	#[test]
	fn rounding_down_gives_the_largest_packable_value() {
		assert_eq!(
			AMOUNT.round_down(1_500_000_000_000_000_001),
			1_500_000_000_000_000_000
		);
		assert_eq!(FEE.round_down(123_456), 123_400);
		assert_eq!(FEE.round_down(2047), 2047);
		assert_eq!(FEE.round_down(u128::MAX), 2047 * 10u128.pow(31));
		assert_eq!(
			AMOUNT.round_down(u128::MAX),
			34_028_236_692 * 10u128.pow(28)
		);
		for value in [1, 2048, 999_999, u128::MAX, 10u128.pow(30) + 1] {
			for format in [AMOUNT, FEE] {
				let rounded = format.round_down(value);
				assert!(format.is_packable(rounded) && rounded <= value);
			}
		}
	}
}
