//! Card snapshots: the card state in the shared authenticated snapshot format
//! ([`crate::snapshot`]), type `"countersign.card.snapshot"`, version 1; the body is the card in
//! deterministic CBOR (arrays in field order; see `Card`). On restore the body must be exactly the
//! canonical encoding of a consistent card (`SNAPSHOT_INVALID` otherwise).

use super::Card;
use crate::error::Result;
use crate::limits::cbor;
use crate::snapshot::{self, invalid, SnapshotKind};

pub use crate::snapshot::SNAPSHOT_KEY_LEN;

/// The snapshot format version written by this build.
pub const SNAPSHOT_FORMAT_VERSION: u32 = 1;
/// The largest snapshot accepted, in bytes (a full card is about 80 KB: 16 limits × 128 trailing
/// entries, 64 usage records, 64 decisions).
pub const SNAPSHOT_BYTES_MAX: usize = 262_144;

const KIND: SnapshotKind = SnapshotKind {
    type_name: "countersign.card.snapshot",
    version: SNAPSHOT_FORMAT_VERSION,
    bytes_max: SNAPSHOT_BYTES_MAX,
};

/// Encodes and authenticates `card`.
pub(super) fn seal(card: &Card, key: &[u8]) -> Result<Vec<u8>> {
    snapshot::seal(&KIND, &cbor::to_vec(card), key)
}

/// Checks and decodes a snapshot.
pub(super) fn open(bytes: &[u8], key: &[u8]) -> Result<Card> {
    let body = snapshot::open(&KIND, bytes, key)?;
    // Exactly the canonical encoding of a card (checked by re-encoding).
    let card: Card = cbor::from_slice(body)
        .ok_or_else(|| invalid("the snapshot body is not a canonically encoded card"))?;
    if !card.is_consistent() {
        return Err(invalid("the snapshot holds an inconsistent card state"));
    }
    Ok(card)
}
