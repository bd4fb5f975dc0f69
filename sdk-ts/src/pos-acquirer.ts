/**
 * pos — System 4's reference acquirer: a Node HTTP server on 127.0.0.1 that authorises online
 * and accepts forwarded payments, **exactly once per idempotency key**: the first request under
 * a key is decided and its answer committed through the store (compare-and-swap on a key of its
 * own) before it is sent; every later request with that key and the same payment gets the
 * committed answer again, whichever process or restart it reaches; the same key with another
 * payment is `409`. Node only (exported from the Node entry, like `FileStorage`).
 *
 * It can be told to misbehave ({@link PosAcquirerBehaviour}): answer slowly, fail (503, nothing
 * committed), decline, answer twice (the request is processed a second time, as a duplicated
 * delivery would, and the second answer is sent: it must be the first), or drop the connection
 * after committing (the terminal sees no answer, retries, and gets the committed one).
 *
 * Protocol (JSON, at most {@link POS_ACQUIRER_BODY_BYTES_MAX} bytes):
 *
 * | request | answer |
 * |---|---|
 * | `POST /v1/authorise`, `POST /v1/forward` with a {@link PosAcquirerRequest} | `200 {result, code}` (`approved` / `declined`); `409 {result:'permanent', code:'KEY_CONFLICT'}`; `400` malformed; `503` failing |
 * | `GET /v1/health` | `200 {ok: true}` |
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createHash } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { EventEmitter } from 'node:events';
import { INTERNAL_CONSTRUCTION, adopt, checkInternalConstruction, guardClass, raw, toSdkError } from './boundary.js';
import { CountersignError, CountersignTypeError } from './errors.js';
import { CheckedStorage } from './storage/checked.js';
import type { StorageAdapter } from './storage/types.js';
import { expectBoolean, expectInteger, expectObject, expectString, typeError } from './validate.js';
import type { PosAcquirerAnswer, PosAcquirerRequest } from './pos.js';

/** The largest request body accepted, bytes (a payload of 2,048 bytes is 4,096 hex digits). */
export const POS_ACQUIRER_BODY_BYTES_MAX = 16_384;
/** Keys one `totals()` call reads, at most (pages of the storage's list). */
export const POS_ACQUIRER_TOTALS_KEYS_MAX = 1_000_000;

/** How the acquirer misbehaves, for tests and demos (every field optional; `behave` merges). */
export interface PosAcquirerBehaviour {
  /** Wait this long before answering, ms. */
  readonly slowMs?: number;
  /** Answer the next N requests with 503, committing nothing. */
  readonly failNext?: number;
  /** Decline every new payment (`51`). */
  readonly declineAll?: boolean;
  /** Process each request twice and send the second answer. */
  readonly answerTwice?: boolean;
  /** Commit the next N new payments, then drop the connection without answering. */
  readonly dropAfterCommitNext?: number;
}

/** One committed payment. */
export interface PosAcquirerRecord {
  readonly request: PosAcquirerRequest;
  readonly answer: PosAcquirerAnswer;
  /** How many requests carried its key (the first included). */
  readonly deliveries?: number;
}

/** Per currency: approved payments, in minor units. */
export interface PosAcquirerTotals {
  readonly payments: number;
  readonly approved: number;
  readonly declined: number;
  /** Currency → approved total in minor units (bigint: exact). */
  readonly approvedMinor: ReadonlyMap<string, bigint>;
  /** Every committed key (`terminalId/idempotencyKey`). */
  readonly keys: readonly string[];
}

const REQUEST_FIELDS = ['terminalId', 'idempotencyKey', 'kind', 'amount', 'currency', 'cardHash', 'cardType', 'payload', 'offline'] as const;
const PRINTABLE = /^[\x21-\x7e]{1,64}$/;

/** The request's fields, checked; null when malformed. */
function parseRequest(text: string): PosAcquirerRequest | null {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return null;
  const o = value as Record<string, unknown>;
  if (Object.keys(o).some((k) => !(REQUEST_FIELDS as readonly string[]).includes(k))) return null;
  const str = (k: string) => typeof o[k] === 'string' && PRINTABLE.test(o[k] as string);
  const optStr = (k: string) => o[k] === null || str(k);
  if (!str('terminalId') || !str('idempotencyKey') || !str('currency') || !optStr('cardHash') || !optStr('cardType')) return null;
  if (o.kind !== 'payment' && o.kind !== 'token') return null;
  if (typeof o.amount !== 'string' || !/^(0|[1-9][0-9]{0,20})(\.[0-9]{1,18})?$/.test(o.amount)) return null;
  if (typeof o.payload !== 'string' || !/^([0-9a-f]{2}){0,2048}$/.test(o.payload)) return null;
  if (typeof o.offline !== 'boolean') return null;
  return {
    terminalId: o.terminalId as string,
    idempotencyKey: o.idempotencyKey as string,
    kind: o.kind,
    amount: o.amount,
    currency: o.currency as string,
    cardHash: o.cardHash as string | null,
    cardType: o.cardType as string | null,
    payload: o.payload,
    offline: o.offline,
  };
}

/** The same payment: every field but `offline` (an online attempt and its forward are one payment). */
function samePayment(a: PosAcquirerRequest, b: PosAcquirerRequest): boolean {
  return REQUEST_FIELDS.every((k) => k === 'offline' || a[k] === b[k]);
}

function minorUnits(amount: string): { minor: bigint; scale: number } {
  const [whole = '0', fraction = ''] = amount.split('.');
  return { minor: BigInt(whole + fraction), scale: fraction.length };
}

/**
 * The reference acquirer (module comment). `PosAcquirer.start` listens on 127.0.0.1; state is
 * in the store, so a restarted acquirer (same storage) answers every committed key as before.
 */
export class PosAcquirer {
  readonly #server: Server;
  readonly #storage: CheckedStorage;
  readonly #prefix: string;
  #behaviour: Required<PosAcquirerBehaviour> = { slowMs: 0, failNext: 0, declineAll: false, answerTwice: false, dropAfterCommitNext: 0 };
  /** `http://127.0.0.1:<port>` ('' when attached to a server that is not listening). */
  readonly url: string;
  #attached: boolean;
  #handler: ((req: IncomingMessage, res: ServerResponse) => void) | undefined;

  private constructor(token: typeof INTERNAL_CONSTRUCTION, server: Server, storage: CheckedStorage, prefix: string) {
    checkInternalConstruction(token, 'PosAcquirer', 'PosAcquirer.start');
    this.#server = server;
    this.#storage = storage;
    this.#prefix = prefix;
    let address: AddressInfo | string | null = null;
    try {
      address = server.address();
    } catch {
      address = null; // an attached server that cannot say: no URL
    }
    this.url = address === null || typeof address === 'string' ? '' : `http://127.0.0.1:${address.port}`;
    this.#attached = false;
    adopt(this, PosAcquirer);
  }

  /**
   * Starts the acquirer on 127.0.0.1 (`port` 0: any free one), or serves the requests of an
   * existing HTTP server (`attach`: the caller listens; the hostile-input suite attaches to one
   * that never listens).
   */
  static async start(options: { storage: StorageAdapter; port?: number; prefix?: string; attach?: Server }): Promise<PosAcquirer> {
    try {
      return await PosAcquirer.#start(options);
    } catch (e) {
      throw toSdkError(e, 'PosAcquirer.start');
    }
  }

  static async #start(options: { storage: StorageAdapter; port?: number; prefix?: string; attach?: Server }): Promise<PosAcquirer> {
    let storage: CheckedStorage;
    let port: number;
    let prefix: string;
    let attach: unknown;
    try {
      // Each option read once (the object is the caller's).
      const o = expectObject(options, 'options', ['storage', 'port', 'prefix', 'attach']);
      const [storageGiven, portGiven, prefixGiven, attachGiven] = [o.storage, o.port, o.prefix, o.attach];
      storage = CheckedStorage.of(storageGiven as StorageAdapter, 'options.storage');
      port = portGiven === undefined ? 0 : expectInteger(portGiven, 'options.port', 0, 65_535);
      prefix = prefixGiven === undefined ? 'pos-acquirer/' : expectString(prefixGiven, 'options.prefix');
      attach = attachGiven;
    } catch (e) {
      if (e instanceof CountersignError) throw e;
      throw new CountersignTypeError('INVALID_ARGUMENT', `countersign: options: reading it threw (${e instanceof Error ? e.message : String(e)})`, 'options');
    }
    let acquirer: PosAcquirer | undefined;
    const handler = (req: IncomingMessage, res: ServerResponse) => {
      if (acquirer === undefined) {
        res.writeHead(503).end();
        return;
      }
      acquirer.#handle(req, res).catch(() => {
        if (!res.headersSent) res.writeHead(500).end();
      });
    };
    let server: Server;
    if (attach !== undefined) {
      try {
        // The server is the caller's object: whatever it does wrong is about that argument.
        if (!(attach instanceof EventEmitter) || typeof (attach as Server).listen !== 'function') throw new Error('not an EventEmitter with listen()');
        server = attach as Server;
        server.on('request', handler);
      } catch (e) {
        throw new CountersignTypeError('INVALID_ARGUMENT', `countersign: options.attach: not a usable node:http Server (${e instanceof Error ? e.message : String(e)})`, 'options.attach');
      }
    } else {
      server = createServer(handler);
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, '127.0.0.1', () => resolve());
      });
    }
    acquirer = new PosAcquirer(INTERNAL_CONSTRUCTION, server, storage, prefix);
    acquirer.#attached = attach !== undefined;
    acquirer.#handler = handler;
    return acquirer;
  }

  /** Changes how it misbehaves (merged into the current behaviour). */
  behave(behaviour: PosAcquirerBehaviour): void {
    const b = expectObject(behaviour, 'behaviour', ['slowMs', 'failNext', 'declineAll', 'answerTwice', 'dropAfterCommitNext']);
    const next = { ...this.#behaviour };
    if (b.slowMs !== undefined) next.slowMs = expectInteger(b.slowMs, 'behaviour.slowMs', 0, 600_000);
    if (b.failNext !== undefined) next.failNext = expectInteger(b.failNext, 'behaviour.failNext', 0, 1_000_000);
    if (b.declineAll !== undefined) next.declineAll = expectBoolean(b.declineAll, 'behaviour.declineAll');
    if (b.answerTwice !== undefined) next.answerTwice = expectBoolean(b.answerTwice, 'behaviour.answerTwice');
    if (b.dropAfterCommitNext !== undefined) next.dropAfterCommitNext = expectInteger(b.dropAfterCommitNext, 'behaviour.dropAfterCommitNext', 0, 1_000_000);
    this.#behaviour = next;
  }

  #key(request: PosAcquirerRequest): string {
    const digest = createHash('sha256').update(`${request.terminalId}\0${request.idempotencyKey}`).digest('hex');
    return `${this.#prefix}pay/${digest}`;
  }

  /** Decides a request once: the committed record (an earlier one when the key was seen), or 'conflict'. */
  async #decide(request: PosAcquirerRequest): Promise<{ record: PosAcquirerRecord; fresh: boolean } | 'conflict'> {
    const key = this.#key(request);
    // Bounded: one retry after losing a race for the key (the winner's record is then read).
    for (let attempt = 0; attempt < 2; attempt++) {
      const stored = await this.#storage.get(key);
      if (stored !== null) {
        const record = JSON.parse(new TextDecoder().decode(stored.value)) as PosAcquirerRecord;
        if (!samePayment(record.request, request)) return 'conflict';
        const counted: PosAcquirerRecord = { ...record, deliveries: (record.deliveries ?? 1) + 1 };
        // Counting deliveries is best effort (a lost race leaves the count, never the answer).
        await this.#storage.put(key, new TextEncoder().encode(JSON.stringify(counted)), stored.version);
        return { record, fresh: false };
      }
      const answer: PosAcquirerAnswer = this.#behaviour.declineAll
        ? { result: 'declined', code: '51' }
        : { result: 'approved', code: `A${createHash('sha256').update(key).digest('hex').slice(0, 6).toUpperCase()}` };
      const record: PosAcquirerRecord = { request, answer, deliveries: 1 };
      const put = await this.#storage.put(key, new TextEncoder().encode(JSON.stringify(record)), null);
      if (put.ok) return { record, fresh: true };
    }
    throw new Error('the key changed twice while it was being decided');
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const send = (status: number, body: unknown) => {
      const text = JSON.stringify(body);
      res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) }).end(text);
    };
    if (req.method === 'GET' && req.url === '/v1/health') return send(200, { ok: true });
    if (req.method !== 'POST' || (req.url !== '/v1/authorise' && req.url !== '/v1/forward')) return send(404, { error: 'not found' });
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of req as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > POS_ACQUIRER_BODY_BYTES_MAX) return send(413, { error: 'too large' });
      chunks.push(chunk);
    }
    const request = parseRequest(Buffer.concat(chunks).toString('utf8'));
    if (request === null) return send(400, { error: 'malformed request' });
    const b = this.#behaviour;
    if (b.slowMs > 0) await new Promise((resolve) => setTimeout(resolve, b.slowMs));
    if (b.failNext > 0) {
      this.#behaviour = { ...this.#behaviour, failNext: b.failNext - 1 };
      return send(503, { error: 'failing' });
    }
    let decided = await this.#decide(request);
    if (b.answerTwice && decided !== 'conflict') decided = await this.#decide(request);
    if (decided === 'conflict') return send(409, { result: 'permanent', code: 'KEY_CONFLICT' });
    if (decided.fresh && this.#behaviour.dropAfterCommitNext > 0) {
      this.#behaviour = { ...this.#behaviour, dropAfterCommitNext: this.#behaviour.dropAfterCommitNext - 1 };
      req.socket.destroy();
      return;
    }
    send(200, decided.record.answer);
  }

  /** Every committed payment, counted (pages through the store). */
  async totals(): Promise<PosAcquirerTotals> {
    const approvedMinor = new Map<string, bigint>();
    const keys: string[] = [];
    let approved = 0;
    let declined = 0;
    let after: string | undefined;
    while (keys.length < POS_ACQUIRER_TOTALS_KEYS_MAX) {
      const page = await this.#storage.list(`${this.#prefix}pay/`, after === undefined ? {} : { after });
      if (page.length === 0) break;
      for (const key of page) {
        const stored = await this.#storage.get(key);
        if (stored === null) continue;
        const record = JSON.parse(new TextDecoder().decode(stored.value)) as PosAcquirerRecord;
        keys.push(`${record.request.terminalId}/${record.request.idempotencyKey}`);
        if (record.answer.result === 'approved') {
          approved++;
          const { minor } = minorUnits(record.request.amount);
          approvedMinor.set(record.request.currency, (approvedMinor.get(record.request.currency) ?? 0n) + minor);
        } else {
          declined++;
        }
      }
      after = page[page.length - 1];
    }
    return { payments: keys.length, approved, declined, approvedMinor, keys };
  }

  /** The committed record of a key, or null. */
  async record(terminalId: string, idempotencyKey: string): Promise<PosAcquirerRecord | null> {
    if (typeof terminalId !== 'string') throw typeError('terminalId', 'a string', terminalId);
    if (typeof idempotencyKey !== 'string') throw typeError('idempotencyKey', 'a string', idempotencyKey);
    const stored = await this.#storage.get(this.#key({ terminalId, idempotencyKey } as PosAcquirerRequest));
    return stored === null ? null : (JSON.parse(new TextDecoder().decode(stored.value)) as PosAcquirerRecord);
  }

  /** Stops listening and drops open connections. */
  async close(): Promise<void> {
    if (this.#attached) {
      // The caller's server: stop serving it, leave it as it is.
      if (this.#handler) this.#server.off('request', this.#handler);
      return;
    }
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }
}

guardClass(PosAcquirer, {
  methods: { behave: ['behaviour'], totals: [], record: ['terminalId', 'idempotencyKey'], close: [] },
  statics: { start: [raw('options')] },
});
