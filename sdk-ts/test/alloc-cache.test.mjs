// The adapter's allocator keeps freed small blocks (≤ 128 bytes) for the next request of their
// size class (wasm/src/alloc.rs `SmallCache`). What would go wrong if it were wrong: a block
// handed out twice or too small (ids and amounts come back altered), blocks moved between
// classes (a string grown or shrunk across a class comes back altered), the bytes-in-use count
// drifting (`heapBytesInUse` after a freed batch differs), or the cache never reusing (the
// memory grows with every identical batch). Each is asserted below.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as sdk from '@countersign/sdk';
import { wasm } from '../dist/loader.js';

const T0 = 1_767_225_600;
/** Id lengths tried: each boundary of the cache's 16-byte size classes up to the longest id
 * (ID_BYTES_MAX, 64) and one byte either side; the larger classes hold the journal entries'
 * buffers (111-126 bytes here) and the outcome lists. */
const ID_LENGTHS = [1, 2, 15, 16, 17, 31, 32, 33, 47, 48, 49, 63, 64];
/** Identical batches run to see the heap return to the same count and the memory stop growing. */
const BATCHES = 40;
/** Hold + post pairs per batch (512 operations, the most a batch takes). */
const PAIRS = 256;

function idOf(length, tag) {
  // Distinct per tag and length, exactly `length` bytes (ASCII).
  const text = `${tag}-${length}-`;
  return (text + 'x'.repeat(length)).slice(0, length);
}

test('ids of every size class come back unaltered, also after their blocks were reused', () => {
  for (let round = 0; round < 3; round++) {
    const ledger = sdk.Ledger.create();
    const ids = ID_LENGTHS.map((length) => idOf(length, `a${round}`));
    ledger.executeBatch(
      ids.map((accountId, n) => ({ op: 'openAccount', request: { idempotencyKey: idOf(ID_LENGTHS[n], `k${round}`), now: T0, accountId, currency: 'EUR', kind: 'unrestricted' } })),
    );
    for (const id of ids) assert.equal(ledger.account(id)?.accountId, id);
    // Holds between accounts of different classes: the hold copies and views clone every id.
    const holds = ids.map((debit, n) => ({ debit, credit: ids[(n + 7) % ids.length], holdId: idOf(ID_LENGTHS[(n + 3) % ID_LENGTHS.length], `h${round}`) }));
    const outcomes = ledger.executeBatch(
      holds.map(({ debit, credit, holdId }, n) => ({
        op: 'hold',
        request: { idempotencyKey: `hold-${round}-${n}`, now: T0 + 1, holdId, debitAccountId: debit, creditAccountId: credit, amount: `${n + 1}.25`, currency: 'EUR', expiresAt: T0 + 600 },
      })),
    );
    outcomes.forEach((outcome, n) => {
      assert.equal(outcome.code, 'HELD');
      assert.deepEqual(
        [outcome.hold.holdId, outcome.hold.debitAccountId, outcome.hold.creditAccountId, outcome.hold.amount],
        [holds[n].holdId, holds[n].debit, holds[n].credit, `${n + 1}.25`],
      );
    });
    ledger.checkInvariants();
    // The journal's entries (byte buffers grown through several classes while encoded) replay
    // to the same state.
    assert.deepEqual(sdk.Ledger.replay(ledger.journal()).stateDigest(), ledger.stateDigest());
    ledger.free();
  }
});

test('identical batches return the heap to the same count and stop growing the memory', () => {
  const glue = wasm();
  const memory = glue.initSync().memory;
  const ledger = sdk.Ledger.create();
  ledger.executeBatch([
    { op: 'openAccount', request: { idempotencyKey: 'o-wallet', now: T0, accountId: 'wallet', currency: 'EUR', kind: 'unrestricted' } },
    { op: 'openAccount', request: { idempotencyKey: 'o-station', now: T0, accountId: 'station', currency: 'EUR', kind: 'nonNegative' } },
  ]);
  // The same operations again each time: every one is a repeat answered from the key table, so
  // the ledger's state does not change and whatever a batch allocates it frees.
  const ops = [];
  for (let i = 0; i < PAIRS; i++) {
    ops.push(
      { op: 'hold', request: { idempotencyKey: `k${i}h`, now: T0 + 1, holdId: `h${i}`, debitAccountId: 'wallet', creditAccountId: 'station', amount: '50.00', currency: 'EUR', expiresAt: T0 + 600 } },
      { op: 'post', request: { idempotencyKey: `k${i}p`, now: T0 + 1, holdId: `h${i}`, amount: '31.17', currency: 'EUR', final: true } },
    );
  }
  ledger.executeBatch(ops);
  ledger.truncateJournal(ledger.head().seq);
  const heap = [];
  const sizes = [];
  for (let b = 0; b < BATCHES; b++) {
    const outcomes = ledger.executeBatch(ops);
    assert.equal(outcomes.length, 2 * PAIRS);
    assert.ok(outcomes.every((outcome) => outcome.repeated), 'each operation is a repeat');
    heap.push(glue.heapBytesInUse());
    sizes.push(memory.buffer.byteLength);
  }
  assert.deepEqual(new Set(heap.slice(1)).size, 1, `bytes in use after each batch: ${heap.join(', ')}`);
  assert.equal(sizes.at(-1), sizes[1], `the memory grew from ${sizes[1]} to ${sizes.at(-1)} bytes over identical batches`);
  ledger.free();
});
