/**
 * relay — System 5's server role in Node: a `TokenServer` behind real HTTP on 127.0.0.1, its
 * state in a `RelayStore` (files or PostgreSQL). Node only (exported from the Node entry).
 *
 * Every answer that changed the server is **saved before it is sent**: a server killed at any
 * moment restarts from the store with every payment and stored answer, so a token sent again
 * after the restart gets the same receipt bytes, and no token is paid twice.
 *
 * | request | answer |
 * |---|---|
 * | `POST /relay/token` (body: the token bytes, at most {@link RELAY_TOKEN_BYTES_MAX}) | `200 {code, replayed, deviceId, counter, tokenHash, receipt: hex / null}` |
 * | `GET /relay/key` | `200 {keyId, algorithm, publicKey: hex}`: the key phones trust for receipts |
 * | anything else | `404`; a body too large `413`; the store refusing a write `503` (nothing answered: send again) |
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { INTERNAL_CONSTRUCTION, adopt, checkInternalConstruction, guardClass, raw, toSdkError } from './boundary.js';
import type { KeyPair } from './crypto.js';
import { RELAY_TOKEN_BYTES_MAX, RelayStore, TokenServer, type RelayServerKey } from './relay.js';
import { expectKeyPair } from './relay-keys.js';

const hexOf = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');
import type { StorageAdapter } from './storage/types.js';
import { CountersignError, CountersignTypeError } from './errors.js';
import { guardedClock, readBodyUpTo, sendJson } from './server-role.js';
import { expectBytes, expectInteger, expectObject, expectString, typeError } from './validate.js';

/** What a server is started with. */
export interface TokenHttpServerOptions {
  /** Where the server's state lives (files or PostgreSQL). */
  readonly storage: StorageAdapter;
  /** The snapshot key, 32 bytes. */
  readonly snapshotKey: Uint8Array;
  /** The key receipts are signed with. */
  readonly keyPair: KeyPair;
  /** Its key id (default `relay-server`). */
  readonly keyId?: string;
  /** The server's currency when the store holds no state yet (default `EUR`). */
  readonly currency?: string;
  /** The state's name in the store (default `main`). */
  readonly name?: string;
  /** Builds the first state (devices, payees, funding) when the store holds none. */
  readonly setup: (server: TokenServer) => void;
  /** Listen on this loopback port (0, the default: any free one). */
  readonly port?: number;
  /** Milliseconds since the epoch (default `Date.now`). */
  readonly clock?: () => number;
  /** False: set up but do not listen (a test that needs no socket); `url` is then empty. */
  readonly listen?: boolean;
}



/** The options, each read once into owned values; a throwing getter is an error about `options`. */
function readOptions(options: TokenHttpServerOptions) {
  try {
    const o = expectObject(options, 'options');
    const [storage, snapshotKeyGiven, keyPairGiven, keyIdGiven, nameGiven, setupGiven, portGiven, clockGiven, currencyGiven] = [
      o.storage, o.snapshotKey, o.keyPair, o.keyId, o.name, o.setup, o.port, o.clock, o.currency,
    ];
    const listenGiven = o.listen;
    if (listenGiven !== undefined && typeof listenGiven !== 'boolean') throw typeError('options.listen', 'a boolean', listenGiven);
    const currency = currencyGiven === undefined ? 'EUR' : expectString(currencyGiven, 'options.currency');
    const snapshotKey = expectBytes(snapshotKeyGiven, 'options.snapshotKey');
    const keyId = keyIdGiven === undefined ? 'relay-server' : expectString(keyIdGiven, 'options.keyId');
    const name = nameGiven === undefined ? 'main' : expectString(nameGiven, 'options.name');
    if (typeof setupGiven !== 'function') throw typeError('options.setup', 'a function', setupGiven);
    if (clockGiven !== undefined && typeof clockGiven !== 'function') throw typeError('options.clock', 'a function', clockGiven);
    const port = portGiven === undefined ? 0 : expectInteger(portGiven, 'options.port', 0, 65_535);
    const clock = guardedClock(clockGiven as (() => unknown) | undefined, Date.now);
    const keyPair = expectKeyPair(keyPairGiven);
    const setup = setupGiven as (s: TokenServer) => void;
    return { storage: storage as StorageAdapter, snapshotKey, keyPair, keyId, name, setup, port, clock, currency, listenGiven };
  } catch (e) {
    if (e instanceof CountersignError) throw e;
    throw new CountersignTypeError('INVALID_ARGUMENT', `countersign: options: reading it threw (${e instanceof Error ? e.message : String(e)})`, 'options');
  }
}

/** See the module comment. */
export class TokenHttpServer {
  readonly #http: Server;
  readonly #store: RelayStore;
  readonly #name: string;
  readonly #keyPair: KeyPair;
  readonly #keyId: string;
  readonly #clock: () => number;
  #server: TokenServer;
  /** Requests run one at a time: each reads and saves the whole state. */
  #queue: Promise<unknown> = Promise.resolve();

  private constructor(token: typeof INTERNAL_CONSTRUCTION, http: Server, store: RelayStore, name: string, keyPair: KeyPair, keyId: string, clock: () => number, server: TokenServer) {
    checkInternalConstruction(token, 'TokenHttpServer', 'TokenHttpServer.start');
    this.#http = http;
    this.#store = store;
    this.#name = name;
    this.#keyPair = keyPair;
    this.#keyId = keyId;
    this.#clock = clock;
    this.#server = server;
    adopt(this, TokenHttpServer);
  }

  /** Loads (or sets up and saves) the server state, then listens on 127.0.0.1. */
  static async start(options: TokenHttpServerOptions): Promise<TokenHttpServer> {
    try {
      return await TokenHttpServer.#start(options);
    } catch (e) {
      throw toSdkError(e, 'TokenHttpServer.start');
    }
  }

  static async #start(options: TokenHttpServerOptions): Promise<TokenHttpServer> {
    const { storage, snapshotKey, keyPair, keyId, name, setup, port, clock, currency, listenGiven } = readOptions(options);
    const store = new RelayStore(storage as StorageAdapter, snapshotKey);
    let server = await store.loadServer(name, keyPair, keyId);
    if (server === null) {
      server = TokenServer.create(currency, Math.floor(clock() / 1000), keyPair, keyId);
      try {
        setup(server);
      } catch (e) {
        server.free();
        if (e instanceof CountersignError) throw e;
        throw new CountersignTypeError('INVALID_ARGUMENT', `countersign: options.setup threw (${e instanceof Error ? e.message : String(e)})`, 'options.setup');
      }
      await store.saveServer(name, server);
    }
    const http = createServer();
    const self = new TokenHttpServer(INTERNAL_CONSTRUCTION, http, store, name, keyPair, keyId, clock, server);
    http.on('request', (req, res) => {
      self.#queue = self.#queue.then(() => self.#handle(req, res)).catch((e: unknown) => {
        if (!res.headersSent) sendJson(res, 500, { error: e instanceof Error ? e.message : String(e) });
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

  /** The key phones trust for receipts. */
  get publicKey(): RelayServerKey {
    return { keyId: this.#keyId, algorithm: this.#keyPair.algorithm, publicKey: new Uint8Array(this.#keyPair.publicKey) };
  }

  /** The balance of a device's wallet or a payee. */
  balance(kind: 'device' | 'payee', id: string): string | null {
    return this.#server.balance(kind, id);
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.method === 'GET' && req.url === '/relay/key') {
      const key = this.publicKey;
      sendJson(res, 200, { keyId: key.keyId, algorithm: key.algorithm, publicKey: hexOf(key.publicKey) });
      return;
    }
    if (req.method !== 'POST' || req.url !== '/relay/token') {
      sendJson(res, 404, { error: 'not found' });
      return;
    }
    const token = await readBodyUpTo(req, RELAY_TOKEN_BYTES_MAX);
    if (token === null) {
      sendJson(res, 413, { error: `a token is at most ${RELAY_TOKEN_BYTES_MAX} bytes` });
      return;
    }
    const before = this.#server.revision()[0];
    const reply = this.#server.process(token, Math.floor(this.#clock() / 1000));
    if (this.#server.revision()[0] !== before && !(await this.#store.saveServer(this.#name, this.#server))) {
      // Another writer changed the stored state: ours is not the truth; reload it, answer nothing.
      const fresh = await this.#store.loadServer(this.#name, this.#keyPair, this.#keyId);
      if (fresh !== null) {
        this.#server.free();
        this.#server = fresh;
      }
      sendJson(res, 503, { error: 'the state changed under this server; send the token again' });
      return;
    }
    sendJson(res, 200, {
      code: reply.code,
      replayed: reply.replayed,
      deviceId: reply.deviceId,
      counter: reply.counter,
      tokenHash: reply.tokenHash,
      receipt: reply.receipt === null ? null : hexOf(reply.receipt),
    });
  }

  /** Stops listening and frees the server state (it is in the store). */
  async close(): Promise<void> {
    if (this.#http.listening) {
      const closed = new Promise<void>((resolve) => this.#http.close(() => resolve()));
      this.#http.closeAllConnections();
      await closed;
    }
    await this.#queue;
    this.#server.free();
  }
}

guardClass(TokenHttpServer, {
  methods: {
    url: [],
    publicKey: [],
    balance: ['kind', 'id'],
    close: [],
  },
  statics: {
    start: [raw('options')],
  },
});
