// The kill test (issue 13): terminal processes (four at a time, each its own terminal) storing and forwarding payments to the reference
// acquirer (real HTTP on 127.0.0.1, its state in files) is SIGKILLed at random points, 200 times,
// while the acquirer also misbehaves at random (fails, drops the connection after committing,
// answers twice). Afterwards the outbox is flushed by a last terminal, and: every payment that
// was acknowledged to the cashier is at the acquirer exactly once (one committed record per key,
// the same amount), nothing is at the acquirer that the terminal did not store, the outbox is
// empty, its chain verifies, and the acquirer's approved total equals the terminal's record.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { FileStorage, PosAcquirer, PosTerminal, httpAcquirerClient } from '@countersign/sdk';

const WORKER = new URL('./pos-kill-worker.mjs', import.meta.url).pathname;
const KILLS = Number(process.env.POS_KILLS ?? 200);

/** A seeded generator (xorshift32): the same kill points every run. */
function rng(seed) {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13; x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5; x >>>= 0;
    return x / 4294967296;
  };
}

/**
 * One terminal process, SIGKILLed `killAfterMs` after its `killAfterAcks`-th acknowledgement (0:
 * after it is ready): a point inside a store, a save, a forward or an answer's save, at random,
 * while every run still makes progress however loaded the machine is.
 */
function runOnce(url, dir, run, terminalId, killAfterAcks, killAfterMs, acked) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [WORKER, url, dir, String(run), terminalId], { stdio: ['ignore', 'pipe', 'pipe'] });
    let buffer = '';
    let stderr = '';
    let seen = 0;
    let timer;
    child.stdout.on('data', (chunk) => {
      buffer += chunk;
      let nl;
      while ((nl = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        if (line === 'READY' && killAfterAcks === 0) timer = setTimeout(() => child.kill('SIGKILL'), killAfterMs);
        else if (line.startsWith('ACK ')) {
          const [, key, amount] = line.split(' ');
          acked.set(`${terminalId}/${key}`, amount);
          if (++seen === killAfterAcks) timer = setTimeout(() => child.kill('SIGKILL'), killAfterMs);
        }
      }
    });
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (signal === 'SIGKILL') resolve();
      else reject(new Error(`worker exited ${code} ${signal}: ${stderr}`));
    });
  });
}

function minor(amount) {
  const [whole, fraction = ''] = amount.split('.');
  return BigInt(whole + fraction.padEnd(2, '0'));
}

test(`pos kill test: ${KILLS} SIGKILLs while storing and forwarding; nothing lost, nothing twice`, { timeout: 300_000 }, async () => {
  const root = mkdtempSync(path.join(os.tmpdir(), 'pos-kill-'));
  const acquirer = await PosAcquirer.start({ storage: new FileStorage(path.join(root, 'acquirer')) });
  try {
    // Four terminals (own ids and directories) killed in parallel lanes, KILLS in all: the same
    // number of kills in a quarter of the wall-clock time of one lane.
    const LANES = 4;
    const acked = new Map();
    await Promise.all(
      Array.from({ length: LANES }, async (_, lane) => {
        const random = rng(20261206 + lane);
        for (let run = lane; run < KILLS; run += LANES) {
          const r = random();
          // Misbehaviour is the shared acquirer's: a lane sets it for whichever request comes next.
          acquirer.behave({ failNext: r < 0.2 ? 1 : 0, dropAfterCommitNext: r > 0.6 ? 1 : 0, answerTwice: r > 0.85 });
          await runOnce(acquirer.url, path.join(root, `terminal-${lane}`), run, `kill-${lane}`, Math.floor(random() * 4), Math.floor(random() * 25), acked);
        }
      }),
    );
    acquirer.behave({ failNext: 0, dropAfterCommitNext: 0, answerTwice: false });
    // A last terminal per lane forwards whatever the killed ones left.
    const records = [];
    for (let lane = 0; lane < LANES; lane++) {
      const terminal = await PosTerminal.open({
        storage: new FileStorage(path.join(root, `terminal-${lane}`)),
        snapshotKey: new Uint8Array(32).fill(11),
        config: { terminalId: `kill-${lane}`, offline: { currencies: [{ currency: 'EUR', paymentMax: '1.00', totalMax: '1.00' }], countMax: 1, maxAgeMs: 1 } },
        acquirer: httpAcquirerClient(acquirer.url),
      });
      const flushed = await terminal.flush();
      assert.equal(flushed.stoppedBy, 'NOTHING_TO_FORWARD');
      const queue = terminal.exportQueue();
      await terminal.close();
      assert.equal(queue.chainValid, true);
      assert.equal(queue.entries.filter((e) => e.state === 'stored' || e.state === 'forwarding').length, 0, 'the outbox is empty');
      records.push(queue.totals.find((t) => t.currency === 'EUR'));
    }
    const totals = await acquirer.totals();
    const atAcquirer = new Set(totals.keys);
    assert.equal(atAcquirer.size, totals.keys.length, 'one record per key');
    assert.ok(acked.size >= KILLS / 2, `payments acknowledged: ${acked.size}`);
    for (const [id, amount] of acked) {
      const [terminalId, key] = id.split('/');
      const record = await acquirer.record(terminalId, key);
      assert.ok(record !== null, `acknowledged ${key} is at the acquirer`);
      assert.equal(record.request.amount, amount);
    }
    assert.equal(totals.declined, 0);
    const recordedCount = records.reduce((n, r) => n + BigInt(r.approvedCount), 0n);
    const recordedMinor = records.reduce((n, r) => n + minor(r.approvedAmount), 0n);
    assert.equal(BigInt(totals.approved), recordedCount, 'the acquirer approved what the terminals recorded');
    assert.equal(totals.approvedMinor.get('EUR') ?? 0n, recordedMinor, 'the acquirer total equals the terminals\' record');
    console.log(`# pos kill: ${KILLS} kills in ${LANES} lanes, ${acked.size} acknowledged, ${totals.payments} at the acquirer, terminals' record ${recordedMinor} minor units`);
  } finally {
    await acquirer.close();
    rmSync(root, { recursive: true, force: true });
  }
});
