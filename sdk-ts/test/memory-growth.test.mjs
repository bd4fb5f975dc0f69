// The WebAssembly memory grows in steps (wasm/src/alloc.rs): at least 1 MiB, or an eighth of the
// memory, at a time — never the 64 KiB a time of Rust's default allocator, whose every grow cost
// ~0.1–2 ms in V8 once the memory was tens of MiB (HACKING.md "Memory growth"). Checked by
// watching the memory's size after every single ledger operation while the heap grows by
// ~24 MiB: each change is at least 16 pages, and there are few of them.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as sdk from '@countersign/sdk';
import { wasm } from '../dist/loader.js';

const T0 = 1_767_225_600;
const PAGE = 65_536;
/** The least step (wasm/src/alloc.rs GROW_PAGES_MIN). */
const STEP_MIN_BYTES = 16 * PAGE;
/** Heap growth to watch: 24 MiB. */
const GROWTH_BYTES = 24 * 1024 * 1024;
/** Ledgers of this many accounts are made until the heap has grown that much (bounded). */
const ACCOUNTS = 2000;
const LEDGERS_MAX = 200;

test('the wasm memory grows by at least 1 MiB at a time, a few times for 24 MiB of heap', () => {
  const glue = wasm();
  const memory = glue.initSync().memory;
  const heapStart = glue.heapBytesInUse();
  const sizes = [memory.buffer.byteLength];
  const kept = [];
  const watch = () => {
    if (memory.buffer.byteLength !== sizes.at(-1)) sizes.push(memory.buffer.byteLength);
  };
  for (let l = 0; l < LEDGERS_MAX && glue.heapBytesInUse() - heapStart < GROWTH_BYTES; l++) {
    const ledger = sdk.Ledger.create();
    kept.push(ledger);
    for (let n = 0; n < ACCOUNTS; n++) {
      ledger.openAccount({ idempotencyKey: `o${n}`, now: T0, accountId: `l${l}-w${n}`, currency: 'EUR', kind: 'nonNegative' });
      watch();
      if (ledger.counts().journalRetained >= 2048) ledger.truncateJournal(ledger.head().seq);
    }
  }
  const grown = glue.heapBytesInUse() - heapStart;
  assert.ok(grown >= GROWTH_BYTES, `the heap grew by ${grown} bytes`);
  const steps = sizes.slice(1).map((size, i) => size - sizes[i]);
  assert.ok(steps.length > 0, 'the memory grew');
  for (const step of steps) assert.ok(step >= STEP_MIN_BYTES, `a step of ${step} bytes (steps: ${steps.join(', ')})`);
  // 64 KiB at a time would be ~380 grows; steps of ≥ 1 MiB or an eighth, at most ~24.
  assert.ok(steps.length <= 30, `${steps.length} grows: ${steps.join(', ')}`);
  for (const ledger of kept) ledger.free();
});
