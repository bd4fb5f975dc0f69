// Hostile-input targets: System 9, the patient terminal (PatientTerminal, DoseController,
// DoseStore and the dose functions).
import * as s from '@countersign/sdk';

const hex = (b) => Buffer.from(b).toString('hex');
const KEY = new Uint8Array(32).fill(7);
const T0 = 1_767_225_600;
const server = s.generateKeyPair('EdDSA');
const term = s.generateKeyPair('EdDSA');
const ctrl = s.generateKeyPair('EdDSA');
const pub = (p, keyId) => ({ keyId, algorithm: 'EdDSA', publicKey: p.publicKey.slice() });
const sig = (p, keyId) => ({ keyId, algorithm: 'EdDSA', secretKey: p.secretKey.slice() });
const fields = s.doseSettingsFields();
const defaults = () => Object.fromEntries(fields.map((f) => [f.name, f.default]));
const pkg = () => ({ programId: 'p', controllerModel: 'pump-x1', decodingTablesVersion: 1, defaults: defaults(), permitted: fields.map((f) => f.absolute.slice()), roles: ['patient', 'caregiver'] });
const program = (v) => s.doseSealProgram(pkg(), v, sig(server, 'mgmt'), T0, T0 + 86_400);
const terminalConfig = () => ({ controllerModel: 'pump-x1', serverKeys: [pub(server, 'mgmt')], controllerKey: pub(ctrl, 'controller') });
const controllerConfig = () => ({ model: 'pump-x1', serverKeys: [pub(server, 'mgmt')], terminalKey: pub(term, 'terminal') });
const frame = (seq, mgdl = 100) => ({ seq, atMs: T0 * 1000 + seq * 300_000, body: { type: 'glucose', mgdl } });
const history = () => [frame(1, 70), frame(2, 60), { seq: 3, atMs: T0 * 1000 + 900_000, body: { type: 'device-alarm', alarm: 'occlusion', raised: true } }];
const historyBytes = () => s.doseHistoryBytes(history().map((f) => s.doseEncodeFrame(f)));

/** A terminal with program v1, one frame and pending settings. */
function terminal() {
  const t = s.PatientTerminal.create(terminalConfig());
  t.install(program(1), T0);
  t.acceptFrame(s.doseEncodeFrame(frame(1)));
  t.proposeSettings(defaults(), sig(term, 'terminal'), T0, 600);
  return t;
}
const base = terminal();
const baseSnapshot = base.snapshot(KEY);
const pendingEnvelope = (() => {
  const t = s.PatientTerminal.create(terminalConfig());
  t.install(program(1), T0);
  const e = t.proposeSettings(defaults(), sig(term, 'terminal'), T0, 600).envelope;
  t.free();
  return e;
})();
base.free();

const onTerminal = { receiver: terminal, state: (t) => hex(t.snapshot(KEY)) };
function controller() {
  const c = s.DoseController.create(controllerConfig());
  c.install(program(1), T0);
  return c;
}
const onController = { receiver: controller, state: (c) => JSON.stringify(c.confirmed()) };

const stores = new WeakMap();
async function store() {
  const storage = new s.MemoryStorage();
  const st = new s.DoseStore(storage, KEY);
  const t = terminal();
  await st.save('patient-1', t);
  t.acceptFrame(s.doseEncodeFrame(frame(2)));
  stores.set(st, { storage, terminal: t });
  return st;
}
async function storeState(st) {
  const { storage, terminal: t } = stores.get(st);
  const stored = await storage.get('dose/patient-1');
  return `${stored === null ? 'none' : `${stored.version} ${hex(stored.value)}`} ${hex(t.snapshot(KEY))}`;
}

export const targets = {
  'doseSealProgram': { args: () => [pkg(), 2, sig(server, 'mgmt'), T0, T0 + 60] },
  'doseEncodeFrame': { args: () => [frame(5)] },
  'doseDecodeFrame': { args: () => [s.doseEncodeFrame(frame(5))] },
  'doseValidateSettings': { args: () => [defaults(), fields.map((f) => f.absolute.slice())] },
  'doseEvaluate': { args: () => [defaults(), history(), T0 * 1000 + 3_600_000] },
  'doseEvaluateBytes': { args: () => [defaults(), historyBytes(), T0 * 1000 + 3_600_000] },
  'doseHistoryBytes': { args: () => [history().map((f) => s.doseEncodeFrame(f))] },
  'doseSettingsFields': { args: () => [] },
  'doseCodes': { args: () => [] },

  'new PatientTerminal': { args: () => [] }, // private: always refused
  'PatientTerminal.create': { args: () => [terminalConfig()] },
  'PatientTerminal.restore': { args: () => [baseSnapshot.slice(), KEY.slice()] },
  'PatientTerminal#install': { ...onTerminal, args: () => [program(2), T0] },
  'PatientTerminal#proposeSettings': { ...onTerminal, args: () => [{ ...defaults(), lowMgdl: 90 }, sig(term, 'terminal'), T0, 600] },
  'PatientTerminal#takeAck': { ...onTerminal, args: () => [new Uint8Array([0xd2, 0x84]), T0] },
  'PatientTerminal#acceptFrame': { ...onTerminal, args: () => [s.doseEncodeFrame(frame(2))] },
  'PatientTerminal#state': { ...onTerminal, args: () => [] },
  'PatientTerminal#permitted': { ...onTerminal, args: () => [] },
  'PatientTerminal#snapshot': { ...onTerminal, args: () => [KEY.slice()] },
  'PatientTerminal#freshness': { ...onTerminal, args: () => [] },
  'PatientTerminal#free': { ...onTerminal, args: () => [], consumes: true },
  'PatientTerminal#[Symbol.dispose]': { ...onTerminal, args: () => [], consumes: true },

  'new DoseController': { args: () => [] },
  'DoseController.create': { args: () => [controllerConfig()] },
  'DoseController#install': { ...onController, args: () => [program(2), T0] },
  'DoseController#receiveSettings': { ...onController, args: () => [pendingEnvelope.slice(), T0, sig(ctrl, 'controller')] },
  'DoseController#evaluate': { ...onController, args: () => [history(), T0 * 1000 + 3_600_000] },
  'DoseController#evaluateBytes': { ...onController, args: () => [historyBytes(), T0 * 1000 + 3_600_000] },
  'DoseController#confirmed': { ...onController, args: () => [] },
  'DoseController#free': { ...onController, args: () => [], consumes: true },
  'DoseController#[Symbol.dispose]': { ...onController, args: () => [], consumes: true },

  'new DoseStore': { args: () => [new s.MemoryStorage(), KEY.slice(), { prefix: 'terminals/' }] },
  'DoseStore#load': { receiver: store, state: storeState, args: () => ['patient-1'] },
  'DoseStore#save': { receiver: store, state: storeState, argsFor: (st) => ['patient-1', stores.get(st).terminal] },
};
