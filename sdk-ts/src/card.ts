/**
 * card — System 1: the card usage counter set by a companion app.
 *
 * Three roles, each a class: the `Issuer` provisions cards and signs their configuration and
 * online results; the `CompanionApp` holds the cardholder's key and signs commands (set, change,
 * reset, block, unblock); the `Card` applies them, authorises POS transactions, and snapshots
 * itself. Every rule lives in the Rust core (core/src/card, core/src/limits); this module only
 * validates arguments, converts them, and loads time-zone data for calendar windows.
 *
 * Every entry point is behind the SDK boundary (boundary.ts): arguments are read once into data
 * the SDK owns before any of it is checked or reaches wasm, receivers must be genuine instances,
 * and only SDK errors escape.
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
import { expectKeyAlgorithm, type KeyAlgorithm, type KeyPair, generateKeyPair } from './crypto.js';
import { sealEnvelope } from './envelope.js';
import { CountersignRangeError, isCountersignError } from './errors.js';
import { isTrapped } from './instance.js';
import { WasmObject, handleOf, withHandle } from './handle.js';
import { call } from './calls.js';
import { wasm } from './loader.js';
import { loadTimeZone, UTC_TIME_ZONE } from './tz.js';
import { CheckedStorage } from './storage/checked.js';
import { StateStore, type PersistedState } from './store.js';
import type { StorageAdapter } from './storage/types.js';
import {
  expectArray,
  expectBytes,
  expectInteger,
  expectObject,
  expectString,
  expectU64,
  typeError,
} from './validate.js';

// ---------------------------------------------------------------------------------------------
// Types. The JSON shapes of the core's serde types are generated from the Rust types
// (sdk-ts/src/generated/, `bash scripts/types.sh`); a type is written here only where the SDK's
// public type deliberately differs from the wire type, and then derived from the generated one.

import type {
  AuthorisationRequest,
  AuthorisationResult,
  CardCode,
  CardCommand,
  CardConfig as WireCardConfig,
  CardStatus,
  CardView,
  ConsecutiveOffline,
  Decision,
  Freshness,
  OnlineResult as WireOnlineResult,
  PublicKey as WirePublicKey,
  SettlementRequest,
  TransactionOutcome,
  UpdateOutcome,
} from './generated/card.js';
import type {
  CountOn,
  CountingPolicy,
  LimitSpec,
  LimitStatus,
  LimitWindow,
  Measure,
  Restore,
  Weekday,
} from './generated/limits.js';
import type { Exhaustive } from './exhaustive.js';
export type {
  AuthorisationRequest,
  AuthorisationResult,
  CardCode,
  CardCommand,
  CardStatus,
  CardView,
  ConsecutiveOffline,
  CountOn,
  CountingPolicy,
  Decision,
  Freshness,
  LimitSpec,
  LimitStatus,
  LimitWindow,
  Measure,
  Restore,
  SettlementRequest,
  TransactionOutcome,
  UpdateOutcome,
  Weekday,
};

/**
 * A public key the card trusts. The SDK takes the key as bytes and names the algorithm
 * `algorithm` (as {@link KeyPair} does); the core's JSON (`PublicKey`) carries hex and `alg`.
 */
export type CardKey = Omit<WirePublicKey, 'alg' | 'publicKey'> & {
  readonly algorithm: KeyAlgorithm;
  readonly publicKey: Uint8Array;
};

/**
 * The issuer's answer to a go-online decision and/or a consecutive-offline reset: the core's
 * `OnlineResult` without `cardId`, which {@link Issuer.onlineResult} takes as its own argument.
 */
export type OnlineResult = Omit<WireOnlineResult, 'cardId'>;

/**
 * The issuer's configuration of a card (the payload of a `card.config` envelope): the core's
 * `CardConfig` with the app keys as {@link CardKey} (bytes, converted to hex by the SDK).
 */
export type CardConfig = Omit<WireCardConfig, 'appKeys'> & { readonly appKeys: readonly CardKey[] };

/**
 * Every card outcome code, in the core's order (docs/card.md "Card codes"; `cardCodes()` describes
 * each; a test checks this list against the core's).
 */
export const CARD_CODES = Object.freeze([
  'APPROVED', 'SOFT_LIMIT_REACHED', 'HARD_LIMIT_REACHED', 'TRANSACTION_LIMIT_EXCEEDED',
  'TRAILING_WINDOW_FULL', 'CONSECUTIVE_OFFLINE_SOFT_LIMIT', 'CONSECUTIVE_OFFLINE_HARD_LIMIT',
  'CURRENCY_MISMATCH', 'CARD_BLOCKED', 'MERCHANT_CATEGORY_BLOCKED', 'NOT_PROVISIONED',
  'TRANSACTION_ID_CONFLICT', 'TRANSACTION_COUNTER_EXHAUSTED', 'ONLINE_APPROVED', 'ONLINE_DECLINED',
  'CONFIG_APPLIED', 'COMMAND_APPLIED', 'ONLINE_RESULT_APPLIED', 'MALFORMED', 'UNKNOWN_KEY',
  'BAD_SIGNATURE', 'WRONG_TYPE', 'NOT_YET_VALID', 'EXPIRED', 'REPLAYED', 'VERSION_UNSUPPORTED',
  'PAYLOAD_MALFORMED', 'WRONG_CARD', 'CONFIG_INVALID', 'UNKNOWN_LIMIT', 'VALUE_INVALID',
  'ABOVE_CEILING', 'NEGATIVE_RESULT', 'NOT_RESETTABLE', 'TRANSACTION_NOT_PENDING', 'REVERSED',
  'CAPTURED', 'REFUNDED', 'UNKNOWN_TRANSACTION', 'TRANSACTION_NOT_APPROVED',
  'TRANSACTION_REVERSED', 'TRANSACTION_REFUNDED', 'TRANSACTION_NOT_CAPTURED', 'REFUND_CONFLICT',
  'REFUND_EXCEEDS_AMOUNT', 'CAPTURE_CONFLICT', 'CAPTURE_EXCEEDS_AUTHORISATION',
] as const satisfies readonly CardCode[]);
// Compile-time: CARD_CODES names every code of the generated union (and, above, nothing else).
type _CardCodesComplete = Exhaustive<Exclude<CardCode, (typeof CARD_CODES)[number]>>;

/** Every card outcome code with its description, in the core's order. */
export const cardCodes = guardFunction(function cardCodes(): { code: CardCode; description: string }[] {
  return call(() => wasm('card').cardCodes());
}, []);

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

/** At most this many app keys in a configuration (core `APP_KEYS_MAX`). */
const APP_KEYS_MAX = 8;
/** At most this many limits in a configuration (core `LIMITS_PER_SET_MAX`). */
const LIMITS_MAX = 16;
/** At most this many blocked merchant categories (core `MERCHANT_CATEGORIES_MAX`). */
const MERCHANT_CATEGORIES_MAX = 32;

function hex(bytes: Uint8Array): string {
  let out = '';
  for (let i = 0; i < bytes.length; i++) out += (bytes[i] as number).toString(16).padStart(2, '0');
  return out;
}

/** An array of at most `max` entries, refused by its length before any entry is looked at. */
function expectList(value: unknown, param: string, max: number): readonly unknown[] {
  const list = expectArray(value, param);
  if (list.length > max) {
    throw new CountersignRangeError(
      'LIMIT_EXCEEDED',
      `countersign: ${param}: ${list.length} entries, more than the maximum of ${max}`,
      param,
    );
  }
  return list;
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

/** The key pair as a fresh object of the SDK's own (the boundary already copied its bytes). */
function expectKeyPair(value: unknown): KeyPair {
  const pair = expectObject(value, 'keyPair');
  return {
    algorithm: expectKeyAlgorithm(pair.algorithm, 'keyPair.algorithm'),
    secretKey: expectBytes(pair.secretKey, 'keyPair.secretKey'),
    publicKey: expectBytes(pair.publicKey, 'keyPair.publicKey'),
  };
}

/** The public half of a signer's key, as a fresh object (the caller may keep and change it). */
function publicCardKey(keyId: string, keyPair: KeyPair): CardKey {
  return { keyId, algorithm: keyPair.algorithm, publicKey: keyPair.publicKey.slice() };
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
    try {
      const [pair, id] = ownConstructorArgs(arguments, ['keyPair', 'keyId'], 'new Issuer');
      const ownPair = expectKeyPair(pair);
      const ownId = expectString(id, 'keyId');
      this.#keyPair = ownPair;
      this.keyId = ownId;
      adopt(this, Issuer);
      Object.freeze(this); // `keyId` goes into every envelope: it must stay the string it was
    } catch (e) {
      throw toSdkError(e, 'new Issuer');
    }
  }

  /** An issuer with a fresh key pair. */
  static generate(keyId = 'issuer', algorithm: KeyAlgorithm = 'EdDSA'): Issuer {
    const id = expectString(keyId, 'keyId');
    const pair = generateKeyPair(algorithm);
    try {
      return new Issuer(pair, id); // keeps its own copy
    } finally {
      pair.secretKey.fill(0);
    }
  }

  /** The key a card must trust (give it to `Card.create`). */
  get publicKey(): CardKey {
    return publicCardKey(this.keyId, this.#keyPair);
  }

  /** A signed configuration envelope for `config.cardId`. */
  provision(config: CardConfig, options: MessageOptions): Uint8Array {
    // Fields, types and values are checked by the adapter and the core (naming the path); the
    // lists are bounded here, before a long one is copied into wasm memory.
    const fields = expectObject(config, 'config');
    if (Array.isArray(fields.limits)) expectList(fields.limits, 'config.limits', LIMITS_MAX);
    if (Array.isArray(fields.blockedMerchantCategories)) {
      expectList(fields.blockedMerchantCategories, 'config.blockedMerchantCategories', MERCHANT_CATEGORIES_MAX);
    }
    const keys = expectList(fields.appKeys, 'config.appKeys', APP_KEYS_MAX);
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

guardClass(Issuer, {
  methods: { publicKey: [], provision: ['config', 'options'], onlineResult: ['cardId', 'result', 'options'] },
  statics: { generate: ['keyId', 'algorithm'] },
});

// ---------------------------------------------------------------------------------------------
// Companion app

/** The cardholder's companion app: signs commands for one card and previews decisions. */
export class CompanionApp {
  readonly keyId: string;
  readonly cardId: string;
  readonly #keyPair: KeyPair;

  constructor(keyPair: KeyPair, keyId: string, cardId: string) {
    try {
      const [pair, id, card] = ownConstructorArgs(arguments, ['keyPair', 'keyId', 'cardId'], 'new CompanionApp');
      const ownPair = expectKeyPair(pair);
      const ownId = expectString(id, 'keyId');
      const ownCardId = expectString(card, 'cardId');
      this.#keyPair = ownPair;
      this.keyId = ownId;
      this.cardId = ownCardId;
      adopt(this, CompanionApp);
      Object.freeze(this); // `keyId` and `cardId` go into every command: they must stay the strings they were
    } catch (e) {
      throw toSdkError(e, 'new CompanionApp');
    }
  }

  /** An app with a fresh key pair. */
  static generate(cardId: string, keyId = 'app', algorithm: KeyAlgorithm = 'EdDSA'): CompanionApp {
    const card = expectString(cardId, 'cardId');
    const id = expectString(keyId, 'keyId');
    const pair = generateKeyPair(algorithm);
    try {
      return new CompanionApp(pair, id, card); // keeps its own copy
    } finally {
      pair.secretKey.fill(0);
    }
  }

  /** The key the issuer lists in the card's configuration. */
  get publicKey(): CardKey {
    return publicCardKey(this.keyId, this.#keyPair);
  }

  /** A signed command envelope. `options.seq` must grow with every command for this card. */
  command(action: CardCommand, options: MessageOptions): Uint8Array {
    const fields = expectObject(action, 'action');
    const payload = call<Uint8Array>(() => wasm('card').cardCommandPayload({ cardId: this.cardId, action: fields }));
    return sealCardMessage(this.#keyPair, this.keyId, CARD_COMMAND_TYPE, payload, options);
  }

  /** "Would this transaction be approved, and why?" — on a copy of the card's state. */
  preview(card: Card, request: AuthorisationRequest): AuthorisationResult {
    if (!isOwned(card, Card)) throw typeError('card', 'a Card', card);
    return card.preview(request);
  }
}

guardClass(CompanionApp, {
  methods: { publicKey: [], command: ['action', 'options'], preview: ['card', 'request'] },
  statics: { generate: ['cardId', 'keyId', 'algorithm'] },
});

// ---------------------------------------------------------------------------------------------
// Card

/** The glue's class, named from its declarations (shipped in wasm/): the public class's
 * `extends WasmObject<Handle>` appears in dist/*.d.ts, where the internal `wasm()` does not. */
type Handle = import('../wasm/countersign_wasm.js').CardHandle;

/**
 * Loads the TZif data of every named zone the handle does not have yet. `live` is asked for the
 * handle again after each await: the caller may free the card (or the instance trap) while a
 * zone loads, and a freed handle must be refused here, never handed to the glue.
 */
async function loadZones(live: () => Handle, names: readonly string[]): Promise<void> {
  const have = new Set(call<string[]>(() => live().timeZoneNames()));
  for (const name of new Set(names)) {
    if (name === UTC_TIME_ZONE || have.has(name)) continue;
    const data = await loadTimeZone(name);
    if (data !== null) call(() => live().addTimeZone(data.name, data.tzif));
  }
}

/** The core's answer when a calendar window's zone data is not loaded yet. */
function isMissingZone(e: unknown): boolean {
  return isCountersignError(e) && (e as { code?: unknown }).code === 'TIME_ZONE_MISSING';
}

/**
 * A card: applies the issuer's configuration and the app's commands, authorises transactions.
 * State lives in wasm memory; `snapshot()` / `Card.restore()` persist it (see `CardStore`).
 * Call `free()` (or use `using`) when done, or let the garbage collector reclaim it.
 */
export class Card extends WasmObject<Handle> {
  private constructor(token: typeof INTERNAL_CONSTRUCTION, handle: Handle) {
    checkInternalConstruction(token, 'Card', 'Card.create or Card.restore');
    super(handle, 'card');
    adopt(this, Card);
    Object.freeze(this);
  }

  /** A new, unprovisioned card that trusts `issuerKey`. */
  static create(cardId: string, issuerKey: CardKey): Card {
    const id = expectString(cardId, 'cardId');
    const key = cardKeyToCore(issuerKey, 'issuerKey');
    return new Card(INTERNAL_CONSTRUCTION, call<Handle>(() => new (wasm('card').CardHandle)(id, key)));
  }

  /** Restores a card from `snapshot()` bytes; loads the time-zone data its limits use. */
  static async restore(snapshot: Uint8Array, snapshotKey: Uint8Array): Promise<Card> {
    const bytes = expectBytes(snapshot, 'snapshot');
    const key = expectBytes(snapshotKey, 'snapshotKey');
    const handle = call<Handle>(() => wasm('card').CardHandle.restore(bytes, key));
    try {
      // The zones of an authenticated state (the snapshot's HMAC was checked above).
      await loadZones(() => handle, call<string[]>(() => handle.usedTimeZones()));
    } catch (e) {
      if (!isTrapped()) handle.free();
      throw e;
    }
    return new Card(INTERNAL_CONSTRUCTION, handle);
  }

  /**
   * Applies a `card.config` envelope signed by the issuer, loading the time-zone data its limits
   * use. Nothing named by an envelope is loaded before the card has verified it: the core checks
   * the key, signature, type, validity period, sequence number, version, card id and the
   * configuration itself before it looks at any zone, so the envelope is first applied with the
   * zones the card already has; only when that fails for want of zone data (which can then only
   * be the new limits') are the configuration's zones loaded and the envelope applied again.
   */
  async applyConfig(envelope: Uint8Array, now: number): Promise<UpdateOutcome> {
    expectBytes(envelope, 'envelope');
    const at = BigInt(expectTime(now, 'now'));
    // The zones of the card's current limits (authenticated state; normally all loaded already):
    // with them present, a refusal can never fail for want of zone data.
    const live = (): Handle => handleOf(this);
    await loadZones(live, call<string[]>(() => live().usedTimeZones()));
    try {
      return call<UpdateOutcome>(() => handleOf(this).applyConfig(envelope, at));
    } catch (e) {
      if (!isMissingZone(e)) throw e;
    }
    // Verified: the configuration's zones may be loaded now. The card verifies it again below
    // (its state may have changed while the data loaded).
    await loadZones(live, call<string[]>(() => wasm('card').cardConfigTimeZones(envelope)));
    return call<UpdateOutcome>(() => handleOf(this).applyConfig(envelope, at));
  }

  /** Applies a `card.command` envelope signed by a companion app. */
  applyCommand(envelope: Uint8Array, now: number): UpdateOutcome {
    expectBytes(envelope, 'envelope');
    const at = expectTime(now, 'now');
    return call<UpdateOutcome>(() => handleOf(this).applyCommand(envelope, BigInt(at)));
  }

  /** Applies a `card.online-result` envelope signed by the issuer. */
  applyOnlineResult(envelope: Uint8Array, now: number): UpdateOutcome {
    expectBytes(envelope, 'envelope');
    const at = expectTime(now, 'now');
    return call<UpdateOutcome>(() => handleOf(this).applyOnlineResult(envelope, BigInt(at)));
  }

  /** Decides a POS authorisation and records it atomically. A repeated id returns the same answer. */
  authorise(request: AuthorisationRequest): AuthorisationResult {
    // The request crosses as the boundary copied it: the adapter refuses an unknown or missing
    // field or a wrong type, the core a bad value, each naming its path (`request.amount`).
    return call<AuthorisationResult>(() => handleOf(this).authorise(request));
  }

  /** The same decision as `authorise`, without recording anything. */
  preview(request: AuthorisationRequest): AuthorisationResult {
    return call<AuthorisationResult>(() => handleOf(this).preview(request));
  }

  reverse(request: { transactionId: string; time: number }): TransactionOutcome {
    return call<TransactionOutcome>(() => handleOf(this).reverse(request));
  }

  capture(request: SettlementRequest): TransactionOutcome {
    return call<TransactionOutcome>(() => handleOf(this).capture(request));
  }

  refund(request: SettlementRequest): TransactionOutcome {
    return call<TransactionOutcome>(() => handleOf(this).refund(request));
  }

  /** Status, counters and every limit's `{limit, used, remaining, resetsAt}` at `now`. */
  view(now: number): CardView {
    const at = expectTime(now, 'now');
    return call<CardView>(() => handleOf(this).view(BigInt(at)));
  }

  freshness(): Freshness {
    return call<Freshness>(() => handleOf(this).freshness());
  }

  /** Whether this card's state is older than `seen` (any monotonic counter lower: a rollback). */
  isOlderThan(seen: Freshness): boolean {
    const fields = expectObject(seen, 'seen');
    return call<boolean>(() => handleOf(this).isOlderThan(fields));
  }

  /** Versioned, HMAC-SHA256-authenticated state bytes. */
  snapshot(snapshotKey: Uint8Array): Uint8Array {
    expectBytes(snapshotKey, 'snapshotKey');
    return call<Uint8Array>(() => handleOf(this).snapshot(snapshotKey));
  }

  /** An independent copy (e.g. for the app's preview). */
  copy(): Card {
    return new Card(INTERNAL_CONSTRUCTION, withHandle(this, (h) => h.copy()));
  }

  get cardId(): string {
    return withHandle(this, (h) => h.cardId());
  }

  // free() and [Symbol.dispose]() are WasmObject's (handle.ts): any later call on a freed card
  // throws INVALID_ARGUMENT; a handle of a replaced or trapped instance is never touched.
}

guardClass(Card, {
  methods: {
    applyConfig: ['envelope', 'now'],
    applyCommand: ['envelope', 'now'],
    applyOnlineResult: ['envelope', 'now'],
    authorise: ['request'],
    preview: ['request'],
    reverse: ['request'],
    capture: ['request'],
    refund: ['request'],
    view: ['now'],
    freshness: [],
    isOlderThan: ['seen'],
    snapshot: ['snapshotKey'],
    copy: [],
    cardId: [],
    free: [],
  },
  statics: { create: ['cardId', 'issuerKey'], restore: ['snapshot', 'snapshotKey'] },
});

// ---------------------------------------------------------------------------------------------
// Persistence

/**
 * Saves and loads cards through a storage adapter (IndexedDB in browsers, atomic files in Node):
 * one key per card holding its authenticated snapshot, written with compare-and-swap. It
 * remembers the freshest state it has seen of each card and refuses to load an older one (a
 * rollback of storage), using the card's monotonic counters.
 */
export class CardStore {
  /** Compare-and-swap, rollback memory per card (store.ts). */
  readonly #store: StateStore;
  readonly #prefix: string;

  constructor(storage: StorageAdapter, snapshotKey: Uint8Array, options?: { prefix?: string }) {
    try {
      const [adapter, key, given] = ownConstructorArgs(arguments, [raw('storage'), 'snapshotKey', 'options'], 'new CardStore');
      const checked = CheckedStorage.of(adapter, 'storage');
      const ownKey = expectBytes(key, 'snapshotKey');
      const opts = given === undefined ? {} : expectObject(given, 'options', ['prefix']);
      const prefix = opts.prefix === undefined ? 'card/' : expectString(opts.prefix, 'options.prefix');
      this.#store = new StateStore(checked, ownKey);
      this.#prefix = prefix;
      adopt(this, CardStore);
      Object.freeze(this);
    } catch (e) {
      throw toSdkError(e, 'new CardStore');
    }
  }

  /**
   * The stored card, or null when none. Throws SNAPSHOT_INVALID for a tampered snapshot, a
   * rollback, or the snapshot of another card stored under this card's key.
   */
  async load(cardId: string): Promise<Card | null> {
    const id = expectString(cardId, 'cardId');
    return this.#store.load(PERSISTED_CARD, this.#prefix + id, id);
  }

  /**
   * Saves the card. Returns false, writing nothing, when someone else changed the stored state
   * since this store last loaded or saved it (load again, re-apply, save again).
   */
  async save(card: Card): Promise<boolean> {
    if (!isOwned(card, Card)) throw typeError('card', 'a Card', card);
    // The key is read before any await, with the snapshot (the store reads it at once).
    return this.#store.save(PERSISTED_CARD, this.#prefix + card.cardId, card);
  }
}

/** A card as the generic store persists it: its monotonic counters guard against rollback. */
const PERSISTED_CARD: PersistedState<Card, Freshness> = Object.freeze({
  param: 'cardId',
  snapshot: (card: Card, key: Uint8Array) => card.snapshot(key),
  restore: (bytes: Uint8Array, key: Uint8Array) => Card.restore(bytes, key),
  freshness: (card: Card) => card.freshness(),
  isOlder: (card: Card, _found: Freshness, seen: Freshness) => card.isOlderThan(seen),
  check(card: Card, id: string): void {
    if (card.cardId !== id) {
      throw new CountersignRangeError('SNAPSHOT_INVALID', `countersign: cardId: the state stored under ${id} is another card's`, 'cardId');
    }
  },
  free: (card: Card) => card.free(),
});

guardClass(CardStore, {
  methods: { load: ['cardId'], save: ['card'] },
});
