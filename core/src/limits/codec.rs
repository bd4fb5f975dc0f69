//! Deterministic CBOR of the limits' configuration (part of signed payloads) and state (part of
//! snapshots). Payload layout (the card's `card.config` carries `LimitSpec`s):
//!
//! ```text
//! limit   = { 0: id tstr, 1: measure (0 count | 1 amount), ? 2: currency tstr, 3: window,
//!             4: hard tstr, ? 5: soft tstr, ? 6: ceiling tstr, 7: resettable bool }
//! window  = [0] perTransaction | [1] lifetime | [2, seconds] trailing | [3, zone] day
//!         | [4, weekday (1 Monday .. 7 Sunday), zone] week | [5, anchorDay, zone] month
//!         | [6, zone] year
//! counting = [countOn (0 approval | 1 capture), restore (reversal), restore (refund)]
//! restore = [count bool, amount bool]
//! ```
//!
//! State (snapshots only; arrays in field order, absent options as null): see the `Cbor` impls.

use minicbor::Decoder;

use super::cbor::{self, Cbor, Enc, MapReader};
use super::{
    CountOn, CountingPolicy, CurrencyCode, Entry, Limit, LimitDef, LimitSpec, LimitState, Limits,
    Measure, Restore, UsageRecord, Weekday, Window, LIMITS_PER_SET_MAX, TRAILING_ENTRIES_MAX,
    TRANSACTIONS_RETAINED_MAX,
};
use crate::money::Currency;

impl Cbor for Measure {
    fn encode(&self, e: &mut Enc) {
        e.u64(match self {
            Measure::Count => 0,
            Measure::Amount => 1,
        });
    }
    fn decode(d: &mut Decoder<'_>) -> Option<Self> {
        match cbor::u8(d)? {
            0 => Some(Measure::Count),
            1 => Some(Measure::Amount),
            _ => None,
        }
    }
}

impl Cbor for Weekday {
    fn encode(&self, e: &mut Enc) {
        e.u64(u64::from(self.monday_zero_offset().unsigned_abs()) + 1);
    }
    fn decode(d: &mut Decoder<'_>) -> Option<Self> {
        Some(match cbor::u8(d)? {
            1 => Weekday::Monday,
            2 => Weekday::Tuesday,
            3 => Weekday::Wednesday,
            4 => Weekday::Thursday,
            5 => Weekday::Friday,
            6 => Weekday::Saturday,
            7 => Weekday::Sunday,
            _ => return None,
        })
    }
}

impl Cbor for Window {
    fn encode(&self, e: &mut Enc) {
        match self {
            Window::PerTransaction => e.array(1).u64(0),
            Window::Lifetime => e.array(1).u64(1),
            Window::Trailing { seconds } => e.array(2).u64(2).u64(u64::from(*seconds)),
            Window::Day { time_zone } => e.array(2).u64(3).str(time_zone),
            Window::Week { start, time_zone } => {
                e.array(3).u64(4);
                start.encode(e);
                e.str(time_zone)
            }
            Window::Month {
                anchor_day,
                time_zone,
            } => e.array(3).u64(5).u64(u64::from(*anchor_day)).str(time_zone),
            Window::Year { time_zone } => e.array(2).u64(6).str(time_zone),
        };
    }
    fn decode(d: &mut Decoder<'_>) -> Option<Self> {
        let len = cbor::array_len(d)?;
        let window = match (cbor::u8(d)?, len) {
            (0, 1) => Window::PerTransaction,
            (1, 1) => Window::Lifetime,
            (2, 2) => Window::Trailing {
                seconds: cbor::u32(d)?,
            },
            (3, 2) => Window::Day {
                time_zone: cbor::string(d)?,
            },
            (4, 3) => Window::Week {
                start: Weekday::decode(d)?,
                time_zone: cbor::string(d)?,
            },
            (5, 3) => Window::Month {
                anchor_day: cbor::u8(d)?,
                time_zone: cbor::string(d)?,
            },
            (6, 2) => Window::Year {
                time_zone: cbor::string(d)?,
            },
            _ => return None,
        };
        Some(window)
    }
}

impl Cbor for LimitSpec {
    fn encode(&self, e: &mut Enc) {
        let optional = [
            self.currency.is_some(),
            self.soft.is_some(),
            self.ceiling.is_some(),
        ];
        let present = 5 + optional.iter().filter(|p| **p).count() as u64;
        e.map(present).u64(0).str(&self.id).u64(1);
        self.measure.encode(e);
        e.field(2, self.currency.as_ref()).u64(3);
        self.window.encode(e);
        e.u64(4).str(&self.hard);
        e.field(5, self.soft.as_ref())
            .field(6, self.ceiling.as_ref());
        e.u64(7).bool(self.resettable);
    }
    fn decode(d: &mut Decoder<'_>) -> Option<Self> {
        let mut map = MapReader::begin(d)?;
        map.want(d, 0)?;
        let id = cbor::string(d)?;
        map.want(d, 1)?;
        let measure = Measure::decode(d)?;
        let currency = if map.has(d, 2)? {
            Some(cbor::string(d)?)
        } else {
            None
        };
        map.want(d, 3)?;
        let window = Window::decode(d)?;
        map.want(d, 4)?;
        let hard = cbor::string(d)?;
        let soft = if map.has(d, 5)? {
            Some(cbor::string(d)?)
        } else {
            None
        };
        let ceiling = if map.has(d, 6)? {
            Some(cbor::string(d)?)
        } else {
            None
        };
        map.want(d, 7)?;
        let resettable = cbor::bool(d)?;
        map.end()?;
        Some(LimitSpec {
            id,
            measure,
            currency,
            window,
            hard,
            soft,
            ceiling,
            resettable,
        })
    }
}

impl Cbor for Restore {
    fn encode(&self, e: &mut Enc) {
        e.array(2).bool(self.count).bool(self.amount);
    }
    fn decode(d: &mut Decoder<'_>) -> Option<Self> {
        cbor::array(d, 2)?;
        Some(Restore {
            count: cbor::bool(d)?,
            amount: cbor::bool(d)?,
        })
    }
}

impl Cbor for CountingPolicy {
    fn encode(&self, e: &mut Enc) {
        e.array(3).u64(match self.count_on {
            CountOn::Approval => 0,
            CountOn::Capture => 1,
        });
        self.reversal_restores.encode(e);
        self.refund_restores.encode(e);
    }
    fn decode(d: &mut Decoder<'_>) -> Option<Self> {
        cbor::array(d, 3)?;
        let count_on = match cbor::u8(d)? {
            0 => CountOn::Approval,
            1 => CountOn::Capture,
            _ => return None,
        };
        Some(CountingPolicy {
            count_on,
            reversal_restores: Restore::decode(d)?,
            refund_restores: Restore::decode(d)?,
        })
    }
}

impl Cbor for CurrencyCode {
    fn encode(&self, e: &mut Enc) {
        e.str(self.0.code());
    }
    fn decode(d: &mut Decoder<'_>) -> Option<Self> {
        Currency::from_code(d.str().ok()?).ok().map(CurrencyCode)
    }
}

impl Cbor for LimitDef {
    fn encode(&self, e: &mut Enc) {
        e.array(8).str(&self.id);
        self.measure.encode(e);
        e.opt(self.currency.as_ref());
        self.window.encode(e);
        e.u128(self.hard)
            .opt(self.soft.as_ref())
            .u128(self.ceiling)
            .bool(self.resettable);
    }
    fn decode(d: &mut Decoder<'_>) -> Option<Self> {
        cbor::array(d, 8)?;
        Some(LimitDef {
            id: cbor::string(d)?,
            measure: Measure::decode(d)?,
            currency: cbor::opt(d)?,
            window: Window::decode(d)?,
            hard: cbor::u128(d)?,
            soft: cbor::opt(d)?,
            ceiling: cbor::u128(d)?,
            resettable: cbor::bool(d)?,
        })
    }
}

impl Cbor for Entry {
    fn encode(&self, e: &mut Enc) {
        e.array(3).i64(self.time).u64(self.serial).u128(self.units);
    }
    fn decode(d: &mut Decoder<'_>) -> Option<Self> {
        cbor::array(d, 3)?;
        Some(Entry {
            time: cbor::i64(d)?,
            serial: cbor::u64(d)?,
            units: cbor::u128(d)?,
        })
    }
}

impl Cbor for LimitState {
    fn encode(&self, e: &mut Enc) {
        e.array(4)
            .u128(self.used)
            .u64(self.first_serial)
            .opt(self.period.as_ref())
            .list(&self.entries);
    }
    fn decode(d: &mut Decoder<'_>) -> Option<Self> {
        cbor::array(d, 4)?;
        Some(LimitState {
            used: cbor::u128(d)?,
            first_serial: cbor::u64(d)?,
            period: cbor::opt(d)?,
            entries: cbor::list(d, TRAILING_ENTRIES_MAX)?,
        })
    }
}

impl Cbor for Limit {
    fn encode(&self, e: &mut Enc) {
        e.array(2);
        self.def.encode(e);
        self.state.encode(e);
    }
    fn decode(d: &mut Decoder<'_>) -> Option<Self> {
        cbor::array(d, 2)?;
        Some(Limit {
            def: LimitDef::decode(d)?,
            state: LimitState::decode(d)?,
        })
    }
}

impl Cbor for UsageRecord {
    fn encode(&self, e: &mut Enc) {
        e.array(10).str(&self.id).u64(self.serial);
        self.currency.encode(e);
        e.u128(self.amount)
            .i64(self.time)
            .opt(self.captured.as_ref())
            .bool(self.reversed)
            .opt(self.refunded.as_ref())
            .bool(self.count_contrib)
            .u128(self.amount_contrib);
    }
    fn decode(d: &mut Decoder<'_>) -> Option<Self> {
        cbor::array(d, 10)?;
        Some(UsageRecord {
            id: cbor::string(d)?,
            serial: cbor::u64(d)?,
            currency: CurrencyCode::decode(d)?,
            amount: cbor::u128(d)?,
            time: cbor::i64(d)?,
            captured: cbor::opt(d)?,
            reversed: cbor::bool(d)?,
            refunded: cbor::opt(d)?,
            count_contrib: cbor::bool(d)?,
            amount_contrib: cbor::u128(d)?,
        })
    }
}

/// `[limits, policy, records, nextSerial, latestTime / null, revision]`.
impl Cbor for Limits {
    fn encode(&self, e: &mut Enc) {
        e.array(6).list(&self.limits);
        self.policy.encode(e);
        e.list(&self.records).u64(self.next_serial);
        match self.high_water {
            Some(time) => e.i64(time),
            None => e.null(),
        };
        e.u64(self.revision);
    }
    fn decode(d: &mut Decoder<'_>) -> Option<Self> {
        cbor::array(d, 6)?;
        let limits = cbor::list(d, LIMITS_PER_SET_MAX)?;
        let policy = CountingPolicy::decode(d)?;
        let records = cbor::list(d, TRANSACTIONS_RETAINED_MAX)?;
        let next_serial = cbor::u64(d)?;
        let high_water = cbor::opt::<I64>(d)?.map(|t| t.0);
        let revision = cbor::u64(d)?;
        Some(Limits {
            limits,
            policy,
            records,
            next_serial,
            high_water,
            revision,
        })
    }
}

/// An `i64` for [`cbor::opt`].
struct I64(i64);

impl Cbor for I64 {
    fn encode(&self, e: &mut Enc) {
        e.i64(self.0);
    }
    fn decode(d: &mut Decoder<'_>) -> Option<Self> {
        cbor::i64(d).map(I64)
    }
}

/// A set's counters without its definitions, for a holder that keeps the specifications itself
/// (the custody book's snapshot: its configuration holds them, so the definitions would be
/// written twice, and their decoders are 1 KB gzip of its module):
/// `[[limitState] (one per limit, in order), records, nextSerial, latestTime / null, revision]`.
impl Limits {
    pub(crate) fn encode_counters(&self, e: &mut Enc) {
        e.array(5).array(self.limits.len() as u64);
        for limit in &self.limits {
            limit.state.encode(e);
        }
        e.list(&self.records).u64(self.next_serial);
        match self.high_water {
            Some(time) => e.i64(time),
            None => e.null(),
        };
        e.u64(self.revision);
    }

    /// Sets the counters written by [`Limits::encode_counters`] on this set, built from its
    /// specifications. None, leaving the set as it was, when they are not one state per limit
    /// that fits it (trailing entries only on a trailing window, a period only on a calendar
    /// one) or the whole is not consistent ([`Limits::is_consistent`]).
    pub(crate) fn decode_counters(&mut self, d: &mut Decoder<'_>) -> Option<()> {
        cbor::array(d, 5)?;
        if cbor::array_len(d)? != self.limits.len() as u64 {
            return None;
        }
        let mut next = self.clone();
        for limit in &mut next.limits {
            let state = LimitState::decode(d)?;
            let trailing = matches!(limit.def.window, Window::Trailing { .. });
            if (!trailing && !state.entries.is_empty()) || (limit.def.window.calendar().is_none() && state.period.is_some()) {
                return None;
            }
            limit.state = state;
        }
        next.records = cbor::list(d, TRANSACTIONS_RETAINED_MAX)?;
        next.next_serial = cbor::u64(d)?;
        next.high_water = cbor::opt::<I64>(d)?.map(|t| t.0);
        next.revision = cbor::u64(d)?;
        if !next.is_consistent() {
            return None;
        }
        *self = next;
        Some(())
    }
}
