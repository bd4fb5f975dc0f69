// Generated from the Rust types in core/src by ts-rs (core/tests/ts_types.rs). Do not edit:
// change the Rust type and run `bash scripts/types.sh`.
import type { LedgerCode } from "./ledger.js";
import type { LimitSpec, LimitsCode } from "./limits.js";

/**
 * A phone's configuration.
 */
export type PhoneConfig = {
  /**
   * The device id: the key id of its tokens, 1..=32 bytes of `[A-Za-z0-9._-]`.
   */
  readonly deviceId: string,
  /**
   * The offline allowance, e.g. a per-token cap (`perTransaction`), a cumulative amount and
   * a count of outstanding tokens (`lifetime`). Calendar windows in `UTC` only (the phone
   * takes no time-zone data).
   */
  readonly allowance: ReadonlyArray<LimitSpec>, };

/**
 * The answer of `PaymentPhone::accept_receipt`.
 */
export type ReceiptOutcome = {
  /**
   * `SETTLED`, `ANSWER_NOT_FINAL`, `ALREADY_SETTLED`, `UNKNOWN_TOKEN`, `RECEIPT_MISMATCH`,
   * or an envelope / payload refusal.
   */
  readonly code: RelayCode,
  /**
   * The server's answer in the receipt (when authentic).
   */
  readonly decision: RelayCode | null,
  /**
   * The token's counter (when the receipt names one of this phone's tokens).
   */
  readonly counter: number | null,
  /**
   * The ledger code in the receipt.
   */
  readonly ledgerCode: string | null, };

/**
 * Outcome of a relay operation. A decision or a refusal is a normal result with exactly one
 * of these codes; an `Error` means the call itself was malformed.
 */
export type RelayCode = "SEALED" | "OUTSTANDING_FULL" | "COUNTER_EXHAUSTED" | "ALLOWANCE_EXCEEDED" | "APPROVED" | "UNKNOWN_PAYEE" | "CURRENCY_MISMATCH" | "DEVICE_LIMIT_EXCEEDED" | "INSUFFICIENT_FUNDS" | "LEDGER_REFUSED" | "COUNTER_BELOW_WINDOW" | "COUNTER_REUSED" | "SETTLED" | "ANSWER_NOT_FINAL" | "ALREADY_SETTLED" | "UNKNOWN_TOKEN" | "RECEIPT_MISMATCH" | "MALFORMED" | "UNKNOWN_KEY" | "BAD_SIGNATURE" | "WRONG_TYPE" | "NOT_YET_VALID" | "EXPIRED" | "REPLAYED" | "VERSION_UNSUPPORTED" | "PAYLOAD_MALFORMED";

/**
 * The answer of `PaymentPhone::seal`.
 */
export type SealOutcomeWire = {
  /**
   * `SEALED`, `OUTSTANDING_FULL`, `COUNTER_EXHAUSTED` or `ALLOWANCE_EXCEEDED`.
   */
  readonly code: RelayCode,
  /**
   * The token's counter (when sealed).
   */
  readonly counter: number | null,
  /**
   * SHA-256 of the token, hex (when sealed).
   */
  readonly tokenHash: string | null,
  /**
   * The allowance's verdict (when checked).
   */
  readonly limitsCode: LimitsCode | null,
  /**
   * The limit that decided a refusal.
   */
  readonly limitId: string | null, };

/**
 * What to pay: the input of `PaymentPhone::seal`.
 */
export type SealRequestWire = {
  /**
   * Who is paid.
   */
  readonly payee: string,
  /**
   * Decimal string, > 0, e.g. `"4.50"`.
   */
  readonly amount: string,
  /**
   * ISO 4217 code.
   */
  readonly currency: string,
  /**
   * 8..=16 random bytes, hex (the SDK draws them).
   */
  readonly nonce: string,
  /**
   * Unix seconds (the token's `iat`).
   */
  readonly now: number,
  /**
   * How long the token is valid, 1..=TOKEN_TTL_S_MAX seconds.
   */
  readonly ttlS: number, };

/**
 * The server's answer to a token.
 */
export type ServerReplyWire = {
  /**
   * The decision or refusal (module docs, check order).
   */
  readonly code: RelayCode,
  /**
   * True when this is a stored answer given again (the same receipt bytes).
   */
  readonly replayed: boolean,
  /**
   * The device (when the token was authentic).
   */
  readonly deviceId: string | null,
  /**
   * The token's counter (when authentic).
   */
  readonly counter: number | null,
  /**
   * SHA-256 of the token bytes, hex.
   */
  readonly tokenHash: string,
  /**
   * The ledger's code when the ledger refused.
   */
  readonly ledgerCode: LedgerCode | null,
  /**
   * The limits code when the device's server-side limits refused.
   */
  readonly limitsCode: LimitsCode | null,
  /**
   * The limit that refused.
   */
  readonly limitId: string | null, };

/**
 * Where a token stands, in plain language.
 */
export type TokenStateKind = "awaiting" | "refused" | "settled";

/**
 * A token as the phone sees it.
 */
export type TokenView = {
  /**
   * The device counter.
   */
  readonly counter: number,
  /**
   * SHA-256 of the token, hex.
   */
  readonly tokenHash: string,
  /**
   * The state.
   */
  readonly state: TokenStateKind,
  /**
   * The refusal or the settling answer.
   */
  readonly code: RelayCode | null,
  /**
   * Payee (outstanding tokens only; empty for settled ones, which keep only their answer).
   */
  readonly payee: string,
  /**
   * Amount (outstanding tokens only).
   */
  readonly amount: string,
  /**
   * Currency (outstanding tokens only).
   */
  readonly currency: string,
  /**
   * Expiry, Unix seconds (outstanding tokens only; 0 for settled ones).
   */
  readonly expiresAt: number, };
