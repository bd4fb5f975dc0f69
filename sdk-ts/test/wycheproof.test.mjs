// Every Wycheproof case through the SDK in Node (the same files cargo test runs).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { verifyEd25519, verifySecp256k1 } from '@countersign/sdk';
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
