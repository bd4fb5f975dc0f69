//! A small, strict, hand-written deterministic-CBOR codec for the systems' payloads and states.
//!
//! Why not `minicbor`'s derive: measured on the wasm build, the derived decoders of the card's
//! types (tolerant of unknown fields, indefinite lengths, field gaps) cost about 120 KB of code;
//! these strict ones a small fraction of it. Decoding accepts definite lengths only, exact array
//! sizes, map keys in ascending order with only the optional ones absent; the callers then
//! re-encode and compare, so exactly one encoding of each value is accepted.
//!
//! Encoding is RFC 8949 §4.2.1 deterministic: shortest integer and length forms (minicbor's
//! encoder), definite lengths, map keys (small unsigned integers) in ascending order.
//!
//! The primitive readers and writers are `#[inline(never)]`: inlined at every field of every
//! type they cost about 15 KB of wasm for no measurable speed.

use minicbor::{Decoder, Encoder};

/// An encoder into a `Vec<u8>` (writing to a vector cannot fail, so no method returns an error).
pub(crate) struct Enc(Encoder<Vec<u8>>);

// The only error an `Encoder<Vec<u8>>` can return would come from the writer, whose error type
// is `Infallible`; discarding the `Result`s is therefore lossless.
impl Enc {
    pub(crate) fn new() -> Self {
        Enc(Encoder::new(Vec::new()))
    }

    /// An encoder whose buffer starts at `bytes`: for an encoding made on every operation, one
    /// allocation instead of a growth step per doubling.
    pub(crate) fn with_capacity(bytes: usize) -> Self {
        Enc(Encoder::new(Vec::with_capacity(bytes)))
    }

    pub(crate) fn into_bytes(self) -> Vec<u8> {
        self.0.into_writer()
    }

    /// The bytes written so far.
    pub(crate) fn written(&self) -> usize {
        self.0.writer().len()
    }

    /// Appends `bytes`, which must already be one encoded CBOR item (an operation encoded once
    /// and copied into its journal entry).
    pub(crate) fn encoded(&mut self, bytes: &[u8]) -> &mut Self {
        self.0.writer_mut().extend_from_slice(bytes);
        self
    }

    #[inline(never)]
    pub(crate) fn array(&mut self, len: u64) -> &mut Self {
        let _ = self.0.array(len);
        self
    }

    #[inline(never)]
    pub(crate) fn map(&mut self, len: u64) -> &mut Self {
        let _ = self.0.map(len);
        self
    }

    #[inline(never)]
    pub(crate) fn u64(&mut self, value: u64) -> &mut Self {
        let _ = self.0.u64(value);
        self
    }

    #[inline(never)]
    pub(crate) fn u128(&mut self, value: u128) -> &mut Self {
        let _ = self.0.u128(value);
        self
    }

    #[inline(never)]
    pub(crate) fn i64(&mut self, value: i64) -> &mut Self {
        let _ = self.0.i64(value);
        self
    }

    #[inline(never)]
    pub(crate) fn bool(&mut self, value: bool) -> &mut Self {
        let _ = self.0.bool(value);
        self
    }

    #[inline(never)]
    pub(crate) fn str(&mut self, value: &str) -> &mut Self {
        let _ = self.0.str(value);
        self
    }

    #[inline(never)]
    pub(crate) fn bytes(&mut self, value: &[u8]) -> &mut Self {
        let _ = self.0.bytes(value);
        self
    }

    #[inline(never)]
    pub(crate) fn null(&mut self) -> &mut Self {
        let _ = self.0.null();
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

#[inline(never)]
pub(crate) fn u8(d: &mut Decoder<'_>) -> Option<u8> {
    d.u8().ok()
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
