#!/usr/bin/env python3
"""Writes pricing.json: the energy metering vectors (System 3).

An independent implementation of the rules in core/src/energy/pricing.rs with Python's exact
`fractions.Fraction` (no Rust code). The dispenser limit is found differently from the core: from
the naive quotient hold / (price x (1 + tax)), stepped up while the next step fits and down while
the current one does not. Run: `python3 tests/vectors/energy/generate.py`.
"""
import json
import math
import os
from fractions import Fraction as F

HERE = os.path.dirname(os.path.abspath(__file__))
MINOR = {"EUR": 2, "USD": 2, "JPY": 0, "KWD": 3, "BTC": 8}
DEFAULT_DECIMALS = {"litre": 2, "kWh": 3, "kg": 2}
QUANTITY_MAX = 1_000_000


def rnd(x, mode):
    """Round a non-negative Fraction to an integer."""
    q = math.floor(x)
    r = x - q
    if r == 0:
        return q
    if mode in ("toward-zero", "floor"):
        return q
    if mode in ("away-from-zero", "ceiling"):
        return q + 1
    if mode == "half-up":
        return q + 1 if r >= F(1, 2) else q
    if mode == "half-down":
        return q + 1 if r > F(1, 2) else q
    if mode == "half-even":
        return q + 1 if r > F(1, 2) or (r == F(1, 2) and q % 2 == 1) else q
    raise ValueError(mode)


def fmt_amount(minor, currency):
    scale = MINOR[currency]
    if scale == 0:
        return str(minor)
    s = str(minor).rjust(scale + 1, "0")
    return s[:-scale] + "." + s[-scale:]


def fmt_quantity(steps, decimals):
    if decimals == 0:
        return str(steps)
    s = str(steps).rjust(decimals + 1, "0")
    return s[:-decimals] + "." + s[-decimals:]


def decimals_of(tariff):
    res = tariff.get("resolution")
    if res is None:
        return DEFAULT_DECIMALS[tariff["unit"]]
    return len(res.split(".")[1]) if "." in res else 0


def cost(tariff, steps):
    """(net, tax, total) in minor units for `steps` resolution steps."""
    d = decimals_of(tariff)
    scale = 10 ** MINOR[tariff["currency"]]
    q = F(steps, 10 ** d)
    p = F(tariff["unitPrice"])
    priced = rnd(q * p * scale, tariff["costRounding"])
    tax = tariff.get("tax")
    if tax is None:
        return priced, 0, priced
    r = F(tax["rate"])
    if tax["priceIncludesTax"]:
        t = rnd(priced * r / (1 + r), tax["rounding"])
        return priced - t, t, priced
    t = rnd(priced * r, tax["rounding"])
    return priced, t, priced + t


def limit(tariff, hold_minor):
    d = decimals_of(tariff)
    steps_max = QUANTITY_MAX * 10 ** d
    fits = lambda n: cost(tariff, n)[2] <= hold_minor
    if fits(steps_max):
        return "QUANTITY_CAPPED", steps_max
    tax = tariff.get("tax")
    per_unit = F(tariff["unitPrice"]) * (1 + (F(tax["rate"]) if tax and not tax["priceIncludesTax"] else 0))
    n = min(steps_max, math.floor(F(hold_minor, 10 ** MINOR[tariff["currency"]]) / per_unit * 10 ** d))
    while n > 0 and not fits(n):
        n -= 1
    while n + 1 <= steps_max and fits(n + 1):
        n += 1
    return ("HOLD_TOO_SMALL" if n == 0 else "LIMIT_SET"), n


def tariff(currency, unit, price, rounding, tax=None, resolution=None):
    t = {"currency": currency, "unit": unit}
    if resolution is not None:
        t["resolution"] = resolution
    t["unitPrice"] = price
    t["costRounding"] = rounding
    if tax is not None:
        rate, includes, tax_rounding = tax
        t["tax"] = {"rate": rate, "priceIncludesTax": includes, "rounding": tax_rounding}
    return t


def hold_minor_of(hold, currency):
    return int(F(hold) * 10 ** MINOR[currency])


def limit_case(note, t, hold):
    code, steps = limit(t, hold_minor_of(hold, t["currency"]))
    d = decimals_of(t)
    net, tax, total = cost(t, steps)
    c = t["currency"]
    assert total <= hold_minor_of(hold, c)
    return {
        "op": "limit", "note": note, "tariff": t, "hold": hold,
        "expect": {
            "code": code, "maxQuantity": fmt_quantity(steps, d), "unit": t["unit"], "resolution": fmt_quantity(1, d),
            "cost": {"net": fmt_amount(net, c), "tax": fmt_amount(tax, c), "total": fmt_amount(total, c)},
            "hold": fmt_amount(hold_minor_of(hold, c), c), "currency": c,
        },
    }


def cost_case(note, t, quantity, hold=None):
    d = decimals_of(t)
    steps = F(quantity) * 10 ** d
    assert steps.denominator == 1
    steps = int(steps)
    net, tax, total = cost(t, steps)
    c = t["currency"]
    if hold is None:
        code = "COST_COMPUTED"
    else:
        code = "EXCEEDS_HOLD" if total > hold_minor_of(hold, c) else "WITHIN_HOLD"
    case = {"op": "cost", "note": note, "tariff": t, "quantity": quantity, "unit": t["unit"]}
    if hold is not None:
        case["hold"] = hold
    case["expect"] = {
        "code": code, "quantity": fmt_quantity(steps, d), "unit": t["unit"],
        "cost": {"net": fmt_amount(net, c), "tax": fmt_amount(tax, c), "total": fmt_amount(total, c)}, "currency": c,
    }
    return case


def main():
    cases = []
    fuel = tariff("EUR", "litre", "1.859", "half-even")
    cases.append(limit_case("fuel at 1.859 EUR/L, no tax: 26.89 L (26.90 L would cost 50.01)", fuel, "50.00"))
    cases.append(cost_case("one step past the limit exceeds the hold", fuel, "26.90", "50.00"))
    cases.append(cost_case("the limit itself fits", fuel, "26.89", "50.00"))
    cases.append(cost_case("no hold: the cost only", fuel, "26.89"))
    cases.append(cost_case("trailing zeros beyond the resolution are accepted", fuel, "26.8900"))
    cases.append(cost_case("zero delivered", fuel, "0", "50.00"))
    excl_up = tariff("EUR", "litre", "1.01", "ceiling", ("0.19", False, "ceiling"))
    cases.append(limit_case("tax-exclusive, both rounded up: dividing would give 8.32 L, which costs 10.01", excl_up, "10.00"))
    cases.append(cost_case("8.32 L costs 8.41 + 1.60 = 10.01", excl_up, "8.32", "10.00"))
    trunc = tariff("EUR", "litre", "0.333", "toward-zero")
    cases.append(limit_case("truncating cost: 3.03 L costs 1.00899 -> 1.00 and fits, above 1.00 / 0.333 = 3.003", trunc, "1.00"))
    for mode in ["half-even", "half-up", "half-down", "toward-zero", "away-from-zero", "floor", "ceiling"]:
        t = tariff("EUR", "litre", "1.859", mode, ("0.19", False, mode))
        cases.append(limit_case(f"1.859 EUR/L excl. 19 %, {mode}", t, "75.00"))
        cases.append(cost_case(f"40 L at 1.859 excl. 19 %, {mode}", t, "40"))
        t = tariff("EUR", "kWh", "0.39", mode, ("0.19", True, mode))
        cases.append(cost_case(f"42.137 kWh at 0.39 incl. 19 %, {mode}", t, "42.137"))
    incl = tariff("EUR", "kWh", "0.39", "half-even", ("0.19", True, "half-even"))
    cases.append(limit_case("inclusive tax: what a hold buys is unchanged", incl, "30.00"))
    cases.append(cost_case("a tie on the tax: 1.19 incl. 19 % is 1.00 + 0.19 exactly", tariff("EUR", "litre", "1.19", "half-even", ("0.19", True, "half-even")), "1.00"))
    cases.append(cost_case("tax rounding half-even on a tie: 0.125 -> 0.12", tariff("EUR", "litre", "1.25", "half-even", ("0.1", False, "half-even")), "1.00"))
    cases.append(cost_case("tax rounding half-up on a tie: 0.125 -> 0.13", tariff("EUR", "litre", "1.25", "half-even", ("0.1", False, "half-up")), "1.00"))
    cases.append(cost_case("100 % tax included", tariff("EUR", "litre", "2", "half-even", ("1", True, "half-even")), "1.00"))
    cases.append(cost_case("0 % tax", tariff("EUR", "litre", "2", "half-even", ("0", False, "half-even")), "1.00"))
    cases.append(limit_case("JPY (no minor unit): 27.78 L costs 5000.4 -> 5000", tariff("JPY", "litre", "180", "half-even"), "5000"))
    cases.append(limit_case("kWh, default 0.001 kWh resolution", tariff("EUR", "kWh", "0.59", "half-up"), "20.00"))
    cases.append(limit_case("kWh at 0.0001 kWh resolution", tariff("EUR", "kWh", "0.59", "half-up", resolution="0.0001"), "20.00"))
    cases.append(limit_case("kg (hydrogen), default 0.01 kg", tariff("EUR", "kg", "13.85", "half-up"), "100.00"))
    cases.append(limit_case("whole-litre dispenser (resolution 1)", tariff("EUR", "litre", "1.859", "half-even", resolution="1"), "50.00"))
    cases.append(limit_case("KWD (3 decimals)", tariff("KWD", "litre", "0.085", "half-even"), "5.000"))
    cases.append(limit_case("a 6-decimal price", tariff("USD", "kWh", "0.123456", "half-even"), "25.00"))
    cases.append(limit_case("hold below one step: 0.01 L costs 0.02", fuel, "0.01"))
    cases.append(limit_case("zero hold", fuel, "0"))
    cases.append(limit_case("truncating: 0.01 L costs 0.01 and fits", tariff("EUR", "litre", "1.859", "toward-zero"), "0.01"))
    cases.append(limit_case("capped at QUANTITY_MAX (1 000 000 L)", fuel, "10000000.00"))
    cases.append(limit_case("exactly the cost of QUANTITY_MAX: capped", fuel, "1859000.00"))
    cases.append(limit_case("one cent less: the hold binds", fuel, "1858999.99"))
    cases.append(cost_case("QUANTITY_MAX itself", fuel, "1000000"))
    cases.append(cost_case("BTC priced energy", tariff("BTC", "kWh", "0.000004", "ceiling"), "12.345"))

    def error(op, note, err, t=fuel, **fields):
        case = {"op": op, "note": note, "tariff": t}
        if op == "limit":
            case["hold"] = fields.get("hold", "10.00")
        else:
            case["quantity"] = fields.get("quantity", "1.00")
            case["unit"] = fields.get("unit", t["unit"])
            if "hold" in fields:
                case["hold"] = fields["hold"]
        case["error"] = err
        cases.append(case)

    error("limit", "negative hold", "INVALID_ARGUMENT", hold="-1.00")
    error("limit", "hold with more digits than the currency", "AMOUNT_PRECISION", hold="1.001")
    error("limit", "hold in exponent notation", "AMOUNT_SYNTAX", hold="1e3")
    error("limit", "unknown currency", "CURRENCY_UNKNOWN", t=dict(fuel, currency="XXX"))
    error("limit", "zero price", "INVALID_ARGUMENT", t=dict(fuel, unitPrice="0"))
    error("limit", "negative price", "INVALID_ARGUMENT", t=dict(fuel, unitPrice="-1.859"))
    error("limit", "7-decimal price", "INVALID_ARGUMENT", t=dict(fuel, unitPrice="1.8590001"))
    error("limit", "price above UNIT_PRICE_MAX", "INVALID_ARGUMENT", t=dict(fuel, unitPrice="1000000000.01"))
    error("limit", "price with a comma", "AMOUNT_SYNTAX", t=dict(fuel, unitPrice="1,859"))
    error("limit", "resolution not a power of ten", "INVALID_ARGUMENT", t=dict(fuel, resolution="0.05"))
    error("limit", "resolution above 1", "INVALID_ARGUMENT", t=dict(fuel, resolution="10"))
    error("limit", "resolution finer than 10^-6", "INVALID_ARGUMENT", t=dict(fuel, resolution="0.0000001"))
    error("limit", "unknown cost rounding", "ROUNDING_MODE_UNKNOWN", t=dict(fuel, costRounding="bankers"))
    error("limit", "tax rate above 1", "INVALID_ARGUMENT", t=tariff("EUR", "litre", "1.859", "half-even", ("1.01", False, "half-even")))
    error("limit", "negative tax rate", "INVALID_ARGUMENT", t=tariff("EUR", "litre", "1.859", "half-even", ("-0.19", False, "half-even")))
    error("limit", "tax rate with 7 decimals", "INVALID_ARGUMENT", t=tariff("EUR", "litre", "1.859", "half-even", ("0.1900001", False, "half-even")))
    error("limit", "tax rate as a percentage", "AMOUNT_SYNTAX", t=tariff("EUR", "litre", "1.859", "half-even", ("19%", False, "half-even")))
    error("limit", "unknown tax rounding", "ROUNDING_MODE_UNKNOWN", t=tariff("EUR", "litre", "1.859", "half-even", ("0.19", False, "up")))
    error("cost", "quantity finer than the resolution", "INVALID_ARGUMENT", quantity="1.001")
    error("cost", "negative quantity", "INVALID_ARGUMENT", quantity="-1")
    error("cost", "quantity above QUANTITY_MAX", "INVALID_ARGUMENT", quantity="1000000.01")
    error("cost", "quantity with a space", "AMOUNT_SYNTAX", quantity=" 1")
    error("cost", "meter unit differs from the tariff's", "INVALID_ARGUMENT", unit="kWh")
    error("cost", "negative hold", "INVALID_ARGUMENT", hold="-0.01")
    error("cost", "cost beyond the range of the currency", "AMOUNT_OVERFLOW", t=tariff("ETH", "litre", "1000000000", "half-even"), quantity="1000000")

    doc = {
        "description": (
            "countersign energy metering vectors (System 3), run by cargo test (core/tests/energy_vectors.rs) and, later, through the SDK; "
            "written by generate.py, an independent implementation with Python's exact fractions. One object per case in `cases`, with `op`: "
            "limit {tariff, hold} -> {code, maxQuantity, unit, resolution, cost: {net, tax, total}, hold, currency}; "
            "cost {tariff, quantity, unit, hold?} -> {code, quantity, unit, cost: {net, tax, total}, currency}. Each case has `expect` or `error` (a stable error code); `note` is for humans. "
            "tariff = {currency, unit: litre|kWh|kg, resolution?: power of ten 1..0.000001 (default 0.01 L, 0.001 kWh, 0.01 kg), unitPrice: decimal > 0 with at most 6 fraction digits, "
            "costRounding: rounding mode, tax?: {rate: fraction 0..1 with at most 6 digits, priceIncludesTax, rounding}}. Decimal strings follow the strict grammar -?(0|[1-9][0-9]*)(\\.[0-9]+)?. "
            "Cost of q: no tax: total = net = round_cost(q * price); exclusive: net = round_cost(q * price), tax = round_tax(net * rate), total = net + tax; "
            "inclusive: total = round_cost(q * price), tax = round_tax(total * rate / (1 + rate)), net = total - tax; each rounded once from the exact value to the currency's minor units. "
            "limit: the largest whole number of resolution steps up to 1000000 units whose total <= hold (QUANTITY_CAPPED when 1000000 units fit, HOLD_TOO_SMALL when it is 0, else LIMIT_SET). "
            "cost: COST_COMPUTED without a hold, else WITHIN_HOLD or EXCEEDS_HOLD."
        ),
        "cases": cases,
    }
    with open(os.path.join(HERE, "pricing.json"), "w") as f:
        json.dump(doc, f, indent=1, ensure_ascii=False)
        f.write("\n")
    print(f"{len(cases)} cases")


if __name__ == "__main__":
    main()
