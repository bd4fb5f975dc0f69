/**
 * ecash — System 6: offline electronic cash on a smart card.
 *
 * Three roles, one class each:
 * - the **card** ({@link EcashCard}): an offline balance, a monotonic counter, a signed and
 *   hash-chained offline log; pays other cards and merchants offline within the limits of the
 *   last security information, receives payments (pending until the back-end settles them),
 *   and comes online with a signed sync request;
 * - the **merchant** ({@link EcashMerchant}): accepts payments offline and deposits them;
 * - the **back-end** ({@link EcashBackend}): checks a card's log against the abnormal-transaction
 *   rules (each finding with its code and evidence) and answers with signed security
 *   information, a block / restrict instruction, or a refusal; takes deposits.
 * Plus {@link ecashSimulate}, the adversarial simulator an issuer uses to choose its limits, and
 * {@link ecashVerifyDoubleSpend}, which anyone can run on a double-spend proof.
 *
 * Every rule lives in the Rust core (core/src/ecash, docs/ecash.md); this module validates
 * arguments and converts them. Money crosses as decimal strings of minor units, never numbers;
 * messages cross as bytes in the core's formats; times are safe-integer Unix seconds.
 */
import { INTERNAL_CONSTRUCTION, adopt, checkInternalConstruction, guardClass, guardFunction, isOwned, ownConstructorArgs, raw, toSdkError } from './boundary.js';
import { CountersignRangeError } from './errors.js';
import { CheckedStorage } from './storage/checked.js';
import type { StorageAdapter } from './storage/types.js';
import { StateStore, type PersistedState } from './store.js';
import { call } from './calls.js';
import { WasmObject, withHandle } from './handle.js';
import { wasm } from './loader.js';
import type { Exhaustive } from './exhaustive.js';
import type { Action, AttackKind, LimitName, Refusal, RuleCode } from './generated/ecash.js';
import { expectArray, expectBytes, expectInteger, expectObject, expectOneOf, expectString, rangeError, typeError } from './validate.js';

/** Largest amount, balance or limit, minor units. */
export const ECASH_AMOUNT_MINOR_MAX = 1_000_000_000_000_000n;
/** Most ids in a blocklist. */
export const ECASH_BLOCKLIST_MAX = 1024;
/** Most records in one deposit. */
export const ECASH_DEPOSIT_RECORDS_MAX = 16_384;
const TIME_MAX = Number.MAX_SAFE_INTEGER;

// The outcome unions are the core's (generated from the Rust enums: sdk-ts/src/generated/ecash.ts).
export type EcashRefusal = Refusal;
export type EcashRuleCode = RuleCode;
export const ECASH_RULE_CODES = Object.freeze([
  'BAD_SIGNATURE', 'COUNTER_GAP', 'CHAIN_BROKEN', 'REPLAYED_COUNTER', 'ROLLBACK', 'CLONED_CARD',
  'DOUBLE_SPEND', 'BALANCE_MISMATCH', 'OFFLINE_LIMIT_EXCEEDED', 'VELOCITY', 'WRONG_PAYEE',
] as const satisfies readonly EcashRuleCode[]);
// Compile-time: the list names every member of the generated union (and, above, nothing else).
type _RuleCodesComplete = Exhaustive<Exclude<RuleCode, (typeof ECASH_RULE_CODES)[number]>>;
export type EcashAction = Action;
/** What the card did with an envelope from the back-end. */
export type EcashAccepted =
  | 'security' | 'restricted' | 'blocked'
  | 'BAD_SIGNATURE' | 'UNKNOWN_KEY' | 'EXPIRED' | 'NOT_YET_VALID' | 'REPLAYED' | 'WRONG_TYPE' | 'MALFORMED'
  | 'WRONG_CARD' | 'COUNTER_BEHIND';

export type EcashEvidence =
  | { kind: 'counter'; counter: string }
  | { kind: 'gap'; expected: string; found: string }
  | { kind: 'rollback'; cardBase: string; cardSeq: string; synced: string; seq: string }
  | { kind: 'diverged'; accepted: Uint8Array; submitted: Uint8Array }
  | { kind: 'double-spend'; proof: Uint8Array }
  | { kind: 'balance'; expectedAvailable: string; reportedAvailable: string; expectedPending: string; reportedPending: string }
  | { kind: 'limit'; counter: string; limit: LimitName }
  | { kind: 'window'; start: number; count: number; amount: string }
  | { kind: 'record'; record: Uint8Array }
  | { kind: 'replayed'; time: number; lastTime: number };
export interface EcashFinding {
  code: EcashRuleCode;
  /** A card id, or a merchant id for deposit findings. */
  subject: string;
  action: EcashAction;
  evidence: EcashEvidence;
}
export type EcashSyncOutcome =
  | { outcome: 'clean'; security: Uint8Array; credited: string; debited: string; findings: [] }
  | { outcome: 'abnormal'; instruction: Uint8Array; findings: EcashFinding[] }
  | { outcome: 'refused'; findings: EcashFinding[] };
export type EcashPayOutcome = { ok: true; payment: Uint8Array } | { ok: false; refusal: EcashRefusal };
export type EcashReceiveOutcome = { ok: true; ack: Uint8Array } | { ok: false; refusal: EcashRefusal };
export interface EcashCardView {
  id: string;
  publicKey: Uint8Array;
  available: string;
  pending: string;
  reserved: string;
  counter: string;
  securitySeq: string;
  syncedCounter: string;
  counterMax: string;
  limits: { singleMax: string; cumulativeMax: string; countMax: number; validUntil: number };
  logLength: number;
  blocked: boolean;
  restricted: boolean;
}
export interface EcashIssuerKey {
  keyId: string;
  publicKey: Uint8Array;
}
export interface EcashSigner {
  keyId: string;
  secretKey: Uint8Array;
}
export interface EcashPolicy {
  limits: { singleMax: string; cumulativeMax: string; countMax: number };
  validityS: number;
  counterWindow: number;
  velocity: { windowS: number; countMax: number; amountMax: string };
  /** Overrides of the rules' default actions. */
  actions?: Partial<Record<EcashRuleCode, EcashAction>>;
}

type CardHandle = import('../wasm/countersign_wasm.js').EcashCardHandle;
type MerchantHandle = import('../wasm/countersign_wasm.js').EcashMerchantHandle;
type BackendHandle = import('../wasm/countersign_wasm.js').EcashBackendHandle;

/** A decimal string of minor units within [min, AMOUNT_MINOR_MAX]. */
function expectMinor(value: unknown, param: string, min = 0n): string {
  if (typeof value !== 'string') throw typeError(param, 'a decimal string of minor units', value);
  if (!/^(0|[1-9][0-9]{0,15})$/.test(value)) throw rangeError(param, `must be a decimal string of minor units, got "${value.slice(0, 40)}"`);
  const n = BigInt(value);
  if (n < min || n > ECASH_AMOUNT_MINOR_MAX) throw rangeError(param, `must be between ${min} and ${ECASH_AMOUNT_MINOR_MAX} minor units, got ${value}`);
  return value;
}
function expectTime(value: unknown, param: string): number {
  return expectInteger(value, param, -TIME_MAX, TIME_MAX);
}
/** Own copy of the bytes (the caller may change theirs after the call). */
function ownBytes(value: unknown, param: string): Uint8Array {
  return new Uint8Array(expectBytes(value, param));
}
function expectIssuer(value: unknown, param: string): { keyId: string; publicKey: Uint8Array } {
  const o = expectObject(value, param, ['keyId', 'publicKey']);
  return { keyId: expectString(o.keyId, `${param}.keyId`), publicKey: ownBytes(o.publicKey, `${param}.publicKey`) };
}
function expectSigner(value: unknown): { keyId: string; algorithm: 'EdDSA'; secretKey: Uint8Array } {
  const o = expectObject(value, 'signer', ['keyId', 'secretKey']);
  return { keyId: expectString(o.keyId, 'signer.keyId'), algorithm: 'EdDSA', secretKey: ownBytes(o.secretKey, 'signer.secretKey') };
}

export class EcashCard extends WasmObject<CardHandle> {
  private constructor(token: typeof INTERNAL_CONSTRUCTION, handle: CardHandle) {
    checkInternalConstruction(token, 'EcashCard', 'EcashCard.create or EcashCard.restore');
    super(handle, 'ecash card');
    adopt(this, EcashCard);
    Object.freeze(this);
  }

  /** A card with its secret key, its issuer's key and the provisioning security information. */
  static create(id: string, secretKey: Uint8Array, issuer: EcashIssuerKey, security: Uint8Array, now: number): EcashCard {
    const cardId = expectString(id, 'id');
    const sk = ownBytes(secretKey, 'secretKey');
    const iss = expectIssuer(issuer, 'issuer');
    const sec = ownBytes(security, 'security');
    const t = expectTime(now, 'now');
    return new EcashCard(INTERNAL_CONSTRUCTION, call<CardHandle>(() => new (wasm('ecash').EcashCardHandle)(cardId, sk, iss.keyId, iss.publicKey, sec, t)));
  }

  /** A card from {@link EcashCard.snapshot} bytes (authenticated; refused if tampered). */
  static restore(snapshot: Uint8Array, snapshotKey: Uint8Array): EcashCard {
    const bytes = ownBytes(snapshot, 'snapshot');
    const key = ownBytes(snapshotKey, 'snapshotKey');
    return new EcashCard(INTERNAL_CONSTRUCTION, call<CardHandle>(() => wasm('ecash').EcashCardHandle.restore(bytes, key)));
  }

  /** Step 1 of a payment: signs the record and reserves its amount. Deliver `payment`, then {@link confirm}. */
  pay(payee: string, amount: string, now: number): EcashPayOutcome {
    const p = expectString(payee, 'payee');
    const a = expectMinor(amount, 'amount', 1n);
    const t = expectTime(now, 'now');
    return withHandle(this, (h) => h.pay(p, a, t) as EcashPayOutcome);
  }

  /** Receives another card's payment (pending until settled); answers the ack for the payer. */
  receive(payment: Uint8Array, now: number): EcashReceiveOutcome {
    const p = ownBytes(payment, 'payment');
    const t = expectTime(now, 'now');
    return withHandle(this, (h) => h.receive(p, t) as EcashReceiveOutcome);
  }

  /** Step 3: the payee's ack moves the reserved record to the log. */
  confirm(ack: Uint8Array): boolean {
    const a = ownBytes(ack, 'ack');
    return withHandle(this, (h) => h.confirm(a));
  }

  /** The reserved payment's bytes, to deliver again after a crash (or null). */
  reservedPayment(): Uint8Array | null {
    return withHandle(this, (h) => h.reservedPayment() ?? null);
  }

  /** The signed sync request for the back-end. */
  syncRequest(now: number): Uint8Array {
    const t = expectTime(now, 'now');
    return withHandle(this, (h) => h.syncRequest(t));
  }

  /** Accepts security information or an instruction from the back-end, after its checks. */
  accept(envelope: Uint8Array, now: number): EcashAccepted {
    const e = ownBytes(envelope, 'envelope');
    const t = expectTime(now, 'now');
    return withHandle(this, (h) => h.accept(e, t) as EcashAccepted);
  }

  view(): EcashCardView {
    return withHandle(this, (h) => h.view() as EcashCardView);
  }

  snapshot(snapshotKey: Uint8Array): Uint8Array {
    const key = ownBytes(snapshotKey, 'snapshotKey');
    return withHandle(this, (h) => h.snapshot(key));
  }
}

guardClass(EcashCard, {
  methods: {
    pay: ['payee', 'amount', 'now'],
    receive: ['payment', 'now'],
    confirm: ['ack'],
    reservedPayment: [],
    syncRequest: ['now'],
    accept: ['envelope', 'now'],
    view: [],
    snapshot: ['snapshotKey'],
    free: [],
  },
  statics: { create: ['id', 'secretKey', 'issuer', 'security', 'now'], restore: ['snapshot', 'snapshotKey'] },
});

export class EcashMerchant extends WasmObject<MerchantHandle> {
  private constructor(token: typeof INTERNAL_CONSTRUCTION, handle: MerchantHandle) {
    checkInternalConstruction(token, 'EcashMerchant', 'EcashMerchant.create');
    super(handle, 'ecash merchant');
    adopt(this, EcashMerchant);
    Object.freeze(this);
  }

  static create(id: string, issuer: EcashIssuerKey): EcashMerchant {
    const mid = expectString(id, 'id');
    const iss = expectIssuer(issuer, 'issuer');
    return new EcashMerchant(INTERNAL_CONSTRUCTION, call<MerchantHandle>(() => new (wasm('ecash').EcashMerchantHandle)(mid, iss.keyId, iss.publicKey)));
  }

  receive(payment: Uint8Array, now: number): EcashReceiveOutcome {
    const p = ownBytes(payment, 'payment');
    const t = expectTime(now, 'now');
    return withHandle(this, (h) => h.receive(p, t) as EcashReceiveOutcome);
  }

  /** Hands over the held payments' records for {@link EcashBackend.deposit}. */
  takeDeposit(): Uint8Array[] {
    return withHandle(this, (h) => h.takeDeposit() as Uint8Array[]);
  }

  setBlocklist(cardIds: readonly string[]): void {
    const list = expectArray(cardIds, 'cardIds');
    if (list.length > ECASH_BLOCKLIST_MAX) throw rangeError('cardIds', `must hold at most ${ECASH_BLOCKLIST_MAX} ids, got ${list.length}`);
    const ids = list.map((id, i) => expectString(id, `cardIds[${i}]`));
    withHandle(this, (h) => h.setBlocklist(ids));
  }

  held(): number {
    return withHandle(this, (h) => h.held());
  }
}

guardClass(EcashMerchant, {
  methods: { receive: ['payment', 'now'], takeDeposit: [], setBlocklist: ['cardIds'], held: [], free: [] },
  statics: { create: ['id', 'issuer'] },
});

export class EcashBackend extends WasmObject<BackendHandle> {
  private constructor(token: typeof INTERNAL_CONSTRUCTION, handle: BackendHandle) {
    checkInternalConstruction(token, 'EcashBackend', 'EcashBackend.create or EcashBackend.restore');
    super(handle, 'ecash back-end');
    adopt(this, EcashBackend);
    Object.freeze(this);
  }

  static create(policy: EcashPolicy): EcashBackend {
    const p = expectObject(policy, 'policy', ['limits', 'validityS', 'counterWindow', 'velocity', 'actions']);
    const l = expectObject(p.limits, 'policy.limits', ['singleMax', 'cumulativeMax', 'countMax']);
    const v = expectObject(p.velocity, 'policy.velocity', ['windowS', 'countMax', 'amountMax']);
    const singleMax = expectMinor(l.singleMax, 'policy.limits.singleMax');
    const cumulativeMax = expectMinor(l.cumulativeMax, 'policy.limits.cumulativeMax');
    const countMax = expectInteger(l.countMax, 'policy.limits.countMax', 0, 0xffff_ffff);
    const validityS = expectInteger(p.validityS, 'policy.validityS', 1, TIME_MAX);
    const counterWindow = expectInteger(p.counterWindow, 'policy.counterWindow', 1, 16_384);
    const windowS = expectInteger(v.windowS, 'policy.velocity.windowS', 1, TIME_MAX);
    const vCount = expectInteger(v.countMax, 'policy.velocity.countMax', 0, 0xffff_ffff);
    const amountMax = expectMinor(v.amountMax, 'policy.velocity.amountMax');
    const actions: Record<string, EcashAction> = {};
    if (p.actions !== undefined) {
      const a = expectObject(p.actions, 'policy.actions', ECASH_RULE_CODES);
      for (const code of Object.keys(a)) actions[code] = expectOneOf(a[code], `policy.actions.${code}`, ['reject', 'restrict', 'block'] as const);
    }
    return new EcashBackend(INTERNAL_CONSTRUCTION, call<BackendHandle>(() =>
      new (wasm('ecash').EcashBackendHandle)(singleMax, cumulativeMax, countMax, validityS, counterWindow, windowS, vCount, amountMax, actions)));
  }

  static restore(snapshot: Uint8Array, snapshotKey: Uint8Array): EcashBackend {
    const bytes = ownBytes(snapshot, 'snapshot');
    const key = ownBytes(snapshotKey, 'snapshotKey');
    return new EcashBackend(INTERNAL_CONSTRUCTION, call<BackendHandle>(() => wasm('ecash').EcashBackendHandle.restore(bytes, key)));
  }

  /** Registers a card with its opening balance; returns its provisioning security information. */
  register(signer: EcashSigner, card: string, cardKey: Uint8Array, balance: string, now: number): Uint8Array {
    const s = expectSigner(signer);
    const id = expectString(card, 'card');
    const key = ownBytes(cardKey, 'cardKey');
    const b = expectMinor(balance, 'balance');
    const t = expectTime(now, 'now');
    return withHandle(this, (h) => h.register(s, id, key, b, t));
  }

  /** Checks a card's sync request: security information, an instruction, or a refusal. */
  sync(signer: EcashSigner, request: Uint8Array, now: number): EcashSyncOutcome {
    const s = expectSigner(signer);
    const r = ownBytes(request, 'request');
    const t = expectTime(now, 'now');
    return withHandle(this, (h) => h.sync(s, r, t) as EcashSyncOutcome);
  }

  /** A merchant's deposit (records from {@link EcashMerchant.takeDeposit}). */
  deposit(merchant: string, records: readonly Uint8Array[]): { credited: string; findings: EcashFinding[] } {
    const m = expectString(merchant, 'merchant');
    const list = expectArray(records, 'records');
    if (list.length > ECASH_DEPOSIT_RECORDS_MAX) throw rangeError('records', `must hold at most ${ECASH_DEPOSIT_RECORDS_MAX} records, got ${list.length}`);
    const own = list.map((r, i) => ownBytes(r, `records[${i}]`));
    return withHandle(this, (h) => h.deposit(m, own) as { credited: string; findings: EcashFinding[] });
  }

  balance(card: string): string | null {
    const id = expectString(card, 'card');
    return withHandle(this, (h) => h.balance(id) ?? null);
  }
  status(card: string): EcashAction | null {
    const id = expectString(card, 'card');
    return withHandle(this, (h) => (h.status(id) ?? null) as EcashAction | null);
  }
  merchantBalance(merchant: string): string {
    const id = expectString(merchant, 'merchant');
    return withHandle(this, (h) => h.merchantBalance(id));
  }
  blocklist(): string[] {
    return withHandle(this, (h) => h.blocklist());
  }
  /** Settled balances plus merchant deposits, minor units. */
  total(): string {
    return withHandle(this, (h) => h.total());
  }
  /** Value paid out twice by double spends, minor units. */
  absorbed(): string {
    return withHandle(this, (h) => h.absorbed());
  }
  /** A decimal string that grows with every change (the store's rollback guard). */
  revision(): string {
    return withHandle(this, (h) => h.revision());
  }
  snapshot(snapshotKey: Uint8Array): Uint8Array {
    const key = ownBytes(snapshotKey, 'snapshotKey');
    return withHandle(this, (h) => h.snapshot(key));
  }
}

guardClass(EcashBackend, {
  methods: {
    register: ['signer', 'card', 'cardKey', 'balance', 'now'],
    sync: ['signer', 'request', 'now'],
    deposit: ['merchant', 'records'],
    balance: ['card'],
    status: ['card'],
    merchantBalance: ['merchant'],
    blocklist: [],
    total: [],
    absorbed: [],
    revision: [],
    snapshot: ['snapshotKey'],
    free: [],
  },
  statics: { create: ['policy'], restore: ['snapshot', 'snapshotKey'] },
});

/** Whether `proof` (two signed records) proves a double spend by the card with `publicKey`. */
export const ecashVerifyDoubleSpend = guardFunction(function ecashVerifyDoubleSpend(proof: Uint8Array, publicKey: Uint8Array): boolean {
  const p = ownBytes(proof, 'proof');
  const k = ownBytes(publicKey, 'publicKey');
  return call<boolean>(() => wasm('ecash').ecashVerifyDoubleSpend(p, k));
}, ['proof', 'publicKey']);

export type EcashAttackKind = AttackKind;
export interface EcashSimConfig {
  seed: number;
  cards: number;
  merchants: number;
  steps: number;
  stepS: number;
  offlineSteps: number;
  payPercent: number;
  openingBalance: string;
  limits: { singleMax: string; cumulativeMax: string; countMax: number };
  validityS: number;
  attacks: { kind: EcashAttackKind; card: number; step: number }[];
}
export interface EcashSimReport {
  attacks: { attack: { kind: EcashAttackKind; card: number; step: number }; detected: boolean; code: EcashRuleCode | null; secondsToDetection: number | null; valueAtRisk: string }[];
  detectionPerMille: number;
  honestFlagged: string[];
  payments: number;
  /** Value at risk at the end of each step, minor units. */
  valueAtRiskByStep: string[];
  valueAtRiskBound: string;
}

/** Runs the adversarial simulator (pure, deterministic from `seed`). */
export const ecashSimulate = guardFunction(function ecashSimulate(config: EcashSimConfig): EcashSimReport {
  const c = expectObject(config, 'config', ['seed', 'cards', 'merchants', 'steps', 'stepS', 'offlineSteps', 'payPercent', 'openingBalance', 'limits', 'validityS', 'attacks']);
  const l = expectObject(c.limits, 'config.limits', ['singleMax', 'cumulativeMax', 'countMax']);
  const attacks = expectArray(c.attacks, 'config.attacks').map((a, i) => {
    const o = expectObject(a, `config.attacks[${i}]`, ['kind', 'card', 'step']);
    return {
      kind: expectOneOf(o.kind, `config.attacks[${i}].kind`, ['clone', 'replay', 'rollback', 'double-spend', 'relay'] as const),
      card: expectInteger(o.card, `config.attacks[${i}].card`, 0, 10_000),
      step: expectInteger(o.step, `config.attacks[${i}].step`, 0, 10_000),
    };
  });
  const own = {
    seed: BigInt(expectInteger(c.seed, 'config.seed', 0, TIME_MAX)),
    cards: expectInteger(c.cards, 'config.cards', 0, 0xffff_ffff),
    merchants: expectInteger(c.merchants, 'config.merchants', 0, 0xffff_ffff),
    steps: expectInteger(c.steps, 'config.steps', 0, 0xffff_ffff),
    stepS: expectInteger(c.stepS, 'config.stepS', -TIME_MAX, TIME_MAX),
    offlineSteps: expectInteger(c.offlineSteps, 'config.offlineSteps', 0, 0xffff_ffff),
    payPercent: expectInteger(c.payPercent, 'config.payPercent', 0, 0xffff_ffff),
    openingBalance: BigInt(expectMinor(c.openingBalance, 'config.openingBalance')),
    limits: {
      singleMax: BigInt(expectMinor(l.singleMax, 'config.limits.singleMax')),
      cumulativeMax: BigInt(expectMinor(l.cumulativeMax, 'config.limits.cumulativeMax')),
      countMax: expectInteger(l.countMax, 'config.limits.countMax', 0, 0xffff_ffff),
      validUntil: 0,
    },
    validityS: expectInteger(c.validityS, 'config.validityS', -TIME_MAX, TIME_MAX),
    attacks,
  };
  const report = call<{ attacks: { attack: EcashSimReport['attacks'][number]['attack']; detected: boolean; code: EcashRuleCode | null; secondsToDetection: number | null; valueAtRisk: number }[]; detectionPerMille: number; honestFlagged: string[]; payments: number; valueAtRiskByStep: number[]; valueAtRiskBound: number }>(
    () => wasm('ecash').ecashSimulate(own),
  );
  // The core's amounts are integers ≤ 10^15 (exact as numbers); the SDK hands money out as strings.
  return {
    attacks: report.attacks.map((a) => ({ ...a, valueAtRisk: String(a.valueAtRisk) })),
    detectionPerMille: report.detectionPerMille,
    honestFlagged: report.honestFlagged,
    payments: report.payments,
    valueAtRiskByStep: report.valueAtRiskByStep.map(String),
    valueAtRiskBound: String(report.valueAtRiskBound),
  };
}, ['config']);

// ---------------------------------------------------------------------------------------------
// Persistence

/** Snapshot keys are 32 bytes. */
export const ECASH_SNAPSHOT_KEY_BYTES = 32;

/**
 * Saves and loads cards and back-ends through a storage adapter (IndexedDB on a phone standing in
 * for the card, atomic files or PostgreSQL for the back-end): one key per card (`card/<id>`) or
 * back-end (`backend/<name>`) holding its authenticated snapshot, written with compare-and-swap. A
 * stored state older than one this store has seen is refused (a card's counter or security
 * version, the back-end's revision going back: a rollback of storage), as is another card's state
 * under a card's key. Save a card after every payment step: what was saved is what a restart loads.
 */
export class EcashStore {
  readonly #store: StateStore;
  readonly #prefix: string;

  constructor(storage: StorageAdapter, snapshotKey: Uint8Array, options?: { prefix?: string }) {
    try {
      const [adapter, key, given] = ownConstructorArgs(arguments, [raw('storage'), 'snapshotKey', 'options'], 'new EcashStore');
      const checked = CheckedStorage.of(adapter, 'storage');
      const ownKey = expectBytes(key, 'snapshotKey');
      if (ownKey.length !== ECASH_SNAPSHOT_KEY_BYTES) throw rangeError('snapshotKey', `must be ${ECASH_SNAPSHOT_KEY_BYTES} bytes, got ${ownKey.length}`);
      const opts = given === undefined ? {} : expectObject(given, 'options', ['prefix']);
      this.#prefix = opts.prefix === undefined ? 'ecash/' : expectString(opts.prefix, 'options.prefix');
      this.#store = new StateStore(checked, ownKey);
      adopt(this, EcashStore);
      Object.freeze(this);
    } catch (e) {
      throw toSdkError(e, 'new EcashStore');
    }
  }

  /** The stored card, or null. SNAPSHOT_INVALID for a tampered state, a rollback, or another card's state. */
  async loadCard(cardId: string): Promise<EcashCard | null> {
    const id = expectString(cardId, 'cardId');
    return this.#store.load(PERSISTED_CARD, `${this.#prefix}card/${id}`, id);
  }

  /** Saves the card. False, writing nothing, when another writer changed it since this store last saw it. */
  async saveCard(card: EcashCard): Promise<boolean> {
    if (!isOwned(card, EcashCard)) throw typeError('card', 'an EcashCard', card);
    return this.#store.save(PERSISTED_CARD, `${this.#prefix}card/${card.view().id}`, card);
  }

  /** The stored back-end, or null. */
  async loadBackend(name: string): Promise<EcashBackend | null> {
    const n = expectString(name, 'name');
    return this.#store.load(PERSISTED_BACKEND, `${this.#prefix}backend/${n}`, n);
  }

  /** Saves the back-end under `name`. False, writing nothing, when another writer changed it. */
  async saveBackend(name: string, backend: EcashBackend): Promise<boolean> {
    const n = expectString(name, 'name');
    if (!isOwned(backend, EcashBackend)) throw typeError('backend', 'an EcashBackend', backend);
    return this.#store.save(PERSISTED_BACKEND, `${this.#prefix}backend/${n}`, backend);
  }
}

interface CardFreshness {
  readonly counter: bigint;
  readonly securitySeq: bigint;
}
const PERSISTED_CARD: PersistedState<EcashCard, CardFreshness> = Object.freeze({
  param: 'cardId',
  snapshot: (card: EcashCard, key: Uint8Array) => card.snapshot(key),
  restore: (bytes: Uint8Array, key: Uint8Array) => EcashCard.restore(bytes, key),
  freshness: (card: EcashCard) => {
    const v = card.view();
    return { counter: BigInt(v.counter), securitySeq: BigInt(v.securitySeq) };
  },
  isOlder: (_card: EcashCard, found: CardFreshness, seen: CardFreshness) => found.counter < seen.counter || found.securitySeq < seen.securitySeq,
  check(card: EcashCard, id: string): void {
    if (card.view().id !== id) {
      throw new CountersignRangeError('SNAPSHOT_INVALID', `countersign: cardId: the state stored under ${id} is another card's`, 'cardId');
    }
  },
  free: (card: EcashCard) => card.free(),
});
const PERSISTED_BACKEND: PersistedState<EcashBackend, { readonly revision: bigint }> = Object.freeze({
  param: 'name',
  snapshot: (backend: EcashBackend, key: Uint8Array) => backend.snapshot(key),
  restore: (bytes: Uint8Array, key: Uint8Array) => EcashBackend.restore(bytes, key),
  freshness: (backend: EcashBackend) => ({ revision: BigInt(backend.revision()) }),
  isOlder: (_b: EcashBackend, found: { readonly revision: bigint }, seen: { readonly revision: bigint }) => found.revision < seen.revision,
  free: (backend: EcashBackend) => backend.free(),
});

guardClass(EcashStore, {
  methods: { loadCard: ['cardId'], saveCard: ['card'], loadBackend: ['name'], saveBackend: ['name', 'backend'] },
});
