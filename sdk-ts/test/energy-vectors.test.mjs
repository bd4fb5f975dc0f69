// The energy vectors of tests/vectors/energy/ through the SDK: the same files cargo test runs.
// pricing.json through dispenseLimit / meteredCost; sessions.json with an EnergyTerminal and an
// EnergyServer exchanging envelopes, every expected field compared at every step.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EnergyServer, EnergyTerminal, dispenseLimit, keyPairFromSecret, meteredCost } from '@countersign/sdk';
import { readJson } from './helpers.mjs';

test('energy pricing vectors through the SDK', () => {
  const doc = readJson('energy/pricing.json');
  let count = 0;
  for (const c of doc.cases) {
    const { op, note, expect, error, ...request } = c;
    const run = () => (op === 'limit' ? dispenseLimit(request) : meteredCost(request));
    if (error !== undefined) {
      assert.throws(run, (err) => err.code === error, `${note}: expected ${error}`);
    } else {
      assert.deepEqual(run(), expect, note);
    }
    count += 1;
  }
  assert.ok(count >= 50);
});

const SERVER_KEYS = keyPairFromSecret('EdDSA', new Uint8Array(32).fill(0x51));
const TERMINAL_KEYS = keyPairFromSecret('EdDSA', new Uint8Array(32).fill(0x7e));
const ROUTES = { order: 'order', tariffChange: 'tariff-change', extend: 'extend', complete: 'completion' };

function setup(scenario, start) {
  const server = EnergyServer.create(scenario.server, start, SERVER_KEYS, 'server');
  const terminalKey = { keyId: 'pump-1', algorithm: 'EdDSA', publicKey: TERMINAL_KEYS.publicKey };
  server.addTerminal('station-1', terminalKey, start);
  for (const [wallet, amount] of Object.entries(scenario.wallets)) {
    server.openWallet(wallet, start);
    assert.equal(server.topUp(wallet, amount, start).code, 'TRANSFERRED');
  }
  const terminal = () => EnergyTerminal.create({ stationId: 'station-1', serverKey: server.publicKey }, TERMINAL_KEYS, 'pump-1');
  return { server, terminal: terminal(), fresh: terminal(), last: null };
}

function sessionFields(terminal, orderId, got) {
  const view = terminal.session(orderId);
  if (view === null) return;
  Object.assign(got, { held: view.held, maxQuantity: view.maxQuantity, increments: view.increments, delivered: view.delivered });
  if (view.expiresAt !== null) got.expiresAt = view.expiresAt;
}

function step(run, s, start) {
  const now = start + s.t;
  const got = {};
  const orderId = s.orderId ?? s.order?.orderId;
  const terminal = s.fresh ? run.fresh : run.terminal;
  let built = null;
  switch (s.op) {
    case 'order':
      try {
        built = terminal.order(s.order, now).envelope;
      } catch (err) {
        got.error = err.code;
      }
      break;
    case 'meter':
      got.code = run.terminal.meter(orderId, s.quantity, now).code;
      sessionFields(run.terminal, orderId, got);
      break;
    case 'tariffChange': {
      const out = run.terminal.changeTariff(orderId, s.tariff, now);
      if (out.increment !== null) got.increment = out.increment;
      got.code = out.code;
      built = out.envelope;
      break;
    }
    case 'extend': {
      const out = run.terminal.extend(orderId, start + s.expiresAt, now);
      got.code = out.code;
      built = out.envelope;
      break;
    }
    case 'complete': {
      const out = run.terminal.complete(orderId, now);
      got.code = out.code;
      built = out.envelope;
      break;
    }
    case 'expire':
      got.expired = run.server.expireDue(now);
      break;
    case 'resend': {
      const reply = run.server.handle(ROUTES[run.last.op], run.last.envelope, now);
      assert.deepEqual(reply.envelope, run.last.answer, 'the stored answer, byte for byte');
      got.code = reply.code;
      got.repeated = reply.repeated;
      break;
    }
    default:
      throw new Error(`unknown op ${s.op}`);
  }
  if (built !== null) {
    const envelope = Uint8Array.from(built);
    if (s.tamper) envelope[envelope.length - 1] ^= 1;
    const reply = run.server.handle(ROUTES[s.op], envelope, now);
    got.code = reply.code;
    const applied = terminal.acceptReply(orderId, reply, now);
    if (reply.envelope !== null) {
      assert.ok(applied.accepted, `the terminal accepts the answer: ${applied.code}`);
      assert.equal(applied.code, reply.code);
      run.last = { op: s.op, envelope, answer: reply.envelope };
    }
    if (s.op === 'complete') {
      const receipt = terminal.session(orderId)?.receipt;
      if (receipt) {
        for (const key of ['late', 'quantity', 'cost', 'held', 'captured', 'released', 'uncollected']) got[key] = receipt[key];
        got.segments = receipt.segments.map(({ fromQuantity, toQuantity, quantity, cost }) => ({ fromQuantity, toQuantity, quantity, cost }));
        got.readings = receipt.readings.length;
      }
    } else {
      sessionFields(terminal, orderId, got);
    }
  }
  got.wallets = {};
  for (const wallet of Object.keys(s.expect.wallets ?? {})) {
    const view = run.server.wallet(wallet);
    got.wallets[wallet] = { balance: view.balance, available: view.available };
  }
  got.station = run.server.station('station-1').balance;
  return got;
}

test('energy session vectors through the SDK', () => {
  const doc = readJson('energy/sessions.json');
  let steps = 0;
  for (const scenario of doc.scenarios) {
    const run = setup(scenario, doc.start);
    scenario.steps.forEach((s, index) => {
      const got = step(run, s, doc.start);
      for (const [key, value] of Object.entries(s.expect)) {
        assert.deepEqual(got[key], value, `${scenario.name}, step ${index} (${s.op}): ${key}`);
      }
      steps += 1;
    });
    run.server.free();
    run.terminal.free();
    run.fresh.free();
  }
  assert.ok(steps >= 80, `${steps} steps`);
});
