// Generated from the Rust types in core/src by ts-rs (core/tests/ts_types.rs). Do not edit:
// change the Rust type and run `bash scripts/types.sh`.

/**
 * When usage counts.
 */
export type CountOn = "approval" | "capture";

/**
 * The declarative counting policy (see the module docs).
 */
export type CountingPolicy = {
  /**
   * Whether approvals or captures count.
   */
  readonly countOn: CountOn,
  /**
   * What a reversal of counted usage restores (a reservation is always released in full).
   */
  readonly reversalRestores: Restore,
  /**
   * What a refund restores (the count only for a full refund).
   */
  readonly refundRestores: Restore, };

/**
 * One limit, as configured (plain data: values are decimal strings, validated when a
 * `Limits` is built). JSON field names are camelCase.
 */
export type LimitSpec = {
  /**
   * Identifier, 1..=32 characters of `[a-z0-9._-]`, unique in the set.
   */
  readonly id: string,
  /**
   * What is counted.
   */
  readonly measure: Measure,
  /**
   * ISO 4217 code (or registered asset) of an amount limit; absent for a count limit.
   */
  readonly currency?: string,
  /**
   * The window.
   */
  readonly window: LimitWindow,
  /**
   * Hard threshold: `"10"` (count) or `"250.00"` (amount, strict grammar, no rounding).
   */
  readonly hard: string,
  /**
   * Soft threshold, same format; must not exceed `hard`.
   */
  readonly soft?: string,
  /**
   * Highest hard value the holder may set (default: `hard`); must not be below `hard`.
   */
  readonly ceiling?: string,
  /**
   * Whether the holder may reset this limit's usage to zero (default false).
   */
  readonly resettable?: boolean, };

/**
 * The state of one limit at a time: `{limit, used, remaining, resetsAt}` plus its definition.
 * Quantities are decimal strings (`"3"`, `"42.50"`) so that amounts cross as exact strings.
 */
export type LimitStatus = {
  /**
   * Limit id.
   */
  readonly id: string,
  /**
   * What it counts.
   */
  readonly measure: Measure,
  /**
   * Currency code of an amount limit.
   */
  readonly currency: string | null,
  /**
   * Its window.
   */
  readonly window: LimitWindow,
  /**
   * The hard threshold.
   */
  readonly limit: string,
  /**
   * The effective soft threshold (absent when none, or not below the hard one).
   */
  readonly soft: string | null,
  /**
   * The ceiling the holder may raise the limit to.
   */
  readonly ceiling: string,
  /**
   * Usage in the current window (0 for per-transaction limits).
   */
  readonly used: string,
  /**
   * `max(limit − used, 0)`.
   */
  readonly remaining: string,
  /**
   * When usage next drops, Unix seconds: the next period start (calendar), when the oldest
   * entry leaves (trailing, none if empty); none for lifetime and per-transaction limits.
   */
  readonly resetsAt: number | null, };

/**
 * The window a limit counts over. JSON: `{"kind": "trailing", "seconds": 86400}`,
 * `{"kind": "month", "anchorDay": 31, "timeZone": "Europe/Paris"}`, ...
 */
export type LimitWindow = { readonly "kind": "perTransaction" } | { readonly "kind": "lifetime" } | { readonly "kind": "trailing",
  /**
   * Window length in seconds.
   */
  readonly seconds: number, } | { readonly "kind": "day",
  /**
   * IANA zone name, e.g. `"Europe/Paris"` (or `"UTC"`).
   */
  readonly timeZone: string, } | { readonly "kind": "week",
  /**
   * First day of the week.
   */
  readonly start: Weekday,
  /**
   * IANA zone name.
   */
  readonly timeZone: string, } | { readonly "kind": "month",
  /**
   * Day of month the period starts on.
   */
  readonly anchorDay: number,
  /**
   * IANA zone name.
   */
  readonly timeZone: string, } | { readonly "kind": "year",
  /**
   * IANA zone name.
   */
  readonly timeZone: string, };

/**
 * Outcome of a limits operation (`super::Limits`). One code per reason.
 */
export type LimitsCode = "WITHIN_LIMITS" | "SOFT_LIMIT_REACHED" | "HARD_LIMIT_REACHED" | "TRANSACTION_LIMIT_EXCEEDED" | "TRAILING_WINDOW_FULL" | "CURRENCY_MISMATCH" | "ALREADY_RECORDED" | "TRANSACTION_ID_CONFLICT" | "UNKNOWN_TRANSACTION" | "REVERSED" | "REFUNDED" | "CAPTURED" | "TRANSACTION_REVERSED" | "TRANSACTION_REFUNDED" | "TRANSACTION_NOT_CAPTURED" | "REFUND_CONFLICT" | "REFUND_EXCEEDS_AMOUNT" | "CAPTURE_CONFLICT" | "CAPTURE_EXCEEDS_AUTHORISATION" | "LIMIT_ADJUSTED" | "UNKNOWN_LIMIT" | "VALUE_INVALID" | "ABOVE_CEILING" | "NEGATIVE_RESULT" | "NOT_RESETTABLE";

/**
 * The result of reversing, capturing or refunding a usage record.
 */
export type LimitsOutcome = {
  /**
   * The code.
   */
  readonly code: LimitsCode,
  /**
   * True when this repeats an operation already applied (nothing changed).
   */
  readonly repeated: boolean, };

/**
 * What a limit counts.
 */
export type Measure = "count" | "amount";

/**
 * What an event gives back.
 */
export type Restore = {
  /**
   * Give the transaction's count back to count limits.
   */
  readonly count: boolean,
  /**
   * Give the amount back to amount limits.
   */
  readonly amount: boolean, };

/**
 * A day of the week (ISO 8601 numbering in CBOR: Monday = 1 ... Sunday = 7).
 */
export type Weekday = "monday" | "tuesday" | "wednesday" | "thursday" | "friday" | "saturday" | "sunday";
