#!/usr/bin/env python3
"""Writes accounts.json: the temporary-account service scenarios (System 2).

An independent model of the rules documented in core/src/tempcard/account.rs, in Python with
`decimal` (exact, ROUND_FLOOR for the reduced limit) and the credential helpers of generate.py
(PAN draw, CVV derivation: hmac/hashlib, no Rust code). It keeps its own parent credit lines,
holds and settlement balance, so the expectations are not the core's own output. Run from
anywhere: `python3 tests/vectors/tempcard/generate_accounts.py`.
"""
import json
import os
import sys
from decimal import ROUND_FLOOR, Decimal

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from generate import cvv, draw_pan, expiry_of, rand, ts  # noqa: E402

CENT = Decimal("0.01")
KEY = bytes(range(32))
SNAPSHOT_KEY = bytes([0x5A] * 32)
BIN = {"low": "45717360", "high": "45717369", "panLength": 16}
T0 = ts(2026, 12, 10, 9, 30)
HOUR = 3600
CVV_FAILURES_MAX = 5


def money(d):
    return f"{d.quantize(CENT):.2f}"


def mask(pan):
    return "".join(c if i < 6 or i + 4 >= len(pan) else "*" for i, c in enumerate(pan))


class Model:
    def __init__(self, start):
        self.clock = start  # the ledger's clock: the latest effective time of a ledger operation
        self.parents = {}  # id -> {"limit", "balance"}
        self.settlement = Decimal(0)
        self.accounts = {}
        self.pans = {}

    def eff(self, now):
        return max(now, self.clock)

    def ledger_op(self, now):
        self.clock = max(self.clock, now)

    # Derived ledger figures.
    def pending(self, parent):
        return sum((a["hold"] for a in self.accounts.values() if a["parent"] == parent and a["holdState"] == "pending"), Decimal(0))

    def parent_available(self, parent):
        p = self.parents[parent]
        return p["balance"] - self.pending(parent) + p["limit"]

    def expire_parent_holds(self, parent, now):
        # The ledger expires the debit account's overdue holds before a funds check.
        for a in self.accounts.values():
            if a["parent"] == parent and a["holdState"] == "pending" and a["until"] <= now:
                a["holdState"], a["released"], a["hold"] = "expired", a["hold"], Decimal(0)

    def view(self, aid, now):
        a = self.accounts[aid]
        closed = a["closure"] is not None
        return {
            "status": "closed" if closed else "open",
            "temporaryLimit": money(a["limit"]),
            "available": money(Decimal(0) if closed or a["holdState"] != "pending" else a["hold"]),
            "spent": money(a["spent"]),
            "refunded": money(a["refunded"]),
            "uses": a["uses"],
            "cvvFailures": sum(1 for rec in a["auths"].values() if rec["result"]["code"] == "CVV_INVALID"),
            "merchantLock": a["lock"],
            "maskedPan": mask(a["pan"]),
            "expiry": a["expiry"],
            "closure": None if not closed else {"reason": a["closure"][0], "released": money(a["closure"][1])},
            "parent": {
                "available": money(self.parent_available(a["parent"])),
                "balance": money(self.parents[a["parent"]]["balance"]),
            },
        }

    def approve(self, req, randomness):
        now = self.eff(req["now"])
        aid, pid = req["accountId"], req["parentAccountId"]
        if aid in self.accounts:
            return {"code": "ACCOUNT_EXISTS", "account": None}
        if req["usableWindow"]["until"] <= now:
            return {"code": "USABLE_WINDOW_CLOSED", "account": None}
        approved = Decimal(req["approvedLimit"])
        limit = approved
        if "limitFraction" in req:
            limit = min(limit, (approved * Decimal(req["limitFraction"])).quantize(CENT, rounding=ROUND_FLOOR))
        if "limitCap" in req:
            limit = min(limit, Decimal(req["limitCap"]))
        if limit == 0:
            return {"code": "TEMPORARY_LIMIT_ZERO", "account": None}
        if pid in self.parents and self.parents[pid]["limit"] != approved:
            return {"code": "PARENT_MISMATCH", "account": None}
        if any(a["parent"] == pid and a["closure"] is None and now < a["until"] for a in self.accounts.values()):
            return {"code": "PARENT_HAS_OPEN_TEMPORARY", "account": None}
        issued = {a["pan"] for a in self.accounts.values() if a["parent"] == pid} | set(req.get("issuedPans", []))
        code, pan, _ = draw_pan(BIN["low"], BIN["high"], BIN["panLength"], randomness, issued)
        if code != "ISSUED":
            return {"code": code, "account": None}
        if pan in self.pans:
            return {"code": "PAN_COLLISION", "account": None}
        new_parent = pid not in self.parents
        if new_parent:
            self.parents[pid] = {"limit": approved, "balance": Decimal(0)}
        self.expire_parent_holds(pid, now)
        if limit > self.parent_available(pid):
            if new_parent:
                del self.parents[pid]
            return {"code": "PARENT_CREDIT_INSUFFICIENT", "account": None}
        y, m, expires_at = expiry_of(req["usableWindow"]["until"])
        self.accounts[aid] = {
            "parent": pid, "pan": pan, "expiry": f"{m:02d}/{y % 100:02d}", "expiresAt": expires_at,
            "display": req["displayWindow"], "from": req["usableWindow"]["from"], "until": req["usableWindow"]["until"],
            "limit": limit, "hold": limit, "holdState": "pending", "released": Decimal(0),
            "maxUses": req.get("maxUses"), "lock": req.get("merchantLock"), "lockFirst": req.get("lockToFirstMerchant", False),
            "uses": 0, "spent": Decimal(0), "refunded": Decimal(0), "closure": None, "auths": {}, "refunds": {},
        }
        self.pans[pan] = aid
        self.ledger_op(now)
        return {"code": "TEMPORARY_ACCOUNT_OPENED", "account": self.view(aid, now)}

    def close(self, aid, reason, now):
        a = self.accounts[aid]
        if a["holdState"] == "pending":
            released = a["hold"]
            a["holdState"] = "voided" if now < a["until"] else "expired"
            a["hold"] = Decimal(0)
            self.ledger_op(now)
        elif a["holdState"] == "expired":
            released = a["released"]
        else:
            released = Decimal(0)
        a["closure"] = (reason, released)

    def reveal(self, aid, now):
        now = self.eff(now)
        if aid not in self.accounts:
            return {"code": "UNKNOWN_ACCOUNT", "pan": None, "expiry": None, "cvv": None}
        a = self.accounts[aid]
        if a["closure"] is not None:
            return {"code": "ACCOUNT_CLOSED", "pan": None, "expiry": None, "cvv": None}
        if now < a["display"]["from"]:
            return {"code": "DISPLAY_NOT_YET_OPEN", "pan": None, "expiry": None, "cvv": None}
        if now >= a["display"]["until"]:
            return {"code": "DISPLAY_CLOSED", "pan": None, "expiry": None, "cvv": None}
        return {"code": "DISPLAY_ALLOWED", "pan": a["pan"], "expiry": a["expiry"], "cvv": cvv(KEY, a["pan"], a["expiresAt"])}

    def authorise(self, req):
        now = self.eff(req["now"])
        out = {"code": None, "approved": False, "repeated": False, "accountId": None, "available": None, "uses": None}
        aid = self.pans.get(req["pan"])
        if aid is None:
            return {**out, "code": "UNKNOWN_PAN"}
        a = self.accounts[aid]
        amount = Decimal(req["amount"])
        fingerprint = (amount, req["currency"], req["merchantId"])
        if req["authorisationId"] in a["auths"]:
            rec = a["auths"][req["authorisationId"]]
            if rec["fingerprint"] == fingerprint:
                return {**rec["result"], "repeated": True}
            return {**out, "code": "AUTHORISATION_ID_CONFLICT", "accountId": aid}
        shown_cvv = cvv(KEY, a["pan"], a["expiresAt"])
        close_now = False
        failures = sum(1 for rec in a["auths"].values() if rec["result"]["code"] == "CVV_INVALID")
        if failures >= CVV_FAILURES_MAX:
            code = "CVV_TRIES_EXCEEDED"
        elif req["expiry"] != a["expiry"]:
            code = "EXPIRY_MISMATCH"
        elif len(req["cvv"]) != 3 or not req["cvv"].isdigit():
            code = "CVV_MALFORMED"
        elif req["cvv"] != shown_cvv:
            code = "CVV_INVALID"
        elif a["closure"] is not None and a["closure"][0] == "activation":
            code = "ACCOUNT_CLOSED"
        elif a["closure"] is not None:
            code = "EXPIRED" if now >= a["expiresAt"] else "USABLE_WINDOW_CLOSED"
        elif now >= a["expiresAt"] or now < a["from"] or now >= a["until"]:
            code = "EXPIRED" if now >= a["expiresAt"] else "NOT_YET_USABLE" if now < a["from"] else "USABLE_WINDOW_CLOSED"
            close_now = a["closure"] is None and now >= a["until"]
        elif req["currency"] != "EUR":
            code = "CURRENCY_MISMATCH"
        elif amount <= 0:
            code = "AMOUNT_NOT_POSITIVE"
        elif a["lock"] is not None and a["lock"] != req["merchantId"]:
            code = "MERCHANT_LOCKED"
        elif a["maxUses"] is not None and a["uses"] >= a["maxUses"]:
            code = "SINGLE_USE_SPENT" if a["maxUses"] == 1 else "USES_EXHAUSTED"
        elif a["holdState"] != "pending" or amount > a["hold"]:
            code = "INSUFFICIENT_TEMPORARY_CREDIT"
        else:
            code = "APPROVED"
        if close_now:
            self.close(aid, "windowEnd", now)
        captured = Decimal(0)
        if code == "APPROVED":
            a["hold"] -= amount
            if a["hold"] == 0:
                a["holdState"] = "posted"
            self.parents[a["parent"]]["balance"] -= amount
            self.settlement += amount
            self.ledger_op(now)
            a["uses"] += 1
            a["spent"] += amount
            captured = amount
            if a["lockFirst"] and a["lock"] is None:
                a["lock"] = req["merchantId"]
        available = a["hold"] if a["holdState"] == "pending" and a["closure"] is None else Decimal(0)
        result = {**out, "code": code, "approved": code == "APPROVED", "accountId": aid, "available": money(available), "uses": a["uses"]}
        a["auths"][req["authorisationId"]] = {"fingerprint": fingerprint, "result": result, "captured": captured, "refunded": Decimal(0)}
        return result

    def refund(self, req):
        now = self.eff(req["now"])
        out = {"code": None, "repeated": False, "accountId": None, "creditedAccountId": None, "afterClosure": False}
        aid = self.pans.get(req["pan"])
        if aid is None:
            return {**out, "code": "UNKNOWN_PAN"}
        a = self.accounts[aid]
        amount = Decimal(req["amount"])
        fingerprint = (req["authorisationId"], amount, req["currency"])
        if req["refundId"] in a["refunds"]:
            rec = a["refunds"][req["refundId"]]
            if rec["fingerprint"] == fingerprint:
                return {**rec["result"], "repeated": True}
            return {**out, "code": "REFUND_ID_CONFLICT", "accountId": aid}
        after = a["closure"] is not None or now >= a["until"]
        purchase = a["auths"].get(req["authorisationId"])
        if purchase is None or purchase["result"]["code"] != "APPROVED":
            code = "UNKNOWN_AUTHORISATION"
        elif req["currency"] != "EUR":
            code = "CURRENCY_MISMATCH"
        elif amount <= 0:
            code = "AMOUNT_NOT_POSITIVE"
        elif amount > purchase["captured"] - purchase["refunded"]:
            code = "REFUND_EXCEEDS_PURCHASE"
        else:
            code = "REFUNDED_TO_PARENT"
            self.settlement -= amount
            self.parents[a["parent"]]["balance"] += amount
            self.ledger_op(now)
            purchase["refunded"] += amount
            a["refunded"] += amount
        result = {**out, "code": code, "accountId": aid, "afterClosure": after,
                  "creditedAccountId": a["parent"] if code == "REFUNDED_TO_PARENT" else None}
        a["refunds"][req["refundId"]] = {"fingerprint": fingerprint, "result": result}
        return result

    def activate(self, aid, now):
        now = self.eff(now)
        if aid not in self.accounts:
            return {"code": "UNKNOWN_ACCOUNT", "closure": None}
        a = self.accounts[aid]
        if a["closure"] is None:
            reason = "windowEnd" if now >= a["until"] else "activation"
            self.close(aid, reason, now)
            code = "CLOSED_AT_WINDOW_END" if reason == "windowEnd" else "CLOSED_ON_ACTIVATION"
        else:
            code = "ALREADY_CLOSED"
        return {"code": code, "closure": {"reason": a["closure"][0], "released": money(a["closure"][1])}}

    def close_due(self, now):
        now = self.eff(now)
        due = sorted((a["until"], aid) for aid, a in self.accounts.items() if a["closure"] is None and a["until"] <= now)
        for _, aid in due:
            self.close(aid, "windowEnd", now)
        return {"code": "DUE_ACCOUNTS_CLOSED", "closed": [aid for _, aid in due]}


class Scenario:
    def __init__(self, name, note, start=T0 - 60):
        self.model = Model(start)
        self.doc = {"name": name, "note": note, "start": start, "steps": []}

    def step(self, op, expect=None, note=None, **fields):
        s = {"op": op, **fields}
        if note:
            s["note"] = note
        s["expect"] = expect
        self.doc["steps"].append(s)
        return expect

    def error(self, op, code, param, note, **fields):
        self.doc["steps"].append({"op": op, **fields, "note": note, "error": code, "param": param})

    def approve(self, req, label, note=None):
        randomness = rand(label)
        return self.step("approve", self.model.approve(req, randomness), note, request=req, randomness=randomness.hex())

    def reveal(self, aid, now, note=None):
        return self.step("reveal", self.model.reveal(aid, now), note, accountId=aid, now=now)

    def shown(self, aid):
        a = self.model.accounts[aid]
        return a["pan"], a["expiry"], cvv(KEY, a["pan"], a["expiresAt"])

    def buy(self, aid, auth, amount, merchant, now, note=None, currency="EUR", **override):
        pan, expiry, code = self.shown(aid)
        req = {"authorisationId": auth, "pan": pan, "expiry": expiry, "cvv": code, "amount": amount,
               "currency": currency, "merchantId": merchant, "now": now}
        req.update(override)
        return self.step("authorise", self.model.authorise(req), note, request=req)

    def refund(self, aid, rid, auth, amount, now, note=None, currency="EUR"):
        req = {"refundId": rid, "pan": self.model.accounts[aid]["pan"], "authorisationId": auth,
               "amount": amount, "currency": currency, "now": now}
        return self.step("refund", self.model.refund(req), note, request=req)

    def activate(self, aid, now, note=None):
        return self.step("activate", self.model.activate(aid, now), note, accountId=aid, now=now)

    def close_due(self, now, note=None):
        return self.step("closeDue", self.model.close_due(now), note, now=now)

    def view(self, aid, now, note=None):
        return self.step("view", self.model.view(aid, now), note, accountId=aid, now=now)

    def snapshot(self, note="snapshot, restore, continue with the restored service"):
        self.doc["steps"].append({"op": "snapshotRestore", "note": note})


def approval(aid, parent, approved, now=T0, fraction=None, cap=None, display=(0, 600), usable=(0, HOUR), **extra):
    req = {"accountId": aid, "parentAccountId": parent, "approvedLimit": approved,
           "displayWindow": {"from": now + display[0], "until": now + display[1]},
           "usableWindow": {"from": now + usable[0], "until": now + usable[1]}, "now": now}
    if fraction is not None:
        req["limitFraction"] = fraction
    if cap is not None:
        req["limitCap"] = cap
    req.update(extra)
    return req


def scenarios():
    out = []

    s = Scenario("fraction-purchases-until-the-limit", "approval with a fraction (1234.57 x 0.25 = 308.6425 -> 308.64, rounded down) and a higher cap; reveal inside and outside the display window; purchases until the temporary limit; the parent's available credit never moves on a purchase")
    s.approve(approval("tmp-1", "acct-1", "1234.57", fraction="0.25", cap="500", display=(30, 600)), "s1")
    s.reveal("tmp-1", T0 + 10, "before the display window (it opens 30 s after approval)")
    s.reveal("tmp-1", T0 - 100, "a clock behind the ledger's (T0) is moved up to it: still before the display window")
    s.reveal("tmp-1", T0 + 30, "inside: PAN, MM/YY and the CVV derived from the key")
    s.reveal("tmp-1", T0 + 600, "the display window has closed (the usable one has not)")
    s.buy("tmp-1", "a1", "100", "m-1", T0 + 700)
    s.buy("tmp-1", "a2", "200.00", "m-2", T0 + 710)
    s.buy("tmp-1", "a3", "8.65", "m-1", T0 + 720, "one cent over the temporary available credit (8.64)")
    s.buy("tmp-1", "a4", "8.64", "m-1", T0 + 730, "exactly what is left: the hold is consumed whole")
    s.buy("tmp-1", "a5", "0.01", "m-1", T0 + 740, "nothing left")
    s.view("tmp-1", T0 + 750, "parent: 1234.57 - 308.64 reserved = 925.93 available; balance -308.64")
    out.append(s.doc)

    s = Scenario("cap-below-fraction", "the cap is lower than the fraction: 1000 x 0.5 = 500 -> capped at 120.50")
    s.approve(approval("tmp-2", "acct-2", "1000", fraction="0.5", cap="120.5"), "s2")
    s.buy("tmp-2", "b1", "120.50", "m", T0 + 5)
    s.view("tmp-2", T0 + 6)
    out.append(s.doc)

    s = Scenario("decline-codes-in-order", "each decline with its code; the credentials are checked before the time and the state; the usable window opens 60 s after approval; merchant-locked to m-lock")
    s.approve(approval("tmp-3", "acct-3", "800", fraction="0.5", usable=(60, HOUR), merchantLock="m-lock"), "s3")
    later = T0 + 120
    pan, expiry, good = s.shown("tmp-3")
    wrong = "000" if good != "000" else "001"
    s.buy("tmp-3", "d1", "1", "m-lock", later, "a PAN no temporary account has", pan="4571736000000000")
    s.buy("tmp-3", "d2", "1", "m-lock", later, "wrong MM/YY", expiry="01/30")
    s.buy("tmp-3", "d3", "1", "m-lock", later, "CVV of two digits", cvv="12")
    s.buy("tmp-3", "d4", "1", "m-lock", T0 + 10, "wrong CVV before the window opens: the CVV is checked first", cvv=wrong)
    s.buy("tmp-3", "d5", "1", "m-lock", T0 + 10, "right credentials, window not open yet")
    s.buy("tmp-3", "d6", "1", "m-lock", later, "another currency", currency="USD")
    s.buy("tmp-3", "d7", "0", "m-lock", later, "zero")
    s.buy("tmp-3", "d8", "-5", "m-lock", later, "negative")
    s.buy("tmp-3", "d9", "1", "m-other", later, "another merchant")
    s.buy("tmp-3", "d10", "400.01", "m-lock", later, "over the temporary available credit (400.00)")
    s.buy("tmp-3", "d11", "399.99", "m-lock", later)
    s.buy("tmp-3", "d11", "399.99", "m-lock", later + 50, "the same authorisation id again: the stored answer, charged once")
    s.buy("tmp-3", "d11", "1", "m-lock", later + 60, "the same id, another amount: conflict, nothing recorded")
    s.buy("tmp-3", "d4", "1", "m-lock", later + 70, "a declined id with the right CVV now: still the stored decline (use a new id)")
    s.view("tmp-3", later + 80)
    out.append(s.doc)

    s = Scenario("cvv-guessing-locks-the-account", "after 5 wrong CVVs the account declines everything with CVV_TRIES_EXCEEDED, the right CVV included; malformed CVVs do not count")
    s.approve(approval("tmp-g", "acct-g", "500", cap="100"), "sg")
    pan, expiry, good = s.shown("tmp-g")
    wrong = f"{(int(good) + 1) % 1000:03d}"
    for i in range(4):
        s.buy("tmp-g", f"g{i}", "1", "m", T0 + 10 + i, f"wrong CVV {i + 1}", cvv=wrong)
    s.buy("tmp-g", "g-mal", "1", "m", T0 + 20, "a malformed CVV is not a guess", cvv="1a3")
    s.buy("tmp-g", "g-ok", "1", "m", T0 + 21, "the right CVV still works after 4 wrong ones")
    s.buy("tmp-g", "g4", "1", "m", T0 + 22, "wrong CVV 5", cvv=wrong)
    s.buy("tmp-g", "g-locked", "1", "m", T0 + 23, "locked: the right CVV is declined too")
    s.view("tmp-g", T0 + 24)
    out.append(s.doc)

    s = Scenario("single-use", "maxUses 1: the second purchase is SINGLE_USE_SPENT even with credit left")
    s.approve(approval("tmp-4", "acct-4", "300", cap="50", maxUses=1), "s4")
    s.buy("tmp-4", "s1", "10", "m", T0 + 1)
    s.buy("tmp-4", "s2", "10", "m", T0 + 2)
    s.view("tmp-4", T0 + 3)
    out.append(s.doc)

    s = Scenario("n-use-first-merchant-lock", "maxUses 3 and locked to the first merchant paid; declines do not count as uses")
    s.approve(approval("tmp-5", "acct-5", "300", fraction="0.1", maxUses=3, lockToFirstMerchant=True), "s5")
    s.buy("tmp-5", "n1", "5", "m-a", T0 + 1)
    s.buy("tmp-5", "n2", "5", "m-b", T0 + 2, "another merchant after the first purchase")
    s.buy("tmp-5", "n3", "5", "m-a", T0 + 3)
    s.buy("tmp-5", "n4", "25", "m-a", T0 + 4, "over the available 20.00: declined, not a use")
    s.buy("tmp-5", "n5", "5", "m-a", T0 + 5)
    s.buy("tmp-5", "n6", "5", "m-a", T0 + 6, "third use done")
    s.view("tmp-5", T0 + 7)
    out.append(s.doc)

    s = Scenario("activation-closure-and-refunds", "a refund before closure goes to the parent (the temporary credit is not restored); activation of the physical card closes and releases the unused hold; declines and a refund after closure")
    s.approve(approval("tmp-6", "acct-6", "2000", fraction="0.15", cap="400"), "s6")
    s.buy("tmp-6", "p1", "120", "m", T0 + 10)
    s.refund("tmp-6", "r1", "p1", "20", T0 + 20, "before closure: to the parent")
    s.refund("tmp-6", "r1", "p1", "20", T0 + 21, "repeated refund id: the stored answer")
    s.refund("tmp-6", "r1", "p1", "21", T0 + 22, "the same refund id, another amount")
    s.refund("tmp-6", "r2", "p1", "100.01", T0 + 23, "more than what is left of the purchase (100.00)")
    s.refund("tmp-6", "r3", "nope", "1", T0 + 24, "no such approved purchase")
    s.view("tmp-6", T0 + 25, "available stays 180.00; the parent owes 100.00")
    s.snapshot()
    s.activate("tmp-6", T0 + 30, "physical card activated: releases 180.00")
    s.activate("tmp-6", T0 + 31, "again")
    s.buy("tmp-6", "p2", "1", "m", T0 + 40, "after closure")
    s.reveal("tmp-6", T0 + 41, "nothing is shown after closure")
    s.refund("tmp-6", "r4", "p1", "100", T0 + 50, "after closure: to the parent as well")
    s.view("tmp-6", T0 + 60, "the parent is back to its full 2000.00")
    s.activate("nope", T0 + 61)
    out.append(s.doc)

    s = Scenario("window-end-closure", "at the end of the usable window the hold expires: closeDue closes due accounts, an authorisation after the window closes its account itself, an activation after the window closes as at window end")
    s.approve(approval("tmp-7", "acct-7", "500", cap="100"), "s7")
    s.approve(approval("tmp-8", "acct-8", "500", cap="60", usable=(0, 2 * HOUR)), "s8")
    s.approve(approval("tmp-9", "acct-9", "500", cap="70", usable=(0, 2 * HOUR)), "s9")
    s.buy("tmp-7", "w1", "30", "m", T0 + 100)
    s.buy("tmp-8", "w2", "15", "m", T0 + 100)
    s.close_due(T0 + HOUR - 1, "nothing due yet")
    s.buy("tmp-7", "w3", "1", "m", T0 + HOUR, "the first second after the window: declined and closed")
    s.close_due(T0 + HOUR + 5, "tmp-7 is already closed")
    s.refund("tmp-8", "rw", "w2", "5", T0 + HOUR + 10, "before tmp-8's closure")
    s.close_due(T0 + 2 * HOUR, "both others due")
    s.view("tmp-7", T0 + 2 * HOUR)
    s.view("tmp-8", T0 + 2 * HOUR)
    s.view("tmp-9", T0 + 2 * HOUR)
    s.buy("tmp-8", "w4", "1", "m", T0 + 2 * HOUR + 1, "after closure at window end")
    s.refund("tmp-8", "rw2", "w2", "10", T0 + 2 * HOUR + 2, "after closure: to the parent")
    s.activate("tmp-8", T0 + 2 * HOUR + 3)
    out.append(s.doc)

    s = Scenario("window-end-with-a-clock-behind", "a fully spent account closes at window end without a ledger operation (nothing left to release), so the ledger's clock stays behind; a later request with an earlier clock is still refused as past the window, not judged on the account's credit")
    s.approve(approval("tmp-c", "acct-c", "100", cap="40"), "sc")
    s.buy("tmp-c", "c1", "40", "m", T0 + 10, "spends it all: the hold is resolved")
    s.close_due(T0 + HOUR, "closes tmp-c; no hold left to expire")
    s.buy("tmp-c", "c2", "1", "m", T0 + 20, "a terminal clock behind the closure")
    s.view("tmp-c", T0 + 30)
    out.append(s.doc)

    s = Scenario("approval-refusals", "approval outcomes that change nothing, a reused parent after closure (new PAN, unlike its earlier one), and malformed approvals")
    s.approve(approval("tmp-10", "acct-10", "1000", fraction="0.6"), "s10")
    s.approve(approval("tmp-10", "acct-11", "1000", fraction="0.5"), "s10b", "the account id exists")
    s.approve(approval("tmp-11", "acct-10", "1000", fraction="0.5"), "s11", "the parent has an open temporary account")
    s.approve(approval("tmp-12", "acct-10", "900", fraction="0.5"), "s12", "the parent exists with another limit")
    s.approve(approval("tmp-13", "acct-13", "0.01", fraction="0.5"), "s13", "0.01 x 0.5 = 0.005 -> 0.00")
    s.approve(approval("tmp-14", "acct-14", "100", fraction="0.5", now=T0 + HOUR, usable=(-HOUR, 0), display=(-HOUR, -10)), "s14", "the usable window already ended")
    s.buy("tmp-10", "x1", "550", "m", T0 + 10)
    s.activate("tmp-10", T0 + 20)
    s.approve(approval("tmp-15", "acct-10", "1000", now=T0 + 30, cap="500"), "s15", "parent available 450.00 < 500")
    s.approve(approval("tmp-16", "acct-10", "1000", now=T0 + 40, cap="450"), "s16", "exactly the parent's available credit")
    s.view("tmp-16", T0 + 41)
    s.error("approve", "INVALID_ARGUMENT", "limitFraction", "a fraction above 1", request=approval("tmp-17", "acct-17", "100", fraction="1.5"), randomness=rand("s17").hex())
    s.error("approve", "INVALID_ARGUMENT", "limitFraction", "neither fraction nor cap", request=approval("tmp-17", "acct-17", "100"), randomness=rand("s17").hex())
    s.error("approve", "AMOUNT_PRECISION", "approvedLimit", "more fraction digits than EUR has", request=approval("tmp-17", "acct-17", "100.001", cap="5"), randomness=rand("s17").hex())
    s.error("approve", "INVALID_ARGUMENT", "maxUses", "zero uses", request=approval("tmp-17", "acct-17", "100", cap="5", maxUses=0), randomness=rand("s17").hex())
    s.error("approve", "INVALID_ARGUMENT", "displayWindow", "the display window ends after the usable one", request=approval("tmp-17", "acct-17", "100", cap="5", display=(0, HOUR + 1)), randomness=rand("s17").hex())
    out.append(s.doc)
    return out


def main():
    doc = {
        "description": (
            "countersign temporary-account service scenarios (System 2), run by cargo test (core/tests/tempcard_vectors.rs) "
            "and through the SDK (sdk-ts/test/tempcard-vectors.test.mjs); written by generate_accounts.py, an independent "
            "Python model with decimal arithmetic. Each scenario creates a service with `config` at `start` and runs its "
            "`steps` in order on it; the CVV key is `cvvKey` (hex), the snapshot key `snapshotKey`. Steps: approve "
            "{request (ApprovalRequest JSON), randomness hex} -> {code, account: view subset | null}; reveal {accountId, now} "
            "-> {code, pan, expiry, cvv}; authorise {request (AuthorisationRequest JSON)} -> {code, approved, repeated, "
            "accountId, available, uses}; refund {request} -> {code, repeated, accountId, creditedAccountId, afterClosure}; "
            "activate {accountId, now} -> {code, closure: {reason, released} | null}; closeDue {now} -> {code, closed}; view "
            "{accountId, now} -> a subset of the account view (nested objects compared field by field); snapshotRestore: "
            "snapshot the service and continue with the restored one. A step has `expect` (every listed field must be equal; "
            "fields not listed are not compared) or `error` + `param` (a stable error code and the parameter it names). "
            "Rules: reduced limit = min(approved x fraction rounded down to the cent, cap); the hold on the parent lasts until "
            "the end of the usable window; a purchase is a partial non-final post of the hold; refunds always go to the "
            "parent; effective time is max(now, the ledger's clock)."
        ),
        "config": {"currency": "EUR", "binRange": BIN, "settlementAccountId": "settlement"},
        "cvvKey": KEY.hex(),
        "snapshotKey": SNAPSHOT_KEY.hex(),
        "scenarios": scenarios(),
    }
    with open(os.path.join(HERE, "accounts.json"), "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")
    steps = sum(len(s["steps"]) for s in doc["scenarios"])
    print(f"accounts.json: {len(doc['scenarios'])} scenarios, {steps} steps")


if __name__ == "__main__":
    main()
