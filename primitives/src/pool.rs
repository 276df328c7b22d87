//! Constant-product pools (the AMM of `docs/design-v2.md`): the arithmetic of a swap, of adding
//! and of removing liquidity, each rounding in the pool's favour, so that `k = reserve_a ·
//! reserve_b` never decreases on a swap and the value of an LP share (`√k / supply`) never
//! decreases on any op. The state transition function applies these rules to pool accounts;
//! the batch circuit checks the same inequalities.
//!
//! Reserves stay below [`RESERVE_LIMIT`] (`2^112`, as Uniswap V2's), so that every product the
//! circuit forms, `reserve · reserve · 10^4`, stays below `2^238`, far from the BN254 scalar
//! field's size, and every figure here fits a 256-bit integer.

use core::{cmp::Ordering, fmt};

/// Reserves (and so amounts into a pool and LP supplies) stay below `2^112`.
pub const RESERVE_LIMIT: u128 = 1 << 112;
/// Fees are in basis points of the input: `fee_bps / 10,000`.
pub const FEE_DENOMINATOR: u128 = 10_000;
/// The highest fee a pool may charge: 10 %.
pub const MAX_FEE_BPS: u16 = 1_000;
/// LP units minted by a pool's first deposit and owned by nobody, so the supply never returns
/// to zero and no first depositor can price a share so high that later deposits round to
/// nothing (Uniswap V2's rule).
pub const MINIMUM_LIQUIDITY: u128 = 1_000;

/// A pool's state: its reserves of its two tokens (`a` below `b` by token id), the supply of
/// its LP token outstanding, and its fee on swaps' inputs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Pool {
	pub reserve_a: u128,
	pub reserve_b: u128,
	pub lp_supply: u128,
	pub fee_bps: u16,
}

/// Which way a swap goes: in token `a`, out token `b`, or the reverse.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
	AToB,
	BToA,
}

/// Why a pool refuses an op; nothing changes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PoolError {
	/// An amount in (or LP units to burn) of 0.
	ZeroAmount,
	/// The op would give out less than the minimum its signer set.
	SlippageExceeded { got: u128, minimum: u128 },
	/// The pool holds no liquidity to swap against or withdraw, or the op would give out
	/// nothing.
	InsufficientLiquidity,
	/// A reserve would reach [`RESERVE_LIMIT`].
	ReserveOverflow,
	/// More LP units burned than the supply holds besides [`MINIMUM_LIQUIDITY`].
	ExcessiveBurn { burned: u128, burnable: u128 },
	/// A first deposit whose `√(a · b)` does not exceed [`MINIMUM_LIQUIDITY`].
	InitialLiquidityTooSmall,
	/// A fee above [`MAX_FEE_BPS`].
	FeeTooHigh(u16),
}

impl fmt::Display for PoolError {
	fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
		match self {
			PoolError::ZeroAmount => f.write_str("the amount is 0"),
			PoolError::SlippageExceeded { got, minimum } => {
				write!(f, "the op would give {got}, below the minimum {minimum}")
			}
			PoolError::InsufficientLiquidity => {
				f.write_str("the pool has not enough liquidity for the op")
			}
			PoolError::ReserveOverflow => {
				write!(f, "a reserve would reach 2^112, the most a pool holds")
			}
			PoolError::ExcessiveBurn { burned, burnable } => {
				write!(f, "burning {burned} LP units, at most {burnable} can be")
			}
			PoolError::InitialLiquidityTooSmall => write!(
				f,
				"a first deposit must mint more than {MINIMUM_LIQUIDITY} LP units (√(a·b))"
			),
			PoolError::FeeTooHigh(fee) => {
				write!(
					f,
					"a fee of {fee} bps is above the {MAX_FEE_BPS} bps allowed"
				)
			}
		}
	}
}

/// A swap's outcome.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Swapped {
	pub pool: Pool,
	pub amount_out: u128,
}

/// What a swap would give, for wallets and the quote RPC: the output and how far the swap's
/// price (fee included) is from the pool's price, in basis points, rounded up.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Quote {
	pub amount_out: u128,
	pub price_impact_bps: u32,
}

/// An addition of liquidity's outcome: the amounts taken (at most those offered) and the LP
/// units minted to the provider.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Added {
	pub pool: Pool,
	pub used_a: u128,
	pub used_b: u128,
	pub minted: u128,
}

/// A removal of liquidity's outcome: the amounts paid out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Removed {
	pub pool: Pool,
	pub out_a: u128,
	pub out_b: u128,
}

impl Pool {
	/// An empty pool charging `fee_bps`.
	pub fn new(fee_bps: u16) -> Result<Pool, PoolError> {
		if fee_bps > MAX_FEE_BPS {
			return Err(PoolError::FeeTooHigh(fee_bps));
		}
		Ok(Pool {
			fee_bps,
			..Pool::default()
		})
	}

	fn reserves(&self, direction: Direction) -> (u128, u128) {
		match direction {
			Direction::AToB => (self.reserve_a, self.reserve_b),
			Direction::BToA => (self.reserve_b, self.reserve_a),
		}
	}

	fn with_reserves(&self, direction: Direction, reserve_in: u128, reserve_out: u128) -> Pool {
		let (reserve_a, reserve_b) = match direction {
			Direction::AToB => (reserve_in, reserve_out),
			Direction::BToA => (reserve_out, reserve_in),
		};
		Pool {
			reserve_a,
			reserve_b,
			..*self
		}
	}

	/// What a swap of exactly `amount_in` gives out: `r_out · x / (r_in · 10^4 + x)` rounded
	/// down, with `x = amount_in · (10^4 − fee)`: the most for which
	/// `(r_in · 10^4 + x) · (r_out − out) ≥ r_in · r_out · 10^4`, the inequality the circuit
	/// checks. The whole input, fee included, joins the reserve.
	pub fn swap(
		&self,
		direction: Direction,
		amount_in: u128,
		min_out: u128,
	) -> Result<Swapped, PoolError> {
		if amount_in == 0 {
			return Err(PoolError::ZeroAmount);
		}
		let (reserve_in, reserve_out) = self.reserves(direction);
		if reserve_in == 0 || reserve_out == 0 {
			return Err(PoolError::InsufficientLiquidity);
		}
		let new_in = reserve_in
			.checked_add(amount_in)
			.filter(|&r| r < RESERVE_LIMIT)
			.ok_or(PoolError::ReserveOverflow)?;
		// Below 2^112 · 10^4 < 2^126 each, so the sum fits.
		let x = amount_in * (FEE_DENOMINATOR - u128::from(self.fee_bps));
		let amount_out = U256::mul(reserve_out, x).div(reserve_in * FEE_DENOMINATOR + x);
		if amount_out == 0 {
			return Err(PoolError::InsufficientLiquidity);
		}
		if amount_out < min_out {
			return Err(PoolError::SlippageExceeded {
				got: amount_out,
				minimum: min_out,
			});
		}
		Ok(Swapped {
			pool: self.with_reserves(direction, new_in, reserve_out - amount_out),
			amount_out,
		})
	}

	/// The quote of a swap of exactly `amount_in`: what [`swap`](Self::swap) would give, and
	/// `10^4 · (1 − (out / in) / (r_out / r_in))`, the price impact with the fee, never
	/// understated.
	pub fn quote(&self, direction: Direction, amount_in: u128) -> Result<Quote, PoolError> {
		let amount_out = self.swap(direction, amount_in, 0)?.amount_out;
		let (reserve_in, reserve_out) = self.reserves(direction);
		// out · r_in / r_out ≤ in: the output valued at the pool's price, rounded down.
		let valued = U256::mul(amount_out, reserve_in).div(reserve_out);
		let kept_bps = valued * FEE_DENOMINATOR / amount_in;
		Ok(Quote {
			amount_out,
			price_impact_bps: (FEE_DENOMINATOR - kept_bps) as u32,
		})
	}

	/// Adds liquidity from at most `max_a` and `max_b`. The first deposit takes both and sets
	/// the price, minting `√(a · b)` LP units of which [`MINIMUM_LIQUIDITY`] stay with nobody;
	/// later ones take the offered amount of one token and the amount of the other that keeps
	/// the price (rounded up), and mint `min(used_a · S / R_a, used_b · S / R_b)` (rounded
	/// down). Refused if a taken amount is below its minimum.
	pub fn add_liquidity(
		&self,
		max_a: u128,
		max_b: u128,
		min_a: u128,
		min_b: u128,
	) -> Result<Added, PoolError> {
		if max_a == 0 || max_b == 0 {
			return Err(PoolError::ZeroAmount);
		}
		let first = self.lp_supply == 0;
		let (used_a, used_b) = if first {
			(max_a, max_b)
		} else {
			// The b that keeps the price for all of max_a; past 2^128 it is more than max_b.
			match U256::mul(max_a, self.reserve_b).checked_div_ceil(self.reserve_a) {
				Some(b_for_a) if b_for_a <= max_b => (max_a, b_for_a),
				// Then max_b · R_a / R_b < max_a: the quotient fits.
				_ => (
					U256::mul(max_b, self.reserve_a)
						.checked_div_ceil(self.reserve_b)
						.ok_or(PoolError::ReserveOverflow)?,
					max_b,
				),
			}
		};
		for (got, minimum) in [(used_a, min_a), (used_b, min_b)] {
			if got < minimum {
				return Err(PoolError::SlippageExceeded { got, minimum });
			}
		}
		let grown = |reserve: u128, used: u128| {
			reserve
				.checked_add(used)
				.filter(|&r| r < RESERVE_LIMIT)
				.ok_or(PoolError::ReserveOverflow)
		};
		let (reserve_a, reserve_b) = (
			grown(self.reserve_a, used_a)?,
			grown(self.reserve_b, used_b)?,
		);
		let minted = if first {
			let root = U256::mul(used_a, used_b).isqrt();
			if root <= MINIMUM_LIQUIDITY {
				return Err(PoolError::InitialLiquidityTooSmall);
			}
			root - MINIMUM_LIQUIDITY
		} else {
			// S ≤ √(R_a · R_b) (every op keeps it), so the smaller share is at most the amount
			// used and fits; the other may not, and is then not the smaller.
			[
				U256::mul(used_a, self.lp_supply).checked_div(self.reserve_a),
				U256::mul(used_b, self.lp_supply).checked_div(self.reserve_b),
			]
			.into_iter()
			.flatten()
			.min()
			.ok_or(PoolError::ReserveOverflow)?
		};
		if minted == 0 {
			return Err(PoolError::InsufficientLiquidity);
		}
		Ok(Added {
			pool: Pool {
				reserve_a,
				reserve_b,
				lp_supply: self.lp_supply + minted + if first { MINIMUM_LIQUIDITY } else { 0 },
				fee_bps: self.fee_bps,
			},
			used_a,
			used_b,
			minted,
		})
	}

	/// Burns `lp` LP units for `lp · R / S` of each reserve (rounded down), refused below the
	/// minimums or beyond the supply besides [`MINIMUM_LIQUIDITY`].
	pub fn remove_liquidity(
		&self,
		lp: u128,
		min_a: u128,
		min_b: u128,
	) -> Result<Removed, PoolError> {
		if lp == 0 {
			return Err(PoolError::ZeroAmount);
		}
		let burnable = self.lp_supply.saturating_sub(MINIMUM_LIQUIDITY);
		if lp > burnable {
			return Err(PoolError::ExcessiveBurn {
				burned: lp,
				burnable,
			});
		}
		let out_a = U256::mul(lp, self.reserve_a).div(self.lp_supply);
		let out_b = U256::mul(lp, self.reserve_b).div(self.lp_supply);
		if out_a == 0 || out_b == 0 {
			return Err(PoolError::InsufficientLiquidity);
		}
		for (got, minimum) in [(out_a, min_a), (out_b, min_b)] {
			if got < minimum {
				return Err(PoolError::SlippageExceeded { got, minimum });
			}
		}
		Ok(Removed {
			pool: Pool {
				reserve_a: self.reserve_a - out_a,
				reserve_b: self.reserve_b - out_b,
				lp_supply: self.lp_supply - lp,
				fee_bps: self.fee_bps,
			},
			out_a,
			out_b,
		})
	}
}

/// An unsigned 256-bit integer, as much of one as the pool arithmetic needs: products of two
/// `u128`, their square roots, and quotients by a `u128` that fit a `u128`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct U256 {
	high: u128,
	low: u128,
}

impl Ord for U256 {
	fn cmp(&self, other: &Self) -> Ordering {
		(self.high, self.low).cmp(&(other.high, other.low))
	}
}

impl PartialOrd for U256 {
	fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
		Some(self.cmp(other))
	}
}

impl U256 {
	/// `x · y`, exactly.
	fn mul(x: u128, y: u128) -> U256 {
		const HALF: u32 = 64;
		let mask = u128::from(u64::MAX);
		let (x1, x0) = (x >> HALF, x & mask);
		let (y1, y0) = (y >> HALF, y & mask);
		let (p00, p01, p10, p11) = (x0 * y0, x0 * y1, x1 * y0, x1 * y1);
		// The middle column: three terms below 2^64 each, so no overflow.
		let middle = (p00 >> HALF) + (p01 & mask) + (p10 & mask);
		U256 {
			high: p11 + (p01 >> HALF) + (p10 >> HALF) + (middle >> HALF),
			low: (middle << HALF) | (p00 & mask),
		}
	}

	/// `self / d` rounded down, for a quotient below `2^128` (the callers' quotients are below
	/// one of their factors); by schoolbook binary division.
	fn div(self, d: u128) -> u128 {
		self.div_rem(d).0
	}

	/// `self / d` rounded down, `None` if it does not fit 128 bits.
	fn checked_div(self, d: u128) -> Option<u128> {
		(self.high < d).then(|| self.div_rem(d).0)
	}

	/// `self / d` rounded up, `None` if it does not fit 128 bits.
	fn checked_div_ceil(self, d: u128) -> Option<u128> {
		if self.high >= d {
			return None;
		}
		let (quotient, remainder) = self.div_rem(d);
		quotient.checked_add(u128::from(remainder != 0))
	}

	/// Quotient and remainder, for a quotient below `2^128`.
	///
	/// # Panics
	///
	/// If `d` is 0 or the quotient does not fit: callers bound their operands or use the
	/// checked forms.
	fn div_rem(self, d: u128) -> (u128, u128) {
		assert!(d != 0, "division by zero");
		assert!(self.high < d, "the quotient must fit 128 bits");
		let (mut remainder, mut quotient) = (self.high, 0u128);
		for bit in (0..128).rev() {
			// remainder < d, so shifting it left by one needs one bit more than 128.
			let carry = remainder >> 127;
			remainder = (remainder << 1) | (self.low >> bit & 1);
			if carry == 1 || remainder >= d {
				remainder = remainder.wrapping_sub(d);
				quotient |= 1 << bit;
			}
		}
		(quotient, remainder)
	}

	/// `⌊√self⌋`, by binary search over the result's bits (it is below `2^128`).
	fn isqrt(self) -> u128 {
		let mut root = 0u128;
		for bit in (0..128).rev() {
			let candidate = root | 1 << bit;
			if U256::mul(candidate, candidate) <= self {
				root = candidate;
			}
		}
		root
	}
}

#[cfg(test)]
mod tests {
	use super::*;
	use ark_std::rand::{rngs::StdRng, Rng, SeedableRng};

	#[test]
	fn wide_arithmetic_matches_u128_where_it_fits_and_is_exact_beyond() {
		let mut rng = StdRng::seed_from_u64(1);
		for _ in 0..10_000 {
			let (x, y) = (rng.gen::<u64>() as u128, rng.gen::<u64>() as u128);
			let product = U256::mul(x, y);
			assert_eq!((product.high, product.low), (0, x * y));
			let d = rng.gen_range(1..=u128::from(u64::MAX));
			assert_eq!(product.div(d), x * y / d);
			assert_eq!(product.checked_div_ceil(d), Some((x * y).div_ceil(d)));
			assert_eq!(product.isqrt(), (x * y).isqrt());
		}
		let max = U256::mul(u128::MAX, u128::MAX);
		assert_eq!((max.high, max.low), (u128::MAX - 1, 1));
		assert_eq!(max.div(u128::MAX), u128::MAX);
		assert_eq!(max.checked_div(u128::MAX - 1), None);
		assert_eq!(U256::mul(u128::MAX, 3).checked_div_ceil(3), Some(u128::MAX));
		assert_eq!(U256::mul(u128::MAX, 3).checked_div_ceil(2), None);
		// A quotient of 2^128 − 1 with a remainder: rounding up would pass 2^128.
		let near = U256 {
			high: 6,
			low: u128::MAX,
		};
		assert_eq!(near.div_rem(7), (u128::MAX, 6));
		assert_eq!(near.checked_div_ceil(7), None);
		assert_eq!(max.isqrt(), u128::MAX);
		let big = U256::mul(1 << 111, 3 << 100);
		assert_eq!(big.div(3 << 100), 1 << 111);
		assert_eq!(big.div(1 << 100), 3 << 111);
		// Wide quotients, checked by multiplying back: q · d + r = x · y with r < d.
		for _ in 0..10_000 {
			let (x, y): (u128, u128) = (rng.gen(), rng.gen::<u128>().max(2));
			let d = y - rng.gen_range(0..2);
			let (q, r) = U256::mul(x, y).div_rem(d);
			assert!(r < d);
			let back = U256::mul(q, d);
			let (low, carry) = back.low.overflowing_add(r);
			assert_eq!(
				U256 {
					high: back.high + u128::from(carry),
					low
				},
				U256::mul(x, y)
			);
		}
	}

	fn pool() -> Pool {
		Pool::new(30)
			.unwrap()
			.add_liquidity(1_000_000, 4_000_000, 0, 0)
			.unwrap()
			.pool
	}

	#[test]
	fn a_swap_pays_the_constant_product_output_less_the_fee_rounded_down() {
		let pool = pool();
		assert_eq!(pool.lp_supply, 2_000_000);
		let swapped = pool.swap(Direction::AToB, 10_000, 0).unwrap();
		// 4,000,000 · 99,700,000 / (10^10 + 99,700,000) = 39,486.3…
		assert_eq!(swapped.amount_out, 39_486);
		assert_eq!(
			(swapped.pool.reserve_a, swapped.pool.reserve_b),
			(1_010_000, 4_000_000 - 39_486)
		);
		let back = swapped.pool.swap(Direction::BToA, 39_486, 0).unwrap();
		assert!(back.amount_out < 10_000, "a round trip loses the fees");
		assert_eq!(
			pool.swap(Direction::AToB, 10_000, 39_487),
			Err(PoolError::SlippageExceeded {
				got: 39_486,
				minimum: 39_487
			})
		);
		assert_eq!(pool.swap(Direction::AToB, 0, 0), Err(PoolError::ZeroAmount));
		assert_eq!(
			Pool::new(30).unwrap().swap(Direction::AToB, 5, 0),
			Err(PoolError::InsufficientLiquidity)
		);
		// An input too small to buy one unit.
		assert_eq!(
			pool.swap(Direction::BToA, 3, 0),
			Err(PoolError::InsufficientLiquidity)
		);
		assert_eq!(
			pool.swap(Direction::AToB, RESERVE_LIMIT - 1_000_000, 0),
			Err(PoolError::ReserveOverflow)
		);
	}

	#[test]
	fn a_quote_is_the_swap_and_its_price_impact_fee_included() {
		let pool = pool();
		// 39,486 b for 10,000 a at a pool price of 4: 98.715 % of the value, 129 bps (rounded up).
		assert_eq!(
			pool.quote(Direction::AToB, 10_000),
			Ok(Quote {
				amount_out: 39_486,
				price_impact_bps: 129
			})
		);
		// A small trade costs about the fee (30 bps) and its rounding; a huge one, nearly
		// everything.
		assert_eq!(
			pool.quote(Direction::AToB, 1_000).unwrap().price_impact_bps,
			40
		);
		assert!(
			pool.quote(Direction::AToB, 100_000_000)
				.unwrap()
				.price_impact_bps
				> 9_800
		);
		assert_eq!(pool.quote(Direction::AToB, 0), Err(PoolError::ZeroAmount));
	}

	#[test]
	fn liquidity_is_added_at_the_pools_price_and_removed_pro_rata() {
		let pool = pool();
		// Offered 1,000 a and 5,000 b at a price of 4 b per a: takes 1,000 and 4,000.
		let added = pool.add_liquidity(1_000, 5_000, 1_000, 3_000).unwrap();
		assert_eq!(
			(added.used_a, added.used_b, added.minted),
			(1_000, 4_000, 2_000)
		);
		// Offered 1,000 a and 2,000 b: b limits, a = ⌈2,000 / 4⌉.
		let added = pool.add_liquidity(1_000, 2_000, 0, 0).unwrap();
		assert_eq!(
			(added.used_a, added.used_b, added.minted),
			(500, 2_000, 1_000)
		);
		// ⌈2,001 / 4⌉ = 501 (rounded up, the pool's way); the b share limits what is minted.
		let added = pool.add_liquidity(1_000, 2_001, 0, 0).unwrap();
		assert_eq!(
			(added.used_a, added.used_b, added.minted),
			(501, 2_001, 1_000)
		);
		// Offers past any reserve are refused by name, never a panic.
		assert_eq!(
			pool.add_liquidity(u128::MAX, u128::MAX, 0, 0),
			Err(PoolError::ReserveOverflow)
		);
		assert_eq!(
			pool.add_liquidity(u128::MAX, 1, 0, 0),
			Err(PoolError::InsufficientLiquidity)
		);
		let lopsided = Pool {
			reserve_a: 1,
			reserve_b: 1 << 40,
			lp_supply: 1 << 20,
			fee_bps: 30,
		};
		assert_eq!(
			lopsided.add_liquidity(1 << 100, RESERVE_LIMIT - 1, 0, 0),
			Err(PoolError::ReserveOverflow)
		);
		let odd = Pool {
			reserve_a: 8,
			reserve_b: 134_013,
			lp_supply: 1_035,
			fee_bps: 30,
		};
		assert_eq!(
			odd.add_liquidity(
				20_313_394_486_859_541_296_045_882_559_558_742,
				u128::MAX,
				0,
				0
			),
			Err(PoolError::ReserveOverflow)
		);
		// Burning too little to pay out a unit of both tokens is refused.
		assert_eq!(
			pool.remove_liquidity(1, 0, 0),
			Err(PoolError::InsufficientLiquidity)
		);
		assert_eq!(
			pool.add_liquidity(1_000, 2_000, 600, 0),
			Err(PoolError::SlippageExceeded {
				got: 500,
				minimum: 600
			})
		);
		let removed = pool.remove_liquidity(20_000, 10_000, 40_000).unwrap();
		assert_eq!((removed.out_a, removed.out_b), (10_000, 40_000));
		assert_eq!(
			pool.remove_liquidity(20_000, 10_001, 0),
			Err(PoolError::SlippageExceeded {
				got: 10_000,
				minimum: 10_001
			})
		);
		assert_eq!(
			pool.remove_liquidity(pool.lp_supply, 0, 0),
			Err(PoolError::ExcessiveBurn {
				burned: pool.lp_supply,
				burnable: pool.lp_supply - MINIMUM_LIQUIDITY
			})
		);
		assert_eq!(
			Pool::new(30).unwrap().add_liquidity(1_000, 1_000, 0, 0),
			Err(PoolError::InitialLiquidityTooSmall)
		);
		assert_eq!(
			Pool::new(MAX_FEE_BPS + 1),
			Err(PoolError::FeeTooHigh(MAX_FEE_BPS + 1))
		);
	}

	/// Whether each reserve per LP unit is at least what it was: `R' · S ≥ R · S'` for both
	/// tokens, exactly (products of two `u128`).
	fn per_share_kept(before: &Pool, after: &Pool) -> bool {
		U256::mul(after.reserve_a, before.lp_supply) >= U256::mul(before.reserve_a, after.lp_supply)
			&& U256::mul(after.reserve_b, before.lp_supply)
				>= U256::mul(before.reserve_b, after.lp_supply)
	}

	/// 10,000 random ops on one pool: a swap never lowers `k` nor changes the LP supply, adding
	/// or removing liquidity never lowers either reserve per LP unit, no reserve empties, and
	/// the tokens in and out balance the reserves exactly.
	#[test]
	fn random_ops_never_lower_k_on_a_swap_nor_a_shares_value() {
		let mut rng = StdRng::seed_from_u64(17);
		let mut pool = Pool::new(30)
			.unwrap()
			.add_liquidity(1 << 60, 1 << 62, 0, 0)
			.unwrap()
			.pool;
		let (mut held_lp, mut refused) = (0u128, 0u32);
		for _ in 0..10_000 {
			let before = pool;
			// Amounts up to 2^120, past the reserve limit, so that refusals are exercised too.
			let scale = 1u128 << rng.gen_range(0..120);
			let result = match rng.gen_range(0..4) {
				0 | 1 => {
					let direction = if rng.gen() {
						Direction::AToB
					} else {
						Direction::BToA
					};
					pool.swap(direction, rng.gen_range(1..=scale), 0).map(|s| {
						let k = |p: &Pool| U256::mul(p.reserve_a, p.reserve_b);
						assert!(k(&s.pool) >= k(&before), "a swap lowered k");
						assert_eq!(s.pool.lp_supply, before.lp_supply);
						let (r_in, r_out) = before.reserves(direction);
						let (n_in, n_out) = s.pool.reserves(direction);
						assert!(n_in > r_in && n_out + s.amount_out == r_out);
						s.pool
					})
				}
				2 => pool
					.add_liquidity(rng.gen_range(1..=scale), rng.gen_range(1..=scale), 0, 0)
					.map(|a| {
						held_lp += a.minted;
						assert_eq!(a.pool.reserve_a, before.reserve_a + a.used_a);
						assert_eq!(a.pool.reserve_b, before.reserve_b + a.used_b);
						assert!(per_share_kept(&before, &a.pool), "{before:?} -> {a:?}");
						a.pool
					}),
				_ => {
					let lp = rng.gen_range(0..=held_lp.min(scale));
					pool.remove_liquidity(lp, 0, 0).map(|r| {
						held_lp -= lp;
						assert_eq!(r.pool.reserve_a + r.out_a, before.reserve_a);
						assert_eq!(r.pool.reserve_b + r.out_b, before.reserve_b);
						assert!(per_share_kept(&before, &r.pool), "{before:?} -> {r:?}");
						r.pool
					})
				}
			};
			match result {
				Ok(after) => {
					assert!(after.reserve_a > 0 && after.reserve_b > 0);
					assert!(after.lp_supply >= MINIMUM_LIQUIDITY);
					pool = after;
				}
				Err(_) => refused += 1,
			}
		}
		assert!(refused < 2_000, "{refused} of 10,000 ops refused");
	}
}
