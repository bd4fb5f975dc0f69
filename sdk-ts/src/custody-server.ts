/**
 * custody — System 8's back-office server in Node: a {@link CustodyBook} behind real HTTP on
 * 127.0.0.1, its state in a {@link CustodyBookStore} (files or PostgreSQL), the signing keys
 * (the omnibus's secret key and the master seed of the transfer wallets) held by the process.
 * Node only (exported from the Node entry).
 *
 * Every answer that changed the book is **saved before it is sent**: a server stopped at any
 * moment restarts from the store with every event, approval and signing it acknowledged. The
 * time of every event is the server's clock (a `now` in a body is replaced), never the caller's.
 *
 * | request | answer |
 * |---|---|
 * | `POST /custody/events` (an event in its tagged form `{kind, ...}`; an approval's `envelope` as hex) | `200` the outcome |
 * | `POST /custody/withdrawals` (a `requestWithdrawal` request) | `200` the outcome |
 * | `GET /custody/withdrawals` | `200` the withdrawals waiting for approvals, with their digests and counted approvals |
 * | `GET /custody/withdrawals/<id>` | `200` the withdrawal, `404` when unknown |
 * | `POST /custody/withdrawals/<id>/approvals` (`{envelope: hex}`: an approver's signed envelope) | `200` the outcome |
 * | `POST /custody/withdrawals/<id>/sign` | `200 {outcome, digests: hex[], signatures: hex[]}` (empty lists when refused) |
 * | `GET /custody/reconciliation` | `200 {eventCount, assets: [{asset, expectedOmnibus}], discrepancies}` |
 * | `GET /custody/balances/<asset>` | `200` every client's trading balance in minor units |
 * | a malformed request | `400 {code, param, message}` (the SDK's error); too large `413`; unknown `404`; the store refusing a write `503` (nothing answered: send again) |
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { INTERNAL_CONSTRUCTION, adopt, checkInternalConstruction, guardClass, raw, toSdkError } from './boundary.js';
import { CustodyBook, CustodyBookStore, custodyTransferWallet, type CustodyBookConfig, type CustodyEvent, type CustodyOutcome } from './custody.js';
import { CountersignError, CountersignTypeError } from './errors.js';
import { guardedClock, readBodyUpTo, sendJson } from './server-role.js';
import type { StorageAdapter } from './storage/types.js';
import { expectBytes, expectInteger, expectObject, expectString, typeError } from './validate.js';

/** The largest request body, bytes (an event or an approval envelope with room to spare). */
export const CUSTODY_SERVER_BODY_BYTES_MAX = 64 * 1024;

/** What a back-office server is started with. */
export interface CustodyServerOptions {
  /** Where the book lives (files or PostgreSQL). */
  readonly storage: StorageAdapter;
  /** The snapshot key, 32 bytes. */
  readonly snapshotKey: Uint8Array;
  /** The book's configuration when the store holds none yet. */
  readonly config: CustodyBookConfig;
  /** The omnibus wallet's secp256k1 secret key (signs leg 1 of every withdrawal). */
  readonly omnibusKey: Uint8Array;
  /** The master seed of the transfer wallets (16..64 bytes; the wallet of leg 2 is derived per client). */
  readonly seed: Uint8Array;
  /** The book's name in the store (default `main`). */
  readonly name?: string;
  /** Listen on this loopback port (0, the default: any free one). */
  readonly port?: number;
  /** Milliseconds since the epoch (default `Date.now`); events get its whole seconds. */
  readonly clock?: () => number;
  /** False: load but do not listen (a test that needs no socket); `url` is then empty. */
  readonly listen?: boolean;
}

const hexOf = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');



/** An error answer: the SDK's typed errors as 400 with their code and parameter. */
class BadRequest extends Error {}

function jsonOf(body: Uint8Array): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(body).toString('utf8'));
  } catch {
    throw new BadRequest('the body is not JSON');
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new BadRequest('the body must be a JSON object');
  return parsed as Record<string, unknown>;
}

function bytesOfHex(value: unknown, param: string): Uint8Array {
  if (typeof value !== 'string' || value.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(value)) throw typeError(param, 'hex', value);
  return new Uint8Array(Buffer.from(value, 'hex'));
}

function readOptions(options: CustodyServerOptions) {
  try {
    const o = expectObject(options, 'options');
    const [storage, snapshotKeyGiven, configGiven, omnibusKeyGiven, seedGiven, nameGiven, portGiven, clockGiven, listenGiven] = [
      o.storage, o.snapshotKey, o.config, o.omnibusKey, o.seed, o.name, o.port, o.clock, o.listen,
    ];
    if (listenGiven !== undefined && typeof listenGiven !== 'boolean') throw typeError('options.listen', 'a boolean', listenGiven);
    const snapshotKey = expectBytes(snapshotKeyGiven, 'options.snapshotKey');
    const omnibusKey = expectBytes(omnibusKeyGiven, 'options.omnibusKey');
    const seed = expectBytes(seedGiven, 'options.seed');
    const config = expectObject(configGiven, 'options.config') as unknown as CustodyBookConfig;
    const name = nameGiven === undefined ? 'main' : expectString(nameGiven, 'options.name');
    if (clockGiven !== undefined && typeof clockGiven !== 'function') throw typeError('options.clock', 'a function', clockGiven);
    const port = portGiven === undefined ? 0 : expectInteger(portGiven, 'options.port', 0, 65_535);
    const clock = guardedClock(clockGiven as (() => unknown) | undefined, Date.now);
    return { storage: storage as StorageAdapter, snapshotKey, config, omnibusKey, seed, name, port, clock, listenGiven };
  } catch (e) {
    if (e instanceof CountersignError) throw e;
    throw new CountersignTypeError('INVALID_ARGUMENT', `countersign: options: reading it threw (${e instanceof Error ? e.message : String(e)})`, 'options');
  }
}

/** See the module comment. */
export class CustodyHttpServer {
  readonly #http: Server;
  readonly #store: CustodyBookStore;
  readonly #name: string;
  readonly #omnibusKey: Uint8Array;
  readonly #seed: Uint8Array;
  readonly #clock: () => number;
  #book: CustodyBook;
  /** Requests run one at a time: each decides on the whole book and saves it. */
  #queue: Promise<unknown> = Promise.resolve();

  private constructor(token: typeof INTERNAL_CONSTRUCTION, http: Server, store: CustodyBookStore, name: string, omnibusKey: Uint8Array, seed: Uint8Array, clock: () => number, book: CustodyBook) {
    checkInternalConstruction(token, 'CustodyHttpServer', 'CustodyHttpServer.start');
    this.#http = http;
    this.#store = store;
    this.#name = name;
    this.#omnibusKey = omnibusKey;
    this.#seed = seed;
    this.#clock = clock;
    this.#book = book;
    adopt(this, CustodyHttpServer);
  }

  /** Loads (or creates and saves) the book, then listens on 127.0.0.1. */
  static async start(options: CustodyServerOptions): Promise<CustodyHttpServer> {
    try {
      return await CustodyHttpServer.#start(options);
    } catch (e) {
      throw toSdkError(e, 'CustodyHttpServer.start');
    }
  }

  static async #start(options: CustodyServerOptions): Promise<CustodyHttpServer> {
    const { storage, snapshotKey, config, omnibusKey, seed, name, port, clock, listenGiven } = readOptions(options);
    const store = new CustodyBookStore(storage, snapshotKey);
    let book = await store.load(name);
    if (book === null) {
      book = CustodyBook.create(config);
      await store.save(name, book);
    }
    const http = createServer();
    const self = new CustodyHttpServer(INTERNAL_CONSTRUCTION, http, store, name, omnibusKey, seed, clock, book);
    http.on('request', (req, res) => {
      self.#queue = self.#queue.then(() => self.#handle(req, res)).catch((e: unknown) => {
        if (res.headersSent) return;
        if (e instanceof BadRequest) sendJson(res, 400, { code: 'INVALID_ARGUMENT', message: e.message });
        else if (e instanceof CountersignError && e.code !== 'INTERNAL' && e.code !== 'WASM_TRAP') sendJson(res, 400, { code: e.code, param: e.param, message: e.message });
        else sendJson(res, 500, { error: e instanceof Error ? e.message : String(e) });
      });
    });
    if (listenGiven !== false) {
      await new Promise<void>((resolve, reject) => {
        http.once('error', reject);
        http.listen(port, '127.0.0.1', () => resolve());
      });
    }
    return self;
  }

  /** `http://127.0.0.1:<port>`. */
  get url(): string {
    const address = this.#http.address() as AddressInfo | null;
    return address === null ? '' : `http://127.0.0.1:${address.port}`;
  }

  /** The book (read its views; events go through HTTP so that each is saved before it is answered). */
  get book(): CustodyBook {
    return this.#book;
  }

  #now(): number {
    return Math.floor(this.#clock() / 1000);
  }

  /** Runs a change of the book and saves it before the answer; null when the store refused (503 sent). */
  async #decide<T>(res: ServerResponse, decide: () => T): Promise<T | null> {
    const before = this.#book.eventCount;
    const result = decide();
    if (this.#book.eventCount !== before && !(await this.#store.save(this.#name, this.#book))) {
      // Another writer changed the stored book: ours is not the truth; reload it, answer nothing.
      const fresh = await this.#store.load(this.#name);
      if (fresh !== null) {
        this.#book.free();
        this.#book = fresh;
      }
      sendJson(res, 503, { error: 'the book changed under this server; send the request again' });
      return null;
    }
    return result;
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '').split('?')[0] ?? '';
    const parts = path.split('/').filter((p) => p !== '').map((p) => decodeURIComponent(p));
    if (parts[0] !== 'custody') {
      sendJson(res, 404, { error: 'not found' });
      return;
    }
    if (req.method === 'GET') {
      this.#get(parts, res);
      return;
    }
    if (req.method !== 'POST') {
      sendJson(res, 404, { error: 'not found' });
      return;
    }
    const body = await readBodyUpTo(req, CUSTODY_SERVER_BODY_BYTES_MAX);
    if (body === null) {
      sendJson(res, 413, { error: `a request is at most ${CUSTODY_SERVER_BODY_BYTES_MAX} bytes` });
      return;
    }
    const now = this.#now();
    if (parts.length === 2 && parts[1] === 'events') {
      const event = jsonOf(body);
      const withTime = { ...event, now } as Record<string, unknown>;
      if (event.kind === 'approve') withTime.envelope = bytesOfHex(event.envelope, 'envelope');
      const outcome = await this.#decide(res, () => this.#book.apply(withTime as unknown as CustodyEvent));
      if (outcome !== null) sendJson(res, 200, outcome);
      return;
    }
    if (parts.length === 2 && parts[1] === 'withdrawals') {
      const request = { ...jsonOf(body), now };
      const outcome = await this.#decide(res, () => this.#book.requestWithdrawal(request as never));
      if (outcome !== null) sendJson(res, 200, outcome);
      return;
    }
    if (parts.length === 4 && parts[1] === 'withdrawals' && parts[3] === 'approvals') {
      const fields = jsonOf(body);
      const envelope = bytesOfHex(fields.envelope, 'envelope');
      const withdrawalId = parts[2]!;
      const outcome: CustodyOutcome | null = await this.#decide(res, () => this.#book.approve({ withdrawalId, envelope, now }));
      if (outcome !== null) sendJson(res, 200, outcome);
      return;
    }
    if (parts.length === 4 && parts[1] === 'withdrawals' && parts[3] === 'sign') {
      const withdrawalId = parts[2]!;
      const view = this.#book.withdrawal(withdrawalId);
      const index = view === undefined ? undefined : this.#book.clientIndex(view.clientId);
      // An unknown withdrawal is answered by the book (UNKNOWN_WITHDRAWAL): any wallet key does.
      const wallet = custodyTransferWallet(this.#seed, index ?? 0);
      try {
        const signed = await this.#decide(res, () => this.#book.signWithdrawal(withdrawalId, now, { omnibusKey: this.#omnibusKey, walletKey: wallet.secretKey }));
        if (signed !== null) sendJson(res, 200, { outcome: signed.outcome, digests: signed.digests.map(hexOf), signatures: signed.signatures.map(hexOf) });
      } finally {
        wallet.secretKey.fill(0);
      }
      return;
    }
    sendJson(res, 404, { error: 'not found' });
  }

  #get(parts: string[], res: ServerResponse): void {
    const book = this.#book;
    if (parts.length === 2 && parts[1] === 'withdrawals') {
      sendJson(res, 200, book.pendingWithdrawals());
    } else if (parts.length === 3 && parts[1] === 'withdrawals') {
      const view = book.withdrawal(parts[2]!);
      if (view === undefined) sendJson(res, 404, { error: 'no such withdrawal' });
      else sendJson(res, 200, view);
    } else if (parts.length === 2 && parts[1] === 'reconciliation') {
      const assets = book.config().assets.map((a) => ({ asset: a.asset, expectedOmnibus: book.expectedOmnibus(a.asset) }));
      sendJson(res, 200, { eventCount: book.eventCount, assets, discrepancies: book.discrepancies() });
    } else if (parts.length === 3 && parts[1] === 'balances') {
      sendJson(res, 200, book.clientBalances(parts[2]!));
    } else {
      sendJson(res, 404, { error: 'not found' });
    }
  }

  /** Stops listening and frees the book (it is in the store). */
  async close(): Promise<void> {
    if (this.#http.listening) {
      const closed = new Promise<void>((resolve) => this.#http.close(() => resolve()));
      this.#http.closeAllConnections();
      await closed;
    }
    await this.#queue;
    this.#book.free();
  }
}

guardClass(CustodyHttpServer, {
  methods: {
    url: [],
    book: [],
    close: [],
  },
  statics: {
    start: [raw('options')],
  },
});
