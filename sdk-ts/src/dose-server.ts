/**
 * dose — System 9's management-server role in Node: routes a patient's risk alarms to the
 * managers' terminals (caregiver, doctor, risk-management centre) over a real WebSocket, with
 * delivery receipts. Node only (exported from the Node entry, like `FileStorage`); it needs the
 * `ws` package (an optional peer dependency, imported when a server starts).
 *
 * The server owns one {@link AlarmRouter} (core/src/dose/escalation.rs) persisted by an
 * {@link AlarmRouterStore}. Every change is **saved before anything is sent**: a server killed at
 * any moment restarts from the store with every alarm, ladder step and pending delivery it ever
 * sent. After a restart — and whenever a recipient connects — the deliveries still waiting for
 * their receipt are sent again with `resend: true` and their original `deliveryId`, so the
 * terminal can tell a resend (an id it may have seen) from a new delivery; a new delivery of an
 * alarm to someone who had it before carries the core's `repeat: true`. Nothing is delivered
 * twice unmarked, and nothing saved is lost.
 *
 * Protocol (JSON text frames, at most {@link ALARM_WS_MESSAGE_BYTES_MAX} bytes):
 *
 * | from | message | answer |
 * |---|---|---|
 * | terminal | `{type:'hello', recipientId, token}` (first, within {@link ALARM_WS_HELLO_TIMEOUT_MS}) | `{type:'welcome', recipientId, role, alarms}` (the open alarms it holds), then every pending delivery for it as `alarm` with `resend: true` |
 * | server | `{type:'alarm', delivery, resend}` | the terminal sends `{type:'receipt', deliveryId}` |
 * | server | `{type:'retract', retraction}` | none |
 * | terminal | `{type:'ack', alarmId}` | `{type:'acked', alarmId, code}` |
 * | terminal | `{type:'snooze', kind, direction, durationMs}` | `{type:'snoozed', kind, direction, code}` |
 * | patient's terminal | `{type:'signal', signal}` / `{type:'resolve', alarmId}` | `{type:'issued', alarmId, code}` / `{type:'resolved', alarmId, code}` |
 * | server | `{type:'status', nowMs, alarms}` to a patient's terminal whose hello said `status: true`: every open alarm of the router, after the welcome and after each change | none |
 * | server | `{type:'error', code, param, message}` for a refused message | none |
 *
 * The `status` follow exists because the patient's terminal owns the router: its page shows who
 * has been told and the ladder's next step even once the alarm has left the patient (escalated
 * past, or snoozed), which the deliveries and retractions addressed to the patient cannot say.
 */
import type { IncomingMessage, Server } from 'node:http';
import { createServer } from 'node:http';
import { timingSafeEqual } from 'node:crypto';
import { AlarmRouter, AlarmRouterStore, type AlarmAuditEntry, type AlarmDelivery, type AlarmRouterOutput, type AlarmRouterSetup, type OpenAlarm, type AlarmSignal } from './dose-escalation.js';
import { INTERNAL_CONSTRUCTION, adopt, checkInternalConstruction, guardClass, raw, toSdkError } from './boundary.js';
import { CountersignError, CountersignRangeError, CountersignTypeError } from './errors.js';
import { guardedClock } from './server-role.js';
import type { StorageAdapter } from './storage/types.js';
import { expectBytes, expectInteger, expectObject, expectString, rangeError, typeError } from './validate.js';

/** Largest WebSocket message accepted, bytes (a signal with 1 KiB evidence is well under it). */
export const ALARM_WS_MESSAGE_BYTES_MAX = 16_384;
/** Terminals connected at once. */
export const ALARM_WS_CONNECTIONS_MAX = 64;
/** How long a new connection may take to say hello, ms. */
export const ALARM_WS_HELLO_TIMEOUT_MS = 5_000;
/** The default interval of the server's own `tick`, ms. */
export const ALARM_TICK_INTERVAL_MS_DEFAULT = 1_000;

/** What a server is started with. */
export interface AlarmDeliveryServerOptions {
  /** Where the router lives (files or PostgreSQL for a real server; memory for a demo). */
  readonly storage: StorageAdapter;
  /** The router's snapshot key, 32 bytes. */
  readonly snapshotKey: Uint8Array;
  /** The router's setup, used when the store holds no router yet. */
  readonly setup: AlarmRouterSetup;
  /** Each recipient's shared secret (the terminal's hello proves it); a recipient without one cannot connect. */
  readonly tokens: Readonly<Record<string, string>>;
  /** Listen on this loopback port (0: any free one). Ignored with `attach`. */
  readonly port?: number;
  /** Serve on an existing HTTP server at `path` instead of listening (the demo server). */
  readonly attach?: { readonly server: Server; readonly path: string };
  /** Milliseconds since the epoch (default `Date.now`). */
  readonly clock?: () => number;
  /** The interval of the server's own tick, ms (default {@link ALARM_TICK_INTERVAL_MS_DEFAULT}; 0: only {@link AlarmDeliveryServer.tick}). */
  readonly tickIntervalMs?: number;
  /** Called after each change is saved and before it is sent (tests kill the process here). */
  readonly afterSave?: (output: AlarmRouterOutput) => void;
}

/** The parts of a `ws` socket the server uses (the package's own types are not a dependency). */
interface Socket {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  terminate(): void;
  on(event: 'message', listener: (data: Buffer, isBinary: boolean) => void): void;
  on(event: 'close' | 'error', listener: () => void): void;
}
interface SocketServer {
  readonly clients: Set<Socket>;
  on(event: 'connection', listener: (socket: Socket, request: IncomingMessage) => void): void;
  close(callback?: () => void): void;
}
type WsModule = { WebSocketServer: new (options: Record<string, unknown>) => SocketServer };

const OPEN = 1;
const WS_PACKAGE: string = 'ws';

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  return x.length === y.length && timingSafeEqual(x, y);
}

function errorMessage(e: unknown): { type: 'error'; code: string; param: string; message: string } {
  if (e instanceof CountersignError) return { type: 'error', code: e.code, param: e.param ?? '', message: e.message };
  return { type: 'error', code: 'INVALID_ARGUMENT', param: '', message: e instanceof Error ? e.message : String(e) };
}

/**
 * The options read once each, into owned values (the object is the caller's: its getters may
 * change their answer or throw, which is an error about `options`, not a fault of ours).
 */
function readOptions(options: AlarmDeliveryServerOptions) {
  try {
    // Each option is read once (the object is the caller's, its getters may change their answer).
    const o = expectObject(options, 'options');
    const [storage, snapshotKey, setupGiven, tokensGiven, portGiven, attachGiven, clockGiven, tickGiven, afterSaveGiven] = [
      o.storage, o.snapshotKey, o.setup, o.tokens, o.port, o.attach, o.clock, o.tickIntervalMs, o.afterSave,
    ];
    const key = expectBytes(snapshotKey, 'options.snapshotKey');
    const tokens = new Map<string, string>();
    for (const [id, token] of Object.entries(expectObject(tokensGiven, 'options.tokens'))) {
      tokens.set(id, expectString(token, `options.tokens.${id}`));
    }
    if (clockGiven !== undefined && typeof clockGiven !== 'function') throw typeError('options.clock', 'a function', clockGiven);
    if (afterSaveGiven !== undefined && typeof afterSaveGiven !== 'function') throw typeError('options.afterSave', 'a function', afterSaveGiven);
    // The clock's answer is checked at each use (a safe integer of ms).
    const clock = guardedClock(clockGiven as (() => unknown) | undefined, Date.now);
    const afterSave = afterSaveGiven as ((output: AlarmRouterOutput) => void) | undefined;
    const tickMs = tickGiven === undefined ? ALARM_TICK_INTERVAL_MS_DEFAULT : expectInteger(tickGiven, 'options.tickIntervalMs', 0, 3_600_000);
    const wanted = portGiven === undefined ? 0 : expectInteger(portGiven, 'options.port', 0, 65_535);
    let attach: { server: Server; path: string } | undefined;
    if (attachGiven !== undefined) {
      const a = expectObject(attachGiven, 'options.attach', ['server', 'path']);
      const [server, path] = [a.server, a.path];
      if (typeof server !== 'object' || server === null || typeof (server as Server).address !== 'function' || typeof (server as Server).on !== 'function') {
        throw typeError('options.attach.server', 'a node:http Server', server);
      }
      attach = { server: server as Server, path: expectString(path, 'options.attach.path') };
    }
    const setup = expectObject(setupGiven, 'options.setup') as unknown as AlarmRouterSetup;
    const routerId = expectString(setup.routerId, 'options.setup.routerId');
    return { storage: storage as StorageAdapter, key, tokens, clock, afterSave, tickMs, wanted, attach, setup, routerId };
  } catch (e) {
    if (e instanceof CountersignError) throw e;
    throw new CountersignTypeError('INVALID_ARGUMENT', `countersign: options: reading it threw (${e instanceof Error ? e.message : String(e)})`, 'options');
  }
}

/**
 * The management server: one patient's alarm router, delivering over WebSocket on 127.0.0.1.
 * `await server.close()` when done.
 */
export class AlarmDeliveryServer {
  readonly #store: AlarmRouterStore;
  readonly #router: AlarmRouter;
  readonly #tokens: ReadonlyMap<string, string>;
  readonly #clock: () => number;
  readonly #afterSave: ((output: AlarmRouterOutput) => void) | undefined;
  readonly #wss: SocketServer;
  readonly #http: Server | undefined;
  readonly #port: number;
  readonly #sockets = new Map<string, Socket>();
  /** Patient terminals following every open alarm (hello with `status: true`); at most one per connection. */
  readonly #followers = new Set<Socket>();
  #queue: Promise<unknown> = Promise.resolve();
  #timer: ReturnType<typeof setInterval> | undefined;
  #closed = false;

  private constructor(token: typeof INTERNAL_CONSTRUCTION, parts: {
    store: AlarmRouterStore; router: AlarmRouter; tokens: ReadonlyMap<string, string>; clock: () => number;
    afterSave: ((output: AlarmRouterOutput) => void) | undefined; wss: SocketServer; http: Server | undefined; port: number;
  }) {
    checkInternalConstruction(token, 'AlarmDeliveryServer', 'AlarmDeliveryServer.start');
    this.#store = parts.store;
    this.#router = parts.router;
    this.#tokens = parts.tokens;
    this.#clock = parts.clock;
    this.#afterSave = parts.afterSave;
    this.#wss = parts.wss;
    this.#http = parts.http;
    this.#port = parts.port;
    this.#wss.on('connection', (socket) => this.#connected(socket));
    adopt(this, AlarmDeliveryServer);
    Object.freeze(this);
  }

  /** Loads the router from the store (or creates it from `setup`) and starts serving. */
  static async start(options: AlarmDeliveryServerOptions): Promise<AlarmDeliveryServer> {
    try {
      return await AlarmDeliveryServer.#start(options);
    } catch (e) {
      throw toSdkError(e, 'AlarmDeliveryServer.start');
    }
  }

  static async #start(options: AlarmDeliveryServerOptions): Promise<AlarmDeliveryServer> {
    const { storage, key, tokens, clock, afterSave, tickMs, wanted, attach, setup, routerId } = readOptions(options);
    const store = new AlarmRouterStore(storage, key);
    let router = await store.load(routerId);
    if (router === null) {
      router = AlarmRouter.create(setup);
      if (!(await store.save(router))) throw new CountersignError('STORAGE_UNAVAILABLE', 'countersign: storage: another writer created this router at the same time', 'storage');
    }
    // A specifier in a variable: the package's types are not a dependency (Socket above is what is used).
    const { WebSocketServer } = (await import(WS_PACKAGE)) as WsModule;
    let http: Server | undefined;
    let wss: SocketServer;
    let port: number;
    if (attach !== undefined) {
      try {
        wss = new WebSocketServer({ server: attach.server, path: attach.path, maxPayload: ALARM_WS_MESSAGE_BYTES_MAX });
        const address = attach.server.address();
        port = typeof address === 'object' && address !== null && Number.isSafeInteger(address.port) ? address.port : 0;
      } catch (e) {
        // The server is the caller's object: whatever it does wrong is about that argument.
        router.free();
        throw new CountersignTypeError('INVALID_ARGUMENT', `countersign: options.attach.server: not a usable node:http Server (${e instanceof Error ? e.message : String(e)})`, 'options.attach.server');
      }
    } else {
      const listening = createServer((_req, res) => {
        res.writeHead(426, { 'content-type': 'text/plain' }).end('a WebSocket endpoint\n');
      });
      http = listening;
      wss = new WebSocketServer({ server: listening, maxPayload: ALARM_WS_MESSAGE_BYTES_MAX });
      await new Promise<void>((resolve, reject) => {
        listening.once('error', (e) => {
          router.free();
          reject(new CountersignRangeError('INVALID_ARGUMENT', `countersign: options.port: cannot listen on 127.0.0.1:${wanted} (${e.message})`, 'options.port'));
        });
        // Loopback only: the delivery server is a role of the product, not an internet service here.
        listening.listen(wanted, '127.0.0.1', () => resolve());
      });
      const address = listening.address();
      port = typeof address === 'object' && address !== null ? address.port : 0;
    }
    const server = new AlarmDeliveryServer(INTERNAL_CONSTRUCTION, { store, router, tokens, clock, afterSave, wss, http, port });
    if (tickMs > 0) {
      server.#timer = setInterval(() => {
        server.tick().catch(() => {
          // A failed tick (storage away) is retried at the next interval: nothing was sent.
        });
      }, tickMs);
      server.#timer.unref?.();
    }
    return server;
  }

  /** The port it listens on. */
  get port(): number {
    return this.#port;
  }

  /** `ws://127.0.0.1:<port>/` (without `attach`). */
  get url(): string {
    return `ws://127.0.0.1:${this.#port}/`;
  }

  /** The patient's terminal raised a risk signal. */
  issue(signal: AlarmSignal): Promise<AlarmRouterOutput> {
    return this.#apply((r, now) => r.issue(signal, now));
  }

  /** The signal resolved. */
  resolve(alarmId: string): Promise<AlarmRouterOutput> {
    return this.#apply((r, now) => r.resolve(alarmId, now));
  }

  /** Advances the router to the clock's time (the server also does this on its interval). */
  tick(): Promise<AlarmRouterOutput> {
    return this.#apply((r, now) => r.tick(now));
  }

  /** The open alarms. */
  openAlarms(): OpenAlarm[] {
    return this.#router.openAlarms();
  }

  /** The audit log as stored. */
  auditLog(): Promise<AlarmAuditEntry[]> {
    return this.#store.auditLog(this.#router.routerId);
  }

  /** Stops serving; closes every connection. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#timer !== undefined) clearInterval(this.#timer);
    await this.#queue.catch(() => undefined);
    for (const socket of this.#wss.clients) socket.terminate();
    await new Promise<void>((resolve) => this.#wss.close(() => resolve()));
    if (this.#http !== undefined) {
      this.#http.closeAllConnections?.();
      await new Promise<void>((resolve) => this.#http!.close(() => resolve()));
    }
    this.#router.free();
  }

  /**
   * Runs one router call, saves, then sends: one at a time (the router and the store are not
   * shared between interleaved calls). A refused call (a typed error) saves and sends nothing.
   */
  #apply(change: (router: AlarmRouter, nowMs: number) => AlarmRouterOutput): Promise<AlarmRouterOutput> {
    const run = async (): Promise<AlarmRouterOutput> => {
      if (this.#closed) throw new CountersignError('STORAGE_UNAVAILABLE', 'countersign: the alarm server is closed');
      // The router's time never goes back; a clock that does (NTP) is held at the router's.
      const now = Math.max(this.#clock(), this.#router.freshness().nowMs);
      const output = change(this.#router, now);
      if (!(await this.#store.save(this.#router))) {
        throw new CountersignError('STORAGE_UNAVAILABLE', 'countersign: storage: another writer changed the router; restart the server from the store');
      }
      this.#afterSave?.(output);
      for (const delivery of output.deliveries) this.#send(delivery.recipientId, { type: 'alarm', delivery, resend: false });
      for (const retraction of output.retractions) this.#send(retraction.recipientId, { type: 'retract', retraction });
      // A tick that changed nothing (no audit entry) is not news: the followers keep the last status.
      if (this.#followers.size > 0 && (output.audit.length > 0 || output.deliveries.length > 0 || output.retractions.length > 0)) {
        const status = this.#status();
        for (const socket of this.#followers) if (socket.readyState === OPEN) socket.send(status);
      }
      return output;
    };
    const next = this.#queue.then(run, run);
    this.#queue = next.catch(() => undefined);
    return next;
  }

  /** Every open alarm of the router and its time, as a `status` message (the router holds at most its open-alarm limit). */
  #status(): string {
    return JSON.stringify({ type: 'status', nowMs: this.#router.freshness().nowMs, alarms: this.#router.openAlarms() });
  }

  #send(recipientId: string, message: unknown): void {
    const socket = this.#sockets.get(recipientId);
    // Not connected: a delivery waits in the router (pending) and is sent at the next hello; a
    // missed retraction is made good by the `welcome` list of what the recipient still holds.
    if (socket !== undefined && socket.readyState === OPEN) socket.send(JSON.stringify(message));
  }

  #connected(socket: Socket): void {
    if (this.#wss.clients.size > ALARM_WS_CONNECTIONS_MAX) {
      socket.close(1013, 'too many connections');
      return;
    }
    let recipientId: string | undefined;
    const hello = setTimeout(() => socket.close(1008, 'no hello'), ALARM_WS_HELLO_TIMEOUT_MS);
    hello.unref?.();
    socket.on('close', () => {
      clearTimeout(hello);
      this.#followers.delete(socket);
      if (recipientId !== undefined && this.#sockets.get(recipientId) === socket) this.#sockets.delete(recipientId);
    });
    socket.on('error', () => undefined);
    socket.on('message', (data, isBinary) => {
      let message: Record<string, unknown>;
      try {
        if (isBinary) throw rangeError('message', 'must be a JSON text frame');
        message = expectObject(JSON.parse(data.toString('utf8')), 'message');
      } catch (e) {
        socket.send(JSON.stringify(errorMessage(e)));
        return;
      }
      if (recipientId === undefined) {
        recipientId = this.#hello(socket, message);
        if (recipientId !== undefined) clearTimeout(hello);
        return;
      }
      this.#message(socket, recipientId, message).catch((e) => {
        if (socket.readyState === OPEN) socket.send(JSON.stringify(errorMessage(e)));
      });
    });
  }

  /** Checks a hello; on success registers the socket and sends what the recipient holds and waits for. */
  #hello(socket: Socket, message: Record<string, unknown>): string | undefined {
    const id = typeof message.recipientId === 'string' ? message.recipientId : '';
    const expected = this.#tokens.get(id);
    // Roles come from the router's own setup (the one in the store wins over `options.setup`).
    const recipient = id === '' ? undefined : this.#router.roleOf(id);
    if (message.type !== 'hello' || expected === undefined || recipient === undefined || typeof message.token !== 'string' || !sameSecret(message.token, expected)) {
      socket.close(1008, 'hello refused');
      return undefined;
    }
    // The newest connection of a recipient wins (a reloaded page replaces its old socket).
    this.#sockets.get(id)?.close(1000, 'replaced by a newer connection');
    this.#sockets.set(id, socket);
    const alarms = this.#router.openAlarms().filter((a) => a.holders.includes(id));
    socket.send(JSON.stringify({ type: 'welcome', recipientId: id, role: recipient, alarms }));
    for (const delivery of this.#router.pendingDeliveries()) {
      if (delivery.recipientId === id) socket.send(JSON.stringify({ type: 'alarm', delivery, resend: true }));
    }
    if (message.status !== undefined) {
      // Only the patient's terminal (the router's owner) follows every open alarm; anything else
      // asking is told so, and the connection stays a plain recipient's.
      if (message.status !== true) {
        socket.send(JSON.stringify(errorMessage(typeError('status', 'true or absent', message.status))));
      } else if (recipient !== 'patient') {
        socket.send(JSON.stringify(errorMessage(rangeError('status', 'only the patient\'s terminal follows every open alarm'))));
      } else {
        this.#followers.add(socket);
        socket.send(this.#status());
      }
    }
    return id;
  }

  async #message(socket: Socket, recipientId: string, m: Record<string, unknown>): Promise<void> {
    const reply = (message: unknown): void => {
      if (socket.readyState === OPEN) socket.send(JSON.stringify(message));
    };
    switch (m.type) {
      case 'receipt': {
        const deliveryId = expectInteger(m.deliveryId, 'deliveryId', 1, Number.MAX_SAFE_INTEGER);
        const owner = this.#router.pendingDeliveries().find((d) => d.deliveryId === deliveryId);
        // A terminal confirms only its own deliveries.
        if (owner !== undefined && owner.recipientId !== recipientId) throw rangeError('deliveryId', 'is not a delivery to this terminal');
        await this.#apply((r, now) => r.receipt(deliveryId, now));
        return;
      }
      case 'ack': {
        const alarmId = expectString(m.alarmId, 'alarmId');
        const out = await this.#apply((r, now) => r.acknowledge(alarmId, recipientId, now));
        reply({ type: 'acked', alarmId, code: out.code });
        return;
      }
      case 'snooze': {
        const kind = expectString(m.kind, 'kind');
        const direction = expectString(m.direction, 'direction');
        const durationMs = expectInteger(m.durationMs, 'durationMs', 0, Number.MAX_SAFE_INTEGER);
        const out = await this.#apply((r, now) => r.snooze(kind, direction as 'low' | 'high' | 'none', durationMs, recipientId, now));
        reply({ type: 'snoozed', kind, direction, code: out.code });
        return;
      }
      case 'signal':
      case 'resolve': {
        if (this.#router.roleOf(recipientId) !== 'patient') throw rangeError('type', 'only the patient\'s terminal raises or resolves signals');
        if (m.type === 'signal') {
          const signal = expectObject(m.signal, 'signal') as unknown as AlarmSignal;
          const out = await this.#apply((r, now) => r.issue(signal, now));
          reply({ type: 'issued', alarmId: signal.signalId, code: out.code });
        } else {
          const alarmId = expectString(m.alarmId, 'alarmId');
          const out = await this.#apply((r, now) => r.resolve(alarmId, now));
          reply({ type: 'resolved', alarmId, code: out.code });
        }
        return;
      }
      default:
        throw rangeError('type', `unknown message type ${JSON.stringify(m.type)}`);
    }
  }
}

guardClass(AlarmDeliveryServer, {
  methods: {
    issue: ['signal'],
    resolve: ['alarmId'],
    tick: [],
    openAlarms: [],
    auditLog: [],
    close: [],
    port: [],
    url: [],
  },
  // The options hold live objects (a storage adapter, functions, an HTTP server): read by start itself.
  statics: { start: [raw('options')] },
});
