/** The public API shared by the browser and Node entries. */
export { init, isInitialized, type InitInput } from './loader.js';
export {
  CountersignError,
  CountersignRangeError,
  CountersignTypeError,
  ERROR_CODES,
  type AnyCountersignError,
  type ErrorCode,
} from './errors.js';
export { Amount, ROUNDING_MODES, currencies, currency, type CurrencyInfo, type RoundingMode } from './money.js';
export {
  KEY_ALGORITHMS,
  SIGNATURE_FORMATS,
  constantTimeEqual,
  ed25519PublicKey,
  generateKeyPair,
  keyPairFromSecret,
  normalizeSecp256k1Signature,
  secp256k1PublicKey,
  sha256,
  signEd25519,
  signSecp256k1,
  verifyEd25519,
  verifySecp256k1,
  type KeyAlgorithm,
  type KeyPair,
  type SignatureFormat,
} from './crypto.js';
export {
  openEnvelope,
  sealEnvelope,
  type EnvelopeRejection,
  type OpenOptions,
  type OpenResult,
  type OpenedEnvelope,
  type RejectedEnvelope,
  type SealInput,
  type TrustedKey,
} from './envelope.js';
