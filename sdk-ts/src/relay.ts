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
import { CountersignRangeError } from './errors.js';
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
import { expectKeyPair } from './relay-keys.js';
import { CheckedStorage } from './storage/checked.js';
import { StateStore, type PersistedState } from './store.js';
import type { StorageAdapter } from './storage/types.js';
import { expectBytes, expectInteger, expectObject, expectOneOf, expectString, typeError } from './validate.js';

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

/** How often the stored queue retries a write another writer beat. */
const QUEUE_WRITE_ATTEMPTS_MAX = 8;
/** The most tokens a relay queue holds (answered ones included, until the phone collects them). */
export const RELAY_QUEUE_MAX = 256;

/** A token in a relay's queue. `answer` is what the server said, once it said it. */
export interface QueuedToken {
  /** The SHA-256 of the token, hex: the queue key (and the receipt's `tokenHash`). */
  readonly key: string;
  readonly token: Uint8Array;
  readonly answer: RelayAnswer | null;
}

/** The server's answer as the relay keeps it for the phone. */
export interface RelayAnswer {
  readonly code: RelayCode;
  readonly replayed: boolean;
  /** The signed receipt, or null for a refusal without one (then `code` is the only word, unsigned). */
  readonly receipt: Uint8Array | null;
}

/**
 * Where a relay keeps tokens until the server answers: System 4's outbox plugs in here (its
 * entries carry an idempotency key — the token hash — and an opaque payload — the token bytes).
 */
export interface RelayQueue {
  /** Adds a token under `key` (a second enqueue of the same key changes nothing). */
  enqueue(key: string, token: Uint8Array): Promise<void>;
  /** The oldest token without an answer, or null. */
  nextPending(): Promise<QueuedToken | null>;
  /** Records the server's answer for `key`. */
  markAnswered(key: string, answer: RelayAnswer): Promise<void>;
  /** Every queued token, oldest first. */
  list(): Promise<QueuedToken[]>;
}

function entryToJson(e: QueuedToken): Record<string, unknown> {
  return {
    key: e.key,
    token: hexOf(e.token),
    answer: e.answer === null ? null : { code: e.answer.code, replayed: e.answer.replayed, receipt: e.answer.receipt === null ? null : hexOf(e.answer.receipt) },
  };
}

function unhex(text: string, param: string): Uint8Array {
  if (text.length % 2 !== 0 || !/^[0-9a-f]*$/.test(text)) throw new CountersignRangeError('STORAGE_CORRUPT', `countersign: ${param} is not hex`, param);
  const out = new Uint8Array(text.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(text.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/**
 * A `RelayQueue` kept under one storage key (JSON, written with compare-and-swap): survives a
 * restart of the relay. Small by design ({@link RELAY_QUEUE_MAX}); System 4's outbox replaces it.
 */
export class StoredRelayQueue implements RelayQueue {
  readonly #storage: CheckedStorage;
  readonly #key: string;

  constructor(storage: StorageAdapter, options?: { key?: string }) {
    try {
      const [adapter, given] = ownConstructorArgs(arguments, [raw('storage'), 'options'], 'new StoredRelayQueue');
      this.#storage = CheckedStorage.of(adapter, 'storage');
      const opts = given === undefined ? bare<Record<string, unknown>>({}) : fieldsOf(given, 'options', ['key']);
      this.#key = opts.key === undefined ? 'relay/queue' : expectString(opts.key, 'options.key');
      adopt(this, StoredRelayQueue);
    } catch (e) {
      throw toSdkError(e, 'new StoredRelayQueue');
    }
  }

  async #read(): Promise<{ version: number | null; entries: QueuedToken[] }> {
    const stored = await this.#storage.get(this.#key);
    if (stored === null) return { version: null, entries: [] };
    const corrupt = () => new CountersignRangeError('STORAGE_CORRUPT', 'countersign: the relay queue is malformed', 'storage');
    let parsed: { entries: { key: string; token: string; answer: { code: RelayCode; replayed: boolean; receipt: string | null } | null }[] };
    try {
      parsed = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(stored.value)) as typeof parsed;
    } catch {
      throw corrupt();
    }
    if (typeof parsed !== 'object' || parsed === null || !Array.isArray(parsed.entries) || parsed.entries.length > RELAY_QUEUE_MAX) throw corrupt();
    if (!parsed.entries.every((e) => typeof e === 'object' && e !== null && typeof e.token === 'string' && (e.answer === null || (typeof e.answer === 'object' && typeof e.answer.code === 'string' && (e.answer.receipt === null || typeof e.answer.receipt === 'string'))))) throw corrupt();
    const entries = parsed.entries.map((e) => ({
      key: expectString(e.key, 'queue.key'),
      token: unhex(e.token, 'queue.token'),
      answer: e.answer === null ? null : { code: e.answer.code, replayed: e.answer.replayed === true, receipt: e.answer.receipt === null ? null : unhex(e.answer.receipt, 'queue.receipt') },
    }));
    return { version: stored.version, entries };
  }

  /** Writes `entries` if the queue is still at `version`; false when another writer came first. */
  async #write(version: number | null, entries: QueuedToken[]): Promise<boolean> {
    const bytes = new TextEncoder().encode(JSON.stringify({ entries: entries.map(entryToJson) }));
    return (await this.#storage.put(this.#key, bytes, version)).ok;
  }

  /** Read, change, compare-and-swap; again (at most QUEUE_WRITE_ATTEMPTS_MAX times) when another writer came first. */
  async #update(change: (entries: QueuedToken[]) => QueuedToken[] | null): Promise<void> {
    for (let attempt = 0; attempt < QUEUE_WRITE_ATTEMPTS_MAX; attempt++) {
      const { version, entries } = await this.#read();
      const next = change(entries);
      if (next === null || (await this.#write(version, next))) return;
    }
    throw new CountersignRangeError('STORAGE_UNAVAILABLE', 'countersign: the relay queue kept changing under this writer', 'storage');
  }

  async enqueue(key: string, token: Uint8Array): Promise<void> {
    expectString(key, 'key');
    const bytes = expectToken(token, 'token');
    await this.#update((entries) => {
      if (entries.some((e) => e.key === key)) return null;
      if (entries.length >= RELAY_QUEUE_MAX) throw new CountersignRangeError('LIMIT_EXCEEDED', `countersign: the relay queue holds ${RELAY_QUEUE_MAX} tokens`, 'queue');
      return [...entries, { key, token: bytes, answer: null }];
    });
  }

  async nextPending(): Promise<QueuedToken | null> {
    return (await this.#read()).entries.find((e) => e.answer === null) ?? null;
  }

  async markAnswered(key: string, answer: RelayAnswer): Promise<void> {
    expectString(key, 'key');
    const a = fieldsOf(answer, 'answer', ['code', 'replayed', 'receipt']);
    const own: RelayAnswer = {
      code: expectString(a.code, 'answer.code') as RelayCode,
      replayed: a.replayed === true,
      receipt: a.receipt === null ? null : expectToken(a.receipt, 'answer.receipt'),
    };
    await this.#update((entries) => entries.map((e) => (e.key === key ? { ...e, answer: own } : e)));
  }

  async list(): Promise<QueuedToken[]> {
    return (await this.#read()).entries;
  }
}

/** What the relay tells a phone about one of its tokens. */
export type RelayTokenStatus =
  | { readonly state: 'unknown' }
  | { readonly state: 'queued' }
  | { readonly state: 'answered'; readonly answer: RelayAnswer };

/** The result of a `flush`: how many tokens were answered, and whether the server was reachable. */
export interface RelayFlushResult {
  readonly answered: number;
  readonly reachable: boolean;
}

/**
 * The relay (the merchant's terminal). `accept` queues a token's bytes as they are; `flush`
 * forwards the queue in order to the server's `POST <serverUrl>/relay/token` and keeps each answer
 * until the phone asks (`statusFor`). An unreachable server leaves the queue as it was.
 */
export class RelayTerminal {
  readonly #queue: RelayQueue;
  readonly #url: string;

  constructor(queue: RelayQueue, serverUrl: string) {
    try {
      const [q, url] = ownConstructorArgs(arguments, [raw('queue'), 'serverUrl'], 'new RelayTerminal');
      if (typeof q !== 'object' || q === null) throw typeError('queue', 'a RelayQueue', q);
      this.#queue = q as RelayQueue;
      const u = new URL(expectString(url, 'serverUrl'));
      if (u.protocol !== 'http:' && u.protocol !== 'https:') throw typeError('serverUrl', 'an http(s) URL', url);
      this.#url = u.href.replace(/\/$/, '');
      adopt(this, RelayTerminal);
    } catch (e) {
      throw toSdkError(e, 'new RelayTerminal');
    }
  }

  /** Queues the token's bytes; returns its key (SHA-256, hex). */
  async accept(token: Uint8Array): Promise<string> {
    const bytes = expectToken(token, 'token');
    const key = hexOf(sha256(bytes));
    await this.#queue.enqueue(key, bytes);
    return key;
  }

  /** Forwards every pending token, oldest first, until the queue is empty or the server unreachable. */
  async flush(): Promise<RelayFlushResult> {
    let answered = 0;
    for (let i = 0; i < RELAY_QUEUE_MAX; i++) {
      const next = await this.#queue.nextPending();
      if (next === null) return { answered, reachable: true };
      let body: { code: RelayCode; replayed: boolean; receipt: string | null };
      try {
        const response = await fetch(`${this.#url}/relay/token`, { method: 'POST', headers: { 'content-type': 'application/octet-stream' }, body: next.token as unknown as BodyInit });
        if (!response.ok) return { answered, reachable: false };
        body = (await response.json()) as typeof body;
      } catch {
        return { answered, reachable: false };
      }
      await this.#queue.markAnswered(next.key, {
        code: body.code,
        replayed: body.replayed === true,
        receipt: typeof body.receipt === 'string' ? unhex(body.receipt, 'receipt') : null,
      });
      answered++;
    }
    return { answered, reachable: true };
  }

  /** What the relay knows of a token (by its key), for the phone when it next comes by. */
  async statusFor(key: string): Promise<RelayTokenStatus> {
    expectString(key, 'key');
    const entry = (await this.#queue.list()).find((e) => e.key === key);
    if (entry === undefined) return { state: 'unknown' };
    return entry.answer === null ? { state: 'queued' } : { state: 'answered', answer: entry.answer };
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

guardClass(StoredRelayQueue, {
  methods: {
    enqueue: ['key', 'token'],
    nextPending: [],
    markAnswered: ['key', 'answer'],
    list: [],
  },
});

guardClass(RelayTerminal, {
  methods: {
    accept: ['token'],
    flush: [],
    statusFor: ['key'],
  },
});
