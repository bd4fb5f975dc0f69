/**
 * The one store behind `CardStore`, `TempCardStore`, `EnergyStore` and `LedgerStore`: what each
 * of them repeated is here once, so a new system gets persistence by naming its state
 * ({@link PersistedState}) instead of writing a fifth copy of the checks.
 *
 * - **Compare-and-swap**: every `put` names the version this store last saw of the key (`null`
 *   when it never saw one); when another writer (a tab, a process) changed the key since, the
 *   write is refused and nothing is written: the caller loads again, re-applies, saves again.
 * - **Rollback refusal**: the store remembers the freshest state it loaded or saved under each
 *   key (the state's own monotonic counters) and refuses to load an older one. Across processes
 *   that needs a trusted counter, which storage alone cannot give.
 * - **Journal log**: a state that keeps a journal (a ledger inside it) has the entries its
 *   snapshot covers appended to a log once the snapshot is durable (a conflict appends nothing),
 *   then truncated in memory, so the journal never fills and the log is an audit trail.
 * - **Sealed logs** ({@link SealedLog}): records HMAC-tagged under a key derived from the
 *   snapshot key, for state persisted as a write-ahead log (the ledger).
 * - **Trap recovery**: a store holds no wasm state (only the storage, its key, and what it has
 *   seen), so after a trap and `await init()` the same store loads the state again; everything
 *   it acknowledged is there, and the rollback memory survives the trap.
 *
 * Every value read from storage crosses {@link CheckedStorage}; every snapshot is authenticated
 * by the core when it is restored.
 * @internal
 */
import { constantTimeEqual, hmacSha256 } from './crypto.js';
import { CountersignError, CountersignRangeError } from './errors.js';
import type { CheckedStorage } from './storage/checked.js';
import type { LogRecord, ReadLogOptions, StoredValue } from './storage/types.js';

/**
 * How one kind of state is persisted as whole authenticated snapshots: what a system names to
 * get a store. `F` is its freshness (monotonic counters, read from the state).
 */
export interface PersistedState<T, F> {
  /** The parameter a rollback error names (`cardId`, `name`). */
  readonly param: string;
  /** Authenticated snapshot bytes. */
  snapshot(state: T, snapshotKey: Uint8Array): Uint8Array;
  /** The state from snapshot bytes (the core checks their tag). */
  restore(bytes: Uint8Array, snapshotKey: Uint8Array): T | Promise<T>;
  /** The state's monotonic counters. */
  freshness(state: T): F;
  /** Whether `state` (whose counters are `found`) is older than `seen` in any counter. */
  isOlder(state: T, found: F, seen: F): boolean;
  /** Further checks of a restored state (that it is the one stored under its key); throws to refuse. */
  check?(state: T, name: string): void;
  /** Releases a restored state that is refused. */
  free(state: T): void;
  /** A state with a journal: its entries are appended to `log(key)` after each save. */
  readonly journal?: {
    log(key: string): string;
    /** The entries not yet handed to storage, read with the snapshot. */
    entries(state: T): Uint8Array[];
    /** Forgets the entries the saved snapshot covered (`freshness` is the snapshot's). */
    truncate(state: T, freshness: F): void;
  };
}

/** What a store last saw of a key: the storage version, and the state's freshness when known. */
interface Seen<F> {
  readonly version: number;
  readonly freshness: F | undefined;
}

/** See the module comment. One per SDK store object; not exported from the package. */
export class StateStore {
  readonly #storage: CheckedStorage;
  readonly #snapshotKey: Uint8Array;
  /**
   * Per key: the version last read or written (compare-and-swap) and the freshest state seen
   * (rollback). Bounded by the keys one store handles (its cards, services, roles).
   */
  readonly #seen = new Map<string, Seen<unknown>>();

  constructor(storage: CheckedStorage, snapshotKey: Uint8Array) {
    this.#storage = storage;
    this.#snapshotKey = snapshotKey;
  }

  get snapshotKey(): Uint8Array {
    return this.#snapshotKey;
  }

  /**
   * The state stored under `key`, or null. Rejects with SNAPSHOT_INVALID when the bytes are not
   * authentic (the core's check), when `kind.check` refuses, or when the state is older than one
   * this store already loaded or saved (a rollback). A refused state is freed.
   */
  async load<T, F>(kind: PersistedState<T, F>, key: string, name: string): Promise<T | null> {
    const stored = await this.#storage.get(key);
    if (stored === null) return null;
    const state = await kind.restore(stored.value, this.#snapshotKey);
    let freshness: F;
    try {
      kind.check?.(state, name);
      freshness = kind.freshness(state);
      const seen = this.#seen.get(key) as Seen<F> | undefined;
      if (seen?.freshness !== undefined && kind.isOlder(state, freshness, seen.freshness)) throw rollback(kind.param, name);
    } catch (e) {
      kind.free(state);
      throw e;
    }
    this.#seen.set(key, { version: stored.version, freshness });
    return state;
  }

  /**
   * Saves `state` under `key`. Resolves to false, writing nothing, when someone else changed the
   * key since this store last loaded or saved it. The snapshot, its freshness and its journal
   * entries are read together before any await: the caller (or the adapter) may use the state
   * while the storage works.
   */
  async save<T, F>(kind: PersistedState<T, F>, key: string, state: T): Promise<boolean> {
    const snapshot = kind.snapshot(state, this.#snapshotKey);
    const freshness = kind.freshness(state);
    const entries = kind.journal?.entries(state) ?? [];
    const result = await this.#storage.put(key, snapshot, this.expectedVersion(key));
    if (!result.ok) return false;
    this.#seen.set(key, { version: result.version, freshness });
    if (kind.journal !== undefined && entries.length > 0) {
      // Appended once the snapshot is durable: a crash between the two loses log entries,
      // never state.
      const log = kind.journal.log(key);
      for (const entry of entries) await this.#storage.append(log, entry);
      kind.journal.truncate(state, freshness);
    }
    return true;
  }

  // -------------------------------------------------------------------------------------------
  // The same checks for state persisted another way (the ledger's write-ahead log)

  /** The version to expect when writing `key` (null: this store never saw it, it must be absent). */
  expectedVersion(key: string): number | null {
    const version = this.#seen.get(key)?.version ?? 0;
    return version === 0 ? null : version;
  }

  /** Reads `key`, remembering its version for the next {@link put}. */
  async get(key: string): Promise<StoredValue | null> {
    const stored = await this.#storage.get(key);
    const seen = this.#seen.get(key);
    this.#seen.set(key, { version: stored?.version ?? 0, freshness: seen?.freshness });
    return stored;
  }

  /** Compare-and-swap write of `key` against the version this store last saw; false on conflict. */
  async put(key: string, value: Uint8Array): Promise<boolean> {
    const result = await this.#storage.put(key, value, this.expectedVersion(key));
    if (!result.ok) return false;
    this.#seen.set(key, { version: result.version, freshness: this.#seen.get(key)?.freshness });
    return true;
  }

  /**
   * Records `freshness` as seen under `key`, refusing (SNAPSHOT_INVALID naming `param`) when it
   * is older than what was seen before. `message` says what was found.
   */
  noteFreshness<F>(key: string, freshness: F, isOlder: (found: F, seen: F) => boolean, param: string, message: (seen: F) => string): void {
    const seen = this.#seen.get(key) as Seen<F> | undefined;
    if (seen?.freshness !== undefined && isOlder(freshness, seen.freshness)) {
      throw new CountersignRangeError('SNAPSHOT_INVALID', `countersign: ${param}: ${message(seen.freshness)} (rollback)`, param);
    }
    this.#seen.set(key, { version: seen?.version ?? 0, freshness });
  }

  /** See `StorageAdapter.append`: with `expectedSeq`, 0 when the log is not where it was expected. */
  append(log: string, record: Uint8Array, expectedSeq?: number): Promise<number> {
    return this.#storage.append(log, record, expectedSeq);
  }

  readLog(log: string, options?: ReadLogOptions): Promise<LogRecord[]> {
    return this.#storage.readLog(log, options);
  }
}

function rollback(param: string, name: string): CountersignRangeError {
  return new CountersignRangeError(
    'SNAPSHOT_INVALID',
    `countersign: ${param}: the stored state of ${name} is older than one already seen (rollback)`,
    param,
  );
}

/** STORAGE_CORRUPT naming the storage. */
export function corrupt(why: string): CountersignError {
  return new CountersignError('STORAGE_CORRUPT', `countersign: storage: ${why}`, 'storage');
}

/** Bytes of the HMAC-SHA256 tag that ends every sealed record. */
const TAG_BYTES = 32;

/**
 * Log records authenticated by the store, for state whose log is re-executed on load (a hash
 * chain alone would not do: anyone able to write the storage could compute a chain of forged
 * entries). A record is `body ‖ HMAC(key, u16 BE name length ‖ name ‖ body)`, the key derived
 * from the snapshot key with `purpose` (one key, one purpose), the name binding a record to the
 * state it belongs to.
 */
export class SealedLog {
  readonly #key: Uint8Array;
  readonly #name: Uint8Array;
  /** What the name names, in errors ("ledger"). */
  readonly #nameOf: string;

  constructor(snapshotKey: Uint8Array, purpose: string, name: string, nameOf: string) {
    this.#key = hmacSha256(snapshotKey, new TextEncoder().encode(purpose));
    this.#name = new TextEncoder().encode(name);
    this.#nameOf = nameOf;
  }

  /** `body` with its tag. */
  seal(body: Uint8Array): Uint8Array {
    const out = new Uint8Array(body.length + TAG_BYTES);
    out.set(body, 0);
    out.set(this.#tag(body), body.length);
    return out;
  }

  /** The body of a sealed record; STORAGE_CORRUPT when it is too short or its tag does not match. */
  open(sealed: Uint8Array, what: string): Uint8Array {
    if (sealed.length < TAG_BYTES) throw corrupt(`${what} is too short`);
    const body = sealed.subarray(0, sealed.length - TAG_BYTES);
    if (!constantTimeEqual(this.#tag(body), sealed.subarray(sealed.length - TAG_BYTES))) {
      throw corrupt(`${what} fails its authentication (tampered with, or written under another key or ${this.#nameOf} name)`);
    }
    return body;
  }

  #tag(body: Uint8Array): Uint8Array {
    const message = new Uint8Array(2 + this.#name.length + body.length);
    new DataView(message.buffer).setUint16(0, this.#name.length);
    message.set(this.#name, 2);
    message.set(body, 2 + this.#name.length);
    return hmacSha256(this.#key, message);
  }
}
