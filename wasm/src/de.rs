//! Reading JS values into the core's input types: the one place that refuses what those types do
//! not accept, naming where in the value the problem is.
//!
//! Why our own serde `Deserializer` rather than serde-wasm-bindgen's: that one reads a struct by
//! asking the object for each *declared* field and nothing else, so an unknown field is never seen
//! and `deny_unknown_fields` cannot fire (the SDK had to re-list every struct's fields to catch a
//! misspelt `finale`); its errors carry no path; and wrapping it for a path
//! (`serde_path_to_error`) measured +20.6 KB gzip (+4.2 %) on the everything-module, because every
//! visitor of every input type is wrapped. Here the path is added only while an error travels up
//! (`Fail::under`, not generic); a struct is read by its declared own fields and then its own keys
//! are counted, so a key it does not declare is refused (`deserialize_struct`); a map by its own
//! keys; and serde's error hooks
//! (`invalid_type`, `unknown_field`, `missing_field` …) write the message in the project's words
//! once, where the error is made: "must be a non-negative integer, got -1",
//! "unknown field `finale`; allowed: holdId, amount, final".
//!
//! Inputs come from the SDK boundary as plain owned data (arrays, plain objects, `Uint8Array`s);
//! array lengths are bounded there and by the core's own limits after conversion.

use core::fmt;

use countersign_core::error::{Error, ErrorCode};
use js_sys::{Array, Object, Uint8Array};
use serde::de::{self, DeserializeSeed, Expected, IntoDeserializer, Unexpected, Visitor};
use wasm_bindgen::{JsCast, JsValue};

/// A deserialisation failure: a code, the path below the value being read (built on the way up)
/// and a message that does not repeat the path.
///
/// Boxed: every `Result` of every visitor of every input type carries it, and one pointer there
/// instead of three `String`s measured smaller.
#[derive(Debug)]
pub(crate) struct Fail(Box<Error>);

impl Fail {
    #[cold]
    #[inline(never)]
    fn new(code: ErrorCode, path: &str, message: String) -> Fail {
        Fail(Box::new(Error::at_path(code, path.to_owned(), message)))
    }

    /// The same failure one level up: `segment` is the key (`"amount"`) or index (`"[3]"`) of the
    /// value it is about inside its parent.
    #[cold]
    #[inline(never)]
    fn under(self, segment: &str) -> Fail {
        Fail(Box::new(self.0.at(segment)))
    }

    /// The core error, its path under `param` (the argument's name; empty: the path alone).
    pub(crate) fn into_error(self, param: &str) -> Error {
        if param.is_empty() {
            *self.0
        } else {
            self.0.at(param)
        }
    }
}

impl fmt::Display for Fail {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.0.param(), self.0.message())
    }
}

impl std::error::Error for Fail {}

/// A list of names as `a, b, c`.
fn names(list: &[&str]) -> String {
    list.join(", ")
}

/// The message for an own key that is not a declared field (here and for the ledger's operation
/// objects, `ledger.rs`): one wording for every unknown field.
pub(crate) fn unknown_field_message(field: &str, allowed: &[&str]) -> String {
    let allowed = if allowed.is_empty() { "none".to_owned() } else { names(allowed) };
    format!("unknown field `{field}`; allowed: {allowed}")
}

/// What serde expected, as a JS developer would say it.
fn expected_text(expected: &dyn Expected) -> String {
    let text = expected.to_string();
    match text.as_str() {
        "u8" | "u16" | "u32" | "u64" | "u128" | "usize" => "a non-negative integer".to_owned(),
        "i8" | "i16" | "i32" | "i64" | "i128" | "isize" => "an integer".to_owned(),
        "a sequence" => "an array".to_owned(),
        "a map" => "an object".to_owned(),
        "a borrowed string" => "a string".to_owned(),
        t if t.starts_with("struct ") => "an object".to_owned(),
        t if t.starts_with("enum ") || t.starts_with("variant identifier") || t.starts_with("field identifier") => {
            "a string".to_owned()
        }
        _ => text,
    }
}

/// The value serde got, as the value itself (numbers, booleans, strings) or its JS type.
///
/// Never through Rust's float formatting nor `Unexpected`'s `Display` (which holds it): no input
/// type has a float, and that machinery (`flt2dec`, ~20 KB raw) would be in every system module
/// only for this message. JS writes the number as JS would (`NaN`, `1.5`, `1e+21`).
fn got_text(got: &Unexpected<'_>) -> String {
    match *got {
        Unexpected::Bool(b) => b.to_string(),
        Unexpected::Unsigned(n) => n.to_string(),
        Unexpected::Signed(n) => n.to_string(),
        Unexpected::Float(x) => js_number_text(x),
        Unexpected::Char(c) => format!("{:?}", c.to_string()),
        Unexpected::Str(s) => format!("{s:?}"),
        Unexpected::Bytes(_) => "a Uint8Array".to_owned(),
        Unexpected::Unit | Unexpected::Option => "null or undefined".to_owned(),
        Unexpected::Seq => "an array".to_owned(),
        Unexpected::Map => "an object".to_owned(),
        Unexpected::Other(what) => what.to_owned(),
        Unexpected::NewtypeStruct | Unexpected::NewtypeVariant => "a wrapped value".to_owned(),
        Unexpected::Enum | Unexpected::UnitVariant | Unexpected::TupleVariant | Unexpected::StructVariant => {
            "an enum variant".to_owned()
        }
    }
}

/// A number as JS's `String(x)` writes it.
#[cfg(target_arch = "wasm32")]
fn js_number_text(x: f64) -> String {
    js_sys::Number::from(x).to_string_with_radix(10).map(String::from).unwrap_or_else(|_| "a number".to_owned())
}

/// Native builds (the adapter's unit tests) have no JS: Rust's formatting, which writes the
/// numbers these tests use (`NaN`, `1.5`, `-1`) as JS does.
#[cfg(not(target_arch = "wasm32"))]
fn js_number_text(x: f64) -> String {
    x.to_string()
}

impl de::Error for Fail {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        // A core type's own check while reading (`expected lowercase hex bytes`, a limit window
        // that does not fit its kind): a value of the wrong form.
        Fail::new(ErrorCode::InvalidType, "", msg.to_string())
    }

    fn invalid_type(got: Unexpected<'_>, expected: &dyn Expected) -> Self {
        let expected = expected_text(expected);
        // A fraction (or NaN, ±Infinity) where an integer belongs is a value out of range, as the
        // SDK's own number checks say; any other mismatch is a wrong type.
        let code = if matches!(got, Unexpected::Float(_)) && expected.contains("integer") {
            ErrorCode::InvalidArgument
        } else {
            ErrorCode::InvalidType
        };
        Fail::new(code, "", format!("must be {expected}, got {}", got_text(&got)))
    }

    fn invalid_value(got: Unexpected<'_>, expected: &dyn Expected) -> Self {
        Fail::new(ErrorCode::InvalidArgument, "", format!("must be {}, got {}", expected_text(expected), got_text(&got)))
    }

    fn invalid_length(len: usize, expected: &dyn Expected) -> Self {
        Fail::new(ErrorCode::InvalidArgument, "", format!("must have {expected}, got {len}"))
    }

    fn unknown_variant(variant: &str, expected: &'static [&'static str]) -> Self {
        Fail::new(ErrorCode::InvalidArgument, "", format!("must be one of {}, got {variant:?}", names(expected)))
    }

    fn unknown_field(field: &str, expected: &'static [&'static str]) -> Self {
        Fail::new(ErrorCode::InvalidType, field, unknown_field_message(field, expected))
    }

    fn missing_field(field: &'static str) -> Self {
        Fail::new(ErrorCode::InvalidType, field, "is required".to_owned())
    }

    fn duplicate_field(field: &'static str) -> Self {
        Fail::new(ErrorCode::InvalidType, field, "appears twice".to_owned())
    }
}

/// Reads `value` as a `T`; a failure's path is under `param`.
pub(crate) fn read<T: de::DeserializeOwned>(value: JsValue, param: &str) -> Result<T, Error> {
    T::deserialize(JsDe(value, false)).map_err(|fail| fail.into_error(param))
}

/// A JS value as a serde `Deserializer`, and whether it is the value of an id field (a declared
/// field named `…Id`): such a string is also kept in the results' string cache
/// ([`crate::ser::remember_string`]), since results repeat a request's ids.
struct JsDe(JsValue, bool);

/// A JS integer within i64 / u64, split the way serde's visitors take it.
enum Int {
    Negative(i64),
    NonNegative(u64),
}

const SAFE_INTEGER_MAX: f64 = 9_007_199_254_740_991.0;

impl JsDe {
    fn is_nullish(&self) -> bool {
        self.0.is_null() || self.0.is_undefined()
    }

    /// What this value is, for an error.
    #[cold]
    #[inline(never)]
    fn unexpected_fail(&self, expected: &dyn Expected) -> Fail {
        let string;
        let got = if self.is_nullish() {
            Unexpected::Unit
        } else if let Some(b) = self.0.as_bool() {
            Unexpected::Bool(b)
        } else if let Some(x) = self.0.as_f64() {
            Unexpected::Float(x)
        } else if let Some(s) = self.0.as_string() {
            string = s;
            Unexpected::Str(&string)
        } else if self.0.is_bigint() {
            Unexpected::Other("a bigint")
        } else if self.0.is_instance_of::<Uint8Array>() {
            Unexpected::Bytes(&[])
        } else if Array::is_array(&self.0) {
            Unexpected::Seq
        } else if self.0.is_object() {
            Unexpected::Map
        } else {
            Unexpected::Other("a value of another type")
        };
        de::Error::invalid_type(got, expected)
    }

    fn wrong<'de, V: Visitor<'de>>(&self, visitor: V) -> Result<V::Value, Fail> {
        Err(self.unexpected_fail(&visitor))
    }

    /// A safe integer Number, or a BigInt within i64/u64, as an i128 (no JS number is lost).
    fn integer(&self) -> Option<i128> {
        if let Some(x) = self.0.as_f64() {
            return (x.fract() == 0.0 && x.abs() <= SAFE_INTEGER_MAX).then_some(x as i128);
        }
        if self.0.is_bigint() {
            if let Ok(v) = i64::try_from(self.0.clone()) {
                return Some(i128::from(v));
            }
            if let Ok(v) = u64::try_from(self.0.clone()) {
                return Some(i128::from(v));
            }
        }
        None
    }

    fn visit_integer<'de, V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Fail> {
        match self.integer_or_fail(&visitor)? {
            Int::Negative(n) => visitor.visit_i64(n),
            Int::NonNegative(n) => visitor.visit_u64(n),
        }
    }

    /// The integer this value is, or why not (not generic: one copy for every visitor).
    #[inline(never)]
    fn integer_or_fail(&self, expected: &dyn Expected) -> Result<Int, Fail> {
        match self.integer() {
            Some(n) if n < 0 => Ok(Int::Negative(n as i64)),
            Some(n) => Ok(Int::NonNegative(n as u64)),
            None if self.0.is_bigint() => {
                Err(Fail::new(ErrorCode::InvalidArgument, "", "must be within the 64-bit integer range".to_owned()))
            }
            None => Err(self.unexpected_fail(expected)),
        }
    }

    fn object_access(self) -> ObjectAccess {
        let keys = Object::keys(self.0.unchecked_ref::<Object>());
        ObjectAccess { object: self.0, keys, index: 0, key: String::new() }
    }
}

impl<'de> de::Deserializer<'de> for JsDe {
    type Error = Fail;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Fail> {
        if self.is_nullish() {
            visitor.visit_unit()
        } else if let Some(b) = self.0.as_bool() {
            visitor.visit_bool(b)
        } else if self.0.is_bigint() || self.integer().is_some() {
            self.visit_integer(visitor)
        } else if let Some(x) = self.0.as_f64() {
            visitor.visit_f64(x)
        } else if let Some(s) = self.0.as_string() {
            visitor.visit_string(s)
        } else if Array::is_array(&self.0) {
            self.deserialize_seq(visitor)
        } else if let Some(bytes) = self.0.dyn_ref::<Uint8Array>() {
            visitor.visit_byte_buf(bytes.to_vec())
        } else if self.0.is_object() {
            visitor.visit_map(self.object_access())
        } else {
            self.wrong(visitor)
        }
    }

    fn deserialize_bool<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Fail> {
        match self.0.as_bool() {
            Some(b) => visitor.visit_bool(b),
            None => self.wrong(visitor),
        }
    }

    fn deserialize_i8<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Fail> {
        self.visit_integer(visitor)
    }
    fn deserialize_i16<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Fail> {
        self.visit_integer(visitor)
    }
    fn deserialize_i32<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Fail> {
        self.visit_integer(visitor)
    }
    fn deserialize_i64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Fail> {
        self.visit_integer(visitor)
    }
    fn deserialize_u8<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Fail> {
        self.visit_integer(visitor)
    }
    fn deserialize_u16<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Fail> {
        self.visit_integer(visitor)
    }
    fn deserialize_u32<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Fail> {
        self.visit_integer(visitor)
    }
    fn deserialize_u64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Fail> {
        self.visit_integer(visitor)
    }

    fn deserialize_f32<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Fail> {
        self.deserialize_f64(visitor)
    }
    fn deserialize_f64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Fail> {
        match self.0.as_f64() {
            Some(x) => visitor.visit_f64(x),
            None => self.wrong(visitor),
        }
    }

    fn deserialize_char<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Fail> {
        self.deserialize_string(visitor)
    }
    fn deserialize_str<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Fail> {
        self.deserialize_string(visitor)
    }
    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Fail> {
        match self.0.as_string() {
            Some(s) => {
                if self.1 {
                    crate::ser::remember_string(&s, self.0);
                }
                visitor.visit_string(s)
            }
            None => self.wrong(visitor),
        }
    }
    fn deserialize_identifier<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Fail> {
        self.deserialize_string(visitor)
    }

    fn deserialize_bytes<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Fail> {
        self.deserialize_byte_buf(visitor)
    }
    fn deserialize_byte_buf<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Fail> {
        match self.0.dyn_ref::<Uint8Array>() {
            Some(bytes) => visitor.visit_byte_buf(bytes.to_vec()),
            None => self.wrong(visitor),
        }
    }

    /// `null` and `undefined` (an absent field too) are `None`.
    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Fail> {
        if self.is_nullish() {
            visitor.visit_none()
        } else {
            visitor.visit_some(self)
        }
    }

    fn deserialize_unit<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Fail> {
        if self.is_nullish() {
            visitor.visit_unit()
        } else {
            self.wrong(visitor)
        }
    }
    fn deserialize_unit_struct<V: Visitor<'de>>(self, _name: &'static str, visitor: V) -> Result<V::Value, Fail> {
        self.deserialize_unit(visitor)
    }
    fn deserialize_newtype_struct<V: Visitor<'de>>(self, _name: &'static str, visitor: V) -> Result<V::Value, Fail> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Fail> {
        match self.0.dyn_into::<Array>() {
            Ok(array) => visitor.visit_seq(ArrayAccess { array, index: 0 }),
            Err(value) => JsDe(value, false).wrong(visitor),
        }
    }
    fn deserialize_tuple<V: Visitor<'de>>(self, _len: usize, visitor: V) -> Result<V::Value, Fail> {
        self.deserialize_seq(visitor)
    }
    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, Fail> {
        self.deserialize_seq(visitor)
    }

    /// A plain object, read by its own keys: a key the type does not know reaches the type's
    /// field visitor, so `deny_unknown_fields` refuses it (naming it).
    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Fail> {
        if self.0.is_object() && !Array::is_array(&self.0) && !self.0.is_instance_of::<Uint8Array>() {
            visitor.visit_map(self.object_access())
        } else {
            self.wrong(visitor)
        }
    }
    /// A struct is read by its *declared* fields (one `Reflect.get` per field, with field names
    /// converted to JS once per program), then the object's own keys are counted: more keys than
    /// fields found means an unknown field, named by a second, slower walk that runs only then.
    /// Reading by the object's own keys instead (as maps are) measured ~10 % slower card
    /// authorisations (two more JS calls and a UTF-8 decode per field), and counting the keys with
    /// `Object.keys(o).length` costs ~4 % of raw ledger throughput (an array per request); a
    /// `for … in` counting loop in JS would not, but as a wasm-bindgen `inline_js` snippet it is a
    /// second JS file the glue imports, which bundlers do not ship (the Vite test failed).
    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Fail> {
        if self.0.is_object() && !Array::is_array(&self.0) && !self.0.is_instance_of::<Uint8Array>() {
            visitor.visit_map(StructAccess { object: self.0, fields, index: 0, found: 0, field: "", value: JsValue::UNDEFINED })
        } else {
            self.wrong(visitor)
        }
    }

    /// A unit variant is its name (`"kwh"`); a variant with data is `{ name: data }`.
    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Fail> {
        if let Some(tag) = self.0.as_string() {
            return visitor.visit_enum(VariantAccess { tag, payload: JsValue::UNDEFINED });
        }
        if self.0.is_object() && !Array::is_array(&self.0) {
            let keys = Object::keys(self.0.unchecked_ref::<Object>());
            if let (1, Some(tag)) = (keys.length(), keys.get(0).as_string()) {
                let payload = js_sys::Reflect::get(&self.0, &keys.get(0)).unwrap_or(JsValue::UNDEFINED);
                return visitor.visit_enum(VariantAccess { tag: tag.clone(), payload }).map_err(|f| f.under(&tag));
            }
        }
        self.wrong(visitor)
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Fail> {
        visitor.visit_unit()
    }
}

/// The elements of an array, each error under its index.
struct ArrayAccess {
    array: Array,
    index: u32,
}

impl<'de> de::SeqAccess<'de> for ArrayAccess {
    type Error = Fail;

    fn next_element_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<Option<T::Value>, Fail> {
        if self.index >= self.array.length() {
            return Ok(None);
        }
        let index = self.index;
        self.index += 1;
        seed.deserialize(JsDe(self.array.get(index), false)).map(Some).map_err(|f| f.under(&format!("[{index}]")))
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.array.length().saturating_sub(self.index) as usize)
    }
}

/// The own enumerable keys of an object and their values, each value's error under its key.
struct ObjectAccess {
    object: JsValue,
    keys: Array,
    index: u32,
    key: String,
}

impl<'de> de::MapAccess<'de> for ObjectAccess {
    type Error = Fail;

    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>, Fail> {
        if self.index >= self.keys.length() {
            return Ok(None);
        }
        // Object.keys gives strings only.
        self.key = self.keys.get(self.index).as_string().unwrap_or_default();
        self.index += 1;
        let key: de::value::StrDeserializer<'_, Fail> = self.key.as_str().into_deserializer();
        seed.deserialize(key).map(Some)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, Fail> {
        // The key as `Object.keys` gave it (the one `next_key_seed` read): no second UTF-8 encoding.
        let key = self.keys.get(self.index.saturating_sub(1));
        let value = js_sys::Reflect::get(&self.object, &key).unwrap_or(JsValue::UNDEFINED);
        seed.deserialize(JsDe(value, false)).map_err(|f| f.under(&self.key))
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.keys.length().saturating_sub(self.index) as usize)
    }
}

/// The declared fields of a struct that its object has (not `undefined`), in declaration order;
/// at the end, an own key that is not a declared field is refused (`deny_unknown_fields` for
/// every input type, in one place).
struct StructAccess {
    object: JsValue,
    fields: &'static [&'static str],
    /// The next declared field to look at.
    index: usize,
    /// Declared fields found so far.
    found: u32,
    /// The field `next_value_seed` reads, and its value.
    field: &'static str,
    value: JsValue,
}

/// Most distinct field names a program's input types have (a few hundred in the module with
/// every system): the table below never grows past it; a name beyond it is made per read.
const FIELD_NAMES_MAX: usize = 4096;

thread_local! {
    /// Declared field names as JS strings, made once per program, sorted by the address and
    /// length of their `&'static str` (two literals may share bytes, never both) and found by
    /// binary search: a `HashMap` here measured ~1 KB more wasm in every system module.
    static FIELD_KEYS: core::cell::RefCell<Vec<((usize, usize), JsValue)>> = const { core::cell::RefCell::new(Vec::new()) };
}

/// Calls `f` with the JS string of a declared name (a field, a variant), made once per program
/// and lent, not cloned (a clone and its drop are two more steps per field). Shared with the
/// result writer (`ser.rs`), whose field names are the same kind of `&'static str`.
pub(crate) fn with_field_key<R>(name: &'static str, f: impl FnOnce(&JsValue) -> R) -> R {
    let id = (name.as_ptr() as usize, name.len());
    FIELD_KEYS.with(|keys| {
        let mut keys = keys.borrow_mut();
        match keys.binary_search_by_key(&id, |(key_id, _)| *key_id) {
            Ok(at) => match keys.get(at) {
                Some((_, key)) => f(key),
                None => f(&JsValue::from_str(name)),
            },
            Err(at) => {
                let key = JsValue::from_str(name);
                let result = f(&key);
                if keys.len() < FIELD_NAMES_MAX {
                    keys.insert(at, (id, key));
                }
                result
            }
        }
    })
}

/// `object[field]` if `object` has it as its own property (never through the prototype chain: a
/// getter someone put on `Object.prototype` must not run, nor count as a missing optional field).
fn get_own_field(object: &JsValue, field: &'static str) -> JsValue {
    with_field_key(field, |key| {
        if Object::has_own(object.unchecked_ref::<Object>(), key) {
            // An own data property of a plain object (the SDK boundary copied it): no getter runs.
            js_sys::Reflect::get(object, key).unwrap_or(JsValue::UNDEFINED)
        } else {
            JsValue::UNDEFINED
        }
    })
}

impl StructAccess {
    /// The first own key of the object that is not a declared field, as an error; `None` when
    /// every key is declared (the extra count came from fields set to `undefined`).
    #[cold]
    #[inline(never)]
    fn unknown_field(&self) -> Option<Fail> {
        let keys = Object::keys(self.object.unchecked_ref::<Object>());
        keys.iter().filter_map(|key| key.as_string()).find(|key| !self.fields.contains(&key.as_str())).map(|key| {
            let fail: Fail = de::Error::unknown_field(&key, self.fields);
            fail
        })
    }
}

impl<'de> de::MapAccess<'de> for StructAccess {
    type Error = Fail;

    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>, Fail> {
        while let Some(&field) = self.fields.get(self.index) {
            self.index += 1;
            // `undefined` is an absent field (as an optional property left out in TypeScript).
            let value = get_own_field(&self.object, field);
            if !value.is_undefined() {
                self.found += 1;
                self.field = field;
                self.value = value;
                let key: de::value::StrDeserializer<'_, Fail> = field.into_deserializer();
                return seed.deserialize(key).map(Some);
            }
        }
        if Object::keys(self.object.unchecked_ref::<Object>()).length() > self.found {
            if let Some(fail) = self.unknown_field() {
                return Err(fail);
            }
        }
        Ok(None)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, Fail> {
        let value = core::mem::replace(&mut self.value, JsValue::UNDEFINED);
        seed.deserialize(JsDe(value, self.field.ends_with("Id"))).map_err(|f| f.under(self.field))
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.fields.len().saturating_sub(self.index))
    }
}

/// An enum variant: its name and (for a variant with data) the value under it.
struct VariantAccess {
    tag: String,
    payload: JsValue,
}

impl<'de> de::EnumAccess<'de> for VariantAccess {
    type Error = Fail;
    type Variant = JsDe;

    fn variant_seed<V: DeserializeSeed<'de>>(self, seed: V) -> Result<(V::Value, JsDe), Fail> {
        let tag: de::value::StringDeserializer<Fail> = self.tag.into_deserializer();
        Ok((seed.deserialize(tag)?, JsDe(self.payload, false)))
    }
}

impl<'de> de::VariantAccess<'de> for JsDe {
    type Error = Fail;

    fn unit_variant(self) -> Result<(), Fail> {
        Ok(())
    }
    fn newtype_variant_seed<T: DeserializeSeed<'de>>(self, seed: T) -> Result<T::Value, Fail> {
        seed.deserialize(self)
    }
    fn tuple_variant<V: Visitor<'de>>(self, _len: usize, visitor: V) -> Result<V::Value, Fail> {
        de::Deserializer::deserialize_seq(self, visitor)
    }
    fn struct_variant<V: Visitor<'de>>(self, _fields: &'static [&'static str], visitor: V) -> Result<V::Value, Fail> {
        de::Deserializer::deserialize_map(self, visitor)
    }
}

#[cfg(test)]
mod tests {
    // The wording and codes, natively: serde's own value deserialisers with `Fail` as their error
    // type drive the same hooks `JsDe` does (the path building needs a JS engine: the SDK's
    // sdk-ts/test/paths.test.mjs covers it).
    use super::*;
    use countersign_core::ledger::PostRequest;
    use serde::de::value::{MapDeserializer, StrDeserializer};
    use serde::Deserialize;

    fn post(fields: Vec<(&'static str, &'static str)>) -> Error {
        let map = MapDeserializer::<_, Fail>::new(fields.into_iter());
        PostRequest::deserialize(map).map(|_| ()).expect_err("refused").into_error("request")
    }

    #[test]
    fn unknown_field_names_itself_and_the_allowed_ones() {
        let e = post(vec![("idempotencyKey", "k"), ("finale", "x")]);
        assert_eq!(e.code(), ErrorCode::InvalidType);
        assert_eq!(e.param(), "request.finale");
        assert_eq!(e.message(), "unknown field `finale`; allowed: idempotencyKey, now, holdId, amount, currency, final");
    }

    #[test]
    fn missing_field_is_named_under_its_parent() {
        let e = post(vec![("idempotencyKey", "k")]);
        assert_eq!((e.code(), e.param(), e.message()), (ErrorCode::InvalidType, "request.now", "is required"));
    }

    #[test]
    fn wrong_type_and_out_of_range_in_the_projects_words() {
        // A string where an integer belongs: a wrong type (serde's map adds no key to the path;
        // `ObjectAccess` does).
        let e = post(vec![("idempotencyKey", "k"), ("now", "later")]);
        assert_eq!((e.code(), e.param(), e.message()), (ErrorCode::InvalidType, "request", "must be an integer, got \"later\""));
        // A negative number where a count belongs, a fraction where an integer belongs: values.
        let e = <Fail as de::Error>::invalid_value(Unexpected::Signed(-1), &"u32").into_error("maxUses");
        assert_eq!((e.code(), e.message()), (ErrorCode::InvalidArgument, "must be a non-negative integer, got -1"));
        let e = <Fail as de::Error>::invalid_type(Unexpected::Float(1.5), &"i64").into_error("time");
        assert_eq!((e.code(), e.message()), (ErrorCode::InvalidArgument, "must be an integer, got 1.5"));
        let e = <Fail as de::Error>::invalid_type(Unexpected::Float(f64::NAN), &"u32").into_error("n");
        assert_eq!((e.code(), e.message()), (ErrorCode::InvalidArgument, "must be a non-negative integer, got NaN"));
        let e = <Fail as de::Error>::invalid_type(Unexpected::Unit, &"a string").into_error("cardId");
        assert_eq!((e.code(), e.message()), (ErrorCode::InvalidType, "must be a string, got null or undefined"));
        let unit: StrDeserializer<'_, Fail> = "gallon".into_deserializer();
        let e = countersign_core::energy::Unit::deserialize(unit).expect_err("refused").into_error("unit");
        assert_eq!((e.code(), e.message()), (ErrorCode::InvalidArgument, "must be one of litre, kWh, kg, got \"gallon\""));
    }

    #[test]
    fn paths_grow_by_key_and_index_without_touching_the_message() {
        let e = <Fail as de::Error>::missing_field("until").under("displayWindow").under("[2]").under("items").into_error("request");
        assert_eq!(e.param(), "request.items[2].displayWindow.until");
        assert_eq!(e.message(), "is required");
    }
}
