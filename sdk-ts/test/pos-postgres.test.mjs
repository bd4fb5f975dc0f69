// System 4 on PostgreSQL: the terminal's outbox and the reference acquirer's state both in
// PostgresStorage (their own tables); payments stored offline, the acquirer drops the connection
// after committing one and is restarted (a new acquirer on the same tables) mid-queue; every
// payment ends at the acquirer once, and its total equals the terminal's record. Skipped without
// a server (run it through `bash scripts/postgres.sh run -- node --test <this file>`).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PosAcquirer, PosTerminal, PostgresStorage, httpAcquirerClient } from '@countersign/sdk';
import { SKIP_NO_SERVER, dropTables, freshPrefix, testPool } from './postgres-server.mjs';

test('pos on PostgreSQL: outbox and acquirer in the database, acquirer restarted mid-queue', { skip: SKIP_NO_SERVER }, async () => {
  const pool = testPool();
  const tillPrefix = freshPrefix('pos_till');
  const acqPrefix = freshPrefix('pos_acq');
  let now = 1_800_000_000_000;
  let acquirer = await PosAcquirer.start({ storage: new PostgresStorage(pool, { tablePrefix: acqPrefix }) });
  const port = Number(new URL(acquirer.url).port);
  const open = () =>
    PosTerminal.open({
      storage: new PostgresStorage(pool, { tablePrefix: tillPrefix }),
      snapshotKey: new Uint8Array(32).fill(8),
      config: { terminalId: 'pg-till', offline: { currencies: [{ currency: 'EUR', paymentMax: '100.00', totalMax: '1000.00' }], countMax: 50, maxAgeMs: 3_600_000 }, outbox: { deadlineMs: 86_400_000, nearingMs: 1000, backoffBaseMs: 10, backoffMaxMs: 100 } },
      acquirer: httpAcquirerClient(acquirer.url, { timeoutMs: 2000 }),
      clock: () => now,
    });
  let terminal = await open();
  try {
    let expected = 0n;
    for (let i = 0; i < 12; i++) {
      const amount = `${i + 1}.25`;
      const out = await terminal.takePayment({ idempotencyKey: `pg-${i}`, amount, currency: 'EUR', cardToken: `c${i % 4}`, cardType: 'visa' }, 'forceOffline');
      assert.equal(out.status, 'stored');
      expected += BigInt(`${i + 1}25`);
    }
    acquirer.behave({ dropAfterCommitNext: 1 });
    let r = await terminal.flush();
    assert.equal(r.stoppedBy, 'RETRY_SCHEDULED');
    // A restart of the terminal (state from the database) and of the acquirer (same tables).
    await terminal.close();
    await acquirer.close();
    acquirer = await PosAcquirer.start({ storage: new PostgresStorage(pool, { tablePrefix: acqPrefix }), port });
    terminal = await open();
    assert.equal(terminal.status().pendingCount, 12);
    for (let i = 0; i < 5 && r.stoppedBy !== 'NOTHING_TO_FORWARD'; i++) {
      now += 1000;
      r = await terminal.forwardDue();
    }
    assert.equal(r.stoppedBy, 'NOTHING_TO_FORWARD');
    const totals = await acquirer.totals();
    const record = terminal.status().totals[0];
    assert.equal(totals.payments, 12);
    assert.equal(totals.approvedMinor.get('EUR'), expected);
    assert.equal(record.approvedAmount, '81.00');
    assert.equal(BigInt(record.approvedAmount.replace('.', '')), expected);
    assert.ok((await acquirer.record('pg-till', 'pg-0')).deliveries >= 2, 'the dropped answer was asked again');
  } finally {
    await terminal.close().catch(() => {});
    await acquirer.close();
    await pool.end();
    await dropTables(tillPrefix);
    await dropTables(acqPrefix);
  }
});
