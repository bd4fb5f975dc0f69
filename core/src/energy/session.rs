//! The rules both roles apply to a session: validating an order, costing a delivery over its
//! tariff segments, and deriving the dispenser limit from a hold. The server and the terminal
//! call the same functions, so the limit the terminal enforces and the cost the server
//! captures can never disagree.
//!
//! # Tariff segments
//!
//! A session starts with the order's tariff from quantity 0; each accepted tariff change starts
//! a new segment at the quantity delivered when it took effect. The cost of a delivery of `q` is
//! the sum over the segments of the cost of the quantity delivered in each (from its start to
//! the next start, or to `q`), each computed by the segment's tariff with its own roundings
//! ([`super::pricing`]). Every segment shares the order's currency, unit and resolution.
//!
//! # Limit
//!
//! The limit is the largest total quantity whose cost fits the hold: the closed segments' cost
//! is taken from the hold, and the rest pays for the last tariff's [`dispense_limit`] from the
//! last segment's start. If the closed segments already cost more than the hold, the limit is
//! the last segment's start (the dispenser must stop).

use core::cmp::Ordering;

use super::messages::{energy_id_ok, BelowMaximum, Order, SegmentCost, TariffSegment};
use super::pricing::{dispense_limit, Cost, DispenseLimitRequest, Pricing, Tariff};
use super::TARIFF_CHANGES_MAX;
use crate::error::{Error, ErrorCode, Result};
use crate::money::Amount;

fn invalid(param: &'static str, message: &str) -> Error {
    Error::new(ErrorCode::InvalidArgument, param, message.to_owned())
}

/// An order whose fields passed every rule.
#[derive(Debug, Clone, Copy)]
pub(super) struct ValidOrder {
    pub(super) pricing: Pricing,
    pub(super) maximum: Amount,
    pub(super) minimum: Option<Amount>,
    pub(super) step: Option<Amount>,
}

fn amount_param(value: &str, pricing: &Pricing, param: &'static str) -> Result<Amount> {
    let amount = Amount::parse(value, pricing.currency(), None)
        .map_err(|e| Error::new(e.code(), param, e.message()))?;
    if amount.is_negative() {
        return Err(invalid(param, "must not be negative"));
    }
    Ok(amount)
}

/// Checks an order.
///
/// Errors: `INVALID_ARGUMENT` about `"order.orderId"`, `"order.walletId"`, `"order.stationId"`
/// (1..=48 bytes, no control characters), `"order.maximum"` (not > 0), `"order.minimum"`
/// (above the maximum), `"order.step"` (missing with lower-maximum, given without it, not > 0);
/// the tariff's errors (see [`super::pricing`]) under `"order.tariff"`; `AMOUNT_*` about the amounts.
pub(super) fn validate_order(order: &Order) -> Result<ValidOrder> {
    for (id, param) in [
        (&order.order_id, "order.orderId"),
        (&order.wallet_id, "order.walletId"),
        (&order.station_id, "order.stationId"),
    ] {
        if !energy_id_ok(id) {
            return Err(invalid(
                param,
                "must be 1..=48 UTF-8 bytes without control characters",
            ));
        }
    }
    let pricing = Pricing::from_tariff(&order.tariff).map_err(|e| e.at("tariff").at("order"))?;
    let maximum = amount_param(&order.maximum, &pricing, "order.maximum")?;
    if maximum.is_zero() {
        return Err(invalid("order.maximum", "must be greater than zero"));
    }
    let minimum = order
        .minimum
        .as_deref()
        .map(|m| amount_param(m, &pricing, "order.minimum"))
        .transpose()?;
    if let Some(minimum) = &minimum {
        if minimum.cmp_amount(&maximum)? == Ordering::Greater {
            return Err(invalid("order.minimum", "must not be above the maximum"));
        }
    }
    let step = order
        .step
        .as_deref()
        .map(|s| amount_param(s, &pricing, "order.step"))
        .transpose()?;
    match (order.below_maximum, &step) {
        (BelowMaximum::LowerMaximum, None) => {
            return Err(invalid("order.step", "is required with lower-maximum"))
        }
        (BelowMaximum::LowerMaximum, Some(step)) if step.is_zero() => {
            return Err(invalid("order.step", "must be greater than zero"))
        }
        (BelowMaximum::Decline | BelowMaximum::HoldAvailable, Some(_)) => {
            return Err(invalid("order.step", "is only used with lower-maximum"))
        }
        _ => {}
    }
    Ok(ValidOrder {
        pricing,
        maximum,
        minimum,
        step,
    })
}

/// Checks a new tariff for a session priced by `base`: valid, same currency, unit and resolution.
///
/// Errors: the tariff's errors under `"tariff"` (`"tariff.unitPrice"`); `INVALID_ARGUMENT` about
/// `"tariff"`.
pub(super) fn check_tariff(base: &Pricing, tariff: &Tariff) -> Result<Pricing> {
    let pricing = Pricing::from_tariff(tariff).map_err(|e| e.at("tariff"))?;
    if pricing.currency().code() != base.currency().code()
        || pricing.unit() != base.unit()
        || pricing.decimals() != base.decimals()
    {
        return Err(invalid(
            "tariff",
            "must keep the order's currency, unit and resolution",
        ));
    }
    Ok(pricing)
}

/// `steps` as a quantity string at the resolution of `pricing` (`"12.30"`).
pub(super) fn quantity_string(pricing: &Pricing, steps: u128) -> Result<String> {
    pricing
        .quantity(steps)
        .map(|q| q.to_string())
        .ok_or_else(|| Error::new(ErrorCode::Internal, "quantity", "out of range"))
}

/// The first segment of a session: the order's tariff from 0.
pub(super) fn first_segment(order: &Order, pricing: &Pricing) -> Result<TariffSegment> {
    Ok(TariffSegment {
        from_quantity: quantity_string(pricing, 0)?,
        tariff: order.tariff.clone(),
    })
}

/// The start of each segment in resolution steps (checked non-decreasing).
fn starts(segments: &[TariffSegment], base: &Pricing) -> Result<Vec<u128>> {
    if segments.is_empty() || segments.len() > TARIFF_CHANGES_MAX + 1 {
        return Err(invalid("segments", "a session has 1..=9 tariff segments"));
    }
    let mut out = Vec::with_capacity(segments.len());
    let mut previous = 0u128;
    for segment in segments {
        let start = base.steps_of(&segment.from_quantity)?;
        if start < previous {
            return Err(invalid("segments", "segments must start in order"));
        }
        previous = start;
        out.push(start);
    }
    Ok(out)
}

/// The cost of delivering `final_steps` over `segments` (the last segment's start must be at most
/// `final_steps`): one [`SegmentCost`] per segment and the sum.
///
/// Errors: `INVALID_ARGUMENT` about `"quantity"` when `final_steps` is below the last start.
pub(super) fn cost_segments(
    segments: &[TariffSegment],
    base: &Pricing,
    final_steps: u128,
) -> Result<(Vec<SegmentCost>, Cost)> {
    let starts = starts(segments, base)?;
    let zero = Amount::zero(base.currency());
    let mut total = Cost {
        net: zero,
        tax: zero,
        total: zero,
    };
    let mut costs = Vec::with_capacity(segments.len());
    for (index, segment) in segments.iter().enumerate() {
        let from = starts.get(index).copied().unwrap_or(0);
        let to = starts.get(index + 1).copied().unwrap_or(final_steps);
        let quantity = to
            .checked_sub(from)
            .ok_or_else(|| invalid("quantity", "is below the start of a tariff segment"))?;
        let pricing = check_tariff(base, &segment.tariff)?;
        let cost = pricing.cost(quantity)?;
        total = Cost {
            net: total.net.checked_add(&cost.net)?,
            tax: total.tax.checked_add(&cost.tax)?,
            total: total.total.checked_add(&cost.total)?,
        };
        costs.push(SegmentCost {
            from_quantity: quantity_string(base, from)?,
            to_quantity: quantity_string(base, to)?,
            quantity: quantity_string(base, quantity)?,
            tariff: segment.tariff.clone(),
            cost: cost.breakdown(),
        });
    }
    if starts.last().copied().unwrap_or(0) > final_steps {
        return Err(invalid(
            "quantity",
            "is below the start of a tariff segment",
        ));
    }
    Ok((costs, total))
}

/// The largest total quantity, in resolution steps, that `held` pays for over `segments` (see the
/// module docs).
pub(super) fn limit_steps(
    segments: &[TariffSegment],
    base: &Pricing,
    held: &Amount,
) -> Result<u128> {
    let starts = starts(segments, base)?;
    let last_start = starts.last().copied().unwrap_or(0);
    let Some(last) = segments.last() else {
        return Ok(0);
    };
    let (_, closed) = cost_segments(segments, base, last_start)?;
    let remaining = held.checked_sub(&closed.total)?;
    if remaining.is_negative() {
        return Ok(last_start);
    }
    let limit = dispense_limit(&DispenseLimitRequest {
        tariff: last.tariff.clone(),
        hold: remaining.to_string(),
    })?;
    let more = base.steps_of(&limit.max_quantity)?;
    // The whole delivery stays within QUANTITY_MAX, like a single tariff's limit.
    Ok(last_start.saturating_add(more).min(base.steps_max()))
}
