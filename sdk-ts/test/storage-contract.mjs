// The storage adapter contract (sdk-ts/src/storage/types.ts), as one suite that runs against every
// implementation: MemoryStorage and FileStorage in Node (storage.test.mjs), IndexedDbStorage in
// headless Chromium (tests/browser/storage.test.mjs, which imports this file from /sdk/test/).
// No Node or browser API here: only the adapter and the tiny assertion helpers below.

// Relative to this file, the same path in Node (sdk-ts/test/) and in the browser (/sdk/test/).
import {
  STORAGE_INDEX_KEY_LENGTH_MAX_CHARS,
  STORAGE_INDEX_ROWS_MAX,
  STORAGE_INDEX_VALUE_BYTES_MAX,
  STORAGE_KEY_LENGTH_MAX_CHARS,
  STORAGE_LIST_KEYS_MAX,
  STORAGE_LOG_READ_RECORDS_MAX,
  STORAGE_LOG_RECORD_BYTES_MAX,
  STORAGE_VALUE_BYTES_MAX,
} from '../dist/storage/types.js';

export const STORAGE_LIMITS = Object.freeze({
  keyLengthMaxChars: STORAGE_KEY_LENGTH_MAX_CHARS,
  valueBytesMax: STORAGE_VALUE_BYTES_MAX,
  logRecordBytesMax: STORAGE_LOG_RECORD_BYTES_MAX,
  listKeysMax: STORAGE_LIST_KEYS_MAX,
  logReadRecordsMax: STORAGE_LOG_READ_RECORDS_MAX,
});

class ContractFailure extends Error {}

function fail(message) {
  throw new ContractFailure(message);
}

function show(value) {
  if (value instanceof Uint8Array) return `Uint8Array[${Array.from(value.subarray(0, 16)).join(',')}${value.length > 16 ? ',...' : ''}] (${value.length})`;
  try {
    return JSON.stringify(value);
  } catch {
    return String(value);
  }
}

function equal(actual, expected, what) {
  if (!Object.is(actual, expected)) fail(`${what}: expected ${show(expected)}, got ${show(actual)}`);
}

function sameBytes(actual, expected, what) {
  if (!(actual instanceof Uint8Array)) fail(`${what}: expected a Uint8Array, got ${show(actual)}`);
  if (actual.length !== expected.length || actual.some((b, i) => b !== expected[i])) {
    fail(`${what}: expected ${show(expected)}, got ${show(actual)}`);
  }
}

function sameJson(actual, expected, what) {
  if (JSON.stringify(actual) !== JSON.stringify(expected)) fail(`${what}: expected ${show(expected)}, got ${show(actual)}`);
}

/** Awaits `fn()` and checks it threw an SDK error of this kind ('TypeError' | 'RangeError'), code and param. */
async function rejects(fn, kind, code, param, what) {
  let thrown;
  try {
    await fn();
  } catch (err) {
    thrown = err;
  }
  if (thrown === undefined) fail(`${what}: expected a ${kind}, nothing was thrown`);
  const ctor = kind === 'TypeError' ? TypeError : RangeError;
  if (!(thrown instanceof ctor)) fail(`${what}: expected a ${kind}, got ${thrown?.name}: ${thrown?.message}`);
  equal(thrown.code, code, `${what}: code`);
  equal(thrown.param, param, `${what}: param`);
}

const bytes = (...values) => new Uint8Array(values);
const text = (s) => new TextEncoder().encode(s);

/** Each case gets a fresh, empty storage. */
export const storageContract = [
  {
    name: 'an empty store: get → null, list → [], readLog → []',
    async run(storage) {
      equal(await storage.get('card/1'), null, 'get of a missing key');
      sameJson(await storage.list(), [], 'list()');
      sameJson(await storage.list('card/'), [], 'list(prefix)');
      sameJson(await storage.readLog('journal'), [], 'readLog of a missing log');
    },
  },
  {
    name: 'put creates at version 1; get returns the value and version as copies',
    async run(storage) {
      const value = bytes(1, 2, 3);
      sameJson(await storage.put('card/1', value, null), { ok: true, version: 1 }, 'first put');
      value[0] = 99; // the caller's buffer is the caller's
      const got = await storage.get('card/1');
      equal(got.version, 1, 'version');
      sameBytes(got.value, bytes(1, 2, 3), 'value');
      got.value[1] = 99; // and so is what get returns
      sameBytes((await storage.get('card/1')).value, bytes(1, 2, 3), 'value after mutating a copy');
    },
  },
  {
    name: 'compare-and-swap: each put bumps the version; a stale, absent or wrong version is a VERSION_CONFLICT that writes nothing',
    async run(storage) {
      sameJson(await storage.put('k', text('one'), 0), { ok: true, version: 1 }, 'create with expectedVersion 0');
      sameJson(await storage.put('k', text('two'), 1), { ok: true, version: 2 }, 'update from 1');
      sameJson(await storage.put('k', text('three'), 2), { ok: true, version: 3 }, 'update from 2');
      sameJson(await storage.put('k', text('stale'), 2), { ok: false, code: 'VERSION_CONFLICT', currentVersion: 3 }, 'stale version');
      sameJson(await storage.put('k', text('new'), null), { ok: false, code: 'VERSION_CONFLICT', currentVersion: 3 }, 'create over an existing key');
      sameJson(await storage.put('k', text('ahead'), 4), { ok: false, code: 'VERSION_CONFLICT', currentVersion: 3 }, 'version from the future');
      sameJson(await storage.put('absent', text('x'), 1), { ok: false, code: 'VERSION_CONFLICT', currentVersion: 0 }, 'update of a missing key');
      const got = await storage.get('k');
      equal(got.version, 3, 'version after conflicts');
      sameBytes(got.value, text('three'), 'value after conflicts');
      equal(await storage.get('absent'), null, 'a conflict creates nothing');
    },
  },
  {
    name: 'concurrent puts with the same expected version: exactly one wins, the value is the winner\'s',
    async run(storage) {
      await storage.put('race', text('v1'), null);
      const writers = 12;
      const results = await Promise.all(
        Array.from({ length: writers }, (_, i) => storage.put('race', text(`writer-${i}`), 1)),
      );
      const winners = results.map((r, i) => (r.ok ? i : -1)).filter((i) => i >= 0);
      equal(winners.length, 1, 'number of winners');
      for (const r of results) if (!r.ok) equal(r.currentVersion, 2, 'loser sees the winner\'s version');
      const got = await storage.get('race');
      equal(got.version, 2, 'version');
      sameBytes(got.value, text(`writer-${winners[0]}`), 'value is the winner\'s');
    },
  },
  {
    name: 'no lost update: concurrent read-modify-write loops with retry count every increment',
    async run(storage) {
      const loops = 4;
      const rounds = 10;
      const increment = async () => {
        for (let i = 0; i < rounds; i += 1) {
          for (;;) {
            const current = await storage.get('counter');
            const n = current === null ? 0 : Number(new TextDecoder().decode(current.value));
            const result = await storage.put('counter', text(String(n + 1)), current?.version ?? null);
            if (result.ok) break;
          }
        }
      };
      await Promise.all(Array.from({ length: loops }, increment));
      const got = await storage.get('counter');
      equal(new TextDecoder().decode(got.value), String(loops * rounds), 'counter');
      equal(got.version, loops * rounds, 'version');
    },
  },
  {
    name: 'empty and large values round-trip',
    async run(storage) {
      sameJson(await storage.put('empty', new Uint8Array(0), null), { ok: true, version: 1 }, 'empty put');
      sameBytes((await storage.get('empty')).value, new Uint8Array(0), 'empty value');
      const big = new Uint8Array(1024 * 1024 + 3).map((_, i) => (i * 31 + 7) & 0xff);
      await storage.put('big', big, null);
      sameBytes((await storage.get('big')).value, big, '1 MiB value');
    },
  },
  {
    name: 'append numbers each log 1, 2, 3 ...; readLog pages by after/limit; logs and keys are separate',
    async run(storage) {
      equal(await storage.append('journal', text('a')), 1, 'first append');
      equal(await storage.append('journal', text('b')), 2, 'second append');
      equal(await storage.append('other', text('x')), 1, 'another log starts at 1');
      equal(await storage.append('journal', new Uint8Array(0)), 3, 'an empty record');
      equal(await storage.append('journal', text('d')), 4, 'fourth append');
      const all = await storage.readLog('journal');
      sameJson(all.map((r) => r.seq), [1, 2, 3, 4], 'seqs');
      sameJson(all.map((r) => new TextDecoder().decode(r.record)), ['a', 'b', '', 'd'], 'records');
      sameJson((await storage.readLog('journal', { after: 2 })).map((r) => r.seq), [3, 4], 'after 2');
      sameJson((await storage.readLog('journal', { after: 1, limit: 2 })).map((r) => r.seq), [2, 3], 'after 1, limit 2');
      sameJson(await storage.readLog('journal', { after: 4 }), [], 'after the end');
      sameJson((await storage.readLog('other')).map((r) => r.seq), [1], 'other log');
      equal(await storage.get('journal'), null, 'a log is not a key');
      sameJson(await storage.list(), [], 'logs are not listed as keys');
      const record = text('mutable');
      await storage.append('copies', record);
      record[0] = 0;
      sameBytes((await storage.readLog('copies'))[0].record, text('mutable'), 'appended bytes are copied');
    },
  },
  {
    name: 'concurrent appends get distinct, consecutive sequence numbers',
    async run(storage) {
      const count = 25;
      const seqs = await Promise.all(Array.from({ length: count }, (_, i) => storage.append('outbox', text(`r${i}`))));
      sameJson([...seqs].sort((a, b) => a - b), Array.from({ length: count }, (_, i) => i + 1), 'seqs');
      const records = await storage.readLog('outbox');
      equal(records.length, count, 'records read');
      for (const { seq, record } of records) {
        equal(new TextDecoder().decode(record), `r${seqs.indexOf(seq)}`, `record ${seq}`);
      }
    },
  },
  {
    name: 'append with expectedSeq: only at that number, else 0 and nothing written; of concurrent appenders at one number exactly one wins',
    async run(storage) {
      equal(await storage.append('wal', text('a'), 2), 0, 'seq 2 on an empty log');
      sameJson(await storage.readLog('wal'), [], 'a refused append creates nothing');
      equal(await storage.append('wal', text('a'), 1), 1, 'seq 1 on an empty log');
      equal(await storage.append('wal', text('x'), 1), 0, 'seq 1 again');
      equal(await storage.append('wal', text('x'), 3), 0, 'a gap');
      equal(await storage.append('wal', text('b'), 2), 2, 'seq 2');
      equal(await storage.append('wal', text('c')), 3, 'an append without expectedSeq goes on from there');
      const racers = 10;
      const answers = await Promise.all(Array.from({ length: racers }, (_, i) => storage.append('wal', text(`racer-${i}`), 4)));
      const winners = answers.map((a, i) => (a === 4 ? i : -1)).filter((i) => i >= 0);
      equal(winners.length, 1, 'number of winners at seq 4');
      equal(answers.filter((a) => a === 0).length, racers - 1, 'the others are told 0');
      const records = await storage.readLog('wal');
      sameJson(records.map((r) => r.seq), [1, 2, 3, 4], 'seqs');
      sameJson(records.map((r) => new TextDecoder().decode(r.record)), ['a', 'b', 'c', `racer-${winners[0]}`], 'records');
      for (const bad of [0, -1, 1.5, 2 ** 53]) {
        await rejects(() => storage.append('wal', text('x'), bad), 'RangeError', 'INVALID_ARGUMENT', 'expectedSeq', `expectedSeq ${bad}`);
      }
      await rejects(() => storage.append('wal', text('x'), '5'), 'TypeError', 'INVALID_TYPE', 'expectedSeq', 'expectedSeq "5"');
      equal((await storage.readLog('wal')).length, 4, 'refused calls wrote nothing');
    },
  },
  {
    name: 'list: ascending, by prefix, paged with after/limit',
    async run(storage) {
      const keys = ['card/b', 'card/a', 'card/c', 'cardx', 'pos/1', 'card/a/1', 'Card/A', '0'];
      for (const key of keys) await storage.put(key, text(key), null);
      sameJson(await storage.list(), [...keys].sort(), 'all keys');
      sameJson(await storage.list(''), [...keys].sort(), "prefix ''");
      sameJson(await storage.list('card/'), ['card/a', 'card/a/1', 'card/b', 'card/c'], 'prefix card/');
      sameJson(await storage.list('card/', { limit: 2 }), ['card/a', 'card/a/1'], 'first page');
      sameJson(await storage.list('card/', { after: 'card/a/1', limit: 2 }), ['card/b', 'card/c'], 'second page');
      sameJson(await storage.list('card/', { after: 'card/c' }), [], 'past the end');
      sameJson(await storage.list('card/', { after: 'a' }), ['card/a', 'card/a/1', 'card/b', 'card/c'], 'after below the prefix');
      sameJson(await storage.list('card', { after: 'card/z' }), ['cardx'], 'after inside the prefix');
      sameJson(await storage.list('zzz'), [], 'no match');
      sameJson(await storage.list('Card/'), ['Card/A'], 'keys are case-sensitive');
    },
  },
  {
    name: 'keys and log names: strict grammar and length, TypeError/RangeError naming the parameter',
    async run(storage) {
      const max = STORAGE_LIMITS.keyLengthMaxChars;
      const longest = 'k'.repeat(max);
      await storage.put(longest, text('x'), null);
      sameJson(await storage.list('kkk'), [longest], 'longest key');
      const unusual = 'a.b:c/d@e+f=g-h_i';
      await storage.put(unusual, text('x'), null);
      equal((await storage.get(unusual)).version, 1, 'all allowed punctuation');
      for (const bad of ['', 'k'.repeat(max + 1), 'a b', 'caf\u00e9', 'a\0b', 'a\\b', 'a%2e', 'tab\t', 'new\nline', 'a*b']) {
        await rejects(() => storage.get(bad), 'RangeError', 'INVALID_ARGUMENT', 'key', `get(${show(bad)})`);
        await rejects(() => storage.put(bad, text('x'), null), 'RangeError', 'INVALID_ARGUMENT', 'key', `put(${show(bad)})`);
        await rejects(() => storage.append(bad, text('x')), 'RangeError', 'INVALID_ARGUMENT', 'log', `append(${show(bad)})`);
        await rejects(() => storage.readLog(bad), 'RangeError', 'INVALID_ARGUMENT', 'log', `readLog(${show(bad)})`);
        if (bad !== '') await rejects(() => storage.list(bad), 'RangeError', 'INVALID_ARGUMENT', 'prefix', `list(${show(bad)})`);
      }
      for (const bad of [undefined, null, 1, {}, ['k']]) {
        await rejects(() => storage.get(bad), 'TypeError', 'INVALID_TYPE', 'key', `get(${show(bad)})`);
        await rejects(() => storage.append(bad, text('x')), 'TypeError', 'INVALID_TYPE', 'log', `append(${show(bad)})`);
      }
      await rejects(() => storage.list(5), 'TypeError', 'INVALID_TYPE', 'prefix', 'list(5)');
    },
  },
  {
    name: 'values, versions and options are validated before anything is written',
    async run(storage) {
      for (const bad of [undefined, null, 'bytes', [1, 2], new ArrayBuffer(2)]) {
        await rejects(() => storage.put('k', bad, null), 'TypeError', 'INVALID_TYPE', 'value', `put value ${show(bad)}`);
        await rejects(() => storage.append('log', bad), 'TypeError', 'INVALID_TYPE', 'record', `append record ${show(bad)}`);
      }
      await rejects(() => storage.put('k', text('x'), undefined), 'TypeError', 'INVALID_TYPE', 'expectedVersion', 'expectedVersion omitted');
      await rejects(() => storage.put('k', text('x'), '1'), 'TypeError', 'INVALID_TYPE', 'expectedVersion', 'expectedVersion "1"');
      await rejects(() => storage.put('k', text('x'), 1n), 'TypeError', 'INVALID_TYPE', 'expectedVersion', 'expectedVersion 1n');
      for (const bad of [-1, 1.5, Number.NaN, Infinity, 2 ** 53]) {
        await rejects(() => storage.put('k', text('x'), bad), 'RangeError', 'INVALID_ARGUMENT', 'expectedVersion', `expectedVersion ${bad}`);
      }
      const tooBig = new Uint8Array(STORAGE_LIMITS.valueBytesMax + 1);
      await rejects(() => storage.put('k', tooBig, null), 'RangeError', 'LIMIT_EXCEEDED', 'value', 'value over the limit');
      const recordTooBig = new Uint8Array(STORAGE_LIMITS.logRecordBytesMax + 1);
      await rejects(() => storage.append('log', recordTooBig), 'RangeError', 'LIMIT_EXCEEDED', 'record', 'record over the limit');
      await rejects(() => storage.list('', { limit: 0 }), 'RangeError', 'INVALID_ARGUMENT', 'options.limit', 'list limit 0');
      await rejects(() => storage.list('', { limit: STORAGE_LIMITS.listKeysMax + 1 }), 'RangeError', 'INVALID_ARGUMENT', 'options.limit', 'list limit over max');
      await rejects(() => storage.list('', { after: 'a b' }), 'RangeError', 'INVALID_ARGUMENT', 'options.after', 'list after');
      await rejects(() => storage.list('', 'x'), 'TypeError', 'INVALID_TYPE', 'options', 'list options');
      await rejects(() => storage.readLog('log', { after: -1 }), 'RangeError', 'INVALID_ARGUMENT', 'options.after', 'readLog after -1');
      await rejects(() => storage.readLog('log', { limit: STORAGE_LIMITS.logReadRecordsMax + 1 }), 'RangeError', 'INVALID_ARGUMENT', 'options.limit', 'readLog limit');
      equal(await storage.get('k'), null, 'nothing was written');
      sameJson(await storage.readLog('log'), [], 'nothing was appended');
      // The maximum itself is accepted.
      sameJson(await storage.put('max', new Uint8Array(STORAGE_LIMITS.valueBytesMax), null), { ok: true, version: 1 }, 'value at the limit');
      equal((await storage.get('max')).value.length, STORAGE_LIMITS.valueBytesMax, 'value at the limit read back');
    },
  },
  {
    name: 'close() releases the store; the next call reopens it and sees the data',
    async run(storage) {
      await storage.put('kept', text('kept'), null);
      await storage.append('kept-log', text('r'));
      await storage.close();
      sameBytes((await storage.get('kept')).value, text('kept'), 'value after close');
      sameJson((await storage.readLog('kept-log')).map((r) => r.seq), [1], 'log after close');
      await storage.close();
      await storage.close(); // idempotent
    },
  },
];

/**
 * The optional keyed index (types.ts, KeyedIndexStorage), for the adapters that have it
 * (MemoryStorage and PostgresStorage). Each case gets a fresh, empty storage.
 */
export const keyedIndexContract = [
  {
    name: 'appendIndexed appends at expectedSeq with its rows; indexGet finds them (copies), per index',
    async run(storage) {
      const rows = [
        { key: 'k1', value: text('one'), time: 100 },
        { key: 'ключ ✓', value: text('two'), time: -5 },
      ];
      equal(await storage.appendIndexed('wal', text('r1'), 1, 'idx', rows), 1, 'first record');
      rows[0].value[0] = 0; // the caller's buffer is the caller's
      const found = await storage.indexGet('idx', ['k1', 'absent', 'ключ ✓', 'k1']);
      sameJson(found.map((r) => [r.key, new TextDecoder().decode(r.value), r.time]).sort(), [['k1', 'one', 100], ['ключ ✓', 'two', -5]], 'rows found');
      found[0].value[0] = 0;
      sameBytes((await storage.indexGet('idx', ['k1']))[0].value, text('one'), 'a row after mutating a copy');
      sameJson(await storage.indexGet('other', ['k1']), [], 'another index holds nothing');
      sameJson(await storage.indexGet('idx', []), [], 'no keys');
      sameJson((await storage.readLog('wal')).map((r) => r.seq), [1], 'the record is in the log');
      equal(await storage.append('wal', text('r2'), 2), 2, 'a plain append continues the log');
      equal(await storage.appendIndexed('wal', text('r3'), 3, 'other', [{ key: 'k1', value: text('x'), time: 1 }]), 3, 'next record, another index');
      sameBytes((await storage.indexGet('idx', ['k1']))[0].value, text('one'), 'the first index is untouched');
    },
  },
  {
    name: 'appendIndexed at a position already taken writes neither the record nor any row',
    async run(storage) {
      equal(await storage.appendIndexed('wal', text('r1'), 1, 'idx', [{ key: 'a', value: text('a'), time: 1 }]), 1, 'first');
      equal(await storage.appendIndexed('wal', text('lost'), 1, 'idx', [{ key: 'b', value: text('b'), time: 1 }, { key: 'a', value: text('overwritten?'), time: 9 }]), 0, 'a taken position');
      equal(await storage.appendIndexed('wal', text('lost'), 3, 'idx', [{ key: 'c', value: text('c'), time: 1 }]), 0, 'a position ahead');
      sameJson((await storage.readLog('wal')).map((r) => r.seq), [1], 'one record');
      const found = await storage.indexGet('idx', ['a', 'b', 'c']);
      sameJson(found.map((r) => [r.key, new TextDecoder().decode(r.value), r.time]), [['a', 'a', 1]], 'only the first rows');
    },
  },
  {
    name: 'a row under a key already indexed replaces it; indexPurge deletes rows below a time and counts them',
    async run(storage) {
      equal(await storage.appendIndexed('wal', text('r1'), 1, 'idx', [{ key: 'a', value: text('old'), time: 10 }, { key: 'b', value: text('b'), time: 20 }]), 1, 'first');
      equal(await storage.appendIndexed('wal', text('r2'), 2, 'idx', [{ key: 'a', value: text('new'), time: 30 }, { key: 'c', value: text('c'), time: 25 }]), 2, 'second');
      sameBytes((await storage.indexGet('idx', ['a']))[0].value, text('new'), 'replaced');
      equal(await storage.appendIndexed('wal', text('r3'), 3, 'keep', [{ key: 'b', value: text('kept'), time: 0 }]), 3, 'another index');
      equal(await storage.indexPurge('idx', 25), 1, 'purged b (20 < 25)');
      sameJson((await storage.indexGet('idx', ['a', 'b', 'c'])).map((r) => r.key).sort(), ['a', 'c'], 'a (30) and c (25) stay');
      equal(await storage.indexPurge('idx', 25), 0, 'nothing more below 25');
      equal(await storage.indexPurge('idx', 31), 2, 'the rest');
      sameJson(await storage.indexGet('idx', ['a', 'c']), [], 'empty');
      equal((await storage.indexGet('keep', ['b'])).length, 1, 'another index is not purged');
      equal(await storage.indexPurge('never-written', 100), 0, 'an index never written');
    },
  },
  {
    name: 'malformed index calls throw naming the parameter, and write nothing',
    async run(storage) {
      const row = (key, value = text('v'), time = 1) => ({ key, value, time });
      await rejects(() => storage.appendIndexed('wal', text('r'), 1, 'idx', [row('a'), row('a')]), 'RangeError', 'INVALID_ARGUMENT', 'rows', 'a key twice');
      await rejects(() => storage.appendIndexed('wal', text('r'), 1, 'idx', [row('')]), 'RangeError', 'INVALID_ARGUMENT', 'rows[0].key', 'an empty key');
      await rejects(() => storage.appendIndexed('wal', text('r'), 1, 'idx', [row('a\u0000b')]), 'RangeError', 'INVALID_ARGUMENT', 'rows[0].key', 'a control character');
      await rejects(() => storage.appendIndexed('wal', text('r'), 1, 'idx', [row('\ud800')]), 'RangeError', 'INVALID_ARGUMENT', 'rows[0].key', 'a lone surrogate');
      await rejects(() => storage.appendIndexed('wal', text('r'), 1, 'idx', [row('x'.repeat(STORAGE_INDEX_KEY_LENGTH_MAX_CHARS + 1))]), 'RangeError', 'INVALID_ARGUMENT', 'rows[0].key', 'a long key');
      await rejects(() => storage.appendIndexed('wal', text('r'), 1, 'idx', [row('a', new Uint8Array(STORAGE_INDEX_VALUE_BYTES_MAX + 1))]), 'RangeError', 'LIMIT_EXCEEDED', 'rows[0].value', 'a large value');
      await rejects(() => storage.appendIndexed('wal', text('r'), 1, 'idx', [row('a', text('v'), 1.5)]), 'RangeError', 'INVALID_ARGUMENT', 'rows[0].time', 'a fractional time');
      await rejects(() => storage.appendIndexed('wal', text('r'), 1, 'idx', Array.from({ length: STORAGE_INDEX_ROWS_MAX + 1 }, (_, i) => row(`k${i}`))), 'RangeError', 'LIMIT_EXCEEDED', 'rows', 'too many rows');
      await rejects(() => storage.appendIndexed('wal', text('r'), 1, 'bad index!', [row('a')]), 'RangeError', 'INVALID_ARGUMENT', 'index', 'an index name outside the key grammar');
      await rejects(() => storage.appendIndexed('wal', text('r'), 1, 'idx', 'rows'), 'TypeError', 'INVALID_TYPE', 'rows', 'rows not an array');
      await rejects(() => storage.indexGet('idx', 'k'), 'TypeError', 'INVALID_TYPE', 'keys', 'keys not an array');
      await rejects(() => storage.indexGet('idx', [7]), 'TypeError', 'INVALID_TYPE', 'keys[0]', 'a key not a string');
      await rejects(() => storage.indexPurge('idx', '5'), 'TypeError', 'INVALID_TYPE', 'before', 'before not a number');
      sameJson(await storage.readLog('wal'), [], 'nothing appended');
      sameJson(await storage.indexGet('idx', ['a']), [], 'nothing indexed');
    },
  },
];

/** Runs one case by name (used from the browser, where cases are looked up by name). */
export async function runContractCase(name, storage) {
  const testCase = storageContract.find((c) => c.name === name);
  if (testCase === undefined) throw new Error(`no contract case named ${name}`);
  await testCase.run(storage);
}
