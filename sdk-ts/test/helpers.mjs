// Shared helpers for the SDK's Node tests.
import { readFileSync } from 'node:fs';

export const repoRoot = new URL('../../', import.meta.url);
export const vectorsDir = new URL('tests/vectors/', repoRoot);

export function readJson(relativeToVectors) {
  return JSON.parse(readFileSync(new URL(relativeToVectors, vectorsDir), 'utf8'));
}

export function hex(bytes) {
  return Buffer.from(bytes).toString('hex');
}

export function unhex(text) {
  if (!/^([0-9a-fA-F]{2})*$/.test(text)) throw new Error(`not hex: ${text}`);
  return new Uint8Array(Buffer.from(text, 'hex'));
}

/** Asserts that `fn` throws an SDK error with the given class and code. */
export function throwsCode(assert, fn, code, ErrorClass) {
  assert.throws(fn, (err) => {
    assert.equal(err.code, code, `expected code ${code}, got ${err.code}: ${err.message}`);
    if (ErrorClass) assert.ok(err instanceof ErrorClass, `expected ${ErrorClass.name}, got ${err.constructor.name}`);
    return true;
  });
}
