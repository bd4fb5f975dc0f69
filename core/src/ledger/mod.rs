//! Ledger: accounts, double-entry transfers and two-phase holds, with idempotency keys, a
//! hash-chained journal, snapshots and invariants checked on every change.
//!
//! The model is TigerBeetle's two-phase transfers, extended with partial and final capture,
//! increment, extend, lazy and batched expiry, closing accounts and changing credit limits. It
//! is the shared primitive behind the pre-authorised energy purchase (System 3), the temporary
//! credit account (System 2) and, later, custody sub-ledgers.
//!
//! # Accounts
//!
//! An account has an id, a currency (fixed for life) and a [`AccountKind`]:
//!
//! | kind | rule (checked on every debit and hold) |
//! |---|---|
//! | `unrestricted` | none: may go negative without bound (an issuer, a settlement or an "outside world" account — money enters a closed double-entry ledger through one) |
//! | `nonNegative` | debits must not exceed credits: `available = balance − pending ≥ 0` (a wallet) |
//! | `creditLine` | `available = balance − pending + creditLimit ≥ 0` (a credit line; the limit can be changed) |
//!
//! Each account keeps four totals in minor units, as TigerBeetle does: `debitsPosted`,
//! `creditsPosted`, `debitsPending` (what its pending holds reserve) and `creditsPending` (what
//! pending holds will bring in). `balance = creditsPosted − debitsPosted`. Pending credits never
//! count as available. Every total stays within 2^96 − 1 minor units (the range of an
//! [`Amount`]); an operation that would pass it is refused with `BALANCE_OVERFLOW`.
//!
//! # Transfers and holds
//!
//! A **transfer** debits one account and credits another, in their common currency, at once. A
//! **hold** (a pending transfer) reserves the amount on the debit account (and announces it on
//! the credit account) until it is resolved, **at most once**, by:
//!
//! - **post** — captures `amount` (default: all it still holds). A *non-final* partial post keeps
//!   the rest held (post again later); a *final* post releases the rest; a post of everything
//!   still held resolves the hold whatever `final` says. The hold's state becomes `posted` when
//!   resolved.
//! - **void** — releases everything still held (`voided`); earlier partial posts stand.
//! - **expiry** — at `expiresAt` (Unix seconds, from the caller's clock: the hold is live while
//!   `now < expiresAt`) what it still holds is released (`expired`).
//!
//! A pending hold can be **incremented** (raised, subject to the debit account's available
//! funds, like a new hold) and **extended** (a later deadline, at most
//! [`HOLD_DURATION_S_MAX`] after now).
//!
//! **Expiry is applied, never assumed**: (1) explicitly by `expireDue` — every pending hold
//! whose deadline is ≤ now, earliest deadline first (ties by hold id), at most
//! [`EXPIRE_BATCH_MAX`] per call (`MORE_HOLDS_DUE` says to call again); (2) lazily, when an
//! operation touches a hold past its deadline (post, void, increment, extend answer
//! `HOLD_EXPIRED` and the hold is expired by that operation); (3) before every funds check, the
//! debit account's own overdue holds are expired, so an overdue hold never blocks funds. Until
//! then an overdue hold still counts in `debitsPending` (an [`AccountView`] is the stored state).
//! Every hold an operation expires is listed in its outcome's `expired`.
//!
//! # Time
//!
//! `now` is an input (Unix seconds, [`TIME_S_MIN`]..=[`TIME_S_MAX`]). The ledger keeps the latest
//! time it has seen ([`Ledger::clock`]) and evaluates every operation at the **effective time**
//! `max(now, clock)`: time never runs backwards inside a ledger, so a terminal whose clock is
//! behind cannot post a hold the ledger already considers expired.
//!
//! # Operations and codes
//!
//! Every operation is a request with an `idempotencyKey` and `now`, and gives an [`Outcome`]:
//! `{code, seq, repeated, hold, expired}`. Checks run in the order listed; the first that
//! fails gives the code. Codes common to all operations come first:
//!
//! 1. the idempotency key is known: the same request → the stored outcome again with
//!    `repeated: true` (nothing is done); a different request → `IDEMPOTENCY_KEY_REUSED`;
//! 2. `JOURNAL_FULL` (the retained journal is full), `IDEMPOTENCY_KEYS_FULL` (no room for the
//!    key; see *Idempotency*).
//!
//! Those three refusals change nothing and are not journaled (`seq` 0). From here on the
//! operation is decided: its key and outcome are recorded and it is appended to the journal,
//! **whatever its code** — a rejection is answered again for the same key, like TigerBeetle's
//! `id_already_failed`: use a new key for a new attempt.
//!
//! | operation (`op`) | request fields | codes, in check order | success |
//! |---|---|---|---|
//! | `openAccount` | `accountId`, `currency`, `kind`, `creditLimit` (credit lines only) | `ACCOUNT_EXISTS`, `ACCOUNTS_FULL` | `ACCOUNT_OPENED` |
//! | `transfer` | `debitAccountId`, `creditAccountId`, `amount`, `currency` | `AMOUNT_NOT_POSITIVE`, `SAME_ACCOUNT`, `UNKNOWN_ACCOUNT`, `CURRENCY_MISMATCH`, `ACCOUNT_ALREADY_CLOSED`, (expire the debit account's overdue holds), `INSUFFICIENT_FUNDS`, `BALANCE_OVERFLOW` | `TRANSFERRED` |
//! | `hold` | `holdId`, `debitAccountId`, `creditAccountId`, `amount`, `currency`, `expiresAt` | `AMOUNT_NOT_POSITIVE`, `SAME_ACCOUNT`, `DEADLINE_INVALID`, `HOLD_EXISTS`, `UNKNOWN_ACCOUNT`, `CURRENCY_MISMATCH`, `ACCOUNT_ALREADY_CLOSED`, (expire the debit account's overdue holds), `HOLDS_FULL`, `ACCOUNT_HOLDS_FULL`, `INSUFFICIENT_FUNDS`, `BALANCE_OVERFLOW` | `HELD` |
//! | `increment` | `holdId`, `amount`, `currency` | `AMOUNT_NOT_POSITIVE`, `UNKNOWN_HOLD`, `HOLD_ALREADY_POSTED` / `HOLD_ALREADY_VOIDED` / `HOLD_EXPIRED`, `CURRENCY_MISMATCH`, (expire the debit account's overdue holds), `INSUFFICIENT_FUNDS`, `BALANCE_OVERFLOW` | `INCREMENTED` |
//! | `extend` | `holdId`, `expiresAt` | `UNKNOWN_HOLD`, `HOLD_ALREADY_POSTED` / `HOLD_ALREADY_VOIDED` / `HOLD_EXPIRED`, `DEADLINE_INVALID` (not after the current deadline, or too far) | `EXTENDED` |
//! | `post` | `holdId`, `amount` + `currency` (both or neither: neither = all still held), `final` | `AMOUNT_NOT_POSITIVE`, `UNKNOWN_HOLD`, `HOLD_ALREADY_POSTED` / `HOLD_ALREADY_VOIDED` / `HOLD_EXPIRED`, `CURRENCY_MISMATCH`, `EXCEEDS_HOLD`, `BALANCE_OVERFLOW` | `POSTED` |
//! | `void` | `holdId` | `UNKNOWN_HOLD`, `HOLD_ALREADY_POSTED` / `HOLD_ALREADY_VOIDED` / `HOLD_EXPIRED` | `VOIDED` |
//! | `expireDue` | — | — | `DUE_HOLDS_EXPIRED`, `MORE_HOLDS_DUE` |
//! | `setCreditLimit` | `accountId`, `creditLimit`, `currency` | `UNKNOWN_ACCOUNT`, `CURRENCY_MISMATCH`, `ACCOUNT_ALREADY_CLOSED`, `NOT_A_CREDIT_LINE`, (expire the account's overdue holds), `CREDIT_LIMIT_BELOW_USAGE` | `CREDIT_LIMIT_SET` |
//! | `closeAccount` | `accountId` | `UNKNOWN_ACCOUNT`, `ACCOUNT_ALREADY_CLOSED`, `ACCOUNT_NOT_EMPTY` (a balance, or any pending hold on either side: expire them first) | `ACCOUNT_CLOSED` |
//! | `setKeyRetention` | `keysKeptBy` (`"ledger"` / `"store"`), `keyWindow` (optional: [`IDEMPOTENCY_KEY_WINDOW_MIN`] ..= [`IDEMPOTENCY_KEYS_MAX`] keys, default the latter) | `KEY_WINDOW_BELOW_KEYS` (a smaller window than the ledger's while it retains that many keys or more) | `KEY_RETENTION_SET` |
//! | `setCapacity` | `accountsMax` ([`ACCOUNTS_MAX`] ..= [`ACCOUNTS_CAPACITY_MAX`]), `holdsMax` ([`HOLDS_MAX`] ..= [`HOLDS_CAPACITY_MAX`]) | `CAPACITY_BELOW_COUNTS` (fewer accounts or pending holds than the ledger holds) | `CAPACITY_SET` |
//!
//! `HOLD_EXPIRED` is given for a hold that expired before, and for a pending hold past its
//! deadline, which the operation then expires. `outcome.hold` is the hold the operation acted on,
//! after it (absent when there is none: `UNKNOWN_HOLD`, `HOLD_EXISTS` and account operations);
//! `outcome.expired` lists the ids of every hold the operation expired.
//!
//! **Errors** (an [`Error`](crate::Error), nothing recorded, nothing journaled) are for
//! malformed requests and depend only on the request, never on the ledger's state: an id that is
//! not 1..=[`ID_BYTES_MAX`] UTF-8 bytes without control characters (`INVALID_ARGUMENT`), `now` or
//! `expiresAt` outside the time range (`INVALID_ARGUMENT`), an unknown currency
//! (`CURRENCY_UNKNOWN`), an amount that is not a strict decimal string in its currency
//! (`AMOUNT_SYNTAX`, `AMOUNT_PRECISION`, `AMOUNT_OUT_OF_RANGE`; zero and negative amounts parse and
//! are the *outcome* `AMOUNT_NOT_POSITIVE`), a credit limit given for another kind, missing for a
//! credit line or negative (`INVALID_ARGUMENT` about `creditLimit`), a post with only one of
//! `amount` / `currency` (`INVALID_ARGUMENT`). Plus `INTERNAL` (an invariant would break: the
//! ledger is unchanged) and `LIMIT_EXCEEDED` (the journal sequence reached 2^53 − 1).
//!
//! # Linked chains
//!
//! In [`Ledger::execute_batch`] an operation may be `linked` to the next one, as TigerBeetle's
//! `linked` flag: a **chain** is a run of linked operations plus the first unlinked one after
//! them, and it succeeds or fails as one — a transfer and its fee, the legs of a transfer
//! between providers, a sweep and its network fee. An unlinked operation outside a chain is
//! answered on its own, exactly as before.
//!
//! | rule | |
//! |---|---|
//! | order | members are decided in batch order, each on the ledger as the members before it left it (a hold placed by one can be posted by the next) |
//! | success | every member's code is a success code, or a repeat of a stored success (`repeated: true`: the key was recorded earlier and nothing is done again) |
//! | failure | the first member whose code is not a success: a rejection (`INSUFFICIENT_FUNDS`, ...), a not-journaled refusal (`IDEMPOTENCY_KEY_REUSED`, `IDEMPOTENCY_KEYS_FULL`, `JOURNAL_FULL`), or a repeat of a stored rejection; the members after it are not decided |
//! | a successful chain | every member is journaled (consecutive entries, ordinary ones: replay needs nothing new) and answered with its own outcome |
//! | a failed chain | nothing of it stands: no balance, hold, expiry, clock or journal change, and none of its keys is recorded (retry it with the same keys). The failing member answers its own code with `seq` 0, `hold` null and no `expired` (a repeated stored rejection answers its stored outcome, `repeated: true`); every other member answers `LINKED_OPERATION_FAILED` (`seq` 0): the failing member is the one with another code |
//! | open chain | a batch whose last operation is `linked` is an error (`INVALID_ARGUMENT` about `operations[i].linked`), nothing runs: like every error it depends on the request alone. TigerBeetle answers its per-event `linked_event_chain_open` because its client may pack several callers' events into one batch; here a batch is one caller's call |
//! | operations | every operation may be linked, `expireDue` too (its expiries are taken back with a failed chain like any other change), except `openAccount`: an account is never removed (its id is never reused), so a chain could not take an opening back; an `openAccount` linked, or last in a chain, is an error (`INVALID_ARGUMENT` about `operations[i].op`). Open accounts in operations of their own first, as TigerBeetle creates accounts and transfers in separate batches |
//! | time | each member runs at its own effective time `max(now, clock)`, the clock advancing member by member as for separate calls (time never runs backwards inside a chain); a failed chain leaves the clock where it was |
//! | errors | `INTERNAL` or `LIMIT_EXCEEDED` in a member: nothing of its chain stands; the batch stops there, the operations before the chain stand |
//! | bound | a chain is at most the batch ([`BATCH_OPERATIONS_MAX`] operations) |
//!
//! How: each member is committed as a single operation is, and every change the commit makes
//! (an account's or a hold's previous state, a resolved hold forgotten, an idempotency key
//! evicted or its outcome compacted) is logged; when a member fails, the log is applied back
//! newest first, the keys the chain recorded (their seqs follow the head's) are forgotten and
//! the clock, head and retained journal are reset, so the ledger equals what it was before the
//! chain (tests compare the whole state, indexes included). A rejected member is not committed
//! at all. Each member's decision is checked against the invariants as for any
//! operation, so every intermediate state was valid.
//!
//! # Idempotency
//!
//! Every operation carries an idempotency key (1..=[`ID_BYTES_MAX`] bytes). A request's
//! *fingerprint* is SHA-256 of its canonical CBOR **without `now`** (a retry is sent later), with
//! amounts in canonical form (`"1.5"` and `"1.50"` EUR are the same request). The ledger keeps
//! the most recent [`IDEMPOTENCY_KEYS_MAX`] keys with their fingerprints and outcomes: the newest
//! [`IDEMPOTENCY_OUTCOMES_MAX`] with the whole outcome, older ones with its code and seq only (a
//! repeat of such a key answers the same code and seq, `repeated: true`, with `hold: null` and
//! no `expired` ids — look the hold up if needed). To record
//! a new key when full, the oldest key is forgotten — but never sooner than
//! [`IDEMPOTENCY_KEY_RETENTION_S`] seconds (ledger time) after it was recorded: if the oldest is
//! younger, the new operation is refused with `IDEMPOTENCY_KEYS_FULL` (nothing done; retry
//! later). So a retry within that time is always recognised (never executed twice), and
//! beyond it for as long as fewer than `IDEMPOTENCY_KEYS_MAX` operations came after; a retry of a
//! forgotten key is executed as a new operation.
//!
//! **Keys kept by the store.** That is about 109 new operations per second sustained; a server
//! role that needs more, or keys kept for a day as payment APIs keep them, journals
//! `setKeyRetention` with `keysKeptBy: "store"` ([`KeysKeptBy`]). From then on a full window
//! forgets its oldest key **whatever its age** (never `IDEMPOTENCY_KEYS_FULL`), so the state
//! stays bounded by [`IDEMPOTENCY_KEYS_MAX`] keys however long the retention is; the store keeps
//! every key's journal entry for its own retention (the SDK's `LedgerStore` with
//! `keyRetentionSeconds`: 24 hours) and answers a repeat of a key the ledger forgot with
//! [`Ledger::answer_from_entry`] — the same answer the ledger gives for a key it keeps with code
//! and seq only. The mode is journaled, so replay reproduces it with no option besides the
//! journal; the state encodes it only when `"store"` (a ledger that never set it encodes, and
//! digests, exactly as before). In a failed linked chain the change is taken back like any other.
//!
//! **The key window.** The same operation's `keyWindow` sets how many keys the ledger retains
//! (default and most [`IDEMPOTENCY_KEYS_MAX`], least [`IDEMPOTENCY_KEY_WINDOW_MIN`]: every
//! retained journal entry's key stays in the window). A ledger that is one of many — the shards
//! of a sharded ledger, 1,024 ledgers in one WebAssembly memory — sets a small window when it
//! is new, so that its memory stays bounded (a full window of 32,768 keys is ~8 MiB; 4,096 are
//! ~1 MiB). The rules above apply with the window in place of [`IDEMPOTENCY_KEYS_MAX`]: with the
//! keys kept by the ledger, a window of W keys sustains W / [`IDEMPOTENCY_KEY_RETENTION_S`] new
//! operations per second. A window smaller than the ledger's is refused with
//! `KEY_WINDOW_BELOW_KEYS` (journaled, nothing changed) while the ledger retains that many keys
//! or more — it never forgets keys to shrink. Like the mode, the window is journaled, and the
//! state encodes it only when it is not the default.
//!
//! # Capacity
//!
//! A new ledger holds at most [`ACCOUNTS_MAX`] accounts and [`HOLDS_MAX`] pending holds (its
//! capacity). `setCapacity`, journaled when the ledger is created (the SDK's
//! `Ledger.create({ accountsMax, holdsMax })`), raises them up to [`ACCOUNTS_CAPACITY_MAX`] and
//! [`HOLDS_CAPACITY_MAX`]: one ledger for a million wallets instead of 1,024 shards, or a
//! custody book with tens of thousands of clients. Like the key window it is journaled (replay
//! reproduces it) and the state encodes it only when it is not the default (a ledger that never
//! set it encodes, and digests, exactly as before); a capacity below what the ledger holds is
//! refused with `CAPACITY_BELOW_COUNTS` (journaled, nothing changed). Nothing an operation does
//! grows with the capacity (the indexes are hash tables and ordered sets; the checks are per
//! touched record), but the snapshot does: it is the whole state, about 60 bytes per account
//! with short ids (see `docs/ledger.md` for measured sizes), so [`SNAPSHOT_BYTES_MAX`] (64 MiB,
//! the storage adapters' value limit) is reached near a million accounts; a larger ledger would
//! need chunked snapshots.
//!
//! # Journal
//!
//! Every decided operation is appended to a hash-chained journal:
//!
//! ```text
//! entry     = { 0: seq uint, 1: op, 2: result, 3: prevHash bstr(32) }   (deterministic CBOR)
//! hash      = SHA-256(entry bytes); the first entry's prevHash is 32 zero bytes
//! op        = [kind, idempotencyKey, now, ...fields]   (see `codec.rs`; amounts as canonical strings)
//! result    = [code tstr, hold / null, expired [holdId]]
//! ```
//!
//! The ledger retains the entries not yet acknowledged ([`Ledger::journal`], at most
//! [`JOURNAL_ENTRIES_RETAINED_MAX`]); the caller persists them, then calls
//! [`Ledger::truncate_journal`]. [`Ledger::replay`] rebuilds a ledger from the entries from the
//! start, [`Ledger::apply_journal`] continues a restored one: each entry must chain to the head
//! (`seq` = head + 1, `prevHash` = the head's hash; else `JOURNAL_INVALID`) and re-executing its
//! operation must give exactly its bytes (else `JOURNAL_MISMATCH`), so the replayed state is the
//! original's, bit for bit ([`Ledger::state_digest`]).
//!
//! # Snapshot
//!
//! [`Ledger::snapshot`] / [`Ledger::restore`]: versioned, HMAC-SHA256-authenticated
//! deterministic CBOR of the whole state — accounts, retained holds, idempotency keys, clock
//! and the journal head (seq and hash) — but not the retained entries, so restore + the entries
//! after the head ([`Ledger::apply_journal`]) gives the current ledger. Format in `snapshot.rs`.
//!
//! # Invariants and atomicity
//!
//! Every operation is computed on a scratch copy of the accounts and holds it touches; before it
//! is applied, the change is checked: per currency the posted debits and credits changed by the
//! same total (so the sum of balances stays zero); each touched account's pending totals changed
//! by exactly its holds' changes; every touched account respects its kind (never below zero, or
//! below minus its credit limit) and the bounds; a resolved hold never changes; the counts stay
//! within their limits. A failure is `Error` `INTERNAL` and the ledger is unchanged. Since the
//! state is checked in full on restore and replay ([`Ledger::check_invariants`], also public),
//! these per-change checks keep the whole state valid at O(touched) cost per operation.
//!
//! # Limits
//!
//! | limit | value | when reached |
//! |---|---|---|
//! | [`ACCOUNTS_MAX`] | 4096 accounts (the default capacity) | `ACCOUNTS_FULL` |
//! | [`HOLDS_MAX`] | 4096 pending holds | `HOLDS_FULL` |
//! | [`ACCOUNTS_CAPACITY_MAX`] / [`HOLDS_CAPACITY_MAX`] | 1,048,576 accounts / 131,072 pending holds: the largest capacity `setCapacity` sets in place of the two above | `INVALID_ARGUMENT` about `accountsMax` / `holdsMax` |
//! | [`HOLDS_PER_ACCOUNT_MAX`] | 64 pending holds debiting one account | `ACCOUNT_HOLDS_FULL` |
//! | [`HOLDS_RESOLVED_RETAINED_MAX`] | 4096 resolved holds | the earliest resolved is forgotten |
//! | [`EXPIRE_BATCH_MAX`] | 64 holds per `expireDue` | `MORE_HOLDS_DUE` |
//! | [`HOLD_DURATION_S_MAX`] | 366 days from now to a deadline | `DEADLINE_INVALID` |
//! | [`IDEMPOTENCY_KEYS_MAX`] / [`IDEMPOTENCY_KEY_RETENTION_S`] | 32,768 keys (the default key window) / 300 s (about 109 new operations per second sustained) | the oldest key is forgotten, or `IDEMPOTENCY_KEYS_FULL` (never when the store keeps the keys: `setKeyRetention`) |
//! | [`IDEMPOTENCY_KEY_WINDOW_MIN`] | 4096 keys: the smallest key window (`setKeyRetention`'s `keyWindow`) | `INVALID_ARGUMENT` about `keyWindow` |
//! | [`IDEMPOTENCY_OUTCOMES_MAX`] | 8192 keys with their whole outcome | older keys keep code and seq |
//! | [`JOURNAL_ENTRIES_RETAINED_MAX`] | 4096 entries not yet truncated | `JOURNAL_FULL` |
//! | [`JOURNAL_ENTRY_BYTES_MAX`] | 16 KiB per entry | `JOURNAL_INVALID` on decode |
//! | [`REPLAY_ENTRIES_MAX`] | 2^20 entries per replay call | `LIMIT_EXCEEDED` |
//! | [`BATCH_OPERATIONS_MAX`] | 1024 operations per `execute_batch` (and so per linked chain) | `LIMIT_EXCEEDED` (nothing runs) |
//! | [`SNAPSHOT_BYTES_MAX`] | 64 MiB | `SNAPSHOT_INVALID` on restore |
//! | [`SEQ_MAX`] | 2^53 − 1 journal entries | `LIMIT_EXCEEDED` |
//! | [`ID_BYTES_MAX`] | 64 UTF-8 bytes per id | `INVALID_ARGUMENT` |
//! | amounts and totals | 2^96 − 1 minor units | `AMOUNT_OUT_OF_RANGE` (input), `BALANCE_OVERFLOW` (totals) |
//!
//! # Retention
//!
//! Accounts are never forgotten (ids are never reused). A resolved hold is retained so that a
//! late post or void gets `HOLD_ALREADY_*` rather than `UNKNOWN_HOLD`; beyond
//! [`HOLDS_RESOLVED_RETAINED_MAX`] the earliest resolved is forgotten (its id may then be used
//! again).
//!
//! # Ids
//!
//! Ids (accounts, holds, idempotency keys) are strings of 1..=[`ID_BYTES_MAX`] UTF-8 bytes
//! without control characters, compared byte for byte: they cross from JavaScript as they are,
//! whereas 128-bit integers (TigerBeetle's) would need `bigint` handling at every call.

mod codec;
mod codes;
mod debit_index;
mod engine;
mod inline_id;
mod invariants;
mod journal;
mod shard;
mod snapshot;
mod table;

#[cfg(test)]
mod tests;

pub use codes::LedgerCode;
pub use shard::{shard_of, SHARD_COUNT_MAX, SHARD_ROUTING_TAG};
pub use codec::batch_from_cbor;
pub use journal::{JournalEntry, JournalHead, GENESIS_HASH, JOURNAL_ENTRY_BYTES_MAX};
pub use snapshot::{SNAPSHOT_BYTES_MAX, SNAPSHOT_FORMAT_VERSION, SNAPSHOT_KEY_LEN};

use std::collections::{BTreeSet, VecDeque};
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::error::{Error, ErrorCode, Result};
use crate::limits::CurrencyCode;
pub use crate::limits::{TIME_S_MAX, TIME_S_MIN};
use crate::money::Amount;

/// The longest id (account, hold, idempotency key), in UTF-8 bytes (at least 1, no control
/// characters).
pub const ID_BYTES_MAX: usize = 64;
/// The most accounts in one ledger of the default capacity (`setCapacity` raises it).
pub const ACCOUNTS_MAX: usize = 4096;
/// The most pending holds in one ledger of the default capacity (`setCapacity` raises it).
pub const HOLDS_MAX: usize = 4096;
/// The largest account capacity `setCapacity` sets (2^20 accounts: a million wallets).
pub const ACCOUNTS_CAPACITY_MAX: usize = 1 << 20;
/// The largest pending-hold capacity `setCapacity` sets.
pub const HOLDS_CAPACITY_MAX: usize = 131_072;
/// The most pending holds debiting one account.
pub const HOLDS_PER_ACCOUNT_MAX: usize = 64;
/// The most resolved (posted, voided, expired) holds retained; the earliest resolved is forgotten
/// first.
pub const HOLDS_RESOLVED_RETAINED_MAX: usize = 4096;
/// The most holds one `expireDue` expires.
pub const EXPIRE_BATCH_MAX: usize = 64;
/// The longest a hold may run: its deadline is at most this many seconds after now (366 days).
pub const HOLD_DURATION_S_MAX: i64 = 366 * 86_400;
/// The most idempotency keys retained (a repeat is recognised and never executed twice): the
/// default key window.
pub const IDEMPOTENCY_KEYS_MAX: usize = 32_768;
/// The smallest key window `setKeyRetention` may set: every retained journal entry's key must
/// stay in the window (`journal_keys`), so it is the retained journal's bound.
pub const IDEMPOTENCY_KEY_WINDOW_MIN: usize = JOURNAL_ENTRIES_RETAINED_MAX;
/// The most recent keys whose whole outcome (hold view, expired ids) is kept; an older key keeps
/// its code and seq only (~150 bytes instead of ~410), so that many keys fit in a snapshot.
pub const IDEMPOTENCY_OUTCOMES_MAX: usize = 8192;
/// The least time a key is retained, in seconds of ledger time (see the module docs).
pub const IDEMPOTENCY_KEY_RETENTION_S: i64 = 300;
/// The most journal entries retained in memory until the caller truncates the journal (the
/// entries between two snapshots or acknowledgements).
pub const JOURNAL_ENTRIES_RETAINED_MAX: usize = 4096;
/// The most entries one [`Ledger::replay`] / [`Ledger::apply_journal`] call applies.
pub const REPLAY_ENTRIES_MAX: usize = 1 << 20;
/// The largest journal sequence number: 2^53 − 1 (exact as a JavaScript number).
pub const SEQ_MAX: u64 = (1 << 53) - 1;

/// The most hold records alive at once in a ledger whose pending-hold capacity is `holds_max`,
/// so the bound of the hold slab's length (`table.rs`): the pending and retained resolved
/// holds, plus the one an operation places before the oldest resolved hold is forgotten.
const fn hold_slots_max(holds_max: usize) -> usize {
    holds_max + HOLDS_RESOLVED_RETAINED_MAX + 1
}

/// The most key records alive at once, so the bound of the key slab's length (`table.rs`): the
/// largest window, plus the keys a failed linked chain evicted while its own keys are still
/// there (its undo puts the evicted ones back before it takes its own out, at most one per
/// member).
const KEY_SLOTS_MAX: usize = IDEMPOTENCY_KEYS_MAX + BATCH_OPERATIONS_MAX;

/// The largest total in minor units (an `Amount`'s mantissa bound, 2^96 − 1).
const UNITS_MAX: u128 = (1 << 96) - 1;

// ------------------------------------------------------------------------------------------
// Public data
// ------------------------------------------------------------------------------------------

/// What an account may do (see the module docs). JSON: `"unrestricted"`, `"nonNegative"`,
/// `"creditLine"`.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "ledger.ts"))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum AccountKind {
    /// No balance rule.
    Unrestricted,
    /// Debits must not exceed credits: available funds never below zero.
    NonNegative,
    /// Available funds never below minus the credit limit.
    CreditLine,
}

/// The state of a hold. JSON: `"pending"`, `"posted"`, `"voided"`, `"expired"`.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "ledger.ts"))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum HoldState {
    /// Holding funds.
    Pending,
    /// Resolved by a final or whole post.
    Posted,
    /// Resolved by a void.
    Voided,
    /// Resolved by expiry.
    Expired,
}

/// Open an account.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "ledger.ts"))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct OpenAccountRequest {
    /// Idempotency key.
    pub idempotency_key: String,
    /// Unix seconds.
    pub now: i64,
    /// The new account's id.
    pub account_id: String,
    /// ISO 4217 code or registered asset.
    pub currency: String,
    /// The balance rule.
    pub kind: AccountKind,
    /// The credit limit of a `creditLine` (a non-negative amount); absent for other kinds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credit_limit: Option<String>,
}

/// Move an amount between two accounts at once.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "ledger.ts"))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TransferRequest {
    /// Idempotency key.
    pub idempotency_key: String,
    /// Unix seconds.
    pub now: i64,
    /// The account debited.
    pub debit_account_id: String,
    /// The account credited.
    pub credit_account_id: String,
    /// Decimal string in `currency`, e.g. `"12.30"`.
    pub amount: String,
    /// ISO 4217 code or registered asset.
    pub currency: String,
}

/// Place a hold (a pending transfer).
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "ledger.ts"))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct HoldRequest {
    /// Idempotency key.
    pub idempotency_key: String,
    /// Unix seconds.
    pub now: i64,
    /// The new hold's id.
    pub hold_id: String,
    /// The account whose funds are held.
    pub debit_account_id: String,
    /// The account a post will credit.
    pub credit_account_id: String,
    /// Decimal string in `currency`.
    pub amount: String,
    /// ISO 4217 code or registered asset.
    pub currency: String,
    /// Deadline, Unix seconds: the hold expires when `now ≥ expiresAt`.
    pub expires_at: i64,
}

/// Raise a pending hold.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "ledger.ts"))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct IncrementRequest {
    /// Idempotency key.
    pub idempotency_key: String,
    /// Unix seconds.
    pub now: i64,
    /// The hold.
    pub hold_id: String,
    /// The amount added, decimal string in `currency`.
    pub amount: String,
    /// ISO 4217 code or registered asset.
    pub currency: String,
}

/// Give a pending hold a later deadline.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "ledger.ts"))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ExtendRequest {
    /// Idempotency key.
    pub idempotency_key: String,
    /// Unix seconds.
    pub now: i64,
    /// The hold.
    pub hold_id: String,
    /// The new deadline, Unix seconds (after the current one).
    pub expires_at: i64,
}

/// Capture from a pending hold.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "ledger.ts"))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PostRequest {
    /// Idempotency key.
    pub idempotency_key: String,
    /// Unix seconds.
    pub now: i64,
    /// The hold.
    pub hold_id: String,
    /// The amount captured, decimal string in `currency`; absent: everything still held.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amount: Option<String>,
    /// The currency of `amount` (given with it, absent without it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub currency: Option<String>,
    /// `true`: release what remains after this capture (the hold is resolved). `false`: keep it
    /// held (unless nothing remains).
    // Optional in TypeScript: the core reads a missing field as its default.
    #[cfg_attr(feature = "ts", ts(as = "Option<bool>", optional))]
    #[serde(rename = "final", default)]
    pub is_final: bool,
}

/// Release a pending hold.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "ledger.ts"))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct VoidRequest {
    /// Idempotency key.
    pub idempotency_key: String,
    /// Unix seconds.
    pub now: i64,
    /// The hold.
    pub hold_id: String,
}

/// Expire the holds due at `now`.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "ledger.ts"))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ExpireDueRequest {
    /// Idempotency key.
    pub idempotency_key: String,
    /// Unix seconds.
    pub now: i64,
}

/// Change a credit line's limit.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "ledger.ts"))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SetCreditLimitRequest {
    /// Idempotency key.
    pub idempotency_key: String,
    /// Unix seconds.
    pub now: i64,
    /// The credit line.
    pub account_id: String,
    /// The new limit, a non-negative decimal string in `currency`.
    pub credit_limit: String,
    /// ISO 4217 code or registered asset.
    pub currency: String,
}

/// Close an empty account.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "ledger.ts"))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CloseAccountRequest {
    /// Idempotency key.
    pub idempotency_key: String,
    /// Unix seconds.
    pub now: i64,
    /// The account.
    pub account_id: String,
}

/// Who keeps the idempotency keys the ledger's window no longer holds (see the module docs,
/// *Idempotency*). JSON: `"ledger"`, `"store"`.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "ledger.ts"))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum KeysKeptBy {
    /// The ledger alone: a key is kept at least [`IDEMPOTENCY_KEY_RETENTION_S`]; a new key that
    /// would evict a younger one is refused (`IDEMPOTENCY_KEYS_FULL`).
    #[default]
    Ledger,
    /// The store keeps the long tail (every key's journal entry, for its own retention): when the
    /// window is full the oldest key is forgotten whatever its age, and the store answers a
    /// repeat of it ([`Ledger::answer_from_entry`]).
    Store,
}

/// Say who keeps the idempotency keys the ledger's window no longer holds (journaled, so that
/// replay reproduces it).
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "ledger.ts"))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SetKeyRetentionRequest {
    /// Idempotency key.
    pub idempotency_key: String,
    /// Unix seconds.
    pub now: i64,
    /// `"ledger"` (the default of a new ledger) or `"store"`.
    pub keys_kept_by: KeysKeptBy,
    /// How many keys the ledger retains ([`IDEMPOTENCY_KEY_WINDOW_MIN`] ..=
    /// [`IDEMPOTENCY_KEYS_MAX`]); absent: [`IDEMPOTENCY_KEYS_MAX`]. A smaller window bounds
    /// the memory of a ledger that is one of many (the shards of a sharded ledger).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub key_window: Option<u32>,
}

/// Set the ledger's capacity (journaled, so that replay reproduces it): the SDK journals it when
/// a ledger is created with `{ accountsMax, holdsMax }`.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "ledger.ts"))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SetCapacityRequest {
    /// Idempotency key.
    pub idempotency_key: String,
    /// Unix seconds.
    pub now: i64,
    /// Most accounts: [`ACCOUNTS_MAX`] (the default) ..= [`ACCOUNTS_CAPACITY_MAX`].
    pub accounts_max: u32,
    /// Most pending holds: [`HOLDS_MAX`] (the default) ..= [`HOLDS_CAPACITY_MAX`].
    pub holds_max: u32,
}

/// Any operation. JSON: `{"op": "transfer", "request": {...}}`.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "ledger.ts", rename = "LedgerOperation"))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "op", content = "request", rename_all = "camelCase")]
#[allow(missing_docs)]
pub enum Operation {
    OpenAccount(OpenAccountRequest),
    Transfer(TransferRequest),
    Hold(HoldRequest),
    Increment(IncrementRequest),
    Extend(ExtendRequest),
    Post(PostRequest),
    Void(VoidRequest),
    ExpireDue(ExpireDueRequest),
    SetCreditLimit(SetCreditLimitRequest),
    CloseAccount(CloseAccountRequest),
    SetKeyRetention(SetKeyRetentionRequest),
    SetCapacity(SetCapacityRequest),
}

impl Operation {
    /// The idempotency key.
    pub fn idempotency_key(&self) -> &str {
        match self {
            Operation::OpenAccount(r) => &r.idempotency_key,
            Operation::Transfer(r) => &r.idempotency_key,
            Operation::Hold(r) => &r.idempotency_key,
            Operation::Increment(r) => &r.idempotency_key,
            Operation::Extend(r) => &r.idempotency_key,
            Operation::Post(r) => &r.idempotency_key,
            Operation::Void(r) => &r.idempotency_key,
            Operation::ExpireDue(r) => &r.idempotency_key,
            Operation::SetCreditLimit(r) => &r.idempotency_key,
            Operation::CloseAccount(r) => &r.idempotency_key,
            Operation::SetKeyRetention(r) => &r.idempotency_key,
            Operation::SetCapacity(r) => &r.idempotency_key,
        }
    }

    /// The time it was sent at.
    pub fn now(&self) -> i64 {
        match self {
            Operation::OpenAccount(r) => r.now,
            Operation::Transfer(r) => r.now,
            Operation::Hold(r) => r.now,
            Operation::Increment(r) => r.now,
            Operation::Extend(r) => r.now,
            Operation::Post(r) => r.now,
            Operation::Void(r) => r.now,
            Operation::ExpireDue(r) => r.now,
            Operation::SetCreditLimit(r) => r.now,
            Operation::CloseAccount(r) => r.now,
            Operation::SetKeyRetention(r) => r.now,
            Operation::SetCapacity(r) => r.now,
        }
    }
}

/// One operation of a batch and whether it is linked to the next: JSON
/// `{"op": "transfer", "request": {...}, "linked": true}` (see the module docs, *Linked chains*).
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "ledger.ts", rename = "LedgerBatchOperation"))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BatchOperation {
    /// The operation.
    #[serde(flatten)]
    pub operation: Operation,
    /// `true`: this operation and the next succeed or fail as one (TigerBeetle's `linked` flag).
    /// A chain is a run of linked operations and the first unlinked one after them; the batch's
    /// last operation must not be linked.
    // Optional in TypeScript: the core reads a missing field as `false`.
    #[cfg_attr(feature = "ts", ts(as = "Option<bool>", optional))]
    #[serde(default, skip_serializing_if = "core::ops::Not::not")]
    pub linked: bool,
}

/// An element of [`Ledger::execute_batch`]'s slice: an [`Operation`] (never linked) or a
/// [`BatchOperation`].
pub trait BatchElement {
    /// The operation.
    fn operation(&self) -> &Operation;
    /// Whether it is linked to the next operation of the batch.
    fn linked(&self) -> bool;
}

impl BatchElement for Operation {
    fn operation(&self) -> &Operation {
        self
    }
    fn linked(&self) -> bool {
        false
    }
}

impl BatchElement for BatchOperation {
    fn operation(&self) -> &Operation {
        &self.operation
    }
    fn linked(&self) -> bool {
        self.linked
    }
}

/// A hold as seen after an operation. Amounts are decimal strings in `currency`.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "ledger.ts"))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HoldView {
    /// Hold id.
    pub hold_id: String,
    /// The account whose funds are held.
    pub debit_account_id: String,
    /// The account posts credit.
    pub credit_account_id: String,
    /// Currency code.
    pub currency: String,
    /// Its state.
    pub state: HoldState,
    /// Everything ever held: the first amount plus increments (= pending + posted + released).
    pub amount: String,
    /// Still held (zero once resolved).
    pub pending: String,
    /// Captured in total.
    pub posted: String,
    /// Released in total (by a final post, a void or expiry).
    pub released: String,
    /// Deadline, Unix seconds.
    pub expires_at: i64,
}

/// An account's state. Amounts are decimal strings in `currency`.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "ledger.ts"))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AccountView {
    /// Account id.
    pub account_id: String,
    /// Currency code.
    pub currency: String,
    /// The balance rule.
    pub kind: AccountKind,
    /// The credit limit of a credit line.
    pub credit_limit: Option<String>,
    /// Whether it is closed.
    pub closed: bool,
    /// `creditsPosted − debitsPosted` (may be negative).
    pub balance: String,
    /// `balance − debitsPending (+ creditLimit)`: what a transfer or hold may still debit; absent
    /// for an unrestricted account.
    pub available: Option<String>,
    /// Posted debits, in total.
    pub debits_posted: String,
    /// Posted credits, in total.
    pub credits_posted: String,
    /// Held by pending holds debiting it.
    pub debits_pending: String,
    /// Announced by pending holds crediting it (not available until posted).
    pub credits_pending: String,
    /// The number of pending holds debiting it.
    pub pending_holds: u32,
}

/// The result of an operation.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "ledger.ts", rename = "LedgerOutcome"))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Outcome {
    /// One code per reason.
    pub code: LedgerCode,
    /// The journal entry that decided it (for a repeat: the original's); 0 when the operation
    /// was refused without being journaled.
    pub seq: u64,
    /// True when answered from the idempotency store (the same key and request again).
    pub repeated: bool,
    /// The hold the operation acted on, after it.
    pub hold: Option<HoldView>,
    /// Ids of the holds this operation expired.
    pub expired: Vec<String>,
}

impl Outcome {
    /// Whether the operation did what it asked.
    pub fn is_success(&self) -> bool {
        self.code.is_success()
    }
}

/// How much the ledger holds, against its limits.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "ledger.ts"))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LedgerCounts {
    /// Accounts (≤ the ledger's capacity, ACCOUNTS_MAX by default).
    pub accounts: usize,
    /// Pending holds (≤ the ledger's capacity, HOLDS_MAX by default).
    pub holds_pending: usize,
    /// Retained resolved holds (≤ HOLDS_RESOLVED_RETAINED_MAX).
    pub holds_resolved: usize,
    /// Retained idempotency keys (≤ IDEMPOTENCY_KEYS_MAX).
    pub idempotency_keys: usize,
    /// Retained journal entries (≤ JOURNAL_ENTRIES_RETAINED_MAX).
    pub journal_retained: usize,
}

/// A retained journal entry's idempotency key and effective time ([`Ledger::journal_keys`]).
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "ledger.ts", rename = "LedgerJournalKey"))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct JournalKey {
    /// The entry's seq.
    pub seq: u64,
    /// Its operation's idempotency key.
    pub idempotency_key: String,
    /// Its effective time, `max(now, clock)`, Unix seconds.
    pub time: i64,
}

// ------------------------------------------------------------------------------------------
// State
// ------------------------------------------------------------------------------------------

/// An account; totals in minor units, each ≤ UNITS_MAX.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Account {
    /// In the record when short (`inline_id.rs`: one cache miss less per lookup).
    id: inline_id::InlineId,
    currency: CurrencyCode,
    kind: AccountKind,
    /// Zero unless a credit line.
    credit_limit: u128,
    closed: bool,
    debits_posted: u128,
    credits_posted: u128,
    debits_pending: u128,
    credits_pending: u128,
    /// The first of its pending holds on the debit side (`debit_index.rs`): derived, never
    /// encoded, equal whatever it holds.
    debit_holds: debit_index::ListHead,
}

impl Account {
    fn balance(&self) -> i128 {
        // Both totals are at most 2^96 − 1: exact in i128.
        self.credits_posted as i128 - self.debits_posted as i128
    }

    /// What may still be debited; `None` without a rule.
    fn available(&self) -> Option<i128> {
        let base = self.balance() - self.debits_pending as i128;
        match self.kind {
            AccountKind::Unrestricted => None,
            AccountKind::NonNegative => Some(base),
            AccountKind::CreditLine => Some(base + self.credit_limit as i128),
        }
    }

    fn is_empty(&self) -> bool {
        self.debits_posted == self.credits_posted
            && self.debits_pending == 0
            && self.credits_pending == 0
    }
}

/// A hold; amounts in minor units.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Hold {
    id: String,
    debit: String,
    credit: String,
    currency: CurrencyCode,
    state: HoldState,
    pending: u128,
    posted: u128,
    released: u128,
    expires_at: i64,
    /// The journal seq of the operation that resolved it (`None` while pending).
    resolved_seq: Option<u64>,
}

impl Hold {
    fn total(&self) -> Option<u128> {
        self.pending
            .checked_add(self.posted)?
            .checked_add(self.released)
            .filter(|total| *total <= UNITS_MAX)
    }
}

/// A validated operation (amounts parsed; codes still to decide).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Op {
    key: String,
    now: i64,
    action: Action,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Action {
    OpenAccount {
        account: String,
        currency: CurrencyCode,
        kind: AccountKind,
        credit_limit: Option<Amount>,
    },
    Transfer {
        debit: String,
        credit: String,
        amount: Amount,
    },
    Hold {
        hold: String,
        debit: String,
        credit: String,
        amount: Amount,
        expires_at: i64,
    },
    Increment {
        hold: String,
        amount: Amount,
    },
    Extend {
        hold: String,
        expires_at: i64,
    },
    Post {
        hold: String,
        amount: Option<Amount>,
        is_final: bool,
    },
    Void {
        hold: String,
    },
    ExpireDue,
    SetCreditLimit {
        account: String,
        credit_limit: Amount,
    },
    CloseAccount {
        account: String,
    },
    SetKeyRetention {
        keys_kept_by: KeysKeptBy,
        /// `None`: [`IDEMPOTENCY_KEYS_MAX`] (normalised: the default is never written).
        key_window: Option<u32>,
    },
    SetCapacity {
        accounts_max: u32,
        holds_max: u32,
    },
}

/// The decided result of an operation, as journaled and stored with its key.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Verdict {
    code: LedgerCode,
    /// Boxed: most retained keys have no hold, and a key record is one of up to
    /// IDEMPOTENCY_KEYS_MAX per ledger (an inline hold was ~2/3 of a record's memory).
    hold: Option<Box<Hold>>,
    expired: Vec<String>,
}

/// A retained idempotency key.
#[derive(Debug, Clone, PartialEq, Eq)]
struct KeyRecord {
    /// The key's text (cloned without allocating into a chain's undo log).
    key: Arc<str>,
    fingerprint: [u8; 32],
    /// The journal seq of the operation.
    seq: u64,
    /// Its effective time.
    time: i64,
    verdict: Verdict,
}

/// Most operations in one [`Ledger::execute_batch`] call: a batch is answered as one array, and
/// this bounds its size at a few hundred KiB each way.
pub const BATCH_OPERATIONS_MAX: usize = 1024;

/// Why [`Ledger::execute_batch`] stopped: the operation at `index` (a malformed request: nothing
/// in the batch ran; `INTERNAL` / `LIMIT_EXCEEDED`: the operations before it ran).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchError {
    /// Index of the operation in the batch ([`BATCH_OPERATIONS_MAX`] for an over-long batch).
    pub index: usize,
    /// What was wrong with it; its path starts with `operations[index]`.
    pub error: Error,
}

impl table::Record for Account {
    fn id(&self) -> &str {
        self.id.as_str()
    }
    fn id_bytes(&self) -> &[u8] {
        self.id.as_bytes()
    }
}

impl table::Record for Hold {
    fn id(&self) -> &str {
        &self.id
    }
}

impl table::Record for KeyRecord {
    fn id(&self) -> &str {
        &self.key
    }
}

/// A ledger: accounts, holds, idempotency keys and the journal head, in memory. See the module
/// docs.
///
/// Accounts and holds are kept in slabs addressed by `u32` handles (`table.rs`); the derived
/// indexes hold handles. Two ledgers are equal when their logical state is (see the
/// `PartialEq` impl), wherever their records sit in the slabs.
#[derive(Debug, Clone)]
pub struct Ledger {
    accounts: table::Table<Account>,
    holds: table::Table<Hold>,
    /// The retained idempotency keys' records (`key_order` is their order).
    keys: table::Table<KeyRecord>,
    /// The latest effective time seen.
    clock: i64,
    head: JournalHead,
    /// Entries not yet truncated, oldest first, ending at `head`.
    journal: Vec<JournalEntry>,
    // Indexes derived from the above (rebuilt on restore), of hold handles: one set type for
    // the three. Where their order decides something (which holds expire first, which resolved
    // hold is forgotten first) ties are broken by hold id, as when they held ids (`engine.rs`).
    /// Pending holds by (deadline as [`deadline_key`], handle).
    deadlines: BTreeSet<(u64, u32)>,
    /// Pending holds by debit account (a list per account: `debit_index.rs` says why not a set).
    debit_holds: debit_index::DebitIndex,
    /// Resolved holds by (resolution seq, handle): the eviction order.
    resolved: BTreeSet<(u64, u32)>,
    /// Who keeps the keys the window no longer holds (journaled by `setKeyRetention`).
    keys_kept_by: KeysKeptBy,
    /// Most keys retained (journaled by `setKeyRetention`; IDEMPOTENCY_KEYS_MAX by default).
    key_window: usize,
    /// The retained keys (seq, handle in `keys`) by ascending seq (≤ key_window): the eviction
    /// order. Keys are recorded newest last and evicted oldest first, so a queue keeps the
    /// order; the newest IDEMPOTENCY_OUTCOMES_MAX of it keep their whole outcome (the window is
    /// positional).
    key_order: VecDeque<(u64, u32)>,
    /// Most accounts (journaled by `setCapacity`; ACCOUNTS_MAX by default).
    accounts_max: usize,
    /// Most pending holds (journaled by `setCapacity`; HOLDS_MAX by default).
    holds_max: usize,
}

/// A deadline (Unix seconds) as a `u64` in the same order (the sign bit flipped), so that the
/// deadline index shares its set type with the other two.
fn deadline_key(expires_at: i64) -> u64 {
    (expires_at as u64) ^ (1 << 63)
}

/// Inserts `item` into `sorted` (in order) where it belongs, then keeps the first `keep`: the one
/// ordering helper of the indexes' tie-breaking by id (one small function instead of a sort
/// monomorph per use: each is ~3 KB of wasm). Appending in the indexes' order costs a search
/// and a move of the items after it: only ties move.
fn insert_in_order<'a>(sorted: &mut Vec<(u64, &'a str)>, item: (u64, &'a str), keep: usize) {
    let at = sorted.partition_point(|present| *present < item);
    if at < keep {
        sorted.insert(at, item);
        sorted.truncate(keep);
    }
}

/// The logical state: accounts and holds by id, keys, clock, journal, and the derived indexes
/// read as ids (a restored or rolled-back ledger equals the original even when its records sit
/// in other slots).
impl PartialEq for Ledger {
    fn eq(&self, other: &Self) -> bool {
        self.accounts.same_records(&other.accounts)
            && self.holds.same_records(&other.holds)
            && self.keys.same_records(&other.keys)
            && self.clock == other.clock
            && self.head == other.head
            && self.journal == other.journal
            && self.keys_kept_by == other.keys_kept_by
            && self.key_window == other.key_window
            && self.accounts_max == other.accounts_max
            && self.holds_max == other.holds_max
            && self.same_key_order(other)
            && self.same_index(&self.deadlines, other, &other.deadlines, false)
            && match (self.debit_holds.entries(self.debit_list_heads()), other.debit_holds.entries(other.debit_list_heads())) {
                (Some(mine), Some(theirs)) => self.same_index(&mine, other, &theirs, true),
                _ => false,
            }
            && self.same_index(&self.resolved, other, &other.resolved, false)
    }
}

impl Eq for Ledger {}

impl Default for Ledger {
    fn default() -> Self {
        Ledger::new()
    }
}

impl Ledger {
    /// An empty ledger: no accounts, clock at [`TIME_S_MIN`], journal head at seq 0 with
    /// [`GENESIS_HASH`].
    pub fn new() -> Ledger {
        Ledger {
            accounts: table::Table::new(),
            holds: table::Table::new(),
            keys: table::Table::new(),
            clock: TIME_S_MIN,
            head: JournalHead {
                seq: 0,
                hash: GENESIS_HASH,
            },
            journal: Vec::new(),
            deadlines: BTreeSet::new(),
            debit_holds: debit_index::DebitIndex::default(),
            resolved: BTreeSet::new(),
            keys_kept_by: KeysKeptBy::Ledger,
            key_window: IDEMPOTENCY_KEYS_MAX,
            key_order: VecDeque::new(),
            accounts_max: ACCOUNTS_MAX,
            holds_max: HOLDS_MAX,
        }
    }

    /// Runs any operation (the per-operation methods below call this).
    ///
    /// Errors (the ledger is unchanged): see the module docs — malformed requests only, plus
    /// `INTERNAL` and `LIMIT_EXCEEDED`.
    pub fn execute(&mut self, operation: &Operation) -> Result<Outcome> {
        let op = engine::validate(operation)?;
        self.run(op)
    }

    /// Runs several operations in order, like a TigerBeetle batch: each unlinked operation is
    /// decided, journaled and answered on its own (one may be `INSUFFICIENT_FUNDS` while the
    /// next is `HELD`), as if [`Ledger::execute`] were called for each — but one call across the
    /// wasm boundary instead of many. Operations marked `linked` form chains that succeed or
    /// fail as one (see the module docs, *Linked chains*). `operations` is a slice of
    /// [`Operation`]s (all unlinked) or of [`BatchOperation`]s.
    ///
    /// Every request is validated before any runs, so a malformed one (or more than
    /// [`BATCH_OPERATIONS_MAX`], an `openAccount` in a chain, or a last operation that is
    /// `linked`: an open chain) is a [`BatchError`] with nothing executed. The only errors
    /// after that are `INTERNAL` and `LIMIT_EXCEEDED` (see [`Ledger::execute`]); one stops the
    /// batch at its index, nothing of that operation's chain stands, and the operations before
    /// its chain stand, journaled: send the batch again with the same idempotency keys to get
    /// their outcomes (`repeated: true`).
    pub fn execute_batch<B: BatchElement>(
        &mut self,
        operations: &[B],
    ) -> std::result::Result<Vec<Outcome>, BatchError> {
        if operations.len() > BATCH_OPERATIONS_MAX {
            return Err(BatchError {
                index: BATCH_OPERATIONS_MAX,
                error: Error::new(
                    ErrorCode::LimitExceeded,
                    "operations",
                    format!("at most {BATCH_OPERATIONS_MAX} operations per batch, got {}", operations.len()),
                ),
            });
        }
        let mut validated = Vec::with_capacity(operations.len());
        // The error's path is the operation's place in the batch: a malformed request names its
        // field (`operations[3].request.amount`), a failed run the operation (`operations[3]`).
        let at = |index: usize, error: Error| BatchError { index, error: error.at(&format!("[{index}]")).at("operations") };
        let mut previous_linked = false;
        for (index, operation) in operations.iter().enumerate() {
            let op = engine::validate(operation.operation()).map_err(|error| at(index, error.at("request")))?;
            let linked = operation.linked();
            // An account is never removed (ids are never reused), so a failed chain could not
            // take an opening back: accounts are opened apart from chains, as TigerBeetle
            // creates accounts and transfers in separate batches.
            if (previous_linked || linked) && matches!(op.action, Action::OpenAccount { .. }) {
                let message = "openAccount cannot be in a linked chain: open the account before";
                return Err(at(index, Error::new(ErrorCode::InvalidArgument, "op", message)));
            }
            previous_linked = linked;
            validated.push((op, linked));
        }
        // An open chain depends on the request alone, so it is an error like any malformed
        // request (nothing runs), not an outcome: a batch is one caller's, built wrong.
        if previous_linked {
            let message = "the last operation is linked to nothing: an open chain";
            return Err(at(validated.len().saturating_sub(1), Error::new(ErrorCode::InvalidArgument, "linked", message)));
        }
        let mut outcomes = Vec::with_capacity(validated.len());
        let mut start = 0;
        // One chain per round (an unlinked operation is a chain of one): at most the batch.
        while let Some(rest) = validated.get(start..).filter(|rest| !rest.is_empty()) {
            // Up to the first unlinked operation (the last one is unlinked).
            let length = rest.iter().position(|(_, linked)| !linked).map_or(rest.len(), |last| last.saturating_add(1));
            let chain = rest.get(..length).unwrap_or(rest);
            self.run_chain(chain, &mut outcomes)
                .map_err(|(offset, error)| at(start.saturating_add(offset), error))?;
            start = start.saturating_add(length);
        }
        Ok(outcomes)
    }

    /// Runs one chain (see the module docs, *Linked chains*) and appends its outcomes. One
    /// operation alone runs as [`Ledger::execute`] would. In a longer chain each member is
    /// decided on the ledger as the members before it left it, and committed with its changes
    /// logged; at the first member that does not succeed (or an error), every commit of the
    /// chain is taken back, newest first, so nothing of it stands. Errors: the member's offset in
    /// the chain and its error.
    fn run_chain(&mut self, chain: &[(Op, bool)], outcomes: &mut Vec<Outcome>) -> std::result::Result<(), (usize, Error)> {
        let atomic = chain.len() > 1;
        // The chain's undo log: the changes of its committed members, in order, and what they
        // change besides.
        let mut undo = Vec::new();
        let (clock, head, journal_len) = (self.clock, self.head, self.journal.len());
        let first = outcomes.len();
        // The first member that failed (with its outcome) or erred; none: the chain stands.
        let mut failed = None;
        for (offset, (op, _)) in chain.iter().enumerate() {
            let outcome = match self.decide(op, true) {
                Err(error) => {
                    failed = Some((offset, Err(error)));
                    break;
                }
                // A repeat (its stored outcome) or a refusal that is not journaled.
                Ok(engine::Decided::Answer(outcome)) => outcome,
                Ok(engine::Decided::Apply(plan)) if !atomic => self.commit(plan, true, None),
                Ok(engine::Decided::Apply(plan)) if plan.entry.code().is_success() => self.commit(plan, true, Some(&mut undo)),
                // A rejection in a chain: the chain fails here; it is not committed, so it has no
                // seq and nothing it would have done (a hold it would have expired) stands.
                Ok(engine::Decided::Apply(plan)) => unjournaled_outcome(plan.entry.code()),
            };
            if atomic && !outcome.code.is_success() {
                failed = Some((offset, Ok(outcome)));
                break;
            }
            outcomes.push(outcome);
        }
        let Some((offset, failure)) = failed else {
            return Ok(());
        };
        self.rollback(undo, clock, head, journal_len);
        let mut failing = Some(failure.map_err(|error| (offset, error))?);
        outcomes.truncate(first);
        for index in 0..chain.len() {
            outcomes.push(match failing.take_if(|_| index == offset) {
                Some(outcome) => outcome,
                None => unjournaled_outcome(LedgerCode::LinkedOperationFailed),
            });
        }
        Ok(())
    }

    /// Opens an account. Codes: `ACCOUNT_OPENED`, `ACCOUNT_EXISTS`, `ACCOUNTS_FULL` (and the
    /// common ones). Errors: `INVALID_ARGUMENT` about `"idempotencyKey"`, `"now"`,
    /// `"accountId"` or `"creditLimit"`; `CURRENCY_UNKNOWN` about `"currency"`; `AMOUNT_*` about
    /// `"creditLimit"`.
    pub fn open_account(&mut self, request: &OpenAccountRequest) -> Result<Outcome> {
        self.run(engine::validate_open_account(request)?)
    }

    /// Transfers an amount at once. Codes: see the module docs. Errors: `INVALID_ARGUMENT` about
    /// `"idempotencyKey"`, `"now"`, `"debitAccountId"`, `"creditAccountId"`;
    /// `CURRENCY_UNKNOWN` about `"currency"`; `AMOUNT_*` about `"amount"`.
    pub fn transfer(&mut self, request: &TransferRequest) -> Result<Outcome> {
        self.run(engine::validate_transfer(request)?)
    }

    /// Places a hold. Codes: see the module docs. Errors: as [`Ledger::transfer`], plus
    /// `"holdId"` and `"expiresAt"`.
    pub fn hold(&mut self, request: &HoldRequest) -> Result<Outcome> {
        self.run(engine::validate_hold(request)?)
    }

    /// Raises a pending hold. Codes: see the module docs.
    pub fn increment(&mut self, request: &IncrementRequest) -> Result<Outcome> {
        self.run(engine::validate_increment(request)?)
    }

    /// Gives a pending hold a later deadline. Codes: see the module docs.
    pub fn extend(&mut self, request: &ExtendRequest) -> Result<Outcome> {
        self.run(engine::validate_extend(request)?)
    }

    /// Captures from a pending hold (partial, final or whole). Codes: see the module docs.
    pub fn post(&mut self, request: &PostRequest) -> Result<Outcome> {
        self.run(engine::validate_post(request)?)
    }

    /// Releases a pending hold. Codes: see the module docs.
    pub fn void(&mut self, request: &VoidRequest) -> Result<Outcome> {
        self.run(engine::validate_void(request)?)
    }

    /// Expires the holds due at `now` (at most [`EXPIRE_BATCH_MAX`]). Codes:
    /// `DUE_HOLDS_EXPIRED`, `MORE_HOLDS_DUE`.
    pub fn expire_due(&mut self, request: &ExpireDueRequest) -> Result<Outcome> {
        self.run(engine::validate_expire_due(request)?)
    }

    /// Changes a credit line's limit. Codes: see the module docs.
    pub fn set_credit_limit(&mut self, request: &SetCreditLimitRequest) -> Result<Outcome> {
        self.run(engine::validate_set_credit_limit(request)?)
    }

    /// Closes an empty account. Codes: see the module docs.
    pub fn close_account(&mut self, request: &CloseAccountRequest) -> Result<Outcome> {
        self.run(engine::validate_close_account(request)?)
    }

    /// Says who keeps the idempotency keys the window no longer holds, and how many keys the
    /// window holds. Codes: `KEY_RETENTION_SET`, `KEY_WINDOW_BELOW_KEYS` (and the common ones).
    pub fn set_key_retention(&mut self, request: &SetKeyRetentionRequest) -> Result<Outcome> {
        self.run(engine::validate_set_key_retention(request)?)
    }

    /// Who keeps the idempotency keys the window no longer holds (see the module docs,
    /// *Idempotency*).
    pub fn keys_kept_by(&self) -> KeysKeptBy {
        self.keys_kept_by
    }

    /// Most idempotency keys this ledger retains (set by `setKeyRetention`'s `keyWindow`).
    pub fn key_window(&self) -> usize {
        self.key_window
    }

    /// Whether `n` new idempotency keys taken at `now`, one after another, would all be kept
    /// (none refused with `IDEMPOTENCY_KEYS_FULL`): for a caller that takes several keys in a
    /// row that must succeed all or none (operations a linked chain cannot hold, such as
    /// `openAccount`).
    pub fn keys_fit(&self, n: usize, now: i64) -> bool {
        let evicted = (self.keys.len().saturating_add(n)).saturating_sub(self.key_window);
        if evicted == 0 || self.keys_kept_by == KeysKeptBy::Store {
            return true;
        }
        let now = now.max(self.clock);
        // The keys that would be evicted are the oldest `evicted` (the order is by time): the
        // youngest of them must be past its retention.
        match evicted.checked_sub(1).and_then(|i| self.key_order.get(i)) {
            Some(&(_, handle)) => self.keys.at(handle).is_some_and(|r| r.time.saturating_add(IDEMPOTENCY_KEY_RETENTION_S) <= now),
            None => false,
        }
    }

    /// Sets how many accounts and pending holds the ledger may hold (see the module docs,
    /// *Capacity*). Codes: `CAPACITY_SET`, `CAPACITY_BELOW_COUNTS` (and the common ones).
    pub fn set_capacity(&mut self, request: &SetCapacityRequest) -> Result<Outcome> {
        self.run(engine::validate_set_capacity(request)?)
    }

    /// Most accounts this ledger may hold (set by `setCapacity`; [`ACCOUNTS_MAX`] by default).
    pub fn accounts_max(&self) -> usize {
        self.accounts_max
    }

    /// Most pending holds this ledger may hold (set by `setCapacity`; [`HOLDS_MAX`] by default).
    pub fn holds_max(&self) -> usize {
        self.holds_max
    }

    /// The retained record of the key with journal seq `seq`, if any.
    fn key_of_seq(&self, seq: u64) -> Option<&KeyRecord> {
        let at = self.key_order.binary_search_by_key(&seq, |(s, _)| *s).ok()?;
        self.key_order.get(at).and_then(|&(_, handle)| self.keys.at(handle))
    }

    /// Answers a repeat of an operation whose key this ledger no longer retains from the journal
    /// entry that decided it (kept by the store, [`KeysKeptBy::Store`]), as the ledger answers a
    /// key it retains with code and seq only: the same request → the entry's code and seq with
    /// `repeated: true`, `hold: null`, no `expired`; a different request under the key →
    /// `IDEMPOTENCY_KEY_REUSED` (`seq` 0). Changes nothing. `None` when this ledger retains the
    /// key itself: run the operation, the ledger answers it.
    ///
    /// The entry's bytes are not authenticated here (only decoded and checked for canonical form):
    /// the caller reads them from storage it authenticates.
    ///
    /// Errors: as [`Ledger::execute`] for a malformed operation (about its field);
    /// `JOURNAL_INVALID` about `"entry"` when the bytes are not a journal entry, or when the
    /// entry's idempotency key is not the operation's.
    pub fn answer_from_entry(&self, operation: &Operation, entry: &[u8]) -> Result<Option<Outcome>> {
        let op = engine::validate(operation)?;
        let at = |e: Error| Error::new(e.code(), "entry", e.message());
        let (seq, stored, code) = journal::entry_parts(entry).map_err(at)?;
        if stored.key != op.key {
            return Err(Error::new(
                ErrorCode::JournalInvalid,
                "entry",
                "the entry's idempotency key is not the operation's",
            ));
        }
        if self.keys.contains_key(op.key.as_str()) {
            return Ok(None);
        }
        Ok(Some(if codec::OpBytes::new(&stored).fingerprint() == codec::OpBytes::new(&op).fingerprint() {
            Outcome {
                code,
                seq,
                repeated: true,
                hold: None,
                expired: Vec::new(),
            }
        } else {
            unjournaled_outcome(LedgerCode::IdempotencyKeyReused)
        }))
    }

    /// The idempotency key and effective time (Unix seconds) of each retained journal entry
    /// with a seq above `after_seq`, oldest first: what a store indexes with the entries it
    /// persists ([`KeysKeptBy::Store`]). At most [`JOURNAL_ENTRIES_RETAINED_MAX`].
    ///
    /// Errors: `INTERNAL` if a retained entry's key is not in the window (it always is: the
    /// window holds far more keys than the retained journal entries).
    pub fn journal_keys(&self, after_seq: u64) -> Result<Vec<JournalKey>> {
        // Bounded by the retained journal (JOURNAL_ENTRIES_RETAINED_MAX).
        let mut out = Vec::new();
        for entry in self.journal.iter().filter(|entry| entry.seq() > after_seq) {
            let record = self
                .key_of_seq(entry.seq())
                .ok_or_else(|| engine::internal("a retained journal entry's key is not in the window"))?;
            out.push(JournalKey {
                seq: record.seq,
                idempotency_key: record.key.to_string(),
                time: record.time,
            });
        }
        Ok(out)
    }

    /// An account's stored state (overdue holds still count until expired).
    pub fn account(&self, account_id: &str) -> Option<AccountView> {
        self.accounts.get(account_id).map(|a| self.account_view(a))
    }

    /// Every account, by id.
    pub fn accounts(&self) -> Vec<AccountView> {
        self.accounts
            .values()
            .map(|a| self.account_view(a))
            .collect()
    }

    /// A retained hold.
    pub fn hold_view(&self, hold_id: &str) -> Option<HoldView> {
        self.holds.get(hold_id).map(Hold::view)
    }

    /// The pending holds, by deadline then id.
    pub fn pending_holds(&self) -> Vec<HoldView> {
        // The index orders ties by handle: each deadline's holds are put in id order. At most
        // HOLDS_MAX.
        let mut pending: Vec<(u64, &str)> = Vec::new();
        for &(deadline, at) in &self.deadlines {
            if let Some(hold) = self.holds.at(at) {
                insert_in_order(&mut pending, (deadline, &hold.id), usize::MAX);
            }
        }
        pending.iter().filter_map(|(_, id)| self.holds.get(id)).map(Hold::view).collect()
    }

    /// The latest effective time seen, Unix seconds.
    pub fn clock(&self) -> i64 {
        self.clock
    }

    /// The journal head: the last entry's seq and hash (seq 0 and [`GENESIS_HASH`] when empty).
    pub fn head(&self) -> JournalHead {
        self.head
    }

    /// The sizes of the collections.
    pub fn counts(&self) -> LedgerCounts {
        LedgerCounts {
            accounts: self.accounts.len(),
            holds_pending: self.deadlines.len(),
            holds_resolved: self.resolved.len(),
            idempotency_keys: self.keys.len(),
            journal_retained: self.journal.len(),
        }
    }

    /// The retained journal entries (not yet truncated), oldest first, ending at the head.
    pub fn journal(&self) -> &[JournalEntry] {
        &self.journal
    }

    /// Forgets the retained entries up to and including `through_seq` (after the caller
    /// persisted them).
    ///
    /// Errors: `INVALID_ARGUMENT` about `"throughSeq"` when above the head's seq.
    pub fn truncate_journal(&mut self, through_seq: u64) -> Result<()> {
        journal::truncate(self, through_seq)
    }

    /// Rebuilds a ledger by replaying a journal from its first entry (seq 1), verifying the hash
    /// chain and that every entry's operation gives exactly its recorded result.
    ///
    /// Errors: `JOURNAL_INVALID` about `"entries"` (malformed entry, wrong seq or prevHash: a
    /// broken chain); `JOURNAL_MISMATCH` about `"entries"` (re-executing an entry gives another
    /// result); `LIMIT_EXCEEDED` (more than [`REPLAY_ENTRIES_MAX`] entries).
    pub fn replay<B: AsRef<[u8]>>(entries: &[B]) -> Result<Ledger> {
        let mut ledger = Ledger::new();
        ledger.apply_journal(entries)?;
        Ok(ledger)
    }

    /// Applies journal entries that continue this ledger's head (after [`Ledger::restore`]),
    /// all or nothing. The applied entries are not retained (they are already persisted).
    ///
    /// Errors: as [`Ledger::replay`]; the ledger is unchanged.
    pub fn apply_journal<B: AsRef<[u8]>>(&mut self, entries: &[B]) -> Result<()> {
        journal::apply(self, entries)
    }

    /// The whole state as authenticated bytes (format in `snapshot.rs`); the retained journal
    /// entries are not included.
    ///
    /// Errors: `KEY_INVALID` about `"snapshotKey"` (must be 32 bytes).
    pub fn snapshot(&self, snapshot_key: &[u8]) -> Result<Vec<u8>> {
        snapshot::seal(self, snapshot_key)
    }

    /// A ledger from [`Ledger::snapshot`] bytes (with an empty retained journal).
    ///
    /// Errors: `KEY_INVALID` about `"snapshotKey"`; `SNAPSHOT_VERSION_UNSUPPORTED` and
    /// `SNAPSHOT_INVALID` (truncated, tampered, wrong key, inconsistent) about `"snapshot"`.
    pub fn restore(bytes: &[u8], snapshot_key: &[u8]) -> Result<Ledger> {
        snapshot::open(bytes, snapshot_key)
    }

    /// SHA-256 of the state's canonical encoding (a snapshot's body): equal digests mean equal
    /// ledgers (the retained journal aside).
    pub fn state_digest(&self) -> [u8; 32] {
        crate::crypto::sha256(&codec::state_bytes(self))
    }

    /// Checks every invariant over the whole state: conservation per currency, pending totals
    /// equal to the pending holds, account rules, bounds, indexes, the retained journal's chain.
    ///
    /// Errors: `INTERNAL` naming the broken invariant.
    pub fn check_invariants(&self) -> Result<()> {
        invariants::check_all(self)
    }

    /// Whether a derived index of this ledger (`mine`) names the same holds, by id, as `theirs`
    /// of `other`: the same length, and every entry found there with the other ledger's handles
    /// (its key an account's handle when `by_account`, translated by the account's id). At most
    /// the index's length lookups.
    fn same_index(&self, mine: &BTreeSet<(u64, u32)>, other: &Ledger, theirs: &BTreeSet<(u64, u32)>, by_account: bool) -> bool {
        let translate = |&(key, at): &(u64, u32)| -> Option<(u64, u32)> {
            let hold = other.holds.handle(&self.holds.at(at)?.id)?;
            let key = match by_account {
                true => u64::from(other.accounts.handle(&self.accounts.at(u32::try_from(key).ok()?)?.id)?),
                false => key,
            };
            Some((key, hold))
        };
        mine.len() == theirs.len() && mine.iter().all(|entry| translate(entry).is_some_and(|found| theirs.contains(&found)))
    }

    /// Whether `other` retains the same keys in the same order, each with the same record (the
    /// queues hold handles, which differ between equal ledgers).
    fn same_key_order(&self, other: &Ledger) -> bool {
        self.key_order.len() == other.key_order.len()
            && self
                .key_order
                .iter()
                .zip(other.key_order.iter())
                .all(|(&(seq, at), &(their_seq, their_at))| seq == their_seq && self.keys.at(at) == other.keys.at(their_at))
    }

    fn account_view(&self, account: &Account) -> AccountView {
        let scale = account.currency.0.minor_units();
        let units = |value: u128| crate::money::minor_units_text(value as i128, scale);
        let pending_holds = self.debit_holds.of(account.debit_holds).count();
        AccountView {
            account_id: account.id.as_str().to_owned(),
            currency: account.currency.0.code().to_owned(),
            kind: account.kind,
            credit_limit: (account.kind == AccountKind::CreditLine)
                .then(|| units(account.credit_limit)),
            closed: account.closed,
            balance: crate::money::minor_units_text(account.balance(), scale),
            available: account.available().map(|a| crate::money::minor_units_text(a, scale)),
            debits_posted: units(account.debits_posted),
            credits_posted: units(account.credits_posted),
            debits_pending: units(account.debits_pending),
            credits_pending: units(account.credits_pending),
            pending_holds: u32::try_from(pending_holds).unwrap_or(u32::MAX),
        }
    }
}

impl Hold {
    fn view(&self) -> HoldView {
        let scale = self.currency.0.minor_units();
        let units = |value: u128| crate::money::minor_units_text(value as i128, scale);
        HoldView {
            hold_id: self.id.clone(),
            debit_account_id: self.debit.clone(),
            credit_account_id: self.credit.clone(),
            currency: self.currency.0.code().to_owned(),
            state: self.state,
            amount: units(self.total().unwrap_or(u128::MAX)),
            pending: units(self.pending),
            posted: units(self.posted),
            released: units(self.released),
            expires_at: self.expires_at,
        }
    }
}

impl Verdict {
    /// Keeps the code only: the record has left the newest IDEMPOTENCY_OUTCOMES_MAX. Returns
    /// the whole verdict it was (for a linked chain's undo log).
    fn compact(&mut self) -> Verdict {
        Verdict {
            code: self.code,
            hold: self.hold.take(),
            expired: core::mem::take(&mut self.expired),
        }
    }

    fn outcome(&self, seq: u64, repeated: bool) -> Outcome {
        Outcome {
            code: self.code,
            seq,
            repeated,
            hold: self.hold.as_deref().map(Hold::view),
            expired: self.expired.clone(),
        }
    }
}

/// An outcome with nothing journaled (`seq` 0), no hold view and no expiries: a refusal that is
/// not journaled, or a chain member that did not stand (whatever it decided was taken back).
pub(super) fn unjournaled_outcome(code: LedgerCode) -> Outcome {
    Outcome {
        code,
        seq: 0,
        repeated: false,
        hold: None,
        expired: Vec::new(),
    }
}

/// Whether `id` is a valid id: 1..=ID_BYTES_MAX UTF-8 bytes, no control characters.
pub fn id_ok(id: &str) -> bool {
    (1..=ID_BYTES_MAX).contains(&id.len()) && !id.chars().any(char::is_control)
}
