/**
 * transfer (System 7), the lifecycle half: provider A's book of transfers on its ledger.
 *
 * One role, one class: {@link TransferBook} — provider A's side of a transfer to provider B,
 * Mojaloop's two-phase transfer with an Interledger condition: **quote** (provider B's terms:
 * amount, fee, deadline) → **reserve** (amount and fee held together, as one linked chain of the
 * ledger, until the quote's deadline) → **commit** (only with the fulfilment whose SHA-256 is the
 * condition, before the deadline) or **abort**. Every request carries a `requestId`: the same id
 * with the same body answers the first answer again (`repeated: true`), with the deadline checked
 * again at the retry's `now`; the same id with another body is `REQUEST_ID_REUSED`. A quote serves
 * one transfer. {@link TransferBookStore} persists a book through any storage adapter (PostgreSQL
 * for the router, files, IndexedDB in a page), with compare-and-swap and rollback refusal.
 *
 * Every rule lives in the Rust core (core/src/transfer/lifecycle.rs, docs/transfer-lifecycle.md);
 * this module validates arguments and converts them. Money crosses as decimal strings.
 */
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
import { call } from './calls.js';
import { CountersignRangeError } from './errors.js';
import type { Exhaustive } from './exhaustive.js';
import { WasmObject, withHandle } from './handle.js';
import { wasm } from './loader.js';
import { CheckedStorage } from './storage/checked.js';
import type { StorageAdapter } from './storage/types.js';
import { StateStore, type PersistedState } from './store.js';
import { expectBytes, expectObject, expectString, rangeError, typeError } from './validate.js';
import type { AccountView } from './generated/ledger.js';
import type {
  Abort,
  BookConfig,
  Commit,
  ExpireDue,
  Fund,
  LifecycleCode,
  LifecycleOutcome,
  LifecycleRequest,
  OpenAccount,
  Quote,
  QuoteView,
  Reserve,
  TransferState,
  TransferView,
} from './generated/transfer-lifecycle.js';
export type {
  Abort as TransferAbortRequest,
  BookConfig as TransferBookConfig,
  Commit as TransferCommitRequest,
  ExpireDue as TransferExpireDueRequest,
  Fund as TransferFundRequest,
  LifecycleCode as TransferLifecycleCode,
  LifecycleOutcome as TransferLifecycleOutcome,
  LifecycleRequest as TransferLifecycleRequest,
  OpenAccount as TransferOpenAccountRequest,
  Quote as TransferQuoteRequest,
  QuoteView as TransferQuoteView,
  Reserve as TransferReserveRequest,
  TransferState,
  TransferView,
};

/** Every outcome code, in the core's order (docs/transfer-lifecycle.md, *Check order*). */
export const TRANSFER_LIFECYCLE_CODES = Object.freeze([
  'ACCOUNT_OPENED', 'FUNDED', 'QUOTED', 'RESERVED', 'COMMITTED', 'ABORTED', 'DUE_EXPIRED', 'MORE_DUE',
  'REQUEST_ID_REUSED', 'REQUESTS_FULL', 'ACCOUNT_EXISTS', 'AMOUNT_NOT_POSITIVE', 'UNKNOWN_ACCOUNT', 'QUOTE_EXISTS',
  'FEE_NEGATIVE', 'EXPIRY_INVALID', 'SAME_ACCOUNT', 'QUOTES_FULL', 'TRANSFER_EXISTS', 'UNKNOWN_QUOTE', 'QUOTE_USED',
  'QUOTE_EXPIRED', 'TRANSFERS_FULL', 'INSUFFICIENT_FUNDS', 'UNKNOWN_TRANSFER', 'ALREADY_COMMITTED', 'ALREADY_ABORTED',
  'TRANSFER_EXPIRED', 'LATE_FULFILMENT', 'FULFILMENT_MISMATCH', 'LEDGER_REFUSED',
] as const satisfies readonly LifecycleCode[]);
// Compile-time: the list names every member of the generated union.
type _CodesComplete = Exhaustive<Exclude<LifecycleCode, (typeof TRANSFER_LIFECYCLE_CODES)[number]>>;

/** Codes every request may answer before its own checks (idempotency). */
export type TransferCommonCode = 'REQUEST_ID_REUSED' | 'REQUESTS_FULL';
/** What {@link TransferBook.quote} answers (a retry past the deadline: `QUOTE_EXPIRED`). */
export type TransferQuoteOutcome = LifecycleOutcome & {
  readonly code: TransferCommonCode | 'QUOTED' | 'QUOTE_EXISTS' | 'AMOUNT_NOT_POSITIVE' | 'FEE_NEGATIVE' | 'EXPIRY_INVALID' | 'SAME_ACCOUNT' | 'UNKNOWN_ACCOUNT' | 'QUOTES_FULL' | 'QUOTE_EXPIRED';
};
/** What {@link TransferBook.reserve} answers (a retry past the deadline: `TRANSFER_EXPIRED`). */
export type TransferReserveOutcome = LifecycleOutcome & {
  readonly code: TransferCommonCode | 'RESERVED' | 'TRANSFER_EXISTS' | 'UNKNOWN_QUOTE' | 'QUOTE_USED' | 'QUOTE_EXPIRED' | 'TRANSFERS_FULL' | 'INSUFFICIENT_FUNDS' | 'LEDGER_REFUSED' | 'TRANSFER_EXPIRED';
};
/** What {@link TransferBook.commit} answers. */
export type TransferCommitOutcome = LifecycleOutcome & {
  readonly code: TransferCommonCode | 'COMMITTED' | 'UNKNOWN_TRANSFER' | 'ALREADY_COMMITTED' | 'ALREADY_ABORTED' | 'TRANSFER_EXPIRED' | 'LATE_FULFILMENT' | 'FULFILMENT_MISMATCH' | 'LEDGER_REFUSED';
};
/** What {@link TransferBook.abort} answers. */
export type TransferAbortOutcome = LifecycleOutcome & {
  readonly code: TransferCommonCode | 'ABORTED' | 'UNKNOWN_TRANSFER' | 'ALREADY_COMMITTED' | 'ALREADY_ABORTED' | 'TRANSFER_EXPIRED' | 'LEDGER_REFUSED';
};

/** The snapshot key's length in bytes. */
export const TRANSFER_SNAPSHOT_KEY_BYTES = 32;
/** The most request ids a book records (the core's `REQUESTS_MAX`). */
export const TRANSFER_REQUESTS_MAX = 4096;
/** The furthest a quote's deadline may lie after its `now`, seconds (the core's `QUOTE_TTL_S_MAX`). */
export const TRANSFER_QUOTE_TTL_S_MAX = 86_400;

/** A book's freshness: its decided-request counter (never goes down). */
export interface TransferBookFreshness {
  readonly revision: number;
}

/** The glue's class (shipped in wasm/). */
type Handle = import('../wasm/countersign_wasm.js').TransferBookHandle;

const HEX = '0123456789abcdef';
function toHex(bytes: Uint8Array): string {
  let out = '';
  for (const b of bytes) out += HEX[b >> 4]! + HEX[b & 15]!;
  return out;
}

/**
 * The condition of a fulfilment: SHA-256 of its 32 bytes as 64 lowercase hex digits (what
 * {@link TransferBook.reserve} takes; the fulfilment itself goes to {@link TransferBook.commit}
 * as hex too). Provider B draws the fulfilment and keeps it until it has credited its customer.
 */
export const transferCondition = guardFunction(function transferCondition(fulfilment: Uint8Array): string {
  const bytes = expectBytes(fulfilment, 'fulfilment');
  if (bytes.length !== 32) throw rangeError('fulfilment', `must be 32 bytes, got ${bytes.length}`);
  return call(() => toHex(wasm().sha256(bytes)));
}, ['fulfilment']);

/**
 * Provider A's book of transfers: its ledger (customers' wallets, provider B's settlement
 * account, the fees account), quotes, transfers and request ids. State lives in wasm memory;
 * {@link TransferBookStore} persists it. Call `free()` (or `using`) when done.
 */
export class TransferBook extends WasmObject<Handle> {
  private constructor(token: typeof INTERNAL_CONSTRUCTION, handle: Handle) {
    checkInternalConstruction(token, 'TransferBook', 'TransferBook.create or TransferBook.restore');
    super(handle, 'transfer book');
    adopt(this, TransferBook);
    Object.freeze(this);
  }

  /** A new book in one currency (`{bookId, currency, now}`), with its `issuer` and `fees` accounts. */
  static create(config: BookConfig): TransferBook {
    // The adapter refuses an unknown, missing or mistyped field naming its path (`config.now`).
    expectObject(config, 'config');
    return new TransferBook(INTERNAL_CONSTRUCTION, call<Handle>(() => new (wasm('transfer.lifecycle').TransferBookHandle)(config)));
  }

  /** A book from {@link TransferBook.snapshot} bytes (authenticated; refused if tampered). */
  static restore(snapshot: Uint8Array, snapshotKey: Uint8Array): TransferBook {
    const bytes = expectBytes(snapshot, 'snapshot');
    const key = expectBytes(snapshotKey, 'snapshotKey');
    return new TransferBook(INTERNAL_CONSTRUCTION, call<Handle>(() => wasm('transfer.lifecycle').TransferBookHandle.restore(bytes, key)));
  }

  /** Opens a `nonNegative` account (a customer's wallet, or provider B's settlement account). */
  openAccount(request: OpenAccount): LifecycleOutcome {
    expectObject(request, 'request');
    return withHandle(this, (h) => h.openAccount(request) as LifecycleOutcome);
  }

  /** Moves `amount` from the book's issuer account into an account. */
  fund(request: Fund): LifecycleOutcome {
    expectObject(request, 'request');
    return withHandle(this, (h) => h.fund(request) as LifecycleOutcome);
  }

  /** Records provider B's terms: amount, A's fee, the deadline (`expiresAt`, Unix seconds). */
  quote(request: Quote): TransferQuoteOutcome {
    expectObject(request, 'request');
    return withHandle(this, (h) => h.quote(request) as TransferQuoteOutcome);
  }

  /** Holds the quote's amount and fee together under `condition` until the quote's deadline. */
  reserve(request: Reserve): TransferReserveOutcome {
    expectObject(request, 'request');
    return withHandle(this, (h) => h.reserve(request) as TransferReserveOutcome);
  }

  /** Posts amount and fee together: only with the fulfilment of the condition, before the deadline. */
  commit(request: Commit): TransferCommitOutcome {
    expectObject(request, 'request');
    return withHandle(this, (h) => h.commit(request) as TransferCommitOutcome);
  }

  /** Releases the reservation (amount and fee together). */
  abort(request: Abort): TransferAbortOutcome {
    expectObject(request, 'request');
    return withHandle(this, (h) => h.abort(request) as TransferAbortOutcome);
  }

  /** Releases the reservations past their deadline, earliest first (`MORE_DUE`: call again). */
  expireDue(request: ExpireDue): LifecycleOutcome {
    expectObject(request, 'request');
    return withHandle(this, (h) => h.expireDue(request) as LifecycleOutcome);
  }

  /** Any request as `{op, request}` (the vectors' and a router's form), sent to its method. */
  execute(request: LifecycleRequest): LifecycleOutcome {
    const { op, request: body } = expectObject(request, 'request', ['op', 'request']) as { op: unknown; request: unknown };
    switch (op) {
      case 'openAccount': return this.openAccount(body as OpenAccount);
      case 'fund': return this.fund(body as Fund);
      case 'quote': return this.quote(body as Quote);
      case 'reserve': return this.reserve(body as Reserve);
      case 'commit': return this.commit(body as Commit);
      case 'abort': return this.abort(body as Abort);
      case 'expireDue': return this.expireDue(body as ExpireDue);
      default: throw typeError('request.op', 'one of openAccount, fund, quote, reserve, commit, abort, expireDue', op);
    }
  }

  /** An account of the book's ledger (`undefined` when there is none). */
  account(accountId: string): AccountView | undefined {
    const id = expectString(accountId, 'accountId');
    return withHandle(this, (h) => (h.account(id) as AccountView | null) ?? undefined);
  }

  /** A quote's terms and the transfer that used it (`undefined` when there is none). */
  quoteView(quoteId: string): QuoteView | undefined {
    const id = expectString(quoteId, 'quoteId');
    return withHandle(this, (h) => (h.quoteView(id) as QuoteView | null) ?? undefined);
  }

  /** A transfer's terms and state (`undefined` when there is none). */
  transfer(transferId: string): TransferView | undefined {
    const id = expectString(transferId, 'transferId');
    return withHandle(this, (h) => (h.transferView(id) as TransferView | null) ?? undefined);
  }

  /** Every transfer id, in id order. */
  transferIds(): string[] {
    return withHandle(this, (h) => h.transferIds());
  }

  /** Checks the book against its ledger (docs: *Invariants*); throws `INTERNAL` naming the first broken one. */
  checkInvariants(): void {
    withHandle(this, (h) => h.checkInvariants());
  }

  /** Versioned, HMAC-SHA256-authenticated state bytes (the ledger inside). */
  snapshot(snapshotKey: Uint8Array): Uint8Array {
    const key = expectBytes(snapshotKey, 'snapshotKey');
    return withHandle(this, (h) => h.snapshot(key));
  }

  /** The decided-request counter (the store's rollback guard). */
  freshness(): TransferBookFreshness {
    return { revision: withHandle(this, (h) => h.revision() as number) };
  }

  get bookId(): string {
    return withHandle(this, (h) => h.bookId());
  }

  get currency(): string {
    return withHandle(this, (h) => h.currency());
  }

  // free() and [Symbol.dispose]() are WasmObject's (handle.ts).
}

guardClass(TransferBook, {
  methods: {
    openAccount: ['request'],
    fund: ['request'],
    quote: ['request'],
    reserve: ['request'],
    commit: ['request'],
    abort: ['request'],
    expireDue: ['request'],
    execute: ['request'],
    account: ['accountId'],
    quoteView: ['quoteId'],
    transfer: ['transferId'],
    transferIds: [],
    checkInvariants: [],
    snapshot: ['snapshotKey'],
    freshness: [],
    bookId: [],
    currency: [],
    free: [],
  },
  statics: { create: ['config'], restore: ['snapshot', 'snapshotKey'] },
});

// ---------------------------------------------------------------------------------------------
// Persistence

/**
 * Saves and loads transfer books through a storage adapter (PostgreSQL or atomic files for a
 * router, IndexedDB in a page): one key per book holding its authenticated snapshot, written with
 * compare-and-swap; a stored state older than one this store has seen (its revision lower: a
 * rollback of storage) is refused. Save after every decided request that must survive a restart.
 */
export class TransferBookStore {
  readonly #store: StateStore;
  readonly #prefix: string;

  constructor(storage: StorageAdapter, snapshotKey: Uint8Array, options?: { prefix?: string }) {
    try {
      const [adapter, key, given] = ownConstructorArgs(arguments, [raw('storage'), 'snapshotKey', 'options'], 'new TransferBookStore');
      const checked = CheckedStorage.of(adapter, 'storage');
      const ownKey = expectBytes(key, 'snapshotKey');
      if (ownKey.length !== TRANSFER_SNAPSHOT_KEY_BYTES) throw rangeError('snapshotKey', `must be ${TRANSFER_SNAPSHOT_KEY_BYTES} bytes, got ${ownKey.length}`);
      const opts = given === undefined ? {} : expectObject(given, 'options', ['prefix']);
      const prefix = opts.prefix === undefined ? 'transfer-book/' : expectString(opts.prefix, 'options.prefix');
      this.#store = new StateStore(checked, ownKey);
      this.#prefix = prefix;
      adopt(this, TransferBookStore);
      Object.freeze(this);
    } catch (e) {
      throw toSdkError(e, 'new TransferBookStore');
    }
  }

  /** The stored book, or null when none. SNAPSHOT_INVALID for a tampered state, a rollback, or another book's state under this id. */
  async load(bookId: string): Promise<TransferBook | null> {
    const id = expectString(bookId, 'bookId');
    return this.#store.load(PERSISTED_BOOK, this.#prefix + id, id);
  }

  /** Saves the book. False, writing nothing, when another writer changed it since this store last saw it. */
  async save(book: TransferBook): Promise<boolean> {
    if (!isOwned(book, TransferBook)) throw typeError('book', 'a TransferBook', book);
    return this.#store.save(PERSISTED_BOOK, this.#prefix + book.bookId, book);
  }
}

const PERSISTED_BOOK: PersistedState<TransferBook, TransferBookFreshness> = Object.freeze({
  param: 'bookId',
  snapshot: (book: TransferBook, key: Uint8Array) => book.snapshot(key),
  restore: (bytes: Uint8Array, key: Uint8Array) => TransferBook.restore(bytes, key),
  freshness: (book: TransferBook) => book.freshness(),
  isOlder: (_book: TransferBook, found: TransferBookFreshness, seen: TransferBookFreshness) => found.revision < seen.revision,
  check(book: TransferBook, id: string): void {
    if (book.bookId !== id) {
      throw new CountersignRangeError('SNAPSHOT_INVALID', `countersign: bookId: the state stored under ${id} is another book's`, 'bookId');
    }
  },
  free: (book: TransferBook) => book.free(),
});

guardClass(TransferBookStore, {
  methods: { load: ['bookId'], save: ['book'] },
});
