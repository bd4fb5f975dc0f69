//! The controller's binary frames: format, CRC, decoding and the stream state.
//!
//! # Format (big-endian)
//!
//! ```text
//! offset size field
//!  0      1   version      = 1
//!  1      1   type         (table below)
//!  2      4   seq          u32, +1 per frame the controller sends
//!  6      8   timestamp    u64, ms since the Unix epoch (controller clock), ≤ TIME_MS_MAX
//! 14      1   length n     payload bytes, ≤ PAYLOAD_BYTES_MAX
//! 15      n   payload
//! 15+n    2   crc          CRC-16/CCITT-FALSE over bytes 0 .. 15+n
//! ```
//!
//! **CRC-16/CCITT-FALSE**: polynomial 0x1021, initial value 0xFFFF, no reflection, no final XOR;
//! check value (CRC of the ASCII bytes `123456789`) 0x29B1 (tested). Chosen because serial
//! medical and embedded links commonly use it and a 49-byte frame is far inside its
//! Hamming-distance-4 range.
//!
//! | type | name | payload (n bytes) | ranges |
//! |---:|---|---|---|
//! | 1 | `glucose` | u16 mg/dL (2) | 39..=401; 39 means "below 40" (sensor's LOW), 401 "above 400" (sensor's HIGH) |
//! | 2 | `delivery` | u32 insulin mU, u8 kind 0 basal / 1 bolus (5) | mU ≤ 100,000 (100 U) |
//! | 3 | `device-status` | u32 reservoir mU, u8 battery %, u16 battery mV (7) | mU ≤ 1,000,000, % ≤ 100, mV ≤ 10,000 |
//! | 4 | `device-alarm` | u8 alarm 1 occlusion / 2 no-delivery / 3 pump-error, u8 state 1 raised / 0 cleared (2) | |
//! | 5 | `usage` | u8 event 1 suspend / 2 resume / 3 site-change / 4 sensor-start (1) | |
//!
//! These five types are the decoding table of version [`DECODING_TABLES_VERSION`]; a program
//! package names the version it expects.
//!
//! # Check order of [`Stream::accept`]
//!
//! One code per frame, from the first check that fails:
//!
//! 1. `OVERSIZED` — more than [`FRAME_BYTES_MAX`] bytes.
//! 2. `TRUNCATED` — fewer than the 17 bytes of header and CRC.
//! 3. `FRAME_VERSION_UNSUPPORTED` — byte 0 is not 1.
//! 4. `OVERSIZED` — the declared length is above [`PAYLOAD_BYTES_MAX`].
//! 5. `TRUNCATED` — fewer bytes than 17 + n; `TRAILING_BYTES` — more.
//! 6. `BAD_CRC`.
//! 7. `UNKNOWN_TYPE`; 8. `PAYLOAD_LENGTH`; 9. `PAYLOAD_INVALID`; 10. `TIMESTAMP_INVALID`.
//! 11. Stream checks against the state (last accepted `seq` and timestamp, the window of the
//!     [`SEEN_WINDOW_FRAMES`] sequence numbers behind it): `SEQUENCE_EXHAUSTED` (the newest was
//!     u32::MAX and this frame has another number), `DUPLICATE` (seen before),
//!     `OUT_OF_ORDER` (older than the newest and not seen, or older than the window: a late frame
//!     is refused because the history is kept in time order; its gap stays reported),
//!     `TIME_REGRESSED` (newer in sequence, earlier
//!     in time); otherwise `ACCEPTED` (the next one) or `ACCEPTED_AFTER_GAP` with `missing`.
//!
//! Integrity before meaning (a frame whose CRC fails tells nothing about its type), and the
//! stream state last, so a damaged frame never moves it. A refused frame changes nothing.
//! The first frame of a stream is `ACCEPTED` whatever its `seq`.

use serde::{Deserialize, Serialize};

use super::{DoseCode, TIME_MS_MAX};
use crate::error::{Error, ErrorCode, Result};

/// The one frame format version.
pub const FRAME_VERSION: u8 = 1;
/// The version of the decoding table above.
pub const DECODING_TABLES_VERSION: u32 = 1;
/// Header bytes before the payload.
pub const HEADER_BYTES: usize = 15;
/// CRC bytes after the payload.
pub const CRC_BYTES: usize = 2;
/// The longest payload, bytes.
pub const PAYLOAD_BYTES_MAX: usize = 32;
/// The longest frame, bytes.
pub const FRAME_BYTES_MAX: usize = HEADER_BYTES + PAYLOAD_BYTES_MAX + CRC_BYTES;
/// Sequence numbers behind the newest remembered (a bit each), frames.
pub const SEEN_WINDOW_FRAMES: u32 = 64;
/// The lowest glucose value on a frame, mg/dL (the sensor's "below 40").
pub const GLUCOSE_MGDL_MIN: u16 = 39;
/// The highest glucose value on a frame, mg/dL (the sensor's "above 400").
pub const GLUCOSE_MGDL_MAX: u16 = 401;
/// The largest delivery on one frame, mU (100 U).
pub const DELIVERY_MU_MAX: u32 = 100_000;
/// The largest reservoir, mU (1,000 U).
pub const RESERVOIR_MU_MAX: u32 = 1_000_000;
/// The largest battery voltage, mV.
pub const BATTERY_MV_MAX: u16 = 10_000;

/// The CRC of every byte value shifted through the polynomial 8 times, so that [`crc16_ccitt_false`]
/// takes one lookup per byte instead of 8 bit steps: the profile of a 90-day evaluation from bytes
/// (30,240 frames) showed the bitwise loop as its largest single cost (17 %). Computed at compile
/// time (512 bytes of data in the module).
const CRC_TABLE: [u16; 256] = crc_table();

// The indexes run below the table's length, and a const fn is evaluated while compiling: an
// out-of-range index would be a compile error, never a run-time panic.
#[allow(clippy::indexing_slicing)]
const fn crc_table() -> [u16; 256] {
    let mut table = [0u16; 256];
    let mut i = 0;
    while i < 256 {
        let mut crc = (i as u16) << 8;
        let mut bit = 0;
        while bit < 8 {
            crc = if crc & 0x8000 != 0 { (crc << 1) ^ 0x1021 } else { crc << 1 };
            bit += 1;
        }
        table[i] = crc;
        i += 1;
    }
    table
}

/// CRC-16/CCITT-FALSE (poly 0x1021, init 0xFFFF, not reflected, no final XOR), by table.
pub fn crc16_ccitt_false(bytes: &[u8]) -> u16 {
    let mut crc: u16 = 0xFFFF;
    for &b in bytes {
        // The index is a byte: always inside the 256-entry table.
        let at = usize::from(crc.to_be_bytes()[0] ^ b);
        crc = (crc << 8) ^ CRC_TABLE.get(at).copied().unwrap_or(0);
    }
    crc
}

/// Basal (continuous) or bolus (a dose at once).
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "dose.ts"))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DeliveryKind {
    /// Continuous background insulin.
    Basal,
    /// A dose given at once.
    Bolus,
}

/// A device alarm the controller raises or clears.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "dose.ts"))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DeviceAlarm {
    /// The infusion line is blocked: insulin is not reaching the patient.
    Occlusion,
    /// The pump delivered nothing when it should have.
    NoDelivery,
    /// The pump's own fault.
    PumpError,
}

/// A usage event.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "dose.ts"))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum UsageEvent {
    /// Delivery suspended by the patient.
    Suspend,
    /// Delivery resumed.
    Resume,
    /// Infusion site changed.
    SiteChange,
    /// A new glucose sensor started.
    SensorStart,
}

/// A decoded payload, one variant per message type.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "dose.ts", rename = "FrameBody"))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
pub enum Body {
    /// Type 1.
    Glucose {
        /// mg/dL, 39..=401.
        mgdl: u16,
    },
    /// Type 2.
    Delivery {
        /// Insulin delivered, mU.
        mu: u32,
        /// Basal or bolus.
        kind: DeliveryKind,
    },
    /// Type 3.
    #[serde(rename_all = "camelCase")]
    DeviceStatus {
        /// Insulin left, mU.
        reservoir_mu: u32,
        /// Battery, %.
        battery_pct: u8,
        /// Battery, mV.
        battery_mv: u16,
    },
    /// Type 4.
    DeviceAlarm {
        /// Which alarm.
        alarm: DeviceAlarm,
        /// Raised (true) or cleared.
        raised: bool,
    },
    /// Type 5.
    Usage {
        /// What happened.
        event: UsageEvent,
    },
}

/// A decoded frame.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "dose.ts", rename = "DoseFrame"))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Frame {
    /// Sequence number.
    pub seq: u32,
    /// Timestamp, ms since the Unix epoch.
    pub at_ms: u64,
    /// The payload.
    pub body: Body,
}

fn be_u16(b: &[u8], at: usize) -> u16 {
    let mut v = 0u16;
    for i in 0..2 {
        v = (v << 8) | u16::from(b.get(at + i).copied().unwrap_or(0));
    }
    v
}

fn be_u32(b: &[u8], at: usize) -> u32 {
    let mut v = 0u32;
    for i in 0..4 {
        v = (v << 8) | u32::from(b.get(at + i).copied().unwrap_or(0));
    }
    v
}

fn be_u64(b: &[u8], at: usize) -> u64 {
    let mut v = 0u64;
    for i in 0..8 {
        v = (v << 8) | u64::from(b.get(at + i).copied().unwrap_or(0));
    }
    v
}

/// Decodes one frame without the stream checks (steps 1–10 of the check order).
pub fn decode(bytes: &[u8]) -> core::result::Result<Frame, DoseCode> {
    if bytes.len() > FRAME_BYTES_MAX {
        return Err(DoseCode::Oversized);
    }
    if bytes.len() < HEADER_BYTES + CRC_BYTES {
        return Err(DoseCode::Truncated);
    }
    let byte = |i: usize| bytes.get(i).copied().unwrap_or(0);
    if byte(0) != FRAME_VERSION {
        return Err(DoseCode::FrameVersionUnsupported);
    }
    let n = usize::from(byte(14));
    if n > PAYLOAD_BYTES_MAX {
        return Err(DoseCode::Oversized);
    }
    let end = HEADER_BYTES + n;
    match bytes.len().cmp(&(end + CRC_BYTES)) {
        core::cmp::Ordering::Less => return Err(DoseCode::Truncated),
        core::cmp::Ordering::Greater => return Err(DoseCode::TrailingBytes),
        core::cmp::Ordering::Equal => {}
    }
    let covered = bytes.get(..end).ok_or(DoseCode::Truncated)?;
    if crc16_ccitt_false(covered) != be_u16(bytes, end) {
        return Err(DoseCode::BadCrc);
    }
    let payload = bytes.get(HEADER_BYTES..end).ok_or(DoseCode::Truncated)?;
    let p = |i: usize| payload.get(i).copied().unwrap_or(0);
    let expected_len = match byte(1) {
        1 => 2,
        2 => 5,
        3 => 7,
        4 => 2,
        5 => 1,
        _ => return Err(DoseCode::UnknownType),
    };
    if n != expected_len {
        return Err(DoseCode::PayloadLength);
    }
    let body = match byte(1) {
        1 => {
            let mgdl = be_u16(payload, 0);
            if !(GLUCOSE_MGDL_MIN..=GLUCOSE_MGDL_MAX).contains(&mgdl) {
                return Err(DoseCode::PayloadInvalid);
            }
            Body::Glucose { mgdl }
        }
        2 => {
            let mu = be_u32(payload, 0);
            let kind = match p(4) {
                0 => DeliveryKind::Basal,
                1 => DeliveryKind::Bolus,
                _ => return Err(DoseCode::PayloadInvalid),
            };
            if mu > DELIVERY_MU_MAX {
                return Err(DoseCode::PayloadInvalid);
            }
            Body::Delivery { mu, kind }
        }
        3 => {
            let reservoir_mu = be_u32(payload, 0);
            let battery_pct = p(4);
            let battery_mv = be_u16(payload, 5);
            if reservoir_mu > RESERVOIR_MU_MAX || battery_pct > 100 || battery_mv > BATTERY_MV_MAX {
                return Err(DoseCode::PayloadInvalid);
            }
            Body::DeviceStatus { reservoir_mu, battery_pct, battery_mv }
        }
        4 => {
            let alarm = match p(0) {
                1 => DeviceAlarm::Occlusion,
                2 => DeviceAlarm::NoDelivery,
                3 => DeviceAlarm::PumpError,
                _ => return Err(DoseCode::PayloadInvalid),
            };
            let raised = match p(1) {
                0 => false,
                1 => true,
                _ => return Err(DoseCode::PayloadInvalid),
            };
            Body::DeviceAlarm { alarm, raised }
        }
        _ => {
            let event = match p(0) {
                1 => UsageEvent::Suspend,
                2 => UsageEvent::Resume,
                3 => UsageEvent::SiteChange,
                4 => UsageEvent::SensorStart,
                _ => return Err(DoseCode::PayloadInvalid),
            };
            Body::Usage { event }
        }
    };
    let at_ms = be_u64(bytes, 6);
    if at_ms > TIME_MS_MAX {
        return Err(DoseCode::TimestampInvalid);
    }
    Ok(Frame { seq: be_u32(bytes, 2), at_ms, body })
}

/// Encodes a frame (the simulated controller's side, and the tests'). Errors:
/// `INVALID_ARGUMENT` naming the field out of its range (the same ranges decoding checks).
pub fn encode(frame: &Frame) -> Result<Vec<u8>> {
    let bad = |param: &'static str, msg: &str| Error::new(ErrorCode::InvalidArgument, param, msg.to_owned());
    if frame.at_ms > TIME_MS_MAX {
        return Err(bad("atMs", "must be at most 2^53 - 1"));
    }
    let (ty, payload): (u8, Vec<u8>) = match frame.body {
        Body::Glucose { mgdl } => {
            if !(GLUCOSE_MGDL_MIN..=GLUCOSE_MGDL_MAX).contains(&mgdl) {
                return Err(bad("body.mgdl", "must be 39..=401"));
            }
            (1, mgdl.to_be_bytes().to_vec())
        }
        Body::Delivery { mu, kind } => {
            if mu > DELIVERY_MU_MAX {
                return Err(bad("body.mu", "must be at most 100000 (100 U)"));
            }
            let mut p = mu.to_be_bytes().to_vec();
            p.push(match kind { DeliveryKind::Basal => 0, DeliveryKind::Bolus => 1 });
            (2, p)
        }
        Body::DeviceStatus { reservoir_mu, battery_pct, battery_mv } => {
            if reservoir_mu > RESERVOIR_MU_MAX {
                return Err(bad("body.reservoirMu", "must be at most 1000000"));
            }
            if battery_pct > 100 {
                return Err(bad("body.batteryPct", "must be at most 100"));
            }
            if battery_mv > BATTERY_MV_MAX {
                return Err(bad("body.batteryMv", "must be at most 10000"));
            }
            let mut p = reservoir_mu.to_be_bytes().to_vec();
            p.push(battery_pct);
            p.extend_from_slice(&battery_mv.to_be_bytes());
            (3, p)
        }
        Body::DeviceAlarm { alarm, raised } => {
            let a = match alarm { DeviceAlarm::Occlusion => 1, DeviceAlarm::NoDelivery => 2, DeviceAlarm::PumpError => 3 };
            (4, vec![a, u8::from(raised)])
        }
        Body::Usage { event } => {
            let e = match event { UsageEvent::Suspend => 1, UsageEvent::Resume => 2, UsageEvent::SiteChange => 3, UsageEvent::SensorStart => 4 };
            (5, vec![e])
        }
    };
    let mut out = Vec::with_capacity(HEADER_BYTES + payload.len() + CRC_BYTES);
    out.push(FRAME_VERSION);
    out.push(ty);
    out.extend_from_slice(&frame.seq.to_be_bytes());
    out.extend_from_slice(&frame.at_ms.to_be_bytes());
    // Every payload above is at most 7 bytes.
    out.push(payload.len() as u8);
    out.extend_from_slice(&payload);
    let crc = crc16_ccitt_false(&out);
    out.extend_from_slice(&crc.to_be_bytes());
    Ok(out)
}

/// What [`Stream::accept`] decided about one frame.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "dose.ts", rename = "FrameResult"))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Accepted {
    /// `ACCEPTED`, `ACCEPTED_AFTER_GAP`, or the refusal.
    pub code: DoseCode,
    /// The frame, when it decoded (also for the stream refusals: the caller may show it).
    pub frame: Option<Frame>,
    /// Frames missing before this one (`ACCEPTED_AFTER_GAP`), else 0.
    pub missing: u32,
}

/// The receiving side's state of one controller's frame stream (snapshot-able: plain data).
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "dose.ts", rename = "FrameStream"))]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Stream {
    /// The newest accepted sequence number; `None` before the first frame.
    pub last_seq: Option<u32>,
    /// The newest accepted frame's timestamp, ms (0 before the first frame).
    pub last_at_ms: u64,
    /// Bit i set: `last_seq − 1 − i` was accepted (i < [`SEEN_WINDOW_FRAMES`]). As 16 hex
    /// digits in JSON: 64 bits do not fit a JavaScript number.
    #[serde(with = "hex_u64")]
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub seen_behind: u64,
    /// Frames accepted in total (reported; never decides anything).
    pub accepted_count: u64,
    /// Frames reported missing in total.
    pub missing_count: u64,
}

impl Stream {
    /// Decodes `bytes` and applies the stream checks; an accepted frame advances the state, a
    /// refused one changes nothing.
    pub fn accept(&mut self, bytes: &[u8]) -> Accepted {
        let frame = match decode(bytes) {
            Ok(f) => f,
            Err(code) => return Accepted { code, frame: None, missing: 0 },
        };
        let refuse = |code| Accepted { code, frame: Some(frame), missing: 0 };
        let Some(last) = self.last_seq else {
            *self = Stream { last_seq: Some(frame.seq), last_at_ms: frame.at_ms, seen_behind: 0, accepted_count: 1, missing_count: 0 };
            return Accepted { code: DoseCode::Accepted, frame: Some(frame), missing: 0 };
        };
        // Checked first: at u32::MAX every other frame would look old.
        if last == u32::MAX && frame.seq != last {
            return refuse(DoseCode::SequenceExhausted);
        }
        if frame.seq <= last {
            let behind = last - frame.seq;
            let seen = behind == 0
                || (behind <= SEEN_WINDOW_FRAMES && self.seen_behind & (1u64 << (behind - 1)) != 0);
            return refuse(if seen { DoseCode::Duplicate } else { DoseCode::OutOfOrder });
        }
        if frame.at_ms < self.last_at_ms {
            return refuse(DoseCode::TimeRegressed);
        }
        let step = frame.seq - last;
        // Shift the window by `step`: the old newest becomes bit step-1.
        self.seen_behind = if step > SEEN_WINDOW_FRAMES {
            0
        } else {
            let shifted = if step == SEEN_WINDOW_FRAMES { 0 } else { self.seen_behind << step };
            shifted | (1u64 << (step - 1))
        };
        self.last_seq = Some(frame.seq);
        self.last_at_ms = frame.at_ms;
        self.accepted_count = self.accepted_count.saturating_add(1);
        let missing = step - 1;
        self.missing_count = self.missing_count.saturating_add(u64::from(missing));
        Accepted {
            code: if missing == 0 { DoseCode::Accepted } else { DoseCode::AcceptedAfterGap },
            frame: Some(frame),
            missing,
        }
    }
}

/// A u64 bitmap as 16 lowercase hex digits (exact in JSON, unlike a number above 2^53).
mod hex_u64 {
    use serde::{Deserialize, Deserializer, Serializer};

    pub(super) fn serialize<S: Serializer>(v: &u64, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&format!("{v:016x}"))
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
        let text = String::deserialize(d)?;
        if text.len() != 16 || !text.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
            return Err(serde::de::Error::custom("must be 16 lowercase hex digits"));
        }
        u64::from_str_radix(&text, 16).map_err(serde::de::Error::custom)
    }
}
