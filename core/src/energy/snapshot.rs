//! Snapshots of the server and the terminal in the shared authenticated format
//! ([`crate::snapshot`]): types `"countersign.energy.server.snapshot"` and
//! `"countersign.energy.terminal.snapshot"`, version 1. Bodies are deterministic CBOR arrays in
//! field order (absent options as null); the server's embeds its ledger's own authenticated
//! snapshot (same key). On restore the body must be exactly the canonical encoding of a
//! consistent state (`SNAPSHOT_INVALID` otherwise).
//!
//! ```text
//! server   = [config, [* [stationId, key]], ledgerSnapshot bstr, [* session], seq, created]
//! config   = [currency, holdDurationS, lateCompletion (0 reject | 1 charge-if-funds), clockSkewS]
//! session  = [order, created, terminalKeyId, state (0 declined | 1 held | 2 expired | 3 closed), code, held bool,
//!             deadline, lastSeq, [* segment], [* increment], [* [request bstr, code, ledgerCode / null,
//!             envelope bstr]], receipt / null]
//! terminal = [[stationId, serverKey, clockSkewS], seq, created, [* tsession]]
//! tsession = [order, created, state (0 ordered .. 6 closed), code, [kind, previous, envelope] / null,
//!             lastServerSeq / null, holdId / null, held, expiresAt / null, [* segment],
//!             [* increment], [* reading], limit, receipt / null]
//! ```


use minicbor::Decoder;

use super::codes::EnergyCode;
use super::messages::{MeterReading, Order, Receipt, READINGS_MAX, TARIFF_CHANGES_MAX};
use super::server::{
    Answer, AnswerIndex, EnergyServer, LateCompletion, ServerConfig, Session, SessionState, TerminalKey,
    SESSIONS_MAX, SESSION_MESSAGES_MAX, TERMINALS_MAX,
};
use super::terminal::{
    EnergyTerminal, Pending, RequestKind, TerminalConfig, TerminalSession, TerminalState,
    TERMINAL_SESSIONS_MAX,
};
use crate::card::PublicKey;
use crate::error::Result;
use crate::ledger::Ledger;
use crate::limits::cbor::{self, Cbor, Enc};
use crate::limits::keyed::KeyedVec;
use crate::money::Currency;
use crate::snapshot::{self, invalid, SnapshotKind};

/// The snapshot format version written by this build (both roles).
pub const SNAPSHOT_FORMAT_VERSION: u32 = 1;
/// The largest server snapshot accepted, bytes (the ledger's 16 MiB plus the sessions).
pub const SERVER_SNAPSHOT_BYTES_MAX: usize = 64 * 1024 * 1024;
/// The largest terminal snapshot accepted, bytes.
pub const TERMINAL_SNAPSHOT_BYTES_MAX: usize = 4 * 1024 * 1024;

const SERVER_KIND: SnapshotKind = SnapshotKind {
    type_name: "countersign.energy.server.snapshot",
    version: SNAPSHOT_FORMAT_VERSION,
    bytes_max: SERVER_SNAPSHOT_BYTES_MAX,
};

const TERMINAL_KIND: SnapshotKind = SnapshotKind {
    type_name: "countersign.energy.terminal.snapshot",
    version: SNAPSHOT_FORMAT_VERSION,
    bytes_max: TERMINAL_SNAPSHOT_BYTES_MAX,
};

fn opt_i64(e: &mut Enc, value: Option<i64>) {
    match value {
        Some(v) => e.i64(v),
        None => e.null(),
    };
}

fn dec_opt_i64(d: &mut Decoder<'_>) -> Option<Option<i64>> {
    if d.datatype().ok()? == minicbor::data::Type::Null {
        d.null().ok()?;
        return Some(None);
    }
    cbor::i64(d).map(Some)
}

fn opt_u64(e: &mut Enc, value: Option<u64>) {
    match value {
        Some(v) => e.u64(v),
        None => e.null(),
    };
}

fn dec_opt_u64(d: &mut Decoder<'_>) -> Option<Option<u64>> {
    if d.datatype().ok()? == minicbor::data::Type::Null {
        d.null().ok()?;
        return Some(None);
    }
    cbor::u64(d).map(Some)
}

fn code_of(d: &mut Decoder<'_>) -> Option<EnergyCode> {
    EnergyCode::from_name(&cbor::string(d)?)
}

fn hash32(d: &mut Decoder<'_>) -> Option<[u8; 32]> {
    cbor::bytes(d)?.try_into().ok()
}

const SESSION_STATES: [SessionState; 4] = [
    SessionState::Declined,
    SessionState::Held,
    SessionState::Expired,
    SessionState::Closed,
];

const TERMINAL_STATES: [TerminalState; 7] = [
    TerminalState::Ordered,
    TerminalState::Declined,
    TerminalState::Authorised,
    TerminalState::Paused,
    TerminalState::Expired,
    TerminalState::Completing,
    TerminalState::Closed,
];

const KINDS: [RequestKind; 4] = [
    RequestKind::Order,
    RequestKind::TariffChange,
    RequestKind::Extend,
    RequestKind::Completion,
];

fn index_of<T: PartialEq>(all: &[T], value: &T) -> u64 {
    all.iter().position(|v| v == value).unwrap_or(0) as u64
}

fn nth<T: Copy>(all: &[T], d: &mut Decoder<'_>) -> Option<T> {
    all.get(usize::try_from(cbor::u64(d)?).ok()?).copied()
}

impl Cbor for ServerConfig {
    fn encode(&self, e: &mut Enc) {
        let late = match self.late_completion {
            LateCompletion::Reject => 0,
            LateCompletion::ChargeIfFunds => 1,
        };
        e.array(4)
            .str(&self.currency)
            .i64(self.hold_duration_s)
            .u64(late)
            .u64(u64::from(self.clock_skew_s));
    }
    fn decode(d: &mut Decoder<'_>) -> Option<Self> {
        cbor::array(d, 4)?;
        Some(ServerConfig {
            currency: cbor::string(d)?,
            hold_duration_s: cbor::i64(d)?,
            late_completion: nth(&[LateCompletion::Reject, LateCompletion::ChargeIfFunds], d)?,
            clock_skew_s: cbor::u32(d)?,
        })
    }
}

impl Cbor for TerminalKey {
    fn encode(&self, e: &mut Enc) {
        e.array(2).str(&self.station_id);
        self.key.encode(e);
    }
    fn decode(d: &mut Decoder<'_>) -> Option<Self> {
        cbor::array(d, 2)?;
        Some(TerminalKey {
            station_id: cbor::string(d)?,
            key: PublicKey::decode(d)?,
        })
    }
}

impl Cbor for Answer {
    fn encode(&self, e: &mut Enc) {
        e.array(4).bytes(&self.request).str(self.code.as_str());
        e.opt(self.ledger_code.as_ref());
        e.bytes(&self.envelope);
    }
    fn decode(d: &mut Decoder<'_>) -> Option<Self> {
        cbor::array(d, 4)?;
        Some(Answer {
            request: hash32(d)?,
            code: code_of(d)?,
            ledger_code: cbor::opt(d)?,
            envelope: cbor::bytes(d)?,
        })
    }
}

impl Cbor for Session {
    fn encode(&self, e: &mut Enc) {
        e.array(12);
        self.order.encode(e);
        e.u64(self.created)
            .str(&self.terminal_key_id)
            .u64(index_of(&SESSION_STATES, &self.state))
            .str(self.code.as_str())
            .bool(self.held)
            .i64(self.deadline)
            .u64(self.last_seq)
            .list(&self.segments)
            .list(&self.increments)
            .list(&self.answers)
            .opt(self.receipt.as_ref());
    }
    fn decode(d: &mut Decoder<'_>) -> Option<Self> {
        cbor::array(d, 12)?;
        Some(Session {
            order: Order::decode(d)?,
            created: cbor::u64(d)?,
            terminal_key_id: cbor::string(d)?,
            state: nth(&SESSION_STATES, d)?,
            code: code_of(d)?,
            held: cbor::bool(d)?,
            deadline: cbor::i64(d)?,
            last_seq: cbor::u64(d)?,
            segments: cbor::list(d, TARIFF_CHANGES_MAX + 1)?,
            increments: cbor::list(d, TARIFF_CHANGES_MAX)?,
            answers: cbor::list(d, SESSION_MESSAGES_MAX)?,
            receipt: cbor::opt(d)?,
        })
    }
}

impl Cbor for Pending {
    fn encode(&self, e: &mut Enc) {
        e.array(3)
            .u64(index_of(&KINDS, &self.kind))
            .u64(index_of(&TERMINAL_STATES, &self.previous))
            .bytes(&self.envelope);
    }
    fn decode(d: &mut Decoder<'_>) -> Option<Self> {
        cbor::array(d, 3)?;
        Some(Pending {
            kind: nth(&KINDS, d)?,
            previous: nth(&TERMINAL_STATES, d)?,
            envelope: cbor::bytes(d)?,
        })
    }
}

impl Cbor for TerminalSession {
    fn encode(&self, e: &mut Enc) {
        e.array(14);
        self.order.encode(e);
        e.u64(self.created)
            .u64(index_of(&TERMINAL_STATES, &self.state))
            .str(self.code.as_str())
            .opt(self.pending.as_ref());
        opt_u64(e, self.last_server_seq);
        e.opt(self.hold_id.as_ref()).str(&self.held);
        opt_i64(e, self.expires_at);
        e.list(&self.segments)
            .list(&self.increments)
            .list(&self.readings)
            .str(&self.limit)
            .opt(self.receipt.as_ref());
    }
    fn decode(d: &mut Decoder<'_>) -> Option<Self> {
        cbor::array(d, 14)?;
        Some(TerminalSession {
            order: Order::decode(d)?,
            created: cbor::u64(d)?,
            state: nth(&TERMINAL_STATES, d)?,
            code: code_of(d)?,
            pending: cbor::opt(d)?,
            last_server_seq: dec_opt_u64(d)?,
            hold_id: cbor::opt(d)?,
            held: cbor::string(d)?,
            expires_at: dec_opt_i64(d)?,
            segments: cbor::list(d, TARIFF_CHANGES_MAX + 1)?,
            increments: cbor::list(d, TARIFF_CHANGES_MAX)?,
            readings: cbor::list::<MeterReading>(d, READINGS_MAX)?,
            limit: cbor::string(d)?,
            receipt: cbor::opt::<Receipt>(d)?,
        })
    }
}

/// The server's body, with the ledger snapshot already sealed.
struct ServerBody {
    config: ServerConfig,
    terminals: Vec<TerminalKey>,
    ledger: Vec<u8>,
    sessions: Vec<Session>,
    seq: u64,
    created: u64,
}

impl Cbor for ServerBody {
    fn encode(&self, e: &mut Enc) {
        e.array(6);
        self.config.encode(e);
        e.list(&self.terminals)
            .bytes(&self.ledger)
            .list(&self.sessions)
            .u64(self.seq)
            .u64(self.created);
    }
    fn decode(d: &mut Decoder<'_>) -> Option<Self> {
        cbor::array(d, 6)?;
        Some(ServerBody {
            config: ServerConfig::decode(d)?,
            terminals: cbor::list(d, TERMINALS_MAX)?,
            ledger: cbor::bytes(d)?,
            sessions: cbor::list(d, SESSIONS_MAX)?,
            seq: cbor::u64(d)?,
            created: cbor::u64(d)?,
        })
    }
}

struct TerminalBody {
    config: TerminalConfig,
    seq: u64,
    created: u64,
    sessions: Vec<TerminalSession>,
}

impl Cbor for TerminalBody {
    fn encode(&self, e: &mut Enc) {
        e.array(4).array(3).str(&self.config.station_id);
        self.config.server_key.encode(e);
        e.u64(u64::from(self.config.clock_skew_s))
            .u64(self.seq)
            .u64(self.created)
            .list(&self.sessions);
    }
    fn decode(d: &mut Decoder<'_>) -> Option<Self> {
        cbor::array(d, 4)?;
        cbor::array(d, 3)?;
        let config = TerminalConfig {
            station_id: cbor::string(d)?,
            server_key: PublicKey::decode(d)?,
            clock_skew_s: cbor::u32(d)?,
        };
        Some(TerminalBody {
            config,
            seq: cbor::u64(d)?,
            created: cbor::u64(d)?,
            sessions: cbor::list(d, TERMINAL_SESSIONS_MAX)?,
        })
    }
}

impl EnergyServer {
    /// The whole state (configuration, trusted terminals, ledger, sessions with their stored
    /// answers) as authenticated bytes; the ledger's retained journal is not included.
    ///
    /// Errors: `KEY_INVALID` about `"snapshotKey"`.
    pub fn snapshot(&self, snapshot_key: &[u8]) -> Result<Vec<u8>> {
        let body = ServerBody {
            config: self.config.clone(),
            terminals: self.terminals.clone(),
            ledger: self.ledger.snapshot(snapshot_key)?,
            sessions: self.sessions.iter().cloned().collect(),
            seq: self.seq,
            created: self.created,
        };
        snapshot::seal(&SERVER_KIND, &cbor::to_vec(&body), snapshot_key)
    }

    /// A server from [`EnergyServer::snapshot`] bytes.
    ///
    /// Errors: `KEY_INVALID` about `"snapshotKey"`; `SNAPSHOT_VERSION_UNSUPPORTED` and
    /// `SNAPSHOT_INVALID` about `"snapshot"`.
    pub fn restore(bytes: &[u8], snapshot_key: &[u8]) -> Result<EnergyServer> {
        let body = snapshot::open(&SERVER_KIND, bytes, snapshot_key)?;
        let body: ServerBody = cbor::from_slice(body).ok_or_else(|| {
            invalid("the snapshot body is not a canonically encoded energy server")
        })?;
        let ledger = Ledger::restore(&body.ledger, snapshot_key)?;
        let currency = Currency::from_code(&body.config.currency)
            .map_err(|_| invalid("the snapshot names an unknown currency"))?;
        let mut sessions = KeyedVec::new();
        let mut answers = AnswerIndex::default();
        for session in body.sessions {
            // Consistency: a held session has its pending hold, ids are unique and ordered.
            let held_ok = session.state != SessionState::Held
                || ledger.hold_view(&session.order.order_id).is_some_and(|h| {
                    h.state == crate::ledger::HoldState::Pending && h.expires_at == session.deadline
                });
            if !held_ok || session.created > body.created {
                return Err(invalid("the snapshot holds an inconsistent energy session"));
            }
            for answer in &session.answers {
                answers.insert(answer.request, session.order.order_id.clone());
            }
            // Strictly ascending, as `snapshot` writes them (the sessions' order): unique, and
            // one accepted encoding per state (the fuzzer found unordered ids restoring).
            if !sessions.push_ascending(session) {
                return Err(invalid(
                    "the snapshot's order ids are not unique and ascending",
                ));
            }
        }
        Ok(EnergyServer {
            config: body.config,
            currency,
            terminals: body.terminals,
            ledger,
            sessions,
            answers,
            seq: body.seq,
            created: body.created,
        })
    }
}

impl EnergyTerminal {
    /// The whole state as authenticated bytes.
    ///
    /// Errors: `KEY_INVALID` about `"snapshotKey"`.
    pub fn snapshot(&self, snapshot_key: &[u8]) -> Result<Vec<u8>> {
        let body = TerminalBody {
            config: self.config.clone(),
            seq: self.seq,
            created: self.created,
            sessions: self.sessions.iter().cloned().collect(),
        };
        snapshot::seal(&TERMINAL_KIND, &cbor::to_vec(&body), snapshot_key)
    }

    /// A terminal from [`EnergyTerminal::snapshot`] bytes.
    ///
    /// Errors: as [`EnergyServer::restore`].
    pub fn restore(bytes: &[u8], snapshot_key: &[u8]) -> Result<EnergyTerminal> {
        let body = snapshot::open(&TERMINAL_KIND, bytes, snapshot_key)?;
        let body: TerminalBody = cbor::from_slice(body).ok_or_else(|| {
            invalid("the snapshot body is not a canonically encoded energy terminal")
        })?;
        let mut sessions = KeyedVec::new();
        for session in body.sessions {
            if session.created > body.created {
                return Err(invalid("the snapshot holds an inconsistent energy session"));
            }
            // Strictly ascending, as `snapshot` writes them: unique, and one accepted encoding.
            if !sessions.push_ascending(session) {
                return Err(invalid(
                    "the snapshot's order ids are not unique and ascending",
                ));
            }
        }
        Ok(EnergyTerminal {
            config: body.config,
            seq: body.seq,
            created: body.created,
            sessions,
        })
    }

    /// The terminal's monotonic counter (its last envelope sequence number): a snapshot with a
    /// lower one is older (a rollback).
    pub fn revision(&self) -> u64 {
        self.seq
    }
}

impl EnergyServer {
    /// The server's monotonic counters: its last envelope sequence number and its ledger's
    /// journal head; a snapshot with either lower is older (a rollback).
    pub fn revision(&self) -> (u64, u64) {
        (self.seq, self.ledger.head().seq)
    }
}

/// `bytes` (a server snapshot) with its sessions edited and sealed again under `snapshot_key`:
/// for tests of what a restore refuses in a body that is authentic but inconsistent.
#[cfg(test)]
pub(super) fn resealed_server(bytes: &[u8], snapshot_key: &[u8], edit: impl FnOnce(&mut Vec<Session>)) -> Vec<u8> {
    let body = snapshot::open(&SERVER_KIND, bytes, snapshot_key).expect("an authentic server snapshot");
    let mut body: ServerBody = cbor::from_slice(body).expect("a canonical server body");
    edit(&mut body.sessions);
    snapshot::seal(&SERVER_KIND, &cbor::to_vec(&body), snapshot_key).expect("a 32-byte key")
}

/// As [`resealed_server`], for a terminal snapshot.
#[cfg(test)]
pub(super) fn resealed_terminal(
    bytes: &[u8],
    snapshot_key: &[u8],
    edit: impl FnOnce(&mut Vec<TerminalSession>),
) -> Vec<u8> {
    let body = snapshot::open(&TERMINAL_KIND, bytes, snapshot_key).expect("an authentic terminal snapshot");
    let mut body: TerminalBody = cbor::from_slice(body).expect("a canonical terminal body");
    edit(&mut body.sessions);
    snapshot::seal(&TERMINAL_KIND, &cbor::to_vec(&body), snapshot_key).expect("a 32-byte key")
}
