/**
 * relay — System 5: payment tokens from an offline phone, carried by a relay terminal to a
 * server, and the signed receipt carried back.
 *
 * Three roles: the `PaymentPhone` (offline: seals tokens within its offline allowance, verifies
 * receipts), the `RelayTerminal` (the merchant's terminal: queues the token bytes while the
 * server is unreachable and hands the server's answer back; it holds no key and cannot change a
 * token) and the `TokenServer` (checks tokens, pays on its ledger, signs receipts). Every rule
 * lives in the Rust core (core/src/relay); this module validates arguments and converts them.
 * `RelayStore` persists a phone or a server through a storage adapter. Money is always a decimal
 * string, never a `number`. The Node HTTP server role is `TokenHttpServer` (relay-server.ts).
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
import { expectKeyAlgorithm, generateKeyPair, sha256, type KeyAlgorithm, type KeyPair } from './crypto.js';
import { CountersignError, CountersignRangeError, CountersignTypeError } from './errors.js';
import { WasmObject, withHandle } from './handle.js';
import type { LedgerCode, LedgerOutcome } from './ledger.js';
import type { LimitSpec, LimitStatus } from './generated/limits.js';
import type {
  PhoneConfig,
  ReceiptOutcome,
  RelayCode,
  SealOutcomeWire,
  ServerReplyWire,
  TokenStateKind,
  TokenView,
} from './generated/relay.js';
import { wasm } from './loader.js';
import { PosTerminal, type PosAcquirerAnswer, type PosAcquirerClient, type PosAcquirerRequest, type PosCode, type PosFlushResult, type QueueExport, type TerminalConfig } from './pos.js';
import { expectKeyPair } from './relay-keys.js';
import { CheckedStorage } from './storage/checked.js';
import { StateStore, type PersistedState } from './store.js';
import type { StorageAdapter } from './storage/types.js';
import { expectBytes, expectInteger, expectObject, expectOneOf, expectString, rangeError, typeError } from './validate.js';

export type { PhoneConfig, ReceiptOutcome, RelayCode, TokenStateKind, TokenView };

/** Latest time accepted, Unix seconds (the limits primitive's range). */
const TIME_S_MAX = 32_503_680_000;
/** The longest a token may be valid, seconds (the core's TOKEN_TTL_S_MAX). */
export const RELAY_TOKEN_TTL_S_MAX = 86_400;
/** How long a token is valid unless the caller says otherwise, seconds. */
export const RELAY_TOKEN_TTL_S_DEFAULT = 600;
/** Nonce length the phone draws, bytes (the core accepts 8..=16; 8 keeps the QR code small). */
export const RELAY_NONCE_BYTES = 8;
/** The longest token the SDK forwards or processes, bytes (a token is ~150; envelopes allow more). */
export const RELAY_TOKEN_BYTES_MAX = 1024;

const objectCreate = Object.create;
const objectAssign = Object.assign;

/** A shallow prototype-less copy: a field the caller left out reads `undefined` here. */
function bare<T extends object>(value: T): T {
  return objectAssign(objectCreate(null) as T, value);
}

function fieldsOf(value: unknown, param: string, allowed?: readonly string[]): Record<string, unknown> {
  return bare(expectObject(value, param, allowed));
}

/** Lowercase hex of `bytes`. */
function hexOf(bytes: Uint8Array): string {
  let out = '';
  for (const byte of bytes) out += byte.toString(16).padStart(2, '0');
  return out;
}

function expectTime(value: unknown, param: string): bigint {
  return BigInt(expectInteger(value, param, 0, TIME_S_MAX));
}

function expectToken(value: unknown, param: string): Uint8Array {
  const bytes = expectBytes(value, param);
  if (bytes.length > RELAY_TOKEN_BYTES_MAX) {
    throw new CountersignRangeError('INVALID_ARGUMENT', `countersign: ${param} is ${bytes.length} bytes, more than ${RELAY_TOKEN_BYTES_MAX}`, param);
  }
  return bytes;
}

function signerOf(keyPair: KeyPair, keyId: string): { algorithm: KeyAlgorithm; keyId: string; secretKey: Uint8Array } {
  return bare({ algorithm: keyPair.algorithm, keyId, secretKey: keyPair.secretKey });
}

/** The server key a phone trusts for receipts. */
export interface RelayServerKey {
  readonly keyId: string;
  readonly algorithm: KeyAlgorithm;
  readonly publicKey: Uint8Array;
}

function serverKeyToCore(value: unknown): { keyId: string; alg: KeyAlgorithm; publicKey: string } {
  const key = fieldsOf(value, 'serverKey');
  return bare({
    keyId: expectString(key.keyId, 'serverKey.keyId'),
    alg: expectKeyAlgorithm(key.algorithm, 'serverKey.algorithm'),
    publicKey: hexOf(expectBytes(key.publicKey, 'serverKey.publicKey')),
  });
}

/** What `PaymentPhone.seal` returns: the wire outcome plus the token bytes (null unless SEALED). */
export type SealOutcome = SealOutcomeWire & { readonly token: Uint8Array | null };
/** What `TokenServer.process` returns: the wire reply plus the receipt bytes (null for a refusal without one). */
export type TokenServerReply = ServerReplyWire & { readonly receipt: Uint8Array | null };

/** Every relay outcome code with its description. */
export const relayCodes = guardFunction(function relayCodes(): { code: RelayCode; description: string }[] {
  return call(() => wasm('relay').relayCodes());
}, []);

/** The smallest QR code version (error correction M, byte mode) that holds `bytes`, or null past version 15. */
export const relayQrVersion = guardFunction(function relayQrVersion(bytes: number): number | null {
  const n = expectInteger(bytes, 'bytes', 0, 0xffff_ffff);
  return call<number | undefined>(() => wasm('relay').relayQrVersion(n)) ?? null;
}, ['bytes']);

/**
 * A token's state in plain language, for a phone's screen: "answer not yet delivered",
 * "refused by the server (CODE)", "settled: approved" / "settled: declined (CODE)". A token the
 * relay could not take is the caller's ("relay unreachable"): the phone never handed it over.
 */
export const relayTokenStatus = guardFunction(function relayTokenStatus(token: TokenView): string {
  const t = fieldsOf(token, 'token');
  const state = expectOneOf(t.state, 'token.state', ['awaiting', 'refused', 'settled'] as const);
  const code = t.code === null || t.code === undefined ? null : expectString(t.code, 'token.code');
  if (state === 'awaiting') return 'answer not yet delivered';
  if (state === 'refused') return `refused by the server (${code ?? 'unknown'})`;
  return code === 'APPROVED' ? 'settled: approved' : `settled: declined (${code ?? 'unknown'})`;
}, ['token']);

type PhoneHandle = import('../wasm/countersign_wasm.js').RelayPhoneHandle;
type ServerHandle = import('../wasm/countersign_wasm.js').RelayServerHandle;

/**
 * The phone: seals payment tokens within its offline allowance (each reserves its amount until a
 * receipt settles it) and verifies receipts offline. Its key id is its device id. Persist it with
 * `RelayStore.savePhone` after each change. Call `free()` when done (or use `using`).
 */
export class PaymentPhone extends WasmObject<PhoneHandle> {
  /** The device id (the key id of its tokens). */
  readonly deviceId: string;
  readonly #keyPair: KeyPair;

  private constructor(token: typeof INTERNAL_CONSTRUCTION, handle: PhoneHandle, keyPair: KeyPair) {
    checkInternalConstruction(token, 'PaymentPhone', 'PaymentPhone.create or PaymentPhone.restore');
    super(handle, 'payment phone');
    this.#keyPair = keyPair;
    this.deviceId = handle.deviceId();
    adopt(this, PaymentPhone);
    Object.freeze(this);
  }

  /** A new phone (counter 1 next) signing with `keyPair` (Ed25519; a new one when absent). */
  static create(config: PhoneConfig, keyPair?: KeyPair): PaymentPhone {
    // Fields, types and values are checked by the adapter and the core, naming the path.
    const checked = fieldsOf(config, 'config');
    const pair = expectKeyPair(keyPair === undefined ? generateKeyPair('EdDSA') : keyPair);
    return new PaymentPhone(INTERNAL_CONSTRUCTION, call<PhoneHandle>(() => new (wasm('relay').RelayPhoneHandle)(checked)), pair);
  }

  /** Restores a phone from `snapshot()` bytes. */
  static restore(snapshot: Uint8Array, snapshotKey: Uint8Array, keyPair: KeyPair): PaymentPhone {
    expectBytes(snapshot, 'snapshot');
    expectBytes(snapshotKey, 'snapshotKey');
    const pair = expectKeyPair(keyPair);
    return new PaymentPhone(INTERNAL_CONSTRUCTION, call<PhoneHandle>(() => wasm('relay').RelayPhoneHandle.restore(snapshot, snapshotKey)), pair);
  }

  /** The public key the server registers for this device (a fresh copy). */
  get publicKey(): Uint8Array {
    return new Uint8Array(this.#keyPair.publicKey);
  }

  /** The counter the next token gets. */
  get nextCounter(): number {
    return withHandle(this, (h) => h.nextCounter());
  }

  /**
   * Seals a token paying `amount` (decimal string) in `currency` to `payee`, valid for `ttlS`
   * seconds from `now` (default {@link RELAY_TOKEN_TTL_S_DEFAULT}). The nonce is drawn here
   * unless given (8..=16 bytes; tests give one for reproducible bytes).
   */
  seal(request: { payee: string; amount: string; currency: string; now: number; ttlS?: number; nonce?: Uint8Array }): SealOutcome {
    const r = fieldsOf(request, 'request', ['payee', 'amount', 'currency', 'now', 'ttlS', 'nonce']);
    let nonce: Uint8Array;
    if (r.nonce === undefined) {
      nonce = new Uint8Array(RELAY_NONCE_BYTES);
      globalThis.crypto.getRandomValues(nonce);
    } else {
      nonce = expectBytes(r.nonce, 'request.nonce');
    }
    const wire = bare({
      payee: expectString(r.payee, 'request.payee'),
      amount: expectString(r.amount, 'request.amount'),
      currency: expectString(r.currency, 'request.currency'),
      nonce: hexOf(nonce),
      now: expectTime(r.now, 'request.now'),
      ttlS: BigInt(r.ttlS === undefined ? RELAY_TOKEN_TTL_S_DEFAULT : expectInteger(r.ttlS, 'request.ttlS', 1, RELAY_TOKEN_TTL_S_MAX)),
    });
    const signer = signerOf(this.#keyPair, this.deviceId);
    return withHandle(this, (h) => h.seal(wire, signer));
  }

  /** Verifies a receipt offline against the server's key and settles its token. */
  acceptReceipt(receipt: Uint8Array, serverKey: RelayServerKey, now: number): ReceiptOutcome {
    const bytes = expectToken(receipt, 'receipt');
    const key = serverKeyToCore(serverKey);
    const at = expectTime(now, 'now');
    return withHandle(this, (h) => h.acceptReceipt(bytes, key, at));
  }

  /** Records a refusal the relay reported without a receipt (unsigned: only the plain-language state changes). */
  noteRefusal(tokenHash: string, code: RelayCode): boolean {
    expectString(tokenHash, 'tokenHash');
    expectString(code, 'code');
    return withHandle(this, (h) => h.noteRefusal(tokenHash, code));
  }

  /** Outstanding tokens, then the settled ones the phone remembers. */
  tokens(): TokenView[] {
    return withHandle(this, (h) => h.tokens());
  }

  /** The offline allowance at `now`: each limit's used and remaining. */
  allowance(now: number): LimitStatus[] {
    const at = expectTime(now, 'now');
    return withHandle(this, (h) => h.allowance(at));
  }

  /** Changes so far, a decimal string (only grows). */
  revision(): string {
    return withHandle(this, (h) => h.revision());
  }

  snapshot(snapshotKey: Uint8Array): Uint8Array {
    expectBytes(snapshotKey, 'snapshotKey');
    return withHandle(this, (h) => h.snapshot(snapshotKey));
  }
}

/**
 * The token server: registered devices, payees, a ledger (in wasm memory), signed receipts.
 * Persist it with `RelayStore.saveServer` after each change, before answering.
 */
export class TokenServer extends WasmObject<ServerHandle> {
  /** The key id receipts are signed with. */
  readonly keyId: string;
  readonly #keyPair: KeyPair;

  private constructor(token: typeof INTERNAL_CONSTRUCTION, handle: ServerHandle, keyPair: KeyPair, keyId: string) {
    checkInternalConstruction(token, 'TokenServer', 'TokenServer.create or TokenServer.restore');
    super(handle, 'token server');
    this.#keyPair = keyPair;
    this.keyId = keyId;
    adopt(this, TokenServer);
    Object.freeze(this);
  }

  /** A new server in `currency` with an empty ledger (issuer account only). */
  static create(currency: string, now: number, keyPair?: KeyPair, keyId = 'relay-server'): TokenServer {
    expectString(currency, 'currency');
    const at = expectTime(now, 'now');
    const pair = expectKeyPair(keyPair === undefined ? generateKeyPair('EdDSA') : keyPair);
    expectString(keyId, 'keyId');
    return new TokenServer(INTERNAL_CONSTRUCTION, call<ServerHandle>(() => new (wasm('relay').RelayServerHandle)(currency, at)), pair, keyId);
  }

  /** Restores a server from `snapshot()` bytes. */
  static restore(snapshot: Uint8Array, snapshotKey: Uint8Array, keyPair: KeyPair, keyId = 'relay-server'): TokenServer {
    expectBytes(snapshot, 'snapshot');
    expectBytes(snapshotKey, 'snapshotKey');
    const pair = expectKeyPair(keyPair);
    expectString(keyId, 'keyId');
    return new TokenServer(INTERNAL_CONSTRUCTION, call<ServerHandle>(() => wasm('relay').RelayServerHandle.restore(snapshot, snapshotKey)), pair, keyId);
  }

  /** The key phones trust for receipts (a fresh object with its own bytes). */
  get publicKey(): RelayServerKey {
    return { keyId: this.keyId, algorithm: this.#keyPair.algorithm, publicKey: new Uint8Array(this.#keyPair.publicKey) };
  }

  get currency(): string {
    return withHandle(this, (h) => h.currency());
  }

  /** Registers a device's Ed25519 public key and its server-side limits; opens its wallet. */
  registerDevice(deviceId: string, publicKey: Uint8Array, limits: readonly LimitSpec[], now: number): LedgerCode {
    expectString(deviceId, 'deviceId');
    expectBytes(publicKey, 'publicKey');
    const at = expectTime(now, 'now');
    return withHandle(this, (h) => h.registerDevice(deviceId, publicKey, limits, at) as LedgerCode);
  }

  /** Adds a payee (opens its account). */
  addPayee(payee: string, now: number): LedgerCode {
    expectString(payee, 'payee');
    const at = expectTime(now, 'now');
    return withHandle(this, (h) => h.addPayee(payee, at) as LedgerCode);
  }

  /** Funds a device's wallet from the issuer account (a decimal string). */
  fund(deviceId: string, amount: string, now: number): LedgerOutcome {
    expectString(deviceId, 'deviceId');
    expectString(amount, 'amount');
    const at = expectTime(now, 'now');
    return withHandle(this, (h) => h.fund(deviceId, amount, at));
  }

  /** The balance of a device's wallet or of a payee (decimal string), or null when unknown. */
  balance(kind: 'device' | 'payee', id: string): string | null {
    const k = expectOneOf(kind, 'kind', ['device', 'payee'] as const);
    expectString(id, 'id');
    return withHandle(this, (h) => h.balance(id, k === 'device') ?? null);
  }

  /** Checks a token and answers it (the receipt is signed with this server's key). */
  process(token: Uint8Array, now: number): TokenServerReply {
    const bytes = expectToken(token, 'token');
    const at = expectTime(now, 'now');
    const signer = signerOf(this.#keyPair, this.keyId);
    return withHandle(this, (h) => h.process(bytes, signer, at));
  }

  /** The ledger's journal entries not yet handed to storage (RelayStore appends and truncates them). */
  journal(): Uint8Array[] {
    return withHandle(this, (h) => h.journal());
  }

  /** Forgets the retained journal entries through `throughSeq` (after persisting them). */
  truncateJournal(throughSeq: bigint): void {
    if (typeof throughSeq !== 'bigint') throw typeError('throughSeq', 'a bigint', throughSeq);
    if (throughSeq < 0n || throughSeq > (1n << 64n) - 1n) throw new CountersignRangeError('INVALID_ARGUMENT', 'countersign: throughSeq must be a u64', 'throughSeq');
    withHandle(this, (h) => h.truncateJournal(throughSeq));
  }

  /** `[server revision, ledger journal seq]`, decimal strings (both only grow). */
  revision(): [string, string] {
    return withHandle(this, (h) => h.revision() as [string, string]);
  }

  snapshot(snapshotKey: Uint8Array): Uint8Array {
    expectBytes(snapshotKey, 'snapshotKey');
    return withHandle(this, (h) => h.snapshot(snapshotKey));
  }
}

// ---------------------------------------------------------------------------------------------
// Persistence

function revisionOf(role: PaymentPhone | TokenServer): bigint[] {
  const r = role.revision();
  return (Array.isArray(r) ? r : [r]).map((v) => BigInt(v));
}

function persistedRole<T extends PaymentPhone | TokenServer>(restore: (bytes: Uint8Array, key: Uint8Array) => T, withJournal: boolean): PersistedState<T, bigint[]> {
  return {
    param: 'name',
    snapshot: (role, key) => role.snapshot(key),
    restore,
    freshness: revisionOf,
    isOlder: (_role, found, seen) => found.some((v, i) => v < (seen[i] ?? 0n)),
    free: (role) => role.free(),
    journal: withJournal
      ? {
          log: (key) => `${key}.journal`,
          entries: (role) => (role as TokenServer).journal(),
          truncate: (role, revision) => (role as TokenServer).truncateJournal(revision[1] ?? 0n),
        }
      : undefined,
  };
}

function notRestoring(): never {
  throw new CountersignRangeError('INTERNAL', 'countersign: a relay role is restored with its key pair');
}
const SAVED_PHONE = persistedRole<PaymentPhone>(notRestoring, false);
const SAVED_SERVER = persistedRole<TokenServer>(notRestoring, true);

/**
 * Saves and loads phones and token servers through a storage adapter (IndexedDB in browsers,
 * files or PostgreSQL in Node): one key per role holding its authenticated snapshot, written with
 * compare-and-swap; an older state than one already seen is refused (a rolled-back phone would
 * sign a counter twice, a rolled-back server answer one twice).
 */
export class RelayStore {
  readonly #store: StateStore;
  readonly #prefix: string;

  constructor(storage: StorageAdapter, snapshotKey: Uint8Array, options?: { prefix?: string }) {
    try {
      const [adapter, key, given] = ownConstructorArgs(arguments, [raw('storage'), 'snapshotKey', 'options'], 'new RelayStore');
      const checked = CheckedStorage.of(adapter, 'storage');
      const ownKey = expectBytes(key, 'snapshotKey');
      const opts = given === undefined ? bare<Record<string, unknown>>({}) : fieldsOf(given, 'options', ['prefix']);
      this.#prefix = opts.prefix === undefined ? 'relay/' : expectString(opts.prefix, 'options.prefix');
      this.#store = new StateStore(checked, ownKey);
      adopt(this, RelayStore);
    } catch (e) {
      throw toSdkError(e, 'new RelayStore');
    }
  }

  /** The stored phone `name`, or null. */
  async loadPhone(name: string, keyPair: KeyPair): Promise<PaymentPhone | null> {
    const id = expectString(name, 'name');
    const pair = expectKeyPair(keyPair);
    return this.#store.load(persistedRole((b, k) => PaymentPhone.restore(b, k, pair), false), `${this.#prefix}phone/${id}`, id);
  }

  /** Saves the phone; false (nothing written) when someone else changed it since. */
  async savePhone(name: string, phone: PaymentPhone): Promise<boolean> {
    const key = `${this.#prefix}phone/${expectString(name, 'name')}`;
    if (!isOwned(phone, PaymentPhone)) throw typeError('phone', 'a PaymentPhone', phone);
    return this.#store.save(SAVED_PHONE, key, phone);
  }

  /** The stored server `name`, or null. */
  async loadServer(name: string, keyPair: KeyPair, keyId = 'relay-server'): Promise<TokenServer | null> {
    const id = expectString(name, 'name');
    const pair = expectKeyPair(keyPair);
    expectString(keyId, 'keyId');
    return this.#store.load(persistedRole((b, k) => TokenServer.restore(b, k, pair, keyId), true), `${this.#prefix}server/${id}`, id);
  }

  /** Saves the server (its ledger journal goes to the log `<key>.journal`); false when someone else changed it since. */
  async saveServer(name: string, server: TokenServer): Promise<boolean> {
    const key = `${this.#prefix}server/${expectString(name, 'name')}`;
    if (!isOwned(server, TokenServer)) throw typeError('server', 'a TokenServer', server);
    return this.#store.save(SAVED_SERVER, key, server);
  }
}

// ---------------------------------------------------------------------------------------------
// The relay terminal

/**
 * The slots of a relay's stored answers: the answer to the outbox entry `seq` is kept under slot
 * `seq mod RELAY_ANSWERS_KEPT`. Entries finish in outbox order, so the last
 * {@link RELAY_ANSWERS_KEPT} finished entries — what the outbox keeps (`OUTBOX_FINISHED_MAX`) —
 * have distinct slots; an older answer is overwritten only once its entry left the outbox.
 */
export const RELAY_ANSWERS_KEPT = 256;
/** Default timeout of one call to the token server, ms. */
export const RELAY_SERVER_TIMEOUT_MS_DEFAULT = 5_000;
/** Entries the key → outbox sequence index holds before it is rebuilt from the outbox (its pending and finished maxima). */
const SEQ_INDEX_MAX = 1_000 + 256;

/** What a token says about itself, read without verifying it (the relay holds no device key). */
export interface RelayTokenClaims {
  readonly deviceId: string;
  readonly counter: number;
  readonly payee: string;
  /** Decimal string as the phone wrote it. */
  readonly amount: string;
  readonly currency: string;
}

/**
 * A token's claims (device, counter, payee, amount, currency) read **without** checking its
 * signature, or null when the bytes are not a token. What a relay counts against its offline
 * limits; nothing in it is trusted (the server refuses a forged token).
 */
export const relayTokenClaims = guardFunction(function relayTokenClaims(token: Uint8Array): RelayTokenClaims | null {
  const bytes = expectToken(token, 'token');
  return call<RelayTokenClaims | undefined>(() => wasm('relay').relayTokenClaims(bytes)) ?? null;
}, ['token']);

/** The server's answer as the relay keeps it for the phone. */
export interface RelayAnswer {
  readonly code: RelayCode;
  readonly replayed: boolean;
  /** The signed receipt, or null for a refusal without one (then `code` is the only word, unsigned). */
  readonly receipt: Uint8Array | null;
}

/** What the relay tells a phone about one of its tokens (by the token's hash). */
export type RelayTokenStatus =
  | { readonly state: 'unknown' }
  | { readonly state: 'queued' }
  | { readonly state: 'answered'; readonly answer: RelayAnswer }
  /** The outbox gave the token up without an answer (its deadline passed): `code` is the outbox's. */
  | { readonly state: 'failed'; readonly code: string };

/** What {@link RelayTerminal.accept} did with a token. */
export interface RelayAcceptOutcome {
  /** The SHA-256 of the token, hex: its outbox idempotency key and the receipt's `tokenHash`. */
  readonly key: string;
  /**
   * `STORED` (durably in the outbox), `ALREADY_STORED` (the same bytes were accepted before),
   * an offline-limit refusal of the outbox (`TOTAL_LIMIT_REACHED`, `CURRENCY_NOT_OFFLINE`…:
   * nothing stored), or `MALFORMED` (not a token: nothing stored).
   */
  readonly code: PosCode | 'MALFORMED';
}

/** The result of a `flush`: how many outbox entries the server answered, and whether it was reachable. */
export interface RelayFlushResult {
  readonly answered: number;
  readonly reachable: boolean;
}

/** What {@link RelayTerminal.open} takes. */
export interface RelayTerminalOptions {
  /** Where the outbox and the answers live (IndexedDbStorage in a browser, FileStorage or PostgresStorage in Node). */
  readonly storage: StorageAdapter;
  /** 32 bytes: authenticates the terminal's snapshot. */
  readonly snapshotKey: Uint8Array;
  /** The POS terminal's configuration: its offline limits count the tokens waiting (used when the store holds none). */
  readonly config: TerminalConfig;
  /** The token server's URL: tokens are posted to `<serverUrl>/relay/token` ({@link httpTokenServerClient}). Give this or `server`. */
  readonly serverUrl?: string;
  /** How the relay reaches the token server, instead of `serverUrl` (a page holding the server, a custom transport). */
  readonly server?: RelayServerClient;
  /** The card acquirer, for the same terminal's card payments; without it a card payment is refused (`NO_ACQUIRER`). */
  readonly acquirer?: PosAcquirerClient;
  /** ms since the epoch (default `Date.now`). */
  readonly clock?: () => number;
  /** A random u32 for each backoff's jitter. */
  readonly random?: () => number;
}

const RELAY_CODE_PATTERN = /^[A-Z_]{1,64}$/;
const HEX_PATTERN = /^(?:[0-9a-f]{2})*$/;

function unhex(text: string, param: string): Uint8Array {
  if (!HEX_PATTERN.test(text)) throw new CountersignRangeError('STORAGE_CORRUPT', `countersign: ${param} is not hex`, param);
  const out = new Uint8Array(text.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(text.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/** The token server's JSON answer, checked; null when it is not one (the call is then retried). */
function answerFromServer(value: unknown): RelayAnswer | null {
  if (typeof value !== 'object' || value === null) return null;
  const o = value as Record<string, unknown>;
  if (typeof o.code !== 'string' || !RELAY_CODE_PATTERN.test(o.code)) return null;
  if (o.receipt !== null && (typeof o.receipt !== 'string' || !HEX_PATTERN.test(o.receipt) || o.receipt.length > 2 * RELAY_TOKEN_BYTES_MAX)) return null;
  return { code: o.code as RelayCode, replayed: o.replayed === true, receipt: o.receipt === null ? null : unhex(o.receipt, 'receipt') };
}

/**
 * How a relay reaches the token server. `submit` resolves to the server's answer to the token's
 * bytes; a call that throws (or rejects) got no answer, and the outbox retries it later (the
 * server deduplicates: a token answered before gets the same receipt bytes).
 */
export interface RelayServerClient {
  submit(token: Uint8Array): Promise<RelayAnswer>;
}

/**
 * A client of the `TokenHttpServer` protocol (Node, relay-server.ts): `POST <serverUrl>/relay/token` with the token's
 * bytes, `200 {code, replayed, receipt: hex | null}`. 400 / 413 (the server will never read these
 * bytes) are the answer `MALFORMED` without a receipt; any other status, a malformed body or no
 * answer within `timeoutMs` throws.
 */
export const httpTokenServerClient = guardFunction(function httpTokenServerClient(serverUrl: string, options?: { timeoutMs?: number }): RelayServerClient {
  const text = expectString(serverUrl, 'serverUrl');
  const u = URL.canParse(text) ? new URL(text) : null;
  if (u === null || (u.protocol !== 'http:' && u.protocol !== 'https:')) throw rangeError('serverUrl', 'must be an http(s) URL');
  const url = `${u.href.replace(/\/$/, '')}/relay/token`;
  const opts = options === undefined ? bare<Record<string, unknown>>({}) : fieldsOf(options, 'options', ['timeoutMs']);
  const timeoutMs = opts.timeoutMs === undefined ? RELAY_SERVER_TIMEOUT_MS_DEFAULT : expectInteger(opts.timeoutMs, 'options.timeoutMs', 1, 600_000);
  return Object.freeze({
    async submit(token: Uint8Array): Promise<RelayAnswer> {
      const controller = new AbortController();
      const timer = setTimeout(() => controller.abort(), timeoutMs);
      try {
        const response = await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/octet-stream' },
          body: token as unknown as BodyInit,
          signal: controller.signal,
        });
        const text = await response.text();
        if (response.status === 400 || response.status === 413) return { code: 'MALFORMED', replayed: false, receipt: null };
        if (response.status !== 200) throw new Error(`token server answered HTTP ${response.status}`);
        const answer = answerFromServer(JSON.parse(text));
        if (answer === null) throw new Error('token server answered something else than an answer');
        return answer;
      } finally {
        clearTimeout(timer);
      }
    },
  });
}, ['serverUrl', 'options']);

/** A client's answer, read once into owned values; null when it is not an answer (then retried). */
function ownAnswer(value: unknown): RelayAnswer | null {
  if (typeof value !== 'object' || value === null) return null;
  const { code, replayed, receipt } = value as Record<string, unknown>;
  if (typeof code !== 'string' || !RELAY_CODE_PATTERN.test(code)) return null;
  if (receipt !== null && !(receipt instanceof Uint8Array && receipt.length <= RELAY_TOKEN_BYTES_MAX)) return null;
  return { code: code as RelayCode, replayed: replayed === true, receipt: receipt === null ? null : new Uint8Array(receipt) };
}

/** The options of {@link RelayTerminal.open}, each read once into owned values (a throwing getter is an error about `options`). */
function readRelayOptions(options: RelayTerminalOptions) {
  try {
    const o = fieldsOf(options, 'options', ['storage', 'snapshotKey', 'config', 'serverUrl', 'server', 'acquirer', 'clock', 'random']);
    if ((o.serverUrl === undefined) === (o.server === undefined)) throw rangeError('options.server', 'or options.serverUrl: give exactly one');
    let server: RelayServerClient;
    if (o.server === undefined) {
      server = httpTokenServerClient(expectString(o.serverUrl, 'options.serverUrl'));
    } else {
      const given = fieldsOf(o.server, 'options.server');
      const submit = given.submit;
      if (typeof submit !== 'function') throw typeError('options.server.submit', 'a function', submit);
      const target = o.server as object;
      server = { submit: (token) => (submit as RelayServerClient['submit']).call(target, token) };
    }
    let acquirer: PosAcquirerClient | null = null;
    if (o.acquirer !== undefined) {
      const a = fieldsOf(o.acquirer, 'options.acquirer');
      const [authorise, forward] = [a.authorise, a.forward];
      if (typeof authorise !== 'function') throw typeError('options.acquirer.authorise', 'a function', authorise);
      if (typeof forward !== 'function') throw typeError('options.acquirer.forward', 'a function', forward);
      const given = o.acquirer as object;
      acquirer = {
        authorise: (request) => (authorise as PosAcquirerClient['authorise']).call(given, request),
        forward: (request) => (forward as PosAcquirerClient['forward']).call(given, request),
      };
    }
    return {
      storage: o.storage as StorageAdapter,
      answers: CheckedStorage.of(o.storage as StorageAdapter, 'options.storage'),
      snapshotKey: o.snapshotKey as Uint8Array,
      config: o.config as TerminalConfig,
      server,
      acquirer,
      clock: o.clock as (() => number) | undefined,
      random: o.random as (() => number) | undefined,
    };
  } catch (e) {
    if (e instanceof CountersignError) throw e;
    throw new CountersignTypeError('INVALID_ARGUMENT', `countersign: options: reading it threw (${e instanceof Error ? e.message : String(e)})`, 'options');
  }
}

/**
 * The relay (the merchant's terminal), and a POS terminal at once: a token it `accept`s becomes
 * a `kind: 'token'` entry of System 4's outbox ({@link PosTerminal}: crash-safe, hash-chained,
 * saved through the store before `accept` resolves; idempotency key = the token's SHA-256;
 * stored → forwarding → forwardedApproved / forwardedDeclined / failedPermanently, a deadline,
 * backoff with jitter). `flush` forwards the outbox in order; a token entry is posted as it is to
 * the token server's `POST <serverUrl>/relay/token`, and the server's answer (the signed receipt)
 * is saved before the outbox records it, so `statusFor` can hand it to the phone when it next
 * comes by. The relay holds no key: it can delay a token, never change one (the signature breaks)
 * or have it paid twice (the server deduplicates; a token forwarded again after a crash gets the
 * same receipt bytes). The same terminal takes card payments through `pos` when given an acquirer.
 */
export class RelayTerminal {
  readonly #pos: PosTerminal;
  readonly #answers: CheckedStorage;
  readonly #answerPrefix: string;
  /** Idempotency key → outbox sequence number (the answer's slot), rebuilt from the outbox when a key is missing. */
  readonly #seqOf: Map<string, number>;

  private constructor(token: typeof INTERNAL_CONSTRUCTION, pos: PosTerminal, answers: CheckedStorage, seqOf: Map<string, number>) {
    checkInternalConstruction(token, 'RelayTerminal', 'RelayTerminal.open');
    this.#pos = pos;
    this.#answers = answers;
    this.#answerPrefix = `relay/terminal/${pos.terminalId}/answer/`;
    this.#seqOf = seqOf;
    adopt(this, RelayTerminal);
  }

  /** Loads the terminal (its outbox) from the store, or creates and saves it from `options.config`. */
  static async open(options: RelayTerminalOptions): Promise<RelayTerminal> {
    try {
      return await RelayTerminal.#open(options);
    } catch (e) {
      throw toSdkError(e, 'RelayTerminal.open');
    }
  }

  static async #open(options: RelayTerminalOptions): Promise<RelayTerminal> {
    const read = readRelayOptions(options);
    // The relay is built before the POS terminal it drives, whose acquirer calls back into it.
    let relay: RelayTerminal | null = null;
    const noAcquirer = async (): Promise<PosAcquirerAnswer> => ({ result: 'permanent', code: 'NO_ACQUIRER' });
    const client: PosAcquirerClient = {
      authorise: (request) => (read.acquirer === null ? noAcquirer() : read.acquirer.authorise(request)),
      forward: (request) => {
        if (request.kind === 'token') {
          if (relay === null) throw new CountersignError('INTERNAL', 'countersign: the relay forwarded before it was open', 'terminal');
          return relay.#forwardToken(request, read.server);
        }
        return read.acquirer === null ? noAcquirer() : read.acquirer.forward(request);
      },
    };
    const pos = await PosTerminal.open({
      storage: read.storage,
      snapshotKey: read.snapshotKey,
      config: read.config,
      acquirer: client,
      ...(read.clock === undefined ? {} : { clock: read.clock }),
      ...(read.random === undefined ? {} : { random: read.random }),
    });
    relay = new RelayTerminal(INTERNAL_CONSTRUCTION, pos, read.answers, new Map());
    relay.#reindex();
    return relay;
  }

  /** The POS terminal this relay is: its outbox, network state, listeners, card payments. */
  get pos(): PosTerminal {
    return this.#pos;
  }

  get terminalId(): string {
    return this.#pos.terminalId;
  }

  #reindex(): void {
    this.#seqOf.clear();
    for (const entry of this.#pos.exportQueue().entries) this.#seqOf.set(entry.idempotencyKey, entry.seq);
  }

  #seq(key: string): number | null {
    if (!this.#seqOf.has(key)) this.#reindex();
    return this.#seqOf.get(key) ?? null;
  }

  /**
   * Puts the token's bytes in the outbox (`kind: 'token'`, amount and currency from its claims,
   * counted by the offline limits); `STORED` resolves once the outbox is saved. Does not forward:
   * call `flush()` (or `forwardDue()`).
   */
  async accept(token: Uint8Array): Promise<RelayAcceptOutcome> {
    const bytes = expectToken(token, 'token');
    const key = hexOf(sha256(bytes));
    const claims = call<RelayTokenClaims | undefined>(() => wasm('relay').relayTokenClaims(bytes));
    if (claims === undefined) return { key, code: 'MALFORMED' };
    const outcome = await this.#pos.enqueue({ idempotencyKey: key, kind: 'token', amount: claims.amount, currency: claims.currency, payload: bytes });
    if (outcome.entry) {
      if (this.#seqOf.size >= SEQ_INDEX_MAX) this.#reindex();
      this.#seqOf.set(key, outcome.entry.seq);
    }
    return { key, code: outcome.code };
  }

  /** The token server's answer to one token entry, saved before it goes back to the outbox. */
  async #forwardToken(request: PosAcquirerRequest, server: RelayServerClient): Promise<PosAcquirerAnswer> {
    const seq = this.#seq(request.idempotencyKey);
    if (seq === null) throw new CountersignError('INTERNAL', 'countersign: a forwarded token is not in the outbox', 'terminal');
    const answer = ownAnswer(await server.submit(unhex(request.payload, 'payload')));
    if (answer === null) throw new Error('the token server client resolved to something else than an answer');
    await this.#saveAnswer(seq, request.idempotencyKey, answer);
    if (answer.receipt === null) return { result: 'permanent', code: answer.code };
    return { result: answer.code === 'APPROVED' ? 'approved' : 'declined', code: answer.code };
  }

  async #saveAnswer(seq: number, key: string, answer: RelayAnswer): Promise<void> {
    const slot = this.#answerPrefix + String(seq % RELAY_ANSWERS_KEPT);
    const record = new TextEncoder().encode(
      JSON.stringify({ key, code: answer.code, replayed: answer.replayed, receipt: answer.receipt === null ? null : hexOf(answer.receipt) }),
    );
    // One writer per terminal (its calls are serial); a conflict is another process on the same
    // terminal, and the outbox's own compare-and-swap refuses that one's change after this.
    const current = await this.#answers.get(slot);
    const put = await this.#answers.put(slot, record, current === null ? null : current.version);
    if (!put.ok) throw new CountersignError('STORAGE_UNAVAILABLE', `countersign: terminal ${this.terminalId}: another writer changed its stored answers`, 'storage');
  }

  async #loadAnswer(seq: number, key: string): Promise<RelayAnswer | null> {
    const stored = await this.#answers.get(this.#answerPrefix + String(seq % RELAY_ANSWERS_KEPT));
    if (stored === null) return null;
    let parsed: unknown;
    try {
      parsed = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(stored.value));
    } catch {
      throw new CountersignRangeError('STORAGE_CORRUPT', 'countersign: a stored relay answer is malformed', 'storage');
    }
    if (typeof parsed !== 'object' || parsed === null || (parsed as { key?: unknown }).key !== key) return null;
    const answer = answerFromServer(parsed);
    if (answer === null) throw new CountersignRangeError('STORAGE_CORRUPT', 'countersign: a stored relay answer is malformed', 'storage');
    return answer;
  }

  /**
   * Forwards the outbox now, in order (each answer saved before the next is sent), until it is
   * empty or the server (or the card acquirer) does not answer.
   */
  async flush(): Promise<RelayFlushResult> {
    return RelayTerminal.#flushResult(await this.#pos.flush());
  }

  /** Forwards what is due, respecting each entry's backoff. */
  async forwardDue(): Promise<RelayFlushResult> {
    return RelayTerminal.#flushResult(await this.#pos.forwardDue());
  }

  static #flushResult(result: PosFlushResult): RelayFlushResult {
    return { answered: result.forwarded, reachable: result.stoppedBy !== 'RETRY_SCHEDULED' };
  }

  /** What the relay knows of a token (by its key, the token hash), for the phone when it next comes by. */
  async statusFor(key: string): Promise<RelayTokenStatus> {
    const k = expectString(key, 'key');
    const entry = this.#pos.exportQueue().entries.find((e) => e.idempotencyKey === k && e.kind === 'token');
    if (entry === undefined) return { state: 'unknown' };
    if (entry.state === 'stored' || entry.state === 'forwarding') return { state: 'queued' };
    const answer = await this.#loadAnswer(entry.seq, k);
    if (answer !== null) return { state: 'answered', answer };
    return { state: 'failed', code: entry.resultCode ?? entry.state };
  }

  /** The outbox: every kept entry (tokens and card payments), the verified chain, the totals. */
  exportQueue(): QueueExport {
    return this.#pos.exportQueue();
  }

  /** Stops accepting calls; the stored outbox and answers stay. */
  close(): Promise<void> {
    return this.#pos.close();
  }
}

// ---------------------------------------------------------------------------------------------
// The boundary (boundary.ts): every public method, getter and static behind the guard.

guardClass(PaymentPhone, {
  methods: {
    publicKey: [],
    nextCounter: [],
    seal: ['request'],
    acceptReceipt: ['receipt', 'serverKey', 'now'],
    noteRefusal: ['tokenHash', 'code'],
    tokens: [],
    allowance: ['now'],
    revision: [],
    snapshot: ['snapshotKey'],
    free: [],
  },
  statics: {
    create: ['config', 'keyPair'],
    restore: ['snapshot', 'snapshotKey', 'keyPair'],
  },
});

guardClass(TokenServer, {
  methods: {
    publicKey: [],
    currency: [],
    registerDevice: ['deviceId', 'publicKey', 'limits', 'now'],
    addPayee: ['payee', 'now'],
    fund: ['deviceId', 'amount', 'now'],
    balance: ['kind', 'id'],
    process: ['token', 'now'],
    journal: [],
    truncateJournal: ['throughSeq'],
    revision: [],
    snapshot: ['snapshotKey'],
    free: [],
  },
  statics: {
    create: ['currency', 'now', 'keyPair', 'keyId'],
    restore: ['snapshot', 'snapshotKey', 'keyPair', 'keyId'],
  },
});

guardClass(RelayStore, {
  methods: {
    loadPhone: ['name', 'keyPair'],
    savePhone: ['name', 'phone'],
    loadServer: ['name', 'keyPair', 'keyId'],
    saveServer: ['name', 'server'],
  },
});

guardClass(RelayTerminal, {
  methods: {
    pos: [],
    terminalId: [],
    accept: ['token'],
    flush: [],
    forwardDue: [],
    statusFor: ['key'],
    exportQueue: [],
    close: [],
  },
  statics: { open: [raw('options')] },
});
