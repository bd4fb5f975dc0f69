//! System 4: a point of sale at event spaces with intermittent networks.
//!
//! A terminal at a festival or a hall takes payments while its connection comes and goes. It
//! must know how good the network is (without flapping), decide per payment whether to
//! authorise online or store the payment, refuse to store what its offline risk limits do not
//! allow, and keep what it stored in a crash-safe outbox that is forwarded to the acquirer
//! exactly once, in order, before a deadline.
//!
//! # Roles
//!
//! - the **terminal** ([`Terminal`]): this module. It holds the network state ([`network`]),
//!   the offline limits and the outbox ([`outbox`]). It has no clock, no randomness and no
//!   network: the SDK passes every observation with its time in ms since the Unix epoch, and the
//!   jitter of each backoff as a random `u32` it drew.
//! - the **acquirer**: outside the core (the SDK's reference acquirer is a Node HTTP server). It
//!   answers a forwarded payment by its idempotency key: the same key always gets the same
//!   answer, so a payment resent after a crash is not taken twice.
//!
//! # Inputs and states
//!
//! | input | what |
//! |---|---|
//! | [`Observation`] | what the SDK saw: the OS's online/offline events, a request's success or failure with its latency, a health probe's answer, a captive portal's answer; each with `atMs` |
//! | [`PaymentRequest`] | a payment (or a relay token) to route and maybe store: idempotency key, kind, amount and currency, the card's hash and type, an opaque payload |
//! | [`ForwardResult`] | the acquirer's answer to a forwarded entry (or that the call failed) |
//!
//! Network states: `unknown` (start, or the OS said the link is back), `online`, `degraded`
//! (failures or slow answers), `offline` ([`network`] has the transition table). Outbox entry
//! states: `stored` → `forwarding` → `forwardedApproved` / `forwardedDeclined` /
//! `failedPermanently` ([`outbox`] has the table).
//!
//! # Routing a payment (one code per outcome)
//!
//! [`Terminal::route`] decides from the processing mode and the network state:
//!
//! | mode | online / unknown | degraded | offline |
//! |---|---|---|---|
//! | `requireOnline` | `ONLINE` | `ONLINE` | `REFUSED_OFFLINE` |
//! | `preferOnline` | `ONLINE_OR_STORE` | `ONLINE_OR_STORE` | `STORE_OFFLINE` |
//! | `forceOffline` | `STORE_FORCED` | `STORE_FORCED` | `STORE_FORCED` |
//! | `auto` | `ONLINE_OR_STORE` | `STORE_DEGRADED` | `STORE_OFFLINE` |
//!
//! `ONLINE_OR_STORE` authorises online and, when that call fails without an answer, stores the
//! payment under the same idempotency key (forwarding it later cannot take it twice).
//!
//! # Storing: the offline limits, checked in this order
//!
//! [`Terminal::store`] refuses with the first code that applies, **before anything is
//! recorded** (a refusal changes nothing):
//!
//! 1. `ALREADY_STORED` — the key is in the outbox with the same request (the entry is returned,
//!    nothing changes); the same key with another request is the error `IDEMPOTENCY_CONFLICT`.
//! 2. `CURRENCY_NOT_OFFLINE` — no offline limit is configured for the currency.
//! 3. `QUEUE_TOO_OLD` — the oldest payment still waiting was stored more than `maxAgeMs` ago
//!    (forward before storing more).
//! 4. `CARD_TYPE_NOT_OFFLINE` — floor limits are configured and none names this card type in
//!    this currency (an entry without a card type, a relay token, has no floor limit).
//! 5. `FLOOR_LIMIT_EXCEEDED` — above the card type's floor limit in the currency.
//! 6. `PAYMENT_LIMIT_EXCEEDED` — above the per-payment limit (the limits primitive's
//!    per-transaction limit `payment` in the currency's set).
//! 7. `COUNT_LIMIT_REACHED` — the stored count would pass `countMax` (lifetime count limit
//!    `count`, one set for every currency).
//! 8. `TOTAL_LIMIT_REACHED` — the stored total in the currency would pass `totalMax` (lifetime
//!    amount limit `total` in the currency's set: the primitive counts one currency per amount
//!    limit and calls another a mismatch, so each currency has its own set).
//! 9. `CARD_COUNT_LIMIT_REACHED` / `CARD_TOTAL_LIMIT_REACHED` — payments of this card (its hash)
//!    waiting in the outbox would pass `cardCountMax` / the currency's `cardTotalMax`.
//! 10. `STORED` — appended to the outbox.
//!
//! The stored count and totals are the limits primitive's counters; a payment that leaves the
//! waiting states gives its count and amount back. The outbox is the truth and the counters are
//! derived from it: they are rebuilt from the waiting entries when one leaves (the primitive
//! retains [`crate::limits::TRANSACTIONS_RETAINED_MAX`] records for reversal, the outbox holds
//! up to [`OUTBOX_PENDING_MAX`]) and on restore.
//!
//! # Limits
//!
//! | name | value | unit | what |
//! |---|---:|---|---|
//! | [`TIME_MS_MAX`] | 2^53 − 1 | ms | every time |
//! | [`ID_BYTES_MAX`] | 64 | bytes | a terminal id, idempotency key or card type |
//! | [`PAYLOAD_BYTES_MAX`] | 2,048 | bytes | an entry's opaque payload |
//! | [`OUTBOX_PENDING_MAX`] | 1,000 | entries | waiting (`stored` or `forwarding`) at once; `countMax` may lower it |
//! | [`OUTBOX_FINISHED_MAX`] | 256 | entries | finished entries kept for the record (the oldest dropped first) |
//! | [`OFFLINE_CURRENCIES_MAX`] | 7 | currencies | with offline limits (two limits each plus the count: the primitive holds 16) |
//! | [`FLOOR_LIMITS_MAX`] | 32 | floor limits | card type × currency |
//! | [`DEADLINE_MS_MAX`] | 604,800,000 | ms | an entry's deadline after storing (7 days; default 24 h) |
//! | [`BACKOFF_MS_MAX`] | 3,600,000 | ms | the longest backoff (1 h) |
//! | [`network::COUNT_MAX`] | 100 | observations | a hysteresis count |
//! | [`network::HOLD_MS_MAX`] | 3,600,000 | ms | a hysteresis duration |

pub mod network;
pub mod outbox;
mod codec;
#[cfg(test)]
mod tests;

use serde::{Deserialize, Serialize};

use crate::error::{Error, ErrorCode, Result};
use crate::limits::outcome_codes;

pub use network::{NetworkConfig, NetworkMonitor, NetworkState, NetworkStatus, Observation, Transition};
pub use outbox::{
    Entry, EntryState, ForwardOutcome, ForwardResult, OutboxEvent, OutboxEventKind, QueueExport, StoreOutcome,
    Terminal, TerminalStatus, TickOutcome, Totals,
};
pub use network::NetworkReason;
pub use codec::SNAPSHOT_TYPE;

/// The latest time accepted, ms since the Unix epoch (exact in a JavaScript number).
pub const TIME_MS_MAX: u64 = (1 << 53) - 1;
/// The longest terminal id, idempotency key or card type, UTF-8 bytes (printable ASCII).
pub const ID_BYTES_MAX: usize = 64;
/// The largest opaque payload of an entry, bytes (a relay token fits with room to spare).
pub const PAYLOAD_BYTES_MAX: usize = 2_048;
/// The most entries waiting in the outbox at once.
pub const OUTBOX_PENDING_MAX: usize = 1_000;
/// The most finished entries kept (for the record and `exportQueue`); the oldest is dropped first.
pub const OUTBOX_FINISHED_MAX: usize = 256;
/// The most currencies with offline limits.
pub const OFFLINE_CURRENCIES_MAX: usize = 7;
/// The most floor limits.
pub const FLOOR_LIMITS_MAX: usize = 32;
/// The longest deadline after storing, ms (7 days).
pub const DEADLINE_MS_MAX: u64 = 7 * 86_400_000;
/// The longest backoff between two forwarding attempts, ms (1 hour).
pub const BACKOFF_MS_MAX: u64 = 3_600_000;
/// The largest snapshot restored, bytes (a full outbox with full payloads, and room).
pub const SNAPSHOT_BYTES_MAX: usize = 8 * 1024 * 1024;
/// The snapshot format version this build writes (version 1 is migrated on restore).
pub const SNAPSHOT_FORMAT_VERSION: u32 = 2;

outcome_codes! {
    /// Outcome of a System 4 decision: a route, a store, a forwarding step. A refusal is a normal
    /// result with exactly one of these codes; an `Error` means the call itself was malformed.
    #[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "pos.ts"))]
    pub enum PosCode {
        // Routing (`Terminal::route`).
        /// Authorise online; do not store (requireOnline, and the network is not known to be offline).
        Online = "ONLINE",
        /// Authorise online; when the call fails without an answer, store the payment under the same key.
        OnlineOrStore = "ONLINE_OR_STORE",
        /// Store the payment: the network is offline.
        StoreOffline = "STORE_OFFLINE",
        /// Store the payment: the network is degraded and the mode is auto.
        StoreDegraded = "STORE_DEGRADED",
        /// Store the payment: the mode is forceOffline.
        StoreForced = "STORE_FORCED",
        /// Refused: the mode requires online and the network is offline.
        RefusedOffline = "REFUSED_OFFLINE",
        // Storing (`Terminal::store`, in check order).
        /// The key is already in the outbox with the same request: nothing changed.
        AlreadyStored = "ALREADY_STORED",
        /// No offline limit is configured for this currency.
        CurrencyNotOffline = "CURRENCY_NOT_OFFLINE",
        /// The oldest waiting payment is older than maxAgeMs: forward before storing more.
        QueueTooOld = "QUEUE_TOO_OLD",
        /// Floor limits are configured and none names this card type.
        CardTypeNotOffline = "CARD_TYPE_NOT_OFFLINE",
        /// Above the card type's floor limit.
        FloorLimitExceeded = "FLOOR_LIMIT_EXCEEDED",
        /// Above the per-payment offline limit.
        PaymentLimitExceeded = "PAYMENT_LIMIT_EXCEEDED",
        /// The number of stored payments would pass countMax.
        CountLimitReached = "COUNT_LIMIT_REACHED",
        /// The stored total in this currency would pass totalMax.
        TotalLimitReached = "TOTAL_LIMIT_REACHED",
        /// This card's waiting payments would pass cardCountMax.
        CardCountLimitReached = "CARD_COUNT_LIMIT_REACHED",
        /// This card's waiting total would pass cardTotalMax.
        CardTotalLimitReached = "CARD_TOTAL_LIMIT_REACHED",
        /// Stored in the outbox.
        Stored = "STORED",
        // Forwarding (`Terminal::begin_forward`, `Terminal::forward_result`).
        /// Nothing is waiting.
        NothingToForward = "NOTHING_TO_FORWARD",
        /// The next entry waits for its backoff (retryAtMs says until when).
        NotDue = "NOT_DUE",
        /// Send this entry to the acquirer now (its state is forwarding; a resend after a crash uses the same key).
        Forward = "FORWARD",
        /// The acquirer approved the entry.
        ForwardedApproved = "FORWARDED_APPROVED",
        /// The acquirer declined the entry.
        ForwardedDeclined = "FORWARDED_DECLINED",
        /// The call failed; the entry waits for its backoff and is tried again.
        RetryScheduled = "RETRY_SCHEDULED",
        /// The acquirer refused the entry for good, or its deadline passed.
        FailedPermanently = "FAILED_PERMANENTLY",
        /// The answer is for an entry that is not being forwarded (already answered: nothing changed).
        NotForwarding = "NOT_FORWARDING",
        // Dropping the outbox (`Terminal::check_drop`).
        /// The outbox holds no waiting entry: it may be dropped.
        DropAllowed = "DROP_ALLOWED",
        /// The outbox still holds waiting payments: it must not be dropped.
        OutboxNotEmpty = "OUTBOX_NOT_EMPTY",
    }
}

/// How one payment is to be processed (Stripe Terminal's offline behaviour, plus auto).
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "pos.ts", rename = "PosMode"))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Mode {
    /// Online authorisation only; refused when offline.
    RequireOnline,
    /// Online when the network may work, stored otherwise or when the online call fails.
    PreferOnline,
    /// Always stored.
    ForceOffline,
    /// The network state decides: online when online or unknown, stored when degraded or offline.
    Auto,
}

/// What [`Terminal::route`] decided, with the network state it decided on.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "pos.ts", rename = "PosRoute"))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Route {
    /// `ONLINE`, `ONLINE_OR_STORE`, `STORE_OFFLINE`, `STORE_DEGRADED`, `STORE_FORCED` or `REFUSED_OFFLINE`.
    pub code: PosCode,
    /// The network state the decision was made on.
    pub network: NetworkState,
}

/// The routing table of the module docs.
pub fn route(mode: Mode, state: NetworkState) -> PosCode {
    match (mode, state) {
        (Mode::ForceOffline, _) => PosCode::StoreForced,
        (Mode::RequireOnline, NetworkState::Offline) => PosCode::RefusedOffline,
        (Mode::RequireOnline, _) => PosCode::Online,
        (_, NetworkState::Offline) => PosCode::StoreOffline,
        (Mode::Auto, NetworkState::Degraded) => PosCode::StoreDegraded,
        (Mode::PreferOnline | Mode::Auto, _) => PosCode::OnlineOrStore,
    }
}

/// What an entry carries: a card payment, or a relay's payment token (System 5).
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "pos.ts", rename = "PosEntryKind"))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum EntryKind {
    /// A card payment: `cardHash` and `cardType` are required.
    Payment,
    /// A payment token carried for a phone (System 5's relay): the card fields are optional.
    Token,
}

/// A payment (or token) to store.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "pos.ts"))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PaymentRequest {
    /// The idempotency key (1..=64 printable ASCII bytes): the acquirer's key for this payment.
    pub idempotency_key: String,
    /// Payment or token.
    pub kind: EntryKind,
    /// The amount, a decimal string (`"12.50"`), strictly positive, no rounding.
    pub amount: String,
    /// ISO 4217 code.
    pub currency: String,
    /// SHA-256 of the card token, 64 lowercase hex digits (the SDK hashes; the core never sees the card).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub card_hash: Option<String>,
    /// The card type the floor limits are keyed by (`"visa-credit"`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub card_type: Option<String>,
    /// Opaque bytes forwarded as they are, lowercase hex (at most PAYLOAD_BYTES_MAX bytes).
    #[cfg_attr(feature = "ts", ts(as = "Option<String>", optional))]
    #[serde(default)]
    pub payload: String,
}

/// Offline limits of one currency.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "pos.ts"))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CurrencyLimits {
    /// ISO 4217 code.
    pub currency: String,
    /// The largest single payment stored offline.
    pub payment_max: String,
    /// The largest total waiting in the outbox.
    pub total_max: String,
    /// The largest total of one card waiting in the outbox (default: `totalMax`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub card_total_max: Option<String>,
}

/// A floor limit: the largest payment of a card type stored offline in a currency.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "pos.ts"))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FloorLimit {
    /// Card type (1..=64 printable ASCII bytes).
    pub card_type: String,
    /// ISO 4217 code.
    pub currency: String,
    /// The largest amount, decimal string.
    pub amount: String,
}

/// The offline risk limits.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "pos.ts"))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct OfflineLimits {
    /// Per currency (1..=OFFLINE_CURRENCIES_MAX, each currency once).
    pub currencies: Vec<CurrencyLimits>,
    /// The most payments waiting at once (1..=OUTBOX_PENDING_MAX).
    pub count_max: u32,
    /// The oldest a waiting payment may be before no more are stored, ms (1..=DEADLINE_MS_MAX).
    pub max_age_ms: u64,
    /// The most waiting payments of one card (default: countMax).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub card_count_max: Option<u32>,
    /// Floor limits by card type (at most FLOOR_LIMITS_MAX; none: every card type is stored).
    #[cfg_attr(feature = "ts", ts(as = "Option<Vec<FloorLimit>>", optional))]
    #[serde(default)]
    pub floor_limits: Vec<FloorLimit>,
}

/// The outbox's timing.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "pos.ts"))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct OutboxConfig {
    /// An entry's deadline after it was stored, ms (1..=DEADLINE_MS_MAX; 24 h is the usual).
    pub deadline_ms: u64,
    /// How long before its deadline an entry raises `nearingDeadline`, ms (< deadlineMs).
    pub nearing_ms: u64,
    /// The first backoff after a failed forward, ms (1..=BACKOFF_MS_MAX).
    pub backoff_base_ms: u64,
    /// The longest backoff, ms (backoffBaseMs..=BACKOFF_MS_MAX).
    pub backoff_max_ms: u64,
}

impl Default for OutboxConfig {
    /// 24 h to forward, warned 1 h before; backoff from 1 s doubling up to 5 min.
    fn default() -> Self {
        OutboxConfig { deadline_ms: 86_400_000, nearing_ms: 3_600_000, backoff_base_ms: 1_000, backoff_max_ms: 300_000 }
    }
}

/// A terminal's configuration.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "pos.ts"))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TerminalConfig {
    /// The terminal's id (1..=64 printable ASCII bytes).
    pub terminal_id: String,
    /// The offline risk limits.
    pub offline: OfflineLimits,
    /// Hysteresis of the network state (default: [`NetworkConfig::default`]).
    #[cfg_attr(feature = "ts", ts(as = "Option<NetworkConfig>", optional))]
    #[serde(default)]
    pub network: NetworkConfig,
    /// The outbox's timing (default: [`OutboxConfig::default`]).
    #[cfg_attr(feature = "ts", ts(as = "Option<OutboxConfig>", optional))]
    #[serde(default)]
    pub outbox: OutboxConfig,
}

// ------------------------------------------------------------------------------------------
// Shared checks
// ------------------------------------------------------------------------------------------

pub(crate) fn invalid(param: &'static str, message: impl Into<String>) -> Error {
    Error::new(ErrorCode::InvalidArgument, param, message)
}

/// A time in ms: 0..=TIME_MS_MAX.
pub(crate) fn check_time(t: u64, param: &'static str) -> Result<()> {
    if t > TIME_MS_MAX {
        return Err(invalid(param, format!("must be at most {TIME_MS_MAX} ms, got {t}")));
    }
    Ok(())
}

/// An id: 1..=ID_BYTES_MAX printable ASCII bytes (so it is safe in a storage key and a URL).
pub(crate) fn check_id(id: &str, param: &'static str) -> Result<()> {
    if id.is_empty() || id.len() > ID_BYTES_MAX || !id.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(invalid(param, format!("must be 1 to {ID_BYTES_MAX} printable ASCII characters without spaces")));
    }
    Ok(())
}

/// Lowercase hex digits into bytes (even length), at most `max` bytes.
pub(crate) fn parse_hex(text: &str, max: usize, param: &'static str) -> Result<Vec<u8>> {
    let bytes = text.as_bytes();
    if bytes.len() % 2 != 0 || bytes.len() / 2 > max {
        return Err(invalid(param, format!("must be an even number of lowercase hex digits, at most {max} bytes")));
    }
    let digit = |c: u8| match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        _ => None,
    };
    let mut out = Vec::with_capacity(bytes.len() / 2);
    for pair in bytes.chunks_exact(2) {
        match (pair.first().copied().and_then(digit), pair.get(1).copied().and_then(digit)) {
            (Some(hi), Some(lo)) => out.push(hi << 4 | lo),
            _ => return Err(invalid(param, "must be lowercase hex digits")),
        }
    }
    Ok(out)
}

/// Bytes as lowercase hex.
pub(crate) fn to_hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        for nibble in [b >> 4, b & 15] {
            out.push(char::from(DIGITS.get(usize::from(nibble)).copied().unwrap_or(b'0')));
        }
    }
    out
}
