// The temporary-account scenarios of tests/vectors/tempcard/accounts.json through the SDK: the
// same file cargo test runs (core/tests/tempcard_vectors.rs). Every step runs on a
// TempCardIssuer; each expected field is compared, errors by code and parameter.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CountersignError, TempCardIssuer, tempcardCodes } from '@countersign/sdk';
import { readJson, unhex } from './helpers.mjs';

const doc = readJson('tempcard/accounts.json');
const cvvKey = unhex(doc.cvvKey);
const snapshotKey = unhex(doc.snapshotKey);
const known = new Set(tempcardCodes().map((c) => c.code));

/** Every field of `expected` equals `actual`'s; objects are compared field by field. */
function assertSubset(actual, expected, label) {
  if (expected !== null && typeof expected === 'object' && !Array.isArray(expected)) {
    assert.ok(actual !== null && typeof actual === 'object', `${label}: an object, got ${JSON.stringify(actual)}`);
    for (const [key, want] of Object.entries(expected)) assertSubset(actual[key] ?? null, want, `${label}.${key}`);
  } else {
    assert.deepEqual(actual, expected, label);
  }
}

function run(issuer, step) {
  switch (step.op) {
    case 'approve':
      return issuer.approve(step.request, unhex(step.randomness));
    case 'reveal':
      return issuer.reveal(step.accountId, step.now);
    case 'authorise':
      return issuer.authorise(step.request);
    case 'refund':
      return issuer.refund(step.request);
    case 'activate':
      return issuer.activatePhysicalCard(step.accountId, step.now);
    case 'closeDue':
      return issuer.closeDue(step.now);
    case 'view':
      return issuer.account(step.accountId, step.now);
    default:
      throw new Error(`unknown op ${step.op}`);
  }
}

let steps = 0;
for (const scenario of doc.scenarios) {
  test(`tempcard scenario ${scenario.name}`, () => {
    let issuer = TempCardIssuer.create(doc.config, { cvvKey, now: scenario.start });
    scenario.steps.forEach((step, index) => {
      const label = `${scenario.name} step ${index} (${step.op})`;
      steps += 1;
      if (step.op === 'snapshotRestore') {
        const bytes = issuer.snapshot(snapshotKey);
        issuer.free();
        issuer = TempCardIssuer.restore(bytes, snapshotKey, cvvKey);
        assert.deepEqual(issuer.snapshot(snapshotKey), bytes, `${label}: restore is exact`);
        return;
      }
      if (step.error !== undefined) {
        assert.throws(() => run(issuer, step), (e) => {
          assert.ok(e instanceof CountersignError, `${label}: a CountersignError`);
          assert.equal(e.code, step.error, `${label}: ${e.message}`);
          assert.equal(e.param, `request.${step.param}`, `${label}: param`);
          return true;
        });
        return;
      }
      const result = run(issuer, step);
      if (result?.code !== undefined) assert.ok(known.has(result.code), `${label}: ${result.code} is a tempcard code`);
      assertSubset(result, step.expect, label);
    });
    issuer.free();
  });
}

test('every tempcard scenario step ran', () => {
  const total = doc.scenarios.reduce((n, s) => n + s.steps.length, 0);
  assert.equal(steps, total);
  console.log(`tempcard account vectors through the SDK: ${doc.scenarios.length} scenarios, ${steps} steps`);
});
