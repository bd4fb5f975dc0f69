// The dose vectors of tests/vectors/dose/ through the SDK: the same files cargo test runs
// (core/tests/dose_vectors.rs). frames.json: every encoding byte for byte through doseEncodeFrame
// and every stream through one PatientTerminal's acceptFrame; settings.json through
// doseValidateSettings; evaluation.json through doseEvaluate and DoseController.evaluate;
// nightscout.json (the peer check) through doseEvaluate with Nightscout's default thresholds.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DoseController, PatientTerminal, doseEncodeFrame, doseEvaluate, doseValidateSettings, generateKeyPair } from '@countersign/sdk';
import { readJson } from './helpers.mjs';

// No Buffer: this file also runs unchanged in Chromium (tests/browser/vectors.test.mjs).
const hex = (b) => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
const bytes = (h) => Uint8Array.from(h.match(/../g) ?? [], (x) => parseInt(x, 16));
const server = generateKeyPair('EdDSA');
const other = generateKeyPair('EdDSA');
const key = (pair, keyId) => ({ keyId, algorithm: pair.algorithm, publicKey: pair.publicKey });

test('dose frame vectors through the SDK', () => {
  const doc = readJson('dose/frames.json');
  for (const e of doc.encodings) assert.equal(hex(doseEncodeFrame(e.frame)), e.hex);
  assert.ok(doc.cases.length >= 20);
  for (const c of doc.cases) {
    const t = PatientTerminal.create({ controllerModel: 'm', serverKeys: [key(server, 'mgmt')], controllerKey: key(other, 'c') });
    try {
      c.frames.forEach((h, i) => assert.deepEqual(t.acceptFrame(bytes(h)), c.expect[i], `${c.name}: frame ${i}`));
    } finally {
      t.free();
    }
  }
});

test('dose settings vectors through the SDK', () => {
  const doc = readJson('dose/settings.json');
  const strip = (list) => list.map(({ field, code, value, limit }) => ({ field, code, value, limit }));
  for (const c of doc.cases) {
    const v = doseValidateSettings(c.settings, c.permitted);
    assert.deepEqual({ refusals: strip(v.refusals), warnings: strip(v.warnings) }, c.expect, c.name);
  }
});

test('dose evaluation vectors through the SDK (function and controller role)', () => {
  const doc = readJson('dose/evaluation.json');
  const strip = (signals) => signals.map(({ reason, resolved, ...s }) => ({ ...s, resolved: resolved && { atMs: resolved.atMs, seq: resolved.seq } }));
  const norm = (list) => list.map((s) => ({ signalId: s.signalId, kind: s.kind, priority: s.priority, direction: s.direction, atMs: s.atMs, startSeq: s.startSeq, evidence: s.evidence, resolved: s.resolved }));
  for (const c of doc.cases) {
    assert.deepEqual(norm(strip(doseEvaluate(c.settings, c.history, c.untilMs))), norm(c.expect), c.name);
  }
  // The controller role evaluates with the settings in force: before any program, the defaults.
  const ctrl = DoseController.create({ model: 'm', serverKeys: [key(server, 'mgmt')], terminalKey: key(other, 't') });
  try {
    const c = doc.cases[0];
    assert.deepEqual(ctrl.confirmed(), c.settings);
    assert.deepEqual(norm(strip(ctrl.evaluate(c.history, c.untilMs))), norm(c.expect));
  } finally {
    ctrl.free();
  }
});

test('the Nightscout peer check through the SDK', () => {
  const doc = readJson('dose/nightscout.json');
  const t = doc.thresholds;
  const settings = { ...readJson('dose/settings.json').cases[0].settings, urgentLowMgdl: t.bgLow, lowMgdl: t.bgTargetBottom, highMgdl: t.bgTargetTop, urgentHighMgdl: t.bgHigh, staleWarnMin: t.warnMins, staleUrgentMin: t.urgentMins };
  const LEVEL = { 'urgent-low': ['URGENT', 'low'], low: ['WARN', 'low'], high: ['WARN', 'high'], 'urgent-high': ['URGENT', 'high'] };
  let checked = 0;
  for (const c of doc.cases) {
    const history = c.readings.map((r, i) => ({ seq: i + 1, atMs: r.mills, body: { type: 'glucose', mgdl: r.mgdl } }));
    const until = Math.max(...c.probes.map((p) => p.atMs));
    const signals = doseEvaluate(settings, history, until);
    const openAt = (at, kinds) => signals.filter((s) => kinds.includes(s.kind) && s.atMs <= at && (s.resolved === null || s.resolved.atMs > at)).map((s) => s.kind);
    for (const p of c.probes) {
      if (p.level !== null) {
        const open = openAt(p.atMs, Object.keys(LEVEL));
        assert.deepEqual(open.length ? LEVEL[open[open.length - 1]] : ['NONE', null], [p.level, p.event], `${c.name} at ${p.atMs}`);
        checked += 1;
      }
      const stale = openAt(p.atMs, ['stale-data', 'urgent-stale-data']);
      assert.equal(stale.length === 0 ? 'current' : stale[0] === 'stale-data' ? 'warn' : 'urgent', p.timeago, `${c.name} timeago at ${p.atMs}`);
    }
  }
  assert.ok(checked > 2000);
});
