//! One error type for the whole core, with a stable machine-readable code.
//!
//! Conventions (see `docs/architecture.md`, *Outcomes and errors*): a *rule outcome* (a bad
//! signature on an envelope, a replayed sequence number, an over-limit payment) is not an error —
//! it is a normal, typed result. An [`Error`] means the *input* was malformed or out of range (the
//! caller must fix the call), and it names the offending parameter. Codes are part of the public
//! API: never rename one; add new ones at the end of [`ErrorCode::ALL`].

use core::fmt;
use std::borrow::Cow;

/// Result alias used throughout the core.
pub type Result<T> = core::result::Result<T, Error>;

/// Broad class of an error: decides which JavaScript error class the SDK throws.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// A value of the right type but outside what is accepted (JS `RangeError`).
    Range,
    /// A value of the wrong shape or type (JS `TypeError`).
    Type,
    /// A fault inside countersign, never caused by input (JS `Error`).
    Internal,
}

macro_rules! error_codes {
    ($( $(#[doc = $doc:literal])* $variant:ident = $code:literal, $kind:ident; )*) => {
        /// Stable error codes. The string form (`code()`) crosses every boundary unchanged.
        #[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "errors.ts"))]
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum ErrorCode {
            // The TypeScript union's members are the code strings.
            $( $(#[doc = $doc])* #[cfg_attr(feature = "ts", ts(rename = $code))] $variant, )*
        }

        impl ErrorCode {
            /// Every code, in declaration order (docs/errors.md and the SDK's `ErrorCode` union are
            /// checked against this list by tests).
            pub const ALL: &'static [ErrorCode] = &[ $( ErrorCode::$variant, )* ];

            /// The stable SCREAMING_SNAKE string of this code.
            pub const fn as_str(self) -> &'static str {
                match self { $( ErrorCode::$variant => $code, )* }
            }

            /// Which JavaScript error class this code maps to.
            pub const fn kind(self) -> ErrorKind {
                match self { $( ErrorCode::$variant => ErrorKind::$kind, )* }
            }

            /// One-line description, used by the table in docs/errors.md and `describe()` in the SDK.
            pub const fn description(self) -> &'static str {
                match self { $( ErrorCode::$variant => concat!($($doc),*), )* }
            }
        }
    };
}

error_codes! {
    /// A parameter has a value outside what the operation accepts.
    InvalidArgument = "INVALID_ARGUMENT", Range;
    /// A parameter has the wrong type or shape (a field of the wrong type, an unknown or a missing field, named by its path), a getter or Proxy trap threw while the SDK read it, or a method was called on something the SDK did not make.
    InvalidType = "INVALID_TYPE", Type;
    /// An amount or decimal string does not match the strict grammar `-?(0|[1-9][0-9]*)(\.[0-9]+)?`.
    AmountSyntax = "AMOUNT_SYNTAX", Range;
    /// An amount has more fraction digits than its currency allows and no rounding mode was given.
    AmountPrecision = "AMOUNT_PRECISION", Range;
    /// An amount or decimal is outside the representable range (96-bit mantissa, scale ≤ 28).
    AmountOutOfRange = "AMOUNT_OUT_OF_RANGE", Range;
    /// An arithmetic result would overflow the representable range.
    AmountOverflow = "AMOUNT_OVERFLOW", Range;
    /// The currency or asset code is not an active ISO 4217 code nor a registered asset.
    CurrencyUnknown = "CURRENCY_UNKNOWN", Range;
    /// Two amounts in different currencies were combined or compared.
    CurrencyMismatch = "CURRENCY_MISMATCH", Range;
    /// The rounding mode name is not one of the documented modes.
    RoundingModeUnknown = "ROUNDING_MODE_UNKNOWN", Range;
    /// Split ratios are empty, too many, or all zero.
    SplitRatiosInvalid = "SPLIT_RATIOS_INVALID", Range;
    /// A key is malformed: wrong length, not on the curve, zero or out of range.
    KeyInvalid = "KEY_INVALID", Range;
    /// A signature is malformed for the requested format (only where a signature is an input to a transformation, never on verify).
    SignatureInvalid = "SIGNATURE_INVALID", Range;
    /// The signature algorithm or encoding name is not supported.
    AlgorithmUnsupported = "ALGORITHM_UNSUPPORTED", Range;
    /// An envelope field is invalid for sealing (type, key id, times, payload size).
    EnvelopeFieldInvalid = "ENVELOPE_FIELD_INVALID", Range;
    /// A named limit (collection size, payload bytes, ...) was exceeded.
    LimitExceeded = "LIMIT_EXCEEDED", Range;
    /// The SDK was used in a browser before `init()` completed.
    NotInitialized = "NOT_INITIALIZED", Internal;
    /// The WebAssembly instance trapped (a bug, out of memory): every call refuses until `await init()` starts a fresh instance; objects made before (a `Ledger`, a `Card` …) keep refusing and are loaded again from their store.
    WasmTrap = "WASM_TRAP", Internal;
    /// A fault inside countersign that input should never cause. Please report it.
    Internal = "INTERNAL", Internal;
    /// A calendar window names a time zone whose TZif data the caller did not supply.
    TimeZoneMissing = "TIME_ZONE_MISSING", Range;
    /// A time zone name or its TZif data is malformed (not an IANA-style name, or not valid TZif).
    TimeZoneInvalid = "TIME_ZONE_INVALID", Range;
    /// A snapshot is truncated, tampered with, fails its integrity check or holds an inconsistent state.
    SnapshotInvalid = "SNAPSHOT_INVALID", Range;
    /// A snapshot was written in a format version this build does not read.
    SnapshotVersionUnsupported = "SNAPSHOT_VERSION_UNSUPPORTED", Range;
    /// The time zone is not in the SDK's time-zone data (thrown by the SDK's loader).
    TimeZoneUnknown = "TIME_ZONE_UNKNOWN", Range;
    /// The time-zone data asset could not be read or fetched (thrown by the SDK's loader).
    TimeZoneDataUnavailable = "TIME_ZONE_DATA_UNAVAILABLE", Internal;
    /// The storage backend failed: I/O error, lock wait exceeded, no IndexedDB (SDK storage adapters).
    StorageUnavailable = "STORAGE_UNAVAILABLE", Internal;
    /// Stored bytes are damaged (SDK storage adapters).
    StorageCorrupt = "STORAGE_CORRUPT", Internal;
    /// A ledger journal entry is malformed, or does not chain to the one before it (wrong seq or prevHash).
    JournalInvalid = "JOURNAL_INVALID", Range;
    /// Re-executing a ledger journal entry's operation does not give the result recorded in it.
    JournalMismatch = "JOURNAL_MISMATCH", Range;
    /// An idempotency key was used before for a different request: nothing was done.
    IdempotencyConflict = "IDEMPOTENCY_CONFLICT", Range;
}

/// An error with a stable code, the path of the parameter it concerns and a message.
///
/// The path is where in the caller's arguments the problem is: a parameter (`"amount"`), or a
/// field inside one (`"request.amount"`, `"order.tariff.unitPrice"`, `"operations[3].request.holdId"`).
/// A check deep down raises the error with the name it knows (`"unitPrice"`); each caller that
/// knows the enclosing name adds it with [`Error::at`] (`"tariff"`, then `"order"`), so the path is
/// built where the error is raised and passed up, never recovered afterwards by rewriting text.
/// The message says what is wrong and never repeats the path: the adapter composes
/// `"countersign: <path>: <message>"` once (`to_js_error` in `wasm/src/lib.rs`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    code: ErrorCode,
    param: Cow<'static, str>,
    message: String,
}

impl Error {
    /// A new error about parameter `param` (use the SDK's parameter name, e.g. `"amount"`).
    pub fn new(code: ErrorCode, param: &'static str, message: impl Into<String>) -> Self {
        Error { code, param: Cow::Borrowed(param), message: message.into() }
    }

    /// A new error about a path built at run time (`"operations[3]"`, a serde field path).
    pub fn at_path(code: ErrorCode, path: String, message: impl Into<String>) -> Self {
        Error { code, param: Cow::Owned(path), message: message.into() }
    }

    /// The same error one level up: `segment` is the name of the value that holds the one the
    /// error is about. `"unitPrice"`.at(`"tariff"`) is `"tariff.unitPrice"`; an index segment
    /// joins without a dot (`"operations"` + `"[3]"`), and an error about the whole value (empty
    /// path) becomes about `segment` itself. The message is not touched.
    #[must_use]
    pub fn at(mut self, segment: &str) -> Self {
        self.param = if self.param.is_empty() {
            Cow::Owned(segment.to_owned())
        } else if self.param.starts_with('[') {
            Cow::Owned(format!("{segment}{}", self.param))
        } else {
            Cow::Owned(format!("{segment}.{}", self.param))
        };
        self
    }

    /// The stable code.
    pub fn code(&self) -> ErrorCode {
        self.code
    }

    /// The path of the parameter the error concerns (empty when none).
    pub fn param(&self) -> &str {
        &self.param
    }

    /// What is wrong, without the path (the adapter puts the path in front).
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.param.is_empty() {
            write!(f, "{}: {}", self.code.as_str(), self.message)
        } else {
            write!(f, "{}: {}: {}", self.code.as_str(), self.param, self.message)
        }
    }
}

impl std::error::Error for Error {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_screaming_snake_and_described() {
        let mut seen = std::collections::HashSet::new();
        for code in ErrorCode::ALL {
            let s = code.as_str();
            assert!(seen.insert(s), "duplicate code {s}");
            assert!(s.chars().all(|c| c.is_ascii_uppercase() || c == '_' || c.is_ascii_digit()), "{s}");
            assert!(!code.description().is_empty());
        }
    }

    #[test]
    fn display_names_code_and_parameter() {
        let e = Error::new(ErrorCode::AmountSyntax, "amount", "exponent notation is not accepted");
        assert_eq!(e.to_string(), "AMOUNT_SYNTAX: amount: exponent notation is not accepted");
        assert_eq!(e.code().kind(), ErrorKind::Range);
    }

    #[test]
    fn at_prefixes_segments_and_keeps_the_message() {
        let e = Error::new(ErrorCode::InvalidArgument, "unitPrice", "must be positive").at("tariff").at("order");
        assert_eq!(e.param(), "order.tariff.unitPrice");
        assert_eq!(e.message(), "must be positive");
        let e = Error::new(ErrorCode::InvalidType, "", "must be an object").at("[3]").at("operations");
        assert_eq!(e.param(), "operations[3]");
        let e = Error::new(ErrorCode::InvalidArgument, "amount", "x").at("request").at("[0]").at("operations");
        assert_eq!(e.param(), "operations[0].request.amount");
        assert_eq!(e.code(), ErrorCode::InvalidArgument);
    }
}
