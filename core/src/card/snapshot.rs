//! Card snapshots: the whole state as versioned, authenticated, deterministic CBOR.
//!
//! ```text
//! snapshot = [ "countersign.card.snapshot", version: uint (1), body: bstr, mac: bstr (32) ]
//! mac      = HMAC-SHA256(snapshotKey, CBOR([ "countersign.card.snapshot", version, body ]))
//! body     = the card state in deterministic CBOR (arrays in field order; see `Card`)
//! ```
//!
//! The MAC covers the type and the version as well as the body (like COSE_Mac0's MAC_structure),
//! so neither can be swapped. Checks on restore, in order: key length (`KEY_INVALID`), size and
//! structure, canonical outer encoding (`SNAPSHOT_INVALID`), version
//! (`SNAPSHOT_VERSION_UNSUPPORTED`: a future version may use another MAC, so it is checked
//! first), MAC with a constant-time comparison, canonical body encoding, and every bound and
//! invariant of the decoded state (`SNAPSHOT_INVALID`). A snapshot is integrity-protected, not
//! encrypted: the key is the caller's (one per device or per card store), 32 bytes.

use minicbor::{Decoder, Encoder};

use super::Card;
use crate::crypto::{ct_eq, hmac_sha256};
use crate::error::{Error, ErrorCode, Result};
use crate::limits::cbor;

/// The snapshot format version written by this build.
pub const SNAPSHOT_FORMAT_VERSION: u32 = 1;
/// Length of the snapshot key in bytes.
pub const SNAPSHOT_KEY_LEN: usize = 32;
/// The largest snapshot accepted, in bytes (a full card is about 80 KB: 16 limits × 128 trailing
/// entries, 64 usage records, 64 decisions).
pub const SNAPSHOT_BYTES_MAX: usize = 262_144;

const SNAPSHOT_TYPE: &str = "countersign.card.snapshot";
const MAC_LEN: usize = 32;

fn invalid(message: &str) -> Error {
    Error::new(ErrorCode::SnapshotInvalid, "snapshot", message.to_owned())
}

fn internal(message: &str) -> Error {
    Error::new(ErrorCode::Internal, "", message.to_owned())
}

fn check_key(key: &[u8]) -> Result<()> {
    if key.len() == SNAPSHOT_KEY_LEN {
        Ok(())
    } else {
        Err(Error::new(
            ErrorCode::KeyInvalid,
            "snapshotKey",
            format!(
                "snapshotKey must be {SNAPSHOT_KEY_LEN} bytes, got {}",
                key.len()
            ),
        ))
    }
}

/// CBOR `[type, version, body]` and, with `mac`, `[type, version, body, mac]`.
fn frame(version: u32, body: &[u8], mac: Option<&[u8]>) -> Result<Vec<u8>> {
    let mut out = Vec::with_capacity(body.len().saturating_add(80));
    let mut e = Encoder::new(&mut out);
    let items = if mac.is_some() { 4 } else { 3 };
    let encoded = e
        .array(items)
        .and_then(|e| e.str(SNAPSHOT_TYPE))
        .and_then(|e| e.u32(version))
        .and_then(|e| e.bytes(body));
    encoded.map_err(|_| internal("encoding a snapshot failed"))?;
    if let Some(mac) = mac {
        e.bytes(mac)
            .map_err(|_| internal("encoding a snapshot failed"))?;
    }
    Ok(out)
}

fn mac(key: &[u8], version: u32, body: &[u8]) -> Result<[u8; MAC_LEN]> {
    let input = frame(version, body, None)?;
    Ok(hmac_sha256(key, &input))
}

/// Encodes and authenticates `card`.
pub(super) fn seal(card: &Card, key: &[u8]) -> Result<Vec<u8>> {
    check_key(key)?;
    let body = cbor::to_vec(card);
    let tag = mac(key, SNAPSHOT_FORMAT_VERSION, &body)?;
    frame(SNAPSHOT_FORMAT_VERSION, &body, Some(&tag))
}

/// The outer structure: (version, body, mac), or `None` when not a 4-item snapshot array.
fn parse(bytes: &[u8]) -> Option<(u32, &[u8], &[u8])> {
    let mut d = Decoder::new(bytes);
    if d.array().ok()? != Some(4) || d.str().ok()? != SNAPSHOT_TYPE {
        return None;
    }
    let version = d.u32().ok()?;
    let body = d.bytes().ok()?;
    let tag = d.bytes().ok()?;
    (d.position() == bytes.len()).then_some((version, body, tag))
}

/// Checks and decodes a snapshot.
pub(super) fn open(bytes: &[u8], key: &[u8]) -> Result<Card> {
    check_key(key)?;
    if bytes.len() > SNAPSHOT_BYTES_MAX {
        return Err(invalid("the snapshot is larger than SNAPSHOT_BYTES_MAX"));
    }
    let (version, body, tag) = parse(bytes)
        .ok_or_else(|| invalid("not a countersign card snapshot (truncated or malformed)"))?;
    // One accepted encoding: re-encoding the parsed frame must give the input back.
    if frame(version, body, Some(tag))? != bytes {
        return Err(invalid("the snapshot is not canonically encoded"));
    }
    if version != SNAPSHOT_FORMAT_VERSION {
        return Err(Error::new(
            ErrorCode::SnapshotVersionUnsupported,
            "snapshot",
            format!("snapshot format version {version} is not supported (this build reads {SNAPSHOT_FORMAT_VERSION})"),
        ));
    }
    if !ct_eq(&mac(key, version, body)?, tag) {
        return Err(invalid(
            "the snapshot's integrity check failed (tampered, or another key)",
        ));
    }
    // Exactly the canonical encoding of a card (checked by re-encoding).
    let card: Card = cbor::from_slice(body)
        .ok_or_else(|| invalid("the snapshot body is not a canonically encoded card"))?;
    if !card.is_consistent() {
        return Err(invalid("the snapshot holds an inconsistent card state"));
    }
    Ok(card)
}
