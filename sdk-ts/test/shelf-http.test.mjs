// The shelf across a real network: the store back-end behind node:http on 127.0.0.1 (ephemeral
// port) holds the shelf (ShelfController) and persists it through ShelfStore after every request
// — over FileStorage in a temp dir, and over PostgresStorage. The in-store gateway streams each
// lane's load-cell samples with the shoppers its tracking sees at the shelf; the back-end finds
// the weight changes, decides them, saves, and answers the verdicts. The back-end is stopped and
// started again from its storage in the middle of a shopper's visit — between a pick and its
// return, with the lane's sensor window half full — and nothing is lost: the take record, the
// sensor's baseline, the clean-up list.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { ShelfController, ShelfStore } from '@countersign/sdk';
import { durableAdapters } from './postgres-server.mjs';

const T0 = 1_800_000_000;
const BODY_BYTES_MAX = 100_000; // one request: at most 4,800 samples as JSON
const workDir = mkdtempSync(join(tmpdir(), 'countersign-shelf-http-'));
after(() => rmSync(workDir, { recursive: true, force: true }));

const snapshotKey = new Uint8Array(32).fill(21);
const SENSOR = { noiseSigmaMg: 10000, eventThresholdMg: 10000, windowSamples: 10, cusumHMg: 100000, stableRangeMg: 60000, driftMgPerSampleMax: 500 };
const SETUP = {
  shelfId: 'aisle-9',
  config: { kCenti: 300, marginZCenti: 200, learnShiftPermilleMax: 50, learnPicksMin: 5, itemsMax: 6, combinationsMax: 200000 },
  itemTypes: [
    { id: 'jam', nominalMg: 300000, sigmaMg: 4000, valueMinor: 400, perishable: false },
    { id: 'milk', nominalMg: 1030000, sigmaMg: 8000, valueMinor: 150, perishable: true },
  ],
  lanes: [
    { id: 'L1', itemType: 'jam', count: 6, sensor: SENSOR },
    { id: 'L2', itemType: 'milk', count: 6, sensor: SENSOR },
  ],
};

/**
 * Starts the back-end over the storage `open()` gives: POST /shelf/samples with JSON
 * `{laneId, samples, shopperIds, now}` → 200 `{verdicts}` (one per weight change the samples
 * completed), after the shelf is saved. One request at a time.
 */
async function startBackEnd(open) {
  const store = new ShelfStore(open(), snapshotKey);
  let shelf = await store.load(SETUP.shelfId);
  if (shelf === null) {
    shelf = ShelfController.create(SETUP);
    assert.equal(await store.save(shelf), true);
  }
  let queue = Promise.resolve();
  const http = createServer((req, res) => {
    const chunks = [];
    let size = 0;
    req.on('data', (chunk) => {
      size += chunk.length;
      if (size <= BODY_BYTES_MAX) chunks.push(chunk);
    });
    req.on('end', () => {
      queue = queue.then(async () => {
        if (req.method !== 'POST' || req.url !== '/shelf/samples' || size > BODY_BYTES_MAX) {
          res.writeHead(404).end();
          return;
        }
        try {
          const { laneId, samples, shopperIds, now } = JSON.parse(Buffer.concat(chunks).toString('utf8'));
          const verdicts = shelf.samples(laneId, samples).map((e) => shelf.weightChange({ laneId, deltaMg: e.deltaMg, sigmaMg: e.sigmaMg, shopperIds, now }));
          if (!(await store.save(shelf))) throw new Error('lost a compare-and-swap race');
          res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ verdicts }));
        } catch (e) {
          res.writeHead(422, { 'content-type': 'application/json' }).end(JSON.stringify({ code: e.code ?? 'ERROR', param: e.param ?? '' }));
        }
      });
    });
  });
  await new Promise((resolve) => http.listen(0, '127.0.0.1', resolve));
  return { shelf, url: `http://127.0.0.1:${http.address().port}`, close: () => new Promise((resolve) => http.close(resolve)) };
}

/** The gateway's transport. */
async function send(url, body) {
  const response = await fetch(`${url}/shelf/samples`, { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json' } });
  return { status: response.status, body: await response.json() };
}

/** `n` samples around `mg` (±4 g, a fixed pattern: a quiet load cell). */
const level = (mg, n) => Array.from({ length: n }, (_, i) => mg + ((i * 7) % 9 - 4) * 1000);

for (const { label, skip, place } of await durableAdapters()) test(`gateway and store back-end over HTTP on 127.0.0.1, persisted over ${label}, restarted mid-visit`, { skip }, async (t) => {
  const { open, cleanup } = place(join(workDir, label.replace(/\W+/g, '-')));
  t.after(cleanup);
  const jamLane = 1_000_000 + 6 * 300_000;
  const milkLane = 1_000_000 + 6 * 1_030_000;
  let backEnd = await startBackEnd(open);

  // The cells find their zero; Ann lifts a jam.
  for (const [laneId, mg] of [['L1', jamLane], ['L2', milkLane]]) {
    assert.deepEqual((await send(backEnd.url, { laneId, samples: level(mg, 20), shopperIds: ['ann'], now: T0 })).body, { verdicts: [] });
  }
  let reply = await send(backEnd.url, { laneId: 'L1', samples: level(jamLane - 300_000, 20), shopperIds: ['ann'], now: T0 + 5 });
  assert.deepEqual(reply.body.verdicts.map((v) => [v.code, v.shopperId, v.laneCount]), [['picked', 'ann', 5]]);

  // She puts it down among the milk: the first half of the touch arrives, then the back-end
  // stops (a deploy, a crash) before the shelf has settled.
  reply = await send(backEnd.url, { laneId: 'L2', samples: level(milkLane + 300_000, 6), shopperIds: ['ann'], now: T0 + 10 });
  assert.deepEqual(reply.body.verdicts, [], 'not settled yet');
  await backEnd.close();
  backEnd.shelf.free();
  backEnd = await startBackEnd(open);
  assert.deepEqual(backEnd.shelf.shopper('ann').lots.map((l) => l.itemType), ['jam'], 'the take record survived the restart');
  assert.equal(backEnd.shelf.lanes()[1].sensor.phase, 'moving', 'and so did the sensor, mid-touch');

  // The rest of the touch: the shelf settles, the return is decided as untidy.
  reply = await send(backEnd.url, { laneId: 'L2', samples: level(milkLane + 300_000, 14), shopperIds: ['ann', 'bob'], now: T0 + 12 });
  assert.deepEqual(reply.body.verdicts.map((v) => [v.code, v.shopperId, v.laneCount]), [['untidy', 'ann', 6]]);
  assert.deepEqual(backEnd.shelf.tasks().map((task) => [task.kind, task.itemType, task.laneId]), [['misplaced', 'jam', 'L2']]);

  // A malformed request is refused naming the field; nothing changes.
  reply = await send(backEnd.url, { laneId: 'L2', samples: [1, 2 ** 40], shopperIds: ['ann'], now: T0 + 13 });
  assert.equal(reply.status, 422);
  assert.deepEqual(reply.body, { code: 'INVALID_ARGUMENT', param: 'samples[1]' });

  await backEnd.close();
  // What was acknowledged is in storage: a fresh load sees the visit as it ended.
  const reloaded = await new ShelfStore(open(), snapshotKey).load(SETUP.shelfId);
  assert.deepEqual(reloaded.shopper('ann').lots, []);
  assert.deepEqual(reloaded.lanes().map((l) => [l.id, l.count, l.entries.map((e) => e.itemType)]), [['L1', 5, []], ['L2', 6, ['jam']]]);
  assert.equal(reloaded.freshness().revision, backEnd.shelf.freshness().revision);
  reloaded.free();
  backEnd.shelf.free();
});
