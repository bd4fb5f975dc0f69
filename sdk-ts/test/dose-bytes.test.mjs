// The bytes form of a history (doseHistoryBytes, doseEvaluateBytes, DoseController.evaluateBytes):
// every evaluation vector of tests/vectors/dose/evaluation.json gives exactly the signals of the
// object form (reasons included), and bad bytes are refused naming the frame.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  DOSE_FRAME_BYTES_MAX, DoseController, doseEncodeFrame, doseEvaluate, doseEvaluateBytes, doseHistoryBytes, generateKeyPair,
} from '@countersign/sdk';
import { readJson } from './helpers.mjs';

const server = generateKeyPair('EdDSA');
const other = generateKeyPair('EdDSA');
const key = (pair, keyId) => ({ keyId, algorithm: pair.algorithm, publicKey: pair.publicKey });
const packed = (history) => doseHistoryBytes(history.map((f) => doseEncodeFrame(f)));

test('every evaluation vector: bytes and objects give the same signals (function and controller role)', () => {
  const doc = readJson('dose/evaluation.json');
  assert.ok(doc.cases.length >= 5);
  let signals = 0;
  for (const c of doc.cases) {
    const fromObjects = doseEvaluate(c.settings, c.history, c.untilMs);
    assert.deepEqual(doseEvaluateBytes(c.settings, packed(c.history), c.untilMs), fromObjects, c.name);
    signals += fromObjects.length;
  }
  assert.ok(signals > 10, 'the vectors produce signals to compare');
  const ctrl = DoseController.create({ model: 'm', serverKeys: [key(server, 'mgmt')], terminalKey: key(other, 't') });
  try {
    const c = doc.cases[0];
    assert.deepEqual(ctrl.evaluateBytes(packed(c.history), c.untilMs), ctrl.evaluate(c.history, c.untilMs));
  } finally {
    ctrl.free();
  }
});

test('doseHistoryBytes: each frame behind its length byte', () => {
  const a = doseEncodeFrame({ seq: 1, atMs: 1_000, body: { type: 'glucose', mgdl: 100 } });
  const b = doseEncodeFrame({ seq: 2, atMs: 2_000, body: { type: 'usage', event: 'site-change' } });
  assert.deepEqual(doseHistoryBytes([a, b]), Uint8Array.from([a.length, ...a, b.length, ...b]));
  assert.deepEqual(doseHistoryBytes([]), new Uint8Array(0));
  assert.throws(() => doseHistoryBytes([a, new Uint8Array(DOSE_FRAME_BYTES_MAX + 1)]), (e) => e.code === 'INVALID_ARGUMENT' && e.param === 'frames[1]');
  assert.throws(() => doseHistoryBytes([a, 'ab']), (e) => e instanceof TypeError && e.param === 'frames[1]');
});

test('doseEvaluateBytes refuses bad bytes naming the frame', () => {
  const s = readJson('dose/evaluation.json').cases[0].settings;
  const frames = [1, 2, 3].map((seq) => doseEncodeFrame({ seq, atMs: seq * 60_000, body: { type: 'glucose', mgdl: 100 } }));
  const good = doseHistoryBytes(frames);
  assert.equal(doseEvaluateBytes(s, good, 180_000).length, 0);
  const step = frames[0].length + 1;
  // A flipped payload bit in the third frame: its CRC fails.
  const bad = good.slice();
  bad[2 * step + 17] ^= 1;
  assert.throws(() => doseEvaluateBytes(s, bad, 180_000), (e) => e.code === 'INVALID_ARGUMENT' && e.param === 'history[2]' && /BAD_CRC/.test(e.message));
  // The second frame's length byte runs past the end.
  assert.throws(() => doseEvaluateBytes(s, good.subarray(0, step + 5), 180_000), (e) => e.code === 'INVALID_ARGUMENT' && e.param === 'history[1]');
  // Order is still checked: frames swapped name the later one.
  assert.throws(() => doseEvaluateBytes(s, doseHistoryBytes([frames[1], frames[0]]), 180_000), (e) => e.param === 'history[1]');
  assert.throws(() => doseEvaluateBytes(s, [1, 2], 180_000), (e) => e instanceof TypeError && e.param === 'history');
  assert.throws(() => doseEvaluateBytes(s, good, 100_000), (e) => e.param === 'untilMs');
});
