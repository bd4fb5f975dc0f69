//! The JSON of the FSPIOP and plain formats: a writer of objects of strings (pretty, two-space
//! indent, keys in the order given) and a reader of the subset those formats use — objects,
//! arrays, strings and `null`. Numbers and booleans are refused (no field of either format is
//! one). Hand-written rather than serde_json: serde_json brought 14 KB gzip into the transfer
//! module (its number parsing and float formatting reached from error messages), which took
//! the module over the 200 KB limit of a single-system module (docs/transfer.md, *Size*).

use crate::error::{Error, ErrorCode, Result};

/// The deepest nesting the reader accepts (the formats nest 3 deep).
pub const JSON_DEPTH_MAX: usize = 8;

/// A JSON value of the subset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Json {
    /// `null`.
    Null,
    /// A string.
    Str(String),
    /// An array.
    Arr(Vec<Json>),
    /// An object, keys in document order (duplicates refused by the reader).
    Obj(Vec<(String, Json)>),
}

fn bad(message: impl Into<String>) -> Error {
    Error::new(ErrorCode::InvalidArgument, "text", message)
}

/// Writes `s` as a JSON string (RFC 8259 escapes; non-ASCII as it is).
fn write_str(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

impl Json {
    /// The value as pretty JSON (two-space indent, `": "` after keys).
    pub fn to_pretty(&self) -> String {
        let mut out = String::with_capacity(1024);
        self.write(&mut out, 0);
        out
    }

    fn write(&self, out: &mut String, depth: usize) {
        let indent = |out: &mut String, d: usize| {
            out.push('\n');
            for _ in 0..d {
                out.push_str("  ");
            }
        };
        match self {
            Json::Null => out.push_str("null"),
            Json::Str(s) => write_str(out, s),
            Json::Arr(items) if items.is_empty() => out.push_str("[]"),
            Json::Obj(fields) if fields.is_empty() => out.push_str("{}"),
            Json::Arr(items) => {
                out.push('[');
                for (i, v) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    indent(out, depth + 1);
                    v.write(out, depth + 1);
                }
                indent(out, depth);
                out.push(']');
            }
            Json::Obj(fields) => {
                out.push('{');
                for (i, (k, v)) in fields.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    indent(out, depth + 1);
                    write_str(out, k);
                    out.push_str(": ");
                    v.write(out, depth + 1);
                }
                indent(out, depth);
                out.push('}');
            }
        }
    }

    /// Reads a document of the subset: one value, whitespace around it.
    pub fn parse(text: &str) -> Result<Json> {
        let mut r = Reader { s: text.as_bytes(), pos: 0 };
        let v = r.value(0)?;
        r.ws();
        if r.pos != r.s.len() {
            return Err(bad(format!("text after the JSON value at byte {}", r.pos)));
        }
        Ok(v)
    }
}

struct Reader<'a> {
    s: &'a [u8],
    pos: usize,
}

impl Reader<'_> {
    fn ws(&mut self) {
        while self.s.get(self.pos).is_some_and(|c| matches!(c, b' ' | b'\t' | b'\n' | b'\r')) {
            self.pos += 1;
        }
    }

    fn eat(&mut self, c: u8) -> bool {
        self.ws();
        if self.s.get(self.pos) == Some(&c) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn value(&mut self, depth: usize) -> Result<Json> {
        if depth > JSON_DEPTH_MAX {
            return Err(Error::new(ErrorCode::LimitExceeded, "text", format!("JSON nested deeper than {JSON_DEPTH_MAX}")));
        }
        self.ws();
        match self.s.get(self.pos) {
            Some(b'"') => Ok(Json::Str(self.string()?)),
            Some(b'{') => {
                self.pos += 1;
                let mut fields: Vec<(String, Json)> = Vec::new();
                if self.eat(b'}') {
                    return Ok(Json::Obj(fields));
                }
                loop {
                    self.ws();
                    let key = self.string()?;
                    if !self.eat(b':') {
                        return Err(bad(format!("':' expected at byte {}", self.pos)));
                    }
                    let v = self.value(depth + 1)?;
                    if fields.iter().any(|(k, _)| *k == key) {
                        return Err(bad(format!("key {key:?} appears twice")));
                    }
                    fields.push((key, v));
                    if self.eat(b'}') {
                        return Ok(Json::Obj(fields));
                    }
                    if !self.eat(b',') {
                        return Err(bad(format!("',' or '}}' expected at byte {}", self.pos)));
                    }
                }
            }
            Some(b'[') => {
                self.pos += 1;
                let mut items = Vec::new();
                if self.eat(b']') {
                    return Ok(Json::Arr(items));
                }
                loop {
                    items.push(self.value(depth + 1)?);
                    if self.eat(b']') {
                        return Ok(Json::Arr(items));
                    }
                    if !self.eat(b',') {
                        return Err(bad(format!("',' or ']' expected at byte {}", self.pos)));
                    }
                }
            }
            Some(b'n') if self.s.get(self.pos..self.pos + 4) == Some(b"null") => {
                self.pos += 4;
                Ok(Json::Null)
            }
            Some(_) => Err(bad(format!("a string, object, array or null expected at byte {} (no field of this format is a number or boolean)", self.pos))),
            None => Err(bad("the JSON ends early")),
        }
    }

    fn hex4(&mut self) -> Result<u32> {
        let digits = self.s.get(self.pos..self.pos + 4).ok_or_else(|| bad("a \\u escape ends early"))?;
        let mut v = 0u32;
        for d in digits {
            v = v * 16 + char::from(*d).to_digit(16).ok_or_else(|| bad("a \\u escape with a non-hex digit"))?;
        }
        self.pos += 4;
        Ok(v)
    }

    fn string(&mut self) -> Result<String> {
        if self.s.get(self.pos) != Some(&b'"') {
            return Err(bad(format!("a string expected at byte {}", self.pos)));
        }
        self.pos += 1;
        let mut out: Vec<u8> = Vec::new();
        loop {
            let c = *self.s.get(self.pos).ok_or_else(|| bad("a string is not closed"))?;
            self.pos += 1;
            match c {
                b'"' => break,
                b'\\' => {
                    let e = *self.s.get(self.pos).ok_or_else(|| bad("an escape ends early"))?;
                    self.pos += 1;
                    let simple = match e {
                        b'"' => Some('"'),
                        b'\\' => Some('\\'),
                        b'/' => Some('/'),
                        b'b' => Some('\u{8}'),
                        b'f' => Some('\u{c}'),
                        b'n' => Some('\n'),
                        b'r' => Some('\r'),
                        b't' => Some('\t'),
                        b'u' => None,
                        _ => return Err(bad("an unknown escape")),
                    };
                    let ch = match simple {
                        Some(ch) => ch,
                        None => {
                            let hi = self.hex4()?;
                            let code = if (0xD800..0xDC00).contains(&hi) {
                                if self.s.get(self.pos..self.pos + 2) != Some(b"\\u") {
                                    return Err(bad("a lone surrogate escape"));
                                }
                                self.pos += 2;
                                let lo = self.hex4()?;
                                if !(0xDC00..0xE000).contains(&lo) {
                                    return Err(bad("a lone surrogate escape"));
                                }
                                0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00)
                            } else {
                                hi
                            };
                            char::from_u32(code).ok_or_else(|| bad("a lone surrogate escape"))?
                        }
                    };
                    let mut buf = [0u8; 4];
                    out.extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
                }
                c if c < 0x20 => return Err(bad("a control character inside a string")),
                c => out.push(c),
            }
        }
        // The input was a &str and escapes add whole characters: always UTF-8.
        String::from_utf8(out).map_err(|_| bad("a string is not UTF-8"))
    }
}

/// An object's fields, each to be taken once; what is left over is refused.
pub struct Fields {
    fields: Vec<(String, Json)>,
    at: String,
}

impl Fields {
    /// The object `v` (named `at` in errors).
    pub fn of(v: Json, at: &str) -> Result<Fields> {
        match v {
            Json::Obj(fields) => Ok(Fields { fields, at: at.to_owned() }),
            _ => Err(bad(format!("{at} must be an object"))),
        }
    }

    fn name(&self, key: &str) -> String {
        if self.at.is_empty() { key.to_owned() } else { format!("{}.{key}", self.at) }
    }

    /// Takes a field (`None` when absent).
    pub fn take(&mut self, key: &str) -> Option<Json> {
        let i = self.fields.iter().position(|(k, _)| k == key)?;
        Some(self.fields.remove(i).1)
    }

    /// Takes a required string.
    pub fn string(&mut self, key: &str) -> Result<String> {
        self.opt_string(key)?.ok_or_else(|| bad(format!("{} is missing", self.name(key))))
    }

    /// Takes an optional string (absent or `null`: `None`).
    pub fn opt_string(&mut self, key: &str) -> Result<Option<String>> {
        match self.take(key) {
            None | Some(Json::Null) => Ok(None),
            Some(Json::Str(s)) => Ok(Some(s)),
            Some(_) => Err(bad(format!("{} must be a string", self.name(key)))),
        }
    }

    /// Takes a required object.
    pub fn object(&mut self, key: &str) -> Result<Fields> {
        let name = self.name(key);
        let v = self.take(key).ok_or_else(|| bad(format!("{name} is missing")))?;
        Fields::of(v, &name)
    }

    /// Refuses any field not taken.
    pub fn done(self) -> Result<()> {
        match self.fields.first() {
            Some((k, _)) => Err(bad(format!("{} is not part of the mapping", self.name(k)))),
            None => Ok(()),
        }
    }
}

/// An object of the given fields (absent optional fields left out by the caller).
pub fn obj(fields: Vec<(&str, Json)>) -> Json {
    Json::Obj(fields.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())
}

/// A string value.
pub fn s(v: &str) -> Json {
    Json::Str(v.to_owned())
}
