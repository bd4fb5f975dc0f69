// System 7's transfer book through the SDK: a lifecycle end to end with the condition made by
// transferCondition, the typed outcomes, malformed requests refused before anything is recorded
// (errors naming the field), the store (compare-and-swap, rollback refused, another book's state
// refused) and a book that goes on after a reload exactly where it was saved.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as sdk from '@countersign/sdk';

const { TransferBook, TransferBookStore, MemoryStorage, transferCondition, TRANSFER_LIFECYCLE_CODES, CountersignError } = sdk;
const T0 = 1_800_000_000;
const KEY = new Uint8Array(32).fill(4);
const hex = (b) => Buffer.from(b).toString('hex');
const fulfilment = new Uint8Array(32).fill(7);

function funded() {
  const book = TransferBook.create({ bookId: 'A', currency: 'EUR', now: T0 });
  assert.equal(book.openAccount({ requestId: 'o1', now: T0, accountId: 'alice' }).code, 'ACCOUNT_OPENED');
  assert.equal(book.openAccount({ requestId: 'o2', now: T0, accountId: 'providerB' }).code, 'ACCOUNT_OPENED');
  assert.equal(book.fund({ requestId: 'f1', now: T0, accountId: 'alice', amount: '100' }).code, 'FUNDED');
  return book;
}
const quote = (requestId, quoteId, amount, fee, now, ttl = 60) => ({
  requestId, now, quoteId, payerAccountId: 'alice', payeeAccountId: 'providerB', amount, fee, expiresAt: now + ttl,
});

test('quote → reserve → commit: amount and fee move together, only with the fulfilment', () => {
  const book = funded();
  assert.equal(transferCondition(fulfilment), hex(sdk.sha256(fulfilment)));
  assert.equal(book.quote(quote('q1', 'Q1', '40', '0.50', T0)).code, 'QUOTED');
  const reserved = book.reserve({ requestId: 'r1', now: T0 + 1, transferId: 'T1', quoteId: 'Q1', condition: transferCondition(fulfilment) });
  assert.equal(reserved.code, 'RESERVED');
  assert.equal(reserved.transfer.expiresAt, T0 + 60);
  assert.equal(book.account('alice').available, '59.50');
  const wrong = book.commit({ requestId: 'c0', now: T0 + 2, transferId: 'T1', fulfilment: '00'.repeat(32) });
  assert.equal(wrong.code, 'FULFILMENT_MISMATCH');
  const done = book.commit({ requestId: 'c1', now: T0 + 2, transferId: 'T1', fulfilment: hex(fulfilment) });
  assert.equal(done.code, 'COMMITTED');
  assert.equal(done.transfer.state, 'committed');
  assert.equal(book.account('providerB').balance, '40.00');
  assert.equal(book.account('fees').balance, '0.50');
  // A retry of the commit answers the same, nothing moves again.
  const again = book.commit({ requestId: 'c1', now: T0 + 900, transferId: 'T1', fulfilment: hex(fulfilment) });
  assert.deepEqual([again.code, again.repeated], ['COMMITTED', true]);
  assert.equal(book.account('providerB').balance, '40.00');
  assert.deepEqual(book.transferIds(), ['T1']);
  assert.equal(book.quoteView('Q1').usedBy, 'T1');
  book.checkInvariants();
  assert.ok(TRANSFER_LIFECYCLE_CODES.includes(done.code));
  book.free();
});

test('the deadline is re-checked on a retry; a late fulfilment releases the reservation', () => {
  const book = funded();
  book.quote(quote('q1', 'Q1', '10', '1', T0));
  book.reserve({ requestId: 'r1', now: T0, transferId: 'T1', quoteId: 'Q1', condition: transferCondition(fulfilment) });
  const retry = book.reserve({ requestId: 'r1', now: T0 + 60, transferId: 'T1', quoteId: 'Q1', condition: transferCondition(fulfilment) });
  assert.deepEqual([retry.code, retry.repeated, retry.expired], ['TRANSFER_EXPIRED', true, ['T1']]);
  assert.equal(book.account('alice').available, '100.00');
  const late = book.commit({ requestId: 'c1', now: T0 + 61, transferId: 'T1', fulfilment: hex(fulfilment) });
  assert.equal(late.code, 'TRANSFER_EXPIRED');
  const other = book.reserve({ requestId: 'r1', now: T0 + 61, transferId: 'T9', quoteId: 'Q1', condition: transferCondition(fulfilment) });
  assert.equal(other.code, 'REQUEST_ID_REUSED');
  book.free();
});

test('malformed requests are refused naming the field, nothing recorded', () => {
  const book = funded();
  const before = book.freshness().revision;
  const refuses = (fn, code, param) =>
    assert.throws(fn, (e) => e instanceof CountersignError && e.code === code && e.param.endsWith(param), `${code} ${param}`);
  refuses(() => book.quote(quote('q1', 'Q1', '1.001', '0', T0)), 'AMOUNT_PRECISION', 'amount');
  refuses(() => book.quote({ ...quote('q1', 'Q1', '1', '0', T0), extra: 1 }), 'INVALID_TYPE', 'extra');
  refuses(() => book.quote({ ...quote('q1', 'Q1', '1', '0', T0), amount: 1 }), 'INVALID_TYPE', 'amount');
  refuses(() => book.reserve({ requestId: 'r', now: T0, transferId: 'T', quoteId: 'Q', condition: 'AB'.repeat(32) }), 'INVALID_ARGUMENT', 'condition');
  refuses(() => book.execute({ op: 'pay', request: {} }), 'INVALID_TYPE', 'op');
  refuses(() => transferCondition(new Uint8Array(31)), 'INVALID_ARGUMENT', 'fulfilment');
  assert.equal(book.freshness().revision, before);
  book.free();
});

test('TransferBookStore: saves, reloads where it was, refuses a rollback and another book', async () => {
  const storage = new MemoryStorage();
  const store = new TransferBookStore(storage, KEY);
  const book = funded();
  book.quote(quote('q1', 'Q1', '10', '1', T0));
  book.reserve({ requestId: 'r1', now: T0, transferId: 'T1', quoteId: 'Q1', condition: transferCondition(fulfilment) });
  assert.equal(await store.save(book), true);
  const old = await storage.get('transfer-book/A');
  assert.equal(book.commit({ requestId: 'c1', now: T0 + 1, transferId: 'T1', fulfilment: hex(fulfilment) }).code, 'COMMITTED');
  assert.equal(await store.save(book), true);
  const again = await store.load('A');
  assert.equal(again.transfer('T1').state, 'committed');
  const retry = again.commit({ requestId: 'c1', now: T0 + 2, transferId: 'T1', fulfilment: hex(fulfilment) });
  assert.deepEqual([retry.code, retry.repeated], ['COMMITTED', true]);
  // A second writer that saw an older state cannot overwrite.
  const other = new TransferBookStore(storage, KEY);
  const stale = TransferBook.restore(old.value, KEY);
  assert.equal(await other.save(stale), false);
  // The storage rolled back to the older state: refused by the store that saw the newer one.
  const current = await storage.get('transfer-book/A');
  assert.equal((await storage.put('transfer-book/A', old.value, current.version)).ok ?? true, true);
  await assert.rejects(store.load('A'), (e) => e.code === 'SNAPSHOT_INVALID');
  // Another book's state under this id is refused.
  const elsewhere = new MemoryStorage();
  const b2 = TransferBook.create({ bookId: 'B', currency: 'EUR', now: T0 });
  await elsewhere.put('transfer-book/A', b2.snapshot(KEY), null);
  await assert.rejects(new TransferBookStore(elsewhere, KEY).load('A'), (e) => e.code === 'SNAPSHOT_INVALID');
  for (const b of [book, again, stale, b2]) b.free();
});
