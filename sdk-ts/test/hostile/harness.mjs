// The hostile-input harness: hostile argument shapes, the canaries, entry-point discovery and the
// runner. See README.md beside this file.
import assert from 'node:assert/strict';
import fc from 'fast-check';
import * as sdk from '@countersign/sdk';

/** Calls per entry point (HOSTILE_RUNS overrides), and a time bound per entry point. */
export const RUNS_PER_ENTRY_POINT = Number(process.env.HOSTILE_RUNS ?? 60);
export const TIME_PER_ENTRY_POINT_MS = Number(process.env.HOSTILE_TIME_MS ?? 4000);
export const SEED = Number(process.env.HOSTILE_SEED ?? 20261206);
/** Nesting used for the "deep" shape: far past the SDK's depth limit and serde's recursion. */
const DEEP_NESTING = 20_000;

// ---------------------------------------------------------------------------------------------
// Watching for caller code that runs while WebAssembly is on the stack

Error.stackTraceLimit = 500;
/** Every hostile getter / trap that fired with a wasm frame or the glue below it. */
export const violations = [];
function watch(what) {
  const stack = new Error().stack ?? '';
  if (/wasm-function|wasm:\/\/|countersign_wasm\.js/.test(stack)) violations.push(`${what}\n${stack}`);
}

// ---------------------------------------------------------------------------------------------
// Hostile shapes. Each is a factory (a fresh value per call: detached buffers are used up).

class Boom extends Error {}

function detachedBytes() {
  const bytes = new Uint8Array(8);
  structuredClone(bytes.buffer, { transfer: [bytes.buffer] });
  return bytes;
}
function lyingLength(length, size = 4096) {
  const bytes = new Uint8Array(size).fill(65);
  Object.defineProperty(bytes, 'length', { value: length });
  return bytes;
}
function throwingGetterObject(base = {}) {
  const o = { ...base };
  Object.defineProperty(o, 'length', { enumerable: true, get() { watch('getter length'); throw new Boom('getter'); } });
  return o;
}
function proxyThrowingOn(target, traps) {
  const handler = {};
  for (const trap of traps) {
    handler[trap] = () => {
      watch(`proxy ${trap}`);
      throw new Boom(`trap ${trap}`);
    };
  }
  return new Proxy(target, handler);
}
function deepNesting(kind) {
  let v = kind === 'array' ? [] : {};
  for (let i = 0; i < DEEP_NESTING; i++) v = kind === 'array' ? [v] : { a: v };
  return v;
}
function sparseHuge() {
  const a = [];
  a.length = 2 ** 32 - 1;
  return a;
}
function throwingPrimitiveConversions() {
  const f = () => {
    watch('conversion');
    throw new Boom('conversion');
  };
  return { toString: f, valueOf: f, [Symbol.toPrimitive]: f, toJSON: f };
}
function watchedProxy(target) {
  // A transparent Proxy that records any access made while wasm is on the stack.
  return new Proxy(target, {
    get(t, k, r) {
      watch(`proxy get ${String(k)}`);
      return Reflect.get(t, k, r);
    },
    ownKeys(t) {
      watch('proxy ownKeys');
      return Reflect.ownKeys(t);
    },
    getOwnPropertyDescriptor(t, k) {
      watch('proxy getOwnPropertyDescriptor');
      return Reflect.getOwnPropertyDescriptor(t, k);
    },
  });
}

/** Shapes that replace a value outright: [name, factory(valid value)]. */
export const REPLACEMENTS = [
  ['undefined', () => undefined],
  ['null', () => null],
  ['NaN', () => NaN],
  ['-0', () => -0],
  ['Infinity', () => Infinity],
  ['2^53', () => 2 ** 53],
  ['-1', () => -1],
  ['1.5', () => 1.5],
  ['2^64 bigint', () => 2n ** 64n],
  ['-1 bigint', () => -1n],
  ['true', () => true],
  ['empty string', () => ''],
  ['NUL string', () => 'a\0b'],
  ['lone surrogate', () => 'x\uD800y'],
  ['lone low surrogate', () => '\uDC00'],
  ['megabyte string', () => 'x'.repeat((1 << 20) + 1)],
  ['100k string', () => '9'.repeat(100_000)],
  ['symbol', () => Symbol('s')],
  ['function', () => () => {}],
  ['empty object', () => ({})],
  ['empty array', () => []],
  ['null-prototype object', () => Object.create(null)],
  ['Date', () => new Date(0)],
  ['Map', () => new Map([['a', 1]])],
  ['throwing conversions', throwingPrimitiveConversions],
  ['throwing getter object', () => throwingGetterObject()],
  ['proxy throwing everywhere', () => proxyThrowingOn({}, ['get', 'ownKeys', 'getOwnPropertyDescriptor', 'has', 'getPrototypeOf'])],
  ['proxy throwing ownKeys', () => proxyThrowingOn({ a: 1 }, ['ownKeys'])],
  ['array proxy throwing get', () => proxyThrowingOn([1, 2, 3], ['get'])],
  ['deep objects', () => deepNesting('object')],
  ['deep arrays', () => deepNesting('array')],
  ['sparse array 2^32-1', sparseHuge],
  ['array with throwing element', () => { const a = [1, 2]; Object.defineProperty(a, 1, { get() { watch('element getter'); throw new Boom('element'); } }); return a; }],
  ['cyclic object', () => { const o = { a: 1 }; o.self = o; return o; }],
  ['detached Uint8Array', detachedBytes],
  ['length-lying Uint8Array (0)', () => lyingLength(0)],
  ['length-lying Uint8Array (1e9)', () => lyingLength(1e9)],
  ['length-lying Uint8Array (-1)', () => lyingLength(-1)],
  ['megabyte Uint8Array lying 0', () => lyingLength(0, 1_060_000)],
  ['fake Uint8Array', () => Object.create(Uint8Array.prototype)],
  ['Proxy of Uint8Array', () => new Proxy(new Uint8Array(32), {})],
  ['throwing Proxy of Uint8Array', () => proxyThrowingOn(new Uint8Array(32), ['get', 'getPrototypeOf'])],
  ['Uint8ClampedArray', () => new Uint8ClampedArray(32)],
  ['Int32Array', () => new Int32Array(8)],
  ['DataView', () => new DataView(new ArrayBuffer(8))],
  ['ArrayBuffer', () => new ArrayBuffer(32)],
  ['array-like bytes', () => ({ length: 3, 0: 1, 1: 2, 2: 3 })],
  ['number array', () => [1, 2, 3]],
  ['fake SDK object', () => Object.create(pickClassPrototype())],
];

let classPrototypes = [];
let classPick = 0;
function pickClassPrototype() {
  if (classPrototypes.length === 0) return Object.prototype;
  classPick = (classPick + 1) % classPrototypes.length;
  return classPrototypes[classPick];
}

/** Shapes that transform a valid value: [name, factory(valid value)]. */
export const TRANSFORMS = [
  ['changing getter (valid, then hostile)', (valid) => changing(valid)],
  ['transparent watched Proxy', (valid) => (isObject(valid) ? watchedProxy(valid) : valid)],
  ['Proxy throwing on 2nd get', (valid) => (isObject(valid) ? throwOnNth(valid, 2) : valid)],
  ['Proxy throwing on ownKeys', (valid) => (isObject(valid) ? proxyThrowingOn(valid, ['ownKeys']) : valid)],
  ['frozen copy', (valid) => (isObject(valid) && !ArrayBuffer.isView(valid) ? Object.freeze(Array.isArray(valid) ? [...valid] : { ...valid }) : valid)],
  ['valid bytes on a SharedArrayBuffer', (valid) => (valid instanceof Uint8Array ? onShared(valid) : valid)],
  ['valid bytes as an offset subarray', (valid) => (valid instanceof Uint8Array ? offsetView(valid) : valid)],
  ['Buffer', (valid) => (valid instanceof Uint8Array ? Buffer.from(valid) : valid)],
  ['extra unknown field', (valid) => (isPlain(valid) ? { ...valid, unexpectedField: 1 } : valid)],
];

function isObject(v) {
  return typeof v === 'object' && v !== null;
}
function isPlain(v) {
  return isObject(v) && Object.getPrototypeOf(v) === Object.prototype;
}
function onShared(bytes) {
  const shared = new Uint8Array(new SharedArrayBuffer(bytes.length));
  shared.set(bytes);
  return shared;
}
function offsetView(bytes) {
  const big = new Uint8Array(bytes.length + 16).fill(0xee);
  big.set(bytes, 7);
  return big.subarray(7, 7 + bytes.length);
}
function throwOnNth(target, n) {
  let count = 0;
  return new Proxy(target, {
    get(t, k, r) {
      if (++count >= n) {
        watch('nth get');
        throw new Boom('nth get');
      }
      return Reflect.get(t, k, r);
    },
  });
}
/** An object with a getter for the value: valid the first time it is read, hostile afterwards. */
function changing(valid) {
  let reads = 0;
  const holder = {};
  Object.defineProperty(holder, 'value', {
    enumerable: true,
    get() {
      watch('changing getter');
      return reads++ === 0 ? valid : { evil: true, toString() { throw new Boom('late'); } };
    },
  });
  return holder;
}

/** Paths (arrays of keys) to every field of a valid argument, SDK objects and bytes excluded. */
function pathsOf(value, prefix = [], out = [], depth = 0) {
  if (depth > 6 || !isObject(value) || ArrayBuffer.isView(value) || !(Array.isArray(value) || isPlain(value))) return out;
  for (const key of Object.keys(value)) {
    out.push([...prefix, key]);
    pathsOf(value[key], [...prefix, key], out, depth + 1);
  }
  return out;
}

/** A copy of `root` (plain objects and arrays copied along the path) with the field at `path`
 * replaced by `make(old)`; `getter` installs it as a getter instead (changing value). */
function replaceAt(root, path, make, asGetter) {
  if (path.length === 0) return make(root);
  const copy = Array.isArray(root) ? [...root] : { ...root };
  const [key, ...rest] = path;
  if (rest.length > 0) {
    copy[key] = replaceAt(root[key], rest, make, asGetter);
    return copy;
  }
  if (asGetter) {
    const old = root[key];
    let reads = 0;
    Object.defineProperty(copy, key, {
      enumerable: true,
      configurable: true,
      get() {
        watch(`getter ${key}`);
        if (asGetter === 'throw-later' && reads++ > 0) throw new Boom(`getter ${key}`);
        if (asGetter === 'throw') throw new Boom(`getter ${key}`);
        return reads++ === 0 ? old : make(old);
      },
    });
    return copy;
  }
  copy[key] = make(root[key]);
  return copy;
}

/** The fast-check arbitrary of one hostile mutation of a valid call. */
export const mutationArb = fc.record({
  strategy: fc.constantFrom('replace-argument', 'replace-field', 'getter-field', 'transform-argument', 'transform-field', 'anything-argument', 'fake-this', 'missing-arguments'),
  argPick: fc.nat(),
  pathPick: fc.nat(),
  replacement: fc.nat({ max: REPLACEMENTS.length - 1 }),
  transform: fc.nat({ max: TRANSFORMS.length - 1 }),
  getterMode: fc.constantFrom('change', 'throw', 'throw-later'),
  anything: fc.anything({ withBigInt: true, withNullPrototype: true, withTypedArray: true, withSparseArray: true, withBoxedValues: true, maxDepth: 3 }),
});

/** Applies `m` to a valid argument list: the arguments to call with, and a description. */
function mutate(args, m) {
  const index = args.length === 0 ? 0 : m.argPick % args.length;
  const [replacementName, replacement] = REPLACEMENTS[m.replacement];
  const [transformName, transform] = TRANSFORMS[m.transform];
  const out = [...args];
  switch (m.strategy) {
    case 'replace-argument':
      out[index] = replacement(args[index]);
      return { args: out, what: `argument ${index} := ${replacementName}` };
    case 'anything-argument':
      out[index] = m.anything;
      return { args: out, what: `argument ${index} := fc.anything()` };
    case 'transform-argument':
      out[index] = transform(args[index]);
      return { args: out, what: `argument ${index} := ${transformName}` };
    case 'missing-arguments':
      return { args: args.slice(0, index), what: `only ${index} arguments` };
    case 'fake-this':
      return { args: out, what: 'a fake receiver', fakeThis: true };
    default: {
      const paths = pathsOf(args[index]);
      if (paths.length === 0) {
        out[index] = replacement(args[index]);
        return { args: out, what: `argument ${index} := ${replacementName}` };
      }
      const path = paths[m.pathPick % paths.length];
      const at = `argument ${index} .${path.join('.')}`;
      if (m.strategy === 'getter-field') {
        out[index] = replaceAt(args[index], path, replacement, m.getterMode);
        return { args: out, what: `${at} := getter (${m.getterMode}) then ${replacementName}` };
      }
      if (m.strategy === 'transform-field') {
        out[index] = replaceAt(args[index], path, transform, false);
        return { args: out, what: `${at} := ${transformName}` };
      }
      out[index] = replaceAt(args[index], path, replacement, false);
      return { args: out, what: `${at} := ${replacementName}` };
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Canaries

const canaryTrusted = sdk.keyPairFromSecret('EdDSA', new Uint8Array(32).fill(2));
const canaryUntrusted = sdk.keyPairFromSecret('EdDSA', new Uint8Array(32).fill(9));
const canarySeal = (pair) =>
  sdk.sealEnvelope({ type: 't.x', version: 1, keyId: 'a', seq: 1n, issuedAt: 0, expiresAt: 9, payload: new Uint8Array([7]), algorithm: 'EdDSA', secretKey: pair.secretKey });
const canaryGenuine = canarySeal(canaryTrusted);
const canaryForged = canarySeal(canaryUntrusted);
const canaryOptions = { trustedKeys: [{ keyId: 'a', algorithm: 'EdDSA', publicKey: canaryTrusted.publicKey }], now: 1, expectedType: 't.x' };
const canaryJpy = JSON.stringify(sdk.currency('JPY'));
const SHA256_ABC = 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad';

/** Throws unless the SDK still answers correctly. */
export function checkCanaries(after) {
  assert.equal(sdk.isInitialized(), true, `the instance trapped after ${after}`);
  const forged = sdk.openEnvelope(canaryForged, canaryOptions);
  assert.equal(forged.ok, false, `a forged envelope was accepted after ${after}`);
  assert.equal(forged.code, 'BAD_SIGNATURE', `forged envelope code after ${after}`);
  assert.deepEqual(Object.keys(forged).sort(), ['code', 'ok'], `forged envelope answer shape after ${after}`);
  const genuine = sdk.openEnvelope(canaryGenuine, canaryOptions);
  assert.equal(genuine.ok, true, `a genuine envelope was refused after ${after}`);
  assert.deepEqual([...genuine.payload], [7]);
  assert.equal(Buffer.from(sdk.sha256(new TextEncoder().encode('abc'))).toString('hex'), SHA256_ABC, `sha256 after ${after}`);
  assert.equal(JSON.stringify(sdk.currency('JPY')), canaryJpy, `currency after ${after}`);
  assert.equal(sdk.Amount.parse('1.10', 'EUR').add(sdk.Amount.parse('1.10', 'EUR')).toString(), '2.20');
}

// ---------------------------------------------------------------------------------------------
// Entry points

/** Exports that are not entry points into wasm: the error classes (plain JS, any message). */
export const NOT_ENTRY_POINTS = new Set(['CountersignError', 'CountersignTypeError', 'CountersignRangeError']);

function isClass(value) {
  return typeof value === 'function' && /^class\b/.test(Function.prototype.toString.call(value));
}

function wellKnownName(symbol) {
  return Object.getOwnPropertyNames(Symbol).find((k) => Symbol[k] === symbol) ?? symbol.description;
}

/** Every entry point of `api` (the package's exports) by the naming of README.md. */
export function entryPoints(api) {
  const names = [];
  for (const [name, value] of Object.entries(api)) {
    if (NOT_ENTRY_POINTS.has(name)) continue;
    if (isClass(value)) {
      names.push(`new ${name}`);
      for (const key of Object.getOwnPropertyNames(value)) {
        if (['length', 'name', 'prototype'].includes(key)) continue;
        if (typeof Object.getOwnPropertyDescriptor(value, key).value === 'function') names.push(`${name}.${key}`);
      }
      for (const key of Object.getOwnPropertyNames(value.prototype)) if (key !== 'constructor') names.push(`${name}#${key}`);
      for (const key of Object.getOwnPropertySymbols(value.prototype)) names.push(`${name}#[Symbol.${wellKnownName(key)}]`);
    } else if (typeof value === 'function') {
      names.push(name);
    } else if (isObject(value) && !Array.isArray(value) && Object.values(value).some((v) => typeof v === 'function')) {
      for (const [key, member] of Object.entries(value)) if (typeof member === 'function') names.push(`${name}.${key}`);
    }
  }
  return names.sort();
}

/** The callable behind an entry point name: (receiver, args, thisOverride?) => result. */
export function invoker(api, name) {
  if (name.startsWith('new ')) {
    const cls = api[name.slice(4)];
    return (_receiver, args) => new cls(...args);
  }
  const hash = name.indexOf('#');
  if (hash > 0) {
    const cls = api[name.slice(0, hash)];
    const member = name.slice(hash + 1);
    const key = member.startsWith('[Symbol.') ? Symbol[member.slice(8, -1)] : member;
    const descriptor = Object.getOwnPropertyDescriptor(cls.prototype, key);
    if (descriptor.get) return (receiver, args, self) => Reflect.apply(descriptor.get, self ?? receiver, []);
    return (receiver, args, self) => Reflect.apply(descriptor.value, self ?? receiver, args);
  }
  const dot = name.indexOf('.');
  if (dot > 0) {
    const owner = api[name.slice(0, dot)];
    const fn = owner[name.slice(dot + 1)];
    return (_receiver, args) => Reflect.apply(fn, owner, args);
  }
  const fn = api[name];
  return (_receiver, args) => Reflect.apply(fn, undefined, args);
}

export function setClassPrototypes(api) {
  classPrototypes = Object.values(api).filter(isClass).map((cls) => cls.prototype);
}

// ---------------------------------------------------------------------------------------------
// The runner

function checkThrown(err, name, what) {
  // INTERNAL means "a fault input should never cause": hostile input must not reach one.
  const ok = err instanceof sdk.CountersignError && sdk.ERROR_CODES.includes(err.code) && err.code !== 'INTERNAL';
  if (!ok) {
    const detail = err instanceof Error ? `${err.constructor.name} ${err.code ?? ''}: ${err.message}` : String(err);
    assert.fail(`${name} with ${what} threw something that is not a CountersignError with a listed code (other than INTERNAL): ${detail}`);
  }
  // A path (`order.tariff.unitPrice`, `operations[3].request`) is named once, where the message
  // is composed: never repeated by a layer that re-labelled it ("order.maximum: order.maximum: …").
  if (typeof err.param === 'string' && /[.[]/.test(err.param)) {
    const times = err.message.split(err.param).length - 1;
    assert.ok(times <= 1, `${name} with ${what}: the message repeats the path ${err.param}: ${err.message}`);
  }
}

async function settle(fn) {
  try {
    const value = fn();
    // An async entry point must reject, never throw: a returned promise is awaited here.
    return { value: value instanceof Promise ? await value : value, threw: false, sync: true };
  } catch (err) {
    return { err, threw: true, sync: true };
  }
}

/**
 * Runs the hostile calls of one entry point: `spec` is its target (README.md). Returns the
 * number of calls made.
 */
export async function runEntryPoint(api, name, spec) {
  const call = invoker(api, name);
  const isMember = name.includes('#');
  const cls = isMember ? api[name.slice(0, name.indexOf('#'))] : undefined;
  let receiver;
  let receiverState;
  const fresh = async () => {
    receiver = await spec.receiver();
    receiverState = await spec.state(receiver);
  };
  if (isMember) {
    assert.equal(typeof spec.receiver, 'function', `${name}: a receiver() is needed`);
    assert.equal(typeof spec.state, 'function', `${name}: a state() is needed`);
    await fresh();
  }
  // The valid call works (so the mutations start from something meaningful).
  const argsOf = () => (spec.argsFor ? spec.argsFor(receiver) : spec.args());
  const valid = await settle(() => call(receiver, argsOf()));
  if (valid.threw) checkThrown(valid.err, name, 'its valid arguments');
  if (isMember) await fresh();

  const started = Date.now();
  let calls = 1;
  await fc.assert(
    fc.asyncProperty(mutationArb, async (m) => {
      if (Date.now() - started > TIME_PER_ENTRY_POINT_MS) return; // bounded in time
      calls += 1;
      const { args, what, fakeThis } = mutate(argsOf(), m);
      let self;
      if (fakeThis) {
        self = calls % 2 === 0 && cls ? Object.create(cls.prototype) : new Proxy(receiver ?? {}, {});
        if (!isMember) self = undefined;
      }
      const before = violations.length;
      const outcome = await settle(() => call(receiver, args, self));
      assert.equal(violations.length, before, `${name} with ${what}: caller code ran while wasm was on the stack:\n${violations.at(-1)}`);
      if (outcome.threw) checkThrown(outcome.err, name, what);
      else if (outcome.value instanceof Promise) assert.fail(`${name} returned a nested promise`);
      if (isMember && self !== undefined) {
        assert.ok(outcome.threw && outcome.err.code === 'INVALID_TYPE', `${name} accepted a fake receiver`);
      }
      await spec.after?.();
      checkCanaries(`${name} with ${what}`);
      if (isMember) {
        if (outcome.threw || self !== undefined) {
          assert.deepEqual(await spec.state(receiver), receiverState, `${name} with ${what}: a refused call changed the state`);
        } else if (spec.consumes) {
          const after = await settle(() => spec.state(receiver));
          if (after.threw) checkThrown(after.err, `${name} (the consumed receiver)`, what);
          await fresh();
        } else {
          await spec.state(receiver); // still answers
          await fresh();
        }
      }
    }),
    { seed: SEED, numRuns: RUNS_PER_ENTRY_POINT, endOnFailure: true },
  );
  return calls;
}
