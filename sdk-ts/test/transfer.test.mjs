// TransferResolver's directory lookups (the SDK's part of alias resolution): the answer is
// cached for its TTL (an injected clock), a "not known" answer too, a failure or a timeout is
// `directory-unavailable` and is not cached, concurrent resolutions of one alias share one
// directory call, the cache keeps at most cacheEntriesMax answers (the oldest goes first); and
// bad arguments are refused with errors naming the parameter.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TransferResolver, transferGenerate, transferParse } from '@countersign/sdk';

const rules = {
  providers: [
    { id: 'mm', endpoint: 'http://127.0.0.1:9000/mm', format: 'fspiop-quote' },
    { id: 'bank-a', endpoint: 'http://127.0.0.1:9000/a', format: 'pain.001.001.09' },
  ],
  rules: [{ id: 'de', kind: 'iban', provider: 'bank-a', country: 'DE' }],
};

function directory(answers) {
  const calls = [];
  const fn = async (lookup) => {
    calls.push(lookup.alias);
    const a = answers[lookup.alias];
    if (a instanceof Error) throw a;
    if (typeof a === 'function') return a();
    return a === undefined ? null : a;
  };
  return { fn, calls };
}

test('an alias is looked up once, then answered from the cache until its TTL', async () => {
  let now = 1_000;
  const d = directory({ '+442079460958': 'mm' });
  const r = TransferResolver.create(rules, { directory: d.fn, cacheTtlMs: 500, now: () => now });
  try {
    assert.equal(r.resolve('+44 20 7946 0958').code, 'needs-lookup');
    const a = await r.resolveWithDirectory('+44 20 7946 0958');
    assert.deepEqual([a.code, a.provider, a.rule, a.format], ['resolved', 'mm', 'directory', 'fspiop-quote']);
    assert.equal(a.trace.at(-2), 'directory: the alias is held by mm');
    const b = await r.resolveWithDirectory('+442079460958');
    assert.equal(b.provider, 'mm');
    assert.equal(b.trace.at(-1), 'directory: answered from the cache');
    assert.deepEqual(d.calls, ['+442079460958']);
    now += 500; // expired
    await r.resolveWithDirectory('+442079460958');
    assert.deepEqual(d.calls, ['+442079460958', '+442079460958']);
    // A non-alias never reaches the directory.
    assert.equal((await r.resolveWithDirectory('DE89370400440532013000')).provider, 'bank-a');
    assert.equal(d.calls.length, 2);
  } finally {
    r.free();
  }
});

test('"not known" is cached; a failure, a wrong answer and a timeout are directory-unavailable and not cached', async () => {
  const d = directory({
    'nobody@example.com': null,
    'broken@example.com': new Error('oracle down'),
    'odd@example.com': () => 42,
    'slow@example.com': () => new Promise((resolve) => setTimeout(() => resolve('mm'), 200)),
  });
  const r = TransferResolver.create(rules, { directory: d.fn, timeoutMs: 50 });
  try {
    assert.equal((await r.resolveWithDirectory('nobody@example.com')).code, 'not-found');
    assert.equal((await r.resolveWithDirectory('nobody@example.com')).code, 'not-found');
    const failed = await r.resolveWithDirectory('broken@example.com');
    assert.equal(failed.code, 'directory-unavailable');
    assert.equal(failed.trace.at(-1), 'directory: the directory failed (oracle down)');
    const odd = await r.resolveWithDirectory('odd@example.com');
    assert.equal(odd.code, 'directory-unavailable');
    const slow = await r.resolveWithDirectory('slow@example.com');
    assert.deepEqual([slow.code, slow.trace.at(-1)], ['directory-unavailable', 'directory: no answer within 50 ms']);
    assert.equal(r.cacheSize, 1, 'only the "not known" answer is cached');
    await r.resolveWithDirectory('broken@example.com');
    assert.deepEqual(d.calls.filter((c) => c === 'broken@example.com').length, 2);
  } finally {
    r.free();
  }
});

test('concurrent resolutions of one alias share one call; the cache keeps cacheEntriesMax answers', async () => {
  let release;
  const gate = new Promise((resolve) => (release = resolve));
  const d = directory({ 'a@example.com': () => gate.then(() => 'mm'), 'b@example.com': 'mm', 'c@example.com': 'mm' });
  const r = TransferResolver.create(rules, { directory: d.fn, cacheEntriesMax: 2 });
  try {
    const both = Promise.all([r.resolveWithDirectory('a@example.com'), r.resolveWithDirectory('a@example.com')]);
    release();
    const [x, y] = await both;
    assert.deepEqual([x.provider, y.provider], ['mm', 'mm']);
    assert.deepEqual(d.calls, ['a@example.com']);
    await r.resolveWithDirectory('b@example.com');
    await r.resolveWithDirectory('c@example.com'); // a@ is the oldest and goes
    assert.equal(r.cacheSize, 2);
    await r.resolveWithDirectory('a@example.com');
    assert.deepEqual(d.calls, ['a@example.com', 'b@example.com', 'c@example.com', 'a@example.com']);
    r.clearCache();
    assert.equal(r.cacheSize, 0);
  } finally {
    r.free();
  }
});

test('bad arguments are refused naming the parameter', () => {
  assert.throws(() => TransferResolver.create({ ...rules, rules: [{ id: 'x', kind: 'card', provider: 'mm', binFrom: '4' }] }), (e) => e.param === 'rules.rules[0].binTo');
  assert.throws(() => TransferResolver.create(rules, { timeoutMs: 0 }), (e) => e.param === 'options.timeoutMs');
  assert.throws(() => TransferResolver.create(rules, { directory: 'x' }), (e) => e.param === 'options.directory');
  assert.throws(() => TransferResolver.create(rules, { cache: 1 }), (e) => e.param === 'options.cache');
  assert.throws(() => transferGenerate('pain.001', {}), (e) => e.param === 'format');
  assert.throws(() => transferParse('plain-json', '{"messageId": 1}'), (e) => e.code === 'INVALID_ARGUMENT' && e.param === 'text');
});
