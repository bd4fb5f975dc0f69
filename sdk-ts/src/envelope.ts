/**
 * envelope: the one signed-message format of countersign — COSE_Sign1 (RFC 9052) over
 * deterministic CBOR, alg EdDSA (-8) or ES256K (-47). Headers carry the message type (`typ`),
 * schema version, key id, sequence number, issued-at and expires-at; see docs/envelope.md.
 *
 * `openEnvelope` returns an outcome — valid with the payload, or exactly one rejection code —
 * and throws only for a malformed *call*.
 */
import { expectKeyAlgorithm, type KeyAlgorithm } from './crypto.js';
import { guardFunction } from './boundary.js';
import { CountersignError } from './errors.js';
import { wasm } from './loader.js';
import {
  U32_MAX,
  expectArray,
  expectBytes,
  expectInteger,
  expectObject,
  expectString,
  expectU64,
} from './validate.js';

export interface SealInput {
  /** Message type, e.g. "card.command" (1-64 chars of a-z 0-9 . - / +). */
  readonly type: string;
  /** Schema version of the payload, 0..2^32-1. */
  readonly version: number;
  /** Key id the verifier looks the public key up by (1-64 UTF-8 bytes). */
  readonly keyId: string;
  /** Sequence number / nonce, 0..2^64-1: the verifier rejects anything ≤ the last it accepted. */
  readonly seq: bigint | number;
  /** Unix seconds. */
  readonly issuedAt: number;
  /** Unix seconds, strictly after issuedAt. */
  readonly expiresAt: number;
  readonly payload: Uint8Array;
  readonly algorithm: KeyAlgorithm;
  readonly secretKey: Uint8Array;
}

export interface TrustedKey {
  readonly keyId: string;
  readonly algorithm: KeyAlgorithm;
  readonly publicKey: Uint8Array;
}

export interface OpenOptions {
  readonly trustedKeys: readonly TrustedKey[];
  /** The verifier's clock, Unix seconds. */
  readonly now: number;
  /** The message type this verifier accepts. */
  readonly expectedType: string;
  /** The last sequence number accepted from this sender; omitted when none was accepted yet. */
  readonly lastSeq?: bigint | number;
  /** How far `issuedAt` may be in the future, in seconds (default 0). */
  readonly maxClockSkewSeconds?: number;
}

/** Why an envelope was not accepted. Exactly one per rejection; checks run in this order:
 * MALFORMED, UNKNOWN_KEY, BAD_SIGNATURE, WRONG_TYPE, NOT_YET_VALID, EXPIRED, REPLAYED. */
export type EnvelopeRejection =
  | 'MALFORMED'
  | 'UNKNOWN_KEY'
  | 'BAD_SIGNATURE'
  | 'WRONG_TYPE'
  | 'NOT_YET_VALID'
  | 'EXPIRED'
  | 'REPLAYED';

export interface OpenedEnvelope {
  readonly ok: true;
  readonly code: 'VALID';
  readonly type: string;
  readonly version: number;
  readonly keyId: string;
  readonly seq: bigint;
  readonly issuedAt: number;
  readonly expiresAt: number;
  readonly payload: Uint8Array;
  readonly algorithm: KeyAlgorithm;
}

export interface RejectedEnvelope {
  readonly ok: false;
  readonly code: EnvelopeRejection;
}

export type OpenResult = OpenedEnvelope | RejectedEnvelope;

/** Envelope times are bounded by the format to ±(2^53 − 1) Unix seconds (the core's
 * `TIME_S_MAX`), exactly the safe-integer range of a JavaScript number. */
const TIME_S_MAX = Number.MAX_SAFE_INTEGER;

/** Seals `payload` into a signed COSE_Sign1 envelope. The same input gives the same bytes. */
export const sealEnvelope = guardFunction(function sealEnvelope(input: SealInput): Uint8Array {
  const fields = expectObject(input, 'input');
  const type = expectString(fields.type, 'input.type');
  const version = expectInteger(fields.version, 'input.version', 0, U32_MAX);
  const keyId = expectString(fields.keyId, 'input.keyId');
  const seq = expectU64(fields.seq, 'input.seq');
  const issuedAt = expectInteger(fields.issuedAt, 'input.issuedAt', -TIME_S_MAX, TIME_S_MAX);
  const expiresAt = expectInteger(fields.expiresAt, 'input.expiresAt', -TIME_S_MAX, TIME_S_MAX);
  const payload = expectBytes(fields.payload, 'input.payload');
  const algorithm = expectKeyAlgorithm(fields.algorithm, 'input.algorithm');
  const secretKey = expectBytes(fields.secretKey, 'input.secretKey');
  return wasm().envelopeSeal(
      algorithm,
      secretKey,
      keyId,
      type,
      version,
      seq,
      BigInt(issuedAt),
      BigInt(expiresAt),
      payload,
    );
}, ['input']);

/** The core's answer as a plain object whose `ok` is strictly `true` only for `VALID`: a caller
 * that checks `if (result.ok)` can never be handed anything else as truthy. */
function acceptedOrRejected(result: Record<string, unknown>): OpenResult {
  const code = result.code;
  if (code === 'VALID' && result.ok === true) return { ...result, ok: true, code } as unknown as OpenedEnvelope;
  if (typeof code === 'string' && code !== 'VALID' && result.ok === false) return { ok: false, code: code as EnvelopeRejection };
  throw new CountersignError('INTERNAL', 'countersign: openEnvelope: the core answered with an unexpected shape; please report this');
}

function checkTrustedKeys(value: unknown): TrustedKey[] {
  return expectArray(value, 'options.trustedKeys').map((entry, index) => {
    const param = `options.trustedKeys[${index}]`;
    const key = expectObject(entry, param);
    return {
      keyId: expectString(key.keyId, `${param}.keyId`),
      algorithm: expectKeyAlgorithm(key.algorithm, `${param}.algorithm`),
      publicKey: expectBytes(key.publicKey, `${param}.publicKey`),
    };
  });
}

/** Verifies and decodes an envelope. Rejections are returned, not thrown. */
export const openEnvelope = guardFunction(function openEnvelope(envelope: Uint8Array, options: OpenOptions): OpenResult {
  expectBytes(envelope, 'envelope');
  const fields = expectObject(options, 'options');
  const trustedKeys = checkTrustedKeys(fields.trustedKeys);
  const now = expectInteger(fields.now, 'options.now', -TIME_S_MAX, TIME_S_MAX);
  const expectedType = expectString(fields.expectedType, 'options.expectedType');
  const lastSeq = fields.lastSeq === undefined ? undefined : expectU64(fields.lastSeq, 'options.lastSeq');
  const skew =
    fields.maxClockSkewSeconds === undefined
      ? 0
      : expectInteger(fields.maxClockSkewSeconds, 'options.maxClockSkewSeconds', 0, U32_MAX);
  const result = wasm().envelopeOpen(envelope, trustedKeys, BigInt(now), expectedType, lastSeq, skew) as Record<string, unknown>;
  return acceptedOrRejected(result);
}, ['envelope', 'options']);
