// System 9 demo: the patient terminal after an automatic drug injection.
//
// The page plays the management server (it seals the program package) and the pump's controller
// (it makes the frames: a glucose reading every 5 minutes from a day-shaped curve with a night low
// and a meal high, basal deliveries, device status; it can occlude, lose the sensor, damage or
// repeat a frame, and it answers settings). Everything the terminal knows is decided by the
// countersign WebAssembly core through the SDK: each frame's code (CRC, sequence), the program's
// checks, the settings' findings, pending and confirmed settings, and the risk signals the
// controller's evaluation gives for the history. Kept across reloads:
//
//   * the terminal: IndexedDB, through DoseStore (authenticated snapshots, compare-and-swap);
//   * the simulated world (keys, frames sent, the controller's last settings envelope, the clock,
//     the log): localStorage.
//
// The risk signals go to the demo's management server (dose-alarm.js): the current alarm panel
// with Acknowledge and Snooze shows what its router decided, and the caregiver page
// (dose-caregiver.html) receives what the patient does not acknowledge.

import uPlot from '/vendor/uplot/uPlot.esm.js';
import { actionRunner, byTestId, deleteDatabase, demoError, formatLocal, fromHex, loadDemoState, renderLog, setEnabled, setSaveStatus, setText, showInitError, toHex } from './demo-kit.js';
import { startAlarmLink } from './dose-alarm.js';

const SDK_URL = '/sdk/dist/index.js';
const DB_NAME = 'countersign-dose-demo';
const LS_STATE = 'countersign-dose-demo:state';
const DEMO_STATE_VERSION = 1;
const TERMINAL_ID = 'patient-1';
const MODEL = 'pump-x1';
const T0 = 1_767_225_600; // 2026-01-01T00:00:00Z, the simulated clock's start (Unix seconds)
const READING_S = 300; // one glucose reading every 5 minutes
const PLAY_READINGS = 72; // 6 hours
const PLAY_DAY_READINGS = 288; // 24 hours
const FRAMES_MAX = 2_000; // frames kept by the demo (about a week of readings)
const LOG_ENTRIES_MAX = 60;
const SIGNALS_SHOWN_MAX = 40;
const PLAY_UNTIL_READINGS_MAX = 288; // "play until the next alarm" stops after a day at most

let sdk;
let store;
let terminal;
let controller;
let demo;
let chart;
let alarmLink;

const PACKAGE_V1 = () => ({
  programId: 'closed-loop-demo',
  controllerModel: MODEL,
  decodingTablesVersion: 1,
  defaults: defaults(),
  permitted: sdk.doseSettingsFields().map((f) => f.absolute),
  roles: ['patient', 'caregiver', 'doctor', 'risk-centre'],
});
function defaults() {
  return Object.fromEntries(sdk.doseSettingsFields().map((f) => [f.name, f.default]));
}

function freshDemo() {
  const pair = () => {
    const p = sdk.generateKeyPair('EdDSA');
    return { secretKey: toHex(p.secretKey), publicKey: toHex(p.publicKey) };
  };
  return {
    version: DEMO_STATE_VERSION, clock: T0, seq: 0, frames: [], keys: { server: pair(), terminal: pair(), controller: pair() },
    snapshotKey: toHex(crypto.getRandomValues(new Uint8Array(32))), controllerEvents: [], lastEnvelope: null, occluded: false,
    reservoirMu: 180_000, batteryPct: 80, log: [],
  };
}

const key = (name, id) => ({ keyId: id, algorithm: 'EdDSA', publicKey: fromHex(demo.keys[name].publicKey) });
const signer = (name, id) => ({ keyId: id, algorithm: 'EdDSA', secretKey: fromHex(demo.keys[name].secretKey) });

function log(actor, text, code = '', tone = '') {
  demo.log.push({ clock: demo.clock, actor, text, code, tone });
  if (demo.log.length > LOG_ENTRIES_MAX) demo.log.splice(0, demo.log.length - LOG_ENTRIES_MAX);
}

/** The simulated patient's glucose at `t` (Unix s): a day curve, a night low near 03:00, a meal high near 13:00. */
function glucoseAt(t) {
  const h = ((t - T0) / 3600) % 24;
  const bump = (center, width, height) => height * Math.exp(-(((h - center) / width) ** 2));
  const v = 125 + 20 * Math.sin((h / 24) * 2 * Math.PI) - bump(3, 1.2, 80) + bump(13, 1.5, 150) + 6 * Math.sin(t / 1700);
  return Math.max(40, Math.min(400, Math.round(v)));
}

/** The controller sends one frame: the terminal decodes it (the page keeps what it sent). */
function send(body, atS = demo.clock, bytes = null) {
  demo.seq += 1;
  const frame = { seq: demo.seq, atMs: atS * 1000, body };
  const wire = bytes ?? sdk.doseEncodeFrame(frame);
  return receive(wire);
}

function receive(wire) {
  const r = terminal.acceptFrame(wire);
  if (r.code === 'ACCEPTED' || r.code === 'ACCEPTED_AFTER_GAP') {
    demo.frames.push(r.frame);
    if (demo.frames.length > FRAMES_MAX) demo.frames.splice(0, demo.frames.length - FRAMES_MAX);
  }
  demo.lastFrame = { code: r.code, missing: r.missing };
  return r;
}

async function playHours(readings = PLAY_READINGS) {
  for (let i = 0; i < readings; i++) {
    demo.clock += READING_S;
    send({ type: 'glucose', mgdl: glucoseAt(demo.clock) });
    if (!demo.occluded) {
      demo.reservoirMu = Math.max(0, demo.reservoirMu - 80);
      send({ type: 'delivery', mu: 80, kind: 'basal' });
    }
    if (i % 12 === 11) {
      demo.batteryPct = Math.max(0, demo.batteryPct - 2);
      send({ type: 'device-status', reservoirMu: demo.reservoirMu, batteryPct: demo.batteryPct, batteryMv: 3000 + demo.batteryPct * 12 });
    }
  }
  log('controller', `${(readings * READING_S) / 3600} hours played: ${readings} readings`);
}

/** Plays readings one by one until the evaluation opens a signal that was not open before (or a day passes). */
async function playUntilAlarm() {
  const openIds = () => new Set(controller.evaluate(demo.frames, demo.clock * 1000).filter((s) => s.resolved === null).map((s) => s.signalId));
  const before = openIds();
  for (let i = 0; i < PLAY_UNTIL_READINGS_MAX; i++) {
    demo.clock += READING_S;
    send({ type: 'glucose', mgdl: glucoseAt(demo.clock) });
    if (!demo.occluded) {
      demo.reservoirMu = Math.max(0, demo.reservoirMu - 80);
      send({ type: 'delivery', mu: 80, kind: 'basal' });
    }
    const fresh = [...openIds()].filter((id) => !before.has(id));
    if (fresh.length > 0) {
      log('controller', `played ${i + 1} readings until a new alarm: ${fresh.join(', ')}`, '', 'warn');
      return;
    }
  }
  log('controller', `played ${PLAY_UNTIL_READINGS_MAX} readings: no new alarm`);
}

async function occlusion(raised) {
  demo.clock += 60;
  demo.occluded = raised;
  const r = send({ type: 'device-alarm', alarm: 'occlusion', raised });
  log('controller', raised ? 'occlusion raised' : 'occlusion cleared', r.code, raised ? 'bad' : 'ok');
}

async function loseSensor() {
  demo.clock += 40 * 60;
  log('controller', 'the sensor sent nothing for 40 minutes');
}

async function sendDamaged() {
  demo.clock += 60;
  const wire = sdk.doseEncodeFrame({ seq: demo.seq + 1, atMs: demo.clock * 1000, body: { type: 'glucose', mgdl: 100 } });
  wire[wire.length - 1] ^= 0x01;
  const r = receive(wire);
  log('terminal', 'a frame with a flipped bit', r.code, 'bad');
}

async function sendDuplicate() {
  if (demo.frames.length === 0) throw demoError('NOTHING_SENT', 'play some readings first');
  // The radio link repeats the last frame the terminal accepted, byte for byte.
  const r = receive(sdk.doseEncodeFrame(demo.frames[demo.frames.length - 1]));
  log('terminal', 'the last frame again', r.code, 'warn');
}

// ---------------------------------------------------------------------------------------------
// Program and settings

async function installUpdate() {
  const v = (terminal.state().program?.version ?? 0) + 1;
  const pkg = PACKAGE_V1();
  pkg.permitted[sdk.DOSE_SETTINGS_FIELDS.indexOf('maxBolusMu')] = [50, 5000];
  pkg.defaults.maxBolusMu = 4000;
  const bytes = sdk.doseSealProgram(pkg, v, signer('server', 'mgmt'), demo.clock, demo.clock + 86_400);
  const out = terminal.install(bytes, demo.clock);
  controllerInstall(bytes);
  demo.install = out;
  log('terminal', `program version ${v}`, out.code, out.code.startsWith('INSTALLED') ? 'ok' : 'bad');
}

async function installOld() {
  const bytes = sdk.doseSealProgram(PACKAGE_V1(), 1, signer('server', 'mgmt'), demo.clock, demo.clock + 86_400);
  const out = terminal.install(bytes, demo.clock);
  demo.install = out;
  log('terminal', 'program version 1 again', out.code, 'bad');
}

function formSettings() {
  const s = {};
  for (const f of sdk.doseSettingsFields()) {
    const raw = byTestId(`setting-${f.name}`).value.trim();
    if (!/^(0|[1-9][0-9]*)$/.test(raw)) throw demoError('INVALID_INPUT', `${f.name}: a whole number of ${f.unit}`);
    s[f.name] = Number(raw);
  }
  return s;
}

async function sendSettings() {
  const out = terminal.proposeSettings(formSettings(), signer('terminal', 'terminal'), demo.clock, 3600);
  demo.settings = out;
  if (out.envelope) demo.lastEnvelope = toHex(out.envelope);
  log('terminal', out.code === 'SETTINGS_PENDING' ? 'settings sealed and sent: pending' : 'settings refused: nothing sent', out.code, out.code === 'SETTINGS_PENDING' ? 'warn' : 'bad');
}

async function controllerConfirm() {
  if (!demo.lastEnvelope) throw demoError('NOTHING_PENDING', 'send settings first');
  const ans = controller.receiveSettings(fromHex(demo.lastEnvelope), demo.clock, signer('controller', 'controller'));
  demo.controllerEvents.push({ kind: 'settings', hex: demo.lastEnvelope, atS: demo.clock });
  let code = ans.code;
  if (ans.ack) code = terminal.takeAck(ans.ack, demo.clock);
  demo.settings = { code };
  log('controller', 'answered the settings', code, code === 'SETTINGS_CONFIRMED' ? 'ok' : 'bad');
}

/** The simulated controller installs a program (and the page remembers it, to replay after a reload). */
function controllerInstall(bytes) {
  controller.install(bytes, demo.clock);
  demo.controllerEvents.push({ kind: 'install', hex: toHex(bytes), atS: demo.clock });
}

// ---------------------------------------------------------------------------------------------
// Persistence

async function restore() {
  demo = loadDemoState(LS_STATE, DEMO_STATE_VERSION, freshDemo);
  store = new sdk.DoseStore(new sdk.IndexedDbStorage(DB_NAME), fromHex(demo.snapshotKey));
  terminal = await store.load(TERMINAL_ID);
  if (terminal === null) {
    // A new terminal: new keys and a new snapshot key (the store that looked keeps no version).
    demo = freshDemo();
    store = new sdk.DoseStore(new sdk.IndexedDbStorage(DB_NAME), fromHex(demo.snapshotKey));
  }
  controller = sdk.DoseController.create({ model: MODEL, serverKeys: [key('server', 'mgmt')], terminalKey: key('terminal', 'terminal') });
  if (terminal === null) {
    terminal = sdk.PatientTerminal.create({ controllerModel: MODEL, serverKeys: [key('server', 'mgmt')], controllerKey: key('controller', 'controller') });
    const bytes = sdk.doseSealProgram(PACKAGE_V1(), 1, signer('server', 'mgmt'), demo.clock, demo.clock + 86_400 * 30);
    demo.install = terminal.install(bytes, demo.clock);
    controllerInstall(bytes);
    log('terminal', 'paired with the pump; program version 1 installed', demo.install.code, 'ok');
    setText('restore-status', 'new terminal');
    fillForm(terminal.state().draft);
    await save();
  } else {
    // The simulated controller lives in this page's memory: it replays what it received, in
    // order (a real controller keeps its programs and confirmed settings itself).
    for (const e of demo.controllerEvents) {
      if (e.kind === 'install') controller.install(fromHex(e.hex), e.atS);
      else controller.receiveSettings(fromHex(e.hex), e.atS, signer('controller', 'controller'));
    }
    setText('restore-status', `restored from IndexedDB (revision ${terminal.freshness().revision})`);
    fillForm(terminal.state().draft);
  }
}

async function save() {
  localStorage.setItem(LS_STATE, JSON.stringify(demo));
  if (!(await store.save(TERMINAL_ID, terminal))) throw demoError('STORAGE_CONFLICT', 'another tab changed the terminal: reload the page');
  setSaveStatus('saved', `saved (revision ${terminal.freshness().revision})`);
}

async function resetDemo() {
  // The alarms this terminal raised end with it (resolved at the router, retracted for everyone).
  alarmLink?.resolveAll();
  terminal?.free();
  controller?.free();
  terminal = null;
  localStorage.removeItem(LS_STATE);
  await deleteDatabase(DB_NAME);
  chart?.destroy();
  chart = null;
  await restore();
}

// ---------------------------------------------------------------------------------------------
// Rendering

function fillForm(settings) {
  const form = byTestId('settings-form');
  if (form.childElementCount === 0) {
    for (const f of sdk.doseSettingsFields()) {
      const label = document.createElement('label');
      const name = document.createElement('span');
      name.textContent = f.name;
      const input = document.createElement('input');
      input.dataset.testid = `setting-${f.name}`;
      input.inputMode = 'numeric';
      const unit = document.createElement('span');
      unit.className = 'unit';
      unit.textContent = `${f.unit} (recommended ${f.recommended[0]}–${f.recommended[1]})`;
      label.append(name, input, unit);
      form.append(label);
    }
  }
  for (const [k, v] of Object.entries(settings)) byTestId(`setting-${k}`).value = String(v);
}

const short = (s) => (s ? `${s.urgentLowMgdl} / ${s.lowMgdl} / ${s.highMgdl} / ${s.urgentHighMgdl} mg/dL, max bolus ${(s.maxBolusMu / 1000).toFixed(3)} U` : '—');

function renderChart(signals, settings) {
  const readings = demo.frames.filter((f) => f.body.type === 'glucose');
  const xs = readings.map((f) => f.atMs / 1000);
  const ys = readings.map((f) => f.body.mgdl);
  const line = (v) => xs.map(() => v);
  const alarmAt = new Map();
  for (const s of signals) alarmAt.set(s.atMs / 1000, s);
  const marks = readings.map((f) => (alarmAt.has(f.atMs / 1000) ? f.body.mgdl : null));
  const data = [xs, ys, line(settings.urgentLowMgdl), line(settings.lowMgdl), line(settings.highMgdl), line(settings.urgentHighMgdl), marks];
  const el = byTestId('chart');
  if (!chart) {
    const dash = (stroke) => ({ stroke, dash: [6, 4], width: 1, points: { show: false } });
    chart = new uPlot(
      {
        width: Math.max(320, el.clientWidth || 800),
        height: 300,
        scales: { x: { time: true }, y: { range: [40, 400] } },
        axes: [{}, { label: 'mg/dL', size: 60 }],
        series: [
          {},
          { label: 'glucose (mg/dL)', stroke: '#1f5fbf', width: 2 },
          { label: 'urgent low', ...dash('#b3261e') },
          { label: 'low', ...dash('#c98a00') },
          { label: 'high', ...dash('#c98a00') },
          { label: 'urgent high', ...dash('#b3261e') },
          { label: 'alarm', stroke: 'transparent', points: { show: true, size: 9, fill: '#b3261e', stroke: '#b3261e' } },
        ],
      },
      data,
      el,
    );
  } else {
    chart.setData(data);
  }
  el.dataset.points = String(xs.length);
  el.dataset.alarms = String(marks.filter((m) => m !== null).length);
  el.dataset.thresholds = [settings.urgentLowMgdl, settings.lowMgdl, settings.highMgdl, settings.urgentHighMgdl].join(',');
}

function render() {
  if (!terminal) return;
  const st = terminal.state();
  setText('clock-local', formatLocal(demo.clock));
  setText('program-version', st.program ? `${st.program.package.programId} v${st.program.version}` : 'none');
  const inst = demo.install ?? {};
  const b = byTestId('install-outcome');
  b.textContent = inst.code ?? '';
  b.className = `badge ${inst.code?.startsWith('INSTALLED') ? 'ok' : 'bad'}`;
  setText('install-invalid', (inst.invalid ?? []).map((f) => `${f.field}: ${f.message}`).join('; '));
  setText('settings-confirmed', short(st.confirmed));
  setText('settings-pending', st.pending ? `${short(st.pending.settings)} (waiting for the controller)` : 'none');
  const so = byTestId('settings-outcome');
  so.textContent = demo.settings?.code ?? '';
  so.className = `badge ${demo.settings?.code === 'SETTINGS_CONFIRMED' ? 'ok' : demo.settings?.code === 'SETTINGS_PENDING' ? 'warn' : 'bad'}`;
  const findings = [...(demo.settings?.validation?.refusals ?? []).map((f) => ['refused', f]), ...(demo.settings?.validation?.warnings ?? []).map((f) => ['warning', f])];
  byTestId('settings-findings').replaceChildren(
    ...findings.map(([what, f]) => {
      const li = document.createElement('li');
      li.dataset.testid = 'settings-finding';
      li.textContent = `${what}: ${f.field} — ${f.message} (${f.code})`;
      return li;
    }),
  );
  setEnabled('controller-confirm', st.pending !== null);
  const fc = byTestId('frame-code');
  fc.textContent = demo.lastFrame?.code ?? '';
  fc.className = `badge ${demo.lastFrame?.code?.startsWith('ACCEPTED') ? 'ok' : 'bad'}`;
  setText('frame-stats', `${st.stream.acceptedCount} frames accepted, ${st.stream.missingCount} missing`);

  // The controller's evaluation of the whole history up to now.
  const signals = controller.evaluate(demo.frames, demo.clock * 1000);
  const settings = controller.confirmed();
  const readings = demo.frames.filter((f) => f.body.type === 'glucose');
  const last = readings[readings.length - 1];
  setText('glucose-now', last ? `${last.body.mgdl}` : '—');
  // mmol/L with the core's exact conversion (docs/dose.md "Units"), for display.
  setText('glucose-mmol', last ? `mg/dL (${(Math.floor((last.body.mgdl * 1_000_000 + 900_780) / 1_801_560) / 10).toFixed(1)} mmol/L)` : '');
  setText('glucose-age', last ? `${Math.round((demo.clock - last.atMs / 1000) / 60)} min ago` : '—');
  const status = [...demo.frames].reverse().find((f) => f.body.type === 'device-status');
  setText('reservoir', status ? `${(status.body.reservoirMu / 1000).toFixed(1)} U` : '—');
  setText('battery', status ? `${status.body.batteryPct} %` : '—');
  const open = signals.filter((s) => s.resolved === null);
  const rank = { high: 0, medium: 1, low: 2 };
  const current = open.slice().sort((a, b) => rank[a.priority] - rank[b.priority] || b.atMs - a.atMs)[0] ?? null;
  const alarm = byTestId('current-alarm');
  alarm.dataset.priority = current?.priority ?? 'none';
  alarm.dataset.kind = current?.kind ?? '';
  alarm.textContent = current ? `${current.priority.toUpperCase()} · ${current.kind}: ${current.reason}` : 'No alarm';
  document.dispatchEvent(new CustomEvent('dose:alarm', { detail: current }));
  alarmLink?.update(signals);
  byTestId('signals').replaceChildren(
    ...signals
      .slice(-SIGNALS_SHOWN_MAX)
      .reverse()
      .map((s) => {
        const tr = document.createElement('tr');
        tr.dataset.testid = 'signal';
        tr.dataset.kind = s.kind;
        for (const text of [formatLocal(s.atMs / 1000), s.kind, s.priority, s.reason, s.resolved ? formatLocal(s.resolved.atMs / 1000) : 'open']) {
          const td = document.createElement('td');
          td.textContent = text;
          tr.append(td);
        }
        return tr;
      }),
  );
  renderChart(signals, settings);
  renderLog(demo.log, (clock) => formatLocal(Math.floor(clock)));
}

// ---------------------------------------------------------------------------------------------

async function main() {
  try {
    sdk = await import(SDK_URL);
    // The device's part of System 9 (its alarm router runs on the demo's server): its own
    // module, without the routing (docs/dose.md#size).
    await sdk.init({ systems: ['dose.device'] });
  } catch (err) {
    showInitError(err);
    return;
  }
  alarmLink = startAlarmLink({ sdk, simulatedTime: (ms) => formatLocal(Math.floor(ms / 1000)) });
  const { action, bind } = actionRunner({ render, afterEach: save });
  bind('play-day', () => playHours(PLAY_DAY_READINGS), { outcome: ['frame-code'] });
  bind('play-hours', () => playHours(PLAY_READINGS), { outcome: ['frame-code'] });
  bind('play-until-alarm', playUntilAlarm, { outcome: ['frame-code'] });
  bind('inject-occlusion', () => occlusion(true));
  bind('clear-occlusion', () => occlusion(false));
  bind('lose-sensor', loseSensor);
  bind('send-damaged', sendDamaged, { outcome: ['frame-code'] });
  bind('send-duplicate', sendDuplicate, { outcome: ['frame-code'] });
  bind('install-update', installUpdate, { outcome: ['install-outcome'] });
  bind('install-old', installOld, { outcome: ['install-outcome'] });
  bind('send-settings', sendSettings, { outcome: ['settings-outcome'] });
  bind('controller-confirm', controllerConfirm, { outcome: ['settings-outcome'] });
  bind('reset-demo', resetDemo);
  action(async () => {
    try {
      await restore();
    } finally {
      const status = byTestId('sdk-status');
      status.dataset.state = 'ready';
      status.textContent = 'ready';
    }
  })();
}

main();
