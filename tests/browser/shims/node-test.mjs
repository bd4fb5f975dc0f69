// `node:test` for the vector tests in a page: `test` registers, `run()` runs them in order and
// reports each result; hooks run around them as node:test would.
const tests = [];
const afters = [];
const befores = [];

export function test(name, options, fn) {
  tests.push({ name, fn: typeof options === 'function' ? options : fn });
}
export const it = test;
export function describe(name, fn) {
  fn();
}
export function before(fn) {
  befores.push(fn);
}
export function after(fn) {
  afters.push(fn);
}

/** Runs every registered test; resolves to [{ name, ok, error }]. */
export async function run() {
  const results = [];
  for (const fn of befores) await fn();
  for (const { name, fn } of tests) {
    try {
      await fn({ name });
      results.push({ name, ok: true });
    } catch (error) {
      results.push({ name, ok: false, error: `${error?.name}: ${error?.message}` });
    }
  }
  for (const fn of afters) await fn();
  return results;
}

export default test;
