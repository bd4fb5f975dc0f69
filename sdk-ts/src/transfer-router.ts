/**
 * transfer (System 7) — the router role in Node: moves a transfer from a payer at provider A to
 * an account at provider B over real HTTP, on provider A's {@link TransferBook}, so that a
 * transfer **completes or aborts, never both**, through timeouts, 5xx answers, duplicate
 * callbacks and a restart of the router itself. Node only (exported from the Node entry).
 *
 * What goes over the wire (docs/transfer.md "The router's messages"): the message is the core's
 * format adapter's ({@link transferGenerate}) in the format the provider's configuration names,
 * made once per transfer from its instruction and kept in the router's record; a mapping that
 * loses a field the transfer needs (an account, the amount, the ids) is refused before anything
 * is sent. Every request carries a signed envelope (`countersign-envelope` header, base64 of a
 * COSE_Sign1 by the router's Ed25519 key) bound to the body's SHA-256 and carrying what the
 * formats do not (quote id, condition, B's deadline); every answer and callback is an envelope
 * the router opens against that provider's trusted keys, in order (its sequence number above the
 * last accepted, persisted), of the expected type, and bound to the request — anything else is
 * refused with a code, recorded ({@link TransferRouter.rejections}) and never acted on.
 *
 * Steps of one transfer (`transferId` chosen by the caller, every book request id derived from it,
 * so a step repeated after a restart is the same request, answered again):
 *
 * 1. The message is generated and the router's record (provider, format, message, its losses)
 *    written; then `POST <provider>/quotes` with the message (a `transfer.quote-request`
 *    envelope) → B's `transfer.quote-answer` `{quoteId, condition}` (B draws the fulfilment and
 *    keeps it). The record gets the condition and the deadlines.
 * 2. The book `quote`s (amount, the router's fee, deadline `now + quoteTtlS`) and `reserve`s
 *    (amount and fee held together under B's condition); the book is **saved before anything
 *    more is sent**.
 * 3. `POST <provider>/transfers` with the same message (a `transfer.request` envelope carrying
 *    the condition and the deadline onward **reduced by `marginS`**: B must not fulfil after it).
 *    Retried after a 5xx, a timeout or a refused answer (the same transferId: B answers the same
 *    again) until B answers `COMMITTED` with the fulfilment or `ABORTED`, or the book's deadline
 *    passes.
 * 4. `commit` with the fulfilment (checked against the condition by the core) or `abort`; saved.
 *    B may also `PUT <router>/callbacks/<transferId>` a `transfer.answer` envelope (Mojaloop's
 *    callback), once or twice: the same commit request, answered again the second time
 *    (`repeated`).
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
import { INTERNAL_CONSTRUCTION, adopt, checkInternalConstruction, guardClass, raw, readCallerObject, toSdkError } from './boundary.js';
import { TransferBook, TransferBookStore, type TransferLifecycleOutcome, type TransferView } from './transfer-lifecycle.js';
import { CountersignRangeError } from './errors.js';
import { guardedClock } from './server-role.js';
import { CheckedStorage } from './storage/checked.js';
import type { StorageAdapter } from './storage/types.js';
import { expectArray, expectBytes, expectInteger, expectObject, expectOneOf, expectString, rangeError } from './validate.js';
import { ed25519PublicKey, expectKeyAlgorithm, sha256 } from './crypto.js';
import { openEnvelope, sealEnvelope, type EnvelopeRejection, type TrustedKey } from './envelope.js';
import { TRANSFER_FORMATS, transferGenerate, type TransferFormat, type TransferInstruction, type TransferLoss } from './transfer.js';

/** Largest HTTP body the router reads (a provider's answer, a callback), bytes. */
export const TRANSFER_ROUTER_BODY_BYTES_MAX = 65_536;
/** Providers a router knows. */
export const TRANSFER_ROUTER_PROVIDERS_MAX = 64;
/** Trusted keys per provider (more than one while a provider rotates its key). */
export const TRANSFER_ROUTER_PROVIDER_KEYS_MAX = 8;
/** Attempts at a quote before the router gives up on it (nothing is held yet). */
export const TRANSFER_ROUTER_ATTEMPTS_MAX = 32;
/** Attempts at sending one transfer: it is sent again until B answers or the book's deadline passes (B may have credited and only its answer been lost), with a pause that doubles up to {@link TRANSFER_ROUTER_PAUSE_MS_MAX}; this bounds the loop besides the deadline. */
export const TRANSFER_ROUTER_SENDS_MAX = 100_000;
/** The longest pause between two sends of a transfer, ms. */
export const TRANSFER_ROUTER_PAUSE_MS_MAX = 2_000;
/** Refused answers and callbacks the router keeps in {@link TransferRouter.rejections} (the oldest goes first). */
export const TRANSFER_ROUTER_REJECTIONS_MAX = 1_024;
/** How long a request envelope the router seals is valid, seconds. */
export const TRANSFER_ROUTER_ENVELOPE_TTL_S = 60;
/** How far in the future a provider's envelope may be issued (clock skew), seconds. */
export const TRANSFER_ROUTER_CLOCK_SKEW_S = 5;

/** The envelopes' message types: two requests the router seals, two answers it opens. */
export const TRANSFER_ENVELOPE_TYPES = Object.freeze({
  quoteRequest: 'transfer.quote-request',
  request: 'transfer.request',
  quoteAnswer: 'transfer.quote-answer',
  answer: 'transfer.answer',
} as const);
/** The content type of a body that is an envelope's bytes (every answer and callback). */
export const TRANSFER_ENVELOPE_CONTENT_TYPE = 'application/countersign-envelope';
/** The request header holding the request's envelope, base64. */
export const TRANSFER_ENVELOPE_HEADER = 'countersign-envelope';
/** Each format's content type on the wire. */
export const TRANSFER_CONTENT_TYPES: Readonly<Record<TransferFormat, string>> = Object.freeze({
  'pain.001.001.09': 'application/xml',
  'pacs.008.001.08': 'application/xml',
  'fspiop-quote': 'application/vnd.interop.quotes+json;version=1.1',
  'plain-json': 'application/json',
});
/** The instruction's fields a transfer cannot do without: a message whose mapping changes one of them is refused before it is sent (a name transliterated or a provider id dropped is only reported). */
export const TRANSFER_ROUTER_REQUIRED_FIELDS = Object.freeze(['messageId', 'endToEndId', 'amount', 'currency', 'debtor.account', 'creditor.account'] as const);

/** Why an answer or a callback was refused: the envelope's rejections, or — for an authentic envelope — `ANSWER_MALFORMED` (its payload is not the answer's JSON), `ANSWER_MISMATCH` (it answers another request: transfer id, quote id or the request's SHA-256 differ), `UNSIGNED` (a 200 answer that is not an envelope). */
export type TransferRouterRejectionCode = EnvelopeRejection | 'ANSWER_MALFORMED' | 'ANSWER_MISMATCH' | 'UNSIGNED';

/** One refused answer or callback. */
export interface TransferRouterRejection {
  /** The router's clock, Unix seconds. */
  readonly at: number;
  readonly providerId: string;
  /** Where it came: the answer to `/quotes` or `/transfers`, or a `/callbacks` PUT. */
  readonly path: '/quotes' | '/transfers' | '/callbacks';
  readonly transferId: string;
  readonly code: TransferRouterRejectionCode;
}

/** A provider B as the router knows it. */
export interface TransferRouterProvider {
  /** Base URL, `http://127.0.0.1:<port>` (loopback only). */
  readonly url: string;
  /** The core format B reads ({@link TRANSFER_FORMATS}). */
  readonly format: TransferFormat;
  /** B's public keys: its answers and callbacks must be sealed by one of them. */
  readonly keys: readonly TrustedKey[];
}

export interface TransferRouterOptions {
  /** Where the book and the router's records live (PostgreSQL for a real router). */
  readonly storage: StorageAdapter;
  /** The book's snapshot key, 32 bytes. */
  readonly snapshotKey: Uint8Array;
  /** Provider A's book: created with this id and currency when the store holds none. */
  readonly bookId: string;
  readonly currency: string;
  /** The router's Ed25519 key: its requests are sealed with it (providers trust `keyId` ↦ {@link TransferRouter.publicKey}). */
  readonly signingKey: { readonly keyId: string; readonly secretKey: Uint8Array };
  /** Provider B's by id. */
  readonly providers: Readonly<Record<string, TransferRouterProvider>>;
  /** Who initiates the transfers (the messages' initiator; default `bookId`). */
  readonly initiator?: string;
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
  /** 1..=35 of `[A-Za-z0-9.-]`, not starting with `.` or `-`: it is the messages' id and end-to-end id. */
  readonly transferId: string;
  readonly payerAccountId: string;
  readonly providerId: string;
  readonly payeeAccount: string;
  /** Decimal string in the book's currency. */
  readonly amount: string;
  /** The payer's and payee's names in the message (default: the account). */
  readonly payerName?: string;
  readonly payeeName?: string;
  /** Remittance information (1..=512 characters). */
  readonly remittance?: string;
}

/** The router's record of a transfer: written before the quote is asked, completed with B's condition before the book reserves. */
export interface TransferRoute {
  readonly providerId: string;
  readonly transferId: string;
  readonly quoteId: string;
  /** The amount as the message carries it (the core's canonical form). */
  readonly amount: string;
  readonly currency: string;
  readonly payeeAccount: string;
  readonly payerAccount: string;
  readonly format: TransferFormat;
  /** The instruction the message was made from. */
  readonly instruction: TransferInstruction;
  /** The message sent to B (both to `/quotes` and to `/transfers`: the same bytes). */
  readonly message: string;
  /** SHA-256 of the message's UTF-8 bytes, hex: what the envelopes bind. */
  readonly messageSha256: string;
  /** What did not survive the mapping (none of {@link TRANSFER_ROUTER_REQUIRED_FIELDS}). */
  readonly losses: readonly TransferLoss[];
  /** SHA-256 of the fulfilment, 64 hex digits; `null` until B quoted. */
  readonly condition: string | null;
  /** B's deadline, Unix seconds: the book's deadline minus the router's margin (0 until quoted). */
  readonly expiresAt: number;
  /** The book's deadline (0 until quoted). */
  readonly bookExpiresAt: number;
}

const recordKey = (bookId: string, transferId: string) => `transfer-router/${bookId}/${transferId}`;
const seqKey = (bookId: string, providerId: string) => `transfer-router-seq/${bookId}/${providerId}`;
const settlementAccount = (providerId: string) => `provider:${providerId}`;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const TRANSFER_ID = /^[A-Za-z0-9][A-Za-z0-9.-]{0,34}$/;
const hex = (bytes: Uint8Array) => Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder('utf-8', { fatal: true });

/** One request at a time on the book: its steps and its saves never interleave. */
class Queue {
  #tail: Promise<unknown> = Promise.resolve();
  run<T>(step: () => Promise<T>): Promise<T> {
    const next = this.#tail.then(step, step);
    this.#tail = next.catch(() => undefined);
    return next;
  }
}

async function readBody(req: IncomingMessage): Promise<Uint8Array> {
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > TRANSFER_ROUTER_BODY_BYTES_MAX) throw rangeError('body', `larger than ${TRANSFER_ROUTER_BODY_BYTES_MAX} bytes`);
    chunks.push(chunk as Buffer);
  }
  return new Uint8Array(Buffer.concat(chunks));
}

/** Reads one provider's configuration once into plain data. */
function readProvider(id: string, p: unknown): TransferRouterProvider {
  const at = `options.providers.${id}`;
  const [urlGiven, formatGiven, keysGiven] = readCallerObject(at, () => {
    const entry = expectObject(p, at, ['url', 'format', 'keys']);
    return [entry.url, entry.format, entry.keys];
  });
  const url = expectString(urlGiven, `${at}.url`);
  if (!/^http:\/\/127\.0\.0\.1:\d{1,5}$/.test(url)) throw rangeError(`${at}.url`, 'must be http://127.0.0.1:<port> (loopback only)');
  const format = expectOneOf(formatGiven, `${at}.format`, TRANSFER_FORMATS);
  const keyList = readCallerObject(`${at}.keys`, () => [...expectArray(keysGiven, `${at}.keys`)]);
  if (keyList.length === 0 || keyList.length > TRANSFER_ROUTER_PROVIDER_KEYS_MAX) throw rangeError(`${at}.keys`, `1..=${TRANSFER_ROUTER_PROVIDER_KEYS_MAX} keys`);
  const keys = keyList.map((k, i) => {
    const [keyId, algorithm, publicKey] = readCallerObject(`${at}.keys[${i}]`, () => {
      const key = expectObject(k, `${at}.keys[${i}]`, ['keyId', 'algorithm', 'publicKey']);
      return [key.keyId, key.algorithm, key.publicKey];
    });
    return {
      keyId: expectString(keyId, `${at}.keys[${i}].keyId`),
      algorithm: expectKeyAlgorithm(algorithm, `${at}.keys[${i}].algorithm`),
      publicKey: expectBytes(publicKey, `${at}.keys[${i}].publicKey`).slice(),
    };
  });
  return { url, format, keys };
}

/** The router's settings, read once from its options. */
type Settings = Required<Omit<TransferRouterOptions, 'afterStep' | 'port' | 'clock' | 'callbacks' | 'storage' | 'signingKey'>> & Pick<TransferRouterOptions, 'afterStep'> & {
  readonly storage: CheckedStorage;
  readonly keyId: string;
  readonly secretKey: Uint8Array;
  readonly publicKey: Uint8Array;
};

/** What one exchange with a provider gave: B's verified answer, or nothing (no answer, or a refused one). */
type Answer = Record<string, unknown> | undefined;

/** See the module comment. */
export class TransferRouter {
  readonly #options: Settings;
  readonly #store: TransferBookStore;
  readonly #book: TransferBook;
  readonly #server: Server | undefined;
  readonly #queue = new Queue();
  /** Opening answers one at a time: a sequence number is checked and persisted before the next is opened. */
  readonly #verifyQueue = new Queue();
  readonly #clock: () => number;
  /** The last sequence number accepted from each provider, and its stored version. */
  readonly #lastSeq = new Map<string, { seq: bigint | undefined; version: number | null }>();
  readonly #rejections: TransferRouterRejection[] = [];
  /** The last sequence number the router sealed with. */
  #seq = 0n;
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
    const names = [
      'storage', 'snapshotKey', 'bookId', 'currency', 'signingKey', 'providers', 'initiator', 'fee', 'quoteTtlS', 'marginS',
      'requestTimeoutMs', 'retryPauseMs', 'port', 'callbacks', 'clock', 'afterStep',
    ] as const;
    const given = readCallerObject('options', () => expectObject(options, 'options', names));
    const [storageGiven, keyGiven, bookIdGiven, currencyGiven, signingGiven, providersGiven, initiatorGiven, feeGiven, ttlGiven, marginGiven, timeoutGiven, pauseGiven, portGiven, callbacksGiven, clockGiven, afterStepGiven] =
      readCallerObject('options', () => names.map((n) => given[n]));
    const key = expectBytes(keyGiven, 'options.snapshotKey').slice();
    const bookId = expectString(bookIdGiven, 'options.bookId');
    const currency = expectString(currencyGiven, 'options.currency');
    const [signingKeyId, signingSecret] = readCallerObject('options.signingKey', () => {
      const s = expectObject(signingGiven, 'options.signingKey', ['keyId', 'secretKey']);
      return [s.keyId, s.secretKey];
    });
    const keyId = expectString(signingKeyId, 'options.signingKey.keyId');
    const secretKey = expectBytes(signingSecret, 'options.signingKey.secretKey').slice();
    let publicKey: Uint8Array;
    try {
      publicKey = ed25519PublicKey(secretKey);
    } catch (e) {
      throw toSdkError(e, 'options.signingKey.secretKey');
    }
    const providerEntries = readCallerObject('options.providers', () => Object.entries(expectObject(providersGiven, 'options.providers')));
    if (providerEntries.length > TRANSFER_ROUTER_PROVIDERS_MAX) throw rangeError('options.providers', `at most ${TRANSFER_ROUTER_PROVIDERS_MAX}`);
    const providers: Record<string, TransferRouterProvider> = {};
    for (const [id, p] of providerEntries) providers[id] = readProvider(id, p);
    // Read through CheckedStorage: its methods read once, every answer checked and copied.
    const storage = CheckedStorage.of(storageGiven, 'options.storage');
    if (clockGiven !== undefined && typeof clockGiven !== 'function') throw rangeError('options.clock', 'must be a function');
    if (afterStepGiven !== undefined && typeof afterStepGiven !== 'function') throw rangeError('options.afterStep', 'must be a function');
    // The clock's answer is checked at each use (a safe integer of Unix seconds).
    const clock = guardedClock(clockGiven as (() => unknown) | undefined, () => Math.floor(Date.now() / 1000));
    const settings: Settings = {
      storage,
      snapshotKey: key,
      bookId,
      currency,
      keyId,
      secretKey,
      publicKey,
      providers,
      initiator: initiatorGiven === undefined ? bookId : expectString(initiatorGiven, 'options.initiator'),
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
    // The last sequence number accepted from each provider survives a restart: a replayed
    // answer from before it is refused like one from now.
    for (const id of Object.keys(providers)) {
      const stored = await storage.get(seqKey(bookId, id));
      router.#lastSeq.set(id, stored === null ? { seq: undefined, version: null } : { seq: BigInt(fromUtf8.decode(stored.value)), version: stored.version });
    }
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

  /** The router's public key (Ed25519, 32 bytes; a copy): providers trust it under `signingKey.keyId`. */
  get publicKey(): Uint8Array {
    return this.#options.publicKey.slice();
  }

  /** The answers and callbacks refused since start, oldest first (at most {@link TRANSFER_ROUTER_REJECTIONS_MAX}; copies). */
  rejections(): TransferRouterRejection[] {
    return this.#rejections.map((r) => ({ ...r }));
  }

  /** The router's record of a transfer (its message, format and losses), or `null` when it has none. */
  async route(transferId: string): Promise<TransferRoute | null> {
    return (await this.#storedRecord(expectString(transferId, 'transferId')))?.record ?? null;
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

  /**
   * The message for a new transfer, made by the core's adapter in the provider's format, and the
   * record that keeps it. A mapping that changes a required field is refused here, before
   * anything is sent (`INVALID_ARGUMENT` naming the order's field, the losses in the message).
   */
  #draft(o: Record<string, unknown>, transferId: string, providerId: string, provider: TransferRouterProvider): TransferRoute {
    const payerAccount = expectString(o.payerAccountId, 'order.payerAccountId');
    const payeeAccount = expectString(o.payeeAccount, 'order.payeeAccount');
    const amount = expectString(o.amount, 'order.amount');
    const created = new Date(this.#clock() * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
    const remittance = o.remittance === undefined ? undefined : expectString(o.remittance, 'order.remittance');
    const instruction: TransferInstruction = {
      messageId: transferId,
      endToEndId: transferId,
      createdAt: created,
      executionDate: created.slice(0, 10),
      amount,
      currency: this.#options.currency,
      initiator: this.#options.initiator,
      debtor: { name: o.payerName === undefined ? payerAccount : expectString(o.payerName, 'order.payerName'), account: payerAccount, provider: this.#options.bookId },
      creditor: { name: o.payeeName === undefined ? payeeAccount : expectString(o.payeeName, 'order.payeeName'), account: payeeAccount, provider: providerId },
      ...(remittance === undefined ? {} : { remittance }),
    };
    let message;
    try {
      message = transferGenerate(provider.format, instruction);
    } catch (e) {
      throw toSdkError(e, 'order');
    }
    const required: readonly string[] = TRANSFER_ROUTER_REQUIRED_FIELDS;
    const lost = message.losses.filter((l) => required.includes(l.field));
    if (lost.length > 0) {
      const first = lost[0]!;
      const param = first.field === 'creditor.account' ? 'order.payeeAccount' : first.field === 'debtor.account' ? 'order.payerAccountId' : first.field === 'amount' || first.field === 'currency' ? 'order.amount' : 'order.transferId';
      const what = lost.map((l) => `${l.field} ${l.kinds.join('+')} (${l.reason})`).join('; ');
      throw new CountersignRangeError('INVALID_ARGUMENT', `countersign: ${param}: the ${provider.format} message would change what the transfer needs: ${what}`, param);
    }
    const back = transferGenerate('plain-json', instruction); // the canonical amount, as the core reads it
    const canonical = JSON.parse(back.text) as TransferInstruction;
    return {
      providerId,
      transferId,
      quoteId: `q-${transferId}`,
      amount: canonical.amount,
      currency: this.#options.currency,
      payeeAccount: canonical.creditor.account,
      payerAccount,
      format: provider.format,
      instruction,
      message: message.text,
      messageSha256: hex(sha256(utf8.encode(message.text))),
      losses: message.losses,
      condition: null,
      expiresAt: 0,
      bookExpiresAt: 0,
    };
  }

  /** Moves one transfer through every step; resolves with the book's view of it once final. */
  async transfer(order: TransferOrder): Promise<TransferView> {
    const o = expectObject(order, 'order', ['transferId', 'payerAccountId', 'providerId', 'payeeAccount', 'amount', 'payerName', 'payeeName', 'remittance']);
    const transferId = expectString(o.transferId, 'order.transferId');
    if (!TRANSFER_ID.test(transferId)) throw rangeError('order.transferId', 'must be 1..=35 of [A-Za-z0-9.-], not starting with . or -');
    const providerId = expectString(o.providerId, 'order.providerId');
    const provider = this.#options.providers[providerId];
    if (provider === undefined) throw rangeError('order.providerId', `no provider ${providerId}`);
    const existing = this.#book.transfer(transferId);
    if (existing !== undefined) return this.#finish(existing, await this.#record(transferId));
    // A transfer started before a restart has its record: the same message, so B's quote and
    // the book's quote request are the same bodies, answered again (or QUOTE_EXPIRED once its
    // deadline passed).
    let stored = await this.#storedRecord(transferId);
    if (stored === undefined) {
      const draft = this.#draft(o, transferId, providerId, provider);
      // The record first: the message B is quoted on is the one it will be sent.
      const put = await this.#options.storage.put(recordKey(this.#options.bookId, transferId), utf8.encode(JSON.stringify(draft)), null);
      if (!put.ok) throw new CountersignRangeError('INVALID_ARGUMENT', `countersign: transfer ${transferId} is being routed by another router`, 'order.transferId');
      stored = { record: draft, version: put.version };
    }
    let record = stored.record;
    if (record.condition === null) {
      const quote = await this.#exchange(record, '/quotes');
      if (quote === undefined || typeof quote.condition !== 'string') {
        throw new CountersignRangeError('INVALID_ARGUMENT', `countersign: provider ${record.providerId} gave no quote`, 'order.providerId');
      }
      const bookExpiresAt = this.#clock() + this.#options.quoteTtlS;
      record = { ...record, condition: quote.condition, expiresAt: bookExpiresAt - this.#options.marginS, bookExpiresAt };
      // A book with a reservation always has the record that finishes it.
      const put = await this.#options.storage.put(recordKey(this.#options.bookId, transferId), utf8.encode(JSON.stringify(record)), stored.version);
      if (!put.ok) throw new CountersignRangeError('INVALID_ARGUMENT', `countersign: transfer ${transferId} is being routed by another router`, 'order.transferId');
    }
    const r = record;
    const condition = r.condition as string;
    const quoted = await this.#step((b) =>
      b.quote({
        requestId: `quote:${transferId}`, now: this.#clock(), quoteId: r.quoteId, payerAccountId: r.payerAccount,
        payeeAccountId: settlementAccount(r.providerId), amount: r.amount, fee: this.#options.fee, expiresAt: r.bookExpiresAt,
      }));
    if (quoted.code !== 'QUOTED') return this.#refused(transferId, quoted);
    this.#options.afterStep?.('quoted', transferId);
    const reserved = await this.#step((b) =>
      b.reserve({ requestId: `reserve:${transferId}`, now: this.#clock(), transferId, quoteId: r.quoteId, condition }));
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

  async #storedRecord(transferId: string): Promise<{ record: TransferRoute; version: number } | undefined> {
    const stored = await this.#options.storage.get(recordKey(this.#options.bookId, transferId));
    return stored === null ? undefined : { record: JSON.parse(fromUtf8.decode(stored.value)) as TransferRoute, version: stored.version };
  }

  async #record(transferId: string): Promise<TransferRoute> {
    const stored = await this.#storedRecord(transferId);
    if (stored === undefined || stored.record.condition === null) throw new CountersignRangeError('SNAPSHOT_INVALID', `countersign: no route record for ${transferId}`, 'transferId');
    return stored.record;
  }

  #refused(transferId: string, outcome: TransferLifecycleOutcome): never {
    throw new CountersignRangeError('INVALID_ARGUMENT', `countersign: transfer ${transferId} refused by the book: ${outcome.code}`, 'order');
  }

  /** Step 3 and 4: send until B answers or the deadline passes; commit or abort. */
  async #finish(view: TransferView, record: TransferRoute): Promise<TransferView> {
    let answer: Answer;
    let pause = this.#options.retryPauseMs;
    for (let attempt = 0; view.state === 'reserved' && attempt < TRANSFER_ROUTER_SENDS_MAX && !this.#closed; attempt++) {
      if (this.#clock() >= view.expiresAt) break;
      answer = this.#options.providers[record.providerId] === undefined ? undefined : await this.#exchange(record, '/transfers');
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

  /** A fresh sequence number: above the last one and above the wall clock in µs, so a restarted router (even on an emptied store) still counts upward. */
  #nextSeq(): bigint {
    const floor = BigInt(Date.now()) * 1000n;
    this.#seq = this.#seq >= floor ? this.#seq + 1n : floor;
    return this.#seq;
  }

  /** The request's envelope: B's terms that no format carries, bound to the message's SHA-256. */
  #sealRequest(record: TransferRoute, path: '/quotes' | '/transfers'): Uint8Array {
    const now = this.#clock();
    const payload = path === '/quotes'
      ? { transferId: record.transferId, quoteId: record.quoteId, format: record.format, bodySha256: record.messageSha256 }
      : { transferId: record.transferId, quoteId: record.quoteId, format: record.format, bodySha256: record.messageSha256, condition: record.condition, expiresAt: record.expiresAt };
    return sealEnvelope({
      type: path === '/quotes' ? TRANSFER_ENVELOPE_TYPES.quoteRequest : TRANSFER_ENVELOPE_TYPES.request,
      version: 1,
      keyId: this.#options.keyId,
      seq: this.#nextSeq(),
      issuedAt: now,
      expiresAt: now + TRANSFER_ROUTER_ENVELOPE_TTL_S,
      payload: utf8.encode(JSON.stringify(payload)),
      algorithm: 'EdDSA',
      secretKey: this.#options.secretKey,
    });
  }

  #reject(providerId: string, path: TransferRouterRejection['path'], transferId: string, code: TransferRouterRejectionCode): { ok: false; code: TransferRouterRejectionCode } {
    if (this.#rejections.length >= TRANSFER_ROUTER_REJECTIONS_MAX) this.#rejections.shift();
    this.#rejections.push({ at: this.#clock(), providerId, path, transferId, code });
    return { ok: false, code };
  }

  /**
   * Opens an answer or a callback from the record's provider: the envelope (its keys, the type,
   * a sequence number above the last accepted), then the payload's binding to this request. The
   * accepted sequence number is stored before the answer is acted on.
   */
  #open(record: TransferRoute, path: TransferRouterRejection['path'], bytes: Uint8Array): Promise<{ ok: true; answer: Record<string, unknown> } | { ok: false; code: TransferRouterRejectionCode }> {
    return this.#verifyQueue.run(async () => {
      const providerId = record.providerId;
      const provider = this.#options.providers[providerId];
      const last = this.#lastSeq.get(providerId);
      if (provider === undefined || last === undefined) return this.#reject(providerId, path, record.transferId, 'UNKNOWN_KEY');
      const opened = openEnvelope(bytes, {
        trustedKeys: provider.keys,
        now: this.#clock(),
        expectedType: path === '/quotes' ? TRANSFER_ENVELOPE_TYPES.quoteAnswer : TRANSFER_ENVELOPE_TYPES.answer,
        ...(last.seq === undefined ? {} : { lastSeq: last.seq }),
        maxClockSkewSeconds: TRANSFER_ROUTER_CLOCK_SKEW_S,
      });
      if (!opened.ok) return this.#reject(providerId, path, record.transferId, opened.code);
      let answer: Record<string, unknown>;
      try {
        const parsed: unknown = JSON.parse(fromUtf8.decode(opened.payload));
        if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('not an object');
        answer = parsed as Record<string, unknown>;
      } catch {
        return this.#reject(providerId, path, record.transferId, 'ANSWER_MALFORMED');
      }
      const bound = answer.requestSha256 === record.messageSha256 && (path === '/quotes' ? answer.quoteId === record.quoteId : answer.transferId === record.transferId);
      if (!bound) return this.#reject(providerId, path, record.transferId, 'ANSWER_MISMATCH');
      const put = await this.#options.storage.put(seqKey(this.#options.bookId, providerId), utf8.encode(opened.seq.toString()), last.version);
      if (!put.ok) throw new CountersignRangeError('INVALID_ARGUMENT', 'countersign: the provider sequence numbers changed under the router (another router on the same store?)', 'storage');
      this.#lastSeq.set(providerId, { seq: opened.seq, version: put.version });
      return { ok: true, answer };
    });
  }

  /** One request to a provider (the message, its envelope in the header); B's verified answer, or undefined after a timeout, a refused connection, a 5xx or a refused answer. Quotes are retried here; transfers by #finish (it re-checks the deadline). */
  async #exchange(record: TransferRoute, path: '/quotes' | '/transfers'): Promise<Answer> {
    const provider = this.#options.providers[record.providerId];
    if (provider === undefined) return undefined;
    const attempts = path === '/quotes' ? TRANSFER_ROUTER_ATTEMPTS_MAX : 1;
    for (let attempt = 0; attempt < attempts && !this.#closed; attempt++) {
      try {
        const res = await fetch(provider.url + path, {
          method: 'POST',
          headers: { 'content-type': TRANSFER_CONTENT_TYPES[record.format], [TRANSFER_ENVELOPE_HEADER]: Buffer.from(this.#sealRequest(record, path)).toString('base64') },
          body: record.message,
          signal: AbortSignal.timeout(this.#options.requestTimeoutMs),
        });
        const bytes = new Uint8Array(await res.arrayBuffer());
        if (res.status === 200 && bytes.length <= TRANSFER_ROUTER_BODY_BYTES_MAX) {
          if (res.headers.get('content-type') !== TRANSFER_ENVELOPE_CONTENT_TYPE) {
            this.#reject(record.providerId, path, record.transferId, 'UNSIGNED');
          } else {
            const opened = await this.#open(record, path, bytes);
            if (opened.ok) return opened.answer;
          }
        }
      } catch {
        // A timeout or a refused connection: try again (the same request: B answers it again).
      }
      if (attempt + 1 < attempts) await sleep(this.#options.retryPauseMs);
    }
    return undefined;
  }

  /** `PUT /callbacks/<transferId>`, the body a `transfer.answer` envelope: B's callback, any number of times. */
  async #callback(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const reply = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    try {
      const match = /^\/callbacks\/([^/]{1,62})$/.exec(req.url ?? '');
      if (req.method !== 'PUT' || match === null) return reply(404, { error: 'not found' });
      const transferId = decodeURIComponent(match[1]!);
      const bytes = await readBody(req);
      const stored = this.#book.transfer(transferId) === undefined ? undefined : await this.#storedRecord(transferId);
      if (stored === undefined || stored.record.condition === null) return reply(404, { error: 'unknown transfer' });
      const opened = await this.#open(stored.record, '/callbacks', bytes);
      if (!opened.ok) return reply(403, { error: 'refused', code: opened.code });
      if (opened.answer.state !== 'COMMITTED' || typeof opened.answer.fulfilment !== 'string') return reply(200, { code: 'IGNORED' });
      const outcome = await this.#commit(transferId, opened.answer.fulfilment);
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
    this.#options.secretKey.fill(0);
  }
}

guardClass(TransferRouter, {
  methods: {
    openAccount: ['accountId'],
    fund: ['requestId', 'accountId', 'amount'],
    transfer: ['order'],
    recover: [],
    rejections: [],
    route: ['transferId'],
    close: [],
    port: [],
    book: [],
    publicKey: [],
  },
  // The options hold live objects (a storage adapter, functions): read by start itself.
  statics: { start: [raw('options')] },
});
