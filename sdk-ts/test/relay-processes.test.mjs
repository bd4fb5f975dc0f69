// System 5 as three processes over loopback HTTP: a phone (one process per action, its state in
// files), a relay terminal (its queue is System 4's outbox, in files) and the token server (TokenHttpServer, its state
// in files, or PostgreSQL when a test server is there). The server is SIGKILLed in the middle:
// tokens sealed meanwhile wait in the relay's queue ("answer not yet delivered"); then the relay
// is SIGKILLed too (a token sealed then is "relay unreachable" and stays reserved); after both
// restart (the server on the same port and state, the relay on its outbox's files) the queued
// tokens — found in the restarted relay's outbox — are forwarded and paid exactly once each; a replayed token gets the same receipt bytes, an altered one is
// refused without a receipt.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { FileStorage, PostgresStorage, RelayStore } from '@countersign/sdk';
import { SKIP_NO_SERVER, dropTables, freshPrefix, testPool } from './postgres-server.mjs';
import { RELAY_SNAPSHOT_KEY, SERVER_KEYS } from './relay-worker.mjs';

const WORKER = fileURLToPath(new URL('./relay-worker.mjs', import.meta.url));
const WAIT_MS = 20_000;
const work = mkdtempSync(join(tmpdir(), 'countersign-relay-'));
after(() => rmSync(work, { recursive: true, force: true }));

/** Runs the worker with `job`; resolves with the first JSON line it prints (and the child). */
function run(job) {
  const child = spawn(process.execPath, [WORKER], {
    env: { ...process.env, COUNTERSIGN_RELAY_WORKER: JSON.stringify(job) },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`${job.role} did not answer`)), WAIT_MS);
    child.stdout.on('data', (chunk) => {
      out += chunk;
      const line = out.split('\n').find((l) => l.startsWith('{'));
      if (line) {
        clearTimeout(timer);
        resolve({ child, exited, value: JSON.parse(line) });
      }
    });
  });
}

async function stop(proc) {
  proc.child.kill('SIGKILL');
  await proc.exited;
}

const BACKENDS = [
  { label: 'FileStorage', skip: false, make: () => {
    const dir = mkdtempSync(join(work, 'server-'));
    return { options: { dir }, storage: () => new FileStorage(dir), cleanup: async () => {} };
  } },
  { label: 'PostgresStorage', skip: SKIP_NO_SERVER, make: () => {
    const pgPrefix = freshPrefix('relay');
    const pool = testPool();
    return { options: { pgPrefix }, storage: () => new PostgresStorage(pool, { tablePrefix: pgPrefix }), cleanup: async () => { await pool.end(); await dropTables(pgPrefix); } };
  } },
];

for (const { label, skip, make } of BACKENDS) test(`phone, relay and server as three processes; the server killed in the middle (${label})`, { skip, timeout: 90_000 }, async (t) => {
  const place = make();
  t.after(place.cleanup);
  const phoneDir = mkdtempSync(join(work, 'phone-'));
  const relayDir = mkdtempSync(join(work, 'relay-'));
  let server = await run({ role: 'server', ...place.options });
  const port = server.value.port;
  const serverUrl = `http://127.0.0.1:${port}`;
  let relay = await run({ role: 'relay', dir: relayDir, serverUrl });
  t.after(() => stop(relay));
  let relayUrl = `http://127.0.0.1:${relay.value.port}`;
  const phone = async (action, extra = {}) => (await run({ role: 'phone', action, dir: phoneDir, relayUrl, ...extra })).value;

  const first = await phone('seal', { amount: '12.00' });
  assert.equal(first.code, 'SEALED');
  let seen = await phone('collect');
  assert.deepEqual(seen.states, [{ counter: 1, status: 'settled: approved' }]);

  // The server goes away: tokens wait in the relay's queue.
  await stop(server);
  const second = await phone('seal', { amount: '15.00' });
  const third = await phone('seal', { amount: '9.50' });
  assert.equal(second.relay, 'accepted');
  seen = await phone('collect');
  assert.deepEqual(seen.states.map((s) => s.status), ['answer not yet delivered', 'answer not yet delivered', 'settled: approved']);
  assert.deepEqual(seen.allowance, [['per-token', '20.00'], ['outstanding', '15.50']]);
  // The allowance bounds what the offline phone promises: 15.50 left, 16.00 refused.
  assert.equal((await phone('seal', { amount: '16.00' })).code, 'ALLOWANCE_EXCEEDED');

  // The relay dies too (its queue is on disk): a token sealed now cannot be handed over.
  await stop(relay);
  const stranded = await phone('seal', { amount: '1.00' });
  assert.deepEqual([stranded.code, stranded.relay], ['SEALED', 'unreachable']);

  // Both come back: the server on the same port and state, the relay on its queue's files.
  server = await run({ role: 'server', port, ...place.options });
  t.after(() => stop(server));
  relay = await run({ role: 'relay', dir: relayDir, serverUrl });
  relayUrl = `http://127.0.0.1:${relay.value.port}`;
  // The restarted relay found the two tokens in its outbox, hash-chained: token 2 was tried when
  // it came and again (the head, in order) when token 3 came; token 3 waited behind it.
  const queued = await (await fetch(`${relayUrl}/queue`)).json();
  assert.equal(queued.chainValid, true);
  assert.deepEqual(queued.entries.map((e) => [e.kind, e.key, e.amount, e.state, e.attempts]), [
    ['token', first.tokenHash, '12.00', 'forwardedApproved', 1],
    ['token', second.tokenHash, '15.00', 'stored', 2],
    ['token', third.tokenHash, '9.50', 'stored', 0],
  ]);
  const flushed = await (await fetch(`${relayUrl}/flush`, { method: 'POST' })).json();
  assert.deepEqual(flushed, { answered: 2, reachable: true });
  // Forwarded exactly once: a second flush has nothing to send, and the server saw each token first here.
  assert.deepEqual(await (await fetch(`${relayUrl}/flush`, { method: 'POST' })).json(), { answered: 0, reachable: true });
  assert.deepEqual((await (await fetch(`${relayUrl}/queue`)).json()).entries.map((e) => [e.state, e.attempts]), [
    ['forwardedApproved', 1],
    ['forwardedApproved', 3],
    ['forwardedApproved', 1],
  ]);
  for (const sealed of [second, third]) {
    const status = await (await fetch(`${relayUrl}/status/${sealed.tokenHash}`)).json();
    assert.deepEqual([status.state, status.answer.code, status.answer.replayed], ['answered', 'APPROVED', false]);
  }
  seen = await phone('collect');
  // Outstanding first (the stranded token, still reserved), then the settled ones.
  assert.deepEqual(seen.states, [
    { counter: 4, status: 'answer not yet delivered' },
    { counter: 1, status: 'settled: approved' },
    { counter: 2, status: 'settled: approved' },
    { counter: 3, status: 'settled: approved' },
  ]);
  assert.deepEqual(seen.allowance, [['per-token', '20.00'], ['outstanding', '39.00']]);

  // A replay (the relay or anyone sends token 1 again): the same receipt bytes, paid once.
  const stored = await (await fetch(`${relayUrl}/status/${first.tokenHash}`)).json();
  const replay = await (await fetch(`${serverUrl}/relay/token`, { method: 'POST', body: Buffer.from(first.token, 'hex') })).json();
  assert.equal(replay.replayed, true);
  assert.equal(replay.receipt, stored.answer.receipt);
  // An altered token: refused, no receipt.
  const altered = Buffer.from(second.token, 'hex');
  altered[altered.length - 20] ^= 0x01;
  const refused = await (await fetch(`${serverUrl}/relay/token`, { method: 'POST', body: altered })).json();
  assert.deepEqual([refused.code, refused.receipt], ['BAD_SIGNATURE', null]);

  // The stored state: 12.00 + 15.00 + 9.50 paid once each.
  await stop(server);
  const store = new RelayStore(place.storage(), RELAY_SNAPSHOT_KEY);
  const state = await store.loadServer('main', SERVER_KEYS);
  assert.equal(state.balance('payee', 'cafe'), '36.50');
  assert.equal(state.balance('device', 'ph1'), '13.50', 'the stranded token was never paid');
  state.free();
});
