/**
 * The SDK boundary: nothing the caller controls reaches the wasm-bindgen glue.
 *
 * Why: the glue trusts what it is given. A `Uint8Array` whose `length` lies makes it allocate by
 * one size and copy another (overwriting wasm memory); a detached buffer, a throwing getter or a
 * Proxy trap that fires while Rust is on the stack unwinds through wasm frames without running
 * their clean-up, leaving the glue's object table, a handle's borrow flag or the shadow stack out
 * of step for the life of the instance. So every public entry point of the SDK is wrapped by
 * {@link guardFunction} / {@link guardClass}, which
 *
 * 1. reads each argument exactly once into plain data the SDK owns ({@link ownData}): bytes are
 *    copied into a fresh `Uint8Array` by their real length (internal slots, never a `length`
 *    property), objects and arrays are copied field by field within {@link DATA_DEPTH_MAX},
 *    {@link DATA_ITEMS_MAX} and {@link DATA_ARRAY_LENGTH_MAX} (refused by `length` before they are
 *    walked), strings must be well-formed Unicode within {@link DATA_STRING_LENGTH_MAX_CHARS};
 *    getters and Proxy traps run here, before any wasm call, and a throw from one is a typed
 *    error naming the argument;
 * 2. checks that `this` is a genuine instance of the class (not a Proxy, not an object made with
 *    `Object.create(Class.prototype)`), see {@link adopt};
 * 3. converts whatever escapes into the SDK's error classes: a `WebAssembly.RuntimeError` (or an
 *    engine stack overflow, which can unwind through wasm frames) registers the trap, any other
 *    non-SDK throw becomes `INTERNAL`; an async entry point rejects instead of throwing.
 *
 * The function bodies then validate the owned copy (so a getter cannot answer one value to the
 * check and another to the use) and call into wasm with it.
 * @internal
 */
import {
  CountersignError,
  CountersignRangeError,
  CountersignTypeError,
  fromWasmError,
  isCountersignError,
} from './errors.js';
import { noteTrap } from './instance.js';

/** Deepest nesting of objects and arrays an argument may have. */
export const DATA_DEPTH_MAX = 32;
/** Most values (object fields, array elements, scalars) read from one argument. */
export const DATA_ITEMS_MAX = 1 << 21;
/** Longest array accepted anywhere, checked on `length` before any element is read. */
export const DATA_ARRAY_LENGTH_MAX = 1 << 20;
/** Longest string accepted anywhere (UTF-16 code units). Every field the core takes is far shorter. */
export const DATA_STRING_LENGTH_MAX_CHARS = 1 << 20;
/** Most bytes read from one argument (byte arrays added up); a storage value is at most 64 MiB. */
export const DATA_BYTES_MAX = 128 * 1024 * 1024;

// ---------------------------------------------------------------------------------------------
// Intrinsics, captured at load: a caller who replaces `Uint8Array.prototype.set` or the `length`
// getter afterwards changes nothing here.

const TypedArrayPrototype = Object.getPrototypeOf(Uint8Array.prototype) as object;
function intrinsicGetter(target: object, key: PropertyKey): (this: unknown) => unknown {
  const get = Object.getOwnPropertyDescriptor(target, key)?.get;
  if (get === undefined) throw new Error(`countersign: the platform lacks the ${String(key)} getter`);
  return get as (this: unknown) => unknown;
}
const typedArrayTag = intrinsicGetter(TypedArrayPrototype, Symbol.toStringTag);
const typedArrayBuffer = intrinsicGetter(TypedArrayPrototype, 'buffer');
const typedArrayByteOffset = intrinsicGetter(TypedArrayPrototype, 'byteOffset');
const typedArrayByteLength = intrinsicGetter(TypedArrayPrototype, 'byteLength');
const arrayBufferByteLength = intrinsicGetter(ArrayBuffer.prototype, 'byteLength');
const typedArraySet = (TypedArrayPrototype as { set: (this: Uint8Array, source: ArrayLike<number>) => void }).set;
const IntrinsicUint8Array = Uint8Array;
const reflectApply = Reflect.apply;
const isArray = Array.isArray;
const objectKeys = Object.keys;
const defineProperty = Object.defineProperty;
const hasWellFormed = typeof (String.prototype as { isWellFormed?: unknown }).isWellFormed === 'function';
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const SharedArrayBufferIntrinsic: (new (n: number) => ArrayBufferLike) | undefined = (globalThis as { SharedArrayBuffer?: new (n: number) => ArrayBufferLike }).SharedArrayBuffer;
const sharedByteLength = SharedArrayBufferIntrinsic === undefined ? undefined : intrinsicGetter(SharedArrayBufferIntrinsic.prototype, 'byteLength');

/** The typed-array tag of `value` read from its internal slot (`undefined` for anything else,
 * Proxies included). */
function tagOf(value: unknown): unknown {
  return reflectApply(typedArrayTag, value, []);
}

/** True when `value` is a genuine `Uint8Array` (or Node `Buffer`): internal slots, not `instanceof`. */
export function isGenuineBytes(value: unknown): value is Uint8Array {
  return typeof value === 'object' && value !== null && tagOf(value) === 'Uint8Array';
}

function bufferLength(buffer: ArrayBufferLike): number | 'detached' {
  let length: number;
  try {
    length = reflectApply(arrayBufferByteLength, buffer, []) as number;
  } catch {
    // A SharedArrayBuffer has its own getter; it cannot be detached.
    if (sharedByteLength === undefined) throw new TypeError('not an ArrayBuffer');
    return reflectApply(sharedByteLength, buffer, []) as number;
  }
  if (length !== 0) return length;
  // A detached buffer reports 0; so does an empty one. Only the detached one refuses a view.
  try {
    new IntrinsicUint8Array(buffer as ArrayBuffer, 0, 0);
    return 0;
  } catch {
    return 'detached';
  }
}

// ---------------------------------------------------------------------------------------------
// Instances the SDK made

/** An SDK class (its constructor may be private, so it is known by its prototype). */
export interface SdkClass {
  readonly prototype: object;
  readonly name: string;
}

/** Returns the object it is given from its constructor, so that a subclass's private field is
 * installed on that object (the "return override" of class constructors). */
class ReturnGiven {
  constructor(given: object) {
    return given;
  }
}

/**
 * The brand of every SDK object: a private field holding the class that made it. A private
 * field cannot be forged or copied by a caller, is absent from a Proxy of the object, and costs
 * a property store (a WeakMap entry per `Amount` cost a third of the amount benchmark).
 */
class Brand extends ReturnGiven {
  readonly #sdkClass: SdkClass;
  constructor(instance: object, cls: SdkClass) {
    super(instance);
    this.#sdkClass = cls;
  }
  static classOf(value: object): SdkClass | undefined {
    return #sdkClass in value ? (value as Brand).#sdkClass : undefined;
  }
}

/** Called by every SDK class's constructor (before any freeze): marks `instance` as genuinely
 * made by `cls`. The receiver check and the pass-through of SDK objects given as arguments (an
 * `Amount` to `add`, a `Ledger` to `commit`) rely on it. */
export function adopt(instance: object, cls: SdkClass): void {
  if (Brand.classOf(instance) === undefined) new Brand(instance, cls);
}

/** True when `value` was made by the SDK class `cls` (a Proxy of one is not). */
export function isOwned<T extends object>(value: unknown, cls: { readonly prototype: T }): value is T {
  return typeof value === 'object' && value !== null && Brand.classOf(value) === (cls as unknown as SdkClass);
}

/** True when `value` was made by any SDK class. */
function isSdkObject(value: object): boolean {
  return Brand.classOf(value) !== undefined;
}

// ---------------------------------------------------------------------------------------------
// Reading arguments into owned data

function limitError(param: string, message: string): CountersignRangeError {
  return new CountersignRangeError('LIMIT_EXCEEDED', `countersign: ${param}: ${message}`, param);
}

function shapeError(param: string, message: string): CountersignTypeError {
  return new CountersignTypeError('INVALID_TYPE', `countersign: ${param}: ${message}`, param);
}

/** A description of a thrown value that runs no caller code (no `toString`, no getters). */
function describeThrown(thrown: unknown): string {
  if (typeof thrown === 'string') return thrown.slice(0, 200);
  if (typeof thrown === 'object' && thrown !== null) {
    try {
      const own = Object.getOwnPropertyDescriptor(thrown, 'message');
      if (own !== undefined && typeof own.value === 'string') return own.value.slice(0, 200);
    } catch {
      // a Proxy's getOwnPropertyDescriptor trap threw: say nothing more
    }
    return 'an object was thrown';
  }
  return typeof thrown;
}

/**
 * A copy of the bytes of a genuine `Uint8Array`, read by their real length. Detached buffers,
 * other typed arrays, Proxies and look-alikes are a typed error naming `param`.
 */
export function ownBytes(value: unknown, param: string): Uint8Array {
  if (!isGenuineBytes(value)) {
    const tag = typeof value === 'object' && value !== null ? tagOf(value) : undefined;
    const what = typeof tag === 'string' ? `a ${tag}` : describe(value);
    throw shapeError(param, `must be a Uint8Array, got ${what}`);
  }
  const buffer = reflectApply(typedArrayBuffer, value, []) as ArrayBufferLike;
  const available = bufferLength(buffer);
  if (available === 'detached') throw shapeError(param, 'is a Uint8Array over a detached ArrayBuffer');
  const offset = reflectApply(typedArrayByteOffset, value, []) as number;
  const length = reflectApply(typedArrayByteLength, value, []) as number;
  if (length > DATA_BYTES_MAX) throw limitError(param, `has ${length} bytes, more than ${DATA_BYTES_MAX}`);
  const copy = new IntrinsicUint8Array(length);
  if (length > 0) reflectApply(typedArraySet, copy, [new IntrinsicUint8Array(buffer as ArrayBuffer, offset, length)]);
  return copy;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'object') return isArray(value) ? 'an array' : 'an object';
  return typeof value;
}

/** Checks a string: within the length limit and well-formed UTF-16 (a lone surrogate would be
 * silently replaced by U+FFFD on its way into wasm, so two different strings could collide). */
export function ownString(value: string, param: string): string {
  if (value.length > DATA_STRING_LENGTH_MAX_CHARS) {
    throw limitError(param, `is ${value.length} characters long, more than ${DATA_STRING_LENGTH_MAX_CHARS}`);
  }
  const wellFormed = hasWellFormed ? (value as string & { isWellFormed(): boolean }).isWellFormed() : !LONE_SURROGATE.test(value);
  if (!wellFormed) {
    throw new CountersignRangeError('INVALID_ARGUMENT', `countersign: ${param} must be well-formed Unicode (it has a lone surrogate)`, param);
  }
  return value;
}

interface Budget {
  items: number;
  bytes: number;
}

function ownValue(value: unknown, param: string, depth: number, budget: Budget): unknown {
  if (++budget.items > DATA_ITEMS_MAX) throw limitError(param, `more than ${DATA_ITEMS_MAX} values in one argument`);
  switch (typeof value) {
    case 'string':
      return ownString(value, param);
    case 'number':
    case 'bigint':
    case 'boolean':
    case 'undefined':
      return value;
    case 'symbol':
    case 'function':
      throw shapeError(param, `a ${typeof value} is not accepted`);
    default:
      break;
  }
  if (value === null) return null;
  const object = value as object;
  if (isSdkObject(object)) return object; // an SDK object: its state is private, its methods ours
  if (isGenuineBytes(object)) {
    const bytes = ownBytes(object, param);
    budget.bytes += bytes.length;
    if (budget.bytes > DATA_BYTES_MAX) throw limitError(param, `more than ${DATA_BYTES_MAX} bytes in one argument`);
    return bytes;
  }
  const tag = tagOf(object);
  if (typeof tag === 'string') throw shapeError(param, `a ${tag} is not accepted (use a Uint8Array)`);
  if (depth >= DATA_DEPTH_MAX) throw limitError(param, `nested deeper than ${DATA_DEPTH_MAX} levels`);
  if (isArray(object)) {
    const length = (object as unknown[]).length; // read once: a Proxy's trap runs here, not later
    if (typeof length !== 'number' || !Number.isSafeInteger(length) || length < 0) throw shapeError(param, 'has an invalid length');
    if (length > DATA_ARRAY_LENGTH_MAX) throw limitError(param, `has ${length} elements, more than ${DATA_ARRAY_LENGTH_MAX}`);
    if (budget.items + length > DATA_ITEMS_MAX) throw limitError(param, `more than ${DATA_ITEMS_MAX} values in one argument`);
    const copy: unknown[] = new Array(length);
    for (let i = 0; i < length; i++) copy[i] = ownValue((object as unknown[])[i], `${param}[${i}]`, depth + 1, budget);
    return copy;
  }
  const keys = objectKeys(object);
  if (budget.items + keys.length > DATA_ITEMS_MAX) throw limitError(param, `more than ${DATA_ITEMS_MAX} values in one argument`);
  // A plain object literal (V8 keeps it in fast mode; `Object.create(null)` objects are
  // dictionaries and made every request a third slower to build and to read in the adapter).
  const copy: Record<string, unknown> = {};
  for (const key of keys) {
    const field = ownValue((object as Record<string, unknown>)[key], `${param}.${key}`, depth + 1, budget);
    // A field named "__proto__" must stay a field, not set the copy's prototype.
    if (key === '__proto__') defineProperty(copy, key, { value: field, enumerable: true, writable: true, configurable: true });
    else copy[key] = field;
  }
  return copy;
}

/**
 * Reads `value` once, deeply, into plain data the SDK owns: strings (checked), numbers, bigints,
 * booleans, null/undefined, copied `Uint8Array`s, fresh arrays and plain objects of those, and
 * SDK objects (passed through). A getter or Proxy trap that throws is an `INVALID_TYPE` error
 * naming the path it was reading; functions, symbols and other typed arrays are refused.
 */
export function ownData(value: unknown, param: string): unknown {
  // Scalars, the common case of hot paths (amount strings, ids, times), need no walk.
  if (typeof value === 'string') return ownString(value, param);
  if (typeof value !== 'object' && typeof value !== 'symbol' && typeof value !== 'function') return value;
  // An SDK object (an `Amount` to `add`) is passed through, as by the walk below, without its
  // set-up: it halved the cost of the guard of `Amount#add` (docs/money.md "Speed").
  if (value !== null && typeof value === 'object' && isSdkObject(value)) return value;
  try {
    return ownValue(value, param, 0, { items: 0, bytes: 0 });
  } catch (e) {
    if (isCountersignError(e)) throw e;
    // A caller's getter or Proxy trap threw (or the engine ran out of stack on a pathological
    // object): the path we were reading is not known precisely, the argument is.
    throw shapeError(param, `reading it threw (${describeThrown(e)})`);
  }
}

/**
 * Runs `read`, code of the SDK's that reads a caller's object it must keep live (a storage
 * adapter's methods, `init`'s options, a hook): a getter or Proxy trap that throws there is
 * `INVALID_TYPE` naming `param`, as in {@link ownData}.
 */
export function readCallerObject<T>(param: string, read: () => T): T {
  try {
    return read();
  } catch (e) {
    if (isCountersignError(e)) throw e;
    throw shapeError(param, `reading it threw (${describeThrown(e)})`);
  }
}

// ---------------------------------------------------------------------------------------------
// The guard

/** A parameter passed through as the caller gave it (a storage adapter, an `init` source): the
 * function body must check it itself, and it never reaches wasm. */
export interface RawParam {
  readonly raw: string;
}
export type ParamSpec = string | RawParam;

/** Marks a parameter as passed through unread (see {@link RawParam}). */
export function raw(name: string): RawParam {
  return { raw: name };
}

/** The declared arguments read into owned data; extra arguments are ignored, as JavaScript
 * does, and never read. */
function ownArguments(args: ArrayLike<unknown>, params: readonly ParamSpec[]): unknown[] {
  const count = args.length;
  const out: unknown[] = [];
  for (let i = 0; i < params.length; i++) {
    const spec = params[i] as ParamSpec;
    const value = i < count ? args[i] : undefined;
    out[i] = typeof spec === 'string' ? ownData(value, spec) : value;
  }
  return out;
}

function isStackOverflow(e: unknown): boolean {
  return e instanceof RangeError && !isCountersignError(e) && /call stack/i.test(e.message);
}

/** Whatever escaped an entry point, as an SDK error (see the module comment). */
export function toSdkError(e: unknown, where: string): Error {
  if (isCountersignError(e)) return e as Error;
  const converted = fromWasmError(e); // a RuntimeError registers the trap there
  if (isCountersignError(converted)) return converted;
  if (isStackOverflow(e)) {
    // The overflow may have unwound through wasm frames, skipping their clean-up: the instance
    // cannot be trusted any more, exactly as after a trap.
    noteTrap();
    return new CountersignError(
      'WASM_TRAP',
      `countersign: ${where}: the JavaScript stack ran out during a call into WebAssembly; \`await init()\` starts a fresh instance; load your state again from its store`,
    );
  }
  const err = new CountersignError('INTERNAL', `countersign: ${where}: unexpected failure (${describeThrown(e)}); please report this`);
  defineProperty(err, 'cause', { value: e, configurable: true });
  return err;
}

type AnyFunction = (this: unknown, ...args: unknown[]) => unknown;

function isAsync(fn: AnyFunction): boolean {
  return Object.prototype.toString.call(fn) === '[object AsyncFunction]';
}

/** The guarded form of `fn` (see the module comment); `receiver` checks `this` when given. */
function wrap(fn: AnyFunction, params: readonly ParamSpec[], where: string, receiver?: (self: unknown) => void): AnyFunction {
  if (isAsync(fn)) {
    const guarded = async function (this: unknown, ...args: unknown[]): Promise<unknown> {
      try {
        receiver?.(this);
        return await reflectApply(fn, this, ownArguments(args, params));
      } catch (e) {
        throw toSdkError(e, where);
      }
    };
    defineProperty(guarded, 'name', { value: fn.name });
    defineProperty(guarded, 'length', { value: fn.length });
    return guarded;
  }
  const guarded = wrapSync(fn, params, where, receiver);
  defineProperty(guarded, 'name', { value: fn.name });
  defineProperty(guarded, 'length', { value: fn.length });
  return guarded;
}

/**
 * The synchronous guarded form of `fn`. Functions of at most three parameters, all read by
 * {@link ownData} (no `raw`), get a copy of the wrapper of their own arity: named parameters and
 * an array literal, which V8 turns into a direct call, instead of a rest array and a copy loop.
 * It does exactly what {@link ownArguments} does (missing arguments are `undefined`, extra ones
 * are never read). Measured when amounts became bigints (the wrapper was then most of the cost of
 * `Amount#add`): see docs/money.md "Speed". Before, with a wasm call per amount operation, the
 * per-arity copies measured no faster than noise (alternating runs, 2026-12-06).
 */
function wrapSync(fn: AnyFunction, params: readonly ParamSpec[], where: string, receiver?: (self: unknown) => void): AnyFunction {
  const [p0, p1, p2] = params;
  const allOwned = params.every((spec) => typeof spec === 'string');
  if (allOwned && params.length === 0) {
    return function (this: unknown): unknown {
      try {
        receiver?.(this);
        return reflectApply(fn, this, []);
      } catch (e) {
        throw toSdkError(e, where);
      }
    };
  }
  if (allOwned && params.length === 1) {
    const name0 = p0 as string;
    return function (this: unknown, a: unknown): unknown {
      try {
        receiver?.(this);
        return reflectApply(fn, this, [ownData(a, name0)]);
      } catch (e) {
        throw toSdkError(e, where);
      }
    };
  }
  if (allOwned && params.length === 2) {
    const name0 = p0 as string;
    const name1 = p1 as string;
    return function (this: unknown, a: unknown, b: unknown): unknown {
      try {
        receiver?.(this);
        return reflectApply(fn, this, [ownData(a, name0), ownData(b, name1)]);
      } catch (e) {
        throw toSdkError(e, where);
      }
    };
  }
  if (allOwned && params.length === 3) {
    const name0 = p0 as string;
    const name1 = p1 as string;
    const name2 = p2 as string;
    return function (this: unknown, a: unknown, b: unknown, c: unknown): unknown {
      try {
        receiver?.(this);
        return reflectApply(fn, this, [ownData(a, name0), ownData(b, name1), ownData(c, name2)]);
      } catch (e) {
        throw toSdkError(e, where);
      }
    };
  }
  return function (this: unknown, ...args: unknown[]): unknown {
    try {
      receiver?.(this);
      return reflectApply(fn, this, ownArguments(args, params));
    } catch (e) {
      throw toSdkError(e, where);
    }
  };
}

/** `fn` behind the guard: its arguments read into owned data, its errors converted. */
export function guardFunction<F extends (...args: never[]) => unknown>(fn: F, params: readonly ParamSpec[]): F {
  return wrap(fn as unknown as AnyFunction, params, fn.name) as unknown as F;
}

/** Parameter lists of a class's public methods, getters (`[]`) and static methods. */
export interface ClassGuardSpec {
  readonly methods: Readonly<Record<string, readonly ParamSpec[]>>;
  readonly statics?: Readonly<Record<string, readonly ParamSpec[]>>;
}

/**
 * Copies onto `proto` every public member it inherits from an SDK base class (handle.ts's
 * `WasmObject`: `free`, `[Symbol.dispose]`), so that the loops of {@link guardClass}, which look
 * at own members, wrap them too: each class then has its own guarded `free` with its own receiver
 * check, its spec must name it, and the hostile suite (which discovers own members) calls it.
 */
function inheritMembers(proto: object): void {
  for (let base = Object.getPrototypeOf(proto) as object | null; base !== null && base !== Object.prototype; base = Object.getPrototypeOf(base) as object | null) {
    for (const key of [...Object.getOwnPropertyNames(base), ...Object.getOwnPropertySymbols(base)]) {
      if (key === 'constructor' || Object.prototype.hasOwnProperty.call(proto, key)) continue;
      const descriptor = Object.getOwnPropertyDescriptor(base, key);
      if (descriptor !== undefined) defineProperty(proto, key, descriptor);
    }
  }
}

/**
 * Puts every public method, getter and static method of `cls` behind the guard, with a receiver
 * check for the instance ones. The spec must name each of them exactly: a method added later
 * without its parameter list fails at load, so none can slip past the boundary.
 */
export function guardClass(cls: SdkClass, spec: ClassGuardSpec): void {
  const name = cls.name;
  const receiver = (self: unknown): void => {
    if (!isOwned(self, cls)) {
      throw new CountersignTypeError(
        'INVALID_TYPE',
        `countersign: this: ${name} methods must be called on a genuine ${name} (one the SDK made), got ${describe(self)}`,
        'this',
      );
    }
  };
  const proto = cls.prototype as object;
  inheritMembers(proto);
  const seen = new Set<string>();
  for (const key of Object.getOwnPropertyNames(proto)) {
    if (key === 'constructor') continue;
    const descriptor = Object.getOwnPropertyDescriptor(proto, key);
    if (descriptor === undefined) continue;
    const params = spec.methods[key];
    if (params === undefined) throw new Error(`countersign: ${name}.${key} has no guard spec`);
    seen.add(key);
    const where = `${name}.${key}`;
    if (typeof descriptor.value === 'function') {
      defineProperty(proto, key, { ...descriptor, value: wrap(descriptor.value as AnyFunction, params, where, receiver) });
    } else {
      defineProperty(proto, key, {
        ...descriptor,
        get: descriptor.get === undefined ? undefined : wrap(descriptor.get as AnyFunction, [], where, receiver),
        set: descriptor.set === undefined ? undefined : wrap(descriptor.set as AnyFunction, params, where, receiver),
      });
    }
  }
  // Symbol-keyed methods (Symbol.dispose) get the receiver check and the error conversion too.
  for (const key of Object.getOwnPropertySymbols(proto)) {
    const descriptor = Object.getOwnPropertyDescriptor(proto, key);
    if (descriptor === undefined || typeof descriptor.value !== 'function') continue;
    defineProperty(proto, key, { ...descriptor, value: wrap(descriptor.value as AnyFunction, [], `${name}[${String(key)}]`, receiver) });
  }
  for (const key of Object.keys(spec.methods)) {
    if (!seen.has(key)) throw new Error(`countersign: the guard spec of ${name} names ${key}, which it lacks`);
  }
  const statics = spec.statics ?? {};
  for (const key of Object.getOwnPropertyNames(cls)) {
    if (key === 'length' || key === 'name' || key === 'prototype') continue;
    const descriptor = Object.getOwnPropertyDescriptor(cls, key);
    if (descriptor === undefined || typeof descriptor.value !== 'function') continue;
    const params = statics[key];
    if (params === undefined) throw new Error(`countersign: ${name}.${key} (static) has no guard spec`);
    defineProperty(cls, key, { ...descriptor, value: wrap(descriptor.value as AnyFunction, params, `${name}.${key}`) });
  }
  for (const key of Object.keys(statics)) {
    if (typeof Object.getOwnPropertyDescriptor(cls, key)?.value !== 'function') {
      throw new Error(`countersign: the guard spec of ${name} names static ${key}, which it lacks`);
    }
  }
}

/**
 * A constructor's arguments read into owned data (constructors cannot be wrapped without
 * changing the class the caller sees): `const [a, b] = ownConstructorArgs(arguments, [...])`.
 * Errors are converted as by the guard.
 */
export function ownConstructorArgs(args: ArrayLike<unknown>, params: readonly ParamSpec[], where: string): unknown[] {
  try {
    return ownArguments(args, params);
  } catch (e) {
    throw toSdkError(e, where);
  }
}

// ---------------------------------------------------------------------------------------------
// Private constructors

/**
 * The token every SDK-internal `new` passes to a class whose TypeScript constructor is private.
 * TypeScript's `private` does not exist at run time: without the token, `new Amount({}, {})`
 * from JavaScript would make an object the SDK trusts out of anything.
 */
export const INTERNAL_CONSTRUCTION: unique symbol = Symbol('countersign.internal-construction');

/** Throws unless `token` is {@link INTERNAL_CONSTRUCTION}; `how` says what to call instead. */
export function checkInternalConstruction(token: unknown, cls: string, how: string): void {
  if (token !== INTERNAL_CONSTRUCTION) {
    throw new CountersignTypeError('INVALID_TYPE', `countersign: ${cls} cannot be constructed with new: use ${how}`, 'this');
  }
}
