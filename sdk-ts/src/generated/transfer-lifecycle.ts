// Generated from the Rust types in core/src by ts-rs (core/tests/ts_types.rs). Do not edit:
// change the Rust type and run `bash scripts/types.sh`.
import type { LedgerCode } from "./ledger.js";

/**
 * Release a reservation.
 */
export type Abort = {
  /**
   * Idempotency: the request's id.
   */
  readonly requestId: string,
  /**
   * Unix seconds.
   */
  readonly now: number,
  /**
   * The transfer.
   */
  readonly transferId: string,
  /**
   * Why (at most REASON_BYTES_MAX bytes, may be empty).
   */
  readonly reason: string, };

/**
 * A new book.
 */
export type BookConfig = {
  /**
   * The book's id (1..=ID_BYTES_MAX bytes).
   */
  readonly bookId: string,
  /**
   * ISO 4217 code or registered asset of every amount in the book.
   */
  readonly currency: string,
  /**
   * Unix seconds: the book's ledger starts at this time.
   */
  readonly now: number, };

/**
 * Capture a reservation with the fulfilment.
 */
export type Commit = {
  /**
   * Idempotency: the request's id.
   */
  readonly requestId: string,
  /**
   * Unix seconds.
   */
  readonly now: number,
  /**
   * The transfer.
   */
  readonly transferId: string,
  /**
   * The preimage of the condition, 64 lowercase hex digits.
   */
  readonly fulfilment: string, };

/**
 * Release the reservations past their deadline.
 */
export type ExpireDue = {
  /**
   * Idempotency: the request's id.
   */
  readonly requestId: string,
  /**
   * Unix seconds.
   */
  readonly now: number, };

/**
 * Move money from the issuer into an account.
 */
export type Fund = {
  /**
   * Idempotency: the request's id.
   */
  readonly requestId: string,
  /**
   * Unix seconds.
   */
  readonly now: number,
  /**
   * The account funded.
   */
  readonly accountId: string,
  /**
   * Decimal string in the book's currency.
   */
  readonly amount: string, };

/**
 * Outcome of a transfer-lifecycle request: one code per reason (module docs, *Check order*).
 */
export type LifecycleCode = "ACCOUNT_OPENED" | "FUNDED" | "QUOTED" | "RESERVED" | "COMMITTED" | "ABORTED" | "DUE_EXPIRED" | "MORE_DUE" | "REQUEST_ID_REUSED" | "REQUESTS_FULL" | "ACCOUNT_EXISTS" | "AMOUNT_NOT_POSITIVE" | "UNKNOWN_ACCOUNT" | "QUOTE_EXISTS" | "FEE_NEGATIVE" | "EXPIRY_INVALID" | "SAME_ACCOUNT" | "QUOTES_FULL" | "TRANSFER_EXISTS" | "UNKNOWN_QUOTE" | "QUOTE_USED" | "QUOTE_EXPIRED" | "TRANSFERS_FULL" | "INSUFFICIENT_FUNDS" | "UNKNOWN_TRANSFER" | "ALREADY_COMMITTED" | "ALREADY_ABORTED" | "TRANSFER_EXPIRED" | "LATE_FULFILMENT" | "FULFILMENT_MISMATCH" | "LEDGER_REFUSED";

/**
 * The answer to a request.
 */
export type LifecycleOutcome = {
  /**
   * One code per reason.
   */
  readonly code: LifecycleCode,
  /**
   * True when answered from the request ids (the same id and body again).
   */
  readonly repeated: boolean,
  /**
   * The ledger's code behind `LEDGER_REFUSED` / `INSUFFICIENT_FUNDS`.
   */
  readonly ledgerCode: LedgerCode | null,
  /**
   * The quote the request concerns, now.
   */
  readonly quote: QuoteView | null,
  /**
   * The transfer the request concerns, now.
   */
  readonly transfer: TransferView | null,
  /**
   * Transfers this request released at their deadline.
   */
  readonly expired: ReadonlyArray<string>, };

/**
 * Any request. JSON: `{"op": "reserve", "request": {...}}`.
 */
export type LifecycleRequest = { readonly "op": "openAccount", readonly "request": OpenAccount } | { readonly "op": "fund", readonly "request": Fund } | { readonly "op": "quote", readonly "request": Quote } | { readonly "op": "reserve", readonly "request": Reserve } | { readonly "op": "commit", readonly "request": Commit } | { readonly "op": "abort", readonly "request": Abort } | { readonly "op": "expireDue", readonly "request": ExpireDue };

/**
 * Open a `nonNegative` account.
 */
export type OpenAccount = {
  /**
   * Idempotency: the request's id.
   */
  readonly requestId: string,
  /**
   * Unix seconds.
   */
  readonly now: number,
  /**
   * The new account.
   */
  readonly accountId: string, };

/**
 * Provider B's terms for a transfer.
 */
export type Quote = {
  /**
   * Idempotency: the request's id.
   */
  readonly requestId: string,
  /**
   * Unix seconds.
   */
  readonly now: number,
  /**
   * The quote's id.
   */
  readonly quoteId: string,
  /**
   * The account paying amount + fee.
   */
  readonly payerAccountId: string,
  /**
   * The account credited with the amount (provider B's settlement account).
   */
  readonly payeeAccountId: string,
  /**
   * What the payee side receives, decimal string.
   */
  readonly amount: string,
  /**
   * Provider A's fee, decimal string (zero allowed).
   */
  readonly fee: string,
  /**
   * The quote's deadline, Unix seconds: usable while `now < expiresAt`.
   */
  readonly expiresAt: number, };

/**
 * A quote as the book keeps it.
 */
export type QuoteView = {
  /**
   * The quote's id.
   */
  readonly quoteId: string,
  /**
   * Payer account.
   */
  readonly payerAccountId: string,
  /**
   * Payee account.
   */
  readonly payeeAccountId: string,
  /**
   * Decimal string.
   */
  readonly amount: string,
  /**
   * Decimal string.
   */
  readonly fee: string,
  /**
   * Currency code.
   */
  readonly currency: string,
  /**
   * Deadline, Unix seconds.
   */
  readonly expiresAt: number,
  /**
   * The transfer that used it, if any.
   */
  readonly usedBy: string | null, };

/**
 * Hold a quote's amount and fee under a condition.
 */
export type Reserve = {
  /**
   * Idempotency: the request's id.
   */
  readonly requestId: string,
  /**
   * Unix seconds.
   */
  readonly now: number,
  /**
   * The transfer's id (1..=TRANSFER_ID_BYTES_MAX bytes).
   */
  readonly transferId: string,
  /**
   * The quote it uses.
   */
  readonly quoteId: string,
  /**
   * SHA-256 of the fulfilment, 64 lowercase hex digits.
   */
  readonly condition: string, };

/**
 * A transfer's state. JSON: `"reserved"`, `"committed"`, `"aborted"`, `"expired"`.
 */
export type TransferState = "reserved" | "committed" | "aborted" | "expired";

/**
 * A transfer as the book keeps it (its terms are its quote's).
 */
export type TransferView = {
  /**
   * The transfer's id.
   */
  readonly transferId: string,
  /**
   * Its quote.
   */
  readonly quoteId: string,
  /**
   * Payer account.
   */
  readonly payerAccountId: string,
  /**
   * Payee account.
   */
  readonly payeeAccountId: string,
  /**
   * Decimal string.
   */
  readonly amount: string,
  /**
   * Decimal string.
   */
  readonly fee: string,
  /**
   * Currency code.
   */
  readonly currency: string,
  /**
   * The quote's deadline, carried onward to provider B.
   */
  readonly expiresAt: number,
  /**
   * 64 hex digits.
   */
  readonly condition: string,
  /**
   * Its state.
   */
  readonly state: TransferState,
  /**
   * 64 hex digits, once committed.
   */
  readonly fulfilment: string | null,
  /**
   * The abort's reason.
   */
  readonly reason: string | null, };
