// Shared helpers for the SDK's Node tests. Platform-neutral (no Buffer): the vector tests that
// use them also run unchanged in headless Chromium (tests/browser/vectors.test.mjs).
import { readFileSync } from 'node:fs';

export const repoRoot = new URL('../../', import.meta.url);
export const vectorsDir = new URL('tests/vectors/', repoRoot);

export function readJson(relativeToVectors) {
  return JSON.parse(readFileSync(new URL(relativeToVectors, vectorsDir), 'utf8'));
}

/** The rows of the table headed `header` in docs/`page`, as arrays of cells. */
export function docTable(page, header) {
  const lines = readFileSync(new URL(`docs/${page}`, repoRoot), 'utf8').split('\n');
  const at = lines.indexOf(header);
  if (at < 0) throw new Error(`docs/${page} has no table headed ${header}`);
  const rows = [];
  for (let i = at + 2; i < lines.length && lines[i].startsWith('| '); i++) rows.push(lines[i].slice(2, -2).split(' | '));
  return rows;
}

export function hex(bytes) {
  let out = '';
  for (const byte of bytes) out += byte.toString(16).padStart(2, '0');
  return out;
}

export function unhex(text) {
  if (!/^([0-9a-fA-F]{2})*$/.test(text)) throw new Error(`not hex: ${text}`);
  const out = new Uint8Array(text.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(text.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/** Asserts that `fn` throws an SDK error with the given class and code. */
export function throwsCode(assert, fn, code, ErrorClass) {
  assert.throws(fn, (err) => {
    assert.equal(err.code, code, `expected code ${code}, got ${err.code}: ${err.message}`);
    if (ErrorClass) assert.ok(err instanceof ErrorClass, `expected ${ErrorClass.name}, got ${err.constructor.name}`);
    return true;
  });
}
