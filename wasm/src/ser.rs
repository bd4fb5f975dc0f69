//! Writing the core's results as plain JS values: the same values serde-wasm-bindgen's
//! `Serializer::json_compatible()` made (objects for structs and maps, arrays for sequences and
//! bytes, `null` for `None` and `()`, numbers for integers up to 2^53 − 1 and an error beyond,
//! `BigInt` for 128-bit integers, `{ "Variant": … }` for data-carrying enum variants), for less.
//!
//! Why our own: results are most of what a call costs once the core has decided (a card
//! preview's outcome is a dozen objects and some forty strings). serde-wasm-bindgen looks up each
//! field name in a `HashMap` and hands a *clone* of the JS string to the setter (a reference-table
//! slot taken and freed per field), and decodes every string value from UTF-8 in JS, although
//! most of them are the same few words again and again (`"APPROVED"`, `"EUR"`, `"pending"`, an
//! account id, a limit id). Here field names are the reader's table of JS strings (`de.rs`,
//! made once per program) passed by reference, and short string values come from a small cache
//! of the JS strings made before or carried by a request's id fields ([`STRING_CACHE_SLOTS`]
//! slots, direct-mapped by a hash of the bytes; a miss makes the string as before and keeps it).
//! Measured in HACKING.md "Wasm size budget" and `bench/ab.mjs`.

use core::fmt;

use js_sys::{Array, Object, Uint8Array};
use serde::ser::{self, Serialize};
use wasm_bindgen::prelude::*;

use crate::de::with_field_key;

#[wasm_bindgen]
extern "C" {
    /// A plain object this file made (`Object::new()`), being filled.
    type NewObject;

    /// `object[key] = value` on a plain object we just made: no getter or setter can run, so
    /// no `Reflect.set` and its exception handling.
    #[wasm_bindgen(method, indexing_setter)]
    fn set_property(this: &NewObject, key: &JsValue, value: &JsValue);
}

fn new_object() -> NewObject {
    Object::new().unchecked_into::<NewObject>()
}

/// A result that cannot be a JS value (an integer past 2^53 − 1, a map key that is not a
/// string): the core's types never produce one; `to_js` reports it as `INTERNAL`.
#[derive(Debug)]
pub(crate) struct Unrepresentable(String);

impl fmt::Display for Unrepresentable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Unrepresentable {}

impl ser::Error for Unrepresentable {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        Unrepresentable(msg.to_string())
    }
}

type Result<T = JsValue> = core::result::Result<T, Unrepresentable>;

/// Slots of the string-value cache: a power of two (the slot is the hash's low bits). Enough for
/// the distinct short strings one system's results repeat (codes, currencies, states, ids).
const STRING_CACHE_SLOTS: usize = 256;
/// Longest string kept in the cache: codes, currencies, ids and amounts are shorter; a longer
/// string (a message, a hex key) is made each time.
const STRING_CACHE_BYTES_MAX: usize = 32;

/// One slot of the string-value cache: a string's bytes, kept in the slot (no allocation to
/// keep one or to let one go), and its JS string.
struct CachedString {
    len: u8,
    bytes: [u8; STRING_CACHE_BYTES_MAX],
    value: JsValue,
}

impl CachedString {
    /// `s` (at most [`STRING_CACHE_BYTES_MAX`] bytes: the callers check) and its JS string.
    fn new(s: &str, value: JsValue) -> Option<Self> {
        let mut bytes = [0; STRING_CACHE_BYTES_MAX];
        bytes.get_mut(..s.len())?.copy_from_slice(s.as_bytes());
        Some(CachedString { len: u8::try_from(s.len()).ok()?, bytes, value })
    }

    fn is(&self, s: &str) -> bool {
        self.bytes.get(..usize::from(self.len)) == Some(s.as_bytes())
    }
}

thread_local! {
    /// The string-value cache, [`STRING_CACHE_SLOTS`] slots once first used. JS strings are
    /// immutable, so handing out the same one again is indistinguishable from making a new one.
    static STRINGS: core::cell::RefCell<Vec<Option<CachedString>>> = const { core::cell::RefCell::new(Vec::new()) };
}

/// FNV-1a over the bytes: cheap for ≤ 32 bytes and spreads short ASCII words over the slots.
fn slot_of(s: &str) -> usize {
    let mut hash: u32 = 0x811c_9dc5;
    for &byte in s.as_bytes() {
        hash = (hash ^ u32::from(byte)).wrapping_mul(0x0100_0193);
    }
    hash as usize & (STRING_CACHE_SLOTS - 1)
}

/// Runs `f` on the cache slot of `s` (the cache made on first use), or returns `None` for a
/// string too long to keep.
fn with_slot<R>(s: &str, f: impl FnOnce(&mut Option<CachedString>) -> R) -> Option<R> {
    if s.len() > STRING_CACHE_BYTES_MAX {
        return None;
    }
    let slot = slot_of(s);
    STRINGS.with(|cache| {
        let mut cache = cache.borrow_mut();
        if cache.is_empty() {
            cache.resize_with(STRING_CACHE_SLOTS, || None);
        }
        cache.get_mut(slot).map(f)
    })
}

/// The JS string of `s`, from the cache when it was made before (or a request carried it).
#[inline(never)]
fn js_string(s: &str) -> JsValue {
    let cached = with_slot(s, |slot| match slot {
        Some(kept) if kept.is(s) => kept.value.clone(),
        _ => {
            let value = JsValue::from_str(s);
            *slot = CachedString::new(s, value.clone());
            value
        }
    });
    cached.unwrap_or_else(|| JsValue::from_str(s))
}

/// Keeps `value`, the JS string an id field of a request carried, as the JS string of `s` (its
/// text), so that a result that repeats it (an outcome's account and hold ids: the request's
/// own, or the last request's) hands the caller's string back instead of making a new one from
/// UTF-8 — for a ledger of a million wallets, the one string of an outcome that was never made
/// before. Measured in HACKING.md *Where the rest of the difference is*.
///
/// A JS string with a lone surrogate reads as U+FFFD (the encoder's replacement), so its text is
/// not the JS string's: a text with U+FFFD is never kept from a request (the SDK refuses lone
/// surrogates; the adapter called directly does not).
#[inline(never)]
pub(crate) fn remember_string(s: &str, value: JsValue) {
    if s.contains(char::REPLACEMENT_CHARACTER) {
        return;
    }
    with_slot(s, |slot| {
        if !slot.as_ref().is_some_and(|kept| kept.is(s)) {
            *slot = CachedString::new(s, value);
        }
    });
}

/// The largest integer a JS number holds exactly.
const SAFE_INTEGER_MAX: u64 = (1 << 53) - 1;

/// A unit variant's name (`"pending"`) as a JS string: the name table's own, cloned.
#[inline(never)]
fn unit_variant(variant: &'static str) -> JsValue {
    with_field_key(variant, JsValue::clone)
}

/// The serializer (no configuration: one output format).
pub(crate) struct JsSer;

/// A struct or map being written into a plain object.
pub(crate) struct ObjectWriter {
    object: NewObject,
    /// A map's key, between `serialize_key` and `serialize_value`.
    key: Option<JsValue>,
}

/// A sequence, tuple or bytes being written into an array.
pub(crate) struct ArrayWriter {
    array: Array,
}

/// A data-carrying enum variant: `{ variant: inner }`.
pub(crate) struct VariantWriter<W> {
    variant: &'static str,
    inner: W,
}

/// `object[name] = value` for a declared name. Not generic and never inlined: one copy of the
/// name lookup instead of one in every field's writer.
#[inline(never)]
fn set_named(object: &NewObject, name: &'static str, value: &JsValue) {
    with_field_key(name, |key| object.set_property(key, value));
}

#[inline(never)]
fn wrap_variant(variant: &'static str, inner: JsValue) -> JsValue {
    let object = new_object();
    set_named(&object, variant, &inner);
    object.into()
}

impl ser::Serializer for JsSer {
    type Ok = JsValue;
    type Error = Unrepresentable;
    type SerializeSeq = ArrayWriter;
    type SerializeTuple = ArrayWriter;
    type SerializeTupleStruct = ArrayWriter;
    type SerializeTupleVariant = VariantWriter<ArrayWriter>;
    type SerializeMap = ObjectWriter;
    type SerializeStruct = ObjectWriter;
    type SerializeStructVariant = VariantWriter<ObjectWriter>;

    fn serialize_bool(self, v: bool) -> Result {
        Ok(JsValue::from_bool(v))
    }
    fn serialize_i8(self, v: i8) -> Result {
        Ok(JsValue::from_f64(v.into()))
    }
    fn serialize_i16(self, v: i16) -> Result {
        Ok(JsValue::from_f64(v.into()))
    }
    fn serialize_i32(self, v: i32) -> Result {
        Ok(JsValue::from_f64(v.into()))
    }
    fn serialize_i64(self, v: i64) -> Result {
        if v.unsigned_abs() <= SAFE_INTEGER_MAX {
            Ok(JsValue::from_f64(v as f64))
        } else {
            Err(Unrepresentable(format!("{v} can't be represented as a JavaScript number")))
        }
    }
    fn serialize_u8(self, v: u8) -> Result {
        Ok(JsValue::from_f64(v.into()))
    }
    fn serialize_u16(self, v: u16) -> Result {
        Ok(JsValue::from_f64(v.into()))
    }
    fn serialize_u32(self, v: u32) -> Result {
        Ok(JsValue::from_f64(v.into()))
    }
    fn serialize_u64(self, v: u64) -> Result {
        if v <= SAFE_INTEGER_MAX {
            Ok(JsValue::from_f64(v as f64))
        } else {
            Err(Unrepresentable(format!("{v} can't be represented as a JavaScript number")))
        }
    }
    fn serialize_i128(self, v: i128) -> Result {
        Ok(JsValue::from(v))
    }
    fn serialize_u128(self, v: u128) -> Result {
        Ok(JsValue::from(v))
    }
    fn serialize_f32(self, v: f32) -> Result {
        Ok(JsValue::from_f64(v.into()))
    }
    fn serialize_f64(self, v: f64) -> Result {
        Ok(JsValue::from_f64(v))
    }
    fn serialize_char(self, v: char) -> Result {
        Ok(js_string(v.encode_utf8(&mut [0; 4])))
    }
    fn serialize_str(self, v: &str) -> Result {
        Ok(js_string(v))
    }
    /// Bytes as a plain array of numbers, as `json_compatible()` wrote them.
    fn serialize_bytes(self, v: &[u8]) -> Result {
        Ok(Array::from(&Uint8Array::from(v)).into())
    }
    fn serialize_none(self) -> Result {
        Ok(JsValue::NULL)
    }
    fn serialize_some<T: ?Sized + Serialize>(self, value: &T) -> Result {
        value.serialize(self)
    }
    fn serialize_unit(self) -> Result {
        Ok(JsValue::NULL)
    }
    fn serialize_unit_struct(self, _name: &'static str) -> Result {
        Ok(JsValue::NULL)
    }
    fn serialize_unit_variant(self, _name: &'static str, _index: u32, variant: &'static str) -> Result {
        Ok(unit_variant(variant))
    }
    fn serialize_newtype_struct<T: ?Sized + Serialize>(self, _name: &'static str, value: &T) -> Result {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: ?Sized + Serialize>(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        value: &T,
    ) -> Result {
        Ok(wrap_variant(variant, value.serialize(self)?))
    }
    fn serialize_seq(self, _len: Option<usize>) -> Result<ArrayWriter> {
        Ok(ArrayWriter { array: Array::new() })
    }
    fn serialize_tuple(self, _len: usize) -> Result<ArrayWriter> {
        Ok(ArrayWriter { array: Array::new() })
    }
    fn serialize_tuple_struct(self, _name: &'static str, _len: usize) -> Result<ArrayWriter> {
        Ok(ArrayWriter { array: Array::new() })
    }
    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        _len: usize,
    ) -> Result<VariantWriter<ArrayWriter>> {
        Ok(VariantWriter { variant, inner: ArrayWriter { array: Array::new() } })
    }
    fn serialize_map(self, _len: Option<usize>) -> Result<ObjectWriter> {
        Ok(ObjectWriter { object: new_object(), key: None })
    }
    fn serialize_struct(self, _name: &'static str, _len: usize) -> Result<ObjectWriter> {
        Ok(ObjectWriter { object: new_object(), key: None })
    }
    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        _len: usize,
    ) -> Result<VariantWriter<ObjectWriter>> {
        Ok(VariantWriter { variant, inner: ObjectWriter { object: new_object(), key: None } })
    }
}

impl ser::SerializeSeq for ArrayWriter {
    type Ok = JsValue;
    type Error = Unrepresentable;
    fn serialize_element<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<()> {
        self.array.push(&value.serialize(JsSer)?);
        Ok(())
    }
    fn end(self) -> Result {
        Ok(self.array.into())
    }
}

impl ser::SerializeTuple for ArrayWriter {
    type Ok = JsValue;
    type Error = Unrepresentable;
    fn serialize_element<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<()> {
        ser::SerializeSeq::serialize_element(self, value)
    }
    fn end(self) -> Result {
        Ok(self.array.into())
    }
}

impl ser::SerializeTupleStruct for ArrayWriter {
    type Ok = JsValue;
    type Error = Unrepresentable;
    fn serialize_field<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<()> {
        ser::SerializeSeq::serialize_element(self, value)
    }
    fn end(self) -> Result {
        Ok(self.array.into())
    }
}

impl ser::SerializeTupleVariant for VariantWriter<ArrayWriter> {
    type Ok = JsValue;
    type Error = Unrepresentable;
    fn serialize_field<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<()> {
        ser::SerializeSeq::serialize_element(&mut self.inner, value)
    }
    fn end(self) -> Result {
        Ok(wrap_variant(self.variant, self.inner.array.into()))
    }
}

impl ser::SerializeMap for ObjectWriter {
    type Ok = JsValue;
    type Error = Unrepresentable;
    fn serialize_key<T: ?Sized + Serialize>(&mut self, key: &T) -> Result<()> {
        let key = key.serialize(JsSer)?;
        if !key.is_string() {
            return Err(Unrepresentable("a map key is not a string and cannot be an object key".to_owned()));
        }
        self.key = Some(key);
        Ok(())
    }
    fn serialize_value<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<()> {
        let key = self.key.take().ok_or_else(|| Unrepresentable("a map value without its key".to_owned()))?;
        self.object.set_property(&key, &value.serialize(JsSer)?);
        Ok(())
    }
    fn end(self) -> Result {
        Ok(self.object.into())
    }
}

impl ser::SerializeStruct for ObjectWriter {
    type Ok = JsValue;
    type Error = Unrepresentable;
    fn serialize_field<T: ?Sized + Serialize>(&mut self, key: &'static str, value: &T) -> Result<()> {
        set_named(&self.object, key, &value.serialize(JsSer)?);
        Ok(())
    }
    fn end(self) -> Result {
        Ok(self.object.into())
    }
}

impl ser::SerializeStructVariant for VariantWriter<ObjectWriter> {
    type Ok = JsValue;
    type Error = Unrepresentable;
    fn serialize_field<T: ?Sized + Serialize>(&mut self, key: &'static str, value: &T) -> Result<()> {
        ser::SerializeStruct::serialize_field(&mut self.inner, key, value)
    }
    fn end(self) -> Result {
        Ok(wrap_variant(self.variant, self.inner.object.into()))
    }
}
