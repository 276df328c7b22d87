// The L2 client against concord-primitives, the code the runtime and the prover run.
//
// The expected values in RUST were printed by a throwaway Rust program (not in the repo)
// calling concord-primitives as of commit a48b2be, with the Ethereum key ETH_KEY:
// - keySignature: k256 `SigningKey::sign_prehash_recoverable` (RFC 6979, as ethers signs) of
//   `ops::eth_signed_message_hash(eddsa::L2_KEY_MESSAGE)`, as `r ‖ s ‖ 27 + recovery id`;
// - privateKey: `eddsa::l2_private_key_from_eth_signature(keySignature)`;
// - publicKey, packedPublicKey, coordinates: that key's `public_key()`, `.pack()` and
//   `.to_coordinate_bytes()`;
// - for each op of OPS: `Op::signed_message` (message), `PrivateKey::sign(message).pack()` with
//   privateKey (signature) and `SignedOp { op, signature }.encode()` (scale, its SCALE bytes);
// - for the ChangePubKey: `ChangePubKey::eth_message`, `eth_message_hash`, and the k256
//   signature of that hash with ETH_KEY, which `verify_eth_authorization` accepts.
//
// The test against a node runs when CONCORD_NODE_BIN points at concord-node (scripts/test.sh
// sets it).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { inspect } from 'node:util';
import { ApiPromise, WsProvider } from '@polkadot/api';
// @polkadot/api's own (exactly pinned) dependency: a registry without a node.
import { Metadata, TypeRegistry } from '@polkadot/types';
import { Wallet, getBytes, hashMessage, verifyMessage } from 'ethers6';
import {
  L2_KEY_MESSAGE, authorizeChangePubKey, buildL2Extrinsic, changePubKeyEthMessage, deriveL2Key,
  l2KeyFromEthSignature, signOp, signedMessage, submitL2Op,
} from '../src/l2.mjs';
import { startDevNode } from '../testing/dev-node.mjs';

// The example key of web3.js's `eth.accounts.sign` documentation.
const ETH_KEY = '0x4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318';

const RUST = {
  ethAddress: '0x2c7536e3605d9c16a7a3d7b1898e529396a65c23',
  keySignature: '0xc96fe3554418a14cd7fd148b278d76f01c0b5f15800fd41016753faea820659f'
    + '2bbe3f85dd43e6e7ff9a35ca3c29e01b80098dc57a2b0d00f39cad0e898ee5381b',
  privateKey: '0x82951adb70f70d3331034613ccc2294d2cb5a18281469fa6f2ca23bb7e996525',
  publicKey: {
    x: 8465029118666021261248624124571533976067640273495010122896168696856424823258n,
    y: 20268630684486321461448387461306121746313325518889108130612578654689179701997n,
  },
  packedPublicKey: '0xed927b085822ed57ce06d98d5e10913bad629524d453ffaddb5e530270a3cf2c',
  coordinates: '0xda392dc206de476aaf3c0aa8103371bea734490edff28b5f94601fba6409b712'
    + 'ed927b085822ed57ce06d98d5e10913bad629524d453ffaddb5e530270a3cf2c',
};

const OPS = {
  Transfer: {
    op: {
      Transfer: {
        from: 0x00abcdef, to: 0x00123456, token: 0xc3, amount: (1n << 128n) - 1n - 12_345n,
        fee: 1n << 100n | 7n, nonce: 0xfffffffe,
      },
    },
    message: 16246979048104540804170032945204307622135634232019689124805494200405610997962n,
    signature: '0xcb467c50d37212c3ccf73c8798afe974c228f9ba71d6373005b7b3c0c743d595'
      + '58c96c0666a318bb3282c4ccf6f585d48b9b3bfb821f9c48626edde257bb7605',
    scale: '02efcdab0056341200c300c6cfffffffffffffffffffffffffffff07000000000000000000000010000000'
      + 'feffffffcb467c50d37212c3ccf73c8798afe974c228f9ba71d6373005b7b3c0c743d59558c96c0666a318'
      + 'bb3282c4ccf6f585d48b9b3bfb821f9c48626edde257bb7605',
  },
  TransferToNew: {
    op: {
      TransferToNew: {
        from: 7, toAddress: '0xffeeddccbbaa99887766554433221100a1b2c3d4', token: 2,
        amount: 10n ** 18n, fee: 10n ** 15n, nonce: 3,
      },
    },
    message: 13756088161378594128385112884966799025666063136701203688718392050639982893503n,
    signature: '0x33fb6c145299a0a21057b632998e6b9d277033306c83879b6252dac4cefbc91a'
      + '356a4ad5b106d3ddc8055650eb3b8c301b737dc2d323815046ccfdf6c1e51f02',
    scale: '0307000000ffeeddccbbaa99887766554433221100a1b2c3d40200000064a7b3b6e00d000000000000000000'
      + '80c6a47e8d030000000000000000000300000033fb6c145299a0a21057b632998e6b9d277033306c83879b62'
      + '52dac4cefbc91a356a4ad5b106d3ddc8055650eb3b8c301b737dc2d323815046ccfdf6c1e51f02',
  },
  Withdraw: {
    op: {
      Withdraw: {
        from: 0x00fffffe, toChain: 0xfe, toAddress: '0x8ba1f109551bd432803012645ac136ddd64dba72',
        token: 1, amount: 123_456_789n, fee: 1000n, nonce: 0x80000000,
      },
    },
    message: 3498536808694696240962153657640578954189548940164373206037210855294539914223n,
    signature: '0x01d1c9a6e7c8f2bc79704a4ea285438b70677f67ec4451e4fe71088602b5a715'
      + '349ef0fb4844abf277919f6f6abbe0d5698d6cb62c3aa2493afe9741e4ffbe02',
    scale: '04feffff00fe8ba1f109551bd432803012645ac136ddd64dba72010015cd5b07000000000000000000000000'
      + 'e80300000000000000000000000000000000008001d1c9a6e7c8f2bc79704a4ea285438b70677f67ec4451e4'
      + 'fe71088602b5a715349ef0fb4844abf277919f6f6abbe0d5698d6cb62c3aa2493afe9741e4ffbe02',
  },
  ChangePubKey: {
    op: {
      ChangePubKey: {
        chainId: 3, account: 0x2a, newPubkey: RUST.packedPublicKey, feeToken: 1, fee: 10n, nonce: 0,
      },
    },
    message: 19422503286878858237586886335536866424273247636860958116977336424156349429413n,
    signature: '0xc498ce8b9a74b2e698b4d57be7b3340825147111f3de1e5aec8113a5500d32a0'
      + 'c062092c590eb15fb9e2b1bfeb9e83eca296d3c4604c2e3e44154530afdbb101',
    scale: '05032a000000ed927b085822ed57ce06d98d5e10913bad629524d453ffaddb5e530270a3cf2c01000a000000'
      + '00000000000000000000000000000000c498ce8b9a74b2e698b4d57be7b3340825147111f3de1e5aec8113a5'
      + '500d32a0c062092c590eb15fb9e2b1bfeb9e83eca296d3c4604c2e3e44154530afdbb101',
  },
};

const RUST_ETH_AUTHORIZATION = {
  message: 'Concord: set the L2 key of your account\n'
    + 'key: 0xed927b085822ed57ce06d98d5e10913bad629524d453ffaddb5e530270a3cf2c\n'
    + 'nonce: 0x00000000\naccount: 0x0000002a\nOnly sign this message on a Concord site.',
  hash: '0xcf96b2fcec49181f40bba552e3f4cf4a9cee65f93c0098fd922bc2d3bb66a2ce',
  signature: '0xd77c57d4b3eabd3299884c7ea4f2d17631bf325386fc73e1f0f7ea5c05a52ff3'
    + '01a69172cbe105e6e2d1b84c96cb26b3ce87e74df0ebfdb676566727b92c12c71c',
};

// The runtime's metadata (v16) at spec_version 103, which has Ledger.submit at call index
// [7, 3] and Ledger.change_pubkey at [7, 4]. The test against a node fails if the current
// runtime encodes the extrinsics otherwise; then rewrite the fixture from a dev node with
// `api.runtimeMetadata.toHex()`.
const METADATA = new URL('./fixtures/metadata-spec103.hex', import.meta.url);

const wallet = new Wallet(ETH_KEY);
const hex = (bytes) => `0x${Buffer.from(bytes).toString('hex')}`;

function offlineRegistry() {
  const registry = new TypeRegistry();
  const metadata = new Metadata(registry, readFileSync(METADATA, 'utf8').trim());
  registry.setMetadata(metadata, undefined, undefined, true);
  return registry;
}

/**
 * The general extrinsic of an L2 op with these SCALE-encoded `SignedOp` bytes, by hand: compact
 * length, version byte 0x45 (general, version 5), transaction extension version 0, the explicit
 * extension data (immortal era 0x00, compact nonce 0, compact tip 0) and the call: pallet 7,
 * then `submit` (3) and the `SignedOp`, or with an Ethereum signature `change_pubkey` (4), the
 * `SignedOp` and the signature's 65 bytes.
 */
function expectedExtrinsic(signedOpScale, ethSignature) {
  const call = ethSignature ? `0704${signedOpScale}${ethSignature.slice(2)}` : `0703${signedOpScale}`;
  const body = `4500000000${call}`;
  const length = body.length / 2;
  assert.ok(length >= 64 && length < 1 << 14, 'two-byte compact length');
  const compact = (length << 2) | 1;
  return `0x${hex([compact & 0xff, compact >> 8]).slice(2)}${body}`;
}

describe('L2 key', () => {
  test('ethers signs the key message as k256 does', async () => {
    assert.equal(wallet.address.toLowerCase(), RUST.ethAddress);
    assert.equal(await wallet.signMessage(L2_KEY_MESSAGE), RUST.keySignature);
  });

  test("deriveL2Key gives Rust's key", async () => {
    const key = await deriveL2Key(wallet);
    assert.equal(hex(key.privateKey), RUST.privateKey);
    assert.deepEqual(key.publicKey, RUST.publicKey);
    assert.equal(key.packedPublicKey, RUST.packedPublicKey);
    assert.equal(key.coordinates, RUST.coordinates);
  });

  test('the key does not show in logs', async () => {
    const shown = inspect(await deriveL2Key(wallet), { showHidden: true, depth: 5 });
    assert.ok(!shown.includes(RUST.privateKey.slice(2)), shown);
  });

  test('v as 0/1 gives the same key; other signatures are refused', async () => {
    const rs = RUST.keySignature.slice(0, -2); // v is 0x1b (27)
    assert.equal(hex((await l2KeyFromEthSignature(`${rs}00`)).privateKey), RUST.privateKey);
    await assert.rejects(l2KeyFromEthSignature(rs), /65 bytes r ‖ s ‖ v, got 64/);
    await assert.rejects(l2KeyFromEthSignature(`${rs}1d`), /v is 27 or 28 .* got 29/);
  });

  // Generated with ethers 5 by scripts/gen-test-vectors.mjs and checked by eddsa.rs's
  // `l2_key_derivation_matches_the_javascript_rule`.
  test('matches the l2_key vector of primitives/test-vectors/circomlib.json', async () => {
    const vectors = new URL('../../../primitives/test-vectors/circomlib.json', import.meta.url);
    const vector = JSON.parse(readFileSync(vectors, 'utf8')).l2_key;
    assert.equal(vector.message, L2_KEY_MESSAGE);
    const key = await l2KeyFromEthSignature(`0x${vector.eth_signature}`);
    assert.equal(hex(key.privateKey), `0x${vector.l2_private_key}`);
    const { x, y } = vector.public_key;
    assert.deepEqual(key.publicKey, { x: BigInt(x), y: BigInt(y) });
  });
});

describe('signed ops', () => {
  let key;
  let registry;
  before(async () => {
    key = await deriveL2Key(wallet);
    registry = offlineRegistry();
  });

  for (const [kind, vector] of Object.entries(OPS)) {
    test(`${kind}: signed message, signature and SCALE bytes are Rust's`, async () => {
      assert.equal(await signedMessage(vector.op), vector.message);
      const signed = await signOp(key, vector.op);
      assert.equal(signed.signature, vector.signature);
      // polkadot.js's encoding of the SignedOp inside the ledger call is Rust's SCALE encoding.
      const ethSignature = kind === 'ChangePubKey' ? RUST_ETH_AUTHORIZATION.signature : undefined;
      assert.equal(buildL2Extrinsic(registry, signed, { ethSignature }),
        expectedExtrinsic(vector.scale, ethSignature));
    });
  }

  test('the extrinsic decodes as a general Ledger.submit of the same op', async () => {
    const signed = await signOp(key, OPS.Withdraw.op);
    const extrinsic = registry.createType('Extrinsic', buildL2Extrinsic(registry, signed));
    assert.ok(extrinsic.isGeneral());
    assert.equal(`${extrinsic.method.section}.${extrinsic.method.method}`, 'ledger.submit');
    assert.equal(extrinsic.method.args[0].toHex(), `0x${OPS.Withdraw.scale}`);
  });

  test('a ChangePubKey decodes as Ledger.change_pubkey with the Ethereum signature', async () => {
    const signed = await signOp(key, OPS.ChangePubKey.op);
    const ethSignature = RUST_ETH_AUTHORIZATION.signature;
    const extrinsic = registry.createType('Extrinsic',
      buildL2Extrinsic(registry, signed, { ethSignature }));
    assert.equal(`${extrinsic.method.section}.${extrinsic.method.method}`, 'ledger.changePubkey');
    assert.deepEqual(extrinsic.method.args.map((arg) => arg.toHex()),
      [`0x${OPS.ChangePubKey.scale}`, ethSignature]);
  });

  test('the Ethereum signature goes with a ChangePubKey only, as 65 bytes', async () => {
    const changeKey = await signOp(key, OPS.ChangePubKey.op);
    const transfer = await signOp(key, OPS.Transfer.op);
    const ethSignature = RUST_ETH_AUTHORIZATION.signature;
    // No node: the refusal comes before the node would be asked.
    const offline = { registry, rpc: () => assert.fail('the node was contacted') };
    await assert.rejects(submitL2Op(offline, changeKey),
      /a ChangePubKey needs its owner's Ethereum authorization: pass \{ ethSignature \}/);
    await assert.rejects(submitL2Op(offline, transfer, { ethSignature }),
      /only a ChangePubKey carries an Ethereum authorization, not a Transfer/);
    await assert.rejects(submitL2Op(offline, changeKey, { ethSignature: ethSignature.slice(0, -2) }),
      /ethSignature: an Ethereum signature is 65 bytes r ‖ s ‖ v, got 64/);
    await assert.rejects(submitL2Op(offline, changeKey, { ethSignature: 'signed' }),
      /ethSignature: expected 65 bytes as 0x-hex or a Uint8Array/);
  });

  test('numbers and Uint8Arrays normalise to the same op', async () => {
    const { ChangePubKey: fields } = OPS.ChangePubKey.op;
    const signed = await signOp(key, {
      ChangePubKey: { ...fields, fee: 10, newPubkey: getBytes(fields.newPubkey) },
    });
    assert.deepEqual(signed, {
      op: { ChangePubKey: { ...fields, chainId: 3n, account: 42n, feeToken: 1n, nonce: 0n } },
      signature: OPS.ChangePubKey.signature,
    });
  });

  test('fields outside their Rust types are refused with their path', async () => {
    const { Transfer: transfer } = OPS.Transfer.op;
    const { Withdraw: withdraw } = OPS.Withdraw.op;
    const cases = [
      [{ Transfer: { ...transfer, from: 2 ** 32 } }, /Transfer\.from: 4294967296 does not fit in a u32/],
      [{ Transfer: { ...transfer, token: -1 } }, /Transfer\.token: -1 does not fit in a u16/],
      [{ Transfer: { ...transfer, amount: 1n << 128n } }, /Transfer\.amount: \d+ does not fit in a u128/],
      [{ Transfer: { ...transfer, fee: 2 ** 60 } }, /Transfer\.fee: expected an integer .* safe-integer/],
      [{ Transfer: { ...transfer, nonce: undefined } }, /Transfer\.nonce: expected an integer .*undefined/],
      [{ Withdraw: { ...withdraw, toChain: 256 } }, /Withdraw\.toChain: 256 does not fit in a u8/],
      [{ Withdraw: { ...withdraw, toAddress: '0x1234' } }, /Withdraw\.toAddress: expected 20 bytes, got 2/],
      [{ Withdraw: { ...withdraw, to_address: '0x00' } }, /Withdraw has no field to_address/],
      [{ Deposit: {} }, /Deposit is not an op an L2 key signs/],
      [{ Noop: null }, /Noop is not an op an L2 key signs/],
      [{ ...OPS.Transfer.op, ...OPS.Withdraw.op }, /one \{ Kind: fields \} entry, got keys \[Transfer, W/],
    ];
    for (const [op, error] of cases) {
      await assert.rejects(signedMessage(op), error);
      await assert.rejects(signOp(key, op), error);
    }
  });

  test('a ChangePubKey is signed by its new key only', async () => {
    const other = await deriveL2Key(new Wallet(`0x${'11'.repeat(32)}`));
    await assert.rejects(signOp(other, OPS.ChangePubKey.op), /signed by its new key/);
  });
});

describe('ChangePubKey Ethereum authorization', () => {
  test("the message and its EIP-191 hash are Rust's", () => {
    const message = changePubKeyEthMessage(OPS.ChangePubKey.op);
    assert.equal(message, RUST_ETH_AUTHORIZATION.message);
    assert.equal(hashMessage(message), RUST_ETH_AUTHORIZATION.hash);
  });

  test("the owner's signature is Rust's and recovers to the owner", async () => {
    const signature = await authorizeChangePubKey(wallet, OPS.ChangePubKey.op);
    assert.equal(signature, RUST_ETH_AUTHORIZATION.signature);
    const recovered = verifyMessage(RUST_ETH_AUTHORIZATION.message, signature);
    assert.equal(recovered.toLowerCase(), RUST.ethAddress);
  });

  test('fields are fixed-width', () => {
    const message = changePubKeyEthMessage({
      ChangePubKey: { ...OPS.ChangePubKey.op.ChangePubKey, account: 0xffffff, nonce: 0xffffffff },
    });
    assert.match(message, /\nnonce: 0xffffffff\naccount: 0x00ffffff\n/);
    assert.equal(message.length, RUST_ETH_AUTHORIZATION.message.length);
  });

  test('only a ChangePubKey has one', () => {
    assert.throws(() => changePubKeyEthMessage(OPS.Transfer.op),
      /only a ChangePubKey .* not a Transfer/);
  });
});

const nodeless = !process.env.CONCORD_NODE_BIN && 'CONCORD_NODE_BIN is not set';

describe('against the dev node', { skip: nodeless }, () => {
  let node;
  let api;
  let key;
  before(async () => {
    node = await startDevNode();
    api = await ApiPromise.create({ provider: new WsProvider(node.wsUrl), noInitWarn: true });
    key = await deriveL2Key(wallet);
  });
  after(async () => {
    await api?.disconnect();
    await node?.stop();
  });

  test("the node's metadata encodes the extrinsics as the fixture does", async () => {
    const changed = `the runtime (spec_version ${api.runtimeVersion.specVersion}) changed the `
      + 'extrinsic: rewrite test/fixtures from its metadata';
    const transfer = await signOp(key, OPS.Transfer.op);
    assert.equal(buildL2Extrinsic(api.registry, transfer), expectedExtrinsic(OPS.Transfer.scale),
      changed);
    const changeKey = await signOp(key, OPS.ChangePubKey.op);
    const ethSignature = RUST_ETH_AUTHORIZATION.signature;
    assert.equal(buildL2Extrinsic(api.registry, changeKey, { ethSignature }),
      expectedExtrinsic(OPS.ChangePubKey.scale, ethSignature), changed);
  });

  // The dev chain has no L2 accounts, so no op can be valid: the point is that the node decodes
  // the extrinsic and the ledger judges the op (undecodable bytes get `1040: Client error: Could
  // not decode` or `1002: Verification Error`, a trap in validate_transaction), and that it reads
  // the op: the ledger checks the fee first, and the fixture's transfer pays it in a token the
  // dev chain does not accept for fees (only token 0 has minimums); an op no L2 key signs is
  // refused for another reason. (test/l2-dev-node.test.mjs has ops the node accepts.)
  test('the node decodes the general extrinsics and refuses the ops as invalid', async (t) => {
    const refusal = (signedOp, options) => submitL2Op(api, signedOp, options)
      .then(() => assert.fail('the node accepted the op'), (error) => error);
    const signed = await signOp(key, OPS.Transfer.op);
    const signedError = await refusal(signed);
    t.diagnostic(`signed Transfer: ${signedError.message}`);
    assert.match(signedError.message,
      /^the node refused Ledger\.submit\(Transfer of account 11259375, nonce 4294967294\): 1010: /);
    assert.match(signedError.message, /: 1010: Invalid Transaction: .*\(ledger\.FeeTokenNotAccepted: /);

    const noopError = await refusal({ op: { Noop: null }, signature: signed.signature });
    t.diagnostic(`Noop: ${noopError.message}`);
    assert.match(noopError.message,
      /^the node refused Ledger\.submit\(Noop\): 1010: Invalid Transaction: .*\(ledger\.NotSigned: /);
    assert.notEqual(noopError.cause.message, signedError.cause.message);

    // change_pubkey checks the owner's Ethereum signature first: account 42 has no owner.
    const changeKeyError = await refusal(await signOp(key, OPS.ChangePubKey.op),
      { ethSignature: RUST_ETH_AUTHORIZATION.signature });
    t.diagnostic(`ChangePubKey: ${changeKeyError.message}`);
    assert.equal(changeKeyError.message, 'the node refused Ledger.change_pubkey(ChangePubKey of '
      + 'account 42, nonce 0): 1010: Invalid Transaction: Custom error: 8 (ledger.UnknownAccount: '
      + 'No account has this id.)');
  });
});
