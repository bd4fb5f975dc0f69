/**
 * What the Node server roles (the token server, the custody back-office, the alarm delivery
 * server, the transfer router) share at their HTTP edge: a JSON answer, a body read up to a bound,
 * and the caller's clock read through a guard. Node only; no decision is made here.
 * @module
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { CountersignTypeError } from './errors.js';
import { expectInteger } from './validate.js';

/** Answers `body` as JSON with its length. */
export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/** The request body, or null as soon as it is larger than `maxBytes`. */
export async function readBodyUpTo(req: IncomingMessage, maxBytes: number): Promise<Uint8Array | null> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size > maxBytes) return null;
    chunks.push(buffer);
  }
  return new Uint8Array(Buffer.concat(chunks));
}

/**
 * The caller's `options.clock` (already known to be a function or undefined) as a clock whose
 * every answer is checked: a clock that throws is an `INVALID_ARGUMENT` naming `options.clock`,
 * an answer that is not a safe non-negative integer one naming `options.clock()`.
 */
export function guardedClock(given: (() => unknown) | undefined, fallback: () => number): () => number {
  if (given === undefined) return fallback;
  return () => {
    let now: unknown;
    try {
      now = given();
    } catch (e) {
      throw new CountersignTypeError('INVALID_ARGUMENT', `countersign: options.clock: threw (${e instanceof Error ? e.message : String(e)})`, 'options.clock');
    }
    return expectInteger(now, 'options.clock()', 0, Number.MAX_SAFE_INTEGER);
  };
}
