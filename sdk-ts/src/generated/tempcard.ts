// Generated from the Rust types in core/src by ts-rs (core/tests/ts_types.rs). Do not edit:
// change the Rust type and run `bash scripts/types.sh`.
import type { AccountView, LedgerCode } from "./ledger.js";

/**
 * Approve a credit application: open the temporary account.
 */
export type ApprovalRequest = {
  /**
   * The temporary account's id (1..=`ACCOUNT_ID_BYTES_MAX` bytes, never reused).
   */
  readonly accountId: string,
  /**
   * The parent credit line's ledger account id (opened with `approvedLimit` if new).
   */
  readonly parentAccountId: string,
  /**
   * The approved credit limit, a positive decimal string in the service's currency.
   */
  readonly approvedLimit: string,
  /**
   * The fraction of the approved limit the temporary account may use, a decimal in (0, 1].
   */
  readonly limitFraction?: string,
  /**
   * The most the temporary account may use, a positive amount.
   */
  readonly limitCap?: string,
  /**
   * When the credentials may be shown.
   */
  readonly displayWindow: TimeWindow,
  /**
   * When the credentials authorise; the hold lasts until its end.
   */
  readonly usableWindow: TimeWindow,
  /**
   * At most this many approved purchases (1: single-use); absent: no count limit.
   */
  readonly maxUses?: number,
  /**
   * Only this merchant id may be paid.
   */
  readonly merchantLock?: string,
  /**
   * Lock the account to the merchant of its first approved purchase.
   */
  readonly lockToFirstMerchant?: boolean,
  /**
   * PANs the new PAN must differ from besides the parent's earlier temporary ones (e.g. its
   * physical card's).
   */
  readonly issuedPans?: ReadonlyArray<string>,
  /**
   * Unix seconds.
   */
  readonly now: number, };

/**
 * The answer to an approval.
 */
export type ApprovalResult = {
  /**
   * `TEMPORARY_ACCOUNT_OPENED` or the reason of the refusal.
   */
  readonly code: TempCardCode,
  /**
   * The temporary account requested.
   */
  readonly accountId: string,
  /**
   * The new account (only when opened).
   */
  readonly account: TemporaryAccountView | null,
  /**
   * The ledger's code when it refused.
   */
  readonly ledgerCode: LedgerCode | null, };

/**
 * The configured BIN range and PAN length. JSON: `{"low": "45717360", "high": "45717369",
 * "panLength": 16}`; a single BIN has `low == high`.
 */
export type BinRange = {
  /**
   * The lowest prefix: 6–8 ASCII digits, not starting with `0`.
   */
  readonly low: string,
  /**
   * The highest prefix: as many digits as `low`, numerically `>= low`.
   */
  readonly high: string,
  /**
   * PAN length in digits, 13–19, at least prefix length + 5 (4 account digits and the check digit).
   */
  readonly panLength: number, };

/**
 * The answer to `TempCardService::close_due`.
 */
export type CloseDueResult = {
  /**
   * `DUE_ACCOUNTS_CLOSED`, `MORE_ACCOUNTS_DUE` or `LEDGER_REFUSED`.
   */
  readonly code: TempCardCode,
  /**
   * The accounts closed by this call.
   */
  readonly closed: ReadonlyArray<string>,
  /**
   * The ledger's code when it refused.
   */
  readonly ledgerCode: LedgerCode | null, };

/**
 * Why a temporary account closed. JSON: `"activation"`, `"windowEnd"`.
 */
export type ClosureReason = "activation" | "windowEnd";

/**
 * The answer to an activation or a closure.
 */
export type ClosureResult = {
  /**
   * `CLOSED_ON_ACTIVATION`, `CLOSED_AT_WINDOW_END`, `ALREADY_CLOSED`, `UNKNOWN_ACCOUNT`,
   * `LEDGER_REFUSED`.
   */
  readonly code: TempCardCode,
  /**
   * The temporary account.
   */
  readonly accountId: string,
  /**
   * The closure (when closed).
   */
  readonly closure: ClosureView | null,
  /**
   * The ledger's code when it refused.
   */
  readonly ledgerCode: LedgerCode | null, };

/**
 * A closure.
 */
export type ClosureView = {
  /**
   * Why.
   */
  readonly reason: ClosureReason,
  /**
   * When (effective Unix seconds).
   */
  readonly at: number,
  /**
   * The unused rest released to the parent.
   */
  readonly released: string, };

/**
 * What `issue` needs: the BIN range, the two windows, and the PANs already issued for the
 * parent account.
 */
export type CredentialIssueRequest = {
  /**
   * Where the PAN comes from.
   */
  readonly binRange: BinRange,
  /**
   * When the credentials may be shown.
   */
  readonly displayWindow: TimeWindow,
  /**
   * When the credentials authorise.
   */
  readonly usableWindow: TimeWindow,
  /**
   * PANs already issued for the parent account (13–19 digits each), at most `ISSUED_PANS_MAX`.
   */
  readonly issuedPans?: ReadonlyArray<string>, };

/**
 * The result of `issue`: `ISSUED` with the credentials, or `PAN_COLLISION` /
 * `RANDOMNESS_EXHAUSTED` without.
 */
export type CredentialIssueResult = {
  /**
   * `ISSUED`, `PAN_COLLISION` or `RANDOMNESS_EXHAUSTED`.
   */
  readonly code: TempCardCode,
  /**
   * The new credentials (only with `ISSUED`).
   */
  readonly credentials: TempCredentials | null, };

/**
 * Credentials as a merchant presents them: PAN, `MM/YY` and CVV, as typed.
 */
export type PresentedCredentials = {
  /**
   * The PAN as presented.
   */
  readonly pan: string,
  /**
   * The expiry as presented, `MM/YY`.
   */
  readonly expiry: string,
  /**
   * The CVV as presented.
   */
  readonly cvv: string, };

/**
 * A purchase presented by a merchant.
 */
export type PurchaseRequest = {
  /**
   * The merchant's id for this authorisation (idempotency: the same id gets the same answer).
   */
  readonly authorisationId: string,
  /**
   * The PAN as presented.
   */
  readonly pan: string,
  /**
   * The expiry as presented, `MM/YY`.
   */
  readonly expiry: string,
  /**
   * The CVV as presented (zeroised on drop, never stored).
   */
  readonly cvv: string,
  /**
   * Decimal string in `currency`.
   */
  readonly amount: string,
  /**
   * ISO 4217 code.
   */
  readonly currency: string,
  /**
   * The merchant's id.
   */
  readonly merchantId: string,
  /**
   * Unix seconds.
   */
  readonly now: number, };

/**
 * A merchant's refund of an approved purchase.
 */
export type RefundRequest = {
  /**
   * The refund's id (idempotency).
   */
  readonly refundId: string,
  /**
   * The temporary PAN the purchase was made with.
   */
  readonly pan: string,
  /**
   * The approved authorisation refunded.
   */
  readonly authorisationId: string,
  /**
   * Decimal string in `currency`.
   */
  readonly amount: string,
  /**
   * ISO 4217 code.
   */
  readonly currency: string,
  /**
   * Unix seconds.
   */
  readonly now: number, };

/**
 * The answer to a refund.
 */
export type RefundResult = {
  /**
   * The refund id.
   */
  readonly refundId: string,
  /**
   * `REFUNDED_TO_PARENT` or the reason of the refusal.
   */
  readonly code: TempCardCode,
  /**
   * True when answered from the stored result.
   */
  readonly repeated: boolean,
  /**
   * The temporary account (absent for `UNKNOWN_PAN`).
   */
  readonly accountId: string | null,
  /**
   * The account credited (the parent credit line) when refunded.
   */
  readonly creditedAccountId: string | null,
  /**
   * Whether the temporary account was closed when the refund was decided.
   */
  readonly afterClosure: boolean,
  /**
   * The ledger's code when it refused (`LEDGER_REFUSED`).
   */
  readonly ledgerCode: LedgerCode | null, };

/**
 * The result of `Credentials::reveal`: inside the display window (`DISPLAY_ALLOWED`) the PAN,
 * expiry and CVV; otherwise only the code. The CVV string is zeroised on drop.
 */
export type RevealResult = {
  /**
   * `DISPLAY_ALLOWED`, `DISPLAY_NOT_YET_OPEN` or `DISPLAY_CLOSED`.
   */
  readonly code: TempCardCode,
  /**
   * The PAN (only with `DISPLAY_ALLOWED`).
   */
  readonly pan: string | null,
  /**
   * The expiry, `MM/YY` (only with `DISPLAY_ALLOWED`).
   */
  readonly expiry: string | null,
  /**
   * The CVV, three digits (only with `DISPLAY_ALLOWED`).
   */
  readonly cvv: string | null, };

/**
 * The answer to an authorisation.
 */
export type TempCardAuthorisationResult = {
  /**
   * The authorisation id.
   */
  readonly authorisationId: string,
  /**
   * `APPROVED` or the reason of the decline.
   */
  readonly code: TempCardCode,
  /**
   * Whether the purchase was approved.
   */
  readonly approved: boolean,
  /**
   * True when answered from the stored decision (the same id and request again).
   */
  readonly repeated: boolean,
  /**
   * The temporary account (absent for `UNKNOWN_PAN`).
   */
  readonly accountId: string | null,
  /**
   * The temporary available credit after the decision (absent when nothing was recorded).
   */
  readonly available: string | null,
  /**
   * Approved purchases so far, after the decision.
   */
  readonly uses: number | null,
  /**
   * The ledger's code when it refused (`LEDGER_REFUSED`).
   */
  readonly ledgerCode: LedgerCode | null, };

/**
 * Outcome of a temporary-card operation. A refusal is a normal result with exactly one of
 * these codes; an `Error` means the call itself was malformed.
 */
export type TempCardCode = "ISSUED" | "PAN_COLLISION" | "RANDOMNESS_EXHAUSTED" | "DISPLAY_ALLOWED" | "DISPLAY_NOT_YET_OPEN" | "DISPLAY_CLOSED" | "USABLE" | "NOT_YET_USABLE" | "USABLE_WINDOW_CLOSED" | "EXPIRED" | "CVV_VALID" | "CVV_INVALID" | "CVV_MALFORMED" | "PAN_MISMATCH" | "EXPIRY_MISMATCH" | "CREDENTIALS_VALID" | "TEMPORARY_ACCOUNT_OPENED" | "ACCOUNT_EXISTS" | "ACCOUNTS_FULL" | "TEMPORARY_LIMIT_ZERO" | "PARENT_MISMATCH" | "PARENT_HAS_OPEN_TEMPORARY" | "PARENT_CREDIT_INSUFFICIENT" | "LEDGER_REFUSED" | "APPROVED" | "UNKNOWN_PAN" | "AUTHORISATION_ID_CONFLICT" | "AUTHORISATIONS_FULL" | "CVV_TRIES_EXCEEDED" | "ACCOUNT_CLOSED" | "CURRENCY_MISMATCH" | "AMOUNT_NOT_POSITIVE" | "MERCHANT_LOCKED" | "SINGLE_USE_SPENT" | "USES_EXHAUSTED" | "INSUFFICIENT_TEMPORARY_CREDIT" | "REFUNDED_TO_PARENT" | "REFUND_ID_CONFLICT" | "REFUNDS_FULL" | "UNKNOWN_AUTHORISATION" | "REFUND_EXCEEDS_PURCHASE" | "CLOSED_ON_ACTIVATION" | "CLOSED_AT_WINDOW_END" | "ALREADY_CLOSED" | "UNKNOWN_ACCOUNT" | "DUE_ACCOUNTS_CLOSED" | "MORE_ACCOUNTS_DUE";

/**
 * The service's configuration. JSON: `{"currency": "EUR", "binRange": {...},
 * "settlementAccountId": "settlement"}`.
 */
export type TempCardConfig = {
  /**
   * The one currency of the service's accounts.
   */
  readonly currency: string,
  /**
   * Where temporary PANs come from.
   */
  readonly binRange: BinRange,
  /**
   * The ledger account purchases are paid to and refunds paid from.
   */
  readonly settlementAccountId: string, };

/**
 * Temporary-card credentials, without the CVV (never stored: `Credentials::reveal` and
 * `derive_cvv` recompute it from the issuer's key).
 */
export type TempCredentials = {
  /**
   * The temporary PAN (13–19 digits, Luhn-valid).
   */
  readonly pan: string,
  /**
   * The expiry for display, `MM/YY`: the card expires at the end of this month, UTC.
   */
  readonly expiry: string,
  /**
   * The exact expiry, Unix seconds: the first second after the `expiry` month, UTC (exclusive).
   */
  readonly expiresAt: number,
  /**
   * When the credentials may be shown.
   */
  readonly displayWindow: TimeWindow,
  /**
   * When the credentials authorise (ends no later than `expiresAt`).
   */
  readonly usableWindow: TimeWindow, };

/**
 * A temporary account as seen at a time. Amounts are decimal strings in `currency`.
 */
export type TemporaryAccountView = {
  /**
   * Its id.
   */
  readonly accountId: string,
  /**
   * The parent credit line.
   */
  readonly parentAccountId: string,
  /**
   * Currency code.
   */
  readonly currency: string,
  /**
   * The PAN with all but the BIN's first six and the last four digits masked.
   */
  readonly maskedPan: string,
  /**
   * `MM/YY`.
   */
  readonly expiry: string,
  /**
   * The exact expiry, Unix seconds (exclusive).
   */
  readonly expiresAt: number,
  /**
   * When the credentials may be shown.
   */
  readonly displayWindow: TimeWindow,
  /**
   * When the credentials authorise.
   */
  readonly usableWindow: TimeWindow,
  /**
   * `"open"` or `"closed"`.
   */
  readonly status: "open" | "closed",
  /**
   * The closure, when closed.
   */
  readonly closure: ClosureView | null,
  /**
   * The approved limit of the parent.
   */
  readonly approvedLimit: string,
  /**
   * The fraction requested (canonical decimal), if any.
   */
  readonly limitFraction: string | null,
  /**
   * The cap requested, if any.
   */
  readonly limitCap: string | null,
  /**
   * The reduced limit held.
   */
  readonly temporaryLimit: string,
  /**
   * Approved purchases, in total.
   */
  readonly spent: string,
  /**
   * Refunded (to the parent), in total.
   */
  readonly refunded: string,
  /**
   * What the temporary account may still spend (what its hold still reserves).
   */
  readonly available: string,
  /**
   * Approved purchases.
   */
  readonly uses: number,
  /**
   * The use limit, if any.
   */
  readonly maxUses: number | null,
  /**
   * The merchant the account is locked to (given, or the first one paid), if any.
   */
  readonly merchantLock: string | null,
  /**
   * Whether the first merchant paid locks the account.
   */
  readonly lockToFirstMerchant: boolean,
  /**
   * `DISPLAY_ALLOWED`, `DISPLAY_NOT_YET_OPEN`, `DISPLAY_CLOSED` or `ACCOUNT_CLOSED`.
   */
  readonly displayStatus: TempCardCode,
  /**
   * `USABLE`, `NOT_YET_USABLE`, `USABLE_WINDOW_CLOSED`, `EXPIRED` or `ACCOUNT_CLOSED`.
   */
  readonly usableStatus: TempCardCode,
  /**
   * Authorisations recorded.
   */
  readonly authorisations: number,
  /**
   * Wrong CVVs recorded (at `CVV_FAILURES_MAX` the account declines everything).
   */
  readonly cvvFailures: number,
  /**
   * The parent credit line in the ledger.
   */
  readonly parent: AccountView, };

/**
 * A half-open time window `[from, until)`, Unix seconds.
 */
export type TimeWindow = {
  /**
   * The first second inside the window.
   */
  readonly from: number,
  /**
   * The first second after the window.
   */
  readonly until: number, };
