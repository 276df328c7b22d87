// Writes primitives/test-vectors/state.json: state roots of the account and balance trees
// computed with circomlibjs 0.1.7's Poseidon and a separate sparse Merkle tree written here,
// which concord-primitives' `account` and `tree` modules must reproduce exactly. They pin the
// layout the circuits share: leaf order, the account leaf's inputs, the address encoding.
//
// Layout (see primitives/src/account.rs): trees of arity 4, the account tree of depth 12 (2^24
// accounts), balance trees of depth 4 (2^8 tokens), node = Poseidon(c0, c1, c2, c3), base-4
// digit l of the index (bits 2l, 2l+1) selects the child at level l,
// account leaf = Poseidon(nonce, pubkey_x, pubkey_y, l1_address as a big-endian integer,
// balance_root), balance leaf = amount, empty balance leaf = 0.
//
// Usage (from the workspace root, after `npm ci`): node primitives/scripts/gen-state-vectors.mjs

import { writeFileSync, mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { buildEddsa, buildPoseidon } from "circomlibjs";
import { ethers } from "ethers";

const OUT = join(dirname(fileURLToPath(import.meta.url)), "..", "test-vectors", "state.json");
const ACCOUNT_DEPTH = 12;
const BALANCE_DEPTH = 4;

const poseidon = await buildPoseidon();
const eddsa = await buildEddsa();
const F = poseidon.F;
const H = (...inputs) => F.toObject(poseidon(inputs));
const keccak = (label) => ethers.utils.arrayify(ethers.utils.keccak256(ethers.utils.toUtf8Bytes(label)));

// A sparse Merkle tree: leaves in a Map, the root recomputed level by level from the written
// leaves only, every other node being the empty subtree of its level.
class Tree {
	constructor(depth, emptyLeaf) {
		this.depth = depth;
		this.leaves = new Map();
		this.empty = [emptyLeaf];
		for (let l = 0; l < depth; l++) this.empty.push(H(...Array(4).fill(this.empty[l])));
	}
	set(index, leaf) {
		this.leaves.set(BigInt(index), leaf);
	}
	root() {
		let level = new Map(this.leaves);
		for (let l = 0; l < this.depth; l++) {
			const next = new Map();
			for (const index of level.keys()) {
				const parent = index >> 2n;
				if (next.has(parent)) continue;
				const children = [0n, 1n, 2n, 3n].map((k) => level.get(parent * 4n + k) ?? this.empty[l]);
				next.set(parent, H(...children));
			}
			level = next;
		}
		return level.get(0n) ?? this.empty[this.depth];
	}
}

const EMPTY_ACCOUNT = { nonce: 0n, pubkey: [0n, 0n], l1_address: "00".repeat(20) };
const accountLeaf = (account, balanceRoot) =>
	H(account.nonce, account.pubkey[0], account.pubkey[1], BigInt("0x" + account.l1_address), balanceRoot);

const emptyBalanceRoot = new Tree(BALANCE_DEPTH, 0n).root();
const emptyAccountLeaf = accountLeaf(EMPTY_ACCOUNT, emptyBalanceRoot);
const accountTree = new Tree(ACCOUNT_DEPTH, emptyAccountLeaf);
const emptyRoot = accountTree.root();

const accounts = new Map();
const balanceTrees = new Map();
const accountOf = (id) => accounts.get(id) ?? EMPTY_ACCOUNT;
const balanceTreeOf = (id) => {
	if (!balanceTrees.has(id)) balanceTrees.set(id, new Tree(BALANCE_DEPTH, 0n));
	return balanceTrees.get(id);
};
const refresh = (id) => accountTree.set(id, accountLeaf(accountOf(id), balanceTreeOf(id).root()));

const pubkeyOf = (label) => eddsa.prv2pub(Buffer.from(keccak(label))).map((c) => F.toObject(c));
const MAX_ACCOUNT = 4 ** ACCOUNT_DEPTH - 1;
const MAX_AMOUNT = (1n << 128n) - 1n;
const operations = [
	{ set_account: { id: 0, nonce: 0n, pubkey: [0n, 0n], l1_address: "11".repeat(20) } },
	{ set_balance: { id: 0, token: 0, amount: 1000n } },
	{ set_balance: { id: 0, token: 255, amount: MAX_AMOUNT } },
	{ set_account: { id: 0, nonce: 1n, pubkey: pubkeyOf("state/key/0"), l1_address: "11".repeat(20) } },
	{ set_account: { id: MAX_ACCOUNT, nonce: 4294967295n, pubkey: pubkeyOf("state/key/1"), l1_address: "ff".repeat(20) } },
	{ set_balance: { id: MAX_ACCOUNT, token: 17, amount: 5n } },
	{ set_balance: { id: 3, token: 1, amount: 42n } },
	{ set_balance: { id: 0, token: 0, amount: 0n } },
	{ set_account: { id: 1234567, nonce: 9n, pubkey: pubkeyOf("state/key/2"), l1_address: ethers.utils.hexlify(keccak("state/address")).slice(2, 42) } },
	{ set_balance: { id: 3, token: 1, amount: 0n } },
];

const steps = operations.map((op) => {
	let id;
	if (op.set_account) {
		const { id: accountId, ...fields } = op.set_account;
		id = accountId;
		accounts.set(id, fields);
	} else {
		id = op.set_balance.id;
		balanceTreeOf(id).set(op.set_balance.token, op.set_balance.amount);
	}
	refresh(id);
	const stringify = (value) =>
		typeof value === "bigint" ? value.toString() : Array.isArray(value) ? value.map(stringify) : value;
	const operation = Object.fromEntries(
		Object.entries(op).map(([kind, args]) => [
			kind,
			Object.fromEntries(Object.entries(args).map(([k, v]) => [k, stringify(v)])),
		]),
	);
	return {
		...operation,
		balance_root: balanceTreeOf(id).root().toString(),
		account_leaf: accountLeaf(accountOf(id), balanceTreeOf(id).root()).toString(),
		root: accountTree.root().toString(),
	};
});

const vectors = {
	about:
		"Generated by primitives/scripts/gen-state-vectors.mjs with circomlibjs 0.1.7 Poseidon; field elements " +
		"and integers are decimal strings, addresses are hex. Each step applies one operation to the state left by the previous ones.",
	empty_balance_root: emptyBalanceRoot.toString(),
	empty_account_leaf: emptyAccountLeaf.toString(),
	empty_account_tree_root: emptyRoot.toString(),
	steps,
};

mkdirSync(dirname(OUT), { recursive: true });
writeFileSync(OUT, JSON.stringify(vectors, null, "\t") + "\n");
console.log(`wrote ${OUT}: ${steps.length} steps`);
// circomlibjs keeps worker threads for its wasm field; they would keep node alive.
process.exit(0);
