#!/usr/bin/env python3
"""Writes sessions.json: step-by-step energy purchase scenarios (System 3), terminal and e-money
server together.

The expectations come from a small independent model of the rules written here (no Rust code):
wallet balances and holds in integer minor units, the below-maximum policies, the dispenser limit
and segment costs from generate.py's exact-fraction pricing, increments, extension, expiry and
the late-completion policy. Run: `python3 tests/vectors/energy/generate_sessions.py`.
"""
import copy
import json
import os

from generate import MINOR, QUANTITY_MAX, cost, decimals_of, fmt_amount, fmt_quantity, limit, tariff

HERE = os.path.dirname(os.path.abspath(__file__))
T0 = 1_767_225_600
HOLD_DURATION_S_MAX = 366 * 86_400


def minor(amount, currency):
    whole, _, frac = amount.partition(".")
    scale = MINOR[currency]
    frac = (frac + "0" * scale)[:scale]
    sign = -1 if whole.startswith("-") else 1
    return sign * (abs(int(whole)) * 10 ** scale + (int(frac) if frac else 0))


def steps_of(quantity, decimals):
    whole, _, frac = quantity.partition(".")
    if len(frac.rstrip("0")) > decimals:
        return None
    frac = (frac + "0" * decimals)[:decimals]
    return int(whole) * 10 ** decimals + (int(frac) if frac else 0)


def segment_costs(segments, final):
    """[(from, to, (net, tax, total))] and the sums, for a delivery of `final` steps."""
    out = []
    for i, (start, t) in enumerate(segments):
        end = segments[i + 1][0] if i + 1 < len(segments) else final
        out.append((start, end, t, cost(t, end - start)))
    total = tuple(sum(c[3][k] for c in out) for k in range(3))
    return out, total


def limit_steps(segments, held):
    last_start, last_tariff = segments[-1]
    _, closed = segment_costs(segments, last_start)
    remaining = held - closed[2]
    if remaining < 0:
        return last_start
    d = decimals_of(last_tariff)
    return min(last_start + limit(last_tariff, remaining)[1], QUANTITY_MAX * 10 ** d)


class Model:
    def __init__(self, scenario):
        self.currency = scenario["server"]["currency"]
        self.duration = scenario["server"]["holdDurationS"]
        self.late = scenario["server"]["lateCompletion"]
        self.wallets = {w: {"balance": minor(v, self.currency), "pending": 0} for w, v in scenario["wallets"].items()}
        self.station = 0
        self.sessions = {}
        self.last_answer = None  # (code, kind) of the last signed answer

    def amount(self, units):
        return fmt_amount(units, self.currency)

    def available(self, wallet):
        w = self.wallets[wallet]
        return w["balance"] - w["pending"]

    def expire_due(self, now):
        expired = []
        for oid in sorted(self.sessions, key=lambda o: (self.sessions[o].get("deadline", 0), o)):
            s = self.sessions[oid]
            if s["server"] == "held" and s["deadline"] <= now:
                s["server"] = "expired"
                self.wallets[s["order"]["walletId"]]["pending"] -= s["pending"]
                s["released"] = s["pending"]
                s["pending"] = 0
                expired.append(oid)
        return expired

    def wallet_view(self):
        return {w: {"balance": self.amount(v["balance"]), "available": self.amount(v["balance"] - v["pending"])}
                for w, v in self.wallets.items()}

    def session_expect(self, s):
        d = s["decimals"]
        return {"held": self.amount(s["held"]), "maxQuantity": fmt_quantity(s["limit"], d),
                "increments": [self.amount(i) for i in s["increments"]]}

    # ---------------------------------------------------------------- steps

    def order(self, step, now):
        o = step["order"]
        if step.get("error"):
            return {"error": step["error"]}
        if step.get("tamper"):
            return {"code": "BAD_SIGNATURE", "signed": False}
        self.expire_due(now)
        oid = o["orderId"]
        if oid in self.sessions:
            return {"code": "ORDER_ID_CONFLICT", "signed": False}
        t = o["tariff"]
        d = decimals_of(t)
        s = {"order": o, "decimals": d, "segments": [(0, t)], "held": 0, "pending": 0, "increments": [],
             "readings": [], "limit": 0, "server": "declined", "terminal": "declined", "released": 0}
        self.sessions[oid] = s
        code = None
        if o["walletId"] not in self.wallets:
            code = "UNKNOWN_WALLET"
        else:
            available = self.available(o["walletId"])
            maximum = minor(o["maximum"], self.currency)
            if available >= maximum:
                amount, ok = maximum, "HELD"
            elif o["belowMaximum"] == "decline":
                amount, ok, code = 0, None, "BALANCE_BELOW_MAXIMUM"
            elif o["belowMaximum"] == "hold-available":
                amount, ok = available, "HELD_AVAILABLE"
            else:
                step_units = minor(o["step"], self.currency)
                amount, ok = available // step_units * step_units, "MAXIMUM_LOWERED"
            if code is None and "minimum" in o and amount < minor(o["minimum"], self.currency):
                code = "BELOW_MINIMUM"
            if code is None and (amount == 0 or limit(t, amount)[1] == 0):
                code = "HOLD_TOO_SMALL"
            if code is None:
                code = ok
                s.update(held=amount, pending=amount, deadline=now + self.duration, server="held", terminal="authorised")
                self.wallets[o["walletId"]]["pending"] += amount
                s["limit"] = limit_steps(s["segments"], amount)
        s["code"] = code
        out = {"code": code, "signed": True}
        out.update(self.session_expect(s))
        if s["server"] == "held":
            out["expiresAt"] = s["deadline"]
        return out

    def meter(self, step, now):
        s = self.sessions[step["orderId"]]
        if s["terminal"] != "authorised":
            return {"code": "NOT_AUTHORISED"}
        if now >= s["deadline"]:
            s["terminal"] = "expired"
            return {"code": "HOLD_EXPIRED"}
        q = steps_of(step["quantity"], s["decimals"])
        if q is None:
            return {"code": "READING_MALFORMED"}
        last = s["readings"][-1] if s["readings"] else (0, now)
        if q < last[0] or now < last[1]:
            return {"code": "READING_NOT_MONOTONIC"}
        if q > s["limit"]:
            return {"code": "READING_ABOVE_LIMIT"}
        s["readings"].append((q, now))
        return {"code": "LIMIT_REACHED" if q == s["limit"] else "READING_ACCEPTED",
                "delivered": fmt_quantity(q, s["decimals"])}

    def delivered(self, s):
        return s["readings"][-1][0] if s["readings"] else 0

    def tariff_change(self, step, now):
        s = self.sessions[step["orderId"]]
        t = step["tariff"]
        delivered = self.delivered(s)
        _, so_far = segment_costs(s["segments"], delivered)
        rest = cost(t, s["limit"] - delivered)
        needed = so_far[2] + rest[2] - s["held"]
        self.expire_due(now)
        if s["server"] == "expired":
            return {"code": "HOLD_EXPIRED", "signed": False, "increment": self.amount(needed) if needed > 0 else None}
        s["segments"].append((delivered, t))
        code = "TARIFF_CHANGED"
        if needed > 0:
            wallet = s["order"]["walletId"]
            if self.available(wallet) >= needed:
                s["held"] += needed
                s["pending"] += needed
                self.wallets[wallet]["pending"] += needed
                s["increments"].append(needed)
            else:
                code = "INCREMENT_DECLINED"
        s["limit"] = limit_steps(s["segments"], s["held"])
        out = {"code": code, "signed": True, "increment": self.amount(needed) if needed > 0 else None}
        out.update(self.session_expect(s))
        return out

    def extend(self, step, now):
        s = self.sessions[step["orderId"]]
        self.expire_due(now)
        if s["server"] == "expired":
            return {"code": "HOLD_EXPIRED", "signed": False}
        new = T0 + step["expiresAt"]
        if new <= s["deadline"] or new - now > HOLD_DURATION_S_MAX:
            return {"code": "DEADLINE_INVALID", "signed": False}
        s["deadline"] = new
        out = {"code": "EXTENDED", "signed": True, "expiresAt": new}
        out.update(self.session_expect(s))
        return out

    def expire(self, step, now):
        return {"expired": self.expire_due(now)}

    def complete(self, step, now):
        s = self.sessions[step["orderId"]]
        if s["terminal"] not in ("authorised", "expired"):
            return {"code": "NOT_AUTHORISED"}
        self.expire_due(now)
        final = self.delivered(s)
        costs, total = segment_costs(s["segments"], final)
        wallet = s["order"]["walletId"]
        captured = 0
        late = s["server"] == "expired"
        if not late:
            capture = min(total[2], s["pending"])
            if capture == 0:
                code = "COMPLETED_NOTHING_DELIVERED"
            else:
                code = "COMPLETED_CAPPED" if total[2] > s["pending"] else "COMPLETED"
            self.wallets[wallet]["pending"] -= s["pending"]
            self.wallets[wallet]["balance"] -= capture
            self.station += capture
            s["released"] = s["pending"] - capture
            s["pending"] = 0
            captured = capture
        else:
            charge = min(total[2], s["held"])
            if self.late == "reject":
                code = "LATE_COMPLETION_REJECTED"
            elif charge == 0:
                code = "COMPLETED_NOTHING_DELIVERED"
            elif self.available(wallet) >= charge:
                code = "LATE_CHARGED"
                self.wallets[wallet]["balance"] -= charge
                self.station += charge
                captured = charge
            else:
                code = "LATE_CHARGE_DECLINED"
        s["server"] = "closed"
        s["terminal"] = "closed"
        d = s["decimals"]
        return {
            "code": code, "signed": True, "late": late, "quantity": fmt_quantity(final, d),
            "segments": [{"fromQuantity": fmt_quantity(a, d), "toQuantity": fmt_quantity(b, d),
                          "quantity": fmt_quantity(b - a, d),
                          "cost": {"net": self.amount(c[0]), "tax": self.amount(c[1]), "total": self.amount(c[2])}}
                         for a, b, _, c in costs],
            "cost": {"net": self.amount(total[0]), "tax": self.amount(total[1]), "total": self.amount(total[2])},
            "held": self.amount(s["held"]), "captured": self.amount(captured),
            "released": self.amount(s["released"]), "uncollected": self.amount(total[2] - captured),
            "readings": len(s["readings"]),
        }

    def resend(self, step, now):
        code = self.last_answer
        return {"code": code, "repeated": True}


def run(scenario):
    model = Model(scenario)
    for step in scenario["steps"]:
        now = T0 + step["t"]
        expect = getattr(model, {"tariffChange": "tariff_change"}.get(step["op"], step["op"]))(step, now)
        if expect.get("signed"):
            model.last_answer = expect["code"]
        expect.pop("signed", None)
        if expect.get("increment", 0) is None:
            del expect["increment"]
        expect["wallets"] = model.wallet_view()
        expect["station"] = model.amount(model.station)
        step["expect"] = expect
    return scenario


FUEL = tariff("EUR", "litre", "1.859", "half-even")
FUEL_UP = tariff("EUR", "litre", "2.000", "half-even")
FUEL_DOWN = tariff("EUR", "litre", "1.709", "half-even")
CHEAP = tariff("EUR", "litre", "0.399", "half-even")
EV = tariff("EUR", "kWh", "0.39", "half-up", ("0.19", True, "half-even"))
EV_PEAK = tariff("EUR", "kWh", "0.59", "half-up", ("0.19", True, "half-even"))
EV_NET = tariff("EUR", "kWh", "0.35", "ceiling", ("0.2", False, "half-up"))
EV_NET_PEAK = tariff("EUR", "kWh", "0.45", "ceiling", ("0.2", False, "half-up"))


def order(oid, maximum, policy="decline", t=FUEL, wallet="alice", **extra):
    o = {"orderId": oid, "walletId": wallet, "stationId": "station-1", "maximum": maximum, "belowMaximum": policy}
    o.update(extra)
    o["tariff"] = copy.deepcopy(t)
    return o


def server(late="reject", duration=900):
    return {"currency": "EUR", "holdDurationS": duration, "lateCompletion": late}


SCENARIOS = [
    {"name": "full session: hold the maximum, meter, capture the cost, release the rest; the same completion again",
     "server": server(), "wallets": {"alice": "100.00"},
     "steps": [
         {"op": "order", "t": 0, "order": order("o-1", "50.00")},
         {"op": "meter", "t": 10, "orderId": "o-1", "quantity": "10.00"},
         {"op": "meter", "t": 20, "orderId": "o-1", "quantity": "20.00"},
         {"op": "meter", "t": 30, "orderId": "o-1", "quantity": "20.55"},
         {"op": "complete", "t": 40, "orderId": "o-1"},
         {"op": "resend", "t": 41},
     ]},
    {"name": "the same order twice: one hold, the stored answer",
     "server": server(), "wallets": {"alice": "60.00"},
     "steps": [
         {"op": "order", "t": 0, "order": order("o-1", "50.00")},
         {"op": "resend", "t": 5},
         {"op": "meter", "t": 6, "orderId": "o-1", "quantity": "26.89"},
         {"op": "meter", "t": 7, "orderId": "o-1", "quantity": "26.90"},
         {"op": "complete", "t": 8, "orderId": "o-1"},
     ]},
    {"name": "policy decline: balance below the maximum, nothing held",
     "server": server(), "wallets": {"alice": "30.00"},
     "steps": [
         {"op": "order", "t": 0, "order": order("o-1", "50.00", "decline")},
         {"op": "meter", "t": 1, "orderId": "o-1", "quantity": "1.00"},
         {"op": "complete", "t": 2, "orderId": "o-1"},
     ]},
    {"name": "policy hold-available: the whole available balance is held",
     "server": server(), "wallets": {"alice": "30.00"},
     "steps": [
         {"op": "order", "t": 0, "order": order("o-1", "50.00", "hold-available")},
         {"op": "meter", "t": 60, "orderId": "o-1", "quantity": "16.14"},
         {"op": "complete", "t": 61, "orderId": "o-1"},
     ]},
    {"name": "policy lower-maximum: the available balance rounded down to the step; then a minimum not met",
     "server": server(), "wallets": {"alice": "32.47"},
     "steps": [
         {"op": "order", "t": 0, "order": order("o-1", "50.00", "lower-maximum", step="5.00")},
         {"op": "order", "t": 1, "order": order("o-2", "50.00", "hold-available", minimum="10.00")},
         {"op": "order", "t": 2, "order": order("o-3", "50.00", "lower-maximum", step="5.00", minimum="1.00")},
         {"op": "meter", "t": 3, "orderId": "o-1", "quantity": "12.00"},
         {"op": "complete", "t": 4, "orderId": "o-1"},
     ]},
    {"name": "a hold that pays for no resolution step is not placed",
     "server": server(), "wallets": {"alice": "0.01"},
     "steps": [
         {"op": "order", "t": 0, "order": order("o-1", "20.00", "hold-available")},
     ]},
    {"name": "a zero amount is never held, even where the tariff's rounding makes the first steps free",
     "server": server(), "wallets": {"alice": "3.00"},
     "steps": [
         {"op": "order", "t": 0, "order": order("o-1", "20.00", "lower-maximum", t=CHEAP, step="5.00")},
         {"op": "order", "t": 1, "order": order("o-2", "20.00", "lower-maximum", t=CHEAP, step="1.00")},
     ]},
    {"name": "EV charging, tax included: tariff change to peak with an increment that keeps the limit",
     "server": server(duration=3600), "wallets": {"alice": "40.00"},
     "steps": [
         {"op": "order", "t": 0, "order": order("o-1", "25.00", t=EV)},
         {"op": "meter", "t": 600, "orderId": "o-1", "quantity": "12.345"},
         {"op": "tariffChange", "t": 601, "orderId": "o-1", "tariff": EV_PEAK},
         {"op": "meter", "t": 602, "orderId": "o-1", "quantity": "12.345"},
         {"op": "meter", "t": 1800, "orderId": "o-1", "quantity": "40.001"},
         {"op": "complete", "t": 1801, "orderId": "o-1"},
     ]},
    {"name": "EV charging, tax excluded: two tariff changes, the second one cheaper (no increment)",
     "server": server(duration=3600), "wallets": {"alice": "100.00"},
     "steps": [
         {"op": "order", "t": 0, "order": order("o-1", "30.00", t=EV_NET)},
         {"op": "meter", "t": 100, "orderId": "o-1", "quantity": "10.000"},
         {"op": "tariffChange", "t": 101, "orderId": "o-1", "tariff": EV_NET_PEAK},
         {"op": "meter", "t": 200, "orderId": "o-1", "quantity": "20.000"},
         {"op": "tariffChange", "t": 201, "orderId": "o-1", "tariff": EV_NET},
         {"op": "meter", "t": 300, "orderId": "o-1", "quantity": "55.555"},
         {"op": "complete", "t": 301, "orderId": "o-1"},
         {"op": "resend", "t": 302},
     ]},
    {"name": "increment declined: the tariff is recorded, the limit shrinks",
     "server": server(), "wallets": {"alice": "50.00"},
     "steps": [
         {"op": "order", "t": 0, "order": order("o-1", "50.00")},
         {"op": "meter", "t": 10, "orderId": "o-1", "quantity": "10.00"},
         {"op": "tariffChange", "t": 11, "orderId": "o-1", "tariff": FUEL_UP},
         {"op": "meter", "t": 12, "orderId": "o-1", "quantity": "25.71"},
         {"op": "meter", "t": 13, "orderId": "o-1", "quantity": "25.70"},
         {"op": "complete", "t": 14, "orderId": "o-1"},
     ]},
    {"name": "a cheaper tariff needs no increment and raises the limit",
     "server": server(), "wallets": {"alice": "50.00"},
     "steps": [
         {"op": "order", "t": 0, "order": order("o-1", "50.00")},
         {"op": "meter", "t": 10, "orderId": "o-1", "quantity": "10.00"},
         {"op": "tariffChange", "t": 11, "orderId": "o-1", "tariff": FUEL_DOWN},
         {"op": "meter", "t": 12, "orderId": "o-1", "quantity": "28.37"},
         {"op": "complete", "t": 14, "orderId": "o-1"},
     ]},
    {"name": "extend, then an earlier deadline refused, then expiry and a late completion (policy reject)",
     "server": server(), "wallets": {"alice": "100.00"},
     "steps": [
         {"op": "order", "t": 0, "order": order("o-1", "50.00")},
         {"op": "extend", "t": 100, "orderId": "o-1", "expiresAt": 1800},
         {"op": "extend", "t": 101, "orderId": "o-1", "expiresAt": 1700},
         {"op": "meter", "t": 200, "orderId": "o-1", "quantity": "10.00"},
         {"op": "expire", "t": 1000},
         {"op": "expire", "t": 1800},
         {"op": "meter", "t": 1801, "orderId": "o-1", "quantity": "11.00"},
         {"op": "complete", "t": 1900, "orderId": "o-1"},
         {"op": "resend", "t": 1901},
     ]},
    {"name": "expiry, then a late completion charged as a new transfer (policy charge-if-funds)",
     "server": server("charge-if-funds"), "wallets": {"alice": "100.00"},
     "steps": [
         {"op": "order", "t": 0, "order": order("o-1", "50.00")},
         {"op": "meter", "t": 100, "orderId": "o-1", "quantity": "10.00"},
         {"op": "meter", "t": 900, "orderId": "o-1", "quantity": "11.00"},
         {"op": "complete", "t": 950, "orderId": "o-1"},
     ]},
    {"name": "a late completion without funds (policy charge-if-funds): nothing charged",
     "server": server("charge-if-funds"), "wallets": {"alice": "50.00"},
     "steps": [
         {"op": "order", "t": 0, "order": order("o-1", "50.00")},
         {"op": "meter", "t": 10, "orderId": "o-1", "quantity": "10.00"},
         {"op": "expire", "t": 900},
         {"op": "order", "t": 901, "order": order("o-2", "50.00")},
         {"op": "complete", "t": 902, "orderId": "o-1"},
     ]},
    {"name": "an expired hold refuses a tariff change and an extension",
     "server": server(), "wallets": {"alice": "100.00"},
     "steps": [
         {"op": "order", "t": 0, "order": order("o-1", "50.00")},
         {"op": "meter", "t": 10, "orderId": "o-1", "quantity": "10.00"},
         {"op": "tariffChange", "t": 900, "orderId": "o-1", "tariff": FUEL_UP},
         {"op": "extend", "t": 901, "orderId": "o-1", "expiresAt": 2000},
         {"op": "complete", "t": 902, "orderId": "o-1"},
     ]},
    {"name": "rejections: tampered order, unknown wallet, order id reused, readings out of order, nothing delivered",
     "server": server(), "wallets": {"alice": "100.00"},
     "steps": [
         {"op": "order", "t": 0, "order": order("o-1", "50.00"), "tamper": True},
         {"op": "order", "t": 1, "order": order("o-2", "10.00", wallet="bob")},
         {"op": "order", "t": 2, "order": order("o-3", "50.00")},
         {"op": "order", "t": 3, "order": order("o-3", "20.00"), "fresh": True},
         {"op": "meter", "t": 4, "orderId": "o-3", "quantity": "5.00"},
         {"op": "meter", "t": 5, "orderId": "o-3", "quantity": "4.99"},
         {"op": "meter", "t": 3, "orderId": "o-3", "quantity": "6.00"},
         {"op": "meter", "t": 6, "orderId": "o-3", "quantity": "6.001"},
         {"op": "order", "t": 7, "order": order("o-4", "0.00"), "error": "INVALID_ARGUMENT"},
         {"op": "order", "t": 8, "order": order("o-5", "50.00", "lower-maximum"), "error": "INVALID_ARGUMENT"},
         {"op": "order", "t": 9, "order": order("o-6", "10.00")},
         {"op": "complete", "t": 10, "orderId": "o-6"},
         {"op": "complete", "t": 11, "orderId": "o-3"},
     ]},
]

DESCRIPTION = (
    "countersign energy purchase scenarios (System 3): the terminal (EnergyTerminal) and the e-money server "
    "(EnergyServer) run step by step, messages crossing as signed envelopes; run by cargo test "
    "(core/tests/energy_vectors.rs) and through the SDK (sdk-ts/test/energy-vectors.test.mjs). Written by "
    "generate_sessions.py from an independent model (integer minor units, exact fractions). Each scenario: `server` "
    "{currency, holdDurationS, lateCompletion: reject | charge-if-funds}; `wallets` {walletId: top-up}; one terminal "
    "of station-1; `steps`, each with `t` (seconds after 1767225600) and `op`: order {order} (the terminal builds and "
    "signs it, the server answers; `tamper`: flip the envelope's last byte before sending; `fresh`: from a terminal "
    "that never saw this order id; `error`: the terminal refuses to build it with this error code); meter {orderId, "
    "quantity} (terminal only); tariffChange {orderId, tariff} (the terminal asks for the increment that keeps its "
    "limit: cost so far + cost of (limit - delivered) at the new tariff - held, when positive); extend {orderId, "
    "expiresAt (relative)}; expire (the server expires due holds); complete {orderId} (readings so far; the server "
    "captures or applies the late policy; the terminal verifies the receipt); resend (the last signed request again: "
    "the server answers with the stored bytes, repeated). A server refusal without a signed answer makes the terminal "
    "abandon the request. `expect`: `code` (the server's for server steps, the terminal's for meter), and when present "
    "held / maxQuantity / increments / expiresAt (absolute) from the terminal's session after the step, increment "
    "(the amount the terminal asked for), expired (order ids), receipt fields (late, quantity, segments [{fromQuantity, "
    "toQuantity, quantity, cost}], cost, held, captured, released, uncollected, readings = count), repeated, and "
    "`wallets` {walletId: {balance, available}} and `station` (the station's settlement balance) after every step. "
    "Rules: policy decline / hold-available / lower-maximum (available rounded down to a multiple of step), then "
    "BELOW_MINIMUM, HOLD_TOO_SMALL (no resolution step fits); the limit is the largest total quantity whose cost over "
    "the tariff segments fits the held amount; a delivery's cost is the sum of each segment's cost, each rounded once; "
    "on completion min(cost, pending) is captured and the rest released; after expiry: reject charges nothing, "
    "charge-if-funds transfers min(cost, held) if available."
)


def main():
    doc = {"description": DESCRIPTION, "start": T0, "scenarios": [run(copy.deepcopy(s)) for s in SCENARIOS]}
    with open(os.path.join(HERE, "sessions.json"), "w") as f:
        json.dump(doc, f, indent=1, ensure_ascii=False)
        f.write("\n")


if __name__ == "__main__":
    main()
