// The hostile-input suite (README.md beside this file): every entry point of the package, with
// hostile arguments, checked for typed errors, no trap, canaries and unchanged state.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { Server } from 'node:http';
import * as sdk from '@countersign/sdk';
import { RUNS_PER_ENTRY_POINT, entryPoints, runEntryPoint, setClassPrototypes, violations } from './harness.mjs';

// A server role started with hostile options may listen (a variant that drops a router's
// `callbacks: false` opens its callback server on a free port): nothing closes a receiver the
// harness made, so every server that listened is closed when the suite ends, or the process
// would never exit.
const listened = new Set();
const listen = Server.prototype.listen;
Server.prototype.listen = function recordListen(...args) {
  listened.add(this);
  return listen.apply(this, args);
};
after(() => {
  for (const server of listened) {
    server.closeAllConnections();
    server.close();
  }
});

const targetsDir = new URL('./targets/', import.meta.url);
const targets = {};
for (const file of readdirSync(targetsDir).filter((f) => f.endsWith('.mjs')).sort()) {
  const module = await import(new URL(file, targetsDir).href);
  for (const [name, spec] of Object.entries(module.targets)) {
    assert.ok(!(name in targets), `${name} has two targets`);
    targets[name] = { ...spec, file };
  }
}
setClassPrototypes(sdk);
const names = entryPoints(sdk);

test('every entry point of the package has a hostile-input target, and every target an entry point', () => {
  const missing = names.filter((n) => !(n in targets));
  const stale = Object.keys(targets).filter((n) => !names.includes(n));
  assert.deepEqual(missing, [], `entry points without a target in sdk-ts/test/hostile/targets/: ${missing.join(', ')}`);
  assert.deepEqual(stale, [], `targets naming no entry point: ${stale.join(', ')}`);
  assert.ok(names.length > 150, `only ${names.length} entry points found`);
});

test('exported constant arrays cannot be changed by a caller', () => {
  for (const [name, value] of Object.entries(sdk)) {
    if (Array.isArray(value)) assert.ok(Object.isFrozen(value), `${name} is not frozen`);
  }
});

const counts = [];
for (const name of names) {
  if (!(name in targets)) continue;
  test(`hostile: ${name}`, async () => {
    const calls = await runEntryPoint(sdk, name, targets[name]);
    counts.push([name, calls]);
  });
}

test('summary', () => {
  assert.deepEqual(violations, []);
  const total = counts.reduce((s, [, c]) => s + c, 0);
  const least = counts.reduce((m, [, c]) => Math.min(m, c), Infinity);
  console.log(`hostile-input suite: ${counts.length} entry points, ${total} calls (${least} to ${RUNS_PER_ENTRY_POINT + 1} per entry point), canaries checked after each`);
});
