/**
 * Node storage adapter over plain files, written atomically and durably. Node only (it imports
 * `node:fs`): exported from the Node entry, never from the browser one.
 *
 * Layout under `dir`:
 *
 * ```
 * values/<hex key>          one file per key: a 52-byte header (magic "CSKV", format 1, version,
 *                           length, SHA-256) then the value
 * values/.lock-<hex key>    held during a put, by one process at a time
 * values/.lockdraft-<random> a lock being created (linked to its .lock- name, then removed)
 * values/.tmp-<random>      a put's new file before it is renamed over the key's file
 * logs/<hex log name>       records: [u32 length][u64 seq][SHA-256 of the 12 bytes + record][record]
 * logs/.lock-<hex log name> held during an append
 * ```
 *
 * File names are the lower-case hex of the key's bytes: no key can name a path outside `dir`,
 * and keys differing only in case stay distinct on case-insensitive file systems. Names starting
 * with `.` are never data.
 *
 * * **put** = take the key's lock (created whole with `link`, retried with backoff), read and compare the
 *   version, write the new file to a temp name in the same directory, fsync it, rename it over
 *   the key's file, fsync the directory, drop the lock. A crash at any point leaves either the old
 *   file or the new one, whole; a leftover temp file is never read as data, and is removed by the
 *   next writer that finds the crashed writer's lock.
 * * **Locks** hold `{pid, host, tmp}`. A lock whose owner is on this host and no longer running
 *   is taken over at once; a lock from another host (shared volume) only when older than
 *   `lockStaleMs`; a lock of a live local process never. A takeover renames the lock away and
 *   checks it moved the very lock it judged abandoned (same inode), so a live lock is never lost.
 * * **append** = take the log's lock, check the tail (a record torn by a crash, never
 *   acknowledged, is cut off), write the record with `O_APPEND`, fsync, drop the lock.
 * * **get**, **readLog** and **list** take no lock: renames are atomic, and a reader stops at a
 *   record still being appended.
 */
import { createHash, randomBytes } from 'node:crypto';
import { constants as fsConstants } from 'node:fs';
import { link, mkdir, open, opendir, readFile, rename, stat, unlink, writeFile, type FileHandle } from 'node:fs/promises';
import { hostname } from 'node:os';
import path from 'node:path';
import { adopt, guardClass, ownConstructorArgs, ownData, raw, readCallerObject, toSdkError } from '../boundary.js';
import { expectInteger, expectObject, expectString, rangeError, typeError } from '../validate.js';
import {
  CODE_STORAGE_CORRUPT,
  CODE_STORAGE_UNAVAILABLE,
  STORAGE_KEY_PATTERN,
  conflict,
  expectExpectedSeq,
  expectExpectedVersion,
  expectKey,
  expectListOptions,
  expectPayload,
  expectPrefix,
  expectReadLogOptions,
  nextVersion,
  pageOfKeys,
  storageError,
  STORAGE_ADAPTER_GUARD_METHODS,
} from './common.js';
import {
  STORAGE_KEY_LENGTH_MAX_CHARS,
  STORAGE_LOG_RECORD_BYTES_MAX,
  STORAGE_VALUE_BYTES_MAX,
  type ListOptions,
  type LogRecord,
  type PutResult,
  type ReadLogOptions,
  type StorageAdapter,
  type StoredValue,
} from './types.js';
import { CountersignError, CountersignRangeError } from '../errors.js';

/** Default: how long a writer waits for another writer's lock before failing. */
export const FILE_LOCK_WAIT_MS_DEFAULT = 10_000;
/** Default: age after which a lock from another host is considered abandoned. */
export const FILE_LOCK_STALE_MS_DEFAULT = 30_000;
/** Upper bound for both lock options. */
export const FILE_LOCK_MS_MAX = 600_000;
/** First and largest pause between two lock attempts (doubling, with jitter). */
export const FILE_LOCK_RETRY_DELAY_MS_MIN = 2;
export const FILE_LOCK_RETRY_DELAY_MS_MAX = 100;
/** Most entries `list` scans in the values directory; beyond, use a database. */
export const FILE_STORAGE_KEYS_MAX = 100_000;

const VALUE_MAGIC = Buffer.from('CSKV', 'latin1');
const VALUE_FORMAT = 1;
const VALUE_HEADER_BYTES = 52; // magic 4, format 1, zero 3, version 8, length 4, sha256 32
const RECORD_HEADER_BYTES = 44; // length 4, seq 8, sha256 32
const LOCK_FILE_BYTES_MAX = 4096;

export interface FileStorageOptions {
  /** How long to wait for another writer's lock, in ms (default 10 000, max 600 000). */
  readonly lockWaitMs?: number;
  /** Age in ms after which a lock from another host counts as abandoned (default 30 000). */
  readonly lockStaleMs?: number;
  /** @internal Fault injection for the crash tests. */
  readonly testHooks?: { readonly afterTempWrite?: (tempPath: string) => void | Promise<void> };
}

interface LockInfo {
  readonly pid: number;
  readonly host: string;
  readonly tmp: string | undefined;
}

interface HeldLock {
  readonly path: string;
  readonly ino: number;
}

interface LogTail {
  readonly ino: number;
  readonly end: number; // offset just past the last whole record
  readonly seq: number; // sequence number of that record, 0 for none
}

function hexName(key: string): string {
  return Buffer.from(key, 'utf8').toString('hex');
}

/** The key a file name stands for, or undefined for anything that is not a data file. */
function keyOfName(name: string): string | undefined {
  if (!/^(?:[0-9a-f]{2})+$/.test(name) || name.length > 2 * STORAGE_KEY_LENGTH_MAX_CHARS) return undefined;
  const key = Buffer.from(name, 'hex').toString('latin1');
  return STORAGE_KEY_PATTERN.test(key) ? key : undefined;
}

function sha256(...parts: Uint8Array[]): Buffer {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(part);
  return hash.digest();
}

function errno(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null ? (error as { code?: string }).code : undefined;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function encodeValue(version: number, value: Uint8Array): Buffer {
  const file = Buffer.alloc(VALUE_HEADER_BYTES + value.length);
  VALUE_MAGIC.copy(file, 0);
  file.writeUInt8(VALUE_FORMAT, 4);
  file.writeBigUInt64BE(BigInt(version), 8);
  file.writeUInt32BE(value.length, 16);
  file.set(value, VALUE_HEADER_BYTES);
  sha256(file.subarray(0, 20), value).copy(file, 20);
  return file;
}

function decodeValue(file: Buffer, where: string): StoredValue {
  const corrupt = (why: string): CountersignError => storageError(CODE_STORAGE_CORRUPT, `${where} is corrupt (${why})`);
  if (file.length < VALUE_HEADER_BYTES || !file.subarray(0, 4).equals(VALUE_MAGIC)) throw corrupt('not a value file');
  if (file.readUInt8(4) !== VALUE_FORMAT) throw corrupt(`unknown format ${file.readUInt8(4)}`);
  const version = file.readBigUInt64BE(8);
  const length = file.readUInt32BE(16);
  if (version < 1n || version > BigInt(Number.MAX_SAFE_INTEGER)) throw corrupt(`version ${version}`);
  if (length !== file.length - VALUE_HEADER_BYTES) throw corrupt('length mismatch');
  const value = file.subarray(VALUE_HEADER_BYTES);
  if (!sha256(file.subarray(0, 20), value).equals(file.subarray(20, VALUE_HEADER_BYTES))) throw corrupt('checksum');
  return { value: new Uint8Array(value), version: Number(version) };
}

function encodeRecord(seq: number, record: Uint8Array): Buffer {
  const out = Buffer.alloc(RECORD_HEADER_BYTES + record.length);
  out.writeUInt32BE(record.length, 0);
  out.writeBigUInt64BE(BigInt(seq), 4);
  sha256(out.subarray(0, 12), record).copy(out, 12);
  out.set(record, RECORD_HEADER_BYTES);
  return out;
}

async function readExactly(fh: FileHandle, length: number, position: number): Promise<Buffer | undefined> {
  const buffer = Buffer.alloc(length);
  let done = 0;
  while (done < length) {
    const { bytesRead } = await fh.read(buffer, done, length - done, position + done);
    if (bytesRead === 0) return undefined; // end of file: the rest is not written (yet)
    done += bytesRead;
  }
  return buffer;
}

/** At `offset`: a record (checked against its SHA-256 when `verify`), something that is not a
 * whole record, or the end of the file. */
type RecordRead =
  | { readonly kind: 'record'; readonly seq: number; readonly length: number; readonly payload: Buffer | undefined }
  | { readonly kind: 'bad' }
  | { readonly kind: 'end' };

/** The most a torn tail can span: one unacknowledged append. */
const TORN_TAIL_BYTES_MAX = RECORD_HEADER_BYTES + STORAGE_LOG_RECORD_BYTES_MAX;

async function readRecord(fh: FileHandle, offset: number, size: number, verify: boolean): Promise<RecordRead> {
  if (offset >= size) return { kind: 'end' };
  const header = size - offset >= RECORD_HEADER_BYTES ? await readExactly(fh, RECORD_HEADER_BYTES, offset) : undefined;
  if (header === undefined) return { kind: 'bad' };
  const length = header.readUInt32BE(0);
  const seq = Number(header.readBigUInt64BE(4));
  if (length > STORAGE_LOG_RECORD_BYTES_MAX || offset + RECORD_HEADER_BYTES + length > size) return { kind: 'bad' };
  if (!verify) return { kind: 'record', seq, length, payload: undefined };
  const payload = length === 0 ? Buffer.alloc(0) : await readExactly(fh, length, offset + RECORD_HEADER_BYTES);
  if (payload === undefined || !sha256(header.subarray(0, 12), payload).equals(header.subarray(12))) return { kind: 'bad' };
  return { kind: 'record', seq, length, payload };
}

/**
 * What follows the last whole record: a torn tail — what a crash mid-append leaves, at most one
 * unacknowledged record, possibly zero-filled — or, when longer, corruption.
 */
function tornOrCorrupt(file: string, offset: number, size: number): 'torn' {
  if (size - offset <= TORN_TAIL_BYTES_MAX) return 'torn';
  throw storageError(CODE_STORAGE_CORRUPT, `${file} is corrupt (no whole record at byte ${offset} of ${size})`);
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return errno(error) === 'EPERM'; // exists, owned by someone else
  }
}

/**
 * Storage in a directory of atomically written files. Safe for several processes on one machine
 * (and hosts sharing a file system with working `O_EXCL`), each with its own `FileStorage`.
 */
/** `options` read once, field by field: numbers as owned data, the test hook as a function. */
function readFileStorageOptions(value: unknown): FileStorageOptions {
  const opts = expectObject(value, 'options');
  const lockWaitMs = ownData(opts.lockWaitMs, 'options.lockWaitMs') as number | undefined;
  const lockStaleMs = ownData(opts.lockStaleMs, 'options.lockStaleMs') as number | undefined;
  const hooks = opts.testHooks;
  let testHooks: FileStorageOptions['testHooks'];
  if (hooks !== undefined) {
    const after = expectObject(hooks, 'options.testHooks').afterTempWrite;
    if (after !== undefined && typeof after !== 'function') throw typeError('options.testHooks.afterTempWrite', 'a function', after);
    testHooks = { afterTempWrite: after as ((tempPath: string) => void | Promise<void>) | undefined };
  }
  return { lockWaitMs, lockStaleMs, testHooks };
}

export class FileStorage implements StorageAdapter {
  readonly #dir: string;
  readonly #valuesDir: string;
  readonly #logsDir: string;
  readonly #lockWaitMs: number;
  readonly #lockStaleMs: number;
  readonly #hooks: FileStorageOptions['testHooks'];
  readonly #host = hostname();
  #ready: Promise<void> | undefined;
  /** Per lock path: the tail of the chain of this process's operations waiting for it. */
  readonly #queues = new Map<string, Promise<void>>();
  /** Per log: where its last whole record ends, as of our last append (checked against inode and size). */
  readonly #tails = new Map<string, LogTail>();

  /**
   * @param dir the directory to keep the data in (created on first use).
   * @throws CountersignTypeError / CountersignRangeError for a bad `dir` or option.
   */
  constructor(dir: string, options?: FileStorageOptions) {
    try {
      // `options` may carry the test hooks (functions): read it field by field, once.
      const [givenDir, givenOptions] = ownConstructorArgs(arguments, ['dir', raw('options')], 'new FileStorage');
      const checked = expectString(givenDir, 'dir');
      if (checked.length === 0 || checked.includes('\0')) throw rangeError('dir', 'must be a non-empty path without NUL');
      const opts: FileStorageOptions = givenOptions === undefined ? {} : readCallerObject('options', () => readFileStorageOptions(givenOptions));
      this.#lockWaitMs =
        opts.lockWaitMs === undefined
          ? FILE_LOCK_WAIT_MS_DEFAULT
          : expectInteger(opts.lockWaitMs, 'options.lockWaitMs', 0, FILE_LOCK_MS_MAX);
      this.#lockStaleMs =
        opts.lockStaleMs === undefined
          ? FILE_LOCK_STALE_MS_DEFAULT
          : expectInteger(opts.lockStaleMs, 'options.lockStaleMs', 1, FILE_LOCK_MS_MAX);
      this.#hooks = opts.testHooks;
      this.#dir = path.resolve(checked);
      this.#valuesDir = path.join(this.#dir, 'values');
      this.#logsDir = path.join(this.#dir, 'logs');
      adopt(this, FileStorage);
    } catch (e) {
      throw toSdkError(e, 'new FileStorage');
    }
  }


  /** The absolute directory this storage writes to. */
  get dir(): string {
    return this.#dir;
  }

  async get(key: string): Promise<StoredValue | null> {
    const checked = expectKey(key, 'key');
    await this.#ensureDirs();
    return this.#readValue(path.join(this.#valuesDir, hexName(checked)), checked);
  }

  async put(key: string, value: Uint8Array, expectedVersion: number | null): Promise<PutResult> {
    const checkedKey = expectKey(key, 'key');
    const bytes = expectPayload(value, 'value', STORAGE_VALUE_BYTES_MAX);
    const expected = expectExpectedVersion(expectedVersion, 'expectedVersion');
    await this.#ensureDirs();
    const name = hexName(checkedKey);
    const target = path.join(this.#valuesDir, name);
    const tmpName = `.tmp-${randomBytes(8).toString('hex')}`;
    const tmp = path.join(this.#valuesDir, tmpName);
    return this.#locked(path.join(this.#valuesDir, `.lock-${name}`), tmpName, async () => {
      const current = (await this.#readValue(target, checkedKey))?.version ?? 0;
      if (current !== expected) return conflict(current);
      const version = nextVersion(current, checkedKey);
      let renamed = false;
      try {
        await this.#io(`writing ${tmp}`, async () => {
          const fh = await open(tmp, 'wx', 0o600);
          try {
            await writeAll(fh, encodeValue(version, bytes));
            await fh.sync();
          } finally {
            await fh.close();
          }
        });
        await this.#hooks?.afterTempWrite?.(tmp);
        await this.#io(`renaming ${tmp}`, () => rename(tmp, target));
        renamed = true;
        // Should this fail, the new value is in place but maybe not durable: the put rejects, and
        // a retry with the same expected version sees VERSION_CONFLICT and can re-read.
        await this.#io(`syncing ${this.#valuesDir}`, () => this.#syncDir(this.#valuesDir));
      } finally {
        if (!renamed) await unlink(tmp).catch(() => undefined);
      }
      return { ok: true, version };
    });
  }

  async append(log: string, record: Uint8Array, expectedSeq?: number): Promise<number> {
    const name = expectKey(log, 'log');
    const bytes = expectPayload(record, 'record', STORAGE_LOG_RECORD_BYTES_MAX);
    const expected = expectExpectedSeq(expectedSeq, 'expectedSeq');
    await this.#ensureDirs();
    const file = path.join(this.#logsDir, hexName(name));
    return this.#locked(path.join(this.#logsDir, `.lock-${hexName(name)}`), undefined, () =>
      this.#io(`appending to ${file}`, async () => {
        const fh = await open(file, 'a+', 0o600);
        try {
          const info = await fh.stat();
          const tail = await this.#findTail(fh, file, info.ino, info.size);
          if (tail.end < info.size) {
            // A record torn by a crash: never acknowledged, so it is cut off before appending.
            await fh.truncate(tail.end);
          }
          const seq = tail.seq + 1;
          if (expected !== undefined && seq !== expected) return 0; // decided under the log's lock
          const encoded = encodeRecord(seq, bytes);
          await writeAll(fh, encoded);
          await fh.sync();
          if (tail.end === 0) await this.#syncDir(this.#logsDir); // a new file: persist its name
          this.#tails.set(file, { ino: info.ino, end: tail.end + encoded.length, seq });
          return seq;
        } finally {
          await fh.close();
        }
      }),
    );
  }

  async readLog(log: string, options?: ReadLogOptions): Promise<LogRecord[]> {
    const name = expectKey(log, 'log');
    const { after, limit } = expectReadLogOptions(options, 'options');
    await this.#ensureDirs();
    const file = path.join(this.#logsDir, hexName(name));
    let fh: FileHandle;
    try {
      fh = await open(file, 'r');
    } catch (error) {
      if (errno(error) === 'ENOENT') return [];
      throw storageError(CODE_STORAGE_UNAVAILABLE, `storage I/O failed opening ${file}`, error);
    }
    try {
      return await this.#io(`reading ${file}`, async () => {
        const { size } = await fh.stat();
        const out: LogRecord[] = [];
        let offset = 0;
        let expectedSeq = 1;
        while (out.length < limit) {
          const wanted = expectedSeq > after;
          const read = await readRecord(fh, offset, size, wanted);
          if (read.kind === 'end') break;
          if (read.kind === 'bad' || read.seq !== expectedSeq) {
            tornOrCorrupt(file, offset, size);
            break; // a record still being appended, or torn by a crash: not part of the log
          }
          if (wanted && read.payload !== undefined) out.push({ seq: read.seq, record: new Uint8Array(read.payload) });
          offset += RECORD_HEADER_BYTES + read.length;
          expectedSeq += 1;
        }
        return out;
      });
    } finally {
      await fh.close();
    }
  }

  async list(prefix?: string, options?: ListOptions): Promise<string[]> {
    const checkedPrefix = expectPrefix(prefix, 'prefix');
    const checkedOptions = expectListOptions(options, 'options');
    await this.#ensureDirs();
    const hexPrefix = hexName(checkedPrefix);
    const keys = await this.#io(`listing ${this.#valuesDir}`, async () => {
      const found: string[] = [];
      let scanned = 0;
      for await (const entry of await opendir(this.#valuesDir)) {
        scanned += 1;
        if (scanned > FILE_STORAGE_KEYS_MAX) {
          throw new CountersignRangeError(
            'LIMIT_EXCEEDED',
            `countersign: ${this.#valuesDir} has more than ${FILE_STORAGE_KEYS_MAX} entries; use a database-backed adapter`,
            'prefix',
          );
        }
        if (!entry.name.startsWith(hexPrefix)) continue;
        const key = keyOfName(entry.name);
        if (key !== undefined) found.push(key);
      }
      return found.sort();
    });
    return pageOfKeys(keys, checkedPrefix, checkedOptions);
  }

  async close(): Promise<void> {
    // Every operation opens and closes its own files: nothing is held between calls.
  }

  // ---- internals ----

  /** Runs `fn`, turning a Node I/O error into a coded CountersignError (keeping SDK errors). */
  async #io<T>(what: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (error) {
      if (error instanceof CountersignError) throw error;
      throw storageError(CODE_STORAGE_UNAVAILABLE, `storage I/O failed ${what}`, error);
    }
  }

  #ensureDirs(): Promise<void> {
    this.#ready ??= this.#io(`creating ${this.#dir}`, async () => {
      // Owner-only, like the files: stored state (cards, outboxes) is nobody else's business.
      await mkdir(this.#valuesDir, { recursive: true, mode: 0o700 });
      await mkdir(this.#logsDir, { recursive: true, mode: 0o700 });
      await this.#syncDir(this.#dir);
      await this.#syncDir(path.dirname(this.#dir));
    }).catch((error: unknown) => {
      this.#ready = undefined; // retry next time
      throw error;
    });
    return this.#ready;
  }

  async #syncDir(dir: string): Promise<void> {
    if (process.platform === 'win32') return; // directories cannot be fsynced there
    const fh = await open(dir, fsConstants.O_RDONLY);
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
  }

  async #readValue(file: string, key: string): Promise<StoredValue | null> {
    let bytes: Buffer;
    try {
      bytes = await readFile(file);
    } catch (error) {
      if (errno(error) === 'ENOENT') return null;
      throw storageError(CODE_STORAGE_UNAVAILABLE, `storage I/O failed reading key "${key}"`, error);
    }
    return decodeValue(bytes, `the stored value of key "${key}" (${file})`);
  }

  /** Where the log's last whole record ends, from our cached tail when the file is as we left it. */
  async #findTail(fh: FileHandle, file: string, ino: number, size: number): Promise<LogTail> {
    const cached = this.#tails.get(file);
    let tail: LogTail = cached !== undefined && cached.ino === ino && cached.end <= size ? cached : { ino, end: 0, seq: 0 };
    for (;;) {
      // Headers only, except for the last record, whose checksum tells whether it is whole.
      const read = await readRecord(fh, tail.end, size, false);
      if (read.kind === 'end') return tail;
      if (read.kind === 'record' && read.seq === tail.seq + 1) {
        const end = tail.end + RECORD_HEADER_BYTES + read.length;
        if (end < size || (await readRecord(fh, tail.end, size, true)).kind === 'record') {
          tail = { ino, end, seq: read.seq };
          continue;
        }
      }
      tornOrCorrupt(file, tail.end, size);
      return tail;
    }
  }

  /**
   * Runs `fn` holding the lock file `lockPath`: this process's callers queue in order, other
   * processes are kept out by the lock file.
   */
  async #locked<T>(lockPath: string, tmpName: string | undefined, fn: () => Promise<T>): Promise<T> {
    const previous = this.#queues.get(lockPath) ?? Promise.resolve();
    let release!: () => void;
    const mine = new Promise<void>((resolve) => {
      release = resolve;
    });
    const tail = previous.then(() => mine);
    this.#queues.set(lockPath, tail);
    await previous;
    try {
      const held = await this.#acquire(lockPath, tmpName);
      try {
        return await fn();
      } finally {
        await this.#release(held);
      }
    } finally {
      release();
      if (this.#queues.get(lockPath) === tail) this.#queues.delete(lockPath);
    }
  }

  async #acquire(lockPath: string, tmpName: string | undefined): Promise<HeldLock> {
    const content = JSON.stringify({ pid: process.pid, host: this.#host, tmp: tmpName, at: Date.now() });
    const started = Date.now();
    let delay = FILE_LOCK_RETRY_DELAY_MS_MIN;
    let holder = 'another writer';
    for (;;) {
      const held = await this.#tryLock(lockPath, content);
      if (held !== undefined) return held;
      const verdict = await this.#judgeLock(lockPath);
      if (verdict.kind === 'gone') continue;
      if (verdict.kind === 'abandoned') {
        await this.#breakLock(lockPath, verdict.ino, verdict.info);
        continue;
      }
      holder = verdict.holder;
      if (Date.now() - started >= this.#lockWaitMs) {
        throw storageError(
          CODE_STORAGE_UNAVAILABLE,
          `lock ${lockPath} still held by ${holder} after ${this.#lockWaitMs} ms`,
        );
      }
      await sleep(delay + Math.random() * delay);
      delay = Math.min(delay * 2, FILE_LOCK_RETRY_DELAY_MS_MAX);
    }
  }

  /**
   * Creates the lock with its content in one step: the content goes to a private file first, which
   * is then hard-linked to the lock's name (`link` fails if the name exists). So a lock is never
   * seen without its owner, even if its writer dies at once. Undefined when the lock is taken.
   */
  async #tryLock(lockPath: string, content: string): Promise<HeldLock | undefined> {
    const draft = path.join(path.dirname(lockPath), `.lockdraft-${randomBytes(8).toString('hex')}`);
    try {
      await writeFile(draft, content, { flag: 'wx', mode: 0o600 });
      const { ino } = await stat(draft);
      await link(draft, lockPath);
      return { path: lockPath, ino };
    } catch (error) {
      if (errno(error) === 'EEXIST') return undefined;
      throw storageError(CODE_STORAGE_UNAVAILABLE, `cannot create lock ${lockPath}`, error);
    } finally {
      await unlink(draft).catch(() => undefined);
    }
  }

  async #judgeLock(
    lockPath: string,
  ): Promise<
    | { kind: 'gone' }
    | { kind: 'held'; holder: string }
    | { kind: 'abandoned'; ino: number; info: LockInfo | undefined }
  > {
    let info: LockInfo | undefined;
    let ino: number;
    let ageMs: number;
    try {
      const fh = await open(lockPath, 'r');
      try {
        const st = await fh.stat();
        ino = st.ino;
        ageMs = Date.now() - st.mtimeMs;
        const text = (await fh.readFile()).subarray(0, LOCK_FILE_BYTES_MAX).toString('utf8');
        info = parseLock(text);
      } finally {
        await fh.close();
      }
    } catch (error) {
      if (errno(error) === 'ENOENT') return { kind: 'gone' };
      throw storageError(CODE_STORAGE_UNAVAILABLE, `cannot read lock ${lockPath}`, error);
    }
    if (info !== undefined && info.host === this.#host) {
      // Same machine: the owner's pid says it all; never take a live process's lock by age.
      return pidAlive(info.pid) ? { kind: 'held', holder: `process ${info.pid}` } : { kind: 'abandoned', ino, info };
    }
    // Another host, or a lock whose content is not written yet: only age can tell.
    if (ageMs > this.#lockStaleMs) return { kind: 'abandoned', ino, info };
    return { kind: 'held', holder: info === undefined ? 'a writer' : `process ${info.pid} on ${info.host}` };
  }

  /** Takes over an abandoned lock: rename it away, then check it was the one judged abandoned. */
  async #breakLock(lockPath: string, ino: number, info: LockInfo | undefined): Promise<void> {
    const dir = path.dirname(lockPath);
    const moved = path.join(dir, `.stale-${randomBytes(8).toString('hex')}`);
    try {
      await rename(lockPath, moved);
    } catch (error) {
      if (errno(error) === 'ENOENT') return; // someone else took it over first
      throw storageError(CODE_STORAGE_UNAVAILABLE, `cannot take over lock ${lockPath}`, error);
    }
    const st = await stat(moved).catch(() => undefined);
    if (st !== undefined && st.ino !== ino) {
      // We moved a fresh lock someone took in between: put it back (link fails if yet another
      // writer locked meanwhile, which then holds the lock instead).
      await link(moved, lockPath).catch(() => undefined);
    } else if (info?.tmp !== undefined && /^\.tmp-[0-9a-f]{16}$/.test(info.tmp)) {
      await unlink(path.join(dir, info.tmp)).catch(() => undefined); // the crashed writer's temp file
    }
    await unlink(moved).catch(() => undefined);
  }

  async #release(held: HeldLock): Promise<void> {
    // Remove the lock only if it is still ours (it could have been taken over as abandoned).
    const st = await stat(held.path).catch(() => undefined);
    if (st !== undefined && st.ino === held.ino) await unlink(held.path).catch(() => undefined);
  }
}

function parseLock(text: string): LockInfo | undefined {
  try {
    const json = JSON.parse(text) as Record<string, unknown>;
    const { pid, host, tmp } = json;
    if (typeof pid !== 'number' || !Number.isSafeInteger(pid) || pid <= 0 || typeof host !== 'string') return undefined;
    return { pid, host, tmp: typeof tmp === 'string' ? tmp : undefined };
  } catch {
    return undefined;
  }
}

async function writeAll(fh: FileHandle, bytes: Uint8Array): Promise<void> {
  let done = 0;
  while (done < bytes.length) {
    const { bytesWritten } = await fh.write(bytes, done, bytes.length - done);
    done += bytesWritten;
  }
}

guardClass(FileStorage, { methods: { dir: [], ...STORAGE_ADAPTER_GUARD_METHODS } });
