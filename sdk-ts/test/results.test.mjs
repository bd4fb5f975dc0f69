// The adapter's result writer (wasm/src/ser.rs): every string in a result is the one the core
// produced, whatever its length, its characters, and whatever else went through the writer's
// cache of short strings before it (256 slots chosen by a hash: two strings sharing a slot must
// each come back as themselves). Accounts are opened with ids made to share slots, ids at and past
// the cache's 32-byte limit, and non-ASCII ids, then read back one by one and all at once.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Ledger } from '@countersign/sdk';

const T0 = 1_767_225_600;
/** As wasm/src/ser.rs. */
const STRING_CACHE_SLOTS = 256;
const STRING_CACHE_BYTES_MAX = 32;

/** The writer's slot of a string: FNV-1a over its UTF-8 bytes, low bits. */
function slotOf(text) {
  let hash = 0x811c9dc5;
  for (const byte of new TextEncoder().encode(text)) {
    hash = Math.imul(hash ^ byte, 0x01000193) >>> 0;
  }
  return hash & (STRING_CACHE_SLOTS - 1);
}

/** `count` ids that all fall into the slot of `seed`'s first id. */
function collidingIds(count) {
  const target = slotOf('acct-0');
  const ids = [];
  for (let n = 0; ids.length < count; n++) {
    const id = `acct-${n}`;
    if (slotOf(id) === target) ids.push(id);
  }
  return ids;
}

function open(ledger, id, key) {
  const outcome = ledger.openAccount({ idempotencyKey: key, now: T0, accountId: id, currency: 'EUR', kind: 'nonNegative' });
  assert.equal(outcome.code, 'ACCOUNT_OPENED', id);
}

test('strings sharing a cache slot each come back as themselves', () => {
  const ids = collidingIds(12);
  assert.equal(new Set(ids.map(slotOf)).size, 1, 'the ids share one slot');
  const ledger = Ledger.create();
  ids.forEach((id, i) => open(ledger, id, `open-${i}`));
  // Read in an order that alternates between the colliding strings, twice.
  for (let round = 0; round < 2; round++) {
    for (const id of [...ids].reverse()) assert.equal(ledger.account(id).accountId, id);
  }
  assert.deepEqual(ledger.accounts().map((a) => a.accountId).sort(), [...ids].sort());
  ledger.free();
});

test('long, boundary-length and non-ASCII strings come back unchanged', () => {
  const ids = [
    'a'.repeat(STRING_CACHE_BYTES_MAX - 1),
    'b'.repeat(STRING_CACHE_BYTES_MAX),
    'c'.repeat(STRING_CACHE_BYTES_MAX + 1),
    'd'.repeat(64), // ID_BYTES_MAX
    'café-ünïcødé',
    '钱包-账户',
    '💶-wallet',
    'é'.repeat(16), // 32 bytes in UTF-8, 16 characters
    'é'.repeat(17), // 34 bytes
  ];
  const ledger = Ledger.create();
  ids.forEach((id, i) => open(ledger, id, `open-${i}`));
  for (let round = 0; round < 3; round++) {
    for (const id of ids) assert.equal(ledger.account(id).accountId, id);
  }
  ledger.free();
});

test('amounts that change every call are written afresh (not a stale cached string)', () => {
  const ledger = Ledger.create();
  open(ledger, 'bank', 'o-bank');
  const bank = ledger.account('bank');
  assert.equal(bank.balance, '0.00');
  ledger.openAccount({ idempotencyKey: 'o-src', now: T0, accountId: 'src', currency: 'EUR', kind: 'unrestricted' });
  let expected = 0n;
  for (let i = 1; i <= 300; i++) {
    const cents = BigInt(i * 7);
    ledger.transfer({ idempotencyKey: `t${i}`, now: T0, debitAccountId: 'src', creditAccountId: 'bank', amount: `${cents / 100n}.${String(cents % 100n).padStart(2, '0')}`, currency: 'EUR' });
    expected += cents;
    const balance = ledger.account('bank').balance;
    assert.equal(balance, `${expected / 100n}.${String(expected % 100n).padStart(2, '0')}`, `after transfer ${i}`);
  }
  ledger.free();
});
