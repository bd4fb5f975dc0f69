// Generated from the Rust types in core/src by ts-rs (core/tests/ts_types.rs). Do not edit:
// change the Rust type and run `bash scripts/types.sh`.
import type { CountingPolicy, LimitSpec, LimitStatus } from "./limits.js";

/**
 * A POS authorisation request. The amount is a decimal string in `currency` (strict grammar).
 */
export type AuthorisationRequest = {
  /**
   * The terminal's transaction id (1..=64 UTF-8 bytes, no control characters).
   */
  readonly transactionId: string,
  /**
   * Amount, e.g. `"12.30"`, strictly positive.
   */
  readonly amount: string,
  /**
   * ISO 4217 currency code.
   */
  readonly currency: string,
  /**
   * When, Unix seconds.
   */
  readonly time: number,
  /**
   * Whether the terminal can go online now.
   */
  readonly terminalOnline: boolean,
  /**
   * ISO 18245 merchant category code (4 digits), if known.
   */
  readonly merchantCategory?: string, };

/**
 * The card's answer to an authorisation.
 */
export type AuthorisationResult = {
  /**
   * The transaction id.
   */
  readonly transactionId: string,
  /**
   * Approve, decline or go online.
   */
  readonly decision: Decision,
  /**
   * Why (one code per reason).
   */
  readonly code: CardCode,
  /**
   * The limit behind the code, for limit codes.
   */
  readonly limitId: string | null,
  /**
   * The transaction counter after this authorisation (for a repeat: the one it was decided with).
   */
  readonly transactionCounter: number,
  /**
   * Consecutive offline approvals after this authorisation.
   */
  readonly consecutiveOffline: number,
  /**
   * True when this is a repeated transaction id answered from the retained decision.
   */
  readonly repeated: boolean,
  /**
   * Every limit after the decision (approved: including this transaction).
   */
  readonly limits: ReadonlyArray<LimitStatus>, };

/**
 * Outcome of a card operation. A decision or a refusal is a normal result with exactly one
 * of these codes; an `Error` means the call itself was malformed.
 */
export type CardCode = "APPROVED" | "SOFT_LIMIT_REACHED" | "HARD_LIMIT_REACHED" | "TRANSACTION_LIMIT_EXCEEDED" | "TRAILING_WINDOW_FULL" | "CONSECUTIVE_OFFLINE_SOFT_LIMIT" | "CONSECUTIVE_OFFLINE_HARD_LIMIT" | "CURRENCY_MISMATCH" | "CARD_BLOCKED" | "MERCHANT_CATEGORY_BLOCKED" | "NOT_PROVISIONED" | "TRANSACTION_ID_CONFLICT" | "TRANSACTION_COUNTER_EXHAUSTED" | "ONLINE_APPROVED" | "ONLINE_DECLINED" | "CONFIG_APPLIED" | "COMMAND_APPLIED" | "ONLINE_RESULT_APPLIED" | "MALFORMED" | "UNKNOWN_KEY" | "BAD_SIGNATURE" | "WRONG_TYPE" | "NOT_YET_VALID" | "EXPIRED" | "REPLAYED" | "VERSION_UNSUPPORTED" | "PAYLOAD_MALFORMED" | "WRONG_CARD" | "CONFIG_INVALID" | "UNKNOWN_LIMIT" | "VALUE_INVALID" | "ABOVE_CEILING" | "NEGATIVE_RESULT" | "NOT_RESETTABLE" | "TRANSACTION_NOT_PENDING" | "REVERSED" | "CAPTURED" | "REFUNDED" | "UNKNOWN_TRANSACTION" | "TRANSACTION_NOT_APPROVED" | "TRANSACTION_REVERSED" | "TRANSACTION_REFUNDED" | "TRANSACTION_NOT_CAPTURED" | "REFUND_CONFLICT" | "REFUND_EXCEEDS_AMOUNT" | "CAPTURE_CONFLICT" | "CAPTURE_EXCEEDS_AUTHORISATION";

/**
 * What a companion-app command does.
 * JSON: `{"op": "set", "limitId": "daily", "value": "10"}`, `{"op": "block"}`, ...
 */
export type CardCommand = { readonly "op": "set",
  /**
   * The limit.
   */
  readonly limitId: string,
  /**
   * The new hard value.
   */
  readonly value: string, } | { readonly "op": "change",
  /**
   * The limit.
   */
  readonly limitId: string,
  /**
   * The signed change.
   */
  readonly delta: string, } | { readonly "op": "reset",
  /**
   * The limit.
   */
  readonly limitId: string, } | { readonly "op": "block" } | { readonly "op": "unblock" };

/**
 * A companion-app command: the payload of a `card.command` envelope.
 */
export type CardCommandPayload = {
  /**
   * The card this command is for.
   */
  readonly cardId: string,
  /**
   * What to do.
   */
  readonly action: CardCommand, };

/**
 * The issuer's configuration of a card: the payload of a `card.config` envelope.
 */
export type CardConfig = {
  /**
   * The card this configuration is for.
   */
  readonly cardId: string,
  /**
   * The card's currency: authorisations in another currency are declined.
   */
  readonly currency: string,
  /**
   * The limits (amount limits in the card's currency), at most
   * `LIMITS_PER_SET_MAX`.
   */
  readonly limits: ReadonlyArray<LimitSpec>,
  /**
   * The counting policy (default: approvals count, reversals restore, refunds do not).
   */
  readonly counting?: CountingPolicy,
  /**
   * Consecutive-offline limits (absent: none).
   */
  readonly consecutiveOffline?: ConsecutiveOffline,
  /**
   * The companion-app keys allowed to sign commands (at most `APP_KEYS_MAX`).
   */
  readonly appKeys: ReadonlyArray<PublicKey>,
  /**
   * Clock skew tolerated on envelopes' issue time, seconds (≤ one day).
   */
  readonly clockSkewS?: number,
  /**
   * Merchant category codes (4 digits) declined by the card (at most `MERCHANT_CATEGORIES_MAX`).
   */
  readonly blockedMerchantCategories?: ReadonlyArray<string>, };

/**
 * Lifecycle state of a card.
 */
export type CardStatus = "unprovisioned" | "active" | "blocked";

/**
 * Everything the app or terminal shows about a card.
 */
export type CardView = {
  /**
   * Card id.
   */
  readonly cardId: string,
  /**
   * Status.
   */
  readonly status: CardStatus,
  /**
   * The card's currency, once provisioned.
   */
  readonly currency: string | null,
  /**
   * Transaction counter.
   */
  readonly transactionCounter: number,
  /**
   * Consecutive offline approvals.
   */
  readonly consecutiveOffline: number,
  /**
   * The consecutive-offline limits, if configured.
   */
  readonly consecutiveOfflineLimits: ConsecutiveOffline | null,
  /**
   * Key ids of the companion apps allowed to send commands.
   */
  readonly appKeyIds: ReadonlyArray<string>,
  /**
   * Every limit at the time asked.
   */
  readonly limits: ReadonlyArray<LimitStatus>,
  /**
   * The monotonic counters.
   */
  readonly freshness: Freshness, };

/**
 * EMV-style consecutive-offline limits: after `soft` (LCOL) consecutive offline approvals the
 * card asks to go online when it can; after `hard` (UCOL) it refuses offline.
 */
export type ConsecutiveOffline = {
  /**
   * Lower consecutive offline limit.
   */
  readonly soft: number,
  /**
   * Upper consecutive offline limit (≥ `soft`, ≤ 65 535).
   */
  readonly hard: number, };

/**
 * What the card decided. JSON: `"approve"`, `"decline"`, `"go-online"`.
 */
export type Decision = "approve" | "decline" | "go-online";

/**
 * The monotonic counters of a card: a snapshot whose counters are lower than ones already seen
 * is older (a rollback). Sequence numbers are decimal strings in JSON.
 */
export type Freshness = {
  /**
   * Incremented by every change of the card.
   */
  readonly revision: number,
  /**
   * Last accepted configuration sequence.
   */
  readonly configSeq: string | null,
  /**
   * Last accepted command sequence.
   */
  readonly commandSeq: string | null,
  /**
   * Last accepted online-result sequence.
   */
  readonly onlineSeq: string | null,
  /**
   * Transaction counter.
   */
  readonly transactionCounter: number, };

/**
 * The issuer's answer to a go-online decision, and/or an issuer update resetting the
 * consecutive-offline counter: the payload of a `card.online-result` envelope.
 */
export type OnlineResult = {
  /**
   * The card this result is for.
   */
  readonly cardId: string,
  /**
   * The transaction that went online (absent: a counter reset only, `approve` is ignored).
   */
  readonly transactionId?: string,
  /**
   * Whether the issuer approved it.
   */
  readonly approve?: boolean,
  /**
   * Reset the consecutive-offline counter (EMV issuer update).
   */
  readonly resetConsecutiveOffline?: boolean, };

/**
 * A public key the card trusts: the issuer's, or a companion app's. JSON:
 * `{"keyId": "app-1", "alg": "EdDSA", "publicKey": "<hex>"}`.
 */
export type PublicKey = {
  /**
   * Key id as it appears in envelopes (1..=64 UTF-8 bytes, no control characters).
   */
  readonly keyId: string,
  /**
   * `"EdDSA"` or `"ES256K"`.
   */
  readonly alg: "EdDSA" | "ES256K",
  /**
   * Ed25519: 32 bytes; ES256K: SEC1 compressed (33) or uncompressed (65). Hex in JSON.
   */
  readonly publicKey: string, };

/**
 * A reversal request from the terminal.
 */
export type ReversalRequest = {
  /**
   * The transaction to reverse.
   */
  readonly transactionId: string,
  /**
   * When, Unix seconds (for the limit statuses returned).
   */
  readonly time: number, };

/**
 * A capture or refund request from the terminal.
 */
export type SettlementRequest = {
  /**
   * The transaction.
   */
  readonly transactionId: string,
  /**
   * Amount captured or refunded, decimal string, strictly positive.
   */
  readonly amount: string,
  /**
   * ISO 4217 currency code.
   */
  readonly currency: string,
  /**
   * When, Unix seconds (for the limit statuses returned).
   */
  readonly time: number, };

/**
 * The result of a reversal, capture or refund.
 */
export type TransactionOutcome = {
  /**
   * The transaction id.
   */
  readonly transactionId: string,
  /**
   * The code.
   */
  readonly code: CardCode,
  /**
   * True when it repeats an operation already applied (nothing changed).
   */
  readonly repeated: boolean,
  /**
   * Every limit afterwards.
   */
  readonly limits: ReadonlyArray<LimitStatus>, };

/**
 * The result of a configuration, command or online result.
 */
export type UpdateOutcome = {
  /**
   * The code: `CONFIG_APPLIED` / `COMMAND_APPLIED` / `ONLINE_RESULT_APPLIED`, or why not.
   */
  readonly code: CardCode,
  /**
   * Whether the message was applied.
   */
  readonly accepted: boolean,
  /**
   * The card's status afterwards.
   */
  readonly status: CardStatus,
  /**
   * Consecutive offline approvals afterwards.
   */
  readonly consecutiveOffline: number,
  /**
   * For an applied online result about a transaction: its final decision.
   */
  readonly decision: Decision | null,
  /**
   * Every limit afterwards (empty when not provisioned).
   */
  readonly limits: ReadonlyArray<LimitStatus>, };
