// The shelf vectors of tests/vectors/shelf/ through the SDK: the same files cargo test runs
// (core/tests/shelf_vectors.rs). sensor.json through ShelfController.samples on a one-lane shelf
// with each stream's sensor; scenarios.json step by step on one ShelfController, every result
// compared whole, a refused step leaving the shelf unchanged (its snapshot the same bytes), and a
// snapshot and restore after every step (the run continues on the restored shelf).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ShelfController } from '@countersign/sdk';
import { readJson } from './helpers.mjs';

const KEY = new Uint8Array(32).fill(0x5a);

function sameBytes(a, b) {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

test('shelf sensor vectors through the SDK', () => {
  const doc = readJson('shelf/sensor.json');
  assert.ok(doc.cases.length >= 7);
  for (const c of doc.cases) {
    const shelf = ShelfController.create({
      shelfId: 'sensor',
      config: { kCenti: 300, marginZCenti: 200, learnShiftPermilleMax: 50, learnPicksMin: 5, itemsMax: 6, combinationsMax: 200000 },
      itemTypes: [{ id: 'x', nominalMg: 1, sigmaMg: 0, valueMinor: 0, perishable: false }],
      lanes: [{ id: 'L', itemType: 'x', count: 0, sensor: c.config }],
    });
    try {
      const events = [];
      let error = null;
      for (const chunk of c.chunks) {
        const before = shelf.snapshot(KEY);
        try {
          events.push(...shelf.samples('L', chunk));
        } catch (e) {
          error = { error: { code: e.code, param: e.param } };
          assert.ok(sameBytes(shelf.snapshot(KEY), before), `${c.name}: a refused push changed the shelf`);
        }
      }
      if (error) {
        assert.deepEqual(error, c.expect, c.name);
      } else {
        assert.deepEqual(events, c.expect.events, `${c.name}: events`);
        assert.deepEqual(shelf.lanes()[0].sensor, c.expect.view, `${c.name}: view`);
      }
    } finally {
      shelf.free();
    }
  }
});

test('shelf scenarios through the SDK, restored from a snapshot after every step', () => {
  const doc = readJson('shelf/scenarios.json');
  let steps = 0;
  for (const sc of doc.scenarios) {
    let shelf = ShelfController.create(sc.setup);
    try {
      sc.steps.forEach((step, i) => {
        const ctx = `${sc.name}: step ${i} (${step.comment ?? ''})`;
        const before = shelf.snapshot(KEY);
        let got;
        try {
          switch (step.step) {
            case 'change': got = shelf.weightChange(step.request); break;
            case 'resolveTask': got = shelf.resolveTask(step.request); break;
            case 'completeTask': got = shelf.completeTask(step.taskId); break;
            case 'checkout': got = shelf.checkout(step.shopperId, step.idempotencyKey); break;
            case 'tasks': got = shelf.tasks(); break;
            case 'lanes': got = shelf.lanes(); break;
            case 'itemTypes': got = shelf.itemTypes(); break;
            case 'shopper': got = shelf.shopper(step.shopperId); break;
            default: assert.fail(`${ctx}: unknown step ${step.step}`);
          }
        } catch (e) {
          if (e.code === undefined) throw e;
          got = { error: { code: e.code, param: e.param } };
          assert.ok(sameBytes(shelf.snapshot(KEY), before), `${ctx}: a refused step changed the shelf`);
        }
        assert.deepEqual(got, step.expect, ctx);
        const restored = ShelfController.restore(shelf.snapshot(KEY), KEY);
        assert.ok(sameBytes(restored.snapshot(KEY), shelf.snapshot(KEY)), `${ctx}: restore`);
        shelf.free();
        shelf = restored;
        steps += 1;
      });
    } finally {
      shelf.free();
    }
  }
  assert.ok(steps >= 140, `${steps} steps`);
});
