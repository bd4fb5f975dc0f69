/**
 * ledger — the two-phase-transfer ledger primitive (TigerBeetle's model, extended): accounts,
 * transfers, holds (post / void / expire / increment / extend), idempotency keys, a hash-chained
 * journal, snapshots. Every rule is in the Rust core (core/src/ledger); this module checks
 * argument types, converts, and persists through a {@link StorageAdapter} ({@link LedgerStore}).
 *
 * Money crosses as decimal strings in the account's currency (`"12.50"`), never as `number`.
 * Rejections are returned codes (`outcome.code`), not exceptions; exceptions are for malformed
 * requests (naming the field, e.g. `request.amount`) and failures.
 */
import { CountersignError, CountersignRangeError, fromWasmError } from './errors.js';
import { WasmObject, handleOf, withHandle } from './handle.js';
import { SealedLog, StateStore, corrupt } from './store.js';
import { call } from './calls.js';
import {
  INTERNAL_CONSTRUCTION,
  adopt,
  checkInternalConstruction,
  guardClass,
  guardFunction,
  isGenuineBytes,
  isOwned,
  ownConstructorArgs,
  raw,
  toSdkError,
} from './boundary.js';
import { CheckedStorage } from './storage/checked.js';
import { STORAGE_INDEX_ROWS_MAX, type IndexRow } from './storage/types.js';
import { wasm } from './loader.js';
import { decodeOutcomes, encodeBatch } from './ledger-wire.js';
import type { StorageAdapter } from './storage/types.js';
import { expectArray, expectBytes, expectInteger, expectObject, expectString, typeError } from './validate.js';

// ---------------------------------------------------------------------------------------------
// Types (the JSON shapes of the core's serde types)

// The requests, outcomes and views are the core's serde types, generated from the Rust types
// (sdk-ts/src/generated/ledger.ts, `bash scripts/types.sh`).
import type {
  AccountKind,
  AccountView,
  CloseAccountRequest,
  ExpireDueRequest,
  ExtendRequest,
  HoldRequest,
  HoldState,
  HoldView,
  IncrementRequest,
  JournalHead,
  KeysKeptBy,
  LedgerBatchOperation,
  LedgerCode,
  LedgerCounts,
  LedgerJournalKey,
  LedgerOperation,
  LedgerOutcome,
  OpenAccountRequest,
  PostRequest,
  SetCreditLimitRequest,
  SetCapacityRequest,
  SetKeyRetentionRequest,
  TransferRequest,
  VoidRequest,
} from './generated/ledger.js';
import type { Exhaustive } from './exhaustive.js';
export type {
  AccountKind,
  AccountView,
  CloseAccountRequest,
  ExpireDueRequest,
  ExtendRequest,
  HoldRequest,
  HoldState,
  HoldView,
  IncrementRequest,
  JournalHead,
  KeysKeptBy,
  LedgerBatchOperation,
  LedgerCode,
  LedgerCounts,
  LedgerJournalKey,
  LedgerOperation,
  LedgerOutcome,
  OpenAccountRequest,
  PostRequest,
  SetCreditLimitRequest,
  SetCapacityRequest,
  SetKeyRetentionRequest,
  TransferRequest,
  VoidRequest,
};

/** Every ledger outcome code (the docs/ledger.md table; `ledgerCodes()` describes each). */
export const LEDGER_CODES = Object.freeze([
  'ACCOUNT_OPENED', 'TRANSFERRED', 'HELD', 'INCREMENTED', 'EXTENDED', 'POSTED', 'VOIDED',
  'DUE_HOLDS_EXPIRED', 'MORE_HOLDS_DUE', 'CREDIT_LIMIT_SET', 'ACCOUNT_CLOSED', 'KEY_RETENTION_SET', 'CAPACITY_SET',
  'IDEMPOTENCY_KEY_REUSED', 'IDEMPOTENCY_KEYS_FULL', 'JOURNAL_FULL', 'LINKED_OPERATION_FAILED', 'AMOUNT_NOT_POSITIVE',
  'SAME_ACCOUNT', 'UNKNOWN_ACCOUNT', 'ACCOUNT_EXISTS', 'ACCOUNTS_FULL', 'ACCOUNT_ALREADY_CLOSED',
  'ACCOUNT_NOT_EMPTY', 'CURRENCY_MISMATCH', 'INSUFFICIENT_FUNDS', 'BALANCE_OVERFLOW',
  'NOT_A_CREDIT_LINE', 'CREDIT_LIMIT_BELOW_USAGE', 'UNKNOWN_HOLD', 'HOLD_EXISTS', 'HOLDS_FULL',
  'ACCOUNT_HOLDS_FULL', 'DEADLINE_INVALID', 'EXCEEDS_HOLD', 'HOLD_ALREADY_POSTED',
  'HOLD_ALREADY_VOIDED', 'HOLD_EXPIRED', 'KEY_WINDOW_BELOW_KEYS', 'CAPACITY_BELOW_COUNTS',
] as const satisfies readonly LedgerCode[]);
// Compile-time: LEDGER_CODES names every code of the generated union.
type _LedgerCodesComplete = Exhaustive<Exclude<LedgerCode, (typeof LEDGER_CODES)[number]>>;

/** Limits the core enforces (see docs/ledger.md "Limits"). */
export const LEDGER_BATCH_OPERATIONS_MAX = 1024;
/** The default and largest key window: idempotency keys a ledger retains. */
export const LEDGER_IDEMPOTENCY_KEYS_MAX = 32_768;
/** The smallest key window `setKeyRetention` may set (`keyWindow`): the retained journal's bound. */
export const LEDGER_KEY_WINDOW_MIN = 4096;
export const LEDGER_SNAPSHOT_KEY_BYTES = 32;
/** The default capacity of a ledger: most accounts (`Ledger.create({ accountsMax })` raises it). */
export const LEDGER_ACCOUNTS_MAX = 4096;
/** The default capacity of a ledger: most pending holds (`Ledger.create({ holdsMax })` raises it). */
export const LEDGER_HOLDS_MAX = 4096;
/** The largest `accountsMax` a ledger may be created with (2^20: a million wallets in one ledger). */
export const LEDGER_ACCOUNTS_CAPACITY_MAX = 1 << 20;
/** The largest `holdsMax` a ledger may be created with. */
export const LEDGER_HOLDS_CAPACITY_MAX = 131_072;
/** The idempotency key of the `setCapacity` that `Ledger.create` journals for a capacity other than the default. */
export const LEDGER_CAPACITY_IDEMPOTENCY_KEY = 'countersign.ledger.capacity';

/**
 * Options of {@link Ledger.create}: the ledger's capacity (see docs/ledger.md "Capacity"). The
 * snapshot is the whole state (about 30–60 bytes per account with short ids): a million
 * accounts fit the storage adapters' 64 MiB value limit.
 */
export interface LedgerOptions {
  /** Most accounts: {@link LEDGER_ACCOUNTS_MAX} (the default) .. {@link LEDGER_ACCOUNTS_CAPACITY_MAX}. */
  readonly accountsMax?: number;
  /** Most pending holds: {@link LEDGER_HOLDS_MAX} (the default) .. {@link LEDGER_HOLDS_CAPACITY_MAX}. */
  readonly holdsMax?: number;
}

/** A ledger's capacity ({@link Ledger.capacity}). */
export interface LedgerCapacity {
  /** Most accounts the ledger may hold. */
  readonly accountsMax: number;
  /** Most pending holds the ledger may hold. */
  readonly holdsMax: number;
}

// ---------------------------------------------------------------------------------------------
// Argument checks and calls

/** The glue's class, named from its declarations (shipped in wasm/): the public class's
 * `extends WasmObject<Handle>` appears in dist/*.d.ts, where the internal `wasm()` does not. */
type Handle = import('../wasm/countersign_wasm.js').LedgerHandle;

/** Each ledger outcome code with its description, from the core. */
export const ledgerCodes = guardFunction(function ledgerCodes(): { code: LedgerCode; description: string }[] {
  return call(() => wasm('ledger').ledgerCodes());
}, []);

/** The core's codes in its order (`LedgerCode::ALL`): an encoded outcome names its code by index. */
let codeList: readonly LedgerCode[] | undefined;
function ledgerCodeList(): readonly LedgerCode[] {
  codeList ??= Object.freeze(wasm('ledger').ledgerCodes().map((entry: { code: LedgerCode }) => entry.code));
  return codeList;
}

// ---------------------------------------------------------------------------------------------
// Ledger

/**
 * A ledger in WebAssembly memory. Not thread-safe across workers (each has its own); call
 * `free()` when done with it (or let the FinalizationRegistry do it).
 */
export class Ledger extends WasmObject<Handle> {
  private constructor(token: typeof INTERNAL_CONSTRUCTION, handle: Handle) {
    checkInternalConstruction(token, 'Ledger', 'Ledger.create, Ledger.restore or Ledger.replay');
    super(handle, 'ledger');
    adopt(this, Ledger);
  }

  /**
   * An empty ledger. With `options.accountsMax` / `options.holdsMax` other than the defaults
   * ({@link LEDGER_ACCOUNTS_MAX}, {@link LEDGER_HOLDS_MAX}) it journals `setCapacity` (key
   * {@link LEDGER_CAPACITY_IDEMPOTENCY_KEY}, now 0) as its first entry, so that replay and
   * restore reproduce the capacity; without, it is exactly a new ledger (no entry).
   */
  static create(options?: LedgerOptions): Ledger {
    const opts = options === undefined ? {} : expectObject(options, 'options', ['accountsMax', 'holdsMax']);
    const accountsMax = opts.accountsMax === undefined ? LEDGER_ACCOUNTS_MAX : expectInteger(opts.accountsMax, 'options.accountsMax', LEDGER_ACCOUNTS_MAX, LEDGER_ACCOUNTS_CAPACITY_MAX);
    const holdsMax = opts.holdsMax === undefined ? LEDGER_HOLDS_MAX : expectInteger(opts.holdsMax, 'options.holdsMax', LEDGER_HOLDS_MAX, LEDGER_HOLDS_CAPACITY_MAX);
    const ledger = new Ledger(INTERNAL_CONSTRUCTION, call<Handle>(() => new (wasm('ledger').LedgerHandle)()));
    if (accountsMax !== LEDGER_ACCOUNTS_MAX || holdsMax !== LEDGER_HOLDS_MAX) {
      const outcome = ledger.#run('setCapacity', { idempotencyKey: LEDGER_CAPACITY_IDEMPOTENCY_KEY, now: 0, accountsMax, holdsMax });
      if (outcome.code !== 'CAPACITY_SET') {
        ledger.free();
        throw new CountersignError('INTERNAL', `countersign: setting a new ledger's capacity answered ${outcome.code}`, 'options');
      }
    }
    return ledger;
  }

  /** A ledger from `snapshot()` bytes (tampered, truncated or wrong key: SNAPSHOT_INVALID). */
  static restore(snapshot: Uint8Array, snapshotKey: Uint8Array): Ledger {
    expectBytes(snapshot, 'snapshot');
    expectBytes(snapshotKey, 'snapshotKey');
    return new Ledger(INTERNAL_CONSTRUCTION, call<Handle>(() => wasm('ledger').LedgerHandle.restore(snapshot, snapshotKey)));
  }

  /** Rebuilds a ledger from its whole journal (seq 1 onwards), checking chain and results. */
  static replay(entries: readonly Uint8Array[]): Ledger {
    const list = expectEntries(entries);
    return new Ledger(INTERNAL_CONSTRUCTION, call<Handle>(() => wasm('ledger').LedgerHandle.replay(list)));
  }

  openAccount(request: OpenAccountRequest): LedgerOutcome {
    return this.#run('openAccount', request);
  }
  transfer(request: TransferRequest): LedgerOutcome {
    return this.#run('transfer', request);
  }
  hold(request: HoldRequest): LedgerOutcome {
    return this.#run('hold', request);
  }
  increment(request: IncrementRequest): LedgerOutcome {
    return this.#run('increment', request);
  }
  extend(request: ExtendRequest): LedgerOutcome {
    return this.#run('extend', request);
  }
  post(request: PostRequest): LedgerOutcome {
    return this.#run('post', request);
  }
  void(request: VoidRequest): LedgerOutcome {
    return this.#run('void', request);
  }
  expireDue(request: ExpireDueRequest): LedgerOutcome {
    return this.#run('expireDue', request);
  }
  setCreditLimit(request: SetCreditLimitRequest): LedgerOutcome {
    return this.#run('setCreditLimit', request);
  }
  closeAccount(request: CloseAccountRequest): LedgerOutcome {
    return this.#run('closeAccount', request);
  }
  /**
   * Says who keeps the idempotency keys the ledger's window no longer holds: `"store"` lets a
   * full window forget its oldest key whatever its age, for a store that keeps every key's entry
   * and answers its repeats ({@link LedgerStore} with `keyRetentionSeconds`, which journals this
   * on a new ledger). `keyWindow` (optional, {@link LEDGER_KEY_WINDOW_MIN} ..
   * {@link LEDGER_IDEMPOTENCY_KEYS_MAX}, default the latter) sets how many keys the window holds:
   * a small window bounds the memory of a ledger that is one of many (the shards of a
   * `ShardedLedger`); a smaller window than the ledger's while it retains that many keys is refused
   * (`KEY_WINDOW_BELOW_KEYS`). Journaled: replay reproduces both.
   */
  setKeyRetention(request: SetKeyRetentionRequest): LedgerOutcome {
    return this.#run('setKeyRetention', request);
  }
  /** Who keeps the idempotency keys the window no longer holds: `"ledger"` (the default) or `"store"`. */
  get keysKeptBy(): KeysKeptBy {
    return withHandle(this, (h) => h.keysKeptBy() as KeysKeptBy);
  }
  /** How many idempotency keys the ledger retains at most (its key window). */
  get keyWindow(): number {
    return withHandle(this, (h) => h.keyWindow());
  }
  /**
   * Sets the ledger's capacity (most accounts and pending holds; {@link Ledger.create} journals
   * it for a new ledger): `accountsMax` {@link LEDGER_ACCOUNTS_MAX} ..
   * {@link LEDGER_ACCOUNTS_CAPACITY_MAX}, `holdsMax` {@link LEDGER_HOLDS_MAX} ..
   * {@link LEDGER_HOLDS_CAPACITY_MAX}; below what the ledger holds: `CAPACITY_BELOW_COUNTS`
   * (journaled, nothing changed). Journaled: replay reproduces it.
   */
  setCapacity(request: SetCapacityRequest): LedgerOutcome {
    return this.#run('setCapacity', request);
  }
  /** The ledger's capacity: most accounts and most pending holds. */
  get capacity(): LedgerCapacity {
    return withHandle(this, (h) => {
      const [accountsMax, holdsMax] = h.capacity();
      return { accountsMax: accountsMax as number, holdsMax: holdsMax as number };
    });
  }

  /**
   * The answer to a repeat of `operation` from the journal entry that decided its key (kept by
   * a store: the ledger no longer retains the key), as the ledger answers a key it keeps with
   * code and seq only — the same request: the entry's `code` and `seq`, `repeated: true`,
   * `hold: null`, no `expired`; another request under the key: `IDEMPOTENCY_KEY_REUSED`.
   * `undefined` when the ledger retains the key itself (execute the operation). Changes nothing.
   * The entry's bytes are decoded, not authenticated: read them from storage you authenticate
   * ({@link LedgerStore} does). Throws for a malformed operation (naming
   * `operation.request.<field>`) and JOURNAL_INVALID naming `entry` for bytes that are not a
   * journal entry or an entry under another key.
   */
  answerFromEntry(operation: LedgerOperation, entry: Uint8Array): LedgerOutcome | undefined {
    expectBytes(entry, 'entry');
    return call<LedgerOutcome | undefined>(() => handleOf(this).answerFromEntry(operation, entry));
  }

  /** The idempotency key and effective time of each retained journal entry with seq > `afterSeq`. */
  journalKeysAfter(afterSeq: number): LedgerJournalKey[] {
    expectInteger(afterSeq, 'afterSeq', 0, Number.MAX_SAFE_INTEGER);
    // The adapter answers one flat array [seq, key, time, ...] (smaller wasm than objects).
    const flat = call<unknown[]>(() => handleOf(this).journalKeysAfter(afterSeq));
    const keys: LedgerJournalKey[] = [];
    for (let i = 0; i + 2 < flat.length; i += 3) keys.push({ seq: flat[i] as number, idempotencyKey: flat[i + 1] as string, time: flat[i + 2] as number });
    return keys;
  }

  /** Any operation `{ op, request }`. */
  execute(operation: LedgerOperation): LedgerOutcome {
    // Checked by the adapter and the core, naming the path (`operation.request.amount`).
    return call<LedgerOutcome>(() => handleOf(this).execute(operation));
  }

  /**
   * Several operations in one call, like a TigerBeetle batch: each operation is answered on its
   * own, and `linked: true` links an operation to the next, so that the chain (a run of linked
   * operations and the first unlinked one after them) succeeds or fails as one — a payment and
   * its fee, the legs of a transfer between providers. In a failed chain nothing is done or
   * journaled and no key is recorded (retry it with the same keys): its first failing operation
   * answers its own code with `seq` 0, the others `LINKED_OPERATION_FAILED` (docs/ledger.md,
   * *Linked chains*). All operations are checked before any runs: a malformed one throws, naming
   * it (`operations[3].request.amount`), as does a batch whose last operation is linked
   * (`operations[n].linked`: an open chain), and nothing runs. At most
   * {@link LEDGER_BATCH_OPERATIONS_MAX}.
   */
  executeBatch(operations: readonly LedgerBatchOperation[]): LedgerOutcome[] {
    const list = expectArray(operations, 'operations');
    if (list.length > LEDGER_BATCH_OPERATIONS_MAX) {
      throw fromWasmError({
        code: 'LIMIT_EXCEEDED',
        kind: 'range',
        param: 'operations',
        message: `countersign: operations: at most ${LEDGER_BATCH_OPERATIONS_MAX} per batch, got ${list.length}`,
      });
    }
    // A batch of regular operations crosses as bytes (ledger-wire.ts: the core's encoding of
    // each operation in, a table of strings and fixed records out); any other batch as objects.
    // Either way each operation is checked by the adapter and the core, naming its path
    // (`operations[3].request.amount`, `operations[0].linkd`); nothing runs unless all are
    // well-formed.
    const encoded = encodeBatch(list);
    if (encoded !== undefined) {
      return call<LedgerOutcome[]>(() => decodeOutcomes(handleOf(this).executeBatchEncoded(encoded), ledgerCodeList()));
    }
    return call<LedgerOutcome[]>(() => handleOf(this).executeBatch(list as unknown[]));
  }

  #run(op: LedgerOperation['op'], request: object): LedgerOutcome {
    // Checked by the adapter and the core, naming the path (`request.amount`).
    return call<LedgerOutcome>(() => handleOf(this).run(op, request));
  }

  /** The account, or undefined. */
  account(accountId: string): AccountView | undefined {
    expectString(accountId, 'accountId');
    return call<AccountView | undefined>(() => handleOf(this).account(accountId));
  }
  accounts(): AccountView[] {
    return call<AccountView[]>(() => handleOf(this).accounts());
  }
  /** A pending or retained resolved hold, or undefined. */
  holdView(holdId: string): HoldView | undefined {
    expectString(holdId, 'holdId');
    return call<HoldView | undefined>(() => handleOf(this).holdView(holdId));
  }
  pendingHolds(): HoldView[] {
    return call<HoldView[]>(() => handleOf(this).pendingHolds());
  }
  /** The latest effective time seen (Unix seconds): operations run at max(now, clock). */
  get clock(): number {
    return withHandle(this, (h) => h.clock());
  }
  head(): JournalHead {
    return call<JournalHead>(() => handleOf(this).head());
  }
  counts(): LedgerCounts {
    return call<LedgerCounts>(() => handleOf(this).counts());
  }

  /** Journal entries not yet truncated (persist them, then `truncateJournal`). */
  journal(): Uint8Array[] {
    return withHandle(this, (h) => h.journal() as Uint8Array[]);
  }
  /** Retained entries with seq > `afterSeq`. */
  journalAfter(afterSeq: number): Uint8Array[] {
    expectInteger(afterSeq, 'afterSeq', 0, Number.MAX_SAFE_INTEGER);
    return withHandle(this, (h) => h.journalAfter(afterSeq) as Uint8Array[]);
  }
  truncateJournal(throughSeq: number): void {
    expectInteger(throughSeq, 'throughSeq', 0, Number.MAX_SAFE_INTEGER);
    call(() => handleOf(this).truncateJournal(throughSeq));
  }
  /** Applies entries continuing this ledger's head, all or nothing (JOURNAL_INVALID / JOURNAL_MISMATCH). */
  applyJournal(entries: readonly Uint8Array[]): void {
    const list = expectEntries(entries);
    call(() => handleOf(this).applyJournal(list));
  }

  /** Authenticated snapshot bytes (HMAC-SHA256 with a 32-byte key); the journal is not included. */
  snapshot(snapshotKey: Uint8Array): Uint8Array {
    expectBytes(snapshotKey, 'snapshotKey');
    return call<Uint8Array>(() => handleOf(this).snapshot(snapshotKey));
  }
  /** SHA-256 of the state: equal digests, equal ledgers. */
  stateDigest(): Uint8Array {
    return withHandle(this, (h) => h.stateDigest());
  }
  /** Checks every invariant over the whole state (throws INTERNAL naming the broken one). */
  checkInvariants(): void {
    call(() => handleOf(this).checkInvariants());
  }
  /** An independent copy. */
  copy(): Ledger {
    return new Ledger(INTERNAL_CONSTRUCTION, withHandle(this, (h) => h.copy()));
  }
  // free() and [Symbol.dispose]() are WasmObject's (handle.ts).
}

/** Most journal entries one `replay` or `applyJournal` call takes (a store applies at most
 * 1,000 log records of 48 entries at a time). Checked on `length` before any entry is read. */
export const LEDGER_JOURNAL_ENTRIES_PER_CALL_MAX = 1 << 20;

function expectEntries(entries: unknown): Uint8Array[] {
  const list = expectArray(entries, 'entries');
  if (list.length > LEDGER_JOURNAL_ENTRIES_PER_CALL_MAX) {
    throw new CountersignRangeError(
      'LIMIT_EXCEEDED',
      `countersign: entries: at most ${LEDGER_JOURNAL_ENTRIES_PER_CALL_MAX} per call, got ${list.length}`,
      'entries',
    );
  }
  // The entry's name (`entries[3]`) is made only for the error: a replay checks a million
  // entries, and a template string per entry was a measurable part of it.
  for (let i = 0; i < list.length; i++) if (!isGenuineBytes(list[i])) expectBytes(list[i], `entries[${i}]`);
  return list as Uint8Array[];
}

// ---------------------------------------------------------------------------------------------
// LedgerStore: persistence through a StorageAdapter

/** Most journal entries packed into one log record (a record is ≤ 1 MiB; an entry ≤ 16 KiB). */
export const LEDGER_LOG_RECORD_ENTRIES_MAX = 48;
/** Default: a snapshot after this many entries since the last one. */
export const LEDGER_SNAPSHOT_EVERY_DEFAULT = 1024;
/** Records read per `readLog` call while loading. */
const LOG_READ_PAGE = 1000;
/**
 * Most log records `load()` re-applies after the snapshot (48 entries each: about 3 million
 * entries). Snapshots every `snapshotEvery` entries keep a load far below it; reaching it means
 * snapshots have been failing, and loading is refused rather than left to run unbounded.
 */
export const LEDGER_LOAD_LOG_RECORDS_MAX = 1 << 16;

/** Longest `keyRetentionSeconds`: 366 days. */
export const LEDGER_KEY_RETENTION_S_MAX = 366 * 86_400;
/** The store purges index rows past the retention at most once per this many seconds of ledger time. */
export const LEDGER_KEY_INDEX_PURGE_EVERY_S = 60;
/** The idempotency key of the `setKeyRetention` a store with `keyRetentionSeconds` journals on a new ledger. */
export const LEDGER_KEY_RETENTION_IDEMPOTENCY_KEY = 'countersign.ledger-store.keys-kept-by-store';

/** A store's keyed index of idempotency keys: the retention, and the seal of its rows. */
interface KeyIndex {
  readonly retention: number;
  /** Rows are `HMAC`-sealed under a key derived from the snapshot key for this purpose alone. */
  readonly seal: SealedLog;
}

/** The success codes: a chain stands when each of its members has one. */
const LEDGER_SUCCESS_CODES: ReadonlySet<LedgerCode> = new Set<LedgerCode>([
  'ACCOUNT_OPENED', 'TRANSFERRED', 'HELD', 'INCREMENTED', 'EXTENDED', 'POSTED', 'VOIDED',
  'DUE_HOLDS_EXPIRED', 'MORE_HOLDS_DUE', 'CREDIT_LIMIT_SET', 'ACCOUNT_CLOSED', 'KEY_RETENTION_SET',
]);

function linkedFailed(): LedgerOutcome {
  return { code: 'LINKED_OPERATION_FAILED', seq: 0, repeated: false, hold: null, expired: [] };
}

export interface LedgerStoreOptions {
  /** Names the ledger's keys and log: `ledger/<name>/...` (default `main`). */
  readonly name?: string;
  /** Snapshot after this many entries since the last snapshot (1 .. 2^20, default 1024). */
  readonly snapshotEvery?: number;
  /**
   * Keep every idempotency key for this many seconds of ledger time (1 ..
   * {@link LEDGER_KEY_RETENTION_S_MAX}; payment APIs keep them 86,400: a day), beyond the
   * ledger's own window of 32,768 keys: a repeat within it is answered with its stored outcome
   * by {@link LedgerStore.execute} / {@link LedgerStore.executeBatch}, at any rate of new
   * operations. Needs a storage with the keyed index (MemoryStorage, PostgresStorage); applies to
   * a new ledger (see docs/ledger.md, *Keys for a day*).
   */
  readonly keyRetentionSeconds?: number;
}

/**
 * Persists a ledger as snapshots plus a write-ahead journal log, so that a commit costs
 * O(new entries), not O(state), and a crash loses nothing acknowledged:
 *
 * - `ledger/<name>/journal` (log): records of up to {@link LEDGER_LOG_RECORD_ENTRIES_MAX}
 *   journal entries each — header `firstSeq` (u64 BE) + `count` (u32 BE, its top bit set when
 *   the commit goes on in the next record), then each entry as u32 BE length + bytes, then a
 *   32-byte HMAC-SHA256 tag over the ledger's name and all of the above, under a key derived from
 *   the snapshot key. The entries' SHA-256 chain alone would not do: anyone able to write the
 *   storage could compute a chain of forged transfers;
 * - `ledger/<name>/snapshot` (key): u64 BE = the last log record the snapshot covers, then
 *   `Ledger.snapshot()` bytes.
 *
 * Every record is appended at the log position the store expects (`append` with `expectedSeq`,
 * the log's compare-and-swap): when another writer (a tab, a process) appended first, the append
 * writes nothing and `commit` resolves to `false`, so two writers can never interleave their
 * entries. A commit spanning several records counts only once its last record is in: a commit
 * cut short (a crash, or a writer that lost the position half-way) is skipped on load, and the
 * next commit continues from the entries before it.
 *
 * `load()` restores the snapshot and re-applies the entries logged after it; the core checks
 * the hash chain and that each entry re-executes to exactly its recorded result. A store also
 * refuses to load a ledger older than one it has already loaded or committed (a rollback of the
 * storage); across processes that needs a trusted counter, which storage alone cannot give.
 */
export class LedgerStore {
  /** Compare-and-swap of the writer and snapshot keys, rollback memory (store.ts). */
  readonly #store: StateStore;
  /** The log's records, HMAC-tagged under a key derived from the snapshot key. */
  readonly #log: SealedLog;
  readonly #checked: CheckedStorage;
  readonly #name: string;
  readonly #snapshotEvery: number;
  #persistedSeq = 0;
  #snapshotSeq = 0;
  /** Records in the log as this store last saw it: the next append expects this + 1. */
  #logRecords = 0;
  /** The last record of the last whole commit (what a snapshot may claim to cover). */
  #committedRecords = 0;
  /** With `keyRetentionSeconds`: the retention, and the index rows' seal (another derived key). */
  readonly #keys: KeyIndex | undefined;
  /** Ledger time of the last purge of the index. */
  #purgedAt = Number.MIN_SAFE_INTEGER;

  constructor(storage: StorageAdapter, snapshotKey: Uint8Array, options?: LedgerStoreOptions) {
    try {
      const [adapter, key, given] = ownConstructorArgs(arguments, [raw('storage'), 'snapshotKey', 'options'], 'new LedgerStore');
      const checked = CheckedStorage.of(adapter, 'storage');
      const ownKey = expectBytes(key, 'snapshotKey');
      const opts = given === undefined ? {} : expectObject(given, 'options', ['name', 'snapshotEvery', 'keyRetentionSeconds']);
      this.#name = opts.name === undefined ? 'main' : expectString(opts.name, 'options.name');
      this.#snapshotEvery =
        opts.snapshotEvery === undefined
          ? LEDGER_SNAPSHOT_EVERY_DEFAULT
          : expectInteger(opts.snapshotEvery, 'options.snapshotEvery', 1, 1 << 20);
      this.#store = new StateStore(checked, ownKey);
      this.#log = new SealedLog(ownKey, 'countersign/ledger-store/log-key/v1', this.#name, 'ledger');
      if (opts.keyRetentionSeconds === undefined) {
        this.#keys = undefined;
      } else {
        const retention = expectInteger(opts.keyRetentionSeconds, 'options.keyRetentionSeconds', 1, LEDGER_KEY_RETENTION_S_MAX);
        if (!checked.hasKeyedIndex) {
          throw new CountersignRangeError(
            'INVALID_ARGUMENT',
            'countersign: storage: has no keyed index (appendIndexed, indexGet, indexPurge), which options.keyRetentionSeconds needs (see docs/storage.md: the memory and PostgreSQL adapters have one)',
            'storage',
          );
        }
        this.#keys = { retention, seal: new SealedLog(ownKey, 'countersign/ledger-store/key-index/v1', this.#name, 'ledger') };
      }
      this.#checked = checked;
      adopt(this, LedgerStore);
    } catch (e) {
      throw toSdkError(e, 'new LedgerStore');
    }
  }

  get #prefix(): string {
    return `ledger/${this.#name}/`;
  }

  /** The stored ledger (an empty one when nothing is stored yet). */
  async load(): Promise<Ledger> {
    const stored = await this.#store.get(`${this.#prefix}snapshot`);
    let ledger: Ledger;
    let logAfter = 0;
    if (stored === null) {
      ledger = Ledger.create();
    } else {
      if (stored.value.length < 8) throw corrupt('the snapshot record is too short');
      logAfter = Number(new DataView(stored.value.buffer, stored.value.byteOffset, 8).getBigUint64(0));
      ledger = Ledger.restore(stored.value.subarray(8), this.#store.snapshotKey);
    }
    try {
      const snapshotSeq = ledger.head().seq;
      let committedRecords = logAfter;
      // Entries of a commit whose last record is not read yet, and the seq they follow.
      let open: Uint8Array[] = [];
      // Re-apply what was logged after the snapshot; a page at a time (bounded memory per step).
      const firstRecord = logAfter;
      for (;;) {
        if (logAfter - firstRecord >= LEDGER_LOAD_LOG_RECORDS_MAX) {
          throw new CountersignRangeError(
            'LIMIT_EXCEEDED',
            `countersign: storage: more than ${LEDGER_LOAD_LOG_RECORDS_MAX} journal log records after the snapshot (are snapshots failing?)`,
            'storage',
          );
        }
        const records = await this.#store.readLog(`${this.#prefix}journal`, { after: logAfter, limit: LOG_READ_PAGE });
        if (records.length === 0) break;
        const whole: Uint8Array[] = []; // entries of the commits completed in this page
        for (const { seq, record } of records) {
          logAfter = seq;
          const head = ledger.head().seq + whole.length;
          const { firstSeq, entries, continued } = unpackRecord(this.#log.open(record, `journal log record ${seq}`));
          if (open.length > 0 && firstSeq === head + open.length + 1) {
            for (const entry of entries) open.push(entry); // the open commit goes on
          } else if (firstSeq <= head + 1) {
            // A commit starting at the head: any open one before it was cut short and is skipped.
            // (Entries at or below the head: from before the snapshot.)
            open = entries.filter((_, i) => firstSeq + i > head);
          } else {
            throw corrupt(`journal log record ${seq} starts at entry ${firstSeq}, after entry ${head + open.length}`);
          }
          if (!continued) {
            for (const entry of open) whole.push(entry);
            open = [];
            committedRecords = seq;
          }
        }
        ledger.applyJournal(whole);
      }
      const persistedSeq = ledger.head().seq;
      this.#store.noteFreshness(
        this.#prefix,
        persistedSeq,
        (found, seen) => found < seen,
        'storage',
        (seen) => `the stored ledger ends at seq ${persistedSeq}, older than seq ${seen} already seen`,
      );
      this.#snapshotSeq = snapshotSeq;
      this.#logRecords = logAfter;
      this.#committedRecords = committedRecords;
      this.#persistedSeq = persistedSeq;
      this.#checkKeyMode(ledger, persistedSeq === 0);
    } catch (e) {
      ledger.free();
      throw e;
    }
    return ledger;
  }

  /**
   * With `keyRetentionSeconds` the ledger must keep its keys in the store: a new ledger is told
   * so (journaled `setKeyRetention`, committed with the first commit); an existing one that keeps
   * them itself is refused (the keys it committed before have no index rows). Without the option
   * a ledger whose keys the store keeps is refused: its forgotten keys' repeats would run again.
   */
  #checkKeyMode(ledger: Ledger, isNew: boolean): void {
    const mode = ledger.keysKeptBy;
    if (this.#keys === undefined) {
      if (mode === 'store') {
        throw new CountersignRangeError('INVALID_ARGUMENT', 'countersign: options.keyRetentionSeconds: the stored ledger keeps its idempotency keys in the store: open it with keyRetentionSeconds', 'options.keyRetentionSeconds');
      }
    } else if (mode === 'ledger') {
      if (!isNew) {
        throw new CountersignRangeError('INVALID_ARGUMENT', 'countersign: options.keyRetentionSeconds: the stored ledger keeps its idempotency keys itself (its committed keys have no index rows): use keyRetentionSeconds for a new ledger', 'options.keyRetentionSeconds');
      }
      ledger.setKeyRetention({ idempotencyKey: LEDGER_KEY_RETENTION_IDEMPOTENCY_KEY, now: Math.max(ledger.clock, 0), keysKeptBy: 'store' });
    }
  }

  /**
   * Runs `operation` on `ledger` as `ledger.execute` does, but answers a repeat of a key the
   * ledger has forgotten from the store's index (within `keyRetentionSeconds` of ledger time)
   * with its stored outcome (`repeated: true`, code and seq, `hold: null`), so that an operation
   * is never executed twice within the retention. One index read per call. Without
   * `keyRetentionSeconds`: `ledger.execute(operation)`.
   */
  async execute(ledger: Ledger, operation: LedgerOperation): Promise<LedgerOutcome> {
    if (!isOwned(ledger, Ledger)) throw typeError('ledger', 'a Ledger', ledger);
    if (this.#keys !== undefined) {
      const rows = await this.#lookup([operation]);
      const answer = rows.size === 0 ? undefined : this.#answer(ledger, operation, rows);
      if (answer !== undefined) return answer;
    }
    return ledger.execute(operation);
  }

  /**
   * Runs a batch as `ledger.executeBatch` does, answering repeats of keys the ledger has
   * forgotten from the store's index (one index read per batch), as {@link LedgerStore.execute}.
   * A linked chain stands or fails as one as in the ledger: members answered from the index are
   * repeats of successes that do nothing again, the others run as a chain; when the chain fails
   * the answered members answer `LINKED_OPERATION_FAILED`. A chain with a member answered
   * `IDEMPOTENCY_KEY_REUSED` (or a stored rejection) from the index fails at that member
   * without running the others (the ledger would report the first failing member; an earlier
   * member that would also fail is not tried).
   */
  async executeBatch(ledger: Ledger, operations: readonly LedgerBatchOperation[]): Promise<LedgerOutcome[]> {
    if (!isOwned(ledger, Ledger)) throw typeError('ledger', 'a Ledger', ledger);
    const list = expectArray(operations, 'operations') as LedgerBatchOperation[];
    if (this.#keys === undefined || list.length === 0 || list.length > LEDGER_BATCH_OPERATIONS_MAX) return ledger.executeBatch(list);
    const rows = await this.#lookup(list);
    if (rows.size === 0) return ledger.executeBatch(list);
    const answers: (LedgerOutcome | undefined)[] = [];
    try {
      for (const operation of list) answers.push(this.#answer(ledger, { op: operation.op, request: operation.request } as LedgerOperation, rows));
    } catch (e) {
      // A row that fails its seal or holds another key's entry is the storage's fault: never
      // run the operations as new ones over it.
      if (e instanceof CountersignError && e.code === 'STORAGE_CORRUPT') throw e;
      // A malformed operation: the ledger names it by its place in the batch, and runs nothing.
      return ledger.executeBatch(list);
    }
    if (answers.every((answer) => answer === undefined)) return ledger.executeBatch(list);
    return this.#runAround(ledger, list, answers);
  }

  /** The batch with the operations answered from the index left out (see `executeBatch`). */
  #runAround(ledger: Ledger, list: readonly LedgerBatchOperation[], answers: readonly (LedgerOutcome | undefined)[]): LedgerOutcome[] {
    // Errors that depend on the batch's shape (an open chain, an account opened in a chain) are
    // the ledger's to name, on the whole batch.
    const last = list[list.length - 1];
    const shapeError = last?.linked === true || list.some((o, i) => o.op === 'openAccount' && (o.linked === true || list[i - 1]?.linked === true));
    if (shapeError) return ledger.executeBatch(list);
    const outcomes: (LedgerOutcome | undefined)[] = new Array(list.length).fill(undefined);
    const run: LedgerBatchOperation[] = [];
    /** For each operation run: its index in `list`. */
    const placeOf: number[] = [];
    /** For each chain that runs partly: its members' indexes and the answered ones. */
    const chains: { members: number[]; answered: number[] }[] = [];
    let start = 0;
    // One chain per round, bounded by the batch.
    while (start < list.length) {
      let end = start;
      while (list[end]?.linked === true) end += 1;
      const members = Array.from({ length: end - start + 1 }, (_, k) => start + k);
      const answered = members.filter((i) => answers[i] !== undefined);
      const failing = answered.find((i) => !LEDGER_SUCCESS_CODES.has((answers[i] as LedgerOutcome).code));
      if (members.length > 1 && failing !== undefined) {
        for (const i of members) outcomes[i] = i === failing ? answers[i] : linkedFailed();
      } else {
        for (const i of answered) outcomes[i] = answers[i];
        const rest = members.filter((i) => answers[i] === undefined);
        rest.forEach((i, k) => {
          const operation = list[i] as LedgerBatchOperation;
          run.push({ op: operation.op, request: operation.request, linked: k < rest.length - 1 } as LedgerBatchOperation);
          placeOf.push(i);
        });
        if (members.length > 1 && answered.length > 0) chains.push({ members, answered });
      }
      start = end + 1;
    }
    const ran = run.length === 0 ? [] : ledger.executeBatch(run);
    ran.forEach((outcome, k) => (outcomes[placeOf[k] as number] = outcome));
    // A chain whose other members failed: its answered members did not stand either.
    for (const { members, answered } of chains) {
      const ranMembers = members.filter((i) => !answered.includes(i));
      if (ranMembers.some((i) => !LEDGER_SUCCESS_CODES.has((outcomes[i] as LedgerOutcome).code))) {
        for (const i of answered) outcomes[i] = linkedFailed();
      }
    }
    return outcomes as LedgerOutcome[];
  }

  /** The index rows of the operations' keys (one read), by key. */
  async #lookup(operations: readonly { readonly request?: unknown }[]): Promise<Map<string, IndexRow>> {
    const keys = new Set<string>();
    for (const operation of operations) {
      const key = (operation?.request as { idempotencyKey?: unknown } | undefined)?.idempotencyKey;
      // A key that is no valid id is the ledger's to refuse, naming it.
      if (typeof key === 'string' && key.length > 0 && key.length <= 64 && !/[\u0000-\u001f\u007f-\u009f]/.test(key)) keys.add(key);
    }
    if (keys.size === 0 || keys.size > STORAGE_INDEX_ROWS_MAX) return new Map();
    const rows = await this.#checked.indexGet(this.#indexName, [...keys]);
    return new Map(rows.map((row) => [row.key, row]));
  }

  /**
   * The stored answer to `operation`, if its key has an index row within the retention and the
   * ledger does not retain the key itself. The row's value is authenticated (its seal: a forged
   * row is STORAGE_CORRUPT, never a false "repeated"); its time is the one sealed with it.
   */
  #answer(ledger: Ledger, operation: LedgerOperation, rows: ReadonlyMap<string, IndexRow>): LedgerOutcome | undefined {
    const keys = this.#keys as KeyIndex;
    const request = operation.request as { idempotencyKey: string; now: number };
    const row = rows.get(request.idempotencyKey);
    if (row === undefined) return undefined;
    const body = keys.seal.open(row.value, `index row of key ${JSON.stringify(row.key)}`);
    if (body.length < 8) throw corrupt('an index row is too short');
    const time = Number(new DataView(body.buffer, body.byteOffset, 8).getBigInt64(0));
    const now = Math.max(typeof request.now === 'number' ? request.now : 0, ledger.clock);
    // Past the retention: the key is forgotten, the operation runs as a new one.
    if (time + keys.retention < now) return undefined;
    try {
      return ledger.answerFromEntry(operation, body.subarray(8));
    } catch (e) {
      // A genuine row moved under another key (its entry is that key's), or not an entry.
      if (e instanceof CountersignError && e.param === 'entry') throw corrupt(`the index row of key ${JSON.stringify(row.key)} does not hold that key's journal entry: ${e.message}`);
      throw e;
    }
  }

  get #indexName(): string {
    return `${this.#prefix}keys`;
  }

  /**
   * Persists the operations run since the last commit (or load) and truncates them from the
   * ledger's retained journal; snapshots every `snapshotEvery` entries. Resolves to `false`,
   * with nothing of this commit ever loaded, when another writer committed to this ledger since
   * this store loaded it: discard this ledger and `load()` again.
   */
  async commit(ledger: Ledger): Promise<boolean> {
    if (!isOwned(ledger, Ledger)) throw typeError('ledger', 'a Ledger', ledger);
    if (this.#keys !== undefined && ledger.keysKeptBy !== 'store') {
      throw new CountersignRangeError('INVALID_ARGUMENT', 'countersign: ledger: keeps its idempotency keys itself: load() it from this store (keyRetentionSeconds)', 'ledger');
    }
    const entries = ledger.journalAfter(this.#persistedSeq);
    if (entries.length === 0) return true;
    // The index rows of the whole commit go with its last record (a commit counts once its last
    // record is in: rows of a commit cut short would answer for entries that never stood).
    const rows = this.#keys === undefined ? [] : this.#indexRows(ledger, entries);
    const lastSeq = this.#persistedSeq + entries.length;
    for (let i = 0; i < entries.length; i += LEDGER_LOG_RECORD_ENTRIES_MAX) {
      const chunk = entries.slice(i, i + LEDGER_LOG_RECORD_ENTRIES_MAX);
      const continued = i + LEDGER_LOG_RECORD_ENTRIES_MAX < entries.length;
      const expected = this.#logRecords + 1;
      const record = this.#log.seal(packRecord(this.#persistedSeq + i + 1, chunk, continued));
      const logSeq =
        this.#keys !== undefined && !continued
          ? await this.#checked.appendIndexed(`${this.#prefix}journal`, record, expected, this.#indexName, rows)
          : await this.#store.append(`${this.#prefix}journal`, record, expected);
      // Another writer took the position: its records follow what this store loaded, ours do
      // not. Records of this commit already in are a commit cut short, which loads skip.
      if (logSeq === 0) return false;
      this.#logRecords = logSeq;
    }
    this.#committedRecords = this.#logRecords;
    this.#persistedSeq = lastSeq;
    this.#store.noteFreshness(
      this.#prefix,
      lastSeq,
      (found, seen) => found < seen,
      'storage',
      (seen) => `committing through seq ${lastSeq}, older than seq ${seen} already seen`,
    );
    ledger.truncateJournal(lastSeq);
    if (lastSeq - this.#snapshotSeq >= this.#snapshotEvery) await this.snapshot(ledger);
    await this.#purge(ledger.clock);
    return true;
  }

  /** One sealed index row per entry: key → (effective time ‖ entry bytes); a key's last entry wins. */
  #indexRows(ledger: Ledger, entries: readonly Uint8Array[]): IndexRow[] {
    const keys = ledger.journalKeysAfter(this.#persistedSeq);
    if (keys.length !== entries.length) throw new CountersignRangeError('INTERNAL', 'countersign: ledger: its journal keys do not match its entries', 'ledger');
    const rows = new Map<string, IndexRow>();
    keys.forEach(({ idempotencyKey, time }, i) => {
      const entry = entries[i] as Uint8Array;
      const body = new Uint8Array(8 + entry.length);
      new DataView(body.buffer).setBigInt64(0, BigInt(time));
      body.set(entry, 8);
      rows.delete(idempotencyKey);
      rows.set(idempotencyKey, { key: idempotencyKey, value: (this.#keys as KeyIndex).seal.seal(body), time });
    });
    return [...rows.values()];
  }

  /**
   * Deletes the index rows past the retention, at most once per LEDGER_KEY_INDEX_PURGE_EVERY_S of
   * ledger time. Housekeeping after a commit that is already durable: a failure is not the
   * commit's (lookups ignore rows past the retention anyway), so it is retried at the next
   * commit instead of thrown.
   */
  async #purge(clock: number): Promise<void> {
    if (this.#keys === undefined || clock - this.#purgedAt < LEDGER_KEY_INDEX_PURGE_EVERY_S) return;
    const previous = this.#purgedAt;
    this.#purgedAt = clock;
    try {
      await this.#checked.indexPurge(this.#indexName, clock - this.#keys.retention);
    } catch {
      this.#purgedAt = previous;
    }
  }

  /** Writes a snapshot now (after `commit`: the snapshot must not be ahead of the log). */
  async snapshot(ledger: Ledger): Promise<void> {
    if (!isOwned(ledger, Ledger)) throw typeError('ledger', 'a Ledger', ledger);
    if (ledger.head().seq !== this.#persistedSeq) {
      throw new CountersignRangeError('INVALID_ARGUMENT', 'countersign: ledger: has operations not yet committed: commit() before snapshot()', 'ledger');
    }
    const body = ledger.snapshot(this.#store.snapshotKey);
    const value = new Uint8Array(8 + body.length);
    // Not #logRecords: records after the last whole commit may belong to a commit still being
    // written by another writer, which a load must read again.
    value.set(u64(this.#committedRecords), 0);
    value.set(body, 8);
    const covered = this.#persistedSeq;
    // A conflict means another writer snapshotted; the log stays the truth, so it is harmless.
    if (await this.#store.put(`${this.#prefix}snapshot`, value)) this.#snapshotSeq = covered;
  }

  /** The last seq persisted by this store. */
  get persistedSeq(): number {
    return this.#persistedSeq;
  }
}

guardClass(Ledger, {
  methods: {
    openAccount: ['request'],
    transfer: ['request'],
    hold: ['request'],
    increment: ['request'],
    extend: ['request'],
    post: ['request'],
    void: ['request'],
    expireDue: ['request'],
    setCreditLimit: ['request'],
    closeAccount: ['request'],
    setKeyRetention: ['request'],
    keysKeptBy: [],
    keyWindow: [],
    setCapacity: ['request'],
    capacity: [],
    answerFromEntry: ['operation', 'entry'],
    journalKeysAfter: ['afterSeq'],
    execute: ['operation'],
    executeBatch: ['operations'],
    account: ['accountId'],
    accounts: [],
    holdView: ['holdId'],
    pendingHolds: [],
    clock: [],
    head: [],
    counts: [],
    journal: [],
    journalAfter: ['afterSeq'],
    truncateJournal: ['throughSeq'],
    applyJournal: ['entries'],
    snapshot: ['snapshotKey'],
    stateDigest: [],
    checkInvariants: [],
    copy: [],
    free: [],
  },
  statics: { create: ['options'], restore: ['snapshot', 'snapshotKey'], replay: ['entries'] },
});

guardClass(LedgerStore, {
  methods: { load: [], commit: ['ledger'], snapshot: ['ledger'], persistedSeq: [], execute: ['ledger', 'operation'], executeBatch: ['ledger', 'operations'] },
});

function u64(value: number): Uint8Array {
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, BigInt(value));
  return out;
}

/** Top bit of a record's count: the commit goes on in the next record. */
const RECORD_CONTINUED = 0x8000_0000;

function packRecord(firstSeq: number, entries: readonly Uint8Array[], continued: boolean): Uint8Array {
  let size = 12;
  for (const e of entries) size += 4 + e.length;
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(firstSeq));
  view.setUint32(8, (entries.length | (continued ? RECORD_CONTINUED : 0)) >>> 0);
  let at = 12;
  for (const e of entries) {
    view.setUint32(at, e.length);
    out.set(e, at + 4);
    at += 4 + e.length;
  }
  return out;
}

interface UnpackedRecord {
  readonly firstSeq: number;
  readonly entries: Uint8Array[];
  /** The commit goes on in the next record. */
  readonly continued: boolean;
}

/** A log record's entries; a malformed record is STORAGE_CORRUPT. */
function unpackRecord(record: Uint8Array): UnpackedRecord {
  if (record.length < 12) throw corrupt('a journal log record is too short');
  const view = new DataView(record.buffer, record.byteOffset, record.length);
  const firstSeq = Number(view.getBigUint64(0));
  const countWord = view.getUint32(8);
  const continued = (countWord & RECORD_CONTINUED) !== 0;
  const count = countWord & ~RECORD_CONTINUED;
  if (count > LEDGER_LOG_RECORD_ENTRIES_MAX) throw corrupt(`a journal log record holds ${count} entries`);
  const entries: Uint8Array[] = [];
  let at = 12;
  for (let i = 0; i < count; i++) {
    if (at + 4 > record.length) throw corrupt('a journal log record is truncated');
    const len = view.getUint32(at);
    if (at + 4 + len > record.length) throw corrupt('a journal log record is truncated');
    entries.push(record.subarray(at + 4, at + 4 + len));
    at += 4 + len;
  }
  if (at !== record.length) throw corrupt('a journal log record has trailing bytes');
  return { firstSeq, entries, continued };
}
