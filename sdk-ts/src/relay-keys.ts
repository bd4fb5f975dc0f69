/**
 * The key pair a relay role keeps to sign with, read once into a frozen object of its own (the
 * caller's getters run once; its bytes are copies the caller cannot change or detach). Shared by
 * relay.ts and relay-server.ts; not exported from the package.
 * @internal
 */
import { expectKeyAlgorithm, type KeyPair } from './crypto.js';
import { expectBytes, expectObject } from './validate.js';

export function expectKeyPair(value: unknown): KeyPair {
  const pair = Object.assign(Object.create(null) as Record<string, unknown>, expectObject(value, 'keyPair'));
  const [algorithm, secretKey, publicKey] = [pair.algorithm, pair.secretKey, pair.publicKey];
  return Object.freeze({
    algorithm: expectKeyAlgorithm(algorithm, 'keyPair.algorithm'),
    secretKey: new Uint8Array(expectBytes(secretKey, 'keyPair.secretKey')),
    publicKey: new Uint8Array(expectBytes(publicKey, 'keyPair.publicKey')),
  });
}
