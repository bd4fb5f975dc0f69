//! The terminal: network state, offline limits and the outbox.
//!
//! # The outbox
//!
//! Every stored payment (or relay token) is an [`Entry`] with its idempotency key, its amount
//! and currency, the card's hash and type, an opaque payload forwarded as it is, the time it was
//! stored and its deadline (`storedAtMs + deadlineMs`).
//!
//! | state | entered by | leaves by |
//! |---|---|---|
//! | `stored` | [`Terminal::store`]; a retryable failure | [`Terminal::begin_forward`] when it is the head and due (or `flush`) |
//! | `forwarding` | `begin_forward` | [`Terminal::forward_result`] |
//! | `forwardedApproved` | the acquirer approved | — (final) |
//! | `forwardedDeclined` | the acquirer declined | — (final) |
//! | `failedPermanently` | the acquirer refused for good, a retry after the deadline, or [`Terminal::tick`] finding the head `stored` past its deadline | — (final) |
//!
//! **In order**: only the head (the first entry still waiting) is forwarded; the rest wait
//! behind it. So the finished entries are always a prefix of the outbox; the oldest of them are
//! dropped beyond [`OUTBOX_FINISHED_MAX`](super::OUTBOX_FINISHED_MAX) (their totals stay in
//! [`Totals`]). An entry found `forwarding` (the process died while the request was out) is
//! sent again with the same key: the acquirer answers a key it has seen with the answer it gave.
//!
//! **Backoff**: after the `n`-th failed attempt, `delay = min(backoffMaxMs, backoffBaseMs · 2^(n−1))`
//! and the entry waits `delay/2 + floor((delay − delay/2) · jitter / 2^32)` ms (“equal jitter”:
//! at least half the delay, so retries of many terminals spread without hammering). `jitter` is
//! a `u32` the SDK draws: the core has no randomness. `begin_forward` with `flush: true` ignores
//! the wait (the cashier's “forward now”).
//!
//! **Deadline**: [`Terminal::tick`] raises `nearingDeadline` once per entry when
//! `now ≥ deadline − nearingMs`, and fails the head with `DEADLINE_PASSED` while it is `stored` at
//! or past its deadline (storing times never decrease and every entry has the same `deadlineMs`,
//! so deadlines never decrease along the queue: failing only the head keeps the order). An entry
//! being forwarded is not failed by the clock (its answer may already be committed); a retryable
//! failure at or past its deadline fails it.
//!
//! **Hash chain**: each entry's `hash` is
//! `SHA-256("countersign.pos.entry.v1" ‖ 0x00 ‖ previous hash ‖ record)`, the record being the
//! UTF-8 lines `seq, idempotencyKey, kind, amount, currency, cardHash, cardType, payload,
//! storedAtMs, deadlineMs` joined by `\n` (absent fields empty; no field can hold a newline). The
//! first entry chains from 32 zero bytes; when finished entries are dropped, `anchorHash` keeps
//! the hash of the last one dropped. [`Terminal::verify_chain`] recomputes it; restore refuses a
//! snapshot whose chain does not verify.
//!
//! **Dropping**: [`Terminal::check_drop`] is `OUTBOX_NOT_EMPTY` while any entry waits (the SDK
//! refuses to delete a terminal's state then: a sign-out or an upgrade must not lose payments).

use serde::{Deserialize, Serialize};

use super::network::{NetworkMonitor, NetworkStatus, Observation, Transition};
use super::{
    check_id, check_time, invalid, parse_hex, route, to_hex, EntryKind, Mode, PaymentRequest, PosCode, Route,
    TerminalConfig, BACKOFF_MS_MAX, DEADLINE_MS_MAX, FLOOR_LIMITS_MAX, OFFLINE_CURRENCIES_MAX, OUTBOX_FINISHED_MAX,
    OUTBOX_PENDING_MAX, PAYLOAD_BYTES_MAX,
};
use crate::crypto::sha256;
use crate::error::{Error, ErrorCode, Result};
use crate::limits::{self, CheckMode, CountingPolicy, LimitSpec, Limits, Measure, TimeZones, Usage, Window};
use crate::money::{Amount, Currency};

/// The domain separator of the entry hash chain.
pub(crate) const CHAIN_DOMAIN: &[u8] = b"countersign.pos.entry.v1\0";
/// The hash the first entry chains from.
pub(crate) const CHAIN_START: [u8; 32] = [0; 32];

/// Where an entry is (see the module docs).
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "pos.ts"))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum EntryState {
    /// Waiting to be forwarded.
    Stored,
    /// Sent (or about to be) to the acquirer.
    Forwarding,
    /// The acquirer approved it.
    ForwardedApproved,
    /// The acquirer declined it.
    ForwardedDeclined,
    /// Refused for good, or its deadline passed.
    FailedPermanently,
}

impl EntryState {
    /// Still waiting (stored or forwarding).
    pub fn is_pending(self) -> bool {
        matches!(self, EntryState::Stored | EntryState::Forwarding)
    }
}

/// One outbox entry.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "pos.ts", rename = "PosEntry"))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Entry {
    /// Position in the outbox, from 1, never reused.
    pub seq: u64,
    /// The idempotency key.
    pub idempotency_key: String,
    /// Payment or token.
    pub kind: EntryKind,
    /// Canonical decimal amount (`"12.50"`).
    pub amount: String,
    /// ISO 4217 code.
    pub currency: String,
    /// The card's hash (hex), if any.
    pub card_hash: Option<String>,
    /// The card type, if any.
    pub card_type: Option<String>,
    /// The opaque payload, lowercase hex.
    pub payload: String,
    /// When it was stored, ms.
    pub stored_at_ms: u64,
    /// When it must have been forwarded, ms.
    pub deadline_ms: u64,
    /// Its state.
    pub state: EntryState,
    /// Forwarding attempts so far.
    pub attempts: u32,
    /// The earliest time of the next attempt, ms (0: now).
    pub next_attempt_at_ms: u64,
    /// Whether `nearingDeadline` was raised.
    pub nearing_notified: bool,
    /// The acquirer's code (approval code, decline or failure reason), or `DEADLINE_PASSED`.
    pub result_code: Option<String>,
    /// When it reached its final state, ms.
    pub finished_at_ms: Option<u64>,
    /// Its chain hash, lowercase hex.
    pub hash: String,
}

impl Entry {
    /// The record its chain hash covers (module docs).
    pub(crate) fn chain_record(&self) -> String {
        let kind = match self.kind {
            EntryKind::Payment => "payment",
            EntryKind::Token => "token",
        };
        [
            self.seq.to_string().as_str(),
            &self.idempotency_key,
            kind,
            &self.amount,
            &self.currency,
            self.card_hash.as_deref().unwrap_or(""),
            self.card_type.as_deref().unwrap_or(""),
            &self.payload,
            self.stored_at_ms.to_string().as_str(),
            self.deadline_ms.to_string().as_str(),
        ]
        .join("\n")
    }

    /// `SHA-256(domain ‖ previous ‖ record)`.
    pub(crate) fn chain_hash(&self, previous: &[u8; 32]) -> [u8; 32] {
        let record = self.chain_record();
        let mut input = Vec::with_capacity(CHAIN_DOMAIN.len() + 32 + record.len());
        input.extend_from_slice(CHAIN_DOMAIN);
        input.extend_from_slice(previous);
        input.extend_from_slice(record.as_bytes());
        sha256(&input)
    }

    fn same_request(&self, other: &Entry) -> bool {
        self.idempotency_key == other.idempotency_key
            && self.kind == other.kind
            && self.amount == other.amount
            && self.currency == other.currency
            && self.card_hash == other.card_hash
            && self.card_type == other.card_type
            && self.payload == other.payload
    }
}

/// What [`Terminal::store`] did.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "pos.ts"))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StoreOutcome {
    /// `STORED`, `ALREADY_STORED` or the refusal (module docs' check order).
    pub code: PosCode,
    /// The entry (stored, or already there); none when refused.
    pub entry: Option<Entry>,
}

/// The acquirer's answer to a forwarded entry (`kind` tags it).
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "pos.ts"))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "camelCase", deny_unknown_fields)]
pub enum ForwardResult {
    /// Approved, with the acquirer's approval code.
    Approved {
        /// 1..=64 printable ASCII.
        code: String,
    },
    /// Declined, with the acquirer's reason.
    Declined {
        /// 1..=64 printable ASCII.
        code: String,
    },
    /// The call failed without an answer (network, timeout, 5xx): try again later.
    Retry {
        /// Why, 1..=64 printable ASCII.
        code: String,
    },
    /// The acquirer refused the entry for good (malformed, key conflict).
    Permanent {
        /// Why, 1..=64 printable ASCII.
        code: String,
    },
}

/// What a forwarding step did.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "pos.ts"))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ForwardOutcome {
    /// `begin_forward`: `NOTHING_TO_FORWARD`, `NOT_DUE` or `FORWARD`; `forward_result`:
    /// `FORWARDED_APPROVED`, `FORWARDED_DECLINED`, `RETRY_SCHEDULED`, `FAILED_PERMANENTLY` or `NOT_FORWARDING`.
    pub code: PosCode,
    /// The entry concerned.
    pub entry: Option<Entry>,
    /// When the next attempt may start, ms (`NOT_DUE`, `RETRY_SCHEDULED`).
    pub retry_at_ms: Option<u64>,
}

/// An event of [`Terminal::tick`].
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "pos.ts", rename = "PosOutboxEvent"))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OutboxEvent {
    /// `nearingDeadline` or `failed`.
    pub kind: OutboxEventKind,
    /// The entry after the event.
    pub entry: Entry,
}

/// What happened to an entry on a tick.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "pos.ts", rename = "PosOutboxEventKind"))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum OutboxEventKind {
    /// Its deadline is less than nearingMs away.
    NearingDeadline,
    /// It failed: its deadline passed.
    Failed,
}

/// What [`Terminal::tick`] found.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "pos.ts"))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TickOutcome {
    /// In outbox order.
    pub events: Vec<OutboxEvent>,
}

/// Per currency: what waits, and what was forwarded since the terminal was made (the terminal's
/// record, kept when finished entries are dropped).
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "pos.ts", rename = "PosTotals"))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Totals {
    /// ISO 4217 code.
    pub currency: String,
    /// Waiting entries.
    pub pending_count: u64,
    /// Their total (decimal string).
    pub pending_amount: String,
    /// The offline limit on that total.
    pub pending_max: String,
    /// Approved by the acquirer so far.
    pub approved_count: u64,
    /// Their total.
    pub approved_amount: String,
    /// Declined so far.
    pub declined_count: u64,
    /// Failed permanently so far.
    pub failed_count: u64,
}

/// The outbox as exported (`exportQueue`): every kept entry, the chain and the totals.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "pos.ts"))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct QueueExport {
    /// The terminal.
    pub terminal_id: String,
    /// The snapshot format version of this build.
    pub schema_version: u32,
    /// The hash the first kept entry chains from (hex).
    pub anchor_hash: String,
    /// The last entry's hash (the anchor when empty).
    pub head_hash: String,
    /// Whether the chain verifies.
    pub chain_valid: bool,
    /// Entries in order.
    pub entries: Vec<Entry>,
    /// Per currency.
    pub totals: Vec<Totals>,
}

/// The terminal's state at a glance (for a status line or a chart).
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "pos.ts", rename = "PosTerminalStatus"))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TerminalStatus {
    /// The network.
    pub network: NetworkStatus,
    /// Waiting entries.
    pub pending_count: u64,
    /// The offline count limit.
    pub count_max: u32,
    /// When the oldest waiting entry was stored, ms.
    pub oldest_stored_at_ms: Option<u64>,
    /// Per currency.
    pub totals: Vec<Totals>,
}

/// Cumulative record of one currency.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Record {
    pub(crate) currency: &'static Currency,
    pub(crate) approved_count: u64,
    pub(crate) approved_minor: u128,
    pub(crate) declined_count: u64,
    pub(crate) failed_count: u64,
}

/// A point-of-sale terminal (module docs of [`super`] and of this module).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Terminal {
    pub(crate) config: TerminalConfig,
    pub(crate) network: NetworkMonitor,
    /// The stored count and totals (derived from the waiting entries): `[0]` the count, then one
    /// set per currency in config order (the primitive refuses an amount in another currency as
    /// a mismatch, so each currency has its own set).
    pub(crate) limits: Vec<Limits>,
    pub(crate) entries: Vec<Entry>,
    pub(crate) anchor: [u8; 32],
    pub(crate) next_seq: u64,
    pub(crate) last_ms: u64,
    pub(crate) records: Vec<Record>,
    pub(crate) revision: u64,
}

fn parse_amount(text: &str, currency: &'static Currency, param: &'static str) -> Result<Amount> {
    let amount = Amount::parse(text, currency, None).map_err(|e| Error::new(e.code(), param, e.message().to_owned()))?;
    if amount.to_minor_units() <= 0 {
        return Err(invalid(param, "must be greater than zero"));
    }
    Ok(amount)
}

fn currency_of(code: &str, param: &'static str) -> Result<&'static Currency> {
    Currency::from_code(code).map_err(|e| Error::new(e.code(), param, e.message().to_owned()))
}

fn minor(amount: &Amount) -> u128 {
    u128::try_from(amount.to_minor_units()).unwrap_or(0)
}

fn format_minor(units: u128, currency: &'static Currency) -> String {
    i128::try_from(units)
        .ok()
        .and_then(|units| Amount::from_minor_units(units, currency).ok())
        .map_or_else(String::new, |a| a.to_string())
}

/// The limits time (s) of a ms time, clamped into the primitive's range.
fn limits_time(ms: u64) -> i64 {
    i64::try_from(ms / 1000).unwrap_or(limits::TIME_S_MAX).min(limits::TIME_S_MAX)
}

fn validate_config(config: &TerminalConfig) -> Result<()> {
    check_id(&config.terminal_id, "config.terminalId")?;
    config.network.validate()?;
    let o = &config.offline;
    if o.currencies.is_empty() || o.currencies.len() > OFFLINE_CURRENCIES_MAX {
        return Err(invalid("config.offline.currencies", format!("must list 1 to {OFFLINE_CURRENCIES_MAX} currencies")));
    }
    for (i, c) in o.currencies.iter().enumerate() {
        let currency = currency_of(&c.currency, "config.offline.currencies.currency")?;
        if o.currencies.iter().take(i).any(|other| other.currency == c.currency) {
            return Err(invalid("config.offline.currencies.currency", format!("{} is listed twice", c.currency)));
        }
        parse_amount(&c.payment_max, currency, "config.offline.currencies.paymentMax")?;
        parse_amount(&c.total_max, currency, "config.offline.currencies.totalMax")?;
        if let Some(card) = &c.card_total_max {
            parse_amount(card, currency, "config.offline.currencies.cardTotalMax")?;
        }
    }
    let pending_max = u32::try_from(OUTBOX_PENDING_MAX).unwrap_or(u32::MAX);
    if o.count_max == 0 || o.count_max > pending_max {
        return Err(invalid("config.offline.countMax", format!("must be 1 to {OUTBOX_PENDING_MAX}")));
    }
    if o.max_age_ms == 0 || o.max_age_ms > DEADLINE_MS_MAX {
        return Err(invalid("config.offline.maxAgeMs", format!("must be 1 to {DEADLINE_MS_MAX} ms")));
    }
    if o.card_count_max.is_some_and(|n| n == 0 || n > o.count_max) {
        return Err(invalid("config.offline.cardCountMax", "must be 1 to countMax"));
    }
    if o.floor_limits.len() > FLOOR_LIMITS_MAX {
        return Err(invalid("config.offline.floorLimits", format!("at most {FLOOR_LIMITS_MAX}")));
    }
    for (i, f) in o.floor_limits.iter().enumerate() {
        check_id(&f.card_type, "config.offline.floorLimits.cardType")?;
        let currency = currency_of(&f.currency, "config.offline.floorLimits.currency")?;
        if !o.currencies.iter().any(|c| c.currency == f.currency) {
            return Err(invalid("config.offline.floorLimits.currency", format!("{} has no offline limits", f.currency)));
        }
        if o.floor_limits.iter().take(i).any(|g| g.card_type == f.card_type && g.currency == f.currency) {
            return Err(invalid("config.offline.floorLimits", format!("{} in {} is listed twice", f.card_type, f.currency)));
        }
        parse_amount(&f.amount, currency, "config.offline.floorLimits.amount")?;
    }
    let b = &config.outbox;
    if b.deadline_ms == 0 || b.deadline_ms > DEADLINE_MS_MAX {
        return Err(invalid("config.outbox.deadlineMs", format!("must be 1 to {DEADLINE_MS_MAX} ms")));
    }
    if b.nearing_ms >= b.deadline_ms {
        return Err(invalid("config.outbox.nearingMs", "must be less than deadlineMs"));
    }
    if b.backoff_base_ms == 0 || b.backoff_base_ms > BACKOFF_MS_MAX {
        return Err(invalid("config.outbox.backoffBaseMs", format!("must be 1 to {BACKOFF_MS_MAX} ms")));
    }
    if b.backoff_max_ms < b.backoff_base_ms || b.backoff_max_ms > BACKOFF_MS_MAX {
        return Err(invalid("config.outbox.backoffMaxMs", format!("must be backoffBaseMs to {BACKOFF_MS_MAX} ms")));
    }
    Ok(())
}

/// The limits primitive's sets for the config: `count` (a lifetime count), then per currency
/// `payment` (per transaction) and `total` (lifetime amount).
fn build_limits(config: &TerminalConfig) -> Result<Vec<Limits>> {
    let o = &config.offline;
    let spec = |id: &str, measure, currency: Option<&String>, window, hard: &String| LimitSpec {
        id: id.to_owned(),
        measure,
        currency: currency.cloned(),
        window,
        hard: hard.clone(),
        soft: None,
        ceiling: None,
        resettable: false,
    };
    let zones = TimeZones::new();
    let mut sets = vec![Limits::new(
        &[spec("count", Measure::Count, None, Window::Lifetime, &o.count_max.to_string())],
        CountingPolicy::default(),
        &zones,
    )?];
    for c in &o.currencies {
        let specs = [
            spec("payment", Measure::Amount, Some(&c.currency), Window::PerTransaction, &c.payment_max),
            spec("total", Measure::Amount, Some(&c.currency), Window::Lifetime, &c.total_max),
        ];
        sets.push(Limits::new(&specs, CountingPolicy::default(), &zones)?);
    }
    Ok(sets)
}

/// Records `entry`'s usage in the count set and its currency's set (a refusal records nothing:
/// the caller decided on a copy).
fn record_usage(sets: &mut [Limits], config: &TerminalConfig, entry: &Entry, amount: &Amount, mode: CheckMode) -> Result<()> {
    let usage = Usage { id: &entry.idempotency_key, amount, time: limits_time(entry.stored_at_ms) };
    let index = config.offline.currencies.iter().position(|c| c.currency == entry.currency).map(|i| i + 1);
    let zones = TimeZones::new();
    for i in [Some(0), index].into_iter().flatten() {
        let set = sets.get_mut(i).ok_or_else(|| Error::new(ErrorCode::Internal, "", "no limits set"))?;
        let check = set.record(&usage, mode, &zones)?;
        if !check.is_recordable() {
            return Err(Error::new(ErrorCode::Internal, "", format!("the offline limits refused a checked payment: {}", check.code())));
        }
    }
    Ok(())
}

fn check_result_code(code: &str) -> Result<()> {
    check_id(code, "result.code")
}

impl Terminal {
    /// A terminal with an empty outbox, network state `unknown`.
    ///
    /// Errors: `INVALID_ARGUMENT` / `CURRENCY_UNKNOWN` / `AMOUNT_*` about the `config.…` field.
    pub fn new(config: &TerminalConfig) -> Result<Terminal> {
        validate_config(config)?;
        let records = config
            .offline
            .currencies
            .iter()
            .map(|c| {
                Ok(Record {
                    currency: currency_of(&c.currency, "config.offline.currencies.currency")?,
                    approved_count: 0,
                    approved_minor: 0,
                    declined_count: 0,
                    failed_count: 0,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Terminal {
            network: NetworkMonitor::new(config.network)?,
            limits: build_limits(config)?,
            config: config.clone(),
            entries: Vec::new(),
            anchor: CHAIN_START,
            next_seq: 1,
            last_ms: 0,
            records,
            revision: 0,
        })
    }

    /// The configuration.
    pub fn config(&self) -> &TerminalConfig {
        &self.config
    }

    /// Changes so far (the store's freshness: a saved state never goes back).
    pub fn revision(&self) -> u64 {
        self.revision
    }

    /// Feeds a network observation (not part of the saved state: a restored terminal starts
    /// `unknown`).
    pub fn observe(&mut self, observation: &Observation) -> Result<Option<Transition>> {
        self.network.observe(observation)
    }

    /// The network state.
    pub fn network(&self) -> NetworkStatus {
        self.network.status()
    }

    /// How a payment in `mode` is to be processed now.
    pub fn route(&self, mode: Mode) -> Route {
        let state = self.network.status().state;
        Route { code: route(mode, state), network: state }
    }

    fn effective_now(&mut self, now_ms: u64) -> Result<u64> {
        check_time(now_ms, "nowMs")?;
        Ok(now_ms.max(self.last_ms))
    }

    fn pending(&self) -> impl Iterator<Item = &Entry> {
        self.entries.iter().filter(|e| e.state.is_pending())
    }

    /// Parses a request into the entry it would store (not yet numbered or hashed).
    pub(crate) fn entry_of(&self, request: &PaymentRequest, now: u64) -> Result<(Entry, Amount)> {
        check_id(&request.idempotency_key, "request.idempotencyKey")?;
        let currency = currency_of(&request.currency, "request.currency")?;
        let amount = parse_amount(&request.amount, currency, "request.amount")?;
        if let Some(hash) = &request.card_hash {
            if hash.len() != 64 {
                return Err(invalid("request.cardHash", "must be 64 lowercase hex digits (SHA-256)"));
            }
            parse_hex(hash, 32, "request.cardHash")?;
        }
        if let Some(card_type) = &request.card_type {
            check_id(card_type, "request.cardType")?;
        }
        if request.kind == EntryKind::Payment {
            if request.card_hash.is_none() {
                return Err(invalid("request.cardHash", "a payment needs its card's hash"));
            }
            if request.card_type.is_none() {
                return Err(invalid("request.cardType", "a payment needs its card type"));
            }
        }
        parse_hex(&request.payload, PAYLOAD_BYTES_MAX, "request.payload")?;
        let deadline = now.saturating_add(self.config.outbox.deadline_ms);
        let entry = Entry {
            seq: 0,
            idempotency_key: request.idempotency_key.clone(),
            kind: request.kind,
            amount: amount.to_string(),
            currency: currency.code().to_owned(),
            card_hash: request.card_hash.clone(),
            card_type: request.card_type.clone(),
            payload: request.payload.clone(),
            stored_at_ms: now,
            deadline_ms: deadline,
            state: EntryState::Stored,
            attempts: 0,
            next_attempt_at_ms: 0,
            nearing_notified: false,
            result_code: None,
            finished_at_ms: None,
            hash: String::new(),
        };
        Ok((entry, amount))
    }

    /// The first refusal of the offline limits (module docs' order), or `None` when it may be stored.
    fn refusal(&self, entry: &Entry, amount: &Amount, now: u64) -> Result<Option<PosCode>> {
        let o = &self.config.offline;
        let Some(limits) = o.currencies.iter().find(|c| c.currency == entry.currency) else {
            return Ok(Some(PosCode::CurrencyNotOffline));
        };
        if self.pending().next().is_some_and(|oldest| now.saturating_sub(oldest.stored_at_ms) > o.max_age_ms) {
            return Ok(Some(PosCode::QueueTooOld));
        }
        let currency = amount.currency();
        if let (false, Some(card_type)) = (o.floor_limits.is_empty(), entry.card_type.as_deref()) {
            let floor = o.floor_limits.iter().find(|f| f.card_type == card_type && f.currency == entry.currency);
            match floor {
                None => return Ok(Some(PosCode::CardTypeNotOffline)),
                Some(f) => {
                    if minor(amount) > minor(&parse_amount(&f.amount, currency, "config.offline.floorLimits.amount")?) {
                        return Ok(Some(PosCode::FloorLimitExceeded));
                    }
                }
            }
        }
        let usage = Usage { id: &entry.idempotency_key, amount, time: limits_time(now) };
        let zones = TimeZones::new();
        let set = self.currency_set(&entry.currency)?;
        let money = set.check(&usage, CheckMode::Enforce, &zones)?.code();
        if money == limits::Code::TransactionLimitExceeded {
            return Ok(Some(PosCode::PaymentLimitExceeded));
        }
        let count_set = self.limits.first().ok_or_else(|| Error::new(ErrorCode::Internal, "", "no count limit"))?;
        match count_set.check(&usage, CheckMode::Enforce, &zones)?.code() {
            limits::Code::WithinLimits | limits::Code::SoftLimitReached => {}
            limits::Code::HardLimitReached => return Ok(Some(PosCode::CountLimitReached)),
            other => return Err(Error::new(ErrorCode::Internal, "", format!("the count limit answered {other}"))),
        }
        match money {
            limits::Code::WithinLimits | limits::Code::SoftLimitReached => {}
            limits::Code::HardLimitReached => return Ok(Some(PosCode::TotalLimitReached)),
            other => return Err(Error::new(ErrorCode::Internal, "", format!("the offline limits answered {other}"))),
        }
        if let Some(card) = &entry.card_hash {
            let same_card = || self.pending().filter(|e| e.card_hash.as_ref() == Some(card));
            let card_count_max = u64::from(o.card_count_max.unwrap_or(o.count_max));
            if same_card().count() as u64 + 1 > card_count_max {
                return Ok(Some(PosCode::CardCountLimitReached));
            }
            let card_max = minor(&parse_amount(
                limits.card_total_max.as_ref().unwrap_or(&limits.total_max),
                currency,
                "config.offline.currencies.cardTotalMax",
            )?);
            let held: u128 = same_card()
                .filter(|e| e.currency == entry.currency)
                .map(|e| Amount::parse(&e.amount, currency, None).map(|a| minor(&a)).unwrap_or(0))
                .sum();
            if held.saturating_add(minor(amount)) > card_max {
                return Ok(Some(PosCode::CardTotalLimitReached));
            }
        }
        Ok(None)
    }

    /// Stores a payment offline, after the offline limits (module docs' check order). A refusal
    /// changes nothing.
    ///
    /// Errors: `INVALID_ARGUMENT` / `CURRENCY_UNKNOWN` / `AMOUNT_*` about `request.…` or `nowMs`;
    /// `IDEMPOTENCY_CONFLICT` about `request.idempotencyKey` when the key is in the outbox with
    /// another request.
    pub fn store(&mut self, request: &PaymentRequest, now_ms: u64) -> Result<StoreOutcome> {
        let now = self.effective_now(now_ms)?;
        let (mut entry, amount) = self.entry_of(request, now)?;
        if let Some(existing) = self.entries.iter().find(|e| e.idempotency_key == entry.idempotency_key) {
            if existing.same_request(&entry) {
                return Ok(StoreOutcome { code: PosCode::AlreadyStored, entry: Some(existing.clone()) });
            }
            return Err(Error::new(
                ErrorCode::IdempotencyConflict,
                "request.idempotencyKey",
                "this key is in the outbox with another request",
            ));
        }
        if let Some(code) = self.refusal(&entry, &amount, now)? {
            return Ok(StoreOutcome { code, entry: None });
        }
        // Decided on a scratch copy of the counters: only a recordable check is committed, and
        // nothing below can fail once it is.
        let mut limits = self.limits.clone();
        record_usage(&mut limits, &self.config, &entry, &amount, CheckMode::Enforce)?;
        entry.seq = self.next_seq;
        entry.hash = to_hex(&entry.chain_hash(&self.head_hash()));
        self.limits = limits;
        self.entries.push(entry.clone());
        self.next_seq = self.next_seq.saturating_add(1);
        self.last_ms = now;
        self.revision = self.revision.saturating_add(1);
        debug_assert!(self.invariants().is_ok());
        Ok(StoreOutcome { code: PosCode::Stored, entry: Some(entry) })
    }

    /// The last entry's hash (the anchor when there is none).
    pub(crate) fn head_hash(&self) -> [u8; 32] {
        self.entries
            .last()
            .and_then(|e| parse_hex(&e.hash, 32, "hash").ok())
            .and_then(|bytes| <[u8; 32]>::try_from(bytes).ok())
            .unwrap_or(self.anchor)
    }

    /// Recomputes the hash chain from the anchor over every kept entry.
    pub fn verify_chain(&self) -> bool {
        let mut previous = self.anchor;
        for entry in &self.entries {
            let hash = entry.chain_hash(&previous);
            if to_hex(&hash) != entry.hash {
                return false;
            }
            previous = hash;
        }
        true
    }

    fn head_index(&self) -> Option<usize> {
        self.entries.iter().position(|e| e.state.is_pending())
    }

    /// The next step of forwarding: the head entry to send now (`FORWARD`, its state becomes
    /// `forwarding`, its attempts +1), or why not (`NOTHING_TO_FORWARD`, `NOT_DUE` with
    /// `retryAtMs`). `flush` forwards now whatever the backoff says. A head already `forwarding`
    /// is sent again (same key).
    pub fn begin_forward(&mut self, now_ms: u64, flush: bool) -> Result<ForwardOutcome> {
        let now = self.effective_now(now_ms)?;
        let Some(index) = self.head_index() else {
            return Ok(ForwardOutcome { code: PosCode::NothingToForward, entry: None, retry_at_ms: None });
        };
        let Some(head) = self.entries.get_mut(index) else {
            return Err(Error::new(ErrorCode::Internal, "", "head index out of range"));
        };
        if head.state == EntryState::Stored && !flush && now < head.next_attempt_at_ms {
            let retry_at_ms = Some(head.next_attempt_at_ms);
            return Ok(ForwardOutcome { code: PosCode::NotDue, entry: Some(head.clone()), retry_at_ms });
        }
        head.state = EntryState::Forwarding;
        head.attempts = head.attempts.saturating_add(1);
        let entry = head.clone();
        self.last_ms = now;
        self.revision = self.revision.saturating_add(1);
        Ok(ForwardOutcome { code: PosCode::Forward, entry: Some(entry), retry_at_ms: None })
    }

    /// The wait after `attempts` failed attempts with `jitter` (module docs).
    pub fn backoff_ms(&self, attempts: u32, jitter: u32) -> u64 {
        let b = &self.config.outbox;
        let doublings = attempts.saturating_sub(1).min(40);
        let delay = b.backoff_base_ms.saturating_mul(1u64 << doublings).min(b.backoff_max_ms);
        let half = delay / 2;
        let spread = (u128::from(delay - half) * u128::from(jitter)) >> 32;
        half + u64::try_from(spread).unwrap_or(0)
    }

    /// Applies the acquirer's answer for the entry being forwarded under `key`.
    ///
    /// Codes: `FORWARDED_APPROVED`, `FORWARDED_DECLINED`, `RETRY_SCHEDULED` (with `retryAtMs`),
    /// `FAILED_PERMANENTLY` (a permanent refusal, or a retry at or past the deadline),
    /// `NOT_FORWARDING` (no entry with this key is being forwarded: a second answer; nothing changes).
    /// Errors: `INVALID_ARGUMENT` about `key`, `result.code` or `nowMs`.
    pub fn forward_result(&mut self, key: &str, result: &ForwardResult, now_ms: u64, jitter: u32) -> Result<ForwardOutcome> {
        check_id(key, "key")?;
        let (ForwardResult::Approved { code } | ForwardResult::Declined { code } | ForwardResult::Retry { code } | ForwardResult::Permanent { code }) = result;
        check_result_code(code)?;
        let now = self.effective_now(now_ms)?;
        let Some(index) = self.entries.iter().position(|e| e.idempotency_key == key && e.state == EntryState::Forwarding) else {
            let entry = self.entries.iter().find(|e| e.idempotency_key == key).cloned();
            return Ok(ForwardOutcome { code: PosCode::NotForwarding, entry, retry_at_ms: None });
        };
        let backoff = self.entries.get(index).map(|e| self.backoff_ms(e.attempts, jitter)).unwrap_or(0);
        let Some(entry) = self.entries.get_mut(index) else {
            return Err(Error::new(ErrorCode::Internal, "", "entry index out of range"));
        };
        let (state, outcome, result_code, retry_at) = match result {
            ForwardResult::Approved { code } => (EntryState::ForwardedApproved, PosCode::ForwardedApproved, code.clone(), None),
            ForwardResult::Declined { code } => (EntryState::ForwardedDeclined, PosCode::ForwardedDeclined, code.clone(), None),
            ForwardResult::Permanent { code } => (EntryState::FailedPermanently, PosCode::FailedPermanently, code.clone(), None),
            ForwardResult::Retry { .. } if now >= entry.deadline_ms => {
                (EntryState::FailedPermanently, PosCode::FailedPermanently, "DEADLINE_PASSED".to_owned(), None)
            }
            ForwardResult::Retry { code } => (EntryState::Stored, PosCode::RetryScheduled, code.clone(), Some(now.saturating_add(backoff))),
        };
        entry.state = state;
        entry.result_code = Some(result_code);
        if let Some(at) = retry_at {
            entry.next_attempt_at_ms = at;
        }
        self.last_ms = now;
        if !state.is_pending() {
            self.finish(index, now)?;
        }
        self.revision = self.revision.saturating_add(1);
        let entry = self.entries.iter().find(|e| e.idempotency_key == key).cloned();
        debug_assert!(self.invariants().is_ok());
        Ok(ForwardOutcome { code: outcome, entry, retry_at_ms: retry_at })
    }

    /// An entry reached its final state: the record, the counters, the pruning.
    fn finish(&mut self, index: usize, now: u64) -> Result<()> {
        let Some(entry) = self.entries.get_mut(index) else {
            return Err(Error::new(ErrorCode::Internal, "", "entry index out of range"));
        };
        entry.finished_at_ms = Some(now);
        let (state, currency, amount) = (entry.state, entry.currency.clone(), entry.amount.clone());
        if let Some(record) = self.records.iter_mut().find(|r| r.currency.code() == currency) {
            match state {
                EntryState::ForwardedApproved => {
                    record.approved_count = record.approved_count.saturating_add(1);
                    let units = Amount::parse(&amount, record.currency, None).map(|a| minor(&a)).unwrap_or(0);
                    record.approved_minor = record.approved_minor.saturating_add(units);
                }
                EntryState::ForwardedDeclined => record.declined_count = record.declined_count.saturating_add(1),
                _ => record.failed_count = record.failed_count.saturating_add(1),
            }
        }
        self.limits = self.rebuilt_limits()?;
        self.prune();
        Ok(())
    }

    /// The counters rebuilt from the waiting entries (module docs of [`super`]).
    pub(crate) fn rebuilt_limits(&self) -> Result<Vec<Limits>> {
        let mut limits = build_limits(&self.config)?;
        for entry in self.pending() {
            let currency = currency_of(&entry.currency, "snapshot")?;
            let amount = Amount::parse(&entry.amount, currency, None)?;
            // Force: these were admitted under this config; recounting must not refuse them.
            record_usage(&mut limits, &self.config, entry, &amount, CheckMode::Force)?;
        }
        Ok(limits)
    }

    /// The set of `currency`'s limits.
    fn currency_set(&self, currency: &str) -> Result<&Limits> {
        self.config
            .offline
            .currencies
            .iter()
            .position(|c| c.currency == currency)
            .and_then(|i| self.limits.get(i + 1))
            .ok_or_else(|| Error::new(ErrorCode::Internal, "", "no limits for this currency"))
    }

    /// Drops the oldest finished entries beyond OUTBOX_FINISHED_MAX (a prefix: module docs).
    fn prune(&mut self) {
        let finished = self.entries.iter().filter(|e| !e.state.is_pending()).count();
        let excess = finished.saturating_sub(OUTBOX_FINISHED_MAX);
        let drop = self.entries.iter().take(excess).take_while(|e| !e.state.is_pending()).count();
        if drop > 0 {
            if let Some(last) = self.entries.get(drop - 1) {
                if let Some(hash) = parse_hex(&last.hash, 32, "hash").ok().and_then(|b| <[u8; 32]>::try_from(b).ok()) {
                    self.anchor = hash;
                }
            }
            self.entries.drain(..drop);
        }
    }

    /// Deadline events at `now`: `nearingDeadline` once per waiting entry within nearingMs of its
    /// deadline, `failed` for the head while it is `stored` at or past its deadline (module docs).
    pub fn tick(&mut self, now_ms: u64) -> Result<TickOutcome> {
        let now = self.effective_now(now_ms)?;
        let nearing = self.config.outbox.nearing_ms;
        let mut events = Vec::new();
        let mut changed = false;
        // Bounded by the kept entries (≤ OUTBOX_PENDING_MAX + OUTBOX_FINISHED_MAX).
        for entry in self.entries.iter_mut().filter(|e| e.state.is_pending()) {
            if !entry.nearing_notified && now >= entry.deadline_ms.saturating_sub(nearing) {
                entry.nearing_notified = true;
                changed = true;
                events.push(OutboxEvent { kind: OutboxEventKind::NearingDeadline, entry: entry.clone() });
            }
        }
        // At most one failure per waiting entry.
        while let Some(index) = self.head_index() {
            let Some(head) = self.entries.get_mut(index) else { break };
            if head.state != EntryState::Stored || now < head.deadline_ms {
                break;
            }
            head.state = EntryState::FailedPermanently;
            head.result_code = Some("DEADLINE_PASSED".to_owned());
            let key = head.idempotency_key.clone();
            self.finish(index, now)?;
            changed = true;
            if let Some(entry) = self.entries.iter().find(|e| e.idempotency_key == key) {
                events.push(OutboxEvent { kind: OutboxEventKind::Failed, entry: entry.clone() });
            }
        }
        if changed {
            self.last_ms = now;
            self.revision = self.revision.saturating_add(1);
        }
        Ok(TickOutcome { events })
    }

    /// `DROP_ALLOWED` when nothing waits, else `OUTBOX_NOT_EMPTY`.
    pub fn check_drop(&self) -> PosCode {
        if self.pending().next().is_some() {
            PosCode::OutboxNotEmpty
        } else {
            PosCode::DropAllowed
        }
    }

    /// Every kept entry, in order.
    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// Per-currency totals.
    pub fn totals(&self) -> Vec<Totals> {
        self.records
            .iter()
            .map(|r| {
                let code = r.currency.code();
                let pending: Vec<&Entry> = self.pending().filter(|e| e.currency == code).collect();
                let pending_minor: u128 = pending
                    .iter()
                    .map(|e| Amount::parse(&e.amount, r.currency, None).map(|a| minor(&a)).unwrap_or(0))
                    .sum();
                let pending_max = self
                    .config
                    .offline
                    .currencies
                    .iter()
                    .find(|c| c.currency == code)
                    .map(|c| c.total_max.clone())
                    .unwrap_or_default();
                let pending_max = Amount::parse(&pending_max, r.currency, None).map(|a| a.to_string()).unwrap_or_default();
                Totals {
                    currency: code.to_owned(),
                    pending_count: pending.len() as u64,
                    pending_amount: format_minor(pending_minor, r.currency),
                    pending_max,
                    approved_count: r.approved_count,
                    approved_amount: format_minor(r.approved_minor, r.currency),
                    declined_count: r.declined_count,
                    failed_count: r.failed_count,
                }
            })
            .collect()
    }

    /// The state at a glance.
    pub fn status(&self) -> TerminalStatus {
        TerminalStatus {
            network: self.network.status(),
            pending_count: self.pending().count() as u64,
            count_max: self.config.offline.count_max,
            oldest_stored_at_ms: self.pending().next().map(|e| e.stored_at_ms),
            totals: self.totals(),
        }
    }

    /// The outbox for export (`exportQueue`).
    pub fn export_queue(&self) -> QueueExport {
        QueueExport {
            terminal_id: self.config.terminal_id.clone(),
            schema_version: super::SNAPSHOT_FORMAT_VERSION,
            anchor_hash: to_hex(&self.anchor),
            head_hash: to_hex(&self.head_hash()),
            chain_valid: self.verify_chain(),
            entries: self.entries.clone(),
            totals: self.totals(),
        }
    }

    /// The outbox's invariants: consecutive sequence numbers ending before `next_seq`, finished
    /// entries a prefix, storing times non-decreasing and at most `last_ms`, deadlines
    /// `storedAtMs + deadlineMs`, unique keys, bounds, the chain verifies, and the counters equal
    /// the waiting entries. Checked after every change in debug builds and on restore.
    pub fn invariants(&self) -> core::result::Result<(), &'static str> {
        let pending = self.pending().count();
        if pending > OUTBOX_PENDING_MAX || self.entries.len() - pending > OUTBOX_FINISHED_MAX {
            return Err("too many entries");
        }
        let mut seen_pending = false;
        let mut previous: Option<&Entry> = None;
        for (i, e) in self.entries.iter().enumerate() {
            if e.state.is_pending() {
                seen_pending = true;
            } else if seen_pending {
                return Err("a finished entry after a waiting one");
            }
            if e.state.is_pending() != e.finished_at_ms.is_none() {
                return Err("finishedAtMs does not match the state");
            }
            if e.stored_at_ms > self.last_ms || e.deadline_ms != e.stored_at_ms.saturating_add(self.config.outbox.deadline_ms) {
                return Err("storing time or deadline out of place");
            }
            if let Some(p) = previous {
                if e.seq != p.seq.saturating_add(1) || e.stored_at_ms < p.stored_at_ms {
                    return Err("entries out of order");
                }
            }
            if self.entries.iter().take(i).any(|o| o.idempotency_key == e.idempotency_key) {
                return Err("a key twice");
            }
            previous = Some(e);
        }
        if previous.map_or(self.next_seq < 1, |p| p.seq.saturating_add(1) != self.next_seq) {
            return Err("next sequence number out of place");
        }
        if !self.verify_chain() {
            return Err("the hash chain does not verify");
        }
        let count = self.limits.first().and_then(|set| set.status(limits_time(self.last_ms), &TimeZones::new()).ok());
        let used = count.as_ref().and_then(|s| s.iter().find(|l| l.id == "count")).map(|l| l.used.clone());
        if used != Some(pending.to_string()) {
            return Err("the stored count does not match the waiting entries");
        }
        Ok(())
    }
}
