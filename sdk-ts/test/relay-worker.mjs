// Child processes for relay-processes.test.mjs, chosen by COUNTERSIGN_RELAY_WORKER's `role`:
// - `server`: TokenHttpServer on 127.0.0.1 (`port`, 0 for any), its state in FileStorage under
//   `dir` or in PostgresStorage under `pgPrefix`; prints {"port": N} once it listens.
// - `relay`: an HTTP server on 127.0.0.1 for phones (POST /token: queue the bytes and try to
//   forward; POST /flush; GET /status/<key>; GET /queue: the outbox's entries) in front of a
//   RelayTerminal whose outbox (System 4's, the tokens as `kind: 'token'` entries) and stored
//   answers live in FileStorage under `dir`; prints {"port": N}.
// - `phone`: one action of the phone (`action`: seal | collect), its state in FileStorage under
//   `dir`, talking to the relay at `relayUrl`; prints one JSON line and exits.
// Does nothing without the variable, so `node --test sdk-ts/test/` may load it like any file.
import { createServer } from 'node:http';
import {
  FileStorage,
  PaymentPhone,
  PostgresStorage,
  RelayStore,
  RelayTerminal,
  TokenHttpServer,
  keyPairFromSecret,
  relayTokenStatus,
} from '@countersign/sdk';
import { testPool } from './postgres-server.mjs';

export const RELAY_SNAPSHOT_KEY = new Uint8Array(32).fill(0x33);
export const PHONE_KEYS = keyPairFromSecret('EdDSA', new Uint8Array(32).fill(0x21));
export const SERVER_KEYS = keyPairFromSecret('EdDSA', new Uint8Array(32).fill(0x42));
export const T0_MS = 1_800_000_000_000;
/** The relay's POS terminal: its offline limits bound what waits for the server. */
export const RELAY_CONFIG = {
  terminalId: 'relay-1',
  offline: { currencies: [{ currency: 'EUR', paymentMax: '20.00', totalMax: '200.00' }], countMax: 64, maxAgeMs: 86_400_000 },
};

const hex = (b) => Buffer.from(b).toString('hex');
const unhex = (t) => new Uint8Array(Buffer.from(t, 'hex'));
const job = process.env.COUNTERSIGN_RELAY_WORKER;

async function body(req) {
  const chunks = [];
  for await (const c of req) chunks.push(c);
  return new Uint8Array(Buffer.concat(chunks));
}

function reply(res, status, value) {
  const text = JSON.stringify(value);
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(text);
}

if (job !== undefined) {
  const o = JSON.parse(job);
  if (o.role === 'server') {
    const server = await TokenHttpServer.start({
      storage: o.pgPrefix === undefined ? new FileStorage(o.dir) : new PostgresStorage(testPool(), { tablePrefix: o.pgPrefix }),
      snapshotKey: RELAY_SNAPSHOT_KEY,
      keyPair: SERVER_KEYS,
      port: o.port ?? 0,
      clock: () => T0_MS + 1000,
      setup: (s) => {
        s.registerDevice('ph1', PHONE_KEYS.publicKey, [{ id: 'daily', measure: 'amount', currency: 'EUR', window: { kind: 'lifetime' }, hard: '100.00' }], 1_800_000_000);
        s.addPayee('cafe', 1_800_000_000);
        s.fund('ph1', '50.00', 1_800_000_000);
      },
    });
    process.stdout.write(`${JSON.stringify({ port: new URL(server.url).port * 1 })}\n`);
  } else if (o.role === 'relay') {
    const terminal = await RelayTerminal.open({ storage: new FileStorage(o.dir), snapshotKey: RELAY_SNAPSHOT_KEY, config: RELAY_CONFIG, serverUrl: o.serverUrl });
    const http = createServer(async (req, res) => {
      try {
        if (req.method === 'POST' && req.url === '/token') {
          const { key, code } = await terminal.accept(await body(req));
          const flushed = await terminal.flush();
          reply(res, 200, { key, code, reachable: flushed.reachable });
        } else if (req.method === 'POST' && req.url === '/flush') {
          reply(res, 200, await terminal.flush());
        } else if (req.method === 'GET' && req.url === '/queue') {
          const queue = terminal.exportQueue();
          reply(res, 200, { chainValid: queue.chainValid, entries: queue.entries.map((e) => ({ kind: e.kind, key: e.idempotencyKey, amount: e.amount, state: e.state, attempts: e.attempts })) });
        } else if (req.method === 'GET' && req.url.startsWith('/status/')) {
          const status = await terminal.statusFor(req.url.slice('/status/'.length));
          const answer = status.state === 'answered' ? { ...status.answer, receipt: status.answer.receipt === null ? null : hex(status.answer.receipt) } : undefined;
          reply(res, 200, { state: status.state, answer });
        } else {
          reply(res, 404, {});
        }
      } catch (e) {
        reply(res, 500, { error: String(e) });
      }
    });
    await new Promise((resolve) => http.listen(0, '127.0.0.1', resolve));
    process.stdout.write(`${JSON.stringify({ port: http.address().port })}\n`);
  } else if (o.role === 'phone') {
    const store = new RelayStore(new FileStorage(o.dir), RELAY_SNAPSHOT_KEY);
    const phone =
      (await store.loadPhone('me', PHONE_KEYS)) ??
      PaymentPhone.create(
        {
          deviceId: 'ph1',
          allowance: [
            { id: 'per-token', measure: 'amount', currency: 'EUR', window: { kind: 'perTransaction' }, hard: '20.00' },
            { id: 'outstanding', measure: 'amount', currency: 'EUR', window: { kind: 'lifetime' }, hard: '40.00' },
          ],
        },
        PHONE_KEYS,
      );
    const now = Math.floor(T0_MS / 1000);
    if (o.action === 'seal') {
      const out = phone.seal({ payee: 'cafe', amount: o.amount, currency: 'EUR', now });
      await store.savePhone('me', phone); // saved before it leaves the phone
      let relay = 'unreachable';
      if (out.token !== null) {
        try {
          const r = await fetch(`${o.relayUrl}/token`, { method: 'POST', body: out.token });
          relay = r.ok ? ((await r.json()).code === 'STORED' ? 'accepted' : 'refused') : 'unreachable';
        } catch {
          relay = 'unreachable';
        }
      }
      process.stdout.write(`${JSON.stringify({ code: out.code, tokenHash: out.tokenHash, token: out.token && hex(out.token), relay })}\n`);
    } else {
      // collect: ask the relay about every outstanding token; verify receipts offline.
      const serverKey = { keyId: 'relay-server', algorithm: 'EdDSA', publicKey: SERVER_KEYS.publicKey };
      for (const t of phone.tokens().filter((t) => t.state !== 'settled')) {
        const r = await (await fetch(`${o.relayUrl}/status/${t.tokenHash}`)).json();
        if (r.state !== 'answered') continue;
        if (r.answer.receipt !== null) phone.acceptReceipt(unhex(r.answer.receipt), serverKey, now + 60);
        else phone.noteRefusal(t.tokenHash, r.answer.code);
      }
      await store.savePhone('me', phone);
      const states = phone.tokens().map((t) => ({ counter: t.counter, status: relayTokenStatus(t) }));
      process.stdout.write(`${JSON.stringify({ states, allowance: phone.allowance(now).map((l) => [l.id, l.remaining]) })}\n`);
    }
    phone.free();
  }
}
