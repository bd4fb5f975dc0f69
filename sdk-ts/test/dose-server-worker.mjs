// Child process for dose-server.test.mjs: the management server (AlarmDeliveryServer) on a
// loopback port, its router in FileStorage under COUNTERSIGN_DOSE_SERVER_WORKER's `dir`, or with
// `pgPrefix` in PostgresStorage under that table prefix (the test server of postgres-server.mjs). Prints
// {"port": N} once it listens. With `killAfterEscalation`, it SIGKILLs itself right after saving
// the first escalation, before sending it. Does nothing without the variable, so
// `node --test sdk-ts/test/` may load it like any other file.
import { AlarmDeliveryServer, FileStorage, PostgresStorage } from '@countersign/sdk';
import { testPool } from './postgres-server.mjs';

export const DOSE_SERVER_KEY = new Uint8Array(32).fill(0x44);
export const DOSE_SERVER_SETUP = Object.freeze({
  routerId: 'patient-7',
  recipients: [{ id: 'pat', role: 'patient' }, { id: 'mum', role: 'caregiver' }, { id: 'doc', role: 'doctor' }],
  policies: [{ steps: [{ role: 'patient', ackTimeoutMs: 1000 }, { role: 'caregiver', ackTimeoutMs: 60000 }, { role: 'doctor', ackTimeoutMs: 60000 }] }],
  receiptTimeoutMs: 30000,
});
export const DOSE_SERVER_TOKENS = Object.freeze({ pat: 'token-pat', mum: 'token-mum', doc: 'token-doc' });

const job = process.env.COUNTERSIGN_DOSE_SERVER_WORKER;
if (job !== undefined) {
  const { dir, pgPrefix, killAfterEscalation } = JSON.parse(job);
  const server = await AlarmDeliveryServer.start({
    storage: pgPrefix === undefined ? new FileStorage(dir) : new PostgresStorage(testPool(), { tablePrefix: pgPrefix }),
    snapshotKey: DOSE_SERVER_KEY,
    setup: DOSE_SERVER_SETUP,
    tokens: DOSE_SERVER_TOKENS,
    tickIntervalMs: 100,
    afterSave: (output) => {
      if (killAfterEscalation && output.audit.some((e) => e.event === 'escalated')) process.kill(process.pid, 'SIGKILL');
    },
  });
  process.stdout.write(`${JSON.stringify({ port: server.port })}\n`);
}
