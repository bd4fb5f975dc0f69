// System 7's transfer-lifecycle vectors (tests/vectors/transfer/lifecycle.json, from the
// independent Python model generate_lifecycle.py) through the SDK: the same file cargo test runs
// (core/tests/transfer_lifecycle_vectors.rs). Every timeline on a fresh TransferBook, every answer
// compared whole (an error by its code and parameter, the book's snapshot unchanged by it), the
// balances after each step, and a snapshot + restore after every step (the run continues on the
// restored book).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TransferBook } from '@countersign/sdk';
import { readJson } from './helpers.mjs';

const KEY = new Uint8Array(32).fill(0x5a);
const sameBytes = (a, b) => a.length === b.length && a.every((x, i) => x === b[i]);

test('transfer lifecycle vectors through the SDK', () => {
  const doc = readJson('transfer/lifecycle.json');
  assert.ok(doc.timelines.length >= 20);
  let steps = 0;
  for (const timeline of doc.timelines) {
    let book = TransferBook.create(timeline.config);
    try {
      timeline.steps.forEach((step, i) => {
        const before = book.snapshot(KEY);
        let got;
        try {
          got = book.execute(step.request);
        } catch (e) {
          got = { error: { code: e.code, param: e.param } };
          assert.ok(sameBytes(book.snapshot(KEY), before), `${timeline.name} step ${i}: an error changed the book`);
        }
        assert.deepEqual(got, step.expect, `${timeline.name} step ${i}: ${JSON.stringify(step.request)}`);
        for (const [account, expected] of Object.entries(step.balances)) {
          const view = book.account(account);
          assert.equal(view.balance, expected.balance, `${timeline.name} step ${i}: ${account} balance`);
          assert.equal(view.debitsPosted, expected.debitsPosted, `${timeline.name} step ${i}: ${account} debits`);
        }
        book.checkInvariants();
        const restored = TransferBook.restore(book.snapshot(KEY), KEY);
        book.free();
        book = restored;
        steps++;
      });
    } finally {
      book.free();
    }
  }
  assert.ok(steps > 400, `${steps} steps`);
});
