// A terminal process for pos-kill.test.mjs: takes payments offline (each acknowledged on stdout
// only after takePayment resolved `stored`, i.e. after the outbox was saved), and forwards the
// outbox to the acquirer between payments, until it is SIGKILLed.
// argv: acquirer URL, terminal storage dir, run number, terminal id. Without them it does
// nothing, so `node --test sdk-ts/test/` may load it like any other file of the folder.
import { writeSync } from 'node:fs';
import { FileStorage, PosTerminal, httpAcquirerClient } from '@countersign/sdk';

const [url, dir, run, terminalId] = process.argv.slice(2);
if (terminalId === undefined) process.exit(0);
const config = {
  terminalId,
  offline: { currencies: [{ currency: 'EUR', paymentMax: '100.00', totalMax: '1000000.00' }], countMax: 1000, maxAgeMs: 604_800_000 },
  outbox: { deadlineMs: 604_800_000, nearingMs: 1000, backoffBaseMs: 1, backoffMaxMs: 5 },
};
const terminal = await PosTerminal.open({
  storage: new FileStorage(dir),
  snapshotKey: new Uint8Array(32).fill(11),
  config,
  acquirer: httpAcquirerClient(url, { timeoutMs: 2000 }),
});
writeSync(1, 'READY\n');
for (let i = 0; i < 1_000; i++) {
  const key = `r${run}-${i}`;
  const amount = `${1 + ((Number(run) * 7 + i * 13) % 90)}.${String((i * 37) % 100).padStart(2, '0')}`;
  const outcome = await terminal.takePayment({ idempotencyKey: key, amount, currency: 'EUR', cardToken: `card-${i % 17}`, cardType: 'visa' }, 'forceOffline');
  if (outcome.status === 'stored') writeSync(1, `ACK ${key} ${amount}\n`);
  else writeSync(1, `REFUSED ${key} ${outcome.status}\n`);
  if (i % 2 === 1) await terminal.forwardDue({ force: true });
}
