//! The routing rule of a sharded ledger (the SDK's `ShardedLedger`): which of `shard_count`
//! ledgers holds an account. Here, in the core, so that every platform routes the same id to
//! the same shard.
//!
//! | account id | shard |
//! |---|---|
//! | `@<i>/<name>`, `i` in canonical decimal (no leading zero) and below the shard count | `i` (pinned: per-shard accounts such as a merchant's account on each shard) |
//! | any other id | the first 4 bytes (u32 big-endian) of SHA-256([`SHARD_ROUTING_TAG`] ‖ id as UTF-8), modulo the shard count |

use crate::crypto::sha256_parts;
use crate::error::{Error, ErrorCode, Result};

/// The domain tag hashed before the account id.
pub const SHARD_ROUTING_TAG: &str = "countersign/ledger-shard/v1";
/// Most shards of a sharded ledger.
pub const SHARD_COUNT_MAX: u32 = 4096;
/// Most decimal digits of a pinned shard (`@<i>/`): [`SHARD_COUNT_MAX`] − 1 has four.
const PINNED_DIGITS_MAX: usize = 4;

/// The shard of `account_id` among `shard_count` (see the module docs).
///
/// Errors: `INVALID_ARGUMENT` about `shardCount` outside 1 ..= [`SHARD_COUNT_MAX`].
pub fn shard_of(account_id: &str, shard_count: u32) -> Result<u32> {
    if !(1..=SHARD_COUNT_MAX).contains(&shard_count) {
        return Err(Error::new(
            ErrorCode::InvalidArgument,
            "shardCount",
            format!("must be 1..={SHARD_COUNT_MAX}, got {shard_count}"),
        ));
    }
    if let Some(shard) = pinned(account_id).filter(|shard| *shard < shard_count) {
        return Ok(shard);
    }
    let digest = sha256_parts(&[SHARD_ROUTING_TAG.as_bytes(), account_id.as_bytes()]);
    let [a, b, c, d, ..] = digest;
    Ok(u32::from_be_bytes([a, b, c, d]) % shard_count)
}

/// The `i` of `@<i>/<name>` (a non-empty name; `i` canonical decimal, at most four digits).
fn pinned(account_id: &str) -> Option<u32> {
    let rest = account_id.strip_prefix('@')?;
    let (digits, name) = rest.split_once('/')?;
    let canonical = !digits.is_empty()
        && digits.len() <= PINNED_DIGITS_MAX
        && digits.bytes().all(|b| b.is_ascii_digit())
        && (digits == "0" || !digits.starts_with('0'));
    if !canonical || name.is_empty() {
        return None;
    }
    digits.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pinned_ids_go_to_their_shard_when_canonical_and_in_range() {
        assert_eq!(shard_of("@0/merchant", 8).unwrap(), 0);
        assert_eq!(shard_of("@7/merchant", 8).unwrap(), 7);
        assert_eq!(shard_of("@4095/x", 4096).unwrap(), 4095);
        // Not pinned: hashed like any id.
        for id in ["@8/merchant", "@07/merchant", "@/x", "@1/", "@12345/x", "@1x/y", "@+1/x", "@ 1/x"] {
            assert_eq!(shard_of(id, 8).unwrap(), hashed(id, 8), "{id}");
        }
    }

    /// The rule written out again, from the standard library's pieces.
    fn hashed(id: &str, count: u32) -> u32 {
        let mut message = SHARD_ROUTING_TAG.as_bytes().to_vec();
        message.extend_from_slice(id.as_bytes());
        let digest = crate::crypto::sha256(&message);
        u32::from_be_bytes([digest[0], digest[1], digest[2], digest[3]]) % count
    }

    #[test]
    fn other_ids_are_hashed_and_the_count_is_checked() {
        // Computed with Python's hashlib: SHA-256("countersign/ledger-shard/v1" || id) starts
        // 53e2bef2 for "w1" (0x53e2bef2 % 1024 = 754) and 28255a22 for "wället-Ω" (% 4096 = 2594).
        assert_eq!(shard_of("w1", 1024).unwrap(), 754);
        assert_eq!(shard_of("wället-Ω", 4096).unwrap(), 2594);
        assert_eq!(shard_of("w1", 1024).unwrap(), hashed("w1", 1024));
        assert_eq!(shard_of("w1", 1).unwrap(), 0);
        for count in [0, SHARD_COUNT_MAX + 1] {
            let err = shard_of("w1", count).unwrap_err();
            assert_eq!((err.code(), err.param()), (ErrorCode::InvalidArgument, "shardCount"));
        }
    }
}
