// A test file that must fail: run through the same page harness by vectors.test.mjs, it shows
// the shims' assertions can fail (a harness that passes everything would pass this too).
import assert from 'node:assert/strict';
import { test } from 'node:test';

test('bytes that differ in one bit are not equal', () => {
  assert.deepEqual(new Uint8Array([1, 2, 3]), new Uint8Array([1, 2, 2]));
});
test('a throw of the wrong class is not accepted', () => {
  assert.throws(() => {
    throw new TypeError('x');
  }, RangeError);
});
test('a passing test passes', () => {
  assert.equal(1n, 1n);
});
