/**
 * pos — System 4: a point of sale at event spaces with intermittent networks.
 *
 * Two layers, one class each:
 * - {@link PosTerminalState}: the core's terminal in wasm memory (network state, offline
 *   limits, the outbox), synchronous, one call per decision; persisted by {@link PosStore}.
 * - {@link PosTerminal}: the terminal role the cashier's app uses. Observations in, `takePayment`
 *   with a processing mode, `flush()` to forward now, `exportQueue()`, listeners for status
 *   changes, stored, forwarded, failed and nearing-deadline entries. Every change to the outbox is
 *   **saved through the store before it is acknowledged**: a payment `takePayment` answered
 *   `stored` is durable (IndexedDB in the browser, files or PostgreSQL in Node).
 *
 * The acquirer is reached through a {@link PosAcquirerClient}: {@link httpAcquirerClient} speaks
 * the reference acquirer's HTTP protocol (sdk-ts/src/pos-acquirer.ts, Node); a page may pass
 * its own. Every rule lives in the Rust core (core/src/pos, docs/pos.md); this module validates,
 * converts, persists and does the I/O.
 */
import {
  INTERNAL_CONSTRUCTION,
  adopt,
  checkInternalConstruction,
  guardClass,
  guardFunction,
  isOwned,
  ownConstructorArgs,
  ownData,
  raw,
  toSdkError,
} from './boundary.js';
import { call } from './calls.js';
import { CountersignError, CountersignRangeError, CountersignTypeError } from './errors.js';
import { WasmObject, withHandle } from './handle.js';
import { wasm } from './loader.js';
import { CheckedStorage } from './storage/checked.js';
import { StateStore, type PersistedState } from './store.js';
import type { StorageAdapter } from './storage/types.js';
import { expectBoolean, expectBytes, expectInteger, expectObject, expectOneOf, expectString, rangeError, typeError } from './validate.js';
import type {
  CurrencyLimits,
  FloorLimit,
  ForwardOutcome,
  ForwardResult,
  NetworkConfig,
  NetworkReason,
  NetworkState,
  NetworkStatus,
  Observation,
  OfflineLimits,
  OutboxConfig,
  PaymentRequest,
  PosCode,
  PosEntry,
  PosEntryKind,
  PosMode,
  PosOutboxEvent,
  PosOutboxEventKind,
  PosRoute,
  PosTerminalStatus,
  PosTotals,
  QueueExport,
  StoreOutcome,
  TerminalConfig,
  TickOutcome,
  Transition,
} from './generated/pos.js';
import type { EntryState } from './generated/pos.js';
import type { Exhaustive } from './exhaustive.js';
export type {
  CurrencyLimits,
  EntryState,
  FloorLimit,
  ForwardOutcome,
  ForwardResult,
  NetworkConfig,
  NetworkReason,
  NetworkState,
  NetworkStatus,
  Observation,
  OfflineLimits,
  OutboxConfig,
  PaymentRequest,
  PosCode,
  PosEntry,
  PosEntryKind,
  PosMode,
  PosOutboxEvent,
  PosOutboxEventKind,
  PosRoute,
  PosTerminalStatus,
  PosTotals,
  QueueExport,
  StoreOutcome,
  TerminalConfig,
  TickOutcome,
  Transition,
};

/** Every System 4 outcome code, in the core's order (docs/pos.md). */
export const POS_CODES = Object.freeze([
  'ONLINE', 'ONLINE_OR_STORE', 'STORE_OFFLINE', 'STORE_DEGRADED', 'STORE_FORCED', 'REFUSED_OFFLINE',
  'ALREADY_STORED', 'CURRENCY_NOT_OFFLINE', 'QUEUE_TOO_OLD', 'CARD_TYPE_NOT_OFFLINE', 'FLOOR_LIMIT_EXCEEDED',
  'PAYMENT_LIMIT_EXCEEDED', 'COUNT_LIMIT_REACHED', 'TOTAL_LIMIT_REACHED', 'CARD_COUNT_LIMIT_REACHED',
  'CARD_TOTAL_LIMIT_REACHED', 'STORED', 'NOTHING_TO_FORWARD', 'NOT_DUE', 'FORWARD', 'FORWARDED_APPROVED',
  'FORWARDED_DECLINED', 'RETRY_SCHEDULED', 'FAILED_PERMANENTLY', 'NOT_FORWARDING', 'DROP_ALLOWED', 'OUTBOX_NOT_EMPTY',
] as const satisfies readonly PosCode[]);
type _PosCodesComplete = Exhaustive<Exclude<PosCode, (typeof POS_CODES)[number]>>;

/** The processing modes (Stripe Terminal's offline behaviour, plus `auto`). */
export const POS_MODES = Object.freeze(['requireOnline', 'preferOnline', 'forceOffline', 'auto'] as const satisfies readonly PosMode[]);
type _PosModesComplete = Exhaustive<Exclude<PosMode, (typeof POS_MODES)[number]>>;

/** The snapshot key's length in bytes. */
export const POS_SNAPSHOT_KEY_BYTES = 32;
/** The largest opaque payload of an outbox entry, bytes (the core's `PAYLOAD_BYTES_MAX`). */
export const POS_PAYLOAD_BYTES_MAX = 2_048;
/** The latest time accepted, ms (the core's `TIME_MS_MAX`). */
export const POS_TIME_MS_MAX = Number.MAX_SAFE_INTEGER;
/** The longest card token hashed by the SDK, bytes (a PAN, a network token, an EMV payment account reference). */
export const POS_CARD_TOKEN_BYTES_MAX = 256;
/** Outbox entries {@link PosTerminal.flush} forwards in one call before it returns. */
export const POS_FLUSH_ENTRIES_MAX = 1_000;
/** Listeners of one event kind on one terminal. */
export const POS_LISTENERS_MAX = 32;
/** The default timeout of one acquirer call, ms. */
export const POS_ACQUIRER_TIMEOUT_MS_DEFAULT = 5_000;

/** The terminal's freshness: its change counter (never goes down). */
export interface PosFreshness {
  readonly revision: number;
}

type Handle = import('../wasm/countersign_wasm.js').PosTerminalHandle;

function expectTime(value: unknown, param: string): number {
  return expectInteger(value, param, 0, POS_TIME_MS_MAX);
}

function toHex(bytes: Uint8Array): string {
  let out = '';
  for (const b of bytes) out += (b < 16 ? '0' : '') + b.toString(16);
  return out;
}

/**
 * The core's terminal in wasm memory: network state, offline limits and the outbox, one
 * synchronous call per decision (core/src/pos). {@link PosTerminal} drives it; use it directly
 * for tests, replays and custom runtimes. Call `free()` (or `using`) when done.
 */
export class PosTerminalState extends WasmObject<Handle> {
  private constructor(token: typeof INTERNAL_CONSTRUCTION, handle: Handle) {
    checkInternalConstruction(token, 'PosTerminalState', 'PosTerminalState.create or PosTerminalState.restore');
    super(handle, 'pos');
    adopt(this, PosTerminalState);
    Object.freeze(this);
  }

  /** A new terminal (empty outbox, network `unknown`). The adapter names a bad field's path (`config.offline.countMax`). */
  static create(config: TerminalConfig): PosTerminalState {
    expectObject(config, 'config');
    return new PosTerminalState(INTERNAL_CONSTRUCTION, call<Handle>(() => new (wasm('pos').PosTerminalHandle)(config)));
  }

  /** A terminal from snapshot bytes (format 2, or format 1 migrated). */
  static restore(snapshot: Uint8Array, snapshotKey: Uint8Array): PosTerminalState {
    const bytes = expectBytes(snapshot, 'snapshot');
    const key = expectBytes(snapshotKey, 'snapshotKey');
    return new PosTerminalState(INTERNAL_CONSTRUCTION, call<Handle>(() => wasm('pos').PosTerminalHandle.restore(bytes, key)));
  }

  /** Feeds an observation; the state change it caused, or null. */
  observe(observation: Observation): Transition | null {
    expectObject(observation, 'observation');
    return withHandle(this, (h) => h.observe(observation) as Transition | null);
  }

  /** How a payment in `mode` is processed now. */
  route(mode: PosMode): PosRoute {
    const m = expectOneOf(mode, 'mode', POS_MODES);
    return withHandle(this, (h) => h.route(m) as PosRoute);
  }

  /** Stores a payment after the offline limits (a refusal changes nothing). */
  store(request: PaymentRequest, nowMs: number): StoreOutcome {
    expectObject(request, 'request');
    const now = expectTime(nowMs, 'nowMs');
    return withHandle(this, (h) => h.store(request, now) as StoreOutcome);
  }

  /** The next forwarding step: the head entry to send (`FORWARD`) or why not. */
  beginForward(nowMs: number, flush: boolean): ForwardOutcome {
    const now = expectTime(nowMs, 'nowMs');
    const f = expectBoolean(flush, 'flush');
    return withHandle(this, (h) => h.beginForward(now, f) as ForwardOutcome);
  }

  /** Applies the acquirer's answer for the entry being forwarded under `key`; `jitter` is a random u32. */
  forwardResult(key: string, result: ForwardResult, nowMs: number, jitter: number): ForwardOutcome {
    const k = expectString(key, 'key');
    expectObject(result, 'result');
    const now = expectTime(nowMs, 'nowMs');
    const j = expectInteger(jitter, 'jitter', 0, 0xffff_ffff);
    return withHandle(this, (h) => h.forwardResult(k, result, now, j) as ForwardOutcome);
  }

  /** Deadline events at `nowMs` (nearing, failed). */
  tick(nowMs: number): TickOutcome {
    const now = expectTime(nowMs, 'nowMs');
    return withHandle(this, (h) => h.tick(now) as TickOutcome);
  }

  status(): PosTerminalStatus {
    return withHandle(this, (h) => h.status() as PosTerminalStatus);
  }

  /** Every kept entry, the chain (verified) and the totals. */
  exportQueue(): QueueExport {
    return withHandle(this, (h) => h.exportQueue() as QueueExport);
  }

  /** `DROP_ALLOWED` or `OUTBOX_NOT_EMPTY`. */
  checkDrop(): 'DROP_ALLOWED' | 'OUTBOX_NOT_EMPTY' {
    return withHandle(this, (h) => h.checkDrop() as 'DROP_ALLOWED' | 'OUTBOX_NOT_EMPTY');
  }

  verifyChain(): boolean {
    return withHandle(this, (h) => h.verifyChain());
  }

  config(): TerminalConfig {
    return withHandle(this, (h) => h.config() as TerminalConfig);
  }

  /** Versioned, HMAC-SHA256-authenticated state bytes. */
  snapshot(snapshotKey: Uint8Array): Uint8Array {
    const key = expectBytes(snapshotKey, 'snapshotKey');
    return withHandle(this, (h) => h.snapshot(key));
  }

  freshness(): PosFreshness {
    return { revision: withHandle(this, (h) => h.revision() as number) };
  }

  get terminalId(): string {
    return withHandle(this, (h) => h.terminalId());
  }
}

guardClass(PosTerminalState, {
  methods: {
    observe: ['observation'],
    route: ['mode'],
    store: ['request', 'nowMs'],
    beginForward: ['nowMs', 'flush'],
    forwardResult: ['key', 'result', 'nowMs', 'jitter'],
    tick: ['nowMs'],
    status: [],
    exportQueue: [],
    checkDrop: [],
    verifyChain: [],
    config: [],
    snapshot: ['snapshotKey'],
    freshness: [],
    terminalId: [],
    free: [],
  },
  statics: { create: ['config'], restore: ['snapshot', 'snapshotKey'] },
});

// ---------------------------------------------------------------------------------------------
// Persistence

/**
 * Saves and loads terminals through a storage adapter: one key per terminal holding its
 * authenticated snapshot, compare-and-swap, rollback refusal. `drop` refuses while the outbox
 * holds a waiting payment (a sign-out or an app upgrade must not lose one).
 */
export class PosStore {
  readonly #store: StateStore;
  readonly #storage: CheckedStorage;
  readonly #prefix: string;

  constructor(storage: StorageAdapter, snapshotKey: Uint8Array, options?: { prefix?: string }) {
    try {
      const [adapter, key, given] = ownConstructorArgs(arguments, [raw('storage'), 'snapshotKey', 'options'], 'new PosStore');
      const checked = CheckedStorage.of(adapter, 'storage');
      const ownKey = expectBytes(key, 'snapshotKey');
      if (ownKey.length !== POS_SNAPSHOT_KEY_BYTES) throw rangeError('snapshotKey', `must be ${POS_SNAPSHOT_KEY_BYTES} bytes, got ${ownKey.length}`);
      const opts = given === undefined ? {} : expectObject(given, 'options', ['prefix']);
      const prefix = opts.prefix === undefined ? 'pos/' : expectString(opts.prefix, 'options.prefix');
      this.#store = new StateStore(checked, ownKey);
      this.#storage = checked;
      this.#prefix = prefix;
      adopt(this, PosStore);
      Object.freeze(this);
    } catch (e) {
      throw toSdkError(e, 'new PosStore');
    }
  }

  /** The stored terminal, or null. SNAPSHOT_INVALID for a tampered state, a rollback, or another terminal's state. */
  async load(terminalId: string): Promise<PosTerminalState | null> {
    const id = expectString(terminalId, 'terminalId');
    return this.#store.load(PERSISTED_TERMINAL, this.#prefix + id, id);
  }

  /** Saves the terminal. False, writing nothing, when another writer changed it since this store last saw it. */
  async save(terminal: PosTerminalState): Promise<boolean> {
    if (!isOwned(terminal, PosTerminalState)) throw typeError('terminal', 'a PosTerminalState', terminal);
    return this.#store.save(PERSISTED_TERMINAL, this.#prefix + terminal.terminalId, terminal);
  }

  /**
   * Replaces the stored terminal by an empty marker (the storage contract has no delete), only
   * when its outbox holds nothing waiting: rejects with `OUTBOX_NOT_EMPTY` otherwise, writing
   * nothing. Resolves to false when another writer changed it since this store last saw it.
   */
  async drop(terminalId: string): Promise<boolean> {
    const id = expectString(terminalId, 'terminalId');
    const terminal = await this.load(id);
    if (terminal === null) return true;
    try {
      if (terminal.checkDrop() !== 'DROP_ALLOWED') {
        // The code says why; the refusal is an error because nothing was done (docs/pos.md "Dropping").
        throw new CountersignRangeError('INVALID_ARGUMENT', `countersign: terminalId: OUTBOX_NOT_EMPTY: the outbox of ${id} still holds payments; forward or export them first`, 'terminalId');
      }
    } finally {
      terminal.free();
    }
    return this.#store.put(this.#prefix + id, new Uint8Array(0));
  }

  /** The raw storage (for the terminal role's own marker keys). @internal */
  get storage(): CheckedStorage {
    return this.#storage;
  }
}

const PERSISTED_TERMINAL: PersistedState<PosTerminalState, PosFreshness> = Object.freeze({
  param: 'terminalId',
  snapshot: (t: PosTerminalState, key: Uint8Array) => t.snapshot(key),
  restore: (bytes: Uint8Array, key: Uint8Array) => PosTerminalState.restore(bytes, key),
  freshness: (t: PosTerminalState) => t.freshness(),
  isOlder: (_t: PosTerminalState, found: PosFreshness, seen: PosFreshness) => found.revision < seen.revision,
  check(t: PosTerminalState, id: string): void {
    if (t.terminalId !== id) {
      throw new CountersignRangeError('SNAPSHOT_INVALID', `countersign: terminalId: the state stored under ${id} is another terminal's`, 'terminalId');
    }
  },
  free: (t: PosTerminalState) => t.free(),
});

guardClass(PosStore, {
  methods: { load: ['terminalId'], save: ['terminal'], drop: ['terminalId'], storage: [] },
});

// ---------------------------------------------------------------------------------------------
// The acquirer

/** What the terminal sends the acquirer (online authorisation or a forwarded entry). */
export interface PosAcquirerRequest {
  readonly terminalId: string;
  readonly idempotencyKey: string;
  readonly kind: PosEntryKind;
  readonly amount: string;
  readonly currency: string;
  readonly cardHash: string | null;
  readonly cardType: string | null;
  /** Lowercase hex. */
  readonly payload: string;
  /** True when forwarded from the outbox, false for an online authorisation. */
  readonly offline: boolean;
}

/** The acquirer's answer. `permanent`: it refused the request for good (malformed, a key reused with another request). */
export interface PosAcquirerAnswer {
  readonly result: 'approved' | 'declined' | 'permanent';
  /** Approval code or reason, 1..=64 printable ASCII. */
  readonly code: string;
}

/**
 * How the terminal reaches its acquirer. A call that throws (or rejects) failed without an
 * answer: the terminal observes a failure and, for a forward, retries later with the same key.
 */
export interface PosAcquirerClient {
  authorise(request: PosAcquirerRequest): Promise<PosAcquirerAnswer>;
  forward(request: PosAcquirerRequest): Promise<PosAcquirerAnswer>;
  /** A health probe: resolves when the acquirer answers. */
  probe?(): Promise<void>;
}

function answerOf(value: unknown): PosAcquirerAnswer {
  const o = expectObject(value, 'answer');
  const result = expectOneOf(o.result, 'answer.result', ['approved', 'declined', 'permanent'] as const);
  const code = expectString(o.code, 'answer.code');
  if (!/^[\x21-\x7e]{1,64}$/.test(code)) throw rangeError('answer.code', 'must be 1 to 64 printable ASCII characters');
  return { result, code };
}

/**
 * A client of the reference acquirer's HTTP protocol (docs/pos.md "The acquirer's protocol"):
 * `POST {baseUrl}/v1/authorise` and `/v1/forward` with the request as JSON, `GET /v1/health`.
 * 200 → the answer; 409 → `permanent` (`KEY_CONFLICT`); 400 / 413 → `permanent` (`REQUEST_REFUSED`); anything else, or no answer within
 * `timeoutMs`, throws.
 */
export const httpAcquirerClient = guardFunction(function httpAcquirerClient(baseUrl: string, options?: { timeoutMs?: number }): PosAcquirerClient {
  const base = expectString(baseUrl, 'baseUrl').replace(/\/+$/, '');
  const opts = options === undefined ? {} : expectObject(options, 'options', ['timeoutMs']);
  const timeoutMs = opts.timeoutMs === undefined ? POS_ACQUIRER_TIMEOUT_MS_DEFAULT : expectInteger(opts.timeoutMs, 'options.timeoutMs', 1, 600_000);
  const send = async (path: string, body: PosAcquirerRequest | null): Promise<Response> => {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), timeoutMs);
    try {
      return await fetch(base + path, {
        method: body === null ? 'GET' : 'POST',
        headers: body === null ? {} : { 'content-type': 'application/json' },
        body: body === null ? undefined : JSON.stringify(body),
        signal: controller.signal,
      });
    } finally {
      clearTimeout(timer);
    }
  };
  const post = async (path: string, request: PosAcquirerRequest): Promise<PosAcquirerAnswer> => {
    const response = await send(path, request);
    const text = await response.text();
    if (response.status === 409) return { result: 'permanent', code: 'KEY_CONFLICT' };
    // A request the acquirer cannot read will never be read: not worth retrying until the deadline.
    if (response.status === 400 || response.status === 413) return { result: 'permanent', code: 'REQUEST_REFUSED' };
    if (response.status !== 200) throw new Error(`acquirer answered HTTP ${response.status}`);
    return answerOf(JSON.parse(text));
  };
  return Object.freeze({
    authorise: (request: PosAcquirerRequest) => post('/v1/authorise', request),
    forward: (request: PosAcquirerRequest) => post('/v1/forward', request),
    probe: async () => {
      const response = await send('/v1/health', null);
      await response.arrayBuffer();
      if (response.status !== 200) throw new Error(`acquirer health answered HTTP ${response.status}`);
    },
  });
}, ['baseUrl', 'options']);

// ---------------------------------------------------------------------------------------------
// The terminal role

/** A payment as the cashier's app gives it. */
export interface PosPayment {
  /** 1..=64 printable ASCII: the acquirer's key for this payment (a retry with it is the same payment). */
  readonly idempotencyKey: string;
  /** Decimal string, e.g. `"12.50"`. */
  readonly amount: string;
  readonly currency: string;
  /** The card's token (PAN, network token…): hashed with SHA-256 here; the core sees only the hash. */
  readonly cardToken: string;
  /** The card type the floor limits are keyed by (`"visa-credit"`). */
  readonly cardType: string;
  /** Opaque bytes forwarded as they are (EMV data, a receipt number), at most {@link POS_PAYLOAD_BYTES_MAX}. */
  readonly payload?: Uint8Array;
}

/**
 * An outbox entry given directly (System 5's relay queues payment tokens this way): kind
 * `token`, the payload forwarded as it is; the card fields are optional.
 */
export interface PosQueueEntry {
  readonly idempotencyKey: string;
  readonly kind: PosEntryKind;
  readonly amount: string;
  readonly currency: string;
  /** SHA-256 hex of whatever identifies the payer, for the per-card limit (optional for tokens). */
  readonly cardHash?: string;
  readonly cardType?: string;
  readonly payload?: Uint8Array;
}

/** What `takePayment` answered. Only `approved`, `declined` (online) and `stored` (durable) are answers the cashier may act on. */
export type PosPaymentOutcome =
  | { readonly status: 'approved'; readonly code: string; readonly route: PosRoute }
  | { readonly status: 'declined'; readonly code: string; readonly route: PosRoute }
  | { readonly status: 'stored'; readonly entry: PosEntry; readonly route: PosRoute; readonly fallback: boolean }
  | { readonly status: 'refused'; readonly code: PosCode; readonly route: PosRoute }
  | { readonly status: 'unavailable'; readonly reason: string; readonly route: PosRoute };

/** The listener events (Stripe Terminal's offline listener, plus the deadline warning). */
export interface PosEvents {
  /** The network state changed. */
  readonly statusChange: Transition;
  /** An entry was stored (durably). */
  readonly paymentStored: PosEntry;
  /** An entry reached forwardedApproved or forwardedDeclined (durably). */
  readonly paymentForwarded: PosEntry;
  /** An entry failed for good (a permanent refusal or its deadline), durably. */
  readonly paymentFailed: PosEntry;
  /** An entry's deadline is near. */
  readonly nearingDeadline: PosEntry;
}
export type PosEventName = keyof PosEvents;
const POS_EVENT_NAMES = Object.freeze(['statusChange', 'paymentStored', 'paymentForwarded', 'paymentFailed', 'nearingDeadline'] as const satisfies readonly PosEventName[]);

/** What {@link PosTerminal.open} takes. */
export interface PosTerminalOptions {
  /** Where the terminal's state lives (IndexedDbStorage in a browser, FileStorage or PostgresStorage in Node). */
  readonly storage: StorageAdapter;
  /** 32 bytes. */
  readonly snapshotKey: Uint8Array;
  /** Used when the store holds no terminal under `config.terminalId` yet. */
  readonly config: TerminalConfig;
  readonly acquirer: PosAcquirerClient;
  /** ms since the epoch (default `Date.now`). */
  readonly clock?: () => number;
  /** A random u32 for each backoff's jitter (default `crypto.getRandomValues`). */
  readonly random?: () => number;
}

/** What one {@link PosTerminal.flush} did. */
export interface PosFlushResult {
  /** Entries answered by the acquirer (approved, declined or failed for good). */
  readonly forwarded: number;
  /** The code that stopped it: `NOTHING_TO_FORWARD`, `NOT_DUE` or `RETRY_SCHEDULED` (the acquirer unreachable). */
  readonly stoppedBy: PosCode;
  readonly retryAtMs: number | null;
}

interface ReadOptions {
  readonly store: PosStore;
  readonly config: TerminalConfig;
  readonly terminalId: string;
  readonly acquirer: PosAcquirerClient;
  readonly clock: () => number;
  readonly random: () => number;
}

/** Calls a caller's function, its answer checked: an error about `param` when it throws or answers out of range. */
function checkedCall(fn: () => unknown, param: string, max: number): () => number {
  return () => {
    let value: unknown;
    try {
      value = fn();
    } catch (e) {
      throw new CountersignTypeError('INVALID_ARGUMENT', `countersign: ${param}: threw (${e instanceof Error ? e.message : String(e)})`, param);
    }
    return expectInteger(value, `${param}()`, 0, max);
  };
}

/** The options read once each into owned values (the object is the caller's: its getters may change their answer or throw). */
function readTerminalOptions(options: PosTerminalOptions): ReadOptions {
  try {
    const o = expectObject(options, 'options', ['storage', 'snapshotKey', 'config', 'acquirer', 'clock', 'random']);
    const [storage, snapshotKey, configGiven, acquirerGiven, clockGiven, randomGiven] = [o.storage, o.snapshotKey, o.config, o.acquirer, o.clock, o.random];
    const a = expectObject(acquirerGiven, 'options.acquirer');
    const [authorise, forward, probe] = [a.authorise, a.forward, a.probe];
    if (typeof authorise !== 'function') throw typeError('options.acquirer.authorise', 'a function', authorise);
    if (typeof forward !== 'function') throw typeError('options.acquirer.forward', 'a function', forward);
    if (probe !== undefined && typeof probe !== 'function') throw typeError('options.acquirer.probe', 'a function', probe);
    if (clockGiven !== undefined && typeof clockGiven !== 'function') throw typeError('options.clock', 'a function', clockGiven);
    if (randomGiven !== undefined && typeof randomGiven !== 'function') throw typeError('options.random', 'a function', randomGiven);
    const config = ownData(expectObject(configGiven, 'options.config'), 'options.config') as TerminalConfig;
    const terminalId = expectString(config.terminalId, 'options.config.terminalId');
    const store = new PosStore(storage as StorageAdapter, expectBytes(snapshotKey, 'options.snapshotKey'));
    const acquirer: PosAcquirerClient = Object.freeze({
      authorise: (request: PosAcquirerRequest) => (authorise as PosAcquirerClient['authorise']).call(a, request),
      forward: (request: PosAcquirerRequest) => (forward as PosAcquirerClient['forward']).call(a, request),
      probe: async () => {
        if (probe !== undefined) await (probe as () => Promise<void>).call(a);
      },
    });
    const clock = clockGiven === undefined ? Date.now : checkedCall(clockGiven as () => unknown, 'options.clock', POS_TIME_MS_MAX);
    const random = randomGiven === undefined ? defaultRandom : checkedCall(randomGiven as () => unknown, 'options.random', 0xffff_ffff);
    return { store, config, terminalId, acquirer, clock, random };
  } catch (e) {
    if (e instanceof CountersignError) throw e;
    throw new CountersignTypeError('INVALID_ARGUMENT', `countersign: options: reading it threw (${e instanceof Error ? e.message : String(e)})`, 'options');
  }
}

function defaultRandom(): number {
  const out = new Uint32Array(1);
  globalThis.crypto.getRandomValues(out);
  return out[0] ?? 0;
}

/**
 * The terminal role (module comment). Open one with {@link PosTerminal.open}; each outbox change
 * is saved before the call that made it resolves, and calls run one at a time.
 */
export class PosTerminal {
  readonly #store: PosStore;
  readonly #terminalId: string;
  readonly #acquirer: PosAcquirerClient;
  readonly #clock: () => number;
  readonly #random: () => number;
  readonly #listeners = new Map<PosEventName, Set<(event: never) => void>>();
  #state: PosTerminalState;
  /** Calls run one after the other: a save must not interleave with the next change. */
  #queue: Promise<unknown> = Promise.resolve();
  #closed = false;

  private constructor(token: typeof INTERNAL_CONSTRUCTION, store: PosStore, state: PosTerminalState, options: ReadOptions) {
    checkInternalConstruction(token, 'PosTerminal', 'PosTerminal.open');
    this.#store = store;
    this.#state = state;
    this.#terminalId = state.terminalId;
    this.#acquirer = options.acquirer;
    this.#clock = options.clock;
    this.#random = options.random;
    adopt(this, PosTerminal);
  }

  /** Loads the terminal from the store, or creates (and saves) it from `config`. */
  static async open(options: PosTerminalOptions): Promise<PosTerminal> {
    try {
      const read = readTerminalOptions(options);
      let state = await read.store.load(read.terminalId);
      if (state === null) {
        state = PosTerminalState.create(read.config);
        // Saved before the terminal is handed out: an offline start-up after this finds it.
        if (!(await read.store.save(state))) {
          state.free();
          const loaded = await read.store.load(read.terminalId);
          if (loaded === null) throw new CountersignError('STORAGE_UNAVAILABLE', 'countersign: options.storage: the terminal could not be saved', 'options.storage');
          state = loaded;
        }
      }
      return new PosTerminal(INTERNAL_CONSTRUCTION, read.store, state, read);
    } catch (e) {
      throw toSdkError(e, 'PosTerminal.open');
    }
  }

  get terminalId(): string {
    return this.#terminalId;
  }

  /** Adds a listener; returns a function that removes it. */
  on<E extends PosEventName>(event: E, listener: (event: PosEvents[E]) => void): () => void {
    const name = expectOneOf(event, 'event', POS_EVENT_NAMES);
    if (typeof listener !== 'function') throw typeError('listener', 'a function', listener);
    let set = this.#listeners.get(name);
    if (set === undefined) this.#listeners.set(name, (set = new Set()));
    if (set.size >= POS_LISTENERS_MAX) throw new CountersignRangeError('LIMIT_EXCEEDED', `countersign: listener: at most ${POS_LISTENERS_MAX} per event`, 'listener');
    const fn = listener as (event: never) => void;
    set.add(fn);
    return () => void set.delete(fn);
  }

  #emit<E extends PosEventName>(event: E, payload: PosEvents[E]): void {
    for (const listener of this.#listeners.get(event) ?? []) {
      try {
        (listener as (event: PosEvents[E]) => void)(payload);
      } catch {
        // A listener's error is the listener's: it must not undo a saved change.
      }
    }
  }

  /** Runs `body` after every earlier call has finished. */
  #serial<T>(body: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(() => {
      if (this.#closed) throw new CountersignError('INVALID_ARGUMENT', 'countersign: the terminal is closed', 'terminal');
      return body();
    });
    this.#queue = run.catch(() => undefined);
    return run;
  }

  /** Saves the state; on any failure, reloads what is stored (the change is dropped) and throws. */
  async #save(): Promise<void> {
    let saved = false;
    try {
      saved = await this.#store.save(this.#state);
    } catch (e) {
      await this.#reload();
      throw e;
    }
    if (!saved) {
      await this.#reload();
      throw new CountersignError('STORAGE_UNAVAILABLE', `countersign: terminal ${this.#terminalId}: another writer changed the stored terminal; nothing was acknowledged`, 'storage');
    }
  }

  async #reload(): Promise<void> {
    const loaded = await this.#store.load(this.#terminalId);
    if (loaded !== null) {
      this.#state.free();
      this.#state = loaded;
    }
  }

  #observe(observation: Observation): void {
    const change = this.#state.observe(observation);
    if (change !== null) this.#emit('statusChange', change);
  }

  /** Feeds what the app saw (the OS's online/offline events, a captive-portal check). */
  observe(observation: Observation): Transition | null {
    const change = this.#state.observe(observation);
    if (change !== null) this.#emit('statusChange', change);
    return change;
  }

  /** Sends a health probe to the acquirer and observes its answer. */
  probe(): Promise<NetworkStatus> {
    return this.#serial(async () => {
      const started = this.#clock();
      let ok = true;
      try {
        await this.#acquirer.probe?.();
      } catch {
        ok = false;
      }
      const now = this.#clock();
      this.#observe({ kind: 'probe', atMs: now, ok, latencyMs: Math.max(0, now - started) });
      return this.#state.status().network;
    });
  }

  /**
   * Takes a payment in `mode`: routes it (core), authorises online or stores it after the
   * offline limits; `stored` resolves only once the outbox is saved.
   */
  takePayment(payment: PosPayment, mode: PosMode): Promise<PosPaymentOutcome> {
    const p = expectObject(payment, 'payment', ['idempotencyKey', 'amount', 'currency', 'cardToken', 'cardType', 'payload']);
    const m = expectOneOf(mode, 'mode', POS_MODES);
    const cardToken = new TextEncoder().encode(expectString(p.cardToken, 'payment.cardToken'));
    if (cardToken.length === 0 || cardToken.length > POS_CARD_TOKEN_BYTES_MAX) {
      throw rangeError('payment.cardToken', `must be 1 to ${POS_CARD_TOKEN_BYTES_MAX} bytes`);
    }
    const payload = p.payload === undefined ? new Uint8Array(0) : expectBytes(p.payload, 'payment.payload');
    if (payload.length > POS_PAYLOAD_BYTES_MAX) throw rangeError('payment.payload', `at most ${POS_PAYLOAD_BYTES_MAX} bytes`);
    const request: PaymentRequest = {
      idempotencyKey: expectString(p.idempotencyKey, 'payment.idempotencyKey'),
      kind: 'payment',
      amount: expectString(p.amount, 'payment.amount'),
      currency: expectString(p.currency, 'payment.currency'),
      cardHash: toHex(call(() => wasm('pos').sha256(cardToken) as Uint8Array)),
      cardType: expectString(p.cardType, 'payment.cardType'),
      payload: toHex(payload),
    };
    return this.#serial(() => this.#take(request, m));
  }

  /** Queues an entry directly (stored after the offline limits, forwarded as it is): System 5's relay uses it for phone tokens. */
  enqueue(entry: PosQueueEntry): Promise<StoreOutcome> {
    const e = expectObject(entry, 'entry', ['idempotencyKey', 'kind', 'amount', 'currency', 'cardHash', 'cardType', 'payload']);
    const payload = e.payload === undefined ? new Uint8Array(0) : expectBytes(e.payload, 'entry.payload');
    if (payload.length > POS_PAYLOAD_BYTES_MAX) throw rangeError('entry.payload', `at most ${POS_PAYLOAD_BYTES_MAX} bytes`);
    const request: PaymentRequest = {
      idempotencyKey: expectString(e.idempotencyKey, 'entry.idempotencyKey'),
      kind: expectOneOf(e.kind, 'entry.kind', ['payment', 'token'] as const),
      amount: expectString(e.amount, 'entry.amount'),
      currency: expectString(e.currency, 'entry.currency'),
      ...(e.cardHash === undefined ? {} : { cardHash: expectString(e.cardHash, 'entry.cardHash') }),
      ...(e.cardType === undefined ? {} : { cardType: expectString(e.cardType, 'entry.cardType') }),
      payload: toHex(payload),
    };
    return this.#serial(() => this.#store1(request));
  }

  async #store1(request: PaymentRequest): Promise<StoreOutcome> {
    const outcome = this.#state.store(request, this.#clock());
    if (outcome.code === 'STORED') {
      await this.#save();
      if (outcome.entry) this.#emit('paymentStored', outcome.entry);
    }
    return outcome;
  }

  async #take(request: PaymentRequest, mode: PosMode): Promise<PosPaymentOutcome> {
    const route = this.#state.route(mode);
    if (route.code === 'REFUSED_OFFLINE') return { status: 'refused', code: route.code, route };
    if (route.code === 'ONLINE' || route.code === 'ONLINE_OR_STORE') {
      const answer = await this.#call('authorise', { ...this.#wire(request), offline: false });
      if (answer !== null) {
        if (answer.result === 'approved') return { status: 'approved', code: answer.code, route };
        if (answer.result === 'declined') return { status: 'declined', code: answer.code, route };
        return { status: 'refused', code: 'FAILED_PERMANENTLY', route };
      }
      if (route.code === 'ONLINE') return { status: 'unavailable', reason: 'the acquirer did not answer', route };
    }
    const outcome = await this.#store1(request);
    if ((outcome.code === 'STORED' || outcome.code === 'ALREADY_STORED') && outcome.entry) {
      return { status: 'stored', entry: outcome.entry, route, fallback: route.code === 'ONLINE_OR_STORE' };
    }
    return { status: 'refused', code: outcome.code, route };
  }

  #wire(request: PaymentRequest): Omit<PosAcquirerRequest, 'offline'> {
    return {
      terminalId: this.#terminalId,
      idempotencyKey: request.idempotencyKey,
      kind: request.kind,
      amount: request.amount,
      currency: request.currency,
      cardHash: request.cardHash ?? null,
      cardType: request.cardType ?? null,
      payload: request.payload ?? '',
    };
  }

  /** One acquirer call, observed (success with latency, or failure); null when it failed without an answer. */
  async #call(method: 'authorise' | 'forward', request: PosAcquirerRequest): Promise<PosAcquirerAnswer | null> {
    const started = this.#clock();
    let answer: PosAcquirerAnswer | null = null;
    try {
      answer = answerOf(await this.#acquirer[method](request));
    } catch {
      answer = null;
    }
    const now = this.#clock();
    this.#observe({ kind: 'request', atMs: now, ok: answer !== null, latencyMs: Math.max(0, now - started) });
    return answer;
  }

  /**
   * Forwards waiting entries in order, each answer saved before the next is sent, until the
   * outbox is empty, the next entry waits for its backoff (unless `force`), or the acquirer does
   * not answer. `flush()` is `forwardDue({ force: true })`: the cashier's "forward now".
   */
  forwardDue(options?: { force?: boolean }): Promise<PosFlushResult> {
    const o = options === undefined ? {} : expectObject(options, 'options', ['force']);
    const force = o.force === undefined ? false : expectBoolean(o.force, 'options.force');
    return this.#serial(() => this.#forward(force));
  }

  flush(): Promise<PosFlushResult> {
    return this.#serial(() => this.#forward(true));
  }

  async #forward(force: boolean): Promise<PosFlushResult> {
    await this.#tick();
    let forwarded = 0;
    for (let i = 0; i < POS_FLUSH_ENTRIES_MAX; i++) {
      const step = this.#state.beginForward(this.#clock(), force);
      if (step.code !== 'FORWARD' || !step.entry) {
        return { forwarded, stoppedBy: step.code, retryAtMs: step.retryAtMs ?? null };
      }
      const e = step.entry;
      const request: PosAcquirerRequest = {
        terminalId: this.#terminalId,
        idempotencyKey: e.idempotencyKey,
        kind: e.kind,
        amount: e.amount,
        currency: e.currency,
        cardHash: e.cardHash,
        cardType: e.cardType,
        payload: e.payload,
        offline: true,
      };
      const answer = await this.#call('forward', request);
      const result: ForwardResult =
        answer === null
          ? { kind: 'retry', code: 'NO_ANSWER' }
          : answer.result === 'approved'
            ? { kind: 'approved', code: answer.code }
            : answer.result === 'declined'
              ? { kind: 'declined', code: answer.code }
              : { kind: 'permanent', code: answer.code };
      const outcome = this.#state.forwardResult(e.idempotencyKey, result, this.#clock(), this.#random() >>> 0);
      await this.#save();
      if (outcome.entry) {
        if (outcome.code === 'FORWARDED_APPROVED' || outcome.code === 'FORWARDED_DECLINED') this.#emit('paymentForwarded', outcome.entry);
        if (outcome.code === 'FAILED_PERMANENTLY') this.#emit('paymentFailed', outcome.entry);
      }
      if (outcome.code === 'RETRY_SCHEDULED') return { forwarded, stoppedBy: outcome.code, retryAtMs: outcome.retryAtMs ?? null };
      forwarded++;
      // A forced flush forces each attempt of this call, not the backoff of a failure within it.
    }
    return { forwarded, stoppedBy: 'NOT_DUE', retryAtMs: null };
  }

  async #tick(): Promise<void> {
    const { events } = this.#state.tick(this.#clock());
    if (events.length === 0) return;
    await this.#save();
    for (const event of events) this.#emit(event.kind === 'nearingDeadline' ? 'nearingDeadline' : 'paymentFailed', event.entry);
  }

  /** Raises deadline events now (nearing, failed), saved. */
  tick(): Promise<void> {
    return this.#serial(() => this.#tick());
  }

  /** The network state, what waits and what was forwarded, per currency. */
  status(): PosTerminalStatus {
    return this.#state.status();
  }

  /** Every kept entry, the verified chain and the totals: for support, or to carry the queue to another device. */
  exportQueue(): QueueExport {
    return this.#state.exportQueue();
  }

  /** Stops accepting calls (waits for the running one); the stored state stays. */
  close(): Promise<void> {
    return this.#serial(async () => {
      this.#closed = true;
      this.#state.free();
    });
  }
}

guardClass(PosTerminal, {
  methods: {
    terminalId: [],
    on: ['event', raw('listener')],
    observe: ['observation'],
    probe: [],
    takePayment: ['payment', 'mode'],
    enqueue: ['entry'],
    forwardDue: ['options'],
    flush: [],
    tick: [],
    status: [],
    exportQueue: [],
    close: [],
  },
  statics: { open: [raw('options')] },
});
