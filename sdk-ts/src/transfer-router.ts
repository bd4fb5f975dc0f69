/**
 * transfer (System 7) — the router role in Node: moves a transfer from a payer at provider A to
 * an account at provider B over real HTTP, on provider A's {@link TransferBook}, so that a
 * transfer **completes or aborts, never both**, through timeouts, 5xx answers, duplicate
 * callbacks and a restart of the router itself. Node only (exported from the Node entry).
 *
 * Steps of one transfer (`transferId` chosen by the caller, every book request id derived from it,
 * so a step repeated after a restart is the same request, answered again):
 *
 * 1. `POST <provider>/quotes` `{quoteId, amount, currency, payeeAccount}` → provider B's
 *    `{quoteId, condition}` (B draws the fulfilment and keeps it).
 * 2. The router's record of the transfer (provider, payee, amount, deadlines, condition) is
 *    written to the storage, then the book `quote`s (amount, the router's fee, deadline
 *    `now + quoteTtlS`) and `reserve`s (amount and fee held together under B's condition); the
 *    book is **saved before anything is sent**.
 * 3. `POST <provider>/transfers` with the message the provider's format makes of the instruction
 *    (`{contentType, body}`: plain JSON by default, {@link TransferRouterOptions.formats}), carrying
 *    the deadline onward **reduced by `marginS`**: B must not fulfil after it. Retried after a
 *    5xx or a timeout (the same transferId: B answers the same again) until B answers
 *    `COMMITTED` with the fulfilment or `ABORTED`, or the book's deadline passes.
 * 4. `commit` with the fulfilment (checked against the condition by the core) or `abort`; saved.
 *    B may also `PUT <router>/callbacks/<transferId>` `{fulfilment}` (Mojaloop's callback), once
 *    or twice: the same commit request, answered again the second time (`repeated`).
 *
 * On start the router loads the book from the store and finishes every transfer still
 * `reserved` from step 3 (an in-flight transfer of the previous process). Why never both: B credits
 * only before the deadline it was sent (the book's minus `marginS`) and releases the fulfilment
 * only after crediting; the book commits only with that fulfilment and only before its own
 * deadline, and aborts only on B's `ABORTED` or at the deadline — by which B can no longer
 * credit. A router down for longer than `marginS` after B fulfilled would find the book's deadline
 * passed with B credited: the margin is the longest outage the guarantee covers.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { INTERNAL_CONSTRUCTION, adopt, checkInternalConstruction, guardClass, guardFunction, raw, readCallerObject, toSdkError } from './boundary.js';
import { TransferBook, TransferBookStore, type TransferLifecycleOutcome, type TransferView } from './transfer-lifecycle.js';
import { CountersignRangeError, CountersignTypeError } from './errors.js';
import { CheckedStorage } from './storage/checked.js';
import type { StorageAdapter } from './storage/types.js';
import { expectBytes, expectInteger, expectObject, expectString, rangeError } from './validate.js';

/** What the router asks provider B to do: the format-independent transfer instruction. */
export interface TransferRouterInstruction {
  readonly transferId: string;
  readonly quoteId: string;
  /** Decimal string in `currency`: what the payee is credited. */
  readonly amount: string;
  readonly currency: string;
  /** The payee's account at provider B. */
  readonly payeeAccount: string;
  /** The payer's account at provider A (for B's records). */
  readonly payerAccount: string;
  /** SHA-256 of the fulfilment, 64 hex digits. */
  readonly condition: string;
  /** B's deadline, Unix seconds: the book's deadline minus the router's margin. */
  readonly expiresAt: number;
}

/** A message in a provider's format. */
export interface TransferRouterMessage {
  readonly contentType: string;
  readonly body: string;
}

/** Makes the message a provider understands from an instruction (plain JSON by default). */
export type TransferRouterFormat = (instruction: TransferRouterInstruction) => TransferRouterMessage;

/** The plain JSON format: the instruction as it is. */
export const plainJsonTransferFormat: TransferRouterFormat = guardFunction(function plainJsonTransferFormat(instruction: TransferRouterInstruction): TransferRouterMessage {
  return { contentType: 'application/json', body: JSON.stringify(expectObject(instruction, 'instruction')) };
}, ['instruction']);

/** Largest HTTP body the router reads (a provider's answer, a callback), bytes. */
export const TRANSFER_ROUTER_BODY_BYTES_MAX = 65_536;
/** Providers a router knows. */
export const TRANSFER_ROUTER_PROVIDERS_MAX = 64;
/** Attempts at a quote before the router gives up on it (nothing is held yet). */
export const TRANSFER_ROUTER_ATTEMPTS_MAX = 32;
/** Attempts at sending one transfer: it is sent again until B answers or the book's deadline passes (B may have credited and only its answer been lost), with a pause that doubles up to {@link TRANSFER_ROUTER_PAUSE_MS_MAX}; this bounds the loop besides the deadline. */
export const TRANSFER_ROUTER_SENDS_MAX = 100_000;
/** The longest pause between two sends of a transfer, ms. */
export const TRANSFER_ROUTER_PAUSE_MS_MAX = 2_000;

export interface TransferRouterOptions {
  /** Where the book and the router's records live (PostgreSQL for a real router). */
  readonly storage: StorageAdapter;
  /** The book's snapshot key, 32 bytes. */
  readonly snapshotKey: Uint8Array;
  /** Provider A's book: created with this id and currency when the store holds none. */
  readonly bookId: string;
  readonly currency: string;
  /** Provider B's by id: base URL (http://127.0.0.1:port) and optional format (default plain JSON). */
  readonly providers: Readonly<Record<string, { readonly url: string; readonly format?: TransferRouterFormat }>>;
  /** Provider A's fee on every transfer, a decimal string (default "0"). */
  readonly fee?: string;
  /** How long a quote (and so the reservation) lives, seconds (default 60). */
  readonly quoteTtlS?: number;
  /** How much earlier B's deadline is than the book's, seconds (default 20). */
  readonly marginS?: number;
  /** How long one HTTP call may take, ms (default 2,000). */
  readonly requestTimeoutMs?: number;
  /** Pause between attempts, ms (default 100). */
  readonly retryPauseMs?: number;
  /** Listen for callbacks on this loopback port (0: any free one; default 0). */
  readonly port?: number;
  /** `false`: no callback server (B's answers to the transfer calls alone); default true. */
  readonly callbacks?: boolean;
  /** Unix seconds (default the system clock). */
  readonly clock?: () => number;
  /** Called after each saved step (`quoted`, `reserved`, `sent`, `committed`, `aborted`): tests kill the process here. */
  readonly afterStep?: (step: string, transferId: string) => void;
}

/** What the caller asks: pay `amount` from `payerAccountId` to `payeeAccount` at `providerId`. */
export interface TransferOrder {
  readonly transferId: string;
  readonly payerAccountId: string;
  readonly providerId: string;
  readonly payeeAccount: string;
  readonly amount: string;
}

/** The router's record of an in-flight transfer (stored before the book reserves). */
interface RouteRecord extends TransferRouterInstruction {
  readonly providerId: string;
  /** The book's deadline (B's `expiresAt` + the margin). */
  readonly bookExpiresAt: number;
}

const recordKey = (bookId: string, transferId: string) => `transfer-router/${bookId}/${transferId}`;
const settlementAccount = (providerId: string) => `provider:${providerId}`;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** One request at a time on the book: its steps and its saves never interleave. */
class Queue {
  #tail: Promise<unknown> = Promise.resolve();
  run<T>(step: () => Promise<T>): Promise<T> {
    const next = this.#tail.then(step, step);
    this.#tail = next.catch(() => undefined);
    return next;
  }
}

async function readBody(req: IncomingMessage): Promise<string> {
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > TRANSFER_ROUTER_BODY_BYTES_MAX) throw rangeError('body', `larger than ${TRANSFER_ROUTER_BODY_BYTES_MAX} bytes`);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** The router's settings, read once from its options. */
type Settings = Required<Omit<TransferRouterOptions, 'afterStep' | 'port' | 'clock' | 'callbacks' | 'storage'>> & Pick<TransferRouterOptions, 'afterStep'> & { readonly storage: CheckedStorage };

/** See the module comment. */
export class TransferRouter {
  readonly #options: Settings;
  readonly #store: TransferBookStore;
  readonly #book: TransferBook;
  readonly #server: Server | undefined;
  readonly #queue = new Queue();
  readonly #clock: () => number;
  #closed = false;

  private constructor(token: typeof INTERNAL_CONSTRUCTION, options: Settings, store: TransferBookStore, book: TransferBook, server: Server | undefined, clock: () => number) {
    checkInternalConstruction(token, 'TransferRouter', 'TransferRouter.start');
    this.#options = options;
    this.#store = store;
    this.#book = book;
    this.#server = server;
    this.#clock = clock;
    adopt(this, TransferRouter);
  }

  /** Loads (or creates) the book, opens each provider's settlement account, listens for callbacks, and finishes the transfers a previous process left reserved. */
  static async start(options: TransferRouterOptions): Promise<TransferRouter> {
    try {
      return await TransferRouter.#start(options);
    } catch (e) {
      throw toSdkError(e, 'TransferRouter.start');
    }
  }

  static async #start(options: TransferRouterOptions): Promise<TransferRouter> {
    // Every option is read once, here, into plain values (a getter that changes its answer
    // between two reads must not give the checks one value and the router another).
    const given = readCallerObject('options', () => expectObject(options, 'options', [
      'storage', 'snapshotKey', 'bookId', 'currency', 'providers', 'fee', 'quoteTtlS', 'marginS',
      'requestTimeoutMs', 'retryPauseMs', 'port', 'callbacks', 'clock', 'afterStep',
    ]));
    const [storageGiven, keyGiven, bookIdGiven, currencyGiven, providersGiven, feeGiven, ttlGiven, marginGiven, timeoutGiven, pauseGiven, portGiven, callbacksGiven, clockGiven, afterStepGiven] = readCallerObject('options', () => [
      given.storage, given.snapshotKey, given.bookId, given.currency, given.providers, given.fee, given.quoteTtlS, given.marginS,
      given.requestTimeoutMs, given.retryPauseMs, given.port, given.callbacks, given.clock, given.afterStep,
    ]);
    const key = expectBytes(keyGiven, 'options.snapshotKey').slice();
    const bookId = expectString(bookIdGiven, 'options.bookId');
    const currency = expectString(currencyGiven, 'options.currency');
    const providerEntries = readCallerObject('options.providers', () => Object.entries(expectObject(providersGiven, 'options.providers')));
    if (providerEntries.length > TRANSFER_ROUTER_PROVIDERS_MAX) throw rangeError('options.providers', `at most ${TRANSFER_ROUTER_PROVIDERS_MAX}`);
    const providers: Record<string, { url: string; format?: TransferRouterFormat }> = {};
    for (const [id, p] of providerEntries) {
      const [urlGiven, formatGiven] = readCallerObject(`options.providers.${id}`, () => {
        const entry = expectObject(p, `options.providers.${id}`, ['url', 'format']);
        return [entry.url, entry.format];
      });
      const url = expectString(urlGiven, `options.providers.${id}.url`);
      if (!/^http:\/\/127\.0\.0\.1:\d{1,5}$/.test(url)) throw rangeError(`options.providers.${id}.url`, 'must be http://127.0.0.1:<port> (loopback only)');
      if (formatGiven !== undefined && typeof formatGiven !== 'function') throw rangeError(`options.providers.${id}.format`, 'must be a function');
      providers[id] = formatGiven === undefined ? { url } : { url, format: formatGiven as TransferRouterFormat };
    }
    // Read through CheckedStorage: its methods read once, every answer checked and copied.
    const storage = CheckedStorage.of(storageGiven, 'options.storage');
    if (clockGiven !== undefined && typeof clockGiven !== 'function') throw rangeError('options.clock', 'must be a function');
    if (afterStepGiven !== undefined && typeof afterStepGiven !== 'function') throw rangeError('options.afterStep', 'must be a function');
    const givenClock = clockGiven as (() => unknown) | undefined;
    // The clock's answer is checked at each use (a safe integer of Unix seconds).
    const clock = givenClock === undefined ? () => Math.floor(Date.now() / 1000) : () => {
      let now: unknown;
      try {
        now = givenClock();
      } catch (e) {
        throw new CountersignTypeError('INVALID_ARGUMENT', `countersign: options.clock: threw (${e instanceof Error ? e.message : String(e)})`, 'options.clock');
      }
      return expectInteger(now, 'options.clock()', 0, Number.MAX_SAFE_INTEGER);
    };
    const settings: Settings = {
      storage,
      snapshotKey: key,
      bookId,
      currency,
      providers,
      fee: feeGiven === undefined ? '0' : expectString(feeGiven, 'options.fee'),
      quoteTtlS: ttlGiven === undefined ? 60 : expectInteger(ttlGiven, 'options.quoteTtlS', 2, 86_400),
      marginS: marginGiven === undefined ? 20 : expectInteger(marginGiven, 'options.marginS', 1, 86_399),
      requestTimeoutMs: timeoutGiven === undefined ? 2_000 : expectInteger(timeoutGiven, 'options.requestTimeoutMs', 1, 600_000),
      retryPauseMs: pauseGiven === undefined ? 100 : expectInteger(pauseGiven, 'options.retryPauseMs', 0, 60_000),
      afterStep: afterStepGiven as TransferRouterOptions['afterStep'],
    };
    if (settings.marginS >= settings.quoteTtlS) throw rangeError('options.marginS', 'must be less than quoteTtlS');
    const port = portGiven === undefined ? 0 : expectInteger(portGiven, 'options.port', 0, 65_535);
    if (callbacksGiven !== undefined && typeof callbacksGiven !== 'boolean') throw rangeError('options.callbacks', 'must be a boolean');
    // The checked adapter (itself a StorageAdapter): the caller's methods are read once, above.
    const store = new TransferBookStore(storage as unknown as StorageAdapter, key);
    const book = (await store.load(bookId)) ?? TransferBook.create({ bookId, currency, now: clock() });
    for (const id of Object.keys(providers)) {
      book.openAccount({ requestId: `open:${settlementAccount(id)}`, now: clock(), accountId: settlementAccount(id) });
    }
    if (!(await store.save(book))) throw new CountersignRangeError('INVALID_ARGUMENT', 'countersign: the book changed under the router (another router on the same store?)', 'options.storage');
    const server = callbacksGiven === false ? undefined : createServer();
    const router = new TransferRouter(INTERNAL_CONSTRUCTION, settings, store, book, server, clock);
    if (server !== undefined) {
      server.on('request', (req, res) => void router.#callback(req, res));
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, '127.0.0.1', () => resolve());
      });
    }
    await router.recover();
    return router;
  }

  /** The callback port (127.0.0.1). */
  get port(): number {
    const address = this.#server?.address();
    return typeof address === 'object' && address !== null ? address.port : 0;
  }

  /** The book (read it; change it only through the router). */
  get book(): TransferBook {
    return this.#book;
  }

  /** Runs a book request and saves the book before answering (one at a time). */
  async #step(run: (book: TransferBook) => TransferLifecycleOutcome): Promise<TransferLifecycleOutcome> {
    return this.#queue.run(async () => {
      const outcome = run(this.#book);
      if (!(await this.#store.save(this.#book))) {
        throw new CountersignRangeError('INVALID_ARGUMENT', 'countersign: the book changed under the router (another router on the same store?)', 'storage');
      }
      return outcome;
    });
  }

  /** Opens a payer's account at provider A (setup, demos). */
  openAccount(accountId: string): Promise<TransferLifecycleOutcome> {
    const id = expectString(accountId, 'accountId');
    return this.#step((b) => b.openAccount({ requestId: `open:${id}`, now: this.#clock(), accountId: id }));
  }

  /** Funds a payer's account at provider A (setup, demos); `requestId` makes it idempotent. */
  fund(requestId: string, accountId: string, amount: string): Promise<TransferLifecycleOutcome> {
    const request = { requestId: expectString(requestId, 'requestId'), now: this.#clock(), accountId: expectString(accountId, 'accountId'), amount: expectString(amount, 'amount') };
    return this.#step((b) => b.fund(request));
  }

  /** Moves one transfer through every step; resolves with the book's view of it once final. */
  async transfer(order: TransferOrder): Promise<TransferView> {
    const o = expectObject(order, 'order', ['transferId', 'payerAccountId', 'providerId', 'payeeAccount', 'amount']);
    const transferId = expectString(o.transferId, 'order.transferId');
    const providerId = expectString(o.providerId, 'order.providerId');
    const provider = this.#options.providers[providerId];
    if (provider === undefined) throw rangeError('order.providerId', `no provider ${providerId}`);
    const existing = this.#book.transfer(transferId);
    if (existing !== undefined) return this.#finish(existing, await this.#record(transferId));
    // A transfer started before a restart has its record: the same terms, so the book's quote
    // request is the same body and is answered again (or QUOTE_EXPIRED once its deadline passed).
    let record = await this.#storedRecord(transferId);
    if (record === undefined) {
      const quote = await this.#call(provider.url, '/quotes', {
        contentType: 'application/json',
        body: JSON.stringify({ quoteId: `q-${transferId}`, amount: o.amount, currency: this.#options.currency, payeeAccount: o.payeeAccount }),
      }, () => true);
      if (quote === undefined || typeof quote.condition !== 'string' || typeof quote.quoteId !== 'string') {
        throw new CountersignRangeError('INVALID_ARGUMENT', `countersign: provider ${providerId} gave no quote`, 'order.providerId');
      }
      const bookExpiresAt = this.#clock() + this.#options.quoteTtlS;
      record = {
        providerId,
        transferId,
        quoteId: quote.quoteId,
        amount: expectString(o.amount, 'order.amount'),
        currency: this.#options.currency,
        payeeAccount: expectString(o.payeeAccount, 'order.payeeAccount'),
        payerAccount: expectString(o.payerAccountId, 'order.payerAccountId'),
        condition: quote.condition,
        expiresAt: bookExpiresAt - this.#options.marginS,
        bookExpiresAt,
      };
      // The record first: a book with a reservation always has the record that finishes it.
      await this.#options.storage.put(recordKey(this.#options.bookId, transferId), new TextEncoder().encode(JSON.stringify(record)), null);
    }
    const r = record;
    const quoted = await this.#step((b) =>
      b.quote({
        requestId: `quote:${transferId}`, now: this.#clock(), quoteId: r.quoteId, payerAccountId: r.payerAccount,
        payeeAccountId: settlementAccount(r.providerId), amount: r.amount, fee: this.#options.fee, expiresAt: r.bookExpiresAt,
      }));
    if (quoted.code !== 'QUOTED') return this.#refused(transferId, quoted);
    this.#options.afterStep?.('quoted', transferId);
    const reserved = await this.#step((b) =>
      b.reserve({ requestId: `reserve:${transferId}`, now: this.#clock(), transferId, quoteId: r.quoteId, condition: r.condition }));
    if (reserved.code !== 'RESERVED' || reserved.transfer === null) return this.#refused(transferId, reserved);
    this.#options.afterStep?.('reserved', transferId);
    return this.#finish(reserved.transfer, r);
  }

  /** Finishes every transfer a previous process left reserved (called by `start`). */
  async recover(): Promise<TransferView[]> {
    const done: TransferView[] = [];
    for (const id of this.#book.transferIds()) {
      const view = this.#book.transfer(id);
      if (view?.state === 'reserved') done.push(await this.#finish(view, await this.#record(id)));
    }
    return done;
  }

  async #storedRecord(transferId: string): Promise<RouteRecord | undefined> {
    const stored = await this.#options.storage.get(recordKey(this.#options.bookId, transferId));
    return stored === null ? undefined : (JSON.parse(new TextDecoder().decode(stored.value)) as RouteRecord);
  }

  async #record(transferId: string): Promise<RouteRecord> {
    const record = await this.#storedRecord(transferId);
    if (record === undefined) throw new CountersignRangeError('SNAPSHOT_INVALID', `countersign: no route record for ${transferId}`, 'transferId');
    return record;
  }

  #refused(transferId: string, outcome: TransferLifecycleOutcome): never {
    throw new CountersignRangeError('INVALID_ARGUMENT', `countersign: transfer ${transferId} refused by the book: ${outcome.code}`, 'order');
  }

  /** Step 3 and 4: send until B answers or the deadline passes; commit or abort. */
  async #finish(view: TransferView, record: RouteRecord): Promise<TransferView> {
    const provider = this.#options.providers[record.providerId];
    let answer: Record<string, unknown> | undefined;
    let pause = this.#options.retryPauseMs;
    for (let attempt = 0; view.state === 'reserved' && attempt < TRANSFER_ROUTER_SENDS_MAX && !this.#closed; attempt++) {
      if (this.#clock() >= view.expiresAt) break;
      const instruction: TransferRouterInstruction = {
        transferId: record.transferId, quoteId: record.quoteId, amount: record.amount, currency: record.currency,
        payeeAccount: record.payeeAccount, payerAccount: record.payerAccount, condition: record.condition, expiresAt: record.expiresAt,
      };
      const message = (provider?.format ?? plainJsonTransferFormat)(instruction);
      answer = provider === undefined ? undefined : await this.#call(provider.url, '/transfers', message, (status) => status < 500);
      this.#options.afterStep?.('sent', record.transferId);
      if (answer?.state === 'COMMITTED' || answer?.state === 'ABORTED') break;
      view = this.#book.transfer(record.transferId) ?? view; // a callback may have committed it meanwhile
      // Never past the deadline: the last send goes out before it.
      await sleep(Math.min(pause, Math.max(0, (view.expiresAt - this.#clock()) * 1000 - 1)));
      pause = Math.min(Math.max(2 * pause, 1), TRANSFER_ROUTER_PAUSE_MS_MAX);
    }
    const transferId = record.transferId;
    if (answer?.state === 'COMMITTED' && typeof answer.fulfilment === 'string') {
      await this.#commit(transferId, answer.fulfilment);
    } else if (answer?.state === 'ABORTED') {
      await this.#step((b) => b.abort({ requestId: `abort:${transferId}`, now: this.#clock(), transferId, reason: String(answer?.reason ?? 'provider aborted').slice(0, 140) }));
      this.#options.afterStep?.('aborted', transferId);
    } else if (this.#book.transfer(transferId)?.state === 'reserved') {
      // No answer before the deadline: the reservation is released at it (B can no longer credit).
      const wait = (this.#book.transfer(transferId)?.expiresAt ?? 0) - this.#clock();
      if (wait > 0 && !this.#closed) await sleep(wait * 1000);
      await this.#step((b) => b.expireDue({ requestId: `expire:${transferId}:${this.#clock()}`, now: this.#clock() }));
    }
    return this.#book.transfer(transferId) ?? view;
  }

  async #commit(transferId: string, fulfilment: string): Promise<TransferLifecycleOutcome> {
    const outcome = await this.#step((b) => b.commit({ requestId: `commit:${transferId}`, now: this.#clock(), transferId, fulfilment }));
    if (outcome.code === 'COMMITTED' && !outcome.repeated) this.#options.afterStep?.('committed', transferId);
    return outcome;
  }

  /** One HTTP call to a provider; its JSON answer, or undefined after a timeout, a refused connection or a status `retry` rejects. */
  async #call(base: string, path: string, message: { contentType: string; body: string }, accept: (status: number) => boolean, attempts = TRANSFER_ROUTER_ATTEMPTS_MAX): Promise<Record<string, unknown> | undefined> {
    for (let attempt = 0; attempt < attempts && !this.#closed; attempt++) {
      try {
        const res = await fetch(base + path, {
          method: 'POST',
          headers: { 'content-type': message.contentType },
          body: message.body,
          signal: AbortSignal.timeout(this.#options.requestTimeoutMs),
        });
        const text = await res.text();
        if (accept(res.status) && res.status < 500) return JSON.parse(text) as Record<string, unknown>;
      } catch {
        // A timeout or a refused connection: try again (the same request: B answers it again).
      }
      if (path === '/transfers') return undefined; // #finish owns the retries of a transfer (it re-checks the deadline)
      await sleep(this.#options.retryPauseMs);
    }
    return undefined;
  }

  /** `PUT /callbacks/<transferId>` `{fulfilment}`: B's callback, any number of times. */
  async #callback(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const reply = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    try {
      const match = /^\/callbacks\/([^/]{1,62})$/.exec(req.url ?? '');
      if (req.method !== 'PUT' || match === null) return reply(404, { error: 'not found' });
      const transferId = decodeURIComponent(match[1]!);
      const body = JSON.parse(await readBody(req)) as { fulfilment?: unknown };
      if (typeof body.fulfilment !== 'string') return reply(400, { error: 'fulfilment' });
      if (this.#book.transfer(transferId) === undefined) return reply(404, { error: 'unknown transfer' });
      const outcome = await this.#commit(transferId, body.fulfilment);
      reply(200, { code: outcome.code, repeated: outcome.repeated });
    } catch (e) {
      reply(400, { error: e instanceof Error ? e.message : 'bad request' });
    }
  }

  /** Stops listening; in-flight steps finish, no new attempt starts. */
  async close(): Promise<void> {
    this.#closed = true;
    const server = this.#server;
    if (server !== undefined) await new Promise<void>((resolve) => server.close(() => resolve()));
    await this.#queue.run(async () => undefined);
  }
}

guardClass(TransferRouter, {
  methods: {
    openAccount: ['accountId'],
    fund: ['requestId', 'accountId', 'amount'],
    transfer: ['order'],
    recover: [],
    close: [],
    port: [],
    book: [],
  },
  // The options hold live objects (a storage adapter, functions): read by start itself.
  statics: { start: [raw('options')] },
});
