//! A small, strict, hand-written deterministic-CBOR codec for the systems' payloads and states.
//!
//! Why not `minicbor`'s derive: measured on the wasm build, the derived decoders of the card's
//! types (tolerant of unknown fields, indefinite lengths, field gaps) cost about 120 KB of code;
//! these strict ones a small fraction of it. Decoding accepts definite lengths only, exact array
//! sizes, map keys in ascending order with only the optional ones absent; the callers then
//! re-encode and compare, so exactly one encoding of each value is accepted.
//!
//! Encoding is RFC 8949 §4.2.1 deterministic: shortest integer and length forms (`Enc::head`,
//! the bytes minicbor's encoder writes), definite lengths, map keys (small unsigned integers)
//! in ascending order.
//!
//! The primitive readers and writers are `#[inline(never)]`: inlined at every field of every
//! type they cost about 15 KB of wasm for no measurable speed.

use minicbor::Decoder;

/// CBOR major types, in the top three bits of an item's first byte.
const MAJOR_UNSIGNED: u8 = 0x00;
const MAJOR_NEGATIVE: u8 = 0x20;
const MAJOR_BYTES: u8 = 0x40;
const MAJOR_TEXT: u8 = 0x60;
const MAJOR_ARRAY: u8 = 0x80;
const MAJOR_MAP: u8 = 0xa0;
const MAJOR_TAG: u8 = 0xc0;
/// Simple values false, true and null (major type 7).
const FALSE: u8 = 0xf4;
const TRUE: u8 = 0xf5;
const NULL: u8 = 0xf6;
/// Tag 2: a positive bignum (a `u128` above `u64::MAX`).
const TAG_POSITIVE_BIGNUM: u64 = 2;

/// An encoder into a `Vec<u8>`. Writing to a vector cannot fail, so no method returns an error.
///
/// The item heads are written here rather than through `minicbor::Encoder`, with the same bytes
/// (RFC 8949 §4.2.1's shortest forms, as minicbor writes them; `u128` above `u64::MAX` as tag 2
/// and its big-endian bytes without leading zeros, as minicbor's `u128`): minicbor wrote each
/// head in up to two writes of one to eight bytes, each a call through its `Write` impl (out of
/// line at the wasm build's inline threshold) and a copy into the vector, which a CPU profile of
/// the wasm build put at ~7 % of a ledger batch (HACKING.md *Ledger throughput*, "Why the wasm
/// build is 3–4× native"). A head is now a push of its first byte and, when its argument does
/// not fit in it, one copy of the argument's bytes.
pub(crate) struct Enc(Vec<u8>);

impl Enc {
    pub(crate) fn new() -> Self {
        Enc(Vec::new())
    }

    /// An encoder whose buffer starts at `bytes`: for an encoding made on every operation, one
    /// allocation instead of a growth step per doubling.
    pub(crate) fn with_capacity(bytes: usize) -> Self {
        Enc(Vec::with_capacity(bytes))
    }

    pub(crate) fn into_bytes(self) -> Vec<u8> {
        self.0
    }

    /// The bytes written so far.
    pub(crate) fn written(&self) -> usize {
        self.0.len()
    }

    /// Appends `bytes`, which must already be one encoded CBOR item (an operation encoded once
    /// and copied into its journal entry).
    pub(crate) fn encoded(&mut self, bytes: &[u8]) -> &mut Self {
        self.0.extend_from_slice(bytes);
        self
    }

    /// An item's head: major type `major` with argument `value` in its shortest form.
    #[inline(never)]
    fn head(&mut self, major: u8, value: u64) -> &mut Self {
        // The first byte pushed; a longer argument's big-endian bytes in one copy after it.
        let (first, take) = match value {
            0..=0x17 => (major | value as u8, 0),
            0x18..=0xff => (major | 24, 1),
            0x100..=0xffff => (major | 25, 2),
            0x1_0000..=0xffff_ffff => (major | 26, 4),
            _ => (major | 27, 8),
        };
        self.0.push(first);
        if take > 0 {
            let be = value.to_be_bytes();
            self.0
                .extend_from_slice(be.get(be.len() - take..).unwrap_or(&be));
        }
        self
    }

    #[inline(never)]
    pub(crate) fn array(&mut self, len: u64) -> &mut Self {
        self.head(MAJOR_ARRAY, len)
    }

    #[inline(never)]
    pub(crate) fn map(&mut self, len: u64) -> &mut Self {
        self.head(MAJOR_MAP, len)
    }

    #[inline(never)]
    pub(crate) fn u64(&mut self, value: u64) -> &mut Self {
        self.head(MAJOR_UNSIGNED, value)
    }

    #[inline(never)]
    pub(crate) fn u128(&mut self, value: u128) -> &mut Self {
        match u64::try_from(value) {
            Ok(value) => self.head(MAJOR_UNSIGNED, value),
            Err(_) => {
                let be = value.to_be_bytes();
                let start = (value.leading_zeros() / 8) as usize;
                self.head(MAJOR_TAG, TAG_POSITIVE_BIGNUM)
                    .bytes(be.get(start..).unwrap_or(&be))
            }
        }
    }

    #[inline(never)]
    pub(crate) fn i64(&mut self, value: i64) -> &mut Self {
        match u64::try_from(value) {
            Ok(value) => self.head(MAJOR_UNSIGNED, value),
            // -1 - value without overflow: !value is -1 - value in two's complement.
            Err(_) => self.head(MAJOR_NEGATIVE, !value as u64),
        }
    }

    #[inline(never)]
    pub(crate) fn bool(&mut self, value: bool) -> &mut Self {
        self.0.push(if value { TRUE } else { FALSE });
        self
    }

    #[inline(never)]
    pub(crate) fn str(&mut self, value: &str) -> &mut Self {
        self.head(MAJOR_TEXT, value.len() as u64);
        self.0.extend_from_slice(value.as_bytes());
        self
    }

    #[inline(never)]
    pub(crate) fn bytes(&mut self, value: &[u8]) -> &mut Self {
        self.head(MAJOR_BYTES, value.len() as u64);
        self.0.extend_from_slice(value);
        self
    }

    #[inline(never)]
    pub(crate) fn null(&mut self) -> &mut Self {
        self.0.push(NULL);
        self
    }

    /// Encodes `value`, or null when absent.
    pub(crate) fn opt<T: Cbor>(&mut self, value: Option<&T>) -> &mut Self {
        match value {
            Some(value) => value.encode(self),
            None => {
                self.null();
            }
        }
        self
    }

    /// Encodes a definite array of `values`.
    pub(crate) fn list<T: Cbor>(&mut self, values: &[T]) -> &mut Self {
        self.array(values.len() as u64);
        for value in values {
            value.encode(self);
        }
        self
    }

    /// Encodes an optional map field: its key and value when present.
    pub(crate) fn field<T: Cbor>(&mut self, key: u64, value: Option<&T>) -> &mut Self {
        if let Some(value) = value {
            self.u64(key);
            value.encode(self);
        }
        self
    }
}

/// A value with one deterministic CBOR encoding.
pub(crate) trait Cbor: Sized {
    fn encode(&self, e: &mut Enc);
    fn decode(d: &mut Decoder<'_>) -> Option<Self>;
}

/// `value` as deterministic CBOR bytes.
pub(crate) fn to_vec<T: Cbor>(value: &T) -> Vec<u8> {
    let mut e = Enc::new();
    value.encode(&mut e);
    e.into_bytes()
}

/// Decodes `bytes` as exactly one `T` and accepts it only if it is `T`'s encoding byte for byte.
pub(crate) fn from_slice<T: Cbor>(bytes: &[u8]) -> Option<T> {
    let mut d = Decoder::new(bytes);
    let value = T::decode(&mut d)?;
    (d.position() == bytes.len() && to_vec(&value) == bytes).then_some(value)
}

/// A definite array header of exactly `len` items.
#[inline(never)]
pub(crate) fn array(d: &mut Decoder<'_>, len: u64) -> Option<()> {
    (d.array().ok()? == Some(len)).then_some(())
}

/// A definite array header; its length.
#[inline(never)]
pub(crate) fn array_len(d: &mut Decoder<'_>) -> Option<u64> {
    d.array().ok()?
}

#[inline(never)]
pub(crate) fn u64(d: &mut Decoder<'_>) -> Option<u64> {
    d.u64().ok()
}

#[inline(never)]
pub(crate) fn u32(d: &mut Decoder<'_>) -> Option<u32> {
    d.u32().ok()
}

/// Through `u64` (the same values accepted): minicbor's own `u8` reader is another 1 KB of wasm
/// in every module whose other readers do not need it.
#[inline(never)]
pub(crate) fn u8(d: &mut Decoder<'_>) -> Option<u8> {
    u8::try_from(u64(d)?).ok()
}

#[inline(never)]
pub(crate) fn u128(d: &mut Decoder<'_>) -> Option<u128> {
    d.u128().ok()
}

#[inline(never)]
pub(crate) fn i64(d: &mut Decoder<'_>) -> Option<i64> {
    d.i64().ok()
}

#[inline(never)]
pub(crate) fn bool(d: &mut Decoder<'_>) -> Option<bool> {
    d.bool().ok()
}

#[inline(never)]
pub(crate) fn string(d: &mut Decoder<'_>) -> Option<String> {
    d.str().ok().map(str::to_owned)
}

#[inline(never)]
pub(crate) fn bytes(d: &mut Decoder<'_>) -> Option<Vec<u8>> {
    d.bytes().ok().map(<[u8]>::to_vec)
}

/// A value or null.
pub(crate) fn opt<T: Cbor>(d: &mut Decoder<'_>) -> Option<Option<T>> {
    if d.datatype().ok()? == minicbor::data::Type::Null {
        d.null().ok()?;
        return Some(None);
    }
    T::decode(d).map(Some)
}

/// A definite array of at most `max` values.
pub(crate) fn list<T: Cbor>(d: &mut Decoder<'_>, max: usize) -> Option<Vec<T>> {
    let len = usize::try_from(array_len(d)?).ok()?;
    if len > max {
        return None;
    }
    let mut values = Vec::with_capacity(len);
    for _ in 0..len {
        values.push(T::decode(d)?);
    }
    Some(values)
}

/// Reads a definite map whose keys are small unsigned integers in ascending order.
pub(crate) struct MapReader {
    remaining: u64,
}

impl MapReader {
    pub(crate) fn begin(d: &mut Decoder<'_>) -> Option<MapReader> {
        Some(MapReader {
            remaining: d.map().ok()??,
        })
    }

    /// Whether the next key is `key` (consumed if so).
    pub(crate) fn has(&mut self, d: &mut Decoder<'_>, key: u64) -> Option<bool> {
        if self.remaining == 0 {
            return Some(false);
        }
        let position = d.position();
        if d.u64().ok() == Some(key) {
            self.remaining -= 1;
            Some(true)
        } else {
            d.set_position(position);
            Some(false)
        }
    }

    /// The next key must be `key`.
    pub(crate) fn want(&mut self, d: &mut Decoder<'_>, key: u64) -> Option<()> {
        self.has(d, key)?.then_some(())
    }

    /// Every entry was read.
    pub(crate) fn end(self) -> Option<()> {
        (self.remaining == 0).then_some(())
    }
}

// Leaf types.

impl Cbor for String {
    fn encode(&self, e: &mut Enc) {
        e.str(self);
    }
    fn decode(d: &mut Decoder<'_>) -> Option<Self> {
        string(d)
    }
}

impl Cbor for u128 {
    fn encode(&self, e: &mut Enc) {
        e.u128(*self);
    }
    fn decode(d: &mut Decoder<'_>) -> Option<Self> {
        u128(d)
    }
}

impl Cbor for u64 {
    fn encode(&self, e: &mut Enc) {
        e.u64(*self);
    }
    fn decode(d: &mut Decoder<'_>) -> Option<Self> {
        u64(d)
    }
}

/// A `(start, end)` pair of instants.
impl Cbor for (i64, i64) {
    fn encode(&self, e: &mut Enc) {
        e.array(2).i64(self.0).i64(self.1);
    }
    fn decode(d: &mut Decoder<'_>) -> Option<Self> {
        array(d, 2)?;
        Some((i64(d)?, i64(d)?))
    }
}

#[cfg(test)]
mod tests {
    use super::Enc;
    use minicbor::Encoder;

    /// Every argument width's edges (and either side of them), where the shortest form changes.
    fn edges() -> Vec<u64> {
        let mut values = vec![
            0,
            1,
            0x17,
            0x18,
            0xff,
            0x100,
            0xffff,
            0x1_0000,
            0xffff_ffff,
            0x1_0000_0000,
            u64::MAX,
        ];
        for shift in 0..64 {
            let v = 1u64 << shift;
            values.extend([v - 1, v, v.wrapping_add(1), v ^ 0x5555_5555_5555_5555]);
        }
        values
    }

    fn minicbor(f: impl FnOnce(&mut Encoder<Vec<u8>>)) -> Vec<u8> {
        let mut e = Encoder::new(Vec::new());
        f(&mut e);
        e.into_writer()
    }

    /// The hand-written heads are byte for byte minicbor's encoder, which wrote them before
    /// (journals, snapshots and every system's state are hashed and compared as bytes).
    #[test]
    fn every_item_is_encoded_as_minicbor_encodes_it() {
        for v in edges() {
            let enc = |f: &dyn Fn(&mut Enc)| {
                let mut e = Enc::new();
                f(&mut e);
                e.into_bytes()
            };
            assert_eq!(
                enc(&|e| {
                    e.u64(v);
                }),
                minicbor(|e| {
                    e.u64(v).unwrap();
                }),
                "u64 {v}"
            );
            assert_eq!(
                enc(&|e| {
                    e.array(v);
                }),
                minicbor(|e| {
                    e.array(v).unwrap();
                }),
                "array {v}"
            );
            assert_eq!(
                enc(&|e| {
                    e.map(v);
                }),
                minicbor(|e| {
                    e.map(v).unwrap();
                }),
                "map {v}"
            );
            for i in [
                v as i64,
                (v as i64).wrapping_neg(),
                (v as i64).wrapping_neg().wrapping_sub(1),
                i64::MIN,
                i64::MAX,
            ] {
                assert_eq!(
                    enc(&|e| {
                        e.i64(i);
                    }),
                    minicbor(|e| {
                        e.i64(i).unwrap();
                    }),
                    "i64 {i}"
                );
            }
            for w in [
                u128::from(v),
                u128::from(v) << 64,
                (u128::from(v) << 64) | u128::from(v),
                u128::MAX,
                u128::from(u64::MAX) + 1,
            ] {
                assert_eq!(
                    enc(&|e| {
                        e.u128(w);
                    }),
                    minicbor(|e| {
                        e.u128(w).unwrap();
                    }),
                    "u128 {w}"
                );
            }
        }
        for len in [0usize, 1, 23, 24, 255, 256, 65_535, 65_536, 70_000] {
            let text = "é".repeat(len / 2) + &"a".repeat(len % 2);
            let bytes = vec![0xa5u8; len];
            let mut e = Enc::new();
            e.str(&text).bytes(&bytes).bool(true).bool(false).null();
            let expected = minicbor(|m| {
                m.str(&text)
                    .unwrap()
                    .bytes(&bytes)
                    .unwrap()
                    .bool(true)
                    .unwrap()
                    .bool(false)
                    .unwrap()
                    .null()
                    .unwrap();
            });
            assert_eq!(e.written(), expected.len());
            assert_eq!(e.into_bytes(), expected, "strings of {len} bytes");
        }
    }
}
