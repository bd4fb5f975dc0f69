/**
 * The compact boundary of `Ledger#executeBatch`: a batch of well-formed plain operations crosses
 * into wasm as one byte string the SDK writes, and its outcomes come back as one byte string the
 * SDK reads, instead of one or more JS↔wasm calls per field each way.
 *
 * Why (HACKING.md "Ledger throughput", *A batch as bytes*): the adapter's object path reads each
 * field of each operation with a boundary crossing or more (`Reflect.get`, the key count, a wasm
 * `malloc` and a UTF-8 copy per string), and writes each field of each outcome with one; a batch
 * of 256 hold + post pairs spent about a quarter of its time there.
 *
 * What crosses in: the operations in the core's own encoding of an operation (deterministic CBOR,
 * `core/src/ledger/codec.rs`: `[kind, idempotencyKey, now, ...fields]`), each preceded by its
 * `linked` flag, in one CBOR array; the adapter decodes it with the core's decoder
 * (`ledger::batch_from_cbor`) and runs the batch exactly as the object path does. Nothing is
 * checked here that the core does not check again: this writer only decides that an operation is
 * *regular* — a plain object `{op, request, linked?}` naming a known operation, whose request is
 * a plain object with only the request type's own fields, each of its JS type (a string, a safe
 * integer, a boolean, `null`/`undefined` where the field is optional). Those are exactly the
 * operations the adapter's object reader turns into the same `Operation` without an error; for
 * anything else (a wrong type, an unknown or missing field, a bigint, an inherited field) the
 * whole batch takes the object path, which names the problem as it always did. The values
 * themselves (ids, amounts, currencies, times) are validated by the core in both paths.
 *
 * What comes back: the outcomes as a table of distinct strings (a batch repeats its account ids,
 * currency and amounts: each is made into a JS string once) followed by fixed-layout records
 * (`wasm/src/ledger.rs`, `outcomes_bytes`), read here into the same plain objects the object
 * path returns.
 * @internal
 */
import { CBOR_FALSE, CBOR_NULL, CBOR_TRUE, CborWriter } from './cbor-writer.js';
import type { HoldState, HoldView, LedgerCode, LedgerOutcome } from './generated/ledger.js';

// ---------------------------------------------------------------------------------------------
// Operations → CBOR

/** How a request field is written (in the core's field order, after `idempotencyKey`, `now`). */
const enum Field {
  /** A required string. */
  Text,
  /** A string, or `null`/`undefined`/absent: CBOR null. */
  OptionalText,
  /** A required safe integer (Unix seconds). */
  Integer,
  /** `final`: a boolean, absent or `undefined` for `false`. */
  FalseByDefault,
  /** `kind`: an account kind's name, written as its code. */
  AccountKind,
  /** `keysKeptBy`: `"ledger"` or `"store"`, written as its code. */
  KeysKeptBy,
  /** `keyWindow`: absent/`null`/`undefined` writes nothing, a u32 writes itself. */
  OptionalWindow,
  /** `accountsMax`, `holdsMax`: a required u32 (the core checks its range). */
  U32,
}

interface OperationShape {
  /** The operation's kind in the core's codec. */
  readonly kind: number;
  /** The request's fields after `idempotencyKey` and `now`, in the codec's order. */
  readonly fields: readonly (readonly [string, Field])[];
  /** Every field the request type declares (`idempotencyKey`, `now` and `fields`). */
  readonly declared: number;
}

function shape(kind: number, fields: readonly (readonly [string, Field])[]): OperationShape {
  return { kind, fields, declared: fields.length + 2 };
}

/** Each operation's kind and request fields, as `core/src/ledger/codec.rs` encodes them. */
const SHAPES: Readonly<Record<string, OperationShape>> = Object.freeze({
  __proto__: null,
  openAccount: shape(0, [['accountId', Field.Text], ['currency', Field.Text], ['kind', Field.AccountKind], ['creditLimit', Field.OptionalText]]),
  transfer: shape(1, [['debitAccountId', Field.Text], ['creditAccountId', Field.Text], ['currency', Field.Text], ['amount', Field.Text]]),
  hold: shape(2, [
    ['holdId', Field.Text],
    ['debitAccountId', Field.Text],
    ['creditAccountId', Field.Text],
    ['currency', Field.Text],
    ['amount', Field.Text],
    ['expiresAt', Field.Integer],
  ]),
  increment: shape(3, [['holdId', Field.Text], ['currency', Field.Text], ['amount', Field.Text]]),
  extend: shape(4, [['holdId', Field.Text], ['expiresAt', Field.Integer]]),
  post: shape(5, [['holdId', Field.Text], ['currency', Field.OptionalText], ['amount', Field.OptionalText], ['final', Field.FalseByDefault]]),
  void: shape(6, [['holdId', Field.Text]]),
  expireDue: shape(7, []),
  setCreditLimit: shape(8, [['accountId', Field.Text], ['currency', Field.Text], ['creditLimit', Field.Text]]),
  closeAccount: shape(9, [['accountId', Field.Text]]),
  setKeyRetention: shape(10, [['keysKeptBy', Field.KeysKeptBy], ['keyWindow', Field.OptionalWindow]]),
  setCapacity: shape(11, [['accountsMax', Field.U32], ['holdsMax', Field.U32]]),
} as unknown as Record<string, OperationShape>);

const ACCOUNT_KINDS: Readonly<Record<string, number>> = Object.freeze({ __proto__: null, unrestricted: 0, nonNegative: 1, creditLine: 2 } as unknown as Record<string, number>);
const KEYS_KEPT_BY: Readonly<Record<string, number>> = Object.freeze({ __proto__: null, ledger: 0, store: 1 } as unknown as Record<string, number>);

const hasOwn = Object.prototype.hasOwnProperty;
const objectKeys = Object.keys;
const getPrototypeOf = Object.getPrototypeOf;
const ObjectPrototype = Object.prototype;
const U32_MAX = 0xffff_ffff;


/** A plain object: not null, not an array, not a typed array, not an SDK object (the boundary's
 * copies of plain objects have `Object.prototype`). */
function isPlain(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && getPrototypeOf(value) === ObjectPrototype;
}

/** `object[key]` when it is the object's own property, `undefined` when the object has no such
 * property at all; `null` (as a marker the callers refuse) when it is inherited: the object
 * reader would read an inherited value, so such a batch goes that way. */
function own(object: Record<string, unknown>, key: string): unknown {
  if (hasOwn.call(object, key)) return object[key];
  return key in object ? INHERITED : undefined;
}
const INHERITED = Symbol('inherited');

/** Writes one request's fields; false when it is not regular (nothing is then used). */
function writeRequest(w: CborWriter, shape: OperationShape, request: Record<string, unknown>): boolean {
  const keys = objectKeys(request);
  if (keys.length > shape.declared) return false;
  let present = 0;
  const key = own(request, 'idempotencyKey');
  const now = own(request, 'now');
  if (typeof key !== 'string' || typeof now !== 'number' || !Number.isSafeInteger(now)) return false;
  present += 2;
  // The array's length: 3 + fields, one less when an optional window is absent.
  const fields = shape.fields;
  let items = 3 + fields.length;
  let windowValue: unknown;
  if (shape.kind === 10) {
    windowValue = own(request, 'keyWindow');
    if (windowValue === undefined || windowValue === null) items--;
  }
  w.head(4, items);
  w.head(0, shape.kind);
  w.text(key);
  w.integer(now);
  for (let f = 0; f < fields.length; f++) {
    const [name, field] = fields[f] as readonly [string, Field];
    const value = own(request, name);
    if (value === INHERITED) return false;
    if (value !== undefined) present++;
    switch (field) {
      case Field.Text:
        if (typeof value !== 'string') return false;
        w.text(value);
        break;
      case Field.OptionalText:
        if (typeof value === 'string') w.text(value);
        else if (value === undefined || value === null) w.simple(CBOR_NULL);
        else return false;
        break;
      case Field.Integer:
        if (typeof value !== 'number' || !Number.isSafeInteger(value)) return false;
        w.integer(value);
        break;
      case Field.FalseByDefault:
        if (value === undefined) w.simple(CBOR_FALSE);
        else if (typeof value === 'boolean') w.simple(value ? CBOR_TRUE : CBOR_FALSE);
        else return false;
        break;
      case Field.AccountKind: {
        const code = typeof value === 'string' ? ACCOUNT_KINDS[value] : undefined;
        if (code === undefined) return false;
        w.head(0, code);
        break;
      }
      case Field.KeysKeptBy: {
        const code = typeof value === 'string' ? KEYS_KEPT_BY[value] : undefined;
        if (code === undefined) return false;
        w.head(0, code);
        break;
      }
      case Field.OptionalWindow:
        if (value === undefined || value === null) break;
        if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0 || value > U32_MAX) return false;
        w.head(0, value);
        break;
      case Field.U32:
        if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0 || value > U32_MAX) return false;
        w.head(0, value);
        break;
    }
  }
  // Every own key is a declared field read above (a key the type does not declare, or a declared
  // one whose value is `undefined`, is left to the object reader).
  return keys.length === present;
}

const writer = new CborWriter(16 * 1024);

/**
 * The batch as the core's CBOR (`[linked, op, linked, op, ...]`), or `undefined` when any
 * operation is not regular (see the module comment): the caller then takes the object path.
 * `operations` is the boundary's owned copy, so reading it runs no caller code.
 */
export function encodeBatch(operations: readonly unknown[]): Uint8Array | undefined {
  const w = writer;
  w.length = 0;
  const count = operations.length;
  w.head(4, 2 * count);
  for (let i = 0; i < count; i++) {
    const element = operations[i];
    if (!isPlain(element)) return undefined;
    const keys = objectKeys(element);
    const op = own(element, 'op');
    const request = own(element, 'request');
    const linked = own(element, 'linked');
    if (typeof op !== 'string' || !isPlain(request)) return undefined;
    const opShape = SHAPES[op];
    if (opShape === undefined) return undefined;
    if (linked !== undefined && typeof linked !== 'boolean') return undefined;
    if (keys.length !== (linked === undefined ? 2 : 3)) return undefined;
    w.simple(linked === true ? CBOR_TRUE : CBOR_FALSE);
    if (!writeRequest(w, opShape, request)) return undefined;
  }
  return w.bytes.subarray(0, w.length);
}

// ---------------------------------------------------------------------------------------------
// Outcomes ← bytes

const HOLD_STATES: readonly HoldState[] = ['pending', 'posted', 'voided', 'expired'];
const FLAG_REPEATED = 1;
const FLAG_HOLD = 2;
const decoder = new TextDecoder('utf-8', { fatal: true });
const fromCharCode = String.fromCharCode;

/** The string of `length` UTF-8 bytes at `at`. */
function readText(bytes: Uint8Array, at: number, length: number): string {
  if (length <= 32) {
    let s = '';
    let ascii = true;
    for (let i = 0; i < length; i++) {
      const c = bytes[at + i] as number;
      if (c >= 0x80) {
        ascii = false;
        break;
      }
      s += fromCharCode(c);
    }
    if (ascii) return s;
  }
  return decoder.decode(bytes.subarray(at, at + length));
}

/**
 * The outcomes of `outcomes_bytes` (wasm/src/ledger.rs), with `codes` the core's code list in its
 * order (`ledgerCodes()`):
 *
 * ```text
 * u32 strings, then each: u16 byte length, UTF-8          (little-endian throughout)
 * u32 outcomes, then each: u8 code, u8 flags (1 repeated, 2 hold), f64 seq, u32 expired,
 *   expired × u32 string, [hold: u32 holdId, debit, credit, currency, u8 state,
 *   u32 amount, pending, posted, released, f64 expiresAt]
 * ```
 */
export function decodeOutcomes(bytes: Uint8Array, codes: readonly LedgerCode[]): LedgerOutcome[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let at = 0;
  const stringCount = view.getUint32(at, true);
  at += 4;
  const strings: string[] = new Array<string>(stringCount);
  for (let i = 0; i < stringCount; i++) {
    const length = view.getUint16(at, true);
    at += 2;
    strings[i] = readText(bytes, at, length);
    at += length;
  }
  const str = (): string => {
    const s = strings[view.getUint32(at, true)] as string;
    at += 4;
    return s;
  };
  const count = view.getUint32(at, true);
  at += 4;
  const outcomes: LedgerOutcome[] = new Array<LedgerOutcome>(count);
  for (let i = 0; i < count; i++) {
    const code = codes[bytes[at] as number] as LedgerCode;
    const flags = bytes[at + 1] as number;
    const seq = view.getFloat64(at + 2, true);
    const expiredCount = view.getUint32(at + 10, true);
    at += 14;
    const expired: string[] = [];
    for (let e = 0; e < expiredCount; e++) expired.push(str());
    let hold: HoldView | null = null;
    if ((flags & FLAG_HOLD) !== 0) {
      const holdId = str();
      const debitAccountId = str();
      const creditAccountId = str();
      const currency = str();
      const state = HOLD_STATES[bytes[at] as number] as HoldState;
      at += 1;
      const amount = str();
      const pending = str();
      const posted = str();
      const released = str();
      const expiresAt = view.getFloat64(at, true);
      at += 8;
      hold = { holdId, debitAccountId, creditAccountId, currency, state, amount, pending, posted, released, expiresAt };
    }
    // The same fields in the same order as the adapter's object writer.
    outcomes[i] = { code, seq, repeated: (flags & FLAG_REPEATED) !== 0, hold, expired };
  }
  return outcomes;
}
