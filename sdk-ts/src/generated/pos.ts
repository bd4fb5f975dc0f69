// Generated from the Rust types in core/src by ts-rs (core/tests/ts_types.rs). Do not edit:
// change the Rust type and run `bash scripts/types.sh`.

/**
 * Offline limits of one currency.
 */
export type CurrencyLimits = {
  /**
   * ISO 4217 code.
   */
  readonly currency: string,
  /**
   * The largest single payment stored offline.
   */
  readonly paymentMax: string,
  /**
   * The largest total waiting in the outbox.
   */
  readonly totalMax: string,
  /**
   * The largest total of one card waiting in the outbox (default: `totalMax`).
   */
  readonly cardTotalMax?: string, };

/**
 * Where an entry is (see the module docs).
 */
export type EntryState = "stored" | "forwarding" | "forwardedApproved" | "forwardedDeclined" | "failedPermanently";

/**
 * A floor limit: the largest payment of a card type stored offline in a currency.
 */
export type FloorLimit = {
  /**
   * Card type (1..=64 printable ASCII bytes).
   */
  readonly cardType: string,
  /**
   * ISO 4217 code.
   */
  readonly currency: string,
  /**
   * The largest amount, decimal string.
   */
  readonly amount: string, };

/**
 * What a forwarding step did.
 */
export type ForwardOutcome = {
  /**
   * `begin_forward`: `NOTHING_TO_FORWARD`, `NOT_DUE` or `FORWARD`; `forward_result`:
   * `FORWARDED_APPROVED`, `FORWARDED_DECLINED`, `RETRY_SCHEDULED`, `FAILED_PERMANENTLY` or `NOT_FORWARDING`.
   */
  readonly code: PosCode,
  /**
   * The entry concerned.
   */
  readonly entry: PosEntry | null,
  /**
   * When the next attempt may start, ms (`NOT_DUE`, `RETRY_SCHEDULED`).
   */
  readonly retryAtMs: number | null, };

/**
 * The acquirer's answer to a forwarded entry (`kind` tags it).
 */
export type ForwardResult = { readonly "kind": "approved",
  /**
   * 1..=64 printable ASCII.
   */
  readonly code: string, } | { readonly "kind": "declined",
  /**
   * 1..=64 printable ASCII.
   */
  readonly code: string, } | { readonly "kind": "retry",
  /**
   * Why, 1..=64 printable ASCII.
   */
  readonly code: string, } | { readonly "kind": "permanent",
  /**
   * Why, 1..=64 printable ASCII.
   */
  readonly code: string, };

/**
 * Hysteresis counts and durations.
 */
export type NetworkConfig = {
  /**
   * Failures in a row that make the network offline (1..=COUNT_MAX).
   */
  readonly failuresToOffline: number,
  /**
   * Good answers in a row needed to recover to online (1..=COUNT_MAX).
   */
  readonly successesToOnline: number,
  /**
   * Slow answers in a row that make an online network degraded (1..=COUNT_MAX).
   */
  readonly slowToDegraded: number,
  /**
   * An answer slower than this is slow, ms (1..=HOLD_MS_MAX).
   */
  readonly slowLatencyMs: number,
  /**
   * The least time in degraded or offline before recovering, ms (0..=HOLD_MS_MAX).
   */
  readonly recoverHoldMs: number, };

/**
 * Why the state changed.
 */
export type NetworkReason = "OS_OFFLINE" | "OS_ONLINE" | "CAPTIVE_PORTAL" | "FAILURES" | "FAILURE" | "SLOW" | "REACHABLE_SLOW" | "ANSWERED" | "RECOVERED";

/**
 * The network state.
 */
export type NetworkState = "unknown" | "online" | "degraded" | "offline";

/**
 * The state and its counters.
 */
export type NetworkStatus = {
  /**
   * The state.
   */
  readonly state: NetworkState,
  /**
   * The reason of the last change (none since start-up).
   */
  readonly reason: NetworkReason | null,
  /**
   * When the state was entered, ms (0 at start-up).
   */
  readonly sinceMs: number,
  /**
   * Failures in a row.
   */
  readonly failures: number,
  /**
   * Good answers in a row.
   */
  readonly successes: number,
  /**
   * Slow answers in a row.
   */
  readonly slow: number, };

/**
 * What the SDK observed (`kind` tags it).
 */
export type Observation = { readonly "kind": "osOnline",
  /**
   * ms since the epoch.
   */
  readonly atMs: number, } | { readonly "kind": "osOffline",
  /**
   * ms since the epoch.
   */
  readonly atMs: number, } | { readonly "kind": "request",
  /**
   * ms since the epoch.
   */
  readonly atMs: number,
  /**
   * Whether it answered (any HTTP answer from the acquirer counts).
   */
  readonly ok: boolean,
  /**
   * How long it took, ms.
   */
  readonly latencyMs: number, } | { readonly "kind": "probe",
  /**
   * ms since the epoch.
   */
  readonly atMs: number,
  /**
   * Whether it answered.
   */
  readonly ok: boolean,
  /**
   * How long it took, ms.
   */
  readonly latencyMs: number, } | { readonly "kind": "captivePortal",
  /**
   * ms since the epoch.
   */
  readonly atMs: number,
  /**
   * Whether a portal answered instead of the expected page.
   */
  readonly detected: boolean, };

/**
 * The offline risk limits.
 */
export type OfflineLimits = {
  /**
   * Per currency (1..=OFFLINE_CURRENCIES_MAX, each currency once).
   */
  readonly currencies: ReadonlyArray<CurrencyLimits>,
  /**
   * The most payments waiting at once (1..=OUTBOX_PENDING_MAX).
   */
  readonly countMax: number,
  /**
   * The oldest a waiting payment may be before no more are stored, ms (1..=DEADLINE_MS_MAX).
   */
  readonly maxAgeMs: number,
  /**
   * The most waiting payments of one card (default: countMax).
   */
  readonly cardCountMax?: number,
  /**
   * Floor limits by card type (at most FLOOR_LIMITS_MAX; none: every card type is stored).
   */
  readonly floorLimits?: ReadonlyArray<FloorLimit>, };

/**
 * The outbox's timing.
 */
export type OutboxConfig = {
  /**
   * An entry's deadline after it was stored, ms (1..=DEADLINE_MS_MAX; 24 h is the usual).
   */
  readonly deadlineMs: number,
  /**
   * How long before its deadline an entry raises `nearingDeadline`, ms (< deadlineMs).
   */
  readonly nearingMs: number,
  /**
   * The first backoff after a failed forward, ms (1..=BACKOFF_MS_MAX).
   */
  readonly backoffBaseMs: number,
  /**
   * The longest backoff, ms (backoffBaseMs..=BACKOFF_MS_MAX).
   */
  readonly backoffMaxMs: number, };

/**
 * A payment (or token) to store.
 */
export type PaymentRequest = {
  /**
   * The idempotency key (1..=64 printable ASCII bytes): the acquirer's key for this payment.
   */
  readonly idempotencyKey: string,
  /**
   * Payment or token.
   */
  readonly kind: PosEntryKind,
  /**
   * The amount, a decimal string (`"12.50"`), strictly positive, no rounding.
   */
  readonly amount: string,
  /**
   * ISO 4217 code.
   */
  readonly currency: string,
  /**
   * SHA-256 of the card token, 64 lowercase hex digits (the SDK hashes; the core never sees the card).
   */
  readonly cardHash?: string,
  /**
   * The card type the floor limits are keyed by (`"visa-credit"`).
   */
  readonly cardType?: string,
  /**
   * Opaque bytes forwarded as they are, lowercase hex (at most PAYLOAD_BYTES_MAX bytes).
   */
  readonly payload?: string, };

/**
 * Outcome of a System 4 decision: a route, a store, a forwarding step. A refusal is a normal
 * result with exactly one of these codes; an `Error` means the call itself was malformed.
 */
export type PosCode = "ONLINE" | "ONLINE_OR_STORE" | "STORE_OFFLINE" | "STORE_DEGRADED" | "STORE_FORCED" | "REFUSED_OFFLINE" | "ALREADY_STORED" | "CURRENCY_NOT_OFFLINE" | "QUEUE_TOO_OLD" | "CARD_TYPE_NOT_OFFLINE" | "FLOOR_LIMIT_EXCEEDED" | "PAYMENT_LIMIT_EXCEEDED" | "COUNT_LIMIT_REACHED" | "TOTAL_LIMIT_REACHED" | "CARD_COUNT_LIMIT_REACHED" | "CARD_TOTAL_LIMIT_REACHED" | "STORED" | "NOTHING_TO_FORWARD" | "NOT_DUE" | "FORWARD" | "FORWARDED_APPROVED" | "FORWARDED_DECLINED" | "RETRY_SCHEDULED" | "FAILED_PERMANENTLY" | "NOT_FORWARDING" | "DROP_ALLOWED" | "OUTBOX_NOT_EMPTY";

/**
 * One outbox entry.
 */
export type PosEntry = {
  /**
   * Position in the outbox, from 1, never reused.
   */
  readonly seq: number,
  /**
   * The idempotency key.
   */
  readonly idempotencyKey: string,
  /**
   * Payment or token.
   */
  readonly kind: PosEntryKind,
  /**
   * Canonical decimal amount (`"12.50"`).
   */
  readonly amount: string,
  /**
   * ISO 4217 code.
   */
  readonly currency: string,
  /**
   * The card's hash (hex), if any.
   */
  readonly cardHash: string | null,
  /**
   * The card type, if any.
   */
  readonly cardType: string | null,
  /**
   * The opaque payload, lowercase hex.
   */
  readonly payload: string,
  /**
   * When it was stored, ms.
   */
  readonly storedAtMs: number,
  /**
   * When it must have been forwarded, ms.
   */
  readonly deadlineMs: number,
  /**
   * Its state.
   */
  readonly state: EntryState,
  /**
   * Forwarding attempts so far.
   */
  readonly attempts: number,
  /**
   * The earliest time of the next attempt, ms (0: now).
   */
  readonly nextAttemptAtMs: number,
  /**
   * Whether `nearingDeadline` was raised.
   */
  readonly nearingNotified: boolean,
  /**
   * The acquirer's code (approval code, decline or failure reason), or `DEADLINE_PASSED`.
   */
  readonly resultCode: string | null,
  /**
   * When it reached its final state, ms.
   */
  readonly finishedAtMs: number | null,
  /**
   * Its chain hash, lowercase hex.
   */
  readonly hash: string, };

/**
 * What an entry carries: a card payment, or a relay's payment token (System 5).
 */
export type PosEntryKind = "payment" | "token";

/**
 * How one payment is to be processed (Stripe Terminal's offline behaviour, plus auto).
 */
export type PosMode = "requireOnline" | "preferOnline" | "forceOffline" | "auto";

/**
 * An event of `Terminal::tick`.
 */
export type PosOutboxEvent = {
  /**
   * `nearingDeadline` or `failed`.
   */
  readonly kind: PosOutboxEventKind,
  /**
   * The entry after the event.
   */
  readonly entry: PosEntry, };

/**
 * What happened to an entry on a tick.
 */
export type PosOutboxEventKind = "nearingDeadline" | "failed";

/**
 * What `Terminal::route` decided, with the network state it decided on.
 */
export type PosRoute = {
  /**
   * `ONLINE`, `ONLINE_OR_STORE`, `STORE_OFFLINE`, `STORE_DEGRADED`, `STORE_FORCED` or `REFUSED_OFFLINE`.
   */
  readonly code: PosCode,
  /**
   * The network state the decision was made on.
   */
  readonly network: NetworkState, };

/**
 * The terminal's state at a glance (for a status line or a chart).
 */
export type PosTerminalStatus = {
  /**
   * The network.
   */
  readonly network: NetworkStatus,
  /**
   * Waiting entries.
   */
  readonly pendingCount: number,
  /**
   * The offline count limit.
   */
  readonly countMax: number,
  /**
   * When the oldest waiting entry was stored, ms.
   */
  readonly oldestStoredAtMs: number | null,
  /**
   * Per currency.
   */
  readonly totals: ReadonlyArray<PosTotals>, };

/**
 * Per currency: what waits, and what was forwarded since the terminal was made (the terminal's
 * record, kept when finished entries are dropped).
 */
export type PosTotals = {
  /**
   * ISO 4217 code.
   */
  readonly currency: string,
  /**
   * Waiting entries.
   */
  readonly pendingCount: number,
  /**
   * Their total (decimal string).
   */
  readonly pendingAmount: string,
  /**
   * The offline limit on that total.
   */
  readonly pendingMax: string,
  /**
   * Approved by the acquirer so far.
   */
  readonly approvedCount: number,
  /**
   * Their total.
   */
  readonly approvedAmount: string,
  /**
   * Declined so far.
   */
  readonly declinedCount: number,
  /**
   * Failed permanently so far.
   */
  readonly failedCount: number, };

/**
 * The outbox as exported (`exportQueue`): every kept entry, the chain and the totals.
 */
export type QueueExport = {
  /**
   * The terminal.
   */
  readonly terminalId: string,
  /**
   * The snapshot format version of this build.
   */
  readonly schemaVersion: number,
  /**
   * The hash the first kept entry chains from (hex).
   */
  readonly anchorHash: string,
  /**
   * The last entry's hash (the anchor when empty).
   */
  readonly headHash: string,
  /**
   * Whether the chain verifies.
   */
  readonly chainValid: boolean,
  /**
   * Entries in order.
   */
  readonly entries: ReadonlyArray<PosEntry>,
  /**
   * Per currency.
   */
  readonly totals: ReadonlyArray<PosTotals>, };

/**
 * What `Terminal::store` did.
 */
export type StoreOutcome = {
  /**
   * `STORED`, `ALREADY_STORED` or the refusal (module docs' check order).
   */
  readonly code: PosCode,
  /**
   * The entry (stored, or already there); none when refused.
   */
  readonly entry: PosEntry | null, };

/**
 * A terminal's configuration.
 */
export type TerminalConfig = {
  /**
   * The terminal's id (1..=64 printable ASCII bytes).
   */
  readonly terminalId: string,
  /**
   * The offline risk limits.
   */
  readonly offline: OfflineLimits,
  /**
   * Hysteresis of the network state (default: `NetworkConfig::default`).
   */
  readonly network?: NetworkConfig,
  /**
   * The outbox's timing (default: `OutboxConfig::default`).
   */
  readonly outbox?: OutboxConfig, };

/**
 * What `Terminal::tick` found.
 */
export type TickOutcome = {
  /**
   * In outbox order.
   */
  readonly events: ReadonlyArray<PosOutboxEvent>, };

/**
 * A state change.
 */
export type Transition = {
  /**
   * The state before.
   */
  readonly from: NetworkState,
  /**
   * The state after.
   */
  readonly to: NetworkState,
  /**
   * Why.
   */
  readonly reason: NetworkReason,
  /**
   * When (the effective time of the observation), ms.
   */
  readonly atMs: number, };
