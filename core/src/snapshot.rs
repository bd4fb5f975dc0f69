//! Authenticated snapshots: the one format in which a stateful system (card, ledger, ...) saves
//! its whole state as versioned, authenticated, deterministic CBOR.
//!
//! ```text
//! snapshot = [ type: tstr, version: uint, body: bstr, mac: bstr (32) ]
//! mac      = HMAC-SHA256(snapshotKey, CBOR([ type, version, body ]))
//! ```
//!
//! `type` names the system (`"countersign.card.snapshot"`), `body` is that system's state in its
//! own deterministic CBOR. The MAC covers the type and the version as well as the body (like
//! COSE_Mac0's MAC_structure), so neither can be swapped. Checks in [`open`], in order: key length
//! (`KEY_INVALID`), size and structure, canonical outer encoding (`SNAPSHOT_INVALID`), version
//! (`SNAPSHOT_VERSION_UNSUPPORTED`: a future version may use another MAC, so it is checked first),
//! MAC with a constant-time comparison (`SNAPSHOT_INVALID`). The caller then decodes the body
//! canonically and checks its invariants. A snapshot is integrity-protected, not encrypted: the
//! key is the caller's (one per device or store), 32 bytes.

use minicbor::{Decoder, Encoder};

use crate::crypto::{ct_eq, hmac_sha256};
use crate::error::{Error, ErrorCode, Result};

/// Length of a snapshot key in bytes.
pub const SNAPSHOT_KEY_LEN: usize = 32;
const MAC_LEN: usize = 32;

/// What a system's snapshots are: their type string, the version this build writes and reads,
/// and the largest accepted size.
#[derive(Debug, Clone, Copy)]
pub struct SnapshotKind {
    /// The type string, e.g. `"countersign.card.snapshot"`.
    pub type_name: &'static str,
    /// The format version written and read by this build.
    pub version: u32,
    /// The largest snapshot accepted, bytes.
    pub bytes_max: usize,
}

/// A `SNAPSHOT_INVALID` error about the `snapshot` parameter.
pub fn invalid(message: &str) -> Error {
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
            format!("must be {SNAPSHOT_KEY_LEN} bytes, got {}", key.len()),
        ))
    }
}

/// CBOR `[type, version, body]` and, with `mac`, `[type, version, body, mac]`.
fn frame(kind: &SnapshotKind, version: u32, body: &[u8], mac: Option<&[u8]>) -> Result<Vec<u8>> {
    let mut out = Vec::with_capacity(body.len().saturating_add(80));
    let mut e = Encoder::new(&mut out);
    let items = if mac.is_some() { 4 } else { 3 };
    let encoded = e
        .array(items)
        .and_then(|e| e.str(kind.type_name))
        .and_then(|e| e.u32(version))
        .and_then(|e| e.bytes(body));
    encoded.map_err(|_| internal("encoding a snapshot failed"))?;
    if let Some(mac) = mac {
        e.bytes(mac).map_err(|_| internal("encoding a snapshot failed"))?;
    }
    Ok(out)
}

fn mac(kind: &SnapshotKind, key: &[u8], version: u32, body: &[u8]) -> Result<[u8; MAC_LEN]> {
    let input = frame(kind, version, body, None)?;
    Ok(hmac_sha256(key, &input))
}

/// Frames and authenticates `body` (a system's state in its deterministic CBOR).
pub fn seal(kind: &SnapshotKind, body: &[u8], key: &[u8]) -> Result<Vec<u8>> {
    check_key(key)?;
    let tag = mac(kind, key, kind.version, body)?;
    frame(kind, kind.version, body, Some(&tag))
}

/// The outer structure: (version, body, mac), or `None` when not a 4-item snapshot of `kind`.
fn parse<'a>(kind: &SnapshotKind, bytes: &'a [u8]) -> Option<(u32, &'a [u8], &'a [u8])> {
    let mut d = Decoder::new(bytes);
    if d.array().ok()? != Some(4) || d.str().ok()? != kind.type_name {
        return None;
    }
    let version = d.u32().ok()?;
    let body = d.bytes().ok()?;
    let tag = d.bytes().ok()?;
    (d.position() == bytes.len()).then_some((version, body, tag))
}

/// Checks a snapshot of `kind` and returns its authenticated body (still to be decoded and
/// checked by the system that owns it).
pub fn open<'a>(kind: &SnapshotKind, bytes: &'a [u8], key: &[u8]) -> Result<&'a [u8]> {
    check_key(key)?;
    if bytes.len() > kind.bytes_max {
        return Err(invalid("the snapshot is larger than its maximum size"));
    }
    let (version, body, tag) = parse(kind, bytes).ok_or_else(|| {
        invalid(&format!("not a {} (truncated or malformed)", kind.type_name))
    })?;
    // One accepted encoding: re-encoding the parsed frame must give the input back.
    if frame(kind, version, body, Some(tag))? != bytes {
        return Err(invalid("the snapshot is not canonically encoded"));
    }
    if version != kind.version {
        return Err(Error::new(
            ErrorCode::SnapshotVersionUnsupported,
            "snapshot",
            format!(
                "format version {version} is not supported (this build reads {})",
                kind.version
            ),
        ));
    }
    if !ct_eq(&mac(kind, key, version, body)?, tag) {
        return Err(invalid("the snapshot's integrity check failed (tampered, or another key)"));
    }
    Ok(body)
}
