#!/usr/bin/env python3
"""Writes tests/vectors/ecash/{records,security,scenarios}.json: System 6 (offline e-cash).

An independent model written from the spec (the rustdoc of core/src/ecash/: record, security
information, instruction and sync request layouts; the card's and merchant's refusals; the
back-end's rules in their check order), in plain Python integers. Ed25519 comes from the
`cryptography` package (deterministic: RFC 8032), SHA-256 from hashlib, and COSE_Sign1 with
deterministic CBOR is encoded here by hand from the envelope spec (core/src/envelope/mod.rs),
so the security information and instruction envelopes can be compared byte for byte.
Run: python3 tests/vectors/ecash/generate.py (deterministic: same files every run)."""
import copy, hashlib, json, os, struct

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives import serialization
from cryptography.exceptions import InvalidSignature

OUT = os.path.dirname(os.path.abspath(__file__))
RECORD_TAG = b"countersign.ecash.record.v1\0"
GENESIS_TAG = b"countersign.ecash.genesis\0"
SYNC_TAG = b"countersign.ecash.sync.v1\0"
SECURITY_TYPE, INSTRUCTION_TYPE = "ecash.security", "ecash.instruction"
ZERO = bytes(32)
T0 = 1_700_000_000
ISSUER_SK, ISSUER_KID = bytes([7]) * 32, "issuer-1"
CODES = ["BAD_SIGNATURE", "COUNTER_GAP", "CHAIN_BROKEN", "REPLAYED_COUNTER", "ROLLBACK", "CLONED_CARD",
         "DOUBLE_SPEND", "BALANCE_MISMATCH", "OFFLINE_LIMIT_EXCEEDED", "VELOCITY", "WRONG_PAYEE"]
DEFAULT_ACTION = {c: "block" for c in CODES}
DEFAULT_ACTION.update({"BAD_SIGNATURE": "reject", "REPLAYED_COUNTER": "reject", "WRONG_PAYEE": "reject", "VELOCITY": "restrict"})
ACTION_RANK = {"reject": 0, "restrict": 1, "block": 2}
POLICY = {"limits": {"singleMax": 5000, "cumulativeMax": 20000, "countMax": 10}, "validityS": 86400,
          "counterWindow": 100, "velocity": {"windowS": 3600, "countMax": 8, "amountMax": 30000}}
OPENING = 10_000


def sha(b):
    return hashlib.sha256(b).digest()


def sk_of(i):
    return bytes([i + 1]) * 32


def pub(sk):
    return Ed25519PrivateKey.from_private_bytes(sk).public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def sign(sk, msg):
    return Ed25519PrivateKey.from_private_bytes(sk).sign(msg)


def verify(pk, msg, sig):
    try:
        Ed25519PublicKey.from_public_bytes(pk).verify(sig, msg)
        return True
    except (InvalidSignature, ValueError):
        return False


def idb(s):
    return bytes([len(s)]) + s.encode()


def genesis(card):
    return sha(GENESIS_TAG + card.encode())


# ---------------------------------------------------------------- records

class Rec:
    def __init__(self, kind, card, counter, amount, party, time, prev, payment, sig=None):
        self.kind, self.card, self.counter, self.amount = kind, card, counter, amount
        self.party, self.time, self.prev, self.payment, self.sig = party, time, prev, payment, sig

    def body(self):
        return (RECORD_TAG + bytes([1 if self.kind == "send" else 2]) + idb(self.card)
                + struct.pack(">QQ", self.counter, self.amount) + idb(self.party)
                + struct.pack(">q", self.time) + self.prev + self.payment)

    def enc(self):
        return self.body() + self.sig

    def hash(self):
        return sha(self.enc())

    def signed(self, sk):
        self.sig = sign(sk, self.body())
        return self

    def __eq__(self, o):
        return isinstance(o, Rec) and self.enc() == o.enc()


# ---------------------------------------------------------------- CBOR / COSE_Sign1

def cbor_head(major, n):
    if n < 24:
        return bytes([major << 5 | n])
    for ai, size in ((24, 1), (25, 2), (26, 4), (27, 8)):
        if n < 1 << (8 * size):
            return bytes([major << 5 | ai]) + n.to_bytes(size, "big")


def cbor_int(v):
    return cbor_head(0, v) if v >= 0 else cbor_head(1, -1 - v)


def cbor_bytes(b):
    return cbor_head(2, len(b)) + b


def cbor_text(s):
    return cbor_head(3, len(s.encode())) + s.encode()


def seal(typ, seq, iat, exp, payload, sk=ISSUER_SK, kid=ISSUER_KID):
    protected = (cbor_head(5, 6) + cbor_int(1) + cbor_int(-8) + cbor_int(4) + cbor_bytes(kid.encode())
                 + cbor_int(15) + cbor_head(5, 2) + cbor_int(4) + cbor_int(exp) + cbor_int(6) + cbor_int(iat)
                 + cbor_int(16) + cbor_text(typ) + cbor_int(-65537) + cbor_int(1) + cbor_int(-65538) + cbor_int(seq))
    sig_structure = cbor_head(4, 4) + cbor_text("Signature1") + cbor_bytes(protected) + cbor_bytes(b"") + cbor_bytes(payload)
    sig = sign(sk, sig_structure)
    env = bytes([0xd2]) + cbor_head(4, 4) + cbor_bytes(protected) + cbor_head(5, 0) + cbor_bytes(payload) + cbor_bytes(sig)
    return {"bytes": env, "typ": typ, "seq": seq, "iat": iat, "exp": exp, "payload": payload, "kid": kid,
            "issuer_pk": pub(sk)}


def security_payload(s):
    out = idb(s["card"]) + s["cardKey"] + struct.pack(">QQQQQIq", s["synced"], s["balance"], s["counterMax"],
                                                         s["singleMax"], s["cumulativeMax"], s["countMax"], s["validUntil"])
    roll = s.get("keyRoll")
    out += b"\0" if roll is None else b"\1" + idb(roll[0]) + roll[1]
    out += struct.pack(">H", len(s["blocklist"])) + b"".join(idb(c) for c in s["blocklist"])
    return out


def instruction_payload(card, action, codes):
    return idb(card) + bytes([2 if action == "block" else 1]) + struct.pack(">H", len(codes)) + bytes(CODES.index(c) + 1 for c in codes)


# ---------------------------------------------------------------- card and merchant

class Card:
    def __init__(self, card_id, sk, env, security):
        self.id, self.sk, self.pk = card_id, sk, pub(sk)
        self.issuer_pk = env["issuer_pk"]
        self.counter, self.head = 0, genesis(card_id)
        self.available = self.pending = 0
        self.reserved, self.log = None, []
        self.sends = self.spent = 0
        self.blocked = self.restricted = False
        self.seq = 0
        self.sec, self.env = None, None
        assert self.accept(env, security, T0) == "security"

    def pay(self, payee, amount, now):
        s = self.sec
        if self.blocked: return "CARD_BLOCKED"
        if self.reserved: return "SEND_IN_PROGRESS"
        if now >= s["validUntil"]: return "SECURITY_EXPIRED"
        if amount > s["singleMax"]: return "OVER_SINGLE_LIMIT"
        if self.sends >= s["countMax"]: return "OVER_COUNT_LIMIT"
        if self.spent + amount > s["cumulativeMax"]: return "OVER_CUMULATIVE_LIMIT"
        if self.counter >= s["counterMax"]: return "COUNTER_WINDOW"
        if amount > self.available: return "INSUFFICIENT_FUNDS"
        r = Rec("send", self.id, self.counter + 1, amount, payee, now, self.head, ZERO).signed(self.sk)
        self.counter += 1
        self.head = r.hash()
        self.available -= amount
        self.sends += 1
        self.spent += amount
        self.reserved = r
        return r

    def confirm(self, ack):
        if self.reserved and self.reserved.hash() == ack:
            self.log.append((self.reserved, None))
            self.reserved = None
            return True
        return False

    def receive(self, rec, payer_sec, now):
        ack = rec.hash()
        if any(p is not None and p.hash() == ack for _, p in self.log):
            return ack
        refusal = payee_check(self.sec["blocklist"], self.id, rec, payer_sec, now)
        if refusal: return refusal
        if any(p is not None and p.card == rec.card and p.counter == rec.counter for _, p in self.log): return "DOUBLE_SPEND"
        if self.blocked: return "CARD_BLOCKED"
        if self.counter >= self.sec["counterMax"]: return "COUNTER_WINDOW"
        r = Rec("receive", self.id, self.counter + 1, rec.amount, rec.card, now, self.head, ack).signed(self.sk)
        self.counter += 1
        self.head = r.hash()
        self.pending += rec.amount
        self.log.append((r, rec))
        return ack

    def sync_request(self, now):
        entries = list(self.log) + ([(self.reserved, None)] if self.reserved else [])
        entries.sort(key=lambda e: e[0].counter)
        req = {"card": self.id, "base": self.sec["synced"], "counter": self.counter, "available": self.available,
               "pending": self.pending, "seq": self.seq, "time": now, "entries": entries}
        req["sig"] = sign(self.sk, SYNC_TAG + request_unsigned(req))
        return req

    def accept(self, env, payload_fields, now):
        """env: sealed dict; payload_fields: the decoded fields (the model made them)."""
        if env["issuer_pk"] != self.issuer_pk: return "UNKNOWN_KEY"
        if now >= env["exp"]: return "EXPIRED"
        if self.seq and env["seq"] <= self.seq: return "REPLAYED"
        if env["typ"] == INSTRUCTION_TYPE:
            self.seq = env["seq"]
            if payload_fields["action"] == "block":
                self.blocked = True
                return "blocked"
            self.restricted = True
            self.sec = dict(self.sec, singleMax=0, cumulativeMax=0, countMax=0, validUntil=-(1 << 63))
            return "restricted"
        s = payload_fields
        if s["card"] != self.id or s["cardKey"] != self.pk: return "WRONG_CARD"
        if s["synced"] > self.counter or (self.sec and s["synced"] < self.sec["synced"]): return "COUNTER_BEHIND"
        if self.blocked:
            self.seq = env["seq"]
            return "blocked"
        self.log = [e for e in self.log if e[0].counter > s["synced"]]
        if self.reserved and self.reserved.counter <= s["synced"]:
            self.reserved = None
        sends = [r for r, _ in self.log if r.kind == "send"] + ([self.reserved] if self.reserved else [])
        self.pending = sum(r.amount for r, _ in self.log if r.kind == "receive")
        self.spent = sum(r.amount for r in sends)
        self.sends = len(sends)
        self.available = max(0, s["balance"] - self.spent)
        if s.get("keyRoll"):
            self.issuer_pk = s["keyRoll"][1]
        self.sec, self.env, self.seq, self.restricted = s, env, env["seq"], False
        return "security"


def request_unsigned(req):
    out = idb(req["card"]) + struct.pack(">QQQQQq", req["base"], req["counter"], req["available"], req["pending"],
                                          req["seq"], req["time"]) + struct.pack(">I", len(req["entries"]))
    for r, p in req["entries"]:
        out += r.enc() + (p.enc() if p is not None else b"")
    return out


def request_bytes(req):
    return request_unsigned(req) + req["sig"]


def payee_check(blocklist, payee, rec, payer_sec, now):
    env, s = payer_sec
    if now >= env["exp"] or s["card"] != rec.card: return "PAYER_SECURITY_INVALID"
    if rec.card in blocklist: return "PAYER_BLOCKED"
    if not verify(s["cardKey"], rec.body(), rec.sig): return "BAD_SIGNATURE"
    if rec.kind != "send" or rec.party != payee: return "WRONG_PAYEE"
    if rec.amount > s["singleMax"] or rec.counter > s["counterMax"] or rec.time >= s["validUntil"]: return "OVER_PAYER_LIMIT"
    return None


class Merchant:
    def __init__(self, mid):
        self.id, self.records, self.blocklist = mid, [], []
        self.head = genesis(mid)

    def receive(self, rec, payer_sec, now):
        ack = rec.hash()
        if any(r.hash() == ack for r in self.records): return ack
        refusal = payee_check(self.blocklist, self.id, rec, payer_sec, now)
        if refusal: return refusal
        if any(r.card == rec.card and r.counter == rec.counter for r in self.records): return "DOUBLE_SPEND"
        self.head = sha(self.head + ack)
        self.records.append(rec)
        return ack


# ---------------------------------------------------------------- back-end

class Backend:
    def __init__(self):
        self.cards, self.merchants, self.own, self.spends, self.claimed = {}, {}, {}, {}, set()
        self.absorbed = 0

    def blocklist(self):
        return sorted(c for c, a in self.cards.items() if a["status"] == "block")

    def security(self, card, a, now, key_roll=None):
        vu = now + POLICY["validityS"]
        s = {"card": card, "cardKey": a["pk"], "synced": a["synced"], "balance": a["balance"],
             "counterMax": a["synced"] + POLICY["counterWindow"], "validUntil": vu, "keyRoll": key_roll,
             "blocklist": self.blocklist(), **POLICY["limits"]}
        env = seal(SECURITY_TYPE, a["seq"] + 1, now, vu, security_payload(s))
        a["seq"] += 1
        a["limits"] = dict(POLICY["limits"], validUntil=vu)
        a["counterMax"] = s["counterMax"]
        return env, s

    def instruction(self, card, a, now):
        fields = {"card": card, "action": a["status"], "codes": list(a["findings"])}
        env = seal(INSTRUCTION_TYPE, a["seq"] + 1, now, now + POLICY["validityS"], instruction_payload(card, a["status"], a["findings"]))
        a["seq"] += 1
        return env, fields

    def register(self, card, pk, now):
        a = {"pk": pk, "synced": 0, "head": genesis(card), "balance": OPENING, "seq": 0, "previous": None,
             "status": "none", "findings": [], "lastTime": None}
        env, fields = self.security(card, a, now)
        self.cards[card] = a
        return env, fields

    def finding(self, code, subject, evidence):
        return {"code": code, "subject": subject, "action": DEFAULT_ACTION[code], "evidence": evidence}

    def flag(self, card, code, action):
        a = self.cards.get(card)
        if a is None: return
        if a["status"] == "none" or ACTION_RANK[action] > ACTION_RANK.get(a["status"], -1):
            a["status"] = action if action != "reject" else a["status"]
        if code not in a["findings"] and len(a["findings"]) < 16:
            a["findings"].append(code)

    def accepted_hash(self, card, a, counter):
        if counter == 0: return genesis(card)
        if counter == a["synced"]: return a["head"]
        r = self.own.get((card, counter))
        return r.hash() if r else None

    def form(self, a, req):
        card = req["card"]
        if not verify(a["pk"], SYNC_TAG + request_unsigned(req), req["sig"]):
            return self.finding("BAD_SIGNATURE", card, {"counter": req["counter"]})
        if a["lastTime"] is not None and req["time"] <= a["lastTime"]:
            return self.finding("REPLAYED_COUNTER", card, {"time": req["time"], "lastTime": a["lastTime"]})
        for r, p in req["entries"]:
            if not verify(a["pk"], r.body(), r.sig):
                return self.finding("BAD_SIGNATURE", card, {"counter": r.counter})
            if r.kind == "receive":
                payer = self.cards.get(p.card) if p else None
                if (p is None or payer is None or p.kind != "send" or p.party != card or p.hash() != r.payment
                        or p.amount != r.amount or p.card != r.party or not verify(payer["pk"], p.body(), p.sig)):
                    return self.finding("BAD_SIGNATURE", card, {"counter": r.counter})
        if req["base"] > a["synced"]:
            return self.finding("COUNTER_GAP", card, {"expected": a["synced"], "found": req["base"]})
        expected = req["base"]
        for r, _ in req["entries"]:
            expected += 1
            if r.counter != expected:
                return self.finding("COUNTER_GAP", card, {"expected": expected, "found": r.counter})
        if req["counter"] != expected:
            return self.finding("COUNTER_GAP", card, {"expected": expected, "found": req["counter"]})
        prev = self.accepted_hash(card, a, req["base"])
        for r, _ in req["entries"]:
            if prev != r.prev:
                return self.finding("CHAIN_BROKEN", card, {"counter": r.counter})
            prev = r.hash()
        return None

    def content(self, a, req):
        card, out = req["card"], []
        ps, pq, pb = a["previous"] if a["previous"] else (0, 0, 0)
        if req["base"] < a["synced"] and (req["base"] < ps or req["seq"] < pq):
            out.append(self.finding("ROLLBACK", card, {"cardBase": req["base"], "cardSeq": req["seq"], "synced": a["synced"], "seq": a["seq"]}))
        diverged = False
        for r, _ in req["entries"]:
            if r.counter <= a["synced"]:
                acc = self.own.get((card, r.counter))
                if acc is not None and acc != r:
                    diverged = True
                    out.append(self.finding("CLONED_CARD", card, {"accepted": acc.enc().hex(), "submitted": r.enc().hex()}))
                    break
        for r, p in req["entries"]:
            for x in ([r] if r.kind == "send" else []) + ([p] if p is not None else []):
                e = self.spends.get((x.card, x.counter))
                if e is not None and e != x:
                    out.append(self.finding("DOUBLE_SPEND", x.card, {"proof": (e.enc() + x.enc()).hex()}))
        if not diverged and not any(f["code"] in ("ROLLBACK", "CLONED_CARD") and f["subject"] == card for f in out):
            base_balance = pb if req["base"] < a["synced"] else a["balance"]
            debits = sum(r.amount for r, _ in req["entries"] if r.kind == "send")
            pending = sum(r.amount for r, _ in req["entries"] if r.kind == "receive")
            exp_av = max(0, base_balance - debits)
            if exp_av != req["available"] or pending != req["pending"]:
                out.append(self.finding("BALANCE_MISMATCH", card, {"expectedAvailable": exp_av, "reportedAvailable": req["available"],
                                                                   "expectedPending": pending, "reportedPending": req["pending"]}))
        sends = [r for r, _ in req["entries"] if r.counter > a["synced"] and r.kind == "send"]
        lim, count, total = a["limits"], 0, 0
        for r in sends:
            count += 1
            total += r.amount
            which = ("single" if r.amount > lim["singleMax"] else "cumulative" if total > lim["cumulativeMax"]
                     else "count" if count > lim["countMax"] else "validUntil" if r.time >= lim["validUntil"]
                     else "counterWindow" if r.counter > a["counterMax"] else None)
            if which:
                out.append(self.finding("OFFLINE_LIMIT_EXCEEDED", card, {"counter": r.counter, "limit": which}))
                break
        v = POLICY["velocity"]
        by_time = sorted(sends, key=lambda r: r.time)  # stable, like Rust's sort_by_key
        for end, r in enumerate(by_time):
            window = [x for x in by_time[:end + 1] if r.time - x.time < v["windowS"]]
            # The sliding window drops from the front only: the same as the set above because
            # the list is in time order.
            n, amt = len(window), sum(x.amount for x in window)
            if n > v["countMax"] or amt > v["amountMax"]:
                out.append(self.finding("VELOCITY", card, {"start": window[0].time, "count": n, "amount": amt}))
                break
        return out[:64]

    def index(self, r):
        k = (r.card, r.counter)
        e = self.spends.get(k)
        if e is not None and e != r:
            return (e.enc() + r.enc()).hex()
        if e is None:
            self.spends[k] = r
        return None

    def sync(self, req, now):
        card = req["card"]
        a = self.cards[card]
        if a["status"] == "block":
            env, f = self.instruction(card, a, now)
            return {"outcome": "abnormal", "env": env, "fields": f, "findings": []}
        f = self.form(a, req)
        if f:
            if f["action"] == "reject":
                return {"outcome": "refused", "findings": [f]}
            self.flag(card, f["code"], f["action"])
            env, fields = self.instruction(card, a, now)
            return {"outcome": "abnormal", "env": env, "fields": fields, "findings": [f]}
        a["lastTime"] = req["time"]
        findings = self.content(a, req)
        own = [ACTION_RANK[f["action"]] for f in findings if f["subject"] == card]
        if own and max(own) == 0:
            return {"outcome": "refused", "findings": findings}
        for f in findings:
            if f["subject"] != card:
                self.flag(f["subject"], f["code"], f["action"])
        for r, p in req["entries"]:
            if r.kind == "send": self.index(r)
            if p is not None: self.index(p)
        if own:
            action = ["reject", "restrict", "block"][max(own)]
            for f in findings:
                if f["subject"] == card:
                    if f["code"] == "DOUBLE_SPEND":
                        self.absorbed += Rec_amount_second(f["evidence"]["proof"])
                    self.flag(card, f["code"], action)
            a["status"] = action if a["status"] in ("none", "reject") or ACTION_RANK[action] > ACTION_RANK[a["status"]] else a["status"]
            env, fields = self.instruction(card, a, now)
            return {"outcome": "abnormal", "env": env, "fields": fields, "findings": findings}
        credited = debited = 0
        head, synced = a["head"], a["synced"]
        for r, p in req["entries"]:
            if r.counter <= a["synced"]: continue
            if r.kind == "send":
                debited += r.amount
            elif p.hash() not in self.claimed:
                self.claimed.add(p.hash())
                credited += r.amount
            head, synced = r.hash(), r.counter
            self.own[(card, r.counter)] = r
        a["previous"] = (a["synced"], a["seq"], a["balance"])
        a["balance"] = max(0, a["balance"] - debited) + credited
        a["synced"], a["head"], a["status"] = synced, head, "none"
        env, s = self.security(card, a, now)
        return {"outcome": "clean", "env": env, "fields": s, "credited": credited, "debited": debited}

    def deposit(self, merchant, records):
        credited, findings = 0, []
        for r in records:
            h = r.hash()
            payer = self.cards.get(r.card)
            if payer is None or not verify(payer["pk"], r.body(), r.sig) or r.kind != "send":
                findings.append(self.finding("BAD_SIGNATURE", merchant, {"record": h.hex()})); continue
            if r.party != merchant:
                findings.append(self.finding("WRONG_PAYEE", merchant, {"record": h.hex()})); continue
            if h in self.claimed:
                findings.append(self.finding("REPLAYED_COUNTER", merchant, {"record": h.hex()})); continue
            proof = self.index(r)
            if proof:
                f = self.finding("DOUBLE_SPEND", r.card, {"proof": proof})
                self.flag(r.card, "DOUBLE_SPEND", f["action"])
                self.absorbed += r.amount
                findings.append(f)
            self.claimed.add(h)
            credited += r.amount
        self.merchants[merchant] = self.merchants.get(merchant, 0) + credited
        return credited, findings


def Rec_amount_second(proof_hex):
    b = bytes.fromhex(proof_hex)
    # The second record starts after the first: tag 28 + kind 1 + id + 16 + id + 8 + 64 + 64.
    n1 = b[29]
    off = 29 + 1 + n1 + 16
    n2 = b[off]
    first_len = off + 1 + n2 + 8 + 64 + 64
    second = b[first_len:]
    m = second[29]
    return struct.unpack(">Q", second[29 + 1 + m + 8: 29 + 1 + m + 16])[0]


# ---------------------------------------------------------------- scenarios

def run(name, description, cards_n, steps):
    be = Backend()
    handles = {}
    for i in range(cards_n):
        cid = f"card-{i}"
        env, sec = be.register(cid, pub(sk_of(i)), T0)
        handles[cid] = Card(cid, sk_of(i), env, sec)
    shops = {m: Merchant(m) for m in ("shop-a", "shop-b")}
    last_request = {}
    out_steps = []
    for step in steps:
        op = step["op"]
        expect = {}
        if op == "pay":
            c = handles[step["card"]]
            r = c.pay(step["payee"], step["amount"], step["time"])
            if isinstance(r, str):
                expect = {"refusal": r}
            else:
                payer_sec = (c.env, c.sec)
                payee = step["payee"]
                ack = (shops[payee].receive(r, payer_sec, step["time"]) if payee in shops
                       else handles[payee].receive(r, payer_sec, step["time"]))
                expect = {"record": r.enc().hex()}
                if isinstance(ack, str):
                    expect["payeeRefusal"] = ack
                else:
                    assert c.confirm(ack)
        elif op == "copy":
            handles[step["to"]] = copy.deepcopy(handles[step["from"]])
        elif op == "sync":
            c = handles[step["card"]]
            if step.get("resend"):
                req = last_request[step["card"]]
            else:
                req = c.sync_request(step["time"])
                tampered = False
                if "entryAmount" in step:
                    k, amount = step["entryAmount"]
                    r, p = req["entries"][k]
                    r = copy.copy(r); r.amount = amount
                    req["entries"][k] = (r, p); tampered = True
                if "replaceEntries" in step:
                    ents = []
                    for e in step["replaceEntries"]:
                        prev = genesis(c.id) if e["prev"] == "genesis" else bytes.fromhex(e["prev"])
                        ents.append((Rec("send", c.id, e["counter"], e["amount"], e["party"], e["time"], prev, ZERO).signed(c.sk), None))
                    req["entries"] = ents; tampered = True
                for field in ("counter", "available"):
                    if field in step:
                        req[field] = step[field]; tampered = True
                if "availableAdd" in step:
                    req["available"] += step["availableAdd"]; tampered = True
                if tampered:
                    req["sig"] = sign(c.sk, SYNC_TAG + request_unsigned(req))
            last_request[step["card"]] = req
            res = be.sync(req, step["time"])
            expect = {"request": request_bytes(req).hex(), "outcome": res["outcome"], "findings": res["findings"] if res["outcome"] != "clean" else []}
            if res["outcome"] == "clean":
                expect.update(credited=res["credited"], debited=res["debited"], security=res["env"]["bytes"].hex())
                expect["accepted"] = c.accept(res["env"], res["fields"], step["time"])
            elif res["outcome"] == "abnormal":
                expect["instruction"] = res["env"]["bytes"].hex()
                expect["accepted"] = c.accept(res["env"], res["fields"], step["time"])
        elif op == "deposit":
            m = shops[step["from"] if "from" in step else step["merchant"]]
            records = list(m.records) if step.get("keep") else m.records
            if not step.get("keep"):
                m.records = []
            credited, findings = be.deposit(step["merchant"], records)
            expect = {"credited": credited, "findings": findings}
        else:
            raise ValueError(op)
        out_steps.append({"step": step, "expect": expect})
    final = {"cards": {h: {"available": c.available, "pending": c.pending, "reserved": c.reserved.amount if c.reserved else 0,
                           "counter": c.counter, "blocked": c.blocked, "restricted": c.restricted} for h, c in sorted(handles.items())},
             "backend": {cid: {"balance": a["balance"], "status": None if a["status"] == "none" else a["status"]} for cid, a in sorted(be.cards.items())},
             "merchants": dict(sorted(be.merchants.items())), "absorbed": be.absorbed}
    return {"name": name, "description": description, "cards": cards_n, "steps": out_steps, "final": final}


def scenarios():
    t = T0
    shop = lambda card, amount, time: {"op": "pay", "card": card, "payee": "shop-a", "amount": amount, "time": time}
    S = []
    S.append(run("clean-day", "Payments to a merchant and card to card, both cards online, the merchant deposits: every check clean; security information byte for byte.", 2, [
        shop("card-0", 1500, t + 10),
        {"op": "pay", "card": "card-0", "payee": "card-1", "amount": 2000, "time": t + 20},
        {"op": "pay", "card": "card-1", "payee": "card-0", "amount": 5001, "time": t + 21},
        {"op": "sync", "card": "card-0", "time": t + 100},
        {"op": "sync", "card": "card-1", "time": t + 101},
        {"op": "deposit", "merchant": "shop-a"},
        shop("card-1", 5000, t + 200),
        {"op": "sync", "card": "card-1", "time": t + 300},
    ]))
    S.append(run("bad-signature", "A record altered after the card signed it (the request re-signed): BAD_SIGNATURE, refused, nothing changes.", 1, [
        shop("card-0", 100, t + 1),
        {"op": "sync", "card": "card-0", "time": t + 2, "entryAmount": [0, 1]},
        {"op": "sync", "card": "card-0", "time": t + 3},
    ]))
    S.append(run("counter-gap", "The first record left out of the log: COUNTER_GAP.", 1, [
        shop("card-0", 100, t + 1), shop("card-0", 100, t + 1),
        {"op": "sync", "card": "card-0", "time": t + 2, "replaceEntries": [{"counter": 2, "amount": 100, "party": "shop-a", "time": t + 1, "prev": "genesis"}]},
    ]))
    S.append(run("chain-broken", "Counters right, previous hash wrong: CHAIN_BROKEN.", 1, [
        shop("card-0", 100, t + 1),
        {"op": "sync", "card": "card-0", "time": t + 2, "replaceEntries": [{"counter": 1, "amount": 100, "party": "shop-a", "time": t + 1, "prev": "05" * 32}]},
    ]))
    S.append(run("replayed-request", "A relay sends the same request again: REPLAYED_COUNTER, refused, the card not flagged; a fresh request is clean.", 1, [
        shop("card-0", 100, t + 1),
        {"op": "sync", "card": "card-0", "time": t + 2},
        {"op": "sync", "card": "card-0", "time": t + 3, "resend": True},
        {"op": "sync", "card": "card-0", "time": t + 4},
    ]))
    S.append(run("lost-answer", "The card lost the back-end's answer (restored to just before it) and asks again: clean, no rollback.", 1, [
        shop("card-0", 100, t + 1),
        {"op": "copy", "from": "card-0", "to": "saved"},
        {"op": "sync", "card": "card-0", "time": t + 2},
        {"op": "copy", "from": "saved", "to": "card-0"},
        shop("card-0", 200, t + 3),
        {"op": "sync", "card": "card-0", "time": t + 4},
    ]))
    S.append(run("rollback", "The card restored to a state two syncs old: ROLLBACK, blocked.", 1, [
        {"op": "copy", "from": "card-0", "to": "old"},
        shop("card-0", 100, t + 1), {"op": "sync", "card": "card-0", "time": t + 2},
        shop("card-0", 100, t + 3), {"op": "sync", "card": "card-0", "time": t + 4},
        {"op": "copy", "from": "old", "to": "card-0"},
        {"op": "sync", "card": "card-0", "time": t + 5},
        shop("card-0", 100, t + 6),
    ]))
    S.append(run("clone", "A twin spends the same counter at another merchant and comes online: CLONED_CARD and DOUBLE_SPEND with the proof.", 1, [
        {"op": "copy", "from": "card-0", "to": "twin"},
        shop("card-0", 100, t + 1), {"op": "sync", "card": "card-0", "time": t + 2},
        {"op": "pay", "card": "twin", "payee": "shop-b", "amount": 300, "time": t + 1},
        {"op": "sync", "card": "twin", "time": t + 3},
        {"op": "sync", "card": "card-0", "time": t + 4},
    ]))
    S.append(run("double-spend-deposits", "The same counter spent at two merchants while the card stays offline: the second deposit proves it; the card is blocked when it comes online.", 1, [
        {"op": "copy", "from": "card-0", "to": "fork"},
        shop("card-0", 100, t + 1),
        {"op": "pay", "card": "fork", "payee": "shop-b", "amount": 100, "time": t + 1},
        {"op": "deposit", "merchant": "shop-a"}, {"op": "deposit", "merchant": "shop-b"},
        {"op": "sync", "card": "card-0", "time": t + 5},
    ]))
    S.append(run("balance-mismatch", "A card reporting 5,000 more than it has: BALANCE_MISMATCH.", 1, [
        shop("card-0", 100, t + 1),
        {"op": "sync", "card": "card-0", "time": t + 2, "availableAdd": 5000},
    ]))
    S.append(run("offline-limit", "A firmware that ignores the single limit: OFFLINE_LIMIT_EXCEEDED.", 1, [
        {"op": "sync", "card": "card-0", "time": t + 2, "replaceEntries": [{"counter": 1, "amount": 6000, "party": "shop-a", "time": t + 1, "prev": "genesis"}], "counter": 1, "available": 4000},
    ]))
    S.append(run("velocity", "Nine sends within an hour (limit eight): VELOCITY, restrict; the card pays nothing more offline.", 1,
                 [shop("card-0", 10, t + 1 + k) for k in range(9)] + [{"op": "sync", "card": "card-0", "time": t + 100}, shop("card-0", 1, t + 101)]))
    S.append(run("no-velocity", "Eight sends spread over the day: clean.", 1,
                 [shop("card-0", 10, t + 1 + k * 4000) for k in range(8)] + [{"op": "sync", "card": "card-0", "time": t + 40000}]))
    S.append(run("relay-and-replay-deposits", "A payment deposited by another merchant (WRONG_PAYEE), then by its payee, then again (REPLAYED_COUNTER).", 1, [
        shop("card-0", 100, t + 1),
        {"op": "deposit", "merchant": "shop-b", "from": "shop-a", "keep": True},
        {"op": "deposit", "merchant": "shop-a", "keep": True},
        {"op": "deposit", "merchant": "shop-a"},
    ]))
    S.append(run("limits-offline", "The card's own refusals: single, count, funds, expiry.", 2, [
        shop("card-0", 5001, t),
        shop("card-0", 10, t + 86400),
        shop("card-0", 5000, t), shop("card-0", 5000, t), shop("card-0", 1, t),
        {"op": "pay", "card": "card-1", "payee": "card-0", "amount": 100, "time": t},
    ]))
    return S


def records_vectors():
    """Anti-replay factors and a log chain: a card's records from the genesis hash on."""
    cases = []
    prev = genesis("card-0")
    sk = sk_of(0)
    for counter, (kind, amount, party, payment) in enumerate([
            ("send", 1, "shop-a", ZERO), ("send", 5000, "card-1", ZERO), ("receive", 250, "card-1", sha(b"x")),
            ("send", 10 ** 15, "z" * 32, ZERO)], start=1):
        r = Rec(kind, "card-0", counter, amount, party, T0 + counter, prev, payment).signed(sk)
        cases.append({"secretKey": sk.hex(), "kind": kind, "card": "card-0", "counter": counter, "amount": amount, "party": party,
                      "time": T0 + counter, "prev": prev.hex(), "payment": payment.hex(),
                      "body": r.body().hex(), "signature": r.sig.hex(), "hash": r.hash().hex()})
        prev = r.hash()
    return {"description": "Signed records (anti-replay factors): body, Ed25519 signature and hash; each record's prev is the previous hash, the first's the genesis hash of card-0.",
            "genesis": {"card": "card-0", "hash": genesis("card-0").hex()}, "cases": cases}


def security_vectors():
    cases = []
    for label, s, seq in [
        ("provisioning", {"card": "card-0", "cardKey": pub(sk_of(0)), "synced": 0, "balance": 10000, "counterMax": 100,
                          "singleMax": 5000, "cumulativeMax": 20000, "countMax": 10, "validUntil": T0 + 86400, "keyRoll": None, "blocklist": []}, 1),
        ("key-roll-and-blocklist", {"card": "card-1", "cardKey": pub(sk_of(1)), "synced": 7, "balance": 123, "counterMax": 107,
                                    "singleMax": 1, "cumulativeMax": 2, "countMax": 3, "validUntil": T0 + 5, "keyRoll": ("issuer-2", pub(bytes([42]) * 32)),
                                    "blocklist": ["card-9", "card-10"]}, 9),
    ]:
        env = seal(SECURITY_TYPE, seq, T0, s["validUntil"], security_payload(s))
        cases.append({"name": label, "security": {**{k: (v.hex() if isinstance(v, bytes) else v) for k, v in s.items() if k != "keyRoll"},
                                                    "keyRoll": None if s["keyRoll"] is None else {"keyId": s["keyRoll"][0], "publicKey": s["keyRoll"][1].hex()}},
                      "seq": seq, "issuedAt": T0, "payload": security_payload(s).hex(), "envelope": env["bytes"].hex()})
    ins = seal(INSTRUCTION_TYPE, 4, T0, T0 + 86400, instruction_payload("card-0", "block", ["DOUBLE_SPEND", "CLONED_CARD"]))
    return {"description": "Security information and instruction envelopes (COSE_Sign1, Ed25519, issuer key [7]*32, kid issuer-1), byte for byte.",
            "issuerSecretKey": ISSUER_SK.hex(), "keyId": ISSUER_KID, "cases": cases,
            "instruction": {"card": "card-0", "action": "block", "codes": ["DOUBLE_SPEND", "CLONED_CARD"], "seq": 4, "issuedAt": T0,
                            "expiresAt": T0 + 86400, "envelope": ins["bytes"].hex()}}


def main():
    docs = {
        "records.json": records_vectors(),
        "security.json": security_vectors(),
        "scenarios.json": {"description": ("Scenarios on one back-end (policy below), cards card-i with secret key [i+1]*32 and opening balance 10000, merchants shop-a and shop-b, "
                                           "issuer key [7]*32 (kid issuer-1). Steps: pay (the payee receives, the payer confirms), copy (a card handle copied: twin, snapshot, restore), "
                                           "sync (optionally tampered, then re-signed by the card; resend sends the last request again), deposit. Expectations: the record / refusal, the "
                                           "request bytes, outcome, findings with evidence, envelope bytes, and the final balances."),
                           "policy": POLICY, "openingBalance": OPENING, "t0": T0, "scenarios": scenarios()},
    }
    for name, doc in docs.items():
        with open(os.path.join(OUT, name), "w") as f:
            json.dump(doc, f, indent=1)
            f.write("\n")
        print(name, len(json.dumps(doc)))


if __name__ == "__main__":
    main()
