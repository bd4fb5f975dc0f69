// Transfer lifecycle benchmark (System 7): whole lifecycles per second — quote, reserve (amount
// and fee held as one linked chain), commit with the fulfilment — through the SDK's TransferBook,
// beside a plain hand-written TypeScript book in the same run: Maps of quotes, transfers and
// request ids, bigint minor units, node:crypto SHA-256 for the condition, the same checks in the
// same order for the happy path (no ledger, no journal, no snapshot). Both are checked once to end
// with the same balances before either is timed.
//
// A book keeps at most 4,096 request ids (3 per lifecycle): each side starts a new book every
// 1,000 lifecycles, and that cost is in the rate.

import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import * as sdk from '@countersign/sdk';
import { measureOpsPerSecond } from './measure.mjs';

const T0 = 1_800_000_000;
const PER_BOOK = 1_000;
const FULFILMENT = new Uint8Array(32).fill(7);
const FULFILMENT_HEX = Buffer.from(FULFILMENT).toString('hex');
const CONDITION = createHash('sha256').update(FULFILMENT).digest('hex');

function sdkSide() {
  let book;
  let n = PER_BOOK;
  const fresh = () => {
    book?.free();
    book = sdk.TransferBook.create({ bookId: 'A', currency: 'EUR', now: T0 });
    book.openAccount({ requestId: 'o1', now: T0, accountId: 'alice' });
    book.openAccount({ requestId: 'o2', now: T0, accountId: 'bee' });
    book.fund({ requestId: 'f', now: T0, accountId: 'alice', amount: '1000000' });
    n = 0;
  };
  const run = () => {
    if (n >= PER_BOOK) fresh();
    n += 1;
    const q = book.quote({ requestId: `q${n}`, now: T0, quoteId: `Q${n}`, payerAccountId: 'alice', payeeAccountId: 'bee', amount: '12.34', fee: '0.50', expiresAt: T0 + 60 });
    const r = book.reserve({ requestId: `r${n}`, now: T0, transferId: `T${n}`, quoteId: `Q${n}`, condition: CONDITION });
    const c = book.commit({ requestId: `c${n}`, now: T0, transferId: `T${n}`, fulfilment: FULFILMENT_HEX });
    return q.code.length + r.code.length + c.code.length;
  };
  return { run, balances: () => [book.account('alice').balance, book.account('bee').balance, book.account('fees').balance], fresh, free: () => book?.free() };
}

/** The hand-written baseline: the same happy path, in plain JavaScript. */
function baselineSide() {
  let s;
  let n = PER_BOOK;
  const toMinor = (text) => {
    const [w, f = ''] = text.split('.');
    return BigInt(w) * 100n + BigInt((f + '00').slice(0, 2));
  };
  const fresh = () => {
    s = { balances: new Map([['alice', 100_000_000n], ['bee', 0n], ['fees', 0n]]), held: new Map([['alice', 0n]]), quotes: new Map(), transfers: new Map(), requests: new Map() };
    n = 0;
  };
  const once = (id, body, fn) => {
    const seen = s.requests.get(id);
    if (seen) return seen.body === body ? seen.answer : 'REQUEST_ID_REUSED';
    const answer = fn();
    s.requests.set(id, { body, answer });
    return answer;
  };
  const run = () => {
    if (n >= PER_BOOK) fresh();
    n += 1;
    const q = once(`q${n}`, `Q${n}|alice|bee|12.34|0.50|${T0 + 60}`, () => {
      if (s.quotes.has(`Q${n}`)) return 'QUOTE_EXISTS';
      s.quotes.set(`Q${n}`, { payer: 'alice', payee: 'bee', amount: toMinor('12.34'), fee: toMinor('0.50'), expiresAt: T0 + 60, usedBy: null });
      return 'QUOTED';
    });
    const r = once(`r${n}`, `T${n}|Q${n}|${CONDITION}`, () => {
      const quote = s.quotes.get(`Q${n}`);
      if (s.transfers.has(`T${n}`)) return 'TRANSFER_EXISTS';
      if (!quote) return 'UNKNOWN_QUOTE';
      if (quote.usedBy) return 'QUOTE_USED';
      if (T0 >= quote.expiresAt) return 'QUOTE_EXPIRED';
      const need = quote.amount + quote.fee;
      if (s.balances.get(quote.payer) - s.held.get(quote.payer) < need) return 'INSUFFICIENT_FUNDS';
      s.held.set(quote.payer, s.held.get(quote.payer) + need);
      quote.usedBy = `T${n}`;
      s.transfers.set(`T${n}`, { quote, condition: CONDITION, state: 'reserved' });
      return 'RESERVED';
    });
    const c = once(`c${n}`, `T${n}|${FULFILMENT_HEX}`, () => {
      const t = s.transfers.get(`T${n}`);
      if (!t) return 'UNKNOWN_TRANSFER';
      if (t.state !== 'reserved') return 'ALREADY';
      if (T0 >= t.quote.expiresAt) return 'LATE_FULFILMENT';
      if (createHash('sha256').update(Buffer.from(FULFILMENT_HEX, 'hex')).digest('hex') !== t.condition) return 'FULFILMENT_MISMATCH';
      const { payer, payee, amount, fee } = t.quote;
      s.held.set(payer, s.held.get(payer) - amount - fee);
      s.balances.set(payer, s.balances.get(payer) - amount - fee);
      s.balances.set(payee, s.balances.get(payee) + amount);
      s.balances.set('fees', s.balances.get('fees') + fee);
      t.state = 'committed';
      return 'COMMITTED';
    });
    return q.length + r.length + c.length;
  };
  const fmt = (v) => `${v / 100n}.${String(v % 100n).padStart(2, '0')}`;
  return { run, balances: () => ['alice', 'bee', 'fees'].map((a) => fmt(s.balances.get(a))), fresh };
}

/** Both sides end three lifecycles with the same balances. */
export function checkTransfer() {
  const ours = sdkSide();
  const theirs = baselineSide();
  ours.fresh();
  theirs.fresh();
  for (let i = 0; i < 3; i++) assert.equal(ours.run(), theirs.run());
  assert.deepEqual(ours.balances(), ['999961.48', '37.02', '1.50']);
  assert.deepEqual(theirs.balances(), ['999961.48', '37.02', '1.50']);
  ours.free();
}

export function measureTransfer() {
  const ours = sdkSide();
  const theirs = baselineSide();
  const rows = [{ op: 'transfer lifecycle (quote + reserve + commit)', ours: measureOpsPerSecond(ours.run), theirs: measureOpsPerSecond(theirs.run) }];
  ours.free();
  return rows;
}

const fmt = (n) => Math.round(n).toLocaleString('en-US');
export function transferTable(rows) {
  return [
    'transfer (System 7) lifecycles through the SDK, beside a hand-written TypeScript book (Maps, bigint minor units, no ledger, journal or snapshot):',
    '',
    '| op | countersign /s | TypeScript baseline /s | ratio (countersign/baseline) |',
    '|---|---:|---:|---:|',
    ...rows.map((r) => `| ${r.op} | ${fmt(r.ours)} | ${fmt(r.theirs)} | ${(r.ours / r.theirs).toFixed(3)} |`),
  ];
}
