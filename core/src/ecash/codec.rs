//! Snapshots of a card and of a back-end: the [`crate::snapshot`] format (HMAC-SHA256 under the
//! caller's key) around a body in the same big-endian layout as the records.
//!
//! Card body: `id ‖ secretKey 32 ‖ issuer kid (1+n) ‖ issuer key 32 ‖ u32+security payload ‖
//! u32+security envelope ‖ seq u64 ‖ counter u64 ‖ head 32 ‖ available u64 ‖ pending u64 ‖
//! reserved (0 | 1 record) ‖ u32 log count ‖ entries ‖ sends u32 ‖ spent u64 ‖ blocked u8 ‖
//! restricted u8`. A restored card must be consistent ([`Card::is_consistent`], its key the
//! security information's card key), or the snapshot is `SNAPSHOT_INVALID`.
//!
//! Back-end body: the policy, then the cards, merchants, indexed records, claimed hashes and
//! the absorbed total, each list with a u32 count (layout in `encode_backend`).

use std::collections::{BTreeMap, BTreeSet};

use crate::ecash::backend::{Account, Backend, Policy, RuleCode, Rules, Velocity};
use crate::ecash::card::{Card, IssuerKey, LogEntry, OFFLINE_RECORDS_MAX};
use crate::ecash::record::*;
use crate::error::Result;
use crate::snapshot::{self, invalid, SnapshotKind};

/// The largest card snapshot, bytes (a full offline log of receive entries).
pub const CARD_SNAPSHOT_BYTES_MAX: usize = 16 * 1024 * 1024;
/// The largest back-end snapshot, bytes.
pub const BACKEND_SNAPSHOT_BYTES_MAX: usize = 512 * 1024 * 1024;

/// The card snapshot's type string.
pub const CARD_SNAPSHOT_TYPE: &str = "countersign.ecash.card";
/// The format version of card and back-end snapshots this build writes and reads.
pub const SNAPSHOT_FORMAT_VERSION: u32 = 1;
const CARD_KIND: SnapshotKind = SnapshotKind { type_name: CARD_SNAPSHOT_TYPE, version: SNAPSHOT_FORMAT_VERSION, bytes_max: CARD_SNAPSHOT_BYTES_MAX };
const BACKEND_KIND: SnapshotKind = SnapshotKind { type_name: "countersign.ecash.backend", version: SNAPSHOT_FORMAT_VERSION, bytes_max: BACKEND_SNAPSHOT_BYTES_MAX };

fn put_id(out: &mut Vec<u8>, id: &str) {
    out.push(u8::try_from(id.len()).unwrap_or(u8::MAX));
    out.extend_from_slice(id.as_bytes());
}
fn put_bytes(out: &mut Vec<u8>, b: &[u8]) {
    out.extend_from_slice(&u32::try_from(b.len()).unwrap_or(u32::MAX).to_be_bytes());
    out.extend_from_slice(b);
}
fn put_len(out: &mut Vec<u8>, n: usize) {
    out.extend_from_slice(&u32::try_from(n).unwrap_or(u32::MAX).to_be_bytes());
}
fn bytes<'a>(r: &mut Reader<'a>) -> Result<&'a [u8]> {
    let n = usize::try_from(r.u32()?).map_err(|_| invalid("length"))?;
    r.take(n)
}
fn count(r: &mut Reader<'_>, max: usize) -> Result<usize> {
    let n = usize::try_from(r.u32()?).map_err(|_| invalid("count"))?;
    if n > max {
        return Err(invalid("a list longer than its limit"));
    }
    Ok(n)
}
fn flag(r: &mut Reader<'_>) -> Result<bool> {
    match r.u8()? {
        0 => Ok(false),
        1 => Ok(true),
        _ => Err(invalid("a flag is not 0 or 1")),
    }
}
fn key_id(r: &mut Reader<'_>) -> Result<String> {
    let n = usize::from(r.u8()?);
    let raw = r.take(n)?;
    core::str::from_utf8(raw)
        .ok()
        .filter(|k| !k.is_empty() && k.len() <= crate::envelope::KEY_ID_BYTES_MAX)
        .map(str::to_owned)
        .ok_or_else(|| invalid("key id"))
}

impl Card {
    /// The card as authenticated snapshot bytes. Errors: `KEY_INVALID` about `snapshotKey`.
    pub fn snapshot(&self, snapshot_key: &[u8]) -> Result<Vec<u8>> {
        let p = self.parts();
        let mut out = Vec::with_capacity(1024 + p.log.len() * 400);
        put_id(&mut out, p.id);
        out.extend_from_slice(p.secret_key);
        put_id(&mut out, &p.issuer.key_id);
        out.extend_from_slice(&p.issuer.public_key);
        put_bytes(&mut out, &p.security.encode());
        put_bytes(&mut out, p.security_envelope);
        for v in [p.security_seq, p.counter] {
            out.extend_from_slice(&v.to_be_bytes());
        }
        out.extend_from_slice(p.head);
        for v in [p.available, p.pending] {
            out.extend_from_slice(&v.to_be_bytes());
        }
        match p.reserved {
            None => out.push(0),
            Some(r) => {
                out.push(1);
                out.extend_from_slice(&r.encode());
            }
        }
        put_len(&mut out, p.log.len());
        for e in p.log {
            out.extend_from_slice(&e.record.encode());
            if let Some(payment) = &e.payment {
                out.extend_from_slice(&payment.encode());
            }
        }
        out.extend_from_slice(&p.sends.to_be_bytes());
        out.extend_from_slice(&p.spent.to_be_bytes());
        out.push(u8::from(p.blocked));
        out.push(u8::from(p.restricted));
        snapshot::seal(&CARD_KIND, &out, snapshot_key)
    }

    /// A card from [`Card::snapshot`] bytes. Errors: `KEY_INVALID` about `snapshotKey`;
    /// `SNAPSHOT_VERSION_UNSUPPORTED` and `SNAPSHOT_INVALID` about `snapshot`.
    pub fn restore(bytes_in: &[u8], snapshot_key: &[u8]) -> Result<Card> {
        let body = snapshot::open(&CARD_KIND, bytes_in, snapshot_key)?;
        let mut r = Reader::new(body, "snapshot");
        let id = r.id()?;
        let secret_key: [u8; 32] = r.array()?;
        let issuer = IssuerKey { key_id: key_id(&mut r)?, public_key: r.array()? };
        let security = Security::decode(bytes(&mut r)?).map_err(|_| invalid("security"))?;
        let security_envelope = bytes(&mut r)?.to_vec();
        let security_seq = r.u64()?;
        let counter = r.u64()?;
        let head: Hash = r.array()?;
        let available = r.u64()?;
        let pending = r.u64()?;
        let reserved = if flag(&mut r)? { Some(Record::read(&mut r)?) } else { None };
        let n = count(&mut r, OFFLINE_RECORDS_MAX)?;
        let mut log = Vec::with_capacity(n);
        for _ in 0..n {
            let record = Record::read(&mut r)?;
            let payment = if record.kind == RecordKind::Receive { Some(Record::read(&mut r)?) } else { None };
            log.push(LogEntry { record, payment });
        }
        let sends = r.u32()?;
        let spent = r.u64()?;
        let blocked = flag(&mut r)?;
        let restricted = flag(&mut r)?;
        if !r.is_empty() {
            return Err(invalid("trailing bytes"));
        }
        let card = Card::from_parts(id, &secret_key, issuer, security, security_envelope, security_seq, counter, head, available, pending, reserved, log, sends, spent, blocked, restricted)
            .map_err(|_| invalid("the card's key"))?;
        if !card.is_consistent() || card.security().card != card.id() || card.security().card_key != card.public_key() {
            return Err(invalid("the card's state does not hold together"));
        }
        Ok(card)
    }
}

impl Backend {
    /// The back-end as authenticated snapshot bytes. Errors: `KEY_INVALID` about `snapshotKey`.
    pub fn snapshot(&self, snapshot_key: &[u8]) -> Result<Vec<u8>> {
        let mut out = Vec::with_capacity(4096);
        let p = &self.policy;
        for v in [p.limits.single_max, p.limits.cumulative_max] {
            out.extend_from_slice(&v.to_be_bytes());
        }
        out.extend_from_slice(&p.limits.count_max.to_be_bytes());
        out.extend_from_slice(&p.limits.valid_until.to_be_bytes());
        out.extend_from_slice(&p.validity_s.to_be_bytes());
        out.extend_from_slice(&p.counter_window.to_be_bytes());
        out.push(u8::try_from(p.rules.actions.len()).unwrap_or(u8::MAX));
        for (code, action) in &p.rules.actions {
            out.push(code.byte());
            out.push(action_byte(*action));
        }
        out.extend_from_slice(&p.rules.velocity.window_s.to_be_bytes());
        out.extend_from_slice(&p.rules.velocity.count_max.to_be_bytes());
        out.extend_from_slice(&p.rules.velocity.amount_max.to_be_bytes());
        put_len(&mut out, self.cards.len());
        for (id, a) in &self.cards {
            put_id(&mut out, id);
            out.extend_from_slice(&a.public_key);
            out.extend_from_slice(&a.synced.to_be_bytes());
            out.extend_from_slice(&a.head);
            out.extend_from_slice(&a.balance.to_be_bytes());
            out.extend_from_slice(&a.seq.to_be_bytes());
            match &a.previous {
                None => out.push(0),
                Some((s, q, b, h)) => {
                    out.push(1);
                    for v in [*s, *q, *b] {
                        out.extend_from_slice(&v.to_be_bytes());
                    }
                    out.extend_from_slice(h);
                }
            }
            for v in [a.limits.single_max, a.limits.cumulative_max] {
                out.extend_from_slice(&v.to_be_bytes());
            }
            out.extend_from_slice(&a.limits.count_max.to_be_bytes());
            out.extend_from_slice(&a.limits.valid_until.to_be_bytes());
            out.extend_from_slice(&a.counter_max.to_be_bytes());
            out.push(action_byte(a.status));
            out.push(u8::try_from(a.findings.len()).unwrap_or(u8::MAX));
            out.extend(a.findings.iter().map(|c| c.byte()));
            match a.last_sync_time {
                None => out.push(0),
                Some(t) => {
                    out.push(1);
                    out.extend_from_slice(&t.to_be_bytes());
                }
            }
        }
        put_len(&mut out, self.merchants.len());
        for (id, b) in &self.merchants {
            put_id(&mut out, id);
            out.extend_from_slice(&b.to_be_bytes());
        }
        for map in [&self.own, &self.spends] {
            put_len(&mut out, map.len());
            for r in map.values() {
                out.extend_from_slice(&r.encode());
            }
        }
        put_len(&mut out, self.claimed.len());
        for h in &self.claimed {
            out.extend_from_slice(h);
        }
        out.extend_from_slice(&self.absorbed.to_be_bytes());
        snapshot::seal(&BACKEND_KIND, &out, snapshot_key)
    }

    /// A back-end from [`Backend::snapshot`] bytes. Errors: `KEY_INVALID` about `snapshotKey`;
    /// `SNAPSHOT_VERSION_UNSUPPORTED` and `SNAPSHOT_INVALID` about `snapshot`.
    pub fn restore(bytes_in: &[u8], snapshot_key: &[u8]) -> Result<Backend> {
        let body = snapshot::open(&BACKEND_KIND, bytes_in, snapshot_key)?;
        let mut r = Reader::new(body, "snapshot");
        let limits = OfflineLimits { single_max: r.u64()?, cumulative_max: r.u64()?, count_max: r.u32()?, valid_until: r.i64()? };
        let validity_s = r.i64()?;
        let counter_window = r.u64()?;
        let mut actions = BTreeMap::new();
        for _ in 0..r.u8()? {
            let code = RuleCode::from_byte(r.u8()?).ok_or_else(|| invalid("rule code"))?;
            if actions.last_key_value().is_some_and(|(last, _)| *last >= code) {
                return Err(invalid("rule codes out of order"));
            }
            actions.insert(code, action_of(r.u8()?)?);
        }
        let velocity = Velocity { window_s: r.i64()?, count_max: r.u32()?, amount_max: r.u64()? };
        let mut backend = Backend::new(Policy { limits, validity_s, counter_window, rules: Rules { actions, velocity } }).map_err(|_| invalid("policy"))?;
        let n = count(&mut r, crate::ecash::CARDS_MAX)?;
        for _ in 0..n {
            let id = r.id()?;
            let public_key = r.array()?;
            let synced = r.u64()?;
            let head = r.array()?;
            let balance = r.u64()?;
            let seq = r.u64()?;
            let previous = if flag(&mut r)? { Some((r.u64()?, r.u64()?, r.u64()?, r.array()?)) } else { None };
            let limits = OfflineLimits { single_max: r.u64()?, cumulative_max: r.u64()?, count_max: r.u32()?, valid_until: r.i64()? };
            let counter_max = r.u64()?;
            let status = action_of(r.u8()?)?;
            let k = usize::from(r.u8()?);
            let findings = r.take(k)?.iter().map(|&b| RuleCode::from_byte(b).ok_or_else(|| invalid("rule code"))).collect::<Result<Vec<_>>>()?;
            let last_sync_time = if flag(&mut r)? { Some(r.i64()?) } else { None };
            if balance > AMOUNT_MINOR_MAX || backend.cards.last_key_value().is_some_and(|(last, _)| *last >= id) {
                return Err(invalid("a card account"));
            }
            backend.cards.insert(id, Account { public_key, synced, head, balance, seq, previous, limits, counter_max, status, findings, last_sync_time });
        }
        let n = count(&mut r, crate::ecash::CARDS_MAX)?;
        for _ in 0..n {
            let id = r.id()?;
            let b = r.u64()?;
            if backend.merchants.last_key_value().is_some_and(|(last, _)| *last >= id) {
                return Err(invalid("merchants out of order"));
            }
            backend.merchants.insert(id, b);
        }
        for which in 0..2 {
            let n = count(&mut r, crate::ecash::SEEN_RECORDS_MAX)?;
            for _ in 0..n {
                let rec = Record::read(&mut r)?;
                let map = if which == 0 { &mut backend.own } else { &mut backend.spends };
                let key = (rec.card.clone(), rec.counter);
                if map.last_key_value().is_some_and(|(last, _)| *last >= key) {
                    return Err(invalid("records out of order"));
                }
                map.insert(key, rec);
            }
        }
        let n = count(&mut r, crate::ecash::SEEN_RECORDS_MAX)?;
        let mut claimed = BTreeSet::new();
        for _ in 0..n {
            let h: Hash = r.array()?;
            if claimed.last().is_some_and(|last| *last >= h) {
                return Err(invalid("claimed hashes out of order"));
            }
            claimed.insert(h);
        }
        backend.claimed = claimed;
        backend.absorbed = r.u64()?;
        if !r.is_empty() {
            return Err(invalid("trailing bytes"));
        }
        Ok(backend)
    }
}

fn action_byte(a: crate::ecash::Action) -> u8 {
    match a {
        crate::ecash::Action::Reject => 0,
        crate::ecash::Action::Restrict => 1,
        crate::ecash::Action::Block => 2,
    }
}
fn action_of(b: u8) -> Result<crate::ecash::Action> {
    match b {
        0 => Ok(crate::ecash::Action::Reject),
        1 => Ok(crate::ecash::Action::Restrict),
        2 => Ok(crate::ecash::Action::Block),
        _ => Err(invalid("action")),
    }
}
