// Hostile-input targets: System 10, the shelf (ShelfController, ShelfStore).
import * as s from '@countersign/sdk';

const hex = (b) => Buffer.from(b).toString('hex');
const KEY = new Uint8Array(32).fill(9);
const SENSOR = { noiseSigmaMg: 10000, eventThresholdMg: 10000, windowSamples: 10, cusumHMg: 100000, stableRangeMg: 60000, driftMgPerSampleMax: 500 };
const setup = () => ({
  shelfId: 'aisle-1',
  config: { kCenti: 300, marginZCenti: 200, learnShiftPermilleMax: 50, learnPicksMin: 5, itemsMax: 6, combinationsMax: 200000 },
  itemTypes: [
    { id: 'jam', nominalMg: 300000, sigmaMg: 4000, valueMinor: 400, perishable: false },
    { id: 'milk', nominalMg: 1030000, sigmaMg: 8000, valueMinor: 150, perishable: true },
  ],
  lanes: [
    { id: 'L1', itemType: 'jam', count: 10, sensor: { ...SENSOR } },
    { id: 'L2', itemType: 'milk', count: 10, sensor: { ...SENSOR } },
  ],
});
const change = (deltaMg, laneId = 'L1') => ({ laneId, deltaMg, sigmaMg: 4473, shopperIds: ['ann'], now: 1_800_000_000 });

/** A shelf where ann took a jam and left it among the milk (one open task, `t1`). */
function shelf() {
  const sh = s.ShelfController.create(setup());
  sh.weightChange(change(-300000));
  sh.weightChange(change(300000, 'L2'));
  return sh;
}
const base = shelf();
const baseSnapshot = base.snapshot(KEY);
base.free();

const onShelf = { receiver: shelf, state: (sh) => hex(sh.snapshot(KEY)) };

const stores = new WeakMap(); // store -> { storage, shelf }
async function store() {
  const storage = new s.MemoryStorage();
  const st = new s.ShelfStore(storage, KEY);
  const sh = shelf();
  await st.save(sh);
  sh.weightChange(change(-1030000, 'L2'));
  stores.set(st, { storage, shelf: sh });
  return st;
}
async function storeState(st) {
  const { storage, shelf: sh } = stores.get(st);
  const stored = await storage.get('shelf/aisle-1');
  return `${stored === null ? 'none' : `${stored.version} ${hex(stored.value)}`} ${hex(sh.snapshot(KEY))}`;
}

export const targets = {
  'new ShelfController': { args: () => [] }, // private: always refused
  'ShelfController.create': { args: () => [setup()] },
  'ShelfController.restore': { args: () => [baseSnapshot.slice(), KEY.slice()] },
  'ShelfController#samples': { ...onShelf, args: () => ['L1', [0, 1, -2, 3, 200000000, -200000000]] },
  'ShelfController#weightChange': { ...onShelf, args: () => [change(301000, 'L1')] },
  'ShelfController#resolveTask': {
    receiver: () => {
      const sh = shelf();
      sh.weightChange({ ...change(-300000), shopperIds: ['bob'] });
      sh.weightChange({ ...change(-20000, 'L2'), excursionMg: 400000, shopperIds: ['ann', 'bob'] }); // t2, unattributable
      return sh;
    },
    state: (sh) => hex(sh.snapshot(KEY)),
    args: () => [{ taskId: 't2', found: { itemType: 'jam', count: 1 }, shopperId: 'bob', idempotencyKey: 'r1' }],
  },
  'ShelfController#completeTask': { ...onShelf, args: () => ['t1'] },
  'ShelfController#checkout': { ...onShelf, args: () => ['ann', 'pay-1'] },
  'ShelfController#tasks': { ...onShelf, args: () => [] },
  'ShelfController#lanes': { ...onShelf, args: () => [] },
  'ShelfController#shopper': { ...onShelf, args: () => ['ann'] },
  'ShelfController#itemTypes': { ...onShelf, args: () => [] },
  'ShelfController#snapshot': { ...onShelf, args: () => [KEY.slice()] },
  'ShelfController#freshness': { ...onShelf, args: () => [] },
  'ShelfController#shelfId': { ...onShelf, args: () => [] },
  'ShelfController#free': { ...onShelf, args: () => [], consumes: true },
  'ShelfController#[Symbol.dispose]': { ...onShelf, args: () => [], consumes: true },

  'new ShelfStore': { args: () => [new s.MemoryStorage(), KEY.slice(), { prefix: 'shelves/' }] },
  'ShelfStore#load': { receiver: store, state: storeState, args: () => ['aisle-1'] },
  'ShelfStore#save': { receiver: store, state: storeState, argsFor: (st) => [stores.get(st).shelf] },
};
