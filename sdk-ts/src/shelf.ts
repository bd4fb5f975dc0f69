/**
 * shelf — System 10: untidy item returns judged by weight.
 *
 * Two roles, one class each:
 * - the **shelf controller** ({@link ShelfController}): the in-store tablet or gateway behind a
 *   shelf's load cells. It feeds raw samples (integer milligrams) lane by lane, gets weight-change
 *   events, has each decided (a pick, a tidy or untidy return, ambiguous, unexplained, or
 *   unattributable when a pick and a return fell in one settling window) against the shoppers'
 *   take records and the lanes' contents, keeps the clean-up list, and records what staff found
 *   when they resolve a task. Weight changes and resolutions may carry an idempotency key, so a
 *   back-end that retries a request gets the first answer and nothing twice;
 * - the **store back-end** keeps the same state durably for many shelves: the same controller
 *   class, persisted by {@link ShelfStore} through any storage adapter (IndexedDB on the tablet,
 *   atomic files or PostgreSQL on a server), with compare-and-swap and rollback refusal, so a
 *   restart — or a wasm trap — loses no take record that was saved.
 *
 * Every rule lives in the Rust core (core/src/shelf, docs/shelf.md); this module validates
 * arguments and converts them. Weights cross as integer milligrams (JavaScript numbers, always
 * safe integers), never as fractional numbers.
 */
import {
  INTERNAL_CONSTRUCTION,
  adopt,
  checkInternalConstruction,
  guardClass,
  isOwned,
  ownConstructorArgs,
  raw,
  toSdkError,
} from './boundary.js';
import { call } from './calls.js';
import { CountersignRangeError } from './errors.js';
import { WasmObject, handleOf, withHandle } from './handle.js';
import { wasm } from './loader.js';
import { CheckedStorage } from './storage/checked.js';
import { StateStore, type PersistedState } from './store.js';
import type { StorageAdapter } from './storage/types.js';
import { expectArray, expectBytes, expectInteger, expectObject, expectString, rangeError, typeError } from './validate.js';
import type {
  Evidence,
  FoundItems,
  Hypothesis,
  HypothesisPart,
  ItemLot,
  ItemType,
  ItemTypeView,
  LaneSpec,
  LaneView,
  PartSource,
  ResolveCode,
  ResolveTask,
  Resolution,
  SensorConfig,
  SensorPhase,
  SensorView,
  ShelfConfig,
  ShelfSetup,
  ShopperView,
  Task,
  TaskKind,
  Verdict,
  VerdictCode,
  WeightChange,
  WeightEvent,
} from './generated/shelf.js';
import type { Exhaustive } from './exhaustive.js';
export type {
  Evidence,
  FoundItems,
  Hypothesis,
  HypothesisPart,
  ItemLot,
  ItemType,
  ItemTypeView,
  LaneSpec,
  LaneView,
  PartSource,
  ResolveCode,
  ResolveTask,
  Resolution,
  SensorConfig,
  SensorPhase,
  SensorView,
  ShelfConfig,
  ShelfSetup,
  ShopperView,
  Task,
  TaskKind,
  Verdict,
  VerdictCode,
  WeightChange,
  WeightEvent,
};

/** Every verdict, in the core's order (docs/shelf.md "Verdicts"). */
export const SHELF_VERDICT_CODES = Object.freeze([
  'picked', 'tidy', 'untidy', 'ambiguous', 'unexplained', 'search-limit', 'unattributable',
] as const satisfies readonly VerdictCode[]);
// Compile-time: the list names every member of the generated union (and, above, nothing else).
type _VerdictCodesComplete = Exhaustive<Exclude<VerdictCode, (typeof SHELF_VERDICT_CODES)[number]>>;

/** Every outcome of {@link ShelfController.resolveTask}, in the core's order (docs/shelf.md "Resolving a task"). */
export const SHELF_RESOLVE_CODES = Object.freeze([
  'resolved', 'task-unknown', 'task-closed', 'not-resolvable', 'shopper-not-candidate', 'shopper-required',
  'contradicts-records', 'contradicts-weight',
] as const satisfies readonly ResolveCode[]);
type _ResolveCodesComplete = Exhaustive<Exclude<ResolveCode, (typeof SHELF_RESOLVE_CODES)[number]>>;

/** The largest absolute sample, mg (±200 kg; the core's `SAMPLE_MG_ABS_MAX`). */
export const SHELF_SAMPLE_MG_ABS_MAX = 200_000_000;
/** The most samples one {@link ShelfController.samples} call takes (the core's `SAMPLES_PER_CALL_MAX`). */
export const SHELF_SAMPLES_PER_CALL_MAX = 4_800;
/** The snapshot key's length in bytes. */
export const SHELF_SNAPSHOT_KEY_BYTES = 32;

/** The shelf's freshness: its change counter (never goes down). */
export interface ShelfFreshness {
  readonly revision: number;
}

/** The glue's class (shipped in wasm/). */
type Handle = import('../wasm/countersign_wasm.js').ShelfHandle;

/**
 * Samples as the core takes them: an array of integers within ±{@link SHELF_SAMPLE_MG_ABS_MAX},
 * at most {@link SHELF_SAMPLES_PER_CALL_MAX} of them, checked here before they become an
 * `Int32Array` (which would wrap an out-of-range value silently).
 */
function expectSamples(value: unknown): Int32Array {
  const list = expectArray(value, 'samples');
  if (list.length > SHELF_SAMPLES_PER_CALL_MAX) {
    throw new CountersignRangeError(
      'LIMIT_EXCEEDED',
      `countersign: samples: at most ${SHELF_SAMPLES_PER_CALL_MAX} samples per call, got ${list.length}`,
      'samples',
    );
  }
  const out = new Int32Array(list.length);
  for (let i = 0; i < list.length; i++) {
    out[i] = expectInteger(list[i], `samples[${i}]`, -SHELF_SAMPLE_MG_ABS_MAX, SHELF_SAMPLE_MG_ABS_MAX);
  }
  return out;
}

/**
 * A shelf: its lanes' load cells, contents and clean-up tasks, and the take records of the
 * shoppers at it. State lives in wasm memory; {@link ShelfStore} persists it. Call `free()`
 * (or `using`) when done.
 */
export class ShelfController extends WasmObject<Handle> {
  private constructor(token: typeof INTERNAL_CONSTRUCTION, handle: Handle) {
    checkInternalConstruction(token, 'ShelfController', 'ShelfController.create or ShelfController.restore');
    super(handle, 'shelf');
    adopt(this, ShelfController);
    Object.freeze(this);
  }

  /** A new shelf: its id, catalogue, lanes (each with its sensor) and matching parameters. */
  static create(setup: ShelfSetup): ShelfController {
    // The adapter refuses an unknown, missing or mistyped field naming its path
    // (`setup.lanes[0].sensor.windowSamples`), the core a bad value.
    expectObject(setup, 'setup');
    return new ShelfController(INTERNAL_CONSTRUCTION, call<Handle>(() => new (wasm('shelf').ShelfHandle)(setup)));
  }

  /** A shelf from {@link ShelfController.snapshot} bytes (authenticated; refused if tampered). */
  static restore(snapshot: Uint8Array, snapshotKey: Uint8Array): ShelfController {
    const bytes = expectBytes(snapshot, 'snapshot');
    const key = expectBytes(snapshotKey, 'snapshotKey');
    return new ShelfController(INTERNAL_CONSTRUCTION, call<Handle>(() => wasm('shelf').ShelfHandle.restore(bytes, key)));
  }

  /**
   * Feeds one lane's load-cell samples (integer mg, oldest first); returns the weight-change
   * events they complete (a touch that has settled with |Δ| at least the lane's event threshold).
   */
  samples(laneId: string, samples: readonly number[]): WeightEvent[] {
    const lane = expectString(laneId, 'laneId');
    const values = expectSamples(samples);
    return withHandle(this, (h) => h.samples(lane, values) as WeightEvent[]);
  }

  /**
   * Decides a weight change at a lane (Δ < 0 a pick, Δ > 0 a return) for its candidate shoppers
   * and applies it: the verdict carries its evidence (ranked hypotheses, tolerance, z²).
   */
  weightChange(request: WeightChange): Verdict {
    expectObject(request, 'request');
    return withHandle(this, (h) => h.weightChange(request) as Verdict);
  }

  /**
   * Staff resolve an `identify` or `unattributable` task with what they found in the lane
   * (`found: {itemType, count}`, or `null` for nothing; `shopperId` when several candidates hold
   * such items). The outcome's `code` says whether it was recorded (`resolved`: lane, take
   * records and task changed together) or refused (`task-unknown`, `task-closed`,
   * `contradicts-weight` …: nothing changed).
   */
  resolveTask(request: ResolveTask): Resolution {
    expectObject(request, 'request');
    return withHandle(this, (h) => h.resolveTask(request) as Resolution);
  }

  /** Staff completed a clean-up task: its items left the lane. Returns what they took away. */
  completeTask(taskId: string): ItemLot {
    const id = expectString(taskId, 'taskId');
    return withHandle(this, (h) => h.completeTask(id) as ItemLot);
  }

  /**
   * The shopper leaves: their take records (what they pay for); their slot is freed. With
   * `idempotencyKey` a retried checkout answers the same records again (without one, a
   * retry answers `[]`: the slot is gone); the same key for another shopper is
   * `IDEMPOTENCY_CONFLICT`.
   */
  checkout(shopperId: string, idempotencyKey?: string): ItemLot[] {
    const id = expectString(shopperId, 'shopperId');
    const key = idempotencyKey === undefined ? undefined : expectString(idempotencyKey, 'idempotencyKey');
    return withHandle(this, (h) => h.checkout(id, key) as ItemLot[]);
  }

  /** Open clean-up tasks, highest priority first (perishable, value, age). */
  tasks(): Task[] {
    return withHandle(this, (h) => h.tasks() as Task[]);
  }

  /** Every lane: its item type, own-stock count, foreign/unidentified entries, sensor state. */
  lanes(): LaneView[] {
    return withHandle(this, (h) => h.lanes() as LaneView[]);
  }

  /** A shopper's take records (empty for a shopper the shelf does not know). */
  shopper(shopperId: string): ShopperView {
    const id = expectString(shopperId, 'shopperId');
    return withHandle(this, (h) => h.shopper(id) as ShopperView);
  }

  /** The catalogue with the weight and spread matching uses now (learned within bounds). */
  itemTypes(): ItemTypeView[] {
    return withHandle(this, (h) => h.itemTypes() as ItemTypeView[]);
  }

  /** Versioned, HMAC-SHA256-authenticated state bytes. */
  snapshot(snapshotKey: Uint8Array): Uint8Array {
    const key = expectBytes(snapshotKey, 'snapshotKey');
    return withHandle(this, (h) => h.snapshot(key));
  }

  /** The change counter (the store's rollback guard). */
  freshness(): ShelfFreshness {
    return { revision: withHandle(this, (h) => h.revision() as number) };
  }

  get shelfId(): string {
    return withHandle(this, (h) => h.shelfId());
  }

  // free() and [Symbol.dispose]() are WasmObject's (handle.ts).
}

guardClass(ShelfController, {
  methods: {
    samples: ['laneId', 'samples'],
    weightChange: ['request'],
    resolveTask: ['request'],
    completeTask: ['taskId'],
    checkout: ['shopperId', 'idempotencyKey'],
    tasks: [],
    lanes: [],
    shopper: ['shopperId'],
    itemTypes: [],
    snapshot: ['snapshotKey'],
    freshness: [],
    shelfId: [],
    free: [],
  },
  statics: { create: ['setup'], restore: ['snapshot', 'snapshotKey'] },
});

// ---------------------------------------------------------------------------------------------
// Persistence

/**
 * Saves and loads shelves through a storage adapter (IndexedDB on the in-store tablet, atomic
 * files or PostgreSQL for the store back-end): one key per shelf holding its authenticated
 * snapshot, written with compare-and-swap; a stored state older than one this store has seen
 * (its revision lower: a rollback of storage) is refused. Save after every decided change that
 * must survive a restart: what was saved is exactly what a restart (or a trap) loads.
 */
export class ShelfStore {
  readonly #store: StateStore;
  readonly #prefix: string;

  constructor(storage: StorageAdapter, snapshotKey: Uint8Array, options?: { prefix?: string }) {
    try {
      const [adapter, key, given] = ownConstructorArgs(arguments, [raw('storage'), 'snapshotKey', 'options'], 'new ShelfStore');
      const checked = CheckedStorage.of(adapter, 'storage');
      const ownKey = expectBytes(key, 'snapshotKey');
      if (ownKey.length !== SHELF_SNAPSHOT_KEY_BYTES) throw rangeError('snapshotKey', `must be ${SHELF_SNAPSHOT_KEY_BYTES} bytes, got ${ownKey.length}`);
      const opts = given === undefined ? {} : expectObject(given, 'options', ['prefix']);
      const prefix = opts.prefix === undefined ? 'shelf/' : expectString(opts.prefix, 'options.prefix');
      this.#store = new StateStore(checked, ownKey);
      this.#prefix = prefix;
      adopt(this, ShelfStore);
      Object.freeze(this);
    } catch (e) {
      throw toSdkError(e, 'new ShelfStore');
    }
  }

  /** The stored shelf, or null when none. SNAPSHOT_INVALID for a tampered state, a rollback, or another shelf's state under this id. */
  async load(shelfId: string): Promise<ShelfController | null> {
    const id = expectString(shelfId, 'shelfId');
    return this.#store.load(PERSISTED_SHELF, this.#prefix + id, id);
  }

  /** Saves the shelf. False, writing nothing, when another writer changed it since this store last saw it. */
  async save(shelf: ShelfController): Promise<boolean> {
    if (!isOwned(shelf, ShelfController)) throw typeError('shelf', 'a ShelfController', shelf);
    return this.#store.save(PERSISTED_SHELF, this.#prefix + shelf.shelfId, shelf);
  }
}

const PERSISTED_SHELF: PersistedState<ShelfController, ShelfFreshness> = Object.freeze({
  param: 'shelfId',
  snapshot: (shelf: ShelfController, key: Uint8Array) => shelf.snapshot(key),
  restore: (bytes: Uint8Array, key: Uint8Array) => ShelfController.restore(bytes, key),
  freshness: (shelf: ShelfController) => shelf.freshness(),
  isOlder: (_shelf: ShelfController, found: ShelfFreshness, seen: ShelfFreshness) => found.revision < seen.revision,
  check(shelf: ShelfController, id: string): void {
    if (shelf.shelfId !== id) {
      throw new CountersignRangeError('SNAPSHOT_INVALID', `countersign: shelfId: the state stored under ${id} is another shelf's`, 'shelfId');
    }
  },
  free: (shelf: ShelfController) => shelf.free(),
});

guardClass(ShelfStore, {
  methods: { load: ['shelfId'], save: ['shelf'] },
});
