#!/usr/bin/env python3
"""Writes tests/vectors/dose/{frames,settings,evaluation,nightscout}.json: System 9 (the patient
terminal after an automatic drug injection), the part owned by the frames/settings/evaluation
work (the escalation vectors, tests/vectors/dose/escalation*, are another generator's).

An independent model written from the spec (the rustdoc of core/src/dose/frame.rs, settings.rs,
evaluate.rs), in plain Python integers:
- frames: the byte layout and CRC-16/CCITT-FALSE written out bit by bit, the check order, and
  the stream as a *set* of accepted sequence numbers (not a bit window);
- settings: the field table, ordering rules and check order;
- evaluation: a time-stepped model: at every frame time it recomputes each condition from the
  whole history seen so far (no running state), and turns the on/off changes into episodes.
- the peer check: Nightscout's own rules, ported line by line from
  nightscout/cgm-remote-monitor at commit 7e0e77f88fc113a76fe363504125f5b36b8a3fe3
  (lib/plugins/simplealarms.js compareBGToTresholds and checkNotifications,
  lib/plugins/timeago.js checkStatus, the defaults of lib/settings.js: bgHigh 260,
  bgTargetTop 180, bgTargetBottom 80, bgLow 55, alarmTimeagoWarnMins 15,
  alarmTimeagoUrgentMins 30). Its levels do not use our model at all.
Run: python3 tests/vectors/dose/generate.py (deterministic: same files every run)."""
import json, os

OUT = os.path.dirname(os.path.abspath(__file__))
T0 = 1_767_225_600_000  # 2026-01-01T00:00:00Z, ms
MIN = 60_000
TIME_MS_MAX = 2**53 - 1
FRAME_BYTES_MAX, PAYLOAD_BYTES_MAX, WINDOW = 49, 32, 64


class Lcg:
    """A fixed pseudo-random sequence (the same on every Python)."""
    def __init__(self, seed):
        self.s = seed

    def next(self, n):
        self.s = (self.s * 6364136223846793005 + 1442695040888963407) % 2**64
        return (self.s >> 33) % n


# ---------------------------------------------------------------- frames

def crc16(data):
    crc = 0xFFFF
    for b in data:
        for i in range(8):
            bit = (b >> (7 - i)) & 1
            top = (crc >> 15) & 1
            crc = (crc << 1) & 0xFFFF
            if top ^ bit:
                crc ^= 0x1021
    return crc


assert crc16(b"123456789") == 0x29B1

TYPES = {"glucose": 1, "delivery": 2, "device-status": 3, "device-alarm": 4, "usage": 5}
ALARMS = ["occlusion", "no-delivery", "pump-error"]
EVENTS = ["suspend", "resume", "site-change", "sensor-start"]


def payload(body):
    t = body["type"]
    if t == "glucose":
        return body["mgdl"].to_bytes(2, "big")
    if t == "delivery":
        return body["mu"].to_bytes(4, "big") + bytes([{"basal": 0, "bolus": 1}[body["kind"]]])
    if t == "device-status":
        return body["reservoirMu"].to_bytes(4, "big") + bytes([body["batteryPct"]]) + body["batteryMv"].to_bytes(2, "big")
    if t == "device-alarm":
        return bytes([ALARMS.index(body["alarm"]) + 1, 1 if body["raised"] else 0])
    return bytes([EVENTS.index(body["event"]) + 1])


def raw(version, ty, seq, at, pl, crc=None, extra=b""):
    head = bytes([version, ty]) + seq.to_bytes(4, "big") + at.to_bytes(8, "big") + bytes([len(pl)]) + pl
    c = crc16(head) if crc is None else crc
    return head + c.to_bytes(2, "big") + extra


def enc(frame):
    return raw(1, TYPES[frame["body"]["type"]], frame["seq"], frame["atMs"], payload(frame["body"]))


def decode(b):
    """The check order of frame.rs, step by step."""
    if len(b) > FRAME_BYTES_MAX:
        return "OVERSIZED", None
    if len(b) < 17:
        return "TRUNCATED", None
    if b[0] != 1:
        return "FRAME_VERSION_UNSUPPORTED", None
    n = b[14]
    if n > PAYLOAD_BYTES_MAX:
        return "OVERSIZED", None
    if len(b) < 17 + n:
        return "TRUNCATED", None
    if len(b) > 17 + n:
        return "TRAILING_BYTES", None
    if crc16(b[:15 + n]) != int.from_bytes(b[15 + n:], "big"):
        return "BAD_CRC", None
    ty, pl = b[1], b[15:15 + n]
    lengths = {1: 2, 2: 5, 3: 7, 4: 2, 5: 1}
    if ty not in lengths:
        return "UNKNOWN_TYPE", None
    if n != lengths[ty]:
        return "PAYLOAD_LENGTH", None
    if ty == 1:
        g = int.from_bytes(pl, "big")
        if not 39 <= g <= 401:
            return "PAYLOAD_INVALID", None
        body = {"type": "glucose", "mgdl": g}
    elif ty == 2:
        mu, k = int.from_bytes(pl[:4], "big"), pl[4]
        if k > 1 or mu > 100_000:
            return "PAYLOAD_INVALID", None
        body = {"type": "delivery", "mu": mu, "kind": ["basal", "bolus"][k]}
    elif ty == 3:
        r, p, mv = int.from_bytes(pl[:4], "big"), pl[4], int.from_bytes(pl[5:], "big")
        if r > 1_000_000 or p > 100 or mv > 10_000:
            return "PAYLOAD_INVALID", None
        body = {"type": "device-status", "reservoirMu": r, "batteryPct": p, "batteryMv": mv}
    elif ty == 4:
        if not 1 <= pl[0] <= 3 or pl[1] > 1:
            return "PAYLOAD_INVALID", None
        body = {"type": "device-alarm", "alarm": ALARMS[pl[0] - 1], "raised": pl[1] == 1}
    else:
        if not 1 <= pl[0] <= 4:
            return "PAYLOAD_INVALID", None
        body = {"type": "usage", "event": EVENTS[pl[0] - 1]}
    at = int.from_bytes(b[6:14], "big")
    if at > TIME_MS_MAX:
        return "TIMESTAMP_INVALID", None
    return None, {"seq": int.from_bytes(b[2:6], "big"), "atMs": at, "body": body}


class StreamModel:
    def __init__(self):
        self.seen, self.newest, self.newest_at = set(), None, 0

    def accept(self, b):
        err, f = decode(b)
        if err:
            return {"code": err, "frame": None, "missing": 0}
        refuse = lambda c: {"code": c, "frame": f, "missing": 0}
        if self.newest is None:
            self.seen, self.newest, self.newest_at = {f["seq"]}, f["seq"], f["atMs"]
            return {"code": "ACCEPTED", "frame": f, "missing": 0}
        s = f["seq"]
        if self.newest == 2**32 - 1 and s != self.newest:
            return refuse("SEQUENCE_EXHAUSTED")
        if s <= self.newest:
            dup = s in self.seen and self.newest - s <= WINDOW
            return refuse("DUPLICATE" if dup else "OUT_OF_ORDER")
        if f["atMs"] < self.newest_at:
            return refuse("TIME_REGRESSED")
        missing = s - self.newest - 1
        self.seen.add(s)
        self.newest, self.newest_at = s, f["atMs"]
        return {"code": "ACCEPTED_AFTER_GAP" if missing else "ACCEPTED", "frame": f, "missing": missing}


def g(seq, at, mgdl):
    return {"seq": seq, "atMs": at, "body": {"type": "glucose", "mgdl": mgdl}}


def frame_cases():
    good = enc(g(1, T0, 100))
    cases = []
    bodies = [
        {"type": "glucose", "mgdl": 39}, {"type": "glucose", "mgdl": 401},
        {"type": "delivery", "mu": 100_000, "kind": "bolus"}, {"type": "delivery", "mu": 25, "kind": "basal"},
        {"type": "device-status", "reservoirMu": 4_500, "batteryPct": 18, "batteryMv": 3_480},
        {"type": "device-alarm", "alarm": "occlusion", "raised": True},
        {"type": "device-alarm", "alarm": "no-delivery", "raised": False},
        {"type": "usage", "event": "site-change"},
    ]
    encodings = [{"frame": {"seq": 1000 + i, "atMs": T0 + i, "body": body}, "hex": enc({"seq": 1000 + i, "atMs": T0 + i, "body": body}).hex()} for i, body in enumerate(bodies)]
    broken = [
        ("oversized", bytes(FRAME_BYTES_MAX + 1)),
        ("truncated header", good[:16]),
        ("truncated payload", good[:18]),
        ("trailing byte", good + b"\x00"),
        ("version 2", raw(2, 1, 1, T0, b"\x00\x64")),
        ("declared payload 33", good[:14] + bytes([33]) + good[15:]),
        ("bad crc", good[:-1] + bytes([good[-1] ^ 1])),
        ("unknown type 9", raw(1, 9, 1, T0, b"")),
        ("glucose payload of 3", raw(1, 1, 1, T0, b"\x00\x64\x00")),
        ("glucose 38", raw(1, 1, 1, T0, (38).to_bytes(2, "big"))),
        ("glucose 402", raw(1, 1, 1, T0, (402).to_bytes(2, "big"))),
        ("delivery kind 2", raw(1, 2, 1, T0, (5).to_bytes(4, "big") + b"\x02")),
        ("delivery 100.001 U", raw(1, 2, 1, T0, (100_001).to_bytes(4, "big") + b"\x01")),
        ("battery 101 %", raw(1, 3, 1, T0, (1).to_bytes(4, "big") + bytes([101]) + (3000).to_bytes(2, "big"))),
        ("device alarm 4", raw(1, 4, 1, T0, b"\x04\x01")),
        ("device alarm state 2", raw(1, 4, 1, T0, b"\x01\x02")),
        ("usage 0", raw(1, 5, 1, T0, b"\x00")),
        ("timestamp 2^53", raw(1, 1, 1, 2**53, b"\x00\x64")),
    ]
    for name, b in broken:
        cases.append({"name": name, "frames": [b.hex()]})
    f = lambda seq, m, mg=100: enc(g(seq, T0 + m * MIN, mg)).hex()
    cases.append({"name": "stream: next, gap, duplicate, late, time regressed, far gap, old",
                  "frames": [f(10, 0), f(11, 5), f(14, 20), f(14, 20), f(11, 5), f(12, 10), f(15, 19), f(114, 30), f(14, 30), f(115, 35)]})
    cases.append({"name": "stream: the last sequence number", "frames": [f(2**32 - 1, 0), f(2**32 - 1, 0), f(0, 1)]})
    # A long random stream: forward steps, repeats and late frames, some damaged.
    r = Lcg(9)
    frames, seq, t = [], 500, 0
    for _ in range(300):
        k = r.next(10)
        if k < 6:
            seq += 1 + (r.next(3) if r.next(4) == 0 else 0)
            t += 1 + r.next(6)
            b = enc(g(seq, T0 + t * MIN, 39 + r.next(363)))
        elif k < 8:
            back = r.next(70)
            b = enc(g(max(seq - back, 0), T0 + t * MIN, 100))
        elif k < 9:
            b = enc(g(seq + 1, T0 + (t - 1) * MIN, 100)) if t > 0 else enc(g(seq + 1, T0, 100))
        else:
            b = bytearray(enc(g(seq + 1, T0 + t * MIN, 100)))
            b[r.next(len(b))] ^= 1 << r.next(8)
            b = bytes(b)
        frames.append(b.hex())
    cases.append({"name": "stream: 300 random frames", "frames": frames})
    for c in cases:
        m = StreamModel()
        c["expect"] = [m.accept(bytes.fromhex(h)) for h in c["frames"]]
    return encodings, cases


# ---------------------------------------------------------------- settings

FIELDS = [
    ("urgentLowMgdl", (40, 100), (50, 70), 55), ("lowMgdl", (50, 150), (70, 100), 80),
    ("highMgdl", (100, 350), (140, 250), 180), ("urgentHighMgdl", (120, 400), (200, 300), 260),
    ("sustainedLowMgdl", (40, 100), (50, 70), 54), ("sustainedLowMin", (5, 120), (10, 30), 15),
    ("fallRateTenthsPerMin", (10, 100), (20, 50), 30), ("riseRateTenthsPerMin", (10, 100), (20, 50), 30),
    ("staleWarnMin", (5, 120), (10, 30), 15), ("staleUrgentMin", (10, 240), (20, 60), 30),
    ("maxBolusMu", (50, 30_000), (500, 15_000), 10_000), ("maxDailyMu", (1_000, 300_000), (10_000, 120_000), 80_000),
    ("reservoirWarnMu", (1_000, 100_000), (5_000, 30_000), 10_000), ("reservoirUrgentMu", (0, 50_000), (2_000, 10_000), 5_000),
    ("batteryWarnPct", (5, 80), (20, 50), 30), ("batteryUrgentPct", (1, 50), (10, 30), 20),
]
NAMES = [f[0] for f in FIELDS]
# (lower, higher, strict): the finding names the field later in the table.
ORDER = [("urgentLowMgdl", "lowMgdl", True), ("lowMgdl", "highMgdl", True), ("highMgdl", "urgentHighMgdl", True),
         ("sustainedLowMgdl", "lowMgdl", False), ("staleWarnMin", "staleUrgentMin", True), ("maxBolusMu", "maxDailyMu", False),
         ("reservoirUrgentMu", "reservoirWarnMu", True), ("batteryUrgentPct", "batteryWarnPct", True)]
DEFAULTS = {n: d for n, _, _, d in FIELDS}


def validate(s, permitted=None):
    refusals, warnings = [], []
    for name, (amin, amax), (rmin, rmax), _ in FIELDS:
        v = s[name]
        pmin, pmax = permitted[name] if permitted else (amin, amax)
        item = lambda code, limit: {"field": name, "code": code, "value": v, "limit": limit}
        if v < amin: refusals.append(item("BELOW_ABSOLUTE", amin))
        elif v > amax: refusals.append(item("ABOVE_ABSOLUTE", amax))
        elif v < pmin: refusals.append(item("BELOW_PERMITTED", pmin))
        elif v > pmax: refusals.append(item("ABOVE_PERMITTED", pmax))
        elif v < rmin: warnings.append(item("BELOW_RECOMMENDED", rmin))
        elif v > rmax: warnings.append(item("ABOVE_RECOMMENDED", rmax))
    for lo, hi, strict in ORDER:
        a, b = s[lo], s[hi]
        if (a >= b) if strict else (a > b):
            named = lo if NAMES.index(lo) > NAMES.index(hi) else hi
            other = hi if named == lo else lo
            refusals.append({"field": named, "code": "ORDER", "value": s[named], "limit": s[other]})
    return {"refusals": refusals, "warnings": warnings}


def settings_cases():
    cases = [{"name": "Nightscout defaults", "settings": dict(DEFAULTS)}]
    for name, (amin, amax), (rmin, rmax), _ in FIELDS:
        for v, why in [(amin - 1, "below absolute"), (amax + 1, "above absolute"), (rmin - 1, "below recommended"), (rmax + 1, "above recommended"), (amin, "absolute minimum"), (amax, "absolute maximum")]:
            if v < 0:
                continue
            s = dict(DEFAULTS); s[name] = v
            cases.append({"name": f"{name} {v} ({why})", "settings": s})
    for lo, hi, strict in ORDER:
        s = dict(DEFAULTS); s[lo] = s[hi] if strict else s[hi] + 1
        cases.append({"name": f"order {lo} / {hi}", "settings": s})
    s = dict(DEFAULTS); s.update(urgentLowMgdl=100, lowMgdl=50, highMgdl=400, urgentHighMgdl=120)
    cases.append({"name": "every glucose rule at once", "settings": s})
    permitted = {n: a for n, a, _, _ in FIELDS}
    permitted["maxBolusMu"] = (500, 5_000)
    permitted["highMgdl"] = (160, 200)
    cases.append({"name": "a program's narrower bounds", "settings": dict(DEFAULTS, maxBolusMu=6_000, highMgdl=150), "permitted": permitted})
    r = Lcg(12)
    for i in range(40):
        s = {n: max(0, a[0] - 5 + r.next(a[1] - a[0] + 11)) for n, a, _, _ in FIELDS}
        cases.append({"name": f"random {i}", "settings": s})
    for c in cases:
        p = c.get("permitted")
        c["expect"] = validate(c["settings"], p)
        if p:
            c["permitted"] = [list(p[n]) for n in NAMES]
    return cases


# ---------------------------------------------------------------- evaluation

LEVEL = {"urgent-low": ("high", "low"), "low": ("medium", "low"), "high": ("low", "high"), "urgent-high": ("medium", "high")}
CLASS = dict(LEVEL, **{
    "sustained-low": ("high", "low"), "falling-fast": ("medium", "low"), "rising-fast": ("low", "high"),
    "stale-data": ("low", "none"), "urgent-stale-data": ("medium", "none"),
    "occlusion": ("high", "high"), "no-delivery": ("high", "high"), "pump-error": ("high", "none"),
    "low-reservoir": ("low", "none"), "urgent-low-reservoir": ("medium", "none"),
    "low-battery": ("low", "none"), "urgent-low-battery": ("medium", "none"),
    "max-bolus-exceeded": ("high", "low"), "max-daily-exceeded": ("high", "low"),
})


def trunc_div(a, b):
    q = abs(a) // abs(b)
    return q if (a >= 0) == (b > 0) else -q


def evaluate(s, history, until):
    """Time-stepped: at each frame, recompute every condition from the history so far."""
    signals = []  # dicts; "_open" while the condition lasts
    open_ = {}    # kind -> signal (one open episode per kind; levels share a slot)

    def issue(kind, at, seq, evidence):
        p, d = CLASS[kind]
        sig = {"signalId": f"{kind}:{seq}", "kind": kind, "priority": p, "direction": d, "atMs": at,
               "startSeq": seq, "evidence": evidence[:8], "resolved": None}
        signals.append(sig)
        return sig

    def close(sig, at, seq):
        if sig is not None and sig["resolved"] is None:
            sig["resolved"] = {"atMs": at, "seq": seq}

    E = lambda f, m, v: {"seq": f["seq"], "atMs": f["atMs"], "measure": m, "value": v}
    readings = []
    deliveries = []
    warn_ms, urgent_ms = s["staleWarnMin"] * MIN, s["staleUrgentMin"] * MIN

    def stale(last, end_at, end_seq):
        gap = end_at - last["atMs"]
        ev = [E(last, "glucoseMgdl", last["body"]["mgdl"]), E(last, "gapMs", gap)]
        w = u = None
        if gap > warn_ms:
            w = issue("stale-data", last["atMs"] + warn_ms + 1, last["seq"], ev)
        if gap > urgent_ms:
            close(w, last["atMs"] + urgent_ms + 1, None)
            u = issue("urgent-stale-data", last["atMs"] + urgent_ms + 1, last["seq"], ev)
        if end_seq is not None:
            close(w, end_at, end_seq)
            close(u, end_at, end_seq)

    def level_of(v):
        if v < s["urgentLowMgdl"]: return "urgent-low"
        if v < s["lowMgdl"]: return "low"
        if v > s["urgentHighMgdl"]: return "urgent-high"
        if v > s["highMgdl"]: return "high"
        return None

    def toggle(slot, kind, f, ev):
        """Set the slot's condition to `kind` (None: off) as of frame f."""
        cur = open_.get(slot)
        if (cur["kind"] if cur else None) == kind:
            return
        close(cur, f["atMs"], f["seq"])
        open_[slot] = issue(kind, f["atMs"], f["seq"], ev) if kind else None

    for f in history:
        b = f["body"]
        if b["type"] == "glucose":
            v = b["mgdl"]
            if readings:
                stale(readings[-1], f["atMs"], f["seq"])
            readings.append(f)
            toggle("level", level_of(v), f, [E(f, "glucoseMgdl", v)])
            # Sustained: look back over the readings for the run ending here.
            run = []
            for r in reversed(readings):
                if r["body"]["mgdl"] >= s["sustainedLowMgdl"]:
                    break
                if run and run[-1]["atMs"] - r["atMs"] > warn_ms:
                    break
                run.append(r)
            on = bool(run) and f["atMs"] - run[-1]["atMs"] >= s["sustainedLowMin"] * MIN
            cur = open_.get("sustained")
            if cur and (not run or cur["_first"] is not run[-1]):
                close(cur, f["atMs"], f["seq"]); open_["sustained"] = cur = None
            if on and not cur:
                first = run[-1]
                sig = issue("sustained-low", f["atMs"], f["seq"], [E(first, "glucoseMgdl", first["body"]["mgdl"]), E(f, "glucoseMgdl", v)])
                sig["_first"] = first
                open_["sustained"] = sig
            # Slope against the previous reading.
            slope = None
            if len(readings) >= 2:
                p = readings[-2]
                dt = f["atMs"] - p["atMs"]
                if 0 < dt <= 15 * MIN:
                    slope = trunc_div((v - p["body"]["mgdl"]) * 600_000, dt)
            for slot, on_, kind in [("fall", slope is not None and slope <= -s["fallRateTenthsPerMin"], "falling-fast"),
                                    ("rise", slope is not None and slope >= s["riseRateTenthsPerMin"], "rising-fast")]:
                cur = open_.get(slot)
                if on_ and not cur:
                    p = readings[-2]
                    open_[slot] = issue(kind, f["atMs"], f["seq"], [E(p, "glucoseMgdl", p["body"]["mgdl"]), E(f, "glucoseMgdl", v), E(f, "slopeTenthsPerMin", slope)])
                elif not on_ and cur:
                    close(cur, f["atMs"], f["seq"]); open_[slot] = None
        elif b["type"] == "delivery":
            if b["kind"] == "bolus" and b["mu"] > s["maxBolusMu"]:
                issue("max-bolus-exceeded", f["atMs"], f["seq"], [E(f, "bolusMu", b["mu"])])
            deliveries.append(f)
            total = sum(d["body"]["mu"] for d in deliveries if f["atMs"] - 86_400_000 < d["atMs"] <= f["atMs"])
            if total > s["maxDailyMu"]:
                if not open_.get("daily-armed-off"):
                    open_["daily-armed-off"] = True
                    issue("max-daily-exceeded", f["atMs"], f["seq"], [E(f, "deliveryMu", b["mu"]), E(f, "trailingDailyMu", total)])
            else:
                open_["daily-armed-off"] = False
        elif b["type"] == "device-status":
            r = b["reservoirMu"]
            rk = "urgent-low-reservoir" if r <= s["reservoirUrgentMu"] else "low-reservoir" if r <= s["reservoirWarnMu"] else None
            toggle("reservoir", rk, f, [E(f, "reservoirMu", r)])
            p = b["batteryPct"]
            bk = "urgent-low-battery" if p <= s["batteryUrgentPct"] else "low-battery" if p <= s["batteryWarnPct"] else None
            toggle("battery", bk, f, [E(f, "batteryPct", p), E(f, "batteryMv", b["batteryMv"])])
        elif b["type"] == "device-alarm":
            slot = "dev-" + b["alarm"]
            cur = open_.get(slot)
            if b["raised"] and not cur:
                open_[slot] = issue(b["alarm"], f["atMs"], f["seq"], [E(f, "deviceAlarm", 1)])
            elif not b["raised"] and cur:
                close(cur, f["atMs"], f["seq"]); open_[slot] = None
    if readings:
        stale(readings[-1], until, None)
    for sig in signals:
        sig.pop("_first", None)
    return sorted(signals, key=lambda x: x["atMs"])  # stable


def series(r, n, start, step_min=5):
    out, v, t = [], start, T0
    for i in range(n):
        v = max(39, min(401, v + r.next(31) - 15))
        out.append(g(i + 1, t, v))
        t += step_min * MIN
    return out


def evaluation_cases():
    d = dict(DEFAULTS)
    cases = []
    day = [100, 90, 79, 60, 53, 50, 50, 52, 60, 100]
    cases.append({"name": "a morning low: low, falling fast, urgent low, sustained low, recovery", "settings": d,
                  "history": [g(i + 1, T0 + i * 5 * MIN, v) for i, v in enumerate(day)], "untilMs": T0 + 45 * MIN})
    cases.append({"name": "stale data: warn, urgent, then a reading", "settings": d,
                  "history": [g(1, T0, 120), g(2, T0 + 40 * MIN, 120)], "untilMs": T0 + 40 * MIN})
    cases.append({"name": "stale data still open at the evaluation time", "settings": d,
                  "history": [g(1, T0, 120)], "untilMs": T0 + 31 * MIN})
    dev = [
        {"seq": 1, "atMs": T0, "body": {"type": "device-status", "reservoirMu": 12_000, "batteryPct": 50, "batteryMv": 3_900}},
        {"seq": 2, "atMs": T0 + MIN, "body": {"type": "device-status", "reservoirMu": 10_000, "batteryPct": 30, "batteryMv": 3_600}},
        {"seq": 3, "atMs": T0 + 2 * MIN, "body": {"type": "device-status", "reservoirMu": 5_000, "batteryPct": 20, "batteryMv": 3_400}},
        {"seq": 4, "atMs": T0 + 3 * MIN, "body": {"type": "device-alarm", "alarm": "occlusion", "raised": True}},
        {"seq": 5, "atMs": T0 + 4 * MIN, "body": {"type": "device-alarm", "alarm": "no-delivery", "raised": True}},
        {"seq": 6, "atMs": T0 + 5 * MIN, "body": {"type": "device-alarm", "alarm": "occlusion", "raised": False}},
        {"seq": 7, "atMs": T0 + 6 * MIN, "body": {"type": "usage", "event": "site-change"}},
        {"seq": 8, "atMs": T0 + 7 * MIN, "body": {"type": "device-status", "reservoirMu": 200_000, "batteryPct": 100, "batteryMv": 4_100}},
        {"seq": 9, "atMs": T0 + 8 * MIN, "body": {"type": "delivery", "mu": 12_000, "kind": "bolus"}},
        {"seq": 10, "atMs": T0 + 9 * MIN, "body": {"type": "delivery", "mu": 70_000, "kind": "basal"}},
        {"seq": 11, "atMs": T0 + 8 * MIN + 86_400_000, "body": {"type": "delivery", "mu": 100, "kind": "basal"}},
        {"seq": 12, "atMs": T0 + 10 * MIN + 86_400_000, "body": {"type": "delivery", "mu": 100, "kind": "basal"}},
        {"seq": 13, "atMs": T0 + 11 * MIN + 86_400_000, "body": {"type": "delivery", "mu": 80_000, "kind": "bolus"}},
    ]
    cases.append({"name": "device alarms, reservoir and battery, dose limits", "settings": d, "history": dev, "untilMs": T0 + 11 * MIN + 86_400_000})
    r = Lcg(4)
    tight = dict(d, sustainedLowMgdl=70, sustainedLowMin=10, fallRateTenthsPerMin=20, riseRateTenthsPerMin=20, staleWarnMin=10, staleUrgentMin=20)
    for i in range(12):
        h = series(r, 60 + r.next(100), 40 + r.next(300), 5)
        # Drop some readings to make gaps.
        h = [f for f in h if r.next(9) != 0]
        cases.append({"name": f"random series {i}", "settings": d if i % 2 == 0 else tight, "history": h, "untilMs": h[-1]["atMs"] + r.next(50) * MIN})
    for c in cases:
        c["expect"] = evaluate(c["settings"], c["history"], c["untilMs"])
    return cases


# ---------------------------------------------------------------- the peer check (Nightscout)

NS = {"bgHigh": 260, "bgTargetTop": 180, "bgTargetBottom": 80, "bgLow": 55, "warnMins": 15, "urgentMins": 30}


def ns_compare(sgv):
    """simplealarms.compareBGToTresholds with every alarm enabled (Nightscout's default)."""
    level, event = "INFO", None
    if sgv > NS["bgHigh"]:
        level, event = "URGENT", "high"
    elif sgv > NS["bgTargetTop"]:
        level, event = "WARN", "high"
    if sgv < NS["bgLow"]:
        level, event = "URGENT", "low"
    elif sgv < NS["bgTargetBottom"]:
        level, event = "WARN", "low"
    return level, event


def ns_check_notifications(last, now):
    """simplealarms.checkNotifications: only a fresh (< 10 min) reading above 39 is judged."""
    if last is not None and last["mgdl"] > 39 and now - last["mills"] < 10 * MIN:
        level, event = ns_compare(last["mgdl"])
        return (level, event) if level != "INFO" else None
    return None


def ns_timeago(last, now):
    """timeago.checkStatus (urgent and warn enabled, no hibernation)."""
    if last is None:
        return "current"
    if now - last["mills"] > NS["urgentMins"] * MIN:
        return "urgent"
    if now - last["mills"] > NS["warnMins"] * MIN:
        return "warn"
    return "current"


def nightscout_cases():
    r = Lcg(2026)
    cases = []
    shapes = [("a night low", 140, -1), ("a high after a meal", 120, 1), ("mixed", 100, 0)]
    for name, start, bias in shapes:
        for k in range(3):
            pts, v, t = [], start, T0
            for i in range(288):  # one day of 5-minute readings
                v = max(40, min(400, v + r.next(21) - 10 + bias * (1 if r.next(3) == 0 else 0)))
                if r.next(40) == 0:
                    t += (16 + r.next(30)) * MIN  # a sensor gap
                pts.append({"mills": t, "mgdl": v})
                t += 5 * MIN
            probes = []
            for i, p in enumerate(pts):
                last = p
                lvl = ns_check_notifications(last, p["mills"])
                probes.append({"atMs": p["mills"], "level": lvl[0] if lvl else "NONE", "event": lvl[1] if lvl else None,
                               "timeago": ns_timeago(last, p["mills"])})
                # Between readings: Nightscout's timeago status at a time inside the gap.
                if i + 1 < len(pts):
                    nxt = pts[i + 1]["mills"]
                    for m in (14, 16, 29, 31, 40):
                        at = p["mills"] + m * MIN
                        if at < nxt:
                            probes.append({"atMs": at, "level": None, "event": None, "timeago": ns_timeago(p, at)})
            cases.append({"name": f"{name} {k}", "readings": pts, "probes": probes})
    return cases


def main():
    encodings, fcases = frame_cases()
    docs = {
        "frames.json": {"description": "System 9 frames: `encodings` are frames (as JSON) and their exact bytes (hex); `cases` feed `frames` (hex) one by one into one fresh stream, `expect` is each frame's result: code, the decoded frame (null when it did not decode), missing. From generate.py (CRC written out bit by bit; the stream as a set of accepted numbers).", "encodings": encodings, "cases": fcases},
        "settings.json": {"description": "System 9 alarm settings: `settings` validated against `permitted` (16 [min, max] in field order; absent: the absolute bounds); `expect` lists refusals and warnings in check order as field, code, value, limit (the messages are not compared).", "cases": settings_cases()},
        "evaluation.json": {"description": "System 9 evaluation: `settings`, `history` (accepted frames), `untilMs` -> the signals (signalId, kind, priority, direction, atMs, startSeq, evidence, resolved {atMs, seq} or null; reasons are not compared). From generate.py's time-stepped model.", "cases": evaluation_cases()},
        "nightscout.json": {"description": "The peer check: glucose readings (every 5 minutes, with gaps) and, at each probe time, the level Nightscout gives with its default thresholds (URGENT / WARN / NONE and the event low / high, at reading times; null between readings) and timeago's status (current / warn / urgent). Ported from nightscout/cgm-remote-monitor commit 7e0e77f88fc113a76fe363504125f5b36b8a3fe3: lib/plugins/simplealarms.js (compareBGToTresholds, checkNotifications), lib/plugins/timeago.js (checkStatus), lib/settings.js (bgHigh 260, bgTargetTop 180, bgTargetBottom 80, bgLow 55, alarmTimeagoWarnMins 15, alarmTimeagoUrgentMins 30). Expected levels are computed by that port alone, never by our model.", "source": {"repository": "https://github.com/nightscout/cgm-remote-monitor", "commit": "7e0e77f88fc113a76fe363504125f5b36b8a3fe3", "files": ["lib/plugins/simplealarms.js", "lib/plugins/timeago.js", "lib/settings.js"]}, "thresholds": NS, "cases": nightscout_cases()},
    }
    for name, doc in docs.items():
        with open(os.path.join(OUT, name), "w") as fh:
            json.dump(doc, fh, indent=1)
            fh.write("\n")
        print(name, sum(len(v) for k, v in doc.items() if isinstance(v, list)))


if __name__ == "__main__":
    main()
