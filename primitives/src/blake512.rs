//! BLAKE-512, the SHA-3 finalist (not BLAKE2).
//!
//! circomlibjs derives EdDSA secret scalars and nonces with BLAKE-512 (npm `blake-hash`), so
//! Concord needs the same function to reproduce circomlibjs keys and signatures. No maintained
//! `no_std` crate provides it, and it is small: this is the final-round specification (16
//! rounds, rotations 32/25/16/11), one-shot, with a zero salt.

const IV: [u64; 8] = [
	0x6a09e667f3bcc908,
	0xbb67ae8584caa73b,
	0x3c6ef372fe94f82b,
	0xa54ff53a5f1d36f1,
	0x510e527fade682d1,
	0x9b05688c2b3e6c1f,
	0x1f83d9abfb41bd6b,
	0x5be0cd19137e2179,
];

/// The first digits of π, BLAKE-512's round constants.
const C: [u64; 16] = [
	0x243f6a8885a308d3,
	0x13198a2e03707344,
	0xa4093822299f31d0,
	0x082efa98ec4e6c89,
	0x452821e638d01377,
	0xbe5466cf34e90c6c,
	0xc0ac29b7c97c50dd,
	0x3f84d5b5b5470917,
	0x9216d5d98979fb1b,
	0xd1310ba698dfb5ac,
	0x2ffd72dbd01adfb7,
	0xb8e1afed6a267e96,
	0xba7c9045f12c7f99,
	0x24a19947b3916cf7,
	0x0801f2e2858efc16,
	0x636920d871574e69,
];

const SIGMA: [[usize; 16]; 10] = [
	[0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15],
	[14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3],
	[11, 8, 12, 0, 5, 2, 15, 13, 10, 14, 3, 6, 7, 1, 9, 4],
	[7, 9, 3, 1, 13, 12, 11, 14, 2, 6, 5, 10, 4, 0, 15, 8],
	[9, 0, 5, 7, 2, 4, 10, 15, 14, 1, 11, 12, 6, 8, 3, 13],
	[2, 12, 6, 10, 0, 11, 8, 3, 4, 13, 7, 5, 15, 14, 1, 9],
	[12, 5, 1, 15, 14, 13, 4, 10, 0, 7, 6, 3, 9, 2, 8, 11],
	[13, 11, 7, 14, 12, 1, 3, 9, 5, 0, 15, 4, 8, 6, 2, 10],
	[6, 15, 14, 9, 11, 3, 0, 8, 12, 2, 13, 7, 1, 4, 10, 5],
	[10, 2, 8, 4, 7, 6, 1, 5, 15, 11, 9, 14, 3, 12, 13, 0],
];

const BLOCK: usize = 128;

/// Offset of the 128-bit message length in the last block; the bit before it is set to 1.
const LENGTH_AT: usize = 112;

/// BLAKE-512 of `data`.
pub fn blake512(data: &[u8]) -> [u8; 64] {
	let mut h = IV;
	let bits = (data.len() as u128) * 8;
	let mut blocks = data.chunks_exact(BLOCK);
	let mut counted: u128 = 0;
	for block in &mut blocks {
		counted += (BLOCK as u128) * 8;
		compress(
			&mut h,
			block.try_into().expect("chunks_exact yields full blocks"),
			counted,
		);
	}
	let rest = blocks.remainder();

	// Padding: a 1 bit, zeros, a 1 bit, then the length, so that the length ends the block.
	// A block that holds no message bit is compressed with a zero counter.
	let mut last = [0u8; BLOCK];
	last[..rest.len()].copy_from_slice(rest);
	last[rest.len()] = 0x80;
	if rest.len() >= LENGTH_AT {
		compress(&mut h, &last, bits);
		last = [0u8; BLOCK];
		finish_block(&mut last, bits);
		compress(&mut h, &last, 0);
	} else {
		finish_block(&mut last, bits);
		compress(&mut h, &last, if rest.is_empty() { 0 } else { bits });
	}

	let mut out = [0u8; 64];
	for (chunk, word) in out.chunks_exact_mut(8).zip(h) {
		chunk.copy_from_slice(&word.to_be_bytes());
	}
	out
}

fn finish_block(block: &mut [u8; BLOCK], bits: u128) {
	block[LENGTH_AT - 1] |= 0x01;
	block[LENGTH_AT..].copy_from_slice(&bits.to_be_bytes());
}

fn compress(h: &mut [u64; 8], block: &[u8; BLOCK], counter: u128) {
	let mut m = [0u64; 16];
	for (word, bytes) in m.iter_mut().zip(block.chunks_exact(8)) {
		*word = u64::from_be_bytes(bytes.try_into().expect("8-byte chunk"));
	}
	let (t0, t1) = (counter as u64, (counter >> 64) as u64);
	let mut v = [0u64; 16];
	v[..8].copy_from_slice(h);
	v[8..].copy_from_slice(&C[..8]);
	v[12] ^= t0;
	v[13] ^= t0;
	v[14] ^= t1;
	v[15] ^= t1;

	for round in 0..16 {
		let s = &SIGMA[round % 10];
		let mut g = |a: usize, b: usize, c: usize, d: usize, i: usize| {
			let (x, y) = (s[2 * i], s[2 * i + 1]);
			v[a] = v[a].wrapping_add(v[b]).wrapping_add(m[x] ^ C[y]);
			v[d] = (v[d] ^ v[a]).rotate_right(32);
			v[c] = v[c].wrapping_add(v[d]);
			v[b] = (v[b] ^ v[c]).rotate_right(25);
			v[a] = v[a].wrapping_add(v[b]).wrapping_add(m[y] ^ C[x]);
			v[d] = (v[d] ^ v[a]).rotate_right(16);
			v[c] = v[c].wrapping_add(v[d]);
			v[b] = (v[b] ^ v[c]).rotate_right(11);
		};
		g(0, 4, 8, 12, 0);
		g(1, 5, 9, 13, 1);
		g(2, 6, 10, 14, 2);
		g(3, 7, 11, 15, 3);
		g(0, 5, 10, 15, 4);
		g(1, 6, 11, 12, 5);
		g(2, 7, 8, 13, 6);
		g(3, 4, 9, 14, 7);
	}

	for i in 0..8 {
		h[i] ^= v[i] ^ v[i + 8];
	}
}

#[cfg(test)]
mod tests {
	use super::blake512;

	/// The two BLAKE-512 examples of the BLAKE submission document (one and two blocks).
	#[test]
	fn specification_examples() {
		assert_eq!(
			hex::encode(blake512(&[0u8])),
			"97961587f6d970faba6d2478045de6d1fabd09b61ae50932054d52bc29d31be4\
			ff9102b9f69e2bbdb83be13d4b9c06091e5fa0b48bd081b634058be0ec49beb3"
		);
		assert_eq!(
			hex::encode(blake512(&[0u8; 144])),
			"313717d608e9cf758dcb1eb0f0c3cf9fc150b2d500fb33f51c52afc99d358a2f\
			1374b8a38bba7974e7f6ef79cab16f22ce1e649d6e01ad9589c213045d545dde"
		);
	}

	#[test]
	fn matches_blake_hash_npm_package() {
		for vector in crate::test_vectors::get()["blake512"].as_array().unwrap() {
			let input = hex::decode(vector["input"].as_str().unwrap()).unwrap();
			assert_eq!(
				hex::encode(blake512(&input)),
				vector["digest"].as_str().unwrap(),
				"input of {} bytes",
				input.len()
			);
		}
	}
}
