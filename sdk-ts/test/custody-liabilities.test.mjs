// System 8's proof of liabilities through the SDK: a tree built in slices with progress, the
// signed root, every client's proof checked in full and against a root opened once, the known
// attacks refused (a tampered sibling, a private root, another client, an expired or forged
// root), the code list equal to the core's, and bad arguments refused before they cross.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  CUSTODY_INCLUSION_CODES,
  CUSTODY_ROOT_COMPARISON_CODES,
  compareLiabilitiesRoots,
  custodyRootComparisonCodes,
  LiabilitiesTree,
  PublishedLiabilitiesRoot,
  custodyInclusionCodes,
  decodeInclusionProof,
  ed25519PublicKey,
  verifyInclusion,
} from '@countersign/sdk';

const SECRET = new Uint8Array(32).fill(0x42);
const PLATFORM_KEY = new Uint8Array(32).fill(7);
const SIGNER = { keyId: 'platform-1', algorithm: 'EdDSA', secretKey: PLATFORM_KEY };
const TRUSTED = [{ keyId: 'platform-1', algorithm: 'EdDSA', publicKey: ed25519PublicKey(PLATFORM_KEY) }];
const NOW = 1_800_000_000;
const id = (i) => `client-${String(i).padStart(7, '0')}`;
const balanceOf = (i) => BigInt(i) * 1_000_003n % 100_000_000n;
const source = (start, count) => Array.from({ length: count }, (_, k) => ({ clientId: id(start + k), balance: balanceOf(start + k) }));

test('a tree built in slices reports progress, and every client is included', async () => {
  const progress = [];
  const n = 5_000;
  const tree = await LiabilitiesTree.build({ asset: 'BTC', round: 4, scale: 8, clientCount: n }, SECRET, source, {
    sliceSize: 1_024,
    onProgress: (p) => progress.push(p.added),
  });
  try {
    assert.deepEqual(progress, [1024, 2048, 3072, 4096, 5000]);
    const root = tree.publishedRoot();
    let total = 0n;
    for (let i = 0; i < n; i++) total += balanceOf(i);
    assert.equal(root.total, total.toString());
    assert.equal(root.leafCount, n);
    assert.equal(root.depth, 13);
    const signed = tree.publish(SIGNER, NOW - 5, NOW + 3600);
    const opened = PublishedLiabilitiesRoot.open(signed, { trustedKeys: TRUSTED, now: NOW });
    assert.equal(opened.ok, true);
    try {
      assert.deepEqual(opened.root.view(), root);
      for (let i = 0; i < n; i += 97) {
        const proof = tree.proof(i, id(i));
        assert.equal(opened.root.verify(proof, id(i), balanceOf(i)).code, 'INCLUDED', `client ${i}`);
        const full = verifyInclusion(proof, signed, { trustedKeys: TRUSTED, now: NOW, clientId: id(i), expectedBalance: balanceOf(i).toString() });
        assert.equal(full.code, 'INCLUDED');
        assert.equal(full.path.length, 13);
        assert.equal(full.computedRootHash, root.rootHash);
        assert.equal(opened.root.verify(proof, id(i), balanceOf(i) + 1n).code, 'BALANCE_MISMATCH');
        assert.equal(opened.root.verify(proof, id(i + 1)).code, 'CLIENT_MISMATCH');
      }
    } finally {
      opened.root.free();
    }
  } finally {
    tree.free();
  }
});

test('tampered proofs, a private root and bad roots are refused with their codes', async () => {
  const build = (n) => LiabilitiesTree.build({ asset: 'ETH', round: 9, scale: 18, clientCount: n }, SECRET, source);
  const pub = await build(40);
  const priv = await build(39); // the platform's tree shown to one client: client 39 left out
  try {
    const signed = pub.publish(SIGNER, NOW - 5, NOW + 3600);
    const proof = pub.proof(7, id(7));
    const check = (bytes, root = signed, extra = {}) => verifyInclusion(bytes, root, { trustedKeys: TRUSTED, now: NOW, clientId: id(7), ...extra }).code;
    assert.equal(check(proof), 'INCLUDED');
    // A tampered sibling sum: the last 16 bytes are the top sibling's sum.
    const tampered = proof.slice();
    tampered[tampered.length - 1] ^= 1;
    assert.equal(check(tampered), 'ROOT_MISMATCH');
    // The proof from the private tree, against the published root.
    const privateProof = priv.proof(7, id(7));
    assert.equal(check(privateProof, priv.publish(SIGNER, NOW - 5, NOW + 3600)), 'INCLUDED');
    assert.equal(check(privateProof), 'ROOT_NOT_PUBLISHED');
    // The root: forged, expired, an old round, another signer.
    const forged = signed.slice();
    forged[forged.length - 1] ^= 1;
    const rejection = (root, extra) => verifyInclusion(proof, root, { trustedKeys: TRUSTED, now: NOW, clientId: id(7), ...extra });
    assert.deepEqual([rejection(forged).code, rejection(forged).rootRejection], ['ROOT_REJECTED', 'BAD_SIGNATURE']);
    assert.equal(rejection(signed, { now: NOW + 3600 }).rootRejection, 'EXPIRED');
    assert.equal(rejection(signed, { lastRound: 9 }).rootRejection, 'REPLAYED');
    assert.equal(rejection(signed, { lastRound: 8 }).code, 'INCLUDED');
    assert.equal(check(proof.subarray(0, 20)), 'PROOF_MALFORMED');
    const view = decodeInclusionProof(proof);
    assert.equal(view.clientId, id(7));
    assert.equal(view.index, 7);
    assert.equal(view.siblingHashes.length, 6);
    assert.equal(view.balance, balanceOf(7).toString());
  } finally {
    pub.free();
    priv.free();
  }
});

test('the SDK code lists are the core lists', () => {
  assert.deepEqual(custodyInclusionCodes().map((c) => c.code), [...CUSTODY_INCLUSION_CODES]);
  assert.deepEqual(custodyRootComparisonCodes().map((c) => c.code), [...CUSTODY_ROOT_COMPARISON_CODES]);
});

test('two clients comparing their roots catch a platform that signed a second tree for the round', async () => {
  const build = (n, round = 9) => LiabilitiesTree.build({ asset: 'ETH', round, scale: 18, clientCount: n }, SECRET, source);
  const [pub, priv, next] = [await build(40), await build(39), await build(40, 10)];
  try {
    const options = { trustedKeys: TRUSTED, now: NOW };
    const mine = pub.publish(SIGNER, NOW - 5, NOW + 3600);
    const theirs = pub.publish(SIGNER, NOW - 50, NOW + 60); // the same tree, signed again later
    assert.equal(compareLiabilitiesRoots(mine, theirs, options).code, 'CONSISTENT');
    const shownToOne = priv.publish(SIGNER, NOW - 5, NOW + 3600);
    const out = compareLiabilitiesRoots(mine, shownToOne, options);
    assert.equal(out.code, 'EQUIVOCATION');
    assert.deepEqual([out.first.leafCount, out.second.leafCount], [40, 39]);
    assert.equal(compareLiabilitiesRoots(mine, next.publish(SIGNER, NOW - 5, NOW + 3600), options).code, 'NOT_COMPARABLE');
    const forged = theirs.slice();
    forged[forged.length - 1] ^= 1;
    const refused = compareLiabilitiesRoots(forged, mine, options);
    assert.deepEqual([refused.code, refused.which, refused.rootRejection], ['ROOT_REFUSED', 1, 'BAD_SIGNATURE']);
  } finally {
    for (const t of [pub, priv, next]) t.free();
  }
});

test('bad arguments are refused naming the parameter, and a refused chunk adds nothing', async () => {
  const throwsWith = (fn, code, param) => assert.throws(fn, (e) => e.code === code && e.param === param, `${code} ${param}`);
  const setup = { asset: 'BTC', round: 1, scale: 8, clientCount: 3 };
  throwsWith(() => LiabilitiesTree.create(setup, new Uint8Array(31)), 'INVALID_ARGUMENT', 'saltSecret');
  throwsWith(() => LiabilitiesTree.create({ ...setup, extra: 1 }, SECRET), 'INVALID_TYPE', 'setup.extra');
  throwsWith(() => LiabilitiesTree.create({ ...setup, asset: 'btc' }, SECRET), 'INVALID_ARGUMENT', 'setup.asset');
  const tree = LiabilitiesTree.create(setup, SECRET);
  try {
    throwsWith(() => tree.add([{ clientId: 'a', balance: 5 }]), 'INVALID_TYPE', 'clients[0].balance');
    throwsWith(() => tree.add([{ clientId: 'a', balance: -5n }]), 'INVALID_ARGUMENT', 'clients[0].balance');
    throwsWith(() => tree.add([{ clientId: 'b', balance: '1' }, { clientId: 'a', balance: '1' }]), 'INVALID_ARGUMENT', 'clients[1].clientId');
    throwsWith(() => tree.add(Array.from({ length: 65_537 }, (_, i) => ({ clientId: id(i), balance: '1' }))), 'LIMIT_EXCEEDED', 'clients');
    assert.deepEqual(tree.progress(), { added: 0, total: 3 });
    tree.add([{ clientId: 'a', balance: '1' }]);
    throwsWith(() => tree.finish(), 'INVALID_ARGUMENT', 'tree');
    throwsWith(() => tree.proof(0, 'a'), 'INVALID_ARGUMENT', 'tree');
    tree.add([{ clientId: 'b', balance: 2n }, { clientId: 'c', balance: '3' }]);
    assert.equal(tree.finish().total, '6');
    throwsWith(() => tree.proof(0, 'b'), 'INVALID_ARGUMENT', 'clientId');
    throwsWith(() => tree.proof(-1, 'a'), 'INVALID_ARGUMENT', 'index');
    throwsWith(() => tree.publish({ ...SIGNER, secretKey: new Uint8Array(3) }, NOW, NOW + 1), 'KEY_INVALID', 'secretKey');
    throwsWith(() => verifyInclusion(new Uint8Array(5000), new Uint8Array(1), { trustedKeys: TRUSTED, now: NOW, clientId: 'a' }), 'LIMIT_EXCEEDED', 'proof');
    throwsWith(() => verifyInclusion(tree.proof(0, 'a'), new Uint8Array(1), { trustedKeys: TRUSTED, now: NOW, clientId: 'a', expectedBalance: 1 }), 'INVALID_TYPE', 'options.expectedBalance');
    throwsWith(() => verifyInclusion(tree.proof(0, 'a'), new Uint8Array(1), { trustedKeys: TRUSTED, now: 1.5, clientId: 'a' }), 'INVALID_ARGUMENT', 'options.now');
  } finally {
    tree.free();
  }
  throwsWith(() => tree.progress(), 'INVALID_ARGUMENT', 'this');
  // A source that returns too few clients: the build is refused and its tree freed.
  await assert.rejects(
    LiabilitiesTree.build(setup, SECRET, () => [{ clientId: 'a', balance: '1' }]),
    (e) => e.code === 'INVALID_ARGUMENT' && e.param === 'source',
  );
});
