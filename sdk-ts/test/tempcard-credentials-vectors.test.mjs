// The temporary-card credential vectors (tests/vectors/tempcard/credentials.json) through the
// SDK's `tempCredentials`: the same file cargo test runs (core/tests/tempcard_vectors.rs).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CountersignError, tempCredentials } from '@countersign/sdk';
import { readJson, unhex } from './helpers.mjs';

const doc = readJson('tempcard/credentials.json');

function run(c) {
  switch (c.op) {
    case 'luhnValid':
      return tempCredentials.luhnValid(c.number);
    case 'luhnCheckDigit':
      return tempCredentials.luhnCheckDigit(c.payload);
    case 'issue':
      return tempCredentials.issue(c.request, unhex(c.randomness));
    case 'deriveCvv':
      return tempCredentials.deriveCvv(unhex(c.key), c.pan, c.expiresAt);
    case 'verifyCvv':
      return tempCredentials.verifyCvv(unhex(c.key), c.pan, c.expiresAt, c.presented);
    case 'displayStatus':
      return tempCredentials.displayStatus(c.credentials, c.now);
    case 'usableStatus':
      return tempCredentials.usableStatus(c.credentials, c.now);
    case 'reveal':
      return tempCredentials.reveal(c.credentials, unhex(c.key), c.now);
    case 'verifyPresented':
      return tempCredentials.verifyPresented(c.credentials, unhex(c.key), c.presented, c.now);
    default:
      throw new Error(`unknown op ${c.op}`);
  }
}

test('tempcard credential vectors through the SDK', () => {
  const perOp = {};
  doc.cases.forEach((c, index) => {
    perOp[c.op] = (perOp[c.op] ?? 0) + 1;
    const label = `case ${index} (${c.op}): ${c.note ?? ''}`;
    if (c.error !== undefined) {
      assert.throws(() => run(c), (e) => {
        assert.ok(e instanceof CountersignError, label);
        assert.equal(e.code, c.error, `${label}: ${e.message}`);
        return true;
      });
    } else {
      assert.deepEqual(run(c), c.expect, label);
    }
  });
  console.log(`tempcard credential vectors through the SDK: ${doc.cases.length} cases ${JSON.stringify(perOp)}`);
});
