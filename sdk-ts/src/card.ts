/**
 * card — System 1: the card usage counter set by a companion app.
 *
 * Three roles, each a class: the `Issuer` provisions cards and signs their configuration and
 * online results; the `CompanionApp` holds the cardholder's key and signs commands (set, change,
 * reset, block, unblock); the `Card` applies them, authorises POS transactions, and snapshots
 * itself. Every rule lives in the Rust core (core/src/card, core/src/limits); this module only
 * validates arguments, converts them, and loads time-zone data for calendar windows.
 */
import { expectKeyAlgorithm, type KeyAlgorithm, type KeyPair, generateKeyPair } from './crypto.js';
import { sealEnvelope } from './envelope.js';
import { CountersignRangeError } from './errors.js';
import { checkAlive, currentGeneration } from './instance.js';
import { call, callRelabelled, fieldsOf } from './calls.js';
import { wasm } from './loader.js';
import { loadTimeZone, UTC_TIME_ZONE } from './tz.js';
import type { StorageAdapter } from './storage/types.js';
import {
  expectBoolean,
  expectBytes,
  expectInteger,
  expectObject,
  expectString,
  expectU64,
  typeError,
} from './validate.js';

// ---------------------------------------------------------------------------------------------
// Types (the JSON shapes of the core's serde types)

export type Weekday = 'monday' | 'tuesday' | 'wednesday' | 'thursday' | 'friday' | 'saturday' | 'sunday';

/** The window a limit counts over. Calendar windows name an IANA time zone (or "UTC"). */
export type LimitWindow =
  | { readonly kind: 'perTransaction' }
  | { readonly kind: 'lifetime' }
  | { readonly kind: 'trailing'; readonly seconds: number }
  | { readonly kind: 'day'; readonly timeZone: string }
  | { readonly kind: 'week'; readonly start: Weekday; readonly timeZone: string }
  | { readonly kind: 'month'; readonly anchorDay: number; readonly timeZone: string }
  | { readonly kind: 'year'; readonly timeZone: string };

/** One limit. Values are decimal strings: `"10"` (count) or `"250.00"` (amount). */
export interface LimitSpec {
  readonly id: string;
  readonly measure: 'count' | 'amount';
  /** Currency of an amount limit (the card's currency). */
  readonly currency?: string;
  readonly window: LimitWindow;
  /** Hard threshold: at or past it the card declines. */
  readonly hard: string;
  /** Soft threshold: past it the card goes online (online terminal) or approves offline. */
  readonly soft?: string;
  /** Highest value the companion app may set (default: `hard`). */
  readonly ceiling?: string;
  /** Whether the companion app may reset the usage to zero. */
  readonly resettable?: boolean;
}

/** What counts, and what a reversal or refund gives back. */
export interface CountingPolicy {
  readonly countOn: 'approval' | 'capture';
  readonly reversalRestores: { readonly count: boolean; readonly amount: boolean };
  readonly refundRestores: { readonly count: boolean; readonly amount: boolean };
}

/** A public key the card trusts. */
export interface CardKey {
  readonly keyId: string;
  readonly algorithm: KeyAlgorithm;
  readonly publicKey: Uint8Array;
}

/** The issuer's configuration of a card (the payload of a `card.config` envelope). */
export interface CardConfig {
  readonly cardId: string;
  readonly currency: string;
  readonly limits: readonly LimitSpec[];
  readonly counting?: CountingPolicy;
  /** EMV-style consecutive offline limits (LCOL / UCOL). */
  readonly consecutiveOffline?: { readonly soft: number; readonly hard: number };
  readonly appKeys: readonly CardKey[];
  /** Clock skew tolerated on envelopes' issue time, seconds (≤ 86 400). */
  readonly clockSkewS?: number;
  /** ISO 18245 merchant category codes the card declines. */
  readonly blockedMerchantCategories?: readonly string[];
}

/** A companion-app command. */
export type CardCommand =
  | { readonly op: 'set'; readonly limitId: string; readonly value: string }
  | { readonly op: 'change'; readonly limitId: string; readonly delta: string }
  | { readonly op: 'reset'; readonly limitId: string }
  | { readonly op: 'block' }
  | { readonly op: 'unblock' };

/** The issuer's answer to a go-online decision and/or a consecutive-offline reset. */
export interface OnlineResult {
  readonly transactionId?: string;
  readonly approve?: boolean;
  readonly resetConsecutiveOffline?: boolean;
}

/** One card outcome code (see README "Card codes"). */
export type CardCode = string;

export interface LimitStatus {
  readonly id: string;
  readonly measure: 'count' | 'amount';
  readonly currency: string | null;
  readonly window: LimitWindow;
  readonly limit: string;
  readonly soft: string | null;
  readonly ceiling: string;
  readonly used: string;
  readonly remaining: string;
  /** Unix seconds when usage next drops; null for lifetime / per-transaction limits. */
  readonly resetsAt: number | null;
}

export interface AuthorisationRequest {
  readonly transactionId: string;
  /** Decimal string in `currency`, strictly positive. */
  readonly amount: string;
  readonly currency: string;
  /** Unix seconds. */
  readonly time: number;
  readonly terminalOnline: boolean;
  /** ISO 18245 merchant category code (4 digits). */
  readonly merchantCategory?: string;
}

export interface AuthorisationResult {
  readonly transactionId: string;
  readonly decision: 'approve' | 'decline' | 'go-online';
  readonly code: CardCode;
  readonly limitId: string | null;
  readonly transactionCounter: number;
  readonly consecutiveOffline: number;
  readonly repeated: boolean;
  readonly limits: readonly LimitStatus[];
}

export interface SettlementRequest {
  readonly transactionId: string;
  readonly amount: string;
  readonly currency: string;
  readonly time: number;
}

export interface TransactionOutcome {
  readonly transactionId: string;
  readonly code: CardCode;
  readonly repeated: boolean;
  readonly limits: readonly LimitStatus[];
}

export interface UpdateOutcome {
  readonly code: CardCode;
  readonly accepted: boolean;
  readonly status: 'unprovisioned' | 'active' | 'blocked';
  readonly consecutiveOffline: number;
  readonly decision: 'approve' | 'decline' | 'go-online' | null;
  readonly limits: readonly LimitStatus[];
}

/** Monotonic counters: a snapshot with any lower counter is older (a rollback). */
export interface Freshness {
  readonly revision: number;
  readonly configSeq: string | null;
  readonly commandSeq: string | null;
  readonly onlineSeq: string | null;
  readonly transactionCounter: number;
}

export interface CardView {
  readonly cardId: string;
  readonly status: 'unprovisioned' | 'active' | 'blocked';
  readonly currency: string | null;
  readonly transactionCounter: number;
  readonly consecutiveOffline: number;
  readonly consecutiveOfflineLimits: { readonly soft: number; readonly hard: number } | null;
  readonly appKeyIds: readonly string[];
  readonly limits: readonly LimitStatus[];
  readonly freshness: Freshness;
}

/** When a signed message is valid, and its anti-rollback sequence number. */
export interface MessageOptions {
  readonly seq: bigint | number;
  /** Unix seconds. */
  readonly issuedAt: number;
  /** Unix seconds, after issuedAt. */
  readonly expiresAt: number;
}

/** Envelope types and payload version of the card messages (core/src/card/payload.rs). */
export const CARD_CONFIG_TYPE = 'card.config';
export const CARD_COMMAND_TYPE = 'card.command';
export const CARD_ONLINE_RESULT_TYPE = 'card.online-result';
const CARD_PAYLOAD_VERSION = 1;
/** Snapshot keys are 32 bytes (HMAC-SHA256). */
export const CARD_SNAPSHOT_KEY_BYTES = 32;
const TIME_S_MAX = Number.MAX_SAFE_INTEGER;

// ---------------------------------------------------------------------------------------------
// Conversions

function hex(bytes: Uint8Array): string {
  let out = '';
  for (const byte of bytes) out += byte.toString(16).padStart(2, '0');
  return out;
}

function cardKeyToCore(value: unknown, param: string): { keyId: string; alg: KeyAlgorithm; publicKey: string } {
  const key = expectObject(value, param);
  return {
    keyId: expectString(key.keyId, `${param}.keyId`),
    alg: expectKeyAlgorithm(key.algorithm, `${param}.algorithm`),
    publicKey: hex(expectBytes(key.publicKey, `${param}.publicKey`)),
  };
}

function expectTime(value: unknown, param: string): number {
  return expectInteger(value, param, -TIME_S_MAX, TIME_S_MAX);
}

function messageOptions(value: unknown): { seq: bigint; issuedAt: number; expiresAt: number } {
  const fields = expectObject(value, 'options');
  return {
    seq: expectU64(fields.seq, 'options.seq'),
    issuedAt: expectTime(fields.issuedAt, 'options.issuedAt'),
    expiresAt: expectTime(fields.expiresAt, 'options.expiresAt'),
  };
}

/** Fields of a request object whose core errors are re-labelled `request.<field>`. */
const REQUEST_FIELDS: ReadonlySet<string> = new Set(['transactionId', 'amount', 'currency', 'time', 'merchantCategory']);
const requestField = fieldsOf('request', REQUEST_FIELDS);

function expectKeyPair(value: unknown): KeyPair {
  const pair = expectObject(value, 'keyPair');
  expectKeyAlgorithm(pair.algorithm, 'keyPair.algorithm');
  expectBytes(pair.secretKey, 'keyPair.secretKey');
  expectBytes(pair.publicKey, 'keyPair.publicKey');
  return value as KeyPair;
}

/** Seals a card message payload with the signer's key (both roles sign the same way). */
function sealCardMessage(keyPair: KeyPair, keyId: string, type: string, payload: Uint8Array, options: unknown): Uint8Array {
  const { seq, issuedAt, expiresAt } = messageOptions(options);
  return sealEnvelope({
    type,
    version: CARD_PAYLOAD_VERSION,
    keyId,
    seq,
    issuedAt,
    expiresAt,
    payload,
    algorithm: keyPair.algorithm,
    secretKey: keyPair.secretKey,
  });
}

// ---------------------------------------------------------------------------------------------
// Issuer

/** The issuer: provisions cards and signs their configuration and online results. */
export class Issuer {
  readonly keyId: string;
  readonly #keyPair: KeyPair;

  constructor(keyPair: KeyPair, keyId: string) {
    this.#keyPair = expectKeyPair(keyPair);
    this.keyId = expectString(keyId, 'keyId');
  }

  /** An issuer with a fresh key pair. */
  static generate(keyId = 'issuer', algorithm: KeyAlgorithm = 'EdDSA'): Issuer {
    return new Issuer(generateKeyPair(algorithm), keyId);
  }

  /** The key a card must trust (give it to `Card.create`). */
  get publicKey(): CardKey {
    return { keyId: this.keyId, algorithm: this.#keyPair.algorithm, publicKey: this.#keyPair.publicKey };
  }

  /** A signed configuration envelope for `config.cardId`. */
  provision(config: CardConfig, options: MessageOptions): Uint8Array {
    const fields = expectObject(config, 'config', [
      'cardId', 'currency', 'limits', 'counting', 'consecutiveOffline', 'appKeys', 'clockSkewS', 'blockedMerchantCategories',
    ]);
    if (Array.isArray(fields.limits)) {
      fields.limits.forEach((spec, i) =>
        expectObject(spec, `config.limits[${i}]`, ['id', 'measure', 'currency', 'window', 'hard', 'soft', 'ceiling', 'resettable']),
      );
    }
    const keys = fields.appKeys;
    if (!Array.isArray(keys)) throw typeError('config.appKeys', 'an array', keys);
    const coreConfig = { ...fields, appKeys: keys.map((k, i) => cardKeyToCore(k, `config.appKeys[${i}]`)) };
    const payload = call<Uint8Array>(() => wasm('card').cardConfigPayload(coreConfig));
    return sealCardMessage(this.#keyPair, this.keyId, CARD_CONFIG_TYPE, payload, options);
  }

  /** A signed online result: approve/decline a go-online transaction, reset the offline counter. */
  onlineResult(cardId: string, result: OnlineResult, options: MessageOptions): Uint8Array {
    expectString(cardId, 'cardId');
    const fields = expectObject(result, 'result');
    const payload = call<Uint8Array>(() => wasm('card').cardOnlineResultPayload({ ...fields, cardId }));
    return sealCardMessage(this.#keyPair, this.keyId, CARD_ONLINE_RESULT_TYPE, payload, options);
  }
}

// ---------------------------------------------------------------------------------------------
// Companion app

/** The cardholder's companion app: signs commands for one card and previews decisions. */
export class CompanionApp {
  readonly keyId: string;
  readonly cardId: string;
  readonly #keyPair: KeyPair;

  constructor(keyPair: KeyPair, keyId: string, cardId: string) {
    this.#keyPair = expectKeyPair(keyPair);
    this.keyId = expectString(keyId, 'keyId');
    this.cardId = expectString(cardId, 'cardId');
  }

  /** An app with a fresh key pair. */
  static generate(cardId: string, keyId = 'app', algorithm: KeyAlgorithm = 'EdDSA'): CompanionApp {
    return new CompanionApp(generateKeyPair(algorithm), keyId, cardId);
  }

  /** The key the issuer lists in the card's configuration. */
  get publicKey(): CardKey {
    return { keyId: this.keyId, algorithm: this.#keyPair.algorithm, publicKey: this.#keyPair.publicKey };
  }

  /** A signed command envelope. `options.seq` must grow with every command for this card. */
  command(action: CardCommand, options: MessageOptions): Uint8Array {
    const fields = expectObject(action, 'action');
    const payload = call<Uint8Array>(() => wasm('card').cardCommandPayload({ cardId: this.cardId, action: fields }));
    return sealCardMessage(this.#keyPair, this.keyId, CARD_COMMAND_TYPE, payload, options);
  }

  /** "Would this transaction be approved, and why?" — on a copy of the card's state. */
  preview(card: Card, request: AuthorisationRequest): AuthorisationResult {
    if (!(card instanceof Card)) throw typeError('card', 'a Card', card);
    return card.preview(request);
  }
}

// ---------------------------------------------------------------------------------------------
// Card

type Handle = InstanceType<ReturnType<typeof wasm>['CardHandle']>;

function authorisationRequest(value: unknown): AuthorisationRequest {
  const r = expectObject(value, 'request', ['transactionId', 'amount', 'currency', 'time', 'terminalOnline', 'merchantCategory']);
  const out: AuthorisationRequest = {
    transactionId: expectString(r.transactionId, 'request.transactionId'),
    amount: expectString(r.amount, 'request.amount'),
    currency: expectString(r.currency, 'request.currency'),
    time: expectTime(r.time, 'request.time'),
    terminalOnline: expectBoolean(r.terminalOnline, 'request.terminalOnline'),
  };
  if (r.merchantCategory === undefined) return out;
  return { ...out, merchantCategory: expectString(r.merchantCategory, 'request.merchantCategory') };
}

function settlementRequest(value: unknown): SettlementRequest {
  const r = expectObject(value, 'request', ['transactionId', 'amount', 'currency', 'time']);
  return {
    transactionId: expectString(r.transactionId, 'request.transactionId'),
    amount: expectString(r.amount, 'request.amount'),
    currency: expectString(r.currency, 'request.currency'),
    time: expectTime(r.time, 'request.time'),
  };
}

/** Loads the TZif data of every named zone the handle does not have yet. */
async function loadZones(handle: Handle, names: readonly string[]): Promise<void> {
  const have = new Set(handle.timeZoneNames());
  for (const name of new Set(names)) {
    if (name === UTC_TIME_ZONE || have.has(name)) continue;
    const data = await loadTimeZone(name);
    if (data !== null) call(() => handle.addTimeZone(data.name, data.tzif));
  }
}

/**
 * A card: applies the issuer's configuration and the app's commands, authorises transactions.
 * State lives in wasm memory; `snapshot()` / `Card.restore()` persist it (see `CardStore`).
 * Call `free()` (or use `using`) when done, or let the garbage collector reclaim it.
 */
export class Card {
  #handle: Handle;
  /** The instance generation the handle lives in (see instance.ts). */
  readonly #generation = currentGeneration();

  private constructor(handle: Handle) {
    this.#handle = handle;
  }

  /** The handle, refusing with WASM_TRAP once its instance trapped. */
  get #live(): Handle {
    checkAlive(this.#generation, 'card');
    return this.#handle;
  }

  /** A new, unprovisioned card that trusts `issuerKey`. */
  static create(cardId: string, issuerKey: CardKey): Card {
    expectString(cardId, 'cardId');
    const key = cardKeyToCore(issuerKey, 'issuerKey');
    return new Card(call<Handle>(() => new (wasm('card').CardHandle)(cardId, key)));
  }

  /** Restores a card from `snapshot()` bytes; loads the time-zone data its limits use. */
  static async restore(snapshot: Uint8Array, snapshotKey: Uint8Array): Promise<Card> {
    expectBytes(snapshot, 'snapshot');
    expectBytes(snapshotKey, 'snapshotKey');
    const handle = call<Handle>(() => wasm('card').CardHandle.restore(snapshot, snapshotKey));
    await loadZones(handle, handle.usedTimeZones());
    return new Card(handle);
  }

  /** Applies a `card.config` envelope signed by the issuer (loads the zones it names first). */
  async applyConfig(envelope: Uint8Array, now: number): Promise<UpdateOutcome> {
    expectBytes(envelope, 'envelope');
    const at = expectTime(now, 'now');
    await loadZones(this.#live, wasm('card').cardConfigTimeZones(envelope));
    return call<UpdateOutcome>(() => this.#live.applyConfig(envelope, BigInt(at)));
  }

  /** Applies a `card.command` envelope signed by a companion app. */
  applyCommand(envelope: Uint8Array, now: number): UpdateOutcome {
    expectBytes(envelope, 'envelope');
    const at = expectTime(now, 'now');
    return call<UpdateOutcome>(() => this.#live.applyCommand(envelope, BigInt(at)));
  }

  /** Applies a `card.online-result` envelope signed by the issuer. */
  applyOnlineResult(envelope: Uint8Array, now: number): UpdateOutcome {
    expectBytes(envelope, 'envelope');
    const at = expectTime(now, 'now');
    return call<UpdateOutcome>(() => this.#live.applyOnlineResult(envelope, BigInt(at)));
  }

  /** Decides a POS authorisation and records it atomically. A repeated id returns the same answer. */
  authorise(request: AuthorisationRequest): AuthorisationResult {
    const checked = authorisationRequest(request);
    return callRelabelled<AuthorisationResult>(() => this.#live.authorise(checked), requestField);
  }

  /** The same decision as `authorise`, without recording anything. */
  preview(request: AuthorisationRequest): AuthorisationResult {
    const checked = authorisationRequest(request);
    return callRelabelled<AuthorisationResult>(() => this.#live.preview(checked), requestField);
  }

  reverse(request: { transactionId: string; time: number }): TransactionOutcome {
    const r = expectObject(request, 'request', ['transactionId', 'time']);
    const checked = {
      transactionId: expectString(r.transactionId, 'request.transactionId'),
      time: expectTime(r.time, 'request.time'),
    };
    return callRelabelled<TransactionOutcome>(() => this.#live.reverse(checked), requestField);
  }

  capture(request: SettlementRequest): TransactionOutcome {
    const checked = settlementRequest(request);
    return callRelabelled<TransactionOutcome>(() => this.#live.capture(checked), requestField);
  }

  refund(request: SettlementRequest): TransactionOutcome {
    const checked = settlementRequest(request);
    return callRelabelled<TransactionOutcome>(() => this.#live.refund(checked), requestField);
  }

  /** Status, counters and every limit's `{limit, used, remaining, resetsAt}` at `now`. */
  view(now: number): CardView {
    const at = expectTime(now, 'now');
    return call<CardView>(() => this.#live.view(BigInt(at)));
  }

  freshness(): Freshness {
    return call<Freshness>(() => this.#live.freshness());
  }

  /** Whether this card's state is older than `seen` (any monotonic counter lower: a rollback). */
  isOlderThan(seen: Freshness): boolean {
    expectObject(seen, 'seen');
    return call<boolean>(() => this.#live.isOlderThan(seen));
  }

  /** Versioned, HMAC-SHA256-authenticated state bytes. */
  snapshot(snapshotKey: Uint8Array): Uint8Array {
    expectBytes(snapshotKey, 'snapshotKey');
    return call<Uint8Array>(() => this.#live.snapshot(snapshotKey));
  }

  /** An independent copy (e.g. for the app's preview). */
  copy(): Card {
    return new Card(this.#live.copy());
  }

  get cardId(): string {
    return this.#live.cardId();
  }

  /** Releases the wasm memory now. */
  free(): void {
    if (this.#generation === currentGeneration()) this.#handle.free();
  }

  [Symbol.dispose](): void {
    this.free();
  }
}

// ---------------------------------------------------------------------------------------------
// Persistence

/**
 * Saves and loads cards through a storage adapter (IndexedDB in browsers, atomic files in Node):
 * one key per card holding its authenticated snapshot, written with compare-and-swap. It
 * remembers the freshest state it has seen of each card and refuses to load an older one (a
 * rollback of storage), using the card's monotonic counters.
 */
export class CardStore {
  readonly #storage: StorageAdapter;
  readonly #snapshotKey: Uint8Array;
  readonly #prefix: string;
  /** Storage version and freshness last seen per key (bounded by the cards this store handles). */
  readonly #seen = new Map<string, { version: number; freshness: Freshness }>();

  constructor(storage: StorageAdapter, snapshotKey: Uint8Array, options?: { prefix?: string }) {
    if (typeof storage !== 'object' || storage === null) throw typeError('storage', 'a StorageAdapter', storage);
    this.#storage = storage;
    this.#snapshotKey = expectBytes(snapshotKey, 'snapshotKey');
    this.#prefix = options?.prefix === undefined ? 'card/' : expectString(options.prefix, 'options.prefix');
  }

  /** The stored card, or null when none. Throws SNAPSHOT_INVALID for a tampered snapshot or a rollback. */
  async load(cardId: string): Promise<Card | null> {
    const key = this.#prefix + expectString(cardId, 'cardId');
    const stored = await this.#storage.get(key);
    if (stored === null) return null;
    const card = await Card.restore(stored.value, this.#snapshotKey);
    const seen = this.#seen.get(key);
    if (seen !== undefined && card.isOlderThan(seen.freshness)) {
      card.free();
      throw new CountersignRangeError(
        'SNAPSHOT_INVALID',
        `countersign: cardId: the stored state of ${cardId} is older than one already seen (rollback)`,
        'cardId',
      );
    }
    this.#seen.set(key, { version: stored.version, freshness: card.freshness() });
    return card;
  }

  /**
   * Saves the card. Returns false, writing nothing, when someone else changed the stored state
   * since this store last loaded or saved it (load again, re-apply, save again).
   */
  async save(card: Card): Promise<boolean> {
    if (!(card instanceof Card)) throw typeError('card', 'a Card', card);
    const key = this.#prefix + card.cardId;
    const expected = this.#seen.get(key)?.version ?? null;
    const result = await this.#storage.put(key, card.snapshot(this.#snapshotKey), expected);
    if (!result.ok) return false;
    this.#seen.set(key, { version: result.version, freshness: card.freshness() });
    return true;
  }
}
