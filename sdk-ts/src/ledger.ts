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
import { CountersignRangeError, fromWasmError } from './errors.js';
import { WasmObject, handleOf, withHandle } from './handle.js';
import { SealedLog, StateStore, corrupt } from './store.js';
import { call } from './calls.js';
import {
  INTERNAL_CONSTRUCTION,
  adopt,
  checkInternalConstruction,
  guardClass,
  guardFunction,
  isOwned,
  ownConstructorArgs,
  raw,
  toSdkError,
} from './boundary.js';
import { CheckedStorage } from './storage/checked.js';
import { wasm } from './loader.js';
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
  LedgerBatchOperation,
  LedgerCode,
  LedgerCounts,
  LedgerOperation,
  LedgerOutcome,
  OpenAccountRequest,
  PostRequest,
  SetCreditLimitRequest,
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
  LedgerBatchOperation,
  LedgerCode,
  LedgerCounts,
  LedgerOperation,
  LedgerOutcome,
  OpenAccountRequest,
  PostRequest,
  SetCreditLimitRequest,
  TransferRequest,
  VoidRequest,
};

/** Every ledger outcome code (the docs/ledger.md table; `ledgerCodes()` describes each). */
export const LEDGER_CODES = Object.freeze([
  'ACCOUNT_OPENED', 'TRANSFERRED', 'HELD', 'INCREMENTED', 'EXTENDED', 'POSTED', 'VOIDED',
  'DUE_HOLDS_EXPIRED', 'MORE_HOLDS_DUE', 'CREDIT_LIMIT_SET', 'ACCOUNT_CLOSED',
  'IDEMPOTENCY_KEY_REUSED', 'IDEMPOTENCY_KEYS_FULL', 'JOURNAL_FULL', 'LINKED_OPERATION_FAILED', 'AMOUNT_NOT_POSITIVE',
  'SAME_ACCOUNT', 'UNKNOWN_ACCOUNT', 'ACCOUNT_EXISTS', 'ACCOUNTS_FULL', 'ACCOUNT_ALREADY_CLOSED',
  'ACCOUNT_NOT_EMPTY', 'CURRENCY_MISMATCH', 'INSUFFICIENT_FUNDS', 'BALANCE_OVERFLOW',
  'NOT_A_CREDIT_LINE', 'CREDIT_LIMIT_BELOW_USAGE', 'UNKNOWN_HOLD', 'HOLD_EXISTS', 'HOLDS_FULL',
  'ACCOUNT_HOLDS_FULL', 'DEADLINE_INVALID', 'EXCEEDS_HOLD', 'HOLD_ALREADY_POSTED',
  'HOLD_ALREADY_VOIDED', 'HOLD_EXPIRED',
] as const satisfies readonly LedgerCode[]);
// Compile-time: LEDGER_CODES names every code of the generated union.
type _LedgerCodesComplete = Exhaustive<Exclude<LedgerCode, (typeof LEDGER_CODES)[number]>>;

/** Limits the core enforces (see docs/ledger.md "Limits"). */
export const LEDGER_BATCH_OPERATIONS_MAX = 1024;
export const LEDGER_SNAPSHOT_KEY_BYTES = 32;

// ---------------------------------------------------------------------------------------------
// Argument checks and calls

/** The glue's class, named from its declarations (shipped in wasm/): the public class's
 * `extends WasmObject<Handle>` appears in dist/*.d.ts, where the internal `wasm()` does not. */
type Handle = import('../wasm/countersign_wasm.js').LedgerHandle;

/** Each ledger outcome code with its description, from the core. */
export const ledgerCodes = guardFunction(function ledgerCodes(): { code: LedgerCode; description: string }[] {
  return call(() => wasm('ledger').ledgerCodes());
}, []);

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

  /** An empty ledger. */
  static create(): Ledger {
    return new Ledger(INTERNAL_CONSTRUCTION, call<Handle>(() => new (wasm('ledger').LedgerHandle)()));
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
    // Each operation (a field besides op, request and linked included) is checked by the adapter
    // and the core, naming its path (`operations[3].request.amount`, `operations[0].linkd`);
    // nothing runs unless all are well-formed.
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
  list.forEach((entry, i) => expectBytes(entry, `entries[${i}]`));
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

export interface LedgerStoreOptions {
  /** Names the ledger's keys and log: `ledger/<name>/...` (default `main`). */
  readonly name?: string;
  /** Snapshot after this many entries since the last snapshot (1 .. 2^20, default 1024). */
  readonly snapshotEvery?: number;
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
  readonly #name: string;
  readonly #snapshotEvery: number;
  #persistedSeq = 0;
  #snapshotSeq = 0;
  /** Records in the log as this store last saw it: the next append expects this + 1. */
  #logRecords = 0;
  /** The last record of the last whole commit (what a snapshot may claim to cover). */
  #committedRecords = 0;

  constructor(storage: StorageAdapter, snapshotKey: Uint8Array, options?: LedgerStoreOptions) {
    try {
      const [adapter, key, given] = ownConstructorArgs(arguments, [raw('storage'), 'snapshotKey', 'options'], 'new LedgerStore');
      const checked = CheckedStorage.of(adapter, 'storage');
      const ownKey = expectBytes(key, 'snapshotKey');
      const opts = given === undefined ? {} : expectObject(given, 'options', ['name', 'snapshotEvery']);
      this.#name = opts.name === undefined ? 'main' : expectString(opts.name, 'options.name');
      this.#snapshotEvery =
        opts.snapshotEvery === undefined
          ? LEDGER_SNAPSHOT_EVERY_DEFAULT
          : expectInteger(opts.snapshotEvery, 'options.snapshotEvery', 1, 1 << 20);
      this.#store = new StateStore(checked, ownKey);
      this.#log = new SealedLog(ownKey, 'countersign/ledger-store/log-key/v1', this.#name, 'ledger');
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
    } catch (e) {
      ledger.free();
      throw e;
    }
    return ledger;
  }

  /**
   * Persists the operations run since the last commit (or load) and truncates them from the
   * ledger's retained journal; snapshots every `snapshotEvery` entries. Resolves to `false`,
   * with nothing of this commit ever loaded, when another writer committed to this ledger since
   * this store loaded it: discard this ledger and `load()` again.
   */
  async commit(ledger: Ledger): Promise<boolean> {
    if (!isOwned(ledger, Ledger)) throw typeError('ledger', 'a Ledger', ledger);
    const entries = ledger.journalAfter(this.#persistedSeq);
    if (entries.length === 0) return true;
    const lastSeq = this.#persistedSeq + entries.length;
    for (let i = 0; i < entries.length; i += LEDGER_LOG_RECORD_ENTRIES_MAX) {
      const chunk = entries.slice(i, i + LEDGER_LOG_RECORD_ENTRIES_MAX);
      const continued = i + LEDGER_LOG_RECORD_ENTRIES_MAX < entries.length;
      const expected = this.#logRecords + 1;
      const record = this.#log.seal(packRecord(this.#persistedSeq + i + 1, chunk, continued));
      const logSeq = await this.#store.append(`${this.#prefix}journal`, record, expected);
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
    return true;
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
  statics: { create: [], restore: ['snapshot', 'snapshotKey'], replay: ['entries'] },
});

guardClass(LedgerStore, {
  methods: { load: [], commit: ['ledger'], snapshot: ['ledger'], persistedSeq: [] },
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
