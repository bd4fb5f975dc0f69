// System 10 demo: untidy returns judged by weight, a store manager's view of one shelf.
//
// The page plays the physical world: which item lies in which lane, what each shopper carries,
// and what a load cell would report when someone touches a lane (10 samples per second, Gaussian
// noise σ 10 g, the shelf swinging for half a second after a touch). Everything the store knows is
// decided by the countersign WebAssembly core through the SDK's ShelfController: the weight-change
// events found in those samples, each verdict with its evidence, the shoppers' take records, the
// lanes' contents and the clean-up list. Kept across reloads:
//
//   * the shelf: IndexedDB, through ShelfStore (authenticated snapshots, compare-and-swap);
//   * the physical world, the chart's recent samples, the clock and the log: localStorage.

import uPlot from '/vendor/uplot/uPlot.esm.js';
import {
  actionRunner,
  byTestId,
  deleteDatabase,
  demoError,
  fieldError,
  formatLocal,
  fromHex,
  loadDemoState,
  renderLog,
  setEnabled,
  setSaveStatus,
  setText,
  showInitError,
  toHex,
  value,
} from './demo-kit.js';
const SDK_URL = '/sdk/dist/index.js';

const DB_NAME = 'countersign-shelf-demo';
const LS_STATE = 'countersign-shelf-demo:state';
const LS_SNAPSHOT_KEY = 'countersign-shelf-demo:snapshot-key';
const DEMO_STATE_VERSION = 1;
const SHELF_ID = 'aisle-4';
const SNAPSHOT_KEY_BYTES = 32;

const ITEMS = {
  soup: { name: 'soup', nominalMg: 540_000, sigmaMg: 3_000, valueMinor: 250, perishable: false },
  beans: { name: 'beans', nominalMg: 538_000, sigmaMg: 3_000, valueMinor: 120, perishable: false },
  jam: { name: 'jam', nominalMg: 300_000, sigmaMg: 4_000, valueMinor: 400, perishable: false },
  milk: { name: 'milk', nominalMg: 1_030_000, sigmaMg: 8_000, valueMinor: 150, perishable: true },
};
const LANES = [
  { id: 'L1', itemType: 'soup' },
  { id: 'L2', itemType: 'beans' },
  { id: 'L3', itemType: 'jam' },
  { id: 'L4', itemType: 'milk' },
];
const ITEMS_PER_LANE = 6;
const SHOPPERS = ['ann', 'bob'];
const TARE_MG = 1_000_000; // the lane's tray
// The simulated load cell: σ 10 g (the AiFi competition's figure), 10 samples per second.
const NOISE_SIGMA_MG = 10_000;
const SENSOR = { noiseSigmaMg: NOISE_SIGMA_MG, eventThresholdMg: 10_000, windowSamples: 10, cusumHMg: 100_000, stableRangeMg: 60_000, driftMgPerSampleMax: 500 };
const SAMPLES_PER_S = 10;
const IDLE_SAMPLES = 10; // before a touch, at rest
const SWING_SAMPLES = 5; // the shelf swinging after a touch
const SETTLE_SAMPLES = 35; // at rest again
const SWING_MG = 60_000;
const TARE_SAMPLES = 20; // at start-up: the sensors find their zero
const JITTER_MG = 2_000; // each real item is within ±2 g of its catalogue weight
const CHART_POINTS_MAX = 300; // samples kept per lane for the chart (30 s)
const LOG_ENTRIES_MAX = 60;
const ITEMS_HELD_MAX = 40;

const EXPLANATIONS = {
  picked: 'A pick, explained by what the lane holds; the shopper\'s take record has it with its measured weight.',
  tidy: 'A return to the item\'s own lane: the lane\'s count is restored.',
  untidy: 'A return to another type\'s lane: the item is recorded in that lane and a clean-up task is opened.',
  ambiguous: 'Two readings fit and the evidence cannot separate them: nothing is guessed; the lane gets an item to identify.',
  unexplained: 'Nothing the shopper holds explains this weight: an item to identify in the lane.',
  'search-limit': 'Too many combinations to try: not decided; an item to identify.',
  unattributable: 'A pick and a return inside one settling window (the weight went beyond both rest values): the net change is attributed to nobody — no take record or lane count changes; staff get a task to look.',
};
const TONE = { picked: 'ok', tidy: 'ok', untidy: 'warn', ambiguous: 'warn', unexplained: 'bad', 'search-limit': 'bad', unattributable: 'bad' };
const BETWEEN_SAMPLES = 4; // a second hand in the same touch: 0.4 s after the first

// ---------------------------------------------------------------------------------------------
// State

let sdk = null;
let demo = null;
let store = null;
let shelf = null;
const charts = new Map(); // lane id -> uPlot

function freshDemo() {
  return {
    version: DEMO_STATE_VERSION,
    clock: Math.floor(Date.now() / 1000),
    rng: 0x2545f491, // xorshift32 state: the noise continues across reloads
    lanes: Object.fromEntries(LANES.map((l) => [l.id, []])), // physical items: { type, mg }
    baskets: Object.fromEntries(SHOPPERS.map((s) => [s, []])),
    chart: Object.fromEntries(LANES.map((l) => [l.id, [[], []]])),
    verdict: null,
    resolution: null,
    log: [],
  };
}

function uniform() {
  let x = demo.rng;
  x ^= x << 13;
  x >>>= 0;
  x ^= x >>> 17;
  x ^= x << 5;
  x >>>= 0;
  demo.rng = x;
  return x / 2 ** 32;
}
/** Gaussian noise by the sum of 12 uniforms − 6, rounded to whole milligrams. */
function noise(sigma) {
  let s = 0;
  for (let i = 0; i < 12; i++) s += uniform();
  return Math.round((s - 6) * sigma);
}

const laneMass = (laneId) => TARE_MG + demo.lanes[laneId].reduce((sum, item) => sum + item.mg, 0);
const grams = (mg) => `${(mg / 1000).toFixed(1)} g`;
const itemName = (type) => (type === null ? 'unidentified' : ITEMS[type]?.name ?? type);

function log(text, code = '', tone = '') {
  demo.log.push({ clock: demo.clock, actor: 'shelf', text, code, tone });
  if (demo.log.length > LOG_ENTRIES_MAX) demo.log.splice(0, demo.log.length - LOG_ENTRIES_MAX);
}

// ---------------------------------------------------------------------------------------------
// The load cell

/** Feeds `samples` of one lane to the engine and to the chart; returns the events found. */
function feed(laneId, samples) {
  const events = shelf.samples(laneId, samples);
  const [xs, ys] = demo.chart[laneId];
  for (const mg of samples) {
    xs.push(demo.clock);
    ys.push(mg / 1000);
    demo.clock += 1 / SAMPLES_PER_S;
  }
  demo.clock = Math.round(demo.clock * 10) / 10;
  if (xs.length > CHART_POINTS_MAX) {
    xs.splice(0, xs.length - CHART_POINTS_MAX);
    ys.splice(0, ys.length - CHART_POINTS_MAX);
  }
  return events;
}

/**
 * Someone touches `laneId` and changes its contents with `change()` (and `second()`, a second
 * hand 0.4 s later in the same touch, when given): idle samples, the swing, the new rest; every
 * event found is decided for the shoppers present, keyed by its lane and first sample (so a
 * retried request is answered, not applied twice). Returns the last verdict.
 */
function touch(laneId, change, what, second = null) {
  demo.verdict = null; // until this touch is decided: a failed action shows no stale verdict
  const before = laneMass(laneId);
  const idle = Array.from({ length: IDLE_SAMPLES }, () => before + noise(NOISE_SIGMA_MG));
  change();
  if (second) {
    const mid = laneMass(laneId);
    idle.push(...Array.from({ length: BETWEEN_SAMPLES }, () => mid + noise(NOISE_SIGMA_MG)));
    second();
  }
  const after = laneMass(laneId);
  const swing = Array.from({ length: SWING_SAMPLES }, (_, i) => after + (i % 2 === 0 ? 1 : -1) * Math.round(SWING_MG / (i + 1)) + noise(NOISE_SIGMA_MG));
  const rest = Array.from({ length: SETTLE_SAMPLES }, () => after + noise(NOISE_SIGMA_MG));
  const events = feed(laneId, [...idle, ...swing, ...rest]);
  if (events.length === 0) {
    log(`${what}: no weight change found at ${laneId}`, 'NO EVENT', 'bad');
    demo.verdict = null;
    return null;
  }
  let verdict = null;
  for (const event of events) {
    const shopper = value('shopper');
    const shopperIds = byTestId('both-present').checked ? [shopper, ...SHOPPERS.filter((s) => s !== shopper)] : [shopper];
    verdict = shelf.weightChange({
      laneId,
      deltaMg: event.deltaMg,
      sigmaMg: event.sigmaMg,
      excursionMg: event.excursionMg,
      shopperIds,
      now: Math.floor(demo.clock),
      idempotencyKey: `${laneId}#${event.startSample}`,
    });
    const who = verdict.shopperId ?? (verdict.attributed ? '' : 'not attributed');
    log(`${what}: ${laneId} Δ ${grams(event.deltaMg)} ± ${grams(event.sigmaMg)}${who ? ` (${who})` : ''}`, verdict.code, TONE[verdict.code]);
  }
  demo.verdict = verdict;
  return verdict;
}

// ---------------------------------------------------------------------------------------------
// Actions

const shopperNow = () => value('shopper');
const basket = () => demo.baskets[shopperNow()];

function takeFrom(laneId, predicate, what) {
  demo.verdict = null;
  if (basket().length >= ITEMS_HELD_MAX) throw fieldError('shopper', `holds ${ITEMS_HELD_MAX} items already`);
  const items = demo.lanes[laneId];
  const at = items.findIndex(predicate);
  if (at < 0) throw fieldError('lane', what);
  return touch(laneId, () => basket().push(...items.splice(at, 1)), `${shopperNow()} takes from`);
}

function pick() {
  const laneId = value('lane');
  const own = LANES.find((l) => l.id === laneId).itemType;
  takeFrom(laneId, (item) => item.type === own, `has no ${itemName(own)} left`);
}

function pickForeign() {
  const laneId = value('lane');
  const own = LANES.find((l) => l.id === laneId).itemType;
  takeFrom(laneId, (item) => item.type !== own, 'has no misplaced item: return something there first');
}

function heldIndex() {
  demo.verdict = null;
  const text = value('held');
  if (text === '') throw fieldError('held', 'is empty: pick an item first');
  return Number(text);
}

function putBack(indices, laneId, what) {
  const items = basket();
  const moving = indices.map((i) => items[i]);
  touch(laneId, () => {
    for (const i of [...indices].sort((a, b) => b - a)) items.splice(i, 1);
    demo.lanes[laneId].push(...moving);
  }, what);
}

function returnHome() {
  const i = heldIndex();
  const item = basket()[i];
  putBack([i], LANES.find((l) => l.itemType === item.type).id, `${shopperNow()} returns a ${itemName(item.type)} to`);
}

function returnToLane() {
  const i = heldIndex();
  putBack([i], value('lane'), `${shopperNow()} puts a ${itemName(basket()[i].type)} into`);
}

function returnTwo() {
  demo.verdict = null;
  if (basket().length < 2) throw fieldError('held', 'holds fewer than two items: pick two first');
  putBack([0, 1], value('lane'), `${shopperNow()} puts two items at once into`);
}

/** One touch, two hands: an item of the lane's own type taken and the held item put in. */
function swap() {
  const i = heldIndex();
  const laneId = value('lane');
  const own = LANES.find((l) => l.id === laneId).itemType;
  const items = demo.lanes[laneId];
  const at = items.findIndex((item) => item.type === own);
  if (at < 0) throw fieldError('lane', `has no ${itemName(own)} left`);
  const held = basket();
  const moving = held[i];
  touch(
    laneId,
    () => held.push(...items.splice(at, 1)),
    `${shopperNow()} takes a ${itemName(own)} and puts a ${itemName(moving.type)} into (one touch)`,
    () => {
      held.splice(held.indexOf(moving), 1);
      items.push(moving);
    },
  );
}

function nearTwin() {
  const who = shopperNow();
  takeFrom('L1', (item) => item.type === 'soup', 'has no soup left');
  takeFrom('L2', (item) => item.type === 'beans', 'has no beans left');
  const soup = basket().findLastIndex((item) => item.type === 'soup');
  putBack([soup], 'L3', `${who} puts a soup (540 g; beans weigh 538 g) into`);
}

// ---------------------------------------------------------------------------------------------
// Persistence

async function restore() {
  demo = loadDemoState(LS_STATE, DEMO_STATE_VERSION, freshDemo);
  let keyHex = localStorage.getItem(LS_SNAPSHOT_KEY);
  if (keyHex === null) {
    keyHex = toHex(crypto.getRandomValues(new Uint8Array(SNAPSHOT_KEY_BYTES)));
    localStorage.setItem(LS_SNAPSHOT_KEY, keyHex);
  }
  store = new sdk.ShelfStore(new sdk.IndexedDbStorage(DB_NAME), fromHex(keyHex));
  try {
    shelf = await store.load(SHELF_ID);
  } catch (err) {
    // A shelf saved by an older build of this demo (snapshot format 1): start a new one.
    if (err?.code !== 'SNAPSHOT_VERSION_UNSUPPORTED') throw err;
    await deleteDatabase(DB_NAME);
    store = new sdk.ShelfStore(new sdk.IndexedDbStorage(DB_NAME), fromHex(keyHex));
    shelf = null;
  }
  if (shelf === null) {
    demo = freshDemo();
    shelf = sdk.ShelfController.create({
      shelfId: SHELF_ID,
      config: { kCenti: 300, marginZCenti: 200, learnShiftPermilleMax: 50, learnPicksMin: 5, itemsMax: 6, combinationsMax: 200_000 },
      itemTypes: Object.entries(ITEMS).map(([id, t]) => ({ id, nominalMg: t.nominalMg, sigmaMg: t.sigmaMg, valueMinor: t.valueMinor, perishable: t.perishable })),
      lanes: LANES.map((l) => ({ id: l.id, itemType: l.itemType, count: ITEMS_PER_LANE, sensor: { ...SENSOR } })),
    });
    for (const lane of LANES) {
      for (let i = 0; i < ITEMS_PER_LANE; i++) {
        demo.lanes[lane.id].push({ type: lane.itemType, mg: ITEMS[lane.itemType].nominalMg + Math.round((uniform() * 2 - 1) * JITTER_MG) });
      }
      const start = demo.clock;
      feed(lane.id, Array.from({ length: TARE_SAMPLES }, () => laneMass(lane.id) + noise(NOISE_SIGMA_MG)));
      if (lane.id !== LANES[LANES.length - 1].id) demo.clock = start; // the four cells sample side by side
    }
    log('a new shelf: four lanes of six items; the load cells found their zero');
    setText('restore-status', 'new shelf');
    await save();
  } else {
    setText('restore-status', `restored from IndexedDB (revision ${shelf.freshness().revision})`);
  }
}

async function save() {
  localStorage.setItem(LS_STATE, JSON.stringify(demo));
  if (!(await store.save(shelf))) throw demoError('STORAGE_CONFLICT', 'another tab changed the shelf: reload the page');
  setSaveStatus('saved', `saved (revision ${shelf.freshness().revision})`);
}

async function resetDemo() {
  shelf?.free();
  shelf = null;
  localStorage.removeItem(LS_STATE);
  localStorage.removeItem(LS_SNAPSHOT_KEY);
  await deleteDatabase(DB_NAME);
  for (const chart of charts.values()) chart.destroy();
  charts.clear();
  byTestId('lanes').replaceChildren();
  await restore();
}

// ---------------------------------------------------------------------------------------------
// Rendering

function laneCard(lane) {
  const card = document.createElement('div');
  card.className = 'lane';
  card.dataset.testid = `lane-${lane.id}`;
  card.innerHTML = `<h3>${lane.id} · ${itemName(lane.itemType)} (${grams(ITEMS[lane.itemType].nominalMg)})</h3>
    <div class="small">count <strong data-testid="lane-count-${lane.id}"></strong> · <span class="muted" data-testid="lane-sensor-${lane.id}"></span></div>
    <div class="chart" data-testid="lane-chart-${lane.id}"></div>
    <ul class="entries" data-testid="lane-entries-${lane.id}"></ul>`;
  return card;
}

function renderCharts() {
  const container = byTestId('lanes');
  if (container.children.length === 0) for (const lane of LANES) container.append(laneCard(lane));
  for (const lane of LANES) {
    const data = demo.chart[lane.id];
    let chart = charts.get(lane.id);
    if (!chart) {
      const el = byTestId(`lane-chart-${lane.id}`);
      chart = new uPlot(
        {
          width: Math.max(240, el.clientWidth || 260),
          height: 150,
          legend: { show: false },
          scales: { x: { time: true } },
          axes: [{}, { label: 'g', size: 60 }],
          series: [{}, { label: `${lane.id} weight (g)`, stroke: '#1f5fbf', width: 1.5 }],
        },
        [data[0].slice(), data[1].slice()],
        el,
      );
      charts.set(lane.id, chart);
    } else {
      chart.setData([data[0].slice(), data[1].slice()]);
    }
    byTestId(`lane-chart-${lane.id}`).dataset.points = String(data[0].length);
  }
}

function render() {
  if (!shelf) return;
  setText('clock-local', formatLocal(Math.floor(demo.clock)));
  renderCharts();
  for (const lane of shelf.lanes()) {
    setText(`lane-count-${lane.id}`, String(lane.count));
    setText(`lane-sensor-${lane.id}`, `${lane.sensor.phase}, ${grams(lane.sensor.baselineMg)}`);
    byTestId(`lane-entries-${lane.id}`).replaceChildren(
      ...lane.entries.map((e) => {
        const li = document.createElement('li');
        li.dataset.testid = 'lane-entry';
        li.textContent = `${e.count} × ${itemName(e.itemType)} (${grams(e.totalMg)}), task ${e.origin}`;
        return li;
      }),
    );
  }
  // Controls.
  const laneSelect = byTestId('lane');
  if (laneSelect.options.length === 0) {
    for (const lane of LANES) laneSelect.append(new Option(`${lane.id} · ${itemName(lane.itemType)}`, lane.id));
  }
  const held = byTestId('held');
  const chosen = held.value;
  held.replaceChildren(...basket().map((item, i) => new Option(`${itemName(item.type)} (from the shelf)`, String(i))));
  if ([...held.options].some((o) => o.value === chosen)) held.value = chosen;
  const records = shelf.shopper(shopperNow()).lots;
  setText('records', records.length === 0 ? 'nothing' : records.map((l) => `${l.count} × ${itemName(l.itemType)} (${grams(l.totalMg)})`).join(', '));
  for (const id of ['pick', 'pick-foreign', 'near-twin']) setEnabled(id, true);
  for (const id of ['return-home', 'return-lane', 'swap']) setEnabled(id, basket().length > 0);
  setEnabled('return-two', basket().length > 1);
  // Verdict.
  const v = demo.verdict;
  const badge = byTestId('verdict-code');
  badge.textContent = v?.code ?? '';
  badge.className = `badge ${v ? TONE[v.code] : ''}`;
  setText('verdict-explain', v ? EXPLANATIONS[v.code] : '');
  const mixed = v && v.code === 'unattributable' ? ` · excursion ${grams(v.evidence.excursionMg)} (above ${grams(v.evidence.mixedExcursionMg)}) · at the shelf: ${v.evidence.shopperIds.join(', ')}` : '';
  setText('verdict-delta', v ? `Δ ${grams(v.evidence.deltaMg)} ± ${grams(v.evidence.sigmaMg)} · k ${v.evidence.kCenti / 100} · ${v.evidence.combinationsTried} combinations tried${mixed}${v.shopperId ? ` · ${v.shopperId}` : ''}` : '');
  byTestId('hypotheses').replaceChildren(
    ...(v?.evidence.hypotheses ?? []).map((h, i) => {
      const tr = document.createElement('tr');
      tr.dataset.testid = 'hypothesis';
      const items = h.parts.map((p) => `${p.count} × ${itemName(p.itemType)} (${p.source})`).join(' + ');
      for (const [text, cls] of [
        [String(i + 1), ''],
        [h.shopperId ?? '—', ''],
        [items, ''],
        [grams(h.predictedMg), 'num'],
        [`± ${grams(h.toleranceMg)}`, 'num'],
        [(h.z2Milli / 1000).toFixed(2), 'num'],
        [h.withinTolerance ? 'yes' : 'no', ''],
      ]) {
        const td = document.createElement('td');
        td.textContent = text;
        if (cls) td.className = cls;
        tr.append(td);
      }
      return tr;
    }),
  );
  // Clean-up list.
  const tasks = shelf.tasks();
  byTestId('tasks').replaceChildren(
    ...tasks.map((t) => {
      const li = document.createElement('li');
      li.dataset.testid = 'task';
      li.dataset.task = t.id;
      const what = t.kind === 'misplaced'
        ? `${t.count} × ${itemName(t.itemType)} misplaced`
        : t.kind === 'unattributable' ? `look: net ${grams(t.totalMg)} not attributed (${t.shopperIds.join(', ')})` : `identify ${grams(t.totalMg)}`;
      const text = document.createElement('span');
      text.dataset.testid = 'task-text';
      text.textContent = `${what} in ${t.laneId}${t.perishable ? ' (perishable)' : ''}`;
      li.append(text, ' ');
      if (t.kind !== 'misplaced') {
        // Staff say what they found: an item type (one item), or nothing.
        const found = document.createElement('select');
        found.dataset.testid = `task-found-${t.id}`;
        found.append(new Option('nothing', ''), ...Object.keys(ITEMS).map((id) => new Option(itemName(id), id)));
        const resolve = document.createElement('button');
        resolve.type = 'button';
        resolve.textContent = 'Resolve';
        resolve.dataset.testid = `task-resolve-${t.id}`;
        resolve.addEventListener('click', () => resolveTask(t.id, found.value));
        li.append(found, ' ', resolve, ' ');
      }
      const done = document.createElement('button');
      done.type = 'button';
      done.className = 'secondary';
      done.textContent = 'Done';
      done.dataset.testid = `task-done-${t.id}`;
      done.addEventListener('click', () => completeTask(t.id));
      li.append(done);
      return li;
    }),
  );
  byTestId('tasks-empty').hidden = tasks.length > 0;
  const r = demo.resolution;
  const outcome = byTestId('resolve-outcome');
  outcome.textContent = r ? r.code : '';
  outcome.className = `badge ${r ? (r.code === 'resolved' ? 'ok' : 'bad') : ''}`;
  renderLog(demo.log, (clock) => formatLocal(Math.floor(clock)));
}

let completeTask = () => {};
let resolveTask = () => {};

/** Staff lift an item out of `laneId` (physically; the load cell sees it, the store knows it is staff). */
function carryAway(laneId, predicate) {
  const items = demo.lanes[laneId];
  const at = items.findIndex(predicate);
  const before = laneMass(laneId);
  if (at >= 0) items.splice(at, 1);
  const after = laneMass(laneId);
  feed(laneId, [
    ...Array.from({ length: IDLE_SAMPLES }, () => before + noise(NOISE_SIGMA_MG)),
    ...Array.from({ length: SWING_SAMPLES + SETTLE_SAMPLES }, () => after + noise(NOISE_SIGMA_MG)),
  ]);
}

// ---------------------------------------------------------------------------------------------

async function main() {
  try {
    sdk = await import(SDK_URL);
    await sdk.init({ system: 'shelf' });
  } catch (err) {
    showInitError(err);
    return;
  }
  const { action, bind } = actionRunner({ render, afterEach: save });
  const VERDICT = ['verdict-code', 'verdict-explain', 'verdict-delta'];
  bind('pick', pick, { outcome: VERDICT });
  bind('pick-foreign', pickForeign, { outcome: VERDICT });
  bind('return-home', returnHome, { outcome: VERDICT });
  bind('return-lane', returnToLane, { outcome: VERDICT });
  bind('return-two', returnTwo, { outcome: VERDICT });
  bind('near-twin', nearTwin, { outcome: VERDICT });
  bind('swap', swap, { outcome: VERDICT });
  bind('reset-demo', resetDemo);
  byTestId('shopper').addEventListener('change', () => action(() => {})());
  completeTask = (id) =>
    action(() => {
      const task = shelf.tasks().find((t) => t.id === id);
      const lot = shelf.completeTask(id);
      // Staff carry the item away: out of the lane physically too. The load cell sees them lift
      // it; that change is staff's, known to the store, so it is not decided as a pick.
      const own = LANES.find((l) => l.id === task.laneId).itemType;
      if (lot.totalMg > 0) carryAway(task.laneId, (item) => item.type !== own && (lot.itemType === null || item.type === lot.itemType));
      log(`staff completed task ${id}: ${lot.count} × ${itemName(lot.itemType)} taken away from ${task.laneId}`, 'DONE', 'ok');
    })();
  resolveTask = (id, type) =>
    action(() => {
      const task = shelf.tasks().find((t) => t.id === id);
      const found = type === '' ? null : { itemType: type, count: 1 };
      // Keyed: a tablet that retries after a lost answer gets this answer again, not task-closed.
      const r = shelf.resolveTask({ taskId: id, found, idempotencyKey: `resolve:${id}` });
      demo.resolution = r;
      const said = found ? `1 × ${itemName(type)}` : 'nothing';
      if (r.code !== 'resolved') {
        log(`staff resolve task ${id} as ${said}: refused`, r.code, 'bad');
        return;
      }
      // A found item of another type is carried away; one of the lane's own type stays (stock).
      if (found && r.toStock === 0) carryAway(task.laneId, (item) => item.type === type);
      log(`staff resolved task ${id}: ${said}${r.shopperId ? `, off ${r.shopperId}'s record` : ''}`, 'RESOLVED', 'ok');
    })();

  action(async () => {
    try {
      await restore();
    } finally {
      const status = byTestId('sdk-status');
      status.dataset.state = 'ready';
      status.textContent = 'ready';
    }
  })();
}

main();
