/**
 * tempcard — System 2: the limited-use temporary credit account.
 *
 * When a credit application is approved, the holder's phone shows a temporary PAN, expiry and
 * CVV for a limited time (the display window); the temporary account authorises purchases for a
 * limited time (the usable window) up to a limit reduced below the approved one, enforced as a
 * hold on the parent credit line; it closes when the physical card is activated or the window
 * ends. Every rule lives in the Rust core (core/src/tempcard, core/src/ledger); this module
 * validates arguments, converts them, supplies randomness and persists state.
 *
 * - `TempCardIssuer`: the issuer-side service (its ledger in wasm memory): approve, authorise,
 *   refund, activate, close due accounts, reveal, views, snapshots.
 * - `TemporaryAccount`: one temporary account of an issuer, for the holder's side of the flow.
 * - `TempCardStore`: persistence through a storage adapter with compare-and-swap.
 *
 * The CVV key is given to the issuer when it is created or restored, kept in memory only and
 * never persisted by the SDK (snapshots contain neither it nor any CVV).
 *
 * Every entry point is behind the SDK boundary (boundary.ts): arguments are read once into data
 * the SDK owns before anything reaches wasm, receivers and SDK-object arguments must be genuine,
 * and whatever escapes is an SDK error (the stores' async methods reject).
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
import { CountersignRangeError } from './errors.js';
import { WasmObject, handleOf } from './handle.js';
import { call } from './calls.js';
import { wasm } from './loader.js';
import { CheckedStorage } from './storage/checked.js';
import { StateStore, type PersistedState } from './store.js';
import type { AccountView, LedgerCode } from './ledger.js';
import type { Exhaustive } from './exhaustive.js';
// The requests, outcomes and views are the core's serde types, generated from the Rust types
// (sdk-ts/src/generated/tempcard.ts, `bash scripts/types.sh`).
import type {
  ApprovalRequest,
  ApprovalResult,
  BinRange,
  CloseDueResult,
  ClosureReason,
  ClosureResult,
  ClosureView,
  CredentialIssueRequest,
  PurchaseRequest,
  RefundRequest,
  RefundResult,
  RevealResult,
  TempCardAuthorisationResult,
  TempCardCode,
  TempCardConfig as WireTempCardConfig,
  TempCredentials,
  TemporaryAccountView,
  TimeWindow,
} from './generated/tempcard.js';
export type {
  ApprovalRequest,
  ApprovalResult,
  BinRange,
  CloseDueResult,
  ClosureReason,
  ClosureResult,
  ClosureView,
  CredentialIssueRequest,
  PurchaseRequest,
  RefundRequest,
  RefundResult,
  RevealResult,
  TempCardAuthorisationResult,
  TempCardCode,
  TempCredentials,
  TemporaryAccountView,
  TimeWindow,
};
import type { StorageAdapter } from './storage/types.js';
import {
  expectArray,
  expectBytes,
  expectInteger,
  expectObject,
  expectString,
  typeError,
} from './validate.js';

// ---------------------------------------------------------------------------------------------
// Types (the JSON shapes of the core's serde types)

/**
 * Every temporary-card outcome code, in the core's order (docs/tempcard.md "Tempcard codes";
 * `tempcardCodes()` describes each; a test checks this list against the core's).
 */
export const TEMPCARD_CODES = Object.freeze([
  'ISSUED', 'PAN_COLLISION', 'RANDOMNESS_EXHAUSTED', 'DISPLAY_ALLOWED', 'DISPLAY_NOT_YET_OPEN',
  'DISPLAY_CLOSED', 'USABLE', 'NOT_YET_USABLE', 'USABLE_WINDOW_CLOSED', 'EXPIRED', 'CVV_VALID',
  'CVV_INVALID', 'CVV_MALFORMED', 'PAN_MISMATCH', 'EXPIRY_MISMATCH', 'CREDENTIALS_VALID',
  'TEMPORARY_ACCOUNT_OPENED', 'ACCOUNT_EXISTS', 'ACCOUNTS_FULL', 'TEMPORARY_LIMIT_ZERO',
  'PARENT_MISMATCH', 'PARENT_HAS_OPEN_TEMPORARY', 'PARENT_CREDIT_INSUFFICIENT', 'LEDGER_REFUSED',
  'APPROVED', 'UNKNOWN_PAN', 'AUTHORISATION_ID_CONFLICT', 'AUTHORISATIONS_FULL',
  'CVV_TRIES_EXCEEDED', 'ACCOUNT_CLOSED', 'CURRENCY_MISMATCH', 'AMOUNT_NOT_POSITIVE',
  'MERCHANT_LOCKED', 'SINGLE_USE_SPENT', 'USES_EXHAUSTED', 'INSUFFICIENT_TEMPORARY_CREDIT',
  'REFUNDED_TO_PARENT', 'REFUND_ID_CONFLICT', 'REFUNDS_FULL', 'UNKNOWN_AUTHORISATION',
  'REFUND_EXCEEDS_PURCHASE', 'CLOSED_ON_ACTIVATION', 'CLOSED_AT_WINDOW_END', 'ALREADY_CLOSED',
  'UNKNOWN_ACCOUNT', 'DUE_ACCOUNTS_CLOSED', 'MORE_ACCOUNTS_DUE',
] as const satisfies readonly TempCardCode[]);
// Compile-time: TEMPCARD_CODES names every code of the generated union.
type _TempCardCodesComplete = Exhaustive<Exclude<TempCardCode, (typeof TEMPCARD_CODES)[number]>>;

/**
 * The temporary-card service's configuration. The SDK fills in `settlementAccountId` (default
 * `"settlement"`) when it is absent; the core's `TempCardConfig` requires it.
 */
export type TempCardConfig = Omit<WireTempCardConfig, 'settlementAccountId'> & {
  /** The ledger account purchases are paid to (default `"settlement"`). */
  readonly settlementAccountId?: string;
};

/** A ledger account (the parent credit line, settlement): the ledger's {@link AccountView}. */
export type LedgerAccountView = AccountView;

/** CVV keys and snapshot keys are 32 bytes. */
export const TEMPCARD_CVV_KEY_BYTES = 32;
export const TEMPCARD_SNAPSHOT_KEY_BYTES = 32;
/** Bytes of randomness one PAN draw takes (16 draws of 8 bytes). */
export const TEMPCARD_PAN_RANDOMNESS_BYTES = 128;
/** How many fresh draws `approve` makes on PAN_COLLISION / RANDOMNESS_EXHAUSTED when it supplies the randomness. */
export const TEMPCARD_APPROVE_ATTEMPTS_MAX = 4;
/** Most PANs an `issuedPans` list may hold (the core's ISSUED_PANS_MAX). */
export const TEMPCARD_ISSUED_PANS_MAX = 1024;
const TIME_S_MAX = Number.MAX_SAFE_INTEGER;
const USES_MAX = 10_000;
/** PANs are 13–19 ASCII digits (the core's PAN_DIGITS_MIN / PAN_DIGITS_MAX). */
const PAN_DIGITS_MAX = 19;

// ---------------------------------------------------------------------------------------------
// Validation and conversion

function expectTime(value: unknown, param: string): number {
  return expectInteger(value, param, -TIME_S_MAX, TIME_S_MAX);
}

function expectKey(value: unknown, param: string): Uint8Array {
  const key = expectBytes(value, param);
  if (key.length !== 32) {
    throw new CountersignRangeError('KEY_INVALID', `countersign: ${param} must be 32 bytes, got ${key.length}`, param);
  }
  return key;
}

/**
 * An `issuedPans` list, refused by its length before any element is read (LIMIT_EXCEEDED naming
 * `param`, as the core would), and each PAN refused when longer than a PAN can be: 1024 strings
 * of a million characters each would otherwise be copied into wasm memory (a gigabyte) before
 * the core looked at them.
 */
function expectIssuedPans(value: unknown, param: string): string[] {
  const list = expectArray(value, param);
  if (list.length > TEMPCARD_ISSUED_PANS_MAX) {
    throw new CountersignRangeError(
      'LIMIT_EXCEEDED',
      `countersign: ${param}: lists ${list.length} PANs, more than ISSUED_PANS_MAX (${TEMPCARD_ISSUED_PANS_MAX})`,
      param,
    );
  }
  return list.map((p, i) => {
    const pan = expectString(p, `${param}[${i}]`);
    if (pan.length > PAN_DIGITS_MAX) {
      throw new CountersignRangeError('INVALID_ARGUMENT', `countersign: ${param}: every PAN must be 13–${PAN_DIGITS_MAX} ASCII digits`, param);
    }
    return pan;
  });
}

/**
 * An approval request as it crosses. Its fields, types and values are checked by the adapter and
 * the core, naming the path (`request.maxUses`); only `issuedPans` is bounded here, before a long
 * list of long strings is copied into wasm memory.
 */
function approvalRequest(value: unknown): ApprovalRequest {
  const r = expectObject(value, 'request');
  if (r.issuedPans !== undefined) expectIssuedPans(r.issuedPans, 'request.issuedPans');
  return r as unknown as ApprovalRequest;
}

function freshRandomness(): Uint8Array {
  const bytes = new Uint8Array(TEMPCARD_PAN_RANDOMNESS_BYTES);
  globalThis.crypto.getRandomValues(bytes);
  return bytes;
}

/** Every tempcard outcome code with its description, in the core's order. */
export const tempcardCodes = guardFunction(function tempcardCodes(): { code: TempCardCode; description: string }[] {
  return call(() => wasm('tempcard').tempcardCodes());
}, []);

// ---------------------------------------------------------------------------------------------
// Credentials (pure functions: no service, no ledger)

/** Credentials as they cross: fields, types and values are checked by the adapter and the core,
 * naming the path (`credentials.displayWindow.until`). */
function credentialsToCore(value: unknown): TempCredentials {
  return expectObject(value, 'credentials') as unknown as TempCredentials;
}

/**
 * The credential rules on their own (core/src/tempcard/credentials.rs): Luhn, PAN issuance from a
 * BIN range, the CVV (HMAC-SHA256 of the PAN and expiry under the key, compared in constant time),
 * the display and usable windows. Pure functions: randomness and time are arguments.
 */
export const tempCredentials = Object.freeze({
  luhnValid: guardFunction(function luhnValid(number: string): boolean {
    const digits = expectString(number, 'number');
    return call(() => wasm('tempcard').tempcardLuhnValid(digits));
  }, ['number']),
  /** The check digit to append to `payload` (1–19 digits), or null. */
  luhnCheckDigit: guardFunction(function luhnCheckDigit(payload: string): number | null {
    const digits = expectString(payload, 'payload');
    return call<number | undefined>(() => wasm('tempcard').tempcardLuhnCheckDigit(digits)) ?? null;
  }, ['payload']),
  /** `ISSUED` with credentials, or `PAN_COLLISION` / `RANDOMNESS_EXHAUSTED`; `randomness` is 128 bytes. */
  issue: guardFunction(function issue(
    request: CredentialIssueRequest,
    randomness: Uint8Array,
  ): { code: TempCardCode; credentials: TempCredentials | null } {
    // Checked by the adapter and the core, naming the path; `issuedPans` is bounded before it crosses.
    const core = expectObject(request, 'request');
    if (core.issuedPans !== undefined) expectIssuedPans(core.issuedPans, 'request.issuedPans');
    const bytes = expectBytes(randomness, 'randomness');
    return call(() => wasm('tempcard').tempcardIssue(core, bytes));
  }, ['request', 'randomness']),
  deriveCvv: guardFunction(function deriveCvv(cvvKey: Uint8Array, pan: string, expiresAt: number): string {
    const key = expectBytes(cvvKey, 'cvvKey');
    const at = expectTime(expiresAt, 'expiresAt');
    return call(() => wasm('tempcard').tempcardDeriveCvv(key, expectString(pan, 'pan'), BigInt(at)));
  }, ['cvvKey', 'pan', 'expiresAt']),
  /** `CVV_VALID`, `CVV_INVALID` or `CVV_MALFORMED` (constant-time comparison). */
  verifyCvv: guardFunction(function verifyCvv(cvvKey: Uint8Array, pan: string, expiresAt: number, presented: string): TempCardCode {
    const key = expectBytes(cvvKey, 'cvvKey');
    const at = expectTime(expiresAt, 'expiresAt');
    return call(() => wasm('tempcard').tempcardVerifyCvv(key, expectString(pan, 'pan'), BigInt(at), expectString(presented, 'presented')));
  }, ['cvvKey', 'pan', 'expiresAt', 'presented']),
  displayStatus: guardFunction(function displayStatus(credentials: TempCredentials, now: number): TempCardCode {
    const c = credentialsToCore(credentials);
    return call(() => wasm('tempcard').tempcardDisplayStatus(c, BigInt(expectTime(now, 'now'))));
  }, ['credentials', 'now']),
  usableStatus: guardFunction(function usableStatus(credentials: TempCredentials, now: number): TempCardCode {
    const c = credentialsToCore(credentials);
    return call(() => wasm('tempcard').tempcardUsableStatus(c, BigInt(expectTime(now, 'now'))));
  }, ['credentials', 'now']),
  reveal: guardFunction(function reveal(credentials: TempCredentials, cvvKey: Uint8Array, now: number): RevealResult {
    const c = credentialsToCore(credentials);
    const key = expectBytes(cvvKey, 'cvvKey');
    return call(() => wasm('tempcard').tempcardReveal(c, key, BigInt(expectTime(now, 'now'))));
  }, ['credentials', 'cvvKey', 'now']),
  verifyPresented: guardFunction(function verifyPresented(
    credentials: TempCredentials,
    cvvKey: Uint8Array,
    presented: { pan: string; expiry: string; cvv: string },
    now: number,
  ): TempCardCode {
    const c = credentialsToCore(credentials);
    const key = expectBytes(cvvKey, 'cvvKey');
    const core = expectObject(presented, 'presented'); // fields checked by the adapter, naming the path
    return call(() => wasm('tempcard').tempcardVerifyPresented(c, key, core, BigInt(expectTime(now, 'now'))));
  }, ['credentials', 'cvvKey', 'presented', 'now']),
});

// ---------------------------------------------------------------------------------------------
// TempCardIssuer

/** The glue's class, named from its declarations (shipped in wasm/): the public class's
 * `extends WasmObject<Handle>` appears in dist/*.d.ts, where the internal `wasm()` does not. */
type Handle = import('../wasm/countersign_wasm.js').TempCardServiceHandle;

/**
 * The issuer-side temporary-account service: a ledger with the parent credit lines, the
 * settlement account and one hold per temporary account, in wasm memory. Persist it with
 * `TempCardStore` (or `snapshot()` / `TempCardIssuer.restore()`); call `free()` when done.
 */
export class TempCardIssuer extends WasmObject<Handle> {
  /** The CVV key: the SDK's own copy (never the caller's array). */
  readonly #cvvKey: Uint8Array;

  private constructor(token: typeof INTERNAL_CONSTRUCTION, handle: Handle, cvvKey: Uint8Array) {
    checkInternalConstruction(token, 'TempCardIssuer', 'TempCardIssuer.create, TempCardIssuer.restore or TempCardStore.load');
    super(handle, 'temporary-card issuer');
    this.#cvvKey = cvvKey;
    adopt(this, TempCardIssuer);
    Object.freeze(this);
  }

  /**
   * A new service at `now`. `cvvKey` (32 bytes, the issuer's secret) is copied and kept in
   * memory only: it is never part of a snapshot.
   */
  static create(config: TempCardConfig, options: { cvvKey: Uint8Array; now: number }): TempCardIssuer {
    const c = expectObject(config, 'config');
    const o = expectObject(options, 'options', ['cvvKey', 'now']);
    const cvvKey = expectKey(o.cvvKey, 'options.cvvKey').slice();
    const now = expectTime(o.now, 'options.now');
    // Checked by the adapter and the core, naming the path (`config.binRange.panLength`).
    const core = c.settlementAccountId === undefined ? { ...c, settlementAccountId: 'settlement' } : c;
    return new TempCardIssuer(INTERNAL_CONSTRUCTION, call<Handle>(() => new (wasm('tempcard').TempCardServiceHandle)(core, BigInt(now))), cvvKey);
  }

  /** Restores a service from `snapshot()` bytes; `cvvKey` as in `create`. */
  static restore(snapshot: Uint8Array, snapshotKey: Uint8Array, cvvKey: Uint8Array): TempCardIssuer {
    const bytes = expectBytes(snapshot, 'snapshot');
    const macKey = expectKey(snapshotKey, 'snapshotKey');
    const key = expectKey(cvvKey, 'cvvKey').slice();
    return new TempCardIssuer(INTERNAL_CONSTRUCTION, call<Handle>(() => wasm('tempcard').TempCardServiceHandle.restore(bytes, macKey)), key);
  }

  get config(): TempCardConfig {
    return call<TempCardConfig>(() => handleOf(this).config());
  }

  /**
   * Approves a credit application: issues the temporary credentials and holds the reduced limit
   * on the parent credit line. Without `randomness` the SDK draws it (Web Crypto) and draws again
   * on `PAN_COLLISION` / `RANDOMNESS_EXHAUSTED`, at most TEMPCARD_APPROVE_ATTEMPTS_MAX times.
   */
  approve(request: ApprovalRequest, randomness?: Uint8Array): ApprovalResult {
    const checked = approvalRequest(request);
    if (randomness !== undefined) {
      const bytes = expectBytes(randomness, 'randomness');
      return call<ApprovalResult>(() => handleOf(this).approve(checked, bytes));
    }
    let result: ApprovalResult | undefined;
    for (let attempt = 0; attempt < TEMPCARD_APPROVE_ATTEMPTS_MAX; attempt += 1) {
      result = call<ApprovalResult>(() => handleOf(this).approve(checked, freshRandomness()));
      if (result.code !== 'PAN_COLLISION' && result.code !== 'RANDOMNESS_EXHAUSTED') break;
    }
    return result as ApprovalResult;
  }

  /** Decides a purchase presented by a merchant (PAN, MM/YY, CVV, amount, merchant) and records it. */
  authorise(request: PurchaseRequest): TempCardAuthorisationResult {
    // Checked by the adapter and the core, naming the path (`request.amount`).
    return call<TempCardAuthorisationResult>(() => handleOf(this).authorise(request, this.#cvvKey));
  }

  /** Refunds (part of) an approved purchase: always to the parent credit line. */
  refund(request: RefundRequest): RefundResult {
    return call<RefundResult>(() => handleOf(this).refund(request));
  }

  /** The physical card was activated: closes the temporary account, releasing the unused hold. */
  activatePhysicalCard(accountId: string, now: number): ClosureResult {
    const id = expectString(accountId, 'accountId');
    const at = expectTime(now, 'now');
    return call<ClosureResult>(() => handleOf(this).activatePhysicalCard(id, BigInt(at)));
  }

  /** Closes every open account whose usable window has ended (run it on a timer). */
  closeDue(now: number): CloseDueResult {
    const at = expectTime(now, 'now');
    return call<CloseDueResult>(() => handleOf(this).closeDue(BigInt(at)));
  }

  /** The credentials to show the holder, only inside the display window (the CVV derived now). */
  reveal(accountId: string, now: number): RevealResult {
    const id = expectString(accountId, 'accountId');
    const at = expectTime(now, 'now');
    return call<RevealResult>(() => handleOf(this).reveal(id, this.#cvvKey, BigInt(at)));
  }

  /** The temporary account at `now`, or null. */
  account(accountId: string, now: number): TemporaryAccountView | null {
    const id = expectString(accountId, 'accountId');
    const at = expectTime(now, 'now');
    return call<TemporaryAccountView | null>(() => handleOf(this).account(id, BigInt(at)));
  }

  /** A handle on one temporary account (throws `INVALID_ARGUMENT` when unknown). */
  temporaryAccount(accountId: string): TemporaryAccount {
    const id = expectString(accountId, 'accountId');
    if (!this.accountIds().includes(id)) {
      throw new CountersignRangeError('INVALID_ARGUMENT', `countersign: accountId: no temporary account ${JSON.stringify(id)}`, 'accountId');
    }
    return new TemporaryAccount(this, id);
  }

  accountIds(): string[] {
    return call<string[]>(() => handleOf(this).accountIds());
  }

  /** A ledger account (a parent credit line, the settlement account), or null. */
  ledgerAccount(accountId: string): LedgerAccountView | null {
    const id = expectString(accountId, 'accountId');
    return call<LedgerAccountView | null>(() => handleOf(this).ledgerAccount(id));
  }

  /** The ledger journal entries not yet truncated (hash-chained CBOR), oldest first. */
  journal(): Uint8Array[] {
    return call<Uint8Array[]>(() => handleOf(this).journal());
  }

  journalHead(): { seq: number; hash: string } {
    return call<{ seq: number; hash: string }>(() => handleOf(this).journalHead());
  }

  /** Forgets the retained journal entries up to `throughSeq` (after persisting them). */
  truncateJournal(throughSeq: number): void {
    const seq = expectInteger(throughSeq, 'throughSeq', 0, Number.MAX_SAFE_INTEGER);
    call(() => handleOf(this).truncateJournal(BigInt(seq)));
  }

  /** Versioned, HMAC-SHA256-authenticated state bytes (the ledger embedded; no CVV, no CVV key). */
  snapshot(snapshotKey: Uint8Array): Uint8Array {
    const key = expectKey(snapshotKey, 'snapshotKey');
    return call<Uint8Array>(() => handleOf(this).snapshot(key));
  }

  /** An independent copy (same state, same CVV key). */
  copy(): TempCardIssuer {
    return new TempCardIssuer(INTERNAL_CONSTRUCTION, call<Handle>(() => handleOf(this).copy()), this.#cvvKey);
  }

  // free() and [Symbol.dispose]() are WasmObject's (handle.ts).
}

// ---------------------------------------------------------------------------------------------
// TemporaryAccount

/** One temporary account of a `TempCardIssuer`: the holder's view of the flow. */
export class TemporaryAccount {
  readonly issuer: TempCardIssuer;
  readonly accountId: string;

  /** @internal Use `TempCardIssuer.temporaryAccount(id)`. */
  constructor(issuer: TempCardIssuer, accountId: string) {
    try {
      const [owner, id] = ownConstructorArgs(arguments, ['issuer', 'accountId'], 'new TemporaryAccount');
      if (!isOwned(owner, TempCardIssuer)) throw typeError('issuer', 'a TempCardIssuer', owner);
      this.issuer = owner;
      this.accountId = expectString(id, 'accountId');
      adopt(this, TemporaryAccount);
      // `issuer` and `accountId` are used by every method: they stay what they were.
      Object.freeze(this);
    } catch (e) {
      throw toSdkError(e, 'new TemporaryAccount');
    }
  }

  /** The account at `now`. */
  view(now: number): TemporaryAccountView {
    const view = this.issuer.account(this.accountId, now);
    if (view === null) throw new CountersignRangeError('INVALID_ARGUMENT', 'countersign: accountId: unknown', 'accountId');
    return view;
  }

  /** PAN, MM/YY and CVV, only inside the display window. */
  reveal(now: number): RevealResult {
    return this.issuer.reveal(this.accountId, now);
  }

  /** Seconds the credentials may still be shown at `now` (0 outside the display window). */
  displaySecondsLeft(now: number): number {
    const view = this.view(now);
    if (view.displayStatus !== 'DISPLAY_ALLOWED') return 0;
    return view.displayWindow.until - now;
  }

  /** Seconds the account may still be used at `now` (0 when not usable). */
  usableSecondsLeft(now: number): number {
    const view = this.view(now);
    if (view.usableStatus !== 'USABLE') return 0;
    return view.usableWindow.until - now;
  }

  activatePhysicalCard(now: number): ClosureResult {
    return this.issuer.activatePhysicalCard(this.accountId, now);
  }
}

// ---------------------------------------------------------------------------------------------
// Persistence

/**
 * Saves and loads temporary-account services through a storage adapter (IndexedDB in browsers,
 * atomic files in Node): one key per service holding its authenticated snapshot, written with
 * compare-and-swap, and one log (same name) receiving the ledger's journal entries after each
 * successful save (then truncated in memory, so the journal never fills). It remembers the
 * newest journal head it has seen and refuses to load an older snapshot (a rollback).
 * The CVV key is never written: pass it to `load`.
 */
export class TempCardStore {
  /** Compare-and-swap, rollback memory and the journal log per service (store.ts). */
  readonly #store: StateStore;
  readonly #prefix: string;

  constructor(storage: StorageAdapter, snapshotKey: Uint8Array, options?: { prefix?: string }) {
    try {
      const [adapter, key, given] = ownConstructorArgs(arguments, [raw('storage'), 'snapshotKey', 'options'], 'new TempCardStore');
      const checked = CheckedStorage.of(adapter, 'storage');
      const ownKey = expectKey(key, 'snapshotKey');
      const opts = given === undefined ? {} : expectObject(given, 'options', ['prefix']);
      this.#prefix = opts.prefix === undefined ? 'tempcard/' : expectString(opts.prefix, 'options.prefix');
      this.#store = new StateStore(checked, ownKey);
      adopt(this, TempCardStore);
      Object.freeze(this);
    } catch (e) {
      throw toSdkError(e, 'new TempCardStore');
    }
  }

  /** The stored service `name`, or null. Throws SNAPSHOT_INVALID for tampered bytes or a rollback. */
  async load(name: string, cvvKey: Uint8Array): Promise<TempCardIssuer | null> {
    const id = expectString(name, 'name');
    const ownKey = expectKey(cvvKey, 'cvvKey');
    return this.#store.load(persistedIssuer(ownKey), this.#prefix + id, id);
  }

  /**
   * Saves the service as `name`. Returns false, writing nothing, when someone else changed the
   * stored state since this store last loaded or saved it (load again, re-apply, save again).
   * The journal entries the snapshot covers are then appended to the log of the same name (an
   * audit trail) and truncated in memory.
   */
  async save(name: string, issuer: TempCardIssuer): Promise<boolean> {
    const key = this.#prefix + expectString(name, 'name');
    if (!isOwned(issuer, TempCardIssuer)) throw typeError('issuer', 'a TempCardIssuer', issuer);
    return this.#store.save(persistedIssuer(undefined), key, issuer);
  }
}

/**
 * A temporary-card service as the generic store persists it: its ledger journal's head guards
 * against rollback, and its journal goes to the log of the same key. `cvvKey` is the key a
 * restored service is given (the CVV key is never stored); saving needs none.
 */
function persistedIssuer(cvvKey: Uint8Array | undefined): PersistedState<TempCardIssuer, number> {
  return {
    param: 'name',
    snapshot: (issuer, key) => issuer.snapshot(key),
    restore: (bytes, key) => {
      if (cvvKey === undefined) throw new CountersignRangeError('INTERNAL', 'countersign: a temporary-card service is restored with its CVV key');
      return TempCardIssuer.restore(bytes, key, cvvKey);
    },
    freshness: (issuer) => issuer.journalHead().seq,
    isOlder: (_issuer, found, seen) => found < seen,
    free: (issuer) => issuer.free(),
    journal: {
      log: (key) => key,
      entries: (issuer) => issuer.journal(),
      truncate: (issuer, seq) => issuer.truncateJournal(seq),
    },
  };
}

guardClass(TempCardIssuer, {
  methods: {
    config: [],
    approve: ['request', 'randomness'],
    authorise: ['request'],
    refund: ['request'],
    activatePhysicalCard: ['accountId', 'now'],
    closeDue: ['now'],
    reveal: ['accountId', 'now'],
    account: ['accountId', 'now'],
    temporaryAccount: ['accountId'],
    accountIds: [],
    ledgerAccount: ['accountId'],
    journal: [],
    journalHead: [],
    truncateJournal: ['throughSeq'],
    snapshot: ['snapshotKey'],
    copy: [],
    free: [],
  },
  statics: { create: ['config', 'options'], restore: ['snapshot', 'snapshotKey', 'cvvKey'] },
});

guardClass(TemporaryAccount, {
  methods: {
    view: ['now'],
    reveal: ['now'],
    displaySecondsLeft: ['now'],
    usableSecondsLeft: ['now'],
    activatePhysicalCard: ['now'],
  },
});

guardClass(TempCardStore, {
  methods: { load: ['name', 'cvvKey'], save: ['name', 'issuer'] },
});
