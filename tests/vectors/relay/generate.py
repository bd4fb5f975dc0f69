#!/usr/bin/env python3
"""Writes scenarios.json: the relay vectors (System 5).

An independent model written from the spec in core/src/relay/mod.rs (no Rust code): its own
deterministic CBOR encoder, COSE_Sign1 envelopes signed with Ed25519 through the `cryptography`
package (deterministic signatures, so token and receipt bytes can be compared byte for byte), the
phone's offline allowance, the server's check order, counter window and ledger balances in exact
minor units. Run: `python3 tests/vectors/relay/generate.py`.
"""
import hashlib
import json
import os

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

HERE = os.path.dirname(os.path.abspath(__file__))
MINOR = {"EUR": 2, "USD": 2, "JPY": 0}
T0 = 1_800_000_000
COUNTER_WINDOW = 32
SERVER_SKEW = 300
RECEIPT_TTL = 30 * 86_400
OUTSTANDING_MAX = 32
FINAL = {"APPROVED", "NOT_YET_VALID", "EXPIRED", "UNKNOWN_PAYEE", "CURRENCY_MISMATCH",
         "DEVICE_LIMIT_EXCEEDED", "INSUFFICIENT_FUNDS", "LEDGER_REFUSED"}


# ---------------------------------------------------------------- deterministic CBOR (RFC 8949 §4.2.1)
def head(major, n):
    if n < 24:
        return bytes([major << 5 | n])
    for extra, size in ((24, 1), (25, 2), (26, 4), (27, 8)):
        if n < 1 << (8 * size):
            return bytes([major << 5 | extra]) + n.to_bytes(size, "big")
    raise ValueError(n)


def enc(v):
    if v is None:
        return b"\xf6"
    if isinstance(v, bool):
        return b"\xf5" if v else b"\xf4"
    if isinstance(v, int):
        return head(0, v) if v >= 0 else head(1, -1 - v)
    if isinstance(v, bytes):
        return head(2, len(v)) + v
    if isinstance(v, str):
        b = v.encode()
        return head(3, len(b)) + b
    if isinstance(v, list):
        return head(4, len(v)) + b"".join(enc(x) for x in v)
    if isinstance(v, dict):
        items = sorted((enc(k), enc(x)) for k, x in v.items())  # bytewise order of encoded keys
        return head(5, len(items)) + b"".join(k + x for k, x in items)
    raise TypeError(v)


def sign1(secret, kid, typ, seq, iat, exp, payload):
    protected = enc({1: -8, 4: kid.encode(), 15: {4: exp, 6: iat}, 16: typ, -65537: 1, -65538: seq})
    to_sign = enc(["Signature1", protected, b"", payload])
    sig = Ed25519PrivateKey.from_private_bytes(secret).sign(to_sign)
    return head(6, 18) + enc([protected, {}, payload, sig])


def public(secret):
    return Ed25519PrivateKey.from_private_bytes(secret).public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)


# ---------------------------------------------------------------- money
def minor(text, cur):
    whole, _, frac = text.partition(".")
    scale = MINOR[cur]
    assert len(frac) <= scale or set(frac[scale:]) <= {"0"}, text
    frac = (frac + "0" * scale)[:scale]
    return int(whole) * 10 ** scale + (int(frac) if frac else 0)


def fmt(units, cur):
    scale = MINOR[cur]
    if scale == 0:
        return str(units)
    s = str(units).rjust(scale + 1, "0")
    return s[:-scale] + "." + s[-scale:]


# ---------------------------------------------------------------- limits (the subset the vectors use)
SEVERITY = ["WITHIN_LIMITS", "HARD_LIMIT_REACHED", "TRANSACTION_LIMIT_EXCEEDED", "CURRENCY_MISMATCH"]


class Allowance:
    """perTransaction / lifetime limits on amount and count; a record is reversed by id."""

    def __init__(self, specs):
        self.specs = specs
        self.used = [0] * len(specs)
        self.records = {}

    def verdict(self, units, cur):
        worst, worst_id = "WITHIN_LIMITS", None
        for spec, used in zip(self.specs, self.used):
            if spec["measure"] == "amount" and spec["currency"] != cur:
                code = "CURRENCY_MISMATCH"
            elif spec["measure"] == "count":
                code = "HARD_LIMIT_REACHED" if used + 1 > int(spec["hard"]) else "WITHIN_LIMITS"
            else:
                hard = minor(spec["hard"], cur)
                if spec["window"]["kind"] == "perTransaction":
                    code = "TRANSACTION_LIMIT_EXCEEDED" if units > hard else "WITHIN_LIMITS"
                else:
                    code = "HARD_LIMIT_REACHED" if used + units > hard else "WITHIN_LIMITS"
            if SEVERITY.index(code) > SEVERITY.index(worst):
                worst, worst_id = code, spec["id"]
        return worst, worst_id

    def record(self, tid, units):
        self.records[tid] = units
        for i, spec in enumerate(self.specs):
            if spec["window"]["kind"] == "lifetime":
                self.used[i] += 1 if spec["measure"] == "count" else units

    def reverse(self, tid):
        units = self.records.pop(tid, None)
        if units is None:
            return
        for i, spec in enumerate(self.specs):
            if spec["window"]["kind"] == "lifetime":
                self.used[i] -= 1 if spec["measure"] == "count" else units


# ---------------------------------------------------------------- the roles
class Phone:
    def __init__(self, cfg, secret):
        self.device, self.secret = cfg["deviceId"], secret
        self.allowance = Allowance(cfg["allowance"])
        self.next = 1
        self.outstanding = {}  # hash -> counter
        self.settled = set()

    def seal(self, s):
        cur = s["currency"]
        units = minor(s["amount"], cur)
        if len(self.outstanding) >= OUTSTANDING_MAX:
            return {"code": "OUTSTANDING_FULL"}, None
        code, limit = self.allowance.verdict(units, cur)
        if code != "WITHIN_LIMITS":
            return {"code": "ALLOWANCE_EXCEEDED", "limitsCode": code, "limitId": limit}, None
        counter = self.next
        payload = enc([s["payee"], fmt(units, cur), cur, bytes.fromhex(s["nonce"])])
        token = sign1(self.secret, self.device, "relay.token", counter, s["now"], s["now"] + s["ttlS"], payload)
        self.allowance.record("t%d" % counter, units)
        self.outstanding[hashlib.sha256(token).digest()] = counter
        self.next += 1
        return {"code": "SEALED", "counter": counter, "token": token.hex()}, token

    def receipt(self, r):
        h, counter, code = r["hash"], r["counter"], r["code"]
        if h not in self.outstanding:
            return {"code": "ALREADY_SETTLED" if h in self.settled else "UNKNOWN_TOKEN", "decision": code}
        if code not in FINAL:
            return {"code": "ANSWER_NOT_FINAL", "decision": code}
        self.allowance.reverse("t%d" % self.outstanding.pop(h))
        self.settled.add(h)
        return {"code": "SETTLED", "decision": code}


class Server:
    def __init__(self, cfg, devices_secret, server_secret):
        self.cur = cfg["currency"]
        self.secret = server_secret
        self.payees = set(cfg["payees"])
        self.devices = {}
        self.balances = {"issuer": 0}
        for d in cfg["devices"]:
            self.devices[d["deviceId"]] = {
                "key": public(devices_secret[d["deviceId"]]), "highest": 0, "answers": {},
                "limit": minor(d["lifetimeLimit"], self.cur), "used": 0,
            }
            self.balances["d/" + d["deviceId"]] = minor(d["fund"], self.cur)
            self.balances["issuer"] -= minor(d["fund"], self.cur)
        for p in cfg["payees"]:
            self.balances["p/" + p] = 0

    def view(self):
        return {k: fmt(v, self.cur) for k, v in sorted(self.balances.items()) if k != "issuer"}

    def process(self, token, now, meta):
        """meta: what the model knows about the token it built (None for altered bytes)."""
        h = hashlib.sha256(token).digest()
        for dev in self.devices.values():
            for counter, (ah, code, receipt) in dev["answers"].items():
                if ah == h:
                    return {"code": code, "replayed": True, "receipt": receipt.hex()}, receipt
        if meta is None:  # altered: the model only ever alters the signature's last byte
            return {"code": "BAD_SIGNATURE", "replayed": False, "receipt": None}, None
        device, counter, iat, exp, payee, amount, cur = meta
        if device not in self.devices:
            return {"code": "UNKNOWN_KEY", "replayed": False, "receipt": None}, None
        dev = self.devices[device]

        def receipt_of(code):
            body = enc([h, device, counter, code, "INSUFFICIENT_FUNDS" if code == "INSUFFICIENT_FUNDS" else None,
                        payee, amount, cur])
            r_iat = min(iat, now)
            return sign1(self.secret, "srv", "relay.receipt", counter, r_iat, r_iat + RECEIPT_TTL, body)

        if dev["highest"] >= COUNTER_WINDOW and counter <= dev["highest"] - COUNTER_WINDOW:
            r = receipt_of("COUNTER_BELOW_WINDOW")
            return {"code": "COUNTER_BELOW_WINDOW", "replayed": False, "receipt": r.hex()}, r
        if counter in dev["answers"]:
            r = receipt_of("COUNTER_REUSED")
            return {"code": "COUNTER_REUSED", "replayed": False, "receipt": r.hex()}, r
        units = minor(amount, cur) if cur in MINOR else 0
        if iat > now + SERVER_SKEW:
            code = "NOT_YET_VALID"
        elif now >= exp:
            code = "EXPIRED"
        elif payee not in self.payees:
            code = "UNKNOWN_PAYEE"
        elif cur != self.cur:
            code = "CURRENCY_MISMATCH"
        elif dev["used"] + units > dev["limit"]:
            code = "DEVICE_LIMIT_EXCEEDED"
        elif self.balances["d/" + device] < units:
            code = "INSUFFICIENT_FUNDS"
        else:
            code = "APPROVED"
            dev["used"] += units
            self.balances["d/" + device] -= units
            self.balances["p/" + payee] += units
        r = receipt_of(code)
        dev["highest"] = max(dev["highest"], counter)
        dev["answers"][counter] = (h, code, r)
        dev["answers"] = {c: a for c, a in dev["answers"].items() if c > dev["highest"] - COUNTER_WINDOW}
        out = {"code": code, "replayed": False, "receipt": r.hex()}
        if code == "DEVICE_LIMIT_EXCEEDED":
            out["limitsCode"], out["limitId"] = "HARD_LIMIT_REACHED", "lifetime"
        return out, r


# ---------------------------------------------------------------- scenarios
PHONE_SECRET = bytes(range(1, 33))
OTHER_SECRET = bytes(range(101, 133))
SERVER_SECRET = bytes(range(201, 233))
SECRETS = {"ph1": PHONE_SECRET, "ph2": OTHER_SECRET}


def amount_limit(lid, kind, hard, cur="EUR"):
    return {"id": lid, "measure": "amount", "currency": cur, "window": {"kind": kind}, "hard": hard}


ALLOWANCE = [amount_limit("per-token", "perTransaction", "20.00"),
             amount_limit("outstanding", "lifetime", "50.00"),
             {"id": "tokens", "measure": "count", "window": {"kind": "lifetime"}, "hard": "5"}]


def run(name, note, server_cfg, phones_cfg, steps):
    server = Server(server_cfg, SECRETS, SERVER_SECRET)
    phones = {k: Phone(cfg, SECRETS[cfg["deviceId"]]) for k, cfg in phones_cfg.items()}
    tokens, receipts, metas = {}, {}, {}
    out_steps = []
    for i, step in enumerate(steps):
        step = dict(step)
        op = step["op"]
        if op == "seal":
            phone = phones[step["phone"]]
            expect, token = phone.seal(step)
            if token is not None:
                tokens[i] = token
                cur = step["currency"]
                metas[i] = (phone.device, expect["counter"], step["now"], step["now"] + step["ttlS"],
                            step["payee"], fmt(minor(step["amount"], cur), cur), cur)
            step["expect"] = expect
        elif op == "process":
            token = tokens[step["token"]]
            meta = metas[step["token"]]
            if step.get("tamper") == "lastByte":
                token = token[:-1] + bytes([token[-1] ^ 1])
                meta = None
            expect, receipt = server.process(token, step["now"], meta)
            if receipt is not None:
                receipts[i] = (receipt, hashlib.sha256(token).digest(), meta, expect["code"])
            expect["balances"] = server.view()
            step["expect"] = expect
        elif op == "receipt":
            receipt, h, meta, body_code = receipts[step["receipt"]]
            step["expect"] = phones[step["phone"]].receipt({"hash": h, "counter": meta[1], "code": body_code})
        elif op == "restart":
            pass
        out_steps.append(step)
    return {"name": name, "note": note, "server": server_cfg, "phones": phones_cfg, "steps": out_steps}


def seal(phone, amount, nonce, now=T0, payee="cafe", currency="EUR", ttl=600):
    return {"op": "seal", "phone": phone, "payee": payee, "amount": amount, "currency": currency,
            "nonce": bytes([nonce]) .hex() * 8, "now": now, "ttlS": ttl}


def process(token, now=T0 + 5, tamper=None):
    s = {"op": "process", "token": token, "now": now}
    if tamper:
        s["tamper"] = tamper
    return s


def receipt(phone, step, now=T0 + 60):
    return {"op": "receipt", "phone": phone, "receipt": step, "now": now}


def window_steps():
    """Counters 2 and 4..=33 go through at once and settle (a phone keeps at most 32 unanswered
    tokens); the relay holds 1, 3 and 34, then delivers 34 (highest), 3 (inside: 3 > 34 - 32) and
    1 (below). A phone restored from an old state signs counters 1..=3 again: its counter 3 is a
    reuse (3 is answered), its counter 1 below the window."""
    steps, sealed = [], {}
    for n in range(1, 35):
        sealed[n] = len(steps)
        steps.append(seal("a", "0.10", n))
        if n == 2 or 4 <= n <= 33:
            steps.append(process(sealed[n]))
            steps.append(receipt("a", len(steps) - 1))
    for n in (34, 3, 1):
        steps.append(process(sealed[n]))
        steps.append(receipt("a", len(steps) - 1))
    b = []
    for n in range(1, 4):
        b.append(len(steps))
        steps.append(seal("b", "9.00", 90 + n))
    steps.append(process(b[2]))
    steps.append(process(b[0]))
    steps.append({"op": "restart"})
    steps.append(process(sealed[34], now=T0 + 7200))
    return steps


SERVER = {"currency": "EUR", "payees": ["cafe", "kiosk"],
          "devices": [{"deviceId": "ph1", "fund": "100.00", "lifetimeLimit": "80.00"}]}
PHONE = {"a": {"deviceId": "ph1", "allowance": ALLOWANCE}}

WINDOW_STEPS = window_steps()

scenarios = [
    run("approved-and-settled", "a token through the relay, the receipt back, the same receipt twice, the token replayed after its expiry",
        SERVER, PHONE,
        [seal("a", "4.5", 1), process(0), receipt("a", 1), receipt("a", 1), process(0, now=T0 + 5000), {"op": "restart"},
         process(0, now=T0 + 6000)]),
    run("altered", "the relay flips the signature's last byte: refused without a receipt; the genuine token then goes through",
        SERVER, PHONE, [seal("a", "12.00", 2), process(0, tamper="lastByte"), process(0), receipt("a", 2)]),
    run("allowance", "per-token cap, cumulative outstanding, count; a receipt gives the allowance back",
        SERVER, PHONE,
        [seal("a", "20.01", 1), seal("a", "20.00", 2), seal("a", "20.00", 3), seal("a", "10.01", 4),
         seal("a", "10.00", 5), seal("a", "0.01", 6), process(1), receipt("a", 6), seal("a", "15.00", 7),
         seal("a", "1.00", 8, currency="USD")]),
    run("declines", "unknown payee, expired, not yet valid, insufficient funds, the device's server-side limit; each final and stored",
        {**SERVER, "devices": [{"deviceId": "ph1", "fund": "25.00", "lifetimeLimit": "30.00"}]},
        {"a": {"deviceId": "ph1", "allowance": []}},
        [seal("a", "1.00", 1, payee="nowhere"), process(0),
         seal("a", "2.00", 2), process(2, now=T0 + 600),
         seal("a", "20.00", 3), process(4),
         seal("a", "6.00", 4), process(6), process(6, now=T0 + 10),
         seal("a", "11.00", 5), process(9),
         seal("a", "1.00", 6, now=T0 + 1000), process(11, now=T0 + 699),
         receipt("a", 1), receipt("a", 3), receipt("a", 7), receipt("a", 10), receipt("a", 12)]),
    run("window", "tokens delivered out of order: inside the window, below it, and a counter signed twice by a rolled-back phone",
        {**SERVER, "devices": [{"deviceId": "ph1", "fund": "100.00", "lifetimeLimit": "100.00"}]},
        {"a": {"deviceId": "ph1", "allowance": []}, "b": {"deviceId": "ph1", "allowance": []}},
        WINDOW_STEPS),
]

doc = {
    "description": (
        "countersign relay vectors (System 5), written by tests/vectors/relay/generate.py (an independent "
        "model). Keys: `keys` (Ed25519 secret keys, hex; the phone's key id is its device id, the server's "
        "`srv`). Each scenario builds a TokenServer (`server`: currency, payees, devices with their wallet "
        "funding and a lifetime amount limit with id `lifetime`) and PaymentPhones (`phones`), then runs "
        "`steps`: `seal` (a phone seals a token; expect its code, counter and exact token bytes, or the "
        "allowance's limitsCode and limitId), `process` (the server answers the token of step `token`, "
        "`tamper: lastByte` flips its last byte first; expect code, replayed, the exact receipt bytes or "
        "null, and the balances), `receipt` (the phone of the step verifies the receipt of step `receipt`; "
        "expect code and decision), `restart` (both sides restore from their snapshots)."
    ),
    "keys": {"ph1": PHONE_SECRET.hex(), "ph2": OTHER_SECRET.hex(), "srv": SERVER_SECRET.hex()},
    "scenarios": scenarios,
}
with open(os.path.join(HERE, "scenarios.json"), "w") as f:
    json.dump(doc, f, indent=1)
    f.write("\n")
print("wrote", sum(len(s["steps"]) for s in scenarios), "steps in", len(scenarios), "scenarios")
