//! System 9: the patient terminal after an automatic drug injection.
//!
//! An insulin pump's **controller** and the patient's **terminal** (phone or bedside tablet)
//! talk through small binary frames; a **management server** sends the terminal a signed
//! **program package**; the terminal sends the controller signed **alarm settings** that the
//! controller confirms; the controller **evaluates** the history against its confirmed settings
//! and emits **risk signals**, which the routing and escalation part (`escalation`, a sibling
//! module) delivers to the right person.
//!
//! | role | holds | does |
//! |---|---|---|
//! | management server | its signing key | seals a [`package::ProgramPackage`] (`dose.program`) |
//! | terminal ([`package::Terminal`]) | the paired controller model, the installed package, confirmed and pending settings, the frame [`frame::Stream`] | installs packages ([`package::Terminal::install`]), decodes frames, validates and seals settings (`dose.settings`), takes the controller's confirmation (`dose.settings-ack`) |
//! | controller ([`package::Controller`]) | its model, the package, its confirmed settings | opens a settings envelope, validates it against the package, answers with a signed confirmation, evaluates ([`evaluate::evaluate`]) |
//!
//! The core has no clock: every time is an input (`nowS` for envelopes, Unix seconds; frame
//! timestamps and the evaluation's `untilMs`, Unix **milliseconds**).
//!
//! # Units
//!
//! | measure | internal unit | type | accepted / shown as |
//! |---|---|---|---|
//! | glucose | mg/dL | integer | mg/dL; or mmol/L with one decimal ([`mmol_tenths_to_mgdl`], [`mgdl_to_mmol_tenths`]) |
//! | glucose rate of change | 0.1 mg/dL per minute | integer | `…TenthsPerMin` |
//! | insulin | 0.001 U (milliunits, `…Mu`) | integer | decimal string of units with three decimals ([`format_units`], [`parse_units`]) |
//! | battery | % and mV | integers | as is |
//! | durations | minutes in settings, ms on frames | integers | as is |
//!
//! **mmol/L ↔ mg/dL** uses the molar mass of glucose, 180.156 g/mol: 1 mmol/L = 18.0156 mg/dL.
//! `mgdl = ⌊(tenths·180156 + 50000) / 100000⌋` (tenths of mmol/L, half up) and
//! `tenths = ⌊(mgdl·1000000 + 900780) / 1801560⌋` (half up). Nightscout uses 18.01559; on every
//! value in range both give the same result. Both are exact integer formulas: the same on every
//! platform.
//!
//! # Limits
//!
//! | name | value | unit | what |
//! |---|---:|---|---|
//! | [`frame::FRAME_BYTES_MAX`] | 49 | bytes | one frame, header and CRC included |
//! | [`frame::PAYLOAD_BYTES_MAX`] | 32 | bytes | one frame's payload |
//! | [`frame::SEEN_WINDOW_FRAMES`] | 64 | frames | behind the newest, remembered to tell a duplicate from a late frame |
//! | [`TIME_MS_MAX`] | 2^53 − 1 | ms | a frame timestamp, an evaluation time |
//! | [`evaluate::HISTORY_FRAMES_MAX`] | 200,000 | frames | evaluated at once (90 days of 5-minute readings are 25,920) |
//! | [`evaluate::SIGNALS_MAX`] | 100,000 | signals | produced by one evaluation |
//! | [`evaluate::EVIDENCE_MAX`] | 8 | items | evidence of one signal |
//! | [`evaluate::RATE_GAP_MS_MAX`] | 900,000 | ms | between two readings whose slope is a rate of change |
//! | [`evaluate::DAILY_WINDOW_MS`] | 86,400,000 | ms | the trailing window of the maximum daily insulin |
//! | [`settings::FIELDS_COUNT`] | 16 | fields | of the alarm settings |
//! | [`package::ROLES_MAX`] | 8 | roles | in a program package |
//! | [`package::ID_BYTES_MAX`] | 64 | bytes | a program id, controller model or role name |
//!
//! The submodules hold the details: [`frame`] (format, CRC, check order, stream state),
//! [`settings`] (fields, bounds, validation), [`package`] (program package, settings envelope,
//! confirmation, terminal and controller roles), [`evaluate`] (risk signals), [`escalation`] (routing
//! and escalation of the alarms the signals raise: `docs/dose-escalation.md`).

mod codec;
pub use codec::{SNAPSHOT_BYTES_MAX, SNAPSHOT_FORMAT_VERSION};
pub mod escalation;
pub mod evaluate;
pub mod frame;
pub mod package;
pub mod settings;
#[cfg(test)]
mod tests;

use crate::error::{Error, ErrorCode, Result};
use crate::limits::outcome_codes;

/// The latest timestamp, ms since the Unix epoch (2^53 − 1: exact in a JavaScript number).
pub const TIME_MS_MAX: u64 = (1 << 53) - 1;
/// The largest glucose value accepted in mmol/L tenths (40.0 mmol/L, above every sensor's range).
pub const MMOL_TENTHS_MAX: u32 = 400;
/// The largest glucose value converted to mmol/L, mg/dL.
pub const MGDL_CONVERT_MAX: u32 = 1_000;
/// The largest insulin amount parsed or formatted, milliunits (1,000 U).
pub const UNITS_MU_MAX: u32 = 1_000_000;

outcome_codes! {
    /// Outcome of a System 9 operation (frame decoding, package installation, settings,
    /// confirmation). A refusal is a normal result with exactly one of these codes; an `Error`
    /// means the call itself was malformed.
    #[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "dose.ts"))]
    pub enum DoseCode {
        // Frames (check order in `frame`).
        /// The frame is the next one in sequence: accepted.
        Accepted = "ACCEPTED",
        /// The frame is newer than the next one expected: accepted, and `missing` frames before it never arrived.
        AcceptedAfterGap = "ACCEPTED_AFTER_GAP",
        /// The frame is longer than FRAME_BYTES_MAX, or declares a payload longer than PAYLOAD_BYTES_MAX.
        Oversized = "OVERSIZED",
        /// The frame is shorter than its header and CRC, or than the payload it declares.
        Truncated = "TRUNCATED",
        /// Bytes follow the frame's CRC.
        TrailingBytes = "TRAILING_BYTES",
        /// The frame's format version is not 1.
        FrameVersionUnsupported = "FRAME_VERSION_UNSUPPORTED",
        /// The CRC-16/CCITT-FALSE over the frame does not match the one it carries.
        BadCrc = "BAD_CRC",
        /// The message type is not one of the decoding table's.
        UnknownType = "UNKNOWN_TYPE",
        /// The payload length is not the one of its message type.
        PayloadLength = "PAYLOAD_LENGTH",
        /// A payload value is outside its range (glucose, battery, alarm code, delivery kind).
        PayloadInvalid = "PAYLOAD_INVALID",
        /// The timestamp is above TIME_MS_MAX.
        TimestampInvalid = "TIMESTAMP_INVALID",
        /// The frame's sequence number was already accepted: ignored.
        Duplicate = "DUPLICATE",
        /// The frame is older than the newest accepted one and was not seen before (a late frame): refused, the gap stays.
        OutOfOrder = "OUT_OF_ORDER",
        /// The frame is newer in sequence but earlier in time than the newest accepted one: refused.
        TimeRegressed = "TIME_REGRESSED",
        /// The stream reached the last sequence number (u32::MAX): pair the controller again.
        SequenceExhausted = "SEQUENCE_EXHAUSTED",
        // Envelopes (program package, settings, confirmation).
        /// Not a well-formed envelope, or its payload does not decode as its type's.
        EnvelopeMalformed = "ENVELOPE_MALFORMED",
        /// No trusted key has the envelope's key id and algorithm.
        UnknownSigner = "UNKNOWN_SIGNER",
        /// The signature does not verify.
        BadSignature = "BAD_SIGNATURE",
        /// The envelope is of another type.
        WrongType = "WRONG_TYPE",
        /// The envelope was issued in the future.
        NotYetValid = "NOT_YET_VALID",
        /// The envelope has expired.
        Expired = "EXPIRED",
        /// The envelope's sequence number is not above the last accepted one.
        Replayed = "REPLAYED",
        /// The envelope's schema version is not one this build reads.
        SchemaUnsupported = "SCHEMA_UNSUPPORTED",
        // Program package.
        /// The package was installed; the patient's settings are still valid and kept.
        Installed = "INSTALLED",
        /// The package was installed; some of the patient's settings are not valid under it (listed): the draft needs the patient's review.
        InstalledSettingsReview = "INSTALLED_SETTINGS_REVIEW",
        /// The package is for another controller model than the paired one.
        ControllerIncompatible = "CONTROLLER_INCOMPATIBLE",
        /// The package's version is older than the installed one.
        Downgrade = "DOWNGRADE",
        /// The package's version is the installed one.
        AlreadyInstalled = "ALREADY_INSTALLED",
        /// The package's bounds or defaults break the core's absolute bounds or ordering rules.
        PackageInvalid = "PACKAGE_INVALID",
        // Settings.
        /// The settings are valid (warnings may be listed) and were sealed: pending until the controller confirms.
        SettingsPending = "SETTINGS_PENDING",
        /// The settings break an absolute or permitted bound or an ordering rule (listed): nothing was sent.
        SettingsRefused = "SETTINGS_REFUSED",
        /// No program package is installed yet.
        NoPackage = "NO_PACKAGE",
        /// The controller confirmed the settings: they are the confirmed ones.
        SettingsConfirmed = "SETTINGS_CONFIRMED",
        /// The confirmation answers another settings envelope than the pending one.
        NotPending = "NOT_PENDING",
        /// The controller refused the settings (its code is in the confirmation): the previous ones stay.
        SettingsRejected = "SETTINGS_REJECTED",
        /// The settings envelope is for another program version than the controller's.
        ProgramMismatch = "PROGRAM_MISMATCH",
    }
}

impl DoseCode {
    /// The code for an envelope refused by [`crate::envelope::open`].
    pub(crate) fn from_rejection(r: crate::envelope::Rejection) -> Self {
        use crate::envelope::Rejection as R;
        match r {
            R::BadSignature => DoseCode::BadSignature,
            R::UnknownKey => DoseCode::UnknownSigner,
            R::Expired => DoseCode::Expired,
            R::NotYetValid => DoseCode::NotYetValid,
            R::Replayed => DoseCode::Replayed,
            R::WrongType => DoseCode::WrongType,
            R::Malformed => DoseCode::EnvelopeMalformed,
        }
    }
}

/// mmol/L (in tenths: 5.5 mmol/L is 55) to mg/dL, half up. Errors: `INVALID_ARGUMENT` (param
/// `mmolTenths`) above [`MMOL_TENTHS_MAX`].
pub fn mmol_tenths_to_mgdl(mmol_tenths: u32) -> Result<u32> {
    if mmol_tenths > MMOL_TENTHS_MAX {
        return Err(Error::new(ErrorCode::InvalidArgument, "mmolTenths", format!("must be at most {MMOL_TENTHS_MAX} (40.0 mmol/L)")));
    }
    Ok((mmol_tenths * 180_156 + 50_000) / 100_000)
}

/// mg/dL to mmol/L in tenths, half up. Errors: `INVALID_ARGUMENT` (param `mgdl`) above
/// [`MGDL_CONVERT_MAX`].
pub fn mgdl_to_mmol_tenths(mgdl: u32) -> Result<u32> {
    if mgdl > MGDL_CONVERT_MAX {
        return Err(Error::new(ErrorCode::InvalidArgument, "mgdl", format!("must be at most {MGDL_CONVERT_MAX}")));
    }
    // u64: 1,000 · 1,000,000 does not fit a u32.
    let tenths = (u64::from(mgdl) * 1_000_000 + 900_780) / 1_801_560;
    u32::try_from(tenths).map_err(|_| Error::new(ErrorCode::Internal, "", "mmol/L conversion overflow"))
}

/// Parses a mmol/L decimal string with at most one decimal (`"5.5"`, `"4"`) into tenths.
/// Grammar `(0|[1-9][0-9]?)(\.[0-9])?`. Errors: `INVALID_ARGUMENT` (param `mmol`).
pub fn parse_mmol(text: &str) -> Result<u32> {
    let bad = || Error::new(ErrorCode::InvalidArgument, "mmol", "must be a decimal like \"5.5\" (at most one decimal, at most 40.0)");
    let (int, frac) = match text.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (text, None),
    };
    let int_ok = !int.is_empty() && int.len() <= 2 && int.bytes().all(|b| b.is_ascii_digit()) && !(int.len() == 2 && int.starts_with('0'));
    if !int_ok {
        return Err(bad());
    }
    let mut tenths: u32 = int.bytes().fold(0, |acc, b| acc * 10 + u32::from(b - b'0')) * 10;
    if let Some(f) = frac {
        match f.as_bytes() {
            [d] if d.is_ascii_digit() => tenths += u32::from(d - b'0'),
            _ => return Err(bad()),
        }
    }
    if tenths > MMOL_TENTHS_MAX {
        return Err(bad());
    }
    Ok(tenths)
}

/// Milliunits as a decimal string of units with three decimals (`1500` → `"1.500"`).
pub fn format_units(mu: u32) -> String {
    format!("{}.{:03}", mu / 1000, mu % 1000)
}

/// Parses a decimal string of insulin units with at most three decimals (`"0.05"`, `"10"`) into
/// milliunits. Grammar `(0|[1-9][0-9]*)(\.[0-9]{1,3})?`, at most [`UNITS_MU_MAX`]. Errors:
/// `INVALID_ARGUMENT` (param `units`); never rounds (a fourth decimal is refused).
pub fn parse_units(text: &str) -> Result<u32> {
    let bad = || Error::new(ErrorCode::InvalidArgument, "units", "must be a decimal of units like \"0.05\" (at most three decimals, at most 1000)");
    let (int, frac) = match text.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (text, None),
    };
    if int.is_empty() || int.len() > 4 || !int.bytes().all(|b| b.is_ascii_digit()) || (int.len() > 1 && int.starts_with('0')) {
        return Err(bad());
    }
    let mut mu: u32 = int.bytes().fold(0, |acc, b| acc * 10 + u32::from(b - b'0')) * 1000;
    if let Some(f) = frac {
        if f.is_empty() || f.len() > 3 || !f.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad());
        }
        let mut scale = 100;
        for b in f.bytes() {
            mu += u32::from(b - b'0') * scale;
            scale /= 10;
        }
    }
    if mu > UNITS_MU_MAX {
        return Err(bad());
    }
    Ok(mu)
}
