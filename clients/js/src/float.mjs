// Decimal floats as primitives/src/float.rs defines them: how the pubdata packs L2 amounts and
// fees. A float is `mantissa · 10^exponent` with a 5-bit exponent, packed as the integer
// `mantissa << 5 | exponent`. Transfer and TransferToNew amounts are float40s (35-bit
// mantissa), the fee of every L2-signed op (Transfer, TransferToNew, Withdraw, ChangePubKey) a
// float16 (11-bit mantissa). The appchain refuses ops with other amounts (`AmountNotPackable`)
// or fees (`FeeNotPackable`), so a wallet rounds down (`roundDownAmount`, `roundDownFee`)
// before it signs; `signOp` refuses what does not pack. A Withdraw's amount is paid on L1 and
// published whole: any u128.
//
// Values are bigints or safe-integer numbers within u128, as the Rust functions take; results
// are bigints.

/** Bits of every float's exponent: powers of ten up to 10^MAX_EXPONENT. */
const EXPONENT_BITS = 5n;
const MAX_EXPONENT = (1n << EXPONENT_BITS) - 1n;
const U128_BITS = 128n;

/**
 * A float format (`Float` in float.rs): its name, what it packs, its mantissa width, and the
 * function that rounds down to it and the appchain's error for values it does not name (for
 * messages).
 */
function format(name, what, mantissaBits, roundDownName, refusal) {
  const maxMantissa = (1n << mantissaBits) - 1n;
  return { name, what, mantissaBits, maxMantissa, roundDownName, refusal };
}

/** Transfer and TransferToNew amounts (`float::AMOUNT`): 5 bytes, 35-bit mantissa. */
export const AMOUNT_FLOAT = format('float40', 'amount', 35n, 'roundDownAmount',
  'AmountNotPackable');
/** Fees of every L2-signed op (`float::FEE`): 2 bytes, 11-bit mantissa. */
export const FEE_FLOAT = format('float16', 'fee', 11n, 'roundDownFee', 'FeeNotPackable');

/** `value` as a bigint, checked to be a u128 (what the Rust functions take). */
function u128(what, value) {
  if (typeof value === 'number' ? !Number.isSafeInteger(value) : typeof value !== 'bigint') {
    throw new TypeError(`${what}: expected an integer as a bigint or a safe-integer number, `
      + `got ${typeof value} ${value}`);
  }
  const integer = BigInt(value);
  if (integer < 0n || integer >> U128_BITS !== 0n) {
    throw new RangeError(`${what}: ${integer} does not fit in a u128`);
  }
  return integer;
}

/**
 * The packing of `value` in `float` (`Float::pack`): the smallest exponent whose mantissa
 * fits, so every packable value has one packing; null if no mantissa and exponent name it.
 */
function pack(float, value) {
  let mantissa = value;
  let exponent = 0n;
  while (mantissa > float.maxMantissa) {
    if (mantissa % 10n !== 0n || exponent === MAX_EXPONENT) return null;
    mantissa /= 10n;
    exponent += 1n;
  }
  return mantissa << EXPONENT_BITS | exponent;
}

/** The largest value of `float` not above a u128 `value` (`Float::round_down`). */
export function roundDown(float, value) {
  let mantissa = value;
  let exponent = 0n;
  while (mantissa > float.maxMantissa) {
    mantissa /= 10n;
    exponent += 1n;
  }
  if (exponent > MAX_EXPONENT) {
    // Only a fee gets here within u128 (above 2047 · 10^31): the largest fee.
    return float.maxMantissa * 10n ** MAX_EXPONENT;
  }
  return mantissa * 10n ** exponent;
}

/** The value of a packing of `float` (`Float::unpack`), refusing what no packing writes. */
function unpack(float, packed) {
  const bits = float.mantissaBits + EXPONENT_BITS;
  if (typeof packed === 'number' ? !Number.isSafeInteger(packed) : typeof packed !== 'bigint') {
    throw new TypeError(`a packed ${float.what}: expected an integer as a bigint or a `
      + `safe-integer number, got ${typeof packed} ${packed}`);
  }
  const word = BigInt(packed);
  if (word < 0n || word >> bits !== 0n) {
    throw new RangeError(`a packed ${float.what} (${float.name}) has ${bits} bits, got ${word}`);
  }
  const value = (word >> EXPONENT_BITS) * 10n ** (word & MAX_EXPONENT);
  if (value >> U128_BITS !== 0n) {
    throw new RangeError(`packed ${float.what} ${word} names ${value}, beyond u128`);
  }
  return value;
}

/**
 * Why `value` (a u128 that does not pack in `float`) is refused, and the value to use instead:
 * `path` names it (`amount`, `Transfer.fee`), `hint` says how to get the rounded value.
 */
export function notPackableMessage(float, path, value, hint) {
  return `${path}: ${value} is not exactly a ${float.name} ${float.what} (a mantissa below `
    + `2^${float.mantissaBits} times 10^0 to 10^${MAX_EXPONENT}); the largest one below it is `
    + `${roundDown(float, value)}${hint}`;
}

function packChecked(float, value) {
  const integer = u128(float.what, value);
  const packed = pack(float, integer);
  if (packed === null) {
    const error = new RangeError(notPackableMessage(float, float.what, integer,
      ` (${float.roundDownName})`));
    error.value = integer;
    error.rounded = roundDown(float, integer);
    throw error;
  }
  return packed;
}

/** Whether a u128 `value` packs exactly in `float` (`Float::is_packable`). */
export function isPackable(float, value) {
  return pack(float, value) !== null;
}

/**
 * The float40 packing of a Transfer or TransferToNew amount, `mantissa << 5 | exponent` as a
 * bigint (`float::AMOUNT.pack`). Throws a RangeError naming the largest packable amount below
 * `value` (also as its `rounded` property) if `value` does not pack.
 */
export function packAmount(value) {
  return packChecked(AMOUNT_FLOAT, value);
}

/**
 * The float16 packing of an L2-signed op's fee, `mantissa << 5 | exponent` as a bigint
 * (`float::FEE.pack`). Throws a RangeError naming the largest packable fee below `value` (also
 * as its `rounded` property) if `value` does not pack.
 */
export function packFee(value) {
  return packChecked(FEE_FLOAT, value);
}

/** The value of a float40 packing (`float::AMOUNT.unpack`). */
export function unpackAmount(packed) {
  return unpack(AMOUNT_FLOAT, packed);
}

/** The value of a float16 packing (`float::FEE.unpack`). */
export function unpackFee(packed) {
  return unpack(FEE_FLOAT, packed);
}

/**
 * The largest amount a Transfer or TransferToNew can carry that is not above `value`
 * (`float::AMOUNT.round_down`): what to sign when asked to send `value`.
 */
export function roundDownAmount(value) {
  return roundDown(AMOUNT_FLOAT, u128('amount', value));
}

/**
 * The largest fee an L2-signed op can pay that is not above `value` (`float::FEE.round_down`);
 * 2047 · 10^31 for anything above it.
 */
export function roundDownFee(value) {
  return roundDown(FEE_FLOAT, u128('fee', value));
}

/** Whether `value` (a u128) is exactly a float40 amount. */
export function isPackableAmount(value) {
  return isPackable(AMOUNT_FLOAT, u128('amount', value));
}

/** Whether `value` (a u128) is exactly a float16 fee. */
export function isPackableFee(value) {
  return isPackable(FEE_FLOAT, u128('fee', value));
}
