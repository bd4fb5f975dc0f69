//! System 3's metering math: the dispenser limit a hold pays for, and the cost of a metered
//! delivery. Exact decimals throughout (never floats); every rounding is named by the caller.
//!
//! # Tariff
//!
//! A [`Tariff`] is a currency, a [`Unit`] with the dispenser's **resolution** (a power of ten,
//! `"0.01"` L by default for litres, `"0.001"` kWh, `"0.01"` kg — the unit's named default), a
//! **unit price** with its own precision (up to [`UNIT_PRICE_DECIMALS_MAX`] fraction digits,
//! `"1.859"` EUR/L), a **cost rounding** mode and an optional **tax** rule: a rate (a fraction,
//! `"0.19"` for 19 %, up to [`TAX_RATE_DECIMALS_MAX`] digits, at most 1), whether the unit price
//! already includes it, and the tax's own rounding mode. Amounts are in the currency's minor
//! units (`Amount`).
//!
//! # Cost of a quantity `q`
//!
//! ```text
//! no tax:            net = total = round_cost(q × price),                      tax = 0
//! price excl. tax:   net = round_cost(q × price), tax = round_tax(net × rate),  total = net + tax
//! price incl. tax:   total = round_cost(q × price), tax = round_tax(total × rate / (1 + rate)),
//!                    net = total − tax
//! ```
//!
//! Each product or quotient is computed exactly and rounded once to minor units. Tax is a rate
//! applied to the net cost: with a tax-exclusive price the customer pays net + tax, so the limit a
//! hold sets accounts for the tax; with a tax-inclusive price the tax is only the part of the
//! total it contains (for the receipt).
//!
//! # Dispenser limit
//!
//! [`dispense_limit`]: the largest quantity, a whole number of resolution steps, whose total
//! cost does not exceed the hold — "hold ÷ unit price (incl. tax), rounded down to the
//! resolution", computed so that rounding can never make it wrong. Every rounding mode is
//! monotone on non-negative values, so the total is a non-decreasing function of the quantity:
//! a binary search over the steps `0..=QUANTITY_MAX` (at most [`SEARCH_STEPS_MAX`] halvings)
//! finds the exact largest quantity that fits, and every smaller quantity fits too. Dividing and
//! rounding down the quotient instead could overshoot by a step when the cost rounds up
//! (`ceiling`, `half-up` …) or when the tax is rounded separately.

use core::cmp::Ordering;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::codes::EnergyCode;
use crate::error::{Error, ErrorCode, Result};
use crate::money::{parse_decimal, Amount, Currency, RoundingMode};

/// Default resolution of a litre dispenser: 0.01 L (two decimals).
pub const LITRE_RESOLUTION_DECIMALS: u32 = 2;
/// Default resolution of a kWh meter (EV charger): 0.001 kWh (three decimals).
pub const KWH_RESOLUTION_DECIMALS: u32 = 3;
/// Default resolution of a kilogram dispenser (CNG, hydrogen): 0.01 kg (two decimals).
pub const KG_RESOLUTION_DECIMALS: u32 = 2;
/// The finest resolution accepted: 10^-6 of the unit.
pub const QUANTITY_DECIMALS_MAX: u32 = 6;
/// The largest quantity of one delivery, in whole units (litres, kWh, kg).
pub const QUANTITY_MAX: u64 = 1_000_000;
/// The most fraction digits of a unit price.
pub const UNIT_PRICE_DECIMALS_MAX: u32 = 6;
/// The largest unit price, in currency units per unit.
pub const UNIT_PRICE_MAX: u64 = 1_000_000_000;
/// The most fraction digits of a tax rate.
pub const TAX_RATE_DECIMALS_MAX: u32 = 6;
/// The most halvings of the binary search for the dispenser limit (QUANTITY_MAX at the finest
/// resolution is 10^12 steps, below 2^40).
pub const SEARCH_STEPS_MAX: u32 = 64;

/// 10^TAX_RATE_DECIMALS_MAX: a tax rate is held as an integer number of millionths.
const TAX_RATE_ONE: u128 = 1_000_000;

/// A unit of delivered energy. JSON: `"litre"`, `"kWh"`, `"kg"`.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "energy.ts", rename = "EnergyUnit"))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Unit {
    /// Litre (fuel). Default resolution [`LITRE_RESOLUTION_DECIMALS`].
    #[serde(rename = "litre")]
    Litre,
    /// Kilowatt-hour (EV charging). Default resolution [`KWH_RESOLUTION_DECIMALS`].
    #[serde(rename = "kWh")]
    KilowattHour,
    /// Kilogram (CNG, hydrogen). Default resolution [`KG_RESOLUTION_DECIMALS`].
    #[serde(rename = "kg")]
    Kilogram,
}

impl Unit {
    /// Every unit.
    pub const ALL: &'static [Unit] = &[Unit::Litre, Unit::KilowattHour, Unit::Kilogram];

    /// The JSON name: `"litre"`, `"kWh"`, `"kg"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Unit::Litre => "litre",
            Unit::KilowattHour => "kWh",
            Unit::Kilogram => "kg",
        }
    }

    /// The default resolution's number of decimals.
    pub const fn default_decimals(self) -> u32 {
        match self {
            Unit::Litre => LITRE_RESOLUTION_DECIMALS,
            Unit::KilowattHour => KWH_RESOLUTION_DECIMALS,
            Unit::Kilogram => KG_RESOLUTION_DECIMALS,
        }
    }
}

/// A tax rule of a tariff.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "energy.ts"))]
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TaxRule {
    /// The rate as a fraction of the net cost, `"0.19"` for 19 %: 0 to 1, at most
    /// [`TAX_RATE_DECIMALS_MAX`] fraction digits.
    pub rate: String,
    /// Whether the unit price already includes the tax.
    pub price_includes_tax: bool,
    /// How the tax amount is rounded to minor units (`"half-even"`, `"half-up"` …).
    pub rounding: String,
}

/// What a unit of energy costs and how it is measured.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "energy.ts", rename = "EnergyTariff"))]
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Tariff {
    /// ISO 4217 currency code (or a registered asset).
    pub currency: String,
    /// The unit the dispenser measures.
    pub unit: Unit,
    /// The dispenser's resolution, a power of ten from `"1"` to `"0.000001"`; default: the
    /// unit's (`"0.01"` L, `"0.001"` kWh, `"0.01"` kg).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resolution: Option<String>,
    /// Price of one unit, e.g. `"1.859"`: greater than 0, at most [`UNIT_PRICE_MAX`], at most
    /// [`UNIT_PRICE_DECIMALS_MAX`] fraction digits.
    pub unit_price: String,
    /// How `quantity × unitPrice` is rounded to minor units.
    pub cost_rounding: String,
    /// The tax rule, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tax: Option<TaxRule>,
}

/// Net, tax and total of a delivery, in the tariff's currency (canonical amount strings).
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "energy.ts"))]
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CostBreakdown {
    /// The cost before tax.
    pub net: String,
    /// The tax (zero without a tax rule).
    pub tax: String,
    /// What the customer pays: net + tax.
    pub total: String,
}

/// Input of [`dispense_limit`].
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "energy.ts"))]
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DispenseLimitRequest {
    /// The tariff.
    pub tariff: Tariff,
    /// The amount held, in the tariff's currency, `>= 0` (strict grammar, no rounding).
    pub hold: String,
}

/// The dispenser or charger limit a hold pays for.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "energy.ts"))]
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DispenseLimit {
    /// `LIMIT_SET`, `HOLD_TOO_SMALL` or `QUANTITY_CAPPED`.
    pub code: EnergyCode,
    /// The largest quantity to deliver, at the resolution (`"26.89"`).
    pub max_quantity: String,
    /// The unit.
    pub unit: Unit,
    /// The resolution used (`"0.01"`).
    pub resolution: String,
    /// The cost of `maxQuantity`: its total never exceeds the hold.
    pub cost: CostBreakdown,
    /// The hold, canonical.
    pub hold: String,
    /// The currency code.
    pub currency: String,
}

/// Input of [`metered_cost`].
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "energy.ts"))]
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MeteredCostRequest {
    /// The tariff.
    pub tariff: Tariff,
    /// The metered quantity, `>= 0`, a whole number of resolution steps, at most [`QUANTITY_MAX`].
    pub quantity: String,
    /// The unit the meter reports (must be the tariff's).
    pub unit: Unit,
    /// The hold to compare the cost with, if any (`>= 0`, the tariff's currency).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hold: Option<String>,
}

/// The cost of a metered delivery.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "energy.ts"))]
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MeteredCost {
    /// `COST_COMPUTED` (no hold), `WITHIN_HOLD` or `EXCEEDS_HOLD`.
    pub code: EnergyCode,
    /// The quantity, at the resolution (`"26.890"` → `"26.89"` for 0.01 L).
    pub quantity: String,
    /// The unit.
    pub unit: Unit,
    /// Net, tax and total.
    pub cost: CostBreakdown,
    /// The currency code.
    pub currency: String,
}

// ----------------------------------------------------------------------------- validation

/// A validated tax rule.
#[derive(Debug, Clone, Copy)]
struct Tax {
    /// The rate in millionths (0..=TAX_RATE_ONE).
    rate_millionths: u128,
    /// The rate as a decimal (for the exclusive product).
    rate: Decimal,
    price_includes_tax: bool,
    rounding: RoundingMode,
}

/// A validated tariff.
#[derive(Debug, Clone, Copy)]
pub(super) struct Pricing {
    currency: &'static Currency,
    unit: Unit,
    /// The resolution is 10^-decimals.
    decimals: u32,
    price: Decimal,
    cost_rounding: RoundingMode,
    tax: Option<Tax>,
}

/// Net, tax and total as amounts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Cost {
    pub(super) net: Amount,
    pub(super) tax: Amount,
    pub(super) total: Amount,
}

impl Cost {
    pub(super) fn breakdown(&self) -> CostBreakdown {
        CostBreakdown {
            net: self.net.to_string(),
            tax: self.tax.to_string(),
            total: self.total.to_string(),
        }
    }
}

fn invalid(param: &'static str, message: String) -> Error {
    Error::new(ErrorCode::InvalidArgument, param, message)
}

fn rounding(name: &str, param: &'static str) -> Result<RoundingMode> {
    RoundingMode::from_name(name)
        .map_err(|e| Error::new(e.code(), param, e.message()))
}

/// The number of fraction digits `value` needs (trailing zeros dropped).
fn significant_decimals(value: Decimal) -> u32 {
    value.normalize().scale()
}

/// A strict decimal in `0..=max` (`max` given as a `Decimal`), with at most `decimals_max`
/// significant fraction digits; `positive` also excludes zero.
fn bounded_decimal(
    s: &str,
    param: &'static str,
    decimals_max: u32,
    max: Decimal,
    positive: bool,
) -> Result<Decimal> {
    let value = parse_decimal(s, param)?;
    if value.is_sign_negative() && !value.is_zero() {
        return Err(invalid(param, "must not be negative".to_owned()));
    }
    if positive && value.is_zero() {
        return Err(invalid(param, "must be greater than zero".to_owned()));
    }
    if value > max {
        return Err(invalid(param, format!("must be at most {max}")));
    }
    if significant_decimals(value) > decimals_max {
        return Err(invalid(
            param,
            format!(
                "has more than {decimals_max} fraction digits (for a quantity: finer than the \
                 resolution)"
            ),
        ));
    }
    Ok(value)
}

impl Pricing {
    pub(super) fn from_tariff(tariff: &Tariff) -> Result<Pricing> {
        let currency = Currency::from_code(&tariff.currency)?;
        let decimals = match &tariff.resolution {
            None => tariff.unit.default_decimals(),
            Some(resolution) => {
                let value = parse_decimal(resolution, "resolution")?;
                let normalized = value.normalize();
                if normalized.mantissa() != 1 || normalized.scale() > QUANTITY_DECIMALS_MAX {
                    return Err(invalid(
                        "resolution",
                        format!(
                            "must be a power of ten from 1 to 0.{}1",
                            "0".repeat(usize::try_from(QUANTITY_DECIMALS_MAX - 1).unwrap_or(0))
                        ),
                    ));
                }
                normalized.scale()
            }
        };
        let price = bounded_decimal(
            &tariff.unit_price,
            "unitPrice",
            UNIT_PRICE_DECIMALS_MAX,
            Decimal::from(UNIT_PRICE_MAX),
            true,
        )?;
        let cost_rounding = rounding(&tariff.cost_rounding, "costRounding")?;
        let tax = match &tariff.tax {
            None => None,
            Some(rule) => {
                let rate = bounded_decimal(
                    &rule.rate,
                    "tax.rate",
                    TAX_RATE_DECIMALS_MAX,
                    Decimal::ONE,
                    false,
                )?;
                // At most 6 significant decimals and at most 1: an exact integer of millionths.
                let rate_millionths = scaled_integer(rate, TAX_RATE_DECIMALS_MAX)
                    .ok_or_else(|| invalid("tax.rate", "tax.rate is out of range".to_owned()))?;
                Some(Tax {
                    rate_millionths,
                    rate,
                    price_includes_tax: rule.price_includes_tax,
                    rounding: rounding(&rule.rounding, "tax.rounding")?,
                })
            }
        };
        Ok(Pricing {
            currency,
            unit: tariff.unit,
            decimals,
            price,
            cost_rounding,
            tax,
        })
    }

    /// The tariff's currency.
    pub(super) fn currency(&self) -> &'static Currency {
        self.currency
    }

    /// The tariff's unit.
    pub(super) fn unit(&self) -> Unit {
        self.unit
    }

    /// The resolution's number of decimals.
    pub(super) fn decimals(&self) -> u32 {
        self.decimals
    }

    /// The largest number of resolution steps: QUANTITY_MAX · 10^decimals.
    pub(super) fn steps_max(&self) -> u128 {
        u128::from(QUANTITY_MAX) * 10u128.pow(self.decimals)
    }

    /// `steps` resolution steps as a quantity.
    pub(super) fn quantity(&self, steps: u128) -> Option<Decimal> {
        let steps = i128::try_from(steps).ok()?;
        Decimal::try_from_i128_with_scale(steps, self.decimals).ok()
    }

    /// A metered quantity as resolution steps. Errors about `quantity`.
    pub(super) fn steps_of(&self, quantity: &str) -> Result<u128> {
        const PARAM: &str = "quantity";
        let value = bounded_decimal(
            quantity,
            PARAM,
            self.decimals,
            Decimal::from(QUANTITY_MAX),
            false,
        )?;
        scaled_integer(value, self.decimals)
            .ok_or_else(|| invalid(PARAM, "quantity is out of range".to_owned()))
    }

    /// The exact cost of `steps` resolution steps.
    pub(super) fn cost(&self, steps: u128) -> Result<Cost> {
        let quantity = self.quantity(steps).ok_or_else(|| {
            Error::new(
                ErrorCode::AmountOverflow,
                "quantity",
                "out of range",
            )
        })?;
        let priced = Amount::from_product(self.price, quantity, self.currency, self.cost_rounding)?;
        let zero = Amount::zero(self.currency);
        let Some(tax) = self.tax else {
            return Ok(Cost {
                net: priced,
                tax: zero,
                total: priced,
            });
        };
        if tax.price_includes_tax {
            // tax = total × rate / (1 + rate) = total_minor × r / (10^6 + r), r in millionths.
            let total_minor = u128::try_from(priced.to_minor_units()).map_err(|_| overflow())?;
            let numerator = total_minor
                .checked_mul(tax.rate_millionths)
                .ok_or_else(overflow)?;
            let denominator = TAX_RATE_ONE + tax.rate_millionths;
            let tax_minor =
                round_ratio(numerator, denominator, tax.rounding).ok_or_else(overflow)?;
            let tax_amount = Amount::from_minor_units(
                i128::try_from(tax_minor).map_err(|_| overflow())?,
                self.currency,
            )?;
            Ok(Cost {
                net: priced.checked_sub(&tax_amount)?,
                tax: tax_amount,
                total: priced,
            })
        } else {
            let tax_amount = priced.checked_mul(tax.rate, tax.rounding)?;
            Ok(Cost {
                net: priced,
                tax: tax_amount,
                total: priced.checked_add(&tax_amount)?,
            })
        }
    }

    /// Whether the total cost of `steps` fits `hold`. A cost beyond the representable range
    /// certainly exceeds any hold.
    fn fits(&self, steps: u128, hold: &Amount) -> bool {
        self.cost(steps)
            .and_then(|cost| cost.total.cmp_amount(hold))
            .is_ok_and(|order| order != Ordering::Greater)
    }

    /// The resolution as a string (`"0.01"`, `"1"`).
    fn resolution(&self) -> String {
        self.quantity(1).map(|q| q.to_string()).unwrap_or_default()
    }

    pub(super) fn parse_hold(&self, hold: &str) -> Result<Amount> {
        let amount = Amount::parse(hold, self.currency, None)
            .map_err(|e| Error::new(e.code(), "hold", e.message().to_owned()))?;
        if amount.is_negative() {
            return Err(invalid("hold", "must not be negative".to_owned()));
        }
        Ok(amount)
    }
}

fn overflow() -> Error {
    Error::new(
        ErrorCode::AmountOverflow,
        "quantity",
        "the cost is outside the representable range",
    )
}

/// `value × 10^decimals` as an integer, when that is exact and non-negative.
fn scaled_integer(value: Decimal, decimals: u32) -> Option<u128> {
    let normalized = value.normalize();
    let shift = decimals.checked_sub(normalized.scale())?;
    u128::try_from(normalized.mantissa())
        .ok()?
        .checked_mul(10u128.checked_pow(shift)?)
}

/// `numerator / denominator` (both non-negative, denominator > 0) rounded to an integer with
/// `mode`; on non-negative values floor = toward zero and ceiling = away from zero.
pub(super) fn round_ratio(numerator: u128, denominator: u128, mode: RoundingMode) -> Option<u128> {
    let quotient = numerator.checked_div(denominator)?;
    let remainder = numerator.checked_rem(denominator)?;
    if remainder == 0 {
        return Some(quotient);
    }
    // remainder < denominator ≤ 2 · 10^6 here; checked anyway.
    let twice = remainder.checked_mul(2)?;
    let up = match mode {
        RoundingMode::TowardZero | RoundingMode::Floor => false,
        RoundingMode::AwayFromZero | RoundingMode::Ceiling => true,
        RoundingMode::HalfUp => twice >= denominator,
        RoundingMode::HalfDown => twice > denominator,
        RoundingMode::HalfEven => {
            twice > denominator || (twice == denominator && quotient % 2 == 1)
        }
    };
    if up {
        quotient.checked_add(1)
    } else {
        Some(quotient)
    }
}

// ------------------------------------------------------------------------------ operations

/// The dispenser or charger limit a hold pays for: the largest quantity, a whole number of
/// resolution steps up to [`QUANTITY_MAX`], whose total cost (tax included when the price
/// excludes it) does not exceed `hold`. Every smaller quantity costs no more.
///
/// Outcomes: `LIMIT_SET`, `HOLD_TOO_SMALL` (max 0), `QUANTITY_CAPPED` (max QUANTITY_MAX).
///
/// Errors: `CURRENCY_UNKNOWN` about `currency`; `AMOUNT_SYNTAX` / `AMOUNT_OUT_OF_RANGE` /
/// `INVALID_ARGUMENT` about `resolution`, `unitPrice`, `tax.rate`; `ROUNDING_MODE_UNKNOWN` about
/// `costRounding` / `tax.rounding`; `AMOUNT_SYNTAX` / `AMOUNT_PRECISION` /
/// `AMOUNT_OUT_OF_RANGE` / `INVALID_ARGUMENT` (negative) about `hold`.
pub fn dispense_limit(request: &DispenseLimitRequest) -> Result<DispenseLimit> {
    // Every error names its field under `request` (`request.tariff.unitPrice`, `request.hold`).
    dispense_limit_of(request).map_err(|e| e.at("request"))
}

fn dispense_limit_of(request: &DispenseLimitRequest) -> Result<DispenseLimit> {
    let pricing = Pricing::from_tariff(&request.tariff).map_err(|e| e.at("tariff"))?;
    let hold = pricing.parse_hold(&request.hold)?;
    let steps_max = pricing.steps_max();
    let (code, steps) = if pricing.fits(steps_max, &hold) {
        (EnergyCode::QuantityCapped, steps_max)
    } else {
        // Invariant: `low` fits (0 always does: its cost is zero), `high` does not.
        let (mut low, mut high) = (0u128, steps_max);
        for _ in 0..SEARCH_STEPS_MAX {
            if high - low <= 1 {
                break;
            }
            let middle = low + (high - low) / 2;
            if pricing.fits(middle, &hold) {
                low = middle;
            } else {
                high = middle;
            }
        }
        if high - low > 1 {
            return Err(Error::new(
                ErrorCode::Internal,
                "hold",
                "the dispenser-limit search did not converge",
            ));
        }
        let code = if low == 0 {
            EnergyCode::HoldTooSmall
        } else {
            EnergyCode::LimitSet
        };
        (code, low)
    };
    let cost = pricing.cost(steps)?;
    let max_quantity = pricing
        .quantity(steps)
        .ok_or_else(|| Error::new(ErrorCode::Internal, "hold", "quantity out of range"))?;
    Ok(DispenseLimit {
        code,
        max_quantity: max_quantity.to_string(),
        unit: pricing.unit,
        resolution: pricing.resolution(),
        cost: cost.breakdown(),
        hold: hold.to_string(),
        currency: pricing.currency.code().to_owned(),
    })
}

/// The cost of a metered delivery, with the tariff's explicit roundings, compared with a hold
/// when one is given.
///
/// Outcomes: `COST_COMPUTED` (no hold), `WITHIN_HOLD`, `EXCEEDS_HOLD`.
///
/// Errors: as [`dispense_limit`] for the tariff and the hold; `INVALID_ARGUMENT` about `unit`
/// (not the tariff's); `AMOUNT_SYNTAX` / `AMOUNT_OUT_OF_RANGE` / `INVALID_ARGUMENT` about
/// `quantity` (negative, above [`QUANTITY_MAX`], or finer than the resolution);
/// `AMOUNT_OVERFLOW` when the cost does not fit an amount of the currency.
pub fn metered_cost(request: &MeteredCostRequest) -> Result<MeteredCost> {
    // Every error names its field under `request` (`request.quantity`, `request.tariff.currency`).
    metered_cost_of(request).map_err(|e| e.at("request"))
}

fn metered_cost_of(request: &MeteredCostRequest) -> Result<MeteredCost> {
    let pricing = Pricing::from_tariff(&request.tariff).map_err(|e| e.at("tariff"))?;
    if request.unit != pricing.unit {
        return Err(invalid(
            "unit",
            format!(
                "the meter reports {}, the tariff prices {}",
                request.unit.as_str(),
                pricing.unit.as_str()
            ),
        ));
    }
    let steps = pricing.steps_of(&request.quantity)?;
    let hold = request
        .hold
        .as_deref()
        .map(|hold| pricing.parse_hold(hold))
        .transpose()?;
    let cost = pricing.cost(steps)?;
    let code = match hold {
        None => EnergyCode::CostComputed,
        Some(hold) => match cost.total.cmp_amount(&hold)? {
            Ordering::Greater => EnergyCode::ExceedsHold,
            Ordering::Less | Ordering::Equal => EnergyCode::WithinHold,
        },
    };
    let quantity = pricing
        .quantity(steps)
        .ok_or_else(|| Error::new(ErrorCode::Internal, "quantity", "out of range"))?;
    Ok(MeteredCost {
        code,
        quantity: quantity.to_string(),
        unit: pricing.unit,
        cost: cost.breakdown(),
        currency: pricing.currency.code().to_owned(),
    })
}
