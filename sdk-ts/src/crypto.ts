/**
 * crypto: Ed25519 (strict verification) and secp256k1 ECDSA (RFC 6979, low-S), SHA-256.
 *
 * Verification functions return `false`, never throw, for malformed keys or signatures; they
 * throw `TypeError` only when an argument is not a `Uint8Array`. Key generation takes its
 * randomness from the platform (`crypto.getRandomValues`), never from the core.
 */
import { guardFunction } from './boundary.js';
import { wasm } from './loader.js';
import { CountersignRangeError } from './errors.js';
import { expectArray, expectBoolean, expectBytes, expectObject, expectOneOf, typeError } from './validate.js';

export const KEY_ALGORITHMS = Object.freeze(['EdDSA', 'ES256K'] as const);
/** `EdDSA` is Ed25519; `ES256K` is ECDSA over secp256k1 with SHA-256. */
export type KeyAlgorithm = (typeof KEY_ALGORITHMS)[number];

export const SIGNATURE_FORMATS = Object.freeze(['der', 'compact'] as const);
/** secp256k1 signature encodings: ASN.1 DER, or 64-byte `r || s` (IEEE P1363). */
export type SignatureFormat = (typeof SIGNATURE_FORMATS)[number];

export interface KeyPair {
  readonly algorithm: KeyAlgorithm;
  /** 32 secret bytes. Keep it secret; overwrite it (`fill(0)`) when done. */
  readonly secretKey: Uint8Array;
  /** Ed25519: 32 bytes. secp256k1: 33-byte compressed SEC1. */
  readonly publicKey: Uint8Array;
}

/** Bounded retries for secp256k1 key generation: a random 32-byte string is a valid scalar with
 * probability 1 - 2^-128, so one attempt virtually always suffices. */
const KEYGEN_ATTEMPTS_MAX = 8;

function randomBytes(length: number): Uint8Array {
  const bytes = new Uint8Array(length);
  globalThis.crypto.getRandomValues(bytes);
  return bytes;
}

/** SHA-256 of `data`. */
export const sha256 = guardFunction(function sha256(data: Uint8Array): Uint8Array {
  expectBytes(data, 'data');
  return wasm().sha256(data);
}, ['data']);

/** HMAC-SHA256 (RFC 2104) of `message` under `key` (any length; 32 random bytes is usual). */
export const hmacSha256 = guardFunction(function hmacSha256(key: Uint8Array, message: Uint8Array): Uint8Array {
  expectBytes(key, 'key');
  expectBytes(message, 'message');
  return wasm().hmacSha256(key, message);
}, ['key', 'message']);

/** Constant-time equality of two byte strings (false when lengths differ). */
export const constantTimeEqual = guardFunction(function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  expectBytes(a, 'a');
  expectBytes(b, 'b');
  return wasm().constantTimeEqual(a, b);
}, ['a', 'b']);

/** Generates a key pair with 32 bytes from `crypto.getRandomValues`. */
export const generateKeyPair = guardFunction(function generateKeyPair(algorithm: KeyAlgorithm): KeyPair {
  const alg = expectOneOf(algorithm, 'algorithm', KEY_ALGORITHMS, 'ALGORITHM_UNSUPPORTED');
  let lastError: unknown;
  for (let attempt = 0; attempt < KEYGEN_ATTEMPTS_MAX; attempt++) {
    const secretKey = randomBytes(32);
    try {
      return keyPairFromSecret(alg, secretKey); // holds its own copy of the secret
    } catch (e) {
      lastError = e;
    } finally {
      secretKey.fill(0);
    }
  }
  throw lastError;
}, ['algorithm']);

/** The key pair for an existing 32-byte secret key. Throws `KEY_INVALID` for a bad secret. */
export const keyPairFromSecret = guardFunction(function keyPairFromSecret(algorithm: KeyAlgorithm, secretKey: Uint8Array): KeyPair {
  const alg = expectOneOf(algorithm, 'algorithm', KEY_ALGORITHMS, 'ALGORITHM_UNSUPPORTED');
  expectBytes(secretKey, 'secretKey');
  const publicKey = alg === 'EdDSA' ? ed25519PublicKey(secretKey) : secp256k1PublicKey(secretKey);
  return { algorithm: alg, secretKey, publicKey };
}, ['algorithm', 'secretKey']);

/** The 32-byte Ed25519 public key of a 32-byte secret key. */
export const ed25519PublicKey = guardFunction(function ed25519PublicKey(secretKey: Uint8Array): Uint8Array {
  expectBytes(secretKey, 'secretKey');
  return wasm().ed25519PublicKey(secretKey);
}, ['secretKey']);

/** Ed25519 signature (64 bytes) of `message`. */
export const signEd25519 = guardFunction(function signEd25519(secretKey: Uint8Array, message: Uint8Array): Uint8Array {
  expectBytes(secretKey, 'secretKey');
  expectBytes(message, 'message');
  return wasm().ed25519Sign(secretKey, message);
}, ['secretKey', 'message']);

/**
 * Strict Ed25519 verification (RFC 8032: small-order keys and R, non-canonical encodings and
 * S ≥ ℓ are refused; the cofactored equation, so that {@link verifyEd25519Batch} always agrees).
 * Returns false for any malformed input.
 */
export const verifyEd25519 = guardFunction(function verifyEd25519(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  expectBytes(publicKey, 'publicKey');
  expectBytes(message, 'message');
  expectBytes(signature, 'signature');
  return wasm().ed25519Verify(publicKey, message, signature);
}, ['publicKey', 'message', 'signature']);

/** Most signatures one {@link verifyEd25519Batch} call takes. */
export const ED25519_BATCH_SIGNATURES_MAX = 1024;

/** One signature for {@link verifyEd25519Batch}. */
export interface Ed25519BatchItem {
  readonly publicKey: Uint8Array;
  readonly message: Uint8Array;
  readonly signature: Uint8Array;
}

const BATCH_ITEM_FIELDS = ['publicKey', 'message', 'signature'] as const;

/**
 * {@link verifyEd25519} for many signatures at once (a log of signed records): `result[i]` is
 * exactly `verifyEd25519(items[i]...)`. The well-formed signatures are checked 64 at a time, each
 * chunk with one random linear combination (one multi-scalar multiplication, terms of one key
 * merged); only when a chunk's check fails is each of its signatures checked alone, to say which
 * are bad. At most
 * {@link ED25519_BATCH_SIGNATURES_MAX} items (`LIMIT_EXCEEDED` naming `items`).
 */
export const verifyEd25519Batch = guardFunction(function verifyEd25519Batch(items: readonly Ed25519BatchItem[]): boolean[] {
  const list = expectArray(items, 'items');
  if (list.length > ED25519_BATCH_SIGNATURES_MAX) {
    throw new CountersignRangeError(
      'LIMIT_EXCEEDED',
      `countersign: items: at most ${ED25519_BATCH_SIGNATURES_MAX} signatures per batch, got ${list.length}`,
      'items',
    );
  }
  // Packed as the adapter reads it: each item's key, message and signature back to back, and
  // their lengths, three per item (one copy into wasm instead of three per item).
  const lengths = new Uint32Array(list.length * 3);
  const parts: Uint8Array[] = [];
  let total = 0;
  list.forEach((item, i) => {
    const fields = expectObject(item, `items[${i}]`, BATCH_ITEM_FIELDS);
    BATCH_ITEM_FIELDS.forEach((name, j) => {
      const bytes = expectBytes(fields[name], `items[${i}].${name}`);
      lengths[i * 3 + j] = bytes.length;
      parts.push(bytes);
      total += bytes.length;
    });
  });
  const data = new Uint8Array(total);
  let at = 0;
  for (const part of parts) {
    data.set(part, at);
    at += part.length;
  }
  return Array.from(wasm().ed25519VerifyBatch(data, lengths), (ok) => ok === 1);
}, ['items']);

function formatOption(options: unknown): SignatureFormat {
  if (options === undefined) return 'der';
  const fields = expectObject(options, 'options');
  if (fields.format === undefined) return 'der';
  return expectOneOf(fields.format, 'options.format', SIGNATURE_FORMATS, 'ALGORITHM_UNSUPPORTED');
}

/** The SEC1 public key of a secp256k1 secret key: 33 bytes compressed (default) or 65. */
export const secp256k1PublicKey = guardFunction(function secp256k1PublicKey(secretKey: Uint8Array, options?: { compressed?: boolean }): Uint8Array {
  expectBytes(secretKey, 'secretKey');
  let compressed = true;
  if (options !== undefined) {
    const fields = expectObject(options, 'options');
    if (fields.compressed !== undefined) compressed = expectBoolean(fields.compressed, 'options.compressed');
  }
  return wasm().secp256k1PublicKey(secretKey, compressed);
}, ['secretKey', 'options']);

/** ECDSA secp256k1 over SHA-256(message): RFC 6979 deterministic, always low-S. */
export const signSecp256k1 = guardFunction(function signSecp256k1(
  secretKey: Uint8Array,
  message: Uint8Array,
  options?: { format?: SignatureFormat },
): Uint8Array {
  expectBytes(secretKey, 'secretKey');
  expectBytes(message, 'message');
  const format = formatOption(options);
  return wasm().secp256k1Sign(secretKey, message, format);
}, ['secretKey', 'message', 'options']);

/**
 * Verifies an ECDSA secp256k1 signature over SHA-256(message). Defaults: DER, low-S required
 * (`allowHighS: false`, as Bitcoin and Ethereum do). Returns false for malformed input.
 */
export const verifySecp256k1 = guardFunction(function verifySecp256k1(
  publicKey: Uint8Array,
  message: Uint8Array,
  signature: Uint8Array,
  options?: { format?: SignatureFormat; allowHighS?: boolean },
): boolean {
  expectBytes(publicKey, 'publicKey');
  expectBytes(message, 'message');
  expectBytes(signature, 'signature');
  const format = formatOption(options);
  let allowHighS = false;
  if (options !== undefined && options.allowHighS !== undefined) {
    allowHighS = expectBoolean(options.allowHighS, 'options.allowHighS');
  }
  return wasm().secp256k1Verify(publicKey, message, signature, format, allowHighS);
}, ['publicKey', 'message', 'signature', 'options']);

/**
 * Rewrites a high-S secp256k1 signature as its low-S twin (s -> n - s); low-S signatures are
 * returned unchanged. OpenSSL and WebCrypto produce high-S about half the time.
 */
export const normalizeSecp256k1Signature = guardFunction(function normalizeSecp256k1Signature(signature: Uint8Array, options?: { format?: SignatureFormat }): Uint8Array {
  expectBytes(signature, 'signature');
  const format = formatOption(options);
  return wasm().secp256k1NormalizeS(signature, format);
}, ['signature', 'options']);

/** @internal */
export function expectKeyAlgorithm(value: unknown, param: string): KeyAlgorithm {
  if (typeof value !== 'string') throw typeError(param, `one of ${KEY_ALGORITHMS.join(', ')}`, value);
  return expectOneOf(value, param, KEY_ALGORITHMS, 'ALGORITHM_UNSUPPORTED');
}
