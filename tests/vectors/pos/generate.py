#!/usr/bin/env python3
"""Writes tests/vectors/pos/scenarios.json: System 4 (a point of sale with an intermittent network).

An independent model written from the spec (core/src/pos/mod.rs, network.rs, outbox.rs rustdoc),
in plain Python integers: the network state machine with its counters and hysteresis, the routing
table, the offline limits in their documented check order, the outbox (in-order forwarding,
backoff with equal jitter, deadlines, the nearing event, the hash chain over the entry records,
the kept finished entries and the per-currency record). No Rust is read or run.
Run: python3 tests/vectors/pos/generate.py (deterministic: same file every run)."""
import hashlib, json, os
from decimal import Decimal

OUT = os.path.dirname(os.path.abspath(__file__))
MINOR = {"EUR": 2, "USD": 2, "JPY": 0}
FINISHED_MAX = 256
CHAIN_DOMAIN = b"countersign.pos.entry.v1\x00"


def minor_of(text, cur):
    d = Decimal(text)
    scaled = d * (10 ** MINOR[cur])
    assert scaled == scaled.to_integral_value(), text
    return int(scaled)


def fmt(units, cur):
    s = MINOR[cur]
    if s == 0:
        return str(units)
    return f"{units // 10**s}.{units % 10**s:0{s}d}"


class Network:
    def __init__(self, c):
        self.c = c
        self.state, self.since, self.last = "unknown", 0, 0
        self.f = self.g = self.s = 0

    def observe(self, o):
        t = max(o["atMs"], self.last)
        self.last = t
        k, st, c = o["kind"], self.state, self.c
        change = None
        if k == "osOffline" or (k == "captivePortal" and o["detected"]):
            self.f = self.g = self.s = 0
            if st != "offline":
                change = ("offline", "OS_OFFLINE" if k == "osOffline" else "CAPTIVE_PORTAL")
        elif k == "captivePortal":
            pass
        elif k == "osOnline":
            if st == "offline":
                self.f = self.g = self.s = 0
                change = ("unknown", "OS_ONLINE")
        elif not o["ok"]:
            self.f, self.g, self.s = min(self.f + 1, 100), 0, 0
            if st != "offline" and self.f >= c["failuresToOffline"]:
                change = ("offline", "FAILURES")
            elif st in ("online", "unknown"):
                change = ("degraded", "FAILURE")
        elif o["latencyMs"] > c["slowLatencyMs"]:
            self.s, self.f, self.g = min(self.s + 1, 100), 0, 0
            if st == "online" and self.s >= c["slowToDegraded"]:
                change = ("degraded", "SLOW")
            elif st in ("offline", "unknown"):
                change = ("degraded", "REACHABLE_SLOW")
        else:
            self.g, self.f, self.s = min(self.g + 1, 100), 0, 0
            if st == "unknown":
                change = ("online", "ANSWERED")
            elif st in ("offline", "degraded") and self.g >= c["successesToOnline"] and t - self.since >= c["recoverHoldMs"]:
                change = ("online", "RECOVERED")
        if change is None:
            return None
        frm = self.state
        self.state, self.since = change[0], t
        return {"from": frm, "to": change[0], "reason": change[1], "atMs": t}


ROUTES = {
    "requireOnline": {"offline": "REFUSED_OFFLINE", None: "ONLINE"},
    "preferOnline": {"offline": "STORE_OFFLINE", None: "ONLINE_OR_STORE"},
    "forceOffline": {None: "STORE_FORCED"},
    "auto": {"offline": "STORE_OFFLINE", "degraded": "STORE_DEGRADED", None: "ONLINE_OR_STORE"},
}


def route(mode, state):
    table = ROUTES[mode]
    return table.get(state, table[None])


DEFAULT_NETWORK = {"failuresToOffline": 3, "successesToOnline": 2, "slowToDegraded": 3, "slowLatencyMs": 2000, "recoverHoldMs": 10000}
DEFAULT_OUTBOX = {"deadlineMs": 86_400_000, "nearingMs": 3_600_000, "backoffBaseMs": 1000, "backoffMaxMs": 300_000}


class Terminal:
    def __init__(self, config):
        self.c = config
        self.net = Network({**DEFAULT_NETWORK, **config.get("network", {})})
        self.ob = {**DEFAULT_OUTBOX, **config.get("outbox", {})}
        self.entries = []
        self.anchor = bytes(32)
        self.next_seq = 1
        self.last = 0
        self.records = {c["currency"]: [0, 0, 0, 0] for c in config["offline"]["currencies"]}

    def pending(self):
        return [e for e in self.entries if e["state"] in ("stored", "forwarding")]

    def head_hash(self):
        return bytes.fromhex(self.entries[-1]["hash"]) if self.entries else self.anchor

    @staticmethod
    def record(e):
        fields = [str(e["seq"]), e["idempotencyKey"], e["kind"], e["amount"], e["currency"], e["cardHash"] or "",
                  e["cardType"] or "", e["payload"], str(e["storedAtMs"]), str(e["deadlineMs"])]
        return "\n".join(fields).encode()

    def store(self, req, now):
        now = max(now, self.last)
        cur = req["currency"]
        amount = fmt(minor_of(req["amount"], cur), cur)
        for e in self.entries:
            if e["idempotencyKey"] == req["idempotencyKey"]:
                same = all(e[k] == v for k, v in (("kind", req["kind"]), ("amount", amount), ("currency", cur),
                                                   ("cardHash", req.get("cardHash")), ("cardType", req.get("cardType")),
                                                   ("payload", req.get("payload", ""))))
                if same:
                    return {"code": "ALREADY_STORED", "seq": e["seq"]}
                return {"error": {"code": "IDEMPOTENCY_CONFLICT", "param": "request.idempotencyKey"}}
        o = self.c["offline"]
        lim = next((c for c in o["currencies"] if c["currency"] == cur), None)
        units = minor_of(amount, cur)
        pend = self.pending()

        def refuse():
            if lim is None:
                return "CURRENCY_NOT_OFFLINE"
            if pend and now - pend[0]["storedAtMs"] > o["maxAgeMs"]:
                return "QUEUE_TOO_OLD"
            floors = o.get("floorLimits", [])
            if floors and req.get("cardType") is not None:
                f = next((f for f in floors if f["cardType"] == req["cardType"] and f["currency"] == cur), None)
                if f is None:
                    return "CARD_TYPE_NOT_OFFLINE"
                if units > minor_of(f["amount"], cur):
                    return "FLOOR_LIMIT_EXCEEDED"
            if units > minor_of(lim["paymentMax"], cur):
                return "PAYMENT_LIMIT_EXCEEDED"
            if len(pend) + 1 > o["countMax"]:
                return "COUNT_LIMIT_REACHED"
            if sum(minor_of(e["amount"], cur) for e in pend if e["currency"] == cur) + units > minor_of(lim["totalMax"], cur):
                return "TOTAL_LIMIT_REACHED"
            card = req.get("cardHash")
            if card is not None:
                same = [e for e in pend if e["cardHash"] == card]
                if len(same) + 1 > o.get("cardCountMax", o["countMax"]):
                    return "CARD_COUNT_LIMIT_REACHED"
                cmax = minor_of(lim.get("cardTotalMax", lim["totalMax"]), cur)
                if sum(minor_of(e["amount"], cur) for e in same if e["currency"] == cur) + units > cmax:
                    return "CARD_TOTAL_LIMIT_REACHED"
            return None

        code = refuse()
        if code:
            return {"code": code}
        e = {"seq": self.next_seq, "idempotencyKey": req["idempotencyKey"], "kind": req["kind"], "amount": amount,
             "currency": cur, "cardHash": req.get("cardHash"), "cardType": req.get("cardType"),
             "payload": req.get("payload", ""), "storedAtMs": now, "deadlineMs": now + self.ob["deadlineMs"],
             "state": "stored", "attempts": 0, "nextAttemptAtMs": 0, "nearingNotified": False,
             "resultCode": None, "finishedAtMs": None}
        e["hash"] = hashlib.sha256(CHAIN_DOMAIN + self.head_hash() + self.record(e)).hexdigest()
        self.entries.append(e)
        self.next_seq += 1
        self.last = now
        return {"code": "STORED", "seq": e["seq"], "hash": e["hash"]}

    def head(self):
        return next((e for e in self.entries if e["state"] in ("stored", "forwarding")), None)

    def begin(self, now, flush):
        now = max(now, self.last)
        h = self.head()
        if h is None:
            return {"code": "NOTHING_TO_FORWARD"}
        if h["state"] == "stored" and not flush and now < h["nextAttemptAtMs"]:
            return {"code": "NOT_DUE", "key": h["idempotencyKey"], "retryAtMs": h["nextAttemptAtMs"]}
        h["state"] = "forwarding"
        h["attempts"] += 1
        self.last = now
        return {"code": "FORWARD", "key": h["idempotencyKey"], "attempts": h["attempts"]}

    def backoff(self, attempts, jitter):
        delay = min(self.ob["backoffBaseMs"] * 2 ** min(max(attempts - 1, 0), 40), self.ob["backoffMaxMs"])
        half = delay // 2
        return half + ((delay - half) * jitter >> 32)

    def finish(self, e, now):
        e["finishedAtMs"] = now
        r = self.records.get(e["currency"])
        if r is not None:
            if e["state"] == "forwardedApproved":
                r[0] += 1
                r[1] += minor_of(e["amount"], e["currency"])
            elif e["state"] == "forwardedDeclined":
                r[2] += 1
            else:
                r[3] += 1
        finished = [x for x in self.entries if x["state"] not in ("stored", "forwarding")]
        excess = max(0, len(finished) - FINISHED_MAX)
        drop = 0
        while drop < excess and self.entries[drop]["state"] not in ("stored", "forwarding"):
            drop += 1
        if drop:
            self.anchor = bytes.fromhex(self.entries[drop - 1]["hash"])
            del self.entries[:drop]

    def result(self, key, result, now, jitter):
        now = max(now, self.last)
        e = next((x for x in self.entries if x["idempotencyKey"] == key and x["state"] == "forwarding"), None)
        if e is None:
            return {"code": "NOT_FORWARDING"}
        kind, code = result["kind"], result["code"]
        retry_at = None
        if kind == "approved":
            e["state"], out = "forwardedApproved", "FORWARDED_APPROVED"
        elif kind == "declined":
            e["state"], out = "forwardedDeclined", "FORWARDED_DECLINED"
        elif kind == "permanent":
            e["state"], out = "failedPermanently", "FAILED_PERMANENTLY"
        elif now >= e["deadlineMs"]:
            e["state"], out, code = "failedPermanently", "FAILED_PERMANENTLY", "DEADLINE_PASSED"
        else:
            e["state"], out = "stored", "RETRY_SCHEDULED"
            retry_at = now + self.backoff(e["attempts"], jitter)
            e["nextAttemptAtMs"] = retry_at
        e["resultCode"] = code
        self.last = now
        if e["state"] not in ("stored", "forwarding"):
            self.finish(e, now)
        return {"code": out, "state": e["state"], "retryAtMs": retry_at}

    def tick(self, now):
        now = max(now, self.last)
        events = []
        changed = False
        for e in self.pending():
            if not e["nearingNotified"] and now >= max(0, e["deadlineMs"] - self.ob["nearingMs"]):
                e["nearingNotified"] = True
                changed = True
                events.append(["nearingDeadline", e["idempotencyKey"]])
        while True:
            h = self.head()
            if h is None or h["state"] != "stored" or now < h["deadlineMs"]:
                break
            h["state"], h["resultCode"] = "failedPermanently", "DEADLINE_PASSED"
            self.finish(h, now)
            changed = True
            events.append(["failed", h["idempotencyKey"]])
        if changed:
            self.last = now
        return events

    def summary(self):
        totals = []
        for c in self.c["offline"]["currencies"]:
            cur = c["currency"]
            r = self.records[cur]
            pend = [e for e in self.pending() if e["currency"] == cur]
            totals.append({"currency": cur, "pendingCount": len(pend),
                           "pendingAmount": fmt(sum(minor_of(e["amount"], cur) for e in pend), cur),
                           "pendingMax": fmt(minor_of(c["totalMax"], cur), cur),
                           "approvedCount": r[0], "approvedAmount": fmt(r[1], cur), "declinedCount": r[2], "failedCount": r[3]})
        return {"headHash": self.head_hash().hex(), "anchorHash": self.anchor.hex(),
                "states": [[e["idempotencyKey"], e["state"]] for e in self.entries], "totals": totals,
                "network": self.net.state}


def run(config, steps):
    t = Terminal(config)
    out = []
    for s in steps:
        k = s["step"]
        if k == "observe":
            exp = t.net.observe(s["observation"])
        elif k == "route":
            exp = route(s["mode"], t.net.state)
        elif k == "store":
            exp = t.store(s["request"], s["nowMs"])
        elif k == "begin":
            exp = t.begin(s["nowMs"], s["flush"])
        elif k == "result":
            exp = t.result(s["key"], s["result"], s["nowMs"], s["jitter"])
        elif k == "tick":
            exp = t.tick(s["nowMs"])
        elif k == "summary":
            exp = t.summary()
        else:
            raise ValueError(k)
        out.append({**s, "expect": exp})
    return out


def card(n):
    return hashlib.sha256(f"card-{n}".encode()).hexdigest()


def pay(key, amount, n, card_type="visa", cur="EUR", payload="c0ffee"):
    return {"idempotencyKey": key, "kind": "payment", "amount": amount, "currency": cur, "cardHash": card(n),
            "cardType": card_type, "payload": payload}


BASE = {"terminalId": "hall-a-1",
        "offline": {"currencies": [{"currency": "EUR", "paymentMax": "50.00", "totalMax": "100.00", "cardTotalMax": "60.00"},
                                   {"currency": "JPY", "paymentMax": "5000", "totalMax": "20000"}],
                    "countMax": 5, "maxAgeMs": 3_600_000, "cardCountMax": 3,
                    "floorLimits": [{"cardType": "visa", "currency": "EUR", "amount": "40.00"},
                                    {"cardType": "amex", "currency": "EUR", "amount": "20.00"},
                                    {"cardType": "visa", "currency": "JPY", "amount": "5000"}]}}
PLAIN = {"terminalId": "stand-7", "offline": {"currencies": [{"currency": "EUR", "paymentMax": "100.00", "totalMax": "100000.00"}],
                                              "countMax": 1000, "maxAgeMs": 604_800_000},
         "outbox": {"deadlineMs": 600_000, "nearingMs": 60_000, "backoffBaseMs": 500, "backoffMaxMs": 8000}}


def obs(kind, at, **kw):
    return {"step": "observe", "observation": {"kind": kind, "atMs": at, **kw}}


def scenarios():
    sc = []
    # 1. Network: hysteresis on a flapping link, every reason, and the route of each mode in each state.
    steps = []
    for m in ("requireOnline", "preferOnline", "forceOffline", "auto"):
        steps.append({"step": "route", "mode": m})
    seq = [obs("request", 1000, ok=True, latencyMs=40), obs("request", 2000, ok=False, latencyMs=0),
           obs("request", 2500, ok=True, latencyMs=30), obs("request", 3000, ok=False, latencyMs=0),
           obs("request", 3100, ok=False, latencyMs=0), obs("request", 3200, ok=False, latencyMs=0),
           obs("probe", 4000, ok=True, latencyMs=10), obs("probe", 5000, ok=True, latencyMs=10),
           obs("probe", 13199, ok=True, latencyMs=10), obs("probe", 13200, ok=True, latencyMs=10),
           obs("request", 14000, ok=True, latencyMs=2001), obs("request", 15000, ok=True, latencyMs=2500),
           obs("request", 15500, ok=True, latencyMs=100), obs("request", 16000, ok=True, latencyMs=2001),
           obs("request", 16100, ok=True, latencyMs=2001), obs("request", 16200, ok=True, latencyMs=2001),
           obs("captivePortal", 17000, detected=False), obs("captivePortal", 17000, detected=True),
           obs("osOnline", 18000), obs("probe", 1, ok=True, latencyMs=5000), obs("osOffline", 19000),
           obs("osOffline", 19500), obs("osOnline", 20000), obs("request", 20001, ok=True, latencyMs=2000)]
    for s in seq:
        steps.append(s)
        if s["observation"]["kind"] in ("request", "probe", "osOffline", "osOnline"):
            for m in ("requireOnline", "auto"):
                steps.append({"step": "route", "mode": m})
    steps.append({"step": "summary"})
    sc.append({"name": "network hysteresis, reasons and routes", "config": BASE, "steps": steps})

    # 2. Offline limits in check order, idempotent store, the card limits, the age limit.
    usd = pay("u1", "1.00", 1)
    usd["currency"] = "USD"
    token = {"idempotencyKey": "tok-1", "kind": "token", "amount": "45.00", "currency": "EUR", "payload": "a1b2"}
    steps = [{"step": "store", "request": pay("k1", "30.00", 1), "nowMs": 1000},
             {"step": "store", "request": usd, "nowMs": 1000},
             {"step": "store", "request": pay("k2", "1.00", 1, "diners"), "nowMs": 1000},
             {"step": "store", "request": pay("k2", "20.01", 2, "amex"), "nowMs": 1000},
             {"step": "store", "request": pay("k2", "40.01", 2), "nowMs": 1000},
             {"step": "store", "request": pay("k2", "30.01", 1), "nowMs": 1000},
             {"step": "store", "request": pay("k2", "30.00", 1), "nowMs": 1000},
             {"step": "store", "request": pay("k3", "1.00", 1), "nowMs": 1000},
             {"step": "store", "request": pay("k2", "30.00", 1), "nowMs": 1500},
             {"step": "store", "request": pay("k2", "30.50", 1), "nowMs": 1500},
             {"step": "store", "request": token, "nowMs": 1600},
             {"step": "store", "request": pay("k4", "1.00", 4, "amex"), "nowMs": 1700},
             {"step": "store", "request": pay("j1", "5000", 5, "visa", "JPY"), "nowMs": 1800},
             {"step": "store", "request": pay("j2", "5001", 5, "visa", "JPY"), "nowMs": 1800},
             {"step": "store", "request": pay("k5", "1.00", 6), "nowMs": 1900},
             {"step": "summary"},
             {"step": "store", "request": pay("k6", "1.00", 7), "nowMs": 1000 + 3_600_001},
             {"step": "begin", "nowMs": 3_700_000, "flush": False},
             {"step": "result", "key": "k1", "result": {"kind": "approved", "code": "A1"}, "nowMs": 3_700_001, "jitter": 0},
             {"step": "store", "request": pay("k6", "1.00", 7), "nowMs": 3_700_002},
             {"step": "summary"}]
    sc.append({"name": "offline limits in check order", "config": BASE, "steps": steps})
    per_payment = json.loads(json.dumps(BASE))
    per_payment["offline"]["floorLimits"] = []
    per_payment["offline"]["currencies"][0]["cardTotalMax"] = "1000.00"
    per_payment["offline"]["currencies"][0]["totalMax"] = "1000.00"
    steps = [{"step": "store", "request": pay("p0", "50.01", 1), "nowMs": 0}]
    for i in range(4):
        steps.append({"step": "store", "request": pay(f"p{i + 1}", "50.00", 10 + i), "nowMs": i})
    steps += [{"step": "store", "request": pay("p5", "0.01", 1), "nowMs": 10},
              {"step": "store", "request": pay("p6", "0.01", 2), "nowMs": 10},
              {"step": "summary"}]
    sc.append({"name": "per-payment and count limits, no floor limits", "config": per_payment, "steps": steps})

    # 3. The outbox: in order, backoff with jitter, not due, flush, a second answer, decline,
    # permanent, nearing and the deadline, retry past the deadline.
    steps = [{"step": "begin", "nowMs": 0, "flush": False}]
    for i in range(5):
        steps.append({"step": "store", "request": pay(f"o{i}", f"{i + 1}.00", i), "nowMs": 1000 + i})
    steps += [{"step": "begin", "nowMs": 2000, "flush": False},
              {"step": "begin", "nowMs": 2001, "flush": False},
              {"step": "result", "key": "o0", "result": {"kind": "retry", "code": "NO_ANSWER"}, "nowMs": 2100, "jitter": 0},
              {"step": "begin", "nowMs": 2200, "flush": False},
              {"step": "begin", "nowMs": 2350, "flush": False},
              {"step": "result", "key": "o0", "result": {"kind": "retry", "code": "HTTP_503"}, "nowMs": 2400, "jitter": 4294967295},
              {"step": "begin", "nowMs": 2400, "flush": True},
              {"step": "result", "key": "o0", "result": {"kind": "retry", "code": "NO_ANSWER"}, "nowMs": 2500, "jitter": 2147483648},
              {"step": "begin", "nowMs": 100000, "flush": False},
              {"step": "result", "key": "o0", "result": {"kind": "approved", "code": "A77"}, "nowMs": 100010, "jitter": 0},
              {"step": "result", "key": "o0", "result": {"kind": "approved", "code": "A77"}, "nowMs": 100011, "jitter": 0},
              {"step": "result", "key": "o1", "result": {"kind": "approved", "code": "A78"}, "nowMs": 100012, "jitter": 0},
              {"step": "begin", "nowMs": 100020, "flush": False},
              {"step": "result", "key": "o1", "result": {"kind": "declined", "code": "51"}, "nowMs": 100030, "jitter": 0},
              {"step": "begin", "nowMs": 100040, "flush": False},
              {"step": "result", "key": "o2", "result": {"kind": "permanent", "code": "KEY_CONFLICT"}, "nowMs": 100050, "jitter": 0},
              {"step": "tick", "nowMs": 1003 + 540_000 - 1},
              {"step": "tick", "nowMs": 1003 + 540_000},
              {"step": "tick", "nowMs": 1003 + 540_000 + 5},
              {"step": "begin", "nowMs": 1003 + 599_999, "flush": False},
              {"step": "tick", "nowMs": 1004 + 600_000},
              {"step": "result", "key": "o3", "result": {"kind": "retry", "code": "NO_ANSWER"}, "nowMs": 1004 + 600_000, "jitter": 7},
              {"step": "summary"},
              {"step": "store", "request": pay("o5", "9.00", 9), "nowMs": 700_000},
              {"step": "tick", "nowMs": 700_000 + 540_000},
              {"step": "begin", "nowMs": 700_000 + 600_000, "flush": False},
              {"step": "tick", "nowMs": 700_000 + 600_000},
              {"step": "result", "key": "o5", "result": {"kind": "approved", "code": "LATE"}, "nowMs": 700_000 + 600_001, "jitter": 0},
              {"step": "summary"}]
    sc.append({"name": "outbox state machine", "config": PLAIN, "steps": steps})

    # 4. Many payments: the backoff's cap, pruning past the kept finished entries, the anchor and the record.
    steps = []
    for i in range(FINISHED_MAX + 12):
        key = f"m{i:04d}"
        steps.append({"step": "store", "request": pay(key, f"{(i % 7) + 1}.{i % 100:02d}", i % 50), "nowMs": i * 10})
        steps.append({"step": "begin", "nowMs": i * 10 + 1, "flush": False})
        if i % 9 == 0:
            steps.append({"step": "result", "key": key, "result": {"kind": "retry", "code": "NO_ANSWER"}, "nowMs": i * 10 + 2, "jitter": (i * 16777216) % 4294967296})
            steps.append({"step": "begin", "nowMs": i * 10 + 3, "flush": True})
        kind = "declined" if i % 5 == 0 else "approved"
        steps.append({"step": "result", "key": key, "result": {"kind": kind, "code": "R" + str(i)}, "nowMs": i * 10 + 4, "jitter": 0})
    steps.append({"step": "summary"})
    sc.append({"name": "pruning keeps the record and the chain", "config": PLAIN, "steps": steps})

    backoff = json.loads(json.dumps(PLAIN))
    steps = [{"step": "store", "request": pay("b0", "1.00", 0), "nowMs": 0}]
    now = 0
    for i in range(8):
        steps.append({"step": "begin", "nowMs": now, "flush": True})
        steps.append({"step": "result", "key": "b0", "result": {"kind": "retry", "code": "NO_ANSWER"}, "nowMs": now, "jitter": (i * 613566756) % 4294967296})
        now += 1
    steps.append({"step": "summary"})
    sc.append({"name": "backoff doubles up to its cap", "config": backoff, "steps": steps})
    return sc


def main():
    doc = {
        "description": "countersign pos scenarios (System 4). Each scenario: `config` (a TerminalConfig) and `steps` run in order on one terminal. Step kinds: 'observe' (observation) -> the Transition {from, to, reason, atMs} or null; 'route' (mode) -> the route code; 'store' (request: a PaymentRequest, nowMs) -> {code, seq, hash} (seq and hash when stored; seq for ALREADY_STORED) or {error: {code, param}}; 'begin' (nowMs, flush) -> {code, key, attempts} (FORWARD) / {code, key, retryAtMs} (NOT_DUE) / {code}; 'result' (key, result: a ForwardResult, nowMs, jitter) -> {code, state, retryAtMs} or {code: NOT_FORWARDING}; 'tick' (nowMs) -> [[event kind, key]...]; 'summary' -> {headHash, anchorHash, states [[key, state]...], totals (the Totals of each currency), network (state)}. Expectations from generate.py, an independent Python model of the spec.",
        "scenarios": scenarios(),
    }
    runs = []
    for s in doc["scenarios"]:
        runs.append({"name": s["name"], "config": s["config"], "steps": run(s["config"], s["steps"])})
    doc["scenarios"] = runs
    with open(os.path.join(OUT, "scenarios.json"), "w") as f:
        json.dump(doc, f, indent=1, sort_keys=False)
        f.write("\n")


if __name__ == "__main__":
    main()
