// Every Wycheproof case through the SDK in Node (the same files cargo test runs).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { verifyEd25519, verifyEd25519Batch, verifySecp256k1 } from '@countersign/sdk';
import { readJson, unhex } from './helpers.mjs';

const SUITES = [
  { file: 'ed25519_test.json', verify: (pk, msg, sig) => verifyEd25519(pk, msg, sig), key: (g) => g.publicKey.pk },
  {
    file: 'ecdsa_secp256k1_sha256_test.json',
    verify: (pk, msg, sig) => verifySecp256k1(pk, msg, sig, { format: 'der', allowHighS: true }),
    key: (g) => g.publicKey.uncompressed,
  },
  {
    file: 'ecdsa_secp256k1_sha256_p1363_test.json',
    verify: (pk, msg, sig) => verifySecp256k1(pk, msg, sig, { format: 'compact', allowHighS: true }),
    key: (g) => g.publicKey.uncompressed,
  },
  {
    file: 'ecdsa_secp256k1_sha256_bitcoin_test.json',
    verify: (pk, msg, sig) => verifySecp256k1(pk, msg, sig),
    key: (g) => g.publicKey.uncompressed,
  },
];

for (const suite of SUITES) {
  test(`wycheproof ${suite.file}: every case`, () => {
    const doc = readJson(`wycheproof/${suite.file}`);
    let ran = 0;
    const failures = [];
    for (const group of doc.testGroups) {
      const publicKey = unhex(suite.key(group));
      for (const tc of group.tests) {
        assert.ok(tc.result === 'valid' || tc.result === 'invalid', `tcId ${tc.tcId}: result ${tc.result}`);
        const got = suite.verify(publicKey, unhex(tc.msg), unhex(tc.sig));
        assert.equal(typeof got, 'boolean');
        if (got !== (tc.result === 'valid')) failures.push(`tcId ${tc.tcId} (${tc.comment}): expected ${tc.result}`);
        ran++;
      }
    }
    console.log(`wycheproof ${suite.file}: ${ran} cases ran, ${failures.length} failed`);
    assert.deepEqual(failures, []);
    assert.equal(ran, doc.numberOfTests);
  });
}

// The batch path decides every case as the single one does: the whole suite in one batch, and
// each case among valid signatures of other keys (a bad one is named, good ones stay good).
test('wycheproof ed25519_test.json: every case through verifyEd25519Batch', () => {
  const doc = readJson('wycheproof/ed25519_test.json');
  const cases = doc.testGroups.flatMap((group) =>
    group.tests.map((tc) => ({
      item: { publicKey: unhex(group.publicKey.pk), message: unhex(tc.msg), signature: unhex(tc.sig) },
      valid: tc.result === 'valid',
    })),
  );
  assert.equal(cases.length, doc.numberOfTests);
  assert.deepEqual(verifyEd25519Batch(cases.map((c) => c.item)), cases.map((c) => c.valid));
  const valid = cases.filter((c) => c.valid).slice(0, 7);
  cases.forEach((c, n) => {
    const batch = valid.map((v) => v.item);
    batch.splice(n % 8, 0, c.item);
    const want = Array(8).fill(true);
    want[n % 8] = c.valid;
    assert.deepEqual(verifyEd25519Batch(batch), want, `case ${n} among valid signatures`);
  });
});
