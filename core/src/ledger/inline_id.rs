//! An account's id kept in its record when it is short, on the heap when it is not.
//!
//! Why: finding an account by id reads its index entry, then its record, then (to confirm the
//! match) its id's text. With the text on the heap that is a third cache miss, and a dependent
//! one: the text's address is in the record. Among a million wallets each of the three is a
//! miss at a random place (issue 10: the wallet's lookup was most of what a pair on a random
//! wallet cost over a 10-account ledger's). Ids of up to [`INLINE_BYTES_MAX`] bytes (Stripe's
//! `acct_…`, `cus_…`, most wallet numbers) are read with the record; longer ones (a UUID's 36)
//! are where they were.

use core::ops::Deref;

/// The longest id kept in the record: with its length and the variant's tag, 24 bytes, the
/// size of a `String` on 64-bit targets.
pub(super) const INLINE_BYTES_MAX: usize = 22;

#[derive(Clone)]
pub(super) enum InlineId {
    /// The first `len` bytes are the id (UTF-8, checked when it was made).
    Inline { len: u8, bytes: [u8; INLINE_BYTES_MAX] },
    Heap(Box<str>),
}

impl InlineId {
    pub(super) fn new(id: &str) -> Self {
        let mut bytes = [0u8; INLINE_BYTES_MAX];
        match (bytes.get_mut(..id.len()), u8::try_from(id.len())) {
            (Some(prefix), Ok(len)) => {
                prefix.copy_from_slice(id.as_bytes());
                InlineId::Inline { len, bytes }
            }
            _ => InlineId::Heap(id.into()),
        }
    }

    /// The id's bytes (no UTF-8 check: what a lookup compares and hashes).
    pub(super) fn as_bytes(&self) -> &[u8] {
        match self {
            InlineId::Inline { len, bytes } => bytes.get(..usize::from(*len)).unwrap_or_default(),
            InlineId::Heap(id) => id.as_bytes(),
        }
    }

    /// Not inlined: the UTF-8 check is code, and ids are shown and encoded in many places.
    #[inline(never)]
    pub(super) fn as_str(&self) -> &str {
        match self {
            // Made from a `str`: the check cannot fail.
            InlineId::Inline { .. } => core::str::from_utf8(self.as_bytes()).unwrap_or_default(),
            InlineId::Heap(id) => id,
        }
    }
}

impl Deref for InlineId {
    type Target = str;
    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl PartialEq for InlineId {
    fn eq(&self, other: &Self) -> bool {
        self.as_bytes() == other.as_bytes()
    }
}

impl Eq for InlineId {}

impl core::fmt::Debug for InlineId {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        core::fmt::Debug::fmt(self.as_str(), f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_ids_stay_in_the_record_and_long_ones_go_to_the_heap_with_the_same_text() {
        for id in ["w", "w123456", "acct_1032D82eZvKYlo2C", "0123456789abcdefghijkl", "é€𝄞x", "123e4567-e89b-12d3-a456-426614174000"] {
            let made = InlineId::new(id);
            assert_eq!(made.as_str(), id);
            assert_eq!(made.as_bytes(), id.as_bytes());
            assert_eq!(&*made, id);
            assert_eq!(matches!(made, InlineId::Inline { .. }), id.len() <= INLINE_BYTES_MAX, "{id}");
            assert_eq!(made, InlineId::new(id));
            assert_eq!(format!("{made:?}"), format!("{id:?}"));
        }
        assert_ne!(InlineId::new("w1"), InlineId::new("w12"));
        assert_ne!(InlineId::new("w1"), InlineId::new("w1\u{0}"));
        assert_eq!(InlineId::new(&"x".repeat(64)).as_str().len(), 64);
    }
}
