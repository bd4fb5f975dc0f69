//! The terminal's snapshot: authenticated (crate::snapshot), deterministic CBOR, versioned.
//!
//! ```text
//! body    = [ config, revision, lastMs, nextSeq, anchor: bstr(32), [* entry], [* record] ]
//! config  = [ terminalId, [* [currency, paymentMax, totalMax, cardTotalMax / null]], countMax,
//!             maxAgeMs, cardCountMax / null, [* [cardType, currency, amount]],
//!             [failuresToOffline, successesToOnline, slowToDegraded, slowLatencyMs, recoverHoldMs],
//!             [deadlineMs, nearingMs, backoffBaseMs, backoffMaxMs] ]
//! entry   = [ seq, key, kind (v2 only: 0 payment, 1 token), amount, currency, cardHash / null,
//!             cardType / null, payload: bstr, storedAtMs, deadlineMs, state (0..4), attempts,
//!             nextAttemptAtMs, nearingNotified (v2 only), resultCode / null, finishedAtMs / null,
//!             hash: bstr(32) ]
//! record  = [ currency, approvedCount, approvedMinor, declinedCount, failedCount ]
//! ```
//!
//! **Migration**: version 1 (the first format) had no `kind` (every entry was a card payment)
//! and no `nearingNotified`. Restoring a version-1 snapshot gives `kind: payment` and
//! `nearingNotified: false` (a migrated entry may raise its `nearingDeadline` once more: the safe
//! side); the next snapshot is written as version 2. The chain hash is unchanged by the
//! migration (version 1's record had the kind `payment` too). Restore checks, in order: the
//! envelope (key, size, canonical frame, version 2 or 1, MAC), the body's canonical encoding, the
//! config, then every invariant ([`super::Terminal::invariants`]).

use minicbor::Decoder;

use super::outbox::{Entry, EntryState, Record, Terminal};
use super::{
    to_hex, CurrencyLimits, EntryKind, FloorLimit, NetworkConfig, OfflineLimits, OutboxConfig, TerminalConfig,
    FLOOR_LIMITS_MAX, OFFLINE_CURRENCIES_MAX, OUTBOX_FINISHED_MAX, OUTBOX_PENDING_MAX, SNAPSHOT_BYTES_MAX,
    SNAPSHOT_FORMAT_VERSION,
};
use crate::error::{Error, ErrorCode, Result};
use crate::limits::cbor::{self, Enc};
use crate::money::Currency;
use crate::snapshot::{self, SnapshotKind};

/// The snapshot type string.
pub const SNAPSHOT_TYPE: &str = "countersign.pos.terminal";

fn kind(version: u32) -> SnapshotKind {
    SnapshotKind { type_name: SNAPSHOT_TYPE, version, bytes_max: SNAPSHOT_BYTES_MAX }
}

fn opt_str(e: &mut Enc, value: Option<&String>) {
    match value {
        Some(s) => {
            e.str(s);
        }
        None => {
            e.null();
        }
    }
}

fn opt_u64(e: &mut Enc, value: Option<u64>) {
    match value {
        Some(v) => {
            e.u64(v);
        }
        None => {
            e.null();
        }
    }
}

fn state_code(state: EntryState) -> u64 {
    match state {
        EntryState::Stored => 0,
        EntryState::Forwarding => 1,
        EntryState::ForwardedApproved => 2,
        EntryState::ForwardedDeclined => 3,
        EntryState::FailedPermanently => 4,
    }
}

fn hex_bytes(text: &str) -> Vec<u8> {
    super::parse_hex(text, usize::MAX / 2, "snapshot").unwrap_or_default()
}

fn encode_config(e: &mut Enc, c: &TerminalConfig) {
    e.array(8).str(&c.terminal_id);
    e.array(c.offline.currencies.len() as u64);
    for l in &c.offline.currencies {
        e.array(4).str(&l.currency).str(&l.payment_max).str(&l.total_max);
        opt_str(e, l.card_total_max.as_ref());
    }
    e.u64(u64::from(c.offline.count_max)).u64(c.offline.max_age_ms);
    opt_u64(e, c.offline.card_count_max.map(u64::from));
    e.array(c.offline.floor_limits.len() as u64);
    for f in &c.offline.floor_limits {
        e.array(3).str(&f.card_type).str(&f.currency).str(&f.amount);
    }
    let n = &c.network;
    e.array(5)
        .u64(u64::from(n.failures_to_offline))
        .u64(u64::from(n.successes_to_online))
        .u64(u64::from(n.slow_to_degraded))
        .u64(n.slow_latency_ms)
        .u64(n.recover_hold_ms);
    let o = &c.outbox;
    e.array(4).u64(o.deadline_ms).u64(o.nearing_ms).u64(o.backoff_base_ms).u64(o.backoff_max_ms);
}

fn encode_entry(e: &mut Enc, entry: &Entry, version: u32) {
    e.array(if version == 1 { 15 } else { 17 }).u64(entry.seq).str(&entry.idempotency_key);
    if version != 1 {
        e.u64(match entry.kind {
            EntryKind::Payment => 0,
            EntryKind::Token => 1,
        });
    }
    e.str(&entry.amount).str(&entry.currency);
    opt_str(e, entry.card_hash.as_ref());
    opt_str(e, entry.card_type.as_ref());
    e.bytes(&hex_bytes(&entry.payload))
        .u64(entry.stored_at_ms)
        .u64(entry.deadline_ms)
        .u64(state_code(entry.state))
        .u64(u64::from(entry.attempts))
        .u64(entry.next_attempt_at_ms);
    if version != 1 {
        e.bool(entry.nearing_notified);
    }
    opt_str(e, entry.result_code.as_ref());
    opt_u64(e, entry.finished_at_ms);
    e.bytes(&hex_bytes(&entry.hash));
}

pub(crate) fn encode_body(t: &Terminal, version: u32) -> Vec<u8> {
    let mut e = Enc::with_capacity(256 + t.entries.len() * 200);
    e.array(7);
    encode_config(&mut e, &t.config);
    e.u64(t.revision).u64(t.last_ms).u64(t.next_seq).bytes(&t.anchor);
    e.array(t.entries.len() as u64);
    for entry in &t.entries {
        encode_entry(&mut e, entry, version);
    }
    e.array(t.records.len() as u64);
    for r in &t.records {
        e.array(5)
            .str(r.currency.code())
            .u64(r.approved_count)
            .u128(r.approved_minor)
            .u64(r.declined_count)
            .u64(r.failed_count);
    }
    e.into_bytes()
}

fn opt_string(d: &mut Decoder<'_>) -> Option<Option<String>> {
    cbor::opt::<String>(d)
}

fn opt_u64_of(d: &mut Decoder<'_>) -> Option<Option<u64>> {
    if d.datatype().ok()? == minicbor::data::Type::Null {
        d.null().ok()?;
        return Some(None);
    }
    cbor::u64(d).map(Some)
}

/// A definite array header of at most `max` items.
fn bounded(d: &mut Decoder<'_>, max: usize) -> Option<usize> {
    let len = usize::try_from(cbor::array_len(d)?).ok()?;
    (len <= max).then_some(len)
}

fn decode_config(d: &mut Decoder<'_>) -> Option<TerminalConfig> {
    cbor::array(d, 8)?;
    let terminal_id = cbor::string(d)?;
    let n = bounded(d, OFFLINE_CURRENCIES_MAX)?;
    let mut currencies = Vec::with_capacity(n);
    for _ in 0..n {
        cbor::array(d, 4)?;
        currencies.push(CurrencyLimits {
            currency: cbor::string(d)?,
            payment_max: cbor::string(d)?,
            total_max: cbor::string(d)?,
            card_total_max: opt_string(d)?,
        });
    }
    let count_max = cbor::u32(d)?;
    let max_age_ms = cbor::u64(d)?;
    let card_count_max = match opt_u64_of(d)? {
        Some(v) => Some(u32::try_from(v).ok()?),
        None => None,
    };
    let n = bounded(d, FLOOR_LIMITS_MAX)?;
    let mut floor_limits = Vec::with_capacity(n);
    for _ in 0..n {
        cbor::array(d, 3)?;
        floor_limits.push(FloorLimit { card_type: cbor::string(d)?, currency: cbor::string(d)?, amount: cbor::string(d)? });
    }
    cbor::array(d, 5)?;
    let network = NetworkConfig {
        failures_to_offline: cbor::u32(d)?,
        successes_to_online: cbor::u32(d)?,
        slow_to_degraded: cbor::u32(d)?,
        slow_latency_ms: cbor::u64(d)?,
        recover_hold_ms: cbor::u64(d)?,
    };
    cbor::array(d, 4)?;
    let outbox = OutboxConfig {
        deadline_ms: cbor::u64(d)?,
        nearing_ms: cbor::u64(d)?,
        backoff_base_ms: cbor::u64(d)?,
        backoff_max_ms: cbor::u64(d)?,
    };
    Some(TerminalConfig {
        terminal_id,
        offline: OfflineLimits { currencies, count_max, max_age_ms, card_count_max, floor_limits },
        network,
        outbox,
    })
}

fn decode_entry(d: &mut Decoder<'_>, version: u32) -> Option<Entry> {
    cbor::array(d, if version == 1 { 15 } else { 17 })?;
    let seq = cbor::u64(d)?;
    let idempotency_key = cbor::string(d)?;
    let kind = if version == 1 {
        EntryKind::Payment
    } else {
        match cbor::u64(d)? {
            0 => EntryKind::Payment,
            1 => EntryKind::Token,
            _ => return None,
        }
    };
    let amount = cbor::string(d)?;
    let currency = cbor::string(d)?;
    let card_hash = opt_string(d)?;
    let card_type = opt_string(d)?;
    let payload = cbor::bytes(d)?;
    if payload.len() > super::PAYLOAD_BYTES_MAX {
        return None;
    }
    let stored_at_ms = cbor::u64(d)?;
    let deadline_ms = cbor::u64(d)?;
    let state = match cbor::u64(d)? {
        0 => EntryState::Stored,
        1 => EntryState::Forwarding,
        2 => EntryState::ForwardedApproved,
        3 => EntryState::ForwardedDeclined,
        4 => EntryState::FailedPermanently,
        _ => return None,
    };
    let attempts = cbor::u32(d)?;
    let next_attempt_at_ms = cbor::u64(d)?;
    let nearing_notified = if version == 1 { false } else { cbor::bool(d)? };
    let result_code = opt_string(d)?;
    let finished_at_ms = opt_u64_of(d)?;
    let hash = cbor::bytes(d)?;
    if hash.len() != 32 {
        return None;
    }
    Some(Entry {
        seq,
        idempotency_key,
        kind,
        amount,
        currency,
        card_hash,
        card_type,
        payload: to_hex(&payload),
        stored_at_ms,
        deadline_ms,
        state,
        attempts,
        next_attempt_at_ms,
        nearing_notified,
        result_code,
        finished_at_ms,
        hash: to_hex(&hash),
    })
}

struct Body {
    config: TerminalConfig,
    revision: u64,
    last_ms: u64,
    next_seq: u64,
    anchor: [u8; 32],
    entries: Vec<Entry>,
    records: Vec<(String, u64, u128, u64, u64)>,
}

fn decode_body(bytes: &[u8], version: u32) -> Option<Body> {
    let mut d = Decoder::new(bytes);
    cbor::array(&mut d, 7)?;
    let config = decode_config(&mut d)?;
    let revision = cbor::u64(&mut d)?;
    let last_ms = cbor::u64(&mut d)?;
    let next_seq = cbor::u64(&mut d)?;
    let anchor = <[u8; 32]>::try_from(cbor::bytes(&mut d)?).ok()?;
    let n = bounded(&mut d, OUTBOX_PENDING_MAX + OUTBOX_FINISHED_MAX)?;
    let mut entries = Vec::with_capacity(n);
    for _ in 0..n {
        entries.push(decode_entry(&mut d, version)?);
    }
    let n = bounded(&mut d, OFFLINE_CURRENCIES_MAX)?;
    let mut records = Vec::with_capacity(n);
    for _ in 0..n {
        cbor::array(&mut d, 5)?;
        records.push((cbor::string(&mut d)?, cbor::u64(&mut d)?, cbor::u128(&mut d)?, cbor::u64(&mut d)?, cbor::u64(&mut d)?));
    }
    (d.position() == bytes.len()).then_some(Body { config, revision, last_ms, next_seq, anchor, entries, records })
}

impl Terminal {
    /// The terminal as authenticated snapshot bytes (format version 2; the network state is not
    /// saved: a restored terminal starts `unknown`).
    ///
    /// Errors: `KEY_INVALID` about `snapshotKey`.
    pub fn snapshot(&self, snapshot_key: &[u8]) -> Result<Vec<u8>> {
        snapshot::seal(&kind(SNAPSHOT_FORMAT_VERSION), &encode_body(self, SNAPSHOT_FORMAT_VERSION), snapshot_key)
    }

    /// The terminal in the first format (version 1), for the migration's tests and vectors.
    ///
    /// Errors: `KEY_INVALID`; `INVALID_ARGUMENT` when an entry is a token (version 1 had none).
    #[doc(hidden)]
    pub fn snapshot_v1(&self, snapshot_key: &[u8]) -> Result<Vec<u8>> {
        if self.entries.iter().any(|e| e.kind != EntryKind::Payment) {
            return Err(super::invalid("terminal", "format version 1 holds card payments only"));
        }
        snapshot::seal(&kind(1), &encode_body(self, 1), snapshot_key)
    }

    /// A terminal from snapshot bytes of version 2, or of version 1 (migrated: module docs).
    ///
    /// Errors: `KEY_INVALID` about `snapshotKey`; `SNAPSHOT_INVALID` (tampered, another key,
    /// malformed, not canonical, an invariant broken); `SNAPSHOT_VERSION_UNSUPPORTED` for any other version.
    pub fn restore(bytes: &[u8], snapshot_key: &[u8]) -> Result<Terminal> {
        let (body, version) = match snapshot::open(&kind(SNAPSHOT_FORMAT_VERSION), bytes, snapshot_key) {
            Ok(body) => (body, SNAPSHOT_FORMAT_VERSION),
            Err(e) if e.code() == ErrorCode::SnapshotVersionUnsupported => match snapshot::open(&kind(1), bytes, snapshot_key) {
                Ok(body) => (body, 1),
                Err(e1) if e1.code() == ErrorCode::SnapshotVersionUnsupported => return Err(e),
                Err(e1) => return Err(e1),
            },
            Err(e) => return Err(e),
        };
        let decoded = decode_body(body, version).ok_or_else(|| snapshot::invalid("the terminal's state is malformed"))?;
        let config = decoded.config.clone();
        let mut terminal = Terminal::new(&config)
            .map_err(|e| Error::new(ErrorCode::SnapshotInvalid, "snapshot", format!("its config is invalid: {}", e.message())))?;
        let mut records = Vec::with_capacity(decoded.records.len());
        for (code, approved_count, approved_minor, declined_count, failed_count) in decoded.records {
            let currency = Currency::from_code(&code).map_err(|_| snapshot::invalid("a record's currency is unknown"))?;
            records.push(Record { currency, approved_count, approved_minor, declined_count, failed_count });
        }
        if records.len() != terminal.records.len()
            || records.iter().zip(&terminal.records).any(|(a, b)| a.currency.code() != b.currency.code())
        {
            return Err(snapshot::invalid("the records do not match the config's currencies"));
        }
        terminal.records = records;
        terminal.revision = decoded.revision;
        terminal.last_ms = decoded.last_ms;
        terminal.next_seq = decoded.next_seq;
        terminal.anchor = decoded.anchor;
        terminal.entries = decoded.entries;
        // One encoding per state: what was read must be what this state writes.
        if encode_body(&terminal, version) != body {
            return Err(snapshot::invalid("the terminal's state is not canonically encoded"));
        }
        for entry in &terminal.entries {
            let currency = Currency::from_code(&entry.currency).map_err(|_| snapshot::invalid("an entry's currency is unknown"))?;
            let amount = crate::money::Amount::parse(&entry.amount, currency, None)
                .map_err(|_| snapshot::invalid("an entry's amount is malformed"))?;
            if amount.to_string() != entry.amount || amount.to_minor_units() <= 0 {
                return Err(snapshot::invalid("an entry's amount is not canonical"));
            }
            let request = super::PaymentRequest {
                idempotency_key: entry.idempotency_key.clone(),
                kind: entry.kind,
                amount: entry.amount.clone(),
                currency: entry.currency.clone(),
                card_hash: entry.card_hash.clone(),
                card_type: entry.card_type.clone(),
                payload: entry.payload.clone(),
            };
            terminal
                .entry_of(&request, entry.stored_at_ms)
                .map_err(|e| Error::new(ErrorCode::SnapshotInvalid, "snapshot", format!("an entry is invalid: {}", e.message())))?;
            if let Some(code) = &entry.result_code {
                super::check_id(code, "snapshot").map_err(|_| snapshot::invalid("an entry's result code is malformed"))?;
            }
        }
        if terminal.entries.iter().filter(|e| !e.state.is_pending()).count() > OUTBOX_FINISHED_MAX {
            return Err(snapshot::invalid("more finished entries than are kept"));
        }
        terminal.limits = terminal
            .rebuilt_limits()
            .map_err(|e| Error::new(ErrorCode::SnapshotInvalid, "snapshot", format!("the counters cannot be rebuilt: {}", e.message())))?;
        terminal.invariants().map_err(snapshot::invalid)?;
        Ok(terminal)
    }
}
