// A ledger's capacity (issues 10 and 16): Ledger.create({ accountsMax, holdsMax }) journals
// setCapacity, so replay and restore reproduce it; the default ledger is unchanged; argument
// errors name the option or the request field.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  CountersignRangeError,
  CountersignTypeError,
  LEDGER_ACCOUNTS_CAPACITY_MAX,
  LEDGER_ACCOUNTS_MAX,
  LEDGER_CAPACITY_IDEMPOTENCY_KEY,
  LEDGER_HOLDS_CAPACITY_MAX,
  LEDGER_HOLDS_MAX,
  Ledger,
} from '@countersign/sdk';

const T0 = 1_767_225_600;
const KEY = new Uint8Array(32).fill(9);
const hex = (bytes) => Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');

test('a new ledger without options has the default capacity and no journal entry', () => {
  const ledger = Ledger.create();
  assert.deepEqual(ledger.capacity, { accountsMax: LEDGER_ACCOUNTS_MAX, holdsMax: LEDGER_HOLDS_MAX });
  assert.equal(ledger.journal().length, 0);
  // The defaults given explicitly are the same new ledger.
  const explicit = Ledger.create({ accountsMax: LEDGER_ACCOUNTS_MAX, holdsMax: LEDGER_HOLDS_MAX });
  assert.equal(explicit.journal().length, 0);
  assert.equal(hex(explicit.stateDigest()), hex(ledger.stateDigest()));
  ledger.free();
  explicit.free();
});

test('a capacity beyond 4,096 accounts: journaled first, enforced, replayed and restored', () => {
  const accountsMax = LEDGER_ACCOUNTS_MAX + 10;
  const ledger = Ledger.create({ accountsMax });
  assert.deepEqual(ledger.capacity, { accountsMax, holdsMax: LEDGER_HOLDS_MAX });
  const first = ledger.journal();
  assert.equal(first.length, 1);
  const persisted = [...first];
  ledger.truncateJournal(1);
  const open = (i) => ({ op: 'openAccount', request: { idempotencyKey: `o${i}`, now: T0, accountId: `a${i}`, currency: 'EUR', kind: 'nonNegative' } });
  for (let start = 0; start < accountsMax; start += 1000) {
    const batch = Array.from({ length: Math.min(1000, accountsMax - start) }, (_, k) => open(start + k));
    for (const outcome of ledger.executeBatch(batch)) assert.equal(outcome.code, 'ACCOUNT_OPENED');
    persisted.push(...ledger.journal());
    ledger.truncateJournal(ledger.head().seq);
  }
  assert.equal(ledger.counts().accounts, accountsMax);
  assert.equal(ledger.openAccount(open(accountsMax).request).code, 'ACCOUNTS_FULL');
  // Lowering it below what the ledger holds is refused, journaled, nothing changed.
  assert.equal(ledger.setCapacity({ idempotencyKey: 'lower', now: T0, accountsMax: LEDGER_ACCOUNTS_MAX, holdsMax: LEDGER_HOLDS_MAX }).code, 'CAPACITY_BELOW_COUNTS');
  assert.deepEqual(ledger.capacity, { accountsMax, holdsMax: LEDGER_HOLDS_MAX });
  persisted.push(...ledger.journal());
  ledger.truncateJournal(ledger.head().seq);
  const replayed = Ledger.replay(persisted);
  assert.deepEqual(replayed.capacity, ledger.capacity);
  assert.equal(hex(replayed.stateDigest()), hex(ledger.stateDigest()));
  const restored = Ledger.restore(ledger.snapshot(KEY), KEY);
  assert.deepEqual(restored.capacity, ledger.capacity);
  assert.equal(restored.openAccount({ ...open(accountsMax).request, idempotencyKey: 'after-restore' }).code, 'ACCOUNTS_FULL');
  restored.checkInvariants();
  for (const l of [ledger, replayed, restored]) l.free();
});

test('the largest capacity; setCapacity through executeBatch; the idempotency key of Ledger.create', () => {
  const ledger = Ledger.create({ accountsMax: LEDGER_ACCOUNTS_CAPACITY_MAX, holdsMax: LEDGER_HOLDS_CAPACITY_MAX });
  assert.deepEqual(ledger.capacity, { accountsMax: LEDGER_ACCOUNTS_CAPACITY_MAX, holdsMax: LEDGER_HOLDS_CAPACITY_MAX });
  const repeat = ledger.setCapacity({ idempotencyKey: LEDGER_CAPACITY_IDEMPOTENCY_KEY, now: 0, accountsMax: LEDGER_ACCOUNTS_CAPACITY_MAX, holdsMax: LEDGER_HOLDS_CAPACITY_MAX });
  assert.deepEqual([repeat.code, repeat.seq, repeat.repeated], ['CAPACITY_SET', 1, true]);
  ledger.free();
  const batched = Ledger.create();
  const [out] = batched.executeBatch([{ op: 'setCapacity', request: { idempotencyKey: 'c', now: T0, accountsMax: 5000, holdsMax: 6000 } }]);
  assert.equal(out.code, 'CAPACITY_SET');
  assert.deepEqual(batched.capacity, { accountsMax: 5000, holdsMax: 6000 });
  assert.throws(
    () => batched.executeBatch([{ op: 'setCapacity', request: { idempotencyKey: 'd', now: T0, accountsMax: 5000, holdsMax: LEDGER_HOLDS_CAPACITY_MAX + 1 } }]),
    (e) => e.code === 'INVALID_ARGUMENT' && e.param === 'operations[0].request.holdsMax',
  );
  assert.deepEqual(batched.capacity, { accountsMax: 5000, holdsMax: 6000 });
  batched.free();
});

test('out-of-range, fractional or mistyped capacities: errors naming the option, no ledger', () => {
  const cases = [
    [{ accountsMax: LEDGER_ACCOUNTS_MAX - 1 }, 'options.accountsMax', CountersignRangeError],
    [{ accountsMax: LEDGER_ACCOUNTS_CAPACITY_MAX + 1 }, 'options.accountsMax', CountersignRangeError],
    [{ accountsMax: 5000.5 }, 'options.accountsMax', CountersignRangeError],
    [{ accountsMax: '5000' }, 'options.accountsMax', CountersignTypeError],
    [{ holdsMax: LEDGER_HOLDS_MAX - 1 }, 'options.holdsMax', CountersignRangeError],
    [{ holdsMax: LEDGER_HOLDS_CAPACITY_MAX + 1 }, 'options.holdsMax', CountersignRangeError],
  ];
  for (const [options, param, type] of cases) {
    assert.throws(() => Ledger.create(options), (e) => e instanceof type && e.param === param, JSON.stringify(options));
  }
  assert.throws(() => Ledger.create({ accounts: 5000 }), (e) => e.param?.startsWith('options'));
  assert.throws(() => Ledger.create(5000), (e) => e instanceof CountersignTypeError && e.param === 'options');
  const ledger = Ledger.create();
  assert.throws(() => ledger.setCapacity({ idempotencyKey: 'c', now: T0, accountsMax: 1, holdsMax: LEDGER_HOLDS_MAX }), (e) => e.param === 'request.accountsMax');
  assert.equal(ledger.journal().length, 0);
  ledger.free();
});
