// System 10 through the SDK: samples → events → verdicts on a ShelfController, what the SDK
// refuses before anything crosses (samples that an Int32Array would wrap), errors naming their
// path, and persistence through ShelfStore (a restart loses no saved take record, a rollback of
// storage is refused, a concurrent writer is detected). The rules themselves are checked by the
// vectors (shelf-vectors.test.mjs) and the core's tests.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { FileStorage, MemoryStorage, SHELF_RESOLVE_CODES, SHELF_VERDICT_CODES, ShelfController, ShelfStore } from '@countersign/sdk';

const KEY = new Uint8Array(32).fill(0x21);
const SENSOR = { noiseSigmaMg: 10000, eventThresholdMg: 10000, windowSamples: 10, cusumHMg: 100000, stableRangeMg: 60000, driftMgPerSampleMax: 500 };
const setup = (shelfId = 'aisle-7') => ({
  shelfId,
  config: { kCenti: 300, marginZCenti: 200, learnShiftPermilleMax: 50, learnPicksMin: 5, itemsMax: 6, combinationsMax: 200000 },
  itemTypes: [
    { id: 'soup', nominalMg: 540000, sigmaMg: 3000, valueMinor: 250, perishable: false },
    { id: 'beans', nominalMg: 538000, sigmaMg: 3000, valueMinor: 120, perishable: false },
    { id: 'jam', nominalMg: 300000, sigmaMg: 4000, valueMinor: 400, perishable: false },
  ],
  lanes: [
    { id: 'L1', itemType: 'soup', count: 8, sensor: { ...SENSOR } },
    { id: 'L2', itemType: 'beans', count: 8, sensor: { ...SENSOR } },
    { id: 'L3', itemType: 'jam', count: 8, sensor: { ...SENSOR } },
  ],
});
const NOW = 1_800_000_000;

/** Runs `fn` on a fresh shelf and frees it (Node 20 has no `using`). */
function withShelf(fn) {
  const shelf = ShelfController.create(setup());
  try {
    fn(shelf);
  } finally {
    shelf.free();
  }
}

/** A deterministic noisy level: `n` samples around `mg` (±10 g, a fixed pattern). */
const level = (mg, n) => Array.from({ length: n }, (_, i) => mg + ((i * 7919) % 21 - 10) * 1000);

test('samples become an event, the event a verdict: a jam taken, then left among the soup', () => withShelf((shelf) => {
  const start = 8 * 300000;
  assert.deepEqual(shelf.samples('L3', level(start, 20)), []);
  const [pick] = shelf.samples('L3', level(start - 300000, 20));
  assert.ok(Math.abs(pick.deltaMg + 300000) < 3 * pick.sigmaMg, JSON.stringify(pick));
  const picked = shelf.weightChange({ laneId: 'L3', deltaMg: pick.deltaMg, sigmaMg: pick.sigmaMg, shopperIds: ['ann'], now: NOW });
  assert.equal(picked.code, 'picked');
  assert.equal(picked.laneCount, 7);
  const back = shelf.weightChange({ laneId: 'L1', deltaMg: 300500, sigmaMg: pick.sigmaMg, shopperIds: ['ann'], now: NOW + 30 });
  assert.equal(back.code, 'untidy');
  assert.deepEqual(shelf.tasks().map((t) => [t.kind, t.laneId, t.itemType]), [['misplaced', 'L1', 'jam']]);
  assert.ok(SHELF_VERDICT_CODES.includes(back.code));
  const best = back.evidence.hypotheses[0];
  assert.equal(best.withinTolerance, true);
  assert.ok(Math.abs(back.evidence.deltaMg - best.predictedMg) <= best.toleranceMg);
}));

test('near twins through the SDK: ambiguous, with both readings as evidence', () => withShelf((shelf) => {
  shelf.weightChange({ laneId: 'L1', deltaMg: -540000, sigmaMg: 4473, shopperIds: ['ann'], now: NOW });
  shelf.weightChange({ laneId: 'L2', deltaMg: -538000, sigmaMg: 4473, shopperIds: ['ann'], now: NOW });
  const v = shelf.weightChange({ laneId: 'L3', deltaMg: 539000, sigmaMg: 4473, shopperIds: ['ann'], now: NOW });
  assert.equal(v.code, 'ambiguous');
  assert.deepEqual(v.evidence.hypotheses.slice(0, 2).map((h) => h.parts[0].itemType).sort(), ['beans', 'soup']);
}));

test('samples are checked before they cross: an Int32Array would wrap 2^31 + 5 silently', () => withShelf((shelf) => {
  const before = shelf.snapshot(KEY);
  for (const [samples, param, code] of [
    [[0, 2 ** 31 + 5], 'samples[1]', 'INVALID_ARGUMENT'],
    [[0, 200_000_001], 'samples[1]', 'INVALID_ARGUMENT'],
    [[0.5], 'samples[0]', 'INVALID_ARGUMENT'],
    [['1'], 'samples[0]', 'INVALID_TYPE'],
    [new Array(4801).fill(0), 'samples', 'LIMIT_EXCEEDED'],
  ]) {
    assert.throws(() => shelf.samples('L1', samples), (e) => e.code === code && e.param === param, `${param} ${code}`);
  }
  assert.throws(() => shelf.samples('L9', [1]), (e) => e.code === 'INVALID_ARGUMENT' && e.param === 'laneId');
  assert.deepEqual(shelf.snapshot(KEY), before, 'nothing was fed');
}));

test('errors name the path of the bad field; nothing changes', () => {
  const bad = setup();
  bad.lanes[1].sensor = { ...SENSOR, windowSampels: 10 };
  assert.throws(() => ShelfController.create(bad), (e) => e.code === 'INVALID_TYPE' && e.param.startsWith('setup.lanes[1].sensor'));
  const wrong = setup();
  wrong.itemTypes[2].nominalMg = 0;
  assert.throws(() => ShelfController.create(wrong), (e) => e.code === 'INVALID_ARGUMENT' && e.param === 'setup.itemTypes[2].nominalMg');
  withShelf((shelf) => {
  const before = shelf.snapshot(KEY);
  assert.throws(
    () => shelf.weightChange({ laneId: 'L1', deltaMg: 1.5, sigmaMg: 4473, shopperIds: ['ann'], now: NOW }),
    (e) => e.param === 'request.deltaMg',
  );
  assert.throws(
    () => shelf.weightChange({ laneId: 'L1', deltaMg: 1000, sigmaMg: 4473, shopperIds: ['ann', 'ann'], now: NOW }),
    (e) => e.code === 'INVALID_ARGUMENT' && e.param === 'request.shopperIds[1]',
  );
  assert.deepEqual(shelf.snapshot(KEY), before);
  });
});

test('ShelfStore: a restart loses no saved take record; rollback and concurrent writers are refused', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'countersign-shelf-'));
  try {
    const store = new ShelfStore(new FileStorage(dir), KEY);
    assert.equal(await store.load('aisle-7'), null);
    const shelf = ShelfController.create(setup());
    shelf.weightChange({ laneId: 'L3', deltaMg: -300000, sigmaMg: 4473, shopperIds: ['ann'], now: NOW });
    assert.equal(await store.save(shelf), true);
    shelf.weightChange({ laneId: 'L1', deltaMg: 300000, sigmaMg: 4473, shopperIds: ['ann'], now: NOW + 5 });
    assert.equal(await store.save(shelf), true);
    const revision = shelf.freshness().revision;
    shelf.free();

    // "Restart": a new store on the same files.
    const restarted = new ShelfStore(new FileStorage(dir), KEY);
    const loaded = await restarted.load('aisle-7');
    assert.equal(loaded.freshness().revision, revision);
    assert.deepEqual(loaded.shopper('ann').lots, []);
    assert.deepEqual(loaded.tasks().map((t) => t.itemType), ['jam']);

    // A concurrent writer: another store saved since this one loaded → false, nothing written.
    const other = new ShelfStore(new FileStorage(dir), KEY);
    const theirs = await other.load('aisle-7');
    theirs.weightChange({ laneId: 'L2', deltaMg: -538000, sigmaMg: 4473, shopperIds: ['bob'], now: NOW + 9 });
    assert.equal(await other.save(theirs), true);
    loaded.weightChange({ laneId: 'L2', deltaMg: -538000, sigmaMg: 4473, shopperIds: ['cy'], now: NOW + 9 });
    assert.equal(await restarted.save(loaded), false);
    loaded.free();
    theirs.free();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }

  // Rollback: storage handed back an older state than this store has seen.
  const storage = new MemoryStorage();
  const store = new ShelfStore(storage, KEY);
  const shelf = ShelfController.create(setup());
  assert.equal(await store.save(shelf), true);
  const old = await storage.get('shelf/aisle-7');
  shelf.weightChange({ laneId: 'L3', deltaMg: -300000, sigmaMg: 4473, shopperIds: ['ann'], now: NOW });
  assert.equal(await store.save(shelf), true);
  const current = await storage.get('shelf/aisle-7');
  await storage.put('shelf/aisle-7', old.value, current.version);
  await assert.rejects(store.load('aisle-7'), (e) => e.code === 'SNAPSHOT_INVALID');
  shelf.free();
  // Another shelf's state under this id is refused too.
  const storage2 = new MemoryStorage();
  const elsewhere = ShelfController.create(setup('aisle-8'));
  await storage2.put('shelf/aisle-7', elsewhere.snapshot(KEY), null);
  await assert.rejects(new ShelfStore(storage2, KEY).load('aisle-7'), (e) => e.code === 'SNAPSHOT_INVALID' && e.param === 'shelfId');
  elsewhere.free();
});

test('a pick and a return in one window: the sensor flags it, the verdict does not attribute it, staff resolve it', () => withShelf((shelf) => {
  const start = 8 * 540000;
  assert.deepEqual(shelf.samples('L1', level(start, 20)), []);
  // A soup lifted (−540 g) and, 0.4 s later, ann's jam put down (+300 g): one touch, net −240 g.
  const [event] = shelf.samples('L1', [...level(start - 540000, 4), ...level(start - 240000, 20)]);
  assert.equal(event.mixed, true, JSON.stringify(event));
  assert.ok(event.excursionMg > 2 * SENSOR.stableRangeMg && Math.abs(event.deltaMg + 240000) < 3 * event.sigmaMg);
  shelf.weightChange({ laneId: 'L3', deltaMg: -300000, sigmaMg: 4473, shopperIds: ['ann'], now: NOW });
  const before = shelf.shopper('ann');
  const v = shelf.weightChange({ laneId: 'L1', deltaMg: event.deltaMg, sigmaMg: event.sigmaMg, excursionMg: event.excursionMg, shopperIds: ['ann', 'bob'], now: NOW + 5 });
  assert.equal(v.code, 'unattributable');
  assert.equal(v.attributed, false);
  assert.deepEqual(v.evidence.shopperIds, ['ann', 'bob']);
  assert.equal(v.evidence.excursionMg, event.excursionMg);
  assert.deepEqual(shelf.shopper('ann'), before, 'no take record changed');
  const [task] = shelf.tasks();
  assert.equal(task.kind, 'unattributable');
  const r = shelf.resolveTask({ taskId: task.id, found: { itemType: 'jam', count: 1 } });
  assert.equal(r.code, 'resolved');
  assert.ok(SHELF_RESOLVE_CODES.includes(r.code));
  assert.equal(r.shopperId, 'ann');
  assert.deepEqual(shelf.shopper('ann').lots, []);
  assert.equal(shelf.resolveTask({ taskId: task.id, found: null }).code, 'task-closed');
}));

test('idempotency keys through the SDK: a retried weight change (or checkout) answers the stored answer; another request under the key is IDEMPOTENCY_CONFLICT', () => withShelf((shelf) => {
  const req = { laneId: 'L3', deltaMg: -300000, sigmaMg: 4473, shopperIds: ['ann'], now: NOW, idempotencyKey: 'gw-7:evt-1' };
  const v = shelf.weightChange(req);
  const { revision } = shelf.freshness();
  assert.deepEqual(shelf.weightChange({ ...req, now: NOW + 60 }), v);
  assert.equal(shelf.freshness().revision, revision, 'a retry changes nothing');
  assert.equal(shelf.shopper('ann').lots.length, 1);
  assert.throws(() => shelf.weightChange({ ...req, deltaMg: -301000 }), (e) => e.code === 'IDEMPOTENCY_CONFLICT' && e.param === 'request.idempotencyKey' && e instanceof RangeError);
  assert.throws(() => shelf.resolveTask({ taskId: 't1', found: null, idempotencyKey: 'gw-7:evt-1' }), (e) => e.code === 'IDEMPOTENCY_CONFLICT');
  // Keys survive a snapshot.
  const restored = ShelfController.restore(shelf.snapshot(KEY), KEY);
  try {
    assert.deepEqual(restored.weightChange(req), v);
    assert.equal(restored.shopper('ann').lots.length, 1);
    // A keyed checkout answers the same records to a retry (the till lost the first answer).
    const paid = restored.checkout('ann', 'pay-1');
    assert.equal(paid.length, 1);
    assert.deepEqual(restored.checkout('ann', 'pay-1'), paid);
    assert.throws(() => restored.checkout('bob', 'pay-1'), (e) => e.code === 'IDEMPOTENCY_CONFLICT' && e.param === 'idempotencyKey');
  } finally {
    restored.free();
  }
  assert.throws(() => shelf.resolveTask({ taskId: 't1', found: { itemType: 'caviar', count: 1 } }), (e) => e.code === 'INVALID_ARGUMENT' && e.param === 'request.found.itemType');
  assert.throws(() => shelf.resolveTask({ taskId: 't1', found: null, extra: 1 }), (e) => e.code === 'INVALID_TYPE');
}));
