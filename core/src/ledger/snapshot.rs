//! Ledger snapshots: the whole state as versioned, authenticated, deterministic CBOR.
//!
//! ```text
//! snapshot = [ "countersign.ledger.snapshot", version: uint (1), body: bstr, mac: bstr (32) ]
//! mac      = HMAC-SHA256(snapshotKey, CBOR([ "countersign.ledger.snapshot", version, body ]))
//! body     = state = [clock, headSeq, headHash, accounts, holds, keys] (see `codec.rs`)
//! ```
//!
//! The body holds the journal head (seq and hash) but not the retained entries: restore, then
//! [`Ledger::apply_journal`](super::Ledger::apply_journal) with the entries after the head.
//!
//! The MAC covers the type and the version as well as the body (like COSE_Mac0's MAC_structure),
//! so neither can be swapped. Checks on restore, in order: key length (`KEY_INVALID`), size and
//! structure, canonical outer encoding (`SNAPSHOT_INVALID`), version
//! (`SNAPSHOT_VERSION_UNSUPPORTED`: a future version may use another MAC, so it is checked
//! first), MAC with a constant-time comparison, canonical body encoding, and every bound and
//! invariant of the decoded state (`SNAPSHOT_INVALID`). A snapshot is integrity-protected, not
//! encrypted: the key is the caller's, 32 bytes.

use super::{codec, Ledger};
use crate::error::Result;
use crate::limits::cbor;
use crate::snapshot::{self, invalid, SnapshotKind};

pub use crate::snapshot::SNAPSHOT_KEY_LEN;

/// The snapshot format version written by this build.
pub const SNAPSHOT_FORMAT_VERSION: u32 = 1;
/// The largest snapshot accepted, in bytes: the storage adapters' value limit. A ledger of the
/// default capacity at every limit with 64-byte ids and
/// amounts near 2^96 is about 10 MB (4096 accounts × ~160 B, 8192 retained holds × ~265 B, 8192
/// idempotency keys with whole outcomes × ~410 B, 24,576 older keys with code and seq only ×
/// ~150 B, and at most 12,288 expired hold ids listed in stored results: each hold expires once);
/// typical states are far smaller. A ledger of a larger capacity (`setCapacity`) takes about 60
/// bytes per account with short ids, so a million accounts fit (see `docs/ledger.md`).
pub const SNAPSHOT_BYTES_MAX: usize = 64 * 1024 * 1024;

const KIND: SnapshotKind = SnapshotKind {
    type_name: "countersign.ledger.snapshot",
    version: SNAPSHOT_FORMAT_VERSION,
    bytes_max: SNAPSHOT_BYTES_MAX,
};

/// Encodes and authenticates `ledger`.
pub(super) fn seal(ledger: &Ledger, key: &[u8]) -> Result<Vec<u8>> {
    snapshot::seal(&KIND, &codec::state_bytes(ledger), key)
}

/// Checks and decodes a snapshot.
pub(super) fn open(bytes: &[u8], key: &[u8]) -> Result<Ledger> {
    let body = snapshot::open(&KIND, bytes, key)?;
    // Exactly the canonical encoding of a ledger (checked by re-encoding).
    let ledger: Ledger = cbor::from_slice(body)
        .ok_or_else(|| invalid("the snapshot body is not a canonically encoded ledger"))?;
    if let Err(e) = ledger.check_invariants() {
        return Err(invalid(&format!(
            "the snapshot holds an inconsistent ledger: {}",
            e.message()
        )));
    }
    Ok(ledger)
}
