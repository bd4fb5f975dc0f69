// Signatures through the SDK, cross-checked against independent implementations in the same
// process: @noble/curves (pure JS) and Node's native crypto (OpenSSL).
import assert from 'node:assert/strict';
import { createPrivateKey, createPublicKey, sign as nodeSign, verify as nodeVerify, createHash, createHmac } from 'node:crypto';
import { test } from 'node:test';
import { ed25519 } from '@noble/curves/ed25519.js';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import {
  hmacSha256,
  CountersignError,
  constantTimeEqual,
  ed25519PublicKey,
  generateKeyPair,
  keyPairFromSecret,
  normalizeSecp256k1Signature,
  secp256k1PublicKey,
  sha256,
  signEd25519,
  signSecp256k1,
  verifyEd25519,
  verifyEd25519Batch,
  verifySecp256k1,
  ED25519_BATCH_SIGNATURES_MAX,
} from '@countersign/sdk';
import { hex, throwsCode, unhex } from './helpers.mjs';

const SECP256K1_N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;

test('RFC 8032 test 1: Ed25519 public key and signature', () => {
  const secret = unhex('9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60');
  const publicKey = ed25519PublicKey(secret);
  assert.equal(hex(publicKey), 'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a');
  const signature = signEd25519(secret, new Uint8Array(0));
  assert.equal(
    hex(signature),
    'e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b',
  );
  assert.equal(verifyEd25519(publicKey, new Uint8Array(0), signature), true);
});

test('HMAC-SHA256: RFC 4231 test cases 1, 2 and 6 (key longer than a block); node:crypto on random input', () => {
  const cases = [
    ['0b'.repeat(20), '4869205468657265', 'b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7'],
    ['4a656665', '7768617420646f2079612077616e7420666f72206e6f7468696e673f', '5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843'],
    ['aa'.repeat(131), Buffer.from('Test Using Larger Than Block-Size Key - Hash Key First').toString('hex'), '60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54'],
  ];
  for (const [key, data, mac] of cases) assert.equal(hex(hmacSha256(unhex(key), unhex(data))), mac);
  for (let n = 0; n < 20; n++) {
    const key = crypto.getRandomValues(new Uint8Array(n * 7));
    const data = crypto.getRandomValues(new Uint8Array(n * 13));
    assert.equal(hex(hmacSha256(key, data)), createHmac('sha256', key).update(data).digest('hex'));
  }
  throwsCode(assert, () => hmacSha256('key', new Uint8Array(1)), 'INVALID_TYPE');
});

test('SHA-256 matches node:crypto', () => {
  for (const length of [0, 1, 55, 56, 64, 1000]) {
    const data = new Uint8Array(length).map((_, i) => (i * 31 + 7) & 0xff);
    assert.equal(hex(sha256(data)), createHash('sha256').update(data).digest('hex'));
  }
});

test('Ed25519: SDK signatures verify with noble and Node; theirs verify with the SDK', () => {
  const message = new TextEncoder().encode('countersign cross-check');
  for (let round = 0; round < 8; round++) {
    const { secretKey, publicKey } = generateKeyPair('EdDSA');
    assert.equal(hex(publicKey), hex(ed25519.getPublicKey(secretKey)));
    const ours = signEd25519(secretKey, message);
    assert.equal(hex(ours), hex(ed25519.sign(message, secretKey)), 'Ed25519 is deterministic');
    assert.ok(ed25519.verify(ours, message, publicKey));
    const nodeKey = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(publicKey).toString('base64url') }, format: 'jwk' });
    assert.ok(nodeVerify(null, message, nodeKey, ours));
    const tampered = ours.slice();
    tampered[round] ^= 1;
    assert.equal(verifyEd25519(publicKey, message, tampered), false);
  }
});

test('secp256k1: RFC 6979 signatures equal noble byte for byte, are low-S, verify everywhere', () => {
  const message = new TextEncoder().encode('countersign secp256k1');
  for (let round = 0; round < 8; round++) {
    const { secretKey, publicKey } = generateKeyPair('ES256K');
    assert.equal(publicKey.length, 33);
    assert.equal(hex(publicKey), hex(secp256k1.getPublicKey(secretKey, true)));
    assert.equal(hex(secp256k1PublicKey(secretKey, { compressed: false })), hex(secp256k1.getPublicKey(secretKey, false)));
    const compact = signSecp256k1(secretKey, message, { format: 'compact' });
    assert.equal(hex(compact), hex(secp256k1.sign(message, secretKey, { format: 'compact' })));
    const s = BigInt('0x' + hex(compact.slice(32)));
    assert.ok(s <= SECP256K1_N / 2n, 'low-S');
    const der = signSecp256k1(secretKey, message);
    assert.equal(hex(der), hex(secp256k1.sign(message, secretKey, { format: 'der' })));
    assert.ok(verifySecp256k1(publicKey, message, der));
    assert.ok(verifySecp256k1(publicKey, message, compact, { format: 'compact' }));
    assert.ok(secp256k1.verify(compact, message, publicKey));
    const nodeKey = createPublicKey({ key: Buffer.concat([Buffer.from('3036301006072a8648ce3d020106052b8104000a032200', 'hex'), publicKey]), format: 'der', type: 'spki' });
    assert.ok(nodeVerify('sha256', message, nodeKey, der));
  }
});

test('secp256k1: high-S from OpenSSL is rejected by default, accepted on request, normalised to low-S', () => {
  const message = new TextEncoder().encode('openssl signs high-S about half the time');
  const secretKey = unhex('c9afa9d845ba75166b5c215767b1d6934e50c3db36e89b127b8a622b120f6721');
  const publicKey = secp256k1PublicKey(secretKey);
  const pkcs8 = Buffer.concat([
    Buffer.from('302e0201010420', 'hex'),
    secretKey,
    Buffer.from('a00706052b8104000a', 'hex'),
  ]);
  const nodePrivate = createPrivateKey({ key: pkcs8, format: 'der', type: 'sec1' });
  let sawHigh = false;
  for (let attempt = 0; attempt < 64 && !sawHigh; attempt++) {
    const compact = new Uint8Array(nodeSign('sha256', message, { key: nodePrivate, dsaEncoding: 'ieee-p1363' }));
    const s = BigInt('0x' + hex(compact.slice(32)));
    if (s <= SECP256K1_N / 2n) continue;
    sawHigh = true;
    assert.equal(verifySecp256k1(publicKey, message, compact, { format: 'compact' }), false);
    assert.equal(verifySecp256k1(publicKey, message, compact, { format: 'compact', allowHighS: true }), true);
    const low = normalizeSecp256k1Signature(compact, { format: 'compact' });
    assert.equal(hex(low.slice(0, 32)), hex(compact.slice(0, 32)));
    assert.equal(BigInt('0x' + hex(low.slice(32))), SECP256K1_N - s);
    assert.equal(verifySecp256k1(publicKey, message, low, { format: 'compact' }), true);
    const der = new Uint8Array(nodeSign('sha256', message, { key: nodePrivate, dsaEncoding: 'der' }));
    assert.ok(verifySecp256k1(publicKey, message, normalizeSecp256k1Signature(der)));
    assert.equal(hex(normalizeSecp256k1Signature(low, { format: 'compact' })), hex(low), 'low-S unchanged');
  }
  assert.ok(sawHigh, 'OpenSSL produced a high-S signature within 64 attempts');
});

test('verify returns false, never throws, for malformed keys and signatures', () => {
  const { publicKey, secretKey } = generateKeyPair('ES256K');
  const msg = new Uint8Array([1, 2, 3]);
  const sig = signSecp256k1(secretKey, msg);
  for (const badKey of [new Uint8Array(0), new Uint8Array(33), new Uint8Array(65).fill(4), publicKey.slice(1)]) {
    assert.equal(verifySecp256k1(badKey, msg, sig), false);
    assert.equal(verifyEd25519(badKey, msg, new Uint8Array(64)), false);
  }
  for (const badSig of [new Uint8Array(0), sig.slice(1), new Uint8Array(64), new Uint8Array(200)]) {
    assert.equal(verifySecp256k1(publicKey, msg, badSig), false);
    assert.equal(verifySecp256k1(publicKey, msg, badSig, { format: 'compact' }), false);
    assert.equal(verifyEd25519(new Uint8Array(32), msg, badSig), false);
  }
});

test('non-Uint8Array arguments throw TypeError naming the parameter', () => {
  const bytes = new Uint8Array(32);
  for (const bad of ['00', [0], null, undefined, 1, new ArrayBuffer(32), Buffer.alloc(0).buffer]) {
    assert.throws(() => verifyEd25519(bad, bytes, bytes), (e) => e instanceof TypeError && /publicKey/.test(e.message));
    assert.throws(() => verifyEd25519(bytes, bad, bytes), (e) => e instanceof TypeError && /message/.test(e.message));
    assert.throws(() => verifySecp256k1(bytes, bytes, bad), (e) => e instanceof TypeError && /signature/.test(e.message));
  }
  throwsCode(assert, () => verifySecp256k1(bytes, bytes, bytes, { format: 'pem' }), 'ALGORITHM_UNSUPPORTED', RangeError);
  throwsCode(assert, () => verifySecp256k1(bytes, bytes, bytes, { allowHighS: 'yes' }), 'INVALID_TYPE', TypeError);
});

test('bad secret keys throw KEY_INVALID', () => {
  throwsCode(assert, () => signEd25519(new Uint8Array(31), new Uint8Array(0)), 'KEY_INVALID', RangeError);
  throwsCode(assert, () => secp256k1PublicKey(new Uint8Array(32)), 'KEY_INVALID', CountersignError);
  const n = unhex(SECP256K1_N.toString(16));
  throwsCode(assert, () => signSecp256k1(n, new Uint8Array(0)), 'KEY_INVALID', RangeError);
  throwsCode(assert, () => keyPairFromSecret('RSA', new Uint8Array(32)), 'ALGORITHM_UNSUPPORTED', RangeError);
});

test('constantTimeEqual', () => {
  assert.equal(constantTimeEqual(new Uint8Array([1, 2]), new Uint8Array([1, 2])), true);
  assert.equal(constantTimeEqual(new Uint8Array([1, 2]), new Uint8Array([1, 3])), false);
  assert.equal(constantTimeEqual(new Uint8Array([1, 2]), new Uint8Array([1, 2, 3])), false);
});

test('verifyEd25519Batch: agrees with node:crypto and @noble/curves on honest signatures, names the bad ones', () => {
  const items = [];
  for (let i = 0; i < 70; i++) {
    const { secretKey, publicKey } = generateKeyPair('EdDSA');
    const message = new TextEncoder().encode(`record ${i}`.repeat(i % 5));
    items.push({ publicKey, message, signature: signEd25519(secretKey, message) });
  }
  const nodeKey = (pk) => createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(pk).toString('base64url') }, format: 'jwk' });
  for (const { publicKey, message, signature } of items) {
    assert.ok(nodeVerify(null, message, nodeKey(publicKey), signature));
    assert.ok(ed25519.verify(signature, message, publicKey));
  }
  assert.deepEqual(verifyEd25519Batch(items), Array(70).fill(true));
  const tampered = items.map((it) => ({ ...it }));
  tampered[4] = { ...tampered[4], message: new Uint8Array([9]) };
  tampered[50] = { ...tampered[50], signature: tampered[51].signature };
  tampered[69] = { ...tampered[69], publicKey: tampered[69].publicKey.slice(1) };
  const results = verifyEd25519Batch(tampered);
  results.forEach((ok, i) => assert.equal(ok, ![4, 50, 69].includes(i), `item ${i}`));
  results.forEach((ok, i) => assert.equal(ok, verifyEd25519(tampered[i].publicKey, tampered[i].message, tampered[i].signature)));
  assert.deepEqual(verifyEd25519Batch([]), []);
});

test('verifyEd25519Batch: bad input throws typed errors naming the item and field', () => {
  const bytes = new Uint8Array(32);
  const item = { publicKey: bytes, message: bytes, signature: new Uint8Array(64) };
  throwsCode(assert, () => verifyEd25519Batch('items'), 'INVALID_TYPE', TypeError);
  assert.throws(() => verifyEd25519Batch([item, { ...item, message: 'text' }]), (e) => e instanceof TypeError && /items\[1\]\.message/.test(e.message));
  assert.throws(() => verifyEd25519Batch([{ ...item, extra: 1 }]), (e) => /items\[0\]/.test(e.message) && /extra/.test(e.message));
  assert.throws(() => verifyEd25519Batch([null]), (e) => e instanceof TypeError && /items\[0\]/.test(e.message));
  throwsCode(assert, () => verifyEd25519Batch(Array(ED25519_BATCH_SIGNATURES_MAX + 1).fill(item)), 'LIMIT_EXCEEDED', RangeError);
  assert.equal(verifyEd25519Batch(Array(ED25519_BATCH_SIGNATURES_MAX).fill(item)).length, ED25519_BATCH_SIGNATURES_MAX);
});
