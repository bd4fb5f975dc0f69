//! Terminal snapshots: the patient terminal in the shared authenticated snapshot format
//! ([`crate::snapshot`]), type `"countersign.dose.terminal.snapshot"`, version 1. The body is
//! deterministic CBOR, every struct an array of its fields:
//!
//! ```text
//! terminal = [config, revision, [version, bstr(program payload)] / null, settings / null,
//!             [settings, seq, bstr(32)] / null, settings (draft), settingsSeq, lastAckSeq / null,
//!             [lastSeq / null, lastAtMs, seenBehind, acceptedCount, missingCount]]
//! config   = [controllerModel, [* publicKey], publicKey]       ; publicKey as the card's
//! settings = [16 × uint]                                       ; FIELDS order
//! ```
//!
//! On restore the body must be exactly the canonical encoding of a consistent terminal
//! ([`Terminal::is_consistent`]; `SNAPSHOT_INVALID` otherwise): one state, one byte string.

use minicbor::Decoder;

use super::frame::Stream;
use super::package::{Installed, Pending, ProgramPackage, Terminal, TerminalConfig, SERVER_KEYS_MAX};
use super::settings::{AlarmSettings, FIELDS_COUNT};
use crate::card::PublicKey;
use crate::error::Result;
use crate::limits::cbor::{self, Cbor, Enc};
use crate::snapshot::{self, invalid, SnapshotKind};

/// The snapshot format version written by this build.
pub const SNAPSHOT_FORMAT_VERSION: u32 = 1;
/// The largest terminal snapshot accepted, bytes (a full one is under 2 KB).
pub const SNAPSHOT_BYTES_MAX: usize = 16 << 10;

const KIND: SnapshotKind = SnapshotKind { type_name: "countersign.dose.terminal.snapshot", version: SNAPSHOT_FORMAT_VERSION, bytes_max: SNAPSHOT_BYTES_MAX };

pub(super) fn seal(t: &Terminal, key: &[u8]) -> Result<Vec<u8>> {
    snapshot::seal(&KIND, &encode(t), key)
}

pub(super) fn open(bytes: &[u8], key: &[u8]) -> Result<Terminal> {
    let body = snapshot::open(&KIND, bytes, key)?;
    let t = decode(body).filter(|t| encode(t) == body).ok_or_else(|| invalid("the snapshot body is not a canonically encoded terminal"))?;
    if !t.is_consistent() {
        return Err(invalid("the snapshot holds an inconsistent terminal state"));
    }
    Ok(t)
}

fn settings_enc(e: &mut Enc, s: &AlarmSettings) {
    e.array(FIELDS_COUNT as u64);
    for v in s.values() {
        e.u64(u64::from(v));
    }
}

fn settings_dec(d: &mut Decoder<'_>) -> Option<AlarmSettings> {
    cbor::array(d, FIELDS_COUNT as u64)?;
    let mut v = [0u32; FIELDS_COUNT];
    for slot in &mut v {
        *slot = cbor::u32(d)?;
    }
    Some(AlarmSettings::from_values(v))
}

fn is_null(d: &mut Decoder<'_>) -> Option<bool> {
    if d.datatype().ok()? == minicbor::data::Type::Null {
        d.null().ok()?;
        return Some(true);
    }
    Some(false)
}

fn encode(t: &Terminal) -> Vec<u8> {
    let mut e = Enc::new();
    e.array(9);
    e.array(3).str(&t.config.controller_model).array(t.config.server_keys.len() as u64);
    for k in &t.config.server_keys {
        k.encode(&mut e);
    }
    t.config.controller_key.encode(&mut e);
    e.u64(t.revision);
    match &t.program {
        Some(p) => {
            e.array(2).u64(p.version).bytes(&p.package.encode());
        }
        None => {
            e.null();
        }
    }
    match &t.confirmed {
        Some(s) => settings_enc(&mut e, s),
        None => {
            e.null();
        }
    }
    match &t.pending {
        Some(p) => {
            e.array(3);
            settings_enc(&mut e, &p.settings);
            e.u64(p.seq).bytes(&p.hash);
        }
        None => {
            e.null();
        }
    }
    settings_enc(&mut e, &t.draft);
    e.u64(t.settings_seq);
    match t.last_ack_seq {
        Some(s) => e.u64(s),
        None => e.null(),
    };
    let s = &t.stream;
    e.array(5);
    match s.last_seq {
        Some(v) => e.u64(u64::from(v)),
        None => e.null(),
    };
    e.u64(s.last_at_ms).u64(s.seen_behind).u64(s.accepted_count).u64(s.missing_count);
    e.into_bytes()
}

fn decode(bytes: &[u8]) -> Option<Terminal> {
    let d = &mut Decoder::new(bytes);
    cbor::array(d, 9)?;
    cbor::array(d, 3)?;
    let controller_model = cbor::string(d)?;
    let server_keys: Vec<PublicKey> = cbor::list(d, SERVER_KEYS_MAX)?;
    let controller_key = PublicKey::decode(d)?;
    let revision = cbor::u64(d)?;
    let program = if is_null(d)? {
        None
    } else {
        cbor::array(d, 2)?;
        let version = cbor::u64(d)?;
        Some(Installed { version, package: ProgramPackage::decode(&cbor::bytes(d)?)? })
    };
    let confirmed = if is_null(d)? { None } else { Some(settings_dec(d)?) };
    let pending = if is_null(d)? {
        None
    } else {
        cbor::array(d, 3)?;
        let settings = settings_dec(d)?;
        let seq = cbor::u64(d)?;
        Some(Pending { settings, seq, hash: cbor::bytes(d)?.try_into().ok()? })
    };
    let draft = settings_dec(d)?;
    let settings_seq = cbor::u64(d)?;
    let last_ack_seq = if is_null(d)? { None } else { Some(cbor::u64(d)?) };
    cbor::array(d, 5)?;
    let last_seq = if is_null(d)? { None } else { Some(cbor::u32(d)?) };
    let stream = Stream { last_seq, last_at_ms: cbor::u64(d)?, seen_behind: cbor::u64(d)?, accepted_count: cbor::u64(d)?, missing_count: cbor::u64(d)? };
    (d.position() == bytes.len()).then_some(Terminal {
        config: TerminalConfig { controller_model, server_keys, controller_key },
        revision,
        program,
        confirmed,
        pending,
        draft,
        settings_seq,
        last_ack_seq,
        stream,
    })
}
