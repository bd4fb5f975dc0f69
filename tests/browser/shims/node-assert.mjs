// `node:assert/strict` for the vector tests in a page: the subset they use, with node's strict
// semantics (Object.is for equal; deepStrictEqual compares prototypes, own enumerable keys and
// typed-array contents). A failure throws an AssertionError naming what differed.
export class AssertionError extends Error {
  constructor(message) {
    super(message);
    this.name = 'AssertionError';
  }
}

const DEPTH_MAX = 200;

function show(value) {
  try {
    return JSON.stringify(value, (_, v) => (typeof v === 'bigint' ? `${v}n` : ArrayBuffer.isView(v) ? `<${v.constructor.name} ${Array.from(v).join(',')}>` : v))?.slice(0, 300);
  } catch {
    return String(value);
  }
}

function deepStrict(a, b, depth) {
  if (Object.is(a, b)) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (depth > DEPTH_MAX) throw new AssertionError('deepEqual: nesting too deep');
  if (Object.getPrototypeOf(a) !== Object.getPrototypeOf(b)) return false;
  if (ArrayBuffer.isView(a)) {
    if (a.byteLength !== b.byteLength) return false;
    const x = new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
    const y = new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
    for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
    return true;
  }
  if (a instanceof Date) return Object.is(a.getTime(), b.getTime());
  if (a instanceof Map || a instanceof Set) {
    if (a.size !== b.size) return false;
    const ea = [...a.entries()];
    const eb = [...b.entries()];
    return ea.every(([k, v], i) => deepStrict(k, eb[i][0], depth + 1) && deepStrict(v, eb[i][1], depth + 1));
  }
  if (a instanceof Error && (a.message !== b.message || a.name !== b.name)) return false;
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  for (const k of ka) {
    if (!Object.prototype.hasOwnProperty.call(b, k)) return false;
    if (!deepStrict(a[k], b[k], depth + 1)) return false;
  }
  return true;
}

function fail(message, fallback) {
  if (message instanceof Error) throw message;
  throw new AssertionError(message ?? fallback);
}

export function ok(value, message) {
  if (!value) fail(message, `expected a truthy value, got ${show(value)}`);
}
export function equal(actual, expected, message) {
  if (!Object.is(actual, expected)) fail(message, `expected ${show(expected)}, got ${show(actual)}`);
}
export function notEqual(actual, expected, message) {
  if (Object.is(actual, expected)) fail(message, `expected a value other than ${show(expected)}`);
}
export function deepEqual(actual, expected, message) {
  if (!deepStrict(actual, expected, 0)) fail(message, `expected ${show(expected)}, got ${show(actual)}`);
}
export function notDeepEqual(actual, expected, message) {
  if (deepStrict(actual, expected, 0)) fail(message, `expected a value other than ${show(expected)}`);
}
export function match(text, pattern, message) {
  if (typeof text !== 'string' || !pattern.test(text)) fail(message, `${show(text)} does not match ${pattern}`);
}
export function doesNotMatch(text, pattern, message) {
  if (typeof text === 'string' && pattern.test(text)) fail(message, `${show(text)} matches ${pattern}`);
}

function checkThrown(error, expected, message) {
  if (expected === undefined) return;
  if (typeof expected === 'function') {
    // As node: a class matches by instanceof; an Error class that does not match fails; any
    // other function is a validator that must return true.
    if (expected.prototype !== undefined && error instanceof expected) return;
    if (expected === Error || Error.isPrototypeOf(expected)) fail(message, `the thrown ${error?.name} is not a ${expected.name}`);
    if (expected.call({}, error) !== true) fail(message, 'the validator did not return true');
    return;
  }
  if (expected instanceof RegExp) {
    if (!expected.test(String(error?.message ?? error))) fail(message, `${error?.message} does not match ${expected}`);
    return;
  }
  if (typeof expected === 'object' && expected !== null) {
    for (const [k, v] of Object.entries(expected)) {
      const got = error?.[k];
      if (v instanceof RegExp ? !v.test(String(got)) : !deepStrict(got, v, 0)) fail(message, `thrown ${k}: expected ${show(v)}, got ${show(got)}`);
    }
  }
}

export function throws(fn, expected, message) {
  if (typeof expected === 'string') [expected, message] = [undefined, expected];
  try {
    fn();
  } catch (error) {
    checkThrown(error, expected, message);
    return;
  }
  fail(message, 'expected a throw');
}
export async function rejects(promiseOrFn, expected, message) {
  if (typeof expected === 'string') [expected, message] = [undefined, expected];
  try {
    await (typeof promiseOrFn === 'function' ? promiseOrFn() : promiseOrFn);
  } catch (error) {
    checkThrown(error, expected, message);
    return;
  }
  fail(message, 'expected a rejection');
}
export function doesNotThrow(fn, message) {
  try {
    fn();
  } catch (error) {
    fail(message, `unexpected throw: ${error?.message}`);
  }
}
export { fail as failWith };
export const strictEqual = equal;
export const deepStrictEqual = deepEqual;

function assert(value, message) {
  ok(value, message);
}
Object.assign(assert, {
  ok, equal, notEqual, deepEqual, notDeepEqual, match, doesNotMatch, throws, rejects, doesNotThrow,
  strictEqual, deepStrictEqual, AssertionError,
  fail: (message) => fail(message, 'failed'),
});
export default assert;
