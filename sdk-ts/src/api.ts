/** The public API shared by the browser and Node entries. */
export {
  init,
  isInitialized,
  loadedModule,
  WASM_MODULES,
  type InitInput,
  type InitOptions,
  type WasmModuleName,
  type WasmApi,
  type WasmPart,
  type WasmSystem,
} from './loader.js';
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
  ED25519_BATCH_SIGNATURES_MAX,
  KEY_ALGORITHMS,
  SIGNATURE_FORMATS,
  constantTimeEqual,
  ed25519PublicKey,
  generateKeyPair,
  hmacSha256,
  keyPairFromSecret,
  normalizeSecp256k1Signature,
  secp256k1PublicKey,
  sha256,
  signEd25519,
  signSecp256k1,
  verifyEd25519,
  verifyEd25519Batch,
  verifySecp256k1,
  type Ed25519BatchItem,
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
export * from './storage/index.js';
export {
  loadTimeZone,
  loadTimeZoneIndex,
  setTimeZoneBaseUrl,
  UTC_TIME_ZONE,
  TIME_ZONES_LOADED_MAX,
  TIME_ZONE_NAME_LENGTH_MAX_CHARS,
  type TimeZoneData,
  type TimeZoneIndex,
} from './tz.js';
export {
  CARD_CODES,
  CARD_COMMAND_TYPE,
  CARD_CONFIG_TYPE,
  CARD_ONLINE_RESULT_TYPE,
  CARD_SNAPSHOT_KEY_BYTES,
  Card,
  CardStore,
  cardCodes,
  CompanionApp,
  Issuer,
  type AuthorisationRequest,
  type AuthorisationResult,
  type CardCode,
  type CardCommand,
  type CardConfig,
  type CardKey,
  type CardStatus,
  type CardView,
  type ConsecutiveOffline,
  type CountOn,
  type CountingPolicy,
  type Decision,
  type Freshness,
  type LimitSpec,
  type LimitStatus,
  type LimitWindow,
  type Measure,
  type MessageOptions,
  type OnlineResult,
  type Restore,
  type SettlementRequest,
  type TransactionOutcome,
  type UpdateOutcome,
  type Weekday,
} from './card.js';
export * from './ledger.js';
export * from './ledger-shards.js';
export * from './energy.js';
export * from './tempcard.js';
export * from './shelf.js';
export * from './ecash.js';
export * from './pos.js';
export * from './dose.js';
export * from './dose-escalation.js';
export * from './custody-liabilities.js';
export * from './custody.js';
export * from './relay.js';
export * from './transfer.js';
export * from './transfer-lifecycle.js';
