// The relay vectors of tests/vectors/relay/ through the SDK: the same file cargo test runs, with
// a PaymentPhone and a TokenServer; token and receipt bytes compared byte for byte.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PaymentPhone, TokenServer, keyPairFromSecret } from '@countersign/sdk';
import { readJson } from './helpers.mjs';

const T0 = 1_800_000_000;
const SNAPSHOT_KEY = new Uint8Array(32).fill(0x5a);
// No Buffer: the browser test runs this file unchanged in Chromium.
const hex = (bytes) => Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
const unhex = (text) => Uint8Array.from(text.match(/../g) ?? [], (pair) => parseInt(pair, 16));

test('relay vectors through the SDK (byte-identical tokens and receipts)', () => {
  const doc = readJson('relay/scenarios.json');
  const keys = Object.fromEntries(Object.entries(doc.keys).map(([id, secret]) => [id, keyPairFromSecret('EdDSA', unhex(secret))]));
  let steps = 0;
  for (const scenario of doc.scenarios) {
    const cfg = scenario.server;
    let server = TokenServer.create(cfg.currency, T0, keys.srv, 'srv');
    for (const payee of cfg.payees) server.addPayee(payee, T0);
    for (const d of cfg.devices) {
      const limit = { id: 'lifetime', measure: 'amount', currency: cfg.currency, window: { kind: 'lifetime' }, hard: d.lifetimeLimit };
      server.registerDevice(d.deviceId, keys[d.deviceId].publicKey, [limit], T0);
      server.fund(d.deviceId, d.fund, T0);
    }
    const phones = Object.fromEntries(Object.entries(scenario.phones).map(([name, c]) => [name, PaymentPhone.create(c, keys[c.deviceId])]));
    const tokens = new Map();
    const receipts = new Map();
    scenario.steps.forEach((step, i) => {
      const at = `${scenario.name} step ${i} (${step.op})`;
      let got = null;
      if (step.op === 'seal') {
        const out = phones[step.phone].seal({ payee: step.payee, amount: step.amount, currency: step.currency, nonce: unhex(step.nonce), now: step.now, ttlS: step.ttlS });
        got = { code: out.code };
        if (out.token !== null) {
          Object.assign(got, { counter: out.counter, token: hex(out.token) });
          tokens.set(i, out.token);
        } else {
          Object.assign(got, { limitsCode: out.limitsCode, limitId: out.limitId });
        }
      } else if (step.op === 'process') {
        let token = tokens.get(step.token);
        if (step.tamper === 'lastByte') {
          token = new Uint8Array(token);
          token[token.length - 1] ^= 1;
        }
        const reply = server.process(token, step.now);
        got = { code: reply.code, replayed: reply.replayed, receipt: reply.receipt === null ? null : hex(reply.receipt) };
        if (reply.limitsCode !== null && reply.limitsCode !== undefined) Object.assign(got, { limitsCode: reply.limitsCode, limitId: reply.limitId });
        if (reply.receipt !== null) receipts.set(i, reply.receipt);
        got.balances = Object.fromEntries(Object.keys(step.expect.balances).map((account) => {
          const [kind, id] = account.split('/');
          return [account, server.balance(kind === 'd' ? 'device' : 'payee', id)];
        }));
      } else if (step.op === 'receipt') {
        const out = phones[step.phone].acceptReceipt(receipts.get(step.receipt), server.publicKey, step.now);
        got = { code: out.code, decision: out.decision ?? null };
      } else if (step.op === 'restart') {
        const snap = server.snapshot(SNAPSHOT_KEY);
        server.free();
        server = TokenServer.restore(snap, SNAPSHOT_KEY, keys.srv, 'srv');
        for (const [name, phone] of Object.entries(phones)) {
          const bytes = phone.snapshot(SNAPSHOT_KEY);
          phone.free();
          phones[name] = PaymentPhone.restore(bytes, SNAPSHOT_KEY, keys[phone.deviceId]);
        }
      }
      assert.deepEqual(got, step.expect ?? null, at);
      steps += 1;
    });
    server.free();
    for (const phone of Object.values(phones)) phone.free();
  }
  assert.ok(steps >= 140, `${steps} steps`);
});
