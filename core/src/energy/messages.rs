//! The signed messages between the terminal and the e-money server, and their payloads.
//!
//! Every message is a COSE_Sign1 [envelope](crate::envelope) of its own type, schema version
//! [`PAYLOAD_VERSION`], whose payload is deterministic CBOR (arrays in field order, absent
//! options as null, tariffs as in [`Tariff`]). The receiver decodes, re-encodes and requires the
//! same bytes, so each message has exactly one accepted encoding.
//!
//! | type | from → to | payload |
//! |---|---|---|
//! | `energy.order` | terminal → server | [`Order`] |
//! | `energy.tariff-change` | terminal → server | [`TariffChange`] |
//! | `energy.extend` | terminal → server | [`Extension`] |
//! | `energy.completion` | terminal → server | [`Completion`] |
//! | `energy.authorisation` | server → terminal | [`Authorisation`] (answers an order, tariff change or extend) |
//! | `energy.receipt` | server → terminal | [`Receipt`] (answers a completion) |
//!
//! ```text
//! tariff        = [currency, unit (0 litre | 1 kWh | 2 kg), resolution / null, unitPrice,
//!                  costRounding, [rate, priceIncludesTax, rounding] / null]
//! order         = [orderId, walletId, stationId, maximum, belowMaximum (0 decline |
//!                  1 hold-available | 2 lower-maximum), minimum / null, step / null, tariff]
//! tariff-change = [orderId, changeNo, quantityAt, tariff, increment / null]
//! extend        = [orderId, expiresAt]
//! completion    = [orderId, [* [quantity, at]]]
//! authorisation = [orderId, inReplyTo bstr(32), code, ledgerCode / null, walletId, stationId,
//!                  currency, maximum, holdId / null, held, expiresAt / null,
//!                  [* [fromQuantity, tariff]], [* increment]]
//! receipt       = [orderId, inReplyTo, code, ledgerCode / null, walletId, stationId, currency,
//!                  holdId, held, [* increment], expiresAt, completedAt, late bool,
//!                  [* [quantity, at]], quantity, [* segmentCost], [net, tax, total],
//!                  captured, released, uncollected]
//! segmentCost   = [fromQuantity, toQuantity, quantity, tariff, [net, tax, total]]
//! ```
//!
//! Every answer of the server names the SHA-256 of the request envelope it answers
//! (`inReplyTo`), so a terminal can tell which of its requests an answer belongs to and an
//! answer cannot be replayed against another request.

use minicbor::Decoder;
use serde::{Deserialize, Serialize};

use super::codes::EnergyCode;
use super::pricing::{CostBreakdown, Tariff, TaxRule, Unit};
use crate::envelope::{self, SealParams};
use crate::error::Result;
use crate::limits::cbor::{self, Cbor, Enc};

/// Envelope type of an order (terminal → server).
pub const ORDER_TYPE: &str = "energy.order";
/// Envelope type of a tariff change with an optional increment (terminal → server).
pub const TARIFF_CHANGE_TYPE: &str = "energy.tariff-change";
/// Envelope type of a request for a later deadline (terminal → server).
pub const EXTEND_TYPE: &str = "energy.extend";
/// Envelope type of a completion with the meter readings (terminal → server).
pub const COMPLETION_TYPE: &str = "energy.completion";
/// Envelope type of the server's answer to an order, tariff change or extend.
pub const AUTHORISATION_TYPE: &str = "energy.authorisation";
/// Envelope type of the server's signed receipt (answer to a completion).
pub const RECEIPT_TYPE: &str = "energy.receipt";
/// Schema version of every energy payload.
pub const PAYLOAD_VERSION: u32 = 1;
/// How long a message is valid after it is sealed, seconds (one hour: a completion sent after a
/// network outage longer than this must be built again).
pub const MESSAGE_TTL_S: i64 = 3_600;
/// The most meter readings in one session (and one completion).
pub const READINGS_MAX: usize = 64;
/// The most tariff changes in one session (so at most TARIFF_CHANGES_MAX + 1 tariff segments).
pub const TARIFF_CHANGES_MAX: usize = 8;
/// The longest order, wallet or station id, in UTF-8 bytes (ledger ids are these plus a short
/// prefix, within the ledger's 64).
pub const ENERGY_ID_BYTES_MAX: usize = 48;

/// What the server does when the wallet's available balance is below the order's maximum.
/// JSON: `"decline"`, `"hold-available"`, `"lower-maximum"`.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "energy.ts", rename = "BelowMaximumPolicy"))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum BelowMaximum {
    /// Hold nothing (`BALANCE_BELOW_MAXIMUM`).
    Decline,
    /// Hold the whole available balance (`HELD_AVAILABLE`).
    HoldAvailable,
    /// Hold the available balance rounded down to the order's `step` (`MAXIMUM_LOWERED`), e.g.
    /// a whole 5.00 so the pump shows a round pre-set.
    LowerMaximum,
}

impl BelowMaximum {
    fn code(self) -> u64 {
        match self {
            BelowMaximum::Decline => 0,
            BelowMaximum::HoldAvailable => 1,
            BelowMaximum::LowerMaximum => 2,
        }
    }

    fn from_code(code: u64) -> Option<Self> {
        match code {
            0 => Some(BelowMaximum::Decline),
            1 => Some(BelowMaximum::HoldAvailable),
            2 => Some(BelowMaximum::LowerMaximum),
            _ => None,
        }
    }
}

/// An order to fill a vehicle: the payload of `energy.order`.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "energy.ts", rename = "EnergyOrder"))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Order {
    /// The order id, unique per server (1..=48 UTF-8 bytes, no control characters).
    pub order_id: String,
    /// The customer's e-money wallet.
    pub wallet_id: String,
    /// The station (its settlement account is credited); must be the sending terminal's.
    pub station_id: String,
    /// The predetermined maximum amount, in the tariff's currency, greater than zero.
    pub maximum: String,
    /// What to do when the balance is below the maximum.
    pub below_maximum: BelowMaximum,
    /// The least amount worth holding (default: one resolution step's cost); at most `maximum`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub minimum: Option<String>,
    /// The rounding step of `lower-maximum` (required with it, absent otherwise), > 0.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub step: Option<String>,
    /// The tariff at the start of delivery.
    pub tariff: Tariff,
}

/// A meter reading: the quantity delivered so far (at the dispenser's resolution) and when.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "energy.ts"))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MeterReading {
    /// Quantity delivered since the start of the session, e.g. `"12.34"`.
    pub quantity: String,
    /// Unix seconds.
    pub at: i64,
}

/// A tariff in force from a quantity on.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "energy.ts"))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TariffSegment {
    /// The quantity delivered when this tariff took effect (`"0"` for the order's tariff).
    pub from_quantity: String,
    /// The tariff.
    pub tariff: Tariff,
}

/// A tariff change during a session: the payload of `energy.tariff-change`.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "energy.ts"))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TariffChange {
    /// The order.
    pub order_id: String,
    /// 1 for the first change of the session, 2 for the next ...
    pub change_no: u32,
    /// The quantity delivered when the new tariff takes effect.
    pub quantity_at: String,
    /// The new tariff (same currency, unit and resolution).
    pub tariff: Tariff,
    /// The amount to add to the hold, if any (> 0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub increment: Option<String>,
}

/// A request for a later deadline: the payload of `energy.extend`.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "energy.ts", rename = "EnergyExtension"))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Extension {
    /// The order.
    pub order_id: String,
    /// The new deadline, Unix seconds.
    pub expires_at: i64,
}

/// The end of delivery: the payload of `energy.completion`.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "energy.ts", rename = "EnergyCompletion"))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Completion {
    /// The order.
    pub order_id: String,
    /// The meter readings, in order; the last one is the quantity delivered (none: nothing).
    pub readings: Vec<MeterReading>,
}

/// The server's answer to an order, a tariff change or an extend: the payload of
/// `energy.authorisation`. It states the whole hold as the server sees it.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "energy.ts", rename = "EnergyAuthorisation"))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Authorisation {
    /// The order.
    pub order_id: String,
    /// SHA-256 of the request envelope this answers (hex in JSON).
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    #[serde(with = "hex_bytes")]
    pub in_reply_to: Vec<u8>,
    /// The outcome.
    pub code: EnergyCode,
    /// The ledger's code when `code` is `LEDGER_REFUSED`.
    // A ledger code's string, typed as the ledger's code union in TypeScript.
    #[cfg_attr(feature = "ts", ts(as = "Option<crate::ledger::LedgerCode>"))]
    pub ledger_code: Option<String>,
    /// The wallet.
    pub wallet_id: String,
    /// The station.
    pub station_id: String,
    /// The currency.
    pub currency: String,
    /// The order's maximum.
    pub maximum: String,
    /// The ledger hold (absent when nothing is held).
    pub hold_id: Option<String>,
    /// Everything held: the first hold plus increments (`"0"` when declined).
    pub held: String,
    /// The hold's deadline, Unix seconds.
    pub expires_at: Option<i64>,
    /// The tariffs in force, from the order's on.
    pub segments: Vec<TariffSegment>,
    /// The increments added to the hold, in order.
    pub increments: Vec<String>,
}

/// The cost of one tariff segment of a delivery.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "energy.ts"))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SegmentCost {
    /// Where the segment starts.
    pub from_quantity: String,
    /// Where it ends (the next tariff's start, or the final reading).
    pub to_quantity: String,
    /// `to − from`.
    pub quantity: String,
    /// Its tariff.
    pub tariff: Tariff,
    /// The cost of `quantity` under `tariff` (rounded once per segment).
    pub cost: CostBreakdown,
}

/// The server's signed receipt: the payload of `energy.receipt`.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "energy.ts", rename = "EnergyReceipt"))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Receipt {
    /// The order.
    pub order_id: String,
    /// SHA-256 of the completion envelope this answers (hex in JSON).
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    #[serde(with = "hex_bytes")]
    pub in_reply_to: Vec<u8>,
    /// `COMPLETED`, `COMPLETED_CAPPED`, `COMPLETED_NOTHING_DELIVERED`, `LATE_COMPLETION_REJECTED`,
    /// `LATE_CHARGED` or `LATE_CHARGE_DECLINED`.
    pub code: EnergyCode,
    /// The ledger's code of the capture, release or late transfer.
    // A ledger code's string, typed as the ledger's code union in TypeScript.
    #[cfg_attr(feature = "ts", ts(as = "Option<crate::ledger::LedgerCode>"))]
    pub ledger_code: Option<String>,
    /// The wallet.
    pub wallet_id: String,
    /// The station.
    pub station_id: String,
    /// The currency.
    pub currency: String,
    /// The ledger hold.
    pub hold_id: String,
    /// Everything held: the first hold plus increments.
    pub held: String,
    /// The increments, in order.
    pub increments: Vec<String>,
    /// The hold's last deadline.
    pub expires_at: i64,
    /// When the server completed the session (its effective time).
    pub completed_at: i64,
    /// Whether the completion arrived after the hold expired.
    pub late: bool,
    /// The meter readings of the completion.
    pub readings: Vec<MeterReading>,
    /// The quantity delivered (the last reading).
    pub quantity: String,
    /// The unit.
    pub unit: Unit,
    /// The cost per tariff segment.
    pub segments: Vec<SegmentCost>,
    /// The metered cost: the sum of the segments.
    pub cost: CostBreakdown,
    /// What was charged: captured from the hold, or transferred by a late charge.
    pub captured: String,
    /// What the hold released (by the final capture, or by expiry).
    pub released: String,
    /// The cost not collected: `cost.total − captured`.
    pub uncollected: String,
}

/// Who signs (the envelope primitive's [`envelope::Signer`], shared by every system that seals).
pub use crate::envelope::Signer;

impl Signer<'_> {
    /// Seals `payload` as a message of `msg_type`, valid from `now` for [`MESSAGE_TTL_S`].
    pub(super) fn seal(
        &self,
        msg_type: &str,
        seq: u64,
        now: i64,
        payload: &[u8],
    ) -> Result<Vec<u8>> {
        envelope::seal(&SealParams {
            alg: self.alg,
            secret_key: self.secret_key,
            key_id: self.key_id,
            msg_type,
            version: PAYLOAD_VERSION,
            seq,
            issued_at: now,
            expires_at: now.saturating_add(MESSAGE_TTL_S),
            payload,
        })
    }
}

/// Whether `id` is a valid order, wallet or station id.
pub(super) fn energy_id_ok(id: &str) -> bool {
    (1..=ENERGY_ID_BYTES_MAX).contains(&id.len()) && !id.chars().any(char::is_control)
}

/// Bytes in JSON: lowercase hex (at most 64 bytes: a SHA-256 digest).
pub(crate) mod hex_bytes {
    use serde::{Deserialize, Deserializer, Serializer};

    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    const BYTES_MAX: usize = 64;

    pub fn serialize<S: Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
        let mut out = String::with_capacity(bytes.len().saturating_mul(2));
        for b in bytes {
            for nibble in [b >> 4, b & 0x0f] {
                if let Some(&digit) = DIGITS.get(usize::from(nibble)) {
                    out.push(char::from(digit));
                }
            }
        }
        s.serialize_str(&out)
    }

    fn value(digit: u8) -> Option<u8> {
        match digit {
            b'0'..=b'9' => Some(digit - b'0'),
            b'a'..=b'f' => Some(digit - b'a' + 10),
            _ => None,
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let text = String::deserialize(d)?;
        if text.len() % 2 != 0 || text.len() > BYTES_MAX * 2 {
            return Err(serde::de::Error::custom("expected lowercase hex bytes"));
        }
        text.as_bytes()
            .chunks(2)
            .map(|pair| match pair {
                [hi, lo] => Some(value(*hi)? << 4 | value(*lo)?),
                _ => None,
            })
            .collect::<Option<Vec<u8>>>()
            .ok_or_else(|| serde::de::Error::custom("expected lowercase hex bytes"))
    }
}

// ------------------------------------------------------------------------------- CBOR

fn unit_code(unit: Unit) -> u64 {
    match unit {
        Unit::Litre => 0,
        Unit::KilowattHour => 1,
        Unit::Kilogram => 2,
    }
}

fn unit_of(code: u64) -> Option<Unit> {
    match code {
        0 => Some(Unit::Litre),
        1 => Some(Unit::KilowattHour),
        2 => Some(Unit::Kilogram),
        _ => None,
    }
}

fn opt_str(e: &mut Enc, value: Option<&String>) {
    e.opt(value);
}

fn opt_i64(e: &mut Enc, value: Option<i64>) {
    match value {
        Some(v) => {
            e.i64(v);
        }
        None => {
            e.null();
        }
    }
}

fn dec_opt_i64(d: &mut Decoder<'_>) -> Option<Option<i64>> {
    if d.datatype().ok()? == minicbor::data::Type::Null {
        d.null().ok()?;
        return Some(None);
    }
    cbor::i64(d).map(Some)
}

fn code_of(d: &mut Decoder<'_>) -> Option<EnergyCode> {
    EnergyCode::from_name(&cbor::string(d)?)
}

impl Cbor for Unit {
    fn encode(&self, e: &mut Enc) {
        e.u64(unit_code(*self));
    }
    fn decode(d: &mut Decoder<'_>) -> Option<Self> {
        unit_of(cbor::u64(d)?)
    }
}

impl Cbor for TaxRule {
    fn encode(&self, e: &mut Enc) {
        e.array(3)
            .str(&self.rate)
            .bool(self.price_includes_tax)
            .str(&self.rounding);
    }
    fn decode(d: &mut Decoder<'_>) -> Option<Self> {
        cbor::array(d, 3)?;
        Some(TaxRule {
            rate: cbor::string(d)?,
            price_includes_tax: cbor::bool(d)?,
            rounding: cbor::string(d)?,
        })
    }
}

impl Cbor for Tariff {
    fn encode(&self, e: &mut Enc) {
        e.array(6).str(&self.currency);
        self.unit.encode(e);
        opt_str(e, self.resolution.as_ref());
        e.str(&self.unit_price).str(&self.cost_rounding);
        e.opt(self.tax.as_ref());
    }
    fn decode(d: &mut Decoder<'_>) -> Option<Self> {
        cbor::array(d, 6)?;
        Some(Tariff {
            currency: cbor::string(d)?,
            unit: Unit::decode(d)?,
            resolution: cbor::opt(d)?,
            unit_price: cbor::string(d)?,
            cost_rounding: cbor::string(d)?,
            tax: cbor::opt(d)?,
        })
    }
}

impl Cbor for CostBreakdown {
    fn encode(&self, e: &mut Enc) {
        e.array(3).str(&self.net).str(&self.tax).str(&self.total);
    }
    fn decode(d: &mut Decoder<'_>) -> Option<Self> {
        cbor::array(d, 3)?;
        Some(CostBreakdown {
            net: cbor::string(d)?,
            tax: cbor::string(d)?,
            total: cbor::string(d)?,
        })
    }
}

impl Cbor for Order {
    fn encode(&self, e: &mut Enc) {
        e.array(8)
            .str(&self.order_id)
            .str(&self.wallet_id)
            .str(&self.station_id)
            .str(&self.maximum)
            .u64(self.below_maximum.code());
        opt_str(e, self.minimum.as_ref());
        opt_str(e, self.step.as_ref());
        self.tariff.encode(e);
    }
    fn decode(d: &mut Decoder<'_>) -> Option<Self> {
        cbor::array(d, 8)?;
        Some(Order {
            order_id: cbor::string(d)?,
            wallet_id: cbor::string(d)?,
            station_id: cbor::string(d)?,
            maximum: cbor::string(d)?,
            below_maximum: BelowMaximum::from_code(cbor::u64(d)?)?,
            minimum: cbor::opt(d)?,
            step: cbor::opt(d)?,
            tariff: Tariff::decode(d)?,
        })
    }
}

impl Cbor for MeterReading {
    fn encode(&self, e: &mut Enc) {
        e.array(2).str(&self.quantity).i64(self.at);
    }
    fn decode(d: &mut Decoder<'_>) -> Option<Self> {
        cbor::array(d, 2)?;
        Some(MeterReading {
            quantity: cbor::string(d)?,
            at: cbor::i64(d)?,
        })
    }
}

impl Cbor for TariffSegment {
    fn encode(&self, e: &mut Enc) {
        e.array(2).str(&self.from_quantity);
        self.tariff.encode(e);
    }
    fn decode(d: &mut Decoder<'_>) -> Option<Self> {
        cbor::array(d, 2)?;
        Some(TariffSegment {
            from_quantity: cbor::string(d)?,
            tariff: Tariff::decode(d)?,
        })
    }
}

impl Cbor for TariffChange {
    fn encode(&self, e: &mut Enc) {
        e.array(5)
            .str(&self.order_id)
            .u64(u64::from(self.change_no))
            .str(&self.quantity_at);
        self.tariff.encode(e);
        opt_str(e, self.increment.as_ref());
    }
    fn decode(d: &mut Decoder<'_>) -> Option<Self> {
        cbor::array(d, 5)?;
        Some(TariffChange {
            order_id: cbor::string(d)?,
            change_no: cbor::u32(d)?,
            quantity_at: cbor::string(d)?,
            tariff: Tariff::decode(d)?,
            increment: cbor::opt(d)?,
        })
    }
}

impl Cbor for Extension {
    fn encode(&self, e: &mut Enc) {
        e.array(2).str(&self.order_id).i64(self.expires_at);
    }
    fn decode(d: &mut Decoder<'_>) -> Option<Self> {
        cbor::array(d, 2)?;
        Some(Extension {
            order_id: cbor::string(d)?,
            expires_at: cbor::i64(d)?,
        })
    }
}

impl Cbor for Completion {
    fn encode(&self, e: &mut Enc) {
        e.array(2).str(&self.order_id).list(&self.readings);
    }
    fn decode(d: &mut Decoder<'_>) -> Option<Self> {
        cbor::array(d, 2)?;
        Some(Completion {
            order_id: cbor::string(d)?,
            readings: cbor::list(d, READINGS_MAX)?,
        })
    }
}

impl Cbor for Authorisation {
    fn encode(&self, e: &mut Enc) {
        e.array(13)
            .str(&self.order_id)
            .bytes(&self.in_reply_to)
            .str(self.code.as_str());
        opt_str(e, self.ledger_code.as_ref());
        e.str(&self.wallet_id)
            .str(&self.station_id)
            .str(&self.currency)
            .str(&self.maximum);
        opt_str(e, self.hold_id.as_ref());
        e.str(&self.held);
        opt_i64(e, self.expires_at);
        e.list(&self.segments).list(&self.increments);
    }
    fn decode(d: &mut Decoder<'_>) -> Option<Self> {
        cbor::array(d, 13)?;
        Some(Authorisation {
            order_id: cbor::string(d)?,
            in_reply_to: cbor::bytes(d)?,
            code: code_of(d)?,
            ledger_code: cbor::opt(d)?,
            wallet_id: cbor::string(d)?,
            station_id: cbor::string(d)?,
            currency: cbor::string(d)?,
            maximum: cbor::string(d)?,
            hold_id: cbor::opt(d)?,
            held: cbor::string(d)?,
            expires_at: dec_opt_i64(d)?,
            segments: cbor::list(d, TARIFF_CHANGES_MAX + 1)?,
            increments: cbor::list(d, TARIFF_CHANGES_MAX)?,
        })
    }
}

impl Cbor for SegmentCost {
    fn encode(&self, e: &mut Enc) {
        e.array(5)
            .str(&self.from_quantity)
            .str(&self.to_quantity)
            .str(&self.quantity);
        self.tariff.encode(e);
        self.cost.encode(e);
    }
    fn decode(d: &mut Decoder<'_>) -> Option<Self> {
        cbor::array(d, 5)?;
        Some(SegmentCost {
            from_quantity: cbor::string(d)?,
            to_quantity: cbor::string(d)?,
            quantity: cbor::string(d)?,
            tariff: Tariff::decode(d)?,
            cost: CostBreakdown::decode(d)?,
        })
    }
}

impl Cbor for Receipt {
    fn encode(&self, e: &mut Enc) {
        e.array(21)
            .str(&self.order_id)
            .bytes(&self.in_reply_to)
            .str(self.code.as_str());
        opt_str(e, self.ledger_code.as_ref());
        e.str(&self.wallet_id)
            .str(&self.station_id)
            .str(&self.currency)
            .str(&self.hold_id)
            .str(&self.held)
            .list(&self.increments)
            .i64(self.expires_at)
            .i64(self.completed_at)
            .bool(self.late)
            .list(&self.readings)
            .str(&self.quantity);
        self.unit.encode(e);
        e.list(&self.segments);
        self.cost.encode(e);
        e.str(&self.captured)
            .str(&self.released)
            .str(&self.uncollected);
    }
    fn decode(d: &mut Decoder<'_>) -> Option<Self> {
        cbor::array(d, 21)?;
        Some(Receipt {
            order_id: cbor::string(d)?,
            in_reply_to: cbor::bytes(d)?,
            code: code_of(d)?,
            ledger_code: cbor::opt(d)?,
            wallet_id: cbor::string(d)?,
            station_id: cbor::string(d)?,
            currency: cbor::string(d)?,
            hold_id: cbor::string(d)?,
            held: cbor::string(d)?,
            increments: cbor::list(d, TARIFF_CHANGES_MAX)?,
            expires_at: cbor::i64(d)?,
            completed_at: cbor::i64(d)?,
            late: cbor::bool(d)?,
            readings: cbor::list(d, READINGS_MAX)?,
            quantity: cbor::string(d)?,
            unit: Unit::decode(d)?,
            segments: cbor::list(d, TARIFF_CHANGES_MAX + 1)?,
            cost: CostBreakdown::decode(d)?,
            captured: cbor::string(d)?,
            released: cbor::string(d)?,
            uncollected: cbor::string(d)?,
        })
    }
}

/// A payload's deterministic CBOR.
pub(super) fn to_payload<T: Cbor>(value: &T) -> Vec<u8> {
    cbor::to_vec(value)
}

/// A payload decoded from exactly its canonical encoding.
pub(super) fn from_payload<T: Cbor>(bytes: &[u8]) -> Option<T> {
    cbor::from_slice(bytes)
}
