// The energy purchase across a real network: the e-money server behind node:http on 127.0.0.1
// (ephemeral port), persisting through EnergyStore after every request — over FileStorage in a
// temp dir, and over PostgresStorage; the terminal talks to it with fetch. The server is stopped
// and started again from its storage mid-way, and a request is resent over HTTP (same bytes back,
// nothing applied twice).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { ENERGY_REQUESTS, EnergyServer, EnergyStore, EnergyTerminal, generateKeyPair } from '@countersign/sdk';
import { durableAdapters } from './postgres-server.mjs';

const T0 = 1_767_225_600;
const FUEL = { currency: 'EUR', unit: 'litre', unitPrice: '1.859', costRounding: 'half-even' };
const BODY_BYTES_MAX = 70_000; // one envelope at most (ENVELOPE_BYTES_MAX)
const workDir = mkdtempSync(join(tmpdir(), 'countersign-energy-http-'));
after(() => rmSync(workDir, { recursive: true, force: true }));

const snapshotKey = new Uint8Array(32).fill(11);
const serverKeys = generateKeyPair('EdDSA');

/**
 * Starts the HTTP front of a server loaded from (or created in) the storage `open()` gives. Routes:
 * POST /energy/<order|tariff-change|extend|completion>, body = the request envelope; answer 200
 * with the signed answer envelope, or 422 with `{code}` for a refusal. `clock.now` is the
 * server's clock (a simulated one, so expiry can be tested without waiting).
 */
async function startServer(open, clock, setup) {
  const store = new EnergyStore(open(), snapshotKey);
  let energy = await store.loadServer('main', serverKeys, 'server-1');
  if (energy === null) {
    energy = EnergyServer.create({ currency: 'EUR', holdDurationS: 900, lateCompletion: 'charge-if-funds' }, clock.now, serverKeys, 'server-1');
    setup(energy);
    assert.equal(await store.saveServer('main', energy), true);
  }
  let queue = Promise.resolve();
  const http = createServer((req, res) => {
    const chunks = [];
    let size = 0;
    req.on('data', (chunk) => {
      size += chunk.length;
      if (size <= BODY_BYTES_MAX) chunks.push(chunk);
    });
    req.on('end', () => {
      // One request at a time: each is decided and persisted before the next.
      queue = queue.then(async () => {
        const kind = req.url?.startsWith('/energy/') ? req.url.slice('/energy/'.length) : '';
        if (req.method !== 'POST' || !ENERGY_REQUESTS.includes(kind) || size > BODY_BYTES_MAX) {
          res.writeHead(404).end();
          return;
        }
        const reply = energy.handle(kind, new Uint8Array(Buffer.concat(chunks)), clock.now);
        if (!(await store.saveServer('main', energy))) throw new Error('lost a compare-and-swap race');
        const headers = { 'x-energy-code': reply.code, 'x-energy-repeated': String(reply.repeated) };
        if (reply.envelope !== null) {
          res.writeHead(200, { ...headers, 'content-type': 'application/cose; cose-type="cose-sign1"' }).end(reply.envelope);
        } else {
          res.writeHead(422, { ...headers, 'content-type': 'application/json' }).end(JSON.stringify({ code: reply.code }));
        }
      });
    });
  });
  await new Promise((resolve) => http.listen(0, '127.0.0.1', resolve));
  const { port } = http.address();
  return {
    energy,
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise((resolve) => http.close(resolve)),
  };
}

/** The terminal's transport: POST an envelope, get a ServerReply-shaped answer. */
async function post(url, kind, envelope) {
  const response = await fetch(`${url}/energy/${kind}`, { method: 'POST', body: envelope });
  const code = response.headers.get('x-energy-code');
  const repeated = response.headers.get('x-energy-repeated') === 'true';
  if (response.status === 200) {
    return { code, repeated, ledgerCode: null, orderId: null, envelope: new Uint8Array(await response.arrayBuffer()) };
  }
  assert.equal(response.status, 422);
  assert.equal((await response.json()).code, code);
  return { code, repeated, ledgerCode: null, orderId: null, envelope: null };
}

for (const { label, skip, place } of await durableAdapters()) test(`terminal and e-money server over HTTP on 127.0.0.1, persisted over ${label}, restarted mid-way`, { skip }, async (t) => {
  const { open, cleanup } = place(join(workDir, 'server'));
  t.after(cleanup);
  const clock = { now: T0 };
  const terminal = EnergyTerminal.create({ stationId: 'station-1', serverKey: { keyId: 'server-1', algorithm: 'EdDSA', publicKey: serverKeys.publicKey } }, generateKeyPair('EdDSA'), 'pump-1');
  let server = await startServer(open, clock, (energy) => {
    energy.addTerminal('station-1', terminal.publicKey, T0);
    energy.openWallet('alice', T0);
    energy.topUp('alice', '100.00', T0);
  });
  assert.notEqual(await open().get('energy/server/main'), null, 'the server persisted its state');

  // Order → hold of the maximum.
  const ordered = terminal.order({ orderId: 'o-1', walletId: 'alice', maximum: '50.00', belowMaximum: 'decline', tariff: FUEL }, clock.now);
  let reply = await post(server.url, 'order', ordered.envelope);
  assert.equal(reply.code, 'HELD');
  let applied = terminal.acceptReply('o-1', reply, clock.now);
  assert.equal(applied.session.maxQuantity, '26.89');

  // Meter, a tariff change with its increment, and an extension, each over HTTP.
  clock.now += 60;
  assert.equal(terminal.meter('o-1', '10.00', clock.now).code, 'READING_ACCEPTED');
  const change = terminal.changeTariff('o-1', { ...FUEL, unitPrice: '2.000' }, clock.now);
  reply = await post(server.url, 'tariff-change', change.envelope);
  assert.equal(reply.code, 'TARIFF_CHANGED');
  applied = terminal.acceptReply('o-1', reply, clock.now);
  assert.equal(applied.session.held, '52.37');
  const extension = terminal.extend('o-1', T0 + 1800, clock.now);
  reply = await post(server.url, 'extend', extension.envelope);
  assert.equal(reply.code, 'EXTENDED');
  terminal.acceptReply('o-1', reply, clock.now);

  // Stop the server; start it again from its files: the hold is still there.
  await server.close();
  server.energy.free();
  server = await startServer(open, clock, () => assert.fail('the state must be loaded, not created'));
  assert.equal(server.energy.wallet('alice').available, '47.63');

  clock.now += 60;
  assert.equal(terminal.meter('o-1', '20.00', clock.now).code, 'READING_ACCEPTED');
  const completion = terminal.complete('o-1', clock.now);
  reply = await post(server.url, 'completion', completion.envelope);
  assert.equal(reply.code, 'COMPLETED');
  applied = terminal.acceptReply('o-1', reply, clock.now);
  const receipt = applied.session.receipt;
  // 10 × 1.859 = 18.59, then 10 × 2.000 = 20.00: 38.59 of 52.37 held; 13.78 released.
  assert.deepEqual([receipt.cost.total, receipt.captured, receipt.released], ['38.59', '38.59', '13.78']);

  // The completion again (a retry after a lost response): the same bytes, charged once.
  const again = await post(server.url, 'completion', completion.envelope);
  assert.equal(again.repeated, true);
  assert.deepEqual(again.envelope, reply.envelope);
  assert.equal(server.energy.wallet('alice').balance, '61.41');

  // A second order whose hold expires; the late completion is charged (charge-if-funds).
  const second = terminal.order({ orderId: 'o-2', walletId: 'alice', maximum: '20.00', belowMaximum: 'decline', tariff: FUEL }, clock.now);
  terminal.acceptReply('o-2', await post(server.url, 'order', second.envelope), clock.now);
  assert.equal(terminal.meter('o-2', '5.00', clock.now + 10).code, 'READING_ACCEPTED');
  clock.now += 1000;
  assert.equal(terminal.meter('o-2', '6.00', clock.now).code, 'HOLD_EXPIRED');
  reply = await post(server.url, 'completion', terminal.complete('o-2', clock.now).envelope);
  assert.equal(reply.code, 'LATE_CHARGED');
  applied = terminal.acceptReply('o-2', reply, clock.now);
  assert.equal(applied.session.receipt.late, true);
  assert.equal(applied.session.receipt.captured, '9.30');

  // A forged request is refused with a code and no answer.
  const forged = Uint8Array.from(terminal.order({ orderId: 'o-3', walletId: 'alice', maximum: '5.00', belowMaximum: 'decline', tariff: FUEL }, clock.now).envelope);
  forged[forged.length - 1] ^= 1;
  reply = await post(server.url, 'order', forged);
  assert.equal(reply.code, 'BAD_SIGNATURE');
  assert.equal(terminal.acceptReply('o-3', reply, clock.now).session.state, 'declined');

  await server.close();
  // What was acknowledged is on disk: a fresh process state sees the final balances.
  const reloaded = await new EnergyStore(open(), snapshotKey).loadServer('main', serverKeys, 'server-1');
  assert.equal(reloaded.wallet('alice').balance, '52.11');
  assert.equal(reloaded.station('station-1').balance, '47.89');
  // Every ledger operation went to the journal log beside the snapshot, continuously across the
  // restart (seq 1 … head), and none is left waiting in memory.
  const journal = await new EnergyStore(open(), snapshotKey).readServerJournal('main');
  assert.equal(BigInt(journal.length), BigInt(reloaded.revision()[1]));
  assert.deepEqual(reloaded.journal(), []);
  reloaded.free();
  server.energy.free();
  terminal.free();
});
