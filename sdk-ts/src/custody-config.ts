/**
 * A custody book's configuration as the bytes the core reads (`Book::from_config_cbor`): the
 * `config` of the book's state snapshot (`core/src/custody/snapshot.rs`), each `LimitSpec` as
 * `core/src/limits/codec.rs` writes it.
 *
 * Why bytes (HACKING.md, "custody-book over 200 KB"): the wasm module read the configuration as
 * a JS object with serde's generic reader, whose code was 11 KB gzip of the `custody-book`
 * module, the one reader of an object left in it; the snapshot's decoder of the same
 * configuration is in the module anyway. So the SDK checks here what that reader checked —
 * every field's JS type, required fields present, no unknown field, integers in their range, a
 * window's fields those of its kind — and names the field (`config.assets[0].confirmations`)
 * with the same codes: INVALID_TYPE for a wrong type, an unknown or a missing field,
 * INVALID_ARGUMENT for an integer out of range or a name not in its list. The values themselves
 * (assets, amounts, limits, addresses, keys, counts of items) are checked by the core
 * (`Book::new`), as before.
 * @internal
 */
import { CBOR_FALSE, CBOR_TRUE, CborWriter, MAJOR_ARRAY, MAJOR_BYTES, MAJOR_MAP, MAJOR_TEXT, MAJOR_UNSIGNED } from './cbor-writer.js';
import { CountersignError } from './errors.js';
import type { BookConfig } from './generated/custody.js';
import type { LimitSpec, LimitWindow } from './generated/limits.js';
import { U32_MAX, expectArray, expectBoolean, expectBytes, expectInteger, expectObject, expectOneOf, expectString, rangeError, typeError } from './validate.js';

/**
 * The most items a list of the configuration may hold here (`CONFIG_LIST_ITEMS_MAX` in the core:
 * what its decoder allocates at most). The book's own maxima are lower and its errors name them.
 */
export const CUSTODY_CONFIG_LIST_ITEMS_MAX = 256;

const U8_MAX = 0xff;

const BOOK_FIELDS = ['assets', 'omnibusAddress', 'approvers', 'quorum', 'coolingOffS'] as const;
const ASSET_FIELDS = ['asset', 'confirmations', 'sweepThreshold', 'clientLimits', 'assetLimits'] as const;
const APPROVER_FIELDS = ['approverId', 'publicKey'] as const;
const LIMIT_FIELDS = ['id', 'measure', 'currency', 'window', 'hard', 'soft', 'ceiling', 'resettable'] as const;
const WINDOW_FIELDS = ['kind', 'seconds', 'start', 'anchorDay', 'timeZone'] as const;
const MEASURES = ['count', 'amount'] as const;
/** ISO 8601 order: the codec writes Monday as 1 … Sunday as 7. */
const WEEKDAYS = ['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'] as const;
const WINDOW_SHAPES =
  'perTransaction | lifetime | trailing {seconds} | day {timeZone} | week {start, timeZone} | month {anchorDay, timeZone} | year {timeZone}, with exactly these fields';


/** `object[field]` of a checked plain object: a required field must be present (not `undefined`). */
function required(object: Record<string, unknown>, field: string, param: string): unknown {
  const value = object[field];
  if (value === undefined) throw typeError(`${param}.${field}`, 'present (it is required)', value);
  return value;
}

/** An optional field: absent, `undefined` and `null` are none (as the core's reader had it). */
function optional(object: Record<string, unknown>, field: string): unknown {
  const value = object[field];
  return value === null ? undefined : value;
}

/** A list of at most {@link CUSTODY_CONFIG_LIST_ITEMS_MAX} items. */
function list(value: unknown, param: string): readonly unknown[] {
  const items = expectArray(value, param);
  if (items.length > CUSTODY_CONFIG_LIST_ITEMS_MAX) throw rangeError(param, `must list at most ${CUSTODY_CONFIG_LIST_ITEMS_MAX} items, got ${items.length}`);
  return items;
}

function u32(value: unknown, param: string): number {
  return expectInteger(value, param, 0, U32_MAX);
}

function writeWindow(w: CborWriter, value: unknown, param: string): void {
  const o = expectObject(value, param, WINDOW_FIELDS);
  const kind = expectString(required(o, 'kind', param), `${param}.kind`);
  // Each field's type first (named), then whether the fields are those of the kind.
  const seconds = optional(o, 'seconds');
  const start = optional(o, 'start');
  const anchorDay = optional(o, 'anchorDay');
  const timeZone = optional(o, 'timeZone');
  const secondsValue = seconds === undefined ? undefined : u32(seconds, `${param}.seconds`);
  const startDay = start === undefined ? undefined : expectOneOf(start, `${param}.start`, WEEKDAYS);
  const anchor = anchorDay === undefined ? undefined : expectInteger(anchorDay, `${param}.anchorDay`, 0, U8_MAX);
  const zone = timeZone === undefined ? undefined : expectString(timeZone, `${param}.timeZone`);
  const has = (s: boolean, a: boolean, d: boolean, z: boolean): boolean =>
    (secondsValue !== undefined) === s && (startDay !== undefined) === a && (anchor !== undefined) === d && (zone !== undefined) === z;
  if (kind === 'perTransaction' && has(false, false, false, false)) w.array(1).uint(0);
  else if (kind === 'lifetime' && has(false, false, false, false)) w.array(1).uint(1);
  else if (kind === 'trailing' && has(true, false, false, false)) w.array(2).uint(2).uint(secondsValue as number);
  else if (kind === 'day' && has(false, false, false, true)) w.array(2).uint(3).text(zone as string);
  else if (kind === 'week' && has(false, true, false, true)) w.array(3).uint(4).uint(WEEKDAYS.indexOf(startDay as (typeof WEEKDAYS)[number]) + 1).text(zone as string);
  else if (kind === 'month' && has(false, false, true, true)) w.array(3).uint(5).uint(anchor as number).text(zone as string);
  else if (kind === 'year' && has(false, false, false, true)) w.array(2).uint(6).text(zone as string);
  else throw typeError(param, `a window: ${WINDOW_SHAPES}`, value);
}

/** A `LimitSpec`: a map with keys 0..7 in order, the optional ones (2, 5, 6) only when present. */
function writeLimit(w: CborWriter, value: unknown, param: string): void {
  const o = expectObject(value, param, LIMIT_FIELDS);
  const id = expectString(required(o, 'id', param), `${param}.id`);
  const measure = expectOneOf(required(o, 'measure', param), `${param}.measure`, MEASURES);
  const currencyValue = optional(o, 'currency');
  const currency = currencyValue === undefined ? undefined : expectString(currencyValue, `${param}.currency`);
  const window = required(o, 'window', param);
  const hard = expectString(required(o, 'hard', param), `${param}.hard`);
  const softValue = optional(o, 'soft');
  const soft = softValue === undefined ? undefined : expectString(softValue, `${param}.soft`);
  const ceilingValue = optional(o, 'ceiling');
  const ceiling = ceilingValue === undefined ? undefined : expectString(ceilingValue, `${param}.ceiling`);
  // `resettable` defaults to false when absent; `null` is not a boolean (as the core's reader had it).
  const resettable = o.resettable === undefined ? false : expectBoolean(o.resettable, `${param}.resettable`);
  const entries = 5 + (currency === undefined ? 0 : 1) + (soft === undefined ? 0 : 1) + (ceiling === undefined ? 0 : 1);
  w.map(entries).uint(0).text(id).uint(1).uint(MEASURES.indexOf(measure));
  if (currency !== undefined) w.uint(2).text(currency);
  w.uint(3);
  writeWindow(w, window, `${param}.window`);
  w.uint(4).text(hard);
  if (soft !== undefined) w.uint(5).text(soft);
  if (ceiling !== undefined) w.uint(6).text(ceiling);
  w.uint(7).bool(resettable);
}

function writeLimits(w: CborWriter, value: unknown, param: string): void {
  const limits = list(value, param);
  w.array(limits.length);
  limits.forEach((limit, i) => writeLimit(w, limit, `${param}[${i}]`));
}

/**
 * `config` (the boundary's own copy) checked field by field and written as the core's CBOR;
 * throws the first problem, naming its path under `param`.
 */
export function encodeBookConfig(config: BookConfig | unknown, param = 'config'): Uint8Array {
  const w = new CborWriter();
  const o = expectObject(config, param, BOOK_FIELDS);
  const assets = list(required(o, 'assets', param), `${param}.assets`);
  const omnibusAddress = required(o, 'omnibusAddress', param);
  const approvers = list(required(o, 'approvers', param), `${param}.approvers`);
  const quorum = required(o, 'quorum', param);
  const coolingOffS = required(o, 'coolingOffS', param);
  w.array(5).array(assets.length);
  assets.forEach((value, i) => {
    const at = `${param}.assets[${i}]`;
    const a = expectObject(value, at, ASSET_FIELDS);
    const asset = expectString(required(a, 'asset', at), `${at}.asset`);
    const confirmations = u32(required(a, 'confirmations', at), `${at}.confirmations`);
    const sweepThreshold = expectString(required(a, 'sweepThreshold', at), `${at}.sweepThreshold`);
    w.array(5).text(asset).uint(confirmations).text(sweepThreshold);
    writeLimits(w, required(a, 'clientLimits', at), `${at}.clientLimits`);
    writeLimits(w, required(a, 'assetLimits', at), `${at}.assetLimits`);
  });
  w.text(expectString(omnibusAddress, `${param}.omnibusAddress`)).array(approvers.length);
  approvers.forEach((value, i) => {
    const at = `${param}.approvers[${i}]`;
    const a = expectObject(value, at, APPROVER_FIELDS);
    const approverId = expectString(required(a, 'approverId', at), `${at}.approverId`);
    const publicKey = expectBytes(required(a, 'publicKey', at), `${at}.publicKey`);
    w.array(2).text(approverId).byteString(publicKey);
  });
  w.uint(u32(quorum, `${param}.quorum`)).uint(u32(coolingOffS, `${param}.coolingOffS`));
  return w.done();
}


// ---------------------------------------------------------------------------------------------
// Bytes → configuration (`CustodyBook#config`: the core writes its configuration in the same
// encoding, `Book::config_cbor`, instead of an object through serde's writer)

/** A reader of the core's own bytes: anything unexpected is the core's bug, INTERNAL. */
class Reader {
  private at = 0;

  constructor(private readonly bytes: Uint8Array) {}

  fail(what: string): never {
    throw new CountersignError('INTERNAL', `countersign: the book's configuration bytes: ${what} at byte ${this.at}`);
  }

  /** The next head of major type `major`: its argument (at most 2^32 − 1 here). */
  private head(major: number): number {
    const first = this.bytes[this.at++];
    if (first === undefined || first >> 5 !== major) this.fail(`not major type ${major}`);
    const info = first & 0x1f;
    if (info < 24) return info;
    const width = info === 24 ? 1 : info === 25 ? 2 : info === 26 ? 4 : this.fail('an argument wider than 32 bits');
    if (this.at + width > this.bytes.length) this.fail('a cut head');
    let n = 0;
    for (let i = 0; i < width; i++) n = n * 256 + (this.bytes[this.at++] as number);
    return n;
  }

  uint(): number {
    return this.head(MAJOR_UNSIGNED);
  }

  array(): number {
    return this.head(MAJOR_ARRAY);
  }

  map(): number {
    return this.head(MAJOR_MAP);
  }

  private payload(major: number): Uint8Array {
    const length = this.head(major);
    if (this.at + length > this.bytes.length) this.fail('a cut string');
    const out = this.bytes.slice(this.at, this.at + length);
    this.at += length;
    return out;
  }

  text(): string {
    return decoder.decode(this.payload(MAJOR_TEXT));
  }

  byteString(): Uint8Array {
    return this.payload(MAJOR_BYTES);
  }

  bool(): boolean {
    const b = this.bytes[this.at++];
    if (b !== CBOR_TRUE && b !== CBOR_FALSE) this.fail('not a boolean');
    return b === CBOR_TRUE;
  }

  /** `n` items read by `item`. */
  list<T>(item: () => T): T[] {
    const n = this.array();
    if (n > CUSTODY_CONFIG_LIST_ITEMS_MAX) this.fail('a list too long');
    const out: T[] = [];
    for (let i = 0; i < n; i++) out.push(item());
    return out;
  }

  /** Index `i` of `names`. */
  name<T extends string>(names: readonly T[], i: number): T {
    return names[i] ?? this.fail(`no name for ${i}`);
  }

  end(): void {
    if (this.at !== this.bytes.length) this.fail('bytes after the configuration');
  }
}

const decoder = new TextDecoder('utf-8', { fatal: true });

function readWindow(r: Reader): LimitWindow {
  const items = r.array();
  const kind = r.uint();
  if (kind === 0 && items === 1) return { kind: 'perTransaction' };
  if (kind === 1 && items === 1) return { kind: 'lifetime' };
  if (kind === 2 && items === 2) return { kind: 'trailing', seconds: r.uint() };
  if (kind === 3 && items === 2) return { kind: 'day', timeZone: r.text() };
  if (kind === 4 && items === 3) return { kind: 'week', start: r.name(WEEKDAYS, r.uint() - 1), timeZone: r.text() };
  if (kind === 5 && items === 3) return { kind: 'month', anchorDay: r.uint(), timeZone: r.text() };
  if (kind === 6 && items === 2) return { kind: 'year', timeZone: r.text() };
  return r.fail(`window kind ${kind} of ${items} items`);
}

/** A `LimitSpec` as the core's reader gave it back: absent options left out, `resettable` always. */
function readLimit(r: Reader): LimitSpec {
  const entries = r.map();
  const spec: Record<string, unknown> = {};
  for (let i = 0; i < entries; i++) {
    const key = r.uint();
    if (key === 0) spec.id = r.text();
    else if (key === 1) spec.measure = r.name(MEASURES, r.uint());
    else if (key === 2) spec.currency = r.text();
    else if (key === 3) spec.window = readWindow(r);
    else if (key === 4) spec.hard = r.text();
    else if (key === 5) spec.soft = r.text();
    else if (key === 6) spec.ceiling = r.text();
    else if (key === 7) spec.resettable = r.bool();
    else r.fail(`limit field ${key}`);
  }
  return spec as unknown as LimitSpec;
}

/** The configuration in `bytes` (`Book::config_cbor`), as the plain object `CustodyBook.create` takes. */
export function decodeBookConfig(bytes: Uint8Array): BookConfig {
  const r = new Reader(bytes);
  if (r.array() !== 5) r.fail('not an array of 5');
  const assets = r.list(() => {
    if (r.array() !== 5) r.fail('not an array of 5');
    const asset = r.text();
    const confirmations = r.uint();
    const sweepThreshold = r.text();
    const clientLimits = r.list(() => readLimit(r));
    const assetLimits = r.list(() => readLimit(r));
    return { asset, confirmations, sweepThreshold, clientLimits, assetLimits };
  });
  const omnibusAddress = r.text();
  const approvers = r.list(() => {
    if (r.array() !== 2) r.fail('not an approver');
    const approverId = r.text();
    return { approverId, publicKey: r.byteString() };
  });
  const quorum = r.uint();
  const coolingOffS = r.uint();
  r.end();
  return { assets, omnibusAddress, approvers, quorum, coolingOffS };
}
