/**
 * ledger-shards — many ledgers behind one routing rule, for more accounts than one ledger holds
 * (a ledger keeps at most 4,096 accounts and 4,096 pending holds; its snapshot is its whole
 * state). {@link ShardedLedger} routes each operation to the shard of its account, persists each
 * shard through its own {@link LedgerStore}, and moves money between two shards atomically by a
 * two-phase commit whose prepared state is a hold on each side (docs/ledger.md, *Sharding: a
 * million wallets*). Every rule of a ledger still holds inside each shard, unchanged.
 */
import { CountersignError, CountersignRangeError } from './errors.js';
import { handleOf } from './handle.js';
import { call } from './calls.js';
import { adopt, checkInternalConstruction, guardClass, guardFunction, INTERNAL_CONSTRUCTION, raw } from './boundary.js';
import { hmacSha256, constantTimeEqual } from './crypto.js';
import { CheckedStorage } from './storage/checked.js';
import { StateStore, corrupt } from './store.js';
import { wasm } from './loader.js';
import type { StorageAdapter } from './storage/types.js';
import { expectArray, expectBytes, expectInteger, expectObject, expectString } from './validate.js';
import { LEDGER_BATCH_OPERATIONS_MAX, LEDGER_IDEMPOTENCY_KEYS_MAX, LEDGER_KEY_WINDOW_MIN, Ledger, LedgerStore } from './ledger.js';
import type {
  AccountView,
  CloseAccountRequest,
  ExpireDueRequest,
  ExtendRequest,
  HoldRequest,
  HoldView,
  IncrementRequest,
  JournalHead,
  LedgerBatchOperation,
  LedgerCode,
  LedgerCounts,
  LedgerOutcome,
  OpenAccountRequest,
  PostRequest,
  SetCreditLimitRequest,
  TransferRequest,
  VoidRequest,
} from './ledger.js';

// ---------------------------------------------------------------------------------------------
// The routing rule

/** Domain-separation prefix of the routing hash (a new rule would be `v2`: a migration). */
export const LEDGER_SHARD_ROUTING_TAG = 'countersign/ledger-shard/v1';
/**
 * Default number of shards: 1,000,000 wallets are ~977 per shard (the fullest of 1,024 about
 * 1,080 with hashing variance), far below a ledger's 4,096 accounts even with a settlement
 * account per peer shard (at most 1,023 per currency); 100,000 pending holds are ~98 per shard.
 */
export const LEDGER_SHARD_COUNT_DEFAULT = 1024;
/** Most shards one sharded ledger has (each is a ledger in the same wasm instance). */
export const LEDGER_SHARD_COUNT_MAX = 4096;
/**
 * How long the two holds of a transfer between shards may stay pending (30 days): far longer
 * than any run of the protocol or restart, so neither side can expire mid-protocol, and far
 * enough below the ledger's 366-day maximum that the same deadline is valid on a second shard
 * whose clock is behind the first's.
 */
export const LEDGER_SHARD_TRANSFER_HOLD_S = 30 * 86_400;
/**
 * Longest idempotency key of a transfer, in UTF-8 bytes: its holds are `@` + key and its
 * steps' keys two bytes longer, within a ledger's 64-byte ids.
 */
export const LEDGER_SHARD_TRANSFER_KEY_BYTES_MAX = 62;
/** Most transfers between shards one object drives at once (concurrent calls beyond: LIMIT_EXCEEDED). */
export const LEDGER_SHARD_TRANSFERS_IN_FLIGHT_MAX = 65_536;
/** Shards loaded from storage at once by `load()` (bounded parallel reads). */
const LOAD_CONCURRENCY = 16;
/**
 * The key window of a new shard: {@link LEDGER_KEY_WINDOW_MIN} keys (a ledger's default is
 * 32,768). 1,024 shards with full default windows would need ~12 GiB of the WebAssembly
 * memory's 4 GiB; with this one, ~2.2 GiB (`node bench/ledger-memory.mjs`: ~11.7 MiB and ~2.2 MiB
 * per 1,000-wallet shard). Each shard still recognises every retry within 300 s of ledger
 * time, and sustains 4,096 / 300 ≈ 13 new operations per second (over 13,000/s across 1,024
 * shards) before `IDEMPOTENCY_KEYS_FULL`.
 */
export const LEDGER_SHARD_KEY_WINDOW_DEFAULT = LEDGER_KEY_WINDOW_MIN;
/** Routing answers remembered (a hold's post usually follows it on the same account). */
const ROUTE_CACHE_MAX = 65_536;
/** Unix seconds: a ledger's latest time (core `TIME_S_MAX`). */
const TIME_S_MAX = 32_503_680_000;
/** Times a transfer waits for a concurrent call driving the same key before LIMIT_EXCEEDED. */
const SAME_KEY_WAITS_MAX = 8;

const encoder = new TextEncoder();
/** `@<shard>/<name>`: an account pinned to a shard (the shard in canonical decimal). */
const PINNED = /^@(0|[1-9][0-9]{0,3})\/(.+)$/s;

/**
 * The shard of an account: `@<i>/<name>` (i < shardCount, canonical decimal) is pinned to shard
 * i (per-shard accounts: a merchant's account on each shard, the settlement accounts); any other
 * id goes to the first 4 bytes (u32 big-endian) of SHA-256(`countersign/ledger-shard/v1` ‖ id
 * as UTF-8) modulo shardCount.
 */
export const ledgerShardOf = guardFunction(function ledgerShardOf(accountId: string, shardCount: number): number {
  expectString(accountId, 'accountId');
  expectInteger(shardCount, 'shardCount', 1, LEDGER_SHARD_COUNT_MAX);
  return shardOf(accountId, shardCount);
}, ['accountId', 'shardCount']);

/** The rule is the core's (`ledger::shard_of`): every platform routes an id alike. Unguarded: the
 * arguments were checked (one string crossing, ~0.5 µs; hashing here in JS through the core's
 * SHA-256 took ~2 µs). */
function shardOf(accountId: string, shardCount: number): number {
  return call<number>(() => wasm('ledger').ledgerShardOf(accountId, shardCount));
}

/** Shard `shard`'s settlement account with shard `peer` in `currency`. */
function settlementId(shard: number, peer: number, currency: string): string {
  return `@${shard}/shard/${peer}/${currency}`;
}
const SETTLEMENT = /^@(0|[1-9][0-9]{0,3})\/shard\/(0|[1-9][0-9]{0,3})\/(.+)$/s;

// The 2PC's own ids: a transfer `t` holds `@t` on both shards; its steps use these keys.
const holdIdOf = (t: string): string => `@${t}`;
const KEY_B_HOLD = '@b';
const KEY_A_POST = '@p';
const KEY_B_POST = '@q';
const KEY_A_VOID = '@v';
const KEY_B_VOID = '@w';
const KEY_OPEN = '@o/';
/** The idempotency key of the `setKeyRetention` that gives a new shard its key window. */
const KEY_WINDOW = '@k';

// ---------------------------------------------------------------------------------------------
// Types

export interface ShardedLedgerOptions {
  /** Names the stored config and the shards' stores (`<name>/shard-<i>`; default `main`). */
  readonly name?: string;
  /** Shards when created (1 .. 4,096, default 1,024); when given for a stored ledger it must match. */
  readonly shardCount?: number;
  /** Each shard's `LedgerStore` snapshot interval (default 1,024 entries). */
  readonly snapshotEvery?: number;
  /**
   * The key window a new shard gets (journaled in it, {@link Ledger.setKeyRetention}):
   * {@link LEDGER_KEY_WINDOW_MIN} .. {@link LEDGER_IDEMPOTENCY_KEYS_MAX}, default
   * {@link LEDGER_SHARD_KEY_WINDOW_DEFAULT}. A shard keeps the window it was created with.
   */
  readonly keyWindow?: number;
}

/** The answer of {@link ShardedLedger.transfer}. */
export interface ShardedTransferOutcome {
  /** `TRANSFERRED`, or the code of the step that refused (docs/ledger.md, *Sharding*). */
  readonly code: LedgerCode;
  /** True when answered from what the ledgers recorded for the same key and request. */
  readonly repeated: boolean;
  /** The debit account's shard. */
  readonly debitShard: number;
  /** The credit account's shard. */
  readonly creditShard: number;
}

/** What {@link ShardedLedger.recover} did. */
export interface ShardRecovery {
  /** Transfers between shards found in flight and completed (both holds posted). */
  readonly completed: number;
  /** Transfers found in flight and voided (the credit side was never durably held). */
  readonly voided: number;
  /** Transfers whose holds disagree beyond repair (one posted, the other expired): their ids. */
  readonly unresolved: readonly string[];
}

/** One settlement pair that does not net to zero (see {@link ShardedLedger.checkSettlement}). */
export interface SettlementMismatch {
  readonly shard: number;
  readonly peer: number;
  readonly currency: string;
  /** balance(shard: `@shard/shard/peer/currency`). */
  readonly balance: string;
  /** balance(peer: `@peer/shard/shard/currency`) ("0" when not opened). */
  readonly peerBalance: string;
}

/** The result of {@link ShardedLedger.checkSettlement}. */
export interface SettlementCheck {
  /** Every pair nets to zero and no transfer is in flight. */
  readonly ok: boolean;
  /** Settlement pairs checked. */
  readonly pairs: number;
  /** Holds of transfers between shards still pending. */
  readonly inFlight: number;
  readonly mismatches: readonly SettlementMismatch[];
}

// ---------------------------------------------------------------------------------------------
// Stored config: the shard count, HMAC-tagged (a changed count would route every account elsewhere)

const CONFIG_MAGIC = encoder.encode('countersign/ledger-shards/v1');
const CONFIG_KEY_PURPOSE = encoder.encode('countersign/ledger-shards/config-key/v1');
const TAG_BYTES = 32;

function configBody(name: string, shardCount: number): Uint8Array {
  const nameBytes = encoder.encode(name);
  const body = new Uint8Array(CONFIG_MAGIC.length + 4 + 2 + nameBytes.length);
  body.set(CONFIG_MAGIC, 0);
  const view = new DataView(body.buffer);
  view.setUint32(CONFIG_MAGIC.length, shardCount);
  view.setUint16(CONFIG_MAGIC.length + 4, nameBytes.length);
  body.set(nameBytes, CONFIG_MAGIC.length + 6);
  return body;
}

function sealConfig(key: Uint8Array, name: string, shardCount: number): Uint8Array {
  const body = configBody(name, shardCount);
  const out = new Uint8Array(body.length + TAG_BYTES);
  out.set(body, 0);
  out.set(hmacSha256(key, body), body.length);
  return out;
}

function openConfig(key: Uint8Array, name: string, stored: Uint8Array): number {
  if (stored.length < CONFIG_MAGIC.length + 4 + TAG_BYTES) throw corrupt('the sharded ledger config is too short');
  const shardCount = new DataView(stored.buffer, stored.byteOffset, stored.length).getUint32(CONFIG_MAGIC.length);
  const expected = sealConfig(key, name, shardCount);
  if (expected.length !== stored.length || !constantTimeEqual(expected, stored)) {
    throw new CountersignRangeError('SNAPSHOT_INVALID', `countersign: storage: the config of sharded ledger ${name} is not authentic (another key or tampered)`, 'storage');
  }
  if (shardCount < 1 || shardCount > LEDGER_SHARD_COUNT_MAX) throw corrupt(`the sharded ledger config names ${shardCount} shards`);
  return shardCount;
}

// ---------------------------------------------------------------------------------------------
// Argument checks

function utf8Length(value: string): number {
  return encoder.encode(value).length;
}

function reserved(param: string, what: string): CountersignRangeError {
  return new CountersignRangeError('INVALID_ARGUMENT', `countersign: ${param}: ${what}`, param);
}

/** A request object, and its idempotency key not in the sharded ledger's own `@` space. */
function expectRequest(request: unknown): Record<string, unknown> {
  const r = expectObject(request, 'request');
  const key = r.idempotencyKey;
  if (typeof key === 'string' && key.startsWith('@')) {
    throw reserved('request.idempotencyKey', 'keys starting with "@" are the sharded ledger\'s own (its transfers between shards)');
  }
  return r;
}

/** An account id a caller may name: not a settlement account (`@<i>/shard/...`) nor another `@` id. */
function expectAccountId(value: unknown, param: string, shardCount: number): string {
  const id = expectString(value, param);
  if (id.startsWith('@')) {
    const pinned = PINNED.exec(id);
    if (pinned === null || Number(pinned[1]) >= shardCount) {
      throw reserved(param, `an id starting with "@" must be "@<shard>/<name>" with a shard below ${shardCount} (an account pinned to that shard)`);
    }
    if ((pinned[2] as string).startsWith('shard/')) {
      throw reserved(param, '"@<shard>/shard/..." ids are the settlement accounts between shards, moved only by transfers');
    }
  }
  return id;
}

function expectHoldId(value: unknown, param: string): string {
  const id = expectString(value, param);
  if (id.startsWith('@')) throw reserved(param, 'hold ids starting with "@" are the sharded ledger\'s own (its transfers between shards)');
  return id;
}

// ---------------------------------------------------------------------------------------------
// ShardedLedger

/** Runs one operation on a shard without a second boundary copy (the request is already ours). */
function run(ledger: Ledger, op: string, request: object): LedgerOutcome {
  return call<LedgerOutcome>(() => handleOf(ledger).run(op, request));
}

type HoldState = HoldView['state'] | 'absent';

function stateOf(ledger: Ledger, holdId: string): HoldState {
  return call<HoldView | undefined>(() => handleOf(ledger).holdView(holdId))?.state ?? 'absent';
}

/**
 * Ledgers behind one routing rule ({@link ledgerShardOf}), each persisted by its own
 * {@link LedgerStore} (`<name>/shard-<i>`) on one storage adapter. Operations on one account are
 * routed to its shard and answered as that ledger answers (commit with {@link commit}); a hold's
 * debit and credit accounts must share a shard (credit a per-shard account `@<i>/<name>`);
 * {@link transfer} moves money between any two accounts, across shards by a two-phase commit,
 * and is durable when it resolves. Not for several processes at once on one storage: a second
 * writer makes `commit` resolve to `false` (discard this object and `load` again).
 */
export class ShardedLedger {
  readonly #name: string;
  readonly #shardCount: number;
  readonly #ledgers: Ledger[];
  readonly #stores: LedgerStore[];
  /** Parses and checks a transfer's request as a ledger would, before any shard changes. */
  readonly #validator: Ledger;
  /** Shards changed since their last commit (≤ shardCount). */
  readonly #dirty = new Set<number>();
  /** Per shard: the last commit queued (commits of one store must not overlap). */
  readonly #commitTails: Promise<unknown>[];
  /** Transfers between shards being driven now, by key (≤ LEDGER_SHARD_TRANSFERS_IN_FLIGHT_MAX). */
  readonly #inFlight = new Map<string, Promise<unknown>>();
  /**
   * accountId → shard in two generations of ≤ ROUTE_CACHE_MAX each: when the young one is full
   * it becomes the old one (the old one is dropped). Evicting one entry at a time from the front
   * of a `Map` instead cost ~26 µs per miss once the cache was full: V8 keeps deleted entries
   * as holes until a rehash, and `keys().next()` walks over them.
   */
  #routes = new Map<string, number>();
  #routesOld = new Map<string, number>();
  /** Set when a commit failed: memory is ahead of storage; every call refuses until `load` again. */
  #broken: Error | undefined;

  private constructor(token: typeof INTERNAL_CONSTRUCTION, name: string, ledgers: Ledger[], stores: LedgerStore[]) {
    checkInternalConstruction(token, 'ShardedLedger', 'ShardedLedger.load');
    this.#name = name;
    this.#shardCount = ledgers.length;
    this.#ledgers = ledgers;
    this.#stores = stores;
    this.#validator = Ledger.create();
    this.#commitTails = ledgers.map(() => Promise.resolve());
    adopt(this, ShardedLedger);
  }

  /**
   * The sharded ledger stored under `options.name` (created with `options.shardCount` shards
   * when nothing is stored): its config, every shard (snapshot + journal log), then
   * {@link recover} of every transfer a crash left in flight.
   */
  static async load(storage: StorageAdapter, snapshotKey: Uint8Array, options?: ShardedLedgerOptions): Promise<ShardedLedger> {
    const checked = CheckedStorage.of(storage, 'storage');
    const key = expectBytes(snapshotKey, 'snapshotKey');
    const opts = options === undefined ? {} : expectObject(options, 'options', ['name', 'shardCount', 'snapshotEvery', 'keyWindow']);
    const name = opts.name === undefined ? 'main' : expectString(opts.name, 'options.name');
    const wanted = opts.shardCount === undefined ? undefined : expectInteger(opts.shardCount, 'options.shardCount', 1, LEDGER_SHARD_COUNT_MAX);
    const snapshotEvery = opts.snapshotEvery === undefined ? undefined : expectInteger(opts.snapshotEvery, 'options.snapshotEvery', 1, 1 << 20);
    const keyWindow = opts.keyWindow === undefined ? LEDGER_SHARD_KEY_WINDOW_DEFAULT : expectInteger(opts.keyWindow, 'options.keyWindow', LEDGER_KEY_WINDOW_MIN, LEDGER_IDEMPOTENCY_KEYS_MAX);
    const configKey = hmacSha256(key, CONFIG_KEY_PURPOSE);
    const store = new StateStore(checked, key);
    const configName = `ledger-shards/${name}/config`;
    let shardCount: number;
    const stored = await store.get(configName);
    if (stored !== null) {
      shardCount = openConfig(configKey, name, stored.value);
      if (wanted !== undefined && wanted !== shardCount) {
        throw new CountersignRangeError(
          'INVALID_ARGUMENT',
          `countersign: options.shardCount: ${name} is stored with ${shardCount} shards, not ${wanted} (changing the count moves accounts: a migration)`,
          'options.shardCount',
        );
      }
    } else {
      shardCount = wanted ?? LEDGER_SHARD_COUNT_DEFAULT;
      if (!(await store.put(configName, sealConfig(configKey, name, shardCount)))) {
        throw new CountersignError('STORAGE_UNAVAILABLE', `countersign: storage: another writer created sharded ledger ${name} meanwhile: load again`, 'storage');
      }
    }
    const stores: LedgerStore[] = [];
    for (let i = 0; i < shardCount; i++) {
      stores.push(new LedgerStore(storage, key, { name: `${name}/shard-${i}`, ...(snapshotEvery === undefined ? {} : { snapshotEvery }) }));
    }
    const ledgers: Ledger[] = new Array<Ledger>(shardCount);
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < shardCount) {
        const i = next++;
        ledgers[i] = await (stores[i] as LedgerStore).load();
      }
    };
    try {
      await Promise.all(Array.from({ length: Math.min(LOAD_CONCURRENCY, shardCount) }, worker));
    } catch (e) {
      for (const l of ledgers) l?.free();
      throw e;
    }
    const sharded = new ShardedLedger(INTERNAL_CONSTRUCTION, name, ledgers, stores);
    try {
      sharded.#giveNewShardsTheirWindow(keyWindow);
      await sharded.recover();
    } catch (e) {
      sharded.free(); // a recovery that could not commit leaves nothing for the caller to use
      throw e;
    }
    return sharded;
  }

  /**
   * Journals the key window in every shard that has nothing journaled yet (committed with the
   * next commit). The window of a ledger that has operations stays as it is.
   */
  #giveNewShardsTheirWindow(keyWindow: number): void {
    if (keyWindow === LEDGER_IDEMPOTENCY_KEYS_MAX) return;
    for (let shard = 0; shard < this.#shardCount; shard++) {
      const ledger = this.#ledgers[shard] as Ledger;
      if (ledger.head().seq !== 0) continue;
      const outcome = this.#on(shard, 'setKeyRetention', { idempotencyKey: KEY_WINDOW, now: Math.max(ledger.clock, 0), keysKeptBy: ledger.keysKeptBy, keyWindow });
      if (outcome.code !== 'KEY_RETENTION_SET') {
        throw new CountersignError('INTERNAL', `countersign: shard ${shard}: setting its key window answered ${outcome.code}`, 'options.keyWindow');
      }
    }
  }

  /** The number of shards (fixed when created). */
  get shardCount(): number {
    return this.#shardCount;
  }

  /** The shard of `accountId` (the routing rule: {@link ledgerShardOf}). */
  shardOf(accountId: string): number {
    expectString(accountId, 'accountId');
    return this.#route(accountId);
  }

  #route(accountId: string): number {
    // A pinned id routes by its text (the rule of `ledgerShardOf`: canonical and below the
    // count, else hashed like any id), without a cache entry or a crossing: per-shard accounts
    // such as `@<i>/merchant` are in most operations.
    if (accountId.charCodeAt(0) === 64 /* @ */) {
      const pinned = PINNED.exec(accountId);
      if (pinned !== null && Number(pinned[1]) < this.#shardCount) return Number(pinned[1]);
    }
    const known = this.#routes.get(accountId);
    if (known !== undefined) return known;
    const shard = this.#routesOld.get(accountId) ?? shardOf(accountId, this.#shardCount);
    if (this.#routes.size >= ROUTE_CACHE_MAX) {
      this.#routesOld = this.#routes;
      this.#routes = new Map();
    }
    this.#routes.set(accountId, shard);
    return shard;
  }

  #check(): void {
    if (this.#broken !== undefined) {
      throw new CountersignError('STORAGE_UNAVAILABLE', `countersign: storage: a commit failed (${this.#broken.message}): load the sharded ledger again`, 'storage');
    }
  }

  #shard(shard: number, param: string): Ledger {
    expectInteger(shard, param, 0, this.#shardCount - 1);
    return this.#ledgers[shard] as Ledger;
  }

  /** Runs a routed operation on shard `shard` and notes it for the next commit. */
  #on(shard: number, op: string, request: object): LedgerOutcome {
    this.#check();
    const outcome = run(this.#ledgers[shard] as Ledger, op, request);
    if (outcome.seq !== 0) this.#dirty.add(shard);
    return outcome;
  }

  openAccount(request: OpenAccountRequest): LedgerOutcome {
    const r = expectRequest(request);
    return this.#on(this.#route(expectAccountId(r.accountId, 'request.accountId', this.#shardCount)), 'openAccount', r);
  }

  /** A hold on its debit account's shard; the credit account must be on the same shard. */
  hold(request: HoldRequest): LedgerOutcome {
    const r = expectRequest(request);
    expectHoldId(r.holdId, 'request.holdId');
    const shard = this.#route(expectAccountId(r.debitAccountId, 'request.debitAccountId', this.#shardCount));
    const creditShard = this.#route(expectAccountId(r.creditAccountId, 'request.creditAccountId', this.#shardCount));
    if (creditShard !== shard) {
      throw new CountersignRangeError(
        'INVALID_ARGUMENT',
        `countersign: request.creditAccountId: on shard ${creditShard}, the debit account on shard ${shard}: a hold's accounts share a shard (credit a per-shard account "@${shard}/<name>")`,
        'request.creditAccountId',
      );
    }
    return this.#on(shard, 'hold', r);
  }

  /** Raises a hold of `accountId` (its debit account). */
  increment(accountId: string, request: IncrementRequest): LedgerOutcome {
    return this.#onHold(accountId, 'increment', request);
  }
  /** Extends a hold of `accountId` (its debit account). */
  extend(accountId: string, request: ExtendRequest): LedgerOutcome {
    return this.#onHold(accountId, 'extend', request);
  }
  /** Posts a hold of `accountId` (its debit account). */
  post(accountId: string, request: PostRequest): LedgerOutcome {
    return this.#onHold(accountId, 'post', request);
  }
  /** Voids a hold of `accountId` (its debit account). */
  void(accountId: string, request: VoidRequest): LedgerOutcome {
    return this.#onHold(accountId, 'void', request);
  }

  #onHold(accountId: string, op: string, request: unknown): LedgerOutcome {
    const shard = this.#route(expectAccountId(accountId, 'accountId', this.#shardCount));
    const r = expectRequest(request);
    expectHoldId(r.holdId, 'request.holdId');
    return this.#on(shard, op, r);
  }

  setCreditLimit(request: SetCreditLimitRequest): LedgerOutcome {
    const r = expectRequest(request);
    return this.#on(this.#route(expectAccountId(r.accountId, 'request.accountId', this.#shardCount)), 'setCreditLimit', r);
  }
  closeAccount(request: CloseAccountRequest): LedgerOutcome {
    const r = expectRequest(request);
    return this.#on(this.#route(expectAccountId(r.accountId, 'request.accountId', this.#shardCount)), 'closeAccount', r);
  }

  /**
   * A batch on shard `shard`, as {@link Ledger.executeBatch} (each operation answered on its own,
   * `linked: true` chains, at most 1,024): for bulk work on one shard (opening and funding its
   * wallets). Every account an operation names must be on `shard` (else INVALID_ARGUMENT naming
   * `operations[i].request.<field>`), holds and keys outside the `@` space; `post`, `void`,
   * `increment` and `extend` act on that shard's holds.
   */
  executeBatch(shard: number, operations: readonly LedgerBatchOperation[]): LedgerOutcome[] {
    const ledger = this.#shard(shard, 'shard');
    const list = expectArray(operations, 'operations');
    if (list.length > LEDGER_BATCH_OPERATIONS_MAX) {
      throw new CountersignRangeError('LIMIT_EXCEEDED', `countersign: operations: at most ${LEDGER_BATCH_OPERATIONS_MAX} per batch, got ${list.length}`, 'operations');
    }
    list.forEach((operation, i) => {
      const o = expectObject(operation, `operations[${i}]`);
      const r = expectObject(o.request, `operations[${i}].request`);
      if (typeof r.idempotencyKey === 'string' && r.idempotencyKey.startsWith('@')) {
        throw reserved(`operations[${i}].request.idempotencyKey`, 'keys starting with "@" are the sharded ledger\'s own (its transfers between shards)');
      }
      if (r.holdId !== undefined) expectHoldId(r.holdId, `operations[${i}].request.holdId`);
      for (const field of ['accountId', 'debitAccountId', 'creditAccountId'] as const) {
        if (r[field] === undefined) continue;
        const param = `operations[${i}].request.${field}`;
        const on = this.#route(expectAccountId(r[field], param, this.#shardCount));
        if (on !== shard) throw reserved(param, `on shard ${on}, not ${shard}`);
      }
    });
    this.#check();
    const outcomes = call<LedgerOutcome[]>(() => handleOf(ledger).executeBatch(list as unknown[]));
    if (outcomes.some((o) => o.seq !== 0)) this.#dirty.add(shard);
    return outcomes;
  }

  /**
   * `expireDue` on every shard (the same key on each: keys are per shard); the outcomes by
   * shard. A shard answering `MORE_HOLDS_DUE` wants another call.
   */
  expireDue(request: ExpireDueRequest): LedgerOutcome[] {
    const r = expectRequest(request);
    this.#check();
    // Checked once on shard 0's validator copy first, so a malformed request changes no shard.
    run(this.#validator, 'expireDue', r);
    return this.#ledgers.map((_, shard) => this.#on(shard, 'expireDue', r));
  }

  /**
   * Moves `amount` from the debit to the credit account, durable when it resolves. On one shard:
   * that ledger's transfer. Across shards: a two-phase commit (docs/ledger.md, *Sharding*) —
   * 1. hold on the debit shard (debit account → its settlement account with the credit shard),
   * 2. hold on the credit shard (settlement account → credit account), 3. post 1, 4. post 2,
   * each shard committed before the next step. Refusals are answered as codes; a refusal of
   * step 2 voids step 1. The key may be at most {@link LEDGER_SHARD_TRANSFER_KEY_BYTES_MAX} bytes.
   */
  async transfer(request: TransferRequest): Promise<ShardedTransferOutcome> {
    const r = expectRequest(request);
    const key = expectString(r.idempotencyKey, 'request.idempotencyKey');
    const debitShard = this.#route(expectAccountId(r.debitAccountId, 'request.debitAccountId', this.#shardCount));
    const creditShard = this.#route(expectAccountId(r.creditAccountId, 'request.creditAccountId', this.#shardCount));
    this.#check();
    if (debitShard === creditShard) {
      const outcome = this.#on(debitShard, 'transfer', r);
      await this.#commitShards([debitShard]);
      return { code: outcome.code, repeated: outcome.repeated, debitShard, creditShard };
    }
    if (utf8Length(key) > LEDGER_SHARD_TRANSFER_KEY_BYTES_MAX) {
      throw new CountersignRangeError(
        'INVALID_ARGUMENT',
        `countersign: request.idempotencyKey: a transfer between shards takes keys of at most ${LEDGER_SHARD_TRANSFER_KEY_BYTES_MAX} UTF-8 bytes`,
        'request.idempotencyKey',
      );
    }
    // The request exactly as a ledger's transfer reads it (unknown fields, ids, amount, now):
    // a malformed one throws here, naming `request.<field>`, before any shard changes.
    run(this.#validator, 'transfer', r);
    const now = expectInteger(r.now, 'request.now', 0, TIME_S_MAX - LEDGER_SHARD_TRANSFER_HOLD_S);
    // One drive per key at a time: a second concurrent call waits, then answers as a repeat.
    for (let waits = 0; this.#inFlight.has(key) && waits < SAME_KEY_WAITS_MAX; waits++) {
      await this.#inFlight.get(key)?.catch(() => undefined);
    }
    if (this.#inFlight.size >= LEDGER_SHARD_TRANSFERS_IN_FLIGHT_MAX || this.#inFlight.has(key)) {
      throw new CountersignRangeError('LIMIT_EXCEEDED', `countersign: request: ${LEDGER_SHARD_TRANSFERS_IN_FLIGHT_MAX} transfers between shards are in flight (or this key is still driven): retry`, 'request');
    }
    const drive = this.#crossTransfer(r as unknown as TransferRequest, key, now, debitShard, creditShard);
    this.#inFlight.set(key, drive);
    try {
      return await drive;
    } finally {
      this.#inFlight.delete(key);
    }
  }

  async #crossTransfer(r: TransferRequest, t: string, now: number, A: number, B: number): Promise<ShardedTransferOutcome> {
    const a = this.#ledgers[A] as Ledger;
    const holdId = holdIdOf(t);
    const answer = (code: LedgerCode, repeated: boolean): ShardedTransferOutcome => ({ code, repeated, debitShard: A, creditShard: B });
    const toB = settlementId(A, B, r.currency);
    const fromA = settlementId(B, A, r.currency);
    const openedA = this.#openSettlement(A, toB, r.currency, now);
    if (openedA !== undefined) {
      await this.#commitShards([A]);
      return answer(openedA, false);
    }
    // Step 1. A repeat uses the deadline the first call chose, so the same request matches.
    const existing = call<HoldView | undefined>(() => handleOf(a).holdView(holdId));
    const expiresAt = existing?.expiresAt ?? Math.max(now, a.clock) + LEDGER_SHARD_TRANSFER_HOLD_S;
    const step1 = this.#on(A, 'hold', {
      idempotencyKey: t, now, holdId, debitAccountId: r.debitAccountId, creditAccountId: toB, amount: r.amount, currency: r.currency, expiresAt,
    });
    await this.#commitShards([A]);
    if (step1.code !== 'HELD') return answer(step1.code, step1.repeated);
    const state = stateOf(a, holdId);
    if (state === 'posted') {
      await this.#finish(t, A, B, now); // step 4 may be missing after a crash without load
      return answer('TRANSFERRED', true);
    }
    if (state === 'voided' || state === 'expired') {
      const code = this.#refusalOfStep2(t, r, A, B, expiresAt, now);
      await this.#commitShards([B]);
      return answer(code, true);
    }
    // Step 2 (also on a repeat that finds step 1 pending: a call cut short). The credit shard's
    // settlement account is opened only now, so a refused step 1 changes nothing there.
    const openedB = this.#openSettlement(B, fromA, r.currency, now);
    const step2 = openedB === undefined ? this.#on(B, 'hold', this.#step2(t, r, A, B, expiresAt, now)) : undefined;
    await this.#commitShards([B]);
    if (step2 === undefined || step2.code !== 'HELD') {
      this.#on(A, 'void', { idempotencyKey: KEY_A_VOID + t, now, holdId });
      await this.#commitShards([A]);
      return answer(step2?.code ?? (openedB as LedgerCode), step1.repeated);
    }
    await this.#finish(t, A, B, now);
    return answer('TRANSFERRED', step1.repeated);
  }

  #step2(t: string, r: TransferRequest, A: number, B: number, expiresAt: number, now: number): HoldRequest {
    return {
      idempotencyKey: KEY_B_HOLD + t, now, holdId: holdIdOf(t), debitAccountId: settlementId(B, A, r.currency), creditAccountId: r.creditAccountId,
      amount: r.amount, currency: r.currency, expiresAt,
    };
  }

  /**
   * What refused a transfer whose step 1 is voided, for a repeat: step 2 again, linked to a void
   * of it, so that nothing stands on B: a recorded refusal answers itself (`repeated`), an
   * unrecorded one (IDEMPOTENCY_KEYS_FULL, JOURNAL_FULL, or a transfer recovery voided) is
   * decided now, and a step 2 that would now succeed is held and voided at once
   * (HOLD_ALREADY_VOIDED: send the transfer again under a new key).
   */
  #refusalOfStep2(t: string, r: TransferRequest, A: number, B: number, expiresAt: number, now: number): LedgerCode {
    this.#check();
    const b = this.#ledgers[B] as Ledger;
    // Its settlement account was maybe never durable (a crash before step 2's commit).
    const opened = this.#openSettlement(B, settlementId(B, A, r.currency), r.currency, now);
    if (opened !== undefined) return opened;
    const outcomes = call<LedgerOutcome[]>(() =>
      handleOf(b).executeBatch([
        { op: 'hold', linked: true, request: this.#step2(t, r, A, B, expiresAt, now) },
        { op: 'void', request: { idempotencyKey: KEY_B_VOID + t, now, holdId: holdIdOf(t) } },
      ]),
    );
    if (outcomes.some((o) => o.seq !== 0 && !o.repeated)) this.#dirty.add(B);
    const [hold] = outcomes as [LedgerOutcome];
    return hold.code === 'HELD' ? 'HOLD_ALREADY_VOIDED' : hold.code;
  }

  /** Opens a settlement account when absent; the refusal code when it could not be opened. */
  #openSettlement(shard: number, id: string, currency: string, now: number): LedgerCode | undefined {
    const ledger = this.#ledgers[shard] as Ledger;
    if (call<AccountView | undefined>(() => handleOf(ledger).account(id)) !== undefined) return undefined;
    // Unrestricted: the net flow between two shards has no bound a customer should be refused
    // for; checkSettlement() checks each pair nets to zero instead.
    const outcome = this.#on(shard, 'openAccount', { idempotencyKey: KEY_OPEN + id, now, accountId: id, currency, kind: 'unrestricted' });
    return outcome.code === 'ACCOUNT_OPENED' ? undefined : outcome.code;
  }

  /** Steps 3 and 4 (each only if still pending), each shard committed before the next. */
  async #finish(t: string, A: number, B: number, now: number): Promise<void> {
    const holdId = holdIdOf(t);
    if (stateOf(this.#ledgers[A] as Ledger, holdId) === 'pending') {
      this.#on(A, 'post', { idempotencyKey: KEY_A_POST + t, now, holdId });
      await this.#commitShards([A]);
    }
    if (stateOf(this.#ledgers[B] as Ledger, holdId) === 'pending') {
      this.#on(B, 'post', { idempotencyKey: KEY_B_POST + t, now, holdId });
      await this.#commitShards([B]);
    }
  }

  /**
   * Finishes every transfer between shards left in flight (run by `load()`; call it again after
   * a `commit` failed and you loaded again — that is what `load` does). The commit point is the
   * credit side's hold (step 2) being durable: before it, the transfer is voided; after it, both
   * holds are posted. Operations run at the shards' own clocks, never later, so a hold cannot
   * expire during recovery.
   */
  async recover(): Promise<ShardRecovery> {
    this.#check();
    // By hold id and shard pair: one key may name transfers from two different debit shards.
    const found = new Map<string, [string, number, number]>();
    this.#ledgers.forEach((ledger, shard) => {
      for (const hold of call<HoldView[]>(() => handleOf(ledger).pendingHolds())) {
        if (!hold.holdId.startsWith('@')) continue;
        const credit = SETTLEMENT.exec(hold.creditAccountId);
        const debit = SETTLEMENT.exec(hold.debitAccountId);
        if (credit !== null && Number(credit[1]) === shard) found.set(`${hold.holdId} ${shard} ${credit[2]}`, [hold.holdId, shard, Number(credit[2])]);
        else if (debit !== null && Number(debit[1]) === shard) found.set(`${hold.holdId} ${debit[2]} ${shard}`, [hold.holdId, Number(debit[2]), shard]);
      }
    });
    let completed = 0;
    let voided = 0;
    const unresolved: string[] = [];
    for (const [holdId, A, B] of found.values()) {
      const t = holdId.slice(1);
      const a = this.#ledgers[A] as Ledger;
      const b = this.#ledgers[B] as Ledger;
      const now = Math.max(a.clock, b.clock);
      const sa = stateOf(a, holdId);
      const sb = stateOf(b, holdId);
      if (sa === 'posted' || (sa === 'pending' && (sb === 'pending' || sb === 'posted'))) {
        if (sb === 'voided' || sb === 'expired') {
          unresolved.push(t);
          continue;
        }
        await this.#finish(t, A, B, now);
        completed++;
      } else if (sa === 'pending') {
        this.#on(A, 'void', { idempotencyKey: KEY_A_VOID + t, now, holdId });
        await this.#commitShards([A]);
        voided++;
      } else if (sb === 'pending') {
        this.#on(B, 'void', { idempotencyKey: KEY_B_VOID + t, now, holdId });
        await this.#commitShards([B]);
        voided++;
      }
    }
    return { completed, voided, unresolved };
  }

  /**
   * Checks that every settlement pair nets to zero: balance(i: `@i/shard/j/C`) +
   * balance(j: `@j/shard/i/C`) = 0, true in every state with no transfer in flight. Reads every
   * account of every shard (O(accounts)).
   */
  checkSettlement(): SettlementCheck {
    this.#check();
    const balances = new Map<string, string>();
    let inFlight = 0;
    this.#ledgers.forEach((ledger) => {
      for (const account of call<AccountView[]>(() => handleOf(ledger).accounts())) {
        if (SETTLEMENT.test(account.accountId)) balances.set(account.accountId, account.balance);
      }
      for (const hold of call<HoldView[]>(() => handleOf(ledger).pendingHolds())) if (hold.holdId.startsWith('@')) inFlight++;
    });
    const mismatches: SettlementMismatch[] = [];
    let pairs = 0;
    for (const [id, balance] of balances) {
      const [, i, j, currency] = SETTLEMENT.exec(id) as RegExpExecArray;
      const shard = Number(i);
      const peer = Number(j);
      const peerBalance = balances.get(settlementId(peer, shard, currency as string));
      if (peerBalance !== undefined && peer < shard) continue; // each pair once
      pairs++;
      // Canonical balances of one currency have the same minor digits: the sum is exact in bigint.
      const sum = BigInt(balance.replace('.', '')) + BigInt((peerBalance ?? '0').replace('.', ''));
      if (sum !== 0n) mismatches.push({ shard, peer, currency: currency as string, balance, peerBalance: peerBalance ?? '0' });
    }
    return { ok: mismatches.length === 0 && inFlight === 0, pairs, inFlight, mismatches };
  }

  /** The account (on its shard), or undefined. */
  account(accountId: string): AccountView | undefined {
    expectString(accountId, 'accountId');
    this.#check();
    const ledger = this.#ledgers[this.#route(accountId)] as Ledger;
    return call<AccountView | undefined>(() => handleOf(ledger).account(accountId));
  }
  /** A hold of `accountId` (its debit account), or undefined. */
  holdView(accountId: string, holdId: string): HoldView | undefined {
    expectString(accountId, 'accountId');
    expectString(holdId, 'holdId');
    this.#check();
    const ledger = this.#ledgers[this.#route(accountId)] as Ledger;
    return call<HoldView | undefined>(() => handleOf(ledger).holdView(holdId));
  }
  /** Shard `shard`'s journal head. */
  head(shard: number): JournalHead {
    return this.#shard(shard, 'shard').head();
  }
  /** Shard `shard`'s counts against a ledger's limits. */
  counts(shard: number): LedgerCounts {
    return this.#shard(shard, 'shard').counts();
  }
  /** SHA-256 of shard `shard`'s state. */
  stateDigest(shard: number): Uint8Array {
    return this.#shard(shard, 'shard').stateDigest();
  }

  /**
   * Persists every shard changed since its last commit. Resolves to `false` when another writer
   * committed to a shard since this object loaded it (then, as after any failed commit, every
   * call refuses: `load` again).
   */
  async commit(): Promise<boolean> {
    this.#check();
    try {
      await this.#commitShards([...this.#dirty]);
      return true;
    } catch (e) {
      if (this.#broken !== undefined && this.#broken === e) return false;
      throw e;
    }
  }

  /** Commits `shards` (queued behind any commit of the same shard already running). */
  async #commitShards(shards: readonly number[]): Promise<void> {
    await Promise.all(
      shards.map((shard) => {
        const next = (this.#commitTails[shard] as Promise<unknown>).then(() => this.#commitNow(shard));
        this.#commitTails[shard] = next.catch(() => undefined);
        return next;
      }),
    );
  }

  async #commitNow(shard: number): Promise<void> {
    if (this.#broken !== undefined) throw this.#broken;
    // Entries from here on are read by this commit; operations during it mark the shard again.
    this.#dirty.delete(shard);
    let ok: boolean;
    try {
      ok = await (this.#stores[shard] as LedgerStore).commit(this.#ledgers[shard] as Ledger);
    } catch (e) {
      this.#broken = e instanceof Error ? e : new Error(String(e));
      throw e;
    }
    if (!ok) {
      this.#broken = new CountersignError('STORAGE_UNAVAILABLE', `countersign: storage: another writer committed to shard ${shard} of ${this.#name}: load again`, 'storage');
      throw this.#broken;
    }
  }

  /** Frees every shard's ledger. */
  free(): void {
    for (const ledger of this.#ledgers) ledger.free();
    this.#validator.free();
  }
}

guardClass(ShardedLedger, {
  methods: {
    shardCount: [],
    shardOf: ['accountId'],
    openAccount: ['request'],
    hold: ['request'],
    increment: ['accountId', 'request'],
    extend: ['accountId', 'request'],
    post: ['accountId', 'request'],
    void: ['accountId', 'request'],
    setCreditLimit: ['request'],
    closeAccount: ['request'],
    expireDue: ['request'],
    executeBatch: ['shard', 'operations'],
    transfer: ['request'],
    recover: [],
    checkSettlement: [],
    account: ['accountId'],
    holdView: ['accountId', 'holdId'],
    head: ['shard'],
    counts: ['shard'],
    stateDigest: ['shard'],
    commit: [],
    free: [],
  },
  statics: { load: [raw('storage'), 'snapshotKey', 'options'] },
});
