// Generated from the Rust types in core/src by ts-rs (core/tests/ts_types.rs). Do not edit:
// change the Rust type and run `bash scripts/types.sh`.

/**
 * What an account may do (see the module docs). JSON: `"unrestricted"`, `"nonNegative"`,
 * `"creditLine"`.
 */
export type AccountKind = "unrestricted" | "nonNegative" | "creditLine";

/**
 * An account's state. Amounts are decimal strings in `currency`.
 */
export type AccountView = {
  /**
   * Account id.
   */
  readonly accountId: string,
  /**
   * Currency code.
   */
  readonly currency: string,
  /**
   * The balance rule.
   */
  readonly kind: AccountKind,
  /**
   * The credit limit of a credit line.
   */
  readonly creditLimit: string | null,
  /**
   * Whether it is closed.
   */
  readonly closed: boolean,
  /**
   * `creditsPosted − debitsPosted` (may be negative).
   */
  readonly balance: string,
  /**
   * `balance − debitsPending (+ creditLimit)`: what a transfer or hold may still debit; absent
   * for an unrestricted account.
   */
  readonly available: string | null,
  /**
   * Posted debits, in total.
   */
  readonly debitsPosted: string,
  /**
   * Posted credits, in total.
   */
  readonly creditsPosted: string,
  /**
   * Held by pending holds debiting it.
   */
  readonly debitsPending: string,
  /**
   * Announced by pending holds crediting it (not available until posted).
   */
  readonly creditsPending: string,
  /**
   * The number of pending holds debiting it.
   */
  readonly pendingHolds: number, };

/**
 * Close an empty account.
 */
export type CloseAccountRequest = {
  /**
   * Idempotency key.
   */
  readonly idempotencyKey: string,
  /**
   * Unix seconds.
   */
  readonly now: number,
  /**
   * The account.
   */
  readonly accountId: string, };

/**
 * Expire the holds due at `now`.
 */
export type ExpireDueRequest = {
  /**
   * Idempotency key.
   */
  readonly idempotencyKey: string,
  /**
   * Unix seconds.
   */
  readonly now: number, };

/**
 * Give a pending hold a later deadline.
 */
export type ExtendRequest = {
  /**
   * Idempotency key.
   */
  readonly idempotencyKey: string,
  /**
   * Unix seconds.
   */
  readonly now: number,
  /**
   * The hold.
   */
  readonly holdId: string,
  /**
   * The new deadline, Unix seconds (after the current one).
   */
  readonly expiresAt: number, };

/**
 * Place a hold (a pending transfer).
 */
export type HoldRequest = {
  /**
   * Idempotency key.
   */
  readonly idempotencyKey: string,
  /**
   * Unix seconds.
   */
  readonly now: number,
  /**
   * The new hold's id.
   */
  readonly holdId: string,
  /**
   * The account whose funds are held.
   */
  readonly debitAccountId: string,
  /**
   * The account a post will credit.
   */
  readonly creditAccountId: string,
  /**
   * Decimal string in `currency`.
   */
  readonly amount: string,
  /**
   * ISO 4217 code or registered asset.
   */
  readonly currency: string,
  /**
   * Deadline, Unix seconds: the hold expires when `now ≥ expiresAt`.
   */
  readonly expiresAt: number, };

/**
 * The state of a hold. JSON: `"pending"`, `"posted"`, `"voided"`, `"expired"`.
 */
export type HoldState = "pending" | "posted" | "voided" | "expired";

/**
 * A hold as seen after an operation. Amounts are decimal strings in `currency`.
 */
export type HoldView = {
  /**
   * Hold id.
   */
  readonly holdId: string,
  /**
   * The account whose funds are held.
   */
  readonly debitAccountId: string,
  /**
   * The account posts credit.
   */
  readonly creditAccountId: string,
  /**
   * Currency code.
   */
  readonly currency: string,
  /**
   * Its state.
   */
  readonly state: HoldState,
  /**
   * Everything ever held: the first amount plus increments (= pending + posted + released).
   */
  readonly amount: string,
  /**
   * Still held (zero once resolved).
   */
  readonly pending: string,
  /**
   * Captured in total.
   */
  readonly posted: string,
  /**
   * Released in total (by a final post, a void or expiry).
   */
  readonly released: string,
  /**
   * Deadline, Unix seconds.
   */
  readonly expiresAt: number, };

/**
 * Raise a pending hold.
 */
export type IncrementRequest = {
  /**
   * Idempotency key.
   */
  readonly idempotencyKey: string,
  /**
   * Unix seconds.
   */
  readonly now: number,
  /**
   * The hold.
   */
  readonly holdId: string,
  /**
   * The amount added, decimal string in `currency`.
   */
  readonly amount: string,
  /**
   * ISO 4217 code or registered asset.
   */
  readonly currency: string, };

/**
 * The last entry of a journal: its seq and hash. JSON: `{"seq": 12, "hash": "<64 hex digits>"}`.
 */
export type JournalHead = { readonly seq: number, readonly hash: string, };

/**
 * Who keeps the idempotency keys the ledger's window no longer holds (see the module docs,
 * *Idempotency*). JSON: `"ledger"`, `"store"`.
 */
export type KeysKeptBy = "ledger" | "store";

/**
 * One operation of a batch and whether it is linked to the next: JSON
 * `{"op": "transfer", "request": {...}, "linked": true}` (see the module docs, *Linked chains*).
 */
export type LedgerBatchOperation = {
  /**
   * `true`: this operation and the next succeed or fail as one (TigerBeetle's `linked` flag).
   * A chain is a run of linked operations and the first unlinked one after them; the batch's
   * last operation must not be linked.
   */
  readonly linked?: boolean, } & ({ readonly "op": "openAccount", readonly "request": OpenAccountRequest } | { readonly "op": "transfer", readonly "request": TransferRequest } | { readonly "op": "hold", readonly "request": HoldRequest } | { readonly "op": "increment", readonly "request": IncrementRequest } | { readonly "op": "extend", readonly "request": ExtendRequest } | { readonly "op": "post", readonly "request": PostRequest } | { readonly "op": "void", readonly "request": VoidRequest } | { readonly "op": "expireDue", readonly "request": ExpireDueRequest } | { readonly "op": "setCreditLimit", readonly "request": SetCreditLimitRequest } | { readonly "op": "closeAccount", readonly "request": CloseAccountRequest } | { readonly "op": "setKeyRetention", readonly "request": SetKeyRetentionRequest } | { readonly "op": "setCapacity", readonly "request": SetCapacityRequest });

/**
 * Outcome of a ledger operation. A success or a rejection is a normal result with exactly
 * one of these codes; an `Error` means the call itself was malformed (or an internal fault).
 */
export type LedgerCode = "ACCOUNT_OPENED" | "TRANSFERRED" | "HELD" | "INCREMENTED" | "EXTENDED" | "POSTED" | "VOIDED" | "DUE_HOLDS_EXPIRED" | "MORE_HOLDS_DUE" | "CREDIT_LIMIT_SET" | "ACCOUNT_CLOSED" | "KEY_RETENTION_SET" | "CAPACITY_SET" | "IDEMPOTENCY_KEY_REUSED" | "IDEMPOTENCY_KEYS_FULL" | "JOURNAL_FULL" | "LINKED_OPERATION_FAILED" | "AMOUNT_NOT_POSITIVE" | "SAME_ACCOUNT" | "UNKNOWN_ACCOUNT" | "ACCOUNT_EXISTS" | "ACCOUNTS_FULL" | "ACCOUNT_ALREADY_CLOSED" | "ACCOUNT_NOT_EMPTY" | "CURRENCY_MISMATCH" | "INSUFFICIENT_FUNDS" | "BALANCE_OVERFLOW" | "NOT_A_CREDIT_LINE" | "CREDIT_LIMIT_BELOW_USAGE" | "UNKNOWN_HOLD" | "HOLD_EXISTS" | "HOLDS_FULL" | "ACCOUNT_HOLDS_FULL" | "DEADLINE_INVALID" | "EXCEEDS_HOLD" | "HOLD_ALREADY_POSTED" | "HOLD_ALREADY_VOIDED" | "HOLD_EXPIRED" | "KEY_WINDOW_BELOW_KEYS" | "CAPACITY_BELOW_COUNTS";

/**
 * How much the ledger holds, against its limits.
 */
export type LedgerCounts = {
  /**
   * Accounts (≤ the ledger's capacity, ACCOUNTS_MAX by default).
   */
  readonly accounts: number,
  /**
   * Pending holds (≤ the ledger's capacity, HOLDS_MAX by default).
   */
  readonly holdsPending: number,
  /**
   * Retained resolved holds (≤ HOLDS_RESOLVED_RETAINED_MAX).
   */
  readonly holdsResolved: number,
  /**
   * Retained idempotency keys (≤ IDEMPOTENCY_KEYS_MAX).
   */
  readonly idempotencyKeys: number,
  /**
   * Retained journal entries (≤ JOURNAL_ENTRIES_RETAINED_MAX).
   */
  readonly journalRetained: number, };

/**
 * A retained journal entry's idempotency key and effective time (`Ledger::journal_keys`).
 */
export type LedgerJournalKey = {
  /**
   * The entry's seq.
   */
  readonly seq: number,
  /**
   * Its operation's idempotency key.
   */
  readonly idempotencyKey: string,
  /**
   * Its effective time, `max(now, clock)`, Unix seconds.
   */
  readonly time: number, };

/**
 * Any operation. JSON: `{"op": "transfer", "request": {...}}`.
 */
export type LedgerOperation = { readonly "op": "openAccount", readonly "request": OpenAccountRequest } | { readonly "op": "transfer", readonly "request": TransferRequest } | { readonly "op": "hold", readonly "request": HoldRequest } | { readonly "op": "increment", readonly "request": IncrementRequest } | { readonly "op": "extend", readonly "request": ExtendRequest } | { readonly "op": "post", readonly "request": PostRequest } | { readonly "op": "void", readonly "request": VoidRequest } | { readonly "op": "expireDue", readonly "request": ExpireDueRequest } | { readonly "op": "setCreditLimit", readonly "request": SetCreditLimitRequest } | { readonly "op": "closeAccount", readonly "request": CloseAccountRequest } | { readonly "op": "setKeyRetention", readonly "request": SetKeyRetentionRequest } | { readonly "op": "setCapacity", readonly "request": SetCapacityRequest };

/**
 * The result of an operation.
 */
export type LedgerOutcome = {
  /**
   * One code per reason.
   */
  readonly code: LedgerCode,
  /**
   * The journal entry that decided it (for a repeat: the original's); 0 when the operation
   * was refused without being journaled.
   */
  readonly seq: number,
  /**
   * True when answered from the idempotency store (the same key and request again).
   */
  readonly repeated: boolean,
  /**
   * The hold the operation acted on, after it.
   */
  readonly hold: HoldView | null,
  /**
   * Ids of the holds this operation expired.
   */
  readonly expired: ReadonlyArray<string>, };

/**
 * Open an account.
 */
export type OpenAccountRequest = {
  /**
   * Idempotency key.
   */
  readonly idempotencyKey: string,
  /**
   * Unix seconds.
   */
  readonly now: number,
  /**
   * The new account's id.
   */
  readonly accountId: string,
  /**
   * ISO 4217 code or registered asset.
   */
  readonly currency: string,
  /**
   * The balance rule.
   */
  readonly kind: AccountKind,
  /**
   * The credit limit of a `creditLine` (a non-negative amount); absent for other kinds.
   */
  readonly creditLimit?: string, };

/**
 * Capture from a pending hold.
 */
export type PostRequest = {
  /**
   * Idempotency key.
   */
  readonly idempotencyKey: string,
  /**
   * Unix seconds.
   */
  readonly now: number,
  /**
   * The hold.
   */
  readonly holdId: string,
  /**
   * The amount captured, decimal string in `currency`; absent: everything still held.
   */
  readonly amount?: string,
  /**
   * The currency of `amount` (given with it, absent without it).
   */
  readonly currency?: string,
  /**
   * `true`: release what remains after this capture (the hold is resolved). `false`: keep it
   * held (unless nothing remains).
   */
  readonly final?: boolean, };

/**
 * Set the ledger's capacity (journaled, so that replay reproduces it): the SDK journals it when
 * a ledger is created with `{ accountsMax, holdsMax }`.
 */
export type SetCapacityRequest = {
  /**
   * Idempotency key.
   */
  readonly idempotencyKey: string,
  /**
   * Unix seconds.
   */
  readonly now: number,
  /**
   * Most accounts: `ACCOUNTS_MAX` (the default) ..= `ACCOUNTS_CAPACITY_MAX`.
   */
  readonly accountsMax: number,
  /**
   * Most pending holds: `HOLDS_MAX` (the default) ..= `HOLDS_CAPACITY_MAX`.
   */
  readonly holdsMax: number, };

/**
 * Change a credit line's limit.
 */
export type SetCreditLimitRequest = {
  /**
   * Idempotency key.
   */
  readonly idempotencyKey: string,
  /**
   * Unix seconds.
   */
  readonly now: number,
  /**
   * The credit line.
   */
  readonly accountId: string,
  /**
   * The new limit, a non-negative decimal string in `currency`.
   */
  readonly creditLimit: string,
  /**
   * ISO 4217 code or registered asset.
   */
  readonly currency: string, };

/**
 * Say who keeps the idempotency keys the ledger's window no longer holds (journaled, so that
 * replay reproduces it).
 */
export type SetKeyRetentionRequest = {
  /**
   * Idempotency key.
   */
  readonly idempotencyKey: string,
  /**
   * Unix seconds.
   */
  readonly now: number,
  /**
   * `"ledger"` (the default of a new ledger) or `"store"`.
   */
  readonly keysKeptBy: KeysKeptBy,
  /**
   * How many keys the ledger retains (`IDEMPOTENCY_KEY_WINDOW_MIN` ..=
   * `IDEMPOTENCY_KEYS_MAX`); absent: `IDEMPOTENCY_KEYS_MAX`. A smaller window bounds
   * the memory of a ledger that is one of many (the shards of a sharded ledger).
   */
  readonly keyWindow?: number, };

/**
 * Move an amount between two accounts at once.
 */
export type TransferRequest = {
  /**
   * Idempotency key.
   */
  readonly idempotencyKey: string,
  /**
   * Unix seconds.
   */
  readonly now: number,
  /**
   * The account debited.
   */
  readonly debitAccountId: string,
  /**
   * The account credited.
   */
  readonly creditAccountId: string,
  /**
   * Decimal string in `currency`, e.g. `"12.30"`.
   */
  readonly amount: string,
  /**
   * ISO 4217 code or registered asset.
   */
  readonly currency: string, };

/**
 * Release a pending hold.
 */
export type VoidRequest = {
  /**
   * Idempotency key.
   */
  readonly idempotencyKey: string,
  /**
   * Unix seconds.
   */
  readonly now: number,
  /**
   * The hold.
   */
  readonly holdId: string, };
