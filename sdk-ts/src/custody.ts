/**
 * custody (System 8), the back-office: the client sub-ledger over one omnibus trading wallet,
 * one segregated transfer wallet per client, continuous reconciliation, the withdrawal policy
 * (limits over windows, an allow-list with cooling-off, a k-of-n quorum of Ed25519 approvals)
 * and the secp256k1 signing of withdrawals (RFC 6979, low-S: the same bytes as the native core).
 *
 * Roles: the back-office book ({@link CustodyBook}), persisted by {@link CustodyBookStore}; an
 * approver ({@link sealCustodyApproval}: an Ed25519 envelope over a withdrawal's digest); the key
 * holder ({@link custodyTransferWallet}: BIP-32 `m/44'/60'/0'/0/<index>`, EIP-55 address).
 * The proof of liabilities over the same balances is `custody-liabilities`.
 *
 * API parts (a page loads the one it uses): the book, its store and `custodyAddressOf` are
 * `custody.book` (`init({ systems: ['custody.book'] })`); `custodyTransferWallet` is the key
 * holder's `custody.keys`; the proof of liabilities `custody.liabilities`. Each throws
 * `NOT_INITIALIZED` naming its part in a module without it; Node loads every system.
 *
 * Every rule lives in the Rust core (core/src/custody/, docs/custody.md); this module checks
 * arguments and converts them. One method per event kind, each crossing a small flat request:
 * money crosses as a decimal string at the asset's scale, or a bigint of minor units converted
 * here with that scale; never a JavaScript number.
 */
import { INTERNAL_CONSTRUCTION, adopt, checkInternalConstruction, guardClass, guardFunction, isOwned, ownConstructorArgs, raw, toSdkError } from './boundary.js';
import { call } from './calls.js';
import { decodeBookConfig, encodeBookConfig } from './custody-config.js';
import { sealEnvelope } from './envelope.js';
import { CountersignRangeError } from './errors.js';
import type { Exhaustive } from './exhaustive.js';
import { WasmObject, withHandle } from './handle.js';
import { wasm } from './loader.js';
import { CheckedStorage } from './storage/checked.js';
import type { StorageAdapter } from './storage/types.js';
import { SealedLog, StateStore, corrupt } from './store.js';
import { U32_MAX, expectArray, expectBytes, expectInteger, expectObject, expectString, expectU64, rangeError, typeError } from './validate.js';
import type {
  AddDestination,
  Approve,
  AssetConfig,
  Approver,
  BookConfig,
  CancelWithdrawal,
  ClientBalance,
  ClientTransfer,
  ConfirmWithdrawal,
  CustodyCode,
  CustodyEvent,
  CustodyOutcome,
  Discrepancy,
  ObserveDeposit,
  ObserveOmnibus,
  ObserveWallet,
  RegisterClient,
  ReleaseQuarantine,
  RequestWithdrawal,
  Sweep,
  Trade,
  WithdrawalState,
  WithdrawalView,
} from './generated/custody.js';
export type {
  AddDestination as CustodyAddDestination,
  Approve as CustodyApprove,
  AssetConfig as CustodyAssetConfig,
  Approver as CustodyApprover,
  BookConfig as CustodyBookConfig,
  CancelWithdrawal as CustodyCancelWithdrawal,
  ClientBalance as CustodyClientBalance,
  ClientTransfer as CustodyClientTransfer,
  ConfirmWithdrawal as CustodyConfirmWithdrawal,
  CustodyCode,
  CustodyEvent,
  CustodyOutcome,
  Discrepancy as CustodyDiscrepancy,
  ObserveDeposit as CustodyObserveDeposit,
  ObserveOmnibus as CustodyObserveOmnibus,
  ObserveWallet as CustodyObserveWallet,
  RegisterClient as CustodyRegisterClient,
  ReleaseQuarantine as CustodyReleaseQuarantine,
  RequestWithdrawal as CustodyRequestWithdrawal,
  Sweep as CustodySweep,
  Trade as CustodyTrade,
  WithdrawalState as CustodyWithdrawalState,
  WithdrawalView as CustodyWithdrawalView,
};

/** Every outcome code, grouped by flow then by refusal (each one's meaning: docs/custody.md; the compile-time check below keeps the list complete). */
export const CUSTODY_CODES = Object.freeze([
  'CLIENT_REGISTERED', 'DEPOSIT_PENDING', 'DEPOSIT_CONFIRMED', 'DEPOSIT_QUARANTINED', 'QUARANTINE_RELEASED', 'SWEPT',
  'TRANSFERRED', 'TRADED', 'BALANCE_OBSERVED', 'DESTINATION_ADDED', 'WITHDRAWAL_REQUESTED', 'APPROVAL_COUNTED',
  'WITHDRAWAL_SIGNED', 'WITHDRAWAL_CONFIRMED', 'WITHDRAWAL_CANCELLED',
  'CLIENT_EXISTS', 'ADDRESS_IN_USE', 'CLIENTS_FULL', 'UNKNOWN_ASSET', 'UNKNOWN_ADDRESS', 'UNKNOWN_CLIENT',
  'DEPOSIT_CONFLICT', 'DEPOSIT_ALREADY_CONFIRMED', 'DEPOSITS_FULL', 'NOT_QUARANTINED', 'BELOW_SWEEP_THRESHOLD',
  'FEE_EXCEEDS_AMOUNT', 'ID_REUSED', 'SAME_CLIENT', 'INSUFFICIENT_FUNDS', 'DESTINATION_EXISTS', 'ALLOW_LIST_FULL',
  'WITHDRAWAL_EXISTS', 'WITHDRAWALS_FULL', 'DESTINATION_NOT_ALLOWED', 'DESTINATION_COOLING_OFF', 'LIMIT_REACHED',
  'UNKNOWN_WITHDRAWAL', 'WITHDRAWAL_NOT_PENDING', 'QUORUM_NOT_REACHED', 'APPROVAL_MISMATCH',
  'APPROVER_ALREADY_COUNTED', 'LEDGER_REFUSED',
  'MALFORMED', 'UNKNOWN_KEY', 'BAD_SIGNATURE', 'WRONG_TYPE', 'NOT_YET_VALID', 'EXPIRED', 'REPLAYED',
] as const satisfies readonly CustodyCode[]);
// Compile-time: the list names every member of the generated union.
type _CodesComplete = Exhaustive<Exclude<CustodyCode, (typeof CUSTODY_CODES)[number]>>;

/** The `type` of an approval envelope (the core's `APPROVAL_TYPE`). */
export const CUSTODY_APPROVAL_TYPE = 'countersign.custody.approval';
/** The schema version of an approval's payload (the core's `APPROVAL_VERSION`). */
export const CUSTODY_APPROVAL_VERSION = 1;
/** The snapshot key's length in bytes. */
export const CUSTODY_SNAPSHOT_KEY_BYTES = 32;
/** Most events a persisted book's log holds (what {@link CustodyBook.restore} replays from a version-1 log). */
export const CUSTODY_LOG_EVENTS_MAX = 1_000_000;
/**
 * Most events a book keeps in memory for its store since the store last saved it (the tail
 * {@link CustodyBookStore.save} appends to its log). A book that goes further without a save
 * forgets them: its store then refuses to save it (load it again).
 */
export const CUSTODY_TAIL_EVENTS_MAX = 65_536;
/** Default of {@link CustodyBookStoreOptions.snapshotEvery}: a state snapshot after this many events since the last one. */
export const CUSTODY_SNAPSHOT_EVERY_DEFAULT = 1024;
/**
 * Most log records {@link CustodyBookStore.load} applies after the state snapshot: snapshots
 * every `snapshotEvery` events keep a load far below it; reaching it means snapshots have been
 * failing, and loading is refused rather than left to run unbounded.
 */
export const CUSTODY_LOAD_LOG_RECORDS_MAX = 1 << 16;
/** Most withdrawals {@link CustodyBook.pendingWithdrawals} returns (the core's `WITHDRAWALS_MAX`). */
export const CUSTODY_WITHDRAWALS_MAX = 65_536;
/** Unix seconds the SDK lets cross (the core checks its own, narrower range). */
const TIME_S_MAX = Number.MAX_SAFE_INTEGER;

/** The glue's class (shipped in wasm/). */
type Handle = import('../wasm/countersign_wasm.js').CustodyBookHandle;

/** The two signed transactions of a withdrawal (empty lists when refused). */
export interface CustodySignedWithdrawal {
  readonly outcome: CustodyOutcome;
  /** The 32-byte digests signed: leg 1 (omnibus → transfer wallet), leg 2 (→ destination). */
  readonly digests: readonly Uint8Array[];
  /** secp256k1 `r‖s` signatures, 64 bytes each, RFC 6979, low-S. */
  readonly signatures: readonly Uint8Array[];
}

/** The secret keys {@link CustodyBook.signWithdrawal} signs with, for that one call. */
export interface CustodySigningKeys {
  /** The omnibus wallet's 32-byte secp256k1 secret key. */
  readonly omnibusKey: Uint8Array;
  /** The client's transfer-wallet secret key ({@link custodyTransferWallet}). */
  readonly walletKey: Uint8Array;
}

/** A client's transfer wallet. */
export interface CustodyTransferWallet {
  readonly path: string;
  readonly secretKey: Uint8Array;
  /** SEC1 compressed, 33 bytes. */
  readonly publicKey: Uint8Array;
  /** EIP-55 checksummed. */
  readonly address: string;
}

/** A book's freshness: its event counter (never goes down). */
export interface CustodyBookFreshness {
  readonly events: number;
}

/** One entry of a book's log: an event, or a signing (replayed without keys). */
type LogEntry = CustodyEvent | { readonly kind: 'sign'; readonly withdrawalId: string; readonly now: number };

/** The events a book applied since its store last saved it: `entries[i]` is event `base + i + 1`. */
interface Tail {
  base: number;
  entries: LogEntry[];
}
/** The store's access to a book's tail and replay (set once by the class below). */
let tailOf: (book: CustodyBook) => Tail;
let replayInto: (book: CustodyBook, entry: LogEntry, param: string) => void;

// ---------------------------------------------------------------------------------------------
// Requests: each kind's fields and how each is checked before it crosses

type FieldKind = 'string' | 'now' | 'u32' | 'bytes' | { readonly moneyOf: string };
type Fields = Readonly<Record<string, FieldKind>>;

const REQUESTS = {
  registerClient: { clientId: 'string', address: 'string', now: 'now' },
  observeDeposit: { depositId: 'string', address: 'string', asset: 'string', amount: { moneyOf: 'asset' }, confirmations: 'u32', now: 'now' },
  releaseQuarantine: { depositId: 'string', clientId: 'string', now: 'now' },
  sweep: { sweepId: 'string', clientId: 'string', asset: 'string', networkFee: { moneyOf: 'asset' }, now: 'now' },
  transfer: { transferId: 'string', fromClientId: 'string', toClientId: 'string', asset: 'string', amount: { moneyOf: 'asset' }, now: 'now' },
  trade: {
    tradeId: 'string', buyerId: 'string', sellerId: 'string', baseAsset: 'string', baseAmount: { moneyOf: 'baseAsset' },
    quoteAsset: 'string', quoteAmount: { moneyOf: 'quoteAsset' }, fee: { moneyOf: 'quoteAsset' }, now: 'now',
  },
  observeOmnibus: { asset: 'string', balance: { moneyOf: 'asset' }, now: 'now' },
  observeWallet: { clientId: 'string', asset: 'string', balance: { moneyOf: 'asset' }, now: 'now' },
  addDestination: { clientId: 'string', address: 'string', now: 'now' },
  requestWithdrawal: {
    withdrawalId: 'string', clientId: 'string', asset: 'string', amount: { moneyOf: 'asset' }, networkFee: { moneyOf: 'asset' },
    destination: 'string', now: 'now',
  },
  approve: { withdrawalId: 'string', envelope: 'bytes', now: 'now' },
  confirmWithdrawal: { withdrawalId: 'string', now: 'now' },
  cancelWithdrawal: { withdrawalId: 'string', now: 'now' },
} as const satisfies Readonly<Record<string, Fields>>;
type EventKind = keyof typeof REQUESTS;
const EVENT_KINDS = Object.freeze(Object.keys(REQUESTS)) as readonly EventKind[];

/** Each kind's field names, and each field's check with its position among the glue method's
 * arguments (the declared order, the Rust request type's): listed once, not per event. */
interface FieldSpec {
  readonly name: string;
  readonly how: FieldKind;
  readonly position: number;
  /** For money: the position of the field naming its asset. */
  readonly assetPosition: number;
}
const REQUEST_SPECS = Object.fromEntries(
  EVENT_KINDS.map((kind) => {
    const fields: Fields = REQUESTS[kind];
    const names = Object.keys(fields);
    const specs = names.map((name, position): FieldSpec => {
      const how = fields[name] as FieldKind;
      return { name, how, position, assetPosition: typeof how === 'object' ? names.indexOf(how.moneyOf) : -1 };
    });
    // Money after the other fields: a bigint is written at its asset's scale, read (checked) first.
    const ordered = [...specs.filter((f) => typeof f.how !== 'object'), ...specs.filter((f) => typeof f.how === 'object')];
    return [kind, Object.freeze({ names: Object.freeze(names), fields: Object.freeze(ordered) })];
  }),
) as Readonly<Record<EventKind, { readonly names: readonly string[]; readonly fields: readonly FieldSpec[] }>>;

/**
 * Money as the core takes it: a decimal string crosses as given (the core refuses one that is
 * not strict at the asset's scale, naming the field); a bigint of minor units is written at the
 * asset's scale here (an unknown asset: the core's `CURRENCY_UNKNOWN`).
 */
function moneyOf(value: unknown, asset: string, param: string): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'bigint') return call<string>(() => wasm('custody.book').amountFromMinor(value.toString(), asset));
  throw typeError(param, 'a decimal string or a bigint of minor units', value);
}

/**
 * A request of `kind` read into its log entry (`kind`, then only its declared fields) and into
 * `args`, the same values in the declared order: the glue method's arguments.
 */
function requestOf(kind: EventKind, value: unknown, param: string, args: unknown[]): Record<string, unknown> {
  const spec = REQUEST_SPECS[kind];
  const given = expectObject(value, param, spec.names);
  const out: Record<string, unknown> = { kind };
  for (const { name, how, position, assetPosition } of spec.fields) {
    const v = given[name];
    const at = `${param}.${name}`;
    let owned: unknown;
    if (how === 'string') owned = expectString(v, at);
    else if (how === 'now') owned = expectInteger(v, at, -TIME_S_MAX, TIME_S_MAX);
    else if (how === 'u32') owned = expectInteger(v, at, 0, U32_MAX);
    else if (how === 'bytes') owned = expectBytes(v, at);
    else owned = moneyOf(v, args[assetPosition] as string, at);
    out[name] = owned;
    args[position] = owned;
  }
  return out;
}

/**
 * The custody back-office book: clients, deposits, sweeps, trades, transfers, withdrawals and
 * their approvals on a sub-ledger per client and asset, reconciled with the omnibus's observed
 * on-chain balance after every event (each outcome's `discrepancies`). State lives in wasm
 * memory with the log of the events applied, which {@link CustodyBook.snapshot} persists; call
 * `free()` (or `using`) when done.
 */
export class CustodyBook extends WasmObject<Handle> {
  /** The events applied since the store last saved (owned copies): what the store's log appends. */
  readonly #tail: Tail = { base: 0, entries: [] };

  static {
    tailOf = (book) => book.#tail;
    replayInto = (book, entry, param) => book.#replay(entry, param);
  }

  private constructor(token: typeof INTERNAL_CONSTRUCTION, handle: Handle) {
    checkInternalConstruction(token, 'CustodyBook', 'CustodyBook.create or CustodyBook.restore');
    super(handle, 'custody book');
    adopt(this, CustodyBook);
    Object.freeze(this);
  }

  /**
   * A new book: its assets (scale from the money registry, confirmations, sweep threshold,
   * limits), the omnibus's EIP-55 address, the approvers' Ed25519 public keys, the quorum and
   * the cooling-off of new destinations. A field of the wrong type, unknown or missing is refused naming its path; the core refuses a bad value naming it too.
   */
  static create(config: BookConfig): CustodyBook {
    // Checked and written here as the core's CBOR (the module has no reader of the object).
    const bytes = encodeBookConfig(config, 'config');
    return new CustodyBook(INTERNAL_CONSTRUCTION, call<Handle>(() => new (wasm('custody.book').CustodyBookHandle)(bytes)));
  }

  /**
   * A book from {@link CustodyBook.snapshot} bytes: the state snapshot, authenticated and checked
   * whole by the core (bounds, cross-references, invariants) in time proportional to the state.
   * The version-1 format (the configuration and the whole log of events, written by earlier
   * releases) is still read: authenticated, then its log applied again.
   */
  static restore(snapshot: Uint8Array, snapshotKey: Uint8Array): CustodyBook {
    const bytes = expectBytes(snapshot, 'snapshot');
    const key = expectBytes(snapshotKey, 'snapshotKey');
    if (!isLogV1(bytes)) {
      const book = new CustodyBook(INTERNAL_CONSTRUCTION, call<Handle>(() => wasm('custody.book').CustodyBookHandle.restore(bytes, key)));
      book.#tail.base = book.eventCount;
      return book;
    }
    const body = call<Uint8Array>(() => wasm('custody.book').custodyOpenLog(bytes, key));
    const { config, log } = decodeLog(body);
    const book = CustodyBook.create(config);
    try {
      for (const entry of log) book.#replay(entry, 'snapshot.log[]');
    } catch (e) {
      book.free();
      throw e;
    }
    book.#tail.base = book.eventCount;
    book.#tail.entries = [];
    return book;
  }

  #replay(entry: LogEntry, param: string): void {
    if (entry.kind === 'sign') {
      const { withdrawalId, now } = entry;
      withHandle(this, (h) => h.markSigned(withdrawalId, BigInt(now)));
      this.#logged(entry);
    } else {
      const { kind, ...request } = entry;
      if (!(EVENT_KINDS as readonly string[]).includes(kind)) throw typeError(`${param}.kind`, `one of ${EVENT_KINDS.join(', ')}`, kind);
      this.#apply(kind as EventKind, request, param);
    }
  }

  /** Keeps a decided event for the store; past CUSTODY_TAIL_EVENTS_MAX unsaved, forgets them all. */
  #logged(entry: LogEntry): void {
    const tail = this.#tail;
    if (tail.entries.length >= CUSTODY_TAIL_EVENTS_MAX) {
      tail.base += tail.entries.length;
      tail.entries = [];
    }
    tail.entries.push(entry);
  }

  #apply(kind: EventKind, value: unknown, param: string): CustodyOutcome {
    const args: unknown[] = [];
    const entry = requestOf(kind, value, param, args);
    // One argument per field: the adapter builds the core's request from them (wasm/src/custody_book.rs).
    const outcome = withHandle(this, (h) => (h as unknown as Record<EventKind, (...a: unknown[]) => CustodyOutcome>)[kind](...args));
    // Only a decided event is logged: an error changed nothing and used no event number.
    this.#logged(entry as unknown as CustodyEvent);
    return outcome;
  }

  /** Opens a client's accounts at its transfer-wallet address (`CLIENT_REGISTERED` + `clientIndex`). */
  registerClient(request: RegisterClient): CustodyOutcome {
    return this.#apply('registerClient', request, 'request');
  }

  /** A deposit seen on chain: pending until its asset's confirmations; at the omnibus, quarantined. */
  observeDeposit(request: ObserveDeposit): CustodyOutcome {
    return this.#apply('observeDeposit', request, 'request');
  }

  /** Attributes a quarantined deposit to a client's trading balance. */
  releaseQuarantine(request: ReleaseQuarantine): CustodyOutcome {
    return this.#apply('releaseQuarantine', request, 'request');
  }

  /** Sweeps a client's confirmed transfer-wallet balance to the omnibus (one linked batch, network fee paid by the client). */
  sweep(request: Sweep): CustodyOutcome {
    return this.#apply('sweep', request, 'request');
  }

  /** Moves an amount between two clients' trading balances (off-chain). */
  transfer(request: ClientTransfer): CustodyOutcome {
    return this.#apply('transfer', request, 'request');
  }

  /** Books a trade's two legs and the buyer's fee as one linked batch (off-chain). */
  trade(request: Trade): CustodyOutcome {
    return this.#apply('trade', request, 'request');
  }

  /** The omnibus wallet's observed on-chain balance of an asset (what reconciliation compares). */
  observeOmnibus(request: ObserveOmnibus): CustodyOutcome {
    return this.#apply('observeOmnibus', request, 'request');
  }

  /** A client's transfer wallet's observed confirmed balance of an asset. */
  observeWallet(request: ObserveWallet): CustodyOutcome {
    return this.#apply('observeWallet', request, 'request');
  }

  /** Adds a destination to a client's allow-list (usable after the cooling-off period). */
  addDestination(request: AddDestination): CustodyOutcome {
    return this.#apply('addDestination', request, 'request');
  }

  /** Asks for a withdrawal: limits, allow-list and funds checked; amount + fee leave the client's balance. */
  requestWithdrawal(request: RequestWithdrawal): CustodyOutcome {
    return this.#apply('requestWithdrawal', request, 'request');
  }

  /** Counts an approver's envelope ({@link sealCustodyApproval}) over the withdrawal's digest. */
  approve(request: Approve): CustodyOutcome {
    return this.#apply('approve', request, 'request');
  }

  /** The signed withdrawal was seen on chain. */
  confirmWithdrawal(request: ConfirmWithdrawal): CustodyOutcome {
    return this.#apply('confirmWithdrawal', request, 'request');
  }

  /** Cancels a withdrawal not signed yet: amount, fee and limit usage given back. */
  cancelWithdrawal(request: CancelWithdrawal): CustodyOutcome {
    return this.#apply('cancelWithdrawal', request, 'request');
  }

  /** Any event in its tagged form (`{kind: 'sweep', ...}`: the vectors' and a log's), sent to its method. */
  apply(event: CustodyEvent): CustodyOutcome {
    const fields = expectObject(event, 'event');
    const kind = fields.kind;
    if (typeof kind !== 'string' || !(EVENT_KINDS as readonly string[]).includes(kind)) {
      throw typeError('event.kind', `one of ${EVENT_KINDS.join(', ')}`, kind);
    }
    const { kind: _kind, ...request } = fields;
    return this.#apply(kind as EventKind, request, 'event');
  }

  /**
   * Signs both legs of an approved withdrawal (`WITHDRAWAL_SIGNED`), or answers why not
   * (`QUORUM_NOT_REACHED` counts only approvals still live at `now`). The keys cross for this
   * call only; a key that is not the omnibus's or this client's wallet's is `KEY_INVALID`.
   */
  signWithdrawal(withdrawalId: string, now: number, keys: CustodySigningKeys): CustodySignedWithdrawal {
    const id = expectString(withdrawalId, 'withdrawalId');
    const at = expectInteger(now, 'now', -TIME_S_MAX, TIME_S_MAX);
    const k = expectObject(keys, 'keys', ['omnibusKey', 'walletKey']);
    const omnibusKey = expectBytes(k.omnibusKey, 'keys.omnibusKey');
    const walletKey = expectBytes(k.walletKey, 'keys.walletKey');
    try {
      const signed = withHandle(this, (h) => h.signWithdrawal(id, BigInt(at), omnibusKey, walletKey) as CustodySignedWithdrawal);
      this.#logged({ kind: 'sign', withdrawalId: id, now: at });
      return signed;
    } finally {
      // The SDK's own copies of the secret keys (the guard copied the caller's).
      omnibusKey.fill(0);
      walletKey.fill(0);
    }
  }

  /** A client's derivation index (its transfer wallet: {@link custodyTransferWallet}), `undefined` when unknown. */
  clientIndex(clientId: string): number | undefined {
    const c = expectString(clientId, 'clientId');
    return withHandle(this, (h) => h.clientIndex(c));
  }

  /** A client's trading balance of an asset (decimal string), `undefined` when either is unknown. */
  tradingBalance(clientId: string, asset: string): string | undefined {
    const c = expectString(clientId, 'clientId');
    const a = expectString(asset, 'asset');
    return withHandle(this, (h) => h.tradingBalance(c, a));
  }

  /** A client's confirmed, not yet swept transfer-wallet balance (decimal string). */
  walletBalance(clientId: string, asset: string): string | undefined {
    const c = expectString(clientId, 'clientId');
    const a = expectString(asset, 'asset');
    return withHandle(this, (h) => h.walletBalance(c, a));
  }

  /** What the omnibus should hold of an asset: Σ client balances + fees + outgoing + quarantine. */
  expectedOmnibus(asset: string): string | undefined {
    const a = expectString(asset, 'asset');
    return withHandle(this, (h) => h.expectedOmnibus(a));
  }

  /** Every client's trading balance of an asset in minor units, by client id: the proof of liabilities' leaves. */
  clientBalances(asset: string): ClientBalance[] {
    const a = expectString(asset, 'asset');
    return withHandle(this, (h) => h.clientBalances(a) as ClientBalance[]);
  }

  /** The reconciliation report as of the last event (empty: every observed wallet reconciled). */
  discrepancies(): Discrepancy[] {
    return withHandle(this, (h) => h.discrepancies() as Discrepancy[]);
  }

  /** A withdrawal and its counted approvals (`undefined` when unknown). */
  withdrawal(withdrawalId: string): WithdrawalView | undefined {
    const id = expectString(withdrawalId, 'withdrawalId');
    return withHandle(this, (h) => (h.withdrawal(id) as WithdrawalView | null) ?? undefined);
  }

  /** The withdrawals waiting for their quorum, by id, at most `max` (default and cap {@link CUSTODY_WITHDRAWALS_MAX}). */
  pendingWithdrawals(max?: number): WithdrawalView[] {
    const limit = max === undefined ? CUSTODY_WITHDRAWALS_MAX : expectInteger(max, 'max', 0, CUSTODY_WITHDRAWALS_MAX);
    return withHandle(this, (h) => h.withdrawalsAwaitingApproval(limit) as WithdrawalView[]);
  }

  /** The configuration the book was created with. */
  config(): BookConfig {
    // The core writes it as CBOR (the module has no object writer for it): read back here.
    return decodeBookConfig(withHandle(this, (h) => h.configCbor()));
  }

  /** The number of the last event decided (0: none). */
  get eventCount(): number {
    return withHandle(this, (h) => h.eventCount() as number);
  }

  /** Checks the book against its ledger (docs/custody.md); throws `INTERNAL` naming the first broken invariant. */
  checkInvariants(): void {
    withHandle(this, (h) => h.checkInvariants());
  }

  /**
   * The book's whole state (its configuration, sub-ledger, deposits, withdrawals, approvals,
   * limit counters, reconciliation), HMAC-SHA256-authenticated by the core: its size follows the
   * state, not the history (docs/custody.md, *Persistence*).
   */
  snapshot(snapshotKey: Uint8Array): Uint8Array {
    const key = expectBytes(snapshotKey, 'snapshotKey');
    return withHandle(this, (h) => h.snapshot(key));
  }

  /** The event counter (the store's rollback guard). */
  freshness(): CustodyBookFreshness {
    return { events: this.eventCount };
  }

  // free() and [Symbol.dispose]() are WasmObject's (handle.ts).
}

guardClass(CustodyBook, {
  methods: {
    registerClient: ['request'],
    observeDeposit: ['request'],
    releaseQuarantine: ['request'],
    sweep: ['request'],
    transfer: ['request'],
    trade: ['request'],
    observeOmnibus: ['request'],
    observeWallet: ['request'],
    addDestination: ['request'],
    requestWithdrawal: ['request'],
    approve: ['request'],
    confirmWithdrawal: ['request'],
    cancelWithdrawal: ['request'],
    apply: ['event'],
    signWithdrawal: ['withdrawalId', 'now', 'keys'],
    clientIndex: ['clientId'],
    tradingBalance: ['clientId', 'asset'],
    walletBalance: ['clientId', 'asset'],
    expectedOmnibus: ['asset'],
    clientBalances: ['asset'],
    discrepancies: [],
    withdrawal: ['withdrawalId'],
    pendingWithdrawals: ['max'],
    config: [],
    eventCount: [],
    checkInvariants: [],
    snapshot: ['snapshotKey'],
    freshness: [],
    free: [],
  },
  statics: { create: ['config'], restore: ['snapshot', 'snapshotKey'] },
});

// ---------------------------------------------------------------------------------------------
// The persisted log: JSON (byte strings as hex), authenticated by the core

const HEX = '0123456789abcdef';
function toHex(bytes: Uint8Array): string {
  let out = '';
  for (const b of bytes) out += HEX[b >> 4]! + HEX[b & 15]!;
  return out;
}
function fromHex(text: unknown, param: string): Uint8Array {
  if (typeof text !== 'string' || text.length % 2 !== 0 || !/^[0-9a-f]*$/.test(text)) throw rangeError(param, 'must be lower-case hex');
  const out = new Uint8Array(text.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(text.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/** The first bytes of a version-1 persisted book (`seal_log`'s frame: CBOR `[type, ...`). */
const LOG_V1_PREFIX = Uint8Array.from([0x84, 0x78, 28, ...new TextEncoder().encode('countersign.custody.book.log')]);

function isLogV1(bytes: Uint8Array): boolean {
  return bytes.length > LOG_V1_PREFIX.length && LOG_V1_PREFIX.every((b, i) => bytes[i] === b);
}

/** A log entry as JSON (an approval's envelope as hex). */
function entryToJson(e: LogEntry): unknown {
  return e.kind === 'approve' ? { ...e, envelope: toHex(e.envelope) } : e;
}

/** A log entry from its JSON (the MAC already checked; every field is checked again on replay). */
function entryFromJson(value: unknown, param: string): LogEntry {
  const e = expectObject(value, param);
  if (e.kind === 'sign') {
    return { kind: 'sign', withdrawalId: expectString(e.withdrawalId, `${param}.withdrawalId`), now: expectInteger(e.now, `${param}.now`, -TIME_S_MAX, TIME_S_MAX) };
  }
  return (e.kind === 'approve' ? { ...e, envelope: fromHex(e.envelope, `${param}.envelope`) } : e) as unknown as LogEntry;
}

/** The body of an authenticated log (the MAC already checked): its shape is checked again here, every event by the core on replay. */
function decodeLog(body: Uint8Array): { config: BookConfig; log: LogEntry[] } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(body));
  } catch {
    throw new CountersignRangeError('SNAPSHOT_INVALID', 'countersign: snapshot: the book log is not JSON', 'snapshot');
  }
  const top = expectObject(parsed, 'snapshot', ['config', 'log']);
  const config = expectObject(top.config, 'snapshot.config');
  const approvers = expectArray(config.approvers, 'snapshot.config.approvers').map((a, i) => {
    const o = expectObject(a, `snapshot.config.approvers[${i}]`, ['approverId', 'publicKey']);
    return { approverId: o.approverId, publicKey: fromHex(o.publicKey, `snapshot.config.approvers[${i}].publicKey`) };
  });
  const entries = expectArray(top.log, 'snapshot.log');
  if (entries.length > CUSTODY_LOG_EVENTS_MAX) throw rangeError('snapshot.log', `at most ${CUSTODY_LOG_EVENTS_MAX} events`);
  const log = entries.map((value, i) => entryFromJson(value, `snapshot.log[${i}]`));
  return { config: { ...config, approvers } as unknown as BookConfig, log };
}

// ---------------------------------------------------------------------------------------------
// Approvers and keys

/** What an approver signs: a withdrawal's digest (its view's `digest`, hex) under its key. */
export interface CustodyApprovalInput {
  /** The approver's id (the book's `approvers[i].approverId`, the envelope's key id). */
  readonly approverId: string;
  /** The approver's 32-byte Ed25519 secret key. */
  readonly secretKey: Uint8Array;
  /** The withdrawal's digest, 64 lower-case hex digits ({@link CustodyBook.withdrawal}). */
  readonly digest: string;
  /** The approver's sequence number: only grows per approver (anti-replay across withdrawals). */
  readonly seq: bigint | number;
  /** Unix seconds. */
  readonly issuedAt: number;
  /** Unix seconds: the approval stops counting at signing from then on. */
  readonly expiresAt: number;
}

/** An approver's envelope over a withdrawal's digest, for {@link CustodyBook.approve}. */
export const sealCustodyApproval = guardFunction(function sealCustodyApproval(input: CustodyApprovalInput): Uint8Array {
  const f = expectObject(input, 'input', ['approverId', 'secretKey', 'digest', 'seq', 'issuedAt', 'expiresAt']);
  const digest = fromHex(f.digest, 'input.digest');
  if (digest.length !== 32) throw rangeError('input.digest', 'must be 64 hex digits');
  return sealEnvelope({
    type: CUSTODY_APPROVAL_TYPE,
    version: CUSTODY_APPROVAL_VERSION,
    keyId: expectString(f.approverId, 'input.approverId'),
    seq: expectU64(f.seq, 'input.seq'),
    issuedAt: expectInteger(f.issuedAt, 'input.issuedAt', -TIME_S_MAX, TIME_S_MAX),
    expiresAt: expectInteger(f.expiresAt, 'input.expiresAt', -TIME_S_MAX, TIME_S_MAX),
    payload: digest,
    algorithm: 'EdDSA',
    secretKey: expectBytes(f.secretKey, 'input.secretKey'),
  });
}, ['input']);

/** The transfer wallet of the client with derivation index `clientIndex` (BIP-32 `m/44'/60'/0'/0/<index>` from the 16..64-byte master seed). */
export const custodyTransferWallet = guardFunction(function custodyTransferWallet(seed: Uint8Array, clientIndex: number): CustodyTransferWallet {
  const bytes = expectBytes(seed, 'seed');
  const index = expectInteger(clientIndex, 'clientIndex', 0, U32_MAX);
  return call<CustodyTransferWallet>(() => wasm('custody.keys').custodyTransferWallet(bytes, index));
}, ['seed', 'clientIndex']);

/** The EIP-55 Ethereum address of a SEC1 secp256k1 public key (33 or 65 bytes). */
export const custodyAddressOf = guardFunction(function custodyAddressOf(publicKey: Uint8Array): string {
  const bytes = expectBytes(publicKey, 'publicKey');
  return call<string>(() => wasm('custody.book').custodyAddressOf(bytes));
}, ['publicKey']);

// ---------------------------------------------------------------------------------------------
// Persistence

/** Options of a {@link CustodyBookStore}. */
export interface CustodyBookStoreOptions {
  /** Prefixes the books' keys and logs (default `custody-book/`). */
  readonly prefix?: string;
  /** A state snapshot after this many events since the last one (1 .. 2^20, default {@link CUSTODY_SNAPSHOT_EVERY_DEFAULT}). */
  readonly snapshotEvery?: number;
}

/** Most entries in one log record, and the most JSON bytes (a record is at most 1 MiB). */
const LOG_RECORD_ENTRIES_MAX = 1024;
const LOG_RECORD_JSON_BYTES_MAX = 768 * 1024;
/** Records read per `readLog` call while loading. */
const LOG_READ_PAGE = 1000;

/** What a store knows of one book it loaded or saved. */
interface Persisted {
  /** The book object this store loaded or saved last (its tail is what the log has not). */
  readonly book: WeakRef<CustodyBook>;
  /** The last event in storage (snapshot + log). */
  events: number;
  /** The event the stored state snapshot covers (−∞: a version-1 value, rewritten at the next save). */
  snapshotted: number;
  /** Records in the book's log as this store last saw it: the next append expects this + 1. */
  records: number;
}

/**
 * Saves and loads custody books through a storage adapter (PostgreSQL or atomic files for the
 * back-office server, IndexedDB in a page), so that a save costs O(new events) and a load
 * O(state), whatever the history (docs/custody.md, *Persistence*):
 *
 * - `<prefix><name>` (key): u64 BE = the last log record the snapshot covers, then the book's
 *   state snapshot ({@link CustodyBook.snapshot}: authenticated by the core), written every
 *   `snapshotEvery` events with compare-and-swap;
 * - `<prefix><name>` (log): the events since, each record `JSON {first, entries}` (event numbers
 *   `first`, `first + 1`, …) followed by an HMAC-SHA256 tag under a key derived from the
 *   snapshot key and bound to the book's name. Every record is appended at the position the
 *   store expects (the log's compare-and-swap): when another writer (a process, a tab) saved
 *   first, `save` writes nothing and resolves to `false`.
 *
 * `load` restores the snapshot and applies the logged events after it (the core checks each
 * again). A stored book older than one this store has seen (fewer events: a rollback of storage)
 * is refused. A version-1 value (the configuration and the whole log, from earlier releases) is
 * loaded by replaying it and rewritten as a state snapshot at the next save. Save after every
 * event that must survive a restart.
 */
export class CustodyBookStore {
  readonly #store: StateStore;
  readonly #checked: CheckedStorage;
  readonly #key: Uint8Array;
  readonly #prefix: string;
  readonly #snapshotEvery: number;
  /** Per book name: what this store last loaded or saved (bounded by the names it handles). */
  readonly #persisted = new Map<string, Persisted>();

  constructor(storage: StorageAdapter, snapshotKey: Uint8Array, options?: CustodyBookStoreOptions) {
    try {
      const [adapter, key, given] = ownConstructorArgs(arguments, [raw('storage'), 'snapshotKey', 'options'], 'new CustodyBookStore');
      const checked = CheckedStorage.of(adapter, 'storage');
      const ownKey = expectBytes(key, 'snapshotKey');
      if (ownKey.length !== CUSTODY_SNAPSHOT_KEY_BYTES) throw rangeError('snapshotKey', `must be ${CUSTODY_SNAPSHOT_KEY_BYTES} bytes, got ${ownKey.length}`);
      const opts = given === undefined ? {} : expectObject(given, 'options', ['prefix', 'snapshotEvery']);
      const prefix = opts.prefix === undefined ? 'custody-book/' : expectString(opts.prefix, 'options.prefix');
      this.#snapshotEvery =
        opts.snapshotEvery === undefined ? CUSTODY_SNAPSHOT_EVERY_DEFAULT : expectInteger(opts.snapshotEvery, 'options.snapshotEvery', 1, 1 << 20);
      this.#store = new StateStore(checked, ownKey);
      this.#checked = checked;
      this.#key = ownKey;
      this.#prefix = prefix;
      adopt(this, CustodyBookStore);
      Object.freeze(this);
    } catch (e) {
      throw toSdkError(e, 'new CustodyBookStore');
    }
  }

  #seal(name: string): SealedLog {
    return new SealedLog(this.#key, 'countersign/custody-book-store/log-key/v1', name, 'custody book');
  }

  #noteEvents(key: string, name: string, events: number): void {
    this.#store.noteFreshness(key, events, (found, seen) => found < seen, 'name', (seen) => `the stored state of ${name} (event ${events}) is older than event ${seen} already seen`);
  }

  /** The book stored under `name`, or null when none. SNAPSHOT_INVALID for a tampered state or a rollback; STORAGE_CORRUPT for a tampered log. */
  async load(name: string): Promise<CustodyBook | null> {
    const id = expectString(name, 'name');
    const key = this.#prefix + id;
    const stored = await this.#store.get(key);
    if (stored === null) return null;
    const v1 = isLogV1(stored.value);
    if (!v1 && stored.value.length < 8) throw new CountersignRangeError('SNAPSHOT_INVALID', `countersign: snapshot: the stored value of ${id} is too short`, 'snapshot');
    const logAfter = v1 ? 0 : Number(new DataView(stored.value.buffer, stored.value.byteOffset, 8).getBigUint64(0));
    const book = CustodyBook.restore(v1 ? stored.value : stored.value.subarray(8), this.#key);
    try {
      const snapshotted = v1 ? Number.NEGATIVE_INFINITY : book.eventCount;
      const seal = this.#seal(id);
      let records = logAfter;
      for (;;) {
        if (records - logAfter >= CUSTODY_LOAD_LOG_RECORDS_MAX) {
          throw new CountersignRangeError('LIMIT_EXCEEDED', `countersign: storage: more than ${CUSTODY_LOAD_LOG_RECORDS_MAX} log records after the snapshot of ${id} (are snapshots failing?)`, 'storage');
        }
        const page = await this.#store.readLog(key, { after: records, limit: LOG_READ_PAGE });
        if (page.length === 0) break;
        for (const { seq, record } of page) {
          records = seq;
          const { first, entries } = unpackRecord(seal.open(record, `custody book log record ${seq}`), seq);
          const events = book.eventCount;
          if (first > events + 1) throw corrupt(`custody book log record ${seq} starts at event ${first}, after event ${events}`);
          // Entries at or below the snapshot's event were in it already.
          entries.slice(events + 1 - first).forEach((entry, i) => replayInto(book, entry, `storage.log[${seq}].entries[${events + 1 - first + i}]`));
        }
      }
      const tail = tailOf(book);
      tail.base = book.eventCount;
      tail.entries = [];
      this.#noteEvents(key, id, book.eventCount);
      this.#persisted.set(id, { book: new WeakRef(book), events: book.eventCount, snapshotted, records });
    } catch (e) {
      book.free();
      throw e;
    }
    return book;
  }

  /**
   * Saves the book under `name`: the events since the last save as one log record (more when
   * large), and a state snapshot every `snapshotEvery` events. False, writing nothing, when
   * another writer saved this book since this store last loaded or saved it: load it again.
   * INVALID_ARGUMENT about `book` when it is not the book this store loaded or saved under
   * `name` (or it forgot more than {@link CUSTODY_TAIL_EVENTS_MAX} unsaved events).
   */
  async save(name: string, book: CustodyBook): Promise<boolean> {
    const id = expectString(name, 'name');
    if (!isOwned(book, CustodyBook)) throw typeError('book', 'a CustodyBook', book);
    const key = this.#prefix + id;
    const events = book.eventCount;
    const tail = tailOf(book);
    const known = this.#persisted.get(id);
    if (known === undefined) {
      // A book this store has not seen under this name: a new one (the key must not exist).
      const saved = await this.#store.put(key, concat(u64(0), book.snapshot(this.#key)));
      if (!saved) return false;
      this.#noteEvents(key, id, events);
      this.#persisted.set(id, { book: new WeakRef(book), events, snapshotted: events, records: 0 });
      this.#truncate(tail, events);
      return true;
    }
    if (known.book.deref() !== book || tail.base > known.events || tail.base + tail.entries.length !== events) {
      throw new CountersignRangeError('INVALID_ARGUMENT', `countersign: book: is not the book this store loaded or saved as ${id}, or forgot its unsaved events: load it again`, 'book');
    }
    // Read before any await (the caller may go on using the book while the storage works).
    const entries = tail.entries.slice(known.events - tail.base);
    const due = events - known.snapshotted >= this.#snapshotEvery;
    const snapshot = due ? book.snapshot(this.#key) : undefined;
    if (entries.length === 0) return true;
    const seal = this.#seal(id);
    for (const record of packRecords(known.events + 1, entries)) {
      const seq = await this.#store.append(key, seal.seal(record), known.records + 1);
      // Another writer took the position: its records follow what this store saw, ours do not.
      // (Records of this save already in are events decided in order: a load applies them.)
      if (seq === 0) return false;
      known.records = seq;
    }
    known.events = events;
    this.#noteEvents(key, id, events);
    this.#truncate(tail, events);
    if (snapshot !== undefined) {
      // A conflict means another writer snapshotted; the log stays the truth, so it is harmless.
      if (await this.#store.put(key, concat(u64(known.records), snapshot))) known.snapshotted = events;
    }
    return true;
  }

  /** Forgets the tail entries through event `events` (they are in storage). */
  #truncate(tail: Tail, events: number): void {
    tail.entries = tail.entries.slice(Math.max(0, events - tail.base));
    tail.base = events;
  }
}

function u64(value: number): Uint8Array {
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, BigInt(value));
  return out;
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

/** The log records of `entries` (events `first`, `first + 1`, …): JSON, within a record's size. */
function packRecords(first: number, entries: readonly LogEntry[]): Uint8Array[] {
  const records: Uint8Array[] = [];
  let at = 0;
  while (at < entries.length) {
    const parts: string[] = [];
    let bytes = 0;
    while (at + parts.length < entries.length && parts.length < LOG_RECORD_ENTRIES_MAX) {
      const json = JSON.stringify(entryToJson(entries[at + parts.length] as LogEntry));
      if (parts.length > 0 && bytes + json.length > LOG_RECORD_JSON_BYTES_MAX) break;
      parts.push(json);
      bytes += json.length + 1;
    }
    records.push(new TextEncoder().encode(`{"first":${first + at},"entries":[${parts.join(',')}]}`));
    at += parts.length;
  }
  return records;
}

/** A log record's body (its tag already checked): STORAGE_CORRUPT when not `{first, entries}`. */
function unpackRecord(body: Uint8Array, seq: number): { first: number; entries: LogEntry[] } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(body));
  } catch {
    throw corrupt(`custody book log record ${seq} is not JSON`);
  }
  const top = expectObject(parsed, `storage.log[${seq}]`, ['first', 'entries']);
  const first = expectInteger(top.first, `storage.log[${seq}].first`, 1, Number.MAX_SAFE_INTEGER);
  const list = expectArray(top.entries, `storage.log[${seq}].entries`);
  if (list.length > LOG_RECORD_ENTRIES_MAX) throw corrupt(`custody book log record ${seq} holds ${list.length} entries`);
  return { first, entries: list.map((e, i) => entryFromJson(e, `storage.log[${seq}].entries[${i}]`)) };
}

guardClass(CustodyBookStore, {
  methods: { load: ['name'], save: ['name', 'book'] },
});
