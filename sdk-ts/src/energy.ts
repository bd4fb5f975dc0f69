/**
 * energy — System 3: pre-authorised energy purchase (refuelling, EV charging).
 *
 * Two roles, each a class: the `EnergyServer` (the e-money server: wallets on a ledger, holds,
 * increments, extension, capture and release, expiry, the late-completion policy, signed answers
 * and receipts) and the `EnergyTerminal` (the pump or charger: signed orders and requests, the
 * dispenser limit derived from the hold, meter readings, verification of the server's answers).
 * They talk with signed envelopes (`Uint8Array`), so the flow can cross any network. Every rule
 * lives in the Rust core (core/src/energy); this module validates arguments and converts them.
 * `EnergyStore` persists either role through a storage adapter with compare-and-swap.
 * Money is always a decimal string, never a `number`.
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
import type { CardKey } from './card.js';
import { expectKeyAlgorithm, generateKeyPair, type KeyAlgorithm, type KeyPair } from './crypto.js';
import { CountersignRangeError } from './errors.js';
import { WasmObject, handleOf, withHandle } from './handle.js';
import type { AccountView, HoldView, LedgerCode, LedgerOutcome } from './ledger.js';
import type { Exhaustive } from './exhaustive.js';
import type {
  BelowMaximumPolicy,
  CostBreakdown,
  EnergyCode,
  EnergyOrder as WireEnergyOrder,
  EnergyReceipt,
  EnergyServerConfig,
  EnergyTariff,
  EnergyTerminalConfig as WireEnergyTerminalConfig,
  EnergyUnit,
  LateCompletionPolicy,
  MeterReading,
  RequestKind,
  SegmentCost,
  ServerReply as WireServerReply,
  ServerSession,
  ServerSessionState,
  TariffSegment,
  TaxRule,
  TerminalOutcome as WireTerminalOutcome,
  TerminalSession,
  TerminalState,
} from './generated/energy.js';
import { wasm } from './loader.js';
import { CheckedStorage } from './storage/checked.js';
import { StateStore, type PersistedState } from './store.js';
import { expectReadLogOptions } from './storage/common.js';
import type { StorageAdapter } from './storage/types.js';
import { U64_MAX, expectBytes, expectInteger, expectObject, expectOneOf, expectString, typeError } from './validate.js';

// ---------------------------------------------------------------------------------------------
// Types (the JSON shapes of the core's serde types)

// The requests, outcomes and views are the core's serde types, generated from the Rust types
// (sdk-ts/src/generated/energy.ts, `bash scripts/types.sh`); a type is written here only where
// the SDK's public type deliberately differs from the wire type, derived from the generated one.
export type {
  BelowMaximumPolicy,
  CostBreakdown,
  EnergyCode,
  EnergyReceipt,
  EnergyServerConfig,
  EnergyTariff,
  EnergyUnit,
  LateCompletionPolicy,
  MeterReading,
  RequestKind,
  SegmentCost,
  ServerSession,
  ServerSessionState,
  TariffSegment,
  TaxRule,
  TerminalSession,
  TerminalState,
};
/** An order as a session holds it: {@link EnergyOrder} with the station filled in. */
export type { WireEnergyOrder as SessionOrder };

/** A public key (a terminal's, the server's): bytes, like {@link CardKey}. */
export type EnergyKey = CardKey;

export const BELOW_MAXIMUM_POLICIES: readonly BelowMaximumPolicy[] = Object.freeze(['decline', 'hold-available', 'lower-maximum'] as const);

export const LATE_COMPLETION_POLICIES: readonly LateCompletionPolicy[] = Object.freeze(['reject', 'charge-if-funds'] as const);

/**
 * An order (the payload of `energy.order`). `stationId` may be left out: the terminal fills in
 * its own station (the core's order, {@link SessionOrder}, always names it).
 */
export type EnergyOrder = Omit<WireEnergyOrder, 'stationId'> & {
  /** Default: the terminal's station. */
  readonly stationId?: string;
};

/**
 * Every energy outcome code, in the core's order (docs/energy.md "Energy codes"; `energyCodes()`
 * describes each; a test checks this list against the core's).
 */
export const ENERGY_CODES = Object.freeze([
  'LIMIT_SET', 'HOLD_TOO_SMALL', 'QUANTITY_CAPPED', 'COST_COMPUTED', 'WITHIN_HOLD', 'EXCEEDS_HOLD',
  'HELD', 'HELD_AVAILABLE', 'MAXIMUM_LOWERED', 'BALANCE_BELOW_MAXIMUM', 'BELOW_MINIMUM',
  'UNKNOWN_WALLET', 'ORDER_INVALID', 'ORDER_ID_CONFLICT', 'SESSIONS_FULL', 'LEDGER_REFUSED',
  'TARIFF_CHANGED', 'INCREMENT_DECLINED', 'EXTENDED', 'DEADLINE_INVALID', 'HOLD_EXPIRED',
  'TARIFF_CHANGE_OUT_OF_ORDER', 'TARIFF_INVALID', 'SESSION_MESSAGES_FULL', 'SESSION_CLOSED',
  'UNKNOWN_ORDER', 'WRONG_STATION', 'WRONG_TERMINAL', 'COMPLETED', 'COMPLETED_CAPPED',
  'COMPLETED_NOTHING_DELIVERED', 'LATE_COMPLETION_REJECTED', 'LATE_CHARGED',
  'LATE_CHARGE_DECLINED', 'READINGS_INVALID', 'ORDER_SENT', 'REQUEST_SENT', 'READING_ACCEPTED',
  'LIMIT_REACHED', 'READING_ABOVE_LIMIT', 'READING_NOT_MONOTONIC', 'READING_MALFORMED',
  'READINGS_FULL', 'NOT_AUTHORISED', 'REQUEST_PENDING', 'TERMINAL_SESSIONS_FULL',
  'ANSWER_MISMATCH', 'RECEIPT_ACCEPTED', 'MALFORMED', 'UNKNOWN_KEY', 'BAD_SIGNATURE', 'WRONG_TYPE',
  'NOT_YET_VALID', 'EXPIRED', 'REPLAYED', 'VERSION_UNSUPPORTED', 'PAYLOAD_MALFORMED',
] as const satisfies readonly EnergyCode[]);
// Compile-time: ENERGY_CODES names every code of the generated union.
type _EnergyCodesComplete = Exhaustive<Exclude<EnergyCode, (typeof ENERGY_CODES)[number]>>;

/**
 * The terminal's answer to a call; `envelope` is the request to send to the server, if any
 * (the adapter adds the signed bytes to the core's outcome).
 */
export type TerminalOutcome = WireTerminalOutcome & { readonly envelope: Uint8Array | null };

/**
 * The server's answer; `envelope` is the signed answer to return to the terminal, if any
 * (the adapter adds the signed bytes to the core's reply).
 */
export type ServerReply = WireServerReply & { readonly envelope: Uint8Array | null };

/** A terminal's configuration: the server's key as bytes ({@link EnergyKey}; the core takes hex). */
export type EnergyTerminalConfig = Omit<WireEnergyTerminalConfig, 'serverKey'> & { readonly serverKey: EnergyKey };

/** Envelope types of the energy messages (core/src/energy/messages.rs). */
export const ENERGY_ORDER_TYPE = 'energy.order';
export const ENERGY_TARIFF_CHANGE_TYPE = 'energy.tariff-change';
export const ENERGY_EXTEND_TYPE = 'energy.extend';
export const ENERGY_COMPLETION_TYPE = 'energy.completion';
export const ENERGY_AUTHORISATION_TYPE = 'energy.authorisation';
export const ENERGY_RECEIPT_TYPE = 'energy.receipt';
/** Snapshot keys are 32 bytes (HMAC-SHA256). */
export const ENERGY_SNAPSHOT_KEY_BYTES = 32;
/** The request kinds a server handles, by the path a transport may route them on. */
export const ENERGY_REQUESTS = Object.freeze(['order', 'tariff-change', 'extend', 'completion'] as const);
export type EnergyRequest = (typeof ENERGY_REQUESTS)[number];

const TIME_S_MAX = Number.MAX_SAFE_INTEGER;
// ---------------------------------------------------------------------------------------------
// Conversions (every argument here is already the guard's owned copy, see boundary.ts)

const objectCreate = Object.create;
const objectAssign = Object.assign;

/**
 * A shallow copy of `value` without a prototype. Everything this file reads from a caller's
 * object is one of these, so a field the caller left out reads as `undefined` here whatever a
 * caller put on `Object.prototype` (the adapter's reader, `wasm/src/de.rs`, reads own fields
 * only, so this guards the SDK's own reads such as `o.stationId`). `value` is owned data, so
 * copying its own fields runs no caller code.
 */
function bare<T extends object>(value: T): T {
  return objectAssign(objectCreate(null) as T, value);
}

/** {@link expectObject}, read through a {@link bare} copy. */
function fieldsOf(value: unknown, param: string, allowed?: readonly string[]): Record<string, unknown> {
  return bare(expectObject(value, param, allowed));
}

function hex(bytes: Uint8Array): string {
  let out = '';
  for (const byte of bytes) out += byte.toString(16).padStart(2, '0');
  return out;
}

function keyToCore(value: unknown, param: string): { keyId: string; alg: KeyAlgorithm; publicKey: string } {
  const key = fieldsOf(value, param);
  return bare({
    keyId: expectString(key.keyId, `${param}.keyId`),
    alg: expectKeyAlgorithm(key.algorithm, `${param}.algorithm`),
    publicKey: hex(expectBytes(key.publicKey, `${param}.publicKey`)),
  });
}

function expectTime(value: unknown, param: string): bigint {
  return BigInt(expectInteger(value, param, -TIME_S_MAX, TIME_S_MAX));
}

/**
 * The key pair a role keeps to sign with: a frozen object of its own, made from the guard's
 * owned copy (never the caller's object, whose getters could answer differently later, and whose
 * bytes the caller could change or detach).
 */
function expectKeyPair(value: unknown): KeyPair {
  const pair = fieldsOf(value, 'keyPair');
  return Object.freeze(bare({
    algorithm: expectKeyAlgorithm(pair.algorithm, 'keyPair.algorithm'),
    secretKey: expectBytes(pair.secretKey, 'keyPair.secretKey'),
    publicKey: expectBytes(pair.publicKey, 'keyPair.publicKey'),
  }));
}

/**
 * An order as it crosses: the terminal's station when the caller gives none. Fields, types and
 * values are checked by the adapter and the core, naming the path (`order.tariff.unitPrice`).
 */
function orderToCore(value: unknown, stationId: string): EnergyOrder {
  const o = fieldsOf(value, 'order');
  if (o.stationId === undefined) o.stationId = stationId;
  return o as unknown as EnergyOrder;
}

/** The signer handed to wasm: plain data fields only (reading it runs no code). */
function signerOf(keyPair: KeyPair, keyId: string): { algorithm: KeyAlgorithm; keyId: string; secretKey: Uint8Array } {
  return bare({ algorithm: keyPair.algorithm, keyId, secretKey: keyPair.secretKey });
}

/** The public half of a kept key pair, as a fresh object with its own bytes (the caller may
 * change what it is given without changing the role). */
function publicKeyOf(keyPair: KeyPair, keyId: string): EnergyKey {
  return { keyId, algorithm: keyPair.algorithm, publicKey: new Uint8Array(keyPair.publicKey) };
}

// ---------------------------------------------------------------------------------------------
// Pricing (pure)

/** The dispenser or charger limit a hold pays for (see docs/energy.md "Policies"). */
export const dispenseLimit = guardFunction(function dispenseLimit(request: { tariff: EnergyTariff; hold: string }): {
  code: EnergyCode;
  maxQuantity: string;
  unit: EnergyUnit;
  resolution: string;
  cost: CostBreakdown;
  hold: string;
  currency: string;
} {
  // Checked by the adapter and the core, naming the path (`request.tariff.unitPrice`).
  return call(() => wasm('energy').energyDispenseLimit(request));
}, ['request']);

/** The cost of a metered quantity with the tariff's explicit roundings, compared with a hold if given. */
export const meteredCost = guardFunction(function meteredCost(request: { tariff: EnergyTariff; quantity: string; unit: EnergyUnit; hold?: string }): {
  code: EnergyCode;
  quantity: string;
  unit: EnergyUnit;
  cost: CostBreakdown;
  currency: string;
} {
  // Checked by the adapter and the core, naming the path (`request.quantity`).
  return call(() => wasm('energy').energyMeteredCost(request));
}, ['request']);

/** Every energy outcome code with its description. */
export const energyCodes = guardFunction(function energyCodes(): { code: EnergyCode; description: string }[] {
  return call(() => wasm('energy').energyCodes());
}, []);

// ---------------------------------------------------------------------------------------------
// Server

/** The glue's classes, named from its declarations (shipped in wasm/): the public classes'
 * `extends WasmObject<...>` appear in dist/*.d.ts, where the internal `wasm()` does not. */
type ServerHandle = import('../wasm/countersign_wasm.js').EnergyServerHandle;
type TerminalHandle = import('../wasm/countersign_wasm.js').EnergyTerminalHandle;

/**
 * The e-money server: wallets on a ledger (in wasm memory), holds for orders, capture and
 * release, expiry, signed answers. Persist it with `EnergyStore` after each change.
 * Call `free()` when done (or use `using`).
 */
export class EnergyServer extends WasmObject<ServerHandle> {
  /** The key id the server signs with (read back into wasm: frozen). */
  readonly keyId: string;
  readonly #keyPair: KeyPair;

  private constructor(token: typeof INTERNAL_CONSTRUCTION, handle: ServerHandle, keyPair: KeyPair, keyId: string) {
    checkInternalConstruction(token, 'EnergyServer', 'EnergyServer.create or EnergyServer.restore');
    super(handle, 'energy server');
    this.#keyPair = keyPair;
    this.keyId = keyId;
    adopt(this, EnergyServer);
    Object.freeze(this);
  }


  /** A new server with an empty ledger (issuer account only), signing with `keyPair`. */
  static create(config: EnergyServerConfig, now: number, keyPair?: KeyPair, keyId = 'energy-server'): EnergyServer {
    // Fields, types and values are checked by the adapter and the core, naming the path.
    const checked = fieldsOf(config, 'config');
    const pair = expectKeyPair(keyPair === undefined ? generateKeyPair('EdDSA') : keyPair);
    expectString(keyId, 'keyId');
    const at = expectTime(now, 'now');
    return new EnergyServer(INTERNAL_CONSTRUCTION, call<ServerHandle>(() => new (wasm('energy').EnergyServerHandle)(checked, at)), pair, keyId);
  }

  /** Restores a server from `snapshot()` bytes. */
  static restore(snapshot: Uint8Array, snapshotKey: Uint8Array, keyPair: KeyPair, keyId = 'energy-server'): EnergyServer {
    expectBytes(snapshot, 'snapshot');
    expectBytes(snapshotKey, 'snapshotKey');
    const pair = expectKeyPair(keyPair);
    expectString(keyId, 'keyId');
    return new EnergyServer(INTERNAL_CONSTRUCTION, call<ServerHandle>(() => wasm('energy').EnergyServerHandle.restore(snapshot, snapshotKey)), pair, keyId);
  }

  /** The key terminals must trust (their `serverKey`). */
  get publicKey(): EnergyKey {
    return publicKeyOf(this.#keyPair, this.keyId);
  }

  get config(): EnergyServerConfig {
    return withHandle(this, (h) => h.config());
  }

  /** Trusts a terminal of `stationId` (opens the station's settlement account if new). */
  addTerminal(stationId: string, terminalKey: EnergyKey, now: number): string {
    expectString(stationId, 'stationId');
    const key = keyToCore(terminalKey, 'terminalKey');
    const at = expectTime(now, 'now');
    return withHandle(this, (h) => h.addTerminal(stationId, key, at));
  }

  /** Opens a wallet; returns the ledger code (`ACCOUNT_OPENED`, `ACCOUNT_EXISTS` …). */
  openWallet(walletId: string, now: number): LedgerCode {
    expectString(walletId, 'walletId');
    const at = expectTime(now, 'now');
    return withHandle(this, (h) => h.openWallet(walletId, at) as LedgerCode);
  }

  /** Tops a wallet up (a decimal string); returns the ledger outcome. */
  topUp(walletId: string, amount: string, now: number): LedgerOutcome {
    expectString(walletId, 'walletId');
    expectString(amount, 'amount');
    const at = expectTime(now, 'now');
    return withHandle(this, (h) => h.topUp(walletId, amount, at));
  }

  wallet(walletId: string): AccountView | null {
    expectString(walletId, 'walletId');
    return withHandle(this, (h) => h.wallet(walletId) ?? null);
  }

  station(stationId: string): AccountView | null {
    expectString(stationId, 'stationId');
    return withHandle(this, (h) => h.station(stationId) ?? null);
  }

  session(orderId: string): ServerSession | null {
    expectString(orderId, 'orderId');
    return withHandle(this, (h) => h.session(orderId) ?? null);
  }

  sessionIds(): string[] {
    return withHandle(this, (h) => h.sessionIds());
  }

  /** Expires the holds due at `now`; returns their order ids. */
  expireDue(now: number): string[] {
    const at = expectTime(now, 'now');
    return withHandle(this, (h) => h.expireDue(at));
  }

  /** Handles an `energy.order` envelope. */
  authorise(envelope: Uint8Array, now: number): ServerReply {
    return this.#request('order', envelope, now);
  }

  /** Handles an `energy.tariff-change` envelope. */
  changeTariff(envelope: Uint8Array, now: number): ServerReply {
    return this.#request('tariff-change', envelope, now);
  }

  /** Handles an `energy.extend` envelope. */
  extend(envelope: Uint8Array, now: number): ServerReply {
    return this.#request('extend', envelope, now);
  }

  /** Handles an `energy.completion` envelope: capture, release, signed receipt. */
  complete(envelope: Uint8Array, now: number): ServerReply {
    return this.#request('completion', envelope, now);
  }

  /** Handles a request by kind (what an HTTP route would call). */
  handle(kind: EnergyRequest, envelope: Uint8Array, now: number): ServerReply {
    return this.#request(expectOneOf(kind, 'kind', ENERGY_REQUESTS), envelope, now);
  }

  #request(kind: EnergyRequest, envelope: Uint8Array, now: number): ServerReply {
    expectBytes(envelope, 'envelope');
    const at = expectTime(now, 'now');
    const signer = signerOf(this.#keyPair, this.keyId);
    return withHandle(this, (h) => {
      switch (kind) {
        case 'order':
          return h.authorise(envelope, at, signer);
        case 'tariff-change':
          return h.changeTariff(envelope, at, signer);
        case 'extend':
          return h.extend(envelope, at, signer);
        default:
          return h.complete(envelope, at, signer);
      }
    });
  }

  /**
   * The ledger's journal entries not yet handed to storage (hash-chained CBOR, oldest first).
   * `EnergyStore.saveServer` appends them to a storage log and truncates them; the ledger keeps at
   * most 4096 and refuses further operations when full (`LEDGER_REFUSED` / `JOURNAL_FULL`).
   */
  journal(): Uint8Array[] {
    return withHandle(this, (h) => h.journal());
  }

  /** Forgets the retained journal entries through `throughSeq` (after persisting them). */
  truncateJournal(throughSeq: bigint): void {
    if (typeof throughSeq !== 'bigint') throw typeError('throughSeq', 'a bigint', throughSeq);
    if (throughSeq < 0n || throughSeq > U64_MAX) throw new CountersignRangeError('INVALID_ARGUMENT', 'countersign: throughSeq must be a u64', 'throughSeq');
    withHandle(this, (h) => h.truncateJournal(throughSeq));
  }

  /** Monotonic counters (envelope seq, ledger journal seq), decimal strings: lower = older. */
  revision(): [string, string] {
    return withHandle(this, (h) => h.revision() as [string, string]);
  }

  snapshot(snapshotKey: Uint8Array): Uint8Array {
    expectBytes(snapshotKey, 'snapshotKey');
    return withHandle(this, (h) => h.snapshot(snapshotKey));
  }

  // free() and [Symbol.dispose]() are WasmObject's (handle.ts): later calls refuse (INVALID_ARGUMENT).
}

// ---------------------------------------------------------------------------------------------
// Terminal

/**
 * The terminal (pump or charger): builds signed orders and requests (send `outcome.envelope` to
 * the server), verifies the server's answers, derives the dispenser limit, accepts meter readings.
 * Call `free()` when done (or use `using`).
 */
export class EnergyTerminal extends WasmObject<TerminalHandle> {
  /** The key id the terminal signs with (read back into wasm: frozen). */
  readonly keyId: string;
  readonly #keyPair: KeyPair;

  private constructor(token: typeof INTERNAL_CONSTRUCTION, handle: TerminalHandle, keyPair: KeyPair, keyId: string) {
    checkInternalConstruction(token, 'EnergyTerminal', 'EnergyTerminal.create or EnergyTerminal.restore');
    super(handle, 'energy terminal');
    this.#keyPair = keyPair;
    this.keyId = keyId;
    adopt(this, EnergyTerminal);
    Object.freeze(this);
  }


  #signer(): { algorithm: KeyAlgorithm; keyId: string; secretKey: Uint8Array } {
    return signerOf(this.#keyPair, this.keyId);
  }

  /** A terminal of `config.stationId` trusting `config.serverKey`, signing with `keyPair`. */
  static create(config: EnergyTerminalConfig, keyPair?: KeyPair, keyId = 'terminal'): EnergyTerminal {
    // The key's bytes become hex here; everything else is checked by the adapter and the core.
    const checked = fieldsOf(config, 'config');
    checked.serverKey = keyToCore(checked.serverKey, 'config.serverKey');
    const pair = expectKeyPair(keyPair === undefined ? generateKeyPair('EdDSA') : keyPair);
    expectString(keyId, 'keyId');
    return new EnergyTerminal(INTERNAL_CONSTRUCTION, call<TerminalHandle>(() => new (wasm('energy').EnergyTerminalHandle)(checked)), pair, keyId);
  }

  static restore(snapshot: Uint8Array, snapshotKey: Uint8Array, keyPair: KeyPair, keyId = 'terminal'): EnergyTerminal {
    expectBytes(snapshot, 'snapshot');
    expectBytes(snapshotKey, 'snapshotKey');
    const pair = expectKeyPair(keyPair);
    expectString(keyId, 'keyId');
    return new EnergyTerminal(INTERNAL_CONSTRUCTION, call<TerminalHandle>(() => wasm('energy').EnergyTerminalHandle.restore(snapshot, snapshotKey)), pair, keyId);
  }

  /** The key the server must trust (`addTerminal`). */
  get publicKey(): EnergyKey {
    return publicKeyOf(this.#keyPair, this.keyId);
  }

  get stationId(): string {
    return withHandle(this, (h) => h.stationId());
  }

  /** Builds a signed `energy.order` (`ORDER_SENT`). */
  order(order: EnergyOrder, now: number): TerminalOutcome {
    const h = handleOf(this);
    const checked = orderToCore(order, call<string>(() => h.stationId()));
    const at = expectTime(now, 'now');
    return call(() => h.order(checked, at, this.#signer()));
  }

  /** Verifies and applies the server's `energy.authorisation`. */
  acceptAuthorisation(envelope: Uint8Array, now: number): TerminalOutcome {
    expectBytes(envelope, 'envelope');
    const at = expectTime(now, 'now');
    return withHandle(this, (h) => h.acceptAuthorisation(envelope, at));
  }

  /** Records a meter reading (quantity delivered so far, a decimal string at the resolution). */
  meter(orderId: string, quantity: string, at: number): TerminalOutcome {
    expectString(orderId, 'orderId');
    expectString(quantity, 'quantity');
    const time = expectTime(at, 'at');
    return withHandle(this, (h) => h.meter(orderId, quantity, time));
  }

  /** Pauses delivery and builds a signed `energy.tariff-change` with the increment it needs. */
  changeTariff(orderId: string, tariff: EnergyTariff, now: number): TerminalOutcome {
    expectString(orderId, 'orderId');
    const at = expectTime(now, 'now');
    const h = handleOf(this);
    // The tariff is checked by the adapter and the core, naming the path (`tariff.unitPrice`).
    return call(() => h.changeTariff(orderId, tariff, at, this.#signer()));
  }

  /** Builds a signed `energy.extend` asking for the deadline `expiresAt` (Unix seconds). */
  extend(orderId: string, expiresAt: number, now: number): TerminalOutcome {
    expectString(orderId, 'orderId');
    const deadline = expectTime(expiresAt, 'expiresAt');
    const at = expectTime(now, 'now');
    return withHandle(this, (h) => h.extend(orderId, deadline, at, this.#signer()));
  }

  /** Stops delivery and builds the signed `energy.completion` with the readings. */
  complete(orderId: string, now: number): TerminalOutcome {
    expectString(orderId, 'orderId');
    const at = expectTime(now, 'now');
    return withHandle(this, (h) => h.complete(orderId, at, this.#signer()));
  }

  /** Verifies the server's `energy.receipt` and closes the session. */
  acceptReceipt(envelope: Uint8Array, now: number): TerminalOutcome {
    expectBytes(envelope, 'envelope');
    const at = expectTime(now, 'now');
    return withHandle(this, (h) => h.acceptReceipt(envelope, at));
  }

  /** Gives up the waiting request after the server refused it without a signed answer. */
  abandonRequest(orderId: string, code: EnergyCode): TerminalOutcome {
    expectString(orderId, 'orderId');
    expectString(code, 'code');
    return withHandle(this, (h) => h.abandonRequest(orderId, code));
  }

  /** Accepts whatever the server answered: a signed answer, or a refusal (abandons the request). */
  acceptReply(orderId: string, reply: ServerReply, now: number): TerminalOutcome {
    expectString(orderId, 'orderId');
    const r = fieldsOf(reply, 'reply');
    const at = expectTime(now, 'now');
    if (r.envelope !== undefined && r.envelope !== null) {
      const envelope = expectBytes(r.envelope, 'reply.envelope');
      return withHandle(this, (h) => {
        const pending = (h.session(orderId) as TerminalSession | undefined)?.pending;
        return pending === 'completion' ? h.acceptReceipt(envelope, at) : h.acceptAuthorisation(envelope, at);
      });
    }
    const code = expectString(r.code, 'reply.code');
    return withHandle(this, (h) => h.abandonRequest(orderId, code));
  }

  /** The waiting request's envelope (to send it again unchanged), or null. */
  pendingRequest(orderId: string): Uint8Array | null {
    expectString(orderId, 'orderId');
    return withHandle(this, (h) => h.pendingRequest(orderId) ?? null);
  }

  session(orderId: string): TerminalSession | null {
    expectString(orderId, 'orderId');
    return withHandle(this, (h) => h.session(orderId) ?? null);
  }

  sessionIds(): string[] {
    return withHandle(this, (h) => h.sessionIds());
  }

  /** Monotonic counter (the last envelope seq), a decimal string: lower = older. */
  revision(): string {
    return withHandle(this, (h) => h.revision());
  }

  snapshot(snapshotKey: Uint8Array): Uint8Array {
    expectBytes(snapshotKey, 'snapshotKey');
    return withHandle(this, (h) => h.snapshot(snapshotKey));
  }

  // free() and [Symbol.dispose]() are WasmObject's (handle.ts): later calls refuse (INVALID_ARGUMENT).
}

// ---------------------------------------------------------------------------------------------
// Persistence

function revisionOf(role: EnergyServer | EnergyTerminal): bigint[] {
  const r = role.revision();
  return (Array.isArray(r) ? r : [r]).map((v) => BigInt(v));
}

function isOlder(found: bigint[], seen: bigint[]): boolean {
  return found.some((v, i) => v < (seen[i] ?? 0n));
}

/**
 * A role as the generic store persists it (store.ts): its revision counters guard against
 * rollback; a server's ledger journal goes to the log `<key>.journal` after each save, is
 * truncated through the journal seq of the saved snapshot, and the ledger never fills.
 */
function persistedRole<T extends EnergyServer | EnergyTerminal>(
  restore: (bytes: Uint8Array, snapshotKey: Uint8Array) => T,
  withJournal: boolean,
): PersistedState<T, bigint[]> {
  return {
    param: 'name',
    snapshot: (role, key) => role.snapshot(key),
    restore,
    freshness: revisionOf,
    isOlder: (_role, found, seen) => isOlder(found, seen),
    free: (role) => role.free(),
    journal: withJournal
      ? {
          log: (key) => `${key}.journal`,
          entries: (role) => (role as EnergyServer).journal(),
          truncate: (role, revision) => (role as EnergyServer).truncateJournal(revision[1] ?? 0n),
        }
      : undefined,
  };
}

/**
 * Saves and loads energy servers and terminals through a storage adapter (IndexedDB in browsers,
 * atomic files in Node): one key per role instance holding its authenticated snapshot, written
 * with compare-and-swap. It remembers the freshest state seen of each and refuses to load an
 * older one (a rollback of storage).
 */
export class EnergyStore {
  /** Compare-and-swap, rollback memory and the server's journal log (store.ts). */
  readonly #store: StateStore;
  readonly #prefix: string;

  constructor(storage: StorageAdapter, snapshotKey: Uint8Array, options?: { prefix?: string }) {
    try {
      const [adapter, key, given] = ownConstructorArgs(arguments, [raw('storage'), 'snapshotKey', 'options'], 'new EnergyStore');
      const checked = CheckedStorage.of(adapter, 'storage');
      const ownKey = expectBytes(key, 'snapshotKey');
      const opts = given === undefined ? bare<Record<string, unknown>>({}) : fieldsOf(given, 'options', ['prefix']);
      this.#prefix = opts.prefix === undefined ? 'energy/' : expectString(opts.prefix, 'options.prefix');
      this.#store = new StateStore(checked, ownKey);
      adopt(this, EnergyStore);
    } catch (e) {
      throw toSdkError(e, 'new EnergyStore');
    }
  }

  /** The stored server `name`, or null. Rejects with SNAPSHOT_INVALID when tampered or rolled back. */
  async loadServer(name: string, keyPair: KeyPair, keyId = 'energy-server'): Promise<EnergyServer | null> {
    const id = expectString(name, 'name');
    const pair = expectKeyPair(keyPair);
    expectString(keyId, 'keyId');
    const kind = persistedRole((bytes, key) => EnergyServer.restore(bytes, key, pair, keyId), true);
    return this.#store.load(kind, `${this.#prefix}server/${id}`, id);
  }

  /**
   * Saves the server; false (nothing written) when someone else changed it since this store saw
   * it. After the snapshot is written, the ledger's journal entries it covers are appended to the
   * log `<prefix>server/<name>.journal` (an audit trail `Ledger.replay` can re-execute, in Node or
   * with the `'ledger'` or `'all'` module: the `'energy'` module exports no `Ledger`) and
   * truncated from memory, so the ledger never fills its journal. A crash between the two writes
   * loses journal entries from the log, never state: the snapshot is written first.
   */
  async saveServer(name: string, server: EnergyServer): Promise<boolean> {
    const key = `${this.#prefix}server/${expectString(name, 'name')}`;
    if (!isOwned(server, EnergyServer)) throw typeError('server', 'an EnergyServer', server);
    return this.#store.save(SAVED_SERVER, key, server);
  }

  /** The server's journal entries appended by `saveServer`, oldest first (up to `limit`). */
  async readServerJournal(name: string, options?: { after?: number; limit?: number }): Promise<Uint8Array[]> {
    const key = `${this.#prefix}server/${expectString(name, 'name')}.journal`;
    const checked = expectReadLogOptions(options, 'options');
    return (await this.#store.readLog(key, checked)).map((r) => r.record);
  }

  /** The stored terminal `name`, or null. Rejects with SNAPSHOT_INVALID when tampered or rolled back. */
  async loadTerminal(name: string, keyPair: KeyPair, keyId = 'terminal'): Promise<EnergyTerminal | null> {
    const id = expectString(name, 'name');
    const pair = expectKeyPair(keyPair);
    expectString(keyId, 'keyId');
    const kind = persistedRole((bytes, key) => EnergyTerminal.restore(bytes, key, pair, keyId), false);
    return this.#store.load(kind, `${this.#prefix}terminal/${id}`, id);
  }

  /** Saves the terminal; false (nothing written) when someone else changed it since this store saw it. */
  async saveTerminal(name: string, terminal: EnergyTerminal): Promise<boolean> {
    const key = `${this.#prefix}terminal/${expectString(name, 'name')}`;
    if (!isOwned(terminal, EnergyTerminal)) throw typeError('terminal', 'an EnergyTerminal', terminal);
    return this.#store.save(SAVED_TERMINAL, key, terminal);
  }
}

/** Saving needs no key pair (only restoring does). */
function notRestoring(): never {
  throw new CountersignRangeError('INTERNAL', 'countersign: an energy role is restored with its key pair');
}
const SAVED_SERVER = persistedRole<EnergyServer>(notRestoring, true);
const SAVED_TERMINAL = persistedRole<EnergyTerminal>(notRestoring, false);

// ---------------------------------------------------------------------------------------------
// The boundary (boundary.ts): every public method, getter and static behind the guard.

guardClass(EnergyServer, {
  methods: {
    publicKey: [],
    config: [],
    addTerminal: ['stationId', 'terminalKey', 'now'],
    openWallet: ['walletId', 'now'],
    topUp: ['walletId', 'amount', 'now'],
    wallet: ['walletId'],
    station: ['stationId'],
    session: ['orderId'],
    sessionIds: [],
    expireDue: ['now'],
    authorise: ['envelope', 'now'],
    changeTariff: ['envelope', 'now'],
    extend: ['envelope', 'now'],
    complete: ['envelope', 'now'],
    handle: ['kind', 'envelope', 'now'],
    journal: [],
    truncateJournal: ['throughSeq'],
    revision: [],
    snapshot: ['snapshotKey'],
    free: [],
  },
  statics: {
    create: ['config', 'now', 'keyPair', 'keyId'],
    restore: ['snapshot', 'snapshotKey', 'keyPair', 'keyId'],
  },
});

guardClass(EnergyTerminal, {
  methods: {
    publicKey: [],
    stationId: [],
    order: ['order', 'now'],
    acceptAuthorisation: ['envelope', 'now'],
    meter: ['orderId', 'quantity', 'at'],
    changeTariff: ['orderId', 'tariff', 'now'],
    extend: ['orderId', 'expiresAt', 'now'],
    complete: ['orderId', 'now'],
    acceptReceipt: ['envelope', 'now'],
    abandonRequest: ['orderId', 'code'],
    acceptReply: ['orderId', 'reply', 'now'],
    pendingRequest: ['orderId'],
    session: ['orderId'],
    sessionIds: [],
    revision: [],
    snapshot: ['snapshotKey'],
    free: [],
  },
  statics: {
    create: ['config', 'keyPair', 'keyId'],
    restore: ['snapshot', 'snapshotKey', 'keyPair', 'keyId'],
  },
});

guardClass(EnergyStore, {
  methods: {
    loadServer: ['name', 'keyPair', 'keyId'],
    saveServer: ['name', 'server'],
    readServerJournal: ['name', 'options'],
    loadTerminal: ['name', 'keyPair', 'keyId'],
    saveTerminal: ['name', 'terminal'],
  },
});
