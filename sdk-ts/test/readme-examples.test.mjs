// The README's System 2 and System 3 examples run as written (imports aside, and a temporary
// directory instead of ./state), and give what their comments say. (The ledger example is run
// by ledger.test.mjs.)
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import * as sdk from '@countersign/sdk';

const README = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
const NOW = 1_796_895_000; // 2026-12-10 09:30 UTC

/** The first ```js block after `heading`, with its import lines removed. */
function example(heading) {
  const section = README.slice(README.indexOf(heading));
  assert.ok(section.length < README.length, `README has a section ${heading}`);
  const start = section.indexOf('```js\n') + 6;
  return section.slice(start, section.indexOf('\n```', start)).replace(/^import .*$/gm, '');
}

/** Runs `code` with every SDK export in scope, plus `extra`; returns what `tail` returns. */
async function run(code, extra, tail) {
  const names = Object.keys(sdk);
  const AsyncFunction = Object.getPrototypeOf(async () => {}).constructor;
  const fn = new AsyncFunction(...names, ...Object.keys(extra), `${code}\n${tail}`);
  return fn(...names.map((n) => sdk[n]), ...Object.values(extra));
}

function withDir(body) {
  const dir = mkdtempSync(path.join(tmpdir(), 'countersign-readme-'));
  return body(dir).finally(() => rmSync(dir, { recursive: true, force: true }));
}

test('README System 2 example: approve, reveal, buy, refund to the parent, activate, save', () =>
  withDir(async (dir) => {
    const code = example('## System 2').replace("new FileStorage('./state')", 'new FileStorage(dir)');
    const snapshotKey = new Uint8Array(32).fill(4);
    const cvvKey = new Uint8Array(32).fill(5);
    const out = await run(code, { now: NOW, cvvKey, snapshotKey, dir }, 'return { code, account, issuer };');
    assert.equal(out.code, 'TEMPORARY_ACCOUNT_OPENED');
    assert.equal(out.account.parent.available, '1250.00');
    const view = out.issuer.account('tmp-1', NOW);
    assert.deepEqual(
      { status: view.status, closure: view.closure, spent: view.spent, refunded: view.refunded, uses: view.uses, merchantLock: view.merchantLock },
      { status: 'closed', closure: { reason: 'activation', at: NOW, released: '150.10' }, spent: '99.90', refunded: '9.90', uses: 1, merchantLock: 'shop-7' },
    );
    // The purchase of 99.90 stands, the refund of 9.90 went to the parent, the rest was released.
    assert.equal(view.parent.balance, '-90.00');
    assert.equal(view.parent.available, '1410.00');
    const saved = await new sdk.TempCardStore(new sdk.FileStorage(dir), snapshotKey).load('issuer', cvvKey);
    assert.deepEqual(saved.accountIds(), ['tmp-1']);
  }));

test('README System 3 example: order, authorise, meter, complete, receipt, save', () =>
  withDir(async (dir) => {
    const code = example('## System 3').replace("new FileStorage('./state')", 'new FileStorage(dir)');
    const snapshotKey = new Uint8Array(32).fill(6);
    const out = await run(code, { now: NOW, snapshotKey, dir }, 'return { server, pump, receipt };');
    assert.equal(out.pump.session('o-1').maxQuantity, '26.89');
    assert.equal(out.receipt.cost.total, '37.18');
    assert.equal(out.receipt.captured, '37.18');
    assert.equal(out.receipt.released, '12.82');
    assert.equal(out.server.wallet('alice').balance, '62.82');
    const saved = await new sdk.EnergyStore(new sdk.FileStorage(dir), snapshotKey).loadServer('main', sdk.generateKeyPair('EdDSA'), 'emoney-1');
    assert.equal(saved.wallet('alice').balance, '62.82');
  }));
