#!/usr/bin/env python3
"""Writes tests/vectors/dose/escalation.json: System 9's alarm routing and escalation timelines.

An independent model written from the spec (the rustdoc of core/src/dose/escalation.rs: the
lifecycle table, *Deliveries and receipts*, *Snoozes*, *Quiet hours*, the check-order table and
*Audit log*), in plain Python: dicts and lists, hashlib for the audit chain. Each scenario is a
timeline on one router; every step's whole output (code, deliveries, retractions, audit entries
with their hashes) is written as the expectation, or the error {code, param} for a refused call.
Run: python3 tests/vectors/dose/escalation_model.py (deterministic: the same file every run)."""
import hashlib
import json
import os

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "escalation.json")

URGENT_LOW_SNOOZE_MS_MAX = 900_000
SNOOZE_MS_MAX = 14_400_000
OPEN_ALARMS_MAX = 256
CLOSED_IDS_KEPT_MAX = 1024
TIME_MS_MAX = 253_402_300_799_999


class Refused(Exception):
    def __init__(self, code, param):
        super().__init__(code, param)
        self.code, self.param = code, param


class Model:
    """The router as the rustdoc describes it."""

    def __init__(self, setup):
        self.setup = setup
        self.now = 0
        self.alarms = []  # open, in the order they opened
        self.snoozes = []  # {kind, direction, untilMs, by}
        self.closed = []
        self.next_delivery = 1
        self.seq = 0
        self.head = bytes(32)

    # -- helpers ---------------------------------------------------------------------------
    def recipients_with(self, role):
        return [r for r in self.setup["recipients"] if r["role"] == role]

    def ladder(self, signal):
        for p in self.setup["policies"]:
            if p.get("kind", signal["kind"]) == signal["kind"] and p.get("priority", signal["priority"]) == signal["priority"]:
                return p["steps"]
        raise AssertionError("the last policy matches everything")

    def quiet_end(self, now):
        q = self.setup.get("quietHours")
        if q is None:
            return None
        minute = now // 60_000
        local = (minute + q["utcOffsetMinutes"]) % 1440
        s, e = q["startMinute"], q["endMinute"]
        inside = (s <= local < e) if s < e else (local >= s or local < e)
        if not inside:
            return None
        return (minute + (e - local) % 1440) * 60_000

    def log(self, out, at, event, alarm_id, recipient=None, step=None, detail=None):
        self.seq += 1
        line = "|".join([
            str(self.seq), str(at), event, alarm_id, recipient or "",
            "" if step is None else str(step), detail or "",
        ])
        self.head = hashlib.sha256(self.head + line.encode()).digest()
        entry = {"seq": self.seq, "atMs": at, "event": event, "alarmId": alarm_id}
        if recipient is not None:
            entry["recipientId"] = recipient
        if step is not None:
            entry["step"] = step
        if detail is not None:
            entry["detail"] = detail
        entry["hash"] = self.head.hex()
        out["audit"].append(entry)

    @staticmethod
    def output():
        return {"code": None, "deliveries": [], "retractions": [], "audit": []}

    def check_now(self, now):
        if now > TIME_MS_MAX or now < self.now:
            raise Refused("INVALID_ARGUMENT", "nowMs")

    def known(self, rid):
        if not any(r["id"] == rid for r in self.setup["recipients"]):
            raise Refused("INVALID_ARGUMENT", "recipientId")

    def order(self, rid):
        return [r["id"] for r in self.setup["recipients"]].index(rid)

    # -- the ladder ------------------------------------------------------------------------
    def deliver(self, alarm, recipient, step, now, out):
        rid = recipient["id"]
        repeat = rid in alarm["everSent"]
        alarm["everSent"].add(rid)
        alarm["holders"].add(rid)
        alarm["pending"] = [p for p in alarm["pending"] if p["recipient"] != rid]
        did = self.next_delivery
        self.next_delivery += 1
        alarm["pending"].append({"id": did, "recipient": rid, "step": step, "sentAt": now})
        s = alarm["signal"]
        out["deliveries"].append({
            "deliveryId": did, "alarmId": s["signalId"], "recipientId": rid, "role": recipient["role"],
            "step": step, "repeat": repeat, "kind": s["kind"], "priority": s["priority"],
            "direction": s["direction"], "reason": s["reason"], "evidence": s["evidence"],
            "signalAtMs": s["atMs"], "sentAtMs": now,
        })
        self.log(out, now, "sent", s["signalId"], rid, step, "repeat" if repeat else None)

    def act(self, alarm, now, cause, out):
        aid = alarm["signal"]["signalId"]
        if alarm["snoozedUntil"] is not None:
            alarm["snoozedUntil"] = None
            self.log(out, now, "snooze-expired", aid)
        if alarm["signal"]["priority"] != "high":
            end = self.quiet_end(now)
            if end is not None:
                alarm["nextAt"] = end
                self.log(out, now, "deferred", aid, None, alarm["step"], str(end))
                return
        steps = self.ladder(alarm["signal"])
        top = len(steps) - 1
        if alarm["step"] is None:
            nxt = 0
        elif alarm["step"] < top:
            nxt = alarm["step"] + 1
            self.log(out, now, "escalated", aid, None, nxt, cause)
        else:
            nxt = top
            self.log(out, now, "repeated", aid, None, nxt)
        alarm["step"] = nxt
        alarm["nextAt"] = now + steps[nxt]["ackTimeoutMs"]
        for r in self.recipients_with(steps[nxt]["role"]):
            self.deliver(alarm, r, nxt, now, out)

    def fail(self, alarm, pending, detail, now, out):
        alarm["pending"].remove(pending)
        self.log(out, now, "delivery-failed", alarm["signal"]["signalId"], pending["recipient"], pending["step"], detail)
        top = len(self.ladder(alarm["signal"])) - 1
        if alarm["snoozedUntil"] is None and alarm["step"] == pending["step"] and pending["step"] < top:
            self.act(alarm, now, "delivery-failed", out)

    def retract(self, alarm, reason, now, out):
        aid = alarm["signal"]["signalId"]
        for rid in sorted(alarm["holders"], key=self.order):
            out["retractions"].append({"alarmId": aid, "recipientId": rid, "reason": reason})
            self.log(out, now, "retracted", aid, rid, None, reason)
        alarm["holders"] = set()

    def close(self, alarm, reason, now, out):
        self.alarms.remove(alarm)
        self.retract(alarm, reason, now, out)
        self.log(out, now, "closed", alarm["signal"]["signalId"], None, None, reason)
        self.closed = (self.closed + [alarm["signal"]["signalId"]])[-CLOSED_IDS_KEPT_MAX:]

    def find(self, aid):
        return next((a for a in self.alarms if a["signal"]["signalId"] == aid), None)

    def mute_until(self, signal, until, now):
        if signal["priority"] == "high" and signal["direction"] == "low":
            return min(until, now + URGENT_LOW_SNOOZE_MS_MAX)
        return until

    # -- the calls -------------------------------------------------------------------------
    def issue(self, signal, now):
        if len(signal["evidence"].encode()) > 1024:
            raise Refused("INVALID_ARGUMENT", "signal.evidence")
        self.check_now(now)
        if signal["atMs"] > now:
            raise Refused("INVALID_ARGUMENT", "signal.atMs")
        out = self.output()
        open_ = self.find(signal["signalId"])
        if open_ is not None:
            if open_["signal"] != signal:
                raise Refused("INVALID_ARGUMENT", "signal.signalId")
            self.now = now
            out["code"] = "duplicate"
            return out
        if signal["signalId"] in self.closed:
            self.now = now
            out["code"] = "already-closed"
            return out
        if len(self.alarms) >= OPEN_ALARMS_MAX:
            raise Refused("LIMIT_EXCEEDED", "signal")
        self.now = now
        self.log(out, now, "issued", signal["signalId"], None, None, signal["priority"])
        alarm = {"signal": dict(signal), "step": None, "nextAt": now, "snoozedUntil": None,
                 "everSent": set(), "holders": set(), "pending": []}
        snooze = next((s for s in self.snoozes if s["untilMs"] > now and s["kind"] == signal["kind"]
                       and s["direction"] == signal["direction"]), None)
        if snooze is not None:
            until = self.mute_until(signal, snooze["untilMs"], now)
            alarm["snoozedUntil"] = alarm["nextAt"] = until
            self.log(out, now, "snoozed", signal["signalId"], snooze["by"], None, str(until))
            out["code"] = "snoozed"
        else:
            before = len(out["deliveries"])
            self.act(alarm, now, "ack-timeout", out)
            out["code"] = "issued" if len(out["deliveries"]) > before else "deferred"
        self.alarms.append(alarm)
        return out

    def resolve(self, aid, now):
        self.check_now(now)
        self.now = now
        out = self.output()
        alarm = self.find(aid)
        if alarm is None:
            out["code"] = "already-closed" if aid in self.closed else "unknown-alarm"
            return out
        self.close(alarm, "resolved", now, out)
        out["code"] = "retracted"
        return out

    def acknowledge(self, aid, rid, now):
        self.known(rid)
        self.check_now(now)
        self.now = now
        out = self.output()
        alarm = self.find(aid)
        if alarm is None:
            out["code"] = "already-closed" if aid in self.closed else "unknown-alarm"
            return out
        if rid not in alarm["everSent"]:
            out["code"] = "not-a-recipient"
            return out
        self.log(out, now, "acknowledged", aid, rid, alarm["step"])
        self.close(alarm, "acknowledged", now, out)
        out["code"] = "acknowledged"
        return out

    def snooze(self, kind, direction, duration, rid, now):
        bound = URGENT_LOW_SNOOZE_MS_MAX if kind == "urgent-low" else SNOOZE_MS_MAX
        if duration < 1 or duration > bound:
            raise Refused("LIMIT_EXCEEDED", "durationMs")
        self.known(rid)
        self.check_now(now)
        until = now + duration
        self.snoozes = [s for s in self.snoozes if s["untilMs"] > now]
        self.now = now
        new = {"kind": kind, "direction": direction, "untilMs": until, "by": rid}
        for i, s in enumerate(self.snoozes):
            if s["kind"] == kind and s["direction"] == direction:
                self.snoozes[i] = new
                break
        else:
            self.snoozes.append(new)
        out = self.output()
        for alarm in self.alarms:
            s = alarm["signal"]
            if s["kind"] != kind or s["direction"] != direction:
                continue
            muted = self.mute_until(s, until, now)
            alarm["snoozedUntil"] = alarm["nextAt"] = muted
            alarm["step"] = None
            alarm["pending"] = []
            self.retract(alarm, "snoozed", now, out)
            self.log(out, now, "snoozed", s["signalId"], rid, None, str(muted))
        out["code"] = "snoozed"
        return out

    def settle(self, did, now, failed):
        self.check_now(now)
        self.now = now
        out = self.output()
        for alarm in self.alarms:
            for p in alarm["pending"]:
                if p["id"] == did:
                    if failed:
                        self.fail(alarm, p, "failed", now, out)
                        out["code"] = "failed"
                    else:
                        alarm["pending"].remove(p)
                        self.log(out, now, "delivered", alarm["signal"]["signalId"], p["recipient"], p["step"])
                        out["code"] = "delivered"
                    return out
        out["code"] = "not-pending" if 1 <= did < self.next_delivery else "unknown-delivery"
        return out

    def tick(self, now):
        self.check_now(now)
        self.now = now
        self.snoozes = [s for s in self.snoozes if s["untilMs"] > now]
        out = self.output()
        timeout = self.setup["receiptTimeoutMs"]
        for alarm in list(self.alarms):
            while True:
                late = next((p for p in alarm["pending"] if p["sentAt"] + timeout <= now), None)
                if late is None:
                    break
                self.fail(alarm, late, "unconfirmed", now, out)
            if alarm["nextAt"] <= now:
                self.act(alarm, now, "ack-timeout", out)
        out["code"] = "ticked"
        return out

    def open_view(self):
        return [{"alarmId": a["signal"]["signalId"], "step": a["step"], "nextAtMs": a["nextAt"],
                 "snoozedUntilMs": a["snoozedUntil"], "holders": sorted(a["holders"], key=self.order)}
                for a in self.alarms]


# -- the scenarios -----------------------------------------------------------------------------
T0 = 1_780_000_000_000
DAY = 86_400_000
MIDNIGHT = T0 - T0 % DAY


def setup(quiet=None):
    s = {
        "routerId": "terminal-1",
        "recipients": [
            {"id": "pat", "role": "patient"}, {"id": "mum", "role": "caregiver"},
            {"id": "dad", "role": "caregiver"}, {"id": "doc", "role": "doctor"},
            {"id": "centre", "role": "centre"},
        ],
        "policies": [
            {"kind": "occlusion", "steps": [{"role": "patient", "ackTimeoutMs": 20_000},
                                            {"role": "centre", "ackTimeoutMs": 40_000}]},
            {"priority": "high", "steps": [
                {"role": "patient", "ackTimeoutMs": 60_000}, {"role": "caregiver", "ackTimeoutMs": 120_000},
                {"role": "doctor", "ackTimeoutMs": 300_000}, {"role": "centre", "ackTimeoutMs": 300_000}]},
            {"steps": [{"role": "patient", "ackTimeoutMs": 300_000}, {"role": "caregiver", "ackTimeoutMs": 600_000}]},
        ],
        "receiptTimeoutMs": 30_000,
    }
    if quiet:
        s["quietHours"] = quiet
    return s


def sig(sid, kind, priority, direction, at=T0, reason="", evidence=""):
    return {"signalId": sid, "kind": kind, "priority": priority, "direction": direction, "atMs": at,
            "reason": reason, "evidence": evidence}


URGENT_LOW = lambda sid, at=T0: sig(sid, "urgent-low", "high", "low", at, "glucose 48 mg/dL below 55",
                                    '{"mgdl":[61,55,48]}')


class Scenario:
    def __init__(self, name, what, s):
        self.doc = {"name": name, "description": what, "setup": s, "steps": []}
        self.model = Model(s)

    def step(self, op, **args):
        call = {
            "issue": lambda: self.model.issue(args["signal"], args["nowMs"]),
            "resolve": lambda: self.model.resolve(args["alarmId"], args["nowMs"]),
            "acknowledge": lambda: self.model.acknowledge(args["alarmId"], args["recipientId"], args["nowMs"]),
            "snooze": lambda: self.model.snooze(args["kind"], args["direction"], args["durationMs"],
                                                args["recipientId"], args["nowMs"]),
            "receipt": lambda: self.model.settle(args["deliveryId"], args["nowMs"], False),
            "deliveryFailed": lambda: self.model.settle(args["deliveryId"], args["nowMs"], True),
            "tick": lambda: self.model.tick(args["nowMs"]),
        }[op]
        try:
            expect = call()
        except Refused as r:
            expect = {"error": {"code": r.code, "param": r.param}}
        self.doc["steps"].append({"op": op, **args, "expect": expect})
        return expect

    def confirm(self, out, now):
        """Every delivery of `out` confirmed at `now` (a terminal that answers)."""
        for d in out.get("deliveries", []):
            self.step("receipt", deliveryId=d["deliveryId"], nowMs=now)

    def open(self):
        self.doc["steps"].append({"op": "openAlarms", "expect": self.model.open_view()})

    def done(self):
        self.open()
        self.doc["auditHead"] = self.model.head.hex()
        return self.doc


def ack_at_each_step():
    out = []
    ladder_at = [0, 60_000, 180_000, 480_000]  # when each step is delivered, receipts answered
    who = ["pat", "mum", "doc", "centre"]
    for k in range(4):
        s = Scenario(f"urgent low acknowledged at step {k} ({who[k]})",
                     "the ladder patient -> caregivers -> doctor -> centre, each step after its timeout; "
                     "every delivery confirmed; acknowledged at this step, every holder retracted", setup())
        o = s.step("issue", signal=URGENT_LOW("u1"), nowMs=T0)
        s.confirm(o, T0 + 500)
        for j in range(1, k + 1):
            s.step("tick", nowMs=T0 + ladder_at[j] - 1)  # one ms early: nothing
            o = s.step("tick", nowMs=T0 + ladder_at[j])
            s.confirm(o, T0 + ladder_at[j] + 700)
        if k == 3:
            o = s.step("tick", nowMs=T0 + 780_000)  # at the top: the centre again, a repeat
            s.confirm(o, T0 + 780_100)
        s.step("acknowledge", alarmId="u1", recipientId=who[k], nowMs=T0 + ladder_at[k] + 10_000 + (300_000 if k == 3 else 0))
        s.step("tick", nowMs=T0 + 3_600_000)  # closed: nothing more
        s.step("acknowledge", alarmId="u1", recipientId="pat", nowMs=T0 + 3_600_001)
        out.append(s.done())
    return out


def not_a_recipient():
    s = Scenario("acknowledgement only from someone who was told",
                 "the doctor has not been told yet: not-a-recipient; an unknown id is an error", setup())
    s.step("issue", signal=URGENT_LOW("u1"), nowMs=T0)
    s.step("acknowledge", alarmId="u1", recipientId="doc", nowMs=T0 + 1)
    s.step("acknowledge", alarmId="u1", recipientId="stranger", nowMs=T0 + 1)
    s.step("acknowledge", alarmId="nope", recipientId="pat", nowMs=T0 + 2)
    return s.done()


def snooze_by_direction():
    s = Scenario("a high snooze never mutes a low",
                 "high (medium priority) and low alarms open; the high/high snooze retracts only the high one; "
                 "the low one escalates on time; a new high signal opens snoozed; at the end of the snooze "
                 "the high alarms ring again from step 0, the patient's delivery a repeat", setup())
    o = s.step("issue", signal=sig("h1", "high", "medium", "high", reason="glucose 262 mg/dL"), nowMs=T0)
    s.confirm(o, T0 + 100)
    o = s.step("issue", signal=sig("l1", "low", "medium", "low", reason="glucose 78 mg/dL"), nowMs=T0 + 200)
    s.confirm(o, T0 + 300)
    s.step("snooze", kind="high", direction="high", durationMs=3_600_000, recipientId="pat", nowMs=T0 + 1_000)
    s.step("snooze", kind="low", direction="high", durationMs=3_600_000, recipientId="pat", nowMs=T0 + 1_000)
    o = s.step("tick", nowMs=T0 + 300_000)
    s.confirm(o, T0 + 300_100)
    s.step("issue", signal=sig("h2", "high", "medium", "high"), nowMs=T0 + 400_000)
    o = s.step("tick", nowMs=T0 + 3_601_000)
    s.confirm(o, T0 + 3_601_100)
    return s.done()


def urgent_low_bound():
    s = Scenario("an urgent low is never muted beyond 15 minutes",
                 "an urgent-low snooze beyond 15 min is refused; a 4 h snooze of low/low mutes a high-priority "
                 "low for 15 min only; it rings again then", setup())
    s.step("snooze", kind="urgent-low", direction="low", durationMs=URGENT_LOW_SNOOZE_MS_MAX + 1, recipientId="pat", nowMs=T0)
    s.step("snooze", kind="low", direction="low", durationMs=SNOOZE_MS_MAX + 1, recipientId="pat", nowMs=T0)
    s.step("snooze", kind="low", direction="low", durationMs=SNOOZE_MS_MAX, recipientId="mum", nowMs=T0)
    s.step("issue", signal=sig("s1", "low", "high", "low", reason="glucose 52 mg/dL for 15 min"), nowMs=T0 + 1)
    s.step("issue", signal=sig("s2", "low", "medium", "low"), nowMs=T0 + 2)
    s.step("tick", nowMs=T0 + URGENT_LOW_SNOOZE_MS_MAX)
    s.step("tick", nowMs=T0 + 1 + URGENT_LOW_SNOOZE_MS_MAX)
    s.step("snooze", kind="urgent-low", direction="low", durationMs=URGENT_LOW_SNOOZE_MS_MAX, recipientId="pat",
           nowMs=T0 + URGENT_LOW_SNOOZE_MS_MAX + 10)
    return s.done()


def quiet_hours():
    quiet = {"startMinute": 22 * 60, "endMinute": 7 * 60, "utcOffsetMinutes": 60}
    s = Scenario("quiet hours defer medium and low, never high",
                 "quiet 22:00-07:00 at UTC+1: a low-reservoir (medium) at 23:30 local waits to 07:00; an urgent "
                 "low at the same time is delivered at once and escalates through the night", setup(quiet))
    night = MIDNIGHT + 22 * 3_600_000 + 30 * 60_000  # 22:30 UTC = 23:30 local
    end = MIDNIGHT + DAY + 6 * 3_600_000  # 07:00 local
    s.step("issue", signal=sig("r1", "low-reservoir", "medium", "none", at=night, reason="reservoir 9 U"), nowMs=night)
    s.step("issue", signal=sig("b1", "low-battery", "low", "none", at=night), nowMs=night)
    o = s.step("issue", signal=URGENT_LOW("u1", night), nowMs=night)
    s.confirm(o, night + 1)
    o = s.step("tick", nowMs=night + 60_000)
    s.confirm(o, night + 60_001)
    s.step("tick", nowMs=end - 1)
    o = s.step("tick", nowMs=end)
    s.confirm(o, end + 1)
    s.step("acknowledge", alarmId="r1", recipientId="pat", nowMs=end + 5_000)
    return s.done()


def failed_delivery():
    s = Scenario("a failed or unconfirmed delivery is itself an alarm",
                 "the patient's delivery fails: the caregivers are told at once; dad's delivery is never "
                 "confirmed: at the receipt timeout the doctor is told; at the top a failure waits for the next repeat",
                 setup())
    o = s.step("issue", signal=URGENT_LOW("u1"), nowMs=T0)
    first = o["deliveries"][0]["deliveryId"]
    o = s.step("deliveryFailed", deliveryId=first, nowMs=T0 + 1_000)
    s.step("deliveryFailed", deliveryId=first, nowMs=T0 + 1_001)
    s.step("receipt", deliveryId=999, nowMs=T0 + 1_001)
    s.step("receipt", deliveryId=o["deliveries"][0]["deliveryId"], nowMs=T0 + 2_000)
    s.step("tick", nowMs=T0 + 30_999)
    o = s.step("tick", nowMs=T0 + 31_000)
    o = s.step("deliveryFailed", deliveryId=o["deliveries"][0]["deliveryId"], nowMs=T0 + 32_000)
    o = s.step("deliveryFailed", deliveryId=o["deliveries"][0]["deliveryId"], nowMs=T0 + 33_000)
    s.step("tick", nowMs=T0 + 333_000)
    return s.done()


def occlusion_policy():
    s = Scenario("a device alarm by its own policy",
                 "occlusion (high, none) matches its own policy: patient, then straight to the centre", setup())
    o = s.step("issue", signal=sig("o1", "occlusion", "high", "none", reason="occlusion: pressure 1,650 mbar"), nowMs=T0)
    s.confirm(o, T0 + 10)
    o = s.step("tick", nowMs=T0 + 20_000)
    s.confirm(o, T0 + 20_010)
    o = s.step("tick", nowMs=T0 + 60_000)
    s.step("acknowledge", alarmId="o1", recipientId="centre", nowMs=T0 + 61_000)
    return s.done()


def resolution():
    s = Scenario("resolution retracts",
                 "an urgent low resolves at step 1: patient and caregivers retracted; a late receipt is not-pending; "
                 "the same signal id again is already-closed; a duplicate of an open signal changes nothing",
                 setup())
    o = s.step("issue", signal=URGENT_LOW("u1"), nowMs=T0)
    s.confirm(o, T0 + 10)
    s.step("issue", signal=URGENT_LOW("u1"), nowMs=T0 + 20)
    changed = URGENT_LOW("u1")
    changed["reason"] = "other"
    s.step("issue", signal=changed, nowMs=T0 + 20)
    o = s.step("tick", nowMs=T0 + 60_000)
    s.step("receipt", deliveryId=o["deliveries"][0]["deliveryId"], nowMs=T0 + 60_100)
    s.step("resolve", alarmId="u1", nowMs=T0 + 70_000)
    s.step("receipt", deliveryId=o["deliveries"][1]["deliveryId"], nowMs=T0 + 70_001)
    s.step("resolve", alarmId="u1", nowMs=T0 + 70_002)
    s.step("issue", signal=URGENT_LOW("u1"), nowMs=T0 + 70_003)
    s.step("resolve", alarmId="never", nowMs=T0 + 70_004)
    return s.done()


def errors():
    s = Scenario("refused calls change nothing",
                 "time going backwards, a signal from the future, oversized evidence", setup())
    s.step("tick", nowMs=T0)
    s.step("tick", nowMs=T0 - 1)
    s.step("issue", signal=URGENT_LOW("u1", T0 + 5), nowMs=T0 + 1)
    big = URGENT_LOW("u2")
    big["evidence"] = "x" * 1025
    s.step("issue", signal=big, nowMs=T0 + 1)
    s.step("issue", signal=URGENT_LOW("u3"), nowMs=T0 + 2)
    return s.done()


def main():
    scenarios = ack_at_each_step() + [not_a_recipient(), snooze_by_direction(), urgent_low_bound(), quiet_hours(),
                                      failed_delivery(), occlusion_policy(), resolution(), errors()]
    doc = {
        "description": "countersign dose escalation timelines (System 9: routing and escalation of risk alarms; "
                       "core/src/dose/escalation.rs). Each scenario: `setup` (an AlarmRouterSetup) and `steps` on one "
                       "router, in order. A step is {op, its arguments, expect}: op 'issue' (signal, nowMs), 'resolve' "
                       "(alarmId, nowMs), 'acknowledge' (alarmId, recipientId, nowMs), 'snooze' (kind, direction, "
                       "durationMs, recipientId, nowMs), 'receipt' / 'deliveryFailed' (deliveryId, nowMs), 'tick' "
                       "(nowMs): expect is the whole output {code, deliveries, retractions, audit} or {error: {code, "
                       "param}} (the router unchanged); 'openAlarms': expect is [{alarmId, step, nextAtMs, "
                       "snoozedUntilMs, holders}] (null when absent). `auditHead` is the hash of the last audit entry. "
                       "Written by escalation_model.py, an independent Python model of the rustdoc.",
        "scenarios": scenarios,
    }
    with open(OUT, "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")
    print(f"wrote {OUT}: {len(scenarios)} scenarios, {sum(len(s['steps']) for s in scenarios)} steps")


if __name__ == "__main__":
    main()
