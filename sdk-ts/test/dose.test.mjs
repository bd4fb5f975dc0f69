// System 9 through the SDK: the program package, the settings round trip between PatientTerminal
// and DoseController (pending until confirmed, replay refused), frames and their codes, the store
// (save, load, rollback refused), and the SDK's code list against the core's.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  DOSE_CODES, DoseController, DoseStore, MemoryStorage, PatientTerminal, doseCodes, doseEncodeFrame, doseSealProgram, doseSettingsFields, generateKeyPair,
} from '@countersign/sdk';

const T0 = 1_767_225_600;
const server = generateKeyPair('EdDSA');
const term = generateKeyPair('EdDSA');
const ctrl = generateKeyPair('EdDSA');
const pub = (p, keyId) => ({ keyId, algorithm: 'EdDSA', publicKey: p.publicKey });
const sig = (p, keyId) => ({ keyId, algorithm: 'EdDSA', secretKey: p.secretKey });
const defaults = () => Object.fromEntries(doseSettingsFields().map((f) => [f.name, f.default]));
const pkg = (model = 'pump-x1') => ({ programId: 'p', controllerModel: model, decodingTablesVersion: 1, defaults: defaults(), permitted: doseSettingsFields().map((f) => f.absolute), roles: ['patient', 'caregiver'] });
const program = (v, model) => doseSealProgram(pkg(model), v, sig(server, 'mgmt'), T0, T0 + 86_400);
const pair = () => [
  PatientTerminal.create({ controllerModel: 'pump-x1', serverKeys: [pub(server, 'mgmt')], controllerKey: pub(ctrl, 'controller') }),
  DoseController.create({ model: 'pump-x1', serverKeys: [pub(server, 'mgmt')], terminalKey: pub(term, 'terminal') }),
];

test('the SDK lists exactly the core codes', () => {
  assert.deepEqual([...DOSE_CODES], doseCodes().map((c) => c.code));
});

test('program package: installed, then refused when older, for another model, or forged', () => {
  const [t, c] = pair();
  assert.equal(t.install(program(2), T0).code, 'INSTALLED');
  assert.equal(c.install(program(2), T0), 'INSTALLED_SETTINGS_REVIEW');
  assert.equal(t.install(program(1), T0).code, 'DOWNGRADE');
  assert.equal(t.install(program(3, 'pump-y9'), T0).code, 'CONTROLLER_INCOMPATIBLE');
  const forged = doseSealProgram(pkg(), 4, sig(term, 'mgmt'), T0, T0 + 60);
  assert.equal(t.install(forged, T0).code, 'BAD_SIGNATURE');
  assert.equal(t.state().program.version, 2);
  t.free();
  c.free();
});

test('settings: refused with findings, pending until the controller confirms, replay refused', () => {
  const [t, c] = pair();
  t.install(program(1), T0);
  c.install(program(1), T0);
  const refused = t.proposeSettings({ ...defaults(), urgentHighMgdl: 401 }, sig(term, 'terminal'), T0);
  assert.equal(refused.code, 'SETTINGS_REFUSED');
  assert.deepEqual(refused.validation.refusals.map((f) => [f.field, f.code, f.limit]), [['urgentHighMgdl', 'ABOVE_ABSOLUTE', 400]]);
  assert.equal(refused.envelope, null);
  const mine = { ...defaults(), lowMgdl: 72, highMgdl: 260, urgentHighMgdl: 300 };
  const sent = t.proposeSettings(mine, sig(term, 'terminal'), T0);
  assert.equal(sent.code, 'SETTINGS_PENDING');
  assert.deepEqual(sent.validation.warnings.map((f) => [f.field, f.code]), [['highMgdl', 'ABOVE_RECOMMENDED']]);
  assert.deepEqual(t.state().pending.settings, mine);
  assert.equal(t.state().confirmed, null);
  assert.deepEqual(c.confirmed(), defaults(), 'the controller keeps its settings until it confirms');
  const answer = c.receiveSettings(sent.envelope, T0 + 1, sig(ctrl, 'controller'));
  assert.equal(answer.code, 'SETTINGS_CONFIRMED');
  assert.deepEqual(c.confirmed(), mine);
  assert.equal(c.receiveSettings(sent.envelope, T0 + 2, sig(ctrl, 'controller')).code, 'REPLAYED');
  assert.equal(t.takeAck(answer.ack, T0 + 2), 'SETTINGS_CONFIRMED');
  assert.deepEqual(t.state().confirmed, mine);
  assert.equal(t.state().pending, null);
  assert.equal(t.takeAck(answer.ack, T0 + 3), 'REPLAYED');
  t.free();
  c.free();
});

test('frames: codes, and the terminal saved, loaded and a rollback refused', async () => {
  const [t, c] = pair();
  c.free();
  t.install(program(1), T0);
  const frame = (seq, mgdl) => doseEncodeFrame({ seq, atMs: T0 * 1000 + seq * 300_000, body: { type: 'glucose', mgdl } });
  assert.equal(t.acceptFrame(frame(1, 120)).code, 'ACCEPTED');
  assert.deepEqual(t.acceptFrame(frame(4, 110)), { code: 'ACCEPTED_AFTER_GAP', frame: { seq: 4, atMs: T0 * 1000 + 1_200_000, body: { type: 'glucose', mgdl: 110 } }, missing: 2 });
  assert.equal(t.acceptFrame(frame(4, 110)).code, 'DUPLICATE');
  assert.equal(t.acceptFrame(frame(2, 110)).code, 'OUT_OF_ORDER');
  const broken = frame(5, 100);
  broken[3] ^= 0x80;
  assert.equal(t.acceptFrame(broken).code, 'BAD_CRC');
  const key = new Uint8Array(32).fill(3);
  const storage = new MemoryStorage();
  const store = new DoseStore(storage, key);
  assert.equal(await store.save('p1', t), true);
  const old = await storage.get('dose/p1');
  t.acceptFrame(frame(5, 100));
  assert.equal(await store.save('p1', t), true);
  const loaded = await store.load('p1');
  assert.deepEqual(loaded.state(), t.state());
  assert.equal(loaded.acceptFrame(frame(5, 100)).code, 'DUPLICATE');
  // Storage rolled back to the older state: refused by a store that saw the newer one.
  await storage.put('dose/p1', old.value, (await storage.get('dose/p1')).version);
  await assert.rejects(store.load('p1'), (e) => e.code === 'SNAPSHOT_INVALID');
  loaded.free();
  t.free();
});
