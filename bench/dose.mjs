// Dose benchmark (System 9): controller frames decoded per second by a PatientTerminal (CRC,
// stream checks) then evaluated, and the evaluation of a 90-day history (25,920 readings every
// 5 minutes, with a basal delivery and a device status per hour), through the SDK, beside a plain
// TypeScript threshold check written by hand in the same run.
//
// The baseline is what a hand-written monitor does: for each reading compare with the four
// thresholds (strict, as Nightscout) and count level changes, and flag gaps longer than 15 and
// 30 minutes. It decodes nothing (its input is already numbers), checks no CRC, no sequence, no
// duration, rate, device or dose rule, and gives no evidence: it is the floor, not a peer. Both
// sides must agree on the number of level episodes and stale gaps before anything is timed.

import assert from 'node:assert/strict';
import * as sdk from '@countersign/sdk';
import { MEASURE_MS, measureOpsPerSecond } from './measure.mjs';

const T0_MS = 1_767_225_600_000;
const DAYS = 90;
const READING_MS = 300_000;
const FRAMES_PER_DECODE_BATCH = 2_000;

/** A deterministic 90-day history: glucose every 5 min (a day curve, lows, highs, sensor gaps), basal and status hourly. */
function history90() {
  let x = 0x5eed;
  const next = () => {
    x = (x * 1103515245 + 12345) % 2 ** 31;
    return x / 2 ** 31;
  };
  const frames = [];
  let seq = 0;
  let t = T0_MS;
  let g = 120;
  for (let i = 0; i < (DAYS * 86_400_000) / READING_MS; i++) {
    t += READING_MS;
    if (next() < 0.002) t += 20 * 60_000 + Math.floor(next() * 30) * 60_000; // a sensor gap
    const h = ((t - T0_MS) / 3_600_000) % 24;
    g = Math.max(40, Math.min(400, Math.round(g + (130 + 60 * Math.sin((h / 24) * 2 * Math.PI) - g) * 0.1 + (next() - 0.5) * 16)));
    frames.push({ seq: ++seq, atMs: t, body: { type: 'glucose', mgdl: g } });
    if (i % 12 === 0) {
      frames.push({ seq: ++seq, atMs: t, body: { type: 'delivery', mu: 900, kind: 'basal' } });
      frames.push({ seq: ++seq, atMs: t, body: { type: 'device-status', reservoirMu: 150_000, batteryPct: 70, batteryMv: 3_900 } });
    }
  }
  return frames;
}

const SETTINGS = () => Object.fromEntries(sdk.doseSettingsFields().map((f) => [f.name, f.default]));

/** The hand-written baseline: level changes and stale gaps over readings as plain numbers. */
function baseline(times, values, untilMs, s) {
  let episodes = 0;
  let stale = 0;
  let level = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    const l = v < s.urgentLowMgdl ? 1 : v < s.lowMgdl ? 2 : v > s.urgentHighMgdl ? 3 : v > s.highMgdl ? 4 : 0;
    if (l !== level && l !== 0) episodes++;
    level = l;
    const gap = (i + 1 < times.length ? times[i + 1] : untilMs) - times[i];
    if (gap > s.staleWarnMin * 60_000) stale++;
    if (gap > s.staleUrgentMin * 60_000) stale++;
  }
  return { episodes, stale };
}

export function measureDose() {
  const s = SETTINGS();
  const history = history90();
  const readings = history.filter((f) => f.body.type === 'glucose');
  const times = readings.map((f) => f.atMs);
  const values = readings.map((f) => f.body.mgdl);
  const until = history[history.length - 1].atMs;
  // Agreement first: the same level episodes and stale gaps on both sides.
  const ours = sdk.doseEvaluate(s, history, until);
  const count = (kinds) => ours.filter((x) => kinds.includes(x.kind)).length;
  const theirs = baseline(times, values, until, s);
  assert.equal(count(['urgent-low', 'low', 'high', 'urgent-high']), theirs.episodes, 'level episodes');
  assert.equal(count(['stale-data', 'urgent-stale-data']), theirs.stale, 'stale-data episodes');

  process.stderr.write('measuring dose: frames decoded …\n');
  const wire = history.slice(0, FRAMES_PER_DECODE_BATCH).map((f) => sdk.doseEncodeFrame(f));
  const config = (() => {
    const k = sdk.generateKeyPair('EdDSA');
    const key = { keyId: 'k', algorithm: 'EdDSA', publicKey: k.publicKey };
    return { controllerModel: 'm', serverKeys: [key], controllerKey: key };
  })();
  const decodeBatches = measureOpsPerSecond(() => {
    const t = sdk.PatientTerminal.create(config);
    let n = 0;
    for (const b of wire) n += t.acceptFrame(b).code.length;
    t.free();
    return n;
  }, { measureMs: MEASURE_MS });
  // A plain TypeScript decoder of the same bytes: fields read with a DataView, CRC-16/CCITT-FALSE
  // by table, the sequence compared with the last (no window, no typed outcome).
  const table = new Uint16Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i << 8;
    for (let j = 0; j < 8; j++) c = c & 0x8000 ? ((c << 1) ^ 0x1021) & 0xffff : (c << 1) & 0xffff;
    table[i] = c;
  }
  const tsDecodeBatches = measureOpsPerSecond(() => {
    let last = -1;
    let ok = 0;
    for (const b of wire) {
      const n = b[14];
      let crc = 0xffff;
      for (let i = 0; i < 15 + n; i++) crc = ((crc << 8) & 0xffff) ^ table[((crc >> 8) ^ b[i]) & 0xff];
      const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
      if (crc !== dv.getUint16(15 + n) || b[0] !== 1) continue;
      const seq = dv.getUint32(2);
      if (seq > last) {
        last = seq;
        ok++;
      }
    }
    return ok;
  }, { measureMs: MEASURE_MS });

  process.stderr.write('measuring dose: 90-day evaluation …\n');
  const evals = measureOpsPerSecond(() => sdk.doseEvaluate(s, history, until).length, { measureMs: Math.max(MEASURE_MS, 2000), iterationsMax: 1_000 });
  const baselineEvals = measureOpsPerSecond(() => baseline(times, values, until, s).episodes, { measureMs: MEASURE_MS });
  // The same history as the frames' own bytes (doseHistoryBytes): one crossing, decoded and
  // checked (CRC, ranges) by the core. It must give exactly the object path's signals.
  const packed = sdk.doseHistoryBytes(history.map((f) => sdk.doseEncodeFrame(f)));
  assert.deepEqual(sdk.doseEvaluateBytes(s, packed, until), ours, 'bytes and objects give the same signals');
  const bytesEvals = measureOpsPerSecond(() => sdk.doseEvaluateBytes(s, packed, until).length, { measureMs: Math.max(MEASURE_MS, 2000), iterationsMax: 5_000 });
  // Its baseline decodes the same bytes by hand first (CRC table, DataView), then runs the same
  // thresholds-and-gaps check: the floor for a check that starts from the wire.
  const decodeThenCheck = () => {
    const ts = [];
    const vs = [];
    let at = 0;
    while (at < packed.length) {
      const n = packed[at];
      const b = packed.subarray(at + 1, at + 1 + n);
      at += 1 + n;
      const len = b[14];
      let crc = 0xffff;
      for (let i = 0; i < 15 + len; i++) crc = ((crc << 8) & 0xffff) ^ table[((crc >> 8) ^ b[i]) & 0xff];
      const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
      if (crc !== dv.getUint16(15 + len) || b[0] !== 1) throw new Error('bad frame');
      if (b[1] !== 1) continue;
      ts.push(dv.getUint32(6) * 2 ** 32 + dv.getUint32(10));
      vs.push(dv.getUint16(15));
    }
    return baseline(ts, vs, until, s);
  };
  assert.deepEqual(decodeThenCheck(), theirs, 'the hand decoder reads the same readings');
  const decodeThenCheckEvals = measureOpsPerSecond(() => decodeThenCheck().episodes, { measureMs: MEASURE_MS });
  return {
    frames: history.length,
    signals: ours.length,
    rows: [
      { op: `frames decoded by PatientTerminal.acceptFrame (CRC, stream), batches of ${FRAMES_PER_DECODE_BATCH}`, ours: decodeBatches * FRAMES_PER_DECODE_BATCH, theirs: tsDecodeBatches * FRAMES_PER_DECODE_BATCH, unit: 'frames/s' },
      { op: `90-day evaluation (${history.length.toLocaleString('en-US')} frames, every rule) vs thresholds + gaps only`, ours: evals, theirs: baselineEvals, unit: 'histories/s' },
      { op: '90-day evaluation, frames evaluated', ours: evals * history.length, theirs: baselineEvals * readings.length, unit: 'frames/s' },
      { op: `90-day evaluation from the frames' bytes (doseEvaluateBytes: one crossing, CRC and ranges checked) vs thresholds + gaps only`, ours: bytesEvals, theirs: baselineEvals, unit: 'histories/s' },
      { op: `90-day evaluation from the frames' bytes vs a hand decoder (CRC table) + thresholds + gaps`, ours: bytesEvals, theirs: decodeThenCheckEvals, unit: 'histories/s' },
    ],
  };
}

const fmt = (n) => Math.round(n).toLocaleString('en-US');

export function doseTable(measured) {
  return [
    `dose (System 9) through the SDK, beside hand-written TypeScript (a DataView + CRC-table decoder; a four-threshold and gap check over plain numbers). The 90-day history gives ${measured.signals.toLocaleString('en-US')} signals; both sides agree on its level episodes and stale gaps:`,
    '',
    '| op | countersign /s | TypeScript baseline /s | ratio (countersign/baseline) |',
    '|---|---:|---:|---:|',
    ...measured.rows.map((r) => `| ${r.op} (${r.unit}) | ${fmt(r.ours)} | ${fmt(r.theirs)} | ${(r.ours / r.theirs).toFixed(3)} |`),
  ];
}
